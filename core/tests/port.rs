//! File descriptors, pipes and event ports: named behaviour tests in the
//! seed's terms, and a property test of the port queue and the getter
//! queue against a simple reference model.

mod common;

use common::*;
use ipc_core::fd::{FdLimits, POLLHUP, POLLIN, POLLOUT};
use ipc_core::port::{
    PORT_ALERT_SET, PORT_ALERT_UPDATE, PORT_SOURCE_ALERT, PORT_SOURCE_FD, PORT_SOURCE_USER, PortEvent, PortLimits,
    PortReply,
};
use ipc_core::psem::Timespec;
use proptest::prelude::*;

fn got(k: &mut Kernel, t: Tid, port: i32, max: u32, nget: u32) -> Vec<PortEvent> {
    match k.port_getn(t, port, max, nget, Some(Timespec { sec: 0, nsec: 0 })) {
        Outcome::Done(Ok(g)) => g.events,
        other => panic!("port_getn: {other:?}"),
    }
}

fn user_ev(events: i32, user: u64) -> PortEvent {
    PortEvent { source: PORT_SOURCE_USER, events, object: 0, user }
}

fn taken(k: &mut Kernel, t: Tid) -> Result<Vec<PortEvent>, Errno> {
    match k.take_result(t).unwrap().result {
        Ok(Reply::Port(PortReply::Events { events, .. })) => Ok(events),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e),
    }
}

#[test]
fn pipes_read_write_eof_and_epipe() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    assert_eq!((r, w), (0, 1), "the lowest free fds, read end first");
    assert_eq!(k.read(t, w, 4, false), Outcome::Done(Err(Errno::EBADF)), "the write end is not readable");
    assert_eq!(k.write(t, r, b"x", false), Outcome::Done(Err(Errno::EBADF)));
    assert_eq!(k.read(t, 7, 4, false), Outcome::Done(Err(Errno::EBADF)));
    assert_eq!(k.read(t, r, 4, true), Outcome::Done(Err(Errno::EAGAIN)));
    assert_eq!(k.write(t, w, b"hello", false), Outcome::Done(Ok(5)));
    assert_eq!(k.read(t, r, 3, false), Outcome::Done(Ok(b"hel".to_vec())));
    assert_eq!(k.read(t, r, 0, false), Outcome::Done(Ok(vec![])));
    // A reader parks on an empty pipe; a write completes it.
    let t2 = k.thread_create(p).unwrap();
    assert_eq!(k.read(t, r, 10, false), Outcome::Done(Ok(b"lo".to_vec())));
    assert_eq!(
        k.read(t2, r, 10, false),
        Outcome::Blocked(format!("read: pipe 1 (fd {r}) is empty; waits for a writer"))
    );
    k.write(t, w, b"abc", false);
    assert_eq!(k.take_result(t2).unwrap().result, Ok(Reply::Fd(ipc_core::fd::FdReply::Read(b"abc".to_vec()))));
    // The last writer's close: a parked reader gets end of file.
    assert!(k.read(t2, r, 10, false).is_blocked());
    k.close(t, w).unwrap();
    assert_eq!(k.take_result(t2).unwrap().result, Ok(Reply::Fd(ipc_core::fd::FdReply::Read(vec![]))));
    assert_eq!(k.read(t, r, 10, false), Outcome::Done(Ok(vec![])), "end of file");
    assert_eq!(k.close(t, w), Err(Errno::EBADF));
    // The last reader's close: writes fail with EPIPE.
    let (r2, w2) = k.pipe(t).unwrap();
    assert_eq!((r2, w2), (1, 2), "fd 1 is free again");
    k.close(t, r2).unwrap();
    assert_eq!(k.write(t, w2, b"x", false), Outcome::Done(Err(Errno::EPIPE)));
    k.check().unwrap();
}

#[test]
fn atomic_and_long_writes() {
    let mut k = Kernel::new(Config { fd: FdLimits { max_fds: 16, pipe_buf: 8 }, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let w2 = k.thread_create(p).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    assert_eq!(k.write(t, w, b"12345", false), Outcome::Done(Ok(5)));
    assert_eq!(k.write(t, w, b"6789", true), Outcome::Done(Err(Errno::EAGAIN)), "4 do not fit in 3: atomic");
    assert!(k.write(w2, w, b"6789", false).is_blocked(), "waits for all 4 to fit");
    // 5 buffered, room 3: reading 1 byte makes room 4, and the parked
    // writer's 4 bytes go in at once.
    assert_eq!(k.read(t, r, 1, false), Outcome::Done(Ok(b"1".to_vec())));
    assert_eq!(k.take_result(w2).unwrap().result, Ok(Reply::Fd(ipc_core::fd::FdReply::Wrote(4))));
    assert_eq!(k.read(t, r, 64, false), Outcome::Done(Ok(b"23456789".to_vec())));
    // A long write (more than PIPE_BUF) takes what fits, then waits for the rest.
    assert!(k.write(w2, w, b"abcdefghijkl", false).is_blocked());
    assert_eq!(k.read(t, r, 64, false), Outcome::Done(Ok(b"abcdefgh".to_vec())));
    assert_eq!(k.take_result(w2).unwrap().result, Ok(Reply::Fd(ipc_core::fd::FdReply::Wrote(12))));
    assert_eq!(k.write(t, w, b"0123456789", true), Outcome::Done(Ok(4)), "nonblocking: the part that fits");
    k.check().unwrap();
}

#[test]
fn emfile_and_fork_shares_open_files() {
    let mut k = Kernel::new(Config { fd: FdLimits { max_fds: 3, pipe_buf: 64 }, ..Config::default() }).unwrap();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    assert_eq!(k.pipe(t), Err(Errno::EMFILE), "one free fd is not enough");
    let (c, ct) = k.fork(p).unwrap();
    k.close(t, r).unwrap();
    assert_eq!(k.write(t, w, b"to the child", false), Outcome::Done(Ok(12)), "the child still holds the read end");
    assert_eq!(k.read(ct, r, 64, false), Outcome::Done(Ok(b"to the child".to_vec())));
    k.exit(c).unwrap();
    assert_eq!(k.write(t, w, b"x", false), Outcome::Done(Err(Errno::EPIPE)), "exit closed the last reader");
    k.check().unwrap();
}

#[test]
fn send_get_getn_and_their_errnos() {
    let mut k = kernel();
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let port = k.port_create(t).unwrap();
    let (r, _w) = k.pipe(t).unwrap();
    assert_eq!(k.port_send(t, 99, 1, 1), Err(Errno::EBADF));
    assert_eq!(k.port_send(t, r, 1, 1), Err(Errno::EBADFD), "a pipe is not a port");
    for i in 0..3 {
        k.port_send(t, port, 0x10 + i, 100 + i as u64).unwrap();
    }
    assert_eq!(k.port_getn(t, port, 2, 3, None), Outcome::Done(Err(Errno::EINVAL)), "nget > max");
    let pending = match k.port_getn(t, port, 0, 5, None) {
        Outcome::Done(Ok(g)) => g.pending,
        other => panic!("{other:?}"),
    };
    assert_eq!(pending, Some(3), "max 0: the count, nothing taken");
    assert_eq!(got(&mut k, t, port, 2, 1), vec![user_ev(0x10, 100), user_ev(0x11, 101)], "up to max, in order");
    assert_eq!(k.port_get(t, port, None), Outcome::Done(Ok(Some(user_ev(0x12, 102)))));
    assert_eq!(k.port_get(t, port, Some(Timespec { sec: 0, nsec: 0 })), Outcome::Done(Ok(None)), "poll: nothing");
    assert_eq!(
        k.port_getn(t, port, 4, 2, Some(Timespec { sec: 0, nsec: 1_000_000_000 })),
        Outcome::Done(Err(Errno::EINVAL)),
        "an invalid timeout, examined because the call would wait"
    );
    k.check().unwrap();
}

#[test]
fn a_timeout_delivers_what_is_there_with_etime() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let g = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    k.port_send(t, port, 1, 1).unwrap();
    let r = k.port_getn(g, port, 8, 3, Some(Timespec { sec: 0, nsec: 500 }));
    assert_eq!(r, Outcome::Blocked(format!("port_getn: port 1 (fd {port}) has fewer than 3 event(s)")));
    k.port_send(t, port, 2, 2).unwrap();
    assert!(k.wait_of(g).is_some(), "2 < 3: still waiting");
    k.advance(500);
    match k.take_result(g).unwrap().result {
        Ok(Reply::Port(PortReply::Events { events, etime: true })) => {
            assert_eq!(events, vec![user_ev(1, 1), user_ev(2, 2)])
        }
        other => panic!("{other:?}"),
    }
    // port_get's timeout is ETIME without an event.
    assert!(k.port_get(g, port, Some(Timespec { sec: 0, nsec: 10 })).is_blocked());
    k.advance(10);
    assert_eq!(taken(&mut k, g), Err(Errno::ETIME));
    k.check().unwrap();
}

#[test]
fn the_getter_queue_keeps_the_seeds_order_and_wakes_only_the_head() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let (a, b) = (k.thread_create(p).unwrap(), k.thread_create(p).unwrap());
    let port = k.port_create(t).unwrap();
    assert!(k.port_getn(a, port, 1, 1, None).is_blocked());
    assert!(k.port_getn(b, port, 5, 5, None).is_blocked());
    let order: Vec<Tid> = k.facilities().ports().all().next().unwrap().getters.iter().map(|g| g.tid).collect();
    assert_eq!(order, vec![b, a], "a new largest nget goes before the last: with one waiter it becomes the head");
    k.port_send(t, port, 1, 1).unwrap();
    assert!(k.wait_of(a).is_some(), "only the head is woken, and it wants 5");
    for i in 0..4 {
        k.port_send(t, port, 2 + i, 0).unwrap();
    }
    assert_eq!(taken(&mut k, b).unwrap().len(), 5, "the head took its 5");
    assert!(k.wait_of(a).is_some());
    k.port_send(t, port, 9, 9).unwrap();
    assert_eq!(taken(&mut k, a), Ok(vec![user_ev(9, 9)]));
    k.check().unwrap();
}

#[test]
fn an_interrupted_head_leaves_the_next_getter_for_the_next_send() {
    // port_getn's EINTR path calls port_check_return_cond, which signals the
    // next waiter only while the port is closing: a getter the queue could
    // already serve stays parked until an event arrives; clearing an alert
    // that was never set (port_remove_alert) wakes nobody either.
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let (a, b) = (k.thread_create(p).unwrap(), k.thread_create(p).unwrap());
    let port = k.port_create(t).unwrap();
    assert!(k.port_getn(b, port, 1, 1, None).is_blocked());
    assert!(k.port_getn(a, port, 2, 2, None).is_blocked());
    k.port_send(t, port, 1, 1).unwrap();
    assert!(k.wait_of(a).is_some() && k.wait_of(b).is_some(), "the head wants 2");
    assert_eq!(k.interrupt(a), Ok(true));
    assert_eq!(taken(&mut k, a), Err(Errno::EINTR));
    assert!(k.wait_of(b).is_some(), "b could take the queued event, but nobody wakes it");
    k.port_alert(t, port, 0, 0, 0).unwrap();
    assert!(k.wait_of(b).is_some(), "clearing no alert wakes nobody");
    k.port_send(t, port, 2, 2).unwrap();
    assert_eq!(taken(&mut k, b), Ok(vec![user_ev(1, 1)]), "the next send wakes the head, which takes the oldest");
    assert_eq!(got(&mut k, t, port, 8, 1), vec![user_ev(2, 2)]);
    k.check().unwrap();
}

#[test]
fn alert_mode() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let (a, b) = (k.thread_create(p).unwrap(), k.thread_create(p).unwrap());
    let port = k.port_create(t).unwrap();
    assert!(k.port_get(a, port, None).is_blocked());
    assert!(k.port_getn(b, port, 4, 2, None).is_blocked());
    assert_eq!(k.port_alert(t, port, 3, 1, 0), Err(Errno::EINVAL), "SET and UPDATE at once");
    k.port_alert(t, port, PORT_ALERT_SET, 0x7, 0xbeef).unwrap();
    let alert = PortEvent { source: PORT_SOURCE_ALERT, events: 0x7, object: 0, user: 0xbeef };
    assert_eq!(taken(&mut k, a), Ok(vec![alert]), "every parked getter returns the alert");
    assert_eq!(taken(&mut k, b), Ok(vec![alert]));
    assert_eq!(k.port_alert(t, port, PORT_ALERT_UPDATE, 1, 0), Err(Errno::EBUSY));
    k.port_send(t, port, 5, 5).unwrap();
    assert_eq!(got(&mut k, t, port, 8, 1), vec![alert], "later getters get the alert, nothing consumed");
    k.port_alert(t, port, 0, 0, 0).unwrap();
    assert_eq!(got(&mut k, t, port, 8, 1), vec![user_ev(5, 5)], "cleared: the queued event is there");
    k.check().unwrap();
}

#[test]
fn sendn_reports_per_port_errors() {
    let mut k = kernel();
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let a = k.port_create(t).unwrap();
    let (r, _) = k.pipe(t).unwrap();
    let b = k.port_create(t).unwrap();
    let s = k.port_sendn(t, &[a, 42, r, b], 1, 2).unwrap();
    assert_eq!(s.sent, 2);
    assert_eq!(s.errors, vec![None, Some(Errno::EBADF), Some(Errno::EBADFD), None]);
    let s = k.port_sendn(t, &[a, b], 1, 2).unwrap();
    assert_eq!((s.sent, s.errors.len()), (2, 0), "all sent: no error list");
    assert_eq!(k.port_sendn(t, &[], 1, 2), Err(Errno::EINVAL));
    k.check().unwrap();
}

#[test]
fn fd_associations_are_one_shot_and_owned() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let port = k.port_create(t).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    assert_eq!(k.port_dissociate(t, port, PORT_SOURCE_FD, r as u64), Err(Errno::ENOENT), "nothing ever associated");
    assert_eq!(k.port_associate(t, port, PORT_SOURCE_USER, r as u64, POLLIN, 0), Err(Errno::EINVAL));
    assert_eq!(k.port_associate(t, port, PORT_SOURCE_FD, 77, POLLIN, 0), Err(Errno::EBADFD));
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0xaa).unwrap();
    assert_eq!(got(&mut k, t, port, 4, 1), vec![], "not readable yet");
    k.write(t, w, b"x", false);
    let fired = PortEvent { source: PORT_SOURCE_FD, events: i32::from(POLLIN), object: r as u64, user: 0xaa };
    assert_eq!(got(&mut k, t, port, 4, 1), vec![fired]);
    k.write(t, w, b"y", false);
    assert_eq!(got(&mut k, t, port, 4, 1), vec![], "one-shot: disarmed until re-associated");
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0xbb).unwrap();
    assert_eq!(got(&mut k, t, port, 4, 1)[0].user, 0xbb, "re-association polls at once and fires");
    // The write end, associated for POLLOUT, fires at once.
    k.port_associate(t, port, PORT_SOURCE_FD, w as u64, POLLOUT, 1).unwrap();
    assert_eq!(got(&mut k, t, port, 4, 1)[0].events, i32::from(POLLOUT));
    // A child shares the association but may not dissociate it.
    let (_, ct) = k.fork(p).unwrap();
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0xcc).unwrap();
    assert_eq!(k.port_dissociate(ct, port, PORT_SOURCE_FD, r as u64), Err(Errno::EACCES));
    assert_eq!(got(&mut k, ct, port, 4, 1)[0].user, 0xcc, "the child's fd refers to the same file: it sees the event");
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0xdd).unwrap();
    assert_eq!(k.port_dissociate(t, port, PORT_SOURCE_FD, r as u64), Ok(()), "armed-and-fired, queued: dissociated");
    // Closing the write end: the read end's association sees POLLHUP.
    k.read(t, r, 10, true);
    k.read(ct, r, 10, true);
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0xee).unwrap();
    k.close(t, w).unwrap();
    assert!(got(&mut k, t, port, 4, 1).is_empty(), "the child still holds the write end");
    k.close(ct, w).unwrap();
    let ev = got(&mut k, t, port, 4, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].events & i32::from(POLLHUP), i32::from(POLLHUP));
    // Closing the associated fd dissociates.
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0).unwrap();
    k.close(t, r).unwrap();
    assert!(k.facilities().ports().all().next().unwrap().assocs.iter().all(|a| a.owner != pid_of(&k, t) || a.fd != r));
    k.check().unwrap();
}

#[test]
fn closing_a_port() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let g = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    // Another process's close (a fork copy) clears its own alert only.
    let (c, ct) = k.fork(p).unwrap();
    k.port_alert(ct, port, PORT_ALERT_SET, 1, 0).unwrap();
    k.close(ct, port).unwrap();
    assert!(k.facilities().ports().all().next().unwrap().alert.is_none(), "the owner of the alert closed its fd");
    k.exit(c).unwrap();
    assert!(k.port_getn(g, port, 4, 1, None).is_blocked());
    k.port_send(t, port, 1, 1).unwrap();
    taken(&mut k, g).unwrap();
    assert!(k.port_getn(g, port, 4, 1, None).is_blocked());
    k.close(t, port).unwrap();
    assert_eq!(taken(&mut k, g), Err(Errno::EBADFD), "the last close wakes getters with EBADFD");
    assert_eq!(k.facilities().ports().all().count(), 0);
    k.check().unwrap();
}

#[test]
fn limits() {
    let mut k = Kernel::new(Config { port: PortLimits { max_events: 2, max_ports: 1 }, ..Config::default() }).unwrap();
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let port = k.port_create(t).unwrap();
    assert_eq!(k.port_create(t), Err(Errno::EAGAIN), "project.max-port-ids");
    k.port_send(t, port, 1, 1).unwrap();
    let (r, _w) = k.pipe(t).unwrap();
    k.port_associate(t, port, PORT_SOURCE_FD, r as u64, POLLIN, 0).unwrap();
    assert_eq!(k.port_send(t, port, 1, 1), Err(Errno::EAGAIN), "2 slots: an event and an association");
    got(&mut k, t, port, 4, 1);
    k.port_send(t, port, 1, 1).unwrap();
    k.check().unwrap();
}

// ----- the property test: one port, user events, getters, alert -----

#[derive(Debug, Clone)]
enum Act {
    Send { events: i32 },
    Getn { who: usize, max: u32, nget: u32, wait: bool },
    Alert { on: bool },
    Interrupt { who: usize },
    Advance,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0i32..100).prop_map(|events| Act::Send { events }),
        4 => (0usize..4, 1u32..4, 1u32..4, any::<bool>()).prop_map(|(who, max, nget, wait)| Act::Getn { who, max: max.max(nget), nget, wait }),
        1 => any::<bool>().prop_map(|on| Act::Alert { on }),
        1 => (0usize..4).prop_map(|who| Act::Interrupt { who }),
        1 => Just(Act::Advance),
    ]
}

/// The reference: the queue, the getter queue (who, max, nget, timed), alert.
#[derive(Default)]
struct Model {
    queue: Vec<i32>,
    getters: Vec<(usize, u32, u32, bool)>,
    alert: bool,
}

impl Model {
    fn insert(&mut self, g: (usize, u32, u32, bool)) {
        match self.getters.iter().position(|x| x.2 >= g.2) {
            Some(i) => self.getters.insert(i, g),
            None if self.getters.is_empty() => self.getters.push(g),
            None => {
                let last = self.getters.len() - 1;
                self.getters.insert(last, g);
            }
        }
    }

    /// Head-only wake: (who, events) completions in order.
    fn wake(&mut self) -> Vec<(usize, Vec<i32>)> {
        let mut out = Vec::new();
        while !self.alert
            && let Some(&(who, max, nget, _)) = self.getters.first()
        {
            if self.queue.len() < nget as usize {
                break;
            }
            let n = (max as usize).min(self.queue.len());
            out.push((who, self.queue.drain(..n).collect()));
            self.getters.remove(0);
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn the_port_queue_and_getter_queue_match_the_model(acts in proptest::collection::vec(act(), 1..60)) {
        let mut k = kernel();
        let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
        let workers: Vec<Tid> = (0..4).map(|_| k.thread_create(p).unwrap()).collect();
        let port = k.port_create(t).unwrap();
        let mut m = Model::default();
        let ev = |events: i32| user_ev(events, 7);
        for a in acts {
            let mut want: Vec<(usize, Result<Vec<i32>, Errno>, bool)> = Vec::new();
            match a {
                Act::Send { events } => {
                    k.port_send(t, port, events, 7).unwrap();
                    m.queue.push(events);
                    want.extend(m.wake().into_iter().map(|(w, e)| (w, Ok(e), false)));
                }
                Act::Getn { who, max, nget, wait } => {
                    if m.getters.iter().any(|g| g.0 == who) { continue; }
                    let timeout = if wait { Some(Timespec { sec: 0, nsec: 5 }) } else { None };
                    let r = k.port_getn(workers[who], port, max, nget, timeout);
                    if m.alert {
                        prop_assert_eq!(r, Outcome::Done(Ok(ipc_core::port::Got { events: vec![PortEvent { source: PORT_SOURCE_ALERT, events: 1, object: 0, user: 0 }], etime: false, pending: None })));
                    } else if m.queue.len() >= nget as usize {
                        let n = (max as usize).min(m.queue.len());
                        let e: Vec<PortEvent> = m.queue.drain(..n).map(ev).collect();
                        prop_assert_eq!(r, Outcome::Done(Ok(ipc_core::port::Got { events: e, etime: false, pending: None })));
                    } else {
                        prop_assert!(r.is_blocked());
                        m.insert((who, max, nget, wait));
                    }
                }
                Act::Alert { on } => {
                    if on {
                        k.port_alert(t, port, PORT_ALERT_SET, 1, 0).unwrap();
                        m.alert = true;
                        for g in std::mem::take(&mut m.getters) {
                            want.push((g.0, Ok(vec![-1]), false));
                        }
                    } else {
                        k.port_alert(t, port, 0, 0, 0).unwrap();
                        // Clearing an alert that was set lets the queue serve
                        // getters again; clearing none wakes nobody (the seed's
                        // port_remove_alert wakes no one, and a getter left
                        // satisfiable behind an interrupted head waits for the
                        // next send, as port_check_return_cond leaves it).
                        if std::mem::take(&mut m.alert) {
                            want.extend(m.wake().into_iter().map(|(w, e)| (w, Ok(e), false)));
                        }
                    }
                }
                Act::Interrupt { who } => {
                    let i = m.getters.iter().position(|g| g.0 == who);
                    prop_assert_eq!(k.interrupt(workers[who]), Ok(i.is_some()));
                    if let Some(i) = i {
                        m.getters.remove(i);
                        want.push((who, Err(Errno::EINTR), false));
                    }
                }
                Act::Advance => {
                    k.advance(5);
                    // Timed getters end with ETIME and what is queued, in the
                    // kernel's deadline order.
                    let woke: Vec<Tid> = k.last_event().unwrap().woke.iter().map(|w| w.tid).collect();
                    for tid in woke {
                        let who = workers.iter().position(|&w| w == tid).unwrap();
                        let i = m.getters.iter().position(|g| g.0 == who).unwrap();
                        let (_, max, _, timed) = m.getters.remove(i);
                        prop_assert!(timed);
                        let n = (max as usize).min(m.queue.len());
                        want.push((who, Ok(m.queue.drain(..n).collect()), true));
                    }
                    prop_assert!(m.getters.iter().all(|g| !g.3), "a timed getter outlived its deadline");
                }
            }
            for (who, r, etime) in want {
                let c = k.take_result(workers[who]).unwrap().result;
                match r {
                    Err(e) => prop_assert_eq!(c, Err(e)),
                    Ok(v) if v == vec![-1] => prop_assert_eq!(c, Ok(Reply::Port(PortReply::Events {
                        events: vec![PortEvent { source: PORT_SOURCE_ALERT, events: 1, object: 0, user: 0 }], etime: false }))),
                    Ok(v) => prop_assert_eq!(c, Ok(Reply::Port(PortReply::Events { events: v.into_iter().map(ev).collect(), etime }))),
                }
            }
            prop_assert_eq!(k.check(), Ok(()));
            let pt = k.facilities().ports().all().next().unwrap();
            let q: Vec<i32> = pt.queue.iter().map(|q| q.ev.events).collect();
            prop_assert_eq!(&q, &m.queue);
            let g: Vec<Tid> = pt.getters.iter().map(|g| g.tid).collect();
            let mg: Vec<Tid> = m.getters.iter().map(|g| workers[g.0]).collect();
            prop_assert_eq!(g, mg);
        }
    }
}

#[test]
fn timers_notify_a_port_and_count_overruns() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let g = k.thread_create(p).unwrap();
    let port = k.port_create(t).unwrap();
    let once = k.timer_create(t, port, 0x11).unwrap();
    let tick = k.timer_create(t, port, 0x22).unwrap();
    assert_eq!(k.timer_settime(t, 99, 5, 0), Err(Errno::EINVAL));
    k.timer_settime(t, once, 100, 0).unwrap();
    k.timer_settime(t, tick, 10, 10).unwrap();
    assert!(k.port_get(g, port, None).is_blocked());
    k.advance(10);
    let timer = ipc_core::port::PORT_SOURCE_TIMER;
    assert_eq!(taken(&mut k, g), Ok(vec![PortEvent { source: timer, events: 1, object: u64::from(tick), user: 0x22 }]));
    // Three more periods pass before anyone looks: one event, 3 expirations.
    k.advance(30);
    assert_eq!(
        got(&mut k, t, port, 8, 1),
        vec![PortEvent { source: timer, events: 3, object: u64::from(tick), user: 0x22 }]
    );
    k.advance(60);
    let evs = got(&mut k, t, port, 8, 1);
    assert_eq!(evs.len(), 2, "the periodic timer and the one-shot (at 100)");
    assert!(evs.contains(&PortEvent { source: timer, events: 1, object: u64::from(once), user: 0x11 }));
    k.advance(1000);
    assert_eq!(got(&mut k, t, port, 8, 1).len(), 1, "the one-shot does not fire again");
    // Non-shareable: a forked child does not see the parent's timer events.
    let (c, ct) = k.fork(p).unwrap();
    k.advance(10);
    assert!(got(&mut k, ct, port, 8, 1).is_empty(), "only the owner retrieves a timer event");
    assert_eq!(got(&mut k, t, port, 8, 1).len(), 1);
    k.exit(c).unwrap();
    // Delete: the queued event goes, and the slot.
    k.advance(10);
    k.timer_delete(t, tick).unwrap();
    assert!(got(&mut k, t, port, 8, 1).is_empty());
    assert_eq!(k.timer_delete(t, tick), Err(Errno::EINVAL));
    k.check().unwrap();
}

/// Found by the whole-kernel fuzzer: a timer armed when the logical clock
/// had saturated at its end held an expiry it could never reach.
#[test]
fn a_timer_cannot_be_armed_past_the_end_of_the_clock() {
    let mut k = kernel();
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let port = k.port_create(t).unwrap();
    let tm = k.timer_create(t, port, 1).unwrap();
    k.advance(u64::MAX - 100);
    k.timer_settime(t, tm, 50, 60).unwrap();
    assert_eq!(k.timer_settime(t, tm, 101, 0), Err(Errno::EINVAL));
    k.timer_settime(t, tm, 50, 60).unwrap();
    k.check().unwrap();
    // It fires once; its next period would pass the end: it stops.
    k.advance(80);
    assert_eq!(got(&mut k, t, port, 8, 1).len(), 1);
    k.advance(u64::MAX);
    k.check().unwrap();
    assert!(got(&mut k, t, port, 8, 0).is_empty());
}

#[test]
fn next_deadline_names_the_earliest_timer_or_timeout() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let g = k.thread_create(p).unwrap();
    assert_eq!(k.next_deadline(), None, "nothing can make time matter");
    let port = k.port_create(t).unwrap();
    let tick = k.timer_create(t, port, 0x22).unwrap();
    k.timer_settime(t, tick, 50, 0).unwrap();
    assert_eq!(k.next_deadline(), Some(50), "the timer's expiry");
    // A parked getter with a timeout before it comes first.
    let ts = Timespec { sec: 0, nsec: 20 };
    assert!(k.port_get(g, port, Some(ts)).is_blocked());
    assert_eq!(k.next_deadline(), Some(20));
    k.advance(20);
    assert_eq!(k.next_deadline(), Some(50), "the timeout passed; the timer remains");
    k.advance(30);
    assert_eq!(k.next_deadline(), None, "a one-shot timer that fired is disarmed");
    assert_eq!(k.check(), Ok(()));
}

/// illumos `port_dissociate_fd`: ENOENT means the port has no fd cache
/// (`pc_hash`), which the first `port_associate` of an open fd makes and
/// only the port's last close frees; the fd is checked (EBADFD) after it.
#[test]
fn port_dissociate_of_a_closed_fd_is_ebadfd_once_the_port_has_an_fd_cache() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let port = k.port_create(t).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    let fd_src = ipc_core::port::PORT_SOURCE_FD;
    // No fd ever associated: no cache, ENOENT even for a closed fd.
    assert_eq!(k.port_dissociate(t, port, fd_src, 999), Err(Errno::ENOENT));
    k.port_associate(t, port, fd_src, r as u64, POLLIN, 7).unwrap();
    k.port_dissociate(t, port, fd_src, r as u64).unwrap();
    // No association is left, but the cache is: a closed fd is EBADFD…
    k.close(t, w).unwrap();
    assert_eq!(k.port_dissociate(t, port, fd_src, w as u64), Err(Errno::EBADFD));
    assert_eq!(k.port_dissociate(t, port, fd_src, 999), Err(Errno::EBADFD));
    // …and an open fd without an association is ENOENT.
    assert_eq!(k.port_dissociate(t, port, fd_src, r as u64), Err(Errno::ENOENT));
    // A refused associate of a closed fd makes no cache.
    let other = k.port_create(t).unwrap();
    assert_eq!(k.port_associate(t, other, fd_src, 999, POLLIN, 0), Err(Errno::EBADFD));
    assert_eq!(k.port_dissociate(t, other, fd_src, 999), Err(Errno::ENOENT));
    k.check().unwrap();
}

/// illumos `port_getn`: with enough events queued but none the caller may
/// see (another process's timer or fd event), the retrieval counts the
/// queue as checked and, with time left, loops and waits (`pgt_loop`):
/// for a new event it can see, or the timeout (ETIME).
#[test]
fn a_getter_that_can_see_none_of_the_queued_events_waits() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let port = k.port_create(t).unwrap();
    let tm = k.timer_create(t, port, 0x11).unwrap();
    let (_, ct) = k.fork(p).unwrap();
    k.timer_settime(t, tm, 10, 0).unwrap();
    k.advance(10);
    // The parent's timer event is queued; the child may not retrieve it.
    assert!(k.port_getn(ct, port, 4, 1, None).is_blocked(), "no timeout: it waits");
    // A user event (shareable) arrives: the child takes it; the timer's stays.
    k.port_send(t, port, 5, 0x55).unwrap();
    assert_eq!(taken(&mut k, ct), Ok(vec![user_ev(5, 0x55)]));
    // With a timeout: it waits, then ETIME with nothing.
    assert!(k.port_getn(ct, port, 4, 1, Some(Timespec { sec: 0, nsec: 100 })).is_blocked());
    k.advance(100);
    let done = k.take_result(ct).unwrap();
    assert!(
        matches!(done.result, Ok(Reply::Port(PortReply::Events { ref events, etime: true })) if events.is_empty()),
        "{done:?}"
    );
    // port_get too; a zero timeout still polls and returns at once.
    assert!(k.port_get(ct, port, None).is_blocked());
    k.interrupt(ct).unwrap();
    let _ = k.take_result(ct);
    assert_eq!(k.port_get(ct, port, Some(Timespec { sec: 0, nsec: 0 })), Outcome::Done(Ok(None)));
    assert!(got(&mut k, ct, port, 4, 1).is_empty());
    // The owner still gets its timer event.
    assert_eq!(got(&mut k, t, port, 4, 1).len(), 1);
    k.check().unwrap();
}
