//! Code generated from `specs/swr.yaml` by `cargo codegen`; never edited by hand.

#[rustfmt::skip]
pub mod api;
#[rustfmt::skip]
pub mod models;
