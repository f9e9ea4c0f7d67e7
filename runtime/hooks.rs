//! # Hooks: the one door through which the loop is watched
//!
//! glassloop's debug mode, its trace, its narration and step mode all need to see the loop
//! work. They must not be woven into it: a learner reading the executor should meet the loop,
//! not the observer, and a runtime with everything switched off should pay nothing for them.
//! So the loop knows only this file: a trait of *instruments* (Trio's name for the same idea)
//! with a method per moment worth seeing, every method empty by default, and a read-only
//! *view* of the loop's state for the ones that want to look around.
//!
//! ```text
//!   Runtime::tick                      Instrument (observe/ implements it)
//!   ─────────────                      ───────────────────────────────────
//!   before the tick ─────────────────► before_tick(view)          step mode pauses here
//!   1. run: each poll ───────────────► poll_started / poll_ended  slow polls, lost wakers
//!      a task ends ──────────────────► task_ended                 (Finished / Panicked / ...)
//!      the pass ends ────────────────► pass_ended                 busy passes
//!   2. decide: the chosen Park ──────► before_park(view, park)    narration; may cut it short
//!   3. park returns ─────────────────► after_park                 possible stalls
//!   4. timers fired (did time jump?) ► timers_fired
//!   leaf futures: Pending at `at` ───► await_point, timer_set, io_wait
//! ```
//!
//! Three rules keep the door narrow:
//!
//! - **Decisions are handed over, never recomputed.** The executor tells `before_park` which
//!   [`Park`] it chose and why, and `timers_fired` whether time jumped. An instrument that
//!   re-derived those rules from the loop's fields would drift from them the first time the
//!   rule changed.
//! - **No borrow is held at a hook.** Every hook is called with the task slab and the timer
//!   wheel free, so an instrument may read the [`LoopView`] (which borrows them) at any hook.
//!   `Core::hooks` in executor/state.rs asserts it in debug builds.
//! - **Off costs a branch.** The executor keeps `Option<Box<dyn Instrument>>`; with nothing
//!   switched on it is `None`, and each hook is one untaken `if let`.
//!
//! One hook may steer: `before_park` returns the park to use, so debug mode can cut a wait
//! that only hidden wakers could end down to one threshold and report a possible stall. No
//! other hook can change what the loop does.
//!
//! Trio: `trio.abc.Instrument` (`before_run`, `task_scheduled`, `before_task_step`, ...);
//! asyncio has no hooks (its debug mode is inside the loop); tokio: the unstable
//! `on_before_task_poll` / `on_after_task_poll` callbacks of its runtime builder, and
//! `tracing` spans for tokio-console.
//!
//! Read next: `executor/mod.rs`, the loop itself.

use std::any::Any;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::task_id::TaskId;
use crate::timer::wheel::TimerKey;

/// A place in your source: where a task was spawned, or the `.await` it is parked at
/// (recorded with `#[track_caller]`).
pub(crate) type At = &'static Location<'static>;

/// Things that watch a loop. Every method has an empty default; an instrument overrides the
/// moments it cares about. Called on the loop's thread only, never while the task slab or
/// the timer wheel is borrowed.
pub(crate) trait Instrument {
    /// For the runtime methods that reach the concrete instrument (`Runtime::timeline`).
    fn as_any(&self) -> &dyn Any;

    /// A tick is about to begin (step mode pauses here).
    fn before_tick(&self, _view: &dyn LoopView) {}

    /// A task was spawned, or `block_on` began its main future (`TaskId::MAIN`).
    fn task_spawned(&self, _view: &dyn LoopView, _id: TaskId, _name: Option<&str>, _at: At) {}

    /// The executor is about to poll `id`.
    fn poll_started(&self, _view: &dyn LoopView, _id: TaskId) {}

    /// The poll of `id` returned; `ended` says how, and who can still wake it.
    fn poll_ended(&self, _view: &dyn LoopView, _id: TaskId, _ended: PollEnd) {}

    /// Task `id` left the loop.
    fn task_ended(&self, _view: &dyn LoopView, _id: TaskId, _how: TaskEnd) {}

    /// Step 1 ended after `polled` polls.
    fn pass_ended(&self, _view: &dyn LoopView, _polled: usize) {}

    /// Step 2 chose `park`; return the park to use (the default: the same).
    fn before_park(&self, _view: &dyn LoopView, park: Park) -> Park {
        park
    }

    /// Step 3 returned from `park` (the one `before_park` gave back) with `events` I/O events;
    /// `None` if the loop did not look at I/O at all (tasks were ready, and fewer than
    /// `IO_INTERVAL` polls had passed since the last look).
    fn after_park(&self, _view: &dyn LoopView, _park: Park, _events: Option<usize>) {}

    /// Step 4 fired `fired` timers; `jumped` if the virtual clock moved to get there.
    fn timers_fired(&self, _view: &dyn LoopView, _fired: usize, _jumped: bool) {}

    /// The task being polled is about to return `Pending` at the await point `at`.
    fn await_point(&self, _at: At) {}

    /// The task being polled put a timer in the wheel, due at `deadline_ms`.
    fn timer_set(&self, _view: &dyn LoopView, _key: TimerKey, _deadline_ms: u64, _at: At) {}

    /// The task being polled waits for `direction` readiness of the socket `token`.
    fn io_wait(&self, _view: &dyn LoopView, _token: usize, _direction: Direction, _at: At) {}
}

/// Told of every wake that queues a task, on whichever thread it happens (so: `Send + Sync`).
/// Kept apart from [`Instrument`], which lives on the loop's thread only. What caused a wake
/// on the loop's thread, the listener reads from `wake_site.rs`.
pub(crate) trait WakeListener: Send + Sync + std::fmt::Debug {
    /// Task `id` was just put on the ready queue.
    fn woke(&self, id: TaskId);
}

// ───────────────────────────── what the executor hands over ─────────────────────────────

/// What step 2 decided, and why. The observer narrates the reason; it never works it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Park {
    /// Tasks are ready: only look at I/O.
    TasksReady,
    /// Nothing is ready and the virtual clock will jump in step 4: only look at I/O.
    TimeJumps,
    /// `Runtime::step` never waits: where `block_on` would park until woken, it looks.
    LookOnly,
    /// Sleep at most this long (the real clock's next timer, or an instrument's cut).
    AtMost(Duration),
    /// Sleep until an I/O event or a wake from another thread. `hidden_wakers_only`: no
    /// timer, socket waiter or outside work exists, so only a waker held somewhere can end it.
    UntilWoken {
        /// Only hidden wakers can end this park.
        hidden_wakers_only: bool,
    },
    /// Nothing can ever wake anything: the tick reports a stall instead of parking.
    Stalled,
}

impl Park {
    /// The timeout for `mio::Poll::poll`: zero (only look), at most a duration, or `None`
    /// (until woken).
    pub(crate) fn timeout(self) -> Option<Duration> {
        match self {
            Park::AtMost(duration) => Some(duration),
            Park::UntilWoken { .. } => None,
            Park::TasksReady | Park::TimeJumps | Park::LookOnly | Park::Stalled => {
                Some(Duration::ZERO)
            }
        }
    }
}

/// How one poll ended, and who can still wake the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollEnd {
    /// What the poll returned.
    pub(crate) outcome: PollOutcome,
    /// `Waker`s of this task held outside the executor's own records (0 with `Pending` and
    /// no wake queued: nobody can ever wake it, a lost waker).
    pub(crate) wakers_held: usize,
    /// True if the task is already queued again (it woke itself, or was woken meanwhile).
    pub(crate) queued: bool,
}

/// What a poll returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// `Pending`: the task waits.
    Pending,
    /// `Ready`: the task is done (it may have panicked; `task_ended` says).
    Finished,
    /// The task aborted itself during the poll.
    AbortedItself,
}

/// How a task left the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskEnd {
    /// It returned a value.
    Finished,
    /// It panicked; the panic is in its JoinHandle.
    Panicked,
    /// It was aborted, or dropped when its loop ended.
    Cancelled,
}

// ───────────────────────────── the read-only view ─────────────────────────────

/// What an instrument may read of the loop. Implemented by the executor's `Core`
/// (executor/view.rs); every method copies out, so nothing stays borrowed.
pub(crate) trait LoopView {
    /// The runtime's clock: time since its origin.
    fn now(&self) -> Duration;
    /// Ticks begun so far (the current one included).
    fn ticks(&self) -> u64;
    /// The task being polled right now, if any.
    fn current_task(&self) -> Option<TaskId>;
    /// How many ids wait in the ready queue.
    fn ready_len(&self) -> usize;
    /// The ids in the ready queue, oldest first.
    fn ready_ids(&self) -> Vec<TaskId>;
    /// Every live task, the main future first (while `block_on` runs).
    fn tasks(&self) -> Vec<TaskRow>;
    /// Every timer in the wheel.
    fn timers(&self) -> Vec<TimerRow>;
    /// Every socket direction some task waits on, by token, reads before writes.
    fn io_waiters(&self) -> Vec<IoWaiter>;
    /// Announced work in flight outside the loop (blocking jobs, `OutsideWork`).
    fn outside_work(&self) -> usize;
}

/// One live task, as the view shows it.
#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    /// Its id (`TaskId::MAIN` for the main future).
    pub(crate) id: TaskId,
    /// Its name, if it was given one.
    pub(crate) name: Option<Rc<str>>,
    /// Where it was spawned (for the main future: where `block_on` was called).
    pub(crate) spawned_at: At,
    /// Polls so far (`None` for the main future, which the slab does not count).
    pub(crate) polls: Option<u64>,
    /// Ready, polling or waiting.
    pub(crate) state: TaskState,
    /// `Waker`s held outside the executor's records: who could wake it.
    pub(crate) wakers_held: usize,
}

/// Where a task is in its life between polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Woken and queued, not yet polled.
    Ready,
    /// Being polled right now.
    Polling,
    /// Waiting for a wake.
    Waiting,
}

/// One timer in the wheel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimerRow {
    /// Its key in the wheel.
    pub(crate) key: TimerKey,
    /// Its wheel level and slot (level `LEVELS` is the overflow list).
    pub(crate) position: (usize, usize),
}

/// Which half of a socket a task waits on (public as `glassloop::observe::Direction`, for
/// the wake causes of the event log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Readable, or the peer closed its writing half, or an error.
    Read,
    /// Writable, or the writing half is closed, or an error.
    Write,
}

/// A socket direction somebody waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IoWaiter {
    /// The socket's token with mio (its reactor slot).
    pub(crate) token: usize,
    /// Which half is waited on.
    pub(crate) direction: Direction,
}
