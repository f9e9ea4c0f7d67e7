//! # The observer's notes, found by slot
//!
//! Debug mode and tracing look up the notes of a task at every poll start, every poll end
//! and every wake: four times a yield. A `HashMap` keyed by [`TaskId`] hashes the id and
//! probes its table each time, and when a program spawns a hundred thousand tasks the table
//! grows by copying every note it holds, again and again. But a task id already says where
//! to look: its *slot* in the loop's slab (task_id.rs), a small number the slab reuses. So
//! the notes live in a vector indexed by slot, with the whole id stored beside them to check
//! the generation, the way the slab itself checks a waker's id (invariant 7).
//!
//! ```text
//!   id #7 (slot 2) ──► slots[2] = Some((#7, notes))   same id: these are #7's notes
//!   id #9 (slot 2) ──► slots[2] holds #7 still        #7 ended this pass and its notes wait
//!                      └─► spill: {#9: notes}         for the pass to end: #9 goes aside
//! ```
//!
//! A slot is reused as soon as its task leaves the slab, but the observer keeps an ended
//! task's notes until the pass ends (a busy-pass report may still name it). A task spawned
//! into such a slot meanwhile goes to a small spill map; that is rare, and nothing is lost.
//! The main future has no slot and a place of its own.
//!
//! The methods are the `HashMap` methods the observer used (`get`, `get_mut`, `insert`,
//! `remove`, `iter`), so the code that reads notes did not change. tokio keeps per-task
//! data in the task's own allocation instead; the observer may not touch the task (hooks.rs),
//! so it keeps a table beside the slab, shaped like it.
//!
//! Read next: `detector.rs`, the first reader of these notes.

use super::{IdMap, TaskNotes};
use crate::task_id::TaskId;

/// Notes by task, indexed by slab slot (see the file header).
#[derive(Debug, Default)]
pub(crate) struct TaskMap {
    main: Option<TaskNotes>,
    slots: Vec<Option<(TaskId, TaskNotes)>>,
    spill: IdMap<TaskId, TaskNotes>,
}

impl TaskMap {
    /// The notes of task `id`, if it has any.
    #[inline]
    pub(crate) fn get(&self, id: &TaskId) -> Option<&TaskNotes> {
        if *id == TaskId::MAIN {
            return self.main.as_ref();
        }
        match self.slots.get(id.slot) {
            Some(Some((owner, notes))) if owner == id => Some(notes),
            _ => self.spill.get(id),
        }
    }

    /// The notes of task `id`, to change them.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: &TaskId) -> Option<&mut TaskNotes> {
        if *id == TaskId::MAIN {
            return self.main.as_mut();
        }
        match self.slots.get_mut(id.slot) {
            Some(Some((owner, notes))) if owner == id => Some(notes),
            _ => self.spill.get_mut(id),
        }
    }

    /// Keep `notes` for task `id` (replacing any it had).
    pub(crate) fn insert(&mut self, id: TaskId, notes: TaskNotes) {
        if id == TaskId::MAIN {
            self.main = Some(notes);
            return;
        }
        if self.slots.len() == id.slot {
            return self.slots.push(Some((id, notes))); // the slab grew by one: so do we
        }
        if self.slots.len() < id.slot {
            self.slots.resize_with(id.slot + 1, || None);
        }
        match &mut self.slots[id.slot] {
            Some((owner, _)) if *owner != id => {
                self.spill.insert(id, notes); // the slot's last task still has notes
            }
            slot => *slot = Some((id, notes)),
        }
    }

    /// Forget task `id`, and give back its notes.
    pub(crate) fn remove(&mut self, id: &TaskId) -> Option<TaskNotes> {
        if *id == TaskId::MAIN {
            return self.main.take();
        }
        let removed = match self.slots.get_mut(id.slot) {
            Some(slot @ Some(_)) if slot.as_ref().is_some_and(|(owner, _)| owner == id) => {
                slot.take().map(|(_, notes)| notes)
            }
            _ => return self.spill.remove(id),
        };
        // A task that waited in the spill map for this slot moves in.
        let waiting = match self.spill.is_empty() {
            true => None,
            false => self.spill.keys().find(|other| other.slot == id.slot).copied(),
        };
        if let Some(waiting) = waiting {
            let notes = self.spill.remove(&waiting).expect("the key was just found");
            self.slots[id.slot] = Some((waiting, notes));
        }
        removed
    }

    /// Every task's notes, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&TaskId, &TaskNotes)> {
        let main = self.main.iter().map(|notes| (&TaskId::MAIN, notes));
        let slots = self.slots.iter().flatten().map(|(id, notes)| (id, notes));
        main.chain(slots).chain(self.spill.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(name: &str) -> TaskNotes {
        TaskNotes {
            name: Some(name.into()),
            spawned_at: std::panic::Location::caller(),
            parked_at: None,
            waits: Vec::new(),
            spawned_by: None,
            tally: Default::default(),
            deadlines: Vec::new(),
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
        map.insert(new, notes("new")); // #7 ended this pass; its notes wait for the pass end
        assert_eq!(name_of(&map, old).as_deref(), Some("old"));
        assert_eq!(name_of(&map, new).as_deref(), Some("new"));
        assert_eq!(map.iter().count(), 2);
        // The pass ends: #7's notes go, and #9 moves into the slot.
        assert_eq!(map.remove(&old).and_then(|n| n.name).as_deref(), Some("old"));
        assert!(map.spill.is_empty());
        assert_eq!(name_of(&map, new).as_deref(), Some("new"));
        assert!(map.get(&old).is_none(), "a stale id finds nothing (invariant 7's check)");
        assert_eq!(map.remove(&new).and_then(|n| n.name).as_deref(), Some("new"));
        assert_eq!(map.iter().count(), 0);
    }

    #[test]
    fn the_main_future_has_a_place_of_its_own() {
        let mut map = TaskMap::default();
        map.insert(TaskId::MAIN, notes("main"));
        map.insert(TaskId { slot: 0, generation: 1 }, notes("first"));
        assert_eq!(name_of(&map, TaskId::MAIN).as_deref(), Some("main"));
        assert_eq!(map.iter().count(), 2);
        assert!(map.remove(&TaskId::MAIN).is_some());
        assert!(map.get(&TaskId::MAIN).is_none());
    }
}
