//! # Chrome trace-event JSON
//!
//! The same event log, written in the format that Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` open: a JSON object with a `traceEvents` array. Each task becomes a
//! "thread" of its own track; each poll a `B`/`E` (begin/end) pair, so it shows as a bar; each
//! wake, spawn, timer and park an instant (`i`) with its cause in the name.
//!
//! A wake from one task to another is also drawn as a *flow arrow*: a flow start (`s`) inside
//! the waker's poll and a flow end (`f`, bound to the enclosing slice) at the woken task's next
//! poll, so Perfetto draws who woke whom. When the log dropped its oldest events (it keeps the
//! last N, trace.rs), the file says so twice: an instant on the loop's track at the first kept
//! event, and `otherData.dropped_events`.
//!
//! Shortcut: the JSON is written by hand (no serde, to keep the dependency list at four);
//! only task names need escaping, which [`escape`] does.
//!
//! Read next: `step.rs`.

use std::fmt::Write as _;

use std::time::Duration;

use super::detector::secs;
use super::trace::{describe_cause, Event, EventKind, WakeCause};
use crate::task_id::TaskId;

/// The track of a task: the main future is 1, task #n is n + 1, the loop itself is 0.
fn track(id: TaskId) -> u64 {
    id.number() + 1
}

/// Render `events` as Chrome trace-event JSON, naming each task's track with `label`;
/// `dropped` is how many older events the log no longer has.
///
/// asyncio: none; tokio: `tracing-chrome`, a subscriber crate, writes the same format.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().trace().build().unwrap();
/// rt.block_on(async { glassloop::task::yield_now().await });
/// let json = rt.chrome_trace();
/// assert!(json.starts_with("{\"traceEvents\":["));
/// assert!(json.contains("\"ph\":\"B\""));
/// ```
pub fn render(events: &[Event], dropped: u64, label: impl Fn(TaskId) -> String) -> String {
    let mut out = String::from("{\"traceEvents\":[");
    out.push_str(
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"the loop\"}}",
    );
    if dropped > 0 {
        let ts = events.first().map_or(0.0, |e| micros(e.at));
        let _ = write!(
            out,
            ",{{\"name\":\"{dropped} earlier events dropped (the log keeps the last {}; \
             Builder::trace_capacity)\",\"ph\":\"i\",\"s\":\"g\",\"ts\":{ts},\"pid\":1,\"tid\":0}}",
            events.len()
        );
    }
    let mut named: Vec<TaskId> = Vec::new();
    // Flows waiting for the woken task's next poll: (woken task, flow id).
    let mut open_flows: Vec<(TaskId, usize)> = Vec::new();
    let mut next_flow = 1;
    for event in events {
        let loop_event = matches!(event.kind, EventKind::Park { .. } | EventKind::Unpark { .. });
        let tid = if loop_event { 0 } else { track(event.task) };
        if !loop_event && !named.contains(&event.task) {
            named.push(event.task);
            let _ = write!(
                out,
                ",{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"args\":{{\"name\":\"{}\"}}}}",
                escape(&label(event.task))
            );
        }
        let ts = micros(event.at);
        let (phase, name) = match event.kind {
            EventKind::PollStart => ("B", "poll".to_string()),
            EventKind::PollEnd { parked_at: Some(at) } => ("E", format!("poll, parked at {at}")),
            EventKind::PollEnd { parked_at: None } => ("E", "poll".to_string()),
            EventKind::Spawn => ("i", "spawn".to_string()),
            EventKind::Wake(cause) => ("i", format!("woken by {}", describe_cause(cause, &label))),
            EventKind::TimerSet { deadline_ms } => {
                ("i", format!("timer set for {}", secs(Duration::from_millis(deadline_ms))))
            }
            EventKind::Park { timeout: Some(t) } => ("i", format!("park for at most {}", secs(t))),
            EventKind::Park { timeout: None } => ("i", "park until woken".to_string()),
            EventKind::Unpark { events } => ("i", format!("unpark, {events} I/O event(s)")),
            EventKind::Finished => ("i", "finished".to_string()),
            EventKind::Cancelled => ("i", "cancelled".to_string()),
            EventKind::Panicked => ("i", "panicked".to_string()),
        };
        let _ = write!(
            out,
            ",{{\"name\":\"{}\",\"ph\":\"{phase}\",\"ts\":{ts},\"pid\":1,\"tid\":{tid}{}}}",
            escape(&name),
            if phase == "i" { ",\"s\":\"t\"" } else { "" }
        );
        match event.kind {
            EventKind::Wake(WakeCause::Task { by, .. }) => {
                let _ = write!(
                    out,
                    ",{{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"s\",\"id\":{next_flow},\"ts\":{ts},\"pid\":1,\"tid\":{}}}",
                    track(by)
                );
                open_flows.push((event.task, next_flow));
                next_flow += 1;
            }
            EventKind::PollStart => {
                while let Some(i) = open_flows.iter().position(|(woken, _)| *woken == event.task) {
                    let (_, id) = open_flows.remove(i);
                    let _ = write!(
                        out,
                        ",{{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"f\",\"bp\":\"e\",\"id\":{id},\"ts\":{ts},\"pid\":1,\"tid\":{tid}}}"
                    );
                }
            }
            _ => {}
        }
    }
    let _ = write!(out, "],\"otherData\":{{\"dropped_events\":\"{dropped}\"}}}}");
    out
}

/// Microseconds, the unit of `ts`.
fn micros(at: Duration) -> f64 {
    at.as_nanos() as f64 / 1000.0
}

/// Escape a string for a JSON string literal (quotes, backslashes, control characters).
///
/// ```
/// assert_eq!(glassloop::observe::chrome::escape("say \"hi\"\n"), "say \\\"hi\\\"\\u000a");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
