//! The `psem` interface (POSIX semaphores) and its `inspect.psem` view.
//!
//! Like the rest of the adapter: one core call per export, arguments and
//! answers converted, no kernel logic.  Names cross the boundary as WIT
//! strings and reach the core as their UTF-8 bytes, so the core's byte
//! rules (14 bytes before the first NUL) apply unchanged.

use crate::exports::ipclab::ipc::inspect::{PsemHolder, PsemName, PsemProcView, PsemSemView, PsemState, PsemTableView};
use crate::exports::ipclab::ipc::msg::OpResult;
use crate::exports::ipclab::ipc::psem::{self, OpenFlags, WaitOutcome};
use crate::exports::ipclab::ipc::system;
use crate::exports::ipclab::ipc::types::{Errno, Timespec};
use crate::{Component, caller, err, waiter_view};
use ipc_core::Outcome;
use ipc_core::psem::view::{PsemState as CPsemState, PsemTableView as CPsemTableView};
use ipc_core::psem::{O_CREAT, O_EXCL, Timespec as CTimespec};

fn oflag(f: OpenFlags) -> i32 {
    let mut o = 0;
    if f.contains(OpenFlags::CREAT) {
        o |= O_CREAT;
    }
    if f.contains(OpenFlags::EXCL) {
        o |= O_EXCL;
    }
    o
}

fn wait_outcome(r: Outcome<()>) -> Result<WaitOutcome, Errno> {
    match r {
        Outcome::Done(r) => err(r).map(|()| WaitOutcome::Acquired),
        Outcome::Blocked(reason) => Ok(WaitOutcome::Blocked(reason)),
    }
}

impl psem::Guest for Component {
    fn sem_open(t: system::ThreadBorrow<'_>, name: String, o: OpenFlags, mode: u32, value: u32) -> Result<u32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_open(tid, name.as_bytes(), oflag(o), mode, value);
        err(r)
    }

    fn sem_init(t: system::ThreadBorrow<'_>, value: u32, pshared: bool) -> Result<u32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_init(tid, value, pshared);
        err(r)
    }

    fn sem_close(t: system::ThreadBorrow<'_>, id: u32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_close(tid, id);
        err(r)
    }

    fn sem_unlink(t: system::ThreadBorrow<'_>, name: String) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_unlink(tid, name.as_bytes());
        err(r)
    }

    fn sem_destroy(t: system::ThreadBorrow<'_>, id: u32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_destroy(tid, id);
        err(r)
    }

    fn sem_post(t: system::ThreadBorrow<'_>, id: u32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_post(tid, id);
        err(r)
    }

    fn sem_wait(t: system::ThreadBorrow<'_>, id: u32) -> Result<WaitOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_wait(tid, id);
        wait_outcome(r)
    }

    fn sem_trywait(t: system::ThreadBorrow<'_>, id: u32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_trywait(tid, id);
        err(r)
    }

    fn sem_timedwait(t: system::ThreadBorrow<'_>, id: u32, abstime: Timespec) -> Result<WaitOutcome, Errno> {
        let (k, tid) = caller(&t);
        let abstime = CTimespec { sec: abstime.sec, nsec: abstime.nsec };
        let r = k.borrow_mut().sem_timedwait(tid, id, abstime);
        wait_outcome(r)
    }

    fn sem_getvalue(t: system::ThreadBorrow<'_>, id: u32) -> Result<u32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().sem_getvalue(tid, id);
        err(r)
    }
}

/// A batch's outcome of a wait (done or parked).
pub(crate) fn batch_wait(r: Outcome<()>) -> Result<OpResult, Errno> {
    match r {
        Outcome::Done(r) => err(r).map(|()| OpResult::Done),
        Outcome::Blocked(reason) => Ok(OpResult::Blocked(reason)),
    }
}

pub(crate) fn table_view(v: CPsemTableView) -> PsemTableView {
    PsemTableView {
        names: v.names.into_iter().map(|(name, id)| PsemName { name, id }).collect(),
        sems: v
            .sems
            .into_iter()
            .map(|s| PsemSemView {
                id: s.id,
                name: s.name,
                state: match s.state {
                    CPsemState::Named => PsemState::Named,
                    CPsemState::Anonymous { pshared } => PsemState::Anonymous(pshared),
                    CPsemState::Unlinked => PsemState::Unlinked,
                },
                mode: s.mode,
                uid: s.uid,
                gid: s.gid,
                value: s.value,
                refs: s.refs,
                waiters: s.waiters.into_iter().map(waiter_view).collect(),
                holders: s.holders.into_iter().map(|h| PsemHolder { pid: h.pid, count: h.count }).collect(),
                bucket: s.bucket,
            })
            .collect(),
        procs: v.procs.into_iter().map(|p| PsemProcView { pid: p.pid, refs: p.refs }).collect(),
        buckets: v.buckets,
        counter: v.counter,
        max_sems: v.max_sems,
        value_max: v.value_max,
    }
}
