//! # Barrier: nobody goes on until everybody has arrived
//!
//! A barrier for `n` parties holds back the first `n - 1` tasks that call `wait()`; the
//! `n`-th arrival releases all of them at once and the barrier starts over, empty, for the
//! next round. Phases of a simulation, players that start together, workers that must all
//! have loaded their data: each is a barrier.
//!
//! ```text
//!   Barrier::new(3)     A: wait ─► 0 in line + A < 3: A queues ─┐
//!                       B: wait ─► 1 in line + B < 3: B queues ─┤
//!                       C: wait ─► 2 in line + C = 3 ───────────┴─► wake_all(A, B): line empty
//!                                  C is the leader       A, B, C go on; the next round begins
//! ```
//!
//! The arrival that trips the barrier does not wait at all: it wakes the others and returns at
//! once, marked the *leader* ([`BarrierWaitResult::is_leader`]), so exactly one task per round
//! can do the once-per-round work (print the phase's summary, swap the buffers).
//!
//! ## Cancellation
//!
//! A waiting task that is dropped (a timeout, an abort) leaves the line and so *un-arrives*:
//! the count of arrivals is not kept apart, it is the length of the line. So the barrier
//! still waits for `n` live tasks, and a round never trips with a party missing. asyncio does
//! the same (a cancelled `wait` while the barrier is filling decrements its count). Once the
//! barrier has tripped, a released task that is dropped before it ran changes nothing: its
//! round is over.
//!
//! ## Shortcuts, honestly
//!
//! asyncio's `Barrier` also has `abort()` and `reset()`, which put it in a *broken* state
//! where every waiter gets `BrokenBarrierError`; its `wait()` returns an index per party
//! instead of a leader flag. tokio's `Barrier` is this one's model (leader flag, no broken
//! state), but `Send + Sync` and built on a watch channel of generations.
//!
//! Read next: `error.rs`, what each failure in this folder says.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::{wake_each, InLine, WaiterList};
use crate::wait_site::{MadeAt, Signal, WaitOn};

#[derive(Debug)]
struct State {
    /// How many arrivals trip the barrier; at least 1, fixed at `new`.
    parties: usize,
    /// The arrivals waiting for the round to fill, oldest first. Its `queued()` is the count
    /// of arrivals in this round: always below `parties` between polls (the arrival that
    /// would make it `parties` trips the barrier, and `wake_all` empties the line).
    waiters: WaiterList<()>,
}

/// Holds tasks back until `n` of them wait, then releases them all; reusable, round after
/// round.
///
/// asyncio: `asyncio.Barrier(parties)`; tokio: `tokio::sync::Barrier`.
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use glassloop::sync::Barrier;
/// use glassloop::time::{sleep, Instant};
///
/// glassloop::Runtime::builder().virtual_clock().build().unwrap().block_on(async {
///     let start = Instant::now();
///     let barrier = Rc::new(Barrier::new(3));
///     let players: Vec<_> = (1..=3)
///         .map(|secs| {
///             let barrier = barrier.clone();
///             glassloop::spawn(async move {
///                 sleep(Duration::from_secs(secs)).await; // arrive at 1 s, 2 s, 3 s
///                 let result = barrier.wait().await;
///                 (start.elapsed().as_secs(), result.is_leader())
///             })
///         })
///         .collect();
///     let mut seen = Vec::new();
///     for player in players {
///         seen.push(player.await.unwrap());
///     }
///     assert_eq!(seen, [(3, false), (3, false), (3, true)]); // all go on at 3 s
/// });
/// ```
pub struct Barrier {
    state: RefCell<State>,
    /// Where `Barrier::new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl Barrier {
    /// A barrier that releases its waiters when `parties` of them wait.
    ///
    /// asyncio: `asyncio.Barrier(parties)`; tokio: `Barrier::new`.
    ///
    /// # Panics
    /// If `parties` is 0: a barrier nobody can trip would hold every waiter forever
    /// (asyncio raises `ValueError`; tokio treats 0 as 1).
    #[track_caller]
    pub fn new(parties: usize) -> Barrier {
        assert!(
            parties > 0,
            "Barrier::new(0): a barrier needs at least one party; use the number of tasks that \
             must meet"
        );
        let state = RefCell::new(State { parties, waiters: WaiterList::new() });
        Barrier { state, made_at: Location::caller() }
    }

    /// Arrive, and wait until `parties` tasks have. The last arrival returns at once, as the
    /// leader, and releases the others.
    ///
    /// asyncio: `await barrier.wait()`; tokio: `Barrier::wait`.
    #[track_caller]
    pub fn wait(&self) -> BarrierWait<'_> {
        let on = WaitOn::Signal(self.made_at, Signal::Barrier);
        BarrierWait { barrier: self, line: InLine::new(Location::caller(), on) }
    }

    /// How many arrivals trip the barrier.
    ///
    /// asyncio: `barrier.parties`; tokio: none.
    pub fn parties(&self) -> usize {
        self.state.borrow().parties
    }

    /// How many tasks are waiting in the current round.
    ///
    /// asyncio: `barrier.n_waiting`; tokio: none.
    pub fn n_waiting(&self) -> usize {
        self.state.borrow().waiters.queued()
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Barrier")
            .field("parties", &state.parties)
            .field("waiting", &state.waiters.queued())
            .finish()
    }
}

/// What [`Barrier::wait`] gives back: whether this task was the round's leader.
///
/// asyncio: the index `wait()` returns; tokio: `BarrierWaitResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// True for exactly one task per round: the arrival that tripped the barrier.
    ///
    /// tokio: `BarrierWaitResult::is_leader`.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// The future returned by [`Barrier::wait`]. Dropping it while it waits takes back its
/// arrival.
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    line: InLine,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let mut state = this.barrier.state.borrow_mut();
        // First poll: this is our arrival. The last one trips the barrier; any other queues.
        if !this.line.is_queued() && state.waiters.queued() + 1 == state.parties {
            let wakers = state.waiters.wake_all();
            drop(state); // wake outside the borrow
            wake_each(wakers, crate::wake_site::Via::Event);
            return Poll::Ready(BarrierWaitResult { leader: true });
        }
        this.line.poll(&mut state.waiters, || (), cx).map(|()| BarrierWaitResult { leader: false })
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        // Left while the round was filling: leaving the line is un-arriving. Released but not
        // yet run: its node is already out of the line, and its round is over.
        self.line.leave(&mut self.barrier.state.borrow_mut().waiters);
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait").field("queued", &self.line.is_queued()).finish()
    }
}
