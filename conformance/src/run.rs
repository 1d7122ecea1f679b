//! `run(config, transport)`: every configured family against one target, one report. For each
//! family in turn: the fuzzing, the family's semantic suite with the sessions its entry in
//! [`crate::families`] asks for, then the undeclared-methods probe, each phase only if one of
//! its checks is selected.

use crate::checks::{self, Phase};
use crate::config::{Config, FamilyTarget, RunError};
use crate::families::{self, Extra, Suite};
use crate::report::Report;
use crate::session::Session;
use crate::transport::Transport;
use crate::{fuzz, methods, names};

pub fn run(config: &Config, transport: &dyn Transport) -> Result<Report, RunError> {
    run_with_regions(config, transport, &[])
}

/// Like [`run`], with a transport for each of `config.swr_regions` (same order), so the SWR
/// suite can observe a sync in the target region.
pub fn run_with_regions(
    config: &Config,
    transport: &dyn Transport,
    regions: &[&dyn Transport],
) -> Result<Report, RunError> {
    checks::validate(&config.checks, &config.families)?;
    let mut report = Report { seed: config.seed, ..Report::default() };
    let budget = fuzz::Budget::from_config(config);
    for family in &config.families {
        let target = config.target(*family)?;
        let session = target.session(transport);
        let prefix = names::prefix(config.seed);
        // The fuzzing phase first, on the same session (same credentials, same findings).
        let fuzzed = if config.runs_phase(checks::of_phase(Phase::Fuzz)) {
            fuzz::phase(&session, transport, &config.base_url, config.seed, &prefix, &budget)
                .map_err(RunError::Unreachable)?
        } else {
            0
        };
        // The suite reports the family's own checks (for Glance, also C106 and C109).
        if config.runs_phase(checks::of_family(*family)) {
            suite(&target, &session, transport, regions, &prefix, &mut report)?;
        }
        // After the suite, so that its requests come first in a report of a broken target.
        if config.runs_phase(checks::of_phase(Phase::Methods)) {
            methods::phase(&session, &prefix).map_err(RunError::Unreachable)?;
        }
        let mut part = session.into_report().map_err(RunError::Unreachable)?;
        part.requests += fuzzed;
        report.absorb(family.name(), part);
    }
    report.retain_checks(|id| config.selects(id));
    Ok(report)
}

/// Runs the family's suite with the extra sessions its entry asks for, and adds their reports
/// to the run's (before the family's own session's, which the caller adds after the methods
/// probe). The extra sessions borrow what the family's session borrows, so they share its lifetime.
fn suite<'s>(
    target: &'s FamilyTarget<'_>,
    session: &Session<'s>,
    transport: &'s dyn Transport,
    regions: &[&'s dyn Transport],
    prefix: &str,
    report: &mut Report,
) -> Result<(), RunError> {
    let entry = families::entry(target.family);
    let other = entry.uses(Extra::OtherPrincipal).then(|| target.other_session(transport));
    let region = entry.uses(Extra::Region).then(|| target.region_session(regions));
    let (other, region) = (other.flatten(), region.flatten());
    let given = Suite {
        session,
        other: other.as_ref(),
        region: region.as_ref().map(|(id, s)| (*id, s)),
        source: target.source,
        prefix,
    };
    (entry.suite)(&given).map_err(RunError::Setup)?;
    for extra in other.into_iter().chain(region.map(|(_, s)| s)) {
        let part = extra.into_report().map_err(RunError::Unreachable)?;
        report.absorb(target.family.name(), part);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Family;

    fn selecting(patterns: &[&str]) -> Config {
        Config { checks: patterns.iter().map(|p| (*p).to_owned()).collect(), ..Config::default() }
    }

    /// A family's suite runs when one of its own checks is selected, or a response check (its
    /// exchanges are checked too), and not for another family's checks.
    #[test]
    fn a_suite_runs_for_its_own_checks_only() {
        let suite = |c: &Config, f: Family| c.runs_phase(checks::of_family(f));
        let glance_schema = selecting(&["C106"]);
        assert!(suite(&glance_schema, Family::Glance));
        assert!(!suite(&glance_schema, Family::Cce) && !suite(&glance_schema, Family::Swr));
        let swr = selecting(&["SWR-S0*"]);
        assert!(suite(&swr, Family::Swr) && !suite(&swr, Family::Snowflake));
        for f in Family::ALL {
            assert!(suite(&selecting(&["C104"]), f) && suite(&selecting(&[]), f));
            assert!(!suite(&selecting(&["C108"]), f), "{f:?}: only the methods probe");
        }
    }
}
