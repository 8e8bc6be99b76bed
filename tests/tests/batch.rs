//! `msg.batch`, zone id limits and step-free recording through the
//! component: a batch is exactly its operations made one by one (same
//! results, same events), stops at the first that parks, and refuses an
//! oversized list without running any of it.

use ipc_host_tests::*;

fn send_op(msqid: i32, mtype: i64, data: &[u8], msgflg: i32) -> Op {
    Op::Msgsnd(SendOp { msqid, mtype, data: data.to_vec(), msgflg })
}

fn recv_op(msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Op {
    Op::Msgrcv(RecvOp { msqid, msgsz, msgtyp, msgflg })
}

/// Runs `ops` one call each, as the batch would, and returns the results.
fn one_by_one(lab: &mut Lab, t: Res, ops: &[Op]) -> Vec<Result<OpResult, Errno>> {
    let mut out = Vec::new();
    for op in ops {
        let r = match op {
            Op::Msgget(g) => lab.msgget(t, g.key, g.msgflg).map(OpResult::Id),
            Op::Msgsnd(s) => lab.msgsnd(t, s.msqid, s.mtype, &s.data, s.msgflg, None).map(|o| match o {
                SendOutcome::Sent => OpResult::Sent,
                SendOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
            Op::Msgrcv(r) => lab.msgrcv(t, r.msqid, r.msgsz, r.msgtyp, r.msgflg, None).map(|o| match o {
                RecvOutcome::Received(m) => OpResult::Received(m),
                RecvOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
            Op::MsgctlStat(id) => lab.stat(t, *id).map(OpResult::Stat),
            Op::Semop(o) => lab.semop(t, o.semid, &o.sops, None).map(|o| match o {
                SemopOutcome::Done => OpResult::Done,
                SemopOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
            Op::Semop1(o) => lab.semop(t, o.semid, &[o.op], None).map(|o| match o {
                SemopOutcome::Done => OpResult::Done,
                SemopOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
            Op::SemPost(id) => lab.sem_post(t, *id).map(|()| OpResult::Done),
            Op::SemWait(id) => lab.sem_wait(t, *id).map(|o| match o {
                WaitOutcome::Acquired => OpResult::Done,
                WaitOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
            Op::SemTrywait(id) => lab.sem_trywait(t, *id).map(|()| OpResult::Done),
            Op::SemGetvalue(id) => lab.sem_getvalue(t, *id).map(OpResult::Value),
            Op::ShmRead(o) => lab.shm_read(t, o.addr, o.len).map(OpResult::Bytes),
            Op::ShmWrite(o) => lab.shm_write(t, o.addr, &o.data).map(|()| OpResult::Done),
            Op::PortSend(o) => lab.port_send(t, o.port, o.events, o.user).map(|()| OpResult::Done),
            Op::PortGetn(o) => lab.port_getn(t, o.port, o.max, o.nget, None).map(|g| match g {
                GetnOutcome::Got(g) => OpResult::PortEvents(g),
                GetnOutcome::Pending(n) => OpResult::Value(n),
                GetnOutcome::Blocked(r) => OpResult::Blocked(r),
            }),
        };
        let parked = matches!(r, Ok(OpResult::Blocked(_)));
        out.push(r);
        if parked {
            break;
        }
    }
    out
}

#[test]
fn a_batch_is_its_operations_one_by_one() {
    let ops = |id: i32| {
        vec![
            Op::Msgget(GetOp { key: 0x77, msgflg: IPC_CREAT | 0o600 }),
            send_op(id, 2, b"two", IPC_NOWAIT),
            send_op(id, 0, b"bad type", IPC_NOWAIT),
            send_op(id, 1, b"one", IPC_NOWAIT),
            recv_op(id, 64, 1, IPC_NOWAIT),
            recv_op(id, 1, 0, IPC_NOWAIT),
            recv_op(id, 64, 0, MSG_NOERROR | IPC_NOWAIT),
            recv_op(id, 64, 0, IPC_NOWAIT),
            Op::MsgctlStat(id),
            Op::MsgctlStat(id + 1),
        ]
    };
    let run = |batched: bool| {
        let mut lab = Lab::new();
        let p = lab.spawn(100, 10);
        let id = lab.msgget(p.thread, 0x77, IPC_CREAT | 0o600).unwrap();
        let (_, cursor) = lab.events(0);
        let results =
            if batched { lab.batch(p.thread, &ops(id)).unwrap() } else { one_by_one(&mut lab, p.thread, &ops(id)) };
        let (events, _) = lab.events(cursor);
        (results, events.into_iter().map(|e| e.text).collect::<Vec<_>>())
    };
    let (batched, batched_events) = run(true);
    let (single, single_events) = run(false);
    assert_eq!(batched, single);
    assert_eq!(batched_events, single_events, "one event per operation, the same words");
    assert_eq!(batched.len(), 10);
    assert_eq!(batched[2], Err(Errno::Einval), "a failed operation does not stop the batch");
    assert!(matches!(&batched[4], Ok(OpResult::Received(m)) if m.data == b"one"));
    assert_eq!(batched[5], Err(Errno::E2big));
    assert!(matches!(&batched[6], Ok(OpResult::Received(m)) if m.data == b"two"));
    assert_eq!(batched[7], Err(Errno::Enomsg));
    assert!(matches!(&batched[8], Ok(OpResult::Stat(ds)) if ds.qnum == 0));
}

#[test]
fn a_batch_stops_at_the_operation_that_parks() {
    let mut lab = Lab::new();
    let (a, b) = (lab.spawn(100, 10), lab.spawn(100, 10));
    let id = lab.msgget(a.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    let ops = [recv_op(id, 64, 0, IPC_NOWAIT), recv_op(id, 64, 5, 0), send_op(id, 5, b"never", IPC_NOWAIT)];
    let r = lab.batch(a.thread, &ops).unwrap();
    assert_eq!(r.len(), 2, "nothing after the parked operation runs: {r:?}");
    assert_eq!(r[0], Err(Errno::Enomsg));
    assert!(matches!(&r[1], Ok(OpResult::Blocked(reason)) if reason.contains("no message of type 5")));
    assert_eq!(lab.stat(b.thread, id).unwrap().qnum, 0, "the send after the park never ran");
    assert_eq!(
        lab.batch(a.thread, &ops),
        Ok(vec![Err(Errno::Ebusy); 3]),
        "a parked thread is busy for every operation"
    );
    lab.send(b.thread, id, 5, b"wake").unwrap();
    let done = lab.take_result(a.thread).unwrap();
    assert!(matches!(done.result, Ok(Reply::Message(ref m)) if m.data == b"wake"));
}

#[test]
fn an_oversized_or_empty_batch() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.batch(p.thread, &[]), Ok(vec![]));
    let (_, cursor) = lab.events(0);
    let too_many = vec![Op::MsgctlStat(id); 65_537];
    assert_eq!(lab.batch(p.thread, &too_many), Err(Errno::E2big));
    assert!(lab.events(cursor).0.is_empty(), "nothing ran");
    let most = vec![Op::MsgctlStat(id); 65_536];
    assert!(lab.batch(p.thread, &most).unwrap().iter().all(|r| matches!(r, Ok(OpResult::Stat(_)))));
    lab.assert_alive();
}

#[test]
fn zone_limits_through_the_component() {
    let mut lab = Lab::new();
    assert_eq!(lab.set_zone_limit(5, Facility::Msg, 1), Ok(()));
    assert_eq!(lab.set_zone_limit(5, Facility::Shm, 1), Ok(()), "shared memory is on the same framework");
    let z = lab.spawn_in(&user(100, 10), 5, 1);
    let other_project = lab.spawn_in(&user(100, 10), 5, 2);
    lab.msgget(z.thread, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
    assert_eq!(lab.msgget(other_project.thread, IPC_PRIVATE, IPC_CREAT | 0o600), Err(Errno::Enospc));
    let steps = lab.last_event().steps;
    assert!(steps.iter().any(|s| s.kind == StepKind::RctlDeny && s.text.contains("zone 5")), "{steps:?}");
    assert!(steps.iter().any(|s| s.kind == StepKind::Denied && s.text.contains("zone.max-msg-ids")));
}

#[test]
fn a_kernel_recording_no_steps_keeps_calls_and_outcomes() {
    let mut lab = Lab::new();
    lab.set_step_recording(false);
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, 0x33, IPC_CREAT | 0o600).unwrap();
    lab.send(p.thread, id, 1, b"x").unwrap();
    assert_eq!(lab.msgget(p.thread, 0x34, 0), Err(Errno::Enoent));
    let ev = lab.last_event();
    assert_eq!((ev.call.as_str(), ev.outcome.clone()), ("msgget", EventOutcome::Failed(Errno::Enoent)));
    assert!(ev.steps.is_empty());
    lab.set_step_recording(true);
    assert_eq!(lab.msgget(p.thread, 0x34, 0), Err(Errno::Enoent));
    assert!(lab.last_event().steps.iter().any(|s| s.kind == StepKind::Denied));
}

#[test]
fn a_posix_semaphore_batch_is_its_operations_one_by_one() {
    let ops = |id: u32| {
        vec![
            Op::SemPost(id),
            Op::SemGetvalue(id),
            Op::SemTrywait(id),
            Op::SemTrywait(id),
            Op::SemPost(id + 1),
            Op::SemPost(id),
            Op::SemWait(id),
            Op::SemWait(id),
            Op::SemPost(id),
        ]
    };
    let run = |batched: bool| {
        let mut lab = Lab::new();
        let p = lab.spawn(100, 10);
        let id = lab.sem_init(p.thread, 0, false).unwrap();
        let (_, cursor) = lab.events(0);
        let results =
            if batched { lab.batch(p.thread, &ops(id)).unwrap() } else { one_by_one(&mut lab, p.thread, &ops(id)) };
        let (events, _) = lab.events(cursor);
        (results, events.into_iter().map(|e| e.text).collect::<Vec<_>>())
    };
    let (batched, batched_events) = run(true);
    let (single, single_events) = run(false);
    assert_eq!(batched, single);
    assert_eq!(batched_events, single_events, "one event per operation, the same words");
    assert_eq!(batched.len(), 8, "stops at the wait that parks");
    assert_eq!(batched[1], Ok(OpResult::Value(1)));
    assert_eq!(batched[3], Err(Errno::Eagain));
    assert!(matches!(batched[7], Ok(OpResult::Blocked(_))));
}

#[test]
fn a_shared_memory_batch_is_its_operations_one_by_one() {
    let ops = |va: u64| {
        vec![
            Op::ShmWrite(ShmWriteOp { addr: va + 4090, data: b"across a page".to_vec() }),
            Op::ShmRead(ShmReadOp { addr: va + 4090, len: 13 }),
            Op::ShmRead(ShmReadOp { addr: va + 3 * PAGE, len: 1 }),
            Op::ShmWrite(ShmWriteOp { addr: va - 1, data: b"x".to_vec() }),
            Op::ShmRead(ShmReadOp { addr: va, len: 2 }),
        ]
    };
    let run = |batched: bool| {
        let mut lab = Lab::new();
        let p = lab.spawn(100, 10);
        let id = lab.shmget(p.thread, IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0o600).unwrap();
        let va = lab.shmat(p.thread, id, 0, 0).unwrap();
        let (_, cursor) = lab.events(0);
        let results =
            if batched { lab.batch(p.thread, &ops(va)).unwrap() } else { one_by_one(&mut lab, p.thread, &ops(va)) };
        let (events, _) = lab.events(cursor);
        (results, events.into_iter().map(|e| e.text).collect::<Vec<_>>())
    };
    let (batched, batched_events) = run(true);
    let (single, single_events) = run(false);
    assert_eq!(batched, single);
    assert_eq!(batched_events, single_events, "one event per operation, the same words");
    assert_eq!(batched[1], Ok(OpResult::Bytes(b"across a page".to_vec())));
    assert_eq!((batched[2].clone(), batched[3].clone()), (Err(Errno::Efault), Err(Errno::Efault)));
}

#[test]
fn a_port_batch_is_its_operations_one_by_one() {
    let ops = |port: i32| {
        vec![
            Op::PortSend(PortSendOp { port, events: 1, user: 10 }),
            Op::PortSend(PortSendOp { port, events: 2, user: 20 }),
            Op::PortGetn(PortGetnOp { port, max: 0, nget: 0 }),
            Op::PortGetn(PortGetnOp { port, max: 4, nget: 2 }),
            Op::PortSend(PortSendOp { port: 99, events: 3, user: 30 }),
            Op::PortGetn(PortGetnOp { port, max: 1, nget: 1 }),
            Op::PortSend(PortSendOp { port, events: 9, user: 90 }),
        ]
    };
    let run = |batched: bool| {
        let mut lab = Lab::new();
        let p = lab.spawn(100, 10);
        let port = lab.port_create(p.thread).unwrap();
        let (_, cursor) = lab.events(0);
        let results =
            if batched { lab.batch(p.thread, &ops(port)).unwrap() } else { one_by_one(&mut lab, p.thread, &ops(port)) };
        let (events, _) = lab.events(cursor);
        (results, events.into_iter().map(|e| e.text).collect::<Vec<_>>())
    };
    let (batched, batched_events) = run(true);
    let (single, single_events) = run(false);
    assert_eq!(batched, single);
    assert_eq!(batched_events, single_events);
    assert_eq!(batched.len(), 6, "the batch stops at the getn that parks");
    assert_eq!(batched[2], Ok(OpResult::Value(2)), "max 0: the count");
    assert!(matches!(&batched[3], Ok(OpResult::PortEvents(g)) if g.events.len() == 2 && !g.etime));
    assert_eq!(batched[4], Err(Errno::Ebadf));
    assert!(matches!(batched[5], Ok(OpResult::Blocked(_))));
}
