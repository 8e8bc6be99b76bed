//! The kernel state as the bridge reports it.
//!
//! Most of it is ipc-core's own view types, deserialized as the kernel
//! wrote them: the [`Scene`] (`inspect.scene`: the namespaces, the message
//! queues, the semaphore sets, shared memory, the POSIX semaphores, the
//! processes and the deadlock, cut to one screen) and the explanation.
//! What is still here are serde mirrors of the WIT records for the views
//! not yet in the scene — event ports, pipes, fd tables and the event log
//! (camelCase fields, `{tag, val}` variants) — and the bridge's own
//! timeline.  Unsigned 64-bit values of the mirrors arrive as JavaScript
//! numbers and are kept as `f64` so that values past 2^53 still parse; they
//! only serve for display.

use ipc_core::inspect::scene::{NamespaceScene, Scene};
use ipc_core::inspect::{KeyNodeView, ProcessView};
use ipc_core::msg::view::MsgQueueView;
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
    /// Which namespace the namespace views draw ("msg", "sem" or "shm";
    /// see [`KernelState::showing`]).
    #[serde(skip)]
    pub shown: &'static str,
    /// Event ports (`inspect.ports`).
    pub ports: Vec<PortView>,
    /// Pipes (`inspect.pipes`).
    pub pipes: Vec<PipeView>,
    /// Every process's fd table (`inspect.fd-tables`).
    pub fd_tables: Vec<FdTableView>,
    /// The shown step explained (`inspect.explain`): the core's own type.
    pub explanation: Option<ipc_core::explain::Explanation>,
    /// The newest events (at most the bridge's EVENTS_SHOWN), oldest first.
    pub events: Vec<Event>,
    /// How many events the kernel has recorded since it started.
    pub events_total: Big,
    /// How many steps Step back can go back.
    pub history: u32,
    /// The operation log and the step shown.
    pub timeline: Timeline,
    /// The namespace as it was one step back, when the shown step rotated
    /// its AVL tree (and the tree is small enough to draw whole).
    pub before: Option<Before>,
}

/// The AVL tree of a namespace as it was before the shown step (the bridge's `before`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Before {
    pub facility: String,
    pub keys: Vec<KeyNodeView>,
}

/// The session's operation log as the bridge reports it: one entry per
/// action, and which step is shown.  Steps are counted in operations: step
/// n is the state after the first n; the timeline starts at `base` (the
/// start-up spawns come before it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Timeline {
    /// The step shown.
    pub step: u32,
    /// The first step the timeline goes back to.
    pub base: u32,
    /// How many operations the log holds.
    pub length: u32,
    /// Each operation's kind, one letter each: c(all), p(ark), w(ake),
    /// e(rror), r(emoval) — see [`Timeline::kind`].
    pub kinds: String,
    /// The operations around the step shown as the bridge ran them
    /// (`msgget(1, 16, 1536)`), from operation `labels_from` on.
    pub labels_from: u32,
    pub labels: Vec<String>,
    /// The step the last action forked the timeline at.
    pub forked_at: Option<u32>,
}

impl Timeline {
    /// Operation `i`'s kind: "call", "park", "wake", "error" or "removal".
    pub fn kind(&self, i: usize) -> &'static str {
        match self.kinds.as_bytes().get(i) {
            Some(b'p') => "park",
            Some(b'w') => "wake",
            Some(b'e') => "error",
            Some(b'r') => "removal",
            _ => "call",
        }
    }

    /// Operation `i` as the bridge ran it, if it is among the labels sent.
    pub fn label(&self, i: usize) -> &str {
        i.checked_sub(self.labels_from as usize).and_then(|j| self.labels.get(j)).map_or("", String::as_str)
    }
}

/// What one `shm-store` step says: `len` bytes stored into `shmid` at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmStore {
    pub shmid: i32,
    pub offset: u64,
    pub len: u64,
}

/// Reads a `shm-store` step's words ("shm: 5 byte(s) stored into shmid
/// 0x0 at offset 0"): the id is the step's own, the length and offset are
/// in the text.
pub fn shm_store(step: &Step) -> Option<ShmStore> {
    if step.kind != "shm-store" {
        return None;
    }
    let text = step.text.strip_prefix("shm: ").unwrap_or(&step.text);
    let len = text.split_whitespace().next()?.parse().ok()?;
    let offset = text.rsplit_once("at offset ")?.1.split_whitespace().next()?.parse().ok()?;
    Some(ShmStore { shmid: step.id?, offset, len })
}

/// `port_event_t` (`port-event`): source, events, object, user value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PortEvent {
    pub source: u16,
    pub events: i32,
    pub object: Big,
    pub user: Big,
}

/// A parked `port_get` / `port_getn`, in the getter queue's order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetterView {
    pub waiter: WaiterView,
    pub max: u32,
    pub nget: u32,
}

/// A `PORT_SOURCE_FD` association.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssocView {
    pub fd: i32,
    pub owner: u32,
    /// The poll events asked for.
    pub events: u16,
    pub user: Big,
    /// Armed: fires at the next readiness (one-shot).
    pub armed: bool,
}

/// Alert mode: its event and who set it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertView {
    pub events: i32,
    pub user: Big,
    pub pid: u32,
}

/// An event port (`port-view`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PortView {
    pub id: u32,
    /// The creator's fd.
    pub fd: i32,
    pub owner: u32,
    pub ctime: Big,
    /// Oldest first.
    pub queue: Vec<PortEvent>,
    /// Event slots in use, and the limit.
    pub curr: u32,
    pub max_events: u32,
    pub alert: Option<AlertView>,
    /// Head first.
    pub getters: Vec<GetterView>,
    pub assocs: Vec<AssocView>,
}

/// A pipe (`pipe-view`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PipeView {
    pub id: u32,
    pub buffered: Vec<u8>,
    pub capacity: u32,
    pub readers: u32,
    pub writers: u32,
    /// Parked readers and writers (tids), oldest first.
    pub parked_readers: Vec<u32>,
    pub parked_writers: Vec<u32>,
}

/// What an fd refers to (`fd-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "tag", content = "val", rename_all = "kebab-case")]
pub enum FdKind {
    PipeRead(u32),
    PipeWrite(u32),
    Port(u32),
}

/// One fd of a process.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FdView {
    pub fd: i32,
    /// The open file's number.
    pub file: u32,
    pub kind: FdKind,
    /// The poll events it would report now (0 for a port).
    #[serde(default)]
    pub revents: u16,
}

/// A process's fd table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FdTableView {
    pub pid: u32,
    pub fds: Vec<FdView>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WaiterView {
    pub tid: u32,
    pub pid: u32,
    pub reason: String,
    pub since: Big,
    pub deadline: Option<Big>,
}

/// How an event ended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "tag", content = "val", rename_all = "kebab-case")]
pub enum EventOutcome {
    Ok(String),
    Failed(String),
    Blocked(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wakeup {
    pub tid: u32,
    pub pid: u32,
    pub call: String,
    pub outcome: EventOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Step {
    pub kind: String,
    pub text: String,
    pub facility: Option<String>,
    pub slot: Option<u32>,
    pub id: Option<i32>,
    pub key: Option<i32>,
    /// table-grow: the size before the table doubled.
    pub grown_from: Option<u32>,
    /// avl-insert / avl-remove: the rebalancing rotations, in order.
    pub rotations: Vec<Rotation>,
}

/// An AVL rotation at its pivot key (`left`, `right`, `left-right`, `right-left`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Rotation {
    pub kind: String,
    pub pivot: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub seq: Big,
    pub time: Big,
    #[serde(default)]
    pub pid: Option<u32>,
    #[serde(default)]
    pub tid: Option<u32>,
    pub call: String,
    #[serde(default)]
    pub args: String,
    pub outcome: EventOutcome,
    #[serde(default)]
    pub woke: Vec<Wakeup>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub text: String,
}

impl KernelState {
    /// The newest event, if any.
    pub fn last_event(&self) -> Option<&Event> {
        self.events.last()
    }

    /// This state with `facility`'s namespace ("msg", "sem" or "shm") as
    /// the one the namespace views draw.
    pub fn showing(&self, facility: &'static str) -> KernelState {
        KernelState { shown: facility, ..self.clone() }
    }

    /// The namespace the namespace views draw.
    pub fn ns(&self) -> &NamespaceScene {
        match self.shown {
            "sem" => &self.scene.sem,
            "shm" => &self.scene.shm,
            _ => &self.scene.msg,
        }
    }

    /// Slot indices touched by the newest event's steps, in the namespace drawn.
    pub fn touched_slots(&self) -> &[u32] {
        &self.ns().touched.slots
    }

    /// The first slot the newest event's table growth added (the new
    /// slots are this index and up), if the table grew.
    pub fn grown_from(&self) -> Option<u32> {
        self.ns().touched.grown_from
    }

    /// The rotations the newest event's AVL insert or remove made.
    pub fn rotations(&self) -> Vec<Rotation> {
        self.ns().touched.rotations.iter().map(|(kind, pivot)| Rotation { kind: kind.clone(), pivot: *pivot }).collect()
    }

    /// Keys touched by the newest event's steps.
    pub fn touched_keys(&self) -> &[i32] {
        &self.ns().touched.keys
    }

    /// System V ids named by the newest event's steps (POSIX semaphore
    /// ids, a numbering of their own, are left out).
    pub fn touched_ids(&self) -> Vec<i32> {
        self.last_event()
            .map(|e| e.steps.iter().filter(|s| !is_psem_step(s)).filter_map(|s| s.id).collect())
            .unwrap_or_default()
    }

    /// Shared-memory segment ids named by the newest event's steps of the
    /// shm facility (its own steps, its namespace's, its denials).
    pub fn touched_shm_ids(&self) -> Vec<i32> {
        self.last_event()
            .map(|e| e.steps.iter().filter(|s| s.facility.as_deref() == Some("shm")).filter_map(|s| s.id).collect())
            .unwrap_or_default()
    }

    /// The bytes the newest event stored (its `shm-store` steps).
    pub fn shm_stores(&self) -> Vec<ShmStore> {
        self.last_event().map(|e| e.steps.iter().filter_map(shm_store).collect()).unwrap_or_default()
    }

    /// POSIX semaphore ids named by the newest event's steps.
    pub fn touched_psem_ids(&self) -> Vec<u32> {
        self.last_event()
            .map(|e| e.steps.iter().filter(|s| is_psem_step(s)).filter_map(|s| s.id).map(|id| id as u32).collect())
            .unwrap_or_default()
    }

    pub fn process(&self, pid: u32) -> Option<&ProcessView> {
        self.scene.processes.iter().find(|p| p.pid == pid)
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
        self.fd_tables.iter().find(|t| t.pid == pid).map_or(&[], |t| t.fds.as_slice())
    }

    /// What fd `fd` of process `pid` refers to.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&FdView> {
        self.fds_of(pid).iter().find(|f| f.fd == fd)
    }

    /// Every (pid, fd) referring to a file of this kind.
    pub fn fds_to(&self, kind: FdKind) -> Vec<(u32, i32)> {
        self.fd_tables
            .iter()
            .flat_map(|t| t.fds.iter().filter(move |f| f.kind == kind).map(move |f| (t.pid, f.fd)))
            .collect()
    }

    pub fn port(&self, id: u32) -> Option<&PortView> {
        self.ports.iter().find(|p| p.id == id)
    }
}

/// A step of the POSIX semaphore facility (`psem-create`, `psem-ref`, …).
fn is_psem_step(s: &Step) -> bool {
    s.kind.starts_with("psem-")
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

    #[test]
    fn the_port_views_parse_as_the_bridge_reports_them() {
        let json = r#"{
            "ports": [{"id": 1, "fd": 0, "owner": 1, "ctime": 0,
                "queue": [{"source": 4, "events": 1, "object": 1, "user": 7}, {"source": 3, "events": 16, "object": 0, "user": 1}],
                "curr": 2, "maxEvents": 65536, "alert": {"events": 32, "user": 2, "pid": 1},
                "getters": [{"waiter": {"tid": 4, "pid": 1, "reason": "port_getn: port 1 (fd 0) has fewer than 1 event(s)",
                    "since": 0, "deadline": null}, "max": 1, "nget": 1}],
                "assocs": [{"fd": 1, "owner": 1, "events": 1, "user": 7, "armed": false}]}],
            "pipes": [{"id": 1, "buffered": [106, 111, 98], "capacity": 4096, "readers": 1, "writers": 1,
                "parkedReaders": [], "parkedWriters": [5]}],
            "fdTables": [{"pid": 1, "fds": [{"fd": 0, "file": 1, "kind": {"tag": "port", "val": 1}, "revents": 0},
                {"fd": 1, "file": 2, "kind": {"tag": "pipe-read", "val": 1}, "revents": 65},
                {"fd": 2, "file": 3, "kind": {"tag": "pipe-write", "val": 1}, "revents": 4}]}]
        }"#;
        let s: KernelState = serde_json::from_str(json).expect("parses");
        let p = s.port(1).expect("port 1");
        assert_eq!(p.queue[0].source, 4);
        assert_eq!(p.alert.as_ref().map(|a| a.pid), Some(1));
        assert_eq!(p.getters[0].waiter.tid, 4);
        assert!(!p.assocs[0].armed);
        assert_eq!(s.pipes[0].buffered, b"job");
        assert_eq!(s.pipes[0].parked_writers, vec![5]);
        assert_eq!(s.fd(1, 1).map(|f| f.kind), Some(FdKind::PipeRead(1)));
        assert_eq!(s.fds_to(FdKind::PipeWrite(1)), vec![(1, 2)]);
        assert!(s.fds_of(9).is_empty());
        // A state without them (an older bridge) still reads.
        let old: KernelState = serde_json::from_str("{}").expect("parses");
        assert!(old.ports.is_empty() && old.pipes.is_empty() && old.fd_tables.is_empty());
    }

    #[test]
    fn a_store_step_says_where_it_stored() {
        let step = |kind: &str, text: &str| Step {
            kind: kind.into(),
            text: text.into(),
            facility: Some("shm".into()),
            id: Some(3),
            ..Step::default()
        };
        assert_eq!(
            shm_store(&step("shm-store", "shm: 5 byte(s) stored into shmid 0x3 at offset 4090")),
            Some(ShmStore { shmid: 3, offset: 4090, len: 5 })
        );
        assert_eq!(shm_store(&step("shm-attach", "shm: pid 1 attached shmid 0x3 at 0x10000000 (nattch 1)")), None);
        assert_eq!(shm_store(&step("shm-store", "garbled")), None);
    }

    #[test]
    fn psem_steps_touch_psem_ids_only() {
        let step = |kind: &str, id: i32| Step { kind: kind.into(), id: Some(id), ..Step::default() };
        let event = Event {
            seq: 1.0,
            time: 0.0,
            pid: Some(1),
            tid: Some(1),
            call: "sem_post".into(),
            args: String::new(),
            outcome: EventOutcome::Ok(String::new()),
            woke: vec![],
            steps: vec![step("psem-value", 1), step("sem-apply", 7)],
            text: String::new(),
        };
        let s = KernelState { events: vec![event], ..KernelState::default() };
        assert_eq!(s.touched_psem_ids(), vec![1]);
        assert_eq!(s.touched_ids(), vec![7]);
    }
}
