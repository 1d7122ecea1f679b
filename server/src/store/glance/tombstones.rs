//! The ids of deleted Glance images, kept so that none is ever handed out again (Glance's soft
//! delete keeps the row, and OSSN-0075 is why it is never purged by default), at a few dozen
//! bytes each instead of the whole image record.
//!
//! A deleted image leaves the table and its indices, so a long create/delete load neither grows
//! memory by a record per deletion nor makes listings walk past deleted rows: what stays is its
//! id, as 16 bytes when it is in the canonical lowercase 8-4-4-4-12 form (every id the server
//! generates, and what clients send), as text otherwise (any other spelling is a different key
//! of the table, so it must stay one here too).

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones {
    canonical: BTreeSet<u128>,
    other: BTreeSet<Box<str>>,
}

/// The id as a number when it is a lowercase hyphenated UUID, the form that prints back as itself.
fn canonical(id: &str) -> Option<u128> {
    if id.len() != 36 || id.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid::Uuid::try_parse(id).ok().map(|u| u.as_u128())
}

impl Tombstones {
    pub fn insert(&mut self, id: &str) {
        match canonical(id) {
            Some(n) => self.canonical.insert(n),
            None => self.other.insert(id.into()),
        };
    }

    pub fn contains(&self, id: &str) -> bool {
        match canonical(id) {
            Some(n) => self.canonical.contains(&n),
            None => self.other.contains(id),
        }
    }

    pub fn len(&self) -> usize {
        self.canonical.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every id, sorted as text.
    pub fn ids(&self) -> Vec<String> {
        let numbers = self.canonical.iter().map(|n| uuid::Uuid::from_u128(*n).to_string());
        let mut ids: Vec<String> =
            numbers.chain(self.other.iter().map(|s| s.to_string())).collect();
        ids.sort_unstable();
        ids
    }
}

/// Saved as the sorted list of ids.
impl Serialize for Tombstones {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.ids())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_is_its_own_id() {
        let mut t = Tombstones::default();
        let id = "0b5c4d3e-1f2a-4b6c-8d7e-9f0a1b2c3d4e";
        t.insert(id);
        t.insert("not-a-uuid");
        t.insert(&id.to_uppercase());
        assert!(t.contains(id));
        assert!(t.contains("not-a-uuid"));
        assert!(t.contains(&id.to_uppercase()));
        assert!(!t.contains("0b5c4d3e1f2a4b6c8d7e9f0a1b2c3d4e"), "the simple form is another key");
        assert!(!t.contains("0b5c4d3e-1f2a-4b6c-8d7e-9f0a1b2c3d4f"));
        assert_eq!(t.len(), 3);
        assert_eq!(t.ids(), [id.to_uppercase().as_str(), id, "not-a-uuid"]);
        assert_eq!(
            serde_json::to_value(&t).expect("serialized"),
            serde_json::json!([id.to_uppercase(), id, "not-a-uuid"])
        );
    }
}
