//! # TcpStream: a connection whose reads and writes wait in the reactor
//!
//! A [`TcpStream`] is an [`Evented`] mio stream plus the peer's address, remembered at
//! connect/accept time so that error messages can name the peer even after a reset (when the
//! kernel no longer answers `getpeername`).
//!
//! ```text
//!   task A: stream.read(buf).await ──► stream_io(Read,  read)  ─┐   IoSlot { readable, readers,
//!   task B: stream.write(buf).await ─► stream_io(Write, write) ─┴─►          writable, writers }
//! ```
//!
//! Reading and writing wait on separate flags with separate lists of wakers, and every method
//! takes `&self`, so one task can read while another writes the same stream (share it with an
//! `Rc<TcpStream>`). Two readers may wait at once too: an edge wakes both, and the one that
//! finds no bytes waits again (net/mod.rs, "Two tasks on one socket"). tokio offers
//! `split()`/`into_split()` for the same purpose; asyncio keeps one reader and one writer
//! callback per descriptor.
//!
//! ## Connecting without blocking
//!
//! A non-blocking `connect` returns at once with "in progress". The handshake finishes later,
//! and the kernel reports it as the socket becoming *writable*, whether it succeeded or not.
//! So [`TcpStream::connect`] waits for write readiness, then asks the socket how it went:
//! `take_error()` (SO_ERROR) holds a refusal or a timeout; `peer_addr()` succeeding proves the
//! connection is up; `NotConnected` means the edge was not about this handshake, so wait again.
//! This is the recipe mio documents, and what asyncio's `sock_connect` does with `SO_ERROR`.
//!
//! ## Honest shortcuts
//!
//! - `connect` takes a `SocketAddr`, not a host name: resolving names blocks (tokio sends it to
//!   its blocking pool; asyncio to a thread executor).
//! - The plain async methods here are the ones to step through; the ecosystem's
//!   `AsyncRead`/`AsyncWrite` traits are implemented beside them, in `io_traits.rs`, for
//!   buffered reading (`readline`) and `copy`.
//!
//! Read next: `io_traits.rs`, then `tcp_listener.rs`.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::panic::Location;
use std::task::{Context, Poll};

use mio::Interest;

use super::evented::{with_addr, Direction, Evented};

/// A TCP connection registered with the running glassloop runtime.
///
/// ```
/// use glassloop::net::{TcpListener, TcpStream};
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     client.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     server.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// });
/// ```
///
/// asyncio: the `(StreamReader, StreamWriter)` pair of `asyncio.open_connection`, or
/// `loop.sock_recv`/`sock_sendall` on a non-blocking socket; tokio: `tokio::net::TcpStream`.
#[derive(Debug)]
pub struct TcpStream {
    /// The socket and its registration (also used by the trait impls in `io_traits.rs`).
    pub(super) io: Evented<mio::net::TcpStream>,
    /// Who is on the other end; kept for error messages.
    pub(super) peer: SocketAddr,
}

impl TcpStream {
    /// Open a connection to `addr`, waiting (without blocking the loop) for the handshake.
    ///
    /// Errors name the address: "connecting to 127.0.0.1:9: Connection refused (os error 111)".
    ///
    /// asyncio: `asyncio.open_connection(host, port)`; tokio: `TcpStream::connect`.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<TcpStream>> {
        let at = Location::caller(); // the await point, for debug reports
        async move {
            let doing = "connecting to";
            let socket =
                mio::net::TcpStream::connect(addr).map_err(|e| with_addr(e, doing, addr))?;
            let io = Evented::new(
                socket,
                Interest::READABLE | Interest::WRITABLE,
                "glassloop::net::TcpStream::connect",
                at,
            )?;
            std::future::poll_fn(|cx| poll_connected(&io, cx, at))
                .await
                .map_err(|e| with_addr(e, doing, addr))?;
            Ok(TcpStream { io, peer: addr })
        }
    }

    /// Wrap a stream that `TcpListener::accept`, called at `made_at`, got from the kernel.
    pub(crate) fn from_accepted(
        socket: mio::net::TcpStream,
        peer: SocketAddr,
        made_at: &'static Location<'static>,
    ) -> io::Result<Self> {
        let io = Evented::new(
            socket,
            Interest::READABLE | Interest::WRITABLE,
            "glassloop::net::TcpListener::accept",
            made_at,
        )?;
        Ok(TcpStream { io, peer })
    }

    /// Read what has arrived into `buf`, waiting until at least one byte (or the end of the
    /// stream) is there. `Ok(0)` means the peer closed its writing half.
    ///
    /// asyncio: `await reader.read(n)`; tokio: `AsyncReadExt::read`.
    #[track_caller]
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.read_at(buf, Location::caller())
    }

    /// [`read`](TcpStream::read) with its await point `at` given, for `read_exact`.
    async fn read_at(&self, buf: &mut [u8], at: &'static Location<'static>) -> io::Result<usize> {
        self.io
            .stream_io(Direction::Read, at, buf.len(), |mut socket| socket.read(buf))
            .await
            .map_err(|e| with_addr(e, "reading from", self.peer))
    }

    /// Fill `buf` completely. An end of stream first is an `UnexpectedEof` error that says how
    /// many bytes did arrive.
    ///
    /// asyncio: `await reader.readexactly(n)`; tokio: `AsyncReadExt::read_exact`.
    #[track_caller]
    pub fn read_exact<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        self.read_exact_at(buf, Location::caller())
    }

    /// [`read_exact`](TcpStream::read_exact) with its await point `at` given.
    async fn read_exact_at(
        &self,
        buf: &mut [u8],
        at: &'static Location<'static>,
    ) -> io::Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_at(&mut buf[filled..], at).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "reading from {}: the peer closed the connection after {filled} of \
                             {} bytes",
                            self.peer,
                            buf.len()
                        ),
                    ))
                }
                n => filled += n,
            }
        }
        Ok(())
    }

    /// Write some of `buf`, waiting until the send buffer has room. Returns how many bytes
    /// the kernel took.
    ///
    /// asyncio: `writer.write(data)` (which buffers without waiting); tokio:
    /// `AsyncWriteExt::write`.
    #[track_caller]
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.write_at(buf, Location::caller())
    }

    /// [`write`](TcpStream::write) with its await point `at` given, for `write_all`.
    async fn write_at(&self, buf: &[u8], at: &'static Location<'static>) -> io::Result<usize> {
        self.io
            .stream_io(Direction::Write, at, buf.len(), |mut socket| socket.write(buf))
            .await
            .map_err(|e| with_addr(e, "writing to", self.peer))
    }

    /// Write all of `buf`, waiting for room as often as needed.
    ///
    /// asyncio: `writer.write(data); await writer.drain()`; tokio: `AsyncWriteExt::write_all`.
    #[track_caller]
    pub fn write_all<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.write_all_at(buf, Location::caller())
    }

    /// [`write_all`](TcpStream::write_all) with its await point `at` given.
    async fn write_all_at(&self, mut buf: &[u8], at: &'static Location<'static>) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_at(buf, at).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("writing to {}: the socket accepted no bytes", self.peer),
                    ))
                }
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Wait until the stream is readable: data, the end of the stream, or an error is there.
    /// Use with [`try_read`](TcpStream::try_read) to watch readiness itself.
    ///
    /// asyncio: `loop.add_reader(fd, callback)`; tokio: `TcpStream::readable`.
    #[track_caller]
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.io.ready(Direction::Read, Location::caller())
    }

    /// Wait until the stream is writable (room in the send buffer, or an error).
    ///
    /// asyncio: `loop.add_writer`; tokio: `TcpStream::writable`.
    #[track_caller]
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.io.ready(Direction::Write, Location::caller())
    }

    /// Read without waiting. `WouldBlock` means the edge is used up: `readable()` will wait
    /// for the next one.
    ///
    /// asyncio: `sock.recv()` on a non-blocking socket; tokio: `TcpStream::try_read`.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut socket| socket.read(buf))
    }

    /// Write without waiting. `WouldBlock` means the send buffer is full.
    ///
    /// asyncio: `sock.send()` on a non-blocking socket; tokio: `TcpStream::try_write`.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut socket| socket.write(buf))
    }

    /// Close the reading half, the writing half (the peer then reads end of stream), or both.
    ///
    /// asyncio: `writer.write_eof()`; tokio: `AsyncWriteExt::shutdown` (writing half).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io
            .get()
            .shutdown(how)
            .map_err(|e| with_addr(e, "shutting down the connection to", self.peer))
    }

    /// The address of the other end.
    ///
    /// asyncio: `writer.get_extra_info("peername")`; tokio: `TcpStream::peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }

    /// The address of this end.
    ///
    /// asyncio: `writer.get_extra_info("sockname")`; tokio: `TcpStream::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Turn Nagle's algorithm off (`true`) so small writes leave at once instead of waiting to
    /// be batched with the next one.
    ///
    /// asyncio: `sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)`; tokio: `TcpStream::set_nodelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get().set_nodelay(nodelay)
    }
}

/// Has the non-blocking connect finished? Wait for writability, then ask the socket.
fn poll_connected(
    io: &Evented<mio::net::TcpStream>,
    cx: &mut Context<'_>,
    at: &'static Location<'static>,
) -> Poll<io::Result<()>> {
    io.poll_io(Direction::Write, cx, at, |socket| {
        if let Some(err) = socket.take_error()? {
            return Err(err); // refused, unreachable, timed out: the handshake failed
        }
        match socket.peer_addr() {
            Ok(_) => Ok(()),
            // Still handshaking: treat as "not ready yet" and wait for the next edge.
            Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(err) => Err(err),
        }
    })
}
