//! docs/invariants.md names, for each rule, the test that checks it. This test keeps those
//! names true: every `test: tests/FILE.rs::NAME` line must point at a file that exists and
//! contains `fn NAME(`.

use std::path::Path;

/// Every `(file, function)` pair named on a `test:` line of the document.
fn named_tests(document: &str) -> Vec<(String, String)> {
    document
        .lines()
        .filter_map(|line| line.trim().strip_prefix("test:"))
        .map(|target| {
            let target = target.trim();
            let (file, name) = target.split_once("::").unwrap_or_else(|| {
                panic!(
                    "docs/invariants.md: `test: {target}` should read \
                     `test: tests/FILE.rs::function_name`"
                )
            });
            // A test inside a module is named `module::function`; its `fn` line has the last part.
            let function = name.rsplit("::").next().unwrap_or(name);
            (file.to_string(), function.to_string())
        })
        .collect()
}

#[test]
fn every_test_named_in_docs_invariants_md_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let document = std::fs::read_to_string(root.join("docs/invariants.md"))
        .expect("docs/invariants.md is missing");
    let named = named_tests(&document);
    assert!(
        named.len() >= 10,
        "docs/invariants.md names only {} tests; is the `test:` format still used?",
        named.len()
    );
    let mut missing = Vec::new();
    for (file, name) in &named {
        match std::fs::read_to_string(root.join(file)) {
            Ok(source) if source.contains(&format!("fn {name}(")) => {}
            Ok(_) => missing.push(format!("{file} has no `fn {name}(`")),
            Err(err) => missing.push(format!("{file} cannot be read: {err}")),
        }
    }
    assert!(
        missing.is_empty(),
        "docs/invariants.md names tests that do not exist; rename them in the document or \
         restore the tests:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn a_misspelt_test_name_is_caught() {
    let document = "1. A rule.\n   test: tests/invariants.rs::no_such_test_anywhere\n";
    let named = named_tests(document);
    assert_eq!(
        named,
        [(
            "tests/invariants.rs".to_string(),
            "no_such_test_anywhere".to_string()
        )]
    );
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invariants.rs"))
            .unwrap();
    assert!(!source.contains("fn no_such_test_anywhere("));
}
