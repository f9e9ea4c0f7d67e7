//! # Errors of the sync primitives and channels: each one says what happened
//!
//! A channel, queue or semaphore call fails for one of few reasons: the other side is gone, the
//! buffer is full, nothing is there yet, or the primitive was closed. Each reason is its own
//! type or variant, so a caller can `match` on it, and each `Display` is a sentence that says
//! what happened and what it means. Errors that carry a value you tried to send give it back
//! (`into_inner`), so nothing is lost by a failed send.
//!
//! asyncio raises exceptions instead (`asyncio.QueueFull`, `QueueEmpty`, and since 3.13
//! `QueueShutDown`); tokio has the same split as here, in `tokio::sync::{mpsc, oneshot}::error`.
//!
//! Read next: back to `mod.rs`, which compares every primitive of this folder side by side.

use std::fmt;

/// A send failed because the receiving side is gone (dropped or closed). The value is inside.
///
/// asyncio: `put` on a shut-down queue raises `QueueShutDown`; tokio: `mpsc::error::SendError`
/// (for a oneshot, tokio gives the bare value back).
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "send failed: the receiver was dropped or closed, so nobody can ever receive this \
             value; it is returned inside the error"
        )
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SendError(..)")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// A `try_send` that could not send now. The value is inside either way.
///
/// asyncio: `put_nowait` raising `QueueFull`; tokio: `mpsc::error::TrySendError`.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// Every slot of the bounded buffer is taken (or senders are already queued for one).
    /// Try again later, or `send(...).await` to wait for a slot.
    Full(T),
    /// The receiver was dropped or closed; no send will ever succeed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => write!(
                f,
                "try_send failed: the channel is full (every slot is taken or senders are \
                 queued for one); await send() to wait for a slot"
            ),
            TrySendError::Closed(_) => write!(
                f,
                "try_send failed: the receiver was dropped or closed, so nobody can ever \
                 receive this value"
            ),
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => write!(f, "Full(..)"),
            TrySendError::Closed(_) => write!(f, "Closed(..)"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// A receive that can never succeed: every sender is gone and nothing is left to receive.
///
/// asyncio: none (a queue has no senders); tokio: `oneshot::error::RecvError` (mpsc's `recv`
/// says the same thing with `None`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "receive failed: the sender was dropped without sending, so no value will ever come"
        )
    }
}

impl std::error::Error for RecvError {}

/// A `try_recv` that found nothing.
///
/// asyncio: `get_nowait` raising `QueueEmpty`; tokio: `mpsc::error::TryRecvError`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing to receive yet, but a sender still exists: a value may come later.
    Empty,
    /// Nothing to receive, and every sender is gone: no value will ever come.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => write!(
                f,
                "try_recv found nothing: the channel is empty but a sender still exists; \
                 await recv() to wait for a value"
            ),
            TryRecvError::Closed => write!(
                f,
                "try_recv found nothing: the channel is empty and every sender was dropped, \
                 so no value will ever come"
            ),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// An acquire on a closed [`Semaphore`](super::Semaphore).
///
/// asyncio: none; tokio: `AcquireError`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct AcquireError;

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "acquire failed: the semaphore was closed, so no permit will ever be handed out")
    }
}

impl std::error::Error for AcquireError {}

/// A `try_acquire` that could not take permits now.
///
/// asyncio: check `sem.locked()` first; tokio: `TryAcquireError`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryAcquireError {
    /// Not enough free permits, or others are queued ahead (nobody jumps the queue).
    NoPermits,
    /// The semaphore was closed.
    Closed,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::NoPermits => write!(
                f,
                "try_acquire failed: not enough free permits, or other acquires are queued \
                 ahead; await acquire() to take your turn"
            ),
            TryAcquireError::Closed => write!(f, "try_acquire failed: the semaphore was closed"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

/// A `try_lock` on a [`Mutex`](super::Mutex) that is held or has lockers queued.
///
/// asyncio: check `lock.locked()` first; tokio: `TryLockError`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct TryLockError;

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "try_lock failed: the mutex is held or other tasks are queued for it; await lock() \
             to take your turn"
        )
    }
}

impl std::error::Error for TryLockError {}

/// A `put_nowait` on a full [`Queue`](super::Queue), or one with putters waiting for a slot.
/// The item is inside.
///
/// asyncio: `asyncio.QueueFull`; tokio: `mpsc::error::TrySendError::Full`.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct QueueFull<T>(pub T);

impl<T> QueueFull<T> {
    /// The item that could not be put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "put_nowait failed: the queue is full (every slot is taken or putters are waiting \
             for one); await put() to wait for a slot; the item is returned inside the error"
        )
    }
}

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueueFull(..)")
    }
}

impl<T> std::error::Error for QueueFull<T> {}

/// A `get_nowait` on an empty [`Queue`](super::Queue).
///
/// asyncio: `asyncio.QueueEmpty`; tokio: `mpsc::error::TryRecvError::Empty`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "get_nowait found nothing: the queue is empty; await get() to wait for an item")
    }
}

impl std::error::Error for QueueEmpty {}
