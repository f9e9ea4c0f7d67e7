//! # Time: the clock, the wheel, and the futures built on them
//!
//! ```text
//!   sleep(d) / timeout(d, f) / interval(p)      the futures you await      sleep.rs, timeout.rs,
//!        │ first poll: insert (deadline, waker)                            interval.rs
//!        ▼
//!   Wheel<Waker>   hierarchical timing wheel, pure data structure           wheel.rs
//!        ▲ advance(now) in step 4 of every tick → wake expired timers
//!        │
//!   Clock  real (std::time::Instant) or virtual (jumps to the next deadline) clock.rs
//! ```
//!
//! Reading order: `wheel.rs` (the data structure), `clock.rs` (where "now" comes from), then
//! `sleep.rs`, `timeout.rs` and `interval.rs`. [`Instant`] is glassloop's own point in time: it
//! reads the runtime's clock, so under the virtual clock `Instant::now()` is virtual too.

pub(crate) mod clock;
mod instant;
mod interval;
mod sleep;
mod timeout;
pub mod wheel;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval};
pub use sleep::{sleep, sleep_until, Sleep, FAR_FUTURE};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
