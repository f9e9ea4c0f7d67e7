//! # Demo `files`: file I/O on the blocking pool while a ticker ticks
//!
//! epoll cannot wait for a regular file (see runtime/fs.rs), so every `glassloop::fs` call is
//! a job on the blocking pool. While a pool thread writes, reads and splits a file into lines,
//! the loop's thread stays free and a ticker task keeps its schedule.
//!
//! ```text
//!   time   0.0      0.1      0.15     0.2      0.25     0.3      0.35 s
//!   main   write             read              lines             remove
//!   ticker          tick 1            tick 2            tick 3
//!   pool   [write]           [read]            [lines]           [remove]
//! ```
//!
//! Under the virtual clock the file work takes no time at all: time stands still while a
//! blocking job runs (the loop cannot know how long it will take), so every printed instant
//! is exact. In real time the same lines print a few milliseconds later.
//!
//! asyncio: aiofiles (`async with aiofiles.open(...)`), which runs each call in a thread pool;
//! tokio: `tokio::fs`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::time::{interval_at, sleep, Instant};
use glassloop::{fs, Runtime};

use crate::secs;

const LINES: usize = 10_000;
const PERIOD: Duration = Duration::from_millis(100);

/// Tick three times, printing each tick and how late it ran.
async fn ticker(start: Instant, worst_late: Rc<Cell<Duration>>) {
    let mut interval = interval_at(start + PERIOD, PERIOD);
    for n in 1..=3 {
        let scheduled = interval.tick().await;
        worst_late.set(worst_late.get().max(scheduled.elapsed()));
        println!("[{}] tick {n}", secs(start.elapsed()));
    }
}

/// Run the demo.
pub fn main(runtime: &Runtime) {
    let path =
        std::env::temp_dir().join(format!("glassloop-files-demo-{}.txt", std::process::id()));
    println!(
        "write, read and count the lines of a file on the blocking pool, while a ticker ticks every {}",
        secs(PERIOD)
    );
    let result = runtime.block_on(async {
        let start = Instant::now();
        let worst_late = Rc::new(Cell::new(Duration::ZERO));
        let ticking = glassloop::spawn(ticker(start, worst_late.clone()));

        let text: String = (0..LINES).map(|n| format!("line {n}: {}\n", n * n)).collect();
        fs::write(&path, &text).await?;
        println!(
            "[{}] wrote {LINES} lines ({} bytes) through the pool",
            secs(start.elapsed()),
            text.len()
        );

        sleep(Duration::from_millis(150)).await;
        let read_back = fs::read_to_string(&path).await?;
        println!(
            "[{}] read {} bytes back through the pool, {}",
            secs(start.elapsed()),
            read_back.len(),
            if read_back == text { "the same text" } else { "DIFFERENT text" }
        );

        sleep(Duration::from_millis(100)).await;
        let mut lines = fs::lines(&path).await?;
        let (mut count, mut last) = (0, String::new());
        while let Some(line) = lines.next_line().await? {
            count += 1;
            last = line;
        }
        println!(
            "[{}] counted {count} lines with next_line ({} per trip to the pool); the last: \"{last}\"",
            secs(start.elapsed()),
            fs::LINES_PER_TRIP,
        );

        sleep(Duration::from_millis(100)).await;
        let missing = path.with_extension("missing");
        let err = fs::read(&missing).await.expect_err("that file does not exist");
        println!(
            "[{}] reading a missing file gives an io::Error of kind {:?} that names the path",
            secs(start.elapsed()),
            err.kind()
        );

        ticking.await.expect("the ticker does not panic");
        println!(
            "[{}] done; the ticker was at most {} late",
            secs(start.elapsed()),
            secs(worst_late.get())
        );
        std::io::Result::Ok(())
    });
    let _ = std::fs::remove_file(&path);
    if let Err(err) = result {
        println!("the demo failed: {err}");
    }
}
