//! # Watching the phases of a tick
//!
//! The executor calls these hooks between the numbered steps of `Runtime::tick`. They do
//! three jobs: attribute recorded wakes to their cause (see `trace.rs`), narrate the tick
//! when narration is on, and notice a *possible* stall under the real clock.
//!
//! ## Possible stalls
//!
//! The executor declares a stall only when it is sure: no waker exists outside its records
//! (exact, by strong counts), or, under the virtual clock, nothing in the loop can happen and
//! no outside work is announced. Under the real clock there is a grey zone: no task ready, no
//! timer, no socket waiter, no outside work, yet somebody holds a waker. That somebody may be
//! another thread that will call `wake` in a minute, or a channel sender held by a task that
//! will never send. The loop cannot tell, so in debug mode it parks for one threshold first and,
//! if nothing happened, prints the dump as a "possible stall" and goes on waiting.
//!
//! Read next: `timeline.rs`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::detector::secs;
use super::{EventKind, Observer, WakeCause};
use crate::executor::Core;
use crate::task::TaskId;

impl Observer {
    /// Record the wakes that happened since the last call, all with the cause of the phase.
    /// Returns how many, and how many of those came from other threads.
    pub(crate) fn collect_wakes(&self, core: &Core, cause: WakeCause) -> (usize, usize) {
        let Some(wake_log) = &self.wake_log else {
            return (0, 0);
        };
        let wakes = wake_log.drain(cause);
        let count = wakes.len();
        let from_threads = wakes
            .iter()
            .filter(|(_, cause)| *cause == WakeCause::Thread)
            .count();
        for (id, cause) in wakes {
            self.record(core, id, EventKind::Wake(cause));
        }
        (count, from_threads)
    }

    /// Hook, step 2: the loop is about to park with `timeout`. Returns the timeout to use: in
    /// debug mode a forever-park with only hidden wakers becomes a park of one threshold, so
    /// a possible stall can be reported (see the file header).
    pub(crate) fn before_park(
        &self,
        core: &Core,
        timeout: Option<Duration>,
        only_hidden_wakers: bool,
    ) -> Option<Duration> {
        self.record(core, TaskId::MAIN, EventKind::Park { timeout });
        if self.options.narrate {
            self.park_started.set(Some(std::time::Instant::now()));
            let timer_set = !core.timers.borrow().is_empty();
            let how = match (timeout, timer_set) {
                (Some(Duration::ZERO), _) if core.ready_len() > 0 => {
                    "don't sleep, tasks are ready".to_string()
                }
                // The same test as the jump in `fire_timers`: outside work holds the clock.
                (Some(Duration::ZERO), true)
                    if core.clock.is_virtual() && core.holds.load(Ordering::SeqCst) == 0 =>
                {
                    "nothing is ready: the virtual clock jumps to the next timer's deadline"
                        .to_string()
                }
                (Some(Duration::ZERO), _) => "don't sleep, only look at I/O".to_string(),
                (Some(t), _) => format!("park for at most {}", secs(t)),
                (None, _) => "park until woken".to_string(),
            };
            self.sink()
                .write(&format!("[{}]   decide: {how}", secs(core.clock.now())));
        }
        if self.options.debug
            && timeout.is_none()
            && only_hidden_wakers
            && !self.stall_reported.get()
        {
            return Some(self.options.threshold);
        }
        timeout
    }

    /// Hook, step 3: back from the reactor with `events` I/O events. `quiet` is true when
    /// nothing is ready now; `probed_stall` when `before_park` shortened a forever-park.
    pub(crate) fn after_park(
        &self,
        core: &Core,
        events: usize,
        probed_stall: bool,
        quiet: bool,
        dump: impl FnOnce() -> String,
    ) {
        self.record(core, TaskId::MAIN, EventKind::Unpark { events });
        let (woken, from_threads) = self.collect_wakes(core, WakeCause::Io);
        let slept = self.park_started.take().map(|at| at.elapsed());
        if let Some(slept) = slept.filter(|slept| *slept >= Duration::from_millis(1)) {
            let why = if events > 0 {
                format!("{events} I/O event(s) woke {woken} task(s)")
            } else if from_threads > 0 {
                format!("another thread woke {from_threads} task(s)")
            } else {
                "the timeout ran out: a timer is due".to_string()
            };
            self.sink().write(&format!(
                "[{}]   park: slept {}, woke because {why}",
                secs(core.clock.now()),
                secs(slept)
            ));
        }
        if probed_stall && quiet && events == 0 {
            self.stall_reported.set(true);
            self.sink().write(&format!(
                "glassloop: possible stall: for {} no task was ready, no timer is set, no \
                 socket is waited on and no work runs outside the loop. Only wakers held \
                 somewhere can still wake a task: another thread may, or a channel whose \
                 sender nobody will use. The loop keeps waiting.\n{}",
                secs(self.options.threshold),
                dump()
            ));
        }
    }

    /// Hook, step 4: `fired` timers fired.
    pub(crate) fn after_fire(&self, core: &Core, fired: usize) {
        let (woken, _) = self.collect_wakes(core, WakeCause::Timer);
        if self.options.narrate && fired > 0 {
            self.sink().write(&format!(
                "[{}]   fire: {fired} timer(s) fired, {woken} task(s) woken",
                secs(core.clock.now())
            ));
        }
    }
}
