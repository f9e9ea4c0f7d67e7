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
//! The two threads share a few atomics (poll start, poll number, task number, where the task
//! was spawned and resumed from) that the loop writes only in debug mode. A poll start costs
//! the loop plain stores and no lock: a lock, even one nobody else holds, is an atomic
//! read-modify-write, and two per poll were a third of debug mode's cost on yields. What
//! it stores is read from the task's notes in place; only a name that differs from the last
//! poll's is cloned, under a mutex. The
//! watchdog reads the fields, then the poll start again, and trusts them only if it did not
//! change (a *seqlock*, as the Linux kernel publishes its clock to user space).
//!
//! A `&'static Location` cannot go into an atomic in safe Rust, so each place is published
//! as its index in a table the loop appends to the first time it meets that place (a
//! program has a bounded number of them). A task's name is behind a mutex, taken only when a
//! named task is polled or the one before it was named. Reports come at growing intervals so
//! a loop blocked for an hour prints a dozen lines, not thousands.
//!
//! Shortcut: the watchdog wakes up periodically (`park_timeout`) instead of being told exactly
//! when a threshold will pass; a few milliseconds of lateness in a report is harmless.
//!
//! Read next: `dump.rs`.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::detector::secs;
use super::sink::Sink;
use super::{IdMap, TaskNotes};

/// What the loop and the watchdog share.
pub(crate) struct Shared {
    /// The loop's stopwatch (clock.rs), which `poll_started` counts by: set once by the loop
    /// at its first clock read. Until then no poll has started.
    stopwatch: OnceLock<super::clock::Stopwatch>,
    threshold: Duration,
    sink: Sink,
    /// Nanoseconds on `stopwatch` at which the current poll started, plus one; 0 when the
    /// loop is not polling. Written by the loop (release), read by the watchdog (acquire).
    poll_started: AtomicU64,
    /// Counted up at every poll start, so the watchdog can tell two polls apart. One writer,
    /// so a load and a store, not a `fetch_add`.
    poll_seq: AtomicU64,
    /// The number of the task being polled.
    task: AtomicU64,
    /// Where the task was spawned (high half) and resumed from (low half), each as its index
    /// in `places` plus one (0: not known).
    at: AtomicU64,
    /// Every place published so far; appended to by the loop, read when reporting.
    places: Mutex<Vec<&'static Location<'static>>>,
    /// The name of the task being polled, written only when it changes.
    name: Mutex<Option<Arc<str>>>,
    /// Set when the runtime is dropped.
    stop: AtomicBool,
}

/// The loop's side of publishing: which places already have an index, and which name was
/// written last. Lives on the loop's thread, so it needs no lock.
#[derive(Default)]
pub(crate) struct Publisher {
    known: RefCell<IdMap<usize, u64>>,
    /// The last two pairs of places published, by address, each with its packed `at`.
    recent: Cell<[((usize, usize), u64); 2]>,
    /// The address of the name written last (0: none). `Shared::name` holds that name, so
    /// no other name can be allocated at its address meanwhile.
    named: Cell<usize>,
}

impl Shared {
    pub(crate) fn new(threshold: Duration, sink: Sink) -> Shared {
        Shared {
            stopwatch: OnceLock::new(),
            threshold,
            sink,
            poll_started: AtomicU64::new(0),
            poll_seq: AtomicU64::new(0),
            task: AtomicU64::new(0),
            at: AtomicU64::new(0),
            places: Mutex::new(Vec::new()),
            name: Mutex::new(None),
            stop: AtomicBool::new(false),
        }
    }

    /// The stopwatch the loop's poll times are read from (called once, at the first read).
    pub(crate) fn set_stopwatch(&self, stopwatch: super::clock::Stopwatch) {
        let _ = self.stopwatch.set(stopwatch);
    }

    /// The loop starts polling task `task` at `since` (nanoseconds since the origin); its
    /// name and places are read from its notes, in place.
    #[inline]
    pub(crate) fn poll_started(&self, me: &Publisher, since: u64, task: u64, notes: &TaskNotes) {
        // The seqlock's writer side: the 0 that `poll_ended` stored is seen before any field
        // below changes (a fence that costs no instruction on x86).
        fence(Ordering::Release);
        let name = notes.name.as_ref().map_or(0, |name| Arc::as_ptr(name).cast::<u8>() as usize);
        if name != me.named.get() {
            self.publish_name(me, name, notes.name.as_ref()); // the task changed, and its name
        }
        // Most polls are of a task spawned and resumed where one of the last two polls' tasks
        // were (the tasks of one loop, taking turns): those need no look-up.
        let places = (address(Some(notes.spawned_at)), address(notes.parked_at));
        let recent = me.recent.get();
        let at = match recent.iter().find(|(known, _)| *known == places) {
            Some(&(_, at)) => at,
            None => self.index_places(me, places, notes),
        };
        self.task.store(task, Ordering::Relaxed);
        self.at.store(at, Ordering::Relaxed);
        self.poll_seq.store(self.poll_seq.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        // Publishes the stores above.
        self.poll_started.store(since.min(u64::MAX - 1) + 1, Ordering::Release);
    }

    /// The name of the task about to be polled, which is not the one written last (`address`
    /// is where it lives: 0 for none). Taken when tasks with different names take turns.
    fn publish_name(&self, me: &Publisher, address: usize, name: Option<&Arc<str>>) {
        me.named.set(address);
        *lock(&self.name) = name.cloned();
    }

    /// The packed `at` of a pair of places neither of the last two polls had, remembered as
    /// the most recent.
    #[cold]
    fn index_places(&self, me: &Publisher, places: (usize, usize), notes: &TaskNotes) -> u64 {
        let at =
            self.index_of(me, Some(notes.spawned_at)) << 32 | self.index_of(me, notes.parked_at);
        let recent = me.recent.get();
        me.recent.set([recent[1], (places, at)]);
        at
    }

    pub(crate) fn poll_ended(&self) {
        self.poll_started.store(0, Ordering::Release);
    }

    /// The index (plus one) of `place` in `places`, appending it the first time.
    fn index_of(&self, me: &Publisher, place: Option<&'static Location<'static>>) -> u64 {
        let Some(place) = place else {
            return 0;
        };
        *me.known.borrow_mut().entry(address(Some(place))).or_insert_with(|| {
            let mut places = lock(&self.places);
            places.push(place);
            places.len() as u64
        })
    }

    /// The place published as `index`.
    fn place(&self, index: u64) -> Option<&'static Location<'static>> {
        let index = usize::try_from(index).ok()?.checked_sub(1)?;
        lock(&self.places).get(index).copied()
    }
}

/// What the watchdog read back to name the task being polled (the loop publishes it from
/// the task's notes, in place, as atomics: see `Shared::poll_started`).
#[derive(Debug, Clone, Default)]
pub(crate) struct PollInfo {
    /// The task's name, if it has one.
    pub(crate) name: Option<Arc<str>>,
    /// Where it was spawned.
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    /// The await point it resumed from.
    pub(crate) resumed_from: Option<&'static Location<'static>>,
}

/// A place's address (0: none), to recognise it without comparing file names.
fn address(place: Option<&'static Location<'static>>) -> usize {
    place.map_or(0, |place| std::ptr::from_ref(place) as usize)
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
        let Some(stopwatch) = shared.stopwatch.get() else {
            continue;
        };
        let blocked = Duration::from_nanos(stopwatch.read().saturating_sub(started - 1));
        watching = Some((seq, next));
        if blocked < next {
            continue;
        }
        let task = shared.task.load(Ordering::Relaxed);
        let at = shared.at.load(Ordering::Relaxed);
        let name = lock(&shared.name).clone();
        // The fields above are read before the start is checked again. The poll may have
        // ended while we read: report only if it is still the same one.
        fence(Ordering::Acquire);
        if shared.poll_started.load(Ordering::Acquire) != started
            || shared.poll_seq.load(Ordering::Relaxed) != seq
        {
            continue;
        }
        let info = PollInfo {
            name,
            spawned_at: shared.place(at >> 32),
            resumed_from: shared.place(at & u64::from(u32::MAX)),
        };
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
