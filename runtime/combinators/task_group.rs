//! # TaskGroup: structured concurrency, children that cannot outlive their owner
//!
//! A bare `spawn` starts a task that nobody is obliged to wait for: forget its handle and it
//! runs on, detached, and if it fails nobody hears. A *task group* ties children to a scope:
//!
//! 1. `group.spawn(fut)` starts a child task (a real task: it runs while you do other work);
//! 2. `group.join_all().await` leaves the scope: it waits for every child and returns their
//!    values in spawn order;
//! 3. the first child to fail (return `Err`, or panic) cancels all its siblings, and the
//!    owner gets every failure as an [`ExceptionGroup`] (`join_all_grouped`), or the first of
//!    them (`join_all`);
//! 4. dropping the group, or a `join_all` that is itself cancelled, cancels the children still
//!    running: no child outlives the scope that made it.
//!
//! ```text
//!   owner ── spawn A ── spawn B ── spawn C ── join_all().await ───────────► Err(B's error)
//!                │          │          │                        ▲
//!   A  [─────────────✗ aborted (its Drop guards run)             │
//!   B  [──────Err(e)] ─► record e; a pass later: abort A and C ─┘ wakes the owner
//!   C  [─────────────✗ aborted
//! ```
//!
//! How a failure travels: each child runs inside a small wrapper (`Member`). The wrapper
//! polls the child under `catch_unwind`; on `Err` or on a panic it records the failure in the
//! group's shared state, wakes its own task and returns `Pending`. On that next poll, one
//! pass of the loop later, it aborts every sibling (abort drops a task's future at once) and
//! finishes. The aborted siblings' handles report cancellation, which wakes the owner if it is
//! waiting in `join_all`.
//!
//! ```text
//!   pass 1:  A fails ─► record A, wake A      B fails ─► record B, wake B      C: Pending
//!   pass 2:  A ─► abort B and C, finish ─► the owner: ExceptionGroup [A's error, B's error]
//! ```
//!
//! Why wait a pass? Children that fail *together* (their timers fired at the same instant, one
//! message woke them all) are all reported, not only the one the loop happened to poll first:
//! the group reacts once the pass in which the first failure happened is over. That is the
//! rule asyncio's `TaskGroup` has too, for the same reason: its "a child is done" callback is
//! scheduled with `call_soon`, so it runs after the other children that were ready in the same
//! iteration have taken their step. A child that would fail later is cancelled first, and its
//! error never happens.
//!
//! A panic is *caught* by the group like an `Err`, and reaches the owner as an error value,
//! [`GroupError::Panicked`], carrying the payload: re-raise it with
//! `std::panic::resume_unwind` if the owner should panic too. Because the group retrieves it,
//! the loop's "panic nobody retrieved" report is not printed for it.
//!
//! ## Compared with asyncio, tokio and trio
//!
//! asyncio's `TaskGroup` is an `async with` block; when a child fails it also cancels the
//! *body* of the block, and it raises an `ExceptionGroup` holding every child's exception.
//! glassloop has no way to cancel the owner's own code from outside, so the owner learns of
//! the failures when it reaches `join_all`. Siblings cancelled by the group are not errors in
//! either runtime (asyncio leaves their `CancelledError` out of the group). asyncio waits for
//! cancelled children to finish their `finally` blocks; in Rust cleanup is `Drop`, which runs
//! synchronously inside `abort`, so there is nothing left to wait for. tokio's `JoinSet`
//! aborts its tasks when dropped (point 4) but does not cancel siblings on failure; trio's
//! nursery does both.
//!
//! Read next: `abort_on_drop.rs`.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use super::children::{Children, InOrder};
use crate::executor::context::with_current;
use crate::executor::Core;
use crate::spawn::{spawn_on, JoinHandle};
use crate::task_id::TaskId;

/// One child's failure in a [`TaskGroup`]: what [`join_all`](TaskGroup::join_all) returns
/// (the first failure, which cancelled the others), and each entry of an [`ExceptionGroup`].
///
/// asyncio: one of the exceptions in the `ExceptionGroup` a `TaskGroup` raises; tokio: the
/// `JoinError` or value `JoinSet::join_next` gives.
pub enum GroupError<E> {
    /// A child returned `Err(error)`.
    Failed {
        /// The child that failed.
        task: TaskId,
        /// What it returned.
        error: E,
    },
    /// A child panicked. Re-raise with `std::panic::resume_unwind(payload)` if you want the
    /// owner to panic too.
    Panicked {
        /// The child that panicked.
        task: TaskId,
        /// The panic payload.
        payload: Box<dyn Any + Send + 'static>,
    },
    /// A child was cancelled by something other than the group (the loop shutting down).
    Cancelled {
        /// The child that was cancelled.
        task: TaskId,
    },
}

impl<E> GroupError<E> {
    /// The child whose failure this is.
    pub fn task(&self) -> TaskId {
        match self {
            GroupError::Failed { task, .. }
            | GroupError::Panicked { task, .. }
            | GroupError::Cancelled { task } => *task,
        }
    }

    /// The panic message, if a child panicked with a string message.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            GroupError::Panicked { payload, .. } => crate::spawn::payload_message(&**payload),
            _ => None,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Failed { task, error } => write!(f, "Failed({task}, {error:?})"),
            GroupError::Panicked { task, .. } => {
                write!(f, "Panicked({task}, {:?})", self.panic_message())
            }
            GroupError::Cancelled { task } => write!(f, "Cancelled({task})"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Failed { task, error } => {
                write!(f, "task {task} in the group failed: {error}")
            }
            GroupError::Panicked { task, .. } => match self.panic_message() {
                Some(message) => write!(f, "task {task} in the group panicked: {message}"),
                None => write!(f, "task {task} in the group panicked"),
            },
            GroupError::Cancelled { task } => write!(f, "task {task} in the group was cancelled"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

/// Every child failure of a [`TaskGroup`], in the order they happened: the children that
/// failed before the group reacted (see the module docs). Never empty.
///
/// asyncio: the `ExceptionGroup` a `TaskGroup` raises (`eg.exceptions`); tokio: none (collect
/// the `JoinSet` results yourself).
pub struct ExceptionGroup<E> {
    /// At least one; the first is the failure that made the group cancel the rest.
    errors: Vec<GroupError<E>>,
}

impl<E> ExceptionGroup<E> {
    /// Every failure, first first.
    ///
    /// asyncio: `eg.exceptions`.
    pub fn errors(&self) -> &[GroupError<E>] {
        &self.errors
    }

    /// Every failure, by value.
    pub fn into_errors(self) -> Vec<GroupError<E>> {
        self.errors
    }

    /// The failure that made the group cancel the rest.
    pub fn first(&self) -> &GroupError<E> {
        &self.errors[0]
    }

    /// The failure that made the group cancel the rest, by value (what
    /// [`TaskGroup::join_all`] returns).
    pub fn into_first(self) -> GroupError<E> {
        self.errors.into_iter().next().expect("an ExceptionGroup is never empty")
    }

    /// How many children failed (at least 1).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always false: a group is made only when a child failed. Here for the usual pair with
    /// `len`.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The failures, first first.
    pub fn iter(&self) -> std::slice::Iter<'_, GroupError<E>> {
        self.errors.iter()
    }
}

impl<E> IntoIterator for ExceptionGroup<E> {
    type Item = GroupError<E>;
    type IntoIter = std::vec::IntoIter<GroupError<E>>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<E: fmt::Debug> fmt::Debug for ExceptionGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ExceptionGroup").field(&self.errors).finish()
    }
}

impl<E: fmt::Display> fmt::Display for ExceptionGroup<E> {
    /// One failure: its sentence. More: how many, then each, separated by "; ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.errors.as_slice() {
            return write!(f, "{only}");
        }
        write!(f, "{} tasks in the group failed: ", self.errors.len())?;
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ExceptionGroup<E> {}

/// What the owner and every child wrapper share.
struct Shared<E> {
    /// Every failure so far, in the order they happened; `join_all` hands them to the owner.
    failures: Vec<GroupError<E>>,
    /// Members that recorded a failure and have not yet had the poll in which they abort
    /// their siblings. The owner waits for this to be 0, so that it sees every failure of
    /// the pass.
    reacting: usize,
    /// Every child's id, in spawn order (a child's wrapper finds itself by index).
    members: Vec<TaskId>,
    /// The runtime, to abort siblings. Weak: a group must not keep a runtime alive.
    core: Weak<Core>,
}

impl<E> Shared<E> {
    /// Record a member's failure; its wrapper aborts the siblings one poll later.
    fn record(shared: &RefCell<Shared<E>>, failure: GroupError<E>) {
        let mut state = shared.borrow_mut();
        state.failures.push(failure);
        state.reacting += 1;
    }

    /// Abort every member except `me` (the group reacts to a failure).
    fn abort_all_but(shared: &RefCell<Shared<E>>, me: usize) {
        let (siblings, core) = {
            let state = shared.borrow();
            let siblings: Vec<TaskId> = state
                .members
                .iter()
                .enumerate()
                .filter(|&(index, _)| index != me)
                .map(|(_, id)| *id)
                .collect();
            (siblings, state.core.upgrade())
        };
        // Abort outside the borrow: a sibling's destructors run inside `abort`.
        if let Some(core) = core {
            for id in siblings {
                core.abort(id);
            }
        }
    }
}

/// A scope for child tasks: wait for all, and the first failure cancels the rest.
///
/// Children return `Result<T, E>`; [`join_all`](TaskGroup::join_all) gives `Ok(Vec<T>)` in
/// spawn order, or the first [`GroupError`]; [`join_all_grouped`](TaskGroup::join_all_grouped)
/// gives every failure, as an [`ExceptionGroup`]. Dropping the group cancels its children.
///
/// ```
/// use std::time::Duration;
/// use glassloop::combinators::TaskGroup;
/// use glassloop::time::{sleep, Instant};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let mut group = TaskGroup::new();
///     group.spawn(async { sleep(Duration::from_secs(10)).await; Ok(1) });
///     group.spawn(async { sleep(Duration::from_secs(2)).await; Err("disk full") });
///     let err = group.join_all().await.unwrap_err();
///     assert_eq!(err.to_string(), "task #2 in the group failed: disk full");
///     assert_eq!(start.elapsed(), Duration::from_secs(2)); // the 10 s sibling was cancelled
/// });
/// ```
///
/// asyncio: `async with asyncio.TaskGroup() as tg: tg.create_task(...)`; tokio: `JoinSet`
/// (which aborts on drop but does not cancel siblings on failure); trio: a nursery.
pub struct TaskGroup<T, E> {
    shared: Rc<RefCell<Shared<E>>>,
    handles: Vec<JoinHandle<Option<T>>>,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group on the current runtime.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    pub fn new() -> TaskGroup<T, E> {
        let core = with_current("glassloop::combinators::TaskGroup::new", Rc::downgrade);
        TaskGroup {
            shared: Rc::new(RefCell::new(Shared {
                failures: Vec::new(),
                reacting: 0,
                members: Vec::new(),
                core,
            })),
            handles: Vec::new(),
        }
    }

    /// Start `future` as a child task of the group and return its id. If the group has
    /// already failed, the child is cancelled at once (as asyncio refuses new tasks in a
    /// group that is shutting down).
    ///
    /// asyncio: `tg.create_task(coro)`; tokio: `JoinSet::spawn_local`.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        let spawned_at = Location::caller();
        let member = Member {
            future: Box::pin(future),
            shared: self.shared.clone(),
            index: self.handles.len(),
            failed: false,
        };
        let handle = with_current("glassloop::combinators::TaskGroup::spawn", |core| {
            spawn_on(core, None, spawned_at, member)
        });
        let id = handle.id();
        let already_failed = {
            let mut shared = self.shared.borrow_mut();
            shared.members.push(id);
            !shared.failures.is_empty()
        };
        if already_failed {
            handle.abort();
        }
        self.handles.push(handle);
        id
    }

    /// How many children were spawned into the group.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// True if no child was spawned.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Leave the scope: wait for every child; `Ok` with their values in spawn order, or the
    /// first failure once the group has reacted to it (the other children are cancelled by
    /// then). [`join_all_grouped`](TaskGroup::join_all_grouped) gives every failure.
    ///
    /// asyncio: the end of the `async with TaskGroup()` block; tokio: `JoinSet::join_all`.
    #[track_caller]
    pub fn join_all(self) -> JoinAll<T, E> {
        JoinAll { grouped: self.join_all_grouped() }
    }

    /// Leave the scope, as [`join_all`](TaskGroup::join_all), but on failure get every child
    /// that failed before the group reacted, in the order they failed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use glassloop::combinators::TaskGroup;
    /// use glassloop::time::sleep;
    ///
    /// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
    /// rt.block_on(async {
    ///     let mut group = TaskGroup::<(), &str>::new();
    ///     for (secs, name) in [(1, "a"), (1, "b"), (9, "c")] {
    ///         group.spawn(async move { sleep(Duration::from_secs(secs)).await; Err(name) });
    ///     }
    ///     let failures = group.join_all_grouped().await.unwrap_err();
    ///     // a and b failed at the same instant; c was cancelled before it could fail.
    ///     assert_eq!(
    ///         failures.to_string(),
    ///         "2 tasks in the group failed: task #1 in the group failed: a; \
    ///          task #2 in the group failed: b"
    ///     );
    /// });
    /// ```
    ///
    /// asyncio: `except* ...` around the `async with TaskGroup()` block; tokio: none.
    #[track_caller]
    pub fn join_all_grouped(mut self) -> JoinAllGrouped<T, E> {
        let handles = std::mem::take(&mut self.handles);
        let values = InOrder::new(handles.len());
        JoinAllGrouped {
            shared: self.shared.clone(),
            children: Children::new("TaskGroup::join_all_grouped", handles),
            values,
        }
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    /// A group dropped before `join_all` (the owner was cancelled, or returned early) cancels
    /// its children: nothing outlives the scope.
    fn drop(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.handles.len())
            .field("failures", &self.shared.borrow().failures.len())
            .finish()
    }
}

/// The future returned by [`TaskGroup::join_all`]: every value, or the first failure.
/// Dropping it cancels the children still running.
///
/// asyncio: leaving the `async with` block; tokio: `JoinSet::join_all`'s future.
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAll<T, E> {
    grouped: JoinAllGrouped<T, E>,
}

impl<T, E> Future for JoinAll<T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().grouped)
            .poll(cx)
            .map(|joined| joined.map_err(ExceptionGroup::into_first))
    }
}

impl<T, E> fmt::Debug for JoinAll<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll").field("remaining", &self.grouped.children.remaining()).finish()
    }
}

/// The future returned by [`TaskGroup::join_all_grouped`]: every value, or every failure.
/// Dropping it cancels the children still running.
///
/// asyncio: leaving the `async with` block, with `except*`; tokio: none.
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAllGrouped<T, E> {
    shared: Rc<RefCell<Shared<E>>>,
    children: Children<JoinHandle<Option<T>>>,
    values: InOrder<T>,
}

impl<T, E> Future for JoinAllGrouped<T, E> {
    type Output = Result<Vec<T>, ExceptionGroup<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let values = &mut this.values;
        // The index of the first child aborted from outside; its task id is looked up only
        // then, so an ordinary poll does not copy the member list.
        let mut cancelled_from_outside = None;
        this.children.poll_woken(cx, |index, result| {
            match result {
                Ok(Some(value)) => values.put(index, value),
                Ok(None) => {} // this child failed; its failure is in `shared`
                Err(err) if err.is_cancelled() => {
                    cancelled_from_outside.get_or_insert(index);
                }
                Err(err) => unreachable!("a group member catches its own panic, yet: {err}"),
            }
            ControlFlow::Continue(())
        });
        let errors = {
            let mut shared = this.shared.borrow_mut();
            if shared.reacting > 0 {
                // A failing member has not reacted yet; its end (or its abort) wakes us.
                return Poll::Pending;
            }
            let mut errors = std::mem::take(&mut shared.failures);
            if errors.is_empty() {
                if let Some(index) = cancelled_from_outside {
                    errors.push(GroupError::Cancelled { task: shared.members[index] });
                }
            }
            errors
        };
        if !errors.is_empty() {
            abort_pending(&mut this.children);
            return Poll::Ready(Err(ExceptionGroup { errors }));
        }
        if this.children.remaining() > 0 {
            return Poll::Pending;
        }
        Poll::Ready(Ok(this.values.take_all("join_all")))
    }
}

// The values are plain values, never pinned.
impl<T, E> Unpin for JoinAllGrouped<T, E> {}

impl<T, E> Drop for JoinAllGrouped<T, E> {
    fn drop(&mut self) {
        abort_pending(&mut self.children);
    }
}

impl<T, E> fmt::Debug for JoinAllGrouped<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAllGrouped").field("remaining", &self.children.remaining()).finish()
    }
}

/// Abort every child whose handle the join has not yet seen finish.
fn abort_pending<T>(children: &mut Children<JoinHandle<T>>) {
    for (_, handle) in children.take_pending() {
        handle.abort();
    }
}

/// A child as the group runs it: the user's future, plus failure reporting.
struct Member<F, E> {
    future: Pin<Box<F>>,
    shared: Rc<RefCell<Shared<E>>>,
    /// This child's position in `shared.members`.
    index: usize,
    /// Set when the child failed: the next poll aborts the siblings (counted in
    /// `shared.reacting` until then).
    failed: bool,
}

impl<F, T, E> Future for Member<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        if this.failed {
            // One pass after our failure: every sibling that failed in that pass has said so.
            this.failed = false;
            this.shared.borrow_mut().reacting -= 1;
            Shared::abort_all_but(&this.shared, this.index);
            return Poll::Ready(None);
        }
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(cx)));
        let id = || this.shared.borrow().members[this.index];
        let failure = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(value))) => return Poll::Ready(Some(value)),
            Ok(Poll::Ready(Err(error))) => GroupError::Failed { task: id(), error },
            Err(payload) => GroupError::Panicked { task: id(), payload },
        };
        Shared::record(&this.shared, failure);
        this.failed = true;
        cx.waker().wake_by_ref(); // to the back of the ready queue: react next pass
        Poll::Pending
    }
}

impl<F, E> Drop for Member<F, E> {
    fn drop(&mut self) {
        if self.failed {
            // Aborted before it could react (a sibling reacted first, or the group was
            // dropped): it no longer holds the owner back.
            self.shared.borrow_mut().reacting -= 1;
        }
    }
}
