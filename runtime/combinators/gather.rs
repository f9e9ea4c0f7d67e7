//! # gather: await many futures at once, results in argument order
//!
//! `gather(futures)` runs every future *inside the awaiting task*, concurrently: while one
//! child waits for a timer, the others run. It completes when the last child completes, so the
//! time it takes is the longest child's, not the sum (invariant 12), and it returns the outputs
//! in the order the futures were given, whatever order they finished in.
//!
//! ```text
//!   gather([fetch(1 s), fetch(4 s), fetch(1 s)])
//!   time  0s        1s                     4s
//!   [0]   [────────]done ─► out[0]
//!   [1]   [───────────────────────────────]done ─► out[1] ─► Ready(vec![out0, out1, out2])
//!   [2]   [────────]done ─► out[2]
//! ```
//!
//! A child is re-polled only when its own waker was woken (see `children.rs`); a gather of a
//! thousand sleepers polls one child when one timer fires, not a thousand.
//!
//! ## Results and errors
//!
//! asyncio's `gather(..., return_exceptions=True)` collects exceptions as values. In Rust an
//! error *is* a value: gather futures that return `Result` and you get `Vec<Result<T, E>>`,
//! every child run to the end. asyncio's default (`return_exceptions=False`, the first
//! exception propagates) is [`try_gather`](super::try_gather), which stops at the first `Err`
//! and cancels the rest.
//!
//! A child that *panics* unwinds straight through gather into the awaiting task, because the
//! children are polled on its stack: the other children are dropped (cancelled) as the panic
//! passes, and the task's `JoinHandle` reports the panic. Nothing catches it on the way.
//!
//! ## Children are futures, not tasks
//!
//! asyncio's gather wraps each coroutine in a Task; glassloop's, like `futures::join_all` and
//! tokio's `join!`, polls them in place: no spawn, no allocation in the slab, and cancelling
//! the gather (dropping it) cancels every child at once. To gather *tasks*, pass their
//! `JoinHandle`s: they are futures too (and dropping a handle detaches, see `abort_on_drop.rs`).
//!
//! Read next: `try_gather.rs`.

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::children::{Children, InOrder};

/// Await every future concurrently and return their outputs in argument order.
///
/// The elapsed time is the longest child's. Children returning `Result` give a
/// `Vec<Result<..>>`: that is asyncio's `return_exceptions=True`.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::gather;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let fetch = |secs: u64| async move {
///         sleep(Duration::from_secs(secs)).await;
///         secs * 10
///     };
///     let out = gather([fetch(1), fetch(4), fetch(1)]).await;
///     assert_eq!(out, vec![10, 40, 10]); // argument order
///     assert_eq!(start.elapsed(), Duration::from_secs(4)); // the longest, not 6 s
/// });
/// ```
///
/// asyncio: `await asyncio.gather(*coros)`; tokio: `futures::future::join_all` (or a
/// `JoinSet` of spawned tasks).
#[track_caller]
pub fn gather<I>(futures: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children = Children::new("gather", futures);
    let outputs = InOrder::new(children.len());
    Gather { children, outputs }
}

/// The future returned by [`gather`]: asyncio's gathering future, futures' `JoinAll`.
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    children: Children<F>,
    outputs: InOrder<F::Output>,
}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outputs = &mut this.outputs;
        this.children.poll_woken(cx, |index, output| {
            outputs.put(index, output);
            ControlFlow::Continue(())
        });
        if this.children.remaining() > 0 {
            return Poll::Pending;
        }
        Poll::Ready(this.outputs.take_all("gather"))
    }
}

impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> std::fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gather")
            .field("children", &self.children.len())
            .field("remaining", &self.children.remaining())
            .finish()
    }
}

/// One child of a fixed-size gather, tagged with its position so that children of different
/// types fit in one `Vec`.
enum Tagged<A, B, C> {
    First(A),
    Second(B),
    Third(C),
}

type TaggedChild<'a, A, B, C> = Pin<Box<dyn Future<Output = Tagged<A, B, C>> + 'a>>;

/// Await two futures of different types concurrently: `(a_output, b_output)`.
///
/// Built on [`gather`]: each child is boxed and tagged with its position, so the tuple forms
/// share the one engine (and its per-child wakers).
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::gather2;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let name = async { sleep(Duration::from_secs(2)).await; "ada" };
///     let age = async { sleep(Duration::from_secs(3)).await; 36 };
///     assert_eq!(gather2(name, age).await, ("ada", 36));
///     assert_eq!(start.elapsed(), Duration::from_secs(3));
/// });
/// ```
///
/// asyncio: `a, b = await asyncio.gather(a(), b())`; tokio: `tokio::join!(a, b)`.
pub async fn gather2<'a, A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: Future + 'a,
    B: Future + 'a,
{
    let children: Vec<TaggedChild<'a, A::Output, B::Output, ()>> = vec![
        Box::pin(async move { Tagged::First(a.await) }),
        Box::pin(async move { Tagged::Second(b.await) }),
    ];
    let mut outputs = gather(children).await.into_iter();
    match (outputs.next(), outputs.next()) {
        (Some(Tagged::First(a)), Some(Tagged::Second(b))) => (a, b),
        _ => unreachable!("gather returns outputs in argument order"),
    }
}

/// Await three futures of different types concurrently: `(a_output, b_output, c_output)`.
///
/// asyncio: `a, b, c = await asyncio.gather(a(), b(), c())`; tokio: `tokio::join!(a, b, c)`.
pub async fn gather3<'a, A, B, C>(a: A, b: B, c: C) -> (A::Output, B::Output, C::Output)
where
    A: Future + 'a,
    B: Future + 'a,
    C: Future + 'a,
{
    let children: Vec<TaggedChild<'a, A::Output, B::Output, C::Output>> = vec![
        Box::pin(async move { Tagged::First(a.await) }),
        Box::pin(async move { Tagged::Second(b.await) }),
        Box::pin(async move { Tagged::Third(c.await) }),
    ];
    let mut outputs = gather(children).await.into_iter();
    match (outputs.next(), outputs.next(), outputs.next()) {
        (Some(Tagged::First(a)), Some(Tagged::Second(b)), Some(Tagged::Third(c))) => (a, b, c),
        _ => unreachable!("gather returns outputs in argument order"),
    }
}
