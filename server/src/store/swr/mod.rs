//! SWR: regions, each holding organizations (namespaces) of accounts, their repositories and
//! tags; automatic sync rules and the sync job history; the naming, quota and ownership rules.
//!
//! Every operation names the region it acts in (the server serves each region on its own
//! address) and the [`Actor`] calling. Namespace names are unique per region across accounts;
//! anything of another account is reported as not found. [`SwrState`]'s operations take the
//! time as an argument; [`Swr`], the handle [`Store::swr`](super::Store::swr) returns, takes the
//! lock and reads the store's clock for them. One file per resource: [`namespaces`],
//! [`repos`], [`tags`], and [`sync`] (manual and automatic synchronization, the seeding push).

mod error;
mod handle;
pub mod names;
mod namespaces;
pub mod query;
mod repos;
pub mod sync;
mod tags;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use error::SwrStoreError;
pub use handle::{Swr, TagPage};
pub use namespaces::Namespace;
pub use repos::{CATEGORIES, NewRepo, Repo, RepoQuery, RepoUpdate, RepoView};
pub use sync::{AutoSync, JobStatus, ManualSync, Push, SyncJob, SyncRule};
pub use tags::{Retag, Tag, TagQuery};

/// The regions served when neither the flags nor the state file name any; the first is the
/// home region, served on the main address.
pub const DEFAULT_REGIONS: [&str; 3] = ["cn-north-4", "cn-east-3", "cn-south-1"];
/// Namespaces per account and region, as the product documents.
pub const DEFAULT_NAMESPACE_QUOTA: usize = 5;

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

/// Finding things: every lookup checks the name's syntax first and treats another account's
/// namespace as absent.
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
