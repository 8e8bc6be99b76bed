//! Differential tests: System V message queues, semaphore arrays and
//! shared memory (the attached bytes included) on
//! the **Linux kernel** of this machine (real system calls) and on
//! `ipc-core`, the same random operation sequences, every return value,
//! errno and observable state compared step by step; and POSIX named
//! semaphores on glibc (`sem_open`, `sem_post`, `sem_trywait`,
//! `sem_getvalue`, `sem_close`, `sem_unlink`, real shared-memory files in
//! `/dev/shm`) and on `ipc-core`'s NetBSD semantics, the same way.
//!
//! Where illumos and Linux are meant to differ, the difference is an entry
//! of [`DIFFERENCES`] — the one table of them, each with the case, what
//! illumos does, what Linux does, the source, and a predicate that
//! recognises it.  Any other difference fails the test, shrunk to a
//! minimal sequence by proptest.
//!
//! The Linux side works in a scratch state it removes (every id it made is
//! IPC_RMIDed, on failure too); it runs as the test's user (root in CI, so
//! permission checks pass on both sides: the core caller is privileged).
//! The core kernel is configured with Linux's limits (MSGMNB 16384, MSGMAX
//! 8192, SEMVMX 32767) so that limits compare.  Linux only: elsewhere the
//! test says so and passes.

#![cfg(target_os = "linux")]

use ipc_core::Errno;
use ipc_core::msg::MsgLimits;
use ipc_core::namespace::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE};
use ipc_core::sem::{SemBuf, SemLimits};
use ipc_core::{Config, Credentials, Kernel, Outcome};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Linux's errno, as the core names it (None: one the core has no name for).
fn errno_of_linux(e: i32) -> Option<Errno> {
    Some(match e {
        libc::EPERM => Errno::EPERM,
        libc::ENOENT => Errno::ENOENT,
        libc::EINTR => Errno::EINTR,
        libc::E2BIG => Errno::E2BIG,
        libc::EAGAIN => Errno::EAGAIN,
        libc::ENOMEM => Errno::ENOMEM,
        libc::EACCES => Errno::EACCES,
        libc::EFAULT => Errno::EFAULT,
        libc::EEXIST => Errno::EEXIST,
        libc::EINVAL => Errno::EINVAL,
        libc::EFBIG => Errno::EFBIG,
        libc::ENOSPC => Errno::ENOSPC,
        libc::ERANGE => Errno::ERANGE,
        libc::ENOMSG => Errno::ENOMSG,
        libc::EIDRM => Errno::EIDRM,
        _ => return None,
    })
}

fn last_errno() -> Option<Errno> {
    errno_of_linux(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// One step of a sequence.  Objects are named by creation order (`q`,
/// `s`), since the two kernels number ids differently.
#[derive(Debug, Clone)]
enum Op {
    Msgget {
        key: Option<u8>,
        creat: bool,
        excl: bool,
    },
    Msgsnd {
        q: usize,
        mtype: i64,
        len: usize,
    },
    Msgrcv {
        q: usize,
        msgsz: usize,
        msgtyp: i64,
        noerror: bool,
    },
    MsgStat {
        q: usize,
    },
    MsgRmid {
        q: usize,
    },
    Semget {
        key: Option<u8>,
        nsems: i32,
        creat: bool,
        excl: bool,
    },
    Semop {
        s: usize,
        ops: Vec<(u16, i16)>,
    },
    Setval {
        s: usize,
        n: u32,
        val: i32,
    },
    Getall {
        s: usize,
    },
    SemRmid {
        s: usize,
    },
    Shmget {
        key: Option<u8>,
        size: usize,
        creat: bool,
        excl: bool,
    },
    Shmat {
        m: usize,
        rdonly: bool,
    },
    Shmdt {
        a: usize,
    },
    /// A store through a read-write attachment, inside its segment's size.
    Store {
        a: usize,
        off: usize,
        byte: u8,
        len: usize,
    },
    /// A load inside the attachment's segment size.
    Load {
        a: usize,
        off: usize,
        len: usize,
    },
    ShmStat {
        m: usize,
    },
    ShmRmid {
        m: usize,
    },
}

/// What a step returned, in terms both kernels share.
#[derive(Debug, Clone, PartialEq)]
enum Res {
    Ok,
    Id,
    Msg {
        mtype: i64,
        data: Vec<u8>,
    },
    Stat {
        qnum: u64,
        cbytes: u64,
        qbytes: u64,
    },
    Vals(Vec<u32>),
    Bytes(Vec<u8>),
    ShmStat {
        segsz: u64,
        nattch: u64,
    },
    /// A step the generator could not place (no such attachment): skipped on both.
    Skip,
    Err(Option<Errno>),
}

/// An expected difference between illumos and Linux.
struct Difference {
    case: &'static str,
    illumos: &'static str,
    linux: &'static str,
    source: &'static str,
    matches: fn(Step, &Res, &Res) -> bool,
}

/// A step of either kind of sequence, as the table's predicates see it.
#[derive(Clone, Copy)]
enum Step<'a> {
    SysV(&'a Op),
    Posix(&'a Pop),
}

/// The one table of expected differences (core result, Linux result).
const DIFFERENCES: &[Difference] = &[
    Difference {
        case: "semop with an empty operation array",
        illumos: "0 at once, without even looking the id up",
        linux: "EINVAL (nsops < 1)",
        source: "illumos sem.c semop(): `if (nsops == 0) return (0)`; Linux ipc/sem.c do_semtimedop()",
        matches: |op, core, linux| {
            matches!(op, Step::SysV(Op::Semop { ops, .. }) if ops.is_empty())
                && *core == Res::Ok
                && *linux == Res::Err(Some(Errno::EINVAL))
        },
    },
    Difference {
        case: "SETVAL with a value outside 0..=SEMVMX and an id or semnum that is also wrong",
        illumos: "the lookup (EINVAL), the permission, the semnum (EINVAL), then the value (ERANGE)",
        linux: "the value first (ERANGE), before the lookup",
        source: "illumos sem.c semctl() SETVAL; Linux ipc/sem.c semctl_setval()",
        matches: |op, core, linux| {
            matches!(op, Step::SysV(Op::Setval { val, .. }) if !(0..=32767).contains(val))
                && *core == Res::Err(Some(Errno::EINVAL))
                && *linux == Res::Err(Some(Errno::ERANGE))
        },
    },
    Difference {
        case: "shmat, IPC_STAT or IPC_RMID naming a segment removed (IPC_RMID) while still attached",
        illumos: "NetBSD: EINVAL — a removed segment is not found by its id unless made with _SHM_RMLINGER",
        linux: "succeeds: the segment keeps its id (SHM_DEST) until its last detach",
        source: "NetBSD sysv_shm.c shm_find_segment_by_shmid(); Linux ipc/shm.c do_shmat(), shmctl_stat() (SHM_DEST)",
        matches: |op, core, linux| {
            matches!(op, Step::SysV(Op::Shmat { .. } | Op::ShmStat { .. } | Op::ShmRmid { .. }))
                && *core == Res::Err(Some(Errno::EINVAL))
                && !matches!(linux, Res::Err(_))
        },
    },
    Difference {
        case: "sem_close of a POSIX semaphore whose name was unlinked",
        illumos: "NetBSD: EINVAL — sem_close looks at ks_name, which sem_unlink cleared",
        linux: "glibc: 0 — it unmaps its own mapping; the name plays no part",
        source: "NetBSD uipc_sem.c sys__ksem_close(); glibc nptl/sem_close.c",
        matches: |op, core, linux| {
            matches!(op, Step::Posix(Pop::Close { .. })) && *core == Res::Err(Some(Errno::EINVAL)) && *linux == Res::Ok
        },
    },
    Difference {
        case: "sem_open of an existing name with O_EXCL but without O_CREAT",
        illumos: "NetBSD: EEXIST — sem_open tests O_EXCL on its own",
        linux: "glibc: opens it — O_EXCL means something only with O_CREAT (POSIX leaves it undefined)",
        source: "NetBSD uipc_sem.c sys__ksem_open(); glibc nptl/sem_open.c",
        matches: |op, core, linux| {
            matches!(op, Step::Posix(Pop::Open { creat: false, excl: true, .. }))
                && *core == Res::Err(Some(Errno::EEXIST))
                && *linux == Res::Id
        },
    },
];

/// After an explained difference, make the Linux side's state agree again.
fn reconcile(op: &Op, linux: &mut Linux) {
    if let Op::Shmat { .. } = op
        && let Some(slot) = linux.atts.last_mut()
        && let Some((p, _, _)) = slot.take()
    {
        // SAFETY: the address shmat just returned.
        unsafe { libc::shmdt(p.cast()) };
    }
}

fn explained(op: Step, core: &Res, linux: &Res) -> Option<&'static Difference> {
    DIFFERENCES.iter().find(|d| core != linux && (d.matches)(op, core, linux))
}

// ----- the Linux side -----

#[repr(C)]
struct MsgBuf {
    mtype: libc::c_long,
    mtext: [u8; 64],
}

/// The Linux objects a sequence made; removed on drop.
struct Linux {
    base: i32,
    queues: Vec<i32>,
    sets: Vec<i32>,
    segs: Vec<(i32, usize)>,
    /// Attachments: (address, segment size, read-only), detached ones None.
    atts: Vec<Option<(*mut u8, usize, bool)>>,
    made_q: Vec<i32>,
    made_s: Vec<i32>,
    made_m: Vec<i32>,
}

impl Drop for Linux {
    fn drop(&mut self) {
        for &id in &self.made_q {
            // SAFETY: IPC_RMID takes no buffer.
            unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
        for &id in &self.made_s {
            // SAFETY: IPC_RMID takes no fourth argument.
            unsafe { libc::semctl(id, 0, libc::IPC_RMID) };
        }
        for (p, _, _) in self.atts.iter().flatten() {
            // SAFETY: an address shmat returned and not yet detached.
            unsafe { libc::shmdt(p.cast()) };
        }
        for &id in &self.made_m {
            // SAFETY: IPC_RMID takes no buffer.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

impl Linux {
    fn key(&self, k: Option<u8>) -> i32 {
        k.map_or(libc::IPC_PRIVATE, |k| self.base + i32::from(k))
    }

    fn run(&mut self, op: &Op) -> Res {
        // SAFETY (every call below): plain System V system calls on buffers
        // of the sizes passed.
        unsafe {
            match *op {
                Op::Msgget { key, creat, excl } => {
                    let flags = 0o600 | if creat { libc::IPC_CREAT } else { 0 } | if excl { libc::IPC_EXCL } else { 0 };
                    let id = libc::msgget(self.key(key), flags);
                    if id < 0 {
                        return Res::Err(last_errno());
                    }
                    if !self.made_q.contains(&id) {
                        self.made_q.push(id);
                    }
                    self.queues.push(id);
                    Res::Id
                }
                Op::Msgsnd { q, mtype, len } => {
                    let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut b = MsgBuf { mtype: mtype as libc::c_long, mtext: [0; 64] };
                    for (i, c) in b.mtext.iter_mut().enumerate() {
                        *c = i as u8;
                    }
                    let r = libc::msgsnd(id, (&mut b as *mut MsgBuf).cast(), len, libc::IPC_NOWAIT);
                    if r < 0 { Res::Err(last_errno()) } else { Res::Ok }
                }
                Op::Msgrcv { q, msgsz, msgtyp, noerror } => {
                    let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut b = MsgBuf { mtype: 0, mtext: [0; 64] };
                    let flags = libc::IPC_NOWAIT | if noerror { libc::MSG_NOERROR } else { 0 };
                    let n = libc::msgrcv(id, (&mut b as *mut MsgBuf).cast(), msgsz, msgtyp as libc::c_long, flags);
                    if n < 0 {
                        Res::Err(last_errno())
                    } else {
                        Res::Msg { mtype: b.mtype, data: b.mtext[..n as usize].to_vec() }
                    }
                }
                Op::MsgStat { q } => {
                    let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut ds: libc::msqid_ds = std::mem::zeroed();
                    if libc::msgctl(id, libc::IPC_STAT, &mut ds) < 0 {
                        return Res::Err(last_errno());
                    }
                    Res::Stat { qnum: ds.msg_qnum as u64, cbytes: ds.__msg_cbytes as u64, qbytes: ds.msg_qbytes as u64 }
                }
                Op::MsgRmid { q } => {
                    let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                    if libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) < 0 {
                        Res::Err(last_errno())
                    } else {
                        Res::Ok
                    }
                }
                Op::Semget { key, nsems, creat, excl } => {
                    let flags = 0o600 | if creat { libc::IPC_CREAT } else { 0 } | if excl { libc::IPC_EXCL } else { 0 };
                    let id = libc::semget(self.key(key), nsems, flags);
                    if id < 0 {
                        return Res::Err(last_errno());
                    }
                    if !self.made_s.contains(&id) {
                        self.made_s.push(id);
                    }
                    self.sets.push(id);
                    Res::Id
                }
                Op::Semop { s, ref ops } => {
                    let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut b: Vec<libc::sembuf> = ops
                        .iter()
                        .map(|&(n, o)| libc::sembuf { sem_num: n, sem_op: o, sem_flg: libc::IPC_NOWAIT as i16 })
                        .collect();
                    if libc::semop(id, b.as_mut_ptr(), b.len()) < 0 { Res::Err(last_errno()) } else { Res::Ok }
                }
                Op::Setval { s, n, val } => {
                    let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                    if libc::semctl(id, n as i32, libc::SETVAL, val) < 0 { Res::Err(last_errno()) } else { Res::Ok }
                }
                Op::Getall { s } => {
                    let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut ds: libc::semid_ds = std::mem::zeroed();
                    if libc::semctl(id, 0, libc::IPC_STAT, &mut ds as *mut libc::semid_ds) < 0 {
                        return Res::Err(last_errno());
                    }
                    let mut vals = vec![0u16; ds.sem_nsems as usize];
                    if libc::semctl(id, 0, libc::GETALL, vals.as_mut_ptr()) < 0 {
                        return Res::Err(last_errno());
                    }
                    Res::Vals(vals.into_iter().map(u32::from).collect())
                }
                Op::SemRmid { s } => {
                    let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                    if libc::semctl(id, 0, libc::IPC_RMID) < 0 { Res::Err(last_errno()) } else { Res::Ok }
                }
                Op::Shmget { key, size, creat, excl } => {
                    let flags = 0o600 | if creat { libc::IPC_CREAT } else { 0 } | if excl { libc::IPC_EXCL } else { 0 };
                    let id = libc::shmget(self.key(key), size, flags);
                    if id < 0 {
                        return Res::Err(last_errno());
                    }
                    if !self.made_m.contains(&id) {
                        self.made_m.push(id);
                    }
                    let mut ds: libc::shmid_ds = std::mem::zeroed();
                    libc::shmctl(id, libc::IPC_STAT, &mut ds);
                    self.segs.push((id, ds.shm_segsz));
                    Res::Id
                }
                Op::Shmat { m, rdonly } => {
                    let Some(&(id, size)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                    let p = libc::shmat(id, std::ptr::null(), if rdonly { libc::SHM_RDONLY } else { 0 });
                    if p as isize == -1 {
                        self.atts.push(None);
                        return Res::Err(last_errno());
                    }
                    self.atts.push(Some((p.cast(), size, rdonly)));
                    Res::Ok
                }
                Op::Shmdt { a } => {
                    let Some(Some((p, _, _))) = self.atts.get(a).copied() else { return Res::Skip };
                    self.atts[a] = None;
                    if libc::shmdt(p.cast()) < 0 { Res::Err(last_errno()) } else { Res::Ok }
                }
                Op::Store { a, off, byte, len } => {
                    let Some(Some((p, size, false))) = self.atts.get(a).copied() else { return Res::Skip };
                    let (off, len) = clamp(off, len, size);
                    std::ptr::write_bytes(p.add(off), byte, len);
                    Res::Ok
                }
                Op::Load { a, off, len } => {
                    let Some(Some((p, size, _))) = self.atts.get(a).copied() else { return Res::Skip };
                    let (off, len) = clamp(off, len, size);
                    Res::Bytes(std::slice::from_raw_parts(p.add(off), len).to_vec())
                }
                Op::ShmStat { m } => {
                    let Some(&(id, _)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                    let mut ds: libc::shmid_ds = std::mem::zeroed();
                    if libc::shmctl(id, libc::IPC_STAT, &mut ds) < 0 {
                        return Res::Err(last_errno());
                    }
                    Res::ShmStat { segsz: ds.shm_segsz as u64, nattch: ds.shm_nattch as u64 }
                }
                Op::ShmRmid { m } => {
                    let Some(&(id, _)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                    if libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) < 0 {
                        Res::Err(last_errno())
                    } else {
                        Res::Ok
                    }
                }
            }
        }
    }
}

/// An access inside `size` bytes: (offset, length).
fn clamp(off: usize, len: usize, size: usize) -> (usize, usize) {
    let off = off % size.max(1);
    (off, len.min(size - off))
}

// ----- the core side -----

struct Core {
    k: Kernel,
    t: u32,
    base: i32,
    queues: Vec<i32>,
    sets: Vec<i32>,
    segs: Vec<(i32, usize)>,
    atts: Vec<Option<(u64, usize, bool)>>,
}

impl Core {
    fn new(base: i32) -> Core {
        let mut cfg = Config::default();
        // Linux's defaults (MSGMNB, MSGMAX, SEMVMX), so limits compare.
        cfg.msg = MsgLimits { max_message_bytes: 8192, max_queue_bytes: 16384, ..cfg.msg };
        cfg.sem = SemLimits { value_max: 32767, ..cfg.sem };
        let mut k = Kernel::new(cfg).expect("kernel");
        let (_, t) = k.spawn(Credentials::root(), 0, 1).expect("spawn");
        Core { k, t, base, queues: Vec::new(), sets: Vec::new(), segs: Vec::new(), atts: Vec::new() }
    }

    fn key(&self, k: Option<u8>) -> i32 {
        k.map_or(IPC_PRIVATE, |k| self.base + i32::from(k))
    }

    fn run(&mut self, op: &Op) -> Res {
        let t = self.t;
        let done = |r: Outcome<()>| match r {
            Outcome::Done(Ok(())) => Res::Ok,
            Outcome::Done(Err(e)) => Res::Err(Some(e)),
            Outcome::Blocked(_) => Res::Err(Some(Errno::EAGAIN)),
        };
        match *op {
            Op::Msgget { key, creat, excl } => {
                let flags = 0o600 | if creat { IPC_CREAT } else { 0 } | if excl { IPC_EXCL } else { 0 };
                match self.k.msgget(t, self.key(key), flags) {
                    Ok(id) => {
                        self.queues.push(id);
                        Res::Id
                    }
                    Err(e) => Res::Err(Some(e)),
                }
            }
            Op::Msgsnd { q, mtype, len } => {
                let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
                done(self.k.msgsnd(t, id, mtype, &data, IPC_NOWAIT, None))
            }
            Op::Msgrcv { q, msgsz, msgtyp, noerror } => {
                let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                let flags = IPC_NOWAIT | if noerror { ipc_core::msg::MSG_NOERROR } else { 0 };
                match self.k.msgrcv(t, id, msgsz as u64, msgtyp, flags, None) {
                    Outcome::Done(Ok(m)) => Res::Msg { mtype: m.mtype, data: m.data },
                    Outcome::Done(Err(e)) => Res::Err(Some(e)),
                    Outcome::Blocked(_) => Res::Err(Some(Errno::EAGAIN)),
                }
            }
            Op::MsgStat { q } => {
                let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                match self.k.msgctl_stat(t, id) {
                    Ok(d) => Res::Stat { qnum: d.qnum, cbytes: d.cbytes, qbytes: d.qbytes },
                    Err(e) => Res::Err(Some(e)),
                }
            }
            Op::MsgRmid { q } => {
                let Some(&id) = self.queues.get(q) else { return Res::Err(Some(Errno::EINVAL)) };
                self.k.msgctl_rmid(t, id).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
            Op::Semget { key, nsems, creat, excl } => {
                let flags = 0o600 | if creat { IPC_CREAT } else { 0 } | if excl { IPC_EXCL } else { 0 };
                match self.k.semget(t, self.key(key), nsems, flags) {
                    Ok(id) => {
                        self.sets.push(id);
                        Res::Id
                    }
                    Err(e) => Res::Err(Some(e)),
                }
            }
            Op::Semop { s, ref ops } => {
                let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                let sops: Vec<SemBuf> =
                    ops.iter().map(|&(n, o)| SemBuf { sem_num: n, sem_op: o, sem_flg: IPC_NOWAIT as i16 }).collect();
                done(self.k.semop(t, id, &sops, None))
            }
            Op::Setval { s, n, val } => {
                let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                self.k.semctl_setval(t, id, n, val).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
            Op::Getall { s } => {
                let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                self.k.semctl_getall(t, id).map_or_else(|e| Res::Err(Some(e)), Res::Vals)
            }
            Op::SemRmid { s } => {
                let Some(&id) = self.sets.get(s) else { return Res::Err(Some(Errno::EINVAL)) };
                self.k.semctl_rmid(t, id).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
            Op::Shmget { key, size, creat, excl } => {
                let flags = 0o600 | if creat { IPC_CREAT } else { 0 } | if excl { IPC_EXCL } else { 0 };
                match self.k.shmget(t, self.key(key), size as u64, flags) {
                    Ok(id) => {
                        let segsz = self.k.shmctl_stat(t, id).map_or(0, |d| d.segsz as usize);
                        self.segs.push((id, segsz));
                        Res::Id
                    }
                    Err(e) => Res::Err(Some(e)),
                }
            }
            Op::Shmat { m, rdonly } => {
                let Some(&(id, size)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                match self.k.shmat(t, id, 0, if rdonly { ipc_core::shm::SHM_RDONLY } else { 0 }) {
                    Ok(va) => {
                        self.atts.push(Some((va, size, rdonly)));
                        Res::Ok
                    }
                    Err(e) => {
                        self.atts.push(None);
                        Res::Err(Some(e))
                    }
                }
            }
            Op::Shmdt { a } => {
                let Some(Some((va, _, _))) = self.atts.get(a).copied() else { return Res::Skip };
                self.atts[a] = None;
                self.k.shmdt(t, va).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
            Op::Store { a, off, byte, len } => {
                let Some(Some((va, size, false))) = self.atts.get(a).copied() else { return Res::Skip };
                let (off, len) = clamp(off, len, size);
                self.k.shm_write(t, va + off as u64, &vec![byte; len]).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
            Op::Load { a, off, len } => {
                let Some(Some((va, size, _))) = self.atts.get(a).copied() else { return Res::Skip };
                let (off, len) = clamp(off, len, size);
                self.k.shm_read(t, va + off as u64, len as u64).map_or_else(|e| Res::Err(Some(e)), Res::Bytes)
            }
            Op::ShmStat { m } => {
                let Some(&(id, _)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                match self.k.shmctl_stat(t, id) {
                    Ok(d) => Res::ShmStat { segsz: d.segsz, nattch: u64::from(d.nattch) },
                    Err(e) => Res::Err(Some(e)),
                }
            }
            Op::ShmRmid { m } => {
                let Some(&(id, _)) = self.segs.get(m) else { return Res::Err(Some(Errno::EINVAL)) };
                self.k.shmctl_rmid(t, id).map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok)
            }
        }
    }
}

// ----- the sequences -----

fn op() -> impl Strategy<Value = Op> {
    let key = proptest::option::of(0u8..3);
    prop_oneof![
        2 => (key.clone(), any::<bool>(), any::<bool>()).prop_map(|(key, creat, excl)| Op::Msgget { key, creat, excl }),
        4 => (0usize..3, -1i64..4, 0usize..40).prop_map(|(q, mtype, len)| Op::Msgsnd { q, mtype, len }),
        4 => (0usize..3, 0usize..48, -4i64..4, any::<bool>())
            .prop_map(|(q, msgsz, msgtyp, noerror)| Op::Msgrcv { q, msgsz, msgtyp, noerror }),
        1 => (0usize..3).prop_map(|q| Op::MsgStat { q }),
        1 => (0usize..3).prop_map(|q| Op::MsgRmid { q }),
        2 => (key, 0i32..4, any::<bool>(), any::<bool>())
            .prop_map(|(key, nsems, creat, excl)| Op::Semget { key, nsems, creat, excl }),
        4 => (0usize..3, proptest::collection::vec((0u16..4, -2i16..3), 0..4)).prop_map(|(s, ops)| Op::Semop { s, ops }),
        1 => (0usize..3, 0u32..4, -1i32..4).prop_map(|(s, n, val)| Op::Setval { s, n, val }),
        2 => (0usize..3).prop_map(|s| Op::Getall { s }),
        1 => (0usize..3).prop_map(|s| Op::SemRmid { s }),
        2 => (proptest::option::of(0u8..3), 0usize..9000, any::<bool>(), any::<bool>())
            .prop_map(|(key, size, creat, excl)| Op::Shmget { key, size, creat, excl }),
        2 => (0usize..3, any::<bool>()).prop_map(|(m, rdonly)| Op::Shmat { m, rdonly }),
        1 => (0usize..4).prop_map(|a| Op::Shmdt { a }),
        3 => (0usize..4, 0usize..9000, any::<u8>(), 1usize..64).prop_map(|(a, off, byte, len)| Op::Store { a, off, byte, len }),
        3 => (0usize..4, 0usize..9000, 1usize..64).prop_map(|(a, off, len)| Op::Load { a, off, len }),
        1 => (0usize..3).prop_map(|m| Op::ShmStat { m }),
        1 => (0usize..3).prop_map(|m| Op::ShmRmid { m }),
    ]
}

static SEQUENCES: AtomicUsize = AtomicUsize::new(0);
static STEPS: AtomicUsize = AtomicUsize::new(0);

/// Runs one sequence on both kernels; the first unexplained difference.
fn compare(ops: &[Op]) -> Result<(), String> {
    // Keys unique to this process and sequence, far from anything else.
    let n = SEQUENCES.fetch_add(1, Ordering::Relaxed) as i32;
    let base = 0x2d00_0000 + (std::process::id() as i32 & 0xfff) * 0x1000 + (n & 0x3ff) * 4;
    let mut linux = Linux {
        base,
        queues: Vec::new(),
        sets: Vec::new(),
        segs: Vec::new(),
        atts: Vec::new(),
        made_q: Vec::new(),
        made_s: Vec::new(),
        made_m: Vec::new(),
    };
    let mut core = Core::new(base);
    for (i, op) in ops.iter().enumerate() {
        let (l, c) = (linux.run(op), core.run(op));
        STEPS.fetch_add(1, Ordering::Relaxed);
        if l != c {
            if explained(Step::SysV(op), &c, &l).is_none() {
                return Err(format!("step {i}: {op:?}: ipc-core {c:?}, Linux {l:?}"));
            }
            reconcile(op, &mut linux);
        }
        core.k.check().map_err(|e| format!("step {i}: check: {e}"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn system_v_ipc_agrees_with_linux(ops in proptest::collection::vec(op(), 1..40)) {
        if let Err(e) = compare(&ops) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// Reports how much was compared (run after the property test by name order).
#[test]
fn zz_report() {
    for d in DIFFERENCES {
        assert!(!d.case.is_empty() && !d.illumos.is_empty() && !d.linux.is_empty() && !d.source.is_empty());
    }
    eprintln!(
        "differential: {} sequence(s), {} step(s) compared with Linux and glibc in this process; {} documented difference(s)",
        SEQUENCES.load(Ordering::Relaxed),
        STEPS.load(Ordering::Relaxed),
        DIFFERENCES.len()
    );
}

// ----- POSIX semaphores against glibc -----

/// A POSIX-semaphore step; semaphores named by the order they were opened.
#[derive(Debug, Clone)]
enum Pop {
    Open { name: u8, creat: bool, excl: bool, value: u32 },
    Post { s: usize },
    Trywait { s: usize },
    Getvalue { s: usize },
    Close { s: usize },
    Unlink { name: u8 },
}

/// The names a sequence uses: unique to this process and sequence.
fn psem_name(seq: usize, n: u8) -> String {
    format!("/ipd{:x}{}{}", std::process::id() & 0xffff, seq % 100, n)
}

struct Glibc {
    sems: Vec<Option<*mut libc::sem_t>>,
    names: Vec<String>,
}

impl Drop for Glibc {
    fn drop(&mut self) {
        for p in self.sems.iter().flatten() {
            // SAFETY: a sem_t sem_open returned and not yet closed.
            unsafe { libc::sem_close(*p) };
        }
        for n in &self.names {
            let c = std::ffi::CString::new(n.as_str()).expect("no NUL");
            // SAFETY: a NUL-terminated name.
            unsafe { libc::sem_unlink(c.as_ptr()) };
        }
    }
}

fn compare_psem(ops: &[Pop]) -> Result<(), String> {
    let seq = SEQUENCES.fetch_add(1, Ordering::Relaxed);
    let mut g = Glibc { sems: Vec::new(), names: (0..3).map(|n| psem_name(seq, n)).collect() };
    let mut cfg = Config::default();
    cfg.psem.value_max = i32::MAX as u32; // glibc's SEM_VALUE_MAX
    let mut k = Kernel::new(cfg).expect("kernel");
    let (_, t) = k.spawn(Credentials::root(), 0, 1).expect("spawn");
    let mut ids: Vec<Option<u32>> = Vec::new();
    let err = |r: Result<(), Errno>| r.map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok);
    for (i, op) in ops.iter().enumerate() {
        // SAFETY (every libc call): sem_t pointers sem_open returned and not
        // yet closed; NUL-terminated names.
        let (l, c) = unsafe {
            match *op {
                Pop::Open { name, creat, excl, value } => {
                    let n = psem_name(seq, name);
                    let cn = std::ffi::CString::new(n.as_str()).expect("no NUL");
                    let flags = if creat { libc::O_CREAT } else { 0 } | if excl { libc::O_EXCL } else { 0 };
                    let p = libc::sem_open(cn.as_ptr(), flags, 0o600 as libc::c_uint, value as libc::c_uint);
                    let l = if p == libc::SEM_FAILED {
                        g.sems.push(None);
                        Res::Err(last_errno())
                    } else {
                        g.sems.push(Some(p));
                        Res::Id
                    };
                    let oflag =
                        if creat { ipc_core::psem::O_CREAT } else { 0 } | if excl { ipc_core::psem::O_EXCL } else { 0 };
                    let c = match k.sem_open(t, n.as_bytes(), oflag, 0o600, value) {
                        Ok(id) => {
                            ids.push(Some(id));
                            Res::Id
                        }
                        Err(e) => {
                            ids.push(None);
                            Res::Err(Some(e))
                        }
                    };
                    (l, c)
                }
                Pop::Post { s } | Pop::Trywait { s } | Pop::Getvalue { s } | Pop::Close { s } => {
                    let (Some(Some(p)), Some(Some(id))) = (g.sems.get(s).copied(), ids.get(s).copied()) else {
                        continue;
                    };
                    match *op {
                        Pop::Post { .. } => (
                            if libc::sem_post(p) < 0 { Res::Err(last_errno()) } else { Res::Ok },
                            err(k.sem_post(t, id)),
                        ),
                        Pop::Trywait { .. } => (
                            if libc::sem_trywait(p) < 0 { Res::Err(last_errno()) } else { Res::Ok },
                            err(k.sem_trywait(t, id)),
                        ),
                        Pop::Getvalue { .. } => {
                            let mut v = 0;
                            let l = if libc::sem_getvalue(p, &mut v) < 0 {
                                Res::Err(last_errno())
                            } else {
                                Res::Vals(vec![v as u32])
                            };
                            (l, k.sem_getvalue(t, id).map_or_else(|e| Res::Err(Some(e)), |v| Res::Vals(vec![v])))
                        }
                        _ => {
                            // glibc shares one mapping per name in a process and
                            // counts its opens: every close drops one.
                            g.sems[s] = None;
                            let l = if libc::sem_close(p) < 0 { Res::Err(last_errno()) } else { Res::Ok };
                            let c = err(k.sem_close(t, id));
                            if c == Res::Ok {
                                ids[s] = None;
                            }
                            (l, c)
                        }
                    }
                }
                Pop::Unlink { name } => {
                    let n = psem_name(seq, name);
                    let cn = std::ffi::CString::new(n.as_str()).expect("no NUL");
                    let l = if libc::sem_unlink(cn.as_ptr()) < 0 { Res::Err(last_errno()) } else { Res::Ok };
                    (l, err(k.sem_unlink(t, n.as_bytes())))
                }
            }
        };
        STEPS.fetch_add(1, Ordering::Relaxed);
        // After an explained difference where only glibc opened, close its
        // extra reference so both sides hold the same semaphores.
        if let (Pop::Open { .. }, Res::Id, Res::Err(_)) = (op, &l, &c)
            && let Some(Some(p)) = g.sems.last_mut().map(Option::take)
        {
            // SAFETY: the sem_t sem_open just returned.
            unsafe { libc::sem_close(p) };
        }
        if l != c && explained(Step::Posix(op), &c, &l).is_none() {
            return Err(format!("step {i}: {op:?}: ipc-core {c:?}, glibc {l:?}"));
        }
        k.check().map_err(|e| format!("step {i}: check: {e}"))?;
    }
    Ok(())
}

fn pop() -> impl Strategy<Value = Pop> {
    prop_oneof![
        3 => (0u8..3, any::<bool>(), any::<bool>(), 0u32..3).prop_map(|(name, creat, excl, value)| Pop::Open { name, creat, excl, value }),
        3 => (0usize..4).prop_map(|s| Pop::Post { s }),
        3 => (0usize..4).prop_map(|s| Pop::Trywait { s }),
        2 => (0usize..4).prop_map(|s| Pop::Getvalue { s }),
        1 => (0usize..4).prop_map(|s| Pop::Close { s }),
        1 => (0u8..3).prop_map(|name| Pop::Unlink { name }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn posix_semaphores_agree_with_glibc(ops in proptest::collection::vec(pop(), 1..30)) {
        if let Err(e) = compare_psem(&ops) {
            prop_assert!(false, "{}", e);
        }
    }
}
