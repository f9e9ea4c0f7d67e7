//! # Exercise 1, reference solution: a waker that counts its wakes
//!
//! A `Waker` is a handle that says "poll this task again". The simplest honest one does
//! nothing but count: the suite uses it to check that wakes reach their owner, that clones
//! share one owner, and that cloning or dropping is not a wake.
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
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A fresh waker and the counter that every clone of it shares.
pub fn counting_waker() -> (Waker, Arc<WakeCounter>) {
    let counter = Arc::new(WakeCounter::default());
    (Waker::from(counter.clone()), counter)
}
