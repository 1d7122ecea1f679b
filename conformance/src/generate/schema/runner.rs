//! Deterministic proptest runners: every field set explicitly, since proptest's defaults read
//! `PROPTEST_*` environment variables, so that a seed reproduces every generated value.

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// A runner for deterministic work (minimal values), independent of the run's seed.
pub(crate) fn fixed_runner(seed: u64) -> TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
    TestRunner::new(Config {
        cases: 1,
        max_local_rejects: 4096,
        max_global_rejects: 4096,
        max_flat_map_regens: 1000,
        failure_persistence: None,
        max_shrink_iters: 0,
        max_default_size_range: 16,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        verbose: 0,
        ..Config::default()
    })
}

/// The value `strategy` shrinks to when every step simplifies.
pub(super) fn simplest<T: std::fmt::Debug>(strategy: &BoxedStrategy<T>) -> Option<T> {
    let mut runner = fixed_runner(0);
    let mut tree = strategy.new_tree(&mut runner).ok()?;
    for _ in 0..10_000 {
        if !tree.simplify() {
            break;
        }
    }
    Some(tree.current())
}
