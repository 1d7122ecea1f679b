//! What a run is asked to do ([`Config`]: families, credentials, budget, selected checks), each
//! family's part of it resolved in one place, and why a run could not be done ([`RunError`]).

use std::time::Duration;

use crate::checks::{self, Phase, UnknownCheck};
use crate::family::Family;
use crate::signing::AkSk;
use crate::spec::{Spec, SpecError};

/// Random cases per operation when the configuration does not say.
pub const DEFAULT_CASES: usize = 20;

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
    /// No families, no credentials, seed 1, fuzzing with [`DEFAULT_CASES`] cases, one at a
    /// time.
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".into(),
            families: Vec::new(),
            seed: 1,
            auth: Vec::new(),
            other_auth: Vec::new(),
            signing: Vec::new(),
            fuzz_cases: DEFAULT_CASES,
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
        self.checks.is_empty() || self.checks.iter().any(|p| checks::matches(p, id))
    }

    /// Whether a phase reporting `ids` (besides the response checks, which every exchange gets)
    /// is worth running.
    pub(crate) fn runs_phase(&self, ids: impl IntoIterator<Item = &'static str>) -> bool {
        checks::of_phase(Phase::Response).chain(ids).any(|id| self.selects(id))
    }
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
pub(crate) fn host_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}
