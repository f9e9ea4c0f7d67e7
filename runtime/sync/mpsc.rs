//! # mpsc: many senders, one receiver, a queue in between
//!
//! A multi-producer, single-consumer channel is a `VecDeque` shared by every sender and the
//! one receiver, plus the receiver's waker. A send pushes at the back and wakes the receiver;
//! `recv` pops from the front or, if the queue is empty, leaves its waker and waits.
//!
//! ```text
//!   Sender ─┐                 Chan { queue: VecDeque<T>, receiver_waker, senders, closed }
//!   Sender ─┼─ send(v) ─► [v1 v2 v3 ...] ─► recv() ─► Receiver
//!   Sender ─┘     ▲ bounded: one permit of `slots: Semaphore` per free place in the queue
//! ```
//!
//! ## Back-pressure: a bounded channel is a channel plus a semaphore
//!
//! A bounded channel of capacity N owns a [`Semaphore`] with N permits, one per free slot.
//! `send` first acquires a permit (waiting while the channel is full), then *forgets* it, so
//! that the value now occupies the slot; `recv` pops a value and adds a permit back, which the
//! semaphore hands to the oldest waiting sender. Everything the semaphore promises carries over
//! for free: senders get slots in the order they asked, and a cancelled `send` never holds a
//! slot (it leaves the semaphore's queue, or passes on a slot it had been handed). tokio's
//! bounded `mpsc` is built on its semaphore in the same way. An unbounded channel has no
//! semaphore: `send` never waits, and memory is the only limit, so prefer a bound.
//!
//! ## Closing: who is gone, and what the other side sees
//!
//! | what happened | `recv` | `send` / `try_send` |
//! |---|---|---|
//! | every sender dropped | the values still queued, then `None` | (no sender left) |
//! | the receiver called `close()` | the values still queued, then `None` | `Err`, value inside |
//! | the receiver was dropped | (no receiver left) | `Err`, value inside; queued values dropped |
//!
//! Senders that are waiting for a slot when the receiver goes away are woken and fail (the
//! semaphore is closed), so nobody waits forever for a receiver that no longer exists.
//!
//! ## Async iteration: `recv` is `next`
//!
//! `while let Some(v) = rx.recv().await { ... }` is Rust's `async for v in queue`. It is the
//! plain *async iterator* pattern: a type with `async fn next(&mut self) -> Option<T>` (here
//! named `recv`), ended by `None`. The ecosystem's `Stream` trait (futures-core) is the same
//! idea as a `poll_next` method, which combinators need; glassloop keeps the plain pattern and
//! no extra dependency ([`Receiver::poll_recv`] is there for hand-written futures).
//!
//! ## Shortcuts, honestly
//!
//! tokio's channels are `Send`: the queue is a lock-free linked list of blocks and the
//! receiver's waker sits in an `AtomicWaker`, so that senders on other threads can push without
//! a lock. Here the channel is `Rc<RefCell<..>>`: no atomics, no `Send`. asyncio's
//! `asyncio.Queue(maxsize)` is the nearest cousin; it is multi-consumer, and has no notion of
//! its senders going away (3.13 added `shutdown()`).
//!
//! Read next: `queue.rs`, the many-consumer queue asyncio programmers know, built from the same
//! parts.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{SendError, TryAcquireError, TryRecvError, TrySendError};
use super::semaphore::Semaphore;
use super::waiters::keep_waker;
use crate::executor::context::note_await_current;
use crate::wait_site::{waiting_on, End, MadeAt, WaitOn};

struct State<T> {
    /// Values sent and not yet received, oldest first.
    queue: VecDeque<T>,
    /// The waker of a pending `recv`; taken by the next send or by the last sender's drop.
    receiver_waker: Option<Waker>,
    /// Live senders (bounded and unbounded handles alike).
    senders: usize,
    /// Set when the receiver calls `close()` or is dropped; then every send fails.
    closed: bool,
}

struct Chan<T> {
    state: RefCell<State<T>>,
    /// Bounded: one permit per free slot. `None`: unbounded.
    slots: Option<Semaphore>,
    /// Where `channel()` or `unbounded_channel()` was called, for the task dump; one pointer
    /// for both ends. Never changes.
    made_at: MadeAt,
}

impl<T> Chan<T> {
    /// Put a value in the queue (its slot, if bounded, is already paid for) and wake the
    /// receiver.
    fn push(&self, value: T) -> Result<(), SendError<T>> {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return Err(SendError(value));
            }
            state.queue.push_back(value);
            state.receiver_waker.take()
        };
        super::waiters::wake_one(waker, crate::wake_site::Via::Channel);
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Stop all sends: mark closed and fail every sender waiting for a slot.
    fn close(&self) {
        self.state.borrow_mut().closed = true;
        if let Some(slots) = &self.slots {
            slots.close();
        }
    }
}

/// A counted reference to the channel held by every sender: the count is how the receiver
/// learns that the last sender is gone.
struct SenderRef<T> {
    chan: Rc<Chan<T>>,
}

impl<T> SenderRef<T> {
    fn new(chan: Rc<Chan<T>>) -> SenderRef<T> {
        chan.state.borrow_mut().senders += 1;
        SenderRef { chan }
    }
}

impl<T> Clone for SenderRef<T> {
    fn clone(&self) -> Self {
        SenderRef::new(self.chan.clone())
    }
}

impl<T> Drop for SenderRef<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.chan.state.borrow_mut();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            state.receiver_waker.take()
        };
        // The last sender is gone: a waiting receiver must wake to see `None`.
        super::waiters::wake_one(waker, crate::wake_site::Via::Channel);
    }
}

fn new_chan<T>(slots: Option<Semaphore>, made_at: MadeAt) -> (Rc<Chan<T>>, Receiver<T>) {
    let chan = Rc::new(Chan {
        state: RefCell::new(State {
            queue: VecDeque::new(),
            receiver_waker: None,
            senders: 0,
            closed: false,
        }),
        slots,
        made_at,
    });
    (chan.clone(), Receiver { chan })
}

/// A bounded channel holding at most `capacity` values; `send` waits while it is full.
///
/// asyncio: `asyncio.Queue(maxsize=capacity)`; tokio: `tokio::sync::mpsc::channel`.
///
/// ```
/// use glassloop::sync::mpsc;
///
/// let received = glassloop::run(async {
///     let (tx, mut rx) = mpsc::channel(2);
///     glassloop::spawn(async move {
///         for i in 1..=5 {
///             tx.send(i).await.unwrap(); // waits while two values are queued
///         }
///     }); // tx dropped when the task ends: the channel closes
///     let mut received = Vec::new();
///     while let Some(i) = rx.recv().await {
///         received.push(i);
///     }
///     received
/// });
/// assert_eq!(received, [1, 2, 3, 4, 5]);
/// ```
///
/// # Panics
/// If `capacity` is zero (a rendezvous channel is not supported; use a capacity of 1).
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::channel needs a capacity of at least 1; for a channel with no bound use \
         mpsc::unbounded_channel()"
    );
    let made_at = Location::caller();
    let (chan, receiver) = new_chan(Some(Semaphore::made_at(capacity, made_at)), made_at);
    let sender = Sender { tx: SenderRef::new(chan) };
    (sender, receiver)
}

/// A channel with no bound: `send` never waits (and memory is the only limit).
///
/// asyncio: `asyncio.Queue()`; tokio: `tokio::sync::mpsc::unbounded_channel`.
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, Receiver<T>) {
    let (chan, receiver) = new_chan(None, Location::caller());
    let sender = UnboundedSender { tx: SenderRef::new(chan) };
    (sender, receiver)
}

// ───────────────────────────── senders ─────────────────────────────

/// The sending half of a bounded channel. Clone it for more senders.
///
/// asyncio: `queue.put`; tokio: `mpsc::Sender`.
pub struct Sender<T> {
    tx: SenderRef<T>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender { tx: self.tx.clone() }
    }
}

impl<T> Sender<T> {
    fn slots(&self) -> &Semaphore {
        match &self.tx.chan.slots {
            Some(slots) => slots,
            None => unreachable!("a bounded Sender always has a slots semaphore"),
        }
    }

    /// Send a value, waiting for a free slot while the channel is full. Senders get slots in
    /// the order they asked. Fails, with the value inside, if the receiver is gone or closed.
    /// If this future is dropped while it waits, the value is dropped with it and no slot is
    /// taken.
    ///
    /// asyncio: `await queue.put(v)`; tokio: `Sender::send`.
    #[track_caller]
    pub fn send(&self, value: T) -> impl Future<Output = Result<(), SendError<T>>> + '_ {
        let at = Location::caller(); // the await point, for debug reports
        async move {
            if self.tx.chan.is_closed() {
                return Err(SendError(value));
            }
            let on = WaitOn::Channel(self.tx.chan.made_at, End::MpscSend);
            match self.slots().acquire_at(1, at, on).await {
                Ok(permit) => {
                    // The permit becomes the value's slot; `recv` gives it back.
                    permit.forget();
                    self.tx.chan.push(value)
                }
                Err(_closed) => Err(SendError(value)),
            }
        }
    }

    /// Send a value if a slot is free now and no sender is queued for one; never waits.
    ///
    /// asyncio: `queue.put_nowait(v)`; tokio: `Sender::try_send`.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        if self.tx.chan.is_closed() {
            return Err(TrySendError::Closed(value));
        }
        match self.slots().try_acquire() {
            Ok(permit) => {
                permit.forget();
                self.tx.chan.push(value).map_err(|SendError(value)| TrySendError::Closed(value))
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// How many values could be sent now without waiting.
    ///
    /// asyncio: `maxsize - qsize()`; tokio: `Sender::capacity`.
    pub fn capacity(&self) -> usize {
        self.slots().available_permits()
    }

    /// True once the receiver is gone or closed: every send would fail.
    ///
    /// tokio: `Sender::is_closed`.
    pub fn is_closed(&self) -> bool {
        self.tx.chan.is_closed()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The sending half of an unbounded channel. Clone it for more senders.
///
/// asyncio: `queue.put_nowait` on a queue without `maxsize`; tokio: `mpsc::UnboundedSender`.
pub struct UnboundedSender<T> {
    tx: SenderRef<T>,
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender { tx: self.tx.clone() }
    }
}

impl<T> UnboundedSender<T> {
    /// Send a value; never waits. Fails, with the value inside, if the receiver is gone.
    ///
    /// tokio: `UnboundedSender::send`.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.tx.chan.push(value)
    }

    /// True once the receiver is gone or closed: every send would fail.
    ///
    /// tokio: `UnboundedSender::is_closed`.
    pub fn is_closed(&self) -> bool {
        self.tx.chan.is_closed()
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender").field("closed", &self.is_closed()).finish()
    }
}

// ───────────────────────────── receiver ─────────────────────────────

/// The receiving half of a bounded or unbounded channel.
///
/// asyncio: `queue.get`; tokio: `mpsc::Receiver` / `mpsc::UnboundedReceiver`.
pub struct Receiver<T> {
    chan: Rc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Wait for the next value; `None` once the channel is closed and empty. This is the
    /// channel's `async fn next`: `while let Some(v) = rx.recv().await { ... }`.
    ///
    /// asyncio: `await queue.get()`; tokio: `Receiver::recv`.
    #[track_caller]
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self, at: Location::caller() }
    }

    /// Take the next value if one is queued; never waits.
    ///
    /// asyncio: `queue.get_nowait()`; tokio: `Receiver::try_recv`.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let value = {
            let mut state = self.chan.state.borrow_mut();
            match state.queue.pop_front() {
                Some(value) => value,
                None if state.senders == 0 || state.closed => return Err(TryRecvError::Closed),
                None => return Err(TryRecvError::Empty),
            }
        };
        self.free_slot();
        Ok(value)
    }

    /// Poll for the next value (for hand-written futures and stream adapters).
    ///
    /// tokio: `Receiver::poll_recv`.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.try_recv() {
            Ok(value) => Poll::Ready(Some(value)),
            Err(TryRecvError::Closed) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                // Nothing runs between the look and this line: no send can slip in between.
                let mut state = self.chan.state.borrow_mut();
                keep_waker(&mut state.receiver_waker, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Stop the channel from accepting values; the ones already queued can still be received.
    ///
    /// asyncio: `queue.shutdown()` (3.13); tokio: `Receiver::close`.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// How many values are queued.
    ///
    /// asyncio: `queue.qsize()`; tokio: `Receiver::len`.
    pub fn len(&self) -> usize {
        self.chan.state.borrow().queue.len()
    }

    /// True if no value is queued.
    ///
    /// asyncio: `queue.empty()`; tokio: `Receiver::is_empty`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A value left the queue: its slot goes to the oldest waiting sender.
    fn free_slot(&self) {
        if let Some(slots) = &self.chan.slots {
            slots.add_permits(1);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close();
        let unreceived = {
            let mut state = self.chan.state.borrow_mut();
            state.receiver_waker = None;
            std::mem::take(&mut state.queue)
        };
        // Values nobody will receive are dropped now, outside the borrow (their destructors
        // may use the channel).
        drop(unreceived);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.chan.state.borrow();
        f.debug_struct("mpsc::Receiver")
            .field("queued", &state.queue.len())
            .field("senders", &state.senders)
            .field("closed", &state.closed)
            .finish()
    }
}

/// The future returned by [`Receiver::recv`]. Dropping it forgets its waker, so a send after
/// a cancelled `recv` wakes nobody.
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// Where `recv` was called: the await point for debug reports.
    at: &'static Location<'static>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let polled = self.receiver.poll_recv(cx);
        if polled.is_pending() {
            waiting_on(WaitOn::Channel(self.receiver.chan.made_at, End::MpscRecv));
            note_await_current(self.at);
        }
        polled
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.receiver.chan.state.borrow_mut().receiver_waker = None;
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish()
    }
}
