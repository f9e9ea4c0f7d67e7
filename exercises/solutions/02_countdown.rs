//! # Exercise 2, reference solution: a hand-written future
//!
//! `Countdown::new(n)` is not ready for its first `n` polls. Each time it answers `Pending` it
//! must keep the promise that word makes, "someone will wake me": nobody else will, so it
//! wakes itself, with the waker of the poll that is running (`cx.waker()`), before returning.
//!
//! Read next: exercises/03_block_on.rs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that is ready on its `n + 1`-th poll, and gives how many polls it took.
#[derive(Debug)]
pub struct Countdown {
    remaining: u32,
    polls: u32,
}

impl Countdown {
    /// A countdown that answers `Pending` `n` times before it is ready.
    pub fn new(n: u32) -> Countdown {
        Countdown {
            remaining: n,
            polls: 0,
        }
    }
}

impl Future for Countdown {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if self.remaining == 0 {
            return Poll::Ready(self.polls);
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
