//! The API families and their stateful semantic suites; each suite creates its resources under
//! a recognisable prefix and removes them again, so it runs against empty and populated targets.

pub mod cce;
pub mod glance;
pub mod snowflake;
pub mod swr;

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

    /// The ids of the checks only this family reports (its suite's, and Glance's image schema
    /// checks).
    pub fn checks(self) -> &'static [&'static str] {
        match self {
            Family::Glance => &glance::CHECKS,
            Family::Swr => &swr::CHECKS,
            Family::Cce => &cce::CHECKS,
            Family::Snowflake => &snowflake::CHECKS,
        }
    }

    /// The built-in spec (`specs/<family>.yaml`).
    pub fn builtin_spec(self) -> &'static str {
        match self {
            Family::Glance => include_str!("../../../specs/glance.yaml"),
            Family::Swr => include_str!("../../../specs/swr.yaml"),
            Family::Cce => include_str!("../../../specs/cce.yaml"),
            Family::Snowflake => include_str!("../../../specs/snowflake.yaml"),
        }
    }
}

impl FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "glance" => Ok(Family::Glance),
            "swr" => Ok(Family::Swr),
            "cce" => Ok(Family::Cce),
            "snowflake" => Ok(Family::Snowflake),
            other => {
                Err(format!("unknown family `{other}`; expected glance, swr, cce or snowflake"))
            }
        }
    }
}
