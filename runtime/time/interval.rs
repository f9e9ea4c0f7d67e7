//! # interval: a sleep that re-arms itself
//!
//! An `Interval` is one [`Sleep`] whose deadline moves forward by the period each time it
//! fires. The first tick is immediate. Deadlines are `start + n × period`, computed from the
//! schedule rather than from when the task happened to run, so a late tick does not push every
//! later tick back. If the loop was blocked for several periods, the missed ticks come at once,
//! one per `tick().await` (tokio calls this `MissedTickBehavior::Burst`, its default): which
//! makes a blocked loop easy to see in a demo.
//!
//! asyncio has no interval; the idiom is `while True: ...; await asyncio.sleep(p)`, which
//! drifts by the time the body takes. tokio: `tokio::time::interval`.
//!
//! Read next: `net/`, the sockets built on the reactor.

use std::future::{poll_fn, Future};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::sleep::{sleep_until, Sleep};
use super::Instant;

/// Tick every `period`, starting now.
///
/// ```
/// use std::time::Duration;
/// use glassloop::time::{interval, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let mut ticker = interval(Duration::from_millis(250));
///     for _ in 0..5 {
///         ticker.tick().await; // at 0, 250, 500, 750, 1000 ms
///     }
///     assert_eq!(start.elapsed(), Duration::from_secs(1));
/// });
/// ```
///
/// # Panics
/// If `period` is zero; outside a running glassloop runtime.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Tick every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero; outside a running glassloop runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "glassloop::time::interval needs a period greater than zero");
    Interval { sleep: sleep_until(start), period }
}

/// The ticker returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    /// Wait for the next tick and return its scheduled instant.
    #[track_caller]
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        // The await point debug reports show is this call, not the line that made the interval.
        self.sleep.set_await_point(Location::caller());
        poll_fn(|cx| self.poll_tick(cx))
    }

    /// Poll for the next tick (for hand-written futures).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => {
                let scheduled = self.sleep.deadline();
                self.sleep.reset(scheduled + self.period);
                Poll::Ready(scheduled)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
