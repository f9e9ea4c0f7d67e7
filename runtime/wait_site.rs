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
//!   Recv::poll ─► waiting_on(WaitOn::Channel(made_at, MpscRecv)) ─► SITE = Some(Some(..))
//!              ─► note_await_current(at) ─────► Observer::await_point ─► take() reads it
//! ```
//!
//! The await graph of the dump (who awaits whom, and a deadlock cycle) is built from the
//! `JoinHandle(N)` notes.
//!
//! ## Where the thing was created
//!
//! "Parked at line 40, on a channel" still leaves the learner asking *which* channel, when a
//! program has ten. So every primitive of sync/ remembers where it was made: its constructor
//! is `#[track_caller]` and keeps `Location::caller()` (the line of `mpsc::channel(8)` or
//! `Semaphore::new(5)` in your code), one pointer per primitive, shared by both ends of a
//! channel. The note carries it ([`MadeAt`]), so the dump reads "an mpsc channel created at
//! src/main.rs:31:22 (recv)". A primitive made inside a function that is not itself
//! `#[track_caller]` (a `Default` reached through `Rc::default`, a helper of yours) names the
//! line inside that function: the chain of callers stops at the first frame that does not
//! pass it on. asyncio keeps no such thing (a `Queue` does not know where it was created);
//! tokio-console shows a resource's creation site from its `tracing` span.
//!
//! ## The cost when it is off
//!
//! The note is written only while an observer asked for notes: otherwise [`waiting_on`] is a
//! thread-local read and an untaken branch, on the `Pending` path only. The creation sites
//! do not widen the note (24 bytes, as before: the JoinHandle's `TaskId` is its widest
//! variant), but filling it now takes one more read, of the primitive's `made_at`. Counted
//! with callgrind on the channel round trip of `cargo bench --bench vs_tokio` (two one-slot
//! channels), that is about 10 instructions more per round trip of about 2,100. (Building
//! the note lazily, in a closure called inside the branch, counted worse: the closure keeps
//! a pointer alive across the poll.) asyncio finds the same answer by walking `cr_await`
//! from a coroutine's frame (what `asyncio pstree` prints); tokio-console shows a task's
//! resources from `tracing` spans.
//!
//! Read next: `observe/dump.rs`, which prints these notes.

use std::cell::Cell;
use std::panic::Location;

use crate::task_id::TaskId;

/// Where a primitive was created: its constructor's caller, from `#[track_caller]`. A
/// `&'static Location` is one pointer (8 bytes) into the binary's read-only data: recording
/// it costs no allocation and no clock, only a field in each primitive.
pub(crate) type MadeAt = &'static Location<'static>;

/// What a leaf future waits on, and where that thing was created (timers and sockets report
/// through their own hooks and are not in this list).
#[derive(Debug, Clone, Copy, Eq)]
pub(crate) enum WaitOn {
    /// A channel or a queue, created at the location, and which end of it waits.
    Channel(MadeAt, End),
    /// Permits of a semaphore.
    Semaphore(MadeAt),
    /// The lock of a Mutex (or the reacquire after a Condition wait).
    Mutex(MadeAt),
    /// A signal: an Event, a Notify, a Condition or a Barrier.
    Signal(MadeAt, Signal),
    /// The JoinHandle of this task (where the task was spawned, the loop's view knows).
    JoinHandle(TaskId),
    /// Work outside the loop: a blocking job, a coroutine on another loop's handle.
    Outside,
    /// Where the socket about to be waited on was made; picked up by the observer's
    /// `io_wait` hook with [`take_socket`], to go with the token and direction it is given.
    Socket(MadeAt),
}

/// Two places are the same if they are one `Location` (the same address: every note of one
/// primitive carries the pointer it was made with), or equal ones. Only the second question
/// compares file names byte by byte.
#[inline]
pub(crate) fn same_place(a: MadeAt, b: MadeAt) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// As a derived `==` would say, but each place asked with [`same_place`]: every poll that
/// ends `Pending` compares its notes with the last poll's (observe/awaits.rs), and a channel
/// awaited in a loop leaves the same note each time, so the answer is nearly always "the
/// same pointer". (The derived `==` compared the two file names: counted with callgrind,
/// about 50 instructions of a debug-mode channel round trip's 4,300, inlining included.)
impl PartialEq for WaitOn {
    #[inline(always)]
    fn eq(&self, other: &WaitOn) -> bool {
        match (*self, *other) {
            (WaitOn::Channel(a, x), WaitOn::Channel(b, y)) => x == y && same_place(a, b),
            (WaitOn::Semaphore(a), WaitOn::Semaphore(b))
            | (WaitOn::Mutex(a), WaitOn::Mutex(b))
            | (WaitOn::Socket(a), WaitOn::Socket(b)) => same_place(a, b),
            (WaitOn::Signal(a, x), WaitOn::Signal(b, y)) => x == y && same_place(a, b),
            (WaitOn::JoinHandle(a), WaitOn::JoinHandle(b)) => a == b,
            (WaitOn::Outside, WaitOn::Outside) => true,
            _ => false, // two kinds of wait
        }
    }
}

/// Which channel, and which of its operations, a task waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// `mpsc::Receiver::recv`: no message yet.
    MpscRecv,
    /// `mpsc::Sender::send`: the channel is full.
    MpscSend,
    /// Awaiting a `oneshot::Receiver`: no value yet.
    OneshotRecv,
    /// `Queue::get`: the queue is empty.
    QueueGet,
    /// `Queue::put`: the queue is full.
    QueuePut,
    /// `Queue::join`: items not yet marked done.
    QueueJoin,
}

/// Which kind of signal a task waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// `Event::wait`.
    Event,
    /// `Notify::notified`.
    Notify,
    /// `Condition::wait` (before the lock is taken again).
    Condition,
    /// `Barrier::wait`.
    Barrier,
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

/// The socket note left just now, if the note is one (the observer, in its `io_wait` hook).
pub(crate) fn take_socket() -> Option<MadeAt> {
    SITE.with(|cell| match cell.get() {
        Some(Some(WaitOn::Socket(at))) => {
            cell.set(Some(None));
            Some(at)
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The creation site rides in the note without widening it: the widest variant is still
    /// `JoinHandle(TaskId)`, so every future that carries a note is as large as before.
    #[test]
    fn a_note_with_its_creation_site_is_no_wider_than_a_task_id_and_its_tag() {
        assert_eq!(std::mem::size_of::<WaitOn>(), 24);
        assert_eq!(std::mem::size_of::<WaitOn>(), std::mem::size_of::<TaskId>() + 8);
    }
}
