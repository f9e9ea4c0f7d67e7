//! # Children: many futures inside one task, each with its own waker
//!
//! `gather`, `try_gather`, `race`, `as_completed` and `wait` all hold several *child* futures
//! inside the one task that awaits them. The task has one waker; when it is woken, which child
//! should it poll? The naive answer, "all of them", is what a hand-written loop over a `Vec`
//! does: a gather of 10,000 sleepers would poll 10,000 children every time one timer fires.
//!
//! The answer here is the one `futures::FuturesUnordered` and tokio's `JoinSet` use: give every
//! child its *own* waker. A child waker does two things when woken: it writes its child's index
//! on a shared *ready list*, and it wakes the parent task. When the parent is polled it takes
//! the list and polls exactly the children named there.
//!
//! ```text
//!   parent task (polled by the loop with the task's waker)
//!     │ poll_woken(cx): remember cx.waker() as the parent; take the ready list [2, 0]
//!     │                 sort it: [0, 2]; poll child 0 and child 2 only
//!     ▼
//!   child 0 ◄── ChildWaker{index: 0} ─┐
//!   child 1 ◄── ChildWaker{index: 1}  ├── wake(): ready list += [index]; parent.wake()
//!   child 2 ◄── ChildWaker{index: 2} ─┘
//! ```
//!
//! Woken children are polled in argument order (lowest index first), not wake order, so when
//! two children finish in the same tick the first in argument order is seen first: that is the
//! tie rule of `race` and `select`, and it makes every result deterministic.
//!
//! ## Keeping the stall detector honest
//!
//! The ready list holds a clone of the parent's waker. The executor detects a stalled loop by
//! counting who holds a task's waker, so a ready list that kept it forever would hide a gather
//! whose children can never be woken. After each poll we check whether anyone besides us still
//! holds a child's waker (the `Arc`'s strong count); if nobody does, no child can ever be woken
//! again, and the parent's waker is let go.
//!
//! ## Naming the child that held a poll
//!
//! `Children::new` is `#[track_caller]`: it keeps the combinator's name and call site, and
//! every child poll goes through `observe::child_poll`, which in debug mode times it, so a
//! slow-poll report can say "child 2 of 3 of the gather at src/main.rs:30"
//! (observe/child_polls.rs). Off, that is one thread-local read and a branch per child poll.
//!
//! The file also holds `InOrder`, the row of outputs that `gather`, `try_gather` and
//! `TaskGroup::join_all` fill in as children finish (in any order) and hand back in argument
//! order.
//!
//! ## Shortcuts, honestly
//!
//! Each child is boxed (so the parent can move freely without unsafe pin projection) and the
//! ready list sits behind a `std::sync::Mutex` because a `Waker` must be `Send + Sync`, even
//! though glassloop wakes from one thread almost always. `FuturesUnordered` uses an intrusive
//! lock-free linked list of tasks instead; it polls in wake order and has no tie rule.
//!
//! Read next: `gather.rs`, the first user of this engine.

use std::future::Future;
use std::mem;
use std::ops::ControlFlow;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_task::{waker_ref, ArcWake};

use crate::observe::child_poll;
use crate::sync::waiters::keep_waker;

/// The list of children woken since the parent last looked, shared by every child waker.
#[derive(Debug)]
struct ReadyList {
    inner: Mutex<ReadyInner>,
}

#[derive(Debug)]
struct ReadyInner {
    /// Indices woken since the last `poll_woken`, each at most once.
    woken: Vec<usize>,
    /// `queued[i]` is true while index `i` is in `woken` (many wakes, one entry).
    queued: Vec<bool>,
    /// The waker of the task that owns the children. Set at each poll; dropped when no child
    /// waker is held anywhere (see the header).
    parent: Option<Waker>,
}

impl ReadyList {
    fn lock(&self) -> MutexGuard<'_, ReadyInner> {
        // A poisoned lock means a panic happened while the list was held, which only our own
        // few lines could cause; the data is still a plain list, so keep using it.
        self.inner.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The waker given to one child: "child `index` may make progress".
#[derive(Debug)]
struct ChildWaker {
    index: usize,
    list: Arc<ReadyList>,
}

impl ArcWake for ChildWaker {
    /// Record the index (once) and wake the parent. Break here to see which child woke.
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let parent = {
            let mut inner = arc_self.list.lock();
            if !inner.queued[arc_self.index] {
                inner.queued[arc_self.index] = true;
                inner.woken.push(arc_self.index);
            }
            inner.parent.clone()
        };
        // Outside the lock: waking the parent may run arbitrary code in a custom waker.
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

/// A fixed set of child futures polled by one parent, each only when it was woken.
pub(crate) struct Children<F: Future> {
    /// The children, by argument index. `None` once a child finished or was cancelled.
    slots: Vec<Option<Pin<Box<F>>>>,
    /// One waker per child, built once. We hold one strong count; any other is a copy that a
    /// timer, channel or socket holds to wake that child.
    wakers: Vec<Arc<ChildWaker>>,
    list: Arc<ReadyList>,
    /// Children still in `slots`.
    remaining: usize,
    /// Which combinator holds them ("gather") and where it was called, so that debug mode
    /// can name the child that held a slow poll (observe/child_polls.rs).
    site: (&'static str, &'static Location<'static>),
}

impl<F: Future> Children<F> {
    /// Take the children. Every one starts out on the ready list, so the first poll polls
    /// each of them once, in argument order (as asyncio schedules each gathered coroutine).
    #[track_caller]
    pub(crate) fn new(what: &'static str, futures: impl IntoIterator<Item = F>) -> Children<F> {
        let slots: Vec<Option<Pin<Box<F>>>> =
            futures.into_iter().map(|f| Some(Box::pin(f))).collect();
        let count = slots.len();
        let list = Arc::new(ReadyList {
            inner: Mutex::new(ReadyInner {
                woken: (0..count).collect(),
                queued: vec![true; count],
                parent: None,
            }),
        });
        let wakers =
            (0..count).map(|index| Arc::new(ChildWaker { index, list: list.clone() })).collect();
        Children { slots, wakers, list, remaining: count, site: (what, Location::caller()) }
    }

    /// How many children there were at the start.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// How many children have neither finished nor been cancelled.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Poll the children woken since the last call, lowest index first. Each one that
    /// finishes is handed to `on_ready(index, output)`; if that returns `Break`, polling stops
    /// and the children not yet polled stay on the ready list for the next call.
    ///
    /// A good breakpoint: `break glassloop::combinators::children::Children<*>::poll_woken`.
    pub(crate) fn poll_woken(
        &mut self,
        cx: &mut Context<'_>,
        mut on_ready: impl FnMut(usize, F::Output) -> ControlFlow<()>,
    ) {
        let mut woken = {
            let mut inner = self.list.lock();
            // Remember the parent first: a child woken while we poll must find it.
            keep_waker(&mut inner.parent, cx.waker());
            mem::take(&mut inner.woken)
        };
        woken.sort_unstable();
        let count = self.slots.len();
        let mut next = 0;
        while next < woken.len() {
            let index = woken[next];
            next += 1;
            // Clear the flag before polling, as the executor does: a wake during this poll
            // must put the child back on the list.
            self.list.lock().queued[index] = false;
            let Some(child) = self.slots[index].as_mut() else {
                continue; // finished or cancelled; a late wake is ignored
            };
            let waker = waker_ref(&self.wakers[index]);
            let mut child_cx = Context::from_waker(&waker);
            // In debug mode, timed and named: a slow poll can say which child held it.
            let polled = child_poll(self.site, index, count, || child.as_mut().poll(&mut child_cx));
            if let Poll::Ready(output) = polled {
                self.slots[index] = None;
                self.remaining -= 1;
                if on_ready(index, output).is_break() {
                    break;
                }
            }
        }
        self.put_back(&woken[next..]);
        self.release_parent_if_unreachable();
    }

    /// Return indices that were taken but not polled (after a `Break`) to the ready list.
    fn put_back(&self, unpolled: &[usize]) {
        if unpolled.is_empty() {
            return;
        }
        let mut inner = self.list.lock();
        for &index in unpolled {
            // Its `queued` flag is still true (it was never cleared, since the child was not
            // polled), so wakes since then were absorbed: it must go back on the list itself.
            if !inner.woken.contains(&index) {
                inner.queued[index] = true;
                inner.woken.push(index);
            }
        }
    }

    /// If no child waker is held outside this struct and none is queued, nothing can wake a
    /// child again, so drop our copy of the parent's waker (see the header).
    fn release_parent_if_unreachable(&self) {
        let held = self
            .wakers
            .iter()
            .zip(&self.slots)
            .any(|(waker, slot)| slot.is_some() && Arc::strong_count(waker) > 1);
        let mut inner = self.list.lock();
        if !held && inner.woken.is_empty() {
            inner.parent = None;
        }
    }

    /// Drop every child still running, in argument order: this is how a combinator cancels
    /// the losers. Their destructors run before this returns.
    pub(crate) fn cancel_all(&mut self) {
        for slot in &mut self.slots {
            if slot.take().is_some() {
                self.remaining -= 1;
            }
        }
    }

    /// Take out the children still running, with their argument indices.
    pub(crate) fn take_pending(&mut self) -> Vec<(usize, Pin<Box<F>>)> {
        self.remaining = 0;
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(index, slot)| slot.take().map(|child| (index, child)))
            .collect()
    }
}

/// The children's outputs in argument order, filled in as each child finishes: the answer
/// that `gather`, `try_gather` and `TaskGroup::join_all` all give back.
pub(crate) struct InOrder<T> {
    /// Output of child `i` at index `i`; `None` until that child finishes.
    slots: Vec<Option<T>>,
}

impl<T> InOrder<T> {
    /// Room for `count` outputs, none there yet.
    pub(crate) fn new(count: usize) -> InOrder<T> {
        InOrder { slots: (0..count).map(|_| None).collect() }
    }

    /// Child `index` finished with `output`.
    pub(crate) fn put(&mut self, index: usize, output: T) {
        self.slots[index] = Some(output);
    }

    /// Every output, in argument order. Call it once no child remains; a missing output is a
    /// bug in the caller, named by `who`.
    pub(crate) fn take_all(&mut self, who: &str) -> Vec<T> {
        mem::take(&mut self.slots)
            .into_iter()
            .enumerate()
            .map(|(index, output)| {
                output.unwrap_or_else(|| {
                    panic!("{who}: no child remains, yet output {index} is missing")
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_left_unpolled_after_a_break_are_polled_at_the_next_call() {
        let waker = futures_task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut children = Children::new("test", [1, 2, 3].map(std::future::ready));
        let mut seen = Vec::new();
        children.poll_woken(&mut cx, |index, _| {
            seen.push(index);
            ControlFlow::Break(())
        });
        assert_eq!(seen, vec![0]);
        children.poll_woken(&mut cx, |index, _| {
            seen.push(index);
            ControlFlow::Continue(())
        });
        assert_eq!(seen, vec![0, 1, 2], "children 1 and 2 were not lost");
        assert_eq!(children.remaining(), 0);
    }
}
