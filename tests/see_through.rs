//! See-through, second edition: wake causes at their sites, the SVG picture and
//! the pictures in docs/, the bounded trace log, and the defects a new
//! user found (every demo honours every flag, a stale "parked at", step mode without a
//! terminal, Rust debug formatting in trace names).
//!
//! Everything runs under the virtual clock, so times are exact.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::run_demo_output;
use glassloop::observe::{Direction, EventKind, Reports, Via, WakeCause};
use glassloop::sync::{mpsc, oneshot, Event, Semaphore};
use glassloop::task::Builder as TaskBuilder;
use glassloop::time::sleep;
use glassloop::{Runtime, TaskId};

fn traced() -> Runtime {
    Runtime::builder().virtual_clock().trace().build().unwrap()
}

/// Every wake of the log: (ms, woken task, cause).
fn wakes(rt: &Runtime) -> Vec<(u64, TaskId, WakeCause)> {
    rt.trace_events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake(cause) => Some((e.at.as_millis() as u64, e.task, cause)),
            _ => None,
        })
        .collect()
}

/// A runtime on the virtual clock in debug mode, its reports kept in a buffer (no watchdog:
/// under the virtual clock it would only see real time pass).
fn debug_runtime() -> (Runtime, Reports) {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .debug()
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    (rt, reports)
}

#[test]
fn a_channel_send_a_semaphore_release_and_an_event_set_name_the_task_that_woke() {
    let rt = traced();
    let ids = Rc::new(RefCell::new(Vec::new()));
    let seen = ids.clone();
    rt.block_on(async move {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let semaphore = Rc::new(Semaphore::new(0));
        let event = Rc::new(Event::new());
        let (s, e) = (semaphore.clone(), event.clone());
        let waiter = TaskBuilder::new().name("waiter").spawn(async move {
            rx.recv().await.unwrap();
            let _permit = s.acquire().await.unwrap();
            e.wait().await;
        });
        let (s, e) = (semaphore.clone(), event.clone());
        let waker = TaskBuilder::new().name("waker").spawn(async move {
            tx.send(1).await.unwrap();
            sleep(Duration::from_secs(1)).await;
            s.add_permits(1);
            sleep(Duration::from_secs(1)).await;
            e.set();
        });
        seen.borrow_mut().push(waiter.id());
        seen.borrow_mut().push(waker.id());
        waiter.await.unwrap();
        waker.await.unwrap();
    });
    let (waiter, waker) = (ids.borrow()[0], ids.borrow()[1]);
    let by_waker: Vec<(u64, Option<Via>)> = wakes(&rt)
        .into_iter()
        .filter_map(|(ms, task, cause)| match cause {
            WakeCause::Task { by, via } if task == waiter && by == waker => Some((ms, via)),
            _ => None,
        })
        .collect();
    assert_eq!(
        by_waker,
        vec![
            (0, Some(Via::Channel)),
            (1000, Some(Via::Semaphore)),
            (2000, Some(Via::Event))
        ]
    );
    // The main future, awaiting the waiter, is woken by it finishing, through its JoinHandle.
    let main = rt.trace_events()[0].task; // the first event: block_on began the main future
    assert!(wakes(&rt).contains(&(
        2000,
        main,
        WakeCause::Task {
            by: waiter,
            via: Some(Via::JoinHandle)
        }
    )));
}

#[test]
fn a_yield_is_a_self_wake_and_a_timer_wake_names_its_deadline() {
    let rt = traced();
    rt.block_on(async {
        glassloop::task::yield_now().await;
        sleep(Duration::from_millis(1500)).await;
    });
    let main = rt.trace_events()[0].task;
    assert_eq!(
        wakes(&rt),
        vec![
            (0, main, WakeCause::Itself),
            (
                1500,
                main,
                WakeCause::Timer {
                    deadline_ms: Some(1500)
                }
            )
        ]
    );
}

#[test]
fn a_socket_wake_names_the_socket_and_its_direction() {
    let rt = Runtime::builder().trace().build().unwrap();
    rt.block_on(async {
        let listener = glassloop::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = glassloop::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            byte[0]
        });
        let client = glassloop::net::TcpStream::connect(addr).await.unwrap();
        // Late enough that the server is parked on its read.
        sleep(Duration::from_millis(50)).await;
        client.write_all(&[7]).await.unwrap();
        assert_eq!(server.await.unwrap(), 7);
    });
    let readable = wakes(&rt).into_iter().any(|(_, _, cause)| {
        matches!(
            cause,
            WakeCause::Io {
                socket: Some((_, Direction::Read))
            }
        )
    });
    assert!(readable, "{:?}", wakes(&rt));
}

#[test]
fn the_chrome_trace_draws_each_task_to_task_wake_as_a_flow_arrow() {
    let rt = traced();
    rt.block_on(async {
        TaskBuilder::new()
            .name("child")
            .spawn(async {})
            .await
            .unwrap();
    });
    let json = rt.chrome_trace();
    // One JoinHandle wake: a flow start on the child's track, its end on main's next poll.
    assert_eq!(json.matches("\"ph\":\"s\"").count(), 1, "{json}");
    assert_eq!(
        json.matches("\"ph\":\"f\",\"bp\":\"e\",\"id\":1").count(),
        1,
        "{json}"
    );
    assert!(
        json.contains("\"ph\":\"s\",\"id\":1,\"ts\":0,\"pid\":1,\"tid\":2}"),
        "{json}"
    );
    assert!(
        json.contains("woken by task 'child' #1 (a JoinHandle completing)"),
        "{json}"
    );
}

#[test]
fn the_trace_log_keeps_the_last_n_events_and_the_chrome_trace_says_how_many_were_dropped() {
    let rt = Runtime::builder()
        .virtual_clock()
        .trace()
        .trace_capacity(100)
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            glassloop::task::yield_now().await;
        }
    });
    let events = rt.trace_events();
    assert_eq!(events.len(), 100);
    // A yield is a poll start, a self-wake and a poll end: 3,000 events, the spawn, the
    // last poll (start, end) and nothing else, since a look that does not wait is not logged.
    let json = rt.chrome_trace();
    assert!(
        json.contains("\"otherData\":{\"dropped_events\":\"2903\"}"),
        "{json}"
    );
    assert!(
        json.contains("2903 earlier events dropped (the log keeps the last 100"),
        "{json}"
    );
}

#[test]
fn park_events_read_as_words_not_rust_debug_formatting() {
    let rt = Runtime::builder().trace().build().unwrap();
    rt.block_on(async { sleep(Duration::from_millis(20)).await });
    let json = rt.chrome_trace();
    assert!(json.contains("\"name\":\"park for at most "), "{json}");
    assert!(!json.contains("Some("), "{json}");
}

#[test]
fn the_svg_is_self_contained_with_a_lane_per_task_and_a_late_timer_whisker() {
    let rt = traced();
    rt.block_on(async {
        let late = TaskBuilder::new()
            .name("late")
            .spawn(sleep(Duration::from_secs(1)));
        TaskBuilder::new()
            .name("blocker")
            .spawn(async { glassloop::observe::block_for(Duration::from_secs(3)) })
            .await
            .unwrap();
        late.await.unwrap();
    });
    let svg = rt.svg_timeline();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(
        !svg.contains("<script") && !svg.contains("href=\"http"),
        "{svg}"
    );
    for lane in [
        "the loop",
        "main future #0",
        "task 'late' #1",
        "task 'blocker' #2",
    ] {
        assert!(svg.contains(&format!(">{lane}</text>")), "{lane}: {svg}");
    }
    assert!(svg.contains("loop blocked for 3.000 s"), "{svg}");
    assert!(svg.contains("timer due 1.000 s: +2.000 s late"), "{svg}");
    assert!(svg.contains("fill=\"url(#ready)\""), "{svg}");
}

#[test]
fn block_for_under_the_virtual_clock_is_a_slow_poll_with_its_late_timers() {
    let (rt, reports) = debug_runtime();
    rt.block_on(async {
        let beat = glassloop::spawn(sleep(Duration::from_secs(1)));
        glassloop::task::yield_now().await; // the beat sets its timer
        glassloop::observe::block_for(Duration::from_secs(6));
        beat.await.unwrap();
    });
    let text = reports.contents();
    assert!(text.contains("held the loop for 6.000 s"), "{text}");
    assert!(text.contains("due at 1.000 s, late by 5.000 s"), "{text}");
}

#[test]
fn a_task_that_slept_and_now_waits_on_a_oneshot_is_not_shown_parked_at_the_sleep() {
    let rt = Runtime::builder()
        .virtual_clock()
        .debug()
        .watchdog(false)
        .build()
        .unwrap();
    let (tx, rx) = oneshot::channel::<u8>();
    let sleep_line = line!() + 3;
    rt.spawn(async move {
        // The sleep finishes; the task then waits on the oneshot.
        sleep(Duration::from_secs(1)).await;
        let _ = rx.await;
    });
    rt.block_on(async { sleep(Duration::from_secs(2)).await });
    let dump = rt.dump();
    assert!(
        !dump.contains(&format!("see_through.rs:{sleep_line}")),
        "{dump}"
    );
    drop(tx);
}

#[test]
fn narration_says_what_woke_each_task() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .narrate()
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    rt.block_on(async {
        TaskBuilder::new()
            .name("A")
            .spawn(sleep(Duration::from_secs(1)))
            .await
            .unwrap();
    });
    let text = reports.contents();
    assert!(
        text.contains("[1.000 s]   task 'A' #1 woken by its timer due at 1.000 s"),
        "{text}"
    );
    assert!(
        text.contains("[1.000 s]   main future #0 woken by task 'A' #1 (a JoinHandle completing)"),
        "{text}"
    );
}

// ─────────────── the demos ───────────────

/// Run a demo with `--trace` and `--svg` into a fresh directory; return (stdout, trace, svg).
fn demo_files(args: &[&str], tag: &str) -> (String, String, String) {
    let dir = std::env::temp_dir().join(format!("glassloop-see-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (trace, svg) = (dir.join("t.json"), dir.join("t.svg"));
    let mut all: Vec<&str> = args.to_vec();
    let (t, s) = (
        trace.to_str().unwrap().to_string(),
        svg.to_str().unwrap().to_string(),
    );
    all.extend(["--trace", &t, "--svg", &s]);
    let out = run_demo_output(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    let files = (stdout, read(&trace), read(&svg));
    let _ = std::fs::remove_dir_all(&dir);
    files
}

#[test]
fn the_demos_with_their_own_runtime_honour_trace_and_svg() {
    for demo in ["trace", "stall", "lost_waker"] {
        let (stdout, trace, svg) = demo_files(&["--virtual-clock", demo], demo);
        assert!(
            trace.matches("\"ph\":\"B\"").count() >= 2,
            "{demo}: {stdout}\n{trace}"
        );
        assert!(svg.contains("main future #0"), "{demo}: {svg}");
        assert!(
            stdout.contains(&format!("wrote the SVG timeline of '{demo}'")),
            "{stdout}"
        );
    }
}

#[test]
fn blocking_under_the_virtual_clock_traces_part_1_with_its_six_second_block() {
    let (stdout, trace, svg) = demo_files(&["--virtual-clock", "blocking"], "blocking");
    assert!(
        stdout.contains("[0.000 s] resize started: it blocks the loop"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[6.000 s] fetch of 1.000 s started"),
        "{stdout}"
    );
    assert!(
        trace.contains("\"name\":\"task 'resize image' #2\""),
        "{trace}"
    );
    assert!(svg.contains("loop blocked for 6.000 s"), "{svg}");
    assert!(svg.contains("timer due 1.000 s: +5.000 s late"), "{svg}");
}

#[test]
fn blocking_fast_says_so_and_scales_its_labels() {
    let out = run_demo_output(&["blocking", "--fast"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(--fast: every duration is a tenth of the lesson's"),
        "{stdout}"
    );
    assert!(stdout.contains("fetch of 0.400 s done"), "{stdout}");
    assert!(!stdout.contains("fetch of 4 s"), "{stdout}");
}

/// Run by the next test in a child process: a step-mode runtime inside a test, which
/// prints its prompt to stderr.
#[test]
fn step_mode_in_a_test_prompts_on_stderr() {
    let rt = Runtime::builder()
        .virtual_clock()
        .step_mode()
        .build()
        .unwrap();
    rt.step();
    assert_eq!(rt.ticks(), 1);
}

#[test]
fn a_passing_test_in_step_mode_keeps_its_prompts_to_itself() {
    // The test harness shows a test's output only when it fails; reports must go through
    // its capture (eprint!), not around it.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "step_mode_in_a_test_prompts_on_stderr",
            "--test-threads=1",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("1 passed"), "{all}");
    assert!(!all.contains("[Enter: run this tick"), "{all}");
}

/// The pictures docs/06-timeline.md shows, drawn by the demos under the virtual clock.
#[test]
fn the_pictures_in_docs_are_the_ones_the_demos_draw() {
    for demo in ["blocking", "gather"] {
        let (_, _, svg) = demo_files(&["--virtual-clock", demo], &format!("doc-{demo}"));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/pictures")
            .join(format!("{demo}.svg"));
        if std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &svg).unwrap();
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            kept == svg,
            "{} is not what `glassloop-demos --virtual-clock {demo} --svg FILE` draws now; \
             GLASSLOOP_BLESS_QUOTES=1 cargo test --test see_through redraws it",
            path.display()
        );
    }
}

#[test]
fn a_slow_poll_that_ended_in_a_panic_says_the_panic_may_be_what_took_the_time() {
    let (rt, reports) = debug_runtime();
    let failed = rt.block_on(async {
        TaskBuilder::new()
            .name("crash")
            .spawn(async {
                glassloop::observe::block_for(Duration::from_millis(300));
                panic!("boom");
            })
            .await
    });
    assert!(failed.is_err());
    let text = reports.contents();
    assert!(
        text.contains("task 'crash' #1 held the loop for 0.300 s"),
        "{text}"
    );
    assert!(text.contains("then         panicked"), "{text}");
    assert!(text.contains("The poll ended in a panic"), "{text}");
    assert!(!text.contains("std::thread::sleep"), "{text}");
}
