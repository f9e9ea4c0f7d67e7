//! The fetch demo's server against thousands of random and malformed requests.
//!
//! Seeded, so a failure replays: the seed is in the failure message, and
//! `GLASSLOOP_FUZZ_SEED=N cargo test --test fetch_fuzz` runs that seed again. The rule under
//! test: every connection ends with a status line or a close, never a panic, and never a
//! stall of the other connections. Under the virtual clock the 1 s answers and the request
//! deadline cost no real time, so a few thousand requests take a few seconds.
//!
//! This file holds one test on purpose: it counts panics with a process-wide panic hook.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::{sleep, timeout, Instant};
use glassloop::Runtime;

/// The demo's own code, compiled into this test so the server can be probed directly.
#[path = "../demos/fetch.rs"]
#[allow(dead_code)]
mod fetch;

/// What the demos binary provides to every demo (`crate::secs`).
#[allow(dead_code)]
fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

const DEFAULT_SEED: u64 = 0x6c61_7373_6c6f_6f70;
const REQUESTS: usize = 3_000;
/// Connections open at once: two descriptors each, well under a default limit of 1,024.
const WAVE: usize = 150;

/// SplitMix64: a few lines, good enough to pick test cases, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// What a client sends, and so what it may get back.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// A well-formed GET: 200 or 404.
    Valid,
    /// A well-formed GET with a few bytes changed, removed or added: any status, or a close.
    Mutated,
    /// Random bytes: any status, or a close.
    Random,
    /// A head past the 8 KiB limit: 400, or a close (the server closes with bytes unread,
    /// and the kernel may then reset the connection before the client reads the 400).
    Oversized,
    /// The start of a head, then nothing, the connection left open: 408.
    Stalled,
    /// Part of a head, then the writing half closed: any status, or a close.
    CutShort,
    /// Sends, then goes away without reading: nothing to check but the server's health.
    Abandoned,
}

const SHAPES: [Shape; 7] = [
    Shape::Valid,
    Shape::Mutated,
    Shape::Random,
    Shape::Oversized,
    Shape::Stalled,
    Shape::CutShort,
    Shape::Abandoned,
];

fn valid_request(rng: &mut Rng) -> Vec<u8> {
    let path = match rng.below(3) {
        0 => format!("/page/{}", rng.below(100)),
        1 => format!("/missing/{}", rng.below(100)),
        _ => "/".to_string(),
    };
    let extra = if rng.below(2) == 0 {
        "Accept: */*\r\n"
    } else {
        ""
    };
    format!("GET {path} HTTP/1.1\r\nHost: fuzz\r\n{extra}\r\n").into_bytes()
}

/// The bytes for one client of `shape`.
fn request(shape: Shape, rng: &mut Rng) -> Vec<u8> {
    match shape {
        Shape::Valid | Shape::Abandoned => valid_request(rng),
        Shape::Mutated => {
            let mut bytes = valid_request(rng);
            for _ in 0..=rng.below(3) {
                let at = rng.below(bytes.len());
                let nasty = [b' ', b'\r', b'\n', b':', 0xff, 0, rng.byte()];
                match rng.below(3) {
                    0 => bytes[at] = nasty[rng.below(nasty.len())],
                    1 => drop(bytes.remove(at)),
                    _ => bytes.insert(at, nasty[rng.below(nasty.len())]),
                }
            }
            bytes
        }
        Shape::Random => {
            let mut bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.byte()).collect();
            // Most random heads must end, or they would all be 408s.
            if rng.below(4) != 0 {
                bytes.extend_from_slice(b"\r\n\r\n");
            }
            bytes
        }
        Shape::Oversized => {
            let mut bytes = b"GET /page/1 HTTP/1.1\r\nX-Big: ".to_vec();
            bytes.resize(
                fetch::MAX_REQUEST + 1 + rng.below(3 * fetch::MAX_REQUEST),
                b'a',
            );
            if rng.below(2) == 0 {
                bytes.extend_from_slice(b"\r\n\r\n");
            }
            bytes
        }
        Shape::Stalled | Shape::CutShort => {
            let mut bytes = valid_request(rng);
            bytes.truncate(rng.below(bytes.len() - 3)); // never the whole blank line
            bytes
        }
    }
}

/// Send `bytes` in one to four pieces, with pauses under 2 (virtual) seconds between them:
/// at most 6 s in all, well inside the request deadline.
async fn send_in_pieces(stream: &TcpStream, bytes: &[u8], rng: &mut Rng) {
    let mut cuts: Vec<usize> = (0..rng.below(4))
        .map(|_| rng.below(bytes.len() + 1))
        .collect();
    cuts.sort_unstable();
    cuts.push(bytes.len());
    let mut from = 0;
    for (i, &to) in cuts.iter().enumerate() {
        if i > 0 {
            sleep(Duration::from_millis(rng.below(2_000) as u64)).await;
        }
        if stream.write_all(&bytes[from..to]).await.is_err() {
            return; // the server answered and closed already: fine
        }
        from = to;
    }
}

/// One client from start to end; `Err` says which rule it broke.
async fn client(addr: SocketAddr, shape: Shape, mut rng: Rng) -> Result<(), String> {
    let bytes = request(shape, &mut rng);
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("connect: {err}"))?;
    send_in_pieces(&stream, &bytes, &mut rng).await;
    match shape {
        Shape::Abandoned => return Ok(()),
        Shape::CutShort => {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        _ => {}
    }
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    // Ok(0) is the server's close; an error here is a reset, a close too.
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        response.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&response);
    let status = text.split("\r\n").next().unwrap_or_default();
    let code = status
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    let allowed: &[u16] = match shape {
        Shape::Valid => &[200, 404],
        Shape::Oversized => &[400],
        Shape::Stalled => &[408],
        _ => &[200, 400, 404, 408],
    };
    let may_close_silently = !matches!(shape, Shape::Valid | Shape::Stalled);
    match code {
        None if response.is_empty() && may_close_silently => Ok(()),
        Some(code) if allowed.contains(&code) && text.contains("Connection: close\r\n") => Ok(()),
        _ => Err(format!("answered {status:?} ({} bytes)", response.len())),
    }
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn random_and_malformed_requests_each_get_a_status_or_a_close_and_never_stall_the_others() {
    let seed = std::env::var("GLASSLOOP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    // Count every panic in this process: a connection task that panicked would otherwise
    // look like a close to its client.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        report(info);
    }));

    let failures = common::within(Duration::from_secs(60), "the fuzz run", move || {
        let rt = Runtime::builder().virtual_clock().build().unwrap();
        rt.block_on(async move {
            // The demo's backlog: a wave's connects all land in the accept queue at once.
            // With `bind`'s 128 the surplus would wait for the kernel's retry a real second
            // later, and the virtual clock would jump past it (net/mod.rs).
            let listener =
                TcpListener::bind_with_backlog("127.0.0.1:0".parse().unwrap(), fetch::BACKLOG)
                    .unwrap();
            let addr = listener.local_addr().unwrap();
            glassloop::spawn(fetch::serve(listener));
            let mut rng = Rng(seed);
            let mut failures = Vec::new();
            // Longer than any well-behaved exchange can take: the request deadline, plus the
            // slowest answer, plus slack. A client still waiting then is a stall.
            let patience = fetch::REQUEST_DEADLINE + fetch::SLOW_DELAY + Duration::from_secs(5);
            for wave in 0..REQUESTS / WAVE {
                let clients: Vec<_> = (0..WAVE)
                    .map(|i| {
                        let shape = SHAPES[rng.below(SHAPES.len())];
                        let case = Rng(rng.next());
                        let n = wave * WAVE + i;
                        glassloop::spawn(async move {
                            let outcome = timeout(patience, client(addr, shape, case)).await;
                            match outcome {
                                Ok(Ok(())) => Ok(()),
                                Ok(Err(why)) => Err(format!("request {n} ({shape:?}): {why}")),
                                Err(_) => {
                                    Err(format!("request {n} ({shape:?}): no end in {patience:?}"))
                                }
                            }
                        })
                    })
                    .collect();
                // Alongside every wave, one plain GET: the others must not delay it.
                let start = Instant::now();
                let plain = fetch::fetch(addr, "/page/1").await;
                if !matches!(&plain, Ok(got) if got.code == 200)
                    || start.elapsed() != fetch::ANSWER_DELAY
                {
                    failures.push(format!(
                        "wave {wave}: a plain GET beside it took {:?}",
                        start.elapsed()
                    ));
                }
                for handle in clients {
                    match handle.await {
                        Ok(Ok(())) => {}
                        Ok(Err(why)) => failures.push(why),
                        Err(err) => failures.push(format!("a client task failed: {err}")),
                    }
                }
            }
            failures
        })
    });
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {REQUESTS} connections broke the rule (replay with \
         GLASSLOOP_FUZZ_SEED={seed}):\n  {}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "seed {seed}: something panicked"
    );
}
