//! # The observer's stopwatch: the processor's cycle counter
//!
//! Debug mode and tracing time every poll, so the clock they read is on the hottest path
//! there is: a yield on the plain loop takes about 31 ns on the course machine, and
//! `std::time::Instant::now` alone takes about 24 ns there (it asks the kernel's clock through
//! the vDSO: read the cycle counter, then convert it under a sequence lock the kernel may
//! update). At one read per poll boundary, the clock alone cost two thirds of a plain yield.
//!
//! So the observer reads the processor's time-stamp counter itself, through the `quanta`
//! crate: one `rdtsc` instruction and a multiply, about 9 ns here. A cycle counter is a clock
//! only if it ticks at one rate on every core and through sleep states ("invariant TSC", a
//! CPUID flag); quanta checks that flag, measures the counter's rate against the OS clock once
//! per process (under a millisecond here, 200 ms at most, at the first runtime built with the
//! observer on), and falls back to the OS clock where the counter cannot be trusted. Libraries
//! that time every event make the same choice (the `metrics` crate's histograms use `quanta`,
//! the fastrace tracer `minstant`); asyncio's debug mode reads the OS clock (`time.monotonic`)
//! around every callback.
//!
//! ```text
//!   Instant::now   user code ─► vDSO: rdtsc, seqlock, scale ─► Instant      ~24 ns here
//!   Stopwatch::read user code ─► rdtsc, scale (calibrated once) ─► u64 ns     ~9 ns here
//! ```
//!
//! The stopwatch reads whole nanoseconds as a `u64`, not a `Duration`. Every poll subtracts,
//! compares and adds its times several times (the poll's length, the task's figures, the
//! pass's total, the histogram), and a `Duration` keeps seconds and nanoseconds apart, so
//! each of those was a carry and a division's worth of instructions; converting one to
//! nanoseconds goes through a `u128`. A `u64` of nanoseconds lasts 584 years and is exact.
//! Reports turn nanoseconds back into a `Duration` only when they print one.
//!
//! The runtime's own clock (`time::Clock`, timers and the virtual clock) keeps using
//! `Instant`: it is read once per tick, not once per poll, and it must agree with the `Instant`
//! deadlines a program hands to `sleep_until`.
//!
//! Read next: `detector.rs`, which times each poll with it.

use std::sync::OnceLock;
use std::time::Duration;

/// A clock that reads the time since its origin in nanoseconds. Cheap to clone, so the loop
/// and the watchdog thread each keep one.
#[derive(Clone, Debug)]
pub(crate) struct Stopwatch {
    clock: quanta::Clock,
    /// The counter's raw value when the stopwatch was made (ticks, not nanoseconds).
    made: u64,
    /// What the stopwatch read when it was made, in nanoseconds.
    since: u64,
}

/// `duration` in whole nanoseconds (saturating after 584 years): how the observer keeps
/// times on its hot path. `Duration::as_nanos` gives a `u128`; this multiplies in 64 bits.
#[inline]
pub(crate) fn nanos(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(duration.subsec_nanos()))
}

/// One calibrated clock per process: calibrating takes about a millisecond, and every
/// runtime with the observer on shares its result.
fn process_clock() -> quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new).clone()
}

impl Stopwatch {
    /// A stopwatch that reads `since` now: its origin lies that long in the past, so it
    /// agrees with a clock that has run for `since` already (the runtime's real clock).
    pub(crate) fn reading(since: Duration) -> Stopwatch {
        let clock = process_clock();
        Stopwatch { made: clock.raw(), since: nanos(since), clock }
    }

    /// The time since the origin, in nanoseconds: the counter's ticks since the stopwatch
    /// was made, scaled by the calibrated rate (a multiply and a shift), plus `since`.
    #[inline]
    pub(crate) fn read(&self) -> u64 {
        self.since + self.clock.delta_as_nanos(self.made, self.clock.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::Stopwatch;
    use std::time::{Duration, Instant};

    /// The stopwatch agrees with the OS clock over a real interval, within generous bounds
    /// (the machine is shared). No sleep: the interval is busy time measured by both.
    #[test]
    fn the_stopwatch_keeps_time_with_the_os_clock() {
        let watch = Stopwatch::reading(Duration::from_secs(5));
        let read = || Duration::from_nanos(watch.read());
        let (first, os) = (read(), Instant::now());
        assert!(first >= Duration::from_secs(5), "it starts where it was told: {first:?}");
        while os.elapsed() < Duration::from_millis(20) {
            std::hint::spin_loop();
        }
        let (watched, real) = (read() - first, os.elapsed());
        let drift = watched.abs_diff(real);
        assert!(drift < real / 10 + Duration::from_millis(2), "{watched:?} against {real:?}");
    }
}
