//! # Rerun: a failure under a random schedule ends with its seed and the command
//!
//! A random schedule (`GLASSLOOP_SCHEDULE=random`, or `random:SEED`, or
//! `Builder::schedule(Schedule::Random { seed })`) finds bugs that depend on the order of a
//! pass. A bug found that way is only useful if it can be seen again, so a run under a random
//! schedule that fails says, as the last lines of its report, which seed it used and the
//! command that runs exactly this program again with that seed:
//!
//! ```text
//!   glassloop: the loop stalled under the random schedule with seed 77 (drawn from the clock:
//!   GLASSLOOP_SCHEDULE=random). To run exactly this program again with this seed:
//!     GLASSLOOP_SCHEDULE=random:77 target/debug/glassloop-demos --virtual-clock stall
//!     through cargo (it rebuilds first; add the --features you built with):
//!     GLASSLOOP_SCHEDULE=random:77 cargo run --bin glassloop-demos -- --virtual-clock stall
//! ```
//!
//! Three failures end this way: a stall (the lines end the stall report, the message
//! `block_on` panics with), a panic of the main future of `run` / `block_on` (a panic hook
//! prints them right after the panic's own message), and a panic of a spawned task (printed
//! when the task has ended, after the loop's "nobody holds its JoinHandle" line if it printed
//! one; whether your program later retrieves that panic, the loop cannot know).
//!
//! ## What the command is built from, and what it does not claim
//!
//! Only what the process can see: the path of its executable (`std::env::current_exe`,
//! shown relative to the working directory when it lies inside it), its arguments,
//! `GLASSLOOP_DEBUG` if it was started with it, and the name of the thread, which the test
//! harness sets to the test's name. The first command reruns that very executable, so it is
//! exact (from the same directory). The cargo command is added only when the process was started
//! by cargo (cargo sets `CARGO`, `CARGO_MANIFEST_DIR` and `CARGO_PKG_NAME` for what it runs)
//! and the executable sits where cargo puts a binary, an example or a test that exists in
//! that package; it cannot know the features the build used, and says so. One guess remains:
//! in a test binary, a thread you named yourself would be taken for a test's thread. A seed drawn from the clock is drawn once per process, so every
//! runtime the process builds gets it, and `random:SEED` replays them all.
//!
//! asyncio: none; tokio: none (shuttle and proptest print the seed or the case that fails in
//! the same spirit).
//!
//! Read next: `ticks.rs`.

use std::any::Any;
use std::cell::RefCell;
use std::path::Path;
use std::sync::{Arc, Once};

use super::sink::Sink;
use super::{IdMap, Observer};
use crate::executor::context::{in_runtime, with_current};
use crate::executor::Core;
use crate::hooks::{At, Instrument, LoopView, TaskEnd};
use crate::observe::{DEBUG_ENV, SCHEDULE_ENV};
use crate::task_id::TaskId;

/// A runtime's random schedule, as the observer keeps it for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seeded {
    /// The seed.
    pub(crate) seed: u64,
    /// Where the seed came from.
    pub(crate) from: SeedFrom,
}

/// Where a random schedule's seed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeedFrom {
    /// `Builder::schedule(Schedule::Random { seed })` in the program.
    Program,
    /// `GLASSLOOP_SCHEDULE=random:SEED`.
    Environment,
    /// `GLASSLOOP_SCHEDULE=random`: drawn from the clock, once per process.
    Clock,
}

/// Words the lines always contain, by which the panic hook knows a message already has them.
const MARK: &str = "under the random schedule with seed";

/// The lines that end a failure's report: `what` failed ("the loop stalled"), under which
/// seed, and the command that reruns the program with it.
pub(crate) fn lines(what: &str, seeded: Seeded) -> String {
    let Seeded { seed, from } = seeded;
    let origin = match from {
        SeedFrom::Program => "set by the program",
        SeedFrom::Environment => "from GLASSLOOP_SCHEDULE",
        SeedFrom::Clock => "drawn from the clock: GLASSLOOP_SCHEDULE=random",
    };
    let mut out = format!(
        "glassloop: {what} {MARK} {seed} ({origin}). To run exactly this program again with \
         this seed:"
    );
    let env = env_prefix(seed);
    let command = Command::of_this_process();
    match &command.exe {
        Some(exe) => {
            out.push_str(&format!("\n  {env} {}", words(exe, &command.exe_args)));
        }
        None => out.push_str(&format!(
            "\n  {env} followed by this program's command (its path is unknown: \
             std::env::current_exe failed)"
        )),
    }
    if let Some(cargo) = command.cargo {
        out.push_str(&format!(
            "\n  through cargo (it rebuilds first; add the --features you built with):\n  \
             {env} {cargo}"
        ));
    }
    out
}

/// `GLASSLOOP_SCHEDULE=random:SEED`, after `GLASSLOOP_DEBUG` if this process was started
/// with it: the other variable the runtime reads (debug mode changes how a loop parks, so it
/// is part of the program).
fn env_prefix(seed: u64) -> String {
    let debug = std::env::var(DEBUG_ENV).ok();
    let debug = debug.map(|value| format!("{DEBUG_ENV}={} ", quote(&value))).unwrap_or_default();
    format!("{debug}{SCHEDULE_ENV}=random:{seed}")
}

/// How this process can be started again.
struct Command {
    /// This executable, if the OS says where it is.
    exe: Option<String>,
    /// The arguments that rerun it: the test alone (`NAME --exact`) for a test, else its own.
    exe_args: Vec<String>,
    /// The same through cargo, when that can be told for sure.
    cargo: Option<String>,
}

impl Command {
    fn of_this_process() -> Command {
        // `args_os`: `args` panics on an argument that is not UTF-8, and this may run in a
        // panic hook, where a second panic aborts.
        let args: Vec<String> =
            std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
        let Ok(exe) = std::env::current_exe() else {
            return Command { exe: None, exe_args: args, cargo: None };
        };
        // libtest runs each test on a thread named after it; a program's main thread is
        // "main". A test binary is in target/PROFILE/deps, named NAME-HASH.
        let in_deps = exe.parent().and_then(Path::file_name).is_some_and(|dir| dir == "deps");
        let thread = std::thread::current();
        let test = thread.name().filter(|name| in_deps && *name != "main");
        let exe_args = match test {
            Some(name) => vec![name.to_string(), "--exact".to_string()],
            None => args.clone(),
        };
        let cargo = cargo_command(&exe, test, &args);
        // Relative to the working directory when it is inside it, as cargo prints it
        // ("target/debug/app"): the same file, from where the report is read.
        let cwd = std::env::current_dir().ok();
        let shown = cwd.as_deref().and_then(|cwd| exe.strip_prefix(cwd).ok()).unwrap_or(&exe);
        Command { exe: Some(shown.display().to_string()), exe_args, cargo }
    }
}

/// `cargo test --test NAME -- TEST --exact`, `cargo run --example NAME -- ARGS` or
/// `cargo run --bin NAME -- ARGS`, if cargo started this process and the target is one of
/// the package's; `None` when that cannot be told for sure.
fn cargo_command(exe: &Path, test: Option<&str>, args: &[String]) -> Option<String> {
    std::env::var_os("CARGO")?;
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let manifest = Path::new(&manifest);
    let file = exe.file_name()?.to_str()?;
    let dir = exe.parent()?;
    let dir_name = dir.file_name()?.to_str()?;
    let (profile_dir, target) = match dir_name {
        "deps" => {
            // NAME-HASH: the hash is 16 hex digits.
            let (name, hash) = file.rsplit_once('-')?;
            if hash.len() != 16 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            // The package of the program, as cargo told it (not glassloop's own).
            let lib = std::env::var("CARGO_PKG_NAME").ok()?.replace('-', "_");
            let target = if manifest.join("tests").join(format!("{name}.rs")).is_file()
                || manifest.join("tests").join(name).join("main.rs").is_file()
            {
                format!("test --test {name}")
            } else if name == lib {
                "test --lib".to_string()
            } else {
                return None;
            };
            (dir.parent()?, target)
        }
        "examples" => {
            if !manifest.join("examples").join(format!("{file}.rs")).is_file() {
                return None;
            }
            (dir.parent()?, format!("run --example {file}"))
        }
        // A binary sits in the profile's folder itself.
        _ if is_package_bin(manifest, file) => (dir, format!("run --bin {file}")),
        _ => return None,
    };
    let profile = match profile_dir.file_name()?.to_str()? {
        "debug" => String::new(),
        "release" => " --release".to_string(),
        other => format!(" --profile {other}"),
    };
    let (verb, rest) = target.split_once(' ')?;
    let after = match test {
        Some(name) => words(name, &["--exact".to_string()]),
        None if args.is_empty() => String::new(),
        None => args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
    };
    let tail = if after.is_empty() { String::new() } else { format!(" -- {after}") };
    Some(format!("cargo {verb}{profile} {rest}{tail}"))
}

/// Is `name` a `[[bin]]` of the package in `manifest`, or its default binary?
fn is_package_bin(manifest: &Path, name: &str) -> bool {
    let Ok(toml) = std::fs::read_to_string(manifest.join("Cargo.toml")) else {
        return false;
    };
    // Enough of TOML for this question: a `name = "..."` line inside a [[bin]] table.
    let mut in_bin = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && line.replace(' ', "") == format!("name=\"{name}\"") {
            return true;
        }
    }
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    name == package && manifest.join("src").join("main.rs").is_file()
}

/// A program and its arguments as one shell line.
fn words(first: &str, rest: &[String]) -> String {
    std::iter::once(first)
        .chain(rest.iter().map(String::as_str))
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as a shell reads it back: as it is when that is safe, else in single quotes.
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

// ───────────────────────────── who keeps the seed ─────────────────────────────

/// The instrument a random schedule gets when nothing else in observe/ is on: the full
/// observer would take notes on every poll, which doubled the cost of a `yield_now` round
/// trip (82 against 42 ns on the machine this was written on); this one keeps the seed,
/// where reports go, and the
/// names of named tasks, and every other hook is the trait's empty default.
pub(crate) struct SeedKeeper {
    seeded: Seeded,
    sink: Sink,
    /// The names of live named tasks, for "task 'doomed' #1 panicked".
    names: RefCell<IdMap<TaskId, Arc<str>>>,
}

impl SeedKeeper {
    /// The instrument for a runtime whose random schedule is `seeded`.
    pub(crate) fn new(seeded: Seeded, sink: Sink) -> SeedKeeper {
        SeedKeeper { seeded, sink, names: RefCell::new(IdMap::default()) }
    }
}

impl Instrument for SeedKeeper {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn task_spawned(&self, _view: &dyn LoopView, id: TaskId, name: Option<&str>, _at: At) {
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, Arc::from(name));
        }
    }

    fn task_ended(&self, _view: &dyn LoopView, id: TaskId, how: TaskEnd) {
        let name = self.names.borrow_mut().remove(&id);
        if how == TaskEnd::Panicked && id != TaskId::MAIN {
            let what = format!("{} panicked", super::row_label(name.as_deref(), id));
            self.sink.write(&lines(&what, self.seeded));
        }
    }
}

/// The seed of `core`'s random schedule and where its reports go, from whichever instrument
/// keeps it (the observer, or the seed keeper).
fn seeded_of(core: &Core) -> Option<(Seeded, &Sink)> {
    // The field, not `Core::hooks`: this may run inside a panic hook, where a debug
    // assertion that fails would abort the process.
    let hooks = core.hooks.as_deref()?.as_any();
    if let Some(obs) = hooks.downcast_ref::<Observer>() {
        return Some((obs.options.seeded?, obs.sink()));
    }
    hooks.downcast_ref::<SeedKeeper>().map(|keeper| (keeper.seeded, &keeper.sink))
}

// ───────────────────────────── the three failures ─────────────────────────────

/// The stall report (observe/dump.rs), ending with the seed and the command under a random
/// schedule. The builder hands this function to the loop.
pub(crate) fn stall_report(core: &Core) -> String {
    let mut report = super::dump::stall_report(core);
    if let Some((seeded, _)) = seeded_of(core) {
        report.push('\n');
        report.push_str(&lines("the loop stalled", seeded));
    }
    report
}

impl Observer {
    /// A spawned task panicked (the `task_ended` hook): under a random schedule, say how
    /// to see it again.
    pub(crate) fn rerun_after_task_panic(&self, id: TaskId) {
        if let Some(seeded) = self.options.seeded {
            let what = format!("{} panicked", self.row_label(id));
            self.sink().write(&lines(&what, seeded));
        }
    }
}

/// Install, once per process, a panic hook that runs the one before it and then, if the
/// panic leaves a loop that runs a random schedule on this thread (its main future, or the
/// loop itself), prints the seed and the command. A hook set later by the program replaces
/// this one (and a stall's message carries the lines anyway).
pub(crate) fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            before(info);
            after_panic(info.payload());
        }));
    });
}

fn after_panic(payload: &(dyn Any + Send)) {
    if !in_runtime() {
        return;
    }
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    if message.contains(MARK) {
        return; // a stall report: its message ends with the lines already
    }
    with_current("the panic hook of glassloop's random schedule", |core| {
        let Some((seeded, sink)) = seeded_of(core) else {
            return;
        };
        let what = match LoopView::current_task(&**core) {
            Some(TaskId::MAIN) => "the main future panicked",
            None => "the loop panicked",
            Some(_) => return, // a spawned task: the loop catches it (`task_ended` reports)
        };
        sink.write(&lines(what, seeded));
    });
}
