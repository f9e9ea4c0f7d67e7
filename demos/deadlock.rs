//! # Demo `deadlock`: two tasks that await each other
//!
//! Task 'a' spawns task 'b' and waits for it to finish; 'b' was handed the JoinHandle of
//! 'a' and waits for *it* to finish. Neither can finish first. The loop has nothing to run,
//! no timer and no socket, so under the virtual clock it stops with the stall report; the
//! report's first line after the explanation names the cycle, and the dump draws the await
//! tree, the way Python 3.14's `asyncio pstree` prints "cycle: Task-2 → Task-3 → Task-2".
//!
//! The handle of 'a' travels to 'b' through a shared slot, because a task cannot hold its
//! own JoinHandle at the moment it is spawned; the real-life version is a handle stored in a
//! struct both tasks can reach.
//!
//! asyncio: the two tasks hang (`asyncio pstree` names the cycle from outside); tokio: the
//! same hang, and nothing names it.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use glassloop::sync::oneshot;
use glassloop::task::{Builder as TaskBuilder, JoinHandle};
use glassloop::Runtime;

/// Run the demo.
pub fn main(_runtime: &Runtime) {
    // Its own runtime, always on the virtual clock (the stall is certain there); the flags
    // still apply to it.
    let runtime = crate::with_flags(Runtime::builder().virtual_clock().debug())
        .build()
        .expect("a runtime");
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // the stall is printed below, once
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(async {
            let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
            let for_b = slot.clone();
            let a = TaskBuilder::new().name("a").spawn(async move {
                let b = TaskBuilder::new().name("b").spawn(async move {
                    let a = for_b
                        .borrow_mut()
                        .take()
                        .expect("main stored the handle of a");
                    a.await.expect("a does not panic"); // b waits for a ...
                });
                b.await.expect("b does not panic"); // ... and a waits for b
            });
            *slot.borrow_mut() = Some(a);
            println!("main: 'a' waits for 'b', and 'b' for 'a'; main waits for a message");
            let (_kept_but_unused, message) = oneshot::channel::<()>();
            let _ = message.await;
        })
    }));
    std::panic::set_hook(default_hook);
    if let Err(panic) = outcome {
        let report = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        println!("block_on stopped with an error instead of hanging:\n{report}");
    }
    crate::show_flags("deadlock", &runtime);
}
