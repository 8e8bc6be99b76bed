//! The `msg` interface through the component: msgget, msgsnd, msgrcv,
//! msgctl (the three typed forms and the raw one), msgids, permissions
//! across processes, parking and waking, removal and timeouts.

use ipc_host_tests::*;

fn queue(lab: &mut Lab, p: Proc, mode: i32) -> i32 {
    lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | mode).unwrap()
}

#[test]
fn msgget_creates_finds_and_refuses() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, 0x1234, IPC_CREAT | 0o640).unwrap();
    assert_eq!(lab.msgget(p.thread, 0x1234, 0), Ok(id), "an existing key");
    assert_eq!(lab.msgget(p.thread, 0x1234, IPC_CREAT | 0o600), Ok(id), "CREAT without EXCL finds it");
    assert_eq!(lab.msgget(p.thread, 0x1234, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::Eexist));
    assert_eq!(lab.msgget(p.thread, 0x9999, 0), Err(Errno::Enoent));
    assert_eq!(lab.msgget(p.thread, 0x9999, 0o600), Err(Errno::Enoent));
    assert_eq!(lab.msgget(p.thread, 0x1234, 0o604), Err(Errno::Eacces), "asked bits not in the mode");
    assert_eq!(lab.msgget(p.thread, 0x1234, 0o640), Ok(id), "asked bits within the mode");
    assert_eq!(lab.msgget(p.thread, 0x1234, IPC_NOWAIT), Err(Errno::Einval), "not a msgget flag");
    assert_eq!(lab.msgget(p.thread, 0x5678, IPC_CREAT | 0o10000), Err(Errno::Einval));
    // IPC_PRIVATE always makes a new queue, even with EXCL.
    let a = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0o600).unwrap();
    let b = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert!(a != b && a != id && b != id);
    let ds = lab.stat(p.thread, id).unwrap();
    assert_eq!(ds.perm.mode, IPC_ALLOC | 0o640);
    assert_eq!((ds.perm.uid, ds.perm.gid, ds.perm.cuid, ds.perm.cgid), (100, 10, 100, 10));
    assert_eq!((ds.perm.key, ds.perm.zone, ds.perm.project), (0x1234, 0, 1));
    assert_eq!((ds.qnum, ds.cbytes, ds.qbytes, ds.qmax), (0, 0, 65536, 8192));
}

#[test]
fn msgsnd_and_msgrcv_move_messages_and_count_them() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let b = lab.spawn(100, 10);
    let id = queue(&mut lab, a, 0o600);
    lab.advance(3);
    assert_eq!(lab.msgsnd(a.thread, id, 5, b"hello", 0, None), Ok(SendOutcome::Sent));
    lab.send(a.thread, id, 6, b"world!").unwrap();
    let ds = lab.stat(a.thread, id).unwrap();
    assert_eq!((ds.qnum, ds.cbytes, ds.lspid, ds.stime, ds.lrpid), (2, 11, 1, 3, 0));
    let q = lab.queue(id);
    assert_eq!(q.messages.len(), 2);
    assert_eq!((q.messages[0].mtype, q.messages[0].size, q.messages[0].head.as_slice()), (5, 5, &b"hello"[..]));
    lab.advance(4);
    assert_eq!(
        lab.msgrcv(b.thread, id, 64, 0, 0, None),
        Ok(RecvOutcome::Received(Received { mtype: 5, data: b"hello".to_vec() }))
    );
    let ds = lab.stat(a.thread, id).unwrap();
    assert_eq!((ds.qnum, ds.cbytes, ds.lrpid, ds.rtime), (1, 6, 2, 7));
    // An empty message is a message.
    lab.send(a.thread, id, 1, b"").unwrap();
    assert_eq!(lab.recv(b.thread, id, 0, 1), Ok(Received { mtype: 1, data: vec![] }));
}

#[test]
fn msgsnd_errno_paths() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    let id = queue(&mut lab, a, 0o644);
    assert_eq!(lab.msgsnd(a.thread, id, 0, b"x", 0, None), Err(Errno::Einval), "mtype 0");
    assert_eq!(lab.msgsnd(a.thread, id, -1, b"x", 0, None), Err(Errno::Einval), "mtype < 0");
    let too_big = vec![0u8; 65537];
    assert_eq!(lab.msgsnd(a.thread, id, 1, &too_big, 0, None), Err(Errno::Einval), "above the message limit");
    assert_eq!(lab.msgsnd(a.thread, id, 1, b"x", MSG_NOERROR, None), Err(Errno::Einval), "not a msgsnd flag");
    assert_eq!(lab.msgsnd(a.thread, id + 1, 1, b"x", 0, None), Err(Errno::Einval), "no such id");
    assert_eq!(lab.msgsnd(other.thread, id, 1, b"x", 0, None), Err(Errno::Eacces), "0644: others may not write");
    // Full queue and IPC_NOWAIT.
    lab.set(a.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o644, qbytes: 10 }).unwrap();
    lab.send(a.thread, id, 1, b"12345678").unwrap();
    assert_eq!(lab.msgsnd(a.thread, id, 1, b"123", IPC_NOWAIT, None), Err(Errno::Eagain));
    assert_eq!(lab.msgsnd(a.thread, id, 1, &[0; 11], IPC_NOWAIT, None), Err(Errno::Einval), "above msg-qbytes");
    assert_eq!(lab.send(a.thread, id, 1, b"12"), Ok(()), "exactly fits");
    // Full by message count.
    let cfg = Config { msg: MsgLimits { max_queue_messages: 2, ..lab.default_config().msg }, ..lab.default_config() };
    lab.kernel = lab.create(&cfg).unwrap();
    let p = lab.spawn(1, 1);
    let id = queue(&mut lab, p, 0o600);
    lab.send(p.thread, id, 1, b"").unwrap();
    lab.send(p.thread, id, 1, b"").unwrap();
    assert_eq!(lab.send(p.thread, id, 1, b""), Err(Errno::Eagain));
    assert_eq!(lab.stat(p.thread, id).unwrap().qmax, 2);
}

#[test]
fn msgrcv_errno_paths_and_truncation() {
    let mut lab = Lab::new();
    let a = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    let id = queue(&mut lab, a, 0o620);
    assert_eq!(lab.msgrcv(a.thread, id, 64, 0, IPC_NOWAIT, None), Err(Errno::Enomsg));
    assert_eq!(lab.msgrcv(a.thread, id, 64, 0, IPC_CREAT, None), Err(Errno::Einval), "not a msgrcv flag");
    assert_eq!(lab.msgrcv(other.thread, id, 64, 0, IPC_NOWAIT, None), Err(Errno::Eacces));
    lab.send(a.thread, id, 4, b"0123456789").unwrap();
    assert_eq!(lab.msgrcv(a.thread, id, 5, 0, IPC_NOWAIT, None), Err(Errno::E2big));
    assert_eq!(lab.msgrcv(a.thread, id, 9, 4, 0, None), Err(Errno::E2big), "even without NOWAIT");
    let ds = lab.stat(a.thread, id).unwrap();
    assert_eq!((ds.qnum, ds.cbytes), (1, 10), "the message stays queued after E2BIG");
    assert_eq!(
        lab.msgrcv(a.thread, id, 5, 0, MSG_NOERROR | IPC_NOWAIT, None),
        Ok(RecvOutcome::Received(Received { mtype: 4, data: b"01234".to_vec() }))
    );
    let ds = lab.stat(a.thread, id).unwrap();
    assert_eq!((ds.qnum, ds.cbytes), (0, 0), "the whole message left");
    // MSG_NOERROR with a big enough buffer changes nothing.
    lab.send(a.thread, id, 4, b"abc").unwrap();
    assert_eq!(
        lab.msgrcv(a.thread, id, 3, 0, MSG_NOERROR, None),
        Ok(RecvOutcome::Received(Received { mtype: 4, data: b"abc".to_vec() }))
    );
}

#[test]
fn msgrcv_selects_by_type() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = queue(&mut lab, p, 0o600);
    for (t, d) in [(3, "a"), (1, "b"), (2, "c"), (1, "d"), (5, "e")] {
        lab.send(p.thread, id, t, d.as_bytes()).unwrap();
    }
    let got =
        |lab: &mut Lab, typ: i64| lab.recv(p.thread, id, 8, typ).map(|m| (m.mtype, String::from_utf8(m.data).unwrap()));
    assert_eq!(got(&mut lab, 2), Ok((2, "c".into())), "> 0: first of that type");
    assert_eq!(got(&mut lab, 4), Err(Errno::Enomsg), "no message of type 4");
    assert_eq!(got(&mut lab, -2), Ok((1, "b".into())), "< 0: first of the lowest type <= 2");
    assert_eq!(got(&mut lab, 0), Ok((3, "a".into())), "0: the first in arrival order");
    assert_eq!(got(&mut lab, -3), Ok((1, "d".into())));
    assert_eq!(got(&mut lab, -4), Err(Errno::Enomsg), "only type 5 is left");
    assert_eq!(got(&mut lab, -5), Ok((5, "e".into())));
    assert_eq!(got(&mut lab, 0), Err(Errno::Enomsg));
}

#[test]
fn msgctl_stat_set_rmid_and_the_raw_form() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let stranger = lab.spawn(200, 20);
    let su = lab.spawn_as(&root());
    let id = queue(&mut lab, owner, 0o644);
    lab.advance(50);

    assert_eq!(lab.stat(stranger.thread, id).map(|d| d.perm.mode), Ok(IPC_ALLOC | 0o644), "0644 lets others read");
    let set = MsqidSet { uid: 300, gid: 30, mode: 0o1640, qbytes: 1000 };
    assert_eq!(lab.set(stranger.thread, id, &set), Err(Errno::Eperm), "not owner or creator");
    assert_eq!(lab.set(owner.thread, id, &MsqidSet { qbytes: 70000, ..set }), Err(Errno::Eperm), "raising qbytes");
    assert_eq!(lab.set(owner.thread, id, &MsqidSet { uid: 2_147_483_648, ..set }), Err(Errno::Einval));
    lab.set(owner.thread, id, &set).unwrap();
    let ds = lab.stat(owner.thread, id).unwrap();
    assert_eq!((ds.perm.uid, ds.perm.gid, ds.perm.cuid, ds.perm.cgid), (300, 30, 100, 10), "creator stays");
    assert_eq!(ds.perm.mode, IPC_ALLOC | 0o640, "only the 0777 bits are set");
    assert_eq!((ds.qbytes, ds.ctime), (1000, 50));
    // The creator may still set; privilege may raise qbytes.
    lab.set(su.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: 100_000 }).unwrap();
    assert_eq!(lab.stat(owner.thread, id).unwrap().qbytes, 100_000);

    // The raw form with illumos command numbers.
    match lab.msgctl(owner.thread, id, IPC_STAT, None) {
        Ok(Reply::MsqStat(ds)) => assert_eq!(ds.qbytes, 100_000),
        other => panic!("{other:?}"),
    }
    let back = MsqidSet { uid: 100, gid: 10, mode: 0o666, qbytes: 500 };
    assert_eq!(lab.msgctl(owner.thread, id, IPC_SET, Some(&back)), Ok(Reply::None));
    assert_eq!(lab.stat(owner.thread, id).unwrap().qbytes, 500);
    assert_eq!(lab.msgctl(owner.thread, id, IPC_SET, None), Err(Errno::Efault));
    for cmd in [0, 1, 9, 13, 99, -1, i32::MAX, i32::MIN] {
        assert_eq!(lab.msgctl(owner.thread, id, cmd, None), Err(Errno::Einval), "cmd {cmd}");
        assert_eq!(lab.msgctl(owner.thread, id, cmd, Some(&back)), Err(Errno::Einval), "cmd {cmd}");
    }

    assert_eq!(lab.rmid(stranger.thread, id), Err(Errno::Eperm));
    assert_eq!(lab.msgctl(owner.thread, id, IPC_RMID, None), Ok(Reply::None));
    assert_eq!(lab.rmid(owner.thread, id), Err(Errno::Einval), "already removed");
    assert_eq!(lab.stat(owner.thread, id), Err(Errno::Einval));
    let id2 = queue(&mut lab, owner, 0o600);
    assert_eq!(lab.rmid(su.thread, id2), Ok(()), "privilege may remove");
}

#[test]
fn msgids_lists_ids_newest_first() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    assert_eq!(lab.msgids(p.thread), Ok(vec![]));
    let a = queue(&mut lab, p, 0o600);
    let b = lab.msgget(p.thread, 5, IPC_CREAT | 0o600).unwrap();
    let c = queue(&mut lab, p, 0o600);
    assert_eq!(lab.msgids(p.thread), Ok(vec![c, b, a]));
    lab.rmid(p.thread, b).unwrap();
    assert_eq!(lab.msgids(p.thread), Ok(vec![c, a]));
    assert_eq!(lab.namespace(Facility::Msg).ids, vec![c, a]);
}

#[test]
fn permissions_across_processes_with_different_credentials() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let other = lab.spawn(200, 20);
    let su = lab.spawn_as(&root());
    let id = lab.msgget(owner.thread, 0x600, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.msgsnd(other.thread, id, 1, b"x", IPC_NOWAIT, None), Err(Errno::Eacces));
    assert_eq!(lab.msgrcv(other.thread, id, 8, 0, IPC_NOWAIT, None), Err(Errno::Eacces));
    assert_eq!(lab.stat(other.thread, id), Err(Errno::Eacces));
    assert_eq!(lab.msgget(other.thread, 0x600, 0), Ok(id), "GET itself checks only the asked bits");
    assert_eq!(lab.msgget(other.thread, 0x600, 0o400), Ok(id), "0400 asked, 0600 granted by mode");
    // Privilege passes every check.
    lab.send(su.thread, id, 1, b"root").unwrap();
    assert_eq!(lab.recv(su.thread, id, 8, 0).unwrap().data, b"root");
    assert!(lab.stat(su.thread, id).is_ok());
    // Effective uid counts, not the real one.
    let setuid = lab.spawn_as(&Credentials { ruid: 200, euid: 100, ..user(200, 20) });
    lab.send(setuid.thread, id, 1, b"e").unwrap();
    let realonly = lab.spawn_as(&Credentials { ruid: 100, euid: 200, ..user(200, 20) });
    assert_eq!(lab.send(realonly.thread, id, 1, b"r"), Err(Errno::Eacces));

    // Group access, through the effective gid or a supplementary group.
    let gq = lab.msgget(owner.thread, 0x660, IPC_CREAT | 0o660).unwrap();
    let member = lab.spawn_as(&Credentials { groups: vec![5, 10], ..user(300, 30) });
    let by_egid = lab.spawn(301, 10);
    let outsider = lab.spawn_as(&Credentials { groups: vec![5, 11], ..user(302, 30) });
    lab.send(member.thread, gq, 1, b"m").unwrap();
    lab.send(by_egid.thread, gq, 1, b"e").unwrap();
    assert_eq!(lab.send(outsider.thread, gq, 1, b"o"), Err(Errno::Eacces));
    assert_eq!(lab.recv(outsider.thread, gq, 8, 0), Err(Errno::Eacces));
    assert_eq!(lab.recv(member.thread, gq, 8, 0).unwrap().data, b"m");
    // The real gid does not count either.
    let real_gid = lab.spawn_as(&Credentials { rgid: 10, ..user(303, 30) });
    assert_eq!(lab.send(real_gid.thread, gq, 1, b"x"), Err(Errno::Eacces));
}

#[test]
fn a_receiver_parked_in_one_process_is_woken_by_a_sender_in_another() {
    let mut lab = Lab::new();
    let writer = lab.spawn(100, 10);
    let reader = lab.spawn(200, 20);
    let id = lab.msgget(writer.thread, 0xabc, IPC_CREAT | 0o666).unwrap();
    lab.advance(10);
    let reason = match lab.msgrcv(reader.thread, id, 64, 7, 0, None) {
        Ok(RecvOutcome::Blocked(r)) => r,
        other => panic!("{other:?}"),
    };
    assert!(reason.contains("type 7"), "{reason}");
    let q = lab.queue(id);
    assert_eq!(q.receivers, vec![WaiterView { tid: 2, pid: 2, reason: reason.clone(), since: 10, deadline: None }]);
    assert!(q.senders.is_empty());
    assert_eq!(q.refs, 2, "the waiter holds the queue");
    assert_eq!(lab.stat(writer.thread, id).unwrap().perm.mode & MSG_RWAIT, MSG_RWAIT);
    let procs = lab.processes();
    let state = &procs.iter().find(|p| p.pid == 2).unwrap().threads[0].state;
    assert!(matches!(state, ThreadState::Blocked(b) if b.reason == reason && b.since == 10), "{state:?}");

    // A message of another type does not wake it.
    lab.send(writer.thread, id, 1, b"not for you").unwrap();
    assert_eq!(lab.take_result(reader.thread), Err(Errno::Eagain));
    lab.send(writer.thread, id, 7, b"for you").unwrap();
    let woke = lab.last_event().woke;
    assert_eq!(woke.len(), 1);
    assert_eq!((woke[0].tid, woke[0].pid), (2, 2));
    let done = lab.take_result(reader.thread).unwrap();
    assert_eq!(
        done,
        Completion {
            call: "msgrcv".into(),
            result: Ok(Reply::Message(Received { mtype: 7, data: b"for you".to_vec() }))
        }
    );
    let q = lab.queue(id);
    assert!(q.receivers.is_empty());
    assert_eq!((q.refs, q.qnum, q.lrpid), (1, 1, 2));
    assert_eq!(lab.stat(writer.thread, id).unwrap().perm.mode & MSG_RWAIT, 0);
}

#[test]
fn rmid_wakes_parked_senders_and_receivers_with_eidrm() {
    let mut lab = Lab::new();
    let owner = lab.spawn(100, 10);
    let s = lab.spawn(100, 10);
    let r = lab.spawn(100, 10);
    let id = queue(&mut lab, owner, 0o666);
    lab.set(owner.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o666, qbytes: 4 }).unwrap();
    lab.send(owner.thread, id, 1, b"full").unwrap();
    assert!(matches!(lab.msgsnd(s.thread, id, 1, b"more", 0, None), Ok(SendOutcome::Blocked(_))));
    assert!(matches!(lab.msgrcv(r.thread, id, 64, 99, 0, None), Ok(RecvOutcome::Blocked(_))));
    let q = lab.queue(id);
    assert_eq!((q.senders.len(), q.receivers.len(), q.refs), (1, 1, 3));
    let mode = lab.stat(owner.thread, id).unwrap().perm.mode;
    assert_eq!(mode & (MSG_RWAIT | MSG_WWAIT), MSG_RWAIT | MSG_WWAIT);

    lab.rmid(owner.thread, id).unwrap();
    let ev = lab.last_event();
    let mut woken: Vec<u32> = ev.woke.iter().map(|w| w.tid).collect();
    woken.sort_unstable();
    assert_eq!(woken, vec![2, 3]);
    assert!(ev.woke.iter().all(|w| w.outcome == EventOutcome::Failed(Errno::Eidrm)));
    assert_eq!(lab.take_result(s.thread), Ok(Completion { call: "msgsnd".into(), result: Err(Errno::Eidrm) }));
    assert_eq!(lab.take_result(r.thread), Ok(Completion { call: "msgrcv".into(), result: Err(Errno::Eidrm) }));
    assert!(lab.msg_queues().is_empty(), "the waiters let go: destroyed");
    assert_eq!(lab.stat(owner.thread, id), Err(Errno::Einval));
}

#[test]
fn timeouts_follow_the_logical_clock() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let w = lab.spawn(100, 10);
    let id = queue(&mut lab, p, 0o600);
    assert!(matches!(lab.msgrcv(p.thread, id, 64, 0, 0, Some(1000)), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.queue(id).receivers[0].deadline, Some(1000));
    assert_eq!(lab.advance(999), 999);
    assert_eq!(lab.take_result(p.thread), Err(Errno::Eagain), "still parked at 999");
    assert_eq!(lab.advance(1), 1000);
    let ev = lab.last_event();
    assert_eq!(ev.call, "advance");
    assert_eq!(ev.woke.len(), 1);
    assert_eq!(lab.take_result(p.thread), Ok(Completion { call: "msgrcv".into(), result: Err(Errno::Eagain) }));
    assert_eq!(lab.queue(id).refs, 1);

    // A zero timeout never waits; a message in time cancels the deadline.
    assert_eq!(lab.msgrcv(p.thread, id, 64, 0, 0, Some(0)), Err(Errno::Eagain));
    assert!(matches!(lab.msgrcv(p.thread, id, 64, 0, 0, Some(10)), Ok(RecvOutcome::Blocked(_))));
    lab.send(w.thread, id, 1, b"in time").unwrap();
    lab.advance(100);
    assert_eq!(
        lab.take_result(p.thread).unwrap().result,
        Ok(Reply::Message(Received { mtype: 1, data: b"in time".to_vec() }))
    );

    // Sender timeouts too.
    lab.set(p.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: 1 }).unwrap();
    lab.send(p.thread, id, 1, b"x").unwrap();
    assert!(matches!(lab.msgsnd(w.thread, id, 1, b"y", 0, Some(5)), Ok(SendOutcome::Blocked(_))));
    lab.advance(5);
    assert_eq!(lab.take_result(w.thread), Ok(Completion { call: "msgsnd".into(), result: Err(Errno::Eagain) }));
}

#[test]
fn parked_threads_wake_in_order() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let r1 = lab.spawn(100, 10);
    let r2 = lab.spawn(100, 10);
    let id = queue(&mut lab, p, 0o600);
    assert!(lab.msgrcv(r1.thread, id, 64, 0, 0, None).is_ok());
    assert!(lab.msgrcv(r2.thread, id, 64, 0, 0, None).is_ok());
    lab.send(p.thread, id, 1, b"first").unwrap();
    assert_eq!(lab.take_result(r2.thread), Err(Errno::Eagain));
    assert_eq!(
        lab.take_result(r1.thread).unwrap().result,
        Ok(Reply::Message(Received { mtype: 1, data: b"first".to_vec() }))
    );
    lab.send(p.thread, id, 1, b"second").unwrap();
    assert_eq!(
        lab.take_result(r2.thread).unwrap().result,
        Ok(Reply::Message(Received { mtype: 1, data: b"second".to_vec() }))
    );
}
