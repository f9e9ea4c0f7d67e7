//! # Exercise 1: a waker that counts its wakes
//!
//! Goes with docs/00-a-future-from-zero.md, section 3 ("A waker"). A `Waker` is a handle that
//! says "poll this task again". The simplest honest one does nothing but count, and the next
//! exercises' suites use one like it to watch your futures keep their promises.
//!
//! Fill in the four `todo!()`s. `std::task::Wake` turns any `Arc<T: Wake>` into a `Waker`
//! (`Waker::from(arc)`); every clone of that waker shares the same `T`.
//!
//! Check your work: `cargo test --test exercises --features learner suite_counting_waker`.
//! Each failing test names the rule your code broke.
//!
//! Read next: exercises/02_countdown.rs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};

/// The shared state behind every clone of one counting waker.
#[derive(Debug, Default)]
pub struct WakeCounter {
    wakes: AtomicUsize,
}

impl WakeCounter {
    /// How many times any clone of the waker has been woken so far.
    pub fn count(&self) -> usize {
        todo!("exercise 1: read the counter")
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        todo!("exercise 1: count one wake (the waker is used up)")
    }

    fn wake_by_ref(self: &Arc<Self>) {
        todo!("exercise 1: count one wake (the waker stays usable)")
    }
}

/// A fresh waker and the counter that every clone of it shares.
pub fn counting_waker() -> (Waker, Arc<WakeCounter>) {
    todo!("exercise 1: make an Arc<WakeCounter>, keep one clone, turn the other into a Waker")
}
