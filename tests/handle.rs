//! Other threads and the loop: `Handle::call_soon_threadsafe`, `run_coroutine_threadsafe`, the
//! `RemoteHandle` that brings a result back, and `task::id()`. Each test steps the loop (or
//! runs it to the end) and checks what ran, where, in what order, how many polls and wakes it
//! took, and what a caller gets once the loop is gone. runtime/handle.rs explains the design.

mod common;

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread::ThreadId;
use std::time::Duration;

use common::{virtual_runtime, within, WakeCounter};
use glassloop::time::{sleep, Instant};
use glassloop::{Handle, LoopClosed, OutsideWork, RemoteHandle, Runtime};

/// Generous: these waits end in microseconds, and a hang must fail, not stall the suite.
const LIMIT: Duration = Duration::from_secs(30);

/// A log that closures on any thread can append to: what ran, and on which thread.
type Log = Arc<Mutex<Vec<(u32, ThreadId)>>>;

/// Append `n` and the thread this runs on: the body of every posted closure below.
fn record(log: &Log, n: u32) {
    log.lock().unwrap().push((n, std::thread::current().id()));
}

fn entries(log: &Log) -> Vec<u32> {
    log.lock().unwrap().iter().map(|(n, _)| *n).collect()
}

#[test]
fn handle_and_remote_handle_cross_threads() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync_clone::<Handle>();
    send::<RemoteHandle<u32>>();
    // The output crosses threads, so it must be Send; the future need not be (see below).
    send::<RemoteHandle<Result<String, std::io::Error>>>();
}

#[test]
fn three_posts_before_a_pass_wake_the_service_task_once_and_run_on_the_loop_in_order() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    assert_eq!(rt.live_tasks(), 1, "the handle's service task");
    assert_eq!(
        rt.step().polled,
        1,
        "its first poll: nothing posted yet, it leaves a waker"
    );

    let log: Log = Arc::default();
    let (poster, for_thread) = (handle.clone(), log.clone());
    std::thread::spawn(move || {
        for n in 1..=3 {
            let log = for_thread.clone();
            poster
                .call_soon_threadsafe(move || record(&log, n))
                .unwrap();
        }
    })
    .join()
    .unwrap();
    assert_eq!(
        entries(&log),
        Vec::<u32>::new(),
        "posted, not run: nothing runs on the poster"
    );

    // The first post took the waker and woke the task; the other two found none.
    assert_eq!(rt.step().polled, 1, "three posts, one poll");
    assert_eq!(entries(&log), [1, 2, 3], "in posting order");
    let loop_thread = std::thread::current().id();
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .all(|(_, thread)| *thread == loop_thread));
    assert_eq!(
        rt.step().polled,
        0,
        "nothing left to do: the task waits again"
    );
}

#[test]
fn a_closure_posted_by_a_posted_closure_runs_at_the_next_pass() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let log: Log = Arc::default();
    let (again, for_first) = (handle.clone(), log.clone());
    handle
        .call_soon_threadsafe(move || {
            record(&for_first, 1);
            let for_second = for_first.clone();
            again
                .call_soon_threadsafe(move || record(&for_second, 2))
                .unwrap();
        })
        .unwrap();
    assert_eq!(rt.step().polled, 1);
    assert_eq!(
        entries(&log),
        [1],
        "the second was posted during the pass: it waits"
    );
    assert_eq!(rt.step().polled, 1);
    assert_eq!(entries(&log), [1, 2]);
}

#[test]
fn a_post_from_another_thread_wakes_a_loop_that_waits_for_it_instead_of_a_stall() {
    within(LIMIT, "a loop woken by a post", || {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let done = Arc::new(AtomicBool::new(false));
        let main_waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (flag, waker_slot) = (done.clone(), main_waker.clone());
        let poster = std::thread::spawn(move || {
            handle
                .call_soon_threadsafe(move || {
                    flag.store(true, Ordering::SeqCst);
                    if let Some(waker) = waker_slot.lock().unwrap().take() {
                        waker.wake();
                    }
                })
                .unwrap();
        });
        // The main future waits for the flag; only the posted closure can set it. The
        // handle's waker keeps the loop from calling this a stall: it parks until woken.
        rt.block_on(std::future::poll_fn(|cx| {
            *main_waker.lock().unwrap() = Some(cx.waker().clone());
            match done.load(Ordering::SeqCst) {
                true => Poll::Ready(()),
                false => Poll::Pending,
            }
        }));
        poster.join().unwrap();
    });
}

#[test]
fn run_coroutine_threadsafe_builds_a_non_send_future_on_the_loop_and_wait_returns_its_output() {
    let rt = virtual_runtime();
    let handle = rt.handle();
    let start = rt.now();
    let (posted_tx, posted_rx) = mpsc::channel();
    let caller = std::thread::spawn(move || {
        let remote = handle.run_coroutine_threadsafe(|| async {
            // An Rc cannot cross threads; built here, on the loop's thread, it need not.
            let local = Rc::new(20);
            sleep(Duration::from_secs(1)).await;
            (*local + 22, glassloop::task::id().number(), Instant::now())
        });
        posted_tx.send(()).unwrap();
        remote.wait()
    });
    posted_rx.recv().unwrap(); // the post is in the inbox (a channel, not a sleep)
    assert_eq!(
        rt.step().polled,
        1,
        "the service task runs the job: it spawns the task"
    );
    assert_eq!(rt.live_tasks(), 2);
    let tick = rt.step();
    assert_eq!(tick.polled, 1, "the task builds the future, which sleeps");
    assert_eq!(
        tick.timers_fired, 1,
        "nothing else can run: step 4 jumps time 1 s"
    );
    assert_eq!(
        rt.step().polled,
        1,
        "the task finishes and hands its result over"
    );
    let (value, task, at) = caller.join().unwrap().unwrap();
    assert_eq!(value, 42);
    assert_eq!(task, 2, "task #2: #1 is the handle's service task");
    assert_eq!(
        at.duration_since(start),
        Duration::from_secs(1),
        "exactly, on the virtual clock"
    );
}

#[test]
fn a_remote_handle_awaited_is_woken_once_when_its_coroutine_finishes() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let mut remote = handle.run_coroutine_threadsafe(|| async { "done" });
    let counter = WakeCounter::new();
    assert!(counter.poll(std::pin::Pin::new(&mut remote)).is_pending());
    assert_eq!(rt.step().polled, 1, "the job spawns the task");
    assert_eq!(counter.wakes(), 0, "spawned, not finished");
    assert_eq!(rt.step().polled, 1, "the task runs to its end");
    assert_eq!(counter.wakes(), 1);
    assert!(remote.is_finished());
    match counter.poll(std::pin::Pin::new(&mut remote)) {
        Poll::Ready(result) => assert_eq!(result.unwrap(), "done"),
        Poll::Pending => panic!("woken, but not ready"),
    }
}

#[test]
fn a_remote_handle_can_be_awaited_on_the_loop_itself() {
    let rt = virtual_runtime();
    let handle = rt.handle();
    let got = rt.block_on(async move {
        handle
            .run_coroutine_threadsafe(|| async {
                sleep(Duration::from_millis(250)).await;
                Instant::now().since_origin()
            })
            .await
    });
    assert_eq!(got.unwrap(), Duration::from_millis(250));
}

#[test]
fn a_panic_in_the_coroutine_reaches_the_waiting_thread_as_a_join_error() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let panics_in_make =
        handle.run_coroutine_threadsafe(|| -> std::future::Ready<()> { panic!("make failed") });
    let panics_in_poll =
        handle.run_coroutine_threadsafe(|| async { panic!("the coroutine failed") });
    let waiter = std::thread::spawn(move || (panics_in_make.wait(), panics_in_poll.wait()));
    for _ in 0..3 {
        rt.step(); // the job spawns both tasks; each panics in its first poll
    }
    let (make, poll) = within(LIMIT, "the waiting thread", move || waiter.join().unwrap());
    assert_panic(make.unwrap_err(), "make failed");
    assert_panic(poll.unwrap_err(), "the coroutine failed");
    assert_eq!(
        rt.live_tasks(),
        1,
        "both tasks ended; the loop and its service task go on"
    );
}

fn assert_panic(err: glassloop::JoinError, message: &str) {
    assert!(err.is_panic(), "{err}");
    assert_eq!(err.panic_message(), Some(message));
    assert!(
        err.to_string().contains("'run_coroutine_threadsafe' #"),
        "named: {err}"
    );
}

#[test]
fn a_panicking_closure_is_reported_and_the_handle_keeps_serving() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let log: Log = Arc::default();
    let for_second = log.clone();
    handle
        .call_soon_threadsafe(|| panic!("a bad callback"))
        .unwrap();
    handle
        .call_soon_threadsafe(move || record(&for_second, 2))
        .unwrap();
    assert_eq!(rt.step().polled, 1);
    assert_eq!(
        entries(&log),
        [2],
        "the closure after the panicking one still ran"
    );
    assert!(!handle.is_closed());
    assert_eq!(rt.live_tasks(), 1, "the service task survived");
}

#[test]
fn after_the_runtime_is_dropped_queued_work_never_runs_and_every_call_gets_an_error() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    handle
        .call_soon_threadsafe(move || flag.store(true, Ordering::SeqCst))
        .unwrap();
    let queued = handle.run_coroutine_threadsafe(|| async { 1 });
    drop(rt); // before any step: both jobs are still in the inbox

    assert!(
        !ran.load(Ordering::SeqCst),
        "a queued closure is dropped, never run"
    );
    assert!(handle.is_closed());
    assert_eq!(
        handle.call_soon_threadsafe(|| unreachable!()),
        Err(LoopClosed)
    );
    let late = handle.run_coroutine_threadsafe(|| async { 2 });
    let (queued, late) = within(LIMIT, "waiting after the loop is gone", move || {
        (queued.wait(), late.wait())
    });
    for err in [queued.unwrap_err(), late.unwrap_err()] {
        assert!(err.is_cancelled(), "{err}");
        assert_eq!(
            err.to_string(),
            "task 'run_coroutine_threadsafe' (not started: its loop ended first) was cancelled"
        );
    }
}

#[test]
fn a_coroutine_still_running_when_block_on_returns_is_cancelled_and_the_handle_closes() {
    let rt = virtual_runtime();
    let handle = rt.handle();
    let for_main = handle.clone();
    let mut kept = None; // the handle outlives the run (returned, clippy would await it)
    rt.block_on(async {
        let remote = for_main.run_coroutine_threadsafe(std::future::pending::<()>);
        glassloop::task::yield_now().await; // the service task spawns it
        glassloop::task::yield_now().await; // it starts, and waits forever
        kept = Some(remote);
    });
    let remote = kept.unwrap();
    let err = within(LIMIT, "waiting on a cancelled coroutine", move || {
        remote.wait()
    })
    .unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(
        err.to_string(),
        "task 'run_coroutine_threadsafe' #2 was cancelled"
    );
    assert!(handle.is_closed(), "a handle serves one run of the loop");
    assert_eq!(handle.call_soon_threadsafe(|| {}), Err(LoopClosed));
    assert!(
        rt.handle().call_soon_threadsafe(|| {}).is_ok(),
        "a new handle serves the next run"
    );
}

#[test]
fn when_every_handle_is_dropped_the_service_task_ends() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let clone = handle.clone();
    rt.step();
    drop(handle);
    assert_eq!(rt.live_tasks(), 1, "a clone still lives");
    drop(clone);
    assert_eq!(rt.step().polled, 1, "the last drop woke it");
    assert_eq!(
        rt.live_tasks(),
        0,
        "it finished: no waker is left to keep the loop waiting"
    );
}

#[test]
#[should_panic(expected = "RemoteHandle::wait() was called on the loop's own thread")]
fn waiting_on_the_loop_thread_panics_instead_of_hanging() {
    let rt = Runtime::new().unwrap();
    let remote = rt.handle().run_coroutine_threadsafe(|| async {});
    let _ = remote.wait();
}

#[test]
fn under_the_virtual_clock_an_outside_work_keeps_time_still_until_the_thread_has_posted() {
    let rt = virtual_runtime();
    let handle = rt.handle();
    let (seen_tx, seen_rx) = mpsc::channel();
    let poster = rt.block_on(async move {
        // Announced on the loop's thread, before the thread exists; dropped after its post.
        let work = OutsideWork::new();
        let poster = std::thread::spawn(move || {
            handle
                .call_soon_threadsafe(move || seen_tx.send(Instant::now().since_origin()).unwrap())
                .unwrap();
            drop(work);
        });
        sleep(Duration::from_secs(1)).await; // cannot jump while `work` lives
        assert_eq!(Instant::now().since_origin(), Duration::from_secs(1));
        poster
    });
    poster.join().unwrap();
    assert_eq!(
        seen_rx.recv().unwrap(),
        Duration::ZERO,
        "the closure ran before time moved"
    );
}

#[test]
fn task_id_names_the_running_task_and_the_main_future() {
    glassloop::run(async {
        assert_eq!(glassloop::task::id().number(), 0, "the main future is #0");
        let child = glassloop::spawn(async { glassloop::task::id() });
        let expected = child.id();
        assert_eq!(child.await.unwrap(), expected);
        assert_eq!(glassloop::task::try_id(), Some(glassloop::task::id()));
    });
}

#[test]
fn try_id_is_none_outside_a_poll() {
    assert_eq!(glassloop::task::try_id(), None, "no runtime on this thread");
    let rt = Runtime::new().unwrap();
    assert!(rt.block_on(async { glassloop::task::try_id().is_some() }));
    // A task's destructor runs when the loop drops it, outside any poll.
    struct Probe(mpsc::Sender<Option<glassloop::TaskId>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.send(glassloop::task::try_id()).unwrap();
        }
    }
    let (tx, rx) = mpsc::channel();
    let probe = Probe(tx);
    rt.spawn(async move {
        let _probe = probe;
        std::future::pending::<()>().await
    });
    rt.step();
    drop(rt);
    assert_eq!(rx.recv().unwrap(), None);
}

#[test]
#[should_panic(expected = "glassloop::task::id() was called outside a glassloop task")]
fn task_id_outside_a_task_panics_with_a_message() {
    glassloop::task::id();
}
