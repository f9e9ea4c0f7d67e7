//! Bad input gets a clear answer: API misuse panics with a message that says what to do.

#[test]
#[should_panic(expected = "glassloop::spawn was called outside a glassloop runtime")]
fn spawn_outside_a_runtime_says_to_wrap_the_program_in_run() {
    glassloop::spawn(async {});
}

#[test]
#[should_panic(expected = "glassloop::time::sleep was called outside a glassloop runtime")]
fn sleep_outside_a_runtime_says_to_wrap_the_program_in_run() {
    drop(glassloop::time::sleep(std::time::Duration::from_secs(1)));
}

#[test]
#[should_panic(expected = "a glassloop runtime is already running on this thread")]
fn run_inside_run_says_to_await_instead() {
    glassloop::run(async { glassloop::run(async {}) });
}

#[test]
#[should_panic(expected = "a glassloop runtime is already running on this thread")]
fn block_on_inside_block_on_says_to_await_instead() {
    let rt = glassloop::Runtime::new().unwrap();
    let inner = glassloop::Runtime::new().unwrap();
    rt.block_on(async move { inner.block_on(async {}) });
}

#[test]
#[should_panic(expected = "the loop is stalled")]
fn a_loop_that_can_never_wake_reports_a_stall_instead_of_hanging() {
    glassloop::run(async {
        let _forgotten = glassloop::task::Builder::new()
            .name("waits-forever")
            .spawn(std::future::pending::<()>());
        std::future::pending::<()>().await
    });
}

#[test]
fn the_stall_report_names_the_pending_tasks_and_where_they_were_spawned() {
    let err = std::panic::catch_unwind(|| {
        glassloop::run(async {
            let _forgotten = glassloop::task::Builder::new()
                .name("waits-forever")
                .spawn(std::future::pending::<()>());
            std::future::pending::<()>().await
        })
    })
    .unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("task 'waits-forever' #1 spawned at tests/misuse.rs:"),
        "{message}"
    );
}

#[test]
fn a_sleep_of_duration_max_is_capped_at_thirty_years_and_later_sleeps_still_wait() {
    use glassloop::time::{sleep, Instant, FAR_FUTURE};
    use std::time::Duration;
    let rt = glassloop::Runtime::builder()
        .virtual_clock()
        .build()
        .unwrap();
    rt.block_on(async {
        sleep(Duration::MAX).await;
        assert_eq!(Instant::now().since_origin(), FAR_FUTURE);
        let start = Instant::now();
        sleep(Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}

/// What a closure panicked with (it must panic).
fn panic_message_of(body: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .expect_err("the call should panic outside a runtime");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn socket_constructors_outside_a_runtime_name_the_call_and_say_to_wrap_it_in_run() {
    use glassloop::net::{TcpListener, TcpStream, UdpSocket};
    use std::future::Future;
    use std::task::Context;

    let localhost = || "127.0.0.1:0".parse().unwrap();
    // Something real to connect to, so the connect gets as far as registering its socket.
    let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let cases = [
        (
            "glassloop::net::TcpListener::bind",
            panic_message_of(|| drop(TcpListener::bind(localhost()))),
        ),
        (
            "glassloop::net::TcpListener::bind_with_backlog",
            panic_message_of(|| drop(TcpListener::bind_with_backlog(localhost(), 1024))),
        ),
        (
            "glassloop::net::UdpSocket::bind",
            panic_message_of(|| drop(UdpSocket::bind(localhost()))),
        ),
        (
            "glassloop::net::TcpStream::connect",
            // A future does nothing until polled: poll it once by hand, outside any loop.
            panic_message_of(|| {
                let mut connect = Box::pin(TcpStream::connect(peer_addr));
                let mut cx = Context::from_waker(futures_task::noop_waker_ref());
                let _ = connect.as_mut().poll(&mut cx);
            }),
        ),
    ];
    for (call, message) in cases {
        assert!(
            message.contains(&format!("{call} was called outside a glassloop runtime")),
            "the message does not name {call}: {message}"
        );
        assert!(
            message.contains("glassloop::run(async"),
            "the message for {call} does not say what to do: {message}"
        );
    }
}
