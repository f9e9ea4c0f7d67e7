//! Sockets: every method of TcpListener, TcpStream and UdpSocket, the errors a peer can cause,
//! edge-triggered readiness, and many connections at once. Each test is named after its rule.

mod common;
use common::{localhost, pair, virtual_runtime, WakeCounter};

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream, UdpSocket};
use glassloop::time::{sleep, timeout, Instant};
use glassloop::Runtime;

// ───────────────────────────── methods and addresses ─────────────────────────────

#[test]
fn both_ends_of_a_connection_agree_on_their_addresses() {
    virtual_runtime().block_on(async {
        let listener = TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        assert_ne!(
            addr.port(),
            0,
            "port 0 must be replaced by the port the OS chose"
        );
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        assert_eq!(server.local_addr().unwrap(), addr);
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    });
}

#[test]
fn bytes_arrive_in_order_through_write_write_all_read_and_read_exact() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        client.set_nodelay(true).unwrap();
        assert_eq!(client.write(b"abc").await.unwrap(), 3);
        client.write_all(b"defgh").await.unwrap();
        let mut buf = [0u8; 8];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abcdefgh");
        server.write_all(b"xyz").await.unwrap();
        let mut small = [0u8; 16];
        let n = client.read(&mut small).await.unwrap();
        assert_eq!(&small[..n], b"xyz");
    });
}

#[test]
fn shutting_down_the_writing_half_makes_the_peer_read_end_of_stream() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        client.write_all(b"last words").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut buf = [0u8; 64];
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"last words");
        assert_eq!(
            server.read(&mut buf).await.unwrap(),
            0,
            "end of stream reads 0"
        );
        // The other direction still works after a half close.
        server.write_all(b"ack").await.unwrap();
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ack");
    });
}

#[test]
fn read_exact_cut_short_by_end_of_stream_says_how_much_arrived() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        client.write_all(b"abc").await.unwrap();
        drop(client);
        let mut buf = [0u8; 10];
        let err = server.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("after 3 of 10 bytes"), "{err}");
    });
}

#[test]
fn readable_waits_for_an_edge_and_try_read_until_would_block_uses_it_up() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        let mut buf = [0u8; 4];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        client.write_all(b"0123456789").await.unwrap();
        server.readable().await.unwrap();
        let mut got = Vec::new();
        loop {
            match server.try_read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"0123456789");
        server.writable().await.unwrap();
        assert_eq!(server.try_write(b"ok").unwrap(), 2);
        // The edge is used up: readable() now waits until the peer sends again.
        let waiting = timeout(Duration::from_secs(1), server.readable()).await;
        assert!(
            waiting.is_err(),
            "readable() returned with nothing new to read"
        );
    });
}

// ───────────────────────────── edge triggering ─────────────────────────────

#[test]
fn a_reader_gets_a_message_larger_than_its_buffer() {
    const SIZE: usize = 1 << 20;
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        let writer = glassloop::spawn(async move {
            let message: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
            client.write_all(&message).await.unwrap();
            client // keep it open until the reader is done
        });
        let mut buf = [0u8; 4096];
        let mut received = Vec::with_capacity(SIZE);
        let mut reads = 0;
        while received.len() < SIZE {
            let n = server.read(&mut buf).await.unwrap();
            assert!(n > 0, "end of stream after {} bytes", received.len());
            received.extend_from_slice(&buf[..n]);
            reads += 1;
        }
        assert!(
            reads >= SIZE / buf.len(),
            "each read fills at most one buffer"
        );
        assert!(received
            .iter()
            .enumerate()
            .all(|(i, b)| *b == (i % 251) as u8));
        drop(writer.await.unwrap());
    });
}

#[test]
fn a_wake_for_data_already_read_is_harmless() {
    let rt = virtual_runtime();
    let (client, server) = rt.block_on(pair());
    let server = Rc::new(server);
    let got = Rc::new(RefCell::new(Vec::<Vec<u8>>::new()));
    let (reader_side, record) = (server.clone(), got.clone());
    // `step()` never waits for the socket: it only looks, so every step here returns.
    rt.spawn(async move {
        let mut buf = [0u8; 16];
        let n = reader_side.read(&mut buf).await.unwrap();
        record.borrow_mut().push(buf[..n].to_vec());
    });
    // Step 1: the reader finds nothing and waits.
    assert_eq!(rt.step().polled, 1, "the reader");
    // "one" arrives; step 2 harvests the edge and wakes the reader, which is now queued.
    // (Written with try_write from outside: `block_on` would drop the spawned tasks when it
    // returns, as asyncio.run does.)
    assert_eq!(client.try_write(b"one").unwrap(), 3);
    let tick = rt.step();
    assert!(
        tick.io_events >= 1,
        "the edge for \"one\" must arrive: {tick:?}"
    );
    // Before the reader runs, someone else takes the bytes (here: the test itself).
    let mut stolen = [0u8; 16];
    assert_eq!(server.try_read(&mut stolen).unwrap(), 3);
    // Step 3: the reader is polled for a wake whose data is gone. It tries, gets WouldBlock,
    // and waits again: no end of stream, no error, no busy loop.
    let tick = rt.step();
    assert_eq!(tick.polled, 1, "the woken reader was polled");
    assert!(
        got.borrow().is_empty(),
        "the reader returned {:?}",
        got.borrow()
    );
    assert_eq!(
        rt.step().polled,
        0,
        "and it is not polled again until new bytes come"
    );
    // New bytes are still heard.
    assert_eq!(client.try_write(b"two").unwrap(), 3);
    for _ in 0..10 {
        if !got.borrow().is_empty() {
            break;
        }
        rt.step();
    }
    assert_eq!(*got.borrow(), vec![b"two".to_vec()]);
}

#[test]
fn one_task_reads_while_another_writes_the_same_stream() {
    // Both sides write 2 MiB before reading anything back. If reading and writing shared one
    // readiness flag or one waker, the writers would fill both send buffers and wait forever.
    const SIZE: usize = 2 << 20;
    virtual_runtime().block_on(async {
        let (a, b) = pair().await;
        let (a, b) = (Rc::new(a), Rc::new(b));
        let mut handles = Vec::new();
        for stream in [a.clone(), b.clone()] {
            let writer = stream.clone();
            handles.push(glassloop::spawn(async move {
                writer.write_all(&vec![7u8; SIZE]).await.unwrap();
                0
            }));
            handles.push(glassloop::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut total = 0;
                while total < SIZE {
                    total += stream.read(&mut buf).await.unwrap();
                }
                total
            }));
        }
        let mut read = 0;
        for handle in handles {
            read += handle.await.unwrap();
        }
        assert_eq!(read, 2 * SIZE);
    });
}

// ───────────────────────────── dropping ─────────────────────────────

#[test]
fn a_dropped_socket_never_wakes_its_waiter() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        let (kept_client, kept_server) = pair().await;
        let dropped_waker = WakeCounter::new();
        let kept_waker = WakeCounter::new();
        for (stream, counter) in [(&server, &dropped_waker), (&kept_server, &kept_waker)] {
            let mut buf = [0u8; 8];
            let read = pin!(stream.read(&mut buf));
            assert!(counter.poll(read).is_pending(), "nothing was sent yet");
        }
        drop(server);
        client.write_all(b"late").await.unwrap();
        kept_client.write_all(b"late").await.unwrap();
        sleep(Duration::from_millis(10)).await; // a few ticks, with reactor polls
        assert_eq!(
            kept_waker.wakes(),
            1,
            "the control socket's waiter is woken"
        );
        assert_eq!(dropped_waker.wakes(), 0, "a dropped socket woke its waiter");
    });
}

// ───────────────────────────── errors ─────────────────────────────

#[test]
fn connecting_to_a_closed_port_is_refused_and_the_error_names_the_address() {
    virtual_runtime().block_on(async {
        let addr = TcpListener::bind(localhost())
            .unwrap()
            .local_addr()
            .unwrap(); // closed now
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert!(
            err.to_string().contains(&format!("connecting to {addr}")),
            "{err}"
        );
    });
}

/// How many of `attempts` connects to `addr` finish their handshake inside the `connect` call
/// itself. On loopback a handshake the accept queue has room for completes before `connect`
/// returns; one it has no room for is dropped by the kernel and stays "in progress".
fn handshakes_completed_at_once(addr: SocketAddr, attempts: usize) -> usize {
    let streams: Vec<_> = (0..attempts)
        .map(|_| mio::net::TcpStream::connect(addr).unwrap())
        .collect();
    // A socket whose handshake finished has a peer; one still waiting is NotConnected.
    streams.iter().filter(|s| s.peer_addr().is_ok()).count()
}

#[test]
#[cfg(target_os = "linux")]
fn a_listeners_accept_queue_holds_the_backlog_it_was_bound_with() {
    virtual_runtime().block_on(async {
        // Linux queues one connection more than the backlog (it refuses only when the queue
        // is *over* the limit), so a backlog of 3 takes 4 handshakes and drops the rest.
        let small = TcpListener::bind_with_backlog(localhost(), 3).unwrap();
        assert_eq!(
            handshakes_completed_at_once(small.local_addr().unwrap(), 10),
            4
        );
        // `bind` keeps the usual backlog of 128: ten connects all fit.
        let usual = TcpListener::bind(localhost()).unwrap();
        assert_eq!(
            handshakes_completed_at_once(usual.local_addr().unwrap(), 10),
            10
        );
        // And a listener with a small backlog still accepts as usual.
        let (_, peer) = small.accept().await.unwrap();
        assert_eq!(peer.ip(), localhost().ip());
    });
}

#[test]
fn a_connect_the_listener_cannot_take_yet_waits_for_writability_without_blocking_the_loop() {
    // Real clock: this waits for the kernel's SYN retry (about one second).
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nobody accepts, so the accept queue fills up; a handshake beyond it cannot finish.
        let mut queued = Vec::new();
        loop {
            match timeout(Duration::from_millis(50), TcpStream::connect(addr)).await {
                Ok(stream) => queued.push(stream.unwrap()),
                Err(_) => break, // this connect is still waiting: the queue is full
            }
            assert!(queued.len() < 10_000, "the accept queue never filled");
        }
        // A connect now waits for its handshake. Meanwhile another task keeps running.
        let connecting = glassloop::spawn(TcpStream::connect(addr));
        let ticks = Rc::new(Cell::new(0));
        let counter = ticks.clone();
        let ticker = glassloop::spawn(async move {
            loop {
                sleep(Duration::from_millis(10)).await;
                counter.set(counter.get() + 1);
            }
        });
        sleep(Duration::from_millis(100)).await;
        // Make room: accept everything queued so far.
        for _ in 0..queued.len() {
            drop(listener.accept().await.unwrap());
        }
        let stream = timeout(Duration::from_secs(10), connecting)
            .await
            .expect("the waiting connect finished once the queue had room")
            .unwrap()
            .expect("the connect succeeded");
        assert_eq!(stream.peer_addr().unwrap(), addr);
        assert!(
            ticks.get() >= 5,
            "the loop kept running while connect waited"
        );
        ticker.abort();
        drop(queued);
    });
}

#[test]
fn binding_an_address_in_use_fails_and_the_error_names_the_address() {
    virtual_runtime().block_on(async {
        let taken = TcpListener::bind(localhost()).unwrap();
        let addr = taken.local_addr().unwrap();
        let err = TcpListener::bind(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        assert!(
            err.to_string().contains(&format!("binding to {addr}")),
            "{err}"
        );
        let udp = UdpSocket::bind(localhost()).unwrap();
        let err = UdpSocket::bind(udp.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    });
}

/// A connection whose server side is closed with unread bytes in its receive buffer: on Linux
/// that close sends a reset (RST) instead of an orderly end of stream, the same effect as
/// SO_LINGER 0, without needing that option.
async fn reset_by_peer() -> (TcpStream, SocketAddr) {
    let (client, server) = pair().await;
    client.write_all(b"never read").await.unwrap();
    server.readable().await.unwrap(); // the bytes are in the server's buffer
    let server_addr = server.local_addr().unwrap();
    drop(server);
    (client, server_addr)
}

#[test]
fn a_reset_during_a_read_is_an_error_that_names_the_peer() {
    virtual_runtime().block_on(async {
        let (client, server_addr) = reset_by_peer().await;
        let mut buf = [0u8; 16];
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        assert!(
            err.to_string()
                .contains(&format!("reading from {server_addr}")),
            "{err}"
        );
    });
}

#[test]
fn a_reset_during_a_write_is_an_error_that_names_the_peer() {
    virtual_runtime().block_on(async {
        let (client, server_addr) = reset_by_peer().await;
        let chunk = vec![0u8; 64 * 1024];
        let mut err = None;
        for _ in 0..100 {
            if let Err(e) = client.write_all(&chunk).await {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("writing to a reset connection kept succeeding");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("writing to {server_addr}")),
            "{err}"
        );
    });
}

#[test]
fn using_a_socket_outside_a_runtime_panics_with_advice() {
    let err = std::panic::catch_unwind(|| TcpListener::bind(localhost())).unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(message.contains("outside a glassloop runtime"), "{message}");
    assert!(message.contains("glassloop::run"), "{message}");
}

// ───────────────────────────── UDP ─────────────────────────────

#[test]
fn udp_datagrams_arrive_whole_with_their_sender() {
    virtual_runtime().block_on(async {
        let a = UdpSocket::bind(localhost()).unwrap();
        let b = UdpSocket::bind(localhost()).unwrap();
        let b_addr = b.local_addr().unwrap();
        assert_eq!(a.send_to(b"first", b_addr).await.unwrap(), 5);
        assert_eq!(a.send_to(b"second", b_addr).await.unwrap(), 6);
        let mut buf = [0u8; 64];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"first"[..], a.local_addr().unwrap()));
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second", "datagram boundaries are kept");
    });
}

#[test]
fn a_connected_udp_socket_sends_and_hears_only_its_peer() {
    virtual_runtime().block_on(async {
        let a = UdpSocket::bind(localhost()).unwrap();
        let b = UdpSocket::bind(localhost()).unwrap();
        let stranger = UdpSocket::bind(localhost()).unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        stranger
            .send_to(b"noise", a.local_addr().unwrap())
            .await
            .unwrap();
        b.send_to(b"hello a", a.local_addr().unwrap())
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(
            &buf[..n],
            b"hello a",
            "the stranger's datagram is filtered out"
        );
        a.send(b"hello b").await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&b"hello b"[..], a.local_addr().unwrap())
        );
    });
}

// ───────────────────────────── the virtual clock ─────────────────────────────

#[test]
fn loopback_bytes_are_never_skipped_by_a_virtual_time_jump() {
    const ROUNDS: u32 = 20;
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        let start = Instant::now();
        let _replier = glassloop::spawn(async move {
            for _ in 0..ROUNDS {
                let mut buf = [0u8; 4];
                server.read_exact(&mut buf).await.unwrap();
                sleep(Duration::from_secs(1)).await;
                server.write_all(&buf).await.unwrap();
            }
            server
        });
        let mut arrived_at = Vec::new();
        for round in 0..ROUNDS {
            // A 60 s timer exists the whole time, so the loop polls the reactor with a zero
            // timeout and would jump to 60 s if it missed bytes in flight.
            let round_trip = async {
                client.write_all(&round.to_le_bytes()).await.unwrap();
                let mut buf = [0u8; 4];
                client.read_exact(&mut buf).await.unwrap();
                buf
            };
            let echoed = timeout(Duration::from_secs(60), round_trip).await;
            assert_eq!(echoed.unwrap(), round.to_le_bytes());
            arrived_at.push(start.elapsed());
        }
        let expected: Vec<Duration> = (1..=ROUNDS as u64).map(Duration::from_secs).collect();
        assert_eq!(arrived_at, expected);
    });
}

// ───────────────────────────── many connections ─────────────────────────────

#[test]
fn a_thousand_concurrent_connections_echo_without_loss() {
    const CLIENTS: usize = 1000;
    const MESSAGES: usize = 10;
    let rt = Runtime::new().unwrap();
    let started = std::time::Instant::now();
    rt.block_on(async {
        let listener = TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Rc::new(Cell::new(0usize));
        let most_open = Rc::new(Cell::new(0usize));
        let (open_s, most_s) = (open.clone(), most_open.clone());
        let _server = glassloop::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                open_s.set(open_s.get() + 1);
                most_s.set(most_s.get().max(open_s.get()));
                let open = open_s.clone();
                glassloop::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        match stream.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => stream.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                    open.set(open.get() - 1);
                });
            }
        });
        // Connect one by one, yielding after each so the server accepts as we go: a loopback
        // connect completes without waiting, so without the yield all 1,000 handshakes would
        // pile up in the listener's backlog of 128 and the surplus would be dropped by the
        // kernel and retried a second later. Keep every connection open, then let all of
        // them talk at once.
        let mut streams = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            streams.push(TcpStream::connect(addr).await.unwrap());
            glassloop::task::yield_now().await;
        }
        let mut clients = Vec::new();
        for (id, stream) in streams.into_iter().enumerate() {
            clients.push(glassloop::spawn(async move {
                let mut echoed = 0;
                for m in 0..MESSAGES {
                    let message = format!("client {id:04} message {m:02}");
                    stream.write_all(message.as_bytes()).await.unwrap();
                    let mut buf = vec![0u8; message.len()];
                    stream.read_exact(&mut buf).await.unwrap();
                    assert_eq!(buf, message.as_bytes(), "an echo came back changed");
                    echoed += 1;
                }
                echoed
            }));
        }
        let mut total = 0;
        for client in clients {
            total += client.await.unwrap();
        }
        assert_eq!(total, CLIENTS * MESSAGES);
        assert_eq!(
            most_open.get(),
            CLIENTS,
            "all connections were open at the same time"
        );
    });
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "1,000 echoing connections took {took:?}"
    );
}

#[test]
fn a_socket_wait_lets_other_tasks_run() {
    virtual_runtime().block_on(async {
        let (client, server) = pair().await;
        let ran = Rc::new(Cell::new(0));
        let counter = ran.clone();
        let other = glassloop::spawn(async move {
            for _ in 0..3 {
                counter.set(counter.get() + 1);
                glassloop::task::yield_now().await;
            }
        });
        let mut buf = [0u8; 4];
        let mut read = pin!(server.read(&mut buf));
        let first = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        other.await.unwrap();
        assert_eq!(ran.get(), 3, "the other task ran while the read waited");
        client.write_all(b"done").await.unwrap();
        assert_eq!(read.await.unwrap(), 4);
    });
}

#[test]
fn a_short_read_waits_for_the_next_edge_and_still_sees_later_bytes_and_the_end() {
    // A read that gets fewer bytes than it asked for clears the read readiness (net/evented.rs,
    // "Readiness used up is readiness cleared"): the next read waits for an edge instead of
    // trying. Nothing may be lost by it: bytes that come later wake it, and the end of the
    // stream, even when it came in the same event as the last bytes, is still read as Ok(0).
    common::within(Duration::from_secs(10), "a short read", || {
        Runtime::new().unwrap().block_on(async {
            let (client, server) = pair().await;
            let mut buf = [0u8; 1024];
            client.write_all(b"abc").await.unwrap();
            assert_eq!(server.read(&mut buf).await.unwrap(), 3); // short: the buffer is empty
            let writer = glassloop::spawn(async move {
                sleep(Duration::from_millis(5)).await;
                client.write_all(b"defg").await.unwrap();
                sleep(Duration::from_millis(5)).await;
                client.write_all(b"hi").await.unwrap();
                drop(client); // "hi" and the end of the stream may share one event
            });
            assert_eq!(server.read(&mut buf).await.unwrap(), 4);
            assert_eq!(&buf[..4], b"defg");
            let mut rest = Vec::new();
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                rest.extend_from_slice(&buf[..n]);
            }
            assert_eq!(rest, b"hi");
            assert_eq!(
                server.read(&mut buf).await.unwrap(),
                0,
                "the end of the stream stays"
            );
            writer.await.unwrap();
        })
    });
}
