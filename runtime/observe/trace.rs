//! # The event log
//!
//! With tracing on, the loop writes down what it does, one [`Event`] per thing: a task
//! spawned, a poll started and ended (and at which await point it parked), a task woken (and
//! by what), a timer set, the loop parked and unparked, a task finished or cancelled. The log
//! is the raw material of the text timeline (`timeline.rs`), the Chrome trace (`chrome.rs`)
//! and the SVG picture (`svg.rs`).
//!
//! ## Who woke the task?
//!
//! A wake is a call to `Waker::wake` somewhere, on any thread. The waker itself only pushes an
//! id on the ready queue; with tracing on, it also appends the id to a small shared list (the
//! [`WakeLog`], reached through the `Unparker` every waker shares), together with the *site*
//! that wake_site.rs says is waking (a channel, a JoinHandle, ...). The loop empties that list
//! at the end of each phase, and the phase says the rest:
//!
//! ```text
//!   during the poll of task #2 ──► woken by task #2 through the site (a channel send, ...),
//!                                  or by itself if it woke #2 (a yield)
//!   during step 3 (park)       ──► woken by a socket: the one it waited on last (awaits.rs)
//!   during step 4 (fire)       ──► woken by a timer: the deadline it set last
//!   from any other thread      ──► woken by another thread
//! ```
//!
//! ## A log of bounded size
//!
//! The log keeps the last [`DEFAULT_TRACE_CAPACITY`] events (`Builder::trace_capacity` sets
//! another bound): a ring buffer, the oldest event dropped when a new one comes. The Chrome
//! trace says how many were dropped. Unbounded, tracing a million yields took 276 MB; a
//! production tracer does the same or streams to a file (tokio-console streams over gRPC).
//! The times are the runtime's clock, so under the virtual clock the log is exact and a test
//! can check it. The ring keeps each time as whole nanoseconds, the unit of the poll path
//! (clock.rs), and makes the [`Event`]'s `Duration` only when the log is read: a push divides
//! nothing, and an entry takes 48 bytes, not 56.
//!
//! Read next: `ticks.rs`, the hooks between the steps of a tick.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::IdMap;
use crate::hooks::Direction;
use crate::task_id::TaskId;
use crate::wake_site::Via;

/// How many events the log keeps by default: 48 bytes an event, 3 MB at most, the last
/// twenty thousand polls or so. A ring that fits in the processor's cache is also cheaper to
/// write: with 500,000 events (32 MB) most writes missed it, and a traced yield took 134 ns
/// instead of 113 (medians of five runs of the benchmark's traced yields, course machine).
pub const DEFAULT_TRACE_CAPACITY: usize = 65_536;

/// What woke a task.
///
/// asyncio has no such record; tokio-console counts wakes and self-wakes per task but does not
/// say who woke whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeCause {
    /// A timer fired (step 4): the deadline the task set last, if it is the one that fired.
    Timer {
        /// The deadline, in milliseconds since the clock's origin.
        deadline_ms: Option<u64>,
    },
    /// A socket became ready (step 3): the one the task waited on, if the observer saw it.
    Io {
        /// The socket's token with the reactor, and which half became ready.
        socket: Option<(usize, Direction)>,
    },
    /// Another task woke it while being polled, through `via` (a channel send, a JoinHandle
    /// completing, ...; `None`: a waker called directly).
    Task {
        /// The task that was being polled.
        by: TaskId,
        /// What it woke it through.
        via: Option<Via>,
    },
    /// The task woke itself while being polled (a yield, or a waker it called itself).
    Itself,
    /// Another thread called `wake` (a blocking job done, an `OutsideWork` thread).
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
    /// The poll returned; `parked_at` is the await point it returned `Pending` at, if one
    /// recorded itself (`None` too when it finished).
    PollEnd {
        /// The `.await` it is parked at now.
        parked_at: Option<&'static Location<'static>>,
    },
    /// The task was woken.
    Wake(WakeCause),
    /// The task set a timer due at this many milliseconds since the clock's origin.
    TimerSet {
        /// The deadline, in the wheel's milliseconds.
        deadline_ms: u64,
    },
    /// The loop parked in the reactor, for at most this long (`None`: until woken). A look
    /// at I/O that does not wait (tasks are ready) is not recorded.
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

/// One event as the ring keeps it: an [`Event`] with its time as whole nanoseconds, the unit
/// of every time on the poll path (clock.rs). Making the `Duration` a reader sees (a divide
/// into seconds and nanoseconds) waits until the log is read, not once per push; and an
/// entry is 48 bytes, not 56.
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u64,
    task: TaskId,
    kind: EventKind,
}

impl Entry {
    fn event(self) -> Event {
        Event { at: Duration::from_nanos(self.at), task: self.task, kind: self.kind }
    }
}

/// The log: the last `capacity` events in the order they happened.
///
/// A ring: until it is full, events are appended; after, each new event overwrites the
/// oldest, at `next`, so a push moves one event and never shifts or frees anything.
#[derive(Debug)]
pub(crate) struct Log {
    /// The events; once `capacity` of them are kept, `ring[next]` is the oldest.
    ring: RefCell<Vec<Entry>>,
    /// Where the next event goes once the ring is full.
    next: Cell<usize>,
    capacity: usize,
    /// The stamp of the newest event, in nanoseconds (the log never runs backwards).
    last_at: Cell<u64>,
    /// Events dropped from the front to keep the bound.
    pub(crate) dropped: Cell<u64>,
    /// Every named task's name, kept after the task ends so the pictures can name its row.
    /// Unnamed tasks are not written down: a spawn costs no map insert (ids are never reused).
    pub(crate) names: RefCell<IdMap<TaskId, Arc<str>>>,
}

impl Log {
    /// A log that keeps the last `capacity` events (at least one).
    pub(crate) fn new(capacity: usize) -> Log {
        Log {
            ring: RefCell::new(Vec::new()),
            next: Cell::new(0),
            capacity: capacity.max(1),
            last_at: Cell::new(0),
            dropped: Cell::new(0),
            names: RefCell::new(IdMap::default()),
        }
    }

    /// Append an event at `at` nanoseconds on the runtime's clock.
    #[inline]
    pub(crate) fn push(&self, at: u64, task: TaskId, kind: EventKind) {
        // Stamps come from two clocks (the stopwatch of clock.rs at poll boundaries, the
        // view's between passes) that may disagree by microseconds; the log never runs
        // backwards.
        let at = at.max(self.last_at.get());
        self.last_at.set(at);
        let event = Entry { at, task, kind };
        let mut ring = self.ring.borrow_mut();
        if ring.len() < self.capacity {
            return ring.push(event);
        }
        let oldest = self.next.get();
        ring[oldest] = event;
        self.next.set(if oldest + 1 == self.capacity { 0 } else { oldest + 1 });
        self.dropped.set(self.dropped.get() + 1);
    }

    /// The events kept, oldest first.
    pub(crate) fn events(&self) -> Vec<Event> {
        let ring = self.ring.borrow();
        let (newer, older) = ring.split_at(self.next.get());
        older.iter().chain(newer).map(|entry| entry.event()).collect()
    }

    /// Remember the name of a named task, for the pictures' rows (an unnamed one's row
    /// needs only its id, so a spawn without a name does not call this).
    pub(crate) fn name_task(&self, id: TaskId, name: Arc<str>) {
        self.names.borrow_mut().insert(id, name);
    }

    /// The label of a task's row: "main future #0", "task 'fetch' #3", "task #4".
    pub(crate) fn row_label(&self, id: TaskId) -> String {
        super::row_label(self.names.borrow().get(&id).map(|name| &**name), id) // as the dump
    }
}

/// One wake as the waker saw it: the task, and `None` if it came from another thread, else
/// the site the waking code named.
pub(crate) type RawWake = (TaskId, Option<Option<Via>>);

/// Wakes written by wakers (any thread) and read by the loop at the end of each phase.
///
/// Nearly every wake happens on the loop's own thread (a yield, a channel send, a task
/// finishing), and a lock, even one nobody else wants, costs two atomic read-modify-writes:
/// taken per wake and per drain it was the largest part of recording causes. So wakes on the
/// loop's thread go to a thread-local list with no lock, and only wakes from other threads
/// take the mutex and raise `remote`, which the drain checks before it locks. The same pair
/// as the ready queues of waker.rs: a local list, and a shared one for other threads. The
/// drain takes the local list whole, swapping it for an empty one, and only if the loop's
/// thread raised `local`: a phase that woke nobody costs two loads.
#[derive(Debug, Default)]
pub(crate) struct WakeLog {
    wakes: Mutex<Vec<RawWake>>,
    /// True once a wake went to `wakes` since the last drain (a plain store, read first).
    remote: AtomicBool,
    /// True once a wake went to the loop thread's list since the last drain. Written and
    /// read on the loop's thread only, so a plain store; it spares the drain of a phase that
    /// woke nobody (most of steps 3 and 4) the look at the thread-local list.
    local: AtomicBool,
}

thread_local! {
    /// The wakes made on this thread for the one `WakeLog` that owns it: the log of the loop
    /// that runs here. Held by `Arc`, so no other log can take its address meanwhile.
    static LOCAL: RefCell<(Option<Arc<WakeLog>>, Vec<RawWake>)> =
        const { RefCell::new((None, Vec::new())) };
}

/// Is `owner` this log?
fn owned_by(owner: &Option<Arc<WakeLog>>, log: &WakeLog) -> bool {
    owner.as_ref().is_some_and(|owner| std::ptr::eq(Arc::as_ptr(owner), log))
}

impl WakeLog {
    /// The loop of `this` runs on this thread (called before each tick): its wakes here need
    /// no lock. Wakes still listed for another loop that ran here go to that loop's shared
    /// list, so that two runtimes taking turns on one thread lose none.
    pub(crate) fn own_this_thread(this: &Arc<WakeLog>) {
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            if owned_by(&local.0, this) {
                return;
            }
            let (before, wakes) = std::mem::take(&mut *local);
            if let Some(before) = before.filter(|_| !wakes.is_empty()) {
                before.wakes.lock().unwrap_or_else(PoisonError::into_inner).extend(wakes);
                before.remote.store(true, Ordering::Release);
            }
            local.0 = Some(Arc::clone(this));
        });
    }

    /// The loop is gone: this thread's list belongs to nobody.
    pub(crate) fn release_this_thread(&self) {
        let _ = LOCAL.try_with(|local| {
            let mut local = local.borrow_mut();
            if owned_by(&local.0, self) {
                *local = (None, Vec::new());
            }
        });
    }

    /// Called by `TaskWaker::schedule` after it queued `id`.
    #[inline]
    fn record_wake(&self, id: TaskId) {
        // The loop's thread records sites (wake_site.rs); any other thread reads `None`.
        let site = crate::wake_site::current();
        if site.is_some() {
            let kept = LOCAL.try_with(|local| match local.try_borrow_mut() {
                Ok(mut local) if owned_by(&local.0, self) => {
                    local.1.push((id, site));
                    self.local.store(true, Ordering::Relaxed);
                    true
                }
                _ => false, // another loop's thread
            });
            // (`try_with` fails only while the thread exits and its locals are being dropped.)
            if kept == Ok(true) {
                return;
            }
        }
        self.record_remote((id, site));
    }

    /// A wake from another thread (or another loop's): under the lock. Out of line, so the
    /// common path above stays a few instructions with nothing to save and restore.
    #[cold]
    #[inline(never)]
    fn record_remote(&self, wake: RawWake) {
        self.wakes.lock().unwrap_or_else(PoisonError::into_inner).push(wake);
        self.remote.store(true, Ordering::Release);
    }

    /// Is any wake listed since the last drain? Two loads, no thread-local: a phase that woke
    /// nobody costs no more.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.local.load(Ordering::Relaxed) || self.remote.load(Ordering::Relaxed)
    }

    /// Move every wake recorded since the last call into `batch` (empty), the loop thread's
    /// first, each list oldest first. The loop thread's list is not copied: it is swapped
    /// with `batch`, so the two vectors take turns and, once warm, neither allocates. The
    /// thread-local list is borrowed once per call, not once per wake, and not while the
    /// caller reads the wakes (a wake made meanwhile goes to the list as any other).
    #[inline]
    pub(crate) fn take_into(&self, batch: &mut Vec<RawWake>) {
        debug_assert!(batch.is_empty(), "a batch of wakes was taken and not cleared");
        if self.local.load(Ordering::Relaxed) {
            self.local.store(false, Ordering::Relaxed);
            let _ = LOCAL.try_with(|local| {
                let mut local = local.borrow_mut();
                if owned_by(&local.0, self) {
                    std::mem::swap(&mut local.1, batch);
                }
            });
        }
        // A wake raises the flag after its push: a drain that misses a flag finds the wake
        // next time, and a flag without a wake costs one lock.
        if self.remote.load(Ordering::Acquire) {
            self.take_remote(batch);
        }
    }

    /// The wakes other threads made, after the loop thread's.
    #[cold]
    fn take_remote(&self, batch: &mut Vec<RawWake>) {
        self.remote.store(false, Ordering::Relaxed);
        batch.append(&mut self.wakes.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// How a cause reads in narration, the timeline and the pictures; `label` names a task.
pub(crate) fn describe_cause(cause: WakeCause, label: impl Fn(TaskId) -> String) -> String {
    match cause {
        WakeCause::Timer { deadline_ms: Some(ms) } => {
            format!("its timer due at {}", super::detector::secs(Duration::from_millis(ms)))
        }
        WakeCause::Timer { deadline_ms: None } => "a timer".to_string(),
        WakeCause::Io { socket: Some((token, direction)) } => {
            let half = match direction {
                Direction::Read => "readable",
                Direction::Write => "writable",
            };
            format!("socket {token} {half}")
        }
        WakeCause::Io { socket: None } => "a socket".to_string(),
        WakeCause::Task { by, via } => match via {
            Some(via) => format!("{} ({})", label(by), via_name(via)),
            None => label(by),
        },
        WakeCause::Itself => "itself".to_string(),
        WakeCause::Thread => "another thread".to_string(),
    }
}

/// What a [`Via`] reads as.
pub(crate) fn via_name(via: Via) -> &'static str {
    match via {
        Via::Channel => "a channel send",
        Via::JoinHandle => "a JoinHandle completing",
        Via::Semaphore => "a semaphore release",
        Via::Event => "an event set",
    }
}

impl crate::hooks::WakeListener for WakeLog {
    #[inline]
    fn woke(&self, id: TaskId) {
        self.record_wake(id);
    }
}

#[cfg(test)]
mod tests {
    /// The ring keeps an event with its time as a `u64`: 48 bytes, where an `Event` with its
    /// `Duration` takes 56 (the memory bound of `DEFAULT_TRACE_CAPACITY` counts on it).
    #[test]
    fn a_ring_entry_is_eight_bytes_smaller_than_an_event() {
        assert_eq!(std::mem::size_of::<super::Entry>(), 48);
        assert_eq!(std::mem::size_of::<super::Event>(), 56);
    }
}
