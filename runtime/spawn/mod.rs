//! # Spawning: `spawn`, `yield_now`, and what you get back
//!
//! The executor offers two primitives for tasks: `Core::insert_task` (put a body in the slab
//! and queue its first poll) and `Core::abort`. This folder builds the API you use from them,
//! the way `time/` builds `sleep` from the timer driver. `spawn` finds the running loop
//! through the thread-local (`executor/context.rs`), builds the task's one allocation around
//! your future (join.rs) and inserts it. The [`JoinHandle`] it returns points at that same
//! allocation, reads the result there and can reach the loop (weakly: a handle never keeps a
//! runtime alive) to abort the task.
//!
//! ```text
//!   spawn(fut) ─► with_current ─► Core::insert_task ─► TaskTable::insert + push_ready(id)
//!        └──────► JoinHandle { task: Rc<TaskCell { header, Weak<Core>, stage }> }   abort: Core::abort
//! ```
//!
//! Read next: `spawn/join.rs`, the handle and the allocation it shares with its task.

mod join;
mod join_error;

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use crate::executor::context::{in_runtime, note_await_current, with_current};
use crate::executor::{Core, Runtime};
use crate::task_id::TaskId;
use join::task_cell;
pub use join::JoinHandle;
pub(crate) use join_error::payload_message;
pub use join_error::JoinError;

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
        with_current("glassloop::spawn", |core| spawn_on(core, self.name, spawned_at, future))
    }
}

/// Put a new task into `core`'s slab and queue it: every way to spawn in the crate comes here.
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
    // The allocation is made inside `make`, around the header the table built once it had
    // chosen the id, so it never holds a placeholder id.
    let mut handle = None;
    core.insert_task(name, spawned_at, |header| {
        let (task, joins) = task_cell(future, header, Rc::downgrade(core) as Weak<Core>);
        handle = Some(joins);
        task
    });
    handle.expect("insert_task calls `make` once")
}

// ───────────────────────────── the current task ─────────────────────────────

/// The id of the task being polled right now: the one whose code is calling this.
///
/// The loop already knows it: step 1 of the tick records the task it is about to poll
/// (`Core::current`, executor/mod.rs `poll_started`) and clears it after the poll, so this
/// only reads that record. Inside the future given to `run`/`block_on` it is the main
/// future's id, `#0`. A closure posted with
/// [`Handle::call_soon_threadsafe`](crate::Handle::call_soon_threadsafe) runs inside the
/// handle's service task and gets that task's id (asyncio's `current_task()` is `None` in a
/// callback; here every piece of code the loop runs is run by a task you can see in the dump).
///
/// asyncio: `asyncio.current_task()` (which returns the `Task`; here the id names it);
/// tokio: `tokio::task::id()`.
///
/// ```
/// glassloop::run(async {
///     let handle = glassloop::spawn(async { glassloop::task::id() });
///     let spawned = handle.id();
///     assert_eq!(handle.await.unwrap(), spawned);
///     assert_eq!(glassloop::task::id().number(), 0); // the main future
/// });
/// ```
///
/// # Panics
/// Outside a running glassloop runtime, or in code the loop runs outside any poll (a task's
/// destructor while the loop drops it). Use [`try_id`] where either can happen.
#[track_caller]
pub fn id() -> TaskId {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "glassloop::task::id() was called outside a glassloop task: no task is being \
             polled on this thread. Call it from code that runs inside `glassloop::run` (or \
             `Runtime::block_on`), or use `glassloop::task::try_id()`, which returns None here."
        ),
    }
}

/// The id of the task being polled right now, or `None` outside a task (no runtime on this
/// thread, or the loop is between polls). See [`id`].
///
/// asyncio: `asyncio.current_task()`, `None` outside a task; tokio: `tokio::task::try_id()`.
pub fn try_id() -> Option<TaskId> {
    if !in_runtime() {
        return None;
    }
    with_current("glassloop::task::try_id", |core| core.current.get())
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
    YieldNow { yielded: false, at: Location::caller() }
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

impl Runtime {
    /// Spawn a task on this runtime from outside it (before `block_on` or between `step`s).
    ///
    /// asyncio: `loop.create_task`; tokio: `Runtime::spawn`.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, None, Location::caller(), future)
    }
}
