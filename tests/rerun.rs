//! Replay: a failure under a random schedule ends with its seed and the command
//! that reruns it, and rerunning with that seed gives the same failure, event for event; and
//! when outside work holds the virtual clock, the step view and the "clock held" report say
//! what holds it, by kind and count, one line each. Exact, under the virtual clock.
//!
//! These tests expect neither `GLASSLOOP_SCHEDULE` nor `GLASSLOOP_DEBUG` in the environment
//! (the suite's usual state): the first would replace the seeds they set, the second would add
//! itself to the commands and reports they check.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::process::Command;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use glassloop::observe::{Event, Reports, Schedule};
use glassloop::sync::oneshot;
use glassloop::task::{yield_now, Builder as TaskBuilder};
use glassloop::time::{sleep, Instant};
use glassloop::{spawn_blocking, JoinHandle, OutsideWork, Runtime};

const SEED: u64 = 77;

/// The lines a failure's report ends with, for this test (`test` is its name), as a reader
/// would write them down from what the process is: its executable, and cargo if cargo ran it.
fn expected_lines(what: &str, seed: u64, origin: &str, test: &str) -> String {
    let exe = shown(&std::env::current_exe().unwrap());
    let mut lines = format!(
        "glassloop: {what} under the random schedule with seed {seed} ({origin}). To run \
         exactly this program again with this seed:\n  GLASSLOOP_SCHEDULE=random:{seed} {exe} \
         {test} --exact"
    );
    if std::env::var_os("CARGO").is_some() {
        lines.push_str(&format!(
            "\n  through cargo (it rebuilds first; add the --features you built with):\n  \
             GLASSLOOP_SCHEDULE=random:{seed} cargo test --test rerun -- {test} --exact"
        ));
    }
    lines
}

/// An executable's path as the report shows it: from the working directory if inside it.
fn shown(exe: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap();
    exe.strip_prefix(&cwd).unwrap_or(exe).display().to_string()
}

/// The seed a report's lines name: the number after the last `random:`.
fn seed_in(report: &str) -> u64 {
    let after = report.rsplit("GLASSLOOP_SCHEDULE=random:").next().unwrap();
    after
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .expect("a seed after random:")
}

fn seeded_runtime(seed: u64, reports: &Reports) -> Runtime {
    Runtime::builder()
        .virtual_clock()
        .trace()
        .schedule(Schedule::Random { seed })
        .debug_reports_to(reports.clone())
        .build()
        .unwrap()
}

/// Three workers take turns on a shared list (their order is the schedule's), then wait on
/// channels nobody sends on; main waits on one too: a stall, whatever the order.
async fn workers_then_a_stall(order: Rc<RefCell<Vec<String>>>) {
    let mut kept = Vec::new();
    for name in ["a", "b", "c"] {
        let (tx, rx) = oneshot::channel::<()>();
        kept.push(tx);
        let order = order.clone();
        TaskBuilder::new().name(name).spawn(async move {
            for round in 0..3 {
                order.borrow_mut().push(format!("{name}{round}"));
                yield_now().await;
            }
            let _ = rx.await;
        });
    }
    let (_never, rx) = oneshot::channel::<()>();
    let _ = rx.await;
    drop(kept);
}

/// Run the stalling program under `seed`: the stall report, the order, and the event log.
fn stall_under(seed: u64) -> (String, Vec<String>, Vec<Event>) {
    let reports = Reports::new();
    let rt = seeded_runtime(seed, &reports);
    let order = Rc::new(RefCell::new(Vec::new()));
    let stalled = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(workers_then_a_stall(order.clone()))
    }));
    let report = *stalled
        .expect_err("the program stalls")
        .downcast::<String>()
        .unwrap();
    let order = order.borrow().clone();
    (report, order, rt.trace_events())
}

#[test]
fn a_stall_under_a_random_schedule_ends_with_its_seed_and_the_command_and_the_seed_replays_it() {
    let test = "a_stall_under_a_random_schedule_ends_with_its_seed_and_the_command_and_the_seed_replays_it";
    let (report, order, events) = stall_under(SEED);
    assert!(
        report.starts_with("glassloop: the loop is stalled (virtual clock)."),
        "{report}"
    );
    let expected = expected_lines("the loop stalled", SEED, "set by the program", test);
    assert!(
        report.ends_with(&format!("\n{expected}")),
        "the report ends:\n{report}"
    );

    // Rerun with the seed the report names: the same failure, the same order, the same log.
    let (again, again_order, again_events) = stall_under(seed_in(&report));
    assert_eq!(again, report);
    assert_eq!(again_order, order);
    assert_eq!(again_events, events);
    // And the seed mattered: the workers did not take their turns in FIFO order.
    let fifo: Vec<String> = (0..3)
        .flat_map(|r| ["a", "b", "c"].map(|n| format!("{n}{r}")))
        .collect();
    assert_eq!(order.len(), fifo.len());
    assert_ne!(
        order, fifo,
        "seed {SEED} happened to give the FIFO order; pick another"
    );
}

/// Run a program whose main future panics with the order its workers ran in.
fn main_panic_under(seed: u64) -> (String, String, Vec<Event>) {
    let reports = Reports::new();
    let rt = seeded_runtime(seed, &reports);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let order = Rc::new(RefCell::new(Vec::new()));
            let workers: Vec<JoinHandle<()>> = (1..=4)
                .map(|n| {
                    let order = order.clone();
                    glassloop::spawn(async move {
                        yield_now().await;
                        order.borrow_mut().push(n);
                    })
                })
                .collect();
            for worker in workers {
                worker.await.unwrap();
            }
            let order = order.borrow().clone();
            panic!("the workers finished in the order {order:?}");
        })
    }));
    let message = *panicked
        .expect_err("main panics")
        .downcast::<String>()
        .unwrap();
    (message, reports.contents(), rt.trace_events())
}

#[test]
fn a_main_future_panic_under_a_random_schedule_is_followed_by_its_seed_and_the_command() {
    let test =
        "a_main_future_panic_under_a_random_schedule_is_followed_by_its_seed_and_the_command";
    let (message, reports, events) = main_panic_under(SEED);
    // After the panic's own message (stderr, from the default hook): these lines.
    let expected = expected_lines("the main future panicked", SEED, "set by the program", test);
    assert_eq!(reports, format!("{expected}\n"));
    let (again, again_reports, again_events) = main_panic_under(seed_in(&reports));
    assert_eq!((again, again_reports), (message.clone(), reports));
    assert_eq!(again_events, events);
    assert!(
        message.starts_with("the workers finished in the order ["),
        "{message}"
    );
}

#[test]
fn a_detached_task_panic_under_a_random_schedule_is_followed_by_its_seed_and_the_command() {
    let test =
        "a_detached_task_panic_under_a_random_schedule_is_followed_by_its_seed_and_the_command";
    let reports = Reports::new();
    // Nothing else on: the seed keeper (rerun.rs), not the observer, reports.
    let rt = Runtime::builder()
        .virtual_clock()
        .schedule(Schedule::Random { seed: SEED })
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    rt.block_on(async {
        drop(
            TaskBuilder::new()
                .name("doomed")
                .spawn(async { panic!("doomed on purpose") }),
        );
        sleep(Duration::from_secs(1)).await;
    });
    let expected = expected_lines(
        "task 'doomed' #1 panicked",
        SEED,
        "set by the program",
        test,
    );
    assert_eq!(reports.contents(), format!("{expected}\n"));
}

#[test]
fn with_nothing_else_on_a_random_schedule_still_ends_a_stall_and_a_main_panic_with_the_seed() {
    let test =
        "with_nothing_else_on_a_random_schedule_still_ends_a_stall_and_a_main_panic_with_the_seed";
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .schedule(Schedule::Random { seed: 5 })
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    let stalled = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(workers_then_a_stall(order))
    }));
    let report = *stalled
        .expect_err("the program stalls")
        .downcast::<String>()
        .unwrap();
    let expected = expected_lines("the loop stalled", 5, "set by the program", test);
    assert!(
        report.ends_with(&format!("\n{expected}")),
        "the report ends:\n{report}"
    );
    assert_eq!(
        reports.take(),
        "",
        "the stall's lines are in its message, not printed again"
    );

    let panicked = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { panic!("on purpose") })
    }));
    assert!(panicked.is_err());
    let expected = expected_lines("the main future panicked", 5, "set by the program", test);
    assert_eq!(reports.take(), format!("{expected}\n"));
}

#[test]
fn a_seed_drawn_from_the_clock_ends_the_stall_report_and_its_command_replays_the_same_run() {
    let demos = env!("CARGO_BIN_EXE_glassloop-demos");
    let args = ["--virtual-clock", "--timeline", "stall"];
    let first = Command::new(demos)
        .args(args)
        .env("GLASSLOOP_SCHEDULE", "random")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(first.stdout).unwrap(),
        String::from_utf8(first.stderr).unwrap(),
    );
    // Printed at the start, on stderr ...
    let seed: u64 = stderr
        .strip_prefix("glassloop: random scheduling with seed ")
        .and_then(|rest| rest.split(';').next())
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| panic!("no seed at the start of stderr:\n{stderr}"));
    // ... and at the end of the stall report, with the command.
    let exe = shown(&std::fs::canonicalize(demos).unwrap());
    let rerun = format!("GLASSLOOP_SCHEDULE=random:{seed} {exe} --virtual-clock --timeline stall");
    let mut lines = format!(
        "glassloop: the loop stalled under the random schedule with seed {seed} (drawn from \
         the clock: GLASSLOOP_SCHEDULE=random). To run exactly this program again with this \
         seed:\n  {rerun}"
    );
    if std::env::var_os("CARGO").is_some() {
        lines.push_str(&format!(
            "\n  through cargo (it rebuilds first; add the --features you built with):\n  \
             GLASSLOOP_SCHEDULE=random:{seed} cargo run --bin glassloop-demos -- \
             --virtual-clock --timeline stall"
        ));
    }
    let report_end = format!("{lines}\ntimeline "); // then the timeline the flag asks for
    assert!(
        stdout.contains(&report_end),
        "the stall report does not end with:\n{lines}\n---\n{stdout}"
    );

    // Run the command as printed: the same report and the same timeline, event for event.
    let mut words = rerun.split(' ');
    let (name, value) = words.next().unwrap().split_once('=').unwrap();
    let second = Command::new(words.next().unwrap())
        .args(words)
        .env(name, value)
        .output()
        .unwrap();
    let again = String::from_utf8(second.stdout).unwrap();
    let from_env = "from GLASSLOOP_SCHEDULE";
    assert_eq!(
        again,
        stdout.replace("drawn from the clock: GLASSLOOP_SCHEDULE=random", from_env)
    );
    assert!(String::from_utf8(second.stderr).unwrap().is_empty());
}

// ───────────────────────────── what holds the virtual clock ─────────────────────────────

/// A blocking job that runs until `release` says so; its location is this call's caller's.
#[track_caller]
fn held_job(release: mpsc::Receiver<()>) -> (JoinHandle<()>, &'static Location<'static>) {
    let job = spawn_blocking(move || {
        let _ = release.recv();
    });
    (job, Location::caller())
}

/// An `OutsideWork` on a thread that drops it when `release` says so.
#[track_caller]
fn held_guard(release: mpsc::Receiver<()>) -> &'static Location<'static> {
    let work = OutsideWork::new();
    std::thread::spawn(move || {
        let _ = release.recv();
        drop(work);
    });
    Location::caller()
}

#[test]
fn the_step_view_and_the_dump_name_what_holds_the_virtual_clock_by_kind_count_and_place() {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    let (releases, places) = (
        Rc::new(RefCell::new(Vec::new())),
        Rc::new(RefCell::new(Vec::new())),
    );
    let (r, p) = (releases.clone(), places.clone());
    let holder = rt.spawn(async move {
        let mut jobs = Vec::new();
        for _ in 0..2 {
            let (tx, rx) = mpsc::channel();
            r.borrow_mut().push(tx);
            let (job, at) = held_job(rx);
            p.borrow_mut().push(at);
            jobs.push(job);
        }
        let (tx, rx) = mpsc::channel();
        r.borrow_mut().push(tx);
        p.borrow_mut().push(held_guard(rx));
        sleep(Duration::from_secs(5)).await;
        for job in jobs {
            job.await.unwrap();
        }
        Instant::now().since_origin()
    });
    rt.step(); // the holder starts both jobs, the guard and the sleep
    rt.step(); // the jobs' tasks park on their cells
    let [job1, job2, guard] = places.borrow()[..] else {
        panic!("three places")
    };
    let view = rt.describe_loop();
    let outside = view
        .split_once("\noutside work")
        .map(|(_, rest)| rest)
        .expect("outside work");
    assert_eq!(
        outside,
        format!(
            " (3): 2 blocking jobs in flight, 1 OutsideWork; the virtual clock waits for them\n  \
             blocking job (glassloop::spawn_blocking) at {job1}, in flight since 0.000 s\n  \
             blocking job (glassloop::spawn_blocking) at {job2}, in flight since 0.000 s\n  \
             OutsideWork at {guard}, in flight since 0.000 s"
        )
    );
    assert!(
        view.starts_with("── tick 3 at 0.000 s ──\nready queue (0): empty\ntimers (1):\n"),
        "{view}"
    );
    // The dump says the same, under its summary line.
    let dump = rt.dump();
    let first_lines: Vec<&str> = dump.lines().take(5).collect();
    assert_eq!(
        first_lines[1..],
        [
            "  outside work: 2 blocking jobs in flight, 1 OutsideWork".to_string(),
            format!(
                "    blocking job (glassloop::spawn_blocking) at {job1}, in flight since 0.000 s"
            ),
            format!(
                "    blocking job (glassloop::spawn_blocking) at {job2}, in flight since 0.000 s"
            ),
            format!("    OutsideWork at {guard}, in flight since 0.000 s"),
        ],
        "{dump}"
    );
    assert!(
        first_lines[0].ends_with("3 job(s) running outside the loop."),
        "{dump}"
    );
    // A step looks and returns: time stands still while the work is in flight.
    assert_eq!(rt.step().now.since_origin(), Duration::ZERO);

    for release in releases.borrow().iter() {
        release.send(()).unwrap();
    }
    assert_eq!(rt.block_on(holder).unwrap(), Duration::from_secs(5));
    assert!(!rt.describe_loop().contains("outside work"));
}

/// Wait (on a pool thread or a plain one) until `reports` holds a report with `text`.
fn wait_for_report(reports: &Reports, text: &str) {
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while !reports.contents().contains(text) {
        assert!(
            std::time::Instant::now() < give_up,
            "no report with {text:?} in a minute"
        );
        std::thread::sleep(Duration::from_millis(1)); // how often to look, not a guess of when
    }
}

#[test]
fn a_virtual_clock_held_by_outside_work_is_reported_with_what_holds_it() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .slow_poll_threshold(Duration::from_millis(20))
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let held = "the virtual clock is held";
    let (ended, places) = rt.block_on(async {
        let (mut places, mut jobs, mut releases) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..2 {
            let (tx, rx) = mpsc::channel();
            releases.push(tx);
            let (job, at) = held_job(rx);
            places.push(at);
            jobs.push(job);
        }
        let (tx, rx) = mpsc::channel();
        releases.push(tx);
        places.push(held_guard(rx));
        // The work ends once the loop has said what holds the clock.
        let watcher = reports.clone();
        std::thread::spawn(move || {
            wait_for_report(&watcher, held);
            for release in releases {
                let _ = release.send(());
            }
        });
        sleep(Duration::from_secs(5)).await;
        for job in jobs {
            job.await.unwrap();
        }
        (Instant::now().since_origin(), places)
    });
    assert_eq!(ended, Duration::from_secs(5));
    let [job1, job2, guard] = places[..] else {
        panic!("three places")
    };
    let reports = reports.contents();
    // The first report, exactly. The three pieces end on three threads, so the loop may
    // run between two of them and, on a busy machine, report the rest once more.
    let mut blocks = reports.split_inclusive("keeps waiting.\n");
    assert_eq!(
        blocks.next().unwrap(),
        format!(
            "glassloop: the virtual clock is held at 0.000 s: for 0.020 s no task was ready, \
             and time may not jump to the next timer (due at 5.000 s) while outside work is in \
             flight: 2 blocking jobs in flight, 1 OutsideWork.\n  \
             blocking job (glassloop::spawn_blocking) at {job1}, in flight since 0.000 s\n  \
             blocking job (glassloop::spawn_blocking) at {job2}, in flight since 0.000 s\n  \
             OutsideWork at {guard}, in flight since 0.000 s\n  \
             Time moves on once each has ended: a blocking job when its function returns, an \
             OutsideWork when it is dropped. One that never ends holds the clock for good. The \
             loop keeps waiting.\n"
        )
    );
    for later in blocks {
        assert!(
            later.starts_with("glassloop: the virtual clock is held at 0.000 s"),
            "{later}"
        );
    }
}
