//! # Events
//!
//! Every operation on the kernel — a system call, a spawn, a clock advance —
//! appends exactly one [`Event`] to the log.  An event says who called
//! (pid/tid), what (call and arguments), how it ended ([`EventOutcome`]:
//! a value, an errno, or parked with a reason), which parked threads it
//! completed ([`Wakeup`]), and which internal steps it took ([`Step`]: key
//! lookups, table growth, AVL rotations, sequence bumps, references taken
//! and dropped, objects destroyed).  A call that fails says which check
//! refused it and why ([`Step::Denied`]), so a viewer never has to guess.
//!
//! The log is the narrative a viewer shows and the thing differential tests
//! compare: the same operations give the same events.  It is bounded (a
//! ring of `event_capacity` entries); each event carries an absolute
//! sequence number, so a reader polls with a cursor and learns when it fell
//! behind.

use crate::avl::{Rotation, RotationKind};
use crate::errno::Errno;
use crate::ipc::Facility;
use crate::proc::{Pid, ProjId, Tid, ZoneId};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventOutcome {
    /// Succeeded; the value in words.
    Ok(String),
    /// Failed with this errno.
    Err(Errno),
    /// The calling thread parked; the reason in words.
    Blocked(String),
}

/// A parked thread that an operation completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wakeup {
    pub tid: Tid,
    pub pid: Pid,
    pub call: String,
    /// `Ok` summary in words, or the errno.
    pub outcome: EventOutcome,
}

/// One internal step of an operation, in the seed's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// `ipc_keylookup`: searched the AVL tree, visiting `visited` nodes.
    KeyLookup { facility: Facility, key: i32, zone: ZoneId, found: Option<i32>, visited: u32 },
    /// `rctl_test` denied one more id to the project.
    RctlDeny { facility: Facility, project: ProjId, limit: u32 },
    /// `ipc_grow`: the slot table doubled.
    TableGrow { facility: Facility, from: u32, to: u32 },
    /// `ipc_commit_end`: the object took slot `index`, its id folds in `seq`.
    SlotAlloc { facility: Facility, index: u32, seq: u32, id: i32 },
    /// An AVL insert of `(key, zone)` and its rotations.
    AvlInsert { facility: Facility, key: i32, zone: ZoneId, rotations: Vec<(RotationKind, i32, ZoneId)> },
    /// An AVL remove of `(key, zone)` and its rotations.
    AvlRemove { facility: Facility, key: i32, zone: ZoneId, rotations: Vec<(RotationKind, i32, ZoneId)> },
    /// `ipc_remove`: slot released, sequence number bumped (and maybe wrapped).
    SlotRelease { facility: Facility, index: u32, id: i32, old_seq: u32, new_seq: u32 },
    /// `ipc_hold`: a reference taken.
    Hold { facility: Facility, id: i32, refs: u32 },
    /// `ipc_rele`: a reference dropped.
    Rele { facility: Facility, id: i32, refs: u32 },
    /// The last reference dropped: the facility destructor ran.
    Destroy { facility: Facility, id: i32 },
    /// A thread parked.
    Park { tid: Tid, reason: String },
    /// A message entered a queue.
    MsgEnqueue { msqid: i32, mtype: i64, size: usize },
    /// A message left a queue.
    MsgDequeue { msqid: i32, mtype: i64, size: usize, truncated_to: Option<usize> },
    /// A check refused the call: the errno and the rule, in words.
    Denied { facility: Option<Facility>, errno: Errno, rule: String },
}

/// Records which check refused a call and returns its errno, so every
/// failing path says why in the event log (the viewers only display it).
pub(crate) fn deny(steps: &mut Vec<Step>, facility: Option<Facility>, errno: Errno, rule: String) -> Errno {
    steps.push(Step::Denied { facility, errno, rule });
    errno
}

pub(crate) fn rotations(rots: &[Rotation<(i32, ZoneId)>]) -> Vec<(RotationKind, i32, ZoneId)> {
    rots.iter().map(|r| (r.kind, r.at.0, r.at.1)).collect()
}

fn fmt_rotations(f: &mut fmt::Formatter<'_>, rots: &[(RotationKind, i32, ZoneId)]) -> fmt::Result {
    if rots.is_empty() {
        return write!(f, ", no rotation");
    }
    for (kind, key, zone) in rots {
        let kind = match kind {
            RotationKind::Left => "left",
            RotationKind::Right => "right",
            RotationKind::LeftRight => "left-right",
            RotationKind::RightLeft => "right-left",
        };
        write!(f, ", {kind} rotation at key {key:#x}/zone {zone}")?;
    }
    Ok(())
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::KeyLookup { facility, key, zone, found, visited } => {
                write!(f, "{facility}: key {key:#x} in zone {zone} ")?;
                match found {
                    Some(id) => write!(f, "found id {id:#x}")?,
                    None => write!(f, "not found")?,
                }
                write!(f, " after visiting {visited} AVL node(s)")
            }
            Step::RctlDeny { facility, project, limit } => {
                write!(f, "{facility}: project {project} is at its limit of {limit} id(s)")
            }
            Step::TableGrow { facility, from, to } => {
                write!(f, "{facility}: slot table full, grew from {from} to {to} slots")
            }
            Step::SlotAlloc { facility, index, seq, id } => {
                write!(f, "{facility}: took slot {index} with sequence {seq}, id {id:#x} ({id})")
            }
            Step::AvlInsert { facility, key, zone, rotations } => {
                write!(f, "{facility}: inserted key {key:#x}/zone {zone} into the AVL tree")?;
                fmt_rotations(f, rotations)
            }
            Step::AvlRemove { facility, key, zone, rotations } => {
                write!(f, "{facility}: removed key {key:#x}/zone {zone} from the AVL tree")?;
                fmt_rotations(f, rotations)
            }
            Step::SlotRelease { facility, index, id, old_seq, new_seq } => write!(
                f,
                "{facility}: released slot {index} (id {id:#x}); sequence {old_seq} -> {new_seq}, so id {id:#x} is now stale"
            ),
            Step::Hold { facility, id, refs } => write!(f, "{facility}: hold on id {id:#x}, {refs} reference(s)"),
            Step::Rele { facility, id, refs } => {
                write!(f, "{facility}: release of id {id:#x}, {refs} reference(s) left")
            }
            Step::Destroy { facility, id } => write!(f, "{facility}: last reference to id {id:#x} dropped, destroyed"),
            Step::Park { tid, reason } => write!(f, "thread {tid} parked: {reason}"),
            Step::MsgEnqueue { msqid, mtype, size } => {
                write!(f, "msg: queued a {size}-byte message of type {mtype} on msqid {msqid:#x}")
            }
            Step::Denied { facility, errno, rule } => {
                if let Some(facility) = facility {
                    write!(f, "{facility}: ")?;
                }
                write!(f, "{}: {rule}", errno.name())
            }
            Step::MsgDequeue { msqid, mtype, size, truncated_to } => {
                write!(f, "msg: took a {size}-byte message of type {mtype} from msqid {msqid:#x}")?;
                if let Some(n) = truncated_to {
                    write!(f, " (truncated to {n} bytes)")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Absolute sequence number, from 0.
    pub seq: u64,
    /// Logical time of the operation.
    pub time: u64,
    pub pid: Option<Pid>,
    pub tid: Option<Tid>,
    pub call: String,
    pub args: String,
    pub outcome: EventOutcome,
    pub woke: Vec<Wakeup>,
    pub steps: Vec<Step>,
}

impl fmt::Display for EventOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventOutcome::Ok(v) => write!(f, "-> {v}"),
            EventOutcome::Err(e) => write!(f, "-> {e}"),
            EventOutcome::Blocked(reason) => write!(f, "parked ({reason})"),
        }
    }
}

impl fmt::Display for Event {
    /// The event in plain words, one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} t={}ns ", self.seq, self.time)?;
        if let (Some(pid), Some(tid)) = (self.pid, self.tid) {
            write!(f, "pid {pid} tid {tid}: ")?;
        } else if let Some(pid) = self.pid {
            write!(f, "pid {pid}: ")?;
        }
        write!(f, "{}({}) {}", self.call, self.args, self.outcome)?;
        for w in &self.woke {
            write!(f, "; woke tid {} ({} {})", w.tid, w.call, w.outcome)?;
        }
        Ok(())
    }
}
