//! # Demo `errors`: failing children, and a panic that does not stop the program
//!
//! Three jobs, the second of which fails after 2 s:
//!
//! 1. `gather` of futures returning `Result` collects every outcome, `Vec<Result<..>>`: all
//!    three run to the end (3 s). asyncio: `gather(..., return_exceptions=True)`.
//! 2. `try_gather` stops at the first error (2 s) and cancels the job still running: its
//!    cleanup prints before the error comes back. asyncio: a `TaskGroup`.
//! 3. A task that panics: the panic is caught by the loop and its `JoinHandle` reports it;
//!    a second panicking task whose handle was dropped is reported on stderr as it happens
//!    (asyncio: "Task exception was never retrieved"). The program goes on.
//!
//! The panics also print Rust's usual "thread 'main' panicked at ..." line on stderr; stdout
//! shows what the program saw.

use std::time::Duration;

use glassloop::combinators::{gather, try_gather};
use glassloop::task::Builder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// Prints if a job is dropped before it finished: the job was cancelled.
struct CancelNotice {
    name: &'static str,
    start: Instant,
    finished: bool,
}

impl Drop for CancelNotice {
    fn drop(&mut self) {
        if !self.finished {
            println!(
                "  [{}] job {}: cancelled, cleanup ran",
                secs(self.start.elapsed()),
                self.name
            );
        }
    }
}

/// A job that takes `seconds` and fails if `fails`.
async fn job(name: &'static str, seconds: u64, fails: bool, start: Instant) -> Result<u64, String> {
    let mut notice = CancelNotice {
        name,
        start,
        finished: false,
    };
    sleep(Duration::from_secs(seconds)).await;
    notice.finished = true;
    if fails {
        println!("  [{}] job {name}: failed", secs(start.elapsed()));
        Err(format!("job {name}: bad input"))
    } else {
        println!("  [{}] job {name}: ok", secs(start.elapsed()));
        Ok(seconds)
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let plan = [("a", 1, false), ("b", 2, true), ("c", 3, false)];

        println!("gather, collecting every result (asyncio: return_exceptions=True):");
        let start = Instant::now();
        let all = gather(plan.map(|(name, s, fails)| job(name, s, fails, start))).await;
        println!("  results after {}: {all:?}", secs(start.elapsed()));

        println!("try_gather, stopping at the first error:");
        let start = Instant::now();
        let first = try_gather(plan.map(|(name, s, fails)| job(name, s, fails, start))).await;
        println!("  result after {}: {first:?}", secs(start.elapsed()));

        println!("a panicking task:");
        let risky = Builder::new().name("risky").spawn(async {
            sleep(Duration::from_secs(1)).await;
            panic!("division by zero");
        });
        match risky.await {
            Ok(()) => println!("  it did not panic?"),
            Err(err) => println!("  awaiting its handle gives Err: {err}"),
        }
        drop(Builder::new().name("detached").spawn(async {
            sleep(Duration::from_secs(1)).await;
            panic!("nobody is listening");
        }));
        sleep(Duration::from_secs(2)).await;
        println!(
            "  a detached task panicked too (reported on stderr); the program is still running"
        );
    });
}
