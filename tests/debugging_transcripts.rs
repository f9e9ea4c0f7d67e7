//! # The debugger guide's numbers, checked against the source
//!
//! docs/debugging.md shows real gdb and lldb sessions. Their function names are replayed in gdb
//! by tests/debugging.rs; this file checks the *numbers* in them, which drift whenever code
//! moves, and needs no debugger:
//!
//! 1. **`{impl#N}`**: gdb names a method of a trait impl by the impl's position among the
//!    module's top-level `impl` blocks, counted from 0 (derives do not count). For each
//!    `path::{impl#N}::method` in the guide, impl block N of the module's file must define
//!    `fn method`.
//! 2. **Source lines echoed by the debugger** (`444<TAB>let tick = ...`): line 444 of the file
//!    the transcript last named must be that text.
//! 3. **`at FILE:LINE` in a frame**: the line must lie inside the function the frame names.
//!
//! Rules 1 and 2 can be repaired mechanically: `GLASSLOOP_BLESS_QUOTES=1 cargo test --test
//! debugging_transcripts` rewrites every `{impl#N}` whose method exists in exactly one impl
//! block, and every echoed line number (and the frame line above it) whose text occurs
//! exactly once in its file. Rule 3 is reported with the function's current lines; where gdb
//! is installed, `GLASSLOOP_BLESS_QUOTES=1 cargo test --test debugging` rewrites the frame
//! lines themselves from a fresh gdb run (tests/debugging.rs), and this file then checks the
//! rest.
//!
//! Read next: tests/debugging.rs.

use std::path::{Path, PathBuf};

const GUIDE_PATH: &str = "docs/debugging.md";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The source file of a module path such as `glassloop::time::wheel` or
/// `glassloop_demos::hello`, if there is one.
fn module_file(module: &[&str]) -> Option<PathBuf> {
    let (dir, rest) = match *module.first()? {
        "glassloop" => ("runtime", &module[1..]),
        "glassloop_demos" => ("demos", &module[1..]),
        _ => return None,
    };
    let base = rest.iter().fold(root().join(dir), |p, m| p.join(m));
    [base.with_extension("rs"), base.join("mod.rs")]
        .into_iter()
        .find(|p| p.is_file())
}

/// A source file found by a path as debuggers print it: `runtime/executor.rs`, or a bare
/// `executor.rs` (lldb), found by name under runtime/ and demos/ if unique.
fn source_file(name: &str) -> Option<PathBuf> {
    let direct = root().join(name);
    if direct.is_file() {
        return Some(direct);
    }
    let mut found = Vec::new();
    let mut stack = vec![root().join("runtime"), root().join("demos")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).ok()? {
            let path = entry.ok()?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|f| f == name) {
                found.push(path);
            }
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// Indices (0-based line numbers) of the top-level `impl` blocks of a file.
fn impl_blocks(lines: &[String]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| lines[i].starts_with("impl ") || lines[i].starts_with("impl<"))
        .collect()
}

/// The numbers of the impl blocks that define `fn method`.
fn impls_defining(lines: &[String], method: &str) -> Vec<usize> {
    let blocks = impl_blocks(lines);
    let needle = format!("fn {method}");
    (0..blocks.len())
        .filter(|&n| {
            let end = blocks.get(n + 1).copied().unwrap_or(lines.len());
            lines[blocks[n]..end].iter().any(|l| {
                l.trim_start()
                    .strip_prefix("pub ")
                    .unwrap_or(l.trim_start())
                    .starts_with(&needle)
                    && l.trim_start()[l.trim_start().find(&needle).unwrap() + needle.len()..]
                        .starts_with(['(', '<'])
            })
        })
        .collect()
}

/// Every `{impl#N}` mention: (byte offset of N, N, module path, method).
fn impl_mentions(text: &str) -> Vec<(usize, usize, Vec<String>, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("::{impl#") {
        let start = from + at;
        let digits_at = start + "::{impl#".len();
        from = digits_at;
        let digits: String = text[digits_at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(n) = digits.parse::<usize>() else {
            continue;
        };
        let path_start = text[..start]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        let module: Vec<String> = text[path_start..start]
            .split("::")
            .map(String::from)
            .collect();
        let after = &text[digits_at + digits.len()..];
        let Some(method) = after.strip_prefix("}::") else {
            continue;
        };
        let method: String = method
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if method.is_empty()
            || module
                .first()
                .is_some_and(|m| m != "glassloop" && m != "glassloop_demos")
        {
            continue;
        }
        found.push((digits_at, n, module, method));
    }
    found
}

/// Problems in the guide, and the guide rewritten with what could be repaired.
fn check(guide: &str) -> (Vec<String>, String) {
    let mut problems = Vec::new();
    let mut lines: Vec<String> = guide.lines().map(String::from).collect();

    // Rule 1: {impl#N}.
    for (line_no, line) in lines.iter_mut().enumerate() {
        let mut fixed = line.clone();
        for (at, n, module, method) in impl_mentions(line).into_iter().rev() {
            let module: Vec<&str> = module.iter().map(String::as_str).collect();
            let Some(file) = module_file(&module) else {
                problems.push(format!(
                    "line {}: no source file for `{}`",
                    line_no + 1,
                    module.join("::")
                ));
                continue;
            };
            let candidates = impls_defining(&lines_of(&file), &method);
            if candidates.contains(&n) {
                continue;
            }
            match candidates[..] {
                [only] => {
                    fixed.replace_range(at..at + n.to_string().len(), &only.to_string());
                    problems.push(format!(
                        "line {}: `{}::{{impl#{n}}}::{method}` is now `{{impl#{only}}}` ({})",
                        line_no + 1,
                        module.join("::"),
                        file.display()
                    ));
                }
                _ => problems.push(format!(
                    "line {}: impl block {n} of {} defines no `fn {method}`; the impl blocks that \
                     do are {candidates:?}: pick the right one by hand",
                    line_no + 1,
                    file.display()
                )),
            }
        }
        *line = fixed;
    }

    // Rules 2 and 3: echoed lines and frame locations, inside text blocks.
    let mut last_file: Option<(PathBuf, usize, usize)> = None; // (file, guide line, number)
    let mut in_block = false;
    for i in 0..lines.len() {
        let line = lines[i].clone();
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() != "```";
            last_file = None;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some((number, text)) = line.split_once('\t') {
            if let (Ok(number), Some((file, frame_line, frame_number))) =
                (number.parse::<usize>(), last_file.clone())
            {
                let source = lines_of(&file);
                if source.get(number - 1).map(|l| l.trim_end()) != Some(text.trim_end()) {
                    let at: Vec<usize> = (0..source.len())
                        .filter(|&j| source[j].trim_end() == text.trim_end())
                        .collect();
                    problems.push(format!(
                        "line {}: line {number} of {} is not `{}`",
                        i + 1,
                        file.display(),
                        text.trim()
                    ));
                    if let [only] = at[..] {
                        lines[i] = format!("{}\t{text}", only + 1);
                        if frame_number == number {
                            lines[frame_line] = lines[frame_line]
                                .replace(&format!(":{number}"), &format!(":{}", only + 1))
                                .replace(
                                    &format!("line {number}."),
                                    &format!("line {}.", only + 1),
                                );
                        }
                    }
                }
                continue;
            }
        }
        if let Some((function, file, number)) = frame_location(&line) {
            if let Some(path) = source_file(&file) {
                if let Err(why) = inside_function(&lines_of(&path), number, &function) {
                    problems.push(format!("line {}: {file}:{number}: {why}", i + 1));
                }
                last_file = Some((path, i, number));
            }
        }
    }
    (problems, lines.join("\n") + "\n")
}

/// `(function's last name, file, line)` of a frame or breakpoint line in our own code.
fn frame_location(line: &str) -> Option<(String, String, usize)> {
    let at = line.rfind(" at ")?;
    let location = line[at + 4..].trim().trim_end_matches(',');
    let mut parts = location.split(':');
    let file = parts.next()?.to_string();
    let number: usize = parts.next()?.parse().ok()?;
    if !(file.ends_with(".rs")
        && (file.starts_with("runtime/") || file.starts_with("demos/") || !file.contains('/')))
    {
        return None;
    }
    let head = &line[..at];
    let head = match head.split_once('`') {
        // lldb: `module`function(args)` or `module`function + offset`
        Some((_, function)) => function.split('(').next()?.split(" + ").next()?,
        // gdb: `#1  0x... in function (args)` or `Breakpoint 1, function (args)`
        None => head
            .split(" (")
            .next()?
            .rsplit(" in ")
            .next()?
            .rsplit(", ")
            .next()?,
    };
    let mut name = String::new();
    let mut depth = 0;
    for c in head.chars() {
        match c {
            '<' | '{' => depth += 1,
            '>' | '}' => depth -= 1,
            _ if depth == 0 => name.push(c),
            _ => {}
        }
    }
    // The last segment that is a name: not empty, not lldb's `h0123...` hash, not mangled.
    let is_hash = |s: &str| s.len() == 17 && s.starts_with('h');
    let name = name
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty() && !is_hash(s) && !s.starts_with('_'))
        .last()?
        .to_string();
    Some((name, file, number))
}

/// Is line `number` inside `fn name`? Judged by the nearest `fn` definition at or above it.
fn inside_function(source: &[String], number: usize, name: &str) -> Result<(), String> {
    let is_fn = |l: &str| {
        let l = l.trim_start();
        let l = l
            .strip_prefix("pub(crate) ")
            .or_else(|| l.strip_prefix("pub "))
            .unwrap_or(l);
        let l = l.strip_prefix("async ").unwrap_or(l);
        l.strip_prefix("fn ").map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
    };
    if number == 0 || number > source.len() {
        return Err(format!("the file has {} lines", source.len()));
    }
    let enclosing = (0..number).rev().find_map(|i| is_fn(&source[i]));
    if enclosing.as_deref() == Some(name) {
        return Ok(());
    }
    let now: Vec<usize> = (0..source.len())
        .filter(|&i| is_fn(&source[i]).as_deref() == Some(name))
        .map(|i| i + 1)
        .collect();
    Err(format!(
        "that line is in `fn {}`, not `fn {name}` (which now starts at line {now:?}); paste a fresh `bt`",
        enclosing.unwrap_or_default()
    ))
}

#[test]
fn every_impl_number_and_line_number_in_the_debugger_guide_matches_the_source() {
    let guide = std::fs::read_to_string(root().join(GUIDE_PATH)).unwrap();
    let (problems, repaired) = check(&guide);
    if std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some() && repaired != guide {
        std::fs::write(root().join(GUIDE_PATH), &repaired).unwrap();
        let (left, _) = check(&repaired);
        assert!(
            left.is_empty(),
            "blessed what could be; fix by hand:\n{}",
            left.join("\n")
        );
        return;
    }
    assert!(
        problems.is_empty(),
        "docs/debugging.md drifted from the source:\n{}\n\
         (GLASSLOOP_BLESS_QUOTES=1 cargo test --test debugging_transcripts repairs impl numbers \
         and echoed lines)",
        problems.join("\n")
    );
}

#[test]
fn the_checks_know_the_impl_numbering_and_a_frame_line() {
    let waker = lines_of(&root().join("runtime/waker.rs"));
    assert_eq!(
        impls_defining(&waker, "wake_by_ref"),
        [3],
        "ArcWake for TaskWaker is impl #3"
    );
    assert_eq!(
        frame_location("#1  0x0000 in glassloop::executor::Runtime::tick (self=0x1, main=...) at runtime/executor.rs:475"),
        Some(("tick".to_string(), "runtime/executor.rs".to_string(), 475))
    );
    assert_eq!(
        frame_location(
            "Breakpoint 1, glassloop_demos::hello::greet::{async_fn#0} () at demos/hello.rs:31"
        )
        .map(|f| f.0),
        Some("greet".to_string())
    );
}
