//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::{Command, Output, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_task::ArcWake;
use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::Instant;
use glassloop::Runtime;

/// How long a demo may run in a test before it counts as hung. The slowest demo takes a few
/// seconds of real time; a hang must fail the test with a message, never stall the suite.
pub const DEMO_TIME_LIMIT: Duration = Duration::from_secs(60);

/// Run the demos binary with `args` and return its exit status, stdout and stderr. Kills it
/// and panics if it runs past [`DEMO_TIME_LIMIT`].
pub fn run_demo_output(args: &[&str]) -> Output {
    run_demo_output_with_env(&[], args)
}

/// [`run_demo_output`] with these environment variables set (`GLASSLOOP_SCHEDULE`, say).
pub fn run_demo_output_with_env(env: &[(&str, &str)], args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_glassloop-demos"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not start the demos binary");
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    match done_rx.recv_timeout(DEMO_TIME_LIMIT) {
        Ok(output) => output.expect("could not read the demo's output"),
        Err(_) => {
            // The child is owned by the waiting thread; kill it by pid so the suite goes on.
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("demo {args:?} did not finish within {DEMO_TIME_LIMIT:?}: it hangs")
        }
    }
}

/// Run the demos binary with `args` and return what it printed on stdout.
/// Panics with the demo's stderr if it fails, so a broken demo explains itself.
pub fn run_demo(args: &[&str]) -> String {
    let output = run_demo_output(args);
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

/// Set-up step of the hand-polled experiments: pin `future`, poll it once with `counter`'s
/// waker, and check that it had to wait. It is now in line.
pub fn in_line<F: Future>(counter: &WakeCounter, future: F) -> Pin<Box<F>> {
    let mut future = Box::pin(future);
    assert!(
        counter.poll(future.as_mut()).is_pending(),
        "the future did not have to wait"
    );
    future
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

// ───────────────────────────── sockets for the net tests ─────────────────────────────

/// A free local port on the loopback address: the listener's bind address in the net tests.
pub fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A connected TCP pair: (client, server side).
pub async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(localhost()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// How many descriptors this process has open, or None where /proc/self/fd does not exist.
pub fn open_descriptors() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|dir| dir.count())
}

// ───────────────────────────── a deadline for tests that could hang ─────────────────────────────

/// Run `body` on its own thread and return what it returns; if it runs past `limit`, fail
/// with a message that names `what` instead of hanging the suite. A panic in `body` comes
/// out of `within` unchanged, so `#[should_panic]` and message checks still work.
///
/// The runtime a body builds lives on that thread; a hung body is left behind (a thread
/// cannot be killed), and the test process ends with it when the suite is done.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = done_tx.send(body());
    });
    match done_rx.recv_timeout(limit) {
        Ok(value) => value,
        // The sender was dropped without a send: `body` panicked. Hand its panic on.
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the body returned without sending its value"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: it hangs")
        }
    }
}
