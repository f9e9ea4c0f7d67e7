//! # Builder: the composition root
//!
//! Every part of a runtime is chosen here, once, before it starts, and every `Builder` method
//! is in this file: the clock (real or virtual) and the batch size of the loop; the blocking
//! pool's size; debug mode, tracing, narration and step mode; the scheduling order. `build`
//! then puts the parts together, bottom-up:
//!
//! ```text
//!   Builder::build
//!     ├─ observe::Observer::from_options  the instruments, or None when everything is off
//!     ├─ blocking::Pool::new               the threads for spawn_blocking (started on demand)
//!     ├─ schedule::Reorder::new            FIFO (None), LIFO or seeded (then observe/rerun.rs
//!     │                                      ends a failure's report with the seed)
//!     └─ Core (executor/state.rs)          reactor, ready queue, time driver, task table
//! ```
//!
//! This file names every layer; no layer names it. That is what lets the loop stay ignorant
//! of the observer and the pool: they are handed in as a `dyn Instrument` and an opaque box.
//! `run`, the one-line entry point, is here too: it is "build the default runtime, then
//! `block_on`".
//!
//! asyncio: `asyncio.Runner` / `new_event_loop()` and `loop.set_debug`; tokio:
//! `tokio::runtime::Builder`.
//!
//! This is the last file of the tour. `docs/README.md` lists the chapters that walk these
//! files with pictures and experiments.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::blocking::{Pool, PoolConfig};
use crate::executor::schedule::{Reorder, Schedule, SCHEDULE_ENV};
use crate::executor::{Core, Runtime, DEFAULT_BATCH};
use crate::hooks::{Instrument, WakeListener};
use crate::observe::options::Options as ObserveOptions;
use crate::observe::rerun::{self, SeedFrom, SeedKeeper, Seeded};
use crate::observe::sink::{Reports, Sink};
use crate::observe::Observer;
use crate::reactor::Reactor;
use crate::task_table::TaskTable;
use crate::timer::driver::TimeDriver;
use crate::waker::{LocalQueue, Unparker};

/// Configures a [`Runtime`] before building it.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
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
    virtual_clock: bool,
    /// Set by `batch()`.
    batch: usize,
    /// The blocking pool's settings.
    blocking: PoolConfig,
    /// Debug mode, tracing, narration, step mode.
    observe: ObserveOptions,
    /// The order of step 1 (works with every observer switch off).
    schedule: Schedule,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            virtual_clock: false,
            batch: DEFAULT_BATCH,
            blocking: PoolConfig::default(),
            observe: ObserveOptions::default(),
            schedule: Schedule::Fifo,
        }
    }
}

impl Builder {
    /// A builder with the defaults: real clock, batches of [`DEFAULT_BATCH`].
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Build the runtime. Fails only if the OS refuses an epoll instance or an eventfd.
    pub fn build(self) -> io::Result<Runtime> {
        let (schedule, from) = match Schedule::from_env() {
            Some((schedule, from)) => (schedule, from),
            None => (self.schedule, SeedFrom::Program),
        };
        let mut options = self.observe.with_env();
        options.virtual_clock = self.virtual_clock;
        if let Schedule::Random { seed } = schedule {
            // A failure under it ends with the seed and the command (observe/rerun.rs).
            options.seeded = Some(Seeded { seed, from });
            rerun::install_panic_hook();
        }
        let seeded = options.seeded;
        let sink = options.sink.clone();
        let observer = Observer::from_options(options);
        let wake_listener = observer
            .as_ref()
            .and_then(|obs| obs.wake_log.clone())
            .map(|log| log as Arc<dyn WakeListener>);
        let (reactor, doorbell) = Reactor::new()?;
        let doorbell = Arc::new(doorbell);
        let (ready_tx, ready_rx) = crossbeam_channel::unbounded();
        let unparker = Arc::new(Unparker {
            wake_listener,
            ready_tx,
            parked: AtomicBool::new(false),
            doorbell: Arc::downgrade(&doorbell),
            doorbell_rings: AtomicUsize::new(0),
        });
        let core = Core {
            tasks: TaskTable::new(),
            ready: LocalQueue::new(&unparker),
            ready_rx,
            unparker,
            _doorbell: doorbell,
            time: TimeDriver::new(self.virtual_clock),
            reactor,
            main: RefCell::new(None),
            current: Cell::new(None),
            polls_since_io: Cell::new(0),
            batch: self.batch,
            ticks: Cell::new(0),
            hooks: match (observer, seeded) {
                (Some(observer), _) => Some(observer as Box<dyn Instrument>),
                // A random schedule alone: only its seed is kept, for a failure's report.
                (None, Some(seeded)) => Some(Box::new(SeedKeeper::new(seeded, sink))),
                (None, None) => None,
            },
            reorder: Reorder::new(schedule),
            stall_report: rerun::stall_report,
            pool: Box::new(Pool::new(self.blocking)),
        };
        Ok(Runtime { core: Rc::new(core) })
    }

    // ─────────────── the loop ───────────────

    /// Use the virtual clock: time starts at zero and jumps straight to the next timer's
    /// deadline whenever nothing else can happen (the rule is in `timer/driver.rs`). A
    /// program that sleeps 10 s finishes at once, and `Instant::elapsed` reports exactly 10 s.
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

    // ─────────────── the blocking pool (blocking.rs) ───────────────

    /// Let the blocking pool grow to at most `n` threads (at least 1; default
    /// [`DEFAULT_MAX_BLOCKING_THREADS`](crate::DEFAULT_MAX_BLOCKING_THREADS)). Jobs beyond the limit wait their turn, first in
    /// first out.
    ///
    /// asyncio: `ThreadPoolExecutor(max_workers=n)` set with `loop.set_default_executor`;
    /// tokio: `Builder::max_blocking_threads`.
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.blocking.max_threads = n.max(1);
        self
    }

    /// A pool thread with nothing to do exits after `keep_alive` (default
    /// [`DEFAULT_BLOCKING_KEEP_ALIVE`](crate::DEFAULT_BLOCKING_KEEP_ALIVE)); the next job starts a new one.
    ///
    /// asyncio: none (its executor keeps its threads); tokio: `Builder::thread_keep_alive`.
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.blocking.keep_alive = keep_alive;
        self
    }

    /// When the runtime is dropped, wait at most this long (default
    /// [`DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT`](crate::DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT)) for blocking jobs that are still running; after
    /// that they are left to finish on their own threads, with a message on stderr.
    ///
    /// asyncio: `loop.shutdown_default_executor(timeout)`; tokio: `Runtime::shutdown_timeout`.
    pub fn blocking_shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.blocking.shutdown_timeout = timeout;
        self
    }

    // ─────────────── the observer (observe/) ───────────────

    /// Switch debug mode on: every poll is timed, and slow polls, a loop blocked right now
    /// (the watchdog), lost wakers and stalls are reported on standard error. Same as
    /// running with `GLASSLOOP_DEBUG=1`.
    ///
    /// asyncio: `loop.set_debug(True)` / `PYTHONASYNCIODEBUG=1`; tokio: no equivalent
    /// (tokio-console is the nearest, as a separate tool).
    pub fn debug(mut self) -> Builder {
        self.observe.debug = true;
        self
    }

    /// Report polls longer than `threshold` (default 100 ms). Switches debug mode on.
    ///
    /// asyncio: `loop.slow_callback_duration`.
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.observe.debug = true;
        self.observe.threshold = threshold;
        self
    }

    /// Debug mode for tests: a slow poll or a lost waker panics (out of `block_on`) with its
    /// report instead of only printing it. Same as `GLASSLOOP_DEBUG=strict`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// let rt = glassloop::Runtime::builder()
    ///     .virtual_clock()
    ///     .strict_debug()
    ///     .slow_poll_threshold(Duration::from_millis(10))
    ///     .build()
    ///     .unwrap();
    /// let blocked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.block_on(async { std::thread::sleep(Duration::from_millis(30)) })
    /// }));
    /// assert!(blocked.is_err());
    /// ```
    pub fn strict_debug(mut self) -> Builder {
        self.observe.debug = true;
        self.observe.strict = true;
        self
    }

    /// Run (the default) or do not run the watchdog thread in debug mode.
    pub fn watchdog(mut self, on: bool) -> Builder {
        self.observe.watchdog = on;
        self
    }

    /// Send debug reports to `reports` instead of standard error.
    pub fn debug_reports_to(mut self, reports: Reports) -> Builder {
        self.observe.sink = Sink::Buffer(reports);
        self
    }

    /// The order in which each pass polls its ready tasks: FIFO (the default), LIFO, or
    /// random with a seed. `GLASSLOOP_SCHEDULE` overrides it (see
    /// [`SCHEDULE_ENV`](crate::observe::SCHEDULE_ENV)).
    ///
    /// asyncio, tokio: no equivalent (both are FIFO, tokio with a LIFO slot).
    pub fn schedule(mut self, schedule: Schedule) -> Builder {
        self.schedule = schedule;
        self
    }

    /// Step mode, for classrooms: before every tick, print the ready queue, the timers (with
    /// their wheel level and slot) and the I/O waiters, and wait for Enter on standard input
    /// (`c` + Enter, or the end of input, runs to the end).
    ///
    /// asyncio, tokio: no equivalent; a debugger breakpoint on `Runtime::tick` is the nearest.
    pub fn step_mode(mut self) -> Builder {
        self.observe.step = true;
        self
    }

    /// Send debug reports and narration to standard output, where they interleave with the
    /// program's own `println!`s (the demos use this).
    pub fn debug_reports_to_stdout(mut self) -> Builder {
        self.observe.sink = Sink::Stdout;
        self
    }

    /// Record the scheduler's event log, for [`Runtime::timeline`](crate::Runtime::timeline)
    /// and [`Runtime::chrome_trace`](crate::Runtime::chrome_trace).
    ///
    /// asyncio: none built in; tokio: `tracing` spans with a subscriber.
    pub fn trace(mut self) -> Builder {
        self.observe.trace = true;
        self
    }

    /// Keep at most the last `events` events in the trace log (default
    /// [`DEFAULT_TRACE_CAPACITY`](crate::observe::DEFAULT_TRACE_CAPACITY)); older ones are
    /// dropped, and the Chrome trace says how many.
    pub fn trace_capacity(mut self, events: usize) -> Builder {
        self.observe.trace_capacity = events;
        self
    }

    /// Print every tick's phases as it runs them (ran N tasks, parked for X, woke because ...)
    /// to the report sink. For the first chapter of the course.
    pub fn narrate(mut self) -> Builder {
        self.observe.narrate = true;
        self
    }
}

/// Reading `GLASSLOOP_SCHEDULE` is configuration, so it happens here, not in the loop.
impl Schedule {
    /// The schedule `GLASSLOOP_SCHEDULE` asks for, if any, and where its seed came from.
    /// `random` draws its seed from the clock once per process, so every runtime the process
    /// builds shares it and `random:SEED` replays them all.
    pub(crate) fn from_env() -> Option<(Schedule, SeedFrom)> {
        static DRAWN: OnceLock<u64> = OnceLock::new();
        let value = std::env::var(SCHEDULE_ENV).ok()?;
        let from_env = |schedule| Some((schedule, SeedFrom::Environment));
        match value.as_str() {
            "fifo" => from_env(Schedule::Fifo),
            "lifo" => from_env(Schedule::Lifo),
            "random" => {
                let seed = *DRAWN.get_or_init(|| {
                    let seed = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(1, |d| d.as_nanos() as u64);
                    eprintln!(
                        "glassloop: random scheduling with seed {seed}; replay it with \
                         {SCHEDULE_ENV}=random:{seed}"
                    );
                    seed
                });
                Some((Schedule::Random { seed }, SeedFrom::Clock))
            }
            other => match other.strip_prefix("random:").map(str::parse::<u64>) {
                Some(Ok(seed)) => from_env(Schedule::Random { seed }),
                _ => panic!(
                    "{SCHEDULE_ENV}={other:?} is not a schedule: use fifo, lifo, random or \
                     random:SEED (a number)"
                ),
            },
        }
    }
}

impl Runtime {
    /// A runtime with the real clock. Same as `Runtime::builder().build()`.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Start configuring a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }
}

// ───────────────────────────── run ─────────────────────────────

/// Run `future` on a fresh runtime with the real clock and return its output: the one-line
/// entry point.
///
/// asyncio: `asyncio.run(main())`; tokio: `#[tokio::main]`.
///
/// ```
/// let greeting = glassloop::run(async { "hello from the loop" });
/// assert_eq!(greeting, "hello from the loop");
/// ```
///
/// # Panics
/// Inside a running glassloop runtime (await the future instead); if the OS cannot create the
/// reactor; as [`Runtime::block_on`].
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime = Runtime::new()
        .unwrap_or_else(|err| panic!("glassloop::run could not create the reactor: {err}"));
    // Runtime::block_on refuses, with the message that says what to do, to nest in a loop.
    runtime.block_on(future)
}
