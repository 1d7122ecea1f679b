//! Snowflake authentication: `Authorization: Bearer <token>` with an
//! `X-Snowflake-Authorization-Token-Type` header naming the token kind, or the session form
//! `Authorization: Snowflake Token="<token>"` that snowflake-core sends after logging in.
//!
//! Tokens are looked up in the credentials file (`snowflake_tokens`). A bearer token without a
//! token-type header is taken as `OAUTH`, as Snowflake's SQL API documents. The principal's role
//! ([`Principal::snowflake_role`]) becomes the `owner` of what it creates.

use std::sync::Arc;

use poem::{Endpoint, Middleware, Request, error::ResponseError, http::StatusCode};

use super::{Credentials, Principal};

/// The token kinds accepted in `X-Snowflake-Authorization-Token-Type`.
pub const TOKEN_TYPES: [&str; 4] =
    ["KEYPAIR_JWT", "OAUTH", "PROGRAMMATIC_ACCESS_TOKEN", "PAT_WITH_EXTERNAL_SESSION_ID"];

/// Why a request is not authenticated; always a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnowflakeAuthError {
    #[error("Authorization header is missing.")]
    Missing,
    #[error(
        "Authorization header is malformed; expected `Bearer <token>` or `Snowflake Token=\"<token>\"`."
    )]
    Malformed,
    #[error("Unsupported authorization token type `{0}`.")]
    TokenType(String),
    #[error("Invalid OAuth access token.")]
    Unknown,
}

impl ResponseError for SnowflakeAuthError {
    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
}

/// The principal behind a request's credentials.
pub fn authenticate<'c>(
    creds: &'c Credentials,
    authorization: Option<&str>,
    token_type: Option<&str>,
) -> Result<&'c Principal, SnowflakeAuthError> {
    let header = authorization.map(str::trim).filter(|h| !h.is_empty());
    let header = header.ok_or(SnowflakeAuthError::Missing)?;
    let token = if let Some(t) = strip_scheme(header, "Bearer") {
        let kind = token_type.map(str::trim).unwrap_or("OAUTH");
        if !TOKEN_TYPES.contains(&kind) {
            return Err(SnowflakeAuthError::TokenType(kind.to_owned()));
        }
        t.trim()
    } else if let Some(rest) = strip_scheme(header, "Snowflake") {
        rest.trim()
            .strip_prefix("Token=\"")
            .and_then(|r| r.strip_suffix('"'))
            .ok_or(SnowflakeAuthError::Malformed)?
    } else {
        return Err(SnowflakeAuthError::Malformed);
    };
    if token.is_empty() {
        return Err(SnowflakeAuthError::Malformed);
    }
    creds.by_snowflake_token(token).ok_or(SnowflakeAuthError::Unknown)
}

fn strip_scheme<'h>(header: &'h str, scheme: &str) -> Option<&'h str> {
    let (s, rest) = header.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The middleware: authenticates and puts the [`Principal`] in the request's extensions.
pub struct SnowflakeAuth {
    pub credentials: Arc<Credentials>,
}

impl<E: Endpoint> Middleware<E> for SnowflakeAuth {
    type Output = SnowflakeAuthEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SnowflakeAuthEndpoint { inner, credentials: self.credentials.clone() }
    }
}

pub struct SnowflakeAuthEndpoint<E> {
    inner: E,
    credentials: Arc<Credentials>,
}

impl<E: Endpoint> Endpoint for SnowflakeAuthEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
        let principal = authenticate(
            &self.credentials,
            header("authorization"),
            header("x-snowflake-authorization-token-type"),
        )?
        .clone();
        req.extensions_mut().insert(principal);
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_authenticates_and_nothing_else_does() {
        let c = Credentials::development();
        let ok = |auth: &str, kind: Option<&str>| {
            authenticate(&c, Some(auth), kind).map(|p| p.name.clone())
        };
        for kind in TOKEN_TYPES {
            assert_eq!(ok("Bearer alice-snowflake-token", Some(kind)), Ok("alice".into()));
        }
        assert_eq!(ok("Bearer bob-snowflake-token", None), Ok("bob".into()));
        assert_eq!(ok("Snowflake Token=\"bob-snowflake-token\"", None), Ok("bob".into()));
        assert_eq!(authenticate(&c, None, None), Err(SnowflakeAuthError::Missing));
        assert_eq!(
            ok("Bearer alice-snowflake-token", Some("PASSWORD")),
            Err(SnowflakeAuthError::TokenType("PASSWORD".into()))
        );
        assert_eq!(ok("Bearer nope", None), Err(SnowflakeAuthError::Unknown));
        assert_eq!(ok("Bearer alice-token", None), Err(SnowflakeAuthError::Unknown));
        assert_eq!(ok("Basic YWxpY2U6eA==", None), Err(SnowflakeAuthError::Malformed));
        assert_eq!(ok("Snowflake Token=bob", None), Err(SnowflakeAuthError::Malformed));
        assert_eq!(ok("Bearer ", None), Err(SnowflakeAuthError::Malformed));
    }
}
