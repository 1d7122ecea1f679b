//! Code generated from `specs/glance.yaml` by `cargo codegen`; never edited by hand.

#[rustfmt::skip]
pub mod api;
#[rustfmt::skip]
pub mod models;
