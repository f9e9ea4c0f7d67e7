//! # A picture that opens anywhere: the event log as an SVG
//!
//! The Chrome trace needs Perfetto, and Perfetto needs the network to load; a learner on a
//! train has no picture at all. An SVG file is a picture every browser opens from disk. This
//! one is self-contained: no script, no font or stylesheet from elsewhere, only shapes and
//! text, so it also shows in an editor's preview and on a code forge.
//!
//! ```text
//!   0 s        1 s        2 s        ...                 the time ruler
//!   the loop   ███▒▒▒▒▒████████████████▒▒▒▒               busy: which task ran; red: a slow poll
//!   task 'a'   ▨▨███────── sleep at a.rs:12 ───◆─┤        hatched ready, solid running, thin
//!   task 'b'        ▨███───────────────◆ +5.0 s late      line waiting (labelled with its await
//!                     ↑ wake arrow from the waker          point), ◆ a timer's deadline
//! ```
//!
//! One lane per task plus a lane for the loop. A task's lane is drawn from its events: from a
//! spawn or a wake to the next poll it is *ready* (hatched: it could run, the loop is busy
//! elsewhere); a poll is *running* (solid; red when it held the loop longer than the slow-poll
//! threshold); from the end of a poll to the next wake it is *waiting*, a thin line labelled
//! with the await point it parked at. Each timer is a diamond at its deadline, with a whisker
//! to the moment it really fired when that was late ("+5.000 s late"). Each task-to-task wake
//! is an arrow from the waker's lane to the woken one.
//!
//! Under the virtual clock a poll takes no time, so a running bar gets a minimum width; a
//! blocking call shows at its real length only under the real clock, or played by
//! [`crate::observe::block_for`], which moves the virtual clock inside the poll.
//!
//! asyncio has no picture; tokio-console draws per-task histograms in a terminal; Perfetto
//! draws the Chrome trace (chrome.rs) but needs to be online.
//!
//! Read next: `step.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

use super::detector::secs;
use super::trace::{describe_cause, Event, EventKind, WakeCause};
use crate::task_id::TaskId;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 200.0;
const RIGHT: f64 = 80.0;
const TOP: f64 = 56.0;
const LANE: f64 = 44.0;
const BAR: f64 = 16.0;
/// Under the virtual clock a poll takes no time; it is drawn this wide.
const MIN_BAR: f64 = 3.0;

/// What each lane is doing since when, while the events are read.
type Open = HashMap<TaskId, (Duration, Span)>;

/// One drawn interval of a lane.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Span {
    Ready,
    Running { slow: bool },
    Waiting(Option<&'static Location<'static>>),
}

/// Render `events` as a self-contained SVG, naming lanes with `label`; a poll longer than
/// `slow` is drawn red.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().trace().build().unwrap();
/// rt.block_on(async { glassloop::time::sleep(std::time::Duration::from_secs(1)).await });
/// let svg = rt.svg_timeline();
/// assert!(svg.starts_with("<svg") && !svg.contains("<script"));
/// ```
pub fn render(events: &[Event], slow: Duration, label: impl Fn(TaskId) -> String) -> String {
    let start = events.first().map_or(Duration::ZERO, |e| e.at);
    let end = events.last().map_or(Duration::ZERO, |e| e.at).max(start + Duration::from_millis(1));
    let plot = WIDTH - LEFT - RIGHT;
    let x = |at: Duration| LEFT + (at - start).as_secs_f64() / (end - start).as_secs_f64() * plot;

    // Lanes in order of first appearance; the loop's lane is drawn above them.
    let mut order: Vec<TaskId> = Vec::new();
    let mut spans: HashMap<TaskId, Vec<(Duration, Duration, Span)>> = HashMap::new();
    let mut open: Open = HashMap::new();
    let mut timers: Vec<(TaskId, u64, Option<Duration>)> = Vec::new(); // deadline, fired at
    let mut arrows: Vec<(Duration, TaskId, TaskId)> = Vec::new(); // at, from, to
    let mut ends: Vec<(Duration, TaskId, &'static str)> = Vec::new();
    let mut busy: Vec<(Duration, Duration, bool)> = Vec::new();
    let mut parks: Vec<(Duration, Duration)> = Vec::new();
    let mut park_start: Option<Duration> = None;
    for event in events {
        let task = event.task;
        let loop_event = matches!(event.kind, EventKind::Park { .. } | EventKind::Unpark { .. });
        if !loop_event && !order.contains(&task) {
            order.push(task);
        }
        let mut switch = |open: &mut Open, to: Option<Span>, at: Duration| {
            if let Some((since, span)) = open.remove(&task) {
                spans.entry(task).or_default().push((since, at, span));
            }
            if let Some(span) = to {
                open.insert(task, (at, span));
            }
        };
        match event.kind {
            EventKind::Spawn => switch(&mut open, Some(Span::Ready), event.at),
            EventKind::Wake(cause) => {
                if !matches!(open.get(&task), Some((_, Span::Running { .. }))) {
                    switch(&mut open, Some(Span::Ready), event.at);
                }
                match cause {
                    WakeCause::Task { by, .. } => arrows.push((event.at, by, task)),
                    WakeCause::Timer { deadline_ms: Some(ms) } => {
                        let fired = timers
                            .iter_mut()
                            .rev()
                            .find(|t| t.0 == task && t.1 == ms && t.2.is_none());
                        if let Some(timer) = fired {
                            timer.2 = Some(event.at);
                        }
                    }
                    _ => {}
                }
            }
            EventKind::PollStart => {
                switch(&mut open, Some(Span::Running { slow: false }), event.at)
            }
            EventKind::PollEnd { parked_at } => {
                let began = open.get(&task).map_or(event.at, |(since, _)| *since);
                let is_slow = event.at - began > slow;
                if let Some((_, span)) = open.get_mut(&task) {
                    *span = Span::Running { slow: is_slow };
                }
                busy.push((began, event.at, is_slow));
                switch(&mut open, Some(Span::Waiting(parked_at)), event.at);
            }
            EventKind::TimerSet { deadline_ms } => timers.push((task, deadline_ms, None)),
            EventKind::Finished | EventKind::Panicked | EventKind::Cancelled => {
                switch(&mut open, None, event.at);
                let how = match event.kind {
                    EventKind::Finished => "finished",
                    EventKind::Panicked => "panicked",
                    _ => "cancelled",
                };
                ends.push((event.at, task, how));
            }
            EventKind::Park { .. } => park_start = Some(event.at),
            EventKind::Unpark { .. } => {
                if let Some(since) = park_start.take() {
                    parks.push((since, event.at));
                }
            }
        }
    }
    for (task, (since, span)) in open {
        spans.entry(task).or_default().push((since, end, span));
    }

    let lanes = order.len() + 1;
    let height = TOP + LANE * lanes as f64 + 70.0;
    let lane_y = |i: usize| TOP + LANE * i as f64 + LANE / 2.0; // the lane's middle
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" \
         font-size=\"12\">\n\
         <title>glassloop timeline {} .. {}</title>\n\
         <defs>\n\
         <pattern id=\"ready\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fdf3d0\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#d9a400\" stroke-width=\"3\"/></pattern>\n\
         <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
         fill=\"#6a3fb5\"/></marker>\n\
         </defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        secs(start),
        secs(end)
    );
    // Lane backgrounds and names.
    for i in 0..lanes {
        let name = if i == 0 { "the loop".to_string() } else { label(order[i - 1]) };
        let fill = if i % 2 == 0 { "#f6f7f9" } else { "#ffffff" };
        let top = TOP + LANE * i as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"0\" y=\"{top}\" width=\"{WIDTH}\" height=\"{LANE}\" fill=\"{fill}\"/>\
             <text x=\"12\" y=\"{}\" font-weight=\"{}\" fill=\"#222\">{}</text>",
            lane_y(i) + 4.0,
            if i == 0 { "bold" } else { "normal" },
            xml(&clip(&name, 28))
        );
    }
    ruler(&mut svg, start, end, &x, height);
    // The loop's lane: idle (thin), parked in the reactor (thicker), busy, slow polls red.
    let loop_y = lane_y(0);
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{loop_y}\" x2=\"{:.1}\" y2=\"{loop_y}\" stroke=\"#c5ccd6\" \
         stroke-width=\"1\"/>",
        x(end)
    );
    for (from, to) in &parks {
        let _ = writeln!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{loop_y}\" x2=\"{:.1}\" y2=\"{loop_y}\" stroke=\"#9aa4b2\" \
             stroke-width=\"2\"/>",
            x(*from),
            x(*to)
        );
    }
    for (from, to, is_slow) in &busy {
        let (x0, w) = bar(x(*from), x(*to));
        let fill = if *is_slow { "#d62828" } else { "#3a6ea5" };
        let _ = writeln!(
            svg,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{fill}\"/>",
            loop_y - BAR / 2.0
        );
        if *is_slow {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d62828\" font-weight=\"bold\">\
                 loop blocked for {}</text>",
                x0 + 4.0,
                loop_y - BAR / 2.0 - 4.0,
                secs(*to - *from)
            );
        }
    }
    // Each task's lane.
    for (i, task) in order.iter().enumerate() {
        let y = lane_y(i + 1);
        for (from, to, span) in spans.get(task).map(Vec::as_slice).unwrap_or(&[]) {
            let (x0, x1) = (x(*from), x(*to));
            match span {
                Span::Ready if x1 - x0 >= 0.5 => {
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" \
                         fill=\"url(#ready)\" stroke=\"#d9a400\" stroke-width=\"0.5\"/>",
                        y - BAR / 2.0,
                        x1 - x0
                    );
                }
                Span::Ready => {}
                Span::Running { slow } => {
                    let (x0, w) = bar(x0, x1);
                    let fill = if *slow { "#d62828" } else { "#3a6ea5" };
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{BAR}\" \
                         fill=\"{fill}\"/>",
                        y - BAR / 2.0
                    );
                }
                Span::Waiting(at) => {
                    let _ = writeln!(
                        svg,
                        "<line x1=\"{x0:.1}\" y1=\"{y}\" x2=\"{x1:.1}\" y2=\"{y}\" \
                         stroke=\"#9aa4b2\" stroke-width=\"2\"/>"
                    );
                    // The await point, if there is room for it.
                    let room = ((x1 - x0 - 12.0).max(0.0) / 6.5) as usize;
                    if let Some(at) = at.filter(|_| room >= 20) {
                        let _ = writeln!(
                            svg,
                            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#5b6675\" font-size=\"11\">\
                             awaits {}</text>",
                            x0 + 6.0,
                            y - 5.0,
                            xml(&clip(&short(at), room.saturating_sub(7)))
                        );
                    }
                }
            }
        }
        for (at, ended, how) in &ends {
            if ended == task {
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#2d6a4f\" font-size=\"11\">{how}</text>",
                    x(*at) + 5.0,
                    y + 4.0
                );
            }
        }
    }
    // Timers: a diamond at the deadline, a whisker to when it fired if late.
    for (task, deadline_ms, fired) in &timers {
        let Some(lane) = order.iter().position(|t| t == task) else { continue };
        let y = lane_y(lane + 1) + BAR / 2.0 + 6.0;
        let due = Duration::from_millis(*deadline_ms);
        let dx = x(due.clamp(start, end));
        if let Some(fired) = fired.filter(|f| f.saturating_sub(due) >= Duration::from_millis(10)) {
            let late = fired.saturating_sub(due);
            let _ = writeln!(
                svg,
                "<line x1=\"{dx:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"#d62828\" \
                 stroke-width=\"1.5\"/><line x1=\"{:.1}\" y1=\"{}\" x2=\"{:.1}\" y2=\"{}\" \
                 stroke=\"#d62828\" stroke-width=\"1.5\"/>\
                 <text x=\"{:.1}\" y=\"{}\" fill=\"#d62828\" font-size=\"11\" \
                 font-weight=\"bold\">timer due {}: +{} late</text>",
                x(fired),
                x(fired),
                y - 4.0,
                x(fired),
                y + 4.0,
                x(fired) + 4.0,
                y + 4.0,
                secs(due),
                secs(late)
            );
        }
        let _ = writeln!(
            svg,
            "<path d=\"M{dx:.1},{} l4,4 l-4,4 l-4,-4 z\" fill=\"#e07a00\"><title>timer due at \
             {}</title></path>",
            y - 4.0,
            secs(due)
        );
    }
    // Wake arrows, from the waker's lane to the woken task's.
    for (at, from, to) in &arrows {
        let (Some(a), Some(b)) =
            (order.iter().position(|t| t == from), order.iter().position(|t| t == to))
        else {
            continue;
        };
        let (ya, yb) = (lane_y(a + 1), lane_y(b + 1));
        let xa = x(*at) + 1.5;
        let toward = if yb > ya { -BAR / 2.0 } else { BAR / 2.0 };
        let _ = writeln!(
            svg,
            "<path d=\"M{xa:.1},{ya} C{:.1},{ya} {:.1},{yb} {:.1},{:.1}\" fill=\"none\" \
             stroke=\"#6a3fb5\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\">\
             <title>{}</title></path>",
            xa + 14.0,
            xa + 14.0,
            xa + 6.0,
            yb + toward,
            xml(&format!(
                "{} woken by {}",
                label(*to),
                describe_cause(WakeCause::Task { by: *from, via: None }, &label)
            ))
        );
    }
    legend(&mut svg, height - 26.0, slow);
    svg.push_str("</svg>\n");
    svg
}

/// A running bar's left edge and width: at least `MIN_BAR` wide.
fn bar(x0: f64, x1: f64) -> (f64, f64) {
    (x0, (x1 - x0).max(MIN_BAR))
}

/// The time ruler across the top, with faint lines down through the lanes.
fn ruler(svg: &mut String, start: Duration, end: Duration, x: &dyn Fn(Duration) -> f64, h: f64) {
    let span = (end - start).as_secs_f64();
    // A step of 1, 2 or 5 times a power of ten, giving 5 to 12 ticks.
    let mut step = 10f64.powf((span / 10.0).log10().floor());
    for factor in [1.0, 2.0, 5.0, 10.0] {
        if span / (step * factor) <= 12.0 {
            step *= factor;
            break;
        }
    }
    let first = (start.as_secs_f64() / step).ceil() as u64;
    let last = (end.as_secs_f64() / step).floor() as u64;
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/>",
        TOP - 8.0,
        WIDTH - RIGHT,
        TOP - 8.0
    );
    for k in first..=last {
        let t = Duration::from_secs_f64(k as f64 * step);
        let tx = x(t);
        let text = if step >= 1.0 { format!("{} s", k as f64 * step) } else { secs(t) };
        let _ = writeln!(
            svg,
            "<line x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{}\" stroke=\"#e3e6ea\"/>\
             <line x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{}\" stroke=\"#444\"/>\
             <text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\">{text}</text>",
            TOP,
            h - 44.0,
            TOP - 12.0,
            TOP - 4.0,
            TOP - 16.0
        );
    }
}

/// The key to the colours, along the bottom: each swatch, then its words.
fn legend(svg: &mut String, y: f64, slow: Duration) {
    let items = [
        ("<rect x=\"{x}\" y=\"{top}\" width=\"18\" height=\"10\" fill=\"#3a6ea5\"/>", "running (a poll)".to_string()),
        ("<rect x=\"{x}\" y=\"{top}\" width=\"18\" height=\"10\" fill=\"#d62828\"/>", format!("slow poll (over {}): the loop is blocked", secs(slow))),
        ("<rect x=\"{x}\" y=\"{top}\" width=\"18\" height=\"10\" fill=\"url(#ready)\" stroke=\"#d9a400\"/>", "ready, not yet polled".to_string()),
        ("<line x1=\"{x}\" y1=\"{mid}\" x2=\"{x18}\" y2=\"{mid}\" stroke=\"#9aa4b2\" stroke-width=\"2\"/>", "waiting (at its await point) / idle".to_string()),
        ("<path d=\"M{x9},{top} l5,5 l-5,5 l-5,-5 z\" fill=\"#e07a00\"/>", "timer deadline (red: fired late)".to_string()),
        ("<line x1=\"{x}\" y1=\"{mid}\" x2=\"{x18}\" y2=\"{mid}\" stroke=\"#6a3fb5\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>", "a task woke another".to_string()),
    ];
    svg.push_str("<g font-size=\"11\" fill=\"#333\">");
    let mut x = 12.0;
    for (swatch, words) in items {
        let shape = swatch
            .replace("{x}", &format!("{x:.1}"))
            .replace("{x9}", &format!("{:.1}", x + 9.0))
            .replace("{x18}", &format!("{:.1}", x + 18.0))
            .replace("{top}", &format!("{:.1}", y - 9.0))
            .replace("{mid}", &format!("{:.1}", y - 4.0));
        let _ = write!(svg, "{shape}<text x=\"{:.1}\" y=\"{y}\">{}</text>", x + 23.0, xml(&words));
        x += 23.0 + words.chars().count() as f64 * 5.4 + 16.0;
    }
    svg.push_str("</g>\n");
}

/// "demos/blocking.rs:61" for a location (the column adds nothing at this size).
fn short(at: &Location<'_>) -> String {
    format!("{}:{}", at.file(), at.line())
}

/// At most `max` characters, with an ellipsis if cut (from the left: file names end well).
fn clip(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max || max < 2 {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - (max - 1)).collect();
    format!("…{tail}")
}

/// Escape text for XML.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
