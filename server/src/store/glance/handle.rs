//! The Glance table as the handlers reach it: [`Glance`], from [`Store::glance`](crate::store::Store::glance), whose methods
//! take the lock and read the clock themselves, over the pure state functions of
//! [`GlanceState`], which take `now` so unit tests drive them directly.
//!
//! Reads that answer with borrowed images (a show, a page) hand them to a `render` closure that
//! runs under the read lock: the images' kept JSON is copied out, never cloned records.

use std::sync::RwLockReadGuard;

use time::OffsetDateTime;

use super::data::DataDir;
use super::list::Page;
use super::patch::{self, Change};
use super::query::ListQuery;
use super::{Caller, GlanceState, Image, Member, MemberStatus, NewImage, Result};
use crate::store::{Store, Writing};

/// The Glance family's state, reached through the store.
#[derive(Debug, Clone, Copy)]
pub struct Glance<'a> {
    store: &'a Store,
}

impl<'a> Glance<'a> {
    pub(in crate::store) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    pub fn create(&self, caller: &Caller, new: NewImage) -> Result<Image> {
        let now = self.now();
        self.write().create(caller, new, now)
    }

    /// The image, as `render` makes it from the stored record.
    pub fn show<R>(
        &self,
        caller: &Caller,
        id: &str,
        render: impl FnOnce(&Image) -> R,
    ) -> Result<R> {
        self.read().show(caller, id).map(render)
    }

    /// One page of the listing the decoded query `pairs` ask for, in their order (Glance's
    /// rules need their order, repeats and unknown keys), as `render` makes it from the stored
    /// records.
    pub fn list<R>(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        render: impl FnOnce(Page<'_>) -> R,
    ) -> Result<R> {
        let query = ListQuery::parse(pairs)?;
        self.read().list(caller, &query).map(render)
    }

    /// Applies a JSON patch: all its changes or none. `v20` selects the deprecated media type.
    pub fn update(
        &self,
        caller: &Caller,
        id: &str,
        changes: Vec<Change>,
        v20: bool,
    ) -> Result<Image> {
        let checked = patch::check_all(changes)?;
        let now = self.now();
        self.write().update(caller, id, &checked, v20, now)
    }

    /// Deletes the image, then its data if it had any.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<()> {
        let had_data = self.write().delete(caller, id)?;
        if had_data {
            self.store.glance_data().remove(id).await;
        }
        Ok(())
    }

    /// Deactivates (`active: false`) or reactivates the image.
    pub fn set_active(&self, caller: &Caller, id: &str, active: bool) -> Result<()> {
        let now = self.now();
        self.write().set_active(caller, id, active, now)
    }

    pub fn add_tag(&self, caller: &Caller, id: &str, tag: &str) -> Result<()> {
        let now = self.now();
        self.write().add_tag(caller, id, tag, now)
    }

    pub fn delete_tag(&self, caller: &Caller, id: &str, tag: &str) -> Result<()> {
        let now = self.now();
        self.write().delete_tag(caller, id, tag, now)
    }

    pub fn members(&self, caller: &Caller, id: &str) -> Result<Vec<Member>> {
        self.read().members(caller, id)
    }

    pub fn member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        self.read().member(caller, id, member)
    }

    pub fn add_member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        let now = self.now();
        self.write().add_member(caller, id, member, now)
    }

    pub fn set_member_status(
        &self,
        caller: &Caller,
        id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<Member> {
        let now = self.now();
        self.write().set_member_status(caller, id, member, status, now)
    }

    pub fn remove_member(&self, caller: &Caller, id: &str, member: &str) -> Result<()> {
        self.write().remove_member(caller, id, member)
    }

    /// Where image data lives.
    pub(super) fn data(&self) -> &'a DataDir {
        self.store.glance_data()
    }

    /// The table for one write; the journal stores what it changed on release.
    pub(super) fn write(&self) -> Writing<'a, GlanceState> {
        self.store.glance_write()
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'a, GlanceState> {
        self.store.glance_read()
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        self.store.now()
    }
}
