//! # Chrome trace-event JSON
//!
//! The same event log, written in the format that Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` open: a JSON object with a `traceEvents` array. Each task becomes a
//! "thread" of its own track; each poll a `B`/`E` (begin/end) pair, so it shows as a bar; each
//! wake, spawn, timer and park an instant (`i`) with its cause in the name.
//!
//! Shortcut: the JSON is written by hand (no serde, to keep the dependency list at four);
//! only task names need escaping, which [`escape`] does.
//!
//! Read next: `step.rs`.

use std::fmt::Write as _;

use super::trace::{Event, EventKind, WakeCause};
use crate::task_id::TaskId;

/// The track of a task: the main future is 1, task #n is n + 1, the loop itself is 0.
fn track(id: TaskId) -> u64 {
    id.number() + 1
}

/// Render `events` as Chrome trace-event JSON, naming each task's track with `label`.
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
pub fn render(events: &[Event], label: impl Fn(TaskId) -> String) -> String {
    let mut out = String::from("{\"traceEvents\":[");
    let mut named: Vec<TaskId> = Vec::new();
    let mut first = true;
    let mut push = |out: &mut String, entry: String| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&entry);
    };
    push(
        &mut out,
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"the loop\"}}"
            .to_string(),
    );
    for event in events {
        let loop_event = matches!(event.kind, EventKind::Park { .. } | EventKind::Unpark { .. });
        let tid = if loop_event { 0 } else { track(event.task) };
        if !loop_event && !named.contains(&event.task) {
            named.push(event.task);
            push(
                &mut out,
                format!(
                    "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"args\":{{\"name\":\"{}\"}}}}",
                    escape(&label(event.task))
                ),
            );
        }
        let ts = event.at.as_nanos() as f64 / 1000.0;
        let (phase, name) = match event.kind {
            EventKind::PollStart => ("B", "poll".to_string()),
            EventKind::PollEnd => ("E", "poll".to_string()),
            EventKind::Spawn => ("i", "spawn".to_string()),
            EventKind::Wake(cause) => ("i", format!("wake: {}", cause_name(cause))),
            EventKind::TimerSet { deadline_ms } => ("i", format!("timer set for {deadline_ms} ms")),
            EventKind::Park { timeout } => ("i", format!("park {timeout:?}")),
            EventKind::Unpark { events } => ("i", format!("unpark, {events} I/O event(s)")),
            EventKind::Finished => ("i", "finished".to_string()),
            EventKind::Cancelled => ("i", "cancelled".to_string()),
            EventKind::Panicked => ("i", "panicked".to_string()),
        };
        let mut entry = format!(
            "{{\"name\":\"{}\",\"ph\":\"{phase}\",\"ts\":{ts},\"pid\":1,\"tid\":{tid}",
            escape(&name)
        );
        if phase == "i" {
            entry.push_str(",\"s\":\"t\"");
        }
        entry.push('}');
        push(&mut out, entry);
    }
    out.push_str("]}");
    out
}

fn cause_name(cause: WakeCause) -> String {
    match cause {
        WakeCause::Timer => "timer".to_string(),
        WakeCause::Io => "I/O".to_string(),
        WakeCause::Task(id) => format!("task {id}"),
        WakeCause::Thread => "another thread".to_string(),
    }
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
