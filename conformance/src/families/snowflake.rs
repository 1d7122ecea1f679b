//! Snowflake image repositories, stateful: a database of the run's own (removed at the end),
//! identifier case, every `createMode`, `like`, `ifExists`, use after delete and 404 for
//! missing containers.
//!
//! Check ids: `SF-S01` a new database can be fetched under its upper-cased name and holds
//! `PUBLIC`; `SF-S02` a created repository is fetched and listed by any letter case of its name,
//! with its upper-cased name and containers; `SF-S03` `createMode`: `errorIfExists` on a taken
//! name is 409, `ifNotExists` and `orReplace` are 200; `SF-S04` `like` is a case-insensitive
//! whole-name pattern with `%` and `_`; `SF-S05` deleting a missing repository is 404, or 200
//! with `ifExists=true`; `SF-S06` a deleted repository is 404 for fetch and list images and is no
//! longer listed; `SF-S07` a missing database or schema is 404 for the repositories beneath it;
//! `SF-S08` a new repository lists no images; `SF-S09` tags set with `{name}:set-tags` are
//! listed by `:get-tags` with their values (a second set changes the value) and are gone after
//! `:unset-tags`, and the tags of a missing repository are 404. Tag names are compared without
//! regard to case and the tag's database and schema are not judged (their defaults are not
//! documented).
//!
//! Also how a `--token` becomes Snowflake's credential headers ([`token_headers`]).

use serde_json::{Value, json};

use crate::session::Session;

/// The values of `X-Snowflake-Authorization-Token-Type` that `--token snowflake=TYPE:TOKEN` knows.
const TOKEN_TYPES: [&str; 4] =
    ["KEYPAIR_JWT", "OAUTH", "PROGRAMMATIC_ACCESS_TOKEN", "PAT_WITH_EXTERNAL_SESSION_ID"];

/// A token as Snowflake's headers: a bearer token, and for `TYPE:TOKEN` (one of Snowflake's
/// documented kinds) also the token's type.
pub fn token_headers(token: &str) -> Vec<(String, String)> {
    let typed = token.split_once(':').filter(|(t, _)| TOKEN_TYPES.contains(t));
    let (kind, token) = typed.map_or((None, token), |(t, v)| (Some(t), v));
    let mut headers = vec![("Authorization".to_owned(), format!("Bearer {token}"))];
    let name = "X-Snowflake-Authorization-Token-Type";
    headers.extend(kind.map(|kind| (name.to_owned(), kind.to_owned())));
    headers
}

/// Runs the suite; the run's database is named after `prefix`.
pub fn run(s: &Session<'_>, prefix: &str) {
    let db = prefix.replace('-', "_").to_ascii_uppercase();
    let Some((req, resp)) =
        s.call("POST", "/api/v2/databases", Some(&json!({"name": db.to_ascii_lowercase()})))
    else {
        return;
    };
    s.expect("SF-S01", resp.status == 200, &req, || {
        format!("create database answered {}", resp.status)
    });
    if resp.status != 200 {
        return;
    }
    if let Some((req, resp)) =
        s.call("GET", &format!("/api/v2/databases/{}", db.to_ascii_lowercase()), None)
    {
        let ok = resp.status == 200 && resp.json()["name"] == json!(db);
        s.expect("SF-S01", ok, &req, || {
            format!("fetch database answered {} {}", resp.status, resp.json())
        });
    }
    if let Some((req, resp)) =
        s.call("GET", &format!("/api/v2/databases/{db}/schemas/public"), None)
    {
        s.expect("SF-S01", resp.status == 200, &req, || {
            format!("the new database has no PUBLIC schema: {}", resp.status)
        });
    }
    let base = format!("/api/v2/databases/{db}/schemas/PUBLIC/image-repositories");
    repositories(s, &base);
    tags(s, &base);
    containers(s, &db);
    let _ = s.call("DELETE", &format!("/api/v2/databases/{db}?ifExists=true"), None);
}

fn repositories(s: &Session<'_>, base: &str) {
    for name in ["repo_a1", "repo_b1"] {
        if let Some((req, resp)) = s.call("POST", base, Some(&json!({"name": name}))) {
            s.expect("SF-S02", resp.status == 200, &req, || {
                format!("create answered {}", resp.status)
            });
        }
    }
    for name in ["repo_a1", "REPO_A1", "Repo_A1"] {
        if let Some((req, resp)) = s.call("GET", &format!("{base}/{name}"), None) {
            let r = resp.json();
            let ok = resp.status == 200
                && r["name"] == json!("REPO_A1")
                && r["schema_name"] == json!("PUBLIC");
            s.expect("SF-S02", ok, &req, || format!("fetch {name} answered {} {r}", resp.status));
        }
    }
    if let Some((req, resp)) = s.call("GET", base, None) {
        let names = names(&resp.json());
        s.expect("SF-S02", names == ["REPO_A1", "REPO_B1"], &req, || {
            format!("the list holds {names:?}")
        });
    }
    if let Some((req, resp)) = s.call("GET", &format!("{base}/repo_a1/images"), None) {
        s.expect("SF-S08", resp.status == 200 && resp.json() == json!([]), &req, || {
            format!("a new repository lists {} {}", resp.status, resp.json())
        });
    }
    create_modes(s, base);
    like(s, base);
    if_exists(s, base);
    after_delete(s, base);
}

fn create_modes(s: &Session<'_>, base: &str) {
    for (mode, expected) in [("errorIfExists", 409), ("ifNotExists", 200), ("orReplace", 200)] {
        let target = format!("{base}?createMode={mode}");
        if let Some((req, resp)) = s.call("POST", &target, Some(&json!({"name": "REPO_A1"}))) {
            s.expect("SF-S03", resp.status == expected, &req, || {
                format!(
                    "createMode={mode} on a taken name answered {}, not {expected}",
                    resp.status
                )
            });
        }
    }
    if let Some((req, resp)) = s.call("POST", base, Some(&json!({"name": "repo_b1"}))) {
        s.expect("SF-S03", resp.status == 409, &req, || {
            format!("the default createMode on a taken name answered {}, not 409", resp.status)
        });
    }
}

fn like(s: &Session<'_>, base: &str) {
    for (pattern, expected) in [
        ("rePO_a%25", &["REPO_A1"][..]),
        ("repo%25", &["REPO_A1", "REPO_B1"][..]),
        ("repo__1", &["REPO_A1", "REPO_B1"][..]),
        ("repo_a", &[][..]),
        ("%25b1", &["REPO_B1"][..]),
    ] {
        if let Some((req, resp)) = s.call("GET", &format!("{base}?like={pattern}"), None) {
            let mut got = names(&resp.json());
            got.sort();
            s.expect("SF-S04", resp.status == 200 && got == expected, &req, || {
                format!("like={pattern} listed {got:?}, expected {expected:?}")
            });
        }
    }
}

fn if_exists(s: &Session<'_>, base: &str) {
    if let Some((req, resp)) = s.call("DELETE", &format!("{base}/no_such_repo"), None) {
        s.expect("SF-S05", resp.status == 404, &req, || {
            format!("deleting a missing repository answered {}, not 404", resp.status)
        });
    }
    if let Some((req, resp)) = s.call("DELETE", &format!("{base}/no_such_repo?ifExists=true"), None)
    {
        s.expect("SF-S05", resp.status == 200, &req, || {
            format!("deleting a missing repository with ifExists=true answered {}", resp.status)
        });
    }
}

fn after_delete(s: &Session<'_>, base: &str) {
    let Some((req, resp)) = s.call("DELETE", &format!("{base}/repo_b1"), None) else { return };
    s.expect("SF-S06", resp.status == 200, &req, || format!("delete answered {}", resp.status));
    for target in [format!("{base}/repo_b1"), format!("{base}/repo_b1/images")] {
        if let Some((req, resp)) = s.call("GET", &target, None) {
            s.expect("SF-S06", resp.status == 404, &req, || {
                format!("after delete, GET {target} answered {}", resp.status)
            });
        }
    }
    if let Some((req, resp)) = s.call("GET", base, None) {
        let names = names(&resp.json());
        s.expect("SF-S06", !names.iter().any(|n| n == "REPO_B1"), &req, || {
            format!("a deleted repository is still listed: {names:?}")
        });
    }
}

fn containers(s: &Session<'_>, db: &str) {
    let targets = [
        ("GET", format!("/api/v2/databases/{db}_MISSING/schemas/PUBLIC/image-repositories")),
        ("GET", format!("/api/v2/databases/{db}/schemas/NO_SUCH_SCHEMA/image-repositories")),
        ("POST", format!("/api/v2/databases/{db}/schemas/NO_SUCH_SCHEMA/image-repositories")),
        ("GET", format!("/api/v2/databases/{db}/schemas/NO_SUCH_SCHEMA/image-repositories/r")),
    ];
    for (method, target) in targets {
        let body = (method == "POST").then(|| json!({"name": "r"}));
        if let Some((req, resp)) = s.call(method, &target, body.as_ref()) {
            s.expect("SF-S07", resp.status == 404, &req, || {
                format!("{method} under a missing container answered {}, not 404", resp.status)
            });
        }
    }
}

fn tags(s: &Session<'_>, base: &str) {
    let values = |resp: &crate::exchange::HttpResponse| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = resp
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    t["tag_name"].as_str()?.to_ascii_uppercase(),
                    t["tag_value"].as_str()?.into(),
                ))
            })
            .collect();
        v.sort();
        v
    };
    let set = |body: Value| s.call("POST", &format!("{base}/repo_a1:set-tags"), Some(&body));
    let get = || s.call("GET", &format!("{base}/repo_a1:get-tags"), None);
    let pairs = json!([{"tag_name": "cost_center", "tag_value": "one"}, {"tag_name": "team", "tag_value": "two"}]);
    let Some((req, resp)) = set(pairs) else { return };
    s.expect("SF-S09", resp.status == 200, &req, || format!("set-tags answered {}", resp.status));
    let _ = set(json!([{"tag_name": "cost_center", "tag_value": "three"}]));
    if let Some((req, resp)) = get() {
        let got = values(&resp);
        let want =
            [("COST_CENTER".to_owned(), "three".to_owned()), ("TEAM".to_owned(), "two".to_owned())];
        s.expect("SF-S09", resp.status == 200 && got == want, &req, || {
            format!("get-tags answered {} with {got:?}, not {want:?}", resp.status)
        });
    }
    let unset = json!([{"tag_name": "team"}]);
    let _ = s.call("POST", &format!("{base}/repo_a1:unset-tags"), Some(&unset));
    if let Some((req, resp)) = get() {
        let got = values(&resp);
        s.expect("SF-S09", got == [("COST_CENTER".to_owned(), "three".to_owned())], &req, || {
            format!("after unset-tags the tags are {got:?}")
        });
    }
    if let Some((req, resp)) = s.call("GET", &format!("{base}/no_such_repo:get-tags"), None) {
        s.expect("SF-S09", resp.status == 404, &req, || {
            format!("the tags of a missing repository answered {}", resp.status)
        });
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect()
}
