//! # The timeline: a session being stepped through
//!
//! ## Overview
//! The playground shows one step of a session at a time and lets the
//! learner go anywhere in it: back, forward, jump, and act at an earlier
//! step — which forks the timeline (the steps after it are set aside as a
//! branch that can be brought back).  The kernel is deterministic, so the
//! state after step n is the state of a nearby earlier step with the
//! operations in between made again.  [`Timeline`] is that model; the
//! kernel itself is behind [`Machine`] (the playground's bridge to the
//! kernel component: its kernel, its checkpoints).
//!
//! ## Objects
//! * the **log** — every operation, oldest first ([`Entry`]);
//! * the **position** — the step shown: the state after the first
//!   `position` operations;
//! * the **base** — the first step the timeline goes back to (the
//!   start-up spawns come before it);
//! * the **branch** — the steps a fork set aside: `(at, log)`;
//! * the **checkpoints** — steps whose state the machine keeps (step 0
//!   always; every [`CHECKPOINT_EVERY`]th step, thinned): `step → bytes`.
//!
//! ## Operations
//! * [`Timeline::record`] — an operation just made at the shown step: if
//!   the step shown is not the last, the log forks first (the rest becomes
//!   the branch); the operation is appended and shown; every
//!   [`CHECKPOINT_EVERY`]th step gets a checkpoint.
//! * [`Timeline::go_to`] — shows step n: from the nearest checkpoint at or
//!   before it (or from the shown step, when that is nearer and before
//!   it), the logged operations in between are made again.
//! * [`Timeline::switch_branch`], [`Timeline::discard_branch`],
//!   [`Timeline::forget_history`], [`Timeline::load`], [`Timeline::session`].
//!
//! ## Checkpoints
//! At most [`MAX_CHECKPOINTS`], holding at most [`CHECKPOINT_BYTES`] of
//! state together (but never fewer than [`MIN_CHECKPOINTS`]): history
//! memory grows with the log, not with steps × state.  Thinning drops the
//! checkpoint whose loss leaves the smallest gap for its age — never step
//! 0 nor the newest — so checkpoints stay dense near the newest step (Step
//! back stays cheap) and spread out towards the oldest.
//!
//! ## Invariants (checked by [`Timeline::check`] after every step of the
//! property test)
//! * `base ≤ position ≤ log.len()`; the machine holds the state after
//!   `log[..position]`;
//! * step 0 has a checkpoint; no checkpoint lies beyond the log;
//! * the bounds above hold after every operation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Branch, Entry, KernelConfig, Kind, Session};

/// A checkpoint every this many steps.
pub const CHECKPOINT_EVERY: usize = 16;
/// At most this many checkpoints (step 0 included)…
pub const MAX_CHECKPOINTS: usize = 48;
/// …holding at most this much state together…
pub const CHECKPOINT_BYTES: u64 = 48 * 1024 * 1024;
/// …but never fewer than this many.
pub const MIN_CHECKPOINTS: usize = 4;

/// The kernel a timeline drives.
pub trait Machine {
    /// A fresh kernel of this configuration (every checkpoint is gone).
    fn reset(&mut self, config: KernelConfig);
    /// Makes a logged operation (first moving the clock up to its `at`,
    /// if it has one); what it did.
    fn apply(&mut self, e: &Entry) -> Kind;
    /// Keeps the current state as the checkpoint of `step`; its size.
    fn checkpoint(&mut self, step: usize) -> u64;
    /// Restores the checkpoint of `step`.
    fn rewind(&mut self, step: usize);
    /// Frees the checkpoint of `step`.
    fn forget(&mut self, step: usize);
}

/// The timeline as the page draws it: every step's kind and the labels
/// around the step shown.  Steps are counted in operations: step n is the
/// state after the first n.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimelineView {
    /// The step shown.
    pub step: u32,
    /// The first step the timeline goes back to.
    pub base: u32,
    /// How many operations the log holds.
    pub length: u32,
    /// Each operation's kind, one letter each: c(all), p(ark), w(ake),
    /// e(rror), r(emoval) — see [`TimelineView::kind`].
    pub kinds: String,
    /// The operations around the step shown (`["msgget", [1, 16, 1536]]`),
    /// from operation `labels_from` on.
    pub labels_from: u32,
    #[serde(rename = "labels")]
    pub ops: Vec<(String, Vec<Value>)>,
    /// The same operations in words, filled in by the page.
    #[serde(skip)]
    pub labels: Vec<String>,
    /// The step the last action forked the timeline at.
    pub forked_at: Option<u32>,
    /// The steps a fork set aside, until the learner discards them.
    pub branch: Option<BranchView>,
    /// How many steps Step back can go back.
    pub history: u32,
    /// The checkpoints held: how many, and their state's bytes together.
    pub checkpoints: (u32, u64),
}

/// The steps a fork set aside: they branched from step `at` and are
/// `length` steps long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BranchView {
    pub at: u32,
    pub length: u32,
}

impl TimelineView {
    /// Operation `i`'s kind: "call", "park", "wake", "error" or "removal".
    pub fn kind(&self, i: usize) -> &'static str {
        match self.kinds.as_bytes().get(i) {
            Some(b'p') => "park",
            Some(b'w') => "wake",
            Some(b'e') => "error",
            Some(b'r') => "removal",
            _ => "call",
        }
    }

    /// Operation `i` in words, if it is among the labels sent.
    pub fn label(&self, i: usize) -> &str {
        i.checked_sub(self.labels_from as usize).and_then(|j| self.labels.get(j)).map_or("", String::as_str)
    }
}

fn letter(k: Option<Kind>) -> char {
    match k {
        Some(Kind::Park) => 'p',
        Some(Kind::Wake) => 'w',
        Some(Kind::Error) => 'e',
        Some(Kind::Removal) => 'r',
        _ => 'c',
    }
}

/// A session being stepped through (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    log: Vec<Entry>,
    position: usize,
    base: usize,
    forked_at: Option<usize>,
    branch: Option<(usize, Vec<Entry>)>,
    /// step → the bytes of its checkpoint.
    checkpoints: BTreeMap<usize, u64>,
    config: KernelConfig,
    names: BTreeMap<u32, String>,
    preset: Option<String>,
    /// Bumped whenever the log changes (keys a page's caches).
    epoch: u64,
}

impl Timeline {
    /// A timeline over a fresh kernel of `config`.
    pub fn new(config: KernelConfig, m: &mut dyn Machine) -> Timeline {
        let mut t = Timeline::default();
        t.reset(config, m);
        t
    }

    /// A fresh kernel of `config` with an empty log.
    pub fn reset(&mut self, config: KernelConfig, m: &mut dyn Machine) {
        for step in std::mem::take(&mut self.checkpoints).into_keys() {
            m.forget(step);
        }
        m.reset(config);
        *self = Timeline { config, epoch: self.epoch + 1, ..Timeline::default() };
        self.add_checkpoint(0, m);
    }

    /// The step shown.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The first step the timeline goes back to.
    pub fn base(&self) -> usize {
        self.base
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Bumped whenever the log changes.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn config(&self) -> KernelConfig {
        self.config
    }

    /// Process names the session gives (a recorded run's guests).
    pub fn names(&self) -> &BTreeMap<u32, String> {
        &self.names
    }

    /// The preset the session came from, if any.
    pub fn preset(&self) -> Option<&str> {
        self.preset.as_deref()
    }

    pub fn set_preset(&mut self, name: Option<String>) {
        self.preset = name;
    }

    /// The step the last action forked the timeline at.
    pub fn forked_at(&self) -> Option<usize> {
        self.forked_at
    }

    /// An operation just made at the shown step, which did `e.kind`: the
    /// log forks first if the step shown is not the last.
    pub fn record(&mut self, e: Entry, m: &mut dyn Machine) {
        self.forked_at = None;
        if self.position < self.log.len() {
            self.forked_at = Some(self.position);
            self.branch = Some((self.position, self.log[self.position..].to_vec()));
            self.cut(self.position, m);
        }
        self.log.push(e);
        self.epoch += 1;
        self.position = self.log.len();
        if self.position.is_multiple_of(CHECKPOINT_EVERY) {
            self.add_checkpoint(self.position, m);
        }
    }

    /// Shows the state after `step` operations (clamped to the timeline).
    pub fn go_to(&mut self, step: usize, m: &mut dyn Machine) {
        let step = step.clamp(self.base, self.log.len());
        self.seek(step, m);
    }

    /// Shows the step before the shown one; the step shown then, or why not.
    pub fn step_back(&mut self, m: &mut dyn Machine) -> Result<usize, String> {
        if self.position <= self.base {
            return Err("nothing to step back to".to_string());
        }
        self.seek(self.position - 1, m);
        Ok(self.position)
    }

    /// Swaps the steps after the branch's step with the branch: the steps
    /// set aside by the fork come back (made again from the nearest
    /// checkpoint; their kinds as they were recorded), and the steps they
    /// replace become the branch.  Shows the last step of what came back.
    pub fn switch_branch(&mut self, m: &mut dyn Machine) -> Result<usize, String> {
        let (at, log) = self.branch.take().ok_or("there is no branch to switch to")?;
        // A branch from before the base (history forgotten after the
        // fork) brings back steps the base would hide: the timeline goes
        // back to the branch's step again.
        self.base = self.base.min(at);
        self.seek(self.position.min(at), m);
        let tail = self.log[at..].to_vec();
        self.cut(at, m);
        self.log.extend(log);
        self.branch = (!tail.is_empty()).then_some((at, tail));
        self.forked_at = None;
        self.epoch += 1;
        self.seek(self.log.len(), m);
        Ok(self.position)
    }

    /// Forgets the steps a fork set aside.
    pub fn discard_branch(&mut self) {
        self.branch = None;
    }

    /// The timeline starts at the step shown (the operations stay in the log).
    pub fn forget_history(&mut self) {
        self.base = self.position;
        self.forked_at = None;
    }

    /// The session: the log, the step shown, the branch, names, config.
    pub fn session(&self, origin: &str) -> Session {
        let mut s = Session::new(self.config, origin);
        s.base = self.base as u64;
        s.step = Some(self.position as u64);
        s.log = self.log.clone();
        s.branch = self.branch.as_ref().map(|(at, log)| Branch { at: *at as u64, log: log.clone() });
        s.names = self.names.clone();
        if let Some(p) = &self.preset {
            s.rest.insert("preset".into(), Value::String(p.clone()));
        }
        s
    }

    /// Replays `s` on a fresh kernel of its configuration: every logged
    /// operation made again in order (pids and tids come out the same: the
    /// kernel is deterministic), then its step shown.  What replayed
    /// differently from the file (a link from another build), in words.
    pub fn load(&mut self, s: &Session, m: &mut dyn Machine) -> Vec<String> {
        self.reset(s.config, m);
        let mut differs = Vec::new();
        for (i, e) in s.log.iter().enumerate() {
            let kind = m.apply(e);
            if let Some(was) = e.kind
                && was != kind
            {
                differs.push(format!("step {} ({}) was {} and is now {}", i + 1, e.op, name(was), name(kind)));
            }
            self.record(Entry { kind: Some(kind), ..e.clone() }, m);
        }
        let n = self.log.len();
        self.base = (s.base as usize).min(n);
        self.go_to(s.step.map_or(n, |st| st as usize), m);
        self.forked_at = None;
        self.branch = s.branch.as_ref().filter(|b| !b.log.is_empty()).map(|b| ((b.at as usize).min(n), b.log.clone()));
        self.names = s.names.clone();
        self.preset = s.rest.get("preset").and_then(Value::as_str).map(str::to_string);
        differs
    }

    /// The timeline as the page draws it, with the labels of the
    /// operations within `around` steps of the one shown.
    pub fn view(&self, around: usize) -> TimelineView {
        let lo = self.position.saturating_sub(around);
        let hi = (self.position + around).min(self.log.len());
        TimelineView {
            step: self.position as u32,
            base: self.base as u32,
            length: self.log.len() as u32,
            kinds: self.log.iter().map(|e| letter(e.kind)).collect(),
            labels_from: lo as u32,
            // A restore's snapshot is left out: the page words the rest.
            ops: self.log[lo..hi]
                .iter()
                .map(|e| (e.op.to_string(), if e.op == "restore" { Vec::new() } else { e.args.clone() }))
                .collect(),
            labels: Vec::new(),
            forked_at: self.forked_at.map(|f| f as u32),
            branch: self.branch.as_ref().map(|(at, log)| BranchView { at: *at as u32, length: log.len() as u32 }),
            history: (self.position - self.base) as u32,
            checkpoints: (self.checkpoints.len() as u32, self.checkpoints.values().sum()),
        }
    }

    /// Runs `f` on the state one step before the shown one (from a
    /// checkpoint and the log), then shows the step again; `None` at step 0.
    pub fn peek_before<R>(&mut self, m: &mut dyn Machine, f: impl FnOnce() -> R) -> Option<R> {
        let shown = self.position;
        if shown == 0 {
            return None;
        }
        self.seek(shown - 1, m);
        let r = f();
        self.seek(shown, m);
        Some(r)
    }

    /// The invariants of the module documentation; why not, if one fails.
    pub fn check(&self) -> Result<(), String> {
        if !(self.base <= self.position && self.position <= self.log.len()) {
            return Err(format!("base {} position {} log {}", self.base, self.position, self.log.len()));
        }
        if !self.checkpoints.contains_key(&0) {
            return Err("step 0 has no checkpoint".into());
        }
        if let Some((&last, _)) = self.checkpoints.last_key_value()
            && last > self.log.len()
        {
            return Err(format!("a checkpoint at step {last} beyond the log of {}", self.log.len()));
        }
        let bytes: u64 = self.checkpoints.values().sum();
        if self.checkpoints.len() > MAX_CHECKPOINTS
            || (bytes > CHECKPOINT_BYTES && self.checkpoints.len() > MIN_CHECKPOINTS)
        {
            return Err(format!("{} checkpoints of {bytes} bytes", self.checkpoints.len()));
        }
        Ok(())
    }

    // ----- internals -----

    /// Restores the state after `step`: from the nearest checkpoint at or
    /// before it (or the shown state, when that is nearer), making the
    /// logged operations in between again.
    fn seek(&mut self, step: usize, m: &mut dyn Machine) {
        if step == self.position {
            return;
        }
        let k = self.checkpoint_at_or_before(step);
        let mut from = self.position;
        if step < self.position || k > self.position {
            m.rewind(k);
            from = k;
        }
        for i in from..step {
            m.apply(&self.log[i]);
            // Steps made for the first time (a branch brought back) get their checkpoints.
            let done = i + 1;
            if done.is_multiple_of(CHECKPOINT_EVERY) && done > self.checkpoint_at_or_before(usize::MAX) {
                self.add_checkpoint(done, m);
            }
        }
        self.position = step;
    }

    /// Ends the log after `at` operations, with its checkpoints.
    fn cut(&mut self, at: usize, m: &mut dyn Machine) {
        self.log.truncate(at);
        let beyond: Vec<usize> = self.checkpoints.range(at + 1..).map(|(&s, _)| s).collect();
        for s in beyond {
            self.checkpoints.remove(&s);
            m.forget(s);
        }
    }

    fn checkpoint_at_or_before(&self, step: usize) -> usize {
        self.checkpoints.range(..=step).next_back().map_or(0, |(&s, _)| s)
    }

    /// Keeps the machine's state as step `step`'s, then thins the set.
    fn add_checkpoint(&mut self, step: usize, m: &mut dyn Machine) {
        if self.checkpoints.remove(&step).is_some() {
            m.forget(step);
        }
        let bytes = m.checkpoint(step);
        self.checkpoints.insert(step, bytes);
        self.thin(m);
    }

    /// Drops checkpoints while over the bounds (see the module documentation).
    fn thin(&mut self, m: &mut dyn Machine) {
        loop {
            let bytes: u64 = self.checkpoints.values().sum();
            let n = self.checkpoints.len();
            if !(n > MAX_CHECKPOINTS || (bytes > CHECKPOINT_BYTES && n > MIN_CHECKPOINTS)) || n < 3 {
                return;
            }
            let steps: Vec<usize> = self.checkpoints.keys().copied().collect();
            let newest = steps[steps.len() - 1];
            let mut victim = steps[1];
            let mut best = f64::INFINITY;
            for i in 1..steps.len() - 1 {
                let cost = (steps[i + 1] - steps[i - 1]) as f64 / (newest - steps[i] + CHECKPOINT_EVERY) as f64;
                if cost < best {
                    (best, victim) = (cost, steps[i]);
                }
            }
            self.checkpoints.remove(&victim);
            m.forget(victim);
        }
    }
}

fn name(k: Kind) -> &'static str {
    match k {
        Kind::Call => "a call",
        Kind::Park => "a park",
        Kind::Wake => "a wake",
        Kind::Error => "an error",
        Kind::Removal => "a removal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A machine whose state is the list of operations made on it: the
    /// reference model (the state after step n is the log's first n).
    #[derive(Default)]
    struct Tape {
        state: Vec<u64>,
        checkpoints: BTreeMap<usize, Vec<u64>>,
        /// The size every checkpoint reports.
        size: u64,
        applied: usize,
    }

    impl Machine for Tape {
        fn reset(&mut self, _: KernelConfig) {
            self.state.clear();
            assert!(self.checkpoints.is_empty(), "reset with checkpoints held");
        }
        fn apply(&mut self, e: &Entry) -> Kind {
            self.applied += 1;
            let n = e.args[0].as_u64().unwrap();
            self.state.push(n);
            if n.is_multiple_of(5) { Kind::Park } else { Kind::Call }
        }
        fn checkpoint(&mut self, step: usize) -> u64 {
            assert!(self.checkpoints.insert(step, self.state.clone()).is_none(), "checkpoint {step} twice");
            self.size
        }
        fn rewind(&mut self, step: usize) {
            self.state = self.checkpoints.get(&step).expect("rewind to a checkpoint held").clone();
        }
        fn forget(&mut self, step: usize) {
            assert!(self.checkpoints.remove(&step).is_some(), "forget {step} not held");
        }
    }

    fn op(n: u64) -> Entry {
        Entry::new("advance", vec![json!(n)], if n.is_multiple_of(5) { Kind::Park } else { Kind::Call }).unwrap()
    }

    /// The machine shows exactly the log's prefix, and the checkpoints
    /// the timeline counts are the machine's.
    fn agrees(t: &Timeline, m: &Tape) {
        t.check().unwrap();
        let want: Vec<u64> = t.log[..t.position].iter().map(|e| e.args[0].as_u64().unwrap()).collect();
        assert_eq!(m.state, want);
        assert_eq!(t.checkpoints.keys().collect::<Vec<_>>(), m.checkpoints.keys().collect::<Vec<_>>());
    }

    #[derive(Debug, Clone)]
    enum Action {
        Act(u64),
        Back,
        Jump(usize),
        Switch,
        Discard,
        Forget,
        Reload,
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            6 => (0u64..1000).prop_map(Action::Act),
            2 => Just(Action::Back),
            2 => (0usize..400).prop_map(Action::Jump),
            1 => Just(Action::Switch),
            1 => Just(Action::Discard),
            1 => Just(Action::Forget),
            1 => Just(Action::Reload),
        ]
    }

    proptest! {
        #[test]
        fn the_timeline_always_shows_its_logs_prefix(actions in proptest::collection::vec(action(), 1..300), size in prop_oneof![Just(1u64), Just(4u64 << 20)]) {
            let mut m = Tape { size, ..Tape::default() };
            let mut t = Timeline::new(KernelConfig::Playground, &mut m);
            for a in actions {
                match a {
                    Action::Act(n) => {
                        // The page makes the call on the shown state, then records it.
                        let e = op(n);
                        let kind = m.apply(&e);
                        t.record(Entry { kind: Some(kind), ..e }, &mut m);
                    }
                    Action::Back => { let _ = t.step_back(&mut m); }
                    Action::Jump(s) => t.go_to(s, &mut m),
                    Action::Switch => { let _ = t.switch_branch(&mut m); }
                    Action::Discard => t.discard_branch(),
                    Action::Forget => t.forget_history(),
                    Action::Reload => {
                        let s = t.session("test");
                        let again = Session::parse(&s.to_json()).unwrap();
                        let before = (t.position, t.base, t.log.clone(), t.branch.clone());
                        let differs = t.load(&again, &mut m);
                        prop_assert!(differs.is_empty(), "{differs:?}");
                        prop_assert_eq!((t.position, t.base, t.log.clone(), t.branch.clone()), before);
                    }
                }
                agrees(&t, &m);
            }
        }
    }

    #[test]
    fn acting_at_an_earlier_step_forks_and_the_branch_comes_back() {
        let mut m = Tape { size: 1, ..Tape::default() };
        let mut t = Timeline::new(KernelConfig::Playground, &mut m);
        for n in 1..=40 {
            let k = m.apply(&op(n));
            t.record(Entry { kind: Some(k), ..op(n) }, &mut m);
        }
        t.go_to(10, &mut m);
        agrees(&t, &m);
        let k = m.apply(&op(999));
        t.record(Entry { kind: Some(k), ..op(999) }, &mut m);
        assert_eq!(t.forked_at(), Some(10));
        assert_eq!(t.view(5).branch, Some(BranchView { at: 10, length: 30 }));
        assert_eq!(t.len(), 11);
        agrees(&t, &m);
        assert_eq!(t.switch_branch(&mut m), Ok(40));
        assert_eq!(t.view(5).branch, Some(BranchView { at: 10, length: 1 }));
        agrees(&t, &m);
        assert_eq!(m.state.last(), Some(&40));
        t.discard_branch();
        assert_eq!(t.switch_branch(&mut m), Err("there is no branch to switch to".into()));
    }

    #[test]
    fn going_far_back_rewinds_and_makes_only_the_steps_between_again() {
        let mut m = Tape { size: 1, ..Tape::default() };
        let mut t = Timeline::new(KernelConfig::Playground, &mut m);
        for n in 1..=100 {
            let k = m.apply(&op(n));
            t.record(Entry { kind: Some(k), ..op(n) }, &mut m);
        }
        let before = m.applied;
        t.go_to(35, &mut m);
        agrees(&t, &m);
        // From the checkpoint at 32: three operations again, not 35.
        assert_eq!(m.applied - before, 3);
        let v = t.view(2);
        assert_eq!((v.step, v.length, v.labels_from, v.ops.len()), (35, 100, 33, 4));
        assert_eq!(v.kind(4), "park");
        assert_eq!(v.kinds.len(), 100);
    }

    #[test]
    fn big_checkpoints_are_thinned_to_the_byte_bound() {
        let mut m = Tape { size: 20 << 20, ..Tape::default() };
        let mut t = Timeline::new(KernelConfig::Playground, &mut m);
        for n in 1..=400 {
            let k = m.apply(&op(n));
            t.record(Entry { kind: Some(k), ..op(n) }, &mut m);
            agrees(&t, &m);
        }
        assert_eq!(t.view(0).checkpoints.0 as usize, MIN_CHECKPOINTS);
    }

    #[test]
    fn a_loaded_session_says_what_replayed_differently() {
        let mut m = Tape { size: 1, ..Tape::default() };
        let mut t = Timeline::new(KernelConfig::Playground, &mut m);
        let mut s = Session::new(KernelConfig::Default, "test");
        s.log = vec![op(1), Entry { kind: Some(Kind::Error), ..op(2) }, op(5)];
        s.step = Some(1);
        s.names.insert(1, "ping".into());
        let differs = t.load(&s, &mut m);
        assert_eq!(differs, vec!["step 2 (advance) was an error and is now a call".to_string()]);
        assert_eq!((t.position(), t.len(), t.config()), (1, 3, KernelConfig::Default));
        assert_eq!(t.names().get(&1).map(String::as_str), Some("ping"));
        agrees(&t, &m);
    }
}
