//! Exercise 3, graded: `block_on` (exercises/03_block_on.rs).
//!
//! The learner's `block_on` runs on a thread of its own, so that one which never returns
//! fails its rule after a deadline instead of hanging the suite. The futures here count their
//! polls in atomics, since they run on that other thread.
//!
//! Read next: suite_join.rs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::block_on::block_on;

/// How long a `block_on` may take before it counts as hung. A correct one takes microseconds.
const HANG: Duration = Duration::from_secs(10);

/// Run `f` on its own thread; its result, or its panic passed on, or a failure of `rule`
/// if it has not returned after [`HANG`].
fn on_own_thread<T: Send + 'static>(rule: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(HANG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "{rule} broken: block_on did not return within {HANG:?}. Does the waker unpark the \
             thread, and does block_on poll again after each park?"
        ),
    }
}

/// Pending `pending` times, waking itself each time; counts its polls.
struct SelfWaking {
    pending: usize,
    polls: Arc<AtomicUsize>,
}

impl Future for SelfWaking {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.pending == 0 {
            return Poll::Ready("done");
        }
        self.pending -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn rule_1_a_ready_future_is_polled_once_and_its_output_returned() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let output = on_own_thread("rule 1", move || {
        block_on(SelfWaking {
            pending: 0,
            polls: counted,
        })
    });
    assert_eq!(
        output, "done",
        "rule 1 broken: block_on must return the future's output"
    );
    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "rule 1 broken: a future that is Ready at once must be polled exactly once"
    );
}

#[test]
fn rule_2_a_wake_during_the_poll_is_not_lost_and_each_wake_gives_one_poll() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    on_own_thread("rule 2", move || {
        block_on(SelfWaking {
            pending: 5,
            polls: counted,
        })
    });
    assert_eq!(
        polls.load(Ordering::SeqCst),
        6,
        "rule 2 broken: a future that wakes itself 5 times before it is Ready must be polled \
         exactly 6 times"
    );
}

/// At its first poll, starts a thread that wakes it; counts polls, and polls that came
/// before that wake (which only a busy loop makes).
struct WokenFromAnotherThread {
    polls: Arc<AtomicUsize>,
    woken: Arc<AtomicBool>,
    polls_before_the_wake: Arc<AtomicUsize>,
}

impl Future for WokenFromAnotherThread {
    type Output = u8;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u8> {
        let polls = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        if polls == 1 {
            let waker = cx.waker().clone();
            let woken = self.woken.clone();
            std::thread::spawn(move || {
                woken.store(true, Ordering::SeqCst);
                waker.wake();
            });
            return Poll::Pending;
        }
        if !self.woken.load(Ordering::SeqCst) {
            self.polls_before_the_wake.fetch_add(1, Ordering::SeqCst);
            return Poll::Pending;
        }
        Poll::Ready(42)
    }
}

#[test]
fn rule_3_a_pending_future_sleeps_until_a_wake_from_another_thread() {
    let polls = Arc::new(AtomicUsize::new(0));
    let early = Arc::new(AtomicUsize::new(0));
    let future = WokenFromAnotherThread {
        polls: polls.clone(),
        woken: Arc::new(AtomicBool::new(false)),
        polls_before_the_wake: early.clone(),
    };
    let output = on_own_thread("rule 3", move || block_on(future));
    assert_eq!(
        output, 42,
        "rule 3 broken: block_on must return the future's output"
    );
    assert_eq!(
        early.load(Ordering::SeqCst),
        0,
        "rule 3 broken: block_on polled a future nobody had woken. Park the thread after a \
         Pending instead of polling again (a busy loop burns a core for nothing)"
    );
    assert_eq!(
        polls.load(Ordering::SeqCst),
        2,
        "rule 3 broken: one Pending and one wake must make exactly two polls"
    );
}

#[test]
fn rule_4_an_async_block_with_awaits_inside_runs_to_its_end() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let output = on_own_thread("rule 4", move || {
        block_on(async move {
            let first = SelfWaking {
                pending: 2,
                polls: counted.clone(),
            }
            .await;
            let second = SelfWaking {
                pending: 1,
                polls: counted,
            }
            .await;
            format!("{first} and {second}")
        })
    });
    assert_eq!(output, "done and done", "rule 4 broken: wrong output");
    assert_eq!(
        polls.load(Ordering::SeqCst),
        5,
        "rule 4 broken: two awaited futures pending 2 and 1 times make 3 + 2 polls"
    );
}
