//! `SnowflakeApi` implemented over the store: each operation resolves the caller, makes one
//! store call and converts the answer (`convert.rs`); refusals become `error.rs`'s envelope.

use poem::Request;

use super::convert::{self, done};
use super::error::{reply, unauthenticated, unrepresentable};
use super::generated::api::*;
use super::generated::models::*;
use crate::auth::Principal;
use crate::contract::Json;
use crate::store::{Store, snowflake::Actor};

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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let f = convert::filter(&like, &starts_with, show_limit, &from_name);
        let dbs = self.store.snowflake().list_databases(&caller.account, &f);
        ListDatabasesReply::Ok(Json::of(dbs.iter().filter_map(convert::database).collect()), None)
    }

    async fn create_database(
        &self,
        req: &Request,
        params: CreateDatabaseParams,
        body: Database,
    ) -> CreateDatabaseReply {
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (mode, props) = (params.create_mode.into(), convert::properties(&body));
        match self.store.snowflake().create_database(&caller, &body.name, mode, props) {
            Ok(()) => CreateDatabaseReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn fetch_database(
        &self,
        req: &Request,
        params: FetchDatabaseParams,
    ) -> FetchDatabaseReply {
        let Some(caller) = caller(req) else { return unauthenticated() };
        match self.store.snowflake().fetch_database(&caller.account, &params.name) {
            Ok(d) => match convert::database(&d) {
                Some(d) => FetchDatabaseReply::Ok(Json::of(d), None),
                None => unrepresentable(),
            },
            Err(e) => reply(e),
        }
    }

    async fn delete_database(
        &self,
        req: &Request,
        params: DeleteDatabaseParams,
    ) -> DeleteDatabaseReply {
        let DeleteDatabaseParams { name, if_exists, .. } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        match self.store.snowflake().delete_database(&caller.account, &name, if_exists) {
            Ok(()) => DeleteDatabaseReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn list_schemas(&self, req: &Request, params: ListSchemasParams) -> ListSchemasReply {
        let ListSchemasParams { database, like, starts_with, show_limit, from_name, .. } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        let f = convert::filter(&like, &starts_with, show_limit, &from_name);
        match self.store.snowflake().list_schemas(&caller.account, &database, &f) {
            Ok(found) => {
                let schemas = found.item.iter().filter_map(|s| convert::schema(&found.database, s));
                ListSchemasReply::Ok(Json::of(schemas.collect()), None)
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (mode, props) = (create_mode.into(), convert::properties(&body));
        match self.store.snowflake().create_schema(&caller, &database, &body.name, mode, props) {
            Ok(()) => CreateSchemaReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn fetch_schema(&self, req: &Request, params: FetchSchemaParams) -> FetchSchemaReply {
        let FetchSchemaParams { database, name } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        match self.store.snowflake().fetch_schema(&caller.account, &database, &name) {
            Ok(found) => match convert::schema(&found.database, &found.item) {
                Some(s) => FetchSchemaReply::Ok(Json::of(s), None),
                None => unrepresentable(),
            },
            Err(e) => reply(e),
        }
    }

    async fn delete_schema(&self, req: &Request, params: DeleteSchemaParams) -> DeleteSchemaReply {
        let DeleteSchemaParams { database, name, if_exists, .. } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        match self.store.snowflake().delete_schema(&caller.account, &database, &name, if_exists) {
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        match self.store.snowflake().list_image_repositories(acct, at, like.as_deref()) {
            Ok(found) => {
                ListImageRepositoriesReply::Ok(Json::of(convert::repositories(acct, &found)), None)
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let at = (database.as_str(), schema.as_str());
        let sf = self.store.snowflake();
        match sf.create_image_repository(&caller, at, &body.name, create_mode.into()) {
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        match self.store.snowflake().fetch_image_repository(acct, at, &name) {
            Ok(found) => {
                let r = convert::repository(acct, &found.database, &found.schema, &found.item);
                FetchImageRepositoryReply::Ok(Json::of(r), None)
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        match self.store.snowflake().delete_image_repository(acct, at, &name, if_exists) {
            Ok(()) => DeleteImageRepositoryReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn list_images_in_repository(
        &self,
        req: &Request,
        params: ListImagesInRepositoryParams,
    ) -> ListImagesInRepositoryReply {
        let ListImagesInRepositoryParams { database, schema, name } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        match self.store.snowflake().fetch_image_repository(acct, at, &name) {
            Ok(found) => ListImagesInRepositoryReply::Ok(Json::of(convert::images(&found)), None),
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        let tags = convert::tag_assignments(body);
        match self.store.snowflake().set_tags(acct, at, &name, if_exists, &tags) {
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
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        let refs = convert::tag_references(body);
        match self.store.snowflake().unset_tags(acct, at, &name, if_exists, &refs) {
            Ok(()) => UnsetTagsReply::Ok(Json::of(done())),
            Err(e) => reply(e),
        }
    }

    async fn get_tags(&self, req: &Request, params: GetTagsParams) -> GetTagsReply {
        let GetTagsParams { database, schema, name, .. } = params;
        let Some(caller) = caller(req) else { return unauthenticated() };
        let (acct, at) = (&caller.account, (database.as_str(), schema.as_str()));
        match self.store.snowflake().get_tags(acct, at, &name) {
            Ok(tags) => GetTagsReply::Ok(Json::of(convert::tags(tags)), None),
            Err(e) => reply(e),
        }
    }

    async fn fetch_result(&self, req: &Request, params: FetchResultParams) -> FetchResultReply {
        let FetchResultParams { result_handler, page } = params;
        let Some(p) = req.extensions().get::<Principal>() else { return unauthenticated() };
        let page = usize::try_from(page).unwrap_or(usize::MAX);
        let owner = super::deferral::owner(p);
        match self.store.snowflake().poll_result(&owner, &result_handler, page) {
            Ok(poll) => super::deferral::released(&result_handler, poll),
            Err(e) => reply(e),
        }
    }
}

/// The caller as the store knows it (the auth middleware always sets a principal).
fn caller(req: &Request) -> Option<Actor> {
    let p = req.extensions().get::<Principal>()?;
    Some(Actor { account: p.project_id.clone(), role: p.snowflake_role() })
}
