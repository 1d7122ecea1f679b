//! A rule: which requests it applies to (family and operation) and the faults it draws for
//! them, with the checks every rule passes whether it comes from a flag or from JSON.

use serde::{Deserialize, Serialize};

use super::families;

/// The longest latency a rule may ask for, in milliseconds (ten minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;

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

pub(super) fn default_retry_after() -> u32 {
    1
}

/// One rule: which requests (family and operation, each may be `*`) and what happens to them.
///
/// As JSON (the admin endpoint): `{"family": "glance", "operation": "list_images",
/// "latency_ms": {"min": 50, "max": 200}, "errors": {"429": 0.05, "503": 0.1}, "drop": 0.01,
/// "retry_after": 1}`, and `"async": 0.5` for Snowflake. As a flag, see `syntax.rs`.
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
        if family != "*" && !families::is_family(family) {
            return Err(FaultError::UnknownFamily(self.family.clone()));
        }
        if self.operation != "*" && !families::operations(family).any(|op| op == self.operation) {
            let known: Vec<&str> = families::operations(family).collect();
            return Err(FaultError::UnknownOperation {
                family: self.family.clone(),
                operation: self.operation.clone(),
                known: known.join(", "),
            });
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
        if self.asynchronous > 0.0 && !families::defers(family) {
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
    pub(super) fn probabilities(&self) -> [(&'static str, f64); 5] {
        [
            ("429", self.errors.too_many_requests),
            ("500", self.errors.internal),
            ("503", self.errors.unavailable),
            ("drop", self.drop),
            ("async", self.asynchronous),
        ]
    }

    pub(super) fn matches(&self, family: &str, operation: &str) -> bool {
        (self.family == "*" || self.family == family)
            && (self.operation == "*" || self.operation == operation)
    }
}
