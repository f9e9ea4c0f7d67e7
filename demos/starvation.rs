//! # Demo `starvation`: a task that never gives the loop back
//!
//! One thread runs every task, so a task runs until *it* decides to stop: at an `.await`
//! that returns `Pending`. Nothing can interrupt a poll (asyncio cannot interrupt a callback
//! either). The demo shows three worlds, each on the virtual clock, so the order is exact:
//!
//! 1. **A hog.** A task computes in a loop with no `.await` inside. Another task that was
//!    ready all along waits until the hog's whole loop is done.
//! 2. **Taking turns.** Two tasks that `yield_now().await` (asyncio's `await asyncio.sleep(0)`)
//!    between steps interleave: each yield puts the task at the back of the ready queue.
//! 3. **The batch.** One pass of the loop polls at most `batch` ready tasks, then looks at
//!    timers and I/O. Here a runtime with a batch of 2 is turned pass by pass with
//!    `Runtime::step`, so you see which tasks each pass polled (the default is 61).
//! 4. **The virtual clock stands still while anything is ready.** A task that only yields
//!    keeps the ready queue full, so a 1 ms timer waits until the spinner stops. On the real
//!    clock the loop fires that timer between two passes (invariant 4, tested in real time by
//!    tests/invariants.rs); the virtual clock only jumps when nothing can run.
//!
//! docs/07-starvation-and-fairness.md walks this output and the code behind it.
//!
//! Read next: docs/07-starvation-and-fairness.md.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::task::{yield_now, Builder};
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        println!("1. a hog: three steps of work with no .await between them");
        let hog = Builder::new().name("hog").spawn(async {
            for step in 1..=3 {
                // Stands for real work: parsing, hashing, a long computation.
                let sum: u64 = (0..100_000u64).sum();
                println!("  hog: step {step} done (sum {sum}), still in the same poll");
            }
        });
        let other = Builder::new().name("other").spawn(async {
            println!("  other: I was ready since before the hog's first step");
        });
        hog.await.unwrap();
        other.await.unwrap();

        println!("2. taking turns: each yield_now() goes to the back of the queue");
        let turns: Vec<_> = ["A", "B"]
            .into_iter()
            .map(|name| {
                glassloop::spawn(async move {
                    for step in 1..=3 {
                        println!("  {name}: step {step}, then yield");
                        yield_now().await;
                    }
                })
            })
            .collect();
        for handle in turns {
            handle.await.unwrap();
        }
    });

    println!("3. the batch: a pass polls at most 2 tasks here, then looks at timers and I/O");
    let batched = Runtime::builder().virtual_clock().batch(2).build().unwrap();
    for name in ["t1", "t2", "t3"] {
        batched.spawn(async move {
            for _ in 0..2 {
                println!("    {name}");
                yield_now().await;
            }
            println!("    {name} finishes");
        });
    }
    let mut pass = 0;
    while batched.live_tasks() > 0 {
        pass += 1;
        println!("  pass {pass}:");
        batched.step();
    }

    println!("4. a spinner that yields 100 times, against a 1 ms timer");
    runtime.block_on(async {
        let start = Instant::now();
        let spins = Rc::new(Cell::new(0));
        let counted = spins.clone();
        let spinner = glassloop::spawn(async move {
            for _ in 0..100 {
                counted.set(counted.get() + 1);
                yield_now().await;
            }
        });
        sleep(Duration::from_millis(1)).await;
        println!(
            "  main: my 1 ms timer fired at {}, after the spinner's {} yields",
            secs(start.elapsed()),
            spins.get()
        );
        spinner.await.unwrap();
    });
}
