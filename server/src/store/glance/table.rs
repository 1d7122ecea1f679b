//! The Glance table: the images by id, the reserved ids of deleted ones, the indices kept
//! exact on every write, the ids a journal has yet to store, and the table as the state file
//! and the journal hold it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::index::{ImageMut, Index};
use super::tombstones::Tombstones;
use super::{Caller, Image, ImageError, Result, Status};

/// The Glance table, with its indices (see [`super::index`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "GlanceStateFile")]
pub struct GlanceState {
    pub(super) images: BTreeMap<String, Image>,
    /// The ids of deleted images, reserved for ever.
    #[serde(skip_serializing_if = "Tombstones::is_empty")]
    pub(super) deleted: Tombstones,
    /// Rebuilt on load. `created_at` and `id` never change, so inserting on create, moving
    /// entries on every write through [`ImageMut`] and removing them on delete keeps them exact.
    #[serde(skip)]
    pub(super) index: Index,
    /// The ids of the images written since the journal last stored them (only while a
    /// journal is kept, see [`GlanceState::track_changes`]).
    #[serde(skip)]
    pub(super) changed: Changed,
}

/// Ids of changed images, when tracked. Not part of the state's value: two tables with the
/// same images are equal whatever is waiting to be stored.
#[derive(Debug, Clone, Default)]
pub(super) struct Changed(Option<BTreeSet<String>>);

impl PartialEq for Changed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Changed {
    pub(super) fn add(&mut self, id: &str) {
        if let Some(ids) = &mut self.0 {
            ids.insert(id.to_owned());
        }
    }
}

/// [`GlanceState`] as the state file holds it (the indices are rebuilt on load).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlanceStateFile {
    #[serde(default)]
    images: BTreeMap<String, Image>,
    /// Deleted images' ids. An image saved with status `deleted` (as earlier builds kept them)
    /// is read as one of these.
    #[serde(default)]
    deleted: Vec<String>,
}

/// One entry the journal must store for an image a write changed.
#[derive(Debug, PartialEq)]
pub enum Row<'a> {
    Image(&'a Image),
    Deleted(String),
}

impl GlanceState {
    /// The same table without its indices, so every listing scans and sorts: the baseline the
    /// listing benchmark measures the indices against.
    pub fn scan_only(mut self) -> Self {
        self.index.disable();
        self
    }

    /// A write to one image that keeps the indices exact.
    pub(super) fn image_mut(&mut self, id: &str) -> Option<ImageMut<'_>> {
        self.changed.add(id);
        ImageMut::new(&mut self.images, &mut self.index, id)
    }

    /// Every image that is not deleted, by id.
    pub fn images(&self) -> impl Iterator<Item = &Image> {
        self.images.values()
    }

    /// The ids of deleted images.
    pub fn deleted(&self) -> &Tombstones {
        &self.deleted
    }

    /// The table as a journal saved it, after a restart: an upload in flight when the process
    /// ended is gone with it, so a `saving` image is `queued` again (as when an upload's
    /// request is dropped), and the indices are rebuilt.
    pub fn recovered(mut images: BTreeMap<String, Image>, deleted: Vec<String>) -> Self {
        for image in images.values_mut().filter(|i| i.status == Status::Saving) {
            image.status = Status::Queued;
        }
        GlanceStateFile { images, deleted }.into()
    }

    /// From now on, remember which images each write changes ([`GlanceState::take_changed`]).
    pub fn track_changes(&mut self) {
        self.changed.0.get_or_insert_default();
    }

    /// The images written since the last call, and the ones deleted (none unless changes are
    /// tracked).
    pub fn take_changed(&mut self) -> Vec<Row<'_>> {
        let ids = match &mut self.changed.0 {
            Some(ids) => std::mem::take(ids),
            None => return Vec::new(),
        };
        ids.into_iter()
            .filter_map(|id| match self.images.get(&id) {
                Some(image) => Some(Row::Image(image)),
                None => self.deleted.contains(&id).then_some(Row::Deleted(id)),
            })
            .collect()
    }
}

impl From<GlanceStateFile> for GlanceState {
    fn from(file: GlanceStateFile) -> Self {
        let mut deleted = Tombstones::default();
        let mut images = file.images;
        images.retain(|id, image| {
            let gone = image.status == Status::Deleted;
            if gone {
                deleted.insert(id);
            }
            !gone
        });
        for id in &file.deleted {
            deleted.insert(id);
        }
        let index = Index::build(images.values());
        Self { images, deleted, index, changed: Changed::default() }
    }
}

/// The refusal of an image the caller may not see (or that does not exist).
pub(super) fn not_found(id: &str) -> ImageError {
    ImageError::NotVisible(id.to_owned())
}

/// How every operation reaches an image.
impl GlanceState {
    pub(super) fn visible(&self, caller: &Caller, id: &str) -> Result<&Image> {
        self.images.get(id).filter(|i| caller.can_see(i)).ok_or_else(|| not_found(id))
    }

    /// The image for a write by `action`: 404 when invisible, 403 when visible but not the
    /// caller's to change.
    pub(super) fn writable(
        &mut self,
        caller: &Caller,
        id: &str,
        action: &'static str,
    ) -> Result<ImageMut<'_>> {
        let image = self.visible(caller, id)?;
        if !caller.can_modify(image) {
            return Err(ImageError::Denied(action));
        }
        self.image_mut(id).ok_or_else(|| not_found(id))
    }
}
