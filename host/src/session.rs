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
//!   of a session with no snapshot (the presets, a recorded run).
//!
//! Invariant (tested): replaying what a [`Recorder`] wrote gives the very
//! kernel the run ended with — the same `ipcs`, byte for byte.

use std::sync::{Arc, Mutex};

use ipc_core::psem::{O_CREAT, O_EXCL, Timespec as CTimespec};
use ipc_core::sem::SemBuf;
use ipc_core::shm::{ShmSetPerm, ShmSysctl};
use ipc_core::{Config, Credentials as CCredentials, Kernel};
use ipclab_session::{Entry, KernelConfig, Kind, Session};
use serde_json::{Value, json};

use crate::kernel::bindings::exports::ipclab::ipc::system::Completion;
use crate::kernel::bindings::exports::ipclab::ipc::types::{
    Credentials, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};
use crate::kernel::{Backend, Call, Parks, Sys, WaitFor};

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

const NONE: i64 = -1;

impl Recorder {
    /// Records the calls made on `inner` (a fresh kernel of the default
    /// configuration) into `session`.
    pub fn new(inner: Box<dyn Backend>, session: Recording) -> Recorder {
        Recorder { inner, session, now: 0 }
    }

    fn cursor(&mut self) -> wasmtime::Result<u64> {
        Ok(self.inner.woken(u64::MAX)?.1)
    }

    fn push(&mut self, op: &str, args: Vec<Value>, kind: Kind) {
        let e = Entry::new(op, args, kind).at(self.now);
        self.session.lock().unwrap_or_else(|p| p.into_inner()).log.push(e);
    }

    /// Makes a call that never parks and writes it down.
    fn sys<T>(&mut self, op: &str, args: Vec<Value>, f: impl FnOnce(&mut dyn Backend) -> Sys<T>) -> Sys<T> {
        let c = self.cursor()?;
        let r = f(&mut *self.inner)?;
        let kind = self.kind(op, r.is_err(), false, c)?;
        self.push(op, args, kind);
        Ok(r)
    }

    /// Makes a call that may park and writes it down.
    fn parks<T>(&mut self, op: &str, args: Vec<Value>, f: impl FnOnce(&mut dyn Backend) -> Parks<T>) -> Parks<T> {
        let c = self.cursor()?;
        let r = f(&mut *self.inner)?;
        let kind = self.kind(op, matches!(r, Call::Done(Err(_))), matches!(r, Call::Parked), c)?;
        self.push(op, args, kind);
        Ok(r)
    }

    /// What the step did, as the playground's timeline says it.
    fn kind(&mut self, op: &str, refused: bool, parked: bool, cursor: u64) -> wasmtime::Result<Kind> {
        const REMOVALS: [&str; 6] = ["exit", "msgctlRmid", "semctlRmid", "shmctlRmid", "semUnlink", "semDestroy"];
        Ok(if refused {
            Kind::Error
        } else if parked {
            Kind::Park
        } else if REMOVALS.contains(&op) {
            Kind::Removal
        } else if !self.inner.woken(cursor)?.0.is_empty() {
            Kind::Wake
        } else {
            Kind::Call
        })
    }
}

fn timeout(t: Option<u64>) -> Value {
    t.map_or(json!(NONE), |t| json!(t))
}

fn relative(t: Option<Timespec>) -> Value {
    t.map_or(json!(NONE), |t| json!(t.sec.saturating_mul(1_000_000_000).saturating_add(t.nsec)))
}

impl Backend for Recorder {
    fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> Sys<(u32, u32)> {
        let groups: Vec<String> = cred.groups.iter().map(u32::to_string).collect();
        let args = vec![
            json!(cred.euid),
            json!(cred.egid),
            json!(groups.join(",")),
            json!(cred.privileged),
            json!(zone),
            json!(project),
        ];
        self.sys("spawn", args, |k| k.spawn(cred, zone, project))
    }

    fn exit(&mut self, pid: u32) -> Sys<()> {
        self.sys("exit", vec![json!(pid)], |k| k.exit(pid))
    }

    fn take_result(&mut self, tid: u32) -> Sys<Completion> {
        self.sys("takeResult", vec![json!(tid)], |k| k.take_result(tid))
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
        self.sys("msgget", vec![json!(tid), json!(key), json!(msgflg)], |k| k.msgget(tid, key, msgflg))
    }

    fn msgsnd(&mut self, tid: u32, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Parks<()> {
        let args = vec![
            json!(tid),
            json!(msqid),
            json!(mtype.to_string()),
            Entry::data_arg(&data),
            json!(msgflg),
            json!(NONE),
        ];
        self.parks("msgsnd", args, |k| k.msgsnd(tid, msqid, mtype, data, msgflg))
    }

    fn msgrcv(&mut self, tid: u32, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Parks<Received> {
        let args = vec![
            json!(tid),
            json!(msqid),
            json!(msgsz.to_string()),
            json!(msgtyp.to_string()),
            json!(msgflg),
            json!(NONE),
        ];
        self.parks("msgrcv", args, |k| k.msgrcv(tid, msqid, msgsz, msgtyp, msgflg))
    }

    fn msgctl_stat(&mut self, tid: u32, msqid: i32) -> Sys<MsqidDs> {
        self.sys("msgctlStat", vec![json!(tid), json!(msqid)], |k| k.msgctl_stat(tid, msqid))
    }

    fn msgctl_set(&mut self, tid: u32, msqid: i32, buf: MsqidSet) -> Sys<()> {
        let args = vec![
            json!(tid),
            json!(msqid),
            json!(buf.uid),
            json!(buf.gid),
            json!(buf.mode),
            json!(buf.qbytes.to_string()),
        ];
        self.sys("msgctlSet", args, |k| k.msgctl_set(tid, msqid, buf))
    }

    fn msgctl_rmid(&mut self, tid: u32, msqid: i32) -> Sys<()> {
        self.sys("msgctlRmid", vec![json!(tid), json!(msqid)], |k| k.msgctl_rmid(tid, msqid))
    }

    fn semget(&mut self, tid: u32, key: i32, nsems: i32, semflg: i32) -> Sys<i32> {
        let args = vec![json!(tid), json!(key), json!(nsems), json!(semflg)];
        self.sys("semget", args, |k| k.semget(tid, key, nsems, semflg))
    }

    fn semop(&mut self, tid: u32, semid: i32, sops: &[Sembuf], timeout_ns: Option<u64>) -> Parks<()> {
        let list: Vec<[i64; 3]> =
            sops.iter().map(|b| [i64::from(b.sem_num), i64::from(b.sem_op), i64::from(b.sem_flg)]).collect();
        let args = vec![json!(tid), json!(semid), json!(json!(list).to_string()), timeout(timeout_ns)];
        self.parks("semop", args, |k| k.semop(tid, semid, sops, timeout_ns))
    }

    fn semctl_getval(&mut self, tid: u32, semid: i32, semnum: u32) -> Sys<u32> {
        // The playground has no GETVAL of its own: GETALL reads the same.
        self.sys("semctlGetall", vec![json!(tid), json!(semid)], |k| k.semctl_getval(tid, semid, semnum))
    }

    fn semctl_setval(&mut self, tid: u32, semid: i32, semnum: u32, val: i32) -> Sys<()> {
        let args = vec![json!(tid), json!(semid), json!(semnum), json!(val)];
        self.sys("semctlSetval", args, |k| k.semctl_setval(tid, semid, semnum, val))
    }

    fn semctl_getall(&mut self, tid: u32, semid: i32) -> Sys<Vec<u32>> {
        self.sys("semctlGetall", vec![json!(tid), json!(semid)], |k| k.semctl_getall(tid, semid))
    }

    fn semctl_setall(&mut self, tid: u32, semid: i32, vals: &[u32]) -> Sys<()> {
        // The playground sets values one at a time: SETALL is written as
        // its SETVALs (the same state; one step per semaphore).
        let c = self.cursor()?;
        let r = self.inner.semctl_setall(tid, semid, vals)?;
        let kind = self.kind("semctlSetall", r.is_err(), false, c)?;
        for (i, v) in vals.iter().enumerate() {
            self.push("semctlSetval", vec![json!(tid), json!(semid), json!(i), json!(v)], kind);
            if r.is_err() {
                break;
            }
        }
        Ok(r)
    }

    fn semctl_stat(&mut self, tid: u32, semid: i32) -> Sys<SemidDs> {
        self.sys("semctlStat", vec![json!(tid), json!(semid)], |k| k.semctl_stat(tid, semid))
    }

    fn semctl_rmid(&mut self, tid: u32, semid: i32) -> Sys<()> {
        self.sys("semctlRmid", vec![json!(tid), json!(semid)], |k| k.semctl_rmid(tid, semid))
    }

    fn shmget(&mut self, tid: u32, key: i32, size: u64, shmflg: i32) -> Sys<i32> {
        let args = vec![json!(tid), json!(key), json!(size.to_string()), json!(shmflg)];
        self.sys("shmget", args, |k| k.shmget(tid, key, size, shmflg))
    }

    fn shmat(&mut self, tid: u32, shmid: i32, shmaddr: u64, shmflg: i32) -> Sys<u64> {
        let args = vec![json!(tid), json!(shmid), json!(shmaddr.to_string()), json!(shmflg)];
        self.sys("shmat", args, |k| k.shmat(tid, shmid, shmaddr, shmflg))
    }

    fn shmdt(&mut self, tid: u32, shmaddr: u64) -> Sys<()> {
        self.sys("shmdt", vec![json!(tid), json!(shmaddr.to_string())], |k| k.shmdt(tid, shmaddr))
    }

    fn shmctl_stat(&mut self, tid: u32, shmid: i32) -> Sys<ShmidDs> {
        self.sys("shmctlStat", vec![json!(tid), json!(shmid)], |k| k.shmctl_stat(tid, shmid))
    }

    fn shmctl_rmid(&mut self, tid: u32, shmid: i32) -> Sys<()> {
        self.sys("shmctlRmid", vec![json!(tid), json!(shmid)], |k| k.shmctl_rmid(tid, shmid))
    }

    fn shm_read(&mut self, tid: u32, addr: u64, len: u64) -> Sys<Vec<u8>> {
        let args = vec![json!(tid), json!(addr.to_string()), json!(len.to_string())];
        self.sys("shmRead", args, |k| k.shm_read(tid, addr, len))
    }

    fn shm_write(&mut self, tid: u32, addr: u64, data: &[u8]) -> Sys<()> {
        let args = vec![json!(tid), json!(addr.to_string()), Entry::data_arg(data)];
        self.sys("shmWrite", args, |k| k.shm_write(tid, addr, data))
    }

    fn sem_open(&mut self, tid: u32, name: &str, oflag: i32, mode: u32, value: u32) -> Sys<u32> {
        let args = vec![
            json!(tid),
            json!(name),
            json!(oflag & O_CREAT != 0),
            json!(oflag & O_EXCL != 0),
            json!(mode),
            json!(value),
        ];
        self.sys("semOpen", args, |k| k.sem_open(tid, name, oflag, mode, value))
    }

    fn sem_init(&mut self, tid: u32, value: u32, pshared: bool) -> Sys<u32> {
        self.sys("semInit", vec![json!(tid), json!(value), json!(pshared)], |k| k.sem_init(tid, value, pshared))
    }

    fn sem_close(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys("semClose", vec![json!(tid), json!(id)], |k| k.sem_close(tid, id))
    }

    fn sem_unlink(&mut self, tid: u32, name: &str) -> Sys<()> {
        self.sys("semUnlink", vec![json!(tid), json!(name)], |k| k.sem_unlink(tid, name))
    }

    fn sem_destroy(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys("semDestroy", vec![json!(tid), json!(id)], |k| k.sem_destroy(tid, id))
    }

    fn sem_post(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys("semPost", vec![json!(tid), json!(id)], |k| k.sem_post(tid, id))
    }

    fn sem_wait(&mut self, tid: u32, id: u32, abstime: Option<Timespec>) -> Parks<()> {
        let (op, args) = match abstime {
            Some(t) => {
                ("semTimedwait", vec![json!(tid), json!(id), json!(t.sec.to_string()), json!(t.nsec.to_string())])
            }
            None => ("semWait", vec![json!(tid), json!(id)]),
        };
        self.parks(op, args, |k| k.sem_wait(tid, id, abstime))
    }

    fn sem_trywait(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.sys("semTrywait", vec![json!(tid), json!(id)], |k| k.sem_trywait(tid, id))
    }

    fn sem_getvalue(&mut self, tid: u32, id: u32) -> Sys<u32> {
        self.sys("semGetvalue", vec![json!(tid), json!(id)], |k| k.sem_getvalue(tid, id))
    }

    fn pipe(&mut self, tid: u32) -> Sys<(i32, i32)> {
        self.sys("pipe", vec![json!(tid)], |k| k.pipe(tid))
    }

    fn read(&mut self, tid: u32, fd: i32, len: u32) -> Parks<Vec<u8>> {
        self.parks("fdRead", vec![json!(tid), json!(fd), json!(len), json!(false)], |k| k.read(tid, fd, len))
    }

    fn write(&mut self, tid: u32, fd: i32, data: &[u8]) -> Parks<u64> {
        let args = vec![json!(tid), json!(fd), Entry::data_arg(data), json!(false)];
        self.parks("fdWrite", args, |k| k.write(tid, fd, data))
    }

    fn close(&mut self, tid: u32, fd: i32) -> Sys<()> {
        self.sys("fdClose", vec![json!(tid), json!(fd)], |k| k.close(tid, fd))
    }

    fn port_create(&mut self, tid: u32) -> Sys<i32> {
        self.sys("portCreate", vec![json!(tid)], |k| k.port_create(tid))
    }

    fn port_send(&mut self, tid: u32, port: i32, events: i32, user: u64) -> Sys<()> {
        let args = vec![json!(tid), json!(port), json!(events), json!(user.to_string())];
        self.sys("portSend", args, |k| k.port_send(tid, port, events, user))
    }

    fn port_alert(&mut self, tid: u32, port: i32, flags: i32, events: i32, user: u64) -> Sys<()> {
        let args = vec![json!(tid), json!(port), json!(flags), json!(events), json!(user.to_string())];
        self.sys("portAlert", args, |k| k.port_alert(tid, port, flags, events, user))
    }

    fn port_associate(&mut self, tid: u32, port: i32, source: u16, object: u64, events: u16, user: u64) -> Sys<()> {
        let args = vec![
            json!(tid),
            json!(port),
            json!(source),
            json!(object.to_string()),
            json!(events),
            json!(user.to_string()),
        ];
        self.sys("portAssociate", args, |k| k.port_associate(tid, port, source, object, events, user))
    }

    fn port_dissociate(&mut self, tid: u32, port: i32, source: u16, object: u64) -> Sys<()> {
        let args = vec![json!(tid), json!(port), json!(source), json!(object.to_string())];
        self.sys("portDissociate", args, |k| k.port_dissociate(tid, port, source, object))
    }

    fn port_getn(&mut self, tid: u32, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Parks<PortGot> {
        let args = vec![json!(tid), json!(port), json!(max), json!(nget), relative(timeout)];
        self.parks("portGetn", args, |k| k.port_getn(tid, port, max, nget, timeout))
    }

    fn port_pending(&mut self, tid: u32, port: i32) -> Sys<u32> {
        let args = vec![json!(tid), json!(port), json!(0), json!(0), json!(NONE)];
        self.sys("portGetn", args, |k| k.port_pending(tid, port))
    }

    fn port_get(&mut self, tid: u32, port: i32, timeout: Option<Timespec>) -> Parks<Option<PortEvent>> {
        let args = vec![json!(tid), json!(port), relative(timeout)];
        self.parks("portGet", args, |k| k.port_get(tid, port, timeout))
    }
}

// ----- replay -----

/// Runs a session's log on a fresh native kernel of its configuration, up
/// to the step it shows; the kernel as that step left it.  Each operation
/// is made as the playground's bridge makes it; a refused one is part of
/// the log (its errno is the kernel's answer, not an error of the replay).
pub fn replay(s: &Session) -> Result<Kernel, String> {
    let mut k = Kernel::new(config(s.config)).map_err(|e| format!("create the kernel: {e}"))?;
    let upto = s.step.map_or(s.log.len(), |n| n as usize).min(s.log.len());
    for (i, e) in s.log[..upto].iter().enumerate() {
        if let Some(at) = e.at
            && at > k.now()
        {
            k.advance(at - k.now());
        }
        apply(&mut k, e).map_err(|why| format!("step {} ({}): {why}", i + 1, e.op))?;
    }
    Ok(k)
}

/// A replayed operation's answer: the kernel's, whatever it is.
fn answer<T>(_: T) {}

/// One operation on the kernel, its arguments read as the bridge reads them.
fn apply(k: &mut Kernel, e: &Entry) -> Result<(), String> {
    let int = |i: usize| e.int(i).unwrap_or(0);
    let (u32_, i32_, u64_, i64_) =
        (|i: usize| int(i) as u32, |i: usize| int(i) as i32, |i: usize| int(i) as u64, |i: usize| int(i) as i64);
    let tid = u32_(0);
    let to = |i: usize| match e.int(i) {
        Some(n) if n >= 0 => Some(n as u64),
        _ => None,
    };
    let rel = |i: usize| to(i).map(|n| CTimespec { sec: (n / 1_000_000_000) as i64, nsec: (n % 1_000_000_000) as i64 });
    match e.op {
        "spawn" => {
            let groups = e.text(2).unwrap_or("");
            let groups: Result<Vec<u32>, _> =
                groups.split([',', ' ']).filter(|g| !g.is_empty()).map(str::parse::<u32>).collect();
            let groups = groups.map_err(|_| "groups must be numbers".to_string())?;
            let (uid, gid) = (u32_(0), u32_(1));
            let cred = CCredentials { ruid: uid, euid: uid, rgid: gid, egid: gid, groups, privileged: e.flag(3) };
            let zone = e.int(4).map_or(0, |z| z as u32);
            let project = e.int(5).map_or(1, |p| p as u32);
            let _ = k.spawn(cred, zone, project);
        }
        "fork" => answer(k.fork(u32_(0))),
        "threadCreate" => answer(k.thread_create(u32_(0))),
        "exit" => answer(k.exit(u32_(0))),
        "msgget" => answer(k.msgget(tid, i32_(1), i32_(2))),
        "msgsnd" => answer(k.msgsnd_vec(tid, i32_(1), i64_(2), e.data(3), i32_(4), to(5))),
        "msgrcv" => answer(k.msgrcv(tid, i32_(1), u64_(2), i64_(3), i32_(4), to(5))),
        "msgctlStat" => answer(k.msgctl_stat(tid, i32_(1))),
        "msgctlSet" => {
            let set = ipc_core::msg::MsqSet { uid: u32_(2), gid: u32_(3), mode: u32_(4), qbytes: u64_(5) };
            answer(k.msgctl_set(tid, i32_(1), set))
        }
        "msgctlRmid" => answer(k.msgctl_rmid(tid, i32_(1))),
        "semget" => answer(k.semget(tid, i32_(1), i32_(2), i32_(3))),
        "semop" => {
            let list: Vec<[i64; 3]> =
                serde_json::from_str(e.text(2).unwrap_or("[]")).map_err(|_| "sops are not [[num,op,flg],…]")?;
            let sops: Vec<SemBuf> = list
                .iter()
                .map(|b| SemBuf { sem_num: b[0] as u16, sem_op: b[1] as i16, sem_flg: b[2] as i16 })
                .collect();
            answer(k.semop(tid, i32_(1), &sops, to(3)))
        }
        "semctlSetval" => answer(k.semctl_setval(tid, i32_(1), u32_(2), i32_(3))),
        "semctlGetall" => answer(k.semctl_getall(tid, i32_(1))),
        "semctlStat" => answer(k.semctl_stat(tid, i32_(1))),
        "semctlRmid" => answer(k.semctl_rmid(tid, i32_(1))),
        "semOpen" => {
            let oflag = if e.flag(2) { O_CREAT } else { 0 } | if e.flag(3) { O_EXCL } else { 0 };
            answer(k.sem_open(tid, e.text(1).unwrap_or("").as_bytes(), oflag, u32_(4), u32_(5)))
        }
        "semInit" => answer(k.sem_init(tid, u32_(1), e.flag(2))),
        "semClose" => answer(k.sem_close(tid, u32_(1))),
        "semUnlink" => answer(k.sem_unlink(tid, e.text(1).unwrap_or("").as_bytes())),
        "semDestroy" => answer(k.sem_destroy(tid, u32_(1))),
        "semPost" => answer(k.sem_post(tid, u32_(1))),
        "semWait" => answer(k.sem_wait(tid, u32_(1))),
        "semTrywait" => answer(k.sem_trywait(tid, u32_(1))),
        "semTimedwait" => answer(k.sem_timedwait(tid, u32_(1), CTimespec { sec: i64_(2), nsec: i64_(3) })),
        "semGetvalue" => answer(k.sem_getvalue(tid, u32_(1))),
        "shmget" => answer(k.shmget(tid, i32_(1), u64_(2), i32_(3))),
        "shmat" => answer(k.shmat(tid, i32_(1), u64_(2), i32_(3))),
        "shmdt" => answer(k.shmdt(tid, u64_(1))),
        "shmctlStat" => answer(k.shmctl_stat(tid, i32_(1))),
        "shmctlSet" => answer(k.shmctl_set(tid, i32_(1), ShmSetPerm { uid: u32_(2), gid: u32_(3), mode: u32_(4) })),
        "shmctlRmid" => answer(k.shmctl_rmid(tid, i32_(1))),
        "shmctlLock" => {
            let cmd = if e.flag(2) { ipc_core::shm::SHM_LOCK } else { ipc_core::shm::SHM_UNLOCK };
            answer(k.shmctl(tid, i32_(1), cmd, None))
        }
        "shmRead" => answer(k.shm_read(tid, u64_(1), u64_(2))),
        "shmWrite" => answer(k.shm_write(tid, u64_(1), &e.data(2))),
        "setTunable" => {
            let set = match e.text(1).unwrap_or("") {
                "shmmax" => ShmSysctl::Shmmax(u64_(2)),
                "shmmaxpgs" => ShmSysctl::Shmmaxpgs(u64_(2)),
                "shmmni" => ShmSysctl::Shmmni(u32_(2)),
                "shmseg" => ShmSysctl::Shmseg(u32_(2)),
                other => return Err(format!("{other:?} is not a tunable")),
            };
            answer(k.shm_sysctl(tid, set))
        }
        "pipe" => answer(k.pipe(tid)),
        "fdRead" => answer(k.read(tid, i32_(1), u32_(2), e.flag(3))),
        "fdWrite" => answer(k.write(tid, i32_(1), &e.data(2), e.flag(3))),
        "fdClose" => answer(k.close(tid, i32_(1))),
        "portCreate" => answer(k.port_create(tid)),
        "portSend" => answer(k.port_send(tid, i32_(1), i32_(2), u64_(3))),
        "portSendn" => {
            let ports: Vec<i32> =
                serde_json::from_str(e.text(1).unwrap_or("[]")).map_err(|_| "ports are not a list")?;
            answer(k.port_sendn(tid, &ports, i32_(2), u64_(3)))
        }
        "portAlert" => answer(k.port_alert(tid, i32_(1), i32_(2), i32_(3), u64_(4))),
        "portAssociate" => answer(k.port_associate(tid, i32_(1), int(2) as u16, u64_(3), int(4) as u16, u64_(5))),
        "portDissociate" => answer(k.port_dissociate(tid, i32_(1), int(2) as u16, u64_(3))),
        "portGetn" => answer(k.port_getn(tid, i32_(1), u32_(2), u32_(3), rel(4))),
        "portGet" => answer(k.port_get(tid, i32_(1), rel(2))),
        "takeResult" => answer(k.take_result(tid)),
        "interrupt" => answer(k.interrupt(tid)),
        "advance" => answer(k.advance(u64_(0))),
        "restore" => {
            let snap = e.text(0).ok_or("no snapshot")?;
            let restored: Kernel = serde_json::from_str(snap).map_err(|e| format!("not a kernel snapshot: {e}"))?;
            restored.check().map_err(|e| format!("the snapshot fails the kernel's check: {e}"))?;
            *k = restored;
        }
        other => return Err(format!("{other:?} is not an operation")),
    }
    Ok(())
}
