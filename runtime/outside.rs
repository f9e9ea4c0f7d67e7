//! # Announcing work that runs outside the loop
//!
//! A thread that will call `wake` later (a blocking job, a callback from a C library) is
//! invisible to the loop. Under the real clock that is fine: the loop parks until the wake
//! arrives. Under the virtual clock it is not: with no task ready and no timer set, the loop
//! would either jump time past the thread's work or declare a stall. [`OutsideWork`] is how
//! such work announces itself: while one exists, the virtual clock does not jump and the loop
//! is not stalled, and debug mode does not call the wait a possible stall.
//!
//! It is a counter (the time driver's outside-work count, timer/driver.rs, where the rule that
//! reads it is stated) behind a guard, [`HoldGuard`]: create it on the loop's thread, move it
//! to the worker, drop it *after* calling `wake`. The blocking pool (blocking.rs) takes the
//! same guard for each job, so every kind of outside work holds the clock the same way.
//!
//! ```text
//!   loop thread                       another thread
//!   HoldGuard::take  holds += 1 ────► ... work ...
//!   loop: holds > 0, so no jump,      waker.wake()      (the task is ready)
//!         parks until woken    ◄───── drop(guard)       holds -= 1, and the doorbell,
//!                                                       always (even after the wake)
//! ```
//!
//! Why the release rings the doorbell: a loop that found nothing ready, no timer due and
//! `holds > 0` parks *until woken*. If the work ends without waking a task (it was
//! abandoned, or its result is not wanted), nothing else would wake that loop, and it would
//! sleep forever instead of jumping time or reporting a stall. A ring that finds the loop
//! running costs one extra turn of the loop, nothing more.
//!
//! asyncio: `loop.run_in_executor` counts its own jobs the same way; tokio: its blocking pool
//! keeps the runtime alive while `spawn_blocking` jobs run.
//!
//! Read next: `blocking.rs`, the pool that takes one hold per job.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::executor::context::with_current;
use crate::executor::Core;
use crate::waker::Unparker;

/// A promise that work outside the loop is in flight and will wake a task when done.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::task::Poll;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let answer = rt.block_on(async {
///     let slot: Arc<Mutex<(Option<u32>, Option<std::task::Waker>)>> = Default::default();
///     let work = glassloop::OutsideWork::new();
///     let for_thread = slot.clone();
///     std::thread::spawn(move || {
///         let mut slot = for_thread.lock().unwrap();
///         slot.0 = Some(42);
///         if let Some(waker) = slot.1.take() {
///             waker.wake();
///         }
///         drop(slot);
///         drop(work); // after the wake
///     });
///     std::future::poll_fn(|cx| {
///         let mut slot = slot.lock().unwrap();
///         match slot.0.take() {
///             Some(value) => Poll::Ready(value),
///             None => {
///                 slot.1 = Some(cx.waker().clone());
///                 Poll::Pending
///             }
///         }
///     })
///     .await
/// });
/// assert_eq!(answer, 42);
/// ```
#[derive(Debug)]
#[must_use = "the work counts as in flight only while this guard lives"]
pub struct OutsideWork {
    /// Never read: it is here for its `Drop`, which releases the hold.
    _hold: HoldGuard,
}

// No `Default`: creating one has an effect (and needs a runtime), which `default()` hides.
#[allow(clippy::new_without_default)]
impl OutsideWork {
    /// Announce one piece of outside work on the current runtime.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    pub fn new() -> OutsideWork {
        let hold = with_current("glassloop::OutsideWork::new", |core| HoldGuard::take(core));
        OutsideWork { _hold: hold }
    }
}

/// One unit of "work in flight outside the loop" on the time driver's outside-work count,
/// released on drop. While any is held, the virtual clock holds still (timer/driver.rs).
/// [`OutsideWork`] is the public face; the blocking pool takes one per job.
pub(crate) struct HoldGuard {
    holds: Arc<AtomicUsize>,
    unparker: Arc<Unparker>,
}

impl HoldGuard {
    /// Count one piece of outside work on `core`'s runtime. Call it on the loop's thread,
    /// before the work starts, so the clock cannot jump between "submitted" and "running".
    pub(crate) fn take(core: &Core) -> HoldGuard {
        core.time.holds().fetch_add(1, Ordering::SeqCst);
        HoldGuard { holds: core.time.holds().clone(), unparker: core.unparker.clone() }
    }
}

impl std::fmt::Debug for HoldGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldGuard").field("holds", &self.holds.load(Ordering::SeqCst)).finish()
    }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        let before = self.holds.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(before > 0, "outside work released a hold nobody took");
        // Always rung, whether or not the loop is parked: the doorbell stays rung until the
        // next park reads it, so this cannot race with the loop deciding to sleep. It is
        // needed even after the work woke its task (wake first, release second, so the clock
        // cannot jump in between): the loop may already have run that task and parked "until
        // woken" because this hold was still up; now that it is gone, the loop must decide
        // again (the virtual clock may jump, or a stall be reported). The error case is a
        // runtime already gone, with no loop left to wake.
        let _ = self.unparker.doorbell.wake();
    }
}
