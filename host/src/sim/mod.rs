//! # The simulation: every guest on one thread, scheduled by the host
//!
//! ## Overview
//! `ipclab run` is a deterministic simulation in the manner of
//! FoundationDB's simulator and awslabs' shuttle, over real programs and a
//! faithful kernel instead of mocked primitives.  Every input a run has —
//! the manifest, the policy and its seed — fixes its every output: the
//! guests' stdout and stderr, their exit statuses, the kernel's event log
//! and its final state, byte for byte, on any machine.
//!
//! ## Objects
//! * **One kernel** ([`Sim::k`]): `ipc-core` in the host, or the kernel
//!   component in its own store ([`crate::kernel`]: the same answers).
//! * **One seat per guest** ([`Seat`]): its kernel process and thread, and
//!   its [`State`] as the scheduler sees it.
//! * **One future per guest**: the guest's `wasi:cli/run` called with
//!   `call_async`, so the guest runs on a wasmtime fiber and can be
//!   suspended in the middle of a call into the host.
//! * **One scheduler** ([`sched::Scheduler`]) deciding who goes next.
//!
//! All of it lives on one OS thread; no OS thread ever blocks on another.
//!
//! ## Operations: a decision
//! The loop in [`drive`] repeats:
//! 1. the guests that can go on are collected: those stopped at a kernel
//!    call ([`State::AtCall`]), those whose parked call the kernel completed
//!    ([`State::Woken`]), those pre-empted by fuel or not yet started
//!    ([`State::Ready`]), and sleepers whose time has come;
//! 2. if there are none, time jumps (below) or the run has deadlocked;
//! 3. the scheduler picks one, and its future is polled once: the guest
//!    makes its pending kernel call (or takes its completed result), then
//!    computes until it reaches its next kernel call, is parked by the
//!    kernel, is pre-empted by fuel, or ends.
//!
//! A kernel call is therefore a **scheduling point**: the call happens
//! exactly when the scheduler says, and what it does is the kernel's
//! business.  A call the kernel parks suspends the guest's fiber; after
//! every call the kernel says whom it woke (`kernel.woken`), and only those
//! become runnable.  Long computation between calls is pre-empted every
//! [`FUEL_SLICE`] wasm instructions (`fuel_async_yield_interval`): a
//! decision too, counted in instructions, never in wall time.
//!
//! ## Time
//! The clock is the kernel's logical clock, and it moves only by what the
//! run does — the simulated machine has one CPU:
//! * each kernel call costs [`CALL_NS`];
//! * each [`FUEL_SLICE`] of wasm instructions a guest executes costs
//!   [`FUEL_SLICE`] ns (one instruction per nanosecond), charged when the
//!   slice ends;
//! * `nanosleep` parks the guest until the clock reaches its end;
//! * when no guest can go on and a deadline is pending — a parked call's
//!   timeout, a port timer, a sleeper — the clock jumps straight to the
//!   earliest (discrete-event simulation), and what expires there wakes.
//!
//! The kernel's clock is moved up to the simulation's before every call
//! (`kernel.advance`), so timestamps and deadlines are those of the
//! simulated machine.  The WASI clocks a guest reads (`Instant::now`,
//! `SystemTime::now`) are this clock too (the wall clock counts from the
//! epoch), and its random numbers come from a generator seeded from the
//! run's seed and its seat: nothing a guest can observe differs between
//! two runs with the same inputs.  (WASI's own sleep — `std::thread::sleep`
//! — is not simulated: it holds the whole run for that long in wall time
//! and the clock does not move.  Guests sleep with `sys-proc.nanosleep`.)
//!
//! ## Deadlock
//! No guest can go on, no deadline is pending: nothing can ever wake the
//! waiting guests.  The kernel's detector (`inspect.deadlock`) names who
//! waits on what and who holds it; the run reports it, ends the waiting
//! guests (status 3) and returns.  It never hangs.
//!
//! ## Invariants
//! * Exactly one guest future is polled at a time, only by [`drive`].
//! * A seat is [`State::Parked`] exactly while the kernel has its thread
//!   parked and has not reported it woken.
//! * The clock never moves backwards and never reads wall time.

pub mod sched;
pub mod syscalls;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::kernel::Backend;
use crate::kernel::bindings::exports::ipclab::ipc::types::Credentials;
use sched::{Runnable, Scheduler};

/// What one kernel call costs on the simulated clock.
pub const CALL_NS: u64 = 500;
/// Wasm instructions between pre-emption points; charged as this many ns.
pub const FUEL_SLICE: u64 = 100_000;

/// Where a guest is, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started, or pre-empted by fuel: it computes when picked.
    Ready,
    /// Being polled right now.
    Running,
    /// Stopped at a kernel call, which it makes when picked.
    AtCall,
    /// Its kernel call is parked; the kernel has not woken it.
    Parked,
    /// The kernel completed its parked call; it takes the result when picked.
    Woken,
    /// In `nanosleep` until the clock reaches this time.
    Sleeping(u64),
    /// Ended.
    Done,
}

/// One guest as the simulation tracks it.
pub struct Seat {
    pub name: String,
    pub pid: u32,
    pub tid: u32,
    pub cred: Credentials,
    pub state: State,
    /// The decision at which it last became runnable (FIFO's key).
    pub since: u64,
    /// The kernel's account of its newest refused call (printed if it ends
    /// the guest).
    pub last_refusal: Option<String>,
}

/// The kernel, the seats, the clock.
pub struct Sim {
    pub k: Box<dyn Backend>,
    pub seats: Vec<Seat>,
    /// Simulated nanoseconds; the kernel's clock is moved up to it before
    /// each call.
    pub clock: u64,
    /// The kernel's clock: only `sync_clock` moves it (by `kernel.advance`),
    /// so the simulation knows it without asking.
    kernel_clock: u64,
    /// Decisions made.
    pub decisions: u64,
    /// Event-log cursor up to which wakeups have been handed out.
    cursor: u64,
    /// Seats in `Parked` (no need to ask the kernel whom it woke when 0).
    parked: usize,
    /// Print each refused or parked call on stderr, in the kernel's
    /// words, as it is made (`--explain`).
    pub explain: bool,
}

/// The simulation, shared by the driver and the guests' imports (all on
/// one thread: the mutex is never contended, it only makes the sharing
/// `Send`, as wasmtime's async calls require).
pub type Shared = Arc<Mutex<Sim>>;

pub fn lock(s: &Shared) -> MutexGuard<'_, Sim> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sim {
    /// A simulation over a fresh kernel (its clock at 0).
    pub fn new(k: Box<dyn Backend>, seats: Vec<Seat>, explain: bool) -> Sim {
        Sim { k, seats, clock: 0, kernel_clock: 0, decisions: 0, cursor: 0, parked: 0, explain }
    }

    /// Moves the kernel's clock up to the simulation's.
    pub fn sync_clock(&mut self) -> wasmtime::Result<()> {
        if self.clock > self.kernel_clock {
            self.kernel_clock = self.k.advance(self.clock - self.kernel_clock)?;
        }
        Ok(())
    }

    /// Hands out the wakeups of the calls made since the last time.
    pub fn collect_wakeups(&mut self) -> wasmtime::Result<()> {
        if self.parked == 0 {
            return Ok(());
        }
        let (tids, next) = self.k.woken(self.cursor)?;
        self.cursor = next;
        for tid in tids {
            if let Some(s) = self.seats.iter_mut().find(|s| s.tid == tid && s.state == State::Parked) {
                s.state = State::Woken;
                s.since = self.decisions;
                self.parked -= 1;
            }
        }
        Ok(())
    }

    /// The guest `me` just made a kernel call that `parked` or not, and
    /// that was `refused` or not: the clock moves, wakeups are handed out,
    /// and the kernel's words are kept where they are wanted.
    pub fn after_call(&mut self, me: usize, parked: bool, refused: bool) -> wasmtime::Result<()> {
        self.clock += CALL_NS;
        if parked {
            self.seats[me].state = State::Parked;
            self.parked += 1;
        }
        if refused || (parked && self.explain) {
            let text = self.k.last_event_text()?.unwrap_or_default();
            if refused {
                self.seats[me].last_refusal = Some(text.clone());
            }
            if self.explain {
                let s = &self.seats[me];
                eprintln!("[{} pid {}] kernel: {text}", s.name, s.pid);
            }
        }
        self.collect_wakeups()
    }

    /// A guest ended: its process exits in the kernel, releasing what it
    /// held (SEM_UNDO, attachments, fds), which may wake others.
    pub fn retire(&mut self, me: usize) -> wasmtime::Result<()> {
        if self.seats[me].state == State::Parked {
            self.parked -= 1;
        }
        self.seats[me].state = State::Done;
        let pid = self.seats[me].pid;
        self.sync_clock()?;
        let _ = self.k.exit(pid)?;
        self.collect_wakeups()
    }

    fn runnable(&mut self) -> Vec<Runnable> {
        let now = self.clock;
        let decisions = self.decisions;
        let mut ready = Vec::new();
        for (i, s) in self.seats.iter_mut().enumerate() {
            if let State::Sleeping(until) = s.state
                && until <= now
            {
                s.state = State::Woken;
                s.since = decisions;
            }
            if matches!(s.state, State::Ready | State::AtCall | State::Woken) {
                ready.push(Runnable { guest: i as u32, since: s.since });
            }
        }
        ready
    }

    /// No guest can go on: jump the clock to the earliest deadline, if any.
    fn jump(&mut self) -> wasmtime::Result<bool> {
        let sleeper = self
            .seats
            .iter()
            .filter_map(|s| match s.state {
                State::Sleeping(t) => Some(t),
                _ => None,
            })
            .min();
        let kernel = if self.parked > 0 { self.k.next_deadline()? } else { None };
        let next = match (sleeper, kernel) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return Ok(false),
            },
        };
        self.clock = self.clock.max(next);
        self.sync_clock()?;
        self.collect_wakeups()?;
        Ok(true)
    }

    /// Who waits on what and who holds it, and the `ipcs` view.
    fn deadlock(&mut self) -> wasmtime::Result<Deadlock> {
        let graph = self.k.deadlock()?;
        let name = |pid: u32| self.seats.iter().find(|s| s.pid == pid).map_or("?", |s| s.name.as_str());
        let mut out = String::from("ipclab: DEADLOCK — every guest waits and nothing can wake them:\n");
        let mut waiting = Vec::new();
        for s in self.seats.iter().filter(|s| s.state != State::Done) {
            waiting.push(s.name.clone());
            let Some(w) = graph.iter().find(|w| w.pid == s.pid) else {
                out.push_str(&format!("  {} (pid {}) waits\n", s.name, s.pid));
                continue;
            };
            out.push_str(&format!("  {} (pid {}) waits in {}", s.name, s.pid, w.reason));
            if !w.holders.is_empty() {
                let holders: Vec<String> = w.holders.iter().map(|&p| format!("{} (pid {p})", name(p))).collect();
                out.push_str(&format!(" — held by {}", holders.join(", ")));
            }
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.k.ipcs().unwrap_or_else(|e| format!("(no ipcs: {e})\n")));
        Ok(Deadlock { waiting, report: out })
    }
}

/// A deadlock: the guests that wait forever (in manifest order) and the
/// report in words (who waits on what, held by whom, and `ipcs`).
#[derive(Debug, Clone)]
pub struct Deadlock {
    pub waiting: Vec<String>,
    pub report: String,
}

/// A guest's future: its run, ending in its exit status and, if the host
/// stopped it, why.
pub type GuestFuture = Pin<Box<dyn Future<Output = (i32, Option<String>)> + Send>>;

/// How a drive ended.
pub enum Ending {
    /// Every guest ended.
    Finished,
    /// Nothing can wake the guests still waiting.
    Deadlock(Deadlock),
    /// A strict replay's pick did not fit (why).
    Misfit(String),
    /// The run went on past its limit of decisions (a livelock, or guests
    /// that poll without end under this schedule).
    Livelock(u64),
}

/// Runs the guests to the end under `sched`; `ends[i]` receives guest i's
/// status when it ends.
pub fn drive(
    sim: &Shared,
    mut futures: Vec<Option<GuestFuture>>,
    sched: &mut Scheduler,
    ends: &mut [Option<(i32, Option<String>)>],
    max_decisions: u64,
) -> Result<Ending, String> {
    let trap = |e: wasmtime::Error| format!("the kernel component trapped: {e:?}");
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        let ready = lock(sim).runnable();
        if ready.is_empty() {
            let mut s = lock(sim);
            if s.seats.iter().all(|s| s.state == State::Done) {
                return Ok(Ending::Finished);
            }
            if s.jump().map_err(trap)? {
                continue;
            }
            return Ok(Ending::Deadlock(s.deadlock().map_err(trap)?));
        }
        let Some(g) = sched.pick(&ready) else {
            return Ok(Ending::Misfit(sched.misfit().unwrap_or_default()));
        };
        let g = g as usize;
        {
            let mut s = lock(sim);
            s.decisions += 1;
            if s.decisions > max_decisions {
                return Ok(Ending::Livelock(max_decisions));
            }
            s.seats[g].state = State::Running;
        }
        let Some(fut) = futures[g].as_mut() else { continue };
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(end) => {
                futures[g] = None;
                ends[g] = Some(end);
                lock(sim).retire(g).map_err(trap)?;
            }
            Poll::Pending => {
                let mut s = lock(sim);
                let d = s.decisions;
                let seat = &mut s.seats[g];
                if seat.state == State::Running {
                    // Pre-empted by fuel: a slice of computation was spent.
                    seat.state = State::Ready;
                    seat.since = d;
                    s.clock += FUEL_SLICE;
                }
            }
        }
    }
}

/// A future that is pending once, then ready: where a guest's fiber is
/// suspended until the scheduler picks it again.
pub struct YieldOnce(bool);

impl YieldOnce {
    pub fn new() -> YieldOnce {
        YieldOnce(false)
    }
}

impl Default for YieldOnce {
    fn default() -> Self {
        Self::new()
    }
}

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}
