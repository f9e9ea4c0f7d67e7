//! # Wait sites: what a task is waiting on
//!
//! The await-point hook of hooks.rs says *where* a task parked ("src/main.rs:12"); the task
//! dump also wants to say *on what*: a channel, a semaphore, an event, a mutex, the
//! JoinHandle of task #4, work outside the loop. Timers and sockets already say so through
//! their own hooks (`timer_set`, `io_wait`). For the rest, the leaf future knows and the loop
//! does not, and the core must not learn the names of the things above it (tests/layers.rs).
//! So, as with wake sites (wake_site.rs), the leaf leaves a note in a thread-local just before
//! it reports its await point, and the observer picks the note up inside the hook:
//!
//! ```text
//!   Recv::poll ─► waiting_on(WaitOn::Channel) ─► SITE = Some(Some(Channel))
//!              ─► note_await_current(at) ─────► Observer::await_point ─► take() reads it
//! ```
//!
//! The await graph of the dump (who awaits whom, and a deadlock cycle) is built from the
//! `JoinHandle(N)` notes.
//!
//! ## The cost when it is off
//!
//! The note is written only while an observer asked for notes: otherwise [`waiting_on`] is a
//! thread-local read and an untaken branch, on the `Pending` path only. asyncio finds the
//! same answer by walking `cr_await` from a coroutine's frame (what `asyncio pstree` prints);
//! tokio-console shows a task's resources from `tracing` spans.
//!
//! Read next: `observe/dump.rs`, which prints these notes.

use std::cell::Cell;

use crate::task_id::TaskId;

/// The kind of thing a leaf future waits on (timers and sockets report through their own
/// hooks and are not in this list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitOn {
    /// A channel: mpsc, oneshot, Queue (a receive, a send into a full channel, `join`).
    Channel,
    /// Permits of a semaphore.
    Semaphore,
    /// The lock of a Mutex (or the reacquire after a Condition wait).
    Mutex,
    /// An Event, a Notify, a Condition or a Barrier.
    Event,
    /// The JoinHandle of this task.
    JoinHandle(TaskId),
    /// Work outside the loop: a blocking job, a coroutine on another loop's handle.
    Outside,
}

thread_local! {
    /// `None` while no observer on this thread wants notes (off); `Some(note)` while one
    /// does, with the note the leaf future being polled left, if any.
    static SITE: Cell<Option<Option<WaitOn>>> = const { Cell::new(None) };
}

/// Note what the future about to return `Pending` waits on; call it just before the
/// await-point note (`note_await_current` or `Core::note_await`).
#[inline]
pub(crate) fn waiting_on(on: WaitOn) {
    if SITE.with(Cell::get).is_some() {
        SITE.with(|cell| cell.set(Some(Some(on))));
    }
}

/// The note left since the last call, if any (the observer, in its await-point hook).
pub(crate) fn take() -> Option<WaitOn> {
    SITE.with(|cell| match cell.get() {
        Some(note) => {
            cell.set(Some(None));
            note
        }
        None => None,
    })
}

/// Is an observer watching the loop on this thread? (one thread-local read)
pub(crate) fn observed() -> bool {
    SITE.with(Cell::get).is_some()
}

/// Switch notes on or off for this thread (the observer).
pub(crate) fn record_on_this_thread(on: bool) {
    SITE.with(|cell| cell.set(if on { Some(None) } else { None }));
}
