//! The rules of the oneshot and mpsc channels: back-pressure, closing, failed sends that give
//! the value back, and wake-ups that are neither lost nor doubled.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::sync::{mpsc, oneshot, RecvError, TryRecvError, TrySendError};
use glassloop::time::{sleep, timeout};

mod common;
use common::{count_polls, now_ms, virtual_runtime, WakeCounter};

// ───────────────────────────── back-pressure ─────────────────────────────

#[test]
fn a_bounded_sender_waits_exactly_until_a_slot_frees() {
    let rt = virtual_runtime();
    let (sent_at, received_at) = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        let producer = glassloop::spawn(async move {
            let mut sent_at = Vec::new();
            for i in 0..4 {
                tx.send(i).await.unwrap();
                sent_at.push((i, now_ms()));
            }
            sent_at
        });
        let mut received_at = Vec::new();
        for _ in 0..4 {
            sleep(Duration::from_secs(1)).await;
            let value = rx.recv().await.unwrap();
            received_at.push((value, now_ms()));
        }
        (producer.await.unwrap(), received_at)
    });
    // Two slots: 0 and 1 go in at once; 2 waits for the receive at 1 s, 3 for the one at 2 s.
    assert_eq!(sent_at, [(0, 0), (1, 0), (2, 1000), (3, 2000)]);
    assert_eq!(received_at, [(0, 1000), (1, 2000), (2, 3000), (3, 4000)]);
}

#[test]
fn bounded_senders_get_free_slots_in_arrival_order() {
    let rt = virtual_runtime();
    let received = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send("filler").await.unwrap();
        for (name, arrive_ms) in [("late", 30), ("early", 10), ("middle", 20)] {
            let tx = tx.clone();
            glassloop::spawn(async move {
                sleep(Duration::from_millis(arrive_ms)).await;
                tx.send(name).await.unwrap();
            });
        }
        drop(tx);
        sleep(Duration::from_millis(100)).await;
        let mut received = Vec::new();
        while let Some(name) = rx.recv().await {
            received.push(name);
        }
        received
    });
    assert_eq!(received, ["filler", "early", "middle", "late"]);
}

#[test]
fn a_cancelled_send_takes_no_slot_and_leaves_no_waiter() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let gave_up = timeout(Duration::from_millis(500), tx.send(2)).await;
        assert!(
            gave_up.is_err(),
            "the channel was full: the send should time out"
        );
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(
            tx.capacity(),
            1,
            "the cancelled send must not hold the freed slot"
        );
        tx.try_send(3).unwrap();
        assert_eq!(
            rx.try_recv(),
            Ok(3),
            "the cancelled value 2 was never queued"
        );
    });
}

#[test]
fn try_send_says_full_or_closed_and_gives_the_value_back() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send("first").unwrap();
    let full = tx.try_send("second").unwrap_err();
    assert!(matches!(full, TrySendError::Full("second")));
    assert!(full.to_string().contains("the channel is full"), "{full}");
    rx.close();
    let closed = tx.try_send("third").unwrap_err();
    assert!(closed
        .to_string()
        .contains("receiver was dropped or closed"));
    assert_eq!(closed.into_inner(), "third");
}

// ───────────────────────────── closing ─────────────────────────────

#[test]
fn recv_returns_none_once_every_sender_is_dropped_and_the_queue_is_drained() {
    let rt = virtual_runtime();
    let received = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let second = tx.clone();
        tx.send(1).unwrap();
        second.send(2).unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1));
        drop(second);
        let mut received = Vec::new();
        while let Some(value) = rx.recv().await {
            received.push(value);
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        received
    });
    assert_eq!(received, [2]);
}

#[test]
fn a_waiting_receiver_is_woken_once_when_the_last_sender_drops() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let (receiver, polls) = count_polls(async move { rx.recv().await });
        let receiver = glassloop::spawn(receiver);
        let other = tx.clone();
        glassloop::task::yield_now().await;
        assert_eq!(polls.get(), 1);
        drop(other); // one sender is left: nothing to wake
        glassloop::task::yield_now().await;
        assert_eq!(polls.get(), 1);
        drop(tx);
        assert_eq!(receiver.await.unwrap(), None);
        assert_eq!(
            polls.get(),
            2,
            "woken once by the last drop, polled once, ended"
        );
    });
}

#[test]
fn values_queued_before_close_are_still_received_then_none() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        tx.send('a').await.unwrap();
        tx.send('b').await.unwrap();
        rx.close();
        assert!(tx.is_closed());
        let refused = tx.send('c').await.unwrap_err();
        assert_eq!(refused.into_inner(), 'c');
        assert_eq!(rx.recv().await, Some('a'));
        assert_eq!(rx.recv().await, Some('b'));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn send_on_a_dropped_receiver_fails_with_the_value() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let err = tx.send(String::from("lost letter")).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("the receiver was dropped or closed"),
            "{err}"
        );
        assert_eq!(err.into_inner(), "lost letter");

        let (tx, rx) = mpsc::unbounded_channel();
        drop(rx);
        assert_eq!(tx.send(7).unwrap_err().into_inner(), 7);

        let (tx, rx) = oneshot::channel();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send([1, 2]).unwrap_err().into_inner(), [1, 2]);
    });
}

#[test]
fn a_sender_waiting_for_a_slot_fails_when_the_receiver_is_dropped() {
    let rt = virtual_runtime();
    let (result, at) = rt.block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let blocked = glassloop::spawn(async move {
            let result = tx.send(1).await.map_err(|err| err.into_inner());
            (result, now_ms())
        });
        sleep(Duration::from_secs(2)).await;
        drop(rx);
        blocked.await.unwrap()
    });
    assert_eq!(result, Err(1));
    assert_eq!(
        at, 2000,
        "the waiting sender fails at the moment the receiver goes"
    );
}

#[test]
fn dropping_the_receiver_drops_the_values_still_queued() {
    let dropped = Rc::new(RefCell::new(Vec::new()));
    struct Tracked(u8, Rc<RefCell<Vec<u8>>>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.1.borrow_mut().push(self.0);
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    tx.send(Tracked(1, dropped.clone())).unwrap();
    tx.send(Tracked(2, dropped.clone())).unwrap();
    assert!(dropped.borrow().is_empty());
    drop(rx);
    assert_eq!(
        *dropped.borrow(),
        [1, 2],
        "dropped with the receiver, not with the sender"
    );
}

// ───────────────────────────── wake-ups ─────────────────────────────

#[test]
fn many_sends_before_the_receiver_runs_wake_it_once() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let counter = WakeCounter::new();
    let mut recv = Box::pin(rx.recv());
    assert!(counter.poll(recv.as_mut()).is_pending());
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    assert_eq!(counter.wakes(), 1, "one wake for three sends");
    assert_eq!(counter.poll(recv.as_mut()), Poll::Ready(Some(0)));
}

#[test]
fn a_dropped_recv_future_leaves_no_waker_behind() {
    let (tx, mut rx) = mpsc::channel(1);
    let counter = WakeCounter::new();
    let mut recv = Box::pin(rx.recv());
    assert!(counter.poll(recv.as_mut()).is_pending());
    drop(recv);
    tx.try_send(1).unwrap();
    assert_eq!(counter.wakes(), 0, "the cancelled recv must not be woken");
    assert_eq!(
        rx.try_recv(),
        Ok(1),
        "and the value waits for the next recv"
    );
}

#[test]
fn an_unbounded_sender_never_waits() {
    let rt = virtual_runtime();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        assert_eq!(now_ms(), 0);
        assert_eq!(rx.len(), 10_000);
        drop(tx);
        let mut sum = 0u64;
        while let Some(i) = rx.recv().await {
            sum += i;
        }
        assert_eq!(sum, 49_995_000);
    });
}

#[test]
#[should_panic(expected = "mpsc::channel needs a capacity of at least 1")]
fn a_bounded_channel_of_capacity_zero_is_refused_with_advice() {
    let _ = mpsc::channel::<()>(0);
}

// ───────────────────────────── oneshot ─────────────────────────────

#[test]
fn a_oneshot_delivers_its_value_and_wakes_the_receiver_once() {
    let (tx, mut rx) = oneshot::channel();
    let counter = WakeCounter::new();
    assert!(counter.poll(Pin::new(&mut rx)).is_pending());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send("reply").unwrap();
    assert_eq!(
        counter.wakes(),
        1,
        "send wakes; dropping the used sender does not again"
    );
    assert_eq!(counter.poll(Pin::new(&mut rx)), Poll::Ready(Ok("reply")));
}

#[test]
fn a_dropped_oneshot_sender_makes_the_receiver_fail() {
    let rt = virtual_runtime();
    let (result, at) = rt.block_on(async {
        let (tx, rx) = oneshot::channel::<u32>();
        glassloop::spawn(async move {
            sleep(Duration::from_secs(1)).await;
            drop(tx); // e.g. the worker failed before answering
        });
        let result = rx.await;
        (result, now_ms())
    });
    assert_eq!(result, Err(RecvError));
    assert_eq!(at, 1000);
    assert!(RecvError
        .to_string()
        .contains("the sender was dropped without sending"));
}
