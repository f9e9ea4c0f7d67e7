//! # The current runtime: how `spawn` finds the loop
//!
//! `glassloop::spawn(fut)` takes no runtime argument, yet it must put the task into *this*
//! thread's loop. The loop announces itself in a thread-local while it runs:
//!
//! ```text
//!   Runtime::block_on ── EnterGuard::enter ──► CURRENT = Some(core)
//!        │ tick, tick, tick ... any code polled here may call spawn / sleep / Instant::now,
//!        │                      which read CURRENT (with_current)
//!   return or unwind ── EnterGuard dropped ──► CURRENT = None
//! ```
//!
//! A second `block_on` on the same thread finds `CURRENT` already set and refuses with a
//! message (a loop cannot run inside itself); `spawn` outside any loop finds it empty and says
//! to wrap the program in `glassloop::run`. asyncio does the same with
//! `asyncio.get_running_loop()` and its "cannot be called from a running event loop" error;
//! tokio with its runtime context and "there is no reactor running".
//!
//! Read next: `executor/schedule.rs`, the order in which a pass polls its tasks.

use std::cell::RefCell;
use std::rc::Rc;

use super::Core;
use crate::waker::RUNNING;

thread_local! {
    /// The runtime running on this thread, if any. Set by `block_on`/`step` for their duration.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Run `f` with the current runtime's core, or panic with a message that says what to do.
/// `what` names the caller for the message, e.g. "glassloop::spawn".
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    let core = CURRENT.with(|current| current.borrow().clone());
    match core {
        Some(core) => f(&core),
        None => panic!(
            "{what} was called outside a glassloop runtime. Wrap your program in \
             `glassloop::run(async {{ ... }})` (or `Runtime::block_on`) and call it from code \
             that runs inside."
        ),
    }
}

/// Is a glassloop runtime running on this thread?
pub(crate) fn in_runtime() -> bool {
    CURRENT.with(|current| current.borrow().is_some())
}

/// Is `core` the runtime running on this thread? A pointer compare, no clone: cheap enough
/// for the `Pending` path of every timer, socket and join handle (home.rs says why they ask).
pub(crate) fn is_current(core: &Core) -> bool {
    CURRENT.with(|current| current.borrow().as_deref().is_some_and(|c| std::ptr::eq(c, core)))
}

/// Tell the current runtime's instruments that the task being polled is about to return
/// `Pending` at the await point `at`, for a leaf future that does not keep its runtime
/// (`yield_now`, channels, `Semaphore`, `Mutex`, `Event`, `Notify`). Costs a thread-local
/// read and a branch; call it on the `Pending` path only.
pub(crate) fn note_await_current(at: &'static std::panic::Location<'static>) {
    CURRENT.with(|current| {
        if let Some(core) = current.borrow().as_deref() {
            core.note_await(at);
        }
    });
}

/// Make `core` (or no runtime) the current one, its local ready queue with it (waker.rs), and
/// give back the runtime that was current before.
fn set_current(core: Option<Rc<Core>>) -> Option<Rc<Core>> {
    RUNNING.with(|running| *running.borrow_mut() = core.as_ref().map(|core| core.ready.clone()));
    CURRENT.with(|current| current.replace(core))
}

/// Keeps a runtime current for as long as it lives; puts back the one before (usually none)
/// when dropped, even on panic.
pub(crate) struct EnterGuard(Option<Rc<Core>>);

impl EnterGuard {
    /// Make `core` current while it runs (`block_on`, `step`). `what` names the caller for
    /// the message if a runtime already runs here.
    pub(crate) fn enter(core: &Rc<Core>, what: &str) -> EnterGuard {
        assert!(
            !in_runtime(),
            "{what} was called while a glassloop runtime is already running on this \
             thread. A loop cannot run inside itself: inside async code, `.await` the \
             future (or `glassloop::spawn` it) instead of starting another loop."
        );
        EnterGuard(set_current(Some(core.clone())))
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        set_current(self.0.take());
    }
}

/// Make `core` current while a runtime is dropped, setting aside whichever runtime was
/// current (a runtime may be dropped inside another): its tasks' destructors must find their
/// own runtime. The returned guard puts the previous one back.
pub(crate) fn enter_for_drop(core: &Rc<Core>) -> EnterGuard {
    EnterGuard(set_current(Some(core.clone())))
}
