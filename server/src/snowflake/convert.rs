//! Between the generated models and the store's records.
//!
//! Databases and schemas keep a client's writable properties as a JSON map, so those
//! conversions go through JSON: the body's fields go in (the store drops the read-only ones),
//! the stored map under the server-filled fields comes out.

use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::generated::models::*;
use crate::store::snowflake::{
    self as store, CreateMode, InSchema, ListFilter, ident::display, properties::Properties,
    tags::TagRef,
};

/// The text of every success body.
pub const DONE: &str = "Request successfully completed";
/// The organisation part of `repository_url`.
pub const ORGANISATION: &str = "imagespec";

/// The body of every successful write.
pub fn done() -> SuccessResponse {
    SuccessResponse { status: Some(DONE.to_owned()) }
}

/// The narrowing of a container list, from its query parameters.
pub fn filter<'a>(
    like: &'a Option<String>,
    starts_with: &'a Option<String>,
    show_limit: Option<i32>,
    from_name: &'a Option<String>,
) -> ListFilter<'a> {
    ListFilter {
        like: like.as_deref(),
        starts_with: starts_with.as_deref(),
        from_name: from_name.as_deref(),
        show_limit: show_limit.and_then(|n| usize::try_from(n).ok()),
    }
}

/// Every operation's `createMode` as the store's.
macro_rules! create_mode {
    ($($generated:ident),*) => {$(
        impl From<$generated> for CreateMode {
            fn from(mode: $generated) -> Self {
                match mode {
                    $generated::ErrorIfExists => CreateMode::ErrorIfExists,
                    $generated::OrReplace => CreateMode::OrReplace,
                    $generated::IfNotExists => CreateMode::IfNotExists,
                }
            }
        }
    )*};
}
create_mode!(CreateDatabaseCreateMode, CreateSchemaCreateMode, CreateImageRepositoryCreateMode);

/// The fields a body gives (`null`s count as absent).
pub fn properties<T: ToJSON>(body: &T) -> Properties {
    let Some(Value::Object(map)) = body.to_json() else { return Properties::new() };
    map.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

pub fn tag_assignments(body: Vec<TagAssignment>) -> Vec<(TagRef, String)> {
    body.into_iter()
        .map(|t| (tag_ref(t.tag_database, t.tag_schema, t.tag_name), t.tag_value))
        .collect()
}

pub fn tag_references(body: Vec<TagReference>) -> Vec<TagRef> {
    body.into_iter().map(|t| tag_ref(t.tag_database, t.tag_schema, t.tag_name)).collect()
}

fn tag_ref(database: Option<String>, schema: Option<String>, name: String) -> TagRef {
    TagRef { database, schema, name }
}

pub fn tags(tags: Vec<store::tags::RepoTag>) -> Vec<TagAssignment> {
    tags.into_iter()
        .map(|t| TagAssignment {
            level: Some("IMAGE REPOSITORY".to_owned()),
            tag_database: Some(t.tag_database),
            tag_name: t.tag_name,
            tag_schema: Some(t.tag_schema),
            tag_value: t.tag_value,
        })
        .collect()
}

/// A database as the contract shows it; `None` (logged) when its stored properties do not fit.
pub fn database(d: &store::Database) -> Option<Database> {
    let retention = d.properties.get("data_retention_time_in_days").cloned().unwrap_or(json!(1));
    model(
        &d.properties,
        json!({
            "name": display(&d.name),
            "created_on": time(d.created_on),
            "is_default": false,
            "is_current": false,
            "origin": "",
            "owner": d.owner,
            "options": "",
            "retention_time": retention,
            "owner_role_type": "ROLE",
        }),
    )
}

/// A schema of the database stored as `db`; `None` (logged) when its properties do not fit.
pub fn schema(db: &str, s: &store::Schema) -> Option<Schema> {
    let retention = s.properties.get("data_retention_time_in_days").cloned().unwrap_or(json!(1));
    model(
        &s.properties,
        json!({
            "name": display(&s.name),
            "database_name": display(db),
            "created_on": time(s.created_on),
            "is_default": false,
            "is_current": false,
            "owner": s.owner,
            "options": "",
            "retention_time": retention,
            "owner_role_type": "ROLE",
        }),
    )
}

pub fn repositories(
    account: &str,
    found: &InSchema<Vec<store::ImageRepository>>,
) -> Vec<ImageRepository> {
    found.item.iter().map(|r| repository(account, &found.database, &found.schema, r)).collect()
}

pub fn repository(
    account: &str,
    db: &str,
    schema: &str,
    r: &store::ImageRepository,
) -> ImageRepository {
    let host = format!("{ORGANISATION}-{account}").replace('_', "-");
    let url = format!("{host}.registry.snowflakecomputing.com/{db}/{schema}/{}", r.name);
    ImageRepository {
        name: display(&r.name),
        database_name: Some(display(db)),
        schema_name: Some(display(schema)),
        created_on: Some(time(r.created_on)),
        repository_url: Some(url.to_lowercase()),
        owner: Some(r.owner.clone()),
        owner_role_type: Some("ROLE".to_owned()),
    }
}

/// One entry per tag of each image.
pub fn images(found: &InSchema<store::ImageRepository>) -> Vec<Image> {
    let InSchema { database, schema, item: r } = found;
    let prefix = format!("{database}/{schema}/{}", r.name).to_lowercase();
    r.images
        .iter()
        .flat_map(|i| i.tags.iter().map(move |tag| (i, tag)))
        .map(|(i, tag)| Image {
            created_on: Some(time(i.created_on)),
            image_name: Some(i.image_name.clone()),
            tags: Some(tag.clone()),
            digest: Some(i.digest.clone()),
            image_path: Some(format!("{prefix}/{}:{tag}", i.image_name)),
        })
        .collect()
}

/// [`images`] as JSON (the admin endpoint, which has no generated replies, answers with it).
pub fn image_list(found: &InSchema<store::ImageRepository>) -> Vec<Value> {
    images(found).iter().filter_map(ToJSON::to_json).collect()
}

fn time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A model from a JSON object: the stored properties under the server-filled fields.
fn model<T: ParseFromJSON>(props: &Properties, filled: Value) -> Option<T> {
    let mut map: serde_json::Map<String, Value> =
        props.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Value::Object(f) = filled {
        map.extend(f);
    }
    T::parse_from_json(Some(Value::Object(map)))
        .map_err(|e| tracing::error!(error = %e.message(), "stored object does not fit its model"))
        .ok()
}
