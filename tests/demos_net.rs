//! The socket demos: their whole output under the virtual clock, and the fetch demo's HTTP
//! server against requests written by hand on raw sockets.

mod common;

use std::rc::Rc;
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::Runtime;

/// The demo's own code, compiled into this test so the server can be probed directly.
#[path = "../demos/fetch.rs"]
#[allow(dead_code)]
mod fetch;

/// What the demos binary provides to every demo (`crate::secs`).
fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[test]
fn demo_fetch_takes_ten_seconds_in_turn_one_second_at_once_and_isolates_failures() {
    assert_eq!(
        common::run_demo_virtual("fetch"),
        "server: listening on 127.0.0.1 (port chosen by the OS), every answer takes 1 s\n\
         ten fetches, one after another:\n  \
           GET /page/1      200 OK at 1.000 s\n  \
           GET /page/10     200 OK at 10.000 s\n  \
           took 10.000 s\n\
         ten fetches, all at once:\n  \
           10 of 10 answered 200 OK, took 1.000 s\n\
         speedup: 10.0x (the loop waited for all ten answers at the same time)\n\
         four fetches at once, each with a 2.000 s timeout:\n  \
           GET /page/11     200 OK, 17 bytes                 done at 1.000 s\n  \
           GET /missing     404 Not Found, 20 bytes          done at 1.000 s\n  \
           GET /closed-port failed: connection refused       done at 0.000 s\n  \
           GET /slow        failed: no answer within 2.000 s done at 2.000 s\n  \
           took 2.000 s: the slowest request's timeout, not the sum\n"
    );
}

#[test]
fn demo_echo_drains_each_edge_until_would_block() {
    // Three clients overlap (three connections are open from 0.120 s to 0.150 s); every
    // edge is followed by reads until WouldBlock, and only then by a new wait.
    let expected = "\
[0.040 s] client 1  connected
[0.040 s] listener  readable: a connection waits
[0.040 s] listener  accepted connection 1
[0.040 s] listener  accept: WouldBlock, wait for the next edge
[0.050 s] client 1  sent \"hello from client 1\"
[0.050 s] conn 1    readable
[0.050 s] conn 1    read 19 bytes
[0.050 s] conn 1    writable, wrote 19 bytes back
[0.050 s] conn 1    read: WouldBlock, wait for the next edge
[0.050 s] client 1  got \"hello from client 1\" back
[0.080 s] client 2  connected
[0.080 s] listener  readable: a connection waits
[0.080 s] listener  accepted connection 2
[0.080 s] listener  accept: WouldBlock, wait for the next edge
[0.090 s] client 2  sent \"hello from client 2\"
[0.090 s] conn 2    readable
[0.090 s] conn 2    read 19 bytes
[0.090 s] conn 2    writable, wrote 19 bytes back
[0.090 s] conn 2    read: WouldBlock, wait for the next edge
[0.090 s] client 2  got \"hello from client 2\" back
[0.120 s] client 3  connected
[0.120 s] listener  readable: a connection waits
[0.120 s] listener  accepted connection 3
[0.120 s] listener  accept: WouldBlock, wait for the next edge
[0.130 s] client 3  sent \"hello from client 3\"
[0.130 s] conn 3    readable
[0.130 s] conn 3    read 19 bytes
[0.130 s] conn 3    writable, wrote 19 bytes back
[0.130 s] conn 3    read: WouldBlock, wait for the next edge
[0.130 s] client 3  got \"hello from client 3\" back
[0.150 s] client 1  sent \"bye from client 1\"
[0.150 s] conn 1    readable
[0.150 s] conn 1    read 17 bytes
[0.150 s] conn 1    writable, wrote 17 bytes back
[0.150 s] conn 1    read: WouldBlock, wait for the next edge
[0.150 s] client 1  got \"bye from client 1\" back
[0.150 s] client 1  closes
[0.150 s] conn 1    readable
[0.150 s] conn 1    read 0 bytes: end of stream, close
[0.190 s] client 2  sent \"bye from client 2\"
[0.190 s] conn 2    readable
[0.190 s] conn 2    read 17 bytes
[0.190 s] conn 2    writable, wrote 17 bytes back
[0.190 s] conn 2    read: WouldBlock, wait for the next edge
[0.190 s] client 2  got \"bye from client 2\" back
[0.190 s] client 2  closes
[0.190 s] conn 2    readable
[0.190 s] conn 2    read 0 bytes: end of stream, close
[0.230 s] client 3  sent \"bye from client 3\"
[0.230 s] conn 3    readable
[0.230 s] conn 3    read 17 bytes
[0.230 s] conn 3    writable, wrote 17 bytes back
[0.230 s] conn 3    read: WouldBlock, wait for the next edge
[0.230 s] client 3  got \"bye from client 3\" back
[0.230 s] client 3  closes
[0.230 s] conn 3    readable
[0.230 s] conn 3    read 0 bytes: end of stream, close
[0.240 s] all 3 clients served
";
    assert_eq!(common::run_demo_virtual("echo"), expected);
}

/// Send `request` on a raw connection to a fresh demo server; return the whole response and
/// whether the server closed the connection afterwards.
fn send_raw(request: Vec<u8>) -> (String, bool) {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        glassloop::spawn(fetch::serve(listener));
        let stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer (and close) before reading everything: ignore write errors.
        let _ = stream.write_all(&request).await;
        let mut response = Vec::new();
        let mut buf = [0u8; 1024];
        let closed = loop {
            match stream.read(&mut buf).await {
                Ok(0) => break true,
                Ok(n) => response.extend_from_slice(&buf[..n]),
                Err(_) => break true, // reset: closed, too
            }
        };
        (String::from_utf8_lossy(&response).into_owned(), closed)
    })
}

fn status_line(response: &str) -> &str {
    response.split("\r\n").next().unwrap_or_default()
}

#[test]
fn the_fetch_server_answers_a_well_formed_get() {
    let (response, closed) = send_raw(b"GET /page/7 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec());
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
    assert!(response.ends_with("this is /page/7\n"), "{response}");
    assert!(closed);
}

#[test]
fn malformed_requests_get_400_and_a_closed_connection() {
    let cases: [&[u8]; 6] = [
        b"HELLO\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
        b"GET /page/1 SMTP\r\n\r\n",
        b"GET page HTTP/1.1\r\n\r\n",
        b"GET /page/1 HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /\xff\xfe HTTP/1.1\r\n\r\n",
    ];
    for request in cases {
        let (response, closed) = send_raw(request.to_vec());
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 400 Bad Request",
            "for {:?}",
            String::from_utf8_lossy(request)
        );
        assert!(closed, "the connection stays open after a 400");
    }
}

#[test]
fn a_request_cut_short_gets_400() {
    // The head ends without its blank line when the client closes its writing half.
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let response = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        glassloop::spawn(fetch::serve(listener));
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /page/1 HTT").await.unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut buf = vec![0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    assert_eq!(status_line(&response), "HTTP/1.1 400 Bad Request");
}

#[test]
fn an_oversized_request_gets_400_and_the_server_keeps_serving() {
    let mut huge = b"GET /page/1 HTTP/1.1\r\nX-Padding: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 64 * 1024));
    let (response, closed) = send_raw(huge);
    assert_eq!(status_line(&response), "HTTP/1.1 400 Bad Request");
    assert!(response.contains("larger than 8 KiB"), "{response}");
    assert!(closed);
    // And a server that answered 400 still serves the next client.
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        glassloop::spawn(fetch::serve(listener));
        let bad = TcpStream::connect(addr).await.unwrap();
        let _ = bad.write_all(b"\x00\x01garbage\r\n\r\n").await;
        let good = fetch::fetch(addr, "/page/2").await.unwrap();
        assert_eq!(good.code, 200);
    });
}

#[test]
fn non_get_methods_are_refused_by_the_parser() {
    assert_eq!(
        fetch::parse_request(b"POST /page/1 HTTP/1.1"),
        Err("only GET is served here")
    );
    assert_eq!(
        fetch::parse_request(b"GET /page/1 HTTP/1.1\r\nHost: a"),
        Ok("/page/1".to_string())
    );
}

#[test]
fn demo_streams_echoes_three_lines_and_both_ends_close_in_order() {
    assert_eq!(
        common::run_demo_virtual("streams"),
        "server: serving on a local port (asyncio: start_server)\n\
         client: Send: \"Hello World!\"\n\
         server: Received \"Hello World!\"\n\
         server: Send: \"Hello World!\"\n\
         client: Received: \"Hello World!\"\n\
         client: Send: \"How are you?\"\n\
         server: Received \"How are you?\"\n\
         server: Send: \"How are you?\"\n\
         client: Received: \"How are you?\"\n\
         client: Send: \"Bye.\"\n\
         server: Received \"Bye.\"\n\
         server: Send: \"Bye.\"\n\
         client: Received: \"Bye.\"\n\
         client: Close the connection\n\
         server: end of stream; Close the connection\n\
         client: the server closed too (readline gave \"\")\n\
         \n\
         the map (asyncio -> a program on glassloop, with futures::io):\n\
         \x20 open_connection(host, port)   TcpStream::connect(addr)\n\
         \x20 start_server(cb, host, port)  TcpListener::bind(addr) + accept loop + spawn(cb)\n\
         \x20 await reader.readline()       BufReader::new(&stream).read_line(&mut line)\n\
         \x20 await reader.readexactly(n)   reader.read_exact(&mut buf)\n\
         \x20 writer.write(d); drain()      stream.write_all(d)\n\
         \x20 writer.close()                (&stream).close()\n"
    );
}

/// Connect to a fresh demo server, start `client` on the stream in a task of its own, and
/// meanwhile read until the server closes; return the response and the virtual time at which
/// it closed. Under a deadline: a server that never cuts a client off fails here, not hangs.
fn served_until_closed<F>(what: &str, client: fn(Rc<TcpStream>) -> F) -> (String, Duration)
where
    F: std::future::Future<Output = ()> + 'static,
{
    common::within(Duration::from_secs(10), what, move || {
        let rt = Runtime::builder().virtual_clock().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = listener.local_addr().unwrap();
            glassloop::spawn(fetch::serve(listener));
            let start = glassloop::time::Instant::now();
            let stream = Rc::new(TcpStream::connect(addr).await.unwrap());
            let sender = glassloop::spawn(client(stream.clone()));
            let mut response = Vec::new();
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                response.extend_from_slice(&buf[..n]);
            }
            let closed_at = start.elapsed();
            sender.abort();
            (String::from_utf8_lossy(&response).into_owned(), closed_at)
        })
    })
}

#[test]
fn a_client_that_sends_nothing_gets_408_at_the_request_deadline_and_a_close() {
    let (response, closed_at) = served_until_closed("a silent client", |_stream| async {});
    assert_eq!(status_line(&response), "HTTP/1.1 408 Request Timeout");
    assert_eq!(closed_at, fetch::REQUEST_DEADLINE);
}

#[test]
fn a_client_that_drips_its_request_is_cut_off_at_the_request_deadline() {
    // One byte a second of a head that never ends: far below the 8 KiB limit at the deadline,
    // so only the deadline can end it (a slowloris client).
    let (response, closed_at) = served_until_closed("a dripping client", |stream| async move {
        for _ in 0..fetch::MAX_REQUEST {
            if stream.write_all(b"a").await.is_err() {
                break; // the server closed: stop dripping
            }
            glassloop::time::sleep(Duration::from_secs(1)).await;
        }
    });
    assert_eq!(status_line(&response), "HTTP/1.1 408 Request Timeout");
    assert_eq!(closed_at, fetch::REQUEST_DEADLINE);
}

#[test]
fn a_head_over_8_kib_gets_400_even_when_its_blank_line_arrives_in_the_same_read() {
    // 8,200 bytes and then the blank line: the last read brings both the bytes past the
    // limit and the end of the head.
    let mut head = b"GET /page/1 HTTP/1.1\r\nX-Padding: ".to_vec();
    head.resize(fetch::MAX_REQUEST + 8, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    let (response, closed) = send_raw(head);
    assert_eq!(status_line(&response), "HTTP/1.1 400 Bad Request");
    assert!(closed);
}
