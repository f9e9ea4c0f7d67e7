//! Demo output quoted in the course is output the demo really prints.
//!
//! A chapter marks a quoted run with the demo's arguments on the line before a text block:
//!
//! ```text
//!     <!-- output: --virtual-clock forget_await -->
//!     ```text
//!     ...what the demo prints...
//!     ```
//! ```
//!
//! Leading `GLASSLOOP_NAME=VALUE` words are set in the demo's environment instead
//! (`<!-- output: GLASSLOOP_SCHEDULE=random:77 stall -->`).
//!
//! This test runs the demos binary with those arguments and checks each quoted line against
//! what it printed (stdout, then stderr):
//!
//! - under `--virtual-clock` the output is exact, so the block must be exactly the run's
//!   stdout; `GLASSLOOP_BLESS_QUOTES=1` rewrites such a block from a fresh run;
//! - on the real clock, durations vary from run to run, so every `digits.digits` is masked
//!   before comparing, and each quoted line must appear, in order, among the printed lines.
//!   Everything else (task names, `file:line:column` locations, counts) must match exactly.
//!   These blocks are fixed by hand: the failure shows the lines the demo printed.
//!
//! Read next: tests/course_quotes.rs (source quotes) and tests/course_rustc.rs (rustc's).

mod common;

use std::collections::HashMap;
use std::path::Path;

const MARK: &str = "<!-- output:";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `text` with every run of digits containing a `.` between digits replaced by `#`.
fn mask_decimals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                out.push('#');
                i = j;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// One quoted run: the arguments, the quoted lines, and where the block's body lies.
struct Quote {
    at: usize,
    args: Vec<String>,
    body: Vec<String>,
    start: usize,
    close: usize,
}

fn quotes(document: &str) -> Result<Vec<Quote>, String> {
    let lines: Vec<&str> = document.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(args) = line.trim().strip_prefix(MARK) else {
            continue;
        };
        let args: Vec<String> = args
            .trim_end_matches("-->")
            .split_whitespace()
            .map(String::from)
            .collect();
        if lines.get(i + 1).map(|l| l.trim()) != Some("```text") {
            return Err(format!(
                "line {}: an output marker needs a ```text block after it",
                i + 1
            ));
        }
        let start = i + 2;
        let close = (start..lines.len())
            .find(|&j| lines[j].trim() == "```")
            .ok_or_else(|| format!("line {}: the block is never closed", i + 1))?;
        found.push(Quote {
            at: i + 1,
            args,
            body: lines[start..close].iter().map(|l| l.to_string()).collect(),
            start,
            close,
        });
    }
    Ok(found)
}

/// `None` if the quote matches this run, else why not.
fn mismatch(quote: &Quote, stdout: &str, stderr: &str) -> Option<String> {
    let virtual_clock = quote.args.iter().any(|a| a == "--virtual-clock");
    if virtual_clock {
        let printed: Vec<&str> = stdout.lines().collect();
        return (printed != quote.body).then(|| {
            format!("the demo now prints (GLASSLOOP_BLESS_QUOTES=1 rewrites it):\n{stdout}")
        });
    }
    let printed: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .map(mask_decimals)
        .collect();
    let mut from = 0;
    for line in &quote.body {
        let wanted = mask_decimals(line);
        match printed[from..].iter().position(|p| *p == wanted) {
            Some(offset) => from += offset + 1,
            None => {
                return Some(format!(
                    "the demo printed no line `{line}` (durations masked, in order). It \
                     printed:\n{stdout}{stderr}"
                ))
            }
        }
    }
    None
}

#[test]
fn every_demo_output_quoted_in_the_course_is_what_the_demo_prints() {
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    let bless = std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some();
    let mut problems = Vec::new();
    let mut checked = 0;
    // One run per distinct command line: a real-clock demo takes a second or two.
    let mut runs: HashMap<Vec<String>, (String, String)> = HashMap::new();
    for path in docs {
        let document = std::fs::read_to_string(&path).unwrap();
        let found = quotes(&document).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines: Vec<String> = document.lines().map(String::from).collect();
        let mut rewritten = false;
        // Back to front, so that a rewrite does not move the blocks still to come.
        for quote in found.iter().rev() {
            checked += 1;
            let words: Vec<&str> = quote.args.iter().map(String::as_str).collect();
            let is_env = |word: &&&str| word.starts_with("GLASSLOOP_") && word.contains('=');
            let env: Vec<(&str, &str)> = words
                .iter()
                .take_while(is_env)
                .filter_map(|w| w.split_once('='))
                .collect();
            let args = &words[env.len()..];
            let (stdout, stderr) = runs.entry(quote.args.clone()).or_insert_with(|| {
                let output = common::run_demo_output_with_env(&env, args);
                (
                    String::from_utf8_lossy(&output.stdout).to_string(),
                    String::from_utf8_lossy(&output.stderr).to_string(),
                )
            });
            let Some(why) = mismatch(quote, stdout, stderr) else {
                continue;
            };
            if bless && args.contains(&"--virtual-clock") {
                lines.splice(quote.start..quote.close, stdout.lines().map(String::from));
                rewritten = true;
                continue;
            }
            problems.push(format!(
                "{} line {}: `glassloop-demos {}`: {why}",
                path.display(),
                quote.at,
                words.join(" ")
            ));
        }
        if rewritten {
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        }
    }
    assert!(
        checked > 0,
        "no chapter quotes a demo's output; is the marker unchanged?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn durations_are_masked_but_locations_and_counts_are_not() {
    assert_eq!(
        mask_decimals("held the loop for 0.600 s at demos/blocking.rs:105:62, 3 task(s)"),
        "held the loop for # s at demos/blocking.rs:105:62, 3 task(s)"
    );
}
