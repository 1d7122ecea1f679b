//! The code's shape, as tests: files of one concept (a size cap), handlers that read like a table
//! of contents, and no import cycles between the modules of a crate.
//!
//! These hold what issue 22 set up, so that the next hundred operations copy a small pattern.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use crate::util::project_root;

    /// Past this a file usually holds more than one concept; split it by concept.
    const MAX_FILE_LINES: usize = 600;
    /// A handler resolves the caller, makes one store call and converts the answer.
    const MAX_HANDLER_BODY_LINES: usize = 15;
    /// Every crate's source folders whose modules must not import each other in a circle.
    const CRATES: [&str; 4] = ["server/src", "conformance/src", "xtask/src", "xtask/harness/src"];

    // What issue 22 has not yet reshaped. Each list may only shrink: a file, handler or cycle
    // that is fixed must leave it (the tests say so), and nothing new may join it.

    /// Hand-written files still over [`MAX_FILE_LINES`].
    const KNOWN_LONG_FILES: &[&str] = &["xtask/src/soak.rs"];
    /// Handlers (`file: method`) still over [`MAX_HANDLER_BODY_LINES`].
    const KNOWN_LONG_HANDLERS: &[&str] = &[];
    /// Modules of a crate (`crate: a, b, ...`) that still import each other in a circle.
    /// Fault injection names each family's operations (`faults/families.rs`, for `--fault`),
    /// and each family's error converter renders `faults::Injected`.
    const KNOWN_CYCLES: &[&str] = &[
        "server/src: cce, faults",
        "server/src: faults, glance",
        "server/src: faults, snowflake",
        "server/src: faults, swr",
    ];

    /// Fails when `found` is not exactly `known` (as sets), saying which way.
    #[track_caller]
    fn ratchet(what: &str, found: &[String], known: &[&str]) {
        let new: Vec<&String> = found.iter().filter(|f| !known.contains(&f.as_str())).collect();
        let fixed: Vec<&&str> = known.iter().filter(|k| !found.iter().any(|f| f == *k)).collect();
        assert!(new.is_empty(), "{what}: {new:#?}");
        assert!(
            fixed.is_empty(),
            "these are fixed; remove them from the list in layout.rs: {fixed:?}"
        );
    }

    fn rust_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("target") {
                out.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out.sort();
        out
    }

    fn shown(path: &Path) -> String {
        path.strip_prefix(project_root()).unwrap_or(path).display().to_string()
    }

    fn is_generated(text: &str) -> bool {
        text.starts_with("// @generated")
    }

    #[test]
    fn no_hand_written_file_is_over_the_cap() {
        let root = project_root();
        let long: Vec<String> = ["server", "conformance", "xtask"]
            .iter()
            .flat_map(|d| rust_files(&root.join(d)))
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).ok()?;
                (!is_generated(&text) && text.lines().count() > MAX_FILE_LINES).then(|| shown(&p))
            })
            .collect();
        ratchet(
            &format!("split these by concept (at most {MAX_FILE_LINES} lines each)"),
            &long,
            KNOWN_LONG_FILES,
        );
    }

    /// The methods of every `impl <Family>Api for` block, with the number of lines of each body.
    fn handler_bodies(text: &str) -> Vec<(String, usize)> {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        let mut in_impl = false;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if line.starts_with("impl ") && line.contains("Api for ") {
                in_impl = true;
            } else if in_impl && line == "}" {
                in_impl = false;
            } else if in_impl && line.trim_start().starts_with("async fn ") {
                let name = line.trim_start()["async fn ".len()..]
                    .split(['(', '<'])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                // The body starts after the line that ends the signature with `{`, and ends at
                // the method's closing brace, at the method's indentation.
                let indent = line.len() - line.trim_start().len();
                let open = (i..lines.len()).find(|&j| lines[j].ends_with('{')).unwrap_or(i);
                let close = (open + 1..lines.len())
                    .find(|&j| {
                        let l = lines[j];
                        l.len() - l.trim_start().len() == indent && l.trim_start() == "}"
                    })
                    .unwrap_or(open);
                out.push((name, close.saturating_sub(open + 1)));
                i = close;
            }
            i += 1;
        }
        out
    }

    #[test]
    fn handler_methods_read_like_a_table_of_contents() {
        let mut long = Vec::new();
        let mut seen = 0;
        for path in rust_files(&project_root().join("server/src")) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if is_generated(&text) {
                continue;
            }
            for (name, lines) in handler_bodies(&text) {
                seen += 1;
                if lines > MAX_HANDLER_BODY_LINES {
                    long.push(format!("{}: {name}", shown(&path)));
                }
            }
        }
        assert!(seen > 50, "found only {seen} handler methods; has the pattern changed?");
        ratchet(
            &format!(
                "these handlers do more than resolve the caller, call the store once and convert \
                 (at most {MAX_HANDLER_BODY_LINES} lines; rules go to store/, conversions to \
                 convert.rs)"
            ),
            &long,
            KNOWN_LONG_HANDLERS,
        );
    }

    #[test]
    fn the_handler_scan_sees_a_long_method() {
        let text = "impl GlanceApi for Glance {\n    async fn a(&self) -> R {\n        one();\n    }\n\n    async fn b(\n        &self,\n    ) -> R {\n        one();\n        two();\n        three();\n    }\n}\n";
        assert_eq!(handler_bodies(text), [("a".to_owned(), 1), ("b".to_owned(), 3)]);
    }

    /// A module's name inside its crate: `store/glance/list.rs` → `["store", "glance", "list"]`.
    fn module_path(src: &Path, file: &Path) -> Vec<String> {
        let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            parts.pop();
        }
        parts
    }

    /// The code of a file without comments and without its unit tests (a test module may use
    /// anything).
    fn code(text: &str) -> String {
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => &text[..at],
            None => text,
        };
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
    }

    /// Edges between sibling modules: `a` → `b` when a file under `a` names `crate::…::b` (or,
    /// as a sibling, `super::b`), where `a` and `b` share a parent. A parent and its own children
    /// are one concept and may refer to each other.
    fn edges(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let files = rust_files(src);
        let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(src, f)).collect();
        let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for file in &files {
            let from = module_path(src, file);
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for (anchor, names) in paths(&code(&text)) {
                let mut to: Vec<String> = match anchor {
                    Anchor::Crate => Vec::new(),
                    // `super` of `a/b.rs` (module a::b) is `a`; of `a/mod.rs` (module a), the root.
                    Anchor::Super => from[..from.len().saturating_sub(1)].to_vec(),
                };
                for name in names {
                    to.push(name);
                    if !modules.contains(&to) {
                        to.pop();
                        break;
                    }
                }
                // Compare at the level where the two paths part: sibling modules.
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common < from.len() && common < to.len() {
                    graph
                        .entry(from[..=common].to_vec())
                        .or_default()
                        .insert(to[..=common].to_vec());
                }
            }
        }
        graph
    }

    #[derive(Clone, Copy)]
    enum Anchor {
        Crate,
        Super,
    }

    /// Every path that starts at `crate::` or `super::` in `code`, as its segments, with the
    /// groups of `use` trees expanded (`crate::{a::B, c}` is `crate::a::B` and `crate::c`).
    fn paths(code: &str) -> Vec<(Anchor, Vec<String>)> {
        let start = regex::Regex::new(r"\b(crate|super)::").expect("a valid regex");
        let mut out = Vec::new();
        for m in start.find_iter(code) {
            let anchor =
                if m.as_str().starts_with("crate") { Anchor::Crate } else { Anchor::Super };
            tree(&code[m.end()..], Vec::new(), &mut |p| out.push((anchor, p)));
        }
        out
    }

    /// Reads one use tree at the start of `rest` (`a::b`, `a::{b, c::d}`), calling `emit` with
    /// each full path under `prefix`; returns how many bytes it read.
    fn tree(rest: &str, mut prefix: Vec<String>, emit: &mut dyn FnMut(Vec<String>)) -> usize {
        let mut at = 0;
        loop {
            let ident: String =
                rest[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if ident.is_empty() {
                if rest[at..].starts_with('{') {
                    at += 1;
                    loop {
                        let skip = rest[at..].len() - rest[at..].trim_start().len();
                        at += skip;
                        if rest[at..].starts_with('}') || at >= rest.len() {
                            return at + 1;
                        }
                        at += tree(&rest[at..], prefix.clone(), emit);
                        let skip = rest[at..].len() - rest[at..].trim_start().len();
                        at += skip;
                        if rest[at..].starts_with(',') {
                            at += 1;
                        }
                    }
                }
                emit(prefix);
                return at;
            }
            at += ident.len();
            prefix.push(ident);
            if rest[at..].starts_with("::") {
                at += 2;
            } else {
                emit(prefix);
                return at;
            }
        }
    }

    #[test]
    fn use_trees_are_expanded() {
        let got: Vec<String> = paths("use crate::{a::B, c::{d, e::F}};\nlet x = super::g::h(1);")
            .into_iter()
            .map(|(_, p)| p.join("::"))
            .collect();
        assert_eq!(got, ["a::B", "c::d", "c::e::F", "g::h"]);
    }

    /// A cycle in `graph`, if there is one.
    fn cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
        fn visit(
            node: &Vec<String>,
            graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
            done: &mut BTreeSet<Vec<String>>,
            stack: &mut Vec<Vec<String>>,
        ) -> Option<Vec<Vec<String>>> {
            if let Some(at) = stack.iter().position(|n| n == node) {
                return Some(stack[at..].to_vec());
            }
            if !done.insert(node.clone()) {
                return None;
            }
            stack.push(node.clone());
            for next in graph.get(node).into_iter().flatten() {
                if let Some(c) = visit(next, graph, done, stack) {
                    return Some(c);
                }
            }
            stack.pop();
            None
        }
        let mut done = BTreeSet::new();
        graph.keys().find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
    }

    #[test]
    fn no_import_cycle_between_modules_of_a_crate() {
        let mut found = Vec::new();
        for krate in CRATES {
            let mut graph = edges(&project_root().join(krate));
            // Each cycle found is recorded and one of its edges dropped, until none is left.
            while let Some(c) = cycle(&graph) {
                let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
                found.push(format!("{krate}: {}", names.join(", ")));
                let (from, to) = (&c[0], &c[1 % c.len()]);
                if let Some(next) = graph.get_mut(from) {
                    next.remove(to);
                }
            }
        }
        ratchet("these modules import each other in a circle", &found, KNOWN_CYCLES);
    }

    #[test]
    fn the_cycle_check_finds_a_cycle() {
        let m = |s: &str| vec![s.to_owned()];
        let mut g = BTreeMap::new();
        g.insert(m("a"), BTreeSet::from([m("b")]));
        g.insert(m("b"), BTreeSet::from([m("c")]));
        assert_eq!(cycle(&g), None);
        g.insert(m("c"), BTreeSet::from([m("a")]));
        assert_eq!(cycle(&g).map(|c| c.len()), Some(3));
    }
}
