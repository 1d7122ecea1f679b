//! The registry of checks: every id the tester can report, with the family that reports it
//! (none: a run over any family does) and the phase that reports it. The `--check` patterns
//! select among them (an id such as `C104`, or a prefix ending in `*` such as `SWR-*`), a phase
//! runs only if one of its checks is selected, and docs/checks.md documents exactly these ids
//! (tests below hold the registry equal to the documentation and to the ids the code reports).

use crate::family::Family;

/// The part of a run that reports a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The spec's own schema could not be used on a response (`C000`, a tester problem):
    /// reported on any exchange, never a reason to run a phase.
    Spec,
    /// Every exchange of every phase (the response checks).
    Response,
    /// The undeclared-methods probe (`methods`).
    Methods,
    /// The spec-driven fuzzing (`fuzz`).
    Fuzz,
    /// A family's semantic suite (`families`).
    Suite,
}

/// One check id and who reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    /// `None`: runs over every family report it.
    pub family: Option<Family>,
    pub phase: Phase,
}

/// Every check, in the order docs/checks.md documents them.
pub const REGISTRY: &[Check] = &[
    every("C000", Phase::Spec),
    every("C100", Phase::Response),
    every("C101", Phase::Response),
    every("C102", Phase::Response),
    every("C103", Phase::Response),
    every("C104", Phase::Response),
    every("C105", Phase::Response),
    every("C108", Phase::Methods),
    every("C107", Phase::Fuzz),
    every("C110", Phase::Fuzz),
    suite(Family::Glance, "C106"),
    suite(Family::Glance, "C109"),
    suite(Family::Glance, "GLANCE-S01"),
    suite(Family::Glance, "GLANCE-S02"),
    suite(Family::Glance, "GLANCE-S03"),
    suite(Family::Glance, "GLANCE-S04"),
    suite(Family::Glance, "GLANCE-S05"),
    suite(Family::Glance, "GLANCE-S06"),
    suite(Family::Glance, "GLANCE-S07"),
    suite(Family::Glance, "GLANCE-S08"),
    suite(Family::Glance, "GLANCE-S09"),
    suite(Family::Glance, "GLANCE-S10"),
    suite(Family::Swr, "SWR-S01"),
    suite(Family::Swr, "SWR-S02"),
    suite(Family::Swr, "SWR-S03"),
    suite(Family::Swr, "SWR-S04"),
    suite(Family::Swr, "SWR-S05"),
    suite(Family::Swr, "SWR-S06"),
    suite(Family::Swr, "SWR-S07"),
    suite(Family::Swr, "SWR-S08"),
    suite(Family::Swr, "SWR-S09"),
    suite(Family::Swr, "SWR-S10"),
    suite(Family::Cce, "CCE-S01"),
    suite(Family::Cce, "CCE-S02"),
    suite(Family::Cce, "CCE-S03"),
    suite(Family::Cce, "CCE-S04"),
    suite(Family::Cce, "CCE-S05"),
    suite(Family::Cce, "CCE-S06"),
    suite(Family::Cce, "CCE-S07"),
    suite(Family::Snowflake, "SF-S01"),
    suite(Family::Snowflake, "SF-S02"),
    suite(Family::Snowflake, "SF-S03"),
    suite(Family::Snowflake, "SF-S04"),
    suite(Family::Snowflake, "SF-S05"),
    suite(Family::Snowflake, "SF-S06"),
    suite(Family::Snowflake, "SF-S07"),
    suite(Family::Snowflake, "SF-S08"),
    suite(Family::Snowflake, "SF-S09"),
];

/// Every check id, in the registry's order.
pub fn all() -> Vec<&'static str> {
    REGISTRY.iter().map(|c| c.id).collect()
}

/// The ids of the checks of `phase` that runs over every family report.
pub fn of_phase(phase: Phase) -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().filter(move |c| c.phase == phase && c.family.is_none()).map(|c| c.id)
}

/// The ids of the checks only `family` reports (its suite's, and Glance's image schema checks).
pub fn of_family(family: Family) -> Vec<&'static str> {
    REGISTRY.iter().filter(|c| c.family == Some(family)).map(|c| c.id).collect()
}

/// The ids a run over `families` can report: the checks of every family, then theirs.
pub fn reported_for(families: &[Family]) -> Vec<&'static str> {
    let mut ids: Vec<&str> = REGISTRY.iter().filter(|c| c.family.is_none()).map(|c| c.id).collect();
    for family in families {
        ids.extend(of_family(*family));
    }
    ids
}

/// Whether `pattern` selects the check `id`.
pub fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// A `--check` pattern that selects no check the run can report: a run with it would silently
/// check less.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{pattern}` matches no check id of the families tested ({families}): an id such as C104, or \
     a prefix ending in `*` such as SWR-*; docs/checks.md lists every id and its family"
)]
pub struct UnknownCheck {
    pub pattern: String,
    pub families: String,
}

/// Refuses the first pattern that matches no check a run over `families` can report.
pub fn validate(patterns: &[String], families: &[Family]) -> Result<(), UnknownCheck> {
    let ids = reported_for(families);
    match patterns.iter().find(|p| !ids.iter().any(|id| matches(p, id))) {
        Some(p) => Err(UnknownCheck {
            pattern: p.clone(),
            families: families.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

/// A check that runs over every family report.
const fn every(id: &'static str, phase: Phase) -> Check {
    Check { id, family: None, phase }
}

/// A check of `family`'s semantic suite.
const fn suite(family: Family, id: &'static str) -> Check {
    Check { id, family: Some(family), phase: Phase::Suite }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn patterns_that_match_a_check_are_accepted_and_others_refused() {
        for ok in [&["C104"][..], &["SWR-*", "C10*"], &["*"], &["C000"], &["SF-S09"], &[]] {
            assert_eq!(validate(&strings(ok), &Family::ALL), Ok(()), "{ok:?}");
        }
        // Another family's suite is nothing a run over CCE can report.
        let cce = [Family::Cce];
        assert_eq!(validate(&strings(&["CCE-*", "C108"]), &cce), Ok(()));
        for other in ["SWR-*", "GLANCE-S01", "C106"] {
            let refused = validate(&strings(&[other]), &cce).expect_err("refused");
            assert_eq!((refused.pattern.as_str(), refused.families.as_str()), (other, "cce"));
        }
        for (bad, first) in [
            (&["C104", "C1O4"][..], "C1O4"),
            (&["swr-*"], "swr-*"),
            (&["GLANCE-S99"], "GLANCE-S99"),
            (&["SWR-S0"], "SWR-S0"),
            (&["C1*4"], "C1*4"),
            (&[""], ""),
        ] {
            let refused = validate(&strings(bad), &Family::ALL).expect_err("refused");
            assert_eq!(refused.pattern, first, "{bad:?}");
        }
    }

    /// Whether `s` has the shape of a check id: `C` and three digits, or `FAMILY-S` and two.
    fn looks_like_id(s: &str) -> bool {
        let digits = |d: &str, n: usize| d.len() == n && d.bytes().all(|b| b.is_ascii_digit());
        match s.split_once("-S") {
            Some((family, n)) => {
                !family.is_empty() && family.bytes().all(|b| b.is_ascii_uppercase()) && digits(n, 2)
            }
            None => s.strip_prefix('C').is_some_and(|n| digits(n, 3)),
        }
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("reads src/") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every string literal of the sources that looks like a check id, with the first file that
    /// uses it. This file is left out: its tests name ids that do not exist.
    fn ids_in_code() -> BTreeMap<String, PathBuf> {
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        files.retain(|f| !f.ends_with("src/checks.rs"));
        assert!(files.len() > 20, "found the sources: {files:?}");
        let mut ids = BTreeMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("reads");
            for literal in text.split('"').filter(|s| looks_like_id(s)) {
                ids.entry(literal.to_owned()).or_insert_with(|| file.clone());
            }
        }
        ids
    }

    /// No module reports an id the list leaves out (a check `--check` could not select).
    #[test]
    fn every_id_in_the_code_is_listed() {
        let known: BTreeSet<&str> = all().into_iter().collect();
        for (literal, file) in ids_in_code() {
            assert!(
                known.contains(literal.as_str()),
                "{} uses {literal}, not listed",
                file.display()
            );
        }
    }

    /// No listed (and documented) id is one that no module reports.
    #[test]
    fn every_listed_id_is_in_the_code() {
        let used = ids_in_code();
        for id in all() {
            assert!(used.contains_key(id), "{id} is listed, but no source file reports it");
        }
    }

    /// The ids docs/checks.md gives anchors to, in document order, each with the `## ` heading
    /// of its section.
    fn documented() -> Vec<(String, String)> {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/checks.md");
        let text = std::fs::read_to_string(docs).expect("reads docs/checks.md");
        let mut out = Vec::new();
        let mut heading = String::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                heading = h.to_owned();
            }
            for rest in line.split(r#"<a id=""#).skip(1) {
                let id = rest.split_once('"').map_or(rest, |(id, _)| id);
                out.push((heading.clone(), id.to_owned()));
            }
        }
        out
    }

    #[test]
    fn the_list_is_what_docs_checks_md_documents() {
        let documented: BTreeSet<String> = documented().into_iter().map(|(_, id)| id).collect();
        let documented: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
        let listed: BTreeSet<&str> = all().into_iter().collect();
        assert_eq!(listed, documented);
        assert_eq!(all().len(), listed.len(), "an id is listed twice: {:?}", all());
    }

    /// docs/checks.md documents the registry in its order, each check in the section of its
    /// phase (a family's suite: the family's section), so the documentation is checked from the
    /// registry and not only against it.
    #[test]
    fn docs_checks_md_documents_each_check_in_order_and_in_its_section() {
        let documented = documented();
        let ids: Vec<&str> = documented.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, all(), "docs/checks.md lists the ids in another order than REGISTRY");
        for (check, (heading, _)) in REGISTRY.iter().zip(&documented) {
            assert_eq!(check.family.is_some(), check.phase == Phase::Suite, "{check:?}");
            let section = match (check.phase, check.family) {
                (Phase::Spec | Phase::Response, _) => "Response checks".to_owned(),
                (Phase::Methods, _) => "Undeclared methods".to_owned(),
                (Phase::Fuzz, _) => "Fuzzing".to_owned(),
                (Phase::Suite, family) => {
                    format!("(`--family {}`)", family.map_or("", Family::name))
                }
            };
            assert!(
                heading.contains(&section),
                "{} is documented under `## {heading}`, not in the section with `{section}`",
                check.id
            );
        }
    }

    /// Each family's suite checks are what a run over it can report besides everyone's.
    #[test]
    fn a_family_reports_its_own_checks_and_everyones() {
        for family in Family::ALL {
            let own = of_family(family);
            assert!(!own.is_empty(), "{family:?}");
            let reported = reported_for(&[family]);
            assert!(own.iter().all(|id| reported.contains(id)), "{family:?}");
            let others = Family::ALL.into_iter().filter(|f| *f != family).flat_map(of_family);
            assert!(others.into_iter().all(|id| !reported.contains(&id)), "{family:?}");
        }
        // `C000` is reported on any exchange but is no response check: selecting it alone runs
        // no phase.
        let response: Vec<&str> = of_phase(Phase::Response).collect();
        assert_eq!(response, ["C100", "C101", "C102", "C103", "C104", "C105"]);
    }
}
