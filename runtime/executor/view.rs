//! # The loop as instruments see it: a read-only view, and the stall test
//!
//! Step mode prints the ready queue, the timers and the I/O waiters; the dump prints every
//! task and who can wake it. Neither may reach into `Core`'s fields: a reader that knows the
//! fields breaks when they change, and one that borrows them at the wrong moment breaks the
//! loop. So `Core` offers the [`LoopView`] of hooks.rs, every method of which copies out what
//! it shows and lets go of every borrow before it returns.
//!
//! The same waker counts answer a harder question: can anything ever wake a task again?
//! [`Core::is_stalled`] is where the loop decides that a wait would last forever.
//!
//! Read next: `spawn/`, the first API built on the loop: `spawn` and the `JoinHandle`.

use std::rc::Rc;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Core;
use crate::hooks::{At, IoWaiter, LoopView, TaskRow, TaskState, TimerRow};
use crate::task_id::TaskId;
use crate::waker::TaskWaker;

impl Core {
    /// True if no waker exists outside the runtime's own records: then no timer, socket,
    /// channel or thread can ever wake a task, and waiting would hang forever. Every `Waker`
    /// clone of a task holds one strong count on its `Arc<TaskWaker>`, so "no waker exists"
    /// is exact. The converse is not: a waker may exist where nothing will ever use it (in
    /// the `JoinHandle` of a task that is itself stuck); under the real clock such a loop
    /// parks, and debug mode reports a possible stall.
    pub(crate) fn is_stalled(&self) -> bool {
        let held = |waker: &Arc<TaskWaker>| Arc::strong_count(waker) > 1;
        let main_held = self.main.borrow().as_ref().is_some_and(|m| held(&m.waker));
        let mut task_held = false;
        self.tasks.for_each(|slot| task_held |= held(&slot.header().waker));
        // Counts first, then the queue, with an acquire fence between: a thread wakes
        // (pushes its id) *before* it drops its waker (a release decrement), so a loop that
        // saw the count go down is guaranteed to see the id.
        fence(Ordering::Acquire);
        !main_held && !task_held && self.nothing_ready()
    }
}

/// One row of the view: a task's state, and how many wakers are held outside the loop's
/// records (one `Arc` is the loop's own; a poll borrows it, never clones it).
fn row(
    id: TaskId,
    name: Option<Rc<str>>,
    at: At,
    polls: Option<u64>,
    waker: &Arc<TaskWaker>,
    polling: bool,
) -> TaskRow {
    let state = match (polling, waker.scheduled.load(Ordering::SeqCst)) {
        (true, _) => TaskState::Polling,
        (false, true) => TaskState::Ready,
        (false, false) => TaskState::Waiting,
    };
    let wakers_held = Arc::strong_count(waker) - 1;
    TaskRow { id, name, spawned_at: at, polls, state, wakers_held }
}

impl LoopView for Core {
    fn now(&self) -> Duration {
        self.time.clock.now()
    }

    fn ticks(&self) -> u64 {
        self.ticks.get()
    }

    fn current_task(&self) -> Option<TaskId> {
        self.current.get()
    }

    fn ready_len(&self) -> usize {
        self.ready.ids.borrow().len() + self.ready_rx.len()
    }

    fn ready_ids(&self) -> Vec<TaskId> {
        // Wakes from other threads first join the local queue, as the next pass would.
        self.take_injected();
        self.ready.ids.borrow().iter().copied().collect()
    }

    fn tasks(&self) -> Vec<TaskRow> {
        let mut rows = Vec::new();
        if let Some(main) = self.main.borrow().as_ref() {
            let polling = self.current.get() == Some(TaskId::MAIN);
            rows.push(row(TaskId::MAIN, None, main.spawned_at, None, &main.waker, polling));
        }
        self.tasks.for_each(|slot| {
            let (task, polls) = (slot.header(), Some(u64::from(slot.polls)));
            let (name, polling) = (task.name.clone(), self.current.get() == Some(task.id()));
            rows.push(row(task.id(), name, task.spawned_at, polls, &task.waker, polling));
        });
        rows
    }

    fn timers(&self) -> Vec<TimerRow> {
        let wheel = self.time.wheel();
        wheel
            .keys()
            .filter_map(|key| Some(TimerRow { key, position: wheel.position(key)? }))
            .collect()
    }

    fn io_waiters(&self) -> Vec<IoWaiter> {
        self.reactor.waiters()
    }

    fn outside_work(&self) -> usize {
        self.time.outside_work()
    }
}
