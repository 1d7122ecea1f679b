//! `run(config, transport)`: every configured family's suite against one target, one report.

use crate::checks::{self, Phase};
use crate::config::{Config, RunError, family_setup, host_of};
use crate::families::{cce, glance, snowflake, swr};
use crate::family::Family;
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
        let (spec, auth, signer) = family_setup(config, *family)?;
        let session = Session::new(&spec, transport, &config.base_url, auth.clone())
            .with_signer(signer.clone());
        let prefix = names::prefix(config.seed);
        // The fuzzing phase first, on the same session (same credentials, same findings).
        let fuzzed = if config.runs_phase(checks::of_phase(Phase::Fuzz)) {
            fuzz::phase(&session, transport, &config.base_url, config.seed, &prefix, &budget)
                .map_err(RunError::Unreachable)?
        } else {
            0
        };
        // The suite reports the family's own checks (for Glance, also C106 and C109).
        let run_suite = config.runs_phase(checks::of_family(*family));
        match family {
            _ if !run_suite => {}
            Family::Cce => cce::run(&session, &prefix),
            Family::Swr => {
                let other = config
                    .other_auth
                    .iter()
                    .find(|(f, _)| f == family)
                    .map(|(_, h)| Session::new(&spec, transport, &config.base_url, h.clone()));
                let target =
                    config.swr_regions.first().zip(regions.first()).map(|((id, url), t)| {
                        let signer = signer.clone().map(|(key, _)| (key, host_of(url)));
                        (
                            id.as_str(),
                            Session::new(&spec, *t, url, auth.clone()).with_signer(signer),
                        )
                    });
                swr::run(
                    &session,
                    other.as_ref(),
                    target.as_ref().map(|(region, session)| swr::Target { region, session }),
                    config.swr_source.as_deref(),
                    &prefix,
                )
                .map_err(RunError::Setup)?;
                for extra in other.into_iter().chain(target.map(|(_, s)| s)) {
                    report
                        .absorb(family.name(), extra.into_report().map_err(RunError::Unreachable)?);
                }
            }
            Family::Snowflake => snowflake::run(&session, &prefix),
            Family::Glance => {
                let other = config
                    .other_auth
                    .iter()
                    .find(|(f, _)| f == family)
                    .map(|(_, h)| Session::new(&spec, transport, &config.base_url, h.clone()));
                glance::run(&session, other.as_ref(), &prefix);
                if let Some(o) = other {
                    report.absorb(family.name(), o.into_report().map_err(RunError::Unreachable)?);
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

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
