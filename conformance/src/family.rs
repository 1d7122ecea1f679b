//! The four API families by short name, and each one's built-in spec. What a run does for a
//! family (its suite, its sessions, its credentials) is in `families`; its checks are in
//! `checks`; both build on this leaf.

use std::str::FromStr;

/// The four families, by short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Glance,
    Swr,
    Cce,
    Snowflake,
}

impl Family {
    /// Every family, in the order docs/checks.md documents them.
    pub const ALL: [Family; 4] = [Family::Glance, Family::Swr, Family::Cce, Family::Snowflake];

    pub fn name(self) -> &'static str {
        match self {
            Family::Glance => "glance",
            Family::Swr => "swr",
            Family::Cce => "cce",
            Family::Snowflake => "snowflake",
        }
    }

    /// The built-in spec (`specs/<family>.yaml`).
    pub fn builtin_spec(self) -> &'static str {
        match self {
            Family::Glance => include_str!("../../specs/glance.yaml"),
            Family::Swr => include_str!("../../specs/swr.yaml"),
            Family::Cce => include_str!("../../specs/cce.yaml"),
            Family::Snowflake => include_str!("../../specs/snowflake.yaml"),
        }
    }
}

impl FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown family `{s}`; expected glance, swr, cce or snowflake"))
    }
}
