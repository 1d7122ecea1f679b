//! SWR: regions, each holding organizations (namespaces) of accounts, their repositories and
//! tags; automatic sync rules and the sync job history; the naming, quota and ownership rules.
//!
//! Every operation names the region it acts in (the server serves each region on its own
//! address) and the [`Actor`] calling. Namespace names are unique per region across accounts;
//! anything of another account is reported as not found. Manual and automatic synchronization
//! live in [`sync`].

pub mod names;
pub mod query;
pub mod sync;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Store;
use query::{Page, descending, parse_filter, pick};

/// The regions served when neither the flags nor the state file name any; the first is the
/// home region, served on the main address.
pub const DEFAULT_REGIONS: [&str; 3] = ["cn-north-4", "cn-east-3", "cn-south-1"];
/// Namespaces per account and region, as the product documents.
pub const DEFAULT_NAMESPACE_QUOTA: usize = 5;

/// Why an SWR operation is refused; `swr/error.rs` maps each to SWR's status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwrStoreError {
    #[error("Invalid organization name: `{0}`")]
    InvalidNamespace(String),
    #[error("Invalid image name: `{0}`")]
    InvalidRepository(String),
    #[error("Invalid image tag: `{0}`")]
    InvalidTag(String),
    #[error("Invalid parameters: {0}")]
    InvalidParameter(String),
    #[error("Mandatory parameter is missing: {0}")]
    MissingParameter(String),
    #[error("max organizations exceeded: an account may hold {0} per region")]
    QuotaExceeded(usize),
    #[error("The organization was not found: `{0}`")]
    NamespaceNotFound(String),
    #[error("The image was not found: `{0}`")]
    RepositoryNotFound(String),
    #[error("The image tag was not found: `{0}`")]
    TagNotFound(String),
    #[error("The organization already exists: `{0}`")]
    NamespaceExists(String),
    #[error("The image already exists: `{0}`")]
    RepositoryExists(String),
    #[error("The organization cannot be deleted because it contains images: `{0}`")]
    NamespaceNotEmpty(String),
    #[error("The synchronization rule does not exist")]
    RuleNotFound,
    #[error("unknown region `{0}`")]
    UnknownRegion(String),
}

type Result<T> = std::result::Result<T, SwrStoreError>;

/// Who is calling: the account (domain) that owns resources and the user acting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account: String,
    pub user: String,
}

/// Every region's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwrState {
    /// The served regions in order; the first is the home region.
    #[serde(default = "default_regions")]
    pub regions: Vec<Region>,
    #[serde(default = "default_quota")]
    pub namespace_quota: usize,
    /// The last numeric id handed out (namespaces, repositories, tags, rules and jobs share it).
    #[serde(default)]
    pub last_id: u64,
}

fn default_regions() -> Vec<Region> {
    DEFAULT_REGIONS.iter().map(|id| Region::empty(id)).collect()
}

fn default_quota() -> usize {
    DEFAULT_NAMESPACE_QUOTA
}

impl Default for SwrState {
    fn default() -> Self {
        Self { regions: default_regions(), namespace_quota: DEFAULT_NAMESPACE_QUOTA, last_id: 0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    /// By name.
    #[serde(default)]
    pub namespaces: BTreeMap<String, Namespace>,
}

impl Region {
    pub fn empty(id: &str) -> Self {
        Self { id: id.to_owned(), namespaces: BTreeMap::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    pub id: u64,
    /// The owning account.
    pub account: String,
    pub creator_name: String,
    /// By name, with a real `/` where the name has one.
    #[serde(default)]
    pub repos: BTreeMap<String, Repo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repo {
    pub id: u64,
    #[serde(default)]
    pub is_public: bool,
    #[serde(default = "other")]
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub creator_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    #[serde(default)]
    pub num_download: u64,
    /// By tag name.
    #[serde(default)]
    pub tags: BTreeMap<String, Tag>,
    #[serde(default)]
    pub rules: Vec<SyncRule>,
    #[serde(default)]
    pub jobs: Vec<SyncJob>,
}

fn other() -> String {
    "other".to_owned()
}

/// One tag: a name pointing at an image (its digest and manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub id: u64,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default = "empty_manifest")]
    pub manifest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

fn empty_manifest() -> String {
    "{}".to_owned()
}

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

/// A repository with the names that locate it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoView {
    pub namespace: String,
    pub ns_id: u64,
    pub account: String,
    pub name: String,
    pub repo: Repo,
}

/// What a repository listing asks for; every value as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct RepoQuery<'a> {
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    pub category: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub offset: Option<&'a str>,
    pub order_column: Option<&'a str>,
    pub order_type: Option<&'a str>,
    pub filter: Option<&'a str>,
}

/// What a tag listing asks for.
#[derive(Debug, Clone, Default)]
pub struct TagQuery<'a> {
    pub limit: Option<&'a str>,
    pub offset: Option<&'a str>,
    pub order_column: Option<&'a str>,
    pub order_type: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub filter: Option<&'a str>,
}

pub const CATEGORIES: [&str; 9] =
    ["app_server", "linux", "framework_app", "database", "lang", "other", "windows", "arm", "arms"];

/// The changes `update_repo` makes; `None` keeps a value.
#[derive(Debug, Clone)]
pub struct RepoUpdate {
    pub is_public: bool,
    pub category: Option<String>,
    pub description: Option<String>,
}

impl SwrState {
    /// The served region ids in order.
    pub fn region_ids(&self) -> Vec<String> {
        self.regions.iter().map(|r| r.id.clone()).collect()
    }

    fn region(&self, region: &str) -> Result<&Region> {
        self.regions
            .iter()
            .find(|r| r.id == region)
            .ok_or_else(|| SwrStoreError::UnknownRegion(region.to_owned()))
    }

    fn region_mut(&mut self, region: &str) -> Result<&mut Region> {
        self.regions
            .iter_mut()
            .find(|r| r.id == region)
            .ok_or_else(|| SwrStoreError::UnknownRegion(region.to_owned()))
    }

    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// The caller's namespace, or not found (also for another account's).
    fn namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<&Namespace> {
        checked_namespace(name)?;
        self.region(region)?
            .namespaces
            .get(name)
            .filter(|ns| ns.account == actor.account)
            .ok_or_else(|| SwrStoreError::NamespaceNotFound(name.to_owned()))
    }

    fn namespace_mut(&mut self, region: &str, actor: &Actor, name: &str) -> Result<&mut Namespace> {
        checked_namespace(name)?;
        self.region_mut(region)?
            .namespaces
            .get_mut(name)
            .filter(|ns| ns.account == actor.account)
            .ok_or_else(|| SwrStoreError::NamespaceNotFound(name.to_owned()))
    }

    fn repo(&self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<&Repo> {
        checked_repository(repo)?;
        self.namespace(region, actor, ns)?
            .repos
            .get(repo)
            .ok_or_else(|| SwrStoreError::RepositoryNotFound(repo.to_owned()))
    }

    fn repo_mut(&mut self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<&mut Repo> {
        checked_repository(repo)?;
        self.namespace_mut(region, actor, ns)?
            .repos
            .get_mut(repo)
            .ok_or_else(|| SwrStoreError::RepositoryNotFound(repo.to_owned()))
    }

    pub fn create_namespace(
        &mut self,
        region: &str,
        actor: &Actor,
        name: &str,
    ) -> Result<Namespace> {
        checked_namespace(name)?;
        let quota = self.namespace_quota;
        let r = self.region(region)?;
        if r.namespaces.contains_key(name) {
            return Err(SwrStoreError::NamespaceExists(name.to_owned()));
        }
        if r.namespaces.values().filter(|ns| ns.account == actor.account).count() >= quota {
            return Err(SwrStoreError::QuotaExceeded(quota));
        }
        let ns = Namespace {
            id: self.next_id(),
            account: actor.account.clone(),
            creator_name: actor.user.clone(),
            repos: BTreeMap::new(),
        };
        self.region_mut(region)?.namespaces.insert(name.to_owned(), ns.clone());
        Ok(ns)
    }

    /// The caller's namespaces by name, narrowed by `namespace` or the filter's
    /// `namespace::`; `mode::visible` changes nothing (there are no repository-level grants).
    pub fn list_namespaces(
        &self,
        region: &str,
        actor: &Actor,
        namespace: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Vec<(String, Namespace)>> {
        let pairs = parse_filter(filter, &["namespace", "mode"])?;
        if let Some(mode) = pick(&pairs, "mode", None)
            && !mode.is_empty()
            && mode != "visible"
        {
            return Err(SwrStoreError::InvalidParameter(format!("mode `{mode}` is not visible")));
        }
        let wanted = pick(&pairs, "namespace", namespace).filter(|n| !n.is_empty());
        Ok(self
            .region(region)?
            .namespaces
            .iter()
            .filter(|(name, ns)| ns.account == actor.account && wanted.is_none_or(|w| w == *name))
            .map(|(name, ns)| (name.clone(), ns.clone()))
            .collect())
    }

    pub fn show_namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<Namespace> {
        self.namespace(region, actor, name).cloned()
    }

    pub fn delete_namespace(&mut self, region: &str, actor: &Actor, name: &str) -> Result<()> {
        if !self.namespace(region, actor, name)?.repos.is_empty() {
            return Err(SwrStoreError::NamespaceNotEmpty(name.to_owned()));
        }
        self.region_mut(region)?.namespaces.remove(name);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // until the SWR store takes argument structs
    pub fn create_repo(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        name: &str,
        is_public: bool,
        category: Option<&str>,
        description: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let category = checked_category(category)?;
        checked_repository(name)?;
        if self.namespace(region, actor, ns)?.repos.contains_key(name) {
            return Err(SwrStoreError::RepositoryExists(name.to_owned()));
        }
        let repo = Repo {
            id: self.next_id(),
            is_public,
            category: category.unwrap_or("other").to_owned(),
            description: description.unwrap_or_default().to_owned(),
            creator_name: actor.user.clone(),
            created: now,
            updated: now,
            num_download: 0,
            tags: BTreeMap::new(),
            rules: Vec::new(),
            jobs: Vec::new(),
        };
        self.namespace_mut(region, actor, ns)?.repos.insert(name.to_owned(), repo);
        Ok(())
    }

    pub fn show_repo(&self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<RepoView> {
        let namespace = self.namespace(region, actor, ns)?;
        let r = self.repo(region, actor, ns, repo)?;
        Ok(RepoView {
            namespace: ns.to_owned(),
            ns_id: namespace.id,
            account: namespace.account.clone(),
            name: repo.to_owned(),
            repo: r.clone(),
        })
    }

    pub fn update_repo(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        update: RepoUpdate,
        now: OffsetDateTime,
    ) -> Result<()> {
        let category = checked_category(update.category.as_deref())?.map(str::to_owned);
        let r = self.repo_mut(region, actor, ns, repo)?;
        r.is_public = update.is_public;
        if let Some(c) = category {
            r.category = c;
        }
        if let Some(d) = update.description {
            r.description = d;
        }
        r.updated = now;
        Ok(())
    }

    /// Deletes a repository with its tags, rules and jobs.
    pub fn delete_repo(&mut self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<()> {
        self.repo(region, actor, ns, repo)?;
        self.namespace_mut(region, actor, ns)?.repos.remove(repo);
        Ok(())
    }

    /// One page of the caller's repositories in the region and its `Content-Range`.
    pub fn list_repos(
        &self,
        region: &str,
        actor: &Actor,
        q: &RepoQuery<'_>,
    ) -> Result<(Vec<RepoView>, String)> {
        let keys = [
            "namespace",
            "name",
            "category",
            "limit",
            "offset",
            "order_column",
            "order_type",
            "center",
        ];
        let pairs = parse_filter(q.filter, &keys)?;
        let namespace = pick(&pairs, "namespace", q.namespace).filter(|v| !v.is_empty());
        let name = pick(&pairs, "name", q.name).filter(|v| !v.is_empty());
        let category = checked_category(pick(&pairs, "category", q.category))?;
        let page = Page::parse(pick(&pairs, "offset", q.offset), pick(&pairs, "limit", q.limit))?;
        let desc = descending(pick(&pairs, "order_type", q.order_type))?;
        let column = pick(&pairs, "order_column", q.order_column).unwrap_or("updated_at");
        let center = pick(&pairs, "center", None).unwrap_or("self");
        if !["self", "thirdparty"].contains(&center) {
            return Err(SwrStoreError::InvalidParameter(format!("center `{center}` is unknown")));
        }
        let mut views: Vec<RepoView> = Vec::new();
        if center == "self" {
            for (ns_name, ns) in &self.region(region)?.namespaces {
                if ns.account != actor.account || namespace.is_some_and(|n| n != ns_name) {
                    continue;
                }
                for (repo_name, repo) in &ns.repos {
                    if name.is_some_and(|n| !repo_name.contains(n))
                        || category.is_some_and(|c| c != repo.category)
                    {
                        continue;
                    }
                    views.push(RepoView {
                        namespace: ns_name.clone(),
                        ns_id: ns.id,
                        account: ns.account.clone(),
                        name: repo_name.clone(),
                        repo: repo.clone(),
                    });
                }
            }
        }
        fn key(v: &RepoView) -> (&str, &str) {
            (&v.namespace, &v.name)
        }
        match column {
            "updated_at" | "updated_time" => {
                views.sort_by(|a, b| (a.repo.updated, key(a)).cmp(&(b.repo.updated, key(b))));
            }
            "name" => views.sort_by(|a, b| (&a.name, &a.namespace).cmp(&(&b.name, &b.namespace))),
            "tag_count" => {
                views.sort_by(|a, b| (a.repo.tags.len(), key(a)).cmp(&(b.repo.tags.len(), key(b))));
            }
            other => {
                return Err(SwrStoreError::InvalidParameter(format!(
                    "order_column `{other}` is not one of updated_at, updated_time, name, tag_count"
                )));
            }
        }
        if desc {
            views.reverse();
        }
        Ok(page.apply(views))
    }

    /// One page of a repository's tags and its `Content-Range`.
    pub fn list_tags(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        q: &TagQuery<'_>,
    ) -> Result<(Vec<(String, Tag)>, String)> {
        let pairs =
            parse_filter(q.filter, &["offset", "limit", "order_column", "order_type", "tag"])?;
        let page = Page::parse(pick(&pairs, "offset", q.offset), pick(&pairs, "limit", q.limit))?;
        let desc = descending(pick(&pairs, "order_type", q.order_type))?;
        let column = pick(&pairs, "order_column", q.order_column).unwrap_or("updated_at");
        let contains = pick(&pairs, "tag", q.tag).filter(|v| !v.is_empty());
        let r = self.repo(region, actor, ns, repo)?;
        let mut tags: Vec<(String, Tag)> = r
            .tags
            .iter()
            .filter(|(name, _)| contains.is_none_or(|c| name.contains(c)))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        match column {
            "updated_at" => tags.sort_by(|a, b| (a.1.updated, &a.0).cmp(&(b.1.updated, &b.0))),
            "tag" => tags.sort_by(|a, b| a.0.cmp(&b.0)),
            other => {
                return Err(SwrStoreError::InvalidParameter(format!(
                    "order_column `{other}` is not one of updated_at, tag"
                )));
            }
        }
        if desc {
            tags.reverse();
        }
        Ok(page.apply(tags))
    }

    pub fn show_tag(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
    ) -> Result<Tag> {
        self.repo(region, actor, ns, repo)?
            .tags
            .get(tag)
            .cloned()
            .ok_or_else(|| SwrStoreError::TagNotFound(tag.to_owned()))
    }

    pub fn delete_tag(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let r = self.repo_mut(region, actor, ns, repo)?;
        r.tags.remove(tag).ok_or_else(|| SwrStoreError::TagNotFound(tag.to_owned()))?;
        r.updated = now;
        Ok(())
    }

    /// Gives the image of `source` a second tag; an existing destination moves only with
    /// `override`.
    #[allow(clippy::too_many_arguments)] // until the SWR store takes argument structs
    pub fn retag(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        source: &str,
        destination: &str,
        override_: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        if !names::valid_tag(destination) {
            return Err(SwrStoreError::InvalidTag(destination.to_owned()));
        }
        let r = self.repo(region, actor, ns, repo)?;
        let image = r.tags.get(source).ok_or_else(|| SwrStoreError::TagNotFound(source.into()))?;
        if r.tags.contains_key(destination) && !override_ {
            return Err(SwrStoreError::RepositoryExists(format!("{repo}:{destination}")));
        }
        let (digest, size, manifest) = (image.digest.clone(), image.size, image.manifest.clone());
        let id = self.next_id();
        let r = self.repo_mut(region, actor, ns, repo)?;
        let created = r.tags.get(destination).map_or(now, |t| t.created);
        let id = r.tags.get(destination).map_or(id, |t| t.id);
        r.tags.insert(
            destination.to_owned(),
            Tag { id, digest, size, manifest, created, updated: now },
        );
        r.updated = now;
        Ok(())
    }
}

fn checked_namespace(name: &str) -> Result<()> {
    if names::valid_namespace(name) {
        Ok(())
    } else {
        Err(SwrStoreError::InvalidNamespace(name.to_owned()))
    }
}

fn checked_repository(name: &str) -> Result<()> {
    if names::valid_repository(name) {
        Ok(())
    } else {
        Err(SwrStoreError::InvalidRepository(name.to_owned()))
    }
}

fn checked_category(category: Option<&str>) -> Result<Option<&str>> {
    match category {
        Some(c) if !CATEGORIES.contains(&c) => {
            Err(SwrStoreError::InvalidParameter(format!("category `{c}` is unknown")))
        }
        other => Ok(other.filter(|c| !c.is_empty())),
    }
}

impl Store {
    /// SWR's state, for one operation.
    pub(crate) fn swr(&self) -> super::Writing<'_, SwrState> {
        self.writing(&self.inner.swr)
    }

    pub fn swr_read(&self) -> std::sync::RwLockReadGuard<'_, SwrState> {
        super::read(&self.inner.swr)
    }
}
