//! The 202 protocol (per server and per request) and `Link` paging of large results.

use imagespec_server::{app::Options, snowflake};
use poem::http::Method;
use serde_json::json;

use super::{ALICE, BASE, BOB, snowflake as fresh, snowflake_with};

const ASYNC: (&str, &str) = ("X-Imagespec-Async", "true");

#[tokio::test]
async fn a_request_marked_async_answers_202_and_its_result_after_polling() {
    let sf = fresh();
    sf.test_db(ALICE).await;
    let body = json!({"name": "slow"});
    let r = sf
        .call(Method::POST, BASE, Some(ALICE), &[ASYNC], Some(body.to_string().into_bytes()))
        .await;
    assert_eq!(r.status, 202, "{r:#?}");
    let location = r.header("location").unwrap_or_default().to_owned();
    let handle = r.body["resultHandler"].as_str().unwrap_or_default().to_owned();
    assert_eq!(location, format!("/api/v2/results/{handle}"));
    assert_eq!(r.body["code"], "392604");
    sf.get(&location, BOB).await.assert_error(404);
    assert_eq!(sf.get(&location, ALICE).await.status, 202, "still running on the first poll");
    let r = sf.get(&location, ALICE).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (200, json!({"status": "Request successfully completed"}))
    );
    assert_eq!(sf.get(&location, ALICE).await.status, 200, "a finished result can be read again");
    let r = sf
        .call(Method::POST, BASE, Some(ALICE), &[ASYNC], Some(body.to_string().into_bytes()))
        .await;
    let location = r.header("location").unwrap_or_default().to_owned();
    assert_eq!(sf.get(&location, ALICE).await.status, 202);
    let r = sf.get(&location, ALICE).await;
    r.assert_error(409);
    sf.get("/api/v2/results/unknown", ALICE).await.assert_error(404);
    let no = [("X-Imagespec-Async", "False")];
    assert_eq!(sf.call(Method::GET, BASE, Some(ALICE), &no, None).await.status, 200);
    let bad = [("X-Imagespec-Async", "maybe")];
    sf.call(Method::GET, BASE, Some(ALICE), &bad, None).await.assert_error(400);
}

#[tokio::test]
async fn a_server_in_async_mode_defers_every_operation_but_refused_input() {
    let options = Options {
        snowflake: snowflake::Options { asynchronous: true, page_size: None },
        ..Default::default()
    };
    let sf = snowflake_with(options);
    let r = sf.post("/api/v2/databases", ALICE, &json!({"name": "test_db"})).await;
    assert_eq!(r.status, 202, "{r:#?}");
    let r = sf.get(&format!("{BASE}/repo1"), ALICE).await;
    assert_eq!(r.status, 202);
    let location = r.header("location").unwrap_or_default().to_owned();
    sf.get(&location, ALICE).await;
    sf.get(&location, ALICE).await.assert_error(404);
    sf.post(BASE, ALICE, &json!({"name": 1})).await.assert_error(400);
    let sync = [("X-Imagespec-Async", "false")];
    assert_eq!(sf.call(Method::GET, BASE, Some(ALICE), &sync, None).await.status, 200);
}

#[tokio::test]
async fn large_results_are_split_into_pages_with_link() {
    let sf = fresh();
    sf.test_db(ALICE).await;
    sf.repos(ALICE, &["r1", "r2", "r3", "r4", "r5"]).await;
    let paged = [("X-Imagespec-Page-Size", "2")];
    let r = sf.call(Method::GET, BASE, Some(ALICE), &paged, None).await;
    assert_eq!((r.status, r.names()), (200, vec!["R1".to_owned(), "R2".to_owned()]));
    let link = r.header("link").unwrap_or_default().to_owned();
    let last = link.split(", ").find(|l| l.ends_with("rel=\"last\"")).unwrap_or_default();
    assert!(last.contains("?page=2>"), "{link}");
    let base = last.trim_start_matches('<').split('?').next().unwrap_or_default().to_owned();
    let mut all = Vec::new();
    for page in 0..3 {
        let r = sf.get(&format!("{base}?page={page}"), ALICE).await;
        assert_eq!(r.status, 200, "{r:#?}");
        all.extend(r.names());
    }
    assert_eq!(all, ["R1", "R2", "R3", "R4", "R5"]);
    sf.get(&format!("{base}?page=3"), ALICE).await.assert_error(404);
    let both = [("X-Imagespec-Page-Size", "2"), ASYNC];
    let r = sf.call(Method::GET, BASE, Some(ALICE), &both, None).await;
    let location = r.header("location").unwrap_or_default().to_owned();
    assert_eq!(sf.get(&location, ALICE).await.status, 202);
    let r = sf.get(&location, ALICE).await;
    assert_eq!(r.names(), ["R1", "R2"]);
    assert!(r.header("link").is_some_and(|l| l.contains("rel=\"last\"")));
    let small =
        sf.call(Method::GET, BASE, Some(ALICE), &[("X-Imagespec-Page-Size", "10")], None).await;
    assert!(small.header("link").is_none(), "no Link unless the result is really split");
}
