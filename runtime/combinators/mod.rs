//! # Combinators: many futures, one await
//!
//! asyncio's concurrency toolkit, in glassloop's terms. Each combinator is an ordinary future
//! that owns other futures (its *children*) and polls them from inside the task that awaits
//! it; none of them needs help from the executor.
//!
//! | glassloop | asyncio | tokio / futures | file |
//! |-----------|---------|-----------------|------|
//! | [`gather`], [`gather2`], [`gather3`] | `asyncio.gather` | `join_all`, `join!` | `gather.rs` |
//! | [`try_gather`] | `gather` (first exception propagates) | `try_join_all`, `try_join!` | `try_gather.rs` |
//! | [`select`], [`race`] | `wait(FIRST_COMPLETED)` + cancel | `select!`, `select_all` | `select.rs` |
//! | [`as_completed`] | `asyncio.as_completed` | `JoinSet::join_next`, `FuturesUnordered` | `as_completed.rs` |
//! | [`wait`], [`ReturnWhen`] | `asyncio.wait` | (none) | `wait.rs` |
//! | [`TaskGroup`] | `asyncio.TaskGroup` | `JoinSet` (trio: nursery) | `task_group.rs` |
//! | [`AbortOnDrop`] | `await task` cancelling the task | `AbortOnDropHandle` | `abort_on_drop.rs` |
//!
//! ## The one idea underneath: a waker per child
//!
//! A combinator is polled with its task's waker. If it handed that same waker to every child,
//! a wake would say "something in this task can progress" but not *which* child, and the
//! combinator would have to poll them all. `children.rs` gives each child its own waker that
//! writes the child's index on a ready list and then wakes the task; the combinator polls only
//! the children on the list. Tests count child polls to prove it (tests/combinators.rs).
//!
//! ## Cancellation is drop
//!
//! asyncio cancels a task by throwing `CancelledError` into it at its next `await`, and the
//! coroutine may catch it, run `finally` blocks, even refuse. A Rust future is cancelled by
//! being dropped: it is never polled again, and its destructors run right then. So:
//!
//! - the analogue of `CancelledError` is the [`JoinError`](crate::JoinError) whose
//!   `is_cancelled()` is true, which awaiting an aborted task's handle returns;
//! - the analogue of `try/finally` is a value whose `Drop` does the cleanup (a guard), held
//!   across the `await`s it protects;
//! - a timeout, a lost `select`, a failed sibling in `try_gather` or a `TaskGroup`, and
//!   `JoinHandle::abort` are all the same event: a drop.
//!
//! What a dropped future cannot do is run *async* cleanup (await a goodbye message). asyncio
//! can, because the coroutine keeps running after the exception is thrown in. Rust's answer is
//! to do such cleanup before giving up (or in a task spawned from `Drop`).
//!
//! Read first: `children.rs`, then `gather.rs`, `try_gather.rs`, `select.rs`,
//! `as_completed.rs`, `wait.rs`, `task_group.rs`, `abort_on_drop.rs`.

mod abort_on_drop;
mod as_completed;
mod children;
mod gather;
mod select;
mod task_group;
mod try_gather;
mod wait;

pub use abort_on_drop::AbortOnDrop;
pub use as_completed::{as_completed, AsCompleted, Next};
pub use gather::{gather, gather2, gather3, Gather};
pub use select::{race, select, Either, Race, Select};
pub use task_group::{ExceptionGroup, GroupError, JoinAll, JoinAllGrouped, TaskGroup};
pub use try_gather::{try_gather, TryGather};
pub use wait::{wait, ReturnWhen, Wait, WaitOutcome};
