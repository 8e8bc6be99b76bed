//! # What a viewer sees of the semaphore sets
//!
//! Each set as a row of semaphores (value, last pid, `semncnt`,
//! `semzcnt`), the parked callers with the whole array each waits to apply
//! and why, and every process's undo records.  Derived on demand.

use super::{SemBuf, SemHost, SemSet};
use crate::cred::Pid;
use crate::inspect::WaiterView;
use crate::kernel::Kernel;
use crate::namespace::{IpcObject, IpcPerm, IpcService};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemView {
    pub semval: u32,
    pub sempid: Pid,
    pub semncnt: u32,
    pub semzcnt: u32,
}

/// A parked semop: who, why, and the array it waits to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemWaiterView {
    pub waiter: WaiterView,
    pub sops: Vec<SemBuf>,
    /// The semaphore it is counted on.
    pub sem_num: u16,
}

/// One process's adjust-on-exit values for a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoView {
    pub pid: Pid,
    pub adjust: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemSetView {
    pub id: i32,
    pub perm: IpcPerm,
    pub removed: bool,
    pub refs: u32,
    pub otime: u64,
    pub ctime: u64,
    pub sems: Vec<SemView>,
    pub waiters: Vec<SemWaiterView>,
    pub undos: Vec<UndoView>,
}

impl<F: SemHost> Kernel<F> {
    /// The semaphore namespace (slot table, keys, ids), for viewers.
    pub fn sem_service(&self) -> &IpcService<SemSet> {
        self.fac.sem().service()
    }

    /// Every set: those in the namespace in id-list order (newest first),
    /// then removed ones kept alive by references.
    pub fn sem_set_views(&self) -> Vec<SemSetView> {
        let svc = &self.fac.sem().svc;
        let removed = svc.objects().filter(|(_, o)| !o.perm.allocated()).map(|(h, _)| h);
        svc.list()
            .into_iter()
            .chain(removed)
            .filter_map(|h| svc.object(h).map(|o| (h, o)))
            .map(|(h, o)| self.sem_set_view(h, o))
            .collect()
    }

    fn sem_set_view(&self, h: u32, o: &IpcObject<SemSet>) -> SemSetView {
        let set = &o.body;
        let sems = self.fac.sem();
        SemSetView {
            id: o.perm.id,
            perm: o.perm.stat(),
            removed: !o.perm.allocated(),
            refs: o.perm.refs,
            otime: set.otime,
            ctime: set.ctime,
            sems: set
                .sems
                .iter()
                .map(|s| SemView { semval: s.semval, sempid: s.sempid, semncnt: s.semncnt, semzcnt: s.semzcnt })
                .collect(),
            waiters: set
                .waiters
                .iter()
                .filter_map(|w| {
                    Some(SemWaiterView { waiter: self.waiter_view(w.tid)?, sops: w.sops.clone(), sem_num: w.sem_num })
                })
                .collect(),
            undos: set
                .undos
                .iter()
                .filter_map(|&pid| {
                    let adjust = sems.undo_records(pid)?.get(&h)?.clone();
                    Some(UndoView { pid, adjust })
                })
                .collect(),
        }
    }
}
