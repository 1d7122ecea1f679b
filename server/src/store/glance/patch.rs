//! PATCH /v2/images/{id}: Glance's JSON-patch rules. [`Change::check`] is what Glance decides
//! before it looks the image up (pointer syntax, read-only and reserved paths, value validation);
//! [`GlanceState::update`] applies the checked changes to a copy and saves it only if all pass.

use serde_json::Value;
use time::OffsetDateTime;

use super::{
    Caller, GlanceState, Image, ImageError, PROPERTY_QUOTA, Quota, Result, Status, TAG_QUOTA,
    Visibility, dedup, is_read_only, is_reserved, schema, truncate,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
        }
    }
}

/// One operation as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    pub path: String,
    pub value: Option<Value>,
}

/// A change whose path and value passed the checks: `key` is the decoded top-level attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    op: Op,
    key: String,
    value: Option<Value>,
}

const BASE: [&str; 10] = [
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "min_ram",
    "min_disk",
    "container_format",
    "disk_format",
    "tags",
];

impl Change {
    pub fn check(self) -> Result<Checked> {
        let invalid = || ImageError::BadPointer(self.path.clone());
        let rest = self.path.strip_prefix('/').ok_or_else(invalid)?;
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(invalid());
        }
        let decoded = segments.iter().map(|s| unescape(s)).collect::<Option<Vec<String>>>();
        let decoded = decoded.ok_or_else(invalid)?;
        let key = decoded[0].clone();
        if key == "locations" {
            return Err(ImageError::LocationsHidden);
        }
        if decoded.len() != 1 {
            return Err(invalid());
        }
        if is_read_only(&key) {
            return Err(ImageError::ReadOnly(key));
        }
        if is_reserved(&key) {
            return Err(ImageError::Reserved(key));
        }
        if key.chars().count() > 255 {
            return Err(ImageError::PropertyNameTooLong);
        }
        let value = match self.op {
            Op::Remove => None,
            op => {
                let v = self.value.ok_or(ImageError::MissingValue(op.name()))?;
                schema::check_property(&key, &v)?;
                Some(v)
            }
        };
        Ok(Checked { op: self.op, key, value })
    }
}

/// `~1` → `/`, `~0` → `~`; any other `~` makes the pointer invalid.
fn unescape(segment: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

impl GlanceState {
    /// Applies every change or none. `v20` selects the deprecated media type, where `add` of
    /// anything that exists (every base attribute included) is a 409.
    pub fn update(
        &mut self,
        caller: &Caller,
        id: &str,
        changes: &[Checked],
        v20: bool,
        now: OffsetDateTime,
    ) -> Result<Image> {
        let current = self.visible(caller, id)?;
        for c in changes {
            if c.key == "owner" && !caller.admin {
                return Err(ImageError::OwnerNeedsAdmin);
            }
            if c.key == "visibility"
                && c.value.as_ref().and_then(Value::as_str) == Some("public")
                && !caller.admin
            {
                return Err(ImageError::Denied("publicize_image"));
            }
        }
        if !caller.can_modify(current) {
            return Err(ImageError::Denied("modify_image"));
        }
        let mut image = current.clone();
        for c in changes {
            apply(&mut image, c, v20)?;
        }
        if image.properties.len() > PROPERTY_QUOTA {
            return Err(ImageError::QuotaExceeded(Quota::Properties));
        }
        if image.tags.len() > TAG_QUOTA {
            return Err(ImageError::QuotaExceeded(Quota::Tags));
        }
        if !changes.is_empty() {
            image.updated_at = truncate(now);
        }
        if let Some(mut stored) = self.image_mut(id) {
            *stored = image.clone();
        }
        Ok(image)
    }
}

fn apply(image: &mut Image, c: &Checked, v20: bool) -> Result<()> {
    let key = c.key.as_str();
    let base = BASE.contains(&key);
    let exists = base || image.properties.contains_key(key);
    match c.op {
        Op::Remove if base => {
            return Err(ImageError::NotRemovable(key.to_owned()));
        }
        Op::Remove | Op::Replace if !exists => {
            return Err(ImageError::NoSuchProperty(key.to_owned()));
        }
        Op::Add if v20 && exists => {
            return Err(ImageError::AlreadyPresent(key.to_owned()));
        }
        Op::Remove => {
            image.properties.remove(key);
            return Ok(());
        }
        Op::Add | Op::Replace => {}
    }
    let value = c.value.clone().unwrap_or(Value::Null);
    if !base {
        let text = value.as_str().unwrap_or_default().to_owned();
        image.properties.insert(key.to_owned(), text);
        return Ok(());
    }
    let text = || value.as_str().map(str::to_owned);
    let number = |attr: &'static str| -> Result<i64> {
        let n = value.as_i64().unwrap_or(-1);
        if !(0..=i64::from(i32::MAX)).contains(&n) {
            return Err(ImageError::OutOfRange { attr, value: value.to_string() });
        }
        Ok(n)
    };
    match key {
        "name" => image.name = text(),
        "visibility" => {
            image.visibility = text()
                .as_deref()
                .and_then(Visibility::parse)
                .ok_or_else(|| ImageError::InvalidVisibility(value.to_string()))?;
        }
        "protected" => image.protected = value.as_bool().unwrap_or(image.protected),
        "os_hidden" => image.os_hidden = value.as_bool().unwrap_or(image.os_hidden),
        "owner" => image.owner = text(),
        "min_ram" => image.min_ram = number("min_ram")?,
        "min_disk" => image.min_disk = number("min_disk")?,
        "container_format" | "disk_format" => {
            let current =
                if key == "disk_format" { &image.disk_format } else { &image.container_format };
            let new = text();
            if *current != new && !matches!(image.status, Status::Queued | Status::Importing) {
                return Err(ImageError::FormatLocked(key.to_owned()));
            }
            if key == "disk_format" {
                image.disk_format = new;
            } else {
                image.container_format = new;
            }
        }
        "tags" => {
            let tags = value
                .as_array()
                .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            image.tags = dedup(tags);
        }
        _ => {}
    }
    Ok(())
}
