//! # The exercises, graded
//!
//! Each exercise in `exercises/` is a file with `todo!()`s that a learner fills in; its
//! reference solution sits in `exercises/solutions/`. This test binary holds one suite per
//! exercise. A suite is a stepped experiment, like `tests/invariants.rs`: it builds a tiny
//! world of hand-made futures and wakers that count their polls and wakes, takes one step at a
//! time, and asserts what changed. Every assertion names the rule it checks, so a failure says
//! what to fix.
//!
//! Which files the suites grade is chosen when this binary is compiled:
//!
//! - `cargo test` grades the reference solutions (so CI proves the suites and the solutions
//!   agree);
//! - `cargo test --test exercises --features learner` grades *your* files in `exercises/`.
//!   Add a suite's name to run one: `... --features learner countdown`.
//!
//! The other set is still compiled (not run), so a learner file and its solution cannot
//! drift apart in the names and types the suites use.
//!
//! Read next: exercises/README.md, then exercises/01_counting_waker.rs.

// The files the suites grade: the reference solutions, or with `--features learner` the
// learner's own files. A learner's unfinished file has unused parameters: not a warning.
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/03_block_on.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/03_block_on.rs"
)]
mod block_on;
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/02_countdown.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/02_countdown.rs"
)]
mod countdown;
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/01_counting_waker.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/01_counting_waker.rs"
)]
mod counting_waker;
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/04_join.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/04_join.rs"
)]
mod join;
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/06_mini_executor.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/06_mini_executor.rs"
)]
mod mini_executor;
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/05_wheel_position.rs",
    allow(unused)
)]
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/solutions/05_wheel_position.rs"
)]
mod wheel_position;

// The set that is not graded in this build, compiled only so that it keeps compiling.
#[cfg_attr(not(feature = "learner"), path = "../../exercises/03_block_on.rs")]
#[cfg_attr(feature = "learner", path = "../../exercises/solutions/03_block_on.rs")]
#[allow(unused, clippy::all)]
mod not_graded_block_on;
#[cfg_attr(not(feature = "learner"), path = "../../exercises/02_countdown.rs")]
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/solutions/02_countdown.rs"
)]
#[allow(unused, clippy::all)]
mod not_graded_countdown;
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/01_counting_waker.rs"
)]
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/solutions/01_counting_waker.rs"
)]
#[allow(unused, clippy::all)]
mod not_graded_counting_waker;
#[cfg_attr(not(feature = "learner"), path = "../../exercises/04_join.rs")]
#[cfg_attr(feature = "learner", path = "../../exercises/solutions/04_join.rs")]
#[allow(unused, clippy::all)]
mod not_graded_join;
#[cfg_attr(not(feature = "learner"), path = "../../exercises/06_mini_executor.rs")]
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/solutions/06_mini_executor.rs"
)]
#[allow(unused, clippy::all)]
mod not_graded_mini_executor;
#[cfg_attr(
    not(feature = "learner"),
    path = "../../exercises/05_wheel_position.rs"
)]
#[cfg_attr(
    feature = "learner",
    path = "../../exercises/solutions/05_wheel_position.rs"
)]
#[allow(unused, clippy::all)]
mod not_graded_wheel_position;

mod lab;
mod suite_block_on;
mod suite_countdown;
mod suite_counting_waker;
mod suite_join;
mod suite_mini_executor;
mod suite_wheel_position;
