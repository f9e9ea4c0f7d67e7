//! # Demo `trace`: watching the loop turn
//!
//! A small program (two workers that sleep, and a main that waits for both) run with
//! narration on: before each line the program prints, the loop says what it is doing, tick by
//! tick. Read the narration against the four steps of `Runtime::tick`:
//!
//! ```text
//!   tick: ran N task(s)          step 1, RUN
//!     decide: park for ...       step 2, DECIDE (under the virtual clock: "look at I/O
//!                                without sleeping", because time jumps in step 4)
//!     park: ...                  step 3, PARK (only printed when I/O or a thread woke someone)
//!     fire: N timer(s) fired     step 4, FIRE
//! ```
//!
//! At the end the timeline draws the same run: one row per task, time across, `#` where the
//! task ran, `.` where it waited, `r` where it was ready but not yet polled.
//!
//! asyncio: `PYTHONASYNCIODEBUG=1` logs slow callbacks but never narrates; tokio: a
//! `tracing` subscriber can print similar events, with setup.

use std::time::Duration;

use glassloop::task::Builder as TaskBuilder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

async fn worker(name: &'static str, naps: &'static [u64], start: Instant) {
    for &nap in naps {
        sleep(Duration::from_secs(nap)).await;
        println!("[{}] {name} woke after {nap} s", secs(start.elapsed()));
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let builder = crate::with_flags(Runtime::builder())
        .trace()
        .narrate()
        .debug_reports_to_stdout();
    let builder = if runtime.is_virtual_clock() {
        builder.virtual_clock()
    } else {
        builder
    };
    let runtime = builder.build().expect("a runtime");
    runtime.block_on(async {
        let start = Instant::now();
        let a = TaskBuilder::new()
            .name("A")
            .spawn(worker("A", &[1, 1], start));
        let b = TaskBuilder::new().name("B").spawn(worker("B", &[3], start));
        a.await.expect("A does not panic");
        b.await.expect("B does not panic");
        println!("[{}] main: both done", secs(start.elapsed()));
    });
    println!("{}", runtime.timeline());
    // The timeline is printed above already; --trace and --svg still want writing.
    if crate::flags().timeline {
        println!("(--timeline: the timeline above is this demo's)");
    }
    let quiet = crate::Flags {
        timeline: false,
        ..crate::flags().clone()
    };
    crate::show_flags_with(&quiet, "trace", &runtime);
}
