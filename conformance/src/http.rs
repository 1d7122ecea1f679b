//! The HTTP [`Transport`] for real targets, on ureq: synchronous like the checks that drive it
//! (no async runtime to nest), and built on rustls with ring, so it needs no C toolchain beyond
//! what the workspace already has (reqwest 0.13's rustls pulls in aws-lc-sys).
//!
//! HTTPS targets are verified against Mozilla's roots (webpki-roots, built in), or against the
//! certificates of a PEM file instead ([`Trust::ca_file`], `--ca-cert`, like curl's `--cacert`),
//! or not at all ([`Trust::Insecure`], `--insecure`). A handshake that fails is a
//! [`TransportError`] that says it is a TLS problem and how to trust the target.

use std::path::Path;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::exchange::{HttpRequest, HttpResponse};
use crate::transport::{Transport, TransportError};

/// Bodies larger than this are cut off and reported as unreadable.
pub const MAX_BODY: u64 = 16 << 20;

pub struct Http {
    base: String,
    agent: ureq::Agent,
}

/// Which certificates an HTTPS target may present.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// Those Mozilla's roots vouch for.
    #[default]
    WebPki,
    /// Those these roots (DER) vouch for, and no others.
    Roots(Vec<Vec<u8>>),
    /// Any certificate: no verification at all.
    Insecure,
}

/// A CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("reading the CA file {0}")]
    Read(String, #[source] std::io::Error),
    #[error("the CA file {0} is not PEM: {1}")]
    Parse(String, String),
    #[error("the CA file {0} holds no PEM certificate")]
    Empty(String),
}

impl Trust {
    /// The certificates of a PEM file as the only roots.
    pub fn ca_file(path: &Path) -> Result<Self, TrustError> {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| TrustError::Read(shown.clone(), e))?;
        let mut roots = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(c)) => roots.push(c.der().to_vec()),
                Ok(_) => {}
                Err(e) => return Err(TrustError::Parse(shown, e.to_string())),
            }
        }
        if roots.is_empty() {
            return Err(TrustError::Empty(shown));
        }
        Ok(Trust::Roots(roots))
    }
}

impl Http {
    /// A transport that trusts Mozilla's roots.
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self::with_trust(base_url, timeout, &Trust::WebPki)
    }

    pub fn with_trust(base_url: &str, timeout: Duration, trust: &Trust) -> Self {
        let tls = match trust {
            Trust::WebPki => TlsConfig::builder(),
            Trust::Roots(roots) => {
                let certs: Vec<Certificate<'static>> =
                    roots.iter().map(|der| Certificate::from_der(der).to_owned()).collect();
                TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs))
            }
            Trust::Insecure => TlsConfig::builder().disable_verification(true),
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .tls_config(tls.build())
            .build()
            .new_agent();
        Self { base: base_url.trim_end_matches('/').to_owned(), agent }
    }
}

/// A transport error's message; TLS failures say so and how to trust the target.
fn failure(url: &str, e: &ureq::Error) -> TransportError {
    let tls = match e {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    match tls {
        Some(tls) => TransportError(format!(
            "{url}: TLS handshake failed: {tls} (the target's certificate is not trusted or \
             not valid for this host; --ca-cert FILE trusts the CA that signed it, --insecure \
             skips verification)"
        )),
        None => TransportError(format!("{url}: {e}")),
    }
}

impl Transport for Http {
    fn send(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = format!("{}{}", self.base, r.target);
        let mut builder = ureq::http::Request::builder().method(r.method.as_str()).uri(&url);
        for (k, v) in &r.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request =
            builder.body(r.body.clone()).map_err(|e| TransportError(format!("{url}: {e}")))?;
        let mut resp = self.agent.run(request).map_err(|e| failure(&url, &e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_owned())
            })
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| TransportError(format!("{url}: reading the body: {e}")))?;
        Ok(HttpResponse { status, headers, body })
    }
}
