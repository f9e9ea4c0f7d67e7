//! The timer wheel against a model it must agree with, step by step.
//!
//! The model is the obvious, slow, certainly-correct timer queue: a
//! `BTreeMap<(deadline, insertion number), value>`. Its iteration order *is* the promise of
//! invariant 5 ("deadline order, ties in the order they were set"). proptest generates thousands
//! of random sequences of insert / cancel / advance, runs each on both, and after **every**
//! step compares what fired (order included), the length, each live timer's deadline, and
//! whether `next_expiration` is a safe time to sleep until. When a sequence fails, proptest
//! shrinks it to a short one and prints it: that sequence is your bug report.
//!
//! The random spans are biased toward what breaks wheels: zero (due now), ties, deadlines just
//! either side of a level boundary (64, 4096, ... ms), deadlines years away or at `u64::MAX`,
//! advances that jump straight to `next_expiration` the way the virtual clock does, and
//! advances to a time already passed.
//!
//! For a longer hunt, raise the case count: `PROPTEST_CASES=20000 cargo test --test wheel_model`
//! keeps the wheel's `debug_assert!`s on; adding `--release` runs faster without them.

use std::collections::{BTreeMap, HashSet};

use glassloop::time::wheel::{TimerKey, Wheel};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{FileFailurePersistence, RngAlgorithm, TestCaseError};

/// One step of a generated experiment.
#[derive(Clone, Debug)]
enum Op {
    /// Insert a timer for `elapsed + span` (saturating, so huge spans mean `u64::MAX`).
    Insert(u64),
    /// Insert a timer with the same deadline as an earlier one: a tie, or a past deadline.
    InsertTie(Index),
    /// Insert a timer for `elapsed - back`: already due.
    InsertPast(u64),
    /// Cancel a key issued earlier, live or stale.
    Cancel(Index),
    /// Advance to `elapsed + span`.
    Advance(u64),
    /// Advance to `next_expiration()`, as the virtual clock does when nothing else can run.
    AdvanceToNextExpiration,
    /// Advance to a time already passed: must only fire what is already due.
    AdvanceBackwards(u64),
}

/// A span in ms, biased toward the values where a wheel's arithmetic changes.
fn span() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => Just(0),
        6 => 1..=8u64,
        6 => 0..=300u64,
        // Just either side of a level boundary: 64, 4096, 262144, ... up to the overflow at 64^6.
        5 => (1..=6u32, -3..=3i64)
            .prop_map(|(level, nudge)| (1u64 << (6 * level)).saturating_add_signed(nudge)),
        3 => 0..(1u64 << 40),
        1 => (1u64 << 36)..(1u64 << 50),
        1 => Just(u64::MAX),
    ]
}

/// An advance, mostly short so timers accumulate, sometimes huge.
fn advance_span() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..=8u64,
        4 => 0..=300u64,
        2 => (1..=6u32, -3..=3i64)
            .prop_map(|(level, nudge)| (1u64 << (6 * level)).saturating_add_signed(nudge)),
        1 => 0..(1u64 << 40),
        1 => (1u64 << 36)..(1u64 << 50),
    ]
}

/// A general mix of all operations; `cancel_weight` tilts it toward cancels.
fn op(cancel_weight: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => span().prop_map(Op::Insert),
        3 => any::<Index>().prop_map(Op::InsertTie),
        1 => (0..=1_000u64).prop_map(Op::InsertPast),
        cancel_weight => any::<Index>().prop_map(Op::Cancel),
        5 => advance_span().prop_map(Op::Advance),
        3 => Just(Op::AdvanceToNextExpiration),
        1 => (0..=100u64).prop_map(Op::AdvanceBackwards),
        // One operation in about 500 jumps to the end of time (u64::MAX): roughly one sequence
        // in six gets there, and runs the rest of its operations at the end of time.
        1 => prop_oneof![
            19 => advance_span().prop_map(Op::Advance),
            1 => Just(Op::Advance(u64::MAX)),
        ],
    ]
}

fn ops(cancel_weight: u32) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(cancel_weight), 0..=200)
}

/// `cases` unless `PROPTEST_CASES` asks for another number.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // tests/ has no lib.rs for proptest's default to find: keep the seeds of failures
        // beside this file instead, as tests/wheel_model.proptest-regressions.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        // proptest's default ChaCha generator is most of this file's run time in a debug
        // build; XorShift is plenty random for choosing operations.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

/// The wheel and the model side by side. A timer's value is its insertion number.
struct Experiment {
    wheel: Wheel<u64>,
    /// `(deadline, insertion number)` of every waiting timer.
    model: BTreeMap<(u64, u64), u64>,
    /// Every key ever issued, with its deadline and insertion number, live or not.
    issued: Vec<(TimerKey, u64, u64)>,
    cancelled: HashSet<u64>,
    /// Every timer that fired, with the `now` of the advance that fired it.
    fired_log: Vec<(u64, u64)>,
}

impl Experiment {
    fn new() -> Self {
        Experiment {
            wheel: Wheel::new(),
            model: BTreeMap::new(),
            issued: Vec::new(),
            cancelled: HashSet::new(),
            fired_log: Vec::new(),
        }
    }

    fn run(&mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        for op in ops {
            self.step(op)?;
            self.check_agreement()?;
        }
        // At the end, also every key ever issued: stale ones must find nothing.
        for &(key, deadline, seq) in &self.issued {
            let expected = self
                .model
                .contains_key(&(deadline, seq))
                .then_some(deadline);
            prop_assert_eq!(self.wheel.deadline(key), expected);
        }
        Ok(())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let elapsed = self.wheel.elapsed();
        match *op {
            Op::Insert(span) => self.insert(elapsed.saturating_add(span)),
            Op::InsertPast(back) => self.insert(elapsed.saturating_sub(back)),
            Op::InsertTie(pick) => match self.issued.len() {
                0 => self.insert(elapsed),
                n => self.insert(self.issued[pick.index(n)].1),
            },
            Op::Cancel(pick) if !self.issued.is_empty() => {
                let (key, deadline, seq) = self.issued[pick.index(self.issued.len())];
                let expected = self.model.remove(&(deadline, seq));
                prop_assert_eq!(self.wheel.cancel(key), expected, "cancel({:?})", key);
                if expected.is_some() {
                    self.cancelled.insert(seq);
                }
            }
            Op::Cancel(_) => {}
            Op::Advance(span) => self.advance(elapsed.saturating_add(span))?,
            Op::AdvanceToNextExpiration => {
                if let Some(next) = self.wheel.next_expiration() {
                    self.advance(next)?;
                }
            }
            Op::AdvanceBackwards(back) => self.advance(elapsed.saturating_sub(back))?,
        }
        Ok(())
    }

    fn insert(&mut self, deadline: u64) {
        let seq = self.issued.len() as u64;
        let key = self.wheel.insert(deadline, seq);
        self.model.insert((deadline, seq), seq);
        self.issued.push((key, deadline, seq));
    }

    fn advance(&mut self, now: u64) -> Result<(), TestCaseError> {
        let before = self.wheel.elapsed();
        let mut fired = Vec::new();
        self.wheel.advance(now, &mut fired);
        // Asking for a time already passed still fires what is due at `elapsed`.
        let now = now.max(before);
        let mut expected = Vec::new();
        while let Some(entry) = self.model.first_entry() {
            if entry.key().0 > now {
                break;
            }
            expected.push(entry.remove());
        }
        prop_assert_eq!(
            &fired,
            &expected,
            "advance({}) from elapsed {}",
            now,
            before
        );
        prop_assert_eq!(self.wheel.elapsed(), now);
        self.fired_log.extend(fired.iter().map(|&seq| (seq, now)));
        Ok(())
    }

    /// What must hold between any two steps.
    fn check_agreement(&mut self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.wheel.len(), self.model.len());
        prop_assert_eq!(self.wheel.is_empty(), self.model.is_empty());
        let elapsed = self.wheel.elapsed();
        match (self.wheel.next_expiration(), self.model.keys().next()) {
            (None, None) => {}
            (Some(next), Some(&(earliest, _))) => {
                // A timer already due (earliest < elapsed) makes `elapsed` the answer.
                prop_assert!(
                    elapsed <= next && next <= earliest.max(elapsed),
                    "next_expiration {} outside [elapsed {}, earliest deadline {}]",
                    next,
                    elapsed,
                    earliest
                );
            }
            (next, earliest) => prop_assert!(
                false,
                "next_expiration {:?} but earliest model deadline {:?}",
                next,
                earliest
            ),
        }
        for &(key, deadline, seq) in self.issued.iter().rev().take(64) {
            let expected = self
                .model
                .contains_key(&(deadline, seq))
                .then_some(deadline);
            prop_assert_eq!(self.wheel.deadline(key), expected);
            prop_assert_eq!(self.wheel.position(key).is_some(), expected.is_some());
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn timers_fire_in_deadline_order_ties_in_insertion_order_against_btreemap_model(
        ops in ops(3),
    ) {
        Experiment::new().run(&ops)?;
    }
}

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn a_timer_never_fires_before_its_deadline(ops in ops(2)) {
        let mut experiment = Experiment::new();
        experiment.run(&ops)?;
        for &(seq, now) in &experiment.fired_log {
            let deadline = experiment.issued[seq as usize].1;
            prop_assert!(deadline <= now, "timer {} for {} fired at advance({})", seq, deadline, now);
        }
    }

    #[test]
    fn a_cancelled_timer_never_fires(ops in ops(12)) {
        let mut experiment = Experiment::new();
        experiment.run(&ops)?;
        for &(seq, now) in &experiment.fired_log {
            prop_assert!(
                !experiment.cancelled.contains(&seq),
                "timer {} was cancelled but fired at advance({})", seq, now
            );
        }
    }

    #[test]
    fn jumping_to_next_expiration_fires_everything_in_order_within_a_few_jumps_per_timer(
        ops in ops(3),
    ) {
        // The virtual clock's loop: when nothing else can run, jump to the wheel's next
        // event. Each jump must make progress, so draining takes a bounded number of jumps
        // (each timer is cascaded at most once per level, plus once out of overflow).
        let mut experiment = Experiment::new();
        experiment.run(&ops)?;
        let waiting = experiment.wheel.len();
        let mut jumps = 0;
        while let Some(next) = experiment.wheel.next_expiration() {
            experiment.advance(next)?;
            experiment.check_agreement()?;
            jumps += 1;
            prop_assert!(
                jumps <= waiting * (glassloop::time::wheel::LEVELS + 2),
                "{} jumps for {} timers", jumps, waiting
            );
        }
        prop_assert!(experiment.model.is_empty());
    }

    #[test]
    fn a_stale_key_finds_nothing_and_disturbs_no_later_timer(ops in ops(8)) {
        let mut experiment = Experiment::new();
        experiment.run(&ops)?;
        // Slab slots are reused, so many of these stale keys name a slot a newer timer holds.
        for &(key, deadline, seq) in &experiment.issued {
            if !experiment.model.contains_key(&(deadline, seq)) {
                prop_assert_eq!(experiment.wheel.get_mut(key), None);
                prop_assert_eq!(experiment.wheel.position(key), None);
                prop_assert_eq!(experiment.wheel.cancel(key), None);
            }
        }
        // Every live timer is still there and still fires in order.
        experiment.advance(u64::MAX)?;
        prop_assert!(experiment.wheel.is_empty());
    }
}
