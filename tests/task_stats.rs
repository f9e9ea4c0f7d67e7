//! Per-task figures (issue 12, item 4): busy, scheduled and idle time, wakes and self-wakes,
//! and the poll-time histogram, exact under the virtual clock. Busy time there is zero unless
//! `observe::block_for` stands in for a blocking call, so the worker below uses it.

mod common;

use std::time::Duration;

use glassloop::observe::{block_for, PollHistogram, TaskStats};
use glassloop::time::sleep;
use glassloop::{task, Runtime};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The worker blocks for 300 ms, sleeps 1 s, yields once and ends; main sleeps 500 ms and
/// then awaits the worker.
fn run_world(builder: glassloop::Builder) -> Runtime {
    let rt = builder
        .virtual_clock()
        .slow_poll_threshold(Duration::from_secs(10))
        .build()
        .unwrap();
    rt.block_on(async {
        let worker = task::Builder::new().name("worker").spawn(async {
            block_for(ms(300)); // poll 1: busy 0 → 0.3 s
            sleep(ms(1000)).await; // idle 0.3 → 1.3 s, woken by its timer
            task::yield_now().await; // poll 2 wakes itself; poll 3 finishes
        });
        sleep(ms(500)).await; // main idle 0 → 0.5 s
        worker.await.unwrap(); // main idle 0.5 → 1.3 s, woken by the JoinHandle
    });
    rt
}

#[test]
fn each_task_splits_its_life_into_busy_scheduled_and_idle_and_counts_its_wakes() {
    let rt = run_world(Runtime::builder().debug());
    let stats = rt.task_stats();
    assert_eq!(stats.len(), 2, "{stats:#?}");
    let main = &stats[0];
    assert_eq!(
        (
            main.id.number(),
            main.polls,
            main.busy,
            main.scheduled,
            main.idle,
            main.wakes,
            main.self_wakes
        ),
        (0, 3, Duration::ZERO, Duration::ZERO, ms(1300), 2, 0),
        "{main:#?}"
    );
    let worker = &stats[1];
    assert_eq!(worker.name.as_deref(), Some("worker"));
    assert_eq!(
        (
            worker.polls,
            worker.busy,
            worker.scheduled,
            worker.idle,
            worker.wakes,
            worker.self_wakes
        ),
        (3, ms(300), Duration::ZERO, ms(1000), 2, 1),
        "{worker:#?}"
    );
    assert!(
        worker.ended,
        "a finished task keeps its figures: {worker:#?}"
    );
}

#[test]
fn the_poll_histogram_puts_the_blocking_poll_in_its_decade() {
    let rt = run_world(Runtime::builder().trace());
    let histogram = rt.poll_histogram();
    // Six polls: five take no virtual time, the worker's first holds the loop 300 ms.
    assert_eq!(histogram.counts, [5, 0, 0, 0, 0, 1, 0], "{histogram}");
    assert_eq!(histogram.total(), 6);
    assert_eq!(PollHistogram::BOUNDS[5], Duration::from_secs(1));
}

#[test]
fn a_task_queued_behind_a_blocking_neighbour_counts_scheduled_time() {
    let rt = Runtime::builder()
        .virtual_clock()
        .debug()
        .slow_poll_threshold(Duration::from_secs(10))
        .build()
        .unwrap();
    rt.block_on(async {
        let hog = task::spawn(async { block_for(ms(200)) });
        let victim = task::spawn(async {});
        hog.await.unwrap();
        victim.await.unwrap();
    });
    let stats: Vec<TaskStats> = rt.task_stats();
    // Both were queued at 0; the victim's poll began only when the hog's ended, at 0.2 s.
    assert_eq!(
        (stats[1].busy, stats[1].scheduled),
        (ms(200), Duration::ZERO)
    );
    assert_eq!(
        (stats[2].busy, stats[2].scheduled),
        (Duration::ZERO, ms(200))
    );
    assert_eq!(
        (stats[2].polls, stats[2].wakes, stats[2].idle),
        (1, 0, Duration::ZERO)
    );
}

#[test]
#[should_panic(expected = "Runtime::task_stats needs the poll times")]
fn task_stats_without_debug_or_tracing_says_how_to_switch_them_on() {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    rt.block_on(async {});
    let _ = rt.task_stats();
}

#[test]
fn demo_tasks_with_stats_prints_the_table_under_the_virtual_clock() {
    let out = common::run_demo(&["--virtual-clock", "--stats", "tasks"]);
    let table = &out[out.find("task   ").expect("a table")..];
    let chapter = include_str!("../docs/04-debug-mode.md");
    assert!(
        chapter.contains(&format!("```text\n{table}```")),
        "docs/04 quotes another table"
    );
    assert_eq!(
        table,
        "\
task                      polls       busy  scheduled       idle  wakes   self  state
main future #0                4    0.000 s    0.000 s    3.000 s      3      0  block_on
'coffee' #1                   2    0.000 s    0.000 s    2.000 s      1      0  ended
'toast' #2                    2    0.000 s    0.000 s    3.000 s      1      0  ended
poll times (8 polls):
   < 10 µs       8 ########################################
  < 100 µs       0
    < 1 ms       0
   < 10 ms       0
  < 100 ms       0
     < 1 s       0
    >= 1 s       0
"
    );
}
