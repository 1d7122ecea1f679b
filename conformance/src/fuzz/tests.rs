//! The generators against `jsonschema`: positive cases satisfy the spec's schemas, negative
//! cases break them exactly where they say, boundaries sit on the bounds, runs are reproducible.

use proptest::strategy::{Strategy, ValueTree};
use serde_json::{Value, json};

use super::case::Case;
use super::fuzzer::runner;
use super::model::{Model, Target};
use super::{Budget, fresh_names};
use crate::families::Family;
use crate::session::Session;
use crate::spec::Spec;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

fn spec(family: Family) -> Spec {
    Spec::from_text(family.builtin_spec()).expect("the built-in spec loads")
}

fn model<'s>(spec: &'s Spec, method: &str, path: &str) -> Model<'s> {
    let op = spec.find(method, path).expect("operation");
    Model::build(spec, op, &fresh_names("imagespec-7"))
}

fn draw(strategy: &proptest::strategy::BoxedStrategy<Case>, n: usize, seed: u64) -> Vec<Case> {
    let mut runner = runner(seed);
    (0..n).map(|_| strategy.new_tree(&mut runner).expect("generates").current()).collect()
}

const FAMILIES: [Family; 4] = [Family::Cce, Family::Glance, Family::Swr, Family::Snowflake];

#[test]
fn positive_cases_satisfy_every_schema() {
    for family in FAMILIES {
        let spec = spec(family);
        for op in spec.operations() {
            let m = Model::build(&spec, op, &fresh_names("imagespec-7"));
            if m.skip.is_some() {
                continue;
            }
            let Some(strategy) = m.positive() else { continue };
            for case in draw(&strategy, 64, 1) {
                assert!(m.guard(&case), "{} {} {}: {case:?}", family.name(), op.method, op.path);
            }
            let base = m.minimal_case().expect("a minimal case");
            assert!(m.guard(&base), "{} {}: minimal {base:?}", op.method, op.path);
            for case in m.positive_boundaries(&base) {
                assert!(m.guard(&case), "{} {}: boundary {case:?}", op.method, op.path);
            }
        }
    }
}

#[test]
fn negative_cases_break_their_site_and_nothing_else() {
    let mut sites = 0;
    for family in FAMILIES {
        let spec = spec(family);
        for op in spec.operations() {
            let m = Model::build(&spec, op, &fresh_names("imagespec-7"));
            if m.skip.is_some() {
                continue;
            }
            let base = m.minimal_case().expect("a minimal case");
            for i in 0..m.sites.len() {
                sites += 1;
                let label = &m.sites[i].label;
                let boundary = m.negative_boundary(&base, i);
                assert!(m.guard(&boundary), "{} {}: {label}: {boundary:?}", op.method, op.path);
                let strategy = m.negative(i).expect("a negative strategy");
                for case in draw(&strategy, 16, 2) {
                    assert!(m.guard(&case), "{} {}: {label}: {case:?}", op.method, op.path);
                }
            }
        }
    }
    assert!(sites > 150, "only {sites} negative sites");
}

/// The CCE create body, checked with `jsonschema` directly (not through the guard).
#[test]
fn cce_bodies_validate_exactly_as_generated() {
    let spec = spec(Family::Cce);
    let schema = json!({
        "$ref": "#/components/schemas/CreateImageCacheRequestBody",
        "components": spec.document()["components"],
    });
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    let m = model(&spec, "POST", "/v5/imagecaches");
    for case in draw(&m.positive().expect("positive"), 200, 3) {
        let body = case.body.expect("a body");
        assert!(validator.is_valid(&body), "{body}");
        assert_eq!(body["name"], "imagespec-7-fz", "identity properties carry the run's name");
    }
    let body_sites: Vec<usize> =
        (0..m.sites.len()).filter(|i| m.sites[*i].target == Target::Body).collect();
    let labels: Vec<&str> = body_sites.iter().map(|i| m.sites[*i].label.as_str()).collect();
    for expected in [
        "body `/image_cache_size`: minimum 20",
        "body `/image_cache_size`: maximum 400",
        "body `/name`: pattern ^[a-z](?:[a-z0-9-]{0,126}[a-z0-9])?$",
        "body `/name`: maxLength 128",
        "body `/images`: minItems 1",
        "body `/images/0`: pattern ^\\S+$",
        "body `/`: required property `building_config`",
        "body `/`: additionalProperties false",
        "body `/building_config/cluster`: minLength 1",
    ] {
        assert!(labels.contains(&expected), "{expected} missing from {labels:#?}");
    }
    for i in body_sites {
        for case in draw(&m.negative(i).expect("negative"), 32, 4) {
            let body = case.body.expect("a body");
            assert!(!validator.is_valid(&body), "{}: {body}", m.sites[i].label);
        }
    }
    let base = m.minimal_case().expect("minimal");
    let maximum = (0..m.sites.len())
        .find(|i| m.sites[*i].label == "body `/image_cache_size`: maximum 400")
        .expect("site");
    assert_eq!(m.negative_boundary(&base, maximum).body.expect("body")["image_cache_size"], 401);
    // Only the creation's own constraints are unverified upstream.
    let lenient: Vec<&str> =
        m.sites.iter().filter(|s| s.site.lenient).map(|s| s.label.as_str()).collect();
    assert!(lenient.contains(&"body `/`: additionalProperties false"), "{lenient:?}");
    assert!(!lenient.contains(&"body `/image_cache_size`: maximum 400"), "{lenient:?}");
}

#[test]
fn query_parameters_are_text_and_arrays_repeat() {
    let spec = spec(Family::Glance);
    let m = model(&spec, "GET", "/v2/images");
    let labels: Vec<&str> = m.sites.iter().map(|s| s.label.as_str()).collect();
    assert!(labels.contains(&"query `visibility`: enum"), "{labels:?}");
    assert!(labels.contains(&"query `limit`: minimum 0"), "{labels:?}");
    assert!(labels.contains(&"query `limit`: type integer"), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("query `name`")), "no negatives for free strings");
    assert!(!labels.iter().any(|l| l.contains("unknown")), "unknown query keys are Glance filters");
    let tag = m.params.iter().position(|p| p.name == "tag").expect("tag");
    let limit = m.params.iter().position(|p| p.name == "limit").expect("limit");
    let mut case = m.minimal_case().expect("minimal");
    case.params[tag] = Some(json!(["a b", "c"]));
    case.params[limit] = Some(json!(5));
    let target = m.encode(&case).target;
    assert!(target.contains("limit=5") && target.contains("tag=a%20b&tag=c"), "{target}");
    // Glance's `limit` description makes a Choice: its misses are warnings.
    assert!(
        m.sites.iter().filter(|s| s.label.starts_with("query `limit`")).all(|s| s.site.lenient)
    );
    assert!(
        !m.sites.iter().find(|s| s.label == "query `visibility`: enum").expect("site").site.lenient
    );
}

#[test]
fn requests_with_side_effects_address_only_this_runs_names() {
    let spec = spec(Family::Snowflake);
    let m = model(&spec, "DELETE", "/api/v2/databases/{name}");
    assert!(!m.safe && m.positive().is_some());
    for case in draw(&m.negative(0).expect("a site"), 32, 5) {
        let target = m.encode(&case).target;
        let aimed_at_path = matches!(m.sites[case.site.expect("negative")].target, Target::Param(i) if m.params[i].name == "name");
        assert!(
            aimed_at_path || target.starts_with("/api/v2/databases/imagespec_7_fz"),
            "{target}"
        );
    }
    let get = model(&spec, "GET", "/api/v2/databases/{name}");
    let names: Vec<String> = draw(&get.positive().expect("positive"), 32, 6)
        .iter()
        .map(|c| get.encode(c).target)
        .collect();
    assert!(names.iter().any(|t| !t.contains("imagespec")), "GET path parameters are generated");
}

#[test]
fn the_same_seed_draws_the_same_cases() {
    let spec = spec(Family::Glance);
    let m = model(&spec, "GET", "/v2/images");
    let strategy = m.positive().expect("positive");
    assert_eq!(draw(&strategy, 20, 9), draw(&strategy, 20, 9));
    assert_ne!(draw(&strategy, 20, 9), draw(&strategy, 20, 10));
}

#[test]
fn shrinking_reaches_the_bound() {
    let spec = spec(Family::Cce);
    let m = model(&spec, "POST", "/v5/imagecaches");
    let i = (0..m.sites.len())
        .find(|i| m.sites[*i].label == "body `/image_cache_size`: maximum 400")
        .expect("site");
    let mut runner = runner(11);
    let mut tree = m.negative(i).expect("negative").new_tree(&mut runner).expect("tree");
    // The property "image_cache_size > 400 is accepted" keeps failing while simplifying.
    for _ in 0..500 {
        if !tree.simplify() {
            break;
        }
    }
    let body = tree.current().body.expect("body");
    assert_eq!(body["image_cache_size"], 401, "{body}");
    let required: Vec<&str> = ["name", "images", "building_config", "image_cache_size"].to_vec();
    let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    assert!(keys.iter().all(|k| required.contains(k)), "optional properties shrink away: {body}");
}

/// A CCE fake that accepts creates with an `image_cache_size` above 1000 and refuses every
/// other create; lists are empty and ids unknown.
struct AcceptsHugeCaches;

impl Transport for AcceptsHugeCaches {
    fn send(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let json = |status: u16, v: Value| HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        };
        let error =
            |status| json(status, json!({"errorCode": "CCE.01400001", "errorMessage": "no"}));
        let path = r.target.split('?').next().unwrap_or_default();
        Ok(match (r.method.as_str(), path) {
            ("GET", "/v5/imagecaches") => json(200, json!({"image_caches": []})),
            ("POST", "/v5/imagecaches") => {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                match body["image_cache_size"].as_i64() {
                    Some(n) if n > 1000 => json(
                        201,
                        json!({"image_cache": {
                        "name": "x", "id": "huge", "created_at": "t", "images": [],
                        "image_cache_size": n, "retention_days": 0,
                        "building_config": {"cluster": "c"}, "status": "Creating"}}),
                    ),
                    _ => error(400),
                }
            }
            _ => error(404),
        })
    }
}

#[test]
fn an_accepted_negative_is_shrunk_to_a_minimal_request() {
    let spec = spec(Family::Cce);
    let transport = AcceptsHugeCaches;
    let session = Session::new(&spec, &transport, "http://cce.test", Vec::new());
    let sent = super::phase(
        &session,
        &transport,
        "http://cce.test",
        3,
        "imagespec-3",
        &Budget::new(300, None),
    )
    .expect("the fake answers");
    let report = session.into_report().expect("reachable");
    // (The fake's list ignores its filter, which the fuzzer rightly reports too.)
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check == "C107" && f.operation == "POST /v5/imagecaches")
        .collect();
    assert_eq!(found.len(), 1, "{}", report.to_text());
    let f = found[0];
    assert!(
        !f.warning && f.message.contains("body `/image_cache_size`: maximum 400"),
        "{}",
        f.message
    );
    let kept: usize = f
        .message
        .split("step(s), ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no shrink note: {}", f.message));
    assert!(kept > 0 && f.message.contains("seed 3"), "{}", f.message);
    let body: Value = serde_json::from_slice(&f.request.body).expect("a JSON body");
    assert!(body["image_cache_size"].as_i64().is_some_and(|n| n > 1000), "{body}");
    let allowed = ["name", "images", "building_config", "image_cache_size"];
    assert!(
        body.as_object().expect("object").keys().all(|k| allowed.contains(&k.as_str())),
        "{body}"
    );
    assert_eq!(body["images"].as_array().map(Vec::len), Some(1), "{body}");
    // The accepted creates were cleaned up.
    assert!(sent > 0 && report.findings.iter().all(|f| f.check == "C107"), "{}", report.to_text());
}

#[test]
fn no_cases_or_no_time_means_no_fuzzing() {
    let spec = spec(Family::Cce);
    let transport = AcceptsHugeCaches;
    let session = Session::new(&spec, &transport, "http://cce.test", Vec::new());
    for budget in [Budget::new(0, None), Budget::new(20, Some(std::time::Duration::ZERO))] {
        assert_eq!(
            super::phase(&session, &transport, "http://cce.test", 3, "imagespec-3", &budget),
            Ok(0)
        );
    }
    assert!(session.into_report().expect("reachable").findings.is_empty());
}

#[test]
fn refusals_of_valid_requests_are_judged_by_what_the_spec_documents() {
    let spec = spec(Family::Cce);
    let show = model(&spec, "GET", "/v5/imagecaches/x");
    let base = show.minimal_case().expect("a minimal case");
    assert_eq!(show.undocumented_refusal(&spec, &base, 404), None, "an absent id is a 404");
    let list = model(&spec, "GET", "/v5/imagecaches");
    let mut named = list.minimal_case().expect("a minimal case");
    let at = list.params.iter().position(|p| p.name == "name").expect("a name parameter");
    named.params[at] = Some(json!("abc"));
    for status in [401, 403, 409] {
        assert_eq!(list.undocumented_refusal(&spec, &named, status), None, "{status}");
    }
    for status in [400, 404] {
        let why = list.undocumented_refusal(&spec, &named, status);
        assert!(why.as_ref().is_some_and(|w| w.contains("parameters: name")), "{status}: {why:?}");
    }
    assert_eq!(list.undocumented_refusal(&spec, &named, 200), None);
}
