//! # Demo `tasks`: start work now, collect it later
//!
//! `spawn` (asyncio's `create_task`) hands a future to the loop and returns at once with a
//! handle. The task does not run yet: it runs when the code that spawned it next awaits,
//! giving the loop a turn. Meanwhile `main` does its own work, and awaits each handle only
//! when it needs the result.
//!
//! ```python
//! coffee = asyncio.create_task(brew("coffee", 2))
//! toast = asyncio.create_task(brew("toast", 3))
//! await asyncio.sleep(1)          # other work
//! print(await coffee); print(await toast)
//! ```
//!
//! Total: 3 s, the longest task, because both ran while `main` was busy.

use std::time::Duration;

use glassloop::task::Builder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// A task that takes `seconds` to make `what`.
async fn make(what: &'static str, seconds: u64, start: Instant) -> &'static str {
    println!(
        "[{}] {what}: started, needs {seconds} s",
        secs(start.elapsed())
    );
    sleep(Duration::from_secs(seconds)).await;
    println!("[{}] {what}: done", secs(start.elapsed()));
    what
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let (coffee_secs, toast_secs, other_work_secs) = (2, 3, 1);
        let coffee = Builder::new()
            .name("coffee")
            .spawn(make("coffee", coffee_secs, start));
        let toast = Builder::new()
            .name("toast")
            .spawn(make("toast", toast_secs, start));
        println!(
            "[{}] main: created tasks 'coffee' and 'toast'; neither has run yet",
            secs(start.elapsed())
        );
        println!(
            "[{}] main: doing other work ({other_work_secs} s) while they run",
            secs(start.elapsed())
        );
        sleep(Duration::from_secs(other_work_secs)).await;
        println!("[{}] main: other work done", secs(start.elapsed()));
        for handle in [coffee, toast] {
            let id = handle.id();
            let made = handle.await.expect("these tasks never panic");
            println!(
                "[{}] main: awaited task {id} -> {made:?}",
                secs(start.elapsed())
            );
        }
        println!(
            "total: {} (one after another: {} s)",
            secs(start.elapsed()),
            coffee_secs + toast_secs + other_work_secs
        );
    });
}
