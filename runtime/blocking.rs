//! # The blocking pool: work the loop must not do itself
//!
//! The loop runs every task on one thread, and a task runs until it awaits. A call that blocks
//! (a `std::thread::sleep`, a file read, a DNS lookup, a minute of arithmetic) therefore stops
//! *every* task, timer and socket until it returns. [`spawn_blocking`] moves such a call to
//! another thread and gives the loop a [`JoinHandle`] to await instead, the way asyncio's
//! `loop.run_in_executor` / `asyncio.to_thread` and tokio's `spawn_blocking` do.
//!
//! ```text
//!   loop thread                                             a pool thread (blocking/pool.rs)
//!   ───────────                                             ────────────────────────────────
//!   spawn_blocking(f) ─┬─ holds += 1 (a HoldGuard) ───────► run_job: f() ... (takes its time)
//!                      └─ spawn task "spawn_blocking"               │
//!   the task: AwaitJob::poll                                        │ result into the cell
//!     cell empty? leave a waker in the cell, Pending ◄── wake() ────┤ (waker.rs: ready queue
//!     cell full?  Ready(value), or re-raise the panic               │  + doorbell if parked)
//!   you: handle.await ◄── the task's JoinHandle                     └ drop the HoldGuard:
//!                                                                     holds -= 1, doorbell
//! ```
//!
//! ## Why a task in the middle
//!
//! The result comes back through a small cell behind a mutex (`Arc<Mutex<JobCell>>`, because
//! another thread writes it), and an ordinary glassloop task awaits that cell. So the handle
//! you get is the same [`JoinHandle`] that `spawn` returns: `is_finished`, `abort` and
//! [`JoinError`](crate::JoinError) work as they do for any task, and the job's panic arrives as
//! a `JoinError` whose `is_panic()` is true, because the task re-raises it where `spawn`'s
//! panic catcher is waiting. The price is one extra task per job; tokio instead makes the
//! blocking job itself a task that its pool threads poll.
//!
//! ## What `abort` means here
//!
//! A job that has not started yet is never run: the pool thread finds it abandoned and drops
//! it. A job that is already running cannot be stopped (a thread cannot be interrupted from
//! outside in Rust, nor in Python: `Future.cancel()` fails on a running thread-pool job). The
//! handle still reports cancelled at once, as for any aborted task; the job runs to its end on
//! its thread and its result is thrown away. tokio cannot stop a running blocking job either,
//! but there `abort` on it simply has no effect and the handle later gives the result.
//!
//! ## The virtual clock must wait for the job
//!
//! A running job will wake a task, but nobody knows when; if virtual time jumped meanwhile, a
//! 200 ms job would seem to finish after a 1 s sleep it really beat. So each job is announced
//! outside work: it takes a `HoldGuard` (the guard behind [`OutsideWork`](crate::OutsideWork),
//! outside.rs) from the moment it is submitted until its result is handed back and its task
//! woken, and the rule of timer/driver.rs holds the clock still while any guard lives.
//! Releasing the guard always rings the loop's doorbell, so a job whose result nobody wanted
//! (its task was aborted) still lets the parked loop go on. Tested in tests/blocking.rs: *the
//! virtual clock never moves while a blocking job is in flight*. A consequence to know: a job
//! that never ends freezes virtual time for good.
//!
//! ## The other direction: async code from sync code
//!
//! [`block_on`] runs a future on a fresh runtime on the calling thread (asyncer's `runnify`,
//! asyncio's `asyncio.run` in a worker thread). It works in any thread that is not already
//! running a loop, including a pool thread inside a blocking job. What it does *not* do is run
//! the future on the loop that submitted the job: that loop is reachable from another thread
//! only through a `Send` door, a [`Handle`](crate::Handle) (handle.rs, asyncio's
//! `run_coroutine_threadsafe`). A future given to `block_on` gets its own timers and
//! sockets, which belong to that inner runtime only.
//!
//! Read next: `blocking/pool.rs`, the threads themselves.

mod pool;

use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

pub use pool::{
    BlockingPoolStats, DEFAULT_BLOCKING_KEEP_ALIVE, DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT,
    DEFAULT_MAX_BLOCKING_THREADS,
};
pub(crate) use pool::{Pool, PoolConfig};

use crate::executor::context::with_current;
use crate::executor::{Core, Runtime};
use crate::outside::{HoldGuard, HoldKind};
use crate::spawn::{spawn_on, JoinHandle};
use crate::sync::waiters::keep_waker;

// ───────────────────────────── spawn_blocking ─────────────────────────────

/// Run the blocking function `f` on the runtime's pool of threads, and return a handle the
/// loop can await for its result.
///
/// Use it for anything that would hold the loop's thread: `std::fs`, `std::thread::sleep`,
/// long computations, libraries without async APIs. If `f` panics, awaiting the handle gives a
/// [`JoinError`](crate::JoinError) whose `is_panic()` is true. `abort()` stops a job that has not
/// started; a running job cannot be stopped and runs to its end (its result is discarded).
/// Under the virtual clock, time stands still until the job's result is back.
///
/// asyncio: `await loop.run_in_executor(None, f)` / `await asyncio.to_thread(f)`; tokio:
/// `tokio::task::spawn_blocking`.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let total = rt.block_on(async {
///     let handle = glassloop::spawn_blocking(|| (1..=1_000u64).sum::<u64>());
///     handle.await.unwrap()
/// });
/// assert_eq!(total, 500_500);
/// ```
///
/// # Panics
/// Outside a running glassloop runtime: call it from code inside `glassloop::run(...)`.
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking_as("glassloop::spawn_blocking", Location::caller(), f)
}

/// [`spawn_blocking`] with the caller's name for the "outside a runtime" message (so
/// `glassloop::fs::read` can say it was `fs::read`).
pub(crate) fn spawn_blocking_as<F, T>(
    what: &'static str,
    spawned_at: &'static Location<'static>,
    f: F,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    with_current(what, |core| submit_job(core, what, spawned_at, f))
}

/// Hand `f` to the pool and spawn the task that awaits its cell.
/// A good breakpoint: `break glassloop::blocking::submit_job`.
fn submit_job<F, T>(
    core: &Rc<Core>,
    via: &'static str,
    spawned_at: &'static Location<'static>,
    f: F,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let cell = Arc::new(Mutex::new(JobCell { result: None, awaiter: None, abandoned: false }));
    // Taken before the job exists, so the clock cannot jump between "submitted" and "running".
    // The ledger (outside.rs) names the job by the call that submitted it, and where.
    let hold = HoldGuard::take(core, HoldKind::BlockingJob { via }, spawned_at);
    let job_cell = cell.clone();
    pool_of(core).submit(Box::new(move || run_job(f, job_cell, hold)));
    spawn_on(core, Some(Rc::from("spawn_blocking")), spawned_at, AwaitJob { cell, at: spawned_at })
}

// ───────────────────────────── the job's cell ─────────────────────────────

/// Where a job's result waits for its task. Written by the pool thread, read by the loop.
struct JobCell<T> {
    /// `Ok(value)` or the panic payload; written once by `run_job`, taken once by `AwaitJob`.
    result: Option<std::thread::Result<T>>,
    /// The awaiting task's waker, left by `AwaitJob::poll`; taken by `run_job`.
    awaiter: Option<Waker>,
    /// Set when the awaiting task is dropped (aborted, or the loop ended): nobody wants the
    /// result. A job that has not started by then is never run.
    abandoned: bool,
}

fn lock<T>(cell: &Mutex<JobCell<T>>) -> MutexGuard<'_, JobCell<T>> {
    // Nothing panics while the cell is locked, so a poisoned lock still holds a whole cell.
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a pool thread runs for one job: `f`, then the result into the cell, then the wake,
/// then the hold released, in that order (see "The virtual clock must wait for the job").
/// A good breakpoint: `break glassloop::blocking::run_job`.
fn run_job<F, T>(f: F, cell: Arc<Mutex<JobCell<T>>>, hold: HoldGuard)
where
    F: FnOnce() -> T,
{
    if lock(&cell).abandoned {
        return; // aborted before it started: never run it (the hold rings the loop on drop)
    }
    // A panic stays on this thread: it becomes the result, and the pool thread lives on.
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    let awaiter = {
        let mut cell = lock(&cell);
        if cell.abandoned {
            None // aborted while running: the result is dropped with the cell
        } else {
            cell.result = Some(result);
            cell.awaiter.take()
        }
    };
    if let Some(waker) = awaiter {
        waker.wake(); // the task is on the ready queue before the hold goes
    }
    drop(hold);
}

/// The task that awaits a job's cell on the loop.
struct AwaitJob<T> {
    cell: Arc<Mutex<JobCell<T>>>,
    /// Where `spawn_blocking` was called: the task's await point in the dump. The task is
    /// nothing but this wait, so its await point is the call that asked for the job.
    at: &'static Location<'static>,
}

impl<T> Future for AwaitJob<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut cell = lock(&self.cell);
        match cell.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            Some(Err(payload)) => {
                drop(cell);
                // Re-raise the job's panic in this task: spawn's catcher turns it into the
                // JoinError. resume_unwind skips the panic hook, so it is not printed twice.
                std::panic::resume_unwind(payload)
            }
            None => {
                keep_waker(&mut cell.awaiter, cx.waker());
                // The task dump: this task waits on work outside the loop.
                crate::wait_site::waiting_on(crate::wait_site::WaitOn::Outside);
                crate::executor::context::note_await_current(self.at);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for AwaitJob<T> {
    fn drop(&mut self) {
        let mut cell = lock(&self.cell);
        cell.abandoned = true;
        cell.awaiter = None;
    }
}

// ───────────────────────────── the pool the runtime owns ─────────────────────────────

impl Runtime {
    /// How the blocking pool is doing: threads alive, busy, jobs queued, and totals.
    ///
    /// ```
    /// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
    /// assert_eq!(rt.blocking_pool_stats().threads, 0); // no thread before the first job
    /// rt.block_on(async { glassloop::spawn_blocking(|| ()).await.unwrap() });
    /// let stats = rt.blocking_pool_stats();
    /// assert_eq!((stats.threads_started, stats.queued), (1, 0));
    /// ```
    ///
    /// tokio: `Handle::metrics().num_blocking_threads()` and friends.
    pub fn blocking_pool_stats(&self) -> BlockingPoolStats {
        pool_of(&self.core).stats()
    }
}

/// The runtime's pool. The builder put it in `Core::pool`; the loop keeps it without knowing
/// its type, so this file, which does, looks it up.
fn pool_of(core: &Core) -> &Pool {
    match core.pool.downcast_ref::<Pool>() {
        Some(pool) => pool,
        None => unreachable!("Builder::build always gives a runtime its blocking pool"),
    }
}

// ───────────────────────────── block_on ─────────────────────────────

/// Run `future` to completion on a fresh runtime on this thread, from synchronous code, and
/// return its output. For a thread that is not running a loop: `main`, a thread you started,
/// or a blocking job on the pool (it then gets its own loop, not the one that submitted it;
/// see the module notes).
///
/// asyncer: `runnify(f)()`; asyncio: `asyncio.run(coro)` from a worker thread; tokio:
/// `Runtime::block_on`, `futures::executor::block_on`.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let answer = rt.block_on(async {
///     // the pool thread runs no loop, so it may start one of its own
///     let job = glassloop::spawn_blocking(|| glassloop::block_on(async { 6 * 7 }));
///     job.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
/// On a thread already running a glassloop loop (inside async code, `.await` the future
/// instead); if the OS cannot create the reactor; as [`Runtime::block_on`].
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let runtime = Runtime::new()
        .unwrap_or_else(|err| panic!("glassloop::block_on could not create the reactor: {err}"));
    // Runtime::block_on refuses, with the message that says what to do, to nest in a loop.
    runtime.block_on(future)
}

#[cfg(test)]
mod tests {
    /// `block_on` passes its caller on (`#[track_caller]`), as `run` does: the dump names the
    /// main future by the line that called `block_on`, not by a line of this file's.
    #[test]
    fn block_on_names_the_main_future_by_the_line_that_called_it() {
        let (dump, line) = (super::block_on(async { crate::dump() }), line!());
        let here = format!("{}:{line}:", file!());
        assert!(dump.contains(&here), "{here:?} not in the dump:\n{dump}");
    }
}
