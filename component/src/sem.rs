//! The `sem` interface: System V semaphore arrays.
//!
//! One core call per export, arguments and answers converted; no kernel
//! logic.

use super::*;
use crate::exports::ipclab::ipc::{sem, system};

pub(crate) fn sembuf(b: &Sembuf) -> CSemBuf {
    CSemBuf { sem_num: b.sem_num, sem_op: b.sem_op, sem_flg: b.sem_flg }
}

/// Runs `f` on `sops` as core operations; short arrays (the common case)
/// are converted on the stack.
pub(crate) fn with_sembufs<R>(sops: &[Sembuf], f: impl FnOnce(&[CSemBuf]) -> R) -> R {
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

pub(crate) fn wit_sembuf(b: &CSemBuf) -> Sembuf {
    Sembuf { sem_num: b.sem_num, sem_op: b.sem_op, sem_flg: b.sem_flg }
}

pub(crate) fn semid_ds(d: CSemidDs) -> SemidDs {
    SemidDs { perm: ipc_perm(d.perm), nsems: d.nsems, otime: d.otime, ctime: d.ctime }
}

pub(crate) fn semid_set(s: SemidSet) -> CSemSetPerm {
    CSemSetPerm { uid: s.uid, gid: s.gid, mode: s.mode }
}

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
pub(crate) fn semop_result(r: Outcome<()>) -> Result<OpResult, Errno> {
    match r {
        Outcome::Done(r) => err(r).map(|()| OpResult::Done),
        Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
    }
}

pub(crate) fn sem_get(t: system::ThreadBorrow<'_>, semid: i32, semnum: u32, what: SemGet) -> Result<u32, Errno> {
    let (k, tid) = caller(&t);
    let r = k.borrow_mut().semctl_get(tid, semid, semnum, what);
    err(r)
}
