//! imagespec's conformance library: what it means for a server to conform to one of our specs.
//!
//! A response conforms when its status is declared for the operation, its media type is one the
//! spec lists for that status, and its body validates against that status's schema (JSON
//! Schema 2020-12, `$ref`s resolved inside the spec). Findings are data ([`Violation`]); `Err`
//! means the tester could not do its job. The library knows only specs and HTTP, never the
//! server's code.
//!
//! This is the core the fuzzing and stateful suites build on (see the conformance issue).

pub mod spec;
pub mod validate;

pub use spec::{Operation, Spec, SpecError};
pub use validate::{Violation, validate_response};
