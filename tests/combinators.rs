//! gather, try_gather, select, race, as_completed, wait and TaskGroup: each rule they promise,
//! checked under the virtual clock with exact instants, poll counts and drop counts.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::combinators::{
    as_completed, gather, gather2, gather3, race, select, try_gather, wait, Either, GroupError,
    ReturnWhen, TaskGroup,
};
use glassloop::time::{sleep, Instant};

mod common;
use common::{count_polls, virtual_runtime};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Counts its own drops: the `finally` of a child.
struct DropGuard(Rc<Cell<u32>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A child that sleeps `s` seconds and returns `value`, holding a guard on `dropped` the whole
/// time: `dropped` counts the children that ended, finished or cancelled. The guard is made
/// now, not at the first poll, so a child dropped before it ever ran is counted too.
fn guarded_sleep<T>(s: u64, dropped: &Rc<Cell<u32>>, value: T) -> impl Future<Output = T> {
    let guard = DropGuard(dropped.clone());
    async move {
        let _guard = guard;
        sleep(secs(s)).await;
        value
    }
}

/// Sleep `s` seconds, log the name when done, return it.
async fn job(name: &'static str, s: u64, log: Rc<RefCell<Vec<&'static str>>>) -> &'static str {
    sleep(secs(s)).await;
    log.borrow_mut().push(name);
    name
}

// ───────────── gather: invariant 12 ─────────────

#[test]
fn gather_returns_results_in_argument_order_whatever_the_completion_order() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = gather([
            job("a", 3, log.clone()),
            job("b", 1, log.clone()),
            job("c", 2, log.clone()),
        ])
        .await;
        assert_eq!(*log.borrow(), vec!["b", "c", "a"], "finishing order");
        assert_eq!(out, vec!["a", "b", "c"], "argument order");
    });
}

#[test]
fn gather_takes_as_long_as_its_longest_child_not_the_sum() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        gather([
            job("1", 1, log.clone()),
            job("4", 4, log.clone()),
            job("1", 1, log.clone()),
        ])
        .await;
        assert_eq!(start.elapsed(), secs(4));
    });
}

#[test]
fn gather_repolls_only_the_children_that_were_woken() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (a, a_polls) = count_polls(sleep(secs(1)));
        let (b, b_polls) = count_polls(sleep(secs(2)));
        let (c, c_polls) = count_polls(sleep(secs(3)));
        gather([a, b, c]).await;
        // Each child: one poll to start, one when its own timer fired. Polling every child
        // at every wake would give 2, 3 and 4.
        assert_eq!(
            (a_polls.get(), b_polls.get(), c_polls.get()),
            (2, 2, 2),
            "child polls (a, b, c)"
        );
    });
}

#[test]
fn a_child_that_yields_many_times_does_not_cause_its_siblings_to_be_polled() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let busy = async {
            for _ in 0..10 {
                glassloop::task::yield_now().await;
            }
        };
        let (busy, busy_polls) = count_polls(busy);
        let (idle, idle_polls) = count_polls(sleep(secs(1)));
        let both: Vec<Pin<Box<dyn Future<Output = ()>>>> = vec![Box::pin(busy), Box::pin(idle)];
        gather(both).await;
        assert_eq!(busy_polls.get(), 11, "ten yields, then done");
        assert_eq!(idle_polls.get(), 2, "start, then its timer");
    });
}

#[test]
fn many_wakes_of_one_child_before_the_parent_runs_cause_one_child_poll() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mut woke = false;
        let wakes_thrice = std::future::poll_fn(move |cx| {
            if woke {
                return Poll::Ready(());
            }
            woke = true;
            for _ in 0..3 {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        });
        let (child, polls) = count_polls(wakes_thrice);
        gather([child]).await;
        assert_eq!(polls.get(), 2, "three wakes before the next poll, one poll");
    });
}

#[test]
fn gather_of_results_collects_every_outcome_like_return_exceptions() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let attempt = |s: u64, ok: bool| async move {
            sleep(secs(s)).await;
            if ok {
                Ok(s)
            } else {
                Err(format!("failed after {s} s"))
            }
        };
        let all = gather([attempt(2, true), attempt(1, false), attempt(3, true)]).await;
        assert_eq!(all, vec![Ok(2), Err("failed after 1 s".to_string()), Ok(3)]);
        assert_eq!(start.elapsed(), secs(3), "every child ran to its end");
    });
}

#[test]
fn the_tuple_forms_keep_argument_order_and_take_the_longest_time() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let text = async {
            sleep(secs(3)).await;
            "three"
        };
        let number = async {
            sleep(secs(1)).await;
            1u8
        };
        assert_eq!(gather2(text, number).await, ("three", 1));
        assert_eq!(start.elapsed(), secs(3));
        let flag = async {
            sleep(secs(2)).await;
            true
        };
        let unit = sleep(secs(1));
        let word = async { "now" };
        assert_eq!(gather3(flag, unit, word).await, (true, (), "now"));
        assert_eq!(start.elapsed(), secs(5));
    });
}

#[test]
fn gather_of_nothing_completes_at_once_with_an_empty_vec() {
    let rt = virtual_runtime();
    let out: Vec<u8> = rt.block_on(gather(Vec::<std::future::Ready<u8>>::new()));
    assert!(out.is_empty());
    assert_eq!(rt.now().since_origin(), Duration::ZERO);
}

#[test]
fn a_gather_whose_children_can_never_be_woken_is_reported_as_a_stall() {
    let rt = virtual_runtime();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(gather([std::future::pending::<()>()]))
    }));
    let payload = outcome.expect_err("a gather of pending() can never finish");
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.contains("the loop is stalled"), "{message}");
}

#[test]
fn a_panicking_child_unwinds_through_gather_to_the_awaiting_task_and_cancels_its_siblings() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let sibling_dropped = Rc::new(Cell::new(0));
        let dropped = sibling_dropped.clone();
        let handle = glassloop::spawn(async move {
            let sibling: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
                let _guard = DropGuard(dropped);
                sleep(secs(10)).await;
            });
            let bomb: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async {
                sleep(secs(1)).await;
                panic!("child exploded");
            });
            gather([sibling, bomb]).await;
        });
        let start = Instant::now();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("child exploded"));
        assert_eq!(
            sibling_dropped.get(),
            1,
            "the sibling was dropped by the unwind"
        );
        assert_eq!(start.elapsed(), secs(1));
    });
}

// ───────────── try_gather ─────────────

#[test]
fn try_gather_returns_the_first_error_at_once_and_drops_the_other_children() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let child = |s: u64, fail: bool| {
            let outcome = if fail { Err(s) } else { Ok(s) };
            guarded_sleep(s, &dropped, outcome)
        };
        let result = try_gather([child(3, false), child(1, true), child(5, false)]).await;
        assert_eq!(result, Err(1));
        assert_eq!(start.elapsed(), secs(1), "did not wait for the others");
        assert_eq!(
            dropped.get(),
            3,
            "the failed child and both cancelled siblings were dropped before the Err returned"
        );
    });
}

#[test]
fn try_gather_with_no_error_returns_every_value_in_argument_order() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let child = |s: u64| async move {
            sleep(secs(s)).await;
            Ok::<u64, String>(s * 10)
        };
        assert_eq!(
            try_gather([child(2), child(1), child(3)]).await,
            Ok(vec![20, 10, 30])
        );
        assert_eq!(start.elapsed(), secs(3));
    });
}

// ───────────── select and race ─────────────

#[test]
fn select_returns_the_first_to_finish_and_drops_the_loser_before_returning() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let slow = guarded_sleep(5, &dropped, "slow");
        let fast = async {
            sleep(secs(2)).await;
            2
        };
        assert_eq!(select(slow, fast).await, Either::Right(2));
        assert_eq!(start.elapsed(), secs(2));
        assert_eq!(dropped.get(), 1, "the loser was cancelled");
    });
}

#[test]
fn on_a_tie_select_picks_its_first_argument() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let out = select(sleep(secs(1)), async {
            sleep(secs(1)).await;
            "second"
        })
        .await;
        assert_eq!(out, Either::Left(()));
    });
}

#[test]
fn race_returns_the_winners_index_and_on_a_tie_the_lowest_index_wins() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let runner = |s: u64| guarded_sleep(s, &dropped, s);
        // Children 1 and 3 both finish at 2 s; child 1 comes first in argument order.
        let winner = race([runner(4), runner(2), runner(3), runner(2)]).await;
        assert_eq!(winner, (1, 2));
        assert_eq!(start.elapsed(), secs(2));
        assert_eq!(
            dropped.get(),
            4,
            "the winner ended, the three others were dropped"
        );
    });
}

#[test]
#[should_panic(expected = "race was given no futures")]
fn an_empty_race_is_refused_with_a_message() {
    let rt = virtual_runtime();
    rt.block_on(race(Vec::<std::future::Ready<()>>::new()));
}

#[test]
#[should_panic(expected = "Race was polled after it completed")]
fn a_race_polled_again_after_it_finished_is_refused_with_a_message() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mut finished = race([std::future::ready(1), std::future::ready(2)]);
        assert_eq!((&mut finished).await, (0, 1));
        (&mut finished).await; // a second await of a finished race
    });
}

// ───────────── as_completed ─────────────

#[test]
fn as_completed_yields_outputs_in_finishing_order_with_their_argument_index() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let fetch = |s: u64| async move {
            sleep(secs(s)).await;
            s
        };
        let mut done = as_completed([fetch(3), fetch(1), fetch(2), fetch(1)]);
        let mut seen = Vec::new();
        while let Some((index, s)) = done.next().await {
            seen.push((index, s, start.elapsed()));
        }
        assert_eq!(
            seen,
            vec![
                (1, 1, secs(1)),
                (3, 1, secs(1)),
                (2, 2, secs(2)),
                (0, 3, secs(3))
            ]
        );
        assert_eq!(done.remaining(), 0);
    });
}

// ───────────── wait ─────────────

fn spawn_sleeper(s: u64) -> glassloop::JoinHandle<u64> {
    glassloop::spawn(async move {
        sleep(secs(s)).await;
        s
    })
}

#[test]
fn wait_first_completed_returns_done_and_pending_and_cancels_nothing() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let handles = vec![spawn_sleeper(3), spawn_sleeper(1), spawn_sleeper(2)];
        let ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        let outcome = wait(handles, ReturnWhen::FirstCompleted).await;
        assert_eq!(start.elapsed(), secs(1));
        assert_eq!(outcome.done.len(), 1);
        assert_eq!(outcome.done[0].0, ids[1]);
        assert_eq!(*outcome.done[0].1.as_ref().unwrap(), 1);
        let pending: Vec<_> = outcome.pending.iter().map(|h| h.id()).collect();
        assert_eq!(pending, vec![ids[0], ids[2]], "argument order");
        // Nothing was cancelled: the pending tasks finish normally.
        let mut rest = Vec::new();
        for handle in outcome.pending {
            rest.push(handle.await.unwrap());
        }
        assert_eq!(rest, vec![3, 2]);
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn wait_first_exception_returns_when_a_task_panics() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let bomb = glassloop::spawn(async {
            sleep(secs(2)).await;
            panic!("task failed");
        });
        let handles = vec![spawn_sleeper(1), bomb, spawn_sleeper(5)];
        let outcome = wait(handles, ReturnWhen::FirstException).await;
        assert_eq!(
            start.elapsed(),
            secs(2),
            "not at 1 s (a success), at the panic"
        );
        assert_eq!(outcome.done.len(), 2);
        assert_eq!(*outcome.done[0].1.as_ref().unwrap(), 1);
        assert!(outcome.done[1].1.as_ref().unwrap_err().is_panic());
        assert_eq!(outcome.pending.len(), 1);
        outcome.pending[0].abort();
    });
}

#[test]
fn wait_first_exception_without_a_panic_waits_for_all_and_ignores_cancellation() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let cancelled = spawn_sleeper(10);
        cancelled.abort();
        let handles = vec![spawn_sleeper(1), cancelled, spawn_sleeper(2)];
        let outcome = wait(handles, ReturnWhen::FirstException).await;
        assert_eq!(start.elapsed(), secs(2));
        assert_eq!(outcome.done.len(), 3);
        assert!(outcome.pending.is_empty());
    });
}

#[test]
fn wait_all_completed_returns_when_every_task_has_ended() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let outcome = wait(
            vec![spawn_sleeper(2), spawn_sleeper(1)],
            ReturnWhen::AllCompleted,
        )
        .await;
        assert_eq!(start.elapsed(), secs(2));
        let values: Vec<u64> = outcome.done.into_iter().map(|(_, r)| r.unwrap()).collect();
        assert_eq!(values, vec![1, 2], "in the order they ended");
        assert!(outcome.pending.is_empty());
    });
}

// ───────────── TaskGroup ─────────────

#[test]
fn leaving_a_task_group_waits_for_every_child_and_returns_values_in_spawn_order() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let mut group = TaskGroup::<u64, String>::new();
        for s in [3, 1, 2] {
            group.spawn(async move {
                sleep(secs(s)).await;
                Ok(s)
            });
        }
        assert_eq!(group.len(), 3);
        assert_eq!(group.join_all().await.unwrap(), vec![3, 1, 2]);
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn a_failing_child_cancels_its_siblings_at_once_and_its_error_reaches_the_owner() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let mut group = TaskGroup::<u64, &'static str>::new();
        for s in [10, 20] {
            group.spawn(guarded_sleep(s, &dropped, Ok(s)));
        }
        let failing = group.spawn(async {
            sleep(secs(2)).await;
            Err("disk full")
        });
        // The owner is busy elsewhere when the child fails: the siblings are cancelled by the
        // failing child itself, not when the owner gets round to joining.
        sleep(secs(3)).await;
        assert_eq!(dropped.get(), 2, "both siblings were cancelled at 2 s");
        match group.join_all().await {
            Err(GroupError::Failed { task, error }) => {
                assert_eq!(task, failing);
                assert_eq!(error, "disk full");
            }
            other => panic!("expected the child's error, got {other:?}"),
        }
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn a_panicking_child_cancels_its_siblings_and_the_owner_receives_the_panic_as_an_error() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let mut group = TaskGroup::<(), ()>::new();
        group.spawn(guarded_sleep(60, &dropped, Ok(())));
        group.spawn(async {
            sleep(secs(1)).await;
            panic!("child panicked");
        });
        let err = group.join_all().await.unwrap_err();
        assert!(matches!(err, GroupError::Panicked { .. }), "{err:?}");
        assert_eq!(err.panic_message(), Some("child panicked"));
        assert_eq!(dropped.get(), 1);
        assert_eq!(start.elapsed(), secs(1));
    });
}

#[test]
fn children_that_fail_in_the_same_pass_are_all_reported_in_the_exception_group() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let dropped = Rc::new(Cell::new(0));
        let mut group = TaskGroup::<u64, &'static str>::new();
        group.spawn(guarded_sleep(10, &dropped, Ok(10)));
        let a = group.spawn(async {
            sleep(secs(1)).await;
            Err("a: disk full")
        });
        let b = group.spawn(async {
            sleep(secs(1)).await; // the same instant: woken in the same pass as a
            panic!("b: bad state");
        });
        let late = group.spawn(async {
            sleep(secs(2)).await;
            Err("too late: cancelled before it could fail")
        });
        let failures = group.join_all_grouped().await.unwrap_err();
        assert_eq!(start.elapsed(), secs(1));
        assert_eq!(failures.len(), 2, "{failures:?}");
        let tasks: Vec<_> = failures.iter().map(GroupError::task).collect();
        assert_eq!(tasks, [a, b], "in the order they failed");
        assert!(!tasks.contains(&late));
        assert!(matches!(
            failures.first(),
            GroupError::Failed {
                error: "a: disk full",
                ..
            }
        ));
        assert_eq!(failures.errors()[1].panic_message(), Some("b: bad state"));
        assert_eq!(dropped.get(), 1, "the 10 s sibling was cancelled");
        assert_eq!(
            failures.to_string(),
            "2 tasks in the group failed: task #2 in the group failed: a: disk full; \
             task #3 in the group panicked: b: bad state"
        );
    });
}

#[test]
fn join_all_still_returns_the_first_failure_when_several_children_fail_together() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mut group = TaskGroup::<(), &'static str>::new();
        for name in ["first", "second"] {
            group.spawn(async move {
                sleep(secs(1)).await;
                Err(name)
            });
        }
        let err = group.join_all().await.unwrap_err();
        assert_eq!(err.to_string(), "task #1 in the group failed: first");
    });
}

#[test]
fn the_group_reacts_one_pass_after_a_failure_so_a_ready_sibling_is_polled_once_more() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mut group = TaskGroup::<(), &'static str>::new();
        group.spawn(async {
            sleep(secs(1)).await;
            Err("failed")
        });
        // Woken by the same timer instant, after the failing child: it takes its step.
        let (sibling, polls) = count_polls(async {
            sleep(secs(1)).await;
            sleep(secs(60)).await;
            Ok(())
        });
        group.spawn(sibling);
        let failures = group.join_all_grouped().await.unwrap_err();
        assert_eq!(failures.len(), 1);
        assert_eq!(
            polls.get(),
            2,
            "its first poll, and its step at 1 s; then cancelled"
        );
    });
}

#[test]
fn dropping_a_task_group_cancels_the_children_still_running() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let dropped = Rc::new(Cell::new(0));
        let mut group = TaskGroup::<(), ()>::new();
        for _ in 0..3 {
            group.spawn(guarded_sleep(60, &dropped, Ok(())));
        }
        sleep(secs(1)).await; // the children have started
        assert_eq!(rt.live_tasks(), 3);
        drop(group);
        assert_eq!(dropped.get(), 3, "every child's guard ran inside the drop");
        assert_eq!(rt.live_tasks(), 0);
    });
}

#[test]
fn a_child_spawned_into_a_group_that_already_failed_is_cancelled_at_once() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let mut group = TaskGroup::<u8, &'static str>::new();
        group.spawn(async { Err("first") });
        sleep(secs(1)).await; // let it fail
        let ran = Rc::new(Cell::new(false));
        let ran_inside = ran.clone();
        group.spawn(async move {
            ran_inside.set(true);
            Ok(1)
        });
        let err = group.join_all().await.unwrap_err();
        assert_eq!(err.to_string(), "task #1 in the group failed: first");
        assert!(!ran.get(), "the late child never ran");
    });
}

#[test]
fn cancelling_the_owner_while_it_waits_in_join_all_cancels_the_groups_children() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let dropped = Rc::new(Cell::new(0));
        let counter = dropped.clone();
        let owner = glassloop::spawn(async move {
            let mut group = TaskGroup::<(), ()>::new();
            for _ in 0..2 {
                group.spawn(guarded_sleep(60, &counter, Ok(())));
            }
            group.join_all().await
        });
        sleep(secs(1)).await;
        assert_eq!(rt.live_tasks(), 3, "the owner and its two children");
        owner.abort();
        assert_eq!(
            dropped.get(),
            2,
            "both children were cancelled with their owner"
        );
        assert_eq!(rt.live_tasks(), 0);
    });
}

#[test]
fn dropping_as_completed_cancels_the_futures_not_yet_handed_out() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let dropped = Rc::new(Cell::new(0));
        let child = |s: u64| guarded_sleep(s, &dropped, s);
        let mut done = as_completed([child(3), child(1), child(2)]);
        assert_eq!(done.next().await, Some((1, 1)));
        assert_eq!(dropped.get(), 1, "only the finished one so far");
        drop(done);
        assert_eq!(
            dropped.get(),
            3,
            "the two still running were dropped with it"
        );
    });
}
