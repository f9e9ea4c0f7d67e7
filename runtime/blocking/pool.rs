//! # The blocking pool's threads
//!
//! This file is the machinery under [`spawn_blocking`](crate::spawn_blocking): a handful of
//! ordinary `std::thread`s that take jobs off a crossbeam channel and run them, so that the
//! loop's own thread never has to. It knows nothing about tasks or wakers; a job is a boxed
//! `FnOnce()` that already knows how to hand its result back (see `../blocking.rs`).
//!
//! ```text
//!   the loop's thread                 jobs (crossbeam, FIFO)          pool threads
//!   ─────────────────                 ──────────────────────          ────────────
//!   Pool::submit(job) ──► queued += 1 ──► [ job │ job │ job ] ──► worker_loop: recv_timeout
//!       │                                                             │ job()      (busy)
//!       └─ fewer idle threads than queued jobs, and below the limit?  │ idle for keep_alive
//!          ──► start one more thread (grow on demand)                 └─► exit     (shrink)
//! ```
//!
//! ## The counts, and why they sit behind one mutex
//!
//! `State` counts the threads alive, the threads busy with a job, and the jobs sent but not
//! yet taken. Two decisions read them: `submit` decides whether to start a thread ("are there
//! fewer idle threads than queued jobs?"), and an idle worker whose keep-alive ran out decides
//! whether to exit ("is any job still queued?"). Both decide under the same lock, and `submit`
//! sends the job while holding it, so a worker can never exit just as a job arrives for it:
//! either it sees `queued > 0` and stays, or it has already left and `submit` sees one thread
//! fewer and starts a new one. The channel carries the jobs; the mutex only keeps the books.
//!
//! ## Shutting down
//!
//! When the runtime is dropped the pool drops its sending end. Idle threads see the channel
//! disconnected and exit at once. Jobs still queued are dropped without running (their tasks
//! are gone with the runtime). A job already running cannot be interrupted: Rust has no way to
//! stop a thread from outside, and neither has any other runtime. So the pool waits for the
//! running jobs, but at most the shutdown timeout (10 s by default); after that it says so on
//! stderr and leaves those threads to finish on their own, detached. tokio's `Runtime` drop
//! waits for its blocking threads without a limit (`shutdown_timeout` bounds it); asyncio's
//! `loop.shutdown_default_executor()` also waits, with a 300 s timeout since Python 3.12.
//!
//! ## Shortcuts, honestly
//!
//! - Threads start one at a time, on the loop's thread, when a job finds no idle thread. tokio
//!   does the same (spawning a thread costs tens of microseconds); a pool that pre-starts its
//!   threads would trade memory for the first job's latency.
//! - The default limit is 64 threads. tokio allows 512 blocking threads; Python's default
//!   `ThreadPoolExecutor` allows `min(32, cpu_count + 4)`. A blocking job mostly waits (on a
//!   disk, on a lock, on `sleep`), so the limit is about memory for stacks, not about cores.
//!
//! Read next: `../fs.rs`, which sends every file operation here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

/// At most this many pool threads per runtime, unless `Builder::max_blocking_threads` says
/// otherwise.
pub const DEFAULT_MAX_BLOCKING_THREADS: usize = 64;

/// A pool thread with nothing to do exits after this long, unless
/// `Builder::blocking_keep_alive` says otherwise.
pub const DEFAULT_BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Dropping a runtime waits this long at most for blocking jobs that are still running,
/// unless `Builder::blocking_shutdown_timeout` says otherwise.
pub const DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// One unit of work. It already carries its result's way home; the pool just calls it.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool's settings, chosen on the `Builder`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    /// Never more threads than this (at least 1).
    pub(crate) max_threads: usize,
    /// An idle thread exits after waiting this long for a job.
    pub(crate) keep_alive: Duration,
    /// Dropping the pool waits this long at most for running jobs.
    pub(crate) shutdown_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_threads: DEFAULT_MAX_BLOCKING_THREADS,
            keep_alive: DEFAULT_BLOCKING_KEEP_ALIVE,
            shutdown_timeout: DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT,
        }
    }
}

/// A snapshot of a runtime's blocking pool, from `Runtime::blocking_pool_stats`.
///
/// asyncio: no public equivalent (`ThreadPoolExecutor._threads` is private); tokio:
/// `RuntimeMetrics::num_blocking_threads`, `num_idle_blocking_threads`,
/// `blocking_queue_depth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockingPoolStats {
    /// Pool threads alive now, busy or idle.
    pub threads: usize,
    /// Threads running a job now.
    pub busy: usize,
    /// Jobs submitted and not yet taken by a thread.
    pub queued: usize,
    /// The most threads that were ever alive at once.
    pub peak_threads: usize,
    /// Threads started since the runtime was built.
    pub threads_started: usize,
    /// Threads that have exited (idle too long, or shut down).
    pub threads_exited: usize,
}

/// The books, kept under one mutex (see "The counts" above). They are exactly the figures
/// `Runtime::blocking_pool_stats` reports, so a snapshot is a copy taken under the lock.
/// Invariant: `busy <= threads <= max_threads`.
type State = BlockingPoolStats;

/// What the pool's threads share with it.
struct Shared {
    /// Workers receive here; the pool keeps the only sender.
    jobs_rx: Receiver<Job>,
    state: Mutex<State>,
    /// Signalled each time a thread exits; shutdown waits on it.
    thread_exited: Condvar,
    /// Set when the pool is dropped: jobs still queued are dropped instead of run.
    shutting_down: AtomicBool,
    keep_alive: Duration,
}

impl Shared {
    /// Lock the books. A panic cannot happen while they are held (jobs run outside the lock),
    /// so a poisoned lock still holds consistent counts and is safe to use.
    fn books(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The blocking pool of one runtime. Lives in the runtime's `Core`; no thread exists until
/// the first job.
pub(crate) struct Pool {
    /// `None` only during drop, to disconnect the channel.
    jobs_tx: Option<Sender<Job>>,
    shared: Arc<Shared>,
    config: PoolConfig,
}

impl Pool {
    /// An empty pool with these settings.
    pub(crate) fn new(config: PoolConfig) -> Pool {
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded();
        Pool {
            jobs_tx: Some(jobs_tx),
            shared: Arc::new(Shared {
                jobs_rx,
                state: Mutex::new(State::default()),
                thread_exited: Condvar::new(),
                shutting_down: AtomicBool::new(false),
                keep_alive: config.keep_alive,
            }),
            config,
        }
    }

    /// Queue `job`, and start a thread for it if every live thread is already spoken for and
    /// the limit allows one more. Jobs beyond the limit wait in the channel, first in first out.
    /// A good breakpoint: `break glassloop::blocking::pool::Pool::submit`.
    pub(crate) fn submit(&self, job: Job) {
        let mut books = self.shared.books();
        books.queued += 1;
        let sender = self.jobs_tx.as_ref().expect("the pool is only closed when dropped");
        // The pool's own `shared` keeps the receiver alive, so the send cannot fail.
        let _ = sender.send(job);
        let idle = books.threads - books.busy;
        if idle >= books.queued || books.threads >= self.config.max_threads {
            return; // an idle thread will take it, or it waits its turn
        }
        books.threads += 1;
        books.threads_started += 1;
        books.peak_threads = books.peak_threads.max(books.threads);
        let number = books.threads_started;
        let shared = self.shared.clone();
        let started = std::thread::Builder::new()
            .name(format!("glassloop-blocking-{number}"))
            .spawn(move || worker_loop(shared));
        if let Err(err) = started {
            books.threads -= 1;
            books.threads_started -= 1;
            let none_left = books.threads == 0;
            drop(books);
            assert!(
                !none_left,
                "glassloop::spawn_blocking could not start a pool thread ({err}) and no other \
                 pool thread exists to run the job. The system is out of threads or memory; \
                 lower Builder::max_blocking_threads or run fewer blocking jobs at once."
            );
        }
    }

    /// The counts as they are now.
    pub(crate) fn stats(&self) -> BlockingPoolStats {
        *self.shared.books()
    }
}

impl Drop for Pool {
    /// Close the channel, then wait (at most the shutdown timeout) for the threads to end.
    fn drop(&mut self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        drop(self.jobs_tx.take()); // idle workers see "disconnected" and exit
        let deadline = std::time::Instant::now() + self.config.shutdown_timeout;
        let mut books = self.shared.books();
        while books.threads > 0 {
            let now = std::time::Instant::now();
            if now >= deadline {
                eprintln!(
                    "glassloop: the runtime was dropped while {} blocking job(s) were still \
                     running. It waited {:?} for them (Builder::blocking_shutdown_timeout) and \
                     now leaves them to finish on their own threads: a running job cannot be \
                     interrupted.",
                    books.busy, self.config.shutdown_timeout
                );
                return;
            }
            books = self
                .shared
                .thread_exited
                .wait_timeout(books, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The body of every pool thread: take a job, run it, repeat; exit after `keep_alive` with
/// nothing to do, or when the pool is closed.
/// A good breakpoint: `break glassloop::blocking::pool::worker_loop`.
fn worker_loop(shared: Arc<Shared>) {
    loop {
        match shared.jobs_rx.recv_timeout(shared.keep_alive) {
            Ok(job) => {
                {
                    let mut books = shared.books();
                    books.queued -= 1;
                    books.busy += 1;
                }
                if shared.shutting_down.load(Ordering::SeqCst) {
                    drop(job); // queued when the runtime went away: nobody awaits it
                } else {
                    job(); // the job catches its own panics (see blocking.rs `run_job`)
                }
                shared.books().busy -= 1;
            }
            Err(RecvTimeoutError::Timeout) => {
                let books = shared.books();
                if books.queued > 0 {
                    continue; // a job arrived as we gave up waiting: stay and take it
                }
                exit_thread(&shared, books);
                return;
            }
            Err(RecvTimeoutError::Disconnected) => {
                exit_thread(&shared, shared.books());
                return;
            }
        }
    }
}

/// Strike this thread from the books and tell a waiting shutdown.
fn exit_thread(shared: &Shared, mut books: MutexGuard<'_, State>) {
    debug_assert!(books.threads > books.busy, "an exiting thread was counted busy");
    books.threads -= 1;
    books.threads_exited += 1;
    drop(books);
    shared.thread_exited.notify_all();
}
