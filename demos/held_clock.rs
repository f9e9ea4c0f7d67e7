//! # Demo `held_clock`: what holds the virtual clock still
//!
//! Under the virtual clock, time jumps to the next timer only when nothing else can happen.
//! Work running outside the loop could still happen: a blocking job on the pool, or a thread
//! of yours that announced itself with `OutsideWork`. While any of it is in flight, the clock
//! holds still (the rule is in runtime/timer/driver.rs), because that work may finish before
//! the timer would have, and jumping past it would tell a lie about time.
//!
//! Here an alarm is set for 5 s, and three pieces of outside work are in flight: two blocking
//! jobs and one `OutsideWork` on a plain thread. The demo prints what step mode would show
//! (`Runtime::describe_loop`): the outside work by kind and count, and where each piece was
//! started. Then the loop waits, the virtual clock still at 0 s, and debug mode says what
//! holds it. Each piece of work ends as soon as that report is written, and only then does
//! the clock jump to the alarm.
//!
//! Real programs do not wait for a report, of course: this is the one way to make the wait
//! long enough to see, the same on every run.
//!
//! asyncio: `run_in_executor` jobs hold the loop open, but its clock is the real one; tokio:
//! with `start_paused`, a `spawn_blocking` job holds auto-advance the same way, silently.

use std::sync::mpsc;
use std::time::Duration;

use glassloop::observe::Reports;
use glassloop::task::{yield_now, Builder as TaskBuilder};
use glassloop::time::{sleep, Instant};
use glassloop::{spawn_blocking, OutsideWork, Runtime};

use crate::secs;

/// What debug mode writes when the clock has been held for one threshold.
const HELD: &str = "the virtual clock is held";

/// Run the demo.
pub fn main(_runtime: &Runtime) {
    // Its own runtime, always on the virtual clock (the lesson is about it), its reports
    // collected so that the pieces of work can wait for them; the flags still apply.
    let reports = Reports::new();
    let builder = Runtime::builder()
        .virtual_clock()
        .debug()
        .watchdog(false)
        .debug_reports_to(reports.clone());
    let runtime = crate::with_flags(builder).build().expect("a runtime");
    let (releases, ends): (Vec<_>, Vec<_>) = (0..3).map(|_| mpsc::channel::<()>()).unzip();
    let mut ends = ends.into_iter();
    runtime.block_on(async {
        let alarm = TaskBuilder::new().name("alarm").spawn(async {
            sleep(Duration::from_secs(5)).await;
            println!(
                "[{}] alarm: 5 s have passed",
                secs(Instant::now().since_origin())
            );
        });
        let fetch = ends.next().expect("three ends");
        let fetch = spawn_blocking(move || {
            let _ = fetch.recv();
            "fetched"
        });
        let parse = ends.next().expect("three ends");
        let parse = spawn_blocking(move || {
            let _ = parse.recv();
            "parsed"
        });
        let callback = ends.next().expect("three ends");
        let work = OutsideWork::new();
        std::thread::spawn(move || {
            let _ = callback.recv();
            drop(work); // a callback thread that announced itself: done
        });
        yield_now().await; // the jobs' tasks park on their results
        yield_now().await;
        println!("main: two blocking jobs and an OutsideWork are in flight; the loop:");
        println!("{}", runtime.describe_loop()); // what step mode prints before a tick
                                                 // Each piece of work ends once the loop has said what holds the clock.
        let watcher = reports.clone();
        std::thread::spawn(move || {
            while !watcher.contents().contains(HELD) {
                std::thread::sleep(Duration::from_millis(1)); // how often to look
            }
            for release in releases {
                let _ = release.send(());
            }
        });
        let (fetched, parsed) = (
            fetch.await.expect("no panic"),
            parse.await.expect("no panic"),
        );
        println!(
            "[{}] main: {fetched} and {parsed}",
            secs(Instant::now().since_origin())
        );
        alarm.await.expect("the alarm does not panic");
    });
    let reports = reports.contents();
    // The first report only: the three pieces end on three threads, and on a busy machine
    // the loop may run between two of them and report the rest once more.
    let first = reports
        .split_inclusive("keeps waiting.\n")
        .next()
        .unwrap_or(&reports);
    print!("what debug mode reported while the clock was held:\n{first}");
    crate::show_flags("held_clock", &runtime);
}
