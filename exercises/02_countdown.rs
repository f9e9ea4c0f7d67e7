//! # Exercise 2: a hand-written future
//!
//! Goes with docs/00-a-future-from-zero.md, section 2 ("A future by hand").
//! `Countdown::new(n)` answers `Pending` to its first `n` polls and is ready on the next one,
//! with the number of polls it took. `Pending` is a promise: "someone will wake me". Nobody
//! else knows about a countdown, so it must wake itself, with the waker of the poll that is
//! running now (`cx.waker()`), before it returns `Pending`.
//!
//! Check your work: `cargo test --test exercises --features learner suite_countdown`.
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        // `Countdown` is `Unpin`, so `self.remaining` reads and writes through the pin
        // (declare the parameter `mut self` to write).
        todo!("exercise 2: count this poll; ready when nothing remains, else wake and Pending")
    }
}
