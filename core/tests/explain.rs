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
