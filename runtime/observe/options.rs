//! # Switching the observer on
//!
//! Everything in `observe/` is off by default and then costs one branch per hook: the
//! core's `hooks` field (executor/state.rs) is `None`, every hook is
//! `if let Some(hooks) = core.hooks()`, and nothing is allocated, timed or locked. It is
//! switched on in one of two ways:
//!
//! - the builder (builder.rs): [`Builder::debug`](crate::Builder::debug),
//!   [`slow_poll_threshold`](crate::Builder::slow_poll_threshold),
//!   [`strict_debug`](crate::Builder::strict_debug), [`trace`](crate::Builder::trace),
//!   [`narrate`](crate::Builder::narrate), [`step_mode`](crate::Builder::step_mode);
//! - the environment: `GLASSLOOP_DEBUG=1` (or `GLASSLOOP_DEBUG=strict`), read when the runtime
//!   is built, the way `PYTHONASYNCIODEBUG=1` switches on asyncio's debug mode.
//!
//! A random schedule alone does not switch it on (it would double the cost of a poll); a
//! small instrument of rerun.rs keeps the seed instead, for the report of a failure.
//!
//! Read next: `clock.rs`, the stopwatch every poll is timed with, then `detector.rs`.

use std::time::Duration;

use super::sink::Sink;

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
    /// How many events the log keeps (the last ones).
    pub(crate) trace_capacity: usize,
    /// The runtime runs on the virtual clock (a poll's length is then also read from it).
    pub(crate) virtual_clock: bool,
    /// Print each tick's phases as they run.
    pub(crate) narrate: bool,
    /// Pause before every tick (step mode).
    pub(crate) step: bool,
    /// Where reports go.
    pub(crate) sink: Sink,
    /// The random schedule's seed, if the runtime has one: a failure's report ends with it
    /// and the command that reruns the program (rerun.rs). Alone, it does not switch the
    /// observer on: rerun.rs's lighter instrument keeps it then.
    pub(crate) seeded: Option<super::rerun::Seeded>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            debug: false,
            threshold: DEFAULT_SLOW_POLL,
            strict: false,
            watchdog: true,
            trace: false,
            trace_capacity: super::DEFAULT_TRACE_CAPACITY,
            virtual_clock: false,
            narrate: false,
            step: false,
            sink: Sink::Stderr,
            seeded: None,
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
