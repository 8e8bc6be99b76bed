//! # System V message queues
//!
//! `msgget`, `msgsnd`, `msgrcv` and `msgctl` on the shared namespace
//! framework ([`crate::ipc`]), with the Single UNIX Specification semantics
//! as illumos `msg.c` implements them.
//!
//! ## Objects
//! * [`MsgQueue`] (`kmsqid_t`'s body): the messages in arrival order, the
//!   byte and message counters and limits (`msg_cbytes`, `msg_qnum`,
//!   `msg_qbytes`, `msg_qmax`), the last sender/receiver pids and times, and
//!   the parked senders and receivers, oldest first.
//! * [`MessageList`]: messages on two intrusive doubly linked lists, one in
//!   arrival order and one per type (its heads in a `BTreeMap`).  Enqueue
//!   and type-0 receive are O(1); a typed receive is O(log T) for T distinct
//!   types (illumos scans the list: O(n)).
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

use crate::arena::{Arena, Handle};
use crate::errno::{Errno, SysResult};
use crate::event::Step;
use crate::ipc::{Facility, Got, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, IpcPerm};
use crate::kernel::{Ctx, Kernel, ParkedCall, Progress, Reply};
use crate::proc::{Caller, Gid, Pid, ThreadState, Tid, Uid, Wait};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

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
    /// Queues per project (project.max-msg-ids).  Default 128.
    pub max_queues: u32,
}

impl Default for MsgLimits {
    fn default() -> Self {
        MsgLimits { max_message_bytes: 65536, max_queue_bytes: 65536, max_queue_messages: 8192, max_queues: 128 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub mtype: i64,
    pub data: Vec<u8>,
    prev: Option<Handle>,
    next: Option<Handle>,
    type_prev: Option<Handle>,
    type_next: Option<Handle>,
}

/// Messages in arrival order, indexed by type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    nodes: Arena<Message>,
    head: Option<Handle>,
    tail: Option<Handle>,
    /// type → (first, last) message of that type.
    by_type: BTreeMap<i64, (Handle, Handle)>,
}

impl MessageList {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, h: Handle) -> Option<&Message> {
        self.nodes.get(h)
    }

    /// Appends at the tail.  O(log T).
    pub fn push_back(&mut self, mtype: i64, data: Vec<u8>) -> Handle {
        let last_of_type = self.by_type.get(&mtype).map(|&(_, last)| last);
        let h = self.nodes.insert(Message {
            mtype,
            data,
            prev: self.tail,
            next: None,
            type_prev: last_of_type,
            type_next: None,
        });
        match self.tail {
            Some(t) => self.nodes.get_mut(t).expect("tail is live").next = Some(h),
            None => self.head = Some(h),
        }
        self.tail = Some(h);
        match last_of_type {
            Some(l) => {
                self.nodes.get_mut(l).expect("type tail is live").type_next = Some(h);
                self.by_type.entry(mtype).and_modify(|e| e.1 = h);
            }
            None => {
                self.by_type.insert(mtype, (h, h));
            }
        }
        h
    }

    /// `msgrcv_lookup`: the message `msgtyp` selects.
    pub fn select(&self, msgtyp: i64) -> Option<Handle> {
        match msgtyp {
            0 => self.head,
            t if t > 0 => self.by_type.get(&t).map(|&(first, _)| first),
            t => {
                let (&lowest, &(first, _)) = self.by_type.first_key_value()?;
                (lowest.unsigned_abs() <= t.unsigned_abs() && lowest <= t.unsigned_abs().min(i64::MAX as u64) as i64)
                    .then_some(first)
            }
        }
    }

    /// Unlinks a message from both lists.  O(log T).
    pub fn unlink(&mut self, h: Handle) -> Option<Message> {
        let m = self.nodes.remove(h)?;
        match m.prev {
            Some(p) => self.nodes.get_mut(p).expect("prev is live").next = m.next,
            None => self.head = m.next,
        }
        match m.next {
            Some(n) => self.nodes.get_mut(n).expect("next is live").prev = m.prev,
            None => self.tail = m.prev,
        }
        if let Some(p) = m.type_prev {
            self.nodes.get_mut(p).expect("type prev is live").type_next = m.type_next;
        }
        if let Some(n) = m.type_next {
            self.nodes.get_mut(n).expect("type next is live").type_prev = m.type_prev;
        }
        match (m.type_prev, m.type_next) {
            (None, None) => {
                self.by_type.remove(&m.mtype);
            }
            (None, Some(n)) => {
                self.by_type.entry(m.mtype).and_modify(|e| e.0 = n);
            }
            (Some(p), None) => {
                self.by_type.entry(m.mtype).and_modify(|e| e.1 = p);
            }
            (Some(_), Some(_)) => {}
        }
        Some(m)
    }

    /// Verifies both lists' links and the type index (a restored snapshot may lie).
    pub fn check(&self) -> Result<(), String> {
        self.nodes.check()?;
        let n = self.nodes.len();
        let mut prev = None;
        let mut cur = self.head;
        let mut count = 0;
        while let Some(h) = cur {
            let m = self.nodes.get(h).ok_or(format!("message list: dangling handle {h}"))?;
            count += 1;
            if m.prev != prev || count > n {
                return Err("message list: broken or cyclic links".into());
            }
            if !self.by_type.contains_key(&m.mtype) {
                return Err(format!("message list: type {} not indexed", m.mtype));
            }
            prev = cur;
            cur = m.next;
        }
        if count != n || self.tail != prev {
            return Err(format!("message list: {count} linked of {n}, tail mismatch"));
        }
        let mut typed = 0;
        for (&mtype, &(first, last)) in &self.by_type {
            let (mut prev, mut cur) = (None, Some(first));
            while let Some(h) = cur {
                let m = self.nodes.get(h).ok_or(format!("type list {mtype}: dangling handle {h}"))?;
                typed += 1;
                if m.mtype != mtype || m.type_prev != prev || typed > n {
                    return Err(format!("type list {mtype}: broken or cyclic links"));
                }
                prev = cur;
                cur = m.type_next;
            }
            if prev != Some(last) {
                return Err(format!("type list {mtype}: last mismatch"));
            }
        }
        if typed != n {
            return Err(format!("type lists hold {typed} of {n} messages"));
        }
        Ok(())
    }

    /// Messages in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        std::iter::successors(self.head.and_then(|h| self.nodes.get(h)), |m| m.next.and_then(|n| self.nodes.get(n)))
    }
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
    /// Parked senders, oldest first.
    pub senders: VecDeque<Tid>,
    /// Parked receivers, oldest first.
    pub receivers: VecDeque<Tid>,
}

impl MsgQueue {
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

const MSGGET_FLAGS: i32 = IPC_CREAT | IPC_EXCL | 0o777;
const MSGSND_FLAGS: i32 = IPC_NOWAIT;
const MSGRCV_FLAGS: i32 = IPC_NOWAIT | MSG_NOERROR;

/// EINVAL for flag bits the call does not know (illumos would ignore them).
fn unknown_flags(ctx: &mut Ctx, bits: i32) -> Errno {
    ctx.deny(Facility::Msg, Errno::EINVAL, format!("unknown flag bits {bits:#o}"))
}

fn describe_msgtyp(msgtyp: i64) -> String {
    match msgtyp {
        0 => "no message".to_string(),
        t if t > 0 => format!("no message of type {t}"),
        t => format!("no message of type <= {}", t.unsigned_abs()),
    }
}

impl Kernel {
    /// `msgget(key, msgflg)`: the id of the queue with this key, creating it if asked.
    pub fn msgget(&mut self, tid: Tid, key: i32, msgflg: i32) -> SysResult<i32> {
        let args = format!("key={key:#x}, msgflg={msgflg:#o}");
        self.syscall(tid, "msgget", args, |k, caller, ctx| {
            Progress::Done(k.msgget_locked(caller, key, msgflg, ctx).map(Reply::Id))
        })
        .into_result()
        .and_then(Reply::into_id)
    }

    fn msgget_locked(&mut self, caller: &Caller, key: i32, msgflg: i32, ctx: &mut Ctx) -> SysResult<i32> {
        if msgflg & !MSGGET_FLAGS != 0 {
            return Err(unknown_flags(ctx, msgflg & !MSGGET_FLAGS));
        }
        let max_ids = self.project_limit(caller.project, Facility::Msg);
        match self.msg.ipc_get(caller, key, msgflg, max_ids, &mut ctx.steps)? {
            Got::Existing(h) => Ok(self.msg.object(h).ok_or(Errno::EINVAL)?.perm.id),
            Got::New(perm) => {
                let limits = self.config.msg;
                let queue = MsgQueue {
                    messages: MessageList::default(),
                    cbytes: 0,
                    qnum: 0,
                    qbytes: limits.max_queue_bytes,
                    qmax: limits.max_queue_messages,
                    lspid: 0,
                    lrpid: 0,
                    stime: 0,
                    rtime: 0,
                    ctime: self.clock,
                    senders: VecDeque::new(),
                    receivers: VecDeque::new(),
                };
                let h = self.msg.commit(caller, perm, queue, msgflg, max_ids, &mut ctx.steps)?;
                Ok(self.msg.object(h).ok_or(Errno::EINVAL)?.perm.id)
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
    ) -> crate::kernel::Outcome<()> {
        let args = format!("msqid={msqid:#x}, mtype={mtype}, size={}, msgflg={msgflg:#o}", data.len());
        self.syscall(tid, "msgsnd", args, |k, caller, ctx| {
            k.msgsnd_locked(caller, msqid, mtype, data, msgflg, timeout, ctx)
        })
        .map(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    fn msgsnd_locked(
        &mut self,
        caller: &Caller,
        msqid: i32,
        mtype: i64,
        data: &[u8],
        msgflg: i32,
        timeout: Option<u64>,
        ctx: &mut Ctx,
    ) -> Progress {
        if msgflg & !MSGSND_FLAGS != 0 {
            return Progress::Done(Err(unknown_flags(ctx, msgflg & !MSGSND_FLAGS)));
        }
        if mtype < 1 {
            let rule = format!("mtype {mtype} is below 1 (checked before the id)");
            return Progress::Done(Err(ctx.deny(Facility::Msg, Errno::EINVAL, rule)));
        }
        let h = match self.msg.lookup_or_deny(caller, msqid, &mut ctx.steps) {
            Ok(h) => h,
            Err(e) => return Progress::Done(Err(e)),
        };
        let Some(obj) = self.msg.object(h) else { return Progress::Done(Err(Errno::EINVAL)) };
        let size = data.len() as u64;
        let limit = self.config.msg.max_message_bytes;
        if size > obj.body.qbytes || size > limit {
            let rule = if size > obj.body.qbytes {
                format!("a {size}-byte message exceeds the queue's msg_qbytes of {}", obj.body.qbytes)
            } else {
                format!("a {size}-byte message exceeds the system's largest message of {limit} bytes")
            };
            return Progress::Done(Err(ctx.deny(Facility::Msg, Errno::EINVAL, rule)));
        }
        if let Err(e) = self.msg.perm_access(&obj.perm, IPC_W, caller, &mut ctx.steps) {
            return Progress::Done(Err(e));
        }
        if self.msg_try_send(h, caller.pid, mtype, data, ctx) {
            self.msg_wake(h, ctx);
            return Progress::Done(Ok(Reply::None));
        }
        if msgflg & IPC_NOWAIT != 0 {
            let rule = match self.msg.object(h) {
                Some(o) => format!(
                    "the queue holds {}/{} messages and {}/{} bytes: a {size}-byte message does not fit, and IPC_NOWAIT was given",
                    o.body.qnum, o.body.qmax, o.body.cbytes, o.body.qbytes
                ),
                None => "the queue is full and IPC_NOWAIT was given".to_string(),
            };
            return Progress::Done(Err(ctx.deny(Facility::Msg, Errno::EAGAIN, rule)));
        }
        let reason = format!("msgsnd: msqid {msqid:#x} is full ({size}-byte message of type {mtype})");
        self.msg.hold(h, &mut ctx.steps);
        if let Some(o) = self.msg.object_mut(h) {
            o.body.senders.push_back(caller.tid);
        }
        Progress::Park { call: ParkedCall::MsgSnd { msqid, queue: h, mtype, data: data.to_vec() }, reason, timeout }
    }

    /// Appends the message if it fits now.
    fn msg_try_send(&mut self, h: Handle, pid: Pid, mtype: i64, data: &[u8], ctx: &mut Ctx) -> bool {
        let now = self.clock;
        let Some(obj) = self.msg.object_mut(h) else { return false };
        let q = &mut obj.body;
        let size = data.len() as u64;
        if !obj.perm.allocated() || !q.fits(size) {
            return false;
        }
        q.messages.push_back(mtype, data.to_vec());
        q.qnum += 1;
        q.cbytes += size;
        q.lspid = pid;
        q.stime = now;
        ctx.steps.push(Step::MsgEnqueue { msqid: obj.perm.id, mtype, size: data.len() });
        true
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
    ) -> crate::kernel::Outcome<Received> {
        let args = format!("msqid={msqid:#x}, msgsz={msgsz}, msgtyp={msgtyp}, msgflg={msgflg:#o}");
        self.syscall(tid, "msgrcv", args, |k, caller, ctx| {
            k.msgrcv_locked(caller, msqid, msgsz, msgtyp, msgflg, timeout, ctx)
        })
        .map(|r| match r {
            Reply::Message(m) => m,
            _ => Received { mtype: 0, data: Vec::new() },
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn msgrcv_locked(
        &mut self,
        caller: &Caller,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        msgflg: i32,
        timeout: Option<u64>,
        ctx: &mut Ctx,
    ) -> Progress {
        if msgflg & !MSGRCV_FLAGS != 0 {
            return Progress::Done(Err(unknown_flags(ctx, msgflg & !MSGRCV_FLAGS)));
        }
        let h = match self.msg.lookup_or_deny(caller, msqid, &mut ctx.steps) {
            Ok(h) => h,
            Err(e) => return Progress::Done(Err(e)),
        };
        let Some(obj) = self.msg.object(h) else { return Progress::Done(Err(Errno::EINVAL)) };
        if let Err(e) = self.msg.perm_access(&obj.perm, IPC_R, caller, &mut ctx.steps) {
            return Progress::Done(Err(e));
        }
        if let Some(result) = self.msg_try_receive(h, caller.pid, msgsz, msgtyp, msgflg, ctx) {
            if result.is_ok() {
                self.msg_wake(h, ctx);
            }
            return Progress::Done(result.map(Reply::Message));
        }
        if msgflg & IPC_NOWAIT != 0 {
            let rule = format!("{} on msqid {msqid:#x}, and IPC_NOWAIT was given", describe_msgtyp(msgtyp));
            return Progress::Done(Err(ctx.deny(Facility::Msg, Errno::ENOMSG, rule)));
        }
        let reason = format!("msgrcv: {} on msqid {msqid:#x}", describe_msgtyp(msgtyp));
        self.msg.hold(h, &mut ctx.steps);
        if let Some(o) = self.msg.object_mut(h) {
            o.body.receivers.push_back(caller.tid);
        }
        Progress::Park { call: ParkedCall::MsgRcv { msqid, queue: h, msgsz, msgtyp, msgflg }, reason, timeout }
    }

    /// Takes the selected message if there is one: `None` means "nothing
    /// suitable, wait"; `Some(Err(E2BIG))` leaves the message queued.
    fn msg_try_receive(
        &mut self,
        h: Handle,
        pid: Pid,
        msgsz: u64,
        msgtyp: i64,
        msgflg: i32,
        ctx: &mut Ctx,
    ) -> Option<SysResult<Received>> {
        let now = self.clock;
        let obj = self.msg.object_mut(h)?;
        if !obj.perm.allocated() {
            return Some(Err(Errno::EIDRM));
        }
        let q = &mut obj.body;
        let mh = q.messages.select(msgtyp)?;
        let (size, mtype) = q.messages.get(mh).map(|m| (m.data.len() as u64, m.mtype))?;
        if size > msgsz && msgflg & MSG_NOERROR == 0 {
            let rule = format!(
                "the selected message (type {mtype}) is {size} bytes but msgsz is {msgsz}, and MSG_NOERROR was not given; it stays queued"
            );
            return Some(Err(ctx.deny(Facility::Msg, Errno::E2BIG, rule)));
        }
        let mut m = q.messages.unlink(mh)?;
        q.qnum -= 1;
        q.cbytes -= size;
        q.lrpid = pid;
        q.rtime = now;
        let truncated_to = (size > msgsz).then_some(msgsz as usize);
        if let Some(n) = truncated_to {
            m.data.truncate(n);
        }
        ctx.steps.push(Step::MsgDequeue { msqid: obj.perm.id, mtype: m.mtype, size: size as usize, truncated_to });
        Some(Ok(Received { mtype: m.mtype, data: m.data }))
    }

    /// Completes parked calls on a queue until none can progress: the oldest
    /// receiver that can be satisfied, then the oldest sender that fits, again.
    pub(crate) fn msg_wake(&mut self, h: Handle, ctx: &mut Ctx) {
        loop {
            let Some(obj) = self.msg.object(h) else { return };
            if !obj.perm.allocated() {
                return;
            }
            let receivers: Vec<Tid> = obj.body.receivers.iter().copied().collect();
            let senders: Vec<Tid> = obj.body.senders.iter().copied().collect();
            let mut progressed = false;
            for tid in receivers {
                let Some((pid, ParkedCall::MsgRcv { msgsz, msgtyp, msgflg, .. })) = self.parked_call(tid) else {
                    continue;
                };
                if let Some(result) = self.msg_try_receive(h, pid, msgsz, msgtyp, msgflg, ctx) {
                    self.complete(tid, result.map(Reply::Message), ctx);
                    progressed = true;
                    break;
                }
            }
            if !progressed {
                for tid in senders {
                    // Look at the parked message in place; copy it only
                    // for the one sender that goes through.
                    let Some(t) = self.thread(tid) else { continue };
                    let ThreadState::Blocked(Wait { call: ParkedCall::MsgSnd { mtype, data, .. }, .. }) = &t.state
                    else {
                        continue;
                    };
                    if !self.msg.object(h).is_some_and(|o| o.body.fits(data.len() as u64)) {
                        continue;
                    }
                    let (pid, mtype, data) = (t.pid, *mtype, data.clone());
                    if self.msg_try_send(h, pid, mtype, &data, ctx) {
                        self.complete(tid, Ok(Reply::None), ctx);
                        progressed = true;
                        break;
                    }
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Forgets a parked thread from its queue's waiter lists.
    pub(crate) fn msg_unpark(&mut self, h: Handle, tid: Tid) {
        if let Some(o) = self.msg.object_mut(h) {
            o.body.senders.retain(|&t| t != tid);
            o.body.receivers.retain(|&t| t != tid);
        }
    }

    /// `msgctl(msqid, cmd, buf)`.  `set` is the IPC_SET buffer.
    pub fn msgctl(&mut self, tid: Tid, msqid: i32, cmd: i32, set: Option<MsqSet>) -> SysResult<Reply> {
        let name = match cmd {
            IPC_STAT => "IPC_STAT".to_string(),
            IPC_SET => "IPC_SET".to_string(),
            IPC_RMID => "IPC_RMID".to_string(),
            other => other.to_string(),
        };
        let args = match set {
            Some(s) => format!(
                "msqid={msqid:#x}, cmd={name}, uid={}, gid={}, mode={:#o}, qbytes={}",
                s.uid, s.gid, s.mode, s.qbytes
            ),
            None => format!("msqid={msqid:#x}, cmd={name}"),
        };
        self.syscall(tid, "msgctl", args, |k, caller, ctx| {
            Progress::Done(k.msgctl_locked(caller, msqid, cmd, set, ctx))
        })
        .into_result()
    }

    fn msgctl_locked(
        &mut self,
        caller: &Caller,
        msqid: i32,
        cmd: i32,
        set: Option<MsqSet>,
        ctx: &mut Ctx,
    ) -> SysResult<Reply> {
        if cmd == IPC_SET && set.is_none() {
            return Err(ctx.deny(Facility::Msg, Errno::EFAULT, "IPC_SET needs a msqid_ds buffer".to_string()));
        }
        if cmd == IPC_RMID {
            let h = self.msg.rmid(caller, msqid, &mut ctx.steps)?;
            self.msg_rmid(h, ctx);
            self.msg.rele(h, &mut ctx.steps);
            return Ok(Reply::None);
        }
        let h = self.msg.lookup_or_deny(caller, msqid, &mut ctx.steps)?;
        let now = self.clock;
        match (cmd, set) {
            (IPC_STAT, _) => {
                let obj = self.msg.object(h).ok_or(Errno::EINVAL)?;
                self.msg.perm_access(&obj.perm, IPC_R, caller, &mut ctx.steps)?;
                Ok(Reply::MsqStat(msq_stat(&obj.perm.stat(), &obj.body)))
            }
            (IPC_SET, Some(s)) => {
                let obj = self.msg.object(h).ok_or(Errno::EINVAL)?;
                if s.qbytes > obj.body.qbytes && !caller.cred.privileged {
                    let rule = format!(
                        "raising msg_qbytes from {} to {} needs privilege (checked before ownership)",
                        obj.body.qbytes, s.qbytes
                    );
                    return Err(ctx.deny(Facility::Msg, Errno::EPERM, rule));
                }
                self.msg.perm_set(h, caller, s.uid, s.gid, s.mode, &mut ctx.steps)?;
                let obj = self.msg.object_mut(h).ok_or(Errno::EINVAL)?;
                obj.body.qbytes = s.qbytes;
                obj.body.ctime = now;
                Ok(Reply::None)
            }
            _ => Err(ctx.deny(Facility::Msg, Errno::EINVAL, format!("unknown msgctl command {cmd}"))),
        }
    }

    /// `msg_rmid`: the facility's removal hook.  Every parked sender and
    /// receiver completes with EIDRM; the messages are freed.
    pub(crate) fn msg_rmid(&mut self, h: Handle, ctx: &mut Ctx) {
        let Some(obj) = self.msg.object_mut(h) else { return };
        let waiters: Vec<Tid> = obj.body.receivers.iter().chain(obj.body.senders.iter()).copied().collect();
        obj.body.messages = MessageList::default();
        obj.body.qnum = 0;
        obj.body.cbytes = 0;
        for tid in waiters {
            self.complete(tid, Err(Errno::EIDRM), ctx);
        }
    }
}

/// IPC_STAT of a queue: `ipcperm_stat` plus the queue's counters, with
/// MSG_RWAIT/MSG_WWAIT in the mode while threads wait.
pub fn msq_stat(perm: &IpcPerm, q: &MsgQueue) -> MsqidDs {
    let mut perm = perm.clone();
    if !q.receivers.is_empty() {
        perm.mode |= MSG_RWAIT;
    }
    if !q.senders.is_empty() {
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

#[cfg(test)]
mod list_tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Send(i64, u8),
        Recv(i64),
    }

    /// The reference: a plain vector in arrival order, scanned linearly.
    fn model_select(model: &[(i64, u8)], msgtyp: i64) -> Option<usize> {
        match msgtyp {
            0 => (!model.is_empty()).then_some(0),
            t if t > 0 => model.iter().position(|m| m.0 == t),
            t => {
                let lowest = model.iter().map(|m| m.0).filter(|&ty| ty <= t.abs()).min()?;
                model.iter().position(|m| m.0 == lowest)
            }
        }
    }

    proptest! {
        #[test]
        fn selection_matches_a_linear_scan(ops in proptest::collection::vec(
            prop_oneof![(1i64..6, any::<u8>()).prop_map(|(t, b)| Op::Send(t, b)), (-7i64..7).prop_map(Op::Recv)],
            0..150,
        )) {
            let mut list = MessageList::default();
            let mut model: Vec<(i64, u8)> = Vec::new();
            for op in ops {
                match op {
                    Op::Send(t, b) => { list.push_back(t, vec![b]); model.push((t, b)); }
                    Op::Recv(t) => {
                        let got = list.select(t).and_then(|h| list.unlink(h)).map(|m| (m.mtype, m.data[0]));
                        let want = model_select(&model, t).map(|i| model.remove(i));
                        prop_assert_eq!(got, want);
                    }
                }
                let order: Vec<(i64, u8)> = list.iter().map(|m| (m.mtype, m.data[0])).collect();
                prop_assert_eq!(&order, &model);
                prop_assert_eq!(list.len(), model.len());
            }
        }
    }

    #[test]
    fn most_negative_msgtyp_selects_lowest_type() {
        let mut list = MessageList::default();
        list.push_back(i64::MAX, vec![1]);
        list.push_back(5, vec![2]);
        assert_eq!(list.select(i64::MIN).and_then(|h| list.get(h)).map(|m| m.mtype), Some(5));
        assert_eq!(list.select(-4), None);
    }
}
