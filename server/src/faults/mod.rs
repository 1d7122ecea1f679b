//! Fault injection, for people testing their clients (retries, timeouts, async polling) against
//! the fake: per family and operation, latency, errors in the family's own envelope (429 and 503
//! with `Retry-After`, 500), dropped connections and Snowflake's 202 answers, drawn from a seeded
//! generator. Off by default; set by `--fault` and `--fault-seed`, and at run time through
//! `/admin/faults` ([`Admin`]), which is not part of any vendor spec.
//!
//! A [`Plan`] is a seed and a list of [`Rule`]s. For each request that reaches an operation, the
//! first rule whose family and operation match decides (later rules are not consulted, so a rule
//! with no settings exempts an operation from the rules after it): it waits the rule's latency,
//! then draws one number in `[0, 1)` and picks 429, 500, 503, a dropped connection, Snowflake's
//! 202, or the normal answer, by the rule's probabilities in that order. The generator is
//! [`StdRng`](rand::rngs::StdRng) seeded with the plan's seed, restarted whenever a plan is
//! installed, so the same seed and the same sequence of requests give the same faults (with the
//! same build: `rand`'s `StdRng` is only reproducible within one version, which `Cargo.lock`
//! pins).
//!
//! [`Inject`] is the middleware. Each family puts it after its authentication and contract
//! guard and before its body checks and routes (see ARCHITECTURE.md), inside the family's error
//! converter and request id, so an injected error ([`Injected`]) is rendered by that family's
//! `error::convert` in its real envelope, with its request-id header. An `async` fault only
//! marks the request ([`Deferred`]); the family's own 202 layer reads the mark. With no rules
//! the middleware reads one atomic flag and nothing else.
//!
//! The files, one concept each: `rule.rs` (a rule and its checks), `syntax.rs` (the `--fault`
//! flag form), `plan.rs` (the plan and its seeded generator), `inject.rs` (the middleware),
//! `admin.rs` (`/admin/faults`), `families.rs` (the families and operations a rule may name).

mod admin;
mod families;
mod inject;
mod plan;
mod rule;
mod syntax;

pub use admin::{ADMIN_PATH, Admin, owns_admin};
pub use inject::{Deferred, Inject, InjectEndpoint, Injected};
pub use plan::{Decision, Fault, Faults, Plan};
pub use rule::{Errors, FaultError, Latency, MAX_LATENCY_MS, Rule};
