//! # `ipclab run`: guest programs as processes of one kernel
//!
//! ## What runs where
//! * **One kernel.**  The kernel component (`target/ipc-component.wasm`,
//!   the artifact the tests and the playground run) is instantiated once,
//!   in one store behind a mutex: the [`Hub`].
//! * **One process per guest.**  Before any guest runs, the host spawns one
//!   kernel process per manifest entry, in manifest order, with the
//!   entry's credentials, zone and project.  A guest never names a pid or a
//!   uid: its imports (world `guest`, `wit/guest.wit`) act through *its*
//!   process's main thread, a handle only the host holds.
//! * **One OS thread per guest**, with its own store and instance of the
//!   guest component (a `wasi:cli` command) and stdout/stderr prefixed
//!   `[name pid N]`.
//!
//! ## Blocking
//! A guest call that the kernel parks (`blocked`) really blocks the guest's
//! thread on its own condition variable.  After every call the hub asks
//! the kernel which threads it woke since last time (`kernel.woken`, read
//! from the event log's wakeups) and signals exactly those guests, which
//! then collect their result with `take-result`.  So the wake-up order is
//! the kernel's, not the OS scheduler's, and a call wakes only the guests
//! it completed — not all of them to poll.  (A waiting guest also looks
//! every 100 ms, in case the event log dropped a wakeup before the hub read
//! it.)
//!
//! ## Time
//! The kernel's logical clock is driven from wall time: logical
//! nanoseconds = wall nanoseconds since the run started.  The host moves the
//! kernel clock up to the wall clock (`kernel.advance`) before a timed call
//! (`semtimedop`, `sem-timedwait`, `nanosleep`) and every millisecond while
//! such a call waits, so timeouts expire as the kernel defines them
//! (EAGAIN, ETIMEDOUT) at about the wall time they name.
//!
//! ## Deadlock
//! When every live guest waits in a kernel call, the kernel reports each of
//! their threads *blocked* (none has been woken and not yet noticed) and
//! none waits with a deadline, nothing can ever wake them: the host prints
//! who waits on what — the kernel's own reasons — and the `ipcs` view, ends
//! every guest and exits with status 3.  It never hangs.
//!
//! ## Hostile guests
//! A guest cannot take the host or the other guests down:
//! * **CPU**: guests run on their own engine with fuel; each has a budget
//!   of wasm instructions (`fuel`, default [`DEFAULT_FUEL`]) — fuel is spent
//!   only while the guest computes, never while it waits in the kernel.  A
//!   guest that loops forever is stopped when it runs out.
//! * **Memory**: each guest's store has a limit on its linear memories
//!   (`memory_mib`, default [`DEFAULT_MEMORY_MIB`]); growing past it traps
//!   the guest instead of exhausting the host.
//! * **Traps**: any trap ends only that guest.
//!
//! A guest stopped for any of these is *killed*: its report says why in
//! words ([`GuestExit::killed`]), its status is 101, and its process exits
//! in the kernel like any other — so what it held is released as the
//! kernel defines (SEM_UNDO adjustments, detached segments, closed fds) and
//! the guests that waited on it complete accordingly, or, if nothing can
//! ever wake them, end in the deadlock report.
//!
//! A guest cannot act as another process: its imports carry no pid, uid
//! or handle.  Ids it learns from others (a POSIX semaphore id, an fd
//! number, an attach address) mean nothing in its own process: EINVAL,
//! EBADF, EFAULT.
//!
//! ## Exit status
//! 0 when every guest exited 0; else the first failing guest's status (a
//! trap or a kill counts as 101); 3 on deadlock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Deserialize;
use wasmtime::component::{HasSelf, Linker, ResourceAny};
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder, Trap, format_err};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

use crate::engine::{WasiState, engine, guest_engine, load, load_guest, target_dir};
use crate::kernel::KernelHost;
use crate::kernel::bindings::exports::ipclab::ipc::fd::{ReadOutcome, WriteOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::inspect::ThreadState;
use crate::kernel::bindings::exports::ipclab::ipc::msg::{RecvOutcome, SendOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::port::{GetOutcome, GetnOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::psem::{OpenFlags, WaitOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::sem::SemopOutcome;
use crate::kernel::bindings::exports::ipclab::ipc::system::{Completion, Reply};
use crate::kernel::bindings::exports::ipclab::ipc::types::{
    Credentials, Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};
use crate::output::Prefixed;

/// Generated bindings of the `guest` world (what programs import).
pub mod guest_bindings {
    wasmtime::component::bindgen!({
        world: "guest",
        path: "../wit",
        imports: { default: trappable },
        with: { "ipclab:ipc/types": crate::run::types_shim },
    });
}

/// The guest world's `types` are the kernel world's: one set of Rust types
/// for both sides, so a value passes from a guest's import to the kernel's
/// export without conversion.  `types` has no functions, so what `bindgen!`
/// expects of an imported interface module is empty here.
pub mod types_shim {
    pub use crate::kernel::bindings::exports::ipclab::ipc::types::*;
    use wasmtime::component::{HasData, Linker, LinkerInstance};

    pub trait HostWithStore<T>: HasData {}
    impl<T, D: HasData> HostWithStore<T> for D {}
    pub trait Host {}
    impl<H: Host + ?Sized> Host for &mut H {}

    pub fn add_to_linker_instance<T, D>(
        _inst: &mut LinkerInstance<'_, T>,
        _host_getter: fn(&mut T) -> D::Data<'_>,
    ) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        Ok(())
    }

    pub fn add_to_linker<T, D>(linker: &mut Linker<T>, _host_getter: fn(&mut T) -> D::Data<'_>) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        linker.instance("ipclab:ipc/types@0.1.0")?;
        Ok(())
    }
}

use guest_bindings::ipclab::ipc::{sys_fd, sys_msg, sys_port, sys_proc, sys_psem, sys_sem, sys_shm};

/// Exit status when the run deadlocked.
pub const EXIT_DEADLOCK: i32 = 3;

// ----- the manifest -----

/// `ipclab run`'s manifest (TOML): one `[[guest]]` table per program.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "guest")]
    pub guests: Vec<GuestSpec>,
}

/// One guest: its program, arguments and who it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestSpec {
    pub name: String,
    /// A path relative to the manifest, or the name of a built example
    /// guest (`target/guests/NAME.wasm`).
    pub wasm: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default = "default_id")]
    pub uid: u32,
    #[serde(default = "default_id")]
    pub gid: u32,
    #[serde(default)]
    pub groups: Vec<u32>,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub zone: u32,
    #[serde(default = "default_project")]
    pub project: u32,
    /// The guest's CPU budget in wasm instructions (fuel).
    #[serde(default = "default_fuel")]
    pub fuel: u64,
    /// The most memory the guest's linear memories may hold, in MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u64,
}

/// A guest's CPU budget unless its manifest entry says otherwise: about
/// half a minute of pure computation on this class of machine.
pub const DEFAULT_FUEL: u64 = 50_000_000_000;
/// A guest's memory limit unless its manifest entry says otherwise.
pub const DEFAULT_MEMORY_MIB: u64 = 256;

impl GuestSpec {
    /// A guest with the manifest's defaults: uid and gid 100, no groups,
    /// unprivileged, global zone, project 1, the default limits.
    pub fn new(name: &str, wasm: &str, args: &[&str]) -> GuestSpec {
        GuestSpec {
            name: name.into(),
            wasm: wasm.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            uid: default_id(),
            gid: default_id(),
            groups: Vec::new(),
            privileged: false,
            zone: 0,
            project: default_project(),
            fuel: DEFAULT_FUEL,
            memory_mib: DEFAULT_MEMORY_MIB,
        }
    }
}

fn default_fuel() -> u64 {
    DEFAULT_FUEL
}

fn default_memory_mib() -> u64 {
    DEFAULT_MEMORY_MIB
}

fn default_id() -> u32 {
    100
}

fn default_project() -> u32 {
    1
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let m: Manifest = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if m.guests.is_empty() {
            return Err(format!("{}: no [[guest]] entries", path.display()));
        }
        Ok(m)
    }
}

/// Where a guest's wasm is: relative to the manifest, else a built example.
fn resolve(base: &Path, wasm: &str) -> PathBuf {
    let direct = base.join(wasm);
    if direct.exists() {
        return direct;
    }
    target_dir().join("guests").join(format!("{}.wasm", wasm.trim_end_matches(".wasm")))
}

// ----- the hub: the kernel and who waits -----

/// A guest as the hub tracks it.
struct Slot {
    name: String,
    pid: u32,
    tid: u32,
    process: ResourceAny,
    thread: ResourceAny,
    cred: Credentials,
    live: bool,
    /// Inside a kernel call that parked (or a sleep).
    waiting: bool,
    /// Waiting with a deadline: time will end it.
    timed: bool,
    /// The kernel completed its parked call: it may take the result.
    woken: bool,
}

struct Inner {
    k: KernelHost,
    guests: Vec<Slot>,
    /// Set once, with the report, when the run deadlocks.
    deadlock: Option<String>,
    /// The event-log cursor up to which wakeups have been handed out.
    cursor: u64,
}

/// The kernel every guest calls, and the condition variable each blocked
/// guest waits on (indexed like the guests).
pub struct Hub {
    inner: Mutex<Inner>,
    cvs: Vec<Condvar>,
    start: Instant,
}

/// What a call that may park did at first.
enum First<T> {
    Done(Result<T, Errno>),
    Parked,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands out the wakeups of the calls made since the last time: marks
    /// each woken guest and signals it.
    fn wake(&self, g: &mut Inner) -> wasmtime::Result<()> {
        let (tids, next) = g.k.woken(g.cursor)?;
        g.cursor = next;
        for tid in tids {
            if let Some(i) = g.guests.iter().position(|s| s.tid == tid) {
                g.guests[i].woken = true;
                self.cvs[i].notify_one();
            }
        }
        Ok(())
    }

    /// Signals every guest (a guest ended: the others look for deadlock).
    fn wake_all(&self) {
        self.cvs.iter().for_each(Condvar::notify_one);
    }

    fn wall_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// A call that never parks.
    fn call<T>(
        &self,
        me: usize,
        f: impl FnOnce(&mut KernelHost, ResourceAny) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        let mut g = self.lock();
        let t = g.guests[me].thread;
        let r = f(&mut g.k, t)?;
        self.wake(&mut g)?;
        Ok(r)
    }

    /// A call that may park: `start` makes it; if it parked, wait until the
    /// kernel completes it, then `finish` reads the completion.
    fn blocking<T>(
        &self,
        me: usize,
        timed: bool,
        start: impl FnOnce(&mut KernelHost, ResourceAny) -> wasmtime::Result<First<T>>,
        finish: impl FnOnce(Completion) -> Result<T, Errno>,
    ) -> wasmtime::Result<Result<T, Errno>> {
        let mut g = self.lock();
        if timed {
            g.k.advance_to(self.wall_ns())?;
        }
        let t = g.guests[me].thread;
        let first = start(&mut g.k, t)?;
        self.wake(&mut g)?;
        if let First::Done(r) = first {
            return Ok(r);
        }
        g.guests[me].waiting = true;
        g.guests[me].timed = timed;
        // Look without being signalled only after a wait times out.
        let mut look = false;
        loop {
            if g.deadlock.is_some() {
                g.guests[me].waiting = false;
                return Err(format_err!("deadlock: every guest waits and nothing can wake them"));
            }
            if g.guests.iter().any(|s| s.live && s.timed) {
                let now = self.wall_ns();
                g.k.advance_to(now)?;
                self.wake(&mut g)?;
            }
            if std::mem::take(&mut g.guests[me].woken) || look {
                match g.k.take_result(t)? {
                    Ok(c) => {
                        g.guests[me].waiting = false;
                        g.guests[me].timed = false;
                        return Ok(finish(c));
                    }
                    Err(Errno::Eagain) => {}
                    Err(e) => {
                        g.guests[me].waiting = false;
                        g.guests[me].timed = false;
                        return Ok(Err(e));
                    }
                }
            }
            if self.stuck(&mut g)? {
                let report = self.deadlock_report(&mut g)?;
                eprintln!("{report}");
                g.deadlock = Some(report);
                self.wake_all();
                continue;
            }
            let tick = if g.guests.iter().any(|s| s.live && s.timed) { 1 } else { 100 };
            let (g2, waited) =
                self.cvs[me].wait_timeout(g, Duration::from_millis(tick)).unwrap_or_else(|p| p.into_inner());
            g = g2;
            look = waited.timed_out();
        }
    }

    /// Every live guest waits, none with a deadline, and the kernel has
    /// every one of their threads parked (none woken and not yet noticed).
    fn stuck(&self, g: &mut Inner) -> wasmtime::Result<bool> {
        if !g.guests.iter().filter(|s| s.live).all(|s| s.waiting && !s.timed) {
            return Ok(false);
        }
        let views = g.k.world.ipclab_ipc_inspect().call_processes(&mut g.k.store, g.k.kernel)?;
        let blocked: Vec<u32> = views
            .iter()
            .filter(|p| p.threads.iter().all(|t| matches!(t.state, ThreadState::Blocked(_))))
            .map(|p| p.pid)
            .collect();
        Ok(g.guests.iter().filter(|s| s.live).all(|s| blocked.contains(&s.pid)))
    }

    fn deadlock_report(&self, g: &mut Inner) -> wasmtime::Result<String> {
        let graph = g.k.world.ipclab_ipc_inspect().call_deadlock(&mut g.k.store, g.k.kernel)?.unwrap_or_default();
        let name = |pid: u32| g.guests.iter().find(|s| s.pid == pid).map_or("?", |s| s.name.as_str());
        let mut out = String::from("ipclab: DEADLOCK — every guest waits and nothing can wake them:\n");
        for s in g.guests.iter().filter(|s| s.live) {
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
        let snap = g.k.snapshot()?;
        out.push('\n');
        out.push_str(&crate::ipcs::from_snapshot(&snap).unwrap_or_else(|e| format!("(no ipcs: {e})\n")));
        Ok(out)
    }

    /// A guest ended: its process exits in the kernel (releasing what it held).
    fn retire(&self, me: usize) {
        let mut g = self.lock();
        let p = g.guests[me].process;
        g.guests[me].live = false;
        let _ = g.k.exit(p);
        let _ = self.wake(&mut g);
        drop(g);
        self.wake_all();
    }

    /// The kernel's `ipcs` view now.
    pub fn ipcs(&self) -> String {
        let mut g = self.lock();
        match g.k.snapshot() {
            Ok(s) => crate::ipcs::from_snapshot(&s).unwrap_or_else(|e| format!("(no ipcs: {e})\n")),
            Err(e) => format!("(no snapshot: {e})\n"),
        }
    }
}

// ----- the guest's imports -----

/// One guest's store data: WASI, its seat at the hub, and its limits.
pub struct GuestState {
    wasi: WasiState,
    hub: Arc<Hub>,
    me: usize,
    limits: StoreLimits,
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

type R<T> = wasmtime::Result<Result<T, Errno>>;

fn unexpected(c: &Completion) -> Errno {
    // A completion of another call than the one parked cannot happen; say
    // EINVAL rather than trap if a tampered kernel ever produced one.
    let _ = c;
    Errno::Einval
}

impl types_shim::Host for GuestState {}

impl sys_proc::Host for GuestState {
    fn getpid(&mut self) -> wasmtime::Result<u32> {
        Ok(self.hub.lock().guests[self.me].pid)
    }

    fn geteuid(&mut self) -> wasmtime::Result<u32> {
        Ok(self.hub.lock().guests[self.me].cred.euid)
    }

    fn getegid(&mut self) -> wasmtime::Result<u32> {
        Ok(self.hub.lock().guests[self.me].cred.egid)
    }

    fn nanosleep(&mut self, ns: u64) -> wasmtime::Result<()> {
        let hub = Arc::clone(&self.hub);
        let mut g = hub.lock();
        g.k.advance_to(hub.wall_ns())?;
        let until = g.k.now()?.saturating_add(ns);
        g.guests[self.me].waiting = true;
        g.guests[self.me].timed = true;
        loop {
            g.k.advance_to(hub.wall_ns())?;
            hub.wake(&mut g)?;
            if g.k.now()? >= until || g.deadlock.is_some() {
                break;
            }
            g = hub.cvs[self.me].wait_timeout(g, Duration::from_millis(1)).unwrap_or_else(|p| p.into_inner()).0;
        }
        g.guests[self.me].waiting = false;
        g.guests[self.me].timed = false;
        Ok(())
    }
}

impl sys_msg::Host for GuestState {
    fn msgget(&mut self, key: i32, msgflg: i32) -> R<i32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_msg().call_msgget(&mut k.store, t, key, msgflg))
    }

    fn msgsnd(&mut self, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> R<()> {
        self.hub.blocking(
            self.me,
            false,
            |k, t| {
                let r = k.world.ipclab_ipc_msg().call_msgsnd(&mut k.store, t, msqid, mtype, &data, msgflg, None)?;
                Ok(match r {
                    Ok(SendOutcome::Sent) => First::Done(Ok(())),
                    Ok(_) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
    }

    fn msgrcv(&mut self, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> R<Received> {
        self.hub.blocking(
            self.me,
            false,
            |k, t| {
                let r = k.world.ipclab_ipc_msg().call_msgrcv(&mut k.store, t, msqid, msgsz, msgtyp, msgflg, None)?;
                Ok(match r {
                    Ok(RecvOutcome::Received(m)) => First::Done(Ok(m)),
                    Ok(RecvOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Message(m)) => Ok(m),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
    }

    fn msgctl_stat(&mut self, msqid: i32) -> R<MsqidDs> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_msg().call_msgctl_stat(&mut k.store, t, msqid))
    }

    fn msgctl_set(&mut self, msqid: i32, buf: MsqidSet) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_msg().call_msgctl_set(&mut k.store, t, msqid, buf))
    }

    fn msgctl_rmid(&mut self, msqid: i32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_msg().call_msgctl_rmid(&mut k.store, t, msqid))
    }
}

impl GuestState {
    fn semop_any(&mut self, semid: i32, sops: Vec<Sembuf>, timeout: Option<u64>) -> R<()> {
        self.hub.blocking(
            self.me,
            timeout.is_some(),
            |k, t| {
                let r = k.world.ipclab_ipc_sem().call_semop(&mut k.store, t, semid, &sops, timeout)?;
                Ok(match r {
                    Ok(SemopOutcome::Done) => First::Done(Ok(())),
                    Ok(SemopOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
    }

    fn psem_wait(&mut self, id: u32, abstime: Option<Timespec>) -> R<()> {
        self.hub.blocking(
            self.me,
            abstime.is_some(),
            |k, t| {
                let p = k.world.ipclab_ipc_psem();
                let r = match abstime {
                    Some(at) => p.call_sem_timedwait(&mut k.store, t, id, at)?,
                    None => p.call_sem_wait(&mut k.store, t, id)?,
                };
                Ok(match r {
                    Ok(WaitOutcome::Acquired) => First::Done(Ok(())),
                    Ok(WaitOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
    }
}

impl sys_sem::Host for GuestState {
    fn semget(&mut self, key: i32, nsems: i32, semflg: i32) -> R<i32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semget(&mut k.store, t, key, nsems, semflg))
    }

    fn semop(&mut self, semid: i32, sops: Vec<Sembuf>) -> R<()> {
        self.semop_any(semid, sops, None)
    }

    fn semtimedop(&mut self, semid: i32, sops: Vec<Sembuf>, timeout_ns: u64) -> R<()> {
        self.semop_any(semid, sops, Some(timeout_ns))
    }

    fn semctl_getval(&mut self, semid: i32, semnum: u32) -> R<u32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_getval(&mut k.store, t, semid, semnum))
    }

    fn semctl_setval(&mut self, semid: i32, semnum: u32, val: i32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_setval(&mut k.store, t, semid, semnum, val))
    }

    fn semctl_getall(&mut self, semid: i32) -> R<Vec<u32>> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_getall(&mut k.store, t, semid))
    }

    fn semctl_setall(&mut self, semid: i32, vals: Vec<u32>) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_setall(&mut k.store, t, semid, &vals))
    }

    fn semctl_stat(&mut self, semid: i32) -> R<SemidDs> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_stat(&mut k.store, t, semid))
    }

    fn semctl_rmid(&mut self, semid: i32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_sem().call_semctl_rmid(&mut k.store, t, semid))
    }
}

impl sys_shm::Host for GuestState {
    fn shmget(&mut self, key: i32, size: u64, shmflg: i32) -> R<i32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_shmget(&mut k.store, t, key, size, shmflg))
    }

    fn shmat(&mut self, shmid: i32, shmaddr: u64, shmflg: i32) -> R<u64> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_shmat(&mut k.store, t, shmid, shmaddr, shmflg))
    }

    fn shmdt(&mut self, shmaddr: u64) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_shmdt(&mut k.store, t, shmaddr))
    }

    fn shmctl_stat(&mut self, shmid: i32) -> R<ShmidDs> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_shmctl_stat(&mut k.store, t, shmid))
    }

    fn shmctl_rmid(&mut self, shmid: i32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_shmctl_rmid(&mut k.store, t, shmid))
    }

    fn load(&mut self, addr: u64, len: u64) -> R<Vec<u8>> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_read(&mut k.store, t, addr, len))
    }

    fn store(&mut self, addr: u64, data: Vec<u8>) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_shm().call_write(&mut k.store, t, addr, &data))
    }
}

/// NetBSD's O_CREAT and O_EXCL, as `sys-psem.sem-open` takes them.
const O_CREAT: i32 = 0x200;
const O_EXCL: i32 = 0x800;

impl sys_psem::Host for GuestState {
    fn sem_open(&mut self, name: String, oflag: i32, mode: u32, value: u32) -> R<u32> {
        let mut flags = OpenFlags::empty();
        if oflag & O_CREAT != 0 {
            flags |= OpenFlags::CREAT;
        }
        if oflag & O_EXCL != 0 {
            flags |= OpenFlags::EXCL;
        }
        self.hub
            .call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_open(&mut k.store, t, &name, flags, mode, value))
    }

    fn sem_init(&mut self, value: u32, pshared: bool) -> R<u32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_init(&mut k.store, t, value, pshared))
    }

    fn sem_close(&mut self, id: u32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_close(&mut k.store, t, id))
    }

    fn sem_unlink(&mut self, name: String) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_unlink(&mut k.store, t, &name))
    }

    fn sem_destroy(&mut self, id: u32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_destroy(&mut k.store, t, id))
    }

    fn sem_post(&mut self, id: u32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_post(&mut k.store, t, id))
    }

    fn sem_wait(&mut self, id: u32) -> R<()> {
        self.psem_wait(id, None)
    }

    fn sem_trywait(&mut self, id: u32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_trywait(&mut k.store, t, id))
    }

    fn sem_timedwait(&mut self, id: u32, abstime: Timespec) -> R<()> {
        self.psem_wait(id, Some(abstime))
    }

    fn sem_getvalue(&mut self, id: u32) -> R<u32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_psem().call_sem_getvalue(&mut k.store, t, id))
    }
}

impl sys_fd::Host for GuestState {
    fn pipe(&mut self) -> R<(i32, i32)> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_fd().call_pipe(&mut k.store, t))
    }

    fn read(&mut self, fd: i32, len: u32) -> R<Vec<u8>> {
        self.hub.blocking(
            self.me,
            false,
            |k, t| {
                Ok(match k.world.ipclab_ipc_fd().call_read(&mut k.store, t, fd, len, false)? {
                    Ok(ReadOutcome::Data(d)) => First::Done(Ok(d)),
                    Ok(ReadOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Bytes(b)) => Ok(b),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
    }

    fn write(&mut self, fd: i32, data: Vec<u8>) -> R<u64> {
        self.hub.blocking(
            self.me,
            false,
            |k, t| {
                Ok(match k.world.ipclab_ipc_fd().call_write(&mut k.store, t, fd, &data, false)? {
                    Ok(WriteOutcome::Written(n)) => First::Done(Ok(n)),
                    Ok(WriteOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Count(n)) => Ok(n),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
    }

    fn close(&mut self, fd: i32) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_fd().call_close(&mut k.store, t, fd))
    }
}

impl sys_port::Host for GuestState {
    fn port_create(&mut self) -> R<i32> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_port().call_port_create(&mut k.store, t))
    }

    fn port_send(&mut self, port: i32, events: i32, user: u64) -> R<()> {
        self.hub.call(self.me, |k, t| k.world.ipclab_ipc_port().call_port_send(&mut k.store, t, port, events, user))
    }

    fn port_alert(&mut self, port: i32, flags: i32, events: i32, user: u64) -> R<()> {
        self.hub
            .call(self.me, |k, t| k.world.ipclab_ipc_port().call_port_alert(&mut k.store, t, port, flags, events, user))
    }

    fn port_associate(&mut self, port: i32, source: u16, object: u64, events: u16, user: u64) -> R<()> {
        self.hub.call(self.me, |k, t| {
            k.world.ipclab_ipc_port().call_port_associate(&mut k.store, t, port, source, object, events, user)
        })
    }

    fn port_dissociate(&mut self, port: i32, source: u16, object: u64) -> R<()> {
        self.hub
            .call(self.me, |k, t| k.world.ipclab_ipc_port().call_port_dissociate(&mut k.store, t, port, source, object))
    }

    fn port_getn(&mut self, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> R<PortGot> {
        self.hub.blocking(
            self.me,
            timeout.is_some(),
            |k, t| {
                Ok(match k.world.ipclab_ipc_port().call_port_getn(&mut k.store, t, port, max, nget, timeout)? {
                    Ok(GetnOutcome::Got(g)) => First::Done(Ok(g)),
                    // max 0 takes nothing (port-pending says how many are queued).
                    Ok(GetnOutcome::Pending(_)) => First::Done(Ok(PortGot { events: Vec::new(), etime: false })),
                    Ok(GetnOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::PortEvents(g)) => Ok(g),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
    }

    fn port_pending(&mut self, port: i32) -> R<u32> {
        self.hub.call(self.me, |k, t| {
            Ok(match k.world.ipclab_ipc_port().call_port_getn(&mut k.store, t, port, 0, 0, None)? {
                Ok(GetnOutcome::Pending(n)) => Ok(n),
                Ok(_) => Err(Errno::Einval),
                Err(e) => Err(e),
            })
        })
    }

    fn port_get(&mut self, port: i32, timeout: Option<Timespec>) -> R<Option<PortEvent>> {
        self.hub.blocking(
            self.me,
            timeout.is_some(),
            |k, t| {
                Ok(match k.world.ipclab_ipc_port().call_port_get(&mut k.store, t, port, timeout)? {
                    Ok(GetOutcome::Event(e)) => First::Done(Ok(Some(e))),
                    Ok(GetOutcome::None) => First::Done(Ok(None)),
                    Ok(GetOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::PortEvents(g)) => Ok(g.events.first().copied()),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
    }
}

// ----- the run -----

/// How one guest ended.
#[derive(Debug, Clone)]
pub struct GuestExit {
    pub name: String,
    pub pid: u32,
    /// 0 success; the guest's exit status; 101 a trap or a kill.
    pub status: i32,
    /// Why the host stopped the guest (a trap, its CPU budget, its memory
    /// limit), in words; `None` when it ended by itself.
    pub killed: Option<String>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub guests: Vec<GuestExit>,
    /// The deadlock report, if the run deadlocked.
    pub deadlock: Option<String>,
    /// The `ipcs` view at the end (always made; printed with `--ipcs`).
    pub ipcs: String,
}

impl RunReport {
    /// The process exit status `ipclab run` returns.
    pub fn status(&self) -> i32 {
        if self.deadlock.is_some() {
            return EXIT_DEADLOCK;
        }
        self.guests.iter().map(|g| g.status).find(|&s| s != 0).unwrap_or(0)
    }
}

/// Runs a manifest's guests as processes of one fresh kernel, their output
/// on the host's stdout and stderr.
pub fn run(manifest: &Manifest, base: &Path) -> Result<RunReport, String> {
    run_with(manifest, base, true)
}

/// [`run`], writing the guests' output to the host's stdio only if `echo`
/// (it is in the report either way).
pub fn run_with(manifest: &Manifest, base: &Path, echo: bool) -> Result<RunReport, String> {
    let mut k = KernelHost::new(None)?;
    let mut slots = Vec::new();
    let mut components = Vec::new();
    let mut compiled = BTreeMap::new();
    for spec in &manifest.guests {
        let cred = Credentials {
            ruid: spec.uid,
            euid: spec.uid,
            rgid: spec.gid,
            egid: spec.gid,
            groups: spec.groups.clone(),
            privileged: spec.privileged,
        };
        let s = k
            .spawn(&cred, spec.zone, spec.project)
            .map_err(|e| format!("spawn trapped: {e:?}"))?
            .map_err(|e| format!("guest {}: spawn refused: {e:?}", spec.name))?;
        slots.push(Slot {
            name: spec.name.clone(),
            pid: s.pid,
            tid: s.tid,
            process: s.process,
            thread: s.thread,
            cred,
            live: true,
            waiting: false,
            timed: false,
            woken: false,
        });
        // Each program is compiled once, however many guests run it.
        let path = resolve(base, &spec.wasm);
        let component = match compiled.get(&path) {
            Some(c) => Clone::clone(c),
            None => load_guest(&path)?,
        };
        compiled.insert(path, Clone::clone(&component));
        components.push(component);
    }
    let hub = Arc::new(Hub {
        cvs: slots.iter().map(|_| Condvar::new()).collect(),
        inner: Mutex::new(Inner { k, guests: slots, deadlock: None, cursor: 0 }),
        start: Instant::now(),
    });
    let mut linker = Linker::<GuestState>::new(guest_engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("WASI in the linker: {e}"))?;
    guest_bindings::Guest::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |s| s)
        .map_err(|e| format!("guest imports in the linker: {e}"))?;
    let linker = Arc::new(linker);

    let mut handles = Vec::new();
    for (me, (spec, component)) in manifest.guests.iter().zip(components).enumerate() {
        let pid = hub.lock().guests[me].pid;
        let prefix = format!("[{} pid {pid}]", spec.name);
        let (out, err) = (Prefixed::new(&prefix, false, echo), Prefixed::new(&prefix, true, echo));
        let mut args = vec![spec.name.clone()];
        args.extend(spec.args.iter().cloned());
        let ctx = WasiCtx::builder().args(&args).stdout(out.clone()).stderr(err.clone()).build();
        let memory = usize::try_from(spec.memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        let limits = StoreLimitsBuilder::new().memory_size(memory).trap_on_grow_failure(true).build();
        let state =
            GuestState { wasi: WasiState { ctx, table: Default::default() }, hub: Arc::clone(&hub), me, limits };
        let (hub2, linker2, name, fuel) = (Arc::clone(&hub), Arc::clone(&linker), spec.name.clone(), spec.fuel);
        let memory_mib = spec.memory_mib;
        handles.push(std::thread::spawn(move || {
            let (status, killed) = run_one(state, &component, &linker2, fuel, memory_mib);
            out.finish();
            err.finish();
            hub2.retire(me);
            if let Some(why) = &killed {
                eprintln!("[{name} pid {pid}] killed: {why}");
            }
            GuestExit { name, pid, status, killed, stdout: out.lines(), stderr: err.lines() }
        }));
    }
    let guests: Vec<GuestExit> = handles
        .into_iter()
        .map(|h| h.join().map_err(|_| "a guest thread panicked".to_string()))
        .collect::<Result<_, _>>()?;
    let deadlock = hub.lock().deadlock.clone();
    let ipcs = hub.ipcs();
    Ok(RunReport { guests, deadlock, ipcs })
}

/// Instantiates and runs one guest command with its fuel and memory
/// limits; its exit status and, if the host stopped it, why.
fn run_one(
    state: GuestState,
    component: &wasmtime::component::Component,
    linker: &Linker<GuestState>,
    fuel: u64,
    memory_mib: u64,
) -> (i32, Option<String>) {
    let mut store = Store::new(guest_engine(), state);
    store.limiter(|s| &mut s.limits);
    if let Err(e) = store.set_fuel(fuel) {
        return (101, Some(format!("cannot give it fuel: {e}")));
    }
    let cmd = match Command::instantiate(&mut store, component, linker) {
        Ok(c) => c,
        Err(e) => return (101, Some(format!("cannot instantiate it: {e:?}"))),
    };
    match cmd.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => (0, None),
        Ok(Err(())) => (1, None),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => (*code, None),
            None if format!("{e:?}").contains("deadlock") => (EXIT_DEADLOCK, None),
            None => (101, Some(why_killed(&e, fuel, memory_mib))),
        },
    }
}

/// A guest's trap in words: its CPU budget, its memory limit, or the trap.
fn why_killed(e: &wasmtime::Error, fuel: u64, memory_mib: u64) -> String {
    let text = format!("{e:?}");
    if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
        format!("it used up its CPU budget of {fuel} wasm instructions (manifest `fuel`)")
    } else if text.contains("forcing trap when growing memory") {
        format!("it tried to grow its memory past its limit of {memory_mib} MiB (manifest `memory_mib`)")
    } else if let Some(trap) = e.downcast_ref::<Trap>() {
        format!("it trapped: {}", trap.to_string().trim_start_matches("wasm trap: "))
    } else {
        format!("it failed: {}", text.lines().find(|l| !l.trim().is_empty()).unwrap_or("?").trim())
    }
}

/// Runs a self-contained `wasi:cli` command (a composed component) with
/// plain WASI and the host's stdio; its exit status.
pub fn exec(path: &Path, args: &[String]) -> Result<i32, String> {
    let component = load(path)?;
    let mut linker = Linker::<WasiState>::new(engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("WASI in the linker: {e}"))?;
    let mut argv = vec![path.display().to_string()];
    argv.extend(args.iter().cloned());
    let ctx = WasiCtx::builder().args(&argv).inherit_stdout().inherit_stderr().build();
    let mut store = Store::new(engine(), WasiState { ctx, table: Default::default() });
    let cmd = Command::instantiate(&mut store, &component, &linker).map_err(|e| format!("instantiate: {e:?}"))?;
    Ok(match cmd.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => 0,
        Ok(Err(())) => 1,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => *code,
            None => {
                eprintln!("{e:?}");
                101
            }
        },
    })
}

/// Guests by name, for tests of a run.
pub fn by_name(report: &RunReport) -> BTreeMap<String, GuestExit> {
    report.guests.iter().map(|g| (g.name.clone(), g.clone())).collect()
}
