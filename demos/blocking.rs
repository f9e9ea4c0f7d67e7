//! # Demo `blocking`: one blocking call freezes every task
//!
//! The most common mistake in async code: calling something that blocks (here
//! `std::thread::sleep`, in real programs `std::fs`, a synchronous HTTP client, a long
//! computation) inside a task. The loop has one thread; while that call runs, nothing else
//! does. Three fetches (1 s, 4 s, 1 s) and a resize that blocks for 6 s should take 6 s
//! together; they take 10 s, and a heartbeat timer due at 1 s fires 5 s late.
//!
//! ```text
//!   part 1 (the mistake)                     part 2 (the fix)
//!   0s          6s       10s                 0s          6s
//!   resize [blocks]                          resize  (on a pool thread) ──────┐ wake
//!   fetches       [1s][4s    ]               fetches [1s][4s    ]              ▼
//!   heartbeat due 1s ─────► fired at 6s      heartbeat fires at 1s        done at 6s
//! ```
//!
//! Debug mode is on, so part 1 ends with the detector's report on stderr (and, while the
//! loop is frozen, the watchdog's). The fix hands the blocking call to
//! [`glassloop::spawn_blocking`], which runs it on a thread of the runtime's blocking pool
//! and gives the task a handle to await: the task waits, the loop runs the others, and the
//! pool thread's waker brings the task back when the call returns (runtime/blocking.rs shows
//! the cell, the waker and the hold that tells the loop work is in flight). `--fast` divides
//! every duration by ten (and says so). Asked for the virtual clock, part 1 runs on it, with
//! `glassloop::observe::block_for` playing the blocking call (it moves the virtual clock inside
//! the poll, so the run is exact and its picture is the one docs/ shows); part 2 needs a real
//! pool thread and runs on the real clock at `--fast` speed.
//!
//! asyncio: the same program with `time.sleep` in a coroutine, and the fix with
//! `await loop.run_in_executor(None, resize)` or `await asyncio.to_thread(resize)`; tokio:
//! `tokio::task::spawn_blocking`.
//!
//! Read next: `demos/blocking_pool.rs`, the pool itself under load.

use std::time::Duration;

use glassloop::task::Builder as TaskBuilder;
use glassloop::time::{sleep, Instant};
use glassloop::{spawn_blocking, JoinHandle, Runtime};

use crate::secs;

/// Set when the demo was asked for the virtual clock: it then runs at `--fast` speed.
static FAST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A demo second: one second, or a tenth of one with `--fast`.
fn scaled(seconds: u64) -> Duration {
    let fast = crate::flags().fast || FAST.load(std::sync::atomic::Ordering::Relaxed);
    let second = if fast {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    };
    second * seconds as u32
}

/// Pretend to download something: it only waits, so it never blocks the loop.
async fn fetch(seconds: u64, start: Instant) {
    let length = secs(scaled(seconds));
    println!("[{}] fetch of {length} started", secs(start.elapsed()));
    sleep(scaled(seconds)).await;
    println!("[{}] fetch of {length} done", secs(start.elapsed()));
}

/// A timer due one demo second after the start: late if the loop was blocked.
async fn heartbeat(start: Instant) {
    sleep(scaled(1)).await;
    println!(
        "[{}] heartbeat (due at {})",
        secs(start.elapsed()),
        secs(scaled(1))
    );
}

/// Spawn the three fetches, then wait for `resize` and for them; returns when all are done.
/// (The caller spawns the heartbeat and the resize itself, so that a report's "spawned at"
/// points at the resize it is about.)
async fn gather(resize: JoinHandle<()>, start: Instant) -> Duration {
    let fetches: Vec<_> = [1, 4, 1]
        .into_iter()
        .map(|s| {
            TaskBuilder::new()
                .name(&format!("fetch {s} s"))
                .spawn(fetch(s, start))
        })
        .collect();
    resize.await.expect("resize does not panic");
    for handle in fetches {
        handle.await.expect("a fetch does not panic");
    }
    start.elapsed()
}

/// The mistake: block the loop's thread. Under the virtual clock a real sleep would not move
/// the clock, so `observe::block_for` plays the blocking call: it moves the virtual clock
/// inside the poll, exactly as `std::thread::sleep` holds the real one.
fn block(duration: Duration, virtual_clock: bool) {
    if virtual_clock {
        glassloop::observe::block_for(duration);
    } else {
        std::thread::sleep(duration); // the mistake: blocks the loop's only thread
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let virtual_clock = runtime.is_virtual_clock();
    if virtual_clock {
        println!(
            "(virtual clock: in part 1 glassloop::observe::block_for plays std::thread::sleep, \
             moving the clock 6 s inside the poll; part 2 needs a real pool thread, so it runs \
             on the real clock at --fast speed; --timeline, --trace and --svg show part 1)"
        );
    } else if crate::flags().fast {
        println!("(--fast: every duration is a tenth of the lesson's, so 6 s read 0.600 s)");
    }

    println!("part 1: 'resize image' calls std::thread::sleep inside a task");
    let total = runtime.block_on(async {
        let start = Instant::now();
        let beat = TaskBuilder::new().name("heartbeat").spawn(heartbeat(start));
        let resize = TaskBuilder::new().name("resize image").spawn(async move {
            println!(
                "[{}] resize started: it blocks the loop",
                secs(start.elapsed())
            );
            block(scaled(6), virtual_clock);
            println!("[{}] resize done", secs(start.elapsed()));
        });
        let total = gather(resize, start).await;
        beat.await.expect("the heartbeat does not panic");
        total
    });
    println!(
        "part 1 took {} (the whole block, then the fetches, which could not start before it ended)",
        secs(total)
    );

    let own;
    let runtime = if virtual_clock {
        FAST.store(true, std::sync::atomic::Ordering::Relaxed);
        own = Runtime::builder().debug().build().expect("a runtime");
        &own
    } else {
        runtime
    };
    println!("part 2: the same resize, handed to spawn_blocking (a pool thread)");
    let total = runtime.block_on(async {
        let start = Instant::now();
        let beat = TaskBuilder::new().name("heartbeat").spawn(heartbeat(start));
        let resize = TaskBuilder::new().name("resize image").spawn(async move {
            let six = scaled(6);
            println!(
                "[{}] resize started on a pool thread",
                secs(start.elapsed())
            );
            // The fix: the loop's thread only awaits; a pool thread does the blocking.
            spawn_blocking(move || std::thread::sleep(six))
                .await
                .expect("the resize job does not panic");
            println!("[{}] resize done", secs(start.elapsed()));
        });
        let total = gather(resize, start).await;
        beat.await.expect("the heartbeat does not panic");
        total
    });
    println!(
        "part 2 took {} (everything overlapped: as long as the longest job)",
        secs(total)
    );
}
