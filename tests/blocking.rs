//! The blocking pool: results and panics come back, the pool is bounded and shrinks, the
//! virtual clock waits for a running job, and a runtime shuts its pool down without hanging.
//!
//! Jobs that must overlap are held on std channels that the test releases one step at a time,
//! so every count below is exact; real-time figures are only ever lower bounds or generous
//! upper bounds.

mod common;
use common::virtual_runtime;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use glassloop::time::{sleep, Instant};
use glassloop::{spawn_blocking, Runtime};

/// How long a test waits for something that should happen at once before calling it a failure.
const PATIENCE: Duration = Duration::from_secs(10);

/// n! modulo a prime: some arithmetic whose answer the test thread can check.
fn factorial_mod(n: u64) -> u64 {
    (1..=n).fold(1, |acc, k| acc * k % 1_000_007)
}

#[test]
fn a_blocking_jobs_result_comes_back_from_a_pool_thread() {
    let rt = virtual_runtime();
    let (value, thread_name) = rt.block_on(async {
        let job = spawn_blocking(|| {
            let name = std::thread::current().name().map(str::to_owned);
            (factorial_mod(100), name)
        });
        job.await.unwrap()
    });
    assert_eq!(value, factorial_mod(100));
    assert_eq!(thread_name.as_deref(), Some("glassloop-blocking-1"));
    assert_eq!(rt.blocking_pool_stats().threads_started, 1);
}

#[test]
fn a_panic_in_a_blocking_job_reaches_its_handle_and_the_pool_thread_lives_on() {
    let rt = Runtime::builder()
        .virtual_clock()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (err, next) = rt.block_on(async {
        let err = spawn_blocking(|| -> u32 { panic!("the disk caught fire") })
            .await
            .unwrap_err();
        let next = spawn_blocking(|| 5).await.unwrap();
        (err, next)
    });
    assert!(err.is_panic(), "{err}");
    assert_eq!(err.panic_message(), Some("the disk caught fire"));
    assert_eq!(next, 5, "the pool still runs jobs after one panicked");
    let stats = rt.blocking_pool_stats();
    assert_eq!(
        stats.threads_started, 1,
        "the panic did not kill the thread"
    );
    assert_eq!(stats.threads_exited, 0);
}

#[test]
fn a_pool_limited_to_two_threads_runs_two_jobs_at_a_time_and_queues_the_rest_in_order() {
    let rt = Runtime::builder()
        .virtual_clock()
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel::<usize>();
    let mut releases = Vec::new();
    let results = rt.block_on(async {
        let mut handles = Vec::new();
        for job in 0..4 {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            releases.push(release_tx);
            let (running, peak, started_tx) = (running.clone(), peak.clone(), started_tx.clone());
            handles.push(spawn_blocking(move || {
                let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now_running, Ordering::SeqCst);
                started_tx.send(job).unwrap();
                release_rx.recv_timeout(PATIENCE).unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
                job
            }));
        }
        // The loop's own thread waits on std channels here on purpose: the loop has nothing
        // else to do, and the jobs run on pool threads regardless.
        let mut first_two = [
            started_rx.recv_timeout(PATIENCE).unwrap(),
            started_rx.recv_timeout(PATIENCE).unwrap(),
        ];
        // Jobs 0 and 1 start on two threads at once, so which reports first is a race; that
        // they are 0 and 1, not 2 or 3, is the first-in, first-out rule.
        first_two.sort_unstable();
        assert_eq!(
            first_two,
            [0, 1],
            "the channel hands jobs out first in, first out"
        );
        let stats = rt.blocking_pool_stats();
        assert_eq!((stats.threads, stats.busy, stats.queued), (2, 2, 2));
        releases[0].send(()).unwrap();
        assert_eq!(started_rx.recv_timeout(PATIENCE).unwrap(), 2);
        releases[1].send(()).unwrap();
        assert_eq!(started_rx.recv_timeout(PATIENCE).unwrap(), 3);
        releases[2].send(()).unwrap();
        releases[3].send(()).unwrap();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        results
    });
    assert_eq!(results, [0, 1, 2, 3]);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "never more than two jobs at once"
    );
    let stats = rt.blocking_pool_stats();
    assert_eq!((stats.peak_threads, stats.threads_started), (2, 2));
}

thread_local! {
    /// Set by a job; its destructor runs when the pool thread exits and reports it.
    static ON_THREAD_EXIT: RefCell<Option<ExitSignal>> = const { RefCell::new(None) };
}

struct ExitSignal(mpsc::Sender<std::time::Instant>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        let _ = self.0.send(std::time::Instant::now());
    }
}

#[test]
fn an_idle_pool_thread_exits_after_its_keep_alive_and_the_next_job_starts_a_new_one() {
    let keep_alive = Duration::from_millis(100);
    let rt = Runtime::builder()
        .blocking_keep_alive(keep_alive)
        .build()
        .unwrap();
    let (exit_tx, exit_rx) = mpsc::channel();
    let job_ended = rt.block_on(async {
        spawn_blocking(move || {
            ON_THREAD_EXIT.with(|slot| *slot.borrow_mut() = Some(ExitSignal(exit_tx)));
            std::time::Instant::now()
        })
        .await
        .unwrap()
    });
    // A wake, not a sleep: the thread's own exit sends this.
    let thread_exited = exit_rx
        .recv_timeout(PATIENCE)
        .expect("the idle pool thread never exited");
    let idle_for = thread_exited - job_ended;
    assert!(
        idle_for >= keep_alive,
        "the thread exited after {idle_for:?} idle, before its keep-alive of {keep_alive:?}"
    );
    let stats = rt.blocking_pool_stats();
    assert_eq!((stats.threads, stats.threads_exited), (0, 1));

    assert_eq!(
        rt.block_on(async { spawn_blocking(|| 1).await.unwrap() }),
        1
    );
    assert_eq!(rt.blocking_pool_stats().threads_started, 2);
}

#[test]
fn the_virtual_clock_does_not_jump_past_a_running_blocking_job() {
    let rt = virtual_runtime();
    let events = Rc::new(RefCell::new(Vec::new()));
    let real_start = std::time::Instant::now();
    rt.block_on({
        let events = events.clone();
        async move {
            let start = Instant::now();
            let sleeper = glassloop::spawn({
                let events = events.clone();
                async move {
                    sleep(Duration::from_secs(1)).await;
                    events.borrow_mut().push(("sleep ended", start.elapsed()));
                }
            });
            let job = spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(200));
                "job done"
            });
            let result = job.await.unwrap();
            events.borrow_mut().push((result, start.elapsed()));
            sleeper.await.unwrap();
        }
    });
    assert!(
        real_start.elapsed() >= Duration::from_millis(200),
        "the job really blocked"
    );
    assert_eq!(
        *events.borrow(),
        [
            ("job done", Duration::ZERO),
            ("sleep ended", Duration::from_secs(1)),
        ],
        "the job's result arrives before the clock jumps, and the sleep still ends at 1 s"
    );
}

#[test]
fn an_aborted_job_that_had_not_started_never_runs() {
    let rt = Runtime::builder()
        .virtual_clock()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let queued_result = rt.block_on({
        let ran = ran.clone();
        async move {
            let busy = spawn_blocking(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(PATIENCE).unwrap();
            });
            started_rx.recv_timeout(PATIENCE).unwrap(); // the only thread is now busy
            let queued = spawn_blocking(move || ran.store(true, Ordering::SeqCst));
            queued.abort();
            release_tx.send(()).unwrap();
            busy.await.unwrap();
            // FIFO: by the time a later job has run, the aborted one was taken and dropped.
            spawn_blocking(|| ()).await.unwrap();
            queued.await
        }
    });
    assert!(queued_result.unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst), "the aborted job ran anyway");
}

#[test]
fn aborting_a_running_job_reports_cancelled_but_the_job_runs_to_its_end() {
    let rt = virtual_runtime();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<&str>();
    let result = rt.block_on(async move {
        let job = spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv_timeout(PATIENCE).unwrap();
            done_tx.send("ran to its end").unwrap();
        });
        started_rx.recv_timeout(PATIENCE).unwrap();
        job.abort();
        assert!(job.is_finished(), "the handle reports the end at once");
        release_tx.send(()).unwrap();
        job.await
    });
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(done_rx.recv_timeout(PATIENCE), Ok("ran to its end"));
}

#[test]
#[should_panic(expected = "the loop is stalled")]
fn a_job_nobody_awaits_any_more_still_lets_the_loop_report_a_stall() {
    // Without the doorbell rung when the job's hold is released, this loop would sleep
    // "until woken" for ever after the job ended.
    glassloop::run(async {
        let job = spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)));
        job.abort();
        std::future::pending::<()>().await
    });
}

#[test]
fn dropping_a_runtime_waits_for_a_running_job_to_finish() {
    let rt = virtual_runtime();
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    rt.block_on({
        let finished = finished.clone();
        async move {
            // Detached: nobody awaits it, and the main future ends while it runs.
            drop(spawn_blocking(move || {
                started_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(50));
                finished.store(true, Ordering::SeqCst);
            }));
            started_rx.recv_timeout(PATIENCE).unwrap();
        }
    });
    drop(rt);
    assert!(
        finished.load(Ordering::SeqCst),
        "drop returned before the job ended"
    );
}

#[test]
fn dropping_a_runtime_gives_up_on_a_stuck_job_after_the_shutdown_timeout() {
    let timeout = Duration::from_millis(50);
    let rt = Runtime::builder()
        .virtual_clock()
        .blocking_shutdown_timeout(timeout)
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    rt.block_on(async move {
        drop(spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv_timeout(PATIENCE).unwrap();
            done_tx.send(()).unwrap();
        }));
        started_rx.recv_timeout(PATIENCE).unwrap();
    });
    let dropping = std::time::Instant::now();
    drop(rt);
    let waited = dropping.elapsed();
    assert!(waited >= timeout, "drop waited only {waited:?}");
    assert!(
        waited < PATIENCE,
        "drop waited for the stuck job: {waited:?}"
    );
    assert!(
        done_rx.try_recv().is_err(),
        "the job could not have finished yet"
    );
    // Let the detached thread finish, so the test leaves nothing running.
    release_tx.send(()).unwrap();
    done_rx.recv_timeout(PATIENCE).unwrap();
}

#[test]
fn a_blocking_job_can_run_async_code_on_a_loop_of_its_own() {
    let rt = virtual_runtime();
    let answer = rt.block_on(async {
        spawn_blocking(|| {
            glassloop::block_on(async {
                sleep(Duration::from_millis(5)).await;
                glassloop::spawn(async { 41 }).await.unwrap() + 1
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(answer, 42);
}

#[test]
#[should_panic(expected = "a glassloop runtime is already running on this thread")]
fn block_on_inside_a_loop_says_to_await_instead() {
    glassloop::run(async { glassloop::block_on(async {}) });
}

#[test]
#[should_panic(expected = "glassloop::spawn_blocking was called outside a glassloop runtime")]
fn spawn_blocking_outside_a_runtime_says_to_wrap_the_program_in_run() {
    drop(spawn_blocking(|| ()));
}

#[test]
fn spawn_blocking_is_also_reachable_as_task_spawn_blocking() {
    let rt = virtual_runtime();
    assert_eq!(
        rt.block_on(async { glassloop::task::spawn_blocking(|| 3).await.unwrap() }),
        3
    );
}

#[test]
fn no_job_is_lost_when_threads_exit_just_as_jobs_arrive() {
    // A keep-alive of zero makes every idle thread give up at once, so submitting and exiting
    // race all the time: each job must still run exactly once, within the limit.
    let rt = Runtime::builder()
        .max_blocking_threads(3)
        .blocking_keep_alive(Duration::ZERO)
        .build()
        .unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let total = rt.block_on({
        let runs = runs.clone();
        async move {
            let mut total = 0;
            for wave in 0..100u64 {
                let handles: Vec<_> = (0..5u64)
                    .map(|i| {
                        let runs = runs.clone();
                        spawn_blocking(move || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            wave * 5 + i
                        })
                    })
                    .collect();
                for handle in handles {
                    total += handle.await.unwrap();
                }
            }
            total
        }
    });
    assert_eq!(total, (0..500).sum::<u64>());
    assert_eq!(
        runs.load(Ordering::SeqCst),
        500,
        "every job ran exactly once"
    );
    let stats = rt.blocking_pool_stats();
    assert!(stats.peak_threads <= 3, "{stats:?}");
    assert_eq!(stats.queued, 0, "{stats:?}");
}

/// A job queues its task, then lets go of its hold on the virtual clock, on its own thread,
/// while the loop decides how to park. The loop must look at the hold before the queue: one
/// that saw an empty queue and then no hold called the wait a stall while the job's task sat
/// in the queue. A job taken by a pool thread still busy with the one before can end inside
/// that window. Timing decides whether it does: before the fix this test failed in about one
/// run in twenty and B2's test in one in twelve; after it, neither failed in 500 runs. The
/// order itself is checked deterministically in runtime/timer/driver.rs.
#[test]
fn a_job_that_ends_while_the_loop_decides_how_to_park_is_neither_a_stall_nor_a_jump() {
    for round in 0..50u32 {
        let rt = Runtime::builder()
            .virtual_clock()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (next, moved) = rt.block_on(async move {
            let start = Instant::now();
            let failed = spawn_blocking(|| -> u32 { panic!("the first job of the round fails") });
            assert!(failed.await.is_err());
            let next = spawn_blocking(move || round).await.unwrap();
            (next, Instant::now() - start)
        });
        assert_eq!(next, round);
        assert_eq!(
            moved,
            Duration::ZERO,
            "round {round}: time jumped past a queued task"
        );
    }
}
