//! The `msg` interface: System V message queues, and `batch` (the
//! embedder's fast path over every facility's non-blocking calls).
//!
//! One core call per export (one per operation in a batch), arguments and
//! answers converted; no kernel logic.

use super::*;
use crate::exports::ipclab::ipc::{msg, system};
use crate::sem::{sembuf, semop_result, with_sembufs};
use crate::system::msgctl_reply;

pub(crate) fn msqid_ds(d: CMsqidDs) -> MsqidDs {
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

pub(crate) fn msq_set(s: MsqidSet) -> MsqSet {
    MsqSet { uid: s.uid, gid: s.gid, mode: s.mode, qbytes: s.qbytes }
}

pub(crate) fn received(r: CReceived) -> Received {
    Received { mtype: r.mtype, data: r.data }
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
