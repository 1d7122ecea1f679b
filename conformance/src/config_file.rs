//! `--config FILE`: the CLI's options written as TOML, one key per flag (`base_url`,
//! `family = ["glance", "cce"]`, `token = ["glance=..."]`, `fuzz_cases = 50`, `fuzz_only = true`,
//! `concurrency = 4`, `ca_cert = "ca.pem"`, ...). The file becomes arguments placed before the
//! command line's, so a flag given on the command line overrides a single value from the file
//! and adds to a list.

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("reading {0}")]
    Read(String, #[source] std::io::Error),
    #[error("parsing {0}")]
    Parse(String, #[source] toml::de::Error),
    #[error("{file}: `{key}` must be a string, a number, true, or a list of those")]
    Value { file: String, key: String },
}

/// The arguments a config file stands for.
pub fn to_args(text: &str, file: &str) -> Result<Vec<String>, ConfigFileError> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| ConfigFileError::Parse(file.to_owned(), e))?;
    let mut out = Vec::new();
    for (key, value) in &table {
        let flag = format!("--{}", key.replace('_', "-"));
        let bad = || ConfigFileError::Value { file: file.to_owned(), key: key.clone() };
        let scalar = |v: &toml::Value| -> Option<String> {
            match v {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(i) => Some(i.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                _ => None,
            }
        };
        match value {
            toml::Value::Boolean(true) => out.push(flag),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                for item in items {
                    out.push(flag.clone());
                    out.push(scalar(item).ok_or_else(bad)?);
                }
            }
            other => {
                out.push(flag);
                out.push(scalar(other).ok_or_else(bad)?);
            }
        }
    }
    Ok(out)
}

/// Reads `path` and returns its arguments.
pub fn load(path: &std::path::Path) -> Result<Vec<String>, ConfigFileError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigFileError::Read(shown.clone(), e))?;
    to_args(&text, &shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_flags() {
        let text = r#"
            base_url = "http://127.0.0.1:8080"
            family = ["glance", "cce"]
            token = ["glance=bob-token"]
            fuzz_cases = 50
            fuzz_seconds = 2.5
            fuzz_only = true
            concurrency = 4
            junit = "out/report.xml"
            replay_dir = false
        "#;
        let args = to_args(text, "c.toml").expect("valid");
        let joined = args.join(" ");
        for part in [
            "--base-url http://127.0.0.1:8080",
            "--family glance --family cce",
            "--token glance=bob-token",
            "--fuzz-cases 50",
            "--fuzz-seconds 2.5",
            "--fuzz-only",
            "--concurrency 4",
            "--junit out/report.xml",
        ] {
            assert!(joined.contains(part), "{part} missing from {joined}");
        }
        assert!(!joined.contains("replay-dir"), "false flags are left out: {joined}");
    }

    #[test]
    fn bad_files_are_refused_with_their_name() {
        assert!(matches!(to_args("seed = [", "c.toml"), Err(ConfigFileError::Parse(..))));
        let nested = to_args("header = [{a = 1}]", "c.toml");
        assert!(matches!(nested, Err(ConfigFileError::Value { .. })), "{nested:?}");
    }
}
