//! # The component fuzzer: every export of world `kernel`, from the host
//!
//! Random calls, through the wasmtime bindings, of **every function and
//! resource method** the `kernel` world of `wit/ipc.wit` exports — `system`
//! (`default-config`; the `kernel` resource: create, spawn, now, advance,
//! events, set-project-limit, set-zone-limit, set-step-recording,
//! zone-remove, snapshot, restore, checkpoint, rewind; the `process`
//! resource: pid, main-thread, thread-create, fork, exec, exit; the
//! `thread` resource: tid, pid, take-result, interrupt; the `checkpoint`
//! resource: size), `msg` (with `batch` and all fourteen kinds of batch
//! operation), `sem`, `shm`, `psem`, `fd`, `port` (with timers and
//! port-sendn) and `inspect` — plus the destructors of the four resources
//! (`drop`).  A rewind must leave the kernel's snapshot equal to the one
//! taken with its checkpoint, and a checkpoint's size is that snapshot's
//! length.  The list is not kept by hand: the test parses the
//! WIT (`include_str!`), asserts that its table of operations names
//! exactly the WIT's functions, and at the end that each was called.
//!
//! The promise under test (the reliability issue): **zero traps** — every
//! call returns a WIT value, and a call the host refuses (a stale or
//! mistyped handle) is refused by wasmtime before the guest runs, never by
//! a trap — **the instance stays usable** (every 500 calls a fresh kernel
//! in the same instance does spawn, msgget, msgsnd, msgrcv and gets its
//! message back), and **memory stays bounded** (the store's resource
//! limiter follows the size of every linear memory of the instance; after
//! the run it must be under 64 MiB, and the second half of the run may not
//! grow it by more than 32 pages — linear memory never shrinks, so it
//! records the peak: it climbs to ~360–400 pages (~25 MiB) in the first
//! tens of thousands of calls, when the largest legal values — 1 MiB
//! lists, snapshots of a full kernel — first meet, and then stays flat; a
//! leak of even 100 bytes a call would add ~150 pages over 100 000 calls).
//!
//! ## How values are drawn
//! A seeded SplitMix64 generator picks each operation (weighted) and its
//! arguments.  Arguments are mostly *plausible* — ids, fds, ports,
//! timers, attach addresses and POSIX semaphore ids the component handed
//! out, live runnable threads, small keys, sizes and semaphore numbers —
//! and sometimes *arbitrary*: any `s32`/`u64`/`s64`, extreme timespecs,
//! unknown flag bits and commands, lists from empty to 1 MiB (and one
//! element past every documented list limit: 65537 batch operations, 8193
//! ports, 4097 sembufs), names with NULs, multibyte characters or hundreds
//! of bytes (the WIT types names as `string`, so invalid UTF-8 cannot be
//! sent: the host bindings only take `&str`).  Handles are sometimes
//! **dropped** ones (used after `drop`, dropped twice), **mistyped** ones (a
//! process or kernel where a thread goes), **foreign** ones (threads,
//! processes and the kernel of a second kernel created in the same
//! component instance, which also has its snapshots restored into the
//! first), and handles of **exited** processes.  Snapshots are taken for
//! real and then tampered with — truncated, bytes flipped or inserted,
//! numbers swapped or replaced by extreme values, JSON nodes removed,
//! duplicated or retyped, known-inconsistent configurations — before
//! `restore`: a refused restore must answer einval and leave the kernel
//! exactly as it was (the snapshot before equals the snapshot after); an
//! accepted one must leave a kernel whose own snapshot restores, and the
//! fuzzing goes on on it.  Every 2000 calls the first kernel is restored to
//! its initial snapshot, so that what the kernel legitimately stores stays
//! bounded and memory growth means a leak.
//!
//! A run is reproducible from its seed; a trap fails the test naming the
//! seed, the call number, the export and its arguments.
//!
//! ## Running
//! The CI run makes 200 000 calls (10–20 s in release on two cores).  A
//! long run (`IPC_COMPONENT_FUZZ_SEED` picks another seed;
//! `IPC_COMPONENT_FUZZ_TRAJECTORY=1` prints the memory every 500 calls):
//!
//! ```text
//! IPC_COMPONENT_FUZZ_CALLS=1000000 IPC_COMPONENT_FUZZ_SEED=7 \
//!   IPC_COMPONENT_WASM=$PWD/target/ipc-component.wasm \
//!   cargo test -p ipc-host-tests --release --test fuzz -- --nocapture
//! ```
//!
//! It prints `component fuzz: N calls, M traps (must be 0), memory X → Y
//! pages` and how the calls went.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use ipc_host_tests::*;
use serde_json::Value;
use wasmtime::component::ResourceAny;
use wasmtime::{ResourceLimiter, Store};

/// The WIT the component implements: the list of exports is read from it.
const WIT: &str = include_str!("../../wit/ipc.wit");
/// Calls per run unless `IPC_COMPONENT_FUZZ_CALLS` says otherwise.
const DEFAULT_CALLS: u64 = 200_000;
/// The instance is checked for usability this often (in calls).
const PROBE_EVERY: u64 = 500;
/// The first kernel goes back to its initial snapshot this often.
const RESET_EVERY: u64 = 2_000;
/// Largest list the fuzzer sends (the WIT's own limits are 1 MiB for shm
/// reads and writes; one byte more is drawn too).
const MAX_LIST: usize = 1 << 20;
/// A wasm page.
const WASM_PAGE: usize = 65_536;
/// The linear memory of the instance after the run must stay below this.
const MEM_CAP: usize = 64 << 20;
/// Growth allowed over the second half of a run of the default length, in
/// pages.  Longer runs are held to [`MEM_CAP`] only: over 10^6 calls the
/// memory grows in rare steps — the allocator's high-water mark when the
/// largest legal values (1 MiB lists, whole snapshots) happen to coincide,
/// 10 steps in 10^6 calls (seed 7: 342 → 469 pages), with plateaus of
/// 10^5 calls between them — not call by call, as a leak would.  One such
/// step can land in the second half of a default run (seeds 11 and 3333:
/// +68 and +38 pages), so the bound is 128 pages (8 MiB): a leak of 100
/// bytes per call over the second half's 10^5 calls would still pass it.
const MEM_SECOND_HALF_PAGES: usize = 128;
/// The limiter refuses to grow memory past this (the guest would then
/// abort: a trap, reported with the call that caused it).
const MEM_HARD: usize = 1 << 30;

// ----- memory: the store's resource limiter -----

thread_local! {
    /// Bytes of linear memory of every memory in this thread's store.
    static MEM: Cell<usize> = const { Cell::new(0) };
}

/// A resource limiter that only watches: it adds up the linear memories of
/// the instance as they are created (from 0) and grown.
struct MemProbe;

impl ResourceLimiter for MemProbe {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        let total = MEM.with(Cell::get).saturating_sub(current).saturating_add(desired);
        if total > MEM_HARD {
            return Ok(false);
        }
        MEM.with(|m| m.set(total));
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

fn mem_bytes() -> usize {
    MEM.with(Cell::get)
}

fn watch_memory(store: &mut Store<State>) {
    MEM.with(|m| m.set(0));
    // `MemProbe` has no fields: leaking a box of it allocates nothing.
    store.limiter(|_| Box::leak(Box::new(MemProbe)));
}

// ----- values -----

/// SplitMix64: small, fast, and good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> Option<T> {
        (!xs.is_empty()).then(|| xs[self.below(xs.len() as u64) as usize])
    }
    /// Any `u64`, edges often.
    fn u64_any(&mut self) -> u64 {
        const EDGES: [u64; 10] = [0, 1, 2, u64::MAX, u64::MAX - 1, 1 << 63, 1 << 32, (1 << 32) - 1, 1 << 31, 4096];
        match self.below(3) {
            0 => EDGES[self.below(EDGES.len() as u64) as usize],
            1 => self.next() >> self.below(64),
            _ => self.next(),
        }
    }
    fn u32_any(&mut self) -> u32 {
        match self.below(3) {
            0 => [0, 1, u32::MAX, u32::MAX - 1, 1 << 31, (1 << 31) - 1, 65_535, 65_536][self.below(8) as usize],
            _ => self.u64_any() as u32,
        }
    }
    fn i32_any(&mut self) -> i32 {
        match self.below(3) {
            0 => [0, -1, 1, i32::MIN, i32::MAX, i32::MIN + 1, i32::MAX - 1, -2][self.below(8) as usize],
            _ => self.u64_any() as i32,
        }
    }
    fn i64_any(&mut self) -> i64 {
        match self.below(3) {
            0 => [0, -1, 1, i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1, 1_000_000_000][self.below(8) as usize],
            _ => self.u64_any() as i64,
        }
    }
    /// Mostly a value the component handed out, sometimes anything.
    fn id(&mut self, known: &[i32]) -> i32 {
        let k = self.pick(known);
        self.id_or(k)
    }
    fn id_or(&mut self, known: Option<i32>) -> i32 {
        match known {
            Some(id) if !self.chance(8) => id,
            _ if self.chance(50) => self.below(200) as i32 - 2,
            _ => self.i32_any(),
        }
    }
    fn uid(&mut self, known: &[u32]) -> u32 {
        match self.pick(known) {
            Some(id) if !self.chance(10) => id,
            _ if self.chance(50) => self.below(40) as u32,
            _ => self.u32_any(),
        }
    }
    /// A list length: mostly short, sometimes up to 70 000, rarely 1 MiB
    /// give or take a byte.
    fn len(&mut self) -> usize {
        match self.below(200) {
            0 => MAX_LIST - 1 + self.below(3) as usize,
            1..=10 => self.below(70_000) as usize,
            _ => self.below(64) as usize,
        }
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            let w = self.next().to_le_bytes();
            let n = (len - v.len()).min(8);
            v.extend_from_slice(&w[..n]);
        }
        v
    }
    /// A timespec: mostly small and valid, sometimes anything.
    fn timespec(&mut self) -> Timespec {
        match self.below(10) {
            0..=3 => Timespec { sec: 0, nsec: 0 },
            4..=7 => Timespec { sec: self.below(3) as i64, nsec: self.below(1_000_000_000) as i64 },
            _ => Timespec {
                sec: self.i64_any(),
                nsec: [0, -1, 999_999_999, 1_000_000_000, i64::MAX, i64::MIN][self.below(6) as usize],
            },
        }
    }
}

/// Mostly one of the current process's values, else anyone's.
fn owned<V: Copy>(rng: &mut Rng, cur: u32, list: &[(u32, V)]) -> Option<V> {
    let mine: Vec<V> = list.iter().filter(|(p, _)| *p == cur).map(|(_, v)| *v).collect();
    if !mine.is_empty() && rng.chance(80) {
        return rng.pick(&mine);
    }
    rng.pick(list).map(|(_, v)| v)
}

fn push_capped<T>(rng: &mut Rng, v: &mut Vec<T>, x: T, cap: usize) {
    v.push(x);
    if v.len() > cap {
        let i = rng.below(v.len() as u64) as usize;
        v.swap_remove(i);
    }
}

// ----- the list of exports -----

/// Every operation: `interface.function` or `interface.resource.method`
/// as the WIT names it, `[drop]` for a resource's destructor, with its
/// weight.  [`the_table_is_the_wit`] checks it against `wit/ipc.wit`.
const OPS: &[(&str, u64)] = &[
    ("system.default-config", 1),
    ("system.kernel.create", 3),
    ("system.kernel.spawn", 6),
    ("system.kernel.now", 1),
    ("system.kernel.advance", 6),
    ("system.kernel.events", 2),
    ("system.kernel.woken", 2),
    ("system.kernel.next-deadline", 1),
    ("system.kernel.set-project-limit", 2),
    ("system.kernel.set-zone-limit", 2),
    ("system.kernel.set-step-recording", 1),
    ("system.kernel.zone-remove", 2),
    ("system.kernel.snapshot", 2),
    ("system.kernel.restore", 5),
    ("system.kernel.checkpoint", 2),
    ("system.kernel.rewind", 3),
    ("system.kernel.[drop]", 1),
    ("system.checkpoint.size", 1),
    ("system.checkpoint.[drop]", 1),
    ("system.process.pid", 1),
    ("system.process.main-thread", 2),
    ("system.process.thread-create", 4),
    ("system.process.fork", 4),
    ("system.process.exec", 2),
    ("system.process.exit", 3),
    ("system.process.[drop]", 2),
    ("system.thread.tid", 1),
    ("system.thread.pid", 1),
    ("system.thread.take-result", 8),
    ("system.thread.interrupt", 5),
    ("system.thread.[drop]", 2),
    ("msg.msgget", 8),
    ("msg.msgsnd", 10),
    ("msg.msgrcv", 10),
    ("msg.msgctl-stat", 2),
    ("msg.msgctl-set", 2),
    ("msg.msgctl-rmid", 3),
    ("msg.msgctl", 3),
    ("msg.msgids", 1),
    ("msg.batch", 8),
    ("sem.semget", 8),
    ("sem.semop", 10),
    ("sem.semop1", 6),
    ("sem.semctl-getval", 2),
    ("sem.semctl-getpid", 1),
    ("sem.semctl-getncnt", 1),
    ("sem.semctl-getzcnt", 1),
    ("sem.semctl-getall", 2),
    ("sem.semctl-setval", 3),
    ("sem.semctl-setall", 2),
    ("sem.semctl-stat", 2),
    ("sem.semctl-set", 2),
    ("sem.semctl-rmid", 3),
    ("sem.semctl", 4),
    ("sem.semids", 1),
    ("shm.shmget", 6),
    ("shm.shmat", 6),
    ("shm.shmdt", 4),
    ("shm.shmctl-stat", 2),
    ("shm.shmctl-set", 2),
    ("shm.shmctl-rmid", 3),
    ("shm.shmctl-lock", 2),
    ("shm.shmctl", 3),
    ("shm.shmids", 1),
    ("shm.read", 5),
    ("shm.write", 5),
    ("shm.set-tunable", 2),
    ("fd.pipe", 5),
    ("fd.read", 6),
    ("fd.write", 6),
    ("fd.close", 4),
    ("port.port-create", 4),
    ("port.port-send", 5),
    ("port.port-sendn", 3),
    ("port.port-alert", 3),
    ("port.port-associate", 5),
    ("port.port-dissociate", 3),
    ("port.port-getn", 5),
    ("port.port-get", 5),
    ("port.timer-create", 3),
    ("port.timer-settime", 4),
    ("port.timer-delete", 2),
    ("psem.sem-open", 6),
    ("psem.sem-init", 3),
    ("psem.sem-close", 3),
    ("psem.sem-unlink", 3),
    ("psem.sem-destroy", 2),
    ("psem.sem-post", 5),
    ("psem.sem-wait", 5),
    ("psem.sem-trywait", 3),
    ("psem.sem-timedwait", 4),
    ("psem.sem-getvalue", 2),
    ("inspect.namespace", 1),
    ("inspect.msg-queues", 1),
    ("inspect.sem-sets", 1),
    ("inspect.ports", 1),
    ("inspect.pipes", 1),
    ("inspect.fd-tables", 1),
    ("inspect.shm", 1),
    ("inspect.psem", 1),
    ("inspect.processes", 1),
    ("inspect.deadlock", 1),
    ("inspect.explain", 1),
    ("inspect.scene", 2),
];

/// The kinds of `msg.batch` operation (the `op` variant), which must all
/// run too.
const BATCH_OPS: [&str; 14] = [
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl-stat",
    "semop",
    "semop1",
    "sem-post",
    "sem-wait",
    "sem-trywait",
    "sem-getvalue",
    "shm-read",
    "shm-write",
    "port-send",
    "port-getn",
];

/// The functions the `kernel` world exports, read from the WIT: every
/// `name: func` / `name: static func` of every exported interface, as
/// `interface.name` or `interface.resource.name`.
fn wit_exports() -> BTreeSet<String> {
    let world = WIT.split("world kernel {").nth(1).expect("world kernel in wit/ipc.wit");
    let exported: BTreeSet<&str> =
        world.lines().filter_map(|l| l.trim().strip_prefix("export ")).map(|l| l.trim_end_matches(';')).collect();
    let mut out = BTreeSet::new();
    let (mut iface, mut resource) = ("", None);
    for line in WIT.lines() {
        if let Some(rest) = line.strip_prefix("interface ") {
            iface = rest.trim_end_matches('{').trim();
            resource = None;
        } else if let Some(rest) = line.trim_start().strip_prefix("resource ") {
            resource = Some(rest.trim_end_matches('{').trim());
        } else if line == "    }" {
            resource = None;
        } else if (line.contains(": func(") || line.contains(": static func(")) && exported.contains(iface) {
            let name = line.trim().split(':').next().unwrap_or_default();
            out.insert(match resource {
                Some(r) => format!("{iface}.{r}.{name}"),
                None => format!("{iface}.{name}"),
            });
        }
    }
    out
}

/// The table names every exported function once (and only those, plus the
/// four destructors).
#[test]
fn the_table_is_the_wit() {
    let wit = wit_exports();
    assert!(wit.len() >= 90, "the WIT parser found only {} functions: {wit:?}", wit.len());
    let table: BTreeSet<String> = OPS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(table.len(), OPS.len(), "a name appears twice in OPS");
    let drops: BTreeSet<String> =
        ["system.kernel.[drop]", "system.process.[drop]", "system.thread.[drop]", "system.checkpoint.[drop]"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let missing: Vec<_> = wit.difference(&table).collect();
    let unknown: Vec<_> = table.difference(&wit).filter(|n| !drops.contains(*n)).collect();
    assert!(missing.is_empty(), "exports of wit/ipc.wit the fuzzer does not call: {missing:?}");
    assert!(unknown.is_empty(), "OPS names that are not exports of wit/ipc.wit: {unknown:?}");
}

// ----- handles -----

/// A process handle the fuzzer holds.
#[derive(Clone, Copy)]
struct P {
    h: ResourceAny,
    pid: u32,
    /// Of the second kernel.
    foreign: bool,
}

/// A thread handle the fuzzer holds.
#[derive(Clone, Copy)]
struct T {
    h: ResourceAny,
    pid: u32,
    tid: u32,
    foreign: bool,
    /// Last seen parked or holding an untaken result (refreshed from
    /// `inspect.processes` every few calls).
    parked: bool,
    /// Its thread no longer exists (exit, or a restore).
    gone: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Kernel,
    Process,
    Thread,
    Checkpoint,
}

/// A handle passed to a call: `bad` when the host must refuse it (dropped,
/// or of another resource type).
#[derive(Clone, Copy, Debug)]
struct Pick {
    h: ResourceAny,
    bad: bool,
    /// Its index in the thread pool (to note that it parked).
    idx: Option<usize>,
}

/// What a restore is expected to do.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    Ok,
    Refused,
    Either,
}

/// A call, checked: `$args` is formatted only if it trapped.
macro_rules! call {
    ($fz:ident, $name:literal, $bad:expr, [$($args:tt)*], |$w:ident, $s:ident| $body:expr) => {{
        let $w = &$fz.lab.world;
        let $s = &mut $fz.lab.store;
        let r = $body;
        $fz.done($name, $bad, r, || format!($($args)*))
    }};
}

struct Fuzz {
    lab: Lab,
    rng: Rng,
    seed: u64,
    /// The second kernel of the instance (the first is `lab.kernel`).
    other: ResourceAny,
    default_cfg: Config,
    procs: Vec<P>,
    threads: Vec<T>,
    dropped: Vec<(ResourceAny, Kind)>,
    exited: BTreeSet<u32>,
    msq: Vec<i32>,
    sems: Vec<i32>,
    shms: Vec<i32>,
    /// Per-process values, with the pid of the thread that got them.
    addrs: Vec<(u32, u64)>,
    psems: Vec<(u32, u32)>,
    fds: Vec<(u32, i32)>,
    ports: Vec<(u32, i32)>,
    timers: Vec<(u32, u32)>,
    /// The pid of the thread the current call goes through.
    cur: u32,
    uids: Vec<u32>,
    snaps: Vec<String>,
    /// Live checkpoints, each with the snapshot of the kernel it copied,
    /// taken when it was made.
    cps: Vec<(ResourceAny, String)>,
    /// Rewinds whose result was compared with the checkpoint's snapshot.
    rewound: u64,
    /// The first kernel's initial state.
    base: String,
    // tallies
    calls: u64,
    traps: u64,
    refused: u64,
    errnos: u64,
    by_errno: BTreeMap<&'static str, u64>,
    parked: u64,
    counts: BTreeMap<&'static str, u64>,
    batch_kinds: BTreeSet<&'static str>,
    restores: BTreeMap<&'static str, (u64, u64)>,
    probes: u64,
}

impl Fuzz {
    fn new(seed: u64) -> Fuzz {
        let mut lab = Lab::new_with(watch_memory);
        let default_cfg = lab.default_config();
        let other = lab.create(&default_cfg).expect("a second kernel in the instance");
        let mut fz = Fuzz {
            lab,
            rng: Rng(seed),
            seed,
            other,
            default_cfg,
            procs: Vec::new(),
            threads: Vec::new(),
            dropped: Vec::new(),
            exited: BTreeSet::new(),
            msq: Vec::new(),
            sems: Vec::new(),
            shms: Vec::new(),
            addrs: Vec::new(),
            psems: Vec::new(),
            fds: Vec::new(),
            ports: Vec::new(),
            timers: Vec::new(),
            cur: 0,
            uids: vec![0, 100, 200, 300],
            snaps: Vec::new(),
            cps: Vec::new(),
            rewound: 0,
            base: String::new(),
            calls: 0,
            traps: 0,
            refused: 0,
            errnos: 0,
            by_errno: BTreeMap::new(),
            parked: 0,
            counts: BTreeMap::new(),
            batch_kinds: BTreeSet::new(),
            restores: BTreeMap::new(),
            probes: 0,
        };
        // Three processes in the first kernel (one privileged), one in the second.
        for cred in [user(100, 10), user(200, 20), root()] {
            let k = fz.lab.kernel;
            fz.spawn_into(k, false, &cred, 0, 1);
        }
        let other = fz.other;
        fz.spawn_into(other, true, &user(100, 10), 0, 1);
        fz.base = fz.lab.snapshot();
        fz
    }

    /// Checks one call's wasmtime-level result: a value, or — only for a
    /// handle the host must refuse — a host error that is not a trap.
    fn done<R>(
        &mut self,
        name: &'static str,
        bad: bool,
        r: wasmtime::Result<R>,
        args: impl FnOnce() -> String,
    ) -> Option<R> {
        self.calls += 1;
        *self.counts.entry(name).or_default() += 1;
        match r {
            Ok(v) => {
                assert!(
                    !bad,
                    "component fuzz (seed {:#x}, call {}): {name} accepted a dropped or mistyped handle: {}",
                    self.seed,
                    self.calls,
                    args()
                );
                Some(v)
            }
            Err(e) if bad && e.downcast_ref::<wasmtime::Trap>().is_none() => {
                self.refused += 1;
                None
            }
            Err(e) => {
                self.traps += 1;
                panic!(
                    "component fuzz (seed {:#x}, call {}): the component trapped in {name}({}): {e:?}",
                    self.seed,
                    self.calls,
                    args()
                )
            }
        }
    }

    /// Counts a WIT-level result.
    fn tally<V>(&mut self, r: &Option<Result<V, Errno>>) {
        if let Some(Err(e)) = r {
            self.errnos += 1;
            *self.by_errno.entry(e.name()).or_default() += 1;
        }
    }

    fn park(&mut self, idx: Option<usize>) {
        self.parked += 1;
        if let Some(t) = idx.and_then(|i| self.threads.get_mut(i)) {
            t.parked = true;
        }
    }

    // ----- handle choice -----

    fn dropped_of(&mut self, kind: Kind) -> Option<ResourceAny> {
        let of: Vec<ResourceAny> = self.dropped.iter().filter(|(_, k)| *k == kind).map(|(h, _)| *h).collect();
        self.rng.pick(&of)
    }

    /// A handle of another type than `kind` (live: the host must refuse it anyway).
    fn mistyped(&mut self, kind: Kind) -> ResourceAny {
        let k = self.lab.kernel;
        let p = self.rng.pick(&self.procs).map(|p| p.h).unwrap_or(k);
        let t = self.rng.pick(&self.threads).map(|t| t.h).unwrap_or(k);
        match kind {
            Kind::Thread => [p, k][self.rng.below(2) as usize],
            Kind::Process => [t, k][self.rng.below(2) as usize],
            Kind::Kernel => [t, p][self.rng.below(2) as usize],
            Kind::Checkpoint => [t, p, k][self.rng.below(3) as usize],
        }
    }

    /// A thread: mostly a runnable one of the first kernel; sometimes one
    /// of the second kernel, of an exited process, parked, dropped or mistyped.
    fn thread(&mut self) -> Pick {
        let r = self.rng.below(100);
        if r < 3
            && let Some(h) = self.dropped_of(Kind::Thread)
        {
            self.cur = 0;
            return Pick { h, bad: true, idx: None };
        }
        if r == 3 {
            self.cur = 0;
            return Pick { h: self.mistyped(Kind::Thread), bad: true, idx: None };
        }
        let want = |t: &T| -> bool {
            match r {
                4..=8 => t.foreign,
                9..=12 => !t.foreign && t.gone,
                13..=18 => true,
                _ => !t.foreign && !t.parked && !t.gone,
            }
        };
        let cands: Vec<usize> = (0..self.threads.len()).filter(|&i| want(&self.threads[i])).collect();
        let i = match self.rng.pick(&cands) {
            Some(i) => i,
            None => self.rng.below(self.threads.len() as u64) as usize,
        };
        self.cur = self.threads[i].pid;
        Pick { h: self.threads[i].h, bad: false, idx: Some(i) }
    }

    fn process(&mut self) -> Pick {
        let r = self.rng.below(100);
        if r < 3
            && let Some(h) = self.dropped_of(Kind::Process)
        {
            return Pick { h, bad: true, idx: None };
        }
        if r == 3 {
            return Pick { h: self.mistyped(Kind::Process), bad: true, idx: None };
        }
        let want = |p: &P, exited: &BTreeSet<u32>| -> bool {
            match r {
                4..=10 => p.foreign,
                11..=16 => !p.foreign && exited.contains(&p.pid),
                _ => !p.foreign && !exited.contains(&p.pid),
            }
        };
        let cands: Vec<usize> = (0..self.procs.len()).filter(|&i| want(&self.procs[i], &self.exited)).collect();
        let i = match self.rng.pick(&cands) {
            Some(i) => i,
            None => self.rng.below(self.procs.len() as u64) as usize,
        };
        Pick { h: self.procs[i].h, bad: false, idx: Some(i) }
    }

    /// A checkpoint: mostly a live one (its index in `cps`); sometimes a
    /// dropped or mistyped handle.
    fn checkpoint(&mut self) -> Pick {
        let r = self.rng.below(100);
        if r < 5
            && let Some(h) = self.dropped_of(Kind::Checkpoint)
        {
            return Pick { h, bad: true, idx: None };
        }
        if r == 5 || self.cps.is_empty() {
            return Pick { h: self.mistyped(Kind::Checkpoint), bad: true, idx: None };
        }
        let i = self.rng.below(self.cps.len() as u64) as usize;
        Pick { h: self.cps[i].0, bad: false, idx: Some(i) }
    }

    fn kernel(&mut self) -> Pick {
        match self.rng.below(100) {
            0..=2 => match self.dropped_of(Kind::Kernel) {
                Some(h) => Pick { h, bad: true, idx: None },
                None => Pick { h: self.lab.kernel, bad: false, idx: None },
            },
            3 => Pick { h: self.mistyped(Kind::Kernel), bad: true, idx: None },
            4..=15 => Pick { h: self.other, bad: false, idx: None },
            _ => Pick { h: self.lab.kernel, bad: false, idx: None },
        }
    }

    // ----- bookkeeping of new handles -----

    fn add_process(&mut self, h: ResourceAny, foreign: bool) {
        let pid =
            call!(self, "system.process.pid", false, ["{h:?}"], |w, s| w.ipclab_ipc_system().process().call_pid(s, h))
                .unwrap_or_default();
        let t = call!(self, "system.process.main-thread", false, ["{h:?}"], |w, s| w
            .ipclab_ipc_system()
            .process()
            .call_main_thread(s, h));
        if let Some(t) = t {
            self.add_thread(t, foreign);
        }
        self.procs.push(P { h, pid, foreign });
        if self.procs.len() > 40 {
            let i = self.rng.below(self.procs.len() as u64) as usize;
            let p = self.procs.swap_remove(i);
            self.drop_handle(p.h, Kind::Process);
        }
    }

    fn add_thread(&mut self, h: ResourceAny, foreign: bool) {
        let tid =
            call!(self, "system.thread.tid", false, ["{h:?}"], |w, s| w.ipclab_ipc_system().thread().call_tid(s, h))
                .unwrap_or_default();
        let pid =
            call!(self, "system.thread.pid", false, ["{h:?}"], |w, s| w.ipclab_ipc_system().thread().call_pid(s, h))
                .unwrap_or_default();
        self.threads.push(T { h, pid, tid, foreign, parked: false, gone: tid == 0 });
        if self.threads.len() > 80 {
            let i = self.rng.below(self.threads.len() as u64) as usize;
            let t = self.threads.swap_remove(i);
            self.drop_handle(t.h, Kind::Thread);
        }
    }

    fn drop_handle(&mut self, h: ResourceAny, kind: Kind) {
        let r = h.resource_drop(&mut self.lab.store);
        match kind {
            Kind::Kernel => self.done("system.kernel.[drop]", false, r, || format!("{h:?}")),
            Kind::Process => self.done("system.process.[drop]", false, r, || format!("{h:?}")),
            Kind::Thread => self.done("system.thread.[drop]", false, r, || format!("{h:?}")),
            Kind::Checkpoint => self.done("system.checkpoint.[drop]", false, r, || format!("{h:?}")),
        };
        push_capped(&mut self.rng, &mut self.dropped, (h, kind), 24);
    }

    fn spawn_into(&mut self, k: ResourceAny, foreign: bool, cred: &Credentials, zone: u32, project: u32) {
        let r = call!(self, "system.kernel.spawn", false, ["{k:?} {cred:?} zone {zone} project {project}"], |w, s| w
            .ipclab_ipc_system()
            .kernel()
            .call_spawn(s, k, cred, zone, project));
        self.tally(&r);
        if let Some(Ok(p)) = r {
            self.add_process(p, foreign);
        }
    }

    /// What the fuzzer knows of the first kernel's processes and threads,
    /// from `inspect.processes`: which exist, which are parked or hold a
    /// result.
    fn refresh(&mut self) {
        let k = self.lab.kernel;
        let Some(view) =
            call!(self, "inspect.processes", false, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_processes(s, k))
        else {
            return;
        };
        let pids: BTreeSet<u32> = view.iter().map(|p| p.pid).collect();
        let busy: BTreeMap<u32, bool> = view
            .iter()
            .flat_map(|p| p.threads.iter().map(|t| (t.tid, !matches!(t.state, ThreadState::Runnable))))
            .collect();
        self.exited = self.procs.iter().filter(|p| !p.foreign && !pids.contains(&p.pid)).map(|p| p.pid).collect();
        for t in self.threads.iter_mut().filter(|t| !t.foreign) {
            t.gone = !busy.contains_key(&t.tid);
            t.parked = busy.get(&t.tid).copied().unwrap_or(false);
        }
    }

    fn live_procs(&self) -> usize {
        self.procs.iter().filter(|p| !p.foreign && !self.exited.contains(&p.pid)).count()
    }

    // ----- argument helpers -----

    fn cred(&mut self) -> Credentials {
        let uids = self.uids.clone();
        let mut c = user(self.rng.uid(&uids), self.rng.uid(&[0, 10, 20, 30]));
        if self.rng.chance(15) {
            c.euid = self.rng.uid(&uids);
            c.egid = self.rng.uid(&[0, 10, 20]);
        }
        if self.rng.chance(20) {
            let n = match self.rng.below(20) {
                0 => 65 + self.rng.below(2) as usize,
                1 => 100_000,
                _ => self.rng.below(5) as usize,
            };
            c.groups = (0..n).map(|_| self.rng.uid(&[0, 10, 20, 30])).collect();
        }
        c.privileged = self.rng.chance(15);
        c
    }

    fn key(&mut self) -> i32 {
        match self.rng.below(10) {
            0 => IPC_PRIVATE,
            1 => self.rng.i32_any(),
            _ => 1 + self.rng.below(12) as i32,
        }
    }

    /// A get flag: mode bits, usually IPC_CREAT, sometimes IPC_EXCL or
    /// `extra`; sometimes anything.
    fn get_flags(&mut self, extra: i32) -> i32 {
        if self.rng.chance(6) {
            return self.rng.i32_any();
        }
        let mut f = [0o600, 0o666, 0o644, 0o400, 0o200, 0, 0o777][self.rng.below(7) as usize];
        if self.rng.chance(70) {
            f |= IPC_CREAT;
        }
        if self.rng.chance(10) {
            f |= IPC_EXCL;
        }
        if self.rng.chance(15) {
            f |= extra;
        }
        f
    }

    fn op_flags(&mut self, bits: &[i32]) -> i32 {
        if self.rng.chance(6) {
            return self.rng.i32_any();
        }
        bits.iter().fold(0, |f, b| if self.rng.chance(40) { f | b } else { f })
    }

    fn timeout_ns(&mut self) -> Option<u64> {
        match self.rng.below(10) {
            0..=5 => None,
            6..=8 => Some(self.rng.below(10_000)),
            _ => Some(self.rng.u64_any()),
        }
    }

    fn msqid(&mut self) -> i32 {
        self.rng.id(&self.msq.clone())
    }
    fn semid(&mut self) -> i32 {
        self.rng.id(&self.sems.clone())
    }
    fn shmid(&mut self) -> i32 {
        self.rng.id(&self.shms.clone())
    }
    fn fd(&mut self) -> i32 {
        let known = owned(&mut self.rng, self.cur, &self.fds);
        self.rng.id_or(known)
    }
    fn port_fd(&mut self) -> i32 {
        if self.rng.chance(75) {
            let known = owned(&mut self.rng, self.cur, &self.ports);
            self.rng.id_or(known)
        } else {
            self.fd()
        }
    }
    fn psem_id(&mut self) -> u32 {
        match owned(&mut self.rng, self.cur, &self.psems) {
            Some(id) if !self.rng.chance(10) => id,
            _ if self.rng.chance(50) => self.rng.below(40) as u32,
            _ => self.rng.u32_any(),
        }
    }
    fn timer(&mut self) -> u32 {
        match owned(&mut self.rng, self.cur, &self.timers) {
            Some(id) if !self.rng.chance(10) => id,
            _ => self.rng.u32_any(),
        }
    }
    fn addr(&mut self) -> u64 {
        match owned(&mut self.rng, self.cur, &self.addrs) {
            Some(a) if self.rng.chance(85) => a.wrapping_add(match self.rng.below(4) {
                0 => 0,
                1 => self.rng.below(64),
                2 => self.rng.below(3 * PAGE),
                _ => self.rng.u64_any(),
            }),
            _ => match self.rng.below(3) {
                0 => SHM_VA_BASE + self.rng.below(64) * PAGE,
                1 => self.rng.below(1 << 20),
                _ => self.rng.u64_any(),
            },
        }
    }
    fn u16_small(&mut self, n: u64) -> u16 {
        if self.rng.chance(8) { self.rng.next() as u16 } else { self.rng.below(n) as u16 }
    }
    fn sembuf(&mut self) -> Sembuf {
        let sem_num = self.u16_small(4);
        let sem_op = if self.rng.chance(8) { self.rng.next() as i16 } else { self.rng.below(5) as i16 - 2 };
        let sem_flg = if self.rng.chance(6) {
            self.rng.next() as i16
        } else {
            [0, IPC_NOWAIT as i16, SEM_UNDO, IPC_NOWAIT as i16 | SEM_UNDO][self.rng.below(4) as usize]
        };
        Sembuf { sem_num, sem_op, sem_flg }
    }
    fn sops(&mut self) -> Vec<Sembuf> {
        let n = match self.rng.below(60) {
            0 => 4097,
            1 => 513,
            2 => self.rng.below(600) as usize,
            _ => self.rng.below(5) as usize,
        };
        (0..n).map(|_| self.sembuf()).collect()
    }
    fn semnum(&mut self) -> u32 {
        if self.rng.chance(8) { self.rng.u32_any() } else { self.rng.below(5) as u32 }
    }
    fn msqid_set(&mut self) -> MsqidSet {
        let uids = self.uids.clone();
        MsqidSet {
            uid: self.rng.uid(&uids),
            gid: self.rng.uid(&[0, 10, 20]),
            mode: if self.rng.chance(10) { self.rng.u32_any() } else { 0o600 | self.rng.below(0o200) as u32 },
            qbytes: if self.rng.chance(20) { self.rng.u64_any() } else { self.rng.below(70_000) },
        }
    }
    fn perm_set(&mut self) -> (u32, u32, u32) {
        let uids = self.uids.clone();
        let mode = if self.rng.chance(10) { self.rng.u32_any() } else { 0o600 | self.rng.below(0o200) as u32 };
        (self.rng.uid(&uids), self.rng.uid(&[0, 10, 20]), mode)
    }
    fn psem_name(&mut self) -> String {
        const PLAIN: [&str; 6] = ["/a", "/b", "/c", "/sem", "/x", "/0123456789abc"];
        const ODD: [&str; 12] = [
            "",
            "a",
            "/",
            "//",
            "/a/b",
            "/0123456789abcd",
            "/a\0tail",
            "\0",
            "/é",
            "/\u{10ffff}\u{10ffff}\u{10ffff}",
            "/\u{7f}\u{1}",
            "/a ",
        ];
        match self.rng.below(10) {
            0 => ODD[self.rng.below(ODD.len() as u64) as usize].to_string(),
            1 => {
                let n = self.rng.len();
                String::from_utf8_lossy(&self.rng.bytes(n)).into_owned()
            }
            _ => PLAIN[self.rng.below(PLAIN.len() as u64) as usize].to_string(),
        }
    }
    fn facility(&mut self) -> Facility {
        [Facility::Msg, Facility::Sem, Facility::Shm][self.rng.below(3) as usize]
    }
    fn data(&mut self) -> Vec<u8> {
        let n = self.rng.len();
        self.rng.bytes(n)
    }
    fn small_u32(&mut self, typical: u32) -> u32 {
        match self.rng.below(6) {
            0 => self.rng.u32_any(),
            1 => 0,
            _ => self.rng.below(u64::from(typical) * 2 + 1) as u32,
        }
    }

    /// A configuration: the defaults with a few fields changed, often to
    /// something invalid.
    fn config(&mut self) -> Config {
        let mut c = self.default_cfg;
        for _ in 0..self.rng.below(4) {
            match self.rng.below(22) {
                0 => c.seq_bits = self.small_u32(16),
                1 => c.ids_min = 1 << self.rng.below(18),
                2 => c.ids_min = self.small_u32(64),
                3 => c.msg.max_message_bytes = self.rng.u64_any(),
                4 => c.msg.max_queue_bytes = self.rng.u64_any(),
                5 => c.msg.max_queue_messages = self.rng.u64_any(),
                6 => c.msg.max_queues = self.small_u32(128),
                7 => c.sem.max_nsems = self.small_u32(512),
                8 => c.sem.max_ops = self.small_u32(512),
                9 => c.sem.value_max = self.small_u32(65_535),
                10 => c.sem.max_sets = self.small_u32(128),
                11 => c.psem.max_sems = self.small_u32(30),
                12 => c.psem.value_max = self.rng.u32_any(),
                13 => c.shm.shmmax = self.rng.u64_any(),
                14 => c.shm.shmmin = self.rng.u64_any(),
                15 => c.shm.shmmni = self.small_u32(128),
                16 => c.shm.shmseg = self.small_u32(128),
                17 => c.shm.shmall = self.rng.u64_any(),
                18 => c.fd.max_fds = self.small_u32(256),
                19 => c.fd.pipe_buf = self.small_u32(4096),
                20 => c.port.max_events = self.small_u32(64),
                _ => c.event_capacity = self.small_u32(4096),
            }
        }
        c
    }

    // ----- snapshots -----

    fn snapshot_of(&mut self, k: ResourceAny) -> String {
        call!(self, "system.kernel.snapshot", false, ["{k:?}"], |w, s| w
            .ipclab_ipc_system()
            .kernel()
            .call_snapshot(s, k))
        .unwrap_or_default()
    }

    /// A tampered copy of `snap`, what its restore must do, and the kind of tampering.
    fn tamper(&mut self, snap: &str) -> (String, Expect, &'static str) {
        let b = snap.as_bytes();
        let at = |rng: &mut Rng| rng.below(b.len() as u64 + 1) as usize;
        match self.rng.below(10) {
            0 => {
                let cut = at(&mut self.rng).min(b.len().saturating_sub(1));
                (String::from_utf8_lossy(&b[..cut]).into_owned(), Expect::Refused, "truncated")
            }
            1 => {
                let mut v = b.to_vec();
                for _ in 0..1 + self.rng.below(4) {
                    let i = self.rng.below(v.len() as u64) as usize;
                    v[i] = if self.rng.chance(50) {
                        b"0123456789{}[],:\"-ntf"[self.rng.below(21) as usize]
                    } else {
                        self.rng.next() as u8
                    };
                }
                (String::from_utf8_lossy(&v).into_owned(), Expect::Either, "bytes flipped")
            }
            2 => {
                let mut v = b.to_vec();
                let i = at(&mut self.rng);
                let n = 1 + self.rng.below(8) as usize;
                let ins = self.rng.bytes(n);
                v.splice(i..i, ins);
                (String::from_utf8_lossy(&v).into_owned(), Expect::Either, "bytes inserted")
            }
            3 | 4 => {
                let nums = number_spans(snap);
                if nums.len() < 2 {
                    return (snap.replacen('{', "[", 1), Expect::Refused, "brace");
                }
                let (i, j) = (self.rng.below(nums.len() as u64) as usize, self.rng.below(nums.len() as u64) as usize);
                let (a, bb) = (nums[i.min(j)], nums[i.max(j)]);
                if self.rng.chance(50) && a != bb {
                    let mut s = String::with_capacity(snap.len());
                    s.push_str(&snap[..a.0]);
                    s.push_str(&snap[bb.0..bb.1]);
                    s.push_str(&snap[a.1..bb.0]);
                    s.push_str(&snap[a.0..a.1]);
                    s.push_str(&snap[bb.1..]);
                    (s, Expect::Either, "numbers swapped")
                } else {
                    let n = match self.rng.below(8) {
                        0 => "-1".to_string(),
                        1 => "18446744073709551616".to_string(),
                        2 => "1.5".to_string(),
                        3 => (self.rng.u64_any()).to_string(),
                        4 => u32::MAX.to_string(),
                        _ => self.rng.below(300).to_string(),
                    };
                    (format!("{}{n}{}", &snap[..a.0], &snap[a.1..]), Expect::Either, "number replaced")
                }
            }
            5..=7 => match serde_json::from_str::<Value>(snap) {
                Ok(mut v) => {
                    mutate_json(&mut self.rng, &mut v);
                    (v.to_string(), Expect::Either, "json node mutated")
                }
                Err(_) => (String::new(), Expect::Refused, "empty"),
            },
            8 => {
                let bad = [
                    ("\"seq_bits\":7", "\"seq_bits\":0"),
                    ("\"seq_bits\":7", "\"seq_bits\":31"),
                    ("\"event_capacity\":4096", "\"event_capacity\":0"),
                    ("\"event_capacity\":4096", "\"event_capacity\":4294967296"),
                    ("\"ids_min\":64", "\"ids_min\":3"),
                    ("\"max_fds\":256", "\"max_fds\":2"),
                ];
                let (from, to) = bad[self.rng.below(bad.len() as u64) as usize];
                if snap.contains(from) {
                    (snap.replacen(from, to, 1), Expect::Refused, "inconsistent config")
                } else {
                    (format!("{snap}x"), Expect::Refused, "trailing garbage")
                }
            }
            _ => {
                let junk = ["", "null", "{}", "[]", "\"x\"", "0", "{\"config\":{}}", "\u{feff}{"];
                (junk[self.rng.below(junk.len() as u64) as usize].to_string(), Expect::Refused, "garbage")
            }
        }
    }

    // ----- the operations -----

    fn step(&mut self) {
        let total: u64 = OPS.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.below(total);
        let mut name = OPS[0].0;
        for (n, w) in OPS {
            if r < *w {
                name = n;
                break;
            }
            r -= w;
        }
        self.op(name);
    }

    fn op(&mut self, name: &str) {
        match name {
            "system.default-config" => {
                call!(self, "system.default-config", false, [""], |w, s| w.ipclab_ipc_system().call_default_config(s));
            }
            "system.kernel.create" => {
                let cfg = self.config();
                let r = call!(self, "system.kernel.create", false, ["{cfg:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_create(s, cfg));
                self.tally(&r);
                if let Some(Ok(k)) = r {
                    let cred = self.cred();
                    self.spawn_into(k, true, &cred, 0, 1);
                    if self.rng.chance(50) {
                        // The new kernel becomes the second one.
                        let old = std::mem::replace(&mut self.other, k);
                        self.drop_handle(old, Kind::Kernel);
                    } else {
                        self.drop_handle(k, Kind::Kernel);
                    }
                }
            }
            "system.kernel.spawn" => {
                let k = self.kernel();
                let cred = self.cred();
                let zone = if self.rng.chance(80) { self.rng.below(4) as u32 } else { self.rng.u32_any() };
                let project = if self.rng.chance(80) { self.rng.below(4) as u32 } else { self.rng.u32_any() };
                let r = call!(self, "system.kernel.spawn", k.bad, ["{k:?} {cred:?} {zone} {project}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_spawn(s, k.h, &cred, zone, project));
                self.tally(&r);
                if let Some(Ok(p)) = r {
                    let foreign = k.h != self.lab.kernel;
                    self.add_process(p, foreign);
                }
            }
            "system.kernel.now" => {
                let k = self.kernel();
                call!(self, "system.kernel.now", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_now(s, k.h));
            }
            "system.kernel.advance" => {
                let k = self.kernel();
                let ns = match self.rng.below(400) {
                    0 => u64::MAX,
                    1..=20 => self.rng.u64_any() >> 20,
                    21..=100 => self.rng.below(2_000_000_000),
                    _ => self.rng.below(20_000),
                };
                call!(self, "system.kernel.advance", k.bad, ["{k:?} {ns}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_advance(s, k.h, ns));
            }
            "system.kernel.events" => {
                let k = self.kernel();
                let cursor = match self.rng.below(4) {
                    0 => 0,
                    1 => self.rng.u64_any(),
                    _ => self.calls.saturating_sub(self.rng.below(200)),
                };
                call!(self, "system.kernel.events", k.bad, ["{k:?} {cursor}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_events(s, k.h, cursor));
            }
            "system.kernel.woken" => {
                let k = self.kernel();
                let cursor = match self.rng.below(4) {
                    0 => 0,
                    1 => self.rng.u64_any(),
                    _ => self.calls.saturating_sub(self.rng.below(200)),
                };
                call!(self, "system.kernel.woken", k.bad, ["{k:?} {cursor}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_woken(s, k.h, cursor));
            }
            "system.kernel.next-deadline" => {
                let k = self.kernel();
                call!(self, "system.kernel.next-deadline", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_next_deadline(s, k.h));
            }
            "system.kernel.set-project-limit" => {
                let k = self.kernel();
                let project = if self.rng.chance(85) { self.rng.below(4) as u32 } else { self.rng.u32_any() };
                let f = self.facility();
                let max = if self.rng.chance(80) { 4 + self.rng.below(200) as u32 } else { self.rng.u32_any() };
                call!(self, "system.kernel.set-project-limit", k.bad, ["{k:?} {project} {f:?} {max}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_set_project_limit(s, k.h, project, f, max));
            }
            "system.kernel.set-zone-limit" => {
                let k = self.kernel();
                let zone = if self.rng.chance(85) { self.rng.below(4) as u32 } else { self.rng.u32_any() };
                let f = self.facility();
                let max = if self.rng.chance(80) { 4 + self.rng.below(200) as u32 } else { self.rng.u32_any() };
                let r = call!(self, "system.kernel.set-zone-limit", k.bad, ["{k:?} {zone} {f:?} {max}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_set_zone_limit(s, k.h, zone, f, max));
                self.tally(&r);
            }
            "system.kernel.set-step-recording" => {
                let k = self.kernel();
                let on = self.rng.chance(70);
                call!(self, "system.kernel.set-step-recording", k.bad, ["{k:?} {on}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_set_step_recording(s, k.h, on));
            }
            "system.kernel.zone-remove" => {
                let k = self.kernel();
                let zone = if self.rng.chance(85) { self.rng.below(4) as u32 } else { self.rng.u32_any() };
                let r = call!(self, "system.kernel.zone-remove", k.bad, ["{k:?} {zone}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_zone_remove(s, k.h, zone));
                self.tally(&r);
            }
            "system.kernel.snapshot" => {
                let k = self.kernel();
                let snap = call!(self, "system.kernel.snapshot", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_snapshot(s, k.h));
                if let Some(snap) = snap
                    && k.h == self.lab.kernel
                {
                    push_capped(&mut self.rng, &mut self.snaps, snap, 3);
                }
            }
            "system.kernel.restore" => self.restore(),
            "system.kernel.checkpoint" => {
                let k = self.kernel();
                let cp = call!(self, "system.kernel.checkpoint", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .kernel()
                    .call_checkpoint(s, k.h));
                if let Some(cp) = cp {
                    let snap = self.snapshot_of(k.h);
                    self.cps.push((cp, snap));
                    if self.cps.len() > 3 {
                        let (old, _) = self.cps.remove(self.rng.below(self.cps.len() as u64) as usize);
                        self.drop_handle(old, Kind::Checkpoint);
                    }
                }
            }
            "system.kernel.rewind" => self.rewind(),
            "system.checkpoint.size" => {
                let c = self.checkpoint();
                let n = call!(self, "system.checkpoint.size", c.bad, ["{c:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .checkpoint()
                    .call_size(s, c.h));
                if let (Some(n), Some(i)) = (n, c.idx) {
                    assert_eq!(n, self.cps[i].1.len() as u64, "a checkpoint's size is its snapshot's length");
                }
            }
            "system.checkpoint.[drop]" => {
                if (self.rng.chance(20) || self.cps.is_empty())
                    && let Some(h) = self.dropped_of(Kind::Checkpoint)
                {
                    let r = h.resource_drop(&mut self.lab.store);
                    self.done("system.checkpoint.[drop]", true, r, || format!("{h:?} again"));
                    return;
                }
                if !self.cps.is_empty() {
                    let (old, _) = self.cps.remove(self.rng.below(self.cps.len() as u64) as usize);
                    self.drop_handle(old, Kind::Checkpoint);
                }
            }
            "system.kernel.[drop]" => {
                // The second kernel's handle goes (its processes keep it
                // alive); a new one takes its place.  Sometimes a dropped
                // one is dropped again.
                if self.rng.chance(15)
                    && let Some(h) = self.dropped_of(Kind::Kernel)
                {
                    let r = h.resource_drop(&mut self.lab.store);
                    self.done("system.kernel.[drop]", true, r, || format!("{h:?} again"));
                    return;
                }
                let cfg = self.default_cfg;
                let new = self.lab.create(&cfg).expect("a default kernel");
                let old = std::mem::replace(&mut self.other, new);
                self.drop_handle(old, Kind::Kernel);
                let cred = self.cred();
                self.spawn_into(new, true, &cred, 0, 1);
            }
            "system.process.pid" => {
                let p = self.process();
                call!(self, "system.process.pid", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_pid(s, p.h));
            }
            "system.process.main-thread" => {
                let p = self.process();
                let t = call!(self, "system.process.main-thread", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_main_thread(s, p.h));
                if let (Some(t), Some(i)) = (t, p.idx) {
                    let foreign = self.procs[i].foreign;
                    self.add_thread(t, foreign);
                }
            }
            "system.process.thread-create" => {
                let p = self.process();
                let r = call!(self, "system.process.thread-create", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_thread_create(s, p.h));
                self.tally(&r);
                if let (Some(Ok(t)), Some(i)) = (r, p.idx) {
                    let foreign = self.procs[i].foreign;
                    self.add_thread(t, foreign);
                }
            }
            "system.process.fork" => {
                let p = self.process();
                let r = call!(self, "system.process.fork", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_fork(s, p.h));
                self.tally(&r);
                if let (Some(Ok(c)), Some(i)) = (r, p.idx) {
                    let foreign = self.procs[i].foreign;
                    self.add_process(c, foreign);
                }
            }
            "system.process.exec" => {
                let p = self.process();
                let r = call!(self, "system.process.exec", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_exec(s, p.h));
                self.tally(&r);
            }
            "system.process.exit" => {
                let p = self.process();
                // Keep a few processes of the first kernel running.
                if p.idx.is_some_and(|i| !self.procs[i].foreign) && self.live_procs() <= 2 {
                    return;
                }
                let r = call!(self, "system.process.exit", p.bad, ["{p:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .process()
                    .call_exit(s, p.h));
                self.tally(&r);
                if let (Some(Ok(())), Some(i)) = (r, p.idx)
                    && !self.procs[i].foreign
                {
                    let pid = self.procs[i].pid;
                    self.exited.insert(pid);
                    for t in self.threads.iter_mut().filter(|t| !t.foreign && t.pid == pid) {
                        t.gone = true;
                    }
                }
            }
            "system.process.[drop]" => {
                if self.rng.chance(15)
                    && let Some(h) = self.dropped_of(Kind::Process)
                {
                    let r = h.resource_drop(&mut self.lab.store);
                    self.done("system.process.[drop]", true, r, || format!("{h:?} again"));
                    return;
                }
                if self.procs.len() > 6 {
                    let i = self.rng.below(self.procs.len() as u64) as usize;
                    let p = self.procs.swap_remove(i);
                    self.drop_handle(p.h, Kind::Process);
                }
            }
            "system.thread.tid" => {
                let t = self.thread();
                call!(self, "system.thread.tid", t.bad, ["{t:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .thread()
                    .call_tid(s, t.h));
            }
            "system.thread.pid" => {
                let t = self.thread();
                call!(self, "system.thread.pid", t.bad, ["{t:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .thread()
                    .call_pid(s, t.h));
            }
            "system.thread.take-result" => {
                // Mostly a thread last seen parked.
                let parked: Vec<usize> = (0..self.threads.len()).filter(|&i| self.threads[i].parked).collect();
                let t = match self.rng.pick(&parked) {
                    Some(i) if self.rng.chance(70) => Pick { h: self.threads[i].h, bad: false, idx: Some(i) },
                    _ => self.thread(),
                };
                let r = call!(self, "system.thread.take-result", t.bad, ["{t:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .thread()
                    .call_take_result(s, t.h));
                self.tally(&r);
                if let (Some(r), Some(i)) = (r, t.idx)
                    && r != Err(Errno::Eagain)
                {
                    self.threads[i].parked = false;
                }
            }
            "system.thread.interrupt" => {
                let parked: Vec<usize> = (0..self.threads.len()).filter(|&i| self.threads[i].parked).collect();
                let t = match self.rng.pick(&parked) {
                    Some(i) if self.rng.chance(60) => Pick { h: self.threads[i].h, bad: false, idx: Some(i) },
                    _ => self.thread(),
                };
                let r = call!(self, "system.thread.interrupt", t.bad, ["{t:?}"], |w, s| w
                    .ipclab_ipc_system()
                    .thread()
                    .call_interrupt(s, t.h));
                self.tally(&r);
            }
            "system.thread.[drop]" => {
                if self.rng.chance(15)
                    && let Some(h) = self.dropped_of(Kind::Thread)
                {
                    let r = h.resource_drop(&mut self.lab.store);
                    self.done("system.thread.[drop]", true, r, || format!("{h:?} again"));
                    return;
                }
                if self.threads.len() > 8 {
                    let i = self.rng.below(self.threads.len() as u64) as usize;
                    let t = self.threads.swap_remove(i);
                    self.drop_handle(t.h, Kind::Thread);
                }
            }
            n if n.starts_with("msg.") => self.op_msg(n),
            n if n.starts_with("sem.") => self.op_sem(n),
            n if n.starts_with("shm.") => self.op_shm(n),
            n if n.starts_with("fd.") || n.starts_with("port.") => self.op_port(n),
            n if n.starts_with("psem.") => self.op_psem(n),
            n if n.starts_with("inspect.") => self.op_inspect(n),
            other => panic!("no operation for {other}"),
        }
    }

    /// A scene window: plausible JSON (pages of any size, chosen pages far
    /// past the end, every facility), odd JSON, or bytes.
    fn scene_window(&mut self) -> String {
        const ODD: [&str; 8] = [
            "",
            "{}",
            "null",
            "[]",
            "{\"page_size\": -1}",
            "{\"facility\": \"Port\"}",
            "{\"slots\": {\"page\": 4294967295, \"focus\": 4294967295}}",
            "{\"page_size\": 1e99}",
        ];
        match self.rng.below(8) {
            0 => ODD[self.rng.below(ODD.len() as u64) as usize].to_string(),
            1 => {
                let n = self.rng.len();
                String::from_utf8_lossy(&self.rng.bytes(n)).into_owned()
            }
            _ => {
                let facility = ["Msg", "Sem", "Shm"][self.rng.below(3) as usize];
                let chosen = |rng: &mut Rng| {
                    if rng.chance(50) {
                        "null".to_string()
                    } else {
                        format!("{{\"page\": {}, \"focus\": {}}}", rng.u32_any(), rng.below(300))
                    }
                };
                let (slots, ids, queues) = (chosen(&mut self.rng), chosen(&mut self.rng), chosen(&mut self.rng));
                format!(
                    "{{\"page_size\": {}, \"slots\": {slots}, \"ids\": {ids}, \"queues\": {queues}, \"facility\": \"{facility}\", \"tree_whole_max\": {}, \"tree_levels\": {}}}",
                    self.rng.u32_any(),
                    self.rng.u32_any(),
                    self.rng.u32_any(),
                )
            }
        }
    }

    fn op_msg(&mut self, name: &str) {
        let t = self.thread();
        match name {
            "msg.msgget" => {
                let (key, flg) = (self.key(), self.get_flags(0));
                let r = call!(self, "msg.msgget", t.bad, ["{t:?} {key} {flg:#o}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgget(s, t.h, key, flg));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.msq, id, 48);
                }
            }
            "msg.msgsnd" => {
                let id = self.msqid();
                let mtype = if self.rng.chance(8) { self.rng.i64_any() } else { 1 + self.rng.below(5) as i64 };
                let data = self.data();
                let flg = if self.rng.chance(60) { IPC_NOWAIT } else { self.op_flags(&[IPC_NOWAIT, MSG_NOERROR]) };
                let to = self.timeout_ns();
                let r = call!(
                    self,
                    "msg.msgsnd",
                    t.bad,
                    ["{t:?} {id} {mtype} len {} {flg:#o} {to:?}", data.len()],
                    |w, s| w.ipclab_ipc_msg().call_msgsnd(s, t.h, id, mtype, &data, flg, to)
                );
                self.tally(&r);
                if let Some(Ok(SendOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "msg.msgrcv" => {
                let id = self.msqid();
                let sz = if self.rng.chance(10) { self.rng.u64_any() } else { self.rng.below(128) };
                let typ = if self.rng.chance(10) { self.rng.i64_any() } else { self.rng.below(11) as i64 - 5 };
                let flg = if self.rng.chance(50) { IPC_NOWAIT } else { self.op_flags(&[IPC_NOWAIT, MSG_NOERROR]) };
                let to = self.timeout_ns();
                let r = call!(self, "msg.msgrcv", t.bad, ["{t:?} {id} {sz} {typ} {flg:#o} {to:?}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgrcv(s, t.h, id, sz, typ, flg, to));
                self.tally(&r);
                if let Some(Ok(RecvOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "msg.msgctl-stat" => {
                let id = self.msqid();
                let r = call!(self, "msg.msgctl-stat", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgctl_stat(s, t.h, id));
                self.tally(&r);
            }
            "msg.msgctl-set" => {
                let (id, buf) = (self.msqid(), self.msqid_set());
                let r = call!(self, "msg.msgctl-set", t.bad, ["{t:?} {id} {buf:?}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgctl_set(s, t.h, id, buf));
                self.tally(&r);
            }
            "msg.msgctl-rmid" => {
                let id = self.msqid();
                let r = call!(self, "msg.msgctl-rmid", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgctl_rmid(s, t.h, id));
                self.tally(&r);
            }
            "msg.msgctl" => {
                let id = self.msqid();
                let cmd = if self.rng.chance(80) { 10 + self.rng.below(3) as i32 } else { self.rng.i32_any() };
                let buf = if self.rng.chance(60) { Some(self.msqid_set()) } else { None };
                let r = call!(self, "msg.msgctl", t.bad, ["{t:?} {id} {cmd} {buf:?}"], |w, s| w
                    .ipclab_ipc_msg()
                    .call_msgctl(s, t.h, id, cmd, buf));
                self.tally(&r);
            }
            "msg.msgids" => {
                let r = call!(self, "msg.msgids", t.bad, ["{t:?}"], |w, s| w.ipclab_ipc_msg().call_msgids(s, t.h));
                self.tally(&r);
            }
            "msg.batch" => {
                let n = match self.rng.below(200) {
                    0 => 65_537,
                    1 => 65_536,
                    2..=9 => self.rng.below(300) as usize,
                    _ => self.rng.below(9) as usize,
                };
                let big = n > 1000;
                let ops: Vec<Op> = (0..n).map(|_| self.batch_op(big)).collect();
                let r =
                    call!(self, "msg.batch", t.bad, ["{t:?} {} ops, first {:?}", ops.len(), ops.first()], |w, s| w
                        .ipclab_ipc_msg()
                        .call_batch(s, t.h, &ops));
                self.tally(&r);
                if let Some(Ok(results)) = &r
                    && let Some(Ok(OpResult::Blocked(_))) = results.last()
                {
                    self.park(t.idx);
                }
            }
            other => panic!("no operation for {other}"),
        }
    }

    /// One operation of a batch (`cheap`: no lists, for the huge batches).
    fn batch_op(&mut self, cheap: bool) -> Op {
        let k = if cheap { 6 + self.rng.below(4) as usize } else { self.rng.below(14) as usize };
        self.batch_kinds.insert(BATCH_OPS[k]);
        match k {
            0 => Op::Msgget(GetOp { key: self.key(), msgflg: self.get_flags(0) }),
            1 => {
                let msqid = self.msqid();
                let mtype = 1 + self.rng.below(4) as i64;
                let n = self.rng.below(32) as usize;
                let data = self.rng.bytes(n);
                Op::Msgsnd(SendOp { msqid, mtype, data, msgflg: self.op_flags(&[IPC_NOWAIT]) })
            }
            2 => Op::Msgrcv(RecvOp {
                msqid: self.msqid(),
                msgsz: self.rng.below(64),
                msgtyp: self.rng.below(5) as i64 - 2,
                msgflg: self.op_flags(&[IPC_NOWAIT, MSG_NOERROR]),
            }),
            3 => Op::MsgctlStat(self.msqid()),
            4 => {
                let semid = self.semid();
                let n = self.rng.below(4) as usize;
                Op::Semop(SemopOp { semid, sops: (0..n).map(|_| self.sembuf()).collect() })
            }
            5 => Op::Semop1(Semop1Op { semid: self.semid(), op: self.sembuf() }),
            6 => Op::SemPost(self.psem_id()),
            7 => Op::SemWait(self.psem_id()),
            8 => Op::SemTrywait(self.psem_id()),
            9 => Op::SemGetvalue(self.psem_id()),
            10 => Op::ShmRead(ShmReadOp {
                addr: self.addr(),
                len: if self.rng.chance(5) { self.rng.u64_any() } else { self.rng.below(128) },
            }),
            11 => {
                let addr = self.addr();
                let n = self.rng.below(64) as usize;
                Op::ShmWrite(ShmWriteOp { addr, data: self.rng.bytes(n) })
            }
            12 => Op::PortSend(PortSendOp { port: self.port_fd(), events: self.rng.i32_any(), user: self.rng.next() }),
            _ => {
                let max = if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(5) as u32 };
                let nget =
                    if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(u64::from(max) + 1) as u32 };
                Op::PortGetn(PortGetnOp { port: self.port_fd(), max, nget })
            }
        }
    }

    fn op_sem(&mut self, name: &str) {
        let t = self.thread();
        match name {
            "sem.semget" => {
                let key = self.key();
                let nsems = if self.rng.chance(10) { self.rng.i32_any() } else { self.rng.below(6) as i32 };
                let flg = self.get_flags(0);
                let r = call!(self, "sem.semget", t.bad, ["{t:?} {key} {nsems} {flg:#o}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semget(s, t.h, key, nsems, flg));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.sems, id, 48);
                }
            }
            "sem.semop" => {
                let (id, sops, to) = (self.semid(), self.sops(), self.timeout_ns());
                let r = call!(
                    self,
                    "sem.semop",
                    t.bad,
                    ["{t:?} {id} {} sops {:?} {to:?}", sops.len(), sops.first()],
                    |w, s| w.ipclab_ipc_sem().call_semop(s, t.h, id, &sops, to)
                );
                self.tally(&r);
                if let Some(Ok(SemopOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "sem.semop1" => {
                let (id, op, to) = (self.semid(), self.sembuf(), self.timeout_ns());
                let r = call!(self, "sem.semop1", t.bad, ["{t:?} {id} {op:?} {to:?}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semop1(s, t.h, id, op, to));
                self.tally(&r);
                if let Some(Ok(Semop1Outcome::Parked)) = r {
                    self.park(t.idx);
                }
            }
            "sem.semctl-getval" | "sem.semctl-getpid" | "sem.semctl-getncnt" | "sem.semctl-getzcnt" => {
                let (id, n) = (self.semid(), self.semnum());
                let r = match name {
                    "sem.semctl-getval" => call!(self, "sem.semctl-getval", t.bad, ["{t:?} {id} {n}"], |w, s| w
                        .ipclab_ipc_sem()
                        .call_semctl_getval(s, t.h, id, n)),
                    "sem.semctl-getpid" => call!(self, "sem.semctl-getpid", t.bad, ["{t:?} {id} {n}"], |w, s| w
                        .ipclab_ipc_sem()
                        .call_semctl_getpid(s, t.h, id, n)),
                    "sem.semctl-getncnt" => call!(self, "sem.semctl-getncnt", t.bad, ["{t:?} {id} {n}"], |w, s| w
                        .ipclab_ipc_sem()
                        .call_semctl_getncnt(s, t.h, id, n)),
                    _ => call!(self, "sem.semctl-getzcnt", t.bad, ["{t:?} {id} {n}"], |w, s| w
                        .ipclab_ipc_sem()
                        .call_semctl_getzcnt(s, t.h, id, n)),
                };
                self.tally(&r);
            }
            "sem.semctl-getall" => {
                let id = self.semid();
                let r = call!(self, "sem.semctl-getall", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_getall(s, t.h, id));
                self.tally(&r);
            }
            "sem.semctl-setval" => {
                let (id, n) = (self.semid(), self.semnum());
                let v = if self.rng.chance(10) { self.rng.i32_any() } else { self.rng.below(6) as i32 - 1 };
                let r = call!(self, "sem.semctl-setval", t.bad, ["{t:?} {id} {n} {v}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_setval(s, t.h, id, n, v));
                self.tally(&r);
            }
            "sem.semctl-setall" => {
                let id = self.semid();
                let vals = self.sem_values();
                let r = call!(self, "sem.semctl-setall", t.bad, ["{t:?} {id} {} values", vals.len()], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_setall(s, t.h, id, &vals));
                self.tally(&r);
            }
            "sem.semctl-stat" => {
                let id = self.semid();
                let r = call!(self, "sem.semctl-stat", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_stat(s, t.h, id));
                self.tally(&r);
            }
            "sem.semctl-set" => {
                let id = self.semid();
                let (uid, gid, mode) = self.perm_set();
                let buf = SemidSet { uid, gid, mode };
                let r = call!(self, "sem.semctl-set", t.bad, ["{t:?} {id} {buf:?}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_set(s, t.h, id, buf));
                self.tally(&r);
            }
            "sem.semctl-rmid" => {
                let id = self.semid();
                let r = call!(self, "sem.semctl-rmid", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_sem()
                    .call_semctl_rmid(s, t.h, id));
                self.tally(&r);
            }
            "sem.semctl" => {
                let (id, n) = (self.semid(), self.semnum());
                let cmd = if self.rng.chance(85) { 3 + self.rng.below(10) as i32 } else { self.rng.i32_any() };
                let arg = match self.rng.below(4) {
                    0 => SemctlArg::None,
                    1 => {
                        SemctlArg::Val(if self.rng.chance(10) { self.rng.i32_any() } else { self.rng.below(5) as i32 })
                    }
                    2 => SemctlArg::Array(self.sem_values()),
                    _ => {
                        let (uid, gid, mode) = self.perm_set();
                        SemctlArg::Buf(SemidSet { uid, gid, mode })
                    }
                };
                let r = call!(
                    self,
                    "sem.semctl",
                    t.bad,
                    ["{t:?} {id} {n} {cmd} {:?}", std::mem::discriminant(&arg)],
                    |w, s| w.ipclab_ipc_sem().call_semctl(s, t.h, id, n, cmd, &arg)
                );
                self.tally(&r);
            }
            "sem.semids" => {
                let r = call!(self, "sem.semids", t.bad, ["{t:?}"], |w, s| w.ipclab_ipc_sem().call_semids(s, t.h));
                self.tally(&r);
            }
            other => panic!("no operation for {other}"),
        }
    }

    fn sem_values(&mut self) -> Vec<u32> {
        let n = match self.rng.below(50) {
            0 => 100_000,
            1 => self.rng.below(1000) as usize,
            _ => self.rng.below(6) as usize,
        };
        (0..n).map(|_| if self.rng.chance(5) { self.rng.u32_any() } else { self.rng.below(4) as u32 }).collect()
    }

    fn op_shm(&mut self, name: &str) {
        let t = self.thread();
        match name {
            "shm.shmget" => {
                let key = self.key();
                let size = match self.rng.below(10) {
                    0 => self.rng.u64_any(),
                    1 => 0,
                    2 => 8 << 20,
                    _ => 1 + self.rng.below(3 * PAGE),
                };
                let flg = self.get_flags(SHM_RMLINGER);
                let r = call!(self, "shm.shmget", t.bad, ["{t:?} {key} {size} {flg:#o}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmget(s, t.h, key, size, flg));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.shms, id, 48);
                }
            }
            "shm.shmat" => {
                let id = self.shmid();
                let addr = if self.rng.chance(60) { 0 } else { self.addr() };
                let flg = self.op_flags(&[SHM_RDONLY, SHM_RND]);
                let r = call!(self, "shm.shmat", t.bad, ["{t:?} {id} {addr:#x} {flg:#o}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmat(s, t.h, id, addr, flg));
                self.tally(&r);
                if let Some(Ok(a)) = r {
                    push_capped(&mut self.rng, &mut self.addrs, (self.cur, a), 48);
                }
            }
            "shm.shmdt" => {
                let addr = match owned(&mut self.rng, self.cur, &self.addrs) {
                    Some(a) if self.rng.chance(85) => a,
                    _ => self.addr(),
                };
                let r = call!(self, "shm.shmdt", t.bad, ["{t:?} {addr:#x}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmdt(s, t.h, addr));
                self.tally(&r);
            }
            "shm.shmctl-stat" => {
                let id = self.shmid();
                let r = call!(self, "shm.shmctl-stat", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmctl_stat(s, t.h, id));
                self.tally(&r);
            }
            "shm.shmctl-set" => {
                let id = self.shmid();
                let (uid, gid, mode) = self.perm_set();
                let buf = ShmSet { uid, gid, mode };
                let r = call!(self, "shm.shmctl-set", t.bad, ["{t:?} {id} {buf:?}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmctl_set(s, t.h, id, buf));
                self.tally(&r);
            }
            "shm.shmctl-rmid" => {
                let id = self.shmid();
                let r = call!(self, "shm.shmctl-rmid", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmctl_rmid(s, t.h, id));
                self.tally(&r);
            }
            "shm.shmctl-lock" => {
                let (id, lock) = (self.shmid(), self.rng.chance(50));
                let r = call!(self, "shm.shmctl-lock", t.bad, ["{t:?} {id} {lock}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmctl_lock(s, t.h, id, lock));
                self.tally(&r);
            }
            "shm.shmctl" => {
                let id = self.shmid();
                let cmd = if self.rng.chance(85) {
                    [SHM_LOCK, SHM_UNLOCK, IPC_RMID, IPC_SET, IPC_STAT][self.rng.below(5) as usize]
                } else {
                    self.rng.i32_any()
                };
                let buf = if self.rng.chance(60) {
                    let (uid, gid, mode) = self.perm_set();
                    Some(ShmSet { uid, gid, mode })
                } else {
                    None
                };
                let r = call!(self, "shm.shmctl", t.bad, ["{t:?} {id} {cmd} {buf:?}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_shmctl(s, t.h, id, cmd, buf));
                self.tally(&r);
            }
            "shm.shmids" => {
                let r = call!(self, "shm.shmids", t.bad, ["{t:?}"], |w, s| w.ipclab_ipc_shm().call_shmids(s, t.h));
                self.tally(&r);
            }
            "shm.read" => {
                let addr = self.addr();
                let len = match self.rng.below(20) {
                    0 => self.rng.u64_any(),
                    1 => MAX_LIST as u64 - 1 + self.rng.below(3),
                    _ => self.rng.below(256),
                };
                let r = call!(self, "shm.read", t.bad, ["{t:?} {addr:#x} {len}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_read(s, t.h, addr, len));
                self.tally(&r);
            }
            "shm.write" => {
                let addr = self.addr();
                let data = self.data();
                let r = call!(self, "shm.write", t.bad, ["{t:?} {addr:#x} len {}", data.len()], |w, s| w
                    .ipclab_ipc_shm()
                    .call_write(s, t.h, addr, &data));
                self.tally(&r);
            }
            "shm.set-tunable" => {
                let set = match self.rng.below(4) {
                    0 => {
                        Tunable::Shmmax(if self.rng.chance(30) { self.rng.u64_any() } else { self.rng.below(1 << 24) })
                    }
                    1 => {
                        Tunable::Shmmaxpgs(if self.rng.chance(30) { self.rng.u64_any() } else { self.rng.below(4096) })
                    }
                    2 => Tunable::Shmmni(self.small_u32(128)),
                    _ => Tunable::Shmseg(self.small_u32(128)),
                };
                let r = call!(self, "shm.set-tunable", t.bad, ["{t:?} {set:?}"], |w, s| w
                    .ipclab_ipc_shm()
                    .call_set_tunable(s, t.h, set));
                self.tally(&r);
            }
            other => panic!("no operation for {other}"),
        }
    }

    fn op_port(&mut self, name: &str) {
        let t = self.thread();
        match name {
            "fd.pipe" => {
                let r = call!(self, "fd.pipe", t.bad, ["{t:?}"], |w, s| w.ipclab_ipc_fd().call_pipe(s, t.h));
                self.tally(&r);
                if let Some(Ok((rd, wr))) = r {
                    push_capped(&mut self.rng, &mut self.fds, (self.cur, rd), 64);
                    push_capped(&mut self.rng, &mut self.fds, (self.cur, wr), 64);
                }
            }
            "fd.read" => {
                let fd = self.fd();
                let len = match self.rng.below(20) {
                    0 => self.rng.u32_any(),
                    1 => MAX_LIST as u32,
                    _ => self.rng.below(5000) as u32,
                };
                let nb = self.rng.chance(60);
                let r = call!(self, "fd.read", t.bad, ["{t:?} {fd} {len} {nb}"], |w, s| w
                    .ipclab_ipc_fd()
                    .call_read(s, t.h, fd, len, nb));
                self.tally(&r);
                if let Some(Ok(ReadOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "fd.write" => {
                let (fd, data, nb) = (self.fd(), self.data(), self.rng.chance(60));
                let r = call!(self, "fd.write", t.bad, ["{t:?} {fd} len {} {nb}", data.len()], |w, s| w
                    .ipclab_ipc_fd()
                    .call_write(s, t.h, fd, &data, nb));
                self.tally(&r);
                if let Some(Ok(WriteOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "fd.close" => {
                let fd = self.fd();
                let r = call!(self, "fd.close", t.bad, ["{t:?} {fd}"], |w, s| w.ipclab_ipc_fd().call_close(s, t.h, fd));
                self.tally(&r);
            }
            "port.port-create" => {
                let r = call!(self, "port.port-create", t.bad, ["{t:?}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_create(s, t.h));
                self.tally(&r);
                if let Some(Ok(fd)) = r {
                    push_capped(&mut self.rng, &mut self.ports, (self.cur, fd), 32);
                    push_capped(&mut self.rng, &mut self.fds, (self.cur, fd), 64);
                }
            }
            "port.port-send" => {
                let (p, ev, user) = (self.port_fd(), self.rng.i32_any(), self.rng.next());
                let r = call!(self, "port.port-send", t.bad, ["{t:?} {p} {ev} {user}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_send(s, t.h, p, ev, user));
                self.tally(&r);
            }
            "port.port-sendn" => {
                let n = match self.rng.below(40) {
                    0 => 8193,
                    1 => 8192,
                    2 => 0,
                    _ => 1 + self.rng.below(5) as usize,
                };
                let ports: Vec<i32> = (0..n).map(|_| self.port_fd()).collect();
                let (ev, user) = (self.rng.i32_any(), self.rng.next());
                let r = call!(self, "port.port-sendn", t.bad, ["{t:?} {} ports {ev} {user}", ports.len()], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_sendn(s, t.h, &ports, ev, user));
                self.tally(&r);
            }
            "port.port-alert" => {
                let p = self.port_fd();
                let flags = if self.rng.chance(85) { self.rng.below(4) as i32 } else { self.rng.i32_any() };
                let ev = if self.rng.chance(30) { 0 } else { self.rng.i32_any() };
                let user = self.rng.next();
                let r = call!(self, "port.port-alert", t.bad, ["{t:?} {p} {flags} {ev} {user}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_alert(s, t.h, p, flags, ev, user));
                self.tally(&r);
            }
            "port.port-associate" => {
                let p = self.port_fd();
                let src = if self.rng.chance(85) { 4 } else { self.rng.next() as u16 };
                let obj = if self.rng.chance(85) { self.fd() as u64 } else { self.rng.u64_any() };
                let ev = if self.rng.chance(85) {
                    [1, 4, 0x40, 5, 0][self.rng.below(5) as usize]
                } else {
                    self.rng.next() as u16
                };
                let user = self.rng.next();
                let r = call!(self, "port.port-associate", t.bad, ["{t:?} {p} {src} {obj} {ev:#x} {user}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_associate(s, t.h, p, src, obj, ev, user));
                self.tally(&r);
            }
            "port.port-dissociate" => {
                let p = self.port_fd();
                let src = if self.rng.chance(85) { 4 } else { self.rng.next() as u16 };
                let obj = if self.rng.chance(85) { self.fd() as u64 } else { self.rng.u64_any() };
                let r = call!(self, "port.port-dissociate", t.bad, ["{t:?} {p} {src} {obj}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_dissociate(s, t.h, p, src, obj));
                self.tally(&r);
            }
            "port.port-getn" => {
                let p = self.port_fd();
                let max = if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(6) as u32 };
                let nget =
                    if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(u64::from(max) + 1) as u32 };
                let to = if self.rng.chance(30) { None } else { Some(self.rng.timespec()) };
                let r = call!(self, "port.port-getn", t.bad, ["{t:?} {p} {max} {nget} {to:?}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_getn(s, t.h, p, max, nget, to));
                self.tally(&r);
                if let Some(Ok(GetnOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "port.port-get" => {
                let p = self.port_fd();
                let to = if self.rng.chance(30) { None } else { Some(self.rng.timespec()) };
                let r = call!(self, "port.port-get", t.bad, ["{t:?} {p} {to:?}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_port_get(s, t.h, p, to));
                self.tally(&r);
                if let Some(Ok(GetOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "port.timer-create" => {
                let (p, user) = (self.port_fd(), self.rng.next());
                let r = call!(self, "port.timer-create", t.bad, ["{t:?} {p} {user}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_timer_create(s, t.h, p, user));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.timers, (self.cur, id), 32);
                }
            }
            "port.timer-settime" => {
                let id = self.timer();
                let value = match self.rng.below(10) {
                    0 => 0,
                    1 => self.rng.u64_any(),
                    _ => 1 + self.rng.below(100_000),
                };
                let interval = match self.rng.below(10) {
                    0..=4 => 0,
                    5 => self.rng.u64_any(),
                    6 => 1,
                    _ => 1 + self.rng.below(100_000),
                };
                let r = call!(self, "port.timer-settime", t.bad, ["{t:?} {id} {value} {interval}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_timer_settime(s, t.h, id, value, interval));
                self.tally(&r);
            }
            "port.timer-delete" => {
                let id = self.timer();
                let r = call!(self, "port.timer-delete", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_port()
                    .call_timer_delete(s, t.h, id));
                self.tally(&r);
            }
            other => panic!("no operation for {other}"),
        }
    }

    fn op_psem(&mut self, name: &str) {
        let t = self.thread();
        match name {
            "psem.sem-open" => {
                let nm = self.psem_name();
                let mut of = OpenFlags::empty();
                if self.rng.chance(70) {
                    of |= OpenFlags::CREAT;
                }
                if self.rng.chance(15) {
                    of |= OpenFlags::EXCL;
                }
                let mode = if self.rng.chance(10) {
                    self.rng.u32_any()
                } else {
                    [0o600, 0o666, 0o644, 0o400, 0][self.rng.below(5) as usize]
                };
                let v = if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(4) as u32 };
                let r = call!(self, "psem.sem-open", t.bad, ["{t:?} {nm:?} {of:?} {mode:#o} {v}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_open(s, t.h, &nm, of, mode, v));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.psems, (self.cur, id), 32);
                }
            }
            "psem.sem-init" => {
                let v = if self.rng.chance(10) { self.rng.u32_any() } else { self.rng.below(4) as u32 };
                let ps = self.rng.chance(50);
                let r = call!(self, "psem.sem-init", t.bad, ["{t:?} {v} {ps}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_init(s, t.h, v, ps));
                self.tally(&r);
                if let Some(Ok(id)) = r {
                    push_capped(&mut self.rng, &mut self.psems, (self.cur, id), 32);
                }
            }
            "psem.sem-unlink" => {
                let nm = self.psem_name();
                let r = call!(self, "psem.sem-unlink", t.bad, ["{t:?} {nm:?}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_unlink(s, t.h, &nm));
                self.tally(&r);
            }
            "psem.sem-timedwait" => {
                let (id, ts) = (self.psem_id(), self.rng.timespec());
                let r = call!(self, "psem.sem-timedwait", t.bad, ["{t:?} {id} {ts:?}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_timedwait(s, t.h, id, ts));
                self.tally(&r);
                if let Some(Ok(WaitOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "psem.sem-wait" => {
                let id = self.psem_id();
                let r = call!(self, "psem.sem-wait", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_wait(s, t.h, id));
                self.tally(&r);
                if let Some(Ok(WaitOutcome::Blocked(_))) = r {
                    self.park(t.idx);
                }
            }
            "psem.sem-getvalue" => {
                let id = self.psem_id();
                let r = call!(self, "psem.sem-getvalue", t.bad, ["{t:?} {id}"], |w, s| w
                    .ipclab_ipc_psem()
                    .call_sem_getvalue(s, t.h, id));
                self.tally(&r);
            }
            "psem.sem-close" | "psem.sem-destroy" | "psem.sem-post" | "psem.sem-trywait" => {
                let id = self.psem_id();
                let r = match name {
                    "psem.sem-close" => call!(self, "psem.sem-close", t.bad, ["{t:?} {id}"], |w, s| w
                        .ipclab_ipc_psem()
                        .call_sem_close(s, t.h, id)),
                    "psem.sem-destroy" => call!(self, "psem.sem-destroy", t.bad, ["{t:?} {id}"], |w, s| w
                        .ipclab_ipc_psem()
                        .call_sem_destroy(s, t.h, id)),
                    "psem.sem-post" => call!(self, "psem.sem-post", t.bad, ["{t:?} {id}"], |w, s| w
                        .ipclab_ipc_psem()
                        .call_sem_post(s, t.h, id)),
                    _ => call!(self, "psem.sem-trywait", t.bad, ["{t:?} {id}"], |w, s| w
                        .ipclab_ipc_psem()
                        .call_sem_trywait(s, t.h, id)),
                };
                self.tally(&r);
            }
            other => panic!("no operation for {other}"),
        }
    }

    fn op_inspect(&mut self, name: &str) {
        let k = self.kernel();
        match name {
            "inspect.namespace" => {
                let f = self.facility();
                call!(self, "inspect.namespace", k.bad, ["{k:?} {f:?}"], |w, s| w
                    .ipclab_ipc_inspect()
                    .call_namespace(s, k.h, f));
            }
            "inspect.msg-queues" => {
                call!(self, "inspect.msg-queues", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_inspect()
                    .call_msg_queues(s, k.h));
            }
            "inspect.sem-sets" => {
                call!(self, "inspect.sem-sets", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_sem_sets(s, k.h));
            }
            "inspect.ports" => {
                call!(self, "inspect.ports", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_ports(s, k.h));
            }
            "inspect.pipes" => {
                call!(self, "inspect.pipes", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_pipes(s, k.h));
            }
            "inspect.fd-tables" => {
                call!(self, "inspect.fd-tables", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_inspect()
                    .call_fd_tables(s, k.h));
            }
            "inspect.shm" => {
                call!(self, "inspect.shm", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_shm(s, k.h));
            }
            "inspect.psem" => {
                call!(self, "inspect.psem", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_psem(s, k.h));
            }
            "inspect.processes" => {
                call!(self, "inspect.processes", k.bad, ["{k:?}"], |w, s| w
                    .ipclab_ipc_inspect()
                    .call_processes(s, k.h));
            }
            "inspect.deadlock" => {
                call!(self, "inspect.deadlock", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_deadlock(s, k.h));
            }
            "inspect.explain" => {
                call!(self, "inspect.explain", k.bad, ["{k:?}"], |w, s| w.ipclab_ipc_inspect().call_explain(s, k.h));
            }
            "inspect.scene" => {
                let window = self.scene_window();
                let r = call!(self, "inspect.scene", k.bad, ["{k:?}, {window:?}"], |w, s| w
                    .ipclab_ipc_inspect()
                    .call_scene(s, k.h, &window));
                // A window the component took is a window here too, and its
                // answer a scene that keeps the scene's invariants.
                if let Some(Ok(json)) = r {
                    let w: ipc_core::inspect::scene::Window =
                        serde_json::from_str(&window).expect("an accepted window");
                    let scene: ipc_core::inspect::scene::Scene = serde_json::from_str(&json).expect("a scene");
                    assert_eq!(scene.check(&w), Ok(()), "seed {:#x}: inspect.scene({window})", self.seed);
                }
            }
            other => panic!("no operation for {other}"),
        }
    }

    /// `kernel.restore` of a real, a tampered, a foreign or a garbage
    /// snapshot: refused ones change nothing.
    fn restore(&mut self) {
        let k = self.kernel();
        if k.bad {
            let snap = self.base.clone();
            call!(self, "system.kernel.restore", true, ["{k:?} base"], |w, s| w
                .ipclab_ipc_system()
                .kernel()
                .call_restore(s, k.h, &snap));
            return;
        }
        let before = self.snapshot_of(k.h);
        let (text, expect, kind) = match self.rng.below(10) {
            0 => {
                let other = if k.h == self.lab.kernel { self.other } else { self.lab.kernel };
                (self.snapshot_of(other), Expect::Ok, "the other kernel's")
            }
            1 if k.h == self.lab.kernel && !self.snaps.is_empty() => (
                self.rng
                    .pick(&(0..self.snaps.len()).collect::<Vec<_>>())
                    .map(|i| self.snaps[i].clone())
                    .unwrap_or_default(),
                Expect::Ok,
                "an earlier one",
            ),
            2 => (before.clone(), Expect::Ok, "its own"),
            _ => {
                let src = if k.h == self.lab.kernel && !self.snaps.is_empty() && self.rng.chance(30) {
                    self.snaps[self.rng.below(self.snaps.len() as u64) as usize].clone()
                } else {
                    before.clone()
                };
                self.tamper(&src)
            }
        };
        let r =
            call!(self, "system.kernel.restore", false, ["{k:?} {kind} snapshot of {} bytes", text.len()], |w, s| w
                .ipclab_ipc_system()
                .kernel()
                .call_restore(s, k.h, &text));
        let Some(r) = r else { return };
        let e = self.restores.entry(kind).or_default();
        match r {
            Err(errno) => {
                e.1 += 1;
                if expect == Expect::Ok {
                    std::fs::write("/tmp/bad-snap.json", &text).unwrap();
                }
                assert!(
                    expect != Expect::Ok,
                    "seed {:#x} call {}: restore of {kind} snapshot refused: {errno:?}",
                    self.seed,
                    self.calls
                );
                assert_eq!(errno, Errno::Einval, "a refused restore is einval ({kind})");
                let after = self.snapshot_of(k.h);
                assert!(
                    after == before,
                    "seed {:#x} call {}: a refused restore ({kind}) changed the kernel",
                    self.seed,
                    self.calls
                );
            }
            Ok(()) => {
                e.0 += 1;
                assert!(
                    expect != Expect::Refused,
                    "seed {:#x} call {}: restore accepted a {kind} snapshot: {}",
                    self.seed,
                    self.calls,
                    &text[..text.len().min(200)]
                );
                let after = self.snapshot_of(k.h);
                if expect == Expect::Ok {
                    let (a, b) = (serde_json::from_str::<Value>(&after), serde_json::from_str::<Value>(&text));
                    assert!(a.is_ok() && a.ok() == b.ok(), "restore of {kind} snapshot did not install it");
                } else {
                    // An accepted tampered state is a state the kernel
                    // stands behind: its own snapshot restores.
                    let r = call!(
                        self,
                        "system.kernel.restore",
                        false,
                        ["{k:?} own snapshot after an accepted {kind}"],
                        |w, s| w.ipclab_ipc_system().kernel().call_restore(s, k.h, &after)
                    );
                    assert_eq!(r, Some(Ok(())), "the snapshot of an accepted {kind} snapshot is refused");
                }
                if k.h == self.lab.kernel {
                    self.refresh();
                }
            }
        }
    }

    /// `kernel.rewind` to a checkpoint (of this kernel or the other): the
    /// kernel's snapshot is then the one taken with the checkpoint.
    ///
    /// A refused checkpoint handle goes with a refused kernel handle:
    /// wasmtime 48 keeps the borrow of a method's `self` it has already
    /// lowered when a later handle argument is refused, and the kernel
    /// handle could then never be dropped (a host-side leak: the call never
    /// reaches the component).
    fn rewind(&mut self) {
        let c = self.checkpoint();
        let k = if c.bad {
            let h = self.dropped_of(Kind::Kernel).unwrap_or_else(|| self.mistyped(Kind::Kernel));
            Pick { h, bad: true, idx: None }
        } else {
            self.kernel()
        };
        let bad = k.bad || c.bad;
        let r = call!(self, "system.kernel.rewind", bad, ["{k:?} to {c:?}"], |w, s| w
            .ipclab_ipc_system()
            .kernel()
            .call_rewind(s, k.h, c.h));
        if r.is_none() || bad {
            return;
        }
        let Some(i) = c.idx else { return };
        let after = self.snapshot_of(k.h);
        assert!(
            after == self.cps[i].1,
            "seed {:#x} call {}: rewind did not install the checkpoint",
            self.seed,
            self.calls
        );
        self.rewound += 1;
        if k.h == self.lab.kernel {
            self.refresh();
        }
    }

    /// The instance still works: a fresh kernel in it does a message round
    /// trip (through the harness's wrappers, which fail on a trap).
    fn probe(&mut self) {
        self.probes += 1;
        let cfg = self.default_cfg;
        let k = self.lab.create(&cfg).expect("a default kernel");
        let first = std::mem::replace(&mut self.lab.kernel, k);
        let p = self.lab.spawn(4242, 4242);
        let id = self.lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).expect("msgget in a fresh kernel");
        let payload = self.calls.to_le_bytes();
        self.lab.send(p.thread, id, 7, &payload).expect("msgsnd in a fresh kernel");
        let got = self.lab.recv(p.thread, id, 64, 0).expect("msgrcv in a fresh kernel");
        assert_eq!((got.mtype, got.data.as_slice()), (7, payload.as_slice()), "round trip through a fresh kernel");
        self.lab.kernel = first;
        for h in [p.thread, p.process, k] {
            self.lab.drop_resource(h);
        }
        // The first kernel still answers.
        self.lab.now();
    }

    /// Back to the first kernel's initial state (bounds what it stores).
    fn reset(&mut self) {
        let base = self.base.clone();
        assert_eq!(self.lab.restore(&base), Ok(()), "the initial snapshot restores");
        self.refresh();
        self.snaps.clear();
    }
}

/// The byte spans of the JSON numbers (digit runs, with a leading minus).
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Changes one node of a JSON document, found by a random descent.
fn mutate_json(rng: &mut Rng, v: &mut Value) {
    let descend = match v {
        Value::Object(m) => !m.is_empty() && !rng.chance(12),
        Value::Array(a) => !a.is_empty() && !rng.chance(12),
        _ => false,
    };
    if descend {
        match v {
            Value::Object(m) => {
                let i = rng.below(m.len() as u64) as usize;
                if let Some((_, child)) = m.iter_mut().nth(i) {
                    mutate_json(rng, child);
                }
            }
            Value::Array(a) => {
                let i = rng.below(a.len() as u64) as usize;
                mutate_json(rng, &mut a[i]);
            }
            _ => {}
        }
        return;
    }
    match v {
        Value::Object(m) => match rng.below(3) {
            0 if !m.is_empty() => {
                let i = rng.below(m.len() as u64) as usize;
                if let Some(key) = m.keys().nth(i).cloned() {
                    m.remove(&key);
                }
            }
            1 => {
                m.insert(rng.below(50).to_string(), Value::from(rng.below(50)));
            }
            _ => *v = Value::Null,
        },
        Value::Array(a) => match rng.below(4) {
            0 if !a.is_empty() => {
                let i = rng.below(a.len() as u64) as usize;
                let x = a[i].clone();
                a.push(x);
            }
            1 if !a.is_empty() => {
                let i = rng.below(a.len() as u64) as usize;
                a.remove(i);
            }
            2 if a.len() > 1 => {
                let (i, j) = (rng.below(a.len() as u64) as usize, rng.below(a.len() as u64) as usize);
                a.swap(i, j);
            }
            _ => a.push(Value::from(rng.below(1000))),
        },
        Value::Number(_) => {
            *v = match rng.below(6) {
                0 => Value::from(-1),
                1 => Value::from(u64::MAX),
                2 => Value::from(u64::from(u32::MAX)),
                3 => Value::from(rng.u64_any()),
                4 => Value::from(0.5),
                _ => Value::from(rng.below(300)),
            }
        }
        Value::String(s) => {
            *v = match rng.below(3) {
                0 => Value::from(""),
                1 => Value::from(format!("{s}x")),
                _ => Value::from(7),
            }
        }
        Value::Bool(b) => *v = Value::Bool(!*b),
        Value::Null => *v = Value::from(rng.below(10)),
    }
}

/// Regression (found by this fuzzer): a snapshot whose park-order counter
/// sat at the end of `u64` was accepted, the next park wrapped it to 0, and
/// the kernel's own snapshot was then refused ("thread 7 parked but its
/// timeout is not queued"); the event sequence number wrapped the same way.
/// Both counters now saturate, like the clock: a kernel restored at the end
/// of `u64` parks, times out and wakes, and its snapshots restore.
#[test]
fn counters_at_the_end_of_u64_saturate() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, 1, IPC_CREAT | 0o600).unwrap();
    let parsed: Value = serde_json::from_str(&lab.snapshot()).unwrap();
    // The event log renumbered so that it ends at `end`.
    let renumber = |v: &mut Value, end: u64| {
        let heads = v["events"]["heads"].as_array_mut().expect("events.heads");
        let n = heads.len() as u64;
        for (i, h) in heads.iter_mut().enumerate() {
            h["seq"] = Value::from(end - n + i as u64);
        }
        v["events"]["next"] = Value::from(end);
    };
    let cases: [&dyn Fn(&mut Value); 4] = [
        &|v| v["next_order"] = Value::from(u64::MAX),
        &|v| v["next_order"] = Value::from(u64::MAX - 1),
        &|v| renumber(v, u64::MAX),
        &|v| {
            renumber(v, u64::MAX - 1);
            v["next_order"] = Value::from(u64::MAX - 1);
        },
    ];
    for (case, tamper) in cases.iter().enumerate() {
        let mut v = parsed.clone();
        tamper(&mut v);
        assert_eq!(lab.restore(&v.to_string()), Ok(()), "case {case}");
        let t2 = lab.thread_create(p.process).unwrap();
        for t in [p.thread, t2] {
            assert!(matches!(lab.msgrcv(t, id, 64, 0, 0, Some(10)), Ok(RecvOutcome::Blocked(_))), "case {case}");
        }
        let own = lab.snapshot();
        assert_eq!(lab.restore(&own), Ok(()), "case {case}: the kernel's own snapshot with two parked calls");
        lab.advance(10);
        for t in [p.thread, t2] {
            assert_eq!(lab.take_result(t).map(|c| c.result), Ok(Err(Errno::Eagain)), "case {case}");
        }
        let own = lab.snapshot();
        assert_eq!(lab.restore(&own), Ok(()), "case {case}: the kernel's own snapshot after the timeouts");
        lab.assert_alive();
    }
    // A gap in the numbering is still refused.
    let mut v = parsed.clone();
    renumber(&mut v, u64::MAX);
    v["events"]["heads"][0]["seq"] = Value::from(7);
    assert_eq!(lab.restore(&v.to_string()), Err(Errno::Einval));
}

/// Regression (found by this fuzzer, seed 3): restoring a snapshot whose
/// namespace `count` was tampered to 4294967295 trapped the component —
/// `check()` listed the ids with `Vec::with_capacity(count)`, a capacity
/// overflow on wasm32 (abort: the whole instance lost).  It is einval now.
#[test]
fn a_tampered_namespace_count_is_einval_not_a_trap() {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, 1, IPC_CREAT | 0o600).unwrap();
    let snap = lab.snapshot();
    let mut v: Value = serde_json::from_str(&snap).unwrap();
    for count in [u64::from(u32::MAX), 1 << 30, 2] {
        v["fac"]["msg"]["svc"]["count"] = Value::from(count);
        assert_eq!(lab.restore(&v.to_string()), Err(Errno::Einval), "count {count}");
        assert_eq!(lab.snapshot(), snap);
    }
    lab.send(p.thread, id, 1, b"still here").unwrap();
    lab.assert_alive();
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

#[test]
fn every_export_with_arbitrary_values() {
    let budget = env_u64("IPC_COMPONENT_FUZZ_CALLS").unwrap_or(DEFAULT_CALLS);
    let seed = env_u64("IPC_COMPONENT_FUZZ_SEED").unwrap_or(0x1bc_1ab);
    let started = Instant::now();
    let mut fz = Fuzz::new(seed);
    let mem_start = mem_bytes();
    let mut mem_mid = None;
    let mut trajectory = Vec::new();
    let (mut next_probe, mut next_reset, mut next_refresh) = (PROBE_EVERY, RESET_EVERY, 64);
    while fz.calls < budget {
        if fz.live_procs() < 3 {
            let k = fz.lab.kernel;
            let cred = fz.cred();
            fz.spawn_into(k, false, &cred, 0, 1);
        }
        fz.step();
        if fz.calls >= next_refresh {
            next_refresh += 64;
            fz.refresh();
        }
        if fz.calls >= next_probe {
            next_probe += PROBE_EVERY;
            fz.probe();
            trajectory.push(mem_bytes() / WASM_PAGE);
        }
        if fz.calls >= next_reset {
            next_reset += RESET_EVERY;
            fz.reset();
        }
        if mem_mid.is_none() && fz.calls >= budget / 2 {
            mem_mid = Some(mem_bytes());
        }
    }
    fz.reset();
    fz.probe();
    let mem_end = mem_bytes();
    let mem_mid = mem_mid.unwrap_or(mem_start);
    let secs = started.elapsed().as_secs_f64();

    println!(
        "component fuzz: {} calls, {} traps (must be 0), memory {} → {} pages ({} at mid-run; {:.1} MiB at the end)",
        fz.calls,
        fz.traps,
        mem_start / WASM_PAGE,
        mem_end / WASM_PAGE,
        mem_mid / WASM_PAGE,
        mem_end as f64 / (1 << 20) as f64
    );
    println!(
        "  seed {seed:#x}, {secs:.1} s; {} errnos, {} parked, {} refused by the host (dropped or mistyped handles), {} usability probes",
        fz.errnos, fz.parked, fz.refused, fz.probes
    );
    let mut by_errno: Vec<(&&str, &u64)> = fz.by_errno.iter().collect();
    by_errno.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
    let by_errno: Vec<String> = by_errno.iter().map(|(e, n)| format!("{e} {n}")).collect();
    println!("  errnos: {}", by_errno.join(", "));
    let restores: Vec<String> =
        fz.restores.iter().map(|(k, (ok, no))| format!("{k}: {ok} accepted / {no} refused")).collect();
    println!("  restores: {}; {} rewinds to a checkpoint checked", restores.join("; "), fz.rewound);
    if std::env::var_os("IPC_COMPONENT_FUZZ_TRAJECTORY").is_some() {
        println!("  pages every {PROBE_EVERY} calls: {trajectory:?}");
    }
    let wit = wit_exports();
    let called: BTreeSet<String> = fz.counts.keys().map(|k| k.to_string()).collect();
    let least = fz.counts.iter().min_by_key(|(_, n)| **n).map(|(k, n)| format!("{k} ×{n}")).unwrap_or_default();
    println!(
        "  {} of {} WIT functions called (and the 4 destructors), the least: {least}; batch kinds {}/{}",
        wit.intersection(&called).count(),
        wit.len(),
        fz.batch_kinds.len(),
        BATCH_OPS.len()
    );

    assert_eq!(fz.traps, 0);
    if budget >= DEFAULT_CALLS {
        let uncalled: Vec<&str> = OPS.iter().map(|(n, _)| *n).filter(|n| !fz.counts.contains_key(n)).collect();
        assert!(uncalled.is_empty(), "never called: {uncalled:?}");
        assert_eq!(fz.batch_kinds.len(), BATCH_OPS.len(), "batch kinds drawn: {:?}", fz.batch_kinds);
        assert!(fz.rewound > 0, "no rewind reached a live checkpoint");
    }
    assert!(mem_end <= MEM_CAP, "linear memory {mem_end} bytes after the run, above the {MEM_CAP}-byte cap");
    assert!(
        budget > DEFAULT_CALLS || mem_end <= mem_mid + MEM_SECOND_HALF_PAGES * WASM_PAGE,
        "linear memory grew by {} pages over the second half of the run ({} → {} pages)",
        (mem_end - mem_mid) / WASM_PAGE,
        mem_mid / WASM_PAGE,
        mem_end / WASM_PAGE
    );
}
