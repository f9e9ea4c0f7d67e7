//! Exercise 2, graded: a hand-written future (exercises/02_countdown.rs).
//!
//! Read next: suite_block_on.rs.

use std::task::Poll;

use crate::countdown::Countdown;
use crate::lab::{poll_once, Wakes};

#[test]
fn rule_1_countdown_zero_is_ready_on_its_first_poll() {
    let (waker, wakes) = Wakes::waker();
    let mut countdown = Countdown::new(0);
    assert_eq!(
        poll_once(&mut countdown, &waker),
        Poll::Ready(1),
        "rule 1 broken: Countdown::new(0) must be Ready(1) on its first poll (1 poll taken)"
    );
    assert_eq!(
        wakes.count(),
        0,
        "rule 1 broken: a Ready future must not wake anyone"
    );
}

#[test]
fn rule_2_countdown_n_is_pending_n_times_then_ready_with_n_plus_1() {
    let (waker, _wakes) = Wakes::waker();
    let mut countdown = Countdown::new(3);
    for poll in 1..=3 {
        assert_eq!(
            poll_once(&mut countdown, &waker),
            Poll::Pending,
            "rule 2 broken: Countdown::new(3) must be Pending on poll {poll} of 4"
        );
    }
    assert_eq!(
        poll_once(&mut countdown, &waker),
        Poll::Ready(4),
        "rule 2 broken: Countdown::new(3) must be Ready(4) on its 4th poll"
    );
}

#[test]
fn rule_3_every_pending_is_followed_by_exactly_one_wake() {
    let (waker, wakes) = Wakes::waker();
    let mut countdown = Countdown::new(2);
    for poll in 1..=2 {
        let before = wakes.count();
        assert!(poll_once(&mut countdown, &waker).is_pending());
        assert_eq!(
            wakes.count() - before,
            1,
            "rule 3 broken: Pending promises a wake. Poll {poll} returned Pending after {} \
             wakes; nobody else will wake a countdown, so it must wake itself exactly once",
            wakes.count() - before
        );
    }
}

#[test]
fn rule_4_the_wake_goes_to_the_waker_of_the_latest_poll() {
    let (first, first_wakes) = Wakes::waker();
    let (second, second_wakes) = Wakes::waker();
    let mut countdown = Countdown::new(2);
    assert!(poll_once(&mut countdown, &first).is_pending());
    assert!(poll_once(&mut countdown, &second).is_pending());
    assert_eq!(
        (first_wakes.count(), second_wakes.count()),
        (1, 1),
        "rule 4 broken: each Pending must wake the waker of *that* poll (cx.waker()); a \
         future may move between tasks, so a waker kept from an earlier poll can be stale"
    );
}
