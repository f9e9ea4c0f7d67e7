//! # Exercise 4: `join`, two futures in one
//!
//! Goes with docs/00-a-future-from-zero.md, section 6, and the combinators (runtime/combinators/).
//! `join(a, b)` runs two futures at the same time *inside one task*. Each poll of the join
//! polls every child that has not finished, passing the join's own `cx` on, so a wake of
//! either child wakes the join. It is ready when both are, with `(a's output, b's output)`
//! (asyncio's `gather` of two). A finished child must never be polled again: keep its output
//! in its slot and drop the child.
//!
//! Check your work: `cargo test --test exercises --features learner suite_join`.
//!
//! Read next: exercises/05_wheel_position.rs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future `join` returns.
pub struct Join<A: Future, B: Future> {
    /// The first child, until it finishes.
    a: Option<A>,
    /// Its output, once it has finished.
    a_output: Option<A::Output>,
    /// The second child, until it finishes.
    b: Option<B>,
    /// Its output, once it has finished.
    b_output: Option<B::Output>,
}

/// The outputs are never pinned, only the children, which are `Unpin` themselves.
impl<A: Future + Unpin, B: Future + Unpin> Unpin for Join<A, B> {}

/// Both futures at once; ready with `(a's output, b's output)` when both are.
pub fn join<A: Future + Unpin, B: Future + Unpin>(a: A, b: B) -> Join<A, B> {
    Join {
        a: Some(a),
        a_output: None,
        b: Some(b),
        b_output: None,
    }
}

impl<A: Future + Unpin, B: Future + Unpin> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `self.get_mut()` gives `&mut Join` (Join is Unpin); `Pin::new(child)` pins a child.
        todo!("exercise 4: poll each unfinished child, keep outputs, ready when both are")
    }
}
