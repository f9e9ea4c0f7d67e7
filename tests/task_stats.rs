//! Per-task figures: busy, scheduled and idle time, wakes and self-wakes,
//! and the poll-time histogram, exact under the virtual clock; and the determinism check
//! (observe/replay.rs), which compares two runs' event logs. Busy time there is zero unless
//! `observe::block_for` stands in for a blocking call, so the worker below uses it.

mod common;

use std::time::Duration;

use glassloop::observe::{block_for, PollHistogram, TaskStats};
use glassloop::time::sleep;
use glassloop::{task, Runtime};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Debug mode under the virtual clock, with a threshold no `block_for` here reaches: the
/// figures, and no slow-poll report in the way.
fn figures_runtime() -> Runtime {
    Runtime::builder()
        .virtual_clock()
        .debug()
        .slow_poll_threshold(Duration::from_secs(10))
        .build()
        .unwrap()
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
    let rt = figures_runtime();
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

// ───────────── replay: the determinism check ─────────────

/// Three tasks that sleep and yield: whatever order a seed picks, it picks it twice.
#[test]
fn a_program_run_twice_under_one_seed_records_the_same_event_log() {
    let mut counts = Vec::new();
    for seed in [1, 2, 99] {
        let events = glassloop::observe::check_determinism(seed, || async {
            let tasks: Vec<_> = (1..=3u64)
                .map(|n| {
                    task::spawn(async move {
                        task::yield_now().await;
                        sleep(ms(100 * n)).await;
                    })
                })
                .collect();
            for handle in tasks {
                handle.await.unwrap();
            }
        });
        let events = events.unwrap_or_else(|divergence| panic!("seed {seed}: {divergence}"));
        // The order changes with the seed; how many things happen does not.
        counts.push(events);
    }
    assert!(
        counts[0] > 0 && counts.iter().all(|n| *n == counts[0]),
        "{counts:?}"
    );
}

/// A program that reads a counter outside the loop sleeps 1 s in its first run and 2 s in
/// its second: the check names the first event that differs, the timer's deadline.
#[test]
fn a_program_that_reads_outside_state_differs_at_its_first_timer() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let divergence = glassloop::observe::check_determinism(5, || async {
        let run = RUNS.fetch_add(1, Ordering::Relaxed) + 1;
        sleep(Duration::from_secs(run)).await;
    })
    .expect_err("the two runs sleep for different times");
    // Event 0: main spawned; 1: its poll began; 2: its timer, the first difference.
    assert_eq!((divergence.seed, divergence.index), (5, 2));
    let (first, second) = (divergence.first.unwrap(), divergence.second.unwrap());
    assert_eq!(
        (first.kind, second.kind),
        (
            glassloop::observe::EventKind::TimerSet { deadline_ms: 1000 },
            glassloop::observe::EventKind::TimerSet { deadline_ms: 2000 }
        )
    );
    let text = divergence.to_string();
    assert!(
        text.contains(&format!(
            "differ at event {}:\n  first run:  at 0.000 s, main future #0 (or the loop) set a \
             timer due at 1.000 s\n  second run: at 0.000 s, main future #0 (or the loop) set a \
             timer due at 2.000 s",
            divergence.index
        )),
        "{text}"
    );
    assert!(text.ends_with("Rerun one with GLASSLOOP_SCHEDULE=random:5 to see it again."));
}

/// When the virtual clock does not jump, the step view says what holds it.
#[test]
fn the_step_view_says_that_outside_work_holds_the_virtual_clock() {
    let rt = Runtime::builder().virtual_clock().debug().build().unwrap();
    let view = rt.block_on(async {
        let _work = glassloop::OutsideWork::new();
        rt.describe_loop()
    });
    let created_at = format!("{}:{}:21", file!(), line!() - 3); // the `OutsideWork::new()`
    assert!(
        view.ends_with(&format!(
            "\noutside work (1): 1 OutsideWork; the virtual clock waits for them\n  \
             OutsideWork at {created_at}, in flight since 0.000 s"
        )),
        "{view}"
    );
    assert!(
        !rt.describe_loop().contains("outside work"),
        "none once the guard is dropped"
    );
}

#[test]
fn a_task_that_aborts_itself_keeps_the_figures_of_its_last_poll() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let rt = figures_runtime();
    rt.block_on(async {
        let me: Rc<RefCell<Option<glassloop::JoinHandle<()>>>> = Rc::default();
        let inside = me.clone();
        let handle = task::spawn(async move {
            block_for(ms(200)); // its one poll holds the loop 0.2 s, then it aborts itself
            if let Some(handle) = inside.borrow().as_ref() {
                handle.abort();
            }
            std::future::pending::<()>().await;
        });
        *me.borrow_mut() = Some(handle);
        sleep(ms(1000)).await; // time passes after its end: its figures must not grow
    });
    let stats: Vec<TaskStats> = rt.task_stats();
    // Its end came inside its poll; the poll still counts, and ends where the poll ended.
    assert_eq!(
        (stats[1].polls, stats[1].busy, stats[1].idle, stats[1].ended),
        (1, ms(200), Duration::ZERO, true),
        "{:#?}",
        stats[1]
    );
}

/// A task that aborts itself keeps its notes until the pass ends (its last poll must still
/// count). A wake that reaches it after its end, from a task polled later in that pass, is
/// not a wake of a live task: it is ignored, as for every task that has ended, and the
/// figures stay those of its end.
#[test]
fn a_wake_after_a_task_aborted_itself_in_the_same_pass_changes_none_of_its_figures() {
    use std::cell::RefCell;
    use std::future::poll_fn;
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    let rt = figures_runtime();
    rt.block_on(async {
        let saved: Rc<RefCell<Option<Waker>>> = Rc::default();
        let me: Rc<RefCell<Option<glassloop::JoinHandle<()>>>> = Rc::default();
        let (keep, inside) = (saved.clone(), me.clone());
        let mut polls = 0;
        let aborter = task::spawn(poll_fn(move |cx| {
            polls += 1;
            if polls == 1 {
                *keep.borrow_mut() = Some(cx.waker().clone());
                cx.waker().wake_by_ref(); // polled again in the next pass, first in it
            } else if let Some(handle) = inside.borrow().as_ref() {
                handle.abort(); // ends itself in its second poll
            }
            Poll::Pending
        }));
        *me.borrow_mut() = Some(aborter);
        let waker_of_the_ended = saved.clone();
        let late = task::spawn(async move {
            task::yield_now().await; // its second poll comes after the aborter's, same pass
            if let Some(waker) = waker_of_the_ended.borrow().as_ref() {
                waker.wake_by_ref(); // reaches a task that has just ended
            }
        });
        late.await.unwrap();
        sleep(ms(10)).await; // the pass has ended; time passes
    });
    let aborter = &rt.task_stats()[1];
    assert!(aborter.ended, "{aborter:?}");
    assert_eq!(aborter.polls, 2, "{aborter:?}");
    assert_eq!(
        aborter.wakes, 1,
        "only its own wake, before its end: {aborter:?}"
    );
    assert_eq!(aborter.scheduled, Duration::ZERO, "{aborter:?}");
}
