//! imagespec's conformance library: what it means for a server to conform to one of our specs.
//!
//! A response conforms when its status is declared for the operation, its media type is one the
//! spec lists for that status, and its body validates against that status's schema (JSON
//! Schema 2020-12, `$ref`s resolved inside the spec). Findings are data ([`Violation`]); `Err`
//! means the tester could not do its job. The library knows only specs and HTTP, never the
//! server's code.
//!
//! Today: response validation on every exchange (`C1xx` checks), spec-driven fuzzing of every
//! operation of every family ([`fuzz`], `C107` invalid data refused, `C110` valid data not
//! refused without the spec saying so), undeclared methods on every path ([`methods`], `C108`),
//! and the semantic suites (`CCE-Sxx`, `GLANCE-Sxx`), driven through a [`Transport`].
//!
//! A [`Report`] renders as text, JSON or JUnit XML ([`junit`]); every finding carries the exact
//! request that showed it, so it can be saved and re-sent ([`replay`]).
//!
//! **Layers.** Every check id is in one registry ([`checks`]), every family's part of a run in
//! one table ([`families`]). Modules import only from the layers before theirs, so the module
//! graph has no cycles:
//!
//! 1. [`family`], [`spec`], [`exchange`] (requests and responses), `names`, [`config_file`];
//! 2. [`checks`], [`report`], [`signing`], [`validate`], `generate` (requests from schemas);
//! 3. [`transport`], [`junit`], [`replay`];
//! 4. [`session`] (one connection and its response checks), [`http`], [`progress`];
//! 5. [`config`] (one `FamilyTarget` per family), [`families`], [`methods`];
//! 6. [`fuzz`], then [`run`].

pub mod checks;
pub mod config;
pub mod config_file;
pub mod exchange;
pub mod families;
pub mod family;
pub mod fuzz;
mod generate;
pub mod http;
pub mod junit;
pub mod methods;
mod names;
pub mod progress;
pub mod replay;
pub mod report;
pub mod run;
pub mod session;
pub mod signing;
pub mod spec;
pub mod transport;
pub mod validate;

pub use config::{Config, RunError};
pub use exchange::{HttpRequest, HttpResponse};
pub use family::Family;
pub use report::{CheckOutcome, FamilyChecks, Finding, Report};
pub use run::{run, run_with_regions};
pub use spec::{Operation, Spec, SpecError};
pub use transport::{Transport, TransportError};
pub use validate::{Violation, validate_response};
