//! # A task: a future the loop owns, and the handle you keep
//!
//! `async fn` bodies compile to state machines that do nothing until someone polls them. A
//! *task* is such a future handed to the loop: the loop keeps it, polls it whenever it is woken,
//! and throws it away when it returns `Ready`. Everything the loop knows about a task is in one
//! `Task` record:
//!
//! ```text
//!   tasks: Slab<Task>                      TaskId { slot: 3, generation: 17 }
//!   ┌────┬────┬────┬────────────────────┐        │
//!   │ 0  │ 1  │ 2  │ 3: Task            │ ◄──────┘  the slot says where, the generation
//!   │    │    │    │   id (slot 3, #17) │           says which task; a stale id whose
//!   │    │    │    │   name, spawned_at │           generation differs finds nothing
//!   │    │    │    │   future: Box<..>  │
//!   │    │    │    │   waker: Arc<..>   │ ─► waker.rs
//!   └────┴────┴────┴────────────────────┘
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
//! The executor asks it four things: insert a task, *check out* its future for a poll (the
//! future leaves the slab while it runs, so the task may spawn or abort others), check it back
//! in, and remove a task that ended. Each of those borrows the slab for a few lines and never
//! across a poll, a drop of a future, or a hook.
//!
//! ## The JoinHandle and its shared cell
//!
//! `spawn` returns a `JoinHandle` (executor/spawn.rs), the glassloop form of asyncio's `Task`
//! object and tokio's `JoinHandle`. The task and the handle share one small cell
//! ([`JoinCell`]): the task writes the result there, the handle reads it, and whoever awaits
//! the handle leaves a waker there.
//!
//! ```text
//!   TaskFuture (in the slab)          JoinCell<T>            JoinHandle<T> (yours)
//!   polls your future ── Ready(v) ──► result: Some(Ok(v)) ◄── poll: take it, or
//!   catches a panic ─── Err(p) ─────► result: Some(Err)       leave a waker
//!   dropped unfinished ─────────────► result: Cancelled   ──► wakes the awaiter
//! ```
//!
//! Because the cell is written by `TaskFuture`'s destructor when the task is dropped before it
//! finished, every way a task can end (finish, panic, `abort()`, the loop shutting down) tells
//! the handle, and no special case is needed elsewhere.
//!
//! ## Shortcuts, honestly
//!
//! Each task is four allocations: your future, boxed so it can be pinned without `unsafe`; the
//! `TaskFuture` around it, boxed again so the slab holds one type for every task; the waker's
//! `Arc`; and the shared cell. tokio puts the future, its state word and the join output in one
//! allocation and builds the waker vtable by hand with `unsafe`. glassloop pays a little memory
//! to stay safe and simple.
//!
//! Read next: `executor/mod.rs`, the loop that polls these tasks.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::hooks::TaskEnd;
use crate::task_id::label;
pub use crate::task_id::TaskId;
use crate::waker::{TaskWaker, Unparker};

/// The future the slab holds for every task: yours, wrapped so that it ends by saying how.
pub(crate) type TaskBody = Pin<Box<dyn Future<Output = TaskEnd>>>;

// ───────────────────────────── the Task record ─────────────────────────────

/// What the loop keeps for one live task: one slab entry.
pub(crate) struct Task {
    /// Its own id; compared with the id popped from the ready queue (invariant 7).
    pub(crate) id: TaskId,
    /// A human name for reports, or None for "unnamed".
    pub(crate) name: Option<Rc<str>>,
    /// Where `spawn` was called, recorded with `#[track_caller]`.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The future. `None` only while the executor is polling it (checked out).
    future: Option<TaskBody>,
    /// The task's waker. The table keeps this one `Arc`; every other strong count is a
    /// `Waker` held by someone who may wake the task (or the executor's clone during a poll).
    pub(crate) waker: Arc<TaskWaker>,
    /// How many times the task has been polled.
    pub(crate) polls: u64,
}

impl Task {
    /// "'fetch' #3" or "#3": how reports name a task.
    pub(crate) fn label(&self) -> String {
        label(self.name.as_deref(), self.id)
    }

    /// True while the executor has the future out for a poll.
    pub(crate) fn is_checked_out(&self) -> bool {
        self.future.is_none()
    }
}

// ───────────────────────────── the task table ─────────────────────────────

/// Every live spawned task of one runtime, and the spawn counter.
pub(crate) struct TaskTable {
    /// Inserted by `insert`, removed when a task ends or is aborted.
    slab: RefCell<Slab<Task>>,
    /// The next task's generation. Starts at 1 (0 is the main future); never reused.
    next_generation: std::cell::Cell<u64>,
}

impl TaskTable {
    pub(crate) fn new() -> TaskTable {
        TaskTable {
            slab: RefCell::new(Slab::new()),
            next_generation: std::cell::Cell::new(1),
        }
    }

    /// Insert a new task whose future `make` builds from its id. The task starts out
    /// scheduled (its waker's flag is set); the caller queues its first poll.
    pub(crate) fn insert(
        &self,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
        unparker: &Arc<Unparker>,
        make: impl FnOnce(TaskId) -> TaskBody,
    ) -> TaskId {
        let generation = self.next_generation.get();
        self.next_generation.set(generation + 1);
        let mut slab = self.slab.borrow_mut();
        // region: insert_task
        let entry = slab.vacant_entry();
        let id = TaskId {
            slot: entry.key(),
            generation,
        };
        entry.insert(Task {
            id,
            name,
            spawned_at,
            future: Some(make(id)),
            waker: TaskWaker::new(id, unparker.clone()),
            polls: 0,
        });
        // endregion: insert_task
        id
    }

    /// Take task `id`'s future out for a poll, with a clone of its waker. `None` if the id is
    /// stale: the task ended since it was woken, or its slot holds a newer task (invariant 7).
    pub(crate) fn check_out(&self, id: TaskId) -> Option<(TaskBody, Arc<TaskWaker>)> {
        let mut slab = self.slab.borrow_mut();
        let task = slab.get_mut(id.slot).filter(|task| task.id == id)?;
        let Some(future) = task.future.take() else {
            unreachable!("task {id:?} was popped from the ready queue while it is being polled");
        };
        task.polls += 1;
        Some((future, task.waker.clone()))
    }

    /// Put a future back after a `Pending` poll. Returns it if the task is gone (it aborted
    /// itself during the poll), so the caller drops it outside the borrow.
    pub(crate) fn check_in(&self, id: TaskId, future: TaskBody) -> Option<TaskBody> {
        let mut slab = self.slab.borrow_mut();
        match slab.get_mut(id.slot) {
            Some(task) if task.id == id => {
                debug_assert!(task.future.is_none(), "task {id:?} checked in twice");
                task.future = Some(future);
                None
            }
            _ => Some(future),
        }
    }

    /// Remove task `id` if it is still the one in its slot. The caller drops the record
    /// outside the borrow: its future's destructors may spawn, abort or cancel timers.
    pub(crate) fn remove(&self, id: TaskId) -> Option<Task> {
        let mut slab = self.slab.borrow_mut();
        match slab.get(id.slot) {
            Some(task) if task.id == id => Some(slab.remove(id.slot)),
            _ => None,
        }
    }

    /// Take every task out (the loop is ending).
    pub(crate) fn drain(&self) -> Vec<Task> {
        self.slab.borrow_mut().drain().collect()
    }

    /// How many tasks are alive.
    pub(crate) fn len(&self) -> usize {
        self.slab.borrow().len()
    }

    /// True if no task is alive.
    pub(crate) fn is_empty(&self) -> bool {
        self.slab.borrow().is_empty()
    }

    /// Call `f` on every live task, in slot order, with the slab borrowed read-only.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Task)) {
        for (_, task) in self.slab.borrow().iter() {
            f(task);
        }
    }

    /// True if some live task satisfies `f`.
    pub(crate) fn any(&self, mut f: impl FnMut(&Task) -> bool) -> bool {
        self.slab.borrow().iter().any(|(_, task)| f(task))
    }

    /// True if the slab is not borrowed (the executor asserts it before calling a hook).
    pub(crate) fn is_free(&self) -> bool {
        self.slab.try_borrow_mut().is_ok()
    }
}

// ───────────────────────────── JoinCell and TaskFuture ─────────────────────────────

/// The cell shared by a task and its handle. Its legal states:
///
/// | state | `result` | `finished` | meaning |
/// |---|---|---|---|
/// | running | None | false | the task has not ended |
/// | ended, unread | Some | true | the handle may take the result |
/// | ended, read | None | true | the handle took it; polling again is a misuse |
///
/// `detached` may be true in any of them (the handle was dropped), and then `awaiter` is
/// `None`. `result: Some` with `finished: false` cannot happen.
pub(crate) struct JoinCell<T> {
    /// Written once by the task; taken once by the handle.
    result: Option<Result<T, JoinError>>,
    /// True once a result was written (it stays true after the handle takes it).
    finished: bool,
    /// The waker of whoever awaits the handle.
    awaiter: Option<Waker>,
    /// True when the handle was dropped: nobody will ever read the result.
    detached: bool,
}

/// The cell as the task and the handle share it.
pub(crate) type Join<T> = Rc<RefCell<JoinCell<T>>>;

impl<T> JoinCell<T> {
    /// A cell in the "running" state.
    pub(crate) fn new_shared() -> Join<T> {
        Rc::new(RefCell::new(JoinCell {
            result: None,
            finished: false,
            awaiter: None,
            detached: false,
        }))
    }

    /// True once the task has ended (finished, panicked or cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// The handle's poll: the result if it is there, else leave `waker` and wait.
    /// `None` means the result was already taken (a misuse the handle reports).
    pub(crate) fn poll_result(&mut self, waker: &Waker) -> Option<Poll<Result<T, JoinError>>> {
        debug_assert!(
            self.finished || self.result.is_none(),
            "a result before the end"
        );
        if let Some(result) = self.result.take() {
            return Some(Poll::Ready(result));
        }
        if self.finished {
            return None;
        }
        match &self.awaiter {
            Some(stored) if stored.will_wake(waker) => {}
            _ => self.awaiter = Some(waker.clone()),
        }
        Some(Poll::Pending)
    }

    /// The handle is gone: nobody will read the result. Returns the unread result, so the
    /// handle can report a panic nobody retrieved.
    pub(crate) fn detach(&mut self) -> Option<&Result<T, JoinError>> {
        self.detached = true;
        self.awaiter = None;
        self.result.as_ref()
    }
}

/// The future the slab really holds: yours, plus the bookkeeping of ending.
///
/// Your future is boxed on its own (`Option` so that cancellation can drop it before telling
/// the handle); this wrapper is boxed again as the slab's `dyn Future`. Two allocations where a
/// hand-written vtable would need one: a price paid for having no `unsafe`.
struct TaskFuture<T> {
    future: Option<Pin<Box<dyn Future<Output = T>>>>,
    cell: Join<T>,
    id: TaskId,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
}

/// Wrap `future` as task `id`'s body, writing its result into `cell`.
pub(crate) fn task_body<F>(
    future: F,
    cell: Join<F::Output>,
    id: TaskId,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
) -> TaskBody
where
    F: Future + 'static,
    F::Output: 'static,
{
    Box::pin(TaskFuture {
        future: Some(Box::pin(future)),
        cell,
        id,
        name,
        spawned_at,
    })
}

impl<T> TaskFuture<T> {
    /// How errors and reports name this task (see [`Task::label`]).
    fn label(&self) -> String {
        label(self.name.as_deref(), self.id)
    }

    fn finish(&self, result: Result<T, JoinError>) {
        let awaiter = {
            let mut cell = self.cell.borrow_mut();
            if cell.finished {
                return;
            }
            debug_assert!(cell.result.is_none(), "a task's result was written twice");
            if cell.detached {
                if let Err(err) = &result {
                    if err.is_panic() {
                        // asyncio prints "Task exception was never retrieved"; so do we, at
                        // the moment it happens, because a detached task has no later.
                        eprintln!(
                            "glassloop: task {} spawned at {} panicked and nobody holds its \
                             JoinHandle, so the panic is reported here: {}",
                            self.label(),
                            self.spawned_at,
                            err
                        );
                    }
                }
            }
            cell.finished = true;
            cell.result = Some(result);
            cell.awaiter.take()
        };
        if let Some(waker) = awaiter {
            waker.wake();
        }
    }
}

impl<T> Future for TaskFuture<T> {
    type Output = TaskEnd;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TaskEnd> {
        let Some(future) = self.future.as_mut() else {
            unreachable!("task {} polled after it ended", self.label())
        };
        // A panic must not unwind through the loop (it would stop every other task), so the
        // poll runs under catch_unwind and a panic becomes the task's result.
        // region: task_future_poll
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(JoinError::panic(self.label(), payload)),
        };
        // Drop the finished future now: its captured values are released as soon as it ends.
        // Their destructors are your code too, so a panic there is the task's panic as well.
        let result = match (result, drop_catching_panics(self.future.take())) {
            (Ok(_), Err(payload)) => Err(JoinError::panic(self.label(), payload)),
            (result, _) => result,
        };
        let end = match &result {
            Ok(_) => TaskEnd::Finished,
            Err(_) => TaskEnd::Panicked,
        };
        self.finish(result);
        Poll::Ready(end)
        // endregion: task_future_poll
    }
}

impl<T> Drop for TaskFuture<T> {
    fn drop(&mut self) {
        // Dropped before it finished: aborted, or the loop ended (invariants 8 and 11). Drop
        // your future first, so its destructors (the `finally` blocks of Rust) have run by the
        // time the awaiter hears "cancelled".
        if let Some(future) = self.future.take() {
            let result = match drop_catching_panics(Some(future)) {
                Ok(()) => JoinError::cancelled(self.label()),
                Err(payload) => JoinError::panic(self.label(), payload),
            };
            self.finish(Err(result));
        }
    }
}

/// Drop `value`, turning a panic in its destructor into an `Err` instead of an unwind through
/// the loop.
fn drop_catching_panics<V>(value: V) -> Result<(), Box<dyn Any + Send + 'static>> {
    std::panic::catch_unwind(AssertUnwindSafe(move || drop(value)))
}

// ───────────────────────────── JoinError ─────────────────────────────

/// Why awaiting a [`JoinHandle`] gave no value: the task was cancelled, or it panicked.
///
/// asyncio: `CancelledError`, or the exception the task raised; tokio: `JoinError`.
pub struct JoinError {
    task: String,
    kind: JoinErrorKind,
}

enum JoinErrorKind {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    fn cancelled(task: String) -> JoinError {
        JoinError {
            task,
            kind: JoinErrorKind::Cancelled,
        }
    }

    fn panic(task: String, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            task,
            kind: JoinErrorKind::Panic(payload),
        }
    }

    /// True if the task was cancelled (aborted, or dropped when the loop ended).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, JoinErrorKind::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, JoinErrorKind::Panic(_))
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind` or to inspect.
    ///
    /// # Panics
    /// If the task did not panic; check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!("JoinError::into_panic called on an error that is not a panic: {err}; check is_panic() first"),
        }
    }

    /// The panic payload if the task panicked, or the error back if it was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.kind {
            JoinErrorKind::Panic(payload) => Ok(payload),
            JoinErrorKind::Cancelled => Err(self),
        }
    }

    /// The panic message, when the payload is a string (as `panic!("...")` makes it).
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            JoinErrorKind::Panic(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            JoinErrorKind::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JoinErrorKind::Cancelled => write!(f, "task {} was cancelled", self.task),
            JoinErrorKind::Panic(_) => match self.panic_message() {
                Some(message) => write!(f, "task {} panicked: {}", self.task, message),
                None => write!(f, "task {} panicked", self.task),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({self})")
    }
}

impl std::error::Error for JoinError {}
