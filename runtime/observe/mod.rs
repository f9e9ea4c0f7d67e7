//! # Seeing inside the loop
//!
//! asyncio and tokio hide their schedulers; glassloop shows its own. This folder holds
//! everything that watches the loop. It attaches through one door, the `Instrument` trait of
//! hooks.rs, which `Observer` implements, and reads the loop through the read-only
//! `LoopView` the executor offers; it never touches the loop's fields. Watching never changes
//! what the loop decides, with two exceptions: step mode (step.rs) stops before every tick,
//! and in debug mode a park until woken that only hidden wakers could end (or, under the
//! virtual clock, that outside work holds) is cut to one threshold, so a possible stall (or a
//! held clock) can be reported (ticks.rs).
//!
//! ```text
//!   executor/ tick ──hooks.rs──► Observer ──► detector.rs  slow polls, busy passes, lost wakers
//!     (one `if let Some(hooks)`     │      ──► watchdog.rs  a thread that sees a loop blocked now
//!      per hook)                    │      ──► dump.rs      every live task, and stalls; with
//!   leaf futures ─await points────► │                       awaits.rs (on what, who awaits whom),
//!   (timers, JoinHandle, sockets,   │                       stats.rs (busy, scheduled, idle),
//!    channels, locks)               │                       child_polls.rs (which gather child)
//!                                   │      ──► trace.rs     the event log; timeline.rs, chrome.rs,
//!                                   │                       svg.rs draw it, replay.rs compares two;
//!                                   │                       rerun.rs: a failure's seed and command
//!                                   │      ──► ticks.rs     the phases of a tick, narrated
//!                                   │      ──► step.rs      pause before a tick
//!                                   └──────► sink.rs       stderr or a Reports buffer
//!   options.rs: what is switched on; api.rs: the public calls on `Runtime`;
//!   task_map.rs: the notes on each task, found by its slab slot
//! ```
//!
//! ## The cost when it is off
//!
//! The executor keeps `Option<Box<dyn Instrument>>`. When it is `None` every hook is a single
//! untaken branch: no clock is read, nothing is allocated, no lock is taken. The clock reads
//! (the stopwatch of clock.rs, once per poll boundary), the task notes (task_map.rs) and the
//! event log exist only when something was switched on. `cargo bench --bench vs_tokio`
//! measures each mode on against off (docs/04-debug-mode.md, "What it costs").
//!
//! On, a poll pays for what it shows and little else: one read of the processor's cycle
//! counter (about 9 ns on the course machine; clock.rs) kept as whole nanoseconds, its notes
//! found by slab slot and borrowed once at its end for the poll and the wakes it made, plain
//! atomic stores for the watchdog, wakes kept in a list with no lock and taken as one batch,
//! and events written in place into a ring. No label is formatted and nothing is allocated
//! once the loop is warm; the reports' code stays out of the hooks' way (`#[cold]`).
//!
//! ## Await points
//!
//! A report that says "task 'fetch' held the loop for 6 s" is good; one that adds "it resumed
//! from the sleep at src/main.rs:12 and next parked at src/main.rs:15" points at the two lines
//! between which the blocking call must be. Leaf futures (the ones that really return
//! `Pending`: sleep, timeout, interval, yield_now, JoinHandle, every socket method, channel
//! send and recv, `Semaphore::acquire`, `Mutex::lock`, `Event::wait`, `Notify::notified`)
//! know where they are awaited thanks to `#[track_caller]`, and hand that location to
//! the `await_point` hook when they return `Pending`. A method that is an `async fn` cannot carry
//! `#[track_caller]` on stable Rust, so those are plain functions that take the location and
//! return an `async` block (`TcpStream::read`, `Mutex::lock`, `mpsc::Sender::send`). Sockets
//! keep their runtime, so off costs them a branch; channels find it through the
//! thread-local (a read and a branch, on the `Pending` path only).
//!
//! tokio records similar locations for tokio-console through `tracing` spans; asyncio keeps a
//! coroutine's current frame (`cr_frame`), which is why its debug mode can print a stack.
//!
//! Read next: `options.rs` (what can be switched on), `clock.rs`, then `detector.rs`.

pub(crate) mod api;
pub(crate) mod awaits;
pub(crate) mod child_polls;
pub mod chrome;
pub(crate) mod clock;
pub(crate) mod detector;
pub(crate) mod dump;
pub(crate) mod options;
pub(crate) mod replay;
pub(crate) mod rerun;
pub(crate) mod sink;
pub(crate) mod stats;
pub(crate) mod step;
pub mod svg;
pub(crate) mod task_map;
pub(crate) mod ticks;
pub mod timeline;
pub(crate) mod trace;
pub(crate) mod watchdog;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;

use crate::hooks::{Instrument, LoopView, Park, PollEnd, TaskEnd, TimerRow};
use crate::task_id::TaskId;
use crate::timer::wheel::TimerKey;

pub use crate::executor::schedule::{Schedule, SCHEDULE_ENV};
pub use crate::hooks::Direction; // the socket half in a wake cause
pub use crate::wake_site::Via;
pub use api::{block_for, dump};
pub(crate) use child_polls::child_poll;
pub use options::{DEBUG_ENV, DEFAULT_SLOW_POLL};
pub use replay::{check_determinism, Divergence};
pub use sink::Reports;
pub use stats::{stats_table, PollHistogram, TaskStats};
pub use trace::{Event, EventKind, WakeCause, DEFAULT_TRACE_CAPACITY};

use options::Options;
use sink::Sink;

/// What the observer remembers about one live task.
#[derive(Debug)]
pub(crate) struct TaskNotes {
    /// Its name, if it was given one. The label ("'fetch' #3") is made only when a report
    /// needs it: formatting one per spawn was most of debug mode's cost on `spawn`.
    pub(crate) name: Option<Arc<str>>,
    /// Where it was spawned.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The await point it returned `Pending` at last: where it is parked, and where it will
    /// resume from.
    pub(crate) parked_at: Option<&'static Location<'static>>,
    /// What it waits on, from the notes of its polls (awaits.rs).
    pub(crate) waits: Vec<awaits::Wait>,
    /// The task that was being polled when it was spawned (`None`: outside any task).
    pub(crate) spawned_by: Option<TaskId>,
    /// Its busy, scheduled and idle time so far (stats.rs; debug mode or tracing).
    pub(crate) tally: stats::Tally,
    /// The deadlines of the timers it set that have not come due, while wakes are recorded:
    /// a timer's wake names the one that fired (ticks.rs). At most `DEADLINES_KEPT`.
    pub(crate) deadlines: Vec<u64>,
}

/// What `task_spawned` knows of a task: what its notes start from.
#[derive(Debug)]
pub(crate) struct Started {
    /// Its name, if it was given one (an allocation only then).
    pub(crate) name: Option<Arc<str>>,
    /// Where it was spawned.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task being polled when it was spawned (`None`: outside any task).
    pub(crate) spawned_by: Option<TaskId>,
    /// When (the runtime's clock): its first wait in the ready queue starts here.
    pub(crate) at: std::time::Duration,
}

impl TaskNotes {
    /// Notes for a task just spawned, built from nothing.
    pub(crate) fn new(started: Started) -> TaskNotes {
        TaskNotes {
            name: started.name,
            spawned_at: started.spawned_at,
            parked_at: None,
            waits: Vec::new(),
            spawned_by: started.spawned_by,
            tally: stats::Tally::spawned(started.at),
            deadlines: Vec::new(),
        }
    }

    /// The same, written over the notes of the slot's last task (task_map.rs): every field
    /// is set anew, and the two lists keep their room.
    #[inline]
    pub(crate) fn start(&mut self, started: Started) {
        self.name = started.name;
        self.spawned_at = started.spawned_at;
        self.parked_at = None;
        self.waits.clear();
        self.spawned_by = started.spawned_by;
        self.tally = stats::Tally::spawned(started.at);
        self.deadlines.clear();
    }
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

/// Who waits on one direction of a socket, and at which await point.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaiterNote {
    /// The task that was being polled when it started waiting (`None`: not inside a task).
    pub(crate) task: Option<TaskId>,
    /// The `.await` on the socket method.
    pub(crate) at: &'static Location<'static>,
}

/// "'fetch' #3", "#3", or "main future #0": a task in every report, table and picture.
pub(crate) fn label(name: Option<&str>, id: TaskId) -> String {
    match id {
        TaskId::MAIN => "main future #0".to_string(),
        _ => crate::task_id::label(name, id),
    }
}

/// "main future #0" or "task 'fetch' #3": a task as a sentence names it.
pub(crate) fn row_label(name: Option<&str>, id: TaskId) -> String {
    match id {
        TaskId::MAIN => label(name, id),
        _ => format!("task {}", label(name, id)),
    }
}

/// A hasher for maps keyed by task id or timer key: those are already unique small numbers,
/// so mixing them once is enough. std's default (SipHash, built to resist crafted keys) cost
/// more per poll than the rest of the bookkeeping put together.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }
    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: spread consecutive ids over the table's buckets.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A `HashMap` with the [`IdHasher`].
pub(crate) type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// How many pending deadlines the observer keeps per task, to name the timer that woke it.
const DEADLINES_KEPT: usize = 16;

/// The observer of one runtime: the loop's instrument when anything is switched on.
pub(crate) struct Observer {
    /// Its number, never reused in the process: what [`OWNER`] keeps. Not its address: an
    /// observer dropped on another thread leaves its mark on the threads it owned, and a new
    /// one could be allocated at the same address.
    number: usize,
    pub(crate) options: Options,
    /// `options.threshold` in nanoseconds, the poll path's unit (clock.rs): worked out once
    /// here, not at every poll's end and every pass's end.
    pub(crate) threshold_nanos: u64,
    /// Notes on every live task, the main future included (`TaskId::MAIN`).
    pub(crate) tasks: RefCell<task_map::TaskMap>,
    /// The await point the task being polled reached last during this poll.
    pub(crate) reached: Cell<Option<&'static Location<'static>>>,
    /// Notes on timers, keyed by wheel key. Pruned lazily against the loop's view.
    pub(crate) timers: RefCell<IdMap<TimerKey, TimerNote>>,
    /// Notes on socket waiters, keyed by token and direction: who waits, and at which
    /// `.await`, for step mode (step.rs), which prunes them against the view.
    pub(crate) io: RefCell<HashMap<(usize, Direction), WaiterNote>>,
    /// The detector's running totals for the current pass of step 1.
    pub(crate) pass: RefCell<detector::PassTally>,
    /// The names of the named tasks that ended during this pass, until the pass ends: their
    /// notes go when they end, and a busy-pass report may still name them (`label`). An
    /// unnamed task needs no entry: "#7" is all its label says, notes or not.
    pub(crate) ended: RefCell<Vec<(TaskId, Arc<str>)>>,
    /// Tasks that ended inside their own poll (they aborted themselves): their notes stay
    /// until the pass ends, so that `poll_ended` still counts that last poll.
    pub(crate) ended_in_poll: RefCell<Vec<TaskId>>,
    /// True once a possible stall was reported, until the next poll.
    pub(crate) stall_reported: Cell<bool>,
    /// Tasks the poll in progress spawned: they are in the ready queue, but did not wait
    /// behind the poll (a slow-poll report counts the ones that did).
    pub(crate) spawned_in_poll: Cell<usize>,
    /// True while the park in progress is one `before_park` cut short to probe for a stall.
    pub(crate) probing_stall: Cell<bool>,
    /// True if that probe is of a virtual clock held by outside work (ticks.rs).
    pub(crate) probing_held: Cell<bool>,
    /// The state shared with the watchdog thread.
    pub(crate) shared: Arc<watchdog::Shared>,
    /// The loop's side of what it publishes to the watchdog.
    pub(crate) publisher: watchdog::Publisher,
    /// The watchdog thread, stopped and joined when the observer is dropped.
    watchdog: Option<watchdog::Watchdog>,
    /// The event log, when tracing is on.
    pub(crate) log: Option<trace::Log>,
    /// When the current park began (narration only).
    pub(crate) park_started: Cell<Option<std::time::Instant>>,
    /// Step mode's state.
    pub(crate) stepper: step::Stepper,
    /// Wakes recorded by wakers, shared with the loop as its wake listener (tracing or
    /// narration only).
    pub(crate) wake_log: Option<Arc<trace::WakeLog>>,
    /// The wakes being attributed right now, taken from `wake_log` in one batch (ticks.rs);
    /// empty between two collections, its room kept.
    pub(crate) wake_batch: RefCell<Vec<trace::RawWake>>,
    /// The last clock read at a poll boundary (`read_clock`), while the loop is
    /// in step 1: the end of one poll is the start of the next, and what happens inside a
    /// poll or between two polls (a spawn, a task's end) is stamped with it too. So debug
    /// mode and tracing read the clock once per poll, not once per event.
    /// In nanoseconds since the observer's origin, as every time on the poll path (clock.rs).
    pub(crate) boundary: Cell<Option<u64>>,
    /// The last pass's last boundary, carried to the next pass's first poll while the tick
    /// between them does nothing that takes time: no sleep, no look at I/O, no timer fired.
    /// Then the loop's own bookkeeping between the two passes (some tens of nanoseconds) is
    /// counted in the next poll, and a task that yields alone in its pass costs one clock
    /// read per yield, not two. Cleared by any step that took time, and when `block_on`
    /// begins or ends.
    pub(crate) carried: Cell<Option<u64>>,
    /// True while a recorded `Park` waits for its `Unpark`.
    pub(crate) parked: Cell<bool>,
    /// The stopwatch polls are timed with (clock.rs), made at the first `read_clock`.
    pub(crate) stopwatch: std::cell::OnceCell<clock::Stopwatch>,
    /// A slow poll's report for a task that finished in it, until `task_ended` says how.
    pub(crate) finished_slow: RefCell<Option<(TaskId, String)>>,
    /// Every task's busy, scheduled and idle time, and the poll-time histogram (debug mode
    /// or tracing; stats.rs).
    pub(crate) stats: RefCell<stats::Stats>,
    /// What the leaves of the current poll said they wait on (awaits.rs).
    pub(crate) poll_waits: RefCell<Vec<awaits::Wait>>,
    /// The slowest child of a gather (or race, ...) in the current poll (child_polls.rs).
    pub(crate) slowest_child: Cell<Option<child_polls::ChildNote>>,
    /// The last tasks that ended, and how, for the dump: (label, how, by whom, when).
    pub(crate) recent_ends: RefCell<RecentEnds>,
}

/// How a task ended, kept a while for the dump ("cancelled at 1.000 s by main future #0").
#[derive(Debug, Clone)]
pub(crate) struct EndNote {
    /// The task, and its name (labels are formatted only when the dump is printed).
    pub(crate) task: (TaskId, Option<Arc<str>>),
    /// Finished, panicked or cancelled.
    pub(crate) how: TaskEnd,
    /// The task being polled when it ended, with its name (its notes go soon after):
    /// `None` if no task was (the loop itself, or its end).
    pub(crate) by: Option<(TaskId, Option<Arc<str>>)>,
    /// When, in nanoseconds on the runtime's clock (made a `Duration` when the dump prints it).
    pub(crate) at: u64,
}

/// How many ended tasks the dump remembers.
const ENDS_KEPT: usize = 16;

/// The last [`ENDS_KEPT`] ends, in a ring: once it is full, each end is written over the
/// oldest, in place (every spawned task ends, so this is on every task's path).
#[derive(Debug, Default)]
pub(crate) struct RecentEnds {
    notes: Vec<EndNote>,
    /// Where the next end goes: once the ring is full, the oldest note.
    next: usize,
}

impl RecentEnds {
    fn push(&mut self, note: EndNote) {
        match self.notes.get_mut(self.next) {
            Some(oldest) => *oldest = note,
            None => self.notes.push(note),
        }
        self.next = (self.next + 1) % ENDS_KEPT;
    }

    /// The ends, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &EndNote> {
        let (newer, older) = self.notes.split_at(self.next.min(self.notes.len()));
        older.iter().chain(newer)
    }
}

thread_local! {
    /// The observer that last switched this thread's recording on for itself (`before_tick`),
    /// by its number (`Observer::number`), or 0. While it still is, every switch is as it left them, and its next tick
    /// need not set them again (that cost 60 instructions a tick, counted with callgrind: 120
    /// of a debug-mode channel round trip's 4,300). Only an observer's drop switches them
    /// off, and it writes 0.
    static OWNER: Cell<usize> = const { Cell::new(0) };
}

impl Drop for Observer {
    fn drop(&mut self) {
        // Another observer's next tick switches all back on. (`try_with`: a runtime dropped
        // while its thread exits finds the thread's locals gone.)
        let _ = OWNER.try_with(|owner| owner.set(0));
        if let Some(wake_log) = &self.wake_log {
            crate::wake_site::record_on_this_thread(false);
            wake_log.release_this_thread();
        }
        crate::wait_site::record_on_this_thread(false);
    }
}

impl Observer {
    /// An observer for these options, or `None` when nothing is switched on.
    pub(crate) fn from_options(options: Options) -> Option<Box<Observer>> {
        if !options.any() {
            return None;
        }
        let shared = Arc::new(watchdog::Shared::new(options.threshold, options.sink.clone()));
        let watchdog =
            (options.debug && options.watchdog).then(|| watchdog::Watchdog::start(shared.clone()));
        let log = options.trace.then(|| trace::Log::new(options.trace_capacity));
        crate::wait_site::record_on_this_thread(true);
        // Debug mode records wakes too: the per-task figures count them (stats.rs).
        let wake_log = (options.debug || options.trace || options.narrate).then(|| {
            crate::wake_site::record_on_this_thread(true);
            Arc::new(trace::WakeLog::default())
        });
        static NUMBERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        Some(Box::new(Observer {
            number: NUMBERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            threshold_nanos: clock::nanos(options.threshold),
            options,
            tasks: RefCell::new(task_map::TaskMap::default()),
            reached: Cell::new(None),
            timers: RefCell::new(IdMap::default()),
            io: RefCell::new(HashMap::new()),
            pass: RefCell::new(detector::PassTally::default()),
            ended: RefCell::new(Vec::new()),
            ended_in_poll: RefCell::new(Vec::new()),
            stall_reported: Cell::new(false),
            spawned_in_poll: Cell::new(0),
            probing_stall: Cell::new(false),
            probing_held: Cell::new(false),
            shared,
            publisher: watchdog::Publisher::default(),
            watchdog,
            log,
            park_started: Cell::new(None),
            stepper: step::Stepper::default(),
            wake_log,
            wake_batch: RefCell::new(Vec::new()),
            boundary: Cell::new(None),
            carried: Cell::new(None),
            parked: Cell::new(false),
            stopwatch: std::cell::OnceCell::new(),
            finished_slow: RefCell::new(None),
            stats: RefCell::new(stats::Stats::default()),
            poll_waits: RefCell::new(Vec::new()),
            slowest_child: Cell::new(None),
            recent_ends: RefCell::new(RecentEnds::default()),
        }))
    }

    /// Record wake causes and wait notes on this thread, for this observer's loop, and say so
    /// in [`OWNER`]. Out of line: a loop alone on its thread does it at its first tick only.
    #[cold]
    fn own_this_thread(&self) {
        if let Some(wake_log) = &self.wake_log {
            crate::wake_site::record_on_this_thread(true);
            trace::WakeLog::own_this_thread(wake_log);
        }
        crate::wait_site::record_on_this_thread(true);
        OWNER.with(|owner| owner.set(self.number));
    }

    /// Is the watchdog thread running?
    pub(crate) fn watchdog_on(&self) -> bool {
        self.watchdog.is_some()
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

    /// The label of a task for reports: from its notes, or, for a task that ended during
    /// this pass, from the names kept till the pass ends.
    pub(crate) fn label(&self, id: TaskId) -> String {
        self.label_in(&self.tasks.borrow(), id)
    }

    /// [`label`](Self::label) from notes the caller has borrowed already.
    pub(crate) fn label_in(&self, tasks: &task_map::TaskMap, id: TaskId) -> String {
        if let Some(notes) = tasks.get(&id) {
            return label(notes.name.as_deref(), id);
        }
        let ended = self.ended.borrow();
        let name = ended.iter().find(|(task, _)| *task == id).map(|(_, name)| &**name);
        label(name, id) // a spawned task: the main future keeps its notes
    }

    /// "main future #0" or "task 'fetch' #3": a task as a sentence names it.
    pub(crate) fn row_label(&self, id: TaskId) -> String {
        self.row_label_in(&self.tasks.borrow(), id)
    }

    /// [`row_label`](Self::row_label) from notes the caller has borrowed already.
    pub(crate) fn row_label_in(&self, tasks: &task_map::TaskMap, id: TaskId) -> String {
        match id {
            TaskId::MAIN => self.label_in(tasks, id),
            _ => format!("task {}", self.label_in(tasks, id)),
        }
    }

    /// The notes of the timers still in the wheel, each with its row in the loop's view;
    /// notes of timers that are gone are dropped on the way.
    pub(crate) fn live_timers(&self, view: &dyn LoopView) -> Vec<(TimerRow, TimerNote)> {
        let rows: HashMap<TimerKey, TimerRow> =
            view.timers().into_iter().map(|row| (row.key, row)).collect();
        let mut notes = self.timers.borrow_mut();
        notes.retain(|key, _| rows.contains_key(key));
        notes.iter().map(|(key, note)| (rows[key], *note)).collect()
    }

    /// Append an event to the log, if tracing is on, stamped [`recent_now`](Self::recent_now).
    /// Always inline: without tracing, a spawn and an end pay one branch here, not a call
    /// (left to itself the compiler kept it a call, of some 17 instructions, at both).
    #[inline(always)]
    pub(crate) fn record(&self, view: &dyn LoopView, task: TaskId, kind: EventKind) {
        if let Some(log) = &self.log {
            log.push(self.stamp(view, self.boundary.get()), task, kind);
        }
    }

    /// Append an event stamped `at` (nanoseconds on the runtime's clock) to the log, if
    /// tracing is on.
    #[inline]
    pub(crate) fn record_at(&self, at: u64, task: TaskId, kind: EventKind) {
        if let Some(log) = &self.log {
            log.push(at, task, kind);
        }
    }

    /// Read the real clock: the nanoseconds since the observer's real origin, which is the
    /// runtime clock's origin under the real clock (found at the first read, from the view).
    /// A read of the processor's cycle counter (clock.rs).
    #[inline]
    pub(crate) fn read_clock(&self, view: &dyn LoopView) -> u64 {
        self.stopwatch
            .get_or_init(|| {
                // Under the virtual clock any fixed origin will do: only differences are used.
                let since =
                    if self.options.virtual_clock { Default::default() } else { view.now() };
                let stopwatch = clock::Stopwatch::reading(since);
                self.shared.set_stopwatch(stopwatch.clone()); // the watchdog reads the same
                stopwatch
            })
            .read()
    }

    /// The runtime's time at `real` (a [`read_clock`](Self::read_clock)), in nanoseconds,
    /// without reading the clock again: under the real clock it is `real`; under the virtual
    /// clock, the view's (a read of a cell).
    #[inline]
    pub(crate) fn stamp(&self, view: &dyn LoopView, real: Option<u64>) -> u64 {
        match real {
            Some(real) if !self.options.virtual_clock => real,
            _ => clock::nanos(view.now()),
        }
    }

    /// The runtime's time as of the last poll boundary while the loop is in step 1 (see
    /// `boundary`), else the clock's: a spawn or an end inside a pass costs no clock read.
    pub(crate) fn recent_now(&self, view: &dyn LoopView) -> std::time::Duration {
        std::time::Duration::from_nanos(self.stamp(view, self.boundary.get()))
    }
}

/// The observer as the loop sees it: each hook, and the file that handles it.
impl Instrument for Observer {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn before_tick(&self, view: &dyn LoopView) {
        // The last poll's end, if nothing took time since (see `carried`): the first poll of
        // this pass starts there. Not with step mode (it pauses for you between ticks) or
        // narration (it writes lines between the steps): that time is nobody's poll.
        let carried = self.carried.take().filter(|_| !self.options.step && !self.options.narrate);
        self.boundary.set(carried);
        // Another runtime's observer may have run a tick on this thread since ours, or been
        // dropped (two runtimes may take turns on one thread): then switch all back on.
        if OWNER.with(|owner| owner.get()) != self.number {
            self.own_this_thread();
        }
        if self.options.step {
            self.pause_for_step(view); // step.rs
        }
    }

    fn task_spawned(
        &self,
        view: &dyn LoopView,
        id: TaskId,
        name: Option<&str>,
        spawned_at: &'static Location<'static>,
    ) {
        if id == TaskId::MAIN {
            self.carried.set(None); // `block_on` begins: anything may have happened since
            self.forget_last_pass(); // detector.rs
        }
        // An allocation only for a named task; the label is formatted when a report needs it.
        let name: Option<Arc<str>> = name.map(Arc::from);
        if let (Some(log), Some(name)) = (&self.log, &name) {
            log.name_task(id, name.clone()); // the pictures' rows; an unnamed task needs none
        }
        let spawned_by = view.current_task();
        if spawned_by.is_some() {
            // Queued by this poll, not waiting behind it (the slow-poll report's count).
            self.spawned_in_poll.set(self.spawned_in_poll.get() + 1);
        }
        let started = Started { name, spawned_at, spawned_by, at: self.recent_now(view) };
        self.tasks.borrow_mut().insert(id, started); // task_map.rs: in place, mostly
        self.record(view, id, EventKind::Spawn);
    }

    fn poll_started(&self, view: &dyn LoopView, id: TaskId) {
        self.start_poll(view, id); // detector.rs
    }

    fn poll_ended(&self, view: &dyn LoopView, id: TaskId, ended: PollEnd) {
        self.end_poll(view, id, ended); // detector.rs
    }

    fn task_ended(&self, view: &dyn LoopView, id: TaskId, how: TaskEnd) {
        let kind = match how {
            TaskEnd::Finished => EventKind::Finished,
            TaskEnd::Panicked => EventKind::Panicked,
            TaskEnd::Cancelled => EventKind::Cancelled,
        };
        self.flush_slow_report((how == TaskEnd::Panicked).then_some(id)); // detector.rs

        let now = self.stamp(view, self.boundary.get()); // as `recent_now`, in nanoseconds
        let current = view.current_task();
        let mut tasks = self.tasks.borrow_mut();
        // Who ended it, named while the notes of both are still here.
        let by = current.map(|by| (by, tasks.get(&by).and_then(|n| n.name.clone())));
        let name = if current == Some(id) {
            // It aborted itself and is still in its poll: its notes stay till the pass ends,
            // so that `poll_ended` counts that poll (detector.rs, `ForgetEnded`).
            self.ended_in_poll.borrow_mut().push(id);
            tasks.get_mut(&id).and_then(|notes| {
                notes.tally.ended(std::time::Duration::from_nanos(now)); // stats.rs
                notes.name.clone()
            })
        } else {
            // Any other's go now, found once (task_map.rs), the figures kept (stats.rs).
            let keeps_stats = self.keeps_stats();
            let name = tasks.forget(&id, |notes| {
                notes.tally.ended(std::time::Duration::from_nanos(now));
                let name = notes.name.take();
                if keeps_stats {
                    self.stats.borrow_mut().keep(id, name.clone(), &notes.tally);
                }
                name
            });
            name.flatten()
        };
        drop(tasks);
        if let Some(name) = &name {
            self.ended.borrow_mut().push((id, name.clone()));
        }
        if id != TaskId::MAIN {
            self.recent_ends.borrow_mut().push(EndNote { task: (id, name), how, by, at: now });
        }
        self.record(view, id, kind);
        if how == TaskEnd::Panicked && id != TaskId::MAIN {
            self.rerun_after_task_panic(id); // rerun.rs: the seed, under a random schedule
        }
    }

    fn pass_ended(&self, view: &dyn LoopView, polled: usize) {
        self.end_pass(view, polled); // detector.rs
    }

    fn before_park(&self, view: &dyn LoopView, park: Park) -> Park {
        self.decide_park(view, park) // ticks.rs
    }

    fn after_park(&self, view: &dyn LoopView, park: Park, events: Option<usize>) {
        // A look at I/O, or a park that may sleep, is time the next poll must not count.
        if park != Park::TasksReady || events.is_some() {
            self.carried.set(None);
        }
        self.back_from_park(view, park, events.unwrap_or(0)); // ticks.rs
    }

    fn timers_fired(&self, view: &dyn LoopView, fired: usize, _jumped: bool) {
        if fired > 0 {
            self.carried.set(None); // firing (and waking) took time of the loop's own
        }
        self.after_fire(view, fired); // ticks.rs
    }

    fn await_point(&self, at: &'static Location<'static>) {
        self.reached.set(Some(at));
        if let Some(on) = crate::wait_site::take() {
            self.note_wait(awaits::Wait::On(on)); // awaits.rs
        }
    }

    fn timer_set(
        &self,
        view: &dyn LoopView,
        key: TimerKey,
        deadline_ms: u64,
        at: &'static Location<'static>,
    ) {
        let task = view.current_task();
        self.timers.borrow_mut().insert(key, TimerNote { deadline_ms, task, set_at: at });
        if task.is_some() {
            self.note_wait(awaits::Wait::Timer { key, deadline_ms, set_at: at });
        }
        if let (Some(task), true) = (task, self.wake_log.is_some()) {
            if let Some(notes) = self.tasks.borrow_mut().get_mut(&task) {
                let pending = &mut notes.deadlines;
                if pending.len() == DEADLINES_KEPT {
                    pending.remove(0); // timeouts that never fire: keep the newest
                }
                pending.push(deadline_ms);
            }
            self.record(view, task, EventKind::TimerSet { deadline_ms });
        }
    }

    fn io_wait(
        &self,
        view: &dyn LoopView,
        token: usize,
        direction: Direction,
        at: &'static Location<'static>,
    ) {
        let task = view.current_task();
        self.io.borrow_mut().insert((token, direction), WaiterNote { task, at });
        let made_at = crate::wait_site::take_socket(); // net/registration.rs left it
        if task.is_some() {
            self.note_wait(awaits::Wait::Socket { token, direction, made_at });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_of_recent_ends_keeps_the_last_ones_oldest_first() {
        let mut ends = RecentEnds::default();
        let end = |n: u64| EndNote {
            task: (TaskId { slot: 0, generation: n }, None),
            how: TaskEnd::Finished,
            by: None,
            at: n * 1_000_000_000,
        };
        let numbers = |ends: &RecentEnds| -> Vec<u64> {
            ends.iter().map(|note| note.task.0.generation).collect()
        };
        for n in 1..=3 {
            ends.push(end(n));
        }
        assert_eq!(numbers(&ends), [1, 2, 3], "not full yet: all of them, in order");
        for n in 4..=20 {
            ends.push(end(n));
        }
        let last: Vec<u64> = (5..=20).collect();
        assert_eq!(numbers(&ends), last, "full: the last ENDS_KEPT, oldest first");
    }
}
