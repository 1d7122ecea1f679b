//! SWR's records ↔ wire models: request bodies and queries as the store's requests, and stored
//! namespaces, repositories, tags, rules and jobs as the models clients read, with the paths
//! and timestamps the real service writes.

use time::{OffsetDateTime, macros::format_description};

use super::generated::api::{ListReposDetailsParams, ListRepositoryTagsParams};
use super::generated::models::*;
use crate::contract::{to_i64, wire};
use crate::store::swr::{self as store, Actor, JobStatus, RepoView, TagPage};

pub fn new_repo(body: CreateRepoRequestBody) -> store::NewRepo {
    store::NewRepo {
        name: body.repository,
        is_public: body.is_public,
        category: wire(body.category),
        description: body.description,
    }
}

pub fn repo_update(body: UpdateRepoRequestBody) -> store::RepoUpdate {
    store::RepoUpdate {
        is_public: body.is_public,
        category: wire(body.category),
        description: body.description,
    }
}

pub fn manual_sync(body: CreateManualImageSyncRepoRequestBody) -> store::ManualSync {
    store::ManualSync {
        tags: body.image_tag,
        override_: body.override_,
        remote_namespace: body.remote_namespace,
        remote_region: body.remote_region_id,
    }
}

pub fn auto_sync(body: CreateImageSyncRepoRequestBody) -> store::AutoSync {
    store::AutoSync {
        remote_region: body.remote_region_id,
        remote_namespace: body.remote_namespace,
        sync_auto: body.sync_auto,
        override_: body.override_,
    }
}

pub fn retag(body: CreateRepoTagRequestBody) -> store::Retag {
    store::Retag {
        source: body.source_tag,
        destination: body.destination_tag,
        override_: body.override_,
    }
}

pub fn repo_query(p: &ListReposDetailsParams) -> store::RepoQuery {
    store::RepoQuery {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        category: wire(p.category),
        limit: p.limit.clone(),
        offset: p.offset.clone(),
        order_column: p.order_column.clone(),
        order_type: wire(p.order_type),
        filter: p.filter.clone(),
    }
}

pub fn tag_query(p: &ListRepositoryTagsParams) -> store::TagQuery {
    store::TagQuery {
        limit: p.limit.clone(),
        offset: p.offset.clone(),
        order_column: p.order_column.clone(),
        order_type: wire(p.order_type),
        tag: p.tag.clone(),
        filter: p.filter.clone(),
    }
}

pub fn namespaces(list: &[(String, store::Namespace)]) -> ListNamespacesResponse {
    ListNamespacesResponse {
        namespaces: list.iter().map(|(name, ns)| namespace(name, ns)).collect(),
    }
}

pub fn namespace(name: &str, ns: &store::Namespace) -> ShowNamespace {
    ShowNamespace {
        auth: 7,
        creator_name: ns.creator_name.clone(),
        id: to_i64(ns.id),
        name: name.into(),
    }
}

pub fn repository(region: &str, v: &RepoView) -> ShowRepositoryResponse {
    let r = &v.repo;
    ShowRepositoryResponse {
        category: r.category.clone(),
        created: stamp(r.created),
        creator_id: Some(r.creator_name.clone()),
        creator_name: Some(r.creator_name.clone()),
        description: r.description.clone(),
        domain_id: Some(v.account.clone()),
        id: to_i64(r.id),
        internal_path: internal_path(v),
        is_public: r.is_public,
        name: v.name.clone(),
        ns_id: to_i64(v.ns_id),
        num_download: to_i64(r.num_download),
        num_images: to_i64(r.tags.len() as u64),
        path: path(region, v),
        priority: Some(0),
        size: to_i64(r.tags.values().map(|t| t.size).sum()),
        updated: stamp(r.updated),
        url: Some(String::new()),
    }
}

/// A page of repositories; each carries the total of the `Content-Range`.
pub fn repositories(region: &str, views: &[RepoView], range: &str) -> Vec<ShowReposResp> {
    let total = range.rsplit('/').next().and_then(|t| t.parse().ok());
    views.iter().map(|v| listed_repository(region, v, total)).collect()
}

fn listed_repository(region: &str, v: &RepoView, total: Option<i64>) -> ShowReposResp {
    let r = &v.repo;
    ShowReposResp {
        category: r.category.clone(),
        created_at: stamp(r.created),
        description: r.description.clone(),
        domain_name: Some(r.creator_name.clone()),
        internal_path: internal_path(v),
        is_public: r.is_public,
        logo: Some(String::new()),
        name: v.name.clone(),
        namespace: v.namespace.clone(),
        num_download: to_i64(r.num_download),
        num_images: to_i64(r.tags.len() as u64),
        path: path(region, v),
        size: to_i64(r.tags.values().map(|t| t.size).sum()),
        status: Some(false),
        tags: r.tags.keys().cloned().collect(),
        total_range: total,
        updated_at: stamp(r.updated),
        url: Some(String::new()),
    }
}

pub fn tag(region: &str, v: &RepoView, name: &str, t: &store::Tag) -> ShowRepoTagResponse {
    ShowRepoTagResponse {
        created: stamp(t.created),
        digest: t.digest.clone(),
        domain_id: Some(v.account.clone()),
        id: Some(to_i64(t.id)),
        image_id: Some(t.digest.clone()),
        internal_path: format!("{}:{name}", internal_path(v)),
        is_trusted: Some(false),
        manifest: Some(t.manifest.clone()),
        path: format!("{}:{name}", path(region, v)),
        repo_id: Some(to_i64(v.repo.id)),
        schema: Some(2),
        size: to_i64(t.size),
        tag: name.to_owned(),
        tag_type: Some(0),
        updated: stamp(t.updated),
    }
}

/// A page of tags as the listing shows them: the shown tag's fields and two of its own.
pub fn tags(region: &str, page: &TagPage) -> Vec<ShowReposTagResp> {
    page.tags.iter().map(|(name, t)| listed_tag(tag(region, &page.repo, name, t))).collect()
}

fn listed_tag(s: ShowRepoTagResponse) -> ShowReposTagResp {
    ShowReposTagResp {
        tag: s.tag,
        created: s.created,
        deleted: None,
        digest: s.digest,
        domain_id: s.domain_id,
        id: s.id,
        image_id: s.image_id,
        internal_path: s.internal_path,
        is_trusted: s.is_trusted,
        manifest: s.manifest,
        path: s.path,
        repo_id: s.repo_id,
        scanned: Some(false),
        schema: s.schema,
        size: s.size,
        tag_type: s.tag_type,
        updated: s.updated,
    }
}

pub fn sync_rule(actor: &Actor, namespace: &str, repo: &str, r: &store::SyncRule) -> SyncRepo {
    SyncRepo {
        created_at: stamp(r.created),
        domain_id: actor.account.clone(),
        domain_name: r.domain_name.clone(),
        id: to_i64(r.id),
        namespace: namespace.to_owned(),
        override_: r.override_,
        remote_namespace: r.remote_namespace.clone(),
        remote_region_id: r.remote_region.clone(),
        repo_name: repo.to_owned(),
        sync_auto: r.sync_auto,
        updated_at: stamp(r.updated),
    }
}

pub fn sync_job(actor: &Actor, namespace: &str, repo: &str, j: &store::SyncJob) -> SyncJob {
    SyncJob {
        created_at: stamp(j.created),
        domain_id: actor.account.clone(),
        domain_name: j.operator.clone(),
        id: to_i64(j.id),
        namespace: namespace.to_owned(),
        override_: j.override_,
        remote_namespace: j.remote_namespace.clone(),
        remote_region_id: j.remote_region.clone(),
        repo_name: repo.to_owned(),
        status: match j.status {
            JobStatus::Success => SyncJobStatus::Success,
            JobStatus::Failed => SyncJobStatus::Failed,
            JobStatus::Existed => SyncJobStatus::Existed,
        },
        sync_operator_id: j.operator.clone(),
        sync_operator_name: j.operator.clone(),
        tag: j.tag.clone(),
        updated_at: stamp(j.updated),
    }
}

/// Where clients pull the repository from in the region.
fn path(region: &str, v: &RepoView) -> String {
    format!("swr.{region}.myhuaweicloud.com/{}/{}", v.namespace, v.name)
}

fn internal_path(v: &RepoView) -> String {
    format!("100.125.0.198:20202/{}/{}", v.namespace, v.name)
}

/// A UTC timestamp as SWR writes it: `2024-05-01T08:00:00.123456Z`.
pub fn stamp(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}
