//! # Core: the state of one loop
//!
//! Everything a runtime owns, in one struct behind an `Rc`. The `Runtime`, the thread-local
//! (`context.rs`), join handles, timers and sockets all share it.
//!
//! ```text
//!   Core
//!   ├─ tasks     TaskTable (task_table.rs) the slab of live tasks and the spawn counter
//!   ├─ ready     Rc<LocalQueue> (waker.rs) the ready queue, for wakes on this thread
//!   ├─ ready_rx  crossbeam Receiver       wakes from other threads; wakers hold the Sender
//!   ├─ unparker  Arc<Unparker> (waker.rs) Sender + `parked` flag + a weak doorbell, for wakers
//!   ├─ _doorbell the eventfd itself: the loop owns it, so it closes with the loop
//!   ├─ time      TimeDriver (timer/)      clock + wheel + outside work: the virtual-clock rule
//!   ├─ reactor   Reactor (reactor.rs)     mio Poll and the socket slots
//!   ├─ main      the block_on future's waker, while it runs
//!   ├─ current   the task being polled right now
//!   ├─ batch     how many tasks one pass of step 1 polls at most
//!   ├─ ticks, polls_since_io   counters: ticks begun; polls since step 3 last looked at I/O
//!   ├─ hooks     Option<Box<dyn Instrument>> (hooks.rs): None = everything observable is off
//!   ├─ reorder   Option<Reorder> (schedule.rs): None = FIFO
//!   ├─ stall_report  how a stall is explained (observe/), plugged in by the builder
//!   └─ pool      the blocking pool, plugged in by the builder; the loop only owns it
//! ```
//!
//! Every part that changes sits in a `Cell`/`RefCell` borrowed only inside one method of its
//! owner (task_table.rs, timer/driver.rs, reactor.rs), never across a poll, a drop of a future or a
//! hook, or in an atomic where other threads touch it: a task being polled may spawn, abort,
//! sleep, or drop a socket, and all of those touch `Core` again. [`Core::hooks`] asserts in
//! debug builds that no borrow is held when an instrument is called.
//!
//! Read next: `executor/context.rs`, how code finds the running `Core`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::schedule::Reorder;
use crate::hooks::{Instrument, TaskEnd};
use crate::reactor::Reactor;
use crate::task_id::TaskId;
use crate::task_table::{TaskHeader, TaskRef, TaskTable};
use crate::timer::driver::TimeDriver;
use crate::waker::{LocalQueue, TaskWaker, Unparker};

/// The state of one runtime (see the file header for the picture).
pub(crate) struct Core {
    /// Every live spawned task.
    pub(crate) tasks: TaskTable,
    /// The ready queue for wakes on the loop's own thread (waker.rs); only the loop pops.
    pub(crate) ready: Rc<LocalQueue>,
    /// The receiving end of the channel that wakes from other threads come through (tokio's
    /// "inject queue"); each pass moves what it holds onto `ready`.
    pub(crate) ready_rx: Receiver<TaskId>,
    /// The sending end, the `parked` flag and the doorbell, shared with every waker.
    pub(crate) unparker: Arc<Unparker>,
    /// The doorbell itself (an eventfd), which the unparker holds weakly. Never read: it is
    /// here to close with the loop, however long wakers and JoinHandles live on.
    pub(crate) _doorbell: Arc<mio::Waker>,
    /// The clock, the timer wheel and the outside-work count.
    pub(crate) time: TimeDriver,
    /// mio's Poll and the I/O registrations.
    pub(crate) reactor: Reactor,
    /// The future given to `block_on`, while it runs: its waker and where `block_on` was
    /// called. Set and cleared by `block_on` only.
    pub(crate) main: RefCell<Option<MainRecord>>,
    /// The task being polled right now. Set just before a poll, cleared just after.
    pub(crate) current: Cell<Option<TaskId>>,
    /// Polls since step 3 last looked at I/O (see `IO_INTERVAL`).
    pub(crate) polls_since_io: Cell<usize>,
    /// Step 1 polls at most this many tasks per pass.
    pub(crate) batch: usize,
    /// Ticks begun since the runtime was built (`Runtime::ticks`).
    pub(crate) ticks: Cell<u64>,
    /// The instruments (observe/ implements them), `None` when all are off: then every
    /// hook is one untaken branch. Set by the builder; read only through [`Core::hooks`].
    pub(crate) hooks: Option<Box<dyn Instrument>>,
    /// A non-FIFO order for step 1 (schedule.rs); `None` for FIFO.
    pub(crate) reorder: Option<Reorder>,
    /// How a stall is explained (observe/dump.rs writes it, observe/rerun.rs adds a seed's
    /// lines; the builder plugs it in, so the loop decides *that* it is stalled without
    /// knowing how to report it).
    pub(crate) stall_report: fn(&Core) -> String,
    /// The blocking pool (blocking.rs), plugged in by the builder. The loop never looks
    /// inside; it keeps the pool alive as long as itself and drops it after its tasks.
    pub(crate) pool: Box<dyn Any>,
}

/// The main future's record while `block_on` runs.
pub(crate) struct MainRecord {
    /// Its waker: one strong count here, every other one is a `Waker` somebody holds.
    pub(crate) waker: Arc<TaskWaker>,
    /// Where `block_on` (or `run`) was called.
    pub(crate) spawned_at: &'static Location<'static>,
}

impl Core {
    /// The instruments, if any is on. Every hook call goes through here, and in debug builds
    /// this checks the rule of hooks.rs: no borrow of the slab or the wheel is held.
    #[inline]
    pub(crate) fn hooks(&self) -> Option<&dyn Instrument> {
        let hooks = self.hooks.as_deref()?;
        debug_assert!(
            self.tasks.is_free() && self.time.is_free(),
            "glassloop bug: an instrument was called while the task slab or the timer wheel \
             was borrowed"
        );
        Some(hooks)
    }

    /// The task being polled is about to return `Pending` at `at` (a leaf future's await
    /// point, from `#[track_caller]`). One branch when no instrument is on.
    pub(crate) fn note_await(&self, at: &'static Location<'static>) {
        if let Some(hooks) = self.hooks() {
            hooks.await_point(at);
        }
    }

    /// Insert a new task, built by `make` around the header the table made (its id and
    /// waker are in it), and queue its first poll.
    pub(crate) fn insert_task(
        &self,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
        make: impl FnOnce(TaskHeader) -> TaskRef,
    ) -> TaskId {
        let id = self.tasks.insert(name.clone(), spawned_at, &self.unparker, make);
        if let Some(hooks) = self.hooks() {
            hooks.task_spawned(self, id, name.as_deref(), spawned_at);
        }
        // A new task starts out scheduled (its flag is already true): queue its first poll.
        self.push_ready(id);
        id
    }

    /// Put an id on the ready queue directly (the task's `scheduled` flag is already set).
    pub(crate) fn push_ready(&self, id: TaskId) {
        self.ready.ids.borrow_mut().push_back(id);
    }

    /// Move the wakes that came from other threads onto the local queue, behind the ones
    /// already there: one FIFO from here on (invariant 3).
    pub(crate) fn take_injected(&self) {
        let mut ids = self.ready.ids.borrow_mut();
        ids.extend(self.ready_rx.try_iter());
    }

    /// True if no task is ready, on either queue.
    pub(crate) fn nothing_ready(&self) -> bool {
        self.ready.ids.borrow().is_empty() && self.ready_rx.is_empty()
    }

    /// Remove task `id` and drop its future. Used by `JoinHandle::abort` and `TaskGroup`.
    pub(crate) fn abort(&self, id: TaskId) {
        let Some(removed) = self.tasks.remove(id) else {
            return; // already finished or aborted
        };
        if let Some(hooks) = self.hooks() {
            hooks.task_ended(self, id, TaskEnd::Cancelled);
        }
        // Released outside the borrow: the future's destructors may spawn, abort or cancel
        // timers. A task aborting itself is in the middle of its poll: `poll_task` releases it
        // when the poll returns.
        drop(removed);
    }

    /// Drop every remaining task (invariant 11). Destructors may touch the runtime, so each
    /// is dropped outside the borrow, and tasks they spawn are dropped too.
    pub(crate) fn drop_all_tasks(&self) {
        loop {
            let drained = self.tasks.drain();
            if drained.is_empty() {
                break;
            }
            if let Some(hooks) = self.hooks() {
                for task in &drained {
                    hooks.task_ended(self, task.0.header().id(), TaskEnd::Cancelled);
                }
            }
            drop(drained);
        }
        while self.ready_rx.try_recv().is_ok() {}
        self.ready.ids.borrow_mut().clear();
    }
}
