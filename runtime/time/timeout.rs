//! # timeout: race a future against a sleep
//!
//! `timeout(d, fut)` is a future that owns two futures, yours and a [`Sleep`], and polls both:
//! yours first (so work that is already done wins a tie), then the sleep. Whichever is ready
//! first decides the result. When the sleep wins, your future is dropped: that drop *is* the
//! cancellation, and its destructors run right there.
//!
//! ```text
//!   poll ─► inner.poll() ── Ready(v) ─────────────► Ok(v)     (sleep dropped: timer cancelled)
//!             │ Pending
//!             └► sleep.poll() ── Ready ────────────► Err(Elapsed)  (inner dropped: cancelled)
//!                  │ Pending ─► Pending (both wakers registered; either wakes the task)
//! ```
//!
//! ## Your future lives inside the timeout
//!
//! To poll your future the `Timeout` needs it pinned, and to cancel it must drop it in place.
//! Pinning a field of a struct that is itself pinned ("structural pinning") cannot be
//! written in safe Rust by hand, so this file uses `pin-project-lite`'s `pin_project!`, the
//! macro tokio uses for the same job, which writes that projection once and checks it. The
//! alternative, boxing your future, costs an allocation per timeout, paid even by the
//! timeouts that never fire (most of them).
//!
//! ## The clock starts when you await it
//!
//! The sleep is made at the first poll that finds your future not ready, not when `timeout`
//! is called: the deadline is the duration counted from then. For `timeout(d, fut).await`
//! the two are the same moment; a timeout around work that is already done never reads the
//! clock at all, which is most of what a timeout costs (tests/allocations.rs checks that it
//! does not allocate either). asyncio's `wait_for` counts from when it is awaited too (it
//! is a coroutine: nothing runs before); tokio's `timeout` counts from the call.
//!
//! asyncio: `asyncio.wait_for(coro, timeout)` / `asyncio.timeout()`, which raise
//! `TimeoutError`; tokio: `tokio::time::timeout`.
//!
//! Read next: `interval.rs`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::sleep::{sleep, sleep_until, Sleep};
use super::Instant;
use pin_project_lite::pin_project;

/// Run `future`, but give up after `duration`: `Ok(output)` or `Err(Elapsed)`.
///
/// ```
/// use std::time::Duration;
/// use glassloop::time::{sleep, timeout, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let slow = sleep(Duration::from_secs(10));
///     assert!(timeout(Duration::from_secs(5), slow).await.is_err());
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
/// });
/// ```
///
/// The `duration` is counted from the first poll that finds `future` not ready: for
/// `timeout(d, fut).await`, from the `.await` (see the file's header).
///
/// asyncio: `asyncio.wait_for`; tokio: `tokio::time::timeout` (which counts from the call).
///
/// # Panics
/// When polled outside a running glassloop runtime while `future` is not ready.
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let at = Location::caller();
    Timeout { future: Some(future), limit: Limit::After(duration), sleep: None, at }
}

/// Like [`timeout`], with an absolute deadline.
///
/// # Panics
/// When polled outside a running glassloop runtime while `future` is not ready.
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    let at = Location::caller();
    Timeout { future: Some(future), limit: Limit::At(deadline), sleep: None, at }
}

/// What the caller asked for, kept until the sleep is made.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// `timeout`: this long after the first poll that finds the future not ready.
    After(Duration),
    /// `timeout_at`: this instant.
    At(Instant),
}

pin_project! {
    /// The future returned by [`timeout`].
    ///
    /// Your future lives inside the `Timeout`, not in a box of its own: a timeout around a
    /// future that is ready at once touches neither the timer wheel (the sleep is only
    /// registered by its first poll, which never comes) nor the allocator. It is dropped the
    /// moment the deadline wins, so polling the `Timeout` again after `Err(Elapsed)` panics.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F: Future> {
        // Pinned in place with the `Timeout` (see the file header on why this needs a macro).
        #[pin]
        future: Option<F>,
        limit: Limit,
        // Made by the first poll that finds `future` not ready.
        sleep: Option<Sleep>,
        // Where `timeout` was called: the sleep's await point in debug reports.
        at: &'static Location<'static>,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("a glassloop Timeout was polled again after it returned Err(Elapsed)");
        };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let sleep = this.sleep.get_or_insert_with(|| {
            let mut sleep = match *this.limit {
                Limit::After(duration) => sleep(duration),
                Limit::At(deadline) => sleep_until(deadline),
            };
            sleep.set_await_point(this.at);
            sleep
        });
        let after = sleep.deadline();
        match Pin::new(sleep).poll(cx) {
            Poll::Ready(()) => {
                // The cancellation: your future's destructors run now, not whenever the
                // `Timeout` itself is dropped.
                this.future.set(None);
                Poll::Ready(Err(Elapsed { deadline: after }))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deadline = self.sleep.as_ref().map(Sleep::deadline);
        f.debug_struct("Timeout").field("limit", &self.limit).field("deadline", &deadline).finish()
    }
}

/// The error of a [`timeout`] whose deadline passed first.
///
/// asyncio: `TimeoutError`; tokio: `tokio::time::error::Elapsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    deadline: Instant,
}

impl Elapsed {
    /// The deadline that passed.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out: the deadline at {:?} after the runtime started passed before the \
             operation finished",
            self.deadline.since_origin()
        )
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(elapsed: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::{pending, poll_fn};
    use std::rc::Rc;

    use super::*;

    /// Sets its flag when dropped.
    struct DropFlag(Rc<Cell<bool>>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    #[test]
    fn a_timed_out_future_is_dropped_when_the_deadline_wins_not_when_the_timeout_goes() {
        let rt = crate::Runtime::builder().virtual_clock().build().unwrap();
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        rt.block_on(async move {
            let mut guarded = Box::pin(timeout(Duration::from_secs(1), async move {
                let _flag = flag;
                pending::<()>().await;
            }));
            let result = poll_fn(|cx| guarded.as_mut().poll(cx)).await;
            assert!(result.is_err());
            assert!(dropped.get(), "still alive while the Timeout that gave up on it lives");
            drop(guarded);
        });
    }
}
