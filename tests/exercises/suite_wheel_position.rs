//! Exercise 5, graded: where the wheel files a timer (exercises/05_wheel_position.rs).
//!
//! The answers are compared with the real `glassloop::time::wheel::Wheel`: move an empty
//! wheel to `now`, insert a timer, and ask it where it put it.
//!
//! Read next: suite_mini_executor.rs.

use glassloop::time::wheel::Wheel;

use crate::wheel_position::{position, LEVELS, SLOTS};

/// Where the real wheel files a timer for `deadline` when its time is `now`.
fn real_position(now: u64, deadline: u64) -> (usize, usize) {
    let mut wheel = Wheel::new();
    wheel.advance(now, &mut Vec::new());
    let key = wheel.insert(deadline, ());
    wheel.position(key).expect("the timer was just inserted")
}

/// Check `position` against the real wheel on every pair, naming `rule` on a mismatch.
fn agree(rule: &str, pairs: &[(u64, u64)]) {
    for &(now, deadline) in pairs {
        assert_eq!(
            position(now, deadline),
            real_position(now, deadline),
            "{rule} broken for a timer at {deadline} inserted at {now}: the left side is your \
             (level, slot), the right side the real wheel's"
        );
    }
}

#[test]
fn rule_0_the_shape_is_six_levels_of_sixty_four() {
    assert_eq!(
        (LEVELS, SLOTS),
        (6, 64),
        "rule 0 broken: glassloop's wheel has 6 levels of 64 slots"
    );
}

#[test]
fn rule_1_within_the_current_64_ms_a_timer_goes_to_level_0_slot_deadline_mod_64() {
    agree(
        "rule 1",
        &[(0, 1), (0, 63), (10, 20), (130, 135), (64, 127)],
    );
    assert_eq!(
        position(0, 5),
        (0, 5),
        "rule 1 broken: at 0, a timer for 5 goes to (0, 5)"
    );
}

#[test]
fn rule_2_the_level_is_the_highest_base_64_digit_that_differs() {
    assert_eq!(
        position(0, 200),
        (1, 3),
        "rule 2 broken: at 0, a timer for 200 = 3·64 + 8 goes to level 1, slot 3 (chapter 2)"
    );
    agree(
        "rule 2",
        &[
            (0, 64),
            (63, 64),
            (100, 4095),
            (0, 4096),
            (5000, 300_000),
            (1 << 20, (1 << 20) + (1 << 30)),
            (0, (1 << 36) - 1),
        ],
    );
}

#[test]
fn rule_3_a_deadline_already_due_sits_under_the_hand() {
    assert_eq!(
        position(200, 150),
        (0, 200 % 64),
        "rule 3 broken: at 200 a deadline of 150 is due: level 0, the slot of now (200 % 64)"
    );
    agree("rule 3", &[(200, 200), (200, 0), (4096, 4000)]);
}

#[test]
fn rule_4_beyond_the_top_level_a_timer_goes_to_the_overflow_list() {
    assert_eq!(
        position(0, 1 << 36),
        (LEVELS, 0),
        "rule 4 broken: 64^6 ms is past the top level: the overflow list, reported (6, 0)"
    );
    agree(
        "rule 4",
        &[(0, u64::MAX), ((1 << 36) - 1, 1 << 36), (7, 1 << 40)],
    );
}

#[test]
fn rule_5_every_level_of_every_small_case_agrees_with_the_real_wheel() {
    let mut pairs = Vec::new();
    for now in [0, 1, 63, 64, 65, 4095, 4096, 262_143, 262_144] {
        for shift in 0..40 {
            pairs.push((now, now + (1 << shift)));
            pairs.push((now, now + (1 << shift) - 1));
        }
    }
    agree("rule 5", &pairs);
}
