//! `CceApi` implemented over the store: resolve the caller's project, one store call, convert
//! the answer ([`super::convert`]).

use crate::contract::Json;
use poem::Request;

use super::convert::{detail, new_cache, wrapped};
use super::error::{reply, unauthenticated};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::store::Store;

/// The CCE handlers.
pub struct Cce {
    pub store: Store,
}

impl CceApi for Cce {
    async fn list_image_caches(
        &self,
        req: &Request,
        params: ListImageCachesParams,
    ) -> ListImageCachesReply {
        let ListImageCachesParams { name } = params;
        let Some(project) = project(req) else { return unauthenticated() };
        let caches = self.store.cce().list_image_caches(project, name.as_deref());
        ListImageCachesReply::Ok(Json::of(ListImageCachesResponseBody {
            image_caches: caches.iter().map(detail).collect(),
        }))
    }

    async fn create_image_cache(
        &self,
        req: &Request,
        body: CreateImageCacheRequestBody,
    ) -> CreateImageCacheReply {
        let Some(project) = project(req) else { return unauthenticated() };
        match self.store.cce().create_image_cache(project, new_cache(body)) {
            Ok(c) => CreateImageCacheReply::Created(Json::of(wrapped(&c))),
            Err(e) => reply(e),
        }
    }

    async fn show_image_cache(
        &self,
        req: &Request,
        params: ShowImageCacheParams,
    ) -> ShowImageCacheReply {
        let ShowImageCacheParams { image_cache_id } = params;
        let Some(project) = project(req) else { return unauthenticated() };
        match self.store.cce().show_image_cache(project, &image_cache_id) {
            Ok(c) => ShowImageCacheReply::Ok(Json::of(wrapped(&c))),
            Err(e) => reply(e),
        }
    }

    async fn delete_image_cache(
        &self,
        req: &Request,
        params: DeleteImageCacheParams,
    ) -> DeleteImageCacheReply {
        let DeleteImageCacheParams { image_cache_id } = params;
        let Some(project) = project(req) else { return unauthenticated() };
        match self.store.cce().delete_image_cache(project, &image_cache_id) {
            Ok(c) => DeleteImageCacheReply::Accepted(Json::of(wrapped(&c))),
            Err(e) => reply(e),
        }
    }
}

/// The caller's project, which owns its caches.
fn project(req: &Request) -> Option<&str> {
    req.extensions().get::<Principal>().map(|p| p.project_id.as_str())
}
