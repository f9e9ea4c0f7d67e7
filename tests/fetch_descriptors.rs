//! The fetch demo's server when the process runs out of file descriptors.
//!
//! This file holds one test on purpose: it lowers the descriptor limit of its own process,
//! which would break any test running beside it in the same binary.

mod common;

use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::{sleep, Instant};
use glassloop::Runtime;
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// The demo's own code, compiled into this test so the server can be probed directly.
#[path = "../demos/fetch.rs"]
#[allow(dead_code)]
mod fetch;

/// What the demos binary provides to every demo (`crate::secs`).
#[allow(dead_code)]
fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// "Too many open files", the error `accept` gets when the process has no descriptor left.
const EMFILE: i32 = 24;

#[test]
fn a_server_out_of_descriptors_lets_other_tasks_run_and_recovers_when_they_free() {
    // A limit well above what the test needs, so that the hog below fills it in a few
    // hundred opens whatever limit the machine started with.
    let limit = getrlimit(Resource::Nofile);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit.maximum.map_or(256, |hard| hard.min(256))),
            maximum: limit.maximum,
        },
    )
    .expect("could not lower this process's descriptor limit");

    let (statuses, woke_at) = common::within(Duration::from_secs(10), "the server", || {
        let rt = Runtime::builder().virtual_clock().build().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = listener.local_addr().unwrap();
            glassloop::spawn(fetch::serve(listener));
            // Three clients connect and send their requests before the server's first turn:
            // a loopback connect and a short write finish without yielding, so the three
            // handshakes wait in the accept queue.
            let mut clients = Vec::new();
            for i in 1..=3 {
                let client = TcpStream::connect(addr).await.unwrap();
                let request = format!("GET /page/{i} HTTP/1.1\r\nHost: x\r\n\r\n");
                client.write_all(request.as_bytes()).await.unwrap();
                clients.push(client);
            }
            // Take every descriptor left, so the server's accept fails with EMFILE.
            let mut hog = Vec::new();
            loop {
                match std::fs::File::open("/dev/null") {
                    Ok(file) => hog.push(file),
                    Err(err) if err.raw_os_error() == Some(EMFILE) => break,
                    Err(err) => panic!("opening /dev/null: {err}"),
                }
            }
            // The server gets its turn now and fails to accept. A server that retried at
            // once would never give the loop back, and this sleep would never end.
            let start = Instant::now();
            sleep(Duration::from_secs(1)).await;
            let woke_at = start.elapsed();
            drop(hog); // descriptors are free again: the server must notice by itself
            let mut statuses = Vec::new();
            for client in clients {
                let mut response = Vec::new();
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = client.read(&mut buf).await {
                    response.extend_from_slice(&buf[..n]);
                }
                let text = String::from_utf8_lossy(&response).into_owned();
                statuses.push(text.split("\r\n").next().unwrap_or_default().to_string());
            }
            (statuses, woke_at)
        })
    });
    assert_eq!(
        woke_at,
        Duration::from_secs(1),
        "the loop ran other tasks on time"
    );
    assert_eq!(statuses, ["HTTP/1.1 200 OK"; 3], "every client was served");
}
