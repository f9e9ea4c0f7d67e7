//! # Step mode: the loop, one tick at a time
//!
//! For a classroom: before every tick the loop stops, prints what it is about to work with,
//! and waits for Enter. The three things a tick looks at are on screen:
//!
//! ```text
//!   ── tick 4 at 1.000 s ──
//!   ready queue (1): task 'A' #1
//!   timers (1):
//!     task 'B' #2 due at 3.000 s, wheel level 1 slot 46 (set at demos/trace.rs:31:9)
//!   I/O waiters (1):
//!     token 2 read: task 'C' #3 (awaiting at src/server.rs:40:31)
//!   outside work (2): 1 blocking job in flight, 1 OutsideWork; the virtual clock waits for them
//!     blocking job (glassloop::spawn_blocking) at src/main.rs:9:5, in flight since 0.000 s
//!     OutsideWork at src/main.rs:12:16, in flight since 0.000 s
//!   [Enter: run this tick, c + Enter: run to the end]
//! ```
//!
//! The wheel position comes from `Wheel::position`: level 0 holds the next 64 ms one slot per
//! millisecond, level 1 the next 64 × 64 ms, and so on (see timer/wheel.rs). Timers are named
//! from the observer's notes, so step mode switches the observer on. The outside work comes
//! from the ledger of outside.rs, by kind and with where each piece was started; the count in
//! the heading is the core's own, the one the rule of the virtual clock reads.
//!
//! Shortcuts: wakes from other threads wait in a channel, which cannot be peeked, so the
//! view first moves them onto the loop's local queue, behind the ids already there, as the
//! next pass would (`ready_ids`, executor/view.rs); the list is then that queue, in order. A
//! reactor slot holds only a `Waker`, which does not say whose it is, so the observer notes
//! the task and await point of each socket wait from the `io_wait` hook (hooks.rs); a waker
//! stored by a future polled outside any task shows as "a waker from outside any task".
//!
//! Read next: `sink.rs`.

use std::cell::Cell;
use std::fmt::Write as _;
use std::io::BufRead;

use super::detector::secs;
use super::Observer;
use crate::hooks::{Direction, LoopView};
use crate::outside::{summary, Held};
use crate::timer::wheel::LEVELS;

/// Step mode's state: whether the learner asked to run to the end.
#[derive(Debug, Default)]
pub(crate) struct Stepper {
    run_to_end: Cell<bool>,
}

impl Observer {
    /// What the next tick will work with: the ready queue, the timers (with their wheel
    /// level and slot) and the I/O waiters, all read from the loop's view, and `held`, the
    /// outside work in flight (outside.rs's ledger).
    pub(crate) fn describe_loop(&self, view: &dyn LoopView, held: &[Held]) -> String {
        let ready = view.ready_ids();
        let mut out = format!(
            "── tick {} at {} ──\nready queue ({}):",
            view.ticks() + 1,
            secs(view.now()),
            ready.len()
        );
        let names: Vec<String> = ready.iter().map(|id| self.row_label(*id)).collect();
        if names.is_empty() {
            out.push_str(" empty");
        } else {
            let _ = write!(out, " {}", names.join(", "));
        }
        let mut timers = self.live_timers(view);
        timers.sort_by_key(|(_, note)| (note.deadline_ms, note.task));
        let count = view.timers().len();
        let _ = write!(out, "\ntimers ({count}):");
        if count == 0 {
            out.push_str(" none");
        }
        for (row, note) in timers {
            let owner = note.task.map_or_else(|| "the loop".to_string(), |t| self.row_label(t));
            let _ = write!(
                out,
                "\n  {owner} due at {}",
                secs(std::time::Duration::from_millis(note.deadline_ms))
            );
            match row.position {
                (level, slot) if level < LEVELS => {
                    let _ = write!(out, ", wheel level {level} slot {slot}");
                }
                _ => out.push_str(", in the wheel's overflow list"),
            }
            let _ = write!(out, " (set at {})", note.set_at);
        }
        self.describe_io_waiters(view, &mut out);
        // What holds the virtual clock still, when something does (timer/driver.rs's rule).
        let outside = view.outside_work();
        if outside > 0 {
            let _ = write!(out, "\noutside work ({outside}): {}", summary(outside, held));
            if self.options.virtual_clock {
                out.push_str("; the virtual clock waits for them");
            }
            for piece in held {
                let _ = write!(out, "\n  {}", piece.describe());
            }
        }
        out
    }

    fn describe_io_waiters(&self, view: &dyn LoopView, out: &mut String) {
        let waiters = view.io_waiters();
        if waiters.is_empty() {
            out.push_str("\nI/O waiters: none");
            return;
        }
        let mut notes = self.io.borrow_mut();
        notes.retain(|key, _| waiters.iter().any(|w| (w.token, w.direction) == *key));
        let _ = write!(out, "\nI/O waiters ({}):", waiters.len());
        for waiter in waiters {
            let direction = match waiter.direction {
                Direction::Read => "read",
                Direction::Write => "write",
            };
            let note = notes.get(&(waiter.token, waiter.direction));
            let who = match note.and_then(|note| note.task) {
                Some(task) => self.row_label(task),
                None => "a waker from outside any task".to_string(),
            };
            let _ = write!(out, "\n  token {} {direction}: {who}", waiter.token);
            if let Some(note) = note {
                let _ = write!(out, " (awaiting at {})", note.at);
            }
        }
    }

    /// Hook, before a tick: print what it will work with and wait for Enter.
    pub(crate) fn pause_for_step(&self, view: &dyn LoopView) {
        if self.stepper.run_to_end.get() {
            return;
        }
        let mut text = self.describe_loop(view, &crate::outside::in_flight_here());
        text.push_str("\n[Enter: run this tick, c + Enter: run to the end]");
        self.sink().write(&text);
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        // End of input (or no terminal) means nobody is there to press Enter: run on.
        if matches!(read, Ok(0) | Err(_)) || line.trim() == "c" {
            self.stepper.run_to_end.set(true);
        }
    }
}
