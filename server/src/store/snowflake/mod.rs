//! Snowflake containers and image repositories: databases hold schemas, schemas hold image
//! repositories, repositories hold images. Everything belongs to one account (the principal's
//! project); other accounts never see it.
//!
//! `ident.rs` resolves identifiers and matches `like`; `results.rs` holds deferred results for
//! the 202 protocol. Names are stored resolved (see [`ident::resolve`]), so lookups compare
//! stored names exactly.

pub mod ident;
pub mod results;
pub mod tags;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{Store, StoreError};
use ident::{Ident, resolve};

/// The state of the family, as saved and loaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnowflakeState {
    #[serde(default)]
    pub databases: Vec<Database>,
}

/// A database as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// The account (principal's project) it belongs to.
    pub account: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
    /// The role that created it.
    pub owner: String,
    /// Writable properties as given by the client (`kind`, `comment`, ...).
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
    #[serde(default)]
    pub schemas: Vec<Schema>,
}

/// A schema as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
    pub owner: String,
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
    #[serde(default)]
    pub image_repositories: Vec<ImageRepository>,
}

/// An image repository as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRepository {
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
    pub owner: String,
    #[serde(default)]
    pub images: Vec<Image>,
    /// Tags set on the repository (`:set-tags`), sorted by database, schema and name.
    #[serde(default)]
    pub tags: Vec<tags::RepoTag>,
}

/// One image (all its tags) in a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub image_name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub digest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
}

/// What `createMode` asks for when the name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    ErrorIfExists,
    OrReplace,
    IfNotExists,
}

/// The narrowing a container list takes; `show_limit` applies last.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    pub like: Option<&'a str>,
    pub starts_with: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub show_limit: Option<usize>,
}

/// Who is acting: the account objects belong to and the role that becomes `owner`.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub account: &'a str,
    pub role: &'a str,
}

/// The schema every new database starts with.
pub const PUBLIC: &str = "PUBLIC";

impl SnowflakeState {
    fn database(&self, account: &str, raw: &str) -> Result<&Database, StoreError> {
        let id = resolve(raw)?;
        self.databases
            .iter()
            .find(|d| d.account == account && d.name == id.name)
            .ok_or_else(|| missing("Database", raw))
    }

    fn database_mut(&mut self, account: &str, raw: &str) -> Result<&mut Database, StoreError> {
        let id = resolve(raw)?;
        self.databases
            .iter_mut()
            .find(|d| d.account == account && d.name == id.name)
            .ok_or_else(|| missing("Database", raw))
    }

    fn schema(&self, account: &str, db: &str, raw: &str) -> Result<&Schema, StoreError> {
        let id = resolve(raw)?;
        let d = self.database(account, db)?;
        d.schemas.iter().find(|s| s.name == id.name).ok_or_else(|| missing("Schema", raw))
    }

    fn schema_mut(
        &mut self,
        account: &str,
        db: &str,
        raw: &str,
    ) -> Result<&mut Schema, StoreError> {
        let id = resolve(raw)?;
        let d = self.database_mut(account, db)?;
        d.schemas.iter_mut().find(|s| s.name == id.name).ok_or_else(|| missing("Schema", raw))
    }
}

impl Store {
    pub fn list_databases(&self, account: &str, filter: &ListFilter<'_>) -> Vec<Database> {
        let s = self.snowflake_read();
        let all = s.databases.iter().filter(|d| d.account == account);
        narrow(all.cloned().collect(), |d| &d.name, filter)
    }

    pub fn create_database(
        &self,
        actor: Actor<'_>,
        raw: &str,
        mode: CreateMode,
        properties: BTreeMap<String, Value>,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        let now = self.now();
        let mut s = self.snowflake();
        let existing =
            s.databases.iter().position(|d| d.account == actor.account && d.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let public = Schema {
            name: PUBLIC.into(),
            created_on: now,
            owner: actor.role.into(),
            properties: BTreeMap::new(),
            image_repositories: Vec::new(),
        };
        let db = Database {
            account: actor.account.into(),
            name: id.name,
            created_on: now,
            owner: actor.role.into(),
            properties,
            schemas: vec![public],
        };
        match existing {
            Some(i) => s.databases[i] = db,
            None => s.databases.push(db),
        }
        Ok(())
    }

    pub fn fetch_database(&self, account: &str, raw: &str) -> Result<Database, StoreError> {
        self.snowflake_read().database(account, raw).cloned()
    }

    /// Drops a database and everything in it; `Ok(false)` when it was absent and `if_exists`.
    pub fn delete_database(
        &self,
        account: &str,
        raw: &str,
        if_exists: bool,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        let mut s = self.snowflake();
        match s.databases.iter().position(|d| d.account == account && d.name == id.name) {
            Some(i) => {
                s.databases.remove(i);
                Ok(())
            }
            None if if_exists => Ok(()),
            None => Err(missing("Database", raw)),
        }
    }

    pub fn list_schemas(
        &self,
        account: &str,
        db: &str,
        filter: &ListFilter<'_>,
    ) -> Result<Vec<Schema>, StoreError> {
        let s = self.snowflake_read();
        let d = s.database(account, db)?;
        Ok(narrow(d.schemas.clone(), |s| &s.name, filter))
    }

    pub fn create_schema(
        &self,
        actor: Actor<'_>,
        db: &str,
        raw: &str,
        mode: CreateMode,
        properties: BTreeMap<String, Value>,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        let now = self.now();
        let mut s = self.snowflake();
        let d = s.database_mut(actor.account, db)?;
        let existing = d.schemas.iter().position(|x| x.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let schema = Schema {
            name: id.name,
            created_on: now,
            owner: actor.role.into(),
            properties,
            image_repositories: Vec::new(),
        };
        match existing {
            Some(i) => d.schemas[i] = schema,
            None => d.schemas.push(schema),
        }
        Ok(())
    }

    pub fn fetch_schema(&self, account: &str, db: &str, raw: &str) -> Result<Schema, StoreError> {
        self.snowflake_read().schema(account, db, raw).cloned()
    }

    pub fn delete_schema(
        &self,
        account: &str,
        db: &str,
        raw: &str,
        if_exists: bool,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        let mut s = self.snowflake();
        let d = s.database_mut(account, db)?;
        match d.schemas.iter().position(|x| x.name == id.name) {
            Some(i) => {
                d.schemas.remove(i);
                Ok(())
            }
            None if if_exists => Ok(()),
            None => Err(missing("Schema", raw)),
        }
    }

    /// The repositories of a schema whose name matches `like`, sorted by name.
    pub fn list_image_repositories(
        &self,
        account: &str,
        db: &str,
        schema: &str,
        like: Option<&str>,
    ) -> Result<Vec<ImageRepository>, StoreError> {
        let s = self.snowflake_read();
        let sc = s.schema(account, db, schema)?;
        let filter = ListFilter { like, ..ListFilter::default() };
        Ok(narrow(sc.image_repositories.clone(), |r| &r.name, &filter))
    }

    /// Creates a repository; quoted names (and containers whose names need quotes) are refused.
    pub fn create_image_repository(
        &self,
        actor: Actor<'_>,
        db: &str,
        schema: &str,
        raw: &str,
        mode: CreateMode,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        if id.quoted {
            return Err(StoreError::Invalid(format!(
                "SQL compilation error:\nquoted identifiers are not supported for image repositories: {raw}"
            )));
        }
        let now = self.now();
        let mut s = self.snowflake();
        let d = s.database(actor.account, db)?;
        let sc = s.schema(actor.account, db, schema)?;
        if ident::needs_quotes(&d.name) || ident::needs_quotes(&sc.name) {
            return Err(StoreError::Invalid(
                "SQL compilation error:\nimage repositories cannot live in a database or schema whose name needs quotes"
                    .into(),
            ));
        }
        let sc = s.schema_mut(actor.account, db, schema)?;
        let existing = sc.image_repositories.iter().position(|r| r.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let repo = ImageRepository {
            name: id.name,
            created_on: now,
            owner: actor.role.into(),
            images: Vec::new(),
            tags: Vec::new(),
        };
        match existing {
            Some(i) => sc.image_repositories[i] = repo,
            None => sc.image_repositories.push(repo),
        }
        Ok(())
    }

    pub fn fetch_image_repository(
        &self,
        account: &str,
        db: &str,
        schema: &str,
        raw: &str,
    ) -> Result<ImageRepository, StoreError> {
        let id = resolve(raw)?;
        let s = self.snowflake_read();
        let sc = s.schema(account, db, schema)?;
        sc.image_repositories
            .iter()
            .find(|r| r.name == id.name)
            .cloned()
            .ok_or_else(|| missing("Image repository", raw))
    }

    pub fn delete_image_repository(
        &self,
        account: &str,
        db: &str,
        schema: &str,
        raw: &str,
        if_exists: bool,
    ) -> Result<(), StoreError> {
        let id = resolve(raw)?;
        let mut s = self.snowflake();
        let sc = s.schema_mut(account, db, schema)?;
        match sc.image_repositories.iter().position(|r| r.name == id.name) {
            Some(i) => {
                sc.image_repositories.remove(i);
                Ok(())
            }
            None if if_exists => Ok(()),
            None => Err(missing("Image repository", raw)),
        }
    }

    /// Adds an image to a repository (the admin seeding endpoint); an image of the same name is
    /// replaced.
    pub fn add_image(
        &self,
        account: &str,
        db: &str,
        schema: &str,
        repo: &str,
        image: NewImage,
    ) -> Result<Image, StoreError> {
        let id = resolve(repo)?;
        let name = image.image_name.trim();
        if name.is_empty() || image.tags.iter().any(|t| t.trim().is_empty()) {
            return Err(StoreError::Invalid("image_name and every tag must be non-empty".into()));
        }
        let digest = match image.digest {
            Some(d) if is_digest(&d) => d,
            Some(d) => {
                return Err(StoreError::Invalid(format!("digest `{d}` is not sha256:<64 hex>")));
            }
            None => format!("sha256:{}", hex::encode(Sha256::digest(name.as_bytes()))),
        };
        let image = Image {
            image_name: name.to_owned(),
            tags: if image.tags.is_empty() { vec!["latest".into()] } else { image.tags },
            digest,
            created_on: image.created_on.unwrap_or_else(|| self.now()),
        };
        let mut s = self.snowflake();
        let sc = s.schema_mut(account, db, schema)?;
        let r = sc
            .image_repositories
            .iter_mut()
            .find(|r| r.name == id.name)
            .ok_or_else(|| missing("Image repository", repo))?;
        r.images.retain(|i| i.image_name != image.image_name);
        r.images.push(image.clone());
        r.images.sort_by(|a, b| a.image_name.cmp(&b.image_name));
        Ok(image)
    }
}

/// An image the admin endpoint adds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewImage {
    pub image_name: String,
    pub tags: Vec<String>,
    pub digest: Option<String>,
    pub created_on: Option<OffsetDateTime>,
}

impl Store {
    /// Stores a deferred result and returns its handle.
    pub fn defer_result(&self, result: results::Deferred) -> String {
        self.snowflake_results().put(result)
    }

    pub fn poll_result(&self, owner: &str, handle: &str, page: usize) -> results::Poll {
        self.snowflake_results().poll(owner, handle, page)
    }
}

/// Whether a create goes ahead (`Ok(false)`: leave the existing object alone).
fn may_create(exists: bool, mode: CreateMode, id: &Ident) -> Result<bool, StoreError> {
    match (exists, mode) {
        (false, _) | (true, CreateMode::OrReplace) => Ok(true),
        (true, CreateMode::IfNotExists) => Ok(false),
        (true, CreateMode::ErrorIfExists) => Err(StoreError::AlreadyExists(format!(
            "SQL compilation error:\nObject '{}' already exists.",
            ident::display(&id.name)
        ))),
    }
}

fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn missing(kind: &str, raw: &str) -> StoreError {
    StoreError::NotFound(format!(
        "SQL compilation error:\n{kind} '{raw}' does not exist or not authorized."
    ))
}

/// Sorts by name, then applies the filters and the limit.
fn narrow<T>(mut items: Vec<T>, name: fn(&T) -> &String, f: &ListFilter<'_>) -> Vec<T> {
    items.sort_by(|a, b| name(a).cmp(name(b)));
    let start = f
        .from_name
        .and_then(|from| items.iter().position(|i| name(i).as_str() >= from))
        .unwrap_or(if f.from_name.is_some() { items.len() } else { 0 });
    items
        .into_iter()
        .skip(start)
        .filter(|i| f.like.is_none_or(|p| ident::like(p, name(i))))
        .filter(|i| f.starts_with.is_none_or(|p| name(i).starts_with(p)))
        .take(f.show_limit.unwrap_or(usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests;
