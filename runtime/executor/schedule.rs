//! # Seeded scheduling: the same program in many orders
//!
//! Step 1 of a tick polls the tasks that are ready, oldest first (FIFO, invariant 3). A
//! program whose correctness depends on that order by accident (task A "always" runs before
//! B) works until something changes the order. To find such bugs, and to show that a rule
//! holds *whatever* the order, the loop can poll each pass's batch in another order:
//!
//! ```text
//!   ready queue: [#1 #2 #3 #4]      FIFO   → #1 #2 #3 #4   (the default)
//!   (this pass's batch)             LIFO   → #4 #3 #2 #1
//!                                   Random → #3 #1 #4 #2   (a permutation drawn from the seed)
//! ```
//!
//! Only the order *within* a pass changes: tasks woken during the pass still wait for the
//! next one, and timers and I/O still get their look between passes. A seed reproduces the
//! order exactly, so a failure found under seed 77 is replayed with seed 77 (the failure's
//! report ends with its seed and the command that reruns it: observe/rerun.rs).
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, 2014): a few lines, fast, and good enough
//! to shuffle; not for cryptography. Non-FIFO orders collect the batch into a `Vec` first, one
//! allocation per pass; FIFO pops straight from the queue as before.
//!
//! tokio has no such switch (its LIFO slot is an optimisation, not a test tool); loom explores
//! thread interleavings exhaustively, a far bigger machine. asyncio has none either.
//!
//! It is a scheduling policy, so it lives with the executor, and works with every observer
//! switch off.
//!
//! Read next: `executor/view.rs`, the loop as instruments may see it.

use std::cell::Cell;

use std::collections::VecDeque;

use crate::task_id::TaskId;

/// The order in which step 1 polls a pass's ready tasks.
///
/// asyncio: always FIFO (no switch); tokio: FIFO with a LIFO slot, no switch (loom, a separate
/// tool, explores thread interleavings instead).
///
/// ```
/// use glassloop::observe::Schedule;
/// let rt = glassloop::Runtime::builder()
///     .virtual_clock()
///     .schedule(Schedule::Random { seed: 7 })
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { glassloop::spawn(async { 1 }).await.unwrap() }), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// Oldest first: the order tasks were woken in (invariant 3). The default.
    #[default]
    Fifo,
    /// Newest first.
    Lifo,
    /// A permutation drawn from a generator seeded with `seed`.
    Random {
        /// The seed; the same seed gives the same orders.
        seed: u64,
    },
}

/// The environment variable that chooses the schedule: `fifo`, `lifo`, `random` (a seed from
/// the time, printed on stderr) or `random:SEED`.
pub const SCHEDULE_ENV: &str = "GLASSLOOP_SCHEDULE";

/// The state of a non-FIFO schedule, kept in `Core::reorder`.
#[derive(Debug)]
pub(crate) struct Reorder {
    schedule: Schedule,
    /// SplitMix64's state.
    state: Cell<u64>,
}

impl Reorder {
    /// `None` for FIFO: the executor then pops the queue directly.
    pub(crate) fn new(schedule: Schedule) -> Option<Reorder> {
        let seed = match schedule {
            Schedule::Fifo => return None,
            Schedule::Lifo => 0,
            Schedule::Random { seed } => seed,
        };
        Some(Reorder { schedule, state: Cell::new(seed) })
    }

    /// Take `batch` ids off the queue and return them in this schedule's order.
    pub(crate) fn take_batch(&self, ready: &mut VecDeque<TaskId>, batch: usize) -> Vec<TaskId> {
        let mut ids: Vec<TaskId> = ready.drain(..batch).collect();
        match self.schedule {
            Schedule::Fifo => {}
            Schedule::Lifo => ids.reverse(),
            Schedule::Random { .. } => {
                // Fisher–Yates: every permutation equally likely (up to the modulo bias of a
                // 64-bit draw, which is negligible for queue lengths).
                for i in (1..ids.len()).rev() {
                    let j = (self.next() % (i as u64 + 1)) as usize;
                    ids.swap(i, j);
                }
            }
        }
        ids
    }

    /// SplitMix64.
    fn next(&self) -> u64 {
        let state = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
