//! What the server starts from: the credentials, and every family's state from a data
//! directory's saved state, a state file or nothing, with the SWR regions `--swr-regions` names;
//! and `export`, which prints a data directory's saved state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::auth::Credentials;
use crate::cli::Args;
use crate::store::{
    State, Store, SystemClock,
    glance::data::DataDir,
    journal::{self, Journal, JournalError},
    swr::Region,
};

use super::ServeError;

/// `--credentials FILE`, or the development set without it.
pub fn credentials(file: Option<&Path>) -> Result<Credentials, ServeError> {
    match file {
        Some(path) => Credentials::load(path).map_err(ServeError::Credentials),
        None => Ok(Credentials::development()),
    }
}

/// The store every address serves, and the ids of the SWR regions it holds (the home region
/// first). With `--data-dir`, the state is written there before any write is answered.
pub fn store(args: &Args) -> Result<(Store, Vec<String>), ServeError> {
    let load_state_file = || match &args.state {
        Some(path) => State::load(path).map_err(ServeError::StateFile),
        None => Ok(State::default()),
    };
    let (mut state, data, journal, saved) = match &args.data_dir {
        Some(dir) => {
            let data = DataDir::at(dir).map_err(|e| ServeError::DataDir(dir.clone(), e))?;
            let (journal, saved) = Journal::open(dir)?;
            match saved {
                Some(state) => {
                    if let Some(path) = &args.state {
                        tracing::warn!(
                            "{} holds a saved state, which is used; --state {} is not loaded",
                            dir.display(),
                            path.display()
                        );
                    }
                    (state, data, Some(journal), true)
                }
                None => (load_state_file()?, data, Some(journal), false),
            }
        }
        None => {
            let data = DataDir::temporary().map_err(ServeError::TemporaryDataDir)?;
            (load_state_file()?, data, None, false)
        }
    };
    if !args.swr_regions.is_empty() {
        state.swr.regions = swr_regions(&args.swr_regions, std::mem::take(&mut state.swr.regions))?;
    }
    let regions = state.swr.region_ids();
    if regions.is_empty() {
        return Err(ServeError::NoRegion);
    }
    if let Some(journal) = &journal {
        // A saved state is already in the journal, but the regions may have changed.
        if saved {
            journal.family("swr", &state.swr)?;
        } else {
            journal.seed(&state)?;
        }
    }
    Ok((Store::durable(state, Arc::new(SystemClock), data, journal), regions))
}

/// The regions named by `--swr-regions`, keeping the state file's data for each.
fn swr_regions(ids: &[String], mut loaded: Vec<Region>) -> Result<Vec<Region>, ServeError> {
    let mut regions = Vec::new();
    for id in ids {
        let valid = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(ServeError::BadRegion(id.clone()));
        }
        if regions.iter().any(|r: &Region| &r.id == id) {
            return Err(ServeError::RepeatedRegion(id.clone()));
        }
        let region = match loaded.iter().position(|r| &r.id == id) {
            Some(i) => loaded.remove(i),
            None => Region::empty(id),
        };
        regions.push(region);
    }
    if let Some(extra) = loaded.iter().find(|r| !r.namespaces.is_empty()) {
        return Err(ServeError::RegionLeftOut(extra.id.clone()));
    }
    Ok(regions)
}

/// Why `imagespec-server export` printed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} holds no saved state (no {})", .0.display(), journal::FILE_NAME)]
    NoSavedState(PathBuf),
    #[error("{} holds no saved state", .0.display())]
    Empty(PathBuf),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("serializing the state")]
    Serialize(#[source] serde_json::Error),
    #[error("{}", .0.display())]
    Write(PathBuf, #[source] std::io::Error),
    #[error(transparent)]
    Stdout(std::io::Error),
}

/// `imagespec-server export`: the saved state of a data directory as `--state` JSON, to
/// `output` or stdout.
pub fn export(dir: &Path, output: Option<&Path>) -> Result<(), ExportError> {
    if !dir.join(journal::FILE_NAME).is_file() {
        return Err(ExportError::NoSavedState(dir.to_owned()));
    }
    let (_, state) = Journal::open(dir)?;
    let state = state.ok_or_else(|| ExportError::Empty(dir.to_owned()))?;
    let mut text = serde_json::to_string_pretty(&state).map_err(ExportError::Serialize)?;
    text.push('\n');
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| ExportError::Write(path.into(), e)),
        None => std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes())
            .map_err(ExportError::Stdout),
    }
}
