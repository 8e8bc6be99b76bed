//! The `inspect` interface: the core's views of namespaces, queues,
//! semaphore sets, processes, the deadlock and the explanation of a step,
//! converted to the WIT's records.  (The fd, port, shm and psem views are
//! in their interfaces' files.)
//!
//! No kernel logic: each export reads one view of the core.

use super::*;
use crate::exports::ipclab::ipc::{inspect, system};
use crate::sem::wit_sembuf;
use crate::system::KernelRes;

pub(crate) fn slot_view(s: CSlotView) -> SlotView {
    SlotView { index: s.index, seq: s.seq, id: s.id, occupant: s.occupant }
}

pub(crate) fn key_node(n: CKeyNode) -> KeyNode {
    KeyNode { key: n.key, zone: n.zone, id: n.id, height: n.height, balance: n.balance, left: n.left, right: n.right }
}

pub(crate) fn namespace_view(v: CNamespaceView) -> NamespaceView {
    NamespaceView {
        facility: facility(v.facility),
        seq_bits: v.seq_bits,
        table_max: v.table_max,
        slots: v.slots.into_iter().map(slot_view).collect(),
        keys: v.keys.into_iter().map(key_node).collect(),
        ids: v.ids,
        removed: v.removed.into_iter().map(|(id, refs)| RemovedObject { id, refs }).collect(),
    }
}

pub(crate) fn message_view(m: CMessageView) -> MessageView {
    MessageView { mtype: m.mtype, size: m.size, head: m.head }
}

pub(crate) fn waiter_view(w: CWaiterView) -> WaiterView {
    WaiterView { tid: w.tid, pid: w.pid, reason: w.reason, since: w.since, deadline: w.deadline }
}

pub(crate) fn msg_queue_view(q: CMsgQueueView) -> MsgQueueView {
    MsgQueueView {
        id: q.id,
        perm: ipc_perm(q.perm),
        removed: q.removed,
        refs: q.refs,
        qnum: q.qnum,
        qmax: q.qmax,
        cbytes: q.cbytes,
        qbytes: q.qbytes,
        lspid: q.lspid,
        lrpid: q.lrpid,
        stime: q.stime,
        rtime: q.rtime,
        ctime: q.ctime,
        messages: q.messages.into_iter().map(message_view).collect(),
        senders: q.senders.into_iter().map(waiter_view).collect(),
        receivers: q.receivers.into_iter().map(waiter_view).collect(),
    }
}

pub(crate) fn sem_set_view(v: CSemSetView) -> SemSetView {
    SemSetView {
        id: v.id,
        perm: ipc_perm(v.perm),
        removed: v.removed,
        refs: v.refs,
        otime: v.otime,
        ctime: v.ctime,
        sems: v
            .sems
            .into_iter()
            .map(|s| SemView { semval: s.semval, sempid: s.sempid, semncnt: s.semncnt, semzcnt: s.semzcnt })
            .collect(),
        waiters: v.waiters.into_iter().map(sem_waiter_view).collect(),
        undos: v.undos.into_iter().map(|u| UndoView { pid: u.pid, adjust: u.adjust }).collect(),
    }
}

pub(crate) fn sem_waiter_view(w: CSemWaiterView) -> SemWaiterView {
    SemWaiterView { waiter: waiter_view(w.waiter), sops: w.sops.iter().map(wit_sembuf).collect(), sem_num: w.sem_num }
}

pub(crate) fn thread_state(s: CThreadState) -> ThreadState {
    match s {
        CThreadState::Runnable => ThreadState::Runnable,
        CThreadState::Blocked { reason, since, deadline } => {
            ThreadState::Blocked(BlockedView { reason, since, deadline })
        }
        CThreadState::Finished { call, errno: e, summary } => {
            ThreadState::Finished(FinishedView { call, error: e.map(errno), summary })
        }
    }
}

pub(crate) fn process_view(p: CProcessView) -> ProcessView {
    ProcessView {
        pid: p.pid,
        ppid: p.ppid,
        ruid: p.ruid,
        euid: p.euid,
        rgid: p.rgid,
        egid: p.egid,
        groups: p.groups,
        privileged: p.privileged,
        zone: p.zone,
        project: p.project,
        threads: p.threads.into_iter().map(|t| ThreadView { tid: t.tid, state: thread_state(t.state) }).collect(),
    }
}

impl inspect::Guest for Component {
    fn namespace(k: system::KernelBorrow<'_>, facility: Facility) -> NamespaceView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().namespace_view(core_facility(facility));
        namespace_view(v)
    }

    fn msg_queues(k: system::KernelBorrow<'_>) -> Vec<MsgQueueView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().msg_queue_views();
        v.into_iter().map(msg_queue_view).collect()
    }

    fn sem_sets(k: system::KernelBorrow<'_>) -> Vec<SemSetView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().sem_set_views();
        v.into_iter().map(sem_set_view).collect()
    }

    fn ports(k: system::KernelBorrow<'_>) -> Vec<PortView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().port_views();
        v.into_iter().map(port::port_view).collect()
    }

    fn pipes(k: system::KernelBorrow<'_>) -> Vec<PipeView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().pipe_views();
        v.into_iter().map(port::pipe_view).collect()
    }

    fn fd_tables(k: system::KernelBorrow<'_>) -> Vec<FdTableView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().fd_table_views();
        v.into_iter().map(port::fd_table_view).collect()
    }

    fn shm(k: system::KernelBorrow<'_>) -> ShmTableView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().shm_view();
        shm::table_view(v)
    }

    fn psem(k: system::KernelBorrow<'_>) -> PsemTableView {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().psem_view();
        psem::table_view(v)
    }

    fn processes(k: system::KernelBorrow<'_>) -> Vec<ProcessView> {
        let k: &KernelRes = k.get();
        let v = k.k.borrow().process_views();
        v.into_iter().map(process_view).collect()
    }

    fn scene(k: system::KernelBorrow<'_>, window: String) -> Result<String, String> {
        let k: &KernelRes = k.get();
        let w: ipc_core::inspect::scene::Window =
            serde_json::from_str(&window).map_err(|e| format!("the window is not a scene window: {e}"))?;
        let scene = k.k.borrow().scene(&w);
        serde_json::to_string(&scene).map_err(|e| format!("the scene cannot be written: {e}"))
    }

    fn explain(k: system::KernelBorrow<'_>) -> Option<Explanation> {
        let k: &KernelRes = k.get();
        let event = k.k.borrow().last_event()?;
        let x = ipc_core::explain::explain(&event);
        let mark = |m: ipc_core::explain::Mark| {
            use ipc_core::explain::Mark;
            match m {
                Mark::Passed => PathMark::Passed,
                Mark::Taken => PathMark::Taken,
                Mark::Skipped => PathMark::Skipped,
                Mark::Refused => PathMark::Refused,
                Mark::NotReached => PathMark::NotReached,
                Mark::Unknown => PathMark::Unknown,
            }
        };
        Some(Explanation {
            seq: x.seq,
            call: x.call,
            narration: x.narration,
            path: x.path.into_iter().map(|l| PathLine { depth: l.depth, code: l.code, mark: mark(l.mark) }).collect(),
        })
    }

    fn deadlock(k: system::KernelBorrow<'_>) -> Option<Vec<WaitFor>> {
        let k: &KernelRes = k.get();
        let graph = k.k.borrow().deadlock()?;
        Some(
            graph
                .into_iter()
                .map(|w| WaitFor { tid: w.tid, pid: w.pid, reason: w.reason, holders: w.holders })
                .collect(),
        )
    }
}
