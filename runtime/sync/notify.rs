//! # Notify: hand a wake-up to one waiter, or to all who wait now
//!
//! `Notify` carries no data and no lasting flag, only wake-ups:
//!
//! - `notify_one()` wakes the oldest waiter. If nobody waits, it stores *one* wake-up (a
//!   permit) so the next `notified().await` returns at once; more calls do not store more.
//! - `notify_waiters()` wakes everyone waiting right now and stores nothing.
//!
//! ```text
//!   notify_one():   queue [A, B] ─► A unlinked, woken (chosen)      queue [B]
//!                   queue []     ─► permit = true                  next notified() passes
//!   A dropped before it ran ─► its wake-up goes on: B is woken instead
//! ```
//!
//! The last line is the rule that matters with cancellation: a wake-up given by `notify_one`
//! to a waiter that is then dropped (a timeout fired, its task was aborted) is not lost; the
//! dropped future passes it to the next waiter, or stores it as the permit.
//!
//! ## Shortcuts, honestly
//!
//! tokio's `Notified` future takes part in `notify_waiters` from the moment it is *created*
//! (with `enable()`), so a task can create it, check a condition, then await without a race.
//! Here a `Notified` joins the queue at its first poll. On one thread that is enough for the
//! usual "check, then await" pattern, because nothing else runs between the check and the
//! first poll of the await.
//!
//! Read next: `oneshot.rs`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::{wake_each, InLine, WaiterList};
use crate::wait_site::{MadeAt, Signal, WaitOn};

/// A waiter's node: was it chosen by `notify_one` (true) or woken by `notify_waiters`?
type ByNotifyOne = bool;

#[derive(Debug)]
struct State {
    /// One stored wake-up from a `notify_one` that found nobody waiting.
    permit: bool,
    waiters: WaiterList<ByNotifyOne>,
}

/// Wake-ups without data: one waiter at a time, or everyone waiting now.
///
/// asyncio: none (an `asyncio.Condition` without the lock comes closest); tokio:
/// `tokio::sync::Notify`.
///
/// ```
/// use glassloop::sync::Notify;
///
/// glassloop::Runtime::builder().virtual_clock().build().unwrap().block_on(async {
///     let notify = Notify::new();
///     notify.notify_one(); // nobody waits: stored as a permit
///     notify.notified().await; // passes at once, using the permit
/// });
/// ```
pub struct Notify {
    state: RefCell<State>,
    /// Where `Notify::new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl Notify {
    /// A `Notify` with no stored permit.
    #[track_caller]
    pub fn new() -> Notify {
        Notify {
            state: RefCell::new(State { permit: false, waiters: WaiterList::new() }),
            made_at: Location::caller(),
        }
    }

    /// Wake the oldest waiter, or store one permit for the next `notified()` if none waits.
    ///
    /// tokio: `Notify::notify_one`.
    pub fn notify_one(&self) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.waiters.queued() == 0 {
                state.permit = true;
                return;
            }
            state.waiters.wake_front(|chosen| *chosen = true)
        };
        super::waiters::wake_one(waker, crate::wake_site::Via::Event);
    }

    /// Wake every task waiting now. Stores nothing: later `notified()` calls wait.
    ///
    /// tokio: `Notify::notify_waiters`.
    pub fn notify_waiters(&self) {
        let wakers = self.state.borrow_mut().waiters.wake_all();
        wake_each(wakers, crate::wake_site::Via::Event);
    }

    /// Wait for a wake-up (returns at once if a permit is stored, consuming it).
    ///
    /// tokio: `Notify::notified`.
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        let on = WaitOn::Signal(self.made_at, Signal::Notify);
        Notified { notify: self, line: InLine::new(Location::caller(), on) }
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiting", &state.waiters.queued())
            .finish()
    }
}

/// The future returned by [`Notify::notified`]. Dropping it leaves the queue, and passes on a
/// wake-up it was handed but did not use.
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    line: InLine,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.notify.state.borrow_mut();
        if !this.line.is_queued() && state.permit {
            state.permit = false;
            return Poll::Ready(());
        }
        this.line.poll(&mut state.waiters, || false, cx).map(drop)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let left = self.line.leave(&mut self.notify.state.borrow_mut().waiters);
        if let Some((true, false)) = left {
            // Chosen by `notify_one` and never used: give the wake-up to the next (or store it).
            self.notify.notify_one();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("queued", &self.line.is_queued()).finish()
    }
}
