//! # Exercise 6: a mini executor with a ready queue
//!
//! Goes with docs/01-a-task-from-spawn-to-completion.md (step 1 of the tick) and
//! docs/07-starvation-and-fairness.md. Many tasks on one thread. Each task has a number; its
//! waker pushes that number onto the ready queue, *once*, however many times it is woken before
//! its next poll (the `queued` flag). A pass (`run_once`) polls the tasks that were ready when
//! the pass began, in the order they were woken; a task woken during the pass, even by itself,
//! waits for the next pass. A finished task is never polled again, and a late wake of it does
//! nothing.
//!
//! Check your work: `cargo test --test exercises --features learner suite_mini_executor`.
//!
//! Read next: docs/01-a-task-from-spawn-to-completion.md, to see the real one.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::task::Wake;

/// The ready queue: numbers of tasks to poll, in the order they were woken.
type ReadyQueue = Arc<Mutex<VecDeque<usize>>>;

/// One task's waker.
struct TaskWaker {
    /// The task this waker polls again.
    id: usize,
    queue: ReadyQueue,
    /// True while `id` sits in the queue; set by a wake, cleared just before the poll.
    queued: AtomicBool,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        todo!("exercise 6: push the id, unless it is queued already")
    }
}

/// One spawned future and its waker.
struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Arc<TaskWaker>,
}

/// Runs many `()` futures on this thread.
#[derive(Default)]
pub struct MiniExecutor {
    /// Indexed by task number; `None` once the task has finished.
    tasks: Vec<Option<Task>>,
    queue: ReadyQueue,
}

impl MiniExecutor {
    /// An executor with no tasks.
    pub fn new() -> MiniExecutor {
        MiniExecutor::default()
    }

    /// Add a task, ready to be polled in the next pass; returns its number (0, 1, 2, ...).
    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) -> usize {
        todo!("exercise 6: make the task's waker, queue the task once, store it")
    }

    /// One pass: poll, once each and in wake order, the tasks that were ready when the pass
    /// began. Returns how many were polled.
    pub fn run_once(&mut self) -> usize {
        todo!("exercise 6: take the queue's current contents, poll each live task once")
    }

    /// Passes until no task is ready. Returns how many tasks have not finished.
    pub fn run(&mut self) -> usize {
        todo!("exercise 6: run_once until it polls nothing, then count the unfinished tasks")
    }
}
