//! A run's fuzzing budget: random cases per operation, a deadline for the whole run, and how
//! many operations are fuzzed at once.

use std::time::{Duration, Instant};

use crate::config::Config;

/// A run's fuzzing budget, shared by all its families.
#[derive(Debug, Clone)]
pub struct Budget {
    pub(super) cases: usize,
    deadline: Option<Instant>,
    /// Operations fuzzed at once.
    pub(super) workers: usize,
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

    pub(super) fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}
