//! # RemoteHandle: a result that crosses back to another thread
//!
//! `run_coroutine_threadsafe` runs a future on the loop for a caller who is usually *not* on
//! the loop: a plain thread that wants to block until the answer comes, or a future on some
//! other executor that wants to await it. Both read one cell behind a mutex:
//!
//! ```text
//!   the loop: task 'run_coroutine_threadsafe'        RemoteHandle<T> (any thread)
//!   Completer::complete(result) ── lock ──► result ◄── poll:  take it, or leave a waker
//!                                 notify_all ───────► wait(): sleep on the Condvar until set
//!   Completer dropped unfinished ──► Err(cancelled)       (the loop ended first)
//! ```
//!
//! A `JoinHandle`'s cell (spawn/join.rs) is the task's own `Rc` allocation, read on the loop's
//! thread only; this one is an `Arc<Mutex>` with a `Condvar`, because its reader may be
//! anywhere: a waker for readers that await, the condvar for readers that block. The writer
//! tells both. A `Completer` that is dropped before it wrote (its task was dropped with the
//! loop, or its job was never run) writes "cancelled" in its destructor, so no reader can
//! wait forever.
//!
//! asyncio: the `concurrent.futures.Future` that `run_coroutine_threadsafe` returns
//! (`result()` blocks, `asyncio.wrap_future` awaits); tokio: a `JoinHandle` from
//! `Handle::spawn`, or a `oneshot` channel.
//!
//! Read next: `combinators/`, many futures in one task.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;

use crate::executor::context::note_await_current;
use crate::spawn::JoinError;
use crate::sync::waiters::keep_waker;

/// The result of [`Handle::run_coroutine_threadsafe`](crate::Handle::run_coroutine_threadsafe):
/// a `Send` future of `Result<T, JoinError>` that can also be waited on by a plain thread.
///
/// Dropping it does not cancel the task: the coroutine runs to its end on the loop, and its
/// result is thrown away (a panic nobody retrieves is reported on stderr).
///
/// asyncio: `concurrent.futures.Future` (`result()` is [`wait`](Self::wait)); tokio: the
/// `JoinHandle` of `Handle::spawn`.
pub struct RemoteHandle<T> {
    shared: Arc<Shared<T>>,
    /// The loop's thread: the one thread that must never block in `wait`.
    loop_thread: ThreadId,
}

/// The loop's end of the cell: writes the result once, or "cancelled" when dropped unwritten.
pub(super) struct Completer<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Rung when the result is written, for readers blocked in `wait`.
    written: Condvar,
}

/// The cell. Legal states: running (`result` None, `finished` false); ended, unread
/// (`result` Some, `finished` true); ended, read (`result` None, `finished` true).
/// `result: Some` with `finished: false` cannot happen.
struct State<T> {
    result: Option<Result<T, JoinError>>,
    finished: bool,
    /// The waker of a reader that awaits (none for a reader in `wait`).
    waiter: Option<Waker>,
    /// How errors name the task: its name, then its id once it has started.
    task: String,
    /// True when the `RemoteHandle` is gone: nobody will read the result.
    detached: bool,
}

/// A new cell: the handle for the caller, the completer for the loop's job. `name` labels the
/// task in errors until it has started and has an id.
pub(super) fn pair<T>(loop_thread: ThreadId, name: &str) -> (RemoteHandle<T>, Completer<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            result: None,
            finished: false,
            waiter: None,
            task: format!("'{name}' (not started: its loop ended first)"),
            detached: false,
        }),
        written: Condvar::new(),
    });
    (RemoteHandle { shared: shared.clone(), loop_thread }, Completer { shared })
}

impl<T> Shared<T> {
    /// The state; no user code runs under this lock, so a poisoned one is still consistent.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> RemoteHandle<T> {
    /// Block this thread until the coroutine has finished, and return its result.
    ///
    /// asyncio: `concurrent.futures.Future.result()`.
    ///
    /// # Panics
    /// On the loop's own thread: that thread is the only one that can run the coroutine, so
    /// blocking it would wait forever. `.await` the handle there instead.
    pub fn wait(self) -> Result<T, JoinError> {
        assert!(
            std::thread::current().id() != self.loop_thread,
            "RemoteHandle::wait() was called on the loop's own thread, which is the only \
             thread that can run the coroutine: it would wait forever. Inside async code, \
             `.await` the RemoteHandle instead; call wait() from another thread."
        );
        let mut state = self.shared.lock();
        loop {
            if let Some(result) = state.result.take() {
                return result;
            }
            // `wait` takes `self`, so the result cannot have been read already.
            debug_assert!(!state.finished, "a RemoteHandle read its result twice");
            state = self.shared.written.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// True once the coroutine has finished, panicked or been cancelled.
    ///
    /// asyncio: `concurrent.futures.Future.done()`.
    pub fn is_finished(&self) -> bool {
        self.shared.lock().finished
    }
}

impl<T> Future for RemoteHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if let Some(result) = state.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !state.finished,
            "RemoteHandle for task {} polled again after it returned the task's result; a \
             RemoteHandle yields its result once",
            state.task
        );
        keep_waker(&mut state.waiter, cx.waker());
        drop(state);
        // If this reader is a glassloop task, debug reports show where it waits.
        crate::wait_site::waiting_on(crate::wait_site::WaitOn::Outside);
        note_await_current(Location::caller());
        Poll::Pending
    }
}

impl<T> Drop for RemoteHandle<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.detached = true;
        state.waiter = None;
        if let Some(Err(err)) = &state.result {
            if err.is_panic() {
                eprintln!(
                    "glassloop: the panic of task {} was never retrieved: its RemoteHandle \
                     was dropped without being awaited or waited on ({err})",
                    state.task
                );
            }
        }
    }
}

impl<T> fmt::Debug for RemoteHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("RemoteHandle")
            .field("task", &state.task)
            .field("finished", &state.finished)
            .finish()
    }
}

impl<T> Completer<T> {
    /// The task has started: name it in errors by its name and id from now on.
    pub(super) fn name_task(&self, label: String) {
        self.shared.lock().task = label;
    }

    /// How errors name the task.
    pub(super) fn task(&self) -> String {
        self.shared.lock().task.clone()
    }

    /// Write the result (once), and tell both kinds of reader.
    pub(super) fn complete(&self, result: Result<T, JoinError>) {
        let waiter = {
            let mut state = self.shared.lock();
            if state.finished {
                return;
            }
            state.finished = true;
            if state.detached {
                if let Err(err) = &result {
                    if err.is_panic() {
                        // asyncio: "Future exception was never retrieved"; nobody has a later.
                        eprintln!(
                            "glassloop: task {} panicked and nobody holds its RemoteHandle, \
                             so the panic is reported here: {err}",
                            state.task
                        );
                    }
                }
            } else {
                state.result = Some(result);
            }
            state.waiter.take()
        };
        self.shared.written.notify_all();
        if let Some(waker) = waiter {
            waker.wake();
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        // Dropped before it wrote: the task was dropped with its loop, or the job never ran.
        // Writing "cancelled" here is what makes every ending reach the reader.
        let task = self.task();
        self.complete(Err(JoinError::cancelled(task)));
    }
}

/// The text of a panic payload, when it is a string (as `panic!("...")` makes it).
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    crate::spawn::payload_message(payload).unwrap_or("a panic with a payload that is not a string")
}
