//! The Glance table's indices, so a listing walks O(log n + page) entries instead of filtering and
//! sorting every image: one in the default order (`created_at`, `id`), and one per indexed
//! column in the order a listing sorted by that column uses (the column, then `created_at`, then
//! `id`), which is also the default order within one value of the column, so an equality filter
//! on it is a range.
//!
//! The indices only choose candidates and their order: the listing still applies every rule and
//! filter to each candidate, so an index can make a listing faster but never change its result.
//! Writes go through [`ImageMut`], which moves the image's entries when a write changes them and
//! empties the image's [`Memo`](super::Memo).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Bound, Deref, DerefMut};
use std::sync::Arc;

use time::OffsetDateTime;

use super::Image;

/// A column with an index of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    UpdatedAt,
    Owner,
    Visibility,
}

const COLUMNS: [Column; 8] = [
    Column::Name,
    Column::Status,
    Column::ContainerFormat,
    Column::DiskFormat,
    Column::Size,
    Column::UpdatedAt,
    Column::Owner,
    Column::Visibility,
];

/// A column's value, ordered as listings order it (an absent value first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Text(Option<Cow<'static, str>>),
    Size(Option<u64>),
    Time(OffsetDateTime),
}

impl Value {
    /// The value an equality filter asks for.
    pub fn text(s: &str) -> Self {
        Value::Text(Some(Cow::Owned(s.to_owned())))
    }
}

impl Column {
    fn position(self) -> usize {
        self as usize
    }

    pub fn value(self, image: &Image) -> Value {
        let text = |s: &Option<String>| Value::Text(s.clone().map(Cow::Owned));
        match self {
            Column::Name => text(&image.name),
            Column::Status => Value::Text(Some(Cow::Borrowed(image.status.as_str()))),
            Column::ContainerFormat => text(&image.container_format),
            Column::DiskFormat => text(&image.disk_format),
            Column::Size => Value::Size(image.size),
            Column::UpdatedAt => Value::Time(image.updated_at),
            Column::Owner => text(&image.owner),
            Column::Visibility => Value::Text(Some(Cow::Borrowed(image.visibility.as_str()))),
        }
    }
}

/// Where in one value's run of a column index: before all, at an image, or after all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum At {
    Start,
    Row(OffsetDateTime, Arc<str>),
    End,
}

type Entry = (Value, At);

/// The values of every column of one image, as indexed.
pub type Keys = Vec<Value>;

/// The indices of a table. `live` is false for a table deliberately kept without them (the
/// benchmark's baseline) and for a table changed behind the indices' back (never in the store):
/// listings then scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    live: bool,
    created: BTreeSet<(OffsetDateTime, Arc<str>)>,
    columns: Vec<BTreeSet<Entry>>,
}

impl Default for Index {
    fn default() -> Self {
        Self { live: true, created: BTreeSet::new(), columns: vec![BTreeSet::new(); COLUMNS.len()] }
    }
}

/// A walk of image ids in listing order.
pub type Ids<'a> = Box<dyn Iterator<Item = &'a str> + 'a>;

impl Index {
    pub fn build<'a>(images: impl IntoIterator<Item = &'a Image>) -> Self {
        let mut index = Self::default();
        for image in images {
            index.insert(image);
        }
        index
    }

    /// Drops every entry; listings scan from now on.
    pub fn disable(&mut self) {
        *self = Self { live: false, created: BTreeSet::new(), columns: Vec::new() };
    }

    pub fn live(&self) -> bool {
        self.live
    }

    pub fn insert(&mut self, image: &Image) {
        if !self.live {
            return;
        }
        let id: Arc<str> = Arc::from(image.id.as_str());
        self.created.insert((image.created_at, id.clone()));
        for column in COLUMNS {
            let entry = (column.value(image), At::Row(image.created_at, id.clone()));
            self.columns[column.position()].insert(entry);
        }
    }

    /// Removes every entry of a deleted image.
    pub fn remove(&mut self, image: &Image) {
        if !self.live {
            return;
        }
        self.created.remove(&(image.created_at, Arc::from(image.id.as_str())));
        for column in COLUMNS {
            self.columns[column.position()].remove(&(column.value(image), row(image)));
        }
    }

    /// The image's indexed values, taken before a write.
    pub fn keys(&self, image: &Image) -> Keys {
        if !self.live {
            return Vec::new();
        }
        COLUMNS.iter().map(|c| c.value(image)).collect()
    }

    /// Moves the entries of the columns a write changed (`created_at` and `id` never change).
    pub fn moved(&mut self, image: &Image, before: Keys) {
        if !self.live {
            return;
        }
        for (column, old) in COLUMNS.into_iter().zip(before) {
            let new = column.value(image);
            if new != old {
                let set = &mut self.columns[column.position()];
                set.remove(&(old, row(image)));
                set.insert((new, row(image)));
            }
        }
    }

    /// Every id in the default order (`created_at`, `id`), after `marker` (exclusive).
    pub fn by_created(&self, ascending: bool, marker: Option<&Image>) -> Ids<'_> {
        let at = marker.map(|m| (m.created_at, Arc::<str>::from(m.id.as_str())));
        let rows = &self.created;
        let ids: Box<dyn Iterator<Item = &(OffsetDateTime, Arc<str>)>> = match (ascending, at) {
            (true, None) => Box::new(rows.iter()),
            (true, Some(m)) => Box::new(rows.range((Bound::Excluded(m), Bound::Unbounded))),
            (false, None) => Box::new(rows.iter().rev()),
            (false, Some(m)) => Box::new(rows.range((Bound::Unbounded, Bound::Excluded(m))).rev()),
        };
        Box::new(ids.map(|(_, id)| &**id))
    }

    /// Every id sorted by `column`, then `created_at`, then `id`, all in one direction, after
    /// `marker` (exclusive).
    pub fn by_column(&self, column: Column, ascending: bool, marker: Option<&Image>) -> Ids<'_> {
        let set = &self.columns[column.position()];
        let from = marker.map(|m| (column.value(m), row(m)));
        let (low, high) = match (ascending, from) {
            (_, None) => (Bound::Unbounded, Bound::Unbounded),
            (true, Some(m)) => (Bound::Excluded(m), Bound::Unbounded),
            (false, Some(m)) => (Bound::Unbounded, Bound::Excluded(m)),
        };
        walk(set, low, high, ascending)
    }

    /// The ids whose `column` is `value`, in the default order, after `marker` (exclusive).
    pub fn equal(
        &self,
        column: Column,
        value: Value,
        ascending: bool,
        marker: Option<&Image>,
    ) -> Ids<'_> {
        let set = &self.columns[column.position()];
        let start = (value.clone(), At::Start);
        let end = (value.clone(), At::End);
        let (low, high) = match (ascending, marker) {
            (_, None) => (Bound::Excluded(start), Bound::Excluded(end)),
            (true, Some(m)) => (Bound::Excluded((value, row(m))), Bound::Excluded(end)),
            (false, Some(m)) => (Bound::Excluded(start), Bound::Excluded((value, row(m)))),
        };
        walk(set, low, high, ascending)
    }
}

fn row(image: &Image) -> At {
    At::Row(image.created_at, Arc::from(image.id.as_str()))
}

fn walk(set: &BTreeSet<Entry>, low: Bound<Entry>, high: Bound<Entry>, ascending: bool) -> Ids<'_> {
    fn id((_, at): &Entry) -> Option<&str> {
        match at {
            At::Row(_, id) => Some(id),
            At::Start | At::End => None,
        }
    }
    let range = set.range((low, high));
    if ascending { Box::new(range.filter_map(id)) } else { Box::new(range.rev().filter_map(id)) }
}

/// A write to one image; dropping it moves the image's index entries if the write changed them.
pub struct ImageMut<'a> {
    image: &'a mut Image,
    index: &'a mut Index,
    before: Keys,
}

impl<'a> ImageMut<'a> {
    pub fn new(
        images: &'a mut BTreeMap<String, Image>,
        index: &'a mut Index,
        id: &str,
    ) -> Option<Self> {
        let image = images.get_mut(id)?;
        let before = index.keys(image);
        Some(Self { image, index, before })
    }
}

impl Deref for ImageMut<'_> {
    type Target = Image;
    fn deref(&self) -> &Image {
        self.image
    }
}

impl DerefMut for ImageMut<'_> {
    fn deref_mut(&mut self) -> &mut Image {
        self.image
    }
}

impl Drop for ImageMut<'_> {
    fn drop(&mut self) {
        self.image.memo = super::Memo::default();
        self.index.moved(self.image, std::mem::take(&mut self.before));
    }
}
