//! # Exercise 4, reference solution: `join`, two futures in one
//!
//! `join(a, b)` runs two futures at the same time *inside one task*: each poll of the join
//! polls every child that has not finished yet, with the join's own waker, so whichever child
//! is woken wakes the join. It is ready when both are, with their outputs in argument order
//! (asyncio's `gather` of two). A finished child is never polled again: its output waits in
//! its slot.
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
        let this = self.get_mut();
        if let Some(a) = this.a.as_mut() {
            if let Poll::Ready(output) = Pin::new(a).poll(cx) {
                this.a_output = Some(output);
                this.a = None;
            }
        }
        if let Some(b) = this.b.as_mut() {
            if let Poll::Ready(output) = Pin::new(b).poll(cx) {
                this.b_output = Some(output);
                this.b = None;
            }
        }
        if this.a.is_none() && this.b.is_none() {
            let a = this.a_output.take().expect("polled after it was ready");
            let b = this.b_output.take().expect("polled after it was ready");
            return Poll::Ready((a, b));
        }
        Poll::Pending
    }
}
