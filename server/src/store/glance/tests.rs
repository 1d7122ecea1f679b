//! Unit tests of the Glance store rules that are easiest to see without HTTP: `in:` lists with
//! quotes, sort parsing, who sees what, and all-or-nothing updates.

use serde_json::json;
use time::OffsetDateTime;

use super::list::ListQuery;
use super::patch::{Change, Op};
use super::*;

fn q(pairs: &[(&str, &str)]) -> Result<ListQuery> {
    let owned: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ListQuery::parse(&owned)
}

fn member(project: &str) -> Caller {
    Caller::new(Some(project.to_owned()), &["member".to_owned()])
}

fn names(state: &GlanceState, caller: &Caller, pairs: &[(&str, &str)]) -> Vec<String> {
    let page = state.list(caller, &q(pairs).expect("valid query")).expect("listed");
    page.images.iter().filter_map(|i| i.name.clone()).collect()
}

fn state_with(names_and_visibility: &[(&str, Visibility, &Caller)]) -> GlanceState {
    let mut s = GlanceState::default();
    let mut now = OffsetDateTime::UNIX_EPOCH;
    for (name, visibility, owner) in names_and_visibility {
        now += time::Duration::seconds(1);
        let admin = Caller::new(owner.project.clone(), &["admin".to_owned()]);
        let new = NewImage {
            name: Some((*name).to_owned()),
            visibility: Some(*visibility),
            ..NewImage::default()
        };
        s.create(&admin, new, now).expect("created");
    }
    s
}

#[test]
fn in_lists_honour_quotes_and_escapes() {
    let s = state_with(&[
        ("a,b", Visibility::Public, &member("p")),
        ("say \"hi\"", Visibility::Public, &member("p")),
        ("plain", Visibility::Public, &member("p")),
    ]);
    let p = member("p");
    assert_eq!(names(&s, &p, &[("name", "in:\"a,b\",plain")]), ["plain", "a,b"]);
    assert_eq!(names(&s, &p, &[("name", "in:\"say \\\"hi\\\"\"")]), ["say \"hi\""]);
    assert!(q(&[("name", "in:\"open")]).is_err(), "an unclosed quote");
    assert!(q(&[("name", "in:a\"b\"")]).is_err(), "no comma before the quote");
    assert!(q(&[("name", "in:\"a\"b")]).is_err(), "no comma after the quote");
    assert!(q(&[("name", "gt:a")]).is_err(), "an unknown operator");
}

#[test]
fn sort_parameters_are_validated() {
    assert!(q(&[("sort_key", "name"), ("sort_dir", "asc")]).is_ok());
    assert!(q(&[("sort_dir", "asc"), ("sort_dir", "desc")]).is_err(), "two dirs, no key");
    assert!(q(&[("sort", "name:asc"), ("sort_dir", "asc")]).is_err(), "mixed syntaxes");
    assert!(q(&[("sort", " name : asc , size ")]).is_ok(), "whitespace is trimmed");
    assert!(q(&[("sort", "owner")]).is_err());
    assert!(q(&[("limit", "-1")]).is_err() && q(&[("limit", "x")]).is_err());
    assert_eq!(q(&[("limit", "99999999999")]).map(|l| l.limit), Ok(1000));
    assert_eq!(q(&[("limit", "1"), ("limit", "7")]).map(|l| l.limit), Ok(7), "last value wins");
}

#[test]
fn default_lists_follow_the_tenancy_matrix() {
    let (p, o) = (member("p"), member("o"));
    let s = state_with(&[
        ("p-private", Visibility::Private, &p),
        ("p-shared", Visibility::Shared, &p),
        ("p-community", Visibility::Community, &p),
        ("o-private", Visibility::Private, &o),
        ("o-shared", Visibility::Shared, &o),
        ("o-community", Visibility::Community, &o),
        ("o-public", Visibility::Public, &o),
    ]);
    assert_eq!(names(&s, &p, &[]), ["o-public", "p-community", "p-shared", "p-private"]);
    assert_eq!(names(&s, &p, &[("visibility", "community")]), ["o-community", "p-community"]);
    assert_eq!(
        names(&s, &p, &[("visibility", "all")]),
        ["o-public", "o-community", "p-community", "p-shared", "p-private"]
    );
    let admin = Caller::new(Some("admin-project".into()), &["admin".to_owned()]);
    assert_eq!(
        names(&s, &admin, &[]),
        ["o-public", "o-shared", "o-private", "p-shared", "p-private"],
        "admins see everything but other projects' community images"
    );
    let nobody = Caller::new(Some("p".into()), &[]);
    assert!(s.list(&nobody, &q(&[]).expect("query")).is_err(), "listing needs the reader role");
}

#[test]
fn a_failing_change_leaves_the_image_untouched() {
    let p = member("p");
    let mut s = state_with(&[("before", Visibility::Private, &p)]);
    let id = s.images.keys().next().expect("one image").clone();
    let changes: Vec<_> = [
        Change { op: Op::Replace, path: "/name".into(), value: Some(json!("after")) },
        Change { op: Op::Replace, path: "/missing".into(), value: Some(json!("x")) },
    ]
    .into_iter()
    .map(|c| c.check().expect("valid paths"))
    .collect();
    let before = s.images[&id].clone();
    let r = s.update(&p, &id, &changes, false, OffsetDateTime::now_utc());
    assert!(matches!(r, Err(ImageError::Conflict(_))), "{r:?}");
    assert_eq!(s.images[&id], before);
}

#[test]
fn uploads_move_through_saving_and_back_on_failure() {
    let p = member("p");
    let mut s = state_with(&[("img", Visibility::Private, &p)]);
    let id = s.images.keys().next().expect("one image").clone();
    let now = OffsetDateTime::now_utc();
    assert!(matches!(s.begin_upload(&p, &id, now), Err(ImageError::BadRequest(_))), "no formats");
    s.images.get_mut(&id).map(|i| {
        i.disk_format = Some("raw".into());
        i.container_format = Some("bare".into());
    });
    let ticket = s.begin_upload(&p, &id, now).expect("queued");
    assert_eq!(s.images[&id].status, Status::Saving);
    assert!(matches!(s.begin_upload(&p, &id, now), Err(ImageError::Conflict(_))));
    s.finish_upload(&ticket, Err(()), now).expect("reverted");
    assert_eq!((s.images[&id].status, s.images[&id].size), (Status::Queued, None));
    let ticket = s.begin_upload(&p, &id, now).expect("queued again");
    s.delete(&p, &id, now).expect("deleted mid-upload");
    let w = Written { size: 1, md5: String::new(), sha512: String::new(), virtual_size: None };
    assert!(matches!(s.finish_upload(&ticket, Ok(w), now), Err(ImageError::Gone(_))));
}

/// The index walk and the full scan give the same pages, walked with the marker to the end, for
/// several principals, orders, filters and page sizes (timestamps collide on purpose).
#[test]
fn the_index_pages_exactly_like_the_scan() {
    let owners = [member("p"), member("q"), member("r")];
    let visibilities =
        [Visibility::Public, Visibility::Private, Visibility::Shared, Visibility::Community];
    let mut s = GlanceState::default();
    let admin = Caller::new(Some("p".to_owned()), &["admin".to_owned()]);
    for n in 0..300u32 {
        let owner = &owners[(n * 7 % 3) as usize];
        let creator = Caller::new(owner.project.clone(), &["admin".to_owned()]);
        let new = NewImage {
            name: Some(format!("img-{}", n % 17)),
            visibility: Some(visibilities[(n * 5 % 4) as usize]),
            ..NewImage::default()
        };
        // Three images per second: ties on created_at are broken by id.
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i64::from(n / 3));
        let image = s.create(&creator, new, at).expect("created");
        if n % 11 == 0 {
            s.delete(&admin, &image.id, at).expect("deleted");
        }
    }
    let mut scan = s.clone();
    scan.by_created.clear();
    let queries: [&[(&str, &str)]; 5] = [
        &[],
        &[("sort", "created_at:asc")],
        &[("sort_key", "created_at"), ("sort_dir", "asc")],
        &[("name", "img-3")],
        &[("visibility", "all")],
    ];
    for caller in owners.iter().chain([&admin]) {
        for pairs in queries {
            for limit in ["1", "7", "25"] {
                let mut all: Vec<(String, String)> =
                    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
                all.push(("limit".into(), limit.into()));
                let mut marker: Option<String> = None;
                let mut seen = 0;
                loop {
                    let mut query = all.clone();
                    if let Some(m) = &marker {
                        query.push(("marker".into(), m.clone()));
                    }
                    let q = ListQuery::parse(&query).expect("valid");
                    let fast = s.list(caller, &q).expect("listed");
                    let slow = scan.list(caller, &q).expect("listed");
                    let ids =
                        |p: &list::Page| p.images.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
                    assert_eq!(ids(&fast), ids(&slow), "{pairs:?} limit {limit} after {marker:?}");
                    assert_eq!(fast.full, slow.full);
                    seen += fast.images.len();
                    match fast.images.last() {
                        Some(last) if fast.full => marker = Some(last.id.clone()),
                        _ => break,
                    }
                }
                assert!(seen > 0, "{pairs:?}: every principal sees something");
            }
        }
    }
}

#[test]
fn a_loaded_state_has_its_index() {
    let s = state_with(&[
        ("a", Visibility::Public, &member("p")),
        ("b", Visibility::Public, &member("p")),
    ]);
    let text = serde_json::to_string(&s).expect("serializes");
    assert!(!text.contains("by_created"), "the index is not saved");
    let loaded: GlanceState = serde_json::from_str(&text).expect("loads");
    assert_eq!(loaded, s, "the index is rebuilt on load");
    assert!(serde_json::from_str::<GlanceState>(r#"{"images": {}, "extra": 1}"#).is_err());
}
