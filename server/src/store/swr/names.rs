//! SWR's naming rules for organizations (namespaces), repositories and tags, as the vendor
//! documents them (seed 001 and reference §2.1).

use std::sync::LazyLock;

use regex::Regex;

/// 1–64 characters; a lowercase letter first; lowercase letters and digits joined by a single
/// `.`, a single `_`, exactly `__`, or a run of `-`; a letter or digit last.
static NAMESPACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z][a-z0-9]*(?:(?:[._]|__|-+)[a-z0-9]+)*$").expect("valid pattern")
});

/// 1–128 characters; like a namespace, but it may start with a digit and `/` is a separator.
static REPOSITORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:(?:[./_]|__|-+)[a-z0-9]+)*$").expect("valid pattern")
});

/// Docker's tag rule (SWR documents none of its own).
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$").expect("valid pattern"));

pub fn valid_namespace(name: &str) -> bool {
    (1..=64).contains(&name.len()) && NAMESPACE.is_match(name)
}

pub fn valid_repository(name: &str) -> bool {
    (1..=128).contains(&name.len()) && REPOSITORY.is_match(name)
}

pub fn valid_tag(name: &str) -> bool {
    TAG.is_match(name)
}

/// A repository name as it arrives in a path segment (already percent-decoded): `$` stands
/// for `/`.
pub fn repository_from_path(segment: &str) -> String {
    segment.replace('$', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_rule_follows_the_seed() {
        for good in ["a", "probe-ns", "a.b", "a_b", "a__b", "a--b", "a1", "x".repeat(64).as_str()] {
            assert!(valid_namespace(good), "{good}");
        }
        for bad in [
            "",
            "1a",
            "-a",
            "a-",
            "a.",
            "A",
            "aB",
            "a___b",
            "a._b",
            "a-.b",
            "a/b",
            "a b",
            "x".repeat(65).as_str(),
        ] {
            assert!(!valid_namespace(bad), "{bad}");
        }
    }

    #[test]
    fn repository_rule_allows_slashes_and_leading_digits() {
        for good in ["busybox", "team/busybox", "1abc", "a.b/c_d__e--f"] {
            assert!(valid_repository(good), "{good}");
        }
        for bad in ["", "/a", "a/", "a//b", "a/.b", "Busy", "a___b", "a$b", &"x".repeat(129)] {
            assert!(!valid_repository(bad), "{bad}");
        }
        assert_eq!(repository_from_path("team$busybox"), "team/busybox");
    }

    #[test]
    fn tag_rule_is_dockers() {
        assert!(valid_tag("v1") && valid_tag("V1.0-rc_2") && valid_tag("_x"));
        assert!(
            !valid_tag("") && !valid_tag(".v") && !valid_tag("a:b") && !valid_tag(&"t".repeat(129))
        );
    }
}
