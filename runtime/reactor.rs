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
//!   │ slot 4: ready {..}  reader: Some(waker)  writer: None          │
//!   └──────────────────────────────────────────────────────────────┘
//!        ▲ tick step 3: Poll::poll(timeout) returns event {token 4, readable}
//!        └─ set ready.readable, take the reader's waker, wake it ─► ready queue
//!
//!   token usize::MAX = the doorbell (mio::Waker): another thread woke a task; nothing to do
//!   here except return from poll, so the loop looks at the ready queue.
//! ```
//!
//! ## Edge-triggered readiness, and why clearing it is safe here
//!
//! mio reports *changes*: "this socket became readable", once, not "is readable" at every poll.
//! So the reactor remembers readiness in the `IoSlot` until the socket itself says otherwise:
//! a reader keeps reading until the call returns `WouldBlock`, and only then clears the
//! readable bit and waits. Clearing is race-free in glassloop because events are dispatched on
//! the loop's own thread, between polls: no event can arrive between the `WouldBlock` and the
//! clear. (tokio's multi-threaded reactor needs a tick counter to get this right.)
//!
//! Read and write readiness are separate, each with its own waiter, so one task can read a
//! socket while another writes to it.
//!
//! ## Who waits, for step mode
//!
//! A `Waker` does not say whose it is. When the observer is on, `poll_ready` also notes the
//! task being polled and the await point (`WaiterNote`), so step mode and
//! `Runtime::describe_loop` can print "token 3 read: task 'server' #1 at src/main.rs:12:30"
//! rather than just "some". When the observer is off the note costs one untaken branch.
//!
//! ## The doorbell
//!
//! A `mio::Waker` is an eventfd registered with the same `Poll`. Writing to it from any thread
//! makes a blocked `poll` return. Task wakers ring it only when the loop is parked (see
//! `Runtime::park` in executor.rs for the race this avoids).
//!
//! asyncio: the selector in `BaseSelectorEventLoop` (`add_reader`, `_run_once`'s
//! `selector.select(timeout)`); tokio: the I/O driver and its `ScheduledIo`.
//!
//! Read next: `net/` (sockets built on `Registration`).

use std::cell::RefCell;
use std::io;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Token};
use slab::Slab;

use crate::context::with_current;
use crate::executor::Core;
use crate::observe::note_await;
use crate::task::TaskId;

/// The token of the doorbell. Never a slab key (a slab that large cannot be allocated).
const DOORBELL: Token = Token(usize::MAX);

/// How many events one `poll` returns at most; more wait for the next tick.
const EVENTS_PER_PARK: usize = 1024;

/// Which half of a socket a task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Readable, or the peer closed its writing half, or an error.
    Read,
    /// Writable, or the writing half is closed, or an error.
    Write,
}

/// What the reactor knows about one registered source.
#[derive(Debug, Default)]
struct IoSlot {
    /// Readiness seen since the last `clear_ready(Read)`. Set by dispatch; cleared by the
    /// socket code after `WouldBlock`.
    readable: bool,
    /// Same, for writing.
    writable: bool,
    /// The task waiting to read, if any.
    reader: Option<Waker>,
    /// The task waiting to write, if any.
    writer: Option<Waker>,
    /// Who `reader` belongs to and where it waits; noted only when the observer is on.
    reader_note: Option<WaiterNote>,
    /// Same, for `writer`.
    writer_note: Option<WaiterNote>,
}

/// Whose waker waits on one direction of a socket, and at which await point.
#[derive(Debug, Clone, Copy)]
struct WaiterNote {
    /// The task that was being polled when the waker was left (`None`: not inside a task).
    task: Option<TaskId>,
    /// The `.await` on the socket method.
    at: &'static Location<'static>,
}

/// One row of [`Reactor::waiters`]: a socket direction somebody waits on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IoWaiter {
    /// The socket's token with mio (its slab key).
    pub(crate) token: usize,
    /// Which half is waited on.
    pub(crate) direction: Direction,
    /// The waiting task, if the observer was on when it started waiting.
    pub(crate) task: Option<TaskId>,
    /// Its await point, under the same condition.
    pub(crate) at: Option<&'static Location<'static>>,
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
        self.io
            .borrow()
            .iter()
            .any(|(_, slot)| slot.reader.is_some() || slot.writer.is_some())
    }

    /// Every socket direction with a waker waiting on it, by token, reads before writes: what
    /// step mode and `Runtime::describe_loop` list as the I/O waiters.
    pub(crate) fn waiters(&self) -> Vec<IoWaiter> {
        let mut rows = Vec::new();
        for (token, slot) in self.io.borrow().iter() {
            let halves = [
                (Direction::Read, &slot.reader, slot.reader_note),
                (Direction::Write, &slot.writer, slot.writer_note),
            ];
            for (direction, waker, note) in halves {
                if waker.is_some() {
                    rows.push(IoWaiter {
                        token,
                        direction,
                        task: note.and_then(|n| n.task),
                        at: note.map(|n| n.at),
                    });
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
                    slot.reader_note = None;
                    to_wake.extend(slot.reader.take());
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    slot.writable = true;
                    slot.writer_note = None;
                    to_wake.extend(slot.writer.take());
                }
            }
        }
        for waker in to_wake {
            waker.wake();
        }
        // endregion: poll_events
        dispatched
    }

    fn register(&self, source: &mut dyn Source, interest: Interest) -> io::Result<usize> {
        let mut io = self.io.borrow_mut();
        let entry = io.vacant_entry();
        let key = entry.key();
        self.poll
            .borrow()
            .registry()
            .register(source, Token(key), interest)?;
        entry.insert(IoSlot::default());
        Ok(key)
    }
}

/// One source registered with the current runtime's reactor: the handle net/ builds on.
///
/// The socket keeps its mio source and a `Registration`. To read: try the read; on
/// `WouldBlock`, `clear_ready(Read)` and then `poll_ready(Read, cx)`, which stores the waker
/// and returns `Pending` until the reactor sees the socket become readable. Dropping the
/// registration frees its slot and its wakers; deregister the source first with
/// [`deregister`](Registration::deregister) (closing the descriptor also removes it from
/// epoll, but deregistering says so explicitly).
#[derive(Debug)]
pub(crate) struct Registration {
    key: usize,
    core: Weak<Core>,
}

impl Registration {
    /// Register `source` with the current runtime's reactor for `interest`. `what` names the
    /// public call that is registering (e.g. "glassloop::net::TcpListener::bind").
    ///
    /// # Panics
    /// Outside a running glassloop runtime, with a message that names `what`.
    pub(crate) fn new(
        source: &mut dyn Source,
        interest: Interest,
        what: &str,
    ) -> io::Result<Registration> {
        with_current(what, |core| {
            let key = core.reactor.register(source, interest)?;
            Ok(Registration {
                key,
                core: Rc::downgrade(core),
            })
        })
    }

    /// Ready in `direction` since the last clear? Otherwise store the waker and return Pending.
    /// `at` is the await point of the socket method, for the observer's reports.
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<()> {
        let Some(core) = self.core.upgrade() else {
            return Poll::Ready(()); // runtime gone: let the I/O call report the error
        };
        let mut io = core.reactor.io.borrow_mut();
        let slot = &mut io[self.key];
        let (ready, waiter, note) = match direction {
            Direction::Read => (slot.readable, &mut slot.reader, &mut slot.reader_note),
            Direction::Write => (slot.writable, &mut slot.writer, &mut slot.writer_note),
        };
        if ready {
            return Poll::Ready(());
        }
        match waiter {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => *waiter = Some(cx.waker().clone()),
        }
        if let Some(obs) = &core.observer {
            let task = obs.polling.get();
            *note = Some(WaiterNote { task, at });
        }
        drop(io);
        note_await(&core, at);
        Poll::Pending
    }

    /// True while the runtime that owns this registration exists.
    pub(crate) fn is_alive(&self) -> bool {
        self.core.strong_count() > 0
    }

    /// Forget readiness in `direction`: the socket just returned `WouldBlock`.
    pub(crate) fn clear_ready(&self, direction: Direction) {
        if let Some(core) = self.core.upgrade() {
            let mut io = core.reactor.io.borrow_mut();
            let slot = &mut io[self.key];
            match direction {
                Direction::Read => slot.readable = false,
                Direction::Write => slot.writable = false,
            }
        }
    }

    /// Remove `source` from the reactor. Call before dropping the source.
    pub(crate) fn deregister(&self, source: &mut dyn Source) -> io::Result<()> {
        match self.core.upgrade() {
            Some(core) => core.reactor.poll.borrow().registry().deregister(source),
            None => Ok(()),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Its wakers go with the slot: a dropped socket never wakes anything (invariant 6).
        if let Some(core) = self.core.upgrade() {
            let slot = core.reactor.io.borrow_mut().try_remove(self.key);
            drop(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::io::{Read, Write};

    #[test]
    fn a_socket_that_becomes_readable_wakes_its_reader() {
        let rt = crate::Runtime::new().unwrap();
        let got = rt.block_on(async {
            let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
            let reg = Registration::new(&mut b, Interest::READABLE, "a test").unwrap();
            let writer = crate::spawn(async move {
                crate::task::yield_now().await;
                a.write_all(b"ping").unwrap();
                a
            });
            let mut buf = [0u8; 4];
            loop {
                match b.read(&mut buf) {
                    Ok(n) => break (n, buf, writer.await.is_ok()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        reg.clear_ready(Direction::Read);
                        poll_fn(|cx| reg.poll_ready(Direction::Read, cx, Location::caller())).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        });
        assert_eq!(got, (4, *b"ping", true));
    }

    #[test]
    fn an_io_wake_on_the_loops_own_thread_does_not_ring_the_doorbell() {
        let rt = crate::Runtime::new().unwrap();
        rt.block_on(async {
            let (a, mut b) = mio::net::UnixStream::pair().unwrap();
            let reg = Registration::new(&mut b, Interest::READABLE, "a test").unwrap();
            // The pause only makes it likely that the loop is parked when the bytes arrive,
            // which is the case under test; if it is not parked, the assertion holds anyway.
            let writer = std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                (&a).write_all(b"ping").unwrap();
                a
            });
            let mut buf = [0u8; 4];
            loop {
                match b.read(&mut buf) {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        reg.clear_ready(Direction::Read);
                        poll_fn(|cx| reg.poll_ready(Direction::Read, cx, Location::caller())).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            writer.join().unwrap();
        });
        assert_eq!(
            rt.doorbell_rings(),
            0,
            "the kernel woke the task, not another thread"
        );
    }
}
