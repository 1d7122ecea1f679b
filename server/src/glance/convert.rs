//! Glance's model ↔ wire conversions: images (as JSON kept in each image's memo, and as the
//! generated model), pages and their links, members, version documents, timestamps, and the
//! request parts the store takes (create bodies, JSON patches, the raw query, byte ranges).

use poem::Request;
use poem_openapi::{payload::Binary, types::ParseFromJSON};
use serde_json::{Value, json, value::RawValue};
use time::{OffsetDateTime, macros::format_description};

use super::error::Refusal;
use super::generated::api::*;
use super::generated::models::*;
use crate::contract::{Json, WireEnum, to_i64, wire};
use crate::store::glance::{
    self as store, Download, NewImage, Visibility, Wanted,
    list::Page,
    patch::{Change, Op},
};

/// The versions Glance 33 advertises, newest first.
const VERSIONS: [&str; 14] = [
    "v2.18", "v2.17", "v2.16", "v2.15", "v2.14", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3",
    "v2.2", "v2.1", "v2.0",
];
/// The import methods a created image's `OpenStack-image-import-methods` header lists.
const IMPORT_METHODS: &str = "glance-direct,web-download,copy-image";

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

pub fn versions(req: &Request) -> VersionList {
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
pub fn image_model(i: &store::Image) -> Image {
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

/// An image's JSON (the serialized [`image_model`]), rendered once and kept in the image's memo until
/// its next write, so listings and shows copy bytes instead of rebuilding and escaping it.
fn json(i: &store::Image) -> serde_json::Result<&RawValue> {
    i.memo.get_or_render(|| serde_json::value::to_raw_value(&image_model(i)))
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

pub fn member(image_id: &str, m: &store::Member) -> Member {
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

pub fn schema_document(text: &str) -> SchemaDocument {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match SchemaDocument::parse_from_json(Some(value)) {
        Ok(d) => d,
        Err(e) => panic!("a served schema does not fit SchemaDocument: {}", e.into_message()),
    }
}

/// The raw query of a request as decoded pairs, in order: the one way Glance's handlers read
/// it. `list_images` needs it because Glance's rules use what typed parameters lose: the order
/// of the pairs, repeated keys (the last value wins, `tag` and the sort keys accumulate) and
/// unknown keys (filters on custom properties); its `next` and `first` links also repeat the
/// query. The generated `ListImagesParams` still validates the typed values first. 400 when a
/// value is not UTF-8 once decoded.
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, Refusal> {
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

/// A create body as the store takes it; the attributes that only Glance sets are named in
/// `server_set`, for the store to refuse.
pub fn new_image(b: ImageCreate) -> NewImage {
    let given = [
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
        ("locations", b.locations.is_some()),
    ];
    let server_set = given.iter().filter(|(_, g)| *g).map(|(key, _)| *key).collect();
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
    NewImage {
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
        server_set,
    }
}

/// A JSON patch as the store takes it, and whether it uses the deprecated v2.0 media type. A
/// v2.0 operation without exactly one of `add`, `remove` and `replace` gets no path, which the
/// store refuses.
pub fn changes(payload: UpdateImagePayload) -> (Vec<Change>, bool) {
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
                        _ => (Op::Add, String::new()),
                    };
                    Change { op, path, value: o.value }
                })
                .collect(),
            true,
        ),
    }
}

/// A shown image: its kept JSON, with the model it stands for.
pub fn shown(i: &store::Image) -> Json<Image> {
    match json(i) {
        Ok(kept) => Json::view(&kept, || image_model(i)),
        Err(_) => Json::of(image_model(i)),
    }
}

/// A page of images for the query `pairs`: the images' kept JSON, with `first` (the query
/// without its marker) and, after a full page, `next` (the same query, marked at the page's
/// last image).
pub fn page(pairs: &[(String, String)], page: Page<'_>) -> Json<ImageList> {
    let kept: Vec<(String, String)> =
        pairs.iter().filter(|(k, _)| k != "marker").cloned().collect();
    let first = if kept.is_empty() {
        "/v2/images".to_owned()
    } else {
        format!("/v2/images?{}", urlencode(&kept))
    };
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
        images: page.images.iter().copied().map(image_model).collect(),
        first: first.clone(),
        next: next.clone(),
        schema: schema.into(),
    };
    let images: serde_json::Result<Vec<_>> = page.images.iter().map(|i| json(i)).collect();
    match images {
        Ok(images) => {
            Json::view(&PageView { first: &first, images, next: next.as_deref(), schema }, model)
        }
        Err(_) => Json::of(model()),
    }
}

/// A created image's reply, with its `Location`.
pub fn created(req: &Request, i: &store::Image) -> CreateImageReply {
    let location = format!("{}/v2/images/{}", base_url(req), i.id);
    CreateImageReply::Created(
        Json::of(image_model(i)),
        Some(location),
        Some(IMPORT_METHODS.to_owned()),
    )
}

pub fn member_list(image_id: &str, members: &[store::Member]) -> MemberList {
    MemberList {
        members: members.iter().map(|m| member(image_id, m)).collect(),
        schema: "/v2/schemas/members".into(),
    }
}

pub fn member_status(status: MemberUpdateStatus) -> store::MemberStatus {
    match status {
        MemberUpdateStatus::Pending => store::MemberStatus::Pending,
        MemberUpdateStatus::Accepted => store::MemberStatus::Accepted,
        MemberUpdateStatus::Rejected => store::MemberStatus::Rejected,
    }
}

/// The span a download asks for: `Range`, else the legacy `Content-Range`.
pub fn wanted(range: Option<String>, content_range: Option<String>) -> Option<Wanted> {
    match (range, content_range) {
        (Some(r), _) => Some(Wanted::Range(r)),
        (None, Some(r)) => Some(Wanted::ContentRange(r)),
        (None, None) => None,
    }
}

/// A download's reply: the data streams from its file.
pub fn download(d: Download) -> DownloadImageDataReply {
    match d {
        Download::Empty => DownloadImageDataReply::NoContent,
        Download::Whole { file, size, checksum } => DownloadImageDataReply::Ok(
            Binary(poem::Body::from_async_read(file)),
            Some(size.to_string()),
            checksum,
        ),
        Download::Part { data, start, end, size, checksum } => {
            DownloadImageDataReply::PartialContent(
                Binary(poem::Body::from_async_read(data)),
                Some((end - start + 1).to_string()),
                checksum,
                Some(format!("bytes {start}-{end}/{size}")),
            )
        }
    }
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
            assert_eq!(image_model(&img), parsed);
        }
    }
}
