//! The log's destination: lines gathered in memory and written by one thread every few
//! milliseconds, so a request neither waits on stderr nor wakes another thread.
//!
//! Why not tracing-appender's `non_blocking`: it hands every line through a channel to its
//! thread, which sleeps between lines, so at thousands of requests a second each access line
//! costs a thread wake-up and a context switch (measured at about 4% of a Glance show). Here a
//! line is a short, rarely contended append under a lock; the thread writes whatever has
//! gathered, one write per interval. Lines are dropped, and counted in the next write, when more
//! than [`CAP`] bytes gather between two writes (stderr cannot keep up): the log never slows or
//! grows the server without bound.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Bytes that may wait for the next write; beyond it lines are dropped.
pub const CAP: usize = 4 << 20;

/// How often the gathered lines are written.
const INTERVAL: Duration = Duration::from_millis(20);

struct Shared {
    lines: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    stop: AtomicBool,
}

/// The writer handed to `tracing_subscriber::fmt().with_writer(...)`.
#[derive(Clone)]
pub struct Batched(Arc<Shared>);

/// Writes what is left and stops the thread when dropped (keep it until `main` returns).
pub struct Flush {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A batched writer over `out`, with the guard that flushes it.
pub fn batched(out: impl Write + Send + 'static) -> (Batched, Flush) {
    let shared = Arc::new(Shared {
        lines: Mutex::new(Vec::with_capacity(64 << 10)),
        dropped: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("imagespec-log".into())
        .spawn(move || write_until_stopped(&worker, out))
        .ok();
    (Batched(shared.clone()), Flush { shared, thread })
}

fn write_until_stopped(shared: &Shared, mut out: impl Write) {
    let mut spare = Vec::with_capacity(64 << 10);
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        {
            let mut lines = shared.lines.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *lines, &mut spare);
        }
        let dropped = shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(out, "imagespec: {dropped} log lines dropped (stderr fell behind)");
        }
        if !spare.is_empty() {
            let _ = out.write_all(&spare);
            let _ = out.flush();
            spare.clear();
        }
        if stopping {
            return;
        }
        std::thread::park_timeout(INTERVAL);
    }
}

/// The writer the access log appends to directly (see [`crate::middleware::AccessLog`]).
static ACCESS: OnceLock<Batched> = OnceLock::new();

/// Makes `writer` the access log's destination for the rest of the process (the server's `main`
/// does, with the writer it gives tracing); a second call changes nothing.
pub fn install_access(writer: Batched) {
    let _ = ACCESS.set(writer);
}

/// The access log's destination, once installed.
pub fn access() -> Option<&'static Batched> {
    ACCESS.get()
}

impl Batched {
    /// Appends what `line` writes into the buffer, under the same lock and cap as any line.
    pub fn append_with(&self, line: impl FnOnce(&mut Vec<u8>)) {
        let mut lines = self.0.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let before = lines.len();
        line(&mut lines);
        if lines.len() > CAP {
            lines.truncate(before);
            self.0.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Write for Batched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut lines = self.0.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() + buf.len() > CAP {
            self.0.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batched {
    type Writer = Batched;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what the writer's thread writes.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("sink").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_in_order_within_an_interval_and_all_of_them_by_the_flush() {
        let sink = Sink::default();
        let (mut writer, flush) = batched(sink.clone());
        writer.write_all(b"one\n").expect("writes");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.0.lock().expect("sink").is_empty() {
            assert!(std::time::Instant::now() < deadline, "the first line was never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        for i in 0..1000 {
            writer.write_all(format!("line {i}\n").as_bytes()).expect("writes");
        }
        drop(flush);
        let text = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
        let expected: String = std::iter::once("one\n".to_owned())
            .chain((0..1000).map(|i| format!("line {i}\n")))
            .collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn lines_beyond_the_cap_are_dropped_and_counted() {
        // No thread: the buffer fills until the test writes it out itself.
        let shared = Arc::new(Shared {
            lines: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            stop: AtomicBool::new(true),
        });
        let mut writer = Batched(shared.clone());
        writer.write_all(&vec![b'y'; CAP - 10]).expect("writes");
        writer.write_all(&[b'x'; 11]).expect("a dropped line is not an error");
        writer.write_all(&[b'z'; 10]).expect("writes");
        let sink = Sink::default();
        write_until_stopped(&shared, sink.clone());
        let out = sink.0.lock().expect("sink").clone();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("imagespec: 1 log lines dropped"), "{}", &text[..80]);
        assert_eq!(out.iter().filter(|b| **b == b'x').count(), 0, "the line over the cap");
        assert_eq!(out.iter().filter(|b| **b == b'y').count(), CAP - 10);
        assert_eq!(out.iter().filter(|b| **b == b'z').count(), 10, "the next line that fits");
    }

    #[test]
    fn a_line_appended_in_place_past_the_cap_is_taken_back_whole_and_counted() {
        let shared = Arc::new(Shared {
            lines: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            stop: AtomicBool::new(true),
        });
        let writer = Batched(shared.clone());
        writer.append_with(|buf| buf.extend_from_slice(b"kept\n"));
        writer.append_with(|buf| buf.resize(buf.len() + CAP, b'x'));
        writer.append_with(|buf| buf.extend_from_slice(b"also kept\n"));
        let sink = Sink::default();
        write_until_stopped(&shared, sink.clone());
        let text = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
        assert_eq!(text, "imagespec: 1 log lines dropped (stderr fell behind)\nkept\nalso kept\n");
    }
}
