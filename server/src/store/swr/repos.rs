//! SWR repositories: created in one of the caller's organizations, each with a category, a
//! description and public or private visibility; listed across organizations with SWR's filter,
//! sort and paging rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::query::{Page, descending, parse_filter, pick};
use super::{Actor, Result, SwrState, SwrStoreError, SyncJob, SyncRule, Tag, checked_repository};

pub const CATEGORIES: [&str; 9] =
    ["app_server", "linux", "framework_app", "database", "lang", "other", "windows", "arm", "arms"];

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

impl Repo {
    /// A repository with nothing in it yet.
    pub(super) fn empty(id: u64, creator: &Actor, now: OffsetDateTime) -> Self {
        Self {
            id,
            is_public: false,
            category: other(),
            description: String::new(),
            creator_name: creator.user.clone(),
            created: now,
            updated: now,
            num_download: 0,
            tags: BTreeMap::new(),
            rules: Vec::new(),
            jobs: Vec::new(),
        }
    }
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

/// What `create_repo` asks for; a category left out is `other`.
#[derive(Debug, Clone, Default)]
pub struct NewRepo {
    pub name: String,
    pub is_public: bool,
    pub category: Option<String>,
    pub description: Option<String>,
}

/// The changes `update_repo` makes; `None` keeps a value.
#[derive(Debug, Clone)]
pub struct RepoUpdate {
    pub is_public: bool,
    pub category: Option<String>,
    pub description: Option<String>,
}

/// What a repository listing asks for; every value as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct RepoQuery {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub order_column: Option<String>,
    pub order_type: Option<String>,
    pub filter: Option<String>,
}

impl SwrState {
    pub fn create_repo(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        new: NewRepo,
        now: OffsetDateTime,
    ) -> Result<()> {
        let category = checked_category(new.category.as_deref())?.map(str::to_owned);
        checked_repository(&new.name)?;
        if self.namespace(region, actor, ns)?.repos.contains_key(&new.name) {
            return Err(SwrStoreError::RepositoryExists(new.name));
        }
        let repo = Repo {
            is_public: new.is_public,
            category: category.unwrap_or_else(other),
            description: new.description.unwrap_or_default(),
            ..Repo::empty(self.next_id(), actor, now)
        };
        self.namespace_mut(region, actor, ns)?.repos.insert(new.name, repo);
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
        q: &RepoQuery,
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
        let pairs = parse_filter(q.filter.as_deref(), &keys)?;
        let namespace = pick(&pairs, "namespace", q.namespace.as_deref()).filter(|v| !v.is_empty());
        let name = pick(&pairs, "name", q.name.as_deref()).filter(|v| !v.is_empty());
        let category = checked_category(pick(&pairs, "category", q.category.as_deref()))?;
        let page = Page::parse(
            pick(&pairs, "offset", q.offset.as_deref()),
            pick(&pairs, "limit", q.limit.as_deref()),
        )?;
        let desc = descending(pick(&pairs, "order_type", q.order_type.as_deref()))?;
        let column =
            pick(&pairs, "order_column", q.order_column.as_deref()).unwrap_or("updated_at");
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
        sort_repos(&mut views, column)?;
        if desc {
            views.reverse();
        }
        Ok(page.apply(views))
    }
}

fn sort_repos(views: &mut [RepoView], column: &str) -> Result<()> {
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
    Ok(())
}

fn checked_category(category: Option<&str>) -> Result<Option<&str>> {
    match category {
        Some(c) if !CATEGORIES.contains(&c) => {
            Err(SwrStoreError::InvalidParameter(format!("category `{c}` is unknown")))
        }
        other => Ok(other.filter(|c| !c.is_empty())),
    }
}
