//! # A task's name tag: slot plus generation
//!
//! The loop keeps its tasks in a slab (task_table.rs), and a [`TaskId`] says where one lives (its
//! *slot*) and which task it is (its *generation*: the runtime's spawn counter when it was
//! spawned, never reused). Wakers, timers, the ready queue and every report carry this small
//! `Copy` value instead of a pointer to the task, which is what lets a waker outlive its task
//! harmlessly: the executor polls a slot only when both numbers match (invariant 7).
//!
//! It sits at the bottom of the crate because everything names it: the waker, the hooks the
//! observer implements, the task table, the executor.
//!
//! Read next: `timer/wheel.rs`, the first data structure of the loop.

use std::fmt;

/// The identity of a task: its slab slot plus a generation that is never reused.
///
/// asyncio: `id(task)` / `Task.get_name()`; tokio: `tokio::task::Id`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
}

impl TaskId {
    /// The id given to the future passed to `run`/`block_on`. It has no slab slot.
    pub(crate) const MAIN: TaskId = TaskId { slot: usize::MAX, generation: 0 };

    /// The spawn counter value: task #1 is the first task spawned on its runtime, #0 is the
    /// main future. Unique for the life of the runtime.
    pub fn number(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == TaskId::MAIN {
            write!(f, "#0 (main)")
        } else {
            write!(f, "#{} (slot {})", self.generation, self.slot)
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.generation)
    }
}

/// "'fetch' #3" for a named task, "#3" for an unnamed one: how errors and reports name a
/// task. Built only when one needs it, never at spawn.
pub(crate) fn label(name: Option<&str>, id: TaskId) -> String {
    match name {
        Some(name) => format!("'{name}' {id}"),
        None => format!("{id}"),
    }
}
