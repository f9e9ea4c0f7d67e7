//! # The executor: one loop, four steps
//!
//! This file is the event loop itself. Everything else in the crate exists to be called from
//! here or to call back into here through a waker.
//!
//! ```text
//!            ┌───────────────────────── Runtime::tick ─────────────────────────┐
//!            │                                                                  │
//!   ready ──►│ 1. RUN    pop the ids that are ready now, poll each task once    │
//!   queue    │ 2. DECIDE how long we may sleep: 0 / until next timer / forever  │
//!            │ 3. PARK   mio::Poll::poll(timeout); readiness wakes I/O waiters  │
//!            │ 4. FIRE   move the clock on, fire expired timers (wake sleepers) │
//!            └──────────────────────────────────────────────────────────────────┘
//!                  wakes from steps 1, 3 and 4 (and other threads) refill the queue
//! ```
//!
//! `block_on` repeats `tick` until the main future is done, then drops every task that is
//! still pending, as `asyncio.run` does. `step` runs one `tick` with no main future, and never
//! waits in step 3: where `block_on` would park until woken, a step only looks and returns.
//! Under the virtual clock, step 4 does not jump while work announced as running outside the
//! loop (a blocking job, an `OutsideWork`) is in flight; the loop parks until that work rings.
//!
//! ## Where the state lives
//!
//! The runtime's state is a [`Core`] behind an `Rc`. While a runtime runs, a thread-local
//! (`CURRENT`, in context.rs) points at it, so `spawn`, `sleep` and `Instant::now` can find "the current
//! loop" without being handed it, the same trick as asyncio's `get_running_loop()` and tokio's
//! runtime context. Every part of `Core` that changes sits in a `Cell`/`RefCell` that is
//! borrowed only for a few lines and never across a poll (or in an atomic, where other threads
//! touch it): a task being polled may spawn, abort, sleep, or drop a socket, and all of those
//! touch `Core` again.
//!
//! ## Shortcuts, honestly
//!
//! - One thread. tokio's multi-thread runtime has a run queue per worker and steals work;
//!   glassloop has one FIFO and no `Send` bound, like asyncio.
//! - A plain FIFO. tokio keeps a "LIFO slot" so a task woken by the task that just ran (a
//!   message handed over a channel) runs next while its data is hot in cache.
//! - A fixed batch per pass and no cooperative budget. tokio also forces a task that has done
//!   128 operations in one poll to yield; here a task that never awaits holds the loop, which is
//!   exactly what the course wants you to see.
//!
//! Read next: `context.rs` (how `spawn` finds this loop) and `builder.rs` (its options), then
//! `time/wheel.rs`, where sleeping tasks wait.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crossbeam_channel::Receiver;
use futures_task::waker_ref;
use slab::Slab;

use crate::builder::Builder;
use crate::context::{enter_for_drop, in_runtime, EnterGuard};
use crate::observe::detector::PollOutcome;
use crate::observe::schedule::{Reorder, Schedule};
use crate::observe::{EventKind, Observer};
use crate::reactor::Reactor;
use crate::task::{spawn_on, JoinHandle, Task, TaskId};
use crate::time::clock::Clock;
use crate::time::wheel::Wheel;
use crate::time::Instant;
use crate::waker::{TaskWaker, Unparker};

/// How many ready tasks one pass of step 1 polls at most before looking at timers and I/O.
/// asyncio runs every callback that was ready at the start of the pass; tokio's
/// current_thread runtime polls up to 61 tasks between looks at I/O (its `event_interval`).
pub const DEFAULT_BATCH: usize = 61;

// ───────────────────────────── Core: the loop's state ─────────────────────────────

/// The state of one runtime. Shared (`Rc`) by the `Runtime`, the thread-local, join handles,
/// timers and sockets.
pub(crate) struct Core {
    /// Every live spawned task. Inserted by `spawn`, removed when a task ends or is aborted.
    pub(crate) tasks: RefCell<Slab<Task>>,
    /// The receiving end of the ready queue; only the loop pops.
    ready_rx: Receiver<TaskId>,
    /// The sending end, the `parked` flag and the doorbell, shared with every waker.
    pub(crate) unparker: Arc<Unparker>,
    /// Spawn counter; the next task's generation. Starts at 1 (0 is the main future).
    next_generation: Cell<u64>,
    /// Real or virtual time.
    pub(crate) clock: Clock,
    /// Sleeping tasks' wakers, keyed by deadline in milliseconds since the clock's origin.
    pub(crate) timers: RefCell<Wheel<Waker>>,
    /// mio's Poll and the I/O registrations.
    pub(crate) reactor: Reactor,
    /// Work in flight outside the loop that will wake a task when done (blocking jobs). While
    /// it is non-zero the virtual clock does not jump: it cannot know how long that work takes.
    pub(crate) holds: Arc<AtomicUsize>,
    /// The threads that run `spawn_blocking` jobs (blocking.rs). Threads start on demand.
    pub(crate) blocking: crate::blocking::Pool,
    /// The waker of the future given to `block_on`, while it runs.
    pub(crate) main_waker: RefCell<Option<Arc<TaskWaker>>>,
    /// Step 1 polls at most this many tasks per pass.
    batch: usize,
    /// Counters for tests and reports.
    pub(crate) stats: Stats,
    /// Debug mode, tracing and narration (observe/). `None` when all are off: then every
    /// hook below is one untaken branch.
    pub(crate) observer: Option<Box<Observer>>,
    /// A non-FIFO order for step 1 (observe/schedule.rs); `None` for FIFO.
    reorder: Option<Reorder>,
}

/// Counters kept by the loop, cheap enough to keep always.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) ticks: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) spawned: Cell<u64>,
}

impl Core {
    /// Insert a new task built by `make` (which receives the id) and queue it for its first
    /// poll.
    pub(crate) fn insert_task(
        &self,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
        make: impl FnOnce(TaskId) -> Pin<Box<dyn Future<Output = ()>>>,
    ) -> TaskId {
        let generation = self.next_generation.get();
        self.next_generation.set(generation + 1);
        self.stats.spawned.set(self.stats.spawned.get() + 1);
        let mut tasks = self.tasks.borrow_mut();
        // region: insert_task
        let entry = tasks.vacant_entry();
        let id = TaskId {
            slot: entry.key(),
            generation,
        };
        let waker = TaskWaker::new(id, self.unparker.clone());
        entry.insert(Task {
            id,
            name: name.clone(),
            spawned_at,
            future: Some(make(id)),
            waker,
            polls: 0,
        });
        drop(tasks);
        if let Some(obs) = &self.observer {
            obs.task_spawned(self, id, name.as_deref(), spawned_at);
        }
        // A new task starts out scheduled (its flag is already true): queue its first poll.
        self.push_ready(id);
        // endregion: insert_task
        id
    }

    /// Put an id on the ready queue directly (the task's `scheduled` flag is already set).
    fn push_ready(&self, id: TaskId) {
        // The receiver is owned by this same Core, so the channel cannot be disconnected.
        let _ = self.unparker.ready_tx.send(id);
    }

    /// How many ids wait in the ready queue.
    pub(crate) fn ready_len(&self) -> usize {
        self.ready_rx.len()
    }

    /// The ids in the ready queue, oldest first, leaving the queue as it was. Step mode and
    /// `Runtime::describe_loop` only: a channel cannot be peeked, so this drains and re-sends.
    pub(crate) fn peek_ready(&self) -> Vec<TaskId> {
        let ids: Vec<TaskId> = self.ready_rx.try_iter().collect();
        for id in &ids {
            self.push_ready(*id);
        }
        ids
    }

    /// Remove task `id` and drop its future. Used by `JoinHandle::abort`.
    pub(crate) fn abort(&self, id: TaskId) {
        let removed = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get(id.slot) {
                Some(task) if task.id == id => Some(tasks.remove(id.slot)),
                _ => None, // already finished or aborted
            }
        };
        if let (Some(obs), true) = (&self.observer, removed.is_some()) {
            obs.task_ended(self, id, EventKind::Cancelled);
        }
        // Drop outside the borrow: the future's destructors may spawn, abort or cancel timers.
        // If the task is aborting itself, its future is out on the stack in `poll_task`, the
        // record's `future` is None, and `poll_task` drops the future when the poll returns.
        drop(removed);
    }

    /// Drop every remaining task (invariant 11). Destructors may touch the runtime, so each
    /// is dropped outside the borrow, and tasks they spawn are dropped too.
    fn drop_all_tasks(&self) {
        loop {
            let drained: Vec<Task> = self.tasks.borrow_mut().drain().collect();
            if drained.is_empty() {
                break;
            }
            if let Some(obs) = &self.observer {
                for task in &drained {
                    obs.task_ended(self, task.id, EventKind::Cancelled);
                }
            }
            drop(drained);
        }
        while self.ready_rx.try_recv().is_ok() {}
    }
}

// ───────────────────────────── Runtime ─────────────────────────────

/// A single-threaded event loop: tasks, a ready queue, a reactor and a timer wheel.
///
/// asyncio: the event loop (`asyncio.run`, `loop.run_until_complete`); tokio: a
/// `current_thread` runtime with a `LocalSet`.
pub struct Runtime {
    pub(crate) core: Rc<Core>,
}

/// What one call to [`Runtime::step`] did. Lets tests and classroom tools watch the loop turn
/// by turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Tasks polled in step 1 (the main future counts when it was polled).
    pub polled: usize,
    /// Readiness events dispatched in step 3.
    pub io_events: usize,
    /// Timers that fired in step 4.
    pub timers_fired: usize,
    /// The clock after the tick.
    pub now: Instant,
    /// True if nothing can ever happen again: no task is ready and nothing holds a waker, or,
    /// under the virtual clock, no timer, socket waiter or outside work is left (wakers held
    /// inside the loop cannot make time pass). Steps 3 and 4 did not run.
    pub stalled: bool,
}

/// Whether the loop may sleep this tick, decided in step 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Park {
    /// Look at I/O without sleeping.
    DontSleep,
    /// Sleep at most this long.
    AtMost(Duration),
    /// Sleep until an I/O event or a wake from another thread.
    UntilWoken,
    /// Nothing can ever wake anything: report instead of hanging.
    Stalled,
}

impl Park {
    /// The timeout for `mio::Poll::poll`: zero (only look), at most a duration, or `None`
    /// (until woken). A stall is never parked on; it only looks.
    fn timeout(self) -> Option<Duration> {
        match self {
            Park::DontSleep | Park::Stalled => Some(Duration::ZERO),
            Park::AtMost(duration) => Some(duration),
            Park::UntilWoken => None,
        }
    }

    /// The park for a timeout, the inverse of [`Park::timeout`]: the observer may shorten a
    /// park by giving back a different timeout.
    fn from_timeout(timeout: Option<Duration>) -> Park {
        match timeout {
            Some(Duration::ZERO) => Park::DontSleep,
            Some(duration) => Park::AtMost(duration),
            None => Park::UntilWoken,
        }
    }
}

impl Runtime {
    /// Put a runtime together from a builder's settings: the reactor and its doorbell, the
    /// ready queue, the clock, the wheel, the blocking pool, the observer.
    pub(crate) fn from_builder(settings: Builder) -> io::Result<Runtime> {
        let (reactor, doorbell) = Reactor::new()?;
        let (ready_tx, ready_rx) = crossbeam_channel::unbounded();
        let reorder = Reorder::new(Schedule::from_env().unwrap_or(settings.observe.schedule));
        let observer = Observer::from_options(settings.observe.with_env());
        let unparker = Arc::new(Unparker {
            wake_log: observer.as_ref().and_then(|obs| obs.wake_log.clone()),
            ready_tx,
            parked: AtomicBool::new(false),
            doorbell,
            doorbell_rings: AtomicUsize::new(0),
        });
        let clock = if settings.virtual_clock {
            Clock::new_virtual()
        } else {
            Clock::new_real()
        };
        let core = Core {
            tasks: RefCell::new(Slab::new()),
            ready_rx,
            unparker,
            next_generation: Cell::new(1),
            clock,
            timers: RefCell::new(Wheel::new()),
            reactor,
            holds: Arc::new(AtomicUsize::new(0)),
            blocking: crate::blocking::Pool::new(settings.blocking),
            main_waker: RefCell::new(None),
            batch: settings.batch,
            stats: Stats::default(),
            observer,
            reorder,
        };
        Ok(Runtime {
            core: Rc::new(core),
        })
    }

    /// A runtime with the real clock. Same as `Runtime::builder().build()`.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Start configuring a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Run `future` to completion on this thread, driving every task it spawns, and return its
    /// output. Tasks still pending when it completes are dropped (cancelled).
    ///
    /// asyncio: `loop.run_until_complete` / `asyncio.run`; tokio: `Runtime::block_on`.
    ///
    /// # Panics
    /// If called while a glassloop runtime is already running on this thread (use `.await`
    /// instead); if the main future panics (the panic is passed on); if the loop stalls: the
    /// main future is waiting but no task is ready and no waker exists that could ever wake
    /// one (the message lists the pending tasks).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = EnterGuard::enter(&self.core, "Runtime::block_on / glassloop::run");
        // Whatever happens (even a panic), the tasks left over are dropped before we return.
        let _shutdown = ShutdownGuard(&self.core);
        let mut main = MainTask {
            future: pin!(future),
            output: None,
        };
        let waker = TaskWaker::new(TaskId::MAIN, self.core.unparker.clone());
        *self.core.main_waker.borrow_mut() = Some(waker);
        if let Some(obs) = &self.core.observer {
            obs.task_spawned(&self.core, TaskId::MAIN, None, Location::caller());
        }
        self.core.push_ready(TaskId::MAIN);
        loop {
            let tick = self.tick(&mut main);
            if let Some(output) = main.output.take() {
                return output;
            }
            if tick.stalled {
                panic!("{}", self.stall_report());
            }
        }
    }

    /// Spawn a task on this runtime from outside it (before `block_on` or between `step`s).
    ///
    /// asyncio: `loop.create_task`; tokio: `Runtime::spawn`.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, None, Location::caller(), future)
    }

    /// Turn the loop once without a main future, and report what happened. Never sleeps
    /// longer than until the next timer, and never waits for I/O or another thread: where
    /// `block_on` would park until woken, a step only looks (a zero timeout) and returns, so a
    /// test that steps the loop cannot hang. This is how the invariant tests take one step at a
    /// time.
    pub fn step(&self) -> Tick {
        let _enter = EnterGuard::enter(&self.core, "Runtime::step");
        self.tick(&mut NoMain)
    }

    /// The current time on this runtime's clock.
    pub fn now(&self) -> Instant {
        Instant::from_duration(self.core.clock.now())
    }

    /// True if this runtime uses the virtual clock.
    pub fn is_virtual_clock(&self) -> bool {
        self.core.clock.is_virtual()
    }

    /// How many tasks are alive (spawned and neither finished nor dropped).
    pub fn live_tasks(&self) -> usize {
        self.core.tasks.borrow().len()
    }

    /// How many turns (ticks) the loop has made since the runtime was built.
    pub fn ticks(&self) -> u64 {
        self.core.stats.ticks.get()
    }

    /// How many times a cross-thread wake had to ring the reactor's doorbell to unpark the
    /// loop (invariant 10's evidence).
    pub fn doorbell_rings(&self) -> usize {
        self.core.unparker.doorbell_rings.load(Ordering::Relaxed)
    }

    // ─────────────── the tick ───────────────

    /// One turn of the loop. Its contract, step by step (the code below follows it):
    ///
    /// 1. **Run.** Count the ids in the ready queue *now* (at most the batch size) and poll that
    ///    many, oldest first (or LIFO, or shuffled by a seed: observe/schedule.rs). Tasks woken
    ///    during this pass, including a task that wakes itself,
    ///    go to the back and wait for the next pass, so timers and I/O get a look in between
    ///    (invariants 3 and 4). A stale id (finished or aborted task, reused slot) is skipped
    ///    (invariant 7). If the main future completes, the tick ends at once.
    /// 2. **Decide how long to sleep.** Zero if anything is ready. Otherwise, with the real
    ///    clock, until the timer wheel's next expiration, or with no timers until woken. With
    ///    the virtual clock, zero whenever a timer exists (time will jump in step 4), except
    ///    while outside work (a blocking job, an `OutsideWork`) is in flight: virtual time
    ///    holds still for it, so the loop parks until woken, as it does when only I/O can make
    ///    progress. `step` never waits: a park until woken becomes a look. If nothing at all
    ///    holds a waker, the loop is stalled and says so instead of sleeping forever; with the
    ///    virtual clock it is stalled as soon as no timer, socket or outside work is left,
    ///    because wakers held inside the loop (a channel nobody sends on) cannot make time
    ///    pass.
    /// 3. **Park** in `mio::Poll::poll` for that long. Readiness events wake the tasks waiting on
    ///    those sockets; a wake from another thread rings the doorbell and ends the sleep
    ///    (invariant 10).
    /// 4. **Fire timers.** With the virtual clock and nothing ready and no outside work in
    ///    flight, first jump the clock to the next deadline (over the wheel's cascade points,
    ///    which fire nothing). Then advance the wheel to the clock's now and wake every
    ///    expired timer, in deadline order (invariant 5).
    ///
    /// In debug mode, tracing, narration or step mode, hooks into `observe/` watch these steps
    /// (time each poll, note wakes, print the phases, pause before the tick) without changing
    /// what they decide. One hook may change a park: in debug mode, a park until woken that
    /// only hidden wakers could end is cut to one slow-poll threshold, to report a possible
    /// stall (`park_observed`, observe/ticks.rs). Switched off, each hook is one untaken branch.
    fn tick(&self, main: &mut dyn PollMain) -> Tick {
        let core = &*self.core;
        if let Some(obs) = core.observer.as_ref().filter(|obs| obs.options.step) {
            obs.pause_for_step(core, &core.peek_ready());
        }
        core.stats.ticks.set(core.stats.ticks.get() + 1);

        // 1. Run.
        // region: step_1_run
        let batch = core.ready_rx.len().min(core.batch);
        // Seeded scheduling (observe/schedule.rs) takes the batch and reorders it; FIFO pops.
        let reordered = core
            .reorder
            .as_ref()
            .map(|r| r.take_batch(&core.ready_rx, batch));
        let mut polled = 0;
        for i in 0..batch {
            let next = match &reordered {
                None => core.ready_rx.try_recv().ok(),
                Some(ids) => ids.get(i).copied(),
            };
            let Some(id) = next else {
                break;
            };
            if id == TaskId::MAIN {
                match self.poll_main(main) {
                    Some(true) => return self.tick_report(polled + 1, 0, 0, false),
                    Some(false) => polled += 1,
                    None => {}
                }
            } else if self.poll_task(id) {
                polled += 1;
            }
        }
        // endregion: step_1_run
        if let Some(obs) = &core.observer {
            obs.pass_ended(core, polled);
        }

        // 2. Decide how long to sleep.
        let mut park = self.park_decision();
        if park == Park::UntilWoken && !main.may_wait() {
            park = Park::DontSleep; // `step`: look, don't wait
        }
        if park == Park::Stalled {
            return self.tick_report(polled, 0, 0, true);
        }

        // 3. Park.
        let io_events = match &core.observer {
            None => self.park(park),
            Some(obs) => self.park_observed(obs, park),
        };

        // 4. Fire timers.
        let timers_fired = self.fire_timers();
        if let Some(obs) = &core.observer {
            obs.after_fire(core, timers_fired);
        }

        self.tick_report(polled, io_events, timers_fired, false)
    }

    /// Poll the main future once. Returns whether it has completed, or None if there is no
    /// main future (`step` runs without one; a stray MAIN id is ignored).
    fn poll_main(&self, main: &mut dyn PollMain) -> Option<bool> {
        let core = &*self.core;
        let task_waker = core.main_waker.borrow().clone()?;
        // A waker of an earlier `block_on`'s main future may have queued a MAIN id after that
        // call ended; the flag of this call's waker says whether *this* main future was woken
        // (invariant 2 for the main future).
        if !task_waker.scheduled.swap(false, Ordering::SeqCst) {
            return None;
        }
        core.stats.polls.set(core.stats.polls.get() + 1);
        let watch = core
            .observer
            .as_ref()
            .map(|obs| obs.poll_started(core, TaskId::MAIN, core.ready_rx.len()));
        let done = {
            let waker = waker_ref(&task_waker);
            let mut cx = Context::from_waker(&waker);
            main.poll_main(&mut cx)
        };
        if let (Some(obs), Some(watch)) = (&core.observer, watch) {
            let outcome = if done {
                PollOutcome::Finished
            } else {
                PollOutcome::Pending
            };
            obs.poll_ended(core, TaskId::MAIN, watch, outcome, &task_waker);
        }
        Some(done)
    }

    /// Poll one spawned task once. Returns false if the id was stale (nothing polled).
    /// A good breakpoint: `break glassloop::executor::Runtime::poll_task`.
    fn poll_task(&self, id: TaskId) -> bool {
        let core = &*self.core;
        // Take the future out of the slab so that, while it runs, the task may spawn, abort
        // or finish other tasks (all of which borrow the slab).
        let (mut future, waker) = {
            let mut tasks = core.tasks.borrow_mut();
            let Some(task) = tasks.get_mut(id.slot) else {
                return false; // freed since it was woken
            };
            if task.id != id {
                return false; // the slot now holds a newer task: a stale waker (invariant 7)
            }
            let Some(future) = task.future.take() else {
                unreachable!("task {id:?} is queued while it is being polled");
            };
            task.polls += 1;
            (future, task.waker.clone())
        };
        // region: poll_task
        // Clear the flag *before* polling: a wake that happens during this poll must queue
        // the task again (invariant 4), and any number of wakes before the next poll add one
        // entry (invariant 2).
        waker.scheduled.store(false, Ordering::SeqCst);
        core.stats.polls.set(core.stats.polls.get() + 1);
        let watch = core
            .observer
            .as_ref()
            .map(|obs| obs.poll_started(core, id, core.ready_rx.len()));

        let poll = {
            let waker = waker_ref(&waker);
            let mut cx = Context::from_waker(&waker);
            future.as_mut().poll(&mut cx)
        };
        // endregion: poll_task

        let mut tasks = core.tasks.borrow_mut();
        // region: task_done
        let still_ours = matches!(tasks.get(id.slot), Some(task) if task.id == id);
        let outcome = match poll {
            Poll::Pending if still_ours => {
                tasks[id.slot].future = Some(future);
                PollOutcome::Pending
            }
            Poll::Ready(()) if still_ours => {
                let finished = tasks.remove(id.slot);
                drop(tasks);
                drop(finished); // invariant 7: gone from the slab, never polled again
                drop(future);
                PollOutcome::Finished
            }
            _ => {
                // The task aborted itself during the poll; its record is already gone.
                drop(tasks);
                drop(future);
                PollOutcome::AbortedItself
            }
        };
        if let (Some(obs), Some(watch)) = (&core.observer, watch) {
            obs.poll_ended(core, id, watch, outcome, &waker);
            if outcome == PollOutcome::Finished {
                obs.task_ended(core, id, EventKind::Finished);
            }
        }
        // endregion: task_done
        true
    }

    /// Step 2: how long may the loop sleep?
    fn park_decision(&self) -> Park {
        let core = &*self.core;
        if !core.ready_rx.is_empty() {
            return Park::DontSleep;
        }
        let outside_work = core.holds.load(Ordering::SeqCst) > 0;
        let next_timer = core.timers.borrow().next_expiration();
        match next_timer {
            // Virtual time cannot move while outside work runs, so sleeping for a virtual
            // distance would only wake the loop for nothing: wait for the work to ring.
            Some(_) if core.clock.is_virtual() && outside_work => Park::UntilWoken,
            Some(_) if core.clock.is_virtual() => Park::DontSleep,
            Some(at_ms) => {
                let deadline = Duration::from_millis(at_ms);
                Park::AtMost(deadline.saturating_sub(core.clock.now()))
            }
            // Under the virtual clock, waiting for a waker held inside the loop (a channel) or
            // by a thread that did not announce itself with `holds` would wait forever: no
            // time passes. So there it is a stall even while wakers exist.
            None if !outside_work
                && !core.reactor.has_waiters()
                && (core.clock.is_virtual() || self.is_stalled()) =>
            {
                Park::Stalled
            }
            None => Park::UntilWoken,
        }
    }

    /// Step 3: sleep in the reactor. Returns how many I/O events were dispatched.
    ///
    /// The lost-wake-up race, and how it is avoided: another thread may wake a task just as
    /// the loop decides to sleep. If the loop checked the queue, *then* the waker pushed its id,
    /// *then* the loop slept, the wake would be lost until some unrelated event. So the loop
    /// first sets `parked = true`, then checks the queue once more; a waker first pushes its id,
    /// then reads `parked`. With sequentially consistent ordering on both sides, at least one
    /// of them sees the other: either the loop sees the id and does not sleep, or the waker
    /// sees `parked` and rings the doorbell, which makes `poll` return at once.
    fn park(&self, park: Park) -> usize {
        let core = &*self.core;
        let timeout = park.timeout();
        if timeout == Some(Duration::ZERO) {
            return core.reactor.poll_events(timeout, None);
        }
        core.unparker.parked.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        let timeout = if core.ready_rx.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO) // a wake slipped in between step 2 and now
        };
        // The reactor clears `parked` as soon as the kernel returns, before it wakes the I/O
        // waiters: those wakes come from this thread and need no doorbell.
        core.reactor
            .poll_events(timeout, Some(&core.unparker.parked))
    }

    /// Step 3 in debug mode, tracing or narration: the observer sees the park and may shorten
    /// a forever-park to report a possible stall (observe/ticks.rs).
    fn park_observed(&self, obs: &Observer, park: Park) -> usize {
        let core = &*self.core;
        let only_hidden_wakers = park == Park::UntilWoken
            && core.holds.load(Ordering::SeqCst) == 0
            && !core.reactor.has_waiters();
        let timeout = obs.before_park(core, park.timeout(), only_hidden_wakers);
        let probed = only_hidden_wakers && timeout.is_some();
        let events = self.park(Park::from_timeout(timeout));
        obs.after_park(core, events, probed, core.ready_rx.is_empty(), || {
            self.dump()
        });
        events
    }

    /// Step 4: move time on and wake expired timers. Returns how many fired.
    /// A good breakpoint: `break glassloop::executor::Runtime::fire_timers`.
    fn fire_timers(&self) -> usize {
        let core = &*self.core;
        // Nothing can happen before the next timer, so skip the wait: this is the whole trick
        // of the virtual clock.
        let jump = core.clock.is_virtual()
            && core.ready_rx.is_empty()
            && core.holds.load(Ordering::SeqCst) == 0;
        // region: fire_timers
        let mut fired = Vec::new();
        let mut timers = core.timers.borrow_mut();
        loop {
            if jump {
                if let Some(at_ms) = timers.next_expiration() {
                    core.clock.advance_to(Duration::from_millis(at_ms));
                }
            }
            timers.advance(core.clock.now_ms(), &mut fired);
            // The wheel's next event may be a cascade (entries moving down a level), which
            // fires nothing. A jumping virtual clock goes on to the deadline itself, so
            // virtual time only ever stops at an instant some timer asked for.
            if !jump || !fired.is_empty() || timers.is_empty() {
                break;
            }
        }
        // Wake after the borrow ends: waking may drop the last waker, and tasks are not polled
        // here, but keeping borrows short is the rule in this file.
        drop(timers);
        let count = fired.len();
        for waker in fired {
            waker.wake();
        }
        count
        // endregion: fire_timers
    }

    /// True if no waker exists outside the runtime's own records: then no timer, socket,
    /// channel or thread can ever wake a task, and waiting would hang forever. Every `Waker`
    /// clone of a task holds one strong count on its `Arc<TaskWaker>`, so "no waker exists" is
    /// exact. The converse is not: a waker may exist where nothing will ever use it (in the
    /// `JoinHandle` of a task that is itself stuck, in a channel whose sender is never used).
    /// Under the real clock such a loop parks until woken; debug mode reports it as a possible
    /// stall (observe/ticks.rs), and under the virtual clock it is a stall (`park_decision`).
    fn is_stalled(&self) -> bool {
        let core = &*self.core;
        let main_held = core
            .main_waker
            .borrow()
            .as_ref()
            .is_some_and(|waker| Arc::strong_count(waker) > 1);
        let task_held = core
            .tasks
            .borrow()
            .iter()
            .any(|(_, task)| Arc::strong_count(&task.waker) > 1);
        core.ready_rx.is_empty() && !main_held && !task_held
    }

    /// The message of a stall: what is pending and why nothing can wake it.
    fn stall_report(&self) -> String {
        let mut report = if self.is_stalled() {
            String::from(
                "glassloop: the loop is stalled. The main future is waiting, but no task is \
                 ready, no timer is set, no socket is registered, and no waker is held anywhere \
                 (not by a channel, not by another thread), so nothing can ever wake it. Look \
                 for a future that returns Pending without storing its waker.\nTasks still \
                 pending:",
            )
        } else {
            String::from(
                "glassloop: the loop is stalled (virtual clock). The main future is waiting, \
                 but no task is ready, no timer is set, no socket is registered and no work \
                 runs outside the loop, so no time can pass and nothing in the loop can happen. \
                 Wakers are still held, by something inside the loop (a channel whose sender \
                 nobody will use) or by a thread that did not announce its work with \
                 `glassloop::OutsideWork`.\nTasks still pending:",
            )
        };
        let tasks = self.core.tasks.borrow();
        if tasks.is_empty() {
            report.push_str(" none besides the main future");
        }
        for (_, task) in tasks.iter() {
            let _ = write!(
                report,
                "\n  task {} spawned at {}, polled {} time(s)",
                task.label(),
                task.spawned_at,
                task.polls
            );
        }
        drop(tasks);
        report.push('\n');
        report.push_str(&self.dump());
        report
    }

    fn tick_report(&self, polled: usize, io_events: usize, timers: usize, stalled: bool) -> Tick {
        Tick {
            polled,
            io_events,
            timers_fired: timers,
            now: self.now(),
            stalled,
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Tasks spawned with `Runtime::spawn` but never run end here; their destructors may
        // look for the runtime (to cancel a timer, say), so enter it if we can.
        // If another runtime is running here (this one was dropped inside it), it is set
        // aside for the moment, so those destructors find *this* runtime, not that one.
        let _restore = enter_for_drop(&self.core);
        self.core.drop_all_tasks();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("virtual_clock", &self.core.clock.is_virtual())
            .field("live_tasks", &self.live_tasks())
            .field("now", &self.now())
            .finish()
    }
}

/// Drops the remaining tasks when `block_on` returns or unwinds (invariant 11).
struct ShutdownGuard<'a>(&'a Core);

impl Drop for ShutdownGuard<'_> {
    fn drop(&mut self) {
        self.0.drop_all_tasks();
        self.0.main_waker.borrow_mut().take();
    }
}

// ───────────────────────────── the main future ─────────────────────────────

/// The future given to `block_on`, kept on `block_on`'s stack (so it need not be `'static`).
trait PollMain {
    /// Poll once; true when it has completed.
    fn poll_main(&mut self, cx: &mut Context<'_>) -> bool;

    /// May the tick park until woken? Yes for `block_on`, which has a future to wait for;
    /// no for `step`, which must return.
    fn may_wait(&self) -> bool {
        true
    }
}

struct MainTask<'a, F: Future> {
    future: Pin<&'a mut F>,
    output: Option<F::Output>,
}

impl<F: Future> PollMain for MainTask<'_, F> {
    fn poll_main(&mut self, cx: &mut Context<'_>) -> bool {
        match self.future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                self.output = Some(output);
                true
            }
            Poll::Pending => false,
        }
    }
}

/// `step` has no main future.
struct NoMain;

impl PollMain for NoMain {
    fn poll_main(&mut self, _: &mut Context<'_>) -> bool {
        false
    }

    fn may_wait(&self) -> bool {
        false
    }
}

// ───────────────────────────── run ─────────────────────────────

/// Run `future` on a fresh runtime with the real clock and return its output: the one-line
/// entry point.
///
/// asyncio: `asyncio.run(main())`; tokio: `#[tokio::main]`.
///
/// ```
/// let greeting = glassloop::run(async { "hello from the loop" });
/// assert_eq!(greeting, "hello from the loop");
/// ```
///
/// # Panics
/// Inside a running glassloop runtime (await the future instead); if the OS cannot create the
/// reactor; as [`Runtime::block_on`].
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    if in_runtime() {
        panic!(
            "glassloop::run was called while a glassloop runtime is already running on this \
             thread. A loop cannot run inside itself: inside async code, `.await` the future \
             (or `glassloop::spawn` it) instead of calling run."
        );
    }
    let runtime = Runtime::new()
        .unwrap_or_else(|err| panic!("glassloop::run could not create the reactor: {err}"));
    runtime.block_on(future)
}
