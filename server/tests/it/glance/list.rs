//! `GET /v2/images`: paging and links, every filter, sorting and its tie-breakers (reference §2
//! and checklist items 2, 3, 5, 6, 7, 8, 9, 10).

use serde_json::json;

use super::*;

/// Six raw images, one second apart, named n0..n5 with sizes 0, 100, ..., 500 bytes.
async fn six<E: Endpoint>(g: &Glance<E>) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = g
            .image(BOB, json!({"name": format!("n{i}"), "tags": [format!("t{}", i % 2), "all"], "os_distro": if i < 3 { "debian" } else { "ubuntu" }}))
            .await;
        assert_eq!(g.upload(&id, BOB, &vec![7u8; i * 100]).await.status, 204);
        ids.push(id);
        g.tick();
    }
    ids
}

#[tokio::test]
async fn pages_follow_next_to_an_empty_last_page() {
    let g = glance();
    let ids = six(&g).await;
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let mut seen = Vec::new();
    let mut uri = "/v2/images?limit=2&tag=all".to_owned();
    let mut pages = 0;
    loop {
        let page = g.get(&uri, BOB).await;
        assert_eq!(page.status, 200, "{page:#?}");
        assert_eq!(page.body["first"], "/v2/images?limit=2&tag=all", "first drops the marker");
        assert_eq!(page.body["schema"], "/v2/schemas/images");
        seen.extend(page.ids());
        pages += 1;
        match page.body["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/v2/images?limit=2&tag=all&marker="), "{next}");
                uri = next.to_owned();
            }
            None => {
                assert!(
                    page.ids().is_empty(),
                    "checklist 2: the page after the exact end is empty"
                );
                break;
            }
        }
    }
    assert_eq!((seen, pages), (newest_first, 4));
    let zero = g.get("/v2/images?limit=0", BOB).await;
    assert!(zero.ids().is_empty() && zero.body.get("next").is_none(), "{zero:#?}");
    let default = g.get("/v2/images", BOB).await;
    assert_eq!((default.ids().len(), &default.body["first"]), (6, &json!("/v2/images")));
    assert!(default.body.get("next").is_none());
    let capped = g.get("/v2/images?limit=5000", BOB).await;
    assert_eq!(capped.ids().len(), 6, "limits above 1000 are capped, not refused");
}

#[tokio::test]
async fn links_keep_every_value_of_repeated_parameters() {
    let g = glance();
    six(&g).await;
    let page = g
        .get("/v2/images?tag=all&tag=t1&limit=1&sort_key=name&sort_key=id&sort_dir=asc", BOB)
        .await;
    let next = page.body["next"].as_str().expect("a full page has next");
    assert!(
        next.starts_with(
            "/v2/images?tag=all&tag=t1&limit=1&sort_key=name&sort_key=id&sort_dir=asc&marker="
        ),
        "{next}"
    );
    let mut names = vec![page.body["images"][0]["name"].clone()];
    let mut uri = next.to_owned();
    while let Some(n) = {
        let p = g.get(&uri, BOB).await;
        names.extend(p.body["images"].as_array().into_iter().flatten().map(|i| i["name"].clone()));
        p.body["next"].as_str().map(str::to_owned)
    } {
        uri = n;
    }
    assert_eq!(names, [json!("n1"), json!("n3"), json!("n5")], "every page keeps both tags");
}

#[tokio::test]
async fn markers_must_name_a_visible_live_image() {
    let g = glance();
    let ids = six(&g).await;
    let after = g.get(&format!("/v2/images?marker={}", ids[3]), BOB).await;
    assert_eq!(after.ids(), [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    g.get("/v2/images?marker=00000000-0000-0000-0000-000000000000", BOB).await.assert_error(400);
    g.get("/v2/images?marker=not-a-uuid", BOB).await.assert_error(400);
    g.delete(&format!("/v2/images/{}", ids[0]), BOB).await;
    g.get(&format!("/v2/images?marker={}", ids[0]), BOB).await.assert_error(400);
    let private = g.image(CAROL, json!({"visibility": "private"})).await;
    g.get(&format!("/v2/images?marker={private}"), BOB).await.assert_error(403);
}

#[tokio::test]
async fn attribute_filters() {
    let g = glance();
    let ids = six(&g).await;
    let names = |r: &Reply| -> Vec<String> {
        r.body["images"]
            .as_array()
            .expect("list")
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(names(&g.get("/v2/images?name=n2", BOB).await), ["n2"]);
    assert_eq!(names(&g.get("/v2/images?name=in:n1,n4", BOB).await), ["n4", "n1"]);
    assert_eq!(names(&g.get("/v2/images?name=eq:n3", BOB).await), ["n3"]);
    g.get("/v2/images?name=n:3", BOB).await.assert_error(400);
    assert_eq!(names(&g.get(&format!("/v2/images?id={}", ids[5]), BOB).await), ["n5"]);
    assert_eq!(names(&g.get("/v2/images?size_min=200&size_max=300", BOB).await), ["n3", "n2"]);
    assert_eq!(names(&g.get("/v2/images?size=400", BOB).await), ["n4"]);
    assert_eq!(names(&g.get("/v2/images?tag=t0&tag=all", BOB).await), ["n4", "n2", "n0"]);
    assert_eq!(names(&g.get("/v2/images?os_distro=ubuntu", BOB).await), ["n5", "n4", "n3"]);
    assert!(names(&g.get("/v2/images?no_such_property=x", BOB).await).is_empty(), "checklist 8");
    assert!(names(&g.get("/v2/images?status=bogus", BOB).await).is_empty());
    assert_eq!(
        names(&g.get("/v2/images?status=active&disk_format=raw&container_format=bare", BOB).await)
            .len(),
        6
    );
    assert_eq!(
        names(&g.get(&format!("/v2/images?owner={BOB_PROJECT}&visibility=shared"), BOB).await)
            .len(),
        6
    );
    g.patch(&ids[1], BOB, V21, json!([{"op": "replace", "path": "/protected", "value": true}]))
        .await;
    assert_eq!(names(&g.get("/v2/images?protected=true", BOB).await), ["n1"]);
    g.get("/v2/images?protected=True", BOB).await.assert_error(400);
    g.patch(&ids[2], BOB, V21, json!([{"op": "replace", "path": "/os_hidden", "value": true}]))
        .await;
    assert!(!names(&g.get("/v2/images", BOB).await).contains(&"n2".to_owned()), "checklist 6");
    assert_eq!(names(&g.get("/v2/images?os_hidden=TRUE", BOB).await), ["n2"], "checklist 7");
    let checksum = g.get(&format!("/v2/images/{}", ids[4]), BOB).await.body["checksum"].clone();
    assert_eq!(
        names(
            &g.get(&format!("/v2/images?checksum={}", checksum.as_str().unwrap_or_default()), BOB)
                .await
        ),
        ["n4"]
    );
}

#[tokio::test]
async fn time_filters_compare_in_utc() {
    let g = glance();
    six(&g).await;
    let all = g.get("/v2/images?sort=created_at:asc", BOB).await;
    let third = all.body["images"][2]["created_at"].as_str().expect("created_at").to_owned();
    let count = |r: Reply| r.ids().len();
    assert_eq!(count(g.get(&format!("/v2/images?created_at=gt:{third}"), BOB).await), 3);
    assert_eq!(count(g.get(&format!("/v2/images?created_at=gte:{third}"), BOB).await), 4);
    assert_eq!(count(g.get(&format!("/v2/images?created_at=lt:{third}"), BOB).await), 2);
    assert_eq!(count(g.get(&format!("/v2/images?created_at={third}"), BOB).await), 1);
    assert_eq!(count(g.get(&format!("/v2/images?created_at=neq:{third}"), BOB).await), 5);
    let shifted = third.replace('Z', "+01:00");
    let plus = shifted.replace('+', "%2B");
    assert_eq!(
        count(g.get(&format!("/v2/images?updated_at=lte:{plus}"), BOB).await),
        0,
        "{shifted} is an hour earlier in UTC"
    );
    g.get("/v2/images?created_at=in:2020-01-01T00:00:00Z", BOB).await.assert_error(400);
    g.get("/v2/images?created_at=gt:yesterday", BOB).await.assert_error(400);
    g.get("/v2/images?changes-since=2020-01-01T00:00:00Z", BOB).await.assert_error(400);
}

#[tokio::test]
async fn sorting_and_tie_breakers() {
    let g = glance();
    // Same second: ties on created_at are broken by id.
    let mut same: Vec<String> = Vec::new();
    for n in ["b", "a", "b"] {
        same.push(g.image(BOB, json!({"name": n})).await);
    }
    let mut by_id = same.clone();
    by_id.sort();
    let desc: Vec<String> = by_id.iter().rev().cloned().collect();
    assert_eq!(g.get("/v2/images", BOB).await.ids(), desc, "created_at desc, then id desc");
    let r = g.get("/v2/images?sort=name:asc", BOB).await;
    let bs: Vec<String> = by_id.iter().filter(|i| **i != same[1]).cloned().collect();
    assert_eq!(r.ids(), [vec![same[1].clone()], bs.clone()].concat(), "checklist 10: ties asc");
    let r = g.get("/v2/images?sort_key=name&sort_dir=asc", BOB).await;
    assert_eq!(r.ids(), [vec![same[1].clone()], bs.clone()].concat());
    let r = g.get("/v2/images?sort=name:asc,size:asc", BOB).await;
    let bs_desc: Vec<String> = bs.iter().rev().cloned().collect();
    assert_eq!(r.ids(), [vec![same[1].clone()], bs_desc].concat(), "two directions: ties desc");
    let r = g.get("/v2/images?sort=name", BOB).await;
    assert_eq!(r.ids()[2], same[1], "a missing direction means desc");
    g.get("/v2/images?sort=name&sort_key=name", BOB).await.assert_error(400);
    g.get("/v2/images?sort_key=owner", BOB).await.assert_error(400);
    g.get("/v2/images?sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc", BOB)
        .await
        .assert_error(400);
    g.get("/v2/images?sort=name:up", BOB).await.assert_error(400);
    let sized = glance();
    let ids = six(&sized).await;
    let by_size = sized.get("/v2/images?sort=size:desc", BOB).await;
    assert_eq!(by_size.ids(), ids.iter().rev().cloned().collect::<Vec<_>>());
}
