//! Exercise 4, graded: `join` (exercises/04_join.rs).
//!
//! Read next: suite_wheel_position.rs.

use std::task::Poll;

use crate::join::join;
use crate::lab::{poll_once, Probe, Wakes};

#[test]
fn rule_1_the_first_poll_starts_both_children() {
    let (a, a_state) = Probe::new(2, 'a');
    let (b, b_state) = Probe::new(2, 'b');
    let (waker, _) = Wakes::waker();
    let mut both = join(a, b);
    assert!(poll_once(&mut both, &waker).is_pending());
    assert_eq!(
        (a_state.polls.get(), b_state.polls.get()),
        (1, 1),
        "rule 1 broken: one poll of the join must poll each child once, even when the first \
         child is Pending: that is what makes them run at the same time"
    );
}

#[test]
fn rule_2_ready_when_both_are_with_outputs_in_argument_order() {
    // b finishes first; the output is still (a, b).
    let (a, a_state) = Probe::new(2, "slow a");
    let (b, _) = Probe::new(0, "quick b");
    let (waker, _) = Wakes::waker();
    let mut both = join(a, b);
    for poll in 1..=2 {
        assert!(
            poll_once(&mut both, &waker).is_pending(),
            "rule 2 broken: the join must stay Pending while a child is (poll {poll})"
        );
        a_state.wake();
    }
    assert_eq!(
        poll_once(&mut both, &waker),
        Poll::Ready(("slow a", "quick b")),
        "rule 2 broken: the join must be Ready with (a's output, b's output), whatever order \
         they finished in"
    );
}

#[test]
fn rule_3_a_finished_child_is_never_polled_again() {
    let (a, a_state) = Probe::new(0, 1);
    let (b, b_state) = Probe::new(3, 2);
    let (waker, _) = Wakes::waker();
    let mut both = join(a, b);
    for _ in 0..3 {
        assert!(poll_once(&mut both, &waker).is_pending());
    }
    assert_eq!(poll_once(&mut both, &waker), Poll::Ready((1, 2)));
    assert_eq!(
        a_state.polls_after_ready.get(),
        0,
        "rule 3 broken: child a was polled {} more times after it returned Ready; keep its \
         output and stop polling it",
        a_state.polls_after_ready.get()
    );
    assert_eq!(
        (a_state.polls.get(), b_state.polls.get()),
        (1, 4),
        "rule 3 broken: a (ready at once) must be polled once, b (pending 3 times) 4 times"
    );
}

#[test]
fn rule_4_a_childs_wake_reaches_the_joins_waker() {
    let (a, a_state) = Probe::new(1, ());
    let (b, b_state) = Probe::new(1, ());
    let (waker, wakes) = Wakes::waker();
    let mut both = join(a, b);
    assert!(poll_once(&mut both, &waker).is_pending());
    a_state.wake();
    b_state.wake();
    assert_eq!(
        wakes.count(),
        2,
        "rule 4 broken: the children must be polled with the join's own context (cx), so that \
         each child's wake wakes the task that polls the join"
    );
}
