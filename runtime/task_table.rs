//! # The task table: what the loop keeps for each task
//!
//! `async fn` bodies compile to state machines that do nothing until someone polls them. A
//! *task* is such a future handed to the loop: the loop keeps it, polls it whenever it is woken,
//! and lets go of it when it returns `Ready`. A task lives in one allocation, and the loop
//! keeps a pointer to it in a slab:
//!
//! ```text
//!   tasks: Slab<Slot>                      TaskId { slot: 3, generation: 17 }
//!   ┌────┬────┬────┬──────────────────┐          │
//!   │ 0  │ 1  │ 2  │ 3: Slot          │ ◄────────┘  the slot says where, the generation
//!   │    │    │    │   polls          │             says which task; a stale id whose
//!   │    │    │    │   task ──────────┼──┐          generation differs finds nothing
//!   └────┴────┴────┴──────────────────┘  │
//!            the task's one allocation   ▼   (an Rc; its JoinHandle holds the other pointer)
//!            ┌──────────────────────────────────────────────┐
//!            │ TaskHeader: name, spawned_at, waker ─────────┼─► waker.rs (holds the id)
//!            │ what the handle shares: awaiter, detached    │   spawn/join.rs
//!            │ your future, inline; later its result        │
//!            └──────────────────────────────────────────────┘
//! ```
//!
//! ## Why a slab, and why a generation
//!
//! A slab is a `Vec` with a free list: insert and remove are O(1) and freed slots are reused, so
//! a program that spawns a million short tasks keeps a small table. Reuse has a danger. A waker
//! is an id, and it can outlive its task (a timer that fires after the task was aborted). If the
//! id were just the slot number, that old waker would wake whichever new task lives in the slot
//! now. So a [`TaskId`] carries a *generation*: the spawn counter at the time of spawning, which
//! is never reused. The executor polls a slot only when both numbers match (invariant 7).
//!
//! ## The task table
//!
//! [`TaskTable`] is the slab plus the spawn counter, and the only code that touches the slab.
//! The executor asks it four things: insert a task, *check out* a pointer to it for a poll
//! (the slab is not borrowed while the task runs, so it may spawn or abort others), whether
//! it still holds the task after the poll, and remove a task that ended. Each of those borrows the slab for a few lines and
//! never across a poll, a drop of a future, or a hook.
//!
//! ## Letting go is ending
//!
//! The slab's pointer is an [`Owned`]: when the loop lets go of it (the task was aborted, or
//! the loop is shutting down), the task is *released*: your future is dropped in place and its
//! handle hears "cancelled". The handle's own pointer keeps the allocation alive only so the
//! result can be read. A task that aborts itself is in the middle of its poll; its release
//! waits until the poll returns, when `poll_task` lets go of the last pointer the loop has.
//!
//! ## What the table does not know
//!
//! A task's output, who awaits it and how a panic reaches them: none of that is here. The
//! table holds a [`TaskBody`], anything with a header that the loop can poll, tell of a panic
//! and release; `spawn` (spawn/) builds one around your future that keeps its result for its
//! `JoinHandle`. The loop catches the panic itself (executor/mod.rs, `poll_task`), so a
//! panicking task can never unwind through the loop, whoever wrote its body.
//!
//! ## Shortcuts, honestly
//!
//! Each task is two allocations (`tests/allocations.rs` counts them): the task's own, shared by
//! the slab and the handle (`Rc`), and the waker's `Arc`, which must be `Send` because any
//! thread may wake a task, while your future need not be. tokio and smol make one: they
//! put the waker's state in the task's allocation and build the waker's vtable by hand with
//! `unsafe`. An idle task costs about 248 bytes in all here (benches/, "idle memory").
//!
//! Read next: `hooks.rs`, the one door through which the loop can be watched.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use slab::Slab;

use crate::task_id::{label, TaskId};
use crate::waker::{TaskWaker, Unparker};

/// A task's one allocation, as the loop sees it: a header it can read, and a body it can poll.
pub(crate) trait TaskBody {
    /// What the loop keeps of the task (it lies at the head of the allocation).
    fn header(&self) -> &TaskHeader;
    /// Poll once; `Ready` when the task has finished (its result is delivered by then).
    fn poll_body(self: Pin<&Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// The last `poll_body` panicked with `payload` (the loop caught it): make that the
    /// task's result. The task is over.
    fn panicked(self: Pin<&Self>, payload: Box<dyn Any + Send>);
    /// The loop lets go of the task: if it has not ended, end it now as cancelled (drop the
    /// future in place, tell its handle). Does nothing to a task that ended, or that is in
    /// the middle of a poll (the poller releases it when the poll returns).
    fn release(self: Pin<&Self>);
}

/// A pointer to a task's allocation. The table holds one, its `JoinHandle` another.
pub(crate) type TaskRef = Pin<Rc<dyn TaskBody>>;

/// The table's own pointer to a task: letting go of it ends the task (`TaskBody::release`),
/// whoever else still points at the allocation to read the result.
pub(crate) struct Owned(pub(crate) TaskRef);

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.as_ref().release();
    }
}

// ───────────────────────────── the task header ─────────────────────────────

/// What the loop keeps for one task, whatever its future: the head of its allocation.
pub(crate) struct TaskHeader {
    /// A human name for reports, or None for "unnamed".
    pub(crate) name: Option<Rc<str>>,
    /// Where `spawn` was called, recorded with `#[track_caller]`.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task's waker, which also holds its id. The header keeps this one `Arc`; every
    /// other strong count is a `Waker` held by someone who may wake the task.
    pub(crate) waker: Arc<TaskWaker>,
}

impl TaskHeader {
    /// The task's id; the one copy is in its waker.
    pub(crate) fn id(&self) -> TaskId {
        self.waker.id
    }

    /// "'fetch' #3" or "#3": how reports name a task.
    pub(crate) fn label(&self) -> String {
        label(self.name.as_deref(), self.id())
    }
}

// ───────────────────────────── the task table ─────────────────────────────

/// One slab entry: the table's pointer to a task, and what the loop does with it.
pub(crate) struct Slot {
    task: Owned,
    /// How many times the task has been polled (saturating: it is for reports). Whether it
    /// is being polled right now is `Core::current`'s to say.
    pub(crate) polls: u32,
}

impl Slot {
    /// The task's header.
    pub(crate) fn header(&self) -> &TaskHeader {
        self.task.0.header()
    }
}

/// Every live spawned task of one runtime, and the spawn counter.
pub(crate) struct TaskTable {
    /// Inserted by `insert`, removed when a task ends or is aborted.
    slab: RefCell<Slab<Slot>>,
    /// The next task's generation. Starts at 1 (0 is the main future); never reused.
    next_generation: Cell<u64>,
}

impl TaskTable {
    pub(crate) fn new() -> TaskTable {
        TaskTable { slab: RefCell::new(Slab::new()), next_generation: Cell::new(1) }
    }

    /// Insert a new task: `make` builds its allocation around the header the table made.
    /// The task starts out scheduled (its waker's flag is set); the caller queues its poll.
    pub(crate) fn insert(
        &self,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
        unparker: &Arc<Unparker>,
        make: impl FnOnce(TaskHeader) -> TaskRef,
    ) -> TaskId {
        let generation = self.next_generation.get();
        self.next_generation.set(generation + 1);
        let mut slab = self.slab.borrow_mut();
        // region: insert_task
        let entry = slab.vacant_entry();
        let id = TaskId { slot: entry.key(), generation };
        let waker = TaskWaker::new(id, unparker.clone());
        let task = Owned(make(TaskHeader { name, spawned_at, waker }));
        entry.insert(Slot { task, polls: 0 });
        // endregion: insert_task
        id
    }

    /// A second pointer to task `id` for a poll, counted as one more poll. `None` if the id
    /// is stale: the task ended since it was woken, or its slot holds a newer task (invariant 7).
    #[inline]
    pub(crate) fn check_out(&self, id: TaskId) -> Option<TaskRef> {
        let mut slab = self.slab.borrow_mut();
        let slot = slab.get_mut(id.slot).filter(|slot| slot.header().id() == id)?;
        slot.polls = slot.polls.saturating_add(1);
        Some(slot.task.0.clone())
    }

    /// True if task `id` is still in the table. After a poll, false means it aborted itself
    /// during the poll: then the poller's pointer is the last the loop has, and the poller
    /// releases it.
    #[inline]
    pub(crate) fn holds(&self, id: TaskId) -> bool {
        self.slab.borrow().get(id.slot).is_some_and(|slot| slot.header().id() == id)
    }

    /// Remove task `id` if it is still the one in its slot. The caller drops the pointer
    /// outside the borrow: releasing it runs the future's destructors, which may spawn, abort
    /// or cancel timers.
    #[inline]
    pub(crate) fn remove(&self, id: TaskId) -> Option<Owned> {
        let mut slab = self.slab.borrow_mut();
        match slab.get(id.slot) {
            Some(slot) if slot.header().id() == id => Some(slab.remove(id.slot).task),
            _ => None,
        }
    }

    /// Take every task out (the loop is ending).
    pub(crate) fn drain(&self) -> Vec<Owned> {
        self.slab.borrow_mut().drain().map(|slot| slot.task).collect()
    }

    /// How many tasks are alive.
    pub(crate) fn len(&self) -> usize {
        self.slab.borrow().len()
    }

    /// Call `f` on every live task, in slot order, with the slab borrowed read-only.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Slot)) {
        for (_, slot) in self.slab.borrow().iter() {
            f(slot);
        }
    }

    /// True if the slab is not borrowed (the executor asserts it before calling a hook).
    pub(crate) fn is_free(&self) -> bool {
        self.slab.try_borrow_mut().is_ok()
    }
}
