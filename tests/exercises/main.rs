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
// learner's own files, as `mod NAME`. The other set is `mod not_graded_NAME`, compiled only so
// that it keeps compiling. A learner's unfinished file has unused parameters: not a warning.
macro_rules! exercise {
    ($name:ident, $not_graded:ident, $learner:literal, $solution:literal) => {
        #[cfg_attr(feature = "learner", path = $learner, allow(unused))]
        #[cfg_attr(not(feature = "learner"), path = $solution)]
        mod $name;
        #[cfg_attr(not(feature = "learner"), path = $learner)]
        #[cfg_attr(feature = "learner", path = $solution)]
        #[allow(unused, clippy::all)]
        mod $not_graded;
    };
}

exercise!(
    counting_waker,
    not_graded_counting_waker,
    "../../exercises/01_counting_waker.rs",
    "../../exercises/solutions/01_counting_waker.rs"
);
exercise!(
    countdown,
    not_graded_countdown,
    "../../exercises/02_countdown.rs",
    "../../exercises/solutions/02_countdown.rs"
);
exercise!(
    block_on,
    not_graded_block_on,
    "../../exercises/03_block_on.rs",
    "../../exercises/solutions/03_block_on.rs"
);
exercise!(
    join,
    not_graded_join,
    "../../exercises/04_join.rs",
    "../../exercises/solutions/04_join.rs"
);
exercise!(
    wheel_position,
    not_graded_wheel_position,
    "../../exercises/05_wheel_position.rs",
    "../../exercises/solutions/05_wheel_position.rs"
);
exercise!(
    mini_executor,
    not_graded_mini_executor,
    "../../exercises/06_mini_executor.rs",
    "../../exercises/solutions/06_mini_executor.rs"
);

mod lab;
mod suite_block_on;
mod suite_countdown;
mod suite_counting_waker;
mod suite_join;
mod suite_mini_executor;
mod suite_wheel_position;
