//! Who is calling: the credentials file (tokens, AK/SK pairs, Snowflake tokens → principals)
//! and the development set used when no file is given.
//!
//! Each family's middleware authenticates a request and stores the [`Principal`] in the
//! request's extensions; handlers read it from there.

pub mod huawei;
pub mod keystone;
pub mod snowflake;

use std::path::Path;

use serde::Deserialize;

/// A caller: the project (Glance, SWR, CCE) or account (Snowflake) it acts in, and its roles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Principal {
    pub name: String,
    pub project_id: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// `X-Auth-Token` values (Glance, SWR, CCE).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// AK/SK pairs for `SDK-HMAC-SHA256` signatures (SWR, CCE).
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// Bearer or `Snowflake Token="..."` tokens (Snowflake).
    #[serde(default)]
    pub snowflake_tokens: Vec<String>,
    /// The Snowflake role the principal acts as (the `owner` of what it creates). Default:
    /// `ACCOUNTADMIN` for principals with the `admin` role, otherwise the name upper-cased.
    #[serde(default)]
    pub snowflake_role: Option<String>,
}

impl Principal {
    /// The Snowflake role, with the default described on [`Principal::snowflake_role`].
    pub fn snowflake_role(&self) -> String {
        match &self.snowflake_role {
            Some(r) => r.clone(),
            None if self.roles.iter().any(|r| r == "admin") => "ACCOUNTADMIN".to_owned(),
            None => self.name.to_ascii_uppercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessKey {
    pub ak: String,
    pub sk: String,
}

/// Every principal the server knows, as read from `--credentials FILE`.
#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    #[serde(rename = "principal")]
    pub principals: Vec<Principal>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("reading {path}")]
    Read { path: String, source: std::io::Error },
    #[error("parsing {path}")]
    Parse { path: String, source: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

/// The development set, printed at start-up when no credentials file is given.
pub const DEVELOPMENT_CREDENTIALS: &str = include_str!("../../demo/credentials.toml");

impl Credentials {
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| CredentialsError::Read { path: shown.clone(), source })?;
        Self::parse(&text).map_err(|e| match e {
            CredentialsError::Parse { source, .. } => {
                CredentialsError::Parse { path: shown, source }
            }
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Self, CredentialsError> {
        let creds: Self = toml::from_str(text)
            .map_err(|source| CredentialsError::Parse { path: "<inline>".into(), source })?;
        creds.validate()?;
        Ok(creds)
    }

    /// The development set (`server/demo/credentials.toml`).
    pub fn development() -> Self {
        Self::parse(DEVELOPMENT_CREDENTIALS)
            .expect("the embedded development credentials are valid")
    }

    pub fn by_token(&self, token: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| p.tokens.iter().any(|t| t == token))
    }

    /// The principal and secret key of an access key id.
    pub fn by_access_key(&self, ak: &str) -> Option<(&Principal, &str)> {
        self.principals
            .iter()
            .find_map(|p| p.access_keys.iter().find(|k| k.ak == ak).map(|k| (p, k.sk.as_str())))
    }

    pub fn by_snowflake_token(&self, token: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| p.snowflake_tokens.iter().any(|t| t == token))
    }

    fn validate(&self) -> Result<(), CredentialsError> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.principals {
            let secrets = p
                .tokens
                .iter()
                .chain(p.snowflake_tokens.iter())
                .chain(p.access_keys.iter().map(|k| &k.ak));
            for s in secrets {
                if s.is_empty() || !seen.insert(s.clone()) {
                    return Err(CredentialsError::Invalid(format!(
                        "credential `{s}` is empty or used twice"
                    )));
                }
            }
            if p.project_id.is_empty() {
                return Err(CredentialsError::Invalid(format!(
                    "principal `{}` has no project_id",
                    p.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_set_resolves_every_kind_of_credential() {
        let c = Credentials::development();
        let alice = c.by_token("alice-token").expect("alice has a token");
        assert_eq!(
            c.by_access_key(&alice.access_keys[0].ak).map(|(p, _)| &p.name),
            Some(&alice.name)
        );
        assert!(c.by_token("nobody").is_none());
        assert!(c.by_snowflake_token("alice-snowflake-token").is_some());
    }

    #[test]
    fn duplicate_credentials_are_refused() {
        let text = "[[principal]]\nname='a'\nproject_id='p'\ntokens=['t']\n[[principal]]\nname='b'\nproject_id='q'\ntokens=['t']\n";
        assert!(matches!(Credentials::parse(text), Err(CredentialsError::Invalid(_))));
    }
}
