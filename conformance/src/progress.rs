//! A progress line for interactive runs: a [`Transport`] wrapper that counts the requests it
//! sends and the findings sessions report to it ([`Transport::on_finding`]), drawn by indicatif
//! on stderr. Where stderr is not a terminal (CI logs, tests) it draws nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::exchange::{HttpRequest, HttpResponse};
use crate::report::Finding;
use crate::transport::{Transport, TransportError};

pub struct Progress<'a> {
    inner: &'a dyn Transport,
    bar: ProgressBar,
    violations: AtomicUsize,
    warnings: AtomicUsize,
}

impl<'a> Progress<'a> {
    /// Draws on stderr if it is a terminal, nowhere otherwise.
    pub fn on_stderr(inner: &'a dyn Transport) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden(inner);
        }
        let progress = Self::with_target(inner, ProgressDrawTarget::stderr());
        progress.bar.enable_steady_tick(Duration::from_millis(120));
        progress
    }

    /// Counts without drawing.
    pub fn hidden(inner: &'a dyn Transport) -> Self {
        Self::with_target(inner, ProgressDrawTarget::hidden())
    }

    /// Requests sent, violations and warnings reported so far.
    pub fn counts(&self) -> (u64, usize, usize) {
        (
            self.bar.position(),
            self.violations.load(Ordering::Relaxed),
            self.warnings.load(Ordering::Relaxed),
        )
    }

    /// Removes the line, so the report that follows starts on a clean terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn with_target(inner: &'a dyn Transport, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} requests, {msg} {elapsed}")
        {
            bar.set_style(style);
        }
        let (violations, warnings) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let progress = Self { inner, bar, violations, warnings };
        progress.show_findings();
        progress
    }

    fn show_findings(&self) {
        self.bar.set_message(format!(
            "{} violation(s), {} warning(s)",
            self.violations.load(Ordering::Relaxed),
            self.warnings.load(Ordering::Relaxed)
        ));
    }
}

impl Transport for Progress<'_> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.bar.inc(1);
        self.inner.send(request)
    }

    fn on_finding(&self, finding: &Finding) {
        let count = if finding.warning { &self.warnings } else { &self.violations };
        count.fetch_add(1, Ordering::Relaxed);
        self.show_findings();
        self.inner.on_finding(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Family;
    use crate::session::Session;
    use crate::spec::Spec;

    /// Answers every request with a 500, so each exchange is at least a `C100` violation.
    struct Broken;

    impl Transport for Broken {
        fn send(&self, _: &HttpRequest) -> Result<HttpResponse, TransportError> {
            Ok(HttpResponse { status: 500, headers: Vec::new(), body: Vec::new() })
        }
    }

    #[test]
    fn counts_what_the_session_reports() {
        let spec = Spec::from_text(Family::Cce.builtin_spec()).expect("the CCE spec loads");
        let progress = Progress::hidden(&Broken);
        let session = Session::new(&spec, &progress, "http://127.0.0.1:1", Vec::new());
        for _ in 0..3 {
            let (req, _) = session.call("GET", "/v5/imagecaches", None).expect("answered");
            session.lenient("X-1", false, &req, || "a warning".into());
        }
        let report = session.into_report().expect("answered");
        let violations = report.findings.iter().filter(|f| !f.warning).count();
        assert!(violations >= 3, "{}", report.to_text());
        assert_eq!(progress.counts(), (3, violations, 3));
    }
}
