//! Replay files: one JSON file per finding with the exact request that showed it, so a finding
//! can be re-sent on its own (`--replay FILE`) while the target is being fixed.
//!
//! A file is named `<check>-<n>.json` (`n` counts from 1 per check, in report order) and holds a
//! [`Case`]. The request includes the run's credential headers, as the report's curl lines do.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exchange::{HttpRequest, HttpResponse};
use crate::report::Report;

/// One finding and everything needed to send its request again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub check: String,
    pub operation: String,
    pub message: String,
    pub warning: bool,
    /// The seed of the run that found it.
    pub seed: u64,
    /// Where the request went; a replay goes there unless told otherwise.
    pub base_url: String,
    pub request: HttpRequest,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot write {}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a replay file", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
}

/// Every finding of `report` as a case, with its file name.
pub fn cases(report: &Report, base_url: &str) -> Vec<(String, Case)> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    report
        .findings
        .iter()
        .map(|f| {
            let n = match seen.iter_mut().find(|(c, _)| *c == f.check) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((&f.check, 1));
                    1
                }
            };
            let case = Case {
                check: f.check.clone(),
                operation: f.operation.clone(),
                message: f.message.clone(),
                warning: f.warning,
                seed: report.seed,
                base_url: base_url.to_owned(),
                request: f.request.clone(),
            };
            (format!("{}-{n}.json", file_safe(&f.check)), case)
        })
        .collect()
}

/// Writes one file per finding into `dir` (created if missing); returns the paths written.
pub fn write_all(report: &Report, base_url: &str, dir: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| ReplayError::Write { path: dir.to_owned(), source })?;
    cases(report, base_url)
        .into_iter()
        .map(|(name, case)| {
            let path = dir.join(name);
            let mut text = serde_json::to_string_pretty(&case).unwrap_or_default();
            text.push('\n');
            std::fs::write(&path, text)
                .map_err(|source| ReplayError::Write { path: path.clone(), source })?;
            Ok(path)
        })
        .collect()
}

pub fn read(path: &Path) -> Result<Case, ReplayError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ReplayError::Read { path: path.to_owned(), source })?;
    serde_json::from_str(&text)
        .map_err(|source| ReplayError::Parse { path: path.to_owned(), source })
}

/// A response as a replay prints it: status line, headers, a blank line, the body.
pub fn render_response(response: &HttpResponse) -> String {
    let mut out = format!("HTTP {}\n", response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&response.body));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A check id as a file name: anything but letters, digits, `-` and `_` becomes `_`.
fn file_safe(check: &str) -> String {
    check
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Finding;

    fn finding(check: &str, body: Vec<u8>) -> Finding {
        let request = HttpRequest {
            method: "POST".into(),
            target: "/v5/imagecaches?name=a%20b&x=\"y\"".into(),
            headers: vec![
                ("X-Auth-Token".into(), "alice-token".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body,
        };
        Finding {
            check: check.into(),
            operation: "POST /v5/imagecaches".into(),
            message: "create answered 500".into(),
            curl: request.curl("http://127.0.0.1:8080"),
            warning: false,
            request,
            family: String::new(),
        }
    }

    #[test]
    fn a_written_case_reads_back_with_the_identical_request() {
        let report = Report {
            seed: 42,
            requests: 3,
            checks: vec!["C100".into(), "CCE-S01".into()],
            findings: vec![
                finding("C100", br#"{"name":"caf\u00e9 \u2603","n":1}"#.to_vec()),
                finding("CCE-S01", "naïve ☃\n".as_bytes().to_vec()),
                finding("C100", vec![0xff, 0x00, 0xfe, b'a']),
            ],
            families: Vec::new(),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = write_all(&report, "http://127.0.0.1:8080", dir.path()).expect("writes");
        let names: Vec<_> =
            paths.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy()).collect();
        assert_eq!(names, ["C100-1.json", "CCE-S01-1.json", "C100-2.json"]);
        for (path, finding) in paths.iter().zip(&report.findings) {
            let case = read(path).expect("reads");
            assert_eq!(case.request, finding.request, "{}", path.display());
            assert_eq!(
                (case.check.as_str(), case.message.as_str()),
                (finding.check.as_str(), finding.message.as_str())
            );
            assert_eq!((case.seed, case.base_url.as_str()), (42, "http://127.0.0.1:8080"));
        }
        let text = std::fs::read_to_string(&paths[1]).expect("reads");
        assert!(text.contains(r#""body": "naïve ☃\n""#), "UTF-8 bodies stay readable: {text}");
    }

    #[test]
    fn a_file_that_is_not_a_case_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.json");
        std::fs::write(&path, r#"{"check": "C100"}"#).expect("writes");
        assert!(matches!(read(&path), Err(ReplayError::Parse { .. })));
        assert!(matches!(read(&dir.path().join("missing.json")), Err(ReplayError::Read { .. })));
    }

    #[test]
    fn check_ids_become_safe_file_names() {
        assert_eq!(file_safe("CCE-S01"), "CCE-S01");
        assert_eq!(file_safe("a/b c"), "a_b_c");
    }
}
