//! The `fd` and `port` interfaces through the component: pipes across
//! processes, every port call's errno paths, alert semantics, one-shot
//! re-association, ETIME with partial results, the getter queue's order,
//! fork sharing, close while getters wait, the inspect views, and hostile
//! input.

use ipc_host_tests::*;

const POLLIN: u16 = 0x1;
const POLLOUT: u16 = 0x4;
const POLLHUP: u16 = 0x10;
const FD: u16 = 4;
const USER: u16 = 3;
const ALERT: u16 = 5;

fn ev(source: u16, events: i32, object: u64, user: u64) -> PortEvent {
    PortEvent { source, events, object, user }
}

fn poll(lab: &mut Lab, t: Res, port: i32, max: u32) -> Vec<PortEvent> {
    match lab.port_getn(t, port, max, 1, Some(Timespec { sec: 0, nsec: 0 })).unwrap() {
        GetnOutcome::Got(g) => g.events,
        other => panic!("{other:?}"),
    }
}

fn completion(lab: &mut Lab, t: Res) -> Result<Reply, Errno> {
    lab.take_result(t).unwrap().result
}

#[test]
fn a_pipe_between_two_processes() {
    let mut lab = Lab::new();
    let parent = lab.spawn(100, 10);
    let (r, w) = lab.pipe(parent.thread).unwrap();
    let child = lab.fork(parent.process).unwrap();
    let ct = lab.main_thread(child);
    let ReadOutcome::Blocked(reason) = lab.read(ct, r, 64, false).unwrap() else { panic!("must park") };
    assert!(reason.contains("is empty; waits for a writer"), "{reason}");
    assert_eq!(lab.write(parent.thread, w, b"through the pipe", false), Ok(WriteOutcome::Written(16)));
    assert_eq!(completion(&mut lab, ct), Ok(Reply::Bytes(b"through the pipe".to_vec())));
    assert_eq!(lab.read(ct, w, 1, false), Err(Errno::Ebadf));
    assert_eq!(lab.read(ct, r, 1, true), Err(Errno::Eagain));
    lab.close(ct, w).unwrap();
    lab.close(parent.thread, w).unwrap();
    assert_eq!(lab.read(ct, r, 8, false), Ok(ReadOutcome::Data(vec![])), "end of file");
    lab.close(ct, r).unwrap();
    lab.close(parent.thread, r).unwrap();
    assert!(lab.pipes().is_empty());
    let (r, w) = lab.pipe(parent.thread).unwrap();
    lab.close(parent.thread, r).unwrap();
    assert_eq!(lab.write(parent.thread, w, b"x", false), Err(Errno::Epipe));
    assert_eq!(lab.close(parent.thread, 77), Err(Errno::Ebadf));
}

#[test]
fn port_calls_and_their_errnos() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let port = lab.port_create(p.thread).unwrap();
    let (r, _w) = lab.pipe(p.thread).unwrap();
    assert_eq!(lab.port_send(p.thread, 50, 1, 1), Err(Errno::Ebadf));
    assert_eq!(lab.port_send(p.thread, r, 1, 1), Err(Errno::Ebadfd));
    lab.port_send(p.thread, port, 7, 70).unwrap();
    lab.port_send(p.thread, port, 8, 80).unwrap();
    assert_eq!(lab.port_getn(p.thread, port, 0, 9, None), Ok(GetnOutcome::Pending(2)));
    assert_eq!(lab.port_getn(p.thread, port, 1, 2, None), Err(Errno::Einval));
    assert_eq!(lab.port_get(p.thread, port, None), Ok(GetOutcome::Event(ev(USER, 7, 0, 70))));
    assert_eq!(poll(&mut lab, p.thread, port, 9), vec![ev(USER, 8, 0, 80)]);
    assert_eq!(lab.port_get(p.thread, port, Some(Timespec { sec: 0, nsec: 0 })), Ok(GetOutcome::None));
    let bad = Some(Timespec { sec: -1, nsec: 0 });
    assert_eq!(lab.port_getn(p.thread, port, 2, 2, bad), Err(Errno::Einval));
    let s = lab.port_sendn(p.thread, &[port, 3, r], 1, 2).unwrap();
    assert_eq!((s.sent, s.errors), (1, vec![None, Some(Errno::Ebadf), Some(Errno::Ebadfd)]));
    assert_eq!(lab.port_sendn(p.thread, &[], 1, 2), Err(Errno::Einval));
    let ports = lab.ports();
    assert_eq!((ports.len(), ports[0].queue.len(), ports[0].curr), (1, 1, 1));
    let tables = lab.fd_tables();
    assert_eq!(
        tables[0].fds.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![FdKind::Port(1), FdKind::PipeRead(1), FdKind::PipeWrite(1)]
    );
}

#[test]
fn getn_waits_for_nget_and_a_timeout_delivers_what_is_there() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let g = lab.thread_create(p.process).unwrap();
    let port = lab.port_create(p.thread).unwrap();
    let r = lab.port_getn(g, port, 10, 3, Some(Timespec { sec: 0, nsec: 1000 })).unwrap();
    let GetnOutcome::Blocked(reason) = r else { panic!("must park") };
    assert!(reason.contains("fewer than 3 event(s)"), "{reason}");
    lab.port_send(p.thread, port, 1, 0).unwrap();
    lab.port_send(p.thread, port, 2, 0).unwrap();
    assert_eq!(lab.take_result(g).unwrap_err(), Errno::Eagain, "two of three: still parked");
    lab.advance(1000);
    let Ok(Reply::PortEvents(got)) = completion(&mut lab, g) else { panic!() };
    assert!(got.etime, "ETIME");
    assert_eq!(got.events, vec![ev(USER, 1, 0, 0), ev(USER, 2, 0, 0)], "with the events gathered so far");
    assert!(matches!(lab.port_get(g, port, Some(Timespec { sec: 0, nsec: 5 })), Ok(GetOutcome::Blocked(_))));
    lab.advance(5);
    assert_eq!(completion(&mut lab, g), Err(Errno::Etime));
}

#[test]
fn only_the_head_of_the_getter_queue_is_woken() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let (a, b) = (lab.thread_create(p.process).unwrap(), lab.thread_create(p.process).unwrap());
    let port = lab.port_create(p.thread).unwrap();
    assert!(matches!(lab.port_getn(a, port, 1, 1, None), Ok(GetnOutcome::Blocked(_))));
    assert!(matches!(lab.port_getn(b, port, 3, 3, None), Ok(GetnOutcome::Blocked(_))));
    let (ta, tb) = (lab.tid(a), lab.tid(b));
    let order: Vec<u32> = lab.ports()[0].getters.iter().map(|g| g.waiter.tid).collect();
    assert_eq!(order, vec![tb, ta], "the seed's insertion: the larger nget became the head");
    lab.port_send(p.thread, port, 1, 0).unwrap();
    assert!(lab.last_event().woke.is_empty(), "one event < the head's nget of 3: nobody wakes");
    lab.port_send(p.thread, port, 2, 0).unwrap();
    lab.port_send(p.thread, port, 3, 0).unwrap();
    assert_eq!(lab.last_event().woke.iter().map(|w| w.tid).collect::<Vec<_>>(), vec![tb]);
    let Ok(Reply::PortEvents(got)) = completion(&mut lab, b) else { panic!() };
    assert_eq!(got.events.len(), 3);
    lab.port_send(p.thread, port, 4, 0).unwrap();
    assert_eq!(
        completion(&mut lab, a),
        Ok(Reply::PortEvents(PortGot { events: vec![ev(USER, 4, 0, 0)], etime: false }))
    );
}

#[test]
fn alert_mode_wakes_everyone_and_consumes_nothing() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let (a, b) = (lab.thread_create(p.process).unwrap(), lab.thread_create(p.process).unwrap());
    let port = lab.port_create(p.thread).unwrap();
    assert!(matches!(lab.port_get(a, port, None), Ok(GetOutcome::Blocked(_))));
    assert!(matches!(lab.port_getn(b, port, 4, 4, None), Ok(GetnOutcome::Blocked(_))));
    assert_eq!(lab.port_alert(p.thread, port, 3, 1, 0), Err(Errno::Einval));
    lab.port_alert(p.thread, port, 1, 0x20, 0xfeed).unwrap();
    let alert = ev(ALERT, 0x20, 0, 0xfeed);
    for t in [a, b] {
        assert_eq!(completion(&mut lab, t), Ok(Reply::PortEvents(PortGot { events: vec![alert], etime: false })));
    }
    assert_eq!(lab.port_alert(p.thread, port, 2, 1, 0), Err(Errno::Ebusy), "UPDATE while set");
    lab.port_send(p.thread, port, 5, 5).unwrap();
    assert_eq!(poll(&mut lab, p.thread, port, 8), vec![alert]);
    assert_eq!(lab.ports()[0].alert.map(|a| a.events), Some(0x20));
    lab.port_alert(p.thread, port, 0, 0, 0).unwrap();
    assert_eq!(poll(&mut lab, p.thread, port, 8), vec![ev(USER, 5, 0, 5)]);
}

#[test]
fn fd_events_are_one_shot_and_the_owner_dissociates() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let port = lab.port_create(p.thread).unwrap();
    let (r, w) = lab.pipe(p.thread).unwrap();
    lab.port_associate(p.thread, port, FD, r as u64, POLLIN, 0xa).unwrap();
    assert!(poll(&mut lab, p.thread, port, 4).is_empty());
    lab.write(p.thread, w, b"ping", false).unwrap();
    assert_eq!(poll(&mut lab, p.thread, port, 4), vec![ev(FD, i32::from(POLLIN), r as u64, 0xa)]);
    lab.write(p.thread, w, b"more", false).unwrap();
    assert!(poll(&mut lab, p.thread, port, 4).is_empty(), "disarmed until re-associated");
    assert!(lab.ports()[0].assocs.iter().all(|a| !a.armed));
    lab.port_associate(p.thread, port, FD, r as u64, POLLIN, 0xb).unwrap();
    assert_eq!(poll(&mut lab, p.thread, port, 4)[0].user, 0xb);
    lab.port_associate(p.thread, port, FD, w as u64, POLLOUT, 0xc).unwrap();
    assert_eq!(poll(&mut lab, p.thread, port, 4)[0].events, i32::from(POLLOUT));
    let child = lab.fork(p.process).unwrap();
    let ct = lab.main_thread(child);
    assert_eq!(lab.port_dissociate(ct, port, FD, r as u64), Err(Errno::Eacces), "only the owner");
    assert_eq!(lab.port_dissociate(p.thread, port, USER, r as u64), Err(Errno::Einval));
    assert_eq!(lab.port_associate(p.thread, port, FD, 999, POLLIN, 0), Err(Errno::Ebadfd));
    // A parked getter in the child is woken by readiness in the parent's write.
    lab.port_associate(p.thread, port, FD, r as u64, POLLIN | POLLHUP, 0xd).unwrap();
    let drained = poll(&mut lab, ct, port, 4);
    assert_eq!(drained.len(), 1, "the data still buffered fires at once, and the child sees it");
    lab.read(ct, r, 64, true).unwrap();
    lab.port_associate(p.thread, port, FD, r as u64, POLLIN, 0xe).unwrap();
    assert!(matches!(lab.port_get(ct, port, None), Ok(GetOutcome::Blocked(_))));
    lab.write(p.thread, w, b"!", false).unwrap();
    assert_eq!(
        completion(&mut lab, ct),
        Ok(Reply::PortEvents(PortGot { events: vec![ev(FD, i32::from(POLLIN), r as u64, 0xe)], etime: false }))
    );
}

#[test]
fn closing_the_port_ends_parked_getters_with_ebadfd() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let g = lab.thread_create(p.process).unwrap();
    let port = lab.port_create(p.thread).unwrap();
    assert!(matches!(lab.port_getn(g, port, 2, 2, None), Ok(GetnOutcome::Blocked(_))));
    lab.close(p.thread, port).unwrap();
    assert!(lab.last_event().steps.iter().any(|s| s.kind == StepKind::PortDestroyed));
    assert_eq!(completion(&mut lab, g), Err(Errno::Ebadfd));
    assert!(lab.ports().is_empty());
}

#[test]
fn hostile_ports_and_fds() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let port = lab.port_create(p.thread).unwrap();
    for fd in [-1, i32::MIN, i32::MAX] {
        assert_eq!(lab.close(p.thread, fd), Err(Errno::Ebadf));
        assert_eq!(lab.read(p.thread, fd, u32::MAX, false), Err(Errno::Ebadf));
        assert_eq!(lab.port_send(p.thread, fd, 0, 0), Err(Errno::Ebadf));
    }
    assert_eq!(lab.port_associate(p.thread, port, FD, u64::MAX, u16::MAX, u64::MAX), Err(Errno::Ebadfd));
    assert_eq!(lab.port_dissociate(p.thread, port, FD, u64::MAX), Err(Errno::Ebadfd));
    assert_eq!(
        lab.port_getn(p.thread, port, u32::MAX, u32::MAX, Some(Timespec { sec: i64::MAX, nsec: i64::MAX })),
        Err(Errno::Einval)
    );
    assert_eq!(lab.port_sendn(p.thread, &vec![port; 8193], 0, 0), Err(Errno::Einval));
    let s = lab.port_sendn(p.thread, &vec![port; 8192], 0, 0).unwrap();
    assert_eq!(s.sent, 8192);
    assert_eq!(lab.port_getn(p.thread, port, 0, 0, None), Ok(GetnOutcome::Pending(8192)));
    let (_, w) = lab.pipe(p.thread).unwrap();
    assert_eq!(
        lab.write(p.thread, w, &vec![0; 1 << 20], true),
        Ok(WriteOutcome::Written(4096)),
        "what fits, nonblocking"
    );
    lab.assert_alive();
}

#[test]
fn timers_through_the_component() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let g = lab.thread_create(p.process).unwrap();
    let port = lab.port_create(p.thread).unwrap();
    let tm = lab.timer_create(p.thread, port, 0x77).unwrap();
    assert_eq!(lab.timer_create(p.thread, 50, 0), Err(Errno::Ebadf));
    assert_eq!(lab.timer_settime(p.thread, tm + 1, 1, 0), Err(Errno::Einval));
    lab.timer_settime(p.thread, tm, 1000, 500).unwrap();
    assert!(matches!(lab.port_getn(g, port, 4, 1, None), Ok(GetnOutcome::Blocked(_))));
    lab.advance(1000);
    assert_eq!(
        completion(&mut lab, g),
        Ok(Reply::PortEvents(PortGot { events: vec![ev(2, 1, u64::from(tm), 0x77)], etime: false }))
    );
    lab.advance(1500);
    let v = lab.ports();
    assert_eq!((v[0].timers[0].fires, v[0].queue.len()), (3, 1), "three expirations, one queued event");
    assert_eq!(poll(&mut lab, p.thread, port, 4), vec![ev(2, 3, u64::from(tm), 0x77)]);
    lab.timer_delete(p.thread, tm).unwrap();
    assert!(lab.ports()[0].timers.is_empty());
}
