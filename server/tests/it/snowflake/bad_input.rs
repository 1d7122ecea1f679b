//! Every class of bad input answers a 4xx in Snowflake's envelope, never a 500, and changes
//! nothing: the whole state is read back after each refusal.

use poem::http::Method;
use serde_json::json;

use super::{ALICE, BASE, snowflake};

/// (what, method, uri, headers, body, expected status)
type Case =
    (&'static str, Method, String, Vec<(&'static str, &'static str)>, Option<&'static str>, u16);

fn cases() -> Vec<Case> {
    let auth = vec![("Authorization", "Bearer alice-snowflake-token")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut h = auth.clone();
        h.extend_from_slice(extra);
        h
    };
    let repo = |s: &str| format!("{BASE}/{s}");
    vec![
        (
            "invalid identifier in the body",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(r#"{"name": "my-repo"}"#),
            400,
        ),
        (
            "identifier starting with a digit",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(r#"{"name": "1abc"}"#),
            400,
        ),
        (
            "identifier too long",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(Box::leak(format!(r#"{{"name": "{}"}}"#, "a".repeat(256)).into_boxed_str())),
            400,
        ),
        ("invalid identifier in the path", Method::GET, repo("my-repo"), auth.clone(), None, 400),
        (
            "invalid database identifier",
            Method::GET,
            "/api/v2/databases/1db".into(),
            auth.clone(),
            None,
            400,
        ),
        (
            "quoted repository name",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(r#"{"name": "\"Quoted\""}"#),
            400,
        ),
        (
            "unknown createMode",
            Method::POST,
            format!("{BASE}?createMode=sometimes"),
            auth.clone(),
            Some(r#"{"name": "r"}"#),
            400,
        ),
        (
            "createMode in the wrong case",
            Method::POST,
            format!("{BASE}?createMode=ORREPLACE"),
            auth.clone(),
            Some(r#"{"name": "r"}"#),
            400,
        ),
        (
            "bad ifExists",
            Method::DELETE,
            format!("{}?ifExists=yes", repo("r")),
            auth.clone(),
            None,
            400,
        ),
        (
            "bad showLimit",
            Method::GET,
            "/api/v2/databases?showLimit=many".into(),
            auth.clone(),
            None,
            400,
        ),
        ("malformed JSON", Method::POST, BASE.into(), auth.clone(), Some(r#"{"name": "#), 400),
        ("not an object", Method::POST, BASE.into(), auth.clone(), Some("[1]"), 400),
        ("missing name", Method::POST, BASE.into(), auth.clone(), Some("{}"), 400),
        (
            "name of the wrong type",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(r#"{"name": 5}"#),
            400,
        ),
        (
            "read-only field of the wrong type",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(r#"{"name": "r", "owner": 1}"#),
            400,
        ),
        (
            "database kind not in the enum",
            Method::POST,
            "/api/v2/databases".into(),
            auth.clone(),
            Some(r#"{"name": "d", "kind": "TEMPORARY"}"#),
            400,
        ),
        (
            "managed_access not a boolean",
            Method::POST,
            "/api/v2/databases/test_db/schemas".into(),
            auth.clone(),
            Some(r#"{"name": "s", "managed_access": "yes"}"#),
            400,
        ),
        ("missing body", Method::POST, BASE.into(), auth.clone(), None, 400),
        (
            "empty body with JSON type",
            Method::POST,
            BASE.into(),
            with(&[("Content-Type", "application/json")]),
            Some(""),
            400,
        ),
        (
            "wrong media type",
            Method::POST,
            BASE.into(),
            with(&[("Content-Type", "text/plain")]),
            Some(r#"{"name": "r"}"#),
            415,
        ),
        ("no token", Method::POST, BASE.into(), vec![], Some(r#"{"name": "r"}"#), 401),
        (
            "unknown token",
            Method::POST,
            BASE.into(),
            vec![("Authorization", "Bearer nope")],
            Some(r#"{"name": "r"}"#),
            401,
        ),
        (
            "unknown token type",
            Method::POST,
            BASE.into(),
            with(&[("X-Snowflake-Authorization-Token-Type", "BASIC")]),
            Some(r#"{"name": "r"}"#),
            401,
        ),
        (
            "malformed session token",
            Method::POST,
            BASE.into(),
            vec![("Authorization", "Snowflake Token=alice-snowflake-token")],
            Some(r#"{"name": "r"}"#),
            401,
        ),
        ("unknown path", Method::GET, "/api/v2/nothing".into(), auth.clone(), None, 404),
        ("wrong method", Method::PATCH, repo("r"), auth.clone(), None, 405),
        (
            "bad async header",
            Method::POST,
            BASE.into(),
            with(&[("X-Imagespec-Async", "1")]),
            Some(r#"{"name": "r"}"#),
            400,
        ),
        (
            "bad page size",
            Method::GET,
            BASE.into(),
            with(&[("X-Imagespec-Page-Size", "0")]),
            None,
            400,
        ),
        (
            "body over the 1 MiB limit",
            Method::POST,
            BASE.into(),
            auth.clone(),
            Some(Box::leak(
                format!(r#"{{"name": "big", "comment": "{}"}}"#, "x".repeat(1 << 20))
                    .into_boxed_str(),
            )),
            413,
        ),
        (
            "negative result page",
            Method::GET,
            "/api/v2/results/x?page=-1".into(),
            auth.clone(),
            None,
            400,
        ),
    ]
}

#[tokio::test]
async fn every_class_of_bad_input_is_a_4xx_that_changes_nothing() {
    let sf = snowflake();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["existing"]).await;
    let before = sf.store.snapshot();
    for (what, method, uri, headers, body, status) in cases() {
        let body = body.map(|b| b.as_bytes().to_vec());
        let r = sf.call(method.clone(), &uri, None, &headers, body).await;
        assert_eq!(r.status, status, "{what}: {method} {uri}: {r:#?}");
        r.assert_error(status);
        assert_eq!(sf.store.snapshot(), before, "{what}: the state changed");
    }
    assert_eq!(sf.get(BASE, ALICE).await.body.as_array().map(Vec::len), Some(1));
    let r = sf
        .post(
            BASE,
            ALICE,
            &json!({"name": "ok", "database_name": "elsewhere", "created_on": "x", "owner": "me"}),
        )
        .await;
    assert_eq!(r.status, 200, "read-only fields are accepted and ignored: {r:#?}");
    let r = sf.get(&format!("{BASE}/ok"), ALICE).await;
    assert_eq!(
        (r.body["database_name"].clone(), r.body["owner"].clone()),
        (json!("TEST_DB"), json!("ACCOUNTADMIN"))
    );
}
