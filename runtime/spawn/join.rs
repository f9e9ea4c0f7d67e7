//! # The JoinHandle, and the cell it shares with its task
//!
//! `spawn` returns a [`JoinHandle`], the glassloop form of asyncio's `Task` object and tokio's
//! `JoinHandle`. The task and the handle share one small cell (`JoinCell`): the task writes the
//! result there, the handle reads it, and whoever awaits the handle leaves a waker there.
//!
//! ```text
//!   TaskFuture (in the slab)          JoinCell<T>            JoinHandle<T> (yours)
//!   polls your future ── Ready(v) ──► result: Some(Ok(v)) ◄── poll: take it, or
//!   the loop caught a panic ─ Err ──► result: Some(Err)       leave a waker
//!   dropped unfinished ─────────────► result: Cancelled   ──► wakes the awaiter
//! ```
//!
//! Because the cell is written by `TaskFuture`'s destructor when the task is dropped before it
//! finished, every way a task can end (finish, panic, `abort()`, the loop shutting down) tells
//! the handle, and no special case is needed elsewhere. `TaskFuture` is the task table's
//! `TaskBody` (task_table.rs): the loop polls it without knowing its output type.
//!
//! Read next: `spawn/join_error.rs`, what a failed task tells its handle.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use super::join_error::JoinError;
use crate::executor::context::is_current;
use crate::executor::Core;
use crate::home::away_from_home;
use crate::task_id::{label, TaskId};
use crate::task_table::{BoxedBody, TaskBody};
use pin_project_lite::pin_project;

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
    /// The cell it shares with the task; the task's id and a weak link to its loop are in it,
    /// so a handle is one pointer (8 bytes; tokio's is 8 too).
    pub(crate) cell: Join<T>,
}

impl<T> JoinHandle<T> {
    /// The handle of a task, from the cell it shares with it.
    pub(crate) fn new(cell: Join<T>) -> JoinHandle<T> {
        JoinHandle { cell }
    }

    /// The id of the task.
    pub fn id(&self) -> TaskId {
        self.cell.borrow().id
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
        // Not under the cell's borrow: the abort drops the task, which writes to the cell.
        let (id, core) = {
            let cell = self.cell.borrow();
            (cell.id, cell.core.upgrade())
        };
        if let Some(core) = core {
            core.abort(id);
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.cell.borrow_mut().poll_result(cx.waker());
        let id = self.id();
        let Some(polled) = polled else {
            panic!(
                "JoinHandle for task {id} polled again after it returned the task's result; \
                 a JoinHandle yields its result once"
            );
        };
        if polled.is_pending() {
            let core = self.cell.borrow().core.upgrade();
            if let Some(core) = core {
                // Only its own loop ever runs the task (home.rs): anywhere else, refuse to wait.
                if !is_current(&core) {
                    away_from_home(format_args!("the JoinHandle of task {id}"), "task slab");
                }
                // `#[track_caller]` on poll: the location of the `.await` on this handle.
                crate::wait_site::waiting_on(crate::wait_site::WaitOn::JoinHandle(id));
                core.note_await(Location::caller());
            }
        }
        polled
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut cell = self.cell.borrow_mut();
        let id = cell.id;
        // The task already panicked and its handle goes away unread: the last chance to say so.
        if let Some(Err(err)) = cell.detach() {
            if err.is_panic() {
                eprintln!(
                    "glassloop: the panic of task {id} was never retrieved: its JoinHandle was \
                     dropped without being awaited ({err})"
                );
            }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

// ───────────────────────────── the join cell ─────────────────────────────

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
    /// The task's id: what the handle reports and aborts.
    id: TaskId,
    /// The task's loop, weakly: a handle never keeps a runtime alive.
    core: Weak<Core>,
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
    /// A cell in the "running" state, for task `id` of `core`.
    pub(crate) fn new_shared(id: TaskId, core: Weak<Core>) -> Join<T> {
        Rc::new(RefCell::new(JoinCell {
            id,
            core,
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
        debug_assert!(self.finished || self.result.is_none(), "a result before the end");
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

// ───────────────────────────── the task's body ─────────────────────────────

pin_project! {
    /// Where a task's future is: running in place, or ended (dropped where it lay).
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] future: F },
        Ended,
    }
}

pin_project! {
    /// The body the slab really holds: your future, inline, plus the bookkeeping of ending.
    ///
    /// One allocation: the slab's `Pin<Box<dyn TaskBody>>` holds this struct, and your future
    /// lies inside it. It is pinned there (an `async` block may point into itself), so the
    /// code reaches it through `pin_project!`, which writes the one projection that needs
    /// `unsafe` for us, checked (tokio does the same by hand in its task cell). Ending drops it
    /// in place with `Pin::set(Stage::Ended)`: a pinned value may be dropped where it lies,
    /// just never moved.
    struct TaskFuture<F: Future> {
        #[pin]
        stage: Stage<F>,
        ending: Ending<F::Output>,
    }

    impl<F: Future> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it finished: aborted, or the loop ended (invariants 8 and 11).
            // Drop your future first, so its destructors (the `finally` blocks of Rust) have
            // run by the time the awaiter hears "cancelled".
            let this = this.project();
            if matches!(&*this.stage, Stage::Running { .. }) {
                let result = match drop_catching_panics(this.stage) {
                    Ok(()) => JoinError::cancelled(this.ending.label()),
                    Err(payload) => JoinError::panic(this.ending.label(), payload),
                };
                this.ending.finish(Err(result));
            }
        }
    }
}

/// What a task needs to tell its handle how it ended.
struct Ending<T> {
    /// The task's id is in the cell: the one copy, read by the handle too.
    cell: Join<T>,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
}

/// Wrap `future` as the body of the task whose cell is `cell`, writing its result there.
pub(crate) fn task_body<F>(
    future: F,
    cell: Join<F::Output>,
    name: Option<Rc<str>>,
    spawned_at: &'static Location<'static>,
) -> BoxedBody
where
    F: Future + 'static,
    F::Output: 'static,
{
    let ending = Ending { cell, name, spawned_at };
    Box::pin(TaskFuture { stage: Stage::Running { future }, ending })
}

impl<T> Ending<T> {
    /// How errors and reports name this task (as `Task::label` in task_table.rs does).
    fn label(&self) -> String {
        label(self.name.as_deref(), self.cell.borrow().id)
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
                            label(self.name.as_deref(), cell.id), // the cell is borrowed
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
            let via = crate::wake_site::Via::JoinHandle;
            crate::wake_site::waking(via, || waker.wake()); // names the cause
        }
    }
}

impl<F: Future> TaskBody for TaskFuture<F> {
    fn poll_body(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let StageProj::Running { future } = this.stage.as_mut().project() else {
            unreachable!("task {} polled after it ended", this.ending.label())
        };
        // region: task_future_poll
        let Poll::Ready(value) = future.poll(cx) else {
            return Poll::Pending;
        };
        // Drop the finished future now: its captured values are released as soon as it ends.
        // Their destructors are your code too, so a panic there is the task's panic as well.
        let result = match drop_catching_panics(this.stage) {
            Ok(()) => Ok(value),
            Err(payload) => Err(JoinError::panic(this.ending.label(), payload)),
        };
        this.ending.finish(result);
        Poll::Ready(())
        // endregion: task_future_poll
    }

    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>) {
        // The loop caught the panic of a poll (executor/mod.rs): it becomes the task's
        // result, after the future's destructors have run.
        let this = self.project();
        let result = match drop_catching_panics(this.stage) {
            Ok(()) => JoinError::panic(this.ending.label(), payload),
            Err(second) => JoinError::panic(this.ending.label(), second),
        };
        this.ending.finish(Err(result));
    }
}

/// Drop the future where it lies (`Pin::set` replaces the pinned value in place), turning a
/// panic in its destructor into an `Err` instead of an unwind through the loop. If the
/// destructor panics, the place still ends up holding `Ended`: an assignment writes its new
/// value on the unwinding path too.
fn drop_catching_panics<F>(mut stage: Pin<&mut Stage<F>>) -> Result<(), Box<dyn Any + Send>> {
    std::panic::catch_unwind(AssertUnwindSafe(move || stage.set(Stage::Ended)))
}
