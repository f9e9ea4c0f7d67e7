//! Descriptor leaks: alone in its own test binary, because it counts every descriptor the
//! process has open, and tests running in parallel threads would change that count.

use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::Runtime;

mod common;
use common::open_descriptors;

#[test]
fn opening_and_closing_thousands_of_connections_leaks_no_descriptor() {
    const CONNECTIONS: usize = 3000;
    let Some(before) = open_descriptors() else {
        eprintln!("skipped: /proc/self/fd does not exist here (it is Linux-only)");
        return;
    };
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    let during = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = glassloop::spawn(async move {
            for _ in 0..CONNECTIONS {
                let (stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 8];
                // Read until the client closes, then drop our side.
                while stream.read(&mut buf).await.unwrap() > 0 {}
            }
        });
        let mut peak = 0;
        for i in 0..CONNECTIONS {
            let client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"bye").await.unwrap();
            if i == CONNECTIONS / 2 {
                peak = open_descriptors().unwrap();
            }
            drop(client);
            // Let the server accept and close its side before the next connect.
            glassloop::task::yield_now().await;
        }
        server.await.unwrap();
        // A refused connect must close its socket too.
        let closed = {
            let probe = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            probe.local_addr().unwrap()
        };
        for _ in 0..100 {
            assert!(TcpStream::connect(closed).await.is_err());
        }
        glassloop::time::sleep(Duration::from_millis(1)).await;
        peak
    });
    assert!(
        during > before,
        "the runtime and sockets were open while counting"
    );
    drop(rt);
    let after = open_descriptors().unwrap();
    assert_eq!(
        after, before,
        "{before} descriptors were open before, {after} after opening and closing \
         {CONNECTIONS} connections and dropping the runtime"
    );
}
