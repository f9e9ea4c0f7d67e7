//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::process::Command;

/// Run the demos binary with `args` and return what it printed on stdout.
/// Panics with the demo's stderr if it fails, so a broken demo explains itself.
pub fn run_demo(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_glassloop-demos"))
        .args(args)
        .output()
        .expect("could not start the demos binary");
    let stdout = String::from_utf8(output.stdout).expect("demo output is UTF-8");
    assert!(
        output.status.success(),
        "demo {args:?} failed with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Run one demo under the virtual clock, where its output is exact and repeatable.
pub fn run_demo_virtual(name: &str) -> String {
    run_demo(&["--virtual-clock", name])
}
