//! # Demo `blocking_pool`: the same blocking call, on the pool and inline
//!
//! A ticker task ticks on the loop at a steady period. A blocking call (a `std::thread::sleep`
//! followed by a loop of arithmetic, standing in for a disk, a lock, a C library) runs twice:
//!
//! 1. through `spawn_blocking`: it runs on a pool thread, the loop's thread is free, and the
//!    ticker goes on ticking on time while the call runs;
//! 2. called directly inside a task: the loop's only thread is busy with it, so no other task
//!    runs, and the ticker cannot tick at all until the call returns. Its next tick is as late
//!    as the call was long.
//!
//! ```text
//!   ticker │ tick tick tick tick tick tick │                          │ tick(late!) tick
//!   loop   │ ── awaits the job handle ──── │ ████ the call, inline ██ │
//!   pool   │ ████ the call ███████████████ │                          │
//!           phase 1: spawn_blocking          phase 2: inline
//! ```
//!
//! The demo needs real time: under the virtual clock time stands still while the loop is
//! blocked and while a blocking job runs, so no tick can fall inside either call (it says so).
//! `--fast` shortens it to about a second, for the tests.
//!
//! asyncio: `await asyncio.to_thread(blocking_call)` against calling `blocking_call()` inside a
//! coroutine; tokio: `spawn_blocking` against blocking inside `async fn`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::time::{interval_at, sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// How long the call sleeps, how much it computes, and how often the ticker ticks.
#[derive(Clone, Copy)]
struct Scale {
    sleep: Duration,
    rounds: u64,
    period: Duration,
}

const NORMAL: Scale = Scale {
    sleep: Duration::from_secs(1),
    rounds: 20_000_000,
    period: Duration::from_millis(100),
};

const FAST: Scale = Scale {
    sleep: Duration::from_millis(200),
    rounds: 2_000_000,
    period: Duration::from_millis(20),
};

/// The blocking call: it holds whatever thread runs it. Returns a checksum so the arithmetic
/// cannot be optimised away.
fn blocking_call(scale: Scale) -> u64 {
    std::thread::sleep(scale.sleep);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..scale.rounds {
        // xorshift64: cheap, and impossible to skip without doing it
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

/// What the ticker has seen, shared with the main task (one thread: `Rc<Cell>` is enough).
#[derive(Default)]
struct TickerLog {
    ticks: Cell<u32>,
    /// The latest a tick ran after its scheduled instant, since the last `start_phase`.
    worst_late: Cell<Duration>,
}

impl TickerLog {
    /// Start watching a phase: forget the worst lateness so far, and return the tick count
    /// that the phase's ticks are counted from.
    fn start_phase(&self) -> u32 {
        self.worst_late.set(Duration::ZERO);
        self.ticks.get()
    }
}

async fn ticker(period: Duration, log: Rc<TickerLog>) {
    let mut interval = interval_at(Instant::now() + period, period);
    loop {
        let scheduled = interval.tick().await;
        log.ticks.set(log.ticks.get() + 1);
        log.worst_late
            .set(log.worst_late.get().max(scheduled.elapsed()));
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let scale = if crate::flags().fast { FAST } else { NORMAL };
    println!(
        "a blocking call sleeps {}, then does {} rounds of arithmetic",
        secs(scale.sleep),
        scale.rounds
    );
    println!(
        "a ticker task ticks every {} on the loop",
        secs(scale.period)
    );
    if runtime.is_virtual_clock() {
        println!(
            "note: under the virtual clock time stands still while the loop is blocked or a \
             blocking job runs, so no tick can fall inside either call; run without \
             --virtual-clock to see the difference"
        );
    }
    runtime.block_on(async {
        let log = Rc::new(TickerLog::default());
        let ticking = glassloop::spawn(ticker(scale.period, log.clone()));

        // Phase 1: on the pool. The main task awaits; the loop is free to run the ticker.
        let before = log.start_phase();
        let start = Instant::now();
        let job = glassloop::spawn_blocking(move || blocking_call(scale));
        let on_pool = job.await.expect("the blocking call does not panic");
        let took = start.elapsed();
        let pool_ticks = log.ticks.get() - before;
        println!(
            "1. on the blocking pool: the call took {}; the ticker ticked {} times meanwhile, \
             at most {} late",
            secs(took),
            pool_ticks,
            secs(log.worst_late.get())
        );

        // Phase 2: inline. Nothing else can run on the loop until the call returns.
        let before = log.start_phase();
        let start = Instant::now();
        let inline = blocking_call(scale);
        let took = start.elapsed();
        let inline_ticks = log.ticks.get() - before;
        // Let the ticker run its missed ticks, then see how late the first one was.
        sleep(scale.period * 2).await;
        println!(
            "2. inline on the loop: the call took {}; the ticker ticked {} times meanwhile; \
             its next tick came {} late",
            secs(took),
            inline_ticks,
            secs(log.worst_late.get())
        );
        assert_eq!(on_pool, inline, "the same call gives the same checksum");
        ticking.abort();
        println!("ticks during the call: {pool_ticks} on the pool, {inline_ticks} inline");
    });
}
