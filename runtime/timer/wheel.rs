//! # The timer wheel: many timers, few of which ever fire
//!
//! Every `sleep`, every `timeout` and every tick of an `interval` leaves a deadline here, and
//! the loop comes back for it when the clock passes that deadline (step 4 of the tick, in
//! `executor/mod.rs`, through `timer/driver.rs`). This file is the data structure that holds those deadlines. It knows nothing
//! about clocks, wakers or I/O: a time is a plain `u64` count of milliseconds since the
//! runtime's clock started, and a timer is any value `T` (the executor stores a `Waker`).
//!
//! ## The problem
//!
//! Think of a server: every read is wrapped in a timeout, so ten thousand connections mean ten
//! thousand live timers. Almost none of them fire. The read finishes, the timeout future is
//! dropped, and its timer is cancelled. So the costs that matter are, in order:
//!
//! 1. **insert** and **cancel**, paid by every timer, most of which die young;
//! 2. **"when is the next deadline?"**, asked once per tick to decide how long the loop may
//!    park in the reactor;
//! 3. **expire**: hand back everything whose deadline has passed, in deadline order. Paid only
//!    by the few timers that really fire.
//!
//! ## The alternatives, and what each one costs
//!
//! `n` is the number of live timers.
//!
//! | structure | insert | cancel | next deadline | expire one | notes |
//! |---|---|---|---|---|---|
//! | sorted linked list | O(n) | O(1) with a handle | O(1) | O(1) | the insert walk hurts at 10k timers |
//! | binary heap (asyncio) | O(log n) | O(log n) if each timer tracks its index; O(1) lazy | O(1) | O(log n) | lazy cancel leaves dead entries inside |
//! | `BTreeMap<(deadline, seq), T>` | O(log n) | O(log n) | O(log n) | O(log n) | simple, exact, the reference model in our tests |
//! | hashed wheel (one ring of slots) | O(1) | O(1) | must step slot by slot | O(1) | a far deadline is looked at once per lap |
//! | hierarchical wheel, cascading (tokio, this file) | O(1) | O(1) | O(levels) | O(1), plus at most one move per level | exact to the tick |
//! | hierarchical wheel, no cascade (Linux since 2016) | O(1) | O(1) | O(levels) | O(1) | fires up to ~12% late for long timeouts |
//!
//! *asyncio* keeps `loop._scheduled`, a binary heap of `TimerHandle`s. `handle.cancel()` only
//! marks the handle; the dead entry stays in the heap until it reaches the top, or until more
//! than half of a heap of over 100 entries is dead and asyncio rebuilds it. That is a fine trade for Python, where
//! the heap operations run in C and everything else is slower anyway.
//!
//! *Wheels* come from Varghese and Lauck, "Hashed and Hierarchical Timing Wheels" (SOSP 1987).
//! A wheel is an array of slots, one per tick, like a clock face; a timer goes into the slot for
//! its deadline, so insert and cancel are O(1). One ring of 64 one-millisecond slots only
//! reaches 64 ms ahead, though. The *hashed* wheel folds later deadlines onto the same ring and
//! checks each entry's real deadline when the hand passes it, once per lap. The
//! *hierarchical* wheel stacks rings of coarser and coarser slots, like the seconds, minutes and
//! hours of a clock, and moves a timer down to a finer ring as its deadline comes near. That
//! move is called a **cascade**.
//!
//! Linux rewrote its kernel timer wheel in 2016 (v4.8) to **never cascade**: a timer is filed
//! once, in the level whose granularity fits its timeout, and fires when that coarse slot comes
//! round, possibly late by up to an eighth of its timeout. Kernel timers are mostly network
//! timeouts that get cancelled, so saving the cascade work was worth the lost precision.
//! tokio's wheel, like this one, has 6 levels of 64 slots with 1 ms ticks, and cascades, so a
//! timer fires in the very millisecond it asked for.
//!
//! We chose the cascading hierarchical wheel: O(1) insert and cancel, exact deadlines (a test
//! under the virtual clock can assert "fired at exactly 200 ms"), and a structure a learner can
//! draw on paper.
//!
//! ## What this wheel looks like
//!
//! ```text
//!  level   one slot spans        one lap of 64 slots spans
//!    5     64^5 ms ≈ 12.4 days   64^6 ms ≈ 2.18 years
//!    4     64^4 ms ≈ 4.66 h      ≈ 12.4 days
//!    3     64^3 ms ≈ 4.37 min    ≈ 4.66 h
//!    2     64^2 ms = 4.096 s     ≈ 4.37 min
//!    1     64 ms                 4.096 s
//!    0     1 ms                  64 ms
//!    overflow: deadlines further away than that, in one list
//!
//!  a time in bits:  | 63 ...... 36 | 35..30 | 29..24 | 23..18 | 17..12 | 11..6 | 5..0 |
//!                   |   overflow   |   L5   |   L4   |   L3   |   L2   |  L1   |  L0  |
//!
//!  elapsed = 130 = 2·64 + 2; timers at 133, 200, 250 and 2^40:
//!
//!  level 1  [ 0 | 1 | 2 | 3 | 4 | 5 | ... | 63 ]   occupied = 0b1000   (bit 3)
//!                     ^   |
//!                   hand  +-> 200 -> 250            (200 = 3·64 + 8, 250 = 3·64 + 58)
//!  level 0  [ 0 | 1 | 2 | 3 | 4 | 5 | ... | 63 ]   occupied = 0b100000 (bit 5)
//!                     ^           |
//!                   hand          +-> 133           (133 = 2·64 + 5)
//!  overflow: 2^40
//! ```
//!
//! Write the deadline and the wheel's `elapsed` time in base 64. The **level** of an entry is
//! the highest base-64 digit in which they differ; its **slot** is the deadline's digit at that
//! level. So a deadline 10 ms away usually sits in level 0, one 3 s away in level 1, one an
//! hour away in level 3. Every entry in a level-0 slot has the same deadline; a slot at level
//! `L` holds deadlines spread over `64^L` ms.
//!
//! Each level keeps an `occupied` bitmask, so "which is the next non-empty slot?" is one
//! `rotate_right` and one `trailing_zeros`, never a walk over empty slots. That is what lets
//! [`Wheel::advance`] jump from event to event: a virtual clock can move two years in a single
//! call and the wheel visits only the slots that hold something.
//!
//! ## A cascade, worked through
//!
//! At `elapsed = 0`, insert a timer for `200`. In base 64, `200 = 3·64 + 8` and `0 = 0·64 + 0`:
//! they first differ in digit 1, so the entry goes to **level 1, slot 3**, which spans
//! `[192, 256)`. [`Wheel::next_expiration`] answers `192`, the start of that slot: the wheel
//! cannot promise 200 from up there, only "something happens at 192".
//!
//! When `advance` reaches 192, it **cascades** slot 3: it takes the slot's whole list and files
//! each entry again, now relative to `elapsed = 192`. `192 = 3·64 + 0` and `200 = 3·64 + 8`
//! first differ in digit 0, so the entry lands in **level 0, slot 8**. `next_expiration` now
//! answers `200`, and at 200 the level-0 slot fires. One `advance(250)` does all of this in one
//! call. A timer for 100 000 ms makes three stops: level 2 slot 24 (cascade at 98 304), level 1
//! slot 26 (cascade at 99 968), level 0 slot 32 (fires at 100 000). Each cascade moves a timer
//! at least one level down, so a timer in the wheel moves at most once per level, and a timer
//! cancelled before its first cascade (the usual timeout) is never moved at all.
//!
//! ## Past the top level: the overflow list
//!
//! Six levels reach `64^6` ms, about 2.18 years. A deadline whose digits differ from `elapsed`
//! above level 5 (say `u64::MAX`, a timer meant never to fire) goes to a plain overflow
//! list. The wheel remembers the smallest overflow deadline; when `elapsed` reaches the start
//! of the level-5 lap that contains it, the whole list is filed again: entries now within reach
//! enter the wheel, the others go back on the list. Cancelling an overflow entry does not
//! recompute that minimum. A stale minimum is always too *early*, never too late, so the worst
//! it causes is one wasted re-filing. tokio instead files such far deadlines in its top level
//! and lets them come round again.
//!
//! ## Timers set in the past
//!
//! A deadline at or before `elapsed` is due now: it goes into the level-0 slot under the hand,
//! and the next `advance` fires it first, before any timer still ahead. Only there can one slot
//! hold different deadlines, so only there does `advance` sort, by deadline and then by
//! insertion number.
//!
//! ## Why equal deadlines fire in insertion order
//!
//! The promise (invariant 5 in `docs/invariants.md`) is: deadline order, ties in the order the
//! timers were set. Deadline order comes from processing events in time order. For ties, note
//! that where an entry is filed depends only on its deadline and on `elapsed`. So at any moment
//! **all entries with the same deadline sit in the same list** (one slot, or the overflow
//! list). Now check that every list keeps them in insertion order:
//!
//! - `insert` appends at the tail, and the newcomer is the youngest timer of all;
//! - a cascade walks one list from head to tail and appends each entry to the tail of its new
//!   list. All entries of a given deadline leave together and in order, and the target list held
//!   none of that deadline before (they were all in the list being cascaded), so they arrive
//!   together and in order.
//!
//! That argument needs exact filing: it would fail if an entry could linger in a coarser slot
//! while a later timer with the same deadline went straight to a finer one. The same exactness
//! means two levels never have work at the same millisecond: a level-`L` slot starts on a
//! multiple of `64^L`, which no finer level can reach before that slot's cascade.
//!
//! Not every timer facility makes this promise: Linux dropped its FIFO "guarantee" in 2015,
//! noting that cascading and per-CPU queues had already broken it. glassloop keeps it because
//! a learner expects two 100 ms sleeps to wake in the order they were started, and because it
//! makes traces under the virtual clock reproducible.
//!
//! ## Shortcuts, honestly
//!
//! - A tick is fixed at 1 ms; the caller rounds a deadline *up* to whole milliseconds so
//!   that a timer never fires early, as tokio does. Linux's hrtimers, behind `timerfd`, keep
//!   nanosecond deadlines in a red-black tree instead.
//! - Entries live in one `Slab` and list links are `Option<usize>` indices: safe Rust, no
//!   pointers. tokio links its entries with raw pointers, the list node living inside each
//!   `Sleep`, so a timer needs no slot of its own; we pay for the slab's growth instead.
//! - The overflow list is re-scanned whole at each top-level lap that needs it. With deadlines
//!   more than two years out that is rare enough not to matter.
//!
//! Read next: `timer/clock.rs`, which decides what "now" means (the real clock or the virtual
//! one that jumps straight to [`Wheel::next_expiration`]), then `time/sleep.rs`, the future
//! that puts a waker into this wheel.

use std::fmt;

use slab::Slab;

/// Number of levels. With [`SLOTS`] slots each and 1 ms ticks the wheel reaches `64^6` ms,
/// about 2.18 years; later deadlines wait in the overflow list.
pub const LEVELS: usize = 6;

/// Number of slots in each level: one base-64 digit of a deadline.
pub const SLOTS: usize = 64;

/// Bits of a deadline that pick the slot within one level.
const BITS_PER_LEVEL: usize = 6;

/// The low `BITS_PER_LEVEL` bits of a time.
const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// How many milliseconds one lap of the top level covers (`64^6`).
const WHEEL_SPAN: u64 = 1 << (BITS_PER_LEVEL * LEVELS);

// If someone changes one constant without the other, fail the build, not a test.
const _: () = assert!(SLOTS == 1 << BITS_PER_LEVEL, "SLOTS must be 2^BITS_PER_LEVEL");
const _: () = assert!(BITS_PER_LEVEL * LEVELS < 64, "the levels must fit inside a u64 time");
const _: () = assert!(SLOTS <= 64, "each level's occupancy bitmask is a u64");

/// A handle to one timer in a [`Wheel`], returned by [`Wheel::insert`].
///
/// It names a slab slot *and* the insert that filled it (`generation`, a number that grows
/// by one per insert). Slab slots are reused, so the index alone could outlive its timer and
/// then cancel a stranger: with the generation, a stale key simply finds nothing.
///
/// asyncio: the `TimerHandle` that `loop.call_at` returns. tokio: the `TimerEntry` inside
/// each `Sleep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    /// The entry's slot in `Wheel::entries`.
    index: usize,
    /// Must equal `Entry::generation` for the key to be live.
    generation: u64,
}

/// Which list an entry is linked into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// `levels[level].slots[slot]`.
    Slot { level: usize, slot: usize },
    /// The overflow list, for deadlines beyond the top level's current lap.
    Overflow,
}

/// One timer.
struct Entry<T> {
    value: T,
    deadline: u64,
    /// The insert's sequence number; see [`TimerKey`]. Never changes.
    generation: u64,
    /// Which list holds the entry. Rewritten by `link_at_tail` each time the entry is filed.
    place: Place,
    /// Neighbours in the list `place` names. Written only by `link_at_tail` and `unlink`.
    prev: Option<usize>,
    next: Option<usize>,
}

/// A FIFO list threaded through the entries' `prev` / `next` indices: O(1) append at the tail,
/// O(1) unlink from anywhere, and no allocation of its own.
#[derive(Clone, Copy, Debug)]
struct List {
    head: Option<usize>,
    tail: Option<usize>,
}

const EMPTY_LIST: List = List { head: None, tail: None };

/// One ring of [`SLOTS`] slots.
struct Level {
    /// Bit `s` is set exactly when `slots[s]` is non-empty. Kept in step by `link_at_tail`,
    /// `unlink` and `take_list`, the only functions that change a slot's list.
    occupied: u64,
    slots: [List; SLOTS],
}

const EMPTY_LEVEL: Level = Level { occupied: 0, slots: [EMPTY_LIST; SLOTS] };

/// The next piece of work `advance` has: at `time`, fire or cascade the list at `place`.
#[derive(Clone, Copy, Debug)]
struct Event {
    time: u64,
    place: Place,
}

/// A hierarchical timing wheel: [`LEVELS`] levels of [`SLOTS`] slots, 1 ms per tick, plus an
/// overflow list. See the module documentation for the picture.
///
/// Between calls, every entry is filed exactly where its deadline belongs relative to
/// `elapsed`; `advance` is the only method that moves time, and it restores that before
/// returning.
///
/// asyncio: `loop._scheduled`, a heap. tokio: `runtime::time::Wheel`, with the same shape.
///
/// ```
/// use glassloop::time::wheel::Wheel;
///
/// let mut wheel = Wheel::new();
/// wheel.insert(30, "c");
/// wheel.insert(10, "a");
/// wheel.insert(20, "b");
/// assert_eq!(wheel.next_expiration(), Some(10));
///
/// let mut fired = Vec::new();
/// wheel.advance(25, &mut fired);
/// assert_eq!(fired, ["a", "b"]);
/// assert_eq!(wheel.elapsed(), 25);
/// assert_eq!(wheel.len(), 1);
/// ```
pub struct Wheel<T> {
    /// The time the wheel has been advanced to. Only `advance` changes it, and never backwards.
    elapsed: u64,
    /// Every live timer, wherever it is filed.
    entries: Slab<Entry<T>>,
    levels: [Level; LEVELS],
    overflow: List,
    /// A lower bound on the overflow list's deadlines. `insert` keeps it exact; `cancel` may
    /// leave it too early (harmless, see the module docs), never too late. `u64::MAX`
    /// whenever the list is empty.
    overflow_min: u64,
    /// The generation the next `insert` will use.
    next_generation: u64,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel at time 0.
    pub fn new() -> Self {
        Wheel {
            elapsed: 0,
            entries: Slab::new(),
            levels: [EMPTY_LEVEL; LEVELS],
            overflow: EMPTY_LIST,
            overflow_min: u64::MAX,
            next_generation: 0,
        }
    }

    /// The time the wheel has been advanced to: the largest `now` ever passed to
    /// [`advance`](Wheel::advance), or 0.
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// How many timers are waiting (inserted, not yet fired or cancelled).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when no timer is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    // ===== insert and cancel: what every timer pays =====

    /// Adds a timer for `deadline` (ms since the clock origin) and returns its key. O(1).
    ///
    /// A deadline at or before [`elapsed`](Wheel::elapsed) is due now: it fires at the next
    /// `advance`, whatever time that advance is given.
    ///
    /// asyncio: `loop.call_at(when, callback)`. tokio: what polling a `Sleep` the first time
    /// does.
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let index = self.entries.insert(Entry {
            value,
            deadline,
            generation,
            // Overwritten by `place` below: an entry is always filed before anyone looks.
            place: Place::Overflow,
            prev: None,
            next: None,
        });
        self.place(index);
        TimerKey { index, generation }
    }

    /// Removes the timer `key` names and returns its value, or `None` if that timer already
    /// fired or was cancelled (the key is stale). O(1).
    ///
    /// asyncio: `TimerHandle.cancel()`. tokio: dropping a `Sleep` before it completes.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        self.lookup(key)?;
        self.unlink(key.index);
        Some(self.entries.remove(key.index).value)
    }

    /// The value of a waiting timer, to change in place (a sleep polled again with a different
    /// `Waker` swaps it in this way, keeping its place among equal deadlines), or `None` for
    /// a stale key.
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        match self.entries.get_mut(key.index) {
            Some(entry) if entry.generation == key.generation => Some(&mut entry.value),
            _ => None,
        }
    }

    /// The key of every waiting timer, in slab order (for looking inside, as `position`).
    pub fn keys(&self) -> impl Iterator<Item = TimerKey> + '_ {
        self.entries.iter().map(|(index, entry)| TimerKey { index, generation: entry.generation })
    }

    /// The deadline a waiting timer was inserted with, or `None` for a stale key.
    pub fn deadline(&self, key: TimerKey) -> Option<u64> {
        self.lookup(key).map(|entry| entry.deadline)
    }

    /// Where a waiting timer is filed right now: `(level, slot)`, or `(LEVELS, 0)` for the
    /// overflow list; `None` for a stale key. A timer already due sits at level 0 in the
    /// slot under the hand, `(0, elapsed % 64)`.
    ///
    /// This is for looking inside (step mode, the tests, a learner's own experiments); the
    /// runtime never needs it.
    ///
    /// ```
    /// use glassloop::time::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(200, ());
    /// assert_eq!(wheel.position(key), Some((1, 3))); // 200 = 3·64 + 8
    /// wheel.advance(192, &mut Vec::new());
    /// assert_eq!(wheel.position(key), Some((0, 8))); // cascaded at 192
    /// ```
    pub fn position(&self, key: TimerKey) -> Option<(usize, usize)> {
        match self.lookup(key)?.place {
            Place::Slot { level, slot } => Some((level, slot)),
            Place::Overflow => Some((LEVELS, 0)),
        }
    }

    /// The earliest time at which [`advance`](Wheel::advance) has something to do: fire a
    /// timer, or cascade a slot (which fires nothing yet). `None` when the wheel is empty.
    ///
    /// The answer is never before [`elapsed`](Wheel::elapsed) and never after the earliest
    /// deadline (a timer already due gives `elapsed`). So it is a safe time to sleep until:
    /// waking there is never late, at worst early by one cascade. O([`LEVELS`]).
    ///
    /// asyncio: `self._scheduled[0]._when` in `_run_once`. tokio: `Wheel::next_expiration`.
    pub fn next_expiration(&self) -> Option<u64> {
        let event = self.next_event();
        debug_assert_eq!(
            event.is_some(),
            !self.is_empty(),
            "a waiting timer must give the wheel some event to reach it"
        );
        event.map(|event| event.time)
    }

    // ===== advance: moving time forward =====

    /// Moves the wheel to `max(elapsed, now)` and pushes onto `fired` the value of every timer
    /// whose deadline is at or before that time, in deadline order, equal deadlines in
    /// insertion order.
    ///
    /// The work is proportional to what is found, not to the time crossed: the loop jumps from
    /// event to event (see [`next_expiration`](Wheel::next_expiration)) and never steps one
    /// millisecond at a time, so `advance(u64::MAX)` is as cheap as `advance(elapsed + 1)` on
    /// the same timers.
    ///
    /// asyncio: the "handle expired timers" loop in `_run_once`. tokio: `Wheel::poll`, called
    /// from the time driver's `process_at_time`.
    pub fn advance(&mut self, now: u64, fired: &mut Vec<T>) {
        let now = now.max(self.elapsed);
        // Timers inserted already due were promised to this advance, before anything later.
        self.expire_overdue(fired);
        while let Some(event) = self.next_event() {
            if event.time > now {
                break;
            }
            debug_assert!(
                event.time >= self.elapsed,
                "the wheel found work at {} but has already reached {}: time went backwards",
                event.time,
                self.elapsed
            );
            // Cascades file entries relative to `elapsed`, so it must be the event's time.
            self.elapsed = event.time;
            match event.place {
                Place::Slot { level: 0, slot } => self.expire_slot(slot, fired),
                place => self.cascade(place),
            }
        }
        // No event lies in (elapsed, now], so every entry stays filed correctly at `now`.
        self.elapsed = now;
    }

    /// Fires the timers that were already due when inserted. They sit in the level-0 slot
    /// under the hand and, unlike every other slot, may hold different (past) deadlines.
    fn expire_overdue(&mut self, fired: &mut Vec<T>) {
        let hand = slot_for(self.elapsed, 0);
        if self.levels[0].occupied & (1 << hand) == 0 {
            return;
        }
        let mut overdue = Vec::new();
        let mut cursor = self.take_list(Place::Slot { level: 0, slot: hand });
        while let Some(index) = cursor {
            let entry = &self.entries[index];
            cursor = entry.next;
            overdue.push((entry.deadline, entry.generation, index));
        }
        // (deadline, generation) is exactly the promised order: deadline, then insertion.
        overdue.sort_unstable();
        for (_, _, index) in overdue {
            fired.push(self.entries.remove(index).value);
        }
    }

    /// Fires every timer in level-0 slot `slot`; `elapsed` has just reached that slot's
    /// millisecond, which is the deadline of everything in it.
    fn expire_slot(&mut self, slot: usize, fired: &mut Vec<T>) {
        let mut cursor = self.take_list(Place::Slot { level: 0, slot });
        while let Some(index) = cursor {
            let entry = self.entries.remove(index);
            debug_assert_eq!(
                entry.deadline, self.elapsed,
                "a level-0 slot spans one millisecond, so all its timers share that deadline"
            );
            cursor = entry.next;
            fired.push(entry.value);
        }
    }

    /// Empties the list at `from` (a slot at level 1 or above, or the overflow list) and files
    /// each entry again relative to the current `elapsed`, head to tail. Every entry lands in
    /// a lower level than before (or back in overflow, if still beyond reach); one whose
    /// deadline is exactly now lands in the level-0 slot under the hand and fires next.
    fn cascade(&mut self, from: Place) {
        let mut cursor = self.take_list(from);
        while let Some(index) = cursor {
            // Read the link before `place` rewrites it for the entry's new list.
            cursor = self.entries[index].next;
            self.place(index);
            debug_assert!(
                self.entries[index].place.level() < from.level() || from == Place::Overflow,
                "a cascade must move a timer down a level, or the timer would never fire"
            );
        }
    }

    /// The earliest event: the next occupied slot of the lowest non-empty level, else the
    /// overflow list's lap.
    ///
    /// Why the lowest level wins: a level-`L` slot ahead of the hand starts at or after the
    /// next multiple of `64^L`, and every level-`(L-1)` entry has a deadline before it.
    fn next_event(&self) -> Option<Event> {
        for (level, ring) in self.levels.iter().enumerate() {
            if ring.occupied == 0 {
                continue;
            }
            let hand = slot_for(self.elapsed, level);
            let distance = ring.occupied.rotate_right(hand as u32).trailing_zeros() as usize;
            let slot = (hand + distance) % SLOTS;
            debug_assert!(
                slot > hand || (level == 0 && slot == hand),
                "level {level} has a timer in slot {slot}, at or behind its hand at {hand}: \
                 it was filed for an earlier lap and would fire a lap late"
            );
            let time = slot_start(self.elapsed, level, slot);
            return Some(Event { time, place: Place::Slot { level, slot } });
        }
        // Nothing in the wheel proper: the overflow list is the last place a timer can be.
        self.overflow.head?;
        let time = self.overflow_min & !(WHEEL_SPAN - 1);
        debug_assert!(
            time > self.elapsed,
            "the overflow minimum went stale-late: its lap started at {time}, before now ({})",
            self.elapsed
        );
        Some(Event { time, place: Place::Overflow })
    }

    // ===== filing: where an entry belongs =====

    /// Files entry `index` by its deadline relative to `elapsed`, at the tail of that list.
    fn place(&mut self, index: usize) {
        let deadline = self.entries[index].deadline;
        let place = if deadline <= self.elapsed {
            Place::Slot { level: 0, slot: slot_for(self.elapsed, 0) }
        } else {
            let level = level_for(self.elapsed, deadline);
            if level < LEVELS {
                Place::Slot { level, slot: slot_for(deadline, level) }
            } else {
                self.overflow_min = self.overflow_min.min(deadline);
                Place::Overflow
            }
        };
        self.link_at_tail(index, place);
    }

    // ===== the intrusive lists =====

    fn lookup(&self, key: TimerKey) -> Option<&Entry<T>> {
        match self.entries.get(key.index) {
            Some(entry) if entry.generation == key.generation => Some(entry),
            _ => None,
        }
    }

    fn list_mut(&mut self, place: Place) -> &mut List {
        match place {
            Place::Slot { level, slot } => &mut self.levels[level].slots[slot],
            Place::Overflow => &mut self.overflow,
        }
    }

    /// Appends entry `index` to the list at `place`. Appending, never inserting elsewhere, is
    /// what keeps every list in insertion order.
    fn link_at_tail(&mut self, index: usize, place: Place) {
        let list = self.list_mut(place);
        let old_tail = list.tail.replace(index);
        match old_tail {
            Some(tail) => self.entries[tail].next = Some(index),
            None => list.head = Some(index),
        }
        let entry = &mut self.entries[index];
        entry.place = place;
        entry.prev = old_tail;
        entry.next = None;
        if let Place::Slot { level, slot } = place {
            self.levels[level].occupied |= 1 << slot;
        }
    }

    /// Removes entry `index` from whatever list holds it, in O(1): the reason the lists are
    /// doubly linked.
    fn unlink(&mut self, index: usize) {
        let Entry { prev, next, place, .. } = self.entries[index];
        match prev {
            Some(prev) => self.entries[prev].next = next,
            None => self.list_mut(place).head = next,
        }
        match next {
            Some(next) => self.entries[next].prev = prev,
            None => self.list_mut(place).tail = prev,
        }
        if self.list_mut(place).head.is_none() {
            self.mark_empty(place);
        }
    }

    /// Detaches the whole list at `place` and returns its old head. The detached entries keep
    /// their links to each other, so the caller can walk them while filing or freeing each.
    fn take_list(&mut self, place: Place) -> Option<usize> {
        let list = std::mem::replace(self.list_mut(place), EMPTY_LIST);
        debug_assert!(list.head.is_some(), "only an occupied list has work to take");
        self.mark_empty(place);
        list.head
    }

    fn mark_empty(&mut self, place: Place) {
        match place {
            Place::Slot { level, slot } => self.levels[level].occupied &= !(1 << slot),
            // An empty list has no minimum; forgetting the stale one keeps it from
            // ever pointing at a lap that has already gone by.
            Place::Overflow => self.overflow_min = u64::MAX,
        }
    }
}

impl Place {
    /// The level number, counting the overflow list as level `LEVELS`.
    fn level(self) -> usize {
        match self {
            Place::Slot { level, .. } => level,
            Place::Overflow => LEVELS,
        }
    }
}

/// The level for a deadline strictly after `elapsed`: the base-64 digit holding the highest
/// bit in which they differ. `LEVELS` or more means "beyond the top level: overflow".
fn level_for(elapsed: u64, deadline: u64) -> usize {
    // Setting the low digit's bits makes a difference only there read as level 0, and keeps
    // the value non-zero for `ilog2`.
    let differing = (elapsed ^ deadline) | SLOT_MASK;
    differing.ilog2() as usize / BITS_PER_LEVEL
}

/// A time's base-64 digit at `level`: its slot there.
fn slot_for(time: u64, level: usize) -> usize {
    ((time >> (BITS_PER_LEVEL * level)) & SLOT_MASK) as usize
}

/// When `slot` of `level` begins, in the lap of that level that contains `elapsed`.
fn slot_start(elapsed: u64, level: usize, slot: usize) -> u64 {
    let lap = 1u64 << (BITS_PER_LEVEL * (level + 1));
    let lap_start = elapsed & !(lap - 1);
    lap_start | ((slot as u64) << (BITS_PER_LEVEL * level))
}

/// Shows the wheel as step mode wants it: the time, the count, and which slots of which levels
/// hold something. For the picture in the module docs:
/// `Wheel { elapsed: 130, len: 4, occupied: {0: [5], 1: [3]}, overflow_min: Some(1099511627776) }`.
/// Values are not printed, so `T` needs no `Debug`.
impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{level: [occupied slots]}` for the non-empty levels: the set bits of each mask.
        let occupied: std::collections::BTreeMap<usize, Vec<usize>> = (0..LEVELS)
            .filter(|&level| self.levels[level].occupied != 0)
            .map(|level| {
                let mask = self.levels[level].occupied;
                (level, (0..SLOTS).filter(|slot| mask & (1 << slot) != 0).collect())
            })
            .collect();
        let overflow_min = self.overflow.head.map(|_| self.overflow_min);
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len())
            .field("occupied", &occupied)
            .field("overflow_min", &overflow_min)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Advances to `now` and returns what fired, in order.
    fn advance(wheel: &mut Wheel<&'static str>, now: u64) -> Vec<&'static str> {
        let mut fired = Vec::new();
        wheel.advance(now, &mut fired);
        fired
    }

    #[test]
    fn timers_fire_in_deadline_order_whatever_the_insertion_order() {
        let mut wheel = Wheel::new();
        wheel.insert(5_000, "d");
        wheel.insert(30, "b");
        wheel.insert(2, "a");
        wheel.insert(300, "c");
        assert_eq!(advance(&mut wheel, 1), Vec::<&str>::new());
        assert_eq!(advance(&mut wheel, 299), ["a", "b"]);
        assert_eq!(advance(&mut wheel, 10_000), ["c", "d"]);
        assert!(wheel.is_empty());
    }

    #[test]
    fn equal_deadlines_fire_in_insertion_order_even_across_a_cascade() {
        let mut wheel = Wheel::new();
        let first = wheel.insert(200, "first"); // at t=0: level 1
        advance(&mut wheel, 195); // cascaded at 192: now level 0, slot 8
        assert_eq!(wheel.position(first), Some((0, 8)));
        let second = wheel.insert(200, "second"); // filed straight into level 0, slot 8
        assert_eq!(wheel.position(second), Some((0, 8)));
        wheel.insert(199, "earlier");
        assert_eq!(advance(&mut wheel, 200), ["earlier", "first", "second"]);
    }

    #[test]
    fn timers_set_in_the_past_fire_at_the_next_advance_by_deadline_then_insertion() {
        let mut wheel = Wheel::new();
        advance(&mut wheel, 100);
        wheel.insert(90, "b1");
        let key = wheel.insert(40, "a");
        wheel.insert(90, "b2");
        wheel.insert(100, "c");
        assert_eq!(wheel.position(key), Some((0, 100 % 64)));
        assert_eq!(wheel.next_expiration(), Some(100));
        wheel.insert(101, "later");
        // Even an advance that asks for an earlier time fires what was already due.
        assert_eq!(advance(&mut wheel, 50), ["a", "b1", "b2", "c"]);
        assert_eq!(wheel.elapsed(), 100);
        assert_eq!(advance(&mut wheel, 101), ["later"]);
    }

    #[test]
    fn a_cancelled_timer_never_fires_and_a_second_cancel_finds_nothing() {
        let mut wheel = Wheel::new();
        let keep = wheel.insert(10, "keep");
        let drop = wheel.insert(10, "drop");
        assert_eq!(wheel.cancel(drop), Some("drop"));
        assert_eq!(wheel.cancel(drop), None);
        assert_eq!(wheel.len(), 1);
        assert_eq!(wheel.deadline(keep), Some(10));
        assert_eq!(advance(&mut wheel, 10), ["keep"]);
        assert_eq!(wheel.cancel(keep), None, "a fired timer cannot be cancelled");
    }

    #[test]
    fn a_stale_key_never_touches_the_timer_that_reuses_its_slot() {
        let mut wheel = Wheel::new();
        let old = wheel.insert(10, "old");
        wheel.cancel(old);
        let new = wheel.insert(20, "new");
        assert_eq!(old.index, new.index, "the slab reuses the freed slot");
        assert_eq!(wheel.cancel(old), None);
        assert_eq!(wheel.get_mut(old), None);
        assert_eq!(wheel.deadline(old), None);
        assert_eq!(wheel.position(old), None);
        *wheel.get_mut(new).unwrap() = "new, edited";
        assert_eq!(advance(&mut wheel, 20), ["new, edited"]);
    }

    #[test]
    fn a_200_ms_timer_cascades_from_level_1_at_192_and_fires_at_200() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(200, "t");
        assert_eq!(wheel.position(key), Some((1, 3)));
        assert_eq!(wheel.next_expiration(), Some(192));
        assert_eq!(advance(&mut wheel, 192), Vec::<&str>::new());
        assert_eq!(wheel.position(key), Some((0, 8)));
        assert_eq!(wheel.next_expiration(), Some(200));
        assert_eq!(advance(&mut wheel, 200), ["t"]);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn a_huge_jump_visits_only_occupied_slots() {
        const YEAR: u64 = 365 * 24 * 3_600_000;
        let mut wheel = Wheel::new();
        let far = wheel.insert(3 * YEAR, "3 years");
        wheel.insert(YEAR, "1 year");
        wheel.insert(1 << 62, "2^62 ms");
        assert_eq!(wheel.position(far), Some((LEVELS, 0)), "beyond 2.18 years: overflow");
        // Count the events a virtual clock would jump through: a handful per timer, not
        // one per millisecond (which would be about 2^62 of them).
        let mut jumps = 0;
        let mut fired = Vec::new();
        while let Some(next) = wheel.next_expiration() {
            wheel.advance(next, &mut fired);
            jumps += 1;
        }
        assert_eq!(fired, ["1 year", "3 years", "2^62 ms"]);
        assert!(jumps <= 3 * (LEVELS + 1), "{jumps} jumps for 3 timers");
        assert_eq!(wheel.elapsed(), 1 << 62);
    }

    #[test]
    fn a_deadline_of_u64_max_fires_at_u64_max_without_overflowing() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(u64::MAX, "end of time");
        assert_eq!(wheel.position(key), Some((LEVELS, 0)));
        assert_eq!(advance(&mut wheel, u64::MAX - 1), Vec::<&str>::new());
        assert_eq!(wheel.position(key), Some((0, 63)));
        assert_eq!(wheel.next_expiration(), Some(u64::MAX));
        assert_eq!(advance(&mut wheel, u64::MAX), ["end of time"]);
        // At the end of time every new timer is already due.
        wheel.insert(u64::MAX, "also");
        assert_eq!(wheel.next_expiration(), Some(u64::MAX));
        assert_eq!(advance(&mut wheel, u64::MAX), ["also"]);
    }

    #[test]
    fn a_cancelled_overflow_minimum_only_causes_an_early_refiling() {
        let mut wheel = Wheel::new();
        let soon = wheel.insert(WHEEL_SPAN, "lap 1");
        let late = wheel.insert(5 * WHEEL_SPAN + 7, "lap 5");
        wheel.cancel(soon);
        // The stale minimum still points at lap 1: early, so harmless.
        assert_eq!(wheel.next_expiration(), Some(WHEEL_SPAN));
        assert_eq!(advance(&mut wheel, WHEEL_SPAN), Vec::<&str>::new());
        assert_eq!(wheel.position(late), Some((LEVELS, 0)));
        assert_eq!(wheel.next_expiration(), Some(5 * WHEEL_SPAN));
        assert_eq!(advance(&mut wheel, u64::MAX), ["lap 5"]);
    }

    #[test]
    fn the_module_picture_is_what_the_wheel_really_holds() {
        let mut wheel = Wheel::new();
        advance(&mut wheel, 130);
        let keys = [133, 200, 250, 1 << 40].map(|deadline| wheel.insert(deadline, "t"));
        let positions = keys.map(|key| wheel.position(key).unwrap());
        assert_eq!(positions, [(0, 5), (1, 3), (1, 3), (LEVELS, 0)]);
        assert_eq!(
            format!("{wheel:?}"),
            "Wheel { elapsed: 130, len: 4, occupied: {0: [5], 1: [3]}, \
             overflow_min: Some(1099511627776) }"
        );
    }
}
