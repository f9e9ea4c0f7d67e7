//! # The event log
//!
//! With tracing on, the loop writes down what it does, one [`Event`] per thing: a task
//! spawned, a poll started and ended, a task woken (and by what), a timer set, the loop parked
//! and unparked, a task finished or cancelled. The log is the raw material of the text
//! timeline (`timeline.rs`) and of the Chrome trace (`chrome.rs`).
//!
//! ## Who woke the task?
//!
//! A wake is a call to `Waker::wake` somewhere, on any thread. The waker itself only pushes an
//! id on the ready queue; with tracing on, it also appends the id to a small shared list (the
//! [`WakeLog`], a mutex around a `Vec`, reached through the `Unparker` every waker shares).
//! The loop empties that list at the end of each phase and knows the cause from the phase:
//!
//! ```text
//!   during the poll of task #2 ──► woken by task #2   (a channel send, a JoinHandle)
//!   during step 3 (park)       ──► woken by I/O
//!   during step 4 (fire)       ──► woken by a timer
//!   from any other thread      ──► woken by another thread
//! ```
//!
//! Shortcut: the log grows without bound; a production tracer uses a ring buffer or streams
//! to a file (tokio-console streams over gRPC). The times are the runtime's clock, so under the
//! virtual clock the timeline is exact and a test can check it.
//!
//! Read next: `ticks.rs`, the hooks between the steps of a tick.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use crate::task_id::TaskId;

/// What woke a task.
///
/// asyncio has no such record; tokio-console shows wake counts per task but not the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeCause {
    /// A timer fired (step 4).
    Timer,
    /// A socket became ready (step 3).
    Io,
    /// The task being polled woke it (a channel, a JoinHandle, or itself when yielding).
    Task(TaskId),
    /// Another thread called `wake`.
    Thread,
}

/// What happened, in an [`Event`].
///
/// asyncio: none; tokio: the span and event names of its `tracing` instrumentation
/// (`runtime.spawn`, `runtime.resource.poll_op`, waker events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The task was spawned (and queued for its first poll).
    Spawn,
    /// A poll of the task began.
    PollStart,
    /// The poll returned.
    PollEnd,
    /// The task was woken.
    Wake(WakeCause),
    /// The task set a timer due at this many milliseconds since the clock's origin.
    TimerSet {
        /// The deadline, in the wheel's milliseconds.
        deadline_ms: u64,
    },
    /// The loop parked in the reactor, for at most this long (`None`: until woken).
    Park {
        /// The park timeout.
        timeout: Option<Duration>,
    },
    /// The loop came back from the reactor with this many I/O events.
    Unpark {
        /// Readiness events dispatched.
        events: usize,
    },
    /// The task returned `Ready`.
    Finished,
    /// The task's future panicked; the panic went to its `JoinHandle`.
    Panicked,
    /// The task was dropped before it finished (aborted, or the loop ended).
    Cancelled,
}

/// One entry of the event log.
///
/// asyncio: none built in; tokio: a `tracing` event from the runtime's instrumentation (with
/// `tokio_unstable`), as tokio-console consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When, on the runtime's clock (since it started).
    pub at: Duration,
    /// Which task (`#0` is the main future, and the loop itself for park and unpark).
    pub task: TaskId,
    /// What happened.
    pub kind: EventKind,
}

/// The log: events in the order they happened.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) events: RefCell<Vec<Event>>,
    /// Every task's label, kept after the task ends so the timeline can name its row.
    pub(crate) labels: RefCell<HashMap<TaskId, String>>,
}

impl Log {
    pub(crate) fn push(&self, at: Duration, task: TaskId, kind: EventKind) {
        self.events.borrow_mut().push(Event { at, task, kind });
    }
}

/// Wakes written by wakers (any thread) and read by the loop at the end of each phase.
#[derive(Debug)]
pub(crate) struct WakeLog {
    loop_thread: ThreadId,
    wakes: Mutex<Vec<(TaskId, bool)>>,
}

impl WakeLog {
    /// A log for a loop that runs on the current thread.
    pub(crate) fn new() -> WakeLog {
        WakeLog { loop_thread: std::thread::current().id(), wakes: Mutex::new(Vec::new()) }
    }

    /// Called by `TaskWaker::schedule` after it queued `id`.
    fn record_wake(&self, id: TaskId) {
        let other_thread = std::thread::current().id() != self.loop_thread;
        self.wakes.lock().unwrap_or_else(PoisonError::into_inner).push((id, other_thread));
    }

    /// Take the wakes recorded since the last call, each with its cause given the phase.
    pub(crate) fn drain(&self, phase_cause: WakeCause) -> Vec<(TaskId, WakeCause)> {
        let mut wakes = self.wakes.lock().unwrap_or_else(PoisonError::into_inner);
        wakes
            .drain(..)
            .map(|(id, other_thread)| {
                let cause = if other_thread { WakeCause::Thread } else { phase_cause };
                (id, cause)
            })
            .collect()
    }
}

impl crate::hooks::WakeListener for WakeLog {
    fn woke(&self, id: TaskId) {
        self.record_wake(id);
    }
}
