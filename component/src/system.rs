//! The `system` interface: kernels, processes, threads and checkpoints as
//! resources, and the kernel's events put into words.
//!
//! One core call per export, arguments and answers converted; no kernel
//! logic.  The resources only *name* kernel state (see the crate's
//! documentation): a handle outliving what it names gets an errno.

use super::*;
use crate::exports::ipclab::ipc::system;
use crate::msg::{msqid_ds, received};

pub(crate) fn config(c: &CConfig) -> Config {
    let m = &c.msg;
    Config {
        seq_bits: c.ids.seq_bits,
        ids_min: c.ids.ids_min,
        msg: MsgLimits {
            max_message_bytes: m.max_message_bytes,
            max_queue_bytes: m.max_queue_bytes,
            max_queue_messages: m.max_queue_messages,
            max_queues: m.max_queues,
        },
        sem: SemLimits {
            max_nsems: c.sem.max_nsems,
            max_ops: c.sem.max_ops,
            value_max: c.sem.value_max,
            max_sets: c.sem.max_sets,
        },
        psem: PsemLimits { max_sems: c.psem.max_sems, value_max: c.psem.value_max },
        shm: ShmLimits {
            shmmax: c.shm.shmmax,
            shmmin: c.shm.shmmin,
            shmmni: c.shm.shmmni,
            shmseg: c.shm.shmseg,
            shmall: c.shm.shmall,
        },
        fd: FdLimits { max_fds: c.fd.max_fds, pipe_buf: c.fd.pipe_buf },
        port: PortLimits { max_events: c.port.max_events, max_ports: c.port.max_ports },
        // The default (and every accepted configuration) fits in u32.
        event_capacity: u32::try_from(c.event_capacity).unwrap_or(u32::MAX),
    }
}

/// A WIT configuration as a core one: EINVAL if out of the caps or inconsistent.
pub(crate) fn core_config(c: &Config) -> Result<CConfig, CErrno> {
    if c.event_capacity > MAX_EVENT_CAPACITY || c.ids_min > MAX_IDS_MIN {
        return Err(CErrno::EINVAL);
    }
    let m = &c.msg;
    let cfg = CConfig {
        ids: IdSpace { seq_bits: c.seq_bits, ids_min: c.ids_min },
        msg: CMsgLimits {
            max_message_bytes: m.max_message_bytes,
            max_queue_bytes: m.max_queue_bytes,
            max_queue_messages: m.max_queue_messages,
            max_queues: m.max_queues,
        },
        sem: CSemLimits {
            max_nsems: c.sem.max_nsems,
            max_ops: c.sem.max_ops,
            value_max: c.sem.value_max,
            max_sets: c.sem.max_sets,
        },
        psem: CPsemLimits { max_sems: c.psem.max_sems, value_max: c.psem.value_max },
        shm: CShmLimits {
            shmmax: c.shm.shmmax,
            shmmin: c.shm.shmmin,
            shmmni: c.shm.shmmni,
            shmseg: c.shm.shmseg,
            shmall: c.shm.shmall,
        },
        fd: CFdLimits { max_fds: c.fd.max_fds, pipe_buf: c.fd.pipe_buf },
        port: CPortLimits { max_events: c.port.max_events, max_ports: c.port.max_ports },
        event_capacity: usize::try_from(c.event_capacity).map_err(|_| CErrno::EINVAL)?,
    };
    cfg.validate()?;
    Ok(cfg)
}

/// The same caps for a configuration read back from a snapshot.
pub(crate) fn config_ok(c: &CConfig) -> bool {
    c.validate().is_ok()
        && c.ids.ids_min <= MAX_IDS_MIN
        && u32::try_from(c.event_capacity).is_ok_and(|n| n <= MAX_EVENT_CAPACITY)
}

pub(crate) fn credentials(c: Credentials) -> CCredentials {
    CCredentials { ruid: c.ruid, euid: c.euid, rgid: c.rgid, egid: c.egid, groups: c.groups, privileged: c.privileged }
}

/// A completed parked call's reply as the WIT `reply`.
pub(crate) fn reply(r: CReply) -> Reply {
    match r {
        CReply::Msg(MsgReply::Sent) => Reply::None,
        CReply::Msg(MsgReply::Received(m)) => Reply::Message(received(m)),
        CReply::Sem(SemReply::Done) => Reply::None,
        CReply::Psem(PsemReply::Acquired) => Reply::None,
        CReply::Fd(FdReply::Read(b)) => Reply::Bytes(b),
        CReply::Fd(FdReply::Wrote(n)) => Reply::Count(n),
        CReply::Port(PortReply::Events { events, etime }) => Reply::PortEvents(port::port_got(events, etime)),
    }
}

pub(crate) fn msgctl_reply(r: MsgctlReply) -> Reply {
    match r {
        MsgctlReply::Stat(d) => Reply::MsqStat(msqid_ds(d)),
        MsgctlReply::Done => Reply::None,
    }
}

pub(crate) fn completion(c: CCompletion) -> Completion {
    Completion { call: c.call().to_string(), result: c.result.map(reply).map_err(errno) }
}

pub(crate) fn event_outcome(o: &OutcomeView) -> EventOutcome {
    match o {
        OutcomeView::Ok(v) => EventOutcome::Ok(v.clone()),
        OutcomeView::Failed(e) => EventOutcome::Failed(errno(*e)),
        OutcomeView::Blocked(reason) => EventOutcome::Blocked(reason.clone()),
    }
}

pub(crate) fn wakeup(w: &WakeupView) -> Wakeup {
    Wakeup { tid: w.tid, pid: w.pid, call: w.call.clone(), outcome: event_outcome(&w.outcome) }
}

/// The WIT's name for a step kind (the same list, in the same order).
pub(crate) fn step_kind(k: CStepKind) -> StepKind {
    match k {
        CStepKind::KeyLookup => StepKind::KeyLookup,
        CStepKind::RctlDeny => StepKind::RctlDeny,
        CStepKind::TableGrow => StepKind::TableGrow,
        CStepKind::SlotAlloc => StepKind::SlotAlloc,
        CStepKind::AvlInsert => StepKind::AvlInsert,
        CStepKind::AvlRemove => StepKind::AvlRemove,
        CStepKind::SlotRelease => StepKind::SlotRelease,
        CStepKind::Hold => StepKind::Hold,
        CStepKind::Rele => StepKind::Rele,
        CStepKind::Destroy => StepKind::Destroy,
        CStepKind::Park => StepKind::Park,
        CStepKind::MsgEnqueue => StepKind::MsgEnqueue,
        CStepKind::MsgDequeue => StepKind::MsgDequeue,
        CStepKind::SemApply => StepKind::SemApply,
        CStepKind::SemSet => StepKind::SemSet,
        CStepKind::SemUndo => StepKind::SemUndo,
        CStepKind::PsemCreate => StepKind::PsemCreate,
        CStepKind::PsemRef => StepKind::PsemRef,
        CStepKind::PsemUnref => StepKind::PsemUnref,
        CStepKind::PsemUnlink => StepKind::PsemUnlink,
        CStepKind::PsemFree => StepKind::PsemFree,
        CStepKind::PsemValue => StepKind::PsemValue,
        CStepKind::PsemHandoff => StepKind::PsemHandoff,
        CStepKind::ShmAlloc => StepKind::ShmAlloc,
        CStepKind::ShmAttach => StepKind::ShmAttach,
        CStepKind::ShmDetach => StepKind::ShmDetach,
        CStepKind::ShmDeferred => StepKind::ShmDeferred,
        CStepKind::ShmFree => StepKind::ShmFree,
        CStepKind::ShmStore => StepKind::ShmStore,
        CStepKind::ShmWire => StepKind::ShmWire,
        CStepKind::FdMoved => StepKind::FdMoved,
        CStepKind::FdClosed => StepKind::FdClosed,
        CStepKind::PortQueued => StepKind::PortQueued,
        CStepKind::PortFired => StepKind::PortFired,
        CStepKind::PortDelivered => StepKind::PortDelivered,
        CStepKind::PortDiscarded => StepKind::PortDiscarded,
        CStepKind::PortAlert => StepKind::PortAlert,
        CStepKind::PortDestroyed => StepKind::PortDestroyed,
        CStepKind::PortExpired => StepKind::PortExpired,
        CStepKind::Denied => StepKind::Denied,
    }
}

pub(crate) fn rotation_kind(k: RotationKind) -> WRotationKind {
    match k {
        RotationKind::Left => WRotationKind::Left,
        RotationKind::Right => WRotationKind::Right,
        RotationKind::LeftRight => WRotationKind::LeftRight,
        RotationKind::RightLeft => WRotationKind::RightLeft,
    }
}

/// A step as ipc-core sorted it (`inspect::log`).  The record's one `id`
/// carries a POSIX semaphore's id too (a u32 there; the field is System
/// V's s32).
pub(crate) fn step(s: StepView) -> Step {
    Step {
        kind: step_kind(s.kind),
        text: s.text,
        facility: s.facility.map(facility),
        slot: s.slot,
        id: s.id.or(s.psem.map(|p| p as i32)),
        key: s.key,
        grown_from: s.grown_from,
        rotations: s.rotations.into_iter().map(|(kind, pivot)| Rotation { kind: rotation_kind(kind), pivot }).collect(),
    }
}

pub(crate) fn event(e: EventView) -> Event {
    Event {
        seq: e.seq,
        time: e.time,
        pid: e.pid,
        tid: e.tid,
        call: e.call,
        args: e.args,
        outcome: event_outcome(&e.outcome),
        woke: e.woke.iter().map(wakeup).collect(),
        steps: e.steps.into_iter().map(step).collect(),
        text: e.text,
    }
}

/// The `kernel` resource.
pub(crate) struct KernelRes {
    pub(crate) k: Shared,
}

/// The `process` resource: a pid in a kernel.
pub(crate) struct ProcessRes {
    pub(crate) k: Shared,
    pub(crate) pid: u32,
}

/// The `thread` resource: a tid in a kernel (and the pid it was made for).
pub(crate) struct ThreadRes {
    pub(crate) k: Shared,
    pub(crate) tid: u32,
    pub(crate) pid: u32,
}

/// The `checkpoint` resource: a copy of a kernel's whole state, and the
/// length of its snapshot once asked.
pub(crate) struct CheckpointRes {
    pub(crate) k: CKernel,
    pub(crate) size: Cell<Option<u64>>,
}

/// Counts the bytes written to it (a snapshot's length, without the text).
pub(crate) struct ByteCount(u64);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl system::GuestCheckpoint for CheckpointRes {
    fn size(&self) -> u64 {
        if let Some(n) = self.size.get() {
            return n;
        }
        let mut count = ByteCount(0);
        // As `snapshot`: plain data always serialises.
        let n = serde_json::to_writer(&mut count, &self.k).map_or(0, |()| count.0);
        self.size.set(Some(n));
        n
    }
}

pub(crate) fn process(k: &Shared, pid: u32) -> system::Process {
    system::Process::new(ProcessRes { k: Rc::clone(k), pid })
}

pub(crate) fn thread(k: &Shared, pid: u32, tid: u32) -> system::Thread {
    system::Thread::new(ThreadRes { k: Rc::clone(k), tid, pid })
}

impl GuestKernel for KernelRes {
    fn create(config: Config) -> Result<system::Kernel, Errno> {
        let k = err(core_config(&config).and_then(CKernel::new))?;
        Ok(system::Kernel::new(KernelRes { k: Rc::new(RefCell::new(k)) }))
    }

    fn spawn(&self, cred: Credentials, zone: u32, project: u32) -> Result<system::Process, Errno> {
        let r = self.k.borrow_mut().spawn(credentials(cred), zone, project);
        let (pid, _) = err(r)?;
        Ok(process(&self.k, pid))
    }

    fn now(&self) -> u64 {
        self.k.borrow().now()
    }

    fn advance(&self, ns: u64) -> u64 {
        self.k.borrow_mut().advance(ns)
    }

    fn events(&self, cursor: u64) -> (Vec<Event>, u64) {
        let (events, next) = self.k.borrow().events_since(cursor);
        (events.iter().map(|e| event(EventView::of(e))).collect(), next)
    }

    fn woken(&self, cursor: u64) -> (Vec<u32>, u64) {
        self.k.borrow().woken_since(cursor)
    }

    fn next_deadline(&self) -> Option<u64> {
        self.k.borrow().next_deadline()
    }

    fn set_project_limit(&self, project: u32, facility: Facility, max_ids: u32) {
        // EINVAL only for a facility this kernel does not have yet; the
        // event log records the refusal.
        let _ = self.k.borrow_mut().set_project_limit(project, core_facility(facility), max_ids);
    }

    fn set_zone_limit(&self, zone: u32, facility: Facility, max_ids: u32) -> Result<(), Errno> {
        err(self.k.borrow_mut().set_zone_limit(zone, core_facility(facility), max_ids))
    }

    fn set_step_recording(&self, on: bool) {
        self.k.borrow_mut().set_step_recording(on);
    }

    fn zone_remove(&self, zone: u32) -> Result<u32, Errno> {
        let n = err(self.k.borrow_mut().zone_remove(zone))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn snapshot(&self) -> String {
        // Serialisation of plain data cannot fail unless the core's types
        // stop being JSON-representable; an empty string then restores to EINVAL.
        serde_json::to_string(&*self.k.borrow()).unwrap_or_default()
    }

    fn restore(&self, snapshot: String) -> Result<(), Errno> {
        let k: CKernel = serde_json::from_str(&snapshot).map_err(|_| Errno::Einval)?;
        if !config_ok(k.config()) || k.check().is_err() {
            return Err(Errno::Einval);
        }
        *self.k.borrow_mut() = k;
        Ok(())
    }

    fn checkpoint(&self) -> system::Checkpoint {
        system::Checkpoint::new(CheckpointRes { k: self.k.borrow().clone(), size: Cell::new(None) })
    }

    fn rewind(&self, to: system::CheckpointBorrow<'_>) {
        let cp: &CheckpointRes = to.get();
        self.k.borrow_mut().clone_from(&cp.k);
    }
}

impl GuestProcess for ProcessRes {
    fn pid(&self) -> u32 {
        self.pid
    }

    fn main_thread(&self) -> system::Thread {
        let tid = self.k.borrow().process(self.pid).and_then(|p| p.threads.first().copied()).unwrap_or(NO_TID);
        thread(&self.k, self.pid, tid)
    }

    fn thread_create(&self) -> Result<system::Thread, Errno> {
        let tid = err(self.k.borrow_mut().thread_create(self.pid))?;
        Ok(thread(&self.k, self.pid, tid))
    }

    fn fork(&self) -> Result<system::Process, Errno> {
        let (child, _) = err(self.k.borrow_mut().fork(self.pid))?;
        Ok(process(&self.k, child))
    }

    fn exec(&self) -> Result<(), Errno> {
        err(self.k.borrow_mut().exec(self.pid))
    }

    fn exit(&self) -> Result<(), Errno> {
        err(self.k.borrow_mut().exit(self.pid))
    }
}

impl GuestThread for ThreadRes {
    fn tid(&self) -> u32 {
        self.tid
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    fn take_result(&self) -> Result<Completion, Errno> {
        let r = self.k.borrow_mut().take_result(self.tid);
        err(r).map(completion)
    }

    fn interrupt(&self) -> Result<bool, Errno> {
        err(self.k.borrow_mut().interrupt(self.tid))
    }
}

impl system::Guest for Component {
    type Kernel = KernelRes;
    type Process = ProcessRes;
    type Thread = ThreadRes;
    type Checkpoint = CheckpointRes;

    fn default_config() -> Config {
        config(&CConfig::default())
    }
}

/// The kernel and tid behind a borrowed thread handle.
pub(crate) fn caller(t: &system::ThreadBorrow<'_>) -> (Shared, u32) {
    let t: &ThreadRes = t.get();
    (Rc::clone(&t.k), t.tid)
}
