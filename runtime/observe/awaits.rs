//! # What each task waits on, who awaits whom, and deadlocks
//!
//! "Parked at src/main.rs:12" says where a task stopped. The second edition of the dump also
//! says *on what* it stopped, and draws the tasks as a tree of who awaits whom, the way
//! Python 3.14's `asyncio pstree` does:
//!
//! ```text
//!   main future #0                        a JoinHandle awaited is an edge of the graph:
//!   └─ awaits task 'a' #1                 main ──► a ──► b ──► a  is a cycle, a deadlock:
//!      └─ awaits task 'b' #2              neither can finish before the other
//!         └─ awaits task 'a' #1 (cycle)
//! ```
//!
//! ## Where the notes come from
//!
//! During a poll, the leaf futures that return `Pending` say what they wait on: a timer
//! through the `timer_set` hook (its deadline, where the sleep was created), a socket
//! through `io_wait` (its token and direction; where it was made comes in a note just
//! before), everything else through a note left in wait_site.rs (a channel, a semaphore, a
//! mutex, an event, the JoinHandle of task N, work outside the loop, each with where it was
//! created). The observer gathers a poll's notes; when the poll ends `Pending` they
//! become the task's waits. A leaf that was not polled this time (a sleeping child of a
//! gather whose sibling was woken) said nothing, so the timers, sockets and JoinHandles of
//! earlier polls are kept as long as the loop's view shows them still alive; a channel or
//! an event is kept only from the last poll (nothing says when it stops being waited on).
//!
//! ## Honest limits
//!
//! Only JoinHandles make edges between tasks: a task that waits on a channel only another
//! task could send on is waiting on *somebody*, but a channel does not know its senders,
//! so such a cycle is not named (the stall report still fires; it says nothing can move).
//! A channel, a semaphore or an event says where it was *created* (one location field in
//! each primitive, wait_site.rs), a timer where its sleep was created, a JoinHandle where
//! its task was spawned, a socket where it was bound, accepted or connected. A primitive
//! made inside a helper function names the helper's line, unless the helper is itself
//! `#[track_caller]`.
//!
//! asyncio: `asyncio pstree PID` (3.14) and `asyncio.print_call_graph()`; tokio: none
//! built in (tokio-console lists a task's resources, not a tree).
//!
//! Read next: `dump.rs`, which prints all this.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::panic::Location;

use super::detector::secs;
use super::{Observer, TaskNotes};
use crate::hooks::{Direction, LoopView, TaskRow};
use crate::task_id::TaskId;
use crate::timer::wheel::TimerKey;
use crate::wait_site::{same_place, End, Signal, WaitOn};

/// How many waits a task keeps (a task that sets a new timeout at every poll would grow).
const WAITS_KEPT: usize = 8;

/// One thing a task waits on.
#[derive(Debug, Clone, Copy, Eq)]
pub(crate) enum Wait {
    /// A timer in the wheel, due at `deadline_ms`, its sleep created at `set_at`.
    Timer { key: TimerKey, deadline_ms: u64, set_at: &'static Location<'static> },
    /// One half of a socket, made (bound, connected, accepted) at `made_at`.
    Socket { token: usize, direction: Direction, made_at: Option<&'static Location<'static>> },
    /// A note from wait_site.rs.
    On(WaitOn),
}

/// As a derived `==` would say, each place asked by address first (`same_place`, as the
/// notes of wait_site.rs are): every poll that ends `Pending` compares its waits with the
/// last poll's (`settle_waits`). Small enough to inline there; the derived one was a call.
impl PartialEq for Wait {
    #[inline(always)]
    fn eq(&self, other: &Wait) -> bool {
        match (*self, *other) {
            (Wait::On(a), Wait::On(b)) => a == b,
            (
                Wait::Timer { key, deadline_ms, set_at },
                Wait::Timer { key: key_b, deadline_ms: deadline_b, set_at: set_b },
            ) => key == key_b && deadline_ms == deadline_b && same_place(set_at, set_b),
            (
                Wait::Socket { token, direction, made_at },
                Wait::Socket { token: token_b, direction: direction_b, made_at: made_b },
            ) => {
                let made = match (made_at, made_b) {
                    (Some(a), Some(b)) => same_place(a, b),
                    (a, b) => a.is_none() && b.is_none(),
                };
                token == token_b && direction == direction_b && made
            }
            _ => false, // two kinds of wait
        }
    }
}

/// The timers, socket halves and tasks the loop's view shows alive, read once for a whole
/// report: every wait of every task is checked against it. (Read again for each task, the
/// dump of 4,000 sleeping tasks took 9 s: each read copies every timer in the wheel.)
pub(crate) struct Alive {
    /// Each timer in the wheel, with the deadline its note says.
    timers: HashSet<(TimerKey, u64)>,
    /// Each socket half a task waits on.
    sockets: HashSet<(usize, Direction)>,
    /// Each live task, the main future included.
    tasks: HashSet<TaskId>,
}

impl Alive {
    /// Is what `wait` waits on still there? A channel or an event cannot say: yes.
    fn holds(&self, wait: Wait) -> bool {
        match wait {
            Wait::Timer { key, deadline_ms, .. } => self.timers.contains(&(key, deadline_ms)),
            Wait::Socket { token, direction, .. } => self.sockets.contains(&(token, direction)),
            Wait::On(WaitOn::JoinHandle(task)) => self.tasks.contains(&task),
            Wait::On(_) => true,
        }
    }
}

/// The socket half a task waited on last, from its notes: what woke it in step 3.
pub(crate) fn socket_of(notes: &TaskNotes) -> Option<(usize, Direction)> {
    notes.waits.iter().find_map(|wait| match *wait {
        Wait::Socket { token, direction, .. } => Some((token, direction)),
        _ => None,
    })
}

impl Observer {
    /// Hook, start of a poll: forget the notes of the last one.
    #[inline]
    pub(crate) fn clear_poll_waits(&self) {
        self.poll_waits.borrow_mut().clear(); // usually empty already: `settle_waits` drained it
        let _ = crate::wait_site::take(); // a leaf that noted without an await point
    }

    /// A leaf said what the task being polled waits on. Out of line: `await_point` runs at
    /// every `Pending`, and most leaves (a yield) leave no note, so that hook stays a few
    /// instructions with no registers to save.
    #[inline(never)]
    pub(crate) fn note_wait(&self, wait: Wait) {
        let mut waits = self.poll_waits.borrow_mut();
        if !waits.contains(&wait) {
            waits.push(wait);
        }
    }

    /// The poll ended `Pending`: this poll's notes become the task's waits, followed by the
    /// earlier timers, sockets and JoinHandles (checked against the view when printed).
    pub(crate) fn settle_waits(&self, old: &mut Vec<Wait>) {
        let mut fresh = self.poll_waits.borrow_mut();
        // The common cases, once per poll: the same waits as last time (a channel in a loop),
        // or nothing to merge. They give what the general case below would give.
        if (old.is_empty() && fresh.is_empty()) || *old == *fresh {
            fresh.clear();
            return;
        }
        let lasting =
            |wait: &Wait| !matches!(wait, Wait::On(on) if !matches!(on, WaitOn::JoinHandle(_)));
        old.retain(|wait| lasting(wait) && !fresh.contains(wait));
        // In place, so that after warm-up neither vector allocates again.
        old.splice(0..0, fresh.drain(..));
        old.truncate(WAITS_KEPT);
    }

    /// What the loop's view shows alive now, read once for a whole report (see [`Alive`]).
    pub(crate) fn alive(&self, view: &dyn LoopView, rows: &[TaskRow]) -> Alive {
        let timers = self.live_timers(view).into_iter();
        Alive {
            timers: timers.map(|(row, note)| (row.key, note.deadline_ms)).collect(),
            sockets: view.io_waiters().into_iter().map(|w| (w.token, w.direction)).collect(),
            tasks: rows.iter().map(|row| row.id).collect(),
        }
    }

    /// The waits of task `id` that are still real, as `alive` shows the loop.
    pub(crate) fn live_waits(&self, alive: &Alive, id: TaskId) -> Vec<Wait> {
        let tasks = self.tasks.borrow();
        let Some(notes) = tasks.get(&id) else {
            return Vec::new();
        };
        notes.waits.iter().copied().filter(|wait| alive.holds(*wait)).collect()
    }

    /// One line for a wait: "a timer due at 4.000 s (its sleep created at src/main.rs:9)".
    pub(crate) fn describe_wait(&self, wait: Wait, rows: &[TaskRow]) -> String {
        match wait {
            Wait::Timer { deadline_ms, set_at, .. } => format!(
                "a timer due at {} (its sleep created at {set_at})",
                secs(std::time::Duration::from_millis(deadline_ms))
            ),
            Wait::Socket { token, direction, made_at } => {
                let half = match direction {
                    Direction::Read => "readable",
                    Direction::Write => "writable",
                };
                match made_at {
                    Some(at) => format!("socket {token} (made at {at}) to become {half}"),
                    None => format!("socket {token} to become {half}"),
                }
            }
            Wait::On(WaitOn::Channel(at, end)) => {
                let (what, how) = match end {
                    End::MpscRecv => ("an mpsc channel", "recv"),
                    End::MpscSend => ("an mpsc channel", "send: it is full"),
                    End::OneshotRecv => ("a oneshot channel", "recv"),
                    End::QueueGet => ("a queue", "get: it is empty"),
                    End::QueuePut => ("a queue", "put: it is full"),
                    End::QueueJoin => ("a queue", "join: items not yet marked done"),
                };
                format!("{what} created at {at} ({how})")
            }
            Wait::On(WaitOn::Semaphore(at)) => format!("a semaphore created at {at} (its permits)"),
            Wait::On(WaitOn::Mutex(at)) => format!("a mutex created at {at} (its lock)"),
            Wait::On(WaitOn::Signal(at, signal)) => {
                let what = match signal {
                    Signal::Event => "an event",
                    Signal::Notify => "a Notify",
                    Signal::Condition => "a condition",
                    Signal::Barrier => "a barrier",
                };
                format!("{what} created at {at}")
            }
            // Taken by the `io_wait` hook into a `Wait::Socket`; kept here only if a socket
            // noted without waiting.
            Wait::On(WaitOn::Socket(at)) => format!("a socket made at {at}"),
            Wait::On(WaitOn::Outside) => {
                "work outside the loop (a blocking job, or a task on another loop)".into()
            }
            Wait::On(WaitOn::JoinHandle(task)) => {
                let spawned = rows.iter().find(|row| row.id == task).map(|row| row.spawned_at);
                match spawned {
                    Some(at) => {
                        format!("the JoinHandle of {} (spawned at {at})", self.row_label(task))
                    }
                    None => format!("the JoinHandle of {}", self.row_label(task)),
                }
            }
        }
    }

    /// Who awaits whom: for each live task, the live tasks whose JoinHandle it awaits.
    fn await_edges(&self, alive: &Alive, rows: &[TaskRow]) -> Vec<(TaskId, Vec<TaskId>)> {
        rows.iter()
            .map(|row| {
                let awaited = self
                    .live_waits(alive, row.id)
                    .into_iter()
                    .filter_map(|wait| match wait {
                        Wait::On(WaitOn::JoinHandle(task)) => Some(task),
                        _ => None,
                    })
                    .collect();
                (row.id, awaited)
            })
            .collect()
    }

    /// The await tree, one line per edge, and the cycles in it named as deadlocks.
    pub(crate) fn await_tree(&self, alive: &Alive, rows: &[TaskRow]) -> String {
        let edges = self.await_edges(alive, rows);
        if edges.iter().all(|(_, to)| to.is_empty()) {
            return String::new();
        }
        let awaited: HashSet<TaskId> =
            edges.iter().flat_map(|(_, to)| to.iter().copied()).collect();
        let mut out = String::from("\n  await tree (who awaits whose JoinHandle):");
        let mut shown = HashSet::new();
        // Roots first (awaited by nobody), then whatever only a cycle reaches.
        let roots = edges.iter().map(|(id, _)| *id).filter(|id| !awaited.contains(id));
        let rest: Vec<TaskId> = edges.iter().map(|(id, _)| *id).collect();
        for root in roots.chain(rest) {
            if !shown.contains(&root) && edges.iter().any(|(id, to)| *id == root && !to.is_empty())
            {
                self.tree_lines(&mut out, &edges, root, 0, &mut Vec::new(), &mut shown);
            }
        }
        for cycle in self.deadlocks_in(&edges) {
            let _ = write!(out, "\n  {cycle}");
        }
        out
    }

    fn tree_lines(
        &self,
        out: &mut String,
        edges: &[(TaskId, Vec<TaskId>)],
        id: TaskId,
        depth: usize,
        path: &mut Vec<TaskId>,
        shown: &mut HashSet<TaskId>,
    ) {
        let indent = "   ".repeat(depth);
        let label = self.row_label(id);
        if depth == 0 {
            let _ = write!(out, "\n    {label}");
        } else if path.contains(&id) {
            let _ = write!(out, "\n    {indent}└─ awaits {label} (a cycle: deadlock)");
            return;
        } else {
            let _ = write!(out, "\n    {indent}└─ awaits {label}");
        }
        shown.insert(id);
        path.push(id);
        let children = edges.iter().find(|(from, _)| *from == id).map_or(&[][..], |(_, to)| to);
        for child in children {
            self.tree_lines(out, edges, *child, depth + 1, path, shown);
        }
        path.pop();
    }

    /// Every cycle of the await graph, each once, as a sentence: "deadlock: task 'a' #1
    /// awaits task 'b' #2, which awaits task 'a' #1".
    fn deadlocks_in(&self, edges: &[(TaskId, Vec<TaskId>)]) -> Vec<String> {
        cycles(edges)
            .into_iter()
            .map(|cycle| {
                let mut sentence = format!("deadlock: {}", self.row_label(cycle[0]));
                for (i, id) in cycle.iter().skip(1).chain([&cycle[0]]).enumerate() {
                    let link = if i == 0 { " awaits" } else { ", which awaits" };
                    let _ = write!(sentence, "{link} {}", self.row_label(*id));
                }
                sentence
            })
            .collect()
    }

    /// The deadlocks of the await graph now, for the stall report.
    pub(crate) fn deadlocks(&self, view: &dyn LoopView) -> Vec<String> {
        let rows = view.tasks();
        self.deadlocks_in(&self.await_edges(&self.alive(view, &rows), &rows))
    }
}

/// Every cycle of the await graph `edges`, each once, from its smallest member.
fn cycles(edges: &[(TaskId, Vec<TaskId>)]) -> Vec<Vec<TaskId>> {
    let by_task: HashMap<TaskId, &[TaskId]> =
        edges.iter().map(|(from, to)| (*from, to.as_slice())).collect();
    let next = |id: TaskId| by_task.get(&id).copied().unwrap_or_default();
    let mut found: Vec<Vec<TaskId>> = Vec::new();
    for (start, _) in edges {
        // Depth-first from `start`, looking for a way back to it through larger ids only
        // (so each cycle is found once, from its smallest member). One path grows and
        // shrinks as the search goes, with a set beside it to ask "on it already?" (a path
        // copied at every step made the dump of a chain of awaits cubic in its length).
        // At each task, its edges back to `start` close cycles; its other edges are
        // followed, the last one first.
        let (mut path, mut on_path) = (vec![*start], HashSet::from([*start]));
        let closes = |id: TaskId| next(id).iter().filter(|to| *to == start).count();
        for _ in 0..closes(*start) {
            found.push(path.clone());
        }
        let mut branches = vec![next(*start).iter().rev()];
        while let Some(branch) = branches.last_mut() {
            match branch.next() {
                Some(&to) if to.number() > start.number() && on_path.insert(to) => {
                    path.push(to);
                    for _ in 0..closes(to) {
                        found.push(path.clone());
                    }
                    branches.push(next(to).iter().rev());
                }
                Some(_) => {}
                None => {
                    branches.pop();
                    if let Some(id) = path.pop() {
                        on_path.remove(&id);
                    }
                }
            }
        }
    }
    found
}
