//! # Queue: many producers, many consumers, and a count of unfinished work
//!
//! `mpsc` has one receiver. asyncio's `Queue` has none in particular: any number of tasks
//! `put` and any number `get`, which is what a *worker pool* needs (three workers taking jobs
//! from one queue). It also counts work: every `put` adds an unfinished item, every
//! `task_done()` marks one finished, and `join().await` waits until none is left.
//!
//! ```text
//!   put(v) ──► slots (a Semaphore of maxsize permits; none if unbounded)
//!                │ a free slot: the permit is forgotten, the slot is v's now
//!                ▼
//!            a getter waits? ── yes ─► hand v to the oldest getter, wake it
//!                │ no
//!                ▼
//!            store: [v1 v2 v3]  (FIFO, LIFO or smallest first) ─► get() ─► slot given back
//! ```
//!
//! The queue is built from parts this folder already has:
//!
//! - **Putters wait in a [`Semaphore`]** of `maxsize` permits, one per free slot, exactly as a
//!   bounded `mpsc` does: `put` acquires a permit and forgets it, a `get` adds it back. So the
//!   putters inherit the semaphore's rules: first come, first served; a cancelled `put` never
//!   holds a slot (it passes on a slot it was handed); `put_nowait` fails while others wait.
//! - **Getters wait in a [`WaiterList`]**. A `put` that finds getters waiting does not store
//!   its item and announce it: it *hands* it to the oldest getter (into that getter's node)
//!   and wakes that one getter. The getter's next poll finds its item there, so it is woken
//!   once and polled once, and nobody can take the item in between. A getter dropped after it
//!   was handed an item passes the item on, to the next getter or back into the store.
//! - **`join` waits in a second `WaiterList`**, woken all at once when the count of
//!   unfinished items falls to zero.
//!
//! The item handed to a getter keeps its slot until the getter collects it, so at every moment
//! `slots taken = items stored + items handed but not collected + slots handed to putters that
//! have not run yet`, and `maxsize` is never exceeded.
//!
//! ## Three orders, one queue
//!
//! The order items leave in is the only difference between `Queue` (first in, first out),
//! [`LifoQueue`] (last in, first out: a stack) and [`PriorityQueue`] (smallest first, a binary
//! heap, as asyncio's `heapq`). The waiting, the counting and the fairness are the same, so
//! they are one type, [`OrderedQueue<T, O>`], with the order `O` as a parameter, and the three
//! names are that type with one order each. (asyncio does the same with subclasses that override
//! `_put` and `_get`.)
//!
//! ## Shortcuts, honestly
//!
//! asyncio wakes a waiting getter and lets it take an item when it runs; since the 2022 fixes
//! it takes care that a newcomer cannot take it first. Handing the item over, as here, gets
//! the same result with no second look. tokio has no multi-consumer queue of this kind (its
//! `mpsc` has one receiver; crates such as `async-channel` add one, `Send` and lock-free).
//! Like every type in this folder, this one is single-threaded: `Rc`, not `Arc`.
//!
//! Read next: `condition.rs`.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::{QueueEmpty, QueueFull};
use super::semaphore::Semaphore;
use super::waiters::{wake_each, InLine, WaiterList};
use crate::wait_site::{End, MadeAt, WaitOn};

/// The order in which a [`Queue`] hands out its items: [`Fifo`], [`Lifo`] or [`Priority`].
///
/// Sealed: the three orders are the ones asyncio has, and the queue's rules rely on what
/// `unpop` means for each.
pub trait QueueOrder<T>: sealed::Sealed {
    /// An empty store.
    fn new() -> Self;
    /// Store an item that was put.
    fn push(&mut self, item: T);
    /// Take the next item out, in this order.
    fn pop(&mut self) -> Option<T>;
    /// Put back an item that `pop` (or a hand-over) took out and nobody used, so that it is
    /// the next to leave again.
    fn unpop(&mut self, item: T);
    /// How many items are stored.
    fn len(&self) -> usize;
    /// True if no item is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::Fifo<T> {}
    impl<T> Sealed for super::Lifo<T> {}
    impl<T: Ord> Sealed for super::Priority<T> {}
}

/// First in, first out: the order of [`Queue`] (asyncio: `asyncio.Queue`).
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

impl<T> QueueOrder<T> for Fifo<T> {
    fn new() -> Self {
        Fifo(VecDeque::new())
    }
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn unpop(&mut self, item: T) {
        self.0.push_front(item);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Last in, first out: the order of [`LifoQueue`] (asyncio: `asyncio.LifoQueue`).
#[derive(Debug)]
pub struct Lifo<T>(Vec<T>);

impl<T> QueueOrder<T> for Lifo<T> {
    fn new() -> Self {
        Lifo(Vec::new())
    }
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn unpop(&mut self, item: T) {
        self.0.push(item);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Smallest first, a binary min-heap: the order of [`PriorityQueue`] (asyncio:
/// `asyncio.PriorityQueue`, built on `heapq`). Equal items leave in no promised order, as in
/// asyncio; put `(priority, sequence, item)` tuples to break ties by arrival.
#[derive(Debug)]
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T: Ord> QueueOrder<T> for Priority<T> {
    fn new() -> Self {
        Priority(BinaryHeap::new())
    }
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn unpop(&mut self, item: T) {
        self.push(item); // it is the smallest again, or something smaller came meanwhile
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// What the queue's `RefCell` guards.
struct State<T, O> {
    /// Items put and not yet taken. Invariant: while a getter is queued, `store` is empty
    /// (a put hands its item to a waiting getter instead of storing it).
    store: O,
    /// Gets waiting for an item, oldest first. A node's value is `Some(item)` once a put (or
    /// a dropped getter passing it on) has handed it an item.
    getters: WaiterList<Option<T>>,
    /// `join()`s waiting for `unfinished` to reach zero.
    joiners: WaiterList<()>,
}

/// What every clone of a queue shares.
struct Shared<T, O> {
    state: RefCell<State<T, O>>,
    /// Items put and not yet marked done by `task_done`. Raised by every put, lowered only by
    /// `task_done`, which panics rather than take it below zero.
    unfinished: Cell<usize>,
    /// One permit per free slot; `None` when unbounded (`maxsize` 0).
    slots: Option<Semaphore>,
    maxsize: usize,
    /// Where `new` was called, for the task dump (wait_site.rs). Never changes.
    made_at: MadeAt,
}

impl<T, O: QueueOrder<T>> Shared<T, O> {
    /// An item has its slot (or needs none): hand it to the oldest waiting getter, or keep it
    /// with `store`. A new item is stored with `push`; an item a dropped getter was handed and
    /// never collected goes back with `unpop`, so it is the next to leave again. It keeps its
    /// slot either way.
    fn hand_over(&self, item: T, store: fn(&mut O, T)) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.getters.queued() > 0 {
                state.getters.wake_front(|slot| *slot = Some(item))
            } else {
                store(&mut state.store, item);
                None
            }
        };
        // Woken outside the borrow: a waker may run code that touches this queue.
        super::waiters::wake_one(waker, crate::wake_site::Via::Channel);
    }

    /// An item left the queue for good: its slot is free for the oldest waiting putter.
    fn free_slot(&self) {
        if let Some(slots) = &self.slots {
            slots.add_permits(1);
        }
    }
}

/// A queue shared by any number of producers and consumers, with asyncio's API, in the order
/// `O`. You name it by one of its three orders: [`Queue`], [`LifoQueue`], [`PriorityQueue`].
///
/// `Clone` is cheap and every clone is the same queue (an `Rc` inside).
///
/// (Why three names for one type, and not `Queue<T, O = Fifo<T>>`? A default type parameter
/// does not take part in inference, so `Queue::new(0)` would not know its order.)
pub struct OrderedQueue<T, O: QueueOrder<T>> {
    shared: Rc<Shared<T, O>>,
}

/// A first-in, first-out [`OrderedQueue`]: the worker pool's queue.
///
/// asyncio: `asyncio.Queue`; tokio: none (`mpsc` is single-consumer; the `async-channel`
/// crate is the nearest).
///
/// ```
/// use glassloop::sync::Queue;
///
/// glassloop::Runtime::builder().virtual_clock().build().unwrap().block_on(async {
///     let queue = Queue::new(2); // at most two items at once
///     let consumer = {
///         let queue = queue.clone();
///         glassloop::spawn(async move {
///             let mut got = Vec::new();
///             for _ in 0..3 {
///                 got.push(queue.get().await);
///                 queue.task_done();
///             }
///             got
///         })
///     };
///     for job in ["a", "b", "c"] {
///         queue.put(job).await; // waits while two are queued
///     }
///     queue.join().await; // every item put was marked done
///     assert_eq!(consumer.await.unwrap(), ["a", "b", "c"]);
/// });
/// ```
pub type Queue<T> = OrderedQueue<T, Fifo<T>>;

/// An [`OrderedQueue`] that hands out the newest item first (a stack).
///
/// asyncio: `asyncio.LifoQueue`; tokio: none.
///
/// ```
/// use glassloop::sync::LifoQueue;
///
/// let stack = LifoQueue::new(0);
/// for n in 1..=3 {
///     stack.put_nowait(n).unwrap();
/// }
/// assert_eq!(stack.get_nowait(), Ok(3));
/// ```
pub type LifoQueue<T> = OrderedQueue<T, Lifo<T>>;

/// An [`OrderedQueue`] that hands out the smallest item first (`T: Ord`).
///
/// asyncio: `asyncio.PriorityQueue`; tokio: none.
///
/// ```
/// use glassloop::sync::PriorityQueue;
///
/// let jobs = PriorityQueue::new(0);
/// for job in [(2, "later"), (1, "urgent"), (3, "someday")] {
///     jobs.put_nowait(job).unwrap();
/// }
/// assert_eq!(jobs.get_nowait(), Ok((1, "urgent")));
/// ```
pub type PriorityQueue<T> = OrderedQueue<T, Priority<T>>;

impl<T> Queue<T> {
    /// A first-in, first-out queue holding at most `maxsize` items; `0` means unbounded.
    ///
    /// asyncio: `asyncio.Queue(maxsize=0)`.
    #[track_caller]
    pub fn new(maxsize: usize) -> Queue<T> {
        OrderedQueue::with_order(maxsize, Location::caller())
    }
}

impl<T> LifoQueue<T> {
    /// A last-in, first-out queue holding at most `maxsize` items; `0` means unbounded.
    ///
    /// asyncio: `asyncio.LifoQueue(maxsize=0)`.
    #[track_caller]
    pub fn new(maxsize: usize) -> LifoQueue<T> {
        OrderedQueue::with_order(maxsize, Location::caller())
    }
}

impl<T: Ord> PriorityQueue<T> {
    /// A smallest-first queue holding at most `maxsize` items; `0` means unbounded.
    ///
    /// asyncio: `asyncio.PriorityQueue(maxsize=0)`.
    #[track_caller]
    pub fn new(maxsize: usize) -> PriorityQueue<T> {
        OrderedQueue::with_order(maxsize, Location::caller())
    }
}

impl<T, O: QueueOrder<T>> OrderedQueue<T, O> {
    /// A queue in order `O` holding at most `maxsize` items (`0`: unbounded): the `new` of
    /// each of the three names, called at `made_at`.
    fn with_order(maxsize: usize, made_at: MadeAt) -> OrderedQueue<T, O> {
        OrderedQueue {
            shared: Rc::new(Shared {
                state: RefCell::new(State {
                    store: O::new(),
                    getters: WaiterList::new(),
                    joiners: WaiterList::new(),
                }),
                unfinished: Cell::new(0),
                slots: (maxsize > 0).then(|| Semaphore::made_at(maxsize, made_at)),
                maxsize,
                made_at,
            }),
        }
    }

    /// Put `item` in the queue, waiting (in turn, behind earlier putters) while it is full.
    /// Dropping the future before it finished leaves the queue unchanged: the item is dropped
    /// with it, and a slot it was handed goes to the next putter.
    ///
    /// asyncio: `await queue.put(item)`; tokio: `mpsc::Sender::send`.
    #[track_caller]
    pub fn put(&self, item: T) -> impl Future<Output = ()> + '_ {
        // Read here, not in the closure: a closure does not pass `#[track_caller]` on.
        let at = Location::caller();
        let on = WaitOn::Channel(self.shared.made_at, End::QueuePut);
        let wait_for_slot = self.shared.slots.as_ref().map(|slots| slots.acquire_at(1, at, on));
        async move {
            if let Some(acquire) = wait_for_slot {
                match acquire.await {
                    Ok(permit) => permit.forget(), // the slot is the item's until a get
                    Err(_) => unreachable!("a Queue never closes its semaphore of slots"),
                }
            }
            self.put_in(item);
        }
    }

    /// Put `item` in the queue if a slot is free and no putter is waiting for one; never
    /// waits. On failure the item comes back inside the error.
    ///
    /// asyncio: `queue.put_nowait(item)` (raises `QueueFull`); tokio: `Sender::try_send`.
    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        if let Some(slots) = &self.shared.slots {
            match slots.try_acquire() {
                Ok(permit) => permit.forget(),
                Err(_) => return Err(QueueFull(item)),
            }
        }
        self.put_in(item);
        Ok(())
    }

    /// The item has its slot: count it as unfinished work, then deliver it.
    fn put_in(&self, item: T) {
        let shared = &self.shared;
        shared.unfinished.set(shared.unfinished.get() + 1);
        shared.hand_over(item, O::push);
    }

    /// Take the next item, waiting (in turn, behind earlier getters) while the queue is empty.
    /// Dropping the future before it finished leaves the queue unchanged: an item it was
    /// handed goes to the next getter, or back into the queue.
    ///
    /// asyncio: `await queue.get()`; tokio: `mpsc::Receiver::recv`.
    #[track_caller]
    pub fn get(&self) -> Get<'_, T, O> {
        let on = WaitOn::Channel(self.shared.made_at, End::QueueGet);
        Get { queue: self, line: InLine::new(Location::caller(), on) }
    }

    /// Take the next item if one is there and no getter is waiting; never waits.
    ///
    /// asyncio: `queue.get_nowait()` (raises `QueueEmpty`); tokio: `Receiver::try_recv`.
    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let item = {
            let mut state = self.shared.state.borrow_mut();
            // No getter can be waiting while items are stored (see `State::store`), so the
            // store being non-empty is the whole check.
            state.store.pop()
        };
        let item = item.ok_or(QueueEmpty)?;
        self.shared.free_slot();
        Ok(item)
    }

    /// Mark one item taken from the queue as finished. When every item ever put has been
    /// marked, the tasks waiting in [`join`](OrderedQueue::join) are woken.
    ///
    /// asyncio: `queue.task_done()`; tokio: none.
    ///
    /// # Panics
    /// If called more times than items were put (asyncio raises `ValueError`).
    #[track_caller]
    pub fn task_done(&self) {
        let unfinished = self.shared.unfinished.get();
        assert!(
            unfinished > 0,
            "Queue::task_done() called more times than items were put: call it once per item \
             you took with get(), after you finished with it"
        );
        self.shared.unfinished.set(unfinished - 1);
        if unfinished == 1 {
            let wakers = self.shared.state.borrow_mut().joiners.wake_all();
            wake_each(wakers, crate::wake_site::Via::Channel);
        }
    }

    /// Wait until every item put has been marked done with [`task_done`](OrderedQueue::task_done).
    /// Returns at once if nothing is unfinished.
    ///
    /// asyncio: `await queue.join()`; tokio: none.
    #[track_caller]
    pub fn join(&self) -> Join<'_, T, O> {
        let on = WaitOn::Channel(self.shared.made_at, End::QueueJoin);
        Join { queue: self, line: InLine::new(Location::caller(), on) }
    }

    /// How many items are in the queue now. Items already handed to a waiting getter are not
    /// counted: they have left.
    ///
    /// asyncio: `queue.qsize()`; tokio: `Receiver::len`.
    pub fn qsize(&self) -> usize {
        self.shared.state.borrow().store.len()
    }

    /// True if the queue holds no item.
    ///
    /// asyncio: `queue.empty()`; tokio: `Receiver::is_empty`.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// True if a [`put_nowait`](OrderedQueue::put_nowait) now would fail: every slot is taken (by a
    /// stored item, an item handed to a getter that has not run yet, or a putter that was
    /// handed a slot and has not run yet). Always false for an unbounded queue.
    ///
    /// asyncio: `queue.full()`; tokio: `Sender::capacity() == 0`.
    pub fn full(&self) -> bool {
        self.shared.slots.as_ref().is_some_and(|slots| slots.available_permits() == 0)
    }

    /// The most items the queue holds at once; `0` means unbounded.
    ///
    /// asyncio: `queue.maxsize`; tokio: `Sender::max_capacity`.
    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }

    /// How many items were put and not yet marked done.
    ///
    /// asyncio: `queue._unfinished_tasks` (private); tokio: none.
    pub fn unfinished_tasks(&self) -> usize {
        self.shared.unfinished.get()
    }
}

impl<T, O: QueueOrder<T>> Clone for OrderedQueue<T, O> {
    /// Another handle on the same queue.
    fn clone(&self) -> Self {
        OrderedQueue { shared: self.shared.clone() }
    }
}

impl<T, O: QueueOrder<T>> fmt::Debug for OrderedQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.borrow();
        f.debug_struct("Queue")
            .field("qsize", &state.store.len())
            .field("maxsize", &self.shared.maxsize)
            .field("getters", &state.getters.queued())
            .field("putters", &self.shared.slots.as_ref().map_or(0, Semaphore::waiting))
            .field("unfinished", &self.shared.unfinished.get())
            .finish()
    }
}

/// The future returned by [`OrderedQueue::get`]. Dropping it leaves the line, and passes on an item
/// it was handed but did not collect.
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, O: QueueOrder<T>> {
    queue: &'a OrderedQueue<T, O>,
    line: InLine,
}

impl<T, O: QueueOrder<T>> Future for Get<'_, T, O> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let shared = &*this.queue.shared;
        let polled = {
            let mut state = shared.state.borrow_mut();
            let now = if this.line.is_queued() {
                None // in line: only a hand-over gives us an item
            } else {
                state.store.pop() // first poll: no getter waits while items are stored
            };
            match now {
                Some(item) => Poll::Ready(item),
                None => this
                    .line
                    .poll(&mut state.getters, || None, cx)
                    .map(|slot| slot.expect("a getter is woken only when it is handed an item")),
            }
        };
        if polled.is_ready() {
            shared.free_slot(); // outside the borrow: it may wake a putter
        }
        polled
    }
}

impl<T, O: QueueOrder<T>> Drop for Get<'_, T, O> {
    fn drop(&mut self) {
        let shared = &*self.queue.shared;
        let left = self.line.leave(&mut shared.state.borrow_mut().getters);
        if let Some((Some(item), _)) = left {
            shared.hand_over(item, O::unpop); // handed an item it will never use
        }
    }
}

impl<T, O: QueueOrder<T>> fmt::Debug for Get<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").field("queued", &self.line.is_queued()).finish()
    }
}

/// The future returned by [`OrderedQueue::join`]: ready once every item put has been marked done.
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, O: QueueOrder<T>> {
    queue: &'a OrderedQueue<T, O>,
    line: InLine,
}

impl<T, O: QueueOrder<T>> Future for Join<'_, T, O> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &*this.queue.shared;
        if !this.line.is_queued() && shared.unfinished.get() == 0 {
            return Poll::Ready(());
        }
        // Once queued, only the wake of the last `task_done` unlinks us; new items put after
        // it do not call us back, as asyncio's `join` returns once its event was set.
        this.line.poll(&mut shared.state.borrow_mut().joiners, || (), cx)
    }
}

impl<T, O: QueueOrder<T>> Drop for Join<'_, T, O> {
    fn drop(&mut self) {
        // Nothing to pass on: every joiner is woken together.
        self.line.leave(&mut self.queue.shared.state.borrow_mut().joiners);
    }
}

impl<T, O: QueueOrder<T>> fmt::Debug for Join<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join").field("queued", &self.line.is_queued()).finish()
    }
}
