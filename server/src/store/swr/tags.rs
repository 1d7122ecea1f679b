//! SWR image tags: names in a repository pointing at an image (digest and manifest); listed
//! with SWR's filter, sort and paging rules, deleted, and copied under a second name (retag).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::query::{Page, descending, parse_filter, pick};
use super::{Actor, Result, SwrState, SwrStoreError, names};

/// One tag: a name pointing at an image (its digest and manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub id: u64,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default = "empty_manifest")]
    pub manifest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

fn empty_manifest() -> String {
    "{}".to_owned()
}

/// What a tag listing asks for; every value as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct TagQuery {
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub order_column: Option<String>,
    pub order_type: Option<String>,
    pub tag: Option<String>,
    pub filter: Option<String>,
}

/// What `retag` asks for: give the image of `source` the name `destination`.
#[derive(Debug, Clone)]
pub struct Retag {
    pub source: String,
    pub destination: String,
    /// Whether an existing `destination` moves to the new image.
    pub override_: bool,
}

impl SwrState {
    /// One page of a repository's tags and its `Content-Range`.
    pub fn list_tags(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        q: &TagQuery,
    ) -> Result<(Vec<(String, Tag)>, String)> {
        let pairs = parse_filter(
            q.filter.as_deref(),
            &["offset", "limit", "order_column", "order_type", "tag"],
        )?;
        let page = Page::parse(
            pick(&pairs, "offset", q.offset.as_deref()),
            pick(&pairs, "limit", q.limit.as_deref()),
        )?;
        let desc = descending(pick(&pairs, "order_type", q.order_type.as_deref()))?;
        let column =
            pick(&pairs, "order_column", q.order_column.as_deref()).unwrap_or("updated_at");
        let contains = pick(&pairs, "tag", q.tag.as_deref()).filter(|v| !v.is_empty());
        let r = self.repo(region, actor, ns, repo)?;
        let mut tags: Vec<(String, Tag)> = r
            .tags
            .iter()
            .filter(|(name, _)| contains.is_none_or(|c| name.contains(c)))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        match column {
            "updated_at" => tags.sort_by(|a, b| (a.1.updated, &a.0).cmp(&(b.1.updated, &b.0))),
            "tag" => tags.sort_by(|a, b| a.0.cmp(&b.0)),
            other => {
                return Err(SwrStoreError::InvalidParameter(format!(
                    "order_column `{other}` is not one of updated_at, tag"
                )));
            }
        }
        if desc {
            tags.reverse();
        }
        Ok(page.apply(tags))
    }

    pub fn show_tag(
        &self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
    ) -> Result<Tag> {
        self.repo(region, actor, ns, repo)?
            .tags
            .get(tag)
            .cloned()
            .ok_or_else(|| SwrStoreError::TagNotFound(tag.to_owned()))
    }

    pub fn delete_tag(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let r = self.repo_mut(region, actor, ns, repo)?;
        r.tags.remove(tag).ok_or_else(|| SwrStoreError::TagNotFound(tag.to_owned()))?;
        r.updated = now;
        Ok(())
    }

    /// Gives the image of `source` a second tag; an existing destination moves only with
    /// `override`.
    pub fn retag(
        &mut self,
        region: &str,
        actor: &Actor,
        ns: &str,
        repo: &str,
        retag: &Retag,
        now: OffsetDateTime,
    ) -> Result<()> {
        let Retag { source, destination, override_ } = retag;
        if !names::valid_tag(destination) {
            return Err(SwrStoreError::InvalidTag(destination.clone()));
        }
        let r = self.repo(region, actor, ns, repo)?;
        let image = r.tags.get(source).ok_or_else(|| SwrStoreError::TagNotFound(source.clone()))?;
        if r.tags.contains_key(destination) && !override_ {
            return Err(SwrStoreError::RepositoryExists(format!("{repo}:{destination}")));
        }
        let (digest, size, manifest) = (image.digest.clone(), image.size, image.manifest.clone());
        let id = self.next_id();
        let r = self.repo_mut(region, actor, ns, repo)?;
        let created = r.tags.get(destination).map_or(now, |t| t.created);
        let id = r.tags.get(destination).map_or(id, |t| t.id);
        r.tags
            .insert(destination.clone(), Tag { id, digest, size, manifest, created, updated: now });
        r.updated = now;
        Ok(())
    }
}
