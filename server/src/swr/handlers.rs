//! `SwrApi` implemented over the store for one region: unpack, one store call, map the result.

use crate::contract::Json;
use poem::Request;
use time::{OffsetDateTime, macros::format_description};

use super::error::{reply, unauthenticated};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::contract::{to_i64, wire};
use crate::store::Store;
use crate::store::swr::{
    self as store, Actor, JobStatus, RepoQuery, RepoUpdate, RepoView, TagQuery,
    names::repository_from_path, sync::ManualSync,
};

/// The SWR handlers of one region.
pub struct Swr {
    pub store: Store,
    pub region: String,
}

impl SwrApi for Swr {
    async fn list_namespaces(
        &self,
        req: &Request,
        params: ListNamespacesParams,
    ) -> ListNamespacesReply {
        let ListNamespacesParams { namespace, filter, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let state = self.store.swr_read();
        match state.list_namespaces(&self.region, &actor, namespace.as_deref(), filter.as_deref()) {
            Ok(list) => ListNamespacesReply::Ok(Json::of(ListNamespacesResponse {
                namespaces: list.iter().map(|(name, ns)| show_namespace(name, ns)).collect(),
            })),
            Err(e) => reply(e),
        }
    }

    async fn create_namespace(
        &self,
        req: &Request,
        _params: CreateNamespaceParams,
        body: CreateNamespaceRequestBody,
    ) -> CreateNamespaceReply {
        let Some(actor) = actor(req) else { return unauthenticated() };
        match self.store.swr().create_namespace(&self.region, &actor, &body.namespace) {
            Ok(_) => CreateNamespaceReply::Created,
            Err(e) => reply(e),
        }
    }

    async fn show_namespace(
        &self,
        req: &Request,
        params: ShowNamespaceParams,
    ) -> ShowNamespaceReply {
        let ShowNamespaceParams { namespace, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        match self.store.swr_read().show_namespace(&self.region, &actor, &namespace) {
            Ok(ns) => ShowNamespaceReply::Ok(Json::of(show_namespace(&namespace, &ns))),
            Err(e) => reply(e),
        }
    }

    async fn delete_namespaces(
        &self,
        req: &Request,
        params: DeleteNamespacesParams,
    ) -> DeleteNamespacesReply {
        let DeleteNamespacesParams { namespace, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        match self.store.swr().delete_namespace(&self.region, &actor, &namespace) {
            Ok(()) => DeleteNamespacesReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn create_repo(
        &self,
        req: &Request,
        params: CreateRepoParams,
        body: CreateRepoRequestBody,
    ) -> CreateRepoReply {
        let CreateRepoParams { namespace, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let category = wire(body.category);
        let now = self.store.now();
        match self.store.swr().create_repo(
            &self.region,
            &actor,
            &namespace,
            &body.repository,
            body.is_public,
            category.as_deref(),
            body.description.as_deref(),
            now,
        ) {
            Ok(()) => CreateRepoReply::Created,
            Err(e) => reply(e),
        }
    }

    async fn show_repository(
        &self,
        req: &Request,
        params: ShowRepositoryParams,
    ) -> ShowRepositoryReply {
        let ShowRepositoryParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        match self.store.swr_read().show_repo(&self.region, &actor, &namespace, &repo) {
            Ok(v) => ShowRepositoryReply::Ok(Json::of(self.show_repository(&v))),
            Err(e) => reply(e),
        }
    }

    async fn delete_repo(&self, req: &Request, params: DeleteRepoParams) -> DeleteRepoReply {
        let DeleteRepoParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        match self.store.swr().delete_repo(&self.region, &actor, &namespace, &repo) {
            Ok(()) => DeleteRepoReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn update_repo(
        &self,
        req: &Request,
        params: UpdateRepoParams,
        body: UpdateRepoRequestBody,
    ) -> UpdateRepoReply {
        let UpdateRepoParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let update = RepoUpdate {
            is_public: body.is_public,
            category: wire(body.category),
            description: body.description,
        };
        let now = self.store.now();
        match self.store.swr().update_repo(&self.region, &actor, &namespace, &repo, update, now) {
            Ok(()) => UpdateRepoReply::Created,
            Err(e) => reply(e),
        }
    }

    async fn create_manual_image_sync_repo(
        &self,
        req: &Request,
        params: CreateManualImageSyncRepoParams,
        body: CreateManualImageSyncRepoRequestBody,
    ) -> CreateManualImageSyncRepoReply {
        let CreateManualImageSyncRepoParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let sync = ManualSync {
            tags: body.image_tag,
            override_: body.override_,
            remote_namespace: body.remote_namespace,
            remote_region: body.remote_region_id,
        };
        let now = self.store.now();
        match self.store.swr().sync_images(&self.region, &actor, &namespace, &repo, &sync, now) {
            Ok(unsynced) => CreateManualImageSyncRepoReply::Ok(Json::of(unsynced)),
            Err(e) => reply(e),
        }
    }

    async fn show_sync_job(&self, req: &Request, params: ShowSyncJobParams) -> ShowSyncJobReply {
        let ShowSyncJobParams { namespace, repository, filter, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let state = self.store.swr_read();
        match state.list_jobs(&self.region, &actor, &namespace, &repo, Some(&filter)) {
            Ok((jobs, range)) => ShowSyncJobReply::Ok(
                Json::of(jobs.iter().map(|j| sync_job(&actor, &namespace, &repo, j)).collect()),
                range,
            ),
            Err(e) => reply(e),
        }
    }

    async fn list_image_auto_sync_repos_details(
        &self,
        req: &Request,
        params: ListImageAutoSyncReposDetailsParams,
    ) -> ListImageAutoSyncReposDetailsReply {
        let ListImageAutoSyncReposDetailsParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        match self.store.swr_read().rules(&self.region, &actor, &namespace, &repo) {
            Ok(rules) => ListImageAutoSyncReposDetailsReply::Ok(Json::of(
                rules
                    .iter()
                    .map(|r| SyncRepo {
                        created_at: stamp(r.created),
                        domain_id: actor.account.clone(),
                        domain_name: r.domain_name.clone(),
                        id: to_i64(r.id),
                        namespace: namespace.clone(),
                        override_: r.override_,
                        remote_namespace: r.remote_namespace.clone(),
                        remote_region_id: r.remote_region.clone(),
                        repo_name: repo.clone(),
                        sync_auto: r.sync_auto,
                        updated_at: stamp(r.updated),
                    })
                    .collect(),
            )),
            Err(e) => reply(e),
        }
    }

    async fn create_image_sync_repo(
        &self,
        req: &Request,
        params: CreateImageSyncRepoParams,
        body: CreateImageSyncRepoRequestBody,
    ) -> CreateImageSyncRepoReply {
        let CreateImageSyncRepoParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let now = self.store.now();
        let target = (body.remote_region_id.as_str(), body.remote_namespace.as_str());
        match self.store.swr().put_rule(
            &self.region,
            &actor,
            &namespace,
            &repo,
            target,
            body.sync_auto,
            body.override_,
            now,
        ) {
            Ok(()) => CreateImageSyncRepoReply::Ok,
            Err(e) => reply(e),
        }
    }

    async fn delete_image_sync_repo(
        &self,
        req: &Request,
        params: DeleteImageSyncRepoParams,
        body: DeleteImageSyncRepoRequestBody,
    ) -> DeleteImageSyncRepoReply {
        let DeleteImageSyncRepoParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let target = (body.remote_region_id.as_str(), body.remote_namespace.as_str());
        match self.store.swr().delete_rule(&self.region, &actor, &namespace, &repo, target) {
            Ok(()) => DeleteImageSyncRepoReply::Ok,
            Err(e) => reply(e),
        }
    }

    async fn list_repository_tags(
        &self,
        req: &Request,
        params: ListRepositoryTagsParams,
    ) -> ListRepositoryTagsReply {
        let ListRepositoryTagsParams {
            namespace,
            repository,
            limit,
            offset,
            order_column,
            order_type,
            tag,
            filter,
            ..
        } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let order_type = wire(order_type);
        let q = TagQuery {
            limit: limit.as_deref(),
            offset: offset.as_deref(),
            order_column: order_column.as_deref(),
            order_type: order_type.as_deref(),
            tag: tag.as_deref(),
            filter: filter.as_deref(),
        };
        let state = self.store.swr_read();
        let view = state.show_repo(&self.region, &actor, &namespace, &repo);
        match view
            .and_then(|v| Ok((state.list_tags(&self.region, &actor, &namespace, &repo, &q)?, v)))
        {
            Ok(((tags, range), v)) => ListRepositoryTagsReply::Ok(
                Json::of(
                    tags.iter()
                        .map(|(name, t)| {
                            let s = self.show_tag(&v, name, t);
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
                        })
                        .collect(),
                ),
                range,
            ),
            Err(e) => reply(e),
        }
    }

    async fn create_repo_tag(
        &self,
        req: &Request,
        params: CreateRepoTagParams,
        body: CreateRepoTagRequestBody,
    ) -> CreateRepoTagReply {
        let CreateRepoTagParams { namespace, repository, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let now = self.store.now();
        match self.store.swr().retag(
            &self.region,
            &actor,
            &namespace,
            &repo,
            &body.source_tag,
            &body.destination_tag,
            body.override_,
            now,
        ) {
            Ok(()) => CreateRepoTagReply::Created,
            Err(e) => reply(e),
        }
    }

    async fn show_repo_tag(&self, req: &Request, params: ShowRepoTagParams) -> ShowRepoTagReply {
        let ShowRepoTagParams { namespace, repository, tag, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let state = self.store.swr_read();
        let found = state
            .show_repo(&self.region, &actor, &namespace, &repo)
            .and_then(|v| Ok((state.show_tag(&self.region, &actor, &namespace, &repo, &tag)?, v)));
        match found {
            Ok((t, v)) => ShowRepoTagReply::Ok(Json::of(self.show_tag(&v, &tag, &t))),
            Err(e) => reply(e),
        }
    }

    async fn delete_repo_tag(
        &self,
        req: &Request,
        params: DeleteRepoTagParams,
    ) -> DeleteRepoTagReply {
        let DeleteRepoTagParams { namespace, repository, tag, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        let now = self.store.now();
        match self.store.swr().delete_tag(&self.region, &actor, &namespace, &repo, &tag, now) {
            Ok(()) => DeleteRepoTagReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn list_sync_regions(
        &self,
        req: &Request,
        _params: ListSyncRegionsParams,
    ) -> ListSyncRegionsReply {
        if actor(req).is_none() {
            return unauthenticated();
        }
        let regions = self.store.swr_read().sync_regions(&self.region);
        ListSyncRegionsReply::Ok(Json::of(
            regions.into_iter().map(|region_id| RegionInfo { region_id }).collect(),
        ))
    }

    async fn list_repos_details(
        &self,
        req: &Request,
        params: ListReposDetailsParams,
    ) -> ListReposDetailsReply {
        let ListReposDetailsParams {
            namespace,
            name,
            category,
            limit,
            offset,
            order_column,
            order_type,
            filter,
            ..
        } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let (category, order_type) = (wire(category), wire(order_type));
        let q = RepoQuery {
            namespace: namespace.as_deref(),
            name: name.as_deref(),
            category: category.as_deref(),
            limit: limit.as_deref(),
            offset: offset.as_deref(),
            order_column: order_column.as_deref(),
            order_type: order_type.as_deref(),
            filter: filter.as_deref(),
        };
        match self.store.swr_read().list_repos(&self.region, &actor, &q) {
            Ok((views, range)) => {
                let total = range.rsplit('/').next().and_then(|t| t.parse().ok());
                ListReposDetailsReply::Ok(
                    Json::of(views.iter().map(|v| self.repos_resp(v, total)).collect()),
                    range,
                )
            }
            Err(e) => reply(e),
        }
    }
}

impl Swr {
    fn path(&self, v: &RepoView) -> String {
        format!("swr.{}.myhuaweicloud.com/{}/{}", self.region, v.namespace, v.name)
    }

    fn show_repository(&self, v: &RepoView) -> ShowRepositoryResponse {
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
            path: self.path(v),
            priority: Some(0),
            size: to_i64(r.tags.values().map(|t| t.size).sum()),
            updated: stamp(r.updated),
            url: Some(String::new()),
        }
    }

    fn repos_resp(&self, v: &RepoView, total: Option<i64>) -> ShowReposResp {
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
            path: self.path(v),
            size: to_i64(r.tags.values().map(|t| t.size).sum()),
            status: Some(false),
            tags: r.tags.keys().cloned().collect(),
            total_range: total,
            updated_at: stamp(r.updated),
            url: Some(String::new()),
        }
    }

    fn show_tag(&self, v: &RepoView, name: &str, t: &store::Tag) -> ShowRepoTagResponse {
        ShowRepoTagResponse {
            created: stamp(t.created),
            digest: t.digest.clone(),
            domain_id: Some(v.account.clone()),
            id: Some(to_i64(t.id)),
            image_id: Some(t.digest.clone()),
            internal_path: format!("{}:{name}", internal_path(v)),
            is_trusted: Some(false),
            manifest: Some(t.manifest.clone()),
            path: format!("{}:{name}", self.path(v)),
            repo_id: Some(to_i64(v.repo.id)),
            schema: Some(2),
            size: to_i64(t.size),
            tag: name.to_owned(),
            tag_type: Some(0),
            updated: stamp(t.updated),
        }
    }
}

/// The caller as the store sees it: its project is the account, its name the user.
pub fn actor(req: &Request) -> Option<Actor> {
    req.extensions()
        .get::<Principal>()
        .map(|p| Actor { account: p.project_id.clone(), user: p.name.clone() })
}

fn show_namespace(name: &str, ns: &store::Namespace) -> ShowNamespace {
    ShowNamespace {
        auth: 7,
        creator_name: ns.creator_name.clone(),
        id: to_i64(ns.id),
        name: name.into(),
    }
}

fn sync_job(actor: &Actor, namespace: &str, repo: &str, j: &store::SyncJob) -> SyncJob {
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

fn internal_path(v: &RepoView) -> String {
    format!("100.125.0.198:20202/{}/{}", v.namespace, v.name)
}

/// A UTC timestamp as SWR writes it: `2024-05-01T08:00:00.123456Z`.
pub fn stamp(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}
