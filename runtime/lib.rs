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
//! 4. **Fire** expired timers. Under the virtual clock, when nothing is ready and no outside
//!    work (a blocking job, an [`OutsideWork`]) is in flight, time first jumps to the next
//!    deadline; while such work runs, the loop instead parks in step 3 until it rings.
//!
//! ## Reading order
//!
//! Read the source in this order. Where a chapter of the course (`docs/`, indexed in
//! `docs/README.md`) walks the same files with pictures, the last column names it; the other
//! steps have no chapter, and the essay at the top of each file is the text.
//!
//! | # | file | what you learn there | chapter |
//! |---|------|----------------------|---------|
//! | 1 | `task.rs` | a task is a boxed future in a slab slot; `TaskId`, `JoinHandle`, `spawn` | 1 |
//! | 2 | `waker.rs` | a waker is "push my id onto the ready queue" | 1 |
//! | 3 | `executor.rs` (then `context.rs`, `builder.rs`) | `Runtime`, the tick, `block_on`, `run`, `step`; how `spawn` finds the loop; the options | 1 |
//! | 4 | `time/wheel.rs` | the hierarchical timing wheel | 2 |
//! | 5 | `time/clock.rs`, `sleep.rs`, `timeout.rs`, `interval.rs` | real and virtual time | 2 (end) |
//! | 6 | `reactor.rs` | mio, tokens, readiness to wakers | 3 |
//! | 7 | `net/` | `TcpListener`, `TcpStream`, `UdpSocket` over the reactor | 3 |
//! | 8 | `outside.rs`, `blocking.rs`, `blocking/pool.rs`, `fs.rs` | `OutsideWork`: how work off the loop holds the virtual clock; `spawn_blocking`: a thread pool for calls that would block the loop; `block_on`; files on the pool, and why epoll cannot wait for them | |
//! | 9 | `combinators/` | gather, try_gather, select, race, wait, as_completed, TaskGroup | |
//! | 10 | `sync/` | Semaphore, Mutex, Event, Notify, oneshot and mpsc channels, on the same wakers | |
//! | 11 | `observe/` | debug mode (slow polls, watchdog), dump, stalls, lost wakers, trace and timeline | 4, 5, 6 |
//!
//! Beside the chapters: `docs/asyncio.md` maps every asyncio idiom to glassloop and tokio,
//! `docs/debugging.md` shows where to put breakpoints to watch the loop work, and
//! `docs/invariants.md` lists the scheduling rules with the test that checks each.
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
//! | `asyncio.TaskGroup`, `ExceptionGroup` | `JoinSet` | [`combinators::TaskGroup`], [`combinators::ExceptionGroup`] |
//! | `await asyncio.to_thread(f)` | `task::spawn_blocking(f)` | [`spawn_blocking`] |
//! | `asyncio.run(c)` in a worker thread (asyncer `runnify`) | `Runtime::block_on` | [`block_on`] |
//! | aiofiles | `tokio::fs` | [`fs`] |
//! | `asyncio.Semaphore`, `asyncio.Lock` | `sync::Semaphore`, `sync::Mutex` | [`sync::Semaphore`], [`sync::Mutex`] |
//! | `asyncio.Event` | `sync::Notify` | [`sync::Event`], [`sync::Notify`] |
//! | `asyncio.Queue`, `LifoQueue`, `PriorityQueue` | none (`sync::mpsc` is single-consumer) | [`sync::Queue`], [`sync::LifoQueue`], [`sync::PriorityQueue`] |
//! | `asyncio.Condition`, `asyncio.Barrier` | `sync::Barrier` | [`sync::Condition`], [`sync::Barrier`] |
//! | a channel, `loop.create_future()` | `sync::mpsc`, `sync::oneshot` | [`sync::mpsc`], [`sync::oneshot`] |
//! | `loop.set_debug(True)` | tokio-console | [`Builder::debug`] |
//! | `asyncio.all_tasks()` | `Handle::dump()` (unstable) | [`dump()`] |
//! | `asyncio.open_connection` | `tokio::net::TcpStream` | [`net::TcpStream`] |
//! | `reader.readline()`, `drain()` | `AsyncBufReadExt`, `AsyncWriteExt` | `futures::io` on [`net::TcpStream`] (`AsyncRead`, `AsyncWrite`) |
//! | `asyncio.start_server` | `tokio::net::TcpListener` | [`net::TcpListener`] |
//! | `create_datagram_endpoint` | `tokio::net::UdpSocket` | [`net::UdpSocket`] |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod builder;
pub mod combinators;
mod executor;
pub mod fs;
mod hooks;
pub mod net;
pub mod observe;
mod outside;
mod reactor;
mod spawn;
pub mod sync;
mod task_id;
mod task_table;
pub mod time;
mod timer;
mod waker;

pub use blocking::{
    block_on, spawn_blocking, BlockingPoolStats, DEFAULT_BLOCKING_KEEP_ALIVE,
    DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT, DEFAULT_MAX_BLOCKING_THREADS,
};
pub use builder::{run, Builder};
pub use executor::{Runtime, Tick, DEFAULT_BATCH};
pub use observe::dump;
pub use outside::OutsideWork;
pub use spawn::{spawn, JoinError, JoinHandle};
pub use task_id::TaskId;

/// Tasks: spawn them, name them, await or cancel them, let others run.
///
/// The pieces live in the layers that own them: the id in `task_id.rs`, the record the loop
/// keeps in `task_table.rs`, `spawn`, [`JoinHandle`], [`JoinError`] and [`yield_now`] in
/// `spawn/`, built on the loop, and [`spawn_blocking`] above them in `blocking.rs`. This
/// module only gathers them under one name.
///
/// asyncio: `asyncio.create_task`, `Task`, `asyncio.sleep(0)`; tokio: `tokio::task`.
pub mod task {
    pub use crate::blocking::spawn_blocking;
    pub use crate::spawn::{spawn, yield_now, Builder, JoinError, JoinHandle, YieldNow};
    pub use crate::task_id::TaskId;
}

/// The course chapters' code blocks, compiled and run as doctests so they cannot drift.
#[cfg(doctest)]
pub mod course {
    #[doc = include_str!("../docs/00-a-future-from-zero.md")]
    pub struct Chapter00;
    #[doc = include_str!("../docs/01-a-task-from-spawn-to-completion.md")]
    pub struct Chapter01;
    #[doc = include_str!("../docs/02-timer-wheel.md")]
    pub struct Chapter02;
    #[doc = include_str!("../docs/03-reactor.md")]
    pub struct Chapter03;
    #[doc = include_str!("../docs/04-debug-mode.md")]
    pub struct Chapter04;
    #[doc = include_str!("../docs/05-dump-and-stalls.md")]
    pub struct Chapter05;
    #[doc = include_str!("../docs/06-timeline.md")]
    pub struct Chapter06;
    #[doc = include_str!("../docs/07-starvation-and-fairness.md")]
    pub struct Chapter07;
    #[doc = include_str!("../docs/08-cancellation.md")]
    pub struct Chapter08;
    #[doc = include_str!("../docs/asyncio.md")]
    pub struct Asyncio;
}
