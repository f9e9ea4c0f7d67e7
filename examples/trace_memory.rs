//! How much memory tracing takes: one million yields traced with the default bound on the
//! event log, then the process's peak resident memory (Linux's VmHWM) and what the log kept.
//!
//! `cargo run --release --example trace_memory` (docs/04-debug-mode.md quotes the figure;
//! the bound glassloop keeps is a peak under 64 MB). Add `unbounded` to trace with a bound of 10
//! million events instead, which for this program keeps everything.

use glassloop::observe::EventKind;
use glassloop::Runtime;

fn main() {
    let unbounded = std::env::args().any(|arg| arg == "unbounded");
    let builder = Runtime::builder().trace();
    let builder = if unbounded {
        builder.trace_capacity(10_000_000)
    } else {
        builder
    };
    let rt = builder.build().expect("a runtime");
    rt.block_on(async {
        for _ in 0..1_000_000 {
            glassloop::task::yield_now().await;
        }
    });
    // Read the peak before copying the log out (`trace_events` returns a copy).
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "VmHWM: unknown (not Linux)".to_string());
    let events = rt.trace_events();
    let polls = events
        .iter()
        .filter(|e| e.kind == EventKind::PollStart)
        .count();
    println!(
        "1,000,000 traced yields: the log kept {} events ({polls} poll starts)",
        events.len()
    );
    println!("peak resident memory, {peak}");
}
