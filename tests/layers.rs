//! The core, read bottom-up: two promises that a refactor could break without any other test
//! noticing, checked by reading the source.
//!
//! 1. **Nothing names a layer above it.** The core (hooks.rs, task_id.rs, timer/, waker.rs,
//!    reactor.rs, task_table.rs, executor/) never names observe, blocking, builder, net, sync,
//!    combinators, fs, outside, spawn or time; and no import cycle runs between two folders or
//!    top-level files of runtime/ (a cycle inside one folder is fine). lib.rs, the root that
//!    declares and re-exports everything, is not a node of the graph.
//! 2. **Small enough to read in one sitting.** The core is at most 1,500 lines of code and no
//!    file in it is over 400 (comments, blank lines and `#[cfg(test)]` items not counted), the
//!    figure README.md states.
//!
//! "Names" means a `crate::NAME` path in code (not in comments). Inside the core, every such
//! path must start with a module (a file or folder of runtime/), so that a re-export at the
//! crate root cannot hide a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The core's files and folders, bottom-up.
const CORE: &[&str] = &[
    "task_id",
    "hooks",
    "timer",
    "waker",
    "reactor",
    "task_table",
    "executor",
];
/// What the core may never name.
const ABOVE_THE_CORE: &[&str] = &[
    "wake_site",
    "wait_site",
    "observe",
    "blocking",
    "builder",
    "net",
    "sync",
    "combinators",
    "fs",
    "outside",
    "spawn",
    "time",
];
/// The budget: the whole core, and any one file of it.
const CORE_BUDGET: usize = 1500;
const FILE_BUDGET: usize = 400;

fn runtime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime")
}

/// Every .rs file under runtime/, as (path relative to runtime/, contents).
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![runtime()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(runtime())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The node a file belongs to: its top-level folder, or its own name.
fn node(rel: &str) -> String {
    let first = rel.split('/').next().unwrap();
    first.trim_end_matches(".rs").to_string()
}

/// The lines of code in `text`: not blank, not a comment, not inside a `#[cfg(test)]` item.
fn code_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the item that follows, by counting its braces.
            let mut depth = 0i64;
            let mut opened = false;
            for next in lines.by_ref() {
                depth += next.matches('{').count() as i64 - next.matches('}').count() as i64;
                opened |= next.contains('{');
                if opened && depth <= 0 {
                    break;
                }
            }
            continue;
        }
        if !trimmed.is_empty() && !trimmed.starts_with("//") {
            out.push(line);
        }
    }
    out
}

/// Every `crate::NAME` in the code of `text`.
fn named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code_lines(text) {
        let code = line.split("//").next().unwrap();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every node of the graph: the top-level files and folders of runtime/, lib.rs aside.
fn modules() -> BTreeSet<String> {
    sources()
        .iter()
        .map(|(rel, _)| node(rel))
        .filter(|n| n != "lib")
        .collect()
}

fn is_core(rel: &str) -> bool {
    CORE.contains(&node(rel).as_str())
}

#[test]
fn the_core_names_nothing_above_it_and_only_modules() {
    let modules = modules();
    let mut problems = Vec::new();
    for (rel, text) in sources().iter().filter(|(rel, _)| is_core(rel)) {
        for name in named(text) {
            if ABOVE_THE_CORE.contains(&name.as_str()) {
                problems.push(format!(
                    "runtime/{rel} names crate::{name}, a layer above the core"
                ));
            } else if !modules.contains(&name) {
                problems.push(format!(
                    "runtime/{rel} names crate::{name}, which is not a module: use the path of \
                     the module that defines it, so the dependency is visible"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_import_cycle_runs_between_two_folders_or_top_level_files() {
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let from = node(&rel);
        if from == "lib" {
            continue;
        }
        let edges = graph.entry(from.clone()).or_default();
        for name in named(&text) {
            if name != from && modules.contains(&name) {
                edges.insert(name);
            }
        }
    }
    // A depth-first search that reports the first cycle it meets, as a path.
    fn visit(
        at: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == at) {
            let mut cycle = path[start..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in graph.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        if let Some(cycle) = visit(start, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "an import cycle between files or folders of runtime/: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_core_is_small_enough_to_read_in_one_sitting() {
    let mut total = 0;
    let mut table = String::new();
    let mut too_big = Vec::new();
    for (rel, text) in sources().iter().filter(|(rel, _)| is_core(rel)) {
        let lines = code_lines(text).len();
        total += lines;
        table.push_str(&format!("\n  {lines:4} runtime/{rel}"));
        if lines > FILE_BUDGET {
            too_big.push(format!(
                "runtime/{rel} has {lines} lines of code (at most {FILE_BUDGET})"
            ));
        }
    }
    assert!(too_big.is_empty(), "{}", too_big.join("\n"));
    assert!(
        total <= CORE_BUDGET,
        "the core is {total} lines of code, over its budget of {CORE_BUDGET}:{table}"
    );
    // README.md states the budget; keep the two in step.
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains("1,500 lines of code"),
        "README.md should state the core's budget of 1,500 lines of code"
    );
}
