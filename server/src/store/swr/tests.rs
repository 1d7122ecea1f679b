//! Unit tests of the SWR store: ownership, quotas, listing and the sync rules.

use time::OffsetDateTime;

use super::*;

fn actor(account: &str) -> Actor {
    Actor { account: account.to_owned(), user: format!("{account}-user") }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_126_400).expect("valid time")
}

const HOME: &str = "cn-north-4";
const EAST: &str = "cn-east-3";

/// A state where account `a` has `team/app` with tag `v1` at home and namespace `remote` in east.
fn seeded() -> SwrState {
    let mut s = SwrState::default();
    let a = actor("a");
    s.create_namespace(HOME, &a, "team").expect("created");
    s.create_namespace(EAST, &a, "remote").expect("created");
    s.push(HOME, &a, "team", "app", image("v1"), now()).expect("pushed");
    s
}

/// An image with made-up contents, pushed as `tag`.
fn image(tag: &str) -> Push {
    Push { tag: tag.to_owned(), ..Push::default() }
}

fn rule(sync_auto: bool, override_: bool) -> AutoSync {
    AutoSync { remote_region: EAST.into(), remote_namespace: "remote".into(), sync_auto, override_ }
}

fn retag(source: &str, destination: &str, override_: bool) -> Retag {
    Retag { source: source.into(), destination: destination.into(), override_ }
}

fn sync(tags: &[&str], override_: bool) -> ManualSync {
    ManualSync {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        override_,
        remote_namespace: "remote".into(),
        remote_region: EAST.into(),
    }
}

#[test]
fn namespaces_are_unique_per_region_and_private_to_their_account() {
    let mut s = SwrState::default();
    s.create_namespace(HOME, &actor("a"), "shared").expect("created");
    assert_eq!(
        s.create_namespace(HOME, &actor("b"), "shared"),
        Err(SwrStoreError::NamespaceExists("shared".into()))
    );
    s.create_namespace(EAST, &actor("b"), "shared").expect("another region is separate");
    assert_eq!(
        s.show_namespace(HOME, &actor("b"), "shared"),
        Err(SwrStoreError::NamespaceNotFound("shared".into()))
    );
    assert!(s.list_namespaces(HOME, &actor("b"), None, None).expect("lists").is_empty());
    assert_eq!(
        s.create_namespace(HOME, &actor("a"), "Bad"),
        Err(SwrStoreError::InvalidNamespace("Bad".into()))
    );
}

#[test]
fn the_namespace_quota_is_per_account() {
    let mut s = SwrState { namespace_quota: 2, ..SwrState::default() };
    s.create_namespace(HOME, &actor("a"), "n1").expect("1");
    s.create_namespace(HOME, &actor("a"), "n2").expect("2");
    assert_eq!(s.create_namespace(HOME, &actor("a"), "n3"), Err(SwrStoreError::QuotaExceeded(2)));
    s.create_namespace(HOME, &actor("b"), "n3").expect("another account has its own quota");
}

#[test]
fn a_namespace_with_repositories_cannot_be_deleted() {
    let mut s = seeded();
    assert_eq!(
        s.delete_namespace(HOME, &actor("a"), "team"),
        Err(SwrStoreError::NamespaceNotEmpty("team".into()))
    );
    s.delete_repo(HOME, &actor("a"), "team", "app").expect("deleted");
    s.delete_namespace(HOME, &actor("a"), "team").expect("now empty");
}

#[test]
fn repository_listing_filters_sorts_and_pages() {
    let mut s = SwrState::default();
    let a = actor("a");
    s.create_namespace(HOME, &a, "team").expect("created");
    for (i, name) in ["b/one", "a/two", "c"].iter().enumerate() {
        let t = now() + time::Duration::seconds(i as i64);
        let new =
            NewRepo { name: (*name).into(), category: Some("linux".into()), ..NewRepo::default() };
        s.create_repo(HOME, &a, "team", new, t).expect("created");
    }
    let q = RepoQuery {
        filter: Some("order_column::name|order_type::asc|limit::2".into()),
        ..Default::default()
    };
    let (page, range) = s.list_repos(HOME, &a, &q).expect("lists");
    assert_eq!(page.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["a/two", "b/one"]);
    assert_eq!(range, "0-2/3");
    let (page, _) = s.list_repos(HOME, &a, &RepoQuery::default()).expect("lists");
    assert_eq!(page[0].name, "c", "newest update first by default");
    let q = RepoQuery { name: Some("o".into()), ..Default::default() };
    assert_eq!(s.list_repos(HOME, &a, &q).expect("lists").1, "0-2/2");
    let q = RepoQuery { filter: Some("center::thirdparty".into()), ..Default::default() };
    assert_eq!(s.list_repos(HOME, &a, &q).expect("lists").1, "0-0/0");
    let q = RepoQuery { order_column: Some("size".into()), ..Default::default() };
    assert!(matches!(s.list_repos(HOME, &a, &q), Err(SwrStoreError::InvalidParameter(_))));
}

#[test]
fn manual_sync_copies_tags_and_honours_override() {
    let mut s = seeded();
    let a = actor("a");
    assert_eq!(s.sync_images(HOME, &a, "team", "app", &sync(&["v1"], false), now()), Ok(vec![]));
    let copied = s.show_tag(EAST, &a, "remote", "app", "v1").expect("arrived");
    let original = s.show_tag(HOME, &a, "team", "app", "v1").expect("still there");
    assert_eq!(copied.digest, original.digest);

    // A different image under the same tag at home: without override the target stays.
    s.push(HOME, &a, "team", "app", image("v1"), now()).expect("pushed again");
    let changed = s.show_tag(HOME, &a, "team", "app", "v1").expect("exists").digest;
    assert_ne!(changed, copied.digest);
    assert_eq!(
        s.sync_images(HOME, &a, "team", "app", &sync(&["v1"], false), now()),
        Ok(vec!["v1".to_owned()])
    );
    assert_eq!(s.show_tag(EAST, &a, "remote", "app", "v1").expect("kept").digest, copied.digest);
    assert_eq!(s.sync_images(HOME, &a, "team", "app", &sync(&["v1"], true), now()), Ok(vec![]));
    assert_eq!(s.show_tag(EAST, &a, "remote", "app", "v1").expect("replaced").digest, changed);

    let (jobs, range) =
        s.list_jobs(HOME, &a, "team", "app", Some("limit::10|offset::0")).expect("jobs");
    assert_eq!(range, "0-3/3");
    let statuses: Vec<JobStatus> = jobs.iter().map(|j| j.status).collect();
    assert_eq!(statuses, [JobStatus::Success, JobStatus::Existed, JobStatus::Success]);
}

/// A repository synced for ever keeps its newest `JOBS_KEPT` jobs, so its history is bounded.
#[test]
fn a_repository_keeps_its_newest_jobs() {
    let mut s = seeded();
    let a = actor("a");
    for _ in 0..sync::JOBS_KEPT + 5 {
        s.sync_images(HOME, &a, "team", "app", &sync(&["v1"], true), now()).expect("synced");
    }
    let (jobs, range) = s
        .list_jobs(HOME, &a, "team", "app", Some("limit::1000|offset::0|order::asc"))
        .expect("jobs");
    assert_eq!(range, format!("0-{}/{}", sync::JOBS_KEPT, sync::JOBS_KEPT));
    let all: Vec<u64> =
        s.repo(HOME, &a, "team", "app").expect("repo").jobs.iter().map(|j| j.id).collect();
    assert_eq!(all.len(), sync::JOBS_KEPT);
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), all, "the oldest five are gone");
    assert!(all.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_refused_sync_changes_nothing() {
    let mut s = seeded();
    let a = actor("a");
    let before = s.clone();
    for (bad, expected) in [
        (sync(&[], false), "InvalidParameter"),
        (sync(&["v1", "nope"], false), "TagNotFound"),
        (sync(&["bad tag"], false), "InvalidTag"),
        (ManualSync { remote_region: HOME.into(), ..sync(&["v1"], false) }, "InvalidParameter"),
        (ManualSync { remote_region: "mars-1".into(), ..sync(&["v1"], false) }, "InvalidParameter"),
    ] {
        let err = s.sync_images(HOME, &a, "team", "app", &bad, now()).expect_err("refused");
        assert!(format!("{err:?}").starts_with(expected), "{err:?}");
        assert_eq!(s, before, "nothing changed after {err:?}");
    }
    // A target organization that does not exist (or belongs to someone else) fails the job.
    let elsewhere = ManualSync { remote_namespace: "absent".into(), ..sync(&["v1"], false) };
    assert_eq!(
        s.sync_images(HOME, &a, "team", "app", &elsewhere, now()),
        Ok(vec!["v1".to_owned()])
    );
    let (jobs, _) = s.list_jobs(HOME, &a, "team", "app", Some("limit::1|offset::0")).expect("jobs");
    assert_eq!(jobs[0].status, JobStatus::Failed);
    assert!(s.show_repo(EAST, &a, "absent", "app").is_err());
}

#[test]
fn automatic_rules_copy_later_pushes() {
    let mut s = seeded();
    let a = actor("a");
    s.put_rule(HOME, &a, "team", "app", &rule(true, false), now()).expect("rule");
    s.put_rule(HOME, &a, "team", "app", &rule(true, true), now()).expect("updated");
    assert_eq!(s.rules(HOME, &a, "team", "app").expect("rules").len(), 1);
    assert!(s.show_tag(EAST, &a, "remote", "app", "v1").is_err(), "existing tags are not copied");
    s.push(HOME, &a, "team", "app", image("v2"), now()).expect("pushed");
    assert!(s.show_tag(EAST, &a, "remote", "app", "v2").is_ok(), "the push was synchronized");
    s.delete_rule(HOME, &a, "team", "app", (EAST, "remote")).expect("deleted");
    assert_eq!(
        s.delete_rule(HOME, &a, "team", "app", (EAST, "remote")),
        Err(SwrStoreError::RuleNotFound)
    );
}

#[test]
fn sync_job_filters_are_checked() {
    let s = seeded();
    let a = actor("a");
    for bad in [
        None,
        Some("limit::10"),
        Some("offset::0"),
        Some("limit::0|offset::0"),
        Some("limit::1|offset::0|x::y"),
    ] {
        assert!(s.list_jobs(HOME, &a, "team", "app", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn retag_needs_override_to_move_a_tag() {
    let mut s = seeded();
    let a = actor("a");
    s.retag(HOME, &a, "team", "app", &retag("v1", "latest", false), now()).expect("tagged");
    s.push(HOME, &a, "team", "app", image("v2"), now()).expect("pushed");
    assert!(matches!(
        s.retag(HOME, &a, "team", "app", &retag("v2", "latest", false), now()),
        Err(SwrStoreError::RepositoryExists(_))
    ));
    s.retag(HOME, &a, "team", "app", &retag("v2", "latest", true), now()).expect("moved");
    let v2 = s.show_tag(HOME, &a, "team", "app", "v2").expect("v2").digest;
    assert_eq!(s.show_tag(HOME, &a, "team", "app", "latest").expect("latest").digest, v2);
    assert_eq!(
        s.retag(HOME, &a, "team", "app", &retag("nope", "x", false), now()),
        Err(SwrStoreError::TagNotFound("nope".into()))
    );
}

/// The handle takes the lock and reads the store's clock for each operation.
#[test]
fn the_handle_reads_the_store_clock() {
    use std::sync::Arc;

    use crate::store::{ManualClock, State, Store};

    let clock = Arc::new(ManualClock::new(now()));
    let store = Store::new(State::default(), clock.clone()).expect("temp dir");
    let a = actor("a");
    store.swr().create_namespace(HOME, &a, "team").expect("created");
    clock.advance(time::Duration::minutes(5));
    let (tag, created) = store.swr().push(HOME, &a, "team", "app", image("v1")).expect("pushed");
    assert!(created);
    assert_eq!(tag.created, now() + time::Duration::minutes(5));
    let page = store.swr().list_tags(HOME, &a, "team", "app", &TagQuery::default()).expect("tags");
    assert_eq!((page.repo.name.as_str(), page.range.as_str()), ("app", "0-1/1"));
    assert_eq!(store.swr().region_ids(), DEFAULT_REGIONS);
}
