//! The `fd` and `port` interfaces and their `inspect` views.
//!
//! One core call per export, arguments and answers converted; no kernel
//! logic.

use crate::exports::ipclab::ipc::fd::{self as wfd, ReadOutcome, WriteOutcome};
use crate::exports::ipclab::ipc::inspect::{
    AlertView, AssocView, FdKind, FdTableView, FdView, GetterView, PipeView, PortView, TimerView,
};
use crate::exports::ipclab::ipc::port::{self as wport, GetOutcome, GetnOutcome, SendnResult};
use crate::exports::ipclab::ipc::system;
use crate::exports::ipclab::ipc::types::{Errno, PortEvent, PortGot, Timespec};
use crate::{Component, caller, err, errno, waiter_view};
use ipc_core::Outcome;
use ipc_core::fd::FileKind;
use ipc_core::port::view::{FdTableView as CFdTableView, PipeView as CPipeView, PortView as CPortView};
use ipc_core::port::{Got, PortEvent as CPortEvent};
use ipc_core::psem::Timespec as CTimespec;

pub(crate) fn port_event(e: CPortEvent) -> PortEvent {
    PortEvent { source: e.source, events: e.events, object: e.object, user: e.user }
}

pub(crate) fn port_got(events: Vec<CPortEvent>, etime: bool) -> PortGot {
    PortGot { events: events.into_iter().map(port_event).collect(), etime }
}

fn timespec(t: Option<Timespec>) -> Option<CTimespec> {
    t.map(|t| CTimespec { sec: t.sec, nsec: t.nsec })
}

/// A getn's outcome (also a batch's).
pub(crate) fn getn_outcome(r: Outcome<Got>) -> Result<GetnOutcome, Errno> {
    match r {
        Outcome::Done(r) => err(r).map(|g| match g.pending {
            Some(n) => GetnOutcome::Pending(n),
            None => GetnOutcome::Got(port_got(g.events, g.etime)),
        }),
        Outcome::Blocked(reason) => Ok(GetnOutcome::Blocked(reason)),
    }
}

impl wfd::Guest for Component {
    fn pipe(t: system::ThreadBorrow<'_>) -> Result<(i32, i32), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().pipe(tid);
        err(r)
    }

    fn read(t: system::ThreadBorrow<'_>, fd: i32, len: u32, nonblock: bool) -> Result<ReadOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().read(tid, fd, len, nonblock);
        match r {
            Outcome::Done(r) => err(r).map(ReadOutcome::Data),
            Outcome::Blocked(reason) => Ok(ReadOutcome::Blocked(reason)),
        }
    }

    fn write(t: system::ThreadBorrow<'_>, fd: i32, data: Vec<u8>, nonblock: bool) -> Result<WriteOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().write(tid, fd, &data, nonblock);
        match r {
            Outcome::Done(r) => err(r).map(WriteOutcome::Written),
            Outcome::Blocked(reason) => Ok(WriteOutcome::Blocked(reason)),
        }
    }

    fn close(t: system::ThreadBorrow<'_>, fd: i32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().close(tid, fd);
        err(r)
    }
}

impl wport::Guest for Component {
    fn port_create(t: system::ThreadBorrow<'_>) -> Result<i32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_create(tid);
        err(r)
    }

    fn port_send(t: system::ThreadBorrow<'_>, port: i32, events: i32, user: u64) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_send(tid, port, events, user);
        err(r)
    }

    fn port_sendn(t: system::ThreadBorrow<'_>, ports: Vec<i32>, events: i32, user: u64) -> Result<SendnResult, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_sendn(tid, &ports, events, user);
        err(r).map(|s| SendnResult { sent: s.sent, errors: s.errors.into_iter().map(|e| e.map(errno)).collect() })
    }

    fn port_alert(t: system::ThreadBorrow<'_>, port: i32, flags: i32, events: i32, user: u64) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_alert(tid, port, flags, events, user);
        err(r)
    }

    fn port_associate(
        t: system::ThreadBorrow<'_>,
        port: i32,
        source: u16,
        object: u64,
        events: u16,
        user: u64,
    ) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_associate(tid, port, source, object, events, user);
        err(r)
    }

    fn port_dissociate(t: system::ThreadBorrow<'_>, port: i32, source: u16, object: u64) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_dissociate(tid, port, source, object);
        err(r)
    }

    fn port_getn(
        t: system::ThreadBorrow<'_>,
        port: i32,
        max: u32,
        nget: u32,
        timeout: Option<Timespec>,
    ) -> Result<GetnOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_getn(tid, port, max, nget, timespec(timeout));
        getn_outcome(r)
    }

    fn timer_create(t: system::ThreadBorrow<'_>, port: i32, user: u64) -> Result<u32, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().timer_create(tid, port, user);
        err(r)
    }

    fn timer_settime(t: system::ThreadBorrow<'_>, timer: u32, value_ns: u64, interval_ns: u64) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().timer_settime(tid, timer, value_ns, interval_ns);
        err(r)
    }

    fn timer_delete(t: system::ThreadBorrow<'_>, timer: u32) -> Result<(), Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().timer_delete(tid, timer);
        err(r)
    }

    fn port_get(t: system::ThreadBorrow<'_>, port: i32, timeout: Option<Timespec>) -> Result<GetOutcome, Errno> {
        let (k, tid) = caller(&t);
        let r = k.borrow_mut().port_get(tid, port, timespec(timeout));
        match r {
            Outcome::Done(r) => err(r).map(|e| match e {
                Some(e) => GetOutcome::Event(port_event(e)),
                None => GetOutcome::None,
            }),
            Outcome::Blocked(reason) => Ok(GetOutcome::Blocked(reason)),
        }
    }
}

pub(crate) fn port_view(p: CPortView) -> PortView {
    PortView {
        id: p.id,
        fd: p.fd,
        owner: p.owner,
        ctime: p.ctime,
        queue: p.queue.into_iter().map(port_event).collect(),
        curr: p.curr,
        max_events: p.max_events,
        alert: p.alert.map(|a| AlertView { events: a.events, user: a.user, pid: a.pid }),
        getters: p
            .getters
            .into_iter()
            .map(|g| GetterView { waiter: waiter_view(g.waiter), max: g.max, nget: g.nget })
            .collect(),
        assocs: p
            .assocs
            .into_iter()
            .map(|a| AssocView { fd: a.fd, owner: a.owner, events: a.events, user: a.user, armed: a.armed })
            .collect(),
        timers: p
            .timers
            .into_iter()
            .map(|t| TimerView {
                id: t.id,
                owner: t.owner,
                user: t.user,
                next: t.next,
                interval: t.interval,
                fires: t.fires,
            })
            .collect(),
    }
}

pub(crate) fn pipe_view(p: CPipeView) -> PipeView {
    PipeView {
        id: p.id,
        buffered: p.buffered,
        capacity: p.capacity,
        readers: p.readers,
        writers: p.writers,
        parked_readers: p.parked_readers,
        parked_writers: p.parked_writers,
    }
}

pub(crate) fn fd_table_view(t: CFdTableView) -> FdTableView {
    FdTableView {
        pid: t.pid,
        fds: t
            .fds
            .into_iter()
            .map(|f| FdView {
                fd: f.fd,
                file: f.file,
                kind: match f.kind {
                    FileKind::PipeRead(p) => FdKind::PipeRead(p),
                    FileKind::PipeWrite(p) => FdKind::PipeWrite(p),
                    FileKind::Port(p) => FdKind::Port(p),
                },
                revents: f.revents,
            })
            .collect(),
    }
}
