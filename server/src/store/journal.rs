//! The optional on-disk copy of every family's state (`--data-dir`): a redb database that each
//! write reaches, committed, before the write is acknowledged.
//!
//! Why redb rather than SQLite: it is pure Rust (nothing to install, no C library), one file,
//! and its commits are durable when `commit` returns (`Durability::Immediate`: copy-on-write
//! pages and a checksummed commit slot, so a write cut off by `kill -9` or a power cut is simply
//! not there after restart, and what was committed is whole). The store's state is already serde
//! values keyed by id, so a key-value table fits; SQL would only be a detour.
//!
//! Layout: `families` holds CCE, SWR and Snowflake as one JSON document each, rewritten when it
//! changed (those states are small and their writes touch several records at once); Glance's
//! table can hold a million images, so `glance_images` holds one JSON document per image, keyed
//! by id, and a write stores only the images it changed; a deleted image leaves that table for
//! `glance_deleted`, which keeps its id reserved. `meta` holds the format version.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use redb::{Database, ReadableTable, TableDefinition};
use serde::Serialize;

use super::State;
use super::glance::{GlanceState, Image, Row};

const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
const FAMILIES: TableDefinition<&str, &[u8]> = TableDefinition::new("families");
const GLANCE_IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("glance_images");
const GLANCE_DELETED: TableDefinition<&str, ()> = TableDefinition::new("glance_deleted");

/// The layout version written in `meta`; a database of another version is refused.
const FORMAT: &str = "2";
/// The layout before `glance_deleted` (deleted images were kept whole, with status `deleted`):
/// read, then rewritten as [`FORMAT`] at once.
const FORMAT_1: &str = "1";

/// redb's page cache (nine tenths for reads, one tenth for a transaction's dirty pages). Its
/// default is 1 GiB, which the server's memory grows into as the file grows. The journal only
/// writes (it reads the file once, at start) and a write touches a few pages per changed
/// document, so a small cache costs nothing measurable: the durable soak ran as fast with 1 MiB
/// as with 16 MiB, and with 16 MiB its memory grew by the cache filling (docs/soak.md).
const CACHE: usize = 4 << 20;

/// The database's name inside the data directory (image files are named by UUID, so the two
/// never meet).
pub const FILE_NAME: &str = "state.redb";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the state database {0}")]
    /// Boxed: redb's error is large, and every journal call returns this.
    Db(String, #[source] Box<redb::Error>),
    #[error("{path} holds state format {found}, and this build reads format {FORMAT}")]
    Format { path: String, found: String },
    #[error("the saved {what} in {path} does not parse")]
    Parse {
        what: String,
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("serializing the {0} state")]
    Serialize(String, #[source] serde_json::Error),
}

/// The open database, and what was last written for each whole-document family.
#[derive(Debug)]
pub struct Journal {
    db: Database,
    path: PathBuf,
    written: Mutex<HashMap<&'static str, Vec<u8>>>,
}

fn db(path: &Path, e: impl Into<redb::Error>) -> JournalError {
    JournalError::Db(path.display().to_string(), Box::new(e.into()))
}

impl Journal {
    /// Opens the database in `dir`, creating it if there is none, with the state it holds
    /// (`None` for a new database, which [`Journal::seed`] fills).
    pub fn open(dir: &Path) -> Result<(Self, Option<State>), JournalError> {
        let path = dir.join(FILE_NAME);
        let database =
            redb::Builder::new().set_cache_size(CACHE).create(&path).map_err(|e| db(&path, e))?;
        let journal = Self { db: database, path, written: Mutex::default() };
        let (state, old) = journal.load()?;
        if let (Some(state), true) = (&state, old) {
            journal.seed(state)?;
        }
        Ok((journal, state))
    }

    /// The saved state, and whether it was in the older layout.
    fn load(&self) -> Result<(Option<State>, bool), JournalError> {
        let err = |e: redb::Error| JournalError::Db(self.path.display().to_string(), Box::new(e));
        let txn = self.db.begin_read().map_err(|e| err(e.into()))?;
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok((None, false)),
            Err(e) => return Err(err(e.into())),
        };
        let Some(found) = meta.get("format").map_err(|e| err(e.into()))? else {
            return Ok((None, false));
        };
        let old = found.value() == FORMAT_1;
        if found.value() != FORMAT && !old {
            let (path, found) = (self.path.display().to_string(), found.value().to_owned());
            return Err(JournalError::Format { path, found });
        }
        let parse = |what: &str, bytes: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(bytes).map_err(|source| {
                JournalError::Parse {
                    what: what.to_owned(),
                    path: self.path.display().to_string(),
                    source,
                }
            })
        };
        let mut document = serde_json::Map::new();
        let families = txn.open_table(FAMILIES).map_err(|e| err(e.into()))?;
        for name in ["cce", "swr", "snowflake"] {
            if let Some(bytes) = families.get(name).map_err(|e| err(e.into()))? {
                document.insert(name.to_owned(), parse(name, bytes.value())?);
                self.remember(name, bytes.value().to_vec());
            }
        }
        let images = txn.open_table(GLANCE_IMAGES).map_err(|e| err(e.into()))?;
        let mut glance = BTreeMap::new();
        for entry in images.iter().map_err(|e| err(e.into()))? {
            let (id, bytes) = entry.map_err(|e| err(e.into()))?;
            let what = format!("Glance image {}", id.value());
            let image: Image = serde_json::from_slice(bytes.value()).map_err(|source| {
                JournalError::Parse { what, path: self.path.display().to_string(), source }
            })?;
            glance.insert(id.value().to_owned(), image);
        }
        let mut deleted = Vec::new();
        match txn.open_table(GLANCE_DELETED) {
            Ok(table) => {
                for entry in table.iter().map_err(|e| err(e.into()))? {
                    deleted.push(entry.map_err(|e| err(e.into()))?.0.value().to_owned());
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(err(e.into())),
        }
        let mut state: State = serde_json::from_value(serde_json::Value::Object(document))
            .map_err(|source| JournalError::Parse {
                what: "state".into(),
                path: self.path.display().to_string(),
                source,
            })?;
        state.glance = GlanceState::recovered(glance, deleted);
        Ok((Some(state), old))
    }

    fn remember(&self, family: &'static str, bytes: Vec<u8>) {
        self.written.lock().unwrap_or_else(PoisonError::into_inner).insert(family, bytes);
    }

    /// Writes the whole state, replacing whatever the database held, in one transaction.
    pub fn seed(&self, state: &State) -> Result<(), JournalError> {
        let txn = self.db.begin_write().map_err(|e| db(&self.path, e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| db(&self.path, e))?;
            meta.insert("format", FORMAT).map_err(|e| db(&self.path, e))?;
            let mut families = txn.open_table(FAMILIES).map_err(|e| db(&self.path, e))?;
            for (name, bytes) in [
                ("cce", json("cce", &state.cce)?),
                ("swr", json("swr", &state.swr)?),
                ("snowflake", json("snowflake", &state.snowflake)?),
            ] {
                families.insert(name, bytes.as_slice()).map_err(|e| db(&self.path, e))?;
                self.remember(name, bytes);
            }
        }
        txn.delete_table(GLANCE_IMAGES).map_err(|e| db(&self.path, e))?;
        txn.delete_table(GLANCE_DELETED).map_err(|e| db(&self.path, e))?;
        {
            let mut table = txn.open_table(GLANCE_IMAGES).map_err(|e| db(&self.path, e))?;
            for image in state.glance.images() {
                let bytes = json("glance", image)?;
                table.insert(image.id.as_str(), bytes.as_slice()).map_err(|e| db(&self.path, e))?;
            }
            let mut deleted = txn.open_table(GLANCE_DELETED).map_err(|e| db(&self.path, e))?;
            for id in state.glance.deleted().ids() {
                deleted.insert(id.as_str(), ()).map_err(|e| db(&self.path, e))?;
            }
        }
        txn.commit().map_err(|e| db(&self.path, e))
    }

    /// Stores one whole-document family if it differs from what was last stored.
    pub fn family(&self, name: &'static str, state: &impl Serialize) -> Result<(), JournalError> {
        let bytes = json(name, state)?;
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written.get(name) == Some(&bytes) {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| db(&self.path, e))?;
        {
            let mut table = txn.open_table(FAMILIES).map_err(|e| db(&self.path, e))?;
            table.insert(name, bytes.as_slice()).map_err(|e| db(&self.path, e))?;
        }
        txn.commit().map_err(|e| db(&self.path, e))?;
        written.insert(name, bytes);
        Ok(())
    }

    /// Stores what a write changed in Glance's table (images written, images deleted), in one
    /// transaction.
    pub fn images(&self, rows: &[Row<'_>]) -> Result<(), JournalError> {
        let txn = self.db.begin_write().map_err(|e| db(&self.path, e))?;
        {
            let mut table = txn.open_table(GLANCE_IMAGES).map_err(|e| db(&self.path, e))?;
            let mut deleted = txn.open_table(GLANCE_DELETED).map_err(|e| db(&self.path, e))?;
            for row in rows {
                match row {
                    Row::Image(image) => {
                        let bytes = json("glance", image)?;
                        let id = image.id.as_str();
                        table.insert(id, bytes.as_slice()).map_err(|e| db(&self.path, e))?;
                    }
                    Row::Deleted(id) => {
                        table.remove(id.as_str()).map_err(|e| db(&self.path, e))?;
                        deleted.insert(id.as_str(), ()).map_err(|e| db(&self.path, e))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| db(&self.path, e))
    }
}

fn json(family: &str, value: &impl Serialize) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(value).map_err(|e| JournalError::Serialize(family.to_owned(), e))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::glance::{Caller, Status};

    const A: &str = "0b5c4d3e-1f2a-4b6c-8d7e-9f0a1b2c3d4e";
    const B: &str = "1b5c4d3e-1f2a-4b6c-8d7e-9f0a1b2c3d4e";

    fn image(id: &str, status: &str) -> serde_json::Value {
        json!({"id": id, "name": id, "status": status, "visibility": "private", "owner": "p",
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
    }

    fn two_images() -> State {
        serde_json::from_value(
            json!({"glance": {"images": {A: image(A, "queued"), B: image(B, "active")}}}),
        )
        .expect("a state")
    }

    /// A delete reaches the database as a move from `glance_images` to `glance_deleted`, so a
    /// reopened database has the other image and the deleted id, still refused for a new image.
    #[test]
    fn a_delete_is_stored_as_a_reserved_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (journal, none) = Journal::open(dir.path()).expect("opened");
        assert!(none.is_none());
        let mut state = two_images();
        journal.seed(&state).expect("seeded");
        state.glance.track_changes();
        let p = Caller::new(Some("p".into()), &["member".into()]);
        state.glance.delete(&p, A).expect("deleted");
        let changed = state.glance.take_changed();
        assert_eq!(changed, [crate::store::glance::Row::Deleted(A.into())]);
        journal.images(&changed).expect("stored");
        drop(journal);
        let (_, loaded) = Journal::open(dir.path()).expect("reopened");
        let loaded = loaded.expect("a saved state");
        assert_eq!(loaded.glance.images().map(|i| i.id.as_str()).collect::<Vec<_>>(), [B]);
        assert_eq!(loaded.glance.deleted().ids(), [A]);
    }

    /// A database written by the previous layout (deleted images kept whole) is read, and
    /// rewritten at once in this one.
    #[test]
    fn a_format_1_database_is_read_and_rewritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        {
            let db = Database::create(&path).expect("created");
            let txn = db.begin_write().expect("txn");
            {
                let mut meta = txn.open_table(META).expect("meta");
                meta.insert("format", FORMAT_1).expect("format");
                txn.open_table(FAMILIES).expect("families");
                let mut images = txn.open_table(GLANCE_IMAGES).expect("images");
                for (id, status) in [(A, "deleted"), (B, "saving")] {
                    let bytes = serde_json::to_vec(&image(id, status)).expect("json");
                    images.insert(id, bytes.as_slice()).expect("insert");
                }
            }
            txn.commit().expect("committed");
        }
        let (journal, loaded) = Journal::open(dir.path()).expect("opened");
        let loaded = loaded.expect("a saved state");
        let images: Vec<_> = loaded.glance.images().map(|i| (i.id.as_str(), i.status)).collect();
        assert_eq!(images, [(B, Status::Queued)], "the cut-off upload is queued again");
        assert_eq!(loaded.glance.deleted().ids(), [A]);
        let txn = journal.db.begin_read().expect("txn");
        let meta = txn.open_table(META).expect("meta");
        assert_eq!(
            meta.get("format").expect("read").map(|v| v.value().to_owned()),
            Some("2".into())
        );
        let images = txn.open_table(GLANCE_IMAGES).expect("images");
        assert!(images.get(A).expect("read").is_none(), "the deleted image is no longer stored");
        let deleted = txn.open_table(GLANCE_DELETED).expect("deleted");
        assert!(deleted.get(A).expect("read").is_some());
    }
}
