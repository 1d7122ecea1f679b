//! The contract as plain data: the operation table each family's generated code exports, and
//! the checks middleware makes with it before poem-openapi sees a request.

/// One operation of a spec: what routing needs to know without poem-openapi.
#[derive(Debug)]
pub struct OperationInfo {
    pub id: &'static str,
    pub method: &'static str,
    /// The spec's path template, e.g. `/v5/imagecaches/{image_cache_id}`.
    pub path: &'static str,
    /// The template split at `/` (`["", "v5", "imagecaches", "{image_cache_id}"]`), so matching
    /// a request splits only the request's path.
    pub segments: &'static [&'static str],
    /// The query parameters the operation declares.
    pub query: &'static [&'static str],
    /// Those of them that may repeat (arrays); any other may appear once.
    pub repeatable: &'static [&'static str],
}

/// A family's whole operation table.
#[derive(Debug)]
pub struct Contract {
    /// Whether query parameters the operation does not declare, or a repeated single-valued
    /// parameter, are refused (the spec's `x-unknown-query-parameters: reject`).
    pub reject_unknown_query: bool,
    pub operations: &'static [OperationInfo],
}

/// Builds a declared error response from a status and the family's error envelope; `Err` gives
/// the body back when the operation does not declare that status.
pub trait FromError<E>: Sized {
    fn from_error(status: u16, body: E) -> Result<Self, E>;
}

/// A generated enum's wire name (`ListReposDetailsOrderType::Asc` → `"asc"`).
pub fn wire<T: poem_openapi::types::ToJSON>(value: Option<T>) -> Option<String> {
    value.and_then(|v| v.to_json()).and_then(|v| v.as_str().map(str::to_owned))
}

/// A generated enum built from its wire name without going through JSON (`None` for a name
/// the schema does not list).
pub trait WireEnum: Sized {
    fn from_wire(value: &str) -> Option<Self>;
}

/// A stored count or size as the models' `i64` (saturating).
pub fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The JSON payload of generated replies: the model serialized with serde straight into bytes.
///
/// poem-openapi's `Json` builds a `serde_json::Value` tree first (`ToJSON`: a map insert and a
/// string copy per field), which made a page of 25 Glance images cost more than everything else
/// in the request. The generated models derive `serde::Serialize` with the same wire names and
/// the same rules for absent values, so the bytes are the same; debug builds (every test) check
/// that the two agree on every reply. The emitted schema is poem-openapi's.
///
/// [`Json::of`] serializes a model; [`Json::view`] serializes a cheaper value that gives the same
/// JSON (a Glance page made of each image's JSON kept between requests), which debug builds check
/// against the model.
pub struct Json<T>(Body<T>);

enum Body<T> {
    Model(T),
    /// Serialized already, from a view of the same JSON.
    Bytes(serde_json::Result<Vec<u8>>),
}

impl<T> Json<T> {
    pub fn of(model: T) -> Self {
        Self(Body::Model(model))
    }
}

impl<T: poem_openapi::types::ToJSON> Json<T> {
    /// The reply `view` serializes to. `model` builds the model the view stands for: debug builds
    /// call it and assert that both give the same JSON; release builds never call it.
    pub fn view(view: &impl serde::Serialize, model: impl FnOnce() -> T) -> Self {
        let bytes = to_bytes(view);
        #[cfg(debug_assertions)]
        if let Ok(b) = &bytes {
            let got: Option<serde_json::Value> = serde_json::from_slice(b).ok();
            assert_eq!(got, model().to_json(), "a reply's view and its model disagree");
        }
        #[cfg(not(debug_assertions))]
        let _ = model;
        Self(Body::Bytes(bytes))
    }
}

/// Most replies fit in the first allocation; a page of images grows it a few times, not a dozen.
fn to_bytes(value: &impl serde::Serialize) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(4096);
    serde_json::to_writer(&mut bytes, value)?;
    Ok(bytes)
}

impl<T: poem_openapi::types::Type> poem_openapi::payload::Payload for Json<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}

impl<T: poem_openapi::types::ToJSON + serde::Serialize> poem::IntoResponse for Json<T> {
    fn into_response(self) -> poem::Response {
        let bytes = match self.0 {
            Body::Model(model) => {
                #[cfg(debug_assertions)]
                {
                    let direct = serde_json::to_value(&model).ok();
                    assert_eq!(direct, model.to_json(), "serde and ToJSON disagree on a reply");
                }
                to_bytes(&model)
            }
            Body::Bytes(bytes) => bytes,
        };
        match bytes {
            Ok(bytes) => poem::Response::builder()
                .content_type(<Self as poem_openapi::payload::Payload>::CONTENT_TYPE)
                .body(bytes),
            Err(e) => poem::Response::builder()
                .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                .body(e.to_string()),
        }
    }
}

impl<T: poem_openapi::types::ToJSON + serde::Serialize> poem_openapi::ApiResponse for Json<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        <poem_openapi::payload::Json<T> as poem_openapi::ApiResponse>::meta()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}

/// A string parameter's `pattern`, compiled once: the marker type codegen emits for each distinct
/// pattern of a family's parameters.
pub trait PatternSpec: Send + Sync + 'static {
    const PATTERN: &'static str;
    fn regex() -> &'static regex::Regex;
}

/// A string parameter with the pattern `P::PATTERN`, and [`MatchesPattern`] its check.
///
/// poem-openapi's own `validator(pattern = ...)` compiles its regular expression on every check
/// (about 100 µs), which made a parameter with a default, or any patterned path segment, cost
/// that on every request. Generated routes use this type, whose schema carries the pattern as the
/// validator's did, with `validator(custom = "MatchesPattern::<P>::new()")`, which matches
/// against the expression compiled once and fails with the validator's words and the
/// parameter's name. The routes unwrap it before calling the family trait.
pub struct Matching<P>(pub String, std::marker::PhantomData<P>);

impl<P> std::fmt::Debug for Matching<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Matching").field(&self.0).finish()
    }
}

impl<P> Matching<P> {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into(), std::marker::PhantomData)
    }
}

impl<P: PatternSpec> poem_openapi::types::Type for Matching<P> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> std::borrow::Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        let schema = poem_openapi::registry::MetaSchema {
            pattern: Some(P::PATTERN.to_owned()),
            ..poem_openapi::registry::MetaSchema::new("string")
        };
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<P: PatternSpec> poem_openapi::types::ParseFromParameter for Matching<P> {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        Ok(Self::new(value))
    }
}

impl<P: PatternSpec> poem_openapi::types::ToJSON for Matching<P> {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.0.clone()))
    }
}

/// The check of a [`Matching`] parameter, against the regular expression compiled once.
pub struct MatchesPattern<P>(std::marker::PhantomData<P>);

impl<P> MatchesPattern<P> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

/// The words of poem-openapi's pattern validator, so error messages stay as they were.
impl<P: PatternSpec> std::fmt::Display for MatchesPattern<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pattern(\"{}\")", P::PATTERN)
    }
}

impl<P: PatternSpec> poem_openapi::validation::Validator<String> for MatchesPattern<P> {
    fn check(&self, value: &String) -> bool {
        P::regex().is_match(value)
    }
}

/// Why a request does not fit the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("no operation has the path {0}")]
    UnknownPath(String),
    #[error("{method} is not allowed on {path}; allowed: {}", allow.join(", "))]
    MethodNotAllowed { method: String, path: String, allow: Vec<&'static str> },
    #[error("unknown query parameter `{0}`")]
    UnknownQuery(String),
    #[error("query parameter `{0}` may appear only once")]
    RepeatedQuery(String),
}

impl Contract {
    /// Finds the operation for `method` and the raw `path`, and checks the query's names.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<&OperationInfo, Mismatch> {
        // This runs on every request: the path is split once and nothing else is collected.
        let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
        let request: Vec<&str> = trimmed.split('/').collect();
        let fits = |op: &&OperationInfo| segments_match(op.segments.iter().copied(), &request);
        // `repo:set-tags` also fits `{name}`; the custom method is the more specific reading.
        let custom = self.operations.iter().filter(|op| is_custom(op.segments)).any(|op| fits(&op));
        let candidates = || {
            self.operations.iter().filter(move |op| (!custom || is_custom(op.segments)) && fits(op))
        };
        let Some(op) = candidates().find(|op| op.method.eq_ignore_ascii_case(method)) else {
            let mut allow: Vec<&'static str> = candidates().map(|op| op.method).collect();
            if allow.is_empty() {
                return Err(Mismatch::UnknownPath(path.to_owned()));
            }
            allow.sort_unstable();
            allow.dedup();
            return Err(Mismatch::MethodNotAllowed {
                method: method.to_owned(),
                path: path.to_owned(),
                allow,
            });
        };
        if self.reject_unknown_query {
            let mut seen = Vec::new();
            for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
                let name = pair.split('=').next().unwrap_or_default();
                let name =
                    percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
                if !op.query.contains(&name.as_str()) {
                    return Err(Mismatch::UnknownQuery(name));
                }
                if seen.contains(&name) && !op.repeatable.contains(&name.as_str()) {
                    return Err(Mismatch::RepeatedQuery(name));
                }
                seen.push(name);
            }
        }
        Ok(op)
    }
}

/// `/a/{b}/c` matches `/a/anything/c`; a trailing slash on the request is not significant.
pub(crate) fn template_matches(template: &str, path: &str) -> bool {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let request: Vec<&str> = path.split('/').collect();
    segments_match(template.split('/'), &request)
}

/// Whether a template's segments match a request path's, one for one.
fn segments_match<'t>(template: impl Iterator<Item = &'t str>, request: &[&str]) -> bool {
    let mut request = request.iter();
    for t in template {
        match request.next() {
            Some(r) if segment_matches(t, r) => {}
            _ => return false,
        }
    }
    request.next().is_none()
}

/// `{x}` matches any non-empty segment; `{x}:verb` (a custom method) one that ends in `:verb`
/// after a non-empty name; anything else itself.
fn segment_matches(template: &str, segment: &str) -> bool {
    match template.strip_prefix('{').and_then(|t| t.split_once('}')) {
        Some((_, "")) => !segment.is_empty(),
        Some((_, verb)) => segment.strip_suffix(verb).is_some_and(|name| !name.is_empty()),
        None => template == segment,
    }
}

/// Whether a template's segments end in a custom method (`.../{name}:verb`).
fn is_custom(segments: &[&str]) -> bool {
    segments.last().is_some_and(|last| last.starts_with('{') && !last.ends_with('}'))
}

/// A request path as the generated routes expect it: a last segment `name:verb` becomes
/// `name/__verb` (see the codegen's `poem_path`), anything else is unchanged. Call it only for
/// paths whose family has custom methods and whose names cannot contain `:`.
pub fn route_path(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((head, last)) => match last.rsplit_once(':') {
            Some((name, verb))
                if !name.is_empty()
                    && !verb.is_empty()
                    && verb.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') =>
            {
                format!("{head}/{name}/__{verb}")
            }
            _ => path.to_owned(),
        },
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Digits;
    impl PatternSpec for Digits {
        const PATTERN: &'static str = "^[0-9]+$";
        fn regex() -> &'static regex::Regex {
            static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            RE.get_or_init(|| regex::Regex::new(Self::PATTERN).expect("valid"))
        }
    }

    #[test]
    fn a_matching_parameter_is_checked_and_described_like_the_pattern_validator() {
        use poem_openapi::types::{ParseFromParameter, Type};
        use poem_openapi::validation::Validator;
        let check = MatchesPattern::<Digits>::new();
        let parsed = Matching::<Digits>::parse_from_parameter("12a").expect("parsing never fails");
        assert!(!check.check(&parsed.0));
        assert!(check.check(&"0042".to_owned()));
        assert_eq!(check.to_string(), r#"pattern("^[0-9]+$")"#);
        match Matching::<Digits>::schema_ref() {
            poem_openapi::registry::MetaSchemaRef::Inline(s) => {
                assert_eq!((s.ty, s.pattern.as_deref()), ("string", Some("^[0-9]+$")));
            }
            other => panic!("an inline schema, not {other:?}"),
        }
    }

    const OPS: &[OperationInfo] = &[
        OperationInfo {
            id: "list",
            method: "GET",
            path: "/v5/things",
            segments: &["", "v5", "things"],
            query: &["name", "tag"],
            repeatable: &["tag"],
        },
        OperationInfo {
            id: "show",
            method: "GET",
            path: "/v5/things/{id}",
            segments: &["", "v5", "things", "{id}"],
            query: &[],
            repeatable: &[],
        },
        OperationInfo {
            id: "delete",
            method: "DELETE",
            path: "/v5/things/{id}",
            segments: &["", "v5", "things", "{id}"],
            query: &[],
            repeatable: &[],
        },
    ];
    const STRICT: Contract = Contract { reject_unknown_query: true, operations: OPS };

    #[test]
    fn finds_operations_and_reports_mismatches() {
        assert_eq!(STRICT.check("GET", "/v5/things", Some("name=a")).map(|o| o.id), Ok("list"));
        assert_eq!(STRICT.check("DELETE", "/v5/things/x/", None).map(|o| o.id), Ok("delete"));
        assert_eq!(
            STRICT.check("GET", "/v5/other", None).unwrap_err(),
            Mismatch::UnknownPath("/v5/other".into())
        );
        assert_eq!(
            STRICT.check("PUT", "/v5/things/x", None).unwrap_err(),
            Mismatch::MethodNotAllowed {
                method: "PUT".into(),
                path: "/v5/things/x".into(),
                allow: vec!["DELETE", "GET"]
            }
        );
        assert_eq!(
            STRICT.check("GET", "/v5/things", Some("nam%65=a&x=1")).unwrap_err(),
            Mismatch::UnknownQuery("x".into())
        );
        assert_eq!(
            STRICT.check("GET", "/v5/things", Some("name=a&name=b")).unwrap_err(),
            Mismatch::RepeatedQuery("name".into())
        );
        assert!(STRICT.check("GET", "/v5/things", Some("tag=a&tag=b")).is_ok());
        let lenient = Contract { reject_unknown_query: false, operations: OPS };
        assert!(lenient.check("GET", "/v5/things", Some("x=1")).is_ok());
    }

    #[test]
    fn every_generated_table_splits_its_templates_as_the_matcher_expects() {
        for contract in [
            &crate::glance::generated::api::CONTRACT,
            &crate::cce::generated::api::CONTRACT,
            &crate::swr::generated::api::CONTRACT,
            &crate::snowflake::generated::api::CONTRACT,
        ] {
            for op in contract.operations {
                assert_eq!(op.segments, op.path.split('/').collect::<Vec<_>>(), "{}", op.id);
                let filled = op.path.replace("{", "x{");
                assert_eq!(
                    contract.check(op.method, &filled, None).map(|o| o.path),
                    Ok(op.path),
                    "{} {filled}",
                    op.method
                );
            }
        }
    }

    #[test]
    fn custom_methods_are_their_own_operations() {
        const CUSTOM: &[OperationInfo] = &[
            OperationInfo {
                id: "fetch",
                method: "GET",
                path: "/r/{name}",
                segments: &["", "r", "{name}"],
                query: &[],
                repeatable: &[],
            },
            OperationInfo {
                id: "set",
                method: "POST",
                path: "/r/{name}:set-tags",
                segments: &["", "r", "{name}:set-tags"],
                query: &[],
                repeatable: &[],
            },
            OperationInfo {
                id: "get",
                method: "GET",
                path: "/r/{name}:get-tags",
                segments: &["", "r", "{name}:get-tags"],
                query: &[],
                repeatable: &[],
            },
        ];
        let c = Contract { reject_unknown_query: true, operations: CUSTOM };
        assert_eq!(c.check("GET", "/r/x", None).map(|o| o.id), Ok("fetch"));
        assert_eq!(c.check("POST", "/r/x:set-tags", None).map(|o| o.id), Ok("set"));
        assert_eq!(c.check("GET", "/r/x:get-tags", None).map(|o| o.id), Ok("get"));
        assert!(matches!(
            c.check("GET", "/r/x:set-tags", None),
            Err(Mismatch::MethodNotAllowed { allow, .. }) if allow == ["POST"]
        ));
        assert!(matches!(c.check("POST", "/r/x", None), Err(Mismatch::MethodNotAllowed { .. })));
        assert!(!template_matches("/r/{name}:set-tags", "/r/:set-tags"), "a name is needed");
        assert_eq!(route_path("/r/x:set-tags"), "/r/x/__set-tags");
        assert_eq!(route_path("/r/x"), "/r/x");
        assert_eq!(route_path("/r/a:B"), "/r/a:B", "only lower-case verbs");
    }
}
