//! # System V message queues
//!
//! `msgget`, `msgsnd`, `msgrcv` and `msgctl` on the shared namespace
//! framework ([`crate::namespace`]), with the Single UNIX Specification semantics
//! as illumos `msg.c` implements them.
//!
//! ## Objects
//! * [`MsgQueue`] (`kmsqid_t`'s body): the messages in arrival order, the
//!   byte and message counters and limits (`msg_cbytes`, `msg_qnum`,
//!   `msg_qbytes`, `msg_qmax`), the last sender/receiver pids and times, and
//!   the parked senders and receivers, oldest first.
//!   A parked sender's message waits in the sender list itself
//!   ([`SendWait`]), as illumos keeps it on the sleeping thread's stack.
//! * [`MessageList`] (`queue.rs`): messages on two intrusive doubly linked
//!   lists, one in arrival order and one per type.  Enqueue and type-0
//!   receive are O(1); a typed receive is O(log T) for T distinct types
//!   (illumos scans the list: O(n)).
//! * [`Msg`]: the facility's state — its namespace and limits.  The kernel
//!   reaches it through [`MsgHost`], so this module names the kernel and
//!   the kernel never names it (only `hooks.rs` does).
//! * Its words in the event log: [`MsgCall`] (each call's arguments),
//!   [`MsgValue`] (each call's result, without payload), [`MsgStep`]
//!   (enqueue, dequeue), [`MsgChan`] (what a parked thread waits for) and
//!   [`MsgReply`] (what a parked call completes with).
//!
//! ## Operations, with illumos' check order
//! * **msgget**: GET on the namespace; a new queue gets `qbytes` =
//!   `max_queue_bytes` (process.max-msg-qbytes), `qmax` =
//!   `max_queue_messages` (process.max-msg-messages) and `ctime` = now.
//!   An existing key is returned without any size check.
//! * **msgsnd**: mtype < 1 → EINVAL (before the lookup!); bad id → EINVAL;
//!   `msgsz > msg_qbytes` (or above the system's `max_message_bytes`) →
//!   EINVAL; no write permission → EACCES.  Then, while the message does not
//!   fit (`cbytes + msgsz > qbytes` or `qnum == qmax`): IPC_NOWAIT → EAGAIN,
//!   else park.  A parked sender completes when space appears (0), the
//!   queue is removed (EIDRM), it is interrupted (EINTR) or its timeout
//!   passes (EAGAIN).  On success: append, `qnum++`, `cbytes += msgsz`,
//!   `lspid`, `stime`.
//! * **msgrcv**: bad id → EINVAL; no read permission → EACCES.  Select:
//!   `msgtyp == 0` the oldest message; `> 0` the oldest of exactly that
//!   type; `< 0` the oldest of the lowest type ≤ |msgtyp|.  A selected
//!   message longer than the buffer gives E2BIG **at once and stays
//!   queued**, unless MSG_NOERROR truncates it.  Nothing suitable:
//!   IPC_NOWAIT → ENOMSG, else park (completed by a matching send, EIDRM,
//!   EINTR, or EAGAIN on timeout).  On success: unlink, `qnum--`,
//!   `cbytes -= size`, `lrpid`, `rtime`.
//! * **msgctl**: IPC_SET without a buffer → EFAULT; bad id → EINVAL; then
//!   IPC_STAT (read permission, EACCES; the mode shows MSG_RWAIT/MSG_WWAIT
//!   while threads wait), IPC_SET (raising `qbytes` above its current value
//!   needs privilege → EPERM, checked *before* the owner check; then owner
//!   or creator → EPERM; uid/gid range → EINVAL; sets owner, mode bits,
//!   qbytes and ctime), IPC_RMID (owner or creator → EPERM; every parked
//!   sender and receiver completes with EIDRM; messages are freed), any
//!   other command → EINVAL.
//!
//! ## Waking
//! After every change of a queue the kernel completes parked calls until
//! none can progress: first the **oldest receiver that can be satisfied**,
//! then the oldest sender whose message fits, and again, because a
//! completed send may satisfy a receiver and a receive may make room.  This
//! is the deterministic form of illumos' targeted wake-ups (`msg_wakeup_rdr`
//! wakes a receiver waiting for the type just sent; `msg_wakeup_senders`
//! walks senders oldest first and wakes each one that fits).
//!
//! ## Departures and extensions (documented, not guessed)
//! * Times are nanoseconds of the kernel's logical clock, not seconds.
//! * `msgsnd`/`msgrcv` accept an optional timeout on the logical clock
//!   (SUS has none); it ends the wait with EAGAIN, like `semtimedop`.
//! * illumos has no per-message maximum beyond `msg_qbytes`; the system
//!   limit `max_message_bytes` (default 65536 = the default `max_queue_bytes`)
//!   also caps a message, with EINVAL at the same point.  It binds when
//!   configured lower (e.g. to Linux' MSGMAX of 8192) and on queues whose
//!   `qbytes` a privileged IPC_SET raised above it: it bounds the memory one
//!   call can make the kernel hold.
//! * illumos computes free space as `qbytes - cbytes` unsigned, which wraps
//!   when IPC_SET lowers `qbytes` below `cbytes` and then admits everything;
//!   we do not reproduce that bug: such a queue accepts nothing until it drains.
//! * Unknown `msgflg` bits are EINVAL (illumos ignores them).
//! * Linux differs in: msgsnd checks MSGMAX first and permission inside the
//!   wait loop; it bounds the message count by `qbytes`; IPC_SET compares the
//!   new `qbytes` with the system limit (after the owner check) and wakes all
//!   waiters; it has MSG_EXCEPT, MSG_COPY and IPC_INFO.  We follow illumos.

//!
//! ## Invariants (checked by `check()` after every property-test step)
//! 1. The namespace's invariants ([`crate::namespace`]) and each queue's
//!    message list's ([`MessageList::check`]).
//! 2. `qnum` is the number of messages and `cbytes` the sum of their sizes.
//! 3. An object's references are its namespace reference (while allocated)
//!    plus one per parked sender and receiver.
//! 4. Every listed waiter is a thread parked on exactly the channel its
//!    entry describes, and every thread parked on a queue is listed in it.

pub mod queue;
pub mod view;

use self::queue::MessageList;
use crate::cred::{Caller, Gid, Pid, Tid, Uid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::event::{Ctx, Named, Octal};
use crate::kernel::{Facilities, Kernel, Outcome, Progress};
use crate::namespace::arena::Handle;
use crate::namespace::{
    Facility, Got, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, IdSpace, IpcPerm,
    IpcService, RctlScope, Sink,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

/// msgrcv flag: truncate a message longer than the buffer instead of E2BIG.
pub const MSG_NOERROR: i32 = 0o10000;
/// STAT mode bit: a receiver is waiting.
pub const MSG_RWAIT: u32 = 0o1000;
/// STAT mode bit: a sender is waiting.
pub const MSG_WWAIT: u32 = 0o2000;

/// Limits of the message facility, fixed when the kernel is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgLimits {
    /// Largest message (bytes).  Default 65536.
    pub max_message_bytes: u64,
    /// `msg_qbytes` of a new queue (process.max-msg-qbytes).  Default 65536.
    pub max_queue_bytes: u64,
    /// `msg_qmax` of a new queue (process.max-msg-messages).  Default 8192.
    pub max_queue_messages: u64,
    /// Default `project.max-msg-ids`.  Default 128.
    pub max_queues: u32,
}

impl Default for MsgLimits {
    fn default() -> Self {
        MsgLimits { max_message_bytes: 65536, max_queue_bytes: 65536, max_queue_messages: 8192, max_queues: 128 }
    }
}

impl MsgLimits {
    pub fn validate(&self) -> SysResult<()> {
        if self.max_queue_messages == 0 || self.max_queues == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// A parked sender: its thread and the message it waits to queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWait {
    pub tid: Tid,
    pub mtype: i64,
    pub data: Vec<u8>,
}

/// A parked receiver: its thread and what it asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecvWait {
    pub tid: Tid,
    pub msgsz: u64,
    pub msgtyp: i64,
    pub msgflg: i32,
}

/// A message queue: `kmsqid_t` less its `kipc_perm_t` head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgQueue {
    pub messages: MessageList,
    pub cbytes: u64,
    pub qnum: u64,
    pub qbytes: u64,
    pub qmax: u64,
    pub lspid: Pid,
    pub lrpid: Pid,
    pub stime: u64,
    pub rtime: u64,
    pub ctime: u64,
    /// Parked senders and receivers; `None` while nobody waits, so an idle
    /// queue costs a pointer here.
    waiters: Option<Box<Waiters>>,
}

/// The threads parked on a queue, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Waiters {
    senders: VecDeque<SendWait>,
    receivers: VecDeque<RecvWait>,
}

impl MsgQueue {
    /// Parked senders, oldest first.
    pub fn senders(&self) -> impl Iterator<Item = &SendWait> {
        self.waiters.iter().flat_map(|w| w.senders.iter())
    }

    /// Parked receivers, oldest first.
    pub fn receivers(&self) -> impl Iterator<Item = &RecvWait> {
        self.waiters.iter().flat_map(|w| w.receivers.iter())
    }

    fn waiters_mut(&mut self) -> &mut Waiters {
        self.waiters.get_or_insert_with(Box::default)
    }

    /// Frees the waiter lists once nobody waits.
    fn tidy(&mut self) {
        if self.waiters.as_ref().is_some_and(|w| w.senders.is_empty() && w.receivers.is_empty()) {
            self.waiters = None;
        }
    }

    fn fits(&self, size: u64) -> bool {
        self.cbytes.checked_add(size).is_some_and(|total| total <= self.qbytes) && self.qnum < self.qmax
    }
}

/// `struct msqid_ds` as IPC_STAT returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsqidDs {
    pub perm: IpcPerm,
    pub cbytes: u64,
    pub qnum: u64,
    pub qbytes: u64,
    pub qmax: u64,
    pub lspid: Pid,
    pub lrpid: Pid,
    pub stime: u64,
    pub rtime: u64,
    pub ctime: u64,
}

/// The settable part of `msqid_ds` for IPC_SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsqSet {
    pub uid: Uid,
    pub gid: Gid,
    pub mode: u32,
    pub qbytes: u64,
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub mtype: i64,
    pub data: Vec<u8>,
}

/// What the raw `msgctl` returns: IPC_STAT's buffer, or 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgctlReply {
    Stat(MsqidDs),
    Done,
}

// ----- the facility's state and its place in the kernel -----

/// The message-queue facility: its namespace (`msq_svc`) and limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    svc: IpcService<MsgQueue>,
    limits: MsgLimits,
}

impl Msg {
    pub fn new(space: IdSpace, limits: MsgLimits) -> SysResult<Self> {
        space.validate()?;
        limits.validate()?;
        Ok(Msg { svc: IpcService::new(Facility::Msg, space, limits.max_queues), limits })
    }

    /// The namespace, for viewers.
    pub fn service(&self) -> &IpcService<MsgQueue> {
        &self.svc
    }

    pub fn limits(&self) -> &MsgLimits {
        &self.limits
    }
}

/// A kernel's facility set that contains message queues: where their state
/// is, and how their words join the kernel's vocabulary.
pub trait MsgHost:
    Facilities<Call: From<MsgCall>, Value: From<MsgValue>, Step: From<MsgStep>, Chan: From<MsgChan>, Reply: From<MsgReply>>
{
    fn msg(&self) -> &Msg;
    fn msg_mut(&mut self) -> &mut Msg;
}

// ----- words for the event log -----

/// A message-queue system call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgCall {
    Msgget { key: i32, msgflg: i32 },
    Msgsnd { msqid: i32, mtype: i64, size: u64, msgflg: i32 },
    Msgrcv { msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32 },
    Msgctl { msqid: i32, cmd: i32, set: Option<MsqSet> },
    Msgids,
}

impl Named for MsgCall {
    fn name(&self) -> &'static str {
        match self {
            MsgCall::Msgget { .. } => "msgget",
            MsgCall::Msgsnd { .. } => "msgsnd",
            MsgCall::Msgrcv { .. } => "msgrcv",
            MsgCall::Msgctl { .. } => "msgctl",
            MsgCall::Msgids => "msgids",
        }
    }
}

impl fmt::Display for MsgCall {
    /// The arguments, as a C programmer would read them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MsgCall::Msgget { key, msgflg } => write!(f, "key={key:#x}, msgflg={}", Octal(msgflg)),
            MsgCall::Msgsnd { msqid, mtype, size, msgflg } => {
                write!(f, "msqid={msqid:#x}, mtype={mtype}, size={size}, msgflg={}", Octal(msgflg))
            }
            MsgCall::Msgrcv { msqid, msgsz, msgtyp, msgflg } => {
                write!(f, "msqid={msqid:#x}, msgsz={msgsz}, msgtyp={msgtyp}, msgflg={}", Octal(msgflg))
            }
            MsgCall::Msgctl { msqid, cmd, set } => {
                write!(f, "msqid={msqid:#x}, cmd=")?;
                match cmd {
                    IPC_STAT => write!(f, "IPC_STAT")?,
                    IPC_SET => write!(f, "IPC_SET")?,
                    IPC_RMID => write!(f, "IPC_RMID")?,
                    other => write!(f, "{other}")?,
                }
                if let Some(s) = set {
                    write!(f, ", uid={}, gid={}, mode={}, qbytes={}", s.uid, s.gid, Octal(s.mode), s.qbytes)?;
                }
                Ok(())
            }
            MsgCall::Msgids => Ok(()),
        }
    }
}

/// What a message-queue call returned, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgValue {
    /// msgget: the id.
    Id(i32),
    /// msgsnd, msgctl IPC_SET/IPC_RMID: 0.
    Zero,
    /// msgrcv: the message's type and size (its bytes went to the caller).
    Received { mtype: i64, size: u64 },
    /// msgctl IPC_STAT: the counters a reader looks at first.
    Stat { qnum: u64, cbytes: u64, qbytes: u64 },
    /// msgids: how many ids.
    Ids(usize),
}

impl fmt::Display for MsgValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MsgValue::Id(id) => write!(f, "id {id:#x} ({id})"),
            MsgValue::Zero => write!(f, "0"),
            MsgValue::Received { mtype, size } => write!(f, "{size}-byte message of type {mtype}"),
            MsgValue::Stat { qnum, cbytes, qbytes } => write!(f, "qnum={qnum} cbytes={cbytes} qbytes={qbytes}"),
            MsgValue::Ids(n) => write!(f, "{n} id(s)"),
        }
    }
}

/// An internal step of the message facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgStep {
    /// A message entered a queue.
    Enqueue { msqid: i32, mtype: i64, size: u64 },
    /// A message left a queue.
    Dequeue { msqid: i32, mtype: i64, size: u64, truncated_to: Option<u64> },
}

impl fmt::Display for MsgStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MsgStep::Enqueue { msqid, mtype, size } => {
                write!(f, "msg: queued a {size}-byte message of type {mtype} on msqid {msqid:#x}")
            }
            MsgStep::Dequeue { msqid, mtype, size, truncated_to } => {
                write!(f, "msg: took a {size}-byte message of type {mtype} from msqid {msqid:#x}")?;
                if let Some(n) = truncated_to {
                    write!(f, " (truncated to {n} bytes)")?;
                }
                Ok(())
            }
        }
    }
}

/// What a parked message-queue call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgChan {
    /// A sender waits for room for `size` bytes of type `mtype`.
    Send { queue: Handle, msqid: i32, mtype: i64, size: u64 },
    /// A receiver waits for a message `msgtyp` selects.
    Recv { queue: Handle, msqid: i32, msgtyp: i64 },
}

impl MsgChan {
    fn queue(&self) -> Handle {
        match *self {
            MsgChan::Send { queue, .. } | MsgChan::Recv { queue, .. } => queue,
        }
    }
}

impl Named for MsgChan {
    fn name(&self) -> &'static str {
        match self {
            MsgChan::Send { .. } => "msgsnd",
            MsgChan::Recv { .. } => "msgrcv",
        }
    }
}

impl fmt::Display for MsgChan {
    /// The reason a thread is parked, in words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MsgChan::Send { msqid, mtype, size, .. } => {
                write!(f, "msgsnd: msqid {msqid:#x} is full ({size}-byte message of type {mtype})")
            }
            MsgChan::Recv { msqid, msgtyp, .. } => write!(f, "msgrcv: {} on msqid {msqid:#x}", Wanted(msgtyp)),
        }
    }
}

/// What a parked message-queue call completes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgReply {
    Sent,
    Received(Received),
}

impl MsgReply {
    /// The log's summary of the reply.
    pub fn value(&self) -> MsgValue {
        match self {
            MsgReply::Sent => MsgValue::Zero,
            MsgReply::Received(m) => received_value(m),
        }
    }
}

/// "no message of type 3", for reasons and refusals.
struct Wanted(i64);

impl fmt::Display for Wanted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => write!(f, "no message"),
            t if t > 0 => write!(f, "no message of type {t}"),
            t => write!(f, "no message of type <= {}", t.unsigned_abs()),
        }
    }
}

const MSGGET_FLAGS: i32 = IPC_CREAT | IPC_EXCL | 0o777;
const MSGSND_FLAGS: i32 = IPC_NOWAIT;
const MSGRCV_FLAGS: i32 = IPC_NOWAIT | MSG_NOERROR;

/// EINVAL for flag bits the call does not know (illumos would ignore them).
fn unknown_flags(ctx: &mut impl Sink, bits: i32) -> Errno {
    ctx.deny(Some(Facility::Msg), Errno::EINVAL, || format!("unknown flag bits {}", Octal(bits)))
}

fn received_value(m: &Received) -> MsgValue {
    MsgValue::Received { mtype: m.mtype, size: m.data.len() as u64 }
}

fn stat_value(d: &MsqidDs) -> MsgValue {
    MsgValue::Stat { qnum: d.qnum, cbytes: d.cbytes, qbytes: d.qbytes }
}

// ----- the system calls -----

impl<F: MsgHost> Kernel<F> {
    /// `msgget(key, msgflg)`: the id of the queue with this key, creating it if asked.
    pub fn msgget(&mut self, tid: Tid, key: i32, msgflg: i32) -> SysResult<i32> {
        let call = MsgCall::Msgget { key, msgflg }.into();
        self.syscall_now(
            tid,
            call,
            |&id| MsgValue::Id(id).into(),
            |k, caller, ctx| k.msgget_locked(caller, key, msgflg, ctx),
        )
    }

    fn msgget_locked(&mut self, caller: &Caller, key: i32, msgflg: i32, ctx: &mut Ctx<F>) -> SysResult<i32> {
        if msgflg & !MSGGET_FLAGS != 0 {
            return Err(unknown_flags(ctx, msgflg & !MSGGET_FLAGS));
        }
        let now = self.clock;
        let msg = self.fac.msg_mut();
        match msg.svc.ipc_get(caller, key, msgflg, ctx)? {
            Got::Existing(h) => Ok(msg.svc.object(h).ok_or(Errno::EINVAL)?.perm.id),
            Got::New(perm) => {
                let queue = MsgQueue {
                    messages: MessageList::default(),
                    cbytes: 0,
                    qnum: 0,
                    qbytes: msg.limits.max_queue_bytes,
                    qmax: msg.limits.max_queue_messages,
                    lspid: 0,
                    lrpid: 0,
                    stime: 0,
                    rtime: 0,
                    ctime: now,
                    waiters: None,
                };
                let h = msg.svc.commit(caller, perm, queue, msgflg, ctx)?;
                Ok(msg.svc.object(h).ok_or(Errno::EINVAL)?.perm.id)
            }
        }
    }

    /// `msgsnd(msqid, {mtype, data}, msgflg)`, with an optional timeout in
    /// nanoseconds of logical time.  May park the thread.
    pub fn msgsnd(
        &mut self,
        tid: Tid,
        msqid: i32,
        mtype: i64,
        data: &[u8],
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Outcome<()> {
        self.msgsnd_cow(tid, msqid, mtype, Cow::Borrowed(data), msgflg, timeout)
    }

    /// [`msgsnd`](Self::msgsnd) taking the message by value: an embedder
    /// that already owns the bytes (the component, which receives them as
    /// a list) hands them over instead of having them copied.
    pub fn msgsnd_vec(
        &mut self,
        tid: Tid,
        msqid: i32,
        mtype: i64,
        data: Vec<u8>,
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Outcome<()> {
        self.msgsnd_cow(tid, msqid, mtype, Cow::Owned(data), msgflg, timeout)
    }

    fn msgsnd_cow(
        &mut self,
        tid: Tid,
        msqid: i32,
        mtype: i64,
        data: Cow<'_, [u8]>,
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Outcome<()> {
        let call = MsgCall::Msgsnd { msqid, mtype, size: data.len() as u64, msgflg }.into();
        self.syscall(
            tid,
            call,
            |_| MsgValue::Zero.into(),
            |k, caller, ctx| k.msgsnd_locked(caller, msqid, mtype, data, msgflg, timeout, ctx),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn msgsnd_locked(
        &mut self,
        caller: &Caller,
        msqid: i32,
        mtype: i64,
        data: Cow<'_, [u8]>,
        msgflg: i32,
        timeout: Option<u64>,
        ctx: &mut Ctx<F>,
    ) -> Progress<F, ()> {
        if msgflg & !MSGSND_FLAGS != 0 {
            return Progress::Done(Err(unknown_flags(ctx, msgflg & !MSGSND_FLAGS)));
        }
        if mtype < 1 {
            let e = ctx.deny(Some(Facility::Msg), Errno::EINVAL, || {
                format!("mtype {mtype} is below 1 (checked before the id)")
            });
            return Progress::Done(Err(e));
        }
        let msg = self.fac.msg_mut();
        let h = match msg.svc.lookup_or_deny(caller, msqid, ctx) {
            Ok(h) => h,
            Err(e) => return Progress::Done(Err(e)),
        };
        let Some(obj) = msg.svc.object(h) else { return Progress::Done(Err(Errno::EINVAL)) };
        let size = data.len() as u64;
        let (qbytes, limit) = (obj.body.qbytes, msg.limits.max_message_bytes);
        if size > qbytes || size > limit {
            let e = ctx.deny(Some(Facility::Msg), Errno::EINVAL, || {
                if size > qbytes {
                    format!("a {size}-byte message exceeds the queue's msg_qbytes of {qbytes}")
                } else {
                    format!("a {size}-byte message exceeds the system's largest message of {limit} bytes")
                }
            });
            return Progress::Done(Err(e));
        }
        if let Err(e) = msg.svc.perm_access(&obj.perm, IPC_W, caller, ctx) {
            return Progress::Done(Err(e));
        }
        let data = match self.msg_try_send(h, caller.pid, mtype, data, ctx) {
            Ok(()) => {
                self.msg_wake(h, ctx);
                return Progress::Done(Ok(()));
            }
            Err(data) => data,
        };
        let msg = self.fac.msg_mut();
        if msgflg & IPC_NOWAIT != 0 {
            let o = msg.svc.object(h).map(|o| (o.body.qnum, o.body.qmax, o.body.cbytes, o.body.qbytes));
            let e = ctx.deny(Some(Facility::Msg), Errno::EAGAIN, || match o {
                Some((qnum, qmax, cbytes, qbytes)) => format!(
                    "the queue holds {qnum}/{qmax} messages and {cbytes}/{qbytes} bytes: a {size}-byte message does not fit, and IPC_NOWAIT was given"
                ),
                None => "the queue is full and IPC_NOWAIT was given".to_string(),
            });
            return Progress::Done(Err(e));
        }
        msg.svc.hold(h, ctx);
        if let Some(o) = msg.svc.object_mut(h) {
            o.body.waiters_mut().senders.push_back(SendWait { tid: caller.tid, mtype, data: data.into_owned() });
        }
        Progress::Park { chan: MsgChan::Send { queue: h, msqid, mtype, size }.into(), timeout }
    }

    /// Appends the message if it fits now; gives it back if not.
    fn msg_try_send<'a>(
        &mut self,
        h: Handle,
        pid: Pid,
        mtype: i64,
        data: Cow<'a, [u8]>,
        ctx: &mut Ctx<F>,
    ) -> Result<(), Cow<'a, [u8]>> {
        let now = self.clock;
        let Some(obj) = self.fac.msg_mut().svc.object_mut(h) else { return Err(data) };
        let q = &mut obj.body;
        let size = data.len() as u64;
        if !obj.perm.allocated() || !q.fits(size) {
            return Err(data);
        }
        q.messages.push_back(mtype, data.into_owned());
        q.qnum += 1;
        q.cbytes += size;
        q.lspid = pid;
        q.stime = now;
        ctx.sys(MsgStep::Enqueue { msqid: obj.perm.id, mtype, size });
        Ok(())
    }

    /// `msgrcv(msqid, msgsz, msgtyp, msgflg)`, with an optional timeout in
    /// nanoseconds of logical time.  May park the thread.
    pub fn msgrcv(
        &mut self,
        tid: Tid,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Outcome<Received> {
        let call = MsgCall::Msgrcv { msqid, msgsz, msgtyp, msgflg }.into();
        self.syscall(
            tid,
            call,
            |m| received_value(m).into(),
            |k, caller, ctx| {
                k.msgrcv_locked(caller, RecvWait { tid: caller.tid, msgsz, msgtyp, msgflg }, msqid, timeout, ctx)
            },
        )
    }

    fn msgrcv_locked(
        &mut self,
        caller: &Caller,
        want: RecvWait,
        msqid: i32,
        timeout: Option<u64>,
        ctx: &mut Ctx<F>,
    ) -> Progress<F, Received> {
        let RecvWait { msgtyp, msgflg, .. } = want;
        if msgflg & !MSGRCV_FLAGS != 0 {
            return Progress::Done(Err(unknown_flags(ctx, msgflg & !MSGRCV_FLAGS)));
        }
        let msg = self.fac.msg_mut();
        let h = match msg.svc.lookup_or_deny(caller, msqid, ctx) {
            Ok(h) => h,
            Err(e) => return Progress::Done(Err(e)),
        };
        let Some(obj) = msg.svc.object(h) else { return Progress::Done(Err(Errno::EINVAL)) };
        if let Err(e) = msg.svc.perm_access(&obj.perm, IPC_R, caller, ctx) {
            return Progress::Done(Err(e));
        }
        if let Some(result) = self.msg_try_receive(h, caller.pid, &want, ctx) {
            if result.is_ok() {
                self.msg_wake(h, ctx);
            }
            return Progress::Done(result);
        }
        if msgflg & IPC_NOWAIT != 0 {
            let e = ctx.deny(Some(Facility::Msg), Errno::ENOMSG, || {
                format!("{} on msqid {msqid:#x}, and IPC_NOWAIT was given", Wanted(msgtyp))
            });
            return Progress::Done(Err(e));
        }
        let msg = self.fac.msg_mut();
        msg.svc.hold(h, ctx);
        if let Some(o) = msg.svc.object_mut(h) {
            o.body.waiters_mut().receivers.push_back(want);
        }
        Progress::Park { chan: MsgChan::Recv { queue: h, msqid, msgtyp }.into(), timeout }
    }

    /// Takes the selected message if there is one: `None` means "nothing
    /// suitable, wait"; `Some(Err(E2BIG))` leaves the message queued.
    fn msg_try_receive(
        &mut self,
        h: Handle,
        pid: Pid,
        want: &RecvWait,
        ctx: &mut Ctx<F>,
    ) -> Option<SysResult<Received>> {
        let now = self.clock;
        let obj = self.fac.msg_mut().svc.object_mut(h)?;
        if !obj.perm.allocated() {
            return Some(Err(Errno::EIDRM));
        }
        let q = &mut obj.body;
        let mh = q.messages.select(want.msgtyp)?;
        let (size, mtype) = q.messages.get(mh).map(|m| (m.data.len() as u64, m.mtype))?;
        let msgsz = want.msgsz;
        if size > msgsz && want.msgflg & MSG_NOERROR == 0 {
            return Some(Err(ctx.deny(Some(Facility::Msg), Errno::E2BIG, || {
                format!(
                    "the selected message (type {mtype}) is {size} bytes but msgsz is {msgsz}, and MSG_NOERROR was not given; it stays queued"
                )
            })));
        }
        let mut m = q.messages.unlink(mh)?;
        q.qnum -= 1;
        q.cbytes -= size;
        q.lrpid = pid;
        q.rtime = now;
        let truncated_to = (size > msgsz).then_some(msgsz);
        if let Some(n) = truncated_to {
            m.data.truncate(n as usize);
        }
        ctx.sys(MsgStep::Dequeue { msqid: obj.perm.id, mtype: m.mtype, size, truncated_to });
        Some(Ok(Received { mtype: m.mtype, data: m.data }))
    }

    /// Completes parked calls on a queue until none can progress: the oldest
    /// receiver that can be satisfied, then the oldest sender that fits, again.
    fn msg_wake(&mut self, h: Handle, ctx: &mut Ctx<F>) {
        loop {
            let Some(obj) = self.fac.msg().svc.object(h) else { return };
            if !obj.perm.allocated() || obj.body.waiters.is_none() {
                return;
            }
            if !self.msg_wake_receiver(h, ctx) && !self.msg_wake_sender(h, ctx) {
                return;
            }
        }
    }

    /// Completes the oldest receiver whose message is there (or whose
    /// buffer is too small: E2BIG ends its wait too).
    fn msg_wake_receiver(&mut self, h: Handle, ctx: &mut Ctx<F>) -> bool {
        let mut i = 0;
        while let Some(want) = self.fac.msg().svc.object(h).and_then(|o| o.body.receivers().nth(i).copied()) {
            let pid = self.thread(want.tid).map_or(0, |t| t.pid);
            if let Some(result) = self.msg_try_receive(h, pid, &want, ctx) {
                self.complete(want.tid, result.map(|m| MsgReply::Received(m).into()), ctx);
                return true;
            }
            i += 1;
        }
        false
    }

    /// Queues the message of the oldest sender that fits and completes it.
    fn msg_wake_sender(&mut self, h: Handle, ctx: &mut Ctx<F>) -> bool {
        let Some(q) = self.fac.msg_mut().svc.object_mut(h).map(|o| &mut o.body) else { return false };
        let Some(i) = q.senders().position(|s| q.fits(s.data.len() as u64)) else { return false };
        let Some(SendWait { tid, mtype, data }) = q.waiters_mut().senders.remove(i) else { return false };
        let pid = self.thread(tid).map_or(0, |t| t.pid);
        if self.msg_try_send(h, pid, mtype, Cow::Owned(data), ctx).is_ok() {
            self.complete(tid, Ok(MsgReply::Sent.into()), ctx);
        }
        true
    }

    /// `msgctl(msqid, cmd, buf)` with illumos' command numbers; `set` is
    /// the IPC_SET buffer.
    pub fn msgctl(&mut self, tid: Tid, msqid: i32, cmd: i32, set: Option<MsqSet>) -> SysResult<MsgctlReply> {
        let call = MsgCall::Msgctl { msqid, cmd, set }.into();
        let value = |r: &MsgctlReply| match r {
            MsgctlReply::Stat(d) => stat_value(d).into(),
            MsgctlReply::Done => MsgValue::Zero.into(),
        };
        self.syscall_now(tid, call, value, |k, caller, ctx| k.msgctl_locked(caller, msqid, cmd, set, ctx))
    }

    /// `msgctl(msqid, IPC_STAT, &buf)`.
    pub fn msgctl_stat(&mut self, tid: Tid, msqid: i32) -> SysResult<MsqidDs> {
        let call = MsgCall::Msgctl { msqid, cmd: IPC_STAT, set: None }.into();
        self.syscall_now(tid, call, |d| stat_value(d).into(), |k, caller, ctx| k.msg_stat(caller, msqid, ctx))
    }

    /// `msgctl(msqid, IPC_SET, &buf)`.
    pub fn msgctl_set(&mut self, tid: Tid, msqid: i32, set: MsqSet) -> SysResult<()> {
        let call = MsgCall::Msgctl { msqid, cmd: IPC_SET, set: Some(set) }.into();
        self.syscall_now(tid, call, |_| MsgValue::Zero.into(), |k, caller, ctx| k.msg_set(caller, msqid, set, ctx))
    }

    /// `msgctl(msqid, IPC_RMID, NULL)`.
    pub fn msgctl_rmid(&mut self, tid: Tid, msqid: i32) -> SysResult<()> {
        let call = MsgCall::Msgctl { msqid, cmd: IPC_RMID, set: None }.into();
        self.syscall_now(tid, call, |_| MsgValue::Zero.into(), |k, caller, ctx| k.msg_rmid_call(caller, msqid, ctx))
    }

    fn msgctl_locked(
        &mut self,
        caller: &Caller,
        msqid: i32,
        cmd: i32,
        set: Option<MsqSet>,
        ctx: &mut Ctx<F>,
    ) -> SysResult<MsgctlReply> {
        match (cmd, set) {
            (IPC_SET, None) => {
                Err(ctx.deny(Some(Facility::Msg), Errno::EFAULT, || "IPC_SET needs a msqid_ds buffer".to_string()))
            }
            (IPC_RMID, _) => self.msg_rmid_call(caller, msqid, ctx).map(|()| MsgctlReply::Done),
            (IPC_STAT, _) => self.msg_stat(caller, msqid, ctx).map(MsgctlReply::Stat),
            (IPC_SET, Some(s)) => self.msg_set(caller, msqid, s, ctx).map(|()| MsgctlReply::Done),
            (other, _) => {
                self.fac.msg().svc.lookup_or_deny(caller, msqid, ctx)?;
                Err(ctx.deny(Some(Facility::Msg), Errno::EINVAL, || format!("unknown msgctl command {other}")))
            }
        }
    }

    fn msg_stat(&mut self, caller: &Caller, msqid: i32, ctx: &mut Ctx<F>) -> SysResult<MsqidDs> {
        let svc = &self.fac.msg().svc;
        let h = svc.lookup_or_deny(caller, msqid, ctx)?;
        let obj = svc.object(h).ok_or(Errno::EINVAL)?;
        svc.perm_access(&obj.perm, IPC_R, caller, ctx)?;
        Ok(msq_stat(&obj.perm.stat(), &obj.body))
    }

    fn msg_set(&mut self, caller: &Caller, msqid: i32, s: MsqSet, ctx: &mut Ctx<F>) -> SysResult<()> {
        let now = self.clock;
        let svc = &mut self.fac.msg_mut().svc;
        let h = svc.lookup_or_deny(caller, msqid, ctx)?;
        let current = svc.object(h).ok_or(Errno::EINVAL)?.body.qbytes;
        if s.qbytes > current && !caller.cred.privileged {
            return Err(ctx.deny(Some(Facility::Msg), Errno::EPERM, || {
                format!("raising msg_qbytes from {current} to {} needs privilege (checked before ownership)", s.qbytes)
            }));
        }
        svc.perm_set(h, caller, s.uid, s.gid, s.mode, ctx)?;
        let obj = svc.object_mut(h).ok_or(Errno::EINVAL)?;
        obj.body.qbytes = s.qbytes;
        obj.body.ctime = now;
        Ok(())
    }

    fn msg_rmid_call(&mut self, caller: &Caller, msqid: i32, ctx: &mut Ctx<F>) -> SysResult<()> {
        let h = self.fac.msg_mut().svc.rmid(caller, msqid, ctx)?;
        self.msg_rmid(h, ctx);
        self.fac.msg_mut().svc.rele(h, ctx);
        Ok(())
    }

    /// `msg_rmid`: the facility's removal hook.  Every parked receiver and
    /// sender completes with EIDRM; the messages are freed.
    fn msg_rmid(&mut self, h: Handle, ctx: &mut Ctx<F>) {
        let Some(obj) = self.fac.msg_mut().svc.object_mut(h) else { return };
        let q = &mut obj.body;
        let waiters: Vec<Tid> = q.receivers().map(|r| r.tid).chain(q.senders().map(|s| s.tid)).collect();
        q.messages = MessageList::default();
        q.qnum = 0;
        q.cbytes = 0;
        for tid in waiters {
            self.complete(tid, Err(Errno::EIDRM), ctx);
        }
    }

    /// IDS (`msgids`): every queue id visible from the caller's zone, newest first.
    pub fn msgids(&mut self, tid: Tid) -> SysResult<Vec<i32>> {
        let call = MsgCall::Msgids.into();
        self.syscall_now(
            tid,
            call,
            |ids: &Vec<i32>| MsgValue::Ids(ids.len()).into(),
            |k, caller, _| Ok(k.fac.msg().svc.ids(caller)),
        )
    }
}

// ----- hooks (called from `hooks.rs`) -----

/// `unpark`: takes `tid` off its queue's waiter list and drops its hold.
pub(crate) fn unpark<F: MsgHost>(k: &mut Kernel<F>, tid: Tid, chan: &MsgChan, ctx: &mut Ctx<F>) {
    let svc = &mut k.fac.msg_mut().svc;
    let h = chan.queue();
    if let Some(o) = svc.object_mut(h) {
        match chan {
            MsgChan::Send { .. } => o.body.waiters_mut().senders.retain(|s| s.tid != tid),
            MsgChan::Recv { .. } => o.body.waiters_mut().receivers.retain(|r| r.tid != tid),
        }
        o.body.tidy();
    }
    svc.rele(h, ctx);
}

/// Zone removal: every queue of the zone leaves the namespace and its
/// waiters complete with EIDRM (`ipc_remove_zone` + `msg_rmid`).
pub(crate) fn zone_remove<F: MsgHost>(k: &mut Kernel<F>, zone: ZoneId, ctx: &mut Ctx<F>) -> usize {
    let doomed = k.fac.msg_mut().svc.remove_zone(zone, ctx);
    for &h in &doomed {
        k.msg_rmid(h, ctx);
        k.fac.msg_mut().svc.rele(h, ctx);
    }
    doomed.len()
}

/// The resource controls on msg ids.
pub(crate) fn set_ids_limit<F: MsgHost>(k: &mut Kernel<F>, scope: RctlScope, max_ids: u32) {
    k.fac.msg_mut().svc.set_limit(scope, max_ids);
}

/// Invariants 1–4 of the module documentation, from the queues' side.
pub(crate) fn check<F: MsgHost>(k: &Kernel<F>) -> Result<(), String> {
    let svc = &k.fac.msg().svc;
    svc.check()?;
    for (h, o) in svc.objects() {
        let q = &o.body;
        let id = o.perm.id;
        q.messages.check()?;
        if q.messages.len() as u64 != q.qnum {
            return Err(format!("msqid {id:#x}: qnum {} but {} messages", q.qnum, q.messages.len()));
        }
        let bytes: u64 = q.messages.iter().map(|m| m.data.len() as u64).sum();
        if bytes != q.cbytes {
            return Err(format!("msqid {id:#x}: cbytes {} but {bytes} bytes queued", q.cbytes));
        }
        if q.waiters.as_ref().is_some_and(|w| w.senders.is_empty() && w.receivers.is_empty()) {
            return Err(format!("msqid {id:#x}: empty waiter lists kept"));
        }
        let waiters = (q.senders().count() + q.receivers().count()) as u32;
        if o.perm.refs != u32::from(o.perm.allocated()) + waiters {
            return Err(format!("msqid {id:#x}: {} refs, {waiters} waiters", o.perm.refs));
        }
        let sends = q
            .senders()
            .map(|s| (s.tid, MsgChan::Send { queue: h, msqid: id, mtype: s.mtype, size: s.data.len() as u64 }));
        let recvs = q.receivers().map(|r| (r.tid, MsgChan::Recv { queue: h, msqid: id, msgtyp: r.msgtyp }));
        for (tid, chan) in sends.chain(recvs) {
            if k.wait_of(tid).map(|w| &w.chan) != Some(&chan.into()) {
                return Err(format!("msqid {id:#x}: waiter {tid} is not parked on it as listed"));
            }
        }
    }
    Ok(())
}

/// Invariant 4 from the thread's side: a thread parked on a queue is listed in it.
pub(crate) fn check_parked<F: MsgHost>(k: &Kernel<F>, tid: Tid, chan: &MsgChan) -> Result<(), String> {
    let o = k.fac.msg().svc.object(chan.queue()).ok_or(format!("thread {tid} parked on no queue"))?;
    let listed = match chan {
        MsgChan::Send { .. } => o.body.senders().any(|s| s.tid == tid),
        MsgChan::Recv { .. } => o.body.receivers().any(|r| r.tid == tid),
    };
    if !listed {
        return Err(format!("thread {tid} parked on msqid {:#x} but not listed", o.perm.id));
    }
    Ok(())
}

/// IPC_STAT of a queue: `ipcperm_stat` plus the queue's counters, with
/// MSG_RWAIT/MSG_WWAIT in the mode while threads wait.
pub fn msq_stat(perm: &IpcPerm, q: &MsgQueue) -> MsqidDs {
    let mut perm = perm.clone();
    if q.receivers().next().is_some() {
        perm.mode |= MSG_RWAIT;
    }
    if q.senders().next().is_some() {
        perm.mode |= MSG_WWAIT;
    }
    MsqidDs {
        perm,
        cbytes: q.cbytes,
        qnum: q.qnum,
        qbytes: q.qbytes,
        qmax: q.qmax,
        lspid: q.lspid,
        lrpid: q.lrpid,
        stime: q.stime,
        rtime: q.rtime,
        ctime: q.ctime,
    }
}
