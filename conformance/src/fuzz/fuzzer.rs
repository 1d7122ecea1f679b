//! One operation's fuzzing: the boundary phase, the random phase, the verdict on each exchange,
//! shrinking a failure to a minimal request, and cleaning up after an accepted side effect.

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

use super::budget::Budget;
use super::cleanup::{created_id, renumber, without_origin};
use super::refusal;
use crate::exchange::{HttpRequest, HttpResponse};
use crate::generate::{Case, Model, encode, fixed_runner};
use crate::report::Finding;
use crate::session::Session;
use crate::signing::AkSk;
use crate::spec::{Operation, Spec};
use crate::transport::{Transport, TransportError};

/// Most shrink steps (each one request) spent on one failing case.
pub const MAX_SHRINK_STEPS: usize = 128;

/// What every operation's fuzzing shares; `Sync`, so operations can be fuzzed on threads.
pub(super) struct Ctx<'a> {
    pub(super) spec: &'a Spec,
    pub(super) transport: &'a dyn Transport,
    pub(super) base: &'a str,
    pub(super) auth: Vec<(String, String)>,
    pub(super) signer: Option<(AkSk, String)>,
    pub(super) seed: u64,
    pub(super) budget: &'a Budget,
    pub(super) fresh: Vec<String>,
}

/// A check's outcome, recorded by an operation's fuzzer and reported on the family's session
/// once the operation is done.
pub(super) struct Recorded {
    pub(super) check: String,
    pub(super) ok: bool,
    pub(super) warning: bool,
    pub(super) req: HttpRequest,
    pub(super) message: String,
}

impl Ctx<'_> {
    /// Fuzzes one operation: the requests sent and the outcomes to report.
    pub(super) fn fuzz(&self, op: &Operation) -> Result<(usize, Vec<Recorded>), String> {
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
            && let Some(why) = refusal::undocumented(model, self.ctx.spec, case, status)
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

/// The random phase's runner: every field set explicitly, since proptest's defaults read
/// `PROPTEST_*` environment variables.
pub(super) fn runner(seed: u64) -> TestRunner {
    fixed_runner(seed)
}

fn pick(runner: &mut TestRunner, n: usize) -> usize {
    (0..n).new_tree(runner).map_or(0, |t| t.current())
}

/// FNV-1a, to give each operation its own stream of the run's seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}
