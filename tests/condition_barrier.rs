//! The rules of Condition and Barrier, each proved by a small experiment.
//!
//! Hand-polled experiments use a waker that counts its wakes, so "the oldest is woken, once"
//! and "a cancelled waiter passes its notify on" are measured step by step; timing experiments
//! run under the virtual clock and compare exact instants.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::sync::{Barrier, Condition, Mutex};
use glassloop::time::{sleep, timeout};

mod common;
use common::{count_polls, in_line, now_ms, virtual_runtime, WakeCounter};

/// Lock `mutex` without a runtime: it must be free.
fn lock_now<T>(mutex: &Mutex<T>) -> glassloop::sync::MutexGuard<'_, T> {
    mutex.try_lock().expect("the mutex should be free")
}

// ───────────────────────────── Condition ─────────────────────────────

#[test]
fn wait_joins_the_line_and_releases_the_lock_in_one_poll_then_gives_the_guard_back() {
    let (mutex, cond) = (Mutex::new(0), Condition::new());
    let counter = WakeCounter::new();
    let mut wait = in_line(&counter, cond.wait(lock_now(&mutex)));
    assert_eq!(cond.waiting(), 1, "in line");
    assert!(!mutex.is_locked(), "and the lock is free for the producer");

    let mut guard = lock_now(&mutex);
    *guard = 42;
    cond.notify_one(); // while the producer still holds the lock
    assert_eq!(counter.wakes(), 1);
    assert!(
        counter.poll(wait.as_mut()).is_pending(),
        "notified, but the lock is still held: it waits for the lock"
    );
    drop(guard);
    assert_eq!(counter.wakes(), 2, "woken again by the unlock");
    match counter.poll(wait.as_mut()) {
        Poll::Ready(guard) => assert_eq!(*guard, 42),
        Poll::Pending => panic!("the lock was free"),
    };
}

#[test]
fn notify_one_wakes_the_oldest_waiter_only_and_notify_all_wakes_the_rest() {
    let (mutex, cond) = (Mutex::new(()), Condition::new());
    let counters = [WakeCounter::new(), WakeCounter::new(), WakeCounter::new()];
    let mut waits = Vec::new();
    for counter in &counters {
        waits.push(in_line(counter, cond.wait(lock_now(&mutex))));
    }
    let wakes = || counters.iter().map(WakeCounter::wakes).collect::<Vec<_>>();
    cond.notify_one();
    assert_eq!(wakes(), [1, 0, 0]);
    cond.notify_all();
    assert_eq!(wakes(), [1, 1, 1], "each woken once");
    assert_eq!(cond.waiting(), 0);
    // They take the lock back one at a time, in the order they waited.
    let Poll::Ready(first) = counters[0].poll(waits[0].as_mut()) else {
        panic!("the lock was free")
    };
    assert!(
        counters[1].poll(waits[1].as_mut()).is_pending(),
        "the first holds it"
    );
    drop(first);
    assert_eq!(wakes(), [1, 2, 1], "the unlock woke the second only");
    let Poll::Ready(second) = counters[1].poll(waits[1].as_mut()) else {
        panic!("the lock was handed to the second")
    };
    drop(second);
    assert!(counters[2].poll(waits[2].as_mut()).is_ready());
}

#[test]
fn a_notify_with_nobody_waiting_is_not_remembered() {
    let (mutex, cond) = (Mutex::new(()), Condition::new());
    cond.notify_one();
    cond.notify_all();
    let counter = WakeCounter::new();
    let _wait = in_line(&counter, cond.wait(lock_now(&mutex)));
    assert_eq!(
        counter.wakes(),
        0,
        "unlike Notify, a condition stores no permit"
    );
}

#[test]
fn a_cancelled_waiter_chosen_by_notify_one_passes_the_wake_up_on() {
    let (mutex, cond) = (Mutex::new(()), Condition::new());
    let (gone, next) = (WakeCounter::new(), WakeCounter::new());
    let early = in_line(&gone, cond.wait(lock_now(&mutex)));
    let mut later = in_line(&next, cond.wait(lock_now(&mutex)));
    cond.notify_one();
    assert_eq!((gone.wakes(), next.wakes()), (1, 0));
    drop(early);
    assert_eq!(next.wakes(), 1, "the notify went to the next waiter");
    assert!(next.poll(later.as_mut()).is_ready());

    // A waiter cancelled while still waiting just leaves.
    let waiting = in_line(&gone, cond.wait(lock_now(&mutex)));
    drop(waiting);
    assert_eq!(cond.waiting(), 0);
    assert!(!mutex.is_locked(), "a cancelled wait holds no lock");
}

#[test]
fn wait_while_sleeps_until_the_state_changes_and_checks_it_on_every_wake() {
    let rt = virtual_runtime();
    let (log, polls) = rt.block_on(async {
        let shared = Rc::new((Mutex::new(0u32), Condition::new()));
        let log = Rc::new(RefCell::new(Vec::new()));
        let (waiter, polls) = count_polls({
            let (shared, log) = (shared.clone(), log.clone());
            async move {
                let (lock, cond) = &*shared;
                let count = lock.lock().await;
                let count = cond.wait_while(count, |count| *count < 3).await;
                log.borrow_mut()
                    .push(format!("saw {} at {}", *count, now_ms()));
            }
        });
        let waiter = glassloop::spawn(waiter);
        for _ in 0..3 {
            sleep(Duration::from_secs(1)).await;
            *shared.0.lock().await += 1;
            shared.1.notify_all();
        }
        waiter.await.unwrap();
        (log.take(), polls.get())
    });
    assert_eq!(log, ["saw 3 at 3000"]);
    assert_eq!(
        polls, 4,
        "the first poll, then one per notify: never polled for nothing"
    );
}

#[test]
fn a_timed_out_wait_leaves_the_condition_and_the_lock_as_they_were() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (mutex, cond) = (Mutex::new(()), Condition::new());
        let guard = mutex.lock().await;
        let gave_up = timeout(Duration::from_millis(500), cond.wait(guard)).await;
        assert!(gave_up.is_err());
        assert_eq!(now_ms(), 500);
        assert_eq!(cond.waiting(), 0);
        assert!(mutex.try_lock().is_ok(), "the dropped wait holds no lock");
    });
}

// ───────────────────────────── Barrier ─────────────────────────────

#[test]
fn a_barrier_releases_everyone_when_the_last_arrives_and_the_last_is_the_only_leader() {
    let rt = virtual_runtime();
    let seen = rt.block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for (name, arrive_ms) in [("a", 300), ("b", 100), ("c", 200)] {
            let (barrier, seen) = (barrier.clone(), seen.clone());
            handles.push(glassloop::spawn(async move {
                sleep(Duration::from_millis(arrive_ms)).await;
                let result = barrier.wait().await;
                seen.borrow_mut().push((name, now_ms(), result.is_leader()));
            }));
        }
        sleep(Duration::from_millis(250)).await;
        assert_eq!(barrier.n_waiting(), 2);
        for handle in handles {
            handle.await.unwrap();
        }
        seen.take()
    });
    assert_eq!(
        seen,
        [("a", 300, true), ("b", 300, false), ("c", 300, false)],
        "the leader returns at once; the others, woken in arrival order, run after it"
    );
}

#[test]
fn a_barrier_starts_a_new_round_after_it_trips_and_each_waiter_is_woken_once() {
    let barrier = Barrier::new(2);
    let counter = WakeCounter::new();
    for round in 0..3 {
        let mut first = in_line(&counter, barrier.wait());
        let mut last = Box::pin(barrier.wait());
        match counter.poll(last.as_mut()) {
            Poll::Ready(result) => assert!(result.is_leader()),
            Poll::Pending => panic!("the second arrival trips a barrier of two"),
        }
        assert_eq!(
            counter.wakes(),
            round + 1,
            "the first arrival was woken once"
        );
        match counter.poll(first.as_mut()) {
            Poll::Ready(result) => assert!(!result.is_leader()),
            Poll::Pending => panic!("released"),
        }
        assert_eq!(barrier.n_waiting(), 0, "round {round} is over");
    }
}

#[test]
fn a_cancelled_barrier_wait_takes_back_its_arrival() {
    let barrier = Barrier::new(2);
    let counter = WakeCounter::new();
    let gone = in_line(&counter, barrier.wait());
    assert_eq!(barrier.n_waiting(), 1);
    drop(gone);
    assert_eq!(barrier.n_waiting(), 0, "the dropped wait no longer counts");
    let mut first = in_line(&counter, barrier.wait());
    assert!(
        counter.poll(first.as_mut()).is_pending(),
        "one live arrival does not trip a barrier of two"
    );
    let mut second = Box::pin(barrier.wait());
    assert!(counter.poll(second.as_mut()).is_ready());
    assert!(counter.poll(first.as_mut()).is_ready());
}

#[test]
#[should_panic(expected = "a barrier needs at least one party")]
fn a_barrier_for_no_party_is_refused_with_a_message() {
    let _ = Barrier::new(0);
}
