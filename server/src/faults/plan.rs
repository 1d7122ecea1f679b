//! The plan in force: its rules and the seeded generator their draws come from, shared by
//! every listener ([`Faults`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use super::rule::{FaultError, Latency, Rule};

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

impl Rule {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
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
}
