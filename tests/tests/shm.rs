//! The `shm` interface through the component: every errno path, two
//! processes sharing bytes, fork inheritance, deferred destruction,
//! exec/exit detach, RMLINGER, limits and tunables, the inspect view,
//! batches, and hostile input.

use ipc_host_tests::*;

fn seg(lab: &mut Lab, p: Proc, size: u64) -> i32 {
    lab.shmget(p.thread, IPC_PRIVATE, size, IPC_CREAT | 0o600).unwrap()
}

#[test]
fn shmget_errnos() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(200, 20);
    assert_eq!(lab.shmget(a.thread, 0x5, 100, 0), Err(Errno::Enoent));
    assert_eq!(lab.shmget(a.thread, 0x5, 0, IPC_CREAT | 0o600), Err(Errno::Einval));
    let id = lab.shmget(a.thread, 0x5, 100, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.shmget(a.thread, 0x5, 100, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::Eexist));
    assert_eq!(lab.shmget(b.thread, 0x5, 0, 0o060), Err(Errno::Eacces));
    assert_eq!(lab.shmget(a.thread, 0x5, 101, 0), Err(Errno::Einval));
    assert_eq!(lab.shmget(a.thread, 0x5, 0, 0), Ok(id));
    assert_eq!(lab.shmget(a.thread, 0x6, 1, IPC_CREAT | 0o100000), Err(Errno::Einval), "unknown flag bits");
    let ds = lab.shmctl_stat(a.thread, id).unwrap();
    assert_eq!((ds.segsz, ds.nattch, ds.removed), (100, 0, false));
    assert_eq!(lab.shmids(a.thread), Ok(vec![id]));
    let ns = lab.namespace(Facility::Shm);
    assert_eq!(ns.ids, vec![id], "segments live in the shared namespace framework");
    assert_eq!(ns.keys.len(), 1);
}

#[test]
fn one_writes_the_other_reads() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = seg(&mut lab, a, 6000);
    let va = lab.shmat(a.thread, id, 0, 0).unwrap();
    assert_eq!(va, SHM_VA_BASE);
    let vb = lab.shmat(b.thread, id, 0, SHM_RDONLY).unwrap();
    lab.shm_write(a.thread, va + 10, b"shared bytes").unwrap();
    assert_eq!(lab.shm_read(b.thread, vb + 10, 12).unwrap(), b"shared bytes");
    assert_eq!(lab.shm_write(b.thread, vb, b"no"), Err(Errno::Eacces), "read-only attachment");
    assert_eq!(lab.shm_read(b.thread, vb + 2 * PAGE, 1), Err(Errno::Efault), "past the two pages");
    let ev = lab.last_event();
    assert!(ev.steps.iter().any(|s| s.kind == StepKind::Denied && s.text.contains("SEGV_MAPERR")), "{ev:?}");
    let v = lab.shm();
    let s = &v.segments[0];
    assert_eq!((s.nattch, s.pages, s.resident), (2, 2, 1));
    assert_eq!(&s.preview[10..22], b"shared bytes");
    assert_eq!(v.maps.len(), 2);
    assert!(v.maps.iter().any(|m| m.attaches[0].rdonly));
    assert_eq!((v.nused, v.committed, v.page_size), (1, 2, 4096));
    lab.shmdt(b.thread, vb).unwrap();
    assert_eq!(lab.shm_read(b.thread, vb, 1), Err(Errno::Efault), "what a process reads after detach");
    assert_eq!(lab.shmdt(b.thread, vb), Err(Errno::Einval));
}

#[test]
fn shmat_addresses_and_limits() {
    let mut lab = Lab::new();
    let base = lab.default_config();
    let cfg = Config { shm: ShmLimits { shmseg: 2, ..base.shm }, ..base };
    let mut lab2 = Lab::with_config(&cfg);
    let p = lab2.spawn(100, 10);
    let id = seg(&mut lab2, p, 1);
    assert_eq!(lab2.shmat(p.thread, id, 0x3000_0001, 0), Err(Errno::Einval));
    assert_eq!(lab2.shmat(p.thread, id, 0x3000_0001, SHM_RND), Ok(0x3000_0000));
    assert_eq!(lab2.shmat(p.thread, id, 0x3000_0000, 0), Err(Errno::Enomem), "overlap");
    assert_eq!(lab2.shmat(p.thread, id, 0, 0), Ok(SHM_VA_BASE));
    assert_eq!(lab2.shmat(p.thread, id, 0, 0), Err(Errno::Emfile), "shmseg is 2");
    let other = lab2.spawn(200, 20);
    assert_eq!(lab2.shmat(other.thread, id, 0, SHM_RDONLY), Err(Errno::Eacces));
    assert_eq!(lab2.shmat(p.thread, id + 1, 0, 0), Err(Errno::Einval));
    // Limits: shmall and shmmni.
    let cfg = Config { shm: ShmLimits { shmall: 3, shmmni: 2, ..base.shm }, ..base };
    let mut lab3 = Lab::with_config(&cfg);
    let p = lab3.spawn(100, 10);
    seg(&mut lab3, p, 2 * PAGE);
    assert_eq!(lab3.shmget(p.thread, IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0o600), Err(Errno::Enomem));
    seg(&mut lab3, p, PAGE);
    assert_eq!(lab3.shmget(p.thread, IPC_PRIVATE, 1, IPC_CREAT | 0o600), Err(Errno::Enospc));
    // Bad configurations are refused.
    for bad in [
        ShmLimits { shmmax: 100, ..base.shm },
        ShmLimits { shmmin: 0, ..base.shm },
        ShmLimits { shmmni: 0, ..base.shm },
        ShmLimits { shmall: 0, ..base.shm },
        ShmLimits { shmmax: 1 << 40, ..base.shm },
    ] {
        assert_eq!(lab.create(&Config { shm: bad, ..base }).err(), Some(Errno::Einval), "{bad:?}");
    }
}

#[test]
fn rmid_while_attached_and_the_last_detach() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = lab.shmget(a.thread, 0x42, 100, IPC_CREAT | 0o600).unwrap();
    let va = lab.shmat(a.thread, id, 0, 0).unwrap();
    let vb = lab.shmat(b.thread, id, 0, 0).unwrap();
    lab.shmctl_rmid(a.thread, id).unwrap();
    assert!(lab.last_event().steps.iter().any(|s| s.kind == StepKind::ShmDeferred));
    let s = lab.shm().segments[0].clone();
    assert_eq!((s.removed, s.perm.key, s.nattch), (true, IPC_PRIVATE, 2));
    assert_eq!(lab.shmat(b.thread, id, 0, 0), Err(Errno::Einval));
    assert!(lab.namespace(Facility::Shm).ids.is_empty(), "out of the namespace at once");
    lab.shm_write(b.thread, vb, b"still").unwrap();
    assert_eq!(lab.shm_read(a.thread, va, 5).unwrap(), b"still");
    lab.shmdt(a.thread, va).unwrap();
    assert_eq!(lab.shm().segments.len(), 1);
    lab.shmdt(b.thread, vb).unwrap();
    assert!(lab.last_event().steps.iter().any(|s| s.kind == StepKind::ShmFree));
    assert!(lab.shm().segments.is_empty());
    assert_eq!(lab.shm().committed, 0);
}

#[test]
fn rmlinger_segments_stay_attachable() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let id = lab.shmget(a.thread, IPC_PRIVATE, 10, IPC_CREAT | SHM_RMLINGER | 0o600).unwrap();
    let va = lab.shmat(a.thread, id, 0, 0).unwrap();
    lab.shmctl_rmid(a.thread, id).unwrap();
    let ds = lab.shmctl_stat(a.thread, id).unwrap();
    assert!(ds.removed && ds.rmlinger);
    let va2 = lab.shmat(a.thread, id, 0, 0).unwrap();
    lab.shmdt(a.thread, va).unwrap();
    lab.shmdt(a.thread, va2).unwrap();
    assert_eq!(lab.shmctl_stat(a.thread, id), Err(Errno::Einval));
}

#[test]
fn fork_exec_and_exit() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = seg(&mut lab, p, 1);
    let va = lab.shmat(p.thread, id, 0, 0).unwrap();
    let child = lab.fork(p.process).unwrap();
    let ct = lab.main_thread(child);
    assert_eq!(lab.shmctl_stat(p.thread, id).unwrap().nattch, 2);
    lab.shm_write(ct, va, b"from the child").unwrap();
    assert_eq!(lab.shm_read(p.thread, va, 14).unwrap(), b"from the child");
    lab.exec(child).unwrap();
    assert_eq!(lab.shmctl_stat(p.thread, id).unwrap().nattch, 1);
    assert_eq!(lab.shm_read(ct, va, 1), Err(Errno::Efault));
    lab.shmctl_rmid(p.thread, id).unwrap();
    lab.exit(p.process).unwrap();
    assert!(lab.shm().segments.is_empty(), "exit detached the last attachment of a removed segment");
}

#[test]
fn shmctl_and_tunables() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    let su = lab.spawn_as(&root());
    let id = seg(&mut lab, a, 1);
    assert_eq!(lab.shmctl(a.thread, id, IPC_SET, None), Err(Errno::Efault));
    assert_eq!(lab.shmctl(a.thread, id, 77, None), Err(Errno::Einval));
    assert_eq!(lab.shmctl_stat(other.thread, id), Err(Errno::Eacces));
    assert_eq!(lab.shmctl_rmid(other.thread, id), Err(Errno::Eperm));
    let buf = ShmSet { uid: 200, gid: 20, mode: 0o644 };
    assert_eq!(lab.shmctl_set(other.thread, id, buf), Err(Errno::Eperm));
    lab.shmctl_set(a.thread, id, buf).unwrap();
    assert!(matches!(lab.shmctl(other.thread, id, IPC_STAT, None), Ok(ShmctlReply::Stat(d)) if d.perm.uid == 200));
    assert_eq!(lab.shmctl_lock(a.thread, id, true), Err(Errno::Eperm));
    lab.shmat(su.thread, id, 0, 0).unwrap();
    lab.shmctl_lock(su.thread, id, true).unwrap();
    assert!(lab.shmctl_stat(su.thread, id).unwrap().locked);
    assert_eq!(lab.shmctl(su.thread, id, SHM_UNLOCK, None), Ok(ShmctlReply::Done));
    assert!(!lab.shmctl_stat(su.thread, id).unwrap().locked);
    assert_eq!(lab.shm_set_tunable(a.thread, Tunable::Shmseg(1)), Err(Errno::Eperm));
    assert_eq!(lab.shm_set_tunable(su.thread, Tunable::Shmmni(0)), Err(Errno::Einval));
    assert_eq!(lab.shm_set_tunable(su.thread, Tunable::Shmmax(10)), Err(Errno::Einval));
    lab.shm_set_tunable(su.thread, Tunable::Shmmax(5000)).unwrap();
    let v = lab.shm();
    assert_eq!((v.shmmax, v.shmall), (8192, 2), "rounded to pages; shmall follows");
    assert_eq!(lab.shmget(a.thread, IPC_PRIVATE, 8193, IPC_CREAT | 0o600), Err(Errno::Einval));
    lab.shm_set_tunable(su.thread, Tunable::Shmseg(1)).unwrap();
    assert_eq!(lab.shmat(su.thread, id, 0, 0), Err(Errno::Emfile));
    let _ = SHM_LOCK;
}

#[test]
fn tunable_shmmni_cannot_drop_below_a_used_slot() {
    let mut lab = Lab::new();
    let su = lab.spawn_as(&root());
    for _ in 0..3 {
        seg(&mut lab, su, 1);
    }
    assert_eq!(lab.shm_set_tunable(su.thread, Tunable::Shmmni(2)), Err(Errno::Ebusy));
    lab.shm_set_tunable(su.thread, Tunable::Shmmni(3)).unwrap();
    assert_eq!(lab.shmget(su.thread, IPC_PRIVATE, 1, IPC_CREAT | 0o600), Err(Errno::Enospc));
}

#[test]
fn a_batch_of_loads_and_stores() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = seg(&mut lab, p, 100);
    let va = lab.shmat(p.thread, id, 0, 0).unwrap();
    let ops = [
        Op::ShmWrite(ShmWriteOp { addr: va, data: b"abc".to_vec() }),
        Op::ShmRead(ShmReadOp { addr: va, len: 3 }),
        Op::ShmRead(ShmReadOp { addr: va + PAGE, len: 1 }),
        Op::ShmRead(ShmReadOp { addr: va + 1, len: 1 }),
    ];
    let r = lab.batch(p.thread, &ops).unwrap();
    assert_eq!(
        r,
        vec![
            Ok(OpResult::Done),
            Ok(OpResult::Bytes(b"abc".to_vec())),
            Err(Errno::Efault),
            Ok(OpResult::Bytes(b"b".to_vec()))
        ]
    );
}

#[test]
fn hostile_sizes_and_addresses() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    assert_eq!(lab.shmget(p.thread, IPC_PRIVATE, u64::MAX, IPC_CREAT | 0o600), Err(Errno::Einval));
    let id = seg(&mut lab, p, 1);
    for addr in [u64::MAX, u64::MAX - 4095, 1 << 47] {
        assert_eq!(lab.shmat(p.thread, id, addr, SHM_RND), Err(Errno::Enomem), "{addr:#x}");
    }
    assert_eq!(lab.shmat(p.thread, i32::MIN, 0, 0), Err(Errno::Einval));
    assert_eq!(lab.shmat(p.thread, id, 0, -1), Err(Errno::Einval));
    let va = lab.shmat(p.thread, id, 0, 0).unwrap();
    assert_eq!(lab.shm_read(p.thread, u64::MAX, u64::MAX), Err(Errno::Einval));
    assert_eq!(lab.shm_read(p.thread, u64::MAX - 1, 5), Err(Errno::Efault));
    assert_eq!(lab.shm_read(p.thread, va, 0), Ok(vec![]));
    assert_eq!(lab.shm_write(p.thread, va, &vec![7; 4097]), Err(Errno::Efault), "one byte past the page");
    assert_eq!(lab.shm_write(p.thread, va, &vec![7; (1 << 20) + 1]), Err(Errno::Einval));
    assert_eq!(lab.shmdt(p.thread, 0), Err(Errno::Einval));
    assert_eq!(lab.shmctl(p.thread, id, i32::MIN, None), Err(Errno::Einval));
    assert_eq!(lab.shm_set_tunable(p.thread, Tunable::Shmmax(u64::MAX)), Err(Errno::Eperm));
    let su = lab.spawn_as(&root());
    assert_eq!(lab.shm_set_tunable(su.thread, Tunable::Shmmax(u64::MAX)), Err(Errno::Einval));
    assert_eq!(lab.shm_set_tunable(su.thread, Tunable::Shmmaxpgs(u64::MAX)), Err(Errno::Einval));
    // The snapshot round-trips the bytes; a tampered one is refused.
    lab.shm_write(p.thread, va, b"snap").unwrap();
    let snap = lab.snapshot();
    lab.shm_write(p.thread, va, b"gone").unwrap();
    lab.restore(&snap).unwrap();
    assert_eq!(lab.shm_read(p.thread, va, 4).unwrap(), b"snap");
    let tampered = snap.replace("\"nattch\":1", "\"nattch\":5");
    assert_ne!(tampered, snap);
    assert_eq!(lab.restore(&tampered), Err(Errno::Einval));
    lab.assert_alive();
}
