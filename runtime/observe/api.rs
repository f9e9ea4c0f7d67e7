//! # The public face of `observe/`: methods on `Runtime`, and `glassloop::dump`
//!
//! Kept apart from `executor/` so the loop's files stay about the loop (executor/mod.rs lists
//! every `Runtime` method and where it lives).
//!
//! Read next: `builder.rs`, which plugs this folder into the loop.

use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::trace::Event;
use super::{chrome, svg, timeline, Observer};
use crate::executor::context::with_current;
use crate::executor::{Core, Runtime};
use crate::task_id::TaskId;

impl Runtime {
    /// How many tasks are alive (spawned and neither finished nor dropped).
    pub fn live_tasks(&self) -> usize {
        self.core.tasks.len()
    }

    /// How many turns (ticks) the loop has made since the runtime was built.
    pub fn ticks(&self) -> u64 {
        self.core.ticks.get()
    }

    /// How many times a cross-thread wake had to ring the reactor's doorbell to unpark the
    /// loop (invariant 10's evidence).
    pub fn doorbell_rings(&self) -> usize {
        self.core.unparker.doorbell_rings.load(Ordering::Relaxed)
    }

    /// Every live task: name, spawn location, state (ready / polling / waiting), polls,
    /// wakers held, and (in debug mode) the await point it is parked on.
    ///
    /// asyncio: `asyncio.all_tasks()` and `Task.print_stack()`; tokio: `Handle::dump()`
    /// (unstable) or tokio-console.
    ///
    /// ```
    /// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
    /// rt.spawn(std::future::pending::<()>());
    /// assert!(rt.dump().contains("task #1: ready"));
    /// ```
    pub fn dump(&self) -> String {
        super::dump::render(&self.core)
    }

    /// What the next tick will work with: the ready queue, the timers with their wheel level
    /// and slot, the I/O waiters and the outside work in flight; what step mode prints
    /// before each tick.
    ///
    /// # Panics
    /// If the runtime was built with everything in `observe/` off: timers are named from the
    /// observer's notes. Build it with `debug()`, `trace()` or `step_mode()`.
    pub fn describe_loop(&self) -> String {
        let Some(obs) = observer(&self.core) else {
            panic!(
                "Runtime::describe_loop needs the observer: build the runtime with \
                 `Runtime::builder().debug()` (or `.step_mode()`, or `.trace()`)"
            );
        };
        obs.describe_loop(&*self.core, &crate::outside::in_flight(&self.core))
    }

    /// The recorded event log (empty unless built with [`Builder::trace`](crate::Builder::trace)).
    pub fn trace_events(&self) -> Vec<Event> {
        match observer(&self.core).and_then(|obs| obs.log.as_ref()) {
            Some(log) => log.events(),
            None => Vec::new(),
        }
    }

    /// The text timeline of the event log: one row per task, time across.
    ///
    /// # Panics
    /// If tracing was not switched on with [`Builder::trace`](crate::Builder::trace).
    pub fn timeline(&self) -> String {
        let events = self.traced("Runtime::timeline");
        timeline::render(&events, |id| self.trace_label(id))
    }

    /// The event log as Chrome trace-event JSON, for Perfetto or `chrome://tracing`.
    ///
    /// # Panics
    /// If tracing was not switched on with [`Builder::trace`](crate::Builder::trace).
    pub fn chrome_trace(&self) -> String {
        let events = self.traced("Runtime::chrome_trace");
        let dropped =
            observer(&self.core).and_then(|o| o.log.as_ref()).map_or(0, |l| l.dropped.get());
        chrome::render(&events, dropped, |id| self.trace_label(id))
    }

    /// Write [`chrome_trace`](Self::chrome_trace) to `path`.
    ///
    /// # Panics
    /// If tracing was not switched on with [`Builder::trace`](crate::Builder::trace).
    pub fn write_chrome_trace(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.chrome_trace())
    }

    /// The event log as a self-contained SVG picture (no script, no network): one lane per
    /// task and one for the loop, running solid, ready hatched, waiting a thin line labelled
    /// with its await point, slow polls red, timers with how late they fired, wake arrows.
    ///
    /// asyncio: none; tokio: none built in (Perfetto draws a trace, online).
    ///
    /// # Panics
    /// If tracing was not switched on with [`Builder::trace`](crate::Builder::trace).
    pub fn svg_timeline(&self) -> String {
        let events = self.traced("Runtime::svg_timeline");
        let slow = observer(&self.core).map_or(super::DEFAULT_SLOW_POLL, |o| o.options.threshold);
        svg::render(&events, slow, |id| self.trace_label(id))
    }

    /// Write [`svg_timeline`](Self::svg_timeline) to `path`.
    ///
    /// # Panics
    /// If tracing was not switched on with [`Builder::trace`](crate::Builder::trace).
    pub fn write_svg_timeline(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.svg_timeline())
    }

    /// The figures of every task that ran, finished ones included, by id: polls, busy,
    /// scheduled and idle time, wakes and self-wakes (observe/stats.rs explains each).
    ///
    /// asyncio: none; tokio: tokio-console's task list.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = glassloop::Runtime::builder().virtual_clock().debug().build().unwrap();
    /// rt.block_on(async { glassloop::time::sleep(Duration::from_secs(2)).await });
    /// let main = &rt.task_stats()[0];
    /// assert_eq!((main.polls, main.idle, main.wakes), (2, Duration::from_secs(2), 1));
    /// ```
    ///
    /// # Panics
    /// If neither debug mode nor tracing is on: the figures come from timing every poll.
    pub fn task_stats(&self) -> Vec<super::TaskStats> {
        let now = self.core.time.clock.now();
        self.with_observer_stats("Runtime::task_stats", |obs| obs.task_stats(now))
    }

    /// How long the runtime's polls took, in decades (see [`super::PollHistogram`]).
    ///
    /// # Panics
    /// If neither debug mode nor tracing is on.
    pub fn poll_histogram(&self) -> super::PollHistogram {
        self.with_observer_stats("Runtime::poll_histogram", |obs| obs.stats.borrow().histogram())
    }

    fn with_observer_stats<T>(&self, what: &str, read: impl FnOnce(&Observer) -> T) -> T {
        match observer(&self.core).filter(|obs| obs.keeps_stats()) {
            Some(obs) => read(obs),
            None => panic!(
                "{what} needs the poll times: build the runtime with \
                 `Runtime::builder().debug()` or `.trace()` (or set GLASSLOOP_DEBUG=1)"
            ),
        }
    }

    fn traced(&self, what: &str) -> Vec<Event> {
        let traced = observer(&self.core).is_some_and(|obs| obs.log.is_some());
        assert!(
            traced,
            "{what} needs the event log: build the runtime with \
             `Runtime::builder().trace()` to record it"
        );
        self.trace_events()
    }

    fn trace_label(&self, id: TaskId) -> String {
        match observer(&self.core).and_then(|obs| obs.log.as_ref()) {
            Some(log) => log.row_label(id),
            None => super::row_label(None, id),
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("virtual_clock", &self.is_virtual_clock())
            .field("live_tasks", &self.live_tasks())
            .field("now", &self.now())
            .finish()
    }
}

/// The runtime's observer, if anything in observe/ is switched on.
pub(crate) fn observer(core: &Core) -> Option<&Observer> {
    core.hooks()?.as_any().downcast_ref::<Observer>()
}

/// The task dump of the runtime running on this thread; see [`Runtime::dump`].
///
/// ```
/// glassloop::run(async {
///     let _worker = glassloop::task::Builder::new().name("worker").spawn(async {});
///     assert!(glassloop::dump().contains("task 'worker' #1: ready"));
/// });
/// ```
///
/// # Panics
/// Outside a running glassloop runtime.
pub fn dump() -> String {
    with_current("glassloop::dump", |core| super::dump::render(core))
}

/// A stand-in for a blocking call, for demos and tests of the detector: under the real
/// clock it is `std::thread::sleep(duration)`; under the virtual clock, where a real sleep
/// would not move the clock, it moves the virtual clock forward by `duration` while the
/// poll runs, which is what a blocking call does to the loop: the poll is that long, and
/// every timer due meanwhile fires late.
///
/// Never do this in a real program (it is the mistake the detector exists for).
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async { glassloop::observe::block_for(std::time::Duration::from_secs(6)) });
/// assert_eq!(rt.now().since_origin(), std::time::Duration::from_secs(6));
/// ```
///
/// # Panics
/// Outside a running glassloop runtime.
pub fn block_for(duration: std::time::Duration) {
    let virtual_now = with_current("glassloop::observe::block_for", |core| {
        core.time.clock.is_virtual().then(|| core.time.clock.now())
    });
    match virtual_now {
        Some(now) => with_current("glassloop::observe::block_for", |core| {
            core.time.clock.advance_to(now + duration)
        }),
        None => std::thread::sleep(duration),
    }
}
