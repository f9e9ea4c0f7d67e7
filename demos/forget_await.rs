//! # Demo `forget_await`: the `.await` you forgot
//!
//! Every asyncio course warns about it: call a coroutine function without `await` and nothing
//! happens. Python notices late, at run time, when the coroutine object is garbage collected
//! ("RuntimeWarning: coroutine 'greet' was never awaited"). Rust notices early: calling an
//! `async fn` builds a future, a future is inert until polled, and rustc warns at compile
//! time when one is thrown away ("futures do nothing unless you `.await` or poll them";
//! docs/00-a-future-from-zero.md, section 9, quotes the whole warning).
//!
//! The demo shows the two forms of the mistake:
//!
//! 1. a future created and never awaited: its body never starts, and dropping it is silent;
//! 2. a task spawned and never awaited: it does run, concurrently, but when the main future
//!    returns the loop cancels every task still pending, as `asyncio.run` cancels leftovers.
//!    Its `Drop` guard (Rust's `finally`) runs before `block_on` returns.
//!
//! Read next: demos/starvation.rs, a task that never gives the loop back.

use std::time::Duration;

use glassloop::task::Builder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// A coroutine with something to say, so you can tell whether it ran.
async fn greet(who: &str) {
    println!("  greet({who:?}): the body runs");
}

/// The leftover task's `finally`.
struct Cleanup {
    start: Instant,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!(
            "[{}] leftover: dropped before it finished: cancelled, and this guard ran",
            secs(self.start.elapsed())
        );
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        println!("1. a future that is never awaited");
        let forgotten = greet("forgotten"); // rustc would warn if we did not bind it
        println!("  called greet(\"forgotten\") without .await: nothing printed, nothing ran");
        drop(forgotten);
        println!("  dropped that future: its body never started, and nobody said so");
        greet("awaited").await;

        println!("2. a task that is never awaited");
        let _detached = Builder::new().name("leftover").spawn(async move {
            let _cleanup = Cleanup { start };
            println!("[{}] leftover: started, needs 10 s", secs(start.elapsed()));
            sleep(Duration::from_secs(10)).await;
            println!("[{}] leftover: finished", secs(start.elapsed()));
        });
        sleep(Duration::from_secs(1)).await;
        println!(
            "[{}] main: returns without awaiting the leftover task",
            secs(start.elapsed())
        );
    });
    println!("block_on returned: the leftover task was cancelled on the way out");
}
