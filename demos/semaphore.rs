//! # Demo `semaphore`: 20 requests, at most 5 at a time
//!
//! Twenty tasks each make a one-second "request", but a `Semaphore(5)` lets only five hold a
//! permit at once. The rest wait in the semaphore's FIFO queue; each finished request drops its
//! permit, which is handed to the oldest waiter. So the requests run in four waves of five:
//!
//! ```text
//!   time   0s      1s      2s      3s      4s
//!   1-5    [█████]
//!   6-10           [█████]
//!   11-15                  [█████]
//!   16-20                          [█████]
//! ```
//!
//! The waves are not printed from a plan: each request records when it really started and
//! ended, and the demo groups those measurements by start time.
//!
//! asyncio: `sem = asyncio.Semaphore(5)` and `async with sem:` in each task; tokio:
//! `Semaphore::new(5)` and `let _permit = sem.acquire().await?`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use glassloop::sync::Semaphore;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

const REQUESTS: usize = 20;
const AT_ONCE: usize = 5;

/// What one request measured: its number, and when it started and ended (since `start`).
struct Measured {
    request: usize,
    started: Duration,
    ended: Duration,
}

/// Counts the requests running now and remembers the most ever seen.
#[derive(Default)]
struct Running {
    now: Cell<usize>,
    most: Cell<usize>,
}

/// One request: wait for a permit, "work" for a second, give the permit back (on drop).
async fn request(
    number: usize,
    semaphore: Rc<Semaphore>,
    running: Rc<Running>,
    log: Rc<RefCell<Vec<Measured>>>,
    start: Instant,
) {
    let _permit = semaphore
        .acquire()
        .await
        .expect("the demo never closes its semaphore");
    running.now.set(running.now.get() + 1);
    running.most.set(running.most.get().max(running.now.get()));
    let started = start.elapsed();
    sleep(Duration::from_secs(1)).await;
    running.now.set(running.now.get() - 1);
    log.borrow_mut().push(Measured {
        request: number,
        started,
        ended: start.elapsed(),
    });
}

/// Group the measurements into waves: requests that started in the same whole second.
fn print_waves(log: &[Measured]) {
    // Keyed by the start rounded to the nearest second; the map keeps the waves in time order.
    let mut waves: BTreeMap<u128, Vec<&Measured>> = BTreeMap::new();
    for measured in log {
        let second = (measured.started.as_millis() + 500) / 1000;
        waves.entry(second).or_default().push(measured);
    }
    for (index, wave) in waves.values_mut().enumerate() {
        wave.sort_by_key(|measured| measured.request);
        let requests: Vec<String> = wave.iter().map(|m| m.request.to_string()).collect();
        let began = wave.iter().map(|m| m.started).min().unwrap_or_default();
        let ended = wave.iter().map(|m| m.ended).max().unwrap_or_default();
        println!(
            "wave {}: {} -> {}  requests {}",
            index + 1,
            secs(began),
            secs(ended),
            requests.join(", ")
        );
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        println!(
            "{REQUESTS} requests of 1 s each; a Semaphore({AT_ONCE}) lets {AT_ONCE} run at a time"
        );
        let start = Instant::now();
        let semaphore = Rc::new(Semaphore::new(AT_ONCE));
        let running = Rc::new(Running::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (1..=REQUESTS)
            .map(|number| {
                glassloop::spawn(request(
                    number,
                    semaphore.clone(),
                    running.clone(),
                    log.clone(),
                    start,
                ))
            })
            .collect();
        for handle in handles {
            handle.await.expect("a request never panics");
        }
        print_waves(&log.borrow());
        println!(
            "at most {} ran at once; all {REQUESTS} done after {} (one at a time: {REQUESTS} s)",
            running.most.get(),
            secs(start.elapsed())
        );
    });
}
