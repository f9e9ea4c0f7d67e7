use glassloop::time::*;
use std::time::Duration;
#[test]
fn smoke() {
    let rt = glassloop::Runtime::builder()
        .virtual_clock()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = glassloop::spawn(async {
            sleep(Duration::from_secs(100)).await;
            1
        });
        sleep(Duration::from_secs(1)).await;
        h.abort();
        let e = h.await.unwrap_err();
        assert!(e.is_cancelled(), "{e}");
        let p = glassloop::task::Builder::new()
            .name("boom")
            .spawn(async { panic!("oops") });
        let e: glassloop::JoinError = p.await.unwrap_err();
        assert_eq!(e.to_string(), "task 'boom' #2 panicked: oops");
        let r = timeout(Duration::from_secs(5), sleep(Duration::from_secs(10))).await;
        assert!(r.is_err());
        assert_eq!(Instant::now().since_origin(), Duration::from_secs(6));
        sleep(Duration::MAX).await;
    });
}
#[test]
fn cross_thread() {
    let rt = glassloop::Runtime::new().unwrap();
    rt.block_on(async {
        let mut sent = false;
        std::future::poll_fn(|cx| {
            if sent {
                return std::task::Poll::Ready(());
            }
            sent = true;
            let w = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                w.wake()
            });
            std::task::Poll::Pending
        })
        .await;
    });
    assert!(rt.doorbell_rings() >= 1);
}
#[test]
#[should_panic(expected = "stalled")]
fn stall() {
    let rt = glassloop::Runtime::new().unwrap();
    rt.block_on(async {
        let _h = glassloop::spawn(std::future::pending::<()>());
        std::future::pending::<()>().await
    });
}
#[test]
#[should_panic(expected = "outside a glassloop runtime")]
fn outside() {
    glassloop::spawn(async {});
}
#[test]
#[should_panic(expected = "already running")]
fn nested() {
    glassloop::run(async { glassloop::run(async {}) });
}
