//! The seven workloads on tokio's `current_thread` runtime: one thread, like glassloop, built
//! with `enable_all()` since glassloop always has its reactor and timer wheel.

use super::common::*;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::yield_now;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio could not create its runtime")
}

/// Run the workload named `key` once on a new runtime and return how long `block_on` took,
/// after checking its result.
pub fn time(key: &str) -> Duration {
    let rt = runtime();
    let (took, (got, expected)) = match key {
        "spawn" => timed(|| {
            let work = spawn_and_sum(SPAWN_TASKS, |i| tokio::spawn(async move { i }), ok);
            (rt.block_on(work), sum_below(SPAWN_TASKS))
        }),
        "yields" => timed(|| {
            let work = spawn_and_sum(YIELD_TASKS, |_| tokio::spawn(yield_many(yield_now)), ok);
            (rt.block_on(work), YIELD_TASKS * YIELDS_PER_TASK)
        }),
        "channel" => timed(|| (rt.block_on(round_trips()), sum_below(ROUND_TRIPS))),
        "timers" => timed(|| {
            let work = spawn_and_sum(
                TIMERS,
                |i| {
                    tokio::spawn(async move {
                        tokio::time::sleep(timer_delay(i)).await;
                        1
                    })
                },
                ok,
            );
            (rt.block_on(work), TIMERS)
        }),
        "timeouts" => timed(|| {
            let work = count_timeouts(|ready| tokio::time::timeout(NEVER, ready));
            (rt.block_on(work), TIMEOUTS)
        }),
        "echo" => timed(|| (rt.block_on(echo()), ECHOED_BYTES)),
        _ => panic!("tokio has no timed workload {key:?}"),
    };
    check(key, got, expected);
    took
}

/// Resident bytes per idle task.
pub fn idle_memory() -> f64 {
    runtime().block_on(super::common::idle_memory(
        |polled| tokio::spawn(idle(polled)),
        yield_now,
    ))
}

fn ok(joined: Result<u64, tokio::task::JoinError>) -> u64 {
    joined.expect("a benchmark task never fails")
}

/// The same two tasks and two one-slot channels as on glassloop.
async fn round_trips() -> u64 {
    use tokio::sync::mpsc::channel;
    let (to_echo, mut from_pinger) = channel::<u64>(1);
    let (to_pinger, mut from_echo) = channel::<u64>(1);
    tokio::spawn(async move {
        while let Some(n) = from_pinger.recv().await {
            to_pinger.send(n).await.unwrap();
        }
    });
    let pinger = tokio::spawn(async move {
        let mut sum = 0;
        for i in 0..ROUND_TRIPS {
            to_echo.send(i).await.unwrap();
            sum += from_echo.recv().await.unwrap();
        }
        sum
    });
    ok(pinger.await)
}

async fn echo() -> u64 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(echo_back(stream));
        }
    });
    let spawn_client = |_| tokio::spawn(ping_pong::<TcpStream>(addr));
    spawn_and_sum(CLIENTS, spawn_client, ok).await
}

impl EchoStream for TcpStream {
    async fn connect_to(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        tokio::io::AsyncReadExt::read(self, buf).await
    }
    async fn write_all_of(&mut self, buf: &[u8]) -> io::Result<()> {
        tokio::io::AsyncWriteExt::write_all(self, buf).await
    }
    async fn read_exactly(&mut self, buf: &mut [u8]) -> io::Result<()> {
        tokio::io::AsyncReadExt::read_exact(self, buf)
            .await
            .map(drop)
    }
}
