//! How the tester talks to a target: one request in, one response out. The library only sees
//! this trait, so the same checks run against a third-party URL or an in-process server.

/// A request as the tester builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, e.g. `/v5/imagecaches?name=a`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A response as the target sent it; header names are lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The target could not be reached or answered something that is not HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

pub trait Transport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl HttpRequest {
    /// A `curl` line that sends this request to `base`, for reports.
    pub fn curl(&self, base: &str) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line =
            format!("curl -i -X {} {}", self.method, quote(&format!("{base}{}", self.target)));
        for (k, v) in &self.headers {
            line.push_str(&format!(" -H {}", quote(&format!("{k}: {v}"))));
        }
        if !self.body.is_empty() {
            line.push_str(&format!(
                " --data-binary {}",
                quote(&String::from_utf8_lossy(&self.body))
            ));
        }
        line
    }
}
