//! Snowflake containers and image repositories: databases hold schemas, schemas hold image
//! repositories, repositories hold images. Everything belongs to one account (the principal's
//! project); other accounts never see it.
//!
//! This file holds the records and the operations on them, as functions of [`SnowflakeState`]
//! that take the time when they need it; [`Snowflake`] (`handle.rs`, what `store.snowflake()`
//! returns) takes the lock and reads the clock around each. `ident.rs` resolves identifiers and
//! matches `like`; `properties.rs` knows which fields a client may set; `tags.rs` holds
//! repository tags; `results.rs` deferred results for the 202 protocol; `error.rs` the refusals.
//! Names are stored resolved (see [`ident::resolve`]), so lookups compare stored names exactly.

pub mod error;
pub mod handle;
pub mod ident;
pub mod properties;
pub mod results;
pub mod tags;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use error::{Kind, Result, SnowflakeError};
pub use handle::Snowflake;
use ident::{Ident, resolve};
use properties::{DATABASE_READ_ONLY, Properties, SCHEMA_READ_ONLY, writable};

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
    pub properties: Properties,
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
    pub properties: Properties,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account: String,
    pub role: String,
}

/// Where an image repository lives, as a request names it: `(database, schema)`.
pub type At<'a> = (&'a str, &'a str);

/// An object found in a database, with the database's stored name (responses show it).
#[derive(Debug, Clone, PartialEq)]
pub struct InDatabase<T> {
    pub database: String,
    pub item: T,
}

/// An object found in a schema, with the stored names of the schema and its database.
#[derive(Debug, Clone, PartialEq)]
pub struct InSchema<T> {
    pub database: String,
    pub schema: String,
    pub item: T,
}

/// An image the admin endpoint adds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewImage {
    pub image_name: String,
    pub tags: Vec<String>,
    pub digest: Option<String>,
    pub created_on: Option<OffsetDateTime>,
}

/// The schema every new database starts with.
pub const PUBLIC: &str = "PUBLIC";

/// Databases.
impl SnowflakeState {
    pub fn list_databases(&self, account: &str, filter: &ListFilter<'_>) -> Vec<Database> {
        let all = self.databases.iter().filter(|d| d.account == account);
        narrow(all.cloned().collect(), |d| &d.name, filter)
    }

    /// Creates a database with its `PUBLIC` schema, keeping the writable `properties` only.
    pub fn create_database(
        &mut self,
        actor: &Actor,
        raw: &str,
        mode: CreateMode,
        properties: Properties,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = resolve(raw)?;
        let existing =
            self.databases.iter().position(|d| d.account == actor.account && d.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let public = Schema {
            name: PUBLIC.into(),
            created_on: now,
            owner: actor.role.clone(),
            properties: Properties::new(),
            image_repositories: Vec::new(),
        };
        let db = Database {
            account: actor.account.clone(),
            name: id.name,
            created_on: now,
            owner: actor.role.clone(),
            properties: writable(properties, DATABASE_READ_ONLY),
            schemas: vec![public],
        };
        put(&mut self.databases, existing, db);
        Ok(())
    }

    pub fn fetch_database(&self, account: &str, raw: &str) -> Result<Database> {
        self.database(account, raw).cloned()
    }

    /// Drops a database and everything in it; absent is no error with `if_exists`.
    pub fn delete_database(&mut self, account: &str, raw: &str, if_exists: bool) -> Result<()> {
        let id = resolve(raw)?;
        let found = self.databases.iter().position(|d| d.account == account && d.name == id.name);
        remove(&mut self.databases, found, if_exists, Kind::Database, raw)
    }

    fn database(&self, account: &str, raw: &str) -> Result<&Database> {
        let id = resolve(raw)?;
        self.databases
            .iter()
            .find(|d| d.account == account && d.name == id.name)
            .ok_or_else(|| missing(Kind::Database, raw))
    }

    fn database_mut(&mut self, account: &str, raw: &str) -> Result<&mut Database> {
        let id = resolve(raw)?;
        self.databases
            .iter_mut()
            .find(|d| d.account == account && d.name == id.name)
            .ok_or_else(|| missing(Kind::Database, raw))
    }
}

/// Schemas.
impl SnowflakeState {
    pub fn list_schemas(
        &self,
        account: &str,
        db: &str,
        filter: &ListFilter<'_>,
    ) -> Result<InDatabase<Vec<Schema>>> {
        let d = self.database(account, db)?;
        let item = narrow(d.schemas.clone(), |s| &s.name, filter);
        Ok(InDatabase { database: d.name.clone(), item })
    }

    /// Creates a schema, keeping the writable `properties` only.
    pub fn create_schema(
        &mut self,
        actor: &Actor,
        db: &str,
        raw: &str,
        mode: CreateMode,
        properties: Properties,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = resolve(raw)?;
        let d = self.database_mut(&actor.account, db)?;
        let existing = d.schemas.iter().position(|x| x.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let schema = Schema {
            name: id.name,
            created_on: now,
            owner: actor.role.clone(),
            properties: writable(properties, SCHEMA_READ_ONLY),
            image_repositories: Vec::new(),
        };
        put(&mut d.schemas, existing, schema);
        Ok(())
    }

    pub fn fetch_schema(&self, account: &str, db: &str, raw: &str) -> Result<InDatabase<Schema>> {
        let item = self.schema(account, db, raw)?.clone();
        Ok(InDatabase { database: self.database(account, db)?.name.clone(), item })
    }

    pub fn delete_schema(
        &mut self,
        account: &str,
        db: &str,
        raw: &str,
        if_exists: bool,
    ) -> Result<()> {
        let id = resolve(raw)?;
        let d = self.database_mut(account, db)?;
        let found = d.schemas.iter().position(|x| x.name == id.name);
        remove(&mut d.schemas, found, if_exists, Kind::Schema, raw)
    }

    fn schema(&self, account: &str, db: &str, raw: &str) -> Result<&Schema> {
        let id = resolve(raw)?;
        let d = self.database(account, db)?;
        d.schemas.iter().find(|s| s.name == id.name).ok_or_else(|| missing(Kind::Schema, raw))
    }

    fn schema_mut(&mut self, account: &str, db: &str, raw: &str) -> Result<&mut Schema> {
        let id = resolve(raw)?;
        let d = self.database_mut(account, db)?;
        d.schemas.iter_mut().find(|s| s.name == id.name).ok_or_else(|| missing(Kind::Schema, raw))
    }

    /// A schema with the stored names of itself and its database.
    fn in_schema<T>(&self, account: &str, db: &str, schema: &str, item: T) -> Result<InSchema<T>> {
        let database = self.database(account, db)?.name.clone();
        let schema = self.schema(account, db, schema)?.name.clone();
        Ok(InSchema { database, schema, item })
    }
}

/// Image repositories and their images.
impl SnowflakeState {
    /// The repositories of a schema whose name matches `like`, sorted by name.
    pub fn list_image_repositories(
        &self,
        account: &str,
        (db, schema): At<'_>,
        like: Option<&str>,
    ) -> Result<InSchema<Vec<ImageRepository>>> {
        let sc = self.schema(account, db, schema)?;
        let filter = ListFilter { like, ..ListFilter::default() };
        let item = narrow(sc.image_repositories.clone(), |r| &r.name, &filter);
        self.in_schema(account, db, schema, item)
    }

    /// Creates a repository; quoted names (and containers whose names need quotes) are refused.
    pub fn create_image_repository(
        &mut self,
        actor: &Actor,
        (db, schema): At<'_>,
        raw: &str,
        mode: CreateMode,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = resolve(raw)?;
        if id.quoted {
            return Err(SnowflakeError::QuotedRepositoryName(raw.to_owned()));
        }
        let d = self.database(&actor.account, db)?;
        let sc = self.schema(&actor.account, db, schema)?;
        if ident::needs_quotes(&d.name) || ident::needs_quotes(&sc.name) {
            return Err(SnowflakeError::QuotedContainer);
        }
        let sc = self.schema_mut(&actor.account, db, schema)?;
        let existing = sc.image_repositories.iter().position(|r| r.name == id.name);
        if !may_create(existing.is_some(), mode, &id)? {
            return Ok(());
        }
        let repo = ImageRepository {
            name: id.name,
            created_on: now,
            owner: actor.role.clone(),
            images: Vec::new(),
            tags: Vec::new(),
        };
        put(&mut sc.image_repositories, existing, repo);
        Ok(())
    }

    pub fn fetch_image_repository(
        &self,
        account: &str,
        (db, schema): At<'_>,
        raw: &str,
    ) -> Result<InSchema<ImageRepository>> {
        let id = resolve(raw)?;
        let sc = self.schema(account, db, schema)?;
        let found = sc.image_repositories.iter().find(|r| r.name == id.name);
        let item = found.cloned().ok_or_else(|| missing(Kind::ImageRepository, raw))?;
        self.in_schema(account, db, schema, item)
    }

    pub fn delete_image_repository(
        &mut self,
        account: &str,
        (db, schema): At<'_>,
        raw: &str,
        if_exists: bool,
    ) -> Result<()> {
        let id = resolve(raw)?;
        let sc = self.schema_mut(account, db, schema)?;
        let found = sc.image_repositories.iter().position(|r| r.name == id.name);
        remove(&mut sc.image_repositories, found, if_exists, Kind::ImageRepository, raw)
    }

    /// Adds an image to a repository (the admin seeding endpoint; `now` is its default
    /// `created_on`); an image of the same name is replaced. Answers the repository after.
    pub fn add_image(
        &mut self,
        account: &str,
        (db, schema): At<'_>,
        repo: &str,
        image: NewImage,
        now: OffsetDateTime,
    ) -> Result<InSchema<ImageRepository>> {
        let id = resolve(repo)?;
        let image = image.complete(now)?;
        let sc = self.schema_mut(account, db, schema)?;
        let r = sc
            .image_repositories
            .iter_mut()
            .find(|r| r.name == id.name)
            .ok_or_else(|| missing(Kind::ImageRepository, repo))?;
        r.images.retain(|i| i.image_name != image.image_name);
        r.images.push(image);
        r.images.sort_by(|a, b| a.image_name.cmp(&b.image_name));
        let item = r.clone();
        self.in_schema(account, db, schema, item)
    }

    /// The repository a request names, to change (tags).
    fn repository_mut(
        &mut self,
        account: &str,
        (db, schema): At<'_>,
        raw: &str,
    ) -> Result<Option<&mut ImageRepository>> {
        let id = resolve(raw)?;
        let sc = self.schema_mut(account, db, schema)?;
        Ok(sc.image_repositories.iter_mut().find(|r| r.name == id.name))
    }
}

impl NewImage {
    /// The image as stored: checked, with the defaults filled in.
    fn complete(self, now: OffsetDateTime) -> Result<Image> {
        let name = self.image_name.trim();
        if name.is_empty() || self.tags.iter().any(|t| t.trim().is_empty()) {
            return Err(SnowflakeError::EmptyImageName);
        }
        let digest = match self.digest {
            Some(d) if is_digest(&d) => d,
            Some(d) => return Err(SnowflakeError::BadDigest(d)),
            None => format!("sha256:{}", hex::encode(Sha256::digest(name.as_bytes()))),
        };
        Ok(Image {
            image_name: name.to_owned(),
            tags: if self.tags.is_empty() { vec!["latest".into()] } else { self.tags },
            digest,
            created_on: self.created_on.unwrap_or(now),
        })
    }
}

/// Whether a create goes ahead (`Ok(false)`: leave the existing object alone).
fn may_create(exists: bool, mode: CreateMode, id: &Ident) -> Result<bool> {
    match (exists, mode) {
        (false, _) | (true, CreateMode::OrReplace) => Ok(true),
        (true, CreateMode::IfNotExists) => Ok(false),
        (true, CreateMode::ErrorIfExists) => {
            Err(SnowflakeError::AlreadyExists(ident::display(&id.name)))
        }
    }
}

/// A new object in its place: over the one it replaces, or at the end.
fn put<T>(items: &mut Vec<T>, existing: Option<usize>, item: T) {
    match existing {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}

/// Removes the object found at `found`; absent is no error with `if_exists`.
fn remove<T>(
    items: &mut Vec<T>,
    found: Option<usize>,
    if_exists: bool,
    kind: Kind,
    raw: &str,
) -> Result<()> {
    match found {
        Some(i) => {
            items.remove(i);
            Ok(())
        }
        None if if_exists => Ok(()),
        None => Err(missing(kind, raw)),
    }
}

fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn missing(kind: Kind, raw: &str) -> SnowflakeError {
    SnowflakeError::NotFound { kind, name: raw.to_owned() }
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
