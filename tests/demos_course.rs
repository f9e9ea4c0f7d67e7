//! The course demos of chapters 0 and 7 print exactly this under the virtual clock.
//!
//! Read next: tests/course_rustc.rs, which keeps chapter 0's quote of rustc true.

mod common;
use common::run_demo_virtual;

#[test]
fn demo_forget_await_a_future_never_awaited_never_runs_and_a_leftover_task_is_cancelled() {
    assert_eq!(
        run_demo_virtual("forget_await"),
        "1. a future that is never awaited\n\
         \x20 called greet(\"forgotten\") without .await: nothing printed, nothing ran\n\
         \x20 dropped that future: its body never started, and nobody said so\n\
         \x20 greet(\"awaited\"): the body runs\n\
         2. a task that is never awaited\n\
         [0.000 s] leftover: started, needs 10 s\n\
         [1.000 s] main: returns without awaiting the leftover task\n\
         [1.000 s] leftover: dropped before it finished: cancelled, and this guard ran\n\
         block_on returned: the leftover task was cancelled on the way out\n"
    );
}

#[test]
fn demo_starvation_a_hog_holds_the_loop_yielders_take_turns_and_a_pass_is_a_batch() {
    assert_eq!(
        run_demo_virtual("starvation"),
        "1. a hog: three steps of work with no .await between them\n\
         \x20 hog: step 1 done (sum 4999950000), still in the same poll\n\
         \x20 hog: step 2 done (sum 4999950000), still in the same poll\n\
         \x20 hog: step 3 done (sum 4999950000), still in the same poll\n\
         \x20 other: I was ready since before the hog's first step\n\
         2. taking turns: each yield_now() goes to the back of the queue\n\
         \x20 A: step 1, then yield\n\
         \x20 B: step 1, then yield\n\
         \x20 A: step 2, then yield\n\
         \x20 B: step 2, then yield\n\
         \x20 A: step 3, then yield\n\
         \x20 B: step 3, then yield\n\
         3. the batch: a pass polls at most 2 tasks here, then looks at timers and I/O\n\
         \x20 pass 1:\n\
         \x20   t1\n\
         \x20   t2\n\
         \x20 pass 2:\n\
         \x20   t3\n\
         \x20   t1\n\
         \x20 pass 3:\n\
         \x20   t2\n\
         \x20   t3\n\
         \x20 pass 4:\n\
         \x20   t1 finishes\n\
         \x20   t2 finishes\n\
         \x20 pass 5:\n\
         \x20   t3 finishes\n\
         4. a spinner that yields 100 times, against a 1 ms timer\n\
         \x20 main: my 1 ms timer fired at 0.001 s, after the spinner's 100 yields\n"
    );
}
