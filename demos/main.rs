//! # The demos: one lesson per file
//!
//! `cargo run` lists the demos and runs a short tour; `cargo run -- NAME` runs one;
//! `cargo run -- all` runs every demo. Add `--virtual-clock` to run on the virtual clock, where
//! sleeps take no real time and every printed time is exact (the tests do this).
//!
//! Debug mode is on for every demo (slow polls, lost wakers and stalls are reported on stderr).
//! `--timeline` prints the scheduler's timeline after each demo, `--trace FILE` writes it as
//! Chrome trace JSON (open it in <https://ui.perfetto.dev>), `--svg FILE` draws it as a picture
//! any browser opens offline, `--stats` prints each task's polls, busy, scheduled and idle time
//! and a poll-time histogram at the end, `--fast` shortens the real-time demos (`blocking`,
//! `blocking_pool`) to about a second, `--step` pauses before every tick (Enter to go on).
//!
//! Each demo is a plain function `main(&Runtime)` in its own file, so a debugger can break on
//! `glassloop_demos::hello::main` and step from there into the loop (see docs/debugging.md).

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use glassloop::Runtime;

mod async_iter;
mod blocking;
mod blocking_pool;
mod cancel;
mod deadlock;
mod echo;
mod errors;
mod fetch;
mod files;
mod forget_await;
mod gather;
mod held_clock;
mod hello;
mod lost_waker;
mod queue;
mod semaphore;
mod sleep;
mod stall;
mod starvation;
mod streams;
mod sync_vs_async;
mod tasks;
mod threadsafe;
mod timeout;
mod trace;
mod wait_first;

/// One lesson: its name on the command line, one line about it, and its entry point.
struct Demo {
    name: &'static str,
    about: &'static str,
    main: fn(&Runtime),
}

/// Every demo, in course order.
const DEMOS: &[Demo] = &[
    Demo {
        name: "hello",
        about: "a coroutine prints, sleeps one second, prints, and returns a value",
        main: hello::main,
    },
    Demo {
        name: "sleep",
        about: "three tasks sleep 1 s, 4 s and 1 s at the same time: 4 s in all, not 6",
        main: sleep::main,
    },
    Demo {
        name: "sync_vs_async",
        about: "three one-second jobs: one after another 3 s, gathered 1 s, and the speedup",
        main: sync_vs_async::main,
    },
    Demo {
        name: "gather",
        about: "fetch_data with delays 1, 4, 1: done in 4 s, results in argument order",
        main: gather::main,
    },
    Demo {
        name: "tasks",
        about: "two tasks created, other work meanwhile, then each awaited (create_task)",
        main: tasks::main,
    },
    Demo {
        name: "forget_await",
        about: "a future never awaited never runs; a task never awaited is cancelled when main returns",
        main: forget_await::main,
    },
    Demo {
        name: "wait_first",
        about: "wait for the first of three downloads, cancel the rest, watch their cleanup",
        main: wait_first::main,
    },
    Demo {
        name: "timeout",
        about: "a 10 s operation under a 5 s timeout is cancelled at exactly 5 s",
        main: timeout::main,
    },
    Demo {
        name: "cancel",
        about: "a long task cancelled after 1 s: its cleanup runs, awaiting it says cancelled",
        main: cancel::main,
    },
    Demo {
        name: "starvation",
        about: "a task with no .await holds the loop; yielding tasks take turns; timers still fire",
        main: starvation::main,
    },
    Demo {
        name: "errors",
        about: "gather collects every Result, try_gather stops at the first; panics are caught",
        main: errors::main,
    },
    Demo {
        name: "blocking_pool",
        about: "a blocking call on spawn_blocking leaves a ticker ticking; the same call inline stops it (--fast: under a second)",
        main: blocking_pool::main,
    },
    Demo {
        name: "files",
        about: "write, read and count the lines of a file on the blocking pool while a ticker ticks",
        main: files::main,
    },
    Demo {
        name: "threadsafe",
        about: "a plain thread posts closures and a coroutine to the loop (call_soon_threadsafe)",
        main: threadsafe::main,
    },
    Demo {
        name: "semaphore",
        about: "20 one-second requests, a Semaphore(5) lets 5 run at a time: 4 waves, 4 s",
        main: semaphore::main,
    },
    Demo {
        name: "queue",
        about: "asyncio's worker pool: 20 random jobs, 3 workers, queue.join(), then cancel",
        main: queue::main,
    },
    Demo {
        name: "async_iter",
        about: "async for over an async range; async with: disconnect on success, error, cancel",
        main: async_iter::main,
    },
    Demo {
        name: "blocking",
        about: "a task calls std::thread::sleep: the detector names it; then the fix (real time)",
        main: blocking::main,
    },
    Demo {
        name: "trace",
        about: "a small program narrated tick by tick, then drawn as a timeline",
        main: trace::main,
    },
    Demo {
        name: "stall",
        about: "a task waits on a channel nobody will send on: the stall error and the task dump",
        main: stall::main,
    },
    Demo {
        name: "deadlock",
        about: "two tasks await each other's JoinHandle: the stall report names the cycle",
        main: deadlock::main,
    },
    Demo {
        name: "lost_waker",
        about: "a future returns Pending without keeping its waker: reported at once",
        main: lost_waker::main,
    },
    Demo {
        name: "held_clock",
        about: "two blocking jobs and an OutsideWork hold the virtual clock: who holds it, and where",
        main: held_clock::main,
    },
    Demo {
        name: "echo",
        about: "an echo server and three clients: accept, read and write readiness as it happens",
        main: echo::main,
    },
    Demo {
        name: "streams",
        about: "asyncio's line echo client and server: open_connection, readline, write + drain",
        main: streams::main,
    },
    Demo {
        name: "fetch",
        about: "an HTTP server that answers in 1 s: ten fetches take 10 s in turn, 1 s at once",
        main: fetch::main,
    },
];

/// Command-line options the demos read (set once in `main`).
#[derive(Debug, Default, Clone)]
pub struct Flags {
    /// `--fast`: real-time demos run at a tenth of their durations.
    pub fast: bool,
    /// `--timeline`: print the timeline after each demo.
    pub timeline: bool,
    /// `--trace FILE`: write Chrome trace JSON after each demo.
    pub trace: Option<String>,
    /// `--step`: pause before every tick of the demo's runtime.
    pub step: bool,
    /// `--svg FILE`: write the timeline as a self-contained SVG picture after each demo.
    pub svg: Option<String>,
    /// `--stats`: print each task's busy, scheduled and idle time after each demo.
    pub stats: bool,
}

/// Set when a demo that builds its own runtime already wrote what the flags ask for.
static SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The observer options the flags ask for, added to `builder`: for the demos that build a
/// runtime of their own (they must honour the flags too).
pub fn with_flags(builder: glassloop::Builder) -> glassloop::Builder {
    let flags = flags();
    let builder = if flags.timeline || flags.trace.is_some() || flags.svg.is_some() || flags.stats {
        builder.trace()
    } else {
        builder
    };
    if flags.step {
        builder.step_mode()
    } else {
        builder
    }
}

/// Print or write what the flags ask for about `runtime` (the timeline, the Chrome trace,
/// the SVG). A demo with its own runtime calls it, and `main` then does not.
pub fn show_flags(name: &str, runtime: &Runtime) {
    show_flags_with(flags(), name, runtime);
}

/// [`show_flags`] with these flags instead of the command line's.
pub fn show_flags_with(flags: &Flags, name: &str, runtime: &Runtime) {
    SHOWN.store(true, std::sync::atomic::Ordering::Relaxed);
    if flags.timeline {
        println!("{}", runtime.timeline());
    }
    if let Some(file) = &flags.trace {
        match runtime.write_chrome_trace(file) {
            Ok(()) => println!("wrote the Chrome trace of '{name}' to {file}"),
            Err(err) => eprintln!("could not write the trace to {file}: {err}"),
        }
    }
    if let Some(file) = &flags.svg {
        match runtime.write_svg_timeline(file) {
            Ok(()) => println!("wrote the SVG timeline of '{name}' to {file}"),
            Err(err) => eprintln!("could not write the SVG to {file}: {err}"),
        }
    }
    if flags.stats {
        let table =
            glassloop::observe::stats_table(&runtime.task_stats(), &runtime.poll_histogram());
        print!("{table}");
    }
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// The command-line options.
pub fn flags() -> &'static Flags {
    FLAGS.get_or_init(Flags::default)
}

/// The demos the tour runs when `cargo run` is given no name.
const TOUR: &[&str] = &["hello", "sleep"];

fn main() -> ExitCode {
    let mut virtual_clock = false;
    let mut names = Vec::new();
    let mut options = Flags::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--virtual-clock" => virtual_clock = true,
            "--fast" => options.fast = true,
            "--timeline" => options.timeline = true,
            "--step" => options.step = true,
            "--stats" => options.stats = true,
            "--svg" => match args.next() {
                Some(file) => options.svg = Some(file),
                None => {
                    eprintln!("--svg needs a file name: --svg timeline.svg");
                    return ExitCode::from(2);
                }
            },
            "--trace" => match args.next() {
                Some(file) => options.trace = Some(file),
                None => {
                    eprintln!("--trace needs a file name: --trace trace.json");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                print_list();
                return ExitCode::SUCCESS;
            }
            _ => names.push(arg),
        }
    }
    let _ = FLAGS.set(options);
    let selected: Vec<&Demo> = match names.as_slice() {
        [] => {
            print_list();
            println!("\nA short tour: {}\n", TOUR.join(", "));
            TOUR.iter().filter_map(|name| find(name)).collect()
        }
        [all] if all == "all" => DEMOS.iter().collect(),
        _ => {
            let mut selected = Vec::new();
            for name in &names {
                match find(name) {
                    Some(demo) => selected.push(demo),
                    None => {
                        eprintln!("no demo named '{name}'. The demos are:");
                        print_list();
                        return ExitCode::from(2);
                    }
                }
            }
            selected
        }
    };
    for (i, demo) in selected.iter().enumerate() {
        if selected.len() > 1 {
            if i > 0 {
                println!();
            }
            println!("=== {} ===", demo.name);
        }
        let runtime = build_runtime(virtual_clock);
        SHOWN.store(false, std::sync::atomic::Ordering::Relaxed);
        (demo.main)(&runtime);
        if !SHOWN.load(std::sync::atomic::Ordering::Relaxed) {
            show_flags(demo.name, &runtime);
        }
    }
    ExitCode::SUCCESS
}

fn find(name: &str) -> Option<&'static Demo> {
    DEMOS.iter().find(|demo| demo.name == name)
}

fn print_list() {
    println!("glassloop demos (run one with `cargo run -- NAME`, add --virtual-clock for instant, exact time):");
    for demo in DEMOS {
        println!("  {:<14} {}", demo.name, demo.about);
    }
    println!("flags for the demos:");
    for (flag, about) in DEMO_FLAGS {
        println!("  {flag:<14} {about}");
    }
}

/// The flags `main` understands besides demo names, for `--help`.
const DEMO_FLAGS: &[(&str, &str)] = &[
    (
        "--stats",
        "print each task's polls, busy, scheduled and idle time, wakes, and a poll histogram",
    ),
    (
        "--virtual-clock",
        "time jumps instead of passing: instant runs, exact times",
    ),
    (
        "--fast",
        "shorten the real-time demos (blocking, blocking_pool) to about a second",
    ),
    (
        "--timeline",
        "print the scheduler's timeline after each demo",
    ),
    (
        "--trace FILE",
        "write the timeline as Chrome trace JSON (open it in Perfetto)",
    ),
    (
        "--svg FILE",
        "write the timeline as an SVG picture that opens in any browser, offline",
    ),
    (
        "--step",
        "pause before every tick of the loop (Enter to go on)",
    ),
];

fn build_runtime(virtual_clock: bool) -> Runtime {
    let builder = with_flags(Runtime::builder().debug());
    let builder = if virtual_clock {
        builder.virtual_clock()
    } else {
        builder
    };
    builder
        .build()
        .expect("the OS refused to create an epoll instance")
}

/// Seconds with three decimals, the way every demo prints time: "4.000 s".
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
