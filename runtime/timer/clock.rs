//! # Two clocks: the real one and a virtual one
//!
//! The loop reads time in two places: when a timer is set (deadline = now + duration) and in
//! step 4 of each tick (which timers have expired?). Put a different clock behind those two
//! reads and the same program runs in real time or in *virtual* time.
//!
//! ```text
//!   real clock      now = std::time::Instant::now() - origin      (moves by itself)
//!   virtual clock   now = a number the loop moves                  (moves only when told)
//!
//!   virtual time:  0s ──────────────► 1s ──────────────────────────────► 4s
//!                  │ all tasks wait   │ jump! wake the 1 s sleepers     │ jump! ...
//!                  │ nothing to do    │ they run (0 ms of virtual time) │
//! ```
//!
//! Under the virtual clock the loop never waits for a timer: when nothing else can happen,
//! step 4 sets the clock straight to the next deadline. Nothing could have happened in
//! between, so nobody can tell the difference, except that a 10-second demo ends at once and
//! `elapsed()` says exactly 10 s. Time spent *running* code does not count under the virtual
//! clock: it stands still while tasks run. *When* it may jump, and what holds it still, is
//! one rule, stated once, in `timer/driver.rs`.
//!
//! Both clocks count from an origin (the runtime's creation), as a `Duration`. Timers use whole
//! milliseconds: a deadline is rounded *up* to the next millisecond and "now" *down*, so a timer
//! never fires early (invariant 5).
//!
//! tokio offers the same idea as `time::pause()` with auto-advance; Python's asyncio test tools
//! patch the loop's `time()` method.
//!
//! Read next: `timer/instant.rs`, the point in time the loop reports.

use std::cell::Cell;
use std::time::Duration;

/// The runtime's source of "now".
#[derive(Debug)]
pub(crate) enum Clock {
    /// Wall-clock time since the runtime was built.
    Real {
        /// When the runtime was built; `now()` is measured from here.
        origin: std::time::Instant,
    },
    /// Time that moves only when the loop moves it. Starts at zero.
    Virtual {
        /// The current virtual time; only `advance_to` changes it, and only forward.
        now: Cell<Duration>,
    },
}

impl Clock {
    pub(crate) fn new_real() -> Clock {
        Clock::Real { origin: std::time::Instant::now() }
    }

    pub(crate) fn new_virtual() -> Clock {
        Clock::Virtual { now: Cell::new(Duration::ZERO) }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// Time since the origin.
    pub(crate) fn now(&self) -> Duration {
        match self {
            Clock::Real { origin } => origin.elapsed(),
            Clock::Virtual { now } => now.get(),
        }
    }

    /// Time since the origin in whole milliseconds, rounded down: the wheel's "now".
    pub(crate) fn now_ms(&self) -> u64 {
        duration_to_ms_floor(self.now())
    }

    /// Move the virtual clock forward to `to`. Never moves it back; does nothing to the real
    /// clock (real time cannot be told what to do).
    pub(crate) fn advance_to(&self, to: Duration) {
        if let Clock::Virtual { now } = self {
            if to > now.get() {
                now.set(to);
            }
        }
    }
}

/// Whole milliseconds in `d`, rounded down, saturating at `u64::MAX`.
pub(crate) fn duration_to_ms_floor(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whole milliseconds in `d`, rounded up, saturating at `u64::MAX`: a deadline on the wheel.
pub(crate) fn duration_to_ms_ceil(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}
