//! # Scene: what one screen shows of the kernel
//!
//! ## Overview
//! The views of this module's parent are whole: every slot, every key,
//! every id, every queue with its messages.  At 10^4 queues that is
//! megabytes, rebuilt and shipped after every step, while a screen shows a
//! page of 128 rows of each list and an overview of the tree.  A **scene**
//! is the same view types cut to a [`Window`]: one page of each long list,
//! the AVL tree whole while it is small and as an overview beyond, so a
//! viewer's cost follows the screen, not the number of objects.  The types
//! are the parent's (and the facilities' `view` modules'); only the cut is
//! new, so a viewer keeps one definition of what it draws.
//!
//! ## Objects
//! - [`Window`]: what the viewer asks for — the page size, the page the
//!   reader chose in each list (if any), and when the tree is drawn whole.
//! - [`Page`]: one page of a list — its rows, where it starts, how long the
//!   whole list is, and the row the newest event touched (its *focus*).
//! - [`TreeScene`]: the AVL tree of keys, whole or as an overview: the
//!   drawn nodes in pre-order with child positions among them, and for
//!   each drawn node how many keys hang below it undrawn, on each side.
//! - [`NamespaceScene`] (slot table, ids, tree, removed objects) for each
//!   System V namespace, the message queues, the semaphore sets, shared
//!   memory, the POSIX semaphores, event ports, pipes and fd tables, the
//!   processes, the deadlock, if there is one, and the newest events in
//!   words with their steps sorted ([`log`](super::log)): together a
//!   [`Scene`].
//!
//! ## Operations
//! [`Kernel::scene`] builds a scene from the kernel and the newest event:
//! 1. what the newest event touched, per namespace ([`touched`]): the slots
//!    and ids its steps name, the keys it looked up, inserted or removed,
//!    and its rotations' pivots — as [`log`](super::log) sorted its steps;
//! 2. each list's page: the reader's choice while the list's focus is the
//!    row it was when they chose; otherwise the page holding the focus
//!    (the first page when the event touched nothing there) — a step that
//!    touches another row brings it into view;
//! 3. the tree: whole up to `tree_whole_max` keys; beyond, the top
//!    `tree_levels` + 1 levels and every node on the way to a touched key
//!    or a pivot;
//! 4. the newest `events` of the log (at most 4096).
//!
//! ## Invariants ([`Scene::check`])
//! A page holds at most `page_size` rows, starts on a page boundary inside
//! the list, and its focus is inside the list.  A tree's drawn nodes are
//! closed upwards (a drawn node's parent is drawn), their children point
//! among them, and drawn nodes plus the keys counted below them are all
//! the keys.  The events are at most the window's, in log order.
//!
//! ## Departures
//! None from the kernel: a scene is a picture and changes nothing.

use super::log::{EventView, NewestEvents, OutcomeView};
use super::{KeyNodeView, NamespaceView, ProcessView, SlotView};
use crate::hooks::Ipc;
use crate::kernel::{Kernel, WaitFor};
use crate::msg::view::MsgQueueView;
use crate::namespace::{Facility, slot_of};
use crate::port::view::{FdTableView, PipeView, PortView};
use crate::psem::view::PsemTableView;
use crate::sem::view::SemSetView;
use crate::shm::view::ShmTableView;
use serde::{Deserialize, Serialize};

/// Rows per page unless the window says otherwise.
pub const PAGE_SIZE: u32 = 128;
/// Trees up to this many keys are drawn whole.
pub const TREE_WHOLE_MAX: u32 = 255;
/// The levels below the root an overview draws (0 = the root only).
pub const TREE_LEVELS: u32 = 6;
/// No page is larger than this, whatever a window asks.
const PAGE_MAX: u32 = 4096;
/// The newest events sent unless the window says otherwise...
pub const EVENTS: u32 = 60;
/// ...and at most, whatever it asks.
const EVENTS_MAX: u32 = 4096;

/// A page the reader chose, and the list's focus when they chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    pub page: u32,
    pub focus: Option<u32>,
}

/// What a viewer asks to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Window {
    /// Rows per page (1 to 4096; 0 is taken as 1).
    pub page_size: u32,
    /// The page chosen in the shown namespace's slot table, id list, and
    /// in the message queues (`None`: follow the focus).
    pub slots: Option<Chosen>,
    pub ids: Option<Chosen>,
    pub queues: Option<Chosen>,
    /// The namespace the chosen slot and id pages belong to (the others
    /// follow their focus).
    pub facility: Facility,
    /// Trees up to this many keys are drawn whole.
    pub tree_whole_max: u32,
    /// Levels below the root an overview draws.
    pub tree_levels: u32,
    /// How many of the newest events to send (at most 4096).
    pub events: u32,
}

impl Window {
    /// Rows per page as the scene cuts them: `page_size` within 1 to 4096.
    pub fn rows(&self) -> usize {
        self.page_size.clamp(1, PAGE_MAX) as usize
    }
}

impl Default for Window {
    fn default() -> Self {
        Window {
            page_size: PAGE_SIZE,
            slots: None,
            ids: None,
            queues: None,
            facility: Facility::Msg,
            tree_whole_max: TREE_WHOLE_MAX,
            tree_levels: TREE_LEVELS,
            events: EVENTS,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// How many rows the whole list has.
    pub total: u32,
    /// The position of the page's first row in the whole list.
    pub first: u32,
    pub rows: Vec<T>,
    /// The position of the row the newest event touched, if it touched one.
    pub focus: Option<u32>,
}

/// The AVL tree of keys as drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeScene {
    /// Keys in the whole tree.
    pub total: u32,
    /// True when some keys are not drawn.
    pub overview: bool,
    /// The drawn nodes in pre-order; `left`/`right` are positions in this
    /// list (`None` for no child, or a child not drawn).
    pub nodes: Vec<KeyNodeView>,
    /// For each drawn node, the keys under its left and its right child
    /// that are not drawn.
    pub below: Vec<(u32, u32)>,
}

/// One System V namespace as drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceScene {
    pub facility: Facility,
    pub seq_bits: u32,
    pub table_max: u32,
    pub slots: Page<SlotView>,
    /// Ids, newest first.
    pub ids: Page<i32>,
    pub tree: TreeScene,
    /// Removed objects still alive because references remain: (id, refs).
    pub removed: Vec<(i32, u32)>,
    /// What the newest event touched here.
    pub touched: Touched,
}

/// What one screen shows of the System V namespaces and the queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scene {
    pub msg: NamespaceScene,
    pub sem: NamespaceScene,
    pub shm: NamespaceScene,
    /// The message queues (in the msg namespace's id order, newest first,
    /// then removed ones still referenced).
    pub queues: Page<MsgQueueView>,
    /// Every semaphore set, with its values, parked callers and undo records.
    pub sem_sets: Vec<SemSetView>,
    /// The POSIX semaphores: the name list, every semaphore, every
    /// process's reference list.
    pub psem: PsemTableView,
    /// Shared memory: every segment, every process's attach map, the limits.
    pub shm_table: ShmTableView,
    /// Event ports: queue, getter queue, alert, associations, timers.
    pub ports: Vec<PortView>,
    /// Pipes: buffer, ends, parked readers and writers.
    pub pipes: Vec<PipeView>,
    /// Every process's fd table.
    pub fd_tables: Vec<FdTableView>,
    /// Every process with its threads and their states.
    pub processes: Vec<ProcessView>,
    /// The deadlock's wait-for graph, if every thread waits and nothing the
    /// kernel does by itself can wake one.
    pub deadlock: Option<Vec<WaitFor>>,
    /// The newest events, in words and sorted (the window's `events`).
    pub events: NewestEvents,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page { total: 0, first: 0, rows: Vec::new(), focus: None }
    }
}

impl NamespaceScene {
    /// A namespace with nothing in it (what a viewer holds before its first scene).
    pub fn empty(facility: Facility) -> Self {
        NamespaceScene {
            facility,
            seq_bits: 0,
            table_max: 0,
            slots: Page::default(),
            ids: Page::default(),
            tree: TreeScene { total: 0, overview: false, nodes: Vec::new(), below: Vec::new() },
            removed: Vec::new(),
            touched: Touched::default(),
        }
    }
}

impl Default for Scene {
    fn default() -> Self {
        Scene {
            msg: NamespaceScene::empty(Facility::Msg),
            sem: NamespaceScene::empty(Facility::Sem),
            shm: NamespaceScene::empty(Facility::Shm),
            queues: Page::default(),
            sem_sets: Vec::new(),
            psem: PsemTableView {
                names: Vec::new(),
                sems: Vec::new(),
                procs: Vec::new(),
                buckets: Vec::new(),
                counter: 0,
                max_sems: 0,
                value_max: 0,
            },
            shm_table: ShmTableView::default(),
            ports: Vec::new(),
            pipes: Vec::new(),
            fd_tables: Vec::new(),
            processes: Vec::new(),
            deadlock: None,
            events: NewestEvents::default(),
        }
    }
}

impl Scene {
    /// The scene of one namespace.
    pub fn namespace(&self, f: Facility) -> &NamespaceScene {
        match f {
            Facility::Msg => &self.msg,
            Facility::Sem => &self.sem,
            Facility::Shm => &self.shm,
        }
    }
}

/// What the newest event touched in one namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touched {
    /// Slot indices its steps name.
    pub slots: Vec<u32>,
    /// Ids its steps name (the namespace's and the facility's own steps).
    pub ids: Vec<i32>,
    /// Keys it looked up, inserted or removed.
    pub keys: Vec<i32>,
    /// Its AVL rotations, in order: (kind in words, pivot key).
    pub rotations: Vec<(String, i32)>,
    /// The size of the table before it doubled, if it did.
    pub grown_from: Option<u32>,
}

/// What `event` touched in `facility`'s namespace: the slots, ids, keys,
/// rotations and table growth its sorted steps name there; and when the
/// call was refused or parked, the object it named by id and the slot that
/// id maps to in a table of `table_len` slots (a stale id's slot too: the
/// one the kernel looked in).
pub fn touched(event: Option<&EventView>, facility: Facility, table_len: usize) -> Touched {
    let mut t = Touched::default();
    let Some(e) = event else { return t };
    for s in e.steps.iter().filter(|s| s.facility == Some(facility)) {
        t.slots.extend(s.slot);
        t.ids.extend(s.id);
        t.keys.extend(s.key);
        t.rotations.extend(s.rotations.iter().map(|(kind, pivot)| (kind.to_string(), *pivot)));
        if s.grown_from.is_some() {
            t.grown_from = s.grown_from;
        }
    }
    let ended_early = matches!(e.outcome, OutcomeView::Failed(_) | OutcomeView::Blocked(_));
    if let Some((f, id)) = e.object
        && f == facility
        && ended_early
    {
        if !t.ids.contains(&id) {
            t.ids.push(id);
        }
        if table_len.is_power_of_two() {
            let slot = slot_of(id, table_len) as u32;
            if !t.slots.contains(&slot) {
                t.slots.push(slot);
            }
        }
    }
    t
}

/// The first row of the page to show of `total` rows (see the module's
/// operation 2).
fn page_start(total: usize, focus: Option<usize>, chosen: Option<Chosen>, size: usize) -> usize {
    let pages = total.div_ceil(size).max(1);
    let page = match chosen {
        Some(c) if c.focus.map(|f| f as usize) == focus => c.page as usize,
        _ => focus.map_or(0, |f| f / size),
    };
    page.min(pages - 1) * size
}

/// The page of `all` to show.
fn cut<T>(all: Vec<T>, focus: Option<usize>, chosen: Option<Chosen>, size: usize) -> Page<T> {
    let total = all.len();
    let first = page_start(total, focus, chosen, size);
    Page {
        total: total as u32,
        first: first as u32,
        rows: all.into_iter().skip(first).take(size).collect(),
        focus: focus.map(|f| f as u32),
    }
}

/// The tree whole, or its overview: the top levels and the way down to
/// the `marked` keys.
fn tree_scene(keys: Vec<KeyNodeView>, marked: &[i32], w: &Window) -> TreeScene {
    let total = keys.len();
    if total <= w.tree_whole_max as usize {
        return TreeScene { total: total as u32, overview: false, below: vec![(0, 0); total], nodes: keys };
    }
    // Depth-first from the root, keeping the path: a node is drawn at a
    // shallow depth, or when it or a node below it is marked.  Subtree
    // sizes come out of the same walk.  (An AVL tree of 2^32 keys is 46
    // levels deep: the guard only stops a malformed picture.)
    struct Walk<'a> {
        keys: &'a [KeyNodeView],
        marked: &'a [i32],
        levels: u32,
        shown: Vec<bool>,
        size: Vec<u32>,
        path: Vec<usize>,
    }
    fn walk(w: &mut Walk<'_>, i: usize, depth: u32) -> u32 {
        if i >= w.keys.len() || w.path.len() > 64 {
            return 0;
        }
        w.path.push(i);
        if depth <= w.levels {
            w.shown[i] = true;
        }
        if w.marked.contains(&w.keys[i].key) {
            for &p in &w.path {
                w.shown[p] = true;
            }
        }
        let (l, r) = (w.keys[i].left, w.keys[i].right);
        let n = 1 + [l, r].into_iter().flatten().map(|c| walk(w, c as usize, depth + 1)).sum::<u32>();
        w.size[i] = n;
        w.path.pop();
        n
    }
    let mut wk = Walk {
        keys: &keys,
        marked,
        levels: w.tree_levels,
        shown: vec![false; total],
        size: vec![0; total],
        path: Vec::new(),
    };
    walk(&mut wk, 0, 0);
    let (shown, size) = (wk.shown, wk.size);
    // Pre-order is kept by filtering; children are renumbered among the drawn.
    let mut at = vec![None; total];
    let mut n = 0u32;
    for (i, s) in shown.iter().enumerate() {
        if *s {
            at[i] = Some(n);
            n += 1;
        }
    }
    let side = |c: Option<u32>| -> (Option<u32>, u32) {
        match c {
            Some(c) if (c as usize) < total => match at[c as usize] {
                Some(p) => (Some(p), 0),
                None => (None, size[c as usize]),
            },
            _ => (None, 0),
        }
    };
    let mut nodes = Vec::with_capacity(n as usize);
    let mut below = Vec::with_capacity(n as usize);
    for (i, k) in keys.into_iter().enumerate() {
        if shown[i] {
            let ((left, hl), (right, hr)) = (side(k.left), side(k.right));
            nodes.push(KeyNodeView { left, right, ..k });
            below.push((hl, hr));
        }
    }
    TreeScene { total: total as u32, overview: nodes.len() < total, nodes, below }
}

fn namespace_scene(v: NamespaceView, touched: Touched, w: &Window) -> NamespaceScene {
    let size = w.rows();
    let mine = w.facility == v.facility;
    let slot_focus = touched.slots.first().map(|&s| s as usize).filter(|&s| s < v.slots.len());
    let id_focus = v.ids.iter().position(|id| touched.ids.contains(id));
    let marked: Vec<i32> = touched.keys.iter().copied().chain(touched.rotations.iter().map(|r| r.1)).collect();
    NamespaceScene {
        facility: v.facility,
        seq_bits: v.seq_bits,
        table_max: v.table_max,
        slots: cut(v.slots, slot_focus, w.slots.filter(|_| mine), size),
        ids: cut(v.ids, id_focus, w.ids.filter(|_| mine), size),
        tree: tree_scene(v.keys, &marked, w),
        removed: v.removed,
        touched,
    }
}

impl Kernel<Ipc> {
    /// What one screen shows: the System V namespaces and the message
    /// queues cut to `w` (see the module's operations).
    pub fn scene(&self, w: &Window) -> Scene {
        let last = self.last_event().map(|e| EventView::of(&e));
        let ns = |f: Facility| {
            let v = self.namespace_view(f);
            let t = touched(last.as_ref(), f, v.slots.len());
            namespace_scene(v, t, w)
        };
        let msg = ns(Facility::Msg);
        let size = w.rows();
        let ids = self.msg_queue_ids();
        let focus = ids.iter().position(|id| msg.touched.ids.contains(id));
        let first = page_start(ids.len(), focus, w.queues, size);
        let queues = Page {
            total: ids.len() as u32,
            first: first as u32,
            rows: self.msg_queue_views_in(first, size),
            focus: focus.map(|f| f as u32),
        };
        Scene {
            msg,
            sem: ns(Facility::Sem),
            shm: ns(Facility::Shm),
            queues,
            sem_sets: self.sem_set_views(),
            psem: self.psem_view(),
            shm_table: self.shm_view(),
            ports: self.port_views(),
            pipes: self.pipe_views(),
            fd_tables: self.fd_table_views(),
            processes: self.process_views(),
            deadlock: self.deadlock(),
            events: self.newest_events(w.events.min(EVENTS_MAX)),
        }
    }
}

impl<T> Page<T> {
    fn check(&self, what: &str, size: usize) -> Result<(), String> {
        let ok = self.rows.len() <= size
            && (self.first as usize).is_multiple_of(size)
            && (self.first < self.total.max(1))
            && self.first as usize + self.rows.len() <= self.total as usize
            && (self.rows.len() == size || self.first as usize + self.rows.len() == self.total as usize)
            && self.focus.is_none_or(|f| f < self.total);
        if ok {
            Ok(())
        } else {
            Err(format!("{what}: page {}+{} of {} is not a page", self.first, self.rows.len(), self.total))
        }
    }
}

impl TreeScene {
    fn check(&self) -> Result<(), String> {
        let n = self.nodes.len();
        if self.below.len() != n {
            return Err("tree: one below count per drawn node".into());
        }
        let mut parent = vec![None; n];
        for (i, k) in self.nodes.iter().enumerate() {
            for c in [k.left, k.right].into_iter().flatten() {
                let c = c as usize;
                // Pre-order: a child comes after its parent.
                if c >= n || c <= i || parent[c].is_some() {
                    return Err(format!("tree: node {i} has a bad child {c}"));
                }
                parent[c] = Some(i);
            }
        }
        if parent.iter().skip(1).any(Option::is_none) {
            return Err("tree: a drawn node hangs under no drawn node".into());
        }
        let below: u64 = self.below.iter().map(|&(l, r)| u64::from(l) + u64::from(r)).sum();
        if below + n as u64 != u64::from(self.total) || self.overview != (n < self.total as usize) {
            return Err(format!("tree: {n} drawn + {below} below is not {} keys", self.total));
        }
        Ok(())
    }
}

impl Scene {
    /// The invariants of the module's theory.
    pub fn check(&self, w: &Window) -> Result<(), String> {
        for ns in [&self.msg, &self.sem, &self.shm] {
            ns.slots.check("slots", w.rows())?;
            ns.ids.check("ids", w.rows())?;
            ns.tree.check()?;
        }
        self.events.check(w.events.min(EVENTS_MAX))?;
        self.queues.check("queues", w.rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::{IPC_CREAT, IPC_NOWAIT};
    use crate::{Config, Credentials};
    use proptest::prelude::*;

    /// A kernel with `keys` queues (by key; 0 is IPC_PRIVATE), then the
    /// ids at `remove` removed, and a message sent to the newest.
    fn kernel(keys: &[i32], remove: &[usize]) -> (Kernel<Ipc>, u32) {
        let mut cfg = Config::default();
        cfg.msg.max_queues = 4096;
        let mut k = Kernel::new(cfg).expect("kernel");
        let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
        k.set_project_limit(1, Facility::Msg, 4096).expect("project limit");
        let mut ids = Vec::new();
        for &key in keys {
            if let Ok(id) = k.msgget(t, key, IPC_CREAT | 0o600) {
                ids.push(id);
            }
        }
        for &r in remove {
            if let Some(&id) = ids.get(r % ids.len().max(1)) {
                let _ = k.msgctl_rmid(t, id);
            }
        }
        if let Some(&id) = ids.last() {
            let _ = k.msgsnd(t, id, 1, b"hi", IPC_NOWAIT, None);
        }
        (k, t)
    }

    proptest! {
        /// A scene is its whole views cut: every page holds exactly the
        /// whole list's rows at its place, the focus is the first touched
        /// row, a page the reader chose stays while the focus does, and
        /// an overview's drawn nodes are the whole tree's, with the keys
        /// below them counted.
        #[test]
        fn a_scene_is_the_whole_views_cut_to_the_window(
            keys in proptest::collection::vec(0i32..600, 0..400),
            remove in proptest::collection::vec(0usize..400, 0..20),
            size in 1u32..200,
            chosen in proptest::option::of((0u32..10, proptest::option::of(0u32..400))),
            whole in 0u32..300,
            levels in 0u32..8,
            events in 0u32..5000,
        ) {
            let (k, _) = kernel(&keys, &remove);
            let chosen = chosen.map(|(page, focus)| Chosen { page, focus });
            let w = Window { page_size: size, slots: chosen, ids: chosen, queues: chosen, tree_whole_max: whole, tree_levels: levels, events, ..Window::default() };
            let scene = k.scene(&w);
            prop_assert_eq!(scene.check(&w), Ok(()));
            // The newest events: the log's last ones, sorted, and the count of all.
            let (all, total) = k.events_since(0);
            prop_assert_eq!(scene.events.total, total);
            let n = all.len().min(events.min(EVENTS_MAX) as usize);
            let want: Vec<EventView> = all[all.len() - n..].iter().map(EventView::of).collect();
            prop_assert_eq!(&scene.events.rows, &want);
            let whole_ns = k.namespace_view(Facility::Msg);
            let t = touched(k.last_event().map(|e| EventView::of(&e)).as_ref(), Facility::Msg, whole_ns.slots.len());
            // Pages: the whole list's rows at their place.
            let s = &scene.msg;
            prop_assert_eq!(&s.slots.rows[..], &whole_ns.slots[s.slots.first as usize..][..s.slots.rows.len()]);
            prop_assert_eq!(&s.ids.rows[..], &whole_ns.ids[s.ids.first as usize..][..s.ids.rows.len()]);
            let id_focus = whole_ns.ids.iter().position(|id| t.ids.contains(id)).map(|p| p as u32);
            prop_assert_eq!(s.ids.focus, id_focus);
            // The chosen page while the focus is the chosen one; else the focus's page.
            let want = match chosen {
                Some(c) if c.focus == id_focus => c.page,
                _ => id_focus.map_or(0, |f| f / size),
            }.min(whole_ns.ids.len().div_ceil(size as usize).max(1) as u32 - 1) * size;
            prop_assert_eq!(s.ids.first, want);
            let queues = k.msg_queue_views();
            prop_assert_eq!(scene.queues.total as usize, queues.len());
            prop_assert_eq!(&scene.queues.rows[..], &queues[scene.queues.first as usize..][..scene.queues.rows.len()]);
            // The tree: drawn nodes are whole-tree nodes, the touched keys among them.
            for n in &s.tree.nodes {
                let full = whole_ns.keys.iter().find(|f| f.key == n.key && f.zone == n.zone);
                prop_assert!(full.is_some_and(|f| f.height == n.height && f.balance == n.balance && f.id == n.id));
            }
            for key in &t.keys {
                let present = whole_ns.keys.iter().any(|f| f.key == *key);
                prop_assert_eq!(s.tree.nodes.iter().any(|n| n.key == *key), present, "touched key {:#x} drawn", key);
            }
            prop_assert_eq!(s.tree.overview, whole_ns.keys.len() > whole as usize && s.tree.nodes.len() < whole_ns.keys.len());
        }
    }

    #[test]
    fn a_refused_or_parked_call_marks_the_object_and_slot_it_named() {
        let (mut k, t) = kernel(&[1, 2, 3], &[]);
        let w = Window::default();
        let ids = k.namespace_view(Facility::Msg).ids;
        let len = k.namespace_view(Facility::Msg).slots.len() as u32;
        // A stale id: the queue is gone, its slot is what the kernel looked in.
        let stale = ids[1];
        k.msgctl_rmid(t, stale).unwrap();
        assert_eq!(k.msgsnd(t, stale, 1, b"x", IPC_NOWAIT, None).into_result(), Err(crate::Errno::EINVAL));
        let s = k.scene(&w);
        assert_eq!(s.msg.touched.ids, vec![stale]);
        assert_eq!(s.msg.touched.slots, vec![stale as u32 & (len - 1)]);
        assert_eq!(s.msg.slots.focus, Some(stale as u32 & (len - 1)));
        assert!(s.sem.touched.ids.is_empty(), "another namespace is not marked");
        // A parked receive marks its queue, which the page of queues shows.
        let (_, other) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
        assert!(k.msgrcv(other, ids[0], 64, 7, 0, None).is_blocked());
        let s = k.scene(&w);
        assert_eq!(s.msg.touched.ids, vec![ids[0]]);
        assert_eq!(s.queues.rows[s.queues.focus.unwrap() as usize - s.queues.first as usize].id, ids[0]);
        // A call that went through marks only what its steps name.
        k.msgsnd(t, ids[2], 1, b"x", IPC_NOWAIT, None).into_result().unwrap();
        assert_eq!(k.scene(&w).msg.touched.slots, Vec::<u32>::new());
    }

    #[test]
    fn a_step_that_touches_another_row_brings_its_page_into_view() {
        let keys: Vec<i32> = (1..=300).collect();
        let (mut k, t) = kernel(&keys, &[]);
        let w = Window { page_size: 100, ..Window::default() };
        // The newest id is first in the id list; the message went to it.
        let s = k.scene(&w);
        assert_eq!((s.msg.ids.focus, s.msg.ids.first), (Some(0), 0));
        assert_eq!((s.queues.focus, s.queues.first), (Some(0), 0));
        // The reader pages to the third page: it stays while the focus does.
        let chosen = Some(Chosen { page: 2, focus: Some(0) });
        let w = Window { ids: chosen, queues: chosen, ..w };
        assert_eq!(k.scene(&w).msg.ids.first, 200);
        // A send to the oldest queue (last in the list) moves the focus: its page shows.
        let oldest = *k.namespace_view(Facility::Msg).ids.last().unwrap();
        k.msgsnd(t, oldest, 1, b"x", IPC_NOWAIT, None).into_result().unwrap();
        let s = k.scene(&w);
        assert_eq!((s.msg.ids.focus, s.msg.ids.first), (Some(299), 200));
        assert_eq!((s.queues.focus, s.queues.first), (Some(299), 200));
        // 300 keys: an overview, with the touched key's way down drawn.
        let w = Window { tree_whole_max: 255, tree_levels: 2, ..w };
        let tree = k.scene(&w).msg.tree;
        assert!(tree.overview && tree.nodes.len() < 300);
        assert_eq!(tree.check(), Ok(()));
    }
}
