//! `SnowflakeApi` implemented over the store: unpack, one store call, map the result.
//!
//! Databases and schemas keep their writable properties as a JSON map, so the conversions
//! below go through JSON: the body minus its read-only fields goes in, the stored map plus the
//! server-filled fields comes out.

use std::collections::BTreeMap;

use crate::contract::Json;
use poem::Request;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::error::{declared, envelope, reply, unauthenticated};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::store::snowflake::{
    self as store, Actor, CreateMode, ListFilter, ident::display, tags::TagRef,
};
use crate::store::{Store, StoreError};

/// The text of every success body.
pub const DONE: &str = "Request successfully completed";
/// The organisation part of `repository_url`.
pub const ORGANISATION: &str = "imagespec";

/// The Snowflake handlers.
pub struct Snowflake {
    pub store: Store,
}

impl SnowflakeApi for Snowflake {
    async fn list_databases(
        &self,
        req: &Request,
        params: ListDatabasesParams,
    ) -> ListDatabasesReply {
        let ListDatabasesParams { like, starts_with, show_limit, from_name, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let f = filter(&like, &starts_with, show_limit, &from_name);
        let dbs = self.store.list_databases(&p.project_id, &f);
        ListDatabasesReply::Ok(Json::of(dbs.iter().filter_map(database).collect()), None)
    }

    async fn create_database(
        &self,
        req: &Request,
        params: CreateDatabaseParams,
        body: Database,
    ) -> CreateDatabaseReply {
        let CreateDatabaseParams { create_mode, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let role = p.snowflake_role();
        let props = writable(&body, DATABASE_READ_ONLY);
        let actor = Actor { account: &p.project_id, role: &role };
        match self.store.create_database(actor, &body.name, mode(&create_mode), props) {
            Ok(()) => CreateDatabaseReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn list_schemas(&self, req: &Request, params: ListSchemasParams) -> ListSchemasReply {
        let ListSchemasParams { database, like, starts_with, show_limit, from_name, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let f = filter(&like, &starts_with, show_limit, &from_name);
        match self.store.list_schemas(&p.project_id, &database, &f) {
            Ok(list) => {
                let db = self.store.fetch_database(&p.project_id, &database).map(|d| d.name);
                let db = db.unwrap_or_default();
                ListSchemasReply::Ok(
                    Json::of(list.iter().filter_map(|s| schema(&db, s)).collect()),
                    None,
                )
            }
            Err(e) => reply(e),
        }
    }

    async fn create_schema(
        &self,
        req: &Request,
        params: CreateSchemaParams,
        body: Schema,
    ) -> CreateSchemaReply {
        let CreateSchemaParams { database, create_mode, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let role = p.snowflake_role();
        let props = writable(&body, SCHEMA_READ_ONLY);
        let actor = Actor { account: &p.project_id, role: &role };
        match self.store.create_schema(actor, &database, &body.name, mode(&create_mode), props) {
            Ok(()) => CreateSchemaReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn fetch_schema(&self, req: &Request, params: FetchSchemaParams) -> FetchSchemaReply {
        let FetchSchemaParams { database, name } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let found = self.store.fetch_schema(&p.project_id, &database, &name).and_then(|s| {
            let db = self.store.fetch_database(&p.project_id, &database)?;
            schema(&db.name, &s).ok_or_else(unrepresentable)
        });
        match found {
            Ok(s) => FetchSchemaReply::Ok(Json::of(s), None),
            Err(e) => reply(e),
        }
    }

    async fn delete_schema(&self, req: &Request, params: DeleteSchemaParams) -> DeleteSchemaReply {
        let DeleteSchemaParams { database, name, if_exists, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        match self.store.delete_schema(&p.project_id, &database, &name, if_exists) {
            Ok(()) => DeleteSchemaReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn list_image_repositories(
        &self,
        req: &Request,
        params: ListImageRepositoriesParams,
    ) -> ListImageRepositoriesReply {
        let ListImageRepositoriesParams { database, schema, like } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let acct = &p.project_id;
        match self.store.list_image_repositories(acct, &database, &schema, like.as_deref()) {
            Ok(list) => {
                let (db, sc) = self.containers(acct, &database, &schema);
                let repos = list.iter().map(|r| repository(acct, &db, &sc, r)).collect();
                ListImageRepositoriesReply::Ok(Json::of(repos), None)
            }
            Err(e) => reply(e),
        }
    }

    async fn create_image_repository(
        &self,
        req: &Request,
        params: CreateImageRepositoryParams,
        body: ImageRepository,
    ) -> CreateImageRepositoryReply {
        let CreateImageRepositoryParams { database, schema, create_mode } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let role = p.snowflake_role();
        let actor = Actor { account: &p.project_id, role: &role };
        let mode = mode(&create_mode);
        match self.store.create_image_repository(actor, &database, &schema, &body.name, mode) {
            Ok(()) => CreateImageRepositoryReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn fetch_image_repository(
        &self,
        req: &Request,
        params: FetchImageRepositoryParams,
    ) -> FetchImageRepositoryReply {
        let FetchImageRepositoryParams { database, schema, name } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let acct = &p.project_id;
        match self.store.fetch_image_repository(acct, &database, &schema, &name) {
            Ok(r) => {
                let (db, sc) = self.containers(acct, &database, &schema);
                FetchImageRepositoryReply::Ok(Json::of(repository(acct, &db, &sc, &r)), None)
            }
            Err(e) => reply(e),
        }
    }

    async fn delete_image_repository(
        &self,
        req: &Request,
        params: DeleteImageRepositoryParams,
    ) -> DeleteImageRepositoryReply {
        let DeleteImageRepositoryParams { database, schema, name, if_exists } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        match self.store.delete_image_repository(
            &p.project_id,
            &database,
            &schema,
            &name,
            if_exists,
        ) {
            Ok(()) => DeleteImageRepositoryReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn set_tags(
        &self,
        req: &Request,
        params: SetTagsParams,
        body: Vec<TagAssignment>,
    ) -> SetTagsReply {
        let SetTagsParams { database, schema, name, if_exists } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let tags: Vec<(TagRef, String)> = body
            .into_iter()
            .map(|t| (tag_ref(t.tag_database, t.tag_schema, t.tag_name), t.tag_value))
            .collect();
        let at = (database.as_str(), schema.as_str(), name.as_str());
        match self.store.set_tags(&p.project_id, at, if_exists, &tags) {
            Ok(()) => SetTagsReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn unset_tags(
        &self,
        req: &Request,
        params: UnsetTagsParams,
        body: Vec<TagReference>,
    ) -> UnsetTagsReply {
        let UnsetTagsParams { database, schema, name, if_exists } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let refs: Vec<TagRef> =
            body.into_iter().map(|t| tag_ref(t.tag_database, t.tag_schema, t.tag_name)).collect();
        let at = (database.as_str(), schema.as_str(), name.as_str());
        match self.store.unset_tags(&p.project_id, at, if_exists, &refs) {
            Ok(()) => UnsetTagsReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn get_tags(&self, req: &Request, params: GetTagsParams) -> GetTagsReply {
        let GetTagsParams { database, schema, name, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let at = (database.as_str(), schema.as_str(), name.as_str());
        match self.store.get_tags(&p.project_id, at) {
            Ok(tags) => GetTagsReply::Ok(
                Json::of(
                    tags.into_iter()
                        .map(|t| TagAssignment {
                            level: Some("IMAGE REPOSITORY".to_owned()),
                            tag_database: Some(t.tag_database),
                            tag_name: t.tag_name,
                            tag_schema: Some(t.tag_schema),
                            tag_value: t.tag_value,
                        })
                        .collect(),
                ),
                None,
            ),
            Err(e) => reply(e),
        }
    }

    async fn list_images_in_repository(
        &self,
        req: &Request,
        params: ListImagesInRepositoryParams,
    ) -> ListImagesInRepositoryReply {
        let ListImagesInRepositoryParams { database, schema, name } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let acct = &p.project_id;
        match self.store.fetch_image_repository(acct, &database, &schema, &name) {
            Ok(r) => {
                let (db, sc) = self.containers(acct, &database, &schema);
                ListImagesInRepositoryReply::Ok(Json::of(images(&db, &sc, &r)), None)
            }
            Err(e) => reply(e),
        }
    }

    async fn fetch_database(
        &self,
        req: &Request,
        params: FetchDatabaseParams,
    ) -> FetchDatabaseReply {
        let FetchDatabaseParams { name } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let found = self.store.fetch_database(&p.project_id, &name);
        match found.and_then(|d| database(&d).ok_or_else(unrepresentable)) {
            Ok(d) => FetchDatabaseReply::Ok(Json::of(d), None),
            Err(e) => reply(e),
        }
    }

    async fn delete_database(
        &self,
        req: &Request,
        params: DeleteDatabaseParams,
    ) -> DeleteDatabaseReply {
        let DeleteDatabaseParams { name, if_exists, .. } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        match self.store.delete_database(&p.project_id, &name, if_exists) {
            Ok(()) => DeleteDatabaseReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn fetch_result(&self, req: &Request, params: FetchResultParams) -> FetchResultReply {
        let FetchResultParams { result_handler, page } = params;
        let Some(p) = principal(req) else { return unauthenticated() };
        let page = usize::try_from(page).unwrap_or(usize::MAX);
        match self.store.poll_result(&result_owner(p), &result_handler, page) {
            store::results::Poll::Running => {
                let (body, location) = super::deferral::accepted(&result_handler);
                FetchResultReply::Accepted(Json::of(body), location)
            }
            store::results::Poll::Done { status: 200, body, page, pages } => {
                let link = (pages > 1).then(|| super::deferral::link(&result_handler, page, pages));
                FetchResultReply::Ok(Json::of(body), link)
            }
            store::results::Poll::Done { status, body, .. } => {
                let message = body["message"].as_str().unwrap_or("the deferred request failed");
                declared(status, envelope(status, message))
            }
            store::results::Poll::Missing => reply(StoreError::NotFound(format!(
                "Result '{result_handler}' (page {page}) does not exist or has expired."
            ))),
        }
    }
}

impl Snowflake {
    /// The stored names of a database and schema (for response fields), as far as they exist.
    fn containers(&self, account: &str, db: &str, schema: &str) -> (String, String) {
        let d = self.store.fetch_database(account, db).map(|d| d.name).unwrap_or_default();
        let s = self.store.fetch_schema(account, db, schema).map(|s| s.name).unwrap_or_default();
        (d, s)
    }
}

/// Who may read a deferred result: the account and the principal.
pub fn result_owner(p: &Principal) -> String {
    format!("{}/{}", p.project_id, p.name)
}

const DATABASE_READ_ONLY: &[&str] = &[
    "name",
    "created_on",
    "is_default",
    "is_current",
    "origin",
    "owner",
    "options",
    "retention_time",
    "dropped_on",
    "budget",
    "owner_role_type",
];
const SCHEMA_READ_ONLY: &[&str] = &[
    "name",
    "created_on",
    "is_default",
    "is_current",
    "database_name",
    "owner",
    "options",
    "retention_time",
    "dropped_on",
    "owner_role_type",
    "budget",
];

fn principal(req: &Request) -> Option<&Principal> {
    req.extensions().get::<Principal>()
}

fn tag_ref(database: Option<String>, schema: Option<String>, name: String) -> TagRef {
    TagRef { database, schema, name }
}

fn done() -> SuccessResponse {
    SuccessResponse { status: Some(DONE.to_owned()) }
}

fn filter<'a>(
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

/// A generated `createMode` enum as the store's, through its wire name.
fn mode<M: ToJSON>(m: &M) -> CreateMode {
    match m.to_json() {
        Some(Value::String(s)) if s == "orReplace" => CreateMode::OrReplace,
        Some(Value::String(s)) if s == "ifNotExists" => CreateMode::IfNotExists,
        _ => CreateMode::ErrorIfExists,
    }
}

/// The body's writable properties (read-only fields and `null`s dropped).
fn writable<T: ToJSON>(body: &T, read_only: &[&str]) -> BTreeMap<String, Value> {
    let Some(Value::Object(map)) = body.to_json() else { return BTreeMap::new() };
    map.into_iter().filter(|(k, v)| !v.is_null() && !read_only.contains(&k.as_str())).collect()
}

fn time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn unrepresentable() -> StoreError {
    StoreError::Invalid("the stored object has properties the contract cannot represent".into())
}

/// A model from a JSON object: the stored properties under the server-filled fields.
fn model<T: ParseFromJSON>(props: &BTreeMap<String, Value>, filled: Value) -> Option<T> {
    let mut map: serde_json::Map<String, Value> =
        props.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Value::Object(f) = filled {
        map.extend(f);
    }
    T::parse_from_json(Some(Value::Object(map)))
        .map_err(|e| tracing::error!(error = %e.message(), "stored object does not fit its model"))
        .ok()
}

fn database(d: &store::Database) -> Option<Database> {
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

fn schema(db: &str, s: &store::Schema) -> Option<Schema> {
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

fn repository(
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

/// One entry per tag of each image, as JSON (the admin endpoint answers with it too).
pub(crate) fn image_list(
    db: &str,
    schema: &str,
    r: &store::ImageRepository,
) -> Vec<serde_json::Value> {
    images(db, schema, r).iter().filter_map(ToJSON::to_json).collect()
}

/// One entry per tag of each image.
fn images(db: &str, schema: &str, r: &store::ImageRepository) -> Vec<Image> {
    let prefix = format!("{db}/{schema}/{}", r.name).to_lowercase();
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
