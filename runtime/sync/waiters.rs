//! # The waiter list: a FIFO queue of parked futures that can leave from the middle
//!
//! Every primitive in this folder has the same problem: some futures cannot go on yet (no
//! permit, the lock is held, the event is not set, the channel is full), and each of them must
//! be woken later, in the order it arrived, exactly once. Any of them may also be *dropped*
//! while it waits (a timeout gave up on it, its task was aborted) and must then vanish from the
//! queue without a trace.
//!
//! So the queue needs three operations, all cheap:
//!
//! - push a waiter at the back (a future that has to wait);
//! - take the waiter at the front (a permit was released: wake the oldest);
//! - remove a waiter from anywhere (a waiting future was dropped).
//!
//! A `VecDeque` does the first two in O(1) but the third in O(n). A linked list does all three
//! in O(1), and in safe Rust the usual way to build one is *indices instead of pointers*: the
//! nodes live in a [`Slab`], and `prev`/`next` are slab keys. A waiting future keeps its key
//! (a [`WaiterKey`]), which is how it finds its node again on the next poll and on drop.
//!
//! ```text
//!   slab:  0: {req 2, prev -, next 3}   head = 0      order: 0 ─► 3 ─► 1      tail = 1
//!          1: {req 1, prev 3, next -}
//!          2: {req 4, unlinked}          ◄── woken: out of the order, still in the slab,
//!          3: {req 1, prev 0, next 1}        until its future comes to collect it
//! ```
//!
//! ## Two states: queued, then woken
//!
//! A node is *linked* while it waits its turn. When the primitive chooses it (hands it a
//! permit, sets the event), the node is *unlinked* from the order and its waker is called, but
//! the node stays in the slab: the future has not run yet, and only the future may remove its
//! own node. On its next poll it sees "unlinked" and knows it was chosen. If instead it is
//! dropped first, its `Drop` sees the same thing and can pass on what it was given; that is
//! how no wake-up is ever lost to a cancelled waiter.
//!
//! The value `T` in each node is the primitive's business: how many permits a semaphore waiter
//! wants and whether it got them, or nothing at all for an event.
//!
//! ## Shortcuts, honestly
//!
//! tokio's waiter lists are intrusive linked lists whose nodes live *inside* the waiting
//! futures themselves (no allocation at all), which needs `unsafe` and pinned nodes. Ours live
//! in a slab owned by the primitive: a slab grows and reuses slots, so after warm-up there is
//! no allocation either, but every access goes through a bounds-checked index.
//!
//! ## A future's place in line
//!
//! The futures that wait in a list (`Acquire`, `Event::wait`, `Notify::notified`) all poll the
//! same way once they have decided they must wait, so that part lives here, in [`InLine`]:
//!
//! ```text
//!   not queued yet  ─► push_back(node), Pending
//!   still queued    ─► refresh the waker (the task may have moved), Pending
//!   unlinked        ─► a wake chose us: remove our node, Ready(its value)
//! ```
//!
//! `InLine` also keeps the await point (from `#[track_caller]`) and what the line belongs to
//! (a `WaitOn`, wait_site.rs), and hands both to the observer whenever it returns `Pending`,
//! so the task dump can say "parked at src/main.rs:12" and on what: "an mpsc channel created
//! at src/main.rs:3:22". These futures do not hold their runtime, so both notes go through
//! thread-locals: with debug mode off that is a thread-local read and one untaken branch per
//! note, on the `Pending` path only (which already clones or compares a waker).
//!
//! Read next: `semaphore.rs`, the first user of this list.

use std::panic::Location;
use std::task::{Context, Poll, Waker};

use crate::executor::context::note_await_current;
use crate::wait_site::{waiting_on, WaitOn};
use crate::wake_site::{waking, Via};

use slab::Slab;

/// Keep `waker` in `slot` for a later wake: the waker of the poll that is about to return
/// `Pending`. A future is usually polled again by the same task, whose waker is the same:
/// `will_wake` sees that and skips the clone (an atomic increment of the task's `Arc`, and
/// the decrement of the one it replaces). A future that moved to another task gets the new
/// waker, so the wake always reaches whoever polled last. The waiting futures of sync/,
/// handle.rs, blocking.rs and combinators/ keep their wakers through here.
///
/// asyncio: a future's `add_done_callback`, once per await; tokio: `AtomicWaker::register`.
pub(crate) fn keep_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Where a waiter's node lives in its [`WaiterList`]; held by the waiting future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

/// One waiting future's node.
#[derive(Debug)]
struct Node<T> {
    /// The primitive's data about this waiter.
    value: T,
    /// The waker from the future's latest poll; taken when the node is woken.
    waker: Option<Waker>,
    /// True while the node is in the FIFO order. Cleared by `wake_front`/`wake_all`; never set
    /// again: a node is woken at most once.
    linked: bool,
    /// Neighbours in the FIFO order (meaningful only while `linked`).
    prev: Option<usize>,
    next: Option<usize>,
}

/// A FIFO queue of waiters in a slab, with O(1) push, pop-front and removal from the middle.
#[derive(Debug)]
pub(crate) struct WaiterList<T> {
    nodes: Slab<Node<T>>,
    /// Oldest linked node: the next to be woken.
    head: Option<usize>,
    /// Newest linked node.
    tail: Option<usize>,
    /// How many nodes are linked (waiting their turn).
    queued: usize,
}

impl<T> WaiterList<T> {
    /// An empty list.
    pub(crate) fn new() -> WaiterList<T> {
        WaiterList { nodes: Slab::new(), head: None, tail: None, queued: 0 }
    }

    /// How many waiters are queued (woken ones that have not been collected do not count).
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Add a waiter at the back of the queue.
    pub(crate) fn push_back(&mut self, value: T, waker: &Waker) -> WaiterKey {
        let key = self.nodes.insert(Node {
            value,
            waker: Some(waker.clone()),
            linked: true,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            Some(tail) => self.nodes[tail].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.queued += 1;
        WaiterKey(key)
    }

    /// The value of the oldest queued waiter.
    pub(crate) fn front(&self) -> Option<&T> {
        self.head.map(|key| &self.nodes[key].value)
    }

    /// Is this waiter still queued? False once it has been woken.
    pub(crate) fn is_queued(&self, key: WaiterKey) -> bool {
        self.node(key).linked
    }

    /// Remember the waker of the waiter's latest poll (a future may move between tasks).
    pub(crate) fn set_waker(&mut self, key: WaiterKey, waker: &Waker) {
        keep_waker(&mut self.node_mut(key).waker, waker);
    }

    /// Take the oldest waiter out of the queue, let `choose` update its value (for example
    /// "granted: true"), and return its waker. The node stays in the slab until its future
    /// removes it. The caller wakes the waker *after* releasing its own borrows.
    pub(crate) fn wake_front(&mut self, choose: impl FnOnce(&mut T)) -> Option<Waker> {
        let key = self.head?;
        self.unlink(key);
        let node = &mut self.nodes[key];
        choose(&mut node.value);
        node.waker.take()
    }

    /// Take every queued waiter out of the queue, oldest first, and return their wakers.
    pub(crate) fn wake_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.queued);
        while let Some(waker) = self.wake_front(|_| {}) {
            wakers.push(waker);
        }
        wakers
    }

    /// Remove a waiter for good (its future finished or was dropped). Returns its value and
    /// whether it was still queued (false: it had been woken and never collected it).
    pub(crate) fn remove(&mut self, key: WaiterKey) -> (T, bool) {
        let was_queued = self.node(key).linked;
        if was_queued {
            self.unlink(key.0);
        }
        (self.nodes.remove(key.0).value, was_queued)
    }

    /// Cut a linked node out of the order, joining its neighbours.
    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = &mut self.nodes[key];
            debug_assert!(node.linked, "a waiter was taken out of the queue twice");
            node.linked = false;
            (node.prev.take(), node.next.take())
        };
        match prev {
            Some(prev) => self.nodes[prev].next = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.nodes[next].prev = prev,
            None => self.tail = prev,
        }
        self.queued -= 1;
    }

    fn node(&self, key: WaiterKey) -> &Node<T> {
        self.nodes
            .get(key.0)
            .expect("a waiter key outlived its node: only the waiting future removes its node")
    }

    fn node_mut(&mut self, key: WaiterKey) -> &mut Node<T> {
        self.nodes
            .get_mut(key.0)
            .expect("a waiter key outlived its node: only the waiting future removes its node")
    }
}

/// A waiting future's node in a [`WaiterList`] (once it queued), and its await point.
#[derive(Debug)]
pub(crate) struct InLine {
    key: Option<WaiterKey>,
    at: &'static Location<'static>,
    /// What kind of thing this line belongs to, for the task dump (wait_site.rs).
    on: WaitOn,
}

impl InLine {
    /// Not in line yet; `at` is where the future is awaited, `on` what it waits for.
    pub(crate) fn new(at: &'static Location<'static>, on: WaitOn) -> InLine {
        InLine { key: None, at, on }
    }

    /// True once the future has queued and until it collects its wake (or leaves).
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }

    /// One poll of a future that must wait its turn: queue with `node()` on the first call,
    /// refresh the waker while queued, and once a wake has unlinked the node, remove it and
    /// return its value. The caller decides first whether it needs to wait at all.
    pub(crate) fn poll<T>(
        &mut self,
        waiters: &mut WaiterList<T>,
        node: impl FnOnce() -> T,
        cx: &mut Context<'_>,
    ) -> Poll<T> {
        match self.key {
            None => self.key = Some(waiters.push_back(node(), cx.waker())),
            Some(key) if waiters.is_queued(key) => waiters.set_waker(key, cx.waker()),
            Some(key) => {
                self.key = None;
                return Poll::Ready(waiters.remove(key).0);
            }
        }
        waiting_on(self.on);
        note_await_current(self.at);
        Poll::Pending
    }

    /// Leave the list (the future is dropped): `None` if it never queued or already collected
    /// its wake, else its node's value and whether it was still queued (`false`: it was
    /// chosen by a wake it will never use, which the caller may pass on).
    pub(crate) fn leave<T>(&mut self, waiters: &mut WaiterList<T>) -> Option<(T, bool)> {
        let key = self.key.take()?;
        Some(waiters.remove(key))
    }
}

/// Wake every waker in `wakers`, in order. Called once no `RefCell` of the primitive is
/// borrowed, because a waker may run arbitrary code (in tests it may even poll). `via` names
/// the primitive for the event log's wake causes (wake_site.rs).
pub(crate) fn wake_each(wakers: Vec<Waker>, via: Via) {
    waking(via, || wakers.into_iter().for_each(Waker::wake));
}

/// Wake `waker`, if a wake chose one (`wake_front` and a taken receiver waker give an
/// `Option`), naming `via` as the cause for the event log. Like `wake_each`, call it once no
/// `RefCell` of the primitive is borrowed.
pub(crate) fn wake_one(waker: Option<Waker>, via: Via) {
    if let Some(waker) = waker {
        waking(via, || waker.wake());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_task::noop_waker;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Debug, Clone)]
    enum Op {
        Push,
        WakeFront,
        /// Remove the n-th live node (modulo how many there are), queued or woken.
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Push),
            2 => Just(Op::WakeFront),
            2 => any::<usize>().prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// The list behaves like the obvious model: a VecDeque of queued ids plus a set of
        /// woken ids, under any sequence of pushes, wakes and removals from anywhere.
        #[test]
        fn the_waiter_list_matches_a_fifo_model(ops in proptest::collection::vec(op(), 0..200)) {
            let waker = noop_waker();
            let mut list = WaiterList::new();
            let mut queued: VecDeque<(u32, WaiterKey)> = VecDeque::new();
            let mut woken: Vec<(u32, WaiterKey)> = Vec::new();
            let mut next_id = 0u32;
            for op in ops {
                match op {
                    Op::Push => {
                        let key = list.push_back(next_id, &waker);
                        queued.push_back((next_id, key));
                        next_id += 1;
                    }
                    Op::WakeFront => {
                        let expected = queued.pop_front();
                        let got = list.wake_front(|_| {});
                        prop_assert_eq!(got.is_some(), expected.is_some());
                        if let Some(entry) = expected {
                            prop_assert!(!list.is_queued(entry.1));
                            woken.push(entry);
                        }
                    }
                    Op::Remove(n) => {
                        let live = queued.len() + woken.len();
                        if live == 0 {
                            continue;
                        }
                        let n = n % live;
                        let (entry, was_queued) = if n < queued.len() {
                            (queued.remove(n).unwrap(), true)
                        } else {
                            (woken.remove(n - queued.len()), false)
                        };
                        prop_assert_eq!(list.remove(entry.1), (entry.0, was_queued));
                    }
                }
                prop_assert_eq!(list.queued(), queued.len());
                prop_assert_eq!(list.front(), queued.front().map(|entry| &entry.0));
            }
        }
    }

    #[test]
    fn waiters_leave_in_arrival_order_and_can_leave_from_the_middle() {
        let waker = noop_waker();
        let mut list = WaiterList::new();
        let a = list.push_back('a', &waker);
        let b = list.push_back('b', &waker);
        let c = list.push_back('c', &waker);
        assert_eq!(list.remove(b), ('b', true));
        assert_eq!(list.front(), Some(&'a'));
        assert!(list.wake_front(|_| {}).is_some());
        assert!(!list.is_queued(a));
        assert_eq!(list.front(), Some(&'c'));
        assert_eq!(list.queued(), 1);
        assert_eq!(list.remove(a), ('a', false));
        assert_eq!(list.wake_all().len(), 1);
        assert_eq!(list.remove(c), ('c', false));
        assert_eq!(list.front(), None);
    }
}
