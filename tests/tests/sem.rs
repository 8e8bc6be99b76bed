//! The `sem` interface through the component: every errno path, blocking
//! and waking across processes, atomicity, chains of wake-ups, SEM_UNDO at
//! exit, RMID with waiters, timeouts, the inspect view, batches, and
//! hostile input.

use ipc_host_tests::*;

const NOWAIT: i16 = IPC_NOWAIT as i16;

fn set(lab: &mut Lab, p: Proc, nsems: i32, mode: i32) -> i32 {
    lab.semget(p.thread, IPC_PRIVATE, nsems, IPC_CREAT | mode).unwrap()
}

fn done(lab: &mut Lab, p: Proc, id: i32, sops: &[Sembuf]) -> Result<(), Errno> {
    match lab.semop(p.thread, id, sops, None)? {
        SemopOutcome::Done => Ok(()),
        SemopOutcome::Blocked(r) => panic!("semop parked: {r}"),
    }
}

#[test]
fn semget_and_every_semop_errno() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    assert_eq!(lab.semget(owner.thread, IPC_PRIVATE, 0, IPC_CREAT | 0o600), Err(Errno::Einval));
    let id = lab.semget(owner.thread, 0x5e, 2, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.semget(owner.thread, 0x5e, 3, 0), Err(Errno::Einval));
    assert_eq!(lab.semget(owner.thread, 0x5e, 2, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::Eexist));
    assert_eq!(lab.semget(other.thread, 0x5e, 0, 0o604), Err(Errno::Eacces), "asked bits not in the mode");
    assert_eq!(lab.semget(owner.thread, 0x5f, 1, 0), Err(Errno::Enoent));
    assert_eq!(lab.semop(owner.thread, id + 1, &[sembuf(0, 1, 0)], None), Err(Errno::Einval));
    assert_eq!(lab.semop(owner.thread, id, &vec![sembuf(0, 1, 0); 513], None), Err(Errno::E2big));
    assert_eq!(lab.semop(owner.thread, id + 1, &vec![sembuf(0, 1, 0); 4097], None), Err(Errno::Efault));
    assert_eq!(lab.semop(other.thread, id, &[sembuf(2, 1, 0)], None), Err(Errno::Efbig), "EFBIG before EACCES");
    assert_eq!(lab.semop(other.thread, id, &[sembuf(0, 0, 0)], None), Err(Errno::Eacces));
    assert_eq!(lab.semop(owner.thread, id, &[sembuf(0, 1, 0o1)], None), Err(Errno::Einval), "unknown sem_flg");
    assert_eq!(lab.semop(owner.thread, id, &[sembuf(0, -1, NOWAIT)], None), Err(Errno::Eagain));
    assert_eq!(lab.semop(owner.thread, id, &[], None), Ok(SemopOutcome::Done));
    lab.semctl_setval(owner.thread, id, 0, 65_535).unwrap();
    assert_eq!(lab.semop(owner.thread, id, &[sembuf(1, 1, 0), sembuf(0, 1, 0)], None), Err(Errno::Erange));
    assert_eq!(lab.semctl_getall(owner.thread, id), Ok(vec![65_535, 0]), "nothing applied");
    let ev = lab.last_event();
    assert_eq!(ev.call, "semctl");
    assert_eq!(lab.semids(owner.thread), Ok(vec![id]));
}

#[test]
fn a_partly_satisfiable_array_changes_nothing_and_parks() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = set(&mut lab, a, 3, 0o600);
    lab.semctl_setall(a.thread, id, &[1, 1, 0]).unwrap();
    let r = lab.semop(b.thread, id, &[sembuf(0, -1, 0), sembuf(1, -1, 0), sembuf(2, -1, 0)], None).unwrap();
    let SemopOutcome::Blocked(reason) = r else { panic!("must park") };
    assert!(reason.contains("semaphore 2") && reason.contains("needs semval ≥ 1"), "{reason}");
    assert_eq!(lab.semctl_getall(a.thread, id), Ok(vec![1, 1, 0]), "rolled back while it waits");
    assert_eq!(lab.semctl_get(a.thread, id, 2, GETNCNT), Ok(1));
    let view = &lab.sem_sets()[0];
    assert_eq!(view.waiters.len(), 1);
    assert_eq!(view.waiters[0].sops.len(), 3);
    assert_eq!(view.waiters[0].sem_num, 2);
    assert!(view.waiters[0].waiter.reason.contains("needs semval"));
    done(&mut lab, a, id, &[sembuf(2, 1, 0)]).unwrap();
    let woke = lab.last_event().woke;
    assert_eq!(woke.len(), 1);
    assert_eq!(woke[0].call, "semop");
    assert_eq!(lab.take_result(b.thread).unwrap().result, Ok(Reply::None));
    assert_eq!(lab.semctl_getall(a.thread, id), Ok(vec![0, 0, 0]));
    assert_eq!(lab.semctl_get(a.thread, id, 1, GETPID), Ok(lab.pid(b.process)));
}

#[test]
fn a_chain_of_wake_ups_in_one_operation() {
    let mut lab = Lab::new();
    let p: Vec<Proc> = (0..4).map(|_| lab.spawn(100, 10)).collect();
    let id = set(&mut lab, p[0], 3, 0o600);
    // p1: s0 -1 then s1 +1;  p2: s1 -1 then s2 +1;  p3: s2 -1.
    assert!(matches!(
        lab.semop(p[1].thread, id, &[sembuf(0, -1, 0), sembuf(1, 1, 0)], None),
        Ok(SemopOutcome::Blocked(_))
    ));
    assert!(matches!(
        lab.semop(p[2].thread, id, &[sembuf(1, -1, 0), sembuf(2, 1, 0)], None),
        Ok(SemopOutcome::Blocked(_))
    ));
    assert!(matches!(lab.semop(p[3].thread, id, &[sembuf(2, -1, 0)], None), Ok(SemopOutcome::Blocked(_))));
    done(&mut lab, p[0], id, &[sembuf(0, 1, 0)]).unwrap();
    let woke: Vec<u32> = lab.last_event().woke.iter().map(|w| w.pid).collect();
    let pids: Vec<u32> = p[1..].iter().map(|q| lab.pid(q.process)).collect();
    assert_eq!(woke, pids, "each completion lets the next complete, in one operation");
    assert_eq!(lab.semctl_getall(p[0].thread, id), Ok(vec![0, 0, 0]));
}

#[test]
fn sem_undo_at_exit_rmid_with_waiters_and_timeouts() {
    let mut lab = Lab::new();
    let admin = lab.spawn(100, 10);
    let worker = lab.spawn(100, 10);
    let waiter = lab.spawn(100, 10);
    let id = set(&mut lab, admin, 1, 0o600);
    done(&mut lab, worker, id, &[sembuf(0, 2, SEM_UNDO)]).unwrap();
    let undos = lab.sem_sets()[0].undos.clone();
    assert_eq!((undos.len(), undos[0].adjust.clone()), (1, vec![-2]));
    assert!(matches!(lab.semop(waiter.thread, id, &[sembuf(0, 0, 0)], None), Ok(SemopOutcome::Blocked(_))));
    lab.exit(worker.process).unwrap();
    assert_eq!(lab.take_result(waiter.thread).unwrap().result, Ok(Reply::None), "the exit adjustment reached 0");
    assert!(lab.sem_sets()[0].undos.is_empty());
    // A timeout (semtimedop) and RMID with a waiter.
    let r = lab.semop(waiter.thread, id, &[sembuf(0, -1, 0)], Some(50)).unwrap();
    assert!(matches!(r, SemopOutcome::Blocked(ref s) if s.starts_with("semtimedop")), "{r:?}");
    lab.advance(50);
    assert_eq!(lab.take_result(waiter.thread).unwrap().result, Err(Errno::Eagain));
    assert!(matches!(lab.semop(waiter.thread, id, &[sembuf(0, -1, 0)], None), Ok(SemopOutcome::Blocked(_))));
    assert_eq!(lab.interrupt(waiter.thread), Ok(true));
    assert_eq!(lab.take_result(waiter.thread).unwrap().result, Err(Errno::Eintr));
    assert!(matches!(lab.semop(waiter.thread, id, &[sembuf(0, -1, 0)], None), Ok(SemopOutcome::Blocked(_))));
    lab.semctl_rmid(admin.thread, id).unwrap();
    assert_eq!(lab.take_result(waiter.thread).unwrap().result, Err(Errno::Eidrm));
    assert!(lab.sem_sets().is_empty());
    assert_eq!(lab.semctl_getall(admin.thread, id), Err(Errno::Einval));
}

#[test]
fn semctl_typed_and_raw() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let other = lab.spawn(200, 10);
    let id = set(&mut lab, owner, 2, 0o640);
    assert_eq!(lab.semctl(owner.thread, id, 0, IPC_SET, &SemctlArg::None), Err(Errno::Efault));
    assert_eq!(lab.semctl(owner.thread, id, 0, SETALL, &SemctlArg::None), Err(Errno::Efault));
    assert_eq!(lab.semctl(owner.thread, id, 0, SETALL, &SemctlArg::Array(vec![1, 2])), Ok(SemctlReply::Done));
    assert_eq!(lab.semctl(other.thread, id, 0, GETALL, &SemctlArg::None), Ok(SemctlReply::Values(vec![1, 2])));
    assert_eq!(lab.semctl(other.thread, id, 0, SETVAL, &SemctlArg::Val(3)), Err(Errno::Eacces));
    assert_eq!(lab.semctl(owner.thread, id, 1, SETVAL, &SemctlArg::Val(-1)), Err(Errno::Erange));
    assert_eq!(lab.semctl(owner.thread, id, 1, GETVAL, &SemctlArg::None), Ok(SemctlReply::Value(2)));
    assert_eq!(lab.semctl_get(owner.thread, id, 2, GETZCNT), Err(Errno::Einval));
    assert_eq!(lab.semctl_setall(owner.thread, id, &[1]), Err(Errno::Einval));
    assert_eq!(lab.semctl(owner.thread, id, 0, 99, &SemctlArg::None), Err(Errno::Einval));
    let ds = lab.semctl_stat(other.thread, id).unwrap();
    assert_eq!((ds.nsems, ds.perm.mode & 0o777), (2, 0o640));
    assert_eq!(lab.semctl_set(other.thread, id, SemidSet { uid: 1, gid: 1, mode: 0o666 }), Err(Errno::Eperm));
    lab.semctl_set(owner.thread, id, SemidSet { uid: 100, gid: 10, mode: 0o666 }).unwrap();
    assert_eq!(lab.semctl(other.thread, id, 0, SETVAL, &SemctlArg::Val(3)), Ok(SemctlReply::Done));
    assert!(matches!(lab.semctl(owner.thread, id, 0, IPC_STAT, &SemctlArg::None), Ok(SemctlReply::Stat(_))));
    assert_eq!(lab.semctl(owner.thread, id, 0, IPC_RMID, &SemctlArg::None), Ok(SemctlReply::Done));
}

#[test]
fn semop_in_a_batch() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = set(&mut lab, p, 1, 0o600);
    let ops = [
        Op::Semop(SemopOp { semid: id, sops: vec![sembuf(0, 1, 0)] }),
        Op::Semop(SemopOp { semid: id, sops: vec![sembuf(0, -1, 0)] }),
        Op::Semop(SemopOp { semid: id, sops: vec![sembuf(5, -1, 0)] }),
        Op::Semop1(Semop1Op { semid: id, op: sembuf(0, -1, 0) }),
        Op::Semop(SemopOp { semid: id, sops: vec![sembuf(0, 1, 0)] }),
    ];
    let r = lab.batch(p.thread, &ops).unwrap();
    assert_eq!(r.len(), 4, "stops at the park: {r:?}");
    assert_eq!(r[..3], [Ok(OpResult::Done), Ok(OpResult::Done), Err(Errno::Efbig)]);
    assert!(matches!(r[3], Ok(OpResult::Blocked(_))));
}

#[test]
fn hostile_semaphore_input_never_traps() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = set(&mut lab, p, 3, 0o600);
    for nsems in [i32::MIN, -1, 0, 513, i32::MAX] {
        assert_eq!(lab.semget(p.thread, IPC_PRIVATE, nsems, IPC_CREAT | 0o600), Err(Errno::Einval));
    }
    for semid in [i32::MIN, -1, id + (1 << 24), i32::MAX] {
        assert_eq!(lab.semop(p.thread, semid, &[sembuf(0, 1, 0)], None), Err(Errno::Einval));
        assert_eq!(lab.semctl(p.thread, semid, 0, GETALL, &SemctlArg::None), Err(Errno::Einval));
    }
    for op in [i16::MIN, -1, i16::MAX] {
        for flg in [i16::MIN, -1, 0, NOWAIT, SEM_UNDO, i16::MAX] {
            for num in [0u16, 2, 3, u16::MAX] {
                let _ = lab.semop(p.thread, id, &[sembuf(num, op, flg | NOWAIT)], Some(0));
                let _ = lab.take_result(p.thread);
            }
        }
    }
    for cmd in [i32::MIN, -1, 0, 1, 2, 13, i32::MAX] {
        for semnum in [0, 3, u32::MAX] {
            for arg in [SemctlArg::None, SemctlArg::Val(i32::MIN), SemctlArg::Array(vec![u32::MAX; 3])] {
                let _ = lab.semctl(p.thread, id, semnum, cmd, &arg);
            }
        }
    }
    for val in [i32::MIN, -1, 65_536, i32::MAX] {
        assert_eq!(lab.semctl_setval(p.thread, id, 0, val), Err(Errno::Erange));
    }
    assert_eq!(lab.semctl_setall(p.thread, id, &[u32::MAX, 0, 0]), Err(Errno::Erange));
    assert_eq!(lab.semctl_setall(p.thread, id, &vec![0; 100_000]), Err(Errno::Einval));
    // A hostile configuration is refused, not trapped on.
    let mut cfg = lab.default_config();
    cfg.sem.value_max = 70_000;
    assert_eq!(lab.create(&cfg).err(), Some(Errno::Einval));
    cfg.sem = SemLimits { max_nsems: 0, max_ops: 0, value_max: 0, max_sets: 0 };
    assert_eq!(lab.create(&cfg).err(), Some(Errno::Einval));
    lab.assert_alive();
    // The state survives a snapshot round trip.
    let snap = lab.snapshot();
    lab.restore(&snap).unwrap();
    assert_eq!(lab.semctl_getall(p.thread, id).map(|v| v.len()), Ok(3));
}

/// `semop1` is `semop` with a one-element array: same results, same event words.
#[test]
fn semop1_is_a_one_element_semop() {
    let run = |one: bool| {
        let mut lab = Lab::new();
        let p = lab.spawn(100, 10);
        let id = set(&mut lab, p, 2, 0o600);
        let (_, cursor) = lab.events(0);
        let mut results = Vec::new();
        let ops = [sembuf(0, 1, 0), sembuf(1, -1, NOWAIT), sembuf(3, 1, 0), sembuf(0, -1, SEM_UNDO), sembuf(0, 0, 0)];
        for (op, timeout) in ops.into_iter().map(|o| (o, None)).chain([(sembuf(1, -1, 0), Some(5))]) {
            let r = if one {
                lab.semop1(p.thread, id, op, timeout).map(|o| o == Semop1Outcome::Parked)
            } else {
                lab.semop(p.thread, id, &[op], timeout).map(|o| matches!(o, SemopOutcome::Blocked(_)))
            };
            results.push(r);
        }
        let words: Vec<String> = lab.events(cursor).0.into_iter().map(|e| e.text).collect();
        (results, words)
    };
    let (one, single) = (run(true), run(false));
    assert_eq!(one, single);
    assert_eq!(one.0, vec![Ok(false), Err(Errno::Eagain), Err(Errno::Efbig), Ok(false), Ok(false), Ok(true)]);
    assert!(one.1.last().is_some_and(|w| w.contains("semtimedop")), "{:?}", one.1);
}
