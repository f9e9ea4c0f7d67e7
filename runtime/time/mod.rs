//! # Time: the clock, the wheel, and the futures built on them
//!
//! ```text
//!   sleep(d) / timeout(d, f) / interval(p)      the futures you await      sleep.rs, timeout.rs,
//!        │ first poll: insert (deadline, waker)                            interval.rs
//!        ▼
//!   TimeDriver: Wheel<Waker> + Clock           beneath the loop            timer/driver.rs
//!        ▲ step 4 of every tick: advance, wake expired timers
//! ```
//!
//! These futures sit above the loop: each finds the running runtime (through the executor's
//! thread-local) and leaves its deadline in that runtime's wheel. The wheel, the clock and the
//! rule of the virtual clock are one layer down, in `timer/`; [`wheel`] is re-exported here
//! for learners' experiments.
//!
//! Reading order: `sleep.rs`, `timeout.rs`, `interval.rs`. [`Instant`] is glassloop's own point
//! in time: it reads the runtime's clock, so under the virtual clock `Instant::now()` is
//! virtual too.

mod instant;
mod interval;
mod sleep;
mod timeout;

pub use crate::timer::wheel;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval};
pub use sleep::{sleep, sleep_until, Sleep, FAR_FUTURE};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
