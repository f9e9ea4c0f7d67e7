//! # Per-task figures: busy, scheduled, idle
//!
//! The dump says what each task does *now*; these figures say how it spent its life. Between
//! its spawn and its end a task is always in one of three states, and the observer adds up
//! the time spent in each from the moments it already sees (the hooks of hooks.rs and the
//! wakes of the wake log, trace.rs):
//!
//! ```text
//!   spawn ──scheduled──► poll ──busy──► Pending ──idle──► woken ──scheduled──► poll ...
//!          (queued,        (the poll     (parked at      (queued again,
//!           not polled)     runs)         an await)        not yet polled)
//! ```
//!
//! - **busy**: inside `poll`. High busy time is a task that computes, or blocks.
//! - **scheduled**: woken and waiting in the ready queue. High scheduled time is a loop too
//!   crowded (or a neighbour that holds it): the task could run, but nobody polls it.
//! - **idle**: parked, waiting for its wake. Waiting is what async tasks are for; idle time
//!   is never a problem by itself.
//!
//! A *wake* is a wake that queued the task; a *self-wake* is one the task made while it was
//! being polled (`yield_now`, a waker it called itself). A task that wakes itself at every
//! poll is a busy loop written with `.await`.
//!
//! The times are the runtime's clock, so under the virtual clock they are exact: busy time is
//! zero there, unless `observe::block_for` stands in for a blocking call. Besides the tasks,
//! the runtime keeps a histogram of how long its polls took, in decades of time.
//!
//! ## What this costs, and what it keeps
//!
//! A few additions per poll and per wake, in the task's notes (found by slab slot,
//! task_map.rs), which the observer looks up there anyway. The figures of a task are kept
//! after it ends (so that `task_stats` can show finished tasks), copied to a list in chunks
//! as a record of 48 bytes (`Ended`): a program that spawns a million tasks under debug mode
//! keeps a million small records, as tokio-console keeps its finished tasks until they age
//! out. Off, none of this exists.
//!
//! asyncio: no per-task figures at all; tokio: tokio-console's task list (busy, scheduled,
//! idle, wakes, self-wakes) and its poll-time histogram, fed by `tracing` events.
//!
//! Read next: `dump.rs`, the tasks as they are now.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use super::clock::nanos;
use super::{Observer, WakeCause};
use crate::task_id::TaskId;

/// The figures of one task, finished or not: what [`Runtime::task_stats`] returns.
///
/// asyncio: none; tokio: a row of tokio-console's task list.
///
/// [`Runtime::task_stats`]: crate::Runtime::task_stats
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStats {
    /// The task (`#0` is the main future).
    pub id: TaskId,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// How many times it was polled.
    pub polls: u64,
    /// Time spent inside its polls.
    pub busy: Duration,
    /// Time spent woken (or just spawned) and queued, not yet polled.
    pub scheduled: Duration,
    /// Time spent parked, waiting to be woken.
    pub idle: Duration,
    /// Wakes that queued it (spawn not included).
    pub wakes: u64,
    /// Of those, the ones it made itself while being polled.
    pub self_wakes: u64,
    /// True once it finished, panicked or was cancelled.
    pub ended: bool,
}

/// How many polls took how long: one bucket per decade of time, the runtime's polls since
/// it was built. What [`Runtime::poll_histogram`](crate::Runtime::poll_histogram) returns.
///
/// asyncio: none; tokio: the poll-time histogram of tokio-console (and of `RuntimeMetrics`
/// with `enable_metrics_poll_time_histogram`, unstable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollHistogram {
    /// `counts[i]` polls took less than `BOUNDS[i]` (and at least the bound before it); the
    /// last entry counts the polls of a second or more.
    pub counts: [u64; PollHistogram::BOUNDS.len() + 1],
}

impl PollHistogram {
    /// The upper bounds of the buckets: 10 µs, 100 µs, 1 ms, 10 ms, 100 ms, 1 s.
    pub const BOUNDS: [Duration; 6] = [
        Duration::from_micros(10),
        Duration::from_micros(100),
        Duration::from_millis(1),
        Duration::from_millis(10),
        Duration::from_millis(100),
        Duration::from_secs(1),
    ];

    /// Count a poll of `poll` nanoseconds.
    #[inline]
    fn add(&mut self, poll: u64) {
        // The bounds in nanoseconds, so that a poll is placed without making a `Duration`.
        const NANOS: [u64; PollHistogram::BOUNDS.len()] = {
            let mut nanos = [0; PollHistogram::BOUNDS.len()];
            let mut i = 0;
            while i < nanos.len() {
                nanos[i] = PollHistogram::BOUNDS[i].as_nanos() as u64;
                i += 1;
            }
            nanos
        };
        let bucket = NANOS.iter().position(|bound| poll < *bound);
        self.counts[bucket.unwrap_or(NANOS.len())] += 1;
    }

    /// Every poll counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// One bar per bucket, as wide as its share of the polls.
impl fmt::Display for PollHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LABELS: [&str; 7] =
            ["< 10 µs", "< 100 µs", "< 1 ms", "< 10 ms", "< 100 ms", "< 1 s", ">= 1 s"];
        let total = self.total().max(1);
        writeln!(f, "poll times ({} polls):", self.total())?;
        for (label, count) in LABELS.iter().zip(self.counts) {
            let bar = "#".repeat(usize::try_from(count * 40 / total).unwrap_or(40));
            let bar = if count > 0 && bar.is_empty() { "." } else { &bar };
            writeln!(f, "{}", format!("  {label:>8} {count:>7} {bar}").trim_end())?;
        }
        Ok(())
    }
}

/// A table of `stats`, one row per task, then the histogram: what `--stats` prints.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().trace().build().unwrap();
/// rt.block_on(async { glassloop::time::sleep(std::time::Duration::from_secs(1)).await });
/// let table = glassloop::observe::stats_table(&rt.task_stats(), &rt.poll_histogram());
/// assert!(table.contains("main future #0"));
/// ```
pub fn stats_table(stats: &[TaskStats], histogram: &PollHistogram) -> String {
    let mut out = format!(
        "{:<24} {:>6} {:>10} {:>10} {:>10} {:>6} {:>6}  state\n",
        "task", "polls", "busy", "scheduled", "idle", "wakes", "self"
    );
    for task in stats {
        let label = super::label(task.name.as_deref(), task.id);
        let _ = writeln!(
            out,
            "{label:<24} {:>6} {:>10} {:>10} {:>10} {:>6} {:>6}  {}",
            task.polls,
            super::detector::secs(task.busy),
            super::detector::secs(task.scheduled),
            super::detector::secs(task.idle),
            task.wakes,
            task.self_wakes,
            match (task.id, task.ended) {
                (TaskId::MAIN, _) => "block_on",
                (_, true) => "ended",
                (_, false) => "live",
            },
        );
    }
    out.push_str(&histogram.to_string());
    out
}

/// Where one task is now, and its running totals: kept in the task's notes while it lives
/// (one look-up per poll serves both), copied into a compact record in [`Stats`] when they
/// go. Times are whole nanoseconds of the runtime's clock: adding `u64`s at every poll and
/// wake is cheaper than adding `Duration`s, which carry seconds and nanoseconds apart, and
/// exact all the same.
///
/// The whole tally is 72 bytes, a cache line and a bit: with a thousand tasks taking turns,
/// each poll finds its task's notes out of the processor's nearest cache, and every line
/// they span is one more miss per poll.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    polls: u64,
    busy: u64,
    scheduled: u64,
    idle: u64,
    wakes: u64,
    self_wakes: u64,
    /// The state it is in, and since when.
    state: Since,
    ended: bool,
}

/// The one state of the picture above a task is in, with the time it entered it. One at a
/// time: wakes are attributed between polls (at the end of a phase), never during one, so
/// a task is never woken while it is being polled; and a task is polled only once woken
/// (invariant 1 of executor/mod.rs).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Since {
    /// None of them: it ended, or its last poll finished it.
    #[default]
    Nothing,
    /// Queued since this time (spawned or woken), not yet polled.
    Ready(u64),
    /// Being polled since this time.
    Polling(u64),
    /// Parked since this time.
    Idle(u64),
}

impl Tally {
    /// A task spawned at `at`: queued for its first poll.
    pub(crate) fn spawned(at: Duration) -> Tally {
        Tally { state: Since::Ready(nanos(at)), ..Tally::default() }
    }

    /// A poll began at `at` (nanoseconds, as every time the poll path hands over).
    #[inline]
    pub(crate) fn poll_started(&mut self, at: u64) {
        if let Since::Ready(since) = self.state {
            self.scheduled += at.saturating_sub(since);
        }
        self.state = Since::Polling(at);
    }

    /// The poll ended at `at` (`pending`: the task now waits); returns how long it took, if
    /// its start was seen.
    #[inline]
    pub(crate) fn poll_ended(&mut self, at: u64, pending: bool) -> Option<u64> {
        let poll = match self.state {
            Since::Polling(since) => Some(at.saturating_sub(since)),
            _ => None,
        };
        self.busy += poll.unwrap_or_default();
        self.polls += 1;
        if pending {
            self.state = Since::Idle(at);
        } else if poll.is_some() {
            self.state = Since::Nothing;
        }
        poll
    }

    /// Woken at `at` by `cause`. A task that has ended is not woken: a wake can still reach
    /// the notes of one that aborted itself, which stay until its pass ends.
    #[inline]
    pub(crate) fn woken(&mut self, at: u64, cause: WakeCause) {
        if self.ended {
            return;
        }
        self.wakes += 1;
        self.self_wakes += u64::from(cause == WakeCause::Itself);
        match self.state {
            Since::Idle(since) => self.idle += at.saturating_sub(since),
            Since::Ready(_) => return, // queued already: it stays ready since then
            Since::Nothing | Since::Polling(_) => {}
        }
        self.state = Since::Ready(at);
    }

    /// Left the loop at `at`: whatever it was doing ends there.
    pub(crate) fn ended(&mut self, at: Duration) {
        let at = nanos(at);
        match self.state {
            Since::Idle(since) => self.idle += at.saturating_sub(since),
            Since::Ready(since) => self.scheduled += at.saturating_sub(since),
            Since::Nothing | Since::Polling(_) => {}
        }
        if !matches!(self.state, Since::Polling(_)) {
            self.state = Since::Nothing;
        }
        self.ended = true;
    }

    /// The figures as of `now` (a state still going on counted up to now).
    fn figures(&self, id: TaskId, name: Option<&str>, now: Duration) -> TaskStats {
        let now = nanos(now);
        // A state still going on counts up to now, in the total it adds to.
        let upto = |total: u64, state: fn(Since) -> Option<u64>| {
            Duration::from_nanos(total + state(self.state).map_or(0, |s| now.saturating_sub(s)))
        };
        TaskStats {
            id,
            name: name.map(str::to_string),
            polls: self.polls,
            busy: upto(self.busy, |s| if let Since::Polling(at) = s { Some(at) } else { None }),
            scheduled: upto(
                self.scheduled,
                |s| if let Since::Ready(at) = s { Some(at) } else { None },
            ),
            idle: upto(self.idle, |s| if let Since::Idle(at) = s { Some(at) } else { None }),
            wakes: self.wakes,
            self_wakes: self.self_wakes,
            ended: self.ended,
        }
    }
}

/// A task whose notes are gone: its id and its last figures, in 48 bytes. Its state is not
/// kept (an ended task is in none: `Tally::ended`) nor its `ended` flag (always true here),
/// and its name, which few tasks have, is kept beside, in [`Stats::names`]. The slot and the
/// three counts are kept in 32 bits; a task polled or woken four billion times (or a slot
/// past four billion) is kept whole, in [`Stats::outsized`]. Every spawned task leaves one
/// of these for good, so each byte is paid a hundred thousand times in a program that
/// spawns a hundred thousand tasks: writing them is a stream of fresh memory, and the whole
/// tally with the id and the name (104 bytes) cost a spawn and join some 13 ns in debug mode.
#[derive(Debug)]
struct Ended {
    generation: u64,
    busy: u64,
    scheduled: u64,
    idle: u64,
    slot: u32,
    polls: u32,
    wakes: u32,
    self_wakes: u32,
}

impl Ended {
    /// The figures of an ended task: nothing is still going on.
    fn figures(&self, name: Option<&str>) -> TaskStats {
        TaskStats {
            id: TaskId { slot: self.slot as usize, generation: self.generation },
            name: name.map(str::to_string),
            polls: self.polls.into(),
            busy: Duration::from_nanos(self.busy),
            scheduled: Duration::from_nanos(self.scheduled),
            idle: Duration::from_nanos(self.idle),
            wakes: self.wakes.into(),
            self_wakes: self.self_wakes.into(),
            ended: true,
        }
    }
}

/// How many ended tasks' figures one chunk of [`Stats`] holds (24 kB).
const CHUNK: usize = 512;

/// The figures of tasks whose notes are gone, and the runtime's histogram.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// In chunks of [`CHUNK`]: a program that spawns a million tasks grows this a chunk at a
    /// time, and never copies what it already keeps (one long vector copied it all at every
    /// doubling, a third of debug mode's cost per spawned task).
    finished: Vec<Vec<Ended>>,
    /// The names of the named ones, each with its place in `finished` counted from the
    /// first (`CHUNK` to a chunk), in that order.
    names: Vec<(usize, Arc<str>)>,
    /// The figures of ended tasks too large for an [`Ended`], whole (none, in practice).
    outsized: Vec<TaskStats>,
    histogram: PollHistogram,
}

impl Stats {
    /// Count one poll of `poll` nanoseconds in the histogram.
    #[inline]
    pub(crate) fn add_poll(&mut self, poll: u64) {
        self.histogram.add(poll);
    }

    /// Keep the figures of a task whose notes are dropped, from its tally (ended: it is in no
    /// state any more).
    #[inline]
    pub(crate) fn keep(&mut self, id: TaskId, name: Option<Arc<str>>, tally: &Tally) {
        debug_assert!(
            tally.ended && tally.state == Since::Nothing,
            "task {id:?}'s tally was kept before it ended: its last state would be lost"
        );
        let small = |count: u64| u32::try_from(count).ok();
        let (slot, counts) = (small(id.slot as u64), (tally.polls, tally.wakes, tally.self_wakes));
        let ended = match (slot, small(counts.0), small(counts.1), small(counts.2)) {
            (Some(slot), Some(polls), Some(wakes), Some(self_wakes)) => Ended {
                generation: id.generation,
                busy: tally.busy,
                scheduled: tally.scheduled,
                idle: tally.idle,
                slot,
                polls,
                wakes,
                self_wakes,
            },
            _ => return self.keep_outsized(id, name, tally),
        };
        let room = matches!(self.finished.last(), Some(chunk) if chunk.len() < CHUNK);
        if !room {
            self.finished.push(Vec::with_capacity(CHUNK)); // once every CHUNK tasks
        }
        let chunks = self.finished.len();
        let chunk = self.finished.last_mut().expect("a chunk with room was just made sure of");
        if let Some(name) = name {
            self.names.push(((chunks - 1) * CHUNK + chunk.len(), name));
        }
        chunk.push(ended);
    }

    /// Keep the figures of an ended task too large for an [`Ended`], as its row.
    #[cold]
    fn keep_outsized(&mut self, id: TaskId, name: Option<Arc<str>>, tally: &Tally) {
        // It is in no state any more, so the figures are the same at any time.
        self.outsized.push(tally.figures(id, name.as_deref(), Duration::ZERO));
    }

    /// The runtime's poll-time histogram.
    pub(crate) fn histogram(&self) -> PollHistogram {
        self.histogram.clone()
    }
}

impl Observer {
    /// Are figures kept? With debug mode or tracing on (both time every poll).
    pub(crate) fn keeps_stats(&self) -> bool {
        self.options.debug || self.options.trace
    }

    /// Every task's figures, by id, as of `now`: the live ones from their notes, then the
    /// ones whose notes are gone.
    pub(crate) fn task_stats(&self, now: Duration) -> Vec<TaskStats> {
        let tasks = self.tasks.borrow();
        let stats = self.stats.borrow();
        let live =
            tasks.iter().map(|(id, notes)| notes.tally.figures(id, notes.name.as_deref(), now));
        let mut names = stats.names.iter().peekable();
        let gone = stats.finished.iter().flatten().enumerate().map(|(place, ended)| {
            let name = names.next_if(|(named, _)| *named == place).map(|(_, name)| &**name);
            ended.figures(name)
        });
        let gone = gone.chain(stats.outsized.iter().cloned());
        let mut rows: Vec<TaskStats> = live.chain(gone).collect();
        rows.sort_by_key(|row| row.id.number());
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_task_too_large_for_a_compact_record_keeps_its_figures_whole() {
        let mut stats = Stats::default();
        let tally = |polls: u64| Tally { polls, busy: 7, ended: true, ..Tally::default() };
        let (small, large) = (TaskId { slot: 1, generation: 2 }, TaskId { slot: 3, generation: 4 });
        stats.keep(small, Some("small".into()), &tally(1));
        stats.keep(large, None, &tally(u64::from(u32::MAX) + 1));
        assert_eq!((stats.finished.len(), stats.outsized.len()), (1, 1));
        let compact = stats.finished[0].iter().map(|ended| ended.figures(None));
        let rows: Vec<TaskStats> = compact.chain(stats.outsized.iter().cloned()).collect();
        assert_eq!((rows[0].id, rows[0].polls), (small, 1));
        assert_eq!((rows[1].id, rows[1].polls), (large, u64::from(u32::MAX) + 1));
        assert!(rows.iter().all(|row| row.ended && row.busy == Duration::from_nanos(7)));
        assert_eq!(stats.names.len(), 1, "only the named one has a name kept");
    }
}
