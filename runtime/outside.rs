//! # Announcing work that runs outside the loop
//!
//! A thread that will call `wake` later (a blocking job, a callback from a C library) is
//! invisible to the loop. Under the real clock that is fine: the loop parks until the wake
//! arrives. Under the virtual clock it is not: with no task ready and no timer set, the loop
//! would either jump time past the thread's work or declare a stall. [`OutsideWork`] is how
//! such work announces itself: while one exists, the virtual clock does not jump and the loop
//! is not stalled, and debug mode does not call the wait a possible stall.
//!
//! It is a counter (`Core::holds`) behind a guard: create it on the loop's thread, move it to
//! the worker, drop it *after* calling `wake`.
//!
//! asyncio: `loop.run_in_executor` counts its own jobs the same way; tokio: its blocking pool
//! keeps the runtime alive while `spawn_blocking` jobs run.
//!
//! Read next: `observe/mod.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::executor::with_current;
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
    holds: Arc<AtomicUsize>,
    /// The loop's doorbell, rung when the work is done.
    unparker: Arc<Unparker>,
}

// No `Default`: creating one has an effect (and needs a runtime), which `default()` hides.
#[allow(clippy::new_without_default)]
impl OutsideWork {
    /// Announce one piece of outside work on the current runtime.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    pub fn new() -> OutsideWork {
        let (holds, unparker) = with_current("glassloop::OutsideWork::new", |core| {
            (core.holds.clone(), core.unparker.clone())
        });
        holds.fetch_add(1, Ordering::SeqCst);
        OutsideWork { holds, unparker }
    }
}

impl Drop for OutsideWork {
    fn drop(&mut self) {
        self.holds.fetch_sub(1, Ordering::SeqCst);
        // A loop parked "until woken" because this work was in flight must decide again.
        let _ = self.unparker.doorbell.wake();
    }
}
