//! # select and race: the first to finish wins, the rest are cancelled
//!
//! `select(a, b)` polls two futures and completes with whichever finishes first; `race(futures)`
//! does the same for any number of futures of one type. The losers are dropped before the
//! winner is returned, so their destructors have run (that drop is their cancellation).
//!
//! ```text
//!   race([sleep 3 s, sleep 1 s, sleep 2 s])
//!   time  0s        1s
//!   [0]   [────────]✗ dropped
//!   [1]   [────────]done ─► (1, output) at 1 s
//!   [2]   [────────]✗ dropped
//! ```
//!
//! **The tie rule.** Two futures can finish in the same tick (two timers with one deadline).
//! The first *in argument order* wins, always: `select` polls `a` before `b`, and `race` polls
//! its woken children lowest index first (`children.rs`). A deterministic rule makes a program
//! repeatable; tokio's `select!` instead picks a random branch first unless you write `biased;`,
//! to be fair to branches that are always ready.
//!
//! `select` polls both of its futures at every wake: for two children a ready list would cost
//! more than it saves. `race` uses per-child wakers, like `gather`.
//!
//! asyncio's closest forms are `asyncio.wait(..., return_when=FIRST_COMPLETED)` followed by
//! cancelling the pending tasks (see `wait.rs`), or `asyncio.as_completed` taking the first.
//!
//! Read next: `as_completed.rs`.

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::children::Children;

/// Which of two futures finished first, with its output.
///
/// tokio: the branches of `tokio::select!`; `futures::future::Either`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first argument finished first (or both finished in the same poll).
    Left(A),
    /// The second argument finished first.
    Right(B),
}

/// Await two futures; complete with the first to finish and drop the other.
///
/// On a tie (both ready in the same poll) `a` wins: it is polled first.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::{select, Either};
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let slow = async { sleep(Duration::from_secs(5)).await; "slow" };
///     let fast = async { sleep(Duration::from_secs(2)).await; 2 };
///     assert_eq!(select(slow, fast).await, Either::Right(2));
///     assert_eq!(start.elapsed(), Duration::from_secs(2));
/// });
/// ```
///
/// asyncio: `asyncio.wait({a, b}, return_when=FIRST_COMPLETED)` then cancel the other;
/// tokio: `tokio::select! { biased; x = a => .., y = b => .. }`.
pub fn select<A: Future, B: Future>(a: A, b: B) -> Select<A, B> {
    Select { a: Some(Box::pin(a)), b: Some(Box::pin(b)) }
}

/// The future returned by [`select`] (futures' `Select`). Both futures are boxed so `Select`
/// is `Unpin`.
#[must_use = "futures do nothing unless awaited"]
pub struct Select<A: Future, B: Future> {
    a: Option<Pin<Box<A>>>,
    b: Option<Pin<Box<B>>>,
}

impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (Some(a), Some(b)) = (this.a.as_mut(), this.b.as_mut()) else {
            panic!("a glassloop Select was polled after it completed; await it once");
        };
        let winner = if let Poll::Ready(out) = a.as_mut().poll(cx) {
            Either::Left(out)
        } else if let Poll::Ready(out) = b.as_mut().poll(cx) {
            Either::Right(out)
        } else {
            return Poll::Pending;
        };
        // Drop both now: the loser is cancelled before the winner is handed back.
        this.a = None;
        this.b = None;
        Poll::Ready(winner)
    }
}

impl<A: Future, B: Future> std::fmt::Debug for Select<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select").field("done", &self.a.is_none()).finish()
    }
}

/// Await many futures of one type; complete with `(index, output)` of the first to finish and
/// drop the others.
///
/// On a tie the lowest index wins.
///
/// # Panics
/// When polled with no futures at all: an empty race has no winner and would wait forever.
///
/// asyncio: `asyncio.wait(tasks, return_when=FIRST_COMPLETED)` then cancel the pending ones;
/// tokio: `futures::future::select_all`, `tokio::select!` over many branches.
#[track_caller]
pub fn race<I>(futures: I) -> Race<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    Race { children: Children::new("race", futures) }
}

/// The future returned by [`race`] (futures' `SelectAll`, without the leftovers).
#[must_use = "futures do nothing unless awaited"]
pub struct Race<F: Future> {
    /// Once a winner is found the others are cancelled, so "none remaining" means "done".
    children: Children<F>,
}

impl<F: Future> Future for Race<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            this.children.len() > 0,
            "glassloop::combinators::race was given no futures; an empty race has no winner \
             and would wait forever. Pass at least one future."
        );
        assert!(
            this.children.remaining() > 0,
            "a glassloop Race was polled after it completed; await it once"
        );
        let mut winner = None;
        this.children.poll_woken(cx, |index, output| {
            winner = Some((index, output));
            ControlFlow::Break(())
        });
        match winner {
            Some(winner) => {
                this.children.cancel_all();
                Poll::Ready(winner)
            }
            None => Poll::Pending,
        }
    }
}

impl<F: Future> Unpin for Race<F> {}

impl<F: Future> std::fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Race")
            .field("children", &self.children.len())
            .field("done", &(self.children.remaining() == 0))
            .finish()
    }
}
