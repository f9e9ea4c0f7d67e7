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
//!   spawn(fut) ──► tasks: TaskTable ◄── TaskId ── ready queue ◄──────────────────── Waker::wake()
//!                     │ poll(cx)          (a VecDeque; wakes from other threads       ▲  from any
//!                     ▼                    come through a crossbeam channel)          │  thread
//!                Future::poll ── stores cx.waker() in ──► timer wheel (timer/)   ─────┤
//!                                                     ──► reactor: mio Poll      ─────┤
//!                                                     ──► blocking pool (threads)─────┘
//!                                                           └─ mio::Waker unparks the loop
//! ```
//!
//! One turn of the loop, `Runtime::tick` in executor/mod.rs:
//!
//! 1. **Run** the tasks that are ready now (a bounded batch), each polled once.
//! 2. **Decide** how long to sleep: zero if tasks are ready, else until the next timer, else
//!    until woken.
//! 3. **Park** in the reactor (`mio::Poll::poll`); readiness events wake socket waiters. While
//!    tasks stay ready, the loop looks at I/O only every [`IO_INTERVAL`] polls.
//! 4. **Fire** expired timers, first moving virtual time if nothing else can happen (the one
//!    rule of the virtual clock, in timer/driver.rs).
//!
//! ## Layers, and the reading order
//!
//! The crate is built in layers, and a file names only files on its own layer or below
//! (`tests/layers.rs` checks it, and that the core stays within 1,500 lines of code). So the
//! source reads bottom-up: nothing you open names something you have not met. The core, L0
//! to L3, is what one sitting holds; everything above it is built from what it offers. Where
//! a chapter of the course (`docs/`, indexed in `docs/README.md`) walks the same files, the
//! last column names it.
//!
//! | # | layer | file | what you learn there | chapter |
//! |---|---|------|----------------------|---------|
//! | 1 | L0 | `task_id.rs` | a task's name tag: slot plus generation | 1 |
//! | 2 | L0 | `timer/wheel.rs` | the hierarchical timing wheel, a pure data structure | 2 |
//! | 3 | L0-L1 | `timer/clock.rs`, `timer/instant.rs`, `timer/driver.rs` | real and virtual time; the rule of when virtual time moves | 2 |
//! | 4 | L1 | `waker.rs` | a waker is "push my id onto the ready queue" | 1 |
//! | 5 | L1 | `reactor.rs` | mio, tokens, readiness to wakers | 3 |
//! | 6 | L2 | `task_table.rs` | what the loop keeps of a task: the slab, check-out and check-in | 1 |
//! | 7 | L0 | `hooks.rs` | the one door the observer comes through: instruments and a read-only view | 4 |
//! | 8 | L3 | `executor/` (`mod.rs`, `state.rs`, `context.rs`, `schedule.rs`, `view.rs`) | `Runtime`, the tick, `block_on`, `step`; how `spawn` finds the loop; the order of a pass | 1 |
//! | 9 | L4 | `home.rs`, `spawn/` | a resource belongs to the runtime that made it; `spawn`, `JoinHandle`, `JoinError`, `yield_now`, built on the loop | 1 |
//! | 10 | L4 | `time/` | `sleep`, `timeout`, `interval`, `Instant::now` | 2 |
//! | 11 | L4 | `net/` | `TcpListener`, `TcpStream`, `UdpSocket` over the reactor | 3 |
//! | 12 | L4-L5 | `outside.rs`, `blocking.rs`, `blocking/pool.rs`, `fs.rs`, `handle.rs` | `OutsideWork`: how work off the loop holds the virtual clock, and the ledger that says what holds it; `spawn_blocking`; `block_on`; files on the pool; `Handle`: other threads post work to the loop | |
//! | 13 | L4 | `combinators/` | gather, try_gather, select, race, wait, as_completed, TaskGroup | 8 |
//! | 14 | L4 | `sync/` | Semaphore, Mutex, Event, Notify, Condition, Barrier, queues and channels | |
//! | 14b | L4 | `wake_site.rs`, `wait_site.rs` | a wake names its cause (a channel, a JoinHandle), and a parked task what it waits on and where that was created, at one branch when off | 6 |
//! | 15 | L6 | `observe/` | debug mode (slow polls, watchdog), dump, stalls, lost wakers, trace and timeline | 4, 5, 6 |
//! | 16 | L7 | `builder.rs` | the composition root: every option, and the parts put together | |
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
//! | `loop.call_soon_threadsafe`, `run_coroutine_threadsafe` | `runtime::Handle` | [`Runtime::handle`], [`Handle`], [`RemoteHandle`] |
//! | `asyncio.current_task()` | `task::id()`, `task::try_id()` | [`task::id`], [`task::try_id`] |
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
mod handle;
mod home;
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
mod wait_site;
mod wake_site;
mod waker;

pub use blocking::{
    block_on, spawn_blocking, BlockingPoolStats, DEFAULT_BLOCKING_KEEP_ALIVE,
    DEFAULT_BLOCKING_SHUTDOWN_TIMEOUT, DEFAULT_MAX_BLOCKING_THREADS,
};
pub use builder::{run, Builder};
pub use executor::{Runtime, Tick, DEFAULT_BATCH, IO_INTERVAL};
pub use handle::{Handle, LoopClosed, RemoteHandle};
pub use observe::dump;
pub use outside::OutsideWork;
pub use spawn::{spawn, JoinError, JoinHandle};
pub use task_id::TaskId;

/// Tasks: spawn them, name them, await or cancel them, let others run.
///
/// The pieces live in the layers that own them: the id in `task_id.rs`, the record the loop
/// keeps in `task_table.rs`, `spawn`, [`JoinHandle`], [`JoinError`], [`yield_now`](crate::task::yield_now) and
/// [`id`](crate::task::id) in `spawn/`, built on the loop, and [`spawn_blocking`] above them
/// in `blocking.rs`. This module only gathers them under one name.
///
/// asyncio: `asyncio.create_task`, `Task`, `asyncio.sleep(0)`, `asyncio.current_task()`;
/// tokio: `tokio::task`.
pub mod task {
    pub use crate::blocking::spawn_blocking;
    pub use crate::spawn::{
        id, spawn, try_id, yield_now, Builder, JoinError, JoinHandle, YieldNow,
    };
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
