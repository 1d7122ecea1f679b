//! Unit tests of the Snowflake store: containers, createMode, ifExists, identifiers, tenancy.

use std::sync::Arc;

use super::*;
use crate::store::{ManualClock, State};

const A: Actor<'static> = Actor { account: "acct-a", role: "ALICE" };

fn store() -> Store {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH));
    Store::new(State::default(), clock).expect("temp dir")
}

fn with_schema() -> Store {
    let s = store();
    s.create_database(A, "db", CreateMode::ErrorIfExists, BTreeMap::new()).expect("db");
    s
}

#[test]
fn a_new_database_has_public_and_names_resolve_case_insensitively() {
    let s = with_schema();
    assert_eq!(s.fetch_database("acct-a", "DB").map(|d| d.name), Ok("DB".into()));
    assert_eq!(s.fetch_database("acct-a", "\"DB\"").map(|d| d.name), Ok("DB".into()));
    assert!(matches!(s.fetch_database("acct-a", "\"db\""), Err(StoreError::NotFound(_))));
    assert_eq!(s.fetch_schema("acct-a", "db", "public").map(|x| x.name), Ok(PUBLIC.into()));
    assert!(matches!(s.fetch_database("acct-b", "db"), Err(StoreError::NotFound(_))));
}

#[test]
fn create_modes_and_if_exists() {
    let s = with_schema();
    let create = |mode| s.create_image_repository(A, "db", "public", "repo1", mode);
    assert_eq!(create(CreateMode::ErrorIfExists), Ok(()));
    s.add_image(
        "acct-a",
        "db",
        "public",
        "REPO1",
        NewImage { image_name: "x".into(), ..NewImage::default() },
    )
    .expect("image");
    assert!(matches!(create(CreateMode::ErrorIfExists), Err(StoreError::AlreadyExists(_))));
    assert_eq!(create(CreateMode::IfNotExists), Ok(()));
    assert_eq!(
        s.fetch_image_repository("acct-a", "db", "public", "repo1").map(|r| r.images.len()),
        Ok(1)
    );
    assert_eq!(create(CreateMode::OrReplace), Ok(()));
    assert_eq!(
        s.fetch_image_repository("acct-a", "db", "public", "repo1").map(|r| r.images.len()),
        Ok(0)
    );
    assert!(matches!(
        s.create_image_repository(A, "db", "public", "\"Quoted\"", CreateMode::ErrorIfExists),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.create_image_repository(A, "db", "nope", "r", CreateMode::ErrorIfExists),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.delete_image_repository("acct-a", "db", "public", "repo1", false), Ok(()));
    assert!(matches!(
        s.delete_image_repository("acct-a", "db", "public", "repo1", false),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.delete_image_repository("acct-a", "db", "public", "repo1", true), Ok(()));
    assert!(matches!(
        s.delete_image_repository("acct-a", "nodb", "public", "repo1", true),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn lists_are_sorted_filtered_and_limited() {
    let s = with_schema();
    for n in ["b_two", "a_one", "c_three"] {
        s.create_schema(A, "db", n, CreateMode::ErrorIfExists, BTreeMap::new()).expect("schema");
    }
    let names = |f: &ListFilter<'_>| -> Vec<String> {
        s.list_schemas("acct-a", "db", f).expect("list").into_iter().map(|x| x.name).collect()
    };
    assert_eq!(names(&ListFilter::default()), ["A_ONE", "B_TWO", "C_THREE", "PUBLIC"]);
    assert_eq!(
        names(&ListFilter { like: Some("%_t%"), ..ListFilter::default() }),
        ["B_TWO", "C_THREE"]
    );
    assert_eq!(names(&ListFilter { starts_with: Some("B"), ..ListFilter::default() }), ["B_TWO"]);
    assert_eq!(
        names(&ListFilter { from_name: Some("B"), show_limit: Some(2), ..ListFilter::default() }),
        ["B_TWO", "C_THREE"]
    );
}
