//! The `psem` interface through the component: every errno path, the
//! per-process lookup rule, blocking and the oldest-waiter handoff across
//! processes, fork/exec/exit reference handling, unlink-while-open,
//! timeouts on the logical clock, the inspect view, batches, and hostile
//! names.

use ipc_host_tests::*;

const CREAT: OpenFlags = OpenFlags::CREAT;
const EXCL: OpenFlags = OpenFlags::EXCL;
fn none() -> OpenFlags {
    OpenFlags::empty()
}

fn sem(t: &PsemTableView, id: u32) -> Option<&PsemSemView> {
    t.sems.iter().find(|s| s.id == id)
}

fn refs_of(t: &PsemTableView, pid: u32) -> Vec<u32> {
    t.procs.iter().find(|p| p.pid == pid).map(|p| p.refs.clone()).unwrap_or_default()
}

#[test]
fn open_errnos_in_the_seeds_order() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    assert_eq!(lab.sem_open(owner.thread, "/fifteen_bytes!", CREAT, 0o600, 0), Err(Errno::Enametoolong));
    assert_eq!(lab.sem_open(owner.thread, "nope", none(), 0, 0), Err(Errno::Enoent));
    assert_eq!(lab.sem_open(owner.thread, "nope", CREAT, 0o600, 0), Err(Errno::Einval));
    assert_eq!(lab.sem_open(owner.thread, "/a/b", CREAT, 0o600, 0), Err(Errno::Einval));
    let id = lab.sem_open(owner.thread, "/lock", CREAT, 0o600, 1).unwrap();
    assert_eq!(id, 1, "ids start at 1");
    assert_eq!(lab.sem_open(owner.thread, "/lock", CREAT | EXCL, 0o600, 1), Err(Errno::Eexist));
    assert_eq!(lab.sem_open(owner.thread, "/lock", EXCL, 0o600, 1), Err(Errno::Eexist));
    assert_eq!(lab.sem_open(other.thread, "/lock", none(), 0, 0), Err(Errno::Eperm), "no write bit for other");
    let ev = lab.last_event();
    let denied = ev.steps.iter().find(|s| s.kind == StepKind::Denied).expect("a denied step");
    assert!(denied.text.contains("ksem_perm") && denied.text.starts_with("EPERM"), "{}", denied.text);
    assert_eq!(lab.sem_open(owner.thread, "/lock", none(), 0, 0), Ok(id));
    let v = lab.psem();
    assert_eq!(v.names.iter().map(|n| (n.name.as_str(), n.id)).collect::<Vec<_>>(), vec![("/lock", id)]);
    assert_eq!(sem(&v, id).unwrap().refs, 2, "opened twice: two references");
}

#[test]
fn limits_come_from_the_configuration() {
    let mut lab = Lab::new();
    let base = lab.default_config();
    assert_eq!((base.psem.max_sems, base.psem.value_max), (30, u32::MAX), "the seed's SEM_MAX and ~0U");
    let cfg = Config { psem: PsemLimits { max_sems: 1, value_max: 2 }, ..base };
    let mut lab = Lab::with_config(&cfg);
    let p = lab.spawn(100, 10);
    assert_eq!(lab.sem_init(p.thread, 3, false), Err(Errno::Einval));
    let id = lab.sem_init(p.thread, 2, false).unwrap();
    assert_eq!(lab.sem_post(p.thread, id), Err(Errno::Eoverflow));
    assert_eq!(lab.sem_init(p.thread, 0, false), Err(Errno::Enfile));
    assert_eq!(lab.sem_open(p.thread, "/x", CREAT, 0o600, 0), Err(Errno::Enfile));
    let bad = Config { psem: PsemLimits { max_sems: 0, value_max: 1 }, ..base };
    assert_eq!(lab.create(&bad).err(), Some(Errno::Einval));
    let bad = Config { psem: PsemLimits { max_sems: 1, value_max: 0 }, ..base };
    assert_eq!(lab.create(&bad).err(), Some(Errno::Einval));
}

#[test]
fn only_ids_the_process_holds_are_found() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.sem_init(a.thread, 1, true).unwrap();
    assert_eq!(lab.sem_post(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_wait(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_trywait(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_getvalue(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_destroy(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_close(b.thread, id), Err(Errno::Einval));
    assert_eq!(lab.sem_timedwait(b.thread, id, Timespec { sec: 1, nsec: 0 }), Err(Errno::Einval));
    assert_eq!(lab.sem_getvalue(a.thread, id), Ok(1));
    assert_eq!(lab.sem_getvalue(a.thread, 0), Err(Errno::Einval), "0 is never an id");
}

#[test]
fn producer_and_consumer_across_fork() {
    let mut lab = Lab::new();
    let parent = lab.spawn(100, 10);
    let items = lab.sem_open(parent.thread, "/items", CREAT, 0o600, 0).unwrap();
    let child_proc = lab.fork(parent.process).unwrap();
    let child = lab.main_thread(child_proc);
    let child_pid = lab.pid(child_proc);
    assert_eq!(refs_of(&lab.psem(), child_pid), vec![items], "the child inherits the reference");
    let WaitOutcome::Blocked(reason) = lab.sem_wait(child, items).unwrap() else { panic!("must park") };
    assert_eq!(reason, format!("sem_wait: semaphore {items} is 0; waits for a sem_post"));
    let v = lab.psem();
    let s = sem(&v, items).unwrap();
    assert_eq!((s.refs, s.waiters.len()), (3, 1), "parent, child and the waiter's own reference");
    lab.sem_post(parent.thread, items).unwrap();
    let ev = lab.last_event();
    assert_eq!(ev.woke.iter().map(|w| (w.pid, w.call.as_str())).collect::<Vec<_>>(), vec![(child_pid, "sem_wait")]);
    assert!(ev.steps.iter().any(|s| s.kind == StepKind::PsemHandoff));
    let done = lab.take_result(child).unwrap();
    assert_eq!((done.call.as_str(), done.result), ("sem_wait", Ok(Reply::None)));
    assert_eq!(lab.sem_getvalue(parent.thread, items), Ok(0), "the post went to the consumer");
    // Three items, then the consumer takes them without waiting.
    for _ in 0..3 {
        lab.sem_post(parent.thread, items).unwrap();
    }
    for _ in 0..3 {
        assert_eq!(lab.sem_wait(child, items), Ok(WaitOutcome::Acquired));
    }
    assert_eq!(lab.sem_trywait(child, items), Err(Errno::Eagain));
}

#[test]
fn the_oldest_waiter_takes_each_post() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let t1 = lab.thread_create(p.process).unwrap();
    let t2 = lab.thread_create(p.process).unwrap();
    let id = lab.sem_init(p.thread, 0, false).unwrap();
    assert!(matches!(lab.sem_wait(t1, id), Ok(WaitOutcome::Blocked(_))));
    assert!(matches!(lab.sem_wait(t2, id), Ok(WaitOutcome::Blocked(_))));
    assert_eq!(lab.sem_destroy(p.thread, id), Err(Errno::Ebusy));
    let (tid1, tid2) = (lab.tid(t1), lab.tid(t2));
    lab.sem_post(p.thread, id).unwrap();
    assert_eq!(lab.last_event().woke.iter().map(|w| w.tid).collect::<Vec<_>>(), vec![tid1]);
    lab.sem_post(p.thread, id).unwrap();
    assert_eq!(lab.last_event().woke.iter().map(|w| w.tid).collect::<Vec<_>>(), vec![tid2]);
    lab.take_result(t1).unwrap();
    lab.take_result(t2).unwrap();
    assert_eq!(lab.sem_destroy(p.thread, id), Ok(()));
    assert!(lab.psem().sems.is_empty(), "destroyed with its last reference");
}

#[test]
fn interrupt_and_deadlines_end_a_wait() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.sem_init(p.thread, 0, false).unwrap();
    let t = lab.thread_create(p.process).unwrap();
    assert!(matches!(lab.sem_wait(t, id), Ok(WaitOutcome::Blocked(_))));
    assert_eq!(lab.interrupt(t), Ok(true));
    assert_eq!(lab.take_result(t).unwrap().result, Err(Errno::Eintr));
    assert_eq!(lab.sem_timedwait(t, id, Timespec { sec: 0, nsec: 1_000_000_000 }), Err(Errno::Einval));
    assert_eq!(lab.sem_timedwait(t, id, Timespec { sec: 0, nsec: 0 }), Err(Errno::Etimedout), "not after now");
    let r = lab.sem_timedwait(t, id, Timespec { sec: 0, nsec: 5_000 }).unwrap();
    let WaitOutcome::Blocked(reason) = r else { panic!("must park") };
    assert!(reason.starts_with("sem_timedwait:"), "{reason}");
    lab.advance(4_999);
    assert_eq!(lab.take_result(t), Err(Errno::Eagain), "still parked");
    lab.advance(1);
    assert_eq!(lab.take_result(t).unwrap().result, Err(Errno::Etimedout));
    // An invalid timespec does not matter when the value is there.
    lab.sem_post(p.thread, id).unwrap();
    assert_eq!(lab.sem_timedwait(t, id, Timespec { sec: -1, nsec: -1 }), Ok(WaitOutcome::Acquired));
}

#[test]
fn unlink_while_open() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(200, 20);
    let id = lab.sem_open(a.thread, "/shared", CREAT, 0o666, 0).unwrap();
    assert_eq!(lab.sem_open(b.thread, "/shared", none(), 0, 0), Ok(id));
    assert_eq!(lab.sem_unlink(b.thread, "/shared"), Ok(()), "no permission check at unlink");
    assert_eq!(lab.sem_unlink(b.thread, "/shared"), Err(Errno::Enoent));
    let v = lab.psem();
    let s = sem(&v, id).unwrap();
    assert_eq!((s.state, s.name.as_deref(), s.refs), (PsemState::Unlinked, Some("/shared"), 2));
    assert!(v.names.is_empty());
    lab.sem_post(a.thread, id).unwrap();
    assert_eq!(lab.sem_wait(b.thread, id), Ok(WaitOutcome::Acquired), "still works for holders");
    assert_eq!(lab.sem_close(a.thread, id), Err(Errno::Einval), "the seed's sem_close needs the name");
    assert_eq!(lab.sem_destroy(a.thread, id), Ok(()), "…and sem_destroy takes it");
    let again = lab.sem_open(a.thread, "/shared", CREAT | EXCL, 0o600, 0).unwrap();
    assert_ne!(again, id, "the name now names a new semaphore");
    lab.exit(b.process).unwrap();
    assert!(sem(&lab.psem(), id).is_none(), "freed at its last reference");
}

#[test]
fn exec_and_exit_drop_references_named_ones_stay() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let pid = lab.pid(p.process);
    let named = lab.sem_open(p.thread, "/n", CREAT, 0o600, 0).unwrap();
    let anon = lab.sem_init(p.thread, 0, true).unwrap();
    let c = lab.fork(p.process).unwrap();
    let cpid = lab.pid(c);
    let v = lab.psem();
    assert_eq!(refs_of(&v, pid), vec![anon, named]);
    assert_eq!(refs_of(&v, cpid), vec![named, anon], "the seed's forkhook reverses the list");
    lab.exec(c).unwrap();
    assert!(refs_of(&lab.psem(), cpid).is_empty());
    lab.exit(p.process).unwrap();
    let v = lab.psem();
    assert!(sem(&v, anon).is_none(), "anonymous: freed");
    let s = sem(&v, named).unwrap();
    assert_eq!((s.refs, s.state), (0, PsemState::Named), "named: kept by its name at 0 references");
    let q = lab.spawn(100, 10);
    assert_eq!(lab.sem_open(q.thread, "/n", none(), 0, 0), Ok(named));
}

#[test]
fn a_batch_posts_and_waits() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.sem_init(p.thread, 0, false).unwrap();
    let ops = [Op::SemPost(id), Op::SemPost(id), Op::SemGetvalue(id), Op::SemTrywait(id), Op::SemWait(id)];
    let r = lab.batch(p.thread, &ops).unwrap();
    assert_eq!(
        r,
        vec![Ok(OpResult::Done), Ok(OpResult::Done), Ok(OpResult::Value(2)), Ok(OpResult::Done), Ok(OpResult::Done)]
    );
    let r = lab.batch(p.thread, &[Op::SemTrywait(id), Op::SemPost(99), Op::SemWait(id), Op::SemPost(id)]).unwrap();
    assert_eq!(r.len(), 3, "the batch stops at the wait that parks");
    assert_eq!(r[0], Err(Errno::Eagain));
    assert_eq!(r[1], Err(Errno::Einval));
    assert!(matches!(r[2], Ok(OpResult::Blocked(_))));
}

#[test]
fn hostile_names_get_errnos() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let huge = format!("/{}", "x".repeat(1_000_000));
    assert_eq!(lab.sem_open(p.thread, &huge, CREAT, 0o600, 0), Err(Errno::Enametoolong));
    assert_eq!(lab.sem_unlink(p.thread, &huge), Err(Errno::Enametoolong));
    let ev = lab.last_event();
    assert!(ev.text.len() < 500, "the log keeps a head of a huge name, not all of it");
    // A NUL ends the name, as copyinstr reads a C string.
    let id = lab.sem_open(p.thread, "/nul\0tail that would be far too long", CREAT, 0o600, 0).unwrap();
    assert_eq!(lab.sem_open(p.thread, "/nul", none(), 0, 0), Ok(id));
    assert_eq!(lab.sem_open(p.thread, "\0", CREAT, 0o600, 0), Err(Errno::Einval), "empty before the NUL");
    let nul_then_long = format!("/{}\0", "y".repeat(20));
    assert_eq!(lab.sem_open(p.thread, &nul_then_long, CREAT, 0o600, 0), Err(Errno::Enametoolong));
    // Lengths are bytes: 7 two-byte characters and the slash are 15.
    assert_eq!(lab.sem_open(p.thread, "/ééééééé", CREAT, 0o600, 0), Err(Errno::Enametoolong));
    let e6 = lab.sem_open(p.thread, "/éééééé", CREAT, 0o600, 0).unwrap();
    assert_eq!(
        sem(&lab.psem(), e6).unwrap().name.as_deref(),
        Some("/\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9")
    );
    // Extreme numbers.
    for id in [0, u32::MAX, 1 << 31] {
        assert_eq!(lab.sem_post(p.thread, id), Err(Errno::Einval));
    }
    assert_eq!(lab.sem_open(p.thread, "/m", CREAT, u32::MAX, u32::MAX).map(|_| ()), Ok(()));
    let t = Timespec { sec: i64::MIN, nsec: i64::MAX };
    let anon = lab.sem_init(p.thread, 0, false).unwrap();
    assert_eq!(lab.sem_timedwait(p.thread, anon, t), Err(Errno::Einval));
    let far = Timespec { sec: i64::MAX, nsec: 999_999_999 };
    let w = lab.thread_create(p.process).unwrap();
    assert!(matches!(lab.sem_timedwait(w, anon, far), Ok(WaitOutcome::Blocked(_))));
    lab.advance(u64::MAX);
    assert_eq!(lab.take_result(w).unwrap().result, Err(Errno::Etimedout), "the clock saturates at the deadline");
    // Thirty semaphores, then ENFILE; the instance lives on.
    let mut made = lab.psem().sems.len();
    while made < 30 {
        lab.sem_init(p.thread, 0, false).unwrap();
        made += 1;
    }
    assert_eq!(lab.sem_init(p.thread, 0, false), Err(Errno::Enfile));
    lab.assert_alive();
}

#[test]
fn a_snapshot_restores_the_reference_lists() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.sem_open(p.thread, "/snap", CREAT, 0o600, 2).unwrap();
    let snap = lab.snapshot();
    lab.sem_unlink(p.thread, "/snap").unwrap();
    lab.sem_close(p.thread, id).unwrap_err();
    lab.restore(&snap).unwrap();
    assert_eq!(lab.sem_getvalue(p.thread, id), Ok(2));
    assert_eq!(lab.sem_close(p.thread, id), Ok(()), "named again after the restore");
    let tampered = snap.replace("\"refs\":1", "\"refs\":7");
    assert_ne!(tampered, snap);
    assert_eq!(lab.restore(&tampered), Err(Errno::Einval));
}
