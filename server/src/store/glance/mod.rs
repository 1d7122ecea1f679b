//! Glance images v2: image records, members, tags and the tenancy rules that decide who may see
//! and change what. Image bytes live in files (see [`data`]); this module only keeps their hashes.
//!
//! A deleted image leaves the table, but its id stays reserved (see [`tombstones`]), so it can
//! never be reused, as with Glance's soft delete. Every mutation is checked in full before anything is changed, so a refused
//! request leaves the image as it was.

pub mod data;
mod error;
mod handle;
pub mod index;
pub mod inspect;
pub mod list;
pub mod patch;
pub mod schema;
pub mod tombstones;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use error::{ImageError, Quota, Result, Unset};
pub use handle::Glance;
use index::{ImageMut, Index};
use tombstones::Tombstones;

/// Glance's quotas (`image_property_quota`, `image_tag_quota`, `image_member_quota`).
pub const PROPERTY_QUOTA: usize = 128;
pub const TAG_QUOTA: usize = 128;
pub const MEMBER_QUOTA: usize = 128;
/// `image_size_cap`: 1 TiB.
pub const SIZE_CAP: u64 = 1 << 40;

/// Who is asking: a project (none for a project-less context) and roles, with Keystone's implied
/// roles expanded (admin ⇒ member ⇒ reader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub project: Option<String>,
    pub admin: bool,
    pub member: bool,
    pub reader: bool,
}

impl Caller {
    pub fn new(project: Option<String>, roles: &[String]) -> Self {
        let has = |r: &str| roles.iter().any(|x| x.eq_ignore_ascii_case(r));
        let admin = has("admin");
        let member = admin || has("member");
        Self { project, admin, member, reader: member || has("reader") }
    }

    fn owns(&self, image: &Image) -> bool {
        self.project.is_some() && image.owner == self.project
    }

    fn membership<'a>(&self, image: &'a Image) -> Option<&'a Member> {
        let project = self.project.as_deref()?;
        image.members.iter().find(|m| m.member_id == project)
    }

    /// Glance's `get_image` rule; deleted images are invisible to everyone.
    pub fn can_see(&self, image: &Image) -> bool {
        if image.status == Status::Deleted {
            return false;
        }
        if self.admin {
            return true;
        }
        self.reader
            && match image.visibility {
                Visibility::Public | Visibility::Community => true,
                Visibility::Private => self.owns(image),
                Visibility::Shared => self.owns(image) || self.membership(image).is_some(),
            }
    }

    /// `modify_image`, `delete_image`, `upload_image`, deactivate and members: the owning
    /// project's members, or an administrator.
    pub fn can_modify(&self, image: &Image) -> bool {
        self.admin || (self.member && self.owns(image))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Saving,
    Active,
    Killed,
    Deleted,
    Uploading,
    Importing,
    PendingDelete,
    Deactivated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Saving => "saving",
            Self::Active => "active",
            Self::Killed => "killed",
            Self::Deleted => "deleted",
            Self::Uploading => "uploading",
            Self::Importing => "importing",
            Self::PendingDelete => "pending_delete",
            Self::Deactivated => "deactivated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Private,
    Shared,
    Community,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            "shared" => Some(Self::Shared),
            "community" => Some(Self::Community),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Shared => "shared",
            Self::Community => "community",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

/// One project an image is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub status: MemberStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An image record, as stored and as saved in the state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: Status,
    pub visibility: Visibility,
    #[serde(default)]
    pub protected: bool,
    #[serde(default)]
    pub os_hidden: bool,
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub os_hash_algo: Option<String>,
    #[serde(default)]
    pub os_hash_value: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub virtual_size: Option<u64>,
    #[serde(default)]
    pub container_format: Option<String>,
    #[serde(default)]
    pub disk_format: Option<String>,
    #[serde(default)]
    pub min_ram: i64,
    #[serde(default)]
    pub min_disk: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom (extra) properties; values are strings, as the image schema requires.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// The image's JSON, kept between reads by whoever renders it; not part of its value.
    #[serde(skip)]
    pub memo: Memo,
}

/// A rendering of an image kept between reads: a reader of the table may fill it (the Glance
/// handlers keep each image's JSON there, so a listing copies bytes instead of building and
/// escaping every image again), and every write through [`ImageMut`] empties it, so it never
/// outlives the values it was made from. It takes no part in comparing images, and a clone
/// starts empty (a copy may be changed without [`ImageMut`]).
#[derive(Debug, Default)]
pub struct Memo(std::sync::OnceLock<Box<serde_json::value::RawValue>>);

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl Memo {
    /// The kept rendering, or the one `render` makes, kept for the next read.
    pub fn get_or_render<E>(
        &self,
        render: impl FnOnce() -> std::result::Result<Box<serde_json::value::RawValue>, E>,
    ) -> std::result::Result<&serde_json::value::RawValue, E> {
        if let Some(kept) = self.0.get() {
            return Ok(kept);
        }
        let made = render()?;
        Ok(self.0.get_or_init(|| made))
    }

    /// Whether a rendering is kept.
    pub fn is_kept(&self) -> bool {
        self.0.get().is_some()
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Memo {}

/// What create accepts: the writable base attributes and the custom properties.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    pub id: Option<String>,
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub min_ram: i64,
    pub min_disk: i64,
    pub container_format: Option<String>,
    pub disk_format: Option<String>,
    pub tags: Vec<String>,
    pub properties: BTreeMap<String, String>,
}

/// The Glance table, with its indices (see [`index`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "GlanceStateFile")]
pub struct GlanceState {
    images: BTreeMap<String, Image>,
    /// The ids of deleted images, reserved for ever.
    #[serde(skip_serializing_if = "Tombstones::is_empty")]
    deleted: Tombstones,
    /// Rebuilt on load. `created_at` and `id` never change, so inserting on create, moving
    /// entries on every write through [`ImageMut`] and removing them on delete keeps them exact.
    #[serde(skip)]
    index: Index,
    /// The ids of the images written since the journal last stored them (only while a
    /// journal is kept, see [`GlanceState::track_changes`]).
    #[serde(skip)]
    changed: Changed,
}

/// Ids of changed images, when tracked. Not part of the state's value: two tables with the
/// same images are equal whatever is waiting to be stored.
#[derive(Debug, Clone, Default)]
struct Changed(Option<BTreeSet<String>>);

impl PartialEq for Changed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Changed {
    fn add(&mut self, id: &str) {
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
    fn image_mut(&mut self, id: &str) -> Option<ImageMut<'_>> {
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

/// The data of an image about to be written: what the upload must know up front.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub image_id: String,
    pub disk_format: String,
    pub container_format: String,
}

/// What streaming the data produced.
#[derive(Debug, Clone)]
pub struct Written {
    pub size: u64,
    pub md5: String,
    pub sha512: String,
    pub virtual_size: Option<u64>,
}

/// Where an image's bytes are, for a download.
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
    pub checksum: Option<String>,
}

/// Names Glance keeps for itself (403 "Attribute 'X' is reserved.").
pub fn is_reserved(key: &str) -> bool {
    matches!(key, "location" | "deleted" | "deleted_at") || key.starts_with("os_glance")
}

/// Attributes nobody may set (403 "Attribute 'X' is read-only.").
pub fn is_read_only(key: &str) -> bool {
    matches!(
        key,
        "id" | "status"
            | "checksum"
            | "os_hash_algo"
            | "os_hash_value"
            | "size"
            | "virtual_size"
            | "created_at"
            | "updated_at"
            | "direct_url"
            | "self"
            | "file"
            | "schema"
            | "stores"
    )
}

/// Whether `s` has the image id shape the schema asks for (8-4-4-4-12 hex digits).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn not_found(id: &str) -> ImageError {
    ImageError::NotVisible(id.to_owned())
}

fn dedup(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

impl GlanceState {
    fn visible(&self, caller: &Caller, id: &str) -> Result<&Image> {
        self.images.get(id).filter(|i| caller.can_see(i)).ok_or_else(|| not_found(id))
    }

    /// The image for a write by `action`: 404 when invisible, 403 when visible but not the
    /// caller's to change.
    fn writable(
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

    pub fn create(&mut self, caller: &Caller, new: NewImage, now: OffsetDateTime) -> Result<Image> {
        for key in new.properties.keys() {
            if key.chars().count() > 255 {
                return Err(ImageError::PropertyNameTooLong);
            }
            if is_reserved(key) {
                return Err(ImageError::Reserved(key.clone()));
            }
        }
        let owner = match new.owner {
            Some(o) if Some(&o) != caller.project.as_ref() && !caller.admin => {
                return Err(ImageError::ForeignOwner(o));
            }
            Some(o) => Some(o),
            None => caller.project.clone(),
        };
        if !caller.member {
            return Err(ImageError::Denied("add_image"));
        }
        let visibility = new.visibility.unwrap_or(Visibility::Shared);
        if visibility == Visibility::Public && !caller.admin {
            return Err(ImageError::Denied("publicize_image"));
        }
        let tags = dedup(new.tags);
        check_counts(new.properties.len(), tags.len())?;
        check_min("min_ram", new.min_ram)?;
        check_min("min_disk", new.min_disk)?;
        let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.images.contains_key(&id) || self.deleted.contains(&id) {
            return Err(ImageError::IdTaken(id));
        }
        let now = truncate(now);
        let image = Image {
            id: id.clone(),
            name: new.name,
            status: Status::Queued,
            visibility,
            protected: new.protected,
            os_hidden: new.os_hidden,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            owner,
            size: None,
            virtual_size: None,
            container_format: new.container_format,
            disk_format: new.disk_format,
            min_ram: new.min_ram,
            min_disk: new.min_disk,
            created_at: now,
            updated_at: now,
            tags,
            properties: new.properties,
            members: Vec::new(),
            memo: Memo::default(),
        };
        self.index.insert(&image);
        self.changed.add(&id);
        self.images.insert(id, image.clone());
        Ok(image)
    }

    pub fn show(&self, caller: &Caller, id: &str) -> Result<&Image> {
        self.visible(caller, id)
    }

    /// Deletes in any status; returns whether the image had stored data to remove. The record
    /// leaves the table and its indices; its id stays reserved.
    pub fn delete(&mut self, caller: &Caller, id: &str) -> Result<bool> {
        let image = self.writable(caller, id, "delete_image").map_err(|e| match e {
            ImageError::NotVisible(id) => ImageError::NoImageToDelete(id),
            other => other,
        })?;
        if image.protected {
            return Err(ImageError::Protected(id.to_owned()));
        }
        let had_data = image.size.is_some();
        drop(image);
        if let Some(image) = self.images.remove(id) {
            self.index.remove(&image);
            self.deleted.insert(id);
        }
        Ok(had_data)
    }

    pub fn set_active(
        &mut self,
        caller: &Caller,
        id: &str,
        active: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let action = if active { "reactivate" } else { "deactivate" };
        let mut image = self.writable(caller, id, action)?;
        let (from, to) = if active {
            (Status::Deactivated, Status::Active)
        } else {
            (Status::Active, Status::Deactivated)
        };
        if image.status == to {
            return Ok(());
        }
        if image.status != from {
            return Err(ImageError::NotSwitchable { action, status: image.status });
        }
        image.status = to;
        image.updated_at = truncate(now);
        Ok(())
    }

    pub fn add_tag(
        &mut self,
        caller: &Caller,
        id: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        if tag.chars().count() > 255 {
            return Err(ImageError::TagTooLong);
        }
        let mut image = self.writable(caller, id, "modify_image")?;
        if !image.tags.iter().any(|t| t == tag) {
            if image.tags.len() >= TAG_QUOTA {
                return Err(ImageError::QuotaExceeded(Quota::Tags));
            }
            image.tags.push(tag.to_owned());
        }
        image.updated_at = truncate(now);
        Ok(())
    }

    pub fn delete_tag(
        &mut self,
        caller: &Caller,
        id: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut image = self.writable(caller, id, "modify_image")?;
        let Some(at) = image.tags.iter().position(|t| t == tag) else {
            return Err(ImageError::NoSuchTag(tag.to_owned()));
        };
        image.tags.remove(at);
        image.updated_at = truncate(now);
        Ok(())
    }

    // --- data -------------------------------------------------------------------------------

    /// queued → saving, after the checks Glance makes before it reads any data.
    pub fn begin_upload(
        &mut self,
        caller: &Caller,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<UploadTicket> {
        let mut image = self.writable(caller, id, "upload_image")?;
        if image.status != Status::Queued {
            return Err(ImageError::NotQueued(image.status));
        }
        let (disk, container) = match (&image.disk_format, &image.container_format) {
            (Some(d), Some(c)) => (d.clone(), c.clone()),
            (None, Some(_)) => return Err(ImageError::FormatsUnset(Unset::Disk)),
            (Some(_), None) => return Err(ImageError::FormatsUnset(Unset::Container)),
            (None, None) => return Err(ImageError::FormatsUnset(Unset::Both)),
        };
        image.status = Status::Saving;
        image.updated_at = truncate(now);
        Ok(UploadTicket { image_id: id.to_owned(), disk_format: disk, container_format: container })
    }

    /// saving → active with the hashes, or back to queued when the data was refused. Answers 410
    /// when the image was deleted meanwhile (the caller then removes the data).
    pub fn finish_upload(
        &mut self,
        ticket: &UploadTicket,
        outcome: std::result::Result<Written, ()>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = &ticket.image_id;
        let gone = || ImageError::DeletedDuringUpload(id.clone());
        if self.deleted.contains(id) {
            return Err(gone());
        }
        let Some(mut image) = self.image_mut(id) else { return Err(not_found(id)) };
        if image.status != Status::Saving {
            return Err(gone());
        }
        image.updated_at = truncate(now);
        match outcome {
            Ok(w) => {
                image.status = Status::Active;
                image.size = Some(w.size);
                image.virtual_size = w.virtual_size;
                image.checksum = Some(w.md5);
                image.os_hash_algo = Some("sha512".into());
                image.os_hash_value = Some(w.sha512);
            }
            Err(()) => image.status = Status::Queued,
        }
        Ok(())
    }

    /// What a download returns: `None` when the image has no data (204).
    pub fn stored(&self, caller: &Caller, id: &str) -> Result<Option<Stored>> {
        let image = self.visible(caller, id)?;
        if !caller.member {
            return Err(ImageError::Denied("download_image"));
        }
        if image.status == Status::Deactivated && !caller.admin {
            return Err(ImageError::Deactivated);
        }
        Ok(image.size.map(|size| Stored { size, checksum: image.checksum.clone() }))
    }

    // --- members ----------------------------------------------------------------------------

    pub fn add_member(
        &mut self,
        caller: &Caller,
        id: &str,
        member: &str,
        now: OffsetDateTime,
    ) -> Result<Member> {
        if member.trim().is_empty() {
            return Err(ImageError::EmptyMember);
        }
        let mut image = self.writable(caller, id, "add_member")?;
        if image.visibility != Visibility::Shared {
            return Err(ImageError::NotShared { id: id.to_owned(), visibility: image.visibility });
        }
        if image.members.iter().any(|m| m.member_id == member) {
            return Err(ImageError::AlreadyMember { id: id.to_owned(), member: member.to_owned() });
        }
        if image.members.len() >= MEMBER_QUOTA {
            return Err(ImageError::QuotaExceeded(Quota::Members));
        }
        let now = truncate(now);
        let m = Member {
            member_id: member.to_owned(),
            status: MemberStatus::Pending,
            created_at: now,
            updated_at: now,
        };
        image.members.push(m.clone());
        Ok(m)
    }

    /// The owner and administrators see every member; a member sees itself.
    pub fn members(&self, caller: &Caller, id: &str) -> Result<Vec<Member>> {
        let image = self.visible(caller, id)?;
        if caller.admin || caller.owns(image) {
            return Ok(image.members.clone());
        }
        match caller.membership(image) {
            Some(m) => Ok(vec![m.clone()]),
            None => Err(ImageError::Denied("get_members")),
        }
    }

    pub fn member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        let image = self.visible(caller, id)?;
        let may_read =
            caller.admin || caller.owns(image) || caller.project.as_deref() == Some(member);
        image
            .members
            .iter()
            .find(|m| m.member_id == member && may_read)
            .cloned()
            .ok_or_else(|| ImageError::NoSuchMember(member.to_owned()))
    }

    pub fn set_member_status(
        &mut self,
        caller: &Caller,
        id: &str,
        member: &str,
        status: MemberStatus,
        now: OffsetDateTime,
    ) -> Result<Member> {
        let image = self.visible(caller, id)?;
        let is_member = caller.project.as_deref() == Some(member);
        if !image.members.iter().any(|m| m.member_id == member) {
            return Err(ImageError::NoSuchMember(member.to_owned()));
        }
        if !(caller.admin || (caller.member && is_member)) {
            return Err(ImageError::Denied("modify_member"));
        }
        let mut image = self.image_mut(id).ok_or_else(|| not_found(id))?;
        let m = image
            .members
            .iter_mut()
            .find(|m| m.member_id == member)
            .ok_or_else(|| ImageError::NoSuchMember(member.to_owned()))?;
        m.status = status;
        m.updated_at = truncate(now);
        Ok(m.clone())
    }

    pub fn remove_member(&mut self, caller: &Caller, id: &str, member: &str) -> Result<()> {
        let mut image = self.writable(caller, id, "delete_member")?;
        let Some(at) = image.members.iter().position(|m| m.member_id == member) else {
            return Err(ImageError::NoSuchMember(member.to_owned()));
        };
        image.members.remove(at);
        Ok(())
    }
}

fn check_counts(properties: usize, tags: usize) -> Result<()> {
    if properties > PROPERTY_QUOTA {
        return Err(ImageError::QuotaExceeded(Quota::Properties));
    }
    if tags > TAG_QUOTA {
        return Err(ImageError::QuotaExceeded(Quota::Tags));
    }
    Ok(())
}

fn check_min(attr: &'static str, value: i64) -> Result<()> {
    if !(0..=i64::from(i32::MAX)).contains(&value) {
        return Err(ImageError::OutOfRange { attr, value: value.to_string() });
    }
    Ok(())
}

/// Glance keeps timestamps to the second.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t).to_offset(time::UtcOffset::UTC)
}

#[cfg(test)]
mod tests;
