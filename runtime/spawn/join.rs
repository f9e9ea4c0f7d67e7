//! # The JoinHandle, and the allocation it shares with its task
//!
//! `spawn` returns a [`JoinHandle`], the glassloop form of asyncio's `Task` object and tokio's
//! `JoinHandle`. A task lives in one allocation, a `TaskCell`, and two pointers lead to it:
//! the slab's and the handle's. The task writes its result there, the handle reads it, and
//! whoever awaits the handle leaves a waker there.
//!
//! ```text
//!   TaskCell<F> (one Rc)                                          JoinHandle<T> (yours)
//!   header: name, spawned_at, waker      (the loop's, task_table.rs)
//!   stage:  Running { your future } ── Ready(v) ──► Done { Ok(v) } ◄── poll: take it (Gone),
//!                                 ── a panic ────► Done { Err }        or leave a waker
//!           released unfinished (abort, shutdown) ► Done { Cancelled } ──► wakes the awaiter
//! ```
//!
//! Because the slab's pointer *releases* the task when the loop lets go of it
//! (task_table.rs, `Owned`), every way a task can end (finish, panic, `abort()`, the loop
//! shutting down) tells the handle, and no special case is needed elsewhere. `TaskCell` is the
//! task table's `TaskBody`: the loop polls it without knowing its output type, and the handle
//! sees it as a `JoinSide<T>`, without knowing its future's type.
//!
//! Read next: `spawn/join_error.rs`, what a failed task tells its handle.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use pin_cell::{PinCell, PinMut};
use pin_project_lite::pin_project;

use super::join_error::{payload_message, JoinError};
use crate::executor::context::is_current;
use crate::executor::Core;
use crate::home::away_from_home;
use crate::task_id::TaskId;
use crate::task_table::{TaskBody, TaskHeader, TaskRef};

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
    /// The task's one allocation, seen through what a handle may do with it. A pointer and
    /// its vtable: 16 bytes (tokio's handle is 8, a thin pointer it casts by hand).
    task: Pin<Rc<dyn JoinSide<T>>>,
}

impl<T> JoinHandle<T> {
    /// The id of the task.
    pub fn id(&self) -> TaskId {
        self.task.header().id()
    }

    /// True once the task has finished, panicked or been cancelled.
    ///
    /// asyncio: `task.done()`; tokio: `JoinHandle::is_finished`.
    pub fn is_finished(&self) -> bool {
        self.task.join().finished.get()
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
        if let Some(core) = self.task.join().core.upgrade() {
            core.abort(self.id());
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.task.as_ref().take_output() {
            return Poll::Ready(result);
        }
        let (id, join) = (self.id(), self.task.join());
        if join.finished.get() {
            panic!(
                "JoinHandle for task {id} polled again after it returned the task's result; \
                 a JoinHandle yields its result once"
            );
        }
        let awaiter = match join.awaiter.take() {
            Some(stored) if stored.will_wake(cx.waker()) => stored,
            _ => cx.waker().clone(),
        };
        join.awaiter.set(Some(awaiter));
        if let Some(core) = join.core.upgrade() {
            // Only its own loop ever runs the task (home.rs): anywhere else, refuse to wait.
            if !is_current(&core) {
                away_from_home(format_args!("the JoinHandle of task {id}"), "task slab");
            }
            // `#[track_caller]` on poll: the location of the `.await` on this handle.
            crate::wait_site::waiting_on(crate::wait_site::WaitOn::JoinHandle(id));
            core.note_await(Location::caller());
        }
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let join = self.task.join();
        join.detached.set(true);
        join.awaiter.set(None);
        // The task already panicked and its handle goes away unread: the last chance to say so.
        if let Some(err) = self.task.unread_panic() {
            eprintln!(
                "glassloop: the panic of task {} was never retrieved: its JoinHandle was \
                 dropped without being awaited ({err})",
                self.id()
            );
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

// ───────────────────────────── the task's allocation ─────────────────────────────

/// What a handle can do with its task's allocation, whatever the task's future.
trait JoinSide<T> {
    /// The loop's part: the id, the name, where it was spawned.
    fn header(&self) -> &TaskHeader;
    /// The part task and handle share.
    fn join(&self) -> &JoinState;
    /// Move the result out, if the task has ended and left one.
    fn take_output(self: Pin<&Self>) -> Option<Result<T, JoinError>>;
    /// The panic the task ended with, if nobody has taken it.
    fn unread_panic(&self) -> Option<String>;
}

/// What the task and its handle share, besides the result. Its legal states:
///
/// | state | `finished` | stage | meaning |
/// |---|---|---|---|
/// | running | false | `Running` | the task has not ended |
/// | ended, unread | true | `Done` | the handle may take the result |
/// | ended, read | true | `Gone` | the handle took it; polling again is a misuse |
///
/// `detached` may be true in any of them (the handle was dropped), and then `awaiter` is
/// `None` and a result is never kept (`Gone` at once). `Done` with `finished: false` cannot
/// happen.
struct JoinState {
    /// The task's loop, weakly: a handle never keeps a runtime alive.
    core: Weak<Core>,
    /// True once the task has ended; it stays true after the handle takes the result.
    finished: Cell<bool>,
    /// The waker of whoever awaits the handle.
    awaiter: Cell<Option<Waker>>,
    /// True when the handle was dropped: nobody will ever read the result.
    detached: Cell<bool>,
}

pin_project! {
    /// Where a task's future is: running in place, ended with a result, or gone.
    #[project = StageProj]
    #[project_replace = StageTaken]
    enum Stage<F: Future> {
        Running { #[pin] future: F },
        Done { output: Result<F::Output, JoinError> },
        Gone,
    }
}

pin_project! {
    /// A task's one allocation: the loop's header, the state it shares with its handle, and
    /// your future, inline. The slab holds one pointer to it, the handle another (`Rc`).
    ///
    /// Your future is pinned here (an `async` block may point into itself), and both
    /// pointers are shared, so the code reaches it through a `PinCell`: a `RefCell` that
    /// hands out only `Pin<&mut _>`, never `&mut _`, which is what makes it safe to poll a
    /// future through a shared pointer. `pin_project!` writes the one projection that needs
    /// `unsafe` for us, checked (tokio does the same by hand in its task cell). Ending drops
    /// your future in place with `Pin::set`: a pinned value may be dropped where it lies,
    /// just never moved.
    struct TaskCell<F: Future> {
        header: TaskHeader,
        join: JoinState,
        #[pin]
        stage: PinCell<Stage<F>>,
    }
}

/// Build task `header`'s allocation around `future`, and the handle that shares it.
pub(crate) fn task_cell<F>(
    future: F,
    header: TaskHeader,
    core: Weak<Core>,
) -> (TaskRef, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let join = JoinState {
        core,
        finished: Cell::new(false),
        awaiter: Cell::new(None),
        detached: Cell::new(false),
    };
    let stage = PinCell::new(Stage::Running { future });
    let task = Rc::pin(TaskCell { header, join, stage });
    let handle = JoinHandle { task: task.clone() };
    (task, handle)
}

impl<F: Future> TaskCell<F> {
    /// Make `result` the task's result and wake whoever awaits the handle. Called once per
    /// task, when it ends, with the future already dropped.
    fn finish(self: Pin<&Self>, result: Result<F::Output, JoinError>) {
        let this = self.project_ref();
        let join = this.join;
        if join.finished.replace(true) {
            return;
        }
        if join.detached.get() {
            if let Err(err) = &result {
                if err.is_panic() {
                    // asyncio prints "Task exception was never retrieved"; so do we, at the
                    // moment it happens, because a detached task has no later.
                    eprintln!(
                        "glassloop: task {} spawned at {} panicked and nobody holds its \
                         JoinHandle, so the panic is reported here: {}",
                        this.header.label(),
                        this.header.spawned_at,
                        err
                    );
                }
            }
            return; // nobody will read it: nothing to keep
        }
        PinMut::as_mut(&mut this.stage.borrow_mut()).set(Stage::Done { output: result });
        if let Some(waker) = join.awaiter.take() {
            let via = crate::wake_site::Via::JoinHandle;
            crate::wake_site::waking(via, || wake_awaiter(waker, this.header)); // names the cause
        }
    }
}

impl<F: Future> TaskBody for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn poll_body(self: Pin<&Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project_ref();
        let mut stage = this.stage.borrow_mut();
        let StageProj::Running { future } = PinMut::as_mut(&mut stage).project() else {
            unreachable!("task {} polled after it ended", this.header.label())
        };
        // region: task_future_poll
        let Poll::Ready(value) = future.poll(cx) else {
            return Poll::Pending;
        };
        // Drop the finished future now: its captured values are released as soon as it ends.
        // Their destructors are your code too, so a panic there is the task's panic as well.
        let result = match drop_catching_panics(PinMut::as_mut(&mut stage)) {
            Ok(()) => Ok(value),
            Err(payload) => Err(JoinError::panic(this.header.label(), payload)),
        };
        drop(stage);
        self.finish(result);
        Poll::Ready(())
        // endregion: task_future_poll
    }

    fn panicked(self: Pin<&Self>, payload: Box<dyn Any + Send>) {
        // The loop caught the panic of a poll (executor/mod.rs): it becomes the task's result.
        // A task that already ended (the panic came from waking its awaiter) keeps its result.
        end_unfinished(self, |label| JoinError::panic(label, payload));
    }

    fn release(self: Pin<&Self>) {
        // Released before it finished: aborted, or the loop ended (invariants 8 and 11).
        end_unfinished(self, JoinError::cancelled);
    }
}

impl<F: Future> JoinSide<F::Output> for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn join(&self) -> &JoinState {
        &self.join
    }

    fn take_output(self: Pin<&Self>) -> Option<Result<F::Output, JoinError>> {
        // A failed borrow: the task is being polled, so it has no result yet.
        let mut stage = self.project_ref().stage.try_borrow_mut().ok()?;
        if !matches!(*stage, Stage::Done { .. }) {
            return None;
        }
        match PinMut::as_mut(&mut stage).project_replace(Stage::Gone) {
            StageTaken::Done { output } => Some(output),
            _ => unreachable!("the stage was Done a line ago"),
        }
    }

    fn unread_panic(&self) -> Option<String> {
        match &*self.stage.try_borrow().ok()? {
            Stage::Done { output: Err(err) } if err.is_panic() => Some(err.to_string()),
            _ => None,
        }
    }
}

/// End `task`, which has not finished, with the error `why` makes of its label: drop your
/// future first, so its destructors (the `finally` blocks of Rust) have run by the time the
/// awaiter hears, then `finish`. A destructor that panics makes that panic the error. Does
/// nothing to a task that already ended, or to one in the middle of its own poll (a failed
/// borrow: it aborted itself, and `poll_task` releases it after).
fn end_unfinished<F: Future>(task: Pin<&TaskCell<F>>, why: impl FnOnce(String) -> JoinError) {
    let this = task.project_ref();
    let Ok(mut stage) = this.stage.try_borrow_mut() else { return };
    if !matches!(*stage, Stage::Running { .. }) {
        return;
    }
    let label = this.header.label();
    let error = match drop_catching_panics(PinMut::as_mut(&mut stage)) {
        Ok(()) => why(label),
        Err(payload) => JoinError::panic(label, payload),
    };
    drop(stage);
    task.finish(Err(error));
}

/// Wake whoever awaits the handle of the task `header` heads, which has just ended. The waker
/// is the awaiter's code, not the task's: if it panics, the task's result stands, and the
/// panic goes no further, whichever way the task ended (its poll, `abort`, the loop's end).
/// tokio's harness catches a panic in the join waker the same way.
fn wake_awaiter(waker: Waker, header: &TaskHeader) {
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| waker.wake())) {
        eprintln!(
            "glassloop: the waker of whoever awaits task {} panicked when the task ended ({}); \
             the task's result is kept and the loop goes on, but a `wake` must not panic",
            header.label(),
            payload_message(&*payload).unwrap_or("no message")
        );
    }
}

/// Drop the future where it lies (`Pin::set` replaces the pinned value in place), turning a
/// panic in its destructor into an `Err` instead of an unwind through the loop. If the
/// destructor panics, the place still ends up holding `Gone`: an assignment writes its new
/// value on the unwinding path too.
fn drop_catching_panics<F: Future>(
    mut stage: Pin<&mut Stage<F>>,
) -> Result<(), Box<dyn Any + Send>> {
    std::panic::catch_unwind(AssertUnwindSafe(move || stage.set(Stage::Gone)))
}
