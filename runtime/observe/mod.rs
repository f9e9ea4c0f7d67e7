//! # Seeing inside the loop
//!
//! asyncio and tokio hide their schedulers; glassloop shows its own. This folder holds
//! everything that watches the loop, and two switches that steer it on request: step mode
//! (step.rs) stops before every tick, and seeded scheduling (schedule.rs) polls each pass in
//! another order. Watching never changes what the loop decides, with one exception: in debug
//! mode a park until woken that only hidden wakers could end is cut to one threshold, so a
//! possible stall can be reported (ticks.rs).
//!
//! ```text
//!   executor.rs tick ──hooks──► Observer ──► detector.rs  slow polls, busy passes, lost wakers
//!     (one `if let Some(obs)`     │      ──► watchdog.rs  a thread that sees a loop blocked now
//!      per hook)                  │      ──► dump.rs      every live task, and stalls
//!   leaf futures ─await points──► │      ──► trace.rs     the event log; timeline.rs, chrome.rs
//!   (timers, JoinHandle, sockets, │      ──► ticks.rs     the phases of a tick, narrated
//!    channels, locks)             │      ──► step.rs      pause before a tick (schedule.rs: order)
//!                                 └──────► sink.rs       stderr or a Reports buffer
//! ```
//!
//! ## The cost when it is off
//!
//! `Core::observer` is an `Option<Box<Observer>>`. When it is `None` every hook is a single
//! untaken branch: no clock is read, nothing is allocated, no lock is taken. The clock reads
//! (`std::time::Instant::now`, twice per poll), the task notes and the event log exist only
//! when something was switched on. `cargo bench --bench vs_tokio` measures each mode on against
//! off (docs/04-debug-mode.md, "What it costs").
//!
//! ## Await points
//!
//! A report that says "task 'fetch' held the loop for 6 s" is good; one that adds "it resumed
//! from the sleep at src/main.rs:12 and next parked at src/main.rs:15" points at the two lines
//! between which the blocking call must be. Leaf futures (the ones that really return
//! `Pending`: sleep, timeout, interval, yield_now, JoinHandle, every socket method, channel
//! send and recv, `Semaphore::acquire`, `Mutex::lock`, `Event::wait`, `Notify::notified`)
//! know where they are awaited thanks to `#[track_caller]`, and hand that location to
//! `note_await` when they return `Pending`. A method that is an `async fn` cannot carry
//! `#[track_caller]` on stable Rust, so those are plain functions that take the location and
//! return an `async` block (`TcpStream::read`, `Mutex::lock`, `mpsc::Sender::send`). Sockets
//! keep their runtime, so off costs them a branch; channels find it through the
//! thread-local (a read and a branch, on the `Pending` path only).
//!
//! tokio records similar locations for tokio-console through `tracing` spans; asyncio keeps a
//! coroutine's current frame (`cr_frame`), which is why its debug mode can print a stack.
//!
//! Read next: `options.rs` (how it is switched on), then `detector.rs`.

pub(crate) mod api;
pub mod chrome;
pub(crate) mod detector;
pub(crate) mod dump;
pub(crate) mod options;
pub(crate) mod schedule;
pub(crate) mod sink;
pub(crate) mod step;
pub(crate) mod ticks;
pub mod timeline;
pub(crate) mod trace;
pub(crate) mod watchdog;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;

use crate::executor::Core;
use crate::task::TaskId;
use crate::time::wheel::TimerKey;

pub use api::dump;
pub use options::{DEBUG_ENV, DEFAULT_SLOW_POLL};
pub use schedule::{Schedule, SCHEDULE_ENV};
pub use sink::Reports;
pub use trace::{Event, EventKind, WakeCause};

use options::Options;
use sink::Sink;

/// What the observer remembers about one live task.
#[derive(Debug)]
pub(crate) struct TaskNotes {
    /// "'fetch' #3" or "#3".
    pub(crate) label: String,
    /// Where it was spawned.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The await point it returned `Pending` at last: where it is parked, and where it will
    /// resume from.
    pub(crate) parked_at: Option<&'static Location<'static>>,
}

/// What the observer remembers about one timer in the wheel (to name late timers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimerNote {
    /// The wheel's deadline, in milliseconds since the clock's origin.
    pub(crate) deadline_ms: u64,
    /// The task that was being polled when the timer was set.
    pub(crate) task: Option<TaskId>,
    /// Where the sleep was created.
    pub(crate) set_at: &'static Location<'static>,
}

/// The observer of one runtime. Lives in `Core::observer` when anything is switched on.
pub(crate) struct Observer {
    pub(crate) options: Options,
    /// Notes on every live task, the main future included (`TaskId::MAIN`).
    pub(crate) tasks: RefCell<HashMap<TaskId, TaskNotes>>,
    /// The task being polled right now, if any. Set and cleared by the detector.
    pub(crate) polling: Cell<Option<TaskId>>,
    /// The await point the task being polled reached last during this poll.
    pub(crate) reached: Cell<Option<&'static Location<'static>>>,
    /// Notes on timers, keyed by wheel key. Pruned lazily against the wheel.
    pub(crate) timers: RefCell<HashMap<TimerKey, TimerNote>>,
    /// The detector's running totals for the current pass of step 1.
    pub(crate) pass: RefCell<detector::PassTally>,
    /// Tasks that ended during this pass; their notes are dropped when the pass ends.
    pub(crate) ended: RefCell<Vec<TaskId>>,
    /// Set by `note_panic` when the task being polled panicked; read when it ends.
    pub(crate) panicked: Cell<bool>,
    /// True once a possible stall was reported, until the next poll.
    pub(crate) stall_reported: Cell<bool>,
    /// The state shared with the watchdog thread.
    pub(crate) shared: Arc<watchdog::Shared>,
    /// The watchdog thread, stopped and joined when the observer is dropped.
    watchdog: Option<watchdog::Watchdog>,
    /// The event log, when tracing is on.
    pub(crate) log: Option<trace::Log>,
    /// When the current park began (narration only).
    pub(crate) park_started: Cell<Option<std::time::Instant>>,
    /// Step mode's state.
    pub(crate) stepper: step::Stepper,
    /// Wakes recorded by wakers, shared with the `Unparker` (tracing or narration only).
    pub(crate) wake_log: Option<Arc<trace::WakeLog>>,
}

impl Observer {
    /// An observer for these options, or `None` when nothing is switched on.
    pub(crate) fn from_options(options: Options) -> Option<Box<Observer>> {
        if !options.any() {
            return None;
        }
        let shared = Arc::new(watchdog::Shared::new(
            options.threshold,
            options.sink.clone(),
        ));
        let watchdog =
            (options.debug && options.watchdog).then(|| watchdog::Watchdog::start(shared.clone()));
        let log = options.trace.then(trace::Log::default);
        let wake_log = (options.trace || options.narrate).then(|| Arc::new(trace::WakeLog::new()));
        Some(Box::new(Observer {
            options,
            tasks: RefCell::new(HashMap::new()),
            polling: Cell::new(None),
            reached: Cell::new(None),
            timers: RefCell::new(HashMap::new()),
            pass: RefCell::new(detector::PassTally::default()),
            ended: RefCell::new(Vec::new()),
            panicked: Cell::new(false),
            stall_reported: Cell::new(false),
            shared,
            watchdog,
            log,
            park_started: Cell::new(None),
            stepper: step::Stepper::default(),
            wake_log,
        }))
    }

    /// The report sink.
    pub(crate) fn sink(&self) -> &Sink {
        &self.options.sink
    }

    /// Write a report, or panic with it in strict mode.
    pub(crate) fn report(&self, block: &str) {
        if self.options.strict {
            panic!("{block}");
        }
        self.sink().write(block);
    }

    /// Hook: a task was spawned.
    pub(crate) fn task_spawned(
        &self,
        core: &Core,
        id: TaskId,
        name: Option<&str>,
        spawned_at: &'static Location<'static>,
    ) {
        let label = match id {
            TaskId::MAIN => "main future #0".to_string(),
            _ => crate::task::label(name, id),
        };
        if self.watchdog.is_some() {
            self.shared
                .set_label(id.number(), format!("{label} spawned at {spawned_at}"));
        }
        if let Some(log) = &self.log {
            let row = match id == TaskId::MAIN {
                true => label.clone(),
                false => format!("task {label}"),
            };
            log.labels.borrow_mut().insert(id, row);
        }
        self.tasks.borrow_mut().insert(
            id,
            TaskNotes {
                label,
                spawned_at,
                parked_at: None,
            },
        );
        self.record(core, id, EventKind::Spawn);
    }

    /// Hook: a task ended (finished, cancelled or dropped with the loop).
    pub(crate) fn task_ended(&self, core: &Core, id: TaskId, how: EventKind) {
        let how = match how {
            EventKind::Finished if self.panicked.take() => EventKind::Panicked,
            other => other,
        };
        // The notes stay until the pass ends, so a busy-pass report can still name the task.
        self.ended.borrow_mut().push(id);
        if self.watchdog.is_some() {
            self.shared.remove_label(id.number());
        }
        self.record(core, id, how);
    }

    /// The label of a task for reports.
    pub(crate) fn label(&self, id: TaskId) -> String {
        match self.tasks.borrow().get(&id) {
            Some(notes) => notes.label.clone(),
            None => format!("{id}"),
        }
    }

    /// Append an event to the log, if tracing is on.
    pub(crate) fn record(&self, core: &Core, task: TaskId, kind: EventKind) {
        if let Some(log) = &self.log {
            log.push(core.clock.now(), task, kind);
        }
    }
}

/// Note that the task being polled is about to return `Pending` at the await point `at`.
/// Leaf futures call this (sleep, yield_now, JoinHandle, sockets, channels and locks),
/// with a location they got from `#[track_caller]`. Costs a branch when debug mode is off.
pub(crate) fn note_await(core: &Core, at: &'static Location<'static>) {
    if let Some(obs) = &core.observer {
        obs.reached.set(Some(at));
    }
}

/// [`note_await`] for a leaf future that does not keep its runtime (`yield_now`, channels,
/// `Semaphore`, `Mutex`, `Event`, `Notify`): finds the runtime through the thread-local, so
/// it costs a thread-local read as well as the branch. Call it on the `Pending` path only.
pub(crate) fn note_await_current(at: &'static Location<'static>) {
    crate::context::if_current(|core| note_await(core, at));
}

/// Note that the task being polled panicked (its `TaskFuture` caught the panic). A cold path,
/// so finding the runtime through the thread-local is fine.
pub(crate) fn note_panic() {
    crate::context::if_current(|core| {
        if let Some(obs) = &core.observer {
            obs.panicked.set(true);
        }
    });
}

/// Note a timer just put in the wheel: who set it, where, and when it is due.
pub(crate) fn note_timer(
    core: &Core,
    key: TimerKey,
    deadline_ms: u64,
    at: &'static Location<'static>,
) {
    if let Some(obs) = &core.observer {
        let task = obs.polling.get();
        obs.timers.borrow_mut().insert(
            key,
            TimerNote {
                deadline_ms,
                task,
                set_at: at,
            },
        );
        if let Some(task) = task {
            obs.record(core, task, EventKind::TimerSet { deadline_ms });
        }
    }
}
