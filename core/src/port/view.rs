//! # What a viewer sees of file descriptors, pipes and event ports
//!
//! Every port — its queue in order, slots in use, alert mode, the getter
//! queue in the seed's order with what each waits for, its associations —
//! every pipe with its buffer and parked readers and writers, and every
//! process's fd table.  Derived on demand.

use super::{Alert, Assoc, PortEvent, PortHost, Timer};
use crate::cred::{Pid, Tid};
use crate::fd::{Fd, FileKind};
use crate::inspect::WaiterView;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetterView {
    pub waiter: WaiterView,
    pub max: u32,
    pub nget: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortView {
    pub id: u32,
    /// The creator's fd.
    pub fd: Fd,
    pub owner: Pid,
    pub ctime: u64,
    /// The queue, oldest first.
    pub queue: Vec<PortEvent>,
    pub curr: u32,
    pub max_events: u32,
    pub alert: Option<Alert>,
    /// Parked getters, head first.
    pub getters: Vec<GetterView>,
    pub assocs: Vec<Assoc>,
    pub timers: Vec<Timer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipeView {
    pub id: u32,
    pub buffered: Vec<u8>,
    pub capacity: u32,
    pub readers: u32,
    pub writers: u32,
    pub parked_readers: Vec<Tid>,
    pub parked_writers: Vec<Tid>,
}

/// One fd of a process: what it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdView {
    pub fd: Fd,
    pub file: u32,
    pub kind: FileKind,
    /// `poll` events it would report now (0 for a port).
    pub revents: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdTableView {
    pub pid: Pid,
    pub fds: Vec<FdView>,
}

impl<F: PortHost> Kernel<F> {
    /// Every event port.
    pub fn port_views(&self) -> Vec<PortView> {
        self.fac
            .ports()
            .all()
            .map(|p| PortView {
                id: p.id,
                fd: p.fd,
                owner: p.owner,
                ctime: p.ctime,
                queue: p.queue.iter().map(|q| q.ev).collect(),
                curr: p.curr,
                max_events: p.max_events,
                alert: p.alert,
                getters: p
                    .getters
                    .iter()
                    .filter_map(|g| Some(GetterView { waiter: self.waiter_view(g.tid)?, max: g.max, nget: g.nget }))
                    .collect(),
                assocs: p.assocs.clone(),
                timers: p.timers.clone(),
            })
            .collect()
    }

    /// Every pipe.
    pub fn pipe_views(&self) -> Vec<PipeView> {
        self.fac
            .fds()
            .pipes()
            .map(|(id, p)| PipeView {
                id,
                buffered: p.buf.iter().copied().collect(),
                capacity: p.capacity,
                readers: p.readers,
                writers: p.writers,
                parked_readers: p.rwait.iter().map(|w| w.tid).collect(),
                parked_writers: p.wwait.iter().map(|w| w.tid).collect(),
            })
            .collect()
    }

    /// Every process's fd table.
    pub fn fd_table_views(&self) -> Vec<FdTableView> {
        let fds = self.fac.fds();
        fds.tables()
            .map(|(pid, t)| FdTableView {
                pid,
                fds: t
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| {
                        let f = (*f)?;
                        Some(FdView { fd: i as Fd, file: f, kind: fds.file(f)?.kind, revents: fds.revents(f) })
                    })
                    .collect(),
            })
            .collect()
    }
}
