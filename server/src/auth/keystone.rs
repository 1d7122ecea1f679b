//! Glance authentication: an `X-Auth-Token` mapped to a principal's project and roles, or the
//! trusted identity headers a front end sets (`X-Identity-Status: Confirmed`, `X-Project-Id` /
//! `X-Tenant-Id` / `X-Tenant`, `X-Roles`), the way Glance's context middleware reads them.

use std::sync::Arc;

use poem::{Endpoint, Middleware, Request, error::ResponseError, http::StatusCode};

use super::Credentials;
use crate::store::glance::Caller;

/// A request without usable credentials (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "This server could not verify that you are authorized to access the document you requested. \
     Either you supplied the wrong credentials (e.g., bad password), or your browser does not \
     understand how to supply the credentials required."
)]
pub struct Unauthenticated;

impl ResponseError for Unauthenticated {
    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
}

/// Who a request acts as, or `None` when it carries no usable credentials.
pub fn caller(
    credentials: &Credentials,
    header: &dyn Fn(&str) -> Option<String>,
) -> Option<Caller> {
    if let Some(token) = header("x-auth-token") {
        let p = credentials.by_token(token.trim())?;
        return Some(Caller::new(Some(p.project_id.clone()), &p.roles));
    }
    if !header("x-identity-status")?.eq_ignore_ascii_case("confirmed") {
        return None;
    }
    let project = ["x-project-id", "x-tenant-id", "x-tenant"]
        .iter()
        .find_map(|h| header(h).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()));
    let roles: Vec<String> = header("x-roles")
        .unwrap_or_default()
        .split(',')
        .map(|r| r.trim().to_ascii_lowercase())
        .filter(|r| !r.is_empty())
        .collect();
    Some(Caller::new(project, &roles))
}

/// Puts the [`Caller`] in the request's extensions, except on `open` paths (version discovery).
pub struct KeystoneAuth {
    pub credentials: Arc<Credentials>,
    pub open: &'static [&'static str],
}

impl<E: Endpoint> Middleware<E> for KeystoneAuth {
    type Output = KeystoneAuthEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        KeystoneAuthEndpoint { inner, credentials: self.credentials.clone(), open: self.open }
    }
}

pub struct KeystoneAuthEndpoint<E> {
    inner: E,
    credentials: Arc<Credentials>,
    open: &'static [&'static str],
}

impl<E: Endpoint> Endpoint for KeystoneAuthEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        if !self.open.contains(&req.uri().path()) {
            let headers = req.headers();
            let header =
                |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let caller = caller(&self.credentials, &header).ok_or(Unauthenticated)?;
            req.extensions_mut().insert(caller);
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(headers: &[(&str, &str)]) -> Option<Caller> {
        let creds = Credentials::development();
        let header = |name: &str| {
            headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| (*v).to_owned())
        };
        caller(&creds, &header)
    }

    #[test]
    fn tokens_and_trusted_headers_become_callers() {
        let bob = with(&[("X-Auth-Token", "bob-token")]).expect("bob's token is known");
        assert_eq!(bob.project.as_deref(), Some("fedcba9876543210fedcba9876543210"));
        assert!(bob.member && bob.reader && !bob.admin);
        assert!(with(&[("X-Auth-Token", "alice-token")]).is_some_and(|c| c.admin));
        assert_eq!(with(&[("X-Auth-Token", "nope")]), None);
        assert_eq!(with(&[]), None);
        let trusted = with(&[
            ("X-Identity-Status", "Confirmed"),
            ("X-Tenant-Id", "p1"),
            ("X-Roles", "Member, reader"),
        ])
        .expect("confirmed identity");
        assert_eq!(trusted.project.as_deref(), Some("p1"));
        assert!(trusted.member && !trusted.admin);
        assert_eq!(with(&[("X-Identity-Status", "Invalid"), ("X-Project-Id", "p1")]), None);
        let reader = with(&[
            ("X-Identity-Status", "Confirmed"),
            ("X-Project-Id", "p"),
            ("X-Roles", "reader"),
        ]);
        assert!(reader.is_some_and(|c| c.reader && !c.member));
    }
}
