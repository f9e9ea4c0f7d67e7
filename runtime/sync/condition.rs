//! # Condition: wait for the state behind a lock to change
//!
//! A [`Mutex`] lets one task at a time change some state. A condition variable lets a task
//! *wait until that state is what it needs* (a buffer not empty, a job assigned) without
//! holding the lock meanwhile, and without polling it in a loop:
//!
//! ```text
//!   consumer                                      producer
//!   guard = lock().await
//!   while guard.is_empty():
//!     guard = cond.wait(guard).await ─┐ 1. join the waiters (still holding the lock)
//!                                     │ 2. release the lock ─────► guard = lock().await
//!                                     │                            guard.push(job)
//!                                     │ 3. woken ◄──────────────── cond.notify_one()
//!                                     │ 4. lock().await again ◄─── drop(guard)
//!   take the job ◄────────────────────┘    (the guard comes back)
//! ```
//!
//! Step 1 before step 2 is the point of the whole type: because the waiter joins the line
//! while it still holds the lock, no producer can change the state and notify between "I
//! checked, it is empty" and "I am waiting". (With the lock released first, that notify
//! could come while nobody waits yet, and be lost.)
//!
//! A notify is a bare wake-up, not a level: `notify_one` with nobody waiting does nothing,
//! unlike [`Notify`](super::Notify), which stores one permit. The state itself (behind the
//! mutex) is what is remembered, which is why a waiter re-checks it in a loop:
//! [`wait_while`](Condition::wait_while) is that loop. Being woken is also no promise that
//! the state is right: another task may take the lock first and change it again.
//!
//! The waiters queue in a [`WaiterList`] like every primitive here: `notify_one` wakes the
//! oldest, `notify_all` wakes every one waiting now; a waiter dropped after `notify_one`
//! chose it passes the wake-up to the next waiter, so no notification is lost to a
//! cancellation (CPython fixed the same case in 3.13, gh-112202).
//!
//! ## Compared with asyncio and tokio
//!
//! asyncio's `Condition` owns its lock (`async with cond: await cond.wait()`) and raises if
//! `notify` is called without holding it. Here, as with `std::sync::Condvar`, the condition
//! and the mutex are separate values and `wait` takes the guard; `notify_*` may be called
//! with or without the lock (one thread, so no race either way; the usual pattern is to change
//! the state under the lock, then notify). tokio has no `Condition`: its `Notify` with a loop
//! plays that part. asyncio's `wait()` takes the lock back even when cancelled; in Rust a
//! cancelled `wait` is dropped, and the guard with it.
//!
//! Read next: `barrier.rs`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::mutex::{Mutex, MutexGuard};
use super::waiters::{wake_each, InLine, WaiterList};
use crate::wait_site::{MadeAt, Signal, WaitOn};

/// A waiter's node: was it chosen by `notify_one` (true) or woken by `notify_all`?
type ByNotifyOne = bool;

/// Tasks waiting for the state behind a [`Mutex`] to change, woken by `notify_one` (the
/// oldest) or `notify_all` (everyone waiting).
///
/// asyncio: `asyncio.Condition`; tokio: none (a `Notify` in a loop); std: `Condvar`.
///
/// ```
/// use std::rc::Rc;
/// use glassloop::sync::{Condition, Mutex};
///
/// glassloop::Runtime::builder().virtual_clock().build().unwrap().block_on(async {
///     let jobs = Rc::new((Mutex::new(Vec::new()), Condition::new()));
///     let worker = {
///         let jobs = jobs.clone();
///         glassloop::spawn(async move {
///             let (lock, ready) = &*jobs;
///             let mut queue = lock.lock().await;
///             queue = ready.wait_while(queue, |queue| queue.is_empty()).await;
///             queue.pop()
///         })
///     };
///     glassloop::task::yield_now().await; // the worker waits, its lock released
///     jobs.0.lock().await.push("job 1");
///     jobs.1.notify_one();
///     assert_eq!(worker.await.unwrap(), Some("job 1"));
/// });
/// ```
pub struct Condition {
    waiters: RefCell<WaiterList<ByNotifyOne>>,
    /// Where `Condition::new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl Condition {
    /// A condition nobody waits on.
    ///
    /// asyncio: `asyncio.Condition(lock)`; std: `Condvar::new`.
    #[track_caller]
    pub fn new() -> Condition {
        Condition { waiters: RefCell::new(WaiterList::new()), made_at: Location::caller() }
    }

    /// Release the lock `guard` holds, wait for a notify, take the lock again and give the
    /// guard back. Join the waiters and release happen in the same poll, so a notify sent
    /// by whoever takes the lock next is never missed.
    ///
    /// asyncio: `await cond.wait()` inside `async with cond:`; std: `Condvar::wait`.
    #[track_caller]
    pub fn wait<'a, T>(
        &'a self,
        guard: MutexGuard<'a, T>,
    ) -> impl Future<Output = MutexGuard<'a, T>> + 'a {
        self.wait_at(guard, Location::caller())
    }

    /// [`wait`](Condition::wait) awaited at `at`.
    fn wait_at<'a, T>(
        &'a self,
        guard: MutexGuard<'a, T>,
        at: &'static Location<'static>,
    ) -> impl Future<Output = MutexGuard<'a, T>> + 'a {
        let mutex: &'a Mutex<T> = MutexGuard::mutex(&guard);
        let notified = Notified {
            condition: self,
            line: InLine::new(at, WaitOn::Signal(self.made_at, Signal::Condition)),
            guard: Some(guard),
        };
        async move {
            notified.await; // steps 1 to 3 of the picture
            mutex.lock_at(at).await // step 4
        }
    }

    /// Wait for as long as `condition` is true of the value behind the lock: check it, and
    /// while it holds, [`wait`](Condition::wait) and check again. Returns the guard with the
    /// lock held and `condition` false.
    ///
    /// asyncio: `await cond.wait_for(predicate)` (which waits *until* its predicate is true:
    /// the opposite sense); std: `Condvar::wait_while`.
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &'a self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> impl Future<Output = MutexGuard<'a, T>> + 'a
    where
        F: FnMut(&mut T) -> bool + 'a,
    {
        let at = Location::caller();
        async move {
            while condition(&mut guard) {
                guard = self.wait_at(guard, at).await;
            }
            guard
        }
    }

    /// Wake the oldest waiter. With nobody waiting it does nothing: a condition remembers no
    /// wake-up (the state behind the lock is what is remembered).
    ///
    /// asyncio: `cond.notify()` (`notify(n=1)`); std: `Condvar::notify_one`.
    pub fn notify_one(&self) {
        let waker = self.waiters.borrow_mut().wake_front(|chosen| *chosen = true);
        // Woken outside the borrow: a waker may run code that touches this condition.
        super::waiters::wake_one(waker, crate::wake_site::Via::Event);
    }

    /// Wake every task waiting now. They take the lock back one at a time, in the order they
    /// started waiting.
    ///
    /// asyncio: `cond.notify_all()`; std: `Condvar::notify_all`.
    pub fn notify_all(&self) {
        let wakers = self.waiters.borrow_mut().wake_all();
        wake_each(wakers, crate::wake_site::Via::Event);
    }

    /// How many tasks are waiting for a notify.
    ///
    /// asyncio: `len(cond._waiters)` (private); std: none.
    pub fn waiting(&self) -> usize {
        self.waiters.borrow().queued()
    }
}

impl Default for Condition {
    #[track_caller]
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition").field("waiting", &self.waiting()).finish()
    }
}

/// Steps 1 to 3 of a `wait`: join the line, release the lock, wait to be notified.
struct Notified<'a, T> {
    condition: &'a Condition,
    line: InLine,
    /// The caller's guard until the first poll has joined the line; then dropped (released).
    guard: Option<MutexGuard<'a, T>>,
}

impl<T> Future for Notified<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let polled = this.line.poll(&mut this.condition.waiters.borrow_mut(), || false, cx);
        // In line now (or already notified): only then let the next locker in.
        this.guard = None;
        polled.map(drop)
    }
}

impl<T> Drop for Notified<'_, T> {
    fn drop(&mut self) {
        let left = self.line.leave(&mut self.condition.waiters.borrow_mut());
        if let Some((true, false)) = left {
            // Chosen by `notify_one` and never used: the next waiter gets the wake-up.
            self.condition.notify_one();
        }
    }
}
