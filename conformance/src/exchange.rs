//! What the tester sends and receives: a request exactly as built (serializable, so a replay
//! file can carry it and a report can show it as a curl line) and a response as the target sent
//! it.

use serde::{Deserialize, Serialize};

/// A request as the tester builds it; serializable, so a replay file can carry it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, e.g. `/v5/imagecaches?name=a`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// Serialized as a string when it is UTF-8, as an array of bytes otherwise.
    #[serde(with = "body_serde")]
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

/// Bodies in JSON: a string when the bytes are UTF-8 (readable replay files), an array of bytes
/// otherwise, so that every body round-trips exactly.
mod body_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => body.serialize(serializer),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        Ok(match Body::deserialize(deserializer)? {
            Body::Text(text) => text.into_bytes(),
            Body::Bytes(bytes) => bytes,
        })
    }
}
