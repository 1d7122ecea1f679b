//! `run(config, transport)`: every configured family's suite against one target, one report.

use std::time::Duration;

use crate::checks::UnknownCheck;
use crate::families::{Family, cce, glance, snowflake, swr};
use crate::report::Report;
use crate::session::{RESPONSE_CHECKS, Session};
use crate::signing::AkSk;
use crate::spec::{Spec, SpecError};
use crate::transport::Transport;
use crate::{fuzz, methods};

/// What to test and how to authenticate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shown in curl lines; the transport decides where requests really go.
    pub base_url: String,
    pub families: Vec<Family>,
    /// Distinguishes this run's resources and is printed in the report.
    pub seed: u64,
    /// Headers sent with every request of a family, e.g. `X-Auth-Token`.
    pub auth: Vec<(Family, Vec<(String, String)>)>,
    /// A second principal's headers per family (another project), for isolation checks.
    pub other_auth: Vec<(Family, Vec<(String, String)>)>,
    /// AK/SK keys per family (SWR, CCE): every request of the family is signed with it.
    pub signing: Vec<(Family, AkSk)>,
    /// Random fuzz cases per operation, after the boundary cases; 0 turns fuzzing off.
    pub fuzz_cases: usize,
    /// Time for the fuzzing of the whole run (all families); `None`: no limit.
    pub fuzz_time: Option<Duration>,
    /// Other SWR regions' endpoints (region id, base URL), as targets of the sync checks.
    pub swr_regions: Vec<(String, String)>,
    /// An existing SWR repository (`NAMESPACE/REPO`) whose tags the sync checks may copy.
    pub swr_source: Option<String>,
    /// A family's spec text (OpenAPI 3.1 or 3.0.x, YAML or JSON) instead of the built-in one.
    pub specs: Vec<(Family, String)>,
    /// Which checks to run and report, as ids or prefixes ending in `*` (`C10*`, `SWR-*`);
    /// empty: all. A phase whose checks are all left out is not run; a pattern that matches no
    /// check id ([`crate::checks::all`]) ends the run before it starts.
    pub checks: Vec<String>,
    /// Operations fuzzed at once (1: one request at a time); the semantic suites are always
    /// sequential.
    pub concurrency: usize,
}

impl Default for Config {
    /// No families, no credentials, seed 1, fuzzing with [`fuzz::DEFAULT_CASES`] cases, one
    /// at a time.
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".into(),
            families: Vec::new(),
            seed: 1,
            auth: Vec::new(),
            other_auth: Vec::new(),
            signing: Vec::new(),
            fuzz_cases: fuzz::DEFAULT_CASES,
            fuzz_time: None,
            swr_regions: Vec::new(),
            swr_source: None,
            specs: Vec::new(),
            checks: Vec::new(),
            concurrency: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the {family} spec does not load: {source}")]
    Spec { family: &'static str, source: SpecError },
    #[error("the target did not answer: {0}")]
    Unreachable(String),
    #[error("--check {0}")]
    Check(#[from] UnknownCheck),
    /// The run's own set-up cannot be used (an `--swr-source` the target does not hold).
    #[error("{0}")]
    Setup(String),
}

impl Config {
    /// Whether `id` is selected by [`Config::checks`].
    pub fn selects(&self, id: &str) -> bool {
        self.checks.is_empty() || self.checks.iter().any(|p| crate::checks::matches(p, id))
    }

    /// Whether a phase reporting `ids` (besides the response checks, which every exchange gets)
    /// is worth running.
    fn runs_phase(&self, ids: &[&str]) -> bool {
        RESPONSE_CHECKS.iter().chain(ids).any(|id| self.selects(id))
    }
}

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
    crate::checks::validate(&config.checks, &config.families)?;
    let mut report = Report { seed: config.seed, ..Report::default() };
    let budget = fuzz::Budget::from_config(config);
    for family in &config.families {
        let (spec, auth, signer) = crate::run::family_setup(config, *family)?;
        let session = Session::new(&spec, transport, &config.base_url, auth.clone())
            .with_signer(signer.clone());
        let prefix = format!("imagespec-{:x}-{}", config.seed, run_nonce());
        // The fuzzing phase first, on the same session (same credentials, same findings).
        let fuzzed = if config.runs_phase(&fuzz::CHECKS) {
            fuzz::phase(&session, transport, &config.base_url, config.seed, &prefix, &budget)
                .map_err(RunError::Unreachable)?
        } else {
            0
        };
        // The suite reports the family's own checks (for Glance, also C106 and C109).
        let run_suite = config.runs_phase(family.checks());
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
        if config.runs_phase(&[methods::CHECK]) {
            crate::methods::phase(&session, &prefix).map_err(RunError::Unreachable)?;
        }
        let mut part = session.into_report().map_err(RunError::Unreachable)?;
        part.requests += fuzzed;
        report.absorb(family.name(), part);
    }
    report.retain_checks(|id| config.selects(id));
    Ok(report)
}

/// What a family's session needs: a signing key and the `Host` it will be sent to.
type Signer = Option<(AkSk, String)>;

/// A family's spec, credential headers and signer.
type Setup = (Spec, Vec<(String, String)>, Signer);

/// A family's built-in spec, the credential headers the configuration gives it, and its AK/SK
/// signer if it has one.
pub(crate) fn family_setup(config: &Config, family: Family) -> Result<Setup, RunError> {
    let text = config
        .specs
        .iter()
        .find(|(f, _)| *f == family)
        .map_or(family.builtin_spec(), |(_, t)| t.as_str());
    let spec =
        Spec::from_text(text).map_err(|source| RunError::Spec { family: family.name(), source })?;
    let auth =
        config.auth.iter().find(|(f, _)| *f == family).map(|(_, h)| h.clone()).unwrap_or_default();
    let host = host_of(&config.base_url);
    let signer = config.signing.iter().find(|(f, _)| *f == family).map(|(_, k)| (k.clone(), host));
    Ok((spec, auth, signer))
}

/// The authority (`host:port`) of a base URL.
fn host_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A short value unique to this run, so reruns never meet the resources of an earlier run that
/// the target is still deleting.
pub(crate) fn run_nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", (nanos as u64) & 0xff_ffff)
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
        let suite = |c: &Config, f: Family| c.runs_phase(f.checks());
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
