//! # The operations of a session, typed
//!
//! [`Call`] is one operation of [`crate::OPS`] with its arguments typed —
//! what the playground's forms make and its timeline words, what
//! `ipclab run --record` writes for a guest's system call, what a replay
//! makes on a kernel.  [`Call::args`] writes the arguments as the
//! playground's bridge takes them (and as the session file holds them);
//! [`Call::from_entry`] reads them back.
//!
//! Invariant (tested): `Call::from_log(c.op(), &c.args()) == Some(c)` for
//! every call, and every operation of every preset reads back as a call.

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::{Entry, Kind};

/// The bytes a call carries (a message, a store, a write): text in the
/// session file when they are UTF-8, else the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Data(pub Vec<u8>);

impl Data {
    /// The bytes as text, for words (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// As a session argument: text when it is UTF-8, else the bytes.
    pub fn arg(&self) -> Value {
        Entry::data_arg(&self.0)
    }
}

impl From<String> for Data {
    fn from(s: String) -> Data {
        Data(s.into_bytes())
    }
}

impl From<&str> for Data {
    fn from(s: &str) -> Data {
        Data(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for Data {
    fn from(b: Vec<u8>) -> Data {
        Data(b)
    }
}

/// One operation of a session, its arguments typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// A process with one thread: credentials (groups as "1,2"), zone and project.
    Spawn {
        uid: u32,
        gid: u32,
        groups: String,
        privileged: bool,
        zone: u32,
        project: u32,
    },
    Fork {
        pid: u32,
    },
    ThreadCreate {
        pid: u32,
    },
    Exit {
        pid: u32,
    },
    TakeResult {
        tid: u32,
    },
    Interrupt {
        tid: u32,
    },
    Msgget {
        tid: u32,
        key: i32,
        flags: i32,
    },
    Msgsnd {
        tid: u32,
        msqid: i32,
        mtype: i64,
        data: Data,
        flags: i32,
        timeout_ns: Option<u64>,
    },
    Msgrcv {
        tid: u32,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        flags: i32,
        timeout_ns: Option<u64>,
    },
    Stat {
        tid: u32,
        msqid: i32,
    },
    Set {
        tid: u32,
        msqid: i32,
        uid: u32,
        gid: u32,
        mode: u32,
        qbytes: u64,
    },
    Rmid {
        tid: u32,
        msqid: i32,
    },
    Semget {
        tid: u32,
        key: i32,
        nsems: i32,
        flags: i32,
    },
    /// `sops` as (sem_num, sem_op, sem_flg).
    Semop {
        tid: u32,
        semid: i32,
        sops: Vec<(u16, i16, i16)>,
        timeout_ns: Option<u64>,
    },
    SemSetval {
        tid: u32,
        semid: i32,
        semnum: u32,
        val: i32,
    },
    SemGetall {
        tid: u32,
        semid: i32,
    },
    SemStat {
        tid: u32,
        semid: i32,
    },
    SemRmid {
        tid: u32,
        semid: i32,
    },
    /// POSIX `sem_open(name, oflag, mode, value)`.
    SemOpen {
        tid: u32,
        name: String,
        creat: bool,
        excl: bool,
        mode: u32,
        value: u32,
    },
    /// POSIX `sem_init(sem, pshared, value)`.
    SemInit {
        tid: u32,
        value: u32,
        pshared: bool,
    },
    SemClose {
        tid: u32,
        id: u32,
    },
    SemUnlink {
        tid: u32,
        name: String,
    },
    SemDestroy {
        tid: u32,
        id: u32,
    },
    SemPost {
        tid: u32,
        id: u32,
    },
    SemWait {
        tid: u32,
        id: u32,
    },
    SemTrywait {
        tid: u32,
        id: u32,
    },
    /// `abstime` as (sec, nsec) on the logical clock.
    SemTimedwait {
        tid: u32,
        id: u32,
        sec: i64,
        nsec: i64,
    },
    SemGetvalue {
        tid: u32,
        id: u32,
    },
    /// `shmget(key, size, shmflg)`.
    Shmget {
        tid: u32,
        key: i32,
        size: u64,
        flags: i32,
    },
    /// `shmat(shmid, shmaddr, shmflg)`; `addr` 0 lets the kernel choose.
    Shmat {
        tid: u32,
        shmid: i32,
        addr: u64,
        flags: i32,
    },
    Shmdt {
        tid: u32,
        addr: u64,
    },
    ShmStat {
        tid: u32,
        shmid: i32,
    },
    ShmSet {
        tid: u32,
        shmid: i32,
        uid: u32,
        gid: u32,
        mode: u32,
    },
    ShmRmid {
        tid: u32,
        shmid: i32,
    },
    /// SHM_LOCK (`lock`) or SHM_UNLOCK.
    ShmLock {
        tid: u32,
        shmid: i32,
        lock: bool,
    },
    /// A load of `len` bytes at `addr` of the caller's address space.
    ShmRead {
        tid: u32,
        addr: u64,
        len: u64,
    },
    /// A store of `data` at `addr`.
    ShmWrite {
        tid: u32,
        addr: u64,
        data: Data,
    },
    /// A shared-memory tunable (sysctl kern.ipc.*).
    ShmTunable {
        tid: u32,
        tunable: Tunable,
        value: u64,
    },
    /// `pipe()`: two fds, the read end first.
    Pipe {
        tid: u32,
    },
    /// `read(fd, len)`, with O_NONBLOCK or not.
    FdRead {
        tid: u32,
        fd: i32,
        len: u32,
        nonblock: bool,
    },
    /// `write(fd, data)`, with O_NONBLOCK or not.
    FdWrite {
        tid: u32,
        fd: i32,
        data: Data,
        nonblock: bool,
    },
    FdClose {
        tid: u32,
        fd: i32,
    },
    PortCreate {
        tid: u32,
    },
    /// `port_send(port, events, user)`: a PORT_SOURCE_USER event.
    PortSend {
        tid: u32,
        port: i32,
        events: i32,
        user: u64,
    },
    /// `port_sendn(ports, errors, nent, events, user)`.
    PortSendn {
        tid: u32,
        ports: Vec<i32>,
        events: i32,
        user: u64,
    },
    /// `port_alert(port, flags, events, user)`; events 0 clears alert mode.
    PortAlert {
        tid: u32,
        port: i32,
        flags: i32,
        events: i32,
        user: u64,
    },
    /// `port_associate(port, source, object, events, user)`.
    PortAssociate {
        tid: u32,
        port: i32,
        source: u16,
        object: u64,
        events: u16,
        user: u64,
    },
    PortDissociate {
        tid: u32,
        port: i32,
        source: u16,
        object: u64,
    },
    /// `port_getn(port, list, max, &nget, timeout)`; `timeout_ns` is
    /// relative, none waits forever, 0 polls.
    PortGetn {
        tid: u32,
        port: i32,
        max: u32,
        nget: u32,
        timeout_ns: Option<u64>,
    },
    /// `port_get(port, &pe, timeout)`.
    PortGet {
        tid: u32,
        port: i32,
        timeout_ns: Option<u64>,
    },
    Advance {
        ns: u64,
    },
}

/// The shared-memory tunables `set-tunable` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tunable {
    /// Largest segment, bytes.
    Shmmax,
    /// All segments' pages together (shmall).
    Shmmaxpgs,
    /// Most segments.
    Shmmni,
    /// Most attachments per process.
    Shmseg,
}

impl Tunable {
    pub const ALL: [Tunable; 4] = [Tunable::Shmmax, Tunable::Shmmaxpgs, Tunable::Shmmni, Tunable::Shmseg];

    /// The name the bridge and sysctl use.
    pub fn name(self) -> &'static str {
        match self {
            Tunable::Shmmax => "shmmax",
            Tunable::Shmmaxpgs => "shmmaxpgs",
            Tunable::Shmmni => "shmmni",
            Tunable::Shmseg => "shmseg",
        }
    }

    /// Whether the value is 32 bits wide (else 64).
    pub fn narrow(self) -> bool {
        matches!(self, Tunable::Shmmni | Tunable::Shmseg)
    }

    pub fn from_name(name: &str) -> Option<Tunable> {
        Tunable::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A timeout as the bridge takes it: ns, or -1 for none.
fn timeout(t: Option<u64>) -> Value {
    t.map_or(json!(-1), |t| json!(t))
}

impl Call {
    /// The operation's name in the session file.
    pub fn op(&self) -> &'static str {
        match self {
            Call::Spawn { .. } => "spawn",
            Call::Fork { .. } => "fork",
            Call::ThreadCreate { .. } => "threadCreate",
            Call::Exit { .. } => "exit",
            Call::TakeResult { .. } => "takeResult",
            Call::Interrupt { .. } => "interrupt",
            Call::Advance { .. } => "advance",
            Call::Msgget { .. } => "msgget",
            Call::Msgsnd { .. } => "msgsnd",
            Call::Msgrcv { .. } => "msgrcv",
            Call::Stat { .. } => "msgctlStat",
            Call::Set { .. } => "msgctlSet",
            Call::Rmid { .. } => "msgctlRmid",
            Call::Semget { .. } => "semget",
            Call::Semop { .. } => "semop",
            Call::SemSetval { .. } => "semctlSetval",
            Call::SemGetall { .. } => "semctlGetall",
            Call::SemStat { .. } => "semctlStat",
            Call::SemRmid { .. } => "semctlRmid",
            Call::SemOpen { .. } => "semOpen",
            Call::SemInit { .. } => "semInit",
            Call::SemClose { .. } => "semClose",
            Call::SemUnlink { .. } => "semUnlink",
            Call::SemDestroy { .. } => "semDestroy",
            Call::SemPost { .. } => "semPost",
            Call::SemWait { .. } => "semWait",
            Call::SemTrywait { .. } => "semTrywait",
            Call::SemTimedwait { .. } => "semTimedwait",
            Call::SemGetvalue { .. } => "semGetvalue",
            Call::Shmget { .. } => "shmget",
            Call::Shmat { .. } => "shmat",
            Call::Shmdt { .. } => "shmdt",
            Call::ShmStat { .. } => "shmctlStat",
            Call::ShmSet { .. } => "shmctlSet",
            Call::ShmRmid { .. } => "shmctlRmid",
            Call::ShmLock { .. } => "shmctlLock",
            Call::ShmRead { .. } => "shmRead",
            Call::ShmWrite { .. } => "shmWrite",
            Call::ShmTunable { .. } => "setTunable",
            Call::Pipe { .. } => "pipe",
            Call::FdRead { .. } => "fdRead",
            Call::FdWrite { .. } => "fdWrite",
            Call::FdClose { .. } => "fdClose",
            Call::PortCreate { .. } => "portCreate",
            Call::PortSend { .. } => "portSend",
            Call::PortSendn { .. } => "portSendn",
            Call::PortAlert { .. } => "portAlert",
            Call::PortAssociate { .. } => "portAssociate",
            Call::PortDissociate { .. } => "portDissociate",
            Call::PortGetn { .. } => "portGetn",
            Call::PortGet { .. } => "portGet",
        }
    }

    /// The arguments as the bridge takes them and the session holds them.
    pub fn args(&self) -> Vec<Value> {
        let s = |v: &dyn ToString| json!(v.to_string());
        match self {
            Call::Spawn { uid, gid, groups, privileged, zone, project } => {
                vec![json!(uid), json!(gid), json!(groups), json!(privileged), json!(zone), json!(project)]
            }
            Call::Fork { pid } | Call::ThreadCreate { pid } | Call::Exit { pid } => vec![json!(pid)],
            Call::TakeResult { tid } | Call::Interrupt { tid } | Call::Pipe { tid } | Call::PortCreate { tid } => {
                vec![json!(tid)]
            }
            Call::Advance { ns } => vec![s(ns)],
            Call::Msgget { tid, key, flags } => vec![json!(tid), json!(key), json!(flags)],
            Call::Msgsnd { tid, msqid, mtype, data, flags, timeout_ns } => {
                vec![json!(tid), json!(msqid), s(mtype), data.arg(), json!(flags), timeout(*timeout_ns)]
            }
            Call::Msgrcv { tid, msqid, msgsz, msgtyp, flags, timeout_ns } => {
                vec![json!(tid), json!(msqid), s(msgsz), s(msgtyp), json!(flags), timeout(*timeout_ns)]
            }
            Call::Stat { tid, msqid } | Call::Rmid { tid, msqid } => vec![json!(tid), json!(msqid)],
            Call::Set { tid, msqid, uid, gid, mode, qbytes } => {
                vec![json!(tid), json!(msqid), json!(uid), json!(gid), json!(mode), s(qbytes)]
            }
            Call::Semget { tid, key, nsems, flags } => vec![json!(tid), json!(key), json!(nsems), json!(flags)],
            Call::Semop { tid, semid, sops, timeout_ns } => {
                let list: Vec<[i32; 3]> =
                    sops.iter().map(|&(n, o, f)| [i32::from(n), i32::from(o), i32::from(f)]).collect();
                vec![json!(tid), json!(semid), json!(json!(list).to_string()), timeout(*timeout_ns)]
            }
            Call::SemSetval { tid, semid, semnum, val } => vec![json!(tid), json!(semid), json!(semnum), json!(val)],
            Call::SemGetall { tid, semid } | Call::SemStat { tid, semid } | Call::SemRmid { tid, semid } => {
                vec![json!(tid), json!(semid)]
            }
            Call::SemOpen { tid, name, creat, excl, mode, value } => {
                vec![json!(tid), json!(name), json!(creat), json!(excl), json!(mode), json!(value)]
            }
            Call::SemInit { tid, value, pshared } => vec![json!(tid), json!(value), json!(pshared)],
            Call::SemClose { tid, id }
            | Call::SemDestroy { tid, id }
            | Call::SemPost { tid, id }
            | Call::SemWait { tid, id }
            | Call::SemTrywait { tid, id }
            | Call::SemGetvalue { tid, id } => vec![json!(tid), json!(id)],
            Call::SemUnlink { tid, name } => vec![json!(tid), json!(name)],
            Call::SemTimedwait { tid, id, sec, nsec } => vec![json!(tid), json!(id), s(sec), s(nsec)],
            Call::Shmget { tid, key, size, flags } => vec![json!(tid), json!(key), s(size), json!(flags)],
            Call::Shmat { tid, shmid, addr, flags } => vec![json!(tid), json!(shmid), s(addr), json!(flags)],
            Call::Shmdt { tid, addr } => vec![json!(tid), s(addr)],
            Call::ShmStat { tid, shmid } | Call::ShmRmid { tid, shmid } => vec![json!(tid), json!(shmid)],
            Call::ShmSet { tid, shmid, uid, gid, mode } => {
                vec![json!(tid), json!(shmid), json!(uid), json!(gid), json!(mode)]
            }
            Call::ShmLock { tid, shmid, lock } => vec![json!(tid), json!(shmid), json!(lock)],
            Call::ShmRead { tid, addr, len } => vec![json!(tid), s(addr), s(len)],
            Call::ShmWrite { tid, addr, data } => vec![json!(tid), s(addr), data.arg()],
            Call::ShmTunable { tid, tunable, value } => vec![json!(tid), json!(tunable.name()), s(value)],
            Call::FdRead { tid, fd, len, nonblock } => vec![json!(tid), json!(fd), json!(len), json!(nonblock)],
            Call::FdWrite { tid, fd, data, nonblock } => vec![json!(tid), json!(fd), data.arg(), json!(nonblock)],
            Call::FdClose { tid, fd } => vec![json!(tid), json!(fd)],
            Call::PortSend { tid, port, events, user } => vec![json!(tid), json!(port), json!(events), s(user)],
            Call::PortSendn { tid, ports, events, user } => {
                vec![json!(tid), json!(json!(ports).to_string()), json!(events), s(user)]
            }
            Call::PortAlert { tid, port, flags, events, user } => {
                vec![json!(tid), json!(port), json!(flags), json!(events), s(user)]
            }
            Call::PortAssociate { tid, port, source, object, events, user } => {
                vec![json!(tid), json!(port), json!(source), s(object), json!(events), s(user)]
            }
            Call::PortDissociate { tid, port, source, object } => {
                vec![json!(tid), json!(port), json!(source), s(object)]
            }
            Call::PortGetn { tid, port, max, nget, timeout_ns } => {
                vec![json!(tid), json!(port), json!(max), json!(nget), timeout(*timeout_ns)]
            }
            Call::PortGet { tid, port, timeout_ns } => vec![json!(tid), json!(port), timeout(*timeout_ns)],
        }
    }

    /// The call as an entry of the log, having done `kind`.
    pub fn entry(&self, kind: Kind) -> Entry {
        Entry { op: self.op(), args: self.args(), kind: Some(kind), at: None }
    }

    /// Whether a successful call of this operation takes something away
    /// (an object, a process): the timeline marks it a removal.
    pub fn removes(&self) -> bool {
        matches!(
            self,
            Call::Exit { .. }
                | Call::Rmid { .. }
                | Call::SemRmid { .. }
                | Call::ShmRmid { .. }
                | Call::SemUnlink { .. }
                | Call::SemDestroy { .. }
        )
    }
}

/// A logged operation's arguments, as the bridge takes them (numbers,
/// 64-bit values as decimal strings, arrays as JSON text, -1 for no
/// timeout, data as text or bytes).
struct LogArgs<'a>(&'a [Value]);

impl LogArgs<'_> {
    fn num(&self, i: usize) -> Option<f64> {
        match self.0.get(i)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
    fn u32(&self, i: usize) -> Option<u32> {
        self.num(i).filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n)).map(|n| n as u32)
    }
    fn i32(&self, i: usize) -> Option<i32> {
        self.num(i)
            .filter(|n| n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(n))
            .map(|n| n as i32)
    }
    /// A 64-bit value, logged as a decimal string (exact) or a number.
    fn u64(&self, i: usize) -> Option<u64> {
        match self.0.get(i)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    fn i64(&self, i: usize) -> Option<i64> {
        match self.0.get(i)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    fn str(&self, i: usize) -> Option<String> {
        self.0.get(i)?.as_str().map(str::to_string)
    }
    fn bool(&self, i: usize) -> Option<bool> {
        self.0.get(i)?.as_bool()
    }
    /// A relative timeout: negative is none.
    fn timeout(&self, i: usize) -> Option<Option<u64>> {
        let n = self.num(i)?;
        Some((n >= 0.0).then_some(n as u64))
    }
    /// Data: a string's UTF-8 bytes, or an array of bytes.
    fn data(&self, i: usize) -> Option<Data> {
        match self.0.get(i)? {
            Value::String(s) => Some(Data(s.as_bytes().to_vec())),
            Value::Array(a) => {
                a.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect::<Option<Vec<u8>>>().map(Data)
            }
            _ => None,
        }
    }
    /// JSON text of an array.
    fn json<T: serde::de::DeserializeOwned>(&self, i: usize) -> Option<T> {
        serde_json::from_str(self.0.get(i)?.as_str()?).ok()
    }
}

impl Call {
    /// The call of an entry: its operation and arguments read back (the
    /// inverse of [`Call::args`]); `None` for an operation that is not a
    /// call (`restore`) or arguments it does not take.
    pub fn from_entry(e: &Entry) -> Option<Call> {
        Call::from_log(e.op, &e.args)
    }

    /// [`Call::from_entry`] of an operation's name and arguments.
    pub fn from_log(op: &str, args: &[Value]) -> Option<Call> {
        let a = LogArgs(args);
        let tid = || a.u32(0);
        Some(match op {
            "spawn" => Call::Spawn {
                uid: a.u32(0)?,
                gid: a.u32(1)?,
                groups: a.str(2)?,
                privileged: a.bool(3)?,
                zone: if args.len() > 4 { a.u32(4)? } else { 0 },
                project: if args.len() > 5 { a.u32(5)? } else { 1 },
            },
            "fork" => Call::Fork { pid: a.u32(0)? },
            "threadCreate" => Call::ThreadCreate { pid: a.u32(0)? },
            "exit" => Call::Exit { pid: a.u32(0)? },
            "takeResult" => Call::TakeResult { tid: tid()? },
            "interrupt" => Call::Interrupt { tid: tid()? },
            "advance" => Call::Advance { ns: a.u64(0)? },
            "msgget" => Call::Msgget { tid: tid()?, key: a.i32(1)?, flags: a.i32(2)? },
            "msgsnd" => Call::Msgsnd {
                tid: tid()?,
                msqid: a.i32(1)?,
                mtype: a.i64(2)?,
                data: a.data(3)?,
                flags: a.i32(4)?,
                timeout_ns: a.timeout(5)?,
            },
            "msgrcv" => Call::Msgrcv {
                tid: tid()?,
                msqid: a.i32(1)?,
                msgsz: a.u64(2)?,
                msgtyp: a.i64(3)?,
                flags: a.i32(4)?,
                timeout_ns: a.timeout(5)?,
            },
            "msgctlStat" => Call::Stat { tid: tid()?, msqid: a.i32(1)? },
            "msgctlSet" => Call::Set {
                tid: tid()?,
                msqid: a.i32(1)?,
                uid: a.u32(2)?,
                gid: a.u32(3)?,
                mode: a.u32(4)?,
                qbytes: a.u64(5)?,
            },
            "msgctlRmid" => Call::Rmid { tid: tid()?, msqid: a.i32(1)? },
            "semget" => Call::Semget { tid: tid()?, key: a.i32(1)?, nsems: a.i32(2)?, flags: a.i32(3)? },
            "semop" => {
                let sops: Vec<[i32; 3]> = a.json(2)?;
                let sops = sops
                    .into_iter()
                    .map(|[n, o, f]| Some((u16::try_from(n).ok()?, i16::try_from(o).ok()?, i16::try_from(f).ok()?)))
                    .collect::<Option<Vec<_>>>()?;
                Call::Semop { tid: tid()?, semid: a.i32(1)?, sops, timeout_ns: a.timeout(3)? }
            }
            "semctlSetval" => Call::SemSetval { tid: tid()?, semid: a.i32(1)?, semnum: a.u32(2)?, val: a.i32(3)? },
            "semctlGetall" => Call::SemGetall { tid: tid()?, semid: a.i32(1)? },
            "semctlStat" => Call::SemStat { tid: tid()?, semid: a.i32(1)? },
            "semctlRmid" => Call::SemRmid { tid: tid()?, semid: a.i32(1)? },
            "semOpen" => Call::SemOpen {
                tid: tid()?,
                name: a.str(1)?,
                creat: a.bool(2)?,
                excl: a.bool(3)?,
                mode: a.u32(4)?,
                value: a.u32(5)?,
            },
            "semInit" => Call::SemInit { tid: tid()?, value: a.u32(1)?, pshared: a.bool(2)? },
            "semClose" => Call::SemClose { tid: tid()?, id: a.u32(1)? },
            "semUnlink" => Call::SemUnlink { tid: tid()?, name: a.str(1)? },
            "semDestroy" => Call::SemDestroy { tid: tid()?, id: a.u32(1)? },
            "semPost" => Call::SemPost { tid: tid()?, id: a.u32(1)? },
            "semWait" => Call::SemWait { tid: tid()?, id: a.u32(1)? },
            "semTrywait" => Call::SemTrywait { tid: tid()?, id: a.u32(1)? },
            "semTimedwait" => Call::SemTimedwait { tid: tid()?, id: a.u32(1)?, sec: a.i64(2)?, nsec: a.i64(3)? },
            "semGetvalue" => Call::SemGetvalue { tid: tid()?, id: a.u32(1)? },
            "shmget" => Call::Shmget { tid: tid()?, key: a.i32(1)?, size: a.u64(2)?, flags: a.i32(3)? },
            "shmat" => Call::Shmat { tid: tid()?, shmid: a.i32(1)?, addr: a.u64(2)?, flags: a.i32(3)? },
            "shmdt" => Call::Shmdt { tid: tid()?, addr: a.u64(1)? },
            "shmctlStat" => Call::ShmStat { tid: tid()?, shmid: a.i32(1)? },
            "shmctlSet" => {
                Call::ShmSet { tid: tid()?, shmid: a.i32(1)?, uid: a.u32(2)?, gid: a.u32(3)?, mode: a.u32(4)? }
            }
            "shmctlRmid" => Call::ShmRmid { tid: tid()?, shmid: a.i32(1)? },
            "shmctlLock" => Call::ShmLock { tid: tid()?, shmid: a.i32(1)?, lock: a.bool(2)? },
            "shmRead" => Call::ShmRead { tid: tid()?, addr: a.u64(1)?, len: a.u64(2)? },
            "shmWrite" => Call::ShmWrite { tid: tid()?, addr: a.u64(1)?, data: a.data(2)? },
            "setTunable" => {
                Call::ShmTunable { tid: tid()?, tunable: Tunable::from_name(&a.str(1)?)?, value: a.u64(2)? }
            }
            "pipe" => Call::Pipe { tid: tid()? },
            "fdRead" => Call::FdRead { tid: tid()?, fd: a.i32(1)?, len: a.u32(2)?, nonblock: a.bool(3)? },
            "fdWrite" => Call::FdWrite { tid: tid()?, fd: a.i32(1)?, data: a.data(2)?, nonblock: a.bool(3)? },
            "fdClose" => Call::FdClose { tid: tid()?, fd: a.i32(1)? },
            "portCreate" => Call::PortCreate { tid: tid()? },
            "portSend" => Call::PortSend { tid: tid()?, port: a.i32(1)?, events: a.i32(2)?, user: a.u64(3)? },
            "portSendn" => Call::PortSendn { tid: tid()?, ports: a.json(1)?, events: a.i32(2)?, user: a.u64(3)? },
            "portAlert" => {
                Call::PortAlert { tid: tid()?, port: a.i32(1)?, flags: a.i32(2)?, events: a.i32(3)?, user: a.u64(4)? }
            }
            "portAssociate" => Call::PortAssociate {
                tid: tid()?,
                port: a.i32(1)?,
                source: u16::try_from(a.u32(2)?).ok()?,
                object: a.u64(3)?,
                events: u16::try_from(a.u32(4)?).ok()?,
                user: a.u64(5)?,
            },
            "portDissociate" => Call::PortDissociate {
                tid: tid()?,
                port: a.i32(1)?,
                source: u16::try_from(a.u32(2)?).ok()?,
                object: a.u64(3)?,
            },
            "portGetn" => Call::PortGetn {
                tid: tid()?,
                port: a.i32(1)?,
                max: a.u32(2)?,
                nget: a.u32(3)?,
                timeout_ns: a.timeout(4)?,
            },
            "portGet" => Call::PortGet { tid: tid()?, port: a.i32(1)?, timeout_ns: a.timeout(2)? },
            _ => return None,
        })
    }

    /// The thread making the call, if it is a system call.
    pub fn tid(&self) -> Option<u32> {
        match self {
            Call::Msgget { tid, .. }
            | Call::Msgsnd { tid, .. }
            | Call::Msgrcv { tid, .. }
            | Call::Stat { tid, .. }
            | Call::Set { tid, .. }
            | Call::Rmid { tid, .. }
            | Call::Semget { tid, .. }
            | Call::Semop { tid, .. }
            | Call::SemSetval { tid, .. }
            | Call::SemGetall { tid, .. }
            | Call::SemStat { tid, .. }
            | Call::SemRmid { tid, .. }
            | Call::SemOpen { tid, .. }
            | Call::SemInit { tid, .. }
            | Call::SemClose { tid, .. }
            | Call::SemUnlink { tid, .. }
            | Call::SemDestroy { tid, .. }
            | Call::SemPost { tid, .. }
            | Call::SemWait { tid, .. }
            | Call::SemTrywait { tid, .. }
            | Call::SemTimedwait { tid, .. }
            | Call::SemGetvalue { tid, .. }
            | Call::Shmget { tid, .. }
            | Call::Shmat { tid, .. }
            | Call::Shmdt { tid, .. }
            | Call::ShmStat { tid, .. }
            | Call::ShmSet { tid, .. }
            | Call::ShmRmid { tid, .. }
            | Call::ShmLock { tid, .. }
            | Call::ShmRead { tid, .. }
            | Call::ShmWrite { tid, .. }
            | Call::ShmTunable { tid, .. }
            | Call::Pipe { tid }
            | Call::FdRead { tid, .. }
            | Call::FdWrite { tid, .. }
            | Call::FdClose { tid, .. }
            | Call::PortCreate { tid }
            | Call::PortSend { tid, .. }
            | Call::PortSendn { tid, .. }
            | Call::PortAlert { tid, .. }
            | Call::PortAssociate { tid, .. }
            | Call::PortDissociate { tid, .. }
            | Call::PortGetn { tid, .. }
            | Call::PortGet { tid, .. }
            | Call::TakeResult { tid }
            | Call::Interrupt { tid } => Some(*tid),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Call> {
        vec![
            Call::Spawn { uid: 100, gid: 10, groups: "20,30".into(), privileged: true, zone: 2, project: 7 },
            Call::Msgsnd { tid: 1, msqid: 65536, mtype: -3, data: "hi".into(), flags: 2048, timeout_ns: None },
            Call::Msgsnd { tid: 1, msqid: 0, mtype: 1, data: vec![0xff, 0, 7].into(), flags: 0, timeout_ns: Some(5) },
            Call::Msgrcv { tid: 2, msqid: 7, msgsz: u64::MAX, msgtyp: i64::MIN, flags: 0, timeout_ns: Some(5000) },
            Call::Semop { tid: 3, semid: 1 << 24, sops: vec![(0, -1, 4096), (1, -2, 0)], timeout_ns: None },
            Call::SemTimedwait { tid: 1, id: 2, sec: -1, nsec: 999_999_999 },
            Call::ShmWrite { tid: 1, addr: u64::MAX, data: "x".into() },
            Call::ShmTunable { tid: 1, tunable: Tunable::Shmmaxpgs, value: 1 << 40 },
            Call::FdWrite { tid: 1, fd: 3, data: Data(vec![0x80]), nonblock: true },
            Call::PortSendn { tid: 1, ports: vec![3, 4], events: 1, user: 9 },
            Call::PortAssociate { tid: 1, port: 3, source: 4, object: 1 << 33, events: 1, user: u64::MAX },
            Call::PortGetn { tid: 1, port: 3, max: 4, nget: 1, timeout_ns: Some(0) },
            Call::Advance { ns: 6_000_000_000 },
        ]
    }

    #[test]
    fn every_call_reads_back_from_its_arguments() {
        for c in samples() {
            assert_eq!(Call::from_log(c.op(), &c.args()), Some(c.clone()), "{c:?}");
            let e = c.entry(Kind::Call);
            assert!(crate::op_named(e.op).is_some_and(|o| o.arity >= e.args.len()), "{c:?}");
        }
    }

    #[test]
    fn an_old_spawn_without_zone_and_project_is_zone_0_project_1() {
        let c = Call::from_log("spawn", &[json!(100), json!(10), json!(""), json!(false)]);
        assert_eq!(
            c,
            Some(Call::Spawn { uid: 100, gid: 10, groups: String::new(), privileged: false, zone: 0, project: 1 })
        );
    }

    #[test]
    fn arguments_a_call_does_not_take_read_as_none() {
        assert_eq!(Call::from_log("msgsnd", &[json!(1), json!("x")]), None);
        assert_eq!(Call::from_log("semop", &[json!(1), json!(2), json!("[[70000,0,0]]"), json!(-1)]), None);
        assert_eq!(Call::from_log("restore", &[json!("{}")]), None);
        assert_eq!(Call::from_log("nosuchop", &[]), None);
    }

    /// Every operation of every preset reads back as a call.
    #[test]
    fn every_presets_operations_read_back() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/presets");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("www/presets") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "index.json") {
                continue;
            }
            let s = crate::Session::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for e in &s.log {
                if e.op != "restore" {
                    let c = Call::from_entry(e).unwrap_or_else(|| panic!("{}: {e:?}", path.display()));
                    assert_eq!(Call::from_log(c.op(), &c.args()), Some(c));
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "only {seen} operations in the presets");
    }
}
