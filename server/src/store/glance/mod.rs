//! Glance images v2: image records, members, tags and the tenancy rules that decide who may see
//! and change what. Image bytes live in files (see [`data`]); the table only keeps their hashes.
//!
//! A deleted image leaves the table, but its id stays reserved (see [`tombstones`]), so it can
//! never be reused, as with Glance's soft delete. Every mutation is checked in full before
//! anything is changed, so a refused request leaves the image as it was.
//!
//! The handlers reach the table through [`Glance`] (`store.glance()`, in [`handle`]), which takes
//! the lock and reads the clock; the operations are [`GlanceState`]'s, which take `now`:
//! [`images`] (create, delete, status, tags), [`patch`], [`members`], [`list`] (with
//! [`query`]), [`upload`] and [`download`]. [`records`] holds the record types, [`table`] the
//! table itself and its persistence, [`caller`] who may do what, [`rules`] Glance's fixed rules,
//! and [`error`] why an operation is refused.

mod caller;
pub mod data;
mod download;
mod error;
mod handle;
mod images;
pub mod index;
pub mod inspect;
pub mod list;
mod members;
pub mod patch;
pub mod query;
mod records;
mod rules;
pub mod schema;
mod table;
pub mod tombstones;
mod upload;

pub use caller::Caller;
pub use data::Written;
pub use download::{Download, Stored, Wanted};
pub use error::{ImageError, Quota, Result, Unset};
pub use handle::Glance;
pub use records::{Image, Member, MemberStatus, Memo, NewImage, Status, Visibility};
use rules::dedup;
pub use rules::{
    MEMBER_QUOTA, PROPERTY_QUOTA, SIZE_CAP, TAG_QUOTA, is_read_only, is_reserved, is_uuid, truncate,
};
use table::not_found;
pub use table::{GlanceState, Row};
pub use upload::UploadTicket;

#[cfg(test)]
mod tests;
