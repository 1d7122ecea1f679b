//! `SwrApi` implemented over the store for one region: resolve the caller, one store call,
//! convert the answer ([`super::convert`]).

use crate::contract::Json;
use poem::Request;

use super::convert;
use super::error::{reply, unauthenticated};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::store::Store;
use crate::store::swr::{Actor, names::repository_from_path};

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
        let (namespace, filter) = (namespace.as_deref(), filter.as_deref());
        match self.store.swr().list_namespaces(&self.region, &actor, namespace, filter) {
            Ok(list) => ListNamespacesReply::Ok(Json::of(convert::namespaces(&list))),
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
        match self.store.swr().show_namespace(&self.region, &actor, &namespace) {
            Ok(ns) => ShowNamespaceReply::Ok(Json::of(convert::namespace(&namespace, &ns))),
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
        let new = convert::new_repo(body);
        match self.store.swr().create_repo(&self.region, &actor, &namespace, new) {
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
        match self.store.swr().show_repo(&self.region, &actor, &namespace, &repo) {
            Ok(v) => ShowRepositoryReply::Ok(Json::of(convert::repository(&self.region, &v))),
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
        let (repo, update) = (repository_from_path(&repository), convert::repo_update(body));
        match self.store.swr().update_repo(&self.region, &actor, &namespace, &repo, update) {
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
        let (repo, sync) = (repository_from_path(&repository), convert::manual_sync(body));
        match self.store.swr().sync_images(&self.region, &actor, &namespace, &repo, &sync) {
            Ok(unsynced) => CreateManualImageSyncRepoReply::Ok(Json::of(unsynced)),
            Err(e) => reply(e),
        }
    }

    async fn show_sync_job(&self, req: &Request, params: ShowSyncJobParams) -> ShowSyncJobReply {
        let ShowSyncJobParams { namespace, repository, filter, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        match self.store.swr().list_jobs(&self.region, &actor, &namespace, &repo, Some(&filter)) {
            Ok((jobs, range)) => ShowSyncJobReply::Ok(
                Json::of(
                    jobs.iter().map(|j| convert::sync_job(&actor, &namespace, &repo, j)).collect(),
                ),
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
        match self.store.swr().rules(&self.region, &actor, &namespace, &repo) {
            Ok(rules) => ListImageAutoSyncReposDetailsReply::Ok(Json::of(
                rules.iter().map(|r| convert::sync_rule(&actor, &namespace, &repo, r)).collect(),
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
        let (repo, rule) = (repository_from_path(&repository), convert::auto_sync(body));
        match self.store.swr().put_rule(&self.region, &actor, &namespace, &repo, &rule) {
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
        let Some(actor) = actor(req) else { return unauthenticated() };
        let (q, repo) = (convert::tag_query(&params), repository_from_path(&params.repository));
        match self.store.swr().list_tags(&self.region, &actor, &params.namespace, &repo, &q) {
            Ok(page) => ListRepositoryTagsReply::Ok(
                Json::of(convert::tags(&self.region, &page)),
                page.range,
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
        let (repo, retag) = (repository_from_path(&repository), convert::retag(body));
        match self.store.swr().retag(&self.region, &actor, &namespace, &repo, &retag) {
            Ok(()) => CreateRepoTagReply::Created,
            Err(e) => reply(e),
        }
    }

    async fn show_repo_tag(&self, req: &Request, params: ShowRepoTagParams) -> ShowRepoTagReply {
        let ShowRepoTagParams { namespace, repository, tag, .. } = params;
        let Some(actor) = actor(req) else { return unauthenticated() };
        let repo = repository_from_path(&repository);
        match self.store.swr().show_tag(&self.region, &actor, &namespace, &repo, &tag) {
            Ok((v, t)) => ShowRepoTagReply::Ok(Json::of(convert::tag(&self.region, &v, &tag, &t))),
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
        match self.store.swr().delete_tag(&self.region, &actor, &namespace, &repo, &tag) {
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
        let regions = self.store.swr().sync_regions(&self.region);
        ListSyncRegionsReply::Ok(Json::of(
            regions.into_iter().map(|region_id| RegionInfo { region_id }).collect(),
        ))
    }

    async fn list_repos_details(
        &self,
        req: &Request,
        params: ListReposDetailsParams,
    ) -> ListReposDetailsReply {
        let Some(actor) = actor(req) else { return unauthenticated() };
        match self.store.swr().list_repos(&self.region, &actor, &convert::repo_query(&params)) {
            Ok((views, range)) => ListReposDetailsReply::Ok(
                Json::of(convert::repositories(&self.region, &views, &range)),
                range,
            ),
            Err(e) => reply(e),
        }
    }
}

/// The caller as the store sees it: its project is the account, its name the user.
pub fn actor(req: &Request) -> Option<Actor> {
    req.extensions()
        .get::<Principal>()
        .map(|p| Actor { account: p.project_id.clone(), user: p.name.clone() })
}
