//! # glassloop: a see-through async runtime
//!
//! glassloop is a single-threaded event loop for Rust's `async`/`await`, written to be read.
//! It runs real sockets and real timers, but its first job is to show how a loop schedules
//! work: what `spawn` does, what a waker is, why a task that never awaits freezes every other
//! task, and how `sleep` finds its way back to the task that called it.
//!
//! What it deliberately is not: multi-threaded (one thread runs every task, as in asyncio), a
//! production server runtime (use tokio), or clever with memory (no `unsafe`, anywhere:
//! `#![forbid(unsafe_code)]`).
//!
//! ## The picture
//!
//! ```text
//!   spawn(fut) ──► tasks: Slab<Task> ◄── TaskId ── ready queue (crossbeam channel) ◄── Waker::wake()
//!                     │ poll(cx)                                                      ▲  from any
//!                     ▼                                                               │  thread
//!                Future::poll ── stores cx.waker() in ──► timer wheel  (time/)   ─────┤
//!                                                     ──► reactor: mio Poll      ─────┤
//!                                                     ──► blocking pool (threads)─────┘
//!                                                           └─ mio::Waker unparks the loop
//! ```
//!
//! One turn of the loop, `Runtime::tick` in executor.rs:
//!
//! 1. **Run** the tasks that are ready now (a bounded batch), each polled once.
//! 2. **Decide** how long to sleep: zero if tasks are ready, else until the next timer, else
//!    until woken.
//! 3. **Park** in the reactor (`mio::Poll::poll`); readiness events wake socket waiters.
//! 4. **Fire** expired timers. Under the virtual clock, time first jumps to the next deadline.
//!
//! ## Reading order
//!
//! | # | file | what you learn there |
//! |---|------|----------------------|
//! | 1 | `task.rs` | a task is a boxed future in a slab slot; `TaskId`, `JoinHandle`, `spawn` |
//! | 2 | `waker.rs` | a waker is "push my id onto the ready queue" |
//! | 3 | `executor.rs` | `Runtime`, the tick, `block_on`, `run` |
//! | 4 | `time/wheel.rs` | the hierarchical timing wheel |
//! | 5 | `time/clock.rs`, `sleep.rs`, `timeout.rs`, `interval.rs` | real and virtual time |
//! | 6 | `reactor.rs` | mio, tokens, readiness to wakers |
//! | 7 | `net/` | `TcpListener`, `TcpStream`, `UdpSocket` over the reactor |
//! | 8 | `blocking.rs`, `blocking/pool.rs` | `spawn_blocking`: a thread pool for calls that would block the loop; `block_on` |
//! | 8 | `fs.rs` | files on the blocking pool, and why epoll cannot wait for them |
//! | 9 | `combinators/` | gather, try_gather, select, race, wait, as_completed, TaskGroup |
//! | 10 | `sync/` | Semaphore, Mutex, Event, Notify, oneshot and mpsc channels, on the same wakers |
//! | 11 | `observe/` | debug mode: slow polls, watchdog, dump, stalls, lost wakers, trace |
//!
//! The course in `docs/` walks the same path with pictures; `docs/debugging.md` shows where
//! to put breakpoints to watch it happen.
//!
//! ## Two vocabularies
//!
//! | asyncio | tokio | glassloop |
//! |---------|-------|-----------|
//! | `asyncio.run(main())` | `#[tokio::main]` | [`run`] |
//! | `asyncio.create_task(c)` | `tokio::spawn` | [`spawn`] |
//! | `await task`, `task.cancel()` | `JoinHandle`, `abort()` | [`JoinHandle`], [`JoinHandle::abort`] |
//! | `await asyncio.sleep(0)` | `tokio::task::yield_now` | [`task::yield_now`] |
//! | `await asyncio.sleep(s)` | `tokio::time::sleep` | [`time::sleep`] |
//! | `asyncio.wait_for(c, t)` | `tokio::time::timeout` | [`time::timeout`] |
//! | `loop.time()` | `tokio::time::Instant` | [`time::Instant`] |
//! | `asyncio.gather(*cs)` | `join_all`, `join!` | [`combinators::gather`] |
//! | `asyncio.wait`, `as_completed` | `JoinSet::join_next` | [`combinators::wait`], [`combinators::as_completed`] |
//! | `asyncio.TaskGroup` | `JoinSet` | [`combinators::TaskGroup`] |
//! | `await asyncio.to_thread(f)` | `task::spawn_blocking(f)` | [`spawn_blocking`] |
//! | `asyncio.run(c)` in a worker thread (asyncer `runnify`) | `Runtime::block_on` | [`block_on`] |
//! | aiofiles | `tokio::fs` | [`fs`] |
//! | `asyncio.Semaphore`, `asyncio.Lock` | `sync::Semaphore`, `sync::Mutex` | [`sync::Semaphore`], [`sync::Mutex`] |
//! | `asyncio.Event` | `sync::Notify` | [`sync::Event`], [`sync::Notify`] |
//! | `asyncio.Queue` | `sync::mpsc`, `sync::oneshot` | [`sync::mpsc`], [`sync::oneshot`] |
//! | `loop.set_debug(True)` | tokio-console | [`Builder::debug`] |
//! | `asyncio.all_tasks()` | `Handle::dump()` (unstable) | [`dump()`] |
//! | `asyncio.open_connection` | `tokio::net::TcpStream` | [`net::TcpStream`] |
//! | `asyncio.start_server` | `tokio::net::TcpListener` | [`net::TcpListener`] |
//! | `create_datagram_endpoint` | `tokio::net::UdpSocket` | [`net::UdpSocket`] |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
pub mod combinators;
mod executor;
pub mod fs;
pub mod net;
pub mod observe;
mod outside;
pub(crate) mod reactor;
pub mod sync;
pub mod task;
pub mod time;
mod waker;

pub use blocking::{
    block_on, spawn_blocking, BlockingPoolStats, DEFAULT_BLOCKING_KEEP_ALIVE,
    DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT, DEFAULT_MAX_BLOCKING_THREADS,
};
pub use executor::{run, Builder, Runtime, Tick, DEFAULT_BATCH};
pub use observe::dump;
pub use outside::OutsideWork;
pub use task::{spawn, JoinError, JoinHandle, TaskId};

/// The course chapters' code blocks, compiled and run as doctests so they cannot drift.
#[cfg(doctest)]
pub mod course {
    #[doc = include_str!("../docs/01-a-task-from-spawn-to-completion.md")]
    pub struct Chapter01;
    #[doc = include_str!("../docs/02-timer-wheel.md")]
    pub struct Chapter02;
    #[doc = include_str!("../docs/debug-mode.md")]
    pub struct DebugMode;
    #[doc = include_str!("../docs/dump-and-stalls.md")]
    pub struct DumpAndStalls;
    #[doc = include_str!("../docs/timeline.md")]
    pub struct Timeline;
    #[doc = include_str!("../docs/03-reactor.md")]
    pub struct Chapter03;
}
