//! `GlanceApi` implemented over the store: each method resolves the caller, makes one store
//! call and converts the answer ([`super::convert`]); refusals become replies in
//! [`super::error`].

use poem::Request;

use super::convert;
use super::error::reply;
use super::generated::api::*;
use super::generated::models::*;
use crate::contract::Json;
use crate::store::Store;
use crate::store::glance::{Caller, schema};

/// The Glance handlers.
pub struct Glance {
    pub store: Store,
}

fn caller(req: &Request) -> Caller {
    // The auth middleware always sets one; a missing one is treated as a caller with no roles.
    req.extensions().get::<Caller>().cloned().unwrap_or_else(|| Caller::new(None, &[]))
}

impl GlanceApi for Glance {
    async fn get_versions_root(&self, req: &Request) -> GetVersionsRootReply {
        GetVersionsRootReply::MultipleChoices(Json::of(convert::versions(req)))
    }

    async fn list_versions(&self, req: &Request) -> ListVersionsReply {
        ListVersionsReply::Ok(Json::of(convert::versions(req)))
    }

    async fn get_image_schema(&self, _req: &Request) -> GetImageSchemaReply {
        GetImageSchemaReply::Ok(Json::of(convert::schema_document(schema::IMAGE)))
    }

    async fn get_images_schema(&self, _req: &Request) -> GetImagesSchemaReply {
        GetImagesSchemaReply::Ok(Json::of(convert::schema_document(schema::IMAGES)))
    }

    async fn get_member_schema(&self, _req: &Request) -> GetMemberSchemaReply {
        GetMemberSchemaReply::Ok(Json::of(convert::schema_document(schema::MEMBER)))
    }

    async fn get_members_schema(&self, _req: &Request) -> GetMembersSchemaReply {
        GetMembersSchemaReply::Ok(Json::of(convert::schema_document(schema::MEMBERS)))
    }

    async fn list_images(&self, req: &Request, _params: ListImagesParams) -> ListImagesReply {
        // The generated layer validated the typed parameters; Glance's rules read the raw pairs.
        let pairs = match convert::query_pairs(req) {
            Ok(p) => p,
            Err(e) => return reply(e),
        };
        match self.store.glance().list(&caller(req), &pairs, |p| convert::page(&pairs, p)) {
            Ok(page) => ListImagesReply::Ok(page),
            Err(e) => reply(e),
        }
    }

    async fn create_image(&self, req: &Request, b: ImageCreate) -> CreateImageReply {
        match self.store.glance().create(&caller(req), convert::new_image(b)) {
            Ok(i) => convert::created(req, &i),
            Err(e) => reply(e),
        }
    }

    async fn show_image(&self, req: &Request, params: ShowImageParams) -> ShowImageReply {
        let ShowImageParams { image_id } = params;
        match self.store.glance().show(&caller(req), &image_id, convert::shown) {
            Ok(i) => ShowImageReply::Ok(i),
            Err(e) => reply(e),
        }
    }

    async fn delete_image(&self, req: &Request, params: DeleteImageParams) -> DeleteImageReply {
        let DeleteImageParams { image_id } = params;
        match self.store.glance().delete(&caller(req), &image_id).await {
            Ok(()) => DeleteImageReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn update_image(
        &self,
        req: &Request,
        params: UpdateImageParams,
        payload: UpdateImagePayload,
    ) -> UpdateImageReply {
        let UpdateImageParams { image_id } = params;
        let (changes, v20) = convert::changes(payload);
        match self.store.glance().update(&caller(req), &image_id, changes, v20) {
            Ok(i) => UpdateImageReply::Ok(Json::of(convert::image_model(&i))),
            Err(e) => reply(e),
        }
    }

    async fn deactivate_image(
        &self,
        req: &Request,
        params: DeactivateImageParams,
    ) -> DeactivateImageReply {
        let DeactivateImageParams { image_id } = params;
        match self.store.glance().set_active(&caller(req), &image_id, false) {
            Ok(()) => DeactivateImageReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn reactivate_image(
        &self,
        req: &Request,
        params: ReactivateImageParams,
    ) -> ReactivateImageReply {
        let ReactivateImageParams { image_id } = params;
        match self.store.glance().set_active(&caller(req), &image_id, true) {
            Ok(()) => ReactivateImageReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn download_image_data(
        &self,
        req: &Request,
        params: DownloadImageDataParams,
    ) -> DownloadImageDataReply {
        let DownloadImageDataParams { image_id, range, content_range } = params;
        let wanted = convert::wanted(range, content_range);
        match self.store.glance().download(&caller(req), &image_id, wanted).await {
            Ok(d) => convert::download(d),
            Err(e) => reply(e),
        }
    }

    async fn upload_image_data(
        &self,
        req: &Request,
        params: UploadImageDataParams,
        body: poem::Body,
    ) -> UploadImageDataReply {
        let UploadImageDataParams { image_id, x_openstack_image_size: announced } = params;
        let data = body.into_bytes_stream();
        match self.store.glance().upload(&caller(req), &image_id, announced, data).await {
            Ok(()) => UploadImageDataReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn list_image_members(
        &self,
        req: &Request,
        params: ListImageMembersParams,
    ) -> ListImageMembersReply {
        let ListImageMembersParams { image_id } = params;
        match self.store.glance().members(&caller(req), &image_id) {
            Ok(ms) => ListImageMembersReply::Ok(Json::of(convert::member_list(&image_id, &ms))),
            Err(e) => reply(e),
        }
    }

    async fn create_image_member(
        &self,
        req: &Request,
        params: CreateImageMemberParams,
        b: MemberCreate,
    ) -> CreateImageMemberReply {
        let CreateImageMemberParams { image_id } = params;
        match self.store.glance().add_member(&caller(req), &image_id, &b.member) {
            Ok(m) => CreateImageMemberReply::Ok(Json::of(convert::member(&image_id, &m))),
            Err(e) => reply(e),
        }
    }

    async fn show_image_member(
        &self,
        req: &Request,
        params: ShowImageMemberParams,
    ) -> ShowImageMemberReply {
        let ShowImageMemberParams { image_id, member_id } = params;
        match self.store.glance().member(&caller(req), &image_id, &member_id) {
            Ok(m) => ShowImageMemberReply::Ok(Json::of(convert::member(&image_id, &m))),
            Err(e) => reply(e),
        }
    }

    async fn update_image_member(
        &self,
        req: &Request,
        params: UpdateImageMemberParams,
        b: MemberUpdate,
    ) -> UpdateImageMemberReply {
        let UpdateImageMemberParams { image_id, member_id } = params;
        let status = convert::member_status(b.status);
        match self.store.glance().set_member_status(&caller(req), &image_id, &member_id, status) {
            Ok(m) => UpdateImageMemberReply::Ok(Json::of(convert::member(&image_id, &m))),
            Err(e) => reply(e),
        }
    }

    async fn delete_image_member(
        &self,
        req: &Request,
        params: DeleteImageMemberParams,
    ) -> DeleteImageMemberReply {
        let DeleteImageMemberParams { image_id, member_id } = params;
        match self.store.glance().remove_member(&caller(req), &image_id, &member_id) {
            Ok(()) => DeleteImageMemberReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn add_image_tag(&self, req: &Request, params: AddImageTagParams) -> AddImageTagReply {
        let AddImageTagParams { image_id, tag_value } = params;
        match self.store.glance().add_tag(&caller(req), &image_id, &tag_value) {
            Ok(()) => AddImageTagReply::NoContent,
            Err(e) => reply(e),
        }
    }

    async fn delete_image_tag(
        &self,
        req: &Request,
        params: DeleteImageTagParams,
    ) -> DeleteImageTagReply {
        let DeleteImageTagParams { image_id, tag_value } = params;
        match self.store.glance().delete_tag(&caller(req), &image_id, &tag_value) {
            Ok(()) => DeleteImageTagReply::NoContent,
            Err(e) => reply(e),
        }
    }
}
