//! Explanations: every errno of every call with a kernel path refuses at
//! the line the seed checks it on; successes, parks and wakes mark the
//! lines they took; the narration says what happened; and the marking
//! invariants hold for every event of a long random run.

mod common;
use common::*;
use ipc_core::explain::{self, Explanation, Mark};
use ipc_core::msg::MsgLimits;

/// The explanation of the newest event.
fn explained(k: &Kernel) -> Explanation {
    explain::explain(&k.last_event().expect("an event"))
}

/// The code of the refused line, if any.
fn refused_at(k: &Kernel) -> Option<String> {
    let x = explained(k);
    check_marks(&x, &k.last_event().unwrap());
    x.path.iter().find(|l| l.mark == Mark::Refused).map(|l| l.code.clone())
}

/// The codes of the lines with `mark`.
fn lines(k: &Kernel, mark: Mark) -> Vec<String> {
    explained(k).path.into_iter().filter(|l| l.mark == mark).map(|l| l.code).collect()
}

/// Asserts that the newest call refused at the line whose code contains `code`.
#[track_caller]
fn assert_refused(k: &Kernel, errno: Errno, code: &str) {
    let e = k.last_event().unwrap();
    assert_eq!(e.outcome, ipc_core::EventOutcome::Err(errno), "{e}");
    let at = refused_at(k).unwrap_or_else(|| panic!("no refused line for {e}: {:#?}", explained(k).path));
    assert!(at.contains(code), "{errno:?} refused at `{at}`, expected a line with `{code}` ({e})");
    let x = explained(k);
    assert!(x.narration.iter().any(|s| s.contains(errno.name())), "{:?}", x.narration);
}

/// The marking invariants of the theory statement.
fn check_marks(x: &Explanation, e: &ipc_core::Event) {
    let refused = x.path.iter().filter(|l| l.mark == Mark::Refused).count();
    let failed = matches!(e.outcome, ipc_core::EventOutcome::Err(_));
    assert!(refused <= 1, "{e}: {refused} refused lines");
    assert!(refused == 0 || failed, "{e}: a refused line on a call that did not fail");
    if let Some(at) = x.path.iter().position(|l| l.mark == Mark::Refused) {
        assert!(x.path[at + 1..].iter().all(|l| l.mark == Mark::NotReached), "{e}: lines marked after the refusal");
    }
    let parked = matches!(e.outcome, ipc_core::EventOutcome::Blocked(_));
    for (l, code) in x.path.iter().map(|l| (l, &l.code)) {
        if code.starts_with("cv_wait") && l.mark != Mark::NotReached && l.mark != Mark::Unknown {
            assert_eq!(l.mark == Mark::Taken, parked, "{e}: park line `{code}` is {:?}", l.mark);
        }
    }
    assert!(x.narration[0].contains(e.call.name()), "{:?}", x.narration);
}

#[test]
fn msgget_paths() {
    let mut k = small_kernel(4, 8);
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    assert!(k.msgget(t, 5, 0o1_000_000).is_err());
    assert_refused(&k, Errno::EINVAL, "flags");
    assert_eq!(k.msgget(t, 5, 0o600), Err(Errno::ENOENT));
    assert_refused(&k, Errno::ENOENT, "no IPC_CREAT");
    let id = k.msgget(t, 5, IPC_CREAT | 0o600).unwrap();
    let taken = lines(&k, Mark::Taken);
    assert!(taken.iter().any(|c| c.contains("avl_find")), "{taken:?}");
    assert!(taken.iter().any(|c| c.contains("ipc_commit_end")), "{taken:?}");
    assert!(taken.iter().any(|c| c.contains("avl_insert")), "{taken:?}");
    assert!(lines(&k, Mark::Skipped).iter().any(|c| c.contains("return its id")), "under a skipped `found:`");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.contains(&format!("{id:#x}"))), "{:?}", x.narration);
    assert_eq!(k.msgget(t, 5, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
    assert_refused(&k, Errno::EEXIST, "IPC_EXCL");
    assert_eq!(k.msgget(other, 5, 0o666), Err(Errno::EACCES));
    assert_refused(&k, Errno::EACCES, "asked mode");
    assert_eq!(k.msgget(t, 5, 0o600), Ok(id));
    assert!(lines(&k, Mark::Passed).iter().any(|c| c.contains("return its id")));
    assert!(lines(&k, Mark::Skipped).iter().any(|c| c.contains("ipc_commit_end")), "an existing key makes nothing");
    // Growth, then the project's limit.
    let mut grew = false;
    for key in 100..140 {
        k.msgget(t, key, IPC_CREAT | 0o600).unwrap();
        grew |= lines(&k, Mark::Taken).iter().any(|c| c.contains("ipc_grow"));
    }
    assert!(grew, "some msgget doubled the table and its path says so");
    k.set_project_limit(1, ipc_core::namespace::Facility::Msg, 41).unwrap();
    assert_eq!(k.msgget(t, IPC_PRIVATE, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "ipc_alloc_test");
}

#[test]
fn msgsnd_and_msgrcv_paths() {
    let limits = MsgLimits { max_queue_bytes: 8, ..MsgLimits::default() };
    let mut k = Kernel::new(Config { msg: limits, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let id = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    let _ = k.msgsnd(t, id, 1, b"x", 0o1, None);
    assert_refused(&k, Errno::EINVAL, "flags");
    let _ = send(&mut k, stranger, id, 0, b"x");
    assert_refused(&k, Errno::EINVAL, "mtype");
    let _ = send(&mut k, t, id + 1, 1, b"x");
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let _ = send(&mut k, t, id, 1, b"123456789");
    assert_refused(&k, Errno::EINVAL, "msgsz");
    let _ = send(&mut k, stranger, id, 1, b"x");
    assert_refused(&k, Errno::EACCES, "ipcperm_access");
    send(&mut k, t, id, 1, b"12345").unwrap();
    assert_eq!(lines(&k, Mark::Taken), vec!["fits (cbytes + msgsz ≤ qbytes, qnum < qmax): enqueue".to_string()]);
    let _ = send(&mut k, t, id, 1, b"12345");
    assert_refused(&k, Errno::EAGAIN, "IPC_NOWAIT");
    // A sender parks; a receiver takes the message and wakes it.
    let t2 = k.thread_create(pid_of(&k, t)).unwrap();
    assert!(k.msgsnd(t2, id, 2, b"6789", 0, None).is_blocked());
    assert!(lines(&k, Mark::Taken).iter().any(|c| c.starts_with("cv_wait_sig(snd_cv)")));
    assert!(lines(&k, Mark::Skipped).iter().any(|c| c.contains("enqueue")));
    let _ = recv(&mut k, stranger, id, 8, 0);
    assert_refused(&k, Errno::EACCES, "MSG_R");
    let _ = recv(&mut k, t, id, 2, 0);
    assert_refused(&k, Errno::E2BIG, "E2BIG");
    recv(&mut k, t, id, 8, 0).unwrap();
    let taken = lines(&k, Mark::Taken);
    assert!(taken.iter().any(|c| c.contains("dequeue")) && taken.iter().any(|c| c.contains("msg_wakeup")), "{taken:?}");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.starts_with("It woke thread")), "{:?}", x.narration);
    let _ = recv(&mut k, t, id, 8, 7);
    assert_refused(&k, Errno::ENOMSG, "IPC_NOWAIT");
}

#[test]
fn msgctl_paths() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let id = k.msgget(t, 9, IPC_CREAT | 0o600).unwrap();
    let _ = stat(&mut k, stranger, id);
    assert_refused(&k, Errno::EACCES, "ipcperm_access");
    let set = MsqSet { uid: 300, gid: 30, mode: 0o644, qbytes: 1 << 30 };
    let _ = k.msgctl_set(t, id, set);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_config");
    let _ = k.msgctl_set(stranger, id, MsqSet { qbytes: 16, ..set });
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    let _ = rmid(&mut k, stranger, id);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    let _ = k.msgctl(t, id, 99, None);
    assert_refused(&k, Errno::EINVAL, "cmd");
    rmid(&mut k, t, id).unwrap();
    let taken = lines(&k, Mark::Taken);
    assert!(taken.iter().any(|c| c.starts_with("ipc_rmid")), "{taken:?}");
    let _ = stat(&mut k, t, id);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.contains("stale")), "the kernel's rule is quoted: {:?}", x.narration);
}

#[test]
fn operations_without_a_path_are_still_narrated() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let x = explained(&k);
    assert!(x.path.is_empty());
    assert!(x.narration[0].contains("spawn"), "{:?}", x.narration);
    let id = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    assert!(k.msgrcv(t, id, 8, 0, 0, Some(10)).is_blocked());
    k.advance(10);
    let x = explained(&k);
    assert!(
        x.narration.iter().any(|s| s.contains("fails with EAGAIN") || s.contains("fails with ENOMSG")),
        "{:?}",
        x.narration
    );
}

// ---- the other facilities ----------------------------------------------

use ipc_core::fd::{FdLimits, POLLIN, POLLOUT};
use ipc_core::port::{PORT_ALERT_SET, PORT_ALERT_UPDATE, PORT_SOURCE_FD, PORT_SOURCE_USER, PortLimits};
use ipc_core::psem::{O_CREAT, O_EXCL, PsemLimits, Timespec};
use ipc_core::sem::{SEM_UNDO, SETALL, SemArg, SemBuf, SemGet, SemLimits, SemSetPerm};
use ipc_core::shm::{PAGE_SIZE, SHM_LOCK, SHM_RDONLY, SHM_RND, SHM_UNLOCK, ShmLimits, ShmSetPerm, ShmSysctl};

/// Asserts that the newest event's path has a line marked `mark` whose
/// code contains `code` (and that the marking invariants hold).
#[track_caller]
fn assert_mark(k: &Kernel, mark: Mark, code: &str) {
    let e = k.last_event().unwrap();
    let x = explained(k);
    x.check(&e).unwrap();
    check_marks(&x, &e);
    assert!(
        x.path.iter().any(|l| l.mark == mark && l.code.contains(code)),
        "no {mark:?} line with `{code}` for {e}: {:#?}",
        x.path
    );
}

/// Asserts that the newest event woke a thread and its narration says so.
#[track_caller]
fn assert_woke(k: &Kernel) {
    let x = explained(k);
    assert!(x.narration.iter().any(|s| s.starts_with("It woke thread")), "{:?}", x.narration);
}

fn op(sem_num: u16, sem_op: i16, sem_flg: i16) -> SemBuf {
    SemBuf { sem_num, sem_op, sem_flg }
}

fn semop_now(k: &mut Kernel, t: Tid, id: i32, sops: &[SemBuf]) -> Result<(), Errno> {
    match k.semop(t, id, sops, None) {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("semop parked: {reason}"),
    }
}

const NOWAIT: i16 = IPC_NOWAIT as i16;

#[test]
fn semget_paths() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    assert_eq!(k.semget(t, 5, 1, IPC_CREAT | 0o10000), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "flags");
    assert_eq!(k.semget(t, 5, 1, 0o600), Err(Errno::ENOENT));
    assert_refused(&k, Errno::ENOENT, "no IPC_CREAT");
    assert_eq!(k.semget(t, 5, 0, IPC_CREAT | 0o600), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "process.max-sem-nsems");
    assert_mark(&k, Mark::Passed, "ipc_alloc_test");
    let id = k.semget(t, 5, 3, IPC_CREAT | 0o600).unwrap();
    assert_mark(&k, Mark::Taken, "avl_find");
    assert_mark(&k, Mark::Taken, "ipc_commit_end");
    assert_mark(&k, Mark::Taken, "avl_insert");
    assert_mark(&k, Mark::Skipped, "return its id");
    assert_mark(&k, Mark::Skipped, "sem_nsems");
    assert_eq!(k.semget(t, 5, 3, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
    assert_refused(&k, Errno::EEXIST, "IPC_EXCL");
    assert_eq!(k.semget(other, 5, 1, 0o666), Err(Errno::EACCES));
    assert_refused(&k, Errno::EACCES, "asked mode");
    assert_eq!(k.semget(t, 5, 4, 0), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "sem_nsems");
    assert_eq!(k.semget(t, 5, 0, 0), Ok(id));
    assert_mark(&k, Mark::Passed, "return its id");
    assert_mark(&k, Mark::Skipped, "ipc_commit_end");
    assert_mark(&k, Mark::Skipped, "process.max-sem-nsems");
    k.set_project_limit(1, Facility::Sem, 1).unwrap();
    assert_eq!(k.semget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "ipc_alloc_test");
    // A table of at most 2 slots: the second set doubles it, the third
    // cannot grow it (once the zone's limit, IPC_IDS_MAX, is raised past it).
    let mut k = small_kernel(1, 30);
    let t = user(&mut k, 100, 10);
    k.set_zone_limit(0, Facility::Sem, 3).unwrap();
    k.semget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    assert_mark(&k, Mark::Skipped, "ipc_grow");
    k.semget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    assert_mark(&k, Mark::Taken, "ipc_grow");
    assert_eq!(k.semget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "already at its maximum");
}

#[test]
fn semop_paths() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let id = k.semget(t, IPC_PRIVATE, 2, 0o600).unwrap();
    // An empty array returns at once, without even a lookup.
    assert_eq!(semop_now(&mut k, t, -1, &[]), Ok(()));
    assert_mark(&k, Mark::Taken, "nsops == 0");
    assert_mark(&k, Mark::Skipped, "ipc_lookup");
    let _ = semop_now(&mut k, t, id + 1, &[op(0, 1, 0)]);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let _ = semop_now(&mut k, t, id + 1, &vec![op(0, 1, 0); 4097]);
    assert_refused(&k, Errno::EFAULT, "SEM_MAXUCOPS");
    let _ = semop_now(&mut k, t, id, &[op(2, 1, 0)]);
    assert_refused(&k, Errno::EFBIG, "EFBIG");
    let _ = semop_now(&mut k, t, id, &[op(0, 1, 0o1)]);
    assert_refused(&k, Errno::EINVAL, "sem_flg");
    let _ = semop_now(&mut k, stranger, id, &[op(0, 1, 0)]);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(mode)");
    // SEM_UNDO makes the undo record once.
    semop_now(&mut k, t, id, &[op(0, 1, SEM_UNDO)]).unwrap();
    assert_mark(&k, Mark::Taken, "sem_undo_alloc");
    assert_mark(&k, Mark::Taken, "sempid = pid");
    assert_mark(&k, Mark::Skipped, "sem_rollback");
    assert_mark(&k, Mark::Skipped, "cv_wait_sig");
    semop_now(&mut k, t, id, &[op(0, 1, SEM_UNDO)]).unwrap();
    assert_mark(&k, Mark::Skipped, "sem_undo_alloc");
    let _ = semop_now(&mut k, t, id, &[op(0, 1, 0), op(0, -5, NOWAIT)]);
    assert_refused(&k, Errno::EAGAIN, "IPC_NOWAIT");
    assert_mark(&k, Mark::Taken, "sem_rollback");
    // A caller parks; a rise wakes it.
    let t2 = k.thread_create(pid_of(&k, t)).unwrap();
    assert!(k.semop(t2, id, &[op(1, -1, 0)], None).is_blocked());
    assert_mark(&k, Mark::Taken, "cv_wait_sig(sem_cv)");
    assert_mark(&k, Mark::Skipped, "sempid = pid");
    semop_now(&mut k, t, id, &[op(1, 1, 0)]).unwrap();
    assert_mark(&k, Mark::Taken, "sem_wake");
    assert_woke(&k);
    // semtimedop parks until its timeout; a zero timeout is EAGAIN at once.
    let t3 = k.thread_create(pid_of(&k, t)).unwrap();
    assert!(k.semop(t3, id, &[op(1, -1, 0)], Some(100)).is_blocked());
    assert_mark(&k, Mark::Taken, "cv_waituntil_sig(sem_cv)");
    assert_eq!(k.semop(t, id, &[op(1, -1, 0)], Some(0)), Outcome::Done(Err(Errno::EAGAIN)));
    assert_refused(&k, Errno::EAGAIN, "zero timeout");
    // ERANGE: the adjust-on-exit bound, then the value maximum.
    let id2 = k.semget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    for sops in [[op(0, 32767, SEM_UNDO)], [op(0, 32767, SEM_UNDO)], [op(0, 1, SEM_UNDO)], [op(0, -1, 0)]] {
        semop_now(&mut k, t, id2, &sops).unwrap();
    }
    let _ = semop_now(&mut k, t, id2, &[op(0, 1, SEM_UNDO)]);
    assert_refused(&k, Errno::ERANGE, "SEM_AOE_MAX");
    semop_now(&mut k, t, id2, &[op(0, 1, 0)]).unwrap();
    let _ = semop_now(&mut k, t, id2, &[op(0, 1, 0)]);
    assert_refused(&k, Errno::ERANGE, "value_max");
    // E2BIG: more operations than the set's limit.
    let limits = SemLimits { max_ops: 2, ..SemLimits::default() };
    let mut k = Kernel::new(Config { sem: limits, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    let id = k.semget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    let _ = semop_now(&mut k, t, id, &[op(0, 1, 0); 3]);
    assert_refused(&k, Errno::E2BIG, "sem_maxops");
}

#[test]
fn semctl_paths() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let id = k.semget(t, IPC_PRIVATE, 2, 0o600).unwrap();
    // IPC_STAT, IPC_SET
    let _ = k.semctl_stat(stranger, id);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SEM_R)");
    let _ = k.semctl_stat(t, id + 1);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let _ = k.semctl(t, id, 0, IPC_SET, SemArg::None);
    assert_refused(&k, Errno::EFAULT, "buf");
    let perm = SemSetPerm { uid: 100, gid: 10, mode: 0o600 };
    let _ = k.semctl_set(t, id + 1, perm);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let _ = k.semctl_set(stranger, id, perm);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    let _ = k.semctl_set(t, id, SemSetPerm { uid: u32::MAX, ..perm });
    assert_refused(&k, Errno::EINVAL, "MAXUID");
    k.semctl_set(t, id, perm).unwrap();
    assert_mark(&k, Mark::Passed, "ctime = now");
    // GETVAL and friends, GETALL
    let _ = k.semctl_get(stranger, id, 0, SemGet::Val);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SEM_R)");
    let _ = k.semctl_get(t, id, 9, SemGet::Ncnt);
    assert_refused(&k, Errno::EINVAL, "semnum");
    k.semctl_get(t, id, 1, SemGet::Pid).unwrap();
    assert_mark(&k, Mark::Passed, "return semval");
    let _ = k.semctl_getall(stranger, id);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SEM_R)");
    // SETVAL: a parked caller is woken by it.
    let _ = k.semctl_setval(stranger, id, 0, 1);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SEM_A)");
    let _ = k.semctl_setval(t, id, 9, 1);
    assert_refused(&k, Errno::EINVAL, "semnum");
    let _ = k.semctl_setval(t, id, 0, -1);
    assert_refused(&k, Errno::ERANGE, "val ≤ value_max");
    let t2 = k.thread_create(pid_of(&k, t)).unwrap();
    assert!(k.semop(t2, id, &[op(0, -1, 0)], None).is_blocked());
    k.semctl_setval(t, id, 0, 1).unwrap();
    assert_mark(&k, Mark::Taken, "semval = val");
    assert_mark(&k, Mark::Taken, "sem_wake");
    assert_woke(&k);
    // SETALL
    let _ = k.semctl_setall(t, id + 1, &[1, 1]);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    let _ = k.semctl(t, id, 0, SETALL, SemArg::None);
    assert_refused(&k, Errno::EFAULT, "array");
    let _ = k.semctl_setall(t, id, &[1]);
    assert_refused(&k, Errno::EINVAL, "nsems values");
    let _ = k.semctl_setall(stranger, id, &[1, 1]);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SEM_A)");
    let _ = k.semctl_setall(t, id, &[1, 70000]);
    assert_refused(&k, Errno::ERANGE, "every value");
    k.semctl_setall(t, id, &[3, 4]).unwrap();
    assert_mark(&k, Mark::Taken, "every semval");
    assert_mark(&k, Mark::Skipped, "sem_wake");
    // Any other command
    let _ = k.semctl(t, id, 0, 99, SemArg::None);
    assert_refused(&k, Errno::EINVAL, "cmd");
    let _ = k.semctl(t, id + 1, 0, 99, SemArg::None);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
    // IPC_RMID: a parked caller fails with EIDRM, the set is destroyed.
    let _ = k.semctl_rmid(stranger, id);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    let t3 = k.thread_create(pid_of(&k, t)).unwrap();
    assert!(k.semop(t3, id, &[op(0, -10, 0)], None).is_blocked());
    k.semctl_rmid(t, id).unwrap();
    assert_mark(&k, Mark::Taken, "ipc_rmid");
    assert_mark(&k, Mark::Taken, "EIDRM");
    assert_mark(&k, Mark::Taken, "sem_dtor");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.contains("fails with EIDRM")), "{:?}", x.narration);
    let _ = k.semctl_rmid(t, id);
    assert_refused(&k, Errno::EINVAL, "ipc_lookup");
}

#[test]
fn shmget_paths() {
    let limits = ShmLimits { shmmax: 4 * PAGE_SIZE, shmmin: 1, shmmni: 3, shmseg: 8, shmall: 5 };
    let mut k = Kernel::new(Config { shm: limits, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    assert_eq!(k.shmget(t, 0x10, 100, IPC_CREAT | 0o4000), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "flags");
    assert_eq!(k.shmget(t, 0x10, 100, 0o600), Err(Errno::ENOENT));
    assert_refused(&k, Errno::ENOENT, "no IPC_CREAT");
    assert_eq!(k.shmget(t, 0x10, 0, IPC_CREAT | 0o600), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "shmmin");
    let id = k.shmget(t, 0x10, 100, IPC_CREAT | 0o640).unwrap();
    assert_mark(&k, Mark::Taken, "ipc_commit_end");
    assert_mark(&k, Mark::Taken, "shm_committed += pages");
    assert_mark(&k, Mark::Skipped, "shm_segsz");
    assert_eq!(k.shmget(t, 0x10, 100, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
    assert_refused(&k, Errno::EEXIST, "IPC_EXCL");
    assert_eq!(k.shmget(other, 0x10, 100, 0o606), Err(Errno::EACCES));
    assert_refused(&k, Errno::EACCES, "asked mode");
    assert_eq!(k.shmget(t, 0x10, 101, 0), Err(Errno::EINVAL));
    assert_refused(&k, Errno::EINVAL, "shm_segsz");
    assert_eq!(k.shmget(t, 0x10, 0, 0), Ok(id));
    assert_mark(&k, Mark::Passed, "return its id");
    assert_mark(&k, Mark::Skipped, "shm_committed += pages");
    // shmall, then shmmni.
    let big = k.shmget(t, IPC_PRIVATE, 4 * PAGE_SIZE, 0o600).unwrap();
    assert_eq!(k.shmget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOMEM));
    assert_refused(&k, Errno::ENOMEM, "shmall");
    k.shmctl_rmid(t, big).unwrap();
    k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    assert_eq!(k.shmget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "shmmni");
    k.set_project_limit(1, Facility::Shm, 3).unwrap();
    assert_eq!(k.shmget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "ipc_alloc_test");
    // The slot table at its maximum.
    let mut k = small_kernel(1, 30);
    let t = user(&mut k, 100, 10);
    k.set_zone_limit(0, Facility::Shm, 3).unwrap();
    k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    assert_eq!(k.shmget(t, IPC_PRIVATE, 1, 0o600), Err(Errno::ENOSPC));
    assert_refused(&k, Errno::ENOSPC, "already at its maximum");
}

#[test]
fn shmat_and_shmdt_paths() {
    let limits = ShmLimits { shmseg: 2, ..ShmLimits::default() };
    let mut k = Kernel::new(Config { shm: limits, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let id = k.shmget(t, IPC_PRIVATE, PAGE_SIZE, 0o600).unwrap();
    let _ = k.shmat(t, id, 0, 0o1);
    assert_refused(&k, Errno::EINVAL, "flags");
    let _ = k.shmat(t, id + 1, 0, 0);
    assert_refused(&k, Errno::EINVAL, "shm_find_segment_by_shmid");
    let _ = k.shmat(stranger, id, 0, SHM_RDONLY);
    assert_refused(&k, Errno::EACCES, "ipcperm(SHM_R");
    let _ = k.shmat(t, id, ipc_core::shm::SHM_VA_BASE + 1, 0);
    assert_refused(&k, Errno::EINVAL, "SHMLBA");
    let _ = k.shmat(t, id, ipc_core::shm::VA_MAX, 0);
    // The attach was counted before the mapping failed, and undone.
    assert_mark(&k, Mark::Taken, "SLIST_INSERT_HEAD");
    assert_refused(&k, Errno::ENOMEM, "uvm_map");
    let va = k.shmat(t, id, 0, 0).unwrap();
    assert_mark(&k, Mark::Skipped, "shmaddr ≠ 0:");
    assert_mark(&k, Mark::Skipped, "SHMLBA");
    assert_mark(&k, Mark::Taken, "SLIST_INSERT_HEAD");
    assert_mark(&k, Mark::Passed, "uvm_map");
    let _ = k.shmat(t, id, va, 0);
    assert_refused(&k, Errno::ENOMEM, "uvm_map");
    let va2 = k.shmat(t, id, va + 16 * PAGE_SIZE + 5, SHM_RND | SHM_RDONLY).unwrap();
    assert_eq!(va2, va + 16 * PAGE_SIZE);
    assert_mark(&k, Mark::Taken, "shmaddr ≠ 0:");
    assert_mark(&k, Mark::Passed, "SHMLBA");
    let _ = k.shmat(t, id, 0, 0);
    assert_refused(&k, Errno::EMFILE, "shmseg");
    // shmdt; the last one after IPC_RMID frees the segment.
    let _ = k.shmdt(t, va + 1);
    assert_refused(&k, Errno::EINVAL, "exactly shmaddr");
    k.shmdt(t, va).unwrap();
    assert_mark(&k, Mark::Taken, "shm_delete_mapping");
    assert_mark(&k, Mark::Skipped, "shm_free_segment");
    k.shmctl_rmid(t, id).unwrap();
    assert_mark(&k, Mark::Taken, "ipc_remove");
    assert_mark(&k, Mark::Taken, "freed at the last shmdt");
    assert_mark(&k, Mark::Skipped, "nattch == 0 → shm_free_segment");
    k.shmdt(t, va2).unwrap();
    assert_mark(&k, Mark::Taken, "shm_free_segment");
}

#[test]
fn shmctl_memory_and_sysctl_paths() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let stranger = user(&mut k, 200, 20);
    let su = root(&mut k);
    let id = k.shmget(t, IPC_PRIVATE, 2 * PAGE_SIZE, 0o600).unwrap();
    let _ = k.shmctl_stat(stranger, id);
    assert_refused(&k, Errno::EACCES, "ipcperm_access(SHM_R)");
    let _ = k.shmctl_stat(t, id + 1);
    assert_refused(&k, Errno::EINVAL, "shm_find_segment_by_shmid");
    let _ = k.shmctl(t, id, IPC_SET, None);
    assert_refused(&k, Errno::EFAULT, "copyin");
    let perm = ShmSetPerm { uid: 100, gid: 10, mode: 0o644 };
    let _ = k.shmctl_set(stranger, id, perm);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    let _ = k.shmctl_set(t, id, ShmSetPerm { gid: u32::MAX, ..perm });
    assert_refused(&k, Errno::EINVAL, "MAXUID");
    k.shmctl_set(t, id, perm).unwrap();
    assert_mark(&k, Mark::Passed, "ctime = now");
    let _ = k.shmctl(t, id, SHM_LOCK, None);
    assert_refused(&k, Errno::EPERM, "kauth");
    let _ = k.shmctl(t, id, 99, None);
    assert_refused(&k, Errno::EINVAL, "cmd is");
    let _ = k.shmctl_rmid(stranger, id);
    assert_refused(&k, Errno::EPERM, "secpolicy_ipc_owner");
    // Loads and stores.
    let va = k.shmat(t, id, 0, 0).unwrap();
    let _ = k.shm_read(t, va, (1 << 20) + 1);
    assert_refused(&k, Errno::EINVAL, "MAX_IO");
    let _ = k.shm_read(t, va - 1, 2);
    assert_refused(&k, Errno::EFAULT, "uvm_fault");
    k.shm_write(t, va, b"hello").unwrap();
    assert_mark(&k, Mark::Taken, "store into");
    assert_eq!(k.shm_read(t, va, 5).unwrap(), b"hello".to_vec());
    assert_mark(&k, Mark::Passed, "copy from");
    let ro = k.shmat(t, id, 0, SHM_RDONLY).unwrap();
    let _ = k.shm_write(t, ro, b"x");
    assert_refused(&k, Errno::EACCES, "SHM_RDONLY");
    // SHM_LOCK / SHM_UNLOCK wire what the (privileged) caller has attached.
    k.shmctl(su, id, SHM_LOCK, None).unwrap();
    assert_mark(&k, Mark::Skipped, "shm_memlock");
    k.shmat(su, id, 0, 0).unwrap();
    k.shmctl(su, id, SHM_LOCK, None).unwrap();
    assert_mark(&k, Mark::Taken, "shm_memlock");
    k.shmctl(su, id, SHM_UNLOCK, None).unwrap();
    assert_mark(&k, Mark::Taken, "shm_memlock");
    // The tunables.
    let _ = k.shm_sysctl(t, ShmSysctl::Shmseg(4));
    assert_refused(&k, Errno::EPERM, "kauth");
    let _ = k.shm_sysctl(su, ShmSysctl::Shmmax(1));
    assert_refused(&k, Errno::EINVAL, "PAGE_SIZE ≤ v");
    let _ = k.shm_sysctl(su, ShmSysctl::Shmmaxpgs(0));
    assert_refused(&k, Errno::EINVAL, "1 ≤ v");
    let _ = k.shm_sysctl(su, ShmSysctl::Shmmni(0));
    assert_refused(&k, Errno::EINVAL, "v ≥ 1");
    let id2 = k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    let _ = k.shm_sysctl(su, ShmSysctl::Shmmni(1));
    assert_refused(&k, Errno::EBUSY, "shmrealloc");
    k.shm_sysctl(su, ShmSysctl::Shmseg(4)).unwrap();
    assert_mark(&k, Mark::Passed, "shmseg = v");
    // IPC_RMID with nothing attached frees at once.
    k.shmctl_rmid(t, id2).unwrap();
    assert_mark(&k, Mark::Taken, "nattch == 0 → shm_free_segment");
    assert_mark(&k, Mark::Skipped, "freed at the last shmdt");
}

#[test]
fn sem_open_init_close_unlink_paths() {
    let limits = PsemLimits { max_sems: 3, value_max: 5 };
    let mut k = Kernel::new(Config { psem: limits, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    let _ = k.sem_open(t, b"/fifteen_bytes!", O_CREAT, 0o600, 0);
    assert_refused(&k, Errno::ENAMETOOLONG, "copyinstr");
    let _ = k.sem_open(t, b"/a", 0, 0, 0);
    assert_refused(&k, Errno::ENOENT, "no O_CREAT");
    let _ = k.sem_open(t, b"/a", O_CREAT, 0o600, 6);
    assert_refused(&k, Errno::EINVAL, "SEM_VALUE_MAX");
    let _ = k.sem_open(t, b"a", O_CREAT, 0o600, 0);
    assert_refused(&k, Errno::EINVAL, "'/' first");
    let a = k.sem_open(t, b"/a", O_CREAT, 0o600, 1).unwrap();
    assert_mark(&k, Mark::Taken, "ksem_counter");
    assert_mark(&k, Mark::Taken, "LIST_INSERT_HEAD");
    assert_mark(&k, Mark::Skipped, "ksem_addref");
    let _ = k.sem_open(t, b"/a", O_CREAT | O_EXCL, 0o600, 0);
    assert_refused(&k, Errno::EEXIST, "O_EXCL");
    let _ = k.sem_open(other, b"/a", 0, 0, 0);
    assert_refused(&k, Errno::EPERM, "ksem_perm");
    assert_eq!(k.sem_open(t, b"/a", 0, 0, 0), Ok(a));
    assert_mark(&k, Mark::Taken, "ksem_addref");
    assert_mark(&k, Mark::Skipped, "ksem_counter");
    // sem_init, up to SEM_MAX.
    let _ = k.sem_init(t, 6, false);
    assert_refused(&k, Errno::EINVAL, "SEM_VALUE_MAX");
    let b = k.sem_init(t, 0, false).unwrap();
    assert_mark(&k, Mark::Taken, "ksem_counter");
    assert_mark(&k, Mark::Taken, "ksem_add_proc");
    k.sem_init(t, 0, true).unwrap();
    let _ = k.sem_init(t, 0, false);
    assert_refused(&k, Errno::ENFILE, "SEM_MAX");
    let _ = k.sem_open(t, b"/z", O_CREAT, 0o600, 0);
    assert_refused(&k, Errno::ENFILE, "SEM_MAX");
    // sem_close
    let _ = k.sem_close(other, a);
    assert_refused(&k, Errno::EINVAL, "ksem_lookup_proc");
    let _ = k.sem_close(t, b);
    assert_refused(&k, Errno::EINVAL, "ks_name ≠ NULL");
    k.sem_close(t, a).unwrap();
    assert_mark(&k, Mark::Taken, "ksem_drop_proc");
    // sem_unlink: a referenced semaphore lives on, unnamed.
    let _ = k.sem_unlink(t, b"/fifteen_bytes!");
    assert_refused(&k, Errno::ENAMETOOLONG, "copyinstr");
    let _ = k.sem_unlink(t, b"/nope");
    assert_refused(&k, Errno::ENOENT, "ksem_lookup_byname");
    k.sem_unlink(t, b"/a").unwrap();
    assert_mark(&k, Mark::Taken, "LIST_REMOVE");
    assert_mark(&k, Mark::Skipped, "ksem_free");
    let _ = k.sem_close(t, a);
    assert_refused(&k, Errno::EINVAL, "ks_name ≠ NULL");
}

#[test]
fn sem_destroy_post_and_wait_paths() {
    let limits = PsemLimits { value_max: 2, ..PsemLimits::default() };
    let mut k = Kernel::new(Config { psem: limits, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    let other = user(&mut k, 200, 20);
    let named = k.sem_open(t, b"/n", O_CREAT, 0o600, 0).unwrap();
    let _ = k.sem_destroy(t, named);
    assert_refused(&k, Errno::EINVAL, "ks_name == NULL");
    let anon = k.sem_init(t, 0, false).unwrap();
    let _ = k.sem_destroy(other, anon);
    assert_refused(&k, Errno::EINVAL, "ksem_lookup_proc");
    // sem_trywait, sem_timedwait on 0
    let _ = k.sem_trywait(t, anon);
    assert_refused(&k, Errno::EAGAIN, "sem_trywait");
    assert_mark(&k, Mark::Skipped, "ks_value--");
    let _ = k.sem_trywait(other, anon);
    assert_refused(&k, Errno::EINVAL, "ksem_lookup_proc");
    let _ = k.sem_timedwait(t, anon, Timespec { sec: 0, nsec: 1_000_000_000 });
    assert_refused(&k, Errno::EINVAL, "tv_nsec");
    let _ = k.sem_timedwait(t, anon, Timespec { sec: 0, nsec: 0 });
    assert_refused(&k, Errno::ETIMEDOUT, "abstime after now");
    // A waiter parks; destroy is EBUSY; a post hands it the value.
    assert!(k.sem_wait(t2, anon).is_blocked());
    assert_mark(&k, Mark::Taken, "ltsleep(ks, PCATCH)");
    assert_mark(&k, Mark::Skipped, "ks_value--");
    let _ = k.sem_destroy(t, anon);
    assert_refused(&k, Errno::EBUSY, "ks_waiters");
    k.sem_post(t, anon).unwrap();
    assert_mark(&k, Mark::Taken, "ks_value++");
    assert_mark(&k, Mark::Taken, "the oldest waiter");
    assert_mark(&k, Mark::Taken, "wakeup");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    assert!(k.sem_timedwait(t2, anon, Timespec::from_nanos(1000)).is_blocked());
    assert_mark(&k, Mark::Taken, "ltsleep(ks, PCATCH, abstime)");
    k.sem_post(t, anon).unwrap();
    assert_mark(&k, Mark::Taken, "wakeup");
    k.take_result(t2).unwrap();
    // Posts up to SEM_VALUE_MAX; a wait takes one.
    k.sem_post(t, anon).unwrap();
    assert_mark(&k, Mark::Skipped, "the oldest waiter");
    k.sem_post(t, anon).unwrap();
    let _ = k.sem_post(t, anon);
    assert_refused(&k, Errno::EOVERFLOW, "SEM_VALUE_MAX");
    let _ = k.sem_post(other, anon);
    assert_refused(&k, Errno::EINVAL, "ksem_lookup_proc");
    assert_eq!(k.sem_wait(t, anon), Outcome::Done(Ok(())));
    assert_mark(&k, Mark::Taken, "ks_value--");
    assert_mark(&k, Mark::Skipped, "ltsleep");
    assert_eq!(k.sem_getvalue(t, anon), Ok(1));
    assert_mark(&k, Mark::Passed, "copyout");
    let _ = k.sem_getvalue(other, anon);
    assert_refused(&k, Errno::EINVAL, "ksem_lookup_proc");
    // The last reference: destroy frees it; unlink frees a closed name.
    k.sem_destroy(t, anon).unwrap();
    assert_mark(&k, Mark::Taken, "ksem_drop_proc");
    assert_mark(&k, Mark::Taken, "ksem_free");
    k.sem_close(t, named).unwrap();
    k.sem_unlink(t, b"/n").unwrap();
    assert_mark(&k, Mark::Taken, "ksem_free");
}

#[test]
fn pipe_read_write_close_paths() {
    let mut k = Kernel::new(Config { fd: FdLimits { max_fds: 8, pipe_buf: 8 }, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    assert_mark(&k, Mark::Passed, "fds[0]");
    // read
    let _ = k.read(t, w, 4, false);
    assert_refused(&k, Errno::EBADF, "open read end");
    assert_eq!(k.read(t, r, 0, false), Outcome::Done(Ok(vec![])));
    assert_mark(&k, Mark::Taken, "len == 0");
    assert_mark(&k, Mark::Skipped, "data buffered:");
    assert_mark(&k, Mark::Skipped, "end of file");
    let _ = k.read(t, r, 4, true);
    assert_refused(&k, Errno::EAGAIN, "O_NONBLOCK");
    assert!(k.read(t2, r, 4, false).is_blocked());
    assert_mark(&k, Mark::Taken, "cv_wait_sig(rwait)");
    // write: the parked reader is served.
    let _ = k.write(t, r, b"x", false);
    assert_refused(&k, Errno::EBADF, "open write end");
    assert_eq!(k.write(t, w, b"", false), Outcome::Done(Ok(0)));
    assert_mark(&k, Mark::Taken, "len == 0");
    assert_eq!(k.write(t, w, b"abc", false), Outcome::Done(Ok(3)));
    assert_mark(&k, Mark::Taken, "no writer parked ahead");
    assert_mark(&k, Mark::Taken, "fd_serve_readers");
    assert_mark(&k, Mark::Skipped, "cv_wait_sig(wwait)");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    // A writer parks on a full pipe; a read serves it.
    assert_eq!(k.write(t, w, b"12345678", false), Outcome::Done(Ok(8)));
    let _ = k.write(t, w, b"9", true);
    assert_refused(&k, Errno::EAGAIN, "O_NONBLOCK");
    assert!(k.write(t2, w, b"9", false).is_blocked());
    assert_mark(&k, Mark::Taken, "cv_wait_sig(wwait)");
    assert_mark(&k, Mark::Skipped, "no writer parked ahead");
    assert_eq!(k.read(t, r, 4, false), Outcome::Done(Ok(b"1234".to_vec())));
    assert_mark(&k, Mark::Taken, "take up to len");
    assert_mark(&k, Mark::Taken, "fd_serve_writers");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    // The last writer's close ends a parked read; then end of file.
    assert_eq!(k.read(t, r, 64, false), Outcome::Done(Ok(b"56789".to_vec())));
    assert_mark(&k, Mark::Skipped, "fd_serve_writers");
    assert!(k.read(t2, r, 4, false).is_blocked());
    let _ = k.close(t, 99);
    assert_refused(&k, Errno::EBADF, "getf(fd): open");
    k.close(t, w).unwrap();
    assert_mark(&k, Mark::Taken, "closef");
    assert_mark(&k, Mark::Taken, "a pipe end");
    assert_mark(&k, Mark::Taken, "complete those parked");
    assert_mark(&k, Mark::Skipped, "port_close —");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    assert_eq!(k.read(t, r, 4, false), Outcome::Done(Ok(vec![])));
    assert_mark(&k, Mark::Taken, "end of file");
    assert_mark(&k, Mark::Skipped, "empty, a writer left:");
    // The last reader's close: EPIPE; a close that is not the last closes nothing.
    let (r2, w2) = k.pipe(t).unwrap();
    let (_, child) = k.fork(p).unwrap();
    k.close(t, r2).unwrap();
    assert_mark(&k, Mark::Skipped, "closef");
    k.close(child, r2).unwrap();
    assert_mark(&k, Mark::Taken, "closef");
    let _ = k.write(t, w2, b"x", false);
    assert_refused(&k, Errno::EPIPE, "a reader left");
    // EMFILE
    let mut k = Kernel::new(Config { fd: FdLimits { max_fds: 3, pipe_buf: 8 }, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    k.pipe(t).unwrap();
    let _ = k.pipe(t);
    assert_refused(&k, Errno::EMFILE, "RLIMIT_NOFILE");
}

#[test]
fn port_create_send_and_alert_paths() {
    let limits = PortLimits { max_events: 2, max_ports: 2 };
    let mut k = Kernel::new(Config { port: limits, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    assert_mark(&k, Mark::Passed, "port_t");
    let port2 = k.port_create(t).unwrap();
    let _ = k.port_create(t);
    assert_refused(&k, Errno::EAGAIN, "project.max-port-ids");
    let (r, _w) = k.pipe(t).unwrap();
    // port_send: a parked getter is woken.
    let _ = k.port_send(t, 99, 1, 1);
    assert_refused(&k, Errno::EBADF, "getf(port)");
    let _ = k.port_send(t, r, 1, 1);
    assert_refused(&k, Errno::EBADFD, "VPORT");
    assert!(k.port_get(t2, port, None).is_blocked());
    assert_mark(&k, Mark::Taken, "fewer than nget:");
    assert_mark(&k, Mark::Taken, "cv_waituntil_sig(port_cv)");
    k.port_send(t, port, 1, 1).unwrap();
    assert_mark(&k, Mark::Taken, "port_send_event");
    assert_mark(&k, Mark::Taken, "port_wake");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    k.port_send(t, port, 2, 2).unwrap();
    assert_mark(&k, Mark::Skipped, "port_wake");
    k.port_send(t, port, 3, 3).unwrap();
    let _ = k.port_send(t, port, 4, 4);
    assert_refused(&k, Errno::EAGAIN, "port_alloc_event");
    // port_sendn: only nent refuses the call; each port's failure is noted.
    let _ = k.port_sendn(t, &[], 1, 1);
    assert_refused(&k, Errno::EINVAL, "nent");
    let sent = k.port_sendn(t, &[port2, port, 99], 5, 5).unwrap();
    assert_eq!((sent.sent, sent.errors.len()), (1, 3));
    assert_mark(&k, Mark::Passed, "for each port");
    assert_mark(&k, Mark::Taken, "port_send_event");
    // port_alert: every parked getter gets the alert.
    let events = match k.port_getn(t, port, 8, 2, None) {
        Outcome::Done(Ok(g)) => g.events,
        other => panic!("{other:?}"),
    };
    assert_eq!(events.len(), 2);
    assert_mark(&k, Mark::Taken, "nget events queued:");
    assert_mark(&k, Mark::Taken, "port_get_kevent: up to max");
    let _ = k.port_alert(t, port, 3, 1, 1);
    assert_refused(&k, Errno::EINVAL, "SET and UPDATE");
    assert!(k.port_get(t2, port, None).is_blocked());
    k.port_alert(t, port, PORT_ALERT_SET, 5, 9).unwrap();
    assert_mark(&k, Mark::Taken, "set the alert");
    assert_mark(&k, Mark::Taken, "every parked getter");
    assert_mark(&k, Mark::Skipped, "events == 0");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    let _ = k.port_alert(t, port, PORT_ALERT_UPDATE, 6, 9);
    assert_refused(&k, Errno::EBUSY, "PORT_ALERT_UPDATE");
    assert!(matches!(k.port_get(t, port, None), Outcome::Done(Ok(Some(_)))));
    assert_mark(&k, Mark::Taken, "alert mode");
    assert_mark(&k, Mark::Skipped, "nget events queued:");
    k.port_alert(t, port, 0, 0, 0).unwrap();
    assert_mark(&k, Mark::Taken, "events == 0");
    assert_mark(&k, Mark::Taken, "leave alert mode");
    assert_mark(&k, Mark::Skipped, "events ≠ 0:");
    // No free fd for a new port.
    let mut k = Kernel::new(Config { fd: FdLimits { max_fds: 3, pipe_buf: 8 }, ..Config::default() }).unwrap();
    let t = user(&mut k, 100, 10);
    for _ in 0..3 {
        k.port_create(t).unwrap();
    }
    let _ = k.port_create(t);
    assert_refused(&k, Errno::EMFILE, "falloc");
}

#[test]
fn port_get_and_getn_paths() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    let (r, _w) = k.pipe(t).unwrap();
    let zero = Some(Timespec { sec: 0, nsec: 0 });
    let bad = Some(Timespec { sec: 0, nsec: 1_000_000_000 });
    let _ = k.port_getn(t, 99, 1, 1, None);
    assert_refused(&k, Errno::EBADF, "getf(port)");
    let _ = k.port_getn(t, r, 1, 1, None);
    assert_refused(&k, Errno::EBADFD, "VPORT");
    let _ = k.port_getn(t, port, 1, 2, None);
    assert_refused(&k, Errno::EINVAL, "nget ≤ max");
    assert!(matches!(k.port_getn(t, port, 0, 5, None), Outcome::Done(Ok(_))));
    assert_mark(&k, Mark::Taken, "max == 0");
    assert_mark(&k, Mark::Skipped, "fewer than nget:");
    assert!(matches!(k.port_getn(t, port, 4, 0, None), Outcome::Done(Ok(_))));
    assert_mark(&k, Mark::Taken, "nget == 0");
    let _ = k.port_getn(t, port, 4, 2, bad);
    assert_refused(&k, Errno::EINVAL, "timespec");
    assert_eq!(k.port_get(t, port, zero), Outcome::Done(Ok(None)));
    assert_mark(&k, Mark::Taken, "fewer than nget:");
    assert_mark(&k, Mark::Taken, "{0, 0}");
    assert_mark(&k, Mark::Skipped, "cv_waituntil_sig");
    // Enough queued: the timeout is not even examined.
    k.port_send(t, port, 1, 1).unwrap();
    k.port_send(t, port, 2, 2).unwrap();
    assert!(matches!(k.port_getn(t, port, 4, 2, bad), Outcome::Done(Ok(_))));
    assert_mark(&k, Mark::Taken, "nget events queued:");
    assert_mark(&k, Mark::Skipped, "timespec");
    // A getter waiting for 2 is woken by the second event only.
    assert!(k.port_getn(t2, port, 4, 2, Some(Timespec { sec: 1, nsec: 0 })).is_blocked());
    assert_mark(&k, Mark::Taken, "cv_waituntil_sig");
    assert_mark(&k, Mark::Passed, "timespec");
    k.port_send(t, port, 3, 3).unwrap();
    assert_mark(&k, Mark::Skipped, "port_wake");
    k.port_send(t, port, 4, 4).unwrap();
    assert_mark(&k, Mark::Taken, "port_wake");
    assert_woke(&k);
}

#[test]
fn port_associate_dissociate_timer_and_close_paths() {
    let limits = PortLimits { max_events: 2, ..PortLimits::default() };
    let mut k = Kernel::new(Config { port: limits, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    let (r2, _w2) = k.pipe(t).unwrap();
    let fd = |f: i32| f as u64;
    // port_associate
    let _ = k.port_associate(t, 99, PORT_SOURCE_FD, fd(r), POLLIN, 0);
    assert_refused(&k, Errno::EBADF, "getf(port)");
    let _ = k.port_associate(t, port, PORT_SOURCE_USER, fd(r), POLLIN, 0);
    assert_refused(&k, Errno::EINVAL, "PORT_SOURCE_FD");
    let _ = k.port_associate(t, port, PORT_SOURCE_FD, 1 << 40, POLLIN, 0);
    assert_refused(&k, Errno::EBADFD, "INT_MAX");
    let _ = k.port_associate(t, port, PORT_SOURCE_FD, 77, POLLIN, 0);
    assert_refused(&k, Errno::EBADFD, "getf(object)");
    let _ = k.port_dissociate(t, port, PORT_SOURCE_FD, fd(r));
    assert_refused(&k, Errno::ENOENT, "the fd cache exists");
    // Armed on an empty pipe; a write fires it and wakes a parked getter.
    k.port_associate(t, port, PORT_SOURCE_FD, fd(r), POLLIN, 0xa).unwrap();
    assert_mark(&k, Mark::Skipped, "arm it");
    assert!(k.port_get(t2, port, None).is_blocked());
    assert_eq!(k.write(t, w, b"x", false), Outcome::Done(Ok(1)));
    assert_mark(&k, Mark::Taken, "pollwakeup");
    assert_woke(&k);
    k.take_result(t2).unwrap();
    // Re-association: fires at once (data is there); again, its queued event goes.
    k.port_associate(t, port, PORT_SOURCE_FD, fd(r), POLLIN, 0xb).unwrap();
    assert_mark(&k, Mark::Taken, "arm it");
    assert_mark(&k, Mark::Skipped, "an existing one");
    k.port_associate(t, port, PORT_SOURCE_FD, fd(r), POLLIN, 0xc).unwrap();
    assert_mark(&k, Mark::Taken, "an existing one");
    // The second slot; then no slot for anything new.
    k.port_associate(t, port, PORT_SOURCE_FD, fd(w), POLLOUT, 0xd).unwrap();
    let _ = k.port_associate(t, port, PORT_SOURCE_FD, fd(r2), POLLIN, 0);
    assert_refused(&k, Errno::EAGAIN, "a new association");
    let _ = k.timer_create(t, port, 0);
    assert_refused(&k, Errno::EAGAIN, "port_alloc_event");
    let _ = k.timer_create(t, 99, 0);
    assert_refused(&k, Errno::EBADF, "getf(port)");
    let _ = k.timer_create(t, r, 0);
    assert_refused(&k, Errno::EBADFD, "VPORT");
    // port_dissociate
    let _ = k.port_dissociate(t, port, PORT_SOURCE_USER, fd(r));
    assert_refused(&k, Errno::EINVAL, "PORT_SOURCE_FD");
    let _ = k.port_dissociate(t, port, PORT_SOURCE_FD, 1 << 40);
    assert_refused(&k, Errno::EBADFD, "INT_MAX");
    let _ = k.port_dissociate(t, port, PORT_SOURCE_FD, 77);
    assert_refused(&k, Errno::EBADFD, "getf(object)");
    let _ = k.port_dissociate(t, port, PORT_SOURCE_FD, fd(r2));
    assert_refused(&k, Errno::ENOENT, "this fd and open file");
    let (c, ct) = k.fork(p).unwrap();
    let _ = k.port_dissociate(ct, port, PORT_SOURCE_FD, fd(r));
    assert_refused(&k, Errno::EACCES, "owned by");
    match k.port_getn(t, port, 8, 1, None) {
        Outcome::Done(Ok(g)) => assert_eq!(g.events.len(), 2),
        other => panic!("{other:?}"),
    }
    let _ = k.port_dissociate(t, port, PORT_SOURCE_FD, fd(w));
    assert_refused(&k, Errno::ENOENT, "had fired");
    k.port_associate(t, port, PORT_SOURCE_FD, fd(r2), POLLIN, 0).unwrap();
    k.port_dissociate(t, port, PORT_SOURCE_FD, fd(r2)).unwrap();
    assert_mark(&k, Mark::Passed, "port_remove_fd_object");
    assert_mark(&k, Mark::Passed, "had fired");
    // Timers
    let id = k.timer_create(t, port, 0).unwrap();
    assert_mark(&k, Mark::Passed, "unique in the kernel");
    let _ = k.timer_settime(ct, id, 10, 0);
    assert_refused(&k, Errno::EINVAL, "a timer of the caller's process");
    k.advance(1);
    let _ = k.timer_settime(t, id, u64::MAX, 0);
    assert_refused(&k, Errno::EINVAL, "within the logical clock");
    k.timer_settime(t, id, 10, 0).unwrap();
    assert_mark(&k, Mark::Passed, "expire at");
    let _ = k.timer_delete(ct, id);
    assert_refused(&k, Errno::EINVAL, "a timer of the caller's process");
    k.timer_delete(t, id).unwrap();
    assert_mark(&k, Mark::Passed, "event slot freed");
    // The port's last close fails its parked getter with EBADFD.
    k.exit(c).unwrap();
    assert!(k.port_get(t2, port, None).is_blocked());
    k.close(t, port).unwrap();
    assert_mark(&k, Mark::Taken, "closef");
    assert_mark(&k, Mark::Taken, "port_close —");
    assert_mark(&k, Mark::Taken, "complete those parked");
    assert_mark(&k, Mark::Skipped, "a pipe end");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.contains("fails with EBADFD")), "{:?}", x.narration);
}

#[test]
fn a_busy_caller_is_refused_by_the_kernels_gate_not_the_facilitys_check() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    assert!(k.msgrcv(t, id, 8, 0, 0, None).is_blocked());
    let _ = k.msgsnd(t, id, 1, b"x", IPC_NOWAIT, None);
    assert_refused(&k, Errno::EBUSY, "caller: thread runnable");
    let x = explained(&k);
    assert!(x.narration.iter().any(|s| s.contains("parked in msgrcv")), "{:?}", x.narration);
    // The gate's line is not listed among the facility's checks.
    let ok = user(&mut k, 100, 10);
    send(&mut k, ok, id, 1, b"y").unwrap_or(());
    assert!(explained(&k).narration.iter().all(|s| !s.contains("the calling thread could call")));
}
