//! The kernel state as the bridge reports it.
//!
//! It is ipc-core's own view types, deserialized as the kernel wrote them:
//! the [`Scene`] (`inspect.scene`: the namespaces, the message queues, the
//! semaphore sets, shared memory, the POSIX semaphores, event ports, pipes
//! and fd tables, the processes, the deadlock and the newest events, in
//! words with their steps sorted — cut to one screen) and the explanation;
//! plus the session's timeline (`ipclab-session`).  Nothing here re-describes a kernel
//! structure: the helpers below only look things up in the scene.

use ipc_core::fd::FileKind as FdKind;
use ipc_core::inspect::log::{EventView, StepKind, StepView};
use ipc_core::inspect::scene::{NamespaceScene, Scene};
use ipc_core::inspect::{KeyNodeView, ProcessView};
use ipc_core::msg::view::MsgQueueView;
use ipc_core::namespace::Facility;
use ipc_core::port::view::{FdView, PortView};
use serde::Deserialize;

/// A 64-bit count or time, for display.
pub type Big = f64;

/// Everything the views show, from one `state()` call.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KernelState {
    /// Logical time in nanoseconds.
    pub now: Big,
    /// The three System V namespaces (slot table, ids, AVL tree) and the
    /// message queues: ipc-core's own scene types, cut by the kernel to
    /// one screen (`inspect.scene`).
    pub scene: Scene,
    /// The shown step explained (`inspect.explain`): the core's own type.
    pub explanation: Option<ipc_core::explain::Explanation>,
    /// How many steps Step back can go back.
    pub history: u32,
    /// The operation log and the step shown.
    pub timeline: Timeline,
    /// The namespace as it was one step back, when the shown step rotated
    /// its AVL tree (and the tree is small enough to draw whole).
    pub before: Option<Before>,
    /// Process names the session gives (a recorded run's guests), by pid.
    pub names: std::collections::BTreeMap<u32, String>,
}

/// The AVL tree of a namespace as it was before the shown step (the bridge's `before`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Before {
    pub facility: String,
    pub keys: Vec<KeyNodeView>,
}

/// The session's operation log and the step shown: `ipclab-session`'s own
/// view (one type for the timeline, wherever it is drawn).
pub use ipclab_session::timeline::{BranchView as Branch, TimelineView as Timeline};

/// What one `shm-store` step says: `len` bytes stored into `shmid` at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmStore {
    pub shmid: i32,
    pub offset: u64,
    pub len: u64,
}

impl KernelState {
    /// The newest event, if any.
    pub fn last_event(&self) -> Option<&EventView> {
        self.scene.events.rows.last()
    }

    /// The thread the newest event parked, if it parked one.
    pub fn parked_now(&self) -> Option<u32> {
        self.last_event().and_then(|e| e.parked())
    }

    /// The newest event's steps (none before the first event).
    pub fn last_steps(&self) -> &[StepView] {
        self.last_event().map_or(&[], |e| e.steps.as_slice())
    }

    /// The namespace named `shown` ("msg", "sem" or "shm"), with what the
    /// newest event touched there.
    pub fn ns(&self, shown: &str) -> &NamespaceScene {
        self.scene.namespace(facility_of(shown))
    }

    /// The bytes the newest event stored (its `shm-store` steps).
    pub fn shm_stores(&self) -> Vec<ShmStore> {
        self.last_steps()
            .iter()
            .filter(|s| s.kind == StepKind::ShmStore)
            .filter_map(|s| {
                let (offset, len) = s.stored?;
                Some(ShmStore { shmid: s.id?, offset, len })
            })
            .collect()
    }

    /// POSIX semaphore ids named by the newest event's steps.
    pub fn touched_psem_ids(&self) -> Vec<u32> {
        self.last_steps().iter().filter_map(|s| s.psem).collect()
    }

    pub fn process(&self, pid: u32) -> Option<&ProcessView> {
        self.scene.processes.iter().find(|p| p.pid == pid)
    }

    /// Process `pid` as the page names it: "ping (pid 1)" where the
    /// session names it (a recorded run's guest), else "pid 1".
    pub fn who(&self, pid: u32) -> String {
        match self.names.get(&pid) {
            Some(name) => format!("{name} (pid {pid})"),
            None => format!("pid {pid}"),
        }
    }

    /// The process owning thread `tid`.
    pub fn process_of(&self, tid: u32) -> Option<&ProcessView> {
        self.scene.processes.iter().find(|p| p.threads.iter().any(|t| t.tid == tid))
    }

    /// Every thread that can make a call, as (pid, tid).
    pub fn threads(&self) -> Vec<(u32, u32)> {
        self.scene.processes.iter().flat_map(|p| p.threads.iter().map(move |t| (p.pid, t.tid))).collect()
    }

    /// Queue `id`, if it is on the page of queues the scene holds.
    pub fn queue(&self, id: i32) -> Option<&MsgQueueView> {
        self.scene.queues.rows.iter().find(|q| q.id == id)
    }

    /// The open fds of process `pid`, lowest first.
    pub fn fds_of(&self, pid: u32) -> &[FdView] {
        self.scene.fd_tables.iter().find(|t| t.pid == pid).map_or(&[], |t| t.fds.as_slice())
    }

    /// What fd `fd` of process `pid` refers to.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&FdView> {
        self.fds_of(pid).iter().find(|f| f.fd == fd)
    }

    /// Every (pid, fd) referring to a file of this kind.
    pub fn fds_to(&self, kind: FdKind) -> Vec<(u32, i32)> {
        self.scene
            .fd_tables
            .iter()
            .flat_map(|t| t.fds.iter().filter(move |f| f.kind == kind).map(move |f| (t.pid, f.fd)))
            .collect()
    }

    pub fn port(&self, id: u32) -> Option<&PortView> {
        self.scene.ports.iter().find(|p| p.id == id)
    }
}

/// The System V facility a namespace name ("msg", "sem" or "shm") names;
/// the msg namespace for any other.
pub fn facility_of(name: &str) -> Facility {
    match name {
        "sem" => Facility::Sem,
        "shm" => Facility::Shm,
        _ => Facility::Msg,
    }
}

/// A key the way `ipcs` prints it: hex, with IPC_PRIVATE named.
pub fn key_hex(key: i32) -> String {
    if key == 0 { "IPC_PRIVATE".to_string() } else { format!("0x{:08x}", key as u32) }
}

/// An id in hex and decimal.
pub fn id_both(id: i32) -> String {
    format!("0x{:x} ({id})", id as u32)
}

/// Nanoseconds in the shortest readable unit.
pub fn ns(t: Big) -> String {
    if t >= 1e9 && t % 1e6 == 0.0 {
        format!("{} s", t / 1e9)
    } else if t >= 1e6 && t % 1e3 == 0.0 {
        format!("{} ms", t / 1e6)
    } else {
        format!("{t} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_core::inspect::scene::Window;
    use ipc_core::{Config, Credentials, Kernel};

    /// The page's state for a kernel: its scene, as the bridge sends it.
    fn state_of(k: &Kernel) -> KernelState {
        KernelState { scene: k.scene(&Window::default()), ..KernelState::default() }
    }

    #[test]
    fn the_newest_events_steps_say_what_they_touched() {
        let mut k = Kernel::new(Config::default()).expect("kernel");
        let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
        let shmid = k.shmget(t, 0, 8192, 0o1600).expect("shmget");
        let addr = k.shmat(t, shmid, 0, 0).expect("shmat");
        k.shm_write(t, addr + 4090, b"hello").expect("store");
        let s = state_of(&k);
        assert_eq!(s.shm_stores(), vec![ShmStore { shmid, offset: 4090, len: 5 }]);
        assert_eq!(s.touched_psem_ids(), Vec::<u32>::new());

        let id = k.sem_init(t, 1, false).expect("sem_init");
        k.sem_post(t, id).expect("sem_post");
        let s = state_of(&k);
        assert_eq!(s.touched_psem_ids(), vec![id]);
        assert_eq!(s.shm_stores(), Vec::new());
        assert!(s.scene.sem.touched.ids.is_empty(), "a POSIX semaphore touches no System V id");
    }
}
