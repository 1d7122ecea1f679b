//! The one table of families ([`entry`]): for each, its semantic suite, the sessions that suite
//! uses besides the family's own, and the credential headers a token becomes. A family's
//! identity (short name, built-in spec) is [`crate::family`]'s and its check ids are
//! [`crate::checks`]'; the run ([`crate::run`]) reads this table and nothing else about a
//! family.
//!
//! The children are the suites, one per family. Each creates its resources under a
//! recognisable prefix and removes them again, so it runs against empty and populated targets.

pub mod cce;
pub mod glance;
pub mod snowflake;
pub mod swr;

use crate::family::Family;
use crate::session::Session;

/// What a run does for one family.
pub struct Entry {
    /// Runs the family's semantic suite. `Err`: the run's own set-up cannot be used (such as an
    /// `--swr-source` the target does not hold), which is not a finding.
    pub suite: fn(&Suite<'_, '_>) -> Result<(), String>,
    /// The sessions the suite uses besides the family's own.
    pub extra: &'static [Extra],
    /// The credential headers a token (`--token FAMILY=TOKEN`) becomes.
    pub token: fn(&str) -> Vec<(String, String)>,
}

impl Entry {
    /// Whether the suite uses the `extra` session.
    pub fn uses(&self, extra: Extra) -> bool {
        self.extra.contains(&extra)
    }
}

/// A session a suite uses besides the family's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// A second principal in another project (`--other-token`), for the isolation checks.
    OtherPrincipal,
    /// The family's credentials on another region's endpoint (`--swr-region`), for the checks
    /// that observe a sync there.
    Region,
}

/// What a suite is given: the family's session, the extra sessions its entry asks for (when
/// the run has them), and where its resources live.
pub struct Suite<'a, 's> {
    pub session: &'a Session<'s>,
    /// The second principal's session.
    pub other: Option<&'a Session<'s>>,
    /// Another region's id and a session on its endpoint.
    pub region: Option<(&'a str, &'a Session<'s>)>,
    /// An existing resource the suite may copy from (`--swr-source`).
    pub source: Option<&'a str>,
    /// The run's resource prefix.
    pub prefix: &'a str,
}

/// The table: what a run does for `family`.
pub fn entry(family: Family) -> Entry {
    match family {
        Family::Glance => Entry {
            suite: |s| {
                glance::run(s.session, s.other, s.prefix);
                Ok(())
            },
            extra: &[Extra::OtherPrincipal],
            token: auth_token,
        },
        Family::Swr => Entry {
            suite: |s| {
                let target = s.region.map(|(region, session)| swr::Target { region, session });
                swr::run(s.session, s.other, target, s.source, s.prefix)
            },
            extra: &[Extra::OtherPrincipal, Extra::Region],
            token: auth_token,
        },
        Family::Cce => Entry {
            suite: |s| {
                cce::run(s.session, s.prefix);
                Ok(())
            },
            extra: &[],
            token: auth_token,
        },
        Family::Snowflake => Entry {
            suite: |s| {
                snowflake::run(s.session, s.prefix);
                Ok(())
            },
            extra: &[],
            token: snowflake::token_headers,
        },
    }
}

/// OpenStack's and Huawei Cloud's token header.
fn auth_token(token: &str) -> Vec<(String, String)> {
    vec![("X-Auth-Token".to_owned(), token.to_owned())]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// What `--token FAMILY=TOKEN` sends: OpenStack's and Huawei Cloud's `X-Auth-Token`, or
    /// Snowflake's bearer token, with its type when given as `TYPE:TOKEN` of a documented kind.
    #[test]
    fn a_token_becomes_each_familys_credential_headers() {
        let headers = |family, token| (entry(family).token)(token);
        for family in [Family::Glance, Family::Swr, Family::Cce] {
            assert_eq!(headers(family, "t:1"), pairs(&[("X-Auth-Token", "t:1")]));
        }
        assert_eq!(headers(Family::Snowflake, "abc"), pairs(&[("Authorization", "Bearer abc")]));
        assert_eq!(
            headers(Family::Snowflake, "PROGRAMMATIC_ACCESS_TOKEN:abc"),
            pairs(&[
                ("Authorization", "Bearer abc"),
                ("X-Snowflake-Authorization-Token-Type", "PROGRAMMATIC_ACCESS_TOKEN"),
            ])
        );
        let unknown_kind = headers(Family::Snowflake, "PASSWORD:abc");
        assert_eq!(unknown_kind, pairs(&[("Authorization", "Bearer PASSWORD:abc")]));
    }

    /// The isolation checks of Glance and SWR get the second principal, SWR's sync checks the
    /// other region; CCE's and Snowflake's suites use the family's session alone.
    #[test]
    fn each_suite_gets_the_sessions_it_checks_with() {
        let uses = |family| {
            let entry = entry(family);
            (entry.uses(Extra::OtherPrincipal), entry.uses(Extra::Region))
        };
        assert_eq!(uses(Family::Glance), (true, false));
        assert_eq!(uses(Family::Swr), (true, true));
        assert_eq!(uses(Family::Cce), (false, false));
        assert_eq!(uses(Family::Snowflake), (false, false));
    }
}
