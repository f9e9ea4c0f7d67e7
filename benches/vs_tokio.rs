//! # glassloop beside tokio, and glassloop beside itself: the same workloads, a ratio
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
//! ## What watching the loop costs
//!
//! The second table runs the same kind of workload on glassloop twice: once with debug mode or
//! tracing switched on, once plain, interleaved the same way, and its ratio is on / off. That
//! is the price of switching the observer on (two clock reads per poll, task notes, the
//! watchdog thread, measured with and without it; with tracing, one event per spawn, poll and
//! wake). What it costs when it
//! is *off* (one untaken branch per hook) is inside every plain glassloop figure, including
//! the first table's; there is no build without the hooks to compare against. Set
//! `GLASSLOOP_DEBUG` and "off" is no longer off: the benchmark says so and stops.
//!
//! Run it: `cargo bench --bench vs_tokio`; add `-- NAME` to run only the workloads whose name
//! contains NAME, e.g. `cargo bench --bench vs_tokio -- timers`. benches/README.md explains what
//! each workload exercises.
//!
//! Read next: runtime/executor.rs, whose `Runtime::tick` is what most of these workloads time.

use std::fmt::Debug;
use std::future::{ready, Future, Ready};
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

/// One workload: a name, how many counted runs, and the two sides to divide. Each function
/// builds its runtime, then returns how long `block_on` took.
struct Workload {
    name: &'static str,
    runs: usize,
    /// The side whose cost is asked about (the numerator of the ratio).
    measured: fn() -> Duration,
    /// What it is compared with (the denominator).
    baseline: fn() -> Duration,
}

/// A table of workloads that compare the same two things.
struct Table {
    title: &'static str,
    /// Column headers: the measured side, the baseline, the ratio.
    columns: [&'static str; 3],
    workloads: &'static [Workload],
}

const VS_TOKIO: Table = Table {
    title: "glassloop vs tokio current_thread; median of N interleaved runs, [min..max]",
    columns: ["glassloop", "tokio", "ratio"],
    workloads: &[
        Workload {
            name: "spawn+join 100k tasks",
            runs: 7,
            measured: glassloop_spawn_join,
            baseline: tokio_spawn_join,
        },
        Workload {
            name: "1M yields (1000 tasks x 1000)",
            runs: 7,
            measured: glassloop_yields,
            baseline: tokio_yields,
        },
        Workload {
            name: "100k timers over 1..=200 ms",
            runs: 5,
            measured: glassloop_timers,
            baseline: tokio_timers,
        },
        Workload {
            name: "1M timeouts that never fire",
            runs: 7,
            measured: glassloop_timeouts,
            baseline: tokio_timeouts,
        },
    ],
};

const INSTRUMENTATION: Table = Table {
    title:
        "glassloop with the observer on vs off (the plain runtime); median of N interleaved runs",
    columns: ["on", "off", "on/off"],
    workloads: &[
        Workload {
            name: "spawn+join 100k, debug on / off",
            runs: 7,
            measured: debug_spawn_join,
            baseline: glassloop_spawn_join,
        },
        Workload {
            name: "1M yields, debug on / off",
            runs: 7,
            measured: debug_yields,
            baseline: glassloop_yields,
        },
        Workload {
            name: "spawn+join 100k, debug w/o watchdog / off",
            runs: 7,
            measured: quiet_debug_spawn_join,
            baseline: glassloop_spawn_join,
        },
        Workload {
            name: "1M yields, debug w/o watchdog / off",
            runs: 7,
            measured: quiet_debug_yields,
            baseline: glassloop_yields,
        },
        Workload {
            name: "spawn+join 100k, trace on / off",
            runs: 7,
            measured: trace_spawn_join,
            baseline: glassloop_spawn_join,
        },
        Workload {
            name: "1M yields, trace on / off",
            runs: 7,
            measured: trace_yields,
            baseline: glassloop_yields,
        },
    ],
};

fn main() {
    if std::env::var_os(glassloop::observe::DEBUG_ENV).is_some() {
        eprintln!(
            "{} is set, so every runtime has debug mode on and no figure here means what it \
             says. Unset it and run again.",
            glassloop::observe::DEBUG_ENV
        );
        std::process::exit(2);
    }
    // `cargo bench` passes flags such as `--bench`; any other argument filters by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let wanted =
        |w: &Workload| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str()));
    let tables = [VS_TOKIO, INSTRUMENTATION];
    if !tables.iter().any(|t| t.workloads.iter().any(wanted)) {
        eprintln!("no workload matches {filters:?}. The workloads are:");
        for workload in tables.iter().flat_map(|t| t.workloads) {
            eprintln!("  {}", workload.name);
        }
        std::process::exit(2);
    }
    for table in &tables {
        let selected: Vec<&Workload> = table.workloads.iter().filter(|w| wanted(w)).collect();
        if !selected.is_empty() {
            print_table(table, &selected);
        }
    }
}

/// Run `selected` and print one line each: the two medians with their spread, and the ratio.
fn print_table(table: &Table, selected: &[&Workload]) {
    let [measured, baseline, ratio] = table.columns;
    println!("{}", table.title);
    println!(
        "{:<42} {:>3} {measured:>25} {baseline:>25} {ratio:>7}",
        "workload", "N"
    );
    for workload in selected {
        let (measured, baseline) = measure(workload);
        println!(
            "{:<42} {:>3} {:>25} {:>25} {:>7.2}",
            workload.name,
            workload.runs,
            summary(&measured),
            summary(&baseline),
            median(&measured).as_secs_f64() / median(&baseline).as_secs_f64()
        );
    }
    println!();
}

/// One uncounted warm-up per side, then `runs` interleaved runs per side.
fn measure(workload: &Workload) -> (Vec<Duration>, Vec<Duration>) {
    (workload.measured)();
    (workload.baseline)();
    let mut measured = Vec::with_capacity(workload.runs);
    let mut baseline = Vec::with_capacity(workload.runs);
    for _ in 0..workload.runs {
        measured.push((workload.measured)());
        baseline.push((workload.baseline)());
    }
    (measured, baseline)
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

// ───────────────────────────── runtimes and timing ─────────────────────────────

fn glassloop_runtime() -> glassloop::Runtime {
    glassloop::Runtime::new().expect("glassloop could not create its reactor")
}

/// Debug mode as a user switches it on, with its watchdog thread or (`watchdog` false)
/// without. Its reports (spawning 100k tasks in one poll is a slow poll) go to a buffer, not
/// to the screen.
fn debug_runtime(watchdog: bool) -> glassloop::Runtime {
    glassloop::Runtime::builder()
        .debug()
        .watchdog(watchdog)
        .debug_reports_to(glassloop::observe::Reports::new())
        .build()
        .expect("glassloop could not create its reactor")
}

/// Tracing on: every spawn, poll, wake and end goes into the event log.
fn trace_runtime() -> glassloop::Runtime {
    glassloop::Runtime::builder()
        .trace()
        .build()
        .expect("glassloop could not create its reactor")
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio could not create its runtime")
}

/// Time `block_on(work)` on a glassloop runtime built beforehand, and check its result, so an
/// optimiser or a bug cannot make a side look fast by skipping the work.
fn on_glassloop(
    runtime: glassloop::Runtime,
    work: impl Future<Output = u64>,
    expect: u64,
) -> Duration {
    timed(|| assert_eq!(runtime.block_on(work), expect, "the workload's result"))
}

/// [`on_glassloop`] for tokio.
fn on_tokio(work: impl Future<Output = u64>, expect: u64) -> Duration {
    let runtime = tokio_runtime();
    timed(|| assert_eq!(runtime.block_on(work), expect, "the workload's result"))
}

/// Time `f`, keeping its result alive so the work cannot be optimised away.
fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

// ───────────────────────────── the workloads, for either runtime ─────────────────────────────

/// Spawn `n` tasks with the runtime's `spawn` (task `i` made by `task(i)`), then await every
/// handle in order and add up their outputs. Generic over the two runtimes' join handles.
async fn spawn_and_sum<H, E>(n: u64, task: impl FnMut(u64) -> H) -> u64
where
    H: Future<Output = Result<u64, E>>,
    E: Debug,
{
    let handles: Vec<H> = (0..n).map(task).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("a benchmark task never fails");
    }
    sum
}

/// Await `timeout(NEVER, ready(i))` for every i below TIMEOUTS; count those that completed.
async fn count_timeouts<F, E>(timeout: impl Fn(Ready<u64>) -> F) -> u64
where
    F: Future<Output = Result<u64, E>>,
{
    let mut completed = 0;
    for i in 0..TIMEOUTS {
        if timeout(ready(i)).await.is_ok() {
            completed += 1;
        }
    }
    completed
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

// ───────────────────────────── glassloop ─────────────────────────────

fn spawn_join_on(runtime: glassloop::Runtime) -> Duration {
    let work = spawn_and_sum(SPAWN_TASKS, |i| glassloop::spawn(async move { i }));
    on_glassloop(runtime, work, sum_below(SPAWN_TASKS))
}

fn yields_on(runtime: glassloop::Runtime) -> Duration {
    let work = spawn_and_sum(YIELD_TASKS, |_| {
        glassloop::spawn(async {
            for _ in 0..YIELDS_PER_TASK {
                glassloop::task::yield_now().await;
            }
            YIELDS_PER_TASK
        })
    });
    on_glassloop(runtime, work, YIELD_TASKS * YIELDS_PER_TASK)
}

fn glassloop_spawn_join() -> Duration {
    spawn_join_on(glassloop_runtime())
}

fn glassloop_yields() -> Duration {
    yields_on(glassloop_runtime())
}

fn debug_spawn_join() -> Duration {
    spawn_join_on(debug_runtime(true))
}

fn debug_yields() -> Duration {
    yields_on(debug_runtime(true))
}

fn quiet_debug_spawn_join() -> Duration {
    spawn_join_on(debug_runtime(false))
}

fn quiet_debug_yields() -> Duration {
    yields_on(debug_runtime(false))
}

fn trace_spawn_join() -> Duration {
    spawn_join_on(trace_runtime())
}

fn trace_yields() -> Duration {
    yields_on(trace_runtime())
}

fn glassloop_timers() -> Duration {
    let work = spawn_and_sum(TIMERS, |i| {
        glassloop::spawn(async move {
            glassloop::time::sleep(timer_delay(i)).await;
            1
        })
    });
    on_glassloop(glassloop_runtime(), work, TIMERS)
}

fn glassloop_timeouts() -> Duration {
    let work = count_timeouts(|ready| glassloop::time::timeout(NEVER, ready));
    on_glassloop(glassloop_runtime(), work, TIMEOUTS)
}

// ───────────────────────────── tokio ─────────────────────────────

fn tokio_spawn_join() -> Duration {
    let work = spawn_and_sum(SPAWN_TASKS, |i| tokio::spawn(async move { i }));
    on_tokio(work, sum_below(SPAWN_TASKS))
}

fn tokio_yields() -> Duration {
    let work = spawn_and_sum(YIELD_TASKS, |_| {
        tokio::spawn(async {
            for _ in 0..YIELDS_PER_TASK {
                tokio::task::yield_now().await;
            }
            YIELDS_PER_TASK
        })
    });
    on_tokio(work, YIELD_TASKS * YIELDS_PER_TASK)
}

fn tokio_timers() -> Duration {
    let work = spawn_and_sum(TIMERS, |i| {
        tokio::spawn(async move {
            tokio::time::sleep(timer_delay(i)).await;
            1
        })
    });
    on_tokio(work, TIMERS)
}

fn tokio_timeouts() -> Duration {
    let work = count_timeouts(|ready| tokio::time::timeout(NEVER, ready));
    on_tokio(work, TIMEOUTS)
}
