//! The kernel as a deterministic state machine: same operations, same events
//! and states; snapshots restore exactly; the event log and its cursor;
//! process lifecycle; and hostile input of every kind returns an errno,
//! never a panic.

mod common;
use common::*;
use ipc_core::{EventOutcome, Step};
use proptest::prelude::*;

/// A little two-process script with parking, waking, timeouts and RMID.
fn script(k: &mut Kernel) {
    let a = user(k, 100, 10);
    let b = user(k, 200, 20);
    let id = k.msgget(a, 0x10, IPC_CREAT | 0o666).unwrap();
    let _ = k.msgrcv(a, id, 64, 2, 0, Some(500));
    let _ = k.msgsnd(b, id, 1, b"one", 0, None);
    k.advance(100);
    let _ = k.msgsnd(b, id, 2, b"two", 0, None);
    let _ = k.take_result(a);
    let _ = k.msgrcv(b, id, 64, 9, 0, Some(50));
    k.advance(60);
    let _ = k.msgctl(a, id, IPC_RMID, None);
}

#[test]
fn the_same_operations_give_the_same_events_and_state() {
    let (mut k1, mut k2) = (kernel(), kernel());
    script(&mut k1);
    script(&mut k2);
    assert_eq!(k1.events_since(0), k2.events_since(0));
    assert_eq!(k1, k2);
}

#[test]
fn a_snapshot_restores_to_an_identical_kernel_that_continues_identically() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let id = k.msgget(a, 0x10, IPC_CREAT | 0o666).unwrap();
    let b = user(&mut k, 200, 20);
    assert!(k.msgrcv(b, id, 64, 0, 0, Some(10)).is_blocked());
    let json = serde_json::to_string(&k).unwrap();
    let mut restored: Kernel = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, k);
    for k in [&mut k, &mut restored] {
        send(k, a, id, 1, b"after").unwrap();
        k.take_result(b).unwrap();
    }
    assert_eq!(restored, k);
}

#[test]
fn every_operation_appends_exactly_one_event() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let (_, before) = k.events_since(0);
    let _ = k.msgget(t, 0x5, 0); // fails: still an event
    let _ = k.msgget(t, 0x5, IPC_CREAT | 0o600);
    k.advance(1);
    let (events, after) = k.events_since(before);
    assert_eq!(after - before, 3);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].outcome, EventOutcome::Err(Errno::ENOENT));
    assert!(events[1].to_string().contains("msgget(key=0x5, msgflg=01600) -> id 0x0 (0)"), "{}", events[1]);
}

#[test]
fn the_event_log_is_a_ring_read_with_a_cursor() {
    let mut k = Kernel::new(Config { event_capacity: 4, ..Config::default() }).unwrap();
    for _ in 0..10 {
        k.advance(1);
    }
    let (events, next) = k.events_since(0);
    assert_eq!(next, 10);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 7, 8, 9], "older ones dropped");
    assert!(k.events_since(next).0.is_empty());
    assert_eq!(k.events_since(8).0.len(), 2);
}

#[test]
fn a_parked_call_says_why_in_its_event() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    let _ = k.msgrcv(t, id, 8, -4, 0, None);
    let ev = k.last_event().unwrap();
    assert_eq!(ev.outcome.to_string(), "parked (msgrcv: no message of type <= 4 on msqid 0x0)");
}

#[test]
fn spawn_rejects_impossible_credentials() {
    let mut k = kernel();
    assert_eq!(k.spawn(Credentials::user(u32::MAX, 0), 0, 1), Err(Errno::EINVAL));
    let many = Credentials { groups: (0..65).collect(), ..Credentials::user(1, 1) };
    assert_eq!(k.spawn(many, 0, 1), Err(Errno::EINVAL));
    assert_eq!(k.processes().count(), 0);
}

#[test]
fn an_inconsistent_config_is_einval() {
    for ids in [
        IdSpace { seq_bits: 0, ids_min: 4 },
        IdSpace { seq_bits: 31, ids_min: 4 },
        IdSpace { seq_bits: 7, ids_min: 3 },
        IdSpace { seq_bits: 29, ids_min: 8 },
    ] {
        assert_eq!(Kernel::new(Config { ids, ..Config::default() }).err(), Some(Errno::EINVAL), "{ids:?}");
    }
    assert_eq!(Kernel::new(Config { event_capacity: 0, ..Config::default() }).err(), Some(Errno::EINVAL));
}

#[test]
fn calls_from_unknown_or_exited_threads_are_esrch() {
    let mut k = kernel();
    let (pid, t) = k.spawn(Credentials::user(1, 1), 0, 1).unwrap();
    k.exit(pid).unwrap();
    assert_eq!(k.msgget(t, IPC_PRIVATE, 0o600), Err(Errno::ESRCH));
    assert_eq!(k.msgget(12345, IPC_PRIVATE, 0o600), Err(Errno::ESRCH));
    assert_eq!(k.thread_create(pid), Err(Errno::ESRCH));
    assert_eq!(k.exec(pid), Err(Errno::ESRCH));
}

#[test]
fn the_clock_saturates_instead_of_overflowing() {
    let mut k = kernel();
    k.advance(u64::MAX);
    assert_eq!(k.advance(u64::MAX), u64::MAX);
}

#[derive(Debug, Clone)]
enum Hostile {
    Get(i32, i32),
    Snd(u32, i32, i64, usize, i32, Option<u64>),
    Rcv(u32, i32, u64, i64, i32, Option<u64>),
    Ctl(u32, i32, i32, Option<(u32, u32, u32, u64)>),
    Take(u32),
    Intr(u32),
    Advance(u64),
    Exit(u32),
    Fork(u32),
    Zone(u32),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let tid = 0u32..8;
    prop_oneof![
        (any::<i32>(), any::<i32>()).prop_map(|(k, f)| Hostile::Get(k, f)),
        (tid.clone(), any::<i32>(), any::<i64>(), 0usize..70000, any::<i32>(), any::<Option<u64>>())
            .prop_map(|(t, i, m, n, f, o)| Hostile::Snd(t, i, m, n, f, o)),
        (tid.clone(), any::<i32>(), any::<u64>(), any::<i64>(), any::<i32>(), any::<Option<u64>>())
            .prop_map(|(t, i, s, m, f, o)| Hostile::Rcv(t, i, s, m, f, o)),
        (tid.clone(), any::<i32>(), any::<i32>(), any::<Option<(u32, u32, u32, u64)>>())
            .prop_map(|(t, i, c, s)| Hostile::Ctl(t, i, c, s)),
        tid.clone().prop_map(Hostile::Take),
        tid.clone().prop_map(Hostile::Intr),
        any::<u64>().prop_map(Hostile::Advance),
        (0u32..6).prop_map(Hostile::Exit),
        (0u32..6).prop_map(Hostile::Fork),
        any::<u32>().prop_map(Hostile::Zone),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary values in every argument: only errnos, never a panic, and
    /// every invariant holds afterwards.
    #[test]
    fn hostile_input_only_ever_gets_an_errno(ops in proptest::collection::vec(hostile(), 1..60)) {
        let mut k = small_kernel(2, 7);
        let t = user(&mut k, 100, 10);
        let _ = root(&mut k);
        let ids: Vec<i32> = (0..3).map(|_| k.msgget(t, IPC_PRIVATE, 0o666).unwrap()).collect();
        for op in ops {
            let pick = |i: i32| if i.rem_euclid(3) == 0 { i } else { ids[i.rem_euclid(3) as usize] };
            match op {
                Hostile::Get(key, flag) => { let _ = k.msgget(t, key, flag); }
                Hostile::Snd(tid, id, mtype, n, flag, to) => { let _ = k.msgsnd(tid, pick(id), mtype, &vec![0; n], flag, to); }
                Hostile::Rcv(tid, id, sz, ty, flag, to) => { let _ = k.msgrcv(tid, pick(id), sz, ty, flag, to); }
                Hostile::Ctl(tid, id, cmd, set) => {
                    let set = set.map(|(uid, gid, mode, qbytes)| MsqSet { uid, gid, mode, qbytes });
                    let _ = k.msgctl(tid, pick(id), cmd, set);
                }
                Hostile::Take(tid) => { let _ = k.take_result(tid); }
                Hostile::Intr(tid) => { let _ = k.interrupt(tid); }
                Hostile::Advance(ns) => { k.advance(ns); }
                Hostile::Exit(pid) => { let _ = k.exit(pid); }
                Hostile::Fork(pid) => { let _ = k.fork(pid); }
                Hostile::Zone(z) => { let _ = k.zone_remove(z); }
            }
            // A failed system call says which check refused it.
            let ev = k.last_event().unwrap();
            if let (EventOutcome::Err(e), true) = (&ev.outcome, ["msgget", "msgsnd", "msgrcv", "msgctl"].contains(&ev.call.name())) {
                prop_assert!(
                    ev.steps.iter().any(|s| matches!(s, Step::Denied { errno, .. } if errno == e)),
                    "no denied step for {}", ev
                );
            }
            prop_assert_eq!(k.check(), Ok(()));
        }
    }
}

#[test]
fn a_snapshot_keeps_project_limits() {
    let mut k = kernel();
    k.set_project_limit(1, Facility::Msg, 1).unwrap();
    let json = serde_json::to_string(&k).unwrap();
    let mut restored: Kernel = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, k);
    let t = user(&mut restored, 100, 10);
    restored.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(restored.msgget(t, IPC_PRIVATE, 0o600), Err(Errno::ENOSPC));
}

#[test]
fn an_event_cursor_beyond_32_bits_reads_nothing() {
    let mut k = kernel();
    k.advance(1);
    assert!(k.events_since(1 << 32).0.is_empty());
    assert!(k.events_since(u64::MAX).0.is_empty());
}

/// A snapshot that parses but lies about the kernel's insides must fail
/// `check`, which is what `restore` relies on to refuse it.
#[test]
fn check_refuses_tampered_snapshots() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.msgget(t, 0x7, IPC_CREAT | 0o666).unwrap();
    send(&mut k, t, id, 1, b"a").unwrap();
    send(&mut k, t, id, 2, b"b").unwrap();
    let r = user(&mut k, 100, 10);
    assert!(k.msgrcv(r, id, 8, 9, 0, Some(5)).is_blocked());
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(serde_json::from_value::<Kernel>(json.clone()).unwrap().check(), Ok(()));

    let tamper = |path: &str, value: serde_json::Value| {
        let mut j = json.clone();
        *j.pointer_mut(path).unwrap_or_else(|| panic!("no {path} in the snapshot")) = value;
        let k: Kernel = serde_json::from_value(j).unwrap();
        k.check()
    };
    let q = "/fac/msg/svc/objects/cells/0/body";
    for (path, value) in [
        (format!("{q}/messages/lists/nodes/free"), serde_json::json!([4_000_000])),
        (format!("{q}/messages/lists/nodes/cells/0/next"), serde_json::json!(0)),
        (format!("{q}/messages/lists/head"), serde_json::json!(1)),
        (format!("{q}/qnum"), serde_json::json!(5)),
        (format!("{q}/waiters"), serde_json::json!(null)),
        (format!("{q}/waiters/receivers"), serde_json::json!([])),
        ("/fac/msg/svc/objects/free".to_string(), serde_json::json!([0])),
        ("/fac/msg/svc/count".to_string(), serde_json::json!(0)),
        ("/fac/msg/svc/usage".to_string(), serde_json::json!({"2": 1})),
        ("/fac/msg/svc/zone_usage".to_string(), serde_json::json!({"0": 2})),
        ("/fac/msg/svc/space/seq_bits".to_string(), serde_json::json!(40)),
        ("/timeouts".to_string(), serde_json::json!([])),
        ("/events/next".to_string(), serde_json::json!(0)),
        ("/config/event_capacity".to_string(), serde_json::json!(1)),
        // A facility's limits that disagree with the configuration (found
        // by the component fuzzer: a restore accepted such a snapshot).
        ("/config/fd/max_fds".to_string(), serde_json::json!(298)),
        ("/fac/fds/limits/max_fds".to_string(), serde_json::json!(2)),
        ("/fac/msg/limits/max_queues".to_string(), serde_json::json!(1)),
        ("/config/sem/max_ops".to_string(), serde_json::json!(1)),
        ("/next_order".to_string(), serde_json::json!(0)),
        ("/next_tid".to_string(), serde_json::json!(1)),
    ] {
        assert!(tamper(&path, value.clone()).is_err(), "tampering {path} = {value} went unnoticed");
    }
}

#[test]
fn pids_and_tids_run_out_with_eagain_instead_of_wrapping() {
    let mut k = kernel();
    let mut json = serde_json::to_value(&k).unwrap();
    json["next_tid"] = serde_json::json!(u32::MAX - 1);
    k = serde_json::from_value(json).unwrap();
    k.check().unwrap();
    let (pid, _) = k.spawn(Credentials::user(1, 1), 0, 1).unwrap();
    assert_eq!(k.spawn(Credentials::user(1, 1), 0, 1), Err(Errno::EAGAIN));
    assert_eq!(k.thread_create(pid), Err(Errno::EAGAIN));
    assert_eq!(k.fork(pid), Err(Errno::EAGAIN));
    assert_eq!(k.processes().count(), 1, "no process without a thread");
    k.check().unwrap();
}

#[test]
fn a_refused_call_says_which_rule_refused_it() {
    let mut k = kernel();
    let owner = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    let id = k.msgget(owner, 0x10, IPC_CREAT | 0o600).unwrap();
    let denial = |k: &Kernel| {
        k.last_event().unwrap().steps.iter().rev().find_map(|s| match s {
            Step::Denied { .. } => Some(s.to_string()),
            _ => None,
        })
    };
    assert_eq!(send(&mut k, other, id, 1, b"x"), Err(Errno::EACCES));
    assert_eq!(
        denial(&k).unwrap(),
        "msg: EACCES: the queue's mode 0600 (owner uid 100 gid 10, creator uid 100 gid 10) does not grant write \
         to uid 200 gid 20 (other class), and the caller is not privileged"
    );
    rmid(&mut k, owner, id).unwrap();
    assert_eq!(send(&mut k, owner, id, 1, b"x"), Err(Errno::EINVAL));
    assert_eq!(
        denial(&k).unwrap(),
        "msg: EINVAL: no queue has id 0x0 (0): slot 0 is free and its sequence is now 1, so the id is stale"
    );
    assert_eq!(k.msgget(other, IPC_PRIVATE, 0o600).map(|id| id & 0xff_ffff), Ok(0));
    assert_eq!(stat(&mut k, owner, id), Err(Errno::EINVAL));
    assert!(denial(&k).unwrap().contains("slot 0 now holds id 0x1000000 (sequence 1), so the id is stale"));
}

/// Without step recording the log keeps calls, outcomes and wakeups, and
/// the kernel behaves the same.
#[test]
fn a_kernel_that_records_no_steps_behaves_the_same() {
    let run = |steps: bool| {
        let mut k = kernel();
        k.set_step_recording(steps);
        let a = user(&mut k, 100, 10);
        let b = user(&mut k, 200, 20);
        let id = k.msgget(a, 0x9, IPC_CREAT | 0o600).unwrap();
        assert!(k.msgrcv(a, id, 8, 0, 0, None).is_blocked());
        assert_eq!(send(&mut k, b, id, 1, b"x"), Err(Errno::EACCES));
        send(&mut k, a, id, 1, b"x").unwrap_err();
        k.check().unwrap();
        k
    };
    let (with, without) = (run(true), run(false));
    let (ev_with, _) = with.events_since(0);
    let (ev_without, _) = without.events_since(0);
    assert_eq!(ev_with.len(), ev_without.len());
    for (a, b) in ev_with.iter().zip(&ev_without) {
        assert_eq!((&a.call, &a.outcome, &a.woke), (&b.call, &b.outcome, &b.woke));
        assert!(b.steps.is_empty(), "no steps recorded: {b}");
    }
    assert!(ev_with.iter().any(|e| e.steps.iter().any(|s| matches!(s, Step::Denied { .. }))));
}

/// Events are data; their words are made when read, and say what they always said.
#[test]
fn events_render_in_the_words_viewers_show() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.msgget(t, 0x2a, IPC_CREAT | 0o600).unwrap();
    assert_eq!(
        k.last_event().unwrap().to_string(),
        format!("#1 t=0ns pid 1 tid 1: msgget(key=0x2a, msgflg=01600) -> id {id:#x} ({id})")
    );
    send(&mut k, t, id, 7, b"hello").unwrap();
    let ev = k.last_event().unwrap();
    assert_eq!(
        (ev.call.name(), ev.call.args().to_string()),
        ("msgsnd", format!("msqid={id:#x}, mtype=7, size=5, msgflg=04000"))
    );
    assert_eq!(last_steps(&k), vec![format!("msg: queued a 5-byte message of type 7 on msqid {id:#x}")]);
    assert_eq!(k.msgctl_stat(t, id).unwrap().qnum, 1);
    assert_eq!(k.last_event().unwrap().outcome.to_string(), "-> qnum=1 cbytes=5 qbytes=65536");
    recv(&mut k, t, id, 2, 0).unwrap_err();
    assert_eq!(k.last_event().unwrap().outcome.to_string(), "-> E2BIG (message too long for the buffer)");
}

/// `woken_since` names exactly the threads whose parked calls completed,
/// by a wake-up, a timeout or an interrupt, from the cursor on.
#[test]
fn woken_since_names_the_threads_whose_parked_calls_completed() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let c = user(&mut k, 100, 10);
    let id = k.msgget(a, IPC_PRIVATE, 0o600).unwrap();
    let (_, start) = k.woken_since(0);
    assert!(k.msgrcv(a, id, 64, 0, 0, None).is_blocked());
    assert!(k.msgrcv(b, id, 64, 0, 0, Some(100)).is_blocked());
    assert!(k.msgrcv(c, id, 64, 0, 0, None).is_blocked());
    assert_eq!(k.woken_since(start).0, Vec::<Tid>::new(), "parking wakes nobody");
    send(&mut k, b, id, 1, b"x").unwrap_err(); // b is parked: EBUSY, no event wakes anyone
    let d = user(&mut k, 100, 10);
    send(&mut k, d, id, 1, b"x").unwrap();
    let (w, next) = k.woken_since(start);
    assert_eq!(w, vec![a], "the first receiver gets the message");
    k.advance(100);
    k.interrupt(c).unwrap();
    assert_eq!(k.woken_since(next).0, vec![b, c], "the timeout, then the interrupt");
    assert_eq!(k.woken_since(start).0, vec![a, b, c]);
    assert!(k.woken_since(u64::MAX).0.is_empty());
}

/// The deadlock detector: philosophers who each hold a fork with SEM_UNDO
/// and wait for the next one form a cycle in the wait-for graph.
#[test]
fn deadlock_is_every_thread_parked_with_the_wait_for_graph() {
    use ipc_core::sem::{SEM_UNDO, SemBuf};
    let mut k = kernel();
    let phils: Vec<Tid> = (0..3).map(|_| user(&mut k, 100, 10)).collect();
    let forks = k.semget(phils[0], IPC_PRIVATE, 3, 0o600).unwrap();
    k.semctl_setall(phils[0], forks, &[1, 1, 1]).unwrap();
    let take = |n: usize| [SemBuf { sem_num: n as u16, sem_op: -1, sem_flg: SEM_UNDO }];
    for (i, &t) in phils.iter().enumerate() {
        k.semop(t, forks, &take(i), None).into_result().unwrap();
    }
    assert_eq!(k.deadlock(), None, "everyone can still run");
    assert!(k.semop(phils[0], forks, &take(1), None).is_blocked());
    assert!(k.semop(phils[1], forks, &take(2), None).is_blocked());
    assert_eq!(k.deadlock(), None, "one philosopher can still run");
    assert!(k.semop(phils[2], forks, &take(0), None).is_blocked());
    let graph = k.deadlock().expect("a deadlock");
    let pids: Vec<Pid> = phils.iter().map(|&t| pid_of(&k, t)).collect();
    for (i, w) in graph.iter().enumerate() {
        assert_eq!((w.tid, w.pid), (phils[i], pids[i]));
        assert_eq!(w.holders, vec![pids[(i + 1) % 3]], "{}", w.reason);
        assert!(w.reason.contains("semop"), "{}", w.reason);
    }
    // Interrupting one breaks it.
    k.interrupt(phils[2]).unwrap();
    assert_eq!(k.deadlock(), None);
}

/// A pipe reader holding its own write end waits for itself; a timed
/// wait, or a port with an armed timer, is not a deadlock.
#[test]
fn deadlock_knows_pipe_ends_deadlines_and_timers() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let (r, _w) = k.pipe(a).unwrap();
    assert!(k.read(a, r, 8, false).is_blocked());
    let graph = k.deadlock().expect("a reader holding the only write end");
    assert_eq!(graph[0].holders, vec![pid_of(&k, a)], "{}", graph[0].reason);
    k.interrupt(a).unwrap();
    assert_eq!(k.take_result(a).unwrap().result, Err(Errno::EINTR));

    let id = k.msgget(a, IPC_PRIVATE, 0o600).unwrap();
    assert!(k.msgrcv(a, id, 8, 0, 0, Some(50)).is_blocked());
    assert_eq!(k.deadlock(), None, "its deadline will end it");
    k.advance(50);
    assert_eq!(k.take_result(a).unwrap().result, Err(Errno::EAGAIN));

    let port = k.port_create(a).unwrap();
    let tm = k.timer_create(a, port, 7).unwrap();
    k.timer_settime(a, tm, 100, 0).unwrap();
    assert!(k.port_get(a, port, None).is_blocked());
    assert_eq!(k.deadlock(), None, "the armed timer will wake it");
    k.advance(100);
    assert!(k.take_result(a).unwrap().result.is_ok());
    assert!(k.port_get(a, port, None).is_blocked());
    let graph = k.deadlock().expect("no timer left");
    assert!(graph[0].holders.is_empty(), "anyone could send: {}", graph[0].reason);
}
