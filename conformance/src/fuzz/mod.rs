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

mod pattern;
mod request;
mod schema;

use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::report::{Finding, Report};
use crate::run::{Config, RunError};
use crate::session::Session;
use crate::signing::AkSk;
use crate::spec::{Operation, Spec};
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};
pub(crate) use request::concrete_path;
use request::{Case, Model, encode};

/// The ids of the checks the fuzzing reports (besides the response checks).
pub const CHECKS: [&str; 2] = ["C107", "C110"];

/// Random cases per operation when the configuration does not say.
pub const DEFAULT_CASES: usize = 20;
/// Most shrink steps (each one request) spent on one failing case.
pub const MAX_SHRINK_STEPS: usize = 128;

/// A run's fuzzing budget, shared by all its families.
#[derive(Debug, Clone)]
pub struct Budget {
    cases: usize,
    deadline: Option<Instant>,
    /// Operations fuzzed at once.
    workers: usize,
}

impl Budget {
    /// `cases` random cases per operation (0 turns fuzzing off) within `time` overall.
    pub fn new(cases: usize, time: Option<Duration>) -> Self {
        Self { cases, deadline: time.map(|t| Instant::now() + t), workers: 1 }
    }

    /// The same budget, spent by up to `workers` operations at once.
    pub fn with_workers(self, workers: usize) -> Self {
        Self { workers: workers.max(1), ..self }
    }

    pub fn from_config(config: &Config) -> Self {
        Self::new(config.fuzz_cases, config.fuzz_time).with_workers(config.concurrency)
    }

    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

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

/// What every operation's fuzzing shares; `Sync`, so operations can be fuzzed on threads.
struct Ctx<'a> {
    spec: &'a Spec,
    transport: &'a dyn Transport,
    base: &'a str,
    auth: Vec<(String, String)>,
    signer: Option<(AkSk, String)>,
    seed: u64,
    budget: &'a Budget,
    fresh: Vec<String>,
}

/// A check's outcome, recorded by an operation's fuzzer and reported on the family's session
/// once the operation is done.
struct Recorded {
    check: String,
    ok: bool,
    warning: bool,
    req: HttpRequest,
    message: String,
}

impl Ctx<'_> {
    /// Fuzzes one operation: the requests sent and the outcomes to report.
    fn fuzz(&self, op: &Operation) -> Result<(usize, Vec<Recorded>), String> {
        if self.budget.expired() {
            return Ok((0, Vec::new()));
        }
        let model = Model::build(self.spec, op, &self.fresh);
        if model.skip.is_some() {
            return Ok((0, Vec::new()));
        }
        let mut fuzzer =
            Fuzzer { ctx: self, requests: 0, reported: Vec::new(), accepted: 0, out: Vec::new() };
        fuzzer.boundary_phase(&model)?;
        fuzzer.random_phase(&model)?;
        Ok((fuzzer.requests, fuzzer.out))
    }
}

/// The fuzzing phase alone, for every configured family (also those without a semantic suite).
pub fn fuzz_only(config: &Config, transport: &dyn Transport) -> Result<Report, RunError> {
    crate::checks::validate(&config.checks, &config.families)?;
    let budget = Budget::from_config(config);
    let mut report = Report { seed: config.seed, ..Report::default() };
    for family in &config.families {
        let (spec, auth, signer) = crate::run::family_setup(config, *family)?;
        let session = Session::new(&spec, transport, &config.base_url, auth).with_signer(signer);
        let names = format!("imagespec-{:x}-{}", config.seed, crate::run::run_nonce());
        let sent = phase(&session, transport, &config.base_url, config.seed, &names, &budget)
            .map_err(RunError::Unreachable)?;
        crate::methods::phase(&session, &names).map_err(RunError::Unreachable)?;
        let mut part = session.into_report().map_err(RunError::Unreachable)?;
        part.requests += sent;
        report.absorb(family.name(), part);
    }
    report.retain_checks(|id| config.selects(id));
    Ok(report)
}

/// Names of this run for resources a request with side effects addresses, in the spellings
/// common naming rules accept (the first that a schema takes is used).
pub(crate) fn fresh_names(prefix: &str) -> Vec<String> {
    let base = format!("{prefix}-fz");
    let compact = base.replace('-', "");
    let tail = &compact[compact.len().saturating_sub(8)..];
    vec![
        base.clone(),
        base.replace('-', "_"),
        compact.clone(),
        format!("isfz{tail}"),
        base.to_uppercase().replace('-', "_"),
    ]
}

/// One operation's fuzzing.
struct Fuzzer<'a, 's> {
    ctx: &'a Ctx<'s>,
    requests: usize,
    /// Operation and check (and site, for `C107`) of every failure reported so far.
    reported: Vec<String>,
    /// Requests with side effects the target accepted: from the first on, this run's names
    /// get a counter appended, so the next case does not meet a 409 for the name just used.
    accepted: usize,
    /// Outcomes to report, in the order found.
    out: Vec<Recorded>,
}

struct Exchange {
    req: HttpRequest,
    resp: HttpResponse,
    /// The response checks' findings.
    findings: Vec<Finding>,
}

struct Failure {
    check: String,
    message: String,
    warning: bool,
}

impl Fuzzer<'_, '_> {
    fn record(&mut self, check: &str, ok: bool, warning: bool, req: &HttpRequest, message: String) {
        let req = req.clone();
        self.out.push(Recorded { check: check.to_owned(), ok, warning, req, message });
    }

    fn boundary_phase(&mut self, model: &Model<'_>) -> Result<(), String> {
        let Some(base) = model.minimal_case() else { return Ok(()) };
        let mut cases = Vec::new();
        if model.safe {
            cases.push(base.clone());
            cases.extend(model.positive_boundaries(&base));
        }
        cases.extend((0..model.sites.len()).map(|i| model.negative_boundary(&base, i)));
        for case in cases {
            if self.ctx.budget.expired() {
                break;
            }
            if model.guard(&case) {
                self.exercise(model, case, None, "boundary case")?;
            }
        }
        Ok(())
    }

    fn random_phase(&mut self, model: &Model<'_>) -> Result<(), String> {
        let positive = if model.safe && !model.is_fixed() { model.positive() } else { None };
        let negatives: Vec<BoxedStrategy<Case>> =
            (0..model.sites.len()).filter_map(|i| model.negative(i)).collect();
        let mut runner =
            runner(self.ctx.seed ^ fnv(&format!("{} {}", model.op.method, model.op.path)));
        let (mut sent, mut attempts) = (0, 0);
        while sent < self.ctx.budget.cases && attempts < self.ctx.budget.cases * 8 {
            if self.ctx.budget.expired() {
                break;
            }
            attempts += 1;
            let strategy = match (&positive, negatives.is_empty()) {
                (None, true) => break,
                (Some(p), true) => p,
                (Some(p), false) if attempts % 2 == 1 => p,
                _ => &negatives[pick(&mut runner, negatives.len())],
            };
            let Ok(mut tree) = strategy.new_tree(&mut runner) else { continue };
            let case = tree.current();
            if !model.guard(&case) {
                continue;
            }
            sent += 1;
            self.exercise(model, case, Some(tree.as_mut()), &format!("random case {sent}"))?;
        }
        Ok(())
    }

    /// Sends one case, judges it, and on a new failure shrinks (if it can) and reports.
    fn exercise(
        &mut self,
        model: &Model<'_>,
        case: Case,
        tree: Option<&mut dyn ValueTree<Value = Case>>,
        what: &str,
    ) -> Result<(), String> {
        let exchange = self.send(model, &case)?;
        let failures = self.verdict(model, &case, &exchange);
        let Some(primary) = failures.first().map(|f| f.check.clone()) else {
            let check = if case.site.is_some() { "C107" } else { "C110" };
            self.record(check, true, false, &exchange.req, String::new());
            return Ok(());
        };
        if self.reported.contains(&self.key(model, &case, &primary)) {
            return Ok(());
        }
        let (case, exchange, failures, shrink) = match tree {
            Some(tree) => self.shrink(model, tree, case, exchange, failures, &primary)?,
            None => (case, exchange, failures, "not shrunk: built from the minimal request".into()),
        };
        let kind = if case.site.is_some() { "negative" } else { "positive" };
        for f in failures {
            let key = self.key(model, &case, &f.check);
            if self.reported.contains(&key) {
                continue;
            }
            self.reported.push(key);
            let message =
                format!("{} [fuzz: {kind} {what}; {shrink}; seed {}]", f.message, self.ctx.seed);
            self.record(&f.check, false, f.warning, &exchange.req, message);
        }
        Ok(())
    }

    /// The smallest case the value tree reaches that still fails `primary`.
    fn shrink(
        &mut self,
        model: &Model<'_>,
        tree: &mut dyn ValueTree<Value = Case>,
        case: Case,
        exchange: Exchange,
        failures: Vec<Failure>,
        primary: &str,
    ) -> Result<(Case, Exchange, Vec<Failure>, String), String> {
        let mut best = (case, exchange, failures);
        let (mut steps, mut kept) = (0, 0);
        if tree.simplify() {
            while steps < MAX_SHRINK_STEPS && !self.ctx.budget.expired() {
                steps += 1;
                let candidate = tree.current();
                let fails = if candidate == best.0 {
                    true
                } else if model.guard(&candidate) {
                    let exchange = self.send(model, &candidate)?;
                    let failures = self.verdict(model, &candidate, &exchange);
                    let fails = failures.iter().any(|f| f.check == primary);
                    if fails {
                        kept += 1;
                        best = (candidate, exchange, failures);
                    }
                    fails
                } else {
                    false
                };
                let more = if fails { tree.simplify() } else { tree.complicate() };
                if !more {
                    break;
                }
            }
        }
        let note = format!("shrunk in {steps} step(s), {kept} kept");
        Ok((best.0, best.1, best.2, note))
    }

    fn key(&self, model: &Model<'_>, case: &Case, check: &str) -> String {
        let op = format!("{} {}", model.op.method, model.op.path);
        match case.site {
            Some(i) if check == "C107" => format!("{op} {check} {}", model.sites[i].label),
            _ => format!("{op} {check}"),
        }
    }

    /// `C107` for a negative case that was not refused with a 4xx, then the response checks.
    fn verdict(&self, model: &Model<'_>, case: &Case, exchange: &Exchange) -> Vec<Failure> {
        let mut out = Vec::new();
        let status = exchange.resp.status;
        if let Some(i) = case.site
            && !(400..500).contains(&status)
        {
            let site = &model.sites[i];
            out.push(Failure {
                check: "C107".into(),
                message: format!(
                    "{}: a request the spec makes invalid was answered {status}, not a 4xx",
                    site.label
                ),
                warning: site.site.lenient && status < 500,
            });
        }
        if case.site.is_none()
            && let Some(why) = model.undocumented_refusal(self.ctx.spec, case, status)
        {
            out.push(Failure { check: "C110".into(), message: why, warning: false });
        }
        out.extend(exchange.findings.iter().map(|f| Failure {
            check: f.check.clone(),
            message: f.message.clone(),
            warning: f.warning,
        }));
        out
    }

    /// Sends `case` through a probe session (same spec, transport and credentials as the
    /// family's session; its findings are judged here, not recorded).
    fn send(&mut self, model: &Model<'_>, case: &Case) -> Result<Exchange, String> {
        let encoded = model.encode(case);
        let headers: Vec<(&str, &str)> =
            encoded.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut body = encoded.body.as_ref().map(|(media, bytes)| (media.as_str(), bytes.clone()));
        if let (Some((_, bytes)), false, true) = (&mut body, model.safe, self.accepted > 0)
            && let Ok(mut v) = serde_json::from_slice::<Value>(bytes)
        {
            renumber(&mut v, self.accepted);
            *bytes = v.to_string().into_bytes();
        }
        let exchange = self.probe(&model.op.method, &encoded.target, &headers, body)?;
        self.cleanup(model, &exchange)?;
        Ok(exchange)
    }

    fn probe(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Exchange, String> {
        let quiet = Quiet(self.ctx.transport);
        let probe = Session::new(self.ctx.spec, &quiet, self.ctx.base, self.ctx.auth.clone())
            .with_signer(self.ctx.signer.clone());
        let answer = probe.call_with(method, target, headers, body);
        let report = probe.into_report()?;
        self.requests += report.requests;
        let (req, resp) = answer.ok_or_else(|| format!("{method} {target}: no answer"))?;
        Ok(Exchange { req, resp, findings: report.findings })
    }

    /// After a request with side effects was accepted: deletes what it created, best effort.
    fn cleanup(&mut self, model: &Model<'_>, exchange: &Exchange) -> Result<(), String> {
        if model.safe || !(200..300).contains(&exchange.resp.status) {
            return Ok(());
        }
        self.accepted += 1;
        let spec = self.ctx.spec;
        let path = exchange.req.target.split('?').next().unwrap_or_default().to_owned();
        let deletable = |p: &str| spec.find("DELETE", p).is_some();
        let mut target = exchange
            .resp
            .header("location")
            .map(|l| without_origin(l).to_owned())
            .filter(|l| deletable(l));
        if target.is_none() && model.op.method == "POST" {
            let sent: Value = serde_json::from_slice(&exchange.req.body).unwrap_or_default();
            target = created_id(&exchange.resp.json())
                .or_else(|| sent.get("name").and_then(Value::as_str).map(str::to_owned))
                .map(|id| format!("{path}/{}", encode(&id)))
                .filter(|t| deletable(t));
        }
        if target.is_none() && model.op.method == "PUT" && deletable(&path) {
            target = Some(path);
        }
        if let Some(t) = target {
            self.probe("DELETE", &t, &[], None)?;
        }
        Ok(())
    }
}

/// The run's transport without its finding observer: a probe's findings are not the run's
/// until the fuzzer reports them on the family's session.
struct Quiet<'a>(&'a dyn Transport);

impl Transport for Quiet<'_> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0.send(request)
    }
}

/// Appends `n` to this run's names in identity-like properties of a body.
fn renumber(v: &mut Value, n: usize) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(s)
                        if schema::identity(k)
                            && (s.to_ascii_lowercase().starts_with("imagespec")
                                || s.starts_with("isfz")) =>
                    {
                        s.push_str(&format!("{n}"));
                    }
                    other => renumber(other, n),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| renumber(i, n)),
        _ => {}
    }
}

/// The id an answer gives the resource it created: `id` at the top or one level down.
fn created_id(body: &Value) -> Option<String> {
    let id = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_owned);
    id(body).or_else(|| body.as_object()?.values().find_map(id))
}

fn without_origin(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    }
}

/// The random phase's runner: every field set explicitly, since proptest's defaults read
/// `PROPTEST_*` environment variables.
fn runner(seed: u64) -> TestRunner {
    schema::fixed_runner(seed)
}

fn pick(runner: &mut TestRunner, n: usize) -> usize {
    (0..n).new_tree(runner).map_or(0, |t| t.current())
}

/// FNV-1a, to give each operation its own stream of the run's seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[cfg(test)]
mod tests;
