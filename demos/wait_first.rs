//! # Demo `wait_first`: take the first answer, cancel the rest, watch them clean up
//!
//! The same file is on three mirrors. Ask all three, use whichever answers first, and cancel
//! the other two downloads. Each download holds a `Connection` guard: its `Drop` closes the
//! connection whether the download finished or was cancelled, which is what `try/finally`
//! does in Python.
//!
//! ```python
//! tasks = [asyncio.create_task(download(m, s)) for m, s in mirrors]
//! done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
//! for t in pending: t.cancel()
//! ```
//!
//! In glassloop `abort()` drops the task's future at once, so the cleanup lines print right
//! there, before `abort` returns; asyncio's cleanup would run at the tasks' next turn.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::combinators::{wait, ReturnWhen};
use glassloop::task::Builder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// An open connection to a mirror; closing it is the cleanup that must always run.
struct Connection {
    mirror: &'static str,
    start: Instant,
    /// Set when the download got to its end, so the cleanup can say why it runs.
    finished: Rc<Cell<bool>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        let why = if self.finished.get() {
            "after finishing"
        } else {
            "on cancellation"
        };
        println!(
            "[{}] mirror {}: connection closed {why}",
            secs(self.start.elapsed()),
            self.mirror
        );
    }
}

/// Download from `mirror`, which takes `seconds`.
async fn download(mirror: &'static str, seconds: u64, start: Instant) -> String {
    let finished = Rc::new(Cell::new(false));
    let _connection = Connection {
        mirror,
        start,
        finished: finished.clone(),
    };
    println!(
        "[{}] mirror {mirror}: downloading ({seconds} s)",
        secs(start.elapsed())
    );
    sleep(Duration::from_secs(seconds)).await;
    println!("[{}] mirror {mirror}: finished", secs(start.elapsed()));
    finished.set(true);
    format!("file from mirror {mirror}")
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let handles = [("A", 3), ("B", 1), ("C", 2)]
            .into_iter()
            .map(|(mirror, seconds)| {
                Builder::new()
                    .name(&format!("mirror {mirror}"))
                    .spawn(download(mirror, seconds, start))
            })
            .collect();
        let outcome = wait(handles, ReturnWhen::FirstCompleted).await;
        for (id, result) in &outcome.done {
            let file = result.as_ref().expect("a download never panics");
            println!(
                "[{}] first done: task {id} gave {file:?}; {} still pending",
                secs(start.elapsed()),
                outcome.pending.len()
            );
        }
        println!("[{}] cancelling the rest", secs(start.elapsed()));
        for handle in &outcome.pending {
            handle.abort();
        }
        for handle in outcome.pending {
            match handle.await {
                Err(err) if err.is_cancelled() => {
                    println!("[{}] awaiting it: {err}", secs(start.elapsed()))
                }
                other => println!("[{}] unexpected: {other:?}", secs(start.elapsed())),
            }
        }
        println!("total: {}", secs(start.elapsed()));
    });
}
