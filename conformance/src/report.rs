//! What a run found: every check that ran, every violation with a reproducing curl line and the
//! exact request, as text or JSON (and as JUnit XML: `Report::to_junit`, in `junit`, which
//! depends on this module and not the other way round).

use serde::Serialize;

use crate::exchange::HttpRequest;

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
    /// The request that showed it, exactly as sent (for replay files).
    pub request: HttpRequest,
    /// The family whose run found it (`glance`, `cce`, ...); set when a family's part joins
    /// the run's report ([`Report::absorb`]), empty before.
    pub family: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub seed: u64,
    pub requests: usize,
    /// Ids of the checks that ran (for any family).
    pub checks: Vec<String>,
    pub findings: Vec<Finding>,
    /// Per family tested, in run order: the checks that ran for it.
    pub families: Vec<FamilyChecks>,
}

/// The checks that ran for one family, in the order they first ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FamilyChecks {
    pub family: String,
    pub checks: Vec<String>,
    /// Requests sent for this family.
    pub requests: usize,
}

/// One check's verdict: its violations and warnings, each in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome<'a> {
    pub check: &'a str,
    pub violations: Vec<&'a Finding>,
    pub warnings: Vec<&'a Finding>,
}

impl CheckOutcome<'_> {
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
    }

    /// Passed, but with warnings.
    pub fn warned(&self) -> bool {
        self.violations.is_empty() && !self.warnings.is_empty()
    }
}

impl Report {
    /// Conformant: no finding other than warnings.
    pub fn conformant(&self) -> bool {
        self.findings.iter().all(|f| f.warning)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Every check that ran, in the order it first ran, with its findings. A check that only
    /// appears in a finding still gets its outcome.
    pub fn by_check(&self) -> Vec<CheckOutcome<'_>> {
        outcomes(self.checks.iter().map(String::as_str), self.findings.iter())
    }

    /// Per family, in run order: its request count and its checks with their findings (as
    /// [`Report::by_check`]). Checks
    /// and findings of no family (a report not built by [`Report::absorb`]) come last, under
    /// the family name `""`.
    pub fn by_family(&self) -> Vec<(&str, usize, Vec<CheckOutcome<'_>>)> {
        let mut out: Vec<(&str, usize, Vec<CheckOutcome<'_>>)> = self
            .families
            .iter()
            .map(|f| {
                let found = self.findings.iter().filter(|x| x.family == f.family);
                let checks = outcomes(f.checks.iter().map(String::as_str), found);
                (f.family.as_str(), f.requests, checks)
            })
            .collect();
        let listed = |c: &String| self.families.iter().any(|f| f.checks.contains(c));
        let rest: Vec<&str> =
            self.checks.iter().filter(|c| !listed(c)).map(String::as_str).collect();
        let known = |f: &&Finding| self.families.iter().any(|x| x.family == f.family);
        let orphans: Vec<&Finding> = self.findings.iter().filter(|f| !known(f)).collect();
        if !rest.is_empty() || !orphans.is_empty() {
            let counted: usize = self.families.iter().map(|f| f.requests).sum();
            let requests = self.requests.saturating_sub(counted);
            out.push(("", requests, outcomes(rest, orphans.into_iter())));
        }
        out
    }

    /// Adds one family's part of the run (a session's report): its requests, its checks (to
    /// the run's and the family's lists) and its findings, each labelled with the family.
    /// Keeps only the checks `keep` selects, and their findings.
    pub fn retain_checks(&mut self, keep: impl Fn(&str) -> bool) {
        self.checks.retain(|c| keep(c));
        self.findings.retain(|f| keep(&f.check));
        for f in &mut self.families {
            f.checks.retain(|c| keep(c));
        }
    }

    pub fn absorb(&mut self, family: &str, part: Report) {
        self.requests += part.requests;
        let at = match self.families.iter().position(|f| f.family == family) {
            Some(i) => i,
            None => {
                let checks = FamilyChecks { family: family.to_owned(), ..FamilyChecks::default() };
                self.families.push(checks);
                self.families.len() - 1
            }
        };
        self.families[at].requests += part.requests;
        let checks = part.checks.iter().chain(part.findings.iter().map(|f| &f.check));
        for c in checks {
            if !self.checks.contains(c) {
                self.checks.push(c.clone());
            }
            if !self.families[at].checks.contains(c) {
                self.families[at].checks.push(c.clone());
            }
        }
        for mut f in part.findings {
            f.family = family.to_owned();
            self.findings.push(f);
        }
    }

    /// The summary line, a verdict per check, then every finding grouped by check.
    pub fn to_text(&self) -> String {
        let outcomes = self.by_check();
        let failures = self.findings.iter().filter(|f| !f.warning).count();
        let mut out = format!(
            "{} checks, {} requests, {failures} violation(s), {} warning(s), seed {}\n",
            outcomes.len(),
            self.requests,
            self.findings.len() - failures,
            self.seed
        );
        out.push_str(&verdicts(&outcomes));
        for f in outcomes.iter().flat_map(|o| o.violations.iter().chain(&o.warnings)) {
            let kind = if f.warning { "warning" } else { "violation" };
            out.push_str(&format!(
                "\n{kind} {} on {}: {}\n  {}\n",
                f.check, f.operation, f.message, f.curl
            ));
        }
        out
    }
}

/// Each check of `checks` in order, then any other check a finding names, with its findings.
fn outcomes<'a>(
    checks: impl IntoIterator<Item = &'a str>,
    findings: impl Iterator<Item = &'a Finding> + Clone,
) -> Vec<CheckOutcome<'a>> {
    let mut ids: Vec<&str> = checks.into_iter().collect();
    for f in findings.clone() {
        if !ids.contains(&f.check.as_str()) {
            ids.push(&f.check);
        }
    }
    ids.into_iter()
        .map(|check| {
            let (warnings, violations) =
                findings.clone().filter(|f| f.check == check).partition(|f| f.warning);
            CheckOutcome { check, violations, warnings }
        })
        .collect()
}

/// `by check: F failed, W warned, P passed` and one aligned line per check.
fn verdicts(outcomes: &[CheckOutcome<'_>]) -> String {
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    let warned = outcomes.iter().filter(|o| o.warned()).count();
    let passed = outcomes.len() - failed - warned;
    let mut out = format!("by check: {failed} failed, {warned} warned, {passed} passed\n");
    let width = outcomes.iter().map(|o| o.check.len()).max().unwrap_or(0);
    for o in outcomes {
        let line = match (o.violations.len(), o.warnings.len()) {
            (0, 0) => format!("  pass  {}", o.check),
            (0, w) => format!("  warn  {:<width$}  {w} warning(s)", o.check),
            (v, 0) => format!("  FAIL  {:<width$}  {v} violation(s)", o.check),
            (v, w) => format!("  FAIL  {:<width$}  {v} violation(s), {w} warning(s)", o.check),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: &str, message: &str, warning: bool) -> Finding {
        let request = HttpRequest {
            method: "GET".into(),
            target: "/v5/imagecaches".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        Finding {
            check: check.into(),
            operation: "GET /v5/imagecaches".into(),
            message: message.into(),
            curl: request.curl("http://h"),
            warning,
            request,
            family: String::new(),
        }
    }

    #[test]
    fn the_text_groups_findings_by_check_after_a_verdict_per_check() {
        let report = Report {
            seed: 3,
            requests: 9,
            checks: vec!["CCE-S01".into(), "C104".into(), "CCE-S06".into()],
            findings: vec![
                finding("C104", "first", false),
                finding("CCE-S06", "slow delete", true),
                finding("C104", "second", false),
                // A check that only appears in a finding still gets its verdict.
                finding("GLANCE-S10", "leak", false),
            ],
            families: Vec::new(),
        };
        let expected = "\
4 checks, 9 requests, 3 violation(s), 1 warning(s), seed 3
by check: 2 failed, 1 warned, 1 passed
  pass  CCE-S01
  FAIL  C104        2 violation(s)
  warn  CCE-S06     1 warning(s)
  FAIL  GLANCE-S10  1 violation(s)

violation C104 on GET /v5/imagecaches: first
  curl -i -X GET 'http://h/v5/imagecaches'

violation C104 on GET /v5/imagecaches: second
  curl -i -X GET 'http://h/v5/imagecaches'

warning CCE-S06 on GET /v5/imagecaches: slow delete
  curl -i -X GET 'http://h/v5/imagecaches'

violation GLANCE-S10 on GET /v5/imagecaches: leak
  curl -i -X GET 'http://h/v5/imagecaches'
";
        assert_eq!(report.to_text(), expected);
    }
}
