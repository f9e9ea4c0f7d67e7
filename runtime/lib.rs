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
//!                                                     ──► reactor: mio Poll      ─────┘
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
//! | `asyncio.open_connection` | `tokio::net::TcpStream` | [`net::TcpStream`] |
//! | `asyncio.start_server` | `tokio::net::TcpListener` | [`net::TcpListener`] |
//! | `create_datagram_endpoint` | `tokio::net::UdpSocket` | [`net::UdpSocket`] |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod executor;
pub mod net;
pub(crate) mod reactor;
pub mod task;
pub mod time;
mod waker;

pub use executor::{run, Builder, Runtime, Tick, DEFAULT_BATCH};
pub use task::{spawn, JoinError, JoinHandle, TaskId};

/// The course chapters' code blocks, compiled and run as doctests so they cannot drift.
#[cfg(doctest)]
pub mod course {
    #[doc = include_str!("../docs/01-a-task-from-spawn-to-completion.md")]
    pub struct Chapter01;
    #[doc = include_str!("../docs/02-timer-wheel.md")]
    pub struct Chapter02;
    #[doc = include_str!("../docs/03-reactor.md")]
    pub struct Chapter03;
}
