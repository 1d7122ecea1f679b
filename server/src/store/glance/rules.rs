//! Glance's fixed rules: its quotas and size cap, the names nobody may set, the id shape, and
//! small helpers every operation shares.

use time::OffsetDateTime;

/// Glance's quotas (`image_property_quota`, `image_tag_quota`, `image_member_quota`).
pub const PROPERTY_QUOTA: usize = 128;
pub const TAG_QUOTA: usize = 128;
pub const MEMBER_QUOTA: usize = 128;
/// `image_size_cap`: 1 TiB.
pub const SIZE_CAP: u64 = 1 << 40;

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

pub(super) fn dedup(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Glance keeps timestamps to the second.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t).to_offset(time::UtcOffset::UTC)
}
