//! Exercise 1, graded: a waker that counts its wakes (exercises/01_counting_waker.rs).
//!
//! Read next: suite_countdown.rs.

use crate::counting_waker::counting_waker;

#[test]
fn rule_1_a_new_waker_has_counted_no_wake() {
    let (_waker, counter) = counting_waker();
    assert_eq!(
        counter.count(),
        0,
        "rule 1 broken: a waker nobody has woken yet must count 0 wakes"
    );
}

#[test]
fn rule_2_wake_by_ref_counts_one_and_leaves_the_waker_usable() {
    let (waker, counter) = counting_waker();
    waker.wake_by_ref();
    assert_eq!(
        counter.count(),
        1,
        "rule 2 broken: one wake_by_ref must count exactly 1"
    );
    waker.wake_by_ref();
    assert_eq!(
        counter.count(),
        2,
        "rule 2 broken: a second wake_by_ref must count 2 in all"
    );
}

#[test]
fn rule_3_wake_by_value_counts_one() {
    let (waker, counter) = counting_waker();
    waker.wake();
    assert_eq!(
        counter.count(),
        1,
        "rule 3 broken: Waker::wake (which uses the waker up) must count exactly 1"
    );
}

#[test]
fn rule_4_every_clone_counts_into_the_same_counter() {
    let (waker, counter) = counting_waker();
    let clone = waker.clone();
    clone.wake_by_ref();
    clone.wake();
    waker.wake_by_ref();
    assert_eq!(
        counter.count(),
        3,
        "rule 4 broken: a clone of a waker names the same task, so its wakes must reach the \
         same counter (3 wakes through 2 handles)"
    );
}

#[test]
fn rule_5_cloning_and_dropping_are_not_wakes() {
    let (waker, counter) = counting_waker();
    let clones: Vec<_> = (0..5).map(|_| waker.clone()).collect();
    drop(clones);
    drop(waker);
    assert_eq!(
        counter.count(),
        0,
        "rule 5 broken: cloning or dropping a waker must not count as a wake"
    );
}

#[test]
fn rule_6_two_counting_wakers_count_apart() {
    let (first, first_counter) = counting_waker();
    let (_second, second_counter) = counting_waker();
    first.wake_by_ref();
    assert_eq!(
        (first_counter.count(), second_counter.count()),
        (1, 0),
        "rule 6 broken: each counting_waker() must have its own counter"
    );
}
