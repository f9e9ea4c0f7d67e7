//! The dump, second edition, the half that says *where*: for each task,
//! what it waits on and where that thing was created (the line of `mpsc::channel(1)`,
//! `Semaphore::new(0)`, `Event::new()` in your code), and the stall report's list saying it
//! too. Under the virtual clock, so the whole dump is exact; every location is found by the
//! test in this very file (`line!()` beside the call, the column looked up in the source),
//! so moving a line cannot make a test lie.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use glassloop::sync::{
    mpsc, oneshot, Barrier, Condition, Event, LifoQueue, Mutex, Notify, PriorityQueue, Queue,
    Semaphore,
};
use glassloop::task;
use glassloop::time::sleep;
use glassloop::Runtime;

fn debug_runtime() -> Runtime {
    Runtime::builder().virtual_clock().debug().build().unwrap()
}

/// Where `call` is first written on line `from` of this file or below, spelled as
/// `Location::caller()` spells it: "tests/wait_sites.rs:LINE:COLUMN". Line and column are
/// looked up in the source, so rustfmt moving or splitting a call cannot break the test.
fn site(from: u32, call: &str) -> String {
    let source = include_str!("wait_sites.rs");
    let (line, text) = source
        .lines()
        .enumerate()
        .skip(from as usize - 1)
        .find(|(_, text)| text.contains(call))
        .unwrap_or_else(|| panic!("{call:?} is not on line {from} or below"));
    format!(
        "tests/wait_sites.rs:{}:{}",
        line + 1,
        text.find(call).unwrap() + 1
    )
}

#[test]
fn the_dump_names_where_the_channel_the_semaphore_and_the_event_were_created() {
    let rt = debug_runtime();
    let main_line = line!() + 1;
    let (lines, dump) = rt.block_on(async {
        let made = line!();
        let (_tx, mut rx) = mpsc::channel::<u8>(1);
        let semaphore = Rc::new(Semaphore::new(0));
        let event = Rc::new(Event::new());
        let recv = line!();
        let _receiver = task::Builder::new()
            .name("receiver")
            .spawn(async move { rx.recv().await });
        let s = semaphore.clone();
        let acquire = line!();
        let _acquirer = task::Builder::new()
            .name("acquirer")
            .spawn(async move { s.acquire().await.is_ok() });
        let e = event.clone();
        let wait = line!();
        let _waiter = task::Builder::new()
            .name("waiter")
            .spawn(async move { e.wait().await });
        sleep(Duration::from_millis(5)).await; // each task runs once and parks
        ((made, recv, acquire, wait), glassloop::dump())
    });
    let (made, recv, acquire, wait) = lines;
    println!("{dump}");
    let expected = format!(
        "glassloop task dump at 0.005 s: 3 task(s) besides the main future; 0 timer(s) set, \
         no socket waiter(s), 0 job(s) running outside the loop.\n\
         \x20 main future #0: polling, 0 waker(s) held\n\
         \x20     spawned at {main}\n\
         \x20     parked at  {slept}\n\
         \x20 task 'receiver' #1: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at {spawn_recv} by main future #0\n\
         \x20     parked at  {at_recv}\n\
         \x20     waits on   an mpsc channel created at {made_channel} (recv)\n\
         \x20 task 'acquirer' #2: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at {spawn_acquire} by main future #0\n\
         \x20     parked at  {at_acquire}\n\
         \x20     waits on   a semaphore created at {made_semaphore} (its permits)\n\
         \x20 task 'waiter' #3: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at {spawn_wait} by main future #0\n\
         \x20     parked at  {at_wait}\n\
         \x20     waits on   an event created at {made_event}",
        main = site(main_line, "block_on"),
        slept = site(wait, "sleep(Duration::from_millis(5))"),
        spawn_recv = site(recv, "spawn("),
        at_recv = site(recv, "recv()"),
        made_channel = site(made, "mpsc::channel"),
        spawn_acquire = site(acquire, "spawn("),
        at_acquire = site(acquire, "acquire()"),
        made_semaphore = site(made, "Semaphore::new"),
        spawn_wait = site(wait, "spawn("),
        at_wait = site(wait, "wait()"),
        made_event = site(made, "Event::new"),
    );
    assert_eq!(dump, expected);
}

/// Every other primitive that can hold a task says where it was made too, with the end it
/// waits at: both ends of a bounded channel, a oneshot, the three queues (get, put, join),
/// a mutex, a Notify, a condition and a barrier.
#[test]
fn every_waitable_primitive_says_where_it_was_created_and_which_end_waits() {
    let rt = debug_runtime();
    let (made, dump) = rt.block_on(async {
        let made = line!();
        let (full_tx, _full_rx) = mpsc::channel::<u8>(1);
        let (_once_tx, once_rx) = oneshot::channel::<u8>();
        let empty = Queue::<u8>::new(0);
        let stack = LifoQueue::<u8>::new(1);
        let ranks = PriorityQueue::<u8>::new(1);
        let lock = Rc::new(Mutex::new(()));
        let notify = Rc::new(Notify::new());
        let cond = Rc::new((Mutex::new(()), Condition::new()));
        let barrier = Rc::new(Barrier::new(2));
        full_tx.try_send(1).unwrap();
        stack.put_nowait(1).unwrap();
        ranks.put_nowait(1).unwrap();
        let guard = lock.lock().await;
        let s = stack.clone();
        let put = line!();
        let mut spawned = vec![task::Builder::new()
            .name("put")
            .spawn(async move { s.put(2).await })];
        spawned.push(task::Builder::new().name("send").spawn(async move {
            let _ = full_tx.send(2).await;
        }));
        spawned.push(task::Builder::new().name("once").spawn(async move {
            let _ = once_rx.await;
        }));
        spawned.push(task::Builder::new().name("get").spawn(async move {
            empty.get().await;
        }));
        spawned.push(
            task::Builder::new()
                .name("join")
                .spawn(async move { ranks.join().await }),
        );
        let l = lock.clone();
        spawned.push(task::Builder::new().name("lock").spawn(async move {
            drop(l.lock().await);
        }));
        let n = notify.clone();
        spawned.push(
            task::Builder::new()
                .name("notify")
                .spawn(async move { n.notified().await }),
        );
        let c = cond.clone();
        spawned.push(task::Builder::new().name("cond").spawn(async move {
            let (mutex, condition) = &*c;
            drop(condition.wait(mutex.lock().await).await);
        }));
        let b = barrier.clone();
        spawned.push(task::Builder::new().name("barrier").spawn(async move {
            b.wait().await;
        }));
        sleep(Duration::from_millis(1)).await;
        let dump = glassloop::dump();
        drop(guard);
        drop(spawned); // detached; dropped with the loop
        let at = |call| site(made, call);
        let made = [
            (
                "send",
                format!(
                    "an mpsc channel created at {} (send: it is full)",
                    at("mpsc::")
                ),
            ),
            (
                "once",
                format!("a oneshot channel created at {} (recv)", at("oneshot::")),
            ),
            (
                "get",
                format!(
                    "a queue created at {} (get: it is empty)",
                    at("Queue::<u8>::new(0)")
                ),
            ),
            (
                "put",
                format!("a queue created at {} (put: it is full)", at("LifoQueue::")),
            ),
            (
                "join",
                format!(
                    "a queue created at {} (join: items not yet marked done)",
                    at("PriorityQueue::")
                ),
            ),
            (
                "lock",
                format!("a mutex created at {} (its lock)", at("Mutex::new")),
            ),
            (
                "notify",
                format!("a Notify created at {}", at("Notify::new")),
            ),
            (
                "cond",
                format!("a condition created at {}", at("Condition::new")),
            ),
            (
                "barrier",
                format!("a barrier created at {}", at("Barrier::new")),
            ),
        ];
        // The put waits at its own line, not inside the queue's code (its `#[track_caller]`
        // location used to be read in a closure, which does not pass it on).
        assert!(
            dump.contains(&format!("parked at  {}", site(put, "put(2)"))),
            "{dump}"
        );
        (made, dump)
    });
    println!("{dump}");
    for (name, waits) in made {
        let task = dump
            .split("\n  task ")
            .find(|row| row.starts_with(&format!("'{name}' #")))
            .unwrap_or_else(|| panic!("no task {name:?} in:\n{dump}"));
        let lines: Vec<&str> = task.lines().filter(|l| l.contains("waits on")).collect();
        assert_eq!(
            lines,
            [format!("      waits on   {waits}")],
            "task {name:?} in:\n{dump}"
        );
    }
}

/// The stall report's list of pending tasks says what each waits on, and what the main
/// future waits on: "which channel?" is answered before the dump begins.
#[test]
fn the_stall_report_says_what_each_pending_task_and_the_main_future_wait_on() {
    let rt = debug_runtime();
    let made = line!();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            // The main future's lines, from `made` on: the two channels, then the spawn.
            let (_tx, mut rx) = mpsc::channel::<u8>(4);
            let (_never, message) = oneshot::channel::<()>();
            let _consumer = task::Builder::new()
                .name("consumer")
                .spawn(async move { rx.recv().await });
            let _ = message.await;
        })
    }))
    .expect_err("nothing can send: a stall under the virtual clock");
    let report = payload
        .downcast_ref::<String>()
        .cloned()
        .expect("the report is a String");
    println!("{report}");
    let list = format!(
        "Tasks still pending:\n  main future #0 waits on a oneshot channel created at {} \
         (recv)\n  task 'consumer' #1 spawned at {}, polled 1 time(s), waits on an mpsc channel \
         created at {} (recv)\nglassloop task dump at 0.000 s:",
        site(made, "oneshot::channel"),
        site(made, "spawn("),
        site(made, "mpsc::channel"),
    );
    assert!(report.contains(&list), "missing {list:?} in:\n{report}");
}

/// A socket says where it was made: the line of `TcpListener::bind`, of the `accept` that
/// returned it, or of `TcpStream::connect`.
#[test]
fn a_waiting_socket_says_where_it_was_bound_accepted_or_connected() {
    use glassloop::net::{TcpListener, TcpStream};
    let rt = debug_runtime();
    let made = line!();
    let dump = rt.block_on(async {
        let any_port = "127.0.0.1:0".parse().unwrap();
        let idle = TcpListener::bind(any_port).unwrap(); // the first `bind` below `made`
        let listener = TcpListener::bind(any_port).unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted_tx, accepted) = oneshot::channel();
        let _server = task::Builder::new().name("server").spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            accepted_tx.send(()).unwrap();
            let _ = stream.read(&mut [0; 8]).await;
        });
        let _idle = task::Builder::new()
            .name("idle")
            .spawn(async move { idle.accept().await });
        let client = TcpStream::connect(addr).await.unwrap();
        let _client = task::Builder::new().name("client").spawn(async move {
            let _ = client.read(&mut [0; 8]).await;
        });
        accepted.await.unwrap();
        task::yield_now().await; // the client's task runs and waits
        glassloop::dump()
    });
    println!("{dump}");
    for (name, made_at) in [
        ("server", site(made, "accept().await.unwrap()")),
        ("idle", site(made, "TcpListener::bind")),
        ("client", site(made, "TcpStream::connect")),
    ] {
        let task = dump
            .split("\n  task ")
            .find(|row| row.starts_with(&format!("'{name}' #")))
            .unwrap_or_else(|| panic!("no task {name:?} in:\n{dump}"));
        let waits: Vec<&str> = task.lines().filter(|l| l.contains("waits on")).collect();
        assert_eq!(waits.len(), 1, "task {name:?} in:\n{dump}");
        let (start, end) = (
            "      waits on   socket ",
            format!(" (made at {made_at}) to become readable"),
        );
        assert!(
            waits[0].starts_with(start) && waits[0].ends_with(&end),
            "{name}: {}",
            waits[0]
        );
    }
}

/// `Default::default()` is `#[track_caller]` too: an event made that way names the line that
/// called it, not a line inside glassloop.
#[test]
fn a_primitive_made_by_default_names_the_line_that_called_default() {
    let rt = debug_runtime();
    let made = line!();
    let dump = rt.block_on(async {
        let event: Rc<Event> = Rc::new(Default::default());
        let e = event.clone();
        let _waiter = task::Builder::new()
            .name("waiter")
            .spawn(async move { e.wait().await });
        task::yield_now().await;
        glassloop::dump()
    });
    let expected = format!(
        "waits on   an event created at {}",
        site(made, "Default::default()")
    );
    assert!(dump.contains(&expected), "missing {expected:?} in:\n{dump}");
}

#[test]
fn a_task_awaiting_a_blocking_job_is_parked_at_its_own_await_and_waits_on_outside_work() {
    let rt = debug_runtime();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let from = line!();
    let dump = rt.block_on(async move {
        let waiter = task::Builder::new()
            .name("waiter")
            .spawn(async move { glassloop::spawn_blocking(move || held.recv()).await });
        // The waiter starts the job; the job's task (spawn_blocking's own) parks on it.
        task::yield_now().await;
        task::yield_now().await;
        let dump = glassloop::observe::dump();
        release.send(()).unwrap();
        assert_eq!(
            waiter.await.unwrap().unwrap(),
            Ok(()),
            "the job received the release"
        );
        dump
    });
    let waiter = dump
        .split("task 'waiter' #1:")
        .nth(1)
        .expect("the waiter's entry");
    let parked = format!("parked at  {}", site(from, "await"));
    assert!(waiter.contains(&parked), "missing {parked:?} in:\n{dump}");
    let job = dump
        .split("task 'spawn_blocking' #2:")
        .nth(1)
        .expect("the job's task");
    assert!(job.contains("waits on   work outside the loop"), "{dump}");
    // The job's task is nothing but the wait: its await point is the call that asked for it.
    let asked = format!("parked at  {}", site(from, "glassloop::spawn_blocking"));
    assert!(job.contains(&asked), "missing {asked:?} in:\n{dump}");
}
