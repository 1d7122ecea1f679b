//! Image bytes on disk: one file per image in the data directory, written through a [`Writer`]
//! that hashes (MD5 and SHA-512) and keeps the leading bytes for format inspection while the
//! data streams, so an image is never held whole in memory.

use std::path::{Path, PathBuf};

use md5::Md5;
use sha2::{Digest, Sha512};

use super::{Written, inspect};

/// The directory holding every image's data.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    /// Kept so a default temporary directory lives as long as the store.
    _temp: Option<tempfile::TempDir>,
}

impl DataDir {
    /// A fresh temporary directory, removed when the store is dropped.
    pub fn temporary() -> std::io::Result<Self> {
        let temp = tempfile::Builder::new().prefix("imagespec-glance-").tempdir()?;
        Ok(Self { root: temp.path().to_owned(), _temp: Some(temp) })
    }

    /// An existing directory chosen by the operator (`--data-dir`).
    pub fn at(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.to_owned(), _temp: None })
    }

    /// The file of a stored image. Ids are checked to be UUIDs before they get here.
    pub fn path(&self, image_id: &str) -> PathBuf {
        self.root.join(image_id)
    }

    pub async fn writer(&self, image_id: &str) -> std::io::Result<Writer> {
        let partial = self.root.join(format!("{image_id}.partial"));
        let file = tokio::fs::File::create(&partial).await?.into_std().await;
        Ok(Writer::start(file, partial, self.path(image_id)))
    }

    /// Removes an image's data, if any.
    pub async fn remove(&self, image_id: &str) {
        let _ = tokio::fs::remove_file(self.path(image_id)).await;
    }
}

/// Chunks in flight between the request and the hashing thread: enough to keep both busy,
/// few enough that a slow disk holds back the client instead of filling memory.
const IN_FLIGHT: usize = 4;

/// Streams one upload to a `.partial` file; [`Writer::commit`] moves it into place.
///
/// The hashing (MD5 then SHA-512, the same work as the limit the benchmark compares with) and the
/// file writes run on one blocking thread fed through a bounded channel, so the request's next
/// bytes are read while the previous ones are hashed: the upload costs the hashing, not the
/// hashing plus the receiving.
pub struct Writer {
    chunks: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// The hashing thread, until it is waited for.
    sink: Option<tokio::task::JoinHandle<std::io::Result<Digests>>>,
    partial: PathBuf,
    target: PathBuf,
    size: u64,
    prefix: Vec<u8>,
}

/// What the hashing thread gives back once every chunk is written.
struct Digests {
    md5: Md5,
    sha512: Sha512,
}

/// The hashing thread: hashes and writes every chunk, then makes the file durable.
fn sink(
    mut file: std::fs::File,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<Digests> {
    use std::io::Write;
    let mut d = Digests { md5: Md5::new(), sha512: Sha512::new() };
    while let Some(chunk) = chunks.blocking_recv() {
        d.md5.update(&chunk);
        d.sha512.update(&chunk);
        file.write_all(&chunk)?;
    }
    file.sync_data()?;
    Ok(d)
}

impl Writer {
    fn start(file: std::fs::File, partial: PathBuf, target: PathBuf) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
        Writer {
            chunks: Some(tx),
            sink: Some(tokio::task::spawn_blocking(move || sink(file, rx))),
            partial,
            target,
            size: 0,
            prefix: Vec::with_capacity(inspect::PREFIX_LEN),
        }
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        let room = inspect::PREFIX_LEN.saturating_sub(self.prefix.len());
        self.prefix.extend_from_slice(&chunk[..room.min(chunk.len())]);
        let sent = match &self.chunks {
            Some(tx) => tx.send(chunk.to_vec()).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped early, which only a failed write does: report its error.
        match self.finish().await {
            Err(e) => Err(e),
            Ok(_) => Err(std::io::Error::other("the image data writer stopped early")),
        }
    }

    /// Closes the channel and waits for the thread: its digests, or the error that stopped it.
    async fn finish(&mut self) -> std::io::Result<Digests> {
        self.chunks = None;
        match self.sink.take() {
            Some(thread) => thread.await.map_err(std::io::Error::other)?,
            None => Err(std::io::Error::other("the image data writer has stopped")),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The format the leading bytes show.
    pub fn detected(&self) -> inspect::Format {
        inspect::detect(&self.prefix)
    }

    /// Waits for every chunk to be hashed and written, makes the file durable, moves it into
    /// place and returns the hashes.
    pub async fn commit(mut self) -> std::io::Result<Written> {
        let d = self.finish().await?;
        tokio::fs::rename(&self.partial, &self.target).await?;
        let format = inspect::detect(&self.prefix);
        Ok(Written {
            size: self.size,
            md5: hex::encode(d.md5.finalize()),
            sha512: hex::encode(d.sha512.finalize()),
            virtual_size: inspect::virtual_size(format, &self.prefix, self.size),
        })
    }

    /// Throws the partial file away, once the thread has let go of it.
    pub async fn discard(mut self) {
        let _ = self.finish().await;
        let _ = tokio::fs::remove_file(&self.partial).await;
    }
}
