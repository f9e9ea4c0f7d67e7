//! The rules of Semaphore, Mutex, Event and Notify, each proved by a small experiment.
//!
//! Timing experiments run under the virtual clock and compare exact lists of (who, when in
//! ms). Wake-up experiments poll futures by hand with a waker that counts its wakes, or count
//! the polls of spawned tasks, so "woken once, polled once" is measured, not assumed.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::sync::{Event, Mutex, Notify, Semaphore, TryAcquireError};
use glassloop::time::{sleep, timeout};

mod common;
use common::{count_polls, in_line, now_ms, virtual_runtime, WakeCounter};

// ───────────────────────────── Semaphore ─────────────────────────────

#[test]
fn the_semaphore_serves_waiters_in_arrival_order_not_spawn_order() {
    let rt = virtual_runtime();
    let order = rt.block_on(async {
        let sem = Rc::new(Semaphore::new(1));
        let order = Rc::new(RefCell::new(Vec::new()));
        let held = sem.acquire().await.unwrap();
        let mut handles = Vec::new();
        for task in 0..5u64 {
            let (sem, order) = (sem.clone(), order.clone());
            handles.push(glassloop::spawn(async move {
                // Task 4 arrives first, task 0 last.
                sleep(Duration::from_millis(10 * (5 - task))).await;
                let _permit = sem.acquire().await.unwrap();
                order.borrow_mut().push((task, now_ms()));
                sleep(Duration::from_millis(100)).await;
            }));
        }
        sleep(Duration::from_secs(1)).await;
        drop(held);
        for handle in handles {
            handle.await.unwrap();
        }
        order.take()
    });
    assert_eq!(
        order,
        [(4, 1000), (3, 1100), (2, 1200), (1, 1300), (0, 1400)]
    );
}

#[test]
fn a_large_acquire_at_the_head_is_not_overtaken_by_a_smaller_one() {
    let rt = virtual_runtime();
    let order = rt.block_on(async {
        let sem = Rc::new(Semaphore::new(3));
        let order = Rc::new(RefCell::new(Vec::new()));
        let worker = |name: &'static str, arrive_ms: u64, wants: usize| {
            let (sem, order) = (sem.clone(), order.clone());
            glassloop::spawn(async move {
                sleep(Duration::from_millis(arrive_ms)).await;
                let _permits = sem.acquire_many(wants).await.unwrap();
                order.borrow_mut().push((name, now_ms()));
                sleep(Duration::from_secs(1)).await;
            })
        };
        let a = worker("A wants 2", 0, 2);
        let b = worker("B wants 2", 100, 2);
        let c = worker("C wants 1", 200, 1);
        sleep(Duration::from_millis(300)).await;
        // One permit is free, yet it is not for the newcomer: B is queued ahead.
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        for handle in [a, b, c] {
            handle.await.unwrap();
        }
        order.take()
    });
    assert_eq!(
        order,
        [("A wants 2", 0), ("B wants 2", 1000), ("C wants 1", 1000)]
    );
}

#[test]
fn a_cancelled_acquire_never_holds_a_permit() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let sem = Semaphore::new(1);
        let held = sem.acquire().await.unwrap();
        let gave_up = timeout(Duration::from_millis(500), sem.acquire()).await;
        assert!(gave_up.is_err(), "the acquire should have timed out");
        assert_eq!(
            sem.waiting(),
            0,
            "the cancelled acquire left its node queued"
        );
        drop(held);
        assert_eq!(
            sem.available_permits(),
            1,
            "the permit went to a cancelled waiter"
        );
        let again = sem
            .try_acquire()
            .expect("the released permit is free for anyone");
        assert_eq!(again.num_permits(), 1);
    });
}

#[test]
fn a_permit_handed_to_a_waiter_that_is_then_dropped_passes_to_the_next() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (first, second) = (WakeCounter::new(), WakeCounter::new());
    let first_acquire = in_line(&first, sem.acquire());
    let mut second_acquire = in_line(&second, sem.acquire());

    drop(held); // handed to the first waiter, which is woken
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    assert_eq!(
        sem.available_permits(),
        0,
        "the permit is in transit to the first"
    );

    drop(first_acquire); // cancelled before it could take it: the permit moves on
    assert_eq!((first.wakes(), second.wakes()), (1, 1));
    match second.poll(second_acquire.as_mut()) {
        Poll::Ready(Ok(permit)) => assert_eq!(permit.num_permits(), 1),
        other => panic!("the second waiter should hold the permit now, got {other:?}"),
    }
    assert_eq!(
        sem.available_permits(),
        1,
        "dropping its permit gives it back"
    );
}

#[test]
fn an_aborted_task_that_was_handed_a_permit_passes_it_to_the_next_task() {
    let rt = virtual_runtime();
    let order = rt.block_on(async {
        let sem = Rc::new(Semaphore::new(1));
        let order = Rc::new(RefCell::new(Vec::new()));
        let held = sem.acquire().await.unwrap();
        let spawn_waiter = |name: &'static str| {
            let (sem, order) = (sem.clone(), order.clone());
            glassloop::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                order.borrow_mut().push(name);
            })
        };
        let first = spawn_waiter("first");
        let second = spawn_waiter("second");
        glassloop::task::yield_now().await; // both are queued now
        drop(held); // the permit is handed to `first`, which is woken but has not run
        first.abort(); // cancelled before it could collect it
        second.await.unwrap();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(sem.available_permits(), 1);
        order.take()
    });
    assert_eq!(order, ["second"]);
}

#[test]
fn a_cancelled_head_waiter_unblocks_the_smaller_waiters_behind_it() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (big, small) = (WakeCounter::new(), WakeCounter::new());
    let wants_two = in_line(&big, sem.acquire_many(2));
    let mut wants_one = in_line(&small, sem.acquire());
    drop(held);
    assert_eq!(
        small.wakes(),
        0,
        "one permit is free but the head wants two"
    );
    drop(wants_two);
    assert_eq!(small.wakes(), 1, "with the head gone, the next waiter fits");
    assert!(small.poll(wants_one.as_mut()).is_ready());
}

#[test]
fn a_woken_waiter_is_woken_once_and_polled_once() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let sem = Rc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        let waiter = {
            let sem = sem.clone();
            async move {
                let _permit = sem.acquire().await.unwrap();
            }
        };
        let (waiter, polls) = count_polls(waiter);
        let handle = glassloop::spawn(waiter);
        // Each yield lets every ready task run once before main goes on.
        glassloop::task::yield_now().await;
        assert_eq!(polls.get(), 1, "first poll: queued");
        glassloop::task::yield_now().await;
        glassloop::task::yield_now().await;
        assert_eq!(polls.get(), 1, "nothing happened: not polled again");
        drop(held);
        glassloop::task::yield_now().await;
        assert_eq!(polls.get(), 2, "woken by the release, polled once, done");
        assert!(handle.is_finished());
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn no_wake_up_is_lost_when_waiters_come_go_and_are_cancelled() {
    let rt = virtual_runtime();
    let (finished, timed_out) = rt.block_on(async {
        let sem = Rc::new(Semaphore::new(3));
        let finished = Rc::new(Cell::new(0));
        let timed_out = Rc::new(Cell::new(0));
        let mut handles = Vec::new();
        for task in 0..40u64 {
            let (sem, finished, timed_out) = (sem.clone(), finished.clone(), timed_out.clone());
            handles.push(glassloop::spawn(async move {
                for round in 0..5u64 {
                    let patience = Duration::from_millis(5 + (task * 7 + round * 3) % 40);
                    match timeout(patience, sem.acquire_many(1 + (task % 2) as usize)).await {
                        Ok(permit) => {
                            sleep(Duration::from_millis(1 + (task + round) % 4)).await;
                            drop(permit);
                        }
                        Err(_) => timed_out.set(timed_out.get() + 1),
                    }
                }
                finished.set(finished.get() + 1);
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(
            sem.available_permits(),
            3,
            "a permit was lost or duplicated"
        );
        assert_eq!(sem.waiting(), 0, "a waiter was left in the queue");
        (finished.get(), timed_out.get())
    });
    assert_eq!(finished, 40);
    assert!(
        timed_out > 0,
        "the experiment should include cancelled acquires"
    );
}

#[test]
fn a_closed_semaphore_fails_its_waiters_and_later_acquires() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let sem = Rc::new(Semaphore::new(0));
        let waiter = {
            let sem = sem.clone();
            glassloop::spawn(async move { sem.acquire().await.map(|_| ()) })
        };
        glassloop::task::yield_now().await;
        sem.close();
        let err = waiter.await.unwrap().unwrap_err();
        assert!(
            err.to_string().contains("the semaphore was closed"),
            "{err}"
        );
        assert!(sem.acquire().await.is_err());
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    });
}

// ───────────────────────────── Mutex ─────────────────────────────

#[test]
fn the_mutex_is_handed_to_lockers_in_arrival_order() {
    let rt = virtual_runtime();
    let order = rt.block_on(async {
        let shared = Rc::new(Mutex::new(Vec::new()));
        let held = shared.lock().await;
        let mut handles = Vec::new();
        for task in 0..4u64 {
            let shared = shared.clone();
            handles.push(glassloop::spawn(async move {
                sleep(Duration::from_millis(10 * (4 - task))).await;
                let mut log = shared.lock().await;
                log.push((task, now_ms()));
                sleep(Duration::from_millis(100)).await; // held across an await
            }));
        }
        sleep(Duration::from_secs(1)).await;
        drop(held);
        for handle in handles {
            handle.await.unwrap();
        }
        let log = shared.lock().await;
        log.clone()
    });
    assert_eq!(order, [(3, 1000), (2, 1100), (1, 1200), (0, 1300)]);
}

#[test]
fn try_lock_fails_while_the_mutex_is_held_and_succeeds_after() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mutex = Mutex::new(5);
        let mut guard = mutex.lock().await;
        assert!(mutex.is_locked());
        let err = mutex.try_lock().unwrap_err();
        assert!(err.to_string().contains("the mutex is held"), "{err}");
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 6);
        assert_eq!(mutex.into_inner(), 6);
    });
}

#[test]
fn a_cancelled_lock_never_holds_the_mutex() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mutex = Mutex::new(());
        let held = mutex.lock().await;
        assert!(timeout(Duration::from_millis(50), mutex.lock())
            .await
            .is_err());
        drop(held);
        assert!(!mutex.is_locked());
        assert!(mutex.try_lock().is_ok());
    });
}

// ───────────────────────────── Event ─────────────────────────────

#[test]
fn event_set_wakes_every_waiter_exactly_once_and_each_is_polled_once_more() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let event = Rc::new(Event::new());
        let mut polls = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..3 {
            let event = event.clone();
            let (task, count) = count_polls(async move { event.wait().await });
            handles.push(glassloop::spawn(task));
            polls.push(count);
        }
        let counts = || polls.iter().map(|p| p.get()).collect::<Vec<_>>();
        glassloop::task::yield_now().await;
        glassloop::task::yield_now().await;
        assert_eq!(counts(), [1, 1, 1], "each waits after one poll");
        event.set();
        event.set(); // a second set wakes nobody twice
        glassloop::task::yield_now().await;
        glassloop::task::yield_now().await;
        assert_eq!(counts(), [2, 2, 2], "each woken once, polled once");
        assert!(handles.iter().all(|h| h.is_finished()));
    });
}

#[test]
fn waiters_released_by_set_return_even_if_the_event_is_cleared_at_once() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let event = Rc::new(Event::new());
        let early = {
            let event = event.clone();
            glassloop::spawn(async move { event.wait().await })
        };
        glassloop::task::yield_now().await;
        event.set();
        event.clear();
        let late = {
            let event = event.clone();
            glassloop::spawn(async move { event.wait().await })
        };
        glassloop::task::yield_now().await;
        assert!(
            early.is_finished(),
            "set released it; clear must not strand it"
        );
        assert!(!late.is_finished(), "it came after clear: it waits");
        assert!(!event.is_set());
        late.abort();
    });
}

#[test]
fn a_set_event_lets_wait_pass_at_once_until_it_is_cleared() {
    let event = Event::new();
    let counter = WakeCounter::new();
    event.set();
    assert!(counter.poll(Box::pin(event.wait()).as_mut()).is_ready());
    event.clear();
    let wait = in_line(&counter, event.wait());
    drop(wait); // a dropped wait leaves the queue: set wakes nobody
    event.set();
    assert_eq!(counter.wakes(), 0);
}

// ───────────────────────────── Notify ─────────────────────────────

#[test]
fn notify_one_wakes_only_the_oldest_waiter() {
    let notify = Notify::new();
    let (a, b) = (WakeCounter::new(), WakeCounter::new());
    let mut first = in_line(&a, notify.notified());
    let mut second = in_line(&b, notify.notified());
    notify.notify_one();
    assert_eq!((a.wakes(), b.wakes()), (1, 0));
    assert!(a.poll(first.as_mut()).is_ready());
    assert!(b.poll(second.as_mut()).is_pending());
}

#[test]
fn notify_one_with_nobody_waiting_stores_a_single_permit() {
    let notify = Notify::new();
    let counter = WakeCounter::new();
    notify.notify_one();
    notify.notify_one();
    assert!(counter
        .poll(Box::pin(notify.notified()).as_mut())
        .is_ready());
    assert!(
        counter
            .poll(Box::pin(notify.notified()).as_mut())
            .is_pending(),
        "two notify_one calls store one permit, not two"
    );
}

#[test]
fn a_notification_handed_to_a_waiter_that_is_then_dropped_passes_to_the_next() {
    let notify = Notify::new();
    let (a, b) = (WakeCounter::new(), WakeCounter::new());
    let first = in_line(&a, notify.notified());
    let mut second = in_line(&b, notify.notified());
    notify.notify_one();
    drop(first);
    assert_eq!((a.wakes(), b.wakes()), (1, 1));
    assert!(b.poll(second.as_mut()).is_ready());
}

#[test]
fn notify_waiters_wakes_everyone_waiting_and_stores_nothing() {
    let notify = Notify::new();
    let (a, b, late) = (WakeCounter::new(), WakeCounter::new(), WakeCounter::new());
    let mut first = in_line(&a, notify.notified());
    let mut second = in_line(&b, notify.notified());
    notify.notify_waiters();
    assert_eq!((a.wakes(), b.wakes()), (1, 1));
    assert!(a.poll(first.as_mut()).is_ready());
    assert!(b.poll(second.as_mut()).is_ready());
    let _latecomer = in_line(&late, notify.notified()); // nothing was stored for it
}

// ───────────────────────────── a model test ─────────────────────────────

mod model {
    use super::*;
    use glassloop::sync::{Acquire, Permit};
    use proptest::prelude::*;

    const PERMITS: usize = 4;

    #[derive(Debug, Clone)]
    enum Op {
        /// Start an acquire of 1..=PERMITS permits and poll it once.
        Acquire(usize),
        /// Poll every pending acquire that has been woken.
        PollWoken,
        /// Drop the n-th pending acquire (cancel it), woken or not.
        Cancel(usize),
        /// Drop the n-th held permit.
        Release(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (1..=PERMITS).prop_map(Op::Acquire),
            2 => Just(Op::PollWoken),
            1 => any::<usize>().prop_map(Op::Cancel),
            2 => any::<usize>().prop_map(Op::Release),
        ]
    }

    struct Pending<'a> {
        wants: usize,
        future: Pin<Box<Acquire<'a>>>,
        counter: WakeCounter,
    }

    proptest! {
        /// Under any mix of acquires, cancellations and releases: permits are conserved;
        /// the waiters that have been woken are always the oldest ones (FIFO); nobody whose
        /// turn it is sits unwoken while enough permits are free (no lost wake-up); a woken
        /// waiter was woken once and is ready at its next poll; and at the end, with
        /// everything dropped, every permit is back.
        #[test]
        fn semaphore_rules_hold_under_any_sequence_of_acquires_cancels_and_releases(
            ops in proptest::collection::vec(op(), 0..120)
        ) {
            let sem = Semaphore::new(PERMITS);
            let mut pending: Vec<Pending<'_>> = Vec::new();
            let mut held: Vec<Permit<'_>> = Vec::new();
            for op in ops {
                match op {
                    Op::Acquire(wants) => {
                        let mut future = Box::pin(sem.acquire_many(wants));
                        let counter = WakeCounter::new();
                        match counter.poll(future.as_mut()) {
                            Poll::Ready(permit) => held.push(permit.unwrap()),
                            Poll::Pending => pending.push(Pending { wants, future, counter }),
                        }
                    }
                    Op::PollWoken => {
                        let mut still = Vec::new();
                        for mut waiter in pending.drain(..) {
                            if waiter.counter.wakes() == 0 {
                                still.push(waiter);
                                continue;
                            }
                            prop_assert_eq!(waiter.counter.wakes(), 1, "woken more than once");
                            match waiter.counter.poll(waiter.future.as_mut()) {
                                Poll::Ready(Ok(permit)) => held.push(permit),
                                _ => prop_assert!(false, "a woken waiter was not ready"),
                            }
                        }
                        pending = still;
                    }
                    Op::Cancel(n) if !pending.is_empty() => {
                        let index = n % pending.len();
                        drop(pending.remove(index));
                    }
                    Op::Release(n) if !held.is_empty() => {
                        let index = n % held.len();
                        drop(held.remove(index));
                    }
                    Op::Cancel(_) | Op::Release(_) => {}
                }
                let woken: Vec<bool> = pending.iter().map(|w| w.counter.wakes() > 0).collect();
                let in_transit: usize = pending
                    .iter()
                    .filter(|w| w.counter.wakes() > 0)
                    .map(|w| w.wants)
                    .sum();
                let holding: usize = held.iter().map(Permit::num_permits).sum();
                prop_assert_eq!(sem.available_permits() + holding + in_transit, PERMITS);
                prop_assert!(
                    woken.windows(2).all(|pair| pair[0] || !pair[1]),
                    "a waiter was woken before an older one: {:?}", woken
                );
                if let Some(first_unwoken) = pending.iter().find(|w| w.counter.wakes() == 0) {
                    prop_assert!(
                        first_unwoken.wants > sem.available_permits(),
                        "its turn, enough permits free, yet not woken: a lost wake-up"
                    );
                }
            }
            drop(pending);
            drop(held);
            prop_assert_eq!(sem.available_permits(), PERMITS);
            prop_assert_eq!(sem.waiting(), 0);
        }
    }
}
