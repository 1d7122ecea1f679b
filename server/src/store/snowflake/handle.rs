//! [`Snowflake`], the family's state as handlers and middleware reach it (`store.snowflake()`):
//! each method is one operation, under the family's lock, with the time read from the store's
//! clock. The rules themselves are [`SnowflakeState`]'s, which tests drive with a fixed time.

use super::results::{Deferred, Poll};
use super::tags::{RepoTag, TagRef};
use super::{
    Actor, At, CreateMode, Database, ImageRepository, InDatabase, InSchema, ListFilter, NewImage,
    Result, Schema, SnowflakeError, SnowflakeState, properties::Properties,
};
use crate::store::Store;

/// The handle `store.snowflake()` returns.
#[derive(Debug, Clone, Copy)]
pub struct Snowflake<'a> {
    store: &'a Store,
}

impl<'a> Snowflake<'a> {
    pub(in crate::store) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    pub fn list_databases(&self, account: &str, filter: &ListFilter<'_>) -> Vec<Database> {
        self.store.snowflake_read().list_databases(account, filter)
    }

    pub fn create_database(
        &self,
        actor: &Actor,
        name: &str,
        mode: CreateMode,
        properties: Properties,
    ) -> Result<()> {
        let now = self.store.now();
        self.write().create_database(actor, name, mode, properties, now)
    }

    pub fn fetch_database(&self, account: &str, name: &str) -> Result<Database> {
        self.store.snowflake_read().fetch_database(account, name)
    }

    pub fn delete_database(&self, account: &str, name: &str, if_exists: bool) -> Result<()> {
        self.write().delete_database(account, name, if_exists)
    }

    pub fn list_schemas(
        &self,
        account: &str,
        db: &str,
        filter: &ListFilter<'_>,
    ) -> Result<InDatabase<Vec<Schema>>> {
        self.store.snowflake_read().list_schemas(account, db, filter)
    }

    pub fn create_schema(
        &self,
        actor: &Actor,
        db: &str,
        name: &str,
        mode: CreateMode,
        properties: Properties,
    ) -> Result<()> {
        let now = self.store.now();
        self.write().create_schema(actor, db, name, mode, properties, now)
    }

    pub fn fetch_schema(&self, account: &str, db: &str, name: &str) -> Result<InDatabase<Schema>> {
        self.store.snowflake_read().fetch_schema(account, db, name)
    }

    pub fn delete_schema(
        &self,
        account: &str,
        db: &str,
        name: &str,
        if_exists: bool,
    ) -> Result<()> {
        self.write().delete_schema(account, db, name, if_exists)
    }

    pub fn list_image_repositories(
        &self,
        account: &str,
        at: At<'_>,
        like: Option<&str>,
    ) -> Result<InSchema<Vec<ImageRepository>>> {
        self.store.snowflake_read().list_image_repositories(account, at, like)
    }

    pub fn create_image_repository(
        &self,
        actor: &Actor,
        at: At<'_>,
        name: &str,
        mode: CreateMode,
    ) -> Result<()> {
        let now = self.store.now();
        self.write().create_image_repository(actor, at, name, mode, now)
    }

    pub fn fetch_image_repository(
        &self,
        account: &str,
        at: At<'_>,
        name: &str,
    ) -> Result<InSchema<ImageRepository>> {
        self.store.snowflake_read().fetch_image_repository(account, at, name)
    }

    pub fn delete_image_repository(
        &self,
        account: &str,
        at: At<'_>,
        name: &str,
        if_exists: bool,
    ) -> Result<()> {
        self.write().delete_image_repository(account, at, name, if_exists)
    }

    /// Seeds an image (the admin endpoint); answers the repository after.
    pub fn add_image(
        &self,
        account: &str,
        at: At<'_>,
        repo: &str,
        image: NewImage,
    ) -> Result<InSchema<ImageRepository>> {
        let now = self.store.now();
        self.write().add_image(account, at, repo, image, now)
    }

    pub fn set_tags(
        &self,
        account: &str,
        at: At<'_>,
        repo: &str,
        if_exists: bool,
        tags: &[(TagRef, String)],
    ) -> Result<()> {
        self.write().set_tags(account, at, repo, if_exists, tags)
    }

    pub fn unset_tags(
        &self,
        account: &str,
        at: At<'_>,
        repo: &str,
        if_exists: bool,
        refs: &[TagRef],
    ) -> Result<()> {
        self.write().unset_tags(account, at, repo, if_exists, refs)
    }

    pub fn get_tags(&self, account: &str, at: At<'_>, repo: &str) -> Result<Vec<RepoTag>> {
        self.store.snowflake_read().get_tags(account, at, repo)
    }

    /// Stores a deferred result and returns its handle.
    pub fn defer_result(&self, result: Deferred) -> String {
        self.store.snowflake_results().put(result)
    }

    /// One poll of a deferred result by whoever may read it (`owner`).
    pub fn poll_result(&self, owner: &str, handle: &str, page: usize) -> Result<Poll> {
        let polled = self.store.snowflake_results().poll(owner, handle, page);
        polled.ok_or_else(|| SnowflakeError::NoResult { handle: handle.to_owned(), page })
    }

    fn write(&self) -> crate::store::Writing<'a, SnowflakeState> {
        self.store.snowflake_write()
    }
}
