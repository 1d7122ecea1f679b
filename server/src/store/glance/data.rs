//! Image bytes on disk: one file per image in the data directory, written through a [`Writer`]
//! that hashes (MD5 and SHA-512) and keeps the leading bytes for format inspection while the
//! data streams, so an image is never held whole in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use md5::Md5;
use sha2::{Digest, Sha512};
use tokio::sync::mpsc;

use super::inspect;

/// The directory holding every image's data.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    /// Kept so a default temporary directory lives as long as the store.
    _temp: Option<tempfile::TempDir>,
}

/// How temporary data directories are named: this prefix, the process id, `-`, random letters.
const TEMP_PREFIX: &str = "imagespec-glance-";

impl DataDir {
    /// A fresh temporary directory, removed when the store is dropped. The ones that processes
    /// killed before they could remove theirs (`kill -9`) left behind are removed first.
    pub fn temporary() -> std::io::Result<Self> {
        sweep_abandoned(&std::env::temp_dir());
        let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
        let temp = tempfile::Builder::new().prefix(&prefix).tempdir()?;
        Ok(Self { root: temp.path().to_owned(), _temp: Some(temp) })
    }

    /// A directory chosen by the operator (`--data-dir`), created if missing. Partial files
    /// left by uploads that a crash cut off are removed (their images are `queued` again, see
    /// `GlanceState::recovered`).
    pub fn at(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        for entry in std::fs::read_dir(root)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "partial") {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(Self { root: root.to_owned(), _temp: None })
    }

    /// The file of a stored image. Ids are checked to be UUIDs before they get here.
    pub fn path(&self, image_id: &str) -> PathBuf {
        self.root.join(image_id)
    }

    /// Starts streaming an upload to the image's `.partial` file.
    pub async fn writer(&self, image_id: &str) -> std::io::Result<Writer> {
        let partial = self.root.join(format!("{image_id}.partial"));
        let file = tokio::fs::File::create(&partial).await?.into_std().await;
        Ok(Writer {
            md5: Some(Stage::start(Md5::new(), |md5, chunk| {
                md5.update(chunk);
                Ok(())
            })),
            sha512: Some(Stage::start(Sha512::new(), |sha512, chunk| {
                sha512.update(chunk);
                Ok(())
            })),
            writing: Some(Stage::start(file, |file, chunk| file.write_all(chunk))),
            pending: BytesMut::new(),
            partial,
            target: self.path(image_id),
            size: 0,
            prefix: Vec::with_capacity(inspect::PREFIX_LEN),
            done: false,
        })
    }

    /// Removes an image's data, if any.
    pub async fn remove(&self, image_id: &str) {
        let _ = tokio::fs::remove_file(self.path(image_id)).await;
    }
}

/// What streaming the data produced.
#[derive(Debug, Clone)]
pub struct Written {
    pub size: u64,
    pub md5: String,
    pub sha512: String,
    pub virtual_size: Option<u64>,
}

/// Removes the temporary data directories in `dir` whose process is gone: named
/// `imagespec-glance-<pid>-...` with no `/proc/<pid>`. Only where `/proc` shows processes
/// (Linux); a process in another PID namespace sharing the directory would look gone, which is
/// why only this naming is ever touched. Directories named otherwise (by older builds) are
/// left alone. Failures are ignored: this is tidying, not state.
fn sweep_abandoned(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Bytes handed to the stages at a time: small chunks from the network are gathered to this size
/// first, so each stage wakes once per 256 KiB rather than once per network read.
const BATCH: usize = 256 * 1024;

/// Batches a stage may hold unprocessed before the upload waits for it (2 MiB per stage).
const QUEUED: usize = 8;

/// Streams one upload to a `.partial` file; [`Writer::commit`] moves it into place.
///
/// The upload's work runs in four places at once, so it goes at the speed of the slowest rather
/// than of their sum: the request's task gathers the network's chunks, one blocking thread
/// computes the MD5, another the SHA-512 (the slower of the two, so the upload can outrun one
/// thread doing both), and another writes them to the file. A writer dropped
/// without [`Writer::commit`] or [`Writer::discard`] (a client that went away mid-upload) removes
/// its partial file.
pub struct Writer {
    md5: Option<Stage<Md5>>,
    sha512: Option<Stage<Sha512>>,
    writing: Option<Stage<std::fs::File>>,
    pending: BytesMut,
    partial: PathBuf,
    target: PathBuf,
    size: u64,
    prefix: Vec<u8>,
    done: bool,
}

impl Writer {
    pub async fn write(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        let room = inspect::PREFIX_LEN.saturating_sub(self.prefix.len());
        self.prefix.extend_from_slice(&chunk[..room.min(chunk.len())]);
        if self.pending.is_empty() && chunk.len() >= BATCH {
            return self.send(chunk).await;
        }
        self.pending.extend_from_slice(&chunk);
        if self.pending.len() >= BATCH {
            let batch = self.pending.split().freeze();
            self.send(batch).await?;
        }
        Ok(())
    }

    /// Hands a batch to every stage (each holds a reference to the same bytes).
    async fn send(&mut self, batch: Bytes) -> std::io::Result<()> {
        feed(&mut self.md5, batch.clone()).await?;
        feed(&mut self.sha512, batch.clone()).await?;
        feed(&mut self.writing, batch).await
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The format the leading bytes show.
    pub fn detected(&self) -> inspect::Format {
        inspect::detect(&self.prefix)
    }

    /// Waits for both stages, makes the file durable, moves it into place and returns the hashes.
    pub async fn commit(mut self) -> std::io::Result<Written> {
        if !self.pending.is_empty() {
            let batch = self.pending.split().freeze();
            self.send(batch).await?;
        }
        let (md5, sha512, writing) =
            match (self.md5.take(), self.sha512.take(), self.writing.take()) {
                (Some(m), Some(s), Some(w)) => (m, s, w),
                _ => return Err(std::io::Error::other("the upload already failed")),
            };
        let file = writing.finish().await?;
        tokio::task::spawn_blocking(move || file.sync_data()).await.map_err(joined)??;
        let (md5, sha512) = (md5.finish().await?, sha512.finish().await?);
        tokio::fs::rename(&self.partial, &self.target).await?;
        // The rename is durable once the directory is: an image answered `active` keeps its
        // file through a crash.
        if let Some(dir) = self.target.parent().map(Path::to_owned) {
            tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
                .await
                .map_err(joined)??;
        }
        self.done = true;
        let format = inspect::detect(&self.prefix);
        Ok(Written {
            size: self.size,
            md5: hex::encode(md5.finalize()),
            sha512: hex::encode(sha512.finalize()),
            virtual_size: inspect::virtual_size(format, &self.prefix, self.size),
        })
    }

    /// Stops every stage and throws the partial file away.
    pub async fn discard(mut self) {
        if let Some(s) = self.md5.take() {
            let _ = s.finish().await;
        }
        if let Some(s) = self.sha512.take() {
            let _ = s.finish().await;
        }
        if let Some(s) = self.writing.take() {
            let _ = s.finish().await;
        }
        let _ = tokio::fs::remove_file(&self.partial).await;
        self.done = true;
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            // Unlinking is safe while the writing stage still holds the file open.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// One blocking thread applying `step` to every batch it is sent, in order, and returning its
/// state when the queue closes (or the first error).
struct Stage<T> {
    queue: mpsc::Sender<Bytes>,
    thread: tokio::task::JoinHandle<std::io::Result<T>>,
}

impl<T: Send + 'static> Stage<T> {
    fn start(
        mut state: T,
        step: impl Fn(&mut T, &[u8]) -> std::io::Result<()> + Send + 'static,
    ) -> Self {
        let (queue, mut batches) = mpsc::channel::<Bytes>(QUEUED);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(batch) = batches.blocking_recv() {
                step(&mut state, &batch)?;
            }
            Ok(state)
        });
        Self { queue, thread }
    }

    /// Closes the queue and waits for what is left in it.
    async fn finish(self) -> std::io::Result<T> {
        drop(self.queue);
        self.thread.await.map_err(joined)?
    }
}

/// Queues a batch for a stage; a stage that stopped on an error reports it, and is gone.
async fn feed<T: Send + 'static>(
    stage: &mut Option<Stage<T>>,
    batch: Bytes,
) -> std::io::Result<()> {
    let Some(s) = stage.as_ref() else {
        return Err(std::io::Error::other("the upload already failed"));
    };
    if s.queue.send(batch).await.is_ok() {
        return Ok(());
    }
    if let Some(s) = stage.take() {
        s.finish().await?;
    }
    Err(std::io::Error::other("an upload stage stopped early"))
}

fn joined(e: tokio::task::JoinError) -> std::io::Error {
    std::io::Error::other(format!("an upload stage panicked: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory a killed process left is removed; a live process's, and anything named
    /// otherwise, stay.
    #[test]
    fn only_the_directories_of_gone_processes_are_swept() {
        let tmp = tempfile::tempdir().expect("a temp dir");
        // Process ids are below pid_max, so no process has this one.
        let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max").expect("Linux");
        let gone = tmp.path().join(format!("{TEMP_PREFIX}{}-abc", pid_max.trim()));
        let live = tmp.path().join(format!("{TEMP_PREFIX}{}-abc", std::process::id()));
        let older = tmp.path().join(format!("{TEMP_PREFIX}Xy12ab"));
        let other = tmp.path().join("someone-else-1-abc");
        for dir in [&gone, &live, &older, &other] {
            std::fs::create_dir(dir).expect("created");
            std::fs::write(dir.join("f"), b"x").expect("a file in it");
        }
        sweep_abandoned(tmp.path());
        assert!(!gone.exists());
        assert!(live.exists() && older.exists() && other.exists());
    }

    #[test]
    fn a_temporary_directory_is_named_by_its_process_and_removed_on_drop() {
        let data = DataDir::temporary().expect("created");
        let root = data.root.clone();
        let name = root.file_name().and_then(|n| n.to_str()).expect("a name").to_owned();
        assert!(name.starts_with(&format!("{TEMP_PREFIX}{}-", std::process::id())), "{name}");
        drop(data);
        assert!(!root.exists());
    }
}
