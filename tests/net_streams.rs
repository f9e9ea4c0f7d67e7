//! TcpStream through the ecosystem's I/O traits (`futures-io`): the combinators of
//! `futures::io` (BufReader, read_line, read_exact, copy, split, close) work on it, and the
//! edge-triggered rule holds underneath them. Client and server share one loop on the virtual
//! clock, so nothing here waits for real time.

use std::net::SocketAddr;

use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use glassloop::net::{TcpListener, TcpStream};

mod common;
use common::{localhost, pair, virtual_runtime};

/// A listener on a free local port, and its address.
fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind(localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn buf_reader_read_line_and_read_exact_work_through_a_shared_reference() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (client, server) = pair().await;
        // The trait's write_all (TcpStream's own method of that name would win a method call).
        AsyncWriteExt::write_all(&mut &client, b"first line\nsecond\nEXACT")
            .await
            .unwrap();
        (&client).close().await.unwrap(); // asyncio: writer.close()

        let mut reader = BufReader::new(&server);
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 11);
        assert_eq!(line, "first line\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "second\n");
        let mut exact = [0u8; 5];
        reader.read_exact(&mut exact).await.unwrap(); // asyncio: readexactly(5)
        assert_eq!(&exact, b"EXACT");
        line.clear();
        assert_eq!(
            reader.read_line(&mut line).await.unwrap(),
            0,
            "end of stream after close"
        );
    });
}

#[test]
fn copy_moves_every_byte_of_a_large_payload_across_many_readiness_edges() {
    const SIZE: usize = 1 << 20; // far more than one socket buffer: many WouldBlocks each way
    let rt = virtual_runtime();
    let received = rt.block_on(async {
        let (listener, addr) = listener();
        let sender = glassloop::spawn(async move {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let payload: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
            AsyncWriteExt::write_all(&mut client, &payload)
                .await
                .unwrap();
            client.close().await.unwrap();
        });
        let (server, _) = listener.accept().await.unwrap();
        let mut sink = Vec::new();
        let copied = futures::io::copy(&server, &mut sink).await.unwrap();
        sender.await.unwrap();
        assert_eq!(copied as usize, SIZE);
        sink
    });
    assert!(
        received
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8),
        "every byte arrived, in order"
    );
}

#[test]
fn split_halves_of_one_stream_read_and_write_in_two_tasks() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (listener, addr) = listener();
        let echo = glassloop::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (reader, mut writer) = stream.split();
            futures::io::copy(reader, &mut writer).await.unwrap() // echo until end of stream
        });
        let client = TcpStream::connect(addr).await.unwrap();
        let (reader, mut writer) = client.split();
        let writing = glassloop::spawn(async move {
            for word in ["one ", "two ", "three"] {
                writer.write_all(word.as_bytes()).await.unwrap();
            }
            writer.close().await.unwrap();
        });
        let mut echoed = String::new();
        BufReader::new(reader)
            .read_to_string(&mut echoed)
            .await
            .unwrap();
        writing.await.unwrap();
        assert_eq!(echoed, "one two three");
        assert_eq!(echo.await.unwrap(), 13);
    });
}

#[test]
fn a_write_error_through_the_traits_names_the_peer() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (listener, addr) = listener();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        drop(listener);
        server.shutdown(std::net::Shutdown::Both).unwrap();
        drop(server);
        // Writing into a connection the peer closed fails sooner or later (EPIPE/ECONNRESET).
        let mut failure = None;
        for _ in 0..100 {
            if let Err(err) = AsyncWriteExt::write_all(&mut &client, &[0u8; 65536]).await {
                failure = Some(err);
                break;
            }
        }
        let err = failure.expect("writing to a closed peer should fail");
        assert!(
            err.to_string().contains(&format!("writing to {addr}")),
            "{err}"
        );
    });
}
