//! # Exercise 5: where the timer wheel files a timer
//!
//! Goes with docs/02-timer-wheel.md. glassloop's wheel has 6 levels of 64 slots, one
//! millisecond per level-0 slot. Write the wheel's time now and the deadline in base 64
//! (6 bits a digit): the timer's level is the highest digit in which they differ, and its
//! slot is the deadline's digit at that level. Two edge cases, as the real wheel has them:
//! a deadline at or before now is due, and sits at level 0 under the hand, in the slot of
//! now; a deadline that differs from now above the top level's digit goes to the overflow
//! list, reported as `(6, 0)`.
//!
//! The suite compares your answers with the real `glassloop::time::wheel::Wheel`.
//!
//! Check your work: `cargo test --test exercises --features learner suite_wheel_position`.
//!
//! Read next: exercises/06_mini_executor.rs.

/// Levels in the wheel.
pub const LEVELS: usize = 6;
/// Slots per level.
pub const SLOTS: usize = 64;

/// `(level, slot)` of a timer for `deadline` inserted when the wheel's time is `now`
/// (milliseconds), as `glassloop::time::wheel::Wheel::position` reports it.
pub fn position(now: u64, deadline: u64) -> (usize, usize) {
    todo!("exercise 5: the highest base-64 digit where {now} and {deadline} differ, and the slot")
}
