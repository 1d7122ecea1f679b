//! The spec-driven fuzzing phase: requests generated at run time from each operation's
//! parameter and body schemas, positive (valid) and negative (one constraint broken), sent
//! through the family's [`Session`] checks, failures shrunk to a minimal request.
//!
//! **Phases, per operation.** First a deterministic *boundary* phase from a minimal base
//! request (required parameters and body at their simplest valid values): the base itself, then
//! each parameter at each bound, enum member, shortest and longest string, smallest and largest
//! array; then every negative site at its boundary value (just outside each bound, the empty
//! string under `minLength`, an enum outsider, a pattern broken by one ASCII character, a
//! wrong type, a required parameter, property or body left out, an unknown property under
//! `additionalProperties: false`). Then a *random* phase: up to [`Budget`]'s case count per
//! operation, drawn by a proptest `TestRunner` seeded from the run's seed and the operation, so
//! a seed reproduces every generated value (only the run's resource names differ). Every generated case is checked with `jsonschema` against the
//! spec's own schemas before it is sent: a positive case must validate, a negative case must
//! fail exactly where it was broken (integer-format ranges, which `jsonschema` does not see,
//! excepted) and validate everywhere else.
//!
//! **Bounded side effects.** Positive cases are sent only to GET and HEAD. POST, PUT, PATCH and
//! DELETE get negative cases only, which a conforming target refuses without doing anything;
//! their path parameters and identity-like body properties (`name`, `namespace`, `repository`,
//! `*_name`) carry this run's names (`imagespec-<seed>-<nonce>-fz`, the nonce as in the suites'
//! names), never generated ones, so even a target that wrongly accepts cannot touch someone
//! else's resource, nor meet the leftovers of an earlier run. An accepted negative case
//! is a finding, and the tester then deletes what the answer names (the `Location` header, an
//! `id` in the body, or the `name` it sent) where the spec has a DELETE for it, best effort.
//! Path parameters of positive GET cases are generated, so a 404 there is an expected answer.
//!
//! **Checks.** Every exchange goes through a [`Session`], so the response checks `C100`–`C105`
//! apply to every case. `C107`: a negative case (a request that breaks the schema) must be
//! answered with a 4xx, neither a 2xx/3xx (accepted) nor a 5xx. `C110`: a positive case (only
//! GET/HEAD get them) refused with a 4xx is a violation unless the spec documents that refusal
//! for that input, since a 4xx to a valid request is often right (404 for a generated id, 400
//! for a rule the schema cannot express, such as Glance's `name=a:b` operator syntax). Documented
//! are 401 and 403 (credentials and policy, not data), 409 (state), 404 where the path has a
//! parameter, and any status that a parameter present in the request, the operation's
//! description or that status's response description gives by number (or whose response
//! description names a present parameter). Create operations get no positive cases: valid
//! bodies are the semantic suites' business, which create under the run's prefix and delete.
//!
//! **Leniency (no false positives).** A `C107` miss is only a warning where the spec leaves the
//! behaviour open: the broken schema's (or its parameter's) description makes a `Choice:`, the
//! value is an empty query parameter (often read as absent), the constraint is an integer
//! format's range (`format` is an annotation in JSON Schema 2020-12), it is a number or boolean
//! sent for a string (JSON bindings such as Jackson and poem-openapi coerce those), or it is an
//! undeclared query parameter under `x-unknown-query-parameters: reject`. A 5xx is never
//! lenient. Strings without constraints have no negative case; neither do query strings for
//! "wrong type" (every query value is text); the strict wrong-type values are ones no common
//! coercion accepts (never `null`, a numeric string for a number, or `0`/`1` for a boolean; an
//! object or array for a string). Negative strings are ASCII, so servers that count bytes or
//! UTF-16 units agree on lengths, and a space never sits at a value's edge, where trimming
//! would repair it. Once the target has accepted a request with side effects, the run's names
//! get a counter in that operation's later requests, so that the next case (or shrink step)
//! does not meet a 409 for the name just used (per operation, so that operations fuzzed at
//! once, `--concurrency`, send the same requests as one after another).
//!
//! **Shrinking.** A failing random case is shrunk with proptest's value tree
//! (`simplify`/`complicate`), resending the request at each step, at most
//! [`MAX_SHRINK_STEPS`] steps (GET/HEAD cases and negative cases only, so each step is safe); the
//! finding's curl line is the smallest request that still fails the same check, and its message
//! gives the shrink steps and the seed. One finding per operation and check (per site for
//! `C107`).
//!
//! **Modules.** The requests come from [`crate::generate`]. Here, leaves first: `budget` bounds
//! the phase, `refusal` is `C110`'s rule, `cleanup` undoes an accepted side effect, and
//! `fuzzer` fuzzes one operation with them; this module runs every operation of a spec.

mod budget;
mod cleanup;
mod fuzzer;
mod refusal;

pub use crate::config::DEFAULT_CASES;
use crate::config::{Config, RunError};
use crate::names::{self, fresh_names};
use crate::report::Report;
use crate::session::Session;
use crate::transport::Transport;
use crate::{checks, methods};
pub use budget::Budget;
use fuzzer::Ctx;
pub use fuzzer::MAX_SHRINK_STEPS;

/// Fuzzes every operation of `session`'s spec; findings go to `session`. `names` is the run's
/// resource prefix (`imagespec-<seed>-<nonce>`), the root of the names requests with side
/// effects use. Returns the number of requests sent (they are sent through probe sessions, so that only the shrunk request of a
/// failure is reported), or the transport's error when the target stopped answering.
///
/// With [`Budget::with_workers`] above 1, that many operations are fuzzed at once, each on its
/// own thread; every operation's findings are still reported in spec order, so a seed gives the
/// same report whatever the concurrency.
pub fn phase(
    session: &Session<'_>,
    transport: &dyn Transport,
    base_url: &str,
    seed: u64,
    names: &str,
    budget: &Budget,
) -> Result<usize, String> {
    if budget.cases == 0 {
        return Ok(0);
    }
    let fresh = fresh_names(names);
    let ctx = Ctx {
        spec: session.spec,
        transport,
        base: base_url,
        auth: session.auth_headers().to_vec(),
        signer: session.signer(),
        seed,
        budget,
        fresh,
    };
    let ops = session.spec.operations();
    let results = if budget.workers <= 1 {
        let mut results = Vec::new();
        for op in ops {
            let result = ctx.fuzz(op);
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        results
    } else {
        in_parallel(ops.len(), budget.workers, |i| ctx.fuzz(&ops[i]))
    };
    let mut requests = 0;
    for result in results {
        let (sent, recorded) = result?;
        requests += sent;
        for r in recorded {
            match (r.ok, r.warning) {
                (true, _) => session.expect(&r.check, true, &r.req, String::new),
                (false, true) => session.lenient(&r.check, false, &r.req, || r.message),
                (false, false) => session.expect(&r.check, false, &r.req, || r.message),
            }
        }
    }
    Ok(requests)
}

/// `f(0..n)` on up to `workers` threads, the results in index order.
fn in_parallel<T: Send>(n: usize, workers: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<T>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.min(n) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let value = f(i);
                    *slots[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(value);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|s| s.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
        .collect()
}

/// The fuzzing phase alone, for every configured family (also those without a semantic suite).
pub fn fuzz_only(config: &Config, transport: &dyn Transport) -> Result<Report, RunError> {
    checks::validate(&config.checks, &config.families)?;
    let budget = Budget::from_config(config);
    let mut report = Report { seed: config.seed, ..Report::default() };
    for family in &config.families {
        let target = config.target(*family)?;
        let session = target.session(transport);
        let prefix = names::prefix(config.seed);
        let sent = phase(&session, transport, &config.base_url, config.seed, &prefix, &budget)
            .map_err(RunError::Unreachable)?;
        methods::phase(&session, &prefix).map_err(RunError::Unreachable)?;
        let mut part = session.into_report().map_err(RunError::Unreachable)?;
        part.requests += sent;
        report.absorb(family.name(), part);
    }
    report.retain_checks(|id| config.selects(id));
    Ok(report)
}

#[cfg(test)]
mod tests;
