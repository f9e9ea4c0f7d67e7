//! # Demo `gather`: three API calls at once, results in the order asked
//!
//! The classic asyncio lesson:
//!
//! ```python
//! async def fetch_data(delay, name):
//!     print(f"Starting {name}")
//!     await asyncio.sleep(delay)
//!     print(f"Finished {name}")
//!     return f"Data from {name}"
//!
//! results = await asyncio.gather(fetch_data(1, "API 1"), fetch_data(4, "API 2"),
//!                                fetch_data(1, "API 3"))
//! ```
//!
//! All three start at once, in argument order. API 1 and API 3 finish at 1 s, API 2 at 4 s;
//! the total is 4 s, and the results still come back as [API 1, API 2, API 3].
//!
//! Step through it: `break glassloop::combinators::children::Children<*>::poll_woken` stops
//! each time gather polls the children that were woken; at 1 s you will see two, at 4 s one.

use std::time::Duration;

use glassloop::combinators::gather;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// Pretend to call an API that answers after `delay` seconds.
async fn fetch_data(delay: u64, name: &str, start: Instant) -> String {
    println!("[{}] Starting {name} ({delay} s)", secs(start.elapsed()));
    sleep(Duration::from_secs(delay)).await;
    println!("[{}] Finished {name}", secs(start.elapsed()));
    format!("Data from {name}")
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let calls = [(1, "API 1"), (4, "API 2"), (1, "API 3")];
        let results = gather(
            calls
                .iter()
                .map(|&(delay, name)| fetch_data(delay, name, start)),
        )
        .await;
        let one_by_one: u64 = calls.iter().map(|&(delay, _)| delay).sum();
        println!(
            "total: {} (one after another: {one_by_one} s)",
            secs(start.elapsed())
        );
        println!("results, in argument order: {results:?}");
    });
}
