//! The fuzzing phase against a fake target: an accepted negative case is shrunk to a minimal
//! request and cleaned up after, and no budget means no requests.

use serde_json::{Value, json};

use super::{Budget, phase};
use crate::exchange::{HttpRequest, HttpResponse};
use crate::family::Family;
use crate::session::Session;
use crate::spec::Spec;
use crate::transport::{Transport, TransportError};

fn spec(family: Family) -> Spec {
    Spec::from_text(family.builtin_spec()).expect("the built-in spec loads")
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
    let sent =
        phase(&session, &transport, "http://cce.test", 3, "imagespec-3", &Budget::new(300, None))
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
            phase(&session, &transport, "http://cce.test", 3, "imagespec-3", &budget),
            Ok(0)
        );
    }
    assert!(session.into_report().expect("reachable").findings.is_empty());
}
