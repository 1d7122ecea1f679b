//! Small helpers shared by the xtask commands: where the repository is, and how specs are read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// The four API families, by short name, in the order they are documented.
pub const FAMILIES: [&str; 4] = ["glance", "swr", "cce", "snowflake"];

/// The workspace root (the parent of this crate's directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The path of a family's hand-written spec.
pub fn spec_path(family: &str) -> PathBuf {
    project_root().join("specs").join(format!("{family}.yaml"))
}

/// Reads a family's spec as plain JSON.
pub fn load_spec(family: &str) -> Result<Value> {
    let path = spec_path(family);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    yaml_serde::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Follows a local `$ref` (`#/components/...`) inside `doc`; values without `$ref` are returned as is.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        None => Ok(value),
        Some(r) => {
            let pointer = r
                .strip_prefix('#')
                .with_context(|| format!("only local $refs are supported: {r}"))?;
            let target = doc.pointer(pointer).with_context(|| format!("dangling $ref {r}"))?;
            resolve(doc, target)
        }
    }
}

/// The component name a `$ref: '#/components/schemas/X'` points at.
pub fn schema_ref_name(value: &Value) -> Option<&str> {
    value.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// Whether this process runs as root (then Debian packages install without sudo).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
