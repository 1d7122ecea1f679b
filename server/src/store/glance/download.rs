//! Reading an image's data back: the whole file, or the one byte range the client asks for
//! (`Range: bytes=a-b`, `bytes=a-` or `bytes=-n`, or the legacy `Content-Range: bytes a-b/total`
//! that Glance also reads). Several ranges at once are refused.

use std::io::SeekFrom;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Caller, Glance, GlanceState, ImageError, Result, Status};

/// Where an image's bytes are, for a download.
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
    pub checksum: Option<String>,
}

/// The span a client asks for, as it wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// A `Range` header's value.
    Range(String),
    /// A legacy `Content-Range` header's value.
    ContentRange(String),
}

/// What a download answers.
#[derive(Debug)]
pub enum Download {
    /// The image has no data.
    Empty,
    Whole {
        file: tokio::fs::File,
        size: u64,
        checksum: Option<String>,
    },
    /// The bytes `start..=end` of `size`.
    Part {
        data: tokio::io::Take<tokio::fs::File>,
        start: u64,
        end: u64,
        size: u64,
        checksum: Option<String>,
    },
}

impl Glance<'_> {
    /// The image's data, or the span of it the client wants.
    pub async fn download(
        &self,
        caller: &Caller,
        id: &str,
        wanted: Option<Wanted>,
    ) -> Result<Download> {
        let Some(Stored { size, checksum }) = self.read().stored(caller, id)? else {
            return Ok(Download::Empty);
        };
        let span = wanted.map(|w| w.span(size)).transpose()?;
        let Ok(mut file) = tokio::fs::File::open(self.data().path(id)).await else {
            return Err(ImageError::DataMissing(id.to_owned()));
        };
        let Some((start, end)) = span else { return Ok(Download::Whole { file, size, checksum }) };
        if file.seek(SeekFrom::Start(start)).await.is_err() {
            return Err(ImageError::RangeUnreadable);
        }
        let data = file.take(end - start + 1);
        Ok(Download::Part { data, start, end, size, checksum })
    }
}

impl GlanceState {
    /// What a download returns: `None` when the image has no data (204).
    pub fn stored(&self, caller: &Caller, id: &str) -> Result<Option<Stored>> {
        let image = self.visible(caller, id)?;
        if !caller.member {
            return Err(ImageError::Denied("download_image"));
        }
        if image.status == Status::Deactivated && !caller.admin {
            return Err(ImageError::Deactivated);
        }
        Ok(image.size.map(|size| Stored { size, checksum: image.checksum.clone() }))
    }
}

impl Wanted {
    /// The inclusive byte span of `size` bytes that the client asks for.
    fn span(&self, size: u64) -> Result<(u64, u64)> {
        let (range, legacy) = match self {
            Wanted::Range(r) => (r.as_str(), false),
            Wanted::ContentRange(r) => (r.as_str(), true),
        };
        let unsatisfiable = || ImageError::RangeUnsatisfiable(range.to_owned());
        let spec = if legacy {
            range.strip_prefix("bytes ").and_then(|r| r.split_once('/')).map(|(r, _)| r)
        } else {
            range.strip_prefix("bytes=")
        }
        .ok_or_else(unsatisfiable)?;
        if spec.contains(',') {
            return Err(ImageError::MultipleRanges);
        }
        let (first, last) = spec.trim().split_once('-').ok_or_else(unsatisfiable)?;
        let parse = |s: &str| s.trim().parse::<u64>().map_err(|_| unsatisfiable());
        let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, false) => {
                let n = parse(last)?;
                if n == 0 {
                    return Err(unsatisfiable());
                }
                (size.saturating_sub(n), size.saturating_sub(1))
            }
            (false, true) => (parse(first)?, size.saturating_sub(1)),
            (false, false) => (parse(first)?, parse(last)?.min(size.saturating_sub(1))),
            (true, true) => return Err(unsatisfiable()),
        };
        if start >= size || start > end {
            return Err(unsatisfiable());
        }
        Ok((start, end))
    }
}
