//! # Demo `sleep`: three sleepers at once
//!
//! Three tasks sleep 1 s, 4 s and 1 s. Spawned together, they sleep *at the same time*: the
//! program takes as long as the longest sleep, 4 s, not the sum, 6 s. While all three sleep the
//! loop has nothing to run and parks in the reactor until the first deadline.
//!
//! ```text
//!   time  0s        1s                    4s
//!   A     [sleep 1s]done
//!   B     [sleep 4s──────────────────────]done
//!   C     [sleep 1s]done
//! ```
//!
//! asyncio: three `asyncio.create_task(worker(...))`, then `await` each.

use std::time::Duration;

use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// One sleeper: says when it starts and when it wakes, measured from `start`.
async fn sleeper(name: &'static str, seconds: u64, start: Instant) -> u64 {
    println!(
        "[{}] task {name} starts, sleeps {seconds} s",
        secs(start.elapsed())
    );
    sleep(Duration::from_secs(seconds)).await;
    println!("[{}] task {name} wakes up", secs(start.elapsed()));
    seconds
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let a = glassloop::spawn(sleeper("A", 1, start));
        let b = glassloop::spawn(sleeper("B", 4, start));
        let c = glassloop::spawn(sleeper("C", 1, start));
        let mut slept = 0;
        for handle in [a, b, c] {
            slept += handle.await.expect("a sleeper never panics");
        }
        println!(
            "all done after {} (one after another it would take {slept} s)",
            secs(start.elapsed())
        );
    });
}
