//! Invariant 9: a panicking task does not stop the loop. Its JoinHandle reports the panic; a
//! panic nobody retrieves is reported on stderr when it happens; gather passes a child's panic
//! on to the task that awaits it.

mod common;
use common::virtual_runtime;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glassloop::combinators::gather;
use glassloop::time::{sleep, Instant};

#[test]
fn a_panicking_task_does_not_stop_the_loop_and_its_handle_yields_the_panic() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let bomb = glassloop::spawn(async {
            sleep(Duration::from_secs(1)).await;
            panic!("boom at one second");
        });
        let steady = glassloop::spawn(async {
            sleep(Duration::from_secs(2)).await;
            "still here"
        });
        let err = bomb.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("boom at one second"));
        assert_eq!(steady.await.unwrap(), "still here");
        assert_eq!(Instant::now().since_origin(), Duration::from_secs(2));
    });
}

#[test]
fn a_panic_can_be_re_raised_in_the_awaiting_task_with_resume_unwind() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let outer = glassloop::spawn(async {
            let inner = glassloop::spawn(async { panic!("inner failure") });
            if let Err(err) = inner.await {
                std::panic::resume_unwind(err.into_panic());
            }
        });
        let err = outer.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("inner failure"));
    });
}

#[test]
fn gather_passes_a_childs_panic_on_to_the_awaiting_task() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let other_child_ran_to_end = Rc::new(Cell::new(false));
        let flag = other_child_ran_to_end.clone();
        let awaiting = glassloop::spawn(async move {
            let quiet = async move {
                sleep(Duration::from_secs(2)).await;
                flag.set(true);
            };
            let loud = async {
                sleep(Duration::from_secs(1)).await;
                panic!("a gathered child panicked");
            };
            let children: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> =
                vec![Box::pin(quiet), Box::pin(loud)];
            gather(children).await;
        });
        let err = awaiting.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("a gathered child panicked"));
        sleep(Duration::from_secs(5)).await;
        assert!(
            !other_child_ran_to_end.get(),
            "the sibling was cancelled by the unwind"
        );
    });
}

#[test]
fn a_panic_nobody_retrieves_is_reported_on_stderr_and_the_program_goes_on() {
    let output = common::run_demo_output(&["--virtual-clock", "errors"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("panicked and nobody holds its JoinHandle, so the panic is reported here"),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("'detached' #"),
        "the report names the task: {stderr}"
    );
    assert!(
        stdout.contains("the program is still running"),
        "stdout:\n{stdout}"
    );
}
