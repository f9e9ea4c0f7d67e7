//! A JoinHandle may outlive its runtime (its result can still be read), but it must not keep
//! the runtime's descriptors open. Alone in its own test binary, because it counts every
//! descriptor the process has open, and tests running in parallel threads would change that.

use glassloop::Runtime;

mod common;
use common::open_descriptors;

#[test]
fn join_handles_that_outlive_their_runtimes_keep_none_of_their_descriptors_open() {
    const RUNTIMES: usize = 50;
    let Some(before) = open_descriptors() else {
        eprintln!("skipped: /proc/self/fd does not exist here (it is Linux-only)");
        return;
    };
    let mut handles = Vec::new();
    for n in 0..RUNTIMES {
        let rt = Runtime::new().unwrap();
        let finished = rt.spawn(async move { n });
        rt.block_on(glassloop::task::yield_now());
        let never_ran = rt.spawn(async move { n });
        handles.push((finished, never_ran));
    } // each runtime is dropped here, its handles kept
    let open = open_descriptors().unwrap();
    assert_eq!(
        open,
        before,
        "{RUNTIMES} dropped runtimes left {} descriptors open through their JoinHandles",
        open - before
    );
    let other = Runtime::new().unwrap();
    for (n, (finished, never_ran)) in handles.into_iter().enumerate() {
        assert_eq!(
            other.block_on(finished).unwrap(),
            n,
            "the result is still there"
        );
        assert!(other.block_on(never_ran).unwrap_err().is_cancelled());
    }
}
