//! # Switching the observer on
//!
//! Everything in `observe/` is off by default and then costs one branch per hook: the
//! runtime's `observer` field is `None`, every hook is `if let Some(obs) = &core.observer`,
//! and nothing is allocated, timed or locked. It is switched on in one of two ways:
//!
//! - the builder: [`Builder::debug`], [`Builder::slow_poll_threshold`],
//!   [`Builder::strict_debug`], [`Builder::trace`], [`Builder::narrate`];
//! - the environment: `GLASSLOOP_DEBUG=1` (or `GLASSLOOP_DEBUG=strict`), read when the runtime
//!   is built, the way `PYTHONASYNCIODEBUG=1` switches on asyncio's debug mode.
//!
//! Read next: `detector.rs`.

use std::time::Duration;

use super::schedule::Schedule;
use super::sink::{Reports, Sink};
use crate::builder::Builder;

/// The default slow-poll threshold: 100 ms, asyncio's `slow_callback_duration`.
pub const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// The environment variable that switches debug mode on: `1` (or `true`) for reports,
/// `strict` for reports that panic.
pub const DEBUG_ENV: &str = "GLASSLOOP_DEBUG";

/// What the builder asked the observer to do.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Time every poll and report slow ones, lost wakers and possible stalls.
    pub(crate) debug: bool,
    /// A poll longer than this is reported.
    pub(crate) threshold: Duration,
    /// Reports panic instead of printing.
    pub(crate) strict: bool,
    /// Run the watchdog thread (only when `debug` is on).
    pub(crate) watchdog: bool,
    /// Record the event log.
    pub(crate) trace: bool,
    /// Print each tick's phases as they run.
    pub(crate) narrate: bool,
    /// Pause before every tick (step mode).
    pub(crate) step: bool,
    /// Where reports go.
    pub(crate) sink: Sink,
    /// The order of step 1 (not an observer option: it works with everything off).
    pub(crate) schedule: Schedule,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            debug: false,
            threshold: DEFAULT_SLOW_POLL,
            strict: false,
            watchdog: true,
            trace: false,
            narrate: false,
            step: false,
            sink: Sink::Stderr,
            schedule: Schedule::Fifo,
        }
    }
}

impl Options {
    /// Fold in `GLASSLOOP_DEBUG`. Called once, by `Builder::build`.
    pub(crate) fn with_env(mut self) -> Options {
        match std::env::var(DEBUG_ENV).as_deref() {
            Ok("1") | Ok("true") | Ok("on") => self.debug = true,
            Ok("strict") => {
                self.debug = true;
                self.strict = true;
            }
            _ => {}
        }
        self
    }

    /// Is any part of the observer wanted?
    pub(crate) fn any(&self) -> bool {
        self.debug || self.trace || self.narrate || self.step
    }
}

impl Builder {
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
    /// use std::time::Duration;
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
        self.observe.schedule = schedule;
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

    /// Print every tick's phases as it runs them (ran N tasks, parked for X, woke because ...)
    /// to the report sink. For the first chapter of the course.
    pub fn narrate(mut self) -> Builder {
        self.observe.narrate = true;
        self
    }
}
