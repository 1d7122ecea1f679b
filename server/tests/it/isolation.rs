//! Randomized trials across every family: one principal's private data is never seen or changed
//! by another. Each trial is a seeded sequence of creations by bob or carol; after each, the
//! other one tries to read, list, change and delete it, and the owner checks it is unchanged.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use crate::support::{Spawned, spawn};

const TRIALS: u64 = 6;
const STEPS: usize = 16;
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A principal's credentials in each family.
struct Who {
    name: &'static str,
    token: (&'static str, &'static str),
    snowflake: (&'static str, &'static str),
}

const BOB: Who = Who {
    name: "bob",
    token: ("X-Auth-Token", "bob-token"),
    snowflake: ("Authorization", "Bearer bob-snowflake-token"),
};
const CAROL: Who = Who {
    name: "carol",
    token: ("X-Auth-Token", "carol-token"),
    snowflake: ("Authorization", "Bearer carol-snowflake-token"),
};

fn call(
    s: &Spawned,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, body) = s.send(method, path, headers, body.as_bytes()).expect("answers");
    let code = status.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status code");
    (code, body)
}

fn refused(code: u16, what: &str) {
    assert!((400..500).contains(&code), "{what}: answered {code}, not refused");
}

/// What one step created, and how to reach it.
struct Made {
    /// The resource's own URL.
    url: String,
    /// A listing the owner sees it in.
    list: String,
    /// How the resource's id or name appears in a listing.
    mark: String,
    /// A change to try on it: (method, content type, body). None for Snowflake, whose
    /// accounts are separate namespaces: whatever another account sends names its own objects.
    change: Option<(&'static str, &'static str, String)>,
    snowflake: bool,
}

fn create(s: &Spawned, owner: &Who, family: usize, tag: &str) -> Made {
    let token = [owner.token, JSON];
    match family {
        0 => {
            let body = json!({"name": tag, "visibility": "private"}).to_string();
            let (code, made) = call(s, "POST", "/v2/images", &token, &body);
            assert_eq!(code, 201, "{made}");
            let id = serde_json::from_str::<Value>(&made).expect("json")["id"]
                .as_str()
                .expect("id")
                .to_owned();
            Made {
                url: format!("/v2/images/{id}"),
                list: "/v2/images?limit=1000".into(),
                mark: id,
                change: Some((
                    "PATCH",
                    "application/openstack-images-v2.1-json-patch",
                    json!([{"op": "replace", "path": "/name", "value": "taken"}]).to_string(),
                )),
                snowflake: false,
            }
        }
        1 => {
            let body = json!({"name": tag, "images": ["busybox:latest"],
                "building_config": {"cluster": "c271e39f-1a6e-4d3d-8fa8-2a36329c68d2"}});
            let (code, made) = call(s, "POST", "/v5/imagecaches", &token, &body.to_string());
            assert!(code == 201 || code == 200, "{code} {made}");
            let (_, listed) =
                call(s, "GET", &format!("/v5/imagecaches?name={tag}"), &[owner.token], "");
            let id = serde_json::from_str::<Value>(&listed).expect("json")["image_caches"][0]["id"]
                .as_str()
                .expect("the owner lists its cache")
                .to_owned();
            Made {
                url: format!("/v5/imagecaches/{id}"),
                list: "/v5/imagecaches".into(),
                mark: id,
                change: Some(("DELETE", "application/json", String::new())),
                snowflake: false,
            }
        }
        2 => {
            let namespace = format!("iso-{}", owner.name);
            let repo = tag.replace('-', "");
            let push = format!("/admin/swr/namespaces/{namespace}/repos/{repo}/tags/v1");
            let (code, made) = call(s, "PUT", &push, &[owner.token], "");
            assert!(code == 201 || code == 200, "{code} {made}");
            Made {
                url: format!("/v2/manage/namespaces/{namespace}/repos/{repo}"),
                list: "/v2/manage/repos".into(),
                mark: repo,
                change: Some((
                    "PATCH",
                    "application/json",
                    json!({"is_public": true, "category": "other"}).to_string(),
                )),
                snowflake: false,
            }
        }
        _ => {
            let name = tag.replace('-', "_").to_uppercase();
            let auth = [owner.snowflake, JSON];
            let (code, made) =
                call(s, "POST", "/api/v2/databases", &auth, &json!({"name": name}).to_string());
            assert!(code == 200 || code == 201, "{code} {made}");
            Made {
                url: format!("/api/v2/databases/{name}"),
                list: "/api/v2/databases".into(),
                mark: name,
                change: None,
                snowflake: true,
            }
        }
    }
}

#[test]
fn in_randomized_trials_no_principal_sees_or_changes_anothers_private_data() {
    let server = spawn(&[]);
    for who in [&BOB, &CAROL] {
        let body = json!({"namespace": format!("iso-{}", who.name)}).to_string();
        let (code, made) =
            call(&server, "POST", "/v2/manage/namespaces", &[who.token, JSON], &body);
        assert!(code == 201 || code == 200, "{code} {made}");
    }
    for seed in 0..TRIALS {
        let mut rng = StdRng::seed_from_u64(seed);
        for step in 0..STEPS {
            let (owner, other) = if rng.random_bool(0.5) { (&BOB, &CAROL) } else { (&CAROL, &BOB) };
            let family = rng.random_range(0..4);
            let tag = format!("iso-{seed}-{step}");
            let made = create(&server, owner, family, &tag);
            let (own, their) = if made.snowflake {
                (owner.snowflake, other.snowflake)
            } else {
                (owner.token, other.token)
            };
            let what =
                |verb: &str| format!("seed {seed} step {step}: {} {verb} {}", other.name, made.url);
            let (code, before) = call(&server, "GET", &made.url, &[own], "");
            assert_eq!(code, 200, "{}: {before}", what("(the owner) reads"));
            // The other principal cannot read it, find it in a listing, change or delete it.
            let (code, body) = call(&server, "GET", &made.url, &[their], "");
            refused(code, &what("reads"));
            assert!(!body.contains(&tag), "{}: {body}", what("read"));
            let (code, listed) = call(&server, "GET", &made.list, &[their], "");
            assert_eq!(code, 200, "{}", what("lists"));
            assert!(!listed.contains(&made.mark), "{}: {listed}", what("lists and sees"));
            if let Some((method, content_type, body)) = &made.change {
                let headers = [their, ("Content-Type", content_type)];
                let (code, _) = call(&server, method, &made.url, &headers, body);
                refused(code, &what("changes"));
            }
            let (code, _) = call(&server, "DELETE", &made.url, &[their], "");
            refused(code, &what("deletes"));
            // And the owner's resource is as it was (its name and visibility; CCE's status moves
            // with time on its own).
            let (code, after) = call(&server, "GET", &made.url, &[own], "");
            assert_eq!(code, 200, "{}", what("left it in place"));
            let stable = |body: &str| {
                let v: Value = serde_json::from_str(body).expect("json");
                let v = v.get("image_cache").unwrap_or(&v).clone();
                ["name", "visibility", "is_public", "id", "comment"].map(|k| v[k].clone())
            };
            assert_eq!(stable(&after), stable(&before), "{}", what("left it unchanged"));
        }
    }
}
