//! # Event ports
//!
//! illumos event ports (`port.c`, `port_subr.c`, `port_fd.c`,
//! `port_vnops.c`): a port is a file descriptor with a queue of events from
//! several **event sources**, retrieved by `port_get` / `port_getn`.  This
//! kernel has the sources `PORT_SOURCE_USER` (`port_send`, `port_sendn`),
//! `PORT_SOURCE_ALERT` (`port_alert`, a port *mode*) and `PORT_SOURCE_FD`
//! (`port_associate` on pipes, [`crate::fd`]) and `PORT_SOURCE_TIMER`
//! (`timer_create` with port notification, on the logical clock).
//!
//! ## Objects
//! * [`Port`] (`port_t` + `port_queue_t`): its open file and the creator's
//!   fd, owner pid, uid, gid, ctime; the **event queue** (FIFO, `portq`);
//!   `port_curr` (event slots in use) against `port_max_events` (the
//!   creator's `process.max-port-events` when the port was made); the
//!   **alert** (events, user value, owner pid) while in alert mode; the
//!   **getter queue** (`portget_t` list: parked `port_get`/`port_getn`
//!   callers in the seed's order); the FD **associations** (fd, open file,
//!   owner pid, wanted events, user value, armed?).
//! * [`PortEvent`] (`port_kevent_t`): source, events, object, user value,
//!   and who may retrieve it (USER events: anyone; FD events: a process
//!   whose same fd number refers to the same open file).
//!
//! ## Operations, with the seed's check order
//! Every call but `port_create` and `port_sendn` starts with the port fd:
//! not open → EBADF, not a port → EBADFD.
//! * **port_create**: the system's ports already at `project.max-port-ids`
//!   (default 8192) → EAGAIN; no free fd → EMFILE.
//! * **port_send(events, user)**: `port_curr ≥ port_max_events` → EAGAIN;
//!   a USER event (object 0) joins the queue.  Allowed in alert mode (it
//!   is retrievable once the mode ends).
//! * **port_sendn(fds, events, user)**: `nent == 0` or `> 8192`
//!   (PORT_MAX_LIST) → EINVAL; then per port EBADF / EBADFD / EAGAIN,
//!   recorded in the error list and the loop goes on.  Returns how many
//!   ports got the event; the error list is written only if some failed
//!   (the seed's internal EIO becomes a normal return).
//! * **port_alert(flags, events, user)**: `events == 0` clears alert mode
//!   (anyone may, always succeeds); else `flags & 3 == 3` → EINVAL; flags
//!   exactly PORT_ALERT_UPDATE while in alert mode → EBUSY; anything else
//!   sets (overwrites) the alert, owned by the caller's process.  Every
//!   parked getter returns at once with the alert event; later getters
//!   return it at once without consuming anything.
//! * **port_associate(PORT_SOURCE_FD, fd, events, user)**: another source →
//!   EINVAL (PORT_SOURCE_FILE is not modelled); `fd > INT_MAX` or not an
//!   open fd of the caller → EBADFD; a new association takes an event slot
//!   (EAGAIN) and is owned by the caller's process; re-associating discards
//!   a queued event of it and updates the user value.  The association is
//!   armed with the wanted events and the fd is polled at once: if ready,
//!   one event fires.
//! * **port_dissociate(PORT_SOURCE_FD, fd)**: another source → EINVAL;
//!   `fd > INT_MAX` → EBADFD; the port has no fd cache (`pc_hash`: made by
//!   the first `port_associate` of an open fd, kept until the port's last
//!   close, so it outlives every association) → ENOENT; fd not open →
//!   EBADFD; no association for it → ENOENT; not the owner →
//!   EACCES; else it goes (its queued event discarded, its slot freed) —
//!   and the call still answers ENOENT if it had fired and been retrieved
//!   already (the 2022 `port_fd.c`).
//! * **port_getn(max, nget, timeout)**: `nget > max` with `max > 0` →
//!   EINVAL; `max == 0` → the number of queued events, nothing consumed;
//!   `nget == 0` → no events; alert mode → the alert event (nget 1,
//!   nothing consumed).  If at least `nget` events are queued they are
//!   retrieved now — unless the caller may see none of them (another
//!   process's fd events and timers): then, as the seed's `pgt_loop`, the
//!   queue counts as checked and the call goes on as if it were short.
//!   Else the timeout: none waits, `{0, 0}` retrieves what
//!   is there (maybe nothing) and succeeds, an invalid timespec → EINVAL,
//!   else the thread parks until at least `nget` are queued, the timeout
//!   passes — **ETIME, with the events queued by then delivered** — the
//!   port is closed (EBADFD) or it is interrupted (EINTR).  A retrieval
//!   takes up to `max` events the caller may see, in queue order; a USER
//!   event's slot is freed, an FD association stays disarmed until
//!   re-associated (one-shot).
//! * **port_get(timeout)**: `port_getn(1, 1)`, except that a passed
//!   timeout is ETIME without an event, and `{0, 0}` with nothing queued is
//!   success without an event.
//!
//! ## The getter queue and waking (`port_queue_thread`)
//! A new getter goes before the first one whose `nget` is ≥ its own (so
//! equal ones are last-in first-out); if its `nget` is larger than every
//! other's, it goes before the *last* one — the seed's insertion quirk,
//! kept: with one getter waiting for 1 event, a getter asking for 5
//! becomes the head.  An arriving event wakes **only the head**, and only
//! when the queue holds at least the head's `nget` events; the head takes
//! up to its `max`, then the next head is considered the same way.  A head
//! that can see none of the queued events stays parked.
//!
//! ## Closing, fork, exit
//! * Closing an fd drops the closing process's associations on that fd
//!   (their queued events discarded, their slots freed).
//! * A process's close of a port that other fds still refer to (a fork
//!   copy): its alert is cleared if it set it, its associations on the
//!   port are dropped.  The port's **last** close destroys it: parked
//!   getters complete with EBADFD, queued events and associations go.
//! * Fork shares ports and their associations (the owner stays the
//!   owner); exit closes every fd.
//!
//! ## Departures and differences
//! * Times are nanoseconds of the logical clock; timeouts are relative
//!   timespecs as in the seed.
//! * Timers: `timer_create(port, user)`, `timer_settime(id, value,
//!   interval)` (relative logical nanoseconds; 0 disarms; interval 0 is
//!   one-shot; EINVAL for an expiry past the end of the 64-bit logical
//!   clock, and a periodic timer whose next expiry would lie there stops)
//!   and `timer_delete`.  A timer holds one event slot (EAGAIN).
//!   An expiry queues one event (object = the timer's id) unless its
//!   previous event is still queued, in which case it only counts; the
//!   event's `events` is the number of expirations since the last
//!   retrieval (1 = no overrun).  Only the owner process retrieves it;
//!   exit deletes the process's timers, and a port's last close deletes
//!   its timers (the seed detaches them and lets them run unnotified: with
//!   no port to notify, nothing of them is visible).  Within one `advance`, timers
//!   fire before timeouts expire.  Timer ids are unique in the kernel
//!   (POSIX makes them per process).
//! * `PORT_SOURCE_FILE`, AIO and dispatch are not built.  Linux has no event ports (epoll is its nearest relative:
//!   level- or edge-triggered, no user events, no alert mode).
//!
//! ## Invariants (checked by `check()`)
//! 1. `port_curr` = queued USER events + associations + timers, ≤
//!    `port_max_events`; a timer has a queued event exactly when it has
//!    unretrieved expirations.
//! 2. Every queued FD event belongs to a disarmed association of its port,
//!    at most one per association.
//! 3. Every getter is a thread parked on this port, and the getter queue
//!    holds every thread parked on it.
//! 4. Every port's file is open; every association's fd refers to its file
//!    in its owner's table; every armed timer's next expiry is in the future.

pub mod view;

use crate::cred::{Caller, Gid, Pid, Tid, Uid};
use crate::errno::{Errno, SysResult};
use crate::event::{Ctx, Named};
use crate::fd::{Fd, FdHost, FileId, FileKind, POLLERR, POLLHUP, PipeId};
use crate::kernel::{Blockers, Kernel, Outcome, Progress};
use crate::namespace::Sink;
use crate::psem::Timespec;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

pub type PortId = u32;

/// Event sources (`<sys/port.h>`).
pub const PORT_SOURCE_TIMER: u16 = 2;
pub const PORT_SOURCE_USER: u16 = 3;
pub const PORT_SOURCE_FD: u16 = 4;
pub const PORT_SOURCE_ALERT: u16 = 5;
/// `port_alert` flags.
pub const PORT_ALERT_SET: i32 = 0x01;
pub const PORT_ALERT_UPDATE: i32 = 0x02;
/// Most ports one `port_sendn` takes.
pub const PORT_MAX_LIST: usize = 8192;

/// Limits of the port facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortLimits {
    /// `process.max-port-events`: event slots of a port made by the
    /// process.  Default 65536.
    pub max_events: u32,
    /// `project.max-port-ids`, tested against the system's ports.  Default 8192.
    pub max_ports: u32,
}

impl Default for PortLimits {
    fn default() -> Self {
        PortLimits { max_events: 65536, max_ports: 8192 }
    }
}

impl PortLimits {
    pub fn validate(&self) -> SysResult<()> {
        if self.max_events == 0 || self.max_events > u32::MAX / 2 || self.max_ports == 0 || self.max_ports > 65536 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// `port_event_t`, as a getter receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEvent {
    pub source: u16,
    pub events: i32,
    pub object: u64,
    pub user: u64,
}

/// A queued event and who may retrieve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub ev: PortEvent,
    /// FD events: the open file the fd number must refer to in the getter.
    pub file: Option<FileId>,
    /// TIMER events: the owner, the only process that may retrieve it.
    pub timer: Option<Pid>,
}

/// A timer notifying a port (`timer_create` with SIGEV_PORT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub id: u32,
    pub owner: Pid,
    pub user: u64,
    /// Next expiry on the logical clock, while armed.
    pub next: Option<u64>,
    /// 0: one-shot.
    pub interval: u64,
    /// Expirations not yet retrieved (`portev_events` at retrieval).
    pub fires: u32,
}

/// The alert mode's event and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub events: i32,
    pub user: u64,
    pub pid: Pid,
}

/// A `PORT_SOURCE_FD` association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assoc {
    pub fd: Fd,
    pub file: FileId,
    pub owner: Pid,
    /// The events asked for.
    pub events: u16,
    pub user: u64,
    /// Armed (`PORT_KEV_VALID`): fires at the next readiness.
    pub armed: bool,
}

/// A parked `port_get` / `port_getn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Getter {
    pub tid: Tid,
    pub pid: Pid,
    /// The port fd it called through.
    pub fd: Fd,
    pub max: u32,
    pub nget: u32,
    /// `port_get` rather than `port_getn`.
    pub one: bool,
}

/// A port (`port_t`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub id: PortId,
    pub file: FileId,
    /// The creator's fd (`port_fd`).
    pub fd: Fd,
    pub owner: Pid,
    pub uid: Uid,
    pub gid: Gid,
    pub ctime: u64,
    pub queue: VecDeque<Queued>,
    /// `port_curr`: slots in use.
    pub curr: u32,
    pub max_events: u32,
    pub alert: Option<Alert>,
    /// Parked getters, head first.
    pub getters: Vec<Getter>,
    pub assocs: Vec<Assoc>,
    pub timers: Vec<Timer>,
    /// PORT_SOURCE_FD's cache exists (`portq_pcp->pc_hash`): made by the
    /// first `port_associate` of an open fd, freed only at the port's last
    /// close — so it outlives every association.
    #[serde(default)]
    pub fd_cache: bool,
}

/// The facility's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    limits: PortLimits,
    ports: BTreeMap<PortId, Port>,
    next: PortId,
    next_timer: u32,
}

impl Ports {
    pub fn new(limits: PortLimits) -> SysResult<Self> {
        limits.validate()?;
        Ok(Ports { limits, ports: BTreeMap::new(), next: 1, next_timer: 1 })
    }

    pub fn limits(&self) -> &PortLimits {
        &self.limits
    }

    pub fn get(&self, id: PortId) -> Option<&Port> {
        self.ports.get(&id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Port> {
        self.ports.values()
    }
}

/// A kernel's facility set that contains event ports (over the fd layer).
pub trait PortHost:
    FdHost<Call: From<PortCall>, Value: From<PortValue>, Step: From<PortStep>, Chan: From<PortChan>, Reply: From<PortReply>>
{
    fn ports(&self) -> &Ports;
    fn ports_mut(&mut self) -> &mut Ports;
}

// ----- words for the event log -----

/// What `port_getn` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetArgs {
    pub max: u32,
    pub nget: u32,
    pub timeout: Option<Timespec>,
}

/// A port call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortCall {
    Create,
    Send { port: Fd, events: i32, user: u64 },
    Sendn { nent: u32, events: i32, user: u64 },
    Alert { port: Fd, flags: i32, events: i32, user: u64 },
    Associate { port: Fd, source: u16, object: u64, events: u16, user: u64 },
    Dissociate { port: Fd, source: u16, object: u64 },
    Get { port: Fd, args: GetArgs },
    Getn { port: Fd, args: GetArgs },
    TimerCreate { port: Fd, user: u64 },
    TimerSettime { id: u32, value: u64, interval: u64 },
    TimerDelete { id: u32 },
}

impl Named for PortCall {
    fn name(&self) -> &'static str {
        match self {
            PortCall::Create => "port_create",
            PortCall::Send { .. } => "port_send",
            PortCall::Sendn { .. } => "port_sendn",
            PortCall::Alert { .. } => "port_alert",
            PortCall::Associate { .. } => "port_associate",
            PortCall::Dissociate { .. } => "port_dissociate",
            PortCall::Get { .. } => "port_get",
            PortCall::Getn { .. } => "port_getn",
            PortCall::TimerCreate { .. } => "timer_create",
            PortCall::TimerSettime { .. } => "timer_settime",
            PortCall::TimerDelete { .. } => "timer_delete",
        }
    }
}

struct To(Option<Timespec>);

impl fmt::Display for To {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => write!(f, "NULL"),
            Some(t) => write!(f, "{t}"),
        }
    }
}

impl fmt::Display for PortCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortCall::Create => Ok(()),
            PortCall::Send { port, events, user } => write!(f, "port={port}, events={events:#x}, user={user:#x}"),
            PortCall::Sendn { nent, events, user } => write!(f, "nent={nent}, events={events:#x}, user={user:#x}"),
            PortCall::Alert { port, flags, events, user } => {
                write!(f, "port={port}, flags={flags:#x}, events={events:#x}, user={user:#x}")
            }
            PortCall::Associate { port, source, object, events, user } => {
                write!(f, "port={port}, source={source}, object={object}, events={events:#x}, user={user:#x}")
            }
            PortCall::Dissociate { port, source, object } => write!(f, "port={port}, source={source}, object={object}"),
            PortCall::Get { port, args } => write!(f, "port={port}, timeout={}", To(args.timeout)),
            PortCall::Getn { port, args } => {
                write!(f, "port={port}, max={}, nget={}, timeout={}", args.max, args.nget, To(args.timeout))
            }
            PortCall::TimerCreate { port, user } => write!(f, "SIGEV_PORT port={port}, user={user:#x}"),
            PortCall::TimerSettime { id, value, interval } => {
                write!(f, "timer={id}, value={value}ns, interval={interval}ns")
            }
            PortCall::TimerDelete { id } => write!(f, "timer={id}"),
        }
    }
}

/// What a port call returned, as the log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortValue {
    Fd(Fd),
    Zero,
    Sent {
        ok: u32,
        failed: u32,
    },
    /// Events delivered; `etime`: the timeout passed first.
    Events {
        n: u32,
        etime: bool,
    },
    /// `max == 0`: events queued.
    Pending(u32),
    /// timer_create: the timer's id.
    Timer(u32),
}

impl fmt::Display for PortValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortValue::Fd(fd) => write!(f, "fd {fd}"),
            PortValue::Zero => write!(f, "0"),
            PortValue::Sent { ok, failed } => write!(f, "{ok} sent, {failed} failed"),
            PortValue::Events { n, etime: false } => write!(f, "{n} event(s)"),
            PortValue::Events { n, etime: true } => write!(f, "ETIME with {n} event(s)"),
            PortValue::Pending(n) => write!(f, "{n} event(s) pending"),
            PortValue::Timer(id) => write!(f, "timer {id}"),
        }
    }
}

/// An internal step of the port facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortStep {
    /// An event joined a port's queue.
    Queued { port: PortId, source: u16, object: u64 },
    /// An FD association fired (and disarmed).
    Fired { port: PortId, fd: Fd, revents: u16 },
    /// Events left the queue to a getter.
    Delivered { port: PortId, tid: Tid, n: u32 },
    /// Queued events were discarded.
    Discarded { port: PortId, n: u32 },
    /// Alert mode set or cleared.
    Alert { port: PortId, on: bool },
    /// A port was destroyed (its last close).
    Destroyed { port: PortId },
    /// A timer expired: queued an event, or counted an overrun.
    Expired { port: PortId, timer: u32, fires: u32 },
}

impl fmt::Display for PortStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortStep::Queued { port, source, object } => {
                write!(f, "port: event from source {source} (object {object}) queued on port {port}")
            }
            PortStep::Fired { port, fd, revents } => {
                write!(f, "port: fd {fd} is ready ({revents:#x}): its association on port {port} fired and disarmed")
            }
            PortStep::Delivered { port, tid, n } => write!(f, "port: {n} event(s) of port {port} to thread {tid}"),
            PortStep::Discarded { port, n } => write!(f, "port: {n} queued event(s) of port {port} discarded"),
            PortStep::Alert { port, on: true } => write!(f, "port: port {port} is in alert mode"),
            PortStep::Alert { port, on: false } => write!(f, "port: port {port} left alert mode"),
            PortStep::Destroyed { port } => write!(f, "port: port {port} destroyed (last close)"),
            PortStep::Expired { port, timer, fires: 1 } => {
                write!(f, "port: timer {timer} expired: an event queued on port {port}")
            }
            PortStep::Expired { port, timer, fires } => write!(
                f,
                "port: timer {timer} expired again before its event on port {port} was retrieved: {fires} expirations"
            ),
        }
    }
}

/// What a parked getter waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortChan {
    pub port: PortId,
    pub fd: Fd,
    pub nget: u32,
    pub one: bool,
}

impl Named for PortChan {
    fn name(&self) -> &'static str {
        if self.one { "port_get" } else { "port_getn" }
    }
}

impl fmt::Display for PortChan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: port {} (fd {}) has fewer than {} event(s)", self.name(), self.port, self.fd, self.nget)
    }
}

/// What a parked getter completes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortReply {
    Events { events: Vec<PortEvent>, etime: bool },
}

impl PortReply {
    pub fn value(&self) -> PortValue {
        match self {
            PortReply::Events { events, etime } => PortValue::Events { n: events.len() as u32, etime: *etime },
        }
    }
}

/// What `port_getn` returns: the events, and whether the timeout passed
/// first (ETIME with these events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Got {
    pub events: Vec<PortEvent>,
    pub etime: bool,
    /// `max == 0`: how many events are queued (nothing was taken).
    pub pending: Option<u32>,
}

impl Got {
    fn events(events: Vec<PortEvent>) -> Self {
        Got { events, etime: false, pending: None }
    }
}

/// What `port_sendn` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sendn {
    /// Ports that got the event.
    pub sent: u32,
    /// Per port, its error; empty when every port got it.
    pub errors: Vec<Option<Errno>>,
}

fn deny(ctx: &mut impl Sink, errno: Errno, rule: impl FnOnce() -> String) -> Errno {
    ctx.deny(None, errno, || format!("port: {}", rule()))
}

/// The seed's `port_get_timeout`: none, or nanoseconds (EINVAL if invalid).
fn timeout_ns(t: Timespec) -> Option<u64> {
    if t.sec < 0 || !(0..1_000_000_000).contains(&t.nsec) {
        return None;
    }
    Some((t.sec as u64).saturating_mul(1_000_000_000).saturating_add(t.nsec as u64))
}

impl<F: PortHost> Kernel<F> {
    /// The port behind `fd` of the caller: EBADF, EBADFD.
    fn port_of(&self, caller: &Caller, fd: Fd, ctx: &mut Ctx<F>) -> SysResult<PortId> {
        let fds = self.fac.fds();
        let Some(f) = fds.lookup(caller.pid, fd) else {
            return Err(deny(ctx, Errno::EBADF, || format!("fd {fd} of pid {} is not open", caller.pid)));
        };
        match fds.file(f).map(|o| o.kind) {
            Some(FileKind::Port(p)) => Ok(p),
            _ => Err(deny(ctx, Errno::EBADFD, || format!("fd {fd} of pid {} is not an event port", caller.pid))),
        }
    }

    /// `port_create()`: the port's fd.
    pub fn port_create(&mut self, tid: Tid) -> SysResult<Fd> {
        self.syscall_now(
            tid,
            PortCall::Create.into(),
            |&fd| PortValue::Fd(fd).into(),
            |k, caller, ctx| {
                let now = k.clock;
                let ports = k.fac.ports();
                let max = ports.limits.max_ports;
                if ports.ports.len() as u64 + 1 > u64::from(max) {
                    return Err(deny(ctx, Errno::EAGAIN, || {
                        format!("the system has {} ports; project.max-port-ids is {max}", ports.ports.len())
                    }));
                }
                // Once the counter has wrapped, ids of live ports are skipped.
                let mut id = ports.next;
                while ports.ports.contains_key(&id) {
                    id = id.wrapping_add(1).max(1);
                }
                let (fd, file) = k
                    .fac
                    .fds_mut()
                    .open(caller.pid, FileKind::Port(id))
                    .map_err(|e| deny(ctx, e, || format!("pid {} has no free fd", caller.pid)))?;
                let ports = k.fac.ports_mut();
                ports.next = id.wrapping_add(1).max(1);
                let max_events = ports.limits.max_events;
                ports.ports.insert(
                    id,
                    Port {
                        id,
                        file,
                        fd,
                        owner: caller.pid,
                        uid: caller.cred.euid,
                        gid: caller.cred.egid,
                        ctime: now,
                        queue: VecDeque::new(),
                        curr: 0,
                        max_events,
                        alert: None,
                        getters: Vec::new(),
                        assocs: Vec::new(),
                        fd_cache: false,
                        timers: Vec::new(),
                    },
                );
                Ok(fd)
            },
        )
    }

    /// `port_send(port, events, user)`.
    pub fn port_send(&mut self, tid: Tid, port: Fd, events: i32, user: u64) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::Send { port, events, user }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                let p = k.port_of(caller, port, ctx)?;
                k.port_user_event(p, events, user, ctx)
            },
        )
    }

    /// Queues a USER event (a slot, EAGAIN) and wakes the head getter.
    fn port_user_event(&mut self, p: PortId, events: i32, user: u64, ctx: &mut Ctx<F>) -> SysResult<()> {
        let Some(pt) = self.fac.ports_mut().ports.get_mut(&p) else { return Err(Errno::EBADFD) };
        if pt.curr >= pt.max_events {
            let max = pt.max_events;
            return Err(deny(ctx, Errno::EAGAIN, || {
                format!("port {p} has all {max} event slots in use (process.max-port-events)")
            }));
        }
        pt.curr += 1;
        let ev = PortEvent { source: PORT_SOURCE_USER, events, object: 0, user };
        pt.queue.push_back(Queued { ev, file: None, timer: None });
        ctx.sys(PortStep::Queued { port: p, source: PORT_SOURCE_USER, object: 0 });
        self.port_wake(p, ctx);
        Ok(())
    }

    /// `port_sendn(ports, events, user)`.
    pub fn port_sendn(&mut self, tid: Tid, ports: &[Fd], events: i32, user: u64) -> SysResult<Sendn> {
        let call = PortCall::Sendn { nent: u32::try_from(ports.len()).unwrap_or(u32::MAX), events, user }.into();
        self.syscall_now(
            tid,
            call,
            |s: &Sendn| PortValue::Sent { ok: s.sent, failed: s.errors.iter().flatten().count() as u32 }.into(),
            |k, caller, ctx| {
                if ports.is_empty() || ports.len() > PORT_MAX_LIST {
                    let n = ports.len();
                    return Err(deny(ctx, Errno::EINVAL, || format!("nent {n} is not in 1..={PORT_MAX_LIST}")));
                }
                let mut errors = Vec::with_capacity(ports.len());
                for &fd in ports {
                    let r = k.port_of(caller, fd, ctx).and_then(|p| k.port_user_event(p, events, user, ctx));
                    errors.push(r.err());
                }
                let failed = errors.iter().flatten().count();
                let sent = (ports.len() - failed) as u32;
                if failed == 0 {
                    errors.clear();
                }
                Ok(Sendn { sent, errors })
            },
        )
    }

    /// `port_alert(port, flags, events, user)`.
    pub fn port_alert(&mut self, tid: Tid, port: Fd, flags: i32, events: i32, user: u64) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::Alert { port, flags, events, user }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                let p = k.port_of(caller, port, ctx)?;
                let Some(pt) = k.fac.ports_mut().ports.get_mut(&p) else { return Err(Errno::EBADFD) };
                if events == 0 {
                    if pt.alert.take().is_some() {
                        ctx.sys(PortStep::Alert { port: p, on: false });
                        k.port_wake(p, ctx);
                    }
                    return Ok(());
                }
                if flags & 3 == 3 {
                    return Err(deny(ctx, Errno::EINVAL, || format!("flags {flags:#x} are SET and UPDATE at once")));
                }
                if flags == PORT_ALERT_UPDATE && pt.alert.is_some() {
                    return Err(deny(ctx, Errno::EBUSY, || {
                        format!("port {p} is already in alert mode and PORT_ALERT_UPDATE does not overwrite it")
                    }));
                }
                pt.alert = Some(Alert { events, user, pid: caller.pid });
                ctx.sys(PortStep::Alert { port: p, on: true });
                // Every parked getter returns at once with the alert.
                let ev = PortEvent { source: PORT_SOURCE_ALERT, events, object: 0, user };
                let tids: Vec<Tid> = pt.getters.iter().map(|g| g.tid).collect();
                for t in tids {
                    k.complete(t, Ok(PortReply::Events { events: vec![ev], etime: false }.into()), ctx);
                }
                Ok(())
            },
        )
    }

    /// `port_associate(port, PORT_SOURCE_FD, fd, events, user)`.
    pub fn port_associate(
        &mut self,
        tid: Tid,
        port: Fd,
        source: u16,
        object: u64,
        events: u16,
        user: u64,
    ) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::Associate { port, source, object, events, user }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                let p = k.port_of(caller, port, ctx)?;
                if source != PORT_SOURCE_FD {
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!("source {source} cannot be associated here (PORT_SOURCE_FD only)")
                    }));
                }
                let Some(fd) = i32::try_from(object).ok() else {
                    return Err(deny(ctx, Errno::EBADFD, || format!("object {object} is above INT_MAX")));
                };
                let Some(file) = k.fac.fds().lookup(caller.pid, fd) else {
                    return Err(deny(ctx, Errno::EBADFD, || {
                        format!("object {fd} is not an open fd of pid {}", caller.pid)
                    }));
                };
                let Some(pt) = k.fac.ports_mut().ports.get_mut(&p) else { return Err(Errno::EBADFD) };
                // The first association of an open fd makes the fd cache.
                pt.fd_cache = true;
                match pt.assocs.iter().position(|a| a.fd == fd && a.file == file) {
                    Some(i) => {
                        // Re-association: a queued event of it is discarded.
                        let before = pt.queue.len();
                        pt.queue.retain(|q| {
                            !(q.ev.source == PORT_SOURCE_FD && q.ev.object == object && q.file == Some(file))
                        });
                        let n = (before - pt.queue.len()) as u32;
                        if n > 0 {
                            ctx.sys(PortStep::Discarded { port: p, n });
                        }
                        let a = &mut pt.assocs[i];
                        a.events = events;
                        a.user = user;
                        a.armed = true;
                    }
                    None => {
                        if pt.curr >= pt.max_events {
                            let max = pt.max_events;
                            return Err(deny(ctx, Errno::EAGAIN, || {
                                format!("port {p} has all {max} event slots in use")
                            }));
                        }
                        pt.curr += 1;
                        pt.assocs.push(Assoc { fd, file, owner: caller.pid, events, user, armed: true });
                    }
                }
                k.port_poll_assoc(p, fd, file, ctx);
                Ok(())
            },
        )
    }

    /// Polls an armed association now; fires it if ready.
    fn port_poll_assoc(&mut self, p: PortId, fd: Fd, file: FileId, ctx: &mut Ctx<F>) {
        let revents = self.fac.fds().revents(file);
        let Some(pt) = self.fac.ports_mut().ports.get_mut(&p) else { return };
        let Some(a) = pt.assocs.iter_mut().find(|a| a.fd == fd && a.file == file && a.armed) else { return };
        let fired = revents & (a.events | POLLHUP | POLLERR);
        if fired == 0 {
            return;
        }
        a.armed = false;
        let ev = PortEvent { source: PORT_SOURCE_FD, events: i32::from(fired), object: fd as u64, user: a.user };
        pt.queue.push_back(Queued { ev, file: Some(file), timer: None });
        ctx.sys(PortStep::Fired { port: p, fd, revents: fired });
        self.port_wake(p, ctx);
    }

    /// `port_dissociate(port, PORT_SOURCE_FD, fd)`.
    pub fn port_dissociate(&mut self, tid: Tid, port: Fd, source: u16, object: u64) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::Dissociate { port, source, object }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                let p = k.port_of(caller, port, ctx)?;
                if source != PORT_SOURCE_FD {
                    return Err(deny(ctx, Errno::EINVAL, || format!("source {source} cannot be dissociated here")));
                }
                let Some(fd) = i32::try_from(object).ok() else {
                    return Err(deny(ctx, Errno::EBADFD, || format!("object {object} is above INT_MAX")));
                };
                let never = k.fac.ports().ports.get(&p).is_none_or(|pt| !pt.fd_cache);
                if never {
                    return Err(deny(ctx, Errno::ENOENT, || {
                        format!("port {p} has no fd cache: no fd was ever associated with it")
                    }));
                }
                let Some(file) = k.fac.fds().lookup(caller.pid, fd) else {
                    return Err(deny(ctx, Errno::EBADFD, || {
                        format!("object {fd} is not an open fd of pid {}", caller.pid)
                    }));
                };
                let Some(pt) = k.fac.ports_mut().ports.get_mut(&p) else { return Err(Errno::EBADFD) };
                let Some(i) = pt.assocs.iter().position(|a| a.fd == fd && a.file == file) else {
                    return Err(deny(ctx, Errno::ENOENT, || format!("fd {fd} is not associated with port {p}")));
                };
                if pt.assocs[i].owner != caller.pid {
                    let owner = pt.assocs[i].owner;
                    return Err(deny(ctx, Errno::EACCES, || {
                        format!("the association of fd {fd} belongs to pid {owner}; only it may dissociate")
                    }));
                }
                let was_armed = pt.assocs[i].armed;
                let queued = port_drop_assoc(pt, i, ctx);
                if was_armed || queued {
                    Ok(())
                } else {
                    Err(deny(ctx, Errno::ENOENT, || {
                        format!("the association of fd {fd} had fired and been retrieved (it is gone now)")
                    }))
                }
            },
        )
    }

    /// `port_getn(port, max, nget, timeout)`; may park.
    pub fn port_getn(&mut self, tid: Tid, port: Fd, max: u32, nget: u32, timeout: Option<Timespec>) -> Outcome<Got> {
        let args = GetArgs { max, nget, timeout };
        self.syscall(
            tid,
            PortCall::Getn { port, args }.into(),
            |g: &Got| {
                match g.pending {
                    Some(n) => PortValue::Pending(n),
                    None => PortValue::Events { n: g.events.len() as u32, etime: g.etime },
                }
                .into()
            },
            |k, caller, ctx| k.port_get_locked(caller, port, args, false, ctx),
        )
    }

    /// `port_get(port, timeout)`: one event, or none (a zero timeout with
    /// nothing queued); ETIME when a timeout passes.
    pub fn port_get(&mut self, tid: Tid, port: Fd, timeout: Option<Timespec>) -> Outcome<Option<PortEvent>> {
        let args = GetArgs { max: 1, nget: 1, timeout };
        self.syscall(
            tid,
            PortCall::Get { port, args }.into(),
            |e: &Option<PortEvent>| PortValue::Events { n: u32::from(e.is_some()), etime: false }.into(),
            |k, caller, ctx| match k.port_get_locked(caller, port, args, true, ctx) {
                Progress::Done(r) => Progress::Done(r.map(|g| g.events.first().copied())),
                Progress::Park { chan, timeout } => Progress::Park { chan, timeout },
            },
        )
    }

    fn port_get_locked(
        &mut self,
        caller: &Caller,
        port: Fd,
        a: GetArgs,
        one: bool,
        ctx: &mut Ctx<F>,
    ) -> Progress<F, Got> {
        let p = match self.port_of(caller, port, ctx) {
            Ok(p) => p,
            Err(e) => return Progress::Done(Err(e)),
        };
        if a.nget > a.max && a.max > 0 {
            let (n, m) = (a.nget, a.max);
            return Progress::Done(Err(deny(ctx, Errno::EINVAL, || format!("nget {n} is more than max {m}"))));
        }
        let Some(pt) = self.fac.ports().ports.get(&p) else { return Progress::Done(Err(Errno::EBADFD)) };
        if a.max == 0 {
            let n = pt.queue.len() as u32;
            return Progress::Done(Ok(Got { events: Vec::new(), etime: false, pending: Some(n) }));
        }
        if a.nget == 0 {
            return Progress::Done(Ok(Got::events(Vec::new())));
        }
        if let Some(al) = pt.alert {
            let ev = PortEvent { source: PORT_SOURCE_ALERT, events: al.events, object: 0, user: al.user };
            return Progress::Done(Ok(Got::events(vec![ev])));
        }
        if pt.queue.len() >= a.nget as usize {
            let events = self.port_retrieve(p, caller.pid, caller.tid, a.max, ctx);
            if !events.is_empty() {
                return Progress::Done(Ok(Got::events(events)));
            }
            // None of them is the caller's to see (another process's fd
            // event or timer): as `port_getn`'s `pgt_loop`, the queue counts
            // as checked and the call goes on as if it were short — the
            // timeout decides (0: return with nothing; else wait for a new
            // event, ETIME when it passes).
        }
        let timeout = match a.timeout {
            None => None,
            Some(t) => match timeout_ns(t) {
                None => {
                    return Progress::Done(Err(deny(ctx, Errno::EINVAL, || {
                        format!("timeout {t} is not a valid timespec")
                    })));
                }
                Some(0) => {
                    let events = self.port_retrieve(p, caller.pid, caller.tid, a.max, ctx);
                    return Progress::Done(Ok(Got::events(events)));
                }
                Some(ns) => Some(ns),
            },
        };
        let Some(pt) = self.fac.ports_mut().ports.get_mut(&p) else { return Progress::Done(Err(Errno::EBADFD)) };
        let g = Getter { tid: caller.tid, pid: caller.pid, fd: port, max: a.max, nget: a.nget, one };
        queue_thread(&mut pt.getters, g);
        Progress::Park { chan: PortChan { port: p, fd: port, nget: a.nget, one }.into(), timeout }
    }

    /// Takes up to `max` events `pid` may see, in queue order.
    fn port_retrieve(&mut self, p: PortId, pid: Pid, tid: Tid, max: u32, ctx: &mut Ctx<F>) -> Vec<PortEvent> {
        let fds = self.fac.fds();
        let visible = |q: &Queued| match (q.file, q.timer) {
            (Some(f), _) => i32::try_from(q.ev.object).ok().and_then(|fd| fds.lookup(pid, fd)) == Some(f),
            (None, Some(owner)) => owner == pid,
            (None, None) => true,
        };
        let Some(pt) = self.fac.ports().ports.get(&p) else { return Vec::new() };
        let take: Vec<usize> =
            pt.queue.iter().enumerate().filter(|(_, q)| visible(q)).map(|(i, _)| i).take(max as usize).collect();
        let Some(pt) = self.fac.ports_mut().ports.get_mut(&p) else { return Vec::new() };
        let mut out = Vec::with_capacity(take.len());
        for &i in take.iter().rev() {
            if let Some(q) = pt.queue.remove(i) {
                let mut ev = q.ev;
                if q.file.is_none() && q.timer.is_none() {
                    // A USER event's slot is free again; an FD event's
                    // slot stays with its (disarmed) association, a timer's
                    // with its timer.
                    pt.curr = pt.curr.saturating_sub(1);
                }
                if q.timer.is_some()
                    && let Some(tm) = pt.timers.iter_mut().find(|t| u64::from(t.id) == ev.object)
                {
                    // The expirations so far; the count starts again.
                    ev.events = tm.fires as i32;
                    tm.fires = 0;
                }
                out.push(ev);
            }
        }
        out.reverse();
        if !out.is_empty() {
            ctx.sys(PortStep::Delivered { port: p, tid, n: out.len() as u32 });
        }
        out
    }

    /// Wakes the head getter while the queue holds at least its `nget`.
    fn port_wake(&mut self, p: PortId, ctx: &mut Ctx<F>) {
        let mut tried: Vec<Tid> = Vec::new();
        loop {
            let Some(pt) = self.fac.ports().ports.get(&p) else { return };
            if pt.alert.is_some() {
                return;
            }
            let Some(g) = pt.getters.iter().find(|g| !tried.contains(&g.tid)).cloned() else { return };
            if pt.queue.len() < g.nget as usize {
                return;
            }
            let events = self.port_retrieve(p, g.pid, g.tid, g.max, ctx);
            if events.is_empty() {
                // It can see none of them: it stays parked, the next may go.
                tried.push(g.tid);
                continue;
            }
            self.complete(g.tid, Ok(PortReply::Events { events, etime: false }.into()), ctx);
        }
    }
}

impl<F: PortHost> Kernel<F> {
    /// `timer_create(CLOCK, SIGEV_PORT {port, user})`: a timer that queues
    /// a PORT_SOURCE_TIMER event (object = its id) on `port` when it
    /// expires.  EBADF, EBADFD; EAGAIN when the port's slots are in use.
    pub fn timer_create(&mut self, tid: Tid, port: Fd, user: u64) -> SysResult<u32> {
        self.syscall_now(
            tid,
            PortCall::TimerCreate { port, user }.into(),
            |&id| PortValue::Timer(id).into(),
            |k, caller, ctx| {
                let p = k.port_of(caller, port, ctx)?;
                let ports = k.fac.ports_mut();
                // Timer ids are unique in the kernel: once the counter has
                // wrapped, ids still in use are skipped.
                let mut id = ports.next_timer;
                while ports.ports.values().any(|pt| pt.timers.iter().any(|t| t.id == id)) {
                    id = id.wrapping_add(1).max(1);
                }
                let Some(pt) = ports.ports.get_mut(&p) else { return Err(Errno::EBADFD) };
                if pt.curr >= pt.max_events {
                    let max = pt.max_events;
                    return Err(deny(ctx, Errno::EAGAIN, || format!("port {p} has all {max} event slots in use")));
                }
                pt.curr += 1;
                pt.timers.push(Timer { id, owner: caller.pid, user, next: None, interval: 0, fires: 0 });
                ports.next_timer = id.wrapping_add(1).max(1);
                Ok(id)
            },
        )
    }

    /// `timer_settime(id, value, interval)` (relative, nanoseconds of the
    /// logical clock): value 0 disarms; interval 0 is one-shot.  EINVAL: no
    /// such timer of the caller's process.
    pub fn timer_settime(&mut self, tid: Tid, id: u32, value: u64, interval: u64) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::TimerSettime { id, value, interval }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                let now = k.clock;
                let tm = k
                    .fac
                    .ports_mut()
                    .ports
                    .values_mut()
                    .flat_map(|pt| pt.timers.iter_mut())
                    .find(|t| t.id == id && t.owner == caller.pid);
                let Some(tm) = tm else {
                    return Err(deny(ctx, Errno::EINVAL, || format!("pid {} has no timer {id}", caller.pid)));
                };
                // An expiry the logical clock can never reach (past its
                // end, where it saturates) cannot be armed.
                let next = match value {
                    0 => None,
                    v => match now.checked_add(v) {
                        Some(n) => Some(n),
                        None => {
                            return Err(deny(ctx, Errno::EINVAL, || {
                                format!("{v}ns from now is past the end of the logical clock")
                            }));
                        }
                    },
                };
                tm.next = next;
                tm.interval = interval;
                Ok(())
            },
        )
    }

    /// `timer_delete(id)`: its queued event goes, its slot is freed.  EINVAL.
    pub fn timer_delete(&mut self, tid: Tid, id: u32) -> SysResult<()> {
        self.syscall_now(
            tid,
            PortCall::TimerDelete { id }.into(),
            |_| PortValue::Zero.into(),
            |k, caller, ctx| {
                for pt in k.fac.ports_mut().ports.values_mut() {
                    if let Some(i) = pt.timers.iter().position(|t| t.id == id && t.owner == caller.pid) {
                        port_drop_timer(pt, i, ctx);
                        return Ok(());
                    }
                }
                Err(deny(ctx, Errno::EINVAL, || format!("pid {} has no timer {id}", caller.pid)))
            },
        )
    }
}

/// Removes timer `i` of a port: its queued event discarded, its slot freed.
fn port_drop_timer(pt: &mut Port, i: usize, ctx: &mut impl PortSink) {
    let tm = pt.timers.remove(i);
    let before = pt.queue.len();
    pt.queue.retain(|q| !(q.timer.is_some() && q.ev.object == u64::from(tm.id)));
    let n = (before - pt.queue.len()) as u32;
    if n > 0 {
        ctx.port(PortStep::Discarded { port: pt.id, n });
    }
    pt.curr = pt.curr.saturating_sub(1);
}

/// The seed's `port_queue_thread`: before the first getter with `nget` ≥
/// the new one's; a new largest goes before the last one.
fn queue_thread(getters: &mut Vec<Getter>, g: Getter) {
    match getters.iter().position(|x| x.nget >= g.nget) {
        Some(i) => getters.insert(i, g),
        None if getters.is_empty() => getters.push(g),
        None => {
            let last = getters.len() - 1;
            getters.insert(last, g);
        }
    }
}

/// Removes association `i` (its queued event discarded, its slot freed);
/// whether it had an event queued.
fn port_drop_assoc(pt: &mut Port, i: usize, ctx: &mut impl PortSink) -> bool {
    let a = pt.assocs.remove(i);
    let before = pt.queue.len();
    pt.queue.retain(|q| !(q.file == Some(a.file) && q.ev.object == a.fd as u64));
    let n = (before - pt.queue.len()) as u32;
    if n > 0 {
        ctx.port(PortStep::Discarded { port: pt.id, n });
    }
    pt.curr = pt.curr.saturating_sub(1);
    n > 0
}

trait PortSink: Sink {
    fn port(&mut self, step: PortStep);
}

impl<F: PortHost> PortSink for Ctx<F> {
    fn port(&mut self, step: PortStep) {
        self.sys(step);
    }
}

// ----- hooks (called from `hooks.rs`) -----

/// A pipe's readiness changed: armed associations on its ends fire.
pub(crate) fn pollwakeup<F: PortHost>(k: &mut Kernel<F>, pipe: PipeId, ctx: &mut Ctx<F>) {
    let ends: Vec<FileId> =
        k.fac.fds().pipe(pipe).map(|p| p.read_file.into_iter().chain(p.write_file).collect()).unwrap_or_default();
    let hits: Vec<(PortId, Fd, FileId)> = k
        .fac
        .ports()
        .ports
        .values()
        .flat_map(|pt| pt.assocs.iter().filter(|a| a.armed && ends.contains(&a.file)).map(|a| (pt.id, a.fd, a.file)))
        .collect();
    for (p, fd, file) in hits {
        k.port_poll_assoc(p, fd, file, ctx);
    }
}

/// An fd of `pid` was released (close, exit): its associations on any
/// port go; a port fd's release by a process that is not the last
/// holder clears its alert and its associations; the last destroys it.
pub(crate) fn released<F: PortHost>(
    k: &mut Kernel<F>,
    pid: Pid,
    fd: Fd,
    file: FileId,
    kind: FileKind,
    last: bool,
    ctx: &mut Ctx<F>,
) {
    // closeandsetf → port_close_fd: this process's associations of this fd.
    for pt in k.fac.ports_mut().ports.values_mut() {
        while let Some(i) = pt.assocs.iter().position(|a| a.owner == pid && a.fd == fd && a.file == file) {
            port_drop_assoc(pt, i, ctx);
        }
    }
    let FileKind::Port(p) = kind else { return };
    if !last {
        let Some(pt) = k.fac.ports_mut().ports.get_mut(&p) else { return };
        if pt.alert.is_some_and(|a| a.pid == pid) {
            pt.alert = None;
            ctx.port(PortStep::Alert { port: p, on: false });
        }
        while let Some(i) = pt.assocs.iter().position(|a| a.owner == pid) {
            port_drop_assoc(pt, i, ctx);
        }
        return;
    }
    let getters: Vec<Tid> =
        k.fac.ports().ports.get(&p).map(|pt| pt.getters.iter().map(|g| g.tid).collect()).unwrap_or_default();
    for t in getters {
        k.complete(t, Err(Errno::EBADFD), ctx);
    }
    if let Some(pt) = k.fac.ports_mut().ports.remove(&p) {
        let n = pt.queue.len() as u32;
        if n > 0 {
            ctx.port(PortStep::Discarded { port: p, n });
        }
        ctx.port(PortStep::Destroyed { port: p });
    }
}

/// The clock moved to `now`: every armed timer that expired by then fires
/// (a periodic one once per period passed), earliest first; a timer whose
/// event is still queued only counts the expiration (the overrun).
pub(crate) fn tick<F: PortHost>(k: &mut Kernel<F>, now: u64, ctx: &mut Ctx<F>) {
    let mut due: Vec<(u64, PortId, u32)> = k
        .fac
        .ports()
        .ports
        .values()
        .flat_map(|pt| pt.timers.iter().filter_map(move |t| t.next.filter(|&n| n <= now).map(|n| (n, pt.id, t.id))))
        .collect();
    due.sort_unstable();
    for (_, p, id) in due {
        let Some(pt) = k.fac.ports_mut().ports.get_mut(&p) else { continue };
        let Some(tm) = pt.timers.iter_mut().find(|t| t.id == id) else { continue };
        let Some(next) = tm.next else { continue };
        let n = (now - next).checked_div(tm.interval).map_or(1, |k| k + 1);
        // A periodic timer whose next expiry lies past the clock's end stops.
        tm.next = n.checked_mul(tm.interval).and_then(|d| next.checked_add(d)).filter(|&t| tm.interval > 0 && t > now);
        let was = tm.fires;
        tm.fires = tm.fires.saturating_add(u32::try_from(n).unwrap_or(u32::MAX)).min(i32::MAX as u32);
        let (fires, owner, user) = (tm.fires, tm.owner, tm.user);
        ctx.port(PortStep::Expired { port: p, timer: id, fires });
        if was == 0 {
            let ev = PortEvent { source: PORT_SOURCE_TIMER, events: 0, object: u64::from(id), user };
            pt.queue.push_back(Queued { ev, file: None, timer: Some(owner) });
            k.port_wake(p, ctx);
        }
    }
}

/// The earliest expiry of an armed timer of any port.
pub(crate) fn next_tick<F: PortHost>(k: &Kernel<F>) -> Option<u64> {
    k.fac.ports().ports.values().flat_map(|pt| pt.timers.iter().filter_map(|t| t.next)).min()
}

/// Exit: the process's timers are deleted.
pub(crate) fn exit<F: PortHost>(k: &mut Kernel<F>, pid: Pid, ctx: &mut Ctx<F>) {
    for pt in k.fac.ports_mut().ports.values_mut() {
        while let Some(i) = pt.timers.iter().position(|t| t.owner == pid) {
            port_drop_timer(pt, i, ctx);
        }
    }
}

/// `unpark`: the getter leaves its port's queue.
pub(crate) fn unpark<F: PortHost>(k: &mut Kernel<F>, tid: Tid, chan: &PortChan, _ctx: &mut Ctx<F>) {
    if let Some(pt) = k.fac.ports_mut().ports.get_mut(&chan.port) {
        pt.getters.retain(|g| g.tid != tid);
    }
}

/// A parked getter's timeout passed: `port_getn` delivers what is queued
/// with ETIME; `port_get` is ETIME without an event.
pub(crate) fn expire<F: PortHost>(
    k: &mut Kernel<F>,
    tid: Tid,
    chan: &PortChan,
    ctx: &mut Ctx<F>,
) -> SysResult<F::Reply> {
    if chan.one {
        return Err(Errno::ETIME);
    }
    let Some(g) = k.fac.ports().ports.get(&chan.port).and_then(|pt| pt.getters.iter().find(|g| g.tid == tid)).cloned()
    else {
        return Err(Errno::ETIME);
    };
    let events = k.port_retrieve(chan.port, g.pid, tid, g.max, ctx);
    Ok(PortReply::Events { events, etime: true }.into())
}

/// Invariants 1–4 of the module documentation.
/// A getter waits for any sender (no holder); a timer of its port that
/// is armed can end the wait by itself.
pub(crate) fn blockers<F: PortHost>(k: &Kernel<F>, chan: &PortChan) -> Blockers {
    let timer = k.fac.ports().ports.get(&chan.port).is_some_and(|p| p.timers.iter().any(|t| t.next.is_some()));
    Blockers { holders: Vec::new(), timer }
}

pub(crate) fn check<F: PortHost>(k: &Kernel<F>) -> Result<(), String> {
    let fds = k.fac.fds();
    for (id, pt) in &k.fac.ports().ports {
        if fds.file(pt.file).map(|o| o.kind) != Some(FileKind::Port(*id)) {
            return Err(format!("port {id}: its file {} is not open as this port", pt.file));
        }
        let users = pt.queue.iter().filter(|q| q.file.is_none() && q.timer.is_none()).count() as u32;
        if pt.curr != users + pt.assocs.len() as u32 + pt.timers.len() as u32 || pt.curr > pt.max_events {
            return Err(format!(
                "port {id}: port_curr {} for {users} user event(s) and {} association(s)",
                pt.curr,
                pt.assocs.len()
            ));
        }
        for q in pt.queue.iter().filter(|q| q.timer.is_some()) {
            let ok =
                pt.timers.iter().any(|t| u64::from(t.id) == q.ev.object && Some(t.owner) == q.timer && t.fires > 0);
            if !ok {
                return Err(format!("port {id}: a queued timer event has no expired timer"));
            }
        }
        for t in &pt.timers {
            let queued = pt.queue.iter().filter(|q| q.timer.is_some() && q.ev.object == u64::from(t.id)).count();
            if t.next.is_some_and(|n| n <= k.now()) {
                return Err(format!("port {id}: timer {} is armed for a time already passed", t.id));
            }
            if queued != usize::from(t.fires > 0) || k.process(t.owner).is_none() {
                return Err(format!(
                    "port {id}: timer {} has {} expirations and {queued} queued event(s)",
                    t.id, t.fires
                ));
            }
        }
        for q in pt.queue.iter().filter(|q| q.file.is_some()) {
            let owners =
                pt.assocs.iter().filter(|a| Some(a.file) == q.file && a.fd as u64 == q.ev.object && !a.armed).count();
            if owners != 1 {
                return Err(format!("port {id}: a queued fd event has no disarmed association"));
            }
        }
        for a in &pt.assocs {
            if fds.lookup(a.owner, a.fd) != Some(a.file) {
                return Err(format!(
                    "port {id}: fd {} of pid {} no longer refers to the associated file",
                    a.fd, a.owner
                ));
            }
            let queued = pt.queue.iter().filter(|q| q.file == Some(a.file) && q.ev.object == a.fd as u64).count();
            if queued > 1 || (a.armed && queued > 0) {
                return Err(format!("port {id}: association of fd {} has {queued} queued event(s)", a.fd));
            }
        }
        for g in &pt.getters {
            let chan: F::Chan = PortChan { port: *id, fd: g.fd, nget: g.nget, one: g.one }.into();
            if k.wait_of(g.tid).map(|w| &w.chan) != Some(&chan) {
                return Err(format!("port {id}: getter {} is not parked on it", g.tid));
            }
        }
    }
    Ok(())
}

/// A thread parked on a port is in its getter queue.
pub(crate) fn check_parked<F: PortHost>(k: &Kernel<F>, tid: Tid, chan: &PortChan) -> Result<(), String> {
    let listed = k
        .fac
        .ports()
        .ports
        .get(&chan.port)
        .is_some_and(|pt| pt.getters.iter().any(|g| g.tid == tid && g.nget == chan.nget));
    if listed { Ok(()) } else { Err(format!("thread {tid} parked on port {} but not in its getter queue", chan.port)) }
}
