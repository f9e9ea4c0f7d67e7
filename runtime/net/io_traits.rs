//! # AsyncRead and AsyncWrite: the ecosystem's I/O traits on glassloop's TcpStream
//!
//! `TcpStream::read` and `write` are plain async methods, easy to step through. But a great
//! deal of useful code is written once, against two traits, and works with any runtime's
//! sockets: `futures::io::BufReader` (and its `read_line`, asyncio's `readline`),
//! `read_exact` (`readexactly`), `copy`, `split`, line codecs, TLS wrappers. Those traits are
//! `futures_io::AsyncRead` and `AsyncWrite`, and this file implements them.
//!
//! They are *poll* traits: one call, one attempt, `Pending` with the waker stored if the
//! socket is not ready. That is exactly the shape of `Evented::poll_stream_io` (`evented.rs`),
//! so each method is a single call to it: try the system call; on `WouldBlock` clear the
//! readiness and wait for the next edge. The combinators on top (`read_line`, `copy`) are
//! futures that call `poll_read` again and again, so the rule of edge-triggered readiness
//! holds for them too.
//!
//! ```text
//!   BufReader::new(&stream).read_line(&mut line).await
//!     └─► poll_fill_buf ─► <&TcpStream as AsyncRead>::poll_read ─► poll_stream_io(Read, read)
//!   AsyncWriteExt::write_all(&mut &stream, b"hi\n").await   (asyncio: write + drain)
//!     └─► <&TcpStream as AsyncWrite>::poll_write ─► poll_stream_io(Write, write)
//! ```
//!
//! (A method call `stream.write_all(..)` finds `TcpStream`'s own `write_all` first, which does
//! the same; name the trait, as above, to go through it.)
//!
//! ## Why `&TcpStream` too
//!
//! The traits take `Pin<&mut Self>`, but every socket method here works on `&self` (one reader
//! and one writer may use the stream at the same time). Implementing the traits for
//! `&TcpStream` as well lets a task read through `BufReader::new(&stream)` while writing
//! through `&stream`, with no `split` and no lock: asyncio's `(reader, writer)` pair over one
//! socket. tokio does the same for its `&TcpStream` (and offers `split()` for the rest).
//!
//! ## Flushing and closing
//!
//! glassloop keeps no write buffer of its own: `poll_write` hands bytes to the kernel, so
//! `poll_flush` has nothing to do and is always ready. (asyncio's `drain()` waits for its
//! user-space buffer to empty; here a completed `write_all` already means the kernel has
//! every byte.) `poll_close` shuts down the writing half, so the peer reads end of stream:
//! asyncio's `writer.close()`, tokio's `shutdown()`.
//!
//! ## Shortcuts, honestly
//!
//! tokio has its own `AsyncRead` with a `ReadBuf` that can read into uninitialized memory
//! (which needs `unsafe` inside); `futures-io` takes an initialized `&mut [u8]`, which is all
//! a safe runtime can offer. The await point a dump shows for a stream waiting here is this
//! file, not your line: a trait method cannot learn who awaits the combinator that called it.
//!
//! Read next: `tcp_listener.rs`.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::evented::{with_addr, Direction};
use super::tcp_stream::TcpStream;

/// One attempt to read into `buf`: the body of both `poll_read`s.
fn poll_read(stream: &TcpStream, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
    let at = Location::caller();
    stream
        .io
        .poll_stream_io(Direction::Read, cx, at, buf.len(), |mut socket| socket.read(buf))
        .map_err(|e| with_addr(e, "reading from", stream.peer))
}

/// One attempt to write from `buf`: the body of both `poll_write`s.
fn poll_write(stream: &TcpStream, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    let at = Location::caller();
    stream
        .io
        .poll_stream_io(Direction::Write, cx, at, buf.len(), |mut socket| socket.write(buf))
        .map_err(|e| with_addr(e, "writing to", stream.peer))
}

/// Shut down the writing half: the peer reads end of stream.
fn close(stream: &TcpStream) -> Poll<io::Result<()>> {
    Poll::Ready(stream.shutdown(Shutdown::Write))
}

/// asyncio: `StreamReader.read`; tokio: `tokio::io::AsyncRead for TcpStream`.
impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read(&self, cx, buf)
    }
}

/// Read through a shared reference, while another task writes through another one.
impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read(&self, cx, buf)
    }
}

/// asyncio: `StreamWriter.write` + `drain`, `close`; tokio: `tokio::io::AsyncWrite for
/// TcpStream`.
impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(&self, cx, buf)
    }

    /// Nothing is buffered in user space: the kernel has every byte written.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        close(&self)
    }
}

/// Write through a shared reference, while another task reads through another one.
impl AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(&self, cx, buf)
    }

    /// Nothing is buffered in user space: the kernel has every byte written.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        close(&self)
    }
}
