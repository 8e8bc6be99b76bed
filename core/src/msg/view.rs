//! # What a viewer sees of the message queues
//!
//! Each queue with its counters, its messages (type, size, first bytes)
//! and its parked senders and receivers with their reasons, in the order
//! `ipcs -q` would list them.  Derived on demand; holds nothing.

use super::{MsgHost, MsgQueue};
use crate::cred::Pid;
use crate::inspect::WaiterView;
use crate::kernel::Kernel;
use crate::namespace::{IpcObject, IpcPerm};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub mtype: i64,
    pub size: u64,
    /// Up to the first 32 bytes.
    pub head: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgQueueView {
    pub id: i32,
    pub perm: IpcPerm,
    pub removed: bool,
    pub refs: u32,
    pub qnum: u64,
    pub qmax: u64,
    pub cbytes: u64,
    pub qbytes: u64,
    pub lspid: Pid,
    pub lrpid: Pid,
    pub stime: u64,
    pub rtime: u64,
    pub ctime: u64,
    pub messages: Vec<MessageView>,
    pub senders: Vec<WaiterView>,
    pub receivers: Vec<WaiterView>,
}

impl<F: MsgHost> Kernel<F> {
    /// The message-queue namespace (slot table, keys, ids), for viewers.
    pub fn msg_service(&self) -> &crate::namespace::IpcService<MsgQueue> {
        self.fac.msg().service()
    }

    /// Every message queue: those in the namespace in id-list order
    /// (newest first), then removed ones kept alive by references.
    pub fn msg_queue_views(&self) -> Vec<MsgQueueView> {
        self.msg_queue_objects().map(|o| self.msg_queue_view(o)).collect()
    }

    /// The ids of [`msg_queue_views`](Self::msg_queue_views), in its order.
    pub fn msg_queue_ids(&self) -> Vec<i32> {
        self.msg_queue_objects().map(|o| o.perm.id).collect()
    }

    /// `count` of [`msg_queue_views`](Self::msg_queue_views) from position
    /// `first`, only those built.
    pub fn msg_queue_views_in(&self, first: usize, count: usize) -> Vec<MsgQueueView> {
        self.msg_queue_objects().skip(first).take(count).map(|o| self.msg_queue_view(o)).collect()
    }

    fn msg_queue_objects(&self) -> impl Iterator<Item = &IpcObject<MsgQueue>> {
        let svc = &self.fac.msg().svc;
        let removed = svc.objects().filter(|(_, o)| !o.perm.allocated()).map(|(h, _)| h);
        svc.list().into_iter().chain(removed).filter_map(move |h| svc.object(h))
    }

    fn msg_queue_view(&self, o: &IpcObject<MsgQueue>) -> MsgQueueView {
        let q = &o.body;
        MsgQueueView {
            id: o.perm.id,
            perm: o.perm.stat(),
            removed: !o.perm.allocated(),
            refs: o.perm.refs,
            qnum: q.qnum,
            qmax: q.qmax,
            cbytes: q.cbytes,
            qbytes: q.qbytes,
            lspid: q.lspid,
            lrpid: q.lrpid,
            stime: q.stime,
            rtime: q.rtime,
            ctime: q.ctime,
            messages: q
                .messages
                .iter()
                .map(|m| MessageView {
                    mtype: m.mtype,
                    size: m.data.len() as u64,
                    head: m.data.iter().take(32).copied().collect(),
                })
                .collect(),
            senders: q.senders().filter_map(|s| self.waiter_view(s.tid)).collect(),
            receivers: q.receivers().filter_map(|r| self.waiter_view(r.tid)).collect(),
        }
    }
}
