//! What debug mode costs, switched off and on: `cargo run --release --example observe_cost`.
//!
//! Two workloads from DESIGN.md's list, each timed five times and the best run kept (the
//! machine is shared; the minimum is the least disturbed run): spawn and join 100k tasks, and
//! 1M yields (100 tasks × 10k). Printed in milliseconds, for the runtime with everything off
//! (the default), with debug mode on (watchdog off, then on), and with tracing. Unset
//! GLASSLOOP_DEBUG first, or "off" is not off.

use std::time::{Duration, Instant};

use glassloop::task::yield_now;
use glassloop::{Builder, Runtime};

fn spawn_join(rt: &Runtime) -> u64 {
    rt.block_on(async {
        let handles: Vec<_> = (0..100_000u64)
            .map(|i| glassloop::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    })
}

fn yields(rt: &Runtime) -> u64 {
    rt.block_on(async {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                glassloop::spawn(async {
                    for _ in 0..10_000 {
                        yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        0
    })
}

/// Best of five, in milliseconds.
fn measure(make: &dyn Fn() -> Builder, work: fn(&Runtime) -> u64) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let rt = make().build().unwrap();
        let start = Instant::now();
        std::hint::black_box(work(&rt));
        best = best.min(start.elapsed());
    }
    best.as_secs_f64() * 1000.0
}

/// How one mode builds its runtimes.
type MakeRuntime = Box<dyn Fn() -> Builder>;

fn quiet() -> Builder {
    Runtime::builder().debug_reports_to(glassloop::observe::Reports::new())
}

fn main() {
    let modes: Vec<(&str, MakeRuntime)> = vec![
        ("off (default)", Box::new(Runtime::builder)),
        // Spawning 100k tasks in one poll is itself a slow poll: keep its report off the screen.
        (
            "debug, no watchdog",
            Box::new(|| quiet().debug().watchdog(false)),
        ),
        ("debug + watchdog", Box::new(|| quiet().debug())),
        ("trace", Box::new(|| Runtime::builder().trace())),
    ];
    println!(
        "{:<20} {:>16} {:>16}",
        "mode", "spawn+join 100k", "1M yields"
    );
    for (name, make) in &modes {
        let a = measure(make.as_ref(), spawn_join);
        let b = measure(make.as_ref(), yields);
        println!("{name:<20} {a:>13.1} ms {b:>13.1} ms");
    }
}
