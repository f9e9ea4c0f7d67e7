//! The suites' own instruments, independent of anything a learner writes: a waker that
//! counts, and a probe future whose polls the test can count and whose waker it can reach.
//!
//! Read next: suite_counting_waker.rs.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The suites' counting waker (exercise 1 asks for the same thing; the suites do not trust
/// the learner's to check the learner's).
#[derive(Default)]
pub struct Wakes(AtomicUsize);

impl Wakes {
    /// A waker and its counter.
    pub fn waker() -> (Waker, Arc<Wakes>) {
        let wakes = Arc::new(Wakes::default());
        (Waker::from(wakes.clone()), wakes)
    }

    /// Wakes so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Poll `future` once with `waker`.
pub fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// What the test can see of a [`Probe`].
#[derive(Default)]
pub struct ProbeState {
    /// Polls so far.
    pub polls: Cell<usize>,
    /// Polls after the probe had returned `Ready` (always a bug in the caller).
    pub polls_after_ready: Cell<usize>,
    /// The waker of the latest poll.
    pub waker: RefCell<Option<Waker>>,
}

impl ProbeState {
    /// Wake the probe with the waker of its latest poll.
    pub fn wake(&self) {
        self.waker
            .borrow()
            .as_ref()
            .expect("the probe was never polled, so it has no waker to wake")
            .wake_by_ref();
    }
}

/// A future that answers `Pending` `pending` times without waking anyone (it keeps the
/// waker where the test can reach it), then `Ready(value)`.
pub struct Probe<T> {
    pending: usize,
    value: Option<T>,
    state: Rc<ProbeState>,
}

impl<T> Unpin for Probe<T> {}

impl<T> Probe<T> {
    /// A probe and its state.
    pub fn new(pending: usize, value: T) -> (Probe<T>, Rc<ProbeState>) {
        let state = Rc::new(ProbeState::default());
        let probe = Probe {
            pending,
            value: Some(value),
            state: state.clone(),
        };
        (probe, state)
    }
}

impl<T> Future for Probe<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        this.state.polls.set(this.state.polls.get() + 1);
        *this.state.waker.borrow_mut() = Some(cx.waker().clone());
        if this.pending > 0 {
            this.pending -= 1;
            return Poll::Pending;
        }
        match this.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                let after = &this.state.polls_after_ready;
                after.set(after.get() + 1);
                Poll::Pending
            }
        }
    }
}
