//! # Demo `fetch`: ten slow requests, one after another and then all at once
//!
//! A tiny HTTP/1.1 server runs inside the demo, on 127.0.0.1 with a port the OS picks. It
//! answers every GET after one second (a glassloop `sleep`, not a blocking wait). A client
//! fetches ten URLs one after another (10 s), then all ten at once (1 s): while one request
//! waits, the loop runs the others. Then four requests at once show that failures stay local:
//! a 404, a refused connection, and a request that outlives its timeout do not disturb the one
//! that succeeds.
//!
//! ```text
//!   one after another   [GET 1][GET 2][GET 3] ... [GET 10]          10 s
//!   all at once         [GET 1]
//!                       [GET 2]   ten connections, ten server tasks,  1 s
//!                       [ ... ]   each asleep in the timer wheel
//! ```
//!
//! The server parses requests itself and answers anything it cannot parse (or anything larger
//! than 8 KiB) with `400 Bad Request` and a closed connection, never a crash. It also keeps
//! the two promises a server that faces the network must keep, or one bad client (or one bad
//! minute) freezes it for everyone:
//!
//! - **every client has a deadline**: a client that connects and sends nothing, or drips one
//!   byte a second, gets `408 Request Timeout` after [`REQUEST_DEADLINE`] and a close, instead
//!   of holding a task and a descriptor for hours;
//! - **a failed accept backs off**: out of descriptors, the server pauses before it accepts
//!   again (see [`serve`] for why retrying at once would freeze the whole loop).
//!
//! asyncio: `asyncio.start_server` plus `asyncio.gather` of `open_connection` calls.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::{sleep, timeout, Instant};
use glassloop::Runtime;

use crate::secs;

/// How long the server takes to answer any GET.
pub const ANSWER_DELAY: Duration = Duration::from_secs(1);
/// How long the server takes to answer `/slow`: longer than the client waits.
pub const SLOW_DELAY: Duration = Duration::from_secs(5);
/// How long the client waits for one response in the last part of the demo.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest request head the server reads before answering 400.
pub const MAX_REQUEST: usize = 8 * 1024;
/// How long a client has, from its connection, to deliver its whole request head.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// The pause after a failed accept; it doubles while accepts keep failing, up to
/// [`ACCEPT_BACKOFF_MAX`], and starts over after an accept that works.
pub const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(5);
/// The longest pause between two failed accepts.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How many finished handshakes may wait for `accept`: room for a burst of clients, where
/// `bind`'s 128 would make the surplus retry their handshake a second later.
pub const BACKLOG: u32 = 1024;

// ───────────────────────────── the server ─────────────────────────────

/// Accept connections forever; one task per connection.
///
/// Why an accept error pauses the server: when `accept` fails for want of a descriptor
/// ("Too many open files"), the connection stays in the kernel's queue, so the listener is
/// still readable and the next `accept` fails at once, without ever waiting. A loop that
/// retried at once would spin inside this one poll forever, and since no other task runs
/// meanwhile, none could finish and close the descriptors that would let `accept` work
/// again. Sleeping hands the loop back to them. The pause doubles while the errors go on
/// (Go's `net/http` does the same, from 5 ms to 1 s), so a long shortage costs one log line
/// a second, not thousands.
pub async fn serve(listener: TcpListener) {
    let mut backoff = ACCEPT_BACKOFF_FIRST;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff = ACCEPT_BACKOFF_FIRST;
                glassloop::spawn(handle_connection(stream));
            }
            Err(err) => {
                eprintln!("server: {err}; accepting again in {backoff:?}");
                sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
}

/// One request, one response, then close (`Connection: close`).
async fn handle_connection(stream: TcpStream) {
    // The deadline covers the whole head, not each read: a client sending one byte a second
    // would pass a per-read timeout for ever.
    let head = timeout(REQUEST_DEADLINE, read_request_head(&stream)).await;
    let response = match head {
        Err(_) => request_timeout(),
        Ok(Ok(Some(head))) => match parse_request(&head) {
            Ok(path) => answer(&path).await,
            Err(reason) => bad_request(reason),
        },
        Ok(Ok(None)) => return, // the client left before finishing a request: nobody to answer
        Ok(Err(RequestError::TooLarge)) => bad_request("request head larger than 8 KiB"),
        Ok(Err(RequestError::Broken)) => return, // reset by the client: nobody to answer
    };
    // A client that gave up (timed out) may be gone; that is its business, not an error here.
    let _ = stream.write_all(response.as_bytes()).await;
}

/// Why the server could not read a request head.
#[derive(Debug)]
pub enum RequestError {
    /// More than [`MAX_REQUEST`] bytes without the blank line that ends a head.
    TooLarge,
    /// The connection failed (the client reset it).
    Broken,
}

/// Read up to and including the blank line that ends the head. `Ok(None)`: the client closed
/// before sending one.
pub async fn read_request_head(stream: &TcpStream) -> Result<Option<Vec<u8>>, RequestError> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = find_blank_line(&head) {
            // The limit holds for a head that arrived whole, too: one read can carry the
            // last kilobyte and the blank line together.
            if end > MAX_REQUEST {
                return Err(RequestError::TooLarge);
            }
            head.truncate(end);
            return Ok(Some(head));
        }
        if head.len() > MAX_REQUEST {
            return Err(RequestError::TooLarge);
        }
        match stream
            .read(&mut buf)
            .await
            .map_err(|_| RequestError::Broken)?
        {
            0 if head.is_empty() => return Ok(None),
            0 => return Ok(Some(head)), // cut short: parse what came, it will be malformed
            n => head.extend_from_slice(&buf[..n]),
        }
    }
}

fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Check a request head and return the path of a GET, or why the request is bad.
pub fn parse_request(head: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(head).map_err(|_| "request is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("request line is not METHOD PATH VERSION");
    };
    if !version.starts_with("HTTP/1.") {
        return Err("not an HTTP/1.x request");
    }
    if method != "GET" {
        return Err("only GET is served here");
    }
    if !path.starts_with('/') {
        return Err("path must start with /");
    }
    for header in lines {
        match header.split_once(':') {
            Some((name, _)) if !name.is_empty() && !name.contains(' ') => {}
            _ => return Err("malformed header line"),
        }
    }
    Ok(path.to_string())
}

/// The server's answer to a well-formed GET, after the delay it pretends to need.
async fn answer(path: &str) -> String {
    if path == "/slow" {
        sleep(SLOW_DELAY).await;
    } else {
        sleep(ANSWER_DELAY).await;
    }
    if path.starts_with("/page/") || path == "/slow" {
        response("200 OK", &format!("this is {path}\n"))
    } else {
        response("404 Not Found", &format!("no page at {path}\n"))
    }
}

fn bad_request(reason: &str) -> String {
    response("400 Bad Request", &format!("{reason}\n"))
}

fn request_timeout() -> String {
    let body = format!("no complete request within {}\n", secs(REQUEST_DEADLINE));
    response("408 Request Timeout", &body)
}

fn response(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

// ───────────────────────────── the client ─────────────────────────────

/// What a fetch got back: the status line's code and text, and the body's length.
pub struct Fetched {
    /// e.g. 200.
    pub code: u16,
    /// e.g. "OK".
    pub reason: String,
    /// Bytes of body.
    pub body_len: usize,
}

/// Send `GET path` to `addr` and read the whole response (the server closes after it).
pub async fn fetch(addr: SocketAddr, path: &str) -> io::Result<Fetched> {
    let stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await? {
            0 => break,
            n => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<Fetched> {
    let malformed = || io::Error::new(io::ErrorKind::InvalidData, "malformed HTTP response");
    let end = find_blank_line(raw).ok_or_else(malformed)?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| malformed())?;
    let status_line = head.split("\r\n").next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (_, code, reason) = (parts.next(), parts.next(), parts.next());
    let code = code.and_then(|c| c.parse().ok()).ok_or_else(malformed)?;
    Ok(Fetched {
        code,
        reason: reason.unwrap_or_default().to_string(),
        body_len: raw.len() - end - 4,
    })
}

/// One line about how a fetch went.
fn describe(result: &Result<io::Result<Fetched>, glassloop::time::Elapsed>) -> String {
    match result {
        Ok(Ok(got)) => format!("{} {}, {} bytes", got.code, got.reason, got.body_len),
        Ok(Err(err)) => format!("failed: {}", err.kind()),
        Err(_) => format!("failed: no answer within {}", secs(CLIENT_TIMEOUT)),
    }
}

/// Fetch every path at once, each under the client's timeout; print the results in argument
/// order with the time each finished, measured from `start`.
async fn fetch_all(targets: Vec<(SocketAddr, String)>, start: Instant) {
    let mut handles = Vec::new();
    for (addr, path) in targets.iter().cloned() {
        handles.push(glassloop::spawn(async move {
            let result = timeout(CLIENT_TIMEOUT, fetch(addr, &path)).await;
            (result, start.elapsed())
        }));
    }
    for ((_, path), handle) in targets.iter().zip(handles) {
        let (result, at) = handle.await.expect("a fetch task never panics");
        println!(
            "  GET {path:<12} {:<32} done at {}",
            describe(&result),
            secs(at)
        );
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    runtime.block_on(async {
        let listener = TcpListener::bind_with_backlog("127.0.0.1:0".parse().unwrap(), BACKLOG)
            .expect("could not listen on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        glassloop::spawn(serve(listener));
        println!("server: listening on 127.0.0.1 (port chosen by the OS), every answer takes 1 s");

        println!("ten fetches, one after another:");
        let start = Instant::now();
        for i in 1..=10 {
            let got = fetch(addr, &format!("/page/{i}"))
                .await
                .expect("the demo server answers");
            if i == 1 || i == 10 {
                println!(
                    "  GET /page/{i:<6} {} {} at {}",
                    got.code,
                    got.reason,
                    secs(start.elapsed())
                );
            }
        }
        let one_by_one = start.elapsed();
        println!("  took {}", secs(one_by_one));

        println!("ten fetches, all at once:");
        let start = Instant::now();
        let fetches: Vec<_> = (1..=10)
            .map(|i| glassloop::spawn(async move { fetch(addr, &format!("/page/{i}")).await }))
            .collect();
        let mut ok = 0;
        for handle in fetches {
            if handle
                .await
                .expect("a fetch task never panics")
                .is_ok_and(|got| got.code == 200)
            {
                ok += 1;
            }
        }
        let at_once = start.elapsed();
        println!("  {ok} of 10 answered 200 OK, took {}", secs(at_once));
        println!(
            "speedup: {:.1}x (the loop waited for all ten answers at the same time)",
            one_by_one.as_secs_f64() / at_once.as_secs_f64()
        );

        println!(
            "four fetches at once, each with a {} timeout:",
            secs(CLIENT_TIMEOUT)
        );
        let closed = {
            let probe = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
            probe.local_addr().expect("address") // the port closes when the probe drops
        };
        let start = Instant::now();
        fetch_all(
            vec![
                (addr, "/page/11".to_string()),
                (addr, "/missing".to_string()),
                (closed, "/closed-port".to_string()),
                (addr, "/slow".to_string()),
            ],
            start,
        )
        .await;
        println!(
            "  took {}: the slowest request's timeout, not the sum",
            secs(start.elapsed())
        );
    });
}
