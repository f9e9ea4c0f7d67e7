//! The seven workloads on glassloop. `make` builds the runtime (plain, or with the observer
//! on); only `block_on` is timed.

use super::common::*;
use glassloop::net::{TcpListener, TcpStream};
use glassloop::task::yield_now;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// Run the workload named `key` once on a runtime from `make` and return how long `block_on`
/// took, after checking its result.
pub fn time(key: &str, make: fn() -> glassloop::Runtime) -> Duration {
    let rt = make();
    let (took, (got, expected)) = match key {
        "spawn" => timed(|| {
            let work = spawn_and_sum(SPAWN_TASKS, |i| glassloop::spawn(async move { i }), ok);
            (rt.block_on(work), sum_below(SPAWN_TASKS))
        }),
        "yields" => timed(|| {
            let work = spawn_and_sum(YIELD_TASKS, |_| glassloop::spawn(yield_many(yield_now)), ok);
            (rt.block_on(work), YIELD_TASKS * YIELDS_PER_TASK)
        }),
        "channel" => timed(|| (rt.block_on(round_trips()), sum_below(ROUND_TRIPS))),
        "timers" => timed(|| {
            let work = spawn_and_sum(
                TIMERS,
                |i| {
                    glassloop::spawn(async move {
                        glassloop::time::sleep(timer_delay(i)).await;
                        1
                    })
                },
                ok,
            );
            (rt.block_on(work), TIMERS)
        }),
        "timeouts" => timed(|| {
            let work = count_timeouts(|ready| glassloop::time::timeout(NEVER, ready));
            (rt.block_on(work), TIMEOUTS)
        }),
        "echo" => timed(|| (rt.block_on(echo()), ECHOED_BYTES)),
        _ => panic!("glassloop has no timed workload {key:?}"),
    };
    check(key, got, expected);
    took
}

/// Resident bytes per idle task.
pub fn idle_memory(make: fn() -> glassloop::Runtime) -> f64 {
    make().block_on(super::common::idle_memory(
        |polled| glassloop::spawn(idle(polled)),
        yield_now,
    ))
}

fn ok(joined: Result<u64, glassloop::JoinError>) -> u64 {
    joined.expect("a benchmark task never fails")
}

/// One task sends 0..ROUND_TRIPS one at a time on a channel of one slot; another sends each
/// back on a second channel; the first adds up what comes back.
async fn round_trips() -> u64 {
    use glassloop::sync::mpsc::channel;
    let (to_echo, mut from_pinger) = channel::<u64>(1);
    let (to_pinger, mut from_echo) = channel::<u64>(1);
    glassloop::spawn(async move {
        while let Some(n) = from_pinger.recv().await {
            to_pinger.send(n).await.unwrap();
        }
    });
    let pinger = glassloop::spawn(async move {
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
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    glassloop::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            glassloop::spawn(echo_back(stream));
        }
    });
    let spawn_client = |_| glassloop::spawn(ping_pong::<TcpStream>(addr));
    spawn_and_sum(CLIENTS, spawn_client, ok).await
}

impl EchoStream for TcpStream {
    async fn connect_to(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read(buf).await
    }
    async fn write_all_of(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all(buf).await
    }
    async fn read_exactly(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.read_exact(buf).await
    }
}
