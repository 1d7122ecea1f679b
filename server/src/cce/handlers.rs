//! `CceApi` implemented over the store: unpack, one store call, map the result.

use crate::contract::Json;
use poem::Request;
use time::{OffsetDateTime, macros::format_description};

use super::error::{reply, unauthenticated};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::store::{Store, cce as store};

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
        let now = self.store.now();
        let caches = self.store.list_image_caches(project, name.as_deref());
        ListImageCachesReply::Ok(Json::of(ListImageCachesResponseBody {
            image_caches: caches.iter().map(|c| detail(c, now)).collect(),
        }))
    }

    async fn create_image_cache(
        &self,
        req: &Request,
        body: CreateImageCacheRequestBody,
    ) -> CreateImageCacheReply {
        let Some(project) = project(req) else { return unauthenticated() };
        let new = store::NewImageCache {
            name: body.name,
            images: body.images,
            image_cache_size: body.image_cache_size,
            retention_days: body.retention_days,
            cluster: body.building_config.cluster,
            image_pull_secrets: body.building_config.image_pull_secrets.unwrap_or_default(),
        };
        match self.store.create_image_cache(project, new) {
            Ok(c) => CreateImageCacheReply::Created(Json::of(wrap(&c, self.store.now()))),
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
        match self.store.show_image_cache(project, &image_cache_id) {
            Ok(c) => ShowImageCacheReply::Ok(Json::of(wrap(&c, self.store.now()))),
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
        match self.store.delete_image_cache(project, &image_cache_id) {
            Ok(c) => DeleteImageCacheReply::Accepted(Json::of(wrap(&c, self.store.now()))),
            Err(e) => reply(e),
        }
    }
}

fn project(req: &Request) -> Option<&str> {
    req.extensions().get::<Principal>().map(|p| p.project_id.as_str())
}

fn wrap(c: &store::ImageCache, now: OffsetDateTime) -> ImageCacheResponseBody {
    ImageCacheResponseBody { image_cache: detail(c, now) }
}

fn detail(c: &store::ImageCache, now: OffsetDateTime) -> ImageCacheDetail {
    ImageCacheDetail {
        name: c.name.clone(),
        id: c.id.clone(),
        created_at: go_time(c.created_at),
        images: c.images.clone(),
        image_cache_size: c.image_cache_size,
        retention_days: c.retention_days,
        building_config: ImageCacheBuildingConfig {
            cluster: c.cluster.clone(),
            image_pull_secrets: Some(c.image_pull_secrets.clone()),
        },
        status: match c.status(now) {
            store::Status::Creating => ImageCacheStatus::Creating,
            store::Status::Available => ImageCacheStatus::Available,
            store::Status::Unavailable => ImageCacheStatus::Unavailable,
            store::Status::Deleting => ImageCacheStatus::Deleting,
            store::Status::Failed => ImageCacheStatus::Failed,
        },
        message: Some(c.message(now)),
    }
}

/// The time as the real service writes it (Go's `time.Time.String`, microseconds).
fn go_time(t: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6] +0000 UTC"
    );
    t.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}
