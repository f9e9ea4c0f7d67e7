//! # The slow-poll detector
//!
//! A single-threaded loop has one rule: a task must return from `poll` quickly. A task that
//! calls `std::thread::sleep`, reads a file with `std::fs`, or computes for a second without
//! an `.await` holds the only thread, and every other task, timer and socket waits. Nothing
//! crashes; the program just becomes slow in a way that is hard to see.
//!
//! So in debug mode the detector times every poll with the real clock (a blocking call blocks
//! for real, even under the virtual clock): the stopwatch of clock.rs, read at each
//! `poll_ended` hook and at the `poll_started` of a pass's first poll (the end of one poll is
//! the start of the next, and a tick that takes no time carries it to the next pass):
//!
//! ```text
//!   poll_started ── stopwatch ────► future.poll(cx) ──► poll_ended ── elapsed > threshold?
//!        │ tells the watchdog "polling task #3 since t"        │ yes: one report block
//!        ▼                                                      ▼
//!   watchdog.rs can report while the poll is still running   pass tally: many short polls
//! ```
//!
//! ## What a runtime can and cannot know
//!
//! The loop sees only that `poll` took long. It cannot see *which call* inside the poll
//! blocked: the poll is a call into compiled code, and nothing marks a blocking call as
//! blocking. What it can give is the frame around it: the await point the task resumed from
//! and the one it parked at next (or "finished"). The blocking call is somewhere between
//! those two lines. asyncio's debug mode is in the same position and prints "Executing
//! <Task ...> took 6.002 seconds"; tokio has no built-in detector at all.
//!
//! ## Lost wakers
//!
//! After a poll returns `Pending`, somebody must hold a clone of the task's waker, or nobody
//! can ever wake it. The executor counts the wakers held outside its own records (strong
//! counts of the task's `Arc<TaskWaker>`) and hands the number to `poll_ended`: zero, with no
//! wake queued, means no timer, socket, channel or thread holds the waker, and the task is
//! lost. The count is exact, so this report has no false alarms.
//!
//! Read next: `watchdog.rs`.

use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

use super::ticks::Phase;
use super::{EventKind, Observer, WakeCause};
use crate::hooks::PollOutcome;
use crate::hooks::{LoopView, PollEnd};
use crate::task_id::TaskId;

/// The running totals of one pass of step 1, in nanoseconds.
#[derive(Debug, Default)]
pub(crate) struct PassTally {
    total: u64,
    polls: Vec<(TaskId, u64)>,
    any_slow: bool,
}

impl PassTally {
    /// Start again for the next pass. The list keeps its room, so the next pass fills it
    /// instead of allocating and growing a new one (a pass of a thousand yields did).
    fn reset(&mut self) {
        self.total = 0;
        self.any_slow = false;
        self.polls.clear();
    }
}

/// Once the pass's report is written: forgets the names of the tasks that ended in the pass
/// (their notes went when they ended, `task_ended` in mod.rs), and lets go of the notes of
/// those that ended inside their own poll (their poll has ended now).
struct ForgetEnded<'a>(&'a Observer);

impl Drop for ForgetEnded<'_> {
    fn drop(&mut self) {
        let mut in_poll = self.0.ended_in_poll.borrow_mut();
        if !in_poll.is_empty() {
            let mut tasks = self.0.tasks.borrow_mut();
            let mut stats = self.0.stats.borrow_mut();
            let keeps_stats = self.0.keeps_stats();
            for id in in_poll.drain(..) {
                tasks.forget(&id, |notes| {
                    if keeps_stats {
                        stats.keep(id, notes.name.take(), &notes.tally); // stats.rs
                    }
                });
            }
        }
        self.0.ended.borrow_mut().clear(); // the list keeps its room for the next pass
    }
}

/// Seconds with three decimals, as every report prints time.
pub(crate) fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

impl Observer {
    /// Hook: the executor is about to poll task `id`.
    pub(crate) fn start_poll(&self, view: &dyn LoopView, id: TaskId) {
        self.flush_slow_report(None);
        self.reached.set(None);
        self.clear_poll_waits(); // awaits.rs
        self.forget_slowest_child(); // child_polls.rs
        self.stall_reported.set(false);
        self.spawned_in_poll.set(0);
        // The end of one poll is the start of the next: one clock read per
        // boundary when the loop goes straight from a poll to the next, shared by the
        // detector and the event log.
        if !(self.options.debug || self.log.is_some()) {
            return; // nothing here is timed
        }
        let started = self.boundary.get().unwrap_or_else(|| self.read_clock(view));
        self.boundary.set(Some(started));
        let at = self.stamp(view, Some(started));
        self.record_at(at, id, EventKind::PollStart);
        // One look-up of the task's notes serves the figures and the watchdog (which only
        // debug mode starts), which reads the notes in place: nothing is copied or cloned for
        // it unless the name it shows changes from the last poll's. Nothing else is noted for the poll's end: its
        // start is the boundary just set, and where it resumed from stays in its notes.
        if let Some(notes) = self.tasks.borrow_mut().get_mut(&id) {
            notes.tally.poll_started(at); // stats.rs
            if self.watchdog_on() {
                self.shared.poll_started(&self.publisher, started, id.number(), notes);
            }
        }
    }

    /// Hook: the poll of task `id` returned; `ended` says how, and who can still wake it.
    pub(crate) fn end_poll(&self, view: &dyn LoopView, id: TaskId, ended: PollEnd) {
        let outcome = ended.outcome;
        let reached = self.reached.take();
        let timed = self.options.debug || self.log.is_some();
        let ended_at = timed.then(|| self.read_clock(view));
        // This poll's start: the boundary `start_poll` left.
        let started = self.boundary.get();
        // `block_on` returns at once when its future is done: nothing after is this tick's.
        let done = id == TaskId::MAIN && outcome != PollOutcome::Pending;
        self.boundary.set(ended_at.filter(|_| !done));
        let at = self.stamp(view, ended_at);
        let pending = outcome == PollOutcome::Pending;
        // One borrow of the notes serves the poll and the wakes it made.
        let mut tasks = self.tasks.borrow_mut();
        let mut wakes = self.take_wakes();
        let mut woken = 0;
        let (resumed_from, parked_at, length) = match tasks.get_mut(&id) {
            // Pending at no recorded await point: forget the old one, which is finished (a
            // task that slept and now waits on something that records nothing is not parked
            // at the sleep).
            Some(notes) => {
                let resumed_from = notes.parked_at; // until now: where this poll began
                notes.parked_at = if pending { reached } else { None };
                if pending {
                    self.settle_waits(&mut notes.waits); // awaits.rs
                }
                // A poll has a length only if `start_poll` timed its start.
                let length = notes.tally.poll_ended(at, pending);
                if let Some(poll) = length {
                    self.stats.borrow_mut().add_poll(poll); // stats.rs
                }
                // A poll whose one wake was of itself (a yield): that wake is counted here,
                // with the notes in hand, as `attribute_wakes` would (ticks.rs), without
                // finding them a second time. Narration names the task from all the notes,
                // so it takes the general way.
                if let Some(batch) = wakes.as_mut().filter(|_| !self.options.narrate) {
                    if let [(woke, Some(_))] = batch[..] {
                        if woke == id {
                            notes.tally.woken(at, WakeCause::Itself); // stats.rs
                            self.record_at(at, id, EventKind::Wake(WakeCause::Itself));
                            batch.clear(); // its room stays, for the next batch
                            woken = 1;
                        }
                    }
                }
                (resumed_from, notes.parked_at, length)
            }
            None => (None, None, None),
        };
        if let Some(batch) = wakes.as_mut().filter(|batch| !batch.is_empty()) {
            woken = self.attribute_wakes(&mut tasks, batch, view, Phase::Poll(id), Some(at)).0;
        }
        drop(wakes);
        drop(tasks);
        self.record_at(at, id, EventKind::PollEnd { parked_at });
        let (true, Some(started), Some(now)) = (self.options.debug, started, ended_at) else {
            return; // tracing only
        };
        // The poll's length on the runtime's clock, as the task's figures count it, is the
        // real one under the real clock. Under the virtual clock only a stand-in for blocking
        // (`time::block_for`) moves the clock inside a poll; that time held the loop as
        // surely as real time does.
        let held = now.saturating_sub(started).max(length.unwrap_or(0));
        if self.watchdog_on() {
            self.shared.poll_ended();
        }
        let slow = held > self.threshold_nanos;
        {
            let mut pass = self.pass.borrow_mut();
            pass.total += held;
            pass.polls.push((id, held));
            pass.any_slow |= slow;
        }
        if slow {
            // The tasks ready when the poll began: those ready now, but for the ones this
            // poll woke or spawned (counted only for a slow poll: the queue's length is not
            // free).
            let ready = view.ready_len().saturating_sub(woken + self.spawned_in_poll.get());
            let held = Duration::from_nanos(held);
            let report =
                self.slow_poll_report(view, id, resumed_from, (held, ready), outcome, reached);
            if outcome == PollOutcome::Finished && id != TaskId::MAIN {
                // `task_ended` comes next and says whether it panicked: a panic's hook runs
                // inside the poll, and with RUST_BACKTRACE set printing the backtrace can be
                // what took the time. The report waits for it.
                self.flush_slow_report(None);
                *self.finished_slow.borrow_mut() = Some((id, report));
            } else {
                self.report(&report);
            }
        }
        let lost = pending && ended.wakers_held == 0 && !ended.queued;
        if lost {
            self.report(&self.lost_waker_report(id, reached));
        }
    }

    /// Write the slow-poll report held back for the task that just finished; `panicked` is
    /// `Some(id)` if task `id` ended in a panic (then the report says what the time went on).
    #[inline]
    pub(crate) fn flush_slow_report(&self, panicked: Option<TaskId>) {
        if self.finished_slow.borrow().is_some() {
            self.write_slow_report(panicked); // every poll asks: the answer is nearly always no
        }
    }

    #[cold]
    fn write_slow_report(&self, panicked: Option<TaskId>) {
        let Some((id, mut report)) = self.finished_slow.borrow_mut().take() else {
            return;
        };
        if panicked == Some(id) {
            let advice = report.find("\n  The loop cannot see").unwrap_or(report.len());
            report.truncate(advice);
            report = report.replace("then         finished", "then         panicked");
            let backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
            report.push_str(if backtrace {
                "\n  The poll ended in a panic. The panic hook runs inside the poll, and with \
                 RUST_BACKTRACE set it resolves and prints a backtrace, which alone can take \
                 this long: look at the panic above first; the time may be nothing else."
            } else {
                "\n  The poll ended in a panic (the panic hook runs inside the poll). Look at \
                 the panic first, then between the two lines above for a call that does not \
                 .await."
            });
        }
        self.report(&report);
    }

    /// Hook: step 1 of a tick is over. Reports a pass whose polls, each under the threshold,
    /// together held the loop longer than it.
    pub(crate) fn end_pass(&self, view: &dyn LoopView, polled: usize) {
        self.flush_slow_report(None);
        if self.options.narrate && polled > 0 {
            self.narrate_pass(view, polled);
        }
        // The next pass's first poll reads the clock afresh, unless the tick in between
        // takes no time (`Observer::carried`).
        self.carried.set(self.boundary.take());
        // A pass in which no task ended has nothing to forget (most passes of a busy loop).
        let ended = !self.ended.borrow().is_empty() || !self.ended_in_poll.borrow().is_empty();
        let _forget = ended.then(|| ForgetEnded(self));
        let mut pass = self.pass.borrow_mut();
        if self.options.debug && !pass.any_slow && pass.total > self.threshold_nanos {
            let report = self.busy_pass_report(&pass);
            pass.reset();
            drop(pass);
            return self.report(&report);
        }
        pass.reset();
    }

    /// `block_on` begins. The last one may have returned in the middle of a pass (its main
    /// future completed there), so what that pass noted is dropped now, not carried into
    /// this call's first pass.
    pub(crate) fn forget_last_pass(&self) {
        self.pass.borrow_mut().reset();
        drop(ForgetEnded(self));
    }

    /// Narration's line for step 1 (out of line, as the report below).
    #[cold]
    fn narrate_pass(&self, view: &dyn LoopView, polled: usize) {
        self.sink().write(&format!("[{}] tick: ran {polled} task(s)", secs(view.now())));
    }

    /// The busy-pass report of the pass just ended (see `end_pass`). Out of line: most
    /// passes report nothing, and every pass ends.
    #[cold]
    fn busy_pass_report(&self, tally: &PassTally) -> String {
        let mut by_task: Vec<(TaskId, Duration, usize)> = Vec::new();
        for &(id, held) in &tally.polls {
            let held = Duration::from_nanos(held);
            match by_task.iter_mut().find(|(t, _, _)| *t == id) {
                Some(entry) => {
                    entry.1 += held;
                    entry.2 += 1;
                }
                None => by_task.push((id, held, 1)),
            }
        }
        by_task.sort_by_key(|entry| std::cmp::Reverse(entry.1));
        let mut report = format!(
            "glassloop: busy pass: {} poll(s), each under the {} threshold, together held the \
             loop for {}. The tasks that took most of it:",
            tally.polls.len(),
            secs(self.options.threshold),
            secs(Duration::from_nanos(tally.total))
        );
        for (id, held, polls) in by_task.iter().take(3) {
            let _ = write!(report, "\n  {} {} in {polls} poll(s)", self.label(*id), secs(*held));
        }
        report.push_str(
            "\n  Each poll is short, but the loop looks at timers and sockets only between \
             passes. Yield less often with less work in between, or move the work off the loop.",
        );
        report
    }

    fn slow_poll_report(
        &self,
        view: &dyn LoopView,
        id: TaskId,
        resumed_from: Option<&'static Location<'static>>,
        (held, ready): (Duration, usize),
        outcome: PollOutcome,
        reached: Option<&'static Location<'static>>,
    ) -> String {
        let label = self.label(id);
        let tasks = self.tasks.borrow();
        let notes = tasks.get(&id);
        let mut report = format!(
            "glassloop: slow poll: task {label} held the loop for {} (threshold {}).",
            secs(held),
            secs(self.options.threshold)
        );
        if let Some(notes) = notes {
            let _ = write!(report, "\n  spawned at   {}", notes.spawned_at);
        }
        match resumed_from {
            Some(at) => {
                let _ = write!(report, "\n  resumed from {at}");
            }
            None => report.push_str("\n  resumed from its start (first poll)"),
        }
        match (outcome, reached) {
            (PollOutcome::Pending, Some(at)) => {
                let _ = write!(report, "\n  parked at    {at}");
            }
            (PollOutcome::Pending, None) => {
                report.push_str("\n  parked at    an await point that does not record itself");
            }
            _ => report.push_str("\n  then         finished"),
        }
        drop(tasks);
        // Inside a gather, the task's await points are its children's: name the one that
        // held the loop (child_polls.rs), if it held most of it.
        if let Some(child) = self.slowest_child.get().filter(|child| child.held * 2 > held) {
            let _ = write!(report, "\n  held by      {}", child.describe());
        }
        let _ = write!(report, "\n  meanwhile    {ready} ready task(s) waited");
        let late = self.late_timers(view);
        if late.is_empty() {
            report.push_str(", no timer came due.");
        } else {
            let _ = write!(report, ", {} timer(s) came due and are late:", late.len());
            for line in late {
                let _ = write!(report, "\n    {line}");
            }
        }
        report.push_str(
            "\n  The loop cannot see which call blocked, only that this poll was long: look \
             between the two lines above for a call that does not .await (std::thread::sleep, \
             std::fs, a blocking lock, a long computation).",
        );
        report
    }

    /// The timers still in the wheel whose deadline has passed, with how late they are.
    fn late_timers(&self, view: &dyn LoopView) -> Vec<String> {
        let now = view.now();
        let now_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        let timers = self.live_timers(view).into_iter().map(|(_, note)| note);
        let mut late: Vec<super::TimerNote> = timers.filter(|n| n.deadline_ms < now_ms).collect();
        late.sort_by_key(|n| (n.deadline_ms, n.task));
        late.iter()
            .map(|note| {
                let due = Duration::from_millis(note.deadline_ms);
                let owner = note.task.map_or_else(|| "?".to_string(), |t| self.label(t));
                format!(
                    "timer of task {owner} (set at {}) due at {}, late by {}",
                    note.set_at,
                    secs(due),
                    secs(now.saturating_sub(due))
                )
            })
            .collect()
    }

    fn lost_waker_report(&self, id: TaskId, reached: Option<&'static Location<'static>>) -> String {
        let label = self.label(id);
        let tasks = self.tasks.borrow();
        let notes = tasks.get(&id);
        let mut report = format!(
            "glassloop: lost waker: task {label} returned Pending, but nobody holds its waker: \
             no timer, socket, channel or thread can ever wake it, so it will never run again."
        );
        if let Some(notes) = notes {
            let _ = write!(report, "\n  spawned at {}", notes.spawned_at);
        }
        match reached.or(notes.and_then(|n| n.parked_at)) {
            Some(at) => {
                let _ = write!(report, "\n  parked at  {at}");
            }
            None => {
                report.push_str("\n  parked at  a hand-written future (it recorded no await point)")
            }
        }
        report.push_str(
            "\n  A future that returns Poll::Pending must first store cx.waker().clone() where \
             the event it waits for will call wake() on it.",
        );
        report
    }
}
