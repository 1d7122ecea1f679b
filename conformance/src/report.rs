//! What a run found: every check that ran, every violation with a reproducing curl line, as text
//! or JSON.

use serde::Serialize;

/// One deviation from the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's stable id, e.g. `C104` (response schema) or `CCE-S03` (exact name filter).
    pub check: String,
    /// `METHOD path` of the request that showed it.
    pub operation: String,
    pub message: String,
    /// A command that sends the same request.
    pub curl: String,
    /// Warnings are deviations where the real service's behaviour is unverified.
    pub warning: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub seed: u64,
    pub requests: usize,
    /// Ids of the checks that ran.
    pub checks: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Conformant: no finding other than warnings.
    pub fn conformant(&self) -> bool {
        self.findings.iter().all(|f| f.warning)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn to_text(&self) -> String {
        let failures = self.findings.iter().filter(|f| !f.warning).count();
        let mut out = format!(
            "{} checks, {} requests, {failures} violation(s), {} warning(s), seed {}\n",
            self.checks.len(),
            self.requests,
            self.findings.len() - failures,
            self.seed
        );
        for f in &self.findings {
            let kind = if f.warning { "warning" } else { "violation" };
            out.push_str(&format!(
                "\n{kind} {} on {}: {}\n  {}\n",
                f.check, f.operation, f.message, f.curl
            ));
        }
        out
    }
}
