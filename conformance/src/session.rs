//! A run's connection to the target: sends requests with the configured credentials, checks
//! every response against the spec (no 5xx, declared status, media type, headers, schema), and
//! collects findings.

use std::cell::RefCell;

use serde_json::Value;

use crate::checks::{self, Phase};
use crate::exchange::{HttpRequest, HttpResponse};
use crate::report::{Finding, Report};
use crate::signing::AkSk;
use crate::spec::Spec;
use crate::transport::Transport;
use crate::validate::validate_response;

/// What a family's exchange check concluded about one thing it looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub check: &'static str,
    /// `None` when the check passed.
    pub problem: Option<String>,
    /// A miss is only a warning (the contract is ambiguous there).
    pub warning: bool,
}

/// A family's extra check on every exchange (e.g. Glance images against the served schema).
pub type ExchangeCheck<'a> = Box<dyn Fn(&HttpRequest, &HttpResponse) -> Vec<Outcome> + 'a>;

pub struct Session<'a> {
    pub spec: &'a Spec,
    transport: &'a dyn Transport,
    base: &'a str,
    auth: Vec<(String, String)>,
    report: RefCell<Report>,
    unreachable: RefCell<Option<String>>,
    extra: RefCell<Vec<ExchangeCheck<'a>>>,
    /// AK/SK signing of every request, with the `Host` the transport sends.
    signer: Option<(AkSk, String)>,
}

impl<'a> Session<'a> {
    pub fn new(
        spec: &'a Spec,
        transport: &'a dyn Transport,
        base: &'a str,
        auth: Vec<(String, String)>,
    ) -> Self {
        Self {
            spec,
            transport,
            base,
            auth,
            report: RefCell::new(Report::default()),
            unreachable: RefCell::new(None),
            extra: RefCell::new(Vec::new()),
            signer: None,
        }
    }

    /// Signs every request with `key` (`SDK-HMAC-SHA256`); `host` is the target's authority.
    pub fn with_signer(mut self, signer: Option<(AkSk, String)>) -> Self {
        self.signer = signer;
        self
    }

    pub fn signer(&self) -> Option<(AkSk, String)> {
        self.signer.clone()
    }

    /// Adds a check that runs on every later exchange, after the contract checks.
    pub fn add_exchange_check(&self, check: ExchangeCheck<'a>) {
        self.extra.borrow_mut().push(check);
    }

    /// The credentials' headers this session sends.
    pub fn auth_headers(&self) -> &[(String, String)] {
        &self.auth
    }

    /// Sends a request (JSON body if given) and checks the response against the contract.
    /// `None` when the target could not be reached (recorded as a finding).
    pub fn call(
        &self,
        method: &str,
        target: &str,
        body: Option<&Value>,
    ) -> Option<(HttpRequest, HttpResponse)> {
        self.call_raw(
            method,
            target,
            body.map(|b| ("application/json", b.to_string().into_bytes())),
        )
    }

    pub fn call_raw(
        &self,
        method: &str,
        target: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Option<(HttpRequest, HttpResponse)> {
        self.call_with(method, target, &[], body)
    }

    /// Like [`Session::call_raw`] with extra request headers (after the credentials; a header
    /// given here replaces a credential header of the same name).
    pub fn call_with(
        &self,
        method: &str,
        target: &str,
        extra_headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Option<(HttpRequest, HttpResponse)> {
        let mut headers: Vec<(String, String)> = self
            .auth
            .iter()
            .filter(|(k, _)| !extra_headers.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        headers.extend(extra_headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let body = match body {
            Some((ct, bytes)) => {
                headers.push(("Content-Type".into(), ct.into()));
                bytes
            }
            None => Vec::new(),
        };
        let mut req = HttpRequest { method: method.into(), target: target.into(), headers, body };
        if let Some((key, host)) = &self.signer {
            crate::signing::sign(&mut req, key, host, time::OffsetDateTime::now_utc());
        }
        self.report.borrow_mut().requests += 1;
        let resp = match self.transport.send(&req) {
            Ok(r) => r,
            Err(e) => {
                self.unreachable
                    .borrow_mut()
                    .get_or_insert_with(|| format!("{} {}: {e}", req.method, req.target));
                return None;
            }
        };
        self.check_contract(&req, &resp);
        for check in self.extra.borrow().iter() {
            for o in check(&req, &resp) {
                match o.problem {
                    None => self.ran(o.check),
                    Some(message) => self.finding(o.check, &req, message, o.warning),
                }
            }
        }
        Some((req, resp))
    }

    fn check_contract(&self, req: &HttpRequest, resp: &HttpResponse) {
        if resp.status >= 500 {
            self.finding("C100", req, format!("server error {}", resp.status), false);
        }
        let path = req.target.split('?').next().unwrap_or(&req.target);
        let Some(op) = self.spec.find(&req.method, path) else { return };
        let header = |n: &str| resp.header(n).map(str::to_owned);
        match validate_response(
            self.spec,
            op,
            resp.status,
            resp.header("content-type"),
            &header,
            &resp.body,
        ) {
            Ok(violations) => {
                for code in checks::of_phase(Phase::Response) {
                    self.ran(code);
                }
                for v in violations {
                    self.finding(v.code, req, v.message, false);
                }
            }
            Err(e) => self.finding(
                "C000",
                req,
                format!("the spec's schema could not be used: {e}"),
                false,
            ),
        }
    }

    /// Records that a check ran and, unless `ok`, its finding.
    pub fn expect(
        &self,
        check: &str,
        ok: bool,
        req: &HttpRequest,
        message: impl FnOnce() -> String,
    ) {
        self.outcome(check, ok, req, message, false);
    }

    /// Like [`Session::expect`], but a miss is only a warning (the real service is unverified).
    pub fn lenient(
        &self,
        check: &str,
        ok: bool,
        req: &HttpRequest,
        message: impl FnOnce() -> String,
    ) {
        self.outcome(check, ok, req, message, true);
    }

    fn outcome(
        &self,
        check: &str,
        ok: bool,
        req: &HttpRequest,
        message: impl FnOnce() -> String,
        warning: bool,
    ) {
        if ok {
            self.ran(check);
        } else {
            self.finding(check, req, message(), warning);
        }
    }

    fn ran(&self, check: &str) {
        let mut report = self.report.borrow_mut();
        if !report.checks.iter().any(|c| c == check) {
            report.checks.push(check.to_owned());
        }
    }

    fn finding(&self, check: &str, req: &HttpRequest, message: String, warning: bool) {
        self.ran(check);
        let operation =
            format!("{} {}", req.method, req.target.split('?').next().unwrap_or(&req.target));
        let finding = Finding {
            check: check.to_owned(),
            operation,
            message,
            curl: req.curl(self.base),
            warning,
            request: req.clone(),
            family: String::new(),
        };
        self.transport.on_finding(&finding);
        self.report.borrow_mut().findings.push(finding);
    }

    /// The first transport failure so far, if any.
    pub fn unreachable(&self) -> Option<String> {
        self.unreachable.borrow().clone()
    }

    /// The report, or the first transport failure (a run the target did not answer cannot
    /// give a verdict).
    pub fn into_report(self) -> Result<Report, String> {
        match self.unreachable.into_inner() {
            Some(e) => Err(e),
            None => Ok(self.report.into_inner()),
        }
    }
}
