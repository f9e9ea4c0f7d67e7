//! # Demo `threadsafe`: a plain thread hands work to the loop
//!
//! A thread that is not the loop's (a GUI thread, a C library's callback thread, a worker of
//! your own) cannot touch the loop's tasks: they live in an `Rc` on the loop's thread. It
//! holds a `glassloop::Handle` instead, and posts through it:
//!
//! ```text
//!   thread 'poster'                            thread 'main' (the loop)
//!   call_soon_threadsafe(closure 1, 2, 3) ───► the service task runs them, in order
//!   run_coroutine_threadsafe(make) ──────────► make() builds a future (with an Rc) and it runs
//!   remote.wait()  ◄──────── 42 ────────────── as task 'run_coroutine_threadsafe'
//! ```
//!
//! Every line printed on the loop says which thread it ran on and which task ran it. The
//! thread's last word comes after the loop is gone: its handle then says "closed".
//!
//! The main task waits for the thread's word on the blocking pool, and a blocking job holds
//! the virtual clock still while it runs (outside.rs). So the coroutine here does not sleep:
//! under the virtual clock a coroutine that sleeps while outside work holds the clock would
//! wait forever, and so would the thread waiting on it (runtime/handle.rs, "The virtual
//! clock").
//!
//! asyncio: `loop.call_soon_threadsafe(cb)` and `asyncio.run_coroutine_threadsafe(coro,
//! loop).result()`; tokio: `Handle::spawn` (for `Send` futures) and a `LocalSet`.

use std::rc::Rc;
use std::sync::mpsc;

use glassloop::task::{id, spawn_blocking};
use glassloop::{Handle, Runtime};

/// Where a line is printed from: the thread's name and the task running it.
fn here() -> String {
    let thread = std::thread::current();
    format!("thread '{}', task {}", thread.name().unwrap_or("?"), id())
}

pub fn main(rt: &Runtime) {
    let handle = rt.handle(); // before block_on: its service task starts at the first pass
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (ended_tx, ended_rx) = mpsc::channel::<()>();
    let poster = rt.block_on(async move {
        println!("main runs on {}; it starts the poster thread", here());
        let poster = std::thread::Builder::new().name("poster".into());
        let poster = poster.spawn(move || post_from_a_thread(handle, done_tx, ended_rx));
        let poster = poster.expect("could not start a thread");
        // Wait for the poster's "done" without blocking the loop: on the blocking pool.
        spawn_blocking(move || done_rx.recv())
            .await
            .expect("the job ends")
            .expect("a word");
        println!("main: the poster has its answer; main returns, the loop ends");
        poster
    });
    ended_tx.send(()).expect("the poster waits for this");
    poster.join().expect("the poster thread ends");
}

/// The poster thread: three closures, one coroutine, then a call after the loop has ended.
fn post_from_a_thread(handle: Handle, done: mpsc::Sender<()>, ended: mpsc::Receiver<()>) {
    for n in 1..=3 {
        handle
            .call_soon_threadsafe(move || {
                println!("closure {n} runs on {} (the handle's service)", here())
            })
            .expect("the loop is running");
    }
    let remote = handle.run_coroutine_threadsafe(|| {
        // Called on the loop's thread: the future may hold an Rc, which is not Send.
        let shared = Rc::new(21);
        async move {
            println!(
                "the coroutine runs on {} (its own), with an Rc inside",
                here()
            );
            *shared * 2
        }
    });
    let answer = remote.wait().expect("the coroutine returns");
    println!("poster: RemoteHandle::wait() gave {answer}");
    done.send(()).expect("main waits for this");
    ended.recv().expect("main says when the loop has ended");
    match handle.call_soon_threadsafe(|| unreachable!("the loop has ended")) {
        Ok(()) => println!("poster: posted after the loop ended (this is a bug)"),
        Err(closed) => println!("poster: after the loop: {closed}"),
    }
}
