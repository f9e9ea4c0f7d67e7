//! # Where reports go
//!
//! Every report the observer writes (a slow poll, a watchdog warning, a lost waker, a possible
//! stall, the narrated ticks) is one block of text handed to a [`Sink`]. By default that is
//! standard error, as asyncio's debug mode logs to the `asyncio` logger. Tests want to read
//! the reports back, so a sink can also be a [`Reports`] buffer shared with the test.
//!
//! The watchdog writes from its own thread, so a sink is `Send + Sync`: a mutex around a
//! `String`. One block is written under one lock, so two reports never interleave.
//!
//! Read next: `api.rs`, the public calls (`Runtime::dump`, `glassloop::dump`, ...).

use std::fmt;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

/// A buffer that collects the debug reports of a runtime, for tests and tools.
///
/// ```
/// use std::time::Duration;
/// use glassloop::observe::Reports;
///
/// let reports = Reports::new();
/// let rt = glassloop::Runtime::builder()
///     .virtual_clock()
///     .slow_poll_threshold(Duration::from_millis(20))
///     .debug_reports_to(reports.clone())
///     .build()
///     .unwrap();
/// rt.block_on(async { std::thread::sleep(Duration::from_millis(40)) });
/// assert!(reports.contents().contains("slow poll"));
/// ```
///
/// asyncio: a handler on the `asyncio` logger; tokio: a `tracing` subscriber.
#[derive(Clone, Default)]
pub struct Reports {
    text: Arc<Mutex<String>>,
}

impl Reports {
    /// An empty buffer.
    pub fn new() -> Reports {
        Reports::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> String {
        self.text.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Everything written so far, leaving the buffer empty.
    pub fn take(&self) -> String {
        std::mem::take(&mut *self.text.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn push(&self, block: &str) {
        let mut text = self.text.lock().unwrap_or_else(PoisonError::into_inner);
        text.push_str(block);
        if !block.ends_with('\n') {
            text.push('\n');
        }
    }
}

impl fmt::Debug for Reports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reports").finish_non_exhaustive()
    }
}

/// Where the observer writes its reports.
#[derive(Clone, Debug, Default)]
pub(crate) enum Sink {
    /// Standard error, the default.
    #[default]
    Stderr,
    /// Standard output, so narration interleaves with a program's own prints.
    Stdout,
    /// A buffer a test reads.
    Buffer(Reports),
}

impl Sink {
    /// Write one report block (a trailing newline is added if missing).
    pub(crate) fn write(&self, block: &str) {
        match self {
            Sink::Stderr => {
                // `eprint!`, not a write to `io::stderr()`: the test harness captures what the
                // macro prints (a passing test stays quiet), never what goes around it.
                if block.ends_with('\n') {
                    eprint!("{block}");
                } else {
                    eprintln!("{block}");
                }
            }
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(block.as_bytes());
                if !block.ends_with('\n') {
                    let _ = out.write_all(b"\n");
                }
            }
            Sink::Buffer(reports) => reports.push(block),
        }
    }
}
