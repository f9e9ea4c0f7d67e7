//! # Exercise 3: `block_on`, a loop for one future
//!
//! Goes with docs/00-a-future-from-zero.md, section 4 ("A thirty-line block_on"). Try it before
//! you read that section. Poll the future; while it is pending, park this thread
//! (`std::thread::park`) until its waker unparks it (`Thread::unpark`); then poll again.
//! Never poll a future nobody woke: that is a busy loop, and the suite counts polls.
//!
//! Hint: `std::pin::pin!` pins a future on the stack; `Context::from_waker` makes the context.
//!
//! Check your work: `cargo test --test exercises --features learner suite_block_on`.
//!
//! Read next: exercises/04_join.rs.

use std::future::Future;
use std::sync::Arc;
use std::task::Wake;
use std::thread::Thread;

/// The waker of `block_on`: waking it unparks the thread that runs the future.
struct ThreadWaker {
    thread: Thread,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        todo!("exercise 3: unpark the thread that waits")
    }
}

/// Run `future` to completion on this thread, sleeping while it is pending.
pub fn block_on<F: Future>(future: F) -> F::Output {
    todo!("exercise 3: pin the future, make the waker and the context, then poll and park")
}
