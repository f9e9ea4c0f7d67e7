//! # Demo `cancel`: abort a long task and hear about it
//!
//! A task that would take 10 s is cancelled after 1 s. In asyncio, `task.cancel()` throws
//! `CancelledError` into the coroutine at its next `await`, `finally` blocks run, and
//! `await task` raises `CancelledError`. In glassloop:
//!
//! - `handle.abort()` drops the task's future right away; nothing of it runs again;
//! - a guard held by the task runs its `Drop` during that drop: the `finally`;
//! - `handle.await` gives `Err(JoinError)` with `is_cancelled() == true`: the `CancelledError`.
//!
//! A Rust future cannot refuse or delay its cancellation (asyncio's can catch the error), and
//! its cleanup cannot `await`; both are the price of cancellation by drop.

use std::time::Duration;

use glassloop::task::Builder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// The task's `finally`: runs when the task's future is dropped, however it ends.
struct Finally {
    start: Instant,
}

impl Drop for Finally {
    fn drop(&mut self) {
        println!(
            "[{}] long task: cleanup ran (its Drop guard, Rust's `finally`)",
            secs(self.start.elapsed())
        );
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let long = Builder::new().name("long task").spawn(async move {
            let _finally = Finally { start };
            println!("[{}] long task: started, needs 10 s", secs(start.elapsed()));
            sleep(Duration::from_secs(10)).await;
            println!("[{}] long task: finished", secs(start.elapsed()));
        });
        println!("[{}] main: spawned a 10 s task", secs(start.elapsed()));
        sleep(Duration::from_secs(1)).await;
        println!("[{}] main: cancelling it", secs(start.elapsed()));
        long.abort();
        println!("[{}] main: abort() returned", secs(start.elapsed()));
        match long.await {
            Ok(()) => println!("[{}] main: it finished?", secs(start.elapsed())),
            Err(err) => {
                println!(
                    "[{}] main: awaiting it gives Err: {err}",
                    secs(start.elapsed())
                );
                println!(
                    "[{}] main: is_cancelled() = {} (asyncio: CancelledError)",
                    secs(start.elapsed()),
                    err.is_cancelled()
                );
            }
        }
    });
}
