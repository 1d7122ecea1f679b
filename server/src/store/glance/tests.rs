//! Unit tests of the Glance store rules that are easiest to see without HTTP: `in:` lists with
//! quotes, sort parsing, who sees what, and all-or-nothing updates.

use serde_json::json;
use time::OffsetDateTime;

use super::index::Index;
use super::patch::{Change, Op};
use super::query::ListQuery;
use super::*;

fn q(pairs: &[(&str, &str)]) -> Result<ListQuery> {
    let owned: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ListQuery::parse(&owned).map_err(ImageError::from)
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
    assert!(matches!(r, Err(ImageError::NoSuchProperty(_))), "{r:?}");
    assert_eq!(s.images[&id], before);
}

#[test]
fn uploads_move_through_saving_and_back_on_failure() {
    let p = member("p");
    let mut s = state_with(&[("img", Visibility::Private, &p)]);
    let id = s.images.keys().next().expect("one image").clone();
    let now = OffsetDateTime::now_utc();
    assert!(
        matches!(s.begin_upload(&p, &id, now), Err(ImageError::FormatsUnset(Unset::Both))),
        "no formats"
    );
    if let Some(mut i) = s.image_mut(&id) {
        i.disk_format = Some("raw".into());
        i.container_format = Some("bare".into());
    }
    let ticket = s.begin_upload(&p, &id, now).expect("queued");
    assert_eq!(s.images[&id].status, Status::Saving);
    assert!(matches!(s.begin_upload(&p, &id, now), Err(ImageError::NotQueued(Status::Saving))));
    s.finish_upload(&ticket, Err(()), now).expect("reverted");
    assert_eq!((s.images[&id].status, s.images[&id].size), (Status::Queued, None));
    let ticket = s.begin_upload(&p, &id, now).expect("queued again");
    s.delete(&p, &id).expect("deleted mid-upload");
    let w = Written { size: 1, md5: String::new(), sha512: String::new(), virtual_size: None };
    assert!(matches!(
        s.finish_upload(&ticket, Ok(w), now),
        Err(ImageError::DeletedDuringUpload(_))
    ));
}

/// A table of 300 images from three projects in every visibility, with colliding timestamps,
/// names, formats and sizes, some deleted, hidden, deactivated or renamed after creation (so
/// the indices have moved entries), and an admin of project `p`.
fn mixed_table() -> (GlanceState, [Caller; 3], Caller) {
    let owners = [member("p"), member("q"), member("r")];
    let visibilities =
        [Visibility::Public, Visibility::Private, Visibility::Shared, Visibility::Community];
    let formats = [None, Some("raw"), Some("qcow2")];
    let mut s = GlanceState::default();
    let admin = Caller::new(Some("p".to_owned()), &["admin".to_owned()]);
    for n in 0..300u32 {
        let owner = &owners[(n * 7 % 3) as usize];
        let creator = Caller::new(owner.project.clone(), &["admin".to_owned()]);
        let new = NewImage {
            name: (n % 13 != 0).then(|| format!("img-{}", n % 17)),
            visibility: Some(visibilities[(n * 5 % 4) as usize]),
            os_hidden: n % 23 == 0,
            disk_format: formats[(n % 3) as usize].map(str::to_owned),
            container_format: formats[(n % 3) as usize].map(|_| "bare".to_owned()),
            ..NewImage::default()
        };
        // Three images per second: ties on created_at are broken by id.
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i64::from(n / 3));
        let image = s.create(&creator, new, at).expect("created");
        let later = at + time::Duration::seconds(i64::from(n % 5));
        if n % 3 != 0 && n % 4 == 0 {
            let ticket = s.begin_upload(&admin, &image.id, later).expect("uploadable");
            let w = Written {
                size: u64::from(n % 7),
                md5: format!("md5-{n}"),
                sha512: format!("sha-{n}"),
                virtual_size: None,
            };
            s.finish_upload(&ticket, Ok(w), later).expect("uploaded");
            if n % 8 == 0 {
                s.set_active(&admin, &image.id, false, later).expect("deactivated");
            }
        }
        if n % 6 == 1 {
            let rename = Change {
                op: Op::Replace,
                path: "/name".into(),
                value: Some(json!(format!("renamed-{}", n % 5))),
            };
            let changes = [rename.check().expect("a valid path")];
            s.update(&admin, &image.id, &changes, false, later).expect("renamed");
        }
        if n % 10 == 9 {
            s.add_tag(&admin, &image.id, "t", later).expect("tagged");
        }
        if n % 11 == 0 {
            s.delete(&admin, &image.id).expect("deleted");
        }
    }
    (s, owners, admin)
}

/// The index walks and the full scan give the same pages, walked with the marker to the end,
/// for several principals, every indexed order in both directions, equality filters on every
/// indexed column (alone and with an order), and page sizes.
#[test]
fn the_indices_page_exactly_like_the_scan() {
    let (s, owners, admin) = mixed_table();
    let scan = s.clone().scan_only();
    let mut queries: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("sort", "created_at:asc")],
        vec![("sort_key", "created_at"), ("sort_dir", "asc")],
        vec![("visibility", "all")],
        vec![("visibility", "shared"), ("member_status", "all")],
        vec![("tag", "t")],
        vec![("os_hidden", "true")],
        vec![("sort", "name:asc,size:desc")],
    ];
    for key in ["name", "status", "container_format", "disk_format", "size", "updated_at", "id"] {
        for dir in ["asc", "desc"] {
            queries.push(vec![("sort_key", key), ("sort_dir", dir)]);
        }
        queries.push(vec![("sort_key", key)]);
    }
    let filters: [(&str, &str); 9] = [
        ("name", "img-3"),
        ("name", "renamed-2"),
        ("status", "active"),
        ("status", "deactivated"),
        ("disk_format", "raw"),
        ("container_format", "bare"),
        ("owner", "q"),
        ("visibility", "private"),
        ("visibility", "public"),
    ];
    for filter in filters {
        queries.push(vec![filter]);
        queries.push(vec![filter, ("sort", "created_at:asc")]);
        if !matches!(filter.0, "owner" | "visibility") {
            queries.push(vec![filter, ("sort_key", filter.0), ("sort_dir", "asc")]);
        }
        queries.push(vec![filter, ("sort_key", "name")]);
    }
    for caller in owners.iter().chain([&admin]) {
        for pairs in &queries {
            for limit in ["1", "7", "25"] {
                let mut all: Vec<(String, String)> =
                    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
                all.push(("limit".into(), limit.into()));
                let mut marker: Option<String> = None;
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
                    match fast.images.last() {
                        Some(last) if fast.full => marker = Some(last.id.clone()),
                        _ => break,
                    }
                }
            }
        }
    }
    // An id filter is a lookup; it still obeys every other rule.
    let some = s.images.values().find(|i| i.status == Status::Active).expect("an active image");
    for pairs in
        [vec![("id", some.id.as_str())], vec![("id", some.id.as_str()), ("sort_key", "id")]]
    {
        let q = q(&pairs).expect("valid");
        for caller in owners.iter().chain([&admin]) {
            let ids = |p: list::Page| p.images.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
            assert_eq!(
                ids(s.list(caller, &q).expect("listed")),
                ids(scan.list(caller, &q).expect("listed"))
            );
        }
    }
}

/// Every write moves the image's entries: after the writes above, each index holds exactly the
/// entries a fresh build from the same table holds.
#[test]
fn writes_keep_the_indices_exact() {
    let (s, _, _) = mixed_table();
    let rebuilt: GlanceState =
        serde_json::from_value(serde_json::to_value(&s).expect("saved")).expect("loaded");
    assert_eq!(s.index, rebuilt.index);
    assert_eq!(s.deleted, rebuilt.deleted);
    assert!(!s.deleted.is_empty(), "the table has deleted images");
    assert_eq!(s.images.len() + s.deleted.len(), 300);
}

/// A deleted image keeps nothing but its id: it leaves the table and every index (so listings
/// never walk past it), its id is refused for a new image, and the id survives a save and load.
#[test]
fn a_deleted_image_leaves_only_its_reserved_id() {
    let p = member("p");
    let s = state_with(&[("a", Visibility::Private, &p), ("b", Visibility::Private, &p)]);
    let fresh = Index::build(s.images.values());
    let id = s.images.values().find(|i| i.name.as_deref() == Some("a")).expect("a").id.clone();
    let mut gone = s.clone();
    assert_eq!(gone.delete(&p, &id), Ok(false));
    assert!(!gone.images.contains_key(&id));
    let only_b = state_with(&[("b", Visibility::Private, &p)]);
    assert_eq!(gone.index.by_created(true, None).count(), 1);
    assert_ne!(gone.index, fresh);
    assert_eq!(gone.index, Index::build(gone.images.values()), "every entry of it removed");
    assert_eq!(names(&gone, &p, &[]), names(&only_b, &p, &[]));
    assert!(matches!(gone.show(&p, &id), Err(ImageError::NotVisible(_))));
    assert!(matches!(gone.delete(&p, &id), Err(ImageError::NoImageToDelete(_))));
    let again = NewImage { id: Some(id.clone()), ..NewImage::default() };
    let now = OffsetDateTime::now_utc();
    assert!(matches!(gone.create(&p, again.clone(), now), Err(ImageError::IdTaken(_))));
    let saved = serde_json::to_value(&gone).expect("saved");
    assert_eq!(saved["deleted"], json!([id]));
    let loaded: GlanceState = serde_json::from_value(saved).expect("loaded");
    assert_eq!(loaded, gone);
    assert!(matches!(loaded.clone().create(&p, again, now), Err(ImageError::IdTaken(_))));
}

/// A state saved by an earlier build kept deleted images whole, with status `deleted`: they load
/// as reserved ids.
#[test]
fn images_saved_as_deleted_load_as_reserved_ids() {
    let p = member("p");
    let s = state_with(&[("a", Visibility::Private, &p), ("b", Visibility::Private, &p)]);
    let mut saved = serde_json::to_value(&s).expect("saved");
    let id = s.images.values().find(|i| i.name.as_deref() == Some("a")).expect("a").id.clone();
    saved["images"][&id]["status"] = json!("deleted");
    let loaded: GlanceState = serde_json::from_value(saved).expect("loaded");
    assert_eq!(loaded.images.len(), 1);
    assert!(loaded.deleted.contains(&id));
    assert_eq!(loaded.index, Index::build(loaded.images.values()));
}

#[test]
fn a_loaded_state_has_its_index() {
    let s = state_with(&[
        ("a", Visibility::Public, &member("p")),
        ("b", Visibility::Public, &member("p")),
    ]);
    let text = serde_json::to_string(&s).expect("serializes");
    assert!(!text.contains("index"), "the indices are not saved");
    let loaded: GlanceState = serde_json::from_str(&text).expect("loads");
    assert_eq!(loaded, s, "the index is rebuilt on load");
    assert!(serde_json::from_str::<GlanceState>(r#"{"images": {}, "extra": 1}"#).is_err());
}

/// One kind of write to the image with the given id.
type Write<'a> = dyn Fn(&mut GlanceState, &str) + 'a;

/// A kept rendering never outlives a write: every kind of write empties the written image's memo
/// and only that one.
#[test]
fn every_write_empties_the_memo() {
    let (mut s, _, admin) = mixed_table();
    let live: Vec<String> = s
        .images
        .values()
        .filter(|i| i.status == Status::Active)
        .take(5)
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(live.len(), 5);
    let keep_all = |s: &GlanceState| {
        for image in s.images.values() {
            let kept = image
                .memo
                .get_or_render(|| serde_json::value::to_raw_value(&image.id).map_err(|_| ()));
            assert!(kept.is_ok());
        }
    };
    let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
    let writes: [&Write<'_>; 5] = [
        &|s, id| {
            let rename = Change { op: Op::Replace, path: "/name".into(), value: Some(json!("n")) };
            s.update(&admin, id, &[rename.check().expect("valid")], false, at).expect("renamed");
        },
        &|s, id| s.add_tag(&admin, id, "fresh", at).expect("tagged"),
        &|s, id| {
            s.add_tag(&admin, id, "gone", at).expect("tagged");
            s.delete_tag(&admin, id, "gone", at).expect("untagged");
        },
        &|s, id| s.set_active(&admin, id, false, at).expect("deactivated"),
        &|s, id| s.delete(&admin, id).map(drop).expect("deleted"),
    ];
    for (write, id) in writes.iter().zip(&live) {
        keep_all(&s);
        write(&mut s, id);
        for image in s.images.values() {
            assert_eq!(image.memo.is_kept(), &image.id != id, "after a write to {id}");
        }
    }
}
