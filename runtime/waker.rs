//! # The waker: "put my id back on the ready queue"
//!
//! A future that cannot make progress returns `Poll::Pending`. Before it does, it takes a copy of
//! the [`Waker`](std::task::Waker) it was polled with and hands it to whoever will know when
//! progress is possible: the timer wheel, the reactor, a channel, another thread. Calling
//! `wake()` on that copy is the only way the task ever runs again.
//!
//! In glassloop a waker does exactly one thing: it puts the task's [`TaskId`] on the ready
//! queue. There are two, one per kind of caller:
//!
//! ```text
//!   waker.wake()
//!     │ scheduled: false → true ?  no ─► nothing to do (already queued)
//!     │ yes
//!     ├─ on the loop's own thread, while it runs (a timer fired, a socket became ready,
//!     │  a task sent on a channel):  LocalQueue.push_back(id)   a VecDeque, no lock, no bell
//!     └─ on any other thread:        ready_tx.send(id)          the crossbeam channel
//!          └─► parked? ── yes ─► mio::Waker::wake() ─► mio::Poll::poll returns (step 3)
//!
//!   Runtime::tick step 1: move what the channel holds onto the local queue, then pop
//! ```
//!
//! Nearly every wake of a single-threaded program comes from the loop's own thread, so nearly
//! every wake is a push onto a `VecDeque`. The channel (tokio calls its twin the "inject
//! queue") is there for blocking jobs and other threads; the loop empties it into the local
//! queue at the start of every pass, so both kinds of wake end up in one FIFO (invariant 3).
//!
//! ## Why a `scheduled` flag
//!
//! A task may be woken many times before it runs: two timers fire in the same tick, a socket
//! becomes readable while the same task is also notified by a channel. Without a flag each wake
//! would enqueue the id again and the task would be polled once per wake. The flag makes "any
//! number of wakes before a poll cause exactly one poll" (invariant 2): the first wake flips it
//! from false to true and enqueues; later wakes see true and return. The executor clears the flag
//! *just before* polling, so a wake that happens during the poll (for example a task that wakes
//! itself to yield) enqueues the task again, behind everyone already waiting (invariant 4).
//!
//! ## Why `futures-task` and `Arc`
//!
//! A [`Waker`](std::task::Waker) is a type-erased pointer plus a table of four functions. Writing
//! that table by hand needs `unsafe`; `futures_task::ArcWake` writes it for us from a plain
//! `Arc<TaskWaker>`. The price is that wakers must be `Send + Sync` (the standard library says any
//! thread may call `wake`), which is why the flag is an atomic, and why the local queue is found
//! through a thread-local (a `Waker` cannot hold a `RefCell`) while other threads get a channel.
//! A bonus for learners: the `Arc`'s strong count, less the one the task's header keeps, is
//! exactly the number of wakers for this task that exist, which lets the executor tell when
//! *nobody* can wake a task any more (see `Core::is_stalled` in executor/view.rs).
//!
//! tokio stores its wake state in the task's header next to the future, with hand-written
//! unsafe vtables, and avoids an allocation per task for the waker; glassloop spends one `Arc`
//! per task to stay safe and readable.
//!
//! Read next: `reactor.rs`, the other thing that wakes tasks: the kernel.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use crossbeam_channel::Sender;
use futures_task::ArcWake;

use crate::hooks::WakeListener;
use crate::task_id::TaskId;

/// The ready queue for wakes on the loop's own thread: a plain `VecDeque`, no atomics, no lock.
#[derive(Debug)]
pub(crate) struct LocalQueue {
    /// The loop it belongs to: the address of that loop's `Unparker`, unique while it lives.
    owner: usize,
    /// Ready ids, oldest first. Borrowed for one push or pop at a time.
    pub(crate) ids: RefCell<VecDeque<TaskId>>,
}

impl LocalQueue {
    pub(crate) fn new(unparker: &Arc<Unparker>) -> Rc<LocalQueue> {
        let owner = Arc::as_ptr(unparker) as usize;
        Rc::new(LocalQueue { owner, ids: RefCell::new(VecDeque::new()) })
    }
}

thread_local! {
    /// The local queue of the loop running on this thread right now, if any. Set and cleared
    /// with the current runtime (executor/context.rs).
    pub(crate) static RUNNING: RefCell<Option<Rc<LocalQueue>>> = const { RefCell::new(None) };
}

/// The part of the loop that other threads may touch: the ready queue's sending end and the
/// doorbell that unparks the loop. One is shared by every waker of a runtime.
#[derive(Debug)]
pub(crate) struct Unparker {
    /// Sending end of the ready queue. Anyone may send; only the loop receives.
    pub(crate) ready_tx: Sender<TaskId>,
    /// True while the loop is inside (or about to enter) `mio::Poll::poll`. Set and cleared
    /// only by the loop's thread; read by wakers on any thread. See `Runtime::park`.
    pub(crate) parked: AtomicBool,
    /// The reactor's doorbell: writing to it makes a blocked `mio::Poll::poll` return. Held
    /// weakly: the loop owns it (`Core::_doorbell`), so a waker, or a JoinHandle (whose task
    /// header holds a waker), that outlives its runtime does not keep the eventfd open.
    pub(crate) doorbell: Weak<mio::Waker>,
    /// How many times a waker rang the doorbell. Tests read it to prove a cross-thread wake
    /// really went through the doorbell (invariant 10).
    pub(crate) doorbell_rings: AtomicUsize,
    /// Told of every wake that queues a task (hooks.rs), when tracing or narration wants to
    /// say what caused it. `None` otherwise: one branch per wake.
    pub(crate) wake_listener: Option<Arc<dyn WakeListener>>,
}

impl Unparker {
    /// Ring the doorbell if the loop is parked. Called after the id is already in the queue.
    fn unpark_if_parked(&self) {
        // SeqCst pairs with the SeqCst store of `parked` and the fence in `Runtime::park`:
        // either the loop sees our id in the queue before it sleeps, or we see `parked == true`
        // here and ring. Both cannot miss each other.
        if self.parked.load(Ordering::SeqCst) {
            self.doorbell_rings.fetch_add(1, Ordering::Relaxed);
            // The doorbell is gone only if the runtime was dropped (and it fails only then):
            // there is no loop left to wake, so doing nothing is correct.
            let _ = self.doorbell.upgrade().map(|doorbell| doorbell.wake());
        }
    }
}

/// The waker of one task. `futures_task` turns an `Arc<TaskWaker>` into a [`std::task::Waker`].
#[derive(Debug)]
pub(crate) struct TaskWaker {
    /// The task this waker schedules. Never changes.
    pub(crate) id: TaskId,
    /// True from the first wake until the executor takes the id off the queue to poll it.
    /// Set by wakers (any thread); cleared only by the loop just before polling.
    pub(crate) scheduled: AtomicBool,
    /// Shared path back to the loop.
    pub(crate) unparker: Arc<Unparker>,
    /// How many times `wake` was called on this task, whether or not it enqueued. Read by the
    /// invariant tests and by the task dump.
    pub(crate) wakes: AtomicUsize,
}

impl TaskWaker {
    /// Make the waker of a task that starts out scheduled (a new task is queued at spawn).
    pub(crate) fn new(id: TaskId, unparker: Arc<Unparker>) -> Arc<TaskWaker> {
        Arc::new(TaskWaker {
            id,
            scheduled: AtomicBool::new(true),
            unparker,
            wakes: AtomicUsize::new(0),
        })
    }

    /// Put this task on the ready queue unless it is already there. This is the function to
    /// break on to see who wakes a task: the backtrace above it names the timer, the socket or
    /// the channel.
    pub(crate) fn schedule(&self) {
        // region: schedule
        self.wakes.fetch_add(1, Ordering::Relaxed);
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return; // already queued: many wakes, one poll (invariant 2)
        }
        if let Some(listener) = &self.unparker.wake_listener {
            listener.woke(self.id);
        }
        // On the loop's own thread, while it runs, the id goes onto its local queue: the loop
        // is awake (this code runs inside it), so no doorbell. Any other wake crosses threads
        // through the channel, which the loop empties into the local queue at every pass.
        let owner = Arc::as_ptr(&self.unparker) as usize;
        let local = RUNNING.with(|running| match &*running.borrow() {
            Some(queue) if queue.owner == owner => {
                queue.ids.borrow_mut().push_back(self.id);
                true
            }
            _ => false,
        });
        // The receiver lives as long as the runtime. If the runtime is gone the send fails and
        // there is nobody to run the task anyway.
        if !local && self.unparker.ready_tx.send(self.id).is_ok() {
            self.unparker.unpark_if_parked();
        }
        // endregion: schedule
    }
}

impl ArcWake for TaskWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.schedule();
    }
}
