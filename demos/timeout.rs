//! # Demo `timeout`: a deadline is a cancellation
//!
//! A 10 s operation runs under a 5 s timeout. At exactly 5 s the timeout's own timer fires,
//! the operation's future is dropped (its cleanup guard runs: that is the cancellation), and
//! the caller gets `Err(Elapsed)`. Then a 2 s operation under the same timeout finishes in time.
//!
//! ```python
//! try:
//!     await asyncio.wait_for(operation(10), timeout=5)
//! except TimeoutError:
//!     print("timed out")
//! ```
//!
//! The machinery is in runtime/time/timeout.rs: a future that polls yours, then a `Sleep`.

use std::time::Duration;

use glassloop::time::{sleep, timeout, Instant};
use glassloop::Runtime;

use crate::secs;

/// Prints when the operation's future is dropped, finished or not (Rust's `finally`).
struct Cleanup {
    start: Instant,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("[{}] operation: cleanup ran", secs(self.start.elapsed()));
    }
}

/// An operation that takes `seconds`.
async fn operation(seconds: u64, start: Instant) -> &'static str {
    let _cleanup = Cleanup { start };
    println!(
        "[{}] operation: started, needs {seconds} s",
        secs(start.elapsed())
    );
    sleep(Duration::from_secs(seconds)).await;
    println!("[{}] operation: finished", secs(start.elapsed()));
    "result"
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let limit = Duration::from_secs(5);
        for seconds in [10, 2] {
            let began = Instant::now();
            println!(
                "[{}] a {seconds} s operation under a {} timeout",
                secs(start.elapsed()),
                secs(limit)
            );
            match timeout(limit, operation(seconds, start)).await {
                Ok(value) => println!(
                    "[{}] finished in time after {}: {value:?}",
                    secs(start.elapsed()),
                    secs(began.elapsed())
                ),
                Err(_) => println!(
                    "[{}] timed out after {}: the operation was cancelled",
                    secs(start.elapsed()),
                    secs(began.elapsed())
                ),
            }
        }
    });
}
