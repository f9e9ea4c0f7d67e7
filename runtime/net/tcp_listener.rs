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
//! The backlog, how many finished handshakes the kernel queues for `accept`, is 128 with
//! [`TcpListener::bind`] (as std's and mio's). If a thousand clients connect before the
//! listener gets a turn, the kernel drops the surplus handshakes and those clients retry a
//! second later. [`TcpListener::bind_with_backlog`] sets a larger queue (the kernel caps it
//! at `net.core.somaxconn`, 4096 on recent Linux).
//!
//! On loopback the overflow is easy to trigger from one task: a loopback `connect` finishes
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

/// How many finished handshakes [`TcpListener::bind`] lets the kernel queue: std's and mio's
/// number.
const DEFAULT_BACKLOG: u32 = 128;

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
    #[track_caller]
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        Self::listen(addr, DEFAULT_BACKLOG, "glassloop::net::TcpListener::bind")
    }

    /// [`bind`](TcpListener::bind), with room for `backlog` finished handshakes waiting to be
    /// accepted instead of 128: for a server that expects bursts of connections.
    ///
    /// ```
    /// use glassloop::net::TcpListener;
    ///
    /// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
    /// rt.block_on(async {
    ///     let listener = TcpListener::bind_with_backlog("127.0.0.1:0".parse().unwrap(), 1024);
    ///     assert!(listener.is_ok());
    /// });
    /// ```
    ///
    /// asyncio: `asyncio.start_server(..., backlog=1024)`; tokio: `TcpSocket::listen(1024)`.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn bind_with_backlog(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
        Self::listen(addr, backlog, "glassloop::net::TcpListener::bind_with_backlog")
    }

    /// The steps `mio::net::TcpListener::bind` takes, with our backlog: socket, reuse the
    /// address, bind, listen. `what` names the public call for the misuse message; the
    /// dump names our caller's caller (`#[track_caller]` twice), the line of `bind`.
    #[track_caller]
    fn listen(addr: SocketAddr, backlog: u32, what: &'static str) -> io::Result<TcpListener> {
        use socket2::{Domain, Protocol, Socket, Type};
        let bind = || -> io::Result<mio::net::TcpListener> {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            // Unix only, as mio and std do: a restarted server can bind its port again at
            // once, while the old connections linger in TIME_WAIT. (On Windows the same
            // option would let another process take a port that is in use.)
            #[cfg(unix)]
            socket.set_reuse_address(true)?;
            socket.set_nonblocking(true)?;
            socket.bind(&addr.into())?;
            socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
            Ok(mio::net::TcpListener::from_std(socket.into()))
        };
        let socket = bind().map_err(|e| with_addr(e, "binding to", addr))?;
        let addr = socket.local_addr()?;
        let io = Evented::new(socket, Interest::READABLE, what, Location::caller())?;
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
        Ok((TcpStream::from_accepted(socket, peer, at)?, peer))
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
    #[track_caller]
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (socket, peer) = self.io.try_io(Direction::Read, |listener| listener.accept())?;
        Ok((TcpStream::from_accepted(socket, peer, Location::caller())?, peer))
    }

    /// The address this listener is bound to, with the real port if you asked for port 0.
    ///
    /// asyncio: `server.sockets[0].getsockname()`; tokio: `TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}
