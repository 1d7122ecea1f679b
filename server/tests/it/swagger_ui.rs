//! Swagger UI at `/docs/` rendered by a real headless Chromium: for each of the four specs, the
//! page selected with `?urls.primaryName=<family>` must show that spec's title and every one of
//! its operations (method, path and operationId, read from `specs/<family>.yaml`), and no error
//! ("Failed to load API definition", the "Errors" pane, an unrenderable definition).
//!
//! Chromium runs as `--headless --dump-dom --virtual-time-budget=...`: virtual time stands still
//! while network fetches are pending, so the DOM is dumped only after the spec has been fetched
//! and React has rendered it, without sleeping for wall-clock time.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;

const FAMILIES: [&str; 4] = ["glance", "swr", "cce", "snowflake"];

/// Virtual milliseconds Chromium lets the page run (fetches pending don't count).
const VIRTUAL_TIME_BUDGET_MS: u32 = 15_000;
/// Wall-clock limit for one Chromium run before it is killed.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(40);
/// Attempts per page: a second one absorbs a browser hiccup; a broken spec fails both.
const ATTEMPTS: usize = 2;

const HTTP_METHODS: [&str; 8] =
    ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Texts Swagger UI shows when it cannot show a definition.
const ERROR_MARKERS: [&str; 5] = [
    "Failed to load API definition",
    "errors-wrapper",
    "Could not render",
    "Unable to render this definition",
    "No API definition provided",
];

#[test]
fn every_spec_renders_with_all_its_operations() {
    let chromium = support::required_tool("IMAGESPEC_CHROMIUM", "/usr/bin/chromium".into());
    let server = support::spawn(&[]);
    let mut failures = Vec::new();
    for family in FAMILIES {
        let spec = Spec::read(family);
        let url = format!("{}/docs/?urls.primaryName={family}", server.base);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let started = Instant::now();
            let result = dump_dom(&chromium, &url).and_then(|dom| spec.check(&dom));
            match result {
                Ok(count) => {
                    eprintln!(
                        "swagger_ui: {family}: title and {count} operations rendered in {:.1?}",
                        started.elapsed()
                    );
                    last.clear();
                    break;
                }
                Err(e) => last = format!("{family} (attempt {attempt}/{ATTEMPTS}, {url}): {e}"),
            }
        }
        if !last.is_empty() {
            failures.push(last);
        }
    }
    assert!(failures.is_empty(), "Swagger UI did not render:\n\n{}", failures.join("\n\n"));
}

/// What a family's spec says the page must show.
struct Spec {
    title: String,
    /// (METHOD, path, operationId), one per operation.
    operations: BTreeSet<(String, String, String)>,
    /// How many operation blocks Swagger UI draws: one per tag of each operation (an untagged
    /// operation is drawn once, under "default").
    blocks: usize,
}

impl Spec {
    fn read(family: &str) -> Spec {
        let file = support::root().join("specs").join(format!("{family}.yaml"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let doc: Value = yaml_serde::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", file.display()));
        let title = doc["info"]["title"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no info.title", file.display()))
            .trim()
            .to_owned();
        let paths =
            doc["paths"].as_object().unwrap_or_else(|| panic!("{} has no paths", file.display()));
        let mut operations = BTreeSet::new();
        let mut blocks = 0;
        for (path, item) in paths {
            for method in HTTP_METHODS {
                let Some(op) = item.get(method) else { continue };
                let id = op["operationId"].as_str().unwrap_or_else(|| {
                    panic!("{}: {method} {path} has no operationId", file.display())
                });
                operations.insert((method.to_uppercase(), path.clone(), id.to_owned()));
                blocks += op["tags"].as_array().map_or(1, |tags| tags.len().max(1));
            }
        }
        assert!(!operations.is_empty(), "{} lists no operations", file.display());
        Spec { title, operations, blocks }
    }

    /// Checks the rendered DOM; returns how many operations it found.
    fn check(&self, dom: &str) -> Result<usize, String> {
        if let Some(marker) = ERROR_MARKERS.iter().find(|m| dom.contains(*m)) {
            return Err(format!("the page shows an error ({marker:?}): {}", excerpt(dom, marker)));
        }
        // `<div class="info"><hgroup class="main"><h1 class="title">TITLE<span>...version`
        let info = dom.find("<div class=\"info\">").map(|at| &dom[at..]);
        let title = info.and_then(|info| between(info, "class=\"title\">", "<")).map(unescape);
        if title.as_deref().map(str::trim) != Some(self.title.as_str()) {
            return Err(format!("title is {title:?}, the spec's is {:?}", self.title));
        }
        let rendered = rendered_operations(dom);
        let shown: BTreeSet<_> = rendered.iter().cloned().collect();
        let missing: Vec<_> = self.operations.difference(&shown).collect();
        let extra: Vec<_> = shown.difference(&self.operations).collect();
        if !missing.is_empty() || !extra.is_empty() || rendered.len() != self.blocks {
            return Err(format!(
                "{} operation blocks rendered, {} expected; missing {missing:?}; not in the spec \
                 {extra:?}",
                rendered.len(),
                self.blocks
            ));
        }
        Ok(shown.len())
    }
}

/// Every operation block in the DOM as (METHOD, path, operationId).
fn rendered_operations(dom: &str) -> Vec<(String, String, String)> {
    dom.split("<div class=\"opblock opblock-")
        .skip(1)
        .map(|block| {
            // Each piece runs from one block's start to the next's, its summary first.
            let method = between(block, "class=\"opblock-summary-method\">", "<").unwrap_or("");
            let path = between(block, "class=\"opblock-summary-path\" data-path=\"", "\"");
            let href = between(block, "<a class=\"nostyle\" href=\"#/", "\"").unwrap_or("");
            let id = href.rsplit('/').next().unwrap_or("");
            (
                unescape(method).to_uppercase(),
                path.map(unescape).unwrap_or_default(),
                percent_decode(&unescape(id)),
            )
        })
        .collect()
}

/// Runs headless Chromium on `url` and returns the DOM it dumps.
fn dump_dom(chromium: &Path, url: &str) -> Result<String, String> {
    let profile = fresh_profile_dir();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", chromium.display()))?;
    let out = drain(child.stdout.take().expect("stdout is piped"));
    let err = drain(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + CHROMIUM_DEADLINE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let dom = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    let _ = std::fs::remove_dir_all(&profile);
    let tail = || {
        stderr
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    };
    match status {
        None => {
            Err(format!("chromium still running after {CHROMIUM_DEADLINE:?}; stderr:\n{}", tail()))
        }
        Some(s) if !s.success() => Err(format!("chromium exited with {s}; stderr:\n{}", tail())),
        Some(_) if !dom.contains("swagger-ui") => Err(format!(
            "chromium dumped no Swagger UI page ({} bytes); stderr:\n{}",
            dom.len(),
            tail()
        )),
        Some(_) => Ok(dom),
    }
}

/// Reads a pipe to the end on its own thread, so a large DOM never blocks the browser.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// A new, empty Chromium profile directory under the system temp dir.
fn fresh_profile_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir =
        std::env::temp_dir().join(format!("imagespec-chromium-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating a Chromium profile dir");
    dir
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Some of the DOM around `marker`, tags stripped, for a failure message.
fn excerpt(dom: &str, marker: &str) -> String {
    let at = dom.find(marker).unwrap_or(0);
    let end = dom[at..].char_indices().nth(1200).map_or(dom.len(), |(i, _)| at + i);
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom[at..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Undoes the entity escaping of serialized HTML text and attributes.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Undoes percent-encoding (deep links encode some characters of an operationId).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}
