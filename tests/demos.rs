//! The first two demos, `hello` and `sleep`, print exactly what the course says under the
//! virtual clock; `cargo run` with no demo lists them all and tours, and a wrong name is
//! refused with the list. Every other demo is checked in a `tests/demos_*.rs` of its part.

mod common;
use common::{run_demo, run_demo_virtual};

#[test]
fn demo_hello_prints_sleeps_one_second_and_returns_its_value() {
    assert_eq!(
        run_demo_virtual("hello"),
        "created the future; nothing has run yet\n\
         hello, world: the coroutine starts\n\
         ... 1.000 s later, the coroutine resumes\n\
         block_on returned \"greeted world\"\n"
    );
}

#[test]
fn demo_sleep_overlaps_three_sleepers_for_four_seconds_not_six() {
    assert_eq!(
        run_demo_virtual("sleep"),
        "[0.000 s] task A starts, sleeps 1 s\n\
         [0.000 s] task B starts, sleeps 4 s\n\
         [0.000 s] task C starts, sleeps 1 s\n\
         [1.000 s] task A wakes up\n\
         [1.000 s] task C wakes up\n\
         [4.000 s] task B wakes up\n\
         all done after 4.000 s (one after another it would take 6 s)\n"
    );
}

#[test]
fn demos_with_no_argument_list_every_demo_and_tour() {
    let out = run_demo(&["--virtual-clock"]);
    for name in ["hello", "sleep"] {
        assert!(
            out.contains(&format!("  {name}")),
            "{name} missing from:\n{out}"
        );
    }
    assert!(out.contains("A short tour: hello, sleep"), "{out}");
    assert!(out.contains("block_on returned \"greeted world\""), "{out}");
}

#[test]
fn an_unknown_demo_name_is_refused_with_the_list() {
    let output = common::run_demo_output(&["no-such-demo"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no demo named 'no-such-demo'"), "{stderr}");
}
