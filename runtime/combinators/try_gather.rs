//! # try_gather: all the values, or the first error at once
//!
//! `try_gather` is [`gather`](super::gather) for futures that return `Result`, with asyncio's
//! default behaviour: the first child to fail ends the whole thing. Its error is returned at
//! once, and every child still running is dropped, which in Rust *is* cancellation: their
//! destructors (the `finally` blocks) have run by the time the `Err` reaches you.
//!
//! ```text
//!   try_gather([ok after 3 s, Err after 1 s, ok after 5 s])
//!   time  0s        1s
//!   [0]   [────────]✗ dropped (its guards run)
//!   [1]   [────────]Err(e) ─────────► Err(e) at 1 s, not 5 s
//!   [2]   [────────]✗ dropped
//! ```
//!
//! Where asyncio differs: `asyncio.gather` without `return_exceptions` propagates the first
//! exception but leaves the other children *running* (it does not cancel them); asyncio's
//! `TaskGroup` cancels them. glassloop's children live inside the gather, so when the gather
//! returns they are gone: the TaskGroup behaviour, and the one `futures::try_join_all` has.
//!
//! Read next: `select.rs`.

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::children::{Children, InOrder};

/// Await every future concurrently; `Ok` with all the values in argument order, or the first
/// `Err` (in time) as soon as it happens, with the other children cancelled.
///
/// If two children fail in the same poll, the one first in argument order wins.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::try_gather;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let job = |secs: u64, fail: bool| async move {
///         sleep(Duration::from_secs(secs)).await;
///         if fail { Err(format!("job {secs} failed")) } else { Ok(secs) }
///     };
///     let all = try_gather([job(3, false), job(1, true), job(5, false)]).await;
///     assert_eq!(all, Err("job 1 failed".to_string()));
///     assert_eq!(start.elapsed(), Duration::from_secs(1)); // did not wait for the others
/// });
/// ```
///
/// asyncio: `await asyncio.gather(*coros)` (the first exception propagates) or a `TaskGroup`;
/// tokio: `futures::future::try_join_all`, `tokio::try_join!`.
#[track_caller]
pub fn try_gather<I, T, E>(futures: I) -> TryGather<I::Item, T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    let children = Children::new("try_gather", futures);
    let values = InOrder::new(children.len());
    TryGather { children, values }
}

/// The future returned by [`try_gather`]: futures' `TryJoinAll`.
#[must_use = "futures do nothing unless awaited"]
pub struct TryGather<F: Future<Output = Result<T, E>>, T, E> {
    children: Children<F>,
    values: InOrder<T>,
}

impl<F, T, E> Future for TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let values = &mut this.values;
        let mut failure = None;
        this.children.poll_woken(cx, |index, output| match output {
            Ok(value) => {
                values.put(index, value);
                ControlFlow::Continue(())
            }
            Err(err) => {
                failure = Some(err);
                ControlFlow::Break(())
            }
        });
        if let Some(err) = failure {
            // Cancel the others now, before the caller sees the error.
            this.children.cancel_all();
            return Poll::Ready(Err(err));
        }
        if this.children.remaining() > 0 {
            return Poll::Pending;
        }
        Poll::Ready(Ok(this.values.take_all("try_gather")))
    }
}

impl<F: Future<Output = Result<T, E>>, T, E> Unpin for TryGather<F, T, E> {}

impl<F: Future<Output = Result<T, E>>, T, E> std::fmt::Debug for TryGather<F, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TryGather")
            .field("children", &self.children.len())
            .field("remaining", &self.children.remaining())
            .finish()
    }
}
