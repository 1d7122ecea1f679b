//! `/specs/<family>.yaml` returns the hand-written file byte for byte, `/specs/<family>.json` the
//! same document as JSON, and `/docs/` serves Swagger UI configured with all four.

use crate::support::{in_process, root, spawn};

#[tokio::test]
async fn specs_are_served_verbatim_and_as_json() {
    let (cli, _) = in_process();
    for family in ["glance", "swr", "cce", "snowflake"] {
        let on_disk = std::fs::read_to_string(root().join(format!("specs/{family}.yaml")))
            .expect("spec on disk");
        let yaml = cli.get(format!("/specs/{family}.yaml")).send().await;
        yaml.assert_status_is_ok();
        yaml.assert_text(on_disk.clone()).await;
        let json = cli.get(format!("/specs/{family}.json")).send().await;
        json.assert_status_is_ok();
        let served: serde_json::Value = json.0.into_body().into_json().await.expect("JSON");
        let expected: serde_json::Value = yaml_serde::from_str(&on_disk).expect("YAML");
        assert_eq!(served, expected, "{family}.json differs from {family}.yaml");
    }
    cli.get("/specs/nope.yaml").send().await.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn swagger_ui_lists_all_four_specs() {
    let (cli, _) = in_process();
    cli.get("/docs/").send().await.assert_status_is_ok();
    let init = cli.get("/docs/swagger-initializer.js").send().await;
    init.assert_status_is_ok();
    let js = init.0.into_body().into_string().await.expect("text");
    for family in ["glance", "swr", "cce", "snowflake"] {
        assert!(
            js.contains(&format!("\"/specs/{family}.json\"")),
            "initializer lacks {family}:\n{js}"
        );
    }
}

/// The bare `/docs` redirects to `/docs/` (checked over real HTTP: the redirect depends on the
/// original URI, which only a real connection carries).
#[test]
fn bare_docs_path_redirects_to_the_ui() {
    let server = spawn(&[]);
    let (status, _) = server.get("/docs", &[]);
    assert!(status.starts_with("HTTP/1.1 308"), "{status}");
    let (ui, page) = server.get("/docs/", &[]);
    assert!(ui.contains(" 200 ") && page.contains("swagger-ui"), "{ui}");
}

/// The demo state the README's run command loads is valid and shows every family's data.
#[test]
fn demo_state_loads() {
    let state = imagespec_server::store::State::load(&root().join("server/demo/state.json"))
        .expect("demo state loads");
    assert!(state.cce.projects.values().map(Vec::len).sum::<usize>() >= 3);
}
