//! What a run is asked to do ([`Config`]: families, credentials, budget, selected checks), one
//! [`FamilyTarget`] per family tested, resolved from it in one place, and why a run could not
//! be done ([`RunError`]).
//!
//! `Config` keeps the flat shape the command line and the library's callers write (one list per
//! option, each entry naming its family); nothing reads those lists but [`Config::target`].

use std::time::Duration;

use crate::checks::{self, Phase, UnknownCheck};
use crate::family::Family;
use crate::session::Session;
use crate::signing::AkSk;
use crate::spec::{Spec, SpecError};
use crate::transport::Transport;

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

/// One family target of a run: what the configuration says about testing one family, gathered
/// from its per-family lists in one place, with the family's spec loaded.
pub(crate) struct FamilyTarget<'c> {
    pub family: Family,
    pub spec: Spec,
    pub base_url: &'c str,
    /// The credential headers of every request.
    pub auth: Vec<(String, String)>,
    /// A second principal's credential headers, if the configuration gives them.
    pub other_auth: Option<&'c [(String, String)]>,
    /// The AK/SK key every request is signed with, if any.
    pub signing: Option<&'c AkSk>,
    /// Other regions' endpoints, as region id and base URL ([`Config::swr_regions`]).
    pub regions: &'c [(String, String)],
    /// An existing resource the suite may copy from ([`Config::swr_source`]).
    pub source: Option<&'c str>,
}

impl Config {
    /// Everything the configuration says about testing `family`, its spec loaded.
    pub(crate) fn target(&self, family: Family) -> Result<FamilyTarget<'_>, RunError> {
        let text = of(&self.specs, family).map_or(family.builtin_spec(), String::as_str);
        let spec = Spec::from_text(text)
            .map_err(|source| RunError::Spec { family: family.name(), source })?;
        Ok(FamilyTarget {
            family,
            spec,
            base_url: &self.base_url,
            auth: of(&self.auth, family).cloned().unwrap_or_default(),
            other_auth: of(&self.other_auth, family).map(Vec::as_slice),
            signing: of(&self.signing, family),
            regions: &self.swr_regions,
            source: self.swr_source.as_deref(),
        })
    }
}

impl FamilyTarget<'_> {
    /// A session with the family's credentials and signer.
    pub(crate) fn session<'a>(&'a self, transport: &'a dyn Transport) -> Session<'a> {
        self.session_on(transport, self.base_url)
    }

    /// A session as the second principal (not signed), if the configuration names one.
    pub(crate) fn other_session<'a>(&'a self, transport: &'a dyn Transport) -> Option<Session<'a>> {
        let auth = self.other_auth?.to_vec();
        Some(Session::new(&self.spec, transport, self.base_url, auth))
    }

    /// The first other region's id and a session with the family's credentials on its
    /// endpoint, sent through the first of `transports`; `None` unless both are given.
    pub(crate) fn region_session<'a>(
        &'a self,
        transports: &[&'a dyn Transport],
    ) -> Option<(&'a str, Session<'a>)> {
        let ((region, url), transport) = self.regions.first().zip(transports.first())?;
        Some((region.as_str(), self.session_on(*transport, url)))
    }

    fn session_on<'a>(&'a self, transport: &'a dyn Transport, base: &'a str) -> Session<'a> {
        let signer = self.signing.map(|key| (key.clone(), host_of(base)));
        Session::new(&self.spec, transport, base, self.auth.clone()).with_signer(signer)
    }
}

/// The value `list` gives `family`, if any (the first, if it gives several).
fn of<T>(list: &[(Family, T)], family: Family) -> Option<&T> {
    list.iter().find(|(f, _)| *f == family).map(|(_, value)| value)
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
