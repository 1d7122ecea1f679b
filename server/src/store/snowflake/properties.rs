//! The properties a client may set on a database or a schema: everything it sends except the
//! fields the server fills in (and the name, which is stored on its own).

use std::collections::BTreeMap;

use serde_json::Value;

/// A container's writable properties as the client gave them (`kind`, `comment`, ...).
pub type Properties = BTreeMap<String, Value>;

/// The fields of a database a client may not set.
pub const DATABASE_READ_ONLY: &[&str] = &[
    "name",
    "created_on",
    "is_default",
    "is_current",
    "origin",
    "owner",
    "options",
    "retention_time",
    "dropped_on",
    "budget",
    "owner_role_type",
];

/// The fields of a schema a client may not set.
pub const SCHEMA_READ_ONLY: &[&str] = &[
    "name",
    "created_on",
    "is_default",
    "is_current",
    "database_name",
    "owner",
    "options",
    "retention_time",
    "dropped_on",
    "owner_role_type",
    "budget",
];

/// What is kept of a client's fields: the writable ones.
pub fn writable(mut given: Properties, read_only: &[&str]) -> Properties {
    given.retain(|k, _| !read_only.contains(&k.as_str()));
    given
}
