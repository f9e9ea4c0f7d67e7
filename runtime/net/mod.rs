//! # net: sockets that wait in the reactor instead of blocking the loop
//!
//! A blocking `read` would stop the whole loop: every other task would wait for one slow peer.
//! So every socket here is non-blocking, registered with the reactor, and each async method is
//! the same three moves: **try** the system call; if the kernel says `WouldBlock`, **forget**
//! the readiness you thought you had and **wait** for the reactor to report a new edge.
//!
//! ```text
//!    TcpListener   TcpStream   UdpSocket          the types you use   (tcp_listener.rs,
//!         └────────────┼────────────┘                                   tcp_stream.rs, udp.rs)
//!                      ▼
//!          Evented<S> { mio source, Registration }   poll_io: try, clear, wait  (evented.rs)
//!                      ▼
//!          reactor: Slab<IoSlot> { readable, writable, reader wakers, writer wakers }
//!                      ▲                                                     (../reactor.rs)
//!          tick step 3: epoll_wait ─► event {token, readable/writable} ─► wake the waiter
//! ```
//!
//! ## Edge-triggered readiness: what it asks of a reader
//!
//! mio registers sockets edge-triggered. The kernel tells the loop "this socket became
//! readable" once, when bytes arrive, not again while they sit unread. A reader therefore
//! keeps calling `read` until `WouldBlock` before it waits again; waiting earlier could wait
//! forever with data in the buffer. And a wake may come for bytes that someone took between
//! the event and the reader's turn; then its next try gets `WouldBlock` and it simply waits
//! again. `evented.rs` applies both rules in one place, and `tests/net.rs` checks them
//! (`a_reader_gets_a_message_larger_than_its_buffer`, `a_wake_for_data_already_read_is_harmless`).
//!
//! ## Two tasks on one socket: every waiter is woken
//!
//! Socket methods take `&self`, so two tasks may share a stream or a listener through an `Rc`:
//! two readers, two writers, two accept loops. There were two honest answers, and we chose
//! the first. **Every waiter is woken**: the reactor keeps a list of wakers per direction, and
//! an edge wakes all of them; each tries its call, one gets the bytes (or the connection) and
//! the others get `WouldBlock` and wait again, the harmless spurious wake described above.
//! The other answer, asyncio's, is to **refuse** the second waiter with "read() called while
//! another coroutine is already waiting". asyncio can do that because its waiter is a future
//! that is removed when it is cancelled. Ours is a bare waker: a read that a `timeout` or a
//! `select` gave up on leaves its waker behind, and nothing tells the reactor. A refusal would
//! then fire on correct programs (a read timed out in one task, the stream handed to another),
//! unless every socket future carried a guard to withdraw its waker when dropped. The list
//! costs less: one allocation the first time a socket waits (the buffer is reused after), one
//! comparison per waiter so a task polled twice waits once, and a wasted try for each task
//! that loses the race. tokio chose the same, a list of waiters per direction.
//! `tests/holes.rs` checks readers, writers and accept loops
//! (`two_tasks_reading_one_stream_are_each_woken` and its two neighbours).
//!
//! ## Sockets and the virtual clock
//!
//! When virtual time may jump is one rule, in timer/driver.rs. What it means for sockets: while
//! a timer exists, the reactor is polled with a *zero* timeout, and if that wakes no task, time
//! jumps to the next deadline.
//!
//! That is exact for I/O between tasks of the same loop over loopback: on Linux a `write` to
//! a loopback socket delivers the bytes to the peer's receive buffer, and marks it readable in
//! epoll, before the `write` call returns; a loopback `connect` completes its handshake the
//! same way. So when the zero-timeout poll runs, every effect of what the loop's own tasks did
//! is already visible, and nothing is "in flight" that the jump could skip over.
//!
//! It is *not* exact for a peer outside the loop (another process, another host, a thread): its
//! reply takes real time, and if a timer exists the loop will jump to that timer instead of
//! waiting for the reply. So under the virtual clock, talk only to peers in the same loop;
//! with real peers, use the real clock. (When no timer exists, the loop blocks in the reactor
//! as usual, so an outside peer is still heard then.)
//!
//! ## Await points
//!
//! Each waiting method (`read`, `accept`, `connect`, `recv_from`, ...) is a `#[track_caller]`
//! function that returns a future, not an `async fn` (which cannot carry the attribute on
//! stable Rust), so it knows the line that awaits it. When it has to wait, `poll_ready` hands
//! that line to the observer, and the task dump, the slow-poll report and step mode's list of
//! I/O waiters say "parked at src/server.rs:40" rather than "parked somewhere".
//!
//! ## Shortcuts, honestly
//!
//! - Addresses, not names: no DNS (it blocks; tokio and asyncio send it to a thread pool).
//! - An edge wakes every waiter of its direction, so a hundred tasks on one socket all wake
//!   for one byte (a thundering herd). Fine for a few; with many, give the socket one owner
//!   task and hand its results out through a channel.
//! - No buffered reader of our own: `TcpStream` implements the `futures-io` traits
//!   (`io_traits.rs`), so `futures::io::BufReader` gives `read_line`; the plain async methods
//!   are the ones to step through in a debugger.
//! - Unix sockets, IPv6 scopes, socket options beyond `nodelay`: not here.
//!
//! asyncio: `loop.sock_*` methods and streams (`open_connection`, `start_server`); tokio:
//! `tokio::net`.
//!
//! Read next: `evented.rs`, then `tcp_stream.rs`.

mod evented;
mod io_traits;
mod registration;
mod tcp_listener;
mod tcp_stream;
mod udp;

pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
