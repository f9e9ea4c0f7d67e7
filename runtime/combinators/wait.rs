//! # wait: block until a condition over several tasks, then split done from pending
//!
//! `gather` owns futures and returns values. asyncio's `wait` is different: it takes *tasks*
//! that are already running, waits until a condition holds (the first one finished, the first
//! one failed, or all finished), and hands back two sets, `done` and `pending`. It cancels
//! nothing: the pending tasks keep running, and you decide their fate.
//!
//! ```text
//!   wait(vec![h0, h1, h2], ReturnWhen::FirstCompleted)
//!   time  0s        1s
//!   h0    [────────────────── still running ──► pending: [h0, h2] (the handles, given back)
//!   h1    [────────]done ───────────────────► done: [(h1's id, Ok(value))]
//!   h2    [────────────────── still running
//! ```
//!
//! In glassloop the tasks are [`JoinHandle`]s. A finished handle has already delivered its
//! result to `wait` (a handle yields its result once), so `done` holds the results with their
//! task ids rather than the handles; `pending` holds the handles themselves, to await again,
//! pass to another `wait`, or `abort()`.
//!
//! **What counts as an exception.** In Rust a task "raises" by panicking; an `Err` it returns
//! is an ordinary value. So `FirstException` returns when a task ends in a panic
//! ([`JoinError::is_panic`]). As in asyncio, a task that was cancelled does not count.
//!
//! asyncio: `done, pending = await asyncio.wait(tasks, return_when=...)`; tokio: no direct
//! form; `JoinSet::join_next` gives the first completed.
//!
//! Read next: `task_group.rs`.

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::children::Children;
use crate::spawn::JoinError;
use crate::spawn::JoinHandle;
use crate::task_id::TaskId;

/// When [`wait`] returns.
///
/// asyncio: `asyncio.FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as at least one task has ended (every task that ended in the same poll is in
    /// `done`).
    FirstCompleted,
    /// As soon as a task panics, or when all have ended if none does.
    FirstException,
    /// When every task has ended.
    AllCompleted,
}

/// What [`wait`] returns: the tasks that ended, with their results, and those still running.
///
/// asyncio: the `(done, pending)` pair of sets.
#[derive(Debug)]
pub struct WaitOutcome<T> {
    /// Tasks that ended, in the order `wait` saw them end, each with its result.
    pub done: Vec<(TaskId, Result<T, JoinError>)>,
    /// Tasks still running, in argument order. Nothing cancelled them.
    pub pending: Vec<JoinHandle<T>>,
}

/// Wait for tasks until `when` holds; split them into done and pending.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::{wait, ReturnWhen};
/// use glassloop::time::sleep;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let job = |secs: u64| glassloop::spawn(async move {
///         sleep(Duration::from_secs(secs)).await;
///         secs
///     });
///     let outcome = wait(vec![job(3), job(1), job(2)], ReturnWhen::FirstCompleted).await;
///     assert_eq!(outcome.done.len(), 1);
///     assert_eq!(*outcome.done[0].1.as_ref().unwrap(), 1);
///     assert_eq!(outcome.pending.len(), 2); // still running: cancel them or await them
///     for handle in &outcome.pending {
///         handle.abort();
///     }
/// });
/// ```
///
/// asyncio: `asyncio.wait(tasks, return_when=...)`.
#[track_caller]
pub fn wait<T>(handles: Vec<JoinHandle<T>>, when: ReturnWhen) -> Wait<T> {
    let ids = handles.iter().map(JoinHandle::id).collect();
    Wait { ids, children: Children::new("wait", handles), done: Vec::new(), when, finished: false }
}

/// The future returned by [`wait`] (asyncio: the coroutine `asyncio.wait` returns).
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    /// The task id of each handle, by argument index (a finished handle's result no longer
    /// says which task it came from).
    ids: Vec<TaskId>,
    children: Children<JoinHandle<T>>,
    /// Results seen so far, in the order they were seen.
    done: Vec<(TaskId, Result<T, JoinError>)>,
    when: ReturnWhen,
    finished: bool,
}

impl<T> Future for Wait<T> {
    type Output = WaitOutcome<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WaitOutcome<T>> {
        let this = self.get_mut();
        assert!(!this.finished, "a glassloop Wait was polled after it completed; await it once");
        let ids = &this.ids;
        let done = &mut this.done;
        let mut panicked = false;
        this.children.poll_woken(cx, |index, result| {
            panicked |= matches!(&result, Err(err) if err.is_panic());
            done.push((ids[index], result));
            ControlFlow::Continue(())
        });
        let ready = match this.when {
            ReturnWhen::FirstCompleted => !this.done.is_empty(),
            ReturnWhen::FirstException => panicked,
            ReturnWhen::AllCompleted => false,
        } || this.children.remaining() == 0;
        if !ready {
            return Poll::Pending;
        }
        this.finished = true;
        let pending = this
            .children
            .take_pending()
            .into_iter()
            .map(|(_, handle)| *Pin::into_inner(handle))
            .collect();
        Poll::Ready(WaitOutcome { done: std::mem::take(&mut this.done), pending })
    }
}

// The results are plain values, never pinned.
impl<T> Unpin for Wait<T> {}

impl<T> std::fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wait")
            .field("when", &self.when)
            .field("done", &self.done.len())
            .field("pending", &self.children.remaining())
            .finish()
    }
}
