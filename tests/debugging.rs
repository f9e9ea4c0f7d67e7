//! # The debugger guide, replayed in gdb
//!
//! docs/debugging.md promises a learner that `break glassloop::executor::Runtime::poll_task`
//! stops somewhere, and that the backtrace there reads `poll_task ← tick ← block_on ← main`.
//! Those promises break silently: rename a function, inline it, move a poll into a helper, and
//! the guide is wrong while every other test still passes. So this file reads the guide's
//! `gdb-breakpoints` block, the single list of breakpoints, and checks each row in a real gdb:
//!
//! ```text
//!   docs/debugging.md ──► rows: demo | breakpoint | f0 ← f1 ← f2 ...
//!                              │
//!                              ▼  one gdb script per demo
//!   tbreak <breakpoint>  +  on hit: print a marker, `bt`, continue      (one per row)
//!   run --virtual-clock <demo>
//!                              │
//!                              ▼
//!   every marker present?  frame #0 names f0?  f1, f2 ... in later frames, in that order?
//! ```
//!
//! `tbreak` (a breakpoint that deletes itself) checks the *first* stop of each breakpoint, the
//! one the guide shows. One gdb run per demo keeps the whole file to a second or two.
//!
//! The same run keeps the guide's *line numbers* true. Every frame of those backtraces is a
//! pair, a function and the function it called, at a line (`Runtime::tick` calling
//! `Runtime::poll_main` at one line of `runtime/executor/mod.rs`). Each frame line of the guide's
//! transcripts whose pair the run passed through must name the same line, and so must the
//! `Breakpoint 1 at ...: file F, line L.` that gdb prints for a `break` and the source line it
//! echoes under a stop. `GLASSLOOP_BLESS_QUOTES=1 cargo test --test debugging` rewrites them
//! from the run, so after code moves, one command makes the transcripts true again.
//!
//! Where gdb is missing the gdb tests print why and pass without checking; `.ci/run` installs
//! gdb so that CI always checks. They also skip in an optimised build, where the functions are
//! inlined on purpose, and where the machine forbids ptrace (some containers).
//!
//! Read next: docs/debugging.md.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

/// The guide, compiled in: editing it rebuilds this test.
const GUIDE: &str = include_str!("../docs/debugging.md");
/// The functions of the core path the guide must give a breakpoint for.
const CORE_PATH: &[&str] = &[
    "glassloop::executor::Runtime::tick",
    "glassloop::executor::Runtime::poll_task",
    "glassloop::waker::TaskWaker::schedule",
    "glassloop::executor::Runtime::fire_timers",
    "glassloop::timer::wheel::Wheel<core::task::wake::Waker>::advance<core::task::wake::Waker>",
    "glassloop::reactor::Reactor::poll_events",
];
/// gdb gets this long per demo; a healthy run takes about one second.
const GDB_DEADLINE: Duration = Duration::from_secs(60);

/// One row of the guide's table.
#[derive(Debug)]
struct Row {
    demo: String,
    breakpoint: String,
    /// Innermost first; `*` matches any text.
    backtrace: Vec<String>,
}

/// The rows of the ```` ```gdb-breakpoints ```` block; panics if the block is missing or a
/// row is malformed, naming the line.
fn guide_rows() -> Vec<Row> {
    let start = GUIDE
        .find("```gdb-breakpoints\n")
        .expect("docs/debugging.md has no ```gdb-breakpoints block");
    let body = &GUIDE[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body
        .find("```")
        .expect("the gdb-breakpoints block is not closed");
    body[..end]
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [demo, breakpoint, backtrace] = cells[..] else {
                panic!("a gdb-breakpoints row needs 3 cells `demo | breakpoint | a ← b`: {line}");
            };
            Row {
                demo: demo.to_string(),
                breakpoint: breakpoint.to_string(),
                backtrace: backtrace.split('←').map(|f| f.trim().to_string()).collect(),
            }
        })
        .collect()
}

#[test]
fn the_guide_gives_a_breakpoint_on_every_core_function_and_each_demo_body() {
    let rows = guide_rows();
    for demo in ["hello", "sleep"] {
        let breakpoints: Vec<&str> = rows
            .iter()
            .filter(|row| row.demo == demo)
            .map(|row| row.breakpoint.as_str())
            .collect();
        for function in CORE_PATH {
            if demo == "hello" && function.ends_with("poll_task") {
                continue; // hello spawns no task: its coroutine is polled by poll_main
            }
            assert!(
                breakpoints.contains(function),
                "docs/debugging.md gives no `{demo}` breakpoint on {function}"
            );
        }
        assert!(
            breakpoints
                .iter()
                .any(|b| b.starts_with(&format!("glassloop_demos::{demo}::"))
                    && b.contains("{async_")),
            "docs/debugging.md gives no breakpoint inside the body of the `{demo}` demo"
        );
    }
    for row in &rows {
        assert!(
            glob_contains(&row.breakpoint, &row.backtrace[0]),
            "the backtrace of `{}` should start at that function, not at {}",
            row.breakpoint,
            row.backtrace[0]
        );
    }
}

#[test]
fn every_breakpoint_of_the_guide_stops_hello_with_the_documented_backtrace() {
    check_demo("hello");
}

#[test]
fn every_breakpoint_of_the_guide_stops_sleep_with_the_documented_backtrace() {
    check_demo("sleep");
}

#[test]
fn the_vscode_launch_configurations_run_both_demos_under_both_debuggers() {
    let launch = include_str!("../.vscode/launch.json");
    for debugger in ["\"type\": \"lldb\"", "\"type\": \"cppdbg\""] {
        assert_eq!(
            launch.matches(debugger).count(),
            2,
            ".vscode/launch.json should have one {debugger} entry per demo"
        );
    }
    for demo in ["hello", "sleep"] {
        assert_eq!(
            launch
                .matches(&format!("\"args\": [\"--virtual-clock\", \"{demo}\"]"))
                .count(),
            2,
            ".vscode/launch.json should run `{demo}` under the virtual clock in both debuggers"
        );
    }
}

// ───────────────────────────── running gdb ─────────────────────────────

/// The rows of `demo` in the guide's table.
fn demo_rows(demo: &str) -> Vec<Row> {
    let rows: Vec<Row> = guide_rows()
        .into_iter()
        .filter(|r| r.demo == demo)
        .collect();
    assert!(!rows.is_empty(), "docs/debugging.md has no rows for {demo}");
    rows
}

/// What gdb printed for every row of `demo`, run once per test binary and shared by the tests
/// that need it; `Err` says why gdb cannot run here (the tests then print it and pass).
fn gdb_output(demo: &str) -> Result<&'static str, &'static str> {
    static HELLO: OnceLock<Result<String, &'static str>> = OnceLock::new();
    static SLEEP: OnceLock<Result<String, &'static str>> = OnceLock::new();
    let cell = match demo {
        "hello" => &HELLO,
        "sleep" => &SLEEP,
        _ => panic!("the guide's table covers `hello` and `sleep`, not `{demo}`"),
    };
    let run = cell.get_or_init(|| {
        if cfg!(not(debug_assertions)) {
            return Err(
                "skipping: an optimised build inlines the core path; run `cargo test` in debug",
            );
        }
        let Some(gdb) = find_gdb() else {
            return Err(
                "skipping the gdb check of docs/debugging.md: neither rust-gdb nor gdb is \
                        on PATH. Install gdb (e.g. `apt-get install gdb`) to run it; .ci/run does.",
            );
        };
        let output = run_gdb(&gdb, demo, &demo_rows(demo));
        if output.contains("ptrace: Operation not permitted")
            || output.contains("Could not trace the inferior process")
        {
            return Err("skipping: this machine does not allow gdb to trace a process (ptrace)");
        }
        Ok(output)
    });
    run.as_deref().map_err(|why| *why)
}

/// Run every row of `demo` through gdb and check its backtrace.
fn check_demo(demo: &str) {
    let rows = demo_rows(demo);
    let output = match gdb_output(demo) {
        Ok(output) => output,
        Err(why) => {
            println!("{why}");
            return;
        }
    };
    let hits = split_hits(output, rows.len());
    for (i, row) in rows.iter().enumerate() {
        let Some(frames) = &hits[i] else {
            panic!(
                "gdb never stopped at `{}` in the `{demo}` demo.\n--- gdb output ---\n{output}",
                row.breakpoint
            );
        };
        if let Err(message) = check_backtrace(&row.backtrace, frames) {
            panic!(
                "at `{}` in the `{demo}` demo, {message}\n--- backtrace ---\n{}",
                row.breakpoint,
                frames.join("\n")
            );
        }
    }
}

/// `rust-gdb` if it works, else `gdb`, else nothing.
fn find_gdb() -> Option<String> {
    ["rust-gdb", "gdb"]
        .into_iter()
        .map(String::from)
        .find(|gdb| {
            Command::new(gdb)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
}

/// The gdb script for `rows`: settings that work in containers, then per row a temporary
/// breakpoint that prints a numbered marker and a backtrace and carries on.
fn gdb_script(rows: &[Row]) -> String {
    let mut script = String::from(
        "set pagination off\nset confirm off\nset width 0\nset height 0\n\
         set startup-with-shell off\nset disable-randomization off\n\
         set breakpoint pending off\nset print pretty off\n",
    );
    for (i, row) in rows.iter().enumerate() {
        script.push_str(&format!(
            "tbreak {}\ncommands\nsilent\nprintf \"=== glassloop breakpoint {i}\\n\"\nbt 60\ncontinue\nend\n",
            row.breakpoint
        ));
    }
    script.push_str("run\n");
    script
}

/// Run gdb in batch mode on the demos binary and return everything it printed. Fails the test
/// if gdb cannot start or runs past `GDB_DEADLINE`.
fn run_gdb(gdb: &str, demo: &str, rows: &[Row]) -> String {
    let script_path = std::env::temp_dir().join(format!(
        "glassloop-debugging-{demo}-{}.gdb",
        std::process::id()
    ));
    std::fs::write(&script_path, gdb_script(rows)).expect("could not write the gdb script");
    let mut child = Command::new(gdb)
        .args(["-q", "-nx", "-batch", "-x"])
        .arg(&script_path)
        .arg("--args")
        .arg(env!("CARGO_BIN_EXE_glassloop-demos"))
        .args(["--virtual-clock", demo])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("could not start {gdb}: {err}"));
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let mut err = String::new();
        let _ = stdout.read_to_string(&mut out);
        let _ = stderr.read_to_string(&mut err);
        let _ = done_tx.send(format!("{out}\n{err}"));
    });
    let output = match done_rx.recv_timeout(GDB_DEADLINE) {
        Ok(output) => output,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gdb (pid {pid}) did not finish the `{demo}` demo within {GDB_DEADLINE:?}");
        }
    };
    let _ = child.wait();
    let _ = std::fs::remove_file(&script_path);
    if let Some(line) = output.lines().find(|l| l.contains("not defined")) {
        panic!("gdb could not set a breakpoint of docs/debugging.md: {line}\n--- gdb output ---\n{output}");
    }
    output
}

/// For each row, the frames (function names) of its first stop, if gdb stopped there.
fn split_hits(output: &str, rows: usize) -> Vec<Option<Vec<String>>> {
    let mut hits = vec![None; rows];
    let mut current: Option<usize> = None;
    for line in output.lines() {
        if let Some(number) = line.strip_prefix("=== glassloop breakpoint ") {
            let index: usize = number.trim().parse().expect("marker numbers are ours");
            hits[index] = Some(Vec::new());
            current = Some(index);
        } else if let (Some(index), Some(frame)) = (current, frame_function(line)) {
            hits[index].as_mut().expect("set at the marker").push(frame);
        } else if !line.starts_with('#') {
            current = None;
        }
    }
    hits
}

/// The function named by one line of `bt`, e.g.
/// `#1  0x000055... in glassloop::executor::Runtime::tick (self=..., main=...) at runtime/executor.rs:475`
/// gives `glassloop::executor::Runtime::tick`. Inlined frames have no address and no `in`.
fn frame_function(line: &str) -> Option<String> {
    let rest = line.strip_prefix('#')?;
    let rest = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    let rest = match rest.strip_prefix("0x") {
        Some(after) => &after[after.find(" in ")? + 4..],
        None => rest,
    };
    let rest = rest.split(" at ").next().unwrap_or(rest);
    let rest = rest.split(" from ").next().unwrap_or(rest).trim_end();
    // Drop the argument list: the last balanced `( ... )`, which may itself contain parens.
    if rest.ends_with(')') {
        let mut depth = 0;
        for (i, c) in rest.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(rest[..i].trim_end().to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Some(rest.to_string())
}

/// The first pattern must name frame #0; each next one a later frame, in order.
fn check_backtrace(expected: &[String], frames: &[String]) -> Result<(), String> {
    let Some(top) = frames.first() else {
        return Err("gdb printed no backtrace".to_string());
    };
    if !glob_contains(top, &expected[0]) {
        return Err(format!("frame #0 is `{top}`, not `{}`", expected[0]));
    }
    let mut from = 1;
    for pattern in &expected[1..] {
        match frames[from..]
            .iter()
            .position(|f| glob_contains(f, pattern))
        {
            Some(offset) => from += offset + 1,
            None => {
                return Err(format!(
                    "no frame after #{} names `{pattern}` (expected order: {})",
                    from - 1,
                    expected.join(" ← ")
                ))
            }
        }
    }
    Ok(())
}

/// Does `text` contain `pattern`, where `*` in the pattern matches any run of characters?
fn glob_contains(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    (0..=text.len())
        .filter(|&start| text.is_char_boundary(start))
        .any(|start| glob_match_from(&text[start..], &parts))
}

/// Does `text` start with `parts` joined by arbitrary runs?
fn glob_match_from(text: &str, parts: &[&str]) -> bool {
    let Some(rest) = text.strip_prefix(parts[0]) else {
        return false;
    };
    let mut rest = rest;
    for part in &parts[1..] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn frame_lines_are_read_as_the_function_they_name() {
    let with_address = "#1  0x00005555555b3659 in glassloop::executor::Runtime::tick (self=0x7fffffffe2d0, main=...) at runtime/executor.rs:475";
    assert_eq!(
        frame_function(with_address).as_deref(),
        Some("glassloop::executor::Runtime::tick")
    );
    let inlined = "#7  std::panic::catch_unwind<core::panic::unwind_safe::AssertUnwindSafe<glassloop::task::{impl#5}::poll::{closure_env#0}<u64>>, core::task::poll::Poll<u64>> (f=...) at /rustc/x/library/std/src/panic.rs:359";
    assert_eq!(
        frame_function(inlined).as_deref(),
        Some("std::panic::catch_unwind<core::panic::unwind_safe::AssertUnwindSafe<glassloop::task::{impl#5}::poll::{closure_env#0}<u64>>, core::task::poll::Poll<u64>>")
    );
    let parens_in_name = "#9  0x00005555555ed494 in core::ops::function::impls::{impl#2}::call_once<(), (dyn core::ops::function::Fn<(), Output=i32>)> () at library/core/src/ops/function.rs:287";
    assert_eq!(
        frame_function(parens_in_name).as_deref(),
        Some("core::ops::function::impls::{impl#2}::call_once<(), (dyn core::ops::function::Fn<(), Output=i32>)>")
    );
    assert!(frame_function("Breakpoint 1, at x").is_none());
}

#[test]
fn a_backtrace_check_needs_frame_zero_and_then_the_callers_in_order() {
    let frames: Vec<String> = [
        "glassloop::executor::Runtime::poll_task",
        "glassloop::executor::Runtime::tick",
        "glassloop::executor::Runtime::block_on<glassloop_demos::sleep::main::{async_block_env#0}>",
        "glassloop_demos::sleep::main",
    ]
    .map(String::from)
    .to_vec();
    let pattern = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(check_backtrace(
        &pattern(&["Runtime::poll_task", "Runtime::block_on", "sleep::main"]),
        &frames
    )
    .is_ok());
    assert!(check_backtrace(&pattern(&["Runtime::tick", "sleep::main"]), &frames).is_err());
    assert!(check_backtrace(
        &pattern(&["Runtime::poll_task", "sleep::main", "Runtime::tick"]),
        &frames
    )
    .is_err());
    assert!(glob_contains(
        "glassloop::task::{impl#5}::poll<u64>",
        "task::{impl#*}::poll<u64>"
    ));
    assert!(!glob_contains(
        "glassloop::task::{impl#5}::poll<u64>",
        "task::{impl#*}::drop"
    ));
}

#[test]
fn the_vscode_configurations_carry_the_container_settings_the_guide_gives() {
    let launch = include_str!("../.vscode/launch.json");
    for (setting, debugger) in [
        ("set startup-with-shell off", "cppdbg"),
        ("set disable-randomization off", "cppdbg"),
        ("settings set target.disable-aslr false", "lldb"),
    ] {
        assert!(
            GUIDE.contains(setting),
            "docs/debugging.md no longer gives `{setting}`; update .vscode/launch.json too"
        );
        assert_eq!(
            launch.matches(setting).count(),
            2,
            ".vscode/launch.json should pass `{setting}` to both {debugger} configurations"
        );
    }
}

// ───────────────────────── the transcripts' line numbers ─────────────────────────

/// Where gdb really stopped: for a frame, the line it was at, keyed by its function and the
/// function it had called (the frame just inside it; empty for frame #0, the stop itself).
#[derive(Default)]
struct Lines {
    /// (function, callee) → (file, line), from every backtrace of the table's fresh run.
    by_call: std::collections::HashMap<(String, String), (String, usize)>,
    /// function → every (file, line) it was seen at as a caller, for a frame whose callee the
    /// guide does not show (`up`, `frame function`).
    by_function: std::collections::HashMap<String, Vec<(String, usize)>>,
}

/// `(file, line)` of `... at FILE:LINE` at the end of a gdb line, for our own files only.
fn at_location(line: &str) -> Option<(String, usize)> {
    let location = line.rsplit(" at ").next()?.trim().trim_end_matches('.');
    let (file, number) = location.rsplit_once(':')?;
    let ours =
        (file.starts_with("runtime/") || file.starts_with("demos/")) && file.ends_with(".rs");
    Some((file.to_string(), number.parse().ok()?)).filter(|_| ours)
}

/// The frame number and function of a `bt` line.
fn numbered_frame(line: &str) -> Option<(usize, String)> {
    let digits: String = line
        .strip_prefix('#')?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((digits.parse().ok()?, frame_function(line)?))
}

/// Every frame location in gdb's output of the table's run.
fn lines_seen(output: &str) -> Lines {
    let mut seen = Lines::default();
    let mut inner: Option<(usize, String)> = None;
    for line in output.lines() {
        let Some((number, function)) = numbered_frame(line) else {
            inner = None;
            continue;
        };
        let callee = match &inner {
            Some((n, callee)) if n + 1 == number => Some(callee.clone()),
            _ if number == 0 => Some(String::new()),
            _ => None,
        };
        if let Some(location) = at_location(line) {
            if number > 0 {
                let all = seen.by_function.entry(function.clone()).or_default();
                if !all.contains(&location) {
                    all.push(location.clone());
                }
            }
            if let Some(callee) = callee {
                seen.by_call.insert((function.clone(), callee), location);
            }
        }
        inner = Some((number, function));
    }
    seen
}

/// The guide's gdb transcripts checked against `seen`: each problem found, and the guide with
/// every frame line (and the source line gdb echoes under it) set to what gdb printed.
fn check_frame_lines(guide: &str, seen: &Lines) -> (Vec<String>, String) {
    let mut lines: Vec<String> = guide.lines().map(String::from).collect();
    let mut problems = Vec::new();
    let mut inner: Option<(usize, String)> = None;
    for i in 0..lines.len() {
        let line = lines[i].clone();
        // A frame, a stop ("... hit Breakpoint 2, f (...) at ..."), or "Breakpoint 2 at 0x..:
        // file F, line L." printed by the `break f` typed just above it.
        let (key, location) = if let Some((number, function)) = numbered_frame(&line) {
            let callee = match &inner {
                Some((n, callee)) if n + 1 == number => Some(callee.clone()),
                _ if number == 0 => Some(String::new()),
                _ => None,
            };
            inner = Some((number, function.clone()));
            (
                callee.map(|c| (function.clone(), c)).ok_or(function),
                at_location(&line),
            )
        } else if let Some(stop) = line.split_once("Breakpoint ").and_then(|(_, rest)| {
            rest.split_once(", ")
                .filter(|(n, _)| n.parse::<usize>().is_ok())
        }) {
            inner = None;
            let function = frame_function(&format!("#0  {}", stop.1)).unwrap_or_default();
            (Ok((function, String::new())), at_location(&line))
        } else if let (Some(set), Some(typed)) = (
            line.strip_prefix("Breakpoint ")
                .and_then(|rest| rest.split_once(": file ")),
            i.checked_sub(1)
                .and_then(|j| lines[j].strip_prefix("(gdb) break ")),
        ) {
            inner = None;
            let function = typed
                .split(" if ")
                .next()
                .unwrap_or(typed)
                .trim()
                .to_string();
            let location = set.1.split_once(", line ").and_then(|(file, number)| {
                Some((file.to_string(), number.trim_end_matches('.').parse().ok()?))
            });
            (Ok((function, String::new())), location)
        } else {
            inner = None;
            continue;
        };
        let Some((file, number)) = location else {
            continue;
        };
        let fresh = match &key {
            Ok(call) => seen.by_call.get(call).cloned(),
            Err(function) => match seen.by_function.get(function).map(Vec::as_slice) {
                Some([only]) => Some(only.clone()),
                _ => None,
            },
        };
        let Some((fresh_file, fresh_number)) = fresh else {
            continue; // a frame the table's run does not pass through
        };
        if (fresh_file.as_str(), fresh_number) != (file.as_str(), number) {
            problems.push(format!(
                "line {}: gdb now says {fresh_file}:{fresh_number}, the guide {file}:{number}",
                i + 1
            ));
            lines[i] = lines[i]
                .replace(
                    &format!("{file}:{number}"),
                    &format!("{fresh_file}:{fresh_number}"),
                )
                .replace(
                    &format!("file {file}, line {number}."),
                    &format!("file {fresh_file}, line {fresh_number}."),
                );
        }
        // Under a stop or a selected frame gdb echoes that line of the source.
        let Some((echoed, text)) = lines.get(i + 1).and_then(|next| next.split_once('\t')) else {
            continue;
        };
        let source = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&fresh_file),
        )
        .unwrap_or_default();
        let Some(fresh_text) = source.lines().nth(fresh_number - 1) else {
            continue;
        };
        if echoed.parse::<usize>().is_ok()
            && (echoed, text) != (&*fresh_number.to_string(), fresh_text)
        {
            problems.push(format!(
                "line {}: gdb echoes `{fresh_number}\t{}` there, not `{echoed}\t{}`",
                i + 2,
                fresh_text.trim(),
                text.trim()
            ));
            lines[i + 1] = format!("{fresh_number}\t{fresh_text}");
        }
    }
    (problems, lines.join("\n") + "\n")
}

#[test]
fn every_frame_line_of_the_guides_gdb_transcripts_is_where_gdb_stops_today() {
    let mut seen = Lines::default();
    for demo in ["hello", "sleep"] {
        match gdb_output(demo) {
            Ok(output) => {
                let more = lines_seen(output);
                seen.by_call.extend(more.by_call);
                for (function, locations) in more.by_function {
                    let all = seen.by_function.entry(function).or_default();
                    for location in locations {
                        if !all.contains(&location) {
                            all.push(location);
                        }
                    }
                }
            }
            Err(why) => {
                println!("{why}");
                return;
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/debugging.md");
    let guide = std::fs::read_to_string(&path).unwrap();
    let (problems, repaired) = check_frame_lines(&guide, &seen);
    if std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some() && repaired != guide {
        std::fs::write(&path, repaired).unwrap();
        println!(
            "rewrote {} frame lines of docs/debugging.md from gdb",
            problems.len()
        );
        return;
    }
    assert!(
        problems.is_empty(),
        "the gdb transcripts of docs/debugging.md name lines gdb no longer stops at:\n{}\n\
         (GLASSLOOP_BLESS_QUOTES=1 cargo test --test debugging rewrites them from this run)",
        problems.join("\n")
    );
}

#[test]
fn a_frame_line_is_checked_by_its_function_and_the_function_it_called() {
    let output = "=== glassloop breakpoint 0\n\
        #0  glassloop::a::f (x=1) at runtime/a.rs:10\n\
        #1  0x01 in glassloop::a::g (y=2) at runtime/a.rs:20\n\
        #2  0x02 in glassloop::a::h () at runtime/a.rs:30\n";
    let seen = lines_seen(output);
    let guide = "```text\n\
        (gdb) break glassloop::a::f\n\
        Breakpoint 1 at 0x9: file runtime/a.rs, line 11.\n\
        #1  0x07 in glassloop::a::g (y=5) at runtime/a.rs:21\n\
        #2  0x08 in glassloop::a::h () at runtime/a.rs:30\n\
        #5  0x08 in glassloop::a::h () at runtime/a.rs:31\n\
        ```\n";
    let (problems, repaired) = check_frame_lines(guide, &seen);
    // The break line and frame #1 (called f: no frame #0 above it, so by its one line)
    // are stale, frame #2 (called g) is right, and h without its callee has one line, 30.
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(repaired.contains("file runtime/a.rs, line 10."));
    assert!(repaired.contains("glassloop::a::g (y=5) at runtime/a.rs:20"));
    assert!(!repaired.contains("a.rs:31") && !repaired.contains("a.rs:21"));
}
