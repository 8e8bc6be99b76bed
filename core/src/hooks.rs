//! # Hooks: the one place that names every facility
//!
//! The kernel ([`crate::kernel`]) knows no facility; it runs a set of them
//! through the [`Facilities`] trait.  This file is that set for this crate:
//! [`Ipc`] holds each facility's state, and each hook — fork, exec, exit,
//! zone removal, unpark, resource controls, the invariant check, the
//! namespace view — has **one arm per facility**.  The five words each
//! facility adds to the event log are unions here too, one variant per
//! facility.
//!
//! ## Adding a facility
//! Write its module (its object type, calls as `impl<F: ItsHost>
//! Kernel<F>`, parked-call data, replies, views, hook functions and a
//! `//!` theory statement), then here: a field in [`Ipc`], its `Host`
//! impl, a variant in each union below, and one arm per hook.  Nothing in
//! `kernel/`, `event/` or `namespace/` changes.
//!
//! ## Per-process state
//! System V message queues keep none (a process holds no reference to a
//! queue between calls), so their fork, exec and exit arms do nothing.
//! Semaphore arrays keep undo records per process: a forked child starts
//! without any, exec keeps them, exit applies them (`semexit`).  Shared
//! memory keeps an attach map per process: fork copies it (every segment
//! gains an attachment), exec and exit detach everything (`shmexit`).
//! The fd table (pipes and event ports) is copied by fork, kept by exec and
//! closed by exit; closing is where event ports clean up.  POSIX
//! semaphores keep a reference list per process: fork copies it, exec and
//! exit drop it.

use crate::cred::{Pid, Tid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::event::{self, Ctx, Named, Vocabulary};
use crate::fd::{self, Fd, FdCall, FdChan, FdHost, FdLimits, FdReply, FdStep, FdValue, Fds, FileId, FileKind, PipeId};
use crate::inspect::{NamespaceView, namespace_view};
use crate::kernel::proc::ThreadState;
use crate::kernel::{self, Blockers, Facilities};
use crate::msg::{self, Msg, MsgCall, MsgChan, MsgHost, MsgLimits, MsgReply, MsgStep, MsgValue};
use crate::namespace::{Facility, IdSpace, RctlScope};
use crate::port::{self, PortCall, PortChan, PortHost, PortLimits, PortReply, PortStep, PortValue, Ports};
use crate::psem::{self, PsemCall, PsemChan, PsemHost, PsemLimits, PsemReply, PsemStep, PsemValue, Psems};
use crate::sem::{self, SemCall, SemChan, SemHost, SemLimits, SemReply, SemStep, SemValue, Sems};
use crate::shm::{self, ShmCall, ShmHost, ShmLimits, ShmStep, ShmValue, Shms};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kernel of this crate: the state machine running these facilities.
pub type Kernel = kernel::Kernel<Ipc>;
/// One operation as the log records it.
pub type Event = event::Event<Ipc>;
/// One internal step of an operation.
pub type Step = event::Step<Ipc>;
/// How an operation ended, as the log records it.
pub type EventOutcome = event::EventOutcome<Ipc>;
/// A parked call that completed, waiting for `take_result`.
pub type Completion = kernel::proc::Completion<Ipc>;

/// Everything fixed when a kernel is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Shape of every System V facility's id space.
    pub ids: IdSpace,
    pub msg: MsgLimits,
    pub sem: SemLimits,
    pub psem: PsemLimits,
    pub shm: ShmLimits,
    pub fd: FdLimits,
    pub port: PortLimits,
    /// How many events the log keeps (older ones are dropped).
    pub event_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ids: IdSpace::default(),
            msg: MsgLimits::default(),
            sem: SemLimits::default(),
            psem: PsemLimits::default(),
            shm: ShmLimits::default(),
            fd: FdLimits::default(),
            port: PortLimits::default(),
            event_capacity: 4096,
        }
    }
}

impl Config {
    pub fn validate(&self) -> SysResult<()> {
        self.ids.validate()?;
        self.msg.validate()?;
        self.sem.validate()?;
        self.psem.validate()?;
        self.shm.validate()?;
        self.fd.validate()?;
        self.port.validate()?;
        if self.event_capacity == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// The state of every facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ipc {
    msg: Msg,
    sem: Sems,
    psem: Psems,
    shm: Shms,
    fds: Fds,
    ports: Ports,
}

impl Ipc {
    pub fn msg(&self) -> &Msg {
        &self.msg
    }

    pub fn sem(&self) -> &Sems {
        &self.sem
    }

    pub fn psem(&self) -> &Psems {
        &self.psem
    }

    pub fn shm(&self) -> &Shms {
        &self.shm
    }

    pub fn fds(&self) -> &Fds {
        &self.fds
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}

impl FdHost for Ipc {
    fn fds(&self) -> &Fds {
        &self.fds
    }
    fn fds_mut(&mut self) -> &mut Fds {
        &mut self.fds
    }
    fn pollwakeup(k: &mut Kernel, pipe: PipeId, ctx: &mut Ctx<Self>) {
        port::pollwakeup(k, pipe, ctx);
    }
    fn released(k: &mut Kernel, pid: Pid, fd: Fd, file: FileId, kind: FileKind, last: bool, ctx: &mut Ctx<Self>) {
        port::released(k, pid, fd, file, kind, last, ctx);
    }
}

impl PortHost for Ipc {
    fn ports(&self) -> &Ports {
        &self.ports
    }
    fn ports_mut(&mut self) -> &mut Ports {
        &mut self.ports
    }
}

impl ShmHost for Ipc {
    fn shm(&self) -> &Shms {
        &self.shm
    }
    fn shm_mut(&mut self) -> &mut Shms {
        &mut self.shm
    }
}

impl PsemHost for Ipc {
    fn psem(&self) -> &Psems {
        &self.psem
    }
    fn psem_mut(&mut self) -> &mut Psems {
        &mut self.psem
    }
}

impl SemHost for Ipc {
    fn sem(&self) -> &Sems {
        &self.sem
    }
    fn sem_mut(&mut self) -> &mut Sems {
        &mut self.sem
    }
}

impl MsgHost for Ipc {
    fn msg(&self) -> &Msg {
        &self.msg
    }
    fn msg_mut(&mut self) -> &mut Msg {
        &mut self.msg
    }
}

/// A union of the facilities' words, with `From` each facility's type and
/// `Display` delegating to the variant.
macro_rules! union {
    ($(#[$doc:meta])* $name:ident { $($var:ident($ty:ty)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($var($ty)),+ }
        $(impl From<$ty> for $name {
            fn from(v: $ty) -> Self { $name::$var(v) }
        })+
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$var(v) => fmt::Display::fmt(v, f)),+ }
            }
        }
    };
}

/// `Named` for a union, delegating to the variant.
macro_rules! named {
    ($name:ident { $($var:ident),+ }) => {
        impl Named for $name {
            fn name(&self) -> &'static str {
                match self { $($name::$var(v) => v.name()),+ }
            }
        }
    };
}

union!(
    /// A facility's system call and its arguments.
    SysCall { Msg(MsgCall), Sem(SemCall), Shm(ShmCall), Psem(PsemCall), Fd(FdCall), Port(PortCall) }
);
named!(SysCall { Msg, Sem, Shm, Psem, Fd, Port });
union!(
    /// What a facility's call returned, as the log keeps it.
    SysValue { Msg(MsgValue), Sem(SemValue), Shm(ShmValue), Psem(PsemValue), Fd(FdValue), Port(PortValue) }
);
union!(
    /// A facility's internal step.
    SysStep { Msg(MsgStep), Sem(SemStep), Shm(ShmStep), Psem(PsemStep), Fd(FdStep), Port(PortStep) }
);
union!(
    /// What a parked thread waits on.
    SysChan { Msg(MsgChan), Sem(SemChan), Psem(PsemChan), Fd(FdChan), Port(PortChan) }
);
named!(SysChan { Msg, Sem, Psem, Fd, Port });

/// What a parked call completes with ([`kernel::Kernel::take_result`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Msg(MsgReply),
    Sem(SemReply),
    Psem(PsemReply),
    Fd(FdReply),
    Port(PortReply),
}

impl From<MsgReply> for Reply {
    fn from(r: MsgReply) -> Self {
        Reply::Msg(r)
    }
}

impl From<SemReply> for Reply {
    fn from(r: SemReply) -> Self {
        Reply::Sem(r)
    }
}

impl From<PsemReply> for Reply {
    fn from(r: PsemReply) -> Self {
        Reply::Psem(r)
    }
}

impl From<FdReply> for Reply {
    fn from(r: FdReply) -> Self {
        Reply::Fd(r)
    }
}

impl From<PortReply> for Reply {
    fn from(r: PortReply) -> Self {
        Reply::Port(r)
    }
}

impl Vocabulary for Ipc {
    type Call = SysCall;
    type Value = SysValue;
    type Step = SysStep;
    type Chan = SysChan;
    type Reply = Reply;

    fn value_of(reply: &Reply) -> SysValue {
        match reply {
            Reply::Msg(r) => r.value().into(),
            Reply::Sem(r) => r.value().into(),
            Reply::Psem(r) => r.value().into(),
            Reply::Fd(r) => r.value().into(),
            Reply::Port(r) => r.value().into(),
        }
    }
}

impl Facilities for Ipc {
    type Config = Config;

    fn new(config: &Config) -> SysResult<Self> {
        config.validate()?;
        Ok(Ipc {
            msg: Msg::new(config.ids, config.msg)?,
            sem: Sems::new(config.ids, config.sem)?,
            psem: Psems::new(config.psem)?,
            shm: Shms::new(config.ids, config.shm)?,
            fds: Fds::new(config.fd)?,
            ports: Ports::new(config.port)?,
        })
    }

    fn event_capacity(config: &Config) -> usize {
        config.event_capacity
    }

    fn fork(k: &mut Kernel, parent: Pid, child: Pid, ctx: &mut Ctx<Self>) {
        // msg: no per-process state to inherit.
        // sem: a child starts with no undo records.
        shm::fork(k, parent, child, ctx);
        psem::fork(k, parent, child, ctx);
        // fd: the table is copied, every open file (pipes, ports) shared;
        // port: associations stay with their owner.
        fd::fork(k, parent, child);
    }

    fn exec(k: &mut Kernel, pid: Pid, ctx: &mut Ctx<Self>) {
        // msg: nothing survives or dies with an image.
        // sem: undo records survive exec.
        shm::detach_all(k, pid, ctx);
        psem::drop_all(k, pid, ctx);
        // fd, port: the fd table survives exec.
    }

    fn exit(k: &mut Kernel, pid: Pid, ctx: &mut Ctx<Self>) {
        // msg: nothing held between calls (parked calls were unparked).
        sem::exit(k, pid, ctx);
        shm::detach_all(k, pid, ctx);
        psem::drop_all(k, pid, ctx);
        // fd: every fd is closed (and port: what that closes).
        fd::exit(k, pid, ctx);
        port::exit(k, pid, ctx);
    }

    fn zone_remove(k: &mut Kernel, zone: ZoneId, ctx: &mut Ctx<Self>) -> usize {
        // psem: POSIX semaphores belong to no zone.
        msg::zone_remove(k, zone, ctx) + sem::zone_remove(k, zone, ctx) + shm::zone_remove(k, zone, ctx)
    }

    fn unpark(k: &mut Kernel, tid: Tid, chan: &SysChan, ctx: &mut Ctx<Self>) {
        match chan {
            SysChan::Msg(c) => msg::unpark(k, tid, c, ctx),
            SysChan::Sem(c) => sem::unpark(k, tid, c, ctx),
            SysChan::Psem(c) => psem::unpark(k, tid, c, ctx),
            SysChan::Fd(c) => fd::unpark(k, tid, c, ctx),
            SysChan::Port(c) => port::unpark(k, tid, c, ctx),
        }
    }

    fn expire(k: &mut Kernel, tid: Tid, chan: &SysChan, ctx: &mut Ctx<Self>) -> SysResult<Reply> {
        match chan {
            SysChan::Msg(_) | SysChan::Sem(_) | SysChan::Fd(_) => Err(Errno::EAGAIN),
            SysChan::Psem(_) => Err(Errno::ETIMEDOUT),
            SysChan::Port(c) => port::expire(k, tid, c, ctx),
        }
    }

    fn blockers(k: &Kernel, chan: &SysChan) -> Blockers {
        match chan {
            // Any process could send, receive or post.
            SysChan::Msg(_) | SysChan::Psem(_) => Blockers::default(),
            SysChan::Sem(c) => sem::blockers(k, c),
            SysChan::Fd(c) => fd::blockers(k, c),
            SysChan::Port(c) => port::blockers(k, c),
        }
    }

    fn tick(k: &mut Kernel, now: u64, ctx: &mut Ctx<Self>) {
        // msg, sem, shm, psem, fd: no timers of their own.
        port::tick(k, now, ctx);
    }

    fn next_tick(k: &Kernel) -> Option<u64> {
        // msg, sem, shm, psem, fd: no timers of their own.
        port::next_tick(k)
    }

    fn set_ids_limit(k: &mut Kernel, facility: Facility, scope: RctlScope, max_ids: u32) -> SysResult<()> {
        match facility {
            Facility::Msg => msg::set_ids_limit(k, scope, max_ids),
            Facility::Sem => sem::set_ids_limit(k, scope, max_ids),
            Facility::Shm => shm::set_ids_limit(k, scope, max_ids),
        }
        Ok(())
    }

    fn check(k: &Kernel) -> Result<(), String> {
        // Each facility keeps the limits it was made with; they are the
        // configuration's (shared memory's are tunable, so they may differ).
        let c = k.config();
        let fac = k.facilities();
        if fac.msg().limits() != &c.msg
            || fac.sem().limits() != &c.sem
            || fac.psem().limits() != &c.psem
            || fac.fds().limits() != &c.fd
            || fac.ports().limits() != &c.port
        {
            return Err("a facility's limits differ from the kernel's configuration".to_string());
        }
        msg::check(k)?;
        sem::check(k)?;
        shm::check(k)?;
        psem::check(k)?;
        fd::check(k)?;
        port::check(k)?;
        for t in k.threads() {
            if let ThreadState::Blocked(w) = &t.state {
                match &w.chan {
                    SysChan::Msg(c) => msg::check_parked(k, t.tid, c)?,
                    SysChan::Sem(c) => sem::check_parked(k, t.tid, c)?,
                    SysChan::Psem(c) => psem::check_parked(k, t.tid, c)?,
                    SysChan::Fd(c) => fd::check_parked(k, t.tid, c)?,
                    SysChan::Port(c) => port::check_parked(k, t.tid, c)?,
                }
            }
        }
        Ok(())
    }
}

impl Kernel {
    /// The slot table, AVL tree and id list of a System V facility (an
    /// empty namespace of the configured shape for one not built yet).
    pub fn namespace_view(&self, facility: Facility) -> NamespaceView {
        match facility {
            Facility::Msg => namespace_view(self.fac.msg.service()),
            Facility::Sem => namespace_view(self.fac.sem.service()),
            Facility::Shm => namespace_view(self.fac.shm.service()),
        }
    }
}
