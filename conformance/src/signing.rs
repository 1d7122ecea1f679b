//! Huawei Cloud's `SDK-HMAC-SHA256` request signing (SWR, CCE), as the official SDKs sign: a
//! canonical request (method, URI with a trailing slash, sorted query, the signed headers, the
//! body's SHA-256), hashed into a string to sign with `X-Sdk-Date`, HMAC-ed with the secret key.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, macros::format_description};

use crate::exchange::HttpRequest;

const ALGORITHM: &str = "SDK-HMAC-SHA256";
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// An access key pair, optionally bound to a project (sent as `X-Project-Id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AkSk {
    pub ak: String,
    pub sk: String,
    pub project_id: Option<String>,
}

impl std::str::FromStr for AkSk {
    type Err = String;

    /// `AK:SK` or `AK:SK:PROJECT_ID`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ak), Some(sk), project) if !ak.is_empty() && !sk.is_empty() => Ok(Self {
                ak: ak.to_owned(),
                sk: sk.to_owned(),
                project_id: project.filter(|p| !p.is_empty()).map(str::to_owned),
            }),
            _ => Err("expected AK:SK or AK:SK:PROJECT_ID".into()),
        }
    }
}

/// Adds `X-Sdk-Date`, `X-Project-Id` (when the key has one) and the `Authorization` header.
/// `host` is the authority the transport will send as `Host` (it is signed too).
pub fn sign(req: &mut HttpRequest, key: &AkSk, host: &str, now: OffsetDateTime) {
    let date = now
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_default();
    req.headers.retain(|(k, _)| {
        !["authorization", "x-sdk-date"].contains(&k.to_ascii_lowercase().as_str())
    });
    req.headers.push(("X-Sdk-Date".into(), date.clone()));
    if let Some(p) = &key.project_id
        && !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-project-id"))
    {
        req.headers.push(("X-Project-Id".into(), p.clone()));
    }
    let mut signed: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .filter(|(k, _)| k == "x-sdk-date" || k == "x-project-id" || k == "content-type")
        .collect();
    signed.push(("host".into(), host.to_owned()));
    signed.sort();
    let names: Vec<&str> = signed.iter().map(|(k, _)| k.as_str()).collect();
    let names = names.join(";");
    let headers: String = signed.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let canonical = format!(
        "{}\n{}\n{}\n{headers}\n{names}\n{}",
        req.method,
        canonical_uri(path),
        canonical_query(query),
        hex::encode(Sha256::digest(&req.body))
    );
    let to_sign =
        format!("{ALGORITHM}\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let signature = match Hmac::<Sha256>::new_from_slice(key.sk.as_bytes()) {
        Ok(mut mac) => {
            mac.update(to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    req.headers.push((
        "Authorization".into(),
        format!("{ALGORITHM} Access={}, SignedHeaders={names}, Signature={signature}", key.ak),
    ));
}

fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
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

fn canonical_query(query: &str) -> String {
    let decode =
        |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=').map_or((decode(p), String::new()), |(k, v)| (decode(k), decode(v)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_requests_get_the_three_headers() {
        let key: AkSk = "AK1:secret:proj".parse().expect("valid");
        assert_eq!(key.project_id.as_deref(), Some("proj"));
        assert!("AK1".parse::<AkSk>().is_err());
        let mut req = HttpRequest {
            method: "GET".into(),
            target: "/v5/imagecaches?name=a b".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Vec::new(),
        };
        sign(&mut req, &key, "example.test", OffsetDateTime::UNIX_EPOCH);
        let auth = req.headers.iter().find(|(k, _)| k == "Authorization").expect("signed");
        assert!(auth.1.starts_with("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature="), "{}", auth.1);
        assert!(req.headers.iter().any(|(k, v)| k == "X-Sdk-Date" && v == "19700101T000000Z"));
        let mut again = req.clone();
        sign(&mut again, &key, "example.test", OffsetDateTime::UNIX_EPOCH);
        let (mut a, mut b) = (again.headers.clone(), req.headers.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "re-signing replaces, never duplicates");
    }
}
