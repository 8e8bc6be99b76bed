//! # The native backend: `ipc-core` inside the host
//!
//! [`NativeKernel`] holds an `ipc_core::Kernel` and answers every
//! [`Backend`] call with one call of the core, its answer converted to the
//! WIT's types — the same conversions the component's adapters make on the
//! other side of the component boundary, and nothing else: no kernel logic
//! lives here.  Because it is the same core, a run on it and a run on the
//! component agree byte for byte (tested); what differs is the cost of a
//! call (a function call instead of a component crossing with its lifting
//! and lowering), which the README's benchmark shows side by side.

use ipc_core::fd::FdReply;
use ipc_core::msg::{MsgReply, MsqSet, MsqidDs as CMsqidDs, Received as CReceived};
use ipc_core::namespace::IpcPerm as CIpcPerm;
use ipc_core::port::{PortEvent as CPortEvent, PortReply};
use ipc_core::psem::{PsemReply, Timespec as CTimespec};
use ipc_core::sem::{SemBuf, SemGet, SemReply, SemidDs as CSemidDs};
use ipc_core::shm::ShmidDs as CShmidDs;
use ipc_core::{Config, Credentials as CCredentials, Errno as CErrno, Kernel, Outcome, Reply as CReply, SysResult};

use super::bindings::exports::ipclab::ipc::system::{Completion, Reply};
use super::bindings::exports::ipclab::ipc::types::{
    Credentials, Errno, IpcPerm, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};
use super::{Backend, Call, Parks, Sys, WaitFor};

/// `ipc-core`'s kernel, called directly.
pub struct NativeKernel {
    k: Kernel,
}

impl NativeKernel {
    /// A kernel with the default configuration (as `default-config`).
    pub fn new() -> Result<NativeKernel, String> {
        let mut k = Kernel::new(Config::default()).map_err(|e| format!("create the kernel: {e}"))?;
        // The host tells a call's story in its event's words, never its
        // internal steps (the playground, replaying a recorded run on its
        // own kernel, records them there).
        k.set_step_recording(false);
        Ok(NativeKernel { k })
    }

    /// The kernel itself (read-only: for views and checks).
    pub fn kernel(&self) -> &Kernel {
        &self.k
    }
}

// ----- the core's answers as the WIT's -----

fn errno(e: CErrno) -> Errno {
    match e {
        CErrno::EPERM => Errno::Eperm,
        CErrno::ENOENT => Errno::Enoent,
        CErrno::ESRCH => Errno::Esrch,
        CErrno::EINTR => Errno::Eintr,
        CErrno::EIO => Errno::Eio,
        CErrno::EBADF => Errno::Ebadf,
        CErrno::EPIPE => Errno::Epipe,
        CErrno::ETIME => Errno::Etime,
        CErrno::EBADFD => Errno::Ebadfd,
        CErrno::E2BIG => Errno::E2big,
        CErrno::EAGAIN => Errno::Eagain,
        CErrno::ENOMEM => Errno::Enomem,
        CErrno::EACCES => Errno::Eacces,
        CErrno::EFAULT => Errno::Efault,
        CErrno::EBUSY => Errno::Ebusy,
        CErrno::EEXIST => Errno::Eexist,
        CErrno::EINVAL => Errno::Einval,
        CErrno::ENFILE => Errno::Enfile,
        CErrno::EMFILE => Errno::Emfile,
        CErrno::EFBIG => Errno::Efbig,
        CErrno::ENOSPC => Errno::Enospc,
        CErrno::ERANGE => Errno::Erange,
        CErrno::ENOMSG => Errno::Enomsg,
        CErrno::EIDRM => Errno::Eidrm,
        CErrno::EDEADLK => Errno::Edeadlk,
        CErrno::ENAMETOOLONG => Errno::Enametoolong,
        CErrno::EOVERFLOW => Errno::Eoverflow,
        CErrno::ETIMEDOUT => Errno::Etimedout,
    }
}

fn sys<T, U>(r: SysResult<T>, f: impl FnOnce(T) -> U) -> Sys<U> {
    Ok(r.map(f).map_err(errno))
}

fn plain<T>(r: SysResult<T>) -> Sys<T> {
    Ok(r.map_err(errno))
}

fn parks<T, U>(r: Outcome<T>, f: impl FnOnce(T) -> U) -> Parks<U> {
    Ok(match r {
        Outcome::Done(r) => Call::Done(r.map(f).map_err(errno)),
        Outcome::Blocked(_) => Call::Parked,
    })
}

fn ipc_perm(p: CIpcPerm) -> IpcPerm {
    IpcPerm {
        uid: p.uid,
        gid: p.gid,
        cuid: p.cuid,
        cgid: p.cgid,
        mode: p.mode,
        key: p.key,
        zone: p.zone,
        project: p.project,
    }
}

fn msqid_ds(d: CMsqidDs) -> MsqidDs {
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

fn semid_ds(d: CSemidDs) -> SemidDs {
    SemidDs { perm: ipc_perm(d.perm), nsems: d.nsems, otime: d.otime, ctime: d.ctime }
}

fn shmid_ds(d: CShmidDs) -> ShmidDs {
    ShmidDs {
        perm: ipc_perm(d.perm),
        segsz: d.segsz,
        lpid: d.lpid,
        cpid: d.cpid,
        nattch: d.nattch,
        atime: d.atime,
        dtime: d.dtime,
        ctime: d.ctime,
        removed: d.removed,
        rmlinger: d.rmlinger,
        locked: d.locked,
    }
}

fn received(r: CReceived) -> Received {
    Received { mtype: r.mtype, data: r.data }
}

fn port_event(e: CPortEvent) -> PortEvent {
    PortEvent { source: e.source, events: e.events, object: e.object, user: e.user }
}

fn port_got(events: Vec<CPortEvent>, etime: bool) -> PortGot {
    PortGot { events: events.into_iter().map(port_event).collect(), etime }
}

fn timespec(t: Timespec) -> CTimespec {
    CTimespec { sec: t.sec, nsec: t.nsec }
}

/// A completed parked call's reply as the WIT `reply` (as the component's
/// `thread.take-result` gives it).
fn reply(r: CReply) -> Reply {
    match r {
        CReply::Msg(MsgReply::Sent) | CReply::Sem(SemReply::Done) | CReply::Psem(PsemReply::Acquired) => Reply::None,
        CReply::Msg(MsgReply::Received(m)) => Reply::Message(received(m)),
        CReply::Fd(FdReply::Read(b)) => Reply::Bytes(b),
        CReply::Fd(FdReply::Wrote(n)) => Reply::Count(n),
        CReply::Port(PortReply::Events { events, etime }) => Reply::PortEvents(port_got(events, etime)),
    }
}

fn sembufs(sops: &[Sembuf]) -> Vec<SemBuf> {
    sops.iter().map(|b| SemBuf { sem_num: b.sem_num, sem_op: b.sem_op, sem_flg: b.sem_flg }).collect()
}

impl Backend for NativeKernel {
    fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> Sys<(u32, u32)> {
        let c = CCredentials {
            ruid: cred.ruid,
            euid: cred.euid,
            rgid: cred.rgid,
            egid: cred.egid,
            groups: cred.groups.clone(),
            privileged: cred.privileged,
        };
        plain(self.k.spawn(c, zone, project))
    }

    fn exit(&mut self, pid: u32) -> Sys<()> {
        plain(self.k.exit(pid))
    }

    fn take_result(&mut self, tid: u32) -> Sys<Completion> {
        sys(self.k.take_result(tid), |c| Completion {
            call: c.call().to_string(),
            result: c.result.map(reply).map_err(errno),
        })
    }

    fn advance(&mut self, ns: u64) -> wasmtime::Result<u64> {
        Ok(self.k.advance(ns))
    }

    fn woken(&mut self, cursor: u64) -> wasmtime::Result<(Vec<u32>, u64)> {
        Ok(self.k.woken_since(cursor))
    }

    fn next_deadline(&mut self) -> wasmtime::Result<Option<u64>> {
        Ok(self.k.next_deadline())
    }

    fn last_event_text(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.k.last_event().map(|e| e.to_string()))
    }

    fn snapshot(&mut self) -> wasmtime::Result<String> {
        Ok(serde_json::to_string(&self.k)?)
    }

    fn ipcs(&mut self) -> Result<String, String> {
        Ok(crate::ipcs::render(&self.k))
    }

    fn deadlock(&mut self) -> wasmtime::Result<Vec<WaitFor>> {
        let graph = self.k.deadlock().unwrap_or_default();
        Ok(graph.into_iter().map(|w| WaitFor { pid: w.pid, reason: w.reason, holders: w.holders }).collect())
    }

    fn msgget(&mut self, tid: u32, key: i32, msgflg: i32) -> Sys<i32> {
        plain(self.k.msgget(tid, key, msgflg))
    }

    fn msgsnd(&mut self, tid: u32, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Parks<()> {
        parks(self.k.msgsnd_vec(tid, msqid, mtype, data, msgflg, None), |()| ())
    }

    fn msgrcv(&mut self, tid: u32, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Parks<Received> {
        parks(self.k.msgrcv(tid, msqid, msgsz, msgtyp, msgflg, None), received)
    }

    fn msgctl_stat(&mut self, tid: u32, msqid: i32) -> Sys<MsqidDs> {
        sys(self.k.msgctl_stat(tid, msqid), msqid_ds)
    }

    fn msgctl_set(&mut self, tid: u32, msqid: i32, buf: MsqidSet) -> Sys<()> {
        let set = MsqSet { uid: buf.uid, gid: buf.gid, mode: buf.mode, qbytes: buf.qbytes };
        plain(self.k.msgctl_set(tid, msqid, set))
    }

    fn msgctl_rmid(&mut self, tid: u32, msqid: i32) -> Sys<()> {
        plain(self.k.msgctl_rmid(tid, msqid))
    }

    fn semget(&mut self, tid: u32, key: i32, nsems: i32, semflg: i32) -> Sys<i32> {
        plain(self.k.semget(tid, key, nsems, semflg))
    }

    fn semop(&mut self, tid: u32, semid: i32, sops: &[Sembuf], timeout_ns: Option<u64>) -> Parks<()> {
        parks(self.k.semop(tid, semid, &sembufs(sops), timeout_ns), |()| ())
    }

    fn semctl_getval(&mut self, tid: u32, semid: i32, semnum: u32) -> Sys<u32> {
        plain(self.k.semctl_get(tid, semid, semnum, SemGet::Val))
    }

    fn semctl_setval(&mut self, tid: u32, semid: i32, semnum: u32, val: i32) -> Sys<()> {
        plain(self.k.semctl_setval(tid, semid, semnum, val))
    }

    fn semctl_getall(&mut self, tid: u32, semid: i32) -> Sys<Vec<u32>> {
        plain(self.k.semctl_getall(tid, semid))
    }

    fn semctl_setall(&mut self, tid: u32, semid: i32, vals: &[u32]) -> Sys<()> {
        plain(self.k.semctl_setall(tid, semid, vals))
    }

    fn semctl_stat(&mut self, tid: u32, semid: i32) -> Sys<SemidDs> {
        sys(self.k.semctl_stat(tid, semid), semid_ds)
    }

    fn semctl_rmid(&mut self, tid: u32, semid: i32) -> Sys<()> {
        plain(self.k.semctl_rmid(tid, semid))
    }

    fn shmget(&mut self, tid: u32, key: i32, size: u64, shmflg: i32) -> Sys<i32> {
        plain(self.k.shmget(tid, key, size, shmflg))
    }

    fn shmat(&mut self, tid: u32, shmid: i32, shmaddr: u64, shmflg: i32) -> Sys<u64> {
        plain(self.k.shmat(tid, shmid, shmaddr, shmflg))
    }

    fn shmdt(&mut self, tid: u32, shmaddr: u64) -> Sys<()> {
        plain(self.k.shmdt(tid, shmaddr))
    }

    fn shmctl_stat(&mut self, tid: u32, shmid: i32) -> Sys<ShmidDs> {
        sys(self.k.shmctl_stat(tid, shmid), shmid_ds)
    }

    fn shmctl_rmid(&mut self, tid: u32, shmid: i32) -> Sys<()> {
        plain(self.k.shmctl_rmid(tid, shmid))
    }

    fn shm_read(&mut self, tid: u32, addr: u64, len: u64) -> Sys<Vec<u8>> {
        plain(self.k.shm_read(tid, addr, len))
    }

    fn shm_write(&mut self, tid: u32, addr: u64, data: &[u8]) -> Sys<()> {
        plain(self.k.shm_write(tid, addr, data))
    }

    fn sem_open(&mut self, tid: u32, name: &str, oflag: i32, mode: u32, value: u32) -> Sys<u32> {
        plain(self.k.sem_open(tid, name.as_bytes(), oflag, mode, value))
    }

    fn sem_init(&mut self, tid: u32, value: u32, pshared: bool) -> Sys<u32> {
        plain(self.k.sem_init(tid, value, pshared))
    }

    fn sem_close(&mut self, tid: u32, id: u32) -> Sys<()> {
        plain(self.k.sem_close(tid, id))
    }

    fn sem_unlink(&mut self, tid: u32, name: &str) -> Sys<()> {
        plain(self.k.sem_unlink(tid, name.as_bytes()))
    }

    fn sem_destroy(&mut self, tid: u32, id: u32) -> Sys<()> {
        plain(self.k.sem_destroy(tid, id))
    }

    fn sem_post(&mut self, tid: u32, id: u32) -> Sys<()> {
        plain(self.k.sem_post(tid, id))
    }

    fn sem_wait(&mut self, tid: u32, id: u32, abstime: Option<Timespec>) -> Parks<()> {
        let r = match abstime {
            Some(at) => self.k.sem_timedwait(tid, id, timespec(at)),
            None => self.k.sem_wait(tid, id),
        };
        parks(r, |()| ())
    }

    fn sem_trywait(&mut self, tid: u32, id: u32) -> Sys<()> {
        plain(self.k.sem_trywait(tid, id))
    }

    fn sem_getvalue(&mut self, tid: u32, id: u32) -> Sys<u32> {
        plain(self.k.sem_getvalue(tid, id))
    }

    fn pipe(&mut self, tid: u32) -> Sys<(i32, i32)> {
        plain(self.k.pipe(tid))
    }

    fn read(&mut self, tid: u32, fd: i32, len: u32) -> Parks<Vec<u8>> {
        parks(self.k.read(tid, fd, len, false), |d| d)
    }

    fn write(&mut self, tid: u32, fd: i32, data: &[u8]) -> Parks<u64> {
        parks(self.k.write(tid, fd, data, false), |n| n)
    }

    fn close(&mut self, tid: u32, fd: i32) -> Sys<()> {
        plain(self.k.close(tid, fd))
    }

    fn port_create(&mut self, tid: u32) -> Sys<i32> {
        plain(self.k.port_create(tid))
    }

    fn port_send(&mut self, tid: u32, port: i32, events: i32, user: u64) -> Sys<()> {
        plain(self.k.port_send(tid, port, events, user))
    }

    fn port_alert(&mut self, tid: u32, port: i32, flags: i32, events: i32, user: u64) -> Sys<()> {
        plain(self.k.port_alert(tid, port, flags, events, user))
    }

    fn port_associate(&mut self, tid: u32, port: i32, source: u16, object: u64, events: u16, user: u64) -> Sys<()> {
        plain(self.k.port_associate(tid, port, source, object, events, user))
    }

    fn port_dissociate(&mut self, tid: u32, port: i32, source: u16, object: u64) -> Sys<()> {
        plain(self.k.port_dissociate(tid, port, source, object))
    }

    fn port_getn(&mut self, tid: u32, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Parks<PortGot> {
        parks(self.k.port_getn(tid, port, max, nget, timeout.map(timespec)), |g| port_got(g.events, g.etime))
    }

    fn port_pending(&mut self, tid: u32, port: i32) -> Sys<u32> {
        Ok(match self.k.port_getn(tid, port, 0, 0, None) {
            Outcome::Done(Ok(g)) => g.pending.ok_or(Errno::Einval),
            Outcome::Done(Err(e)) => Err(errno(e)),
            Outcome::Blocked(_) => Err(Errno::Einval),
        })
    }

    fn port_get(&mut self, tid: u32, port: i32, timeout: Option<Timespec>) -> Parks<Option<PortEvent>> {
        parks(self.k.port_get(tid, port, timeout.map(timespec)), |e| e.map(port_event))
    }
}
