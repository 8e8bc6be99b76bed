//! The kernel paths, one table per system call, in each seed's order.
//!
//! Each table is the call's code in the seed reduced to the lines a
//! learner follows: the checks in the order the seed makes them (the same
//! order the facility module's theory statement gives), the namespace's
//! steps (`ipc_get`: key lookup, allocation test, growth, commit), the
//! facility's action, parking and waking.  The module tests drive every
//! errno of every call and assert the line that refused it.
//!
//! Where one errno can come from two checks of a call, each of them
//! carries a hint: words of the rule the facility formats for that
//! refusal (`"has id"` for a failed lookup, `"SHMLBA"` for a misaligned
//! address), so the refusing line is the one whose rule it is.

use super::{Line, Test};
use crate::errno::Errno::{self, *};
use crate::event::{Call, Step, Value};
use crate::fd::{FdCall, FdStep, FdValue, FileKind};
use crate::hooks::{Event, EventOutcome, Ipc, SysCall, SysStep, SysValue};
use crate::msg::{MsgCall, MsgStep};
use crate::namespace::NsStep;
use crate::namespace::{IPC_RMID, IPC_SET, IPC_STAT};
use crate::port::{GetArgs, PortCall, PortStep, PortValue};
use crate::psem::{PsemCall, PsemStep};
use crate::sem::{GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, SETALL, SETVAL, SemCall, SemStep};
use crate::shm::{SHM_LOCK, SHM_UNLOCK, ShmCall, ShmStep, ShmSysctl};

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

const fn branch(depth: u8, code: &'static str, words: &'static str, f: fn(&Event) -> bool) -> Line {
    line(depth, code, words, Test::Branch(f))
}

const fn park(depth: u8, code: &'static str, words: &'static str) -> Line {
    line(depth, code, words, Test::Park)
}

const fn wake(depth: u8, code: &'static str, words: &'static str) -> Line {
    line(depth, code, words, Test::Wake)
}

// ---- steps the lines are taken by -------------------------------------

/// `fn $name(step) -> bool`: the step matches `$pat`.
macro_rules! step_is {
    ($($name:ident: $pat:pat),+ $(,)?) => {
        $(fn $name(s: &Step<Ipc>) -> bool {
            matches!(s, $pat)
        })+
    };
}

step_is! {
    key_lookup: Step::Ns(NsStep::KeyLookup { .. }),
    key_found: Step::Ns(NsStep::KeyLookup { found: Some(_), .. }),
    table_grow: Step::Ns(NsStep::TableGrow { .. }),
    slot_alloc: Step::Ns(NsStep::SlotAlloc { .. }),
    avl_insert: Step::Ns(NsStep::AvlInsert { .. }),
    slot_release: Step::Ns(NsStep::SlotRelease { .. } | NsStep::AvlRemove { .. }),
    destroy: Step::Ns(NsStep::Destroy { .. }),
    msg_enqueue: Step::Sys(SysStep::Msg(MsgStep::Enqueue { .. })),
    msg_dequeue: Step::Sys(SysStep::Msg(MsgStep::Dequeue { .. })),
    sem_applied: Step::Sys(SysStep::Sem(SemStep::Applied { .. })),
    sem_set: Step::Sys(SysStep::Sem(SemStep::Set { .. })),
    sem_undo_alloc: Step::Sys(SysStep::Sem(SemStep::UndoAlloc { .. })),
    shm_alloc: Step::Sys(SysStep::Shm(ShmStep::Alloc { .. })),
    shm_attach: Step::Sys(SysStep::Shm(ShmStep::Attach { .. })),
    shm_detach: Step::Sys(SysStep::Shm(ShmStep::Detach { .. })),
    shm_deferred: Step::Sys(SysStep::Shm(ShmStep::Deferred { .. })),
    shm_free: Step::Sys(SysStep::Shm(ShmStep::Free { .. })),
    shm_store: Step::Sys(SysStep::Shm(ShmStep::Store { .. })),
    shm_wire: Step::Sys(SysStep::Shm(ShmStep::Wire { .. })),
    psem_create: Step::Sys(SysStep::Psem(PsemStep::Create { .. })),
    psem_ref: Step::Sys(SysStep::Psem(PsemStep::Ref { .. })),
    psem_unref: Step::Sys(SysStep::Psem(PsemStep::Unref { .. })),
    psem_unlink: Step::Sys(SysStep::Psem(PsemStep::Unlink { .. })),
    psem_free: Step::Sys(SysStep::Psem(PsemStep::Free { .. })),
    psem_value: Step::Sys(SysStep::Psem(PsemStep::Value { .. })),
    psem_handoff: Step::Sys(SysStep::Psem(PsemStep::Handoff { .. })),
    fd_moved_in: Step::Sys(SysStep::Fd(FdStep::Moved { into: true, .. })),
    fd_moved_out: Step::Sys(SysStep::Fd(FdStep::Moved { into: false, .. })),
    fd_closed: Step::Sys(SysStep::Fd(FdStep::Closed { .. })),
    fd_closed_pipe: Step::Sys(SysStep::Fd(FdStep::Closed {
        kind: FileKind::PipeRead(_) | FileKind::PipeWrite(_),
        ..
    })),
    port_queued: Step::Sys(SysStep::Port(PortStep::Queued { .. })),
    port_fired: Step::Sys(SysStep::Port(PortStep::Fired { .. })),
    port_delivered: Step::Sys(SysStep::Port(PortStep::Delivered { .. })),
    port_discarded: Step::Sys(SysStep::Port(PortStep::Discarded { .. })),
    port_alert_on: Step::Sys(SysStep::Port(PortStep::Alert { on: true, .. })),
    port_alert_off: Step::Sys(SysStep::Port(PortStep::Alert { on: false, .. })),
    port_destroyed: Step::Sys(SysStep::Port(PortStep::Destroyed { .. })),
}

// ---- what an event shows, for branches --------------------------------

fn failed_with(e: &Event, errno: Errno) -> bool {
    e.outcome == EventOutcome::Err(errno)
}

fn succeeded(e: &Event) -> bool {
    matches!(e.outcome, EventOutcome::Ok(_))
}

fn not_succeeded(e: &Event) -> bool {
    !succeeded(e)
}

fn parked(e: &Event) -> bool {
    matches!(e.outcome, EventOutcome::Blocked(_))
}

fn shows(e: &Event, f: fn(&Step<Ipc>) -> bool) -> bool {
    e.steps.iter().any(f)
}

fn sys_call(e: &Event) -> Option<&SysCall> {
    match &e.call {
        Call::Sys(c) => Some(c),
        _ => None,
    }
}

fn sys_value(e: &Event) -> Option<&SysValue> {
    match &e.outcome {
        EventOutcome::Ok(Value::Sys(v)) => Some(v),
        _ => None,
    }
}

fn key_missing(e: &Event) -> bool {
    e.steps.iter().any(|s| matches!(s, Step::Ns(NsStep::KeyLookup { found: None, .. })))
}

/// GET went on to make a new object (no existing key was returned).
fn created(e: &Event) -> bool {
    !shows(e, key_found) && !failed_with(e, ENOENT)
}

fn not_enqueued(e: &Event) -> bool {
    !shows(e, msg_enqueue)
}

fn msg_found(e: &Event) -> bool {
    shows(e, msg_dequeue) || failed_with(e, E2BIG)
}

fn no_msg(e: &Event) -> bool {
    !msg_found(e)
}

/// semop with an empty array.
fn no_sops(e: &Event) -> bool {
    matches!(sys_call(e), Some(SysCall::Sem(SemCall::Semop { sops, .. })) if sops.nsops == 0)
}

fn some_sops(e: &Event) -> bool {
    !no_sops(e)
}

/// semop stopped at an element: parked, or EAGAIN (IPC_NOWAIT, zero timeout).
fn sem_stopped(e: &Event) -> bool {
    parked(e) || failed_with(e, EAGAIN)
}

fn shmat_fixed(e: &Event) -> bool {
    matches!(sys_call(e), Some(SysCall::Shm(ShmCall::Shmat { shmaddr, .. })) if *shmaddr != 0)
}

/// sem_open found the name (refused by O_EXCL or ksem_perm, or referenced it).
fn psem_found(e: &Event) -> bool {
    failed_with(e, EEXIST) || failed_with(e, EPERM) || (succeeded(e) && !shows(e, psem_create))
}

fn psem_missing(e: &Event) -> bool {
    !psem_found(e)
}

fn read_nothing(e: &Event) -> bool {
    matches!(sys_call(e), Some(SysCall::Fd(FdCall::Read { len: 0, .. })))
}

fn write_nothing(e: &Event) -> bool {
    matches!(sys_call(e), Some(SysCall::Fd(FdCall::Write { len: 0, .. })))
}

fn read_data(e: &Event) -> bool {
    matches!(sys_value(e), Some(SysValue::Fd(FdValue::Bytes(n))) if *n > 0)
}

fn read_eof(e: &Event) -> bool {
    succeeded(e) && !read_nothing(e) && !read_data(e)
}

/// A read found the pipe empty with a writer, or a write could not finish.
fn fd_must_wait(e: &Event) -> bool {
    parked(e) || failed_with(e, EAGAIN)
}

fn alert_clear(e: &Event) -> bool {
    matches!(sys_call(e), Some(SysCall::Port(PortCall::Alert { events: 0, .. })))
}

fn alert_set(e: &Event) -> bool {
    !alert_clear(e)
}

fn get_args(e: &Event) -> Option<GetArgs> {
    match sys_call(e) {
        Some(SysCall::Port(PortCall::Get { args, .. } | PortCall::Getn { args, .. })) => Some(*args),
        _ => None,
    }
}

fn get_count(e: &Event) -> bool {
    get_args(e).is_some_and(|a| a.max == 0)
}

fn get_none(e: &Event) -> bool {
    get_args(e).is_some_and(|a| a.max > 0 && a.nget == 0)
}

/// How many events the getter took (Delivered steps: the caller's own).
fn delivered(e: &Event) -> u32 {
    e.steps
        .iter()
        .map(|s| match s {
            Step::Sys(SysStep::Port(PortStep::Delivered { n, .. })) => *n,
            _ => 0,
        })
        .sum()
}

/// An event came back without a retrieval: the alert's.
fn get_alert(e: &Event) -> bool {
    let n = match sys_value(e) {
        Some(SysValue::Port(PortValue::Events { n, .. })) => *n,
        _ => 0,
    };
    n > 0 && delivered(e) == 0 && !get_count(e) && !get_none(e)
}

/// A `{0, 0}` timeout with fewer than `nget` queued: it took what was there.
fn get_polled(e: &Event) -> bool {
    let zero = get_args(e).and_then(|a| a.timeout).is_some_and(|t| t.sec == 0 && t.nsec == 0);
    let nget = get_args(e).map_or(0, |a| a.nget);
    succeeded(e) && zero && !get_count(e) && !get_none(e) && !get_alert(e) && delivered(e) < nget
}

fn get_enough(e: &Event) -> bool {
    succeeded(e) && !get_count(e) && !get_none(e) && !get_alert(e) && !get_polled(e)
}

/// Fewer than `nget` queued: the timeout is examined, then it polls or parks.
fn get_fewer(e: &Event) -> bool {
    parked(e) || get_polled(e) || failed_with(e, EINVAL)
}

fn closed_pipe_end(e: &Event) -> bool {
    shows(e, fd_closed_pipe)
}

// ---- the namespace's shared lines --------------------------------------

/// `ipc_lookup` of an id: EINVAL (the rule says "no <noun> has id …").
macro_rules! ipc_lookup {
    ($depth:literal, $noun:literal) => {
        check(
            $depth,
            "ipc_lookup(id) — slot, sequence, zone",
            concat!("the id names a live ", $noun, " in the caller's zone"),
            &[(EINVAL, "has id")],
        )
    };
}

/// `ipcperm_access` for `$mode`: EACCES.
macro_rules! ipcperm_access {
    ($depth:literal, $mode:literal, $want:literal) => {
        check($depth, concat!("ipcperm_access(", $mode, ")"), concat!("the caller may ", $want, " it"), &[(EACCES, "")])
    };
}

/// Lines of `ipc_lookup` + `ipcperm_access` for a call on an id.
macro_rules! lookup_perm {
    ($noun:literal, $mode:literal, $want:literal) => {
        [ipc_lookup!(1, $noun), ipcperm_access!(1, $mode, $want)]
    };
}

/// `secpolicy_ipc_owner` (IPC_RMID; `ipcperm_set` for IPC_SET): EPERM.
macro_rules! ipc_owner {
    ($code:literal, $noun:literal, $hint:literal) => {
        check(1, $code, concat!("the caller owns or created the ", $noun), &[(EPERM, $hint)])
    };
}

/// `ipcperm_set`'s bound on the new owner: EINVAL.
const MAXUID: Line = check(1, "uid, gid ≤ MAXUID", "the new uid and gid are valid", &[(EINVAL, "MAXUID")]);

/// A GET path: the call and its flag check, `ipc_get`'s key lookup and
/// its `found:` / `not found:` / `create:` branches, the facility's own
/// checks spliced in (an existing object: before `return its id`; a new
/// one: after the allocation test and growth, before the commit), and
/// what the facility does with a new object after the commit.
macro_rules! get_path {
    ($head:expr, $flags:expr, $noun:literal, $f:literal,
     found: [$($found:expr),* $(,)?], create: [$($create:expr),* $(,)?], made: [$($made:expr),* $(,)?] $(,)?) => {
        &[
            $head,
            $flags,
            step(1, "ipc_get: key ≠ IPC_PRIVATE → avl_find(key, zone)", "looked the key up in the AVL tree", key_lookup),
            step(2, "found:", "found the key", key_found),
            check(
                3,
                "IPC_CREAT|IPC_EXCL → EEXIST",
                concat!("IPC_EXCL did not ask for a new ", $noun),
                &[(EEXIST, "")],
            ),
            check(
                3,
                concat!("asked mode ⊆ the ", $noun, "'s mode, else EACCES"),
                concat!("the asked mode is within the ", $noun, "'s mode"),
                &[(EACCES, "")],
            ),
            $($found,)*
            run(3, "return its id", concat!("returned the existing ", $noun, "'s id")),
            branch(2, "not found:", "did not find the key", key_missing),
            check(3, "no IPC_CREAT → ENOENT", "IPC_CREAT was given", &[(ENOENT, "")]),
            branch(1, "create:", concat!("made a new ", $noun), created),
            check(
                2,
                concat!("ipc_alloc_test: project.max-", $f, "-ids, zone.max-", $f, "-ids"),
                concat!("the project and zone are under their ", $noun, " limits"),
                &[(ENOSPC, concat!("max-", $f, "-ids"))],
            ),
            step(2, "table full → ipc_grow (double it)", "doubled the slot table", table_grow),
            check(3, "already at its maximum → ENOSPC", "the slot table could grow", &[(ENOSPC, "slot table")]),
            $($create,)*
            step(
                2,
                "ipc_commit_end: lowest free slot; id = seq << shift | index",
                "took a free slot and made the id from its sequence",
                slot_alloc,
            ),
            step(2, "avl_insert(key, zone) — rebalance", "inserted the key in the AVL tree", avl_insert),
            $($made,)*
        ]
    };
}

// ---- System V message queues (illumos msg.c) ---------------------------

static MSGGET: &[Line] = get_path!(
    run(0, "msgget(key, msgflg)", "msgget"),
    check(1, "flags ⊆ IPC_CREAT|IPC_EXCL|0777", "the flags are known", &[(EINVAL, "unknown flag")]),
    "queue",
    "msg",
    found: [],
    create: [],
    made: [],
);

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
    branch(1, "does not fit:", "the queue was full", not_enqueued),
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
    branch(1, "found:", "found a message", msg_found),
    check(
        2,
        "longer than msgsz and no MSG_NOERROR → E2BIG",
        "the message fits the buffer, or MSG_NOERROR truncates it",
        &[(E2BIG, "")],
    ),
    step(2, "dequeue it (cut to msgsz under MSG_NOERROR)", "took the message off the queue", msg_dequeue),
    wake(3, "msg_wakeup: complete the senders that now fit", "it woke senders that now fit"),
    branch(1, "none:", "no message matched", no_msg),
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
    ipc_lookup!(1, "queue"),
    check(1, "raising msg_qbytes → secpolicy_ipc_config", "raising msg_qbytes is privileged", &[(EPERM, "msg_qbytes")]),
    ipc_owner!("ipcperm_set: secpolicy_ipc_owner — owner, creator or privilege", "queue", "neither the owner"),
    MAXUID,
    run(1, "set uid, gid, mode bits, qbytes; ctime = now", "set the owner, mode and msg_qbytes"),
];

static MSGCTL_RMID: &[Line] = &[
    run(0, "msgctl(msqid, IPC_RMID)", "msgctl IPC_RMID"),
    ipc_lookup!(1, "queue"),
    ipc_owner!("secpolicy_ipc_owner — owner, creator or privilege", "queue", ""),
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
    ipc_lookup!(1, "queue"),
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

// ---- System V semaphore arrays (illumos sem.c) -------------------------

static SEMGET: &[Line] = get_path!(
    run(0, "semget(key, nsems, semflg)", "semget"),
    check(1, "flags ⊆ IPC_CREAT|IPC_EXCL|0777", "the flags are known", &[(EINVAL, "unknown flag")]),
    "semaphore set",
    "sem",
    found: [check(
        3,
        "0 ≤ nsems ≤ sem_nsems, else EINVAL",
        "nsems is not more than the set has",
        &[(EINVAL, "not in 0..=")],
    )],
    create: [check(
        2,
        "0 < nsems ≤ process.max-sem-nsems, else EINVAL",
        "nsems is within process.max-sem-nsems",
        &[(EINVAL, "new set needs")],
    )],
    made: [],
);

/// semop and semtimedop: the call, and how it parks.
macro_rules! semop_path {
    ($head:literal, $words:literal, $park:literal) => {
        &[
            run(0, $head, $words),
            branch(1, "nsops == 0 → return 0 (no lookup)", "no operation was asked", no_sops),
            branch(1, "nsops > 0:", "operations were asked", some_sops),
            check(
                2,
                "ipc_lookup(semid) — slot, sequence, zone (a miss with nsops > SEM_MAXUCOPS is EFAULT)",
                "the id names a live semaphore set in the caller's zone",
                &[(EINVAL, "has id"), (EFAULT, "")],
            ),
            check(2, "nsops ≤ sem_maxops, else E2BIG", "the array is within the set's operation limit", &[(E2BIG, "")]),
            run(2, "for each sops[i]: mode |= sem_op ≠ 0 ? SEM_A : SEM_R", "went over the array once"),
            check(3, "sem_num < nsems, else EFBIG", "every sem_num is in the set", &[(EFBIG, "")]),
            check(3, "sem_flg ⊆ IPC_NOWAIT|SEM_UNDO, else EINVAL", "every sem_flg is known", &[(EINVAL, "sem_flg")]),
            check(
                2,
                "ipcperm_access(mode)",
                "the caller may alter the set (read it, for waits for zero)",
                &[(EACCES, "")],
            ),
            step(
                2,
                "SEM_UNDO on a non-zero op, no undo record yet → sem_undo_alloc (ipc_hold)",
                "made the caller's undo record for the set",
                sem_undo_alloc,
            ),
            run(2, "for each op, in order (all or nothing):", "tried the operations in order"),
            check(
                3,
                "sem_op > 0: semval + sem_op ≤ value_max, else ERANGE",
                "no value passes the maximum",
                &[(ERANGE, "value maximum")],
            ),
            run(3, "sem_op < 0 needs semval ≥ |sem_op|; sem_op == 0 needs semval == 0", "checked each could proceed"),
            check(
                3,
                "SEM_UNDO: semadj − sem_op within ±SEM_AOE_MAX, else ERANGE",
                "no adjust-on-exit value passes its bound",
                &[(ERANGE, "adjust-on-exit")],
            ),
            branch(2, "all applied:", "every operation could proceed", succeeded),
            step(3, "sempid = pid for each; sem_otime = now", "applied the whole array", sem_applied),
            wake(3, "sem_wake: complete parked arrays that now apply whole", "it woke callers whose arrays now apply"),
            branch(
                2,
                "an element cannot proceed: sem_rollback",
                "an operation could not proceed, so nothing was applied",
                sem_stopped,
            ),
            check(3, "its sem_flg has IPC_NOWAIT (or a zero timeout) → EAGAIN", "waiting was allowed", &[(EAGAIN, "")]),
            park(3, $park, "the caller parked"),
        ]
    };
}

static SEMOP: &[Line] = semop_path!(
    "semop(semid, sops, nsops)",
    "semop",
    "cv_wait_sig(sem_cv), counted in semncnt or semzcnt, until the array applies whole, EIDRM or EINTR"
);

static SEMTIMEDOP: &[Line] = semop_path!(
    "semtimedop(semid, sops, nsops, timeout)",
    "semtimedop",
    "cv_waituntil_sig(sem_cv), counted in semncnt or semzcnt, until the array applies whole, EIDRM, EINTR or the timeout (EAGAIN)"
);

/// sem_wake after SETVAL / SETALL.
const SEM_WAKE: Line =
    wake(1, "sem_wake: complete parked arrays that now apply whole", "it woke callers whose arrays now apply");

/// A semaphore number for a single-semaphore command.
const SEMNUM: Line =
    check(1, "semnum < nsems, else EINVAL", "semnum names a semaphore of the set", &[(EINVAL, "semnum")]);

static SEMCTL_STAT: &[Line] = &[
    run(0, "semctl(semid, 0, IPC_STAT, buf)", "semctl IPC_STAT"),
    lookup_perm!("semaphore set", "SEM_R", "read")[0],
    lookup_perm!("semaphore set", "SEM_R", "read")[1],
    run(1, "copy semid_ds out", "copied the set's semid_ds out"),
];

static SEMCTL_SET: &[Line] = &[
    run(0, "semctl(semid, 0, IPC_SET, buf)", "semctl IPC_SET"),
    check(1, "buf ≠ NULL", "a semid_ds buffer was given", &[(EFAULT, "")]),
    ipc_lookup!(1, "semaphore set"),
    ipc_owner!("ipcperm_set: secpolicy_ipc_owner — owner, creator or privilege", "semaphore set", ""),
    MAXUID,
    run(1, "set uid, gid, mode bits; ctime = now", "set the owner and mode"),
];

static SEMCTL_RMID: &[Line] = &[
    run(0, "semctl(semid, 0, IPC_RMID)", "semctl IPC_RMID"),
    ipc_lookup!(1, "semaphore set"),
    ipc_owner!("secpolicy_ipc_owner — owner, creator or privilege", "semaphore set", ""),
    step(
        1,
        "ipc_rmid: free the slot (sequence + 1), avl_remove(key)",
        "freed the slot and removed the key",
        slot_release,
    ),
    run(1, "sem_rmid: drop every undo record of the set (and its hold); values, pids = 0", "dropped the undo records"),
    wake(2, "every parked semop → EIDRM", "parked callers fail with EIDRM"),
    step(1, "last reference → sem_dtor", "destroyed the set", destroy),
];

static SEMCTL_GET: &[Line] = &[
    run(0, "semctl(semid, semnum, GETVAL | GETPID | GETNCNT | GETZCNT)", "semctl GET"),
    lookup_perm!("semaphore set", "SEM_R", "read")[0],
    lookup_perm!("semaphore set", "SEM_R", "read")[1],
    SEMNUM,
    run(1, "return semval, sempid, semncnt or semzcnt", "returned the semaphore's value or counter"),
];

static SEMCTL_GETALL: &[Line] = &[
    run(0, "semctl(semid, 0, GETALL, array)", "semctl GETALL"),
    lookup_perm!("semaphore set", "SEM_R", "read")[0],
    lookup_perm!("semaphore set", "SEM_R", "read")[1],
    run(1, "copy every semval out", "copied every value out"),
];

static SEMCTL_SETVAL: &[Line] = &[
    run(0, "semctl(semid, semnum, SETVAL, val)", "semctl SETVAL"),
    check(
        1,
        "arg is a value (semun.val), else EINVAL — this kernel's raw call; C passes the int itself",
        "a value was given",
        &[(EINVAL, "SETVAL needs a value")],
    ),
    lookup_perm!("semaphore set", "SEM_A", "alter")[0],
    lookup_perm!("semaphore set", "SEM_A", "alter")[1],
    SEMNUM,
    check(1, "0 ≤ val ≤ value_max, else ERANGE", "the value is within range", &[(ERANGE, "")]),
    step(
        1,
        "semval = val, sempid = pid; clear that semaphore's semadj in every undo record",
        "set the value and cleared its adjustments",
        sem_set,
    ),
    SEM_WAKE,
];

static SEMCTL_SETALL: &[Line] = &[
    run(0, "semctl(semid, 0, SETALL, array)", "semctl SETALL"),
    ipc_lookup!(1, "semaphore set"),
    check(1, "array ≠ NULL, else EFAULT", "an array of values was given", &[(EFAULT, "")]),
    check(1, "nsems values, else EINVAL", "the array has one value per semaphore", &[(EINVAL, "SETALL got")]),
    ipcperm_access!(1, "SEM_A", "alter"),
    check(1, "every value ≤ value_max, else ERANGE (nothing set)", "every value is within range", &[(ERANGE, "")]),
    step(
        1,
        "every semval and sempid; clear the set's semadj in every undo record",
        "set every value and cleared the adjustments",
        sem_set,
    ),
    SEM_WAKE,
];

static SEMCTL_OTHER: &[Line] = &[
    run(0, "semctl(semid, semnum, cmd)", "semctl"),
    ipc_lookup!(1, "semaphore set"),
    check(1, "cmd is a semctl command", "the command is known", &[(EINVAL, "unknown semctl")]),
];

pub(super) fn sem(c: &SemCall) -> &'static [Line] {
    match c {
        SemCall::Semget { .. } => SEMGET,
        SemCall::Semop { timeout: None, .. } => SEMOP,
        SemCall::Semop { timeout: Some(_), .. } => SEMTIMEDOP,
        SemCall::Semctl { cmd: IPC_STAT, .. } => SEMCTL_STAT,
        SemCall::Semctl { cmd: IPC_SET, .. } => SEMCTL_SET,
        SemCall::Semctl { cmd: IPC_RMID, .. } => SEMCTL_RMID,
        SemCall::Semctl { cmd: GETVAL | GETPID | GETNCNT | GETZCNT, .. } => SEMCTL_GET,
        SemCall::Semctl { cmd: GETALL, .. } => SEMCTL_GETALL,
        SemCall::Semctl { cmd: SETVAL, .. } => SEMCTL_SETVAL,
        SemCall::Semctl { cmd: SETALL, .. } => SEMCTL_SETALL,
        SemCall::Semctl { .. } => SEMCTL_OTHER,
        SemCall::Semids => &[],
    }
}

// ---- System V shared memory (NetBSD sysv_shm.c) ------------------------

static SHMGET: &[Line] = get_path!(
    run(0, "shmget(key, size, shmflg)", "shmget"),
    check(1, "flags ⊆ IPC_CREAT|IPC_EXCL|_SHM_RMLINGER|0777", "the flags are known", &[(EINVAL, "unknown flag")]),
    "segment",
    "shm",
    found: [check(
        3,
        "size ≠ 0 and size > shm_segsz → EINVAL",
        "the size is not more than the segment's",
        &[(EINVAL, "is more")],
    )],
    create: [
        check(2, "shmmin ≤ size ≤ shmmax, else EINVAL", "the size is within shmmin and shmmax", &[(EINVAL, "outside")]),
        check(2, "shm_nused < shmmni, else ENOSPC", "fewer than shmmni segments exist", &[(ENOSPC, "shmmni")]),
        check(
            2,
            "shm_committed + pages ≤ shmall, else ENOMEM",
            "the pages fit under shmall",
            &[(ENOMEM, "")],
        ),
    ],
    made: [step(2, "shm_committed += pages; zero-filled pages", "committed the segment's pages", shm_alloc)],
);

/// `shm_find_segment_by_shmid`: EINVAL.
const SHM_FIND: Line = check(
    1,
    "shm_find_segment_by_shmid — a live id, or a removed one made with _SHM_RMLINGER",
    "the id names a segment the caller may find",
    &[(EINVAL, "has id")],
);

static SHMAT: &[Line] = &[
    run(0, "shmat(shmid, shmaddr, shmflg)", "shmat"),
    check(1, "flags ⊆ SHM_RDONLY|SHM_RND", "the flags are known", &[(EINVAL, "unknown shmat flag")]),
    SHM_FIND,
    check(
        1,
        "ipcperm(SHM_R, or SHM_R|SHM_W without SHM_RDONLY)",
        "the caller may read the segment (and write it, without SHM_RDONLY)",
        &[(EACCES, "")],
    ),
    check(1, "nitems < shmseg, else EMFILE", "the process has fewer than shmseg attachments", &[(EMFILE, "")]),
    branch(1, "shmaddr ≠ 0:", "an address was given", shmat_fixed),
    check(
        2,
        "SHM_RND → round down to SHMLBA; else aligned, or EINVAL",
        "the address is aligned to SHMLBA or rounded",
        &[(EINVAL, "SHMLBA")],
    ),
    step(
        1,
        "shmmap_getprivate; SLIST_INSERT_HEAD(shmmap_s); ipc_hold; lpid = pid, nattch++ (counted before the mapping)",
        "counted the attach",
        shm_attach,
    ),
    check(
        1,
        "uvm_map: shmaddr in [VA_MIN, VA_MAX) and free (UVM_FLAG_FIXED), or the lowest free range ≥ SHM_VA_BASE; \
         else ENOMEM after err_detach: shm_delete_mapping (nattch--, dtime = now; lpid stays)",
        "the segment was mapped into the address space",
        &[(ENOMEM, "outside the address space"), (ENOMEM, "overlaps"), (ENOMEM, "no free range")],
    ),
    run(1, "atime = now", "set the attach time"),
];

static SHMDT: &[Line] = &[
    run(0, "shmdt(shmaddr)", "shmdt"),
    check(
        1,
        "an attachment of the caller at exactly shmaddr, else EINVAL",
        "the address starts an attachment of the caller",
        &[(EINVAL, "")],
    ),
    step(
        1,
        "shm_delete_mapping: SLIST_REMOVE, uvm_deallocate; dtime = now, nattch--",
        "detached the segment",
        shm_detach,
    ),
    step(2, "removed and nattch == 0 → shm_free_segment", "freed the removed segment", shm_free),
];

static SHMCTL_STAT: &[Line] = &[
    run(0, "shmctl(shmid, IPC_STAT, buf)", "shmctl IPC_STAT"),
    SHM_FIND,
    ipcperm_access!(1, "SHM_R", "read"),
    run(1, "copy shmid_ds out", "copied the segment's shmid_ds out"),
];

static SHMCTL_SET: &[Line] = &[
    run(0, "shmctl(shmid, IPC_SET, buf)", "shmctl IPC_SET"),
    check(1, "copyin(buf), else EFAULT", "a shmid_ds buffer was given", &[(EFAULT, "")]),
    SHM_FIND,
    ipc_owner!("ipcperm(IPC_M) → secpolicy_ipc_owner — owner, creator or privilege", "segment", ""),
    MAXUID,
    run(1, "set uid, gid, mode bits; ctime = now", "set the owner and mode"),
];

static SHMCTL_RMID: &[Line] = &[
    run(0, "shmctl(shmid, IPC_RMID)", "shmctl IPC_RMID"),
    SHM_FIND,
    ipc_owner!("ipcperm(IPC_M) → secpolicy_ipc_owner — owner, creator or privilege", "segment", ""),
    step(
        1,
        "ipc_remove: free the slot, avl_remove; key = IPC_PRIVATE; SHMSEG_REMOVED",
        "took the segment out of the namespace",
        slot_release,
    ),
    step(1, "nattch > 0 → freed at the last shmdt", "deferred the destruction to the last detach", shm_deferred),
    step(1, "nattch == 0 → shm_free_segment", "freed the segment", shm_free),
];

static SHMCTL_LOCK: &[Line] = &[
    run(0, "shmctl(shmid, SHM_LOCK | SHM_UNLOCK)", "shmctl SHM_LOCK"),
    SHM_FIND,
    check(1, "kauth: privileged, else EPERM", "the caller is privileged", &[(EPERM, "")]),
    step(
        1,
        "shm_memlock: attached by the caller → uvm_map_pageable: wire (SHM_LOCK) or unwire (SHM_UNLOCK)",
        "wired or unwired the segment",
        shm_wire,
    ),
];

static SHMCTL_OTHER: &[Line] = &[
    run(0, "shmctl(shmid, cmd)", "shmctl"),
    SHM_FIND,
    check(
        1,
        "cmd is IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK or SHM_UNLOCK",
        "the command is known",
        &[(EINVAL, "unknown shmctl")],
    ),
];

/// The load or store of one access: its size, then the mapping.
const SHM_IO_MAX: Line =
    check(1, "len ≤ MAX_IO, else EINVAL", "the access moves at most MAX_IO bytes", &[(EINVAL, "")]);
const SHM_MAPPED: Line = check(
    1,
    "uvm_fault: every byte in an attachment, else EFAULT (SIGSEGV, SEGV_MAPERR)",
    "every byte is attached",
    &[(EFAULT, "")],
);

static SHM_READ: &[Line] = &[
    run(0, "load(addr, len) — the process reads its address space", "shm_read"),
    SHM_IO_MAX,
    SHM_MAPPED,
    run(1, "copy from the segments' pages (unwritten pages read 0)", "read the bytes"),
];

static SHM_WRITE: &[Line] = &[
    run(0, "store(addr, bytes) — the process writes its address space", "shm_write"),
    SHM_IO_MAX,
    SHM_MAPPED,
    check(
        1,
        "no byte attached SHM_RDONLY, else EACCES (SIGSEGV, SEGV_ACCERR)",
        "no byte is attached read-only",
        &[(EACCES, "")],
    ),
    step(1, "store into the segments' pages", "stored the bytes", shm_store),
];

/// `shm_sysctl`'s privilege test.
const SHM_SYSCTL_PRIV: Line = check(1, "kauth: privileged, else EPERM", "the caller is privileged", &[(EPERM, "")]);

static SHM_SYSCTL_SHMMAX: &[Line] = &[
    run(0, "sysctl kern.ipc.shmmax = v", "sysctl"),
    SHM_SYSCTL_PRIV,
    check(1, "PAGE_SIZE ≤ v ≤ SHMMAX_CAP, else EINVAL", "the value is in range", &[(EINVAL, "")]),
    run(1, "shmmax = v rounded up to pages; shmall = shmmax / PAGE_SIZE", "set shmmax, and shmall with it"),
];

static SHM_SYSCTL_SHMMAXPGS: &[Line] = &[
    run(0, "sysctl kern.ipc.shmmaxpgs = v", "sysctl"),
    SHM_SYSCTL_PRIV,
    check(1, "1 ≤ v ≤ SHMMAX_CAP / PAGE_SIZE, else EINVAL", "the value is in range", &[(EINVAL, "")]),
    run(1, "shmall = v; shmmax = v pages", "set shmall, and shmmax with it"),
];

static SHM_SYSCTL_SHMMNI: &[Line] = &[
    run(0, "sysctl kern.ipc.shmmni = v", "sysctl"),
    SHM_SYSCTL_PRIV,
    check(1, "v ≥ 1, else EINVAL", "the value is at least 1", &[(EINVAL, "")]),
    check(
        1,
        "shmrealloc: no slot in use at or above v, else EBUSY",
        "no slot at or above it is in use",
        &[(EBUSY, "in use")],
    ),
    run(1, "shmmni = v", "set shmmni"),
];

static SHM_SYSCTL_SHMSEG: &[Line] =
    &[run(0, "sysctl kern.ipc.shmseg = v", "sysctl"), SHM_SYSCTL_PRIV, run(1, "shmseg = v", "set shmseg")];

pub(super) fn shm(c: &ShmCall) -> &'static [Line] {
    match c {
        ShmCall::Shmget { .. } => SHMGET,
        ShmCall::Shmat { .. } => SHMAT,
        ShmCall::Shmdt { .. } => SHMDT,
        ShmCall::Shmctl { cmd: IPC_STAT, .. } => SHMCTL_STAT,
        ShmCall::Shmctl { cmd: IPC_SET, .. } => SHMCTL_SET,
        ShmCall::Shmctl { cmd: IPC_RMID, .. } => SHMCTL_RMID,
        ShmCall::Shmctl { cmd: SHM_LOCK | SHM_UNLOCK, .. } => SHMCTL_LOCK,
        ShmCall::Shmctl { .. } => SHMCTL_OTHER,
        ShmCall::Read { .. } => SHM_READ,
        ShmCall::Write { .. } => SHM_WRITE,
        ShmCall::Sysctl { set: ShmSysctl::Shmmax(_) } => SHM_SYSCTL_SHMMAX,
        ShmCall::Sysctl { set: ShmSysctl::Shmmaxpgs(_) } => SHM_SYSCTL_SHMMAXPGS,
        ShmCall::Sysctl { set: ShmSysctl::Shmmni(_) } => SHM_SYSCTL_SHMMNI,
        ShmCall::Sysctl { set: ShmSysctl::Shmseg(_) } => SHM_SYSCTL_SHMSEG,
        ShmCall::Shmids => &[],
    }
}

// ---- POSIX semaphores (NetBSD uipc_sem.c) ------------------------------

/// `copyinstr` of a name into `SEM_MAX_NAMELEN + 1` bytes.
const COPYINSTR: Line = check(
    1,
    "copyinstr(name, SEM_MAX_NAMELEN + 1), else ENAMETOOLONG",
    "the name fits in SEM_MAX_NAMELEN bytes",
    &[(ENAMETOOLONG, "")],
);

/// `ksem_lookup_proc`: the caller's reference list.
const KSEM_LOOKUP: Line = check(
    1,
    "ksem_lookup_proc(id): in the caller's reference list, else EINVAL",
    "the caller holds a reference to the semaphore",
    &[(EINVAL, "holds no")],
);

/// `ksem_create`'s checks and its new semaphore, at `depth`.
const fn ksem_value(depth: u8) -> Line {
    check(
        depth,
        "value ≤ SEM_VALUE_MAX, else EINVAL",
        "the value is at most SEM_VALUE_MAX",
        &[(EINVAL, "SEM_VALUE_MAX")],
    )
}

const fn ksem_max(depth: u8) -> Line {
    check(depth, "nsems < SEM_MAX, else ENFILE", "the system has fewer than SEM_MAX semaphores", &[(ENFILE, "")])
}

const fn ksem_id(depth: u8) -> Line {
    step(
        depth,
        "id = ksem_counter, counting past ids in use and 0; ks_ref = 1",
        "made the semaphore with the next free id",
        psem_create,
    )
}

static SEM_OPEN: &[Line] = &[
    run(0, "sem_open(name, oflag, mode, value)", "sem_open"),
    COPYINSTR,
    run(1, "ksem_lookup_byname(name) — the list of named semaphores", "looked the name up"),
    branch(1, "found:", "found the name", psem_found),
    check(2, "O_EXCL → EEXIST", "O_EXCL did not ask for a new semaphore", &[(EEXIST, "")]),
    check(
        2,
        "ksem_perm: S_IWUSR for its creator's euid, S_IWGRP for its egid, S_IWOTH, or privilege",
        "the mode grants the caller a write bit",
        &[(EPERM, "")],
    ),
    step(2, "ksem_addref; ksem_add_proc", "gave the caller one more reference", psem_ref),
    branch(1, "not found:", "did not find the name", psem_missing),
    check(2, "no O_CREAT → ENOENT", "O_CREAT was given", &[(ENOENT, "")]),
    run(2, "ksem_create(name, mode, value):", "made a new named semaphore"),
    ksem_value(3),
    check(
        3,
        "name: '/' first, at least 2 bytes, no other '/', else EINVAL",
        "the name is well formed",
        &[(EINVAL, "not a semaphore name")],
    ),
    ksem_max(3),
    ksem_id(3),
    step(2, "LIST_INSERT_HEAD(ksem_head); ksem_add_proc", "named it and gave the caller its reference", psem_ref),
];

static SEM_INIT: &[Line] = &[
    run(0, "sem_init(sem, pshared, value)", "sem_init"),
    run(1, "ksem_create(NULL, mode 0, value):", "made a new anonymous semaphore"),
    ksem_value(2),
    ksem_max(2),
    ksem_id(2),
    step(1, "ksem_add_proc", "gave the caller its reference", psem_ref),
];

static SEM_CLOSE: &[Line] = &[
    run(0, "sem_close(id)", "sem_close"),
    KSEM_LOOKUP,
    check(
        1,
        "ks_name ≠ NULL (named, not unlinked), else EINVAL",
        "the semaphore has a name",
        &[(EINVAL, "named semaphores only")],
    ),
    step(
        1,
        "ksem_drop_proc: the first entry for id leaves the list; ksem_delref",
        "dropped one of the caller's references",
        psem_unref,
    ),
];

static SEM_UNLINK: &[Line] = &[
    run(0, "sem_unlink(name)", "sem_unlink"),
    COPYINSTR,
    check(
        1,
        "ksem_lookup_byname(name), else ENOENT — no permission check",
        "a semaphore has the name",
        &[(ENOENT, "")],
    ),
    step(1, "LIST_REMOVE; ks_name = NULL", "took the name away", psem_unlink),
    step(1, "ks_ref == 0 → ksem_free", "freed the semaphore nobody held", psem_free),
];

static SEM_DESTROY: &[Line] = &[
    run(0, "sem_destroy(id)", "sem_destroy"),
    KSEM_LOOKUP,
    check(
        1,
        "ks_name == NULL (anonymous, or unlinked), else EINVAL",
        "the semaphore has no name",
        &[(EINVAL, "takes unnamed")],
    ),
    check(1, "ks_waiters == 0, else EBUSY", "nobody waits on it", &[(EBUSY, "wait on semaphore")]),
    step(1, "ksem_drop_proc: the caller's reference goes", "dropped the caller's reference", psem_unref),
    step(2, "ks_ref == 0 → ksem_free", "freed the semaphore", psem_free),
];

static SEM_POST: &[Line] = &[
    run(0, "sem_post(id)", "sem_post"),
    KSEM_LOOKUP,
    check(1, "ks_value < SEM_VALUE_MAX, else EOVERFLOW", "the value is below SEM_VALUE_MAX", &[(EOVERFLOW, "")]),
    step(1, "ks_value++", "raised the value", psem_value),
    step(
        1,
        "ks_waiters > 0 → the oldest waiter takes it (ks_value--)",
        "handed the value to the oldest waiter",
        psem_handoff,
    ),
    wake(2, "wakeup: it returns 0; the others stay asleep", "it woke the oldest waiter"),
];

/// sem_wait, sem_trywait, sem_timedwait: the lookup, then a value to
/// take, or what the call does when it finds 0 (`$zero`: its checks and
/// its park).
macro_rules! ksem_wait_path {
    ($head:literal, $words:literal, [$($zero:expr),* $(,)?]) => {
        &[
            run(0, $head, $words),
            KSEM_LOOKUP,
            branch(1, "ks_value > 0:", "the value was above 0", succeeded),
            step(2, "ks_value--; return 0", "took one from the value", psem_value),
            branch(1, "ks_value == 0:", "the value was 0", not_succeeded),
            $($zero,)*
        ]
    };
}

static SEM_WAIT: &[Line] = ksem_wait_path!(
    "sem_wait(id)",
    "sem_wait",
    [park(
        2,
        "ksem_addref; ks_waiters++; ltsleep(ks, PCATCH) until a sem_post hands it the value, or EINTR",
        "the waiter parked"
    )]
);

static SEM_TRYWAIT: &[Line] = ksem_wait_path!(
    "sem_trywait(id)",
    "sem_trywait",
    [check(2, "sem_trywait → EAGAIN", "the call may wait", &[(EAGAIN, "")])]
);

static SEM_TIMEDWAIT: &[Line] = ksem_wait_path!(
    "sem_timedwait(id, abstime)",
    "sem_timedwait",
    [
        check(2, "0 ≤ abstime.tv_nsec < 10^9, else EINVAL", "the deadline is a valid timespec", &[(EINVAL, "nsec")]),
        check(2, "abstime after now, else ETIMEDOUT", "the deadline is still ahead", &[(ETIMEDOUT, "")]),
        park(
            2,
            "ksem_addref; ks_waiters++; ltsleep(ks, PCATCH, abstime) until a sem_post hands it the value, EINTR or the deadline (ETIMEDOUT)",
            "the waiter parked"
        ),
    ]
);

static SEM_GETVALUE: &[Line] =
    &[run(0, "sem_getvalue(id)", "sem_getvalue"), KSEM_LOOKUP, run(1, "copyout(ks_value)", "copied the value out")];

pub(super) fn psem(c: &PsemCall) -> &'static [Line] {
    match c {
        PsemCall::Open { .. } => SEM_OPEN,
        PsemCall::Init { .. } => SEM_INIT,
        PsemCall::Close { .. } => SEM_CLOSE,
        PsemCall::Unlink { .. } => SEM_UNLINK,
        PsemCall::Destroy { .. } => SEM_DESTROY,
        PsemCall::Post { .. } => SEM_POST,
        PsemCall::Wait { .. } => SEM_WAIT,
        PsemCall::TryWait { .. } => SEM_TRYWAIT,
        PsemCall::TimedWait { .. } => SEM_TIMEDWAIT,
        PsemCall::GetValue { .. } => SEM_GETVALUE,
    }
}

// ---- file descriptors and pipes (illumos fifofs) -----------------------

static PIPE: &[Line] = &[
    run(0, "pipe(fds)", "pipe"),
    check(1, "two free fds below RLIMIT_NOFILE, else EMFILE", "the caller has two free fds", &[(EMFILE, "")]),
    run(1, "fifo pair: a PIPE_BUF buffer, a read end and a write end", "made the pipe and its two open files"),
    run(1, "fds[0] = the lowest free fd (read end), fds[1] = the next (write end)", "installed both ends"),
];

static READ: &[Line] = &[
    run(0, "read(fd, buf, len)", "read"),
    check(1, "getf(fd): an open read end, else EBADF", "the fd is open for reading", &[(EBADF, "")]),
    branch(1, "len == 0 → return 0", "nothing was asked", read_nothing),
    branch(1, "data buffered:", "the pipe held data", read_data),
    step(2, "take up to len bytes, oldest first", "took bytes off the pipe", fd_moved_out),
    wake(
        2,
        "fd_serve_writers, pollwakeup: complete parked writers that now fit, and port getters",
        "it woke writers that now fit or port getters",
    ),
    branch(1, "empty, no writer left → return 0 (end of file)", "the pipe was empty with no writer", read_eof),
    branch(1, "empty, a writer left:", "the pipe was empty", fd_must_wait),
    check(2, "O_NONBLOCK → EAGAIN", "waiting was allowed", &[(EAGAIN, "")]),
    park(2, "cv_wait_sig(rwait) until data, end of file or EINTR", "the reader parked"),
];

static WRITE: &[Line] = &[
    run(0, "write(fd, buf, len)", "write"),
    check(1, "getf(fd): an open write end, else EBADF", "the fd is open for writing", &[(EBADF, "")]),
    check(1, "a reader left, else EPIPE (no SIGPIPE here)", "the pipe has a reader", &[(EPIPE, "")]),
    branch(1, "len == 0 → return 0", "nothing was to be written", write_nothing),
    step(
        1,
        "no writer parked ahead: all of a write ≤ PIPE_BUF that fits, or the room there is of a longer one",
        "put bytes into the pipe",
        fd_moved_in,
    ),
    wake(
        2,
        "fd_serve_readers, pollwakeup: complete parked readers, and port getters",
        "it woke readers or port getters",
    ),
    branch(1, "the rest must wait:", "not all of it could go in now", fd_must_wait),
    check(2, "O_NONBLOCK (nothing written) → EAGAIN", "waiting was allowed", &[(EAGAIN, "")]),
    park(2, "cv_wait_sig(wwait) until the rest fits, EPIPE or EINTR", "the writer parked"),
];

static CLOSE: &[Line] = &[
    run(0, "close(fd)", "close"),
    check(1, "getf(fd): open, else EBADF", "the fd is open", &[(EBADF, "")]),
    run(1, "free the slot; f_count--", "freed the fd"),
    run(1, "port_close_fd: the caller's associations of fd go", "dropped the caller's associations of the fd"),
    step(1, "f_count == 0 → closef:", "closed the last reference to the open file", fd_closed),
    step(
        2,
        "a port: port_close — getters → EBADFD; events, associations, timers go",
        "destroyed the port",
        port_destroyed,
    ),
    branch(
        2,
        "a pipe end: the last reader fails parked writers (EPIPE), the last writer ends parked reads (end of file); pollwakeup",
        "closed a pipe end",
        closed_pipe_end,
    ),
    wake(2, "complete those parked threads, and getters whose association fired", "it woke parked threads"),
];

pub(super) fn fd(c: &FdCall) -> &'static [Line] {
    match c {
        FdCall::Pipe => PIPE,
        FdCall::Read { .. } => READ,
        FdCall::Write { .. } => WRITE,
        FdCall::Close { .. } => CLOSE,
    }
}

// ---- event ports (illumos port.c, port_fd.c) ---------------------------

/// The port fd every call but port_create and port_sendn starts with.
const PORT_GETF: Line = check(1, "getf(port), else EBADF", "the port fd is open", &[(EBADF, "")]);
const PORT_VPORT: Line =
    check(1, "a port (VPORT), else EBADFD", "the fd is an event port", &[(EBADFD, "not an event port")]);
/// `port_alloc_event`: an event slot.
const PORT_ALLOC: Line = check(
    1,
    "port_alloc_event: port_curr < port_max_events, else EAGAIN",
    "the port has a free event slot",
    &[(EAGAIN, "")],
);
/// The object of an FD association.
const PORT_FD_NUMBER: Line =
    check(1, "object ≤ INT_MAX, else EBADFD", "the object is an fd number", &[(EBADFD, "INT_MAX")]);
const PORT_FD_OPEN: Line = check(
    1,
    "getf(object): an open fd of the caller, else EBADFD",
    "the object is an open fd of the caller",
    &[(EBADFD, "not an open fd")],
);
const PORT_SOURCE_FD: Line =
    check(1, "source == PORT_SOURCE_FD, else EINVAL", "the source is PORT_SOURCE_FD", &[(EINVAL, "")]);
/// A timer of the caller's process.
const TIMER_OWNER: Line = check(
    1,
    "a timer of the caller's process, else EINVAL",
    "the caller's process owns the timer",
    &[(EINVAL, "has no timer")],
);

static PORT_CREATE: &[Line] = &[
    run(0, "port_create()", "port_create"),
    check(
        1,
        "ports in the system < project.max-port-ids, else EAGAIN",
        "the system is under project.max-port-ids",
        &[(EAGAIN, "")],
    ),
    check(1, "falloc: a free fd, else EMFILE", "the caller has a free fd", &[(EMFILE, "")]),
    run(1, "port_t: an empty queue; port_max_events = process.max-port-events", "made the port and its fd"),
];

static PORT_SEND: &[Line] = &[
    run(0, "port_send(port, events, user)", "port_send"),
    PORT_GETF,
    PORT_VPORT,
    PORT_ALLOC,
    step(1, "port_send_event: a PORT_SOURCE_USER event joins the queue", "queued a user event", port_queued),
    wake(2, "port_wake: the head getter, if the queue holds its nget", "it woke the head getter"),
];

static PORT_SENDN: &[Line] = &[
    run(0, "port_sendn(ports, errors, nent, events, user)", "port_sendn"),
    check(1, "1 ≤ nent ≤ PORT_MAX_LIST, else EINVAL", "nent is between 1 and PORT_MAX_LIST", &[(EINVAL, "")]),
    run(
        1,
        "for each port: getf (EBADF), a port (EBADFD), port_alloc_event (EAGAIN) → errors[i], and on",
        "tried every port, noting each failure",
    ),
    step(2, "port_send_event: a USER event joins its queue", "queued the event on the ports that took it", port_queued),
    wake(2, "port_wake: each port's head getter, if its nget are queued", "it woke head getters"),
];

static PORT_ALERT: &[Line] = &[
    run(0, "port_alert(port, flags, events, user)", "port_alert"),
    PORT_GETF,
    PORT_VPORT,
    branch(1, "events == 0 → port_remove_alert:", "the alert was to be cleared", alert_clear),
    step(2, "leave alert mode", "left alert mode", port_alert_off),
    branch(1, "events ≠ 0:", "an alert was asked", alert_set),
    check(2, "flags not SET and UPDATE at once, else EINVAL", "the flags are SET or UPDATE", &[(EINVAL, "")]),
    check(2, "PORT_ALERT_UPDATE in alert mode → EBUSY", "the alert may be set", &[(EBUSY, "already in alert mode")]),
    step(2, "set the alert, owned by the caller's process", "put the port in alert mode", port_alert_on),
    wake(3, "every parked getter returns the alert event", "it woke every parked getter with the alert"),
];

static PORT_ASSOCIATE: &[Line] = &[
    run(0, "port_associate(port, source, object, events, user)", "port_associate"),
    PORT_GETF,
    PORT_VPORT,
    PORT_SOURCE_FD,
    PORT_FD_NUMBER,
    PORT_FD_OPEN,
    check(
        1,
        "a new association: port_alloc_event, port_curr < port_max_events, else EAGAIN",
        "a new association has an event slot",
        &[(EAGAIN, "")],
    ),
    step(
        1,
        "an existing one: discard its queued event; new events and user value",
        "discarded the association's queued event",
        port_discarded,
    ),
    step(1, "arm it and poll the fd now: ready → the event fires (one-shot)", "the fd was ready: it fired", port_fired),
    wake(2, "port_wake: the head getter, if the queue holds its nget", "it woke the head getter"),
];

static PORT_DISSOCIATE: &[Line] = &[
    run(0, "port_dissociate(port, source, object)", "port_dissociate"),
    PORT_GETF,
    PORT_VPORT,
    PORT_SOURCE_FD,
    PORT_FD_NUMBER,
    check(
        1,
        "pcp->pc_hash: the fd cache exists (made by the first port_associate, freed at the last close), else ENOENT",
        "the port has an fd cache",
        &[(ENOENT, "no fd cache")],
    ),
    PORT_FD_OPEN,
    check(
        1,
        "an association of this fd and open file, else ENOENT",
        "the fd is associated with the port",
        &[(ENOENT, "is not associated")],
    ),
    check(
        1,
        "owned by the caller's process, else EACCES",
        "the caller's process owns the association",
        &[(EACCES, "")],
    ),
    run(1, "port_remove_fd_object: it goes, its queued event discarded, its slot freed", "removed the association"),
    check(
        1,
        "it had fired and been retrieved → ENOENT",
        "the association was armed or its event queued",
        &[(ENOENT, "had fired")],
    ),
];

/// port_get and port_getn after the port fd: `$args` are port_getn's
/// own tests of max and nget (port_get has max = nget = 1).
macro_rules! port_get_path {
    ($head:literal, $words:literal, [$($args:expr),* $(,)?]) => {
        &[
            run(0, $head, $words),
            PORT_GETF,
            PORT_VPORT,
            $($args,)*
            branch(1, "alert mode → the alert event, nothing consumed", "the port was in alert mode", get_alert),
            branch(1, "nget events queued:", "enough events were queued", get_enough),
            step(
                2,
                "port_get_kevent: up to max events the caller may see, in queue order",
                "took the events the caller may see",
                port_delivered,
            ),
            branch(1, "fewer than nget:", "fewer events were queued", get_fewer),
            check(2, "timeout NULL or a valid timespec, else EINVAL", "the timeout is valid", &[(EINVAL, "timespec")]),
            branch(2, "{0, 0} → port_get_kevent: what is there, maybe nothing", "polled what was there", get_polled),
            park(
                2,
                "cv_waituntil_sig(port_cv), queued by port_queue_thread (by nget), until nget are queued, the timeout (ETIME), close (EBADFD) or EINTR",
                "the getter parked",
            ),
        ]
    };
}

static PORT_GET: &[Line] = port_get_path!("port_get(port, pe, timeout)", "port_get", []);

static PORT_GETN: &[Line] = port_get_path!(
    "port_getn(port, list, max, nget, timeout)",
    "port_getn",
    [
        check(1, "max > 0: nget ≤ max, else EINVAL", "nget is at most max", &[(EINVAL, "more than max")]),
        branch(1, "max == 0 → return the number of queued events", "only the count was asked", get_count),
        branch(1, "nget == 0 → return no event", "no event was asked", get_none),
    ]
);

static TIMER_CREATE: &[Line] = &[
    run(0, "timer_create(clock, SIGEV_PORT {port, user})", "timer_create"),
    PORT_GETF,
    PORT_VPORT,
    PORT_ALLOC,
    run(1, "a timer with an id unique in the kernel, owned by the caller's process", "made the timer"),
];

static TIMER_SETTIME: &[Line] = &[
    run(0, "timer_settime(timer, value, interval)", "timer_settime"),
    TIMER_OWNER,
    check(
        1,
        "now + value within the logical clock, else EINVAL",
        "the expiry is within the clock",
        &[(EINVAL, "past the end")],
    ),
    run(1, "expire at now + value (0 disarms); interval 0 is one-shot", "armed or disarmed the timer"),
];

static TIMER_DELETE: &[Line] = &[
    run(0, "timer_delete(timer)", "timer_delete"),
    TIMER_OWNER,
    run(1, "its queued event discarded, its event slot freed", "deleted the timer"),
];

pub(super) fn port(c: &PortCall) -> &'static [Line] {
    match c {
        PortCall::Create => PORT_CREATE,
        PortCall::Send { .. } => PORT_SEND,
        PortCall::Sendn { .. } => PORT_SENDN,
        PortCall::Alert { .. } => PORT_ALERT,
        PortCall::Associate { .. } => PORT_ASSOCIATE,
        PortCall::Dissociate { .. } => PORT_DISSOCIATE,
        PortCall::Get { .. } => PORT_GET,
        PortCall::Getn { .. } => PORT_GETN,
        PortCall::TimerCreate { .. } => TIMER_CREATE,
        PortCall::TimerSettime { .. } => TIMER_SETTIME,
        PortCall::TimerDelete { .. } => TIMER_DELETE,
    }
}
