//! # The permission matrix
//!
//! Every one of the 512 modes (`0o000..=0o777`) × every caller relation ×
//! every operation class of System V message queues, semaphore arrays and
//! shared memory, and of POSIX named semaphores, each result (success or
//! errno) compared with a small oracle written from the sources' rules, not
//! from the crate's permission code.
//!
//! ## The objects
//! A System V object is made by the **creator** (uid 100, gid 10) and handed
//! over by IPC_SET to the **owner** (uid 200, gid 20) with the mode under
//! test, so creator ≠ owner.  Each kernel makes one in the global zone and
//! one in zone 1.  A POSIX semaphore has only its creator's euid/egid
//! (`ks_uid`/`ks_gid`); it is made by uid 200, gid 20 with the mode.
//!
//! ## The callers
//! owner uid, creator uid, owner group, creator group, supplementary group
//! (the owner's gid among the groups), other, privileged — all in the global
//! zone on the global object — a caller in zone 2 with the owner's ids and
//! privilege on the global object, and two global-zone callers on zone 1's
//! object: one with the owner's ids, one privileged (a tenth relation, so
//! that both halves of the cross-zone rule are checked).  POSIX semaphores
//! have no creator distinct from the owner and no zones: they take the owner,
//! owner group, supplementary group, other and privileged callers only.
//!
//! ## The operations
//! * msg: IPC_STAT, msgrcv (read); msgsnd (write); IPC_SET, IPC_RMID
//!   (owner); IPC_SET raising `msg_qbytes` (privilege).
//! * sem: IPC_STAT, semop wait-for-zero (read); semop `+1, −1`, SETVAL
//!   (alter); IPC_SET, IPC_RMID (owner).  sem.c has no privilege-only
//!   operation beyond the overrides every check has.
//! * shm: IPC_STAT, shmat SHM_RDONLY (read); shmat read-write (read *and*
//!   write); IPC_SET, IPC_RMID (owner); SHM_LOCK (privilege).
//! * POSIX: sem_open of the existing name with O_RDONLY (read) and O_RDWR
//!   (write); sem_unlink (the control operation).
//!
//! Every success is undone before the next cell (a received message is sent
//! again, an attachment detached, a removed object made again), so each
//! cell sees the same state; `check()` runs after every cell.
//!
//! ## Where the sources differ from the usual summary
//! The usual summary is "owner or creator uid → user bits, else group →
//! group bits, else other; privilege overrides; owner-only control needs the
//! owner or creator uid or privilege (EPERM); another non-global zone's
//! objects are not found (EINVAL), the global zone sees all".  `ipc.c`,
//! illumos' `policy.c` and the seeds refine it, and the matrix follows them:
//! * The global zone *sees* a non-global zone's object, but its mode bits
//!   and ownership do not apply to a global-zone caller: `ipcperm_access`
//!   hands a cross-zone request straight to `secpolicy_ipc_access` (EACCES
//!   unless privileged), and `secpolicy_ipc_owner` counts a uid as owner or
//!   creator only in the object's own zone (EPERM unless privileged).
//! * Privilege does not cross zones: a privileged caller in another
//!   non-global zone still finds nothing (EINVAL).
//! * Raising `msg_qbytes` needs privilege and is checked *before*
//!   ownership: the owner gets EPERM, a privileged non-owner succeeds.
//! * shmat without SHM_RDONLY asks for read and write together.
//! * POSIX semaphores follow NetBSD `ksem_perm`: see [`psem_oracle`].

mod common;

use common::*;
use ipc_core::cred::{GLOBAL_ZONEID, Gid, Uid, ZoneId};
use ipc_core::psem::O_CREAT;
use ipc_core::sem::{SemBuf, SemSetPerm};
use ipc_core::shm::{SHM_LOCK, SHM_RDONLY, ShmSetPerm};

/// The creator of the System V objects, and their owner after IPC_SET (also
/// the POSIX semaphore's creator).
const CREATOR: (Uid, Gid) = (100, 10);
const OWNER: (Uid, Gid) = (200, 20);
/// Where the second System V object is made, and where a stranger lives.
const ZONE: ZoneId = 1;
const OTHER_ZONE: ZoneId = 2;
/// Access bits in `rwx` order.
const R: u32 = 4;
const W: u32 = 2;
/// The `msg_qbytes` every queue is set to (lowering needs no privilege).
const QBYTES: u64 = 4096;
/// NetBSD's `O_RDONLY` and `O_RDWR`: the seed ignores them.
const O_RDONLY: i32 = 0;
const O_RDWR: i32 = 2;
const NAME: &[u8] = b"/matrix";

/// The object an oracle judges.
struct Obj {
    uid: Uid,
    gid: Gid,
    cuid: Uid,
    cgid: Gid,
    mode: u32,
    zone: ZoneId,
}

/// What an operation needs once the object is found.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// Access bits ([`R`], [`W`] or both).
    Access(u32),
    /// Owner-only control (IPC_SET, IPC_RMID; POSIX: sem_unlink).
    Owner,
    /// A privileged operation (raising `msg_qbytes`, SHM_LOCK).
    Privilege,
}

/// The System V rules of illumos `ipc.c` (`ipc_lookup`, `ipcperm_access`)
/// and `policy.c` (`secpolicy_ipc_owner`, `secpolicy_ipc_access`,
/// `secpolicy_ipc_config`), in order:
/// 1. A caller outside the global zone finds only its own zone's objects:
///    anything else is EINVAL, privileged or not.
/// 2. Access: an effective uid equal to the owner's or the creator's is
///    judged by the user bits; else membership (effective gid or a
///    supplementary group) of the owner's or the creator's group by the
///    group bits; else the other bits.  Every requested bit must be there.
///    The bits count only in the object's own zone (a global-zone caller on
///    another zone's object gets none).  Privilege grants what the bits do
///    not; else EACCES.
/// 3. Owner-only control: the owner's or the creator's uid in the object's
///    own zone, or privilege; else EPERM.
/// 4. A privileged operation: privilege, else EPERM.
fn sysv_oracle(c: &Credentials, zone: ZoneId, o: &Obj, need: Need) -> Result<(), Errno> {
    if zone != GLOBAL_ZONEID && zone != o.zone {
        return Err(Errno::EINVAL);
    }
    let home = zone == o.zone;
    let owner = c.euid == o.uid || c.euid == o.cuid;
    let member = |gid| c.egid == gid || c.groups.contains(&gid);
    let (granted, denial) = match need {
        Need::Access(want) => {
            let shift = if owner {
                6
            } else if member(o.gid) || member(o.cgid) {
                3
            } else {
                0
            };
            (home && want & !(o.mode >> shift) & 0o7 == 0, Errno::EACCES)
        }
        Need::Owner => (home && owner, Errno::EPERM),
        Need::Privilege => (false, Errno::EPERM),
    };
    if granted || c.privileged { Ok(()) } else { Err(denial) }
}

/// The POSIX rules of NetBSD `uipc_sem.c`:
/// * sem_open of an existing name (`ksem_perm`) passes when the effective
///   uid is the creator's and the mode has S_IWUSR, **or** the effective gid
///   (supplementary groups do not count) is the creator's and it has
///   S_IWGRP, **or** it has S_IWOTH, **or** the caller is privileged; else
///   EPERM.  Only write bits count, whatever access is asked for.
/// * sem_unlink checks nothing: anyone may take a name away.
/// * There are no zones, and no owner apart from the creator.
fn psem_oracle(c: &Credentials, _zone: ZoneId, o: &Obj, need: Need) -> Result<(), Errno> {
    let granted = match need {
        Need::Access(_) => {
            (c.euid == o.uid && o.mode & 0o200 != 0)
                || (c.egid == o.gid && o.mode & 0o020 != 0)
                || o.mode & 0o002 != 0
                || c.privileged
        }
        Need::Owner | Need::Privilege => true,
    };
    if granted { Ok(()) } else { Err(Errno::EPERM) }
}

/// A caller relation: its credentials, its zone, and which object it
/// addresses (0: the global zone's, 1: zone [`ZONE`]'s).
struct Rel {
    name: &'static str,
    cred: Credentials,
    zone: ZoneId,
    target: usize,
    /// Meaningless for POSIX semaphores (creator ≠ owner, zones).
    sysv_only: bool,
}

fn relations() -> Vec<Rel> {
    let user =
        |(uid, gid): (Uid, Gid), groups: &[Gid]| Credentials { groups: groups.to_vec(), ..Credentials::user(uid, gid) };
    let privileged = |c: Credentials| Credentials { privileged: true, ..c };
    let rel = |name, cred, zone, target, sysv_only| Rel { name, cred, zone, target, sysv_only };
    vec![
        rel("owner uid", user((OWNER.0, 99), &[]), GLOBAL_ZONEID, 0, false),
        rel("creator uid", user((CREATOR.0, 99), &[]), GLOBAL_ZONEID, 0, true),
        rel("owner group", user((300, OWNER.1), &[]), GLOBAL_ZONEID, 0, false),
        rel("creator group", user((301, CREATOR.1), &[]), GLOBAL_ZONEID, 0, true),
        rel("supplementary group", user((302, 99), &[OWNER.1]), GLOBAL_ZONEID, 0, false),
        rel("other", user((303, 99), &[]), GLOBAL_ZONEID, 0, false),
        rel("privileged", Credentials::root(), GLOBAL_ZONEID, 0, false),
        rel("privileged owner in another zone", privileged(user(OWNER, &[])), OTHER_ZONE, 0, true),
        rel("global-zone owner on zone 1's object", user(OWNER, &[]), GLOBAL_ZONEID, 1, true),
        rel("global-zone privileged on zone 1's object", Credentials::root(), GLOBAL_ZONEID, 1, true),
    ]
}

/// Where an operation runs: the caller, a privileged helper that undoes a
/// success, the object's id and its mode.
#[derive(Clone, Copy)]
struct At {
    tid: Tid,
    root: Tid,
    id: i32,
    mode: u32,
}

struct Op {
    name: &'static str,
    need: Need,
    /// A success removes the object: make it again.
    removes: bool,
    /// Runs the operation and undoes its success; returns its result.
    run: fn(&mut Kernel, At) -> Result<(), Errno>,
}

const fn op(name: &'static str, need: Need, run: fn(&mut Kernel, At) -> Result<(), Errno>) -> Op {
    Op { name, need, removes: false, run }
}

const fn removing(name: &'static str, need: Need, run: fn(&mut Kernel, At) -> Result<(), Errno>) -> Op {
    Op { name, need, removes: true, run }
}

struct Facility {
    name: &'static str,
    sysv: bool,
    /// Who makes the objects.
    maker: (Uid, Gid),
    /// Makes an object as `maker` (with a privileged helper) in the mode; returns its id.
    make: fn(&mut Kernel, Tid, Tid, u32) -> i32,
    ops: &'static [Op],
}

fn msq_set(mode: u32, qbytes: u64) -> MsqSet {
    MsqSet { uid: OWNER.0, gid: OWNER.1, mode, qbytes }
}

const MSG: Facility = Facility {
    name: "msg",
    sysv: true,
    maker: CREATOR,
    make: |k, maker, root, mode| {
        let id = k.msgget(maker, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
        k.msgctl_set(maker, id, msq_set(mode, QBYTES)).unwrap();
        // msgrcv's cells find one message.
        send(k, root, id, 1, b"m").unwrap();
        id
    },
    ops: &[
        op("IPC_STAT", Need::Access(R), |k, a| k.msgctl_stat(a.tid, a.id).map(drop)),
        op("msgrcv", Need::Access(R), |k, a| {
            recv(k, a.tid, a.id, 8, 0).map(|_| send(k, a.root, a.id, 1, b"m").unwrap())
        }),
        op("msgsnd", Need::Access(W), |k, a| {
            send(k, a.tid, a.id, 1, b"m").map(|()| drop(recv(k, a.root, a.id, 8, 0).unwrap()))
        }),
        op("IPC_SET", Need::Owner, |k, a| k.msgctl_set(a.tid, a.id, msq_set(a.mode, QBYTES))),
        op("IPC_SET raising msg_qbytes", Need::Privilege, |k, a| {
            k.msgctl_set(a.tid, a.id, msq_set(a.mode, QBYTES + 1))
                .map(|()| k.msgctl_set(a.root, a.id, msq_set(a.mode, QBYTES)).unwrap())
        }),
        removing("IPC_RMID", Need::Owner, |k, a| k.msgctl_rmid(a.tid, a.id)),
    ],
};

fn semop(k: &mut Kernel, a: At, ops: &[i16]) -> Result<(), Errno> {
    let sops: Vec<SemBuf> =
        ops.iter().map(|&sem_op| SemBuf { sem_num: 0, sem_op, sem_flg: IPC_NOWAIT as i16 }).collect();
    k.semop(a.tid, a.id, &sops, None).into_result()
}

fn sem_set(mode: u32) -> SemSetPerm {
    SemSetPerm { uid: OWNER.0, gid: OWNER.1, mode }
}

const SEM: Facility = Facility {
    name: "sem",
    sysv: true,
    maker: CREATOR,
    make: |k, maker, _, mode| {
        let id = k.semget(maker, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
        k.semctl_set(maker, id, sem_set(mode)).unwrap();
        id
    },
    ops: &[
        op("IPC_STAT", Need::Access(R), |k, a| k.semctl_stat(a.tid, a.id).map(drop)),
        op("semop wait-for-zero", Need::Access(R), |k, a| semop(k, a, &[0])),
        op("semop +1 -1", Need::Access(W), |k, a| semop(k, a, &[1, -1])),
        op("SETVAL", Need::Access(W), |k, a| k.semctl_setval(a.tid, a.id, 0, 0)),
        op("IPC_SET", Need::Owner, |k, a| k.semctl_set(a.tid, a.id, sem_set(a.mode))),
        removing("IPC_RMID", Need::Owner, |k, a| k.semctl_rmid(a.tid, a.id)),
    ],
};

fn shmat(k: &mut Kernel, a: At, flags: i32) -> Result<(), Errno> {
    k.shmat(a.tid, a.id, 0, flags).map(|va| k.shmdt(a.tid, va).unwrap())
}

fn shm_set(mode: u32) -> ShmSetPerm {
    ShmSetPerm { uid: OWNER.0, gid: OWNER.1, mode }
}

const SHM: Facility = Facility {
    name: "shm",
    sysv: true,
    maker: CREATOR,
    make: |k, maker, _, mode| {
        let id = k.shmget(maker, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).unwrap();
        k.shmctl_set(maker, id, shm_set(mode)).unwrap();
        id
    },
    ops: &[
        op("IPC_STAT", Need::Access(R), |k, a| k.shmctl_stat(a.tid, a.id).map(drop)),
        op("shmat SHM_RDONLY", Need::Access(R), |k, a| shmat(k, a, SHM_RDONLY)),
        op("shmat read-write", Need::Access(R | W), |k, a| shmat(k, a, 0)),
        op("IPC_SET", Need::Owner, |k, a| k.shmctl_set(a.tid, a.id, shm_set(a.mode))),
        op("SHM_LOCK", Need::Privilege, |k, a| k.shmctl(a.tid, a.id, SHM_LOCK, None).map(drop)),
        removing("IPC_RMID", Need::Owner, |k, a| k.shmctl_rmid(a.tid, a.id)),
    ],
};

fn sem_open(k: &mut Kernel, a: At, oflag: i32) -> Result<(), Errno> {
    k.sem_open(a.tid, NAME, oflag, 0, 0).map(|id| k.sem_close(a.tid, id).unwrap())
}

const PSEM: Facility = Facility {
    name: "psem",
    sysv: false,
    maker: OWNER,
    make: |k, maker, _, mode| {
        let id = k.sem_open(maker, NAME, O_CREAT, mode, 0).unwrap();
        // No reference left: the name alone keeps it.
        k.sem_close(maker, id).unwrap();
        // Unused: the cells name the semaphore by NAME.
        id as i32
    },
    ops: &[
        op("sem_open O_RDONLY", Need::Access(R), |k, a| sem_open(k, a, O_RDONLY)),
        op("sem_open O_RDWR", Need::Access(R | W), |k, a| sem_open(k, a, O_RDWR)),
        removing("sem_unlink", Need::Owner, |k, a| k.sem_unlink(a.tid, NAME)),
    ],
};

/// Runs one facility's matrix; returns the number of cells checked.
fn matrix(f: &Facility) -> usize {
    let rels: Vec<Rel> = relations().into_iter().filter(|r| f.sysv || !r.sysv_only).collect();
    let zones: &[ZoneId] = if f.sysv { &[GLOBAL_ZONEID, ZONE] } else { &[GLOBAL_ZONEID] };
    let oracle = if f.sysv { sysv_oracle } else { psem_oracle };
    let mut cells = 0;
    for mode in 0..=0o777 {
        let mut k = kernel();
        let root = root(&mut k);
        let makers: Vec<Tid> =
            zones.iter().map(|&z| k.spawn(Credentials::user(f.maker.0, f.maker.1), z, 1).unwrap().1).collect();
        let callers: Vec<Tid> = rels.iter().map(|r| k.spawn(r.cred.clone(), r.zone, 1).unwrap().1).collect();
        let mut ids: Vec<i32> = makers.iter().map(|&m| (f.make)(&mut k, m, root, mode)).collect();
        k.check().unwrap();
        for (rel, &tid) in rels.iter().zip(&callers) {
            let t = rel.target;
            let obj = Obj { uid: OWNER.0, gid: OWNER.1, cuid: f.maker.0, cgid: f.maker.1, mode, zone: zones[t] };
            for op in f.ops {
                let got = (op.run)(&mut k, At { tid, root, id: ids[t], mode });
                let want = oracle(&rel.cred, rel.zone, &obj, op.need);
                assert_eq!(got, want, "{} {} ({:?}), mode {mode:03o}, caller: {}", f.name, op.name, op.need, rel.name);
                if op.removes && got.is_ok() {
                    ids[t] = (f.make)(&mut k, makers[t], root, mode);
                }
                k.check().unwrap();
                cells += 1;
            }
        }
    }
    cells
}

#[test]
fn permission_matrix() {
    let facilities = [MSG, SEM, SHM, PSEM];
    let cells: usize = facilities.iter().map(matrix).sum();
    eprintln!("permission matrix: {} facilities, {cells} cells checked", facilities.len());
    // 512 modes × (3 System V facilities × 10 relations × 6 operations + POSIX 5 relations × 3).
    assert_eq!(cells, 512 * (3 * 10 * 6 + 5 * 3));
}
