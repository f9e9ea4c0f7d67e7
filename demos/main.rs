//! # The demos: one lesson per file
//!
//! `cargo run` lists the demos and runs a short tour; `cargo run -- NAME` runs one;
//! `cargo run -- all` runs every demo. Add `--virtual-clock` to run on the virtual clock, where
//! sleeps take no real time and every printed time is exact (the tests do this).
//!
//! Each demo is a plain function `main(&Runtime)` in its own file, so a debugger can break on
//! `glassloop_demos::hello::main` and step from there into the loop (see docs/debugging.md).

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use glassloop::Runtime;

mod async_iter;
mod blocking_pool;
mod cancel;
mod errors;
mod files;
mod gather;
mod hello;
mod semaphore;
mod sleep;
mod sync_vs_async;
mod tasks;
mod timeout;
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
        name: "semaphore",
        about: "20 one-second requests, a Semaphore(5) lets 5 run at a time: 4 waves, 4 s",
        main: semaphore::main,
    },
    Demo {
        name: "async_iter",
        about: "async for over an async range; async with: disconnect on success, error, cancel",
        main: async_iter::main,
    },
];

/// Flags meant for the demos themselves, with what they do. A demo reads them with [`flag`].
const DEMO_FLAGS: &[(&str, &str)] = &[(
    "--fast",
    "shorten a real-time demo (blocking_pool) to under a second",
)];

/// The demo flags given on the command line, set once in `main`.
static GIVEN_FLAGS: OnceLock<Vec<String>> = OnceLock::new();

/// True if the demo flag `name` (e.g. "--fast") was given on the command line.
pub fn flag(name: &str) -> bool {
    GIVEN_FLAGS
        .get()
        .is_some_and(|given| given.iter().any(|flag| flag == name))
}

/// The demos the tour runs when `cargo run` is given no name.
const TOUR: &[&str] = &["hello", "sleep"];

fn main() -> ExitCode {
    let mut virtual_clock = false;
    let mut names = Vec::new();
    let mut given_flags = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--virtual-clock" => virtual_clock = true,
            flag if DEMO_FLAGS.iter().any(|(known, _)| *known == flag) => given_flags.push(arg),
            "-h" | "--help" => {
                print_list();
                return ExitCode::SUCCESS;
            }
            _ => names.push(arg),
        }
    }
    GIVEN_FLAGS.get_or_init(|| given_flags);
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
        (demo.main)(&runtime);
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

fn build_runtime(virtual_clock: bool) -> Runtime {
    let builder = Runtime::builder();
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
