//! Glance's records: an image (its status, visibility, members and the memo of its JSON) as
//! stored and saved in the state file, and what a create asks for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
/// escaping every image again), and every write through [`ImageMut`](super::index::ImageMut) empties it, so it never
/// outlives the values it was made from. It takes no part in comparing images, and a clone
/// starts empty (a copy may be changed without [`ImageMut`](super::index::ImageMut)).
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
    /// Attributes of Glance's own that the request gave (`status`, `size`, `locations`...), in
    /// the order Glance checks them: none may be set, and the first is refused.
    pub server_set: Vec<&'static str>,
}
