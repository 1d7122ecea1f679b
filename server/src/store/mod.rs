//! The in-memory store: every family's state and business rules, with no HTTP in sight.
//!
//! Each family's table sits behind its own lock. Time comes from an injectable [`Clock`], so
//! lifecycles (build, deletion, retention expiry) are driven by tests without sleeping. The whole
//! state saves to and loads from JSON ([`State`]): fixtures in, snapshots out. With a
//! [`journal::Journal`] (`--data-dir`), every write guard stores what its operation changed
//! when it is released, before the handler answers.

pub mod cce;
pub mod glance;
pub mod journal;
pub mod snowflake;
pub mod swr;

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, RwLock, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where the store reads the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every family's state, as saved and loaded (`--state FILE`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    #[serde(default)]
    pub cce: cce::CceState,
    #[serde(default)]
    pub glance: glance::GlanceState,
    #[serde(default)]
    pub swr: swr::SwrState,
    #[serde(default)]
    pub snowflake: snowflake::SnowflakeState,
}

#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("reading {0}")]
    Read(String, #[source] std::io::Error),
    #[error("parsing {0}")]
    Parse(String, #[source] serde_json::Error),
}

impl State {
    pub fn load(path: &std::path::Path) -> Result<Self, StateFileError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| StateFileError::Read(shown.clone(), e))?;
        serde_json::from_str(&text).map_err(|e| StateFileError::Parse(shown, e))
    }
}

/// The handle every family's handlers share.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Arc<dyn Clock>,
    cce: RwLock<cce::CceState>,
    glance: RwLock<glance::GlanceState>,
    swr: RwLock<swr::SwrState>,
    glance_data: glance::data::DataDir,
    snowflake: RwLock<snowflake::SnowflakeState>,
    /// Deferred results are not part of the saved state.
    snowflake_results: Mutex<snowflake::results::Results>,
    journal: Option<journal::Journal>,
}

impl Store {
    /// A store whose Glance image data goes to a temporary directory, removed with the store.
    pub fn new(state: State, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Ok(Self::with_data_dir(state, clock, glance::data::DataDir::temporary()?))
    }

    pub fn with_data_dir(
        state: State,
        clock: Arc<dyn Clock>,
        glance_data: glance::data::DataDir,
    ) -> Self {
        Self::durable(state, clock, glance_data, None)
    }

    /// A store that, with a journal, stores every write in it before the write is answered.
    /// `state` must be what the journal holds (loaded from it, or seeded into it).
    pub fn durable(
        mut state: State,
        clock: Arc<dyn Clock>,
        glance_data: glance::data::DataDir,
        journal: Option<journal::Journal>,
    ) -> Self {
        if journal.is_some() {
            state.glance.track_changes();
        }
        Self {
            inner: Arc::new(Inner {
                clock,
                cce: RwLock::new(state.cce),
                glance: RwLock::new(state.glance),
                swr: RwLock::new(state.swr),
                glance_data,
                snowflake: RwLock::new(state.snowflake),
                snowflake_results: Mutex::default(),
                journal,
            }),
        }
    }

    /// Whether writes are stored in a journal.
    pub fn is_durable(&self) -> bool {
        self.inner.journal.is_some()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The whole state as it is now.
    pub fn snapshot(&self) -> State {
        let now = self.now();
        let mut cce = write(&self.inner.cce);
        cce.expire(now);
        State {
            cce: cce.clone(),
            glance: read(&self.inner.glance).clone(),
            swr: read(&self.inner.swr).clone(),
            snowflake: read(&self.inner.snowflake).clone(),
        }
    }

    /// A family's state for one operation; the journal stores what it changed on release.
    fn writing<'a, T: Durable>(&'a self, lock: &'a RwLock<T>) -> Writing<'a, T> {
        Writing { guard: write(lock), journal: self.inner.journal.as_ref() }
    }
}

/// A family's state as the journal stores it.
pub(crate) trait Durable {
    fn store(&mut self, journal: &journal::Journal) -> Result<(), journal::JournalError>;
}

impl Durable for cce::CceState {
    fn store(&mut self, journal: &journal::Journal) -> Result<(), journal::JournalError> {
        journal.family("cce", self)
    }
}

impl Durable for swr::SwrState {
    fn store(&mut self, journal: &journal::Journal) -> Result<(), journal::JournalError> {
        journal.family("swr", self)
    }
}

impl Durable for snowflake::SnowflakeState {
    fn store(&mut self, journal: &journal::Journal) -> Result<(), journal::JournalError> {
        journal.family("snowflake", self)
    }
}

impl Durable for glance::GlanceState {
    fn store(&mut self, journal: &journal::Journal) -> Result<(), journal::JournalError> {
        let changed = self.take_changed();
        if changed.is_empty() { Ok(()) } else { journal.images(&changed) }
    }
}

/// A write lock on one family's state. Released, it first stores what changed in the journal
/// (if there is one), still under the lock, so the journal sees writes in the order they were
/// made and every write is on disk before its request is answered.
pub(crate) struct Writing<'a, T: Durable> {
    guard: RwLockWriteGuard<'a, T>,
    journal: Option<&'a journal::Journal>,
}

impl<T: Durable> Deref for Writing<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: Durable> DerefMut for Writing<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: Durable> Drop for Writing<'_, T> {
    fn drop(&mut self) {
        let Some(journal) = self.journal else { return };
        if let Err(e) = self.guard.store(journal) {
            // The change is in memory but not on disk: the request must not be answered as a
            // success. The panic becomes the family's 500 (the app catches panics); the next
            // write of the family stores it again.
            tracing::error!(error = %e, "the state database refused a write");
            if !std::thread::panicking() {
                panic!("the state database refused a write: {e}");
            }
        }
    }
}

impl Store {
    /// Glance's images: every operation takes the lock and reads the clock itself.
    pub fn glance(&self) -> glance::Glance<'_> {
        glance::Glance::new(self)
    }

    fn glance_write(&self) -> Writing<'_, glance::GlanceState> {
        self.writing(&self.inner.glance)
    }

    fn glance_read(&self) -> std::sync::RwLockReadGuard<'_, glance::GlanceState> {
        read(&self.inner.glance)
    }

    fn glance_data(&self) -> &glance::data::DataDir {
        &self.inner.glance_data
    }
}

impl Store {
    /// Snowflake's operations; each takes the family's lock itself.
    pub fn snowflake(&self) -> snowflake::Snowflake<'_> {
        snowflake::Snowflake::new(self)
    }

    fn snowflake_write(&self) -> Writing<'_, snowflake::SnowflakeState> {
        self.writing(&self.inner.snowflake)
    }

    fn snowflake_read(&self) -> std::sync::RwLockReadGuard<'_, snowflake::SnowflakeState> {
        read(&self.inner.snowflake)
    }

    fn snowflake_results(&self) -> std::sync::MutexGuard<'_, snowflake::results::Results> {
        self.inner.snowflake_results.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A poisoned lock only means another request panicked mid-way; the data stays consistent
/// because every mutation is applied in one step.
fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
