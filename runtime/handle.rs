//! # Handle: how a plain thread hands work to the loop
//!
//! A glassloop loop is reachable only from its own thread: its `Core` sits in an `Rc`, and its
//! tasks need not be `Send`. Yet a GUI thread, a C library's callback or a thread of your own
//! may need the loop to do something. asyncio has two doors for that,
//! `loop.call_soon_threadsafe(f)` and `asyncio.run_coroutine_threadsafe(coro, loop)`; a
//! [`Handle`] is the same two doors. It is `Clone + Send + Sync`, so any thread may hold one.
//!
//! ## The idea: an inbox and a task that empties it
//!
//! The loop already has a door that any thread may knock on: a `std::task::Waker` is `Send +
//! Sync`, and waking one from another thread puts its task on the ready queue and rings the
//! loop's doorbell if it is parked (waker.rs, invariant 10). So a handle is an inbox of boxed
//! closures behind a mutex plus the waker of one small *service task* that empties it:
//!
//! ```text
//!   any thread                                 the loop's thread
//!   handle.call_soon_threadsafe(f)             the service task 'handle service' #N
//!     lock: closed? -> Err(LoopClosed)           poll: lock, take every job, leave a waker
//!           push f; take the waker     ───►            unlock, run the jobs in order, Pending
//!     wake it (ready queue + doorbell)           (a job posted meanwhile finds the new waker)
//!
//!   handle.run_coroutine_threadsafe(make)      a job like any other, which spawns the task
//!     = post(|| spawn(make().await)) ────────►   'run_coroutine_threadsafe' #M; its result
//!     returns a RemoteHandle  ◄── result ─────   goes into the RemoteHandle (handle/remote.rs)
//! ```
//!
//! The post that finds the waker takes it, so three posts before the loop's next pass wake the
//! service task once and it runs the three closures in one poll, in the order they were
//! posted (tests/handle.rs counts it). `make` runs on the loop's thread, inside the new task,
//! which is why the future it builds need not be `Send`: only `make` and the output cross
//! threads. Closures and coroutines share the one inbox, so they start in posting order.
//!
//! ## Who starts the service task, and when it ends
//!
//! [`Runtime::handle`] spawns it, like [`Runtime::spawn`]: it may be called before
//! `block_on`, and the task's first poll comes with the loop's first pass. Each call makes a
//! new handle with its own service task; clone a handle rather than call it again. The task
//! ends in one of two ways:
//!
//! - **Every handle is dropped.** No job can arrive any more, so the last handle's drop wakes
//!   the task, which runs what is queued and finishes, as a channel's receiver ends when its
//!   senders are gone. Until then it holds a waker, and under the real clock a loop with a
//!   live handle never reports a stall: another thread may still post.
//! - **The loop ends.** When `block_on` returns (or the runtime is dropped) every task is
//!   dropped, this one with them (invariant 11). Its destructor closes the inbox and drops
//!   the jobs still in it *without running them*: a closure given to the loop runs on the
//!   loop's thread or not at all. A dropped `run_coroutine_threadsafe` job drops its result's
//!   sender, so whoever waits on its [`RemoteHandle`] gets a cancelled [`JoinError`] at once.
//!   Every later call finds the inbox closed: `call_soon_threadsafe` returns
//!   `Err(LoopClosed)` and `run_coroutine_threadsafe` a handle that is already cancelled.
//!   Nothing hangs. asyncio is the same: after `asyncio.run` returns, the loop is closed and
//!   `call_soon_threadsafe` raises "Event loop is closed". A handle serves one run of the
//!   loop; for another `block_on`, take a new one.
//!
//! ## The virtual clock
//!
//! The rule of timer/driver.rs jumps time when nothing on the loop can run and no outside work
//! is announced. A thread with a handle is outside work the loop was not told about: it may
//! post at any moment, or never. Two moments matter:
//!
//! - **From the call on, nothing is needed.** A post wakes the service task before it
//!   returns, and a ready task holds the clock still (the rule jumps only when the ready queue
//!   is empty): once the call has returned, time cannot jump again before the closure has
//!   run (a jump the loop had already begun may still finish). So we take no hold per call:
//!   taken at the same moment as the wake, it would add nothing.
//! - **Before the call, only the caller knows.** While the thread is still working toward its
//!   post, the loop sees no ready task and jumps time, or reports a stall. A caller who wants
//!   the clock to wait announces the work: create an [`OutsideWork`](crate::OutsideWork) on
//!   the loop's thread, move it to the thread, drop it *after* the last post. And never hold it
//!   while the thread [`wait`](RemoteHandle::wait)s on a coroutine that sleeps: the clock would
//!   wait for the thread while the thread waits for the clock. A `spawn_blocking` job holds
//!   the clock in just that way (blocking.rs), so a blocking job that waits on a sleeping
//!   coroutine hangs under the virtual clock; under the real clock it works.
//!
//! tokio: `Handle` (with `Handle::spawn`, whose future must be `Send`) and, for `!Send`
//! futures, a `LocalSet` fed through a channel; asyncio: the two functions above, and
//! `concurrent.futures.Future` for the result.
//!
//! Read next: `handle/remote.rs`, the result that crosses back.

mod remote;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;

use crate::executor::Runtime;
use crate::spawn::{spawn_on, Builder, JoinError};
use crate::sync::waiters::keep_waker;
use crate::task_id::label;
use remote::Completer;
pub use remote::RemoteHandle;

/// A job for the loop: run once, on the loop's thread, by the service task.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The name of the task that empties a handle's inbox, as the dump and reports show it.
const SERVICE: &str = "handle service";
/// The name of each task `run_coroutine_threadsafe` spawns.
const REMOTE: &str = "run_coroutine_threadsafe";

// ───────────────────────────── Handle ─────────────────────────────

/// A thread-safe way into one runtime's loop: post closures and coroutines from any thread.
///
/// Made by [`Runtime::handle`]; `Clone + Send + Sync`. Clones share one inbox and one service
/// task. The file header explains how it works and what it means for the virtual clock.
///
/// asyncio: `loop.call_soon_threadsafe`, `asyncio.run_coroutine_threadsafe`; tokio:
/// `runtime::Handle`.
///
/// ```
/// let rt = glassloop::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let answer = rt.block_on(async move {
///     // A plain thread asks the loop to build and run a future, and waits for its result.
///     let thread = std::thread::spawn(move || {
///         handle.run_coroutine_threadsafe(|| async { 6 * 7 }).wait()
///     });
///     // The loop must keep turning meanwhile: here it waits on a blocking job.
///     glassloop::spawn_blocking(move || thread.join().unwrap()).await.unwrap()
/// });
/// assert_eq!(answer.unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    senders: Arc<Senders>,
}

/// What every clone of one handle shares. Its `Drop` runs when the last clone goes.
struct Senders {
    inbox: Arc<Inbox>,
}

/// The inbox, shared by the handles and the service task.
struct Inbox {
    state: Mutex<InboxState>,
    /// The thread that runs the loop (a `Runtime` is not `Send`, so it never moves), so that
    /// `RemoteHandle::wait` can refuse to block it.
    loop_thread: ThreadId,
}

/// The inbox's state. Its legal combinations:
///
/// | `closed` | `waker` | `jobs` | meaning |
/// |---|---|---|---|
/// | false | Some | empty | the service task waits for a post |
/// | false | None | any | it was woken (or not yet polled): it is on the ready queue |
/// | false | Some | not empty | a post during its poll: it was queued again, with this waker |
/// | true | None | empty | the service task is gone: nothing will ever run again |
///
/// `handles_gone` may become true in any open state; the service task then finishes at its
/// next poll.
struct InboxState {
    /// Posted and not yet run, oldest first.
    jobs: VecDeque<Job>,
    /// The service task's waker, left by its last poll; taken by the post that wakes it.
    waker: Option<Waker>,
    /// Set by the service task's destructor (the loop ended): posts are refused.
    closed: bool,
    /// Set when the last handle is dropped: no post can ever arrive.
    handles_gone: bool,
}

/// A call on a [`Handle`] whose loop has ended: its `block_on` returned or its runtime was
/// dropped, and the closure was not run. asyncio raises `RuntimeError("Event loop is closed")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the glassloop loop this Handle belongs to has ended (its block_on returned or its \
             runtime was dropped), so the closure was not run; take a new handle from the \
             runtime that will run it"
        )
    }
}

impl std::error::Error for LoopClosed {}

impl Runtime {
    /// A [`Handle`] through which other threads can post work to this runtime's loop.
    ///
    /// Spawns the handle's service task (named `handle service`), which first runs at the
    /// loop's next pass, so it may be called before `block_on`. The handle serves until that
    /// `block_on` returns or the runtime is dropped; then its calls return errors.
    ///
    /// asyncio: the loop object itself, as passed to `run_coroutine_threadsafe`; tokio:
    /// `Runtime::handle`.
    #[track_caller]
    pub fn handle(&self) -> Handle {
        let inbox = Arc::new(Inbox {
            state: Mutex::new(InboxState {
                jobs: VecDeque::new(),
                waker: None,
                closed: false,
                handles_gone: false,
            }),
            loop_thread: std::thread::current().id(),
        });
        let service = Service { inbox: inbox.clone() };
        // Detached at once: the task ends by itself (the file header says when).
        drop(spawn_on(&self.core, Some(Rc::from(SERVICE)), Location::caller(), service));
        Handle { senders: Arc::new(Senders { inbox }) }
    }
}

impl Handle {
    /// Run `f` on the loop's thread at the loop's next pass, after the closures posted before
    /// it. Callable from any thread, the loop's own included.
    ///
    /// `f` runs inside the handle's service task, so it may call `glassloop::spawn` and use
    /// the loop's `Rc` state through what it spawns. A panic in `f` is reported on stderr and
    /// the loop goes on, as asyncio logs "Exception in callback" and goes on.
    ///
    /// asyncio: `loop.call_soon_threadsafe(f)`.
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop has ended; `f` is dropped, not run.
    pub fn call_soon_threadsafe(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), LoopClosed> {
        self.post(Box::new(f)).map_err(|_| LoopClosed)
    }

    /// Build a future on the loop's thread with `make`, run it there as a task, and get its
    /// result back on any thread. Only `make` and the output cross threads: the future itself
    /// need not be `Send`.
    ///
    /// The [`RemoteHandle`] is a `Send` future of `Result<T, JoinError>` (await it on any
    /// executor, or on this loop) and has a blocking [`wait`](RemoteHandle::wait) for plain
    /// threads. A panic in `make` or in the future arrives as a `JoinError` whose `is_panic()`
    /// is true; a loop that ends first gives one whose `is_cancelled()` is true.
    ///
    /// asyncio: `asyncio.run_coroutine_threadsafe(coro, loop)`, which returns a
    /// `concurrent.futures.Future`; tokio: `Handle::spawn` (which needs a `Send` future).
    pub fn run_coroutine_threadsafe<M, F>(&self, make: M) -> RemoteHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let (remote, completer) = remote::pair(self.senders.inbox.loop_thread, REMOTE);
        let job = Box::new(move || {
            let name = Builder::new().name(REMOTE);
            drop(name.spawn(run_remote(make, completer)));
        });
        // Refused: the job is dropped here, its completer with it, and `remote` is cancelled.
        let _ = self.post(job);
        remote
    }

    /// True once the loop has ended; every call then returns an error.
    pub fn is_closed(&self) -> bool {
        self.senders.inbox.lock().closed
    }

    /// Queue `job` and wake the service task if it is waiting. The job comes back if the inbox
    /// is closed, to be dropped by the caller, outside the lock.
    fn post(&self, job: Job) -> Result<(), Job> {
        let waker = {
            let mut state = self.senders.inbox.lock();
            if state.closed {
                return Err(job);
            }
            state.jobs.push_back(job);
            state.waker.take()
        };
        // Woken outside the lock: a wake on the loop's own thread is fine either way, but a
        // waker is foreign code and never runs under our mutex.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.senders.inbox.lock();
        f.debug_struct("Handle")
            .field("queued", &state.jobs.len())
            .field("closed", &state.closed)
            .finish()
    }
}

impl Inbox {
    /// The state, whatever a panicking thread left: no user code ever runs under this lock,
    /// so a poisoned one is still consistent.
    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Senders {
    fn drop(&mut self) {
        // The last handle is gone: wake the service task so that it can finish.
        let waker = {
            let mut state = self.inbox.lock();
            state.handles_gone = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

// ───────────────────────────── the service task ─────────────────────────────

/// The task that runs a handle's jobs on the loop.
struct Service {
    inbox: Arc<Inbox>,
}

impl Future for Service {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (jobs, finished) = {
            let mut state = self.inbox.lock();
            let finished = state.handles_gone; // then no job can arrive after these
            if !finished {
                keep_waker(&mut state.waker, cx.waker());
            }
            (std::mem::take(&mut state.jobs), finished)
        };
        // The lock is released before any job runs: a job may post again. Such a post finds
        // the waker left above, so it runs at the next pass, not in this one (as asyncio runs
        // a callback scheduled by a callback at the loop's next iteration).
        for job in jobs {
            run_job(job);
        }
        if finished {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // The loop is ending (or every handle is gone). Close first, so that no post can slip
        // in, then drop what was queued, here on the loop's thread and without running it.
        let jobs = {
            let mut state = self.inbox.lock();
            state.closed = true;
            state.waker = None;
            std::mem::take(&mut state.jobs)
        };
        drop(jobs);
    }
}

/// Run one posted closure, catching its panic so that one bad closure neither stops the loop
/// nor kills the service task (which would close the handle for everyone).
fn run_job(job: Job) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
        let message = remote::panic_message(&*payload);
        eprintln!(
            "glassloop: a closure posted with Handle::call_soon_threadsafe panicked on the \
             loop: {message}; the loop goes on"
        );
    }
}

/// The body of a `run_coroutine_threadsafe` task: build the future here, on the loop's
/// thread, run it, and hand the result (or the panic) to the remote handle. Dropped before
/// the end (the loop ended), it drops the completer, which tells the handle "cancelled".
async fn run_remote<M, F>(make: M, completer: Completer<F::Output>)
where
    M: FnOnce() -> F,
    F: Future,
{
    completer.name_task(label(Some(REMOTE), crate::spawn::id()));
    let result = match catch_unwind(AssertUnwindSafe(make)) {
        Ok(future) => catch_poll(future).await,
        Err(payload) => Err(payload),
    };
    completer.complete(result.map_err(|payload| JoinError::panic(completer.task(), payload)));
}

/// Await `future`, turning a panic in one of its polls into an `Err` with the payload, as the
/// loop itself does for a task (executor/mod.rs `poll_task`), so the panic can travel to the
/// thread that asked for the result.
async fn catch_poll<F: Future>(future: F) -> Result<F::Output, Box<dyn std::any::Any + Send>> {
    let mut future = pin!(future);
    std::future::poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(payload) => Poll::Ready(Err(payload)),
    })
    .await
}
