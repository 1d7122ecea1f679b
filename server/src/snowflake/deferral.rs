//! The 202 protocol and large-result paging, as middleware in front of the routes.
//!
//! When a request is asynchronous (the server's `--snowflake-async`, or the request's
//! `X-Imagespec-Async: true`), the operation runs at once but its outcome is held under a
//! handle: the answer is 202 with a `SuccessAcceptedResponse` and `Location:
//! /api/v2/results/<handle>`, and that path answers 202 for [`POLLS`] more polls, then the
//! operation's own status and body. When a page size is set (`--snowflake-page-size N` or
//! `X-Imagespec-Page-Size: N`), a 200 whose body is a JSON array longer than N is split into
//! pages: the first comes inline with a `Link` header (`first`, `next`, `prev`, `last`), the
//! rest from `/api/v2/results/<handle>?page=<n>`. Requests refused before they reach an
//! operation (bad parameters, bad body, auth) are answered at once.

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::StatusCode, web::Json};
use serde_json::Value;

use super::error;
use super::generated::api::FetchResultReply;
use super::generated::models::SuccessAcceptedResponse;
use crate::auth::Principal;
use crate::contract::Json as ReplyJson;
use crate::store::{
    Store,
    snowflake::results::{Deferred, Poll},
};

/// The per-request switch for the 202 protocol (`true` or `false`, any case).
pub const ASYNC_HEADER: &str = "X-Imagespec-Async";
/// The per-request page size for large results (a positive integer).
pub const PAGE_SIZE_HEADER: &str = "X-Imagespec-Page-Size";
/// How many polls of a result answer 202 before the outcome is released.
pub const POLLS: u32 = 1;
/// Where deferred results are read.
pub const RESULTS: &str = "/api/v2/results/";

/// Server-wide defaults for the protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Answer every operation with 202 and a result handle.
    pub asynchronous: bool,
    /// Split list results longer than this into pages.
    pub page_size: Option<usize>,
}

/// The body and `Location` of a 202 for `handle`.
pub fn accepted(handle: &str) -> (SuccessAcceptedResponse, String) {
    let body = SuccessAcceptedResponse {
        code: Some("392604".to_owned()),
        message: Some(
            "Request execution in progress. Use the provided location header or result handler \
             ID to perform query monitoring and management."
                .to_owned(),
        ),
        result_handler: Some(handle.to_owned()),
    };
    (body, format!("{RESULTS}{handle}"))
}

/// Who may read a deferred result: the account and the principal.
pub fn owner(p: &Principal) -> String {
    format!("{}/{}", p.project_id, p.name)
}

/// What a poll of `handle` answers: 202 again, a page of the result, or the operation's error.
pub fn released(handle: &str, poll: Poll) -> FetchResultReply {
    match poll {
        Poll::Running => {
            let (body, location) = accepted(handle);
            FetchResultReply::Accepted(ReplyJson::of(body), location)
        }
        Poll::Done { status: 200, body, page, pages } => {
            let link = (pages > 1).then(|| link(handle, page, pages));
            FetchResultReply::Ok(ReplyJson::of(body), link)
        }
        Poll::Done { status, body, .. } => error::replayed(status, &body),
    }
}

/// The `Link` header of page `page` out of `pages`.
pub fn link(handle: &str, page: usize, pages: usize) -> String {
    let url = |n: usize| format!("<{RESULTS}{handle}?page={n}>");
    let mut links = vec![format!("{}; rel=\"first\"", url(0))];
    if page + 1 < pages {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
    }
    if page > 0 {
        links.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    links.push(format!("{}; rel=\"last\"", url(pages.saturating_sub(1))));
    links.join(", ")
}

/// The middleware.
pub struct Deferral {
    pub store: Store,
    pub options: Options,
}

impl<E: Endpoint> Middleware<E> for Deferral {
    type Output = DeferralEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        DeferralEndpoint { inner, store: self.store.clone(), options: self.options }
    }
}

pub struct DeferralEndpoint<E> {
    inner: E,
    store: Store,
    options: Options,
}

impl<E: Endpoint> Endpoint for DeferralEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let owner = req.extensions().get::<Principal>().map(owner);
        let options = match request_options(&req, self.options) {
            Ok(o) => o,
            Err(message) => return Ok(error::response(400, message)),
        };
        let resp = self.inner.call(req).await?.into_response();
        let Some(owner) = owner.filter(|_| options.asynchronous || options.page_size.is_some())
        else {
            return Ok(resp);
        };
        let status = resp.status().as_u16();
        if matches!(status, 400 | 415) {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.into_bytes().await?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let pages = split(status, options.page_size, value);
        if options.asynchronous {
            let deferred = Deferred { owner, status, pages, polls_left: POLLS };
            let handle = self.store.snowflake().defer_result(deferred);
            let (body, location) = accepted(&handle);
            let json = poem_openapi::types::ToJSON::to_json(&body).unwrap_or_default();
            return Ok(Json(json)
                .with_status(StatusCode::ACCEPTED)
                .with_header("Location", location)
                .into_response());
        }
        if pages.len() > 1 {
            let first = pages[0].clone();
            let count = pages.len();
            let deferred = Deferred { owner, status, pages, polls_left: 0 };
            let handle = self.store.snowflake().defer_result(deferred);
            return Ok(Json(first).with_header("Link", link(&handle, 0, count)).into_response());
        }
        Ok(Response::from_parts(parts, poem::Body::from(bytes)))
    }
}

/// The request's options: its headers over the server's defaults.
fn request_options(req: &Request, defaults: Options) -> Result<Options, String> {
    let header = |n: &str| req.headers().get(n).map(|v| v.to_str().unwrap_or("\u{0}").trim());
    let mut o = defaults;
    if req.uri().path().starts_with(RESULTS) {
        return Ok(Options::default());
    }
    if let Some(v) = header(ASYNC_HEADER) {
        o.asynchronous = match v.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(format!("{ASYNC_HEADER} must be true or false, not `{v}`")),
        };
    }
    if let Some(v) = header(PAGE_SIZE_HEADER) {
        match v.parse::<usize>() {
            Ok(n) if n > 0 => o.page_size = Some(n),
            _ => return Err(format!("{PAGE_SIZE_HEADER} must be a positive integer, not `{v}`")),
        }
    }
    Ok(o)
}

/// A 200 array longer than the page size becomes pages; anything else is one page.
fn split(status: u16, page_size: Option<usize>, value: Value) -> Vec<Value> {
    match (status, page_size, value) {
        (200, Some(n), Value::Array(items)) if items.len() > n => {
            items.chunks(n).map(|c| Value::Array(c.to_vec())).collect()
        }
        (_, _, value) => vec![value],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_first_next_prev_and_last() {
        assert_eq!(
            link("h", 0, 3),
            "</api/v2/results/h?page=0>; rel=\"first\", </api/v2/results/h?page=1>; rel=\"next\", \
             </api/v2/results/h?page=2>; rel=\"last\""
        );
        assert_eq!(
            link("h", 2, 3),
            "</api/v2/results/h?page=0>; rel=\"first\", </api/v2/results/h?page=1>; rel=\"prev\", \
             </api/v2/results/h?page=2>; rel=\"last\""
        );
        assert_eq!(split(200, Some(2), serde_json::json!([1, 2, 3])).len(), 2);
        assert_eq!(split(404, Some(2), serde_json::json!([1, 2, 3])).len(), 1);
    }
}
