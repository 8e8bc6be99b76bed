//! The `system` interface through the component: configuration, kernel
//! creation, processes and threads, the clock, the event log, resource
//! controls, zones, and snapshot/restore.

use ipc_host_tests::*;

#[test]
fn default_config_is_the_illumos_one() {
    let mut lab = Lab::new();
    let c = lab.default_config();
    assert_eq!(c.seq_bits, 7);
    assert_eq!(c.ids_min, 64);
    assert_eq!(c.event_capacity, 4096);
    assert_eq!(
        c.msg,
        MsgLimits { max_message_bytes: 65536, max_queue_bytes: 65536, max_queue_messages: 8192, max_queues: 128 }
    );
}

#[test]
fn create_accepts_a_valid_config_and_refuses_inconsistent_ones() {
    let mut lab = Lab::new();
    let base = lab.default_config();
    let small = Config { seq_bits: 3, ids_min: 4, event_capacity: 8, ..base };
    let k = lab.create(&small).expect("a small consistent config");
    lab.kernel = k;
    assert_eq!(lab.namespace(Facility::Msg).slots.len(), 4);
    assert_eq!(lab.namespace(Facility::Msg).table_max, 1 << 28);

    let bad = [
        Config { seq_bits: 0, ..base },
        Config { seq_bits: 31, ..base },
        Config { ids_min: 3, ..base },
        Config { ids_min: 0, ..base },
        Config { seq_bits: 30, ids_min: 4, ..base },
        Config { event_capacity: 0, ..base },
        Config { msg: MsgLimits { max_queues: 0, ..base.msg }, ..base },
        Config { msg: MsgLimits { max_queue_messages: 0, ..base.msg }, ..base },
        // The component's caps against hostile allocations.
        Config { event_capacity: 65_537, ..base },
        Config { event_capacity: u32::MAX, ..base },
        Config { ids_min: 1 << 17, ..base },
    ];
    for cfg in bad {
        assert_eq!(lab.create(&cfg).err(), Some(Errno::Einval), "{cfg:?}");
    }
    // The caps themselves are accepted.
    assert!(lab.create(&Config { event_capacity: 65_536, ids_min: 1 << 16, ..base }).is_ok());
}

#[test]
fn spawn_gives_a_process_with_a_main_thread() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(200, 20);
    assert_eq!(lab.pid(a.process), 1);
    assert_eq!(lab.pid(b.process), 2);
    assert_eq!(lab.tid(a.thread), 1);
    assert_eq!(lab.tid(b.thread), 2);
    assert_eq!(lab.thread_pid(b.thread), 2);
    let procs = lab.processes();
    assert_eq!(procs.len(), 2);
    assert_eq!((procs[1].pid, procs[1].ruid, procs[1].egid, procs[1].ppid), (2, 200, 20, 0));
    assert_eq!(procs[0].threads.len(), 1);
    assert_eq!(procs[0].threads[0].state, ThreadState::Runnable);
}

#[test]
fn spawn_refuses_bad_credentials() {
    let mut lab = Lab::new();
    let bad_uid = Credentials { euid: 2_147_483_648, ..user(1, 1) };
    assert_eq!(lab.spawn_cred(&bad_uid, 0, 1).err(), Some(Errno::Einval));
    let many = Credentials { groups: (0..65).collect(), ..user(1, 1) };
    assert_eq!(lab.spawn_cred(&many, 0, 1).err(), Some(Errno::Einval));
    let enough = Credentials { groups: (0..64).collect(), ..user(1, 1) };
    assert!(lab.spawn_cred(&enough, 0, 1).is_ok());
    let max = user(2_147_483_647, 2_147_483_647);
    assert!(lab.spawn_cred(&max, 0, 1).is_ok());
}

#[test]
fn the_clock_moves_only_when_advanced() {
    let mut lab = Lab::new();
    assert_eq!(lab.now(), 0);
    assert_eq!(lab.advance(5), 5);
    assert_eq!(lab.advance(0), 5);
    assert_eq!(lab.now(), 5);
    let p = lab.spawn(1, 1);
    let id = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    lab.advance(10);
    lab.send(p.thread, id, 1, b"x").unwrap();
    assert_eq!(lab.stat(p.thread, id).unwrap().stime, 15);
    assert_eq!(lab.stat(p.thread, id).unwrap().ctime, 5);
}

#[test]
fn every_operation_is_one_event_read_with_a_cursor() {
    let mut lab = Lab::new();
    assert_eq!(lab.events(0), (vec![], 0), "a new kernel has no events");
    let p = lab.spawn(100, 10);
    let (events, next) = lab.events(0);
    assert_eq!(next, 1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].call, "spawn");
    assert_eq!(events[0].seq, 0);
    assert_eq!(events[0].pid, Some(1));
    assert_eq!(events[0].tid, Some(1));
    assert!(matches!(&events[0].outcome, EventOutcome::Ok(s) if s.contains("pid 1")), "{:?}", events[0].outcome);
    assert!(events[0].text.contains("spawn(") && events[0].text.starts_with("#0 "), "{}", events[0].text);
    assert!(lab.events(next).0.is_empty());

    let id = lab.msgget(p.thread, 0x42, IPC_CREAT | 0o600).unwrap();
    let _ = lab.msgget(p.thread, 0x43, 0);
    let (events, next2) = lab.events(next);
    assert_eq!(next2, 3);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    let get = &events[0];
    assert_eq!(get.call, "msgget");
    assert!(get.text.contains("msgget(key=0x42"), "{}", get.text);
    let lookup = get.steps.iter().find(|s| s.kind == StepKind::KeyLookup).expect("a key lookup step");
    assert_eq!((lookup.facility, lookup.key, lookup.id), (Some(Facility::Msg), Some(0x42), None));
    assert!(lookup.text.contains("not found"), "{}", lookup.text);
    let alloc = get.steps.iter().find(|s| s.kind == StepKind::SlotAlloc).expect("a slot alloc step");
    assert_eq!((alloc.slot, alloc.id), (Some(0), Some(id)));
    let insert = get.steps.iter().find(|s| s.kind == StepKind::AvlInsert).expect("an AVL insert step");
    assert_eq!(insert.key, Some(0x42));
    assert!(get.steps.iter().all(|s| !s.text.is_empty()));
    assert_eq!(events[1].outcome, EventOutcome::Failed(Errno::Enoent));
    assert!(events[1].text.contains("ENOENT"), "{}", events[1].text);
}

#[test]
fn the_event_log_is_a_bounded_ring() {
    let mut lab = Lab::new();
    let cfg = Config { event_capacity: 4, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    for _ in 0..10 {
        lab.advance(1);
    }
    let (events, next) = lab.events(0);
    assert_eq!(next, 10);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 7, 8, 9]);
    assert_eq!(lab.events(8).0.len(), 2);
    assert!(lab.events(10).0.is_empty());
    assert!(lab.events(u64::MAX).0.is_empty());
}

#[test]
fn events_name_wakeups_and_steps_of_every_kind() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.msgget(a.thread, 7, IPC_CREAT | 0o600).unwrap();
    assert!(matches!(lab.msgrcv(b.thread, id, 64, 0, 0, None), Ok(RecvOutcome::Blocked(_))));
    let parked = lab.last_event();
    assert!(matches!(&parked.outcome, EventOutcome::Blocked(r) if r.contains("msgrcv")), "{parked:?}");
    assert!(parked.steps.iter().any(|s| s.kind == StepKind::Park && s.facility.is_none()));
    assert!(parked.steps.iter().any(|s| s.kind == StepKind::Hold && s.id == Some(id)));
    assert!(parked.text.contains("parked"), "{}", parked.text);

    lab.send(a.thread, id, 1, b"hi").unwrap();
    let sent = lab.last_event();
    assert_eq!(sent.woke.len(), 1);
    assert_eq!((sent.woke[0].tid, sent.woke[0].pid, sent.woke[0].call.as_str()), (2, 2, "msgrcv"));
    assert!(matches!(&sent.woke[0].outcome, EventOutcome::Ok(_)));
    assert!(sent.text.contains("woke tid 2"), "{}", sent.text);
    let kinds: Vec<StepKind> = sent.steps.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&StepKind::MsgEnqueue) && kinds.contains(&StepKind::MsgDequeue), "{kinds:?}");
    assert!(kinds.contains(&StepKind::Rele), "{kinds:?}");
    let enq = sent.steps.iter().find(|s| s.kind == StepKind::MsgEnqueue).unwrap();
    assert_eq!((enq.facility, enq.id), (Some(Facility::Msg), Some(id)));

    lab.rmid(a.thread, id).unwrap();
    let rm = lab.last_event();
    let kinds: Vec<StepKind> = rm.steps.iter().map(|s| s.kind).collect();
    for k in [StepKind::AvlRemove, StepKind::SlotRelease, StepKind::Destroy] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    let rel = rm.steps.iter().find(|s| s.kind == StepKind::SlotRelease).unwrap();
    assert_eq!((rel.slot, rel.id), (Some(0), Some(id)));
    assert!(rel.text.contains("stale"), "{}", rel.text);
}

#[test]
fn a_project_limit_caps_the_ids_of_a_project() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    lab.set_project_limit(1, Facility::Msg, 2);
    assert_eq!(lab.last_event().call, "set_project_limit");
    lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc));
    assert!(lab.last_event().steps.iter().any(|s| s.kind == StepKind::RctlDeny && s.facility == Some(Facility::Msg)));
    // Another project is not affected.
    let other = lab.spawn_in(&user(100, 10), 0, 2);
    assert!(lab.msgget(other.thread, IPC_PRIVATE, IPC_CREAT | 0o600).is_ok());
    lab.set_project_limit(2, Facility::Msg, 0);
    assert_eq!(lab.msgget(other.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc));
    // Limits of the other facilities are accepted (no objects yet).
    lab.set_project_limit(1, Facility::Sem, 5);
    lab.set_project_limit(1, Facility::Shm, 5);
}

#[test]
fn the_default_project_limit_is_max_queues() {
    let mut lab = Lab::new();
    let cfg = Config { msg: MsgLimits { max_queues: 3, ..lab.default_config().msg }, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    let p = lab.spawn(100, 10);
    for _ in 0..3 {
        lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    }
    assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc));
}

#[test]
fn zone_remove_destroys_a_zones_objects_once_it_is_empty() {
    let mut lab = Lab::new();
    assert_eq!(lab.zone_remove(0), Err(Errno::Einval), "the global zone");
    assert_eq!(lab.zone_remove(9), Ok(0), "an unknown zone has nothing");
    let z = lab.spawn_in(&user(100, 10), 5, 1);
    let g = lab.spawn(100, 10);
    let zid = lab.msgget(z.thread, 0x77, IPC_CREAT | 0o600).unwrap();
    lab.msgget(z.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    let gid = lab.msgget(g.thread, 0x77, IPC_CREAT | 0o600).unwrap();
    assert_ne!(zid, gid, "same key, different zone");
    assert_eq!(lab.msgids(z.thread).unwrap().len(), 2, "a zone sees its own");
    assert_eq!(lab.msgids(g.thread).unwrap().len(), 3, "the global zone sees every zone");
    assert_eq!(lab.zone_remove(5), Err(Errno::Ebusy));
    lab.exit(z.process).unwrap();
    assert_eq!(lab.zone_remove(5), Ok(2));
    assert_eq!(lab.namespace(Facility::Msg).ids, vec![gid]);
    assert_eq!(lab.msg_queues().len(), 1);
    assert_eq!(lab.stat(g.thread, zid), Err(Errno::Einval));
    assert!(lab.stat(g.thread, gid).is_ok());
}

#[test]
fn processes_fork_exec_exit_and_make_threads() {
    let mut lab = Lab::new();
    let cred = Credentials { groups: vec![7, 8], ..user(100, 10) };
    let parent = lab.spawn_in(&cred, 3, 9);
    let t2 = lab.thread_create(parent.process).unwrap();
    assert_eq!(lab.tid(t2), 2);
    assert_eq!(lab.thread_pid(t2), 1);
    let child = lab.fork(parent.process).unwrap();
    assert_eq!(lab.pid(child), 2);
    let ct = lab.main_thread(child);
    assert_eq!(lab.tid(ct), 3);
    let views = lab.processes();
    let c = views.iter().find(|p| p.pid == 2).unwrap();
    assert_eq!((c.ppid, c.euid, c.egid, c.zone, c.project), (1, 100, 10, 3, 9));
    assert_eq!(c.groups, vec![7, 8]);
    assert_eq!(views.iter().find(|p| p.pid == 1).unwrap().threads.len(), 2);
    assert_eq!(lab.exec(child), Ok(()));
    // Threads of a process share its identity: a queue made by one thread
    // is the owner's for another.
    let id = lab.msgget(t2, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    lab.send(parent.thread, id, 1, b"x").unwrap();
    lab.send(ct, id, 1, b"y").unwrap();

    assert_eq!(lab.exit(child), Ok(()));
    assert_eq!(lab.exit(child), Err(Errno::Esrch));
    assert_eq!(lab.exec(child), Err(Errno::Esrch));
    assert_eq!(lab.fork(child).err(), Some(Errno::Esrch));
    assert_eq!(lab.thread_create(child).err(), Some(Errno::Esrch));
    assert_eq!(lab.pid(child), 2, "the handle keeps its pid");
    assert_eq!(lab.processes().len(), 1);
    // The exited child's thread and a main-thread handle taken afterwards give ESRCH.
    assert_eq!(lab.msgget(ct, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Esrch));
    let late = lab.main_thread(child);
    assert_eq!(lab.thread_pid(late), 2);
    assert_eq!(lab.take_result(late), Err(Errno::Esrch));
    assert_eq!(lab.interrupt(late), Err(Errno::Esrch));
    assert_eq!(lab.msgids(late), Err(Errno::Esrch));
    lab.drop_resource(late);
    lab.drop_resource(child);
}

#[test]
fn take_result_and_interrupt_follow_the_thread_state() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.msgget(a.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.take_result(b.thread), Err(Errno::Einval), "nothing to take");
    assert_eq!(lab.interrupt(b.thread), Ok(false), "not parked");

    assert!(matches!(lab.msgrcv(b.thread, id, 64, 0, 0, None), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.take_result(b.thread), Err(Errno::Eagain), "still parked");
    assert_eq!(lab.msgget(b.thread, IPC_PRIVATE, IPC_CREAT), Err(Errno::Ebusy), "a parked thread cannot call");
    assert_eq!(lab.interrupt(b.thread), Ok(true));
    assert_eq!(lab.msgids(b.thread), Err(Errno::Ebusy), "an untaken result keeps it busy");
    let views = lab.processes();
    let state = &views.iter().find(|p| p.pid == 2).unwrap().threads[0].state;
    assert!(
        matches!(state, ThreadState::Finished(f) if f.call == "msgrcv" && f.error == Some(Errno::Eintr)),
        "{state:?}"
    );
    assert_eq!(lab.take_result(b.thread), Ok(Completion { call: "msgrcv".into(), result: Err(Errno::Eintr) }));
    assert_eq!(lab.take_result(b.thread), Err(Errno::Einval), "taken once");
    assert_eq!(lab.queue(id).refs, 1, "the interrupted waiter let go of the queue");

    // A parked sender, completed by a receiver.
    lab.set(a.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: 2 }).unwrap();
    lab.send(a.thread, id, 1, b"ab").unwrap();
    assert!(matches!(lab.msgsnd(b.thread, id, 2, b"cd", 0, None), Ok(SendOutcome::Blocked(r)) if r.contains("full")));
    assert_eq!(lab.recv(a.thread, id, 8, 0).unwrap().data, b"ab");
    assert_eq!(lab.take_result(b.thread), Ok(Completion { call: "msgsnd".into(), result: Ok(Reply::None) }));
    assert_eq!(lab.recv(a.thread, id, 8, 0).unwrap(), Received { mtype: 2, data: b"cd".to_vec() });

    // After exit: ESRCH.
    lab.exit(b.process).unwrap();
    assert_eq!(lab.take_result(b.thread), Err(Errno::Esrch));
    assert_eq!(lab.interrupt(b.thread), Err(Errno::Esrch));
}

#[test]
fn exit_cancels_parked_calls_and_drops_their_references() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.msgget(a.thread, IPC_PRIVATE, IPC_CREAT | 0o666).unwrap();
    assert!(matches!(lab.msgrcv(b.thread, id, 64, 0, 0, None), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.queue(id).refs, 2);
    lab.exit(b.process).unwrap();
    let q = lab.queue(id);
    assert_eq!((q.refs, q.receivers.len()), (1, 0));
    // The removed queue dies at once: nobody holds it any more.
    lab.rmid(a.thread, id).unwrap();
    assert!(lab.msg_queues().is_empty());
    assert!(lab.namespace(Facility::Msg).removed.is_empty());
}

fn busy_script(lab: &mut Lab) -> (Proc, Proc, i32) {
    let a = lab.spawn(100, 10);
    let b = lab.spawn(200, 20);
    let id = lab.msgget(a.thread, 0x10, IPC_CREAT | 0o666).unwrap();
    lab.send(a.thread, id, 3, b"three").unwrap();
    assert!(matches!(lab.msgrcv(b.thread, id, 64, 9, 0, Some(500)), Ok(RecvOutcome::Blocked(_))));
    lab.advance(100);
    (a, b, id)
}

/// After `busy_script`: B's receive completes, the queue goes, a process
/// comes and the clock moves.
fn change_everything(lab: &mut Lab, a: &Proc, b: &Proc, id: i32) {
    lab.send(a.thread, id, 9, b"nine").unwrap();
    lab.take_result(b.thread).unwrap();
    lab.rmid(a.thread, id).unwrap();
    lab.spawn(300, 30);
    lab.advance(1000);
}

/// What a test compares before and after going back.
fn seen(lab: &mut Lab) -> impl PartialEq + std::fmt::Debug + use<> {
    (lab.namespace(Facility::Msg), lab.msg_queues(), lab.processes(), lab.events(0), lab.now())
}

#[test]
fn snapshot_and_restore_round_trip_and_handles_keep_working() {
    let mut lab = Lab::new();
    let (a, b, id) = busy_script(&mut lab);
    let snap = lab.snapshot();
    assert!(snap.starts_with('{'), "{snap}");
    let before = seen(&mut lab);

    // Change everything, then go back.
    change_everything(&mut lab, &a, &b, id);
    lab.restore(&snap).unwrap();
    let after = seen(&mut lab);
    assert_eq!(before, after);
    assert_eq!(lab.snapshot(), snap, "restoring a snapshot gives the same snapshot");

    // The old handles name the same pids and tids and continue identically.
    assert_eq!(lab.take_result(b.thread), Err(Errno::Eagain), "still parked after restore");
    lab.send(a.thread, id, 9, b"nine").unwrap();
    let done = lab.take_result(b.thread).unwrap();
    assert_eq!(done.result, Ok(Reply::Message(Received { mtype: 9, data: b"nine".to_vec() })));

    // Another kernel in the same instance can take the snapshot too.
    let cfg = lab.default_config();
    let other = lab.create(&cfg).unwrap();
    let first = std::mem::replace(&mut lab.kernel, other);
    lab.restore(&snap).unwrap();
    assert_eq!(lab.snapshot(), snap);
    assert_eq!(seen(&mut lab), before, "the other kernel holds the snapshot's state");
    lab.kernel = first;
}

/// `kernel.checkpoint` and `kernel.rewind`: the state kept inside the
/// component, rewound to as often as asked, into this kernel or another;
/// `checkpoint.size` is the length of the state's snapshot.
#[test]
fn a_checkpoint_rewinds_to_the_state_it_copied() {
    let mut lab = Lab::new();
    let (a, b, id) = busy_script(&mut lab);
    let snap = lab.snapshot();
    let cp = lab.checkpoint();
    assert_eq!(lab.checkpoint_size(cp), snap.len() as u64, "the size is the snapshot's length");
    assert_eq!(lab.checkpoint_size(cp), snap.len() as u64, "and stays so");
    let before = seen(&mut lab);

    // Change everything; the checkpoint does not follow.
    change_everything(&mut lab, &a, &b, id);
    assert_ne!(lab.snapshot(), snap);
    assert_eq!(lab.checkpoint_size(cp), snap.len() as u64);

    for _ in 0..2 {
        lab.rewind(cp);
        let after = seen(&mut lab);
        assert_eq!(before, after);
        assert_eq!(lab.snapshot(), snap, "rewinding gives the snapshot taken with the checkpoint");
        // The old handles name the same threads: b is still parked, and a send completes it.
        assert_eq!(lab.take_result(b.thread), Err(Errno::Eagain), "still parked after rewind");
        lab.send(a.thread, id, 9, b"nine").unwrap();
        let done = lab.take_result(b.thread).unwrap();
        assert_eq!(done.result, Ok(Reply::Message(Received { mtype: 9, data: b"nine".to_vec() })));
    }

    // A larger state has a larger checkpoint.
    let small = lab.checkpoint_size(cp);
    lab.msgget(a.thread, 0x20, IPC_CREAT | 0o600).unwrap();
    let grown = lab.checkpoint();
    assert!(lab.checkpoint_size(grown) > small);

    // Another kernel of the instance can be rewound to it; dropping the
    // checkpoint afterwards leaves both kernels as they are.
    let cfg = lab.default_config();
    let other = lab.create(&cfg).unwrap();
    let first = std::mem::replace(&mut lab.kernel, other);
    lab.rewind(cp);
    assert_eq!(lab.snapshot(), snap);
    lab.drop_resource(cp);
    lab.drop_resource(grown);
    assert_eq!(lab.snapshot(), snap);
    lab.kernel = first;
    assert!(lab.stat(a.thread, id).is_ok());
}

#[test]
fn snapshot_survives_project_limits() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    lab.set_project_limit(1, Facility::Msg, 1);
    lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    let snap = lab.snapshot();
    assert!(snap.starts_with('{'), "snapshot with a project limit is empty: {snap:?}");
    lab.set_project_limit(1, Facility::Msg, 100);
    lab.restore(&snap).unwrap();
    assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc), "the limit came back");
}

#[test]
fn restore_refuses_what_is_not_a_snapshot() {
    let mut lab = Lab::new();
    let (a, _, id) = busy_script(&mut lab);
    let snap = lab.snapshot();
    for bad in ["", "{", "null", "[]", "{}", "42", "\"kernel\"", "{\"config\": 1}", &snap[..snap.len() / 2]] {
        assert_eq!(lab.restore(bad), Err(Errno::Einval), "{bad:?}");
    }
    // Nothing changed.
    assert_eq!(lab.snapshot(), snap);
    assert!(lab.stat(a.thread, id).is_ok());
}

/// `kernel.woken`: the tids whose parked calls completed since a cursor —
/// what a host that blocks real threads waits for.
#[test]
fn woken_names_the_threads_a_call_completed() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.msgget(a.thread, 7, IPC_CREAT | 0o600).unwrap();
    let (_, start) = lab.woken(0);
    assert!(matches!(lab.msgrcv(b.thread, id, 64, 0, 0, None), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.woken(start), (Vec::new(), start + 1), "parking wakes nobody");
    lab.send(a.thread, id, 1, b"hi").unwrap();
    let btid = lab.tid(b.thread);
    assert_eq!(lab.woken(start).0, vec![btid]);
    assert_eq!(lab.woken(start + 2).0, Vec::<u32>::new(), "nothing after the send");
}

/// `inspect.deadlock`: nothing while a thread can run; the wait-for graph
/// once every thread waits for a semaphore unit another holds (SEM_UNDO).
#[test]
fn deadlock_names_who_waits_for_whom() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.semget(a.thread, IPC_PRIVATE, 2, 0o600).unwrap();
    lab.semctl_setall(a.thread, id, &[1, 1]).unwrap();
    lab.semop(a.thread, id, &[sembuf(0, -1, SEM_UNDO)], None).unwrap();
    lab.semop(b.thread, id, &[sembuf(1, -1, SEM_UNDO)], None).unwrap();
    assert!(matches!(lab.semop(a.thread, id, &[sembuf(1, -1, 0)], None), Ok(SemopOutcome::Blocked(_))));
    assert_eq!(lab.deadlock(), None, "b can still run");
    assert!(matches!(lab.semop(b.thread, id, &[sembuf(0, -1, 0)], None), Ok(SemopOutcome::Blocked(_))));
    let graph = lab.deadlock().expect("a deadlock");
    let (pa, pb) = (lab.pid(a.process), lab.pid(b.process));
    assert_eq!(
        graph.iter().map(|w| (w.pid, w.holders.clone())).collect::<Vec<_>>(),
        vec![(pa, vec![pb]), (pb, vec![pa])]
    );
    assert!(graph[0].reason.contains("semop"), "{}", graph[0].reason);
}

/// `inspect.explain`: the newest event in words and its kernel path, the
/// refusing check marked, through the component.
#[test]
fn explain_narrates_the_newest_step_and_marks_its_kernel_path() {
    use ipc_host_tests::bindings::exports::ipclab::ipc::inspect::PathMark;
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(200, 20);
    let id = lab.msgget(a.thread, IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(lab.msgsnd(b.thread, id, 1, b"hi", IPC_NOWAIT, None), Err(Errno::Eacces));
    let x = lab.explain().expect("an event");
    assert_eq!(x.call, "msgsnd");
    let refused: Vec<&str> = x.path.iter().filter(|l| l.mark == PathMark::Refused).map(|l| l.code.as_str()).collect();
    assert_eq!(refused, vec!["ipcperm_access(MSG_W)"]);
    assert!(x.path.iter().skip_while(|l| l.mark != PathMark::Refused).skip(1).all(|l| l.mark == PathMark::NotReached));
    assert!(x.narration.iter().any(|s| s.contains("EACCES") && s.contains("mode 0600")), "{:?}", x.narration);
    assert_eq!(lab.msgsnd(a.thread, id, 1, b"hi", IPC_NOWAIT, None), Ok(SendOutcome::Sent));
    let x = lab.explain().unwrap();
    assert!(x.path.iter().any(|l| l.code.contains("enqueue") && l.mark == PathMark::Taken));
    assert!(x.narration.last().unwrap().starts_with("It returned"), "{:?}", x.narration);
}

/// Step records carry what a viewer draws: a table growth's old size and
/// an AVL insert's rotations with their pivots.
#[test]
fn steps_name_the_table_growth_and_the_rotations() {
    use ipc_host_tests::bindings::exports::ipclab::ipc::system::{RotationKind, StepKind};
    let mut lab = Lab::new();
    let mut cfg = lab.default_config();
    cfg.ids_min = 2;
    let mut lab = Lab::with_config(&cfg);
    let a = lab.spawn(100, 10);
    let mut grew = Vec::new();
    let mut rotations = Vec::new();
    for key in [0x10, 0x20, 0x30] {
        lab.msgget(a.thread, key, IPC_CREAT | 0o600).unwrap();
        for s in lab.last_event().steps {
            if s.kind == StepKind::TableGrow {
                grew.push(s.grown_from);
            }
            if s.kind == StepKind::AvlInsert {
                rotations.extend(s.rotations.iter().map(|r| (r.kind, r.pivot)));
            }
        }
    }
    assert_eq!(grew, vec![Some(2)], "the third queue doubles a 2-slot table");
    assert_eq!(rotations, vec![(RotationKind::Left, 0x10)], "ascending keys: one left rotation at the root");
}
