//! Image bytes on disk: one file per image in the data directory, written through a [`Writer`]
//! that hashes (MD5 and SHA-512) and keeps the leading bytes for format inspection while the
//! data streams, so an image is never held whole in memory.

use std::path::{Path, PathBuf};

use md5::Md5;
use sha2::{Digest, Sha512};
use tokio::io::AsyncWriteExt;

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
        let file = tokio::fs::File::create(&partial).await?;
        Ok(Writer {
            file,
            partial,
            target: self.path(image_id),
            md5: Md5::new(),
            sha512: Sha512::new(),
            size: 0,
            prefix: Vec::with_capacity(inspect::PREFIX_LEN),
        })
    }

    /// Removes an image's data, if any.
    pub async fn remove(&self, image_id: &str) {
        let _ = tokio::fs::remove_file(self.path(image_id)).await;
    }
}

/// Streams one upload to a `.partial` file; [`Writer::commit`] moves it into place.
pub struct Writer {
    file: tokio::fs::File,
    partial: PathBuf,
    target: PathBuf,
    md5: Md5,
    sha512: Sha512,
    size: u64,
    prefix: Vec<u8>,
}

impl Writer {
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.md5.update(chunk);
        self.sha512.update(chunk);
        self.size += chunk.len() as u64;
        let room = inspect::PREFIX_LEN.saturating_sub(self.prefix.len());
        self.prefix.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.file.write_all(chunk).await
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The format the leading bytes show.
    pub fn detected(&self) -> inspect::Format {
        inspect::detect(&self.prefix)
    }

    /// Flushes, moves the file into place and returns the hashes.
    pub async fn commit(mut self) -> std::io::Result<Written> {
        self.file.flush().await?;
        self.file.sync_data().await?;
        tokio::fs::rename(&self.partial, &self.target).await?;
        let format = inspect::detect(&self.prefix);
        Ok(Written {
            size: self.size,
            md5: hex::encode(self.md5.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
            virtual_size: inspect::virtual_size(format, &self.prefix, self.size),
        })
    }

    /// Throws the partial file away.
    pub async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.partial).await;
    }
}
