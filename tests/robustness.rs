//! The loop survives what user code does to it: panicking destructors, runtimes inside
//! runtimes, late wakes, huge durations, blocking jobs under the virtual clock.

mod common;
use common::virtual_runtime;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use glassloop::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Instant, FAR_FUTURE,
};
use glassloop::Runtime;

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("boom in drop");
    }
}

#[test]
fn a_panic_in_a_finished_tasks_destructor_goes_to_its_join_handle_not_through_the_loop() {
    let rt = virtual_runtime();
    let err = rt.block_on(async {
        // What a hand-written future owns is dropped after it returns Ready.
        let guard = PanicOnDrop;
        let handle = glassloop::spawn(poll_fn(move |_| {
            let _ = &guard;
            Poll::Ready(())
        }));
        handle.await.unwrap_err()
    });
    assert!(err.is_panic(), "{err}");
    assert_eq!(err.panic_message(), Some("boom in drop"));
}

#[test]
fn a_panic_in_the_destructor_of_an_aborted_task_goes_to_its_join_handle() {
    let rt = virtual_runtime();
    let err = rt.block_on(async {
        let guard = PanicOnDrop;
        let handle = glassloop::spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
        glassloop::task::yield_now().await; // let it start and park
        handle.abort();
        handle.await.unwrap_err()
    });
    assert!(err.is_panic(), "{err}");
}

#[test]
fn the_virtual_clock_waits_for_a_blocking_job_without_turning_the_loop_for_nothing() {
    let rt = virtual_runtime();
    let (job_done_at, ended_at) = rt.block_on(async {
        let sleeper = glassloop::spawn(async { sleep(Duration::from_millis(1)).await });
        glassloop::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300)))
            .await
            .unwrap();
        let job_done_at = Instant::now().since_origin();
        sleeper.await.unwrap();
        (job_done_at, glassloop::time::Instant::now())
    });
    // The sleeper's timer could not fire while the job ran: virtual time stood still...
    assert_eq!(job_done_at, Duration::ZERO);
    assert_eq!(ended_at.since_origin(), Duration::from_millis(1));
    // ...and the loop slept until the job rang, instead of turning every virtual millisecond.
    assert!(
        rt.ticks() < 20,
        "the loop turned {} times for one 300 ms job",
        rt.ticks()
    );
}

struct SpawnOnDrop(Rc<Cell<bool>>);

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let ran = self.0.clone();
        glassloop::spawn(async move { ran.set(true) });
    }
}

#[test]
fn a_runtime_dropped_inside_another_drops_its_tasks_on_its_own_runtime() {
    let outer = Runtime::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let guard = SpawnOnDrop(ran.clone());
    outer.block_on(async move {
        let inner = Runtime::new().unwrap();
        inner.spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
        drop(inner); // the guard's spawn must land on `inner`, which is going away
        glassloop::task::yield_now().await;
        glassloop::task::yield_now().await;
    });
    assert!(
        !ran.get(),
        "the dropped runtime's destructor spawned onto the outer loop"
    );
}

#[test]
fn a_late_wake_of_an_earlier_main_future_does_not_poll_the_next_one_twice() {
    let rt = virtual_runtime();
    let saved: Rc<RefCell<Option<Waker>>> = Rc::default();
    let keep = saved.clone();
    rt.block_on(poll_fn(move |cx| {
        *keep.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    saved.borrow_mut().take().unwrap().wake(); // after its loop ended
    let polls = Rc::new(Cell::new(0));
    let count = polls.clone();
    let mut nap = Box::pin(async { sleep(Duration::from_millis(5)).await });
    rt.block_on(poll_fn(move |cx| {
        count.set(count.get() + 1);
        nap.as_mut().poll(cx)
    }));
    assert_eq!(
        polls.get(),
        2,
        "one poll at the start, one when the timer fired"
    );
}

struct Flag(Rc<Cell<bool>>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.set(true)
    }
}

#[test]
fn a_runtime_is_reusable_after_its_main_future_panicked() {
    let rt = virtual_runtime();
    let dropped = Rc::new(Cell::new(false));
    let flag = Flag(dropped.clone());
    let result = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async move {
            glassloop::spawn(async move {
                let _flag = flag;
                sleep(Duration::from_secs(100)).await
            });
            sleep(Duration::from_millis(1)).await;
            panic!("main fails");
        })
    }));
    assert!(result.is_err());
    assert!(
        dropped.get(),
        "the spawned task was dropped when main unwound"
    );
    assert_eq!(rt.live_tasks(), 0);
    let value = rt.block_on(async {
        sleep(Duration::from_millis(2)).await;
        7
    });
    assert_eq!(value, 7);
    assert_eq!(rt.now().since_origin(), Duration::from_millis(3));
}

#[test]
fn after_a_timeout_of_duration_max_sleeps_still_take_their_time() {
    let rt = virtual_runtime();
    let (timed_out, slept) = rt.block_on(async {
        let result = timeout(Duration::MAX, pending::<()>()).await;
        let start = Instant::now();
        sleep(Duration::from_secs(1)).await;
        (result.is_err(), start.elapsed())
    });
    assert!(timed_out);
    assert_eq!(rt.now().since_origin(), FAR_FUTURE + Duration::from_secs(1));
    assert_eq!(slept, Duration::from_secs(1));
}

/// A future that sets the farthest deadline some timer API can express and waits for it.
type FarDeadline = fn() -> Pin<Box<dyn Future<Output = ()>>>;

#[test]
fn every_path_that_sets_a_deadline_caps_it_at_thirty_years_so_later_sleeps_still_wait() {
    const TEN_S: Duration = Duration::from_secs(10);
    // (what, the far wait, where the virtual clock must stop: 30 years after the deadline
    // was set, never the end of time).
    let cases: [(&str, FarDeadline, Duration); 7] = [
        (
            "sleep_until(now + Duration::MAX)",
            || Box::pin(sleep_until(Instant::now() + Duration::MAX)),
            FAR_FUTURE,
        ),
        (
            "timeout_at(now + Duration::MAX, pending)",
            || {
                Box::pin(async {
                    let _ = timeout_at(Instant::now() + Duration::MAX, pending::<()>()).await;
                })
            },
            FAR_FUTURE,
        ),
        (
            "Sleep::reset(now + Duration::MAX)",
            || {
                Box::pin(async {
                    let mut nap = sleep(Duration::from_secs(1));
                    nap.reset(Instant::now() + Duration::MAX);
                    nap.await;
                })
            },
            FAR_FUTURE,
        ),
        (
            "Sleep::reset(now + Duration::MAX) after a first poll, 10 s in",
            || {
                Box::pin(async {
                    sleep(TEN_S).await;
                    let mut nap = sleep(Duration::from_secs(1));
                    // Registered in the wheel first, so the reset must replace that entry.
                    let _ = timeout(Duration::ZERO, &mut nap).await;
                    nap.reset(Instant::now() + Duration::MAX);
                    nap.await;
                })
            },
            TEN_S + FAR_FUTURE,
        ),
        (
            "interval(Duration::MAX), ticked twice",
            || {
                Box::pin(async {
                    let mut ticker = interval(Duration::MAX);
                    ticker.tick().await; // at once
                    ticker.tick().await; // the far one
                })
            },
            FAR_FUTURE,
        ),
        (
            "interval_at(now + Duration::MAX, 1 s)",
            || {
                Box::pin(async {
                    interval_at(Instant::now() + Duration::MAX, Duration::from_secs(1))
                        .tick()
                        .await;
                })
            },
            FAR_FUTURE,
        ),
        (
            "interval_at(now, Duration::MAX - 10 s), ticked twice, 10 s in",
            || {
                Box::pin(async {
                    sleep(TEN_S).await;
                    let mut ticker = interval_at(Instant::now(), Duration::MAX - TEN_S);
                    ticker.tick().await;
                    ticker.tick().await;
                })
            },
            TEN_S + FAR_FUTURE,
        ),
    ];
    // Every case runs, so one failure report lists every path that is still uncapped.
    let mut bent = Vec::new();
    for (what, far, stops_at) in cases {
        let (stopped_at, slept) = common::within(Duration::from_secs(10), what, move || {
            virtual_runtime().block_on(async move {
                far().await;
                let stopped_at = Instant::now().since_origin();
                let start = Instant::now();
                sleep(Duration::from_secs(1)).await;
                (stopped_at, start.elapsed())
            })
        });
        if slept != Duration::from_secs(1) || stopped_at != stops_at {
            bent.push(format!(
                "{what}: waited until {stopped_at:?} (not {stops_at:?}), then a 1 s sleep took \
                 {slept:?}"
            ));
        }
    }
    assert!(
        bent.is_empty(),
        "deadlines not capped at 30 years from when they were set:\n  {}",
        bent.join("\n  ")
    );
}

/// A waker whose `wake` panics: someone else's code, which a task's ending calls.
struct PanickingWaker;

impl std::task::Wake for PanickingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("this waker panics");
    }
}

#[test]
fn a_waker_that_panics_when_the_task_it_awaits_ends_does_not_unwind_through_the_loop() {
    // A task's end wakes whoever awaits its handle: however it ends, a panic in that waker
    // must not reach the loop (nor `abort`'s caller), and the task's result must stand.
    let ways = ["finish", "panic", "abort", "abort itself", "shutdown"];
    for way in ways {
        let rt = virtual_runtime();
        let me: Rc<RefCell<Option<glassloop::JoinHandle<u32>>>> = Rc::default();
        let (me_inside, go) = (me.clone(), Rc::new(Cell::new(false)));
        let go_inside = go.clone();
        let handle = rt.spawn(async move {
            while !go_inside.get() {
                glassloop::task::yield_now().await;
            }
            match way {
                "finish" => 5,
                "panic" => panic!("the task panics"),
                "abort itself" => {
                    me_inside.borrow().as_ref().unwrap().abort();
                    pending().await
                }
                _ => pending().await,
            }
        });
        *me.borrow_mut() = Some(handle);
        let main = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let waker = Waker::from(std::sync::Arc::new(PanickingWaker));
                let mut cx = std::task::Context::from_waker(&waker);
                let first = Pin::new(me.borrow_mut().as_mut().unwrap()).poll(&mut cx);
                assert!(first.is_pending(), "{way}: the task has not ended yet");
                go.set(true);
                if way == "abort" {
                    me.borrow().as_ref().unwrap().abort();
                }
                glassloop::task::yield_now().await;
                glassloop::task::yield_now().await;
            })
        }));
        assert!(main.is_ok(), "{way}: the waker's panic reached the loop");
        let result = virtual_runtime().block_on(me.borrow_mut().take().unwrap());
        match way {
            "finish" => assert_eq!(result.unwrap(), 5),
            "panic" => assert_eq!(result.unwrap_err().panic_message(), Some("the task panics")),
            _ => assert!(result.unwrap_err().is_cancelled(), "{way}: cancelled"),
        }
    }
}
