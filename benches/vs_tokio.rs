//! # glassloop beside tokio: the same workloads, the same process, a ratio
//!
//! A number such as "100k spawns take 40 ms" says little on its own: it depends on the machine,
//! the compiler and whatever else the machine is doing. So every workload here runs twice in the
//! same process, once on glassloop and once on tokio's `current_thread` runtime (the tokio
//! runtime closest to glassloop: one thread, no work stealing), and the figure to read is the
//! ratio, glassloop's time divided by tokio's. 1.00 means as fast as tokio; 2.00 means twice as
//! slow. Noise from other processes hits both runtimes alike, because their runs are
//! interleaved (glassloop, tokio, glassloop, tokio, ...) and each side reports its median.
//!
//! ```text
//!   for each workload:      warm-up: G T   (not counted)
//!                           runs:    G T G T G T ...
//!                           report:  median(G)  median(T)  median(G) / median(T)
//! ```
//!
//! What is timed is `block_on` alone: building a runtime (an epoll instance, a timer wheel,
//! tokio's driver) happens before the clock starts. tokio is built with `enable_all()` because
//! glassloop always has its reactor and timer wheel switched on.
//!
//! Each workload checks its own result (a sum of every task's output, a count of timeouts that
//! did not fire), so an optimiser or a bug cannot make one side look fast by skipping the work.
//!
//! Honest limits: this is a plain `main`, not a statistics harness such as criterion; it reports
//! the median of a few runs and their spread, nothing more. Figures from a shared or busy
//! machine move by tens of percent from one run to the next; read the ratio, and distrust any
//! difference smaller than the spread.
//!
//! Run it: `cargo bench --bench vs_tokio`; add `-- NAME` to run only the workloads whose name
//! contains NAME, e.g. `cargo bench --bench vs_tokio -- timers`. benches/README.md explains what
//! each workload exercises.
//!
//! Read next: runtime/executor.rs, whose `Runtime::tick` is what most of these workloads time.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// spawn+join: this many tasks, each returning its index.
const SPAWN_TASKS: u64 = 100_000;
/// 1M yields, as this many tasks ...
const YIELD_TASKS: u64 = 1_000;
/// ... each yielding this many times.
const YIELDS_PER_TASK: u64 = 1_000;
/// Timers: this many sleeping tasks ...
const TIMERS: u64 = 100_000;
/// ... with deadlines spread evenly over 1..=TIMER_SPREAD_MS milliseconds.
const TIMER_SPREAD_MS: u64 = 200;
/// Timeouts that never fire: this many `timeout(NEVER, ready)` awaited one after another.
const TIMEOUTS: u64 = 1_000_000;
/// A timeout long enough never to fire during the benchmark.
const NEVER: Duration = Duration::from_secs(3600);

/// One workload: a name, how many counted runs, and the same work written for each runtime.
/// Each function builds its runtime, then returns how long `block_on` took.
struct Workload {
    name: &'static str,
    runs: usize,
    glassloop: fn() -> Duration,
    tokio: fn() -> Duration,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "spawn+join 100k tasks",
        runs: 7,
        glassloop: glassloop_spawn_join,
        tokio: tokio_spawn_join,
    },
    Workload {
        name: "1M yields (1000 tasks x 1000)",
        runs: 7,
        glassloop: glassloop_yields,
        tokio: tokio_yields,
    },
    Workload {
        name: "100k timers over 1..=200 ms",
        runs: 5,
        glassloop: glassloop_timers,
        tokio: tokio_timers,
    },
    Workload {
        name: "1M timeouts that never fire",
        runs: 7,
        glassloop: glassloop_timeouts,
        tokio: tokio_timeouts,
    },
];

fn main() {
    // `cargo bench` passes flags such as `--bench`; any other argument filters by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())))
        .collect();
    if selected.is_empty() {
        eprintln!("no workload matches {filters:?}. The workloads are:");
        for workload in WORKLOADS {
            eprintln!("  {}", workload.name);
        }
        std::process::exit(2);
    }

    println!("glassloop vs tokio current_thread; median of N interleaved runs, [min..max]");
    println!(
        "{:<31} {:>3} {:>25} {:>25} {:>7}",
        "workload", "N", "glassloop", "tokio", "ratio"
    );
    for workload in selected {
        let (glassloop, tokio) = measure(workload);
        println!(
            "{:<31} {:>3} {:>25} {:>25} {:>7.2}",
            workload.name,
            workload.runs,
            summary(&glassloop),
            summary(&tokio),
            median(&glassloop).as_secs_f64() / median(&tokio).as_secs_f64()
        );
    }
}

/// One uncounted warm-up per side, then `runs` interleaved runs per side.
fn measure(workload: &Workload) -> (Vec<Duration>, Vec<Duration>) {
    (workload.glassloop)();
    (workload.tokio)();
    let mut glassloop = Vec::with_capacity(workload.runs);
    let mut tokio = Vec::with_capacity(workload.runs);
    for _ in 0..workload.runs {
        glassloop.push((workload.glassloop)());
        tokio.push((workload.tokio)());
    }
    (glassloop, tokio)
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// "41.2 ms [39.8..47.0]": the median, then the fastest and slowest run.
fn summary(times: &[Duration]) -> String {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let min = times.iter().min().map(ms).unwrap_or(0.0);
    let max = times.iter().max().map(ms).unwrap_or(0.0);
    format!("{:.1} ms [{min:.1}..{max:.1}]", ms(&median(times)))
}

/// Time `f`, keeping its result alive so the work cannot be optimised away.
fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn glassloop_runtime() -> glassloop::Runtime {
    glassloop::Runtime::new().expect("glassloop could not create its reactor")
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio could not create its runtime")
}

/// The sum of 0..n, which spawn+join must reproduce from the tasks' outputs.
fn sum_below(n: u64) -> u64 {
    n * (n - 1) / 2
}

/// Timer `i`'s delay: 1..=TIMER_SPREAD_MS ms, every value used equally often, in a scattered
/// order (37 is coprime to 200, so each block of 200 timers visits every delay once).
fn timer_delay(i: u64) -> Duration {
    Duration::from_millis(1 + (i * 37) % TIMER_SPREAD_MS)
}

// ───────────────────────────── spawn+join ─────────────────────────────

fn glassloop_spawn_join() -> Duration {
    let runtime = glassloop_runtime();
    timed(|| {
        let sum = runtime.block_on(async {
            let handles: Vec<_> = (0..SPAWN_TASKS)
                .map(|i| glassloop::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("a spawn+join task never fails");
            }
            sum
        });
        assert_eq!(sum, sum_below(SPAWN_TASKS));
    })
}

fn tokio_spawn_join() -> Duration {
    let runtime = tokio_runtime();
    timed(|| {
        let sum = runtime.block_on(async {
            let handles: Vec<_> = (0..SPAWN_TASKS)
                .map(|i| tokio::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("a spawn+join task never fails");
            }
            sum
        });
        assert_eq!(sum, sum_below(SPAWN_TASKS));
    })
}

// ───────────────────────────── yields ─────────────────────────────

fn glassloop_yields() -> Duration {
    let runtime = glassloop_runtime();
    timed(|| {
        let total = runtime.block_on(async {
            let handles: Vec<_> = (0..YIELD_TASKS)
                .map(|_| {
                    glassloop::spawn(async {
                        for _ in 0..YIELDS_PER_TASK {
                            glassloop::task::yield_now().await;
                        }
                        YIELDS_PER_TASK
                    })
                })
                .collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.expect("a yielding task never fails");
            }
            total
        });
        assert_eq!(total, YIELD_TASKS * YIELDS_PER_TASK);
    })
}

fn tokio_yields() -> Duration {
    let runtime = tokio_runtime();
    timed(|| {
        let total = runtime.block_on(async {
            let handles: Vec<_> = (0..YIELD_TASKS)
                .map(|_| {
                    tokio::spawn(async {
                        for _ in 0..YIELDS_PER_TASK {
                            tokio::task::yield_now().await;
                        }
                        YIELDS_PER_TASK
                    })
                })
                .collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.expect("a yielding task never fails");
            }
            total
        });
        assert_eq!(total, YIELD_TASKS * YIELDS_PER_TASK);
    })
}

// ───────────────────────────── timers ─────────────────────────────

fn glassloop_timers() -> Duration {
    let runtime = glassloop_runtime();
    timed(|| {
        let woken = runtime.block_on(async {
            let handles: Vec<_> = (0..TIMERS)
                .map(|i| {
                    glassloop::spawn(async move {
                        glassloop::time::sleep(timer_delay(i)).await;
                        1
                    })
                })
                .collect();
            let mut woken = 0;
            for handle in handles {
                woken += handle.await.expect("a sleeping task never fails");
            }
            woken
        });
        assert_eq!(woken, TIMERS);
    })
}

fn tokio_timers() -> Duration {
    let runtime = tokio_runtime();
    timed(|| {
        let woken = runtime.block_on(async {
            let handles: Vec<_> = (0..TIMERS)
                .map(|i| {
                    tokio::spawn(async move {
                        tokio::time::sleep(timer_delay(i)).await;
                        1
                    })
                })
                .collect();
            let mut woken = 0;
            for handle in handles {
                woken += handle.await.expect("a sleeping task never fails");
            }
            woken
        });
        assert_eq!(woken, TIMERS);
    })
}

// ───────────────────────────── timeouts ─────────────────────────────

fn glassloop_timeouts() -> Duration {
    let runtime = glassloop_runtime();
    timed(|| {
        let completed = runtime.block_on(async {
            let mut completed = 0;
            for i in 0..TIMEOUTS {
                let ready = std::future::ready(i);
                if glassloop::time::timeout(NEVER, ready).await.is_ok() {
                    completed += 1;
                }
            }
            completed
        });
        assert_eq!(completed, TIMEOUTS, "a timeout fired that never should");
    })
}

fn tokio_timeouts() -> Duration {
    let runtime = tokio_runtime();
    timed(|| {
        let completed = runtime.block_on(async {
            let mut completed = 0;
            for i in 0..TIMEOUTS {
                let ready = std::future::ready(i);
                if tokio::time::timeout(NEVER, ready).await.is_ok() {
                    completed += 1;
                }
            }
            completed
        });
        assert_eq!(completed, TIMEOUTS, "a timeout fired that never should");
    })
}
