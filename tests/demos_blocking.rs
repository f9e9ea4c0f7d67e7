//! The blocking-pool demos: `files` exactly under the virtual clock, `blocking_pool` in real
//! time with generous bounds (and exactly under the virtual clock, where it explains why both
//! phases show no ticks).

mod common;
use common::{run_demo, run_demo_virtual};

#[test]
fn demo_files_reads_and_writes_on_the_pool_while_the_ticker_keeps_its_schedule() {
    assert_eq!(
        run_demo_virtual("files"),
        "write, read and count the lines of a file on the blocking pool, while a ticker ticks every 0.100 s\n\
         [0.000 s] wrote 10000 lines (194264 bytes) through the pool\n\
         [0.100 s] tick 1\n\
         [0.150 s] read 194264 bytes back through the pool, the same text\n\
         [0.200 s] tick 2\n\
         [0.250 s] counted 10000 lines with next_line (256 per trip to the pool); the last: \"line 9999: 99980001\"\n\
         [0.300 s] tick 3\n\
         [0.350 s] reading a missing file gives an io::Error of kind NotFound that names the path\n\
         [0.350 s] done; the ticker was at most 0.000 s late\n"
    );
}

/// The number right after `before` in `line`, e.g. `number_after("took 0.213 s", "took ")`.
fn number_after(line: &str, before: &str) -> f64 {
    let at = line
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} not in {line:?}"))
        + before.len();
    let digits: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {before:?} in {line:?}"))
}

#[test]
fn demo_blocking_pool_keeps_the_ticker_ticking_on_the_pool_and_stops_it_inline() {
    let out = run_demo(&["blocking_pool", "--fast"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(
        lines[0],
        "a blocking call sleeps 0.200 s, then does 2000000 rounds of arithmetic"
    );
    assert_eq!(lines[1], "a ticker task ticks every 0.020 s on the loop");

    // Phase 1: the call sleeps 0.2 s on a pool thread; a 20 ms ticker has room for ten ticks.
    // Three is a generous floor for a loaded machine.
    let pool = lines[2];
    assert!(pool.starts_with("1. on the blocking pool: "), "{pool}");
    assert!(number_after(pool, "the call took ") >= 0.2, "{pool}");
    let pool_ticks = number_after(pool, "the ticker ticked ");
    assert!(
        pool_ticks >= 3.0,
        "the ticker starved while the pool worked: {pool}"
    );

    // Phase 2: the same call inline holds the loop: not one tick, and the next one late by
    // at least the call's sleep minus one period.
    let inline = lines[3];
    assert!(inline.starts_with("2. inline on the loop: "), "{inline}");
    assert!(number_after(inline, "the call took ") >= 0.2, "{inline}");
    assert!(
        inline.contains("the ticker ticked 0 times meanwhile"),
        "{inline}"
    );
    assert!(
        number_after(inline, "its next tick came ") >= 0.18,
        "{inline}"
    );

    assert_eq!(
        lines[4],
        format!("ticks during the call: {pool_ticks} on the pool, 0 inline")
    );
}

#[test]
fn demo_blocking_pool_under_the_virtual_clock_explains_why_time_stands_still() {
    assert_eq!(
        run_demo(&["--virtual-clock", "blocking_pool", "--fast"]),
        "a blocking call sleeps 0.200 s, then does 2000000 rounds of arithmetic\n\
         a ticker task ticks every 0.020 s on the loop\n\
         note: under the virtual clock time stands still while the loop is blocked or a blocking job runs, so no tick can fall inside either call; run without --virtual-clock to see the difference\n\
         1. on the blocking pool: the call took 0.000 s; the ticker ticked 0 times meanwhile, at most 0.000 s late\n\
         2. inline on the loop: the call took 0.000 s; the ticker ticked 0 times meanwhile; its next tick came 0.000 s late\n\
         ticks during the call: 0 on the pool, 0 inline\n"
    );
}
