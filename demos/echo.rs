//! # Demo `echo`: watch readiness happen
//!
//! An echo server and three clients share one loop. The server does not use the convenient
//! `accept()`/`read()` methods; it waits for readiness itself (`readable()`, `writable()`) and
//! then calls `try_accept`/`try_read`/`try_write` until the kernel says `WouldBlock`, printing
//! each step. That is what every async socket method does inside, and the output shows the
//! rule edge-triggered readiness imposes: **after an edge, drain until WouldBlock, then wait**.
//!
//! ```text
//!   client: connect ──────────► listener readable ─► try_accept ... WouldBlock ─► wait
//!   client: write "hello" ────► conn readable ─► try_read ─► writable ─► try_write
//!                                              └► try_read: WouldBlock ─► wait for next edge
//!   client: close ────────────► conn readable ─► try_read: 0 bytes = end of stream
//! ```
//!
//! asyncio: `loop.add_reader(fd, cb)` / `loop.add_writer(fd, cb)` are the same readiness
//! callbacks; tokio: `TcpStream::readable()` + `try_read`.

use std::io::ErrorKind;
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;

use crate::secs;

/// How many clients come, one after another.
const CLIENTS: u64 = 3;

/// Print `line` after the time since `start`, as every line of this demo is printed.
fn say(start: Instant, line: impl std::fmt::Display) {
    println!("[{}] {line}", secs(start.elapsed()));
}

/// The server: wait for the listener to be readable, accept until WouldBlock, repeat.
async fn server(listener: TcpListener, start: Instant) {
    let mut accepted = 0;
    loop {
        listener
            .readable()
            .await
            .expect("the listener has an error");
        say(start, "listener  readable: a connection waits");
        loop {
            match listener.try_accept() {
                Ok((stream, _)) => {
                    accepted += 1;
                    say(start, format!("listener  accepted connection {accepted}"));
                    glassloop::spawn(echo_connection(stream, accepted, start));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    say(
                        start,
                        "listener  accept: WouldBlock, wait for the next edge",
                    );
                    break;
                }
                Err(e) => panic!("accept failed: {e}"),
            }
        }
    }
}

/// One connection: wait for readable, read until WouldBlock (echoing each chunk), repeat.
async fn echo_connection(stream: TcpStream, n: u32, start: Instant) {
    let mut buf = [0u8; 64];
    loop {
        if let Err(e) = stream.readable().await {
            say(start, format!("conn {n}    {e}"));
            return;
        }
        say(start, format!("conn {n}    readable"));
        loop {
            match stream.try_read(&mut buf) {
                Ok(0) => {
                    say(
                        start,
                        format!("conn {n}    read 0 bytes: end of stream, close"),
                    );
                    return;
                }
                Ok(len) => {
                    say(start, format!("conn {n}    read {len} bytes"));
                    stream
                        .writable()
                        .await
                        .expect("the connection has an error");
                    let written = stream
                        .try_write(&buf[..len])
                        .expect("64 bytes fit in the send buffer");
                    say(
                        start,
                        format!("conn {n}    writable, wrote {written} bytes back"),
                    );
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    say(
                        start,
                        format!("conn {n}    read: WouldBlock, wait for the next edge"),
                    );
                    break;
                }
                Err(e) => {
                    say(start, format!("conn {n}    {e}"));
                    return;
                }
            }
        }
    }
}

/// A client: come at its time, connect, say hello, read the echo, stay a while, say bye,
/// read that echo too, leave. Clients overlap: three connections are open at 0.120 s.
async fn client(id: u64, addr: std::net::SocketAddr, start: Instant) {
    sleep(Duration::from_millis(40 * id)).await;
    let stream = TcpStream::connect(addr)
        .await
        .expect("the echo server listens");
    say(start, format!("client {id}  connected"));
    for (pause, word) in [(10, "hello"), (100, "bye")] {
        sleep(Duration::from_millis(pause)).await;
        let message = format!("{word} from client {id}");
        stream.write_all(message.as_bytes()).await.expect("write");
        say(start, format!("client {id}  sent {message:?}"));
        let mut echo = vec![0u8; message.len()];
        stream
            .read_exact(&mut echo)
            .await
            .expect("the server echoes");
        let echo = String::from_utf8_lossy(&echo);
        say(start, format!("client {id}  got {echo:?} back"));
    }
    say(start, format!("client {id}  closes"));
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let start = Instant::now();
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("listen");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        glassloop::spawn(server(listener, start));
        let clients: Vec<_> = (1..=CLIENTS)
            .map(|id| glassloop::spawn(client(id, addr, start)))
            .collect();
        for handle in clients {
            handle.await.expect("a client never panics");
        }
        // Give the last connection's task a moment to see the end of its stream.
        sleep(Duration::from_millis(10)).await;
        say(start, format!("all {CLIENTS} clients served"));
    });
}
