//! [`Swr`], SWR's state as the handlers reach it: each call takes the lock (a read lock for
//! what only reads) and reads the store's clock, then runs one [`SwrState`] operation (two for
//! a tag and its repository, under one lock so that they agree).

use std::sync::RwLockReadGuard;

use super::super::{Store, Writing, read};
use super::{
    Actor, AutoSync, ManualSync, Namespace, NewRepo, Push, RepoQuery, RepoUpdate, RepoView, Result,
    Retag, SwrState, SyncJob, SyncRule, Tag, TagQuery,
};

/// The handle [`Store::swr`] returns.
pub struct Swr<'a> {
    store: &'a Store,
}

/// One page of a repository's tags, with the repository they belong to (their paths name it).
#[derive(Debug, Clone, PartialEq)]
pub struct TagPage {
    pub repo: RepoView,
    pub tags: Vec<(String, Tag)>,
    /// The `Content-Range` of the page.
    pub range: String,
}

impl Store {
    pub fn swr(&self) -> Swr<'_> {
        Swr { store: self }
    }
}

impl Swr<'_> {
    fn read(&self) -> RwLockReadGuard<'_, SwrState> {
        read(&self.store.inner.swr)
    }

    fn write(&self) -> Writing<'_, SwrState> {
        self.store.writing(&self.store.inner.swr)
    }

    /// The served region ids in order; the first is the home region.
    pub fn region_ids(&self) -> Vec<String> {
        self.read().region_ids()
    }

    pub fn sync_regions(&self, region: &str) -> Vec<String> {
        self.read().sync_regions(region)
    }

    pub fn create_namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<Namespace> {
        self.write().create_namespace(region, actor, name)
    }

    pub fn list_namespaces(
        &self,
        region: &str,
        actor: &Actor,
        namespace: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Vec<(String, Namespace)>> {
        self.read().list_namespaces(region, actor, namespace, filter)
    }

    pub fn show_namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<Namespace> {
        self.read().show_namespace(region, actor, name)
    }

    pub fn delete_namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<()> {
        self.write().delete_namespace(region, actor, name)
    }

    pub fn create_repo(&self, region: &str, actor: &Actor, ns: &str, new: NewRepo) -> Result<()> {
        self.write().create_repo(region, actor, ns, new, self.store.now())
    }

    pub fn show_repo(&self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<RepoView> {
        self.read().show_repo(region, actor, ns, repo)
    }

    pub fn update_repo(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        update: RepoUpdate,
    ) -> Result<()> {
        self.write().update_repo(region, actor, ns, repo, update, self.store.now())
    }

    pub fn delete_repo(&self, region: &str, actor: &Actor, ns: &str, repo: &str) -> Result<()> {
        self.write().delete_repo(region, actor, ns, repo)
    }

    pub fn list_repos(
        &self,
        region: &str,
        actor: &Actor,
        q: &RepoQuery,
    ) -> Result<(Vec<RepoView>, String)> {
        self.read().list_repos(region, actor, q)
    }

    /// The repository is looked up first, so a missing one wins over a bad query.
    pub fn list_tags(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        q: &TagQuery,
    ) -> Result<TagPage> {
        let state = self.read();
        let view = state.show_repo(region, actor, ns, repo)?;
        let (tags, range) = state.list_tags(region, actor, ns, repo, q)?;
        Ok(TagPage { repo: view, tags, range })
    }

    /// A tag with the repository that holds it.
    pub fn show_tag(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
    ) -> Result<(RepoView, Tag)> {
        let state = self.read();
        let view = state.show_repo(region, actor, ns, repo)?;
        Ok((view, state.show_tag(region, actor, ns, repo, tag)?))
    }

    pub fn delete_tag(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
    ) -> Result<()> {
        self.write().delete_tag(region, actor, ns, repo, tag, self.store.now())
    }

    pub fn retag(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        retag: &Retag,
    ) -> Result<()> {
        self.write().retag(region, actor, ns, repo, retag, self.store.now())
    }

    pub fn sync_images(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        sync: &ManualSync,
    ) -> Result<Vec<String>> {
        self.write().sync_images(region, actor, ns, repo, sync, self.store.now())
    }

    pub fn list_jobs(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        filter: Option<&str>,
    ) -> Result<(Vec<SyncJob>, String)> {
        self.read().list_jobs(region, actor, ns, repo, filter)
    }

    pub fn put_rule(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        rule: &AutoSync,
    ) -> Result<()> {
        self.write().put_rule(region, actor, ns, repo, rule, self.store.now())
    }

    pub fn rules(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
    ) -> Result<Vec<SyncRule>> {
        self.read().rules(region, actor, ns, repo)
    }

    pub fn delete_rule(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        target: (&str, &str),
    ) -> Result<()> {
        self.write().delete_rule(region, actor, ns, repo, target)
    }

    pub fn push(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        push: Push,
    ) -> Result<(Tag, bool)> {
        self.write().push(region, actor, ns, repo, push, self.store.now())
    }
}
