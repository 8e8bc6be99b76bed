//! The kernel paths, one table per system call, in each seed's order.
//!
//! Each table is the call's code in the seed reduced to the lines a
//! learner follows: the checks in the order the seed makes them (the same
//! order the facility module's theory statement gives), the namespace's
//! steps (`ipc_get`: key lookup, allocation test, growth, commit), the
//! facility's action, parking and waking.  The module tests drive every
//! errno of every call and assert the line that refused it.

use super::{Line, Test};
use crate::errno::Errno::{self, *};
use crate::event::Step;
use crate::fd::FdCall;
use crate::hooks::{Event, EventOutcome, Ipc, SysStep};
use crate::msg::{MsgCall, MsgStep};
use crate::namespace::NsStep;
use crate::namespace::{IPC_RMID, IPC_SET, IPC_STAT};
use crate::port::PortCall;
use crate::psem::PsemCall;
use crate::sem::SemCall;
use crate::shm::ShmCall;

const fn line(depth: u8, code: &'static str, words: &'static str, test: Test) -> Line {
    Line { depth, code, words, test }
}

const fn run(depth: u8, code: &'static str, words: &'static str) -> Line {
    line(depth, code, words, Test::Run)
}

const fn check(depth: u8, code: &'static str, words: &'static str, refuses: &'static [(Errno, &'static str)]) -> Line {
    line(depth, code, words, Test::Check(refuses))
}

const fn step(depth: u8, code: &'static str, words: &'static str, f: fn(&Step<Ipc>) -> bool) -> Line {
    line(depth, code, words, Test::Step(f))
}

const fn park(depth: u8, code: &'static str, words: &'static str) -> Line {
    line(depth, code, words, Test::Park)
}

const fn wake(depth: u8, code: &'static str, words: &'static str) -> Line {
    line(depth, code, words, Test::Wake)
}

// ---- steps the lines are taken by -------------------------------------

fn key_lookup(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::KeyLookup { .. }))
}

fn key_found(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::KeyLookup { found: Some(_), .. }))
}

fn table_grow(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::TableGrow { .. }))
}

fn slot_alloc(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::SlotAlloc { .. }))
}

fn avl_insert(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::AvlInsert { .. }))
}

fn slot_release(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::SlotRelease { .. }) | Step::Ns(NsStep::AvlRemove { .. }))
}

fn destroy(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Ns(NsStep::Destroy { .. }))
}

fn msg_enqueue(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Sys(SysStep::Msg(MsgStep::Enqueue { .. })))
}

fn msg_dequeue(s: &Step<Ipc>) -> bool {
    matches!(s, Step::Sys(SysStep::Msg(MsgStep::Dequeue { .. })))
}

fn failed_with(e: &Event, errno: Errno) -> bool {
    e.outcome == EventOutcome::Err(errno)
}

fn key_missing(e: &Event) -> bool {
    e.steps.iter().any(|s| matches!(s, Step::Ns(NsStep::KeyLookup { found: None, .. })))
}

/// GET went on to make a new object (no existing key was returned).
fn created(e: &Event) -> bool {
    !e.steps.iter().any(key_found) && !failed_with(e, ENOENT)
}

fn not_enqueued(e: &Event) -> bool {
    !e.steps.iter().any(msg_enqueue)
}

fn msg_found(e: &Event) -> bool {
    e.steps.iter().any(msg_dequeue) || failed_with(e, E2BIG)
}

fn no_msg(e: &Event) -> bool {
    !msg_found(e)
}

// ---- the namespace's shared lines --------------------------------------

/// Lines of `ipc_lookup` + `ipcperm_access` for a call on an id.
macro_rules! lookup_perm {
    ($noun:literal, $mode:literal, $want:literal) => {
        [
            check(
                1,
                "ipc_lookup(id) — slot, sequence, zone",
                concat!("the id names a live ", $noun, " in the caller's zone"),
                &[(EINVAL, "has id")],
            ),
            check(1, concat!("ipcperm_access(", $mode, ")"), concat!("the caller may ", $want, " it"), &[(EACCES, "")]),
        ]
    };
}

// ---- System V message queues (illumos msg.c) ---------------------------

static MSGGET: &[Line] = &[
    run(0, "msgget(key, msgflg)", "msgget"),
    check(1, "flags ⊆ IPC_CREAT|IPC_EXCL|0777", "the flags are known", &[(EINVAL, "unknown flag")]),
    step(1, "ipc_get: key ≠ IPC_PRIVATE → avl_find(key, zone)", "looked the key up in the AVL tree", key_lookup),
    step(2, "found:", "found the key", key_found),
    check(3, "IPC_CREAT|IPC_EXCL → EEXIST", "IPC_EXCL did not ask for a new queue", &[(EEXIST, "")]),
    check(
        3,
        "asked mode ⊆ the queue's mode, else EACCES",
        "the asked mode is within the queue's mode",
        &[(EACCES, "")],
    ),
    run(3, "return its id", "returned the existing queue's id"),
    line(2, "not found:", "did not find the key", Test::Branch(key_missing)),
    check(3, "no IPC_CREAT → ENOENT", "IPC_CREAT was given", &[(ENOENT, "")]),
    line(1, "create:", "made a new queue", Test::Branch(created)),
    check(
        2,
        "ipc_alloc_test: project.max-msg-ids, zone.max-msg-ids",
        "the project and zone are under their queue limits",
        &[(ENOSPC, "max-msg-ids")],
    ),
    step(2, "table full → ipc_grow (double it)", "doubled the slot table", table_grow),
    check(3, "already at its maximum → ENOSPC", "the slot table could grow", &[(ENOSPC, "slot table")]),
    step(
        2,
        "ipc_commit_end: lowest free slot; id = seq << shift | index",
        "took a free slot and made the id from its sequence",
        slot_alloc,
    ),
    step(2, "avl_insert(key, zone) — rebalance", "inserted the key in the AVL tree", avl_insert),
];

static MSGSND: &[Line] = &[
    run(0, "msgsnd(msqid, msgp, msgsz, msgflg)", "msgsnd"),
    check(1, "flags ⊆ IPC_NOWAIT", "the flags are known", &[(EINVAL, "unknown flag")]),
    check(1, "mtype ≥ 1", "the message type is at least 1", &[(EINVAL, "below 1")]),
    lookup_perm!("queue", "MSG_W", "write")[0],
    check(
        1,
        "msgsz ≤ msg_qbytes and ≤ msgmax",
        "the message is not larger than the queue can ever hold",
        &[(EINVAL, "exceeds")],
    ),
    lookup_perm!("queue", "MSG_W", "write")[1],
    step(1, "fits (cbytes + msgsz ≤ qbytes, qnum < qmax): enqueue", "the message fitted and was queued", msg_enqueue),
    wake(2, "msg_wakeup: complete the receivers it satisfies", "it woke receivers it satisfies"),
    line(1, "does not fit:", "the queue was full", Test::Branch(not_enqueued)),
    check(2, "IPC_NOWAIT → EAGAIN", "waiting was allowed", &[(EAGAIN, "")]),
    park(2, "cv_wait_sig(snd_cv) until it fits, EIDRM, EINTR or the timeout", "the sender parked"),
];

static MSGRCV: &[Line] = &[
    run(0, "msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)", "msgrcv"),
    check(1, "flags ⊆ IPC_NOWAIT|MSG_NOERROR", "the flags are known", &[(EINVAL, "unknown flag")]),
    lookup_perm!("queue", "MSG_R", "read")[0],
    lookup_perm!("queue", "MSG_R", "read")[1],
    run(
        1,
        "find: msgtyp 0 → first; > 0 → first of that type; < 0 → lowest type ≤ |msgtyp|",
        "searched the queue for a message of the asked type",
    ),
    line(1, "found:", "found a message", Test::Branch(msg_found)),
    check(
        2,
        "longer than msgsz and no MSG_NOERROR → E2BIG",
        "the message fits the buffer, or MSG_NOERROR truncates it",
        &[(E2BIG, "")],
    ),
    step(2, "dequeue it (cut to msgsz under MSG_NOERROR)", "took the message off the queue", msg_dequeue),
    wake(3, "msg_wakeup: complete the senders that now fit", "it woke senders that now fit"),
    line(1, "none:", "no message matched", Test::Branch(no_msg)),
    check(2, "IPC_NOWAIT → ENOMSG", "waiting was allowed", &[(ENOMSG, "")]),
    park(2, "cv_wait_sig(rcv_cv) until a match, EIDRM, EINTR or the timeout", "the receiver parked"),
];

static MSGCTL_STAT: &[Line] = &[
    run(0, "msgctl(msqid, IPC_STAT, buf)", "msgctl IPC_STAT"),
    lookup_perm!("queue", "MSG_R", "read")[0],
    lookup_perm!("queue", "MSG_R", "read")[1],
    run(1, "copy msqid_ds out", "copied the queue's msqid_ds out"),
];

static MSGCTL_SET: &[Line] = &[
    run(0, "msgctl(msqid, IPC_SET, buf)", "msgctl IPC_SET"),
    check(1, "buf ≠ NULL", "a msqid_ds buffer was given", &[(EFAULT, "")]),
    check(
        1,
        "ipc_lookup(id) — slot, sequence, zone",
        "the id names a live queue in the caller's zone",
        &[(EINVAL, "has id")],
    ),
    check(1, "raising msg_qbytes → secpolicy_ipc_config", "raising msg_qbytes is privileged", &[(EPERM, "msg_qbytes")]),
    check(
        1,
        "ipcperm_set: secpolicy_ipc_owner — owner, creator or privilege",
        "the caller owns or created the queue",
        &[(EPERM, "neither the owner")],
    ),
    check(1, "uid, gid ≤ MAXUID", "the new uid and gid are valid", &[(EINVAL, "MAXUID")]),
    run(1, "set uid, gid, mode bits, qbytes; ctime = now", "set the owner, mode and msg_qbytes"),
];

static MSGCTL_RMID: &[Line] = &[
    run(0, "msgctl(msqid, IPC_RMID)", "msgctl IPC_RMID"),
    check(
        1,
        "ipc_lookup(id) — slot, sequence, zone",
        "the id names a live queue in the caller's zone",
        &[(EINVAL, "has id")],
    ),
    check(
        1,
        "secpolicy_ipc_owner — owner, creator or privilege",
        "the caller owns or created the queue",
        &[(EPERM, "")],
    ),
    step(
        1,
        "ipc_rmid: free the slot (sequence + 1), avl_remove(key)",
        "freed the slot and removed the key",
        slot_release,
    ),
    wake(1, "msg_rmid: every parked sender and receiver → EIDRM", "parked senders and receivers fail with EIDRM"),
    step(1, "last reference → msg_dtor", "destroyed the queue", destroy),
];

static MSGCTL_OTHER: &[Line] = &[
    run(0, "msgctl(msqid, cmd)", "msgctl"),
    check(
        1,
        "ipc_lookup(id) — slot, sequence, zone",
        "the id names a live queue in the caller's zone",
        &[(EINVAL, "has id")],
    ),
    check(1, "cmd is IPC_STAT, IPC_SET or IPC_RMID", "the command is known", &[(EINVAL, "unknown msgctl")]),
];

pub(super) fn msg(c: &MsgCall) -> &'static [Line] {
    match c {
        MsgCall::Msgget { .. } => MSGGET,
        MsgCall::Msgsnd { .. } => MSGSND,
        MsgCall::Msgrcv { .. } => MSGRCV,
        MsgCall::Msgctl { cmd: IPC_STAT, .. } => MSGCTL_STAT,
        MsgCall::Msgctl { cmd: IPC_SET, .. } => MSGCTL_SET,
        MsgCall::Msgctl { cmd: IPC_RMID, .. } => MSGCTL_RMID,
        MsgCall::Msgctl { .. } => MSGCTL_OTHER,
        MsgCall::Msgids => &[],
    }
}

// ---- the other facilities ----------------------------------------------

pub(super) fn sem(_: &SemCall) -> &'static [Line] {
    &[]
}

pub(super) fn shm(_: &ShmCall) -> &'static [Line] {
    &[]
}

pub(super) fn psem(_: &PsemCall) -> &'static [Line] {
    &[]
}

pub(super) fn fd(_: &FdCall) -> &'static [Line] {
    &[]
}

pub(super) fn port(_: &PortCall) -> &'static [Line] {
    &[]
}
