//! # The demos: one lesson per file
//!
//! `cargo run` lists the demos and runs a short tour; `cargo run -- NAME` runs one;
//! `cargo run -- all` runs every demo. Add `--virtual-clock` to run on the virtual clock, where
//! sleeps take no real time and every printed time is exact (the tests do this).
//!
//! Each demo is a plain function `main(&Runtime)` in its own file, so a debugger can break on
//! `glassloop_demos::hello::main` and step from there into the loop (see docs/debugging.md).

use std::process::ExitCode;
use std::time::Duration;

use glassloop::Runtime;

mod echo;
mod fetch;
mod hello;
mod sleep;

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
        name: "echo",
        about: "an echo server and three clients: accept, read and write readiness as it happens",
        main: echo::main,
    },
    Demo {
        name: "fetch",
        about: "an HTTP server that answers in 1 s: ten fetches take 10 s in turn, 1 s at once",
        main: fetch::main,
    },
];

/// The demos the tour runs when `cargo run` is given no name.
const TOUR: &[&str] = &["hello", "sleep"];

fn main() -> ExitCode {
    let mut virtual_clock = false;
    let mut names = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--virtual-clock" => virtual_clock = true,
            "-h" | "--help" => {
                print_list();
                return ExitCode::SUCCESS;
            }
            _ => names.push(arg),
        }
    }
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
