//! # Sync: how tasks wait for each other
//!
//! Timers wake a task when time passes; sockets wake it when bytes arrive. The primitives in
//! this folder wake a task when *another task* does something: releases a permit, unlocks a
//! value, sets a flag, sends a message. They are all built the same way, from the same two
//! parts:
//!
//! 1. some state in a `RefCell` (a permit count, a flag, a queue of values), and
//! 2. the wakers of the futures that wait for that state to change, kept in arrival order in
//!    a `WaiterList` (a linked list in a slab, `waiters.rs`).
//!
//! ```text
//!   task A: sem.acquire().await                       task B: drop(permit)
//!     poll: no permit ─► waiters.push_back(waker) ─► Pending
//!                                                       permits += 1 ─► hand_over():
//!                                                       head fits ─► unlink it, granted = true
//!                                                       waker.wake() ─► A's id on the ready queue
//!     poll: unlinked + granted ─► Ready(Permit)
//! ```
//!
//! Nothing here needs the executor to wake a task: the same `Waker` that the timer wheel and
//! the reactor use is all a primitive needs. That is why these types would work under any
//! executor. (A future that must wait also leaves the observer two notes, where it parked and
//! on what: `InLine` in `waiters.rs`. With no glassloop runtime current they do nothing.)
//!
//! ## The primitives side by side
//!
//! | type | waits for | wakes | remembers a wake-up? | asyncio | tokio |
//! |------|-----------|-------|----------------------|---------|-------|
//! | [`Semaphore`] | n free permits | the oldest waiters that fit, in order | yes: the count | `Semaphore` | `Semaphore` |
//! | [`Mutex`] | the one permit | the oldest locker | yes (it is a semaphore) | `Lock` | `Mutex` |
//! | [`Event`] | the flag to be set | every waiter | yes: the flag, until `clear` | `Event` | none |
//! | [`Notify`] | a wake-up | one (`notify_one`) or all (`notify_waiters`) | one permit | none | `Notify` |
//! | [`oneshot`] | one value | the receiver | yes: the value | `Future` | `oneshot` |
//! | [`mpsc`] | a value / a free slot | the receiver / the oldest sender | yes: the queue | none | `mpsc` |
//! | [`Queue`] | an item / a free slot / all done | the oldest getter / putter; every joiner | yes: the queue, the count | `Queue` | none |
//! | [`Condition`] | a notify, with a mutex released | the oldest (`notify_one`) or all | no: the state behind the mutex is | `Condition` | none |
//! | [`Barrier`] | `n` arrivals | every waiter, when the last arrives | yes: the count of arrivals | `Barrier` | `Barrier` |
//!
//! The last-but-one column is the one to think about. A *level* (a count, a flag, a queue)
//! is remembered, so a wake-up that comes before anyone waits is not lost. A *bare* wake-up
//! (`notify_waiters`) is only for those already waiting.
//!
//! Three rules hold for all of them, and each has a test (see `docs/invariants.md`):
//!
//! - **First come, first served.** Waiters are served in arrival order; a newcomer never
//!   takes what a waiter at the head is waiting for, even with `try_*`.
//! - **A cancelled waiter leaves no trace.** Dropping a waiting future (a timeout, an abort)
//!   removes it from the queue. If it had already been handed something (permits, a
//!   `notify_one` wake-up), it passes that on to the next in line: no permit is held by a
//!   dropped future, no wake-up is lost.
//! - **Woken once, polled once.** A waiter is woken exactly once, when it is chosen; the
//!   state change it waits for is handed over (not merely announced), so its next poll
//!   succeeds and nobody is woken just to find nothing there.
//!
//! ## Single-threaded on purpose
//!
//! No type here is `Sync`: each keeps its state in a `RefCell`, which two threads may not
//! touch at once, so the compiler refuses to share one between threads. Tasks share a
//! semaphore or a mutex through an `Rc`, and the channel ends hold `Rc`s, and `Rc` is not even
//! `Send`. That is what lets them use plain `RefCell`s instead of atomics and locks.
//!
//! ```compile_fail
//! // Does not compile: `Rc<Semaphore>` cannot be sent to another thread.
//! let sem = std::rc::Rc::new(glassloop::sync::Semaphore::new(1));
//! std::thread::spawn(move || sem.available_permits());
//! ```
//!
//! tokio's versions are `Send + Sync` because its tasks move between worker threads; they pay
//! with atomic read-modify-write operations on every acquire and release, a mutex around each
//! waiter list, and `unsafe` intrusive lists whose nodes live inside the waiting futures.
//! asyncio's versions are single-threaded like ours (its docs say they are "not thread-safe").
//!
//! ## Async iteration
//!
//! Rust has no `async for` yet. The plain pattern is a type with an async `next`-like method
//! that returns `Option<T>`, consumed with `while let`:
//!
//! ```
//! use glassloop::sync::mpsc;
//!
//! glassloop::run(async {
//!     let (tx, mut rx) = mpsc::unbounded_channel();
//!     for word in ["one", "two"] {
//!         tx.send(word).unwrap();
//!     }
//!     drop(tx); // no sender left: recv() will end with None
//!     let mut words = Vec::new();
//!     while let Some(word) = rx.recv().await {
//!         words.push(word);
//!     }
//!     assert_eq!(words, ["one", "two"]);
//! });
//! ```
//!
//! [`mpsc::Receiver::recv`] and `time::Interval::tick` follow this pattern, and the
//! `async_iter` demo writes its own (an async range). The ecosystem's `Stream` trait
//! (`futures-core`) is the poll-based form of the same idea; glassloop does not depend on it,
//! because `while let` needs nothing more.
//!
//! Reading order: `waiters.rs`, `semaphore.rs`, `mutex.rs`, `event.rs`, `notify.rs`,
//! `oneshot.rs`, `mpsc.rs`, `queue.rs`, `condition.rs`, `barrier.rs`, and `error.rs` for
//! what each failure says.
//!
//! Read next: `waiters.rs`.

mod barrier;
mod condition;
mod error;
mod event;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod queue;
mod semaphore;
pub(crate) mod waiters;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use condition::Condition;
pub use error::{
    AcquireError, QueueEmpty, QueueFull, RecvError, SendError, TryAcquireError, TryLockError,
    TryRecvError, TrySendError,
};
pub use event::{Event, Wait};
pub use mutex::{Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use queue::{
    Fifo, Get, Join, Lifo, LifoQueue, OrderedQueue, Priority, PriorityQueue, Queue, QueueOrder,
};
pub use semaphore::{Acquire, OwnedPermit, Permit, Semaphore};
