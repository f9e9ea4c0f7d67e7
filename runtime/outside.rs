//! # Announcing work that runs outside the loop
//!
//! A thread that will call `wake` later (a blocking job, a callback from a C library) is
//! invisible to the loop. Under the real clock that is fine: the loop parks until the wake
//! arrives. Under the virtual clock it is not: with no task ready and no timer set, the loop
//! would either jump time past the thread's work or declare a stall. [`OutsideWork`] is how
//! such work announces itself: while one exists, the virtual clock does not jump and the loop
//! is not stalled, and debug mode does not call the wait a possible stall.
//!
//! It is a counter (the time driver's outside-work count, timer/driver.rs, where the rule that
//! reads it is stated) behind a guard, [`HoldGuard`]: create it on the loop's thread, move it
//! to the worker, drop it *after* calling `wake`. The blocking pool (blocking.rs) takes the
//! same guard for each job, so every kind of outside work holds the clock the same way.
//!
//! ```text
//!   loop thread                       another thread
//!   HoldGuard::take  holds += 1 ────► ... work ...
//!   loop: holds > 0, so no jump,      waker.wake()      (the task is ready)
//!         parks until woken    ◄───── drop(guard)       holds -= 1, and the doorbell,
//!                                                       always (even after the wake)
//! ```
//!
//! Why the release rings the doorbell: a loop that found nothing ready, no timer due and
//! `holds > 0` parks *until woken*. If the work ends without waking a task (it was
//! abandoned, or its result is not wanted), nothing else would wake that loop, and it would
//! sleep forever instead of jumping time or reporting a stall. A ring that finds the loop
//! running costs one extra turn of the loop, nothing more.
//!
//! ## Who holds the clock: the ledger
//!
//! The rule needs only the total, so the core keeps one counter. A learner looking at a
//! frozen clock needs more: *what* holds it. So each guard is also written in a ledger here,
//! above the core: its kind (a blocking job, and which call submitted it, or an
//! `OutsideWork`), where it was created (`#[track_caller]`) and when. The step view and the
//! "clock held" report (observe/step.rs, observe/ticks.rs) read it and print "2 blocking
//! jobs in flight, 1 OutsideWork", one line per guard. The ledger lives in a thread-local of
//! the loop's thread, where every guard is created; each entry holds a `Weak` to its guard's
//! token and to its runtime's counter, so an entry whose guard ended (on any thread) or whose
//! runtime is gone is simply skipped and pruned: no lock, and nothing to forget to remove.
//! A shortcut, said plainly: the ledger belongs to one runtime and would sit in its `Core`,
//! but the core stays within its 1,500 lines and knows nothing of kinds, so the ledger is
//! kept beside it, found by the runtime's counter.
//!
//! asyncio: `loop.run_in_executor` counts its own jobs the same way; tokio: its blocking pool
//! keeps the runtime alive while `spawn_blocking` jobs run. Neither says which job holds it.
//!
//! Read next: `blocking.rs`, the pool that takes one hold per job.

use std::cell::RefCell;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::executor::context::with_current;
use crate::executor::Core;
use crate::waker::Unparker;

/// A promise that work outside the loop is in flight and will wake a task when done.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::task::Poll;
///
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let answer = rt.block_on(async {
///     let slot: Arc<Mutex<(Option<u32>, Option<std::task::Waker>)>> = Default::default();
///     let work = glassloop::OutsideWork::new();
///     let for_thread = slot.clone();
///     std::thread::spawn(move || {
///         let mut slot = for_thread.lock().unwrap();
///         slot.0 = Some(42);
///         if let Some(waker) = slot.1.take() {
///             waker.wake();
///         }
///         drop(slot);
///         drop(work); // after the wake
///     });
///     std::future::poll_fn(|cx| {
///         let mut slot = slot.lock().unwrap();
///         match slot.0.take() {
///             Some(value) => Poll::Ready(value),
///             None => {
///                 slot.1 = Some(cx.waker().clone());
///                 Poll::Pending
///             }
///         }
///     })
///     .await
/// });
/// assert_eq!(answer, 42);
/// ```
#[derive(Debug)]
#[must_use = "the work counts as in flight only while this guard lives"]
pub struct OutsideWork {
    /// Never read: it is here for its `Drop`, which releases the hold.
    _hold: HoldGuard,
}

// No `Default`: creating one has an effect (and needs a runtime), which `default()` hides.
#[allow(clippy::new_without_default)]
impl OutsideWork {
    /// Announce one piece of outside work on the current runtime. The step view and the
    /// "clock held" report name it by where this was called.
    ///
    /// # Panics
    /// Outside a running glassloop runtime.
    #[track_caller]
    pub fn new() -> OutsideWork {
        let at = Location::caller();
        let hold = with_current("glassloop::OutsideWork::new", |core| {
            HoldGuard::take(core, HoldKind::OutsideWork, at)
        });
        OutsideWork { _hold: hold }
    }
}

/// One unit of "work in flight outside the loop" on the time driver's outside-work count,
/// released on drop. While any is held, the virtual clock holds still (timer/driver.rs).
/// [`OutsideWork`] is the public face; the blocking pool takes one per job.
pub(crate) struct HoldGuard {
    holds: Arc<AtomicUsize>,
    unparker: Arc<Unparker>,
    /// The ledger's entry is alive while this is: dropped first thing in `drop`.
    token: Option<Arc<()>>,
}

impl HoldGuard {
    /// Count one piece of outside work of `kind`, created at `at`, on `core`'s runtime, and
    /// write it in the ledger. Call it on the loop's thread, before the work starts, so the
    /// clock cannot jump between "submitted" and "running".
    pub(crate) fn take(core: &Core, kind: HoldKind, at: &'static Location<'static>) -> HoldGuard {
        let token = Arc::new(());
        LEDGER.with(|ledger| {
            let mut ledger = ledger.borrow_mut();
            // Pruned only when full, before it would grow: a guard costs O(1) on average, not
            // a pass over every job in flight, and the list never holds more than about twice
            // the most guards ever alive at once.
            if ledger.len() == ledger.capacity() {
                ledger.retain(Entry::is_live);
            }
            ledger.push(Entry {
                runtime: Arc::downgrade(core.time.holds()),
                token: Arc::downgrade(&token),
                held: Held { kind, at, since: core.time.clock.now() },
            });
        });
        core.time.holds().fetch_add(1, Ordering::SeqCst);
        HoldGuard {
            holds: core.time.holds().clone(),
            unparker: core.unparker.clone(),
            token: Some(token),
        }
    }
}

impl std::fmt::Debug for HoldGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldGuard").field("holds", &self.holds.load(Ordering::SeqCst)).finish()
    }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        // Out of the ledger before out of the count: the ledger never lists more than the
        // count holds (it may list fewer for a moment).
        drop(self.token.take());
        let before = self.holds.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(before > 0, "outside work released a hold nobody took");
        // Always rung, whether or not the loop is parked: the doorbell stays rung until the
        // next park reads it, so this cannot race with the loop deciding to sleep. It is
        // needed even after the work woke its task (wake first, release second, so the clock
        // cannot jump in between): the loop may already have run that task and parked "until
        // woken" because this hold was still up; now that it is gone, the loop must decide
        // again (the virtual clock may jump, or a stall be reported). The error case is a
        // runtime already gone, with no loop left to wake.
        let _ = self.unparker.doorbell.upgrade().map(|doorbell| doorbell.wake());
    }
}

// ───────────────────────────── the ledger ─────────────────────────────

/// What a hold stands for, as the step view and the reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HoldKind {
    /// A job on the blocking pool; `via` is the call that submitted it
    /// (`glassloop::spawn_blocking`, `glassloop::fs::read`, ...).
    BlockingJob {
        /// The public function that submitted the job.
        via: &'static str,
    },
    /// An [`OutsideWork`] guard.
    OutsideWork,
}

/// One piece of outside work in flight, as the ledger lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    /// What it is.
    pub(crate) kind: HoldKind,
    /// Where it was created: the `spawn_blocking` (or `fs::...`) call, or `OutsideWork::new`.
    pub(crate) at: &'static Location<'static>,
    /// The runtime's clock when it was created.
    pub(crate) since: Duration,
}

/// One line of the ledger: a guard, and the runtime whose counter it holds.
struct Entry {
    /// The runtime's outside-work counter: it names the runtime (one counter each).
    runtime: Weak<AtomicUsize>,
    /// The guard's token: dead once the guard is dropped.
    token: Weak<()>,
    held: Held,
}

impl Entry {
    fn is_live(&self) -> bool {
        self.token.strong_count() > 0 && self.runtime.strong_count() > 0
    }
}

thread_local! {
    /// Every guard created on this thread whose entry was not pruned yet (see the header).
    static LEDGER: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// The outside work in flight on `core`'s runtime, oldest first, as the ledger of this
/// thread (the loop's) knows it.
pub(crate) fn in_flight(core: &Core) -> Vec<Held> {
    let runtime = Arc::as_ptr(core.time.holds());
    LEDGER.with(|ledger| {
        let mut ledger = ledger.borrow_mut();
        ledger.retain(Entry::is_live);
        ledger
            .iter()
            .filter(|entry| std::ptr::eq(entry.runtime.as_ptr(), runtime))
            .map(|entry| entry.held)
            .collect()
    })
}

/// The outside work in flight on the runtime running on this thread (none if no runtime
/// runs here): what an instrument, handed only the loop's view, can ask for.
pub(crate) fn in_flight_here() -> Vec<Held> {
    if !crate::executor::context::in_runtime() {
        return Vec::new();
    }
    with_current("glassloop::outside::in_flight_here", |core| in_flight(core))
}

/// "2 blocking jobs in flight, 1 OutsideWork": what holds the clock, by kind and count.
/// `total` is the core's counter; guards it counts that the ledger does not list (a guard
/// ending at this very moment) are said as such, never guessed.
pub(crate) fn summary(total: usize, held: &[Held]) -> String {
    let jobs = held.iter().filter(|h| matches!(h.kind, HoldKind::BlockingJob { .. })).count();
    let guards = held.len() - jobs;
    let mut parts = Vec::new();
    match jobs {
        0 => {}
        1 => parts.push("1 blocking job in flight".to_string()),
        n => parts.push(format!("{n} blocking jobs in flight")),
    }
    if guards > 0 {
        parts.push(format!("{guards} OutsideWork"));
    }
    if total > held.len() {
        parts.push(format!("{} ending now", total - held.len()));
    }
    if parts.is_empty() {
        parts.push("none in flight".to_string());
    }
    parts.join(", ")
}

impl Held {
    /// One line for a report: "blocking job (glassloop::spawn_blocking) at src/main.rs:9:5,
    /// in flight since 1.000 s".
    pub(crate) fn describe(&self) -> String {
        let what = match self.kind {
            HoldKind::BlockingJob { via } => format!("blocking job ({via})"),
            HoldKind::OutsideWork => "OutsideWork".to_string(),
        };
        format!("{what} at {}, in flight since {:.3} s", self.at, self.since.as_secs_f64())
    }
}
