//! Middleware shared by the families: the access log, request ids, small bodies read before any
//! answer, and the contract guard that refuses unknown paths, methods and query parameters
//! before poem-openapi parses anything.

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, error::ResponseError, http::StatusCode,
};

use crate::contract::{Contract, Mismatch};

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served (empty outside a request).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Gives every request an id made by `make`, visible to error converters, and returns it in
/// `header`.
pub struct RequestId {
    pub header: &'static str,
    pub make: fn() -> String,
}

impl RequestId {
    /// 32 hex digits (Huawei Cloud's form).
    pub fn hex(header: &'static str) -> Self {
        Self { header, make: || uuid::Uuid::new_v4().simple().to_string() }
    }

    /// `req-` and a hyphenated UUID (OpenStack's form).
    pub fn openstack(header: &'static str) -> Self {
        Self {
            header,
            make: || {
                let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
                let uuid = uuid::Uuid::new_v4();
                ["req-", uuid.hyphenated().encode_lower(&mut buf)].concat()
            },
        }
    }
}

impl<E: Endpoint> Middleware<E> for RequestId {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestIdEndpoint { inner, header: self.header, make: self.make }
    }
}

pub struct RequestIdEndpoint<E> {
    inner: E,
    header: &'static str,
    make: fn() -> String,
}

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let id = (self.make)();
        let result = REQUEST_ID.scope(id.clone(), self.inner.call(req)).await;
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if let Ok(value) = id.parse() {
            resp.headers_mut().insert(self.header, value);
        }
        Ok(resp)
    }
}

/// The response headers that carry a family's request id, one per family's form.
const REQUEST_ID_HEADERS: [&str; 3] =
    ["x-openstack-request-id", "x-request-id", "x-snowflake-request-id"];

/// One `imagespec::access` log line per request: method, path, status, time taken and the request
/// id the family answered with. Only those: no query string, header or body is logged, so tokens,
/// AK/SK signatures and whatever a client puts in a URL never reach the log; the path is written
/// quoted and escaped, so a hostile path cannot forge a line.
///
/// The line is enabled and filtered like any `tracing` event (`RUST_LOG`). Where the server has
/// installed its log writer ([`crate::log_writer::install_access`]), the line is formatted here
/// and appended to it directly, in the layout tracing-subscriber gives every other line: through
/// tracing's formatter it cost about 7% of the server's time on a Glance show (the timestamp and
/// the field visitors). Elsewhere (tests, embedders) it is an ordinary `tracing` event.
pub struct AccessLog;

/// Marks a response that is never sent (fault injection's dropped connection): the access log
/// records it with status 444, nginx's code for a connection closed without a response, not the
/// status of the head that was built and thrown away.
#[derive(Debug, Clone, Copy)]
pub struct NoAnswer;

/// The status an access line records for a response.
fn logged_status(resp: &Response) -> u16 {
    if resp.extensions().get::<NoAnswer>().is_some() { 444 } else { resp.status().as_u16() }
}

impl<E: Endpoint> Middleware<E> for AccessLog {
    type Output = AccessLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AccessLogEndpoint { inner }
    }
}

pub struct AccessLogEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for AccessLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !tracing::enabled!(target: "imagespec::access", tracing::Level::INFO) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let start = std::time::Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let id = REQUEST_ID_HEADERS
            .iter()
            .find_map(|h| resp.headers().get(*h))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let status = logged_status(&resp);
        let micros = start.elapsed().as_micros() as u64;
        match crate::log_writer::access() {
            Some(sink) => {
                let line = AccessLine { method: method.as_str(), path: &path, status, micros, id };
                sink.append_with(|buf| line.write(std::time::SystemTime::now(), buf));
            }
            None => tracing::info!(
                target: "imagespec::access",
                %method,
                ?path,
                status,
                micros,
                request_id = id,
            ),
        }
        Ok(resp)
    }
}

/// Bodies read whole before any layer answers, at most this long (a declared `Content-Length`).
pub const PREFETCH_MAX: u64 = 64 * 1024;

/// Reads a small request body (a `Content-Length` of at most [`PREFETCH_MAX`], no `Expect`)
/// before the families see the request. A layer that answers without reading the body (a 404
/// for an upload to an unknown image, a 401, a 415, an injected fault) would otherwise leave it
/// unread, and hyper then closes the connection; a body still on its way reaches a closed
/// socket, the kernel answers with a reset, and the client can lose the answer it was sent
/// (the fuzz campaign's HTTP client did, once in 500,000 requests). Read first, the body is
/// gone from the connection and it stays open. Larger or chunked bodies stream as before (Glance
/// uploads); a client that sends `Expect: 100-continue` waits for the answer instead.
pub struct Prefetch;

impl<E: Endpoint> Middleware<E> for Prefetch {
    type Output = PrefetchEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        PrefetchEndpoint { inner }
    }
}

pub struct PrefetchEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for PrefetchEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let small = req
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0 && n <= PREFETCH_MAX);
        if small && !req.headers().contains_key(poem::http::header::EXPECT) {
            let body = match req.take_body().into_bytes().await {
                Ok(bytes) => poem::Body::from_bytes(bytes),
                // The families meet the failure where they read the body, as before.
                Err(e) => poem::Body::from_bytes_stream(futures_util::stream::once(async move {
                    Err::<bytes::Bytes, _>(std::io::Error::other(e.to_string()))
                })),
            };
            req.set_body(body);
        }
        self.inner.call(req).await
    }
}

/// What one access line says.
struct AccessLine<'a> {
    method: &'a str,
    path: &'a str,
    status: u16,
    micros: u64,
    id: &'a str,
}

impl AccessLine<'_> {
    /// Appends the line as tracing-subscriber's default format writes the same event (without
    /// colours): `2026-12-06T21:08:52.105959Z  INFO imagespec::access: method=GET path="/v2/x"
    /// status=200 micros=12 request_id="req-..."` and a newline.
    fn write(&self, now: std::time::SystemTime, buf: &mut Vec<u8>) {
        use std::io::Write;
        let since = now.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        write_second(since.as_secs(), buf);
        let _ = writeln!(
            buf,
            ".{:06}Z  INFO imagespec::access: method={} path={:?} status={} micros={} \
             request_id={:?}",
            since.subsec_micros(),
            self.method,
            self.path,
            self.status,
            self.micros,
            self.id,
        );
    }
}

/// Appends `YYYY-MM-DDTHH:MM:SS` (UTC) for a Unix time in seconds, formatted once per second
/// and thread.
fn write_second(secs: u64, buf: &mut Vec<u8>) {
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    LAST.with_borrow_mut(|(at, text)| {
        if *at != secs {
            let when = i64::try_from(secs)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            *text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                when.year(),
                u8::from(when.month()),
                when.day(),
                when.hour(),
                when.minute(),
                when.second()
            );
            *at = secs;
        }
        buf.extend_from_slice(text.as_bytes());
    });
}

impl ResponseError for Mismatch {
    fn status(&self) -> StatusCode {
        match self {
            Mismatch::UnknownPath(_) => StatusCode::NOT_FOUND,
            Mismatch::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Mismatch::UnknownQuery(_) | Mismatch::RepeatedQuery(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Checks each request against a family's operation table.
pub struct ContractGuard(pub &'static Contract);

impl<E: Endpoint> Middleware<E> for ContractGuard {
    type Output = ContractGuardEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ContractGuardEndpoint { inner, contract: self.0 }
    }
}

pub struct ContractGuardEndpoint<E> {
    inner: E,
    contract: &'static Contract,
}

impl<E: Endpoint> Endpoint for ContractGuardEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> poem::Result<E::Output> {
        self.contract.check(req.method().as_str(), req.uri().path(), req.uri().query())?;
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use poem::{EndpointExt, endpoint::make_sync};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_direct_access_line_is_the_line_tracing_subscriber_writes() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || sink.clone()).with_ansi(false).finish();
        let path = "/v2/images/a\"b\n\u{7f}é".to_owned();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "imagespec::access",
                method = %poem::http::Method::PATCH,
                ?path,
                status = 413u16,
                micros = 1234u64,
                request_id = "req-1\"2",
            )
        });
        let theirs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let when = time::macros::datetime!(2026-12-06 21:08:52.105959 UTC);
        let mut ours = Vec::new();
        let line =
            AccessLine { method: "PATCH", path: &path, status: 413, micros: 1234, id: "req-1\"2" };
        line.write(std::time::SystemTime::from(when), &mut ours);
        line.write(std::time::SystemTime::from(when + time::Duration::seconds(3600)), &mut ours);
        let ours = String::from_utf8(ours).unwrap();
        let (first, second) = ours.split_once('\n').unwrap();
        assert!(first.starts_with("2026-12-06T21:08:52.105959Z  INFO"), "{first}");
        assert!(second.starts_with("2026-12-06T22:08:52.105959Z  INFO"), "{second}");
        // Everything after the timestamp, byte for byte.
        assert_eq!(&first[27..], theirs[27..].trim_end_matches('\n'), "{theirs}");
        assert_eq!(theirs.len(), first.len() + 1);
    }

    #[tokio::test]
    async fn the_access_log_has_one_line_with_the_request_id_and_no_credentials() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let ep = make_sync(|_| {
            Response::builder()
                .status(StatusCode::FORBIDDEN)
                .header("X-Request-Id", "0123abcd")
                .body("no")
        })
        .with(AccessLog);
        let req = Request::builder()
            .uri_str("/v2/manage/repos/a%0Ab\"c?token=query-secret")
            .header("X-Auth-Token", "header-secret")
            .header("Authorization", "SDK-HMAC-SHA256 Signature=signature-secret")
            .finish();
        let resp = ep.call(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1, "{log}");
        let line = lines[0];
        for wanted in [
            "imagespec::access",
            "method=GET",
            r#"path="/v2/manage/repos/a%0Ab\"c""#,
            "status=403",
            "request_id=\"0123abcd\"",
        ] {
            assert!(line.contains(wanted), "{wanted} missing from {line}");
        }
        for secret in ["query-secret", "header-secret", "signature-secret", "token="] {
            assert!(!line.contains(secret), "{secret} logged: {line}");
        }
    }
}
