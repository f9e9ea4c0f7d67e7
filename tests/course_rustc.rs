//! What rustc says, quoted in the course from a real compile.
//!
//! A chapter that shows a compiler warning marks the code and the warning:
//!
//! ```text
//!     <!-- rustc: forget_await.rs -->
//!     ```rust,ignore
//!     ...a small file...
//!     ```
//!     <!-- rustc-says: forget_await.rs -->
//!     ```text
//!     ...what rustc prints for it...
//!     ```
//! ```
//!
//! This test writes each marked file to a temporary directory, compiles it with the rustc on
//! PATH (metadata only: no code generation, a few tens of milliseconds), and compares its
//! diagnostics with the quoted text. A new toolchain that words a warning differently fails
//! here with the new text; `GLASSLOOP_BLESS_QUOTES=1 cargo test --test course_rustc` rewrites
//! the quotes from the compile (then reread the prose around them).
//!
//! Read next: docs/00-a-future-from-zero.md, section 9.

use std::path::{Path, PathBuf};
use std::process::Command;

const CODE_MARK: &str = "<!-- rustc: ";
const SAYS_MARK: &str = "<!-- rustc-says: ";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The body of the fenced block that starts on the line after `marker_line`, and the index of
/// its closing fence.
fn block_after(lines: &[&str], marker_line: usize) -> Result<(String, usize, usize), String> {
    let fence = marker_line + 1;
    if !lines.get(fence).is_some_and(|l| l.starts_with("```")) {
        return Err(format!(
            "line {}: a rustc marker must be followed by a fenced block",
            marker_line + 1
        ));
    }
    let close = (fence + 1..lines.len())
        .find(|&i| lines[i].trim() == "```")
        .ok_or_else(|| format!("line {}: the block is never closed", fence + 1))?;
    Ok((lines[fence + 1..close].join("\n"), fence + 1, close))
}

/// What rustc prints for `code` saved as `name`, without the "N warnings emitted" summary.
fn compile(name: &str, code: &str) -> String {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("glassloop-rustc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), format!("{code}\n")).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(&rustc)
        .current_dir(&dir)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit=metadata",
        ])
        .args(["--color", "never", "-o", "out.rmeta", name])
        .output()
        .unwrap_or_else(|err| panic!("could not run {rustc}: {err}"));
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kept: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|line| !(line.starts_with("warning: ") && line.ends_with(" emitted")))
        .collect();
    kept.join("\n").trim_end().to_string()
}

/// `(problems, document rewritten from the compiles)` for one document.
fn check(document: &str) -> (Vec<String>, String, usize) {
    let lines: Vec<&str> = document.lines().collect();
    let mut problems = Vec::new();
    let mut rewritten: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line.trim().strip_prefix(CODE_MARK) else {
            continue;
        };
        let name = name.trim_end_matches("-->").trim();
        let result = block_after(&lines, i).and_then(|(code, _, close)| {
            let says = (close..lines.len())
                .find(|&j| lines[j].trim().starts_with(SAYS_MARK))
                .filter(|&j| lines[j].contains(name))
                .ok_or_else(|| format!("line {}: no `{SAYS_MARK}{name} -->` follows", i + 1))?;
            let (quoted, start, end) = block_after(&lines, says)?;
            Ok((code, quoted, start, end))
        });
        let (code, quoted, start, end) = match result {
            Ok(found) => found,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        checked += 1;
        let actual = compile(name, &code);
        if actual != quoted {
            problems.push(format!(
                "line {}: rustc's diagnostics for {name} differ from the quote. rustc now says:\n{actual}\n",
                i + 1
            ));
            rewritten.splice(start..end, actual.lines().map(String::from));
            // Later markers keep their indices only if the block kept its length; a bless
            // that changes a block's length is finished by running the test once more.
        }
    }
    (problems, rewritten.join("\n") + "\n", checked)
}

#[test]
fn every_rustc_diagnostic_quoted_in_the_course_is_what_rustc_prints() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let document = std::fs::read_to_string(&path).unwrap();
        let (found, rewritten, count) = check(&document);
        checked += count;
        if !found.is_empty() && std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some() {
            std::fs::write(&path, rewritten).unwrap();
            continue;
        }
        problems.extend(
            found
                .into_iter()
                .map(|p| format!("{}: {p}", path.display())),
        );
    }
    assert!(
        checked > 0,
        "no chapter quotes rustc; is the marker format unchanged?"
    );
    assert!(
        problems.is_empty(),
        "{}\n(GLASSLOOP_BLESS_QUOTES=1 rewrites the quotes)",
        problems.join("\n")
    );
}

#[test]
fn the_forgotten_await_is_a_warning_that_says_futures_do_nothing() {
    let said = compile(
        "forgot.rs",
        "async fn f() {}\npub async fn g() {\n    f();\n}",
    );
    assert!(
        said.contains("unused implementer of `Future` that must be used")
            && said.contains("futures do nothing unless you `.await` or poll them"),
        "rustc no longer warns about an unawaited future as chapter 0 says:\n{said}"
    );
}
