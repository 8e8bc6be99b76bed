//! # Explaining one event: its narration and its kernel path
//!
//! A learner looking at one step wants two things the event log holds but
//! does not say: *what happened, in plain words* and *which way the call
//! went through the kernel's code*.  Both are generated here from the
//! typed [`Event`] alone — never written per case by a viewer — so every
//! front-end (the playground, a test, a command-line tool) tells the same
//! story, and a new facility's calls are explained by adding their paths.
//!
//! ## Objects
//! - A **kernel path** ([`Line`]s) is short illumos-style pseudo-code of
//!   one system call, in the seed's order and vocabulary (`ipc_lookup`,
//!   `ipcperm_access`, `ipc_get`, `ipc_commit_end`, `cv_wait_sig`), one
//!   table per call in [`paths`].  Each line says what decides whether
//!   this step took it ([`Test`]): a statement that always runs, a check
//!   that may refuse with certain errnos, an action the event's steps
//!   show, parking, or waking.  Every path gets one line of the kernel's
//!   own after its first: the caller gate (a parked thread, or one holding
//!   a result, cannot call: EBUSY), which is this kernel's, not the seed's.
//! - An [`Explanation`] is the path with every line marked ([`Mark`]) for
//!   one event, plus the **narration**: sentences saying what was asked,
//!   which checks passed in which order, which one refused and why (the
//!   kernel's own rule), what changed, where the caller parked and whom
//!   the call woke, and what it returned.
//!
//! ## Marking a path
//! For a failed call, the refusing line is the first check that lists the
//! errno *and* whose hint appears in the refusal's rule (the kernel's
//! words), else the first check that lists the errno without a hint:
//! two checks may refuse with the same errno (msgsnd's EINVAL for a type
//! below 1 and for a stale id), and the rule tells them apart; a hinted
//! check is never chosen on the errno alone.  Lines before it passed (or,
//! for actions, were taken when the event shows their step); lines after
//! it were not reached.  For a call that succeeded or parked, every check
//! passed, and an action, a branch, a park or a wake line is taken exactly
//! when the event shows it.  A line not taken takes its body with it: the
//! deeper lines that follow it are skipped too (the checks under `found:`
//! did not run for a key that was not found).  An errno no line lists (a kernel recording no steps
//! gives no rule, and an internal EINVAL has none) leaves every line
//! unmarked rather than guess.
//!
//! ## Invariants
//! 1. At most one line is refused, and only when the call failed.
//! 2. No line after a refused one is marked passed, taken or skipped.
//! 3. A park line outside a skipped branch is taken exactly when the
//!    event's outcome is parked; a wake line exactly when the event woke a
//!    thread.
//! 4. A line under a skipped line is skipped.

mod paths;

use crate::errno::Errno;
use crate::event::{Call, EventOutcome, Step};
use crate::hooks::{Event, Ipc, SysCall};
use serde::{Deserialize, Serialize};

/// What decides whether an event took a line of its path.
#[derive(Clone, Copy)]
pub enum Test {
    /// A statement: runs whenever it is reached.
    Run,
    /// A check that refuses with one of these errnos; each errno comes with
    /// a hint, words the kernel's rule for that refusal contains (`""`
    /// when the errno alone names this check).
    Check(&'static [(Errno, &'static str)]),
    /// An action the event shows by one of its steps.
    Step(fn(&Step<Ipc>) -> bool),
    /// A branch (`found:`, `else:`) the event went down when this holds;
    /// its body is the deeper lines that follow it.
    Branch(fn(&Event) -> bool),
    /// The caller parks.
    Park,
    /// The call completes parked threads.
    Wake,
}

/// One line of pseudo-code of a call's kernel path.
#[derive(Clone, Copy)]
pub struct Line {
    /// Indentation (0 = the call itself).
    pub depth: u8,
    /// The pseudo-code, in the seed's vocabulary.
    pub code: &'static str,
    /// What the line does, in plain words, for the narration
    /// ("the id names a live queue").
    pub words: &'static str,
    pub test: Test,
}

/// How one event went through one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    /// A check that let the call through, or a statement that ran.
    Passed,
    /// An action, park or wake the event shows.
    Taken,
    /// An action, park or wake this event did not need.
    Skipped,
    /// The check that refused the call.
    Refused,
    /// After the refusal: never reached.
    NotReached,
    /// No line lists the errno: the path is shown without a claim.
    Unknown,
}

/// One line of a path, marked for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathLine {
    pub depth: u8,
    pub code: String,
    pub mark: Mark,
}

/// One event explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The event's sequence number.
    pub seq: u64,
    /// The call's name (`msgsnd`), the path's title.
    pub call: String,
    /// The story of the step, sentence by sentence.
    pub narration: Vec<String>,
    /// The kernel path, marked (empty for operations that are not system
    /// calls: spawn, fork, a clock advance...).
    pub path: Vec<PathLine>,
}

impl Explanation {
    /// The invariants of the theory statement, for event `e` this
    /// explains.
    pub fn check(&self, e: &Event) -> Result<(), String> {
        let lines = lines(&e.call);
        if lines.len() != self.path.len() || self.seq != e.seq {
            return Err(format!("#{}: the explanation is not this event's", e.seq));
        }
        let failed = matches!(e.outcome, EventOutcome::Err(_));
        let refused: Vec<usize> = (0..lines.len()).filter(|&i| self.path[i].mark == Mark::Refused).collect();
        if refused.len() > 1 || (!refused.is_empty() && !failed) {
            return Err(format!("#{}: refused lines {refused:?} for outcome {}", e.seq, e.outcome));
        }
        if let Some(&at) = refused.first()
            && self.path[at + 1..].iter().any(|l| l.mark != Mark::NotReached)
        {
            return Err(format!("#{}: a line after the refusal is marked", e.seq));
        }
        let mut under: Option<u8> = None;
        for (l, p) in lines.iter().zip(&self.path) {
            match under {
                Some(d) if l.depth > d => {
                    if matches!(p.mark, Mark::Passed | Mark::Taken) {
                        return Err(format!("#{}: `{}` is {:?} under a skipped line", e.seq, l.code, p.mark));
                    }
                    continue;
                }
                _ => under = None,
            }
            if p.mark == Mark::Skipped {
                under = Some(l.depth);
            }
            let parked = matches!(e.outcome, EventOutcome::Blocked(_));
            match (l.test, p.mark) {
                (Test::Park, Mark::Taken) if !parked => return Err(format!("#{}: park taken, not parked", e.seq)),
                (Test::Park, Mark::Skipped) if parked => return Err(format!("#{}: parked, park skipped", e.seq)),
                (Test::Wake, Mark::Taken) if e.woke.is_empty() => {
                    return Err(format!("#{}: wake taken, nobody woken", e.seq));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The kernel's own gate before every system call: the calling thread
/// exists and may call — it is not parked and holds no result waiting for
/// `take_result` (a deterministic kernel's rule: a real thread that waits
/// cannot call at all).  Its line follows the call's first line.
const CALLER: Line = Line {
    depth: 1,
    code: "caller: thread runnable, no result to take, else EBUSY",
    words: "the calling thread could call",
    test: Test::Check(&[
        (Errno::EBUSY, "take it first"),
        (Errno::EBUSY, "cannot call until woken"),
        (Errno::ESRCH, ""),
    ]),
};

/// The kernel path of an operation, with the kernel's caller gate (empty
/// when the operation has none).
pub fn lines(call: &Call<Ipc>) -> Vec<Line> {
    match path(call) {
        [] => Vec::new(),
        [head, rest @ ..] => {
            let mut v = Vec::with_capacity(rest.len() + 2);
            v.push(*head);
            v.push(CALLER);
            v.extend_from_slice(rest);
            v
        }
    }
}

/// The call's own kernel path, from its seed (empty when it has none).
pub fn path(call: &Call<Ipc>) -> &'static [Line] {
    match call {
        Call::Sys(c) => match c {
            SysCall::Msg(c) => paths::msg(c),
            SysCall::Sem(c) => paths::sem(c),
            SysCall::Shm(c) => paths::shm(c),
            SysCall::Psem(c) => paths::psem(c),
            SysCall::Fd(c) => paths::fd(c),
            SysCall::Port(c) => paths::port(c),
        },
        _ => &[],
    }
}

/// The refusal's errno and rule, if the call failed.
fn refusal(e: &Event) -> Option<(Errno, Option<&str>)> {
    let EventOutcome::Err(errno) = e.outcome else { return None };
    let rule = e.steps.iter().rev().find_map(|s| match s {
        Step::Denied { errno: d, rule, .. } if *d == errno => Some(rule.as_str()),
        _ => None,
    });
    Some((errno, rule))
}

/// The index of the line that refused `errno` with `rule`.
fn refused_line(lines: &[Line], errno: Errno, rule: Option<&str>) -> Option<usize> {
    // First a check whose hint the rule contains, then one that names the
    // errno without a hint; a hinted check never matches on the errno alone.
    let lists = |l: &Line, hinted: bool| match l.test {
        Test::Check(list) => list.iter().any(|&(e, hint)| {
            e == errno
                && if hinted { !hint.is_empty() && rule.is_some_and(|r| r.contains(hint)) } else { hint.is_empty() }
        }),
        _ => false,
    };
    lines.iter().position(|l| lists(l, true)).or_else(|| lines.iter().position(|l| lists(l, false)))
}

/// Marks every line of `lines` for event `e`.
pub fn mark(lines: &[Line], e: &Event) -> Vec<Mark> {
    let parked = matches!(e.outcome, EventOutcome::Blocked(_));
    let took = |l: &Line| match l.test {
        Test::Run | Test::Check(_) => Mark::Passed,
        Test::Step(f) => {
            if e.steps.iter().any(f) {
                Mark::Taken
            } else {
                Mark::Skipped
            }
        }
        Test::Branch(f) => {
            if f(e) {
                Mark::Taken
            } else {
                Mark::Skipped
            }
        }
        Test::Park => {
            if parked {
                Mark::Taken
            } else {
                Mark::Skipped
            }
        }
        Test::Wake => {
            if e.woke.is_empty() {
                Mark::Skipped
            } else {
                Mark::Taken
            }
        }
    };
    let mut marks: Vec<Mark> = match refusal(e) {
        None => lines.iter().map(took).collect(),
        Some((errno, rule)) => match refused_line(lines, errno, rule) {
            None => return vec![Mark::Unknown; lines.len()],
            Some(at) => lines
                .iter()
                .enumerate()
                .map(|(i, l)| match i.cmp(&at) {
                    std::cmp::Ordering::Less => took(l),
                    std::cmp::Ordering::Equal => Mark::Refused,
                    std::cmp::Ordering::Greater => Mark::NotReached,
                })
                .collect(),
        },
    };
    // The body of a line the event did not take was not taken either.
    let mut skipping: Option<u8> = None;
    for (l, m) in lines.iter().zip(marks.iter_mut()) {
        match skipping {
            Some(depth) if l.depth > depth => {
                if matches!(*m, Mark::Passed | Mark::Taken) {
                    *m = Mark::Skipped;
                }
                continue;
            }
            _ => skipping = None,
        }
        if *m == Mark::Skipped {
            skipping = Some(l.depth);
        }
    }
    marks
}

/// Joins words as a list in a sentence: `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Explains event `e`: its narration and its marked kernel path.
pub fn explain(e: &Event) -> Explanation {
    let lines = lines(&e.call);
    let marks = mark(&lines, e);
    let mut narration = Vec::new();

    let who = match (e.pid, e.tid) {
        (Some(pid), Some(tid)) => format!("Thread {tid} of pid {pid}"),
        (Some(pid), None) => format!("Pid {pid}"),
        _ => "The host".to_string(),
    };
    let args = e.call.args().to_string();
    narration.push(format!("{who} called {}({args}) at t = {} ns.", e.call.name(), e.time));

    let passed: Vec<String> = lines
        .iter()
        .zip(&marks)
        .filter(|(l, m)| matches!(l.test, Test::Check(_)) && **m == Mark::Passed && l.code != CALLER.code)
        .map(|(l, _)| l.words.to_string())
        .collect();
    if !passed.is_empty() {
        narration.push(format!("Checks passed, in order: {}.", listed(&passed)));
    }

    if let Some((errno, rule)) = refusal(e) {
        let at = marks.iter().position(|m| *m == Mark::Refused).map(|i| lines[i].words);
        let why = rule.map(|r| format!(": {r}")).unwrap_or_default();
        narration.push(match at {
            Some(words) => format!("Refused by the check that {words}: {}{why}.", errno.name()),
            None => format!("It failed with {}{why}.", errno.name()),
        });
        narration.push("Nothing changed: a refused call leaves the kernel as it was.".to_string());
    } else {
        let changed: Vec<String> = e
            .steps
            .iter()
            .filter(|s| !matches!(s, Step::Denied { .. } | Step::Park { .. }))
            .map(|s| s.to_string())
            .collect();
        if !changed.is_empty() {
            narration.push(format!("What happened inside: {}.", changed.join("; ")));
        }
    }

    match &e.outcome {
        EventOutcome::Blocked(chan) => {
            narration.push(format!("The caller parks until a later operation completes it: {chan}."))
        }
        EventOutcome::Ok(v) => narration.push(format!("It returned {v}.")),
        EventOutcome::Err(_) => {}
    }
    for w in &e.woke {
        let how = match &w.result {
            Ok(v) => format!("it returns {v}"),
            Err(errno) => format!("it fails with {}", errno.name()),
        };
        narration.push(format!(
            "It woke thread {} of pid {}, parked in {}: {how} (its take_result collects it).",
            w.tid,
            w.pid,
            crate::event::Named::name(&w.chan)
        ));
    }

    Explanation {
        seq: e.seq,
        call: e.call.name().to_string(),
        narration,
        path: lines
            .iter()
            .zip(marks)
            .map(|(l, mark)| PathLine { depth: l.depth, code: l.code.to_string(), mark })
            .collect(),
    }
}
