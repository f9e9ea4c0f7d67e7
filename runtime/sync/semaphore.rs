//! # Semaphore: a counter of permits and a fair queue of those who wait for them
//!
//! A semaphore holds a number of permits. `acquire().await` takes one (or `acquire_many(n)`
//! takes n) and gives back a [`Permit`]; dropping the permit puts it back. When not enough
//! permits are left, the acquiring future joins a FIFO [`WaiterList`] and returns `Pending`.
//!
//! ```text
//!   permits: 1        queue (oldest first): [A wants 3] ─► [B wants 1]
//!
//!   release 2 ──► permits 3 ──► A fits: permits 0, A unlinked + woken ──► B still waits
//! ```
//!
//! ## Fairness: nobody jumps the queue
//!
//! Permits are handed out strictly in arrival order. In the picture, B wants only one permit
//! and one is free, yet B waits, because A came first; otherwise a stream of small requests
//! could starve A forever. The same rule makes [`Semaphore::try_acquire`] fail while anyone is
//! queued, even if permits are free. Permits are *handed over*: the releasing side subtracts
//! them from the count and marks the waiter granted before waking it, so no other task can
//! grab them in between the wake and the poll.
//!
//! ## Cancellation leaves no trace
//!
//! An [`Acquire`] future that is dropped while queued removes its node; if it was at the head,
//! the waiters behind it are re-examined (they may fit now). If it was dropped after permits
//! were handed to it but before it was polled, it gives them back, and they go to the next in
//! line. A cancelled acquire therefore never holds a permit and never swallows a wake-up meant
//! for someone else.
//!
//! ## Shortcuts, honestly
//!
//! asyncio's `Semaphore` is also FIFO: it keeps a deque of waiter futures, and since the 2022
//! fixes (CPython gh-90155) a newcomer can no longer take a permit meant for a waiter that was
//! just woken.
//!
//! tokio's `Semaphore` is `Send + Sync`: its count is an atomic and its queue sits behind a
//! mutex, so every acquire pays an atomic operation and possibly a lock. Here a `RefCell`
//! suffices because only one thread ever touches it, and the type is deliberately not
//! `Sync`. tokio also hands permits to the head waiter a few at a time and returns
//! them if that waiter is cancelled half-served; we keep them in the count until the head's
//! whole request fits, and serve it all at once.
//!
//! Read next: `mutex.rs`, a semaphore with one permit guarding a value.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::{AcquireError, TryAcquireError};
use super::waiters::{InLine, WaiterList};
use crate::wait_site::{MadeAt, WaitOn};

/// A queued acquire: how many permits it wants, and whether they have been handed to it.
#[derive(Debug)]
struct Request {
    wants: usize,
    granted: bool,
}

/// What the semaphore's `RefCell` guards.
#[derive(Debug)]
struct State {
    /// Permits that nobody holds and nobody has been handed.
    permits: usize,
    /// Acquires waiting their turn, oldest first.
    waiters: WaiterList<Request>,
    /// Set once by `close`; then every acquire fails.
    closed: bool,
}

impl State {
    /// Take `n` permits now if the rules allow it: not closed, nobody queued ahead, enough
    /// free. The one check behind both `try_acquire_many` and an `Acquire`'s first poll.
    fn take_now(&mut self, n: usize) -> Result<(), TryAcquireError> {
        if self.closed {
            return Err(TryAcquireError::Closed);
        }
        if self.waiters.queued() > 0 || self.permits < n {
            return Err(TryAcquireError::NoPermits);
        }
        self.permits -= n;
        Ok(())
    }
}

/// A counter of permits with a fair (FIFO) queue of waiters.
///
/// asyncio: `asyncio.Semaphore` (`async with sem:`); tokio: `tokio::sync::Semaphore`.
/// Single-threaded: not `Sync`; share it between tasks with an `Rc`.
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use glassloop::sync::Semaphore;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let sem = Rc::new(Semaphore::new(2));
///     let mut handles = Vec::new();
///     for _ in 0..4 {
///         let sem = sem.clone();
///         handles.push(glassloop::spawn(async move {
///             let _permit = sem.acquire().await.unwrap();
///             sleep(Duration::from_secs(1)).await;
///         }));
///     }
///     for handle in handles {
///         handle.await.unwrap();
///     }
///     assert_eq!(start.elapsed(), Duration::from_secs(2)); // two at a time, two rounds
/// });
/// ```
pub struct Semaphore {
    state: RefCell<State>,
    /// Where `Semaphore::new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// asyncio: `asyncio.Semaphore(value)`; tokio: `Semaphore::new`.
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore::made_at(permits, Location::caller())
    }

    /// A semaphore made on behalf of the primitive created at `made_at` (a Mutex, a
    /// channel's or a queue's slots).
    pub(crate) fn made_at(permits: usize, made_at: MadeAt) -> Semaphore {
        Semaphore {
            state: RefCell::new(State { permits, waiters: WaiterList::new(), closed: false }),
            made_at,
        }
    }

    /// Where it was created (the dump's "a semaphore created at ...").
    pub(crate) fn created_at(&self) -> MadeAt {
        self.made_at
    }

    /// How many permits are free right now.
    ///
    /// asyncio: `sem._value` (private); tokio: `Semaphore::available_permits`.
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// How many acquires are queued, waiting for permits.
    ///
    /// asyncio: `len(sem._waiters)` (private); tokio: none.
    pub fn waiting(&self) -> usize {
        self.state.borrow().waiters.queued()
    }

    /// Wait for one permit. Fails only if the semaphore was [closed](Semaphore::close).
    ///
    /// asyncio: `await sem.acquire()`; tokio: `Semaphore::acquire`.
    #[track_caller]
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_at(1, Location::caller(), WaitOn::Semaphore(self.made_at))
    }

    /// Wait for `n` permits at once. They are given all together, in the caller's turn.
    /// Asking for more permits than will ever exist waits forever (and holds up everyone
    /// queued behind), so keep `n` at most the semaphore's size.
    ///
    /// asyncio: none (call `acquire` n times); tokio: `Semaphore::acquire_many`.
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        self.acquire_at(n, Location::caller(), WaitOn::Semaphore(self.made_at))
    }

    /// [`acquire_many`](Semaphore::acquire_many) awaited at `at` (for `Mutex::lock`,
    /// `mpsc::Sender::send` and `acquire_owned`, which pass their own caller's location, and
    /// say what the semaphore stands for in the task dump: `on`).
    pub(crate) fn acquire_at(
        &self,
        n: usize,
        at: &'static Location<'static>,
        on: WaitOn,
    ) -> Acquire<'_> {
        Acquire { semaphore: self, wants: n, line: InLine::new(at, on) }
    }

    /// Wait for one permit that is not tied to a borrow of the semaphore: it holds an `Rc` to
    /// it instead, so it can move into a task you spawn. The usual way to bound how many
    /// spawned tasks run at once is to acquire in the spawning loop and hand the permit over.
    ///
    /// asyncio: `await sem.acquire()` then `sem.release()` inside the task; tokio:
    /// `Semaphore::acquire_owned`.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use glassloop::sync::Semaphore;
    ///
    /// glassloop::Runtime::builder().virtual_clock().build().unwrap().block_on(async {
    ///     let sem = Rc::new(Semaphore::new(2));
    ///     let permit = sem.clone().acquire_owned().await.unwrap();
    ///     let task = glassloop::spawn(async move {
    ///         let _permit = permit; // released when this task ends
    ///     });
    ///     assert_eq!(sem.available_permits(), 1);
    ///     task.await.unwrap();
    ///     assert_eq!(sem.available_permits(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_owned(
        self: Rc<Self>,
    ) -> impl Future<Output = Result<OwnedPermit, AcquireError>> {
        let at = Location::caller(); // the await point, for debug reports
        async move {
            let permits = self.acquire_at(1, at, WaitOn::Semaphore(self.made_at)).await?.keep();
            Ok(OwnedPermit { semaphore: self, permits })
        }
    }

    /// Take one permit if one is free *and nobody is queued*; never waits.
    ///
    /// asyncio: `sem.locked()` then `acquire()`; tokio: `Semaphore::try_acquire`.
    pub fn try_acquire(&self) -> Result<Permit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Take `n` permits if they are free and nobody is queued; never waits.
    ///
    /// tokio: `Semaphore::try_acquire_many`.
    pub fn try_acquire_many(&self, n: usize) -> Result<Permit<'_>, TryAcquireError> {
        self.state.borrow_mut().take_now(n)?;
        Ok(Permit { semaphore: self, permits: n })
    }

    /// Add `n` new permits, handing them to queued waiters first.
    ///
    /// asyncio: `sem.release()` without a prior acquire; tokio: `Semaphore::add_permits`.
    pub fn add_permits(&self, n: usize) {
        self.state.borrow_mut().permits += n;
        self.hand_over();
    }

    /// Close the semaphore: every queued and future acquire fails with [`AcquireError`].
    /// Permits already held stay valid. Channels use this to stop waiting senders.
    ///
    /// asyncio: none; tokio: `Semaphore::close`.
    pub fn close(&self) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            state.closed = true;
            state.waiters.wake_all()
        };
        super::waiters::wake_each(wakers, crate::wake_site::Via::Semaphore);
    }

    /// True once [`close`](Semaphore::close) was called.
    ///
    /// tokio: `Semaphore::is_closed`.
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Give permits to the waiters at the front of the queue for as long as the oldest one
    /// fits. Stops at the first that does not: later, smaller requests may not overtake it.
    /// A good breakpoint to watch permits change hands.
    fn hand_over(&self) {
        loop {
            let waker = {
                let mut state = self.state.borrow_mut();
                let wants = match state.waiters.front() {
                    Some(request) if request.wants <= state.permits => request.wants,
                    _ => return,
                };
                state.permits -= wants;
                state.waiters.wake_front(|request| request.granted = true)
            };
            // Woken outside the borrow: a waker may run code that touches this semaphore.
            super::waiters::wake_one(waker, crate::wake_site::Via::Semaphore);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("waiting", &state.waiters.queued())
            .field("closed", &state.closed)
            .finish()
    }
}

/// The future returned by [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
///
/// Dropping it cancels the acquire and leaves no trace (see the module docs).
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    wants: usize,
    /// Our node in the waiter list, once we had to queue, and our await point.
    line: InLine,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<Permit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let semaphore = this.semaphore;
        let wants = this.wants;
        let mut state = semaphore.state.borrow_mut();
        if !this.line.is_queued() {
            // First poll: take the permits now only if nobody is ahead of us.
            match state.take_now(wants) {
                Ok(()) => return Poll::Ready(Ok(Permit { semaphore, permits: wants })),
                Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError)),
                Err(TryAcquireError::NoPermits) => {} // queue below
            }
        }
        let new_request = || Request { wants, granted: false };
        let Poll::Ready(request) = this.line.poll(&mut state.waiters, new_request, cx) else {
            return Poll::Pending;
        };
        // Woken: either handed our permits, or the semaphore was closed.
        if request.granted {
            Poll::Ready(Ok(Permit { semaphore, permits: wants }))
        } else {
            Poll::Ready(Err(AcquireError))
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let left = self.line.leave(&mut self.semaphore.state.borrow_mut().waiters);
        let Some((request, _was_queued)) = left else {
            return; // never queued, or already finished
        };
        if request.granted {
            // Handed permits we will never use: give them back, to the next in line.
            self.semaphore.add_permits(request.wants);
        } else {
            // Leaving the queue may unblock those behind us (we may have been a large request
            // at the head that nobody could overtake).
            self.semaphore.hand_over();
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("wants", &self.wants)
            .field("queued", &self.line.is_queued())
            .finish()
    }
}

/// Permits taken from a [`Semaphore`]; dropping it gives them back.
///
/// asyncio: leaving `async with sem:` (or `sem.release()`); tokio: `SemaphorePermit`.
#[must_use = "a permit is released as soon as it is dropped; bind it: `let _permit = ...`"]
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl Permit<'_> {
    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Keep the permits taken for good: they are not given back on drop. A bounded channel
    /// uses this to turn a permit into a slot of its buffer.
    ///
    /// tokio: `SemaphorePermit::forget`.
    pub fn forget(self) {
        self.keep();
    }

    /// Stop this guard from giving its permits back, and say how many it held.
    fn keep(mut self) -> usize {
        std::mem::take(&mut self.permits)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.add_permits(self.permits);
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("permits", &self.permits).finish()
    }
}

/// Permits taken with [`Semaphore::acquire_owned`]: like [`Permit`], but owning an `Rc` to the
/// semaphore instead of borrowing it, so it can move into a spawned task.
///
/// tokio: `OwnedSemaphorePermit`.
#[must_use = "a permit is released as soon as it is dropped; bind it: `let _permit = ...`"]
pub struct OwnedPermit {
    semaphore: Rc<Semaphore>,
    permits: usize,
}

impl OwnedPermit {
    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.add_permits(self.permits);
        }
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").field("permits", &self.permits).finish()
    }
}
