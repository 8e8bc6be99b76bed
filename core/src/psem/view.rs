//! # What a viewer sees of the POSIX semaphores
//!
//! The name list (`ksem_head`, newest first), every semaphore — its value,
//! its state (named, anonymous, or unlinked but still open), `ks_ref`, the
//! parked waiters with their reasons, which processes hold references and
//! its hash bucket — and each process's reference list (`ksem_proc`,
//! newest first, duplicates and all).  Derived on demand.

use super::{KSEM_HASH_SIZE, Origin, PsemHost, SemId, name_text};
use crate::cred::{Gid, Pid, Uid};
use crate::inspect::WaiterView;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

/// Whether a semaphore has a name, never had one, or lost it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PsemState {
    /// Made by `sem_open`, name in the name list.
    Named,
    /// Made by `sem_init`.
    Anonymous { pshared: bool },
    /// Made by `sem_open`, name removed by `sem_unlink`, still referenced.
    Unlinked,
}

/// References one process holds to one semaphore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderView {
    pub pid: Pid,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsemView {
    pub id: SemId,
    /// The name it was opened with (escaped), for named and unlinked ones.
    pub name: Option<String>,
    pub state: PsemState,
    pub mode: u32,
    pub uid: Uid,
    pub gid: Gid,
    pub value: u32,
    /// `ks_ref`: process references plus waiters.
    pub refs: u32,
    pub waiters: Vec<WaiterView>,
    pub holders: Vec<HolderView>,
    /// Its chain of the id hash table (`id % 13`).
    pub bucket: u32,
}

/// One process's reference list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsemProcView {
    pub pid: Pid,
    pub refs: Vec<SemId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsemTableView {
    /// The name list: (name, id), newest first.
    pub names: Vec<(String, SemId)>,
    /// Every semaphore, by id.
    pub sems: Vec<PsemView>,
    /// Every process holding references, by pid.
    pub procs: Vec<PsemProcView>,
    /// The id hash table: each bucket's chain, newest first.
    pub buckets: Vec<Vec<SemId>>,
    /// `ksem_counter`: the last id assigned.
    pub counter: u32,
    pub max_sems: u32,
    pub value_max: u32,
}

impl<F: PsemHost> Kernel<F> {
    /// Everything of the POSIX semaphore facility, for viewers.
    pub fn psem_view(&self) -> PsemTableView {
        let ps = self.fac.psem();
        let sems: Vec<PsemView> = ps
            .all()
            .map(|ks| {
                let state = match (&ks.origin, &ks.name) {
                    (Origin::Init { pshared }, _) => PsemState::Anonymous { pshared: *pshared },
                    (Origin::Open { .. }, Some(_)) => PsemState::Named,
                    (Origin::Open { .. }, None) => PsemState::Unlinked,
                };
                let name = match &ks.origin {
                    Origin::Open { name } => Some(name_text(name)),
                    Origin::Init { .. } => None,
                };
                let holders = ps
                    .holders()
                    .filter_map(|(pid, list)| {
                        let count = list.iter().filter(|&&x| x == ks.id).count() as u32;
                        (count > 0).then_some(HolderView { pid, count })
                    })
                    .collect();
                PsemView {
                    id: ks.id,
                    name,
                    state,
                    mode: ks.mode,
                    uid: ks.uid,
                    gid: ks.gid,
                    value: ks.value,
                    refs: ks.refs,
                    waiters: ks.waiters.iter().filter_map(|w| self.waiter_view(w.tid)).collect(),
                    holders,
                    bucket: ks.id % KSEM_HASH_SIZE,
                }
            })
            .collect();
        let mut buckets = vec![Vec::new(); KSEM_HASH_SIZE as usize];
        let mut by_age: Vec<_> = ps.all().map(|ks| (ks.serial, ks.id)).collect();
        by_age.sort_unstable_by(|a, b| b.cmp(a));
        for (_, id) in by_age {
            buckets[(id % KSEM_HASH_SIZE) as usize].push(id);
        }
        PsemTableView {
            names: ps.names().filter_map(|ks| Some((name_text(ks.name.as_deref()?), ks.id))).collect(),
            sems,
            procs: ps.holders().map(|(pid, list)| PsemProcView { pid, refs: list.to_vec() }).collect(),
            buckets,
            counter: ps.counter(),
            max_sems: ps.limits().max_sems,
            value_max: ps.limits().value_max,
        }
    }
}
