//! # The executor: one loop, four steps
//!
//! This folder is the event loop itself. Everything beneath it (the task table, the wakers,
//! the reactor, the timer driver) is a part the loop drives; everything above it (sleep,
//! sockets, channels, the blocking pool, the observer) is built from what it offers.
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
//! When virtual time may move is one rule, in `timer/driver.rs`.
//!
//! ## The files of this folder
//!
//! `mod.rs` (this file: `Runtime`, the tick), `state.rs` (`Core`, the loop's state),
//! `context.rs` (how `spawn` finds the running loop), `schedule.rs` (the order of a pass:
//! FIFO, LIFO or seeded), `view.rs` (the read-only view instruments get, and the stall test).
//! `spawn`, `JoinHandle` and `yield_now` are built on this folder, one layer up, in spawn/.
//!
//! ## `Runtime`'s methods, and where each lives
//!
//! Each lives with the layer it needs, so the loop's files stay about the loop:
//!
//! | where | methods |
//! |---|---|
//! | here | `block_on`, `step` |
//! | `spawn/mod.rs` | `spawn` |
//! | `time/instant.rs` | `now`, `is_virtual_clock` |
//! | `blocking.rs` | `blocking_pool_stats` |
//! | `observe/api.rs` | `live_tasks`, `ticks`, `doorbell_rings`, `dump`, `describe_loop`, `trace_events`, `timeline`, `chrome_trace`, `write_chrome_trace`, `svg_timeline`, `write_svg_timeline`, `task_stats`, `poll_histogram` |
//! | `handle.rs` | `handle` |
//! | `builder.rs` | `Runtime::new`, `Runtime::builder` |
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
//! Read next: `executor/state.rs`, what the loop owns.

pub(crate) mod context;
pub(crate) mod schedule;
mod state;
mod view;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_task::waker_ref;

use crate::hooks::{Park, PollEnd, PollOutcome, TaskEnd};
use crate::task_id::TaskId;
use crate::task_table::Owned;
use crate::timer::driver::NextTimer;
use crate::timer::instant::Instant;
use crate::waker::TaskWaker;
use context::{enter_for_drop, EnterGuard};
pub(crate) use state::{Core, MainRecord};

/// The main future as the tick sees it: poll it once, true when it has completed. `None` for
/// `step`, which has no main future, and so never waits in step 3.
type Main<'a> = Option<&'a mut dyn FnMut(&mut Context<'_>) -> bool>;

/// How many polls may pass, while tasks stay ready, between two looks at I/O (tokio's
/// `event_interval` is 61 too). When the loop is about to sleep it always looks, and `step`
/// looks every tick. The price: a socket that became ready waits at most this many polls.
pub const IO_INTERVAL: usize = 61;

/// How many ready tasks one pass of step 1 polls at most before looking at timers and I/O.
/// asyncio runs every callback that was ready at the start of the pass; tokio's
/// current_thread runtime polls up to 61 tasks between looks at I/O (its `event_interval`).
pub const DEFAULT_BATCH: usize = 61;

/// A single-threaded event loop: tasks, a ready queue, a reactor and a timer wheel.
///
/// asyncio: the event loop (`asyncio.run`, `loop.run_until_complete`); tokio: a
/// `current_thread` runtime with a `LocalSet`. Built by [`Builder`](crate::Builder).
pub struct Runtime {
    /// The loop's state; built by `Builder::build` (builder.rs).
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

impl Runtime {
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
        let mut future = pin!(future);
        let mut output = None;
        // The main future stays on this stack (so it need not be `'static`); the tick polls
        // it through this closure, which keeps its output.
        let mut poll_main = |cx: &mut Context<'_>| match future.as_mut().poll(cx) {
            Poll::Ready(value) => {
                output = Some(value);
                true
            }
            Poll::Pending => false,
        };
        let spawned_at = Location::caller();
        *self.core.main.borrow_mut() = Some(MainRecord {
            waker: TaskWaker::new(TaskId::MAIN, self.core.unparker.clone()),
            spawned_at,
        });
        if let Some(hooks) = self.core.hooks() {
            hooks.task_spawned(&*self.core, TaskId::MAIN, None, spawned_at);
        }
        self.core.push_ready(TaskId::MAIN);
        loop {
            let (tick, main_done) = self.tick(Some(&mut poll_main));
            if main_done {
                break;
            }
            if tick.stalled {
                panic!("{}", (self.core.stall_report)(&self.core));
            }
        }
        match output {
            Some(value) => value,
            None => unreachable!("the tick said the main future completed"),
        }
    }

    /// Turn the loop once without a main future, and report what happened. Never sleeps
    /// longer than until the next timer, and never waits for I/O or another thread: where
    /// `block_on` would park until woken, a step only looks (a zero timeout) and returns, so a
    /// test that steps the loop cannot hang. This is how the invariant tests take one step at a
    /// time.
    pub fn step(&self) -> Tick {
        let _enter = EnterGuard::enter(&self.core, "Runtime::step");
        self.tick(None).0
    }

    // ─────────────── the tick ───────────────

    /// One turn of the loop. Its contract, step by step (the code below follows it):
    ///
    /// 1. **Run.** Count the ids in the ready queue *now* (at most the batch size) and poll
    ///    that many, oldest first (or reordered by schedule.rs). Tasks woken during this pass,
    ///    a task that wakes itself included, wait for the next pass, so timers and I/O get a
    ///    look in between (invariants 3 and 4). A stale id is skipped (invariant 7). If the
    ///    main future completes, the tick ends at once.
    /// 2. **Decide** how long to sleep ([`Park`]): not at all if anything is ready or virtual
    ///    time will jump; until the next timer; until woken; or, if nothing can ever wake
    ///    anything, report a stall instead. `step` never waits: it looks.
    /// 3. **Park** in `mio::Poll::poll` for that long. Readiness events wake the tasks waiting
    ///    on those sockets; a wake from another thread rings the doorbell (invariant 10). While
    ///    tasks stay ready, the look at I/O is taken only every [`IO_INTERVAL`] polls.
    /// 4. **Fire timers**, every tick. Move virtual time if the rule of timer/driver.rs allows,
    ///    then wake every expired timer, in deadline order (invariant 5). This is the tick's
    ///    one reading of the clock, and its report says the time it read.
    ///
    /// Instruments (hooks.rs) see each step; one of them, `before_park`, may shorten a park.
    /// Switched off, each hook is one untaken branch.
    fn tick(&self, mut main: Main<'_>) -> (Tick, bool) {
        let core = &*self.core;
        if let Some(hooks) = core.hooks() {
            hooks.before_tick(core);
        }
        core.ticks.set(core.ticks.get() + 1);

        // 1. Run.
        // region: step_1_run
        core.take_injected();
        let batch = core.ready.ids.borrow().len().min(core.batch);
        // Seeded scheduling (schedule.rs) takes the batch and reorders it; FIFO pops.
        let reordered =
            core.reorder.as_ref().map(|r| r.take_batch(&mut core.ready.ids.borrow_mut(), batch));
        let mut polled = 0;
        for i in 0..batch {
            let next = match &reordered {
                None => core.ready.ids.borrow_mut().pop_front(),
                Some(ids) => ids.get(i).copied(),
            };
            let Some(id) = next else {
                break;
            };
            if id == TaskId::MAIN {
                match self.poll_main(&mut main) {
                    Some(true) => return (self.tick_report(polled + 1, 0, 0, false, None), true),
                    Some(false) => polled += 1,
                    None => {}
                }
            } else if self.poll_task(id) {
                polled += 1;
            }
        }
        // endregion: step_1_run
        if let Some(hooks) = core.hooks() {
            hooks.pass_ended(core, polled);
        }

        // 2. Decide how long to sleep.
        let mut park = self.park_decision();
        if matches!(park, Park::UntilWoken { .. }) && main.is_none() {
            park = Park::LookOnly; // `step` never waits
        }
        if park == Park::Stalled {
            return (self.tick_report(polled, 0, 0, true, None), false);
        }

        // 3. Park. While tasks stay ready, the look at I/O is a system call that rarely finds
        // anything: take it only once IO_INTERVAL polls have passed since the last one.
        let since_io = core.polls_since_io.get() + polled;
        let look = park != Park::TasksReady || main.is_none() || since_io >= IO_INTERVAL;
        core.polls_since_io.set(if look { 0 } else { since_io });
        let io_events = match core.hooks() {
            None if look => self.park(park),
            None => 0,
            Some(hooks) => {
                let park = hooks.before_park(core, park);
                let events = look.then(|| self.park(park));
                hooks.after_park(core, park, events);
                events.unwrap_or(0)
            }
        };

        // 4. Fire timers.
        let (timers_fired, now, jumped) = self.fire_timers();
        if let Some(hooks) = core.hooks() {
            hooks.timers_fired(core, timers_fired, jumped);
        }

        (self.tick_report(polled, io_events, timers_fired, false, Some(now)), false)
    }

    /// Poll the main future once. Returns whether it has completed, or None if there is no
    /// main future (`step` runs without one; a stray MAIN id is ignored).
    /// A good breakpoint: `break glassloop::executor::Runtime::poll_main`.
    fn poll_main(&self, main: &mut Main<'_>) -> Option<bool> {
        let core = &*self.core;
        let main = main.as_mut()?;
        // Borrowed for the whole poll, as a spawned task's header is: the record changes only
        // when `block_on` starts and ends.
        let record = core.main.borrow();
        let task_waker = &record.as_ref()?.waker;
        // A waker of an earlier `block_on`'s main future may have queued a MAIN id after that
        // call ended; the flag of this call's waker says whether *this* main future was woken
        // (invariant 2 for the main future).
        if !task_waker.scheduled.swap(false, Ordering::SeqCst) {
            return None;
        }
        self.poll_started(TaskId::MAIN);
        let done = {
            let waker = waker_ref(task_waker);
            let mut cx = Context::from_waker(&waker);
            main(&mut cx)
        };
        let outcome = match done {
            true => PollOutcome::Finished,
            false => PollOutcome::Pending,
        };
        self.poll_ended(TaskId::MAIN, outcome, task_waker);
        Some(done)
    }

    /// Poll one spawned task once. Returns false if the id was stale (nothing polled).
    /// A good breakpoint: `break glassloop::executor::Runtime::poll_task`.
    fn poll_task(&self, id: TaskId) -> bool {
        let core = &*self.core;
        // Check the task out: the table hands back a second pointer and is not borrowed while
        // the task runs, so it may spawn, abort or finish other tasks (all of which do borrow).
        let Some(task) = core.tasks.check_out(id) else {
            return false; // freed since it was woken, or a stale waker (invariant 7)
        };
        let waker = &task.header().waker;
        // region: poll_task
        // Clear the flag *before* polling: a wake that happens during this poll must queue
        // the task again (invariant 4), and any number of wakes before the next poll add one
        // entry (invariant 2).
        let was_scheduled = waker.scheduled.swap(false, Ordering::SeqCst);
        debug_assert!(was_scheduled, "task {id:?} polled without being woken (invariant 1)");
        self.poll_started(id);
        // A panic must not unwind through the loop (it would stop every other task): it is
        // caught here and handed to the task's body, which makes it the task's result.
        let poll = {
            let waker = waker_ref(waker);
            let mut cx = Context::from_waker(&waker);
            catch_unwind(AssertUnwindSafe(|| task.as_ref().poll_body(&mut cx)))
        };
        let poll = match poll {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(TaskEnd::Finished),
            Err(payload) => {
                task.as_ref().panicked(payload);
                Poll::Ready(TaskEnd::Panicked)
            }
        };
        // endregion: poll_task

        // region: task_done
        let (outcome, end) = match poll {
            Poll::Pending if core.tasks.holds(id) => (PollOutcome::Pending, None),
            Poll::Pending => {
                // It aborted itself during the poll: its record is gone, so this pointer is
                // the last the loop has, and letting go of it ends the task now.
                drop(Owned(task.clone()));
                (PollOutcome::AbortedItself, None)
            }
            // invariant 7: gone from the slab, never polled again
            Poll::Ready(end) => match core.tasks.remove(id) {
                Some(_finished) => (PollOutcome::Finished, Some(end)),
                None => (PollOutcome::AbortedItself, None),
            },
        };
        self.poll_ended(id, outcome, waker);
        if let (Some(hooks), Some(end)) = (core.hooks(), end) {
            hooks.task_ended(core, id, end);
        }
        // endregion: task_done
        true
    }

    /// Bookkeeping before a poll: the current task, the poll count, the hook.
    fn poll_started(&self, id: TaskId) {
        let core = &*self.core;
        core.current.set(Some(id));
        if let Some(hooks) = core.hooks() {
            hooks.poll_started(core, id);
        }
    }

    /// Bookkeeping after a poll. `waker` is the task's own, borrowed from its header (or the
    /// main record): that is one strong count, and every other is a `Waker` someone holds.
    fn poll_ended(&self, id: TaskId, outcome: PollOutcome, waker: &std::sync::Arc<TaskWaker>) {
        let core = &*self.core;
        core.current.set(None);
        if let Some(hooks) = core.hooks() {
            let ended = PollEnd {
                outcome,
                wakers_held: std::sync::Arc::strong_count(waker) - 1, // the record's is ours
                queued: waker.scheduled.load(Ordering::SeqCst),
            };
            hooks.poll_ended(core, id, ended);
        }
    }

    /// Step 2: how long may the loop sleep?
    fn park_decision(&self) -> Park {
        let core = &*self.core;
        if !core.nothing_ready() {
            return Park::TasksReady;
        }
        let woken_from_outside = Park::UntilWoken { hidden_wakers_only: false };
        let park = match core.time.next_timer() {
            Some(NextTimer::In(wait)) => Park::AtMost(wait),
            Some(NextTimer::Jump) => Park::TimeJumps,
            Some(NextTimer::HeldByOutsideWork) => woken_from_outside,
            // No timer. Only a socket, announced outside work or a held waker can wake a task.
            None if core.time.outside_work() > 0 || core.reactor.has_waiters() => {
                woken_from_outside
            }
            // Under the virtual clock a held waker cannot make time pass: stalled either way.
            None if core.time.clock.is_virtual() || core.is_stalled() => Park::Stalled,
            None => Park::UntilWoken { hidden_wakers_only: true },
        };
        // The queue looked empty, then the hold on the clock was gone: a job that ended in
        // between queued its task before letting go (blocking.rs), so look once more, or its
        // wake would read as a stall or let time jump past it.
        match park {
            Park::TimeJumps | Park::Stalled if !core.nothing_ready() => Park::TasksReady,
            park => park,
        }
    }

    /// Step 3: sleep in the reactor. Returns how many I/O events were dispatched.
    /// A good breakpoint: `break glassloop::executor::Runtime::park`.
    ///
    /// The lost-wake-up race, and how it is avoided: another thread may wake a task just as
    /// the loop decides to sleep. If the loop checked the queue, *then* the waker pushed its id,
    /// *then* the loop slept, the wake would be lost until some unrelated event. So the loop
    /// first sets `parked = true`, then checks the queue once more; a waker first pushes its id,
    /// then reads `parked`. With sequentially consistent ordering on both sides, at least one
    /// of them sees the other: either the loop sees the id and does not sleep, or the waker
    /// sees `parked` and rings the doorbell, which makes `poll` return at once. The race is
    /// about the channel only: the local queue is pushed by this thread alone, which is here.
    fn park(&self, park: Park) -> usize {
        let core = &*self.core;
        let timeout = park.timeout();
        if timeout == Some(Duration::ZERO) {
            return core.reactor.poll_events(timeout, None);
        }
        core.unparker.parked.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        let timeout = if core.nothing_ready() {
            timeout
        } else {
            Some(Duration::ZERO) // a wake slipped in between step 2 and now
        };
        // The reactor clears `parked` as soon as the kernel returns, before it wakes the I/O
        // waiters: those wakes come from this thread and need no doorbell.
        core.reactor.poll_events(timeout, Some(&core.unparker.parked))
    }

    /// Step 4: move time on (timer/driver.rs decides whether it may) and wake expired
    /// timers. Returns how many fired, and whether virtual time jumped.
    /// A good breakpoint: `break glassloop::executor::Runtime::fire_timers`.
    fn fire_timers(&self) -> (usize, Duration, bool) {
        let core = &*self.core;
        let mut fired = Vec::new();
        let (now, jumped) = core.time.fire(&|| core.nothing_ready(), &mut fired);
        // Wake after the wheel's borrow has ended: waking may drop the last waker.
        let count = fired.len();
        for waker in fired {
            waker.wake();
        }
        (count, now, jumped)
    }

    /// The tick's report. `now`: the clock step 4 read, or `None` to read it here.
    fn tick_report(
        &self,
        polled: usize,
        io: usize,
        timers: usize,
        stalled: bool,
        now: Option<Duration>,
    ) -> Tick {
        let now = Instant::from_duration(now.unwrap_or_else(|| self.core.time.clock.now()));
        Tick { polled, io_events: io, timers_fired: timers, now, stalled }
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

/// Drops the remaining tasks when `block_on` returns or unwinds (invariant 11).
struct ShutdownGuard<'a>(&'a Core);

impl Drop for ShutdownGuard<'_> {
    fn drop(&mut self) {
        self.0.drop_all_tasks();
        self.0.main.borrow_mut().take();
        debug_assert!(self.0.tasks.len() == 0, "a task outlived its loop (invariant 11)");
    }
}
