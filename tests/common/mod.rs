//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_task::ArcWake;
use glassloop::time::Instant;
use glassloop::Runtime;

/// Run the demos binary with `args` and return what it printed on stdout.
/// Panics with the demo's stderr if it fails, so a broken demo explains itself.
pub fn run_demo(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_glassloop-demos"))
        .args(args)
        .output()
        .expect("could not start the demos binary");
    let stdout = String::from_utf8(output.stdout).expect("demo output is UTF-8");
    assert!(
        output.status.success(),
        "demo {args:?} failed with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Run one demo under the virtual clock, where its output is exact and repeatable.
pub fn run_demo_virtual(name: &str) -> String {
    run_demo(&["--virtual-clock", name])
}

// ───────────────────────────── instruments for the sync and channel tests ─────────────────────────────

/// A runtime on the virtual clock, where time-based results are exact.
pub fn virtual_runtime() -> Runtime {
    Runtime::builder().virtual_clock().build().unwrap()
}

/// Milliseconds since the runtime started, on its (virtual) clock.
pub fn now_ms() -> u64 {
    Instant::now().since_origin().as_millis() as u64
}

/// A waker that only counts how often it was woken.
struct CountingWaker(AtomicUsize);

impl ArcWake for CountingWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls futures by hand with a waker that counts its wakes, so "woken once" is measured.
pub struct WakeCounter {
    count: Arc<CountingWaker>,
    waker: Waker,
}

impl WakeCounter {
    pub fn new() -> WakeCounter {
        let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = futures_task::waker(count.clone());
        WakeCounter { count, waker }
    }

    /// How many times the waker was woken so far.
    pub fn wakes(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }

    /// Poll `future` once with the counting waker.
    pub fn poll<F: Future + ?Sized>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(&self.waker))
    }
}

/// Wraps a task's future and counts its polls.
pub struct CountPolls<F> {
    future: Pin<Box<F>>,
    polls: Rc<Cell<usize>>,
}

/// `future`, counting its polls, and the counter.
pub fn count_polls<F: Future>(future: F) -> (CountPolls<F>, Rc<Cell<usize>>) {
    let polls = Rc::new(Cell::new(0));
    let wrapped = CountPolls {
        future: Box::pin(future),
        polls: polls.clone(),
    };
    (wrapped, polls)
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.future.as_mut().poll(cx)
    }
}
