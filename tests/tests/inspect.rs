//! The `inspect` interface: slot tables with sequence numbers, table
//! growth, the AVL tree of keys, removed-but-alive objects, queues and
//! processes — read back through the component.

use ipc_host_tests::*;

/// In-order keys of the tree as `inspect.namespace` lays it out, checking
/// on the way that every node's height and balance are what its children say.
fn in_order(keys: &[KeyNode]) -> Vec<i32> {
    fn walk(keys: &[KeyNode], at: Option<u32>, out: &mut Vec<i32>) -> u32 {
        let Some(i) = at else { return 0 };
        let n = &keys[i as usize];
        let lh = walk(keys, n.left, out);
        out.push(n.key);
        let rh = walk(keys, n.right, out);
        assert_eq!(n.height, 1 + lh.max(rh), "height of key {}", n.key);
        assert_eq!(n.balance, lh as i32 - rh as i32, "balance of key {}", n.key);
        assert!((-1..=1).contains(&n.balance), "key {} out of balance: {}", n.key, n.balance);
        n.height
    }
    let mut out = Vec::new();
    if !keys.is_empty() {
        walk(keys, Some(0), &mut out);
    }
    assert_eq!(out.len(), keys.len(), "every node reachable from the root");
    out
}

#[test]
fn a_new_namespace_is_an_empty_table_of_the_configured_shape() {
    let mut lab = Lab::new();
    for f in [Facility::Msg, Facility::Sem, Facility::Shm] {
        let ns = lab.namespace(f);
        assert_eq!(ns.facility, f);
        assert_eq!((ns.seq_bits, ns.table_max, ns.slots.len()), (7, 1 << 24, 64));
        assert!(ns.keys.is_empty() && ns.ids.is_empty() && ns.removed.is_empty());
        assert!(ns.slots.iter().enumerate().all(|(i, s)| s.index == i as u32 && s.seq == 0 && s.occupant.is_none()));
        assert!(ns.slots.iter().all(|s| s.id == s.index as i32));
    }
    assert!(lab.msg_queues().is_empty());
    assert!(lab.processes().is_empty());
}

#[test]
fn ids_fold_the_slot_sequence_and_stale_ids_fail() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let old = lab.msgget(p.thread, 0x51, IPC_CREAT | 0o600).unwrap();
    assert_eq!(old, 0, "slot 0, sequence 0");
    let ns = lab.namespace(Facility::Msg);
    assert_eq!(ns.slots[0].occupant, Some(0x51));
    lab.rmid(p.thread, old).unwrap();
    let ns = lab.namespace(Facility::Msg);
    assert_eq!((ns.slots[0].seq, ns.slots[0].occupant), (1, None), "the sequence was bumped");
    assert_eq!(ns.slots[0].id, 1 << 24, "seq << (31 - 7) | 0");

    let new = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(new, 1 << 24, "the freed slot is reused with the new sequence");
    assert_eq!(lab.namespace(Facility::Msg).slots[0].occupant, Some(0));
    for stale in [old, 2 << 24] {
        assert_eq!(lab.send(p.thread, stale, 1, b"x"), Err(Errno::Einval));
        assert_eq!(lab.recv(p.thread, stale, 8, 0), Err(Errno::Einval));
        assert_eq!(lab.stat(p.thread, stale), Err(Errno::Einval));
        assert_eq!(lab.rmid(p.thread, stale), Err(Errno::Einval));
    }
    lab.send(p.thread, new, 1, b"ok").unwrap();
}

#[test]
fn the_sequence_wraps_at_its_mask() {
    let mut lab = Lab::new();
    let cfg = Config { seq_bits: 2, ids_min: 1, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    let p = lab.spawn(100, 10);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let id = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
        seen.push(id);
        lab.rmid(p.thread, id).unwrap();
    }
    let shift = 31 - 2;
    assert_eq!(seen, vec![0, 1 << shift, 2 << shift, 3 << shift, 0]);
}

#[test]
fn the_slot_table_doubles_when_full() {
    let mut lab = Lab::new();
    let cfg = Config { ids_min: 4, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    let p = lab.spawn(100, 10);
    assert_eq!(lab.namespace(Facility::Msg).slots.len(), 4);
    let ids: Vec<i32> = (0..5).map(|_| lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap()).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    let ev = lab.last_event();
    let grow = ev.steps.iter().find(|s| s.kind == StepKind::TableGrow).expect("a table-grow step");
    assert!(grow.text.contains("from 4 to 8"), "{}", grow.text);
    let ns = lab.namespace(Facility::Msg);
    assert_eq!(ns.slots.len(), 8);
    assert_eq!(ns.slots.iter().filter(|s| s.occupant.is_some()).count(), 5);
    assert_eq!(ns.ids, vec![4, 3, 2, 1, 0]);
}

#[test]
fn the_table_stops_at_its_maximum() {
    let mut lab = Lab::new();
    let cfg = Config { seq_bits: 29, ids_min: 2, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    let p = lab.spawn(100, 10);
    assert_eq!(lab.namespace(Facility::Msg).table_max, 4);
    for _ in 0..4 {
        lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    }
    assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc));
    assert_eq!(lab.namespace(Facility::Msg).slots.len(), 4);
}

#[test]
fn three_ascending_keys_rotate_into_a_balanced_tree() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let mut ids = Vec::new();
    for key in 1..=3 {
        ids.push(lab.msgget(p.thread, key, IPC_CREAT | 0o600).unwrap());
    }
    let ev = lab.last_event();
    let ins = ev.steps.iter().find(|s| s.kind == StepKind::AvlInsert).unwrap();
    assert!(ins.text.contains("left rotation at key 0x1"), "{}", ins.text);
    let keys = lab.namespace(Facility::Msg).keys;
    assert_eq!(keys.len(), 3);
    let root = &keys[0];
    assert_eq!((root.key, root.height, root.balance, root.id, root.zone), (2, 2, 0, ids[1], 0));
    let (l, r) = (&keys[root.left.unwrap() as usize], &keys[root.right.unwrap() as usize]);
    assert_eq!((l.key, l.height, l.id), (1, 1, ids[0]));
    assert_eq!((r.key, r.height, r.id), (3, 1, ids[2]));
    assert_eq!(in_order(&keys), vec![1, 2, 3]);
    // Private queues are not in the tree.
    lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.namespace(Facility::Msg).keys.len(), 3);
}

#[test]
fn the_tree_stays_balanced_and_sorted_under_inserts_and_removals() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let mut live: Vec<(i32, i32)> = Vec::new();
    // A deterministic shuffle of keys, some negative.
    let keys: Vec<i32> = (0..60).map(|i| ((i * 37) % 61) - 20).filter(|&k| k != 0).collect();
    for (n, &key) in keys.iter().enumerate() {
        let id = lab.msgget(p.thread, key, IPC_CREAT | IPC_EXCL | 0o600).unwrap();
        live.push((key, id));
        if n % 3 == 2 {
            let (k, id) = live.remove(n % live.len());
            lab.rmid(p.thread, id).unwrap();
            assert_eq!(lab.msgget(p.thread, k, 0), Err(Errno::Enoent));
        }
        let tree = lab.namespace(Facility::Msg).keys;
        let mut want: Vec<i32> = live.iter().map(|&(k, _)| k).collect();
        want.sort_unstable();
        assert_eq!(in_order(&tree), want);
    }
    let tree = lab.namespace(Facility::Msg).keys;
    assert!(tree[0].height <= 7, "an AVL tree of {} keys is at most ~1.44 log2 n high", tree.len());
    for &(key, id) in &live {
        assert_eq!(lab.msgget(p.thread, key, 0), Ok(id));
        assert_eq!(tree.iter().find(|n| n.key == key).map(|n| n.id), Some(id));
    }
}

#[test]
fn a_removed_queue_is_destroyed_within_its_rmid_once_its_waiters_complete() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let waiter = lab.spawn(100, 10);
    let keep = lab.msgget(owner.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    let id = lab.msgget(owner.thread, 0x33, IPC_CREAT | 0o600).unwrap();
    assert!(matches!(lab.msgrcv(waiter.thread, id, 64, 0, 0, None), Ok(RecvOutcome::Blocked(_))));
    lab.rmid(owner.thread, id).unwrap();
    // RMID completed the waiter with EIDRM, which let go at once.
    let ns = lab.namespace(Facility::Msg);
    assert!(ns.removed.is_empty());
    assert_eq!(ns.ids, vec![keep]);
    assert_eq!(lab.take_result(waiter.thread).unwrap().result, Err(Errno::Eidrm));
    let queues = lab.msg_queues();
    assert_eq!(queues.len(), 1);
    assert!(!queues[0].removed);
}

#[test]
fn queue_views_show_messages_and_waiters() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let s = lab.spawn(100, 10);
    let a = lab.msgget(p.thread, 0x1, IPC_CREAT | 0o640).unwrap();
    let b = lab.msgget(p.thread, 0x2, IPC_CREAT | 0o600).unwrap();
    let long: Vec<u8> = (0..100).collect();
    lab.send(p.thread, a, 9, &long).unwrap();
    lab.send(p.thread, a, 2, b"short").unwrap();
    lab.set(p.thread, b, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: 1 }).unwrap();
    lab.send(p.thread, b, 1, b"x").unwrap();
    lab.advance(7);
    assert!(matches!(lab.msgsnd(s.thread, b, 1, b"y", 0, Some(3)), Ok(SendOutcome::Blocked(_))));
    let views = lab.msg_queues();
    assert_eq!(views.iter().map(|q| q.id).collect::<Vec<_>>(), vec![b, a], "newest first");
    let qa = &views[1];
    assert_eq!((qa.qnum, qa.cbytes, qa.qbytes, qa.qmax, qa.refs, qa.removed), (2, 105, 65536, 8192, 1, false));
    assert_eq!(qa.perm.mode, IPC_ALLOC | 0o640);
    assert_eq!((qa.perm.key, qa.perm.uid, qa.perm.cgid), (1, 100, 10));
    assert_eq!((qa.messages[0].mtype, qa.messages[0].size), (9, 100));
    assert_eq!(qa.messages[0].head, (0..32).collect::<Vec<u8>>(), "the first 32 bytes");
    assert_eq!(qa.messages[1].head, b"short");
    let qb = &views[0];
    assert_eq!(qb.senders.len(), 1);
    assert_eq!((qb.senders[0].tid, qb.senders[0].since, qb.senders[0].deadline), (2, 7, Some(10)));
    assert!(qb.senders[0].reason.contains("full"), "{}", qb.senders[0].reason);
}

#[test]
fn a_refused_call_carries_a_denied_step_naming_the_rule() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    let id = lab.msgget(owner.thread, 0x10, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.send(other.thread, id, 1, b"x"), Err(Errno::Eacces));
    let ev = lab.last_event();
    let denied = ev.steps.iter().find(|s| s.kind == StepKind::Denied).expect("a denied step");
    assert_eq!(denied.facility, Some(Facility::Msg));
    assert!(denied.text.contains("EACCES: the queue's mode 0600"), "{}", denied.text);
    assert!(denied.text.contains("does not grant write to uid 200 gid 20 (other class)"), "{}", denied.text);
    // A success has none.
    lab.send(owner.thread, id, 1, b"x").unwrap();
    assert!(lab.last_event().steps.iter().all(|s| s.kind != StepKind::Denied));
}

/// `inspect.scene`: the core's scene through the component — pages of the
/// slot table, ids and queues that follow what the step touched, the tree
/// cut to an overview, the same as the whole views where they overlap —
/// and a clear error for a window that is not one.
#[test]
fn the_scene_is_the_screen_s_page_of_the_whole_views() {
    use ipc_core::inspect::scene::{Scene, Window};
    let mut lab = Lab::new();
    lab.set_project_limit(1, Facility::Msg, 1 << 12);
    let t = lab.spawn(100, 10).thread;
    let mut ids = Vec::new();
    for key in 1..=300 {
        ids.push(lab.msgget(t, key, 0o1600).expect("msgget"));
    }
    let window = r#"{"page_size": 50, "tree_whole_max": 63, "tree_levels": 3}"#;
    let w: Window = serde_json::from_str(window).expect("window");
    let scene: Scene = serde_json::from_str(&lab.scene(window).expect("scene")).expect("scene JSON");
    assert_eq!(scene.check(&w), Ok(()));
    let whole = lab.namespace(Facility::Msg);
    // The newest queue is first in the id list and was touched: page one.
    assert_eq!((scene.msg.ids.total, scene.msg.ids.first, scene.msg.ids.focus), (300, 0, Some(0)));
    assert_eq!(scene.msg.ids.rows, whole.ids[..50]);
    assert_eq!(scene.queues.rows.len(), 50);
    assert_eq!(scene.queues.rows[0].id, ids[299]);
    // 300 keys drawn as an overview that still reaches the key just inserted.
    assert!(scene.msg.tree.overview && scene.msg.tree.nodes.len() < 300);
    assert!(scene.msg.tree.nodes.iter().any(|n| n.key == 300));
    // A send to the oldest queue brings its page into view, even over a page the reader chose.
    assert_eq!(lab.msgsnd(t, ids[0], 1, b"x", 0o4000, None), Ok(SendOutcome::Sent));
    let window = r#"{"page_size": 50, "queues": {"page": 1, "focus": 0}}"#;
    let scene: Scene = serde_json::from_str(&lab.scene(window).expect("scene")).expect("scene JSON");
    assert_eq!((scene.queues.focus, scene.queues.first), (Some(299), 250));
    assert_eq!(scene.queues.rows.last().map(|q| (q.id, q.qnum)), Some((ids[0], 1)));
    // The other namespaces are there, empty.
    assert_eq!((scene.sem.ids.total, scene.shm.tree.total), (0, 0));
    // Not a window: an error that says so, and the kernel goes on.
    for bad in ["", "null", "{\"page_size\": -1}", "{\"facility\": \"Port\"}", "{\"ids\": 3}"] {
        match lab.scene(bad) {
            Err(e) => assert!(e.starts_with("the window is not a scene window"), "{bad}: {e}"),
            Ok(scene) => panic!("{bad} was taken for a window: {}…", &scene[..80]),
        }
    }
    assert_eq!(lab.scene("{}").map(|s| s.starts_with('{')), Ok(true));
}
