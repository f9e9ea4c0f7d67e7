//! # Event: a flag that tasks can wait for
//!
//! asyncio's `Event` is a boolean with a waiting room. `wait()` returns at once if the flag is
//! set; otherwise the waiting future joins a [`WaiterList`]. `set()` raises the flag and wakes
//! *every* waiter, once each. `clear()` lowers the flag for future waiters.
//!
//! ```text
//!   wait() ─ flag set? ─ yes ─► Ready
//!              │ no
//!              └─► queue [A, B, C] ─► Pending
//!   set()  ─► flag = true; A, B, C unlinked and woken (each exactly once)
//!   clear() right after: A, B, C still return (they were woken by the set); new waiters wait
//! ```
//!
//! The last line is asyncio's rule, and the reason a waiter checks "was I woken?" (its node
//! was unlinked) rather than re-reading the flag: a `set(); clear()` pair in the same tick
//! must not strand the waiters it just released.
//!
//! ## Event or Notify?
//!
//! An event is level-triggered: once set, it stays set and every `wait()` passes until
//! someone clears it. tokio has no `Event`; its `Notify` (see `notify.rs`) is edge-triggered:
//! `notify_one` hands a single wake-up to one waiter (or stores one for the next), and
//! `notify_waiters` wakes those waiting now without remembering anything. Use an `Event` for
//! "the server is ready" or "shutdown was requested"; use `Notify` to hand work to one of many.
//!
//! Read next: `notify.rs`.

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
    /// The flag. Set by `set`, cleared by `clear`.
    is_set: bool,
    /// Futures in `wait()` that found the flag down.
    waiters: WaiterList<()>,
}

/// A flag that tasks can wait for; `set` wakes every waiter.
///
/// asyncio: `asyncio.Event`; tokio: none built in (a `watch::channel(bool)` or `Notify` plus a
/// flag).
///
/// ```
/// use std::rc::Rc;
/// use glassloop::sync::Event;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let ready = Rc::new(Event::new());
///     let waiter = {
///         let ready = ready.clone();
///         glassloop::spawn(async move {
///             ready.wait().await;
///             "went on after the event was set"
///         })
///     };
///     glassloop::task::yield_now().await; // the waiter runs and waits
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "went on after the event was set");
/// });
/// ```
pub struct Event {
    state: RefCell<State>,
    /// Where `Event::new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl Event {
    /// A new event, not set.
    ///
    /// asyncio: `asyncio.Event()`.
    #[track_caller]
    pub fn new() -> Event {
        Event {
            state: RefCell::new(State { is_set: false, waiters: WaiterList::new() }),
            made_at: Location::caller(),
        }
    }

    /// Set the flag and wake every task waiting in [`wait`](Event::wait), each exactly once.
    ///
    /// asyncio: `event.set()`.
    pub fn set(&self) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            state.is_set = true;
            state.waiters.wake_all()
        };
        wake_each(wakers, crate::wake_site::Via::Event);
    }

    /// Lower the flag: later calls to `wait` will wait. Waiters already woken still return.
    ///
    /// asyncio: `event.clear()`.
    pub fn clear(&self) {
        self.state.borrow_mut().is_set = false;
    }

    /// Is the flag set?
    ///
    /// asyncio: `event.is_set()`.
    pub fn is_set(&self) -> bool {
        self.state.borrow().is_set
    }

    /// Wait until the flag is set (returns at once if it already is).
    ///
    /// asyncio: `await event.wait()`.
    #[track_caller]
    pub fn wait(&self) -> Wait<'_> {
        let on = WaitOn::Signal(self.made_at, Signal::Event);
        Wait { event: self, line: InLine::new(Location::caller(), on) }
    }
}

impl Default for Event {
    #[track_caller]
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Event")
            .field("is_set", &state.is_set)
            .field("waiting", &state.waiters.queued())
            .finish()
    }
}

/// The future returned by [`Event::wait`]. Dropping it leaves the queue.
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a> {
    event: &'a Event,
    line: InLine,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.event.state.borrow_mut();
        if !this.line.is_queued() && state.is_set {
            return Poll::Ready(());
        }
        // Once queued, being unlinked means `set` chose us, whatever the flag says now.
        this.line.poll(&mut state.waiters, || (), cx)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        // Nothing to pass on: `set` wakes everyone, so no one else missed out.
        let _ = self.line.leave(&mut self.event.state.borrow_mut().waiters);
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").field("queued", &self.line.is_queued()).finish()
    }
}
