//! What the loop allocates, counted: a global allocator that counts the allocations made on
//! the thread under test, so a promise about allocations is checked, not assumed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::ready;
use std::time::Duration;

use glassloop::time::timeout;
use glassloop::Runtime;

/// The system allocator, counting the allocations of threads that asked to be counted.
struct Counting;

thread_local! {
    /// Allocations made on this thread while counting was on (`None`: not counting).
    static COUNT: Cell<Option<usize>> = const { Cell::new(None) };
    /// Bytes allocated minus bytes freed on this thread while counting was on.
    static LIVE: Cell<Option<isize>> = const { Cell::new(None) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: a thread being torn down has no thread-locals left to count in.
        let _ = COUNT.try_with(|count| count.set(count.get().map(|n| n + 1)));
        let size = layout.size() as isize;
        let _ = LIVE.try_with(|live| live.set(live.get().map(|n| n + size)));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let size = layout.size() as isize;
        let _ = LIVE.try_with(|live| live.set(live.get().map(|n| n - size)));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|count| count.set(Some(0)));
    f();
    COUNT.with(|count| count.take()).unwrap()
}

#[test]
fn a_timeout_around_a_future_ready_at_once_touches_neither_the_wheel_nor_the_allocator() {
    let rt = Runtime::builder().virtual_clock().build().unwrap();
    rt.block_on(async {
        // Warm up: the first sleep of a runtime may grow the wheel's slab.
        let _ = timeout(Duration::from_secs(1), ready(0)).await;
        let mut total = 0;
        let made = allocations(|| {
            for n in 0..1000 {
                let made = poll_ready_at_once(timeout(Duration::from_secs(1), ready(n)));
                total += made.unwrap();
            }
        });
        assert_eq!(total, (0..1000).sum::<i32>());
        assert_eq!(
            made, 0,
            "1,000 timeouts around ready futures allocated {made} times"
        );
    });
    assert_eq!(
        rt.now().since_origin(),
        Duration::ZERO,
        "no timer ever fired or was waited for"
    );
}

#[test]
fn a_spawned_task_costs_two_allocations_and_its_handle_is_two_words() {
    // The task's allocation (its header, the state it shares with its handle, and your
    // future inline: spawn/join.rs) and the waker's `Arc` (waker.rs): two. tokio and smol make
    // one; see task_table.rs for why glassloop, without `unsafe`, stops here.
    const TASKS: usize = 1000;
    let rt = Runtime::new().unwrap();
    let (made, sum) = rt.block_on(async {
        // Warm up: grow the slab and the ready queue to TASKS entries once.
        spawn_and_join(TASKS).await;
        let mut sum = 0;
        let made = allocations_async(async { sum = spawn_and_join(TASKS).await }).await;
        (made, sum)
    });
    assert_eq!(sum, (0..TASKS as u64).sum::<u64>(), "every task ran");
    assert_eq!(
        made,
        2 * TASKS,
        "{TASKS} spawns and joins allocated {made} times"
    );
    assert!(
        std::mem::size_of::<glassloop::JoinHandle<u64>>() <= 16,
        "a JoinHandle is {} bytes",
        std::mem::size_of::<glassloop::JoinHandle<u64>>()
    );
    // A pointer to the allocation and its vtable, whatever the task's future.
    assert_eq!(std::mem::size_of::<glassloop::JoinHandle<u64>>(), 16);
}

#[test]
fn a_task_leaves_nothing_allocated_once_it_and_its_handle_are_gone() {
    // A task's allocation is shared by the slab and the handle: whichever lets go last frees
    // it, however the task ended. Joined, detached, aborted: nothing may stay behind.
    let rt = Runtime::new().unwrap();
    let left = rt.block_on(async {
        every_way_to_end(TASKS_ENDING).await; // warm up: the slab and the ready queue grow once
        LIVE.with(|live| live.set(Some(0)));
        every_way_to_end(TASKS_ENDING).await;
        LIVE.with(|live| live.take()).unwrap()
    });
    assert_eq!(
        left, 0,
        "{left} bytes stayed allocated after every task and handle was gone"
    );
}

const TASKS_ENDING: usize = 1000;

/// `n` tasks joined, `n` detached before they finish, and `n` aborted while they wait.
async fn every_way_to_end(n: usize) {
    assert_eq!(spawn_and_join(n).await, (0..n as u64).sum::<u64>());
    for i in 0..n {
        drop(glassloop::spawn(async move {
            glassloop::task::yield_now().await;
            i
        }));
    }
    let waiting: Vec<_> = (0..n)
        .map(|_| glassloop::spawn(std::future::pending::<()>()))
        .collect();
    glassloop::task::yield_now().await; // each waiting task is polled once
    for handle in &waiting {
        handle.abort();
    }
    for handle in waiting {
        assert!(handle.await.unwrap_err().is_cancelled());
    }
    // The detached tasks have finished by now: they needed two polls, the loop gave three.
    glassloop::task::yield_now().await;
}

/// Spawn `n` tasks that each return their number, await them all, and add up the results.
async fn spawn_and_join(n: usize) -> u64 {
    let mut handles = Vec::with_capacity(n);
    for i in 0..n as u64 {
        handles.push(glassloop::spawn(async move { i }));
    }
    let mut sum = 0;
    for handle in handles.drain(..) {
        sum += handle.await.unwrap();
    }
    sum
}

/// How many allocations `f` makes on this thread while it runs, awaited in the loop. The
/// `Vec` of handles is made inside, so it counts: one allocation, subtracted here.
async fn allocations_async(f: impl std::future::Future<Output = ()>) -> usize {
    COUNT.with(|count| count.set(Some(0)));
    f.await;
    COUNT.with(|count| count.take()).unwrap() - 1
}

/// Poll a future that must be ready at its first poll, inside the running loop (so
/// `timeout` finds its runtime), with a waker that does nothing.
fn poll_ready_at_once<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(futures_task::noop_waker_ref());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the future was not ready at its first poll"),
    }
}
