//! # `ipclab run`: guest programs as processes of one kernel
//!
//! ## What runs where
//! * **One kernel.**  The kernel component (`target/ipc-component.wasm`,
//!   the artifact the tests and the playground run), instantiated once.
//! * **One process per guest.**  Before any guest runs, the host spawns one
//!   kernel process per manifest entry, in manifest order, with the
//!   entry's credentials, zone and project.  A guest never names a pid or a
//!   uid: its imports (world `guest`, `wit/guest.wit`) act through *its*
//!   process's main thread, a handle only the host holds.
//! * **One OS thread for all of them**: each guest is a store of its own,
//!   run as an async call on a fiber, and the simulation ([`crate::sim`])
//!   decides at every kernel call which guest goes next — by `fifo`,
//!   `random`, `pct` or `replay` ([`crate::sim::sched`]).  The same
//!   manifest, policy and seed give the same bytes out, every time.
//!
//! ## Hostile guests
//! A guest cannot take the host or the other guests down:
//! * **CPU**: each guest has a budget of wasm instructions (`fuel`, default
//!   [`DEFAULT_FUEL`]); a guest that computes forever is pre-empted every
//!   slice (so the others go on) and killed when its budget is spent.
//! * **Memory**: each guest's store has a limit on its linear memories
//!   (`memory_mib`, default [`DEFAULT_MEMORY_MIB`]); growing past it traps
//!   the guest instead of exhausting the host.
//! * **Traps**: any trap ends only that guest.
//! * **Floods**: a guest that only makes calls is one runnable guest among
//!   others; every policy gives the others their turns (FIFO by age, the
//!   others by chance or priority change), and its fuel ends it.
//!
//! A guest stopped for any of these is *killed*: its report says why in
//! words ([`GuestExit::killed`]), its status is 101, and its process exits
//! in the kernel like any other — so what it held is released as the
//! kernel defines (SEM_UNDO adjustments, detached segments, closed fds) and
//! the guests that waited on it complete accordingly, or, if nothing can
//! ever wake them, end in the deadlock report.
//!
//! ## Exit status
//! 0 when every guest exited 0; else the first failing guest's status (a
//! trap or a kill counts as 101); 3 on deadlock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand_xorshift::XorShiftRng;
use serde::Deserialize;
use wasmtime::component::{HasSelf, InstancePre, Linker};
use wasmtime::{Store, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::p2::bindings::sync::Command as SyncCommand;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, I32Exit, WasiCtx};

use crate::engine::{WasiState, engine, guest_engine, load, load_guest, target_dir};
use crate::kernel::Choice;
use crate::kernel::bindings::exports::ipclab::ipc::types::Credentials;
use crate::output::Prefixed;
use crate::sim::sched::{PCT_DEFAULT_STEPS, Policy, Scheduler};
use crate::sim::syscalls::{GuestState, guest_bindings};
use crate::sim::{Deadlock, Ending, GuestFuture, Seat, Shared, Sim, State, drive, lock};

/// Exit status when the run deadlocked.
pub const EXIT_DEADLOCK: i32 = 3;

// ----- the manifest -----

/// `ipclab run`'s manifest (TOML): one `[[guest]]` table per program.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "guest")]
    pub guests: Vec<GuestSpec>,
    /// Properties every run must keep (`[[expect]]`); `explore` reports a
    /// run that breaks one.
    #[serde(default, rename = "expect")]
    pub expects: Vec<Expect>,
}

/// A property of a run's output: `guest`'s last line of stdout is
/// `last_line`, or one of its lines contains `contains`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub guest: String,
    #[serde(default)]
    pub last_line: Option<String>,
    #[serde(default)]
    pub contains: Option<String>,
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
        Manifest::read_with_text(path).map(|(m, _)| m)
    }

    /// The manifest and its text (a schedule names its manifest by the text).
    pub fn read_with_text(path: &Path) -> Result<(Manifest, String), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let m = Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((m, text))
    }

    /// A manifest from its text: every `[[expect]]` must name a guest and
    /// say exactly one of `last_line` and `contains`.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.guests.is_empty() {
            return Err("no [[guest]] entries".into());
        }
        for (i, g) in m.guests.iter().enumerate() {
            if m.guests[..i].iter().any(|o| o.name == g.name) {
                return Err(format!("two guests are named {:?}", g.name));
            }
        }
        for e in &m.expects {
            if !m.guests.iter().any(|g| g.name == e.guest) {
                return Err(format!("[[expect]] names guest {:?}, which the manifest does not have", e.guest));
            }
            if e.last_line.is_some() == e.contains.is_some() {
                return Err(format!("[[expect]] for {:?} must say exactly one of last_line and contains", e.guest));
            }
        }
        Ok(m)
    }
}

/// Where a guest's wasm is: a path (it names a directory, or is absolute)
/// is relative to the manifest; a bare name is a file beside the
/// manifest, else a built example (`target/guests/NAME.wasm`).
fn resolve(base: &Path, wasm: &str) -> PathBuf {
    let direct = base.join(wasm);
    if direct.exists() || wasm.contains('/') || Path::new(wasm).is_absolute() {
        return direct;
    }
    target_dir().join("guests").join(format!("{}.wasm", wasm.trim_end_matches(".wasm")))
}

// ----- the run -----

/// How to run a manifest.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub policy: Policy,
    /// Print each refused or parked call with the kernel's reason.
    pub explain: bool,
    /// Write the guests' output to the host's stdio as it comes (it is in
    /// the report either way).
    pub echo: bool,
    /// PCT's estimate of the run's length in decisions.
    pub pct_steps: u64,
    /// A run longer than this many decisions is stopped (a livelock).
    pub max_decisions: u64,
    /// Replay leniently: a pick that does not fit, and everything past the
    /// schedule's end, goes FIFO (how `explore` shrinks).
    pub lenient: bool,
    /// Which kernel the guests call: `ipc-core` in the host, or the
    /// kernel component (the same answers, at a component crossing a call).
    pub kernel: Choice,
    /// Write the run down as a session ([`RunReport::session`]).
    pub record: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            policy: Policy::Fifo,
            explain: false,
            echo: true,
            pct_steps: PCT_DEFAULT_STEPS,
            max_decisions: 50_000_000,
            lenient: false,
            kernel: Choice::Native,
            record: false,
        }
    }
}

/// How one guest ended.
#[derive(Debug, Clone)]
pub struct GuestExit {
    pub name: String,
    pub pid: u32,
    /// 0 success; the guest's exit status; 101 a trap or a kill; 3 stopped
    /// in a deadlock.
    pub status: i32,
    /// Why the host stopped the guest (a trap, its CPU budget, its memory
    /// limit), in words; `None` when it ended by itself.
    pub killed: Option<String>,
    /// The kernel's account of the newest call it was refused, if it ended
    /// with a failure status.
    pub refusal: Option<String>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub guests: Vec<GuestExit>,
    /// The deadlock, if the run deadlocked.
    pub deadlock: Option<Deadlock>,
    /// The limit of decisions the run went past, if it did (a livelock: the
    /// guests still running were stopped, status 3 as in a deadlock).
    pub livelock: Option<u64>,
    /// Why a replayed schedule did not fit this run, if it did not.
    pub misfit: Option<String>,
    /// The `ipcs` view at the end (always made; printed with `--ipcs`).
    pub ipcs: String,
    /// Every scheduling decision: the schedule that replays this run.
    pub picks: Vec<u32>,
    /// The simulated clock at the end, in ns.
    pub clock: u64,
    /// The manifest's `[[expect]]` properties this run broke.
    pub broken: Vec<Broken>,
    /// The run as a session (with `record`): each guest a process with its
    /// name, each kernel call a step; the playground opens it.
    pub session: Option<ipclab_session::Session>,
}

/// An `[[expect]]` property a run broke: the property in words, and what
/// the run showed instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub property: String,
    pub saw: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is {}", self.property, self.saw)
    }
}

impl RunReport {
    /// The process exit status `ipclab run` returns.
    pub fn status(&self) -> i32 {
        if self.deadlock.is_some() || self.livelock.is_some() {
            return EXIT_DEADLOCK;
        }
        if self.misfit.is_some() {
            return 2;
        }
        match self.guests.iter().map(|g| g.status).find(|&s| s != 0) {
            Some(s) => s,
            None if !self.broken.is_empty() => 1,
            None => 0,
        }
    }

    /// The run's failure in one line, if it failed: what `explore` groups
    /// runs by (the kind, and which guests, never times or ids).
    pub fn failure(&self) -> Option<String> {
        if let Some(n) = self.livelock {
            return Some(format!("livelock — the run went past {n} decisions"));
        }
        if let Some(d) = &self.deadlock {
            return Some(format!("deadlock: {} wait forever", d.waiting.join(", ")));
        }
        if let Some(g) = self.guests.iter().find(|g| g.killed.is_some()) {
            return Some(format!("{} killed: {}", g.name, g.killed.clone().unwrap_or_default()));
        }
        if let Some(g) = self.guests.iter().find(|g| g.status != 0) {
            return Some(format!("{} exited with status {}", g.name, g.status));
        }
        // The property, not the value it saw: one failure however short.
        self.broken.first().map(|b| format!("property broken: {}", b.property))
    }
}

/// Runs a manifest's guests as processes of one fresh kernel, FIFO, their
/// output on the host's stdout and stderr.
pub fn run(manifest: &Manifest, base: &Path) -> Result<RunReport, String> {
    run_opts(manifest, base, &RunOptions::default())
}

/// [`run`], writing the guests' output to the host's stdio only if `echo`.
pub fn run_with(manifest: &Manifest, base: &Path, echo: bool) -> Result<RunReport, String> {
    run_opts(manifest, base, &RunOptions { echo, ..RunOptions::default() })
}

/// The WASI clocks a guest reads: the simulation's clock.
struct SimClock(Shared);

impl HostMonotonicClock for SimClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        lock(&self.0).clock
    }
}

impl HostWallClock for SimClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        Duration::from_nanos(lock(&self.0).clock)
    }
}

/// The programs of a manifest, compiled and linked (each file once): what
/// every run of the manifest shares, so a run only instantiates.
pub struct Prepared {
    /// One per guest, in manifest order.
    pres: Vec<InstancePre<GuestState>>,
}

impl Prepared {
    pub fn new(manifest: &Manifest, base: &Path) -> Result<Prepared, String> {
        let mut linker = Linker::<GuestState>::new(guest_engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("WASI in the linker: {e}"))?;
        guest_bindings::Guest::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |s| s)
            .map_err(|e| format!("guest imports in the linker: {e}"))?;
        let mut linked: BTreeMap<PathBuf, InstancePre<GuestState>> = BTreeMap::new();
        let mut pres = Vec::new();
        for spec in &manifest.guests {
            let path = resolve(base, &spec.wasm);
            let pre = match linked.get(&path) {
                Some(p) => p.clone(),
                None => {
                    let component = load_guest(&path).map_err(|e| format!("guest {}: {e}", spec.name))?;
                    let pre = linker
                        .instantiate_pre(&component)
                        .map_err(|e| format!("guest {}: cannot link it: {e:?}", spec.name))?;
                    linked.insert(path, pre.clone());
                    pre
                }
            };
            pres.push(pre);
        }
        Ok(Prepared { pres })
    }
}

/// Runs a manifest as `opts` say.
pub fn run_opts(manifest: &Manifest, base: &Path, opts: &RunOptions) -> Result<RunReport, String> {
    let prepared = Prepared::new(manifest, base)?;
    run_prepared(manifest, &prepared, opts)
}

/// Runs a manifest whose programs are already compiled.
pub fn run_prepared(manifest: &Manifest, prepared: &Prepared, opts: &RunOptions) -> Result<RunReport, String> {
    let mut k = opts.kernel.create()?;
    let recording = opts.record.then(|| {
        let s = ipclab_session::Session::new(ipclab_session::KernelConfig::Default, "ipclab run");
        Arc::new(Mutex::new(s))
    });
    if let Some(r) = &recording {
        k = Box::new(crate::session::Recorder::new(k, Arc::clone(r)));
    }
    let mut seats = Vec::new();
    for spec in &manifest.guests {
        let cred = Credentials {
            ruid: spec.uid,
            euid: spec.uid,
            rgid: spec.gid,
            egid: spec.gid,
            groups: spec.groups.clone(),
            privileged: spec.privileged,
        };
        let (pid, tid) = k
            .spawn(&cred, spec.zone, spec.project)
            .map_err(|e| format!("spawn trapped: {e:?}"))?
            .map_err(|e| format!("guest {}: spawn refused: {e:?}", spec.name))?;
        if let Some(r) = &recording {
            lock_session(r).names.insert(pid, spec.name.clone());
        }
        seats.push(Seat { name: spec.name.clone(), pid, tid, cred, state: State::Ready, since: 0, last_refusal: None });
    }
    let sim: Shared = Arc::new(Mutex::new(Sim::new(k, seats, opts.explain && opts.echo)));
    let seed = match &opts.policy {
        Policy::Random { seed } | Policy::Pct { seed, .. } => *seed,
        _ => 0,
    };

    let mut futures: Vec<Option<GuestFuture>> = Vec::new();
    let mut outputs = Vec::new();
    for (me, (spec, pre)) in manifest.guests.iter().zip(&prepared.pres).enumerate() {
        let pid = lock(&sim).seats[me].pid;
        let prefix = format!("[{} pid {pid}]", spec.name);
        let (out, err) = (Prefixed::new(&prefix, false, opts.echo), Prefixed::new(&prefix, true, opts.echo));
        let mut args = vec![spec.name.clone()];
        args.extend(spec.args.iter().cloned());
        let stream = seed ^ (me as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let ctx = WasiCtx::builder()
            .args(&args)
            .stdout(out.clone())
            .stderr(err.clone())
            .monotonic_clock(SimClock(Arc::clone(&sim)))
            .wall_clock(SimClock(Arc::clone(&sim)))
            .secure_random(XorShiftRng::seed_from_u64(stream))
            .insecure_random(XorShiftRng::seed_from_u64(stream ^ 1))
            .insecure_random_seed(u128::from(stream))
            .build();
        let memory = usize::try_from(spec.memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        let limits = StoreLimitsBuilder::new().memory_size(memory).trap_on_grow_failure(true).build();
        let state =
            GuestState { wasi: WasiState { ctx, table: Default::default() }, sim: Arc::clone(&sim), me, limits };
        let mut store = Store::new(guest_engine(), state);
        store.limiter(|s| &mut s.limits);
        let (fuel, memory_mib) = (spec.fuel, spec.memory_mib);
        store.set_fuel(fuel).map_err(|e| format!("guest {}: cannot give it fuel: {e}", spec.name))?;
        store
            .fuel_async_yield_interval(Some(crate::sim::FUEL_SLICE))
            .map_err(|e| format!("guest {}: cannot set its slice: {e}", spec.name))?;
        let pre = pre.clone();
        let (o2, e2, name) = (out.clone(), err.clone(), spec.name.clone());
        let echo = opts.echo;
        futures.push(Some(Box::pin(async move {
            let end = run_guest(&mut store, pre, fuel, memory_mib).await;
            o2.finish();
            e2.finish();
            if let (true, Some(why)) = (echo, &end.1) {
                eprintln!("[{name} pid {pid}] killed: {why}");
            }
            end
        })));
        outputs.push((out, err));
    }

    let mut sched = match (&opts.policy, opts.lenient) {
        (Policy::Replay { picks }, true) => Scheduler::lenient(picks.clone()),
        (p, _) => Scheduler::new(p.clone(), manifest.guests.len(), opts.pct_steps),
    };
    let mut ends: Vec<Option<(i32, Option<String>)>> = vec![None; manifest.guests.len()];
    let ending = drive(&sim, futures, &mut sched, &mut ends, opts.max_decisions)?;
    let (mut deadlock, mut misfit, mut livelock) = (None, None, None);
    match ending {
        Ending::Finished => {}
        Ending::Deadlock(d) => {
            if opts.echo {
                eprintln!("{}", d.report);
            }
            deadlock = Some(d);
        }
        Ending::Misfit(why) => misfit = Some(why),
        Ending::Livelock(n) => {
            if opts.echo {
                eprintln!("ipclab: LIVELOCK — the run went past {n} decisions; every guest still running was stopped");
            }
            livelock = Some(n);
        }
    }
    let mut s = lock(&sim);
    let ipcs = s.k.ipcs().unwrap_or_else(|e| format!("(no ipcs: {e})\n"));
    let mut guests = Vec::new();
    for (i, (out, err)) in outputs.iter().enumerate() {
        let ended = ends[i].is_some();
        let (status, killed) = ends[i].clone().unwrap_or((EXIT_DEADLOCK, None));
        let seat = &s.seats[i];
        // A guest that ended itself on a failure most likely ended on the
        // call the kernel refused last: its reason is printed once.
        let refusal = if ended && status != 0 && killed.is_none() { seat.last_refusal.clone() } else { None };
        guests.push(GuestExit {
            name: seat.name.clone(),
            pid: seat.pid,
            status,
            killed,
            refusal,
            stdout: out.lines(),
            stderr: err.lines(),
        });
    }
    let broken = broken(manifest, &guests);
    let clock = s.clock;
    drop(s);
    let session = recording.map(|r| {
        let mut s = lock_session(&r).clone();
        // The guests' spawns are the start-up: the timeline starts after them.
        s.base = manifest.guests.len() as u64;
        s
    });
    let picks = sched.picks().to_vec();
    Ok(RunReport { guests, deadlock, livelock, misfit, ipcs, picks, clock, broken, session })
}

fn lock_session(r: &crate::session::Recording) -> std::sync::MutexGuard<'_, ipclab_session::Session> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `[[expect]]` properties `guests` break.
fn broken(manifest: &Manifest, guests: &[GuestExit]) -> Vec<Broken> {
    let mut out = Vec::new();
    for e in &manifest.expects {
        let Some(g) = guests.iter().find(|g| g.name == e.guest) else { continue };
        if let Some(want) = &e.last_line {
            let last = g.stdout.last().map(String::as_str).unwrap_or("");
            if last != want {
                out.push(Broken {
                    property: format!("{}'s last line should be {want:?}", g.name),
                    saw: format!("{last:?}"),
                });
            }
        }
        if let Some(want) = &e.contains
            && !g.stdout.iter().any(|l| l.contains(want.as_str()))
        {
            out.push(Broken {
                property: format!("a line of {}'s should contain {want:?}", g.name),
                saw: "missing".into(),
            });
        }
    }
    out
}

/// Instantiates and runs one guest command; its exit status and, if the
/// host stopped it, why.
async fn run_guest(
    store: &mut Store<GuestState>,
    pre: wasmtime::component::InstancePre<GuestState>,
    fuel: u64,
    memory_mib: u64,
) -> (i32, Option<String>) {
    let instance = match pre.instantiate_async(&mut *store).await {
        Ok(i) => i,
        Err(e) => return (101, Some(format!("cannot instantiate it: {e:?}"))),
    };
    let cmd = match Command::new(&mut *store, &instance) {
        Ok(c) => c,
        Err(e) => return (101, Some(format!("it is not a wasi:cli command: {e:?}"))),
    };
    match cmd.wasi_cli_run().call_run(&mut *store).await {
        Ok(Ok(())) => (0, None),
        Ok(Err(())) => (1, None),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => (*code, None),
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
    let cmd = SyncCommand::instantiate(&mut store, &component, &linker).map_err(|e| format!("instantiate: {e:?}"))?;
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
