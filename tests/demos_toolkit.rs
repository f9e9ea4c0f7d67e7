//! The toolkit demos (`sync_vs_async`, `gather`, `tasks`, `wait_first`, `timeout`, `cancel`,
//! `errors`, `threadsafe`) print exactly what the course says, under the virtual clock.

mod common;
use common::run_demo_virtual;

#[test]
fn demo_sync_vs_async_takes_three_seconds_one_after_another_and_one_second_gathered() {
    assert_eq!(
        run_demo_virtual("sync_vs_async"),
        "one after another:\n\
         \x20 job 1 done at 1.000 s\n\
         \x20 job 2 done at 2.000 s\n\
         \x20 job 3 done at 3.000 s\n\
         sequential: 3.000 s\n\
         gathered:\n\
         \x20 job 1 done at 1.000 s\n\
         \x20 job 2 done at 1.000 s\n\
         \x20 job 3 done at 1.000 s\n\
         concurrent: 1.000 s\n\
         speedup: 3.0x\n"
    );
}

#[test]
fn demo_gather_finishes_in_four_seconds_with_results_in_argument_order() {
    assert_eq!(
        run_demo_virtual("gather"),
        "[0.000 s] Starting API 1 (1 s)\n\
         [0.000 s] Starting API 2 (4 s)\n\
         [0.000 s] Starting API 3 (1 s)\n\
         [1.000 s] Finished API 1\n\
         [1.000 s] Finished API 3\n\
         [4.000 s] Finished API 2\n\
         total: 4.000 s (one after another: 6 s)\n\
         results, in argument order: [\"Data from API 1\", \"Data from API 2\", \"Data from API 3\"]\n"
    );
}

#[test]
fn demo_tasks_run_while_main_does_other_work_and_are_awaited_later() {
    assert_eq!(
        run_demo_virtual("tasks"),
        "[0.000 s] main: created tasks 'coffee' and 'toast'; neither has run yet\n\
         [0.000 s] main: doing other work (1 s) while they run\n\
         [0.000 s] coffee: started, needs 2 s\n\
         [0.000 s] toast: started, needs 3 s\n\
         [1.000 s] main: other work done\n\
         [2.000 s] coffee: done\n\
         [2.000 s] main: awaited task #1 -> \"coffee\"\n\
         [3.000 s] toast: done\n\
         [3.000 s] main: awaited task #2 -> \"toast\"\n\
         total: 3.000 s (one after another: 6 s)\n"
    );
}

#[test]
fn demo_wait_first_takes_the_first_download_and_cancels_the_rest_with_cleanup() {
    assert_eq!(
        run_demo_virtual("wait_first"),
        "[0.000 s] mirror A: downloading (3 s)\n\
         [0.000 s] mirror B: downloading (1 s)\n\
         [0.000 s] mirror C: downloading (2 s)\n\
         [1.000 s] mirror B: finished\n\
         [1.000 s] mirror B: connection closed after finishing\n\
         [1.000 s] first done: task #2 gave \"file from mirror B\"; 2 still pending\n\
         [1.000 s] cancelling the rest\n\
         [1.000 s] mirror A: connection closed on cancellation\n\
         [1.000 s] mirror C: connection closed on cancellation\n\
         [1.000 s] awaiting it: task 'mirror A' #1 was cancelled\n\
         [1.000 s] awaiting it: task 'mirror C' #3 was cancelled\n\
         total: 1.000 s\n"
    );
}

#[test]
fn demo_timeout_cancels_a_ten_second_operation_at_exactly_five_seconds() {
    assert_eq!(
        run_demo_virtual("timeout"),
        "[0.000 s] a 10 s operation under a 5.000 s timeout\n\
         [0.000 s] operation: started, needs 10 s\n\
         [5.000 s] operation: cleanup ran\n\
         [5.000 s] timed out after 5.000 s: the operation was cancelled\n\
         [5.000 s] a 2 s operation under a 5.000 s timeout\n\
         [5.000 s] operation: started, needs 2 s\n\
         [7.000 s] operation: finished\n\
         [7.000 s] operation: cleanup ran\n\
         [7.000 s] finished in time after 2.000 s: \"result\"\n"
    );
}

#[test]
fn demo_cancel_aborts_a_long_task_after_one_second_and_reports_the_cancellation() {
    assert_eq!(
        run_demo_virtual("cancel"),
        "[0.000 s] main: spawned a 10 s task\n\
         [0.000 s] long task: started, needs 10 s\n\
         [1.000 s] main: cancelling it\n\
         [1.000 s] long task: cleanup ran (its Drop guard, Rust's `finally`)\n\
         [1.000 s] main: abort() returned\n\
         [1.000 s] main: awaiting it gives Err: task 'long task' #1 was cancelled\n\
         [1.000 s] main: is_cancelled() = true (asyncio: CancelledError)\n"
    );
}

#[test]
fn demo_errors_collects_every_result_then_stops_at_the_first_error_and_survives_panics() {
    assert_eq!(
        run_demo_virtual("errors"),
        "gather, collecting every result (asyncio: return_exceptions=True):\n\
         \x20 [1.000 s] job a: ok\n\
         \x20 [2.000 s] job b: failed\n\
         \x20 [3.000 s] job c: ok\n\
         \x20 results after 3.000 s: [Ok(1), Err(\"job b: bad input\"), Ok(3)]\n\
         try_gather, stopping at the first error:\n\
         \x20 [1.000 s] job a: ok\n\
         \x20 [2.000 s] job b: failed\n\
         \x20 [2.000 s] job c: cancelled, cleanup ran\n\
         \x20 result after 2.000 s: Err(\"job b: bad input\")\n\
         a panicking task:\n\
         \x20 awaiting its handle gives Err: task 'risky' #1 panicked: division by zero\n\
         \x20 a detached task panicked too (reported on stderr); the program is still running\n"
    );
}

#[test]
fn demo_threadsafe_runs_a_threads_closures_and_coroutine_on_the_loop_in_order_then_closes() {
    assert_eq!(
        run_demo_virtual("threadsafe"),
        "main runs on thread 'main', task #0; it starts the poster thread\n\
         closure 1 runs on thread 'main', task #1 (the handle's service)\n\
         closure 2 runs on thread 'main', task #1 (the handle's service)\n\
         closure 3 runs on thread 'main', task #1 (the handle's service)\n\
         the coroutine runs on thread 'main', task #3 (its own), with an Rc inside\n\
         poster: RemoteHandle::wait() gave 42\n\
         main: the poster has its answer; main returns, the loop ends\n\
         poster: after the loop: the glassloop loop this Handle belongs to has ended (its \
         block_on returned or its runtime was dropped), so the closure was not run; take a new \
         handle from the runtime that will run it\n"
    );
}
