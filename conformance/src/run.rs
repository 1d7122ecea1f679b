//! `run(config, transport)`: every configured family's suite against one target, one report.

use crate::families::{Family, cce, glance};
use crate::report::Report;
use crate::session::Session;
use crate::spec::{Spec, SpecError};
use crate::transport::Transport;

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
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the built-in {family} spec does not load")]
    Spec { family: &'static str, source: SpecError },
    #[error("the {0} family has no semantic suite yet")]
    NoSuite(&'static str),
    #[error("the target did not answer: {0}")]
    Unreachable(String),
}

pub fn run(config: &Config, transport: &dyn Transport) -> Result<Report, RunError> {
    let mut report = Report { seed: config.seed, ..Report::default() };
    for family in &config.families {
        let spec = Spec::from_text(family.builtin_spec())
            .map_err(|source| RunError::Spec { family: family.name(), source })?;
        let auth = config
            .auth
            .iter()
            .find(|(f, _)| f == family)
            .map(|(_, h)| h.clone())
            .unwrap_or_default();
        let session = Session::new(&spec, transport, &config.base_url, auth);
        let prefix = format!("imagespec-{:x}-{}", config.seed, run_nonce());
        match family {
            Family::Cce => cce::run(&session, &prefix),
            Family::Glance => {
                let other = config
                    .other_auth
                    .iter()
                    .find(|(f, _)| f == family)
                    .map(|(_, h)| Session::new(&spec, transport, &config.base_url, h.clone()));
                glance::run(&session, other.as_ref(), &prefix);
                if let Some(o) = other {
                    let part = o.into_report().map_err(RunError::Unreachable)?;
                    report.requests += part.requests;
                    report.findings.extend(part.findings);
                }
            }
            other => return Err(RunError::NoSuite(other.name())),
        }
        let part = session.into_report().map_err(RunError::Unreachable)?;
        report.requests += part.requests;
        for c in part.checks {
            if !report.checks.contains(&c) {
                report.checks.push(c);
            }
        }
        report.findings.extend(part.findings);
    }
    Ok(report)
}

/// A short value unique to this run, so reruns never meet the resources of an earlier run that
/// the target is still deleting.
fn run_nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", (nanos as u64) & 0xff_ffff)
}
