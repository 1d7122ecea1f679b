//! Image synchronization between regions: the manual sync of existing tags, automatic rules
//! applied to later pushes, the job history, and the push that seeds images (the admin
//! endpoint's `docker push`).
//!
//! A sync is checked completely before anything changes, then runs to completion in one step
//! under the store's lock, so a refused request leaves nothing behind.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::query::{Page, descending, parse_filter, pick};
use super::{Actor, NewRepo, Repo, Result, SwrState, SwrStoreError, Tag, names};

/// The jobs a repository keeps, the most recent ones: the most one page of `show_sync_job` can
/// show. Older jobs are forgotten.
pub const JOBS_KEPT: usize = 1000;

/// An automatic synchronization rule of a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRule {
    pub id: u64,
    pub remote_region: String,
    pub remote_namespace: String,
    pub sync_auto: bool,
    #[serde(rename = "override")]
    pub override_: bool,
    pub domain_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Success,
    Failed,
    Existed,
}

/// One synchronization of one tag to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncJob {
    pub id: u64,
    pub tag: String,
    pub remote_region: String,
    pub remote_namespace: String,
    #[serde(rename = "override")]
    pub override_: bool,
    pub status: JobStatus,
    pub operator: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

/// What a manual synchronization asks for.
#[derive(Debug, Clone)]
pub struct ManualSync {
    pub tags: Vec<String>,
    pub override_: bool,
    pub remote_namespace: String,
    pub remote_region: String,
}

/// What `put_rule` sets: the target (a repository has one rule per target), whether later
/// pushes are copied there, and whether a copy replaces a different image under the same tag.
#[derive(Debug, Clone)]
pub struct AutoSync {
    pub remote_region: String,
    pub remote_namespace: String,
    pub sync_auto: bool,
    pub override_: bool,
}

/// An image pushed under a tag; left-out fields are made up.
#[derive(Debug, Clone, Default)]
pub struct Push {
    pub tag: String,
    pub digest: Option<String>,
    pub size: Option<u64>,
    pub manifest: Option<String>,
}

impl SwrState {
    /// The regions a caller in `region` may synchronize to: every other served region.
    pub fn sync_regions(&self, region: &str) -> Vec<String> {
        self.regions.iter().filter(|r| r.id != region).map(|r| r.id.clone()).collect()
    }

    fn checked_target(&self, region: &str, remote_region: &str, remote_ns: &str) -> Result<()> {
        if !self.sync_regions(region).iter().any(|r| r == remote_region) {
            return Err(SwrStoreError::InvalidParameter(format!(
                "remoteRegionId `{remote_region}` is not one of {}",
                self.sync_regions(region).join(", ")
            )));
        }
        if !names::valid_namespace(remote_ns) {
            return Err(SwrStoreError::InvalidNamespace(remote_ns.to_owned()));
        }
        Ok(())
    }

    /// Copies the listed tags to the target; returns the tags whose job did not end `success`
    /// (the 200 array).
    pub fn sync_images(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        sync: &ManualSync,
        now: OffsetDateTime,
    ) -> Result<Vec<String>> {
        if sync.tags.is_empty() {
            return Err(SwrStoreError::InvalidParameter(
                "imageTag must name at least one tag".into(),
            ));
        }
        if let Some(bad) = sync.tags.iter().find(|t| !names::valid_tag(t)) {
            return Err(SwrStoreError::InvalidTag(bad.clone()));
        }
        self.checked_target(region, &sync.remote_region, &sync.remote_namespace)?;
        let source = self.repo(region, actor, ns, repo)?;
        if let Some(missing) = sync.tags.iter().find(|t| !source.tags.contains_key(*t)) {
            return Err(SwrStoreError::TagNotFound(missing.clone()));
        }
        let mut unsynced = Vec::new();
        let mut seen = Vec::new();
        for tag in &sync.tags {
            if seen.contains(tag) {
                continue;
            }
            seen.push(tag.clone());
            let job = CopyJob {
                tag,
                remote_region: &sync.remote_region,
                remote_namespace: &sync.remote_namespace,
                override_: sync.override_,
            };
            if self.copy_tag(region, actor, ns, repo, job, now)? != JobStatus::Success {
                unsynced.push(tag.clone());
            }
        }
        Ok(unsynced)
    }

    /// Copies one tag (known to exist) to the target and records the job.
    fn copy_tag(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        job: CopyJob<'_>,
        now: OffsetDateTime,
    ) -> Result<JobStatus> {
        let CopyJob { tag, remote_region, remote_namespace: remote_ns, override_ } = job;
        let source = self.repo(region, actor, ns, repo)?;
        let image =
            source.tags.get(tag).cloned().ok_or_else(|| SwrStoreError::TagNotFound(tag.into()))?;
        let template = (source.is_public, source.category.clone(), source.description.clone());
        // Ids for a repository and a tag created in the target; unused ones are simply skipped.
        let (repo_id, tag_id) = (self.next_id(), self.next_id());
        let status = match self
            .region_mut(remote_region)?
            .namespaces
            .get_mut(remote_ns)
            .filter(|n| n.account == actor.account)
        {
            None => JobStatus::Failed,
            Some(target_ns) => {
                let target = target_ns.repos.entry(repo.to_owned()).or_insert_with(|| Repo {
                    is_public: template.0,
                    category: template.1.clone(),
                    description: template.2.clone(),
                    ..Repo::empty(repo_id, actor, now)
                });
                match target.tags.get(tag) {
                    Some(existing) if existing.digest == image.digest => JobStatus::Success,
                    Some(_) if !override_ => JobStatus::Existed,
                    existing => {
                        let created = existing.map_or(now, |t| t.created);
                        let id = existing.map_or(tag_id, |t| t.id);
                        target.tags.insert(
                            tag.to_owned(),
                            Tag { id, created, updated: now, ..image.clone() },
                        );
                        target.updated = now;
                        JobStatus::Success
                    }
                }
            }
        };
        let id = self.next_id();
        let source = self.repo_mut(region, actor, ns, repo)?;
        source.jobs.push(SyncJob {
            id,
            tag: tag.to_owned(),
            remote_region: remote_region.to_owned(),
            remote_namespace: remote_ns.to_owned(),
            override_,
            status,
            operator: actor.user.clone(),
            created: now,
            updated: now,
        });
        let extra = source.jobs.len().saturating_sub(JOBS_KEPT);
        source.jobs.drain(..extra);
        Ok(status)
    }

    /// One page of a repository's jobs, newest first unless `order::asc`.
    pub fn list_jobs(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        filter: Option<&str>,
    ) -> Result<(Vec<SyncJob>, String)> {
        let Some(filter) = filter else {
            return Err(SwrStoreError::MissingParameter("filter".into()));
        };
        let pairs = parse_filter(Some(filter), &["limit", "offset", "order"])?;
        let (Some(limit), Some(offset)) =
            (pick(&pairs, "limit", None), pick(&pairs, "offset", None))
        else {
            return Err(SwrStoreError::MissingParameter(
                "filter must carry limit:: and offset::".into(),
            ));
        };
        let page = Page::parse(Some(offset), Some(limit))?;
        let desc = descending(pick(&pairs, "order", None))?;
        let mut jobs = self.repo(region, actor, ns, repo)?.jobs.clone();
        jobs.sort_by_key(|j| j.id);
        if desc {
            jobs.reverse();
        }
        Ok(page.apply(jobs))
    }

    /// Creates a rule, or updates the rule for the same target.
    pub fn put_rule(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        rule: &AutoSync,
        now: OffsetDateTime,
    ) -> Result<()> {
        let AutoSync { remote_region, remote_namespace, sync_auto, override_ } = rule;
        self.checked_target(region, remote_region, remote_namespace)?;
        self.repo(region, actor, ns, repo)?;
        let id = self.next_id();
        let r = self.repo_mut(region, actor, ns, repo)?;
        match r
            .rules
            .iter_mut()
            .find(|x| &x.remote_region == remote_region && &x.remote_namespace == remote_namespace)
        {
            Some(rule) => {
                rule.sync_auto = *sync_auto;
                rule.override_ = *override_;
                rule.updated = now;
            }
            None => r.rules.push(SyncRule {
                id,
                remote_region: remote_region.clone(),
                remote_namespace: remote_namespace.clone(),
                sync_auto: *sync_auto,
                override_: *override_,
                domain_name: actor.user.clone(),
                created: now,
                updated: now,
            }),
        }
        Ok(())
    }

    pub fn rules(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
    ) -> Result<Vec<SyncRule>> {
        Ok(self.repo(region, actor, ns, repo)?.rules.clone())
    }

    pub fn delete_rule(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        (remote_region, remote_ns): (&str, &str),
    ) -> Result<()> {
        let r = self.repo_mut(region, actor, ns, repo)?;
        let before = r.rules.len();
        r.rules.retain(|x| !(x.remote_region == remote_region && x.remote_namespace == remote_ns));
        if r.rules.len() == before {
            return Err(SwrStoreError::RuleNotFound);
        }
        Ok(())
    }

    /// Stores an image under its tag (creating the repository, private, on first push) and
    /// runs the repository's automatic rules for it. Returns the tag and whether it is new.
    pub fn push(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        push: Push,
        now: OffsetDateTime,
    ) -> Result<(Tag, bool)> {
        let tag = push.tag.as_str();
        if !names::valid_tag(tag) {
            return Err(SwrStoreError::InvalidTag(tag.to_owned()));
        }
        if let Some(d) = &push.digest
            && !valid_digest(d)
        {
            return Err(SwrStoreError::InvalidParameter(format!(
                "digest `{d}` is not sha256: followed by 64 lowercase hex digits"
            )));
        }
        let exists = match self.repo(region, actor, ns, repo) {
            Ok(_) => true,
            Err(SwrStoreError::RepositoryNotFound(_)) => false,
            Err(e) => return Err(e),
        };
        if !exists {
            let new = NewRepo { name: repo.to_owned(), ..NewRepo::default() };
            self.create_repo(region, actor, ns, new, now)?;
        }
        let id = self.next_id();
        let manifest = push.manifest.unwrap_or_else(|| {
            format!(
                r#"{{"schemaVersion":2,"config":{{"digest":"sha256:{}"}}}}"#,
                uuid::Uuid::new_v4().simple()
            )
        });
        let digest = push.digest.unwrap_or_else(|| {
            use sha2::Digest;
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(manifest.as_bytes())))
        });
        let size = push.size.unwrap_or(manifest.len() as u64);
        let r = self.repo_mut(region, actor, ns, repo)?;
        let previous = r.tags.get(tag).cloned();
        let stored = Tag {
            id: previous.as_ref().map_or(id, |t| t.id),
            digest,
            size,
            manifest,
            created: previous.as_ref().map_or(now, |t| t.created),
            updated: now,
        };
        r.tags.insert(tag.to_owned(), stored.clone());
        r.updated = now;
        let rules: Vec<SyncRule> = r.rules.iter().filter(|x| x.sync_auto).cloned().collect();
        for rule in rules {
            let job = CopyJob {
                tag,
                remote_region: &rule.remote_region,
                remote_namespace: &rule.remote_namespace,
                override_: rule.override_,
            };
            self.copy_tag(region, actor, ns, repo, job, now)?;
        }
        Ok((stored, previous.is_none()))
    }
}

/// One tag to copy to one target.
struct CopyJob<'a> {
    tag: &'a str,
    remote_region: &'a str,
    remote_namespace: &'a str,
    override_: bool,
}

fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
