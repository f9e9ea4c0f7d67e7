//! # sleep: a future that asks the wheel to wake it
//!
//! `sleep(d)` does no waiting of its own. The call fixes the deadline (now + `d`, one clock
//! read); the first poll puts `(deadline, waker)` into the runtime's timer wheel and returns
//! `Pending`. When step 4 of a tick finds the deadline passed, the wheel hands back the waker,
//! the waker queues the task, and the next poll sees `now >= deadline` and returns `Ready`.
//!
//! ```text
//!   poll #1: now < deadline ─► wheel.insert(deadline_ms, waker) ─► Pending
//!            ... the task is not polled at all while it sleeps ...
//!   tick step 4: wheel.advance(now) ─► fired: [waker] ─► waker.wake() ─► ready queue
//!   poll #2: now >= deadline ─► Ready(())
//! ```
//!
//! Dropping a `Sleep` (because a `timeout` or `select` gave up on it, or its task was
//! cancelled) cancels its wheel entry, so a dropped timer never wakes anything (invariant 6).
//! If a `Sleep` is polled again by a different task (moved into another task), it swaps the
//! stored waker, so the right task is woken. Polled outside its own runtime's loop, by
//! another runtime or another executor, or after its runtime was dropped, it panics and says
//! what to do (home.rs), because nothing else would ever fire its timer.
//!
//! Very long sleeps are fine: beyond the wheel's six levels (~2.18 years) entries wait in an
//! overflow list. But "forever" is capped: a deadline more than [`FAR_FUTURE`] (30 years) away
//! is moved to 30 years from now, as tokio does. Without the cap, `sleep(Duration::MAX)` under
//! the virtual clock would jump the clock to the largest time it can hold, and every later
//! sleep would end at once, its deadline already in the past. One function, `cap`, does it,
//! and every way to set a deadline goes through it: `sleep`, `sleep_until`, [`Sleep::reset`]
//! (so `timeout`, `timeout_at`, `interval` and `interval_at`, which are built on these, too).
//!
//! asyncio: `await asyncio.sleep(d)` (which calls `loop.call_later(d, future.set_result)`);
//! tokio: `tokio::time::sleep`.
//!
//! Read next: `timeout.rs`.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::executor::context::{is_current, with_current};
use crate::executor::Core;
use crate::home::{away_from_home, home_dropped};
use crate::timer::clock::duration_to_ms_ceil;
use crate::timer::wheel::TimerKey;

/// Wait until `duration` has passed on the runtime's clock.
///
/// ```
/// use std::time::Duration;
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = glassloop::time::Instant::now();
///     glassloop::time::sleep(Duration::from_secs(3)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3));
/// });
/// ```
///
/// asyncio: `asyncio.sleep(seconds)`; tokio: `tokio::time::sleep`.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let core = current_core("glassloop::time::sleep");
    let now = Instant::now_on(&core);
    Sleep::new(&core, cap(now, now + duration))
}

/// How far ahead a timer may be set: 30 years. A later deadline is moved to this far from
/// now, so "sleep forever" stays forever in practice and never exhausts the clock.
pub const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// Wait until the runtime's clock reaches `deadline`.
///
/// asyncio: `loop.call_at`; tokio: `tokio::time::sleep_until`.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    let core = current_core("glassloop::time::sleep_until");
    let now = Instant::now_on(&core);
    Sleep::new(&core, cap(now, deadline))
}

/// The one place a deadline is capped: at most [`FAR_FUTURE`] after `now`, the moment it is
/// set. A path that skipped it (as `reset` once did) would let `interval(Duration::MAX)`
/// jump the virtual clock to its end, after which every sleep ends at once.
fn cap(now: Instant, deadline: Instant) -> Instant {
    deadline.min(now + FAR_FUTURE)
}

fn current_core(what: &str) -> Rc<Core> {
    with_current(what, Rc::clone)
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Sleep {
    deadline: Instant,
    /// The wheel entry, once the first poll has registered one.
    key: Option<TimerKey>,
    /// The runtime whose wheel holds the entry. Weak: a sleep must not keep a runtime alive.
    core: Weak<Core>,
    /// Where the sleep was created (`#[track_caller]`): its await point for debug reports.
    at: &'static Location<'static>,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(core: &Rc<Core>, deadline: Instant) -> Sleep {
        Sleep { deadline, key: None, core: Rc::downgrade(core), at: Location::caller() }
    }

    /// Report a different await point (used by `Interval::tick`).
    pub(crate) fn set_await_point(&mut self, at: &'static Location<'static>) {
        self.at = at;
    }

    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed on the runtime's clock.
    pub fn is_elapsed(&self) -> bool {
        self.core.upgrade().is_some_and(|core| core.time.clock.now_ms() >= self.deadline_ms())
    }

    /// Move the deadline (used by `interval`); the old wheel entry is cancelled. Like
    /// [`sleep_until`], a deadline more than [`FAR_FUTURE`] from now is moved to that.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = match self.core.upgrade() {
            Some(core) => cap(Instant::now_on(&core), deadline),
            // No runtime, no clock to cap against; polling this sleep panics anyway.
            None => deadline,
        };
    }

    /// The deadline in whole milliseconds, rounded up: the wheel's unit. Comparing in the
    /// same unit as the wheel means a timer the wheel fired is always seen as elapsed.
    fn deadline_ms(&self) -> u64 {
        duration_to_ms_ceil(self.deadline.since_origin())
    }

    fn cancel(&mut self) {
        // The key first: a sleep that never waited (most of them) has nothing to cancel, and
        // need not reach its runtime to know it.
        let Some(key) = self.key.take() else { return };
        if let Some(core) = self.core.upgrade() {
            core.time.cancel(key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(core) = self.core.upgrade() else {
            home_dropped(format_args!("the glassloop Sleep made at {}", self.at), "timer wheel");
        };
        // region: sleep_poll
        let deadline_ms = self.deadline_ms();
        if core.time.clock.now_ms() >= deadline_ms {
            self.cancel();
            return Poll::Ready(());
        }
        // Only its own loop ever fires its timer (home.rs): anywhere else, refuse to wait.
        if !is_current(&core) {
            away_from_home(format_args!("the glassloop Sleep made at {}", self.at), "timer wheel");
        }
        // Already registered: make sure the stored waker is this poll's waker.
        let registered = self.key.is_some_and(|key| core.time.refresh(key, cx.waker()));
        if !registered {
            let key = core.time.insert(deadline_ms, cx.waker().clone());
            self.key = Some(key);
            if let Some(hooks) = core.hooks() {
                hooks.timer_set(&*core, key, deadline_ms, self.at);
            }
        }
        core.note_await(self.at);
        // endregion: sleep_poll
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel(); // invariant 6: a dropped timer never wakes anything
    }
}
