//! # The task dump
//!
//! "What is every task doing right now?" is the first question when a program hangs. The dump
//! answers it from the runtime's own records: every live task with its name, where it was
//! spawned, its state, how often it was polled, how many wakers for it exist outside the
//! loop's records, and (in debug mode) the await point it is parked on.
//!
//! ```text
//!   state     meaning                                   how the loop knows
//!   ready     woken, waiting in the ready queue          its `scheduled` flag is set
//!   polling   running right now (the dump was asked     its future is out of the slab
//!             for from inside a task)
//!   waiting   parked at an await point                   neither of the above
//! ```
//!
//! The "wakers held" column is the waker's `Arc` strong count minus the loop's own: 0 means
//! nobody can wake the task (a lost waker), 1 or more means a timer, a socket, a channel or a
//! thread could. A waiting task whose only waker is held by something *inside* the loop (a
//! channel whose sender is another waiting task) still shows 1: the count cannot tell a live
//! promise from a dead one, which is why the stall rules in `executor.rs` also look at timers,
//! sockets and outside work.
//!
//! asyncio: `asyncio.all_tasks()` with `task.print_stack()`; tokio: tokio-console's task list,
//! or `Handle::dump()` behind an unstable flag.
//!
//! Read next: `trace.rs`.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::detector::secs;
use crate::executor::Core;
use crate::task::TaskId;
use crate::waker::TaskWaker;

/// Render the dump of `core`'s live tasks. `main` is the main future's waker, if one runs.
pub(crate) fn render(core: &Core, main: Option<&Arc<TaskWaker>>) -> String {
    let tasks = core.tasks.borrow();
    let timers = core.timers.borrow().len();
    let io = if core.reactor.has_waiters() {
        "some"
    } else {
        "no"
    };
    let outside = core.holds.load(Ordering::SeqCst);
    let mut out = format!(
        "glassloop task dump at {}: {} task(s) besides the main future; {timers} timer(s) \
         set, {io} socket waiter(s), {outside} job(s) running outside the loop.",
        secs(core.clock.now()),
        tasks.len(),
    );
    // The executor keeps one Arc per task, plus one on its stack while it polls the task;
    // every other strong count is a Waker somebody holds.
    if let Some(waker) = main {
        // The main future lives on `block_on`'s stack, so only the observer knows whether it
        // is being polled right now.
        let polling = core
            .observer
            .as_ref()
            .is_some_and(|obs| obs.polling.get() == Some(TaskId::MAIN));
        let spawned_at = core.observer.as_ref().and_then(|obs| {
            obs.tasks
                .borrow()
                .get(&TaskId::MAIN)
                .map(|notes| notes.spawned_at)
        });
        describe(
            &mut out,
            core,
            TaskId::MAIN,
            "main future #0".to_string(),
            spawned_at,
            state_of(waker, !polling),
            None,
            Arc::strong_count(waker) - 1 - usize::from(polling),
        );
    }
    for (_, task) in tasks.iter() {
        let polling = task.future.is_none();
        describe(
            &mut out,
            core,
            task.id,
            format!("task {}", task.label()),
            Some(task.spawned_at),
            state_of(&task.waker, !polling),
            Some(task.polls),
            Arc::strong_count(&task.waker) - 1 - usize::from(polling),
        );
    }
    out
}

fn state_of(waker: &TaskWaker, in_slab: bool) -> &'static str {
    if !in_slab {
        "polling"
    } else if waker.scheduled.load(Ordering::SeqCst) {
        "ready"
    } else {
        "waiting"
    }
}

#[allow(clippy::too_many_arguments)]
fn describe(
    out: &mut String,
    core: &Core,
    id: TaskId,
    label: String,
    spawned_at: Option<&'static std::panic::Location<'static>>,
    state: &str,
    polls: Option<u64>,
    wakers: usize,
) {
    let _ = write!(out, "\n  {label}: {state}");
    if let Some(polls) = polls {
        let _ = write!(out, ", polled {polls} time(s)");
    }
    let _ = write!(out, ", {wakers} waker(s) held");
    if let Some(at) = spawned_at {
        let _ = write!(out, "\n      spawned at {at}");
    }
    let parked = core.observer.as_ref().map(|obs| {
        obs.tasks
            .borrow()
            .get(&id)
            .and_then(|notes| notes.parked_at)
    });
    match parked {
        Some(Some(at)) => {
            let _ = write!(out, "\n      parked at  {at}");
        }
        Some(None) if state == "waiting" => {
            out.push_str("\n      parked at  an await point that does not record itself");
        }
        Some(None) => {}
        None => out
            .push_str("\n      parked at  (not recorded: switch on debug mode, GLASSLOOP_DEBUG=1)"),
    }
}
