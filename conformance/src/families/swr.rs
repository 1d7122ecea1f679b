//! SWR, stateful: namespaces and repositories with the naming rules both ways, `$`-encoded
//! repository names, listings, 404s, isolation, and manual sync observed in the target region
//! with `override`.
//!
//! Check ids: `SWR-S01` a namespace is created (201), shown and found by the `filter` syntax;
//! `SWR-S02` names breaking the namespace or repository rule are 400 and create nothing, and a
//! name using every allowed separator is accepted; `SWR-S03` a duplicate namespace or repository
//! is 409; `SWR-S04` a repository with a `/` is created, shown with the `/` sent as `$`, and
//! listed by `/v2/manage/repos` with its namespace; `SWR-S05` a namespace holding a repository
//! is not deleted (406); `SWR-S06` a manual sync delivers the tags to the target organization,
//! observed through the target region's own endpoint, and is recorded in the job history;
//! `SWR-S07` `override` false leaves a different target image alone, true replaces it;
//! `SWR-S08` absent namespaces, repositories and tags are 404; `SWR-S09` delete then 404;
//! `SWR-S10` another account cannot read the namespace.
//!
//! `SWR-S06` and `SWR-S07` need an existing source repository (`--swr-source NS/REPO`: the
//! tester cannot push images, pushing is the registry protocol) and the target region's
//! endpoint (`--swr-region REGION=URL`); `SWR-S07` also needs two tags with different digests in
//! the source. Without them those checks do not run. Exact error codes, `%2F` in paths, the
//! 406 for an empty repository and the meaning of the sync's 200 array are unverified for the
//! real service: a difference there is a warning.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::session::Session;

/// How long a sync may take to show up in the target (the real service may copy later).
const SYNC_WAIT: Duration = Duration::from_secs(20);

/// The target region of a sync: its id and a session on its endpoint.
pub struct Target<'s, 'a> {
    pub region: &'s str,
    pub session: &'s Session<'a>,
}

/// Runs the suite; resource names start with `prefix`. An `Err` says the sync checks asked for
/// could not run because `source` is not a repository with tags at the target (the run's setup,
/// not a deviation).
pub fn run(
    s: &Session<'_>,
    other: Option<&Session<'_>>,
    target: Option<Target<'_, '_>>,
    source: Option<&str>,
    prefix: &str,
) -> Result<(), String> {
    let ns = prefix.to_owned();
    let created = s.call("POST", "/v2/manage/namespaces", Some(&json!({"namespace": ns})));
    let Some((req, resp)) = created else { return Ok(()) };
    s.expect("SWR-S01", resp.status == 201, &req, || {
        format!("create_namespace answered {} {}", resp.status, text(&resp.body))
    });
    if resp.status != 201 {
        return Ok(());
    }
    namespace_reads(s, &ns);
    if let Some((req, resp)) =
        s.call("POST", "/v2/manage/namespaces", Some(&json!({"namespace": ns})))
    {
        s.expect("SWR-S03", resp.status == 409, &req, || {
            format!("a duplicate namespace answered {}", resp.status)
        });
        code(s, "SWR-S03", &req, &resp.json(), "SVCSTG.SWR.4090060");
    }
    naming_rules(s, prefix, &ns);
    repositories(s, &ns);
    if let Some(o) = other
        && let Some((req, resp)) = o.call("GET", &format!("/v2/manage/namespaces/{ns}"), None)
    {
        o.expect("SWR-S10", (400..500).contains(&resp.status), &req, || {
            format!("another account read the namespace: {} {}", resp.status, text(&resp.body))
        });
        o.lenient("SWR-S10", resp.status == 404, &req, || {
            format!("another account's namespace answered {}, not 404", resp.status)
        });
    }
    missing(s, &ns, prefix);
    let synced = match (target, source) {
        (Some(t), Some(src)) => sync(s, &t, src, prefix),
        _ => Ok(()),
    };
    cleanup(s, &ns);
    synced
}

fn namespace_reads(s: &Session<'_>, ns: &str) {
    if let Some((req, resp)) = s.call("GET", &format!("/v2/manage/namespaces/{ns}"), None) {
        s.expect("SWR-S01", resp.status == 200 && resp.json()["name"] == json!(ns), &req, || {
            format!("show_namespace answered {} {}", resp.status, text(&resp.body))
        });
    }
    let uri = format!("/v2/manage/namespaces?filter=namespace::{ns}");
    if let Some((req, resp)) = s.call("GET", &uri, None) {
        let names = names(&resp.json()["namespaces"], "name");
        s.expect("SWR-S01", resp.status == 200 && names == [ns], &req, || {
            format!("the namespace filter listed {names:?}")
        });
    }
}

fn naming_rules(s: &Session<'_>, prefix: &str, ns: &str) {
    let bad_namespaces = [
        format!("{prefix}-Upper"),
        format!("{prefix}-"),
        format!("{prefix}___x"),
        format!("{prefix}._x"),
        format!("1{prefix}"),
        format!("_{prefix}"),
        format!("{prefix}{}", "x".repeat(65)),
    ];
    for name in &bad_namespaces {
        let body = json!({"namespace": name});
        if let Some((req, resp)) = s.call("POST", "/v2/manage/namespaces", Some(&body)) {
            s.expect("SWR-S02", resp.status == 400, &req, || {
                format!("the namespace name `{name}` breaks the rule but answered {}", resp.status)
            });
            code(s, "SWR-S02", &req, &resp.json(), "SVCSTG.SWR.4001028");
            if resp.status == 201 {
                let _ = s.call("DELETE", &format!("/v2/manage/namespaces/{name}"), None);
            }
        }
    }
    let good = format!("{prefix}.a_b__c");
    if let Some((req, resp)) =
        s.call("POST", "/v2/manage/namespaces", Some(&json!({"namespace": good})))
    {
        s.expect("SWR-S02", resp.status == 201, &req, || {
            format!("the valid namespace name `{good}` answered {}", resp.status)
        });
        if resp.status == 201 {
            let _ = s.call("DELETE", &format!("/v2/manage/namespaces/{good}"), None);
        }
    }
    let repos = format!("/v2/manage/namespaces/{ns}/repos");
    for name in ["Conf", "a//b", "a___b", "-a", "a-", "/a", "a/"] {
        let body = json!({"repository": name, "is_public": false});
        if let Some((req, resp)) = s.call("POST", &repos, Some(&body)) {
            s.expect("SWR-S02", resp.status == 400, &req, || {
                format!("the repository name `{name}` breaks the rule but answered {}", resp.status)
            });
            code(s, "SWR-S02", &req, &resp.json(), "SVCSTG.SWR.4001029");
            if resp.status == 201 {
                let _ = s.call("DELETE", &format!("{repos}/{}", name.replace('/', "$")), None);
            }
        }
    }
}

fn repositories(s: &Session<'_>, ns: &str) {
    let repos = format!("/v2/manage/namespaces/{ns}/repos");
    let body = json!({"repository": "conf/app", "is_public": false, "category": "other"});
    let Some((req, resp)) = s.call("POST", &repos, Some(&body)) else { return };
    s.expect("SWR-S04", resp.status == 201, &req, || {
        format!("create_repo answered {} {}", resp.status, text(&resp.body))
    });
    if let Some((req, resp)) = s.call("POST", &repos, Some(&body)) {
        s.expect("SWR-S03", resp.status == 409, &req, || {
            format!("a duplicate repository answered {}", resp.status)
        });
        code(s, "SWR-S03", &req, &resp.json(), "SVCSTG.SWR.4090006");
    }
    if let Some((req, resp)) = s.call("GET", &format!("{repos}/conf$app"), None) {
        s.expect(
            "SWR-S04",
            resp.status == 200 && resp.json()["name"] == json!("conf/app"),
            &req,
            || {
                format!(
                    "show_repository with `$` for `/` answered {} {}",
                    resp.status,
                    text(&resp.body)
                )
            },
        );
    }
    if let Some((req, resp)) = s.call("GET", &format!("{repos}/conf%2Fapp"), None) {
        s.lenient("SWR-S04", resp.status == 200, &req, || {
            format!("show_repository with `%2F` for `/` answered {}", resp.status)
        });
    }
    if let Some((req, resp)) = s.call("GET", &format!("/v2/manage/repos?namespace={ns}"), None) {
        let list = resp.json();
        let found = list
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["name"] == json!("conf/app") && r["namespace"] == json!(ns));
        let others = list.as_array().into_iter().flatten().any(|r| r["namespace"] != json!(ns));
        s.expect("SWR-S04", resp.status == 200 && found && !others, &req, || {
            format!(
                "list_repos_details?namespace={ns} answered {} {}",
                resp.status,
                text(&resp.body)
            )
        });
    }
    if let Some((req, resp)) = s.call("DELETE", &format!("/v2/manage/namespaces/{ns}"), None) {
        s.expect("SWR-S05", !(200..300).contains(&resp.status), &req, || {
            format!("a namespace holding a repository was deleted ({})", resp.status)
        });
        s.lenient("SWR-S05", resp.status == 406, &req, || {
            format!("deleting a namespace holding a repository answered {}, not 406", resp.status)
        });
    }
}

fn missing(s: &Session<'_>, ns: &str, prefix: &str) {
    let cases = [
        (format!("/v2/manage/namespaces/{prefix}-absent"), "SVCSTG.SWR.4040058"),
        (format!("/v2/manage/namespaces/{ns}/repos/absent"), "SVCSTG.SWR.4040010"),
        (format!("/v2/manage/namespaces/{ns}/repos/absent/tags"), "SVCSTG.SWR.4040010"),
        (format!("/v2/manage/namespaces/{ns}/repos/conf$app/tags/absent"), "SVCSTG.SWR.4040048"),
    ];
    for (uri, expected) in &cases {
        if let Some((req, resp)) = s.call("GET", uri, None) {
            s.expect("SWR-S08", resp.status == 404, &req, || {
                format!("an absent resource answered {} {}", resp.status, text(&resp.body))
            });
            code(s, "SWR-S08", &req, &resp.json(), expected);
        }
    }
}

/// The source's tags with their digests, oldest name first. `Err` when the target says the
/// repository does not exist (404) or has no tags; an answer that is itself a deviation (a 5xx,
/// say) is reported by the response checks, and gives no tags.
fn source_tags(s: &Session<'_>, src: &str) -> Result<Vec<(String, String)>, String> {
    let Some((ns, repo)) = src.split_once('/') else { return Ok(Vec::new()) };
    let uri = format!("/v2/manage/namespaces/{ns}/repos/{}/tags?limit=100", repo.replace('/', "$"));
    let Some((_, resp)) = s.call("GET", &uri, None) else { return Ok(Vec::new()) };
    let unusable = |why: &str| {
        Err(format!(
            "--swr-source {src}: {why}; the sync checks need an existing repository of the \
             tested account with at least one tag"
        ))
    };
    if resp.status == 404 {
        return unusable("the target answers 404 for its tags");
    }
    let mut tags: Vec<(String, String)> = resp
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["Tag"].as_str()?.to_owned(), t["digest"].as_str()?.to_owned())))
        .collect();
    tags.sort();
    if resp.status == 200 && tags.is_empty() {
        return unusable("the target lists no tags in it");
    }
    Ok(tags)
}

fn sync(s: &Session<'_>, t: &Target<'_, '_>, src: &str, prefix: &str) -> Result<(), String> {
    let tags = source_tags(s, src)?;
    sync_checks(s, t, src, prefix, &tags);
    Ok(())
}

/// The manual sync of the source's first tag(s) into the target region, observed there.
fn sync_checks(
    s: &Session<'_>,
    t: &Target<'_, '_>,
    src: &str,
    prefix: &str,
    tags: &[(String, String)],
) {
    let Some((src_ns, repo)) = src.split_once('/') else { return };
    let Some((first, first_digest)) = tags.first().cloned() else { return };
    let target_ns = prefix.to_owned();
    let dest = t.session;
    let Some((req, resp)) =
        dest.call("POST", "/v2/manage/namespaces", Some(&json!({"namespace": target_ns})))
    else {
        return;
    };
    dest.expect("SWR-S06", resp.status == 201, &req, || {
        format!("the target namespace could not be created in {}: {}", t.region, resp.status)
    });
    let repo_path = repo.replace('/', "$");
    let sync_uri = format!("/v2/manage/namespaces/{src_ns}/repos/{repo_path}/sync_images");
    let body = |tag: &str, override_: bool| json!({"imageTag": [tag], "override": override_, "remoteNamespace": target_ns, "remoteRegionId": t.region});
    if let Some((req, resp)) = s.call("POST", &sync_uri, Some(&body(&first, false))) {
        s.expect("SWR-S06", resp.status == 200, &req, || {
            format!("sync_images answered {} {}", resp.status, text(&resp.body))
        });
        let arrived = wait_for_digest(dest, &target_ns, &repo_path, &first, &first_digest);
        s.expect("SWR-S06", arrived, &req, || {
            format!("tag {first} did not reach {target_ns} in {} within {SYNC_WAIT:?}", t.region)
        });
    }
    let jobs = format!(
        "/v2/manage/namespaces/{src_ns}/repos/{repo_path}/sync_job?filter=limit::100|offset::0"
    );
    if let Some((req, resp)) = s.call("GET", &jobs, None) {
        let recorded = resp
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .any(|j| j["tag"] == json!(first) && j["remoteNamespace"] == json!(target_ns));
        s.expect("SWR-S06", resp.status == 200 && recorded, &req, || {
            format!("the job history has no job for {first} to {target_ns}: {}", text(&resp.body))
        });
    }
    if let Some((second, second_digest)) = tags.iter().find(|(_, d)| *d != first_digest).cloned() {
        override_rule(
            s,
            t,
            (&sync_uri, &body),
            (&target_ns, &repo_path),
            (&first, &first_digest),
            (&second, &second_digest),
        );
    }
    // Clean the target up.
    let tags_uri = format!("/v2/manage/namespaces/{target_ns}/repos/{repo_path}");
    let _ = dest.call("DELETE", &tags_uri, None);
    let _ = dest.call("DELETE", &format!("/v2/manage/namespaces/{target_ns}"), None);
}

/// The body of a `sync_images` request for one tag, with `override` true or false.
type SyncBody<'a> = dyn Fn(&str, bool) -> Value + 'a;

/// Makes the target's `first` tag hold the `second` image, then syncs `first` both ways.
fn override_rule(
    s: &Session<'_>,
    t: &Target<'_, '_>,
    (sync_uri, body): (&str, &SyncBody<'_>),
    (target_ns, repo_path): (&str, &str),
    (first, first_digest): (&str, &str),
    (second, second_digest): (&str, &str),
) {
    let dest = t.session;
    let Some((_, resp)) = s.call("POST", sync_uri, Some(&body(second, false))) else { return };
    if resp.status != 200 || !wait_for_digest(dest, target_ns, repo_path, second, second_digest) {
        return;
    }
    let retag = json!({"source_tag": second, "destination_tag": first, "override": true});
    let tags = format!("/v2/manage/namespaces/{target_ns}/repos/{repo_path}/tags");
    let Some((_, resp)) = dest.call("POST", &tags, Some(&retag)) else { return };
    if !(200..300).contains(&resp.status) {
        return; // The target cannot hold a different image under the tag: nothing to test.
    }
    if let Some((req, resp)) = s.call("POST", sync_uri, Some(&body(first, false))) {
        std::thread::sleep(Duration::from_millis(200));
        let kept = digest(dest, target_ns, repo_path, first).is_some_and(|d| d == second_digest);
        s.expect("SWR-S07", resp.status == 200 && kept, &req, || {
            format!("override=false replaced the different image under {first} in {target_ns}")
        });
    }
    if let Some((req, resp)) = s.call("POST", sync_uri, Some(&body(first, true))) {
        let replaced = wait_for_digest(dest, target_ns, repo_path, first, first_digest);
        s.expect("SWR-S07", resp.status == 200 && replaced, &req, || {
            format!("override=true did not replace the image under {first} in {target_ns}")
        });
    }
}

fn digest(s: &Session<'_>, ns: &str, repo_path: &str, tag: &str) -> Option<String> {
    let uri = format!("/v2/manage/namespaces/{ns}/repos/{repo_path}/tags/{tag}");
    let (_, resp) = s.call("GET", &uri, None)?;
    (resp.status == 200).then(|| resp.json()["digest"].as_str().map(str::to_owned)).flatten()
}

fn wait_for_digest(s: &Session<'_>, ns: &str, repo_path: &str, tag: &str, want: &str) -> bool {
    let start = Instant::now();
    loop {
        if digest(s, ns, repo_path, tag).is_some_and(|d| d == want) {
            return true;
        }
        if start.elapsed() > SYNC_WAIT {
            return false;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn cleanup(s: &Session<'_>, ns: &str) {
    let repo = format!("/v2/manage/namespaces/{ns}/repos/conf$app");
    if let Some((req, resp)) = s.call("DELETE", &repo, None) {
        s.expect("SWR-S09", resp.status == 204, &req, || {
            format!("delete_repo answered {} {}", resp.status, text(&resp.body))
        });
    }
    if let Some((req, resp)) = s.call("GET", &repo, None) {
        s.expect("SWR-S09", resp.status == 404, &req, || {
            format!("a deleted repository answered {}", resp.status)
        });
    }
    let uri = format!("/v2/manage/namespaces/{ns}");
    if let Some((req, resp)) = s.call("DELETE", &uri, None) {
        s.expect("SWR-S09", resp.status == 204, &req, || {
            format!("delete_namespaces answered {} {}", resp.status, text(&resp.body))
        });
    }
    if let Some((req, resp)) = s.call("GET", &uri, None) {
        s.expect("SWR-S09", resp.status == 404, &req, || {
            format!("a deleted namespace answered {}", resp.status)
        });
    }
}

/// The documented code is unverified for the live service: a different one is a warning.
fn code(
    s: &Session<'_>,
    check: &str,
    req: &crate::exchange::HttpRequest,
    body: &Value,
    expected: &str,
) {
    let got = body["errorCode"].as_str().or_else(|| body["error_code"].as_str()).unwrap_or("");
    s.lenient(check, got == expected, req, || format!("errorCode {got:?}, documented {expected}"));
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v[key].as_str().map(str::to_owned))
        .collect()
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}
