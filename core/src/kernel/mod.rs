//! # The kernel: a deterministic state machine
//!
//! [`Kernel`] owns everything: the logical clock, processes and threads, the
//! facilities' state, the parked calls and the event log.  It has no wall
//! clock, no randomness and no global state; every input — who calls, with
//! what, when time passes, in which order — comes from the embedder, so the
//! same operations always give the same events and the same state.  The
//! whole state is plain data (`serde`): a snapshot is a serialisation, and
//! restoring it continues exactly where it was (step-back, replay,
//! share-by-URL, differential tests).
//!
//! ## The facility seam
//! This module knows no facility.  It is generic over `F:`[`Facilities`],
//! the set of facilities it runs: their state (`Kernel::fac`), their words
//! in the event log ([`Vocabulary`]) and their **hooks** — fork, exec,
//! exit, zone removal, unpark, expire, tick, resource controls, the
//! invariant check and who blocks a wait.
//! `hooks.rs` (at the crate root) implements the trait for the crate's
//! facilities with one arm per facility per hook: it is the one place that
//! dispatches to every facility.  A facility module writes its system calls
//! as `impl<F: ItsHost> Kernel<F>` and reaches its own state through its
//! host trait; dependencies point one way (facility → kernel, never back).
//!
//! ## A system call
//! Every call is made by a thread ([`Kernel::syscall`]):
//! 1. the thread must exist (ESRCH) and be runnable — neither parked nor
//!    holding an untaken result (EBUSY);
//! 2. the facility runs and either finishes ([`Progress::Done`]) or asks to
//!    wait ([`Progress::Park`]) on a channel; a parked thread becomes
//!    `Blocked` on that channel and, if the caller gave one, a deadline;
//! 3. whatever the call changed may let parked calls finish: the facility
//!    completes them ([`Kernel::complete`]) and the event lists them;
//! 4. exactly one [`Event`] is appended, as typed data.
//!
//! A parked call ends when an operation makes progress possible (the
//! result is recorded in the thread, which the caller fetches with
//! [`Kernel::take_result`]), when its object is removed (EIDRM), when it is
//! interrupted ([`Kernel::interrupt`], EINTR) or when [`Kernel::advance`]
//! moves the clock past its deadline (the facility's `expire` hook).
//! Each of these goes through the `unpark` hook, which takes the thread
//! off its object's waiter list and drops the reference it held.
//!
//! ## Processes
//! [`Kernel::spawn`] (embedder), [`Kernel::fork`] (credentials, zone and
//! project inherited), [`Kernel::exec`] and [`Kernel::exit`] each run every
//! facility's hook; exit cancels the process's parked calls and drops their
//! references, so an exited process leaves nothing behind.
//!
//! ## Deadlock
//! [`Kernel::deadlock`] says when nothing the kernel does by itself can
//! wake anyone: every live thread parked, none with a deadline, and no
//! timer that could end a wait.  It returns the wait-for graph — each
//! thread, its reason in words, and the processes holding what it waits
//! for, as each facility's `blockers` hook names them (a semaphore's units
//! taken with SEM_UNDO, a pipe's other end; queues, POSIX semaphores and
//! ports name no holder: any process could send or post).  Hosts report
//! it (`ipclab run`), viewers draw it.
//!
//! ## Zones and resource controls
//! Objects belong to the creator's zone and are charged to its project and
//! zone; [`Kernel::set_project_limit`] and [`Kernel::set_zone_limit`] set a
//! facility's `project.max-<f>-ids` / `zone.max-<f>-ids` (ENOSPC beyond
//! them), [`Kernel::zone_remove`] destroys a zone's objects.
//!
//! ## Recording
//! [`Kernel::set_step_recording`]`(false)` keeps calls, outcomes and
//! wakeups in the log but no internal steps (nor refusal rules): the
//! fastest configuration, for embedders that do not show the machinery.

pub mod proc;

use self::proc::{Completion, Process, Thread, ThreadState, Wait};
use crate::cred::{Caller, Credentials, GLOBAL_ZONEID, Pid, ProjId, Tid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::event::{Call, Ctx, Data, Event, EventLog, EventOutcome, Taken, Value, Vocabulary, Wakeup};
use crate::namespace::{Facility, RctlScope, Sink};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The set of facilities a kernel runs: their state and their hooks.
///
/// Every hook gets the whole kernel, because a facility's reaction may
/// complete other threads' parked calls (a removal wakes its waiters).
pub trait Facilities: Vocabulary {
    /// Everything fixed when a kernel is created.
    type Config: Data;
    /// The facilities' initial state (EINVAL if the configuration is inconsistent).
    fn new(config: &Self::Config) -> SysResult<Self>;
    /// How many events the log keeps.
    fn event_capacity(config: &Self::Config) -> usize;
    /// `fork`: the child inherits what the facility says it inherits.
    fn fork(k: &mut Kernel<Self>, parent: Pid, child: Pid, ctx: &mut Ctx<Self>);
    /// `exec`: what a new image does not keep.
    fn exec(k: &mut Kernel<Self>, pid: Pid, ctx: &mut Ctx<Self>);
    /// `exit`: everything the process still holds (its threads are
    /// already unparked).
    fn exit(k: &mut Kernel<Self>, pid: Pid, ctx: &mut Ctx<Self>);
    /// Destroys every object of `zone`; returns how many.
    fn zone_remove(k: &mut Kernel<Self>, zone: ZoneId, ctx: &mut Ctx<Self>) -> usize;
    /// Takes thread `tid` off the object `chan` names and drops its hold.
    fn unpark(k: &mut Kernel<Self>, tid: Tid, chan: &Self::Chan, ctx: &mut Ctx<Self>);
    /// How a call parked on `chan` ends when its deadline passes (System V:
    /// EAGAIN; POSIX `sem_timedwait`: ETIMEDOUT; `port_getn`: ETIME with
    /// the events queued by then).  Runs while the thread is still parked.
    fn expire(k: &mut Kernel<Self>, tid: Tid, chan: &Self::Chan, ctx: &mut Ctx<Self>) -> SysResult<Self::Reply>;
    /// The clock moved forward to `now` (timers fire); runs before the
    /// parked calls' deadlines are looked at.
    fn tick(k: &mut Kernel<Self>, now: u64, ctx: &mut Ctx<Self>);
    /// The earliest time at which `tick` would do something (a timer's
    /// next expiry), if any: what a discrete-event host jumps the clock to.
    fn next_tick(k: &Kernel<Self>) -> Option<u64>;
    /// Sets a System V facility's id limit for a project or zone (EINVAL
    /// if the kernel has no such facility).
    fn set_ids_limit(k: &mut Kernel<Self>, facility: Facility, scope: RctlScope, max_ids: u32) -> SysResult<()>;
    /// Verifies every facility's invariants against the kernel's threads.
    fn check(k: &Kernel<Self>) -> Result<(), String>;
    /// Who could end a wait on `chan`: the processes holding what it waits
    /// for, and whether time alone can end it (a timer that can fire).
    fn blockers(k: &Kernel<Self>, chan: &Self::Chan) -> Blockers;
}

/// Who could end a wait (see [`Facilities::blockers`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blockers {
    /// Processes that hold what the thread waits for: a semaphore's units
    /// taken with SEM_UNDO, the other end of a pipe.  Empty when the
    /// facility names no holder (any process could send, post or wake).
    pub holders: Vec<Pid>,
    /// A timer that can still fire would end the wait.
    pub timer: bool,
}

/// One thread of a deadlock: what it waits on, in the kernel's words, and
/// the processes holding what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitFor {
    pub tid: Tid,
    pub pid: Pid,
    pub reason: String,
    pub holders: Vec<Pid>,
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

/// What a facility's call did.
pub enum Progress<F: Vocabulary, R> {
    Done(SysResult<R>),
    /// Wait on `chan` (the facility has already listed the thread on the
    /// object and taken a hold), for at most `timeout` ns if given.
    Park {
        chan: F::Chan,
        timeout: Option<u64>,
    },
}

/// The whole kernel.  `Clone + Serialize + Deserialize`: this is the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Kernel<F: Facilities> {
    pub(crate) config: F::Config,
    pub(crate) clock: u64,
    next_pid: Pid,
    next_tid: Tid,
    next_order: u64,
    procs: BTreeMap<Pid, Process>,
    threads: BTreeMap<Tid, Thread<F>>,
    /// (deadline, park order, tid) of every parked call with a timeout.
    timeouts: BTreeSet<(u64, u64, Tid)>,
    events: EventLog<F>,
    /// Record internal steps in events (default) or only calls and outcomes.
    record_steps: bool,
    /// The facilities' state; each facility reaches its part through its host trait.
    pub(crate) fac: F,
}

impl<F: Facilities> Kernel<F> {
    /// A kernel with this configuration (EINVAL if it is inconsistent).
    pub fn new(config: F::Config) -> SysResult<Self> {
        let fac = F::new(&config)?;
        if F::event_capacity(&config) == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(Kernel {
            config,
            clock: 0,
            next_pid: 1,
            next_tid: 1,
            next_order: 0,
            procs: BTreeMap::new(),
            threads: BTreeMap::new(),
            timeouts: BTreeSet::new(),
            events: EventLog::default(),
            record_steps: true,
            fac,
        })
    }

    pub fn config(&self) -> &F::Config {
        &self.config
    }

    /// The facilities' state, for viewers.
    pub fn facilities(&self) -> &F {
        &self.fac
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

    pub fn threads(&self) -> impl Iterator<Item = &Thread<F>> {
        self.threads.values()
    }

    pub fn thread(&self, tid: Tid) -> Option<&Thread<F>> {
        self.threads.get(&tid)
    }

    /// The channel a thread is parked on, if it is parked.
    pub fn wait_of(&self, tid: Tid) -> Option<&Wait<F>> {
        match &self.threads.get(&tid)?.state {
            ThreadState::Blocked(w) => Some(w),
            _ => None,
        }
    }

    /// The deadlock, if there is one: every live thread parked, none with
    /// a deadline, and no timer that could end a wait — nothing the kernel
    /// does on its own can wake any of them.  Each thread with what it
    /// waits on and who holds it (the wait-for graph: thread → holders);
    /// `None` when some thread can still run or time can still help.
    pub fn deadlock(&self) -> Option<Vec<WaitFor>> {
        let mut graph = Vec::new();
        for t in self.threads.values() {
            let ThreadState::Blocked(w) = &t.state else { return None };
            let b = F::blockers(self, &w.chan);
            if w.deadline.is_some() || b.timer {
                return None;
            }
            graph.push(WaitFor { tid: t.tid, pid: t.pid, reason: w.chan.to_string(), holders: b.holders });
        }
        (!graph.is_empty()).then_some(graph)
    }

    /// The earliest time at which the clock moving forward would change
    /// something: a parked call's deadline or a timer's next expiry.  A
    /// host that simulates time jumps straight to it when every thread
    /// waits (discrete-event simulation); `None` when time alone can wake
    /// nobody.
    pub fn next_deadline(&self) -> Option<u64> {
        let parked = self.timeouts.first().map(|&(d, _, _)| d);
        match (parked, F::next_tick(self)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether events record internal steps (default: yes).
    pub fn records_steps(&self) -> bool {
        self.record_steps
    }

    /// Records internal steps in events, or only calls and outcomes.
    pub fn set_step_recording(&mut self, on: bool) {
        self.record_steps = on;
    }

    // ----- the event log -----

    /// A context for one operation, writing into the log's rings.  Every
    /// operation that takes one ends by [`record`](Self::record)ing it.
    fn ctx(&mut self) -> Ctx<F> {
        self.events.lend(self.record_steps)
    }

    /// Appends the operation's event (giving the log its rings back).
    fn record(&mut self, pid: Option<Pid>, tid: Option<Tid>, call: Call<F>, outcome: EventOutcome<F>, ctx: Ctx<F>) {
        let capacity = F::event_capacity(&self.config);
        self.events.push(capacity, self.clock, pid, tid, call, outcome, ctx);
    }

    fn record_result<T>(
        &mut self,
        pid: Option<Pid>,
        tid: Option<Tid>,
        call: Call<F>,
        r: &SysResult<T>,
        value: impl FnOnce(&T) -> Value<F>,
        ctx: Ctx<F>,
    ) {
        let outcome = match r {
            Ok(v) => EventOutcome::Ok(value(v)),
            Err(e) => EventOutcome::Err(*e),
        };
        self.record(pid, tid, call, outcome, ctx);
    }

    /// Events with `seq >= cursor` still in the log, and the cursor to pass
    /// next time (see [`EventLog::since`]).
    pub fn events_since(&self, cursor: u64) -> (Vec<Event<F>>, u64) {
        self.events.since(cursor)
    }

    /// The threads whose parked call completed in events with `seq >=
    /// cursor`, and the next cursor (see [`EventLog::woken_since`]): what an
    /// embedder that blocks real threads waits for, instead of polling
    /// `take_result`.
    pub fn woken_since(&self, cursor: u64) -> (Vec<Tid>, u64) {
        self.events.woken_since(cursor)
    }

    /// The newest event, if any.
    pub fn last_event(&self) -> Option<Event<F>> {
        self.events.last()
    }

    // ----- system calls -----

    /// The caller behind a thread: ESRCH if there is none, EBUSY if it is
    /// parked or holds a result not yet taken.
    #[inline(always)]
    fn caller(&self, tid: Tid, ctx: &mut Ctx<F>) -> SysResult<Caller> {
        let Some(t) = self.threads.get(&tid) else {
            return Err(ctx.deny(None, Errno::ESRCH, || {
                format!("there is no thread {tid}: it never existed or its process exited")
            }));
        };
        match &t.state {
            ThreadState::Runnable => {}
            ThreadState::Blocked(w) => {
                return Err(ctx.deny(None, Errno::EBUSY, || {
                    format!(
                        "thread {tid} is parked in {}; it cannot call until woken",
                        crate::event::Named::name(&w.chan)
                    )
                }));
            }
            ThreadState::Finished(c) => {
                return Err(ctx.deny(None, Errno::EBUSY, || {
                    format!("thread {tid} holds the result of {}; take it first", c.call())
                }));
            }
        }
        let p = self.procs.get(&t.pid).ok_or(Errno::ESRCH)?;
        Ok(Caller { pid: p.pid, tid, cred: Arc::clone(&p.cred), zone: p.zone, project: p.project })
    }

    /// Runs one system call for thread `tid` and records its event.
    /// `value` is what the log keeps of a successful result.
    pub(crate) fn syscall<R>(
        &mut self,
        tid: Tid,
        call: F::Call,
        value: impl FnOnce(&R) -> F::Value,
        f: impl FnOnce(&mut Self, &Caller, &mut Ctx<F>) -> Progress<F, R>,
    ) -> Outcome<R> {
        let mut ctx = self.ctx();
        let caller = match self.caller(tid, &mut ctx) {
            Ok(c) => c,
            Err(e) => {
                let pid = self.threads.get(&tid).map(|t| t.pid);
                self.record(pid, Some(tid), Call::Sys(call), EventOutcome::Err(e), ctx);
                return Outcome::Done(Err(e));
            }
        };
        let (outcome, event) = match f(self, &caller, &mut ctx) {
            Progress::Done(r) => {
                let event = match &r {
                    Ok(v) => EventOutcome::Ok(Value::Sys(value(v))),
                    Err(e) => EventOutcome::Err(*e),
                };
                (Outcome::Done(r), event)
            }
            Progress::Park { chan, timeout: Some(0) } => {
                // A zero timeout never waits: undo the facility's park bookkeeping.
                F::unpark(self, tid, &chan, &mut ctx);
                (Outcome::Done(Err(Errno::EAGAIN)), EventOutcome::Err(Errno::EAGAIN))
            }
            Progress::Park { chan, timeout } => {
                let order = self.next_order;
                // Saturating, like the clock: a restored snapshot may put the
                // counter at the end of u64 (no run gets there); wrapping to 0
                // would leave parked calls the kernel's check refuses.
                self.next_order = order.saturating_add(1);
                let deadline = timeout.map(|t| self.clock.saturating_add(t));
                if let Some(d) = deadline {
                    self.timeouts.insert((d, order, tid));
                }
                ctx.park(tid, &chan);
                let reason = chan.to_string();
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.state = ThreadState::Blocked(Wait { chan: chan.clone(), since: self.clock, deadline, order });
                }
                (Outcome::Blocked(reason), EventOutcome::Blocked(chan))
            }
        };
        self.record(Some(caller.pid), Some(tid), Call::Sys(call), event, ctx);
        outcome
    }

    /// [`syscall`](Self::syscall) for a call that never parks.
    pub(crate) fn syscall_now<R>(
        &mut self,
        tid: Tid,
        call: F::Call,
        value: impl FnOnce(&R) -> F::Value,
        f: impl FnOnce(&mut Self, &Caller, &mut Ctx<F>) -> SysResult<R>,
    ) -> SysResult<R> {
        self.syscall(tid, call, value, |k, caller, ctx| Progress::Done(f(k, caller, ctx))).into_result()
    }

    /// Takes a parked thread off its object (the `unpark` hook), and off
    /// the timeout queue.  Returns the channel it was parked on.
    fn unpark(&mut self, tid: Tid, ctx: &mut Ctx<F>) -> Option<F::Chan> {
        let t = self.threads.get_mut(&tid)?;
        let ThreadState::Blocked(w) = std::mem::replace(&mut t.state, ThreadState::Runnable) else {
            return None;
        };
        if let Some(d) = w.deadline {
            self.timeouts.remove(&(d, w.order, tid));
        }
        F::unpark(self, tid, &w.chan, ctx);
        Some(w.chan)
    }

    /// Moves a parked thread to another channel of its facility (a retried
    /// call that must wait again, now for something else).  Its park order
    /// and deadline stay.
    pub(crate) fn repark(&mut self, tid: Tid, chan: F::Chan) {
        if let Some(Thread { state: ThreadState::Blocked(w), .. }) = self.threads.get_mut(&tid) {
            w.chan = chan;
        }
    }

    /// Completes a parked call with `result`; the thread keeps it until
    /// [`take_result`](Self::take_result).
    pub(crate) fn complete(&mut self, tid: Tid, result: SysResult<F::Reply>, ctx: &mut Ctx<F>) {
        let Some(chan) = self.unpark(tid, ctx) else { return };
        let pid = self.threads.get(&tid).map_or(0, |t| t.pid);
        ctx.wake(Wakeup { tid, pid, chan: chan.clone(), result: result.as_ref().map(F::value_of).map_err(|e| *e) });
        if let Some(t) = self.threads.get_mut(&tid) {
            t.state = ThreadState::Finished(Completion { chan, result });
        }
    }

    /// Fetches the result of a call that parked and has since completed.
    /// ESRCH: no such thread; EAGAIN: still parked; EINVAL: nothing to take.
    pub fn take_result(&mut self, tid: Tid) -> SysResult<Completion<F>> {
        let pid = self.threads.get(&tid).map(|t| t.pid);
        let r = match self.threads.get_mut(&tid) {
            None => Err(Errno::ESRCH),
            Some(t) => match std::mem::replace(&mut t.state, ThreadState::Runnable) {
                ThreadState::Finished(c) => Ok(c),
                other => {
                    let e = if matches!(other, ThreadState::Blocked(_)) { Errno::EAGAIN } else { Errno::EINVAL };
                    t.state = other;
                    Err(e)
                }
            },
        };
        let ctx = self.ctx();
        let value = |c: &Completion<F>| {
            Value::Taken(Box::new(Taken {
                call: c.chan.clone(),
                result: c.result.as_ref().map(F::value_of).map_err(|e| *e),
            }))
        };
        self.record_result(pid, Some(tid), Call::TakeResult, &r, value, ctx);
        r
    }

    /// Interrupts a parked call (a signal): it completes with EINTR.
    /// Returns whether the thread was parked.
    pub fn interrupt(&mut self, tid: Tid) -> SysResult<bool> {
        let mut ctx = self.ctx();
        let pid = self.threads.get(&tid).map(|t| t.pid);
        let r = match self.threads.get(&tid) {
            None => Err(Errno::ESRCH),
            Some(t) => Ok(matches!(t.state, ThreadState::Blocked(_))),
        };
        if r == Ok(true) {
            self.complete(tid, Err(Errno::EINTR), &mut ctx);
        }
        self.record_result(pid, Some(tid), Call::Interrupt { tid }, &r, |&b| Value::Interrupted(b), ctx);
        r
    }

    /// Moves the logical clock forward; parked calls whose deadline has
    /// come complete as their facility's `expire` hook says (EAGAIN for
    /// System V, ETIMEDOUT for `sem_timedwait`, ETIME for the port
    /// getters), earliest deadline (then oldest park) first.
    pub fn advance(&mut self, ns: u64) -> u64 {
        let mut ctx = self.ctx();
        self.clock = self.clock.saturating_add(ns);
        let now = self.clock;
        F::tick(self, now, &mut ctx);
        while let Some(&(deadline, _, tid)) = self.timeouts.first() {
            if deadline > self.clock {
                break;
            }
            let r = match self.wait_of(tid).map(|w| w.chan.clone()) {
                Some(chan) => F::expire(self, tid, &chan, &mut ctx),
                None => Err(Errno::EAGAIN),
            };
            self.complete(tid, r, &mut ctx);
        }
        let now = self.clock;
        self.record(None, None, Call::Advance { ns }, EventOutcome::Ok(Value::Now(now)), ctx);
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
    /// Returns its pid and the tid of its first thread.  EINVAL for an id
    /// above `MAXUID` or more than `NGROUPS_MAX` groups.
    pub fn spawn(&mut self, cred: Credentials, zone: ZoneId, project: ProjId) -> SysResult<(Pid, Tid)> {
        let cred = Arc::new(cred);
        let r = if !cred.valid() {
            Err(Errno::EINVAL)
        } else {
            self.new_process(Process { pid: 0, ppid: 0, cred: Arc::clone(&cred), zone, project, threads: Vec::new() })
        };
        let (pid, tid) = (r.ok().map(|x| x.0), r.ok().map(|x| x.1));
        let ctx = self.ctx();
        let call = Call::Spawn { cred, zone, project };
        self.record_result(pid, tid, call, &r, |&(pid, tid)| Value::Spawned { pid, tid }, ctx);
        r
    }

    /// Adds a thread to a live process.
    pub fn thread_create(&mut self, pid: Pid) -> SysResult<Tid> {
        let r = if self.procs.contains_key(&pid) { self.new_thread(pid) } else { Err(Errno::ESRCH) };
        let ctx = self.ctx();
        self.record_result(Some(pid), r.ok(), Call::ThreadCreate { pid }, &r, |&tid| Value::Thread { tid }, ctx);
        r
    }

    /// `fork`: a child with the parent's credentials, zone and project and
    /// one thread; every facility's fork hook runs.
    pub fn fork(&mut self, pid: Pid) -> SysResult<(Pid, Tid)> {
        let mut ctx = self.ctx();
        let r = match self.procs.get(&pid).cloned() {
            None => Err(Errno::ESRCH),
            Some(parent) => self.new_process(Process { ppid: pid, ..parent }),
        };
        if let Ok((child, _)) = r {
            F::fork(self, pid, child, &mut ctx);
        }
        self.record_result(Some(pid), None, Call::Fork { pid }, &r, |&(pid, tid)| Value::Forked { pid, tid }, ctx);
        r
    }

    /// `exec`: every facility's exec hook runs.
    pub fn exec(&mut self, pid: Pid) -> SysResult<()> {
        let mut ctx = self.ctx();
        let r = if self.procs.contains_key(&pid) { Ok(()) } else { Err(Errno::ESRCH) };
        if r.is_ok() {
            F::exec(self, pid, &mut ctx);
        }
        self.record_result(Some(pid), None, Call::Exec { pid }, &r, |_| Value::Zero, ctx);
        r
    }

    /// `exit`: every thread's parked call is cancelled (its reference on
    /// the object dropped), every facility's exit hook runs, and the process
    /// and its threads are gone.
    pub fn exit(&mut self, pid: Pid) -> SysResult<()> {
        let mut ctx = self.ctx();
        let r = match self.procs.get(&pid).map(|p| p.threads.clone()) {
            None => Err(Errno::ESRCH),
            Some(threads) => {
                for &tid in &threads {
                    self.unpark(tid, &mut ctx);
                }
                F::exit(self, pid, &mut ctx);
                for tid in threads {
                    self.threads.remove(&tid);
                }
                self.procs.remove(&pid);
                Ok(())
            }
        };
        self.record_result(Some(pid), None, Call::Exit { pid }, &r, |_| Value::Zero, ctx);
        r
    }

    // ----- namespace-wide operations -----

    /// Sets `project.max-<f>-ids` for a project (EINVAL: no such facility here).
    pub fn set_project_limit(&mut self, project: ProjId, facility: Facility, max_ids: u32) -> SysResult<()> {
        self.set_ids_limit(facility, RctlScope::Project(project), max_ids)
    }

    /// Sets `zone.max-<f>-ids` for a zone (EINVAL: no such facility here).
    pub fn set_zone_limit(&mut self, zone: ZoneId, facility: Facility, max_ids: u32) -> SysResult<()> {
        self.set_ids_limit(facility, RctlScope::Zone(zone), max_ids)
    }

    fn set_ids_limit(&mut self, facility: Facility, scope: RctlScope, max_ids: u32) -> SysResult<()> {
        let r = F::set_ids_limit(self, facility, scope, max_ids);
        let ctx = self.ctx();
        self.record_result(None, None, Call::SetIdsLimit { facility, scope, max_ids }, &r, |_| Value::Zero, ctx);
        r
    }

    /// Destroys every object of a zone (`ipc_remove_zone` on each facility).
    /// EINVAL for the global zone; EBUSY while processes still run in it.
    pub fn zone_remove(&mut self, zone: ZoneId) -> SysResult<usize> {
        let mut ctx = self.ctx();
        let r = if zone == GLOBAL_ZONEID {
            Err(Errno::EINVAL)
        } else if self.procs.values().any(|p| p.zone == zone) {
            Err(Errno::EBUSY)
        } else {
            Ok(F::zone_remove(self, zone, &mut ctx))
        };
        self.record_result(None, None, Call::ZoneRemove { zone }, &r, |&n| Value::Destroyed(n), ctx);
        r
    }

    /// Verifies every invariant of every structure (for tests, fuzzing and
    /// restored snapshots).
    pub fn check(&self) -> Result<(), String> {
        F::new(&self.config).map_err(|_| "invalid configuration".to_string())?;
        self.events.check(F::event_capacity(&self.config))?;
        for t in self.threads.values() {
            if !self.procs.get(&t.pid).is_some_and(|p| p.threads.contains(&t.tid)) || t.tid >= self.next_tid {
                return Err(format!("thread {} belongs to no process", t.tid));
            }
            if let ThreadState::Blocked(w) = &t.state {
                let timed = w.deadline.is_none_or(|d| self.timeouts.contains(&(d, w.order, t.tid)));
                // The park order saturates: at u64::MAX it may repeat.
                if !timed || (w.order >= self.next_order && self.next_order != u64::MAX) {
                    return Err(format!("thread {} parked but its timeout is not queued", t.tid));
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
            if !p.cred.valid() {
                return Err(format!("process {} has invalid credentials", p.pid));
            }
        }
        F::check(self)
    }
}
