//! # Demo `sync_vs_async`: the same three jobs, one after another and then gathered
//!
//! Each job waits one second (a stand-in for a network call). Awaited one after another they
//! take 3 s: each `await` gives the loop nothing else to do. Gathered, the three waits overlap
//! and the whole thing takes 1 s: the longest job, not the sum (invariant 12).
//!
//! ```text
//!   one after another           gathered
//!   0s   1s   2s   3s           0s   1s
//!   [job1]                      [job1]
//!        [job2]                 [job2]
//!             [job3]            [job3]
//! ```
//!
//! asyncio: `for j in jobs: await j()` versus `await asyncio.gather(*(j() for j in jobs))`.

use std::time::Duration;

use glassloop::combinators::gather;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// One job: wait a second, report when it is done (measured from `start`).
async fn job(number: u32, start: Instant) -> u32 {
    sleep(Duration::from_secs(1)).await;
    println!("  job {number} done at {}", secs(start.elapsed()));
    number
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        println!("one after another:");
        let start = Instant::now();
        for number in 1..=3 {
            job(number, start).await;
        }
        let sequential = start.elapsed();
        println!("sequential: {}", secs(sequential));

        println!("gathered:");
        let start = Instant::now();
        gather((1..=3).map(|number| job(number, start))).await;
        let concurrent = start.elapsed();
        println!("concurrent: {}", secs(concurrent));

        println!(
            "speedup: {:.1}x",
            sequential.as_secs_f64() / concurrent.as_secs_f64()
        );
    });
}
