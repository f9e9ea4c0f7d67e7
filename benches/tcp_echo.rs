//! TCP echo over loopback: 50 clients × 2,000 messages of 64 bytes, each client waiting for
//! its echo before sending the next message. glassloop and tokio's current_thread runtime run
//! the same workload in the same process; the ratio is what to look at, not the absolute time.
//!
//! Run: `cargo bench --bench tcp_echo` (release build).

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const MESSAGES: usize = 2_000;
const SIZE: usize = 64;
const ROUNDS: usize = 3;

/// The socket calls the echo needs. Implemented for both runtimes' streams, so the server
/// loop and the clients below are written once and run on either.
trait EchoStream: Sized {
    /// Open a connection to `addr`.
    async fn connect_to(addr: SocketAddr) -> io::Result<Self>;
    /// Switch Nagle's algorithm off, so each 64-byte message leaves at once.
    fn no_delay(&self) -> io::Result<()>;
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    async fn write_all_of(&mut self, buf: &[u8]) -> io::Result<()>;
    async fn read_exactly(&mut self, buf: &mut [u8]) -> io::Result<()>;
}

impl EchoStream for glassloop::net::TcpStream {
    async fn connect_to(addr: SocketAddr) -> io::Result<Self> {
        glassloop::net::TcpStream::connect(addr).await
    }
    fn no_delay(&self) -> io::Result<()> {
        self.set_nodelay(true)
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

impl EchoStream for tokio::net::TcpStream {
    async fn connect_to(addr: SocketAddr) -> io::Result<Self> {
        tokio::net::TcpStream::connect(addr).await
    }
    fn no_delay(&self) -> io::Result<()> {
        self.set_nodelay(true)
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

/// The server's task for one connection: send back whatever arrives, until the client leaves.
async fn echo_back(mut stream: impl EchoStream) {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read_some(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => stream.write_all_of(&buf[..n]).await.unwrap(),
        }
    }
}

/// One client: connect, then MESSAGES times send a message and wait for its echo.
async fn ping_pong<S: EchoStream>(addr: SocketAddr) {
    let mut stream = S::connect_to(addr).await.unwrap();
    stream.no_delay().unwrap();
    let message = [7u8; SIZE];
    let mut echo = [0u8; SIZE];
    for _ in 0..MESSAGES {
        stream.write_all_of(&message).await.unwrap();
        stream.read_exactly(&mut echo).await.unwrap();
    }
}

/// Start CLIENTS clients with `spawn_client`, wait for every one, and return how long that
/// took. Generic over the two runtimes' join handles.
async fn clients<H, E>(spawn_client: impl Fn() -> H) -> Duration
where
    H: Future<Output = Result<(), E>>,
    E: Debug,
{
    let start = Instant::now();
    let handles: Vec<H> = (0..CLIENTS).map(|_| spawn_client()).collect();
    for handle in handles {
        handle.await.expect("a client never fails");
    }
    start.elapsed()
}

fn glassloop_echo() -> Duration {
    use glassloop::net::{TcpListener, TcpStream};
    let rt = glassloop::Runtime::new().expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        glassloop::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.no_delay().unwrap();
                glassloop::spawn(echo_back(stream));
            }
        });
        clients(|| glassloop::spawn(ping_pong::<TcpStream>(addr))).await
    })
}

fn tokio_echo() -> Duration {
    use tokio::net::{TcpListener, TcpStream};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.no_delay().unwrap();
                tokio::spawn(echo_back(stream));
            }
        });
        clients(|| tokio::spawn(ping_pong::<TcpStream>(addr))).await
    })
}

fn main() {
    println!("TCP echo: {CLIENTS} clients × {MESSAGES} messages of {SIZE} bytes, best of {ROUNDS}");
    let mut best_glassloop = Duration::MAX;
    let mut best_tokio = Duration::MAX;
    for round in 1..=ROUNDS {
        let g = glassloop_echo();
        let t = tokio_echo();
        println!("  round {round}: glassloop {g:.3?}, tokio current_thread {t:.3?}");
        best_glassloop = best_glassloop.min(g);
        best_tokio = best_tokio.min(t);
    }
    println!(
        "best: glassloop {best_glassloop:.3?}, tokio {best_tokio:.3?}, ratio glassloop/tokio = {:.2}",
        best_glassloop.as_secs_f64() / best_tokio.as_secs_f64()
    );
}
