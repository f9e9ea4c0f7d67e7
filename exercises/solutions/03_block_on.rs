//! # Exercise 3, reference solution: `block_on`, a loop for one future
//!
//! The smallest executor: poll the future; if it is pending, park this thread until its waker
//! unparks it; poll again. The waker is "unpark the thread that waits". `std::thread::park`
//! keeps a token, so a wake that comes *before* the park (the future woke itself while it was
//! being polled) is not lost: the park returns at once.
//!
//! Read next: exercises/04_join.rs.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

/// The waker of `block_on`: waking it unparks the thread that runs the future.
struct ThreadWaker {
    thread: Thread,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.thread.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.thread.unpark();
    }
}

/// Run `future` to completion on this thread, sleeping while it is pending.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker {
        thread: std::thread::current(),
    }));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
