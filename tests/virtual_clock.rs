//! The virtual clock is exact: time moves only when the loop has nothing else to do, and then
//! straight to the next deadline, so every timed assertion here is an equality.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::task::yield_now;
use glassloop::time::{interval, sleep, timeout, Instant};
use glassloop::Runtime;

fn virtual_runtime() -> Runtime {
    Runtime::builder().virtual_clock().build().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn a_virtual_clock_starts_at_zero() {
    let rt = virtual_runtime();
    assert_eq!(rt.now().since_origin(), Duration::ZERO);
    assert!(rt.is_virtual_clock());
}

#[test]
fn sleeping_4_s_then_elapsed_is_exactly_4_s() {
    let rt = virtual_runtime();
    let elapsed = rt.block_on(async {
        let start = Instant::now();
        sleep(secs(4)).await;
        start.elapsed()
    });
    assert_eq!(elapsed, secs(4));
    assert_eq!(rt.now().since_origin(), secs(4));
}

#[test]
fn nested_and_overlapping_sleeps_end_at_exact_instants() {
    let rt = virtual_runtime();
    let log = Rc::new(RefCell::new(Vec::new()));
    let at = |log: &Rc<RefCell<Vec<(&'static str, Duration)>>>, what| {
        log.borrow_mut().push((what, Instant::now().since_origin()));
    };
    let total = rt.block_on(async {
        let start = Instant::now();
        let short = {
            let log = log.clone();
            glassloop::spawn(async move {
                sleep(secs(1)).await;
                at(&log, "short done");
            })
        };
        let chained = {
            let log = log.clone();
            glassloop::spawn(async move {
                sleep(secs(2)).await;
                at(&log, "chained half");
                // A sleep started inside another task's timeline, overlapping main's.
                let inner = glassloop::spawn(sleep(ms(1500)));
                sleep(secs(2)).await;
                inner.await.unwrap();
                at(&log, "chained done");
            })
        };
        sleep(secs(3)).await;
        at(&log, "main slept");
        short.await.unwrap();
        chained.await.unwrap();
        start.elapsed()
    });
    assert_eq!(
        total,
        secs(4),
        "overlapping sleeps take the longest, not the sum"
    );
    assert_eq!(
        *log.borrow(),
        [
            ("short done", secs(1)),
            ("chained half", secs(2)),
            ("main slept", secs(3)),
            ("chained done", secs(4)),
        ]
    );
}

#[test]
fn a_timeout_gives_up_at_exactly_its_deadline() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        let err = timeout(secs(5), sleep(secs(10))).await.unwrap_err();
        assert_eq!(start.elapsed(), secs(5));
        assert_eq!(err.deadline(), start + secs(5));

        // A future that finishes first is returned at its own instant.
        let start = Instant::now();
        let value = timeout(secs(5), async {
            sleep(secs(3)).await;
            "in time"
        })
        .await;
        assert_eq!(value, Ok("in time"));
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn a_timeout_counts_its_duration_from_the_first_poll_that_finds_its_future_waiting() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let start = Instant::now();
        // Made now, awaited 3 s later: as asyncio's `wait_for`, its clock starts at the await.
        let later = timeout(secs(5), sleep(secs(10)));
        sleep(secs(3)).await;
        let err = later.await.unwrap_err();
        assert_eq!(start.elapsed(), secs(8));
        assert_eq!(err.deadline(), start + secs(8));

        // `timeout_at` is absolute: the wait is the same whenever it is first polled.
        let start = Instant::now();
        let at = glassloop::time::timeout_at(start + secs(5), sleep(secs(10)));
        sleep(secs(3)).await;
        assert_eq!(at.await.unwrap_err().deadline(), start + secs(5));
        assert_eq!(start.elapsed(), secs(5));
    });
}

#[test]
fn an_interval_ticks_at_exact_instants() {
    let rt = virtual_runtime();
    let ticks = rt.block_on(async {
        let mut ticker = interval(ms(250));
        let mut ticks = Vec::new();
        for _ in 0..5 {
            let scheduled = ticker.tick().await;
            ticks.push((scheduled.since_origin(), Instant::now().since_origin()));
        }
        ticks
    });
    let expected: Vec<(Duration, Duration)> =
        [0, 250, 500, 750, 1000].map(|n| (ms(n), ms(n))).to_vec();
    assert_eq!(ticks, expected);
}

#[test]
fn an_interval_that_falls_behind_delivers_the_missed_ticks_at_once() {
    let rt = virtual_runtime();
    let ticks = rt.block_on(async {
        let mut ticker = interval(ms(250));
        let mut ticks = Vec::new();
        ticker.tick().await; // at 0
        sleep(ms(600)).await; // misses the ticks at 250 and 500
        for _ in 0..3 {
            let scheduled = ticker.tick().await;
            ticks.push((scheduled.since_origin(), Instant::now().since_origin()));
        }
        ticks
    });
    assert_eq!(
        ticks,
        [(ms(250), ms(600)), (ms(500), ms(600)), (ms(750), ms(750))]
    );
}

#[test]
fn a_ten_virtual_second_program_finishes_in_well_under_a_real_second() {
    let rt = virtual_runtime();
    let real_start = std::time::Instant::now();
    let elapsed = rt.block_on(async {
        let start = Instant::now();
        let mut workers = Vec::new();
        // Six workers splitting 10 s into 1, 2, 4, 5, 8 and 10 sleeps of whole milliseconds.
        for n in [1, 2, 4, 5, 8, 10] {
            workers.push(glassloop::spawn(async move {
                for _ in 0..n {
                    sleep(secs(10) / n).await;
                }
            }));
        }
        for worker in workers {
            worker.await.unwrap();
        }
        start.elapsed()
    });
    let real = real_start.elapsed();
    assert_eq!(elapsed, secs(10));
    assert!(
        real < secs(1),
        "10 virtual seconds took {real:?} of real time"
    );
}

#[test]
fn time_does_not_move_while_tasks_run() {
    let rt = virtual_runtime();
    rt.block_on(async {
        sleep(ms(7)).await;
        let before = Instant::now();
        // Real work that takes real time (a blocking call here, to make the point), and
        // yields that let other tasks run: neither moves virtual time.
        std::thread::sleep(ms(20));
        let busy = glassloop::spawn(async {
            for _ in 0..100 {
                yield_now().await;
            }
        });
        for _ in 0..10 {
            yield_now().await;
        }
        busy.await.unwrap();
        assert_eq!(Instant::now(), before);
        assert_eq!(before.since_origin(), ms(7));
    });

    // Step by step: while a task is ready, every pass reports the same instant, even with a
    // timer waiting.
    let rt = virtual_runtime();
    rt.spawn(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    rt.spawn(async { sleep(ms(50)).await });
    let instants: Vec<Duration> = (0..4).map(|_| rt.step().now.since_origin()).collect();
    assert_eq!(instants, [ms(0), ms(0), ms(0), ms(50)]);
}

#[test]
fn sub_millisecond_deadlines_round_up_never_early() {
    let rt = virtual_runtime();
    let waits = rt.block_on(async {
        let mut waits = Vec::new();
        for d in [
            Duration::from_micros(1),
            Duration::from_micros(1500),
            Duration::from_micros(999),
            ms(1),
        ] {
            let start = Instant::now();
            sleep(d).await;
            waits.push((d, start.elapsed()));
        }
        waits
    });
    for (asked, waited) in &waits {
        assert!(waited >= asked, "asked {asked:?}, woke after {waited:?}");
    }
    // Timers live on whole milliseconds: deadlines are rounded up to the next one.
    let waited: Vec<Duration> = waits.iter().map(|(_, waited)| *waited).collect();
    assert_eq!(waited, [ms(1), ms(2), ms(1), ms(1)]);

    // A zero sleep is already over: it does not wait for the clock at all.
    let rt = virtual_runtime();
    let elapsed = rt.block_on(async {
        let start = Instant::now();
        sleep(Duration::ZERO).await;
        start.elapsed()
    });
    assert_eq!(elapsed, Duration::ZERO);
}

#[test]
fn the_virtual_clock_stops_only_at_deadlines() {
    // 200 ms and 1 s lie beyond the timer wheel's first level, so the wheel has bookkeeping to
    // do (cascades, at 192 ms and 960 ms) before either deadline. Virtual time must jump over
    // those instants to the deadlines themselves: one tick, one jump, one timer fired.
    let rt = virtual_runtime();
    rt.spawn(async { sleep(ms(200)).await });
    rt.spawn(async { sleep(secs(1)).await });
    let report = |tick: glassloop::Tick| (tick.polled, tick.timers_fired, tick.now.since_origin());
    assert_eq!(report(rt.step()), (2, 1, ms(200)));
    assert_eq!(report(rt.step()), (1, 1, secs(1)));
    assert_eq!(report(rt.step()), (1, 0, secs(1)));
    assert_eq!(rt.live_tasks(), 0);
}
