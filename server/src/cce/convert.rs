//! CCE's records ↔ wire models: a request body as the store's [`NewImageCache`], a cache as
//! seen by the store as the `ImageCacheDetail` clients read.

use time::{OffsetDateTime, macros::format_description};

use super::generated::models::*;
use crate::store::cce::{CacheView, NewImageCache, Status};

pub fn new_cache(body: CreateImageCacheRequestBody) -> NewImageCache {
    NewImageCache {
        name: body.name,
        images: body.images,
        image_cache_size: body.image_cache_size,
        retention_days: body.retention_days,
        cluster: body.building_config.cluster,
        image_pull_secrets: body.building_config.image_pull_secrets.unwrap_or_default(),
    }
}

/// One cache wrapped as the create, show and delete replies carry it.
pub fn wrapped(v: &CacheView) -> ImageCacheResponseBody {
    ImageCacheResponseBody { image_cache: detail(v) }
}

pub fn detail(v: &CacheView) -> ImageCacheDetail {
    let c = &v.cache;
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
        status: status(v.status),
        message: Some(v.message.clone()),
    }
}

fn status(s: Status) -> ImageCacheStatus {
    match s {
        Status::Creating => ImageCacheStatus::Creating,
        Status::Available => ImageCacheStatus::Available,
        Status::Unavailable => ImageCacheStatus::Unavailable,
        Status::Deleting => ImageCacheStatus::Deleting,
        Status::Failed => ImageCacheStatus::Failed,
    }
}

/// The time as the real service writes it (Go's `time.Time.String`, microseconds).
fn go_time(t: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6] +0000 UTC"
    );
    t.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}
