//! imagespec's reference server: the four image-registry API families, generated from
//! `specs/`, over one in-memory store.
//!
//! ```text
//! specs/<family>.yaml ──cargo codegen──▶ <family>/generated/ (models, response enums, trait, routes)
//! <family>/handlers.rs ──implements the trait: resolve the caller, one call──▶ store/ (no HTTP)
//! <family>/error.rs: the family store's error and framework errors → the family's wire envelope
//! app.rs: mounts each live family at its real paths, with /specs/ and /docs/
//! ```
//!
//! Invariants: the store never imports poem or generated code; generated code never names the
//! store; nobody edits `generated/` by hand.

pub mod admin;
pub mod app;
pub mod auth;
pub mod body_schema;
pub mod cce;
pub mod cli;
pub mod contract;
pub mod docs;
pub mod faults;
pub mod glance;
pub mod huawei_gateway;
pub mod listener;
pub mod log_writer;
pub mod middleware;
pub mod serve;
pub mod snowflake;
pub mod store;
pub mod swr;

pub use app::app;
