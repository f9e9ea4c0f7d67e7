//! Seeded scheduling: FIFO and LIFO poll a pass in the stated order, a seed replays its order,
//! and the rules that do not depend on order hold under 128 random orders. Every assertion
//! names its seed; replay a failure with `Schedule::Random { seed }` or
//! `GLASSLOOP_SCHEDULE=random:SEED`.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use glassloop::observe::Schedule;
use glassloop::task::yield_now;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

const SEEDS: u64 = 128;

fn runtime(schedule: Schedule) -> Runtime {
    Runtime::builder()
        .virtual_clock()
        .schedule(schedule)
        .build()
        .unwrap()
}

/// Spawn `n` tasks that record their index when first polled; step once; return the order.
fn first_pass_order(schedule: Schedule, n: usize) -> Vec<usize> {
    let rt = runtime(schedule);
    let order = Rc::new(RefCell::new(Vec::new()));
    for i in 0..n {
        let order = order.clone();
        rt.spawn(async move { order.borrow_mut().push(i) });
    }
    let tick = rt.step();
    assert_eq!(tick.polled, n);
    let order = order.borrow().clone();
    order
}

#[test]
fn fifo_polls_a_pass_oldest_first_and_lifo_newest_first() {
    assert_eq!(first_pass_order(Schedule::Fifo, 5), vec![0, 1, 2, 3, 4]);
    assert_eq!(first_pass_order(Schedule::Lifo, 5), vec![4, 3, 2, 1, 0]);
}

#[test]
fn a_seed_replays_its_order_and_different_seeds_give_different_orders() {
    let mut orders = HashSet::new();
    for seed in 0..SEEDS {
        let order = first_pass_order(Schedule::Random { seed }, 6);
        assert_eq!(
            order,
            first_pass_order(Schedule::Random { seed }, 6),
            "seed {seed} did not replay"
        );
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            vec![0, 1, 2, 3, 4, 5],
            "seed {seed} lost or repeated a task"
        );
        orders.insert(order);
    }
    // 720 permutations of 6; 128 seeds should find many of them.
    assert!(orders.len() > 60, "only {} distinct orders", orders.len());
}

#[test]
fn under_every_order_many_wakes_before_a_poll_cause_exactly_one_poll() {
    for seed in 0..SEEDS {
        let rt = runtime(Schedule::Random { seed });
        let stored: Rc<RefCell<Option<Waker>>> = Rc::default();
        let polls = Rc::new(Cell::new(0));
        let go = Rc::new(Cell::new(false));
        {
            let (stored, polls, go) = (stored.clone(), polls.clone(), go.clone());
            rt.spawn(poll_fn(move |cx| {
                polls.set(polls.get() + 1);
                if go.get() {
                    return Poll::Ready(());
                }
                *stored.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }));
        }
        rt.step(); // the waiter parks
        for _ in 0..3 {
            let (stored, go) = (stored.clone(), go.clone());
            rt.spawn(async move {
                go.set(true);
                let waker = stored.borrow().clone().expect("the waiter parked");
                waker.wake();
            });
        }
        rt.step(); // three wakers run, in some order, each waking the waiter
        rt.step(); // the waiter runs once
        rt.step();
        assert_eq!(polls.get(), 2, "seed {seed}");
        assert_eq!(rt.live_tasks(), 0, "seed {seed}");
    }
}

#[test]
fn under_every_order_tasks_woken_during_a_pass_wait_for_the_next_pass() {
    for seed in 0..SEEDS {
        let rt = runtime(Schedule::Random { seed });
        let polls: Vec<Rc<Cell<u32>>> = (0..5).map(|_| Rc::default()).collect();
        for count in &polls {
            let count = count.clone();
            rt.spawn(async move {
                loop {
                    count.set(count.get() + 1);
                    yield_now().await;
                }
            });
        }
        for pass in 1..=10 {
            let tick = rt.step();
            assert_eq!(tick.polled, 5, "seed {seed}, pass {pass}");
            for count in &polls {
                assert_eq!(
                    count.get(),
                    pass,
                    "seed {seed}: a yielding task ran twice in a pass"
                );
            }
        }
    }
}

#[test]
fn under_every_order_no_timer_fires_before_its_deadline_and_sleeps_overlap() {
    for seed in 0..SEEDS {
        let rt = runtime(Schedule::Random { seed });
        let elapsed = rt.block_on(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..12u64)
                .map(|i| {
                    let nap = Duration::from_millis(50 * (i % 4) + 10 * i);
                    glassloop::spawn(async move {
                        let deadline = Instant::now() + nap;
                        sleep(nap).await;
                        assert!(Instant::now() >= deadline, "seed {seed}: woke early");
                        i
                    })
                })
                .collect();
            let mut results = Vec::new();
            for handle in handles {
                results.push(handle.await.unwrap());
            }
            assert_eq!(
                results,
                (0..12).collect::<Vec<_>>(),
                "seed {seed}: argument order"
            );
            start.elapsed()
        });
        // The longest nap is 50·3 + 10·11 = 260 ms (i = 11); the sum would be far more.
        assert_eq!(elapsed, Duration::from_millis(260), "seed {seed}");
    }
}

/// Counts its drops.
struct DropCounter(Rc<Cell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn under_every_order_every_remaining_task_is_dropped_when_main_completes() {
    for seed in 0..SEEDS {
        let rt = runtime(Schedule::Random { seed });
        let drops = Rc::new(Cell::new(0));
        let dropped = drops.clone();
        rt.block_on(async move {
            for _ in 0..8 {
                let guard = DropCounter(dropped.clone());
                glassloop::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
            }
            sleep(Duration::from_millis(5)).await;
        });
        assert_eq!(drops.get(), 8, "seed {seed}");
        assert_eq!(rt.live_tasks(), 0, "seed {seed}");
    }
}
