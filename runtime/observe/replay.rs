//! # Replay: does this program do the same thing twice?
//!
//! Under the virtual clock and a seeded schedule, glassloop is a deterministic machine: the
//! same program, run twice with the same seed, polls the same tasks in the same order at the
//! same instants, and its event log (trace.rs) is the same list twice. When it is not, the
//! program depends on something outside the loop's control: a `HashMap`'s iteration order,
//! the real time, a global counter, a thread. [`check_determinism`] runs a program twice and
//! points at the first event where the two logs part, which is where to start looking.
//!
//! ```text
//!   run 1: spawn #1, poll #1, timer 1.000 s, ... poll #2 ── event 7: task #2 set a timer due at 2.000 s
//!   run 2: spawn #1, poll #1, timer 1.000 s, ... poll #2 ── event 7: task #2 set a timer due at 3.000 s
//!                                                          └ the first difference
//! ```
//!
//! asyncio: none (its loop is not deterministic to begin with); tokio: none built in
//! (`tokio::test(start_paused = true)` gives the virtual clock; loom and shuttle explore
//! schedules of threaded code, and shuttle replays a failing one from its seed).
//!
//! Read next: `rerun.rs`, what a failure under a random schedule ends with.

use std::fmt;
use std::future::Future;

use super::detector::secs;
use super::trace::describe_cause;
use super::{Event, EventKind, Schedule};
use crate::task_id::TaskId;
use crate::Runtime;

/// Where two runs of one program parted: what [`check_determinism`] returns when they did.
///
/// asyncio, tokio: no equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The schedule's seed both runs used.
    pub seed: u64,
    /// The index of the first event that differs (0-based).
    pub index: usize,
    /// The first run's event there (`None`: its log ended).
    pub first: Option<Event>,
    /// The second run's event there (`None`: its log ended).
    pub second: Option<Event>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |event: Option<Event>| event.map_or("(no more events)".to_string(), describe);
        write!(
            f,
            "glassloop: two runs with random schedule seed {} differ at event {}:\n  first run:  \
             {}\n  second run: {}\nThe program depends on something the loop does not control \
             (the real time, a HashMap's order, a global, a thread); look at what decides the \
             second line. Rerun one with GLASSLOOP_SCHEDULE=random:{} to see it again.",
            self.seed,
            self.index,
            show(self.first),
            show(self.second),
            self.seed
        )
    }
}

/// Run `program` twice, each time on a fresh runtime with the virtual clock, tracing and the
/// random schedule seeded with `seed`, and compare the two event logs. `Ok(n)`: both runs
/// recorded the same `n` events. `Err`: the first place they differ (boxed: two events
/// are a large error to pass back by value).
///
/// ```
/// use std::time::Duration;
/// let events = glassloop::observe::check_determinism(7, || async {
///     let a = glassloop::spawn(glassloop::time::sleep(Duration::from_secs(1)));
///     let b = glassloop::spawn(async {});
///     a.await.unwrap();
///     b.await.unwrap();
/// });
/// assert!(events.unwrap() > 0);
/// ```
///
/// # Panics
/// If the program panics or stalls (as `block_on` does).
pub fn check_determinism<F, Fut>(seed: u64, program: F) -> Result<usize, Box<Divergence>>
where
    F: Fn() -> Fut,
    Fut: Future,
{
    let run = || {
        let runtime = Runtime::builder()
            .virtual_clock()
            .trace()
            .schedule(Schedule::Random { seed })
            .build()
            .expect("glassloop could not create its reactor");
        runtime.block_on(program());
        runtime.trace_events()
    };
    let (first, second) = (run(), run());
    let index = first.iter().zip(&second).position(|(a, b)| a != b);
    match index {
        None if first.len() == second.len() => Ok(first.len()),
        index => {
            let index = index.unwrap_or(first.len().min(second.len()));
            Err(Box::new(Divergence {
                seed,
                index,
                first: first.get(index).copied(),
                second: second.get(index).copied(),
            }))
        }
    }
}

/// One event in words: "at 1.000 s, task #2 set a timer due at 3.000 s".
fn describe(event: Event) -> String {
    let who = match event.task {
        TaskId::MAIN => "main future #0 (or the loop)".to_string(),
        id => format!("task {id}"),
    };
    let what = match event.kind {
        EventKind::Spawn => "was spawned".to_string(),
        EventKind::PollStart => "was polled".to_string(),
        EventKind::PollEnd { parked_at: Some(at) } => format!("parked at {at}"),
        EventKind::PollEnd { parked_at: None } => "returned from its poll".to_string(),
        EventKind::Wake(cause) => {
            format!("was woken by {}", describe_cause(cause, |id| format!("task {id}")))
        }
        EventKind::TimerSet { deadline_ms } => {
            format!("set a timer due at {}", secs(std::time::Duration::from_millis(deadline_ms)))
        }
        EventKind::Park { .. } => "parked the loop".to_string(),
        EventKind::Unpark { events } => format!("unparked the loop with {events} I/O event(s)"),
        EventKind::Finished => "finished".to_string(),
        EventKind::Panicked => "panicked".to_string(),
        EventKind::Cancelled => "was cancelled".to_string(),
    };
    format!("at {}, {who} {what}", secs(event.at))
}
