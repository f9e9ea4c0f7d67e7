//! # oneshot: one value, from one task to one other
//!
//! The smallest channel: a shared cell that holds at most one value, a [`Sender`] that fills
//! it (once: `send` takes `self`), and a [`Receiver`] that is itself a future resolving to the
//! value. It is how a task hands back a single result (a reply to a request, the answer of a
//! background job) without a `JoinHandle`.
//!
//! ```text
//!   Sender ──send(v)──► Rc<RefCell<Cell { value, waker, sender_alive, receiver_alive }>>
//!                                 │ wake
//!   Receiver.await ◄──────────────┘ Ok(v), or Err(RecvError) once the sender is gone
//! ```
//!
//! Every way one side can disappear is answered on the other side:
//!
//! - the receiver was dropped: `send` fails with [`SendError`], and the value is inside it;
//! - the sender was dropped without sending: the receiver wakes and gets [`RecvError`].
//!
//! There is only ever one waiter (the receiver), so a single `Option<Waker>` does the job of
//! the waiter list used elsewhere in this folder. A receiver future that is polled by a new task
//! replaces the stored waker; dropping the receiver clears it, so no stale wake-up remains.
//!
//! ## Shortcuts, honestly
//!
//! tokio's oneshot is `Send`: its state is one atomic word and both wakers sit in
//! `UnsafeCell`s, updated with careful compare-and-swap sequences. Here an `Rc<RefCell<..>>`
//! is enough; the price is that neither end may cross threads. asyncio's nearest relative is a
//! `Future` created with `loop.create_future()` and resolved with `set_result`.
//!
//! Read next: `mpsc.rs`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{RecvError, SendError, TryRecvError};
use super::waiters::keep_waker;
use crate::executor::context::note_await_current;
use crate::wait_site::{waiting_on, End, MadeAt, WaitOn};

struct Shared<T> {
    /// The value, between `send` and the receiver taking it.
    value: Option<T>,
    /// The waker of the receiver's latest pending poll.
    receiver_waker: Option<Waker>,
    /// Cleared when the sender is dropped (or consumed by `send`).
    sender_alive: bool,
    /// Cleared when the receiver is dropped.
    receiver_alive: bool,
    /// Where `channel()` was called, for the task dump. Never changes.
    made_at: MadeAt,
}

/// Make a oneshot channel: a sender for one value and a receiver to await it.
///
/// asyncio: `fut = loop.create_future()` / `fut.set_result(v)` / `await fut`; tokio:
/// `tokio::sync::oneshot::channel`.
///
/// ```
/// use glassloop::sync::oneshot;
///
/// let answer = glassloop::run(async {
///     let (tx, rx) = oneshot::channel();
///     glassloop::spawn(async move { tx.send(6 * 7).unwrap() });
///     rx.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(RefCell::new(Shared {
        value: None,
        receiver_waker: None,
        sender_alive: true,
        receiver_alive: true,
        made_at: Location::caller(),
    }));
    (Sender { shared: shared.clone() }, Receiver { shared })
}

/// The sending half of a [`oneshot`](self) channel.
///
/// tokio: `oneshot::Sender`.
pub struct Sender<T> {
    shared: Rc<RefCell<Shared<T>>>,
}

impl<T> Sender<T> {
    /// Send the value and wake the receiver. Fails, giving the value back, if the receiver was
    /// dropped. Never waits.
    ///
    /// asyncio: `fut.set_result(v)`; tokio: `Sender::send`.
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        let waker = {
            let mut shared = self.shared.borrow_mut();
            if !shared.receiver_alive {
                return Err(SendError(value));
            }
            shared.value = Some(value);
            shared.receiver_waker.take()
        };
        super::waiters::wake_one(waker, crate::wake_site::Via::Channel);
        Ok(()) // `self` drops here: the receiver already has its value, so it sees no error
    }

    /// True if the receiver was dropped: a send would fail.
    ///
    /// tokio: `Sender::is_closed`.
    pub fn is_closed(&self) -> bool {
        !self.shared.borrow().receiver_alive
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut shared = self.shared.borrow_mut();
            shared.sender_alive = false;
            shared.receiver_waker.take()
        };
        // Wake the receiver so it can see "sent" or "never will be": either way it goes on.
        super::waiters::wake_one(waker, crate::wake_site::Via::Channel);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").field("closed", &self.is_closed()).finish()
    }
}

/// The receiving half of a [`oneshot`](self) channel; await it for the value.
///
/// tokio: `oneshot::Receiver`.
#[must_use = "futures do nothing unless awaited"]
pub struct Receiver<T> {
    shared: Rc<RefCell<Shared<T>>>,
}

impl<T> Receiver<T> {
    /// Take the value if it is there, without waiting.
    ///
    /// tokio: `Receiver::try_recv`.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut shared = self.shared.borrow_mut();
        match shared.value.take() {
            Some(value) => Ok(value),
            None if shared.sender_alive => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Closed),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    // `#[track_caller]`: `Location::caller()` is the `.await` on this receiver.
    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.try_recv() {
            Ok(value) => return Poll::Ready(Ok(value)),
            Err(TryRecvError::Closed) => return Poll::Ready(Err(RecvError)),
            Err(TryRecvError::Empty) => {}
        }
        let made_at = {
            let mut shared = this.shared.borrow_mut();
            keep_waker(&mut shared.receiver_waker, cx.waker());
            shared.made_at
        };
        waiting_on(WaitOn::Channel(made_at, End::OneshotRecv));
        note_await_current(Location::caller());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let unreceived = {
            let mut shared = self.shared.borrow_mut();
            shared.receiver_alive = false;
            shared.receiver_waker = None;
            shared.value.take()
        };
        // A value sent but never received is dropped here, with the receiver, not later.
        drop(unreceived);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared.borrow();
        f.debug_struct("oneshot::Receiver")
            .field("has_value", &shared.value.is_some())
            .field("sender_alive", &shared.sender_alive)
            .finish()
    }
}
