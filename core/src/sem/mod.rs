//! # System V semaphore arrays
//!
//! `semget`, `semop`/`semtimedop` and `semctl` on the shared namespace
//! framework ([`crate::namespace`]), with the semantics of illumos
//! `sem.c` and the Single UNIX Specification.  Like message queues, this
//! module does no lookup, id allocation, key search or permission check of
//! its own: it asks the namespace.
//!
//! ## Objects
//! * [`SemSet`] (`ksemid_t`'s body): the semaphores ([`Sem`]: `semval`,
//!   `sempid`, `semncnt`, `semzcnt`), `sem_otime` (set by semop only),
//!   `sem_ctime`, `sem_maxops` (the operation limit captured when the set
//!   was made, as sem.c captures `process.max-sem-ops`), the parked
//!   callers in arrival order ([`SemWait`]: each with the whole operation
//!   array it waits to apply and the semaphore it is counted on), and the
//!   processes holding undo records for it (`sem_undos`).
//! * Undo records (`struct sem_undo`): one per (process, set), created
//!   lazily by the first SEM_UNDO operation, an adjust-on-exit value per
//!   semaphore.  They live in the facility state keyed by process, then by
//!   set (sem.c's per-process AVL tree `p_semacct`), and each holds a
//!   reference on its set, as sem.c's `ipc_hold` does.
//! * [`Sems`]: the facility's state — its namespace, limits and undo
//!   records — reached by the kernel through [`SemHost`].
//!
//! ## Operations, with sem.c's check order (read from the code)
//! * **semget**: GET on the namespace (EEXIST, EACCES, ENOENT, then the
//!   project's and the zone's id limits and growth: ENOSPC).  An existing
//!   set: `0 ≤ nsems ≤ sem_nsems`, else EINVAL.  A new set: `0 < nsems ≤
//!   max_nsems` (process.max-sem-nsems), else EINVAL — tested *after* the
//!   allocation test, as sem.c does.  Values, pids, counters and otime
//!   start at 0; ctime = now.
//! * **semop / semtimedop** (`semop(semid, sops, nsops, timeout)`):
//!   1. `nsops == 0` → success at once, without even a lookup;
//!   2. the lookup: EINVAL — or EFAULT when `nsops > SEM_MAXUCOPS` (4096),
//!      an artefact of sem.c's copy-in path that we keep;
//!   3. `nsops > sem_maxops` → E2BIG;
//!   4. one pass over the array: each `sem_num ≥ nsems` → EFBIG, and
//!      unknown `sem_flg` bits → EINVAL (a departure: sem.c ignores them);
//!      the access mode is alter for any non-zero `sem_op`, read for a
//!      wait-for-zero;
//!   5. `ipcperm_access` with that mode → EACCES;
//!   6. if any non-zero operation has SEM_UNDO, the caller's undo record
//!      for the set is found or created (and stays, whatever follows);
//!   7. the array is applied **in order**: `sem_op > 0` adds (ERANGE if
//!      the value would pass `value_max`, cumulatively within the call, or
//!      if the undo adjustment would pass ±65535); `sem_op < 0` subtracts
//!      when `semval ≥ |sem_op|` (same ERANGE rule for the adjustment);
//!      `sem_op == 0` needs `semval == 0`.  An element that cannot proceed
//!      rolls back every earlier element (values and adjustments), then
//!      fails with EAGAIN if *its* `sem_flg` has IPC_NOWAIT, else parks the
//!      thread counted in that semaphore's `semncnt` (waiting for increase)
//!      or `semzcnt` (waiting for zero).  On success every touched
//!      semaphore's `sempid` becomes the caller's pid and `sem_otime` = now.
//!
//!   A parked call ends when it can be applied whole (0), the set is
//!   removed (EIDRM), the thread is interrupted (EINTR) or its timeout
//!   passes on the logical clock (EAGAIN).
//! * **semctl**: IPC_SET without a buffer → EFAULT and IPC_RMID
//!   (`ipc_rmid`: EINVAL, EPERM) come before the lookup; SETALL looks the
//!   set up first (EINVAL), then needs its array (EFAULT) of exactly
//!   `nsems` values (EINVAL).  Then the lookup (EINVAL) and per command:
//!   IPC_SET (`ipcperm_set`: EPERM, EINVAL; ctime), IPC_STAT (read:
//!   EACCES), GETNCNT / GETPID / GETVAL / GETZCNT (read: EACCES; then
//!   `semnum ≥ nsems` → EINVAL), GETALL (read), SETVAL (alter: EACCES;
//!   semnum: EINVAL; value above `value_max` → ERANGE; clears every
//!   process's adjustment of that semaphore), SETALL (alter: EACCES;
//!   values above `value_max` → ERANGE with nothing changed; clears every
//!   adjustment of the set; every `sempid` becomes the caller's), any
//!   other command → EINVAL.  Whole-set commands ignore `semnum`.
//!
//! ## Waking
//! sem.c broadcasts on a semaphore's condition variables when its value
//! rises (`semncnt` sleepers) or reaches zero (`semzcnt` sleepers); a woken
//! caller re-runs its whole array.  That rule can leave an applicable array
//! asleep: `{-2, wait-for-zero}` on one semaphore of value 3 sleeps on
//! `semzcnt`, and a SETVAL to 2 (neither a rise nor a zero) makes the
//! array applicable without waking it.  A parked call here ends *whenever
//! its whole array can be applied*: an operation notes every semaphore
//! whose value it changed, and every parked caller whose array touches one
//! of them is woken.  The oldest woken caller is retried first, again and
//! again: one that completes notes what *it* changed (so a completed
//! caller can let others complete in the same operation); one that must
//! wait again sleeps, counted where its array now stops, and keeps its
//! place in line (sem.c would put it at the back of the condition
//! variable's queue; the deterministic kernel keeps arrival order).  So
//! after every operation no parked array could be applied — the property
//! test checks exactly that.
//!
//! ## Exit and undo (`semexit`)
//! At exit, after its threads are unparked, each undo record of the
//! process (in set order) adds its adjustments to the set's values.  An
//! adjustment that would take a value below 0 or above `value_max` is
//! **skipped silently**, exactly as illumos does (Linux clamps at 0).
//! Raised values and zeros wake parked callers as above.  A forked child
//! starts with no undo records; exec keeps them.  IPC_RMID drops every
//! record of the set (their holds with them).
//!
//! ## Departures and differences (documented, not guessed)
//! * Times are nanoseconds of the logical clock, not seconds.
//! * Unknown `semget` flag bits and unknown `sem_flg` bits are EINVAL.
//! * `semval` is held as `u32` and bounded by `value_max` (default
//!   65535 = USHRT_MAX, illumos' bound); SETVAL/SETALL values above it are
//!   ERANGE (illumos' `ushort_t` array cannot hold one).
//! * SETVAL and SETALL do not change `sem_ctime`, as in sem.c; Linux sets it.
//! * The summary put E2BIG before the lookup and EACCES before
//!   EFBIG; sem.c's code does the lookup first and finds EFBIG in the same
//!   pass that computes the access mode, before the permission check.  We
//!   follow the code.
//! * Linux differs: it checks `nsops > SEMOPM` (E2BIG) before the lookup,
//!   returns EFBIG/EACCES in that order too, clamps undo at exit, has no
//!   EFAULT oddity, and wakes waiters in its own queue order.
//!
//! ## Invariants (checked by `check()` after every property-test step)
//! 1. The namespace's invariants; every set holds `nsems` semaphores with
//!    values ≤ `value_max`.
//! 2. Each semaphore's `semncnt`/`semzcnt` equals the number of parked
//!    callers counted on it for increase/zero.
//! 3. A set's references are its namespace reference (while allocated)
//!    plus one per parked caller plus one per undo record.
//! 4. Every listed waiter is a thread parked on exactly the channel its
//!    entry describes, and every thread parked on a set is listed in it.
//! 5. Undo records and the sets' `undos` lists agree; each record belongs
//!    to a live process, has `nsems` adjustments, each within ±65535.

pub mod view;

use crate::cred::{Caller, Gid, Pid, Tid, Uid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::event::{Ctx, Named, Octal};
use crate::kernel::{Blockers, Facilities, Kernel, Outcome, Progress};
use crate::namespace::arena::Handle;
use crate::namespace::{
    Facility, Got, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, IdSpace, IpcPerm,
    IpcService, RctlScope, Sink,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// `sem_flg`: adjust on exit.
pub const SEM_UNDO: i16 = 0o10000;
/// semctl commands (illumos numbers).
pub const GETNCNT: i32 = 3;
pub const GETPID: i32 = 4;
pub const GETVAL: i32 = 5;
pub const GETALL: i32 = 6;
pub const GETZCNT: i32 = 7;
pub const SETVAL: i32 = 8;
pub const SETALL: i32 = 9;
/// sem.c's `SEM_MAXUCOPS`: above this many operations a bad id is EFAULT.
pub const SEM_MAXUCOPS: usize = 4096;
/// Bound of an adjust-on-exit value (sem.c: ±USHRT_MAX).
pub const SEM_AOE_MAX: i32 = 65535;

/// Limits of the semaphore facility, fixed when the kernel is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemLimits {
    /// process.max-sem-nsems: semaphores per set.  Default 512.
    pub max_nsems: u32,
    /// process.max-sem-ops: operations per semop.  Default 512.
    pub max_ops: u32,
    /// The largest semaphore value.  Default 65535 (USHRT_MAX).
    pub value_max: u32,
    /// Default project.max-sem-ids.  Default 128.
    pub max_sets: u32,
}

impl Default for SemLimits {
    fn default() -> Self {
        SemLimits { max_nsems: 512, max_ops: 512, value_max: 65535, max_sets: 128 }
    }
}

impl SemLimits {
    pub fn validate(&self) -> SysResult<()> {
        if self.max_nsems == 0 || self.max_nsems > 65535 || self.max_ops == 0 || self.max_sets == 0 {
            return Err(Errno::EINVAL);
        }
        if self.value_max == 0 || self.value_max > 65535 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// One operation of a semop array (`struct sembuf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemBuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}

impl SemBuf {
    /// A non-zero operation with SEM_UNDO: it adjusts the caller's undo record.
    fn undoable(&self) -> bool {
        self.sem_flg & SEM_UNDO != 0 && self.sem_op != 0
    }
}

impl fmt::Display for SemBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}, {:+}", self.sem_num, self.sem_op)?;
        let mut flags = Vec::new();
        if self.sem_flg & IPC_NOWAIT as i16 != 0 {
            flags.push("IPC_NOWAIT");
        }
        if self.sem_flg & SEM_UNDO != 0 {
            flags.push("SEM_UNDO");
        }
        if flags.is_empty() { write!(f, ", 0}}") } else { write!(f, ", {}}}", flags.join("|")) }
    }
}

/// One semaphore (`struct sem`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sem {
    pub semval: u32,
    pub sempid: Pid,
    pub semncnt: u32,
    pub semzcnt: u32,
}

/// What a parked caller waits for on the semaphore it is counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Need {
    /// `semval ≥ n` (counted in `semncnt`).
    AtLeast(u32),
    /// `semval == 0` (counted in `semzcnt`).
    Zero,
}

/// A parked semop: its thread, its whole array, and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemWait {
    pub tid: Tid,
    pub pid: Pid,
    pub sops: Vec<SemBuf>,
    /// The semaphore it is counted on, and what it needs of it.
    pub sem_num: u16,
    pub need: Need,
}

/// A semaphore set: `ksemid_t` less its `kipc_perm_t` head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemSet {
    pub sems: Vec<Sem>,
    pub otime: u64,
    pub ctime: u64,
    /// `sem_maxops`: process.max-sem-ops when the set was made.
    pub maxops: u32,
    /// Parked callers, in arrival order.
    pub waiters: VecDeque<SemWait>,
    /// Processes with an undo record for this set (`sem_undos`).
    pub undos: BTreeSet<Pid>,
}

/// `struct semid_ds` as IPC_STAT returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemidDs {
    pub perm: IpcPerm,
    pub nsems: u32,
    pub otime: u64,
    pub ctime: u64,
}

/// The settable part of `semid_ds` for IPC_SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemSetPerm {
    pub uid: Uid,
    pub gid: Gid,
    pub mode: u32,
}

/// Which single-semaphore value a GET command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemGet {
    /// GETVAL: `semval`.
    Val,
    /// GETPID: `sempid`.
    Pid,
    /// GETNCNT: `semncnt`.
    Ncnt,
    /// GETZCNT: `semzcnt`.
    Zcnt,
}

impl SemGet {
    pub fn cmd(self) -> i32 {
        match self {
            SemGet::Val => GETVAL,
            SemGet::Pid => GETPID,
            SemGet::Ncnt => GETNCNT,
            SemGet::Zcnt => GETZCNT,
        }
    }

    pub fn from_cmd(cmd: i32) -> Option<Self> {
        [SemGet::Val, SemGet::Pid, SemGet::Ncnt, SemGet::Zcnt].into_iter().find(|g| g.cmd() == cmd)
    }

    fn of(self, sem: &Sem) -> u32 {
        match self {
            SemGet::Val => sem.semval,
            SemGet::Pid => sem.sempid,
            SemGet::Ncnt => sem.semncnt,
            SemGet::Zcnt => sem.semzcnt,
        }
    }
}

/// The fourth argument of the raw `semctl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemArg {
    None,
    /// SETVAL's value (an `int`: negative values are ERANGE).
    Val(i32),
    /// SETALL's values.
    Array(Vec<u32>),
    /// IPC_SET's buffer.
    Buf(SemSetPerm),
}

/// What the raw `semctl` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemctlReply {
    /// GETVAL, GETPID, GETNCNT, GETZCNT.
    Value(u32),
    /// GETALL.
    Values(Vec<u32>),
    /// IPC_STAT.
    Stat(SemidDs),
    /// SETVAL, SETALL, IPC_SET, IPC_RMID: 0.
    Done,
}

// ----- the facility's state and its place in the kernel -----

/// The semaphore facility: its namespace (`sem_svc`), limits and undo records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sems {
    svc: IpcService<SemSet>,
    limits: SemLimits,
    /// pid → set → adjust-on-exit values (`p_semacct`).
    undo: BTreeMap<Pid, BTreeMap<Handle, Vec<i32>>>,
}

impl Sems {
    pub fn new(space: IdSpace, limits: SemLimits) -> SysResult<Self> {
        space.validate()?;
        limits.validate()?;
        Ok(Sems { svc: IpcService::new(Facility::Sem, space, limits.max_sets), limits, undo: BTreeMap::new() })
    }

    /// The namespace, for viewers.
    pub fn service(&self) -> &IpcService<SemSet> {
        &self.svc
    }

    pub fn limits(&self) -> &SemLimits {
        &self.limits
    }

    /// The undo records of a process: set handle → adjustments.
    pub fn undo_records(&self, pid: Pid) -> Option<&BTreeMap<Handle, Vec<i32>>> {
        self.undo.get(&pid)
    }
}

/// A kernel's facility set that contains semaphore arrays.
pub trait SemHost:
    Facilities<Call: From<SemCall>, Value: From<SemValue>, Step: From<SemStep>, Chan: From<SemChan>, Reply: From<SemReply>>
{
    fn sem(&self) -> &Sems;
    fn sem_mut(&mut self) -> &mut Sems;
}

// ----- words for the event log -----

/// The first few operations of an array, kept in the log without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsHead {
    pub nsops: u32,
    pub first: [Option<SemBuf>; 4],
}

impl OpsHead {
    fn of(sops: &[SemBuf]) -> Self {
        // Indexing four fixed slots compiles to four guarded copies; a
        // zip over the array is a loop (this runs on every semop).
        let at = |i: usize| sops.get(i).copied();
        OpsHead { nsops: u32::try_from(sops.len()).unwrap_or(u32::MAX), first: [at(0), at(1), at(2), at(3)] }
    }
}

impl fmt::Display for OpsHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, op) in self.first.iter().flatten().enumerate() {
            write!(f, "{}{op}", if i > 0 { ", " } else { "" })?;
        }
        if self.nsops as usize > self.first.len() {
            write!(f, ", … {} more", self.nsops as usize - self.first.len())?;
        }
        write!(f, "], nsops={}", self.nsops)
    }
}

/// A semaphore system call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemCall {
    Semget { key: i32, nsems: i32, semflg: i32 },
    Semop { semid: i32, sops: OpsHead, timeout: Option<u64> },
    Semctl { semid: i32, semnum: u32, cmd: i32 },
    Semids,
}

impl Named for SemCall {
    fn name(&self) -> &'static str {
        match self {
            SemCall::Semget { .. } => "semget",
            SemCall::Semop { timeout: None, .. } => "semop",
            SemCall::Semop { timeout: Some(_), .. } => "semtimedop",
            SemCall::Semctl { .. } => "semctl",
            SemCall::Semids => "semids",
        }
    }
}

fn cmd_name(cmd: i32) -> Option<&'static str> {
    Some(match cmd {
        GETNCNT => "GETNCNT",
        GETPID => "GETPID",
        GETVAL => "GETVAL",
        GETALL => "GETALL",
        GETZCNT => "GETZCNT",
        SETVAL => "SETVAL",
        SETALL => "SETALL",
        IPC_RMID => "IPC_RMID",
        IPC_SET => "IPC_SET",
        IPC_STAT => "IPC_STAT",
        _ => return None,
    })
}

impl fmt::Display for SemCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemCall::Semget { key, nsems, semflg } => {
                write!(f, "key={key:#x}, nsems={nsems}, semflg={}", Octal(*semflg))
            }
            SemCall::Semop { semid, sops, timeout } => {
                write!(f, "semid={semid:#x}, sops={sops}")?;
                if let Some(t) = timeout {
                    write!(f, ", timeout={t}ns")?;
                }
                Ok(())
            }
            SemCall::Semctl { semid, semnum, cmd } => match cmd_name(*cmd) {
                Some(name) => write!(f, "semid={semid:#x}, semnum={semnum}, cmd={name}"),
                None => write!(f, "semid={semid:#x}, semnum={semnum}, cmd={cmd}"),
            },
            SemCall::Semids => Ok(()),
        }
    }
}

/// What a semaphore call returned, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemValue {
    /// semget: the id.
    Id(i32),
    /// semop, SETVAL, SETALL, IPC_SET, IPC_RMID: 0.
    Zero,
    /// GETVAL, GETPID, GETNCNT, GETZCNT.
    Value(u32),
    /// GETALL: how many values.
    Values(usize),
    /// IPC_STAT.
    Stat { nsems: u32, otime: u64 },
    /// semids: how many ids.
    Ids(usize),
}

impl fmt::Display for SemValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SemValue::Id(id) => write!(f, "id {id:#x} ({id})"),
            SemValue::Zero => write!(f, "0"),
            SemValue::Value(v) => write!(f, "{v}"),
            SemValue::Values(n) => write!(f, "{n} value(s)"),
            SemValue::Stat { nsems, otime } => write!(f, "nsems={nsems} otime={otime}"),
            SemValue::Ids(n) => write!(f, "{n} id(s)"),
        }
    }
}

/// An internal step of the semaphore facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemStep {
    /// A semop array was applied: how many operations.
    Applied { semid: i32, nsops: u32 },
    /// A value was set (SETVAL, SETALL) or adjusted at exit.
    Set { semid: i32, sem_num: u16, from: u32, to: u32 },
    /// An undo record was created for (pid, set).
    UndoAlloc { semid: i32, pid: Pid },
    /// An exit adjustment was applied or skipped (out of range).
    ExitAdjust { semid: i32, sem_num: u16, adjust: i32, applied: bool },
}

impl fmt::Display for SemStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SemStep::Applied { semid, nsops } => {
                write!(f, "sem: applied {nsops} operation(s) to semid {semid:#x} atomically")
            }
            SemStep::Set { semid, sem_num, from, to } => {
                write!(f, "sem: semaphore {sem_num} of semid {semid:#x}: {from} -> {to}")
            }
            SemStep::UndoAlloc { semid, pid } => write!(f, "sem: undo record for pid {pid} on semid {semid:#x}"),
            SemStep::ExitAdjust { semid, sem_num, adjust, applied: true } => {
                write!(f, "sem: exit adjusted semaphore {sem_num} of semid {semid:#x} by {adjust:+}")
            }
            SemStep::ExitAdjust { semid, sem_num, adjust, applied: false } => write!(
                f,
                "sem: exit adjustment {adjust:+} of semaphore {sem_num} of semid {semid:#x} skipped: out of range"
            ),
        }
    }
}

/// What a parked semop waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemChan {
    pub set: Handle,
    pub semid: i32,
    pub sem_num: u16,
    pub need: Need,
    /// semtimedop rather than semop.
    pub timed: bool,
}

impl Named for SemChan {
    fn name(&self) -> &'static str {
        if self.timed { "semtimedop" } else { "semop" }
    }
}

impl fmt::Display for SemChan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, id) = (self.sem_num, self.semid);
        match self.need {
            Need::AtLeast(k) => write!(f, "{}: semaphore {n} of semid {id:#x} needs semval ≥ {k}", self.name()),
            Need::Zero => write!(f, "{}: waits for semaphore {n} of semid {id:#x} to become 0", self.name()),
        }
    }
}

/// What a parked semop completes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SemReply {
    Done,
}

impl SemReply {
    pub fn value(&self) -> SemValue {
        SemValue::Zero
    }
}

const SEMGET_FLAGS: i32 = IPC_CREAT | IPC_EXCL | 0o777;
const SEM_FLAGS: i16 = IPC_NOWAIT as i16 | SEM_UNDO;

fn deny(ctx: &mut impl Sink, errno: Errno, rule: impl FnOnce() -> String) -> Errno {
    ctx.deny(Some(Facility::Sem), errno, rule)
}

/// How applying an array went.
enum Applied {
    Done,
    /// Element stopped at `sem_num`, needing `need`; everything rolled back.
    Wait {
        sem_num: u16,
        need: Need,
        nowait: bool,
    },
    Failed(Errno),
}

/// Semaphores whose value an operation changed.
#[derive(Default)]
struct Changed {
    marks: Vec<u16>,
}

impl Changed {
    /// A semaphore's value went from `from` to `to`.
    fn note(&mut self, sem_num: u16, from: u32, to: u32) {
        if from != to {
            self.touch(sem_num);
        }
    }

    /// An operation changed a semaphore (perhaps back again later in the
    /// same array; sem.c broadcasts on each change too).
    fn touch(&mut self, sem_num: u16) {
        if !self.marks.contains(&sem_num) {
            self.marks.push(sem_num);
        }
    }

    /// Whether a parked array touches a changed semaphore (only such an
    /// array can have become applicable).
    fn wakes(&self, w: &SemWait) -> bool {
        w.sops.iter().any(|op| self.marks.contains(&op.sem_num))
    }
}

// ----- the system calls -----

impl<F: SemHost> Kernel<F> {
    /// `semget(key, nsems, semflg)`.
    pub fn semget(&mut self, tid: Tid, key: i32, nsems: i32, semflg: i32) -> SysResult<i32> {
        let call = SemCall::Semget { key, nsems, semflg }.into();
        self.syscall_now(
            tid,
            call,
            |&id| SemValue::Id(id).into(),
            |k, caller, ctx| k.semget_locked(caller, key, nsems, semflg, ctx),
        )
    }

    fn semget_locked(
        &mut self,
        caller: &Caller,
        key: i32,
        nsems: i32,
        semflg: i32,
        ctx: &mut Ctx<F>,
    ) -> SysResult<i32> {
        if semflg & !SEMGET_FLAGS != 0 {
            let bits = semflg & !SEMGET_FLAGS;
            return Err(deny(ctx, Errno::EINVAL, || format!("unknown flag bits {}", Octal(bits))));
        }
        let now = self.clock;
        let sems = self.fac.sem_mut();
        match sems.svc.ipc_get(caller, key, semflg, ctx)? {
            Got::Existing(h) => {
                let o = sems.svc.object(h).ok_or(Errno::EINVAL)?;
                let have = o.body.sems.len();
                if nsems < 0 || nsems as usize > have {
                    let id = o.perm.id;
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!(
                            "key {key:#x} names semid {id:#x} with {have} semaphore(s); nsems {nsems} is not in 0..={have}"
                        )
                    }));
                }
                Ok(o.perm.id)
            }
            Got::New(perm) => {
                let max = sems.limits.max_nsems;
                if nsems <= 0 || nsems as u32 > max {
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!("a new set needs 0 < nsems <= {max} (process.max-sem-nsems), not {nsems}")
                    }));
                }
                let set = SemSet {
                    sems: vec![Sem::default(); nsems as usize],
                    otime: 0,
                    ctime: now,
                    maxops: sems.limits.max_ops,
                    waiters: VecDeque::new(),
                    undos: BTreeSet::new(),
                };
                let h = sems.svc.commit(caller, perm, set, semflg, ctx)?;
                Ok(sems.svc.object(h).ok_or(Errno::EINVAL)?.perm.id)
            }
        }
    }

    /// `semop(semid, sops, nsops)`; with a timeout (logical ns),
    /// `semtimedop`.  May park the thread.
    pub fn semop(&mut self, tid: Tid, semid: i32, sops: &[SemBuf], timeout: Option<u64>) -> Outcome<()> {
        let call = SemCall::Semop { semid, sops: OpsHead::of(sops), timeout }.into();
        self.syscall(
            tid,
            call,
            |_| SemValue::Zero.into(),
            |k, caller, ctx| k.semop_locked(caller, semid, sops, timeout, ctx),
        )
    }

    fn semop_locked(
        &mut self,
        caller: &Caller,
        semid: i32,
        sops: &[SemBuf],
        timeout: Option<u64>,
        ctx: &mut Ctx<F>,
    ) -> Progress<F, ()> {
        if sops.is_empty() {
            return Progress::Done(Ok(()));
        }
        let sems = self.fac.sem_mut();
        let h = match sems.svc.lookup(caller, semid) {
            Some(h) => h,
            None if sops.len() > SEM_MAXUCOPS => {
                let n = sops.len();
                return Progress::Done(Err(deny(ctx, Errno::EFAULT, || {
                    format!("no set has id {semid:#x}; with {n} > {SEM_MAXUCOPS} operations sem.c reports EFAULT")
                })));
            }
            None => return Progress::Done(Err(sems.svc.lookup_denial(caller, semid, ctx))),
        };
        let Some(obj) = sems.svc.object(h) else { return Progress::Done(Err(Errno::EINVAL)) };
        let (maxops, nsems) = (obj.body.maxops, obj.body.sems.len());
        if sops.len() > maxops as usize {
            let n = sops.len();
            return Progress::Done(Err(deny(ctx, Errno::E2BIG, || {
                format!("{n} operations exceed the set's limit of {maxops} (process.max-sem-ops)")
            })));
        }
        let mut mode = 0;
        let mut needundo = false;
        for (i, op) in sops.iter().enumerate() {
            mode |= if op.sem_op != 0 { IPC_W } else { IPC_R };
            if op.sem_num as usize >= nsems {
                let n = op.sem_num;
                return Progress::Done(Err(deny(ctx, Errno::EFBIG, || {
                    format!(
                        "operation {i} names semaphore {n}, but the set has {nsems}, numbered 0 to {}",
                        nsems.saturating_sub(1)
                    )
                })));
            }
            if op.sem_flg & !SEM_FLAGS != 0 {
                let bits = op.sem_flg & !SEM_FLAGS;
                return Progress::Done(Err(deny(ctx, Errno::EINVAL, || {
                    format!("operation {i} has unknown sem_flg bits {}", Octal(bits))
                })));
            }
            needundo |= op.undoable();
        }
        if let Err(e) = sems.svc.perm_access(&obj.perm, mode, caller, ctx) {
            return Progress::Done(Err(e));
        }
        if needundo {
            self.sem_undo_alloc(h, caller.pid, ctx);
        }
        let mut changed = Changed::default();
        match self.sem_apply(h, caller.pid, sops, &mut changed, ctx) {
            Applied::Done => {
                self.sem_wake(h, changed, ctx);
                Progress::Done(Ok(()))
            }
            Applied::Failed(e) => Progress::Done(Err(e)),
            Applied::Wait { nowait: true, sem_num, need } => {
                let e = deny(ctx, Errno::EAGAIN, || {
                    let chan = SemChan { set: h, semid, sem_num, need, timed: false };
                    format!("{} and that operation has IPC_NOWAIT; nothing was applied", Reason(chan))
                });
                Progress::Done(Err(e))
            }
            Applied::Wait { nowait: false, sem_num, need } => {
                let sems = self.fac.sem_mut();
                sems.svc.hold(h, ctx);
                if let Some(o) = sems.svc.object_mut(h) {
                    count(&mut o.body.sems[sem_num as usize], need, 1);
                    let wait = SemWait { tid: caller.tid, pid: caller.pid, sops: sops.to_vec(), sem_num, need };
                    o.body.waiters.push_back(wait);
                }
                let chan = SemChan { set: h, semid, sem_num, need, timed: timeout.is_some() };
                Progress::Park { chan: chan.into(), timeout }
            }
        }
    }

    /// `sem_undo_alloc`: the caller's undo record for the set, made if missing.
    fn sem_undo_alloc(&mut self, h: Handle, pid: Pid, ctx: &mut Ctx<F>) {
        let sems = self.fac.sem_mut();
        if sems.undo.get(&pid).is_some_and(|m| m.contains_key(&h)) {
            return;
        }
        let Some(o) = sems.svc.object_mut(h) else { return };
        let (n, semid) = (o.body.sems.len(), o.perm.id);
        o.body.undos.insert(pid);
        sems.undo.entry(pid).or_default().insert(h, vec![0; n]);
        sems.svc.hold(h, ctx);
        ctx.sys(SemStep::UndoAlloc { semid, pid });
    }

    /// Applies `sops` in order, all or nothing (sem.c's `check:` loop with
    /// `sem_rollback`).  On success sets `sempid` and `otime` and notes
    /// what changed.
    fn sem_apply(&mut self, h: Handle, pid: Pid, sops: &[SemBuf], changed: &mut Changed, ctx: &mut Ctx<F>) -> Applied {
        let now = self.clock;
        let sems = self.fac.sem_mut();
        let value_max = sems.limits.value_max;
        let Some(o) = sems.svc.object_mut(h) else { return Applied::Failed(Errno::EIDRM) };
        if !o.perm.allocated() {
            return Applied::Failed(Errno::EIDRM);
        }
        let semid = o.perm.id;
        // The caller's undo record, looked up only if an operation needs it.
        let wants_undo = sops.iter().any(SemBuf::undoable);
        let mut undo = if wants_undo { sems.undo.get_mut(&pid).and_then(|m| m.get_mut(&h)) } else { None };
        let set = &mut o.body;
        let mut outcome = Applied::Done;
        let mut applied = 0;
        for op in sops {
            let sem = &mut set.sems[op.sem_num as usize];
            let v = sem.semval;
            let stop = if op.sem_op > 0 {
                let nv = v + op.sem_op as u32;
                if nv > value_max { Some(Applied::Failed(range_error(ctx, semid, op, v, value_max))) } else { None }
            } else if op.sem_op < 0 {
                let k = op.sem_op.unsigned_abs() as u32;
                if v >= k {
                    None
                } else {
                    Some(Applied::Wait { sem_num: op.sem_num, need: Need::AtLeast(k), nowait: nowait(op) })
                }
            } else if v != 0 {
                Some(Applied::Wait { sem_num: op.sem_num, need: Need::Zero, nowait: nowait(op) })
            } else {
                None
            };
            if let Some(s) = stop {
                outcome = s;
                break;
            }
            if op.undoable()
                && let Some(aoe) = undo.as_deref_mut()
            {
                let adj = aoe[op.sem_num as usize] - i32::from(op.sem_op);
                if !(-SEM_AOE_MAX..=SEM_AOE_MAX).contains(&adj) {
                    let n = op.sem_num;
                    outcome = Applied::Failed(deny(ctx, Errno::ERANGE, || {
                        format!("the adjust-on-exit value of semaphore {n} would be {adj}, beyond ±{SEM_AOE_MAX}")
                    }));
                    break;
                }
                aoe[op.sem_num as usize] = adj;
            }
            sem.semval = (i64::from(v) + i64::from(op.sem_op)) as u32;
            applied += 1;
        }
        if !matches!(outcome, Applied::Done) {
            // sem_rollback: undo the applied prefix, last first.
            for op in sops[..applied].iter().rev() {
                let sem = &mut set.sems[op.sem_num as usize];
                sem.semval = (i64::from(sem.semval) - i64::from(op.sem_op)) as u32;
                if op.undoable()
                    && let Some(aoe) = undo.as_deref_mut()
                {
                    aoe[op.sem_num as usize] += i32::from(op.sem_op);
                }
            }
            return outcome;
        }
        // Only a set with parked callers needs to know what changed.
        let noting = !set.waiters.is_empty();
        for op in sops {
            set.sems[op.sem_num as usize].sempid = pid;
            if noting && op.sem_op != 0 {
                changed.touch(op.sem_num);
            }
        }
        set.otime = now;
        ctx.sys(SemStep::Applied { semid, nsops: u32::try_from(sops.len()).unwrap_or(u32::MAX) });
        Applied::Done
    }

    /// Wakes the parked callers counted on what changed, then retries the
    /// oldest woken one, again and again: one that completes may wake
    /// more; one that must wait again goes back to sleep where its array
    /// stopped, keeping its place in line.
    fn sem_wake(&mut self, h: Handle, changed: Changed, ctx: &mut Ctx<F>) {
        if changed.marks.is_empty() {
            return;
        }
        let mut woken: BTreeSet<Tid> = BTreeSet::new();
        let mut changed = changed;
        loop {
            let Some(o) = self.fac.sem().svc.object(h) else { return };
            if !o.perm.allocated() {
                return;
            }
            woken.extend(o.body.waiters.iter().filter(|w| changed.wakes(w)).map(|w| w.tid));
            changed = Changed::default();
            let Some((i, w)) = o.body.waiters.iter().enumerate().find(|(_, w)| woken.contains(&w.tid)) else {
                return;
            };
            let (tid, pid, sops, old_num, old_need) = (w.tid, w.pid, w.sops.clone(), w.sem_num, w.need);
            let semid = o.perm.id;
            woken.remove(&tid);
            // A call that completes is uncounted by the unpark hook.
            match self.sem_apply(h, pid, &sops, &mut changed, ctx) {
                Applied::Done => self.complete(tid, Ok(SemReply::Done.into()), ctx),
                Applied::Failed(e) => self.complete(tid, Err(e), ctx),
                // Stopped at an element with IPC_NOWAIT: sem.c's EAGAIN.
                Applied::Wait { nowait: true, .. } => self.complete(tid, Err(Errno::EAGAIN), ctx),
                Applied::Wait { sem_num, need, nowait: false } => {
                    if let Some(o) = self.fac.sem_mut().svc.object_mut(h) {
                        count(&mut o.body.sems[old_num as usize], old_need, -1);
                        count(&mut o.body.sems[sem_num as usize], need, 1);
                        if let Some(w) = o.body.waiters.get_mut(i) {
                            w.sem_num = sem_num;
                            w.need = need;
                        }
                    }
                    let timed = self.sem_timed(tid);
                    self.repark(tid, SemChan { set: h, semid, sem_num, need, timed }.into());
                }
            }
        }
    }

    /// Whether the parked thread `tid` is in semtimedop (has a deadline).
    fn sem_timed(&self, tid: Tid) -> bool {
        self.wait_of(tid).is_some_and(|w| w.deadline.is_some())
    }
}

/// The reason in words, for refusals.
struct Reason(SemChan);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        match c.need {
            Need::AtLeast(k) => write!(f, "semaphore {} of semid {:#x} is below {k}", c.sem_num, c.semid),
            Need::Zero => write!(f, "semaphore {} of semid {:#x} is not 0", c.sem_num, c.semid),
        }
    }
}

fn nowait(op: &SemBuf) -> bool {
    op.sem_flg & IPC_NOWAIT as i16 != 0
}

fn range_error(ctx: &mut impl Sink, semid: i32, op: &SemBuf, v: u32, max: u32) -> Errno {
    let (n, d) = (op.sem_num, op.sem_op);
    deny(ctx, Errno::ERANGE, || {
        format!(
            "semaphore {n} of semid {semid:#x} is {v}; adding {d} would pass the value maximum {max}; nothing was applied"
        )
    })
}

/// Counts (`delta` = 1) or uncounts (-1) a waiter in `semncnt`/`semzcnt`.
fn count(sem: &mut Sem, need: Need, delta: i32) {
    let c = match need {
        Need::AtLeast(_) => &mut sem.semncnt,
        Need::Zero => &mut sem.semzcnt,
    };
    *c = c.saturating_add_signed(delta);
}

impl<F: SemHost> Kernel<F> {
    /// The raw `semctl(semid, semnum, cmd, arg)` with illumos' command numbers.
    pub fn semctl(&mut self, tid: Tid, semid: i32, semnum: u32, cmd: i32, arg: SemArg) -> SysResult<SemctlReply> {
        let call = SemCall::Semctl { semid, semnum, cmd }.into();
        let value = |r: &SemctlReply| {
            match r {
                SemctlReply::Value(v) => SemValue::Value(*v),
                SemctlReply::Values(v) => SemValue::Values(v.len()),
                SemctlReply::Stat(d) => SemValue::Stat { nsems: d.nsems, otime: d.otime },
                SemctlReply::Done => SemValue::Zero,
            }
            .into()
        };
        self.syscall_now(tid, call, value, |k, caller, ctx| k.semctl_locked(caller, semid, semnum, cmd, arg, ctx))
    }

    /// GETVAL, GETPID, GETNCNT or GETZCNT of one semaphore.
    pub fn semctl_get(&mut self, tid: Tid, semid: i32, semnum: u32, what: SemGet) -> SysResult<u32> {
        let call = SemCall::Semctl { semid, semnum, cmd: what.cmd() }.into();
        self.syscall_now(
            tid,
            call,
            |&v| SemValue::Value(v).into(),
            |k, caller, ctx| {
                let h = k.sem_lookup(caller, semid, IPC_R, ctx)?;
                Ok(what.of(sem_at(k.fac.sem(), h, semnum, ctx)?))
            },
        )
    }

    /// GETALL.
    pub fn semctl_getall(&mut self, tid: Tid, semid: i32) -> SysResult<Vec<u32>> {
        let call = SemCall::Semctl { semid, semnum: 0, cmd: GETALL }.into();
        self.syscall_now(
            tid,
            call,
            |v: &Vec<u32>| SemValue::Values(v.len()).into(),
            |k, caller, ctx| {
                let h = k.sem_lookup(caller, semid, IPC_R, ctx)?;
                let o = k.fac.sem().svc.object(h).ok_or(Errno::EINVAL)?;
                Ok(o.body.sems.iter().map(|s| s.semval).collect())
            },
        )
    }

    /// SETVAL.
    pub fn semctl_setval(&mut self, tid: Tid, semid: i32, semnum: u32, val: i32) -> SysResult<()> {
        let call = SemCall::Semctl { semid, semnum, cmd: SETVAL }.into();
        self.syscall_now(
            tid,
            call,
            |_| SemValue::Zero.into(),
            |k, caller, ctx| k.sem_setval(caller, semid, semnum, val, ctx),
        )
    }

    /// SETALL.
    pub fn semctl_setall(&mut self, tid: Tid, semid: i32, vals: &[u32]) -> SysResult<()> {
        let call = SemCall::Semctl { semid, semnum: 0, cmd: SETALL }.into();
        self.syscall_now(
            tid,
            call,
            |_| SemValue::Zero.into(),
            |k, caller, ctx| k.sem_setall(caller, semid, Some(vals), ctx),
        )
    }

    /// IPC_STAT.
    pub fn semctl_stat(&mut self, tid: Tid, semid: i32) -> SysResult<SemidDs> {
        let call = SemCall::Semctl { semid, semnum: 0, cmd: IPC_STAT }.into();
        let value = |d: &SemidDs| SemValue::Stat { nsems: d.nsems, otime: d.otime }.into();
        self.syscall_now(tid, call, value, |k, caller, ctx| k.sem_stat(caller, semid, ctx))
    }

    /// IPC_SET.
    pub fn semctl_set(&mut self, tid: Tid, semid: i32, buf: SemSetPerm) -> SysResult<()> {
        let call = SemCall::Semctl { semid, semnum: 0, cmd: IPC_SET }.into();
        self.syscall_now(tid, call, |_| SemValue::Zero.into(), |k, caller, ctx| k.sem_ipc_set(caller, semid, buf, ctx))
    }

    /// IPC_RMID.
    pub fn semctl_rmid(&mut self, tid: Tid, semid: i32) -> SysResult<()> {
        let call = SemCall::Semctl { semid, semnum: 0, cmd: IPC_RMID }.into();
        self.syscall_now(tid, call, |_| SemValue::Zero.into(), |k, caller, ctx| k.sem_rmid_call(caller, semid, ctx))
    }

    /// IDS (`semids`): every set id visible from the caller's zone, newest first.
    pub fn semids(&mut self, tid: Tid) -> SysResult<Vec<i32>> {
        self.syscall_now(
            tid,
            SemCall::Semids.into(),
            |ids: &Vec<i32>| SemValue::Ids(ids.len()).into(),
            |k, caller, _| Ok(k.fac.sem().svc.ids(caller)),
        )
    }

    fn semctl_locked(
        &mut self,
        caller: &Caller,
        semid: i32,
        semnum: u32,
        cmd: i32,
        arg: SemArg,
        ctx: &mut Ctx<F>,
    ) -> SysResult<SemctlReply> {
        match (cmd, arg) {
            (IPC_SET, SemArg::Buf(b)) => self.sem_ipc_set(caller, semid, b, ctx).map(|()| SemctlReply::Done),
            (IPC_SET, _) => Err(deny(ctx, Errno::EFAULT, || "IPC_SET needs a semid_ds buffer".to_string())),
            (IPC_RMID, _) => self.sem_rmid_call(caller, semid, ctx).map(|()| SemctlReply::Done),
            (SETALL, SemArg::Array(v)) => self.sem_setall(caller, semid, Some(&v), ctx).map(|()| SemctlReply::Done),
            (SETALL, _) => self.sem_setall(caller, semid, None, ctx).map(|()| SemctlReply::Done),
            (IPC_STAT, _) => self.sem_stat(caller, semid, ctx).map(SemctlReply::Stat),
            (GETALL, _) => {
                let h = self.sem_lookup(caller, semid, IPC_R, ctx)?;
                let o = self.fac.sem().svc.object(h).ok_or(Errno::EINVAL)?;
                Ok(SemctlReply::Values(o.body.sems.iter().map(|s| s.semval).collect()))
            }
            (GETVAL | GETPID | GETNCNT | GETZCNT, _) => {
                let what = SemGet::from_cmd(cmd).ok_or(Errno::EINVAL)?;
                let h = self.sem_lookup(caller, semid, IPC_R, ctx)?;
                Ok(SemctlReply::Value(what.of(sem_at(self.fac.sem(), h, semnum, ctx)?)))
            }
            (SETVAL, SemArg::Val(v)) => self.sem_setval(caller, semid, semnum, v, ctx).map(|()| SemctlReply::Done),
            // SETVAL with no value (or an array, a buffer): a malformed call.
            // In C the value travels by value, so there is no unreadable
            // address to fault on (EFAULT is for IPC_SET's and SETALL's
            // buffers): EINVAL, before anything is looked up.
            (SETVAL, _) => Err(deny(ctx, Errno::EINVAL, || "SETVAL needs a value (semun.val)".to_string())),
            (other, _) => {
                self.fac.sem().svc.lookup_or_deny(caller, semid, ctx)?;
                Err(deny(ctx, Errno::EINVAL, || format!("unknown semctl command {other}")))
            }
        }
    }

    /// The lookup (EINVAL) then the permission check (EACCES) most commands start with.
    fn sem_lookup(&self, caller: &Caller, semid: i32, mode: u32, ctx: &mut Ctx<F>) -> SysResult<Handle> {
        let svc = &self.fac.sem().svc;
        let h = svc.lookup_or_deny(caller, semid, ctx)?;
        let o = svc.object(h).ok_or(Errno::EINVAL)?;
        svc.perm_access(&o.perm, mode, caller, ctx)?;
        Ok(h)
    }

    fn sem_stat(&mut self, caller: &Caller, semid: i32, ctx: &mut Ctx<F>) -> SysResult<SemidDs> {
        let h = self.sem_lookup(caller, semid, IPC_R, ctx)?;
        let o = self.fac.sem().svc.object(h).ok_or(Errno::EINVAL)?;
        Ok(SemidDs { perm: o.perm.stat(), nsems: o.body.sems.len() as u32, otime: o.body.otime, ctime: o.body.ctime })
    }

    fn sem_ipc_set(&mut self, caller: &Caller, semid: i32, b: SemSetPerm, ctx: &mut Ctx<F>) -> SysResult<()> {
        let now = self.clock;
        let svc = &mut self.fac.sem_mut().svc;
        let h = svc.lookup_or_deny(caller, semid, ctx)?;
        svc.perm_set(h, caller, b.uid, b.gid, b.mode, ctx)?;
        if let Some(o) = svc.object_mut(h) {
            o.body.ctime = now;
        }
        Ok(())
    }

    fn sem_setval(&mut self, caller: &Caller, semid: i32, semnum: u32, val: i32, ctx: &mut Ctx<F>) -> SysResult<()> {
        let h = self.sem_lookup(caller, semid, IPC_W, ctx)?;
        sem_at(self.fac.sem(), h, semnum, ctx)?;
        let max = self.fac.sem().limits.value_max;
        if val < 0 || val as u32 > max {
            return Err(deny(ctx, Errno::ERANGE, || format!("SETVAL {val} is outside 0..={max}")));
        }
        let mut changed = Changed::default();
        self.sem_set_values(h, caller.pid, semnum as usize, &[val as u32], &mut changed, ctx);
        self.sem_wake(h, changed, ctx);
        Ok(())
    }

    fn sem_setall(&mut self, caller: &Caller, semid: i32, vals: Option<&[u32]>, ctx: &mut Ctx<F>) -> SysResult<()> {
        let h = self.fac.sem().svc.lookup_or_deny(caller, semid, ctx)?;
        let Some(vals) = vals else {
            return Err(deny(ctx, Errno::EFAULT, || "SETALL needs an array of values".to_string()));
        };
        let nsems = self.fac.sem().svc.object(h).map_or(0, |o| o.body.sems.len());
        if vals.len() != nsems {
            let n = vals.len();
            return Err(deny(ctx, Errno::EINVAL, || format!("SETALL got {n} value(s) for a set of {nsems}")));
        }
        self.sem_lookup(caller, semid, IPC_W, ctx)?;
        let max = self.fac.sem().limits.value_max;
        if let Some((i, &v)) = vals.iter().enumerate().find(|&(_, &v)| v > max) {
            return Err(deny(ctx, Errno::ERANGE, || {
                format!("SETALL value {v} for semaphore {i} is above {max}; nothing was set")
            }));
        }
        let mut changed = Changed::default();
        self.sem_set_values(h, caller.pid, 0, vals, &mut changed, ctx);
        self.sem_wake(h, changed, ctx);
        Ok(())
    }

    /// SETVAL/SETALL's common part: values from `first`, sempid, and the
    /// adjustments of those semaphores cleared in every undo record.
    fn sem_set_values(
        &mut self,
        h: Handle,
        pid: Pid,
        first: usize,
        vals: &[u32],
        changed: &mut Changed,
        ctx: &mut Ctx<F>,
    ) {
        let sems = self.fac.sem_mut();
        let Some(o) = sems.svc.object_mut(h) else { return };
        let semid = o.perm.id;
        for (i, &v) in vals.iter().enumerate() {
            let n = first + i;
            let sem = &mut o.body.sems[n];
            let from = std::mem::replace(&mut sem.semval, v);
            sem.sempid = pid;
            changed.note(n as u16, from, v);
            ctx.sys(SemStep::Set { semid, sem_num: n as u16, from, to: v });
        }
        for p in &o.body.undos {
            if let Some(aoe) = sems.undo.get_mut(p).and_then(|m| m.get_mut(&h)) {
                aoe[first..first + vals.len()].iter_mut().for_each(|a| *a = 0);
            }
        }
    }

    fn sem_rmid_call(&mut self, caller: &Caller, semid: i32, ctx: &mut Ctx<F>) -> SysResult<()> {
        let h = self.fac.sem_mut().svc.rmid(caller, semid, ctx)?;
        self.sem_rmid(h, ctx);
        self.fac.sem_mut().svc.rele(h, ctx);
        Ok(())
    }

    /// `sem_rmid`: the removal hook.  Every undo record of the set is
    /// dropped (with its hold), values and pids are zeroed, and every
    /// parked caller completes with EIDRM.
    fn sem_rmid(&mut self, h: Handle, ctx: &mut Ctx<F>) {
        let sems = self.fac.sem_mut();
        let Some(o) = sems.svc.object_mut(h) else { return };
        let owners = std::mem::take(&mut o.body.undos);
        for s in &mut o.body.sems {
            s.semval = 0;
            s.sempid = 0;
        }
        let waiters: Vec<Tid> = o.body.waiters.iter().map(|w| w.tid).collect();
        for pid in owners {
            if let Some(m) = sems.undo.get_mut(&pid) {
                m.remove(&h);
                if m.is_empty() {
                    sems.undo.remove(&pid);
                }
            }
            sems.svc.rele(h, ctx);
        }
        for tid in waiters {
            self.complete(tid, Err(Errno::EIDRM), ctx);
        }
    }
}

/// The semaphore `semnum` of a set, or EINVAL naming the range.
fn sem_at<'a>(sems: &'a Sems, h: Handle, semnum: u32, ctx: &mut impl Sink) -> SysResult<&'a Sem> {
    let o = sems.svc.object(h).ok_or(Errno::EINVAL)?;
    let n = o.body.sems.len();
    o.body
        .sems
        .get(semnum as usize)
        .ok_or_else(|| deny(ctx, Errno::EINVAL, || format!("semnum {semnum} is outside the set's {n} semaphore(s)")))
}

// ----- hooks (called from `hooks.rs`) -----

/// `unpark`: takes `tid` off its set's waiter list, uncounts it and drops its hold.
pub(crate) fn unpark<F: SemHost>(k: &mut Kernel<F>, tid: Tid, chan: &SemChan, ctx: &mut Ctx<F>) {
    let svc = &mut k.fac.sem_mut().svc;
    if let Some(o) = svc.object_mut(chan.set)
        && let Some(i) = o.body.waiters.iter().position(|w| w.tid == tid)
        && let Some(w) = o.body.waiters.remove(i)
        && let Some(sem) = o.body.sems.get_mut(w.sem_num as usize)
    {
        count(sem, w.need, -1);
    }
    svc.rele(chan.set, ctx);
}

/// Zone removal: every set of the zone leaves the namespace (`sem_rmid`).
pub(crate) fn zone_remove<F: SemHost>(k: &mut Kernel<F>, zone: ZoneId, ctx: &mut Ctx<F>) -> usize {
    let doomed = k.fac.sem_mut().svc.remove_zone(zone, ctx);
    for &h in &doomed {
        k.sem_rmid(h, ctx);
        k.fac.sem_mut().svc.rele(h, ctx);
    }
    doomed.len()
}

/// `semexit`: the exiting process's adjustments, set by set; out-of-range
/// ones are skipped; what rose or reached zero wakes parked callers.
pub(crate) fn exit<F: SemHost>(k: &mut Kernel<F>, pid: Pid, ctx: &mut Ctx<F>) {
    let Some(records) = k.fac.sem_mut().undo.remove(&pid) else { return };
    for (h, aoe) in records {
        let mut changed = Changed::default();
        let sems = k.fac.sem_mut();
        let value_max = sems.limits.value_max;
        if let Some(o) = sems.svc.object_mut(h) {
            o.body.undos.remove(&pid);
            let semid = o.perm.id;
            if o.perm.allocated() {
                for (n, &adj) in aoe.iter().enumerate().filter(|&(_, &a)| a != 0) {
                    let sem = &mut o.body.sems[n];
                    let v = i64::from(sem.semval) + i64::from(adj);
                    let applied = (0..=i64::from(value_max)).contains(&v);
                    if applied {
                        let from = std::mem::replace(&mut sem.semval, v as u32);
                        changed.note(n as u16, from, v as u32);
                    }
                    ctx.sys(SemStep::ExitAdjust { semid, sem_num: n as u16, adjust: adj, applied });
                }
            }
        }
        sems.svc.rele(h, ctx);
        k.sem_wake(h, changed, ctx);
    }
}

/// The resource controls on sem ids.
pub(crate) fn set_ids_limit<F: SemHost>(k: &mut Kernel<F>, scope: RctlScope, max_ids: u32) {
    k.fac.sem_mut().svc.set_limit(scope, max_ids);
}

/// Invariants 1–5 of the module documentation, from the sets' side.
/// Who holds what a semop parked on `chan` waits for: the processes whose
/// SEM_UNDO adjustment says they took units of that semaphore (a positive
/// adjustment) when it waits for a rise, or added units (a negative one)
/// when it waits for zero — what their exit would give back or take away.
pub(crate) fn blockers<F: SemHost>(k: &Kernel<F>, chan: &SemChan) -> Blockers {
    let n = usize::from(chan.sem_num);
    let holds = |adj: i32| match chan.need {
        Need::AtLeast(_) => adj > 0,
        Need::Zero => adj < 0,
    };
    let holders = (k.fac.sem().undo.iter())
        .filter(|(_, sets)| sets.get(&chan.set).and_then(|adj| adj.get(n)).is_some_and(|&a| holds(a)))
        .map(|(&pid, _)| pid)
        .collect();
    Blockers { holders, timer: false }
}

pub(crate) fn check<F: SemHost>(k: &Kernel<F>) -> Result<(), String> {
    let sems = k.fac.sem();
    sems.svc.check()?;
    for (h, o) in sems.svc.objects() {
        let set = &o.body;
        let id = o.perm.id;
        if set.sems.is_empty() || set.sems.len() > sems.limits.max_nsems as usize {
            return Err(format!("semid {id:#x}: {} semaphores", set.sems.len()));
        }
        let mut counts = vec![(0u32, 0u32); set.sems.len()];
        for w in &set.waiters {
            let c = counts.get_mut(w.sem_num as usize).ok_or(format!("semid {id:#x}: waiter on no semaphore"))?;
            match w.need {
                Need::AtLeast(_) => c.0 += 1,
                Need::Zero => c.1 += 1,
            }
            let timed = k.wait_of(w.tid).is_some_and(|wt| wt.deadline.is_some());
            let chan = SemChan { set: h, semid: id, sem_num: w.sem_num, need: w.need, timed };
            if k.wait_of(w.tid).map(|wt| &wt.chan) != Some(&chan.into()) {
                return Err(format!("semid {id:#x}: waiter {} is not parked on it as listed", w.tid));
            }
            if w.sops.is_empty() || w.sops.iter().any(|op| op.sem_num as usize >= set.sems.len()) {
                return Err(format!("semid {id:#x}: waiter {} has an impossible array", w.tid));
            }
        }
        for (n, (sem, &(ncnt, zcnt))) in set.sems.iter().zip(&counts).enumerate() {
            if sem.semval > sems.limits.value_max || sem.semncnt != ncnt || sem.semzcnt != zcnt {
                return Err(format!("semid {id:#x} semaphore {n}: value or counters disagree with the waiters"));
            }
        }
        let want = u32::from(o.perm.allocated()) + set.waiters.len() as u32 + set.undos.len() as u32;
        if o.perm.refs != want {
            return Err(format!("semid {id:#x}: {} refs, want {want}", o.perm.refs));
        }
        for p in &set.undos {
            if !sems.undo.get(p).is_some_and(|m| m.contains_key(&h)) {
                return Err(format!("semid {id:#x}: pid {p} listed without an undo record"));
            }
        }
    }
    for (pid, records) in &sems.undo {
        if k.process(*pid).is_none() || records.is_empty() {
            return Err(format!("undo records of pid {pid}, which is gone or has none"));
        }
        for (h, aoe) in records {
            let o = sems.svc.object(*h).ok_or(format!("pid {pid}: undo record for no set"))?;
            if !o.body.undos.contains(pid) || aoe.len() != o.body.sems.len() {
                return Err(format!("pid {pid}: undo record for semid {:#x} disagrees with it", o.perm.id));
            }
            if aoe.iter().any(|a| !(-SEM_AOE_MAX..=SEM_AOE_MAX).contains(a)) {
                return Err(format!("pid {pid}: adjustment out of range"));
            }
        }
    }
    Ok(())
}

/// Invariant 4 from the thread's side: a thread parked on a set is listed in it.
pub(crate) fn check_parked<F: SemHost>(k: &Kernel<F>, tid: Tid, chan: &SemChan) -> Result<(), String> {
    let o = k.fac.sem().svc.object(chan.set).ok_or(format!("thread {tid} parked on no set"))?;
    if !o.body.waiters.iter().any(|w| w.tid == tid) {
        return Err(format!("thread {tid} parked on semid {:#x} but not listed", o.perm.id));
    }
    Ok(())
}
