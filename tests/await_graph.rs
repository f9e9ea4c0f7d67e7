//! The dump, second edition: what each task waits on, the await tree,
//! who spawned a task and who cancelled it, and a cycle of JoinHandles named as a deadlock in
//! the dump and in the stall report. Under the virtual clock, so every time is exact.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use glassloop::sync::{oneshot, Event, Mutex, Semaphore};
use glassloop::task::{self, JoinHandle};
use glassloop::time::sleep;
use glassloop::Runtime;

fn debug_runtime() -> Runtime {
    Runtime::builder().virtual_clock().debug().build().unwrap()
}

/// "tests/await_graph.rs:LINE:", the start of a location on a line of this file.
fn here(line: u32) -> String {
    format!("tests/await_graph.rs:{line}:")
}

/// Main spawns 'a'; 'a' spawns 'b' and awaits it; 'b' awaits the JoinHandle of 'a'. Then
/// main waits on a channel it never sends on: the loop can do nothing more.
fn deadlocked_world(rt: &Runtime) -> String {
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let for_b = slot.clone();
            let a = task::Builder::new().name("a").spawn(async move {
                let b = task::Builder::new().name("b").spawn(async move {
                    let a = for_b.borrow_mut().take().expect("main stored a's handle");
                    a.await.unwrap();
                });
                b.await.unwrap();
            });
            *slot.borrow_mut() = Some(a);
            let (_never_sent, rx) = oneshot::channel::<()>();
            let _ = rx.await;
        })
    }))
    .expect_err("a deadlocked loop under the virtual clock is a stall");
    payload
        .downcast_ref::<String>()
        .cloned()
        .expect("the stall report is a String")
}

#[test]
fn a_cycle_of_join_handles_is_named_as_a_deadlock_in_the_stall_report_and_the_tree() {
    let rt = debug_runtime();
    let report = deadlocked_world(&rt);
    println!("{report}");
    let deadlock = "deadlock: task 'a' #1 awaits task 'b' #2, which awaits task 'a' #1";
    assert_eq!(
        report.matches(deadlock).count(),
        2,
        "named before the list and in the dump:\n{report}"
    );
    let before_list = format!("\n{deadlock}\nTasks still pending:");
    assert!(report.contains(&before_list), "{report}");
    let tree = "  await tree (who awaits whose JoinHandle):\n    task 'a' #1\n       \
                └─ awaits task 'b' #2\n          └─ awaits task 'a' #1 (a cycle: deadlock)\n  \
                deadlock:";
    assert!(report.contains(tree), "{report}");
    assert!(
        report.contains("waits on   the JoinHandle of task 'b' #2 (spawned at "),
        "{report}"
    );
    assert!(
        report.contains("waits on   a oneshot channel created at tests/await_graph.rs:"),
        "{report}"
    );
    assert!(
        report.contains("by task 'a' #1"),
        "b was spawned by a:\n{report}"
    );
}

#[test]
fn each_waiting_task_says_what_it_waits_on() {
    let rt = debug_runtime();
    let (timer_line, dump) = rt.block_on(async {
        let semaphore = Rc::new(Semaphore::new(0));
        let mutex = Rc::new(Mutex::new(()));
        let event = Rc::new(Event::new());
        let nap = sleep(Duration::from_secs(10));
        let timer_line = line!() - 1;
        let sleeper = task::Builder::new().name("sleeper").spawn(nap);
        let s = semaphore.clone();
        let _permits = task::Builder::new().name("permits").spawn(async move {
            let _ = s.acquire().await;
        });
        let guard = mutex.lock().await;
        let m = mutex.clone();
        let _locker = task::Builder::new().name("locker").spawn(async move {
            let _ = m.lock().await;
        });
        let e = event.clone();
        let _setter = task::Builder::new()
            .name("waiter")
            .spawn(async move { e.wait().await });
        let _joiner = task::Builder::new()
            .name("joiner")
            .spawn(async move { sleeper.await.unwrap() });
        sleep(Duration::from_millis(1)).await; // every task runs and parks
        let dump = glassloop::dump();
        drop(guard);
        (timer_line, dump)
    });
    println!("{dump}");
    let sleeper =
        "task 'sleeper' #1: waiting, polled 1 time(s), 1 waker(s) held\n      spawned at \
                   tests/await_graph.rs:";
    let parked = format!("by main future #0\n      parked at  {}", here(timer_line));
    let timer = format!(
        "waits on   a timer due at 10.000 s (its sleep created at {}",
        here(timer_line)
    );
    for expected in [
        sleeper,
        parked.as_str(),
        timer.as_str(),
        "waits on   a semaphore created at tests/await_graph.rs:",
        "waits on   a mutex created at tests/await_graph.rs:",
        "waits on   an event created at tests/await_graph.rs:",
        "waits on   the JoinHandle of task 'sleeper' #1 (spawned at ",
        "  await tree (who awaits whose JoinHandle):\n    task 'joiner' #5\n       └─ awaits \
         task 'sleeper' #1",
    ] {
        assert!(dump.contains(expected), "missing {expected:?} in:\n{dump}");
    }
    assert!(!dump.contains("deadlock"), "{dump}");
}

#[test]
fn the_dump_says_who_cancelled_a_task_and_when() {
    let rt = debug_runtime();
    let dump = rt.block_on(async {
        let victim = task::Builder::new()
            .name("victim")
            .spawn(sleep(Duration::from_secs(60)));
        sleep(Duration::from_secs(2)).await;
        let killer = task::Builder::new()
            .name("killer")
            .spawn(async move { victim.abort() });
        killer.await.unwrap();
        glassloop::dump()
    });
    assert!(
        dump.contains(
            "  ended lately:\n    task 'victim' #1 cancelled at 2.000 s by task 'killer' #2\n    \
             task 'killer' #2 finished at 2.000 s"
        ),
        "{dump}"
    );
}

/// A defect found by trying it as a new user would: a blocking call inside one child of a gather was reported against
/// the enclosing task, "parked at" an innocent sleep of another child. The report now names
/// the child that held the poll, and where that child parked.
#[test]
fn a_slow_poll_inside_gather_names_the_child_that_held_it() {
    use glassloop::combinators::gather;
    use glassloop::observe::{block_for, Reports};
    let reports = Reports::new();
    let rt = Runtime::builder()
        .virtual_clock()
        .slow_poll_threshold(Duration::from_millis(100))
        .watchdog(false)
        .debug_reports_to(reports.clone())
        .build()
        .unwrap();
    let gather_line = line!() + 10;
    let guilty_line = line!() + 6;
    rt.block_on(async {
        let child = |blocks: bool| async move {
            if blocks {
                block_for(Duration::from_secs(6));
            }
            sleep(Duration::from_secs(1)).await;
        };
        let children = [child(false), child(true), child(false)];
        gather(children).await;
    });
    let report = reports.contents();
    let held_by = format!(
        "\n  held by      child 2 of 3 (argument order) of the gather at {}9, 6.000 s of it; that \
         child then parked at {}",
        here(gather_line),
        here(guilty_line)
    );
    assert!(
        report.contains(&held_by),
        "missing {held_by:?} in:\n{report}"
    );
    assert_eq!(
        report.matches("glassloop: slow poll").count(),
        1,
        "{report}"
    );
}
