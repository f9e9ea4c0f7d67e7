//! # Demo `streams`: asyncio's line-based echo client and server, ported
//!
//! asyncio's streams documentation has a TCP echo server (`start_server` with a handler that
//! gets a `(reader, writer)` pair) and a client (`open_connection`). Here is the same pair,
//! line by line, on glassloop's `TcpStream`, which implements the ecosystem's `AsyncRead` and
//! `AsyncWrite` (`runtime/net/io_traits.rs`), so `futures::io`'s combinators work on it:
//!
//! ```text
//!   asyncio                                   glassloop + futures::io
//!   reader, writer = await open_connection()  stream = TcpStream::connect(addr).await?
//!                                             reader = BufReader::new(&stream); writer = &stream
//!   server = await start_server(cb, ...)      listener = TcpListener::bind(addr)?
//!                                             loop { spawn(cb(listener.accept().await?)) }
//!   line = await reader.readline()            reader.read_line(&mut line).await?
//!   data = await reader.readexactly(n)        reader.read_exact(&mut buf).await?
//!   writer.write(data); await writer.drain()  stream.write_all(data).await?
//!   writer.close(); await writer.wait_closed() writer.close().await?
//! ```
//!
//! A program adds `futures` and writes the right-hand column (`tests/net_streams.rs` does).
//! A demo can use only the runtime's own dependencies, so this one writes asyncio's
//! `StreamReader` and `StreamWriter` out, in a few lines each, over the same two traits: you
//! see what `read_line` and `write_all` do inside.
//!
//! The client sends three lines and waits for each echo; then it closes its writing half, the
//! server reads end of stream and closes too, and the client reads end of stream. Each step
//! waits for the previous one, so the output is the same on every run. Both ends are in the
//! same loop, so the demo also runs under `--virtual-clock` (see `runtime/net/mod.rs`).
//!
//! asyncio: `asyncio.open_connection`, `asyncio.start_server`, `StreamReader.readline`;
//! tokio: `TcpStream` with `tokio::io::BufReader` and `AsyncBufReadExt::read_line`.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};
use glassloop::net::{TcpListener, TcpStream};
use glassloop::Runtime;

const MESSAGES: [&str; 3] = ["Hello World!", "How are you?", "Bye."];

/// asyncio's `StreamReader`, over anything that implements `AsyncRead`: a buffer of bytes
/// received and not yet returned. This is what `futures::io::BufReader` does inside (a
/// program uses that one: `tests/net_streams.rs`); it is written out here, in a few lines,
/// to show that `readline` is "look for a newline in the buffer; if none, read more".
struct StreamReader<R> {
    inner: R,
    buffer: Vec<u8>,
}

impl<R: AsyncRead + Unpin> StreamReader<R> {
    fn new(inner: R) -> Self {
        StreamReader {
            inner,
            buffer: Vec::new(),
        }
    }

    /// One line with its `\n`, or what is left at the end of the stream (`""` once nothing
    /// is), as asyncio's `readline`.
    async fn readline(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            let mut chunk = [0u8; 1024];
            // The call BufReader makes: one attempt, Pending until the socket is readable.
            let n = poll_fn(|cx| Pin::new(&mut self.inner).poll_read(cx, &mut chunk)).await?;
            if n == 0 {
                let rest: Vec<u8> = std::mem::take(&mut self.buffer);
                return Ok(String::from_utf8_lossy(&rest).into_owned());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// asyncio's `StreamWriter`, over anything that implements `AsyncWrite`: `write` only
/// buffers, `drain` waits until the kernel has taken every byte, `close` ends the stream.
/// (`futures::io::AsyncWriteExt::write_all` is `write` + `drain` in one call.)
struct StreamWriter<W> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> StreamWriter<W> {
    fn new(inner: W) -> Self {
        StreamWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn write(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
    }

    async fn drain(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut self.inner).poll_write(cx, &self.pending)).await?;
            self.pending.drain(..n);
        }
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        self.drain().await?;
        poll_fn(|cx| Pin::new(&mut self.inner).poll_close(cx)).await
    }
}

/// asyncio's `open_connection`: a connection, as a reader and a writer over one socket.
/// They borrow it: `&TcpStream` implements both traits, so no split is needed.
fn reader_writer(stream: &TcpStream) -> (StreamReader<&TcpStream>, StreamWriter<&TcpStream>) {
    (StreamReader::new(stream), StreamWriter::new(stream))
}

/// asyncio's `start_server`: accept forever, one handler task per connection.
fn start_server(listener: TcpListener) -> glassloop::JoinHandle<()> {
    glassloop::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    glassloop::spawn(handle_echo(stream));
                }
                Err(err) => {
                    println!("server: accept failed: {err}");
                    return;
                }
            }
        }
    })
}

/// asyncio's `handle_echo(reader, writer)`, reading lines until the end of the stream.
async fn handle_echo(stream: TcpStream) {
    if let Err(err) = echo_lines(&stream).await {
        println!("server: {err}");
    }
}

async fn echo_lines(stream: &TcpStream) -> io::Result<()> {
    let (mut reader, mut writer) = reader_writer(stream);
    loop {
        let line = reader.readline().await?;
        if line.is_empty() {
            println!("server: end of stream; Close the connection");
            return writer.close().await;
        }
        let message = line.trim_end();
        println!("server: Received {message:?}");
        println!("server: Send: {message:?}");
        writer.write(line.as_bytes());
        writer.drain().await?;
    }
}

/// asyncio's `tcp_echo_client`, for several lines.
async fn tcp_echo_client(addr: SocketAddr) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = reader_writer(&stream);
    for message in MESSAGES {
        println!("client: Send: {message:?}");
        writer.write(format!("{message}\n").as_bytes());
        writer.drain().await?;
        let echoed = reader.readline().await?;
        println!("client: Received: {:?}", echoed.trim_end());
    }
    println!("client: Close the connection");
    writer.close().await?; // the server reads end of stream
    let after = reader.readline().await?;
    println!("client: the server closed too (readline gave {:?})", after);
    Ok(())
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let listener = match TcpListener::bind("127.0.0.1:0".parse().expect("an address")) {
            Ok(listener) => listener,
            Err(err) => return println!("could not bind a local port: {err}"),
        };
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        println!("server: serving on a local port (asyncio: start_server)");
        let server = start_server(listener);
        if let Err(err) = tcp_echo_client(addr).await {
            println!("client: {err}");
        }
        server.abort(); // asyncio: server.close()
        println!();
        println!("the map (asyncio -> a program on glassloop, with futures::io):");
        println!("  open_connection(host, port)   TcpStream::connect(addr)");
        println!(
            "  start_server(cb, host, port)  TcpListener::bind(addr) + accept loop + spawn(cb)"
        );
        println!("  await reader.readline()       BufReader::new(&stream).read_line(&mut line)");
        println!("  await reader.readexactly(n)   reader.read_exact(&mut buf)");
        println!("  writer.write(d); drain()      stream.write_all(d)");
        println!("  writer.close()                (&stream).close()");
    });
}
