//! The HTTP [`Transport`] for real targets, on ureq: synchronous like the checks that drive it
//! (no async runtime to nest), and built on rustls with ring, so it needs no C toolchain beyond
//! what the workspace already has (reqwest 0.13's rustls pulls in aws-lc-sys).

use std::time::Duration;

use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Bodies larger than this are cut off and reported as unreadable.
pub const MAX_BODY: u64 = 16 << 20;

pub struct Http {
    base: String,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .build()
            .new_agent();
        Self { base: base_url.trim_end_matches('/').to_owned(), agent }
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
        let mut resp =
            self.agent.run(request).map_err(|e| TransportError(format!("{url}: {e}")))?;
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
