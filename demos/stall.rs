//! # Demo `stall`: waiting for a message that will never come
//!
//! A consumer task waits on a channel. The program keeps the sending end alive but never
//! sends. No task is ready, no timer is set, no socket is waited on, and nothing runs outside
//! the loop: nothing can ever happen again. Many runtimes simply hang here; glassloop under the
//! virtual clock stops with an error and the task dump, which shows who waits where.
//!
//! The channel is hand-written (twenty lines, below) so the demo shows where the waker is
//! kept: in the channel, *inside* the loop. That is why the waker's reference count alone
//! cannot prove the stall (the waker exists, held by a channel nobody uses) and the loop looks
//! at timers, sockets and announced outside work as well. Under the real clock another thread
//! could still send, so there debug mode prints the dump as a "possible stall" and keeps
//! waiting; this demo therefore always runs on the virtual clock.
//!
//! asyncio: a `Queue.get()` nobody feeds hangs silently; tokio: the same, unless every
//! sender is dropped (then `recv` returns `None`).

use std::cell::RefCell;
use std::future::poll_fn;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::task::{Poll, Waker};

use glassloop::task::Builder as TaskBuilder;
use glassloop::Runtime;

/// A one-value channel for one thread: the value, and the waker of whoever waits for it.
#[derive(Default)]
struct Channel {
    value: Option<String>,
    receiver: Option<Waker>,
}

/// Wait for the channel's value.
async fn receive(channel: Rc<RefCell<Channel>>) -> String {
    poll_fn(|cx| {
        let mut channel = channel.borrow_mut();
        match channel.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                channel.receiver = Some(cx.waker().clone()); // the waker lives in the channel
                Poll::Pending
            }
        }
    })
    .await
}

/// Run the demo.
pub fn main(_runtime: &Runtime) {
    // Its own runtime, always on the virtual clock (the stall is certain there); the flags
    // still apply to it.
    let runtime = crate::with_flags(Runtime::builder().virtual_clock().debug())
        .build()
        .expect("a runtime");
    // The stall is an error (a panic out of block_on); catch it to print it, quietly.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(async {
            let channel = Rc::new(RefCell::new(Channel::default()));
            let _sender = channel.clone(); // kept, never used: the bug
            let consumer = TaskBuilder::new().name("consumer").spawn(receive(channel));
            println!("main: waiting for the consumer, which waits for a message");
            consumer.await.expect("the consumer does not panic")
        })
    }));
    std::panic::set_hook(default_hook);
    match outcome {
        Ok(message) => println!("unexpected: the consumer received {message:?}"),
        Err(panic) => {
            let report = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "a panic without a message".to_string());
            println!("block_on stopped with an error instead of hanging:\n{report}");
        }
    }
    crate::show_flags("stall", &runtime);
}
