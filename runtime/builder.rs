//! # Builder: choosing how a runtime runs
//!
//! Everything about a runtime that is decided once, before it starts: which clock (real or
//! virtual), how many ready tasks one pass polls, and, in the files that own them, the blocking
//! pool's size (blocking.rs) and the debug, trace and scheduling options (observe/options.rs).
//! `build` hands the settings to `Runtime::from_builder` in executor.rs, which assembles the
//! loop. asyncio: `asyncio.Runner` / `new_event_loop()` and `loop.set_debug`; tokio:
//! `tokio::runtime::Builder`.
//!
//! Read next: `time/wheel.rs`, where sleeping tasks wait.

use std::io;

use crate::executor::{Runtime, DEFAULT_BATCH};
use crate::observe::options::Options as ObserveOptions;

/// Configures a [`Runtime`] before building it.
///
/// ```
/// use std::time::Duration;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let waited = rt.block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(10)).await; // instant under the virtual clock
///     start.elapsed()
/// });
/// assert_eq!(waited, Duration::from_secs(10)); // and exact
/// ```
///
/// asyncio: `asyncio.Runner` / `new_event_loop()`; tokio: `tokio::runtime::Builder`.
#[derive(Debug, Clone)]
pub struct Builder {
    /// Set by `virtual_clock()`.
    pub(crate) virtual_clock: bool,
    /// Set by `batch()`.
    pub(crate) batch: usize,
    /// The blocking pool's settings; its `Builder` methods are in blocking.rs.
    pub(crate) blocking: crate::blocking::PoolConfig,
    /// Debug mode, tracing, narration: set by the methods in observe/options.rs.
    pub(crate) observe: ObserveOptions,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            virtual_clock: false,
            batch: DEFAULT_BATCH,
            blocking: crate::blocking::PoolConfig::default(),
            observe: ObserveOptions::default(),
        }
    }
}

impl Builder {
    /// A builder with the defaults: real clock, batches of [`DEFAULT_BATCH`].
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Use the virtual clock: time starts at zero and, whenever no task is ready and nothing
    /// outside the loop is pending, jumps straight to the next timer's deadline. A program that
    /// sleeps 10 s finishes at once, and `Instant::elapsed` reports exactly 10 s.
    ///
    /// asyncio has no built-in equivalent (test libraries patch the loop's clock); tokio:
    /// `start_paused(true)` with auto-advance.
    pub fn virtual_clock(mut self) -> Builder {
        self.virtual_clock = true;
        self
    }

    /// How many ready tasks step 1 of a tick polls before checking timers and I/O (at least 1).
    pub fn batch(mut self, batch: usize) -> Builder {
        self.batch = batch.max(1);
        self
    }

    /// Build the runtime. Fails only if the OS refuses an epoll instance or an eventfd.
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::from_builder(self)
    }
}
