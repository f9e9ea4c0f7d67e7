//! The holes that lived in the core: each test states a rule that a new user broke
//! by trying the public API. Two tasks on one socket (every waiter is woken, see
//! runtime/net/mod.rs), a resource of one runtime awaited under another, and a
//! `Sleep` polled outside any running loop or after its runtime was dropped (both in
//! runtime/home.rs). Each hung before its fix, so each runs under a deadline that turns a
//! hang into a failure with a message.

mod common;
use common::{localhost, pair, virtual_runtime};

use std::future::{poll_fn, Future};
use std::io::ErrorKind;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::thread::Thread;
use std::time::Duration;

use glassloop::net::{TcpListener, TcpStream};
use glassloop::time::{sleep, Sleep};
use glassloop::Runtime;

/// A 10 ms `Sleep` made under `rt` and handed out unpolled: it belongs to `rt`, whose
/// wheel its timer goes into.
fn sleep_made_under(rt: &Runtime) -> Sleep {
    rt.block_on(poll_fn(|_| Poll::Ready(sleep(Duration::from_millis(10)))))
}

/// Long enough for any of these bodies on a loaded machine; a hang takes exactly this long.
const LIMIT: Duration = Duration::from_secs(5);

/// Run `body` under [`LIMIT`]; `Err` holds its panic message. A hang fails the test.
fn outcome<T: Send + 'static>(
    what: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    common::within(LIMIT, what, move || {
        catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    })
}

// ───────────────────────────── two waiters on one socket ─────────────────────────────

/// The rule allowed two designs: every waiter is woken, or a second waiter is refused at once
/// (asyncio's "read() called while another coroutine is already waiting"). glassloop wakes
/// every waiter (runtime/net/mod.rs says why), so each task must be served: a hang, a lost
/// waiter or a refusal fails.
fn every_waiter_is_served(what: &str, result: Result<(), String>) {
    if let Err(message) = result {
        panic!("{what}: every waiter should be woken and served, but: {message}");
    }
}

#[test]
fn two_tasks_reading_one_stream_are_each_woken() {
    let result = outcome("two readers of one stream", || {
        virtual_runtime().block_on(async {
            let (writer, stream) = pair().await;
            let stream = Rc::new(stream);
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let stream = stream.clone();
                    glassloop::spawn(async move {
                        let mut byte = [0u8; 1];
                        stream.read(&mut byte).await.unwrap()
                    })
                })
                .collect();
            // Both readers wait now; two bytes come one after the other.
            for byte in [b"a", b"b"] {
                sleep(Duration::from_millis(10)).await;
                writer.write_all(byte).await.unwrap();
            }
            for reader in readers {
                assert_eq!(reader.await.unwrap(), 1, "each reader got one byte");
            }
        })
    });
    every_waiter_is_served("two readers", result);
}

#[test]
fn two_tasks_writing_one_stream_are_each_woken() {
    let result = outcome("two writers of one stream", || {
        virtual_runtime().block_on(async {
            let (stream, peer) = pair().await;
            let stream = Rc::new(stream);
            // Fill the send buffer, so that a writer has to wait for room.
            let chunk = [0u8; 64 * 1024];
            loop {
                match stream.try_write(&chunk) {
                    Ok(_) => {}
                    Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                    Err(err) => panic!("filling the buffer: {err}"),
                }
            }
            let writers: Vec<_> = (0..2)
                .map(|_| {
                    let stream = stream.clone();
                    glassloop::spawn(async move { stream.write_all(b"x").await.unwrap() })
                })
                .collect();
            // Both writers wait now. Drain the peer until both are done; a lost writer
            // hangs here.
            sleep(Duration::from_millis(10)).await;
            let mut buf = vec![0u8; 64 * 1024];
            while writers.iter().any(|w| !w.is_finished()) {
                match peer.read(&mut buf).await {
                    Ok(0) => panic!("the stream closed"),
                    Ok(_) => {}
                    Err(err) => panic!("draining: {err}"),
                }
            }
            for writer in writers {
                writer.await.unwrap();
            }
        })
    });
    every_waiter_is_served("two writers", result);
}

#[test]
fn two_accept_loops_on_one_listener_are_each_woken() {
    let result = outcome("two accept loops on one listener", || {
        virtual_runtime().block_on(async {
            let listener = Rc::new(TcpListener::bind(localhost()).unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let listener = listener.clone();
                    glassloop::spawn(async move { listener.accept().await.unwrap().1 })
                })
                .collect();
            // Both accepts wait now; two clients come one after the other.
            let mut clients = Vec::new();
            for _ in 0..2 {
                sleep(Duration::from_millis(10)).await;
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            for acceptor in acceptors {
                acceptor.await.unwrap();
            }
        })
    });
    every_waiter_is_served("two accept loops", result);
}

// ───────────────────────────── a resource of one runtime used by another ─────────────────────────────

/// The rule: the first poll under the wrong runtime panics, and the message names
/// the resource (here `resource`), so a learner knows which object crossed over. A stall
/// report is not that message: it would mean the loop waited for the foreign resource first.
fn refused_at_first_poll(resource: &str, result: Result<(), String>) {
    let message = result.expect_err("awaiting another runtime's resource must panic");
    assert!(
        message.contains(resource) && !message.contains("stalled"),
        "the panic should name the {resource} that belongs to another runtime: {message}"
    );
}

#[test]
fn a_join_handle_of_one_runtime_awaited_under_another_panics_at_its_first_poll() {
    let result = outcome("a JoinHandle awaited under another runtime", || {
        let owner = Runtime::new().unwrap();
        let handle = owner.spawn(async { 42 });
        // `owner` never runs, so its task never does: awaiting it elsewhere waits for ever.
        assert_eq!(Runtime::new().unwrap().block_on(handle).unwrap(), 42);
    });
    refused_at_first_poll("JoinHandle", result);
}

#[test]
fn a_sleep_of_one_runtime_awaited_under_another_panics_at_its_first_poll() {
    let result = outcome("a Sleep awaited under another runtime", || {
        let owner = Runtime::new().unwrap();
        let nap = sleep_made_under(&owner);
        // The nap's timer would go into `owner`'s wheel, which nobody advances.
        Runtime::new().unwrap().block_on(nap);
    });
    refused_at_first_poll("Sleep", result);
}

#[test]
fn a_socket_of_one_runtime_awaited_under_another_panics_at_its_first_poll() {
    let result = outcome("a socket awaited under another runtime", || {
        let owner = Runtime::new().unwrap();
        let listener = owner.block_on(async { TcpListener::bind(localhost()).unwrap() });
        // Its readiness is reported to `owner`'s reactor, which nobody polls.
        let other = Runtime::new().unwrap();
        other.block_on(async {
            let addr = listener.local_addr().unwrap();
            let accept = glassloop::spawn(async move { listener.accept().await.map(|_| ()) });
            sleep(Duration::from_millis(10)).await; // the accept has been polled once now
                                                    // A client comes, if the listener is still there (its task's panic dropped it).
            let _client = TcpStream::connect(addr).await;
            // The accept's first poll refused to wait: its panic is the task's result.
            accept.await.unwrap().unwrap();
        });
    });
    refused_at_first_poll("TcpListener", result);
}

// ───────────────────────────── a Sleep polled outside any running loop ─────────────────────────────

/// Wakes a thread that parked: the smallest executor that is not glassloop.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Poll `future` to completion on this thread, parking between polls, outside any glassloop
/// loop (what `futures::executor::block_on` does).
fn foreign_block_on<F: Future>(future: F) -> F::Output {
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn a_sleep_polled_outside_a_running_loop_panics_and_says_to_await_it_inside_one() {
    let result = outcome("a Sleep polled by a foreign executor", || {
        let rt = Runtime::new().unwrap();
        let nap = sleep_made_under(&rt);
        // `rt` still exists but does not run: nothing would ever fire the nap's timer.
        foreign_block_on(nap);
        drop(rt);
    });
    let message = result.expect_err("polling a Sleep outside its loop must panic");
    assert!(
        message.contains("Sleep") && message.contains("glassloop::run"),
        "the panic should name the Sleep and say to await it inside `glassloop::run`: {message}"
    );
}

#[test]
fn a_sleep_polled_after_its_runtime_was_dropped_says_what_to_do_instead() {
    let result = outcome("a Sleep polled after its runtime was dropped", || {
        let nap = sleep_made_under(&Runtime::new().unwrap());
        Runtime::new().unwrap().block_on(nap);
    });
    let message = result.expect_err("polling a Sleep of a dropped runtime must panic");
    assert!(
        message.contains("after its runtime was dropped") && message.contains("glassloop::run"),
        "the panic says what happened, and should say what to do: {message}"
    );
}
