//! The `shm` interface (System V shared memory) and its `inspect.shm` view.
//!
//! One core call per export, arguments and answers converted; no kernel
//! logic.

use crate::exports::ipclab::ipc::inspect::{AttachView, ShmMapView, ShmSegView, ShmTableView};
use crate::exports::ipclab::ipc::shm::{self, ShmctlReply, Tunable};
use crate::exports::ipclab::ipc::system;
use crate::exports::ipclab::ipc::types::{Errno, ShmSet, ShmidDs};
use crate::{Component, caller, err, ipc_perm};
use ipc_core::shm::view::ShmTableView as CShmTableView;
use ipc_core::shm::{SHM_LOCK, SHM_UNLOCK, ShmSetPerm, ShmSysctl, ShmctlReply as CShmctlReply, ShmidDs as CShmidDs};

fn set_perm(s: ShmSet) -> ShmSetPerm {
    ShmSetPerm { uid: s.uid, gid: s.gid, mode: s.mode }
}

pub(crate) fn shmid_ds(d: CShmidDs) -> ShmidDs {
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

impl shm::Guest for Component {
    fn shmget(t: system::ThreadBorrow<'_>, key: i32, size: u64, shmflg: i32) -> Result<i32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmget(tid, key, size, shmflg);
        err(r)
    }

    fn shmat(t: system::ThreadBorrow<'_>, shmid: i32, shmaddr: u64, shmflg: i32) -> Result<u64, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmat(tid, shmid, shmaddr, shmflg);
        err(r)
    }

    fn shmdt(t: system::ThreadBorrow<'_>, shmaddr: u64) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmdt(tid, shmaddr);
        err(r)
    }

    fn shmctl_stat(t: system::ThreadBorrow<'_>, shmid: i32) -> Result<ShmidDs, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmctl_stat(tid, shmid);
        err(r).map(shmid_ds)
    }

    fn shmctl_set(t: system::ThreadBorrow<'_>, shmid: i32, buf: ShmSet) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmctl_set(tid, shmid, set_perm(buf));
        err(r)
    }

    fn shmctl_rmid(t: system::ThreadBorrow<'_>, shmid: i32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmctl_rmid(tid, shmid);
        err(r)
    }

    fn shmctl_lock(t: system::ThreadBorrow<'_>, shmid: i32, lock: bool) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let cmd = if lock { SHM_LOCK } else { SHM_UNLOCK };
        let r = k.borrow_mut().shmctl(tid, shmid, cmd, None);
        err(r).map(|_| ())
    }

    fn shmctl(t: system::ThreadBorrow<'_>, shmid: i32, cmd: i32, buf: Option<ShmSet>) -> Result<ShmctlReply, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmctl(tid, shmid, cmd, buf.map(set_perm));
        err(r).map(|r| match r {
            CShmctlReply::Stat(d) => ShmctlReply::Stat(shmid_ds(d)),
            CShmctlReply::Done => ShmctlReply::Done,
        })
    }

    fn shmids(t: system::ThreadBorrow<'_>) -> Result<Vec<i32>, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shmids(tid);
        err(r)
    }

    fn read(t: system::ThreadBorrow<'_>, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shm_read(tid, addr, len);
        err(r)
    }

    fn write(t: system::ThreadBorrow<'_>, addr: u64, data: Vec<u8>) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shm_write(tid, addr, &data);
        err(r)
    }

    fn set_tunable(t: system::ThreadBorrow<'_>, set: Tunable) -> Result<(), Errno> {
        let set = match set {
            Tunable::Shmmax(v) => ShmSysctl::Shmmax(v),
            Tunable::Shmmaxpgs(v) => ShmSysctl::Shmmaxpgs(v),
            Tunable::Shmmni(v) => ShmSysctl::Shmmni(v),
            Tunable::Shmseg(v) => ShmSysctl::Shmseg(v),
        };
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().shm_sysctl(tid, set);
        err(r)
    }
}

pub(crate) fn table_view(v: CShmTableView) -> ShmTableView {
    ShmTableView {
        segments: v
            .segments
            .into_iter()
            .map(|s| ShmSegView {
                id: s.id,
                perm: ipc_perm(s.perm),
                segsz: s.segsz,
                pages: s.pages,
                resident: s.resident,
                nattch: s.nattch,
                cpid: s.cpid,
                lpid: s.lpid,
                atime: s.atime,
                dtime: s.dtime,
                ctime: s.ctime,
                removed: s.removed,
                rmlinger: s.rmlinger,
                locked: s.locked,
                refs: s.refs,
                preview: s.preview,
            })
            .collect(),
        maps: v
            .maps
            .into_iter()
            .map(|m| ShmMapView {
                pid: m.pid,
                attaches: m
                    .attaches
                    .into_iter()
                    .map(|a| AttachView { va: a.va, len: a.len, shmid: a.shmid, rdonly: a.rdonly })
                    .collect(),
            })
            .collect(),
        shmmax: v.limits.shmmax,
        shmmin: v.limits.shmmin,
        shmmni: v.limits.shmmni,
        shmseg: v.limits.shmseg,
        shmall: v.limits.shmall,
        nused: v.nused,
        committed: v.committed,
        page_size: v.page_size,
    }
}
