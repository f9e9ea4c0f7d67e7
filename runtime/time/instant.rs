//! # Instant::now: reading the running loop's clock
//!
//! [`Instant`] itself is a plain value defined beneath the loop (`timer/instant.rs`), which
//! reports its time in it. Its methods are here: `now()` must find the runtime running on
//! this thread, so it sits above the executor, next to the other futures of `time/`, and the
//! arithmetic keeps it company.
//!
//! Read next: `sleep.rs`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

use crate::executor::context::with_current;
use crate::executor::{Core, Runtime};
pub use crate::timer::instant::Instant;

impl Instant {
    /// The current time on the running runtime's clock.
    ///
    /// # Panics
    /// Outside a running glassloop runtime (there is no clock to read).
    pub fn now() -> Instant {
        with_current("glassloop::time::Instant::now", |core| Instant::now_on(core))
    }

    /// The current time on `core`'s clock: `now()` for code that already holds the runtime.
    pub(crate) fn now_on(core: &Core) -> Instant {
        Instant::from_duration(core.time.clock.now())
    }

    /// How long ago this instant was, on the runtime's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// Time since the runtime's clock started (zero for a fresh virtual clock).
    pub fn since_origin(&self) -> Duration {
        self.since_origin
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.since_origin.saturating_sub(earlier.since_origin)
    }

    /// `self - earlier`, or zero if `earlier` is later (as `std::time::Instant` does).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// `self + d`, or None if that is not representable.
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.since_origin.checked_add(d).map(Instant::from_duration)
    }

    /// `self + d`, stopping at the largest representable instant instead of overflowing.
    /// (Timers are capped sooner, at `time::FAR_FUTURE` from now.)
    pub fn saturating_add(&self, d: Duration) -> Instant {
        Instant::from_duration(self.since_origin.saturating_add(d))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant::from_duration(self.since_origin.saturating_sub(d))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant(+{:?})", self.since_origin)
    }
}

impl Runtime {
    /// The current time on this runtime's clock.
    pub fn now(&self) -> Instant {
        Instant::now_on(&self.core)
    }

    /// True if this runtime uses the virtual clock.
    pub fn is_virtual_clock(&self) -> bool {
        self.core.time.clock.is_virtual()
    }
}
