//! # What a viewer sees of shared memory
//!
//! Every segment — size, pages, `nattch`, pids, times, the seed's flags
//! (removed but still attached, RMLINGER, wired) and a bounded preview of
//! its bytes — and every process's attach map, newest first; plus the
//! tunables, `shm_nused` and `shm_committed`.  Derived on demand.

use super::{PAGE_SIZE, ShmHost, ShmLimits};
use crate::cred::Pid;
use crate::kernel::Kernel;
use crate::namespace::IpcPerm;
use serde::{Deserialize, Serialize};

/// How many bytes of a segment a view shows.
pub const PREVIEW_BYTES: u64 = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmSegView {
    pub id: i32,
    pub perm: IpcPerm,
    pub segsz: u64,
    pub pages: u64,
    /// Pages written so far (the rest read as zeros).
    pub resident: u64,
    pub nattch: u32,
    pub cpid: Pid,
    pub lpid: Pid,
    pub atime: u64,
    pub dtime: u64,
    pub ctime: u64,
    /// Removed (IPC_RMID) but still attached: freed at the last detach.
    pub removed: bool,
    pub rmlinger: bool,
    pub locked: bool,
    pub refs: u32,
    /// The first bytes (at most [`PREVIEW_BYTES`]).
    pub preview: Vec<u8>,
}

/// One attachment of a process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachView {
    pub va: u64,
    pub len: u64,
    pub shmid: i32,
    pub rdonly: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmMapView {
    pub pid: Pid,
    /// Newest first.
    pub attaches: Vec<AttachView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmTableView {
    /// In the namespace in id-list order (newest first), then removed ones.
    pub segments: Vec<ShmSegView>,
    pub maps: Vec<ShmMapView>,
    pub limits: ShmLimits,
    pub nused: u32,
    pub committed: u64,
    pub page_size: u64,
}

impl ShmTableView {
    /// Segment `id`, if it exists.
    pub fn segment(&self, id: i32) -> Option<&ShmSegView> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// The attachments of process `pid`, newest first.
    pub fn map_of(&self, pid: Pid) -> &[AttachView] {
        self.maps.iter().find(|m| m.pid == pid).map_or(&[], |m| m.attaches.as_slice())
    }

    /// Every (pid, attachment) of segment `id`.
    pub fn attachments_of(&self, id: i32) -> Vec<(Pid, &AttachView)> {
        self.maps
            .iter()
            .flat_map(|m| m.attaches.iter().filter(move |a| a.shmid == id).map(move |a| (m.pid, a)))
            .collect()
    }
}

impl<F: ShmHost> Kernel<F> {
    /// Everything of the shared-memory facility, for viewers.
    pub fn shm_view(&self) -> ShmTableView {
        let shms = self.fac.shm();
        let svc = shms.service();
        let removed = svc.objects().filter(|(_, o)| !o.perm.allocated()).map(|(h, _)| h);
        let segments = svc
            .list()
            .into_iter()
            .chain(removed)
            .filter_map(|h| svc.object(h))
            .map(|o| {
                let s = &o.body;
                let mut preview = vec![0; (s.pages * PAGE_SIZE).min(PREVIEW_BYTES) as usize];
                s.mem.read(0, &mut preview);
                ShmSegView {
                    id: o.perm.id,
                    perm: o.perm.stat(),
                    segsz: s.segsz,
                    pages: s.pages,
                    resident: s.mem.resident() as u64,
                    nattch: s.nattch,
                    cpid: s.cpid,
                    lpid: s.lpid,
                    atime: s.atime,
                    dtime: s.dtime,
                    ctime: s.ctime,
                    removed: s.removed,
                    rmlinger: s.rmlinger,
                    locked: s.wired,
                    refs: o.perm.refs,
                    preview,
                }
            })
            .collect();
        let maps = shms
            .maps()
            .map(|(pid, m)| ShmMapView {
                pid,
                attaches: m
                    .iter()
                    .map(|a| AttachView { va: a.va, len: a.len, shmid: a.shmid, rdonly: a.rdonly })
                    .collect(),
            })
            .collect();
        ShmTableView {
            segments,
            maps,
            limits: *shms.limits(),
            nused: shms.nused(),
            committed: shms.committed(),
            page_size: PAGE_SIZE,
        }
    }
}
