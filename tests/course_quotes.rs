//! Code shown in the course is quoted from the real source, never copied by hand.
//!
//! The source marks a few regions with line comments:
//!
//! ```text
//!         // region: schedule
//!         ...the lines a chapter shows...
//!         // endregion: schedule
//! ```
//!
//! and a chapter quotes one by putting `<!-- quote: runtime/waker.rs#schedule -->` on the line
//! before a ```` ```rust,ignore ```` block. This test checks, for every `docs/*.md`, that each
//! quoted block is exactly the region's current text (with the region's common indentation
//! removed), so a chapter cannot drift from the code it explains. When it fails it prints the
//! current text, ready to paste; or run it with `GLASSLOOP_BLESS_QUOTES=1` to rewrite every
//! quoted block from its region (then read the chapter again: the prose around a quote may
//! need to change too).

use std::path::Path;

const QUOTE_OPEN: &str = "<!-- quote:";
const FENCE: &str = "```rust,ignore";

/// The lines between `// region: NAME` and `// endregion: NAME` in `source`, dedented.
fn region(source: &str, name: &str) -> Result<String, String> {
    let lines: Vec<&str> = source.lines().collect();
    let begin_marker = format!("// region: {name}");
    let end_marker = format!("// endregion: {name}");
    let begins: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim() == begin_marker)
        .collect();
    let [begin] = begins[..] else {
        return Err(format!(
            "expected exactly one `{begin_marker}` line, found {}",
            begins.len()
        ));
    };
    let Some(end) = (begin + 1..lines.len()).find(|&i| lines[i].trim() == end_marker) else {
        return Err(format!("`{begin_marker}` has no `{end_marker}` after it"));
    };
    let body = &lines[begin + 1..end];
    let indent = body
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let dedented: Vec<&str> = body
        .iter()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect();
    Ok(dedented.join("\n"))
}

/// Every problem with the quotes of one document: `(line number, message)`.
/// With `blessed` given, a drifted quote is not a problem: its `(first line, closing fence,
/// current text)` is pushed there instead, for `rewrite_quotes`.
fn check_document(
    document: &str,
    root: &Path,
    mut blessed: Option<&mut Vec<(usize, usize, String)>>,
) -> Vec<String> {
    let lines: Vec<&str> = document.lines().collect();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        let Some(target) = line
            .strip_prefix(QUOTE_OPEN)
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let at = i; // 1-based line number of the marker
        let target = target.trim();
        let Some((file, name)) = target.split_once('#') else {
            problems.push(format!(
                "line {at}: `{target}` should read `runtime/FILE.rs#REGION`"
            ));
            continue;
        };
        if lines.get(i).map(|l| l.trim()) != Some(FENCE) {
            problems.push(format!(
                "line {at}: a quote marker must be followed by a {FENCE} fence"
            ));
            continue;
        }
        let start = i + 1;
        let Some(close) = (start..lines.len()).find(|&j| lines[j].trim() == "```") else {
            problems.push(format!("line {at}: the quoted block is never closed"));
            break;
        };
        let quoted = lines[start..close].join("\n");
        i = close + 1;
        let source = match std::fs::read_to_string(root.join(file)) {
            Ok(source) => source,
            Err(err) => {
                problems.push(format!("line {at}: cannot read {file}: {err}"));
                continue;
            }
        };
        match region(&source, name) {
            Err(err) => problems.push(format!("line {at}: {file}: {err}")),
            Ok(current) if current != quoted => {
                if let Some(blessed) = blessed.as_mut() {
                    blessed.push((start, close, current));
                    continue;
                }
                problems.push(format!(
                    "line {at}: the quote of {target} differs from the source. Its current text \
                     is:\n{current}\n"
                ))
            }
            Ok(_) => {}
        }
    }
    problems
}

/// `document` with each drifted quote replaced by its region's current text.
fn rewrite_quotes(document: &str, root: &Path) -> String {
    let mut drifted = Vec::new();
    check_document(document, root, Some(&mut drifted));
    let lines: Vec<&str> = document.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut next = 0;
    for (start, close, current) in drifted {
        out.extend(lines[next..start].iter().map(|l| l.to_string()));
        out.push(current);
        next = close;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_quoted_block_in_the_course_equals_its_source_region() {
    let mut problems = Vec::new();
    let mut quotes = 0;
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is missing")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    for path in docs {
        let mut document = std::fs::read_to_string(&path).unwrap();
        if std::env::var_os("GLASSLOOP_BLESS_QUOTES").is_some() {
            document = rewrite_quotes(&document, root());
            std::fs::write(&path, &document).unwrap();
        }
        quotes += document
            .lines()
            .filter(|l| l.trim().starts_with(QUOTE_OPEN))
            .count();
        for problem in check_document(&document, root(), None) {
            problems.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        quotes > 0,
        "no chapter quotes any source; is the marker format unchanged?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_region_marker_in_the_source_is_closed() {
    let mut problems = Vec::new();
    let mut stack = vec![root().join("runtime")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for line in source.lines() {
                if let Some(name) = line.trim().strip_prefix("// region: ") {
                    if let Err(err) = region(&source, name) {
                        problems.push(format!("{}: {err}", path.display()));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_quote_that_drifted_from_its_region_is_reported() {
    let current = region(
        &std::fs::read_to_string(root().join("runtime/waker.rs")).unwrap(),
        "schedule",
    )
    .unwrap();
    let faithful = format!("<!-- quote: runtime/waker.rs#schedule -->\n{FENCE}\n{current}\n```\n");
    assert_eq!(
        check_document(&faithful, root(), None),
        Vec::<String>::new()
    );

    let drifted = faithful.replacen("return;", "return; // edited by hand", 1);
    assert_ne!(drifted, faithful);
    let problems = check_document(&drifted, root(), None);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("differs from the source"),
        "{problems:?}"
    );

    let unknown = faithful.replace("#schedule", "#no_such_region");
    assert!(check_document(&unknown, root(), None)[0].contains("expected exactly one"));
}
