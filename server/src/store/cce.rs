//! CCE image caches: per-project records, the name and quota rules, and the clock-driven
//! lifecycle (`Creating` → `Available`, retention expiry → `Unavailable` → removed, delete →
//! `Deleting` → removed).
//!
//! Status is derived from timestamps whenever a record is read, so the state never needs a
//! background task and a test moves it along by advancing the clock. [`CceState`]'s operations
//! take the time as an argument; [`Cce`], the handle [`Store::cce`] returns, takes the lock and
//! reads the store's clock for them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{Store, Writing};

/// How long a new cache stays `Creating`.
pub const BUILD_TIME: Duration = Duration::seconds(10);
/// How long a deleted cache stays `Deleting`.
pub const DELETE_TIME: Duration = Duration::seconds(5);
/// How long an expired cache stays `Unavailable` before it is removed.
pub const EXPIRED_GRACE: Duration = Duration::days(1);
/// Caches per project.
pub const QUOTA: usize = 50;

/// Why a CCE operation is refused; `cce/error.rs` maps each to CCE's status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CceStoreError {
    /// No cache with this id in the caller's project (another project's caches are not seen).
    #[error("The image cache {0} does not exist.")]
    NotFound(String),
    /// The project already has a cache of this name.
    #[error("The image cache {0} already exists.")]
    AlreadyExists(String),
    /// The project holds as many caches as it may.
    #[error("A project holds at most {0} image caches.")]
    QuotaExceeded(usize),
}

type Result<T> = std::result::Result<T, CceStoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Creating,
    Available,
    Unavailable,
    Deleting,
    Failed,
}

/// One cache as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageCache {
    pub id: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub images: Vec<String>,
    pub image_cache_size: i32,
    pub retention_days: i32,
    pub cluster: String,
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// When deletion started.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleting_since: Option<OffsetDateTime>,
    /// Why the build failed, for caches loaded as failed from a state file.
    #[serde(default)]
    pub failure: Option<String>,
}

/// A cache as an operation saw it: the record with the status and message of that moment.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheView {
    pub cache: ImageCache,
    pub status: Status,
    pub message: String,
}

/// What a caller asks for; validated against the spec's field rules before it gets here.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImageCache {
    pub name: String,
    pub images: Vec<String>,
    pub image_cache_size: i32,
    pub retention_days: i32,
    pub cluster: String,
    pub image_pull_secrets: Vec<String>,
}

/// Caches by project, each project's in creation order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CceState {
    #[serde(default)]
    pub projects: BTreeMap<String, Vec<ImageCache>>,
}

impl ImageCache {
    pub fn status(&self, now: OffsetDateTime) -> Status {
        if self.deleting_since.is_some() {
            Status::Deleting
        } else if self.failure.is_some() {
            Status::Failed
        } else if self.expires_at().is_some_and(|t| now >= t) {
            Status::Unavailable
        } else if now < self.created_at + BUILD_TIME {
            Status::Creating
        } else {
            Status::Available
        }
    }

    /// The explanation shown next to the status (empty when all is well).
    pub fn message(&self, now: OffsetDateTime) -> String {
        match self.status(now) {
            Status::Failed => self.failure.clone().unwrap_or_default(),
            Status::Unavailable => {
                format!("The image cache expired after {} days.", self.retention_days)
            }
            _ => String::new(),
        }
    }

    /// The cache as seen at `now`.
    pub fn view(&self, now: OffsetDateTime) -> CacheView {
        CacheView { cache: self.clone(), status: self.status(now), message: self.message(now) }
    }

    fn expires_at(&self) -> Option<OffsetDateTime> {
        (self.retention_days > 0)
            .then(|| self.created_at + Duration::days(i64::from(self.retention_days)))
    }

    fn gone(&self, now: OffsetDateTime) -> bool {
        self.deleting_since.is_some_and(|t| now >= t + DELETE_TIME)
            || self.expires_at().is_some_and(|t| now >= t + EXPIRED_GRACE)
    }
}

impl CceState {
    /// Removes caches whose deletion or expiry grace has passed. Every operation does it
    /// first, so none sees a cache that should be gone.
    pub fn expire(&mut self, now: OffsetDateTime) {
        for caches in self.projects.values_mut() {
            caches.retain(|c| !c.gone(now));
        }
        self.projects.retain(|_, caches| !caches.is_empty());
    }

    /// The project's caches in creation order, optionally only the one called `name`.
    pub fn list_image_caches(
        &mut self,
        project: &str,
        name: Option<&str>,
        now: OffsetDateTime,
    ) -> Vec<CacheView> {
        self.expire(now);
        self.project(project)
            .iter()
            .filter(|c| name.is_none_or(|n| c.name == n))
            .map(|c| c.view(now))
            .collect()
    }

    pub fn create_image_cache(
        &mut self,
        project: &str,
        new: NewImageCache,
        now: OffsetDateTime,
    ) -> Result<CacheView> {
        self.expire(now);
        let caches = self.projects.entry(project.to_owned()).or_default();
        if caches.iter().any(|c| c.name == new.name) {
            return Err(CceStoreError::AlreadyExists(new.name));
        }
        if caches.len() >= QUOTA {
            return Err(CceStoreError::QuotaExceeded(QUOTA));
        }
        let cache = ImageCache {
            id: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            created_at: now,
            images: new.images,
            image_cache_size: new.image_cache_size,
            retention_days: new.retention_days,
            cluster: new.cluster,
            image_pull_secrets: new.image_pull_secrets,
            deleting_since: None,
            failure: None,
        };
        caches.push(cache.clone());
        Ok(cache.view(now))
    }

    pub fn show_image_cache(
        &mut self,
        project: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<CacheView> {
        self.expire(now);
        self.project(project)
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.view(now))
            .ok_or_else(|| CceStoreError::NotFound(id.to_owned()))
    }

    /// Starts deleting a cache; deleting one already `Deleting` changes nothing.
    pub fn delete_image_cache(
        &mut self,
        project: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<CacheView> {
        self.expire(now);
        let cache = self
            .projects
            .get_mut(project)
            .and_then(|caches| caches.iter_mut().find(|c| c.id == id))
            .ok_or_else(|| CceStoreError::NotFound(id.to_owned()))?;
        cache.deleting_since.get_or_insert(now);
        Ok(cache.view(now))
    }

    fn project(&self, project: &str) -> &[ImageCache] {
        self.projects.get(project).map(Vec::as_slice).unwrap_or_default()
    }
}

/// CCE's state as the handlers reach it: each call takes the lock (a write lock even to read,
/// since reading removes what has expired) and reads the store's clock.
pub struct Cce<'a> {
    store: &'a Store,
}

impl Store {
    pub fn cce(&self) -> Cce<'_> {
        Cce { store: self }
    }

    fn cce_state(&self) -> Writing<'_, CceState> {
        self.writing(&self.inner.cce)
    }
}

impl Cce<'_> {
    pub fn list_image_caches(&self, project: &str, name: Option<&str>) -> Vec<CacheView> {
        self.store.cce_state().list_image_caches(project, name, self.store.now())
    }

    pub fn create_image_cache(&self, project: &str, new: NewImageCache) -> Result<CacheView> {
        self.store.cce_state().create_image_cache(project, new, self.store.now())
    }

    pub fn show_image_cache(&self, project: &str, id: &str) -> Result<CacheView> {
        self.store.cce_state().show_image_cache(project, id, self.store.now())
    }

    pub fn delete_image_cache(&self, project: &str, id: &str) -> Result<CacheView> {
        self.store.cce_state().delete_image_cache(project, id, self.store.now())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{ManualClock, State};

    fn store() -> (Store, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)));
        (Store::new(State::default(), clock.clone()).expect("temp dir"), clock)
    }

    fn new(name: &str, retention_days: i32) -> NewImageCache {
        NewImageCache {
            name: name.into(),
            images: vec!["busybox:latest".into()],
            image_cache_size: 20,
            retention_days,
            cluster: "c1".into(),
            image_pull_secrets: vec![],
        }
    }

    #[test]
    fn lifecycle_follows_the_clock() {
        let (s, clock) = store();
        let c = s.cce().create_image_cache("p", new("a", 0)).expect("created");
        let id = &c.cache.id;
        assert_eq!(c.status, Status::Creating);
        clock.advance(BUILD_TIME);
        assert_eq!(s.cce().show_image_cache("p", id).expect("exists").status, Status::Available);
        assert_eq!(s.cce().delete_image_cache("p", id).expect("deleting").status, Status::Deleting);
        assert_eq!(s.cce().list_image_caches("p", None).len(), 1);
        clock.advance(DELETE_TIME);
        assert!(matches!(s.cce().show_image_cache("p", id), Err(CceStoreError::NotFound(_))));
        assert!(s.cce().list_image_caches("p", None).is_empty());
    }

    #[test]
    fn retention_expiry_makes_caches_unavailable_then_removes_them() {
        let (s, clock) = store();
        let c = s.cce().create_image_cache("p", new("a", 2)).expect("created");
        clock.advance(Duration::days(2));
        let shown = s.cce().show_image_cache("p", &c.cache.id).expect("still there");
        assert_eq!(shown.status, Status::Unavailable);
        assert!(shown.message.contains("expired"));
        clock.advance(EXPIRED_GRACE);
        assert!(s.cce().show_image_cache("p", &c.cache.id).is_err());
    }

    #[test]
    fn names_are_unique_per_project_and_projects_are_isolated() {
        let (s, _) = store();
        let c = s.cce().create_image_cache("p", new("a", 0)).expect("created");
        assert!(matches!(
            s.cce().create_image_cache("p", new("a", 0)),
            Err(CceStoreError::AlreadyExists(_))
        ));
        assert!(s.cce().create_image_cache("q", new("a", 0)).is_ok());
        assert!(s.cce().show_image_cache("q", &c.cache.id).is_err());
        assert!(s.cce().delete_image_cache("q", &c.cache.id).is_err());
        assert_eq!(s.cce().list_image_caches("p", Some("a")).len(), 1);
        assert!(s.cce().list_image_caches("p", Some("b")).is_empty());
    }

    #[test]
    fn quota_is_fifty_per_project() {
        let (s, _) = store();
        for i in 0..QUOTA {
            s.cce().create_image_cache("p", new(&format!("c{i}"), 0)).expect("under quota");
        }
        assert!(matches!(
            s.cce().create_image_cache("p", new("one-more", 0)),
            Err(CceStoreError::QuotaExceeded(_))
        ));
    }

    /// The state's operations take the time, so they run without a store or a clock.
    #[test]
    fn state_operations_take_the_time() {
        let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let mut state = CceState::default();
        let c = state.create_image_cache("p", new("a", 0), start).expect("created");
        let later = start + BUILD_TIME;
        assert_eq!(
            state.show_image_cache("p", &c.cache.id, later).map(|v| v.status),
            Ok(Status::Available)
        );
        state.delete_image_cache("p", &c.cache.id, later).expect("deleting");
        assert!(state.list_image_caches("p", None, later + DELETE_TIME).is_empty());
        assert!(state.projects.is_empty(), "a removed cache leaves no empty project behind");
    }

    #[test]
    fn state_round_trips_through_json() {
        let (s, _) = store();
        s.cce().create_image_cache("p", new("a", 3)).expect("created");
        let snapshot = s.snapshot();
        let text = serde_json::to_string(&snapshot).expect("serialises");
        assert_eq!(serde_json::from_str::<State>(&text).expect("parses"), snapshot);
    }
}
