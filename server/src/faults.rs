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
//! [`StdRng`] seeded with the plan's seed, restarted whenever a plan is installed, so the same
//! seed and the same sequence of requests give the same faults (with the same build: `rand`'s
//! `StdRng` is only reproducible within one version, which `Cargo.lock` pins).
//!
//! [`Inject`] is the middleware. Each family puts it after its authentication and contract
//! guard and before its body checks and routes (see ARCHITECTURE.md), inside the family's error
//! converter and request id, so an injected error ([`Injected`]) is rendered by that family's
//! `error::convert` in its real envelope, with its request-id header. With no rules the
//! middleware reads one atomic flag and nothing else.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response,
    error::ResponseError,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::auth::Credentials;
use crate::contract::Contract;
use crate::snowflake::deferral::ASYNC_HEADER;

/// Where the admin endpoint is served (on the main address).
pub const ADMIN_PATH: &str = "/admin/faults";
/// The longest latency a rule may ask for, in milliseconds (ten minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;
/// The largest admin request body accepted.
const ADMIN_BODY_LIMIT: usize = 1 << 20;

/// The families a rule may name (or `*`).
const FAMILIES: [&str; 4] = ["glance", "swr", "cce", "snowflake"];

/// A family's operation table.
fn contract(family: &str) -> Option<&'static Contract> {
    match family {
        "glance" => Some(&crate::glance::generated::api::CONTRACT),
        "swr" => Some(&crate::swr::generated::api::CONTRACT),
        "cce" => Some(&crate::cce::generated::api::CONTRACT),
        "snowflake" => Some(&crate::snowflake::generated::api::CONTRACT),
        _ => None,
    }
}

/// Why a rule or plan is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    #[error("`{0}` is not a family (glance, swr, cce, snowflake or *)")]
    UnknownFamily(String),
    #[error("`{family}` has no operation `{operation}`; its operations: {known}")]
    UnknownOperation { family: String, operation: String, known: String },
    #[error("`{key}` must be a probability from 0 to 1, not {value}")]
    Probability { key: &'static str, value: f64 },
    #[error("the probabilities of one rule add up to {0}, more than 1")]
    Sum(f64),
    #[error("`async` is Snowflake's 202 protocol: the rule's family must be snowflake")]
    AsyncNotSnowflake,
    #[error("latency: {0}")]
    Latency(String),
    #[error("{0}")]
    Syntax(String),
    #[error("rule {index}: {source}")]
    InRule { index: usize, source: Box<FaultError> },
}

/// A latency range in milliseconds; `min == max` is a fixed latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    pub min: u64,
    pub max: u64,
}

/// The probability of each injected error status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    /// 429 Too Many Requests, with `Retry-After`.
    #[serde(rename = "429", default, skip_serializing_if = "is_zero")]
    pub too_many_requests: f64,
    /// 500 Internal Server Error.
    #[serde(rename = "500", default, skip_serializing_if = "is_zero")]
    pub internal: f64,
    /// 503 Service Unavailable, with `Retry-After`.
    #[serde(rename = "503", default, skip_serializing_if = "is_zero")]
    pub unavailable: f64,
}

impl Errors {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn is_zero(p: &f64) -> bool {
    *p == 0.0
}

fn default_retry_after() -> u32 {
    1
}

/// One rule: which requests (family and operation, each may be `*`) and what happens to them.
///
/// As JSON (the admin endpoint): `{"family": "glance", "operation": "list_images",
/// "latency_ms": {"min": 50, "max": 200}, "errors": {"429": 0.05, "503": 0.1}, "drop": 0.01,
/// "retry_after": 1}`, and `"async": 0.5` for Snowflake. As a flag, see [`Rule::from_str`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub family: String,
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Latency>,
    #[serde(default, skip_serializing_if = "Errors::is_empty")]
    pub errors: Errors,
    /// The probability of closing the connection without an answer.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drop: f64,
    /// The probability of answering with Snowflake's 202 protocol (Snowflake rules only).
    #[serde(rename = "async", default, skip_serializing_if = "is_zero")]
    pub asynchronous: f64,
    /// The `Retry-After` of injected 429s and 503s, in seconds.
    #[serde(default = "default_retry_after")]
    pub retry_after: u32,
}

impl Rule {
    /// A rule for `family` and `operation` that changes nothing yet.
    pub fn new(family: &str, operation: &str) -> Self {
        Self {
            family: family.to_owned(),
            operation: operation.to_owned(),
            latency_ms: None,
            errors: Errors::default(),
            drop: 0.0,
            asynchronous: 0.0,
            retry_after: default_retry_after(),
        }
    }

    /// Checks names, probabilities and the latency range.
    pub fn validate(&self) -> Result<(), FaultError> {
        let family = self.family.as_str();
        if family != "*" && !FAMILIES.contains(&family) {
            return Err(FaultError::UnknownFamily(self.family.clone()));
        }
        if self.operation != "*" {
            let families: Vec<&str> = if family == "*" { FAMILIES.to_vec() } else { vec![family] };
            let known = families
                .iter()
                .filter_map(|f| contract(f))
                .any(|c| c.operations.iter().any(|op| op.id == self.operation));
            if !known {
                let ops: Vec<&str> = families
                    .iter()
                    .filter_map(|f| contract(f))
                    .flat_map(|c| c.operations.iter().map(|op| op.id))
                    .collect();
                return Err(FaultError::UnknownOperation {
                    family: self.family.clone(),
                    operation: self.operation.clone(),
                    known: ops.join(", "),
                });
            }
        }
        let mut sum = 0.0;
        for (key, value) in self.probabilities() {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultError::Probability { key, value });
            }
            sum += value;
        }
        // A little slack for sums like 0.1 + 0.2 + 0.7.
        if sum > 1.0 + 1e-9 {
            return Err(FaultError::Sum(sum));
        }
        if self.asynchronous > 0.0 && family != "snowflake" {
            return Err(FaultError::AsyncNotSnowflake);
        }
        if let Some(Latency { min, max }) = self.latency_ms {
            if min > max {
                return Err(FaultError::Latency(format!("{min}..{max}: the minimum is larger")));
            }
            if max > MAX_LATENCY_MS {
                return Err(FaultError::Latency(format!(
                    "{max} ms is more than the {MAX_LATENCY_MS} ms allowed"
                )));
            }
        }
        Ok(())
    }

    /// Each outcome's probability, in the order a draw tries them.
    fn probabilities(&self) -> [(&'static str, f64); 5] {
        [
            ("429", self.errors.too_many_requests),
            ("500", self.errors.internal),
            ("503", self.errors.unavailable),
            ("drop", self.drop),
            ("async", self.asynchronous),
        ]
    }

    fn matches(&self, family: &str, operation: &str) -> bool {
        (self.family == "*" || self.family == family)
            && (self.operation == "*" || self.operation == operation)
    }

    /// What happens to one request: the latency (drawn first when it is a range), then one roll.
    fn decide(&self, rng: &mut StdRng) -> Decision {
        let latency = match self.latency_ms {
            Some(Latency { min, max }) if max > min => rng.random_range(min..=max),
            Some(Latency { min, .. }) => min,
            None => 0,
        };
        let roll: f64 = rng.random();
        let retry_after = Some(self.retry_after);
        let outcomes = [
            Fault::Error { status: 429, retry_after },
            Fault::Error { status: 500, retry_after: None },
            Fault::Error { status: 503, retry_after },
            Fault::Drop,
            Fault::Async,
        ];
        let mut edge = 0.0;
        let mut fault = Fault::Pass;
        for ((_, p), outcome) in self.probabilities().into_iter().zip(outcomes) {
            edge += p;
            if roll < edge {
                fault = outcome;
                break;
            }
        }
        Decision { latency: Duration::from_millis(latency), fault }
    }
}

/// The flag form: `FAMILY:OPERATION[:SETTING,SETTING...]`, each of `*` for any, and settings
/// `latency=MS` or `latency=MIN..MAX` (milliseconds, an optional `ms` suffix), `429=P`, `500=P`,
/// `503=P`, `drop=P`, `async=P` (Snowflake only) and `retry-after=SECONDS` (default 1), with
/// probabilities P from 0 to 1 that add up to at most 1. For example
/// `glance:list_images:latency=50..200ms,503=0.1,429=0.05,drop=0.01` or `snowflake:*:async=0.5`.
impl FromStr for Rule {
    type Err = FaultError;

    fn from_str(text: &str) -> Result<Self, FaultError> {
        let mut parts = text.splitn(3, ':');
        let family = parts.next().unwrap_or_default().trim();
        let Some(operation) = parts.next().map(str::trim).filter(|o| !o.is_empty()) else {
            return Err(FaultError::Syntax(format!(
                "`{text}`: a rule is FAMILY:OPERATION[:SETTINGS], e.g. \
                 glance:list_images:503=0.1 or snowflake:*:async=0.5"
            )));
        };
        let mut rule = Rule::new(family, operation);
        let mut seen = Vec::new();
        for setting in parts.next().unwrap_or_default().split(',').map(str::trim) {
            if setting.is_empty() {
                continue;
            }
            let Some((key, value)) = setting.split_once('=') else {
                return Err(FaultError::Syntax(format!("`{setting}` is not KEY=VALUE")));
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(FaultError::Syntax(format!("`{key}` is given twice")));
            }
            seen.push(key);
            match key {
                "latency" => rule.latency_ms = Some(latency(value)?),
                "429" => rule.errors.too_many_requests = probability("429", value)?,
                "500" => rule.errors.internal = probability("500", value)?,
                "503" => rule.errors.unavailable = probability("503", value)?,
                "drop" => rule.drop = probability("drop", value)?,
                "async" => rule.asynchronous = probability("async", value)?,
                "retry-after" | "retry_after" => {
                    rule.retry_after = value.parse().map_err(|_| {
                        FaultError::Syntax(format!(
                            "retry-after: `{value}` is not a whole number of seconds"
                        ))
                    })?;
                }
                other => {
                    return Err(FaultError::Syntax(format!(
                        "unknown setting `{other}` (latency, 429, 500, 503, drop, async, \
                         retry-after)"
                    )));
                }
            }
        }
        rule.validate()?;
        Ok(rule)
    }
}

/// `50`, `50ms`, `50..200` or `50..200ms` (either side may carry `ms`).
fn latency(value: &str) -> Result<Latency, FaultError> {
    let ms = |v: &str| -> Result<u64, FaultError> {
        let v = v.trim();
        v.strip_suffix("ms").unwrap_or(v).trim().parse().map_err(|_| {
            FaultError::Latency(format!("`{value}` is not MS or MIN..MAX in milliseconds"))
        })
    };
    match value.split_once("..") {
        Some((min, max)) => Ok(Latency { min: ms(min)?, max: ms(max)? }),
        None => {
            let fixed = ms(value)?;
            Ok(Latency { min: fixed, max: fixed })
        }
    }
}

fn probability(key: &'static str, value: &str) -> Result<f64, FaultError> {
    let p: f64 = value.parse().map_err(|_| {
        FaultError::Syntax(format!("`{key}`: `{value}` is not a number from 0 to 1"))
    })?;
    if !(0.0..=1.0).contains(&p) {
        return Err(FaultError::Probability { key, value: p });
    }
    Ok(p)
}

/// The flag form again (what [`Rule::from_str`] reads back to the same rule).
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut settings = Vec::new();
        match self.latency_ms {
            Some(Latency { min, max }) if min == max => settings.push(format!("latency={min}ms")),
            Some(Latency { min, max }) => settings.push(format!("latency={min}..{max}ms")),
            None => {}
        }
        for (key, p) in self.probabilities() {
            if p > 0.0 {
                settings.push(format!("{key}={p}"));
            }
        }
        if self.retry_after != default_retry_after() {
            settings.push(format!("retry-after={}", self.retry_after));
        }
        write!(f, "{}:{}", self.family, self.operation)?;
        if !settings.is_empty() {
            write!(f, ":{}", settings.join(","))?;
        }
        Ok(())
    }
}

/// The rules in force and the seed their draws start from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub seed: u64,
    pub rules: Vec<Rule>,
}

impl Plan {
    pub fn validate(&self) -> Result<(), FaultError> {
        for (i, rule) in self.rules.iter().enumerate() {
            rule.validate()
                .map_err(|source| FaultError::InRule { index: i, source: Box::new(source) })?;
        }
        Ok(())
    }
}

/// What the middleware does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub latency: Duration,
    pub fault: Fault,
}

/// The outcome of a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The normal answer (after the latency).
    Pass,
    /// An error in the family's envelope; 429 and 503 carry `Retry-After`.
    Error { status: u16, retry_after: Option<u32> },
    /// The connection is closed without an answer.
    Drop,
    /// Snowflake's 202 protocol for this request.
    Async,
}

/// The fault plan every listener shares: cheap to clone, off until rules are installed.
#[derive(Clone, Default)]
pub struct Faults(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// Whether any rule is installed: the only thing a request reads when none is.
    active: AtomicBool,
    armed: Mutex<Armed>,
}

struct Armed {
    plan: Plan,
    rng: StdRng,
}

impl Default for Armed {
    fn default() -> Self {
        Self { plan: Plan::default(), rng: StdRng::seed_from_u64(0) }
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Faults").field(&self.plan()).finish()
    }
}

impl Faults {
    /// A plan in force from the start (the server's flags).
    pub fn new(plan: Plan) -> Result<Self, FaultError> {
        let faults = Self::default();
        faults.set(plan)?;
        Ok(faults)
    }

    /// Replaces the plan and restarts the generator from its seed.
    pub fn set(&self, plan: Plan) -> Result<(), FaultError> {
        plan.validate()?;
        let mut armed = self.lock();
        let active = !plan.rules.is_empty();
        armed.rng = StdRng::seed_from_u64(plan.seed);
        armed.plan = plan;
        self.0.active.store(active, Ordering::Release);
        Ok(())
    }

    /// Removes every rule (the seed stays).
    pub fn clear(&self) {
        let mut armed = self.lock();
        armed.plan.rules.clear();
        self.0.active.store(false, Ordering::Release);
    }

    /// The plan in force.
    pub fn plan(&self) -> Plan {
        self.lock().plan.clone()
    }

    /// Whether any rule is installed.
    pub fn is_active(&self) -> bool {
        self.0.active.load(Ordering::Acquire)
    }

    /// What the first matching rule decides for one request to `family`'s `operation`, drawing
    /// from the shared generator; `None` when no rule matches (and nothing is drawn).
    pub fn decide(&self, family: &str, operation: &str) -> Option<Decision> {
        if !self.is_active() {
            return None;
        }
        let mut armed = self.lock();
        let Armed { plan, rng } = &mut *armed;
        let rule = plan.rules.iter().find(|r| r.matches(family, operation))?;
        Some(rule.decide(rng))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Armed> {
        self.0.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An injected error, raised by [`Inject`] and rendered by the family's error converter, which
/// finishes its response with [`Injected::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected fault: {status}")]
pub struct Injected {
    pub status: u16,
    pub retry_after: Option<u32>,
}

impl ResponseError for Injected {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl Injected {
    /// The family's rendered error with `Retry-After` where due.
    pub fn finish(&self, mut resp: Response) -> Response {
        if let Some(seconds) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}

/// The middleware: finds the request's operation in `contract` (only when rules are installed)
/// and applies the plan's decision for `family`.
pub struct Inject {
    pub faults: Faults,
    pub family: &'static str,
    pub contract: &'static Contract,
}

impl<E: Endpoint> Middleware<E> for Inject {
    type Output = InjectEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        InjectEndpoint {
            inner,
            faults: self.faults.clone(),
            family: self.family,
            contract: self.contract,
        }
    }
}

pub struct InjectEndpoint<E> {
    inner: E,
    faults: Faults,
    family: &'static str,
    contract: &'static Contract,
}

impl<E: Endpoint> Endpoint for InjectEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let decision = if self.faults.is_active() {
            self.contract
                .check(req.method().as_str(), req.uri().path(), req.uri().query())
                .ok()
                .and_then(|op| Some((op.id, self.faults.decide(self.family, op.id)?)))
        } else {
            None
        };
        let Some((operation, decision)) = decision else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        if decision.fault != Fault::Pass || !decision.latency.is_zero() {
            tracing::info!(
                target: "imagespec::faults",
                family = self.family,
                operation,
                fault = ?decision.fault,
                latency_ms = decision.latency.as_millis() as u64,
            );
        }
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        match decision.fault {
            Fault::Pass => {}
            Fault::Error { status, retry_after } => {
                return Err(Injected { status, retry_after }.into());
            }
            Fault::Drop => return Ok(dropped()),
            Fault::Async => {
                req.headers_mut().insert(ASYNC_HEADER, HeaderValue::from_static("true"));
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// A response whose body fails before its first byte, so the connection is closed without an
/// HTTP answer. The declared length matters: hyper aborts a body that fails, but poem polls the
/// connection once more, and hyper would then end an unknown-length (chunked) body cleanly,
/// flushing the head; a body shorter than its `Content-Length` cannot be ended, so the
/// connection is closed with the head still unsent (`a_dropped_connection_gets_no_http_answer`).
/// The access log records it as 444 ([`crate::middleware::NoAnswer`]).
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("connection dropped by fault injection"))
    });
    let mut resp = Response::builder()
        .header(header::CONTENT_LENGTH, 1)
        .body(Body::from_bytes_stream(failing));
    resp.extensions_mut().insert(crate::middleware::NoAnswer);
    resp
}

/// Whether a path is the admin endpoint's.
pub fn owns_admin(path: &str) -> bool {
    path.strip_prefix(ADMIN_PATH).is_some_and(|rest| rest.is_empty() || rest == "/")
}

/// `GET /admin/faults` (the plan), `PUT` (replace it: `{"seed"?, "rules"}`; the generator
/// restarts from the seed, the current one when none is given) and `DELETE` (remove every
/// rule). Only for principals with the `admin` role, by `X-Auth-Token`; every answer is JSON,
/// errors `{"message"}`.
pub struct Admin {
    pub faults: Faults,
    pub credentials: Arc<Credentials>,
}

/// The body of a `PUT`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    #[serde(default)]
    seed: Option<u64>,
    rules: Vec<Rule>,
}

impl Endpoint for Admin {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let principal = match crate::admin::require_admin(&self.credentials, &req) {
            Ok(principal) => principal,
            Err(refused) => return Ok(refused.into_response()),
        };
        match req.method().as_str() {
            "GET" => {}
            "PUT" => {
                let bytes = match req.take_body().into_bytes_limit(ADMIN_BODY_LIMIT).await {
                    Ok(b) => b,
                    Err(e) => return Ok(refuse(e.status(), &format!("reading the body: {e}"))),
                };
                let replace: Replace = match serde_json::from_slice(&bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        return Ok(refuse(
                            StatusCode::BAD_REQUEST,
                            &format!("not a fault plan: {e}"),
                        ));
                    }
                };
                let seed = replace.seed.unwrap_or_else(|| self.faults.plan().seed);
                if let Err(e) = self.faults.set(Plan { seed, rules: replace.rules }) {
                    return Ok(refuse(StatusCode::BAD_REQUEST, &e.to_string()));
                }
                tracing::info!(target: "imagespec::faults", by = %principal.name, "plan replaced");
            }
            "DELETE" => {
                self.faults.clear();
                tracing::info!(target: "imagespec::faults", by = %principal.name, "plan cleared");
            }
            _ => {
                let mut resp = refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &format!("{} is not allowed on {ADMIN_PATH}", req.method()),
                );
                resp.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, PUT, DELETE"));
                return Ok(resp);
            }
        }
        Ok(Json(self.faults.plan()).into_response())
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "message": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_flag_form_reads_every_setting() {
        let r = rule("glance:list_images:latency=50..200ms,503=0.1,429=0.05,drop=0.01");
        assert_eq!((r.family.as_str(), r.operation.as_str()), ("glance", "list_images"));
        assert_eq!(r.latency_ms, Some(Latency { min: 50, max: 200 }));
        assert_eq!(r.errors, Errors { too_many_requests: 0.05, internal: 0.0, unavailable: 0.1 });
        assert_eq!((r.drop, r.asynchronous, r.retry_after), (0.01, 0.0, 1));
        let r = rule("snowflake:*:async=0.5");
        assert_eq!((r.operation.as_str(), r.asynchronous), ("*", 0.5));
        let r = rule("*:*:latency=30,500=1,retry-after=7");
        assert_eq!((r.latency_ms, r.errors.internal), (Some(Latency { min: 30, max: 30 }), 1.0));
        assert_eq!(r.retry_after, 7);
        assert_eq!(rule("cce:show_image_cache"), Rule::new("cce", "show_image_cache"));
        assert_eq!(rule("swr:*:latency=5ms..9ms").latency_ms, Some(Latency { min: 5, max: 9 }));
    }

    #[test]
    fn the_flag_form_round_trips_through_display() {
        for text in [
            "glance:list_images:latency=50..200ms,429=0.05,503=0.1,drop=0.01",
            "snowflake:*:async=0.5",
            "*:*:latency=30ms,500=1,retry-after=7",
            "cce:show_image_cache",
        ] {
            assert_eq!(rule(text).to_string(), text);
            assert_eq!(rule(&rule(text).to_string()), rule(text));
        }
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let err = |text: &str| text.parse::<Rule>().expect_err(text).to_string();
        assert!(err("glance").contains("FAMILY:OPERATION"));
        assert!(err("nova:*").contains("`nova` is not a family"));
        let unknown = err("glance:list_imagez:503=1");
        assert!(unknown.contains("no operation `list_imagez`") && unknown.contains("list_images"));
        assert!(err("*:nothing").contains("no operation"));
        assert!(err("cce:*:503=1.5").contains("probability from 0 to 1"));
        assert!(err("cce:*:503=-0.1").contains("probability"));
        assert!(err("cce:*:503=NaN").contains("probability"));
        assert!(err("cce:*:503=lots").contains("not a number"));
        assert!(err("cce:*:503=0.6,429=0.6").contains("add up to"));
        assert!(err("cce:*:async=0.5").contains("snowflake"));
        assert!(err("*:*:async=0.5").contains("snowflake"));
        assert!(err("cce:*:latency=9..5").contains("minimum is larger"));
        assert!(err("cce:*:latency=fast").contains("milliseconds"));
        assert!(err("cce:*:latency=700000").contains("more than"));
        assert!(err("cce:*:404=0.5").contains("unknown setting `404`"));
        assert!(err("cce:*:503").contains("KEY=VALUE"));
        assert!(err("cce:*:503=0.1,503=0.2").contains("twice"));
        assert!(err("cce:*:retry-after=soon").contains("seconds"));
        // Operation ids are checked against the named family only.
        assert!(err("cce:list_images").contains("no operation"));
        assert!(rule("*:list_images").validate().is_ok());
    }

    #[test]
    fn json_rules_refuse_unknown_fields_and_bad_values() {
        let parse = |v: serde_json::Value| serde_json::from_value::<Rule>(v);
        let r = parse(serde_json::json!({
            "family": "swr", "operation": "*", "errors": {"503": 0.25}, "latency_ms": {"min": 1, "max": 2}
        }))
        .expect("a rule");
        assert_eq!((r.errors.unavailable, r.retry_after), (0.25, 1));
        assert_eq!(
            serde_json::to_value(&r).expect("json")["errors"],
            serde_json::json!({"503": 0.25})
        );
        let unknown = parse(serde_json::json!({"family": "swr", "operation": "*", "dorp": 1}));
        assert!(unknown.expect_err("unknown field").to_string().contains("unknown field `dorp`"));
        let status =
            parse(serde_json::json!({"family": "swr", "operation": "*", "errors": {"404": 1}}));
        assert!(status.is_err());
        let plan = Plan {
            seed: 1,
            rules: vec![
                parse(serde_json::json!({"family": "swr", "operation": "*", "drop": 2}))
                    .expect("parses"),
            ],
        };
        let refused = Faults::new(plan).expect_err("out of range").to_string();
        assert!(refused.starts_with("rule 0: `drop` must be a probability"), "{refused}");
    }

    /// The outcomes of `n` draws for one operation.
    fn outcomes(faults: &Faults, n: usize) -> Vec<Fault> {
        (0..n).filter_map(|_| faults.decide("cce", "list_image_caches")).map(|d| d.fault).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults_and_another_seed_others() {
        let plan = |seed| Plan {
            seed,
            rules: vec![rule("cce:*:latency=1..50,429=0.2,500=0.1,503=0.2,drop=0.1")],
        };
        let a = Faults::new(plan(7)).expect("valid");
        let b = Faults::new(plan(7)).expect("valid");
        let c = Faults::new(plan(8)).expect("valid");
        let first = outcomes(&a, 200);
        assert_eq!(first.len(), 200);
        assert_eq!(first, outcomes(&b, 200));
        assert_ne!(first, outcomes(&c, 200));
        // Installing the plan again restarts the sequence.
        a.set(plan(7)).expect("valid");
        assert_eq!(outcomes(&a, 200), first);
        // Every outcome shows up, in roughly its share.
        let count = |f: Fault| first.iter().filter(|&&o| o == f).count();
        let too_many = count(Fault::Error { status: 429, retry_after: Some(1) });
        assert!((20..=60).contains(&too_many), "{too_many} 429s of 200");
        assert!(count(Fault::Error { status: 500, retry_after: None }) > 0);
        assert!(count(Fault::Drop) > 0 && count(Fault::Pass) > 0);
    }

    #[test]
    fn the_first_matching_rule_decides_and_no_rule_draws_nothing() {
        let faults = Faults::default();
        assert!(!faults.is_active());
        assert_eq!(faults.decide("glance", "list_images"), None);
        let plan = Plan {
            seed: 0,
            rules: vec![rule("glance:show_image"), rule("glance:*:503=1,retry-after=3")],
        };
        faults.set(plan).expect("valid");
        assert!(faults.is_active());
        let pass = faults.decide("glance", "show_image").expect("a rule matches");
        assert_eq!(pass, Decision { latency: Duration::ZERO, fault: Fault::Pass });
        let fail = faults.decide("glance", "list_images").expect("a rule matches");
        assert_eq!(fail.fault, Fault::Error { status: 503, retry_after: Some(3) });
        assert_eq!(faults.decide("cce", "list_image_caches"), None);
        faults.clear();
        assert!(!faults.is_active());
        assert_eq!(faults.decide("glance", "list_images"), None);
    }

    #[test]
    fn latency_ranges_stay_inside_their_bounds() {
        let faults =
            Faults::new(Plan { seed: 3, rules: vec![rule("*:*:latency=10..20")] }).expect("valid");
        let drawn: Vec<u128> = (0..100)
            .filter_map(|_| faults.decide("swr", "list_namespaces"))
            .map(|d| d.latency.as_millis())
            .collect();
        assert!(drawn.iter().all(|ms| (10..=20).contains(ms)), "{drawn:?}");
        assert!(drawn.iter().any(|&ms| ms != drawn[0]), "a range varies: {drawn:?}");
    }

    #[test]
    fn the_admin_path_is_exact() {
        assert!(owns_admin("/admin/faults") && owns_admin("/admin/faults/"));
        assert!(!owns_admin("/admin/faultsx") && !owns_admin("/admin/faults/x"));
    }
}
