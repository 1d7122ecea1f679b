//! Small helpers shared by the xtask commands: where the repository is, and how specs are read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
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

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` (relative to the workspace root when
/// relative), else the workspace's `target/`. Binaries built by the commands are looked up here;
/// tools the commands install (venvs, wrk, reports) stay under the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
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

/// Runs `cmd`, announcing it as `{prefix}: {what}`; a failure names the step.
pub fn run_step(prefix: &str, what: &str, cmd: &mut std::process::Command) -> Result<()> {
    eprintln!("{prefix}: {what}");
    let status = cmd.status().with_context(|| format!("starting `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}

/// The cargo that runs this xtask.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Installs Debian packages (`apt-get update`, then `install -y --no-install-recommends`),
/// through `sudo -n` unless this process is root.
pub fn apt_install(prefix: &str, packages: &[&str]) -> Result<()> {
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo", "-n"] };
    let install = [&["apt-get", "install", "-y", "-q", "--no-install-recommends"][..], packages];
    for args in [vec!["apt-get", "update", "-q"], install.concat()] {
        let full = [sudo, &args[..]].concat();
        run_step(
            prefix,
            &full.join(" "),
            std::process::Command::new(full[0])
                .args(&full[1..])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    Ok(())
}
