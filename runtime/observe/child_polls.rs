//! # Which child of a gather held the poll
//!
//! `gather`, `race`, `as_completed` and friends poll many child futures inside one task
//! (combinators/children.rs). When one child blocks, the loop sees only that the *task's*
//! poll was long, and the task's "parked at" is the await point of whichever child was polled
//! last: an innocent sleep of a sibling. So in debug mode the children engine times each
//! child's poll through [`child_poll`], and the observer keeps the slowest child of the
//! current poll. The slow-poll report then names it:
//!
//! ```text
//!   glassloop: slow poll: task 'main' #0 held the loop for 6.000 s ...
//!     held by      child 2 of 3 (argument order) of the gather at src/main.rs:30,
//!                  6.000 s of it; that child then parked at src/main.rs:21
//! ```
//!
//! Off (no observer on this thread), a child's poll costs one thread-local read and a
//! branch more. asyncio's debug mode has the same blind spot inside `gather` only for
//! plain coroutines (its children are tasks, each timed alone); tokio has no detector.
//!
//! Read next: `dump.rs`.

use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::executor::context::{in_runtime, with_current};
use crate::hooks::LoopView;

/// The slowest child polled during the current poll of a task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildNote {
    /// The combinator ("gather") and where it was called.
    pub(crate) site: (&'static str, &'static Location<'static>),
    /// The child's index (0-based, argument order) and how many there are.
    pub(crate) index: usize,
    pub(crate) count: usize,
    /// How long its poll held the loop.
    pub(crate) held: Duration,
    /// The await point it reached in that poll (`None`: it finished, or recorded none).
    pub(crate) parked_at: Option<&'static Location<'static>>,
}

/// Poll one child (`poll`) of the combinator at `site`; in debug mode, time it and keep it if
/// it is the slowest child of this poll so far.
pub(crate) fn child_poll<T>(
    site: (&'static str, &'static Location<'static>),
    index: usize,
    count: usize,
    poll: impl FnOnce() -> T,
) -> T {
    if !crate::wait_site::observed() || !in_runtime() {
        return poll(); // off: the one branch
    }
    let core = with_current("glassloop::combinators", Rc::clone);
    let Some(obs) = super::api::observer(&core).filter(|obs| obs.options.debug) else {
        return poll();
    };
    let (started, virtual_start) = (obs.read_clock(&*core), core.now());
    let outer = obs.reached.take(); // the await point a sibling reached before
    let output = poll();
    let mut held = Duration::from_nanos(obs.read_clock(&*core).saturating_sub(started));
    if obs.options.virtual_clock {
        held = held.max(core.now().saturating_sub(virtual_start)); // `block_for`
    }
    let parked_at = obs.reached.get();
    if parked_at.is_none() {
        obs.reached.set(outer);
    }
    let slowest = obs.slowest_child.get().map_or(Duration::ZERO, |note| note.held);
    if held > slowest {
        obs.slowest_child.set(Some(ChildNote { site, index, count, held, parked_at }));
    }
    output
}

impl super::Observer {
    /// Hook, start of a poll: forget the slowest child of the last one. Only a gather's
    /// poll keeps one, so most polls look at one word of the note and write nothing (the
    /// note is 72 bytes, and writing it empty at every poll was a cost of every yield).
    #[inline]
    pub(crate) fn forget_slowest_child(&self) {
        if self.slowest_child.get().is_some() {
            self.slowest_child.set(None);
        }
    }
}

impl ChildNote {
    /// The report's line: which child, and where it went next.
    pub(crate) fn describe(&self) -> String {
        let (what, at) = self.site;
        let then = match self.parked_at {
            Some(parked) => format!("that child then parked at {parked}"),
            None => "that child then finished (or parked where nothing records)".to_string(),
        };
        format!(
            "child {} of {} (argument order) of the {what} at {at}, {} of it; {then}",
            self.index + 1,
            self.count,
            super::detector::secs(self.held)
        )
    }
}
