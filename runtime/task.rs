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
//! ## The JoinHandle and its shared cell
//!
//! `spawn` returns a [`JoinHandle`], the glassloop form of asyncio's `Task` object and tokio's
//! `JoinHandle`. The task and the handle share one small cell (`JoinCell`): the task writes the
//! result there, the handle reads it, and whoever awaits the handle leaves a waker there.
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
//! Read next: `waker.rs`, what happens when a task is woken.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

pub use crate::blocking::spawn_blocking;
use crate::context::with_current;
use crate::executor::Core;
use crate::observe::{note_await, note_await_current};
use crate::waker::TaskWaker;

// ───────────────────────────── TaskId ─────────────────────────────

/// The identity of a task: its slab slot plus a generation that is never reused.
///
/// asyncio: `id(task)` / `Task.get_name()`; tokio: `tokio::task::Id`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
}

impl TaskId {
    /// The id given to the future passed to `run`/`block_on`. It has no slab slot.
    pub(crate) const MAIN: TaskId = TaskId {
        slot: usize::MAX,
        generation: 0,
    };

    /// The spawn counter value: task #1 is the first task spawned on its runtime, #0 is the
    /// main future. Unique for the life of the runtime.
    pub fn number(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == TaskId::MAIN {
            write!(f, "#0 (main)")
        } else {
            write!(f, "#{} (slot {})", self.generation, self.slot)
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.generation)
    }
}

// ───────────────────────────── the Task record ─────────────────────────────

/// What the loop keeps for one live task: one slab entry.
pub(crate) struct Task {
    /// Its own id; compared with the id popped from the ready queue (invariant 7).
    pub(crate) id: TaskId,
    /// A human name for reports, or None for "unnamed".
    pub(crate) name: Option<Rc<str>>,
    /// Where `spawn` was called, recorded with `#[track_caller]`.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The future. `None` only while the executor is polling it (it is moved out so the task
    /// may spawn or abort other tasks without the slab being borrowed).
    pub(crate) future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// The task's waker. The executor keeps this one `Arc`; every other strong count is a
    /// `Waker` held by someone who may wake the task.
    pub(crate) waker: Arc<TaskWaker>,
    /// How many times the task has been polled.
    pub(crate) polls: u64,
}

impl Task {
    /// "'fetch' #3" or "#3": how reports name a task.
    pub(crate) fn label(&self) -> String {
        label(self.name.as_deref(), self.id)
    }
}

/// "'fetch' #3" for a named task, "#3" for an unnamed one: how errors and reports name a
/// task. Built only when one needs it, never at spawn.
pub(crate) fn label(name: Option<&str>, id: TaskId) -> String {
    match name {
        Some(name) => format!("'{name}' {id}"),
        None => format!("{id}"),
    }
}

// ───────────────────────────── JoinCell and TaskFuture ─────────────────────────────

/// The cell shared by a task and its handle.
struct JoinCell<T> {
    /// Written once by the task; taken once by the handle.
    result: Option<Result<T, JoinError>>,
    /// True once a result was written (it stays true after the handle takes it).
    finished: bool,
    /// The waker of whoever awaits the handle.
    awaiter: Option<Waker>,
    /// True when the handle was dropped: nobody will ever read the result.
    detached: bool,
}

/// The future the slab really holds: yours, plus the bookkeeping of ending.
///
/// Your future is boxed on its own (`Option` so that cancellation can drop it before telling
/// the handle); this wrapper is boxed again as the slab's `dyn Future`. Two allocations where a
/// hand-written vtable would need one: a price paid for having no `unsafe`.
struct TaskFuture<T> {
    future: Option<Pin<Box<dyn Future<Output = T>>>>,
    cell: Rc<RefCell<JoinCell<T>>>,
    id: TaskId,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
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
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
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
            Err(payload) => {
                crate::observe::note_panic();
                Err(JoinError::panic(self.label(), payload))
            }
        };
        // Drop the finished future now: its captured values are released as soon as it ends.
        // Their destructors are your code too, so a panic there is the task's panic as well.
        let result = match (result, drop_catching_panics(self.future.take())) {
            (Ok(_), Err(payload)) => Err(JoinError::panic(self.label(), payload)),
            (result, _) => result,
        };
        self.finish(result);
        Poll::Ready(())
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

// ───────────────────────────── JoinHandle ─────────────────────────────

/// An owned permission to await a task's result, or to cancel it.
///
/// Awaiting it gives `Ok(value)`, or a [`JoinError`] if the task panicked or was cancelled.
/// Dropping it *detaches* the task: it keeps running, and its result is thrown away.
///
/// asyncio: the `Task` returned by `asyncio.create_task` (`await task`, `task.cancel()`,
/// `task.done()`); tokio: `tokio::task::JoinHandle`.
///
/// ```
/// let answer = glassloop::run(async {
///     let handle = glassloop::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct JoinHandle<T> {
    id: TaskId,
    cell: Rc<RefCell<JoinCell<T>>>,
    core: Weak<Core>,
}

impl<T> JoinHandle<T> {
    /// The id of the task.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// True once the task has finished, panicked or been cancelled.
    ///
    /// asyncio: `task.done()`; tokio: `JoinHandle::is_finished`.
    pub fn is_finished(&self) -> bool {
        self.cell.borrow().finished
    }

    /// Cancel the task. Its future is dropped right away (so its destructors run before
    /// `abort` returns), and awaiting the handle gives a [`JoinError`] whose `is_cancelled()` is
    /// true. A task that aborts itself is dropped when its current poll returns, because its
    /// future is running on the stack. Aborting a finished task does nothing.
    ///
    /// asyncio: `task.cancel()` (asyncio delivers `CancelledError` at the next `await`; Rust
    /// futures are simply dropped, and `Drop` plays the role of `finally`); tokio:
    /// `JoinHandle::abort` (which drops at the task's next scheduling instead).
    pub fn abort(&self) {
        if let Some(core) = self.core.upgrade() {
            core.abort(self.id);
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut cell = self.cell.borrow_mut();
        if let Some(result) = cell.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !cell.finished,
            "JoinHandle for task {} polled again after it returned the task's result; \
             a JoinHandle yields its result once",
            self.id
        );
        match &cell.awaiter {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => cell.awaiter = Some(cx.waker().clone()),
        }
        drop(cell);
        if let Some(core) = self.core.upgrade() {
            // `#[track_caller]` on poll: the location of the `.await` on this handle.
            note_await(&core, Location::caller());
        }
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut cell = self.cell.borrow_mut();
        cell.detached = true;
        cell.awaiter = None;
        // The task already panicked and its handle goes away unread: the last chance to say so.
        if let Some(Err(err)) = &cell.result {
            if err.is_panic() {
                eprintln!(
                    "glassloop: the panic of task {} was never retrieved: its JoinHandle was \
                     dropped without being awaited ({err})",
                    self.id
                );
            }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
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

// ───────────────────────────── spawning ─────────────────────────────

/// Start running `future` as a new task on the current runtime and return its handle.
///
/// The task is queued at once and first polled at the loop's next pass; your code goes on
/// without waiting. No `Send` is needed: everything runs on one thread.
///
/// asyncio: `asyncio.create_task(coro)`; tokio: `tokio::spawn` (or `spawn_local`).
///
/// # Panics
/// Outside a running glassloop runtime. Call it from inside `glassloop::run(async { ... })`.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn(future)
}

/// A task with options: for now, a name that reports and the task dump show.
///
/// asyncio: `asyncio.create_task(coro, name="fetch")`; tokio: `tokio::task::Builder`.
///
/// ```
/// glassloop::run(async {
///     let handle = glassloop::task::Builder::new().name("fetch").spawn(async { "page" });
///     assert_eq!(handle.await.unwrap(), "page");
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Rc<str>>,
}

impl Builder {
    /// A builder with no options set.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Name the task.
    pub fn name(mut self, name: &str) -> Builder {
        self.name = Some(Rc::from(name));
        self
    }

    /// Spawn the task on the current runtime. See [`spawn`].
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let spawned_at = Location::caller();
        with_current("glassloop::spawn", |core| {
            spawn_on(core, self.name, spawned_at, future)
        })
    }
}

/// Put a new task into `core`'s slab and queue it. Used by `spawn` and `Runtime::spawn`.
pub(crate) fn spawn_on<F>(
    core: &Rc<Core>,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let cell = Rc::new(RefCell::new(JoinCell {
        result: None,
        finished: false,
        awaiter: None,
        detached: false,
    }));
    let id = core.insert_task(name.clone(), spawned_at, |id| {
        Box::pin(TaskFuture::<F::Output> {
            future: Some(Box::pin(future)),
            cell: cell.clone(),
            id,
            name,
            spawned_at,
        })
    });
    JoinHandle {
        id,
        cell,
        core: Rc::downgrade(core),
    }
}

// ───────────────────────────── yield_now ─────────────────────────────

/// Let every other ready task run once before this one continues.
///
/// The task wakes itself and returns `Pending`; the waker puts it at the *back* of the ready
/// queue, and tasks woken during a pass wait for the next pass, so timers and I/O get their
/// turn in between (invariant 4).
///
/// asyncio: `await asyncio.sleep(0)`; tokio: `tokio::task::yield_now()`.
#[track_caller]
pub fn yield_now() -> YieldNow {
    YieldNow {
        yielded: false,
        at: Location::caller(),
    }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
    /// Where `yield_now` was called: the await point for debug reports.
    at: &'static Location<'static>,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        note_await_current(self.at);
        Poll::Pending
    }
}
