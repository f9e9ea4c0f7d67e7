//! # UdpSocket: datagrams, one whole message per call
//!
//! UDP has no connection and no stream: each `send_to` is one datagram, each `recv_from`
//! returns one datagram (cut to the buffer's size if it is too small). Readiness works as for
//! TCP: readable when a datagram waits, writable when the send buffer has room, and the same
//! try-then-wait loop in [`Evented::poll_io`](super::evented).
//!
//! `connect` on a UDP socket sends nothing: it only fixes the default destination for `send`
//! and makes the kernel drop datagrams from anyone else. A "connected" UDP socket also hears
//! about ICMP "port unreachable" as a `ConnectionRefused` error on a later `recv`.
//!
//! Read next: `../outside.rs`, work that runs off the loop and how the loop waits for it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;

use mio::Interest;

use super::evented::{with_addr, Direction, Evented};

/// A UDP socket registered with the running glassloop runtime.
///
/// ```
/// use glassloop::net::UdpSocket;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
/// });
/// ```
///
/// asyncio: `loop.create_datagram_endpoint` or `loop.sock_sendto`/`sock_recvfrom`; tokio:
/// `tokio::net::UdpSocket`.
#[derive(Debug)]
pub struct UdpSocket {
    io: Evented<mio::net::UdpSocket>,
    addr: SocketAddr,
}

impl UdpSocket {
    /// Bind to `addr` (port 0: the OS picks). A port in use is an `AddrInUse` error.
    ///
    /// asyncio: `create_datagram_endpoint(local_addr=...)`; tokio: `UdpSocket::bind`.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket =
            mio::net::UdpSocket::bind(addr).map_err(|e| with_addr(e, "binding to", addr))?;
        let addr = socket.local_addr()?;
        let io = Evented::new(
            socket,
            Interest::READABLE | Interest::WRITABLE,
            "glassloop::net::UdpSocket::bind",
            Location::caller(),
        )?;
        Ok(UdpSocket { io, addr })
    }

    /// Send one datagram to `target`. Returns the bytes sent (all of them, or an error).
    ///
    /// asyncio: `transport.sendto(data, addr)`; tokio: `UdpSocket::send_to`.
    #[track_caller]
    pub fn send_to<'a>(
        &'a self,
        buf: &'a [u8],
        target: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let at = Location::caller(); // the await point, for debug reports
        async move {
            self.io
                .io(Direction::Write, at, |socket| socket.send_to(buf, target))
                .await
                .map_err(|e| with_addr(e, "sending a datagram to", target))
        }
    }

    /// Wait for one datagram; returns its length and its sender.
    ///
    /// asyncio: `datagram_received(data, addr)` on the protocol; tokio: `UdpSocket::recv_from`.
    #[track_caller]
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        let at = Location::caller();
        async move {
            self.io
                .io(Direction::Read, at, |socket| socket.recv_from(buf))
                .await
                .map_err(|e| with_addr(e, "receiving a datagram on", self.addr))
        }
    }

    /// Fix the default peer: `send` goes there and `recv` hears only from there.
    ///
    /// asyncio: `create_datagram_endpoint(remote_addr=...)`; tokio: `UdpSocket::connect`
    /// (async there because it may resolve a name).
    pub fn connect(&self, peer: SocketAddr) -> io::Result<()> {
        self.io.get().connect(peer).map_err(|e| with_addr(e, "connecting the UDP socket to", peer))
    }

    /// Send one datagram to the connected peer.
    ///
    /// tokio: `UdpSocket::send`.
    #[track_caller]
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let doing = "sending a datagram to";
        self.with_peer(Direction::Write, Location::caller(), doing, |s| s.send(buf))
    }

    /// Wait for one datagram from the connected peer.
    ///
    /// tokio: `UdpSocket::recv`.
    #[track_caller]
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let doing = "receiving a datagram from";
        self.with_peer(Direction::Read, Location::caller(), doing, |s| s.recv(buf))
    }

    /// `send` and `recv`: one call on the connected socket, awaited at `at`, whose errors
    /// name the peer ("sending a datagram to 127.0.0.1:9: ...").
    async fn with_peer<R>(
        &self,
        direction: Direction,
        at: &'static Location<'static>,
        doing: &str,
        op: impl FnMut(&mio::net::UdpSocket) -> io::Result<R>,
    ) -> io::Result<R> {
        let result = self.io.io(direction, at, op).await;
        result.map_err(|e| self.annotate(e, doing))
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }

    /// The connected peer; `NotConnected` if [`connect`](UdpSocket::connect) was not called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    fn annotate(&self, err: io::Error, doing: &str) -> io::Error {
        match self.peer_addr() {
            Ok(peer) => with_addr(err, doing, peer),
            Err(_) => err,
        }
    }
}
