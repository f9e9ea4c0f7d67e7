//! # Demo `async_iter`: `async for` and `async with`, the Rust way
//!
//! **An async iterator.** Rust has no `async for` yet. The plain pattern is a type with
//! `async fn next(&mut self) -> Option<T>`, driven by `while let Some(x) = it.next().await`;
//! `None` ends the loop as `StopAsyncIteration` does. `AsyncRange` below yields 1..=5 and
//! sleeps 0.1 s before each item, so other tasks run while it waits. (glassloop's
//! `mpsc::Receiver::recv` and `Interval::tick` follow the same pattern.)
//!
//! **An async context manager.** Python's `async with connect() as conn:` runs `__aexit__`
//! whether the body returns, raises, or is cancelled. Rust splits that job in two:
//!
//! ```text
//!   success  ──► conn.close().await   explicit async cleanup (it may await: say goodbye
//!   error    ──► conn.close().await   to the server), run because the body's Result is
//!                                     matched, not `?`-ed past the close
//!   cancelled ─► Drop for Connection  the future is dropped and will never be polled again,
//!                                     so no await is possible: Drop does the synchronous part
//! ```
//!
//! The `Drop` is the guard: it runs on every path, and does nothing if `close` already ran.
//! tokio code follows the same convention (an explicit `shutdown().await`, plus `Drop` as the
//! safety net); there is no async `Drop` in Rust today.

use std::fmt;
use std::time::Duration;

use glassloop::time::{sleep, timeout, Instant};
use glassloop::Runtime;

use crate::secs;

// ───────────────────────────── the async range ─────────────────────────────

/// Yields `next..=last`, sleeping `every` before each item.
struct AsyncRange {
    next: u32,
    last: u32,
    every: Duration,
}

impl AsyncRange {
    /// The next item, or `None` when the range is used up: Python's `__anext__`.
    async fn next(&mut self) -> Option<u32> {
        if self.next > self.last {
            return None;
        }
        sleep(self.every).await;
        let item = self.next;
        self.next += 1;
        Some(item)
    }
}

// ───────────────────────────── the context manager ─────────────────────────────

/// A pretend database connection that must always be closed.
struct Connection {
    start: Instant,
    /// True until disconnected, by `close` or by `Drop`.
    open: bool,
}

/// A query the pretend database refused.
#[derive(Debug)]
struct QueryError(String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query failed: {}", self.0)
    }
}

/// Open a connection (Python's `__aenter__`).
async fn connect(start: Instant) -> Connection {
    sleep(Duration::from_millis(100)).await;
    println!("[{}]   connected", secs(start.elapsed()));
    Connection { start, open: true }
}

impl Connection {
    /// Run a query: 0.2 s, then rows, or an error for the table named "missing".
    async fn query(&mut self, table: &str) -> Result<String, QueryError> {
        println!("[{}]   query {table}", secs(self.start.elapsed()));
        sleep(Duration::from_millis(200)).await;
        if table == "missing" {
            return Err(QueryError(format!("no table named '{table}'")));
        }
        Ok(format!("3 rows from {table}"))
    }

    /// Say goodbye to the server and disconnect (Python's `__aexit__`): it may await.
    async fn close(mut self) {
        sleep(Duration::from_millis(50)).await;
        self.open = false;
        println!(
            "[{}]   disconnected (async close)",
            secs(self.start.elapsed())
        );
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.open {
            println!(
                "[{}]   disconnected (Drop: the future was cancelled, so no await was possible)",
                secs(self.start.elapsed())
            );
        }
    }
}

/// `async with connect() as conn: return await conn.query(table)`, spelled out.
async fn session(start: Instant, table: &str) -> Result<String, QueryError> {
    let mut conn = connect(start).await;
    let answer = conn.query(table).await; // no `?` here: the close below must run either way
    conn.close().await;
    answer
}

// ───────────────────────────── the demo ─────────────────────────────

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();

        println!("async for: an async range over 1..=5, one item every 0.1 s");
        let mut range = AsyncRange {
            next: 1,
            last: 5,
            every: Duration::from_millis(100),
        };
        while let Some(item) = range.next().await {
            println!("[{}] item {item}", secs(start.elapsed()));
        }
        println!(
            "[{}] next() returned None: the loop ends",
            secs(start.elapsed())
        );

        println!("async with: connect, query, disconnect");
        println!("case 1, success:");
        match session(start, "users").await {
            Ok(rows) => println!("[{}] result: {rows}", secs(start.elapsed())),
            Err(err) => println!("[{}] result: {err}", secs(start.elapsed())),
        }
        println!("case 2, the query fails:");
        match session(start, "missing").await {
            Ok(rows) => println!("[{}] result: {rows}", secs(start.elapsed())),
            Err(err) => println!("[{}] result: {err}", secs(start.elapsed())),
        }
        println!("case 3, cancelled by a 0.15 s timeout during the query:");
        match timeout(Duration::from_millis(150), session(start, "orders")).await {
            Ok(_) => println!("[{}] result: finished in time", secs(start.elapsed())),
            Err(_) => println!(
                "[{}] result: timed out; the session future was dropped",
                secs(start.elapsed())
            ),
        }
    });
}
