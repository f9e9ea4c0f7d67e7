//! # Exercise 6, reference solution: a mini executor with a ready queue
//!
//! Many tasks on one thread. Each task has a number; its waker pushes that number onto the
//! ready queue, once, however many times it is woken before its next poll. A pass polls the
//! tasks that were ready when the pass began, in the order they were woken; a task woken during
//! the pass (even by itself) waits for the next pass, so one busy task cannot keep the others
//! from their turn. This is glassloop's step 1 without the slab, the timers or the I/O.
//!
//! Read next: docs/01-a-task-from-spawn-to-completion.md, to see the real one.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

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
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            self.queue.lock().unwrap().push_back(self.id);
        }
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
        let id = self.tasks.len();
        let waker = Arc::new(TaskWaker {
            id,
            queue: self.queue.clone(),
            queued: AtomicBool::new(false),
        });
        waker.wake_by_ref();
        self.tasks.push(Some(Task {
            future: Box::pin(future),
            waker,
        }));
        id
    }

    /// One pass: poll, once each and in wake order, the tasks that were ready when the pass
    /// began. Returns how many were polled.
    pub fn run_once(&mut self) -> usize {
        let batch: Vec<usize> = self.queue.lock().unwrap().drain(..).collect();
        let mut polled = 0;
        for id in batch {
            let Some(task) = self.tasks[id].as_mut() else {
                continue; // finished: a late wake finds nothing
            };
            task.waker.queued.store(false, Ordering::SeqCst);
            let waker = Waker::from(task.waker.clone());
            polled += 1;
            if task
                .future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                self.tasks[id] = None;
            }
        }
        polled
    }

    /// Passes until no task is ready. Returns how many tasks have not finished.
    pub fn run(&mut self) -> usize {
        while self.run_once() > 0 {}
        self.tasks.iter().filter(|task| task.is_some()).count()
    }
}
