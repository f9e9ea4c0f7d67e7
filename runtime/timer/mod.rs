//! # The timer machinery beneath `time/`: wheel, clock, driver
//!
//! ```text
//!   time/ (sleep, timeout, interval)   what you await; built on the driver, above the loop
//!        │ insert (deadline, waker), cancel
//!        ▼
//!   driver.rs   TimeDriver = Clock + Wheel<Waker> + the outside-work count, and the one rule
//!               of the virtual clock (when time may jump, and what holds it)
//!     ├─ wheel.rs   hierarchical timing wheel, a pure data structure
//!     ├─ clock.rs   real or virtual "now"
//!     └─ instant.rs the crate's `Instant`: a time since the clock's origin
//! ```
//!
//! These files sit beneath the executor: the loop drives them in step 4 of every tick,
//! and they know nothing of tasks or of the loop. The futures you await live one layer up, in
//! `time/`, because they need the loop to find the current runtime.
//!
//! Reading order: `wheel.rs`, `clock.rs`, `instant.rs`, `driver.rs`.

pub(crate) mod clock;
pub(crate) mod driver;
pub(crate) mod instant;
pub mod wheel;
