//! What every listener enforces before HTTP: a cap on open connections, and a deadline on
//! connections that go silent, so slow, stalled or idle clients cannot hold the server.
//!
//! poem's own `idle_timeout` notifies a task on every read and write; here a read or write only
//! stores the time in an atomic, and one sleeping task per connection looks at it once per
//! deadline. When the deadline passes with nothing read or written, the connection's next read
//! fails with `TimedOut` (the task wakes it), and hyper closes it. The deadline covers a client
//! that sends its headers or body too slowly, a request that stalls, and an idle keep-alive
//! connection alike.

use std::io::Result as IoResult;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits of one server (`--max-connections`, `--idle-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections served at most; beyond it a listener holds the connection it accepted
    /// unserved and accepts no more until one closes (the rest wait in the kernel's backlog).
    pub max_connections: usize,
    /// How long a connection may go without a byte read or written.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_connections: 1024, idle_timeout: Duration::from_secs(60) }
    }
}

/// An acceptor whose connections are counted against a shared cap and closed when silent.
pub struct Guarded<A> {
    inner: A,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl<A> Guarded<A> {
    /// `permits` may be shared by several listeners, so the cap is the server's, not each
    /// address's.
    pub fn new(inner: A, permits: Arc<Semaphore>, idle: Duration) -> Self {
        Self { inner, permits, idle }
    }
}

impl<A: Acceptor> Acceptor for Guarded<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // Accepted first, then counted: a permit taken before accepting would be held by every
        // listener waiting for a connection. While the cap is reached, this listener serves no
        // one and accepts nothing more, so further clients wait in the kernel's backlog.
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| std::io::Error::other("the connection limit was closed"))?;
        Ok((GuardedIo::new(io, permit, self.idle), local, remote, scheme))
    }
}

/// When the connection last read or wrote, whether its deadline passed, and its reader.
struct Watch {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
    expired: AtomicBool,
    reader: AtomicWaker,
}

impl Watch {
    fn touch(&self) {
        self.last.store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

/// A connection held open under the cap, with its deadline.
pub struct GuardedIo<T> {
    inner: T,
    watch: Arc<Watch>,
    _permit: OwnedSemaphorePermit,
}

impl<T> GuardedIo<T> {
    fn new(inner: T, permit: OwnedSemaphorePermit, idle: Duration) -> Self {
        let watch = Arc::new(Watch {
            start: Instant::now(),
            last: AtomicU64::new(0),
            expired: AtomicBool::new(false),
            reader: AtomicWaker::new(),
        });
        tokio::spawn(watchdog(Arc::downgrade(&watch), idle));
        Self { inner, watch, _permit: permit }
    }

    fn timed_out(&self) -> bool {
        self.watch.expired.load(Ordering::Relaxed)
    }
}

/// Sleeps until the connection's deadline; ends when the connection is gone or has expired.
async fn watchdog(watch: Weak<Watch>, idle: Duration) {
    let mut wake_at = idle;
    loop {
        let Some(start) = watch.upgrade().map(|w| w.start) else { return };
        tokio::time::sleep_until((start + wake_at).into()).await;
        let Some(w) = watch.upgrade() else { return };
        let last = Duration::from_millis(w.last.load(Ordering::Relaxed));
        if w.start.elapsed().saturating_sub(last) >= idle {
            w.expired.store(true, Ordering::Relaxed);
            w.reader.wake();
            return;
        }
        wake_at = last + idle;
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "the connection was silent too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<IoResult<()>> {
        if self.timed_out() {
            return Poll::Ready(Err(timed_out()));
        }
        self.watch.reader.register(cx.waker());
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.touch();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<IoResult<usize>> {
        if self.timed_out() {
            return Poll::Ready(Err(timed_out()));
        }
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<IoResult<usize>> {
        if self.timed_out() {
            return Poll::Ready(Err(timed_out()));
        }
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
