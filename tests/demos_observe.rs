//! The observation demos print exactly this under the virtual clock; `blocking` runs on the
//! real clock and is checked line by line with generous bounds.

mod common;
use common::run_demo_virtual;

use std::process::Command;

/// Run the demos binary and return (stdout, stderr).
fn run_with_stderr(args: &[&str]) -> (String, String) {
    let output = common::run_demo_output(args);
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(
        output.status.success(),
        "{args:?} failed\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// The seconds printed after `prefix` on the line that starts with it.
fn seconds_after(text: &str, prefix: &str) -> f64 {
    let line = text
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"));
    line[prefix.len()..]
        .split(" s")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no seconds in {line:?}"))
}

#[test]
fn demo_blocking_takes_ten_units_not_six_and_the_report_names_the_blocker_then_the_fix_takes_six() {
    let (out, err) = run_with_stderr(&["--fast", "blocking"]);
    // --fast: one demo second is 0.1 s. Part 1: 0.6 s of blocking, then 0.4 s of fetches.
    let part1 = seconds_after(&out, "part 1 took ");
    assert!((0.95..3.0).contains(&part1), "part 1 took {part1} s\n{out}");
    // Part 2: everything overlaps, as long as the 0.6 s job.
    let part2 = seconds_after(&out, "part 2 took ");
    assert!(
        (0.59..0.95).contains(&part2),
        "part 2 took {part2} s\n{out}"
    );
    // Exactly one slow-poll report, for part 1, naming the task, its spawn site and the
    // heartbeat it made late.
    assert_eq!(err.matches("glassloop: slow poll").count(), 1, "{err}");
    for expected in [
        "glassloop: slow poll: task 'resize image' #2 held the loop for 0.",
        "  spawned at   demos/blocking.rs:",
        "  resumed from its start (first poll)",
        "  meanwhile    3 ready task(s) waited, 1 timer(s) came due and are late:",
        "    timer of task 'heartbeat' #1 (set at demos/blocking.rs:",
        "glassloop watchdog: the loop is blocked right now: task 'resize image' #2",
    ] {
        assert!(
            err.contains(expected),
            "missing {expected:?} in stderr:\n{err}"
        );
    }
    let late_by: f64 = err
        .split("late by ")
        .nth(1)
        .and_then(|rest| rest.split(" s").next())
        .and_then(|n| n.parse().ok())
        .expect("a lateness");
    assert!((0.4..3.0).contains(&late_by), "late by {late_by} s\n{err}");
    // The heartbeat was due at 0.1 s: late in part 1, on time in part 2.
    let beats: Vec<f64> = out
        .lines()
        .filter(|l| l.contains("heartbeat (due at 0.100 s)"))
        .map(|l| seconds_after(l, "["))
        .collect();
    assert_eq!(beats.len(), 2, "{out}");
    assert!(beats[0] >= 0.59, "{out}");
    assert!(beats[1] < 0.5, "{out}");
}

#[test]
fn demo_trace_narrates_each_tick_and_draws_the_timeline() {
    assert_eq!(
        run_demo_virtual("trace"),
        "[0.000 s] tick: ran 1 task(s)\n\
         [0.000 s]   decide: don't sleep, tasks are ready\n\
         [0.000 s] tick: ran 2 task(s)\n\
         [0.000 s]   decide: nothing is ready: the virtual clock jumps to the next timer's deadline\n\
         [1.000 s]   task 'A' #1 woken by its timer due at 1.000 s\n\
         [1.000 s]   fire: 1 timer(s) fired, 1 task(s) woken\n\
         [1.000 s] A woke after 1 s\n\
         [1.000 s] tick: ran 1 task(s)\n\
         [1.000 s]   decide: nothing is ready: the virtual clock jumps to the next timer's deadline\n\
         [2.000 s]   task 'A' #1 woken by its timer due at 2.000 s\n\
         [2.000 s]   fire: 1 timer(s) fired, 1 task(s) woken\n\
         [2.000 s] A woke after 1 s\n\
         [2.000 s]   main future #0 woken by task 'A' #1 (a JoinHandle completing)\n\
         [2.000 s] tick: ran 1 task(s)\n\
         [2.000 s]   decide: don't sleep, tasks are ready\n\
         [2.000 s] tick: ran 1 task(s)\n\
         [2.000 s]   decide: nothing is ready: the virtual clock jumps to the next timer's deadline\n\
         [3.000 s]   task 'B' #2 woken by its timer due at 3.000 s\n\
         [3.000 s]   fire: 1 timer(s) fired, 1 task(s) woken\n\
         [3.000 s] B woke after 3 s\n\
         [3.000 s]   main future #0 woken by task 'B' #2 (a JoinHandle completing)\n\
         [3.000 s] tick: ran 1 task(s)\n\
         [3.000 s]   decide: don't sleep, tasks are ready\n\
         [3.000 s] main: both done\n\
         timeline 0.000 s .. 3.000 s, one column = 0.077 s   (# running, r ready, . waiting)\n\
         main future #0  #.........................#............#\n\
         task 'A' #1     #............#............#\n\
         task 'B' #2     #......................................#\n\
         who woke whom:\n\
         \x20 [2.000 s] main future #0 woken by task 'A' #1 (a JoinHandle completing)\n\
         \x20 [3.000 s] main future #0 woken by task 'B' #2 (a JoinHandle completing)\n\
         "
    );
}

#[test]
fn demo_stall_stops_with_an_error_and_the_task_dump_instead_of_hanging() {
    assert_eq!(
        run_demo_virtual("stall"),
        "main: waiting for the consumer, which waits for a message\n\
         block_on stopped with an error instead of hanging:\n\
         glassloop: the loop is stalled (virtual clock). The main future is waiting, but no task is ready, no timer is set, no socket is registered and no work runs outside the loop, so no time can pass and nothing in the loop can happen. Wakers are still held, by something inside the loop (a channel whose sender nobody will use) or by a thread that did not announce its work. If a thread of yours will wake a task, announce it so the clock waits for it: create `let work = glassloop::OutsideWork::new();` on the loop's thread, move `work` into the thread, and drop it after the thread's last `wake` (`spawn_blocking` does this for you).\n\
         Tasks still pending:\n\
         \x20 main future #0 waits on the JoinHandle of task 'consumer' #1 (spawned at demos/stall.rs:63:64)\n\
         \x20 task 'consumer' #1 spawned at demos/stall.rs:63:64, polled 1 time(s)\n\
         glassloop task dump at 0.000 s: 1 task(s) besides the main future; 0 timer(s) set, no socket waiter(s), 0 job(s) running outside the loop.\n\
         \x20 main future #0: waiting, 1 waker(s) held\n\
         \x20     spawned at demos/stall.rs:60:17\n\
         \x20     parked at  demos/stall.rs:65:22\n\
         \x20     waits on   the JoinHandle of task 'consumer' #1 (spawned at demos/stall.rs:63:64)\n\
         \x20 task 'consumer' #1: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at demos/stall.rs:63:64 by main future #0\n\
         \x20     parked at  an await point that does not record itself\n\
         \x20 await tree (who awaits whose JoinHandle):\n\
         \x20   main future #0\n\
         \x20      └─ awaits task 'consumer' #1\n\
         "
    );
}

#[test]
fn demo_deadlock_names_the_cycle_in_the_stall_report_and_draws_the_await_tree() {
    assert_eq!(
        run_demo_virtual("deadlock"),
        "main: 'a' waits for 'b', and 'b' for 'a'; main waits for a message\n\
         block_on stopped with an error instead of hanging:\n\
         glassloop: the loop is stalled (virtual clock). The main future is waiting, but no task is ready, no timer is set, no socket is registered and no work runs outside the loop, so no time can pass and nothing in the loop can happen. Wakers are still held, by something inside the loop (a channel whose sender nobody will use) or by a thread that did not announce its work. If a thread of yours will wake a task, announce it so the clock waits for it: create `let work = glassloop::OutsideWork::new();` on the loop's thread, move `work` into the thread, and drop it after the thread's last `wake` (`spawn_blocking` does this for you).\n\
         deadlock: task 'a' #1 awaits task 'b' #2, which awaits task 'a' #1\n\
         Tasks still pending:\n\
         \x20 main future #0 waits on a oneshot channel created at demos/deadlock.rs:49:47 (recv)\n\
         \x20 task 'a' #1 spawned at demos/deadlock.rs:37:50, polled 1 time(s), waits on the JoinHandle of task 'b' #2 (spawned at demos/deadlock.rs:38:54)\n\
         \x20 task 'b' #2 spawned at demos/deadlock.rs:38:54, polled 1 time(s), waits on the JoinHandle of task 'a' #1 (spawned at demos/deadlock.rs:37:50)\n\
         glassloop task dump at 0.000 s: 2 task(s) besides the main future; 0 timer(s) set, no socket waiter(s), 0 job(s) running outside the loop.\n\
         \x20 main future #0: waiting, 1 waker(s) held\n\
         \x20     spawned at demos/deadlock.rs:34:17\n\
         \x20     parked at  demos/deadlock.rs:50:29\n\
         \x20     waits on   a oneshot channel created at demos/deadlock.rs:49:47 (recv)\n\
         \x20 task 'a' #1: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at demos/deadlock.rs:37:50 by main future #0\n\
         \x20     parked at  demos/deadlock.rs:45:19\n\
         \x20     waits on   the JoinHandle of task 'b' #2 (spawned at demos/deadlock.rs:38:54)\n\
         \x20 task 'b' #2: waiting, polled 1 time(s), 1 waker(s) held\n\
         \x20     spawned at demos/deadlock.rs:38:54 by task 'a' #1\n\
         \x20     parked at  demos/deadlock.rs:43:23\n\
         \x20     waits on   the JoinHandle of task 'a' #1 (spawned at demos/deadlock.rs:37:50)\n\
         \x20 await tree (who awaits whose JoinHandle):\n\
         \x20   task 'a' #1\n\
         \x20      └─ awaits task 'b' #2\n\
         \x20         └─ awaits task 'a' #1 (a cycle: deadlock)\n\
         \x20 deadlock: task 'a' #1 awaits task 'b' #2, which awaits task 'a' #1\n\
         "
    );
}

#[test]
fn demo_lost_waker_reports_the_forgetful_task_at_once_and_the_fix_runs() {
    assert_eq!(
        run_demo_virtual("lost_waker"),
        "round 1: WaitForBell returns Pending without keeping the waker\n\
         glassloop: lost waker: task 'waiter' #1 returned Pending, but nobody holds its waker: no timer, socket, channel or thread can ever wake it, so it will never run again.\n\
         \x20 spawned at demos/lost_waker.rs:73:52\n\
         \x20 parked at  a hand-written future (it recorded no await point)\n\
         \x20 A future that returns Poll::Pending must first store cx.waker().clone() where the event it waits for will call wake() on it.\n\
         [1.000 s] main: ringing the bell\n\
         [2.000 s] main: the waiter never ran again; cancelling it\n\
         round 2: WaitForBell keeps cx.waker() before returning Pending\n\
         [1.000 s] main: ringing the bell\n\
         [1.000 s] waiter: the bell rang\n\
         [2.000 s] main: the waiter finished\n\
         "
    );
}

/// The ```text blocks of a chapter.
fn text_blocks(chapter: &str) -> Vec<String> {
    let path = format!("{}/docs/{chapter}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.split("```text\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .collect()
}

#[test]
fn demo_held_clock_says_what_holds_the_virtual_clock_by_kind_count_and_place() {
    assert_eq!(
        run_demo_virtual("held_clock"),
        "main: two blocking jobs and an OutsideWork are in flight; the loop:\n\
         ── tick 4 at 0.000 s ──\n\
         ready queue (0): empty\n\
         timers (1):\n\
         \x20 task 'alarm' #1 due at 5.000 s, wheel level 2 slot 1 (set at demos/held_clock.rs:50:13)\n\
         I/O waiters: none\n\
         outside work (3): 2 blocking jobs in flight, 1 OutsideWork; the virtual clock waits for them\n\
         \x20 blocking job (glassloop::spawn_blocking) at demos/held_clock.rs:57:21, in flight since 0.000 s\n\
         \x20 blocking job (glassloop::spawn_blocking) at demos/held_clock.rs:62:21, in flight since 0.000 s\n\
         \x20 OutsideWork at demos/held_clock.rs:67:20, in flight since 0.000 s\n\
         [0.000 s] main: fetched and parsed\n\
         [5.000 s] alarm: 5 s have passed\n\
         what debug mode reported while the clock was held:\n\
         glassloop: the virtual clock is held at 0.000 s: for 0.100 s no task was ready, and time may not jump to the next timer (due at 5.000 s) while outside work is in flight: 2 blocking jobs in flight, 1 OutsideWork.\n\
         \x20 blocking job (glassloop::spawn_blocking) at demos/held_clock.rs:57:21, in flight since 0.000 s\n\
         \x20 blocking job (glassloop::spawn_blocking) at demos/held_clock.rs:62:21, in flight since 0.000 s\n\
         \x20 OutsideWork at demos/held_clock.rs:67:20, in flight since 0.000 s\n\
         \x20 Time moves on once each has ended: a blocking job when its function returns, an OutsideWork when it is dropped. One that never ends holds the clock for good. The loop keeps waiting.\n\
         "
    );
}

#[test]
fn the_chapters_quote_what_the_virtual_clock_demos_really_print() {
    let stall = run_demo_virtual("stall");
    let lost = run_demo_virtual("lost_waker");
    let deadlock = run_demo_virtual("deadlock");
    let trace = run_demo_virtual("trace");
    let mut checked = 0;
    for (chapter, demo_outputs) in [
        ("05-dump-and-stalls.md", [&stall, &lost, &deadlock]),
        ("06-timeline.md", [&trace, &trace, &trace]),
    ] {
        for block in text_blocks(chapter) {
            let from_a_demo = block.starts_with("glassloop: ")
                || block.starts_with("timeline ")
                || block.starts_with("[0.000 s]");
            if from_a_demo {
                assert!(
                    demo_outputs.iter().any(|out| out.contains(&block)),
                    "docs/{chapter} quotes output no demo prints:\n{block}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5);
}

#[test]
fn step_mode_pauses_before_each_tick_until_enter_and_c_runs_to_the_end() {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_glassloop-demos"))
        .args(["--virtual-clock", "--step", "sleep"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Enter twice (two ticks, one at a time), then run to the end.
    child.stdin.take().unwrap().write_all(b"\n\nc\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(err.matches("[Enter: run this tick").count(), 3, "{err}");
    assert!(
        err.starts_with("── tick 1 at 0.000 s ──\nready queue (1): main future #0\n"),
        "{err}"
    );
    assert!(
        err.contains("── tick 2 at 0.000 s ──\nready queue (3): task #1, task #2, task #3"),
        "{err}"
    );
    assert!(
        err.contains("── tick 3 at 1.000 s ──\nready queue (2): task #1, task #3\ntimers (1):\n  task #2 due at 4.000 s, wheel level 1 slot 62 (set at demos/sleep.rs:"),
        "{err}"
    );
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.ends_with("all done after 4.000 s (one after another it would take 6 s)\n"));
}

#[test]
fn timeline_and_trace_flags_draw_the_demo_and_write_perfetto_json() {
    let file = std::env::temp_dir().join(format!("glassloop-trace-{}.json", std::process::id()));
    let file_arg = file.to_str().unwrap();
    let (out, _) = run_with_stderr(&[
        "--virtual-clock",
        "--timeline",
        "--trace",
        file_arg,
        "sleep",
    ]);
    assert!(
        out.contains(
            "timeline 0.000 s .. 4.000 s, one column = 0.103 s   (# running, r ready, . waiting)\n\
             main future #0  #........#.............................#\n\
             task #1         #........#\n\
             task #2         #......................................#\n\
             task #3         #........#\n"
        ),
        "{out}"
    );
    assert!(out.ends_with(&format!(
        "wrote the Chrome trace of 'sleep' to {file_arg}\n"
    )));
    let json = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(
        json.starts_with("{\"traceEvents\":[")
            && json.ends_with("\"otherData\":{\"dropped_events\":\"0\"}}")
    );
    assert_eq!(
        json.matches("\"name\":\"woken by its timer due at ")
            .count(),
        3,
        "{json}"
    );
}
