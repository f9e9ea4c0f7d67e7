//! # The observer's notes, found by slot
//!
//! Debug mode and tracing look up the notes of a task at every poll start, every poll end
//! and every wake: four times a yield. A `HashMap` keyed by [`TaskId`] hashes the id and
//! probes its table each time, and when a program spawns a hundred thousand tasks the table
//! grows by copying every note it holds, again and again. But a task id already says where
//! to look: its *slot* in the loop's slab (task_id.rs), a small number the slab reuses. So
//! the notes live in a table indexed by slot, with the whole id stored beside them to check
//! the generation, the way the slab itself checks a waker's id (invariant 7).
//!
//! ```text
//!   id #7 (slot 2) ──► slot 2: owner #7, notes    same id: these are #7's notes
//!   id #9 (slot 2) ──► slot 2: owner #7 still     #7 left the slab, and the observer has
//!                      └─► spill: {#9: notes}     not heard of its end yet: #9 goes aside
//! ```
//!
//! A slot is reused as soon as its task leaves the slab, and the observer forgets the notes
//! of a task when it hears that the task ended, a moment later (or, for a task that aborted
//! itself inside its poll, when the pass ends, after that poll). If a task is spawned into
//! the slot in that moment (the destructor of the finished task's output can spawn), it goes
//! to a small spill map; that is rare, and nothing is lost. The main future has no slot and a
//! place of its own.
//!
//! ## Notes written in place
//!
//! Every spawned task gets notes and loses them, so what that costs is paid once per task:
//! the notes are some two hundred bytes, and building them aside and then moving them into
//! the table (and moving them out again at the end) copied them three or four times. So a
//! slot keeps its notes when its task goes, marked free (its `owner` is [`FREE`]), and the next
//! task of that slot writes its own over them, field by field ([`TaskNotes::start`]): nothing
//! is moved, and the lists in the notes keep the room they had.
//!
//! ## Pages that never move
//!
//! One vector of a hundred thousand notes is one block of some 18 MB. Growing it copies it (or
//! has the kernel move it), and the allocator takes a block that large straight from the
//! kernel and gives it back when it is freed, so the next runtime faults every page of it in
//! again (some 2 µs a page on the course machine: more than the notes cost to write). So the
//! slots come in pages of [`PAGE`] (about 46 kB), each made at once, full of free slots, and
//! never moved: the allocator keeps such blocks and hands them out again. Finding a slot
//! takes one more step (`pages[slot / PAGE][slot % PAGE]`), a shift and a mask. tokio's own
//! slab (tokio/src/util/slab.rs) also keeps its entries in pages that never move.
//!
//! The methods are named after the `HashMap` methods the observer used (`get`, `get_mut`,
//! `insert`, `iter`; `forget` for `remove`), so the code that reads notes did not change.
//! tokio keeps per-task data in the task's own allocation instead; the observer may not touch
//! the task (hooks.rs), so it keeps a table beside the slab, shaped like it.
//!
//! Read next: `detector.rs`, the first reader of these notes.

use super::{IdMap, Started, TaskNotes};
use crate::task_id::TaskId;

/// Notes by task, indexed by slab slot (see the file header).
#[derive(Debug, Default)]
pub(crate) struct TaskMap {
    main: Option<TaskNotes>,
    /// The slots, [`PAGE`] to a page: slot `i` is `pages[i / PAGE][i % PAGE]`.
    pages: Vec<Box<[Slot; PAGE]>>,
    spill: IdMap<TaskId, TaskNotes>,
}

/// One slot's notes, and whose they are. The slot's number is where the notes are, so only
/// the owner's generation is kept (8 bytes, not the 24 of an `Option<TaskId>`), and [`FREE`]
/// once that task ended, until the slab puts another task in the slot (the notes stay, to be
/// written over).
#[derive(Debug)]
struct Slot {
    owner: u64,
    notes: TaskNotes,
}

/// The owner of a free slot: generation 0 is the main future's, which never has a slot.
const FREE: u64 = TaskId::MAIN.generation;

impl Slot {
    /// Are these the notes of `id`? (Its slot is where they were found.)
    #[inline]
    fn holds(&self, id: &TaskId) -> bool {
        self.owner == id.generation
    }
}

/// Slots per page: 256 slots of 184 bytes, about 46 kB, under the 128 kB above which
/// glibc's allocator maps a block from the kernel for itself.
const PAGE: usize = 256;

/// The slot at `index` of `pages`, if the slab ever used it (or its page).
#[inline]
fn slot(pages: &[Box<[Slot; PAGE]>], index: usize) -> Option<&Slot> {
    Some(&pages.get(index / PAGE)?[index % PAGE])
}

/// The same, to change it.
#[inline]
fn slot_mut(pages: &mut [Box<[Slot; PAGE]>], index: usize) -> Option<&mut Slot> {
    Some(&mut pages.get_mut(index / PAGE)?[index % PAGE])
}

impl TaskMap {
    /// The notes of task `id`, if it has any.
    #[inline]
    pub(crate) fn get(&self, id: &TaskId) -> Option<&TaskNotes> {
        if *id == TaskId::MAIN {
            return self.main.as_ref();
        }
        match slot(&self.pages, id.slot) {
            Some(slot) if slot.holds(id) => Some(&slot.notes),
            _ => self.spill.get(id),
        }
    }

    /// The notes of task `id`, to change them.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: &TaskId) -> Option<&mut TaskNotes> {
        if *id == TaskId::MAIN {
            return self.main.as_mut();
        }
        match slot_mut(&mut self.pages, id.slot) {
            Some(slot) if slot.holds(id) => Some(&mut slot.notes),
            _ => self.spill.get_mut(id),
        }
    }

    /// Start the notes of the newly spawned task `id` (replacing any it had).
    #[inline]
    pub(crate) fn insert(&mut self, id: TaskId, started: Started) {
        if id == TaskId::MAIN {
            self.main = Some(TaskNotes::new(started));
            return;
        }
        match slot_mut(&mut self.pages, id.slot) {
            Some(slot) if slot.owner == FREE || slot.holds(&id) => {
                slot.owner = id.generation;
                slot.notes.start(started); // in place, over the notes of a free slot
            }
            Some(_) => {
                let notes = TaskNotes::new(started);
                self.spill.insert(id, notes); // the slot's last task still has notes
            }
            None => self.grow(id, started),
        }
    }

    /// The slab used a slot past the last page: add pages of free slots up to it, then
    /// write the notes in place as in any free slot.
    #[cold]
    fn grow(&mut self, id: TaskId, started: Started) {
        while self.pages.len() <= id.slot / PAGE {
            // Free slots hold notes that are nobody's, with a stand-in spawn site, until a
            // task of theirs writes its own; a page is made once and never moves.
            let here = std::panic::Location::caller();
            let free = || {
                let blank = Started {
                    name: None,
                    spawned_at: here,
                    spawned_by: None,
                    at: Default::default(),
                };
                Slot { owner: FREE, notes: TaskNotes::new(blank) }
            };
            let page: Vec<Slot> = (0..PAGE).map(|_| free()).collect();
            let page: Box<[Slot; PAGE]> = page.try_into().expect("PAGE slots were made");
            self.pages.push(page);
        }
        self.insert(id, started);
    }

    /// Forget task `id`, after `last` has read (or taken) what it keeps of the notes: the end
    /// of a task finds its slot once, not once to read and once to free. The slot keeps the
    /// notes, free, to be written over by the next task there; only the name is let go now.
    /// `None` if the task had no notes.
    #[inline]
    pub(crate) fn forget<R>(
        &mut self,
        id: &TaskId,
        last: impl FnOnce(&mut TaskNotes) -> R,
    ) -> Option<R> {
        if *id == TaskId::MAIN {
            return self.main.take().map(|mut notes| last(&mut notes));
        }
        let kept = match slot_mut(&mut self.pages, id.slot) {
            Some(slot) if slot.holds(id) => {
                let kept = last(&mut slot.notes);
                slot.owner = FREE;
                slot.notes.name = None;
                kept
            }
            _ => return self.spill.remove(id).map(|mut notes| last(&mut notes)),
        };
        if !self.spill.is_empty() {
            self.move_in_from_spill(id.slot);
        }
        Some(kept)
    }

    /// A task that waited in the spill map for this slot moves in.
    #[cold]
    fn move_in_from_spill(&mut self, slot: usize) {
        let waiting = self.spill.keys().find(|other| other.slot == slot).copied();
        if let Some(waiting) = waiting {
            let notes = self.spill.remove(&waiting).expect("the key was just found");
            *slot_mut(&mut self.pages, slot).expect("the slot was just freed") =
                Slot { owner: waiting.generation, notes };
        }
    }

    /// Every task's notes, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TaskId, &TaskNotes)> {
        let main = self.main.iter().map(|notes| (TaskId::MAIN, notes));
        let slots = self.pages.iter().flat_map(|page| page.iter());
        let slots = slots.enumerate().filter(|(_, slot)| slot.owner != FREE);
        let slots = slots
            .map(|(index, slot)| (TaskId { slot: index, generation: slot.owner }, &slot.notes));
        main.chain(slots).chain(self.spill.iter().map(|(id, notes)| (*id, notes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(name: &str) -> Started {
        Started {
            name: Some(name.into()),
            spawned_at: std::panic::Location::caller(),
            spawned_by: None,
            at: Default::default(),
        }
    }

    fn name_of(map: &TaskMap, id: TaskId) -> Option<String> {
        map.get(&id).and_then(|notes| notes.name.as_deref().map(str::to_string))
    }

    #[test]
    fn a_task_spawned_into_a_slot_whose_last_task_still_has_notes_keeps_both() {
        let mut map = TaskMap::default();
        let (old, new) = (TaskId { slot: 2, generation: 7 }, TaskId { slot: 2, generation: 9 });
        map.insert(old, notes("old"));
        map.insert(new, notes("new")); // #7 left the slab, and the observer has not heard yet
        assert_eq!(name_of(&map, old).as_deref(), Some("old"));
        assert_eq!(name_of(&map, new).as_deref(), Some("new"));
        assert_eq!(map.iter().count(), 2);
        // #7's end is heard: its notes go, and #9 moves into the slot.
        map.forget(&old, |_| ());
        assert!(map.spill.is_empty());
        assert_eq!(name_of(&map, new).as_deref(), Some("new"));
        assert!(map.get(&old).is_none(), "a stale id finds nothing (invariant 7's check)");
        map.forget(&new, |_| ());
        assert_eq!(map.iter().count(), 0);
    }

    #[test]
    fn the_main_future_has_a_place_of_its_own() {
        let mut map = TaskMap::default();
        map.insert(TaskId::MAIN, notes("main"));
        map.insert(TaskId { slot: 0, generation: 1 }, notes("first"));
        assert_eq!(name_of(&map, TaskId::MAIN).as_deref(), Some("main"));
        assert_eq!(map.iter().count(), 2);
        map.forget(&TaskId::MAIN, |_| ());
        assert!(map.get(&TaskId::MAIN).is_none());
    }

    #[test]
    fn the_next_task_of_a_slot_writes_fresh_notes_over_the_last_ones() {
        let mut map = TaskMap::default();
        let (old, new) = (TaskId { slot: 0, generation: 1 }, TaskId { slot: 0, generation: 2 });
        map.insert(old, notes("old"));
        let here = std::panic::Location::caller();
        let old_notes = map.get_mut(&old).expect("just inserted");
        old_notes.parked_at = Some(here);
        old_notes.deadlines.push(1_000);
        let direction = crate::hooks::Direction::Read;
        old_notes.waits.push(super::super::awaits::Wait::Socket {
            token: 1,
            direction,
            made_at: None,
        });
        map.forget(&old, |_| ());
        assert!(map.get(&old).is_none());
        assert_eq!(map.iter().count(), 0, "a free slot's notes are nobody's");
        map.insert(new, notes("new"));
        let fresh = map.get(&new).expect("just inserted");
        assert_eq!(fresh.name.as_deref(), Some("new"));
        assert!(fresh.parked_at.is_none() && fresh.waits.is_empty() && fresh.deadlines.is_empty());
        assert!(fresh.deadlines.capacity() > 0, "the list kept its room: no allocation next time");
        assert!(map.get(&old).is_none(), "the old id still finds nothing");
    }
}
