//! System V semaphore arrays: named behaviour tests in sem.c's terms, and
//! a property test against a simple reference model.

mod common;

use common::*;
use ipc_core::Reply;
use ipc_core::sem::{
    GETALL, GETNCNT, SEM_UNDO, SETALL, SETVAL, SemArg, SemBuf, SemGet, SemLimits, SemReply, SemSetPerm, SemctlReply,
};
use proptest::prelude::*;

fn op(sem_num: u16, sem_op: i16, sem_flg: i16) -> SemBuf {
    SemBuf { sem_num, sem_op, sem_flg }
}

const NOWAIT: i16 = IPC_NOWAIT as i16;

fn set(k: &mut Kernel, t: Tid, nsems: i32) -> i32 {
    k.semget(t, IPC_PRIVATE, nsems, IPC_CREAT | 0o600).unwrap()
}

fn vals(k: &mut Kernel, t: Tid, id: i32) -> Vec<u32> {
    k.semctl_getall(t, id).unwrap()
}

fn done(k: &mut Kernel, t: Tid, id: i32, sops: &[SemBuf]) -> Result<(), Errno> {
    match k.semop(t, id, sops, None) {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("semop parked: {reason}"),
    }
}

#[test]
fn semget_sizes_and_existing_sets() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    assert_eq!(k.semget(t, IPC_PRIVATE, 0, IPC_CREAT | 0o600), Err(Errno::EINVAL), "a new set needs nsems > 0");
    assert_eq!(k.semget(t, IPC_PRIVATE, 513, IPC_CREAT | 0o600), Err(Errno::EINVAL), "above process.max-sem-nsems");
    assert_eq!(k.semget(t, IPC_PRIVATE, -1, IPC_CREAT | 0o600), Err(Errno::EINVAL));
    let id = k.semget(t, 0x51, 3, IPC_CREAT | 0o600).unwrap();
    assert_eq!(k.semget(t, 0x51, 0, 0), Ok(id), "0 finds any size");
    assert_eq!(k.semget(t, 0x51, 3, 0), Ok(id));
    assert_eq!(k.semget(t, 0x51, 4, 0), Err(Errno::EINVAL), "more than it has");
    assert_eq!(k.semget(t, 0x51, -1, 0), Err(Errno::EINVAL));
    assert_eq!(k.semget(t, 0x51, 1, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
    assert_eq!(k.semget(t, 0x52, 1, 0o10000 | IPC_CREAT), Err(Errno::EINVAL), "unknown flag bits");
    let ds = k.semctl_stat(t, id).unwrap();
    assert_eq!((ds.nsems, ds.otime), (3, 0));
    assert_eq!(vals(&mut k, t, id), vec![0, 0, 0]);
    // The namespace is shared machinery: a separate id space from msg.
    let q = k.msgget(t, 0x51, IPC_CREAT | 0o600).unwrap();
    assert_eq!(q, id & 0xff_ffff, "msg and sem have their own slot tables");
    k.check().unwrap();
}

/// semget's size check comes after the allocation test, as sem.c does it.
#[test]
fn a_bad_size_is_tested_after_the_id_limit() {
    let mut k = kernel();
    k.set_project_limit(1, Facility::Sem, 0).unwrap();
    let t = user(&mut k, 100, 10);
    assert_eq!(k.semget(t, IPC_PRIVATE, 0, IPC_CREAT | 0o600), Err(Errno::ENOSPC));
}

#[test]
fn semop_applies_all_or_nothing_in_order() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = set(&mut k, t, 3);
    done(&mut k, t, id, &[op(0, 2, 0), op(1, 1, 0)]).unwrap();
    assert_eq!(vals(&mut k, t, id), vec![2, 1, 0]);
    // The last element cannot proceed: nothing is applied.
    assert_eq!(done(&mut k, t, id, &[op(0, -1, 0), op(1, -1, 0), op(2, -1, NOWAIT)]), Err(Errno::EAGAIN));
    assert_eq!(vals(&mut k, t, id), vec![2, 1, 0], "rolled back");
    // In order: +1 then -1 on the same semaphore succeeds; the other order waits.
    done(&mut k, t, id, &[op(2, 1, 0), op(2, -1, 0)]).unwrap();
    assert_eq!(done(&mut k, t, id, &[op(2, -1, NOWAIT), op(2, 1, 0)]), Err(Errno::EAGAIN));
    // Wait-for-zero.
    assert_eq!(done(&mut k, t, id, &[op(0, 0, NOWAIT)]), Err(Errno::EAGAIN));
    done(&mut k, t, id, &[op(2, 0, 0)]).unwrap();
    assert_eq!(k.semop(t, id, &[], None), Outcome::Done(Ok(())), "no operations: success");
    let pid = pid_of(&k, t);
    assert_eq!(k.semctl_get(t, id, 2, SemGet::Pid), Ok(pid));
    assert!(k.semctl_stat(t, id).unwrap().otime == k.now());
    k.check().unwrap();
}

#[test]
fn erange_includes_cumulative_overflow_and_changes_nothing() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = set(&mut k, t, 2);
    k.semctl_setval(t, id, 0, 65_000).unwrap();
    assert_eq!(done(&mut k, t, id, &[op(1, 5, 0), op(0, 400, 0), op(0, 200, 0)]), Err(Errno::ERANGE));
    assert_eq!(vals(&mut k, t, id), vec![65_000, 0]);
    assert_eq!(k.semctl_setval(t, id, 0, 65_536), Err(Errno::ERANGE));
    assert_eq!(k.semctl_setval(t, id, 0, -1), Err(Errno::ERANGE));
    assert_eq!(k.semctl_setall(t, id, &[1, 70_000]), Err(Errno::ERANGE));
    assert_eq!(vals(&mut k, t, id), vec![65_000, 0], "SETALL changed nothing");
}

/// sem.c's check order: lookup, E2BIG, then one pass for EFBIG, then EACCES.
#[test]
fn semop_check_order_follows_sem_c() {
    let mut k = kernel();
    let owner = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    let id = set(&mut k, owner, 2);
    let many = vec![op(0, 1, 0); 513];
    assert_eq!(k.semop(other, id + 1, &many, None), Outcome::Done(Err(Errno::EINVAL)), "lookup first");
    assert_eq!(k.semop(other, id, &many, None), Outcome::Done(Err(Errno::E2BIG)));
    let huge = vec![op(0, 1, 0); 4097];
    assert_eq!(k.semop(other, id + 1, &huge, None), Outcome::Done(Err(Errno::EFAULT)), "sem.c's copy-in path");
    assert_eq!(k.semop(other, id, &[op(5, 1, 0)], None), Outcome::Done(Err(Errno::EFBIG)), "EFBIG before EACCES");
    assert_eq!(k.semop(other, id, &[op(1, 1, 0)], None), Outcome::Done(Err(Errno::EACCES)));
    assert_eq!(k.semop(owner, id, &[op(0, 1, 0o400)], None), Outcome::Done(Err(Errno::EINVAL)), "unknown sem_flg");
    // Read permission suffices for wait-for-zero, alter is needed otherwise.
    k.semctl_set(owner, id, SemSetPerm { uid: 100, gid: 10, mode: 0o644 }).unwrap();
    assert_eq!(k.semop(other, id, &[op(0, 0, 0)], None), Outcome::Done(Ok(())));
    assert_eq!(k.semop(other, id, &[op(0, 1, 0)], None), Outcome::Done(Err(Errno::EACCES)));
}

#[test]
fn a_parked_decrement_is_woken_by_an_increment() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = set(&mut k, a, 1);
    let Outcome::Blocked(reason) = k.semop(a, id, &[op(0, -2, 0)], None) else { panic!("must park") };
    assert!(reason.contains("semaphore 0") && reason.contains("needs semval ≥ 2"), "{reason}");
    assert_eq!(k.semctl_get(b, id, 0, SemGet::Ncnt), Ok(1));
    done(&mut k, b, id, &[op(0, 1, 0)]).unwrap();
    assert_eq!(k.thread(a).map(|t| matches!(t.state, ipc_core::kernel::proc::ThreadState::Blocked(_))), Some(true));
    done(&mut k, b, id, &[op(0, 1, 0)]).unwrap();
    let c = k.take_result(a).unwrap();
    assert_eq!((c.call(), c.result), ("semop", Ok(Reply::Sem(SemReply::Done))));
    assert_eq!(vals(&mut k, b, id), vec![0]);
    assert_eq!(k.semctl_get(b, id, 0, SemGet::Ncnt), Ok(0));
    assert_eq!(k.semctl_get(b, id, 0, SemGet::Pid), Ok(pid_of(&k, a)), "the woken caller applied last");
    k.check().unwrap();
}

#[test]
fn one_operation_completes_a_chain_of_waiters_in_arrival_order() {
    let mut k = kernel();
    let t: Vec<Tid> = (0..4).map(|_| user(&mut k, 100, 10)).collect();
    let id = set(&mut k, t[0], 2);
    // t1 needs s0 ≥ 1 and then gives s1 one; t2 needs s1 ≥ 1; t3 waits for s0 == 0.
    assert!(k.semop(t[1], id, &[op(0, -1, 0), op(1, 1, 0)], None).is_blocked());
    assert!(k.semop(t[2], id, &[op(1, -1, 0)], None).is_blocked());
    done(&mut k, t[0], id, &[op(0, 1, 0)]).unwrap();
    let woke: Vec<Tid> = k.last_event().unwrap().woke.iter().map(|w| w.tid).collect();
    assert_eq!(woke, vec![t[1], t[2]], "the first caller's operations let the second complete");
    assert_eq!(vals(&mut k, t[0], id), vec![0, 0]);
    assert!(k.take_result(t[1]).is_ok() && k.take_result(t[2]).is_ok());
    k.check().unwrap();
}

#[test]
fn equal_waiters_are_served_in_arrival_order() {
    let mut k = kernel();
    let t: Vec<Tid> = (0..3).map(|_| user(&mut k, 100, 10)).collect();
    let id = set(&mut k, t[0], 1);
    assert!(k.semop(t[1], id, &[op(0, -1, 0)], None).is_blocked());
    assert!(k.semop(t[2], id, &[op(0, -1, 0)], None).is_blocked());
    done(&mut k, t[0], id, &[op(0, 1, 0)]).unwrap();
    let woke: Vec<Tid> = k.last_event().unwrap().woke.iter().map(|w| w.tid).collect();
    assert_eq!(woke, vec![t[1]]);
    assert_eq!(k.semctl_get(t[0], id, 0, SemGet::Ncnt), Ok(1));
    k.semctl_setval(t[0], id, 0, 1).unwrap();
    assert_eq!(k.last_event().unwrap().woke.iter().map(|w| w.tid).collect::<Vec<_>>(), vec![t[2]], "SETVAL wakes");
}

#[test]
fn zero_waiters_wake_when_the_value_reaches_zero() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = set(&mut k, a, 1);
    k.semctl_setval(a, id, 0, 2).unwrap();
    let Outcome::Blocked(reason) = k.semop(a, id, &[op(0, 0, 0)], None) else { panic!() };
    assert!(reason.contains("to become 0"), "{reason}");
    assert_eq!(k.semctl_get(b, id, 0, SemGet::Zcnt), Ok(1));
    done(&mut k, b, id, &[op(0, -1, 0)]).unwrap();
    assert!(k.last_event().unwrap().woke.is_empty());
    done(&mut k, b, id, &[op(0, -1, 0)]).unwrap();
    assert_eq!(k.take_result(a).unwrap().result, Ok(Reply::Sem(SemReply::Done)));
    k.check().unwrap();
}

/// sem.c would leave this array asleep (SETVAL 3 -> 2 is neither a rise nor
/// a zero); here a parked call ends whenever its whole array can be applied.
#[test]
fn an_applicable_array_never_stays_asleep() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let id = set(&mut k, a, 1);
    let admin = user(&mut k, 100, 10);
    k.semctl_setval(admin, id, 0, 3).unwrap();
    assert!(k.semop(a, id, &[op(0, -2, 0), op(0, 0, 0)], None).is_blocked());
    assert_eq!(k.semctl_get(admin, id, 0, SemGet::Zcnt), Ok(1), "counted where it stopped: waiting for zero");
    k.semctl_setval(admin, id, 0, 2).unwrap();
    assert_eq!(k.take_result(a).unwrap().result, Ok(Reply::Sem(SemReply::Done)));
    assert_eq!(vals(&mut k, admin, id), vec![0]);
}

#[test]
fn a_woken_caller_that_must_wait_again_is_counted_where_it_stopped() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = set(&mut k, a, 2);
    // a needs s0 ≥ 1 and s1 ≥ 1.
    assert!(k.semop(a, id, &[op(0, -1, 0), op(1, -1, 0)], None).is_blocked());
    assert_eq!(k.semctl_get(b, id, 0, SemGet::Ncnt), Ok(1));
    done(&mut k, b, id, &[op(0, 1, 0)]).unwrap();
    assert_eq!((k.semctl_get(b, id, 0, SemGet::Ncnt), k.semctl_get(b, id, 1, SemGet::Ncnt)), (Ok(0), Ok(1)));
    assert!(k.wait_of(a).unwrap().chan.to_string().contains("semaphore 1"));
    assert_eq!(vals(&mut k, b, id), vec![1, 0], "its partial application was rolled back");
    done(&mut k, b, id, &[op(1, 1, 0)]).unwrap();
    assert!(k.take_result(a).is_ok());
    assert_eq!(vals(&mut k, b, id), vec![0, 0]);
    k.check().unwrap();
}

#[test]
fn rmid_interrupt_and_timeout_end_a_wait() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let c = user(&mut k, 100, 10);
    let id = set(&mut k, a, 1);
    assert!(k.semop(a, id, &[op(0, -1, 0)], None).is_blocked());
    assert!(k.semop(b, id, &[op(0, -1, 0)], Some(10)).is_blocked());
    assert_eq!(k.wait_of(b).unwrap().chan.to_string().split(':').next(), Some("semtimedop"));
    assert_eq!(k.semop(c, id, &[op(0, -1, 0)], Some(0)), Outcome::Done(Err(Errno::EAGAIN)), "a zero timeout");
    k.advance(10);
    assert_eq!(k.take_result(b).unwrap().result, Err(Errno::EAGAIN));
    assert_eq!(k.semctl_get(c, id, 0, SemGet::Ncnt), Ok(1));
    k.interrupt(a).unwrap();
    assert_eq!(k.take_result(a).unwrap().result, Err(Errno::EINTR));
    assert!(k.semop(a, id, &[op(0, -1, 0)], None).is_blocked());
    k.check().unwrap();
    k.semctl_rmid(c, id).unwrap();
    assert_eq!(k.take_result(a).unwrap().result, Err(Errno::EIDRM));
    assert_eq!(k.sem_service().objects().count(), 0, "destroyed once its waiters let go");
    assert_eq!(k.semctl_getall(c, id), Err(Errno::EINVAL), "a stale id");
    k.check().unwrap();
}

#[test]
fn sem_undo_is_applied_at_exit_and_skips_what_is_out_of_range() {
    let mut k = kernel();
    let admin = user(&mut k, 100, 10);
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = set(&mut k, admin, 2);
    k.semctl_setval(admin, id, 1, 5).unwrap();
    done(&mut k, t, id, &[op(0, 3, SEM_UNDO), op(1, -2, SEM_UNDO)]).unwrap();
    assert_eq!(vals(&mut k, admin, id), vec![3, 3]);
    let view = k.sem_set_views();
    assert_eq!(view[0].undos.len(), 1);
    assert_eq!((view[0].undos[0].pid, view[0].undos[0].adjust.clone()), (p, vec![-3, 2]));
    assert_eq!(view[0].refs, 2, "the undo record holds the set");
    // The admin takes s0 down to 1: the -3 adjustment no longer fits and is skipped.
    done(&mut k, admin, id, &[op(0, -2, 0)]).unwrap();
    // A fork does not inherit undo records.
    let (child, ct) = k.fork(p).unwrap();
    done(&mut k, ct, id, &[op(0, 1, 0)]).unwrap();
    k.exit(child).unwrap();
    assert_eq!(vals(&mut k, admin, id), vec![2, 3]);
    k.exit(p).unwrap();
    let steps = last_steps(&k);
    assert!(steps.iter().any(|s| s.contains("skipped: out of range")), "{steps:?}");
    assert_eq!(vals(&mut k, admin, id), vec![2, 5], "+2 applied; -3 on a value of 2 skipped");
    assert!(k.sem_set_views()[0].undos.is_empty());
    assert_eq!(k.sem_set_views()[0].refs, 1);
    k.check().unwrap();
}

#[test]
fn exit_adjustments_wake_waiters_and_setval_clears_adjustments() {
    let mut k = kernel();
    let admin = user(&mut k, 100, 10);
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let w = user(&mut k, 100, 10);
    let id = set(&mut k, admin, 2);
    k.semctl_setall(admin, id, &[1, 1]).unwrap();
    done(&mut k, t, id, &[op(0, -1, SEM_UNDO), op(1, -1, SEM_UNDO)]).unwrap();
    assert!(k.semop(w, id, &[op(0, -1, 0)], None).is_blocked());
    k.semctl_setval(admin, id, 1, 0).unwrap();
    assert_eq!(k.sem_set_views()[0].undos[0].adjust, vec![1, 0], "SETVAL cleared semaphore 1's adjustment");
    k.exit(p).unwrap();
    assert!(k.take_result(w).is_ok(), "the +1 at exit woke the waiter");
    assert_eq!(vals(&mut k, admin, id), vec![0, 0]);
    k.check().unwrap();
}

#[test]
fn undo_adjustments_are_bounded() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = set(&mut k, t, 1);
    k.semctl_setval(t, id, 0, 65_535).unwrap();
    done(&mut k, t, id, &[op(0, -32_000, SEM_UNDO), op(0, -32_000, SEM_UNDO)]).unwrap();
    done(&mut k, t, id, &[op(0, 30_000, 0)]).unwrap();
    assert_eq!(done(&mut k, t, id, &[op(0, -1000, SEM_UNDO), op(0, -1000, SEM_UNDO)]), Err(Errno::ERANGE));
    assert_eq!(vals(&mut k, t, id), vec![31_535], "rolled back, values and adjustments");
    assert_eq!(k.sem_set_views()[0].undos[0].adjust, vec![64_000]);
    k.check().unwrap();
}

#[test]
fn semctl_commands_and_their_errnos() {
    let mut k = kernel();
    let owner = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 10);
    let id = k.semget(owner, 0x77, 2, IPC_CREAT | 0o640).unwrap();
    assert_eq!(k.semctl(owner, id, 0, IPC_SET, SemArg::None), Err(Errno::EFAULT), "IPC_SET needs a buffer");
    assert_eq!(k.semctl(owner, id + 64, 0, IPC_SET, SemArg::None), Err(Errno::EFAULT), "checked before the lookup");
    assert_eq!(k.semctl(owner, id, 0, SETALL, SemArg::None), Err(Errno::EFAULT));
    // SETVAL without a value is EINVAL (never a silent 0), before the lookup.
    let before = k.semctl(owner, id, 0, GETALL, SemArg::None);
    for arg in [SemArg::None, SemArg::Array(vec![5])] {
        assert_eq!(k.semctl(owner, id, 0, SETVAL, arg.clone()), Err(Errno::EINVAL), "{arg:?}");
        assert_eq!(k.semctl(owner, id + 64, 0, SETVAL, arg), Err(Errno::EINVAL), "checked before the lookup");
    }
    assert_eq!(k.semctl(owner, id, 0, GETALL, SemArg::None), before, "nothing was set");
    assert_eq!(k.semctl(owner, id + 64, 0, SETALL, SemArg::None), Err(Errno::EINVAL), "SETALL looks up first");
    assert_eq!(k.semctl(owner, id, 0, SETALL, SemArg::Array(vec![1])), Err(Errno::EINVAL), "wrong length");
    assert_eq!(k.semctl(other, id, 0, SETALL, SemArg::Array(vec![1, 2])), Err(Errno::EACCES));
    assert_eq!(k.semctl(owner, id, 7, SETALL, SemArg::Array(vec![1, 2])), Ok(SemctlReply::Done), "semnum ignored");
    assert_eq!(k.semctl(owner, id, 9, GETALL, SemArg::None), Ok(SemctlReply::Values(vec![1, 2])));
    assert_eq!(k.semctl(other, id, 1, GETNCNT, SemArg::None), Ok(SemctlReply::Value(0)), "group read");
    assert_eq!(k.semctl(other, id, 2, GETNCNT, SemArg::None), Err(Errno::EINVAL), "semnum range");
    assert_eq!(k.semctl(other, id, 0, SETVAL, SemArg::Val(1)), Err(Errno::EACCES), "alter before semnum");
    assert_eq!(k.semctl(owner, id, 5, SETVAL, SemArg::Val(1)), Err(Errno::EINVAL));
    assert_eq!(k.semctl(owner, id, 0, 99, SemArg::None), Err(Errno::EINVAL));
    assert_eq!(k.semctl(owner, id + 64, 0, 99, SemArg::None), Err(Errno::EINVAL));
    let ctime = k.semctl_stat(owner, id).unwrap().ctime;
    k.advance(5);
    k.semctl_setval(owner, id, 0, 4).unwrap();
    assert_eq!(k.semctl_stat(owner, id).unwrap().ctime, ctime, "SETVAL leaves ctime, as sem.c does");
    let buf = SemSetPerm { uid: 300, gid: 30, mode: 0o600 };
    assert_eq!(k.semctl(other, id, 0, IPC_SET, SemArg::Buf(buf)), Err(Errno::EPERM));
    assert_eq!(k.semctl(owner, id, 0, IPC_SET, SemArg::Buf(buf)), Ok(SemctlReply::Done));
    let ds = k.semctl_stat(owner, id).unwrap();
    assert_eq!((ds.perm.uid, ds.perm.gid, ds.perm.mode & 0o777, ds.ctime), (300, 30, 0o600, 5));
    assert_eq!(k.semctl(other, id, 0, IPC_RMID, SemArg::None), Err(Errno::EPERM));
    assert_eq!(k.semctl(owner, id, 0, IPC_RMID, SemArg::None), Ok(SemctlReply::Done), "the creator still may");
    assert_eq!(k.semids(owner), Ok(vec![]));
    k.check().unwrap();
}

#[test]
fn zones_limits_and_snapshots_work_as_for_queues() {
    let mut k = kernel();
    let z = k.spawn(Credentials::user(100, 10), 4, 1).unwrap();
    let id = k.semget(z.1, 0x9, 1, IPC_CREAT | 0o600).unwrap();
    assert!(k.semop(z.1, id, &[op(0, -1, 0)], None).is_blocked());
    let json = serde_json::to_string(&k).unwrap();
    let back: Kernel = serde_json::from_str(&json).unwrap();
    assert_eq!(back, k);
    back.check().unwrap();
    k.exit(z.0).unwrap();
    assert_eq!(k.zone_remove(4), Ok(1));
    assert_eq!(k.sem_service().objects().count(), 0);
    k.set_zone_limit(5, Facility::Sem, 1).unwrap();
    let y = k.spawn(Credentials::user(100, 10), 5, 1).unwrap().1;
    k.semget(y, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    assert_eq!(k.semget(y, IPC_PRIVATE, 1, IPC_CREAT | 0o600), Err(Errno::ENOSPC));
    k.check().unwrap();
}

#[test]
fn limits_come_from_the_configuration() {
    let cfg = Config { sem: SemLimits { max_nsems: 4, max_ops: 2, value_max: 10, max_sets: 1 }, ..Config::default() };
    let mut k = Kernel::new(cfg).unwrap();
    let t = user(&mut k, 100, 10);
    assert_eq!(k.semget(t, IPC_PRIVATE, 5, IPC_CREAT | 0o600), Err(Errno::EINVAL));
    let id = k.semget(t, IPC_PRIVATE, 4, IPC_CREAT | 0o600).unwrap();
    assert_eq!(k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600), Err(Errno::ENOSPC));
    assert_eq!(done(&mut k, t, id, &[op(0, 1, 0); 3]), Err(Errno::E2BIG));
    assert_eq!(done(&mut k, t, id, &[op(0, 11, 0)]), Err(Errno::ERANGE));
    assert_eq!(k.semctl_setval(t, id, 0, 11), Err(Errno::ERANGE));
    let bad = Config { sem: SemLimits { value_max: 70_000, ..SemLimits::default() }, ..Config::default() };
    assert_eq!(Kernel::new(bad).err(), Some(Errno::EINVAL));
}

// ----- the property test -----

/// The reference: plain vectors of values, a list of parked arrays, and
/// each worker's adjust-on-exit values (None: no undo record).
struct Model {
    vals: Vec<i64>,
    parked: Vec<(usize, Vec<SemBuf>)>,
    aoe: Vec<Option<Vec<i64>>>,
}

impl Model {
    /// Applies `who`'s array if every element can proceed, in order.
    fn try_apply(&mut self, who: usize, sops: &[SemBuf]) -> bool {
        let mut v = self.vals.clone();
        let mut aoe = self.aoe[who].clone();
        for op in sops {
            let x = &mut v[op.sem_num as usize];
            match op.sem_op {
                d if d > 0 => *x += i64::from(d),
                d if d < 0 && *x >= i64::from(-d) => *x += i64::from(d),
                0 if *x == 0 => {}
                _ => return false,
            }
            if op.sem_flg & SEM_UNDO != 0 && op.sem_op != 0 {
                aoe.as_mut().expect("the record exists")[op.sem_num as usize] -= i64::from(op.sem_op);
            }
        }
        self.vals = v;
        self.aoe[who] = aoe;
        true
    }

    fn could_apply(&self, who: usize, sops: &[SemBuf]) -> bool {
        let mut probe = Model { vals: self.vals.clone(), parked: Vec::new(), aoe: self.aoe.clone() };
        probe.try_apply(who, sops)
    }

    /// Completes parked arrays, oldest applicable first, until none can.
    fn settle(&mut self) -> Vec<usize> {
        let mut woke = Vec::new();
        while let Some(i) = (0..self.parked.len()).find(|&i| self.could_apply(self.parked[i].0, &self.parked[i].1)) {
            let (who, sops) = self.parked.remove(i);
            assert!(self.try_apply(who, &sops));
            woke.push(who);
        }
        woke
    }

    /// `semexit`: adjustments that stay in range are applied, others skipped.
    fn exit(&mut self, who: usize) -> Vec<usize> {
        self.parked.retain(|p| p.0 != who);
        if let Some(aoe) = self.aoe[who].take() {
            for (n, adj) in aoe.into_iter().enumerate() {
                let v = self.vals[n] + adj;
                if adj != 0 && (0..=65_535).contains(&v) {
                    self.vals[n] = v;
                }
            }
        }
        self.settle()
    }
}

#[derive(Debug, Clone)]
enum Act {
    Semop { who: usize, sops: Vec<(u16, i16, bool)>, nowait: bool },
    SetVal { sem: u16, val: u32 },
    Interrupt { who: usize },
    Exit { who: usize },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => (0usize..4, proptest::collection::vec((0u16..3, -3i16..4, any::<bool>()), 1..4), any::<bool>())
            .prop_map(|(who, sops, nowait)| Act::Semop { who, sops, nowait }),
        1 => (0u16..3, 0u32..4).prop_map(|(sem, val)| Act::SetVal { sem, val }),
        1 => (0usize..4).prop_map(|who| Act::Interrupt { who }),
        1 => (0usize..4).prop_map(|who| Act::Exit { who }),
    ]
}

fn woke_tids(k: &Kernel) -> Vec<Tid> {
    k.last_event().unwrap().woke.iter().map(|w| w.tid).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    /// Values, completions, counters and undo records agree with the model
    /// after every step; no parked array could be applied (no lost
    /// wake-up); check() holds throughout.
    #[test]
    fn semaphores_match_the_model(acts in proptest::collection::vec(act(), 1..60)) {
        let mut k = kernel();
        let admin = user(&mut k, 0, 0);
        let mut workers: Vec<(Pid, Tid)> =
            (0..4).map(|_| k.spawn(Credentials::user(100, 10), 0, 1).unwrap()).collect();
        let id = k.semget(admin, IPC_PRIVATE, 3, IPC_CREAT | 0o666).unwrap();
        let mut m = Model { vals: vec![0; 3], parked: Vec::new(), aoe: vec![None; 4] };
        for a in acts {
            match a {
                Act::Semop { who, sops, nowait } => {
                    let t = workers[who].1;
                    if m.parked.iter().any(|p| p.0 == who) { continue; }
                    let flg = if nowait { NOWAIT } else { 0 };
                    let sops: Vec<SemBuf> =
                        sops.into_iter().map(|(n, d, u)| op(n, d, flg | if u { SEM_UNDO } else { 0 })).collect();
                    if sops.iter().any(|o| o.sem_flg & SEM_UNDO != 0 && o.sem_op != 0) && m.aoe[who].is_none() {
                        m.aoe[who] = Some(vec![0; 3]);
                    }
                    let got = k.semop(t, id, &sops, None);
                    if m.try_apply(who, &sops) {
                        prop_assert_eq!(got, Outcome::Done(Ok(())));
                        let want: Vec<Tid> = m.settle().into_iter().map(|w| workers[w].1).collect();
                        prop_assert_eq!(woke_tids(&k), want);
                    } else if nowait {
                        prop_assert_eq!(got, Outcome::Done(Err(Errno::EAGAIN)));
                    } else {
                        prop_assert!(got.is_blocked());
                        m.parked.push((who, sops));
                    }
                }
                Act::SetVal { sem, val } => {
                    k.semctl_setval(admin, id, u32::from(sem), val as i32).unwrap();
                    m.vals[sem as usize] = i64::from(val);
                    for aoe in m.aoe.iter_mut().flatten() {
                        aoe[sem as usize] = 0;
                    }
                    let want: Vec<Tid> = m.settle().into_iter().map(|w| workers[w].1).collect();
                    prop_assert_eq!(woke_tids(&k), want);
                }
                Act::Interrupt { who } => {
                    let parked = m.parked.iter().position(|p| p.0 == who);
                    prop_assert_eq!(k.interrupt(workers[who].1), Ok(parked.is_some()));
                    if let Some(i) = parked { m.parked.remove(i); }
                }
                Act::Exit { who } => {
                    k.exit(workers[who].0).unwrap();
                    let want: Vec<Tid> = m.exit(who).into_iter().map(|w| workers[w].1).collect();
                    prop_assert_eq!(woke_tids(&k), want);
                    workers[who] = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
                }
            }
            for &(_, t) in &workers {
                let _ = k.take_result(t);
            }
            prop_assert_eq!(k.check(), Ok(()));
            let got: Vec<i64> = vals(&mut k, admin, id).into_iter().map(i64::from).collect();
            prop_assert_eq!(&got, &m.vals);
            let view = &k.sem_set_views()[0];
            let counted: u32 = view.sems.iter().map(|s| s.semncnt + s.semzcnt).sum();
            prop_assert_eq!(counted as usize, m.parked.len(), "every parked caller is counted once");
            prop_assert_eq!(view.refs as usize, 1 + m.parked.len() + m.aoe.iter().flatten().count());
            for (w, aoe) in m.aoe.iter().enumerate() {
                let record = view.undos.iter().find(|u| u.pid == workers[w].0).map(|u| u.adjust.clone());
                let want = aoe.as_ref().map(|a| a.iter().map(|&x| x as i32).collect::<Vec<_>>());
                prop_assert_eq!(record, want, "worker {}'s undo record", w);
            }
            for (who, sops) in &m.parked {
                prop_assert!(!m.could_apply(*who, sops), "a parked array could proceed: lost wake-up");
            }
        }
    }
}

/// A restored snapshot whose semaphore state lies is refused by `check`.
#[test]
fn check_refuses_tampered_semaphore_snapshots() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let w = user(&mut k, 100, 10);
    let id = set(&mut k, t, 2);
    done(&mut k, t, id, &[op(0, 1, SEM_UNDO)]).unwrap();
    assert!(k.semop(w, id, &[op(1, -1, 0)], None).is_blocked());
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(serde_json::from_value::<Kernel>(json.clone()).unwrap().check(), Ok(()));
    let set_path = "/fac/sem/svc/objects/cells/0/body";
    for (path, value) in [
        (format!("{set_path}/sems/1/semncnt"), serde_json::json!(0)),
        (format!("{set_path}/sems/0/semval"), serde_json::json!(70_000)),
        (format!("{set_path}/waiters"), serde_json::json!([])),
        (format!("{set_path}/undos"), serde_json::json!([])),
        (format!("/fac/sem/undo/{p}"), serde_json::json!({})),
        (format!("{set_path}/waiters/0/sem_num"), serde_json::json!(0)),
        ("/fac/sem/svc/objects/cells/0/perm/refs".to_string(), serde_json::json!(1)),
    ] {
        let mut j = json.clone();
        *j.pointer_mut(&path).unwrap_or_else(|| panic!("no {path} in the snapshot")) = value.clone();
        let tampered: Kernel = serde_json::from_value(j).unwrap();
        assert!(tampered.check().is_err(), "tampering {path} = {value} went unnoticed");
    }
}
