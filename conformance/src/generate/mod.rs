//! Requests generated from a spec: each operation's parameters and body read into generators
//! ([`Model`]), whole requests drawn from them ([`Case`]), positive (every schema satisfied) or
//! negative (one constraint broken at one place), and encoded as the request sent. The fuzzing
//! phase sends them; the undeclared-methods probe borrows [`concrete_path`] for its paths.
//!
//! The children, leaves first: `schema` reads one schema into a generator of values, `model`
//! makes an operation's parameters and body into one, `case` draws and guards whole requests,
//! and `encode` turns a case into the request it stands for.

mod case;
mod encode;
mod model;
mod schema;
#[cfg(test)]
mod tests;

pub(crate) use case::Case;
pub(crate) use encode::{concrete_path, encode};
pub(crate) use model::{Model, Param};
pub(crate) use schema::{Wire, fixed_runner, identity};
