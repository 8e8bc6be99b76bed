//! # The event log as viewers read it
//!
//! ## Overview
//! The kernel records each operation as a typed [`Event`]: the call with
//! its arguments, the outcome, every internal step (namespace steps, the
//! facility's own, parks, refusals) and every parked call it completed.
//! A viewer wants the same event in words, with each step sorted: what
//! kind of step it was, and which namespace, slot, id or key it touched,
//! so that it can mark those on its pictures.  This module is the one place
//! that sorts them: the component's WIT `event` record is converted from
//! an [`EventView`], and a [`Scene`](super::scene::Scene) carries the
//! newest events as [`EventView`]s, which a viewer deserializes directly.
//!
//! ## Objects
//! - [`EventView`]: one event in words — call, arguments, outcome, the
//!   whole event in one line — with its wakeups and steps.
//! - [`StepView`]: one step: its [`StepKind`], its words, and what it
//!   touched — the System V namespace, slot, id and key; a POSIX
//!   semaphore's id (a numbering of its own, never mixed with System V
//!   ids); a table growth's old size; an AVL insert's or remove's
//!   rotations; the bytes a shared-memory store wrote.
//! - [`OutcomeView`]: returned (the value in words), failed (the errno) or
//!   parked (the reason in words).
//! - [`NewestEvents`]: the newest events the log keeps, and how many the
//!   kernel has recorded since it started.
//!
//! ## Operations
//! [`EventView::of`] sorts one event, step by step ([`StepView::of`]: one
//! arm per kind of step); [`Kernel::newest_events`] reads the log's newest.
//!
//! ## Invariants
//! A namespace step and a System V facility's step name their facility
//! and id (a `denied` step names its facility when it has one); a POSIX
//! semaphore's step names its id in `psem`, never in `id`; only pipe and
//! port steps, parks and facility-less refusals name no facility.  The
//! newest events are in log order, each numbered below `total`.
//!
//! ## Departures
//! None: a view changes nothing.

use crate::errno::Errno;
use crate::event::{Call, Named, Value};
use crate::fd::FdStep;
use crate::hooks::{Event, EventOutcome, Kernel, Step, SysCall, SysStep};
use crate::msg::{MsgCall, MsgStep};
use crate::namespace::avl::RotationKind;
use crate::namespace::{Facility, NsStep};
use crate::port::PortStep;
use crate::psem::PsemStep;
use crate::sem::{SemCall, SemStep};
use crate::shm::{ShmCall, ShmStep};
use serde::{Deserialize, Serialize};

/// What kind of step it was (the WIT's `step-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    KeyLookup,
    RctlDeny,
    TableGrow,
    SlotAlloc,
    AvlInsert,
    AvlRemove,
    SlotRelease,
    Hold,
    Rele,
    Destroy,
    Park,
    MsgEnqueue,
    MsgDequeue,
    SemApply,
    SemSet,
    SemUndo,
    PsemCreate,
    PsemRef,
    PsemUnref,
    PsemUnlink,
    PsemFree,
    PsemValue,
    PsemHandoff,
    ShmAlloc,
    ShmAttach,
    ShmDetach,
    ShmDeferred,
    ShmFree,
    ShmStore,
    ShmWire,
    FdMoved,
    FdClosed,
    PortQueued,
    PortFired,
    PortDelivered,
    PortDiscarded,
    PortAlert,
    PortDestroyed,
    PortExpired,
    Denied,
}

impl StepKind {
    /// The kind in the WIT's words (`"slot-alloc"`).
    pub fn name(self) -> &'static str {
        match self {
            StepKind::KeyLookup => "key-lookup",
            StepKind::RctlDeny => "rctl-deny",
            StepKind::TableGrow => "table-grow",
            StepKind::SlotAlloc => "slot-alloc",
            StepKind::AvlInsert => "avl-insert",
            StepKind::AvlRemove => "avl-remove",
            StepKind::SlotRelease => "slot-release",
            StepKind::Hold => "hold",
            StepKind::Rele => "rele",
            StepKind::Destroy => "destroy",
            StepKind::Park => "park",
            StepKind::MsgEnqueue => "msg-enqueue",
            StepKind::MsgDequeue => "msg-dequeue",
            StepKind::SemApply => "sem-apply",
            StepKind::SemSet => "sem-set",
            StepKind::SemUndo => "sem-undo",
            StepKind::PsemCreate => "psem-create",
            StepKind::PsemRef => "psem-ref",
            StepKind::PsemUnref => "psem-unref",
            StepKind::PsemUnlink => "psem-unlink",
            StepKind::PsemFree => "psem-free",
            StepKind::PsemValue => "psem-value",
            StepKind::PsemHandoff => "psem-handoff",
            StepKind::ShmAlloc => "shm-alloc",
            StepKind::ShmAttach => "shm-attach",
            StepKind::ShmDetach => "shm-detach",
            StepKind::ShmDeferred => "shm-deferred",
            StepKind::ShmFree => "shm-free",
            StepKind::ShmStore => "shm-store",
            StepKind::ShmWire => "shm-wire",
            StepKind::FdMoved => "fd-moved",
            StepKind::FdClosed => "fd-closed",
            StepKind::PortQueued => "port-queued",
            StepKind::PortFired => "port-fired",
            StepKind::PortDelivered => "port-delivered",
            StepKind::PortDiscarded => "port-discarded",
            StepKind::PortAlert => "port-alert",
            StepKind::PortDestroyed => "port-destroyed",
            StepKind::PortExpired => "port-expired",
            StepKind::Denied => "denied",
        }
    }
}

/// One step, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub kind: StepKind,
    /// The step in words.
    pub text: String,
    /// The System V namespace it belongs to.
    pub facility: Option<Facility>,
    /// The slot it touched (slot-alloc, slot-release).
    pub slot: Option<u32>,
    /// The System V id it concerns.
    pub id: Option<i32>,
    /// The POSIX semaphore it concerns.
    pub psem: Option<u32>,
    /// The key it looked up, inserted or removed.
    pub key: Option<i32>,
    /// table-grow: the table's size before it doubled (the new slots are
    /// this index and up).
    pub grown_from: Option<u32>,
    /// avl-insert, avl-remove: the rotations that rebalanced the tree, in
    /// order, each with the key it pivoted on.
    pub rotations: Vec<(RotationKind, i32)>,
    /// shm-store: (offset, length) of the bytes stored.
    pub stored: Option<(u64, u64)>,
}

/// How an event (or a completed parked call) ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutcomeView {
    /// Returned; the value in words (empty for none).
    Ok(String),
    Failed(Errno),
    /// Parked; the reason in words.
    Blocked(String),
}

/// A parked call the event completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeupView {
    pub tid: u32,
    pub pid: u32,
    /// The call that had parked (`"msgrcv"`).
    pub call: String,
    pub outcome: OutcomeView,
}

/// One event, in words and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub seq: u64,
    pub time: u64,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    /// The call's name (`"msgsnd"`).
    pub call: String,
    /// Its arguments in words.
    pub args: String,
    pub outcome: OutcomeView,
    pub woke: Vec<WakeupView>,
    pub steps: Vec<StepView>,
    /// The whole event in one line.
    pub text: String,
    /// The System V object the call names by id (msgsnd's msqid, semop's
    /// semid, shmat's shmid, ...): what a refused or parked call concerns
    /// even when no step names it.
    pub object: Option<(Facility, i32)>,
    /// The process (spawn, fork) and the thread (those and thread-create)
    /// the call made.
    pub new_pid: Option<u32>,
    pub new_tid: Option<u32>,
}

/// The newest events the log keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewestEvents {
    /// How many events the kernel has recorded since it started.
    pub total: u64,
    /// The newest, oldest first.
    pub rows: Vec<EventView>,
}

impl OutcomeView {
    pub fn of(o: &EventOutcome) -> Self {
        match o {
            EventOutcome::Ok(v) => OutcomeView::Ok(v.to_string()),
            EventOutcome::Err(e) => OutcomeView::Failed(*e),
            EventOutcome::Blocked(chan) => OutcomeView::Blocked(chan.to_string()),
        }
    }
}

impl StepView {
    /// A step of `kind` in words, touching nothing yet.
    fn bare(kind: StepKind, text: String) -> Self {
        StepView {
            kind,
            text,
            facility: None,
            slot: None,
            id: None,
            psem: None,
            key: None,
            grown_from: None,
            rotations: Vec::new(),
            stored: None,
        }
    }

    /// Sorts one step: one arm per kind.
    pub fn of(s: &Step) -> Self {
        let text = s.to_string();
        let ns = |kind, f: Facility| StepView { facility: Some(f), ..StepView::bare(kind, text.clone()) };
        let sysv = |kind, f: Facility, id: i32| StepView { id: Some(id), ..ns(kind, f) };
        let psem = |kind, id: u32| StepView { psem: Some(id), ..StepView::bare(kind, text.clone()) };
        let rotations = |r: &[(RotationKind, i32, u32)]| r.iter().map(|&(kind, pivot, _)| (kind, pivot)).collect();
        match s {
            Step::Ns(n) => match n {
                NsStep::KeyLookup { facility, key, found, .. } => {
                    StepView { key: Some(*key), id: *found, ..ns(StepKind::KeyLookup, *facility) }
                }
                NsStep::RctlDeny { facility, .. } => ns(StepKind::RctlDeny, *facility),
                NsStep::TableGrow { facility, from, .. } => {
                    StepView { grown_from: Some(*from), ..ns(StepKind::TableGrow, *facility) }
                }
                NsStep::SlotAlloc { facility, index, id, .. } => {
                    StepView { slot: Some(*index), ..sysv(StepKind::SlotAlloc, *facility, *id) }
                }
                NsStep::SlotRelease { facility, index, id, .. } => {
                    StepView { slot: Some(*index), ..sysv(StepKind::SlotRelease, *facility, *id) }
                }
                NsStep::AvlInsert { facility, key, rotations: r, .. } => {
                    StepView { key: Some(*key), rotations: rotations(r), ..ns(StepKind::AvlInsert, *facility) }
                }
                NsStep::AvlRemove { facility, key, rotations: r, .. } => {
                    StepView { key: Some(*key), rotations: rotations(r), ..ns(StepKind::AvlRemove, *facility) }
                }
                NsStep::Hold { facility, id, .. } => sysv(StepKind::Hold, *facility, *id),
                NsStep::Rele { facility, id, .. } => sysv(StepKind::Rele, *facility, *id),
                NsStep::Destroy { facility, id } => sysv(StepKind::Destroy, *facility, *id),
            },
            Step::Sys(SysStep::Msg(m)) => match *m {
                MsgStep::Enqueue { msqid, .. } => sysv(StepKind::MsgEnqueue, Facility::Msg, msqid),
                MsgStep::Dequeue { msqid, .. } => sysv(StepKind::MsgDequeue, Facility::Msg, msqid),
            },
            Step::Sys(SysStep::Sem(m)) => match *m {
                SemStep::Applied { semid, .. } => sysv(StepKind::SemApply, Facility::Sem, semid),
                SemStep::Set { semid, .. } | SemStep::ExitAdjust { semid, .. } => {
                    sysv(StepKind::SemSet, Facility::Sem, semid)
                }
                SemStep::UndoAlloc { semid, .. } => sysv(StepKind::SemUndo, Facility::Sem, semid),
            },
            Step::Sys(SysStep::Shm(m)) => match *m {
                ShmStep::Alloc { shmid, .. } => sysv(StepKind::ShmAlloc, Facility::Shm, shmid),
                ShmStep::Attach { shmid, .. } => sysv(StepKind::ShmAttach, Facility::Shm, shmid),
                ShmStep::Detach { shmid, .. } => sysv(StepKind::ShmDetach, Facility::Shm, shmid),
                ShmStep::Deferred { shmid, .. } => sysv(StepKind::ShmDeferred, Facility::Shm, shmid),
                ShmStep::Free { shmid, .. } => sysv(StepKind::ShmFree, Facility::Shm, shmid),
                ShmStep::Store { shmid, offset, len } => {
                    StepView { stored: Some((offset, len)), ..sysv(StepKind::ShmStore, Facility::Shm, shmid) }
                }
                ShmStep::Wire { shmid, .. } => sysv(StepKind::ShmWire, Facility::Shm, shmid),
            },
            Step::Sys(SysStep::Psem(m)) => match *m {
                PsemStep::Create { id, .. } => psem(StepKind::PsemCreate, id),
                PsemStep::Ref { id, .. } => psem(StepKind::PsemRef, id),
                PsemStep::Unref { id, .. } => psem(StepKind::PsemUnref, id),
                PsemStep::Unlink { id, .. } => psem(StepKind::PsemUnlink, id),
                PsemStep::Free { id } => psem(StepKind::PsemFree, id),
                PsemStep::Value { id, .. } => psem(StepKind::PsemValue, id),
                PsemStep::Handoff { id, .. } => psem(StepKind::PsemHandoff, id),
            },
            Step::Sys(SysStep::Fd(m)) => StepView::bare(
                match m {
                    FdStep::Moved { .. } => StepKind::FdMoved,
                    FdStep::Closed { .. } => StepKind::FdClosed,
                },
                text,
            ),
            Step::Sys(SysStep::Port(m)) => StepView::bare(
                match m {
                    PortStep::Queued { .. } => StepKind::PortQueued,
                    PortStep::Fired { .. } => StepKind::PortFired,
                    PortStep::Delivered { .. } => StepKind::PortDelivered,
                    PortStep::Discarded { .. } => StepKind::PortDiscarded,
                    PortStep::Alert { .. } => StepKind::PortAlert,
                    PortStep::Destroyed { .. } => StepKind::PortDestroyed,
                    PortStep::Expired { .. } => StepKind::PortExpired,
                },
                text,
            ),
            Step::Park { .. } => StepView::bare(StepKind::Park, text),
            Step::Denied { facility, .. } => StepView { facility: *facility, ..StepView::bare(StepKind::Denied, text) },
        }
    }
}

impl EventView {
    /// Sorts one event.
    pub fn of(e: &Event) -> Self {
        EventView {
            seq: e.seq,
            time: e.time,
            pid: e.pid,
            tid: e.tid,
            call: e.call.name().to_string(),
            args: e.call.args().to_string(),
            outcome: OutcomeView::of(&e.outcome),
            woke: e
                .woke
                .iter()
                .map(|w| WakeupView {
                    tid: w.tid,
                    pid: w.pid,
                    call: Named::name(&w.chan).to_string(),
                    outcome: OutcomeView::of(&w.outcome()),
                })
                .collect(),
            steps: e.steps.iter().map(StepView::of).collect(),
            text: e.to_string(),
            object: call_object(&e.call),
            new_pid: match e.outcome {
                EventOutcome::Ok(Value::Spawned { pid, .. } | Value::Forked { pid, .. }) => Some(pid),
                _ => None,
            },
            new_tid: match e.outcome {
                EventOutcome::Ok(Value::Spawned { tid, .. } | Value::Forked { tid, .. } | Value::Thread { tid }) => {
                    Some(tid)
                }
                _ => None,
            },
        }
    }

    /// The thread that parked in this event, if it parked.
    pub fn parked(&self) -> Option<u32> {
        matches!(self.outcome, OutcomeView::Blocked(_)).then_some(self.tid).flatten()
    }
}

/// The System V object a call names by id: one arm per call that takes one.
fn call_object(call: &Call<crate::hooks::Ipc>) -> Option<(Facility, i32)> {
    let Call::Sys(c) = call else { return None };
    match *c {
        SysCall::Msg(MsgCall::Msgsnd { msqid, .. } | MsgCall::Msgrcv { msqid, .. } | MsgCall::Msgctl { msqid, .. }) => {
            Some((Facility::Msg, msqid))
        }
        SysCall::Sem(SemCall::Semop { semid, .. } | SemCall::Semctl { semid, .. }) => Some((Facility::Sem, semid)),
        SysCall::Shm(ShmCall::Shmat { shmid, .. } | ShmCall::Shmctl { shmid, .. }) => Some((Facility::Shm, shmid)),
        _ => None,
    }
}

impl Kernel {
    /// The newest `n` events the log keeps, sorted, and how many the
    /// kernel has recorded.
    pub fn newest_events(&self, n: u32) -> NewestEvents {
        let (_, total) = self.events_since(u64::MAX);
        let (events, _) = self.events_since(total.saturating_sub(u64::from(n)));
        NewestEvents { total, rows: events.iter().map(EventView::of).collect() }
    }
}

impl NewestEvents {
    /// At most `n` events, in log order, each numbered below `total`.
    pub fn check(&self, n: u32) -> Result<(), String> {
        let ordered = self.rows.windows(2).all(|w| w[0].seq < w[1].seq);
        let below = self.rows.last().is_none_or(|e| e.seq < self.total);
        if self.rows.len() <= n as usize && ordered && below {
            Ok(())
        } else {
            Err(format!("events: {} rows of at most {n}, out of order or past {}", self.rows.len(), self.total))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::{IPC_CREAT, IPC_NOWAIT};
    use crate::psem::O_CREAT;
    use crate::{Config, Credentials};

    fn kinds(e: &EventView) -> Vec<StepKind> {
        e.steps.iter().map(|s| s.kind).collect()
    }

    fn last(k: &Kernel) -> EventView {
        EventView::of(&k.last_event().expect("an event"))
    }

    #[test]
    fn each_step_names_what_it_touched() {
        let mut k = Kernel::new(Config::default()).expect("kernel");
        let (pid, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
        let (_, other) = k.spawn(Credentials::user(200, 20), 0, 1).expect("spawn");

        // msgget: the key looked up, a slot allocated, the key inserted.
        let id = k.msgget(t, 0x42, IPC_CREAT | 0o600).expect("msgget");
        let e = last(&k);
        assert_eq!((e.call.as_str(), e.pid, e.tid), ("msgget", Some(pid), Some(t)));
        assert_eq!(e.outcome, OutcomeView::Ok(format!("id {id:#x} ({id})")));
        let lookup = &e.steps[0];
        assert_eq!(
            (lookup.kind, lookup.facility, lookup.key, lookup.id),
            (StepKind::KeyLookup, Some(Facility::Msg), Some(0x42), None)
        );
        let alloc = e.steps.iter().find(|s| s.kind == StepKind::SlotAlloc).expect("slot-alloc");
        assert_eq!((alloc.facility, alloc.slot, alloc.id), (Some(Facility::Msg), Some(0), Some(id)));
        let insert = e.steps.iter().find(|s| s.kind == StepKind::AvlInsert).expect("avl-insert");
        assert_eq!(insert.key, Some(0x42));
        assert!(e.text.contains("msgget"), "{}", e.text);

        // A queued message names its queue; a refusal names its facility and errno.
        k.msgsnd(t, id, 1, b"hi", IPC_NOWAIT, None).into_result().expect("msgsnd");
        let e = last(&k);
        assert!(e.steps.iter().any(|s| s.kind == StepKind::MsgEnqueue && s.id == Some(id)), "{:?}", kinds(&e));
        assert_eq!(k.msgrcv(other, id, 64, 0, IPC_NOWAIT, None).into_result().map(|_| ()), Err(Errno::EACCES));
        let e = last(&k);
        assert_eq!(e.outcome, OutcomeView::Failed(Errno::EACCES));
        let denied = e.steps.last().expect("a denied step");
        assert_eq!((denied.kind, denied.facility, denied.id), (StepKind::Denied, Some(Facility::Msg), None));
        assert_eq!(e.object, Some((Facility::Msg, id)), "the refused call names its queue");

        // A parked receive, woken by a send: the wakeup names the call.
        let id2 = k.msgget(t, 0x43, IPC_CREAT | 0o666).expect("msgget");
        assert!(k.msgrcv(other, id2, 64, 0, 0, None).is_blocked());
        let e = last(&k);
        assert!(matches!(e.outcome, OutcomeView::Blocked(_)));
        assert!(kinds(&e).contains(&StepKind::Park));
        assert_eq!(e.parked(), Some(other));
        k.msgsnd(t, id2, 1, b"yo", IPC_NOWAIT, None).into_result().expect("msgsnd");
        let e = last(&k);
        assert_eq!(e.woke.len(), 1);
        assert_eq!((e.woke[0].tid, e.woke[0].call.as_str()), (other, "msgrcv"));
        assert_eq!(e.parked(), None);

        // Spawn and fork name what they made; thread-create its thread.
        let (child, child_tid) = k.fork(pid).expect("fork");
        let e = last(&k);
        assert_eq!((e.new_pid, e.new_tid, e.object), (Some(child), Some(child_tid), None));
        let t2 = k.thread_create(child).expect("thread");
        assert_eq!((last(&k).new_pid, last(&k).new_tid), (None, Some(t2)));

        // A POSIX semaphore's steps name it in `psem`, never as a System V id.
        let ps = k.sem_open(t, b"/s", O_CREAT, 0o600, 1).expect("sem_open");
        let e = last(&k);
        assert!(e.steps.iter().any(|s| s.kind == StepKind::PsemCreate && s.psem == Some(ps)));
        assert!(e.steps.iter().all(|s| s.id.is_none() && s.facility.is_none()), "{:?}", e.steps);

        // A shared-memory store says where it stored.
        let shmid = k.shmget(t, 0, 4096, IPC_CREAT | 0o600).expect("shmget");
        let addr = k.shmat(t, shmid, 0, 0).expect("shmat");
        k.shm_write(t, addr + 10, b"abc").expect("store");
        let e = last(&k);
        let store = e.steps.iter().find(|s| s.kind == StepKind::ShmStore).expect("shm-store");
        assert_eq!((store.facility, store.id, store.stored), (Some(Facility::Shm), Some(shmid), Some((10, 3))));
    }

    #[test]
    fn the_newest_events_are_the_logs_last_in_order() {
        let mut k = Kernel::new(Config::default()).expect("kernel");
        let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
        for key in 1..=10 {
            k.msgget(t, key, IPC_CREAT | 0o600).expect("msgget");
        }
        let newest = k.newest_events(4);
        assert_eq!(newest.total, 11, "the spawn and ten msgget");
        assert_eq!(newest.rows.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7, 8, 9, 10]);
        assert_eq!(newest.check(4), Ok(()));
        assert!(newest.check(3).is_err(), "more rows than asked for");
        assert_eq!(k.newest_events(0).rows, Vec::new());
        assert_eq!(k.newest_events(100).rows.len(), 11);
    }
}
