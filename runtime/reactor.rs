//! # The reactor: where the loop sleeps, and how the kernel wakes tasks
//!
//! A socket read that would block must not block: the loop has other tasks to run. So a task
//! that gets `WouldBlock` tells the reactor "wake me when this socket is readable" and returns
//! `Pending`. The reactor owns a [`mio::Poll`] (epoll on Linux, kqueue on macOS) and, for each
//! registered socket, a small record of its readiness and of who waits for it.
//!
//! ```text
//!   task: read() ─► WouldBlock ─► clear_ready(Read); poll_ready(Read, cx) stores the waker
//!                                                              │
//!   io: Slab<IoSlot>   token = slab key                        ▼
//!   ┌──────────────────────────────────────────────────────────────┐
//!   │ slot 4: ready {..}  readers: [waker]  writers: []              │
//!   └──────────────────────────────────────────────────────────────┘
//!        ▲ tick step 3: Poll::poll(timeout) returns event {token 4, readable}
//!        └─ set ready.readable, take the readers' wakers, wake them ─► ready queue
//!
//!   token usize::MAX = the doorbell (mio::Waker): another thread woke a task; nothing to do
//!   here except return from poll, so the loop looks at the ready queue.
//! ```
//!
//! ## Edge-triggered readiness, and why clearing it is safe here
//!
//! mio reports *changes*: "this socket became readable", once, not "is readable" at every poll.
//! So the reactor remembers readiness in the `IoSlot` until the socket itself says otherwise:
//! a reader clears the readable bit when a call returns `WouldBlock`, or, on a TCP stream,
//! when a read moved fewer bytes than it asked for (the kernel had no more: net/evented.rs),
//! and then waits. A direction the peer closed stays ready for good (`IoSlot::closed`), so
//! the end of a stream is never lost. Clearing is race-free in glassloop because events are
//! dispatched on the loop's own thread, between polls: no event can arrive between the
//! syscall and the clear. (tokio's multi-threaded reactor needs a tick counter to get this
//! right.)
//!
//! Read and write readiness are separate, each with its own waiters, so one task can read a
//! socket while another writes to it. Each direction keeps a list, not one slot: two tasks
//! sharing a socket both wait, and an edge wakes them all (net/mod.rs says why).
//!
//! ## Who owns what
//!
//! The reactor knows sources by their token (the slot in its slab) and nothing about tasks or
//! the loop: a socket's `Registration` (net/registration.rs) keeps the token and finds its
//! reactor through the runtime. Who waits where, for step mode, the instruments learn through
//! the `io_wait` hook (hooks.rs), not from here.
//!
//! ## The doorbell
//!
//! A `mio::Waker` is an eventfd registered with the same `Poll`. Writing to it from any thread
//! makes a blocked `poll` return. Task wakers ring it only when the loop is parked (see
//! `Runtime::park` in executor/mod.rs for the race this avoids).
//!
//! asyncio: the selector in `BaseSelectorEventLoop` (`add_reader`, `_run_once`'s
//! `selector.select(timeout)`); tokio: the I/O driver and its `ScheduledIo`.
//!
//! Read next: `task_table.rs`, what the loop keeps for each task.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Token};
use slab::Slab;

pub(crate) use crate::hooks::{Direction, IoWaiter};

/// The token of the doorbell. Never a slab key (a slab that large cannot be allocated).
const DOORBELL: Token = Token(usize::MAX);

/// How many events one `poll` returns at most; more wait for the next tick.
const EVENTS_PER_PARK: usize = 1024;

/// What the reactor knows about one registered source.
#[derive(Debug, Default)]
struct IoSlot {
    /// Readiness seen since the last `clear_ready(Read)`. Set by dispatch; cleared by the
    /// socket code after `WouldBlock`.
    readable: bool,
    /// Same, for writing.
    writable: bool,
    /// The tasks waiting to read, each once; all are woken by the next readable edge. Its
    /// buffer is kept when they are taken, so waiting again does not allocate.
    readers: Vec<Waker>,
    /// Same, for writing.
    writers: Vec<Waker>,
    /// Per direction (read, write): the peer closed it or the socket failed. Unlike an edge
    /// this is a state that lasts, so `clear_ready` never forgets it: a reader that stopped
    /// after a short read (net/evented.rs) must still see the end of the stream.
    closed: [bool; 2],
}

impl IoSlot {
    fn half(&mut self, direction: Direction) -> (&mut bool, &mut Vec<Waker>) {
        match direction {
            Direction::Read => (&mut self.readable, &mut self.readers),
            Direction::Write => (&mut self.writable, &mut self.writers),
        }
    }
}

/// mio's Poll, its event buffer, and the registered sources.
pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<Events>,
    io: RefCell<Slab<IoSlot>>,
}

impl Reactor {
    /// A reactor and its doorbell.
    pub(crate) fn new() -> io::Result<(Reactor, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let doorbell = mio::Waker::new(poll.registry(), DOORBELL)?;
        let reactor = Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(EVENTS_PER_PARK)),
            io: RefCell::new(Slab::new()),
        };
        Ok((reactor, doorbell))
    }

    /// True if some task waits on some source.
    pub(crate) fn has_waiters(&self) -> bool {
        self.io.borrow().iter().any(|(_, s)| !s.readers.is_empty() || !s.writers.is_empty())
    }

    /// Every socket direction with a waker waiting on it, by token, reads before writes.
    pub(crate) fn waiters(&self) -> Vec<IoWaiter> {
        let mut rows = Vec::new();
        for (token, slot) in self.io.borrow().iter() {
            for (direction, wakers) in
                [(Direction::Read, &slot.readers), (Direction::Write, &slot.writers)]
            {
                if !wakers.is_empty() {
                    rows.push(IoWaiter { token, direction });
                }
            }
        }
        rows
    }

    /// Step 3 of the tick: wait up to `timeout` (None: until something happens) and wake the
    /// tasks whose sources became ready. Returns how many events were dispatched. `parked` is
    /// the loop's "asleep" flag, cleared the moment the kernel returns.
    /// A good breakpoint: `break glassloop::reactor::Reactor::poll_events`.
    pub(crate) fn poll_events(
        &self,
        timeout: Option<Duration>,
        parked: Option<&AtomicBool>,
    ) -> usize {
        let mut events = self.events.borrow_mut();
        // region: poll_events
        let polled = self.poll.borrow_mut().poll(&mut events, timeout);
        // Awake again: from here on a wake needs no doorbell (see `Runtime::park`).
        if let Some(parked) = parked {
            parked.store(false, Ordering::SeqCst);
        }
        if let Err(err) = polled {
            // EINTR (a signal arrived) is harmless: the loop just turns again.
            if err.kind() != io::ErrorKind::Interrupted {
                panic!("glassloop: the reactor's poll failed, the loop cannot go on: {err}");
            }
            return 0;
        }
        let mut to_wake = Vec::new();
        let mut dispatched = 0;
        {
            let mut io = self.io.borrow_mut();
            for event in events.iter() {
                if event.token() == DOORBELL {
                    continue; // the ids are already in the ready queue
                }
                let Some(slot) = io.get_mut(event.token().0) else {
                    continue; // deregistered since the kernel queued the event
                };
                dispatched += 1;
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    slot.readable = true;
                    slot.closed[0] |= event.is_read_closed() || event.is_error();
                    to_wake.append(&mut slot.readers);
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    slot.writable = true;
                    slot.closed[1] |= event.is_write_closed() || event.is_error();
                    to_wake.append(&mut slot.writers);
                }
            }
        }
        for waker in to_wake {
            waker.wake();
        }
        // endregion: poll_events
        dispatched
    }

    /// Register `source` for `interest`; returns its token.
    pub(crate) fn register(
        &self,
        source: &mut dyn Source,
        interest: Interest,
    ) -> io::Result<usize> {
        let mut io = self.io.borrow_mut();
        let entry = io.vacant_entry();
        let key = entry.key();
        debug_assert_ne!(key, DOORBELL.0, "a source's token collided with the doorbell's");
        self.poll.borrow().registry().register(source, Token(key), interest)?;
        entry.insert(IoSlot::default());
        Ok(key)
    }

    /// Remove `source` from epoll. Its slot stays until [`Reactor::remove`].
    pub(crate) fn deregister(&self, source: &mut dyn Source) -> io::Result<()> {
        self.poll.borrow().registry().deregister(source)
    }

    /// Free the slot of `token`, and its wakers: a dropped socket never wakes anything
    /// (invariant 6). The wakers are dropped after the borrow ends.
    pub(crate) fn remove(&self, token: usize) {
        let slot = self.io.borrow_mut().try_remove(token);
        drop(slot);
    }

    /// Ready in `direction` since the last clear? If not, add `waker` to those woken when it
    /// is (unless it is there already: a task polled again waits once), and return false.
    pub(crate) fn poll_ready(&self, token: usize, direction: Direction, waker: &Waker) -> bool {
        let mut io = self.io.borrow_mut();
        let (ready, waiters) = io[token].half(direction);
        if !*ready && !waiters.iter().any(|stored| stored.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        *ready
    }

    /// Forget readiness in `direction`: the socket just returned `WouldBlock`, or a short
    /// stream read or write used it up. A closed direction stays ready.
    pub(crate) fn clear_ready(&self, token: usize, direction: Direction) {
        let slot = &mut self.io.borrow_mut()[token];
        *slot.half(direction).0 = slot.closed[direction as usize]; // the right side is read first
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    /// A waker that counts how often it was woken.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_edge_wakes_every_waiter_of_its_direction_and_a_waiter_polled_twice_once() {
        let (reactor, _doorbell) = Reactor::new().unwrap();
        let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
        let token = reactor.register(&mut b, Interest::READABLE).unwrap();
        let (first, second) = (Arc::new(Count(AtomicUsize::new(0))), Arc::new(Count(0.into())));
        let (first_waker, second_waker) = (Waker::from(first.clone()), Waker::from(second.clone()));
        // The first task is polled twice before the edge, the second once.
        for waker in [&first_waker, &first_waker, &second_waker] {
            assert!(!reactor.poll_ready(token, Direction::Read, waker), "nothing to read yet");
        }
        a.write_all(b"x").unwrap();
        // A socket pair delivers before `write` returns: the zero-timeout poll sees the edge.
        reactor.poll_events(Some(Duration::ZERO), None);
        let woken = (first.0.load(Ordering::SeqCst), second.0.load(Ordering::SeqCst));
        assert_eq!(woken, (1, 1), "each waiter woken exactly once by one edge");
        assert!(!reactor.has_waiters(), "the wakers were taken, not kept for the next edge");
        assert!(reactor.poll_ready(token, Direction::Read, &first_waker), "the edge is kept");
    }
}
