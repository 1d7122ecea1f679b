//! The image schema Glance serves (`specs/glance/schemas/image.json`), used the way Glance uses
//! it: every value a PATCH sets is validated against it before anything changes.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::{ImageError, Result};

/// The documents served at `/v2/schemas/{image,images,member,members}`.
pub const IMAGE: &str = include_str!("../../../../specs/glance/schemas/image.json");
pub const IMAGES: &str = include_str!("../../../../specs/glance/schemas/images.json");
pub const MEMBER: &str = include_str!("../../../../specs/glance/schemas/member.json");
pub const MEMBERS: &str = include_str!("../../../../specs/glance/schemas/members.json");

static VALIDATOR: LazyLock<Result<jsonschema::Validator>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(IMAGE)
        .map_err(|e| ImageError::SchemaUnusable(format!("the image schema is not JSON: {e}")))?;
    jsonschema::draft202012::options()
        .build(&schema)
        .map_err(|e| ImageError::SchemaUnusable(format!("the image schema does not compile: {e}")))
});

/// Checks `{key: value}` against the image schema (400 "Provided object does not match schema
/// 'image': ..." on failure).
pub fn check_property(key: &str, value: &Value) -> Result<()> {
    let validator = VALIDATOR.as_ref().map_err(Clone::clone)?;
    let mut object = Map::new();
    object.insert(key.to_owned(), value.clone());
    let instance = Value::Object(object);
    match validator.iter_errors(&instance).next() {
        None => Ok(()),
        Some(e) => Err(ImageError::SchemaMismatch(e.to_string())),
    }
}

/// Checks a whole create body against the image schema, as Glance does before it looks at the
/// keys: custom values must be strings, tags strings of at most 255 characters, and so on.
pub fn check_image(body: &Value) -> Result<()> {
    let validator = VALIDATOR.as_ref().map_err(Clone::clone)?;
    match validator.iter_errors(body).next() {
        None => Ok(()),
        Some(e) => Err(ImageError::SchemaMismatch(format!("{e} (at `{}`)", e.instance_path()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_checked_against_the_served_schema() {
        assert!(check_property("name", &json!("x")).is_ok());
        assert!(check_property("os_distro", &json!("debian")).is_ok());
        assert!(check_property("custom", &json!("v")).is_ok());
        assert!(check_property("custom", &json!(1)).is_err());
        assert!(check_property("name", &json!("n".repeat(256))).is_err());
        assert!(check_property("visibility", &json!("everyone")).is_err());
        assert!(check_property("protected", &json!("true")).is_err());
        assert!(check_property("ramdisk_id", &json!("abc")).is_err());
        assert!(check_property("tags", &json!(["a", "b"])).is_ok());
        assert!(check_property("tags", &json!(["t".repeat(256)])).is_err());
        assert!(check_property("disk_format", &json!("wrong")).is_err());
        assert!(check_property("min_ram", &json!(512)).is_ok());
        assert!(check_image(&json!({"name": "x", "foo": "bar", "tags": ["a"]})).is_ok());
        assert!(check_image(&json!({"foo": 1})).is_err());
        assert!(check_image(&json!({"foo": true})).is_err());
        assert!(check_image(&json!({"tags": [1]})).is_err());
    }
}
