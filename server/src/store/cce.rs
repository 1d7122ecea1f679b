//! CCE image caches: per-project records, the name and quota rules, and the clock-driven
//! lifecycle (`Creating` → `Available`, retention expiry → `Unavailable` → removed, delete →
//! `Deleting` → removed).
//!
//! Status is derived from timestamps whenever a record is read, so the state never needs a
//! background task and a test moves it along by advancing the clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{Store, StoreError};

/// How long a new cache stays `Creating`.
pub const BUILD_TIME: Duration = Duration::seconds(10);
/// How long a deleted cache stays `Deleting`.
pub const DELETE_TIME: Duration = Duration::seconds(5);
/// How long an expired cache stays `Unavailable` before it is removed.
pub const EXPIRED_GRACE: Duration = Duration::days(1);
/// Caches per project.
pub const QUOTA: usize = 50;

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
    /// Removes caches whose deletion or expiry grace has passed.
    pub fn expire(&mut self, now: OffsetDateTime) {
        for caches in self.projects.values_mut() {
            caches.retain(|c| !c.gone(now));
        }
        self.projects.retain(|_, caches| !caches.is_empty());
    }

    fn project(&self, project: &str) -> &[ImageCache] {
        self.projects.get(project).map(Vec::as_slice).unwrap_or_default()
    }
}

impl Store {
    /// The project's caches in creation order, optionally only the one called `name`.
    pub fn list_image_caches(&self, project: &str, name: Option<&str>) -> Vec<ImageCache> {
        let state = self.cce();
        state
            .project(project)
            .iter()
            .filter(|c| name.is_none_or(|n| c.name == n))
            .cloned()
            .collect()
    }

    pub fn create_image_cache(
        &self,
        project: &str,
        new: NewImageCache,
    ) -> Result<ImageCache, StoreError> {
        let now = self.now();
        let mut state = self.cce();
        let caches = state.projects.entry(project.to_owned()).or_default();
        if caches.iter().any(|c| c.name == new.name) {
            return Err(StoreError::AlreadyExists(format!(
                "The image cache {} already exists.",
                new.name
            )));
        }
        if caches.len() >= QUOTA {
            return Err(StoreError::QuotaExceeded(format!(
                "A project holds at most {QUOTA} image caches."
            )));
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
        Ok(cache)
    }

    pub fn show_image_cache(&self, project: &str, id: &str) -> Result<ImageCache, StoreError> {
        let state = self.cce();
        state.project(project).iter().find(|c| c.id == id).cloned().ok_or_else(|| not_found(id))
    }

    /// Starts deleting a cache; deleting one already `Deleting` changes nothing.
    pub fn delete_image_cache(&self, project: &str, id: &str) -> Result<ImageCache, StoreError> {
        let now = self.now();
        let mut state = self.cce();
        let cache = state
            .projects
            .get_mut(project)
            .and_then(|caches| caches.iter_mut().find(|c| c.id == id))
            .ok_or_else(|| not_found(id))?;
        cache.deleting_since.get_or_insert(now);
        Ok(cache.clone())
    }
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound(format!("The image cache {id} does not exist."))
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
        let c = s.create_image_cache("p", new("a", 0)).expect("created");
        assert_eq!(c.status(s.now()), Status::Creating);
        clock.advance(BUILD_TIME);
        assert_eq!(
            s.show_image_cache("p", &c.id).expect("exists").status(s.now()),
            Status::Available
        );
        assert_eq!(
            s.delete_image_cache("p", &c.id).expect("deleting").status(s.now()),
            Status::Deleting
        );
        assert_eq!(s.list_image_caches("p", None).len(), 1);
        clock.advance(DELETE_TIME);
        assert!(matches!(s.show_image_cache("p", &c.id), Err(StoreError::NotFound(_))));
        assert!(s.list_image_caches("p", None).is_empty());
    }

    #[test]
    fn retention_expiry_makes_caches_unavailable_then_removes_them() {
        let (s, clock) = store();
        let c = s.create_image_cache("p", new("a", 2)).expect("created");
        clock.advance(Duration::days(2));
        let shown = s.show_image_cache("p", &c.id).expect("still there");
        assert_eq!(shown.status(s.now()), Status::Unavailable);
        assert!(shown.message(s.now()).contains("expired"));
        clock.advance(EXPIRED_GRACE);
        assert!(s.show_image_cache("p", &c.id).is_err());
    }

    #[test]
    fn names_are_unique_per_project_and_projects_are_isolated() {
        let (s, _) = store();
        let c = s.create_image_cache("p", new("a", 0)).expect("created");
        assert!(matches!(
            s.create_image_cache("p", new("a", 0)),
            Err(StoreError::AlreadyExists(_))
        ));
        assert!(s.create_image_cache("q", new("a", 0)).is_ok());
        assert!(s.show_image_cache("q", &c.id).is_err());
        assert!(s.delete_image_cache("q", &c.id).is_err());
        assert_eq!(s.list_image_caches("p", Some("a")).len(), 1);
        assert!(s.list_image_caches("p", Some("b")).is_empty());
    }

    #[test]
    fn quota_is_fifty_per_project() {
        let (s, _) = store();
        for i in 0..QUOTA {
            s.create_image_cache("p", new(&format!("c{i}"), 0)).expect("under quota");
        }
        assert!(matches!(
            s.create_image_cache("p", new("one-more", 0)),
            Err(StoreError::QuotaExceeded(_))
        ));
    }

    #[test]
    fn state_round_trips_through_json() {
        let (s, _) = store();
        s.create_image_cache("p", new("a", 3)).expect("created");
        let snapshot = s.snapshot();
        let text = serde_json::to_string(&snapshot).expect("serialises");
        assert_eq!(serde_json::from_str::<State>(&text).expect("parses"), snapshot);
    }
}
