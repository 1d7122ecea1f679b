//! SWR organizations (namespaces): created by an account in one region, unique there across
//! accounts, limited per account, deleted only when empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::query::{parse_filter, pick};
use super::{Actor, Repo, Result, SwrState, SwrStoreError, checked_namespace};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    pub id: u64,
    /// The owning account.
    pub account: String,
    pub creator_name: String,
    /// By name, with a real `/` where the name has one.
    #[serde(default)]
    pub repos: BTreeMap<String, Repo>,
}

impl SwrState {
    pub fn create_namespace(
        &mut self,
        region: &str,
        actor: &Actor,
        name: &str,
    ) -> Result<Namespace> {
        checked_namespace(name)?;
        let quota = self.namespace_quota;
        let r = self.region(region)?;
        if r.namespaces.contains_key(name) {
            return Err(SwrStoreError::NamespaceExists(name.to_owned()));
        }
        if r.namespaces.values().filter(|ns| ns.account == actor.account).count() >= quota {
            return Err(SwrStoreError::QuotaExceeded(quota));
        }
        let ns = Namespace {
            id: self.next_id(),
            account: actor.account.clone(),
            creator_name: actor.user.clone(),
            repos: BTreeMap::new(),
        };
        self.region_mut(region)?.namespaces.insert(name.to_owned(), ns.clone());
        Ok(ns)
    }

    /// The caller's namespaces by name, narrowed by `namespace` or the filter's
    /// `namespace::`; `mode::visible` changes nothing (there are no repository-level grants).
    pub fn list_namespaces(
        &self,
        region: &str,
        actor: &Actor,
        namespace: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Vec<(String, Namespace)>> {
        let pairs = parse_filter(filter, &["namespace", "mode"])?;
        if let Some(mode) = pick(&pairs, "mode", None)
            && !mode.is_empty()
            && mode != "visible"
        {
            return Err(SwrStoreError::InvalidParameter(format!("mode `{mode}` is not visible")));
        }
        let wanted = pick(&pairs, "namespace", namespace).filter(|n| !n.is_empty());
        Ok(self
            .region(region)?
            .namespaces
            .iter()
            .filter(|(name, ns)| ns.account == actor.account && wanted.is_none_or(|w| w == *name))
            .map(|(name, ns)| (name.clone(), ns.clone()))
            .collect())
    }

    pub fn show_namespace(&self, region: &str, actor: &Actor, name: &str) -> Result<Namespace> {
        self.namespace(region, actor, name).cloned()
    }

    pub fn delete_namespace(&mut self, region: &str, actor: &Actor, name: &str) -> Result<()> {
        if !self.namespace(region, actor, name)?.repos.is_empty() {
            return Err(SwrStoreError::NamespaceNotEmpty(name.to_owned()));
        }
        self.region_mut(region)?.namespaces.remove(name);
        Ok(())
    }
}
