//! Cancellation is drop: abort, timeouts, select losers and dropped futures all end a future
//! by dropping it, its guards (Rust's `finally`) run, and awaiting an aborted task reports it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::combinators::{gather, AbortOnDrop};
use glassloop::time::{sleep, timeout, Instant};
use glassloop::{JoinHandle, Runtime};

fn virtual_runtime() -> Runtime {
    Runtime::builder().virtual_clock().build().unwrap()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A cleanup guard: records the virtual time at which it was dropped.
struct Finally {
    dropped_at: Rc<Cell<Option<Duration>>>,
}

impl Drop for Finally {
    fn drop(&mut self) {
        self.dropped_at.set(Some(Instant::now().since_origin()));
    }
}

fn finally() -> (Finally, Rc<Cell<Option<Duration>>>) {
    let dropped_at = Rc::new(Cell::new(None));
    (
        Finally {
            dropped_at: dropped_at.clone(),
        },
        dropped_at,
    )
}

/// Holds `guard` across a sleep of `s` seconds; sets `finished` if it ever gets to the end.
async fn guarded_sleep(s: u64, guard: Finally, finished: Rc<Cell<bool>>) {
    let _guard = guard;
    sleep(secs(s)).await;
    finished.set(true);
}

#[test]
fn abort_drops_the_future_inside_abort_before_abort_returns() {
    let rt = virtual_runtime();
    let (guard, dropped_at) = finally();
    let finished = Rc::new(Cell::new(false));
    // Spawned before block_on, so the first tick polls it before the main future: by the
    // time the main future runs, the task is parked on its 60 s timer.
    let handle = rt.spawn(guarded_sleep(60, guard, finished.clone()));
    rt.block_on(async {
        assert_eq!(rt.live_tasks(), 1);
        assert_eq!(dropped_at.get(), None);
        let aborted_at = Instant::now().since_origin();
        handle.abort();
        // No tick has happened since abort() (time cannot have moved): the drop ran inside it.
        assert_eq!(dropped_at.get(), Some(aborted_at));
        assert_eq!(rt.live_tasks(), 0);
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled(), "the handle reports cancellation: {err}");
    });
    assert!(!finished.get());
}

#[test]
fn a_task_that_aborts_itself_is_dropped_when_its_poll_returns() {
    let rt = virtual_runtime();
    let (guard, dropped_at) = finally();
    let me: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::new(RefCell::new(None));
    let seen_during_poll = Rc::new(Cell::new(None));
    let (me_inside, seen) = (me.clone(), seen_during_poll.clone());
    let dropped_inside = dropped_at.clone();
    let handle = rt.spawn(async move {
        let _guard = guard;
        if let Some(handle) = me_inside.borrow().as_ref() {
            handle.abort();
        }
        // Still running on the stack: the future cannot be dropped under our feet.
        seen.set(Some(dropped_inside.get().is_some()));
        std::future::pending::<()>().await;
    });
    *me.borrow_mut() = Some(handle);
    let tick = rt.step();
    assert_eq!(tick.polled, 1);
    assert_eq!(
        seen_during_poll.get(),
        Some(false),
        "not dropped during its own poll"
    );
    assert!(
        dropped_at.get().is_some(),
        "dropped as soon as the poll returned"
    );
    assert_eq!(rt.live_tasks(), 0);
    let handle = me.borrow_mut().take().unwrap();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn dropping_a_future_cancels_it_and_runs_its_guards_at_the_drop() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (guard, dropped_at) = finally();
        let finished = Rc::new(Cell::new(false));
        let mut work = Box::pin(guarded_sleep(5, guard, finished.clone()));
        // Poll it once by hand: it starts, takes its guard, and parks on the timer.
        std::future::poll_fn(|cx| {
            assert!(work.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        sleep(secs(2)).await;
        assert_eq!(dropped_at.get(), None);
        drop(work);
        assert_eq!(dropped_at.get(), Some(secs(2)), "cleanup ran at the drop");
        sleep(secs(10)).await;
        assert!(!finished.get(), "a dropped future never runs again");
    });
}

#[test]
fn a_timeout_is_a_cancellation_the_inner_future_is_dropped_at_the_deadline() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (guard, dropped_at) = finally();
        let finished = Rc::new(Cell::new(false));
        let result = timeout(secs(5), guarded_sleep(10, guard, finished.clone())).await;
        assert!(result.is_err());
        assert_eq!(dropped_at.get(), Some(secs(5)));
        assert!(!finished.get());
    });
}

#[test]
fn cancelling_a_task_that_awaits_a_join_handle_detaches_the_child_unlike_asyncio() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let child_finished = Rc::new(Cell::new(false));
        let (guard, child_dropped_at) = finally();
        let child_done = child_finished.clone();
        let parent = glassloop::spawn(async move {
            let child = glassloop::spawn(guarded_sleep(3, guard, child_done));
            child.await.unwrap();
        });
        sleep(secs(1)).await;
        parent.abort();
        assert!(parent.await.unwrap_err().is_cancelled());
        sleep(secs(5)).await;
        // The child's handle was dropped with the parent: the child ran on, detached.
        assert!(child_finished.get());
        assert_eq!(child_dropped_at.get(), Some(secs(3)));
    });
}

#[test]
fn cancelling_a_task_that_awaits_an_abort_on_drop_handle_cancels_the_child_like_asyncio() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let child_finished = Rc::new(Cell::new(false));
        let (guard, child_dropped_at) = finally();
        let child_done = child_finished.clone();
        let parent = glassloop::spawn(async move {
            let child = AbortOnDrop::new(glassloop::spawn(guarded_sleep(3, guard, child_done)));
            child.await.unwrap();
        });
        sleep(secs(1)).await;
        parent.abort();
        assert_eq!(
            child_dropped_at.get(),
            Some(secs(1)),
            "child dropped inside abort()"
        );
        sleep(secs(5)).await;
        assert!(!child_finished.get());
    });
}

#[test]
fn an_abort_on_drop_handle_still_yields_the_result_when_awaited() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let child = AbortOnDrop::new(glassloop::spawn(async {
            sleep(secs(1)).await;
            7
        }));
        assert_eq!(child.await.unwrap(), 7);
    });
}

#[test]
fn cancelling_a_task_that_awaits_a_gather_cancels_every_child() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let finished = Rc::new(Cell::new(false));
        let mut dropped = Vec::new();
        let mut children = Vec::new();
        for s in [2, 3, 4] {
            let (guard, dropped_at) = finally();
            dropped.push(dropped_at);
            children.push(guarded_sleep(s, guard, finished.clone()));
        }
        let parent = glassloop::spawn(async move {
            gather(children).await;
        });
        sleep(secs(1)).await;
        parent.abort();
        let at: Vec<_> = dropped.iter().map(|d| d.get()).collect();
        assert_eq!(
            at,
            vec![Some(secs(1)); 3],
            "every child dropped inside abort()"
        );
        sleep(secs(10)).await;
        assert!(!finished.get());
    });
}

#[test]
fn dropping_a_join_handle_detaches_the_task_which_runs_to_completion() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let finished = Rc::new(Cell::new(false));
        let (guard, _) = finally();
        drop(glassloop::spawn(guarded_sleep(2, guard, finished.clone())));
        sleep(secs(3)).await;
        assert!(finished.get());
    });
}

#[test]
fn aborting_a_finished_task_does_nothing_and_its_result_is_kept() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let handle = glassloop::spawn(async { 5 });
        sleep(secs(1)).await;
        assert!(handle.is_finished());
        handle.abort();
        assert_eq!(handle.await.unwrap(), 5);
    });
}
