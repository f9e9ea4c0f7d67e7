//! # TcpListener: connections waiting to be accepted
//!
//! A listening socket becomes *readable* when a finished handshake waits in its accept queue.
//! [`TcpListener::accept`] is the same try-then-wait loop as a read: call `accept`; on
//! `WouldBlock`, wait for the next edge. Each accepted connection comes out as a
//! [`TcpStream`] with its own registration.
//!
//! ```text
//!   client connect ─► kernel handshake ─► accept queue (backlog 128) ─► edge: readable
//!                                                 │
//!   listener.accept().await ◄─ accept() ◄─────────┘   one connection per call
//! ```
//!
//! The backlog is mio's (128, as std's): if a thousand clients connect before the listener
//! gets a turn, the kernel drops the surplus handshakes and those clients retry a second
//! later. On loopback this is easy to trigger from one task: a loopback `connect` finishes
//! its handshake inside the system call, so `TcpStream::connect(..).await` returns without
//! ever yielding, and a loop of connects never lets the accepting task run. Yield between
//! connects (`glassloop::task::yield_now`), or accept often. tokio behaves the same way.
//!
//! Read next: `udp.rs`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;

use mio::Interest;

use super::evented::{with_addr, Direction, Evented};
use super::TcpStream;

/// A TCP socket listening for connections, registered with the running glassloop runtime.
///
/// ```
/// use glassloop::net::{TcpListener, TcpStream};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let addr = listener.local_addr().unwrap(); // port 0: the OS picked one
///     let client = TcpStream::connect(addr).await.unwrap();
///     let (server_side, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     assert_eq!(server_side.local_addr().unwrap(), addr);
/// });
/// ```
///
/// asyncio: `asyncio.start_server` (callback style) or `loop.sock_accept`; tokio:
/// `tokio::net::TcpListener`.
#[derive(Debug)]
pub struct TcpListener {
    io: Evented<mio::net::TcpListener>,
    addr: SocketAddr,
}

impl TcpListener {
    /// Bind to `addr` and listen. Port 0 asks the OS for a free port (see
    /// [`local_addr`](TcpListener::local_addr)). A port in use is an `AddrInUse` error that
    /// names the address.
    ///
    /// Not async: binding never waits. (tokio's `bind` is async because it may resolve a
    /// host name first.)
    ///
    /// asyncio: `await asyncio.start_server(cb, host, port)`; tokio: `TcpListener::bind`.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket =
            mio::net::TcpListener::bind(addr).map_err(|e| with_addr(e, "binding to", addr))?;
        let addr = socket.local_addr()?;
        let io = Evented::new(
            socket,
            Interest::READABLE,
            "glassloop::net::TcpListener::bind",
        )?;
        Ok(TcpListener { io, addr })
    }

    /// Wait for the next connection; returns it and the client's address.
    ///
    /// asyncio: `await loop.sock_accept(sock)`; tokio: `TcpListener::accept`.
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + '_ {
        self.accept_at(Location::caller())
    }

    /// [`accept`](TcpListener::accept) with its await point `at` given.
    async fn accept_at(
        &self,
        at: &'static Location<'static>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        let (socket, peer) = self
            .io
            .io(Direction::Read, at, |listener| listener.accept())
            .await
            .map_err(|e| with_addr(e, "accepting a connection on", self.addr))?;
        Ok((TcpStream::from_accepted(socket, peer)?, peer))
    }

    /// Wait until a connection is waiting to be accepted (or an error is pending). Use with
    /// [`try_accept`](TcpListener::try_accept) to watch readiness itself.
    ///
    /// asyncio: `loop.add_reader(listening_fd, callback)`; tokio: `TcpListener::readable`
    /// does not exist; `poll_accept` is the closest.
    #[track_caller]
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.io.ready(Direction::Read, Location::caller())
    }

    /// Accept without waiting. `WouldBlock` means the accept queue is empty.
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (socket, peer) = self
            .io
            .try_io(Direction::Read, |listener| listener.accept())?;
        Ok((TcpStream::from_accepted(socket, peer)?, peer))
    }

    /// The address this listener is bound to, with the real port if you asked for port 0.
    ///
    /// asyncio: `server.sockets[0].getsockname()`; tokio: `TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}
