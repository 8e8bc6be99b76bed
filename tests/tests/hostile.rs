//! The hostile battery: every kind of caller value the WIT lets through —
//! out-of-range ids, extreme sizes and types, bad flags and credentials,
//! clock overflow, dead and busy threads, dropped handles, garbage
//! snapshots.  Each call must come back as a value (never a trap: the
//! harness fails the test if wasmtime reports one), and after each the
//! instance must still work.

use ipc_host_tests::*;

/// A lab with one owner process and one queue holding a message.
fn setup() -> (Lab, Proc, i32) {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, 0x77, IPC_CREAT | 0o600).unwrap();
    lab.send(p.thread, id, 5, b"payload").unwrap();
    (lab, p, id)
}

const BAD_IDS: [i32; 8] = [-1, -2, i32::MIN, i32::MIN + 1, i32::MAX, i32::MAX - 1, 1 << 30, 64];

#[test]
fn bad_ids_are_einval_everywhere() {
    let (mut lab, p, id) = setup();
    let buf = MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: 10 };
    for bad in BAD_IDS {
        assert_eq!(lab.msgsnd(p.thread, bad, 1, b"x", IPC_NOWAIT, None), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.msgsnd(p.thread, bad, 1, b"x", 0, Some(5)), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.msgrcv(p.thread, bad, 8, 0, IPC_NOWAIT, None), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.msgrcv(p.thread, bad, 8, 0, 0, None), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.stat(p.thread, bad), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.set(p.thread, bad, &buf), Err(Errno::Einval), "{bad}");
        assert_eq!(lab.rmid(p.thread, bad), Err(Errno::Einval), "{bad}");
        for cmd in [IPC_STAT, IPC_SET, IPC_RMID, 0, -1] {
            assert_eq!(lab.msgctl(p.thread, bad, cmd, Some(&buf)), Err(Errno::Einval), "{bad} {cmd}");
        }
        lab.assert_alive();
    }
    // The good id next to them is untouched.
    assert_eq!(lab.stat(p.thread, id).unwrap().qnum, 1);
}

#[test]
fn an_id_whose_slot_another_queue_took_is_stale() {
    let (mut lab, p, old) = setup();
    lab.rmid(p.thread, old).unwrap();
    let new = lab.msgget(p.thread, 0x78, IPC_CREAT | 0o600).unwrap();
    assert_eq!(old & 0xffffff, new & 0xffffff, "same slot");
    assert_ne!(old, new);
    lab.send(p.thread, new, 1, b"mine").unwrap();
    assert_eq!(lab.send(p.thread, old, 1, b"x"), Err(Errno::Einval));
    assert_eq!(lab.recv(p.thread, old, 64, 0), Err(Errno::Einval));
    assert_eq!(lab.stat(p.thread, old), Err(Errno::Einval));
    assert_eq!(lab.rmid(p.thread, old), Err(Errno::Einval));
    assert_eq!(
        lab.msgctl(p.thread, old, IPC_SET, Some(&MsqidSet { uid: 1, gid: 1, mode: 0o777, qbytes: 1 })),
        Err(Errno::Einval)
    );
    // The new occupant saw none of it.
    let ds = lab.stat(p.thread, new).unwrap();
    assert_eq!((ds.qnum, ds.perm.uid, ds.perm.mode & 0o777), (1, 100, 0o600));
    lab.assert_alive();
}

#[test]
fn extreme_sizes_and_types() {
    let (mut lab, p, id) = setup();
    assert_eq!(lab.msgsnd(p.thread, id, i64::MIN, b"x", IPC_NOWAIT, None), Err(Errno::Einval));
    assert_eq!(lab.msgsnd(p.thread, id, i64::MAX, b"max", IPC_NOWAIT, None), Ok(SendOutcome::Sent));
    // msgtyp i64::MIN: the lowest type <= |i64::MIN| — every type qualifies.
    assert_eq!(lab.recv(p.thread, id, 64, i64::MIN).map(|m| m.mtype), Ok(5));
    assert_eq!(lab.recv(p.thread, id, u64::MAX, i64::MIN).map(|m| m.data), Ok(b"max".to_vec()), "msgsz u64::MAX");
    assert_eq!(lab.recv(p.thread, id, u64::MAX, i64::MAX), Err(Errno::Enomsg));
    assert_eq!(lab.recv(p.thread, id, u64::MAX, i64::MIN), Err(Errno::Enomsg));
    lab.send(p.thread, id, 1, b"abc").unwrap();
    assert_eq!(lab.msgrcv(p.thread, id, 0, 0, IPC_NOWAIT, None), Err(Errno::E2big));
    assert_eq!(
        lab.msgrcv(p.thread, id, 0, 0, IPC_NOWAIT | MSG_NOERROR, None),
        Ok(RecvOutcome::Received(Received { mtype: 1, data: vec![] }))
    );
    // Data larger than max-message-bytes (and than the queue) is refused.
    let huge = vec![7u8; 65536 + 1];
    assert_eq!(lab.msgsnd(p.thread, id, 1, &huge, IPC_NOWAIT, None), Err(Errno::Einval));
    assert_eq!(lab.msgsnd(p.thread, id, 1, &huge, 0, Some(u64::MAX)), Err(Errno::Einval));
    let bigger = vec![0u8; 1 << 20];
    assert_eq!(lab.msgsnd(p.thread, id, 1, &bigger, 0, None), Err(Errno::Einval));
    // IPC_SET with qbytes u64::MAX is a privilege matter, not an overflow.
    assert_eq!(
        lab.set(p.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: u64::MAX }),
        Err(Errno::Eperm)
    );
    let su = lab.spawn_as(&root());
    lab.set(su.thread, id, &MsqidSet { uid: 100, gid: 10, mode: 0o600, qbytes: u64::MAX }).unwrap();
    let max = vec![1u8; 65536];
    lab.send(p.thread, id, 1, &max).unwrap();
    assert_eq!(lab.stat(p.thread, id).unwrap().cbytes, 65536);
    lab.assert_alive();
}

#[test]
fn every_flag_bit_pattern_is_handled() {
    let (mut lab, p, id) = setup();
    for flg in [-1, i32::MIN, i32::MAX, 0x7fff_f000, 1 << 20, 0o20000] {
        assert_eq!(lab.msgget(p.thread, 0x77, flg), Err(Errno::Einval), "msgget {flg:#x}");
        assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, flg), Err(Errno::Einval), "msgget {flg:#x}");
        assert_eq!(lab.msgsnd(p.thread, id, 1, b"x", flg, None), Err(Errno::Einval), "msgsnd {flg:#x}");
        assert_eq!(lab.msgrcv(p.thread, id, 64, 0, flg, None), Err(Errno::Einval), "msgrcv {flg:#x}");
        lab.assert_alive();
    }
    for cmd in [-1, i32::MIN, i32::MAX, 13, 9] {
        assert_eq!(lab.msgctl(p.thread, id, cmd, None), Err(Errno::Einval), "msgctl {cmd}");
    }
    // Keys are any s32.
    for key in [i32::MIN, -1, i32::MAX] {
        let k = lab.msgget(p.thread, key, IPC_CREAT | 0o600).unwrap();
        assert_eq!(lab.msgget(p.thread, key, 0), Ok(k));
    }
    assert_eq!(lab.stat(p.thread, id).unwrap().qnum, 1);
}

#[test]
fn invalid_credentials_are_refused() {
    let mut lab = Lab::new();
    let bad = [
        user(u32::MAX, 1),
        user(1, u32::MAX),
        Credentials { ruid: u32::MAX, ..user(1, 1) },
        Credentials { rgid: 2_147_483_648, ..user(1, 1) },
        Credentials { groups: vec![u32::MAX], ..user(1, 1) },
        Credentials { groups: vec![0; 1000], ..user(1, 1) },
        Credentials { groups: (0..65).collect(), ..user(1, 1) },
        Credentials { groups: vec![1; 100_000], privileged: true, ..user(1, 1) },
    ];
    for cred in bad {
        assert_eq!(
            lab.spawn_cred(&cred, 0, 1).err(),
            Some(Errno::Einval),
            "{:?}",
            (cred.ruid, cred.euid, cred.groups.len())
        );
        lab.assert_alive();
    }
    // Extreme zones and projects are just numbers.
    let p = lab.spawn_in(&user(1, 1), u32::MAX, u32::MAX);
    assert!(lab.msgget(p.thread, 1, IPC_CREAT | 0o600).is_ok());
    lab.exit(p.process).unwrap();
    assert_eq!(lab.zone_remove(u32::MAX), Ok(1));
    lab.set_project_limit(u32::MAX, Facility::Msg, u32::MAX);
    lab.assert_alive();
}

#[test]
fn the_clock_saturates() {
    let (mut lab, p, id) = setup();
    assert!(matches!(lab.msgrcv(p.thread, id, 64, 99, 0, Some(u64::MAX)), Ok(RecvOutcome::Blocked(_))));
    lab.advance(10);
    assert_eq!(lab.advance(u64::MAX), u64::MAX);
    assert_eq!(lab.advance(u64::MAX), u64::MAX);
    assert_eq!(lab.now(), u64::MAX);
    assert_eq!(lab.take_result(p.thread).unwrap().result, Err(Errno::Eagain), "the saturated deadline passed");
    // Timeouts at the end of time still work.
    assert!(matches!(lab.msgrcv(p.thread, id, 64, 99, 0, Some(u64::MAX)), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.queue(id).receivers[0].deadline, Some(u64::MAX));
    lab.advance(1);
    assert_eq!(lab.take_result(p.thread).unwrap().result, Err(Errno::Eagain));
    lab.assert_alive();
}

#[test]
fn event_cursors_past_the_end_read_nothing() {
    let (mut lab, _, _) = setup();
    let (_, next) = lab.events(0);
    for cursor in [next, next + 1, 1 << 31, 1 << 32, (1 << 32) + 1, u64::MAX / 2, u64::MAX] {
        let (events, n) = lab.events(cursor);
        assert!(events.is_empty(), "cursor {cursor} returned {} event(s)", events.len());
        assert_eq!(n, next);
    }
}

#[test]
fn threads_of_an_exited_process_give_esrch() {
    let (mut lab, p, id) = setup();
    let extra = lab.thread_create(p.process).unwrap();
    lab.exit(p.process).unwrap();
    for t in [p.thread, extra] {
        assert_eq!(lab.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Esrch));
        assert_eq!(lab.msgsnd(t, id, 1, b"x", 0, None), Err(Errno::Esrch));
        assert_eq!(lab.msgrcv(t, id, 8, 0, 0, None), Err(Errno::Esrch));
        assert_eq!(lab.stat(t, id), Err(Errno::Esrch));
        assert_eq!(lab.rmid(t, id), Err(Errno::Esrch));
        assert_eq!(lab.msgctl(t, id, 12345, None), Err(Errno::Esrch));
        assert_eq!(lab.msgids(t), Err(Errno::Esrch));
        assert_eq!(lab.take_result(t), Err(Errno::Esrch));
        assert_eq!(lab.interrupt(t), Err(Errno::Esrch));
    }
    assert_eq!(lab.thread_create(p.process).err(), Some(Errno::Esrch));
    let dead = lab.main_thread(p.process);
    assert_eq!(lab.msgids(dead), Err(Errno::Esrch));
    lab.assert_alive();
}

#[test]
fn a_parked_thread_is_busy() {
    let (mut lab, p, id) = setup();
    assert!(matches!(lab.msgrcv(p.thread, id, 64, 42, 0, None), Ok(RecvOutcome::Blocked(_))));
    assert_eq!(lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Ebusy));
    assert_eq!(lab.msgsnd(p.thread, id, 42, b"self", IPC_NOWAIT, None), Err(Errno::Ebusy));
    assert_eq!(lab.msgrcv(p.thread, id, 64, 0, IPC_NOWAIT, None), Err(Errno::Ebusy));
    assert_eq!(lab.stat(p.thread, id), Err(Errno::Ebusy));
    assert_eq!(lab.msgctl(p.thread, id, -7, None), Err(Errno::Ebusy));
    assert_eq!(lab.msgids(p.thread), Err(Errno::Ebusy));
    // Another thread of the same process is free and can wake it.
    let t2 = lab.thread_create(p.process).unwrap();
    lab.send(t2, id, 42, b"wake").unwrap();
    assert_eq!(lab.msgids(p.thread), Err(Errno::Ebusy), "busy until the result is taken");
    assert!(lab.take_result(p.thread).is_ok());
    assert!(lab.msgids(p.thread).is_ok());
    lab.assert_alive();
}

#[test]
fn handles_outlive_the_dropped_kernel_handle() {
    let (mut lab, p, id) = setup();
    let child = lab.fork(p.process).unwrap();
    let kernel = lab.kernel;
    lab.drop_resource(kernel);
    // The processes and threads still reach their kernel.
    assert_eq!(lab.recv(p.thread, id, 64, 0).map(|m| m.data), Ok(b"payload".to_vec()));
    let ct = lab.main_thread(child);
    assert!(lab.msgget(ct, IPC_PRIVATE, IPC_CREAT | 0o600).is_ok());
    let t = lab.thread_create(p.process).unwrap();
    assert_eq!(lab.msgids(t).map(|ids| ids.len()), Ok(2));
    assert_eq!(lab.exit(child), Ok(()));
    assert_eq!(lab.msgids(ct), Err(Errno::Esrch));
    // Dropping every handle is fine too.
    for r in [ct, t, child, p.thread, p.process] {
        lab.drop_resource(r);
    }
    // A new kernel in the same instance works.
    let cfg = lab.default_config();
    lab.kernel = lab.create(&cfg).unwrap();
    lab.assert_alive();
}

#[test]
fn restore_with_garbage_is_einval_and_changes_nothing() {
    let (mut lab, p, id) = setup();
    let snap = lab.snapshot();
    let deep_array = "[".repeat(100_000);
    let deep_object = "{\"a\":".repeat(50_000);
    let garbage: Vec<String> = vec![
        String::new(),
        "\0\u{1}\u{2}".into(),
        "not json".into(),
        "{\"config\":".into(),
        deep_array,
        deep_object,
        "1e999999".into(),
        "[1,2,3]".into(),
        snap.replace("\"clock\"", "\"clocks\""),
        snap.replacen('{', "[", 1),
        format!("{snap}{snap}"),
        snap.chars().rev().collect(),
    ];
    for g in &garbage {
        assert_eq!(lab.restore(g), Err(Errno::Einval), "{:?}", &g[..g.len().min(60)]);
        lab.assert_alive();
    }
    assert_eq!(lab.recv(p.thread, id, 64, 0).map(|m| m.data), Ok(b"payload".to_vec()));
}

/// A snapshot that parses but whose configuration or structures are
/// inconsistent must be refused, not installed (later calls would hit the
/// inconsistency).
#[test]
fn restore_refuses_parseable_but_inconsistent_state() {
    let (mut lab, p, _) = setup();
    let snap = lab.snapshot();
    let tamper = |from: &str, to: &str| {
        assert!(snap.contains(from), "the snapshot has no {from:?}: {snap}");
        snap.replacen(from, to, 1)
    };
    let bad = [
        tamper("\"event_capacity\":4096", "\"event_capacity\":0"),
        tamper("\"event_capacity\":4096", "\"event_capacity\":4000000000"),
        tamper("\"seq_bits\":7", "\"seq_bits\":0"),
        tamper("\"seq_bits\":7", "\"seq_bits\":31"),
        tamper("\"ids_min\":64", "\"ids_min\":3"),
        tamper("\"table\":[", "\"table\":[{\"seq\":0,\"data\":null},"),
    ];
    for b in &bad {
        assert_eq!(lab.restore(b), Err(Errno::Einval));
        lab.assert_alive();
    }
    lab.assert_alive();
    let _ = p;
}

/// Restoring a snapshot whose arena free list names a cell beyond the arena
/// is refused, and every later call still answers (no trap).
#[test]
fn restore_of_a_tampered_arena_cannot_trap_later_calls() {
    let (mut lab, p, id) = setup();
    let snap = lab.snapshot();
    let from = "\"free\":[],\"len\":1";
    assert!(snap.contains(from), "snapshot layout changed: {snap}");
    let bad = snap.replacen(from, "\"free\":[4000000],\"len\":1", 1);
    assert_eq!(lab.restore(&bad), Err(Errno::Einval));
    let _ = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600);
    let _ = lab.send(p.thread, id, 1, b"x");
    lab.assert_alive();
}
