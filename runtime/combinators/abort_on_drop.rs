//! # AbortOnDrop: a JoinHandle that cancels its task when you let go of it
//!
//! Two runtimes, two answers to "I stop waiting for a task; what happens to it?":
//!
//! - **asyncio**: awaiting a task and then being cancelled cancels the awaited task too
//!   (`await task` propagates the `CancelledError` into it), unless you wrap it in
//!   `asyncio.shield`.
//! - **glassloop and tokio**: a [`JoinHandle`] is a *receipt*, not the task. Dropping it, which
//!   is what happens when the task awaiting it is cancelled, *detaches* the task: it runs on and
//!   its result is thrown away (invariant 8). Rust prefers this because a handle can be moved,
//!   stored and dropped in many places, and "drop means kill" would make every such move a
//!   hazard; a detached task also costs nothing to keep correct, since it owns all its data.
//!
//! When you want asyncio's behaviour, say so: wrap the handle in [`AbortOnDrop`]. It awaits
//! like the handle, and when it is dropped before the task finished it calls `abort()`. So a
//! task awaiting an `AbortOnDrop` that is itself cancelled (aborted, timed out, the loser of a
//! `select`) cancels the task it was waiting for, all the way down the chain.
//!
//! ```text
//!   parent ── awaits ──► AbortOnDrop(child handle)       parent.abort()
//!                                                          └─ parent's future dropped
//!                                                              └─ AbortOnDrop dropped
//!                                                                  └─ child.abort(): child's
//!                                                                     future dropped too
//! ```
//!
//! `gather`, `race` and friends need no such wrapper: their children are futures they own, so
//! dropping them drops the children. `TaskGroup` aborts its children on drop for the same reason.
//!
//! asyncio: the default `await task` behaviour; tokio: `tokio_util::task::AbortOnDropHandle`.
//!
//! Read next: `mod.rs`'s table of combinators, or `tests/cancellation.rs` for the experiments.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::spawn::JoinError;
use crate::spawn::JoinHandle;
use crate::task_id::TaskId;

/// A [`JoinHandle`] that aborts its task when dropped before the task finished.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::AbortOnDrop;
/// use glassloop::time::{sleep, timeout};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let child = AbortOnDrop::new(glassloop::spawn(async {
///         sleep(Duration::from_secs(60)).await;
///     }));
///     assert_eq!(rt.live_tasks(), 1);
///     // The timeout drops the AbortOnDrop, which cancels the 60 s task.
///     assert!(timeout(Duration::from_secs(1), child).await.is_err());
///     assert_eq!(rt.live_tasks(), 0);
/// });
/// ```
///
/// asyncio: `await task` (cancellation propagates into the awaited task); tokio:
/// `tokio_util::task::AbortOnDropHandle`.
pub struct AbortOnDrop<T> {
    handle: JoinHandle<T>,
}

impl<T> AbortOnDrop<T> {
    /// Wrap `handle`.
    pub fn new(handle: JoinHandle<T>) -> AbortOnDrop<T> {
        AbortOnDrop { handle }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.handle.id()
    }

    /// Cancel the task now.
    pub fn abort(&self) {
        self.handle.abort();
    }

    /// True once the task has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        // Aborting a finished task does nothing, so no need to ask first.
        self.handle.abort();
    }
}

impl<T> fmt::Debug for AbortOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AbortOnDrop").field(&self.handle).finish()
    }
}
