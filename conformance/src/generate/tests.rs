//! The generators against `jsonschema`: positive cases satisfy the spec's schemas, negative
//! cases break them exactly where they say, boundaries sit on the bounds, runs are reproducible.

use proptest::strategy::{Strategy, ValueTree};
use serde_json::json;

use super::model::Target;
use super::{Case, Model, fixed_runner};
use crate::family::Family;
use crate::names::fresh_names;
use crate::spec::Spec;

fn spec(family: Family) -> Spec {
    Spec::from_text(family.builtin_spec()).expect("the built-in spec loads")
}

fn model<'s>(spec: &'s Spec, method: &str, path: &str) -> Model<'s> {
    let op = spec.find(method, path).expect("operation");
    Model::build(spec, op, &fresh_names("imagespec-7"))
}

fn draw(strategy: &proptest::strategy::BoxedStrategy<Case>, n: usize, seed: u64) -> Vec<Case> {
    let mut runner = fixed_runner(seed);
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
    let mut runner = fixed_runner(11);
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
