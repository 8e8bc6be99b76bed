//! # ipc-component: the kernel as a WebAssembly component
//!
//! A thin adapter from the WIT world `ipclab:ipc/kernel` (`wit/ipc.wit`) to
//! [`ipc_core`].  It holds no kernel logic: every export converts its
//! arguments to core types, makes exactly one call on an
//! [`ipc_core::Kernel`] (`batch`: one per operation, in order, stopping at
//! the first that parks), and converts the answer back.  The core's events
//! are typed data; this adapter puts them into words (`call`, `args`,
//! `text`) only when `events` is called.
//!
//! ## Handles and kernel state
//! * A `kernel` resource owns an `Rc<RefCell<Kernel>>`.
//! * A `process` handle is that `Rc` plus a pid; a `thread` handle is the
//!   `Rc` plus a tid (and the pid it belonged to).  Handles only *name*
//!   kernel state by number: the kernel decides, at each call, whether the
//!   process or thread still exists, and answers `esrch` if not.  So a
//!   handle outliving its process, a `restore` that replaced the state
//!   underneath it, or a dropped `kernel` handle (the `Rc` keeps the state
//!   alive for the remaining handles) all give errnos, never stale memory.
//! * `main-thread` of an exited process is a thread handle with tid 0, a
//!   tid the kernel never assigns, so every call through it is `esrch`.
//! * A `checkpoint` owns a clone of a kernel's whole state.  `rewind`
//!   clones it back without the checks `restore` runs on a snapshot: the
//!   component made it, so it is a state the kernel reached (and no caller
//!   can forge or edit one).
//!
//! ## Why nothing may trap
//! A trap (a Rust panic here, since the component is built with
//! `panic = "abort"`) poisons the whole component instance: every kernel,
//! process and thread in it is lost.  Hence no caller value reaches an
//! `unwrap`, an `expect`, an index or unchecked arithmetic here; the
//! `RefCell` is borrowed for exactly one kernel call at a time (the kernel
//! never calls back, so no borrow is ever held across a re-borrow);
//! configurations are validated ([`ipc_core::Config::validate`], plus caps
//! on sizes that allocate up front) before a kernel exists; a snapshot is
//! parsed, validated and checked ([`ipc_core::Kernel::check`]) before it
//! replaces anything; and the errno conversions are total `match`es.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ipc_core::fd::{FdLimits as CFdLimits, FdReply};
use ipc_core::inspect::log::{EventView, OutcomeView, StepKind as CStepKind, StepView, WakeupView};
use ipc_core::inspect::{
    KeyNodeView as CKeyNode, NamespaceView as CNamespaceView, ProcessView as CProcessView, SlotView as CSlotView,
    ThreadStateView as CThreadState, WaiterView as CWaiterView,
};
use ipc_core::msg::view::{MessageView as CMessageView, MsgQueueView as CMsgQueueView};
use ipc_core::msg::{
    MsgLimits as CMsgLimits, MsgReply, MsgctlReply, MsqSet, MsqidDs as CMsqidDs, Received as CReceived,
};
use ipc_core::namespace::avl::RotationKind;
use ipc_core::namespace::{Facility as CFacility, IdSpace, IpcPerm as CIpcPerm};
use ipc_core::port::{PortLimits as CPortLimits, PortReply};
use ipc_core::psem::{PsemLimits as CPsemLimits, PsemReply};
use ipc_core::sem::view::{SemSetView as CSemSetView, SemWaiterView as CSemWaiterView};
use ipc_core::sem::{
    SemArg as CSemArg, SemBuf as CSemBuf, SemGet, SemLimits as CSemLimits, SemReply, SemSetPerm as CSemSetPerm,
    SemctlReply as CSemctlReply, SemidDs as CSemidDs,
};
use ipc_core::shm::ShmLimits as CShmLimits;
use ipc_core::{
    Completion as CCompletion, Config as CConfig, Credentials as CCredentials, Errno as CErrno, Kernel as CKernel,
    Outcome, Reply as CReply,
};

wit_bindgen::generate!({ world: "kernel", path: "../wit" });

mod port;
mod psem;
mod shm;

use exports::ipclab::ipc::inspect::{
    self, BlockedView, Explanation, FdTableView, FinishedView, KeyNode, MessageView, MsgQueueView, NamespaceView,
    PathLine, PathMark, PipeView, PortView, ProcessView, PsemTableView, RemovedObject, SemSetView, SemView,
    SemWaiterView, ShmTableView, SlotView, ThreadState, ThreadView, UndoView, WaitFor, WaiterView,
};
use exports::ipclab::ipc::msg::{self, Op, OpResult, RecvOutcome, SendOutcome};
use exports::ipclab::ipc::sem::{self, SemctlArg, SemctlReply, Semop1Outcome, SemopOutcome};
use exports::ipclab::ipc::system::{
    self, Completion, Config, Event, EventOutcome, FdLimits, GuestKernel, GuestProcess, GuestThread, MsgLimits,
    PortLimits, PsemLimits, Reply, Rotation, RotationKind as WRotationKind, SemLimits, ShmLimits, Step, StepKind,
    Wakeup,
};
use exports::ipclab::ipc::types::{
    Credentials, Errno, Facility, IpcPerm, MsqidDs, MsqidSet, Received, Sembuf, SemidDs, SemidSet,
};

/// Largest `event-capacity` a `create` accepts: the log is a ring that
/// grows to this many events, so a hostile value must not reserve gigabytes.
const MAX_EVENT_CAPACITY: u32 = 65_536;
/// Largest `ids-min` a `create` accepts: the slot table is allocated at
/// this size up front.
const MAX_IDS_MIN: u32 = 65_536;
/// Most operations one `batch` call accepts (E2BIG beyond).
const MAX_BATCH: usize = 65_536;
/// A tid the kernel never assigns (tids start at 1): calls through it are ESRCH.
const NO_TID: u32 = 0;

type Shared = Rc<RefCell<CKernel>>;

pub(crate) struct Component;

export!(Component);

// ----- errno, both ways -----

pub(crate) fn errno(e: CErrno) -> Errno {
    match e {
        CErrno::EPERM => Errno::Eperm,
        CErrno::ENOENT => Errno::Enoent,
        CErrno::ESRCH => Errno::Esrch,
        CErrno::EINTR => Errno::Eintr,
        CErrno::EIO => Errno::Eio,
        CErrno::EBADF => Errno::Ebadf,
        CErrno::EPIPE => Errno::Epipe,
        CErrno::ETIME => Errno::Etime,
        CErrno::EBADFD => Errno::Ebadfd,
        CErrno::E2BIG => Errno::E2big,
        CErrno::EAGAIN => Errno::Eagain,
        CErrno::ENOMEM => Errno::Enomem,
        CErrno::EACCES => Errno::Eacces,
        CErrno::EFAULT => Errno::Efault,
        CErrno::EBUSY => Errno::Ebusy,
        CErrno::EEXIST => Errno::Eexist,
        CErrno::EINVAL => Errno::Einval,
        CErrno::ENFILE => Errno::Enfile,
        CErrno::EMFILE => Errno::Emfile,
        CErrno::EFBIG => Errno::Efbig,
        CErrno::ENOSPC => Errno::Enospc,
        CErrno::ERANGE => Errno::Erange,
        CErrno::ENOMSG => Errno::Enomsg,
        CErrno::EIDRM => Errno::Eidrm,
        CErrno::EDEADLK => Errno::Edeadlk,
        CErrno::ENAMETOOLONG => Errno::Enametoolong,
        CErrno::EOVERFLOW => Errno::Eoverflow,
        CErrno::ETIMEDOUT => Errno::Etimedout,
    }
}

/// The inverse of [`errno`]; kept total so the two cannot drift apart silently.
#[allow(dead_code)]
fn core_errno(e: Errno) -> CErrno {
    match e {
        Errno::Eperm => CErrno::EPERM,
        Errno::Enoent => CErrno::ENOENT,
        Errno::Esrch => CErrno::ESRCH,
        Errno::Eintr => CErrno::EINTR,
        Errno::Eio => CErrno::EIO,
        Errno::Ebadf => CErrno::EBADF,
        Errno::Epipe => CErrno::EPIPE,
        Errno::Etime => CErrno::ETIME,
        Errno::Ebadfd => CErrno::EBADFD,
        Errno::E2big => CErrno::E2BIG,
        Errno::Eagain => CErrno::EAGAIN,
        Errno::Enomem => CErrno::ENOMEM,
        Errno::Eacces => CErrno::EACCES,
        Errno::Efault => CErrno::EFAULT,
        Errno::Ebusy => CErrno::EBUSY,
        Errno::Eexist => CErrno::EEXIST,
        Errno::Einval => CErrno::EINVAL,
        Errno::Enfile => CErrno::ENFILE,
        Errno::Emfile => CErrno::EMFILE,
        Errno::Efbig => CErrno::EFBIG,
        Errno::Enospc => CErrno::ENOSPC,
        Errno::Erange => CErrno::ERANGE,
        Errno::Enomsg => CErrno::ENOMSG,
        Errno::Eidrm => CErrno::EIDRM,
        Errno::Edeadlk => CErrno::EDEADLK,
        Errno::Enametoolong => CErrno::ENAMETOOLONG,
        Errno::Eoverflow => CErrno::EOVERFLOW,
        Errno::Etimedout => CErrno::ETIMEDOUT,
    }
}

pub(crate) fn err<T>(r: Result<T, CErrno>) -> Result<T, Errno> {
    r.map_err(errno)
}

// ----- plain records -----

fn facility(f: CFacility) -> Facility {
    match f {
        CFacility::Msg => Facility::Msg,
        CFacility::Sem => Facility::Sem,
        CFacility::Shm => Facility::Shm,
    }
}

fn core_facility(f: Facility) -> CFacility {
    match f {
        Facility::Msg => CFacility::Msg,
        Facility::Sem => CFacility::Sem,
        Facility::Shm => CFacility::Shm,
    }
}

fn config(c: &CConfig) -> Config {
    let m = &c.msg;
    Config {
        seq_bits: c.ids.seq_bits,
        ids_min: c.ids.ids_min,
        msg: MsgLimits {
            max_message_bytes: m.max_message_bytes,
            max_queue_bytes: m.max_queue_bytes,
            max_queue_messages: m.max_queue_messages,
            max_queues: m.max_queues,
        },
        sem: SemLimits {
            max_nsems: c.sem.max_nsems,
            max_ops: c.sem.max_ops,
            value_max: c.sem.value_max,
            max_sets: c.sem.max_sets,
        },
        psem: PsemLimits { max_sems: c.psem.max_sems, value_max: c.psem.value_max },
        shm: ShmLimits {
            shmmax: c.shm.shmmax,
            shmmin: c.shm.shmmin,
            shmmni: c.shm.shmmni,
            shmseg: c.shm.shmseg,
            shmall: c.shm.shmall,
        },
        fd: FdLimits { max_fds: c.fd.max_fds, pipe_buf: c.fd.pipe_buf },
        port: PortLimits { max_events: c.port.max_events, max_ports: c.port.max_ports },
        // The default (and every accepted configuration) fits in u32.
        event_capacity: u32::try_from(c.event_capacity).unwrap_or(u32::MAX),
    }
}

/// A WIT configuration as a core one: EINVAL if out of the caps or inconsistent.
fn core_config(c: &Config) -> Result<CConfig, CErrno> {
    if c.event_capacity > MAX_EVENT_CAPACITY || c.ids_min > MAX_IDS_MIN {
        return Err(CErrno::EINVAL);
    }
    let m = &c.msg;
    let cfg = CConfig {
        ids: IdSpace { seq_bits: c.seq_bits, ids_min: c.ids_min },
        msg: CMsgLimits {
            max_message_bytes: m.max_message_bytes,
            max_queue_bytes: m.max_queue_bytes,
            max_queue_messages: m.max_queue_messages,
            max_queues: m.max_queues,
        },
        sem: CSemLimits {
            max_nsems: c.sem.max_nsems,
            max_ops: c.sem.max_ops,
            value_max: c.sem.value_max,
            max_sets: c.sem.max_sets,
        },
        psem: CPsemLimits { max_sems: c.psem.max_sems, value_max: c.psem.value_max },
        shm: CShmLimits {
            shmmax: c.shm.shmmax,
            shmmin: c.shm.shmmin,
            shmmni: c.shm.shmmni,
            shmseg: c.shm.shmseg,
            shmall: c.shm.shmall,
        },
        fd: CFdLimits { max_fds: c.fd.max_fds, pipe_buf: c.fd.pipe_buf },
        port: CPortLimits { max_events: c.port.max_events, max_ports: c.port.max_ports },
        event_capacity: usize::try_from(c.event_capacity).map_err(|_| CErrno::EINVAL)?,
    };
    cfg.validate()?;
    Ok(cfg)
}

/// The same caps for a configuration read back from a snapshot.
fn config_ok(c: &CConfig) -> bool {
    c.validate().is_ok()
        && c.ids.ids_min <= MAX_IDS_MIN
        && u32::try_from(c.event_capacity).is_ok_and(|n| n <= MAX_EVENT_CAPACITY)
}

fn credentials(c: Credentials) -> CCredentials {
    CCredentials { ruid: c.ruid, euid: c.euid, rgid: c.rgid, egid: c.egid, groups: c.groups, privileged: c.privileged }
}

pub(crate) fn ipc_perm(p: CIpcPerm) -> IpcPerm {
    IpcPerm {
        uid: p.uid,
        gid: p.gid,
        cuid: p.cuid,
        cgid: p.cgid,
        mode: p.mode,
        key: p.key,
        zone: p.zone,
        project: p.project,
    }
}

fn msqid_ds(d: CMsqidDs) -> MsqidDs {
    MsqidDs {
        perm: ipc_perm(d.perm),
        cbytes: d.cbytes,
        qnum: d.qnum,
        qbytes: d.qbytes,
        qmax: d.qmax,
        lspid: d.lspid,
        lrpid: d.lrpid,
        stime: d.stime,
        rtime: d.rtime,
        ctime: d.ctime,
    }
}

fn msq_set(s: MsqidSet) -> MsqSet {
    MsqSet { uid: s.uid, gid: s.gid, mode: s.mode, qbytes: s.qbytes }
}

fn received(r: CReceived) -> Received {
    Received { mtype: r.mtype, data: r.data }
}

/// A completed parked call's reply as the WIT `reply`.
fn reply(r: CReply) -> Reply {
    match r {
        CReply::Msg(MsgReply::Sent) => Reply::None,
        CReply::Msg(MsgReply::Received(m)) => Reply::Message(received(m)),
        CReply::Sem(SemReply::Done) => Reply::None,
        CReply::Psem(PsemReply::Acquired) => Reply::None,
        CReply::Fd(FdReply::Read(b)) => Reply::Bytes(b),
        CReply::Fd(FdReply::Wrote(n)) => Reply::Count(n),
        CReply::Port(PortReply::Events { events, etime }) => Reply::PortEvents(port::port_got(events, etime)),
    }
}

fn msgctl_reply(r: MsgctlReply) -> Reply {
    match r {
        MsgctlReply::Stat(d) => Reply::MsqStat(msqid_ds(d)),
        MsgctlReply::Done => Reply::None,
    }
}

fn completion(c: CCompletion) -> Completion {
    Completion { call: c.call().to_string(), result: c.result.map(reply).map_err(errno) }
}

fn sembuf(b: &Sembuf) -> CSemBuf {
    CSemBuf { sem_num: b.sem_num, sem_op: b.sem_op, sem_flg: b.sem_flg }
}

/// Runs `f` on `sops` as core operations; short arrays (the common case)
/// are converted on the stack.
fn with_sembufs<R>(sops: &[Sembuf], f: impl FnOnce(&[CSemBuf]) -> R) -> R {
    let mut small = [CSemBuf { sem_num: 0, sem_op: 0, sem_flg: 0 }; 8];
    if sops.len() <= small.len() {
        for (dst, src) in small.iter_mut().zip(sops) {
            *dst = sembuf(src);
        }
        f(&small[..sops.len()])
    } else {
        f(&sops.iter().map(sembuf).collect::<Vec<_>>())
    }
}

fn wit_sembuf(b: &CSemBuf) -> Sembuf {
    Sembuf { sem_num: b.sem_num, sem_op: b.sem_op, sem_flg: b.sem_flg }
}

fn semid_ds(d: CSemidDs) -> SemidDs {
    SemidDs { perm: ipc_perm(d.perm), nsems: d.nsems, otime: d.otime, ctime: d.ctime }
}

fn semid_set(s: SemidSet) -> CSemSetPerm {
    CSemSetPerm { uid: s.uid, gid: s.gid, mode: s.mode }
}

// ----- events: typed in the core, put into words here -----

fn event_outcome(o: &OutcomeView) -> EventOutcome {
    match o {
        OutcomeView::Ok(v) => EventOutcome::Ok(v.clone()),
        OutcomeView::Failed(e) => EventOutcome::Failed(errno(*e)),
        OutcomeView::Blocked(reason) => EventOutcome::Blocked(reason.clone()),
    }
}

fn wakeup(w: &WakeupView) -> Wakeup {
    Wakeup { tid: w.tid, pid: w.pid, call: w.call.clone(), outcome: event_outcome(&w.outcome) }
}

/// The WIT's name for a step kind (the same list, in the same order).
fn step_kind(k: CStepKind) -> StepKind {
    match k {
        CStepKind::KeyLookup => StepKind::KeyLookup,
        CStepKind::RctlDeny => StepKind::RctlDeny,
        CStepKind::TableGrow => StepKind::TableGrow,
        CStepKind::SlotAlloc => StepKind::SlotAlloc,
        CStepKind::AvlInsert => StepKind::AvlInsert,
        CStepKind::AvlRemove => StepKind::AvlRemove,
        CStepKind::SlotRelease => StepKind::SlotRelease,
        CStepKind::Hold => StepKind::Hold,
        CStepKind::Rele => StepKind::Rele,
        CStepKind::Destroy => StepKind::Destroy,
        CStepKind::Park => StepKind::Park,
        CStepKind::MsgEnqueue => StepKind::MsgEnqueue,
        CStepKind::MsgDequeue => StepKind::MsgDequeue,
        CStepKind::SemApply => StepKind::SemApply,
        CStepKind::SemSet => StepKind::SemSet,
        CStepKind::SemUndo => StepKind::SemUndo,
        CStepKind::PsemCreate => StepKind::PsemCreate,
        CStepKind::PsemRef => StepKind::PsemRef,
        CStepKind::PsemUnref => StepKind::PsemUnref,
        CStepKind::PsemUnlink => StepKind::PsemUnlink,
        CStepKind::PsemFree => StepKind::PsemFree,
        CStepKind::PsemValue => StepKind::PsemValue,
        CStepKind::PsemHandoff => StepKind::PsemHandoff,
        CStepKind::ShmAlloc => StepKind::ShmAlloc,
        CStepKind::ShmAttach => StepKind::ShmAttach,
        CStepKind::ShmDetach => StepKind::ShmDetach,
        CStepKind::ShmDeferred => StepKind::ShmDeferred,
        CStepKind::ShmFree => StepKind::ShmFree,
        CStepKind::ShmStore => StepKind::ShmStore,
        CStepKind::ShmWire => StepKind::ShmWire,
        CStepKind::FdMoved => StepKind::FdMoved,
        CStepKind::FdClosed => StepKind::FdClosed,
        CStepKind::PortQueued => StepKind::PortQueued,
        CStepKind::PortFired => StepKind::PortFired,
        CStepKind::PortDelivered => StepKind::PortDelivered,
        CStepKind::PortDiscarded => StepKind::PortDiscarded,
        CStepKind::PortAlert => StepKind::PortAlert,
        CStepKind::PortDestroyed => StepKind::PortDestroyed,
        CStepKind::PortExpired => StepKind::PortExpired,
        CStepKind::Denied => StepKind::Denied,
    }
}

fn rotation_kind(k: RotationKind) -> WRotationKind {
    match k {
        RotationKind::Left => WRotationKind::Left,
        RotationKind::Right => WRotationKind::Right,
        RotationKind::LeftRight => WRotationKind::LeftRight,
        RotationKind::RightLeft => WRotationKind::RightLeft,
    }
}

/// A step as ipc-core sorted it (`inspect::log`).  The record's one `id`
/// carries a POSIX semaphore's id too (a u32 there; the field is System
/// V's s32).
fn step(s: StepView) -> Step {
    Step {
        kind: step_kind(s.kind),
        text: s.text,
        facility: s.facility.map(facility),
        slot: s.slot,
        id: s.id.or(s.psem.map(|p| p as i32)),
        key: s.key,
        grown_from: s.grown_from,
        rotations: s.rotations.into_iter().map(|(kind, pivot)| Rotation { kind: rotation_kind(kind), pivot }).collect(),
    }
}

fn event(e: EventView) -> Event {
    Event {
        seq: e.seq,
        time: e.time,
        pid: e.pid,
        tid: e.tid,
        call: e.call,
        args: e.args,
        outcome: event_outcome(&e.outcome),
        woke: e.woke.iter().map(wakeup).collect(),
        steps: e.steps.into_iter().map(step).collect(),
        text: e.text,
    }
}

// ----- inspect views -----

fn slot_view(s: CSlotView) -> SlotView {
    SlotView { index: s.index, seq: s.seq, id: s.id, occupant: s.occupant }
}

fn key_node(n: CKeyNode) -> KeyNode {
    KeyNode { key: n.key, zone: n.zone, id: n.id, height: n.height, balance: n.balance, left: n.left, right: n.right }
}

fn namespace_view(v: CNamespaceView) -> NamespaceView {
    NamespaceView {
        facility: facility(v.facility),
        seq_bits: v.seq_bits,
        table_max: v.table_max,
        slots: v.slots.into_iter().map(slot_view).collect(),
        keys: v.keys.into_iter().map(key_node).collect(),
        ids: v.ids,
        removed: v.removed.into_iter().map(|(id, refs)| RemovedObject { id, refs }).collect(),
    }
}

fn message_view(m: CMessageView) -> MessageView {
    MessageView { mtype: m.mtype, size: m.size, head: m.head }
}

pub(crate) fn waiter_view(w: CWaiterView) -> WaiterView {
    WaiterView { tid: w.tid, pid: w.pid, reason: w.reason, since: w.since, deadline: w.deadline }
}

fn msg_queue_view(q: CMsgQueueView) -> MsgQueueView {
    MsgQueueView {
        id: q.id,
        perm: ipc_perm(q.perm),
        removed: q.removed,
        refs: q.refs,
        qnum: q.qnum,
        qmax: q.qmax,
        cbytes: q.cbytes,
        qbytes: q.qbytes,
        lspid: q.lspid,
        lrpid: q.lrpid,
        stime: q.stime,
        rtime: q.rtime,
        ctime: q.ctime,
        messages: q.messages.into_iter().map(message_view).collect(),
        senders: q.senders.into_iter().map(waiter_view).collect(),
        receivers: q.receivers.into_iter().map(waiter_view).collect(),
    }
}

fn sem_set_view(v: CSemSetView) -> SemSetView {
    SemSetView {
        id: v.id,
        perm: ipc_perm(v.perm),
        removed: v.removed,
        refs: v.refs,
        otime: v.otime,
        ctime: v.ctime,
        sems: v
            .sems
            .into_iter()
            .map(|s| SemView { semval: s.semval, sempid: s.sempid, semncnt: s.semncnt, semzcnt: s.semzcnt })
            .collect(),
        waiters: v.waiters.into_iter().map(sem_waiter_view).collect(),
        undos: v.undos.into_iter().map(|u| UndoView { pid: u.pid, adjust: u.adjust }).collect(),
    }
}

fn sem_waiter_view(w: CSemWaiterView) -> SemWaiterView {
    SemWaiterView { waiter: waiter_view(w.waiter), sops: w.sops.iter().map(wit_sembuf).collect(), sem_num: w.sem_num }
}

fn thread_state(s: CThreadState) -> ThreadState {
    match s {
        CThreadState::Runnable => ThreadState::Runnable,
        CThreadState::Blocked { reason, since, deadline } => {
            ThreadState::Blocked(BlockedView { reason, since, deadline })
        }
        CThreadState::Finished { call, errno: e, summary } => {
            ThreadState::Finished(FinishedView { call, error: e.map(errno), summary })
        }
    }
}

fn process_view(p: CProcessView) -> ProcessView {
    ProcessView {
        pid: p.pid,
        ppid: p.ppid,
        ruid: p.ruid,
        euid: p.euid,
        rgid: p.rgid,
        egid: p.egid,
        groups: p.groups,
        privileged: p.privileged,
        zone: p.zone,
        project: p.project,
        threads: p.threads.into_iter().map(|t| ThreadView { tid: t.tid, state: thread_state(t.state) }).collect(),
    }
}

// ----- resources -----

/// The `kernel` resource.
pub struct KernelRes {
    k: Shared,
}

/// The `process` resource: a pid in a kernel.
pub struct ProcessRes {
    k: Shared,
    pid: u32,
}

/// The `thread` resource: a tid in a kernel (and the pid it was made for).
pub struct ThreadRes {
    k: Shared,
    tid: u32,
    pid: u32,
}

/// The `checkpoint` resource: a copy of a kernel's whole state, and the
/// length of its snapshot once asked.
pub struct CheckpointRes {
    k: CKernel,
    size: Cell<Option<u64>>,
}

/// Counts the bytes written to it (a snapshot's length, without the text).
struct ByteCount(u64);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl system::GuestCheckpoint for CheckpointRes {
    fn size(&self) -> u64 {
        if let Some(n) = self.size.get() {
            return n;
        }
        let mut count = ByteCount(0);
        // As `snapshot`: plain data always serialises.
        let n = serde_json::to_writer(&mut count, &self.k).map_or(0, |()| count.0);
        self.size.set(Some(n));
        n
    }
}

fn process(k: &Shared, pid: u32) -> system::Process {
    system::Process::new(ProcessRes { k: Rc::clone(k), pid })
}

fn thread(k: &Shared, pid: u32, tid: u32) -> system::Thread {
    system::Thread::new(ThreadRes { k: Rc::clone(k), tid, pid })
}

impl GuestKernel for KernelRes {
    fn create(config: Config) -> Result<system::Kernel, Errno> {
        let k = err(core_config(&config).and_then(CKernel::new))?;
        Ok(system::Kernel::new(KernelRes { k: Rc::new(RefCell::new(k)) }))
    }

    fn spawn(&self, cred: Credentials, zone: u32, project: u32) -> Result<system::Process, Errno> {
        let r = self.k.borrow_mut().spawn(credentials(cred), zone, project);
        let (pid, _) = err(r)?;
        Ok(process(&self.k, pid))
    }

    fn now(&self) -> u64 {
        self.k.borrow().now()
    }

    fn advance(&self, ns: u64) -> u64 {
        self.k.borrow_mut().advance(ns)
    }

    fn events(&self, cursor: u64) -> (Vec<Event>, u64) {
        let (events, next) = self.k.borrow().events_since(cursor);
        (events.iter().map(|e| event(EventView::of(e))).collect(), next)
    }

    fn woken(&self, cursor: u64) -> (Vec<u32>, u64) {
        self.k.borrow().woken_since(cursor)
    }

    fn next_deadline(&self) -> Option<u64> {
        self.k.borrow().next_deadline()
    }

    fn set_project_limit(&self, project: u32, facility: Facility, max_ids: u32) {
        // EINVAL only for a facility this kernel does not have yet; the
        // event log records the refusal.
        let _ = self.k.borrow_mut().set_project_limit(project, core_facility(facility), max_ids);
    }

    fn set_zone_limit(&self, zone: u32, facility: Facility, max_ids: u32) -> Result<(), Errno> {
        err(self.k.borrow_mut().set_zone_limit(zone, core_facility(facility), max_ids))
    }

    fn set_step_recording(&self, on: bool) {
        self.k.borrow_mut().set_step_recording(on);
    }

    fn zone_remove(&self, zone: u32) -> Result<u32, Errno> {
        let n = err(self.k.borrow_mut().zone_remove(zone))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn snapshot(&self) -> String {
        // Serialisation of plain data cannot fail unless the core's types
        // stop being JSON-representable; an empty string then restores to EINVAL.
        serde_json::to_string(&*self.k.borrow()).unwrap_or_default()
    }

    fn restore(&self, snapshot: String) -> Result<(), Errno> {
        let k: CKernel = serde_json::from_str(&snapshot).map_err(|_| Errno::Einval)?;
        if !config_ok(k.config()) || k.check().is_err() {
            return Err(Errno::Einval);
        }
        *self.k.borrow_mut() = k;
        Ok(())
    }

    fn checkpoint(&self) -> system::Checkpoint {
        system::Checkpoint::new(CheckpointRes { k: self.k.borrow().clone(), size: Cell::new(None) })
    }

    fn rewind(&self, to: system::CheckpointBorrow<'_>) {
        let cp: &CheckpointRes = to.get();
        self.k.borrow_mut().clone_from(&cp.k);
    }
}

impl GuestProcess for ProcessRes {
    fn pid(&self) -> u32 {
        self.pid
    }

    fn main_thread(&self) -> system::Thread {
        let tid = self.k.borrow().process(self.pid).and_then(|p| p.threads.first().copied()).unwrap_or(NO_TID);
        thread(&self.k, self.pid, tid)
    }

    fn thread_create(&self) -> Result<system::Thread, Errno> {
        let tid = err(self.k.borrow_mut().thread_create(self.pid))?;
        Ok(thread(&self.k, self.pid, tid))
    }

    fn fork(&self) -> Result<system::Process, Errno> {
        let (child, _) = err(self.k.borrow_mut().fork(self.pid))?;
        Ok(process(&self.k, child))
    }

    fn exec(&self) -> Result<(), Errno> {
        err(self.k.borrow_mut().exec(self.pid))
    }

    fn exit(&self) -> Result<(), Errno> {
        err(self.k.borrow_mut().exit(self.pid))
    }
}

impl GuestThread for ThreadRes {
    fn tid(&self) -> u32 {
        self.tid
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    fn take_result(&self) -> Result<Completion, Errno> {
        let r = self.k.borrow_mut().take_result(self.tid);
        err(r).map(completion)
    }

    fn interrupt(&self) -> Result<bool, Errno> {
        err(self.k.borrow_mut().interrupt(self.tid))
    }
}

impl system::Guest for Component {
    type Kernel = KernelRes;
    type Process = ProcessRes;
    type Thread = ThreadRes;
    type Checkpoint = CheckpointRes;

    fn default_config() -> Config {
        config(&CConfig::default())
    }
}

// ----- msg -----

/// The kernel and tid behind a borrowed thread handle.
pub(crate) fn caller(t: &system::ThreadBorrow<'_>) -> (Shared, u32) {
    let t: &ThreadRes = t.get();
    (Rc::clone(&t.k), t.tid)
}

impl msg::Guest for Component {
    fn msgget(t: system::ThreadBorrow<'_>, key: i32, msgflg: i32) -> Result<i32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgget(tid, key, msgflg);
        err(r)
    }

    fn msgsnd(
        t: system::ThreadBorrow<'_>,
        msqid: i32,
        mtype: i64,
        data: Vec<u8>,
        msgflg: i32,
        timeout_ns: Option<u64>,
    ) -> Result<SendOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgsnd_vec(tid, msqid, mtype, data, msgflg, timeout_ns);
        match r {
            Outcome::Done(r) => err(r).map(|()| SendOutcome::Sent),
            Outcome::Blocked(reason) => Ok(SendOutcome::Blocked(reason)),
        }
    }

    fn msgrcv(
        t: system::ThreadBorrow<'_>,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        msgflg: i32,
        timeout_ns: Option<u64>,
    ) -> Result<RecvOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgrcv(tid, msqid, msgsz, msgtyp, msgflg, timeout_ns);
        match r {
            Outcome::Done(r) => err(r).map(|m| RecvOutcome::Received(received(m))),
            Outcome::Blocked(reason) => Ok(RecvOutcome::Blocked(reason)),
        }
    }

    fn msgctl_stat(t: system::ThreadBorrow<'_>, msqid: i32) -> Result<MsqidDs, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgctl_stat(tid, msqid);
        err(r).map(msqid_ds)
    }

    fn msgctl_set(t: system::ThreadBorrow<'_>, msqid: i32, buf: MsqidSet) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgctl_set(tid, msqid, msq_set(buf));
        err(r)
    }

    fn msgctl_rmid(t: system::ThreadBorrow<'_>, msqid: i32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgctl_rmid(tid, msqid);
        err(r)
    }

    fn msgctl(t: system::ThreadBorrow<'_>, msqid: i32, cmd: i32, buf: Option<MsqidSet>) -> Result<Reply, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgctl(tid, msqid, cmd, buf.map(msq_set));
        err(r).map(msgctl_reply)
    }

    fn msgids(t: system::ThreadBorrow<'_>) -> Result<Vec<i32>, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().msgids(tid);
        err(r)
    }

    fn batch(t: system::ThreadBorrow<'_>, ops: Vec<Op>) -> Result<Vec<Result<OpResult, Errno>>, Errno> {
        if ops.len() > MAX_BATCH {
            return Err(Errno::E2big);
        }
        let (k, tid) = caller(&t);
        let mut k = k.borrow_mut();
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let r = match op {
                Op::Msgget(g) => err(k.msgget(tid, g.key, g.msgflg)).map(OpResult::Id),
                Op::Msgsnd(s) => match k.msgsnd_vec(tid, s.msqid, s.mtype, s.data, s.msgflg, None) {
                    Outcome::Done(r) => err(r).map(|()| OpResult::Sent),
                    Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
                },
                Op::Msgrcv(r) => match k.msgrcv(tid, r.msqid, r.msgsz, r.msgtyp, r.msgflg, None) {
                    Outcome::Done(r) => err(r).map(|m| OpResult::Received(received(m))),
                    Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
                },
                Op::MsgctlStat(msqid) => err(k.msgctl_stat(tid, msqid)).map(|d| OpResult::Stat(msqid_ds(d))),
                Op::Semop(o) => semop_result(with_sembufs(&o.sops, |sops| k.semop(tid, o.semid, sops, None))),
                Op::Semop1(o) => semop_result(k.semop(tid, o.semid, &[sembuf(&o.op)], None)),
                Op::SemPost(id) => err(k.sem_post(tid, id)).map(|()| OpResult::Done),
                Op::SemWait(id) => psem::batch_wait(k.sem_wait(tid, id)),
                Op::SemTrywait(id) => err(k.sem_trywait(tid, id)).map(|()| OpResult::Done),
                Op::SemGetvalue(id) => err(k.sem_getvalue(tid, id)).map(OpResult::Value),
                Op::ShmRead(o) => err(k.shm_read(tid, o.addr, o.len)).map(OpResult::Bytes),
                Op::ShmWrite(o) => err(k.shm_write(tid, o.addr, &o.data)).map(|()| OpResult::Done),
                Op::PortSend(o) => err(k.port_send(tid, o.port, o.events, o.user)).map(|()| OpResult::Done),
                Op::PortGetn(o) => match k.port_getn(tid, o.port, o.max, o.nget, None) {
                    Outcome::Done(r) => err(r).map(|g| match g.pending {
                        Some(n) => OpResult::Value(n),
                        None => OpResult::PortEvents(port::port_got(g.events, g.etime)),
                    }),
                    Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
                },
            };
            let parked = matches!(r, Ok(OpResult::Blocked(_)));
            results.push(r);
            if parked {
                break;
            }
        }
        Ok(results)
    }
}

// ----- sem -----

impl sem::Guest for Component {
    fn semget(t: system::ThreadBorrow<'_>, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semget(tid, key, nsems, semflg);
        err(r)
    }

    fn semop(
        t: system::ThreadBorrow<'_>,
        semid: i32,
        sops: Vec<Sembuf>,
        timeout_ns: Option<u64>,
    ) -> Result<SemopOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = with_sembufs(&sops, |sops| k.borrow_mut().semop(tid, semid, sops, timeout_ns));
        match r {
            Outcome::Done(r) => err(r).map(|()| SemopOutcome::Done),
            Outcome::Blocked(reason) => Ok(SemopOutcome::Blocked(reason)),
        }
    }

    fn semop1(
        t: system::ThreadBorrow<'_>,
        semid: i32,
        op: Sembuf,
        timeout_ns: Option<u64>,
    ) -> Result<Semop1Outcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semop(tid, semid, &[sembuf(&op)], timeout_ns);
        match r {
            Outcome::Done(r) => err(r).map(|()| Semop1Outcome::Done),
            Outcome::Blocked(_) => Ok(Semop1Outcome::Parked),
        }
    }

    fn semctl_getval(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32) -> Result<u32, Errno> {
        sem_get(t, semid, semnum, SemGet::Val)
    }

    fn semctl_getpid(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32) -> Result<u32, Errno> {
        sem_get(t, semid, semnum, SemGet::Pid)
    }

    fn semctl_getncnt(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32) -> Result<u32, Errno> {
        sem_get(t, semid, semnum, SemGet::Ncnt)
    }

    fn semctl_getzcnt(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32) -> Result<u32, Errno> {
        sem_get(t, semid, semnum, SemGet::Zcnt)
    }

    fn semctl_getall(t: system::ThreadBorrow<'_>, semid: i32) -> Result<Vec<u32>, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_getall(tid, semid);
        err(r)
    }

    fn semctl_setval(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32, val: i32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_setval(tid, semid, semnum, val);
        err(r)
    }

    fn semctl_setall(t: system::ThreadBorrow<'_>, semid: i32, vals: Vec<u32>) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_setall(tid, semid, &vals);
        err(r)
    }

    fn semctl_stat(t: system::ThreadBorrow<'_>, semid: i32) -> Result<SemidDs, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_stat(tid, semid);
        err(r).map(semid_ds)
    }

    fn semctl_set(t: system::ThreadBorrow<'_>, semid: i32, buf: SemidSet) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_set(tid, semid, semid_set(buf));
        err(r)
    }

    fn semctl_rmid(t: system::ThreadBorrow<'_>, semid: i32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl_rmid(tid, semid);
        err(r)
    }

    fn semctl(
        t: system::ThreadBorrow<'_>,
        semid: i32,
        semnum: u32,
        cmd: i32,
        arg: SemctlArg,
    ) -> Result<SemctlReply, Errno> {
        let arg = match arg {
            SemctlArg::None => CSemArg::None,
            SemctlArg::Val(v) => CSemArg::Val(v),
            SemctlArg::Array(v) => CSemArg::Array(v),
            SemctlArg::Buf(b) => CSemArg::Buf(semid_set(b)),
        };
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semctl(tid, semid, semnum, cmd, arg);
        err(r).map(|r| match r {
            CSemctlReply::Value(v) => SemctlReply::Value(v),
            CSemctlReply::Values(v) => SemctlReply::Values(v),
            CSemctlReply::Stat(d) => SemctlReply::Stat(semid_ds(d)),
            CSemctlReply::Done => SemctlReply::Done,
        })
    }

    fn semids(t: system::ThreadBorrow<'_>) -> Result<Vec<i32>, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().semids(tid);
        err(r)
    }
}

/// A batch's semop outcome.
fn semop_result(r: Outcome<()>) -> Result<OpResult, Errno> {
    match r {
        Outcome::Done(r) => err(r).map(|()| OpResult::Done),
        Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
    }
}

fn sem_get(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32, what: SemGet) -> Result<u32, Errno> {
    let (k, tid) = caller(&t);
    let r = k.borrow_mut().semctl_get(tid, semid, semnum, what);
    err(r)
}

// ----- inspect -----

impl inspect::Guest for Component {
    fn namespace(k: system::KernelBorrow<'_>, facility: Facility) -> NamespaceView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().namespace_view(core_facility(facility));
        namespace_view(v)
    }

    fn msg_queues(k: system::KernelBorrow<'_>) -> Vec<MsgQueueView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().msg_queue_views();
        v.into_iter().map(msg_queue_view).collect()
    }

    fn sem_sets(k: system::KernelBorrow<'_>) -> Vec<SemSetView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().sem_set_views();
        v.into_iter().map(sem_set_view).collect()
    }

    fn ports(k: system::KernelBorrow<'_>) -> Vec<PortView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().port_views();
        v.into_iter().map(port::port_view).collect()
    }

    fn pipes(k: system::KernelBorrow<'_>) -> Vec<PipeView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().pipe_views();
        v.into_iter().map(port::pipe_view).collect()
    }

    fn fd_tables(k: system::KernelBorrow<'_>) -> Vec<FdTableView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().fd_table_views();
        v.into_iter().map(port::fd_table_view).collect()
    }

    fn shm(k: system::KernelBorrow<'_>) -> ShmTableView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().shm_view();
        shm::table_view(v)
    }

    fn psem(k: system::KernelBorrow<'_>) -> PsemTableView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().psem_view();
        psem::table_view(v)
    }

    fn processes(k: system::KernelBorrow<'_>) -> Vec<ProcessView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().process_views();
        v.into_iter().map(process_view).collect()
    }

    fn scene(k: system::KernelBorrow<'_>, window: String) -> Result<String, String> {
        let k: &KernelRes = k.get();
        let w: ipc_core::inspect::scene::Window =
            serde_json::from_str(&window).map_err(|e| format!("the window is not a scene window: {e}"))?;
        let scene = k.k.borrow().scene(&w);
        serde_json::to_string(&scene).map_err(|e| format!("the scene cannot be written: {e}"))
    }

    fn explain(k: system::KernelBorrow<'_>) -> Option<Explanation> {
        let k: &KernelRes = k.get();
        let event = k.k.borrow().last_event()?;
        let x = ipc_core::explain::explain(&event);
        let mark = |m: ipc_core::explain::Mark| {
            use ipc_core::explain::Mark;
            match m {
                Mark::Passed => PathMark::Passed,
                Mark::Taken => PathMark::Taken,
                Mark::Skipped => PathMark::Skipped,
                Mark::Refused => PathMark::Refused,
                Mark::NotReached => PathMark::NotReached,
                Mark::Unknown => PathMark::Unknown,
            }
        };
        Some(Explanation {
            seq: x.seq,
            call: x.call,
            narration: x.narration,
            path: x.path.into_iter().map(|l| PathLine { depth: l.depth, code: l.code, mark: mark(l.mark) }).collect(),
        })
    }

    fn deadlock(k: system::KernelBorrow<'_>) -> Option<Vec<WaitFor>> {
        let k: &KernelRes = k.get();
        let graph = k.k.borrow().deadlock()?;
        Some(
            graph
                .into_iter()
                .map(|w| WaitFor { tid: w.tid, pid: w.pid, reason: w.reason, holders: w.holders })
                .collect(),
        )
    }
}
