//! # as_completed: results in the order they finish
//!
//! `gather` waits for everything and hands results back in argument order. Sometimes you want
//! each result the moment it is ready: show the fastest page first, stop after enough answers.
//! `as_completed(futures)` keeps the futures and gives them back one finished output at a time,
//! in finishing order, through an async `next()` (the plain form of async iteration).
//!
//! ```text
//!   let mut done = as_completed([fetch(3 s), fetch(1 s), fetch(2 s)]);
//!   done.next().await  ─► Some((1, ..)) at 1 s
//!   done.next().await  ─► Some((2, ..)) at 2 s
//!   done.next().await  ─► Some((0, ..)) at 3 s
//!   done.next().await  ─► None
//! ```
//!
//! Each item carries the future's argument index, because finishing order loses it. Children
//! that finish in the same tick come out lowest index first. The futures run only while
//! `next()` is being awaited (they live inside the `AsCompleted`, not in tasks of their own);
//! dropping the `AsCompleted` cancels the ones still running. To keep them running in between,
//! spawn them and pass the `JoinHandle`s.
//!
//! asyncio: `for coro in asyncio.as_completed(aws): result = await coro`; tokio: `JoinSet`'s
//! `join_next()`, or `futures::stream::FuturesUnordered`.
//!
//! Read next: `wait.rs`.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::children::Children;

/// Yield the futures' outputs in finishing order, each as `(argument index, output)`.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::as_completed;
/// use glassloop::time::sleep;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let fetch = |secs: u64| async move { sleep(Duration::from_secs(secs)).await; secs };
///     let mut done = as_completed([fetch(3), fetch(1), fetch(2)]);
///     let mut order = Vec::new();
///     while let Some((index, secs)) = done.next().await {
///         order.push((index, secs));
///     }
///     assert_eq!(order, vec![(1, 1), (2, 2), (0, 3)]);
/// });
/// ```
///
/// asyncio: `asyncio.as_completed`; tokio: `JoinSet::join_next`, `FuturesUnordered`.
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted { children: Children::new("as_completed", futures), finished: VecDeque::new() }
}

/// The iterator-like value returned by [`as_completed`]; call [`next`](AsCompleted::next).
///
/// asyncio: the iterator `asyncio.as_completed` returns; tokio: a `JoinSet` being drained.
pub struct AsCompleted<F: Future> {
    children: Children<F>,
    /// Outputs that finished but were not handed out yet (several can finish in one poll).
    finished: VecDeque<(usize, F::Output)>,
}

impl<F: Future> AsCompleted<F> {
    /// The next output to finish, or `None` when every future has been handed out.
    // Named `next` on purpose: `while let Some(x) = it.next().await` is the plain form of
    // async iteration. It is not `Iterator::next`, which could not wait.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, F> {
        Next { inner: self }
    }

    /// How many outputs are still to come.
    pub fn remaining(&self) -> usize {
        self.children.remaining() + self.finished.len()
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if let Some(item) = self.finished.pop_front() {
            return Poll::Ready(Some(item));
        }
        if self.children.remaining() == 0 {
            return Poll::Ready(None);
        }
        let finished = &mut self.finished;
        self.children.poll_woken(cx, |index, output| {
            finished.push_back((index, output));
            ControlFlow::Continue(())
        });
        match self.finished.pop_front() {
            Some(item) => Poll::Ready(Some(item)),
            None => Poll::Pending,
        }
    }
}

impl<F: Future> std::fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsCompleted").field("remaining", &self.remaining()).finish()
    }
}

/// The future returned by [`AsCompleted::next`]: one step of `async for`, like tokio's
/// `JoinSet::join_next` future.
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, F: Future> {
    inner: &'a mut AsCompleted<F>,
}

impl<F: Future> Future for Next<'_, F> {
    type Output = Option<(usize, F::Output)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().inner.poll_next(cx)
    }
}

impl<F: Future> std::fmt::Debug for Next<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish()
    }
}
