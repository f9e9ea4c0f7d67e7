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
//! promise from a dead one, which is why the stall rules (`park_decision`, executor/mod.rs)
//! also look at timers, sockets and outside work.
//!
//! asyncio: `asyncio.all_tasks()` with `task.print_stack()`; tokio: tokio-console's task list,
//! or `Handle::dump()` behind an unstable flag.
//!
//! Read next: `trace.rs`.

use std::fmt::Write as _;
use std::time::Duration;

use super::api::observer;
use super::awaits::Alive;
use super::detector::secs;
use super::row_label;
use super::Observer;
use crate::executor::Core;
use crate::hooks::{LoopView, TaskEnd, TaskRow, TaskState};
use crate::outside::{summary, Held};
use crate::task_id::TaskId;

/// The dump of `core`, with the observer's notes if it has one: what `Runtime::dump`
/// returns and a stall report ends with.
pub(crate) fn render(core: &Core) -> String {
    let observer = observer(core);
    render_view(core, observer, &crate::outside::in_flight(core))
}

/// The message `block_on` panics with when the loop is stalled: why nothing can wake the
/// main future, what is pending, and the dump. The builder hands this function to the loop.
/// In debug mode the list of what is pending also says what each waits on, and where that
/// was created ("main future #0 waits on a oneshot channel created at src/main.rs:49:47").
pub(crate) fn stall_report(core: &Core) -> String {
    let mut report = if core.is_stalled() {
        String::from(
            "glassloop: the loop is stalled. The main future is waiting, but no task is \
             ready, no timer is set, no socket is registered, and no waker is held anywhere \
             (not by a channel, not by another thread), so nothing can ever wake it. Look \
             for a future that returns Pending without storing its waker.\nTasks still \
             pending:",
        )
    } else {
        String::from(
            "glassloop: the loop is stalled (virtual clock). The main future is waiting, \
             but no task is ready, no timer is set, no socket is registered and no work \
             runs outside the loop, so no time can pass and nothing in the loop can happen. \
             Wakers are still held, by something inside the loop (a channel whose sender \
             nobody will use) or by a thread that did not announce its work. If a thread of \
             yours will wake a task, announce it so the clock waits for it: create \
             `let work = glassloop::OutsideWork::new();` on the loop's thread, move `work` \
             into the thread, and drop it after the thread's last `wake` (`spawn_blocking` \
             does this for you).\nTasks still pending:",
        )
    };
    let observer = observer(core);
    if let Some(obs) = observer {
        // A cycle of JoinHandles is the reason itself: named before the list (awaits.rs).
        let deadlocks = obs.deadlocks(core);
        if !deadlocks.is_empty() {
            let named = format!("\n{}\nTasks still pending:", deadlocks.join("\n"));
            report = report.replace("\nTasks still pending:", &named);
        }
    }
    if core.tasks.len() == 0 {
        report.push_str(" none besides the main future");
    }
    // With debug mode on, each line also says what the task waits on and where that thing
    // was created: the first place to look ("which channel has no sender?").
    let rows = observer.map(|_| core.tasks()).unwrap_or_default();
    let watched = observer.map(|obs| (obs, obs.alive(core, &rows)));
    let waits_of = |id: TaskId| match &watched {
        Some((obs, alive)) => obs
            .live_waits(alive, id)
            .into_iter()
            .map(|wait| obs.describe_wait(wait, &rows))
            .collect::<Vec<_>>()
            .join(" and "),
        None => String::new(),
    };
    // The main future first: it is what `block_on` waits for.
    let main_waits = waits_of(TaskId::MAIN);
    if !main_waits.is_empty() {
        report.push_str(&format!("\n  main future #0 waits on {main_waits}"));
    }
    core.tasks.for_each(|slot| {
        report.push_str(&format!(
            "\n  task {} spawned at {}, polled {} time(s)",
            slot.header().label(),
            slot.header().spawned_at,
            slot.polls
        ));
        let waits = waits_of(slot.header().id());
        if !waits.is_empty() {
            report.push_str(&format!(", waits on {waits}"));
        }
    });
    report.push('\n');
    report.push_str(&render(core));
    report
}

/// The dump, from the loop's read-only view and, if one is on, the observer's notes.
/// `held` is the outside work in flight, from outside.rs's ledger.
pub(crate) fn render_view(
    view: &dyn LoopView,
    observer: Option<&Observer>,
    held: &[Held],
) -> String {
    let rows = view.tasks();
    let spawned = rows.iter().filter(|row| row.id != TaskId::MAIN).count();
    let io = if view.io_waiters().is_empty() { "no" } else { "some" };
    let mut out = format!(
        "glassloop task dump at {}: {spawned} task(s) besides the main future; {} timer(s) \
         set, {io} socket waiter(s), {} job(s) running outside the loop.",
        secs(view.now()),
        view.timers().len(),
        view.outside_work(),
    );
    // What that outside work is, by kind and where it started.
    if view.outside_work() > 0 {
        let _ = write!(out, "\n  outside work: {}", summary(view.outside_work(), held));
        for piece in held {
            let _ = write!(out, "\n    {}", piece.describe());
        }
    }
    // What is still alive is read once here, not once per task (awaits.rs, `Alive`).
    let watched = observer.map(|obs| (obs, obs.alive(view, &rows)));
    let watched = watched.as_ref().map(|(obs, alive)| (*obs, alive));
    for row in &rows {
        describe(&mut out, &rows, row, watched);
    }
    if let Some((obs, alive)) = watched {
        out.push_str(&obs.await_tree(alive, &rows)); // awaits.rs
        ended(&mut out, obs);
    }
    out
}

/// The tasks that ended lately, and how: who cancelled a cancelled one.
fn ended(out: &mut String, obs: &Observer) {
    let ends = obs.recent_ends.borrow();
    if ends.iter().next().is_none() {
        return;
    }
    out.push_str("\n  ended lately:");
    for end in ends.iter() {
        let how = match end.how {
            TaskEnd::Finished => "finished",
            TaskEnd::Panicked => "panicked",
            TaskEnd::Cancelled => "cancelled",
        };
        let by = match (end.how, &end.by) {
            (TaskEnd::Cancelled, Some((by, name))) => {
                format!(" by {}", row_label(name.as_deref(), *by))
            }
            (TaskEnd::Cancelled, None) => " by the loop (it was dropped, or ended)".to_string(),
            _ => String::new(),
        };
        let (id, name) = &end.task;
        let _ = write!(
            out,
            "\n    {} {how} at {}{by}",
            row_label(name.as_deref(), *id),
            secs(Duration::from_nanos(end.at))
        );
    }
}

fn describe(
    out: &mut String,
    rows: &[TaskRow],
    row: &TaskRow,
    watched: Option<(&Observer, &Alive)>,
) {
    let observer = watched.map(|(obs, _)| obs);
    let state = match row.state {
        TaskState::Ready => "ready",
        TaskState::Polling => "polling",
        TaskState::Waiting => "waiting",
    };
    let _ = write!(out, "\n  {}: {state}", row_label(row.name.as_deref(), row.id));
    if let Some(polls) = row.polls {
        let _ = write!(out, ", polled {polls} time(s)");
    }
    let _ = write!(out, ", {} waker(s) held", row.wakers_held);
    let _ = write!(out, "\n      spawned at {}", row.spawned_at);
    let spawned_by = observer.and_then(|obs| obs.tasks.borrow().get(&row.id)?.spawned_by);
    if let (Some(obs), Some(by)) = (observer, spawned_by) {
        let _ = write!(out, " by {}", obs.row_label(by));
    }
    let parked =
        observer.map(|obs| obs.tasks.borrow().get(&row.id).and_then(|notes| notes.parked_at));
    match parked {
        Some(Some(at)) => {
            let _ = write!(out, "\n      parked at  {at}");
        }
        Some(None) if row.state == TaskState::Waiting => {
            out.push_str("\n      parked at  an await point that does not record itself");
        }
        Some(None) => {}
        None => out
            .push_str("\n      parked at  (not recorded: switch on debug mode, GLASSLOOP_DEBUG=1)"),
    }
    if let (Some((obs, alive)), TaskState::Waiting) = (watched, row.state) {
        for wait in obs.live_waits(alive, row.id) {
            let _ = write!(out, "\n      waits on   {}", obs.describe_wait(wait, rows));
        }
    }
}
