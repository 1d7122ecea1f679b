//! The families a rule may name, with their operations: the one place fault injection names a
//! family. It reads only their generated contracts, which import nothing back; the table is
//! static because `--fault` is parsed (and checked) before any family's stack exists.

use crate::contract::Contract;

/// A family as rules see it.
struct Family {
    name: &'static str,
    contract: &'static Contract,
    /// Whether it has a 202 protocol, which `async` faults ask for ([`super::Deferred`]).
    defers: bool,
}

/// In the order an unknown operation's message lists their operations.
static FAMILIES: [Family; 4] = [
    Family { name: "glance", contract: &crate::glance::generated::api::CONTRACT, defers: false },
    Family { name: "swr", contract: &crate::swr::generated::api::CONTRACT, defers: false },
    Family { name: "cce", contract: &crate::cce::generated::api::CONTRACT, defers: false },
    Family {
        name: "snowflake",
        contract: &crate::snowflake::generated::api::CONTRACT,
        defers: true,
    },
];

pub(super) fn is_family(name: &str) -> bool {
    FAMILIES.iter().any(|f| f.name == name)
}

/// The operation ids of `family`, or of every family for `*`.
pub(super) fn operations(family: &str) -> impl Iterator<Item = &'static str> + '_ {
    FAMILIES
        .iter()
        .filter(move |f| family == "*" || f.name == family)
        .flat_map(|f| f.contract.operations.iter().map(|op| op.id))
}

/// Whether `family` (not `*`) can answer an `async` fault.
pub(super) fn defers(family: &str) -> bool {
    FAMILIES.iter().any(|f| f.name == family && f.defers)
}
