//! The rules of Queue, LifoQueue and PriorityQueue, each proved by a small experiment.
//!
//! Most experiments poll `get`, `put` and `join` futures by hand with a waker that counts its
//! wakes, so "served in arrival order", "woken once" and "a cancelled waiter leaves no trace"
//! are measured step by step. The timing experiment runs under the virtual clock.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use glassloop::sync::{LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull};
use glassloop::time::sleep;

mod common;
use common::{in_line, now_ms, virtual_runtime, WakeCounter};

// ───────────────────────────── getters ─────────────────────────────

#[test]
fn waiting_getters_are_served_in_arrival_order_each_woken_once() {
    let queue = Queue::new(0);
    let counters = [WakeCounter::new(), WakeCounter::new(), WakeCounter::new()];
    let mut gets: Vec<_> = counters.iter().map(|c| in_line(c, queue.get())).collect();

    queue.put_nowait("first").unwrap();
    assert_eq!(
        counters.iter().map(WakeCounter::wakes).collect::<Vec<_>>(),
        [1, 0, 0],
        "only the oldest getter is woken"
    );
    queue.put_nowait("second").unwrap();
    queue.put_nowait("third").unwrap();
    assert_eq!(
        counters.iter().map(WakeCounter::wakes).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert_eq!(queue.qsize(), 0, "each item went straight to a getter");

    // Polled in the reverse order, each still gets the item it was handed.
    let got: Vec<_> = (0..3)
        .rev()
        .map(|i| counters[i].poll(gets[i].as_mut()))
        .collect();
    assert_eq!(
        got,
        [
            Poll::Ready("third"),
            Poll::Ready("second"),
            Poll::Ready("first")
        ]
    );
}

#[test]
fn an_item_handed_to_a_waiting_getter_cannot_be_taken_by_a_newcomer() {
    let queue = Queue::new(0);
    let counter = WakeCounter::new();
    let mut get = in_line(&counter, queue.get());
    queue.put_nowait(7).unwrap();
    assert_eq!(counter.wakes(), 1);
    // Between the wake and the getter's poll, another task tries to take the item.
    assert_eq!(queue.get_nowait(), Err(QueueEmpty));
    assert_eq!(counter.poll(get.as_mut()), Poll::Ready(7));
    assert_eq!(counter.wakes(), 1, "woken once, polled once");
}

#[test]
fn a_cancelled_getter_leaves_no_trace_and_an_item_it_was_handed_goes_to_the_next() {
    let queue = Queue::new(0);
    let (gone, next) = (WakeCounter::new(), WakeCounter::new());
    let early = in_line(&gone, queue.get());
    let mut later = in_line(&next, queue.get());

    queue.put_nowait("job").unwrap();
    assert_eq!(
        (gone.wakes(), next.wakes()),
        (1, 0),
        "the early getter was chosen"
    );
    drop(early); // cancelled after it was handed the item, before it ran
    assert_eq!(next.wakes(), 1, "the item went on to the next getter");
    assert_eq!(next.poll(later.as_mut()), Poll::Ready("job"));
    assert_eq!(queue.qsize(), 0);

    // A getter cancelled while still waiting: the next item is stored, not lost to it.
    let waiting = in_line(&gone, queue.get());
    drop(waiting);
    queue.put_nowait("kept").unwrap();
    assert_eq!(gone.wakes(), 1, "the dropped getter was not woken again");
    assert_eq!(queue.get_nowait(), Ok("kept"));
}

#[test]
fn an_item_passed_back_by_a_cancelled_getter_is_the_next_to_leave_in_fifo_order() {
    let queue = Queue::new(0);
    let counter = WakeCounter::new();
    let get = in_line(&counter, queue.get());
    queue.put_nowait(1).unwrap(); // handed to the waiting getter
    queue.put_nowait(2).unwrap(); // stored
    drop(get); // 1 comes back, ahead of 2
    assert_eq!(queue.get_nowait(), Ok(1));
    assert_eq!(queue.get_nowait(), Ok(2));
}

// ───────────────────────────── putters ─────────────────────────────

#[test]
fn putters_wait_while_full_in_arrival_order_and_put_nowait_cannot_jump_them() {
    let queue = Queue::new(1);
    queue.put_nowait("a").unwrap();
    assert!(queue.full());
    let counters = [WakeCounter::new(), WakeCounter::new()];
    let mut b = in_line(&counters[0], queue.put("b"));
    let mut c = in_line(&counters[1], queue.put("c"));

    assert_eq!(queue.get_nowait(), Ok("a"));
    assert_eq!(
        (counters[0].wakes(), counters[1].wakes()),
        (1, 0),
        "the freed slot went to the oldest putter only"
    );
    // The slot is b's although b has not run: a newcomer is refused.
    assert_eq!(queue.put_nowait("z"), Err(QueueFull("z")));
    assert!(queue.full());
    assert_eq!(counters[0].poll(b.as_mut()), Poll::Ready(()));
    assert_eq!(queue.get_nowait(), Ok("b"));
    assert_eq!(counters[1].wakes(), 1);
    assert_eq!(counters[1].poll(c.as_mut()), Poll::Ready(()));
    assert_eq!(queue.get_nowait(), Ok("c"));
    assert_eq!(queue.put_nowait("z").map_err(QueueFull::into_inner), Ok(()));
}

#[test]
fn a_cancelled_putter_leaves_no_trace_and_a_slot_it_was_handed_goes_to_the_next() {
    let queue = Queue::new(1);
    queue.put_nowait(1).unwrap();
    let (gone, next) = (WakeCounter::new(), WakeCounter::new());
    let early = in_line(&gone, queue.put(2));
    let mut later = in_line(&next, queue.put(3));

    assert_eq!(queue.get_nowait(), Ok(1));
    assert_eq!((gone.wakes(), next.wakes()), (1, 0));
    drop(early); // handed the slot, cancelled before it used it
    assert_eq!(next.wakes(), 1, "the slot went on to the next putter");
    assert_eq!(next.poll(later.as_mut()), Poll::Ready(()));
    assert_eq!(
        queue.get_nowait(),
        Ok(3),
        "the cancelled put's item never went in"
    );
    assert_eq!(queue.get_nowait(), Err(QueueEmpty));
    assert_eq!(queue.unfinished_tasks(), 2, "two puts happened: 1 and 3");
}

// ───────────────────────────── task_done and join ─────────────────────────────

#[test]
fn join_waits_until_every_item_put_is_marked_done_and_wakes_every_joiner_once() {
    let queue = Queue::new(0);
    let counters = [WakeCounter::new(), WakeCounter::new()];
    let mut done_now = Box::pin(queue.join());
    assert_eq!(
        counters[0].poll(done_now.as_mut()),
        Poll::Ready(()),
        "nothing put yet"
    );

    queue.put_nowait('x').unwrap();
    queue.put_nowait('y').unwrap();
    let mut joins: Vec<_> = counters.iter().map(|c| in_line(c, queue.join())).collect();
    queue.get_nowait().unwrap();
    queue.get_nowait().unwrap();
    assert!(queue.empty());
    assert_eq!(counters[0].wakes(), 0, "taking items is not finishing them");
    queue.task_done();
    assert_eq!(queue.unfinished_tasks(), 1);
    assert_eq!(counters[0].wakes(), 0);
    queue.task_done();
    assert_eq!(
        (counters[0].wakes(), counters[1].wakes()),
        (1, 1),
        "the last task_done wakes every joiner"
    );
    for (counter, join) in counters.iter().zip(&mut joins) {
        assert_eq!(counter.poll(join.as_mut()), Poll::Ready(()));
    }
}

#[test]
fn a_cancelled_join_leaves_no_trace() {
    let queue = Queue::new(0);
    queue.put_nowait(()).unwrap();
    let counter = WakeCounter::new();
    drop(in_line(&counter, queue.join()));
    queue.get_nowait().unwrap();
    queue.task_done();
    assert_eq!(counter.wakes(), 0, "a dropped join is never woken");
}

#[test]
#[should_panic(expected = "task_done() called more times than items were put")]
fn task_done_called_more_often_than_items_were_put_panics_with_a_message() {
    let queue = Queue::<u8>::new(0);
    queue.put_nowait(1).unwrap();
    queue.task_done();
    queue.task_done();
}

// ───────────────────────────── orders and sizes ─────────────────────────────

#[test]
fn lifo_queue_hands_out_the_newest_and_priority_queue_the_smallest() {
    let stack = LifoQueue::new(0);
    let heap = PriorityQueue::new(0);
    for n in [3, 1, 4, 1, 5] {
        stack.put_nowait(n).unwrap();
        heap.put_nowait(n).unwrap();
    }
    let drain = |get: &dyn Fn() -> Result<i32, QueueEmpty>| {
        std::iter::from_fn(|| get().ok()).collect::<Vec<_>>()
    };
    assert_eq!(drain(&|| stack.get_nowait()), [5, 1, 4, 1, 3]);
    assert_eq!(drain(&|| heap.get_nowait()), [1, 1, 3, 4, 5]);
}

#[test]
fn sizes_report_what_asyncio_reports_and_clones_share_one_queue() {
    let queue = Queue::new(2);
    let other = queue.clone();
    assert_eq!((queue.maxsize(), queue.qsize()), (2, 0));
    assert!(queue.empty() && !queue.full());
    other.put_nowait("a").unwrap();
    other.put_nowait("b").unwrap();
    assert_eq!(queue.qsize(), 2);
    assert!(queue.full() && !queue.empty());
    assert_eq!(queue.put_nowait("c"), Err(QueueFull("c")));

    let unbounded = Queue::new(0);
    for n in 0..1000 {
        unbounded.put_nowait(n).unwrap();
    }
    assert!(!unbounded.full(), "maxsize 0 is never full");
}

// ───────────────────────────── tasks on the loop ─────────────────────────────

#[test]
fn a_bounded_queue_paces_a_fast_producer_to_its_slow_consumer() {
    let rt = virtual_runtime();
    let log = rt.block_on(async {
        let queue = Queue::new(2);
        let log = Rc::new(RefCell::new(Vec::new()));
        let producer = {
            let (queue, log) = (queue.clone(), log.clone());
            glassloop::spawn(async move {
                for n in 0..4 {
                    queue.put(n).await;
                    log.borrow_mut().push(format!("put {n} at {}", now_ms()));
                }
            })
        };
        for _ in 0..4 {
            sleep(Duration::from_millis(100)).await;
            let n = queue.get().await;
            log.borrow_mut().push(format!("got {n} at {}", now_ms()));
            queue.task_done();
        }
        queue.join().await;
        producer.await.unwrap();
        log.take()
    });
    assert_eq!(
        log,
        [
            "put 0 at 0",
            "put 1 at 0",
            "got 0 at 100",
            "put 2 at 100",
            "got 1 at 200",
            "put 3 at 200",
            "got 2 at 300",
            "got 3 at 400",
        ]
    );
}
