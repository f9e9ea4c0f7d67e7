//! # Demo `hello`: the smallest async program
//!
//! One coroutine: it prints, sleeps for a second, prints again and returns a value, which
//! `block_on` hands back. Nothing runs concurrently yet; the point is the shape:
//! `async fn` builds a future, and nothing happens until the loop polls it.
//!
//! In Python:
//!
//! ```text
//! async def greet(name):
//!     print(f"hello, {name}")
//!     await asyncio.sleep(1)
//!     print("... one second later")
//!     return f"greeted {name}"
//! print(asyncio.run(greet("world")))
//! ```
//!
//! Step through it: `break glassloop_demos::hello::greet::{async_fn#0}` (gdb's name; lldb
//! calls it `greet::{{closure}}`) stops inside the coroutine body, at each poll;
//! `break glassloop::time::sleep::sleep` shows the timer being made. docs/debugging.md has
//! the whole session.

use std::time::Duration;

use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// The coroutine. Calling it runs nothing: it returns a future.
async fn greet(name: &str) -> String {
    let start = Instant::now();
    println!("hello, {name}: the coroutine starts");
    sleep(Duration::from_secs(1)).await; // Pending here; the loop sleeps; a timer wakes us
    println!("... {} later, the coroutine resumes", secs(start.elapsed()));
    format!("greeted {name}")
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let future = greet("world"); // nothing printed yet: a future is inert until polled
    println!("created the future; nothing has run yet");
    let value = runtime.block_on(future);
    println!("block_on returned {value:?}");
}
