//! # The time driver: the clock, the wheel, and the rule of the virtual clock
//!
//! The executor needs three things of time: "what time is it?", "when is the next timer
//! due, and may I sleep until then?" (step 2 of the tick) and "fire what has expired"
//! (step 4). The driver answers all three from a [`Clock`] and a [`Wheel`] of wakers, plus one
//! counter: announced work in flight outside the loop (blocking jobs, `OutsideWork`), which
//! will wake a task at a moment nobody can predict.
//!
//! ## The rule of the virtual clock (stated here, and only here)
//!
//! **Virtual time moves only in step 4 of a tick, only when no task is ready and no
//! announced outside work is in flight, and then straight to the next deadline some timer
//! asked for** (over the wheel's cascade points, which fire nothing).
//!
//! ```text
//!   nothing ready, no outside work     ──► jump to the next deadline, fire it   (TimeJumps)
//!   nothing ready, outside work runs   ──► hold still; park until that work rings
//!   a task is ready                    ──► hold still; run it first
//!   no timer, no socket, no outside work ► nothing can ever happen: a stall
//! ```
//!
//! Why outside work holds the clock: a thread that will wake a task after 200 ms of real
//! work could otherwise be overtaken by a jump to a 1 s sleep it really beat. Why a ready task
//! holds it: it may set an earlier timer. Everything else in the crate that mentions the
//! virtual clock links here. [`TimeDriver::may_jump`] is the rule in code, and both of its
//! callers (step 2's [`TimeDriver::next_timer`] and step 4's [`TimeDriver::fire`])
//! go through it, so they cannot disagree.
//!
//! The two halves of the rule are read in a fixed order: the outside-work counter first, the
//! ready queue second. A job on another thread queues its task *then* lowers the counter, so
//! a loop that sees the counter at zero is sure to see the task; read the other way round, a
//! job that ended between the two reads would look like "nothing ready, nothing running", a
//! stall or a jump past its task. Step 2 looks at the queue once more for the same reason.
//!
//! Read next: `waker.rs`, how a fired timer puts its task back on the ready queue.

use std::cell::{Ref, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use super::clock::{duration_to_ms_floor, Clock};
use super::wheel::{TimerKey, Wheel};

/// What the next timer means for step 2, when no task is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextTimer {
    /// The real clock: it is due in this long.
    In(Duration),
    /// The virtual clock will jump to it in step 4: do not sleep.
    Jump,
    /// The virtual clock must hold still for outside work, so sleeping a virtual distance
    /// would wake the loop for nothing: wait for the work to ring.
    HeldByOutsideWork,
}

/// Clock + wheel + the outside-work count: everything time-shaped the loop owns.
#[derive(Debug)]
pub(crate) struct TimeDriver {
    /// Real or virtual "now".
    pub(crate) clock: Clock,
    /// Sleeping tasks' wakers, keyed by deadline in milliseconds since the clock's origin.
    /// Borrowed only inside this file's methods, never across a wake or a hook.
    wheel: RefCell<Wheel<Waker>>,
    /// Announced work in flight outside the loop. Raised and lowered by `HoldGuard`
    /// (outside.rs) on any thread; read here on the loop's thread.
    holds: Arc<AtomicUsize>,
}

impl TimeDriver {
    /// A driver on the real or the virtual clock, with an empty wheel.
    pub(crate) fn new(virtual_clock: bool) -> TimeDriver {
        TimeDriver {
            clock: if virtual_clock { Clock::new_virtual() } else { Clock::new_real() },
            wheel: RefCell::new(Wheel::new()),
            holds: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The outside-work counter, for `HoldGuard` to raise and lower.
    pub(crate) fn holds(&self) -> &Arc<AtomicUsize> {
        &self.holds
    }

    /// How much announced outside work is in flight.
    pub(crate) fn outside_work(&self) -> usize {
        // SeqCst: pairs with the guard's release, which rings the doorbell after it.
        self.holds.load(Ordering::SeqCst)
    }

    /// The rule of the virtual clock (the file header): may step 4 jump time now? The hold
    /// is read before the queue: a job queues its task *then* lets go of its hold, so a loop
    /// that sees the hold gone sees the task (the other order could miss both).
    pub(crate) fn may_jump(&self, nothing_ready: &dyn Fn() -> bool) -> bool {
        self.clock.is_virtual() && self.outside_work() == 0 && nothing_ready()
    }

    /// Step 2, when no task is ready: what the next timer allows, or `None` if none is set.
    pub(crate) fn next_timer(&self) -> Option<NextTimer> {
        let at_ms = self.wheel.borrow().next_expiration()?;
        Some(if !self.clock.is_virtual() {
            NextTimer::In(Duration::from_millis(at_ms).saturating_sub(self.clock.now()))
        } else if self.may_jump(&|| true) {
            NextTimer::Jump
        } else {
            NextTimer::HeldByOutsideWork
        })
    }

    /// Step 4: jump if the rule allows, then take every expired timer's waker into `fired`,
    /// in deadline order (invariant 5). Returns the time it fired at (the tick's one reading
    /// of the real clock) and whether virtual time jumped to get there.
    /// A good breakpoint: `break glassloop::timer::driver::TimeDriver::fire`.
    pub(crate) fn fire(
        &self,
        nothing_ready: &dyn Fn() -> bool,
        fired: &mut Vec<Waker>,
    ) -> (Duration, bool) {
        let jump = self.may_jump(nothing_ready);
        let start = self.clock.now();
        let mut now = start;
        let mut wheel = self.wheel.borrow_mut();
        // region: fire_timers
        loop {
            if jump {
                if let Some(at_ms) = wheel.next_expiration() {
                    self.clock.advance_to(Duration::from_millis(at_ms));
                    now = self.clock.now();
                }
            }
            wheel.advance(duration_to_ms_floor(now), fired);
            // The wheel's next event may be a cascade (entries moving down a level), which
            // fires nothing: a jumping clock goes on to a deadline some timer asked for.
            if !jump || !fired.is_empty() || wheel.is_empty() {
                break;
            }
        }
        // endregion: fire_timers
        (now, now != start)
    }

    /// Put a timer in the wheel.
    pub(crate) fn insert(&self, deadline_ms: u64, waker: Waker) -> TimerKey {
        self.wheel.borrow_mut().insert(deadline_ms, waker)
    }

    /// Make sure timer `key` will wake `waker`. False if `key` is no longer in the wheel.
    pub(crate) fn refresh(&self, key: TimerKey, waker: &Waker) -> bool {
        match self.wheel.borrow_mut().get_mut(key) {
            Some(stored) => {
                if !stored.will_wake(waker) {
                    *stored = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Take timer `key` out of the wheel (invariant 6: a dropped timer never wakes anything).
    /// The waker is dropped after the borrow ends.
    pub(crate) fn cancel(&self, key: TimerKey) {
        let removed = self.wheel.borrow_mut().cancel(key);
        drop(removed);
    }

    /// The wheel, read-only, for the loop's view.
    pub(crate) fn wheel(&self) -> Ref<'_, Wheel<Waker>> {
        self.wheel.borrow()
    }

    /// True if the wheel is not borrowed (the executor asserts it before calling a hook).
    pub(crate) fn is_free(&self) -> bool {
        self.wheel.try_borrow_mut().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::TimeDriver;
    use std::sync::atomic::Ordering;

    /// The race of docs/invariants.md ("a job that ends while the loop decides how to park"),
    /// made deterministic: the "queue" closure plays a job that queues its task and lets go
    /// of its hold in between the loop's two looks. Read in the right order
    /// (the hold first), the loop sees the hold and does not jump; in the wrong order it would
    /// see an empty queue, then no hold, and jump past the queued task.
    #[test]
    fn the_rule_of_the_virtual_clock_reads_the_hold_before_the_queue() {
        let driver = TimeDriver::new(true);
        driver.holds().fetch_add(1, Ordering::SeqCst); // a job is running
        let job_ends_meanwhile = || {
            driver.holds().fetch_sub(1, Ordering::SeqCst); // it queued its task, then let go
            true // the queue as it looked before the task arrived
        };
        assert!(!driver.may_jump(&job_ends_meanwhile), "time jumped past a queued task");
        // The hold was seen first, so the queue was not even looked at: the job still holds.
        assert_eq!(driver.outside_work(), 1);
        driver.holds().fetch_sub(1, Ordering::SeqCst);
        assert!(driver.may_jump(&|| true), "with no hold and an empty queue, time may jump");
    }
}
