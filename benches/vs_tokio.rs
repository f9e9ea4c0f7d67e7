//! # glassloop beside tokio and smol, and beside itself: the same workloads, ratios
//!
//! A number such as "100k spawns take 40 ms" says little on its own: it depends on the
//! machine, the compiler and whatever else the machine is doing. So every workload of
//! ../shared/DESIGN.md runs on glassloop and on the two single-threaded Rust runtimes closest
//! to it, tokio's `current_thread` runtime and smol (async-executor's `LocalExecutor` driven by
//! async-io), and the figures to read are the ratios: glassloop divided by each peer, and by
//! the better of the two. 1.00 means as fast (or as small) as that peer; 2.00 twice as slow.
//!
//! Each measurement is a process of its own: this binary starts itself again as
//! `vs_tokio --child RUNTIME WORKLOAD`, pinned to CPU 1 with `taskset` when there is one. So
//! the runtimes never share an allocator's free lists, a warmed cache or a leftover thread, and
//! the resident memory a process reports belongs to one runtime. A child runs the workload
//! once to warm up, then once timed (only `block_on`, not building the runtime), checks the
//! result, and prints one number. Every child runs with glibc's heap trimming off
//! ([`NO_HEAP_TRIM`]), so the timed run does not fault back in the pages the warm-up freed.
//! The parent interleaves the runtimes, rotating which goes first in each round, so that a
//! burst of load from another process lands on all of them:
//!
//! ```text
//!   for each workload:   round 1: G T S      round 2: T S G      round 3: S G T ...
//!   report:              median [min..max] per runtime, then the ratios of the medians
//! ```
//!
//! Every workload checks its own result (the sum of the joined values, the count of timeouts
//! that did not fire, every echoed byte), so an optimiser or a bug cannot make a side look
//! fast by skipping the work.
//!
//! ## What watching the loop costs
//!
//! The second table runs spawn+join, yields and channel round trips on glassloop with the
//! observer on (debug mode with and without its watchdog thread, tracing) in the same rounds
//! as plain glassloop, and its ratio is on / off. What the observer costs when it is *off* (one
//! untaken branch per hook) is inside every plain glassloop figure; there is no build without
//! the hooks. Set `GLASSLOOP_DEBUG` and "off" is no longer off: the benchmark says so and stops.
//!
//! Honest limits: a plain `main`, not a statistics harness such as criterion; the median of a
//! few runs and their spread, nothing more. On a shared machine figures move by tens of
//! percent; read the ratio, and distrust a difference smaller than the spread.
//!
//! Run it: `cargo bench --bench vs_tokio`; `-- NAME` runs only the workloads whose key or title
//! contains NAME (`-- timers`), `-- --rounds=N` changes the number of rounds (7).
//! benches/README.md explains each workload.

#[path = "vs_tokio/common.rs"]
mod common;
#[path = "vs_tokio/on_glassloop.rs"]
mod on_glassloop;
#[path = "vs_tokio/on_smol.rs"]
mod on_smol;
#[path = "vs_tokio/on_tokio.rs"]
mod on_tokio;

use std::process::Command;
use std::time::{Duration, Instant};

/// Rounds unless `--rounds=N` says otherwise.
const ROUNDS: usize = 7;
/// The CPU each measuring process is pinned to, when `taskset` can pin it.
const CPU: &str = "1";
/// Every measuring process runs with glibc's heap trimming off. The warm-up run frees what it
/// allocated; glibc then hands the top of its heap back to the kernel (above 128 kB free, by
/// default), and the timed run faults every page back in, so a spawn figure was half page
/// faults (plain glassloop 210 ns a task with trimming, 130 without; tokio 356 and 233;
/// smol, whose executor keeps its memory, 253 either way). Worse, it was unequal: a runtime
/// that keeps memory after the warm-up (smol, or glassloop with the observer on) was spared
/// the faults. Without trimming, every runtime is measured on its own work.
const NO_HEAP_TRIM: (&str, &str) = ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1073741824");

/// Who runs a workload: glassloop (plain or with the observer on), tokio, or smol.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Runner {
    Glassloop,
    Tokio,
    Smol,
    Debug,
    QuietDebug,
    Trace,
}

use Runner::*;

/// The three runtimes compared in the first table.
const PEERS: [Runner; 3] = [Glassloop, Tokio, Smol];
/// The observer modes compared with plain glassloop in the second table.
const OBSERVERS: [Runner; 3] = [Debug, QuietDebug, Trace];
const RUNNERS: [Runner; 6] = [Glassloop, Tokio, Smol, Debug, QuietDebug, Trace];

impl Runner {
    /// The name on a child's command line and in the tables.
    fn name(self) -> &'static str {
        match self {
            Glassloop => "glassloop",
            Tokio => "tokio",
            Smol => "smol",
            Debug => "debug on",
            QuietDebug => "debug w/o watchdog",
            Trace => "trace on",
        }
    }

    fn named(name: &str) -> Runner {
        RUNNERS
            .into_iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("no runtime named {name:?}"))
    }

    /// How this runner's glassloop runtime is built (plain glassloop and the observer modes).
    fn glassloop(self) -> fn() -> glassloop::Runtime {
        match self {
            Debug => || debug_runtime(true),
            QuietDebug => || debug_runtime(false),
            Trace => || {
                glassloop::Runtime::builder()
                    .trace()
                    .build()
                    .expect("glassloop could not create its reactor")
            },
            _ => || glassloop::Runtime::new().expect("glassloop could not create its reactor"),
        }
    }
}

/// Debug mode as a user switches it on, with its watchdog thread or without. Its reports
/// (spawning 100k tasks in one poll is a slow poll) go to a buffer, not to the screen.
fn debug_runtime(watchdog: bool) -> glassloop::Runtime {
    glassloop::Runtime::builder()
        .debug()
        .watchdog(watchdog)
        .debug_reports_to(glassloop::observe::Reports::new())
        .build()
        .expect("glassloop could not create its reactor")
}

/// What a workload's one number is.
#[derive(Clone, Copy)]
enum Metric {
    /// The time `block_on` took, divided by this many operations, in nanoseconds.
    NanosPer(u64),
    /// The time `block_on` took beyond this many milliseconds that no runtime can beat, in
    /// milliseconds (the timers: the last deadline is 200 ms away).
    MillisOver(u64),
    /// Resident bytes per idle task.
    BytesPerTask,
}

struct Workload {
    /// Its name on the command line and the children's.
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    metric: Metric,
    /// Whether the second table measures it with the observer on.
    observed: bool,
}

const WORKLOADS: [Workload; 7] = [
    Workload {
        key: "spawn",
        title: "spawn+join 100k tasks",
        unit: "ns/task",
        metric: Metric::NanosPer(common::SPAWN_TASKS),
        observed: true,
    },
    Workload {
        key: "yields",
        title: "1M yields (1000 tasks x 1000)",
        unit: "ns/yield",
        metric: Metric::NanosPer(common::YIELD_TASKS * common::YIELDS_PER_TASK),
        observed: true,
    },
    Workload {
        key: "channel",
        title: "100k channel round trips",
        unit: "ns/trip",
        metric: Metric::NanosPer(common::ROUND_TRIPS),
        observed: true,
    },
    Workload {
        key: "timers",
        title: "100k timers over 1..=200 ms",
        unit: "ms >200",
        metric: Metric::MillisOver(common::TIMER_SPREAD_MS),
        observed: false,
    },
    Workload {
        key: "timeouts",
        title: "1M timeouts that never fire",
        unit: "ns/op",
        metric: Metric::NanosPer(common::TIMEOUTS),
        observed: false,
    },
    Workload {
        key: "echo",
        title: "TCP echo 50 x 2,000 x 64 B",
        unit: "ns/msg",
        metric: Metric::NanosPer(common::CLIENTS * common::MESSAGES),
        observed: false,
    },
    Workload {
        key: "memory",
        title: "idle memory, 100k tasks",
        unit: "B/task",
        metric: Metric::BytesPerTask,
        observed: false,
    },
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    if std::env::var_os(glassloop::observe::DEBUG_ENV).is_some() {
        eprintln!(
            "{} is set, so every runtime has debug mode on and no figure here means what it \
             says. Unset it and run again.",
            glassloop::observe::DEBUG_ENV
        );
        std::process::exit(2);
    }
    let mut rounds = ROUNDS;
    let mut filters = Vec::new();
    for arg in &args {
        if let Some(n) = arg.strip_prefix("--rounds=") {
            rounds = n.parse().expect("--rounds=N takes a whole number");
        } else if !arg.starts_with('-') {
            // `cargo bench` passes flags such as `--bench`; any other argument filters.
            filters.push(arg.as_str());
        }
    }
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| w.key.contains(f) || w.title.contains(f))
        })
        .collect();
    if selected.is_empty() || rounds == 0 {
        eprintln!("no workload matches {filters:?} (or no rounds). The workloads are:");
        for w in &WORKLOADS {
            eprintln!("  {:<9} {}", w.key, w.title);
        }
        std::process::exit(2);
    }
    parent(&selected, rounds);
}

// ───────────────────────────── the parent: rounds, medians, ratios ─────────────────────────────

/// Every measurement of one workload, by runner, in round order.
struct Results<'w> {
    workload: &'w Workload,
    values: Vec<(Runner, Vec<f64>)>,
}

impl Results<'_> {
    fn of(&self, runner: Runner) -> &[f64] {
        let found = self.values.iter().find(|(r, _)| *r == runner);
        found.map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }
}

fn parent(selected: &[&Workload], rounds: usize) {
    let pinned = Command::new("taskset")
        .args(["-c", CPU, "true"])
        .status()
        .is_ok_and(|s| s.success());
    let start = Instant::now();
    println!(
        "glassloop vs tokio current_thread vs smol LocalExecutor: each run its own process{}, \
         glibc heap trimming off, {rounds} interleaved rounds, median [min..max]",
        if pinned {
            format!(" pinned to CPU {CPU} (taskset)")
        } else {
            " (not pinned: taskset is missing or CPU 1 is not there)".to_string()
        }
    );
    println!("load average at the start: {}", load_average());
    println!(
        "{:<30} {:<8} {:>22} {:>22} {:>22} {:>7} {:>7} {:>7}",
        "workload", "unit", "glassloop", "tokio", "smol", "g/tokio", "g/smol", "g/best"
    );
    let mut observed = Vec::new();
    for &workload in selected {
        let results = measure(workload, rounds, pinned);
        print_peers(&results);
        if workload.observed {
            observed.push(results);
        }
    }
    if !observed.is_empty() {
        println!();
        println!(
            "glassloop with the observer on vs off (plain), the same rounds: median [min..max]"
        );
        println!(
            "{:<30} {:<8} {:<20} {:>22} {:>22} {:>7}",
            "workload", "unit", "mode", "on", "off", "on/off"
        );
        for results in &observed {
            print_observers(results);
        }
    }
    println!();
    println!(
        "load average at the end: {}; {:.0} s in all",
        load_average(),
        start.elapsed().as_secs_f64()
    );
}

/// Run `rounds` rounds of `workload`, each runner once per round in a rotating order.
fn measure(workload: &Workload, rounds: usize, pinned: bool) -> Results<'_> {
    let mut runners = PEERS.to_vec();
    if workload.observed {
        runners.extend(OBSERVERS);
    }
    let mut values: Vec<(Runner, Vec<f64>)> = runners.iter().map(|&r| (r, Vec::new())).collect();
    for round in 0..rounds {
        for turn in 0..runners.len() {
            let which = (round + turn) % runners.len();
            let value = run_child(runners[which], workload, pinned);
            values[which].1.push(value);
        }
    }
    Results { workload, values }
}

/// Start this binary again to measure one workload on one runner; return the number it prints.
fn run_child(runner: Runner, workload: &Workload, pinned: bool) -> f64 {
    let me = std::env::current_exe().expect("the path of this benchmark");
    let mut command = if pinned {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", CPU]).arg(me);
        taskset
    } else {
        Command::new(me)
    };
    let output = command
        .env(NO_HEAP_TRIM.0, NO_HEAP_TRIM.1)
        .args(["--child", runner.name(), workload.key])
        .output()
        .expect("could not start a measuring process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.trim().parse() {
        Ok(value) if output.status.success() => value,
        _ => {
            eprintln!(
                "{} on {} failed ({}):\n{stdout}{}",
                workload.key,
                runner.name(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            std::process::exit(1);
        }
    }
}

fn print_peers(results: &Results) {
    let median_of = |r| median(results.of(r));
    let (g, t, s) = (median_of(Glassloop), median_of(Tokio), median_of(Smol));
    println!(
        "{:<30} {:<8} {:>22} {:>22} {:>22} {:>7.2} {:>7.2} {:>7.2}",
        results.workload.title,
        results.workload.unit,
        summary(results.of(Glassloop)),
        summary(results.of(Tokio)),
        summary(results.of(Smol)),
        g / t,
        g / s,
        g / t.min(s),
    );
}

fn print_observers(results: &Results) {
    let off = results.of(Glassloop);
    for mode in OBSERVERS {
        let on = results.of(mode);
        println!(
            "{:<30} {:<8} {:<20} {:>22} {:>22} {:>7.2}",
            results.workload.title,
            results.workload.unit,
            mode.name(),
            summary(on),
            summary(off),
            median(on) / median(off),
        );
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// "41.2 [39.8..47.0]": the median, then the smallest and largest.
fn summary(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let show = |v: f64| {
        if v.abs() < 100.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.0}")
        }
    };
    format!("{} [{}..{}]", show(median(values)), show(min), show(max))
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg ("?" where there is none).
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.is_empty() {
        "?".to_string()
    } else {
        format!("{} (on {} CPUs)", fields.join(" "), cpus())
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

// ───────────────────────────── a child: one workload, one runtime, one number ─────────────────────────────

/// `--child RUNNER KEY`: measure, check and print one number on stdout.
fn child(args: &[String]) {
    let [runner, key] = args else {
        panic!("usage: vs_tokio --child RUNNER WORKLOAD");
    };
    let runner = Runner::named(runner);
    let workload = WORKLOADS
        .iter()
        .find(|w| w.key == key)
        .unwrap_or_else(|| panic!("no workload {key:?}"));
    let value = match workload.metric {
        // Measured in a fresh process with no warm-up, so that no freed memory is reused.
        Metric::BytesPerTask => match runner {
            Tokio => on_tokio::idle_memory(),
            Smol => on_smol::idle_memory(),
            _ => on_glassloop::idle_memory(runner.glassloop()),
        },
        Metric::NanosPer(ops) => time(runner, key).as_nanos() as f64 / ops as f64,
        Metric::MillisOver(floor) => (time(runner, key).as_secs_f64() * 1e3) - floor as f64,
    };
    println!("{value}");
}

/// Run the workload once to warm up (the allocator, the page tables, the code), then time it.
fn time(runner: Runner, key: &str) -> Duration {
    let once = || match runner {
        Tokio => on_tokio::time(key),
        Smol => on_smol::time(key),
        _ => on_glassloop::time(key, runner.glassloop()),
    };
    once();
    once()
}
