//! # Wake sites: who called `wake`, and through what
//!
//! A waker knows only which task to queue, never why. The code that calls `wake` knows: a
//! channel that was sent on, a JoinHandle whose task finished, a semaphore that got a permit
//! back, an event that was set. So that code wraps its wake in [`waking`], and the wake
//! listener of hooks.rs, which runs inside that call, reads the site back with [`current`].
//! The observer turns it into "woken by task 'producer' #2 (a channel send)".
//!
//! ```text
//!   tx.send(v) ──► waking(Via::Channel, || waker.wake())
//!                     SITE = Some(Channel) ─► TaskWaker::schedule ─► WakeListener::woke
//!                     SITE = before                                   reads current()
//! ```
//!
//! Timers and sockets need no site: a wake during step 4 is a timer's, a wake during step 3
//! is a socket's, and the observer knows which timer and which socket from its own notes
//! (observe/ticks.rs). A wake from another thread is another thread's.
//!
//! ## The cost when it is off
//!
//! The site lives in a thread-local that is written only while an instrument asked for it
//! (observe/ switches it on): with everything off, a wake site costs one thread-local read
//! and an untaken branch, and allocates nothing. tokio's equivalent is the `tracing` span a
//! resource opens around its wake (`runtime.resource.async_op`), read by tokio-console;
//! asyncio records nothing of the kind.
//!
//! Read next: `observe/trace.rs`, where the site becomes a [`crate::observe::WakeCause`].

use std::cell::Cell;

/// Through what one task woke another.
///
/// asyncio, tokio: no equivalent (tokio-console shows the resource a task waits on, not who
/// woke it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A channel send, or a channel closing (mpsc, oneshot, Queue).
    Channel,
    /// A task finishing, seen through its JoinHandle.
    JoinHandle,
    /// A semaphore permit released (a Mutex is a one-permit semaphore).
    Semaphore,
    /// An event set, a Notify or Condition notified, a Barrier filled.
    Event,
}

thread_local! {
    /// `None` while no instrument on this thread records wake causes (off); `Some(site)`
    /// while one does, with the site of the wake in progress, if any.
    static SITE: Cell<Option<Option<Via>>> = const { Cell::new(None) };
}

/// Run `wake` (a call that wakes one or more tasks) with `via` named as its cause.
#[inline]
pub(crate) fn waking(via: Via, wake: impl FnOnce()) {
    let outer = SITE.with(Cell::get);
    if outer.is_none() {
        return wake(); // off: the one branch
    }
    SITE.with(|cell| cell.set(Some(Some(via))));
    wake();
    SITE.with(|cell| cell.set(outer));
}

/// `None` if this thread records no causes (it is not the observed loop's thread: the wake
/// comes from another thread); else the site of the wake in progress, if one was named.
pub(crate) fn current() -> Option<Option<Via>> {
    SITE.with(Cell::get)
}

/// Switch recording on or off for this thread (the observer, when it records causes).
pub(crate) fn record_on_this_thread(on: bool) {
    SITE.with(|cell| cell.set(if on { Some(None) } else { None }));
}
