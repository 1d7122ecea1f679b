//! Huawei Cloud authentication (SWR and CCE): `X-Auth-Token`, or an AK/SK request signature
//! (`SDK-HMAC-SHA256`) recomputed exactly as the SDKs compute it, within a ±15-minute window.
//!
//! [`verify_signature`] is plain code over the request's parts; [`HuaweiAuth`] is the poem
//! middleware that reads the body once, authenticates, and hands the body on unchanged.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use poem::{Endpoint, Middleware, Request, error::ResponseError, http::StatusCode};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, PrimitiveDateTime, macros::format_description};

use super::{Credentials, Principal};
use crate::store::Clock;

const ALGORITHM: &str = "SDK-HMAC-SHA256";
const WINDOW: Duration = Duration::minutes(15);
/// RFC 3986 unreserved characters stay as they are; everything else is `%XX`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Why a request is not authenticated. Every variant is a 401 from the gateway, except a
/// project mismatch (403) and an oversized body (413).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HuaweiAuthError {
    #[error("Incorrect IAM authentication information: x-auth-token not found")]
    Missing,
    #[error("Incorrect IAM authentication information: decrypt token fail")]
    BadToken,
    #[error("Incorrect IAM authentication information: ak {0} not exist")]
    UnknownAk(String),
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    BadSignature,
    #[error(
        "Incorrect IAM authentication information: unsupported signing algorithm or malformed Authorization header"
    )]
    Malformed,
    #[error(
        "Incorrect IAM authentication information: signature expired, X-Sdk-Date is missing or more than 15 minutes from server time"
    )]
    Expired,
    #[error("the credential may not act in project {0}")]
    WrongProject(String),
    #[error("The request body is larger than {0} bytes.")]
    BodyTooLarge(usize),
}

impl ResponseError for HuaweiAuthError {
    fn status(&self) -> StatusCode {
        match self {
            Self::WrongProject(_) => StatusCode::FORBIDDEN,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The parts of a request a signature covers.
pub struct SignedParts<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    /// Header lookup by lower-case name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    pub body: &'a [u8],
}

/// Checks an `Authorization: SDK-HMAC-SHA256 ...` header and returns the signer.
pub fn verify_signature<'c>(
    creds: &'c Credentials,
    authorization: &str,
    parts: &SignedParts<'_>,
    now: OffsetDateTime,
) -> Result<&'c Principal, HuaweiAuthError> {
    let rest = authorization
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(HuaweiAuthError::Malformed)?;
    let mut access = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in rest.split(',').map(str::trim) {
        match field.split_once('=') {
            Some(("Access", v)) => access = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(HuaweiAuthError::Malformed),
        }
    }
    let (Some(ak), Some(signed_headers), Some(signature)) = (access, signed_headers, signature)
    else {
        return Err(HuaweiAuthError::Malformed);
    };
    let (principal, sk) =
        creds.by_access_key(ak).ok_or_else(|| HuaweiAuthError::UnknownAk(ak.to_owned()))?;
    let date = (parts.header)("x-sdk-date").ok_or(HuaweiAuthError::Expired)?;
    let signed_at = parse_sdk_date(&date).ok_or(HuaweiAuthError::Expired)?;
    if (now - signed_at).abs() > WINDOW {
        return Err(HuaweiAuthError::Expired);
    }
    let expected = sign(sk, &date, &canonical_request(parts, signed_headers));
    let given = hex::decode(signature).map_err(|_| HuaweiAuthError::BadSignature)?;
    if subtle::ConstantTimeEq::ct_eq(expected.as_slice(), given.as_slice()).into() {
        Ok(principal)
    } else {
        Err(HuaweiAuthError::BadSignature)
    }
}

/// The canonical request of §4.2 of the reference: method, URI, query, headers, names, body hash.
pub fn canonical_request(parts: &SignedParts<'_>, signed_headers: &str) -> String {
    let mut headers = String::new();
    for name in signed_headers.split(';').filter(|n| !n.is_empty()) {
        let value = (parts.header)(name).unwrap_or_default();
        headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let payload = match (parts.header)("x-sdk-content-sha256") {
        Some(v) => v,
        None => hex::encode(Sha256::digest(parts.body)),
    };
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers}\n{payload}",
        parts.method,
        canonical_uri(parts.raw_path),
        canonical_query(parts.raw_query.unwrap_or_default())
    )
}

/// The hex HMAC-SHA256 signature of a canonical request.
pub fn sign(sk: &str, sdk_date: &str, canonical: &str) -> Vec<u8> {
    let to_sign =
        format!("{ALGORITHM}\n{sdk_date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let mut mac =
        Hmac::<Sha256>::new_from_slice(sk.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(to_sign.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn canonical_uri(raw_path: &str) -> String {
    let decoded = percent_decode_str(raw_path).decode_utf8_lossy();
    let mut uri = decoded
        .split('/')
        .map(|s| utf8_percent_encode(s, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn canonical_query(raw_query: &str) -> String {
    let decode =
        |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| {
            format!("{}={}", utf8_percent_encode(k, UNRESERVED), utf8_percent_encode(v, UNRESERVED))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn parse_sdk_date(value: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(value, format).ok().map(PrimitiveDateTime::assume_utc)
}

/// Formats a time as `X-Sdk-Date` (for clients and tests).
pub fn format_sdk_date(t: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}

/// Poem middleware: authenticates every request of a Huawei family.
pub struct HuaweiAuth {
    pub credentials: Arc<Credentials>,
    pub clock: Arc<dyn Clock>,
    pub body_limit: usize,
}

impl<E: Endpoint> Middleware<E> for HuaweiAuth {
    type Output = HuaweiAuthEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        HuaweiAuthEndpoint {
            inner,
            credentials: self.credentials.clone(),
            clock: self.clock.clone(),
            body_limit: self.body_limit,
        }
    }
}

pub struct HuaweiAuthEndpoint<E> {
    inner: E,
    credentials: Arc<Credentials>,
    clock: Arc<dyn Clock>,
    body_limit: usize,
}

impl<E: Endpoint> Endpoint for HuaweiAuthEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let body = req
            .take_body()
            .into_bytes_limit(self.body_limit)
            .await
            .map_err(|_| HuaweiAuthError::BodyTooLarge(self.body_limit))?;
        let principal = self.authenticate(&req, &body)?.clone();
        if let Some(project) = req.headers().get("x-project-id").and_then(|v| v.to_str().ok())
            && project != principal.project_id
        {
            return Err(HuaweiAuthError::WrongProject(project.to_owned()).into());
        }
        req.set_body(body);
        req.extensions_mut().insert(principal);
        self.inner.call(req).await
    }
}

impl<E> HuaweiAuthEndpoint<E> {
    fn authenticate(&self, req: &Request, body: &[u8]) -> Result<&Principal, HuaweiAuthError> {
        let header =
            |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let Some(token) = header("x-auth-token") {
            return self.credentials.by_token(&token).ok_or(HuaweiAuthError::BadToken);
        }
        let authorization = header("authorization").ok_or(HuaweiAuthError::Missing)?;
        let parts = SignedParts {
            method: req.method().as_str(),
            raw_path: req.uri().path(),
            raw_query: req.uri().query(),
            header: &header,
            body,
        };
        verify_signature(&self.credentials, &authorization, &parts, self.clock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(header: &'a dyn Fn(&str) -> Option<String>, body: &'a [u8]) -> SignedParts<'a> {
        SignedParts {
            method: "GET",
            raw_path: "/v5/imagecaches",
            raw_query: Some("name=a%20b&limit=2"),
            header,
            body,
        }
    }

    #[test]
    fn canonical_request_follows_the_sdk_rules() {
        let header = |n: &str| match n {
            "host" => Some("127.0.0.1:8080".to_owned()),
            "x-sdk-date" => Some("20261201T120000Z".to_owned()),
            _ => None,
        };
        let canonical = canonical_request(&parts(&header, b""), "host;x-sdk-date");
        assert_eq!(
            canonical,
            "GET\n/v5/imagecaches/\nlimit=2&name=a%20b\nhost:127.0.0.1:8080\nx-sdk-date:20261201T120000Z\n\nhost;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            canonical_uri("/v2/manage/namespaces/ns/repos/team%24busybox"),
            "/v2/manage/namespaces/ns/repos/team%24busybox/"
        );
    }

    #[test]
    fn signatures_are_checked_against_the_secret_and_the_clock() {
        let creds = Credentials::development();
        let key = &creds.principals[0].access_keys[0];
        let now = OffsetDateTime::from_unix_timestamp(1_796_126_400).expect("valid time");
        let date = format_sdk_date(now);
        let header = |n: &str| (n == "x-sdk-date").then(|| date.clone());
        let p = parts(&header, b"");
        let good = hex::encode(sign(&key.sk, &date, &canonical_request(&p, "x-sdk-date")));
        let auth = |sig: &str, ak: &str| {
            format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders=x-sdk-date, Signature={sig}")
        };
        assert_eq!(
            verify_signature(&creds, &auth(&good, &key.ak), &p, now).map(|p| p.name.as_str()),
            Ok("alice")
        );
        let bad = hex::encode(sign("wrong", &date, &canonical_request(&p, "x-sdk-date")));
        assert_eq!(
            verify_signature(&creds, &auth(&bad, &key.ak), &p, now),
            Err(HuaweiAuthError::BadSignature)
        );
        assert_eq!(
            verify_signature(&creds, &auth(&good, &key.ak), &p, now + Duration::minutes(16)),
            Err(HuaweiAuthError::Expired)
        );
        assert!(matches!(
            verify_signature(&creds, &auth(&good, "NOPE"), &p, now),
            Err(HuaweiAuthError::UnknownAk(_))
        ));
        assert_eq!(verify_signature(&creds, "Basic abc", &p, now), Err(HuaweiAuthError::Malformed));
    }
}
