//! # Registration: a socket's link to its runtime's reactor
//!
//! The reactor (reactor.rs) knows sources only by token. A socket needs more: *which*
//! runtime's reactor holds its token, found once, when the socket is made, through the
//! current-runtime thread-local, and kept as a `Weak` so a socket never keeps a runtime
//! alive. A `Registration` is that pair, token and runtime, and the three things a socket
//! asks of the reactor: "ready yet? if not, wake me", "that edge is used up", and "forget me".
//!
//! The waiting half also tells the runtime's instruments (hooks.rs) who waits on which
//! socket and at which await point, so step mode can print "token 3 read: task 'server' #1",
//! and, through a note (wait_site.rs), where the socket was made, so the dump can say "socket
//! 3 (made at src/main.rs:12:20) to become readable".
//! And before it waits, it checks that the runtime it would wait in is the one running now
//! (home.rs): a socket of one runtime awaited under another would wait for ever, so it panics
//! and names the call that made it instead.
//!
//! Read next: `evented.rs`, the one loop every socket call runs.

use std::io;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use crate::executor::context::{is_current, with_current};
use crate::executor::Core;
use crate::home::away_from_home;
use crate::hooks::Instrument;
use crate::reactor::Direction;
use crate::wait_site::{waiting_on, MadeAt, WaitOn};

/// One source registered with the current runtime's reactor: the handle net/ builds on.
///
/// To read: try the read; on `WouldBlock`, `clear_ready(Read)` and then `poll_ready(Read,
/// cx)`, which stores the waker and returns `Pending` until the reactor sees the socket become
/// readable. Dropping the registration frees its slot and its wakers; deregister the source
/// first with [`deregister`](Registration::deregister).
#[derive(Debug)]
pub(crate) struct Registration {
    token: usize,
    core: Weak<Core>,
    /// The public call that made the socket, e.g. "glassloop::net::TcpListener::bind": what
    /// the away-from-home panic names.
    made_by: &'static str,
    /// Where that call was made (bound, connected, accepted), for the task dump.
    made_at: MadeAt,
}

impl Registration {
    /// Register `source` for `interest` with the current runtime's reactor. `what` names the
    /// public call that is registering (e.g. "glassloop::net::TcpListener::bind"), `made_at`
    /// the line of your code that called it.
    ///
    /// # Panics
    /// Outside a running glassloop runtime, with a message that names `what`.
    pub(crate) fn new(
        source: &mut dyn Source,
        interest: Interest,
        what: &'static str,
        made_at: MadeAt,
    ) -> io::Result<Registration> {
        with_current(what, |core| {
            let token = core.reactor.register(source, interest)?;
            Ok(Registration { token, core: Rc::downgrade(core), made_by: what, made_at })
        })
    }

    /// Ready in `direction` since the last clear? Otherwise store the waker and return Pending.
    /// `at` is the await point of the socket method, for the instruments' reports.
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<()> {
        let Some(core) = self.core.upgrade() else {
            return Poll::Ready(()); // runtime gone: let the I/O call report the error
        };
        // Only its own loop ever dispatches its events (home.rs): anywhere else, refuse to
        // wait, before a waker that loop would never wake is stored.
        if !is_current(&core) {
            let made_by = self.made_by;
            away_from_home(format_args!("the socket made by `{made_by}`"), "reactor");
        }
        if core.reactor.poll_ready(self.token, direction, cx.waker()) {
            return Poll::Ready(());
        }
        if let Some(hooks) = core.hooks() {
            self.tell(hooks, &core, direction, at);
        }
        Poll::Pending
    }

    /// Tell the instruments who waits on this socket, and where it was made (a note the
    /// observer's `io_wait` reads). Out of line and cold: with no instrument the wait path
    /// above stays as it was before the note existed (measured with callgrind).
    #[cold]
    #[inline(never)]
    fn tell(&self, hooks: &dyn Instrument, core: &Core, direction: Direction, at: MadeAt) {
        waiting_on(WaitOn::Socket(self.made_at));
        hooks.io_wait(core, self.token, direction, at);
        hooks.await_point(at);
    }

    /// True while the runtime that owns this registration exists.
    pub(crate) fn is_alive(&self) -> bool {
        self.core.strong_count() > 0
    }

    /// Forget readiness in `direction`: the socket just returned `WouldBlock`.
    pub(crate) fn clear_ready(&self, direction: Direction) {
        if let Some(core) = self.core.upgrade() {
            core.reactor.clear_ready(self.token, direction);
        }
    }

    /// Remove `source` from the reactor. Call before dropping the source.
    pub(crate) fn deregister(&self, source: &mut dyn Source) -> io::Result<()> {
        match self.core.upgrade() {
            Some(core) => core.reactor.deregister(source),
            None => Ok(()),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Its wakers go with the slot: a dropped socket never wakes anything (invariant 6).
        if let Some(core) = self.core.upgrade() {
            core.reactor.remove(self.token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::io::{Read, Write};
    use std::panic::Location;

    #[test]
    fn a_socket_that_becomes_readable_wakes_its_reader() {
        let rt = crate::Runtime::new().unwrap();
        let got = rt.block_on(async {
            let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
            let reg = Registration::new(&mut b, Interest::READABLE, "a test", Location::caller())
                .unwrap();
            let writer = crate::spawn(async move {
                crate::spawn::yield_now().await;
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
            let reg = Registration::new(&mut b, Interest::READABLE, "a test", Location::caller())
                .unwrap();
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
        assert_eq!(rt.doorbell_rings(), 0, "the kernel woke the task, not another thread");
    }
}
