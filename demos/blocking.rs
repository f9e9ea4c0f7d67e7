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
//!   resize [blocks]                          resize  (on its own thread) ─────┐ wake
//!   fetches       [1s][4s    ]               fetches [1s][4s    ]              ▼
//!   heartbeat due 1s ─────► fired at 6s      heartbeat fires at 1s        done at 6s
//! ```
//!
//! Debug mode is on, so part 1 ends with the detector's report on stderr (and, while the
//! loop is frozen, the watchdog's). The fix runs the blocking call on a thread of its own;
//! the task waits for it through a hand-written future and a cross-thread waker, and
//! `OutsideWork` tells the loop that work is in flight. (`spawn_blocking` packages exactly
//! this.) This demo needs the real clock; `--fast` divides every duration by ten, and asked
//! for the virtual clock it runs on the real one at `--fast` speed.
//!
//! asyncio: the same program with `time.sleep` in a coroutine, and the fix with
//! `await loop.run_in_executor(None, resize)`; tokio: `tokio::task::spawn_blocking`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use glassloop::task::Builder as TaskBuilder;
use glassloop::time::{sleep, Instant};
use glassloop::{JoinHandle, OutsideWork, Runtime};

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
    sleep(scaled(seconds)).await;
    println!("[{}] fetch of {seconds} s done", secs(start.elapsed()));
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

/// Spawn the heartbeat, then `resize`, then the three fetches, and wait for all of them.
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

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let own;
    let runtime = if runtime.is_virtual_clock() {
        println!("(this demo blocks for real, so it runs on the real clock, at --fast speed)");
        FAST.store(true, std::sync::atomic::Ordering::Relaxed);
        own = Runtime::builder().debug().build().expect("a runtime");
        &own
    } else {
        runtime
    };

    println!("part 1: 'resize image' calls std::thread::sleep inside a task");
    let total = runtime.block_on(async {
        let start = Instant::now();
        let beat = TaskBuilder::new().name("heartbeat").spawn(heartbeat(start));
        let resize = TaskBuilder::new().name("resize image").spawn(async move {
            std::thread::sleep(scaled(6)); // the mistake: blocks the loop's only thread
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

    println!("part 2: the same resize on its own thread");
    let total = runtime.block_on(async {
        let start = Instant::now();
        let beat = TaskBuilder::new().name("heartbeat").spawn(heartbeat(start));
        let resize = TaskBuilder::new().name("resize image").spawn(async move {
            on_a_thread(move || std::thread::sleep(scaled(6))).await;
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

// ─────────────── the fix, by hand: a thread and a waker ───────────────

/// What the thread and the waiting task share.
struct Shared<T> {
    result: Option<T>,
    waker: Option<Waker>,
}

/// Run `job` on a new thread; the returned future completes with its result.
fn on_a_thread<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> ThreadJob<T> {
    let shared = Arc::new(Mutex::new(Shared {
        result: None,
        waker: None,
    }));
    let for_thread = shared.clone();
    let in_flight = OutsideWork::new();
    std::thread::spawn(move || {
        let result = job();
        let waker = {
            let mut shared = for_thread.lock().expect("not poisoned");
            shared.result = Some(result);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake(); // rings the loop's doorbell if it is parked
        }
        drop(in_flight); // after the wake: the loop never sees "nothing in flight" too early
    });
    ThreadJob { shared }
}

/// The future of [`on_a_thread`].
struct ThreadJob<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

impl<T> Future for ThreadJob<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut shared = self.shared.lock().expect("not poisoned");
        match shared.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                // Keep the waker *before* returning Pending, or nobody could wake us.
                shared.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
