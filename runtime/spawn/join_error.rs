//! # JoinError: why a task gave no value
//!
//! A task ends in one of three ways: it returns a value, it panics, or it is cancelled
//! (aborted, or dropped when its loop ended). The last two reach whoever awaits its
//! `JoinHandle` as a [`JoinError`], which says which, names the task, and carries a panic's
//! payload so it can be inspected or raised again.
//!
//! asyncio: `CancelledError`, or the exception the task raised; tokio: `JoinError`.
//!
//! Read next: `time/`, the futures that wait for the clock.

use std::any::Any;
use std::fmt;

/// Why awaiting a [`JoinHandle`](crate::JoinHandle) gave no value: the task was cancelled, or it panicked.
///
/// asyncio: `CancelledError`, or the exception the task raised; tokio: `JoinError`.
pub struct JoinError(Box<Failure>);

/// What a `JoinError` says, boxed: a task's result slot holds `Result<T, JoinError>`, so a
/// one-pointer error keeps every task's allocation small, and the box is only made when a
/// task fails.
struct Failure {
    task: String,
    kind: JoinErrorKind,
}

enum JoinErrorKind {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled(task: String) -> JoinError {
        JoinError(Box::new(Failure { task, kind: JoinErrorKind::Cancelled }))
    }

    pub(crate) fn panic(task: String, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError(Box::new(Failure { task, kind: JoinErrorKind::Panic(payload) }))
    }

    /// True if the task was cancelled (aborted, or dropped when the loop ended).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.0.kind, JoinErrorKind::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.0.kind, JoinErrorKind::Panic(_))
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind` or to inspect.
    ///
    /// # Panics
    /// If the task did not panic; check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!("JoinError::into_panic called on an error that is not a panic: {err}; check is_panic() first"),
        }
    }

    /// The panic payload if the task panicked, or the error back if it was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.0.kind {
            JoinErrorKind::Panic(payload) => Ok(payload),
            JoinErrorKind::Cancelled => Err(self),
        }
    }

    /// The panic message, when the payload is a string (as `panic!("...")` makes it).
    pub fn panic_message(&self) -> Option<&str> {
        match &self.0.kind {
            JoinErrorKind::Panic(payload) => payload_message(&**payload),
            JoinErrorKind::Cancelled => None,
        }
    }
}

/// The text of a panic payload, when it is a string (`panic!("...")` makes a `&str` or a
/// `String`): the one place glassloop reads a payload's message.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.kind {
            JoinErrorKind::Cancelled => write!(f, "task {} was cancelled", self.0.task),
            JoinErrorKind::Panic(_) => match self.panic_message() {
                Some(message) => write!(f, "task {} panicked: {}", self.0.task, message),
                None => write!(f, "task {} panicked", self.0.task),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({self})")
    }
}

impl std::error::Error for JoinError {}
