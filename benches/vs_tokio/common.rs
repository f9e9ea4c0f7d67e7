//! What the three runtimes share: the size of each workload, the generic halves of the
//! workloads (written once, run on each runtime's `spawn` and types), and the check on each
//! result. Nothing here knows which runtime it runs on.

use std::future::{Future, Ready};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// spawn+join: this many tasks, each returning its index.
pub const SPAWN_TASKS: u64 = 100_000;
/// 1M yields, as this many tasks ...
pub const YIELD_TASKS: u64 = 1_000;
/// ... each yielding this many times.
pub const YIELDS_PER_TASK: u64 = 1_000;
/// Channel round trips: one task sends a number, another sends it back, this many times.
pub const ROUND_TRIPS: u64 = 100_000;
/// Timers: this many sleeping tasks ...
pub const TIMERS: u64 = 100_000;
/// ... with deadlines spread evenly over 1..=TIMER_SPREAD_MS milliseconds.
pub const TIMER_SPREAD_MS: u64 = 200;
/// Timeouts that never fire: this many `timeout(NEVER, ready)` awaited one after another.
pub const TIMEOUTS: u64 = 1_000_000;
/// A timeout long enough never to fire during the benchmark.
pub const NEVER: Duration = Duration::from_secs(3600);
/// TCP echo: this many clients ...
pub const CLIENTS: u64 = 50;
/// ... each sending this many messages, waiting for each one's echo before the next ...
pub const MESSAGES: u64 = 2_000;
/// ... of this many bytes.
pub const MESSAGE_SIZE: usize = 64;
/// Idle memory: this many tasks that were polled once and now wait forever.
pub const IDLE_TASKS: u64 = 100_000;

/// Spawn `n` tasks with the runtime's `spawn` (task `i` made by `task(i)`), then await every
/// handle in order and add up their outputs (`output` unwraps a runtime's join result).
pub async fn spawn_and_sum<H: Future>(
    n: u64,
    task: impl FnMut(u64) -> H,
    output: impl Fn(H::Output) -> u64,
) -> u64 {
    let handles: Vec<H> = (0..n).map(task).collect();
    let mut sum = 0;
    for handle in handles {
        sum += output(handle.await);
    }
    sum
}

/// One task of the yield workload: yield YIELDS_PER_TASK times with the runtime's yield, then
/// say how many times it did.
pub async fn yield_many<Y: Future<Output = ()>>(yield_now: impl Fn() -> Y) -> u64 {
    for _ in 0..YIELDS_PER_TASK {
        yield_now().await;
    }
    YIELDS_PER_TASK
}

/// Await `timeout(NEVER, ready(i))` for every i below TIMEOUTS; count those that completed.
pub async fn count_timeouts<F: Future<Output = Result<u64, E>>, E>(
    timeout: impl Fn(Ready<u64>) -> F,
) -> u64 {
    let mut completed = 0;
    for i in 0..TIMEOUTS {
        if timeout(std::future::ready(i)).await.is_ok() {
            completed += 1;
        }
    }
    completed
}

/// The sum of 0..n, which spawn+join and the round trips must reproduce.
pub fn sum_below(n: u64) -> u64 {
    n * (n - 1) / 2
}

/// Timer `i`'s delay: 1..=TIMER_SPREAD_MS ms, every value used equally often, in a scattered
/// order (37 is coprime to 200, so each block of 200 timers visits every delay once).
pub fn timer_delay(i: u64) -> Duration {
    Duration::from_millis(1 + (i * 37) % TIMER_SPREAD_MS)
}

/// Panic unless a workload produced what it must: a side that skipped work does not get a time.
pub fn check(what: &str, got: u64, expected: u64) {
    assert_eq!(got, expected, "{what}: the workload's result is wrong");
}

// ───────────────────────────── idle memory ─────────────────────────────

/// This process's resident memory in bytes (VmRSS in /proc/self/status; Linux only).
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS in kB");
    kib * 1024
}

/// An idle task: it says it has been polled, then waits forever (on a future that never wakes
/// it, so what is measured is the task itself, not some timer's or channel's waiter). The
/// counter is an `Arc` because tokio's `spawn` wants a `Send` future.
pub async fn idle(polled: Arc<AtomicU64>) {
    polled.fetch_add(1, Relaxed);
    std::future::pending::<()>().await
}

/// Spawn IDLE_TASKS idle tasks with `spawn`, keeping their handles as a program would, yield
/// until every one has been polled once, and return the resident bytes that added per task.
pub async fn idle_memory<H, Y: Future<Output = ()>>(
    mut spawn: impl FnMut(Arc<AtomicU64>) -> H,
    yield_now: impl Fn() -> Y,
) -> f64 {
    let polled = Arc::new(AtomicU64::new(0));
    // Reserved, not yet touched: the pages become resident as the handles are written, so
    // the handles' own size is counted, but not a growing vector's abandoned copies.
    let mut handles: Vec<H> = Vec::with_capacity(IDLE_TASKS as usize);
    let before = resident_bytes();
    for _ in 0..IDLE_TASKS {
        handles.push(spawn(polled.clone()));
    }
    while polled.load(Relaxed) < IDLE_TASKS {
        yield_now().await;
    }
    let after = resident_bytes();
    check("idle tasks polled", polled.load(Relaxed), IDLE_TASKS);
    std::hint::black_box(&handles);
    // The tasks stay alive until the process ends: dropping 100k of them is not measured.
    std::mem::forget(handles);
    after.saturating_sub(before) as f64 / IDLE_TASKS as f64
}

// ───────────────────────────── TCP echo ─────────────────────────────

/// The socket calls the echo needs, for each runtime's stream, so that the server loop and
/// the clients below are written once.
pub trait EchoStream: Sized {
    /// Open a connection to `addr`, with Nagle's algorithm off so each message leaves at once.
    async fn connect_to(addr: SocketAddr) -> io::Result<Self>;
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    async fn write_all_of(&mut self, buf: &[u8]) -> io::Result<()>;
    async fn read_exactly(&mut self, buf: &mut [u8]) -> io::Result<()>;
}

/// The server's task for one connection: send back whatever arrives, until the client leaves.
pub async fn echo_back(mut stream: impl EchoStream) {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read_some(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => stream.write_all_of(&buf[..n]).await.unwrap(),
        }
    }
}

/// One client: connect, then MESSAGES times send a message and wait for its echo, checking
/// that the echo is the message. Returns the bytes echoed back.
pub async fn ping_pong<S: EchoStream>(addr: SocketAddr) -> u64 {
    let mut stream = S::connect_to(addr).await.unwrap();
    let mut echo = [0u8; MESSAGE_SIZE];
    for i in 0..MESSAGES {
        let message = [i as u8; MESSAGE_SIZE];
        stream.write_all_of(&message).await.unwrap();
        stream.read_exactly(&mut echo).await.unwrap();
        assert_eq!(echo, message, "the echo differs from the message");
    }
    MESSAGES * MESSAGE_SIZE as u64
}

/// What the echo workload must add up to: every byte of every message, echoed.
pub const ECHOED_BYTES: u64 = CLIENTS * MESSAGES * MESSAGE_SIZE as u64;

/// How long `f` took, and what it returned.
pub fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = std::time::Instant::now();
    let out = std::hint::black_box(f());
    (start.elapsed(), out)
}
