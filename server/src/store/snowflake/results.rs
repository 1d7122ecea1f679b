//! Deferred results: what an operation answered, held under an opaque handle for the caller who
//! sent it, released after a number of polls and split into pages.
//!
//! The operation itself has already run when its result is stored; the handle only decides when
//! the caller may see the outcome, so the protocol is deterministic and tests never sleep.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

/// How many deferred results are kept; the oldest is forgotten first.
pub const KEPT: usize = 1024;

/// One stored outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    /// Who may read it (account and principal).
    pub owner: String,
    /// The operation's HTTP status.
    pub status: u16,
    /// The body split into pages (one page unless the result was large).
    pub pages: Vec<Value>,
    /// How many more polls answer "still running".
    pub polls_left: u32,
}

/// What a poll of a stored result finds.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    Running,
    Done { status: u16, body: Value, page: usize, pages: usize },
}

/// Every deferred result, by handle.
#[derive(Debug, Default)]
pub struct Results {
    by_handle: BTreeMap<String, Deferred>,
    order: VecDeque<String>,
}

impl Results {
    /// Stores a result and returns its new handle.
    pub fn put(&mut self, result: Deferred) -> String {
        let handle = uuid::Uuid::new_v4().to_string();
        if self.order.len() >= KEPT
            && let Some(old) = self.order.pop_front()
        {
            self.by_handle.remove(&old);
        }
        self.order.push_back(handle.clone());
        self.by_handle.insert(handle.clone(), result);
        handle
    }

    /// One poll of `page` of `handle` by `owner`; `None` when there is no such result (for
    /// that owner) or no such page.
    pub fn poll(&mut self, owner: &str, handle: &str, page: usize) -> Option<Poll> {
        let r = self.by_handle.get_mut(handle).filter(|r| r.owner == owner)?;
        if r.polls_left > 0 {
            r.polls_left -= 1;
            return Some(Poll::Running);
        }
        let body = r.pages.get(page)?.clone();
        Some(Poll::Done { status: r.status, body, page, pages: r.pages.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_are_released_after_their_polls_to_their_owner_only() {
        let mut results = Results::default();
        let pages = vec![json!([1, 2]), json!([3])];
        let h = results.put(Deferred { owner: "a".into(), status: 200, pages, polls_left: 1 });
        assert_eq!(results.poll("b", &h, 0), None);
        assert_eq!(results.poll("a", &h, 0), Some(Poll::Running));
        assert_eq!(
            results.poll("a", &h, 1),
            Some(Poll::Done { status: 200, body: json!([3]), page: 1, pages: 2 })
        );
        assert_eq!(results.poll("a", &h, 2), None);
        assert_eq!(results.poll("a", "nope", 0), None);
    }
}
