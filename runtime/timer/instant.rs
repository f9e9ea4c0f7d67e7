//! # Instant: a point on the runtime's clock
//!
//! `std::time::Instant` always reads the wall clock. Under the virtual clock that would be
//! wrong: a program that sleeps 10 virtual seconds would measure a few microseconds. So
//! glassloop has its own `Instant`, a `Duration` since the runtime's clock origin, and
//! `Instant::now()` asks the current runtime. Instants from different runtimes are not
//! comparable (each counts from its own origin).
//!
//! The type sits beneath the loop, which reports its time in it; this file holds only the
//! type. Its methods (`now`, `elapsed`, arithmetic) are one layer up, in `time/instant.rs`:
//! `now` needs the *running* loop, and the rest are a learner's tools, not the loop's.
//!
//! Read next: `timer/driver.rs`.

use std::time::Duration;

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
    pub(crate) since_origin: Duration,
}

impl Instant {
    pub(crate) fn from_duration(since_origin: Duration) -> Instant {
        Instant { since_origin }
    }
}
