//! # Watching the phases of a tick
//!
//! The executor calls these hooks between the numbered steps of `Runtime::tick`. They do
//! three jobs: attribute recorded wakes to their cause (see `trace.rs`), narrate the tick
//! when narration is on, and notice a *possible* stall under the real clock.
//!
//! ## Possible stalls
//!
//! The executor declares a stall only when it is sure (`Park::Stalled`): no waker exists
//! outside its records (exact, by strong counts), or, under the virtual clock, nothing in the
//! loop can happen. Under the real clock there is a grey zone: no task ready, no
//! timer, no socket waiter, no outside work, yet somebody holds a waker. That somebody may be
//! another thread that will call `wake` in a minute, or a channel sender held by a task that
//! will never send. The executor cannot tell, and says so: it hands over
//! `Park::UntilWoken { hidden_wakers_only: true }`. In debug mode `before_park` then parks
//! for one threshold instead and, if nothing happened, prints the dump as a "possible stall"
//! before the loop goes on waiting. This is the one hook that changes what the loop does.
//!
//! ## A held clock
//!
//! Under the virtual clock there is a second long wait that is no stall: no task is ready,
//! and time may not move because announced outside work is in flight (the rule of
//! timer/driver.rs), so the loop parks until that work rings. If the work never ends, the
//! program freezes with a timer still set, and nothing says why. So in debug mode that
//! park, too, is cut to one threshold, and if nothing happened the loop says what holds the
//! clock, by kind and count and one line each, from outside.rs's ledger:
//!
//! ```text
//!   glassloop: the virtual clock is held at 0.000 s: for 0.100 s no task was ready, and time
//!   may not jump to the next timer (due at 5.000 s) while outside work is in flight: 2
//!   blocking jobs in flight, 1 OutsideWork.
//!     blocking job (glassloop::spawn_blocking) at src/main.rs:9:5, in flight since 0.000 s
//! ```
//!
//! Read next: `timeline.rs`.

use std::time::Duration;

use super::clock::nanos;
use super::detector::secs;
use super::task_map::TaskMap;
use super::trace::describe_cause;
use super::trace::RawWake;
use super::{awaits, EventKind, Observer, WakeCause};
use crate::hooks::{LoopView, Park};
use crate::outside::{summary, Held};
use crate::task_id::TaskId;
use std::cell::RefMut;

/// Where the loop is when it collects wakes: what the cause of a wake without a thread is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// Step 1, at the end of the poll of this task.
    Poll(TaskId),
    /// Step 3: back from the reactor.
    Park,
    /// Step 4: timers fired.
    Fire,
}

/// The deadline of the timer that woke a task, from its `pending` deadlines: the latest that
/// has passed (a task may have several timers: gather's children, a timeout around a sleep).
/// The passed ones are forgotten; they fired now or were cancelled.
fn fired(pending: &mut Vec<u64>, view: &dyn LoopView) -> Option<u64> {
    let now_ms = u64::try_from(view.now().as_millis()).unwrap_or(u64::MAX);
    let fired = pending.iter().copied().filter(|ms| *ms <= now_ms).max();
    pending.retain(|ms| *ms > now_ms);
    fired
}

impl Observer {
    /// Record the wakes that happened since the last call, each with its cause: `phase`
    /// says where the loop is (see `trace.rs`). Returns how many, and how many of those
    /// came from other threads. The wakes are stamped with the view's time, read only if
    /// there is a wake to stamp (a tick that woke nobody in steps 3 and 4 reads no clock).
    #[inline]
    pub(crate) fn collect_wakes(&self, view: &dyn LoopView, phase: Phase) -> (usize, usize) {
        // Most ticks wake nobody in steps 3 and 4: two flags say so, read where the hook is.
        match &self.wake_log {
            Some(wake_log) if wake_log.any() => self.collect_some_wakes(view, phase),
            _ => (0, 0),
        }
    }

    /// [`collect_wakes`](Self::collect_wakes) once a wake was listed.
    #[inline(never)]
    fn collect_some_wakes(&self, view: &dyn LoopView, phase: Phase) -> (usize, usize) {
        let Some(mut batch) = self.take_wakes() else {
            return (0, 0);
        };
        // The notes are borrowed only for a wake.
        self.attribute_wakes(&mut self.tasks.borrow_mut(), &mut batch, view, phase, None)
    }

    /// The wakes recorded since the last call, as one batch (trace.rs), or `None` if there
    /// are none (or nothing records them). Inlined: every poll's end and every tick asks.
    #[inline(always)]
    pub(crate) fn take_wakes(&self) -> Option<RefMut<'_, Vec<RawWake>>> {
        let mut batch = self.wake_batch.borrow_mut();
        self.wake_log.as_ref()?.take_into(&mut batch);
        (!batch.is_empty()).then_some(batch)
    }

    /// [`collect_wakes`](Self::collect_wakes) for a `batch` already taken, with the notes
    /// already borrowed, the wakes stamped `at` if given (nanoseconds on the runtime's clock,
    /// which the caller already read). A poll's end attributes its wakes here (detector.rs),
    /// unless its one wake was of itself (a yield: counted in the notes it holds already),
    /// and the notes the poll's end borrowed serve all its wakes. Inlined there: a call
    /// would save and restore registers, and pass a phase and a stamp, for a loop that
    /// usually runs once.
    #[inline(always)]
    pub(crate) fn attribute_wakes(
        &self,
        tasks: &mut TaskMap,
        batch: &mut Vec<RawWake>,
        view: &dyn LoopView,
        phase: Phase,
        at: Option<u64>,
    ) -> (usize, usize) {
        let at = at.unwrap_or_else(|| nanos(view.now()));
        let mut from_threads = 0;
        for &(id, site) in batch.iter() {
            // One look-up of the task's notes serves the cause and the figures.
            let mut notes = tasks.get_mut(&id);
            let cause = match (site, phase) {
                (None, _) => {
                    from_threads += 1;
                    WakeCause::Thread
                }
                (Some(_), Phase::Poll(by)) if by == id => WakeCause::Itself,
                (Some(via), Phase::Poll(by)) => WakeCause::Task { by, via },
                (Some(_), Phase::Park) => {
                    WakeCause::Io { socket: notes.as_deref().and_then(awaits::socket_of) }
                }
                (Some(_), Phase::Fire) => WakeCause::Timer {
                    deadline_ms: notes.as_deref_mut().and_then(|n| fired(&mut n.deadlines, view)),
                },
            };
            if let Some(notes) = notes {
                notes.tally.woken(at, cause); // stats.rs
            }
            self.record_at(at, id, EventKind::Wake(cause));
            if self.options.narrate {
                self.narrate_wake(view, tasks, id, cause);
            }
        }
        let count = batch.len();
        batch.clear(); // its room stays, for the next batch
        (count, from_threads)
    }

    /// Narration's line for one wake; the labels come from `tasks`, which the caller holds.
    #[cold]
    fn narrate_wake(&self, view: &dyn LoopView, tasks: &TaskMap, id: TaskId, cause: WakeCause) {
        let who = describe_cause(cause, |t| self.row_label_in(tasks, t));
        let line =
            format!("[{}]   {} woken by {who}", secs(view.now()), self.row_label_in(tasks, id));
        self.sink().write(&line);
    }

    /// Hook, step 2: the loop chose `park`. Narrate it; in debug mode, cut a forever-park
    /// that only hidden wakers could end to one threshold (see the file header).
    pub(crate) fn decide_park(&self, view: &dyn LoopView, park: Park) -> Park {
        // A look that does not wait is not worth two events per tick (yields would triple
        // the log); a park that may sleep is.
        if park.timeout() != Some(Duration::ZERO) {
            self.record(view, TaskId::MAIN, EventKind::Park { timeout: park.timeout() });
            self.parked.set(true);
        }
        if self.options.narrate {
            self.narrate_park(view, park);
        }
        // A park until woken held by outside work, under the virtual clock: a held clock.
        let held = self.options.virtual_clock
            && park == (Park::UntilWoken { hidden_wakers_only: false })
            && view.outside_work() > 0;
        let probe = self.options.debug
            && (park == (Park::UntilWoken { hidden_wakers_only: true }) || held)
            && !self.stall_reported.get();
        self.probing_stall.set(probe);
        self.probing_held.set(probe && held);
        if probe {
            Park::AtMost(self.options.threshold)
        } else {
            park
        }
    }

    /// Narration's line for step 2. Out of line, as every report here: the hooks between
    /// the steps run at every tick, and a hook that holds a report's formatting inline saves
    /// and restores registers for it each time.
    #[cold]
    fn narrate_park(&self, view: &dyn LoopView, park: Park) {
        self.park_started.set(Some(std::time::Instant::now()));
        let how = match park {
            Park::TasksReady => "don't sleep, tasks are ready".to_string(),
            Park::TimeJumps => {
                "nothing is ready: the virtual clock jumps to the next timer's deadline".to_string()
            }
            Park::AtMost(Duration::ZERO) | Park::LookOnly | Park::Stalled => {
                "don't sleep, only look at I/O".to_string()
            }
            Park::AtMost(t) => format!("park for at most {}", secs(t)),
            Park::UntilWoken { .. } => "park until woken".to_string(),
        };
        self.sink().write(&format!("[{}]   decide: {how}", secs(view.now())));
    }

    /// Hook, step 3: back from the reactor with `events` I/O events.
    pub(crate) fn back_from_park(&self, view: &dyn LoopView, _park: Park, events: usize) {
        if self.parked.take() || events > 0 {
            self.record(view, TaskId::MAIN, EventKind::Unpark { events });
        }
        let (woken, from_threads) = self.collect_wakes(view, Phase::Park);
        if let Some(started) = self.park_started.take() {
            self.narrate_unpark(view, started, events, (woken, from_threads));
        }
        let held = self.probing_held.take();
        let quiet = self.probing_stall.take() && view.ready_len() == 0 && events == 0;
        if quiet {
            self.report_quiet_park(view, held);
        }
    }

    /// Narration's line for step 3, for a park that began at `started` (narration only).
    #[cold]
    fn narrate_unpark(
        &self,
        view: &dyn LoopView,
        started: std::time::Instant,
        events: usize,
        (woken, from_threads): (usize, usize),
    ) {
        let slept = started.elapsed();
        if slept >= Duration::from_millis(1) {
            let why = if events > 0 {
                format!("{events} I/O event(s) woke {woken} task(s)")
            } else if from_threads > 0 {
                format!("another thread woke {from_threads} task(s)")
            } else {
                "the timeout ran out: a timer is due".to_string()
            };
            self.sink().write(&format!(
                "[{}]   park: slept {}, woke because {why}",
                secs(view.now()),
                secs(slept)
            ));
        }
    }

    /// A park cut short to probe (see the file header) ended with nothing ready and no
    /// event: report the held clock (`held`) or the possible stall.
    #[cold]
    fn report_quiet_park(&self, view: &dyn LoopView, held: bool) {
        if held {
            self.stall_reported.set(true);
            // Ended meanwhile (its release rang the doorbell): then nothing holds the clock.
            if view.outside_work() > 0 {
                let report = self.held_clock_report(view, &crate::outside::in_flight_here());
                self.sink().write(&report);
            }
        } else {
            self.stall_reported.set(true);
            // A cycle of JoinHandles is no "possible" stall: say it first (awaits.rs).
            let deadlocks: String =
                self.deadlocks(view).iter().map(|line| format!("glassloop: {line}\n")).collect();
            self.sink().write(&format!(
                "{deadlocks}glassloop: possible stall: for {} no task was ready, no timer is \
                 set, no socket is waited on and no work runs outside the loop. Only wakers \
                 held somewhere can still wake a task: another thread may, or a channel whose \
                 sender nobody will use. The loop keeps waiting.\n{}",
                secs(self.options.threshold),
                super::dump::render_view(view, Some(self), &crate::outside::in_flight_here())
            ));
        }
    }

    /// What holds the virtual clock still, for the report of a held clock (file header).
    fn held_clock_report(&self, view: &dyn LoopView, held: &[Held]) -> String {
        let outside = summary(view.outside_work(), held);
        let next = self.live_timers(view).iter().map(|(_, note)| note.deadline_ms).min();
        let why = match next {
            Some(ms) => format!(
                "time may not jump to the next timer (due at {}) while outside work is in \
                 flight: {outside}.",
                secs(Duration::from_millis(ms))
            ),
            None => format!(
                "no timer is set, and only the outside work in flight can wake a task: \
                 {outside}."
            ),
        };
        let mut report = format!(
            "glassloop: the virtual clock is held at {}: for {} no task was ready, and {why}",
            secs(view.now()),
            secs(self.options.threshold)
        );
        for piece in held {
            report.push_str("\n  ");
            report.push_str(&piece.describe());
        }
        report.push_str(
            "\n  Time moves on once each has ended: a blocking job when its function returns, \
             an OutsideWork when it is dropped. One that never ends holds the clock for good. \
             The loop keeps waiting.",
        );
        report
    }

    /// Hook, step 4: `fired` timers fired.
    pub(crate) fn after_fire(&self, view: &dyn LoopView, fired: usize) {
        let (woken, _) = self.collect_wakes(view, Phase::Fire);
        if self.options.narrate && fired > 0 {
            self.sink().write(&format!(
                "[{}]   fire: {fired} timer(s) fired, {woken} task(s) woken",
                secs(view.now())
            ));
        }
    }
}
