//! # Home: a timer, a socket or a task belongs to the runtime that made it
//!
//! A `Sleep` puts its entry into the timer wheel of the runtime it was made under; a socket
//! is registered with that runtime's reactor; a spawned task sits in that runtime's slab, and
//! its `JoinHandle` waits for that loop to run it. Each keeps a `Weak` link to that runtime,
//! its *home*, and only the home loop, while it runs, ever fires the timer, dispatches the
//! socket's events or polls the task. Awaited anywhere else, the resource returns `Pending`
//! and waits for a loop that is not turning: a silent hang. Three ways to get there:
//!
//! ```text
//!   let h = rt.spawn(async { 42 }); glassloop::run(h)   another runtime awaits it
//!   futures::executor::block_on(nap)                    no glassloop loop runs at all
//!   let nap = rt.block_on(..); drop(rt); ... nap.await  its home is gone
//! ```
//!
//! So before a resource returns `Pending`, it asks whether its home is the runtime running on
//! this thread (`executor/context.rs`, `is_current`: one thread-local read and a pointer
//! compare, no allocation), and if not, it panics with one of the messages below, which name
//! the resource, the two runtimes' roles and what to do. Only the `Pending` path asks: a
//! result that is already there (a finished task, an elapsed sleep) may be handed out
//! anywhere, since nothing has to wait for it. It is a panic, not an error, for the reason
//! `spawn` outside a runtime is one: the program is wrong, and no retry can make it right.
//!
//! asyncio checks the same thing: a task that awaits a future of another loop fails with
//! `RuntimeError: Task ... got Future ... attached to a different loop`. tokio binds each
//! resource to the runtime whose context made it, too.
//!
//! Read next: `spawn/`, the first users of the runtime's core above it.

use std::fmt;

use crate::executor::context::in_runtime;

/// Panic for `resource` (e.g. "the Sleep made at src/main.rs:4"), polled where it would wait
/// but away from its home, whose `part` ("timer wheel", "reactor", "task slab") holds it.
/// The message depends on what is running here instead: another glassloop runtime, or none.
#[cold]
#[inline(never)]
pub(crate) fn away_from_home(resource: fmt::Arguments<'_>, part: &str) -> ! {
    if in_runtime() {
        panic!(
            "{resource} belongs to another glassloop runtime: the runtime that made it keeps \
             it in its {part}, and the runtime awaiting it now never looks there, while its \
             own runtime is not running, so it would wait for ever. Create it inside the \
             runtime that awaits it (spawn, sleep and bind in code that this runtime runs), \
             or await it with the `block_on` of the runtime that made it."
        )
    }
    panic!(
        "{resource} was polled outside any running glassloop loop (by another executor, such \
         as `futures::executor::block_on`, or by hand). The runtime that made it still exists \
         and keeps it in its {part}, but that runtime is not running, so nothing would ever \
         wake it. Await it inside `glassloop::run(async {{ ... }})`, or with `Runtime::block_on` \
         of the runtime that made it."
    )
}

/// Panic for `resource`, polled after its home runtime was dropped (with its `part`).
#[cold]
#[inline(never)]
pub(crate) fn home_dropped(resource: fmt::Arguments<'_>, part: &str) -> ! {
    panic!(
        "{resource} was polled after its runtime was dropped: its {part} went with that \
         runtime, so nothing could ever wake it. Create it inside the runtime that awaits it, \
         in code run by `glassloop::run(async {{ ... }})` or `Runtime::block_on`, and await it \
         before that runtime ends."
    )
}
