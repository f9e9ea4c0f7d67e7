//! The seven workloads on smol's single-threaded pieces, put together as `smol` itself does:
//! async-executor's `LocalExecutor` for the tasks, run inside async-io's `block_on`, which
//! drives async-io's reactor and timers whenever the executor has nothing to poll.

use super::common::*;
use async_executor::LocalExecutor;
use async_io::{Async, Timer};
use futures_lite::future::yield_now;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A new executor, leaked so that tasks (the echo server's accept loop) can spawn tasks on it:
/// a `&'static LocalExecutor` can go into a task, a borrow of a local one cannot. Each
/// measuring process runs two workloads at most, so the leak is two executors.
fn executor() -> &'static LocalExecutor<'static> {
    Box::leak(Box::new(LocalExecutor::new()))
}

/// Run the workload named `key` once on a new executor and return how long `block_on` took,
/// after checking its result.
pub fn time(key: &str) -> Duration {
    let ex = executor();
    let (took, (got, expected)) = match key {
        "spawn" => timed(|| {
            let work = spawn_and_sum(SPAWN_TASKS, |i| ex.spawn(async move { i }), same);
            (run(ex, work), sum_below(SPAWN_TASKS))
        }),
        "yields" => timed(|| {
            let work = spawn_and_sum(YIELD_TASKS, |_| ex.spawn(yield_many(yield_now)), same);
            (run(ex, work), YIELD_TASKS * YIELDS_PER_TASK)
        }),
        "channel" => timed(|| (run(ex, round_trips(ex)), sum_below(ROUND_TRIPS))),
        "timers" => timed(|| {
            let work = spawn_and_sum(
                TIMERS,
                |i| {
                    ex.spawn(async move {
                        Timer::after(timer_delay(i)).await;
                        1
                    })
                },
                same,
            );
            (run(ex, work), TIMERS)
        }),
        "timeouts" => timed(|| {
            let work = count_timeouts(|ready| timeout(NEVER, ready));
            (run(ex, work), TIMEOUTS)
        }),
        "echo" => timed(|| (run(ex, echo(ex)), ECHOED_BYTES)),
        _ => panic!("smol has no timed workload {key:?}"),
    };
    check(key, got, expected);
    took
}

/// smol's `block_on`: the executor's `run` inside async-io's `block_on`.
fn run<F: Future>(ex: &'static LocalExecutor<'static>, work: F) -> F::Output {
    async_io::block_on(ex.run(work))
}

/// Resident bytes per idle task.
pub fn idle_memory() -> f64 {
    let ex = executor();
    let work = super::common::idle_memory(|polled| ex.spawn(idle(polled)), yield_now);
    run(ex, work)
}

/// A smol task's output is the value itself (a task that panicked re-panics in its joiner).
fn same(value: u64) -> u64 {
    value
}

/// smol has no `timeout` function; its documented idiom races the future against a `Timer`
/// with `or`, which polls the future first, as tokio's and glassloop's `timeout` do. The timer
/// is made at the call, so that the deadline counts from the call as theirs does (one clock
/// read). The docs' shorter form makes it inside the losing async block, so a future that is
/// ready at once never reads the clock: about 2 ns a call instead of some 30, but a deadline
/// that counts from the first poll that finds the future pending.
async fn timeout<F: Future>(after: Duration, future: F) -> Result<F::Output, ()> {
    let timer = Timer::after(after);
    let expire = async {
        timer.await;
        Err(())
    };
    futures_lite::future::or(async { Ok(future.await) }, expire).await
}

/// The same two tasks and two one-slot channels as on glassloop, with async-channel.
async fn round_trips(ex: &'static LocalExecutor<'static>) -> u64 {
    let (to_echo, from_pinger) = async_channel::bounded::<u64>(1);
    let (to_pinger, from_echo) = async_channel::bounded::<u64>(1);
    ex.spawn(async move {
        while let Ok(n) = from_pinger.recv().await {
            to_pinger.send(n).await.unwrap();
        }
    })
    .detach();
    let pinger = ex.spawn(async move {
        let mut sum = 0;
        for i in 0..ROUND_TRIPS {
            to_echo.send(i).await.unwrap();
            sum += from_echo.recv().await.unwrap();
        }
        sum
    });
    pinger.await
}

async fn echo(ex: &'static LocalExecutor<'static>) -> u64 {
    let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
    let addr = listener.get_ref().local_addr().unwrap();
    ex.spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.get_ref().set_nodelay(true).unwrap();
            ex.spawn(echo_back(stream)).detach();
        }
    })
    .detach();
    let spawn_client = |_| ex.spawn(ping_pong::<Async<TcpStream>>(addr));
    spawn_and_sum(CLIENTS, spawn_client, same).await
}

impl EchoStream for Async<TcpStream> {
    async fn connect_to(addr: SocketAddr) -> io::Result<Self> {
        let stream = Async::<TcpStream>::connect(addr).await?;
        stream.get_ref().set_nodelay(true)?;
        Ok(stream)
    }
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        futures_lite::AsyncReadExt::read(self, buf).await
    }
    async fn write_all_of(&mut self, buf: &[u8]) -> io::Result<()> {
        futures_lite::AsyncWriteExt::write_all(self, buf).await
    }
    async fn read_exactly(&mut self, buf: &mut [u8]) -> io::Result<()> {
        futures_lite::AsyncReadExt::read_exact(self, buf).await
    }
}
