//! `GlanceApi` implemented over the store: unpack the request, one store call, shape the reply.
//! Image data is streamed between the connection and the data directory here.

use crate::contract::{Json, WireEnum};
use futures_util::StreamExt;
use poem::Request;
use poem_openapi::{payload::Binary, types::ParseFromJSON};
use serde_json::{Value, json, value::RawValue};
use time::{OffsetDateTime, macros::format_description};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::error::{Refusal, reply};
use super::generated::api::*;
use super::generated::models::*;
use crate::contract::{to_i64, wire};
use crate::store::Store;
use crate::store::glance::{
    self as store, Caller, ImageError, NewImage, Visibility, inspect,
    list::{ListQuery, Page},
    patch::{Change, Op},
    schema,
};

/// The Glance handlers.
pub struct Glance {
    pub store: Store,
}

/// The versions Glance 33 advertises, newest first.
const VERSIONS: [&str; 14] = [
    "v2.18", "v2.17", "v2.16", "v2.15", "v2.14", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3",
    "v2.2", "v2.1", "v2.0",
];
const IMPORT_METHODS: &str = "glance-direct,web-download,copy-image";

fn caller(req: &Request) -> Caller {
    // The auth middleware always sets one; a missing one is treated as a caller with no roles.
    req.extensions().get::<Caller>().cloned().unwrap_or_else(|| Caller::new(None, &[]))
}

/// `http://host` as the client addressed the server.
fn base_url(req: &Request) -> String {
    let host = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".into());
    format!("http://{host}")
}

fn versions(req: &Request) -> VersionList {
    let href = format!("{}/v2/", base_url(req));
    VersionList {
        versions: VERSIONS
            .iter()
            .enumerate()
            .map(|(i, id)| Version {
                id: (*id).to_owned(),
                status: if i == 0 { VersionStatus::Current } else { VersionStatus::Supported },
                links: vec![VersionLink { rel: "self".into(), href: href.clone() }],
            })
            .collect(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, Glance's timestamp form, written digit by digit: a page of images
/// formats fifty of them, and `time`'s formatter was a tenth of a listing's cost.
fn timestamp(t: OffsetDateTime) -> String {
    let Ok(year) = u32::try_from(t.year()) else { return slow_timestamp(t) };
    if year > 9999 {
        return slow_timestamp(t);
    }
    let fields = [
        (year, 4, '-'),
        (u32::from(u8::from(t.month())), 2, '-'),
        (u32::from(t.day()), 2, 'T'),
        (u32::from(t.hour()), 2, ':'),
        (u32::from(t.minute()), 2, ':'),
        (u32::from(t.second()), 2, 'Z'),
    ];
    let mut out = String::with_capacity(20);
    for (n, width, after) in fields {
        for p in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(p) % 10) as u8));
        }
        out.push(after);
    }
    out
}

fn slow_timestamp(t: OffsetDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .unwrap_or_default()
}

/// The image body Glance shows: custom properties, then the base attributes and links.
pub fn image_json(i: &store::Image) -> Value {
    let mut v = serde_json::Map::new();
    for (k, val) in &i.properties {
        v.insert(k.clone(), Value::String(val.clone()));
    }
    let base = json!({
        "name": i.name, "disk_format": i.disk_format, "container_format": i.container_format,
        "visibility": i.visibility.as_str(), "size": i.size, "virtual_size": i.virtual_size,
        "status": i.status.as_str(), "checksum": i.checksum, "protected": i.protected,
        "min_ram": i.min_ram, "min_disk": i.min_disk, "owner": i.owner, "os_hidden": i.os_hidden,
        "os_hash_algo": i.os_hash_algo, "os_hash_value": i.os_hash_value, "id": i.id,
        "created_at": timestamp(i.created_at), "updated_at": timestamp(i.updated_at),
        "tags": i.tags,
        "self": format!("/v2/images/{}", i.id), "file": format!("/v2/images/{}/file", i.id),
        "schema": "/v2/schemas/image",
    });
    if let Value::Object(base) = base {
        v.extend(base);
    }
    Value::Object(v)
}

/// The wire model of an image, built field by field: the same value `image_json` gives, without
/// `parse_from_json`, whose pattern validators compile their regular expressions on every call
/// (about 100 µs per image in a listing).
fn image(i: &store::Image) -> Image {
    let mut extra = i.properties.clone();
    let mut typed = |key: &str| extra.remove(key);
    let (architecture, cinder_encryption_key_id, description) =
        (typed("architecture"), typed("cinder_encryption_key_id"), typed("description"));
    let (direct_url, instance_uuid, kernel_id) =
        (typed("direct_url"), typed("instance_uuid"), typed("kernel_id"));
    let (os_distro, os_version, ramdisk_id, stores) =
        (typed("os_distro"), typed("os_version"), typed("ramdisk_id"), typed("stores"));
    let policy = typed("cinder_encryption_key_deletion_policy");
    Image {
        architecture,
        checksum: i.checksum.clone(),
        cinder_encryption_key_deletion_policy: policy.map(|p| wire_enum(&i.id, &p)),
        cinder_encryption_key_id,
        container_format: i.container_format.as_deref().map(|f| wire_enum(&i.id, f)),
        created_at: timestamp(i.created_at),
        description,
        direct_url,
        disk_format: i.disk_format.as_deref().map(|f| wire_enum(&i.id, f)),
        file: format!("/v2/images/{}/file", i.id),
        id: i.id.clone(),
        instance_uuid,
        kernel_id,
        locations: None,
        min_disk: i32::try_from(i.min_disk).unwrap_or(i32::MAX),
        min_ram: i32::try_from(i.min_ram).unwrap_or(i32::MAX),
        name: i.name.clone(),
        os_distro,
        os_hash_algo: i.os_hash_algo.clone(),
        os_hash_value: i.os_hash_value.clone(),
        os_hidden: i.os_hidden,
        os_version,
        owner: i.owner.clone(),
        protected: i.protected,
        ramdisk_id,
        schema: "/v2/schemas/image".into(),
        self_: format!("/v2/images/{}", i.id),
        size: i.size.map(to_i64),
        status: wire_enum(&i.id, i.status.as_str()),
        stores,
        tags: i.tags.clone(),
        updated_at: timestamp(i.updated_at),
        virtual_size: i.virtual_size.map(to_i64),
        visibility: wire_enum(&i.id, i.visibility.as_str()),
        additional_properties: extra,
    }
}

/// An image's JSON (the serialized [`image`]), rendered once and kept in the image's memo until
/// its next write, so listings and shows copy bytes instead of rebuilding and escaping it.
fn json(i: &store::Image) -> serde_json::Result<&RawValue> {
    i.memo.get_or_render(|| serde_json::value::to_raw_value(&image(i)))
}

/// An [`ImageList`] made of the images' kept JSON: serializes to the same JSON as the model.
#[derive(serde::Serialize)]
struct PageView<'a> {
    first: &'a str,
    images: Vec<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<&'a str>,
    schema: &'a str,
}

/// A generated enum from its wire name; the store only holds values the schema allows.
fn wire_enum<T: WireEnum>(id: &str, value: &str) -> T {
    match T::from_wire(value) {
        Some(v) => v,
        None => panic!("image {id}: `{value}` does not fit the Image model"),
    }
}

fn member(image_id: &str, m: &store::Member) -> Member {
    Member {
        created_at: timestamp(m.created_at),
        updated_at: timestamp(m.updated_at),
        image_id: image_id.to_owned(),
        member_id: m.member_id.clone(),
        schema: "/v2/schemas/member".into(),
        status: match m.status {
            store::MemberStatus::Pending => MemberStatus::Pending,
            store::MemberStatus::Accepted => MemberStatus::Accepted,
            store::MemberStatus::Rejected => MemberStatus::Rejected,
        },
    }
}

fn schema_document(text: &str) -> SchemaDocument {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match SchemaDocument::parse_from_json(Some(value)) {
        Ok(d) => d,
        Err(e) => panic!("a served schema does not fit SchemaDocument: {}", e.into_message()),
    }
}

/// The query as decoded pairs, in order; 400 when a value is not UTF-8 after decoding.
fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, Refusal> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| Refusal::Undecodable)
    };
    let mut out = Vec::new();
    for pair in req.uri().query().unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode(k)?, decode(v)?));
    }
    Ok(out)
}

/// Python's `urlencode`: `+` for spaces, everything but `A-Za-z0-9_.-~` percent-encoded.
fn urlencode(pairs: &[(String, String)]) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~')
        .remove(b' ');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SET).to_string().replace(' ', "+");
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn new_image(b: ImageCreate) -> Result<NewImage, ImageError> {
    let present = [
        ("direct_url", b.direct_url.is_some()),
        ("self", b.self_.is_some()),
        ("file", b.file.is_some()),
        ("schema", b.schema.is_some()),
        ("stores", b.stores.is_some()),
        ("status", b.status.is_some()),
        ("checksum", b.checksum.is_some()),
        ("size", b.size.is_some()),
        ("virtual_size", b.virtual_size.is_some()),
        ("created_at", b.created_at.is_some()),
        ("updated_at", b.updated_at.is_some()),
        ("os_hash_algo", b.os_hash_algo.is_some()),
        ("os_hash_value", b.os_hash_value.is_some()),
    ];
    if let Some((key, _)) = present.iter().find(|(_, p)| *p) {
        return Err(ImageError::ReadOnly((*key).to_owned()));
    }
    if b.locations.is_some() {
        return Err(ImageError::Reserved("locations".into()));
    }
    let mut properties = b.additional_properties;
    let known = [
        ("architecture", b.architecture),
        ("cinder_encryption_key_id", b.cinder_encryption_key_id),
        ("description", b.description),
        ("instance_uuid", b.instance_uuid),
        ("kernel_id", b.kernel_id),
        ("os_distro", b.os_distro),
        ("os_version", b.os_version),
        ("ramdisk_id", b.ramdisk_id),
    ];
    for (key, value) in known {
        if let Some(v) = value {
            properties.insert(key.to_owned(), v);
        }
    }
    if let Some(policy) = wire(b.cinder_encryption_key_deletion_policy) {
        properties.insert("cinder_encryption_key_deletion_policy".into(), policy);
    }
    Ok(NewImage {
        id: b.id,
        name: b.name,
        visibility: wire(b.visibility).as_deref().and_then(Visibility::parse),
        protected: b.protected,
        os_hidden: b.os_hidden,
        owner: b.owner,
        min_ram: i64::from(b.min_ram),
        min_disk: i64::from(b.min_disk),
        container_format: wire(b.container_format),
        disk_format: wire(b.disk_format),
        tags: b.tags.unwrap_or_default(),
        properties,
    })
}

fn changes(payload: UpdateImagePayload) -> (Vec<Change>, bool) {
    match payload {
        UpdateImagePayload::OpenstackImagesV21JsonPatch(poem_openapi::payload::Json(ops)) => (
            ops.into_iter()
                .map(|o| Change {
                    op: match o.op {
                        PatchOperationOp::Add => Op::Add,
                        PatchOperationOp::Remove => Op::Remove,
                        PatchOperationOp::Replace => Op::Replace,
                    },
                    path: o.path,
                    value: o.value,
                })
                .collect(),
            false,
        ),
        UpdateImagePayload::OpenstackImagesV20JsonPatch(poem_openapi::payload::Json(ops)) => (
            ops.into_iter()
                .map(|o| {
                    let (op, path) = match (o.add, o.remove, o.replace) {
                        (Some(p), None, None) => (Op::Add, p),
                        (None, Some(p), None) => (Op::Remove, p),
                        (None, None, Some(p)) => (Op::Replace, p),
                        // Checked below: exactly one of add/remove/replace must be present.
                        _ => (Op::Add, String::new()),
                    };
                    Change { op, path, value: o.value }
                })
                .collect(),
            true,
        ),
    }
}

/// Parses a single `Range` (`bytes=a-b`, `bytes=a-`, `bytes=-n`) or legacy `Content-Range`
/// (`bytes a-b/total`) against `size`: the inclusive byte span.
fn byte_range(range: &str, legacy: bool, size: u64) -> Result<(u64, u64), ImageError> {
    let unsatisfiable = || ImageError::RangeUnsatisfiable(range.to_owned());
    let spec = if legacy {
        range.strip_prefix("bytes ").and_then(|r| r.split_once('/')).map(|(r, _)| r)
    } else {
        range.strip_prefix("bytes=")
    }
    .ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(ImageError::MultipleRanges);
    }
    let (first, last) = spec.trim().split_once('-').ok_or_else(unsatisfiable)?;
    let parse = |s: &str| s.trim().parse::<u64>().map_err(|_| unsatisfiable());
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => {
            let n = parse(last)?;
            if n == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        (false, true) => (parse(first)?, size.saturating_sub(1)),
        (false, false) => (parse(first)?, parse(last)?.min(size.saturating_sub(1))),
        (true, true) => return Err(unsatisfiable()),
    };
    if start >= size || start > end {
        return Err(unsatisfiable());
    }
    Ok((start, end))
}

impl GlanceApi for Glance {
    async fn get_versions_root(&self, req: &Request) -> GetVersionsRootReply {
        GetVersionsRootReply::MultipleChoices(Json::of(versions(req)))
    }

    async fn list_versions(&self, req: &Request) -> ListVersionsReply {
        ListVersionsReply::Ok(Json::of(versions(req)))
    }

    async fn get_image_schema(&self, _req: &Request) -> GetImageSchemaReply {
        GetImageSchemaReply::Ok(Json::of(schema_document(schema::IMAGE)))
    }

    async fn get_images_schema(&self, _req: &Request) -> GetImagesSchemaReply {
        GetImagesSchemaReply::Ok(Json::of(schema_document(schema::IMAGES)))
    }

    async fn get_member_schema(&self, _req: &Request) -> GetMemberSchemaReply {
        GetMemberSchemaReply::Ok(Json::of(schema_document(schema::MEMBER)))
    }

    async fn get_members_schema(&self, _req: &Request) -> GetMembersSchemaReply {
        GetMembersSchemaReply::Ok(Json::of(schema_document(schema::MEMBERS)))
    }

    async fn list_images(&self, req: &Request, _params: ListImagesParams) -> ListImagesReply {
        // The typed parameters were validated by the generated layer; Glance's rules (last value
        // wins, unknown keys filter on custom properties, links keep the query) need the raw pairs.
        let pairs = match query_pairs(req) {
            Ok(p) => p,
            Err(e) => return reply(e),
        };
        let query = match ListQuery::parse(&pairs) {
            Ok(q) => q,
            Err(e) => return reply(e),
        };
        let kept: Vec<(String, String)> =
            pairs.into_iter().filter(|(k, _)| k != "marker").collect();
        let first = if kept.is_empty() {
            "/v2/images".to_owned()
        } else {
            format!("/v2/images?{}", urlencode(&kept))
        };
        // The page borrows the table: its wire models are built under the read lock.
        let render = |page: Page<'_>| {
            let next = match page.images.last() {
                Some(last) if page.full => {
                    let mut with_marker = kept;
                    with_marker.push(("marker".into(), last.id.clone()));
                    Some(format!("/v2/images?{}", urlencode(&with_marker)))
                }
                _ => None,
            };
            let schema = "/v2/schemas/images";
            let model = || ImageList {
                images: page.images.iter().copied().map(image).collect(),
                first: first.clone(),
                next: next.clone(),
                schema: schema.into(),
            };
            let images: serde_json::Result<Vec<_>> = page.images.iter().map(|i| json(i)).collect();
            match images {
                Ok(images) => Json::view(
                    &PageView { first: &first, images, next: next.as_deref(), schema },
                    model,
                ),
                Err(_) => Json::of(model()),
            }
        };
        match self.store.glance().list(&caller(req), &query, render) {
            Ok(r) => ListImagesReply::Ok(r),
            Err(e) => reply(e),
        }
    }

    async fn create_image(&self, req: &Request, b: ImageCreate) -> CreateImageReply {
        let new = match new_image(b) {
            Ok(n) => n,
            Err(e) => return reply(e),
        };
        match self.store.glance().create(&caller(req), new) {
            Ok(i) => {
                let location = format!("{}/v2/images/{}", base_url(req), i.id);
                CreateImageReply::Created(
                    Json::of(image(&i)),
                    Some(location),
                    Some(IMPORT_METHODS.to_owned()),
                )
            }
            Err(e) => reply(e),
        }
    }

    async fn show_image(&self, req: &Request, params: ShowImageParams) -> ShowImageReply {
        let ShowImageParams { image_id } = params;
        let render = |i: &store::Image| match json(i) {
            Ok(kept) => Json::view(&kept, || image(i)),
            Err(_) => Json::of(image(i)),
        };
        match self.store.glance().show(&caller(req), &image_id, render) {
            Ok(r) => ShowImageReply::Ok(r),
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
        let (raw, v20) = changes(payload);
        if raw.iter().any(|c| c.path.is_empty()) {
            return reply(ImageError::NoOperation);
        }
        let checked = match raw.into_iter().map(Change::check).collect::<Result<Vec<_>, _>>() {
            Ok(c) => c,
            Err(e) => return reply(e),
        };
        match self.store.glance().update(&caller(req), &image_id, &checked, v20) {
            Ok(i) => UpdateImageReply::Ok(Json::of(image(&i))),
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
        let stored = match self.store.glance().stored(&caller(req), &image_id) {
            Ok(Some(s)) => s,
            Ok(None) => return DownloadImageDataReply::NoContent,
            Err(e) => return reply(e),
        };
        let span = match (range, content_range) {
            (Some(r), _) => Some(byte_range(&r, false, stored.size)),
            (None, Some(r)) => Some(byte_range(&r, true, stored.size)),
            (None, None) => None,
        };
        let span = match span.transpose() {
            Ok(s) => s,
            Err(e) => return reply(e),
        };
        let Ok(mut file) = tokio::fs::File::open(self.store.glance().data().path(&image_id)).await
        else {
            return reply(ImageError::DataMissing(image_id));
        };
        match span {
            None => DownloadImageDataReply::Ok(
                Binary(poem::Body::from_async_read(file)),
                Some(stored.size.to_string()),
                stored.checksum,
            ),
            Some((start, end)) => {
                if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
                    return reply(ImageError::RangeUnreadable);
                }
                let len = end - start + 1;
                DownloadImageDataReply::PartialContent(
                    Binary(poem::Body::from_async_read(file.take(len))),
                    Some(len.to_string()),
                    stored.checksum,
                    Some(format!("bytes {start}-{end}/{}", stored.size)),
                )
            }
        }
    }

    async fn upload_image_data(
        &self,
        req: &Request,
        params: UploadImageDataParams,
        body: poem::Body,
    ) -> UploadImageDataReply {
        let UploadImageDataParams { image_id, x_openstack_image_size: announced } = params;
        let glance = self.store.glance();
        let ticket = match glance.begin_upload(&caller(req), &image_id) {
            Ok(t) => t,
            Err(e) => return reply(e),
        };
        let pending = PendingUpload { glance, ticket: &ticket, settled: false };
        let outcome = stream_to_disk(glance, &ticket, announced, body).await;
        pending.settle();
        let saved = glance.finish_upload(&ticket, outcome.clone().map_err(|_| ()));
        match (outcome, saved) {
            (Err(e), _) => reply(e),
            (Ok(_), Ok(())) => UploadImageDataReply::NoContent,
            (Ok(_), Err(e)) => {
                // The image went away while its data streamed in: the file has no owner.
                glance.data().remove(&image_id).await;
                reply(e)
            }
        }
    }

    async fn list_image_members(
        &self,
        req: &Request,
        params: ListImageMembersParams,
    ) -> ListImageMembersReply {
        let ListImageMembersParams { image_id } = params;
        match self.store.glance().members(&caller(req), &image_id) {
            Ok(ms) => ListImageMembersReply::Ok(Json::of(MemberList {
                members: ms.iter().map(|m| member(&image_id, m)).collect(),
                schema: "/v2/schemas/members".into(),
            })),
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
            Ok(m) => CreateImageMemberReply::Ok(Json::of(member(&image_id, &m))),
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
            Ok(m) => ShowImageMemberReply::Ok(Json::of(member(&image_id, &m))),
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
        let status = match b.status {
            MemberUpdateStatus::Pending => store::MemberStatus::Pending,
            MemberUpdateStatus::Accepted => store::MemberStatus::Accepted,
            MemberUpdateStatus::Rejected => store::MemberStatus::Rejected,
        };
        match self.store.glance().set_member_status(&caller(req), &image_id, &member_id, status) {
            Ok(m) => UpdateImageMemberReply::Ok(Json::of(member(&image_id, &m))),
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

/// An upload in `saving`: dropped before [`PendingUpload::settle`] (the client went away and
/// the request was dropped mid-stream), it puts the image back to `queued`, as a failed upload
/// does, so the image is not stuck in `saving`.
struct PendingUpload<'a> {
    glance: store::Glance<'a>,
    ticket: &'a store::UploadTicket,
    settled: bool,
}

impl PendingUpload<'_> {
    /// The upload ran to an outcome, which the caller records.
    fn settle(mut self) {
        self.settled = true;
    }
}

impl Drop for PendingUpload<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let _ = self.glance.finish_upload(self.ticket, Err(()));
        }
    }
}

/// Streams the body into the data directory, hashing as it goes, then applies Glance's checks
/// on the result (announced size, size cap, format inspection). Any failure discards the data.
async fn stream_to_disk(
    glance: store::Glance<'_>,
    ticket: &store::UploadTicket,
    announced: Option<i64>,
    body: poem::Body,
) -> Result<store::Written, ImageError> {
    let io = |e: std::io::Error| ImageError::DataUnreadable(e.to_string());
    let mut writer = glance.data().writer(&ticket.image_id).await.map_err(io)?;
    let mut chunks = body.into_bytes_stream();
    let failure = loop {
        match chunks.next().await {
            None => break None,
            Some(Ok(chunk)) => {
                if writer.size() + chunk.len() as u64 > store::SIZE_CAP {
                    break Some(ImageError::OverSizeCap);
                }
                if let Err(e) = writer.write(chunk).await {
                    break Some(io(e));
                }
            }
            Some(Err(e)) => break Some(io(e)),
        }
    };
    let failure = failure.or_else(|| {
        let size = i64::try_from(writer.size()).unwrap_or(i64::MAX);
        announced
            .filter(|a| *a != size)
            .map(|announced| ImageError::SizeMismatch { size, announced })
    });
    let inspectable =
        ticket.container_format == "bare" && inspect::is_inspectable(&ticket.disk_format);
    let failure = failure.or_else(|| {
        let detected = writer.detected();
        (inspectable && detected.name() != ticket.disk_format).then(|| ImageError::FormatMismatch {
            declared: ticket.disk_format.clone(),
            detected: detected.name(),
        })
    });
    if let Some(e) = failure {
        writer.discard().await;
        return Err(e);
    }
    let mut written = writer.commit().await.map_err(io)?;
    if !inspectable {
        written.virtual_size = None;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Building the model field by field gives exactly what parsing `image_json` gives.
    #[test]
    fn timestamps_are_written_as_the_format_description_would() {
        let base = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        for step in [0_i64, 1, 59, 3_599, 86_399, 2_678_400, 31_622_400, 987_654_321, -1] {
            let t = base + time::Duration::seconds(step * 7);
            assert_eq!(timestamp(t), slow_timestamp(t), "{t}");
        }
        let far = time::macros::datetime!(-0001-12-31 23:59:59 UTC);
        assert_eq!(timestamp(far), slow_timestamp(far));
    }

    #[test]
    fn image_models_match_their_json() {
        let mut state = crate::store::glance::GlanceState::default();
        let admin = crate::store::glance::Caller::new(Some("p".into()), &["admin".into()]);
        let mut properties = std::collections::BTreeMap::new();
        for (k, v) in [
            ("architecture", "x86_64"),
            ("os_distro", "debian"),
            ("os_version", "12"),
            ("description", "d"),
            ("kernel_id", "0b0e5a2c-59b1-4a8f-9d55-6e4a6a0c6f11"),
            ("cinder_encryption_key_deletion_policy", "do_not_delete"),
            ("hw_disk_bus", "virtio"),
        ] {
            properties.insert(k.to_owned(), v.to_owned());
        }
        let new = crate::store::glance::NewImage {
            name: Some("n".into()),
            container_format: Some("bare".into()),
            disk_format: Some("qcow2".into()),
            properties,
            tags: vec!["a".into()],
            ..Default::default()
        };
        let now = OffsetDateTime::UNIX_EPOCH;
        for img in [
            state.create(&admin, new, now).expect("created"),
            state.create(&admin, Default::default(), now).expect("created"),
        ] {
            let parsed = Image::parse_from_json(Some(image_json(&img))).expect("parses");
            assert_eq!(image(&img), parsed);
        }
    }
}
