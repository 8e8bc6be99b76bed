//! # Views for viewers and tools
//!
//! Plain-data pictures of the kernel's state, shaped for drawing: the slot
//! table of a namespace, its AVL tree of keys laid out with child indices,
//! its id list, each message queue with its messages and parked threads,
//! and every process and thread with its state.  They are derived from the
//! kernel on demand and hold nothing of their own; the playground and the
//! component's `inspect` interface are built on them.
//!
//! [`scene`] cuts them to what one screen shows: a page of each long list
//! and an overview of a large tree, so that a viewer's cost follows the
//! screen, not the number of objects.  [`log`] puts events into words and
//! sorts their steps by what they touched.

pub mod log;
pub mod scene;

use crate::cred::{Pid, ProjId, Tid, ZoneId};
use crate::errno::Errno;
use crate::event::Named;
use crate::kernel::proc::ThreadState;
use crate::kernel::{Facilities, Kernel};
use crate::namespace::{Facility, IpcService};
use serde::{Deserialize, Serialize};

/// One slot of a namespace's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub index: u32,
    pub seq: u32,
    /// The id an object in this slot has (or would get next).
    pub id: i32,
    /// The occupant's key, if the slot is occupied.
    pub occupant: Option<i32>,
}

/// One node of the AVL tree of keys, in pre-order with child positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyNodeView {
    pub key: i32,
    pub zone: ZoneId,
    pub id: i32,
    pub height: u32,
    pub balance: i32,
    pub left: Option<u32>,
    pub right: Option<u32>,
}

/// A namespace as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceView {
    pub facility: Facility,
    pub seq_bits: u32,
    pub table_max: u32,
    pub slots: Vec<SlotView>,
    pub keys: Vec<KeyNodeView>,
    /// All ids, newest first.
    pub ids: Vec<i32>,
    /// Removed objects still alive because references remain: (id, refs).
    pub removed: Vec<(i32, u32)>,
}

/// A parked thread as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiterView {
    pub tid: Tid,
    pub pid: Pid,
    pub reason: String,
    pub since: u64,
    pub deadline: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadStateView {
    Runnable,
    Blocked {
        reason: String,
        since: u64,
        deadline: Option<u64>,
    },
    /// A parked call completed; the result waits to be taken.
    Finished {
        call: String,
        errno: Option<Errno>,
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadView {
    pub tid: Tid,
    pub state: ThreadStateView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView {
    pub pid: Pid,
    pub ppid: Pid,
    pub ruid: u32,
    pub euid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub groups: Vec<u32>,
    pub privileged: bool,
    pub zone: ZoneId,
    pub project: ProjId,
    pub threads: Vec<ThreadView>,
}

/// The picture of one namespace.
pub fn namespace_view<T>(svc: &IpcService<T>) -> NamespaceView {
    let space = svc.space();
    let slots = svc
        .table()
        .iter()
        .enumerate()
        .map(|(i, s)| SlotView {
            index: i as u32,
            seq: s.seq,
            id: ((s.seq << space.seq_shift()) | i as u32) as i32,
            occupant: s.data.and_then(|h| svc.object(h)).map(|o| o.perm.key),
        })
        .collect();
    let keys = svc
        .keys()
        .nodes()
        .into_iter()
        .map(|n| KeyNodeView {
            key: n.key.0,
            zone: n.key.1,
            id: svc.object(n.value).map_or(-1, |o| o.perm.id),
            height: n.height,
            balance: n.balance,
            left: n.left.map(|i| i as u32),
            right: n.right.map(|i| i as u32),
        })
        .collect();
    let ids = svc.list().into_iter().filter_map(|h| svc.object(h)).map(|o| o.perm.id).collect();
    let removed = svc.objects().filter(|(_, o)| !o.perm.allocated()).map(|(_, o)| (o.perm.id, o.perm.refs)).collect();
    NamespaceView {
        facility: svc.facility(),
        seq_bits: space.seq_bits,
        table_max: space.ids_max(),
        slots,
        keys,
        ids,
        removed,
    }
}

impl<F: Facilities> Kernel<F> {
    /// A parked thread as a facility's waiter list shows it.
    pub fn waiter_view(&self, tid: Tid) -> Option<WaiterView> {
        let t = self.thread(tid)?;
        match &t.state {
            ThreadState::Blocked(w) => {
                Some(WaiterView { tid, pid: t.pid, reason: w.chan.to_string(), since: w.since, deadline: w.deadline })
            }
            _ => None,
        }
    }

    /// Every process with its threads.
    pub fn process_views(&self) -> Vec<ProcessView> {
        self.processes()
            .map(|p| ProcessView {
                pid: p.pid,
                ppid: p.ppid,
                ruid: p.cred.ruid,
                euid: p.cred.euid,
                rgid: p.cred.rgid,
                egid: p.cred.egid,
                groups: p.cred.groups.clone(),
                privileged: p.cred.privileged,
                zone: p.zone,
                project: p.project,
                threads: p
                    .threads
                    .iter()
                    .filter_map(|&tid| self.thread(tid))
                    .map(|t| ThreadView {
                        tid: t.tid,
                        state: match &t.state {
                            ThreadState::Runnable => ThreadStateView::Runnable,
                            ThreadState::Blocked(w) => ThreadStateView::Blocked {
                                reason: w.chan.to_string(),
                                since: w.since,
                                deadline: w.deadline,
                            },
                            ThreadState::Finished(c) => ThreadStateView::Finished {
                                call: c.chan.name().to_string(),
                                errno: c.result.as_ref().err().copied(),
                                summary: match &c.result {
                                    Ok(r) => F::value_of(r).to_string(),
                                    Err(e) => e.to_string(),
                                },
                            },
                        },
                    })
                    .collect(),
            })
            .collect()
    }
}
