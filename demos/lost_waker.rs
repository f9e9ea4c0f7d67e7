//! # Demo `lost_waker`: a future that forgets its waker
//!
//! The contract of `Future::poll`: return `Pending` only after arranging for
//! `cx.waker()` to be woken when progress is possible. A hand-written future that returns
//! `Pending` and keeps no waker can never run again, silently. glassloop knows this exactly:
//! after the poll, the task's waker has no owner besides the loop (its `Arc` strong count says
//! so), and debug mode reports it at once, naming the task.
//!
//! Then the fix: the same doorbell, but it keeps the waker, and ringing it wakes the task.
//!
//! asyncio cannot make this mistake in the same way (a coroutine awaits futures that the
//! loop resolves), but a `Future` nobody calls `set_result` on hangs the same; tokio: the task
//! just never runs again.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use glassloop::task::Builder as TaskBuilder;
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// A bell someone rings once, and the waker of whoever waits for it (if it was kept).
#[derive(Default)]
struct Bell {
    rung: bool,
    waiter: Option<Waker>,
}

/// Waits for the bell. `keeps_waker` chooses between the bug and the fix.
struct WaitForBell {
    bell: Rc<RefCell<Bell>>,
    keeps_waker: bool,
}

impl Future for WaitForBell {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut bell = self.bell.borrow_mut();
        if bell.rung {
            return Poll::Ready(());
        }
        if self.keeps_waker {
            bell.waiter = Some(cx.waker().clone());
        }
        Poll::Pending // without a stored waker, this is a promise nobody can keep
    }
}

fn ring(bell: &Rc<RefCell<Bell>>) {
    let waiter = {
        let mut bell = bell.borrow_mut();
        bell.rung = true;
        bell.waiter.take()
    };
    if let Some(waiter) = waiter {
        waiter.wake();
    }
}

async fn round(keeps_waker: bool) {
    let start = Instant::now();
    let bell = Rc::new(RefCell::new(Bell::default()));
    let waiting = WaitForBell {
        bell: bell.clone(),
        keeps_waker,
    };
    let waiter = TaskBuilder::new().name("waiter").spawn(async move {
        waiting.await;
        println!("[{}] waiter: the bell rang", secs(start.elapsed()));
    });
    sleep(Duration::from_secs(1)).await;
    println!("[{}] main: ringing the bell", secs(start.elapsed()));
    ring(&bell);
    sleep(Duration::from_secs(1)).await;
    if waiter.is_finished() {
        println!("[{}] main: the waiter finished", secs(start.elapsed()));
    } else {
        println!(
            "[{}] main: the waiter never ran again; cancelling it",
            secs(start.elapsed())
        );
        waiter.abort();
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    // Reports go to stdout here so they appear in order with the demo's own lines.
    let builder = crate::with_flags(Runtime::builder().debug().debug_reports_to_stdout());
    let builder = if runtime.is_virtual_clock() {
        builder.virtual_clock()
    } else {
        builder
    };
    let runtime = builder.build().expect("a runtime");
    println!("round 1: WaitForBell returns Pending without keeping the waker");
    runtime.block_on(round(false));
    println!("round 2: WaitForBell keeps cx.waker() before returning Pending");
    runtime.block_on(round(true));
    crate::show_flags("lost_waker", &runtime);
}
