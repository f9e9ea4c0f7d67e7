//! # Instant: a point on the runtime's clock
//!
//! `std::time::Instant` always reads the wall clock. Under the virtual clock that would be
//! wrong: a program that sleeps 10 virtual seconds would measure a few microseconds. So
//! glassloop has its own `Instant`, a `Duration` since the runtime's clock origin, and
//! `Instant::now()` asks the current runtime. Instants from different runtimes are not
//! comparable (each counts from its own origin).
//!
//! Read next: `sleep.rs`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

use crate::executor::context::with_current;

/// A point in time on the current runtime's clock (real or virtual).
///
/// asyncio: `loop.time()`; tokio: `tokio::time::Instant`.
///
/// ```
/// use std::time::Duration;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(1500)).await;
///     assert_eq!(start.elapsed(), Duration::from_millis(1500));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    since_origin: Duration,
}

impl Instant {
    /// The current time on the running runtime's clock.
    ///
    /// # Panics
    /// Outside a running glassloop runtime (there is no clock to read).
    pub fn now() -> Instant {
        with_current("glassloop::time::Instant::now", |core| {
            Instant::from_duration(core.time.clock.now())
        })
    }

    pub(crate) fn from_duration(since_origin: Duration) -> Instant {
        Instant { since_origin }
    }

    /// Time since the runtime's clock started (zero for a fresh virtual clock).
    pub fn since_origin(&self) -> Duration {
        self.since_origin
    }

    /// How long ago this instant was, on the runtime's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
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
