//! # Sessions on the host: a run recorded, a session replayed
//!
//! The session file ([`ipclab_session`]) is a kernel run as the log of the
//! playground's operations.  The host meets it both ways:
//! * [`Recorder`] — a [`Backend`] that passes every call to the kernel
//!   behind it and writes it down as the playground's operation, with the
//!   acting tid, the arguments as the playground's bridge takes them, what
//!   it did (call, park, wake, error, removal) and the kernel time it was
//!   made at.  The simulation's clock moves (`advance`) are not steps:
//!   they are the `at` of the next one.  `ipclab run --record FILE` wraps
//!   its kernel in one; the guests' names become the processes' names.
//! * [`replay`] — runs a session's log on a native kernel of the session's
//!   configuration (the inverse of the same encodings), for `ipclab ipcs`
//!   of a session with no snapshot (the presets, a recorded run); and
//!   [`ipcs_of_file`], `ipclab ipcs` of any file the project writes.
//!
//! Invariant (tested): replaying what a [`Recorder`] wrote gives the very
//! kernel the run ended with — the same `ipcs`, byte for byte.

use std::sync::{Arc, Mutex};

use ipc_core::psem::{O_CREAT, O_EXCL, Timespec as CTimespec};
use ipc_core::sem::SemBuf;
use ipc_core::shm::{ShmSetPerm, ShmSysctl};
use ipc_core::{Config, Credentials as CCredentials, Kernel};
use ipclab_session::{Call as Op, KernelConfig, Kind, Session, Tunable};

use crate::ipcs::render;
use crate::kernel::bindings::exports::ipclab::ipc::system::Completion;
use crate::kernel::bindings::exports::ipclab::ipc::types::{
    Credentials, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};
use crate::kernel::{Backend, Call, Parks, Sys, WaitFor};
use std::fmt::Write;

/// The kernel configuration a session names.
pub fn config(c: KernelConfig) -> Config {
    let mut config = Config::default();
    if c == KernelConfig::Playground {
        let p = KernelConfig::PLAYGROUND;
        config.ids.seq_bits = p.seq_bits;
        config.ids.ids_min = p.ids_min;
        config.event_capacity = p.event_capacity as usize;
        config.msg.max_message_bytes = p.max_message_bytes;
        config.msg.max_queue_bytes = p.max_queue_bytes;
        config.msg.max_queue_messages = p.max_queue_messages;
    }
    config
}

/// A session being written, shared by the [`Recorder`] and its owner.
pub type Recording = Arc<Mutex<Session>>;

/// A [`Backend`] that writes every call down (see the module documentation).
pub struct Recorder {
    inner: Box<dyn Backend>,
    session: Recording,
    /// The kernel's clock as the recorder has seen it move.
    now: u64,
}

impl Recorder {
    /// Records the calls made on `inner` (a fresh kernel of the default
    /// configuration) into `session`.
    pub fn new(inner: Box<dyn Backend>, session: Recording) -> Recorder {
        Recorder { inner, session, now: 0 }
    }

    fn push(&mut self, op: &Op, kind: Kind) {
        let e = op.entry(kind).at(self.now);
        self.session.lock().unwrap_or_else(|p| p.into_inner()).log.push(e);
    }

    /// What the step did; `cursor` is the wake-up cursor before it.
    fn kind(&mut self, op: &Op, refused: bool, parked: bool, cursor: u64) -> wasmtime::Result<Kind> {
        let woke = !refused && !parked && !self.inner.woken(cursor)?.0.is_empty();
        Ok(Kind::of(refused, parked, op.removes(), woke))
    }

    /// Makes a call that never parks and writes it down as `op`.
    fn sys<T>(&mut self, op: Op, f: impl FnOnce(&mut dyn Backend) -> Sys<T>) -> Sys<T> {
        let cursor = self.inner.woken(u64::MAX)?.1;
        let r = f(&mut *self.inner)?;
        let kind = self.kind(&op, r.is_err(), false, cursor)?;
        self.push(&op, kind);
        Ok(r)
    }

    /// Makes a call that may park and writes it down as `op`.
    fn parks<T>(&mut self, op: Op, f: impl FnOnce(&mut dyn Backend) -> Parks<T>) -> Parks<T> {
        let cursor = self.inner.woken(u64::MAX)?.1;
        let r = f(&mut *self.inner)?;
        let kind = self.kind(&op, matches!(r, Call::Done(Err(_))), matches!(r, Call::Parked), cursor)?;
        self.push(&op, kind);
        Ok(r)
    }
}

/// A relative timespec as ns.
fn ns(t: Option<Timespec>) -> Option<u64> {
    t.map(|t| (t.sec.max(0) as u64).saturating_mul(1_000_000_000).saturating_add(t.nsec.max(0) as u64))
}

impl Backend for Recorder {
    fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> Sys<(u32, u32)> {
        let groups: Vec<String> = cred.groups.iter().map(u32::to_string).collect();
        let op = Op::Spawn {
            uid: cred.euid,
            gid: cred.egid,
            groups: groups.join(","),
            privileged: cred.privileged,
            zone,
            project,
        };
        self.sys(op, |k| k.spawn(cred, zone, project))
    }

    fn exit(&mut self, pid: u32) -> Sys<()> {
        self.sys(Op::Exit { pid }, |k| k.exit(pid))
    }

    fn take_result(&mut self, tid: u32) -> Sys<Completion> {
        let cursor = self.inner.woken(u64::MAX)?.1;
        let r = self.inner.take_result(tid)?;
        // A completion that failed (ETIME, EIDRM…) is a refused step.
        let refused = r.as_ref().map_or(true, |c| c.result.is_err());
        let op = Op::TakeResult { tid };
        let kind = self.kind(&op, refused, false, cursor)?;
        self.push(&op, kind);
        Ok(r)
    }

    fn advance(&mut self, ns: u64) -> wasmtime::Result<u64> {
        self.now = self.inner.advance(ns)?;
        Ok(self.now)
    }

    fn woken(&mut self, cursor: u64) -> wasmtime::Result<(Vec<u32>, u64)> {
        self.inner.woken(cursor)
    }

    fn next_deadline(&mut self) -> wasmtime::Result<Option<u64>> {
        self.inner.next_deadline()
    }

    fn last_event_text(&mut self) -> wasmtime::Result<Option<String>> {
        self.inner.last_event_text()
    }

    fn snapshot(&mut self) -> wasmtime::Result<String> {
        self.inner.snapshot()
    }

    fn ipcs(&mut self) -> Result<String, String> {
        self.inner.ipcs()
    }

    fn deadlock(&mut self) -> wasmtime::Result<Vec<WaitFor>> {
        self.inner.deadlock()
    }

    fn msgget(&mut self, tid: u32, key: i32, msgflg: i32) -> Sys<i32> {
        self.sys(Op::Msgget { tid, key, flags: msgflg }, |k| k.msgget(tid, key, msgflg))
    }

    fn msgsnd(&mut self, tid: u32, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Parks<()> {
        let op = Op::Msgsnd { tid, msqid, mtype, data: data.clone().into(), flags: msgflg, timeout_ns: None };
        self.parks(op, |k| k.msgsnd(tid, msqid, mtype, data, msgflg))
    }

    fn msgrcv(&mut self, tid: u32, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Parks<Received> {
        let op = Op::Msgrcv { tid, msqid, msgsz, msgtyp, flags: msgflg, timeout_ns: None };
        self.parks(op, |k| k.msgrcv(tid, msqid, msgsz, msgtyp, msgflg))
    }

    fn msgctl_stat(&mut self, tid: u32, msqid: i32) -> Sys<MsqidDs> {
        self.sys(Op::Stat { tid, msqid }, |k| k.msgctl_stat(tid, msqid))
    }

    fn msgctl_set(&mut self, tid: u32, msqid: i32, buf: MsqidSet) -> Sys<()> {
        let op = Op::Set { tid, msqid, uid: buf.uid, gid: buf.gid, mode: buf.mode, qbytes: buf.qbytes };
        self.sys(op, |k| k.msgctl_set(tid, msqid, buf))
    }

    fn msgctl_rmid(&mut self, tid: u32, msqid: i32) -> Sys<()> {
        self.sys(Op::Rmid { tid, msqid }, |k| k.msgctl_rmid(tid, msqid))
    }

    fn semget(&mut self, tid: u32, key: i32, nsems: i32, semflg: i32) -> Sys<i32> {
        self.sys(Op::Semget { tid, key, nsems, flags: semflg }, |k| k.semget(tid, key, nsems, semflg))
    }

    fn semop(&mut self, tid: u32, semid: i32, sops: &[Sembuf], timeout_ns: Option<u64>) -> Parks<()> {
        let list = sops.iter().map(|b| (b.sem_num, b.sem_op, b.sem_flg)).collect();
        self.parks(Op::Semop { tid, semid, sops: list, timeout_ns }, |k| k.semop(tid, semid, sops, timeout_ns))
    }

    fn semctl_getval(&mut self, tid: u32, semid: i32, semnum: u32) -> Sys<u32> {
        // A session has no GETVAL of its own: GETALL reads the same.
        self.sys(Op::SemGetall { tid, semid }, |k| k.semctl_getval(tid, semid, semnum))
    }

    fn semctl_setval(&mut self, tid: u32, semid: i32, semnum: u32, val: i32) -> Sys<()> {
        self.sys(Op::SemSetval { tid, semid, semnum, val }, |k| k.semctl_setval(tid, semid, semnum, val))
    }

    fn semctl_getall(&mut self, tid: u32, semid: i32) -> Sys<Vec<u32>> {
        self.sys(Op::SemGetall { tid, semid }, |k| k.semctl_getall(tid, semid))
    }

    fn semctl_setall(&mut self, tid: u32, semid: i32, vals: &[u32]) -> Sys<()> {
        // A session sets values one at a time: SETALL is written as its
        // SETVALs (the same state; one step per semaphore, or the refusal).
        let cursor = self.inner.woken(u64::MAX)?.1;
        let r = self.inner.semctl_setall(tid, semid, vals)?;
        for (i, &v) in vals.iter().enumerate() {
            let op = Op::SemSetval { tid, semid, semnum: i as u32, val: v as i32 };
            let kind = self.kind(&op, r.is_err(), false, cursor)?;
            self.push(&op, kind);
            if r.is_err() {
                break;
            }
        }
        Ok(r)
    }

    fn semctl_stat(&mut self, tid: u32, semid: i32) -> Sys<SemidDs> {
        self.sys(Op::SemStat { tid, semid }, |k| k.semctl_stat(tid, semid))
    }

    fn semctl_rmid(&mut self, tid: u32, semid: i32) -> Sys<()> {
        self.sys(Op::SemRmid { tid, semid }, |k| k.semctl_rmid(tid, semid))
    }

    fn shmget(&mut self, tid: u32, key: i32, size: u64, shmflg: i32) -> Sys<i32> {
        self.sys(Op::Shmget { tid, key, size, flags: shmflg }, |k| k.shmget(tid, key, size, shmflg))
    }

    fn shmat(&mut self, tid: u32, shmid: i32, shmaddr: u64, shmflg: i32) -> Sys<u64> {
        self.sys(Op::Shmat { tid, shmid, addr: shmaddr, flags: shmflg }, |k| k.shmat(tid, shmid, shmaddr, shmflg))
    }

    fn shmdt(&mut self, tid: u32, shmaddr: u64) -> Sys<()> {
        self.sys(Op::Shmdt { tid, addr: shmaddr }, |k| k.shmdt(tid, shmaddr))
    }

    fn shmctl_stat(&mut self, tid: u32, shmid: i32) -> Sys<ShmidDs> {
        self.sys(Op::ShmStat { tid, shmid }, |k| k.shmctl_stat(tid, shmid))
    }

    fn shmctl_rmid(&mut self, tid: u32, shmid: i32) -> Sys<()> {
        self.sys(Op::ShmRmid { tid, shmid }, |k| k.shmctl_rmid(tid, shmid))
    }

    fn shm_read(&mut self, tid: u32, addr: u64, len: u64) -> Sys<Vec<u8>> {
        self.sys(Op::ShmRead { tid, addr, len }, |k| k.shm_read(tid, addr, len))
    }

    fn shm_write(&mut self, tid: u32, addr: u64, data: &[u8]) -> Sys<()> {
        self.sys(Op::ShmWrite { tid, addr, data: data.to_vec().into() }, |k| k.shm_write(tid, addr, data))
    }

    fn sem_open(&mut self, tid: u32, name: &str, oflag: i32, mode: u32, value: u32) -> Sys<u32> {
        let op = Op::SemOpen {
            tid,
            name: name.to_string(),
            creat: oflag & O_CREAT != 0,
            excl: oflag & O_EXCL != 0,
            mode,
            value,
        };
        self.sys(op, |k| k.sem_open(tid, name, oflag, mode, value))
    }

    fn sem_init(&mut self, tid: u32, value: u32, pshared: bool) -> Sys<u32> {
        self.sys(Op::SemInit { tid, value, pshared }, |k| k.sem_init(tid, value, pshared))
    }

    fn sem_close(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys(Op::SemClose { tid, id }, |k| k.sem_close(tid, id))
    }

    fn sem_unlink(&mut self, tid: u32, name: &str) -> Sys<()> {
        self.sys(Op::SemUnlink { tid, name: name.to_string() }, |k| k.sem_unlink(tid, name))
    }

    fn sem_destroy(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys(Op::SemDestroy { tid, id }, |k| k.sem_destroy(tid, id))
    }

    fn sem_post(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys(Op::SemPost { tid, id }, |k| k.sem_post(tid, id))
    }

    fn sem_wait(&mut self, tid: u32, id: u32, abstime: Option<Timespec>) -> Parks<()> {
        let op = match abstime {
            Some(t) => Op::SemTimedwait { tid, id, sec: t.sec, nsec: t.nsec },
            None => Op::SemWait { tid, id },
        };
        self.parks(op, |k| k.sem_wait(tid, id, abstime))
    }

    fn sem_trywait(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys(Op::SemTrywait { tid, id }, |k| k.sem_trywait(tid, id))
    }

    fn sem_getvalue(&mut self, tid: u32, id: u32) -> Sys<u32> {
        self.sys(Op::SemGetvalue { tid, id }, |k| k.sem_getvalue(tid, id))
    }

    fn pipe(&mut self, tid: u32) -> Sys<(i32, i32)> {
        self.sys(Op::Pipe { tid }, |k| k.pipe(tid))
    }

    fn read(&mut self, tid: u32, fd: i32, len: u32) -> Parks<Vec<u8>> {
        self.parks(Op::FdRead { tid, fd, len, nonblock: false }, |k| k.read(tid, fd, len))
    }

    fn write(&mut self, tid: u32, fd: i32, data: &[u8]) -> Parks<u64> {
        self.parks(Op::FdWrite { tid, fd, data: data.to_vec().into(), nonblock: false }, |k| k.write(tid, fd, data))
    }

    fn close(&mut self, tid: u32, fd: i32) -> Sys<()> {
        self.sys(Op::FdClose { tid, fd }, |k| k.close(tid, fd))
    }

    fn port_create(&mut self, tid: u32) -> Sys<i32> {
        self.sys(Op::PortCreate { tid }, |k| k.port_create(tid))
    }

    fn port_send(&mut self, tid: u32, port: i32, events: i32, user: u64) -> Sys<()> {
        self.sys(Op::PortSend { tid, port, events, user }, |k| k.port_send(tid, port, events, user))
    }

    fn port_alert(&mut self, tid: u32, port: i32, flags: i32, events: i32, user: u64) -> Sys<()> {
        self.sys(Op::PortAlert { tid, port, flags, events, user }, |k| k.port_alert(tid, port, flags, events, user))
    }

    fn port_associate(&mut self, tid: u32, port: i32, source: u16, object: u64, events: u16, user: u64) -> Sys<()> {
        let op = Op::PortAssociate { tid, port, source, object, events, user };
        self.sys(op, |k| k.port_associate(tid, port, source, object, events, user))
    }

    fn port_dissociate(&mut self, tid: u32, port: i32, source: u16, object: u64) -> Sys<()> {
        self.sys(Op::PortDissociate { tid, port, source, object }, |k| k.port_dissociate(tid, port, source, object))
    }

    fn port_getn(&mut self, tid: u32, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Parks<PortGot> {
        let op = Op::PortGetn { tid, port, max, nget, timeout_ns: ns(timeout) };
        self.parks(op, |k| k.port_getn(tid, port, max, nget, timeout))
    }

    fn port_pending(&mut self, tid: u32, port: i32) -> Sys<u32> {
        self.sys(Op::PortGetn { tid, port, max: 0, nget: 0, timeout_ns: None }, |k| k.port_pending(tid, port))
    }

    fn port_get(&mut self, tid: u32, port: i32, timeout: Option<Timespec>) -> Parks<Option<PortEvent>> {
        self.parks(Op::PortGet { tid, port, timeout_ns: ns(timeout) }, |k| k.port_get(tid, port, timeout))
    }
}

// ----- replay -----

/// Runs a session's log on a fresh native kernel of its configuration, up
/// to the step it shows; the kernel as that step left it.  Each operation
/// is made as the playground's bridge makes it; a refused one is part of
/// the log (its errno is the kernel's answer, not an error of the replay).
pub fn replay(s: &Session) -> Result<Kernel, String> {
    let upto = s.step.map_or(s.log.len(), |n| n as usize);
    replay_with(s, upto, |_, _| {})
}

/// [`replay`] up to `upto` operations (the log's length at most), showing
/// `seen` the kernel at every step on the way: `seen(n, &kernel)` after
/// the first `n` operations, from 0 (the fresh kernel) to `upto`.
pub fn replay_with(s: &Session, upto: usize, mut seen: impl FnMut(usize, &Kernel)) -> Result<Kernel, String> {
    let mut k = Kernel::new(config(s.config)).map_err(|e| format!("create the kernel: {e}"))?;
    let upto = upto.min(s.log.len());
    seen(0, &k);
    for (i, e) in s.log[..upto].iter().enumerate() {
        if let Some(at) = e.at
            && at > k.now()
        {
            k.advance(at - k.now());
        }
        let step = |why: String| format!("step {} ({}): {why}", i + 1, e.op);
        if e.op == "restore" {
            let snap = e.args.first().and_then(|a| a.as_str()).ok_or_else(|| step("no snapshot".into()))?;
            let restored: Kernel =
                serde_json::from_str(snap).map_err(|e| step(format!("not a kernel snapshot: {e}")))?;
            restored.check().map_err(|e| step(format!("the snapshot fails the kernel's check: {e}")))?;
            k = restored;
        } else {
            let call = Op::from_entry(e).ok_or_else(|| step("arguments it does not take".into()))?;
            apply(&mut k, &call).map_err(step)?;
        }
        seen(i + 1, &k);
    }
    Ok(k)
}

/// A replayed operation's answer: the kernel's, whatever it is.
fn answer<T>(_: T) {}

fn timespec(ns: Option<u64>) -> Option<CTimespec> {
    ns.map(|n| CTimespec { sec: (n / 1_000_000_000) as i64, nsec: (n % 1_000_000_000) as i64 })
}

/// One call on the kernel, as the playground's bridge makes it.
fn apply(k: &mut Kernel, c: &Op) -> Result<(), String> {
    match c {
        Op::Spawn { uid, gid, groups, privileged, zone, project } => {
            let groups: Result<Vec<u32>, _> =
                groups.split([',', ' ']).filter(|g| !g.is_empty()).map(str::parse::<u32>).collect();
            let groups = groups.map_err(|_| "groups must be numbers".to_string())?;
            let (uid, gid) = (*uid, *gid);
            let cred = CCredentials { ruid: uid, euid: uid, rgid: gid, egid: gid, groups, privileged: *privileged };
            answer(k.spawn(cred, *zone, *project));
        }
        Op::Fork { pid } => answer(k.fork(*pid)),
        Op::ThreadCreate { pid } => answer(k.thread_create(*pid)),
        Op::Exit { pid } => answer(k.exit(*pid)),
        Op::TakeResult { tid } => answer(k.take_result(*tid)),
        Op::Interrupt { tid } => answer(k.interrupt(*tid)),
        Op::Advance { ns } => answer(k.advance(*ns)),
        Op::Msgget { tid, key, flags } => answer(k.msgget(*tid, *key, *flags)),
        Op::Msgsnd { tid, msqid, mtype, data, flags, timeout_ns } => {
            answer(k.msgsnd_vec(*tid, *msqid, *mtype, data.0.clone(), *flags, *timeout_ns))
        }
        Op::Msgrcv { tid, msqid, msgsz, msgtyp, flags, timeout_ns } => {
            answer(k.msgrcv(*tid, *msqid, *msgsz, *msgtyp, *flags, *timeout_ns))
        }
        Op::Stat { tid, msqid } => answer(k.msgctl_stat(*tid, *msqid)),
        Op::Set { tid, msqid, uid, gid, mode, qbytes } => {
            let set = ipc_core::msg::MsqSet { uid: *uid, gid: *gid, mode: *mode, qbytes: *qbytes };
            answer(k.msgctl_set(*tid, *msqid, set))
        }
        Op::Rmid { tid, msqid } => answer(k.msgctl_rmid(*tid, *msqid)),
        Op::Semget { tid, key, nsems, flags } => answer(k.semget(*tid, *key, *nsems, *flags)),
        Op::Semop { tid, semid, sops, timeout_ns } => {
            let sops: Vec<SemBuf> =
                sops.iter().map(|&(sem_num, sem_op, sem_flg)| SemBuf { sem_num, sem_op, sem_flg }).collect();
            answer(k.semop(*tid, *semid, &sops, *timeout_ns))
        }
        Op::SemSetval { tid, semid, semnum, val } => answer(k.semctl_setval(*tid, *semid, *semnum, *val)),
        Op::SemGetall { tid, semid } => answer(k.semctl_getall(*tid, *semid)),
        Op::SemStat { tid, semid } => answer(k.semctl_stat(*tid, *semid)),
        Op::SemRmid { tid, semid } => answer(k.semctl_rmid(*tid, *semid)),
        Op::SemOpen { tid, name, creat, excl, mode, value } => {
            let oflag = if *creat { O_CREAT } else { 0 } | if *excl { O_EXCL } else { 0 };
            answer(k.sem_open(*tid, name.as_bytes(), oflag, *mode, *value))
        }
        Op::SemInit { tid, value, pshared } => answer(k.sem_init(*tid, *value, *pshared)),
        Op::SemClose { tid, id } => answer(k.sem_close(*tid, *id)),
        Op::SemUnlink { tid, name } => answer(k.sem_unlink(*tid, name.as_bytes())),
        Op::SemDestroy { tid, id } => answer(k.sem_destroy(*tid, *id)),
        Op::SemPost { tid, id } => answer(k.sem_post(*tid, *id)),
        Op::SemWait { tid, id } => answer(k.sem_wait(*tid, *id)),
        Op::SemTrywait { tid, id } => answer(k.sem_trywait(*tid, *id)),
        Op::SemTimedwait { tid, id, sec, nsec } => {
            answer(k.sem_timedwait(*tid, *id, CTimespec { sec: *sec, nsec: *nsec }))
        }
        Op::SemGetvalue { tid, id } => answer(k.sem_getvalue(*tid, *id)),
        Op::Shmget { tid, key, size, flags } => answer(k.shmget(*tid, *key, *size, *flags)),
        Op::Shmat { tid, shmid, addr, flags } => answer(k.shmat(*tid, *shmid, *addr, *flags)),
        Op::Shmdt { tid, addr } => answer(k.shmdt(*tid, *addr)),
        Op::ShmStat { tid, shmid } => answer(k.shmctl_stat(*tid, *shmid)),
        Op::ShmSet { tid, shmid, uid, gid, mode } => {
            answer(k.shmctl_set(*tid, *shmid, ShmSetPerm { uid: *uid, gid: *gid, mode: *mode }))
        }
        Op::ShmRmid { tid, shmid } => answer(k.shmctl_rmid(*tid, *shmid)),
        Op::ShmLock { tid, shmid, lock } => {
            let cmd = if *lock { ipc_core::shm::SHM_LOCK } else { ipc_core::shm::SHM_UNLOCK };
            answer(k.shmctl(*tid, *shmid, cmd, None))
        }
        Op::ShmRead { tid, addr, len } => answer(k.shm_read(*tid, *addr, *len)),
        Op::ShmWrite { tid, addr, data } => answer(k.shm_write(*tid, *addr, &data.0)),
        Op::ShmTunable { tid, tunable, value } => {
            let set = match tunable {
                Tunable::Shmmax => ShmSysctl::Shmmax(*value),
                Tunable::Shmmaxpgs => ShmSysctl::Shmmaxpgs(*value),
                Tunable::Shmmni => ShmSysctl::Shmmni(*value as u32),
                Tunable::Shmseg => ShmSysctl::Shmseg(*value as u32),
            };
            answer(k.shm_sysctl(*tid, set))
        }
        Op::Pipe { tid } => answer(k.pipe(*tid)),
        Op::FdRead { tid, fd, len, nonblock } => answer(k.read(*tid, *fd, *len, *nonblock)),
        Op::FdWrite { tid, fd, data, nonblock } => answer(k.write(*tid, *fd, &data.0, *nonblock)),
        Op::FdClose { tid, fd } => answer(k.close(*tid, *fd)),
        Op::PortCreate { tid } => answer(k.port_create(*tid)),
        Op::PortSend { tid, port, events, user } => answer(k.port_send(*tid, *port, *events, *user)),
        Op::PortSendn { tid, ports, events, user } => answer(k.port_sendn(*tid, ports, *events, *user)),
        Op::PortAlert { tid, port, flags, events, user } => answer(k.port_alert(*tid, *port, *flags, *events, *user)),
        Op::PortAssociate { tid, port, source, object, events, user } => {
            answer(k.port_associate(*tid, *port, *source, *object, *events, *user))
        }
        Op::PortDissociate { tid, port, source, object } => answer(k.port_dissociate(*tid, *port, *source, *object)),
        Op::PortGetn { tid, port, max, nget, timeout_ns } => {
            answer(k.port_getn(*tid, *port, *max, *nget, timespec(*timeout_ns)))
        }
        Op::PortGet { tid, port, timeout_ns } => answer(k.port_get(*tid, *port, timespec(*timeout_ns))),
    }
    Ok(())
}

// ----- ipcs of a file -----

/// `ipclab ipcs FILE`: renders a file: a kernel snapshot (`kernel.snapshot`, the playground's
/// Save state), or a session ([`ipclab_session`]: one the playground
/// exported, a preset, a run `ipclab run --record` wrote): the state it
/// holds at the step it shows — its snapshot if it carries one, else its
/// log replayed on a kernel of its configuration.
pub fn ipcs_of_file(json: &str) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    if value.get("format").and_then(|f| f.as_str()) == Some("ipclab-presets") {
        // The playground's list of presets: what each file next to it is.
        let list = value.get("presets").and_then(|p| p.as_array()).ok_or("the list of presets has no \"presets\"")?;
        let mut o = String::from(
            "Presets (each NAME.json beside this file is a session; `ipclab ipcs NAME.json` prints it):\n",
        );
        for p in list {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
            let _ = writeln!(o, "  {:<24} {}", field("name"), field("title"));
        }
        return Ok(o);
    }
    if value.get("format").is_none() {
        return crate::ipcs::from_snapshot(json);
    }
    let s = Session::from_value(value)?;
    // Counted as the playground's timeline counts ("step S of N").
    let ops = (s.log.len() as u64).saturating_sub(s.base);
    let step = s.step.map_or(String::new(), |n| format!(" at step {}", n.saturating_sub(s.base)));
    let startup = match s.base {
        0 => String::new(),
        b => format!(" (after {b} start-up operation(s))"),
    };
    let title = s.rest.get("title").and_then(|t| t.as_str()).map_or(String::new(), |t| format!(" “{t}”"));
    // A session shown before its end (a preset opens at its first step) is
    // printed at that step and at the end of its log: one replay gives both.
    let len = s.log.len();
    let shown = s.step.map_or(len, |n| (n as usize).min(len));
    let mut at_shown = None;
    let end = if s.snapshot.is_none() || shown < len {
        Some(replay_with(&s, len, |n, k| {
            if n == shown {
                at_shown = Some(render(k));
            }
        })?)
    } else {
        None
    };
    let mut state = match &s.snapshot {
        Some(snapshot) => crate::ipcs::from_snapshot(snapshot)?,
        None => at_shown.unwrap_or_default(),
    };
    if let (true, Some(end)) = (shown < len, &end) {
        let _ = write!(state, "\nAt the end of its log (step {ops}):\n{}", render(end));
    }
    let names = if s.names.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = s.names.iter().map(|(pid, n)| format!("{n} (pid {pid})")).collect();
        format!("Processes: {}\n", list.join(", "))
    };
    Ok(format!("Session{title} of {ops} operation(s){step}{startup}\n{names}{state}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_core::EventOutcome;

    /// A preset is a lesson: a step the kernel refuses must be one the
    /// lesson explains — its errno named in the preset's explanation.
    #[test]
    fn every_refused_step_of_every_preset_is_explained() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/presets");
        let mut refused = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("index.json") {
                continue;
            }
            let s = Session::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let explain = s.rest.get("explain").and_then(|e| e.as_str()).unwrap_or_default().to_string();
            replay_with(&s, s.log.len(), |n, k| {
                if let (Some(EventOutcome::Err(errno)), Some(e)) =
                    (k.last_event().map(|ev| ev.outcome.clone()), n.checked_sub(1).map(|i| &s.log[i]))
                {
                    refused += 1;
                    assert!(
                        explain.contains(errno.name()),
                        "{}: step {} ({}) is refused with {} and the explanation does not say why",
                        path.display(),
                        n as i64 - s.base as i64,
                        e.op,
                        errno.name()
                    );
                }
            })
            .unwrap();
        }
        assert!(refused >= 5, "{refused} refused steps in the presets");
    }

    use crate::ipcs::tests::snapshot;

    #[test]
    fn ipcs_reads_a_snapshot_a_session_with_or_without_its_snapshot_and_the_preset_list() {
        let snap = snapshot();
        let plain = ipcs_of_file(&snap).expect("a snapshot");
        assert!(plain.starts_with("IPC status from ipclab kernel") && plain.contains(" 0x42 "), "{plain}");
        let session = serde_json::json!({
            "format": "ipclab-session", "version": 1, "base": 0, "step": 2,
            "log": [["spawn", [100, 10, "", false], "call"], ["msgget", [1, 66, 1920], "call"]],
            "snapshot": snap,
        });
        let out = ipcs_of_file(&session.to_string()).expect("a session");
        assert_eq!(out, format!("Session of 2 operation(s) at step 2\n{plain}"));
        // As the playground counts: start-up operations come before its step 0.
        let mut later = session.clone();
        later["base"] = 1.into();
        let out = ipcs_of_file(&later.to_string()).expect("a session with a start-up operation");
        assert_eq!(out, format!("Session of 1 operation(s) at step 1 (after 1 start-up operation(s))\n{plain}"));
        // Without a snapshot, the log is replayed: the same state.
        let mut replayed = session.clone();
        replayed.as_object_mut().unwrap().remove("snapshot");
        let out = ipcs_of_file(&replayed.to_string()).expect("a session without a snapshot");
        assert!(out.contains(" 0x42 ") && out.starts_with("Session of 2 operation(s) at step 2"), "{out}");
        let presets = serde_json::json!({"format": "ipclab-presets", "presets": []});
        assert!(ipcs_of_file(&presets.to_string()).unwrap().starts_with("Presets"));
        let other = serde_json::json!({"format": "ipclab-session", "version": 9, "log": []});
        assert!(ipcs_of_file(&other.to_string()).unwrap_err().contains("version 9"));
        assert!(ipcs_of_file("{}").unwrap_err().starts_with("not a kernel snapshot"));
    }
}
