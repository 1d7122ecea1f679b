//! Uploading an image's data: `queued` → `saving`, the bytes streamed to a file in the data
//! directory while they are hashed, then Glance's checks on the result (the size cap, the
//! announced size, the format the leading bytes show) and `saving` → `active`. Any failure, and a
//! request dropped mid-stream, discards the data and puts the image back to `queued`.

use std::io;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use time::OffsetDateTime;

use super::data::{DataDir, Written};
use super::{
    Caller, Glance, GlanceState, ImageError, Result, SIZE_CAP, Status, Unset, inspect, not_found,
    truncate,
};

/// The data of an image about to be written: what the upload must know up front.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub image_id: String,
    pub disk_format: String,
    pub container_format: String,
}

impl Glance<'_> {
    /// Streams `data` into the image. `announced` is the size the client announced, if any.
    pub async fn upload(
        &self,
        caller: &Caller,
        id: &str,
        announced: Option<i64>,
        data: impl Stream<Item = io::Result<Bytes>> + Send,
    ) -> Result<()> {
        let ticket = self.begin(caller, id)?;
        let pending = Pending { glance: *self, ticket: &ticket, settled: false };
        let outcome = stream_to_disk(self.data(), &ticket, announced, data).await;
        pending.settle();
        let saved = self.finish(&ticket, outcome.clone().map_err(drop));
        match (outcome, saved) {
            (Err(e), _) => Err(e),
            (Ok(_), Ok(())) => Ok(()),
            (Ok(_), Err(e)) => {
                // The image went away while its data streamed in: the file has no owner.
                self.data().remove(id).await;
                Err(e)
            }
        }
    }

    /// queued → saving, for an upload about to stream its data.
    fn begin(&self, caller: &Caller, id: &str) -> Result<UploadTicket> {
        let now = self.now();
        self.write().begin_upload(caller, id, now)
    }

    /// saving → active, or back to queued when the data was refused.
    fn finish(
        &self,
        ticket: &UploadTicket,
        outcome: std::result::Result<Written, ()>,
    ) -> Result<()> {
        let now = self.now();
        self.write().finish_upload(ticket, outcome, now)
    }
}

impl GlanceState {
    /// queued → saving, after the checks Glance makes before it reads any data.
    pub fn begin_upload(
        &mut self,
        caller: &Caller,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<UploadTicket> {
        let mut image = self.writable(caller, id, "upload_image")?;
        if image.status != Status::Queued {
            return Err(ImageError::NotQueued(image.status));
        }
        let (disk, container) = match (&image.disk_format, &image.container_format) {
            (Some(d), Some(c)) => (d.clone(), c.clone()),
            (None, Some(_)) => return Err(ImageError::FormatsUnset(Unset::Disk)),
            (Some(_), None) => return Err(ImageError::FormatsUnset(Unset::Container)),
            (None, None) => return Err(ImageError::FormatsUnset(Unset::Both)),
        };
        image.status = Status::Saving;
        image.updated_at = truncate(now);
        Ok(UploadTicket { image_id: id.to_owned(), disk_format: disk, container_format: container })
    }

    /// saving → active with the hashes, or back to queued when the data was refused. Answers 410
    /// when the image was deleted meanwhile (the caller then removes the data).
    pub fn finish_upload(
        &mut self,
        ticket: &UploadTicket,
        outcome: std::result::Result<Written, ()>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = &ticket.image_id;
        let gone = || ImageError::DeletedDuringUpload(id.clone());
        if self.deleted.contains(id) {
            return Err(gone());
        }
        let Some(mut image) = self.image_mut(id) else { return Err(not_found(id)) };
        if image.status != Status::Saving {
            return Err(gone());
        }
        image.updated_at = truncate(now);
        match outcome {
            Ok(w) => {
                image.status = Status::Active;
                image.size = Some(w.size);
                image.virtual_size = w.virtual_size;
                image.checksum = Some(w.md5);
                image.os_hash_algo = Some("sha512".into());
                image.os_hash_value = Some(w.sha512);
            }
            Err(()) => image.status = Status::Queued,
        }
        Ok(())
    }
}

/// An upload in `saving`: dropped before [`Pending::settle`] (the client went away and the
/// request was dropped mid-stream), it puts the image back to `queued`, as a failed upload does,
/// so the image is not stuck in `saving`.
struct Pending<'a> {
    glance: Glance<'a>,
    ticket: &'a UploadTicket,
    settled: bool,
}

impl Pending<'_> {
    /// The upload ran to an outcome, which the caller records.
    fn settle(mut self) {
        self.settled = true;
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let _ = self.glance.finish(self.ticket, Err(()));
        }
    }
}

/// Streams the data into the data directory, hashing as it goes, then applies Glance's checks
/// on the result (announced size, size cap, format inspection). Any failure discards the data.
async fn stream_to_disk(
    dir: &DataDir,
    ticket: &UploadTicket,
    announced: Option<i64>,
    data: impl Stream<Item = io::Result<Bytes>>,
) -> Result<Written> {
    let io = |e: io::Error| ImageError::DataUnreadable(e.to_string());
    let mut writer = dir.writer(&ticket.image_id).await.map_err(io)?;
    let mut chunks = std::pin::pin!(data);
    let failure = loop {
        match chunks.next().await {
            None => break None,
            Some(Ok(chunk)) => {
                if writer.size() + chunk.len() as u64 > SIZE_CAP {
                    break Some(ImageError::OverSizeCap);
                }
                if let Err(e) = writer.write(chunk).await {
                    break Some(io(e));
                }
            }
            Some(Err(e)) => break Some(io(e)),
        }
    };
    let failure = failure.or_else(|| {
        let size = i64::try_from(writer.size()).unwrap_or(i64::MAX);
        announced
            .filter(|a| *a != size)
            .map(|announced| ImageError::SizeMismatch { size, announced })
    });
    let inspectable =
        ticket.container_format == "bare" && inspect::is_inspectable(&ticket.disk_format);
    let failure = failure.or_else(|| {
        let detected = writer.detected();
        (inspectable && detected.name() != ticket.disk_format).then(|| ImageError::FormatMismatch {
            declared: ticket.disk_format.clone(),
            detected: detected.name(),
        })
    });
    if let Some(e) = failure {
        writer.discard().await;
        return Err(e);
    }
    let mut written = writer.commit().await.map_err(io)?;
    if !inspectable {
        written.virtual_size = None;
    }
    Ok(written)
}
