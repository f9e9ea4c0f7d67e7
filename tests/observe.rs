//! Debug mode: slow polls, the watchdog, busy passes, lost wakers, the dump, stalls, and the
//! event log. Real time appears only where the rule is about real time (a blocking call
//! blocks for real); those tests use wide margins between "fast" and "slow".

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::observe::{EventKind, Reports, Via, WakeCause};
use glassloop::task::{yield_now, Builder as TaskBuilder};
use glassloop::time::sleep;
use glassloop::{Runtime, TaskId};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A virtual-clock runtime in debug mode, reporting into `reports`, without the watchdog.
fn debug_runtime(reports: &Reports, threshold: Duration) -> Runtime {
    Runtime::builder()
        .virtual_clock()
        .slow_poll_threshold(threshold)
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Pending once, after sending its waker on `waker_tx`; ready with `value` when polled again.
/// The thread that receives the waker holds the only way to wake the task, so the loop has
/// to wait for that thread.
fn pending_until_woken_via<T>(waker_tx: mpsc::Sender<Waker>, value: T) -> impl Future<Output = T> {
    let mut value = Some(value);
    let mut sent = false;
    poll_fn(move |cx| {
        if sent {
            return Poll::Ready(value.take().expect("polled again after it was ready"));
        }
        sent = true;
        waker_tx.send(cx.waker().clone()).unwrap();
        Poll::Pending
    })
}

// ─────────────── slow polls (invariant 13) ───────────────

#[test]
fn a_poll_longer_than_the_threshold_is_reported_exactly_once() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(30));
    rt.block_on(async {
        let blocker = TaskBuilder::new().name("blocker").spawn(async {
            std::thread::sleep(ms(90)); // the classic mistake
            yield_now().await;
            yield_now().await;
        });
        blocker.await.unwrap();
    });
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: slow poll"), 1, "{text}");
    assert!(
        text.contains("task 'blocker' #1 held the loop for"),
        "{text}"
    );
}

#[test]
fn polls_faster_than_the_threshold_are_never_reported() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(500));
    rt.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..20 {
            handles.push(glassloop::spawn(async {
                for _ in 0..50 {
                    yield_now().await;
                }
                sleep(Duration::from_secs(1)).await;
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(reports.contents(), "");
}

/// Debug mode under the real clock, reporting into `reports`, without the watchdog.
fn real_clock_debug_runtime(reports: &Reports, threshold: Duration) -> Runtime {
    Runtime::builder()
        .slow_poll_threshold(threshold)
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap()
}

/// The observer carries a poll's end to the next pass's first poll only across a tick that
/// takes no time. A park that sleeps is not such a tick: the poll after it starts afresh.
#[test]
fn a_poll_is_not_charged_for_the_sleep_of_the_loop_before_it() {
    let reports = Reports::new();
    let rt = real_clock_debug_runtime(&reports, ms(100));
    rt.block_on(async {
        let napper = glassloop::spawn(async {
            yield_now().await;
            sleep(ms(300)).await; // the loop parks for 0.3 s: nothing else is ready
            yield_now().await;
        });
        napper.await.unwrap();
    });
    assert_eq!(
        reports.contents(),
        "",
        "no poll took 0.1 s; the loop slept 0.3 s"
    );
}

/// Nor is the time between two calls of `Runtime::step` anybody's poll: a step always looks
/// at I/O, so nothing is carried over to the next one.
#[test]
fn a_poll_is_not_charged_for_the_time_between_two_steps() {
    let reports = Reports::new();
    let rt = real_clock_debug_runtime(&reports, ms(100));
    rt.spawn(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    rt.step();
    std::thread::sleep(ms(300)); // the program does something else between two steps
    rt.step();
    rt.step();
    assert_eq!(
        reports.contents(),
        "",
        "no poll took 0.1 s; the caller waited 0.3 s"
    );
}

#[test]
fn the_slow_poll_report_names_the_task_where_it_was_spawned_and_resumed_and_the_late_timers() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .slow_poll_threshold(ms(50))
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let spawned_line = line!() + 4;
    let resumed_line = line!() + 4;
    rt.block_on(async {
        let ticker = TaskBuilder::new().name("ticker").spawn(sleep(ms(20)));
        let resize = TaskBuilder::new().name("resize").spawn(async {
            sleep(ms(1)).await;
            std::thread::sleep(ms(200));
        });
        resize.await.unwrap();
        ticker.await.unwrap();
    });
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: slow poll"), 1, "{text}");
    let here = file!();
    for expected in [
        "task 'resize' #2 held the loop for".to_string(),
        format!("spawned at   {here}:{spawned_line}:"),
        format!("resumed from {here}:{resumed_line}:"),
        "then         finished".to_string(),
        "meanwhile    0 ready task(s) waited, 1 timer(s) came due and are late:".to_string(),
        "timer of task 'ticker' #1".to_string(),
        "late by".to_string(),
        "The loop cannot see which call blocked".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn the_slow_poll_report_names_the_channel_recv_the_task_resumed_from() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .slow_poll_threshold(ms(50))
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let recv_line = line!() + 4;
    rt.block_on(async {
        let (tx, mut rx) = glassloop::sync::mpsc::channel::<u8>(1);
        let worker = TaskBuilder::new().name("worker").spawn(async move {
            rx.recv().await;
            std::thread::sleep(ms(200)); // blocks the loop right after the recv
        });
        yield_now().await; // the worker parks in recv
        tx.send(1).await.unwrap();
        worker.await.unwrap();
    });
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: slow poll"), 1, "{text}");
    let expected = format!("resumed from {}:{recv_line}:", file!());
    assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
}

#[test]
fn strict_mode_turns_a_slow_poll_into_a_panic_with_the_report() {
    let rt = Runtime::builder()
        .virtual_clock()
        .strict_debug()
        .slow_poll_threshold(ms(20))
        .watchdog(false)
        .build()
        .unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { std::thread::sleep(ms(60)) })
    }))
    .unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("slow poll: task main future #0"),
        "{message}"
    );
}

/// Block the poll that calls this (for at most 5 real seconds) until the watchdog has written
/// to `reports`, and return what it wrote. Still inside one poll, the loop cannot have written
/// it: only the watchdog's thread can.
fn block_until_the_watchdog_reports(reports: &Reports) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !reports.contents().contains("watchdog") {
        assert!(std::time::Instant::now() < deadline, "no watchdog report");
        std::thread::sleep(ms(5));
    }
    reports.contents()
}

#[test]
fn the_watchdog_reports_a_loop_while_it_is_still_blocked() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .slow_poll_threshold(ms(20))
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let seen_while_blocked = rt.block_on(async {
        let inside = reports.clone();
        TaskBuilder::new()
            .name("frozen")
            .spawn(async move { block_until_the_watchdog_reports(&inside) })
            .await
            .unwrap()
    });
    assert!(
        seen_while_blocked.contains("the loop is blocked right now: task 'frozen' #1"),
        "{seen_while_blocked}"
    );
    assert!(seen_while_blocked.contains("spawned at tests/observe.rs:"));
    assert!(!seen_while_blocked.contains("glassloop: slow poll"));
}

#[test]
fn a_pass_of_short_polls_that_add_up_is_reported_naming_the_heaviest_task() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(250));
    rt.block_on(async {
        let heavy = TaskBuilder::new()
            .name("heavy")
            .spawn(async { std::thread::sleep(ms(100)) });
        let light: Vec<_> = (0..4)
            .map(|_| glassloop::spawn(async { std::thread::sleep(ms(40)) }))
            .collect();
        heavy.await.unwrap();
        for handle in light {
            handle.await.unwrap();
        }
    });
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: slow poll"), 0, "{text}");
    assert_eq!(count(&text, "glassloop: busy pass: 5 poll(s)"), 1, "{text}");
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("  'heavy' #1 0.1"), "{text}");
    assert!(
        text.lines().nth(1).unwrap().ends_with("in 1 poll(s)"),
        "{text}"
    );
}

// ─────────────── lost wakers ───────────────

/// Returns Pending once without keeping the waker: the bug.
struct ForgetsItsWaker;

impl Future for ForgetsItsWaker {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn a_task_that_returns_pending_without_keeping_its_waker_is_reported_at_once() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(500));
    let spawned_line = line!() + 2;
    let seen = rt.block_on(async {
        let lost = TaskBuilder::new().name("forgetful").spawn(ForgetsItsWaker);
        yield_now().await; // the forgetful task runs once in this pass
        let seen = reports.contents();
        lost.abort();
        seen
    });
    assert_eq!(count(&seen, "glassloop: lost waker"), 1, "{seen}");
    assert!(
        seen.contains("task 'forgetful' #1 returned Pending"),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("spawned at {}:{spawned_line}:", file!())),
        "{seen}"
    );
    assert!(seen.contains("parked at  a hand-written future"), "{seen}");
}

#[test]
fn tasks_that_keep_their_waker_are_never_reported_lost() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(500));
    rt.block_on(async {
        let sleeper = glassloop::spawn(sleep(ms(10)));
        let joiner = glassloop::spawn(async move { sleeper.await.unwrap() });
        yield_now().await;
        joiner.await.unwrap();
    });
    assert_eq!(reports.contents(), "");
}

#[test]
fn strict_mode_turns_a_lost_waker_into_a_panic() {
    let rt = Runtime::builder()
        .virtual_clock()
        .strict_debug()
        .watchdog(false)
        .build()
        .unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let _lost = glassloop::spawn(ForgetsItsWaker);
            sleep(ms(10)).await;
        })
    }))
    .unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(message.contains("lost waker: task #1"), "{message}");
}

// ─────────────── the dump and stalls ───────────────

#[test]
fn the_dump_lists_every_task_with_its_state_polls_and_await_point() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(500));
    let sleep_line = line!() + 3;
    let dump = rt.block_on(async {
        let sleeper = TaskBuilder::new().name("sleeper").spawn(async {
            sleep(Duration::from_secs(5)).await;
        });
        let fresh = TaskBuilder::new().name("fresh").spawn(async {});
        drop(fresh); // detached: it finishes during the yield below, so the dump omits it
        yield_now().await;
        let queued = TaskBuilder::new().name("queued").spawn(async {});
        let dump = glassloop::dump();
        sleeper.abort();
        queued.abort();
        dump
    });
    assert!(
        dump.starts_with("glassloop task dump at 0.000 s: 2 task(s)"),
        "{dump}"
    );
    assert!(dump.contains("main future #0: polling"), "{dump}");
    assert!(
        dump.contains("task 'sleeper' #1: waiting, polled 1 time(s), 1 waker(s) held"),
        "{dump}"
    );
    assert!(
        dump.contains(&format!("parked at  {}:{sleep_line}:", file!())),
        "{dump}"
    );
    assert!(
        dump.contains("task 'queued' #3: ready, polled 0 time(s)"),
        "{dump}"
    );
}

#[test]
fn a_dump_taken_during_a_poll_counts_only_the_wakers_others_hold() {
    // A poll borrows the task's waker (the header's one strong count); it never clones it,
    // so the dump, the stall check and the lost-waker report need no correction while polling.
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let row = |dump: &str, who: &str| {
        let row = dump.lines().find(|line| line.trim_start().starts_with(who));
        row.unwrap_or_else(|| panic!("no row for {who} in:\n{dump}"))
            .trim()
            .to_string()
    };
    let rows = rt.block_on(async move {
        let kept: Rc<RefCell<Vec<Waker>>> = Rc::default();
        let keep = kept.clone();
        let task = glassloop::spawn(poll_fn(move |cx| {
            let before = row(&glassloop::dump(), "task #1");
            keep.borrow_mut().push(cx.waker().clone());
            Poll::Ready((before, row(&glassloop::dump(), "task #1")))
        }));
        let main_before = row(&glassloop::dump(), "main future");
        let (task_before, task_after) = task.await.unwrap();
        (main_before, task_before, task_after)
    });
    assert_eq!(rows.0, "main future #0: polling, 0 waker(s) held");
    assert_eq!(
        rows.1,
        "task #1: polling, polled 1 time(s), 0 waker(s) held"
    );
    assert_eq!(
        rows.2,
        "task #1: polling, polled 1 time(s), 1 waker(s) held"
    );
}

#[test]
fn the_dump_names_the_channel_recv_and_the_socket_read_a_task_waits_at() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(500));
    let (dump, recv_line, read_line, lock_line) = rt.block_on(async {
        let (tx, mut rx) = glassloop::sync::mpsc::channel::<u32>(1);
        let consume = async move { rx.recv().await };
        let recv_line = line!() - 1;
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await;
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4];
        let read = async move { server.read(&mut buf).await.unwrap() };
        let read_line = line!() - 1;
        let mutex = Rc::new(glassloop::sync::Mutex::new(0));
        let held = mutex.lock().await;
        let (mutex2, lock_line) = (mutex.clone(), line!() + 1);
        let lock = async move { *mutex2.lock().await };
        let consumer = TaskBuilder::new().name("consumer").spawn(consume);
        let reader = TaskBuilder::new().name("reader").spawn(read);
        let locker = TaskBuilder::new().name("locker").spawn(lock);
        yield_now().await; // all three run once and park
        let dump = glassloop::dump();
        drop((tx, held, client));
        let _ = (consumer.await, reader.await, locker.await);
        (dump, recv_line, read_line, lock_line)
    });
    for (task, line) in [
        ("consumer", recv_line),
        ("reader", read_line),
        ("locker", lock_line),
    ] {
        let row = dump
            .split("\n  task ")
            .find(|row| row.starts_with(&format!("'{task}'")))
            .unwrap_or_else(|| panic!("no row for {task} in:\n{dump}"));
        assert!(
            row.contains(&format!("parked at  {}:{line}:", file!())),
            "{task} should be parked at line {line}:\n{dump}"
        );
    }
}

/// A one-slot channel for one thread: the receiver waits until a value is sent.
#[derive(Default)]
struct Slot {
    value: Option<u32>,
    waiter: Option<Waker>,
}

fn receive(slot: Rc<RefCell<Slot>>) -> impl Future<Output = u32> {
    poll_fn(move |cx| {
        let mut slot = slot.borrow_mut();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
}

#[test]
fn under_the_virtual_clock_waiting_on_a_channel_nobody_sends_on_is_a_stall_with_the_dump() {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let slot = Rc::new(RefCell::new(Slot::default()));
            let _sender_kept_but_unused = slot.clone();
            TaskBuilder::new()
                .name("consumer")
                .spawn(receive(slot))
                .await
                .unwrap()
        })
    }))
    .unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("the loop is stalled (virtual clock)"),
        "{message}"
    );
    assert!(
        message.contains("glassloop task dump at 0.000 s"),
        "{message}"
    );
    assert!(
        message.contains("task 'consumer' #1: waiting, polled 1 time(s), 1 waker(s) held"),
        "{message}"
    );
}

#[test]
fn under_the_virtual_clock_announced_outside_work_is_not_a_stall() {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let got = rt.block_on(async {
        let work = glassloop::OutsideWork::new();
        let (tx, rx) = mpsc::channel::<Waker>();
        let thread = std::thread::spawn(move || {
            rx.recv().unwrap().wake();
            drop(work);
        });
        let got = pending_until_woken_via(tx, 7).await;
        thread.join().unwrap();
        got
    });
    assert_eq!(got, 7);
}

#[test]
fn outside_work_that_ends_without_a_wake_lets_the_virtual_clock_jump_again() {
    // The loop parks "until woken" while the work is announced and a timer is set; only the
    // release can wake it. Run on a thread so that a missing wake fails the test, not hangs it.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = Runtime::builder().virtual_clock().build().unwrap();
        let slept = rt.block_on(async {
            let start = glassloop::time::Instant::now();
            let work = glassloop::OutsideWork::new();
            let worker = std::thread::spawn(move || {
                // Not a synchronisation: it only makes it likely that the loop is parked by
                // the time the work ends. Parked or not, the clock must move on.
                std::thread::sleep(ms(20));
                drop(work); // ends without waking any task
            });
            sleep(Duration::from_secs(5)).await;
            worker.join().unwrap();
            start.elapsed()
        });
        done_tx.send(slept).unwrap();
    });
    let slept = done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the loop stayed parked after the outside work ended");
    assert_eq!(slept, Duration::from_secs(5));
}

#[test]
fn under_the_real_clock_a_wait_only_hidden_wakers_can_end_is_reported_as_a_possible_stall() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .slow_poll_threshold(ms(20))
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let watcher = reports.clone();
    let got = rt.block_on(async move {
        let (tx, rx) = mpsc::channel::<Waker>();
        // Another thread holds the waker and wakes the loop only once the report is out.
        std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !watcher.contents().contains("possible stall") {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no possible-stall report"
                );
                std::thread::sleep(ms(2));
            }
            waker.wake();
        });
        pending_until_woken_via(tx, "woken").await
    });
    assert_eq!(got, "woken");
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: possible stall"), 1, "{text}");
    assert!(text.contains("main future #0: waiting"), "{text}");
}

// ─────────────── switched off ───────────────

#[test]
fn with_debug_mode_off_nothing_is_timed_recorded_or_reported() {
    if std::env::var_os(glassloop::observe::DEBUG_ENV).is_some() {
        return; // the environment switches debug mode on for every runtime
    }
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    rt.block_on(async {
        std::thread::sleep(ms(150));
        let _lost = glassloop::spawn(ForgetsItsWaker);
        sleep(ms(5)).await;
    });
    assert_eq!(reports.contents(), "");
    assert!(rt.trace_events().is_empty());
    rt.spawn(std::future::pending::<()>());
    rt.step();
    let dump = rt.dump();
    assert!(
        dump.contains("not recorded: switch on debug mode"),
        "{dump}"
    );
}

// ─────────────── the event log ───────────────

#[test]
fn the_event_log_records_spawns_polls_timers_and_what_woke_each_task() {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    rt.block_on(async {
        let child = TaskBuilder::new()
            .name("child")
            .spawn(sleep(Duration::from_secs(2)));
        child.await.unwrap();
    });
    let main = TaskId::clone(&rt.trace_events()[0].task);
    let child = rt
        .trace_events()
        .iter()
        .find(|e| e.task != main)
        .unwrap()
        .task;
    let events = rt.trace_events();
    // Where each poll parked: main at `child.await`, the child at its sleep, then finished.
    let parked: Vec<(TaskId, bool)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::PollEnd { parked_at } => Some((e.task, parked_at.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(
        parked,
        vec![(main, true), (child, true), (child, false), (main, false)]
    );
    let seen: Vec<(u64, TaskId, EventKind)> = events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Park { .. } | EventKind::Unpark { .. }))
        .map(|e| match e.kind {
            EventKind::PollEnd { .. } => (e.at.as_millis() as u64, e.task, END),
            kind => (e.at.as_millis() as u64, e.task, kind),
        })
        .collect();
    let by_handle = WakeCause::Task {
        by: child,
        via: Some(Via::JoinHandle),
    };
    assert_eq!(
        seen,
        vec![
            (0, main, EventKind::Spawn),
            (0, main, EventKind::PollStart),
            (0, child, EventKind::Spawn),
            (0, main, END),
            (0, child, EventKind::PollStart),
            (0, child, EventKind::TimerSet { deadline_ms: 2000 }),
            (0, child, END),
            (
                2000,
                child,
                EventKind::Wake(WakeCause::Timer {
                    deadline_ms: Some(2000)
                })
            ),
            (2000, child, EventKind::PollStart),
            (2000, main, EventKind::Wake(by_handle)),
            (2000, child, END),
            (2000, child, EventKind::Finished),
            (2000, main, EventKind::PollStart),
            (2000, main, END),
        ]
    );
}

/// A poll's end with its await point left out, for comparing event lists.
const END: EventKind = EventKind::PollEnd { parked_at: None };

#[test]
fn a_wake_from_another_thread_is_recorded_as_such() {
    let rt = Runtime::builder().trace().build().unwrap();
    rt.block_on(async {
        let (tx, rx) = mpsc::channel::<Waker>();
        let thread = std::thread::spawn(move || rx.recv().unwrap().wake());
        pending_until_woken_via(tx, ()).await;
        thread.join().unwrap();
    });
    let wakes: Vec<EventKind> = rt
        .trace_events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Wake(_)))
        .map(|e| e.kind)
        .collect();
    assert_eq!(wakes, vec![EventKind::Wake(WakeCause::Thread)]);
}

#[test]
fn the_timeline_draws_one_row_per_task_with_time_across() {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    rt.block_on(async {
        let a = TaskBuilder::new()
            .name("A")
            .spawn(sleep(Duration::from_secs(1)));
        let b = TaskBuilder::new()
            .name("B")
            .spawn(sleep(Duration::from_secs(4)));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        rt.timeline(),
        "timeline 0.000 s .. 4.000 s, one column = 0.103 s   (# running, r ready, . waiting)\n\
         main future #0  #........#.............................#\n\
         task 'A' #1     #........#\n\
         task 'B' #2     #......................................#\n\
         who woke whom:\n  \
         [1.000 s] main future #0 woken by task 'A' #1 (a JoinHandle completing)\n  \
         [4.000 s] main future #0 woken by task 'B' #2 (a JoinHandle completing)"
    );
}

#[test]
fn the_chrome_trace_names_each_task_track_and_pairs_every_poll() {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    rt.block_on(async {
        TaskBuilder::new()
            .name("say \"hi\"")
            .spawn(sleep(ms(3)))
            .await
            .unwrap();
    });
    let json = rt.chrome_trace();
    assert!(json.starts_with("{\"traceEvents\":["), "{json}");
    assert!(
        json.ends_with("],\"otherData\":{\"dropped_events\":\"0\"}}"),
        "{json}"
    );
    assert!(
        json.contains("\"args\":{\"name\":\"task 'say \\\"hi\\\"' #1\"}"),
        "{json}"
    );
    assert_eq!(count(&json, "\"ph\":\"B\""), count(&json, "\"ph\":\"E\""));
    assert!(
        json.contains("\"name\":\"woken by its timer due at 0.003 s\",\"ph\":\"i\",\"ts\":3000,"),
        "{json}"
    );
}

#[test]
#[should_panic(expected = "build the runtime with `Runtime::builder().trace()`")]
fn asking_for_a_timeline_without_tracing_says_how_to_switch_it_on() {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let _ = rt.timeline();
}

// ─────────────── step mode ───────────────

/// A virtual-clock runtime in step mode, for `describe_loop` (nobody steps it from stdin).
fn step_runtime() -> Runtime {
    Runtime::builder()
        .virtual_clock()
        .step_mode()
        .build()
        .unwrap()
}

#[test]
fn describe_loop_shows_the_ready_queue_and_each_timer_with_its_wheel_position() {
    let rt = step_runtime();
    let set_line = line!() + 2;
    rt.spawn(async {
        sleep(Duration::from_millis(200)).await;
    });
    rt.spawn(async {
        sleep(Duration::from_millis(10)).await;
    });
    assert_eq!(
        rt.describe_loop(),
        "── tick 1 at 0.000 s ──\nready queue (2): task #1, task #2\ntimers (0): none\nI/O waiters: none"
    );
    rt.step(); // both set their timers; the virtual clock jumps to 10 ms and fires #2's.
               // 200 ms is still on level 1 (slot 200 / 64 = 3): at 10 ms the two times first
               // differ in the second base-64 digit.
    assert_eq!(
        rt.describe_loop(),
        format!(
            "── tick 2 at 0.010 s ──\nready queue (1): task #2\ntimers (1):\n  task #1 due at 0.200 s, wheel level 1 slot 3 (set at {}:{set_line}:9)\nI/O waiters: none",
            file!()
        )
    );
}

#[test]
fn describe_loop_names_each_io_waiter_by_token_direction_task_and_await_point() {
    let rt = step_runtime();
    let read_line = line!() + 8;
    rt.spawn(async {
        // Registered in this order: tokens 0, 1, 2.
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1];
        server.read(&mut buf).await.unwrap(); // nobody writes: waits here
        drop(client);
    });
    assert!(rt.describe_loop().ends_with("\nI/O waiters: none"));
    for _ in 0..3 {
        rt.step();
    }
    let described = rt.describe_loop();
    let expected = format!(
        "\nI/O waiters (1):\n  token 2 read: task #1 (awaiting at {}:{read_line}:",
        file!()
    );
    assert!(described.contains(&expected), "{described}");
}

#[test]
fn the_event_log_tells_finished_cancelled_and_panicked_tasks_apart() {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    rt.block_on(async {
        let fine = glassloop::spawn(async {});
        let boom = glassloop::spawn(async { panic!("on purpose") });
        let stuck = glassloop::spawn(std::future::pending::<()>());
        fine.await.unwrap();
        assert!(boom.await.unwrap_err().is_panic());
        stuck.abort();
    });
    let endings: Vec<(u64, EventKind)> = rt
        .trace_events()
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Finished | EventKind::Panicked | EventKind::Cancelled
            )
        })
        .map(|e| (e.task.number(), e.kind))
        .collect();
    assert_eq!(
        endings,
        vec![
            (1, EventKind::Finished),
            (2, EventKind::Panicked),
            (3, EventKind::Cancelled)
        ]
    );
}

#[test]
fn narration_says_how_long_the_loop_parked_and_what_woke_it() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .narrate()
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    rt.block_on(async {
        sleep(ms(30)).await; // the park ends when the timeout runs out
        let (tx, rx) = mpsc::channel::<Waker>();
        let thread = std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            std::thread::sleep(ms(30)); // so that the loop is surely parked
            waker.wake();
        });
        pending_until_woken_via(tx, ()).await;
        thread.join().unwrap();
    });
    let text = reports.contents();
    assert!(text.contains("decide: park for at most 0.0"), "{text}");
    assert!(
        text.contains("woke because the timeout ran out: a timer is due"),
        "{text}"
    );
    assert!(text.contains("decide: park until woken"), "{text}");
    assert!(
        text.contains("woke because another thread woke 1 task(s)"),
        "{text}"
    );
}

/// The wake events of a traced runtime that runs twice on this thread, woken in between
/// from outside any run, with or without another traced runtime running meanwhile.
fn wakes_of_two_runs(other_runtime_between: bool) -> Vec<(TaskId, EventKind)> {
    let rt = Runtime::builder().virtual_clock().trace().build().unwrap();
    let main_waker = rt.block_on(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
    main_waker.wake(); // on the loop's thread, between two runs: noted, not yet collected
    if other_runtime_between {
        let other = Runtime::builder().virtual_clock().trace().build().unwrap();
        other.block_on(yield_now());
    }
    rt.block_on(yield_now());
    let events = rt.trace_events();
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Wake(_)))
        .map(|e| (e.task, e.kind))
        .collect()
}

#[test]
fn another_traced_runtime_taking_a_turn_on_the_thread_loses_no_wake_of_the_first() {
    let alone = wakes_of_two_runs(false);
    assert!(
        alone.len() >= 2,
        "the outside wake and the yield's self-wake: {alone:?}"
    );
    assert_eq!(wakes_of_two_runs(true), alone);
}

#[test]
fn the_watchdog_names_where_a_blocked_task_resumed_from() {
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .slow_poll_threshold(ms(20))
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let resumed_line = line!() + 6; // the `yield_now().await` below
    let seen_while_blocked = rt.block_on(async {
        let inside = reports.clone();
        TaskBuilder::new()
            .name("frozen later")
            .spawn(async move {
                yield_now().await;
                // The second poll blocks: the watchdog publishes where it resumed from.
                block_until_the_watchdog_reports(&inside)
            })
            .await
            .unwrap()
    });
    assert!(seen_while_blocked.contains("task 'frozen later' #1 spawned at tests/observe.rs:"));
    let resumed = format!("It resumed from tests/observe.rs:{resumed_line}:");
    assert!(
        seen_while_blocked.contains(&resumed),
        "{resumed} in:\n{seen_while_blocked}"
    );
}

/// "meanwhile N ready task(s) waited" counts the tasks that were ready when the slow poll
/// began. Tasks the poll itself spawned are in the queue when it ends, but did not wait
/// behind it.
#[test]
fn the_slow_poll_report_counts_the_tasks_waiting_behind_it_not_those_it_spawned() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(30));
    rt.block_on(async {
        let hog = glassloop::spawn(async {
            for _ in 0..5 {
                drop(glassloop::spawn(async {})); // queued by this poll
            }
            glassloop::observe::block_for(ms(60));
        });
        let waiting = [glassloop::spawn(async {}), glassloop::spawn(async {})]; // behind it
        hog.await.unwrap();
        for task in waiting {
            task.await.unwrap();
        }
    });
    let text = reports.contents();
    assert_eq!(count(&text, "glassloop: slow poll"), 1, "{text}");
    assert!(
        text.contains("meanwhile    2 ready task(s) waited"),
        "{text}"
    );
}

/// `block_on` returns as soon as its future completes, which may be in the middle of a pass:
/// what that pass noted belongs to that call, not to the next one's first pass.
#[test]
fn a_busy_pass_never_adds_the_polls_of_an_earlier_block_on() {
    let reports = Reports::new();
    let rt = debug_runtime(&reports, ms(100));
    rt.block_on(async {
        drop(glassloop::spawn(async {
            glassloop::observe::block_for(ms(60))
        }));
        yield_now().await; // the next pass: the task's 60 ms, then this future completes
    });
    rt.block_on(async {
        glassloop::observe::block_for(ms(60)); // a first pass of 60 ms: under the threshold
        yield_now().await;
    });
    assert_eq!(reports.contents(), "");
}
