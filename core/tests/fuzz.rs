//! # The whole-kernel fuzzer
//!
//! Random operation sequences over **every facility at once** — System V
//! message queues, semaphore arrays and shared memory, POSIX semaphores,
//! pipes and file descriptors, event ports with their timers — driven by
//! many processes and threads that fork, exec, exit, are interrupted and
//! have their zone removed, while the logical clock advances and the whole
//! kernel is snapshotted (serde JSON) and restored in the middle of it.
//!
//! The promise under test: **every call returns a value** (a panic fails the
//! run), `check()` holds after every step, every step appends exactly one
//! event, every event's explanation (narration and marked kernel path)
//! keeps its invariants, and a restored snapshot is equal to the kernel it came from and
//! then behaves identically.
//!
//! ## How values are drawn
//! A seeded generator (proptest's XorShift) picks each operation and its
//! arguments.
//! Arguments are mostly *plausible* (an id or fd the kernel handed out, a
//! live thread, a semaphore number in range) so that sequences go deep —
//! parks, wakes, removals under waiters, undo on exit — and sometimes
//! *arbitrary* (any `i32`, any `u64`, a dead thread) so that every refusal
//! path runs too.  A run is reproducible from its seed: a failure prints
//! the seed, the step and the operation.
//!
//! ## Sizes
//! The CI run makes at least 10^5 operations (`cargo xtask test`).  A long
//! run is the same test with a larger budget, for example 10^7 operations:
//!
//! ```text
//! IPC_FUZZ_OPS=10000000 cargo test -p ipc-core --release --test fuzz -- --nocapture
//! ```
//!
//! `IPC_FUZZ_SEED` starts from another seed.  The run prints how many
//! operations it made, how many parked, woke, failed (by errno), and how
//! many snapshots it restored.

mod common;
use common::*;
use ipc_core::EventOutcome;
use ipc_core::psem::{O_CREAT, O_EXCL, Timespec};
use ipc_core::sem::{SEM_UNDO, SemArg, SemBuf};
use ipc_core::shm::{SHM_RDONLY, SHM_RMLINGER, SHM_RND, ShmSetPerm};
use proptest::prelude::Rng as _;
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::collections::BTreeMap;

/// proptest's seeded generator (XorShift), with the few ways of drawing a
/// value the fuzzer needs.
struct Rng(TestRng);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        let bytes: Vec<u8> =
            seed.to_le_bytes().iter().chain(&0x9e37_79b9_7f4a_7c15u64.to_le_bytes()).copied().collect();
        Rng(TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// One of `xs`, or `None` when empty.
    fn pick<T: Copy>(&mut self, xs: &[T]) -> Option<T> {
        (!xs.is_empty()).then(|| xs[self.below(xs.len() as u64) as usize])
    }
    /// Mostly a known value, sometimes anything at all.
    fn id(&mut self, known: &[i32]) -> i32 {
        match self.pick(known) {
            Some(id) if !self.chance(8) => id,
            _ => self.next() as i32,
        }
    }
    fn small(&mut self) -> i32 {
        self.below(8) as i32 - 2
    }
}

/// What the fuzzer has seen the kernel hand out (ids stay in the lists after
/// they die: stale handles are part of the point).
#[derive(Default)]
struct Seen {
    msqids: Vec<i32>,
    semids: Vec<i32>,
    shmids: Vec<i32>,
    addrs: Vec<u64>,
    psems: Vec<u32>,
    fds: Vec<i32>,
    timers: Vec<u32>,
}

impl Seen {
    /// Keeps each list short: its oldest half goes once it passes 64.
    fn forget_oldest(&mut self) {
        fn trim<T>(list: &mut Vec<T>) {
            if list.len() > 64 {
                list.drain(..32);
            }
        }
        [&mut self.msqids, &mut self.semids, &mut self.shmids, &mut self.fds].into_iter().for_each(trim);
        [&mut self.psems, &mut self.timers].into_iter().for_each(trim);
        trim(&mut self.addrs);
    }
}

#[derive(Default)]
struct Stats {
    ops: u64,
    parked: u64,
    woke: u64,
    restored: u64,
    errnos: BTreeMap<String, u64>,
    calls: BTreeMap<&'static str, u64>,
    /// Refusals of calls with a kernel path, and those whose refusing line
    /// the explanation could not place (by call and errno).
    refusals: u64,
    unplaced: BTreeMap<String, u64>,
}

fn config() -> Config {
    let mut c = Config::default();
    // Small limits so that sequences reach them.
    c.ids.ids_min = 4;
    c.ids.seq_bits = 6;
    c.msg.max_queue_bytes = 256;
    c.msg.max_queue_messages = 8;
    c.sem.max_nsems = 8;
    c.sem.max_ops = 8;
    c.shm.shmseg = 4;
    c.shm.shmall = 64;
    c.psem.max_sems = 16;
    c.fd.max_fds = 24;
    c.port.max_events = 32;
    c.event_capacity = 256;
    c
}

/// The live threads and processes (and, sometimes, a dead or unknown one).
fn actor(k: &Kernel, r: &mut Rng) -> Tid {
    // Mostly a thread that is free to call (a parked one gets EBUSY).
    let live: Vec<Tid> = k.threads().map(|t| t.tid).filter(|&t| r.chance(10) || k.wait_of(t).is_none()).collect();
    match r.pick(&live) {
        Some(t) if !r.chance(3) => t,
        _ => r.below(64) as u32,
    }
}

fn a_pid(k: &Kernel, r: &mut Rng) -> Pid {
    let live: Vec<Pid> = k.processes().map(|p| p.pid).collect();
    match r.pick(&live) {
        Some(p) if !r.chance(3) => p,
        _ => r.below(64) as u32,
    }
}

fn creds(r: &mut Rng) -> Credentials {
    if r.chance(20) {
        return Credentials::root();
    }
    let mut c = Credentials::user(100 + r.below(3) as u32, 10 + r.below(3) as u32);
    if r.chance(30) {
        c.groups.push(10 + r.below(3) as u32);
    }
    c
}

/// One random operation; returns its name for the statistics.
fn step(k: &mut Kernel, r: &mut Rng, seen: &mut Seen) -> &'static str {
    let t = actor(k, r);
    let flag = |r: &mut Rng| if r.chance(40) { IPC_NOWAIT } else { 0 };
    let timeout = |r: &mut Rng| r.chance(30).then(|| r.below(2000));
    let key = |r: &mut Rng| if r.chance(30) { IPC_PRIVATE } else { 0x40 + r.below(6) as i32 };
    let mode = |r: &mut Rng| [0o600, 0o660, 0o666, 0o644, 0o400, 0][r.below(6) as usize];
    match r.below(40) {
        // ---- processes, threads, the clock ----
        0 => {
            let zone = if r.chance(80) { 0 } else { 1 + r.below(2) as u32 };
            let _ = k.spawn(creds(r), zone, 1 + r.below(2) as u32);
            "spawn"
        }
        1 => {
            let _ = k.fork(a_pid(k, r));
            "fork"
        }
        2 => {
            let _ = k.thread_create(a_pid(k, r));
            "thread_create"
        }
        3 if r.chance(30) => {
            let _ = k.exit(a_pid(k, r));
            "exit"
        }
        4 if r.chance(20) => {
            let _ = k.exec(a_pid(k, r));
            "exec"
        }
        5 if r.chance(5) => {
            let _ = k.zone_remove(1 + r.below(2) as u32);
            "zone_remove"
        }
        6 => {
            let _ = k.interrupt(t);
            "interrupt"
        }
        7 => {
            k.advance(if r.chance(5) { r.next() } else { r.below(3000) });
            "advance"
        }
        8 => {
            let _ = k.take_result(t);
            "take_result"
        }
        // ---- message queues ----
        9 => {
            if let Ok(id) = k.msgget(t, key(r), IPC_CREAT | mode(r) as i32 | if r.chance(10) { IPC_EXCL } else { 0 }) {
                seen.msqids.push(id);
            }
            "msgget"
        }
        10 | 11 => {
            let len = if r.chance(5) { r.below(1 << 17) } else { r.below(64) } as usize;
            let mtype = if r.chance(5) { r.next() as i64 } else { 1 + r.below(3) as i64 };
            let _ = k.msgsnd(t, r.id(&seen.msqids), mtype, &vec![7; len], flag(r), timeout(r));
            "msgsnd"
        }
        12 | 13 => {
            let msgtyp = if r.chance(5) { r.next() as i64 } else { r.below(7) as i64 - 3 };
            let sz = if r.chance(5) { r.next() } else { r.below(80) };
            let fl = flag(r) | if r.chance(20) { MSG_NOERROR } else { 0 };
            let _ = k.msgrcv(t, r.id(&seen.msqids), sz, msgtyp, fl, timeout(r));
            "msgrcv"
        }
        14 => {
            let id = r.id(&seen.msqids);
            let _ = match r.below(4) {
                0 => k.msgctl_stat(t, id).map(drop),
                1 => k.msgctl_rmid(t, id),
                2 => k.msgctl_set(t, id, MsqSet { uid: 100, gid: 10, mode: mode(r), qbytes: r.below(512) }),
                _ => k.msgctl(t, id, r.small(), None).map(drop),
            };
            "msgctl"
        }
        // ---- semaphore arrays ----
        15 => {
            let nsems = if r.chance(10) { r.next() as i32 } else { r.below(5) as i32 };
            if let Ok(id) = k.semget(t, key(r), nsems, IPC_CREAT | mode(r) as i32) {
                seen.semids.push(id);
            }
            "semget"
        }
        16..=18 => {
            let n = if r.chance(3) { r.below(12) } else { 1 + r.below(3) } as usize;
            let sops: Vec<SemBuf> = (0..n)
                .map(|_| SemBuf {
                    sem_num: if r.chance(5) { r.next() as u16 } else { r.below(4) as u16 },
                    sem_op: if r.chance(3) { r.next() as i16 } else { r.below(5) as i16 - 2 },
                    sem_flg: (if r.chance(30) { IPC_NOWAIT as i16 } else { 0 })
                        | if r.chance(30) { SEM_UNDO } else { 0 },
                })
                .collect();
            let _ = k.semop(t, r.id(&seen.semids), &sops, timeout(r));
            "semop"
        }
        19 => {
            let id = r.id(&seen.semids);
            let semnum = if r.chance(5) { r.next() as u32 } else { r.below(4) as u32 };
            let cmd = r.below(12) as i32;
            let arg = match r.below(3) {
                0 => SemArg::Val(if r.chance(10) { r.next() as i32 } else { r.below(4) as i32 }),
                1 => SemArg::Array((0..r.below(6)).map(|_| r.below(4) as u32).collect()),
                _ => SemArg::None,
            };
            let _ = k.semctl(t, id, semnum, cmd, arg);
            "semctl"
        }
        // ---- shared memory ----
        20 => {
            let size = if r.chance(10) { r.next() } else { 1 + r.below(3 * 4096) };
            let fl = IPC_CREAT | mode(r) as i32 | if r.chance(10) { SHM_RMLINGER } else { 0 };
            if let Ok(id) = k.shmget(t, key(r), size, fl) {
                seen.shmids.push(id);
            }
            "shmget"
        }
        21 => {
            let addr = if r.chance(80) { 0 } else { r.next() & 0xffff_ffff };
            let fl = (if r.chance(30) { SHM_RDONLY } else { 0 }) | if r.chance(20) { SHM_RND } else { 0 };
            if let Ok(va) = k.shmat(t, r.id(&seen.shmids), addr, fl) {
                seen.addrs.push(va);
            }
            "shmat"
        }
        22 => {
            let addr = match r.pick(&seen.addrs) {
                Some(a) if !r.chance(10) => a,
                _ => r.next(),
            };
            let _ = k.shmdt(t, addr);
            "shmdt"
        }
        23 | 24 => {
            let addr = r.pick(&seen.addrs).unwrap_or(0).wrapping_add(r.below(9000));
            if r.chance(50) {
                let _ = k.shm_write(t, addr, &vec![0x5a; r.below(300) as usize]);
                "shm_write"
            } else {
                let _ = k.shm_read(t, addr, if r.chance(5) { r.next() } else { r.below(300) });
                "shm_read"
            }
        }
        25 => {
            let id = r.id(&seen.shmids);
            let buf = r.chance(50).then(|| ShmSetPerm { uid: 100, gid: 10, mode: mode(r) });
            let _ = k.shmctl(t, id, r.small(), buf);
            "shmctl"
        }
        // ---- POSIX semaphores ----
        26 => {
            let name: &[u8] = [&b"/a"[..], b"/b", b"/c", b"bad", b"/x/y", b"/waytoolongname15"][r.below(6) as usize];
            let oflag = (if r.chance(60) { O_CREAT } else { 0 }) | if r.chance(15) { O_EXCL } else { 0 };
            let value = if r.chance(5) { r.next() as u32 } else { r.below(3) as u32 };
            if let Ok(id) = k.sem_open(t, name, oflag, mode(r), value) {
                seen.psems.push(id);
            }
            "sem_open"
        }
        27 => {
            if let Ok(id) = k.sem_init(t, r.below(3) as u32, r.chance(50)) {
                seen.psems.push(id);
            }
            "sem_init"
        }
        28 | 29 => {
            let id = match r.pick(&seen.psems) {
                Some(s) if !r.chance(8) => s,
                _ => r.next() as u32,
            };
            match r.below(8) {
                0 | 1 => {
                    let _ = k.sem_post(t, id);
                    "sem_post"
                }
                2 => {
                    let _ = k.sem_wait(t, id);
                    "sem_wait"
                }
                3 => {
                    let _ = k.sem_trywait(t, id);
                    "sem_trywait"
                }
                4 => {
                    let abs = Timespec { sec: r.below(4) as i64 - 1, nsec: r.below(1_200_000_000) as i64 };
                    let _ = k.sem_timedwait(t, id, abs);
                    "sem_timedwait"
                }
                5 => {
                    let _ = k.sem_getvalue(t, id);
                    "sem_getvalue"
                }
                6 => {
                    let _ = k.sem_close(t, id);
                    "sem_close"
                }
                _ => {
                    let _ = k.sem_destroy(t, id);
                    "sem_destroy"
                }
            }
        }
        30 => {
            let _ = k.sem_unlink(t, [&b"/a"[..], b"/b", b"/c", b"nope"][r.below(4) as usize]);
            "sem_unlink"
        }
        // ---- pipes and file descriptors ----
        31 => {
            if let Ok((a, b)) = k.pipe(t) {
                seen.fds.extend([a, b]);
            }
            "pipe"
        }
        32 => {
            let fd = r.id(&seen.fds);
            if r.chance(50) {
                let _ = k.write(t, fd, &vec![1; r.below(6000) as usize], r.chance(50));
                "write"
            } else {
                let _ = k.read(t, fd, r.below(6000) as u32, r.chance(50));
                "read"
            }
        }
        33 if r.chance(40) => {
            let _ = k.close(t, r.id(&seen.fds));
            "close"
        }
        // ---- event ports ----
        34 => {
            if let Ok(fd) = k.port_create(t) {
                seen.fds.push(fd);
            }
            "port_create"
        }
        35 => {
            let port = r.id(&seen.fds);
            match r.below(4) {
                0 => {
                    let _ = k.port_send(t, port, r.small(), r.next());
                    "port_send"
                }
                1 => {
                    let ports: Vec<i32> = (0..r.below(4)).map(|_| r.id(&seen.fds)).collect();
                    let _ = k.port_sendn(t, &ports, r.small(), r.next());
                    "port_sendn"
                }
                2 => {
                    let _ = k.port_alert(t, port, r.below(4) as i32, r.small(), r.next());
                    "port_alert"
                }
                _ => {
                    let object = r.id(&seen.fds) as u64;
                    let source = [4u16, 4, 3, 0][r.below(4) as usize];
                    if r.chance(70) {
                        let _ = k.port_associate(t, port, source, object, r.below(8) as u16, r.next());
                        "port_associate"
                    } else {
                        let _ = k.port_dissociate(t, port, source, object);
                        "port_dissociate"
                    }
                }
            }
        }
        36 => {
            let port = r.id(&seen.fds);
            let to = match r.below(3) {
                0 => None,
                1 => Some(Timespec { sec: 0, nsec: 0 }),
                _ => Some(Timespec { sec: r.below(3) as i64 - 1, nsec: r.below(1_100_000_000) as i64 }),
            };
            if r.chance(50) {
                let _ = k.port_get(t, port, to);
                "port_get"
            } else {
                let _ = k.port_getn(t, port, r.below(5) as u32, r.below(5) as u32, to);
                "port_getn"
            }
        }
        37 => {
            match r.below(3) {
                0 => {
                    if let Ok(id) = k.timer_create(t, r.id(&seen.fds), r.next()) {
                        seen.timers.push(id);
                    }
                }
                1 => {
                    let id = r.pick(&seen.timers).unwrap_or(r.next() as u32);
                    let _ = k.timer_settime(t, id, r.below(3000), if r.chance(50) { 0 } else { r.below(2000) });
                }
                _ => {
                    let id = r.pick(&seen.timers).unwrap_or(r.next() as u32);
                    let _ = k.timer_delete(t, id);
                }
            }
            "timer"
        }
        // ---- the views a viewer draws ----
        38 => {
            let _ = (k.msg_queue_views(), k.sem_set_views(), k.shm_view(), k.psem_view());
            let _ = (k.port_views(), k.pipe_views(), k.fd_table_views(), k.process_views());
            "views"
        }
        // ---- id lists ----
        _ => {
            let _ = (k.msgids(t), k.semids(t), k.shmids(t));
            "ids"
        }
    }
}

/// Runs `ops` operations from `seed`; panics (with the seed) on any broken promise.
fn run(seed: u64, ops: u64, stats: &mut Stats) {
    let mut r = Rng::seeded(seed);
    let mut k = Kernel::new(config()).unwrap();
    let mut seen = Seen::default();
    for _ in 0..3 {
        k.spawn(creds(&mut r), 0, 1).unwrap();
    }
    let mut cursor = k.events_since(0).1;
    for i in 0..ops {
        // Keep the system populated.
        if k.threads().count() < 2 {
            k.spawn(creds(&mut r), 0, 1).unwrap();
        }
        let before = k.events_since(cursor).1;
        let name = step(&mut k, &mut r, &mut seen);
        let (events, after) = k.events_since(before);
        assert!(after >= before, "seed {seed} step {i} ({name}): the event cursor went back");
        for ev in &events {
            match &ev.outcome {
                EventOutcome::Err(e) => *stats.errnos.entry(format!("{e:?}")).or_default() += 1,
                EventOutcome::Blocked(_) => stats.parked += 1,
                _ => {}
            }
            stats.woke += ev.woke.len() as u64;
            // Every event explains itself consistently (its kernel path marked).
            let x = ipc_core::explain::explain(ev);
            if let Err(e) = x.check(ev) {
                panic!("seed {seed} step {i} ({name}): explanation: {e}\n{ev}\n{x:#?}");
            }
            if let (EventOutcome::Err(e), false) = (&ev.outcome, x.path.is_empty()) {
                let placed = x.path.iter().any(|l| l.mark == ipc_core::explain::Mark::Refused);
                *stats.unplaced.entry(format!("{} {e:?}", ev.call.name())).or_default() += u64::from(!placed);
                stats.refusals += 1;
            }
        }
        cursor = after;
        if let Err(e) = k.check() {
            panic!("seed {seed} step {i} ({name}): check: {e}");
        }
        *stats.calls.entry(name).or_default() += 1;
        stats.ops += 1;
        // Snapshot and restore now and then: equal, and it goes on identically.
        if r.chance(1) {
            let json = serde_json::to_string(&k).unwrap();
            let restored: Kernel = serde_json::from_str(&json).unwrap();
            assert_eq!(restored, k, "seed {seed} step {i}: the snapshot did not restore equal");
            assert_eq!(restored.check(), Ok(()));
            k = restored;
            stats.restored += 1;
        }
        seen.forget_oldest();
    }
}

#[test]
fn every_facility_under_random_pressure_only_ever_returns_values() {
    let total: u64 = std::env::var("IPC_FUZZ_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed0: u64 = std::env::var("IPC_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    // Runs of 5 000 operations each: long enough to go deep, short enough
    // that a failure's sequence can be read.
    let per_run = 5_000.min(total);
    let mut stats = Stats::default();
    let started = std::time::Instant::now();
    let mut seed = seed0;
    while stats.ops < total {
        run(seed, per_run.min(total - stats.ops), &mut stats);
        seed += 1;
    }
    let calls = stats.calls.len();
    let errors: u64 = stats.errnos.values().sum();
    eprintln!(
        "fuzz: {} operations over {} runs (seeds {seed0}..{seed}), {calls} kinds; {} parked, {} woken, {errors} refused, {} snapshots restored; {:.1} s",
        stats.ops,
        seed - seed0,
        stats.parked,
        stats.woke,
        stats.restored,
        started.elapsed().as_secs_f64()
    );
    eprintln!("fuzz: refusals by errno: {:?}", stats.errnos);
    let unplaced: u64 = stats.unplaced.values().sum();
    stats.unplaced.retain(|_, n| *n > 0);
    eprintln!(
        "fuzz: explanations placed {} of {} refusals on their kernel path's line; not placed: {:?}",
        stats.refusals - unplaced,
        stats.refusals,
        stats.unplaced
    );
    assert!(stats.ops >= total);
    // The sequences went deep: every kind of operation ran, threads parked
    // and woke, and calls were refused with many different errnos.
    assert!(calls >= 45, "only {calls} kinds of operation ran: {:?}", stats.calls.keys());
    assert!(stats.parked > 0 && stats.woke > 0 && stats.restored > 0);
    assert!(stats.errnos.len() >= 10, "{:?}", stats.errnos);
    // Every refusal of a system call lands on a line of its kernel path.
    assert_eq!(unplaced, 0, "refusals no kernel path line names: {:?}", stats.unplaced);
}
