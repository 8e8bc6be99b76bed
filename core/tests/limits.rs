//! Every configured limit, exhausted.
//!
//! Each test configures a small limit, fills up to it with successes, and
//! then asserts three things about the next call: it gets the errno the
//! module's theory statement (and its seed) gives; it changes **nothing** —
//! the whole facility state (`k.facilities()`, compared with a clone taken
//! before), every process and thread are as they were, and `k.check()`
//! passes (so a refused msgget left no slot, a refused semop applied
//! nothing, a refused shmget committed no page); and freeing one unit lets
//! exactly one more call succeed (where a unit can be freed).
//!
//! | limit | where | errno |
//! |---|---|---|
//! | `project.max-{msg,sem,shm}-ids` (`MsgLimits::max_queues`, `SemLimits::max_sets`, [`Kernel::set_project_limit`]) | msgget / semget / shmget | ENOSPC |
//! | `zone.max-msg-ids` ([`Kernel::set_zone_limit`]) | msgget | ENOSPC |
//! | System V slot table: grows from `ids_min` by doubling up to `2^(31 − seq_bits)` | msgget / semget / shmget | ENOSPC at the maximum |
//! | `msg_qbytes` (msgmnb, `max_queue_bytes`) | msgsnd, IPC_NOWAIT | EAGAIN (a message larger than `msg_qbytes` itself: EINVAL) |
//! | `msg_qmax` (messages per queue, `max_queue_messages`) | msgsnd, IPC_NOWAIT | EAGAIN |
//! | msgmax (`max_message_bytes`) | msgsnd | EINVAL |
//! | raising `msg_qbytes` | msgctl IPC_SET, unprivileged | EPERM |
//! | `process.max-sem-nsems` (`max_nsems`) | semget (new set) | EINVAL; an existing set asked for more than it has: EINVAL |
//! | `process.max-sem-ops` (`max_ops`, captured per set) | semop | E2BIG |
//! | semaphore value max (`value_max`) | semop (cumulative within one call) / SETVAL / SETALL | ERANGE |
//! | adjust-on-exit bound ±65535 (`SEM_AOE_MAX`) | semop with SEM_UNDO | ERANGE |
//! | `shmmin` / `shmmax` | shmget | EINVAL |
//! | `shmall` (pages of all segments) | shmget | ENOMEM |
//! | `shmmni` (segments, removed-but-attached ones included) | shmget | ENOSPC |
//! | `shmseg` (attachments per process, also raised by `shm_sysctl`) | shmat | EMFILE |
//! | `MAX_IO` (bytes per load/store) | shm_read / shm_write | EINVAL |
//! | SEM_MAX (`PsemLimits::max_sems`, system-wide, named or not) | sem_open O_CREAT / sem_init | ENFILE |
//! | SEM_VALUE_MAX (`PsemLimits::value_max`) | sem_open / sem_init with a larger value: EINVAL; sem_post at the max | EOVERFLOW |
//! | `process.max-port-events` (`PortLimits::max_events`, slots per port) | port_send / port_associate / timer_create | EAGAIN (port_sendn: EAGAIN in its error list) |
//! | `project.max-port-ids` (`PortLimits::max_ports`, system-wide) | port_create | EAGAIN (before EMFILE) |
//! | RLIMIT_NOFILE (`FdLimits::max_fds`) | pipe (needs 2) / port_create | EMFILE |
//! | pids (never reused, up to `u32::MAX`) | spawn / fork | EAGAIN |
//! | tids (never reused, up to `u32::MAX`) | spawn / fork / thread_create | EAGAIN |
//! | `event_capacity` | every operation | none: the oldest events are dropped |
//!
//! Pids and tids are never reused, so exiting frees none; they are brought
//! near their end through a snapshot (the kernel is plain serde data).
//!
//! **Memory that stops growing.** A counting global allocator keeps the
//! live bytes of each thread.  For messages at msgmnb, ids at the project
//! limit, port events at `max-port-events`, POSIX semaphores at SEM_MAX and
//! the event log at its capacity, the refused call (or, for the log, a mix
//! of calls) is repeated 10 000 times after a warm-up, and the live bytes
//! must not grow by more than [`MEMORY_SLACK`] over those 10 000 calls.
//!
//! Every limit above was found enforced; no refused call was found to leave
//! anything behind, and none panicked.
//!
//! **Bug found and fixed: id counters that wrapped onto live objects.**
//! Open-file, pipe, port and timer numbers come from `u32` counters that
//! wrap after 2^32 (`wrapping_add(1).max(1)`), reachable by a long-running
//! embedder (every pipe takes two file numbers).  A wrapped counter handed
//! out a number still in use and the `BTreeMap` insert silently replaced
//! the live object (a port's open file became a pipe's end, port 1 was
//! replaced by a new port; `check` failed).  Now each counter skips numbers
//! still in use, as `uipc_sem.c`'s `ksem_counter` does (`fd/mod.rs`:
//! `new_file`, `pipe`; `port/mod.rs`: `port_create`, `timer_create`);
//! regression tests: [`file_and_pipe_numbers_wrap_without_replacing_live_ones`],
//! [`port_and_timer_ids_wrap_without_replacing_live_ones`].  (Pids and tids
//! already ran out with EAGAIN instead of wrapping; POSIX semaphore ids
//! already skipped ids in use.)
//!
//! One faithful trace is worth knowing (asserted in
//! [`the_id_table_grows_to_its_maximum_then_enospc`]): a GET that *creates*
//! runs illumos' allocation test, which doubles a full table, before the
//! facility's own checks (shmmin/shmmax, nsems); when those then refuse,
//! the table stays doubled with no object in it — exactly `ipc_get` +
//! `ipc_cleanup` in illumos.  The resource controls are tested *before*
//! growth, so an ENOSPC from a project or zone limit never grows it.

mod common;

use common::*;
use ipc_core::EventOutcome;
use ipc_core::fd::{FdLimits, POLLIN};
use ipc_core::port::{PORT_SOURCE_FD, PortLimits};
use ipc_core::psem::{O_CREAT, PsemLimits, Timespec};
use ipc_core::sem::{SEM_UNDO, SemBuf, SemLimits};
use ipc_core::shm::{MAX_IO, PAGE_SIZE, ShmLimits, ShmSysctl};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;

// ----- the counting allocator -----

/// The system allocator, counting the live bytes of the calling thread.
///
/// Tests in one binary run in parallel threads and the allocator is
/// global.  A single global counter would see every other test's (and the
/// harness's) allocations; a mutex shared by the tests would still not stop
/// the harness's own threads.  A **per-thread** counter needs no
/// coordination: the kernel is single-threaded, so everything a test's
/// kernel allocates and frees happens on the test's own thread, and only
/// that thread's count is read.  (Memory freed on another thread than the
/// one that allocated it would skew the counts, so they are signed and
/// only their differences are used; the measured loops move no memory
/// across threads.)  The counter is a `Cell` with a `const` initialiser and
/// no destructor: reading it never allocates, so the allocator cannot
/// recurse into itself.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: a thread being torn down may still free memory.
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

// SAFETY: every method forwards to `System` with the same arguments and
// only adds bookkeeping that neither allocates nor touches the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live bytes allocated by this thread (and not yet freed).
fn live() -> isize {
    LIVE.with(Cell::get)
}

/// How many bytes the live total may grow over the measured calls.
const MEMORY_SLACK: isize = 1024;
/// Calls made before measuring: enough to fill the event log (capacity
/// [`SMALL_LOG`]) several times over, so its rings have reached their size.
const WARM_UP: usize = 2_000;
/// Calls measured.
const MEASURED: usize = 10_000;
/// The event log's capacity in the memory tests.
const SMALL_LOG: usize = 128;

/// Runs `call` [`WARM_UP`] times, then [`MEASURED`] times, and asserts the
/// live bytes grew by at most [`MEMORY_SLACK`] over the measured calls.
fn memory_stops_growing(what: &str, mut call: impl FnMut()) {
    for _ in 0..WARM_UP {
        call();
    }
    let before = live();
    for _ in 0..MEASURED {
        call();
    }
    let growth = live() - before;
    println!("memory: {what}: {before} live bytes after {WARM_UP} calls, {growth:+} over the next {MEASURED}");
    assert!(growth <= MEMORY_SLACK, "{what}: live bytes grew by {growth} over {MEASURED} calls");
}

// ----- helpers -----

fn with(config: Config) -> Kernel {
    Kernel::new(config).unwrap()
}

/// The result of a call that must not park.
fn now<T>(o: Outcome<T>) -> Result<T, Errno> {
    match o {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("the call parked: {reason}"),
    }
}

/// Makes a call that must be refused with `errno` and asserts it left
/// everything as it was: the facilities' whole state, every process and
/// thread, the invariants — only the event log gained the refusal.
fn refused<T: Debug>(k: &mut Kernel, errno: Errno, what: &str, call: impl FnOnce(&mut Kernel) -> Result<T, Errno>) {
    let fac = k.facilities().clone();
    let procs: Vec<_> = k.processes().cloned().collect();
    let threads: Vec<_> = k.threads().cloned().collect();
    let (_, seq) = k.events_since(u64::MAX);
    let r = call(k);
    assert_eq!(r.as_ref().err(), Some(&errno), "{what}: {r:?}");
    assert!(k.facilities() == &fac, "{what}: the refused call changed the facilities' state");
    assert!(k.processes().cloned().collect::<Vec<_>>() == procs, "{what}: the refused call changed a process");
    assert!(k.threads().cloned().collect::<Vec<_>>() == threads, "{what}: the refused call changed a thread");
    let ev = k.last_event().unwrap();
    assert_eq!((ev.seq, ev.outcome), (seq, EventOutcome::Err(errno)), "{what}: one event, the refusal");
    k.check().unwrap_or_else(|e| panic!("{what}: {e}"));
}

fn op(sem_num: u16, sem_op: i16, sem_flg: i16) -> SemBuf {
    SemBuf { sem_num, sem_op, sem_flg }
}

const NOWAIT: i16 = IPC_NOWAIT as i16;
const ZERO: Timespec = Timespec { sec: 0, nsec: 0 };

// ----- System V ids -----

#[test]
fn ids_per_project_and_per_zone() {
    let msg = MsgLimits { max_queues: 3, ..MsgLimits::default() };
    let mut k = with(Config { msg, event_capacity: SMALL_LOG, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let other_project = k.spawn(Credentials::user(100, 10), 0, 2).unwrap().1;
    let mut ids: Vec<i32> = (0..3).map(|i| k.msgget(t, 0x100 + i, IPC_CREAT | 0o600).unwrap()).collect();
    refused(&mut k, Errno::ENOSPC, "4th msgget in project 1", |k| k.msgget(t, IPC_PRIVATE, 0o600));
    refused(&mut k, Errno::ENOSPC, "4th keyed msgget", |k| k.msgget(t, 0x200, IPC_CREAT | 0o600));
    assert_eq!(k.msgget(t, 0x100, 0), Ok(ids[0]), "an existing key needs no new id");
    assert_eq!(k.facilities().msg().service().usage(1), 3);
    // The limit is per project: project 2 has its own 3.
    k.msgget(other_project, IPC_PRIVATE, 0o600).unwrap();
    // Freeing one lets exactly one more in.
    rmid(&mut k, t, ids.remove(1)).unwrap();
    ids.push(k.msgget(t, IPC_PRIVATE, 0o600).unwrap());
    refused(&mut k, Errno::ENOSPC, "msgget after the one freed id was taken", |k| k.msgget(t, IPC_PRIVATE, 0o600));

    // A project's own value, lower than its usage, refuses without removing.
    k.set_project_limit(2, Facility::Msg, 1).unwrap();
    refused(&mut k, Errno::ENOSPC, "project 2 at its own limit", |k| k.msgget(other_project, IPC_PRIVATE, 0o600));
    k.set_project_limit(1, Facility::Msg, 4).unwrap();
    ids.push(k.msgget(t, IPC_PRIVATE, 0o600).unwrap());
    refused(&mut k, Errno::ENOSPC, "project 1 at its raised limit", |k| k.msgget(t, IPC_PRIVATE, 0o600));

    // zone.max-msg-ids: zone 5 may hold 2, whatever its projects allow.
    let z1 = k.spawn(Credentials::user(100, 10), 5, 7).unwrap().1;
    let z2 = k.spawn(Credentials::user(100, 10), 5, 8).unwrap().1;
    k.set_zone_limit(5, Facility::Msg, 2).unwrap();
    let zq = k.msgget(z1, IPC_PRIVATE, 0o600).unwrap();
    k.msgget(z2, IPC_PRIVATE, 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "zone 5 at zone.max-msg-ids", |k| k.msgget(z1, IPC_PRIVATE, 0o600));
    rmid(&mut k, z1, zq).unwrap();
    k.msgget(z2, IPC_PRIVATE, 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "zone 5 full again", |k| k.msgget(z2, IPC_PRIVATE, 0o600));

    // Memory: a refused msgget leaves nothing, however often it is made.
    memory_stops_growing("msgget refused at project.max-msg-ids", || {
        assert_eq!(k.msgget(t, IPC_PRIVATE, 0o600), Err(Errno::ENOSPC));
    });
    k.check().unwrap();
}

#[test]
fn sem_and_shm_ids_per_project() {
    let sem = SemLimits { max_sets: 2, ..SemLimits::default() };
    let mut k = with(Config { sem, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let a = k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "3rd semget", |k| k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600));
    k.semctl_rmid(t, a).unwrap();
    k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "semget after the freed id", |k| k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600));

    // Shared memory's default is illumos' 128; a project value binds.
    k.set_project_limit(1, Facility::Shm, 2).unwrap();
    let s = k.shmget(t, IPC_PRIVATE, 100, IPC_CREAT | 0o600).unwrap();
    k.shmget(t, IPC_PRIVATE, 100, IPC_CREAT | 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "3rd shmget", |k| k.shmget(t, IPC_PRIVATE, 100, IPC_CREAT | 0o600));
    assert_eq!(k.facilities().shm().committed(), 2, "the refused shmget committed no page");
    k.shmctl_rmid(t, s).unwrap();
    k.shmget(t, IPC_PRIVATE, 100, IPC_CREAT | 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "shmget after the freed id", |k| k.shmget(t, IPC_PRIVATE, 100, IPC_CREAT | 0o600));
}

#[test]
fn the_id_table_grows_to_its_maximum_then_enospc() {
    // 28 sequence bits leave 3 index bits: the table grows 2 → 4 → 8.
    let ids = IdSpace { seq_bits: 28, ids_min: 2 };
    let mut k = with(Config { ids, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let slots = |k: &Kernel| k.namespace_view(Facility::Msg).slots.len();
    assert_eq!((slots(&k), ids.ids_max()), (2, 8));
    // One zone alone meets its zone.max-msg-ids first: its default is the
    // table's maximum (IPC_IDS_MAX), as in illumos.
    let mut qs = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..8 {
        qs.push(k.msgget(t, IPC_PRIVATE, 0o600).unwrap());
        sizes.push(slots(&k));
    }
    assert_eq!(sizes, [2, 2, 4, 4, 8, 8, 8, 8], "doubling when full");
    refused(&mut k, Errno::ENOSPC, "msgget with the table at its maximum", |k| k.msgget(t, IPC_PRIVATE, 0o600));
    assert!(last_steps(&k).iter().any(|s| s.contains("zone 0 is at its limit of 8")), "{:?}", last_steps(&k));
    // Two zones sharing the table: the table's own maximum refuses.
    for q in qs.drain(4..) {
        rmid(&mut k, t, q).unwrap();
    }
    let z = k.spawn(Credentials::user(100, 10), 3, 1).unwrap().1;
    for _ in 0..4 {
        k.msgget(z, IPC_PRIVATE, 0o600).unwrap();
    }
    refused(&mut k, Errno::ENOSPC, "msgget from zone 0, table full", |k| k.msgget(t, IPC_PRIVATE, 0o600));
    assert!(last_steps(&k).iter().any(|s| s.contains("full at its maximum of 8 slots")), "{:?}", last_steps(&k));
    refused(&mut k, Errno::ENOSPC, "msgget from zone 3, table full", |k| k.msgget(z, IPC_PRIVATE, 0o600));
    // Freeing one slot lets exactly one more in, in that slot, with a new sequence.
    let freed = qs.remove(3);
    rmid(&mut k, t, freed).unwrap();
    let again = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(again & 7, freed & 7, "the freed slot");
    assert_ne!(again, freed, "a new id: the slot's sequence moved on");
    refused(&mut k, Errno::ENOSPC, "msgget after the freed slot was taken", |k| k.msgget(t, IPC_PRIVATE, 0o600));
    // The other facilities have tables of their own, with the same maximum.
    for caller in [t, z, t, z, t, z, t, z] {
        k.semget(caller, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
        k.shmget(caller, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    }
    refused(&mut k, Errno::ENOSPC, "semget at the maximum", |k| k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600));
    refused(&mut k, Errno::ENOSPC, "shmget at the maximum", |k| k.shmget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600));

    // ipc_alloc_test tests the resource controls before growing: a caller
    // denied by its project cannot double a full table.
    let mut k = with(Config { ids, ..Config::default() });
    let t = user(&mut k, 100, 10);
    k.set_project_limit(1, Facility::Msg, 2).unwrap();
    k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    refused(&mut k, Errno::ENOSPC, "project limit at a full table", |k| k.msgget(t, IPC_PRIVATE, 0o600));
    assert_eq!(slots(&k), 2, "no growth for a denied caller");

    // A creating GET that the facility then refuses (here nsems above the
    // maximum, checked after the allocation test as in sem.c) leaves the
    // full table doubled but no object: illumos' ipc_get + ipc_cleanup.
    let mut k = with(Config { ids, ..Config::default() });
    let t = user(&mut k, 100, 10);
    k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    assert_eq!(k.semget(t, IPC_PRIVATE, 100_000, IPC_CREAT | 0o600), Err(Errno::EINVAL));
    let view = k.namespace_view(Facility::Sem);
    assert_eq!((view.slots.len(), view.ids.len()), (4, 2), "grown, but nothing half-made");
    k.check().unwrap();
}

// ----- message queues -----

#[test]
fn message_bytes_count_and_size() {
    let msg = MsgLimits { max_message_bytes: 16, max_queue_bytes: 40, max_queue_messages: 4, max_queues: 8 };
    let mut k = with(Config { msg, event_capacity: SMALL_LOG, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let q = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();

    // msgmax: the largest message, EINVAL before anything else.
    refused(&mut k, Errno::EINVAL, "a 17-byte message over msgmax 16", |k| send(k, t, q, 1, &[0; 17]));
    refused(&mut k, Errno::EINVAL, "msgmax without IPC_NOWAIT (never parks)", |k| {
        now(k.msgsnd(t, q, 1, &[0; 17], 0, None))
    });

    // msgmnb: 16 + 16 + 8 = 40 bytes fill the queue.
    send(&mut k, t, q, 1, &[1; 16]).unwrap();
    send(&mut k, t, q, 2, &[2; 16]).unwrap();
    send(&mut k, t, q, 3, &[3; 8]).unwrap();
    let ds = stat(&mut k, t, q).unwrap();
    assert_eq!((ds.qnum, ds.cbytes, ds.qbytes), (3, 40, 40));
    refused(&mut k, Errno::EAGAIN, "1 byte more than msgmnb", |k| send(k, t, q, 4, b"x"));
    refused(&mut k, Errno::EAGAIN, "a 16-byte message with all 40 bytes used", |k| send(k, t, q, 4, &[0; 16]));
    // A zero timeout never waits: EAGAIN, with the park undone.
    refused(&mut k, Errno::EAGAIN, "msgsnd with a zero timeout", |k| now(k.msgsnd(t, q, 4, b"x", 0, Some(0))));
    // Taking 8 bytes makes room for exactly 8.
    assert_eq!(recv(&mut k, t, q, 64, 3).unwrap().data, [3; 8]);
    send(&mut k, t, q, 4, &[4; 8]).unwrap();
    refused(&mut k, Errno::EAGAIN, "msgmnb reached again", |k| send(k, t, q, 5, b"y"));

    // Memory: messages at msgmnb, a refused send repeated.
    memory_stops_growing("msgsnd refused at msgmnb", || {
        assert_eq!(send(&mut k, t, q, 9, &[9; 16]), Err(Errno::EAGAIN));
    });

    // msg_qmax: 4 messages, however small.
    let q2 = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    for i in 1..=4 {
        send(&mut k, t, q2, i, b"").unwrap();
    }
    refused(&mut k, Errno::EAGAIN, "a 5th (empty) message over msg_qmax 4", |k| send(k, t, q2, 5, b""));
    recv(&mut k, t, q2, 0, 0).unwrap();
    send(&mut k, t, q2, 5, b"").unwrap();
    refused(&mut k, Errno::EAGAIN, "msg_qmax reached again", |k| send(k, t, q2, 6, b""));
    assert_eq!(stat(&mut k, t, q2).unwrap().qnum, 4);

    // msg_qbytes binds a message by itself (EINVAL), and only privilege raises it.
    let small = MsqSet { uid: 100, gid: 10, mode: 0o600, qbytes: 10 };
    k.msgctl_set(t, q2, small).unwrap();
    refused(&mut k, Errno::EINVAL, "an 11-byte message on a 10-byte queue", |k| send(k, t, q2, 1, &[0; 11]));
    refused(&mut k, Errno::EPERM, "raising msg_qbytes unprivileged", |k| {
        k.msgctl_set(t, q2, MsqSet { qbytes: 11, ..small })
    });
    k.check().unwrap();
}

// ----- semaphore arrays -----

#[test]
fn semaphores_per_set_operations_per_call_and_values() {
    let sem = SemLimits { max_nsems: 4, max_ops: 3, value_max: 10, max_sets: 8 };
    let mut k = with(Config { sem, ..Config::default() });
    let t = user(&mut k, 100, 10);

    // process.max-sem-nsems.
    refused(&mut k, Errno::EINVAL, "5 semaphores over max_nsems 4", |k| k.semget(t, 0x5, 5, IPC_CREAT | 0o600));
    let id = k.semget(t, 0x5, 4, IPC_CREAT | 0o600).unwrap();
    refused(&mut k, Errno::EINVAL, "an existing set asked for more than it has", |k| k.semget(t, 0x5, 5, 0));
    assert_eq!(k.semget(t, 0x5, 4, 0), Ok(id));

    // process.max-sem-ops: 4 operations are E2BIG and apply nothing.
    let four = [op(0, 1, 0), op(1, 1, 0), op(2, 1, 0), op(3, 1, 0)];
    refused(&mut k, Errno::E2BIG, "4 operations over max_ops 3", |k| now(k.semop(t, id, &four, None)));
    now(k.semop(t, id, &four[..3], None)).unwrap();
    assert_eq!(k.semctl_getall(t, id).unwrap(), [1, 1, 1, 0]);

    // value_max: ERANGE, cumulatively within one call, all or nothing.
    refused(&mut k, Errno::ERANGE, "+10 on a value of 1", |k| now(k.semop(t, id, &[op(0, 10, 0)], None)));
    refused(&mut k, Errno::ERANGE, "+5 then +5 on a value of 1", |k| {
        now(k.semop(t, id, &[op(3, 1, 0), op(0, 5, 0), op(0, 5, 0)], None))
    });
    assert_eq!(k.semctl_getall(t, id).unwrap(), [1, 1, 1, 0], "the applied prefix was rolled back");
    now(k.semop(t, id, &[op(0, 9, 0)], None)).unwrap();
    refused(&mut k, Errno::ERANGE, "+1 at value_max", |k| now(k.semop(t, id, &[op(0, 1, NOWAIT)], None)));
    now(k.semop(t, id, &[op(0, -1, 0)], None)).unwrap();
    now(k.semop(t, id, &[op(0, 1, 0)], None)).unwrap();
    refused(&mut k, Errno::ERANGE, "+1 at value_max again", |k| now(k.semop(t, id, &[op(0, 1, 0)], None)));
    refused(&mut k, Errno::ERANGE, "SETVAL above value_max", |k| k.semctl_setval(t, id, 1, 11));
    refused(&mut k, Errno::ERANGE, "SETALL with one value above value_max", |k| k.semctl_setall(t, id, &[0, 0, 11, 0]));
    k.semctl_setval(t, id, 1, 10).unwrap();
    assert_eq!(k.semctl_getall(t, id).unwrap(), [10, 10, 1, 0]);

    // The adjust-on-exit bound, ±65535 (with the default value_max 65535).
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
    now(k.semop(t, id, &[op(0, i16::MAX, SEM_UNDO)], None)).unwrap();
    now(k.semop(t, id, &[op(0, i16::MAX, SEM_UNDO)], None)).unwrap();
    now(k.semop(t, id, &[op(0, -(i16::MAX), 0), op(0, -(i16::MAX), 0)], None)).unwrap();
    let pid = pid_of(&k, t);
    let adj = |k: &Kernel| k.facilities().sem().undo_records(pid).unwrap().values().next().unwrap()[0];
    assert_eq!(adj(&k), -65534);
    now(k.semop(t, id, &[op(0, 1, SEM_UNDO)], None)).unwrap();
    assert_eq!(adj(&k), -65535);
    refused(&mut k, Errno::ERANGE, "an adjustment beyond -65535", |k| now(k.semop(t, id, &[op(0, 1, SEM_UNDO)], None)));
    assert_eq!((adj(&k), k.semctl_getall(t, id).unwrap()), (-65535, vec![1]));
    // Taking one back (with undo) makes room for exactly one more.
    now(k.semop(t, id, &[op(0, -1, SEM_UNDO)], None)).unwrap();
    now(k.semop(t, id, &[op(0, 1, SEM_UNDO)], None)).unwrap();
    refused(&mut k, Errno::ERANGE, "the bound again", |k| now(k.semop(t, id, &[op(0, 1, SEM_UNDO)], None)));
}

// ----- shared memory -----

#[test]
fn shm_sizes_total_segments_and_attachments() {
    let shm = ShmLimits { shmmin: 2, shmmax: 2 * PAGE_SIZE, shmmni: 4, shmseg: 2, shmall: 5 };
    let mut k = with(Config { shm, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let get = |k: &mut Kernel, size: u64| k.shmget(t, IPC_PRIVATE, size, IPC_CREAT | 0o600);
    let used = |k: &Kernel| (k.facilities().shm().nused(), k.facilities().shm().committed());

    // shmmin, shmmax.
    refused(&mut k, Errno::EINVAL, "1 byte below shmmin 2", |k| get(k, 1));
    refused(&mut k, Errno::EINVAL, "1 byte above shmmax", |k| get(k, 2 * PAGE_SIZE + 1));
    let a = get(&mut k, 2).unwrap();
    let b = get(&mut k, 2 * PAGE_SIZE).unwrap();
    assert_eq!(used(&k), (2, 3));

    // shmall: 5 pages in all; 3 + 2 fit, one page more does not.
    let c = get(&mut k, 2 * PAGE_SIZE).unwrap();
    assert_eq!(used(&k), (3, 5));
    refused(&mut k, Errno::ENOMEM, "one more page over shmall 5", |k| get(k, 2));
    k.shmctl_rmid(t, a).unwrap();
    assert_eq!(used(&k), (2, 4));
    let a = get(&mut k, PAGE_SIZE).unwrap();
    refused(&mut k, Errno::ENOMEM, "shmall reached again", |k| get(k, 2));

    // shmmni counts segments, removed ones still attached included.
    k.shmctl_rmid(t, b).unwrap();
    k.shmctl_rmid(t, c).unwrap();
    assert_eq!(used(&k), (1, 1));
    let d = get(&mut k, 2).unwrap();
    let e = get(&mut k, 2).unwrap();
    let f = get(&mut k, 2).unwrap();
    assert_eq!(used(&k), (4, 4));
    refused(&mut k, Errno::ENOSPC, "a 5th segment over shmmni 4", |k| get(k, 2));
    let va = k.shmat(t, d, 0, 0).unwrap();
    k.shmctl_rmid(t, d).unwrap();
    refused(&mut k, Errno::ENOSPC, "a removed but attached segment still counts", |k| get(k, 2));
    k.shmdt(t, va).unwrap();
    let d = get(&mut k, 2).unwrap();
    refused(&mut k, Errno::ENOSPC, "shmmni reached again", |k| get(k, 2));

    // shmseg: 2 attachments per process.
    let va1 = k.shmat(t, a, 0, 0).unwrap();
    k.shmat(t, e, 0, 0).unwrap();
    refused(&mut k, Errno::EMFILE, "a 3rd attachment over shmseg 2", |k| k.shmat(t, f, 0, 0));
    refused(&mut k, Errno::EMFILE, "the same segment again", |k| k.shmat(t, a, 0, 0));
    assert_eq!(k.shmctl_stat(t, f).unwrap().nattch, 0);
    // Another process has its own 2.
    let other = user(&mut k, 100, 10);
    k.shmat(other, f, 0, 0).unwrap();
    k.shmat(other, d, 0, 0).unwrap();
    refused(&mut k, Errno::EMFILE, "the other process at shmseg", |k| k.shmat(other, a, 0, 0));
    // Detaching one lets exactly one more attach.
    k.shmdt(t, va1).unwrap();
    k.shmat(t, f, 0, 0).unwrap();
    refused(&mut k, Errno::EMFILE, "shmseg reached again", |k| k.shmat(t, a, 0, 0));
    // kern.ipc.shmseg raises it (privileged).
    refused(&mut k, Errno::EPERM, "an unprivileged sysctl", |k| k.shm_sysctl(t, ShmSysctl::Shmseg(3)));
    let r = root(&mut k);
    k.shm_sysctl(r, ShmSysctl::Shmseg(3)).unwrap();
    k.shmat(t, a, 0, 0).unwrap();
    refused(&mut k, Errno::EMFILE, "the raised shmseg reached", |k| k.shmat(t, d, 0, 0));
    assert_eq!(k.facilities().shm().map_of(pid_of(&k, t)).len(), 3);
    k.check().unwrap();

    // MAX_IO: one load or store moves at most 1 MiB.
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let big = k.shmget(t, IPC_PRIVATE, 2 * MAX_IO, IPC_CREAT | 0o600).unwrap();
    let va = k.shmat(t, big, 0, 0).unwrap();
    let data = vec![7u8; MAX_IO as usize + 1];
    refused(&mut k, Errno::EINVAL, "a store of MAX_IO + 1 bytes", |k| k.shm_write(t, va, &data));
    refused(&mut k, Errno::EINVAL, "a load of MAX_IO + 1 bytes", |k| k.shm_read(t, va, MAX_IO + 1));
    k.shm_write(t, va, &data[..MAX_IO as usize]).unwrap();
    assert_eq!(k.shm_read(t, va + MAX_IO - 1, 1).unwrap(), [7]);
}

// ----- POSIX semaphores -----

#[test]
fn posix_semaphores_in_the_system_and_their_values() {
    let psem = PsemLimits { max_sems: 3, value_max: 5 };
    let mut k = with(Config { psem, event_capacity: SMALL_LOG, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);

    // SEM_VALUE_MAX at creation: EINVAL.
    refused(&mut k, Errno::EINVAL, "sem_open with a value above the max", |k| {
        k.sem_open(t, b"/big", O_CREAT, 0o600, 6)
    });
    refused(&mut k, Errno::EINVAL, "sem_init with a value above the max", |k| k.sem_init(t, 6, false));

    // SEM_MAX, system-wide: named and anonymous, any process.
    let a = k.sem_open(t, b"/a", O_CREAT, 0o666, 5).unwrap();
    k.sem_init(t, 0, false).unwrap();
    let c = k.sem_init(other, 0, true).unwrap();
    refused(&mut k, Errno::ENFILE, "a 4th semaphore by sem_open", |k| k.sem_open(t, b"/d", O_CREAT, 0o600, 0));
    refused(&mut k, Errno::ENFILE, "a 4th semaphore by sem_init", |k| k.sem_init(other, 0, false));
    assert_eq!(k.sem_open(other, b"/a", O_CREAT, 0o600, 0), Ok(a), "opening an existing one makes nothing");
    assert_eq!(k.facilities().psem().all().count(), 3);
    // Freeing one lets exactly one more be made.
    k.sem_destroy(other, c).unwrap();
    k.sem_open(other, b"/d", O_CREAT, 0o600, 0).unwrap();
    refused(&mut k, Errno::ENFILE, "SEM_MAX reached again", |k| k.sem_init(t, 0, false));
    // An unlinked semaphore still open still counts.
    k.sem_unlink(t, b"/a").unwrap();
    refused(&mut k, Errno::ENFILE, "an unlinked but open one counts", |k| k.sem_open(t, b"/e", O_CREAT, 0o600, 0));

    // SEM_VALUE_MAX at sem_post: EOVERFLOW, the value stays.
    refused(&mut k, Errno::EOVERFLOW, "sem_post at the max", |k| k.sem_post(t, a));
    k.sem_trywait(t, a).unwrap();
    k.sem_post(t, a).unwrap();
    refused(&mut k, Errno::EOVERFLOW, "sem_post at the max again", |k| k.sem_post(other, a));
    assert_eq!(k.sem_getvalue(t, a), Ok(5));

    memory_stops_growing("sem_open refused at SEM_MAX", || {
        assert_eq!(k.sem_open(t, b"/full", O_CREAT, 0o600, 0), Err(Errno::ENFILE));
    });
    k.check().unwrap();
}

// ----- event ports and fds -----

#[test]
fn port_event_slots() {
    let port = PortLimits { max_events: 3, ..PortLimits::default() };
    let mut k = with(Config { port, event_capacity: SMALL_LOG, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let p = k.port_create(t).unwrap();
    let (r, _w) = k.pipe(t).unwrap();
    let curr = |k: &Kernel| k.facilities().ports().all().next().unwrap().curr;

    // A timer, an association and a user event take the 3 slots.
    k.timer_create(t, p, 1).unwrap();
    k.port_associate(t, p, PORT_SOURCE_FD, r as u64, POLLIN, 2).unwrap();
    k.port_send(t, p, 5, 3).unwrap();
    assert_eq!(curr(&k), 3);
    refused(&mut k, Errno::EAGAIN, "port_send with every slot in use", |k| k.port_send(t, p, 5, 4));
    refused(&mut k, Errno::EAGAIN, "timer_create with every slot in use", |k| k.timer_create(t, p, 4));
    let (r2, _w2) = k.pipe(t).unwrap();
    refused(&mut k, Errno::EAGAIN, "a new association with every slot in use", |k| {
        k.port_associate(t, p, PORT_SOURCE_FD, r2 as u64, POLLIN, 4)
    });
    // Re-associating an fd takes no new slot.
    k.port_associate(t, p, PORT_SOURCE_FD, r as u64, POLLIN, 9).unwrap();
    // port_sendn reports EAGAIN per port and changes nothing.
    let fac = k.facilities().clone();
    let s = k.port_sendn(t, &[p], 5, 4).unwrap();
    assert_eq!((s.sent, s.errors), (0, vec![Some(Errno::EAGAIN)]));
    assert!(k.facilities() == &fac);
    // Retrieving the user event frees exactly one slot.
    let got = now(k.port_getn(t, p, 1, 1, Some(ZERO))).unwrap();
    assert_eq!(got.events.len(), 1);
    assert_eq!(curr(&k), 2);
    k.port_send(t, p, 5, 5).unwrap();
    refused(&mut k, Errno::EAGAIN, "every slot in use again", |k| k.port_send(t, p, 5, 6));

    memory_stops_growing("port_send refused at process.max-port-events", || {
        assert_eq!(k.port_send(t, p, 5, 7), Err(Errno::EAGAIN));
    });
    k.check().unwrap();
}

#[test]
fn port_ids_and_fds_per_process() {
    // project.max-port-ids: 2 ports in the system.
    let port = PortLimits { max_ports: 2, ..PortLimits::default() };
    let mut k = with(Config { port, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    let p1 = k.port_create(t).unwrap();
    k.port_create(other).unwrap();
    refused(&mut k, Errno::EAGAIN, "a 3rd port", |k| k.port_create(t));
    refused(&mut k, Errno::EAGAIN, "a 3rd port from another process", |k| k.port_create(other));
    k.close(t, p1).unwrap();
    k.port_create(t).unwrap();
    refused(&mut k, Errno::EAGAIN, "max-port-ids reached again", |k| k.port_create(t));

    // RLIMIT_NOFILE: 4 fds per process.
    let fd = FdLimits { max_fds: 4, ..FdLimits::default() };
    let mut k = with(Config { fd, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let (r, w) = k.pipe(t).unwrap();
    let port = k.port_create(t).unwrap();
    assert_eq!((r, w, port), (0, 1, 2));
    refused(&mut k, Errno::EMFILE, "a pipe needs 2 fds, 1 is free", |k| k.pipe(t));
    k.port_create(t).unwrap();
    refused(&mut k, Errno::EMFILE, "a port with no free fd", |k| k.port_create(t));
    refused(&mut k, Errno::EMFILE, "a pipe with no free fd", |k| k.pipe(t));
    // Closing one fd lets exactly one more port in (and not a pipe).
    k.close(t, w).unwrap();
    refused(&mut k, Errno::EMFILE, "a pipe with 1 free fd", |k| k.pipe(t));
    assert_eq!(k.port_create(t), Ok(w), "the lowest free fd");
    refused(&mut k, Errno::EMFILE, "max_fds reached again", |k| k.port_create(t));
    // A forked child inherits the full table, and the limit.
    let (_, child) = k.fork(pid_of(&k, t)).unwrap();
    refused(&mut k, Errno::EMFILE, "the child's table is full too", |k| k.port_create(child));
    // With both limits reached, max-port-ids is checked before the fd.
    let mut k = with(Config {
        fd: FdLimits { max_fds: 3, ..FdLimits::default() },
        port: PortLimits { max_ports: 1, ..PortLimits::default() },
        ..Config::default()
    });
    let t = user(&mut k, 100, 10);
    k.port_create(t).unwrap();
    k.pipe(t).unwrap();
    refused(&mut k, Errno::EAGAIN, "no port id left and no fd left: EAGAIN first", |k| k.port_create(t));
}

// ----- processes and threads -----

/// A kernel whose pid or tid counter is near its end (a snapshot, edited).
fn near_the_end(field: &str, next: u32) -> Kernel {
    let mut json = serde_json::to_value(kernel()).unwrap();
    json[field] = serde_json::json!(next);
    let k: Kernel = serde_json::from_value(json).unwrap();
    k.check().unwrap();
    k
}

#[test]
fn pids_run_out_with_eagain() {
    let mut k = near_the_end("next_pid", u32::MAX - 2);
    let (a, _) = k.spawn(Credentials::user(1, 1), 0, 1).unwrap();
    let (b, _) = k.fork(a).unwrap();
    assert_eq!((a, b), (u32::MAX - 2, u32::MAX - 1));
    refused(&mut k, Errno::EAGAIN, "spawn with no pid left", |k| k.spawn(Credentials::user(1, 1), 0, 1));
    refused(&mut k, Errno::EAGAIN, "fork with no pid left", |k| k.fork(a));
    // Pids are never reused: an exit frees none.
    k.exit(b).unwrap();
    refused(&mut k, Errno::EAGAIN, "spawn after an exit", |k| k.spawn(Credentials::user(1, 1), 0, 1));
    // Threads of a live process are still possible.
    k.thread_create(a).unwrap();
    assert_eq!(k.processes().count(), 1);
}

#[test]
fn tids_run_out_with_eagain() {
    let mut k = near_the_end("next_tid", u32::MAX - 2);
    let (p, t) = k.spawn(Credentials::user(1, 1), 0, 1).unwrap();
    let t2 = k.thread_create(p).unwrap();
    assert_eq!((t, t2), (u32::MAX - 2, u32::MAX - 1));
    refused(&mut k, Errno::EAGAIN, "thread_create with no tid left", |k| k.thread_create(p));
    refused(&mut k, Errno::EAGAIN, "spawn with no tid left (no process without a thread)", |k| {
        k.spawn(Credentials::user(1, 1), 0, 1)
    });
    refused(&mut k, Errno::EAGAIN, "fork with no tid left", |k| k.fork(p));
    k.exit(p).unwrap();
    refused(&mut k, Errno::EAGAIN, "spawn after an exit", |k| k.spawn(Credentials::user(1, 1), 0, 1));
}

// ----- the event log -----

#[test]
fn the_event_log_keeps_its_capacity_and_its_memory() {
    let mut k = with(Config { event_capacity: 8, ..Config::default() });
    let t = user(&mut k, 100, 10);
    for i in 0..100 {
        if i % 2 == 0 {
            k.advance(1);
        } else {
            assert_eq!(k.msgget(t, 0x1, 0), Err(Errno::ENOENT));
        }
    }
    let (events, next) = k.events_since(0);
    assert_eq!(next, 101, "spawn and 100 operations");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (93..101).collect::<Vec<_>>(), "the newest 8");
    k.check().unwrap();

    // Memory: a mix of calls — successful ones with payloads and steps,
    // refusals with their rules, parks and wakeups — keeps the log's
    // memory bounded once it is full.
    let mut k = with(Config { event_capacity: SMALL_LOG, ..Config::default() });
    let t = user(&mut k, 100, 10);
    let t2 = k.thread_create(pid_of(&k, t)).unwrap();
    let q = k.msgget(t, 0x2, IPC_CREAT | 0o600).unwrap();
    let payload = [0x5a; 100];
    memory_stops_growing("the event log at its capacity (mixed calls)", || {
        assert!(k.msgrcv(t2, q, 200, 0, 0, None).is_blocked());
        send(&mut k, t, q, 1, &payload).unwrap();
        k.take_result(t2).unwrap();
        assert_eq!(k.msgget(t, 0x2, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
        k.advance(1);
    });
    assert_eq!(k.events_since(0).0.len(), SMALL_LOG);
    k.check().unwrap();
}

/// Open-file and pipe numbers come from counters that wrap after 2^32
/// (every pipe takes two file numbers, every port one: a long-running
/// embedder gets there).  A wrapped counter must skip numbers still in
/// use: before the fix, the new file silently replaced the live one in
/// the table (a port's file became a pipe's end; `check` failed).
#[test]
fn file_and_pipe_numbers_wrap_without_replacing_live_ones() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let port = k.port_create(t).unwrap();
    let (r, w) = k.pipe(t).unwrap();
    let mut json = serde_json::to_value(&k).unwrap();
    json["fac"]["fds"]["next_file"] = serde_json::json!(u32::MAX);
    json["fac"]["fds"]["next_pipe"] = serde_json::json!(u32::MAX);
    let mut k: Kernel = serde_json::from_value(json).unwrap();
    k.check().unwrap();
    let files =
        |k: &Kernel| -> Vec<u32> { k.facilities().fds().table(pid_of(k, t)).iter().flatten().copied().collect() };
    assert_eq!(files(&k), [1, 2, 3], "the port's file, then the pipe's ends");
    let (r2, w2) = k.pipe(t).unwrap();
    let (r3, w3) = k.pipe(t).unwrap();
    k.check().unwrap();
    assert_eq!(files(&k), [1, 2, 3, u32::MAX, 4, 5, 6], "1, 2 and 3 are still open: skipped");
    let pipes: Vec<u32> = k.facilities().fds().pipes().map(|(id, _)| id).collect();
    assert_eq!(pipes, [1, 2, u32::MAX], "pipe 1 still exists: skipped");
    // Every object still is what it was.
    assert_eq!(now(k.write(t, w, b"old", false)), Ok(3));
    assert_eq!(now(k.write(t, w3, b"new", false)), Ok(3));
    assert_eq!(now(k.read(t, r, 8, true)), Ok(b"old".to_vec()));
    assert_eq!(now(k.read(t, r3, 8, true)), Ok(b"new".to_vec()));
    assert_eq!(now(k.read(t, r2, 8, true)), Err(Errno::EAGAIN));
    let _ = w2;
    k.port_send(t, port, 1, 2).unwrap();
    k.check().unwrap();
}

/// Port and timer ids wrap the same way: a wrapped counter skips ids still
/// in use (before the fix, the second port after the wrap replaced port 1,
/// and a timer could take the id of a live one).
#[test]
fn port_and_timer_ids_wrap_without_replacing_live_ones() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let p1 = k.port_create(t).unwrap();
    let timer = k.timer_create(t, p1, 7).unwrap();
    assert_eq!(timer, 1);
    let mut json = serde_json::to_value(&k).unwrap();
    json["fac"]["ports"]["next"] = serde_json::json!(u32::MAX);
    json["fac"]["ports"]["next_timer"] = serde_json::json!(u32::MAX);
    let mut k: Kernel = serde_json::from_value(json).unwrap();
    k.check().unwrap();
    let p2 = k.port_create(t).unwrap();
    let p3 = k.port_create(t).unwrap();
    k.check().unwrap();
    let ids: Vec<u32> = k.facilities().ports().all().map(|p| p.id).collect();
    assert_eq!(ids, [1, 2, u32::MAX], "port 1 is still open: skipped");
    assert_eq!(k.timer_create(t, p2, 8), Ok(u32::MAX));
    assert_eq!(k.timer_create(t, p3, 9), Ok(2), "timer 1 still exists: skipped");
    // Port 1 and its timer are untouched.
    k.timer_settime(t, timer, 10, 0).unwrap();
    k.advance(10);
    let got = now(k.port_getn(t, p1, 4, 1, Some(ZERO))).unwrap();
    assert_eq!(got.events.iter().map(|e| (e.object, e.user)).collect::<Vec<_>>(), [(1, 7)]);
    k.check().unwrap();
}

/// The counting allocator sees the kernel's memory: queued messages are
/// counted, and freed when received.
#[test]
fn the_allocator_counts_this_threads_bytes() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let q = k.msgget(t, IPC_PRIVATE, 0o600).unwrap();
    let before = live();
    for i in 1..=100 {
        send(&mut k, t, q, i, &[0; 100]).unwrap();
    }
    let queued = live() - before;
    assert!(queued >= 100 * 100, "100 messages of 100 bytes: {queued} bytes");
    for _ in 0..100 {
        recv(&mut k, t, q, 100, 0).unwrap();
    }
    println!("memory: 100 queued 100-byte messages held {queued} bytes");
}
