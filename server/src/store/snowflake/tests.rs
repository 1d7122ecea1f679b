//! Unit tests of the Snowflake store: containers, createMode, ifExists, identifiers, tenancy,
//! writable properties, and the handle over the shared store.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::store::{ManualClock, State, Store};

const NOW: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

fn a() -> Actor {
    Actor { account: "acct-a".into(), role: "ALICE".into() }
}

fn with_schema() -> SnowflakeState {
    let mut s = SnowflakeState::default();
    s.create_database(&a(), "db", CreateMode::ErrorIfExists, Properties::new(), NOW).expect("db");
    s
}

fn create(s: &mut SnowflakeState, mode: CreateMode) -> Result<()> {
    s.create_image_repository(&a(), ("db", "public"), "repo1", mode, NOW)
}

fn image_count(s: &SnowflakeState) -> Result<usize> {
    s.fetch_image_repository("acct-a", ("db", "public"), "repo1").map(|r| r.item.images.len())
}

#[test]
fn a_new_database_has_public_and_names_resolve_case_insensitively() {
    let s = with_schema();
    assert_eq!(s.fetch_database("acct-a", "DB").map(|d| d.name), Ok("DB".into()));
    assert_eq!(s.fetch_database("acct-a", "\"DB\"").map(|d| d.name), Ok("DB".into()));
    assert!(matches!(s.fetch_database("acct-a", "\"db\""), Err(SnowflakeError::NotFound { .. })));
    assert_eq!(s.fetch_schema("acct-a", "db", "public").map(|x| x.item.name), Ok(PUBLIC.into()));
    assert!(matches!(s.fetch_database("acct-b", "db"), Err(SnowflakeError::NotFound { .. })));
}

#[test]
fn create_modes_and_if_exists() {
    let mut s = with_schema();
    assert_eq!(create(&mut s, CreateMode::ErrorIfExists), Ok(()));
    let image = NewImage { image_name: "x".into(), ..NewImage::default() };
    s.add_image("acct-a", ("db", "public"), "REPO1", image, NOW).expect("image");
    assert!(matches!(
        create(&mut s, CreateMode::ErrorIfExists),
        Err(SnowflakeError::AlreadyExists(_))
    ));
    assert_eq!(create(&mut s, CreateMode::IfNotExists), Ok(()));
    assert_eq!(image_count(&s), Ok(1));
    assert_eq!(create(&mut s, CreateMode::OrReplace), Ok(()));
    assert_eq!(image_count(&s), Ok(0));
    assert!(matches!(
        s.create_image_repository(
            &a(),
            ("db", "public"),
            "\"Quoted\"",
            CreateMode::ErrorIfExists,
            NOW
        ),
        Err(SnowflakeError::QuotedRepositoryName(_))
    ));
    assert!(matches!(
        s.create_image_repository(&a(), ("db", "nope"), "r", CreateMode::ErrorIfExists, NOW),
        Err(SnowflakeError::NotFound { .. })
    ));
    assert_eq!(s.delete_image_repository("acct-a", ("db", "public"), "repo1", false), Ok(()));
    assert!(matches!(
        s.delete_image_repository("acct-a", ("db", "public"), "repo1", false),
        Err(SnowflakeError::NotFound { .. })
    ));
    assert_eq!(s.delete_image_repository("acct-a", ("db", "public"), "repo1", true), Ok(()));
    assert!(matches!(
        s.delete_image_repository("acct-a", ("nodb", "public"), "repo1", true),
        Err(SnowflakeError::NotFound { .. })
    ));
}

#[test]
fn lists_are_sorted_filtered_and_limited() {
    let mut s = with_schema();
    for n in ["b_two", "a_one", "c_three"] {
        let created =
            s.create_schema(&a(), "db", n, CreateMode::ErrorIfExists, Properties::new(), NOW);
        created.expect("schema");
    }
    let names = |f: &ListFilter<'_>| -> Vec<String> {
        let listed = s.list_schemas("acct-a", "db", f).expect("list");
        listed.item.into_iter().map(|x| x.name).collect()
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

#[test]
fn only_writable_properties_are_kept() {
    let mut s = SnowflakeState::default();
    let given: Properties =
        [("comment", json!("c")), ("owner", json!("MALLORY")), ("budget", json!("b"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
    s.create_database(&a(), "db", CreateMode::ErrorIfExists, given.clone(), NOW).expect("db");
    let d = s.fetch_database("acct-a", "db").expect("db");
    let keys: Vec<&str> = d.properties.keys().map(String::as_str).collect();
    assert_eq!((d.owner.as_str(), keys), ("ALICE", vec!["comment"]));
    s.create_schema(&a(), "db", "sc", CreateMode::ErrorIfExists, given, NOW).expect("schema");
    let sc = s.fetch_schema("acct-a", "db", "sc").expect("schema").item;
    assert_eq!(sc.properties.keys().collect::<Vec<_>>(), vec!["comment"]);
}

#[test]
fn the_handle_reads_the_clock_and_answers_with_the_containers_names() {
    let start = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
    let store = Store::new(State::default(), Arc::new(ManualClock::new(start))).expect("temp dir");
    let sf = store.snowflake();
    sf.create_database(&a(), "\"Db\"", CreateMode::ErrorIfExists, Properties::new()).expect("db");
    sf.create_schema(&a(), "\"Db\"", "sc", CreateMode::ErrorIfExists, Properties::new())
        .expect("schema");
    assert_eq!(sf.fetch_database("acct-a", "\"Db\"").map(|d| d.created_on), Ok(start));
    let listed = sf.list_image_repositories("acct-a", ("\"Db\"", "sc"), None).expect("list");
    assert_eq!((listed.database.as_str(), listed.schema.as_str()), ("Db", "SC"));
    assert_eq!(
        sf.poll_result("acct-a/alice", "nope", 2),
        Err(SnowflakeError::NoResult { handle: "nope".into(), page: 2 })
    );
}
