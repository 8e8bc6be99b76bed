//! Differential tests: System V message queues, semaphore arrays and
//! shared memory (the attached bytes included) on
//! the **Linux kernel** of this machine (real system calls) and on
//! `ipc-core`, the same random operation sequences, every return value,
//! errno and observable state compared step by step; and POSIX named
//! semaphores on glibc (`sem_open`, `sem_post`, `sem_wait`, `sem_trywait`,
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
//!
//! Permissions have sequences of their own (`permissions_agree_with_linux`,
//! root only: elsewhere it says so and passes).  Each makes a message
//! queue, a two-semaphore set and a one-page segment (IPC_PRIVATE) as a
//! creator drawn from small pools (uids 1000..1003, gids 2000..2003, or
//! root), then root gives each an owner from the same pools and a mode in
//! 0o000..=0o777 (IPC_SET).  Every step is a caller — root, or a user with
//! an effective gid and supplementary groups from the pools, so owner,
//! creator, group, supplementary-group and other callers all occur — and one
//! call: msgsnd and msgrcv (IPC_NOWAIT), semop +1, -1 and wait-for-zero
//! (IPC_NOWAIT), GETVAL, SETVAL, shmat read-write (a store) or SHM_RDONLY
//! then a load and shmdt, IPC_STAT (the `ipc_perm` and counts compared),
//! IPC_SET back to the same owner and mode, and, rarely, IPC_RMID (later
//! steps on the removed object compare too).  On Linux each step runs in a
//! forked child that becomes the caller (setgroups, setresgid, setresuid)
//! and reports through a pipe, without allocating; on the core, in a
//! process spawned with the caller's credentials (privileged only for
//! root).  They need no table entry: illumos (`ipcperm_access`,
//! `secpolicy_ipc_owner`), NetBSD (`ipcperm`) and Linux (`ipcperms`,
//! `ipcctl_obtain_check`) apply the same owner-or-creator, group
//! (effective or supplementary, of gid or cgid), other rules.

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
    /// A permission step's IPC_STAT: the `ipc_perm` (mode without flags)
    /// and two counts (msg_qnum and msg_cbytes; sem_nsems; shm_segsz and
    /// shm_nattch).
    PermStat {
        uid: u32,
        gid: u32,
        cuid: u32,
        cgid: u32,
        mode: u32,
        a: u64,
        b: u64,
    },
    /// A step the generator could not place (no such attachment): skipped on both.
    Skip,
    /// The call would wait.
    WouldBlock,
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
    /// Read only by a table entry about permission steps; none is needed.
    #[allow(dead_code)]
    Perm(&'a PermOp),
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

/// The three comparisons in one test, so that the report after them
/// counts all of them (`PROPTEST_CASES` sets the cases of each).
#[test]
fn linux_and_glibc_agree_with_ipc_core() {
    for d in DIFFERENCES {
        assert!(!d.case.is_empty() && !d.illumos.is_empty() && !d.linux.is_empty() && !d.source.is_empty());
    }
    system_v_ipc_agrees_with_linux();
    posix_semaphores_agree_with_glibc();
    permissions_agree_with_linux();
    eprintln!(
        "differential: {} sequence(s), {} step(s) compared with Linux and glibc; {} documented difference(s)",
        SEQUENCES.load(Ordering::Relaxed),
        STEPS.load(Ordering::Relaxed),
        DIFFERENCES.len()
    );
}

fn system_v_ipc_agrees_with_linux() {
    proptest!(ProptestConfig { cases: 384, ..ProptestConfig::default() }, |(ops in proptest::collection::vec(op(), 1..40))| {
        if let Err(e) = compare(&ops) {
            prop_assert!(false, "{}", e);
        }
    });
}

// ----- POSIX semaphores against glibc -----

/// A POSIX-semaphore step; semaphores named by the order they were opened.
#[derive(Debug, Clone)]
enum Pop {
    Open {
        name: u8,
        creat: bool,
        excl: bool,
        value: u32,
    },
    Post {
        s: usize,
    },
    Trywait {
        s: usize,
    },
    /// sem_wait: it takes the semaphore, or it would block (glibc: told by
    /// a sem_timedwait whose deadline has passed; the core: the thread
    /// parks, and is interrupted out of it).
    Wait {
        s: usize,
    },
    Getvalue {
        s: usize,
    },
    Close {
        s: usize,
    },
    Unlink {
        name: u8,
    },
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
                Pop::Post { s } | Pop::Trywait { s } | Pop::Wait { s } | Pop::Getvalue { s } | Pop::Close { s } => {
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
                        Pop::Wait { .. } => {
                            let mut v = 0;
                            libc::sem_getvalue(p, &mut v);
                            let l = if v > 0 {
                                if libc::sem_wait(p) < 0 { Res::Err(last_errno()) } else { Res::Ok }
                            } else {
                                let past = libc::timespec { tv_sec: 0, tv_nsec: 0 };
                                match libc::sem_timedwait(p, &past) {
                                    0 => Res::Ok,
                                    _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT) => {
                                        Res::WouldBlock
                                    }
                                    _ => Res::Err(last_errno()),
                                }
                            };
                            let c = match k.sem_wait(t, id) {
                                Outcome::Done(r) => err(r),
                                Outcome::Blocked(_) => {
                                    k.interrupt(t).map_err(|e| format!("step {i}: interrupt: {e:?}"))?;
                                    let _ = k.take_result(t);
                                    Res::WouldBlock
                                }
                            };
                            (l, c)
                        }
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
        2 => (0usize..4).prop_map(|s| Pop::Wait { s }),
        2 => (0usize..4).prop_map(|s| Pop::Getvalue { s }),
        1 => (0usize..4).prop_map(|s| Pop::Close { s }),
        1 => (0u8..3).prop_map(|name| Pop::Unlink { name }),
    ]
}

fn posix_semaphores_agree_with_glibc() {
    proptest!(ProptestConfig { cases: 256, ..ProptestConfig::default() }, |(ops in proptest::collection::vec(pop(), 1..30))| {
        if let Err(e) = compare_psem(&ops) {
            prop_assert!(false, "{}", e);
        }
    });
}

// ----- System V permissions: callers under other effective uids -----

/// The small pools identities are drawn from, so that owner, creator,
/// group, supplementary-group and other callers all occur.
const UIDS: [u32; 3] = [1000, 1001, 1002];
const GIDS: [u32; 3] = [2000, 2001, 2002];

/// Who makes a call: root (privileged on both sides) when `euid` is 0,
/// else an unprivileged user with these effective and supplementary groups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Who {
    euid: u32,
    egid: u32,
    groups: Vec<u32>,
}

impl Who {
    fn root() -> Who {
        Who { euid: 0, egid: 0, groups: Vec::new() }
    }

    fn cred(&self) -> Credentials {
        if self.euid == 0 {
            Credentials::root()
        } else {
            Credentials { groups: self.groups.clone(), ..Credentials::user(self.euid, self.egid) }
        }
    }
}

/// An object's owner and mode, as root's IPC_SET after creation leaves them.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
    mode: u32,
}

/// One permission step, on the case's queue, set (two semaphores) or
/// segment (one page).
#[derive(Debug, Clone, Copy)]
enum PermOp {
    /// msgsnd IPC_NOWAIT (write): `len` bytes counting up from `byte`.
    Msgsnd {
        mtype: i64,
        len: usize,
        byte: u8,
    },
    /// msgrcv IPC_NOWAIT of any type (read).
    Msgrcv,
    MsgStat,
    /// IPC_SET (owner) of the owner, mode and msg_qbytes the object has.
    MsgSet,
    MsgRmid,
    /// semop IPC_NOWAIT of one operation: +1, -1 or wait-for-zero.
    Semop {
        n: u16,
        op: i16,
    },
    Getval {
        n: u32,
    },
    Setval {
        n: u32,
        val: i32,
    },
    SemStat,
    SemSet,
    SemRmid,
    /// shmat (read-write: store `byte` at offset 0), load offset 0, shmdt.
    Shmat {
        rdonly: bool,
        byte: u8,
    },
    ShmStat,
    ShmSet,
    ShmRmid,
}

/// A permission sequence: the creator of all three objects, their owners
/// and modes, and the steps.
#[derive(Debug, Clone)]
struct PermCase {
    creator: Who,
    msg: Owner,
    sem: Owner,
    shm: Owner,
    steps: Vec<(Who, PermOp)>,
}

fn ipc_stat_res(perm: &ipc_core::namespace::IpcPerm, a: u64, b: u64) -> Res {
    Res::PermStat { uid: perm.uid, gid: perm.gid, cuid: perm.cuid, cgid: perm.cgid, mode: perm.mode & 0o777, a, b }
}

/// What a forked child reports through the pipe.
#[repr(C)]
#[derive(Clone, Copy)]
struct Reply {
    ret: i64,
    errno: i32,
    vals: [u64; 7],
    data: [u8; 64],
}

const NO_REPLY: Reply = Reply { ret: 0, errno: 0, vals: [0; 7], data: [0; 64] };

/// The Linux side of a permission sequence: the three ids (removed on drop,
/// by root) and the pipe the children answer through.
struct PermLinux {
    q: i32,
    s: i32,
    m: i32,
    qbytes: u64,
    owners: [Owner; 3],
    pipe: [i32; 2],
}

impl Drop for PermLinux {
    fn drop(&mut self) {
        // SAFETY: IPC_RMID takes no buffer; the pipe's two descriptors are ours.
        unsafe {
            if self.q >= 0 {
                libc::msgctl(self.q, libc::IPC_RMID, std::ptr::null_mut());
            }
            if self.s >= 0 {
                libc::semctl(self.s, 0, libc::IPC_RMID);
            }
            if self.m >= 0 {
                libc::shmctl(self.m, libc::IPC_RMID, std::ptr::null_mut());
            }
            libc::close(self.pipe[0]);
            libc::close(self.pipe[1]);
        }
    }
}

/// The calling thread's errno (async-signal-safe: no allocation).
fn errno_now() -> i32 {
    // SAFETY: the thread's own errno.
    unsafe { *libc::__errno_location() }
}

impl PermLinux {
    /// Runs `call` in a forked child that first becomes `who` (setgroups,
    /// setresgid, setresuid, as raw system calls); the child's reply.  The
    /// child allocates nothing and cannot panic: `call` makes only libc
    /// calls on stack buffers, and the group list was built before the fork.
    fn in_child(&self, who: &Who, call: impl Fn() -> Reply) -> Result<Reply, String> {
        let groups: &[libc::gid_t] = &who.groups;
        let size = std::mem::size_of::<Reply>();
        // SAFETY: between fork and _exit the child makes only raw system
        // calls on memory prepared before the fork.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                let id_ok = libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) == 0
                    && libc::syscall(libc::SYS_setresgid, who.egid, who.egid, who.egid) == 0
                    && libc::syscall(libc::SYS_setresuid, who.euid, who.euid, who.euid) == 0;
                if !id_ok {
                    libc::_exit(3);
                }
                let r = call();
                let n = libc::write(self.pipe[1], (&r as *const Reply).cast(), size);
                libc::_exit(if n == size as isize { 0 } else { 4 });
            }
            if pid < 0 {
                return Err(format!("fork: {}", std::io::Error::last_os_error()));
            }
            let mut status = 0;
            while libc::waitpid(pid, &mut status, 0) != pid {
                if errno_now() != libc::EINTR {
                    return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
                }
            }
            if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
                return Err(format!("the child as {who:?} failed (wait status {status:#x})"));
            }
            let mut r = NO_REPLY;
            if libc::read(self.pipe[0], (&mut r as *mut Reply).cast(), size) != size as isize {
                return Err(format!("the child as {who:?} wrote no reply"));
            }
            Ok(r)
        }
    }

    /// Creates the three objects as `case.creator` (in a child), then, as
    /// root, gives each its owner and mode (IPC_SET).
    fn setup(case: &PermCase) -> Result<PermLinux, String> {
        let mut pipe = [-1; 2];
        // SAFETY: a two-descriptor array.
        if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
            return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
        }
        let mut l = PermLinux { q: -1, s: -1, m: -1, qbytes: 0, owners: [case.msg, case.sem, case.shm], pipe };
        let r = l.in_child(&case.creator, || {
            let mut r = NO_REPLY;
            let flags = libc::IPC_CREAT | 0o600;
            // SAFETY: System V get calls without buffers.
            unsafe {
                r.vals[0] = libc::msgget(libc::IPC_PRIVATE, flags) as u64;
                r.vals[1] = libc::semget(libc::IPC_PRIVATE, 2, flags) as u64;
                r.vals[2] = libc::shmget(libc::IPC_PRIVATE, 4096, flags) as u64;
            }
            r
        })?;
        (l.q, l.s, l.m) = (r.vals[0] as i32, r.vals[1] as i32, r.vals[2] as i32);
        if l.q < 0 || l.s < 0 || l.m < 0 {
            return Err(format!("creating as {:?}: ids {} {} {}", case.creator, l.q, l.s, l.m));
        }
        // SAFETY: IPC_STAT and IPC_SET on zeroed buffers of the right types.
        unsafe {
            let mut ds: libc::msqid_ds = std::mem::zeroed();
            libc::msgctl(l.q, libc::IPC_STAT, &mut ds);
            l.qbytes = ds.msg_qbytes as u64;
            let mut sds: libc::semid_ds = std::mem::zeroed();
            let mut mds: libc::shmid_ds = std::mem::zeroed();
            let ok = l.set_q(&mut ds) == 0 && l.set_s(&mut sds) == 0 && l.set_m(&mut mds) == 0;
            if !ok {
                return Err(format!("root's IPC_SET: {}", std::io::Error::last_os_error()));
            }
        }
        Ok(l)
    }

    /// IPC_SET of the queue to its owner, mode and msg_qbytes.
    fn set_q(&self, ds: &mut libc::msqid_ds) -> i32 {
        let o = self.owners[0];
        (ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.mode) = (o.uid, o.gid, o.mode as u16);
        ds.msg_qbytes = self.qbytes as _;
        // SAFETY: a msqid_ds.
        unsafe { libc::msgctl(self.q, libc::IPC_SET, ds) }
    }

    fn set_s(&self, ds: &mut libc::semid_ds) -> i32 {
        let o = self.owners[1];
        (ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.mode) = (o.uid, o.gid, o.mode as u16);
        // SAFETY: a semid_ds.
        unsafe { libc::semctl(self.s, 0, libc::IPC_SET, ds as *mut libc::semid_ds) }
    }

    fn set_m(&self, ds: &mut libc::shmid_ds) -> i32 {
        let o = self.owners[2];
        (ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.mode) = (o.uid, o.gid, o.mode as u16);
        // SAFETY: a shmid_ds.
        unsafe { libc::shmctl(self.m, libc::IPC_SET, ds) }
    }

    /// One step in a child running as `who`.
    fn run(&self, who: &Who, op: PermOp) -> Result<Res, String> {
        let (q, s, m) = (self.q, self.s, self.m);
        let perm = |r: &mut Reply, p: &libc::ipc_perm| {
            r.vals[..5].copy_from_slice(&[
                u64::from(p.uid),
                u64::from(p.gid),
                u64::from(p.cuid),
                u64::from(p.cgid),
                u64::from(p.mode),
            ]);
        };
        let r = self.in_child(who, || {
            let mut r = NO_REPLY;
            // SAFETY (every call): System V calls on stack buffers of the
            // sizes passed; the attachment is used only inside the segment.
            unsafe {
                r.ret = match op {
                    PermOp::Msgsnd { mtype, len, byte } => {
                        let mut b = MsgBuf { mtype: mtype as libc::c_long, mtext: [0; 64] };
                        let mut c = byte;
                        for x in b.mtext.iter_mut() {
                            *x = c;
                            c = c.wrapping_add(1);
                        }
                        libc::msgsnd(q, (&b as *const MsgBuf).cast(), len, libc::IPC_NOWAIT) as i64
                    }
                    PermOp::Msgrcv => {
                        let mut b = MsgBuf { mtype: 0, mtext: [0; 64] };
                        let n = libc::msgrcv(q, (&mut b as *mut MsgBuf).cast(), 64, 0, libc::IPC_NOWAIT);
                        (r.vals[0], r.data) = (b.mtype as u64, b.mtext);
                        n as i64
                    }
                    PermOp::MsgStat => {
                        let mut ds: libc::msqid_ds = std::mem::zeroed();
                        let n = libc::msgctl(q, libc::IPC_STAT, &mut ds);
                        perm(&mut r, &ds.msg_perm);
                        (r.vals[5], r.vals[6]) = (ds.msg_qnum as u64, ds.__msg_cbytes as u64);
                        i64::from(n)
                    }
                    PermOp::MsgSet => i64::from(self.set_q(&mut std::mem::zeroed())),
                    PermOp::MsgRmid => i64::from(libc::msgctl(q, libc::IPC_RMID, std::ptr::null_mut())),
                    PermOp::Semop { n, op } => {
                        let mut b = libc::sembuf { sem_num: n, sem_op: op, sem_flg: libc::IPC_NOWAIT as i16 };
                        i64::from(libc::semop(s, &mut b, 1))
                    }
                    PermOp::Getval { n } => i64::from(libc::semctl(s, n as i32, libc::GETVAL)),
                    PermOp::Setval { n, val } => i64::from(libc::semctl(s, n as i32, libc::SETVAL, val)),
                    PermOp::SemStat => {
                        let mut ds: libc::semid_ds = std::mem::zeroed();
                        let n = libc::semctl(s, 0, libc::IPC_STAT, &mut ds as *mut libc::semid_ds);
                        perm(&mut r, &ds.sem_perm);
                        r.vals[5] = ds.sem_nsems as u64;
                        i64::from(n)
                    }
                    PermOp::SemSet => i64::from(self.set_s(&mut std::mem::zeroed())),
                    PermOp::SemRmid => i64::from(libc::semctl(s, 0, libc::IPC_RMID)),
                    PermOp::Shmat { rdonly, byte } => {
                        let p = libc::shmat(m, std::ptr::null(), if rdonly { libc::SHM_RDONLY } else { 0 });
                        if p as isize == -1 {
                            -1
                        } else {
                            let p = p.cast::<u8>();
                            if !rdonly {
                                p.write_volatile(byte);
                            }
                            r.data[0] = p.read_volatile();
                            i64::from(libc::shmdt(p.cast()))
                        }
                    }
                    PermOp::ShmStat => {
                        let mut ds: libc::shmid_ds = std::mem::zeroed();
                        let n = libc::shmctl(m, libc::IPC_STAT, &mut ds);
                        perm(&mut r, &ds.shm_perm);
                        (r.vals[5], r.vals[6]) = (ds.shm_segsz as u64, ds.shm_nattch as u64);
                        i64::from(n)
                    }
                    PermOp::ShmSet => i64::from(self.set_m(&mut std::mem::zeroed())),
                    PermOp::ShmRmid => i64::from(libc::shmctl(m, libc::IPC_RMID, std::ptr::null_mut())),
                };
            }
            r.errno = errno_now();
            r
        })?;
        if r.ret < 0 {
            return Ok(Res::Err(errno_of_linux(r.errno)));
        }
        let v = r.vals;
        let stat = || Res::PermStat {
            uid: v[0] as u32,
            gid: v[1] as u32,
            cuid: v[2] as u32,
            cgid: v[3] as u32,
            mode: v[4] as u32 & 0o777,
            a: v[5],
            b: v[6],
        };
        Ok(match op {
            PermOp::Msgrcv => Res::Msg { mtype: v[0] as i64, data: r.data[..(r.ret as usize).min(64)].to_vec() },
            PermOp::MsgStat | PermOp::SemStat | PermOp::ShmStat => stat(),
            PermOp::Getval { .. } => Res::Vals(vec![r.ret as u32]),
            PermOp::Shmat { .. } => Res::Bytes(vec![r.data[0]]),
            _ => Res::Ok,
        })
    }
}

/// The core side of a permission sequence: a process per distinct caller.
struct PermCore {
    k: Kernel,
    procs: Vec<(Who, u32)>,
    q: i32,
    s: i32,
    m: i32,
    qbytes: u64,
    owners: [Owner; 3],
}

impl PermCore {
    fn setup(case: &PermCase) -> Result<PermCore, String> {
        let mut cfg = Config::default();
        cfg.msg = MsgLimits { max_message_bytes: 8192, max_queue_bytes: 16384, ..cfg.msg };
        cfg.sem = SemLimits { value_max: 32767, ..cfg.sem };
        let mut k = Kernel::new(cfg).map_err(|e| format!("kernel: {e:?}"))?;
        let (_, root) = k.spawn(Credentials::root(), 0, 1).map_err(|e| format!("spawn: {e:?}"))?;
        let owners = [case.msg, case.sem, case.shm];
        let mut c = PermCore { k, procs: Vec::new(), q: -1, s: -1, m: -1, qbytes: 0, owners };
        let t = c.tid(&case.creator)?;
        let e = |e: Errno| format!("creating as {:?}: {e:?}", case.creator);
        c.q = c.k.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).map_err(e)?;
        c.s = c.k.semget(t, IPC_PRIVATE, 2, IPC_CREAT | 0o600).map_err(e)?;
        c.m = c.k.shmget(t, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).map_err(e)?;
        c.qbytes = c.k.msgctl_stat(root, c.q).map_err(|e| format!("root's IPC_STAT: {e:?}"))?.qbytes;
        let r = [c.set(root, 0), c.set(root, 1), c.set(root, 2)];
        if let Some(Err(e)) = r.into_iter().find(Result::is_err) {
            return Err(format!("root's IPC_SET: {e:?}"));
        }
        Ok(c)
    }

    /// The thread of the process running as `who` (spawned on first use).
    fn tid(&mut self, who: &Who) -> Result<u32, String> {
        if let Some(&(_, t)) = self.procs.iter().find(|(w, _)| w == who) {
            return Ok(t);
        }
        let (_, t) = self.k.spawn(who.cred(), 0, 1).map_err(|e| format!("spawn {who:?}: {e:?}"))?;
        self.procs.push((who.clone(), t));
        Ok(t)
    }

    /// IPC_SET of object `i` (queue, set, segment) to its owner and mode.
    fn set(&mut self, t: u32, i: usize) -> Result<(), Errno> {
        let Owner { uid, gid, mode } = self.owners[i];
        match i {
            0 => self.k.msgctl_set(t, self.q, ipc_core::msg::MsqSet { uid, gid, mode, qbytes: self.qbytes }),
            1 => self.k.semctl_set(t, self.s, ipc_core::sem::SemSetPerm { uid, gid, mode }),
            _ => self.k.shmctl_set(t, self.m, ipc_core::shm::ShmSetPerm { uid, gid, mode }),
        }
    }

    fn run(&mut self, who: &Who, op: PermOp) -> Result<Res, String> {
        let t = self.tid(who)?;
        let (q, s, m) = (self.q, self.s, self.m);
        let done = |r: Result<(), Errno>| r.map_or_else(|e| Res::Err(Some(e)), |()| Res::Ok);
        let k = &mut self.k;
        Ok(match op {
            PermOp::Msgsnd { mtype, len, byte } => {
                let data: Vec<u8> = (0..len).map(|i| byte.wrapping_add(i as u8)).collect();
                match k.msgsnd(t, q, mtype, &data, IPC_NOWAIT, None) {
                    Outcome::Done(r) => done(r),
                    Outcome::Blocked(_) => Res::Err(Some(Errno::EAGAIN)),
                }
            }
            PermOp::Msgrcv => match k.msgrcv(t, q, 64, 0, IPC_NOWAIT, None) {
                Outcome::Done(Ok(m)) => Res::Msg { mtype: m.mtype, data: m.data },
                Outcome::Done(Err(e)) => Res::Err(Some(e)),
                Outcome::Blocked(_) => Res::Err(Some(Errno::EAGAIN)),
            },
            PermOp::MsgStat => {
                k.msgctl_stat(t, q).map_or_else(|e| Res::Err(Some(e)), |d| ipc_stat_res(&d.perm, d.qnum, d.cbytes))
            }
            PermOp::MsgSet => done(self.set(t, 0)),
            PermOp::MsgRmid => done(k.msgctl_rmid(t, q)),
            PermOp::Semop { n, op } => {
                match k.semop(t, s, &[SemBuf { sem_num: n, sem_op: op, sem_flg: IPC_NOWAIT as i16 }], None) {
                    Outcome::Done(r) => done(r),
                    Outcome::Blocked(_) => Res::Err(Some(Errno::EAGAIN)),
                }
            }
            PermOp::Getval { n } => k
                .semctl_get(t, s, n, ipc_core::sem::SemGet::Val)
                .map_or_else(|e| Res::Err(Some(e)), |v| Res::Vals(vec![v])),
            PermOp::Setval { n, val } => done(k.semctl_setval(t, s, n, val)),
            PermOp::SemStat => {
                k.semctl_stat(t, s).map_or_else(|e| Res::Err(Some(e)), |d| ipc_stat_res(&d.perm, u64::from(d.nsems), 0))
            }
            PermOp::SemSet => done(self.set(t, 1)),
            PermOp::SemRmid => done(k.semctl_rmid(t, s)),
            PermOp::Shmat { rdonly, byte } => {
                match k.shmat(t, m, 0, if rdonly { ipc_core::shm::SHM_RDONLY } else { 0 }) {
                    Err(e) => Res::Err(Some(e)),
                    Ok(va) => {
                        let stored = if rdonly { Ok(()) } else { k.shm_write(t, va, &[byte]) };
                        let loaded = stored.and_then(|()| k.shm_read(t, va, 1));
                        match (loaded, k.shmdt(t, va)) {
                            (Ok(b), Ok(())) => Res::Bytes(b),
                            (Err(e), _) | (_, Err(e)) => Res::Err(Some(e)),
                        }
                    }
                }
            }
            PermOp::ShmStat => k
                .shmctl_stat(t, m)
                .map_or_else(|e| Res::Err(Some(e)), |d| ipc_stat_res(&d.perm, d.segsz, u64::from(d.nattch))),
            PermOp::ShmSet => done(self.set(t, 2)),
            PermOp::ShmRmid => done(k.shmctl_rmid(t, m)),
        })
    }
}

fn who() -> impl Strategy<Value = Who> {
    let user = (0..UIDS.len(), 0..GIDS.len(), proptest::sample::subsequence(GIDS.to_vec(), 0..=2))
        .prop_map(|(u, g, groups)| Who { euid: UIDS[u], egid: GIDS[g], groups });
    prop_oneof![1 => Just(Who::root()), 12 => user]
}

fn owner() -> impl Strategy<Value = Owner> {
    (0..UIDS.len(), 0..GIDS.len(), 0u32..=0o777).prop_map(|(u, g, mode)| Owner { uid: UIDS[u], gid: GIDS[g], mode })
}

fn perm_op() -> impl Strategy<Value = PermOp> {
    prop_oneof![
        6 => (1i64..3, 0usize..8, any::<u8>()).prop_map(|(mtype, len, byte)| PermOp::Msgsnd { mtype, len, byte }),
        6 => Just(PermOp::Msgrcv),
        4 => Just(PermOp::MsgStat),
        2 => Just(PermOp::MsgSet),
        1 => Just(PermOp::MsgRmid),
        6 => (0u16..2, -1i16..=1).prop_map(|(n, op)| PermOp::Semop { n, op }),
        4 => (0u32..2).prop_map(|n| PermOp::Getval { n }),
        4 => (0u32..2, 0i32..3).prop_map(|(n, val)| PermOp::Setval { n, val }),
        4 => Just(PermOp::SemStat),
        2 => Just(PermOp::SemSet),
        1 => Just(PermOp::SemRmid),
        6 => (any::<bool>(), any::<u8>()).prop_map(|(rdonly, byte)| PermOp::Shmat { rdonly, byte }),
        4 => Just(PermOp::ShmStat),
        2 => Just(PermOp::ShmSet),
        1 => Just(PermOp::ShmRmid),
    ]
}

fn perm_case() -> impl Strategy<Value = PermCase> {
    let creator =
        (0..UIDS.len(), 0..GIDS.len()).prop_map(|(u, g)| Who { euid: UIDS[u], egid: GIDS[g], groups: Vec::new() });
    (
        prop_oneof![1 => Just(Who::root()), 3 => creator],
        owner(),
        owner(),
        owner(),
        proptest::collection::vec((who(), perm_op()), 1..25),
    )
        .prop_map(|(creator, msg, sem, shm, steps)| PermCase { creator, msg, sem, shm, steps })
}

/// Runs one permission sequence on both kernels; the first unexplained difference.
fn compare_perms(case: &PermCase) -> Result<(), String> {
    SEQUENCES.fetch_add(1, Ordering::Relaxed);
    let linux = PermLinux::setup(case)?;
    let mut core = PermCore::setup(case)?;
    for (i, (who, op)) in case.steps.iter().enumerate() {
        let (l, c) = (linux.run(who, *op)?, core.run(who, *op)?);
        STEPS.fetch_add(1, Ordering::Relaxed);
        if l != c && explained(Step::Perm(op), &c, &l).is_none() {
            return Err(format!("step {i}: {who:?} {op:?}: ipc-core {c:?}, Linux {l:?}"));
        }
        core.k.check().map_err(|e| format!("step {i}: check: {e}"))?;
    }
    Ok(())
}

fn permissions_agree_with_linux() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("permissions_agree_with_linux: skipped — forking children under other uids needs root");
        return;
    }
    proptest!(ProptestConfig { cases: 256, ..ProptestConfig::default() }, |(case in perm_case())| {
        if let Err(e) = compare_perms(&case) {
            prop_assert!(false, "{}", e);
        }
    });
}
