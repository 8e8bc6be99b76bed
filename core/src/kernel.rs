//! # The kernel: a deterministic state machine
//!
//! [`Kernel`] owns everything: the logical clock, processes and threads, the
//! per-facility namespaces, the parked calls and the event log.  It has no
//! wall clock, no randomness and no global state; every input — who calls,
//! with what, when time passes, in which order — comes from the embedder,
//! so the same operations always give the same events and the same state.
//! The whole state is plain data (`serde`): a snapshot is a serialisation,
//! and restoring it continues exactly where it was (step-back, replay,
//! share-by-URL, differential tests).
//!
//! ## A system call
//! Every call is made by a thread ([`Kernel::syscall`]):
//! 1. the thread must exist (ESRCH) and be runnable — neither parked nor
//!    holding an untaken result (EBUSY);
//! 2. the facility runs and either finishes ([`Progress::Done`]) or asks to
//!    wait ([`Progress::Park`]); a parked thread becomes `Blocked` with a
//!    reason in words and, if the caller gave one, a deadline;
//! 3. whatever the call changed may let parked calls finish: the facility
//!    completes them ([`Kernel::complete`]) and the event lists them;
//! 4. exactly one [`Event`] is appended.
//!
//! A parked call ends when an operation makes progress possible (the
//! result is recorded in the thread, which the caller fetches with
//! [`Kernel::take_result`]), when its object is removed (EIDRM), when it is
//! interrupted ([`Kernel::interrupt`], EINTR) or when [`Kernel::advance`]
//! moves the clock past its deadline (EAGAIN).  While parked, the thread
//! holds a reference on the object it waits on (`ipc_hold`).  A message
//! queue's RMID completes all its waiters in the same operation, so the
//! queue is destroyed within its RMID (the event shows the releases and the
//! destruction); removed-but-referenced objects, which the namespace
//! supports, arise with facilities whose references outlive a call (shm
//! attaches).
//!
//! ## Processes
//! [`Kernel::spawn`] (embedder), [`Kernel::fork`] (credentials, zone and
//! project inherited), [`Kernel::exec`] and [`Kernel::exit`] each run every
//! facility's hook; exit cancels the process's parked calls and drops their
//! references, so an exited process leaves nothing behind.
//!
//! ## Zones and resource controls
//! Objects belong to the creator's zone and are charged to its project;
//! [`Kernel::set_project_limit`] sets a project's maximum ids per facility
//! (ENOSPC beyond it), [`Kernel::zone_remove`] destroys a zone's objects.

use crate::arena::Handle;
use crate::errno::{Errno, SysResult};
use crate::event::{Event, EventOutcome, Step, Wakeup};
use crate::ipc::{Facility, IdSpace, IpcService};
use crate::msg::{MsgLimits, MsgQueue, MsqidDs, Received};
use crate::proc::GLOBAL_ZONEID;
use crate::proc::{
    Caller, Completion, Credentials, MAXUID, Pid, Process, ProjId, Thread, ThreadState, Tid, Wait, ZoneId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Everything fixed when a kernel is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Shape of every facility's id space.
    pub ids: IdSpace,
    pub msg: MsgLimits,
    /// How many events the log keeps (older ones are dropped).
    pub event_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { ids: IdSpace::default(), msg: MsgLimits::default(), event_capacity: 4096 }
    }
}

impl Config {
    pub fn validate(&self) -> SysResult<()> {
        self.ids.validate()?;
        let m = &self.msg;
        if m.max_queue_messages == 0 || m.max_queues == 0 || self.event_capacity == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    None,
    Id(i32),
    Message(Received),
    MsqStat(MsqidDs),
    Ids(Vec<i32>),
}

impl Reply {
    pub fn into_id(self) -> SysResult<i32> {
        match self {
            Reply::Id(id) => Ok(id),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The value in words, for the event log.
    pub fn summary(&self) -> String {
        match self {
            Reply::None => "0".to_string(),
            Reply::Id(id) => format!("id {id:#x} ({id})"),
            Reply::Message(m) => format!("{}-byte message of type {}", m.data.len(), m.mtype),
            Reply::MsqStat(s) => format!("qnum={} cbytes={} qbytes={}", s.qnum, s.cbytes, s.qbytes),
            Reply::Ids(ids) => format!("{} id(s)", ids.len()),
        }
    }
}

/// How a call ended for its caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome<T> {
    Done(SysResult<T>),
    /// The thread parked; the reason in words.  Its result comes later
    /// through [`Kernel::take_result`].
    Blocked(String),
}

impl<T> Outcome<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Done(r) => Outcome::Done(r.map(f)),
            Outcome::Blocked(reason) => Outcome::Blocked(reason),
        }
    }

    /// For calls that never park.
    pub fn into_result(self) -> SysResult<T> {
        match self {
            Outcome::Done(r) => r,
            Outcome::Blocked(_) => Err(Errno::EAGAIN),
        }
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self, Outcome::Blocked(_))
    }
}

/// A call waiting to be retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParkedCall {
    MsgSnd { msqid: i32, queue: Handle, mtype: i64, data: Vec<u8> },
    MsgRcv { msqid: i32, queue: Handle, msgsz: u64, msgtyp: i64, msgflg: i32 },
}

impl ParkedCall {
    pub fn name(&self) -> &'static str {
        match self {
            ParkedCall::MsgSnd { .. } => "msgsnd",
            ParkedCall::MsgRcv { .. } => "msgrcv",
        }
    }

    /// The facility and object the call waits on.
    pub fn object(&self) -> (Facility, Handle, i32) {
        match self {
            ParkedCall::MsgSnd { queue, msqid, .. } | ParkedCall::MsgRcv { queue, msqid, .. } => {
                (Facility::Msg, *queue, *msqid)
            }
        }
    }
}

/// What a facility's call did.
pub(crate) enum Progress {
    Done(SysResult<Reply>),
    Park { call: ParkedCall, reason: String, timeout: Option<u64> },
}

/// What one operation collects for its event.
#[derive(Default)]
pub(crate) struct Ctx {
    pub steps: Vec<Step>,
    pub woke: Vec<Wakeup>,
}

impl Ctx {
    /// Records the refusing check (see [`crate::event::deny`]) and returns its errno.
    pub fn deny(&mut self, facility: Facility, errno: Errno, rule: String) -> Errno {
        crate::event::deny(&mut self.steps, Some(facility), errno, rule)
    }
}

/// The whole kernel.  `Clone + Serialize + Deserialize`: this is the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kernel {
    pub(crate) config: Config,
    pub(crate) clock: u64,
    next_pid: Pid,
    next_tid: Tid,
    next_order: u64,
    procs: BTreeMap<Pid, Process>,
    threads: BTreeMap<Tid, Thread>,
    /// project → facility → max ids (nested so it serialises as JSON objects).
    project_limits: BTreeMap<ProjId, BTreeMap<Facility, u32>>,
    pub(crate) msg: IpcService<MsgQueue>,
    /// (deadline, park order, tid) of every parked call with a timeout.
    timeouts: BTreeSet<(u64, u64, Tid)>,
    events: VecDeque<Event>,
    next_event: u64,
}

impl Kernel {
    /// A kernel with this configuration (EINVAL if it is inconsistent).
    pub fn new(config: Config) -> SysResult<Self> {
        config.validate()?;
        Ok(Kernel {
            config,
            clock: 0,
            next_pid: 1,
            next_tid: 1,
            next_order: 0,
            procs: BTreeMap::new(),
            threads: BTreeMap::new(),
            project_limits: BTreeMap::new(),
            msg: IpcService::new(Facility::Msg, config.ids),
            timeouts: BTreeSet::new(),
            events: VecDeque::new(),
            next_event: 0,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Logical time in nanoseconds.
    pub fn now(&self) -> u64 {
        self.clock
    }

    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.procs.values()
    }

    pub fn process(&self, pid: Pid) -> Option<&Process> {
        self.procs.get(&pid)
    }

    pub fn threads(&self) -> impl Iterator<Item = &Thread> {
        self.threads.values()
    }

    pub fn thread(&self, tid: Tid) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The message-queue namespace, for viewers.
    pub fn msg_service(&self) -> &IpcService<MsgQueue> {
        &self.msg
    }

    /// A facility's id limit for a project (project.max-*-ids).
    pub fn project_limit(&self, project: ProjId, facility: Facility) -> u32 {
        self.project_limits.get(&project).and_then(|m| m.get(&facility)).copied().unwrap_or(match facility {
            Facility::Msg => self.config.msg.max_queues,
            Facility::Sem | Facility::Shm => 128,
        })
    }

    // ----- the event log -----

    fn record(
        &mut self,
        pid: Option<Pid>,
        tid: Option<Tid>,
        call: &str,
        args: String,
        outcome: EventOutcome,
        ctx: Ctx,
    ) {
        let event = Event {
            seq: self.next_event,
            time: self.clock,
            pid,
            tid,
            call: call.to_string(),
            args,
            outcome,
            woke: ctx.woke,
            steps: ctx.steps,
        };
        self.next_event += 1;
        while self.events.len() >= self.config.event_capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Events with `seq >= cursor` still in the log, and the cursor to pass next
    /// time.  If `cursor` is older than the oldest kept event, reading starts
    /// at the oldest (the first event's `seq` tells how many were missed).
    pub fn events_since(&self, cursor: u64) -> (Vec<Event>, u64) {
        let first = self.events.front().map_or(self.next_event, |e| e.seq);
        let skip = usize::try_from(cursor.saturating_sub(first)).unwrap_or(usize::MAX);
        (self.events.iter().skip(skip).cloned().collect(), self.next_event)
    }

    /// The newest event, if any.
    pub fn last_event(&self) -> Option<&Event> {
        self.events.back()
    }

    fn record_result(
        &mut self,
        pid: Option<Pid>,
        tid: Option<Tid>,
        call: &str,
        args: String,
        r: &SysResult<String>,
        ctx: Ctx,
    ) {
        let outcome = match r {
            Ok(s) => EventOutcome::Ok(s.clone()),
            Err(e) => EventOutcome::Err(*e),
        };
        self.record(pid, tid, call, args, outcome, ctx);
    }

    // ----- system calls -----

    /// The caller behind a thread: ESRCH if there is none, EBUSY if it is
    /// parked or holds a result not yet taken.
    fn caller(&self, tid: Tid, steps: &mut Vec<Step>) -> SysResult<Caller> {
        let no_thread = |steps: &mut Vec<Step>| {
            let rule = format!("there is no thread {tid}: it never existed or its process exited");
            crate::event::deny(steps, None, Errno::ESRCH, rule)
        };
        let Some(t) = self.threads.get(&tid) else { return Err(no_thread(steps)) };
        let busy = match &t.state {
            ThreadState::Runnable => None,
            ThreadState::Blocked(w) => {
                Some(format!("thread {tid} is parked in {}; it cannot call until woken", w.call.name()))
            }
            ThreadState::Finished(c) => Some(format!("thread {tid} holds the result of {}; take it first", c.call)),
        };
        if let Some(rule) = busy {
            return Err(crate::event::deny(steps, None, Errno::EBUSY, rule));
        }
        let Some(p) = self.procs.get(&t.pid) else { return Err(no_thread(steps)) };
        Ok(Caller { pid: p.pid, tid, cred: p.cred.clone(), zone: p.zone, project: p.project })
    }

    /// Runs one system call for thread `tid` and records its event.
    pub(crate) fn syscall(
        &mut self,
        tid: Tid,
        name: &str,
        args: String,
        f: impl FnOnce(&mut Self, &Caller, &mut Ctx) -> Progress,
    ) -> Outcome<Reply> {
        let mut ctx = Ctx::default();
        let caller = match self.caller(tid, &mut ctx.steps) {
            Ok(c) => c,
            Err(e) => {
                let pid = self.threads.get(&tid).map(|t| t.pid);
                self.record(pid, Some(tid), name, args, EventOutcome::Err(e), ctx);
                return Outcome::Done(Err(e));
            }
        };
        let progress = f(self, &caller, &mut ctx);
        let (outcome, event) = match progress {
            Progress::Done(r) => {
                let event = match &r {
                    Ok(reply) => EventOutcome::Ok(reply.summary()),
                    Err(e) => EventOutcome::Err(*e),
                };
                (Outcome::Done(r), event)
            }
            Progress::Park { call, timeout: Some(0), .. } => {
                // A zero timeout never waits: undo the facility's park bookkeeping.
                self.release_wait(&call, tid, &mut ctx);
                (Outcome::Done(Err(Errno::EAGAIN)), EventOutcome::Err(Errno::EAGAIN))
            }
            Progress::Park { call, reason, timeout } => {
                let order = self.next_order;
                self.next_order += 1;
                let deadline = timeout.map(|t| self.clock.saturating_add(t));
                if let Some(d) = deadline {
                    self.timeouts.insert((d, order, tid));
                }
                ctx.steps.push(Step::Park { tid, reason: reason.clone() });
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.state =
                        ThreadState::Blocked(Wait { call, reason: reason.clone(), since: self.clock, deadline, order });
                }
                (Outcome::Blocked(reason.clone()), EventOutcome::Blocked(reason))
            }
        };
        self.record(Some(caller.pid), Some(tid), name, args, event, ctx);
        outcome
    }

    /// The call a parked thread waits in, and its pid.
    pub(crate) fn parked_call(&self, tid: Tid) -> Option<(Pid, ParkedCall)> {
        let t = self.threads.get(&tid)?;
        match &t.state {
            ThreadState::Blocked(w) => Some((t.pid, w.call.clone())),
            _ => None,
        }
    }

    /// Takes a parked thread off its object: waiter list, timeout, reference.
    fn unpark(&mut self, tid: Tid, ctx: &mut Ctx) -> Option<ParkedCall> {
        let t = self.threads.get_mut(&tid)?;
        let ThreadState::Blocked(w) = std::mem::replace(&mut t.state, ThreadState::Runnable) else {
            return None;
        };
        if let Some(d) = w.deadline {
            self.timeouts.remove(&(d, w.order, tid));
        }
        self.release_wait(&w.call, tid, ctx);
        Some(w.call)
    }

    /// Undoes what a facility did when it parked `tid` in `call`: takes the
    /// thread off the object's waiter list and drops its reference.
    fn release_wait(&mut self, call: &ParkedCall, tid: Tid, ctx: &mut Ctx) {
        let (facility, h, _) = call.object();
        match facility {
            Facility::Msg => {
                self.msg_unpark(h, tid);
                self.msg.rele(h, &mut ctx.steps);
            }
            Facility::Sem | Facility::Shm => {}
        }
    }

    /// Completes a parked call with `result`; the thread keeps it until
    /// [`take_result`](Self::take_result).
    pub(crate) fn complete(&mut self, tid: Tid, result: SysResult<Reply>, ctx: &mut Ctx) {
        let Some(call) = self.unpark(tid, ctx) else { return };
        let pid = self.threads.get(&tid).map_or(0, |t| t.pid);
        let outcome = match &result {
            Ok(r) => EventOutcome::Ok(r.summary()),
            Err(e) => EventOutcome::Err(*e),
        };
        ctx.woke.push(Wakeup { tid, pid, call: call.name().to_string(), outcome });
        if let Some(t) = self.threads.get_mut(&tid) {
            t.state = ThreadState::Finished(Completion { call: call.name().to_string(), result });
        }
    }

    /// Fetches the result of a call that parked and has since completed.
    /// ESRCH: no such thread; EAGAIN: still parked; EINVAL: nothing to take.
    pub fn take_result(&mut self, tid: Tid) -> SysResult<Completion> {
        let pid = self.threads.get(&tid).map(|t| t.pid);
        let r = match self.threads.get_mut(&tid) {
            None => Err(Errno::ESRCH),
            Some(t) => match &t.state {
                ThreadState::Blocked(_) => Err(Errno::EAGAIN),
                ThreadState::Runnable => Err(Errno::EINVAL),
                ThreadState::Finished(_) => match std::mem::replace(&mut t.state, ThreadState::Runnable) {
                    ThreadState::Finished(c) => Ok(c),
                    _ => Err(Errno::EINVAL),
                },
            },
        };
        let summary = r.as_ref().map(|c| match &c.result {
            Ok(reply) => format!("{}: {}", c.call, reply.summary()),
            Err(e) => format!("{}: {}", c.call, e.name()),
        });
        self.record_result(pid, Some(tid), "take_result", String::new(), &summary.map_err(|e| *e), Ctx::default());
        r
    }

    /// Interrupts a parked call (a signal): it completes with EINTR.
    /// Returns whether the thread was parked.
    pub fn interrupt(&mut self, tid: Tid) -> SysResult<bool> {
        let mut ctx = Ctx::default();
        let pid = self.threads.get(&tid).map(|t| t.pid);
        let r = match self.threads.get(&tid) {
            None => Err(Errno::ESRCH),
            Some(t) => Ok(matches!(t.state, ThreadState::Blocked(_))),
        };
        if r == Ok(true) {
            self.complete(tid, Err(Errno::EINTR), &mut ctx);
        }
        let summary = r.map(|b| if b { "interrupted".to_string() } else { "not parked".to_string() });
        self.record_result(pid, Some(tid), "interrupt", format!("tid={tid}"), &summary, ctx);
        r
    }

    /// Moves the logical clock forward; parked calls whose deadline has
    /// come complete with EAGAIN, earliest deadline (then oldest park) first.
    pub fn advance(&mut self, ns: u64) -> u64 {
        let mut ctx = Ctx::default();
        self.clock = self.clock.saturating_add(ns);
        while let Some(&(deadline, _, tid)) = self.timeouts.first() {
            if deadline > self.clock {
                break;
            }
            self.complete(tid, Err(Errno::EAGAIN), &mut ctx);
        }
        let now = self.clock;
        self.record(None, None, "advance", format!("ns={ns}"), EventOutcome::Ok(format!("now {now} ns")), ctx);
        now
    }

    // ----- processes and threads -----

    /// A fresh tid; EAGAIN once every tid has been used (never reused).
    fn new_thread(&mut self, pid: Pid) -> SysResult<Tid> {
        let tid = self.next_tid;
        self.next_tid = tid.checked_add(1).ok_or(Errno::EAGAIN)?;
        self.threads.insert(tid, Thread { tid, pid, state: ThreadState::Runnable });
        if let Some(p) = self.procs.get_mut(&pid) {
            p.threads.push(tid);
        }
        Ok(tid)
    }

    /// A new process shaped like `template` (its pid and threads are
    /// assigned here) with one thread.  EAGAIN, with nothing created, once
    /// every pid or tid has been used (they are never reused).
    fn new_process(&mut self, template: Process) -> SysResult<(Pid, Tid)> {
        let pid = self.next_pid;
        if pid == Pid::MAX || self.next_tid == Tid::MAX {
            return Err(Errno::EAGAIN);
        }
        self.next_pid = pid + 1;
        self.procs.insert(pid, Process { pid, threads: Vec::new(), ..template });
        Ok((pid, self.new_thread(pid)?))
    }

    /// Creates a process with these credentials (the embedder's power).
    /// Returns its pid and the tid of its first thread.
    pub fn spawn(&mut self, cred: Credentials, zone: ZoneId, project: ProjId) -> SysResult<(Pid, Tid)> {
        let args = format!(
            "uid={} euid={} gid={} egid={} groups={:?} privileged={} zone={zone} project={project}",
            cred.ruid, cred.euid, cred.rgid, cred.egid, cred.groups, cred.privileged
        );
        let ids_ok =
            [cred.ruid, cred.euid, cred.rgid, cred.egid].iter().chain(cred.groups.iter()).all(|&id| id <= MAXUID);
        let r = if !ids_ok || cred.groups.len() > 64 {
            Err(Errno::EINVAL)
        } else {
            self.new_process(Process { pid: 0, ppid: 0, cred, zone, project, threads: Vec::new() })
        };
        let summary = r.map(|(pid, tid)| format!("pid {pid}, tid {tid}"));
        self.record_result(r.ok().map(|x| x.0), r.ok().map(|x| x.1), "spawn", args, &summary, Ctx::default());
        r
    }

    /// Adds a thread to a live process.
    pub fn thread_create(&mut self, pid: Pid) -> SysResult<Tid> {
        let r = if self.procs.contains_key(&pid) { self.new_thread(pid) } else { Err(Errno::ESRCH) };
        let summary = r.map(|tid| format!("tid {tid}"));
        self.record_result(Some(pid), r.ok(), "thread_create", format!("pid={pid}"), &summary, Ctx::default());
        r
    }

    /// `fork`: a child with the parent's credentials, zone and project and
    /// one thread; every facility's fork hook runs.  (System V message
    /// queues have no per-process state, so theirs does nothing.)
    pub fn fork(&mut self, pid: Pid) -> SysResult<(Pid, Tid)> {
        let r = match self.procs.get(&pid).cloned() {
            None => Err(Errno::ESRCH),
            Some(parent) => self.new_process(Process { ppid: pid, ..parent }),
        };
        let summary = r.map(|(c, t)| format!("child pid {c}, tid {t}"));
        self.record_result(Some(pid), None, "fork", format!("pid={pid}"), &summary, Ctx::default());
        r
    }

    /// `exec`: every facility's exec hook runs (none keeps state across exec yet).
    pub fn exec(&mut self, pid: Pid) -> SysResult<()> {
        let r = if self.procs.contains_key(&pid) { Ok(()) } else { Err(Errno::ESRCH) };
        self.record_result(Some(pid), None, "exec", format!("pid={pid}"), &r.map(|_| "0".to_string()), Ctx::default());
        r
    }

    /// `exit`: every thread's parked call is cancelled (its reference on
    /// the object dropped), every facility's exit hook runs, and the process
    /// and its threads are gone.
    pub fn exit(&mut self, pid: Pid) -> SysResult<()> {
        let mut ctx = Ctx::default();
        let r = match self.procs.remove(&pid) {
            None => Err(Errno::ESRCH),
            Some(p) => {
                for tid in p.threads {
                    self.unpark(tid, &mut ctx);
                    self.threads.remove(&tid);
                }
                Ok(())
            }
        };
        self.record_result(Some(pid), None, "exit", format!("pid={pid}"), &r.map(|_| "0".to_string()), ctx);
        r
    }

    // ----- namespace-wide operations -----

    /// Sets a project's maximum number of ids for a facility (resource control).
    pub fn set_project_limit(&mut self, project: ProjId, facility: Facility, max_ids: u32) {
        self.project_limits.entry(project).or_default().insert(facility, max_ids);
        let args = format!("project={project}, facility={facility}, max_ids={max_ids}");
        self.record(None, None, "set_project_limit", args, EventOutcome::Ok("0".into()), Ctx::default());
    }

    /// Destroys every object of a zone (`ipc_remove_zone` on each facility).
    /// EINVAL for the global zone; EBUSY while processes still run in it.
    pub fn zone_remove(&mut self, zone: ZoneId) -> SysResult<usize> {
        let mut ctx = Ctx::default();
        let r = if zone == GLOBAL_ZONEID {
            Err(Errno::EINVAL)
        } else if self.procs.values().any(|p| p.zone == zone) {
            Err(Errno::EBUSY)
        } else {
            let doomed = self.msg.remove_zone(zone, &mut ctx.steps);
            for &h in &doomed {
                self.msg_rmid(h, &mut ctx);
                self.msg.rele(h, &mut ctx.steps);
            }
            Ok(doomed.len())
        };
        let summary = r.map(|n| format!("{n} object(s) destroyed"));
        self.record_result(None, None, "zone_remove", format!("zone={zone}"), &summary, ctx);
        r
    }

    /// IDS: the ids of a facility visible from the caller's zone, newest first.
    pub fn ipc_ids(&mut self, tid: Tid, facility: Facility) -> SysResult<Vec<i32>> {
        let call = match facility {
            Facility::Msg => "msgids",
            Facility::Sem => "semids",
            Facility::Shm => "shmids",
        };
        self.syscall(tid, call, String::new(), |k, caller, _| {
            Progress::Done(Ok(Reply::Ids(match facility {
                Facility::Msg => k.msg.ids(caller),
                Facility::Sem | Facility::Shm => Vec::new(),
            })))
        })
        .into_result()
        .map(|r| match r {
            Reply::Ids(ids) => ids,
            _ => Vec::new(),
        })
    }

    /// Verifies every invariant of every structure (for tests and fuzzing).
    pub fn check(&self) -> Result<(), String> {
        self.config.validate().map_err(|_| "invalid configuration".to_string())?;
        if self.msg.space() != self.config.ids {
            return Err("msg id space differs from the configuration".into());
        }
        if self.events.len() > self.config.event_capacity
            || self.events.iter().enumerate().any(|(i, e)| e.seq + (self.events.len() - i) as u64 != self.next_event)
        {
            return Err("event log: over capacity or not numbered up to next_event".into());
        }
        self.msg.check()?;
        for (h, o) in self.msg.objects() {
            let q = &o.body;
            q.messages.check()?;
            if q.messages.len() as u64 != q.qnum {
                return Err(format!("msqid {:#x}: qnum {} but {} messages", o.perm.id, q.qnum, q.messages.len()));
            }
            let bytes: u64 = q.messages.iter().map(|m| m.data.len() as u64).sum();
            if bytes != q.cbytes {
                return Err(format!("msqid {:#x}: cbytes {} but {} bytes queued", o.perm.id, q.cbytes, bytes));
            }
            let waiters = (q.senders.len() + q.receivers.len()) as u32;
            let own = u32::from(o.perm.allocated());
            if o.perm.refs != own + waiters {
                return Err(format!("msqid {:#x}: {} refs, {} waiters", o.perm.id, o.perm.refs, waiters));
            }
            for &tid in q.senders.iter().chain(q.receivers.iter()) {
                match self.parked_call(tid) {
                    Some((_, c)) if c.object().1 == h => {}
                    _ => return Err(format!("msqid {:#x}: waiter {tid} is not parked on it", o.perm.id)),
                }
            }
        }
        for t in self.threads.values() {
            if !self.procs.get(&t.pid).is_some_and(|p| p.threads.contains(&t.tid)) || t.tid >= self.next_tid {
                return Err(format!("thread {} belongs to no process", t.tid));
            }
            if let ThreadState::Blocked(w) = &t.state {
                let (_, h, _) = w.call.object();
                let o = self.msg.object(h).ok_or(format!("thread {} parked on nothing", t.tid))?;
                let listed = match w.call {
                    ParkedCall::MsgSnd { .. } => o.body.senders.contains(&t.tid),
                    ParkedCall::MsgRcv { .. } => o.body.receivers.contains(&t.tid),
                };
                let timed = w.deadline.is_none_or(|d| self.timeouts.contains(&(d, w.order, t.tid)));
                if !listed || !timed || w.order >= self.next_order {
                    return Err(format!("thread {} parked but not listed or not timed", t.tid));
                }
            }
        }
        for &(deadline, order, tid) in &self.timeouts {
            match self.threads.get(&tid).map(|t| &t.state) {
                Some(ThreadState::Blocked(w)) if w.deadline == Some(deadline) && w.order == order => {}
                _ => return Err(format!("timeout for thread {tid} which is not parked with it")),
            }
        }
        for p in self.procs.values() {
            if p.pid >= self.next_pid || p.threads.iter().any(|t| self.threads.get(t).is_none_or(|t| t.pid != p.pid)) {
                return Err(format!("process {} has threads that are not its own", p.pid));
            }
        }
        Ok(())
    }
}
