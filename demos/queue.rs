//! # Demo `queue`: asyncio's worker pool, line for line
//!
//! The example of asyncio's `Queue` documentation: twenty jobs of random length go into a
//! queue, three workers take them one at a time, `queue.join()` waits until every job is
//! marked done, and then the workers, still waiting in `get()` for a job that will never
//! come, are cancelled.
//!
//! ```text
//!   main: put_nowait x 20 ─► [0.68 0.05 0.93 ...] ─► worker-0: get, sleep, task_done, print
//!                                                ─► worker-1: get, sleep, task_done, print
//!                                                ─► worker-2: get, sleep, task_done, print
//!   main: queue.join().await ... the 20th task_done wakes it ─► abort the three workers
//! ```
//!
//! The asyncio original, for comparison:
//!
//! ```text
//!   async def worker(name, queue):
//!       while True:
//!           sleep_for = await queue.get()
//!           await asyncio.sleep(sleep_for)
//!           queue.task_done()
//!           print(f'{name} has slept for {sleep_for:.2f} seconds')
//! ```
//!
//! asyncio draws the lengths with `random.uniform(0.05, 1.0)`; here a tiny seeded generator
//! draws whole milliseconds in the same range, so every run (and the test) sees the same
//! jobs, and under `--virtual-clock` the same instants to the millisecond.
//!
//! asyncio: `asyncio.Queue`, `task_done`, `join`, `task.cancel()`; tokio: none built in (an
//! `async-channel` and a counter); glassloop: `sync::Queue`.

use std::time::Duration;

use glassloop::sync::Queue;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

const JOBS: usize = 20;
const WORKERS: usize = 3;
/// The seed of the job lengths: change it for another (equally repeatable) run.
const SEED: u64 = 2024;

/// SplitMix64: a few lines of arithmetic that turn a seed into a repeatable stream of
/// well-mixed numbers (Steele, Lea and Flood, 2014). Enough for a demo; not for security.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number of milliseconds in `low..=high`: asyncio's `random.uniform` in ms.
    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low + 1))
    }
}

/// One worker: take a job, sleep that long, mark it done, say so; forever, until cancelled.
async fn worker(name: String, queue: Queue<Duration>, start: Instant) {
    loop {
        let sleep_for = queue.get().await;
        sleep(sleep_for).await;
        queue.task_done();
        println!(
            "[{}] {name} has slept for {:.2} seconds",
            secs(start.elapsed()),
            sleep_for.as_secs_f64()
        );
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let queue = Queue::new(0);
        let mut lengths = SplitMix64(SEED);
        let mut total_sleep_time = Duration::ZERO;
        for _ in 0..JOBS {
            let sleep_for = lengths.millis(50, 1000);
            total_sleep_time += sleep_for;
            queue
                .put_nowait(sleep_for)
                .expect("an unbounded queue is never full");
        }

        let tasks: Vec<_> = (0..WORKERS)
            .map(|i| glassloop::spawn(worker(format!("worker-{i}"), queue.clone(), start)))
            .collect();

        let started_at = Instant::now();
        queue.join().await;
        let total_slept_for = started_at.elapsed();

        // The workers wait in `get()` for a job that will never come: cancel them.
        for task in &tasks {
            task.abort();
        }
        let cancelled = {
            let mut cancelled = 0;
            for task in tasks {
                if task.await.is_err_and(|err| err.is_cancelled()) {
                    cancelled += 1;
                }
            }
            cancelled
        };

        println!("====");
        println!(
            "{WORKERS} workers slept in parallel for {:.2} seconds",
            total_slept_for.as_secs_f64()
        );
        println!(
            "total expected sleep time: {:.2} seconds",
            total_sleep_time.as_secs_f64()
        );
        println!(
            "{cancelled} workers cancelled while waiting in get(); {} items left",
            queue.qsize()
        );
    });
}
