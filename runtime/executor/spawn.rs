//! # Spawning: `spawn`, the `JoinHandle` you keep, and `yield_now`
//!
//! The task table (task.rs) keeps what the loop needs; this file is what *you* hold. `spawn`
//! finds the running loop through the thread-local (`context.rs`), wraps your future with a
//! fresh join cell, inserts it and queues its first poll. The [`JoinHandle`] it returns reads
//! that cell, and can reach the loop (weakly: a handle never keeps a runtime alive) to abort
//! the task.
//!
//! ```text
//!   spawn(fut) ─► with_current ─► Core::insert_task ─► TaskTable::insert + push_ready(id)
//!        └──────► JoinHandle { id, cell, Weak<Core> }   await: the cell; abort: Core::abort
//! ```
//!
//! Read next: `executor/schedule.rs`, the order in which ready tasks are polled.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use super::context::{note_await_current, with_current};
use super::Core;
use crate::task_id::TaskId;
use crate::task_table::{task_body, Join, JoinCell, JoinError};

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
    cell: Join<T>,
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
        self.cell.borrow().is_finished()
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
        let polled = self.cell.borrow_mut().poll_result(cx.waker());
        let Some(polled) = polled else {
            panic!(
                "JoinHandle for task {} polled again after it returned the task's result; \
                 a JoinHandle yields its result once",
                self.id
            );
        };
        if polled.is_pending() {
            if let Some(core) = self.core.upgrade() {
                // `#[track_caller]` on poll: the location of the `.await` on this handle.
                core.note_await(Location::caller());
            }
        }
        polled
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut cell = self.cell.borrow_mut();
        // The task already panicked and its handle goes away unread: the last chance to say so.
        if let Some(Err(err)) = cell.detach() {
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
    let cell = JoinCell::new_shared();
    let id = core.insert_task(name.clone(), spawned_at, |id| {
        task_body(future, cell.clone(), id, name, spawned_at)
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
