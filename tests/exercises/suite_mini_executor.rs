//! Exercise 6, graded: a mini executor (exercises/06_mini_executor.rs).
//!
//! The scheduling invariants of docs/invariants.md, on the learner's executor: each test
//! spawns probe tasks that record their polls in one shared list, turns the executor one pass
//! at a time with `run_once`, and compares the list.
//!
//! Read next: docs/invariants.md, the same rules for glassloop itself.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::mini_executor::MiniExecutor;

/// The polls of every task, in order, by name.
type Log = Rc<RefCell<Vec<&'static str>>>;

/// A task's waker, kept where the test can reach it.
type Slot = Rc<RefCell<Option<Waker>>>;

/// A task that logs `name` at each poll, keeps its waker in the returned slot, and finishes
/// at poll `polls_to_finish` (never, for `usize::MAX`).
fn probe(exec: &mut MiniExecutor, log: &Log, name: &'static str, polls_to_finish: usize) -> Slot {
    let slot: Slot = Rc::default();
    let (log, kept) = (log.clone(), slot.clone());
    let mut polls = 0;
    exec.spawn(poll_fn(move |cx| {
        polls += 1;
        log.borrow_mut().push(name);
        *kept.borrow_mut() = Some(cx.waker().clone());
        if polls == polls_to_finish {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    slot
}

fn wake(slot: &Slot) {
    slot.borrow()
        .as_ref()
        .expect("the task was polled")
        .wake_by_ref();
}

fn taken(log: &Log) -> Vec<&'static str> {
    std::mem::take(&mut *log.borrow_mut())
}

#[test]
fn rule_1_a_spawned_task_is_polled_once_and_then_only_when_woken() {
    let mut exec = MiniExecutor::new();
    let log = Log::default();
    let a = probe(&mut exec, &log, "a", usize::MAX);
    assert_eq!(
        exec.run_once(),
        1,
        "rule 1 broken: a new task must be polled in the first pass"
    );
    assert_eq!(taken(&log), ["a"]);
    assert_eq!(
        exec.run_once(),
        0,
        "rule 1 broken: a task that nobody woke must not be polled again (invariant 1)"
    );
    wake(&a);
    assert_eq!(
        exec.run_once(),
        1,
        "rule 1 broken: a woken task must be polled in the next pass"
    );
    assert_eq!(taken(&log), ["a"]);
}

#[test]
fn rule_2_many_wakes_before_a_poll_make_one_poll() {
    let mut exec = MiniExecutor::new();
    let log = Log::default();
    let a = probe(&mut exec, &log, "a", usize::MAX);
    exec.run_once();
    taken(&log);
    for _ in 0..3 {
        wake(&a);
    }
    exec.run_once();
    assert_eq!(
        taken(&log),
        ["a"],
        "rule 2 broken: three wakes before a poll must cause exactly one poll (invariant 2): \
         queue a task only if it is not queued already"
    );
    assert_eq!(
        exec.run_once(),
        0,
        "rule 2 broken: the extra wakes left the task queued"
    );
}

#[test]
fn rule_3_ready_tasks_are_polled_in_the_order_they_were_woken() {
    let mut exec = MiniExecutor::new();
    let log = Log::default();
    let a = probe(&mut exec, &log, "a", usize::MAX);
    let b = probe(&mut exec, &log, "b", usize::MAX);
    let c = probe(&mut exec, &log, "c", usize::MAX);
    exec.run_once();
    assert_eq!(
        taken(&log),
        ["a", "b", "c"],
        "rule 3 broken: spawned tasks run in spawn order"
    );
    wake(&c);
    wake(&a);
    wake(&b);
    wake(&c); // already queued: keeps its place
    exec.run_once();
    assert_eq!(
        taken(&log),
        ["c", "a", "b"],
        "rule 3 broken: a pass must poll tasks in the order they were first woken (FIFO, \
         invariant 3)"
    );
}

#[test]
fn rule_4_a_task_woken_during_a_pass_waits_for_the_next_pass() {
    let mut exec = MiniExecutor::new();
    let log = Log::default();
    // A task that wakes itself at every poll: the yield of chapter 7.
    let selfish_log = log.clone();
    exec.spawn(poll_fn(move |cx| {
        selfish_log.borrow_mut().push("yielder");
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    let other = probe(&mut exec, &log, "other", usize::MAX);
    assert_eq!(
        exec.run_once(),
        2,
        "rule 4 broken: the first pass must poll both tasks once, and a self-wake must not \
         make a pass poll the same task again (it would never end)"
    );
    wake(&other);
    exec.run_once();
    assert_eq!(
        taken(&log),
        ["yielder", "other", "yielder", "other"],
        "rule 4 broken: a task that wakes itself goes to the back of the queue (invariant 4)"
    );
}

#[test]
fn rule_5_a_finished_task_is_never_polled_again_and_run_stops() {
    let mut exec = MiniExecutor::new();
    let log = Log::default();
    let a = probe(&mut exec, &log, "a", 1);
    let b = probe(&mut exec, &log, "b", 2);
    let _c = probe(&mut exec, &log, "c", usize::MAX);
    exec.run_once();
    wake(&a); // a late wake of a finished task
    wake(&b);
    assert_eq!(
        exec.run(),
        1,
        "rule 5 broken: run must stop when no task is ready and report the 1 unfinished task"
    );
    assert_eq!(
        taken(&log),
        ["a", "b", "c", "b"],
        "rule 5 broken: a finished task must never be polled again, even when a stale waker \
         wakes it (invariant 7)"
    );
}
