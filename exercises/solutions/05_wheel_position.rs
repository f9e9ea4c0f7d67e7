//! # Exercise 5, reference solution: where the timer wheel files a timer
//!
//! glassloop's wheel (runtime/timer/wheel.rs, chapter 2) has 6 levels of 64 slots, one
//! millisecond per level-0 slot. Write both times in base 64: the level of a timer is the
//! highest digit in which its deadline differs from the wheel's time now, and its slot is the
//! deadline's digit at that level. A deadline already due goes under the hand, level 0, the
//! slot of now; one too far for the top level goes to the overflow list, `(6, 0)`.
//!
//! Read next: exercises/06_mini_executor.rs.

/// Levels in the wheel.
pub const LEVELS: usize = 6;
/// Slots per level.
pub const SLOTS: usize = 64;

/// `(level, slot)` of a timer for `deadline` inserted when the wheel's time is `now`
/// (milliseconds), as `glassloop::time::wheel::Wheel::position` reports it.
pub fn position(now: u64, deadline: u64) -> (usize, usize) {
    let digit = |time: u64, level: usize| ((time >> (6 * level)) % SLOTS as u64) as usize;
    if deadline <= now {
        return (0, digit(now, 0));
    }
    let level = (0..LEVELS)
        .rev()
        .find(|&level| digit(now, level) != digit(deadline, level));
    match level {
        Some(level) if (deadline >> (6 * LEVELS)) == (now >> (6 * LEVELS)) => {
            (level, digit(deadline, level))
        }
        _ => (LEVELS, 0),
    }
}
