//! # Mutex: a value, and a one-permit semaphore that says whose turn it is
//!
//! An async mutex is for holding a value *across an `.await`*: a task locks it, awaits
//! something, and only then lets go, while other tasks that want it wait without blocking the
//! thread. Under the hood it is exactly a [`Semaphore`] with one permit plus a `RefCell`:
//!
//! ```text
//!   lock().await ──► semaphore.acquire() ──► permit ──► MutexGuard { value: RefMut, permit }
//!   drop(guard)  ──► RefMut released first, then the permit ──► next locker in line is woken
//! ```
//!
//! Because the guard holds the only permit, the `RefCell` borrow inside it can never fail: the
//! semaphore is the real lock, and the `RefCell` only hands out the `&mut T`. Fairness comes
//! from the semaphore: lockers get the value in the order they asked, and a cancelled `lock()`
//! leaves no trace.
//!
//! ## Do you need it?
//!
//! On one thread, a plain `RefCell` is enough for anything you do *between* two awaits: no
//! other task can run there. Reach for this mutex only when the critical section contains an
//! `.await`. (Holding a `RefCell` borrow across an await is the classic mistake it prevents:
//! another task that borrows it would panic.)
//!
//! ## Shortcuts, honestly
//!
//! asyncio's `Lock` is FIFO too and also has no owner check. tokio's `Mutex` is built the same
//! way (a batch semaphore with one permit) but is `Send + Sync`, so its guard can move between
//! worker threads; that costs atomics in the semaphore and an `UnsafeCell`. This one is
//! not `Sync`, and its guard cannot leave the thread.
//!
//! Read next: `event.rs`.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::error::TryLockError;
use super::semaphore::{Permit, Semaphore};
use crate::wait_site::WaitOn;

/// An async lock around a value, fair (FIFO) and single-threaded.
///
/// asyncio: `asyncio.Lock` (`async with lock:`); tokio: `tokio::sync::Mutex`.
///
/// ```
/// use std::rc::Rc;
/// use glassloop::sync::Mutex;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let log = Rc::new(Mutex::new(Vec::new()));
///     let writer = {
///         let log = log.clone();
///         glassloop::spawn(async move {
///             let mut entries = log.lock().await;
///             entries.push("written while holding the lock");
///             glassloop::task::yield_now().await; // still held across the await
///             entries.push("still mine");
///         })
///     };
///     writer.await.unwrap();
///     assert_eq!(log.lock().await.len(), 2);
/// });
/// ```
pub struct Mutex<T> {
    /// One permit: whoever holds it may borrow `value`.
    semaphore: Semaphore,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// A mutex holding `value`, unlocked.
    ///
    /// asyncio: `asyncio.Lock()`; tokio: `Mutex::new`.
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        // Its semaphore records our caller: the dump names the line of `Mutex::new`.
        Mutex { semaphore: Semaphore::new(1), value: RefCell::new(value) }
    }

    /// Wait for the lock; the guard gives access to the value and unlocks when dropped.
    ///
    /// asyncio: `await lock.acquire()` / `async with lock:`; tokio: `Mutex::lock`.
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> {
        self.lock_at(Location::caller())
    }

    /// [`lock`](Mutex::lock) awaited at `at` (for `Condition::wait`, which takes the lock
    /// again on its caller's behalf).
    pub(crate) fn lock_at(
        &self,
        at: &'static Location<'static>,
    ) -> impl Future<Output = MutexGuard<'_, T>> {
        let acquire = self.semaphore.acquire_at(1, at, WaitOn::Mutex(self.semaphore.created_at()));
        async move {
            let permit = match acquire.await {
                Ok(permit) => permit,
                Err(_) => unreachable!("a Mutex never closes its semaphore"),
            };
            self.guard(permit)
        }
    }

    /// Take the lock if it is free and nobody is queued for it; never waits.
    ///
    /// asyncio: `if not lock.locked(): ...`; tokio: `Mutex::try_lock`.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire() {
            Ok(permit) => Ok(self.guard(permit)),
            Err(_) => Err(TryLockError),
        }
    }

    /// True while someone holds the lock.
    ///
    /// asyncio: `lock.locked()`; tokio: `try_lock().is_err()`.
    pub fn is_locked(&self) -> bool {
        self.semaphore.available_permits() == 0
    }

    /// Direct access without locking: `&mut self` proves nobody else can hold the lock.
    ///
    /// tokio: `Mutex::get_mut`.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value, consuming the mutex.
    ///
    /// tokio: `Mutex::into_inner`.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    fn guard<'a>(&'a self, permit: Permit<'a>) -> MutexGuard<'a, T> {
        let value = self.value.try_borrow_mut().unwrap_or_else(|_| {
            unreachable!("the Mutex's value is borrowed although its only permit was free")
        });
        MutexGuard { value, _permit: permit, mutex: self }
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &self.is_locked())
            .field("waiting", &self.semaphore.waiting())
            .finish()
    }
}

/// Proof that you hold a [`Mutex`]: derefs to the value; dropping it unlocks.
///
/// asyncio: the body of `async with lock:`; tokio: `MutexGuard`.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    // Field order is drop order: the borrow ends before the permit wakes the next locker.
    value: RefMut<'a, T>,
    _permit: Permit<'a>,
    /// The mutex this guard locks, so that `Condition::wait` can lock it again.
    mutex: &'a Mutex<T>,
}

impl<'a, T> MutexGuard<'a, T> {
    /// The mutex this guard holds. An associated function (`MutexGuard::mutex(&guard)`), so
    /// that it never hides a method of `T`.
    ///
    /// asyncio: `condition._lock`; tokio: `MutexGuard::mutex`.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MutexGuard").field(&*self.value).finish()
    }
}
