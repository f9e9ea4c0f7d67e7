//! # The text timeline
//!
//! The event log turned into a Gantt chart for the terminal: one row per task, time going
//! right, and in each column the busiest thing the task did in that slice of time.
//!
//! ```text
//!   timeline 0.000 s .. 4.000 s, one column = 0.100 s   (# running, r ready, . waiting)
//!   main future #0  #.........................................#
//!   'A' #1          r#.........#
//!   'B' #2          r#........................................#
//! ```
//!
//! Under the virtual clock a poll takes no time at all, so a `#` marks the column in which
//! a poll happened, not its length. Under the real clock a long poll (a blocking call) shows
//! as a long run of `#` while every other row stands still: the picture of a blocked loop.
//!
//! Under the rows, "who woke whom" lists the wakes from one task to another, with what they
//! went through (a channel send, a JoinHandle completing): the rows show *that* a task became
//! ready, the list says *why*.
//!
//! Shortcut: a column shows one mark even if the task ran, waited and ran again within it;
//! the Chrome trace (`chrome.rs`) keeps every event when you need them all.
//!
//! Read next: `chrome.rs`.

use std::collections::HashMap;
use std::time::Duration;

use super::detector::secs;
use super::trace::{describe_cause, Event, EventKind, WakeCause};
use crate::task_id::TaskId;

/// How many columns of time the timeline uses.
pub const COLUMNS: usize = 40;

/// What a task is doing, ordered by how much a column should show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Gone,
    Waiting,
    Ready,
    Running,
}

impl State {
    fn mark(self) -> char {
        match self {
            State::Gone => ' ',
            State::Waiting => '.',
            State::Ready => 'r',
            State::Running => '#',
        }
    }
}

/// Render `events` as a text timeline, naming each task with `label`.
///
/// asyncio, tokio: no built-in equivalent (tokio-console shows per-task busy and idle times,
/// not a chart).
///
/// ```
/// use glassloop::observe::timeline;
/// let rt = glassloop::Runtime::builder().virtual_clock().trace().build().unwrap();
/// rt.block_on(async {
///     glassloop::time::sleep(std::time::Duration::from_secs(2)).await;
/// });
/// let picture = rt.timeline();
/// assert!(picture.contains("main future #0"));
/// ```
pub fn render(events: &[Event], label: impl Fn(TaskId) -> String) -> String {
    let end = events.last().map_or(Duration::ZERO, |e| e.at);
    let column_of = |at: Duration| -> usize {
        if end.is_zero() {
            0
        } else {
            let fraction = at.as_secs_f64() / end.as_secs_f64();
            ((fraction * (COLUMNS - 1) as f64).floor() as usize).min(COLUMNS - 1)
        }
    };
    let mut order: Vec<TaskId> = Vec::new();
    let mut rows: HashMap<TaskId, (Vec<State>, State, usize)> = HashMap::new();
    for event in events {
        let next = match event.kind {
            EventKind::Spawn | EventKind::Wake(_) => State::Ready,
            EventKind::PollStart => State::Running,
            EventKind::PollEnd { .. } => State::Waiting,
            EventKind::Finished | EventKind::Panicked | EventKind::Cancelled => State::Gone,
            EventKind::TimerSet { .. } | EventKind::Park { .. } | EventKind::Unpark { .. } => {
                continue
            }
        };
        let column = column_of(event.at);
        let (cells, state, since) = rows.entry(event.task).or_insert_with(|| {
            order.push(event.task);
            (vec![State::Gone; COLUMNS], State::Gone, column)
        });
        // A wake that arrives while the task runs (it woke itself) does not stop it running.
        if *state == State::Running && next == State::Ready {
            continue;
        }
        for cell in &mut cells[*since..=column] {
            *cell = (*cell).max(*state);
        }
        cells[column] = cells[column].max(next);
        *state = next;
        *since = column;
    }
    let width = order.iter().map(|id| label(*id).len()).max().unwrap_or(0);
    let step = if end.is_zero() { Duration::ZERO } else { end / (COLUMNS as u32 - 1) };
    let mut out = format!(
        "timeline {} .. {}, one column = {}   (# running, r ready, . waiting)",
        secs(Duration::ZERO),
        secs(end),
        secs(step)
    );
    for id in order {
        let (mut cells, state, since) = rows.remove(&id).expect("every ordered task has a row");
        for cell in &mut cells[since..] {
            *cell = (*cell).max(state);
        }
        let line: String = cells.iter().map(|s| s.mark()).collect();
        out.push_str(&format!("\n{:<width$}  {}", label(id), line.trim_end()));
    }
    // Who woke whom: the wakes from task to task, which the rows cannot show.
    let wakes: Vec<(Duration, TaskId, WakeCause)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake(cause @ WakeCause::Task { .. }) => Some((e.at, e.task, cause)),
            _ => None,
        })
        .collect();
    if !wakes.is_empty() {
        out.push_str("\nwho woke whom:");
        for (at, task, cause) in wakes.iter().take(WAKES_SHOWN) {
            let by = describe_cause(*cause, &label);
            out.push_str(&format!("\n  [{}] {} woken by {by}", secs(*at), label(*task)));
        }
        if wakes.len() > WAKES_SHOWN {
            out.push_str(&format!("\n  ... and {} more", wakes.len() - WAKES_SHOWN));
        }
    }
    out
}

/// How many task-to-task wakes the timeline lists under its rows.
const WAKES_SHOWN: usize = 12;
