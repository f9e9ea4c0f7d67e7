//! # Evented: a mio source, its registration, and the one loop every socket call runs
//!
//! Every socket type in `net/` is a thin wrapper around an [`Evented`]: the mio socket plus
//! the [`Registration`] that connects it to the reactor. All the async methods go through one
//! function, [`Evented::poll_io`], so there is exactly one place where the rules of
//! edge-triggered readiness are applied:
//!
//! ```text
//!   poll_io(direction, op):
//!     ┌─► op(&socket) ── Ok / real error ──────────────► Ready(result)
//!     │      │ WouldBlock: the kernel has nothing for us now
//!     │      ▼
//!     │   clear_ready(direction)        forget the old edge: we just proved it is used up
//!     │   poll_ready(direction, cx) ── Pending: waker stored; the reactor wakes us on the
//!     │      │                                   next edge (new data, new space, an error)
//!     └──────┘ Ready (right after a clear only for a closed direction, or a runtime gone)
//! ```
//!
//! ## Try first, then wait
//!
//! `poll_io` always tries the system call before looking at the readiness flag. That costs one
//! `EAGAIN` syscall when the socket is not ready, and buys robustness: a socket that was ready
//! before it was registered (data already queued, a connection already waiting) is served at
//! once, whether or not the kernel reports an initial edge. asyncio's `sock_recv` does the
//! same (try `recv`, and only on `BlockingIOError` call `add_reader`). tokio checks its cached
//! readiness first and skips the syscall when it knows the answer is "not ready"; that saves
//! the `EAGAIN` at the price of a readiness cache that must never be stale.
//!
//! ## Edge-triggered, in one paragraph
//!
//! mio registers sockets edge-triggered (`EPOLLET` on Linux): the kernel reports *a change*
//! ("bytes arrived"), once, not *a state* ("there are bytes") at every poll. If a reader takes
//! 4 KiB of a 1 MiB message and then waits for readiness again, no new edge comes (no new bytes
//! arrived), and it waits forever with a full receive buffer. The cure is the rule this file
//! enforces: **wait only after `WouldBlock`**. Only the kernel saying "nothing left" proves the
//! edge is used up. The converse also holds: a wake may arrive for bytes that are already gone.
//! Linux computes an event's flags when `epoll_wait` hands it out, so the gap is between that
//! moment and the woken task's poll: another caller may take the bytes in between (a
//! `try_read`, or a task polled earlier in the same pass). Then the woken reader tries, gets
//! `WouldBlock`, and waits again: a spurious wake costs one syscall and nothing else.
//!
//! ## Readiness used up is readiness cleared (byte streams only)
//!
//! A TCP read that returns fewer bytes than the buffer holds has emptied the kernel's receive
//! buffer; a write that took fewer bytes than offered has filled the send buffer. Trying again
//! at once would only earn an `EAGAIN`. So [`Evented::poll_stream_io`] remembers it (`used_up`),
//! clears the reactor's flag, and the next call waits for the next edge without a system call.
//! Why this cannot lose a wake with edge-triggered epoll: every byte that arrives after our
//! `read` returned is a new change, so the kernel queues a new edge for it; events are handed
//! out only in step 3, on this thread, after this poll has cleared the flag, so that edge sets
//! the flag again and wakes the waiter. Nothing can fall between the `read` and the clear. One
//! thing is not an edge but a state: the end of the stream (or an error). Its event may have
//! come together with the last bytes, so the reactor keeps a closed direction ready for good
//! (`IoSlot::closed`), and a reader still reads its `Ok(0)`. Datagrams keep trying: a short
//! `recv` says one datagram was small, not that the queue is empty. tokio does the same: it
//! clears readiness after a short read and never clears the closed bits.
//!
//! ## Dropping
//!
//! Dropping an `Evented` deregisters the socket from epoll; then its fields drop in the order
//! they are declared: the socket closes its descriptor, and the `Registration` frees the
//! reactor's slot together with any stored wakers, so a dropped socket never wakes a task
//! (invariant 6).
//!
//! Read next: `tcp_stream.rs`.

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use super::registration::Registration;
pub(crate) use crate::reactor::Direction;

/// A mio socket registered with the current runtime's reactor.
#[derive(Debug)]
pub(crate) struct Evented<S: Source> {
    /// The socket. Dropped after `registration` has been deregistered (see `Drop`).
    source: S,
    /// The reactor's record of this socket: readiness flags and the reader/writer wakers.
    registration: Registration,
    /// Per direction (read, write): the last stream call moved fewer bytes than asked, so the
    /// next one waits for a new edge first. Set and cleared by `poll_stream_io` only.
    used_up: [Cell<bool>; 2],
}

impl<S: Source> Evented<S> {
    /// Register `source` for `interest` with the current runtime. `what` is the public call
    /// that made the socket, so that a misuse panic names the line the learner wrote;
    /// `made_at` is where it was called (bound, connected or accepted), for the task dump.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    pub(crate) fn new(
        mut source: S,
        interest: Interest,
        what: &'static str,
        made_at: &'static Location<'static>,
    ) -> io::Result<Evented<S>> {
        let registration = Registration::new(&mut source, interest, what, made_at)?;
        Ok(Evented { source, registration, used_up: Default::default() })
    }

    /// The socket, for calls that never block (addresses, options, shutdown).
    pub(crate) fn get(&self) -> &S {
        &self.source
    }

    /// Run `op` until it does not return `WouldBlock`; between tries, wait for an edge in
    /// `direction`. The heart of every async socket method.
    /// A good breakpoint: `break glassloop::net::evented::Evented<*>::poll_io`.
    /// `at` is the await point of the socket method (from `#[track_caller]`), for reports.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        // region: poll_io
        loop {
            match op(&self.source) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_ready(direction);
                    if self.registration.poll_ready(direction, cx, at).is_pending() {
                        return Poll::Pending;
                    }
                    if !self.registration.is_alive() {
                        return Poll::Ready(Err(runtime_gone()));
                    }
                }
                result => return Poll::Ready(result),
            }
        }
        // endregion: poll_io
    }

    /// `poll_io` for a byte stream's `read` or `write` of `asked` bytes: a short one means the
    /// kernel's buffer is used up, so the next call waits for an edge instead of trying (the
    /// file header, "Readiness used up is readiness cleared").
    pub(crate) fn poll_stream_io(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
        asked: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        // region: used_up
        let used_up = &self.used_up[direction as usize];
        if used_up.get() {
            if self.registration.poll_ready(direction, cx, at).is_pending() {
                return Poll::Pending; // no syscall: it would only say `WouldBlock`
            }
            used_up.set(false); // a new edge came (or the socket closed): try
        }
        let polled = self.poll_io(direction, cx, at, op);
        if matches!(polled, Poll::Ready(Ok(moved)) if moved > 0 && moved < asked) {
            self.registration.clear_ready(direction);
            used_up.set(true);
        }
        // endregion: used_up
        polled
    }

    /// `poll_stream_io` as an async fn.
    pub(crate) async fn stream_io(
        &self,
        direction: Direction,
        at: &'static Location<'static>,
        asked: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> io::Result<usize> {
        poll_fn(|cx| self.poll_stream_io(direction, cx, at, asked, &mut op)).await
    }

    /// `poll_io` as an async fn.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        at: &'static Location<'static>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(direction, cx, at, &mut op)).await
    }

    /// Wait for an edge in `direction` without doing any I/O: `readable()`/`writable()`.
    /// Returns at once if an edge was seen and not yet used up by a `WouldBlock`.
    pub(crate) async fn ready(
        &self,
        direction: Direction,
        at: &'static Location<'static>,
    ) -> io::Result<()> {
        poll_fn(|cx| self.registration.poll_ready(direction, cx, at)).await;
        if self.registration.is_alive() {
            Ok(())
        } else {
            Err(runtime_gone())
        }
    }

    /// Try `op` once, without waiting. On `WouldBlock` the edge is used up: clear it, so the
    /// next `ready` waits for a new one.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let result = op(&self.source);
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.registration.clear_ready(direction);
        }
        result
    }
}

impl<S: Source> Drop for Evented<S> {
    fn drop(&mut self) {
        // Deregistering can only fail if the descriptor is already gone; the slot and its
        // wakers are freed either way when the fields drop right after this.
        let _ = self.registration.deregister(&mut self.source);
    }
}

/// The error a socket reports when used after its runtime has ended.
fn runtime_gone() -> io::Error {
    io::Error::other(
        "glassloop: the runtime this socket was registered with has shut down; create and use \
         sockets inside one runtime",
    )
}

/// Rewrap `err` so its message says what was being done and to whom, e.g.
/// "reading from 127.0.0.1:8080: Connection reset by peer (os error 104)". The kind is kept,
/// so `err.kind() == ConnectionReset` still works.
pub(crate) fn with_addr(err: io::Error, doing: &str, addr: SocketAddr) -> io::Error {
    io::Error::new(err.kind(), format!("{doing} {addr}: {err}"))
}
