//! # The watchdog: a second thread that sees a blocked loop
//!
//! The detector reports a slow poll when it *ends*. A poll that never ends (an infinite loop,
//! a deadlock on a `std::sync::Mutex`, a read from a socket that never answers) is never
//! reported that way, and the learner sees a frozen program and no explanation. So debug mode
//! starts one more thread, which the loop cannot block:
//!
//! ```text
//!   loop thread                                 watchdog thread
//!   ───────────                                 ───────────────
//!   poll_started: seq += 1, started = t ──────► every threshold/4: polling since when?
//!   future.poll(cx)   ... blocked ...           blocked > threshold  → report
//!                                               blocked > 2×, 4×, 8× → report again
//!   poll_ended: started = 0 ──────────────────► quiet
//! ```
//!
//! The two threads share three atomics (poll start, poll number, task number) and, behind a
//! mutex only the watchdog reads often, the tasks' labels. The loop writes the atomics only
//! in debug mode. Reports come at growing intervals so a loop blocked for an hour prints a
//! dozen lines, not thousands.
//!
//! Shortcut: the watchdog wakes up periodically (`park_timeout`) instead of being told exactly
//! when a threshold will pass; a few milliseconds of lateness in a report is harmless.
//!
//! Read next: `dump.rs`.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::detector::secs;
use super::sink::Sink;

/// What the loop and the watchdog share.
pub(crate) struct Shared {
    origin: std::time::Instant,
    threshold: Duration,
    sink: Sink,
    /// Nanoseconds since `origin` at which the current poll started, plus one; 0 when the
    /// loop is not polling. Written by the loop, read by the watchdog.
    poll_started: AtomicU64,
    /// Incremented at every poll start, so the watchdog can tell two polls apart.
    poll_seq: AtomicU64,
    /// The number of the task being polled.
    task: AtomicU64,
    /// Who is being polled: written at each poll start (one uncontended lock), read only
    /// when the watchdog reports. Labels are made then, not at every spawn.
    polling: Mutex<PollInfo>,
    /// Set when the runtime is dropped.
    stop: AtomicBool,
}

impl Shared {
    pub(crate) fn new(threshold: Duration, sink: Sink) -> Shared {
        Shared {
            origin: std::time::Instant::now(),
            threshold,
            sink,
            poll_started: AtomicU64::new(0),
            poll_seq: AtomicU64::new(0),
            task: AtomicU64::new(0),
            polling: Mutex::new(PollInfo::default()),
            stop: AtomicBool::new(false),
        }
    }

    pub(crate) fn poll_started(&self, at: std::time::Instant, task: u64, info: PollInfo) {
        let since =
            u64::try_from(at.duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX - 1);
        *lock(&self.polling) = info;
        self.task.store(task, Ordering::Relaxed);
        self.poll_seq.fetch_add(1, Ordering::Relaxed);
        self.poll_started.store(since + 1, Ordering::Release);
    }

    pub(crate) fn poll_ended(&self) {
        self.poll_started.store(0, Ordering::Release);
    }
}

/// What the watchdog may need to name the task being polled.
#[derive(Debug, Clone, Default)]
pub(crate) struct PollInfo {
    /// The task's name, if it has one.
    pub(crate) name: Option<Arc<str>>,
    /// Where it was spawned.
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    /// The await point it resumed from.
    pub(crate) resumed_from: Option<&'static Location<'static>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The watchdog thread; stopped and joined on drop.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    pub(crate) fn start(shared: Arc<Shared>) -> Watchdog {
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("glassloop-watchdog".into())
            .spawn(move || watch(&for_thread))
            .expect("glassloop could not start its watchdog thread");
        Watchdog { shared, thread: Some(thread) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// The watchdog's loop: look every quarter threshold; report a poll that is still running
/// past the threshold, then past twice, four times, ... the threshold.
fn watch(shared: &Shared) {
    let period = (shared.threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(50));
    let mut watching: Option<(u64, Duration)> = None; // (poll number, next report after)
    while !shared.stop.load(Ordering::SeqCst) {
        std::thread::park_timeout(period);
        let started = shared.poll_started.load(Ordering::Acquire);
        if started == 0 {
            watching = None;
            continue;
        }
        let seq = shared.poll_seq.load(Ordering::Relaxed);
        let next = match watching {
            Some((watched, next)) if watched == seq => next,
            _ => shared.threshold,
        };
        let blocked = shared.origin.elapsed().saturating_sub(Duration::from_nanos(started - 1));
        watching = Some((seq, next));
        if blocked < next {
            continue;
        }
        let task = shared.task.load(Ordering::Relaxed);
        let info = lock(&shared.polling).clone();
        // The poll may have ended while we read; report only if it is still the same one.
        if shared.poll_started.load(Ordering::Acquire) != started {
            continue;
        }
        let mut label = match (task, &info.name) {
            (0, _) => "main future #0".to_string(),
            (_, Some(name)) => format!("'{name}' #{task}"),
            (_, None) => format!("#{task}"),
        };
        if let Some(at) = info.spawned_at {
            label.push_str(&format!(" spawned at {at}"));
        }
        let resumed = info.resumed_from;
        let mut report = format!(
            "glassloop watchdog: the loop is blocked right now: task {label} has been in one \
             poll for {} and has not returned.",
            secs(blocked)
        );
        if let Some(at) = resumed {
            report.push_str(&format!(" It resumed from {at}."));
        }
        report.push_str(" Every other task and timer waits until it does.");
        shared.sink.write(&report);
        watching = Some((seq, next * 2));
    }
}
