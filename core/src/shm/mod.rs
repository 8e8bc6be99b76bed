//! # System V shared memory
//!
//! `shmget`, `shmat`, `shmdt` and `shmctl` with the semantics of NetBSD
//! `sysv_shm.c` (1.120), held in the shared illumos namespace framework
//! ([`crate::namespace`]) instead of NetBSD's fixed `shmsegs` array — plus
//! what a process does with attached memory: **read and write bytes at an
//! address** of its own address space.
//!
//! ## Objects
//! * [`Segment`] (`struct shmid_ds` less its `ipc_perm` head): the size as
//!   asked (`shm_segsz`, not rounded), the page count, creator and last
//!   pid, `shm_nattch`, the three times, the seed's mode flags kept apart
//!   (`SHMSEG_REMOVED`, `SHMSEG_RMLINGER`, `SHMSEG_WIRED`) and the memory:
//!   page-rounded, zero-filled, held sparsely (a page exists once written).
//! * Per process, the **attach map** (`struct shmmap_state`): entries
//!   ([`Attach`]: address, page-rounded length, shmid, read-only?), newest
//!   first as the seed's `SLIST_INSERT_HEAD` keeps them.  Addresses are in
//!   a per-process address space `[VA_MIN, VA_MAX)` with `SHMLBA` = one page.
//! * [`Shms`]: the namespace, the tunables ([`ShmLimits`]), `shm_nused`,
//!   `shm_committed` (pages), the attach maps and the removed segments an
//!   id still finds (RMLINGER).
//!
//! ## Operations, with sysv_shm.c's check order (read from the code)
//! * **shmget(key, size, shmflg)**: unknown flag bits → EINVAL (a
//!   departure: the seed masks them).  Then GET on the namespace: an
//!   existing key → EEXIST (IPC_CREAT|IPC_EXCL), EACCES (the requested
//!   mode bits, judged by the framework's rule), then `size != 0 && size >
//!   shm_segsz` → EINVAL.  No key → ENOENT without IPC_CREAT; IPC_PRIVATE
//!   always creates.  A new segment: the framework's project and zone id
//!   limits (ENOSPC) — *before* the size test here, after it in NetBSD,
//!   which has no such limits — then `size ∉ [shmmin, shmmax]` → EINVAL,
//!   `shm_nused ≥ shmmni` → ENOSPC, `shm_committed + pages > shmall` →
//!   ENOMEM.  The mode is `shmflg & 0777`, plus RMLINGER if `_SHM_RMLINGER`
//!   was given; cpid = caller, ctime = now, everything else 0.
//! * **shmat(shmid, shmaddr, shmflg)**: `shm_find_segment_by_shmid`
//!   (EINVAL: no such id — or a removed segment, unless it was made with
//!   RMLINGER); `ipcperm` for read, or read+write without SHM_RDONLY
//!   (EACCES); `nitems ≥ shmseg` → EMFILE; a fixed address: SHM_RND rounds
//!   it down to SHMLBA, or it must be aligned (EINVAL).  Then the attach
//!   is **counted before the mapping is made**: the map becomes the
//!   caller's own (`shmmap_getprivate`), the entry goes at its head,
//!   `lpid`, `nattch++`.  Then the mapping (`uvm_map`): address 0 → the
//!   lowest free range at or above [`SHM_VA_BASE`] (the kernel's choice,
//!   made deterministic); a fixed range that overlaps another attachment
//!   or leaves the address space, or no free range → ENOMEM, and the
//!   counted attach leaves through `shm_delete_mapping` (`err_detach`):
//!   lpid stays the caller's, dtime is now, nattch and atime as before.
//!   Last, `atime`.
//! * **shmdt(shmaddr)**: the entry whose address is exactly `shmaddr`
//!   (EINVAL); the map made the caller's own; `dtime`; `nattch--`; a
//!   removed segment at 0 attachments is freed.  The seed does **not** set
//!   `lpid` here (Linux does).
//! * **fork** (`shmfork`): the child **shares** the parent's attach map
//!   (a reference count, not a copy), each entry's `nattch++`.  The first
//!   of them to attach, detach or SHM_LOCK/UNLOCK gets its own copy
//!   (`shmmap_getprivate`, which lists the entries in the opposite order).
//! * **exit and exec** (`shmexit`): a map still shared only drops this
//!   process's reference — each entry's `nattch--`, nothing else (no
//!   dtime); a map of its own detaches every entry through
//!   `shm_delete_mapping` (dtime set, a removed segment freed at its last).
//! * **shmctl(shmid, cmd, buf)**: IPC_SET without a buffer → EFAULT
//!   (copyin); the lookup as shmat's (EINVAL); then IPC_STAT (read:
//!   EACCES), IPC_SET (owner or creator: EPERM; uid/gid above MAXUID:
//!   EINVAL; mode bits; ctime), IPC_RMID (owner or creator: EPERM; the key
//!   becomes IPC_PRIVATE, the segment is marked removed and freed at once
//!   if nothing is attached — **deferred destruction** otherwise),
//!   SHM_LOCK / SHM_UNLOCK (privileged, else EPERM; wires or unwires the
//!   segment if the *caller* has it attached, as `shm_memlock` walks only
//!   the caller's map — otherwise it is a successful no-op), any other
//!   command → EINVAL.
//! * **Memory** — `shm_read(addr, len)` and `shm_write(addr, bytes)`, the
//!   loads and stores of the process: every byte must lie in one of the
//!   process's attachments (an access may run across adjacent ones), else
//!   **EFAULT** (a SIGSEGV with SEGV_MAPERR); a write through a read-only
//!   attachment is **EACCES** (`uvm_fault`'s answer for a protection
//!   violation, SEGV_ACCERR).  A faulting access changes nothing (a real
//!   store stops at the fault; here the check comes first).  One access
//!   moves at most [`MAX_IO`] bytes (EINVAL beyond).
//! * **Tunables** (`shm_sysctl`, privileged: EPERM): `shmmax` (below a
//!   page → EINVAL; rounded up to pages, and `shmall` follows),
//!   `shmmaxpgs` = `shmall` (< 1 → EINVAL; `shmmax` follows), `shmmni`
//!   (< 1 → EINVAL; below the highest slot index in use → EBUSY, as
//!   `shmrealloc`), `shmseg` (any value, as the seed's plain integer node).
//!
//! ## Where the illumos namespace changes what a user sees
//! * **Ids** are the framework's: `seq << (31 − seq_bits) | index`, the
//!   sequence bumped when a slot is released.  NetBSD's are
//!   `index | seq << 16` with a 15-bit sequence bumped at allocation.
//! * **The free-slot search** takes the lowest free index; NetBSD reuses
//!   the last freed slot first (`shm_last_free`), else scans from 0.
//! * **shmmni** is a count here (`shm_nused ≥ shmmni` → ENOSPC) on a
//!   table that grows by doubling; NetBSD's is the size of a fixed array
//!   that `shmrealloc` copies.  A removed, still-attached segment leaves
//!   its slot at RMID here (so its index no longer blocks lowering
//!   `shmmni`), but still counts in `shm_nused` and `shm_committed`, as in
//!   NetBSD.  An RMLINGER id keeps finding its segment through a side
//!   table until the segment is freed.
//! * Keys, permissions, zones and project limits are the framework's (so
//!   GET checks requested bits against the whole mode, illumos' rule).
//!
//! ## Linux differs
//! Linux checks `size > shm_segsz` before the permission, sets `lpid` at
//! shmdt, lets any process attach a removed segment while it exists
//! (NetBSD only with RMLINGER), answers SHM_LOCK for the owner with
//! RLIMIT_MEMLOCK rather than privilege, and reports removal as the
//! SHM_DEST mode bit.
//!
//! ## Invariants (checked by `check()` after every property-test step)
//! 1. The namespace's invariants; every segment has `pages = ⌈segsz/page⌉`
//!    with `shmmin ≤ segsz`, and its memory holds no page beyond them.
//! 2. `nattch` equals the attachments to it in all processes' maps, and a
//!    segment's references are its namespace reference (while in it) plus
//!    one per attachment.
//! 3. No two attachments of a process overlap; each lies in the address
//!    space, is page-aligned and spans its segment's pages.
//! 4. `shm_committed` equals the pages of all existing segments and
//!    `shm_nused` their number.
//! 5. A removed segment is referenced only by attachments (so nattch ≥ 1),
//!    and the lingering table holds exactly the removed RMLINGER ones.
//! 6. Processes that share an attach map since a fork hold equal copies of
//!    it, and a shared map has at least two sharers.

pub mod view;

use crate::cred::{Caller, Gid, Pid, Tid, Uid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::event::{Ctx, Named, Octal};
use crate::kernel::{Facilities, Kernel};
use crate::namespace::arena::Handle;
use crate::namespace::{
    Facility, Got, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, IdSpace, IpcPerm,
    IpcService, RctlScope, Sink,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The page size, and `SHMLBA`.
pub const PAGE_SIZE: u64 = 4096;
/// `shmat` flags (NetBSD's values).
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
/// `shmget` flag: a removed segment stays attachable by id (`_SHM_RMLINGER`).
pub const SHM_RMLINGER: i32 = 0x2000;
/// `shmctl` commands (IPC_* are the framework's illumos numbers).
pub const SHM_LOCK: i32 = 3;
pub const SHM_UNLOCK: i32 = 4;
/// The lowest and one past the highest address of a process.
pub const VA_MIN: u64 = PAGE_SIZE;
pub const VA_MAX: u64 = 1 << 47;
/// Where the kernel starts looking when `shmaddr` is 0.
pub const SHM_VA_BASE: u64 = 0x1000_0000;
/// `project.max-shm-ids`, illumos' default.
pub const SHM_IDS_PER_PROJECT: u32 = 128;
/// The most bytes one `shm_read` or `shm_write` moves.
pub const MAX_IO: u64 = 1 << 20;

const SHMGET_FLAGS: i32 = IPC_CREAT | IPC_EXCL | SHM_RMLINGER | 0o777;
const SHMAT_FLAGS: i32 = SHM_RDONLY | SHM_RND;

fn pages_of(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE_SIZE)
}

/// The tunables (`shminfo`).  All but `shmmin` can change while the kernel
/// runs ([`Kernel::shm_sysctl`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmLimits {
    /// Largest segment in bytes (a multiple of the page).  Default 8 MiB.
    pub shmmax: u64,
    /// Smallest segment in bytes.  Default 1.
    pub shmmin: u64,
    /// Most segments in the system.  Default 128.
    pub shmmni: u32,
    /// Most attachments per process.  Default 128.
    pub shmseg: u32,
    /// Most pages of all segments together (`shmmaxpgs`).  Default 2048.
    pub shmall: u64,
}

impl Default for ShmLimits {
    fn default() -> Self {
        ShmLimits { shmmax: 2048 * PAGE_SIZE, shmmin: 1, shmmni: 128, shmseg: 128, shmall: 2048 }
    }
}

impl ShmLimits {
    /// Largest `shmmax` accepted (memory is allocated as it is written).
    pub const SHMMAX_CAP: u64 = 1 << 30;

    pub fn validate(&self) -> SysResult<()> {
        let ok = self.shmmax >= PAGE_SIZE
            && self.shmmax <= Self::SHMMAX_CAP
            && self.shmmax.is_multiple_of(PAGE_SIZE)
            && self.shmmin >= 1
            && self.shmmin <= self.shmmax
            && self.shmmni >= 1
            && self.shmall >= 1
            && self.shmall <= Self::SHMMAX_CAP / PAGE_SIZE * 1024;
        if ok { Ok(()) } else { Err(Errno::EINVAL) }
    }
}

/// A segment's bytes: page-rounded, zero-filled, stored a page at a time
/// once written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pages: BTreeMap<u64, Vec<u8>>,
}

impl Memory {
    /// Copies `out.len()` bytes from `offset`.
    pub fn read(&self, offset: u64, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let at = offset + done as u64;
            let (page, within) = (at / PAGE_SIZE, (at % PAGE_SIZE) as usize);
            let n = (PAGE_SIZE as usize - within).min(out.len() - done);
            match self.pages.get(&page) {
                Some(p) => out[done..done + n].copy_from_slice(&p[within..within + n]),
                None => out[done..done + n].fill(0),
            }
            done += n;
        }
    }

    /// Copies `data` to `offset`.
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let at = offset + done as u64;
            let (page, within) = (at / PAGE_SIZE, (at % PAGE_SIZE) as usize);
            let n = (PAGE_SIZE as usize - within).min(data.len() - done);
            let p = self.pages.entry(page).or_insert_with(|| vec![0; PAGE_SIZE as usize]);
            p[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
    }

    /// Pages written so far.
    pub fn resident(&self) -> usize {
        self.pages.len()
    }

    fn highest_page(&self) -> Option<u64> {
        self.pages.keys().next_back().copied()
    }

    fn pages_sound(&self) -> bool {
        self.pages.values().all(|p| p.len() == PAGE_SIZE as usize)
    }
}

/// A segment: `shmid_ds` less its permission head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// `shm_segsz`: the size as asked.
    pub segsz: u64,
    /// Pages it occupies (`segsz` rounded up).
    pub pages: u64,
    pub cpid: Pid,
    pub lpid: Pid,
    pub nattch: u32,
    pub atime: u64,
    pub dtime: u64,
    pub ctime: u64,
    /// `SHMSEG_REMOVED`: IPC_RMID was done; freed at the last detach.
    pub removed: bool,
    /// `SHMSEG_RMLINGER`: made with `_SHM_RMLINGER`.
    pub rmlinger: bool,
    /// `SHMSEG_WIRED`: locked in memory by SHM_LOCK.
    pub wired: bool,
    pub mem: Memory,
}

/// The pieces of an access: (attachment, offset in its segment, bytes).
type Pieces = Vec<(Attach, u64, u64)>;

/// One entry of a process's attach map (`struct shmmap_entry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attach {
    pub va: u64,
    /// Page-rounded length.
    pub len: u64,
    pub shmid: i32,
    pub seg: Handle,
    pub rdonly: bool,
}

impl Attach {
    fn end(&self) -> u64 {
        self.va + self.len
    }
}

/// `struct shmid_ds` as IPC_STAT returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmidDs {
    pub perm: IpcPerm,
    pub segsz: u64,
    pub lpid: Pid,
    pub cpid: Pid,
    pub nattch: u32,
    pub atime: u64,
    pub dtime: u64,
    pub ctime: u64,
    pub removed: bool,
    pub rmlinger: bool,
    pub locked: bool,
}

/// The settable part of `shmid_ds` for IPC_SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShmSetPerm {
    pub uid: Uid,
    pub gid: Gid,
    pub mode: u32,
}

/// What the raw `shmctl` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShmctlReply {
    Stat(ShmidDs),
    Done,
}

/// A tunable to set (`kern.ipc.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShmSysctl {
    Shmmax(u64),
    Shmmaxpgs(u64),
    Shmmni(u32),
    Shmseg(u32),
}

impl fmt::Display for ShmSysctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShmSysctl::Shmmax(v) => write!(f, "kern.ipc.shmmax={v}"),
            ShmSysctl::Shmmaxpgs(v) => write!(f, "kern.ipc.shmmaxpgs={v}"),
            ShmSysctl::Shmmni(v) => write!(f, "kern.ipc.shmmni={v}"),
            ShmSysctl::Shmseg(v) => write!(f, "kern.ipc.shmseg={v}"),
        }
    }
}

// ----- the facility's state and its place in the kernel -----

/// The shared-memory facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shms {
    svc: IpcService<Segment>,
    limits: ShmLimits,
    /// `shm_nused`: existing segments, removed ones included.
    nused: u32,
    /// `shm_committed`: their pages.
    committed: u64,
    /// pid → attach map, newest first.
    maps: BTreeMap<Pid, Vec<Attach>>,
    /// pid → the map it shares since a fork (`shmfork` shares the parent's
    /// `shmmap_state`, reference-counted); a pid absent here owns its map.
    /// Sharers hold equal copies.
    #[serde(default)]
    shared: BTreeMap<Pid, u64>,
    /// The next id of a shared map.
    #[serde(default)]
    next_shared: u64,
    /// Removed RMLINGER segments still attached: id → segment.
    lingering: BTreeMap<i32, Handle>,
}

impl Shms {
    pub fn new(space: IdSpace, limits: ShmLimits) -> SysResult<Self> {
        space.validate()?;
        limits.validate()?;
        Ok(Shms {
            svc: IpcService::new(Facility::Shm, space, SHM_IDS_PER_PROJECT),
            limits,
            nused: 0,
            committed: 0,
            maps: BTreeMap::new(),
            shared: BTreeMap::new(),
            next_shared: 0,
            lingering: BTreeMap::new(),
        })
    }

    pub fn service(&self) -> &IpcService<Segment> {
        &self.svc
    }

    pub fn limits(&self) -> &ShmLimits {
        &self.limits
    }

    pub fn nused(&self) -> u32 {
        self.nused
    }

    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// A process's attach map, newest first.
    pub fn map_of(&self, pid: Pid) -> &[Attach] {
        self.maps.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// Every process with attachments.
    pub fn maps(&self) -> impl Iterator<Item = (Pid, &[Attach])> {
        self.maps.iter().map(|(&p, m)| (p, m.as_slice()))
    }

    /// `shm_find_segment_by_shmid`: live ids, then removed RMLINGER ones.
    fn find(&self, caller: &Caller, shmid: i32) -> Option<Handle> {
        self.svc.lookup(caller, shmid).or_else(|| {
            let h = *self.lingering.get(&shmid)?;
            let o = self.svc.object(h)?;
            (o.body.removed && o.body.rmlinger && caller.has_zone_access(o.perm.zone)).then_some(h)
        })
    }

    fn find_or_deny(&self, caller: &Caller, shmid: i32, ctx: &mut impl Sink) -> SysResult<Handle> {
        match self.find(caller, shmid) {
            Some(h) => Ok(h),
            None => Err(self.svc.lookup_denial(caller, shmid, ctx)),
        }
    }

    /// How many processes share `pid`'s attach map (1: its own).
    fn sharers(&self, pid: Pid) -> usize {
        match self.shared.get(&pid) {
            Some(m) => self.shared.values().filter(|&x| x == m).count(),
            None => 1,
        }
    }

    /// `shmmap_getprivate`: a map still shared since a fork is copied for
    /// `pid` — entry by entry, each inserted at the head, so the copy lists
    /// them in the opposite order — and the others keep the original.
    fn getprivate(&mut self, pid: Pid) {
        let Some(m) = self.shared.remove(&pid) else { return };
        if let Some(map) = self.maps.get_mut(&pid) {
            map.reverse();
        }
        let rest: Vec<Pid> = self.shared.iter().filter(|&(_, &x)| x == m).map(|(&p, _)| p).collect();
        if let [only] = rest[..] {
            self.shared.remove(&only);
        }
    }

    /// sys_shmat's bookkeeping before the mapping is made: the map made
    /// the process's own, the entry at its head, `shm_lpid`, `shm_nattch`.
    fn attach(&mut self, pid: Pid, a: Attach, ctx: &mut impl ShmSink) {
        self.getprivate(pid);
        self.maps.entry(pid).or_default().insert(0, a);
        self.svc.hold(a.seg, ctx);
        if let Some(o) = self.svc.object_mut(a.seg) {
            o.body.nattch += 1;
            o.body.lpid = pid;
            ctx.shm(ShmStep::Attach { shmid: a.shmid, pid, va: a.va, nattch: o.body.nattch });
        }
    }

    /// `uvm_map` refused the range (`why`): the attach was already counted,
    /// so it leaves through `shm_delete_mapping` (`err_detach`) — lpid stays
    /// the caller's and dtime is now, nattch and atime as before — and the
    /// caller gets ENOMEM.
    #[allow(clippy::too_many_arguments)]
    fn unmappable(
        &mut self,
        pid: Pid,
        va: u64,
        seg: Handle,
        shmid: i32,
        rdonly: bool,
        now: u64,
        why: String,
        ctx: &mut impl ShmSink,
    ) -> Errno {
        let len = self.svc.object(seg).map_or(0, |o| o.body.pages * PAGE_SIZE);
        self.attach(pid, Attach { va, len, shmid, seg, rdonly }, ctx);
        self.delete_mapping(pid, 0, now, ctx);
        deny(ctx, Errno::ENOMEM, || format!("{why}: the attach counted is undone (lpid kept, dtime set)"))
    }

    /// `shm_delete_mapping`: the entry leaves the map; dtime, nattch; a
    /// removed segment at 0 attachments is freed.
    fn delete_mapping(&mut self, pid: Pid, i: usize, now: u64, ctx: &mut impl ShmSink) {
        let Some(map) = self.maps.get_mut(&pid) else { return };
        if i >= map.len() {
            return;
        }
        let a = map.remove(i);
        if map.is_empty() {
            self.maps.remove(&pid);
        }
        let mut nattch = 0;
        if let Some(o) = self.svc.object_mut(a.seg) {
            o.body.dtime = now;
            o.body.nattch = o.body.nattch.saturating_sub(1);
            nattch = o.body.nattch;
        }
        ctx.shm(ShmStep::Detach { shmid: a.shmid, pid, va: a.va, nattch });
        self.rele(a.seg, ctx);
    }

    /// Drops a reference; a segment whose last one goes is freed
    /// (`shm_free_segment`).
    fn rele(&mut self, h: Handle, ctx: &mut impl ShmSink) {
        let id = self.svc.object(h).map_or(0, |o| o.perm.id);
        if let Some(seg) = self.svc.rele(h, ctx) {
            self.nused = self.nused.saturating_sub(1);
            self.committed = self.committed.saturating_sub(seg.pages);
            self.lingering.remove(&id);
            ctx.shm(ShmStep::Free { shmid: id, pages: seg.pages });
        }
    }

    /// The lowest free range of `len` bytes at or above `from`, in `map`.
    fn lowest_free(map: &[Attach], from: u64, len: u64) -> Option<u64> {
        let mut taken: Vec<(u64, u64)> = map.iter().map(|a| (a.va, a.end())).collect();
        taken.sort_unstable();
        let mut va = from;
        for (start, end) in taken {
            if end <= va {
                continue;
            }
            if start >= va.checked_add(len)? {
                break;
            }
            va = end;
        }
        (va.checked_add(len)? <= VA_MAX).then_some(va)
    }

    /// The attachments covering `[addr, addr + len)`, in address order, or
    /// where the access faults.
    fn cover(&self, pid: Pid, addr: u64, len: u64) -> Result<Pieces, u64> {
        let map = self.map_of(pid);
        let mut out = Vec::new();
        let mut at = addr;
        let end = addr.checked_add(len).ok_or(addr)?;
        while at < end {
            let Some(a) = map.iter().find(|a| a.va <= at && at < a.end()) else { return Err(at) };
            let n = (a.end() - at).min(end - at);
            out.push((*a, at - a.va, n));
            at += n;
        }
        Ok(out)
    }
}

/// Where this module's steps go.
trait ShmSink: Sink {
    fn shm(&mut self, step: ShmStep);
}

impl<F: ShmHost> ShmSink for Ctx<F> {
    fn shm(&mut self, step: ShmStep) {
        self.sys(step);
    }
}

/// A kernel's facility set that contains shared memory.
pub trait ShmHost: Facilities<Call: From<ShmCall>, Value: From<ShmValue>, Step: From<ShmStep>> {
    fn shm(&self) -> &Shms;
    fn shm_mut(&mut self) -> &mut Shms;
}

// ----- words for the event log -----

/// A shared-memory call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShmCall {
    Shmget { key: i32, size: u64, shmflg: i32 },
    Shmat { shmid: i32, shmaddr: u64, shmflg: i32 },
    Shmdt { shmaddr: u64 },
    Shmctl { shmid: i32, cmd: i32 },
    Read { addr: u64, len: u64 },
    Write { addr: u64, len: u64, head: [u8; 8] },
    Sysctl { set: ShmSysctl },
    Shmids,
}

impl Named for ShmCall {
    fn name(&self) -> &'static str {
        match self {
            ShmCall::Shmget { .. } => "shmget",
            ShmCall::Shmat { .. } => "shmat",
            ShmCall::Shmdt { .. } => "shmdt",
            ShmCall::Shmctl { .. } => "shmctl",
            ShmCall::Read { .. } => "shm_read",
            ShmCall::Write { .. } => "shm_write",
            ShmCall::Sysctl { .. } => "sysctl",
            ShmCall::Shmids => "shmids",
        }
    }
}

fn cmd_name(cmd: i32) -> Option<&'static str> {
    Some(match cmd {
        IPC_RMID => "IPC_RMID",
        IPC_SET => "IPC_SET",
        IPC_STAT => "IPC_STAT",
        SHM_LOCK => "SHM_LOCK",
        SHM_UNLOCK => "SHM_UNLOCK",
        _ => return None,
    })
}

/// shmat's flags in words.
struct AtFlags(i32);

impl fmt::Display for AtFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.0 & SHM_RDONLY != 0 {
            parts.push("SHM_RDONLY".to_string());
        }
        if self.0 & SHM_RND != 0 {
            parts.push("SHM_RND".to_string());
        }
        let rest = self.0 & !SHMAT_FLAGS;
        if rest != 0 || parts.is_empty() {
            parts.push(Octal(rest).to_string());
        }
        write!(f, "{}", parts.join("|"))
    }
}

impl fmt::Display for ShmCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShmCall::Shmget { key, size, shmflg } => {
                write!(f, "key={key:#x}, size={size}, shmflg={}", Octal(*shmflg))
            }
            ShmCall::Shmat { shmid, shmaddr, shmflg } => {
                write!(f, "shmid={shmid:#x}, shmaddr={shmaddr:#x}, shmflg={}", AtFlags(*shmflg))
            }
            ShmCall::Shmdt { shmaddr } => write!(f, "shmaddr={shmaddr:#x}"),
            ShmCall::Shmctl { shmid, cmd } => match cmd_name(*cmd) {
                Some(name) => write!(f, "shmid={shmid:#x}, cmd={name}"),
                None => write!(f, "shmid={shmid:#x}, cmd={cmd}"),
            },
            ShmCall::Read { addr, len } => write!(f, "addr={addr:#x}, len={len}"),
            ShmCall::Write { addr, len, head } => {
                let n = (*len as usize).min(head.len());
                write!(f, "addr={addr:#x}, len={len}, bytes=\"{}", head[..n].escape_ascii())?;
                if *len as usize > n { write!(f, "…\"") } else { write!(f, "\"") }
            }
            ShmCall::Sysctl { set } => write!(f, "{set}"),
            ShmCall::Shmids => Ok(()),
        }
    }
}

/// What a shared-memory call returned, as the log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShmValue {
    Id(i32),
    Addr(u64),
    Zero,
    Stat { segsz: u64, nattch: u32 },
    Bytes(u64),
    Ids(usize),
}

impl fmt::Display for ShmValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShmValue::Id(id) => write!(f, "id {id:#x} ({id})"),
            ShmValue::Addr(a) => write!(f, "address {a:#x}"),
            ShmValue::Zero => write!(f, "0"),
            ShmValue::Stat { segsz, nattch } => write!(f, "segsz={segsz} nattch={nattch}"),
            ShmValue::Bytes(n) => write!(f, "{n} byte(s)"),
            ShmValue::Ids(n) => write!(f, "{n} id(s)"),
        }
    }
}

/// An internal step of the shared-memory facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShmStep {
    /// A segment was made: its pages are committed.
    Alloc { shmid: i32, pages: u64 },
    /// A process attached a segment at `va`.
    Attach { shmid: i32, pid: Pid, va: u64, nattch: u32 },
    /// A process detached a segment.
    Detach { shmid: i32, pid: Pid, va: u64, nattch: u32 },
    /// IPC_RMID on a segment still attached: destruction deferred.
    Deferred { shmid: i32, nattch: u32 },
    /// A segment was freed: its pages are uncommitted.
    Free { shmid: i32, pages: u64 },
    /// Bytes were stored into a segment at `offset`.
    Store { shmid: i32, offset: u64, len: u64 },
    /// SHM_LOCK / SHM_UNLOCK changed the segment's wiring.
    Wire { shmid: i32, wired: bool },
}

impl fmt::Display for ShmStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShmStep::Alloc { shmid, pages } => write!(f, "shm: shmid {shmid:#x} commits {pages} page(s)"),
            ShmStep::Attach { shmid, pid, va, nattch } => {
                write!(f, "shm: pid {pid} attached shmid {shmid:#x} at {va:#x} (nattch {nattch})")
            }
            ShmStep::Detach { shmid, pid, va, nattch } => {
                write!(f, "shm: pid {pid} detached shmid {shmid:#x} from {va:#x} (nattch {nattch})")
            }
            ShmStep::Deferred { shmid, nattch } => write!(
                f,
                "shm: shmid {shmid:#x} is removed but still attached {nattch} time(s): freed at the last detach"
            ),
            ShmStep::Free { shmid, pages } => write!(f, "shm: shmid {shmid:#x} freed, {pages} page(s) uncommitted"),
            ShmStep::Store { shmid, offset, len } => {
                write!(f, "shm: {len} byte(s) stored into shmid {shmid:#x} at offset {offset}")
            }
            ShmStep::Wire { shmid, wired } => {
                write!(f, "shm: shmid {shmid:#x} {}", if wired { "wired (SHM_LOCK)" } else { "unwired (SHM_UNLOCK)" })
            }
        }
    }
}

fn deny(ctx: &mut impl Sink, errno: Errno, rule: impl FnOnce() -> String) -> Errno {
    ctx.deny(Some(Facility::Shm), errno, rule)
}

// ----- the system calls -----

impl<F: ShmHost> Kernel<F> {
    /// `shmget(key, size, shmflg)`.
    pub fn shmget(&mut self, tid: Tid, key: i32, size: u64, shmflg: i32) -> SysResult<i32> {
        let call = ShmCall::Shmget { key, size, shmflg }.into();
        self.syscall_now(
            tid,
            call,
            |&id| ShmValue::Id(id).into(),
            |k, caller, ctx| k.shmget_locked(caller, key, size, shmflg, ctx),
        )
    }

    fn shmget_locked(&mut self, caller: &Caller, key: i32, size: u64, shmflg: i32, ctx: &mut Ctx<F>) -> SysResult<i32> {
        if shmflg & !SHMGET_FLAGS != 0 {
            let bits = shmflg & !SHMGET_FLAGS;
            return Err(deny(ctx, Errno::EINVAL, || format!("unknown flag bits {}", Octal(bits))));
        }
        let now = self.clock;
        let shms = self.fac.shm_mut();
        match shms.svc.ipc_get(caller, key, shmflg & !SHM_RMLINGER, ctx)? {
            Got::Existing(h) => {
                let o = shms.svc.object(h).ok_or(Errno::EINVAL)?;
                if size != 0 && size > o.body.segsz {
                    let (id, have) = (o.perm.id, o.body.segsz);
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!("key {key:#x} names shmid {id:#x} of {have} bytes; {size} is more")
                    }));
                }
                Ok(o.perm.id)
            }
            Got::New(perm) => {
                let l = shms.limits;
                if size < l.shmmin || size > l.shmmax {
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!("size {size} is outside [shmmin {}, shmmax {}]", l.shmmin, l.shmmax)
                    }));
                }
                if shms.nused >= l.shmmni {
                    let n = shms.nused;
                    return Err(deny(ctx, Errno::ENOSPC, || {
                        format!("{n} segments exist (removed ones still attached included); shmmni is {}", l.shmmni)
                    }));
                }
                let pages = pages_of(size);
                if shms.committed + pages > l.shmall {
                    let c = shms.committed;
                    return Err(deny(ctx, Errno::ENOMEM, || {
                        format!("{c} page(s) committed + {pages} would pass shmall {}", l.shmall)
                    }));
                }
                let seg = Segment {
                    segsz: size,
                    pages,
                    cpid: caller.pid,
                    lpid: 0,
                    nattch: 0,
                    atime: 0,
                    dtime: 0,
                    ctime: now,
                    removed: false,
                    rmlinger: shmflg & SHM_RMLINGER != 0,
                    wired: false,
                    mem: Memory::default(),
                };
                let h = shms.svc.commit(caller, perm, seg, shmflg & !SHM_RMLINGER, ctx)?;
                shms.nused += 1;
                shms.committed += pages;
                let id = shms.svc.object(h).ok_or(Errno::EINVAL)?.perm.id;
                ctx.sys(ShmStep::Alloc { shmid: id, pages });
                Ok(id)
            }
        }
    }

    /// `shmat(shmid, shmaddr, shmflg)`: the address it is attached at.
    pub fn shmat(&mut self, tid: Tid, shmid: i32, shmaddr: u64, shmflg: i32) -> SysResult<u64> {
        let call = ShmCall::Shmat { shmid, shmaddr, shmflg }.into();
        self.syscall_now(
            tid,
            call,
            |&va| ShmValue::Addr(va).into(),
            |k, caller, ctx| k.shmat_locked(caller, shmid, shmaddr, shmflg, ctx),
        )
    }

    fn shmat_locked(
        &mut self,
        caller: &Caller,
        shmid: i32,
        shmaddr: u64,
        shmflg: i32,
        ctx: &mut Ctx<F>,
    ) -> SysResult<u64> {
        if shmflg & !SHMAT_FLAGS != 0 {
            let bits = shmflg & !SHMAT_FLAGS;
            return Err(deny(ctx, Errno::EINVAL, || format!("unknown shmat flag bits {}", Octal(bits))));
        }
        let now = self.clock;
        let shms = self.fac.shm_mut();
        let h = shms.find_or_deny(caller, shmid, ctx)?;
        let o = shms.svc.object(h).ok_or(Errno::EINVAL)?;
        let rdonly = shmflg & SHM_RDONLY != 0;
        shms.svc.perm_access(&o.perm, if rdonly { IPC_R } else { IPC_R | IPC_W }, caller, ctx)?;
        let map = shms.map_of(caller.pid);
        if map.len() >= shms.limits.shmseg as usize {
            let n = map.len();
            let max = shms.limits.shmseg;
            return Err(deny(ctx, Errno::EMFILE, || {
                format!("pid {} has {n} attachments; shmseg is {max}", caller.pid)
            }));
        }
        let len = o.body.pages * PAGE_SIZE;
        let va = if shmaddr != 0 {
            let va = if shmflg & SHM_RND != 0 {
                shmaddr & !(PAGE_SIZE - 1)
            } else if shmaddr.is_multiple_of(PAGE_SIZE) {
                shmaddr
            } else {
                return Err(deny(ctx, Errno::EINVAL, || {
                    format!(
                        "address {shmaddr:#x} is not a multiple of SHMLBA ({PAGE_SIZE:#x}) and SHM_RND was not given"
                    )
                }));
            };
            let end = va.checked_add(len);
            if va < VA_MIN || end.is_none_or(|e| e > VA_MAX) {
                let why = format!("[{va:#x}, +{len:#x}) is outside the address space [{VA_MIN:#x}, {VA_MAX:#x})");
                return Err(shms.unmappable(caller.pid, va, h, shmid, rdonly, now, why, ctx));
            }
            if let Some(a) = map.iter().find(|a| a.va < va + len && va < a.end()) {
                let (ava, aend, aid) = (a.va, a.end(), a.shmid);
                let why =
                    format!("[{va:#x}, {:#x}) overlaps shmid {aid:#x} attached at [{ava:#x}, {aend:#x})", va + len);
                return Err(shms.unmappable(caller.pid, va, h, shmid, rdonly, now, why, ctx));
            }
            va
        } else {
            let Some(va) = Shms::lowest_free(map, SHM_VA_BASE, len) else {
                let why = format!("no free range of {len} bytes in the address space");
                return Err(shms.unmappable(caller.pid, SHM_VA_BASE, h, shmid, rdonly, now, why, ctx));
            };
            va
        };
        shms.attach(caller.pid, Attach { va, len, shmid, seg: h, rdonly }, ctx);
        let o = shms.svc.object_mut(h).ok_or(Errno::EINVAL)?;
        o.body.atime = now;
        Ok(va)
    }

    /// `shmdt(shmaddr)`.
    pub fn shmdt(&mut self, tid: Tid, shmaddr: u64) -> SysResult<()> {
        self.syscall_now(
            tid,
            ShmCall::Shmdt { shmaddr }.into(),
            |_| ShmValue::Zero.into(),
            |k, caller, ctx| {
                let now = k.clock;
                let shms = k.fac.shm_mut();
                if !shms.map_of(caller.pid).iter().any(|a| a.va == shmaddr) {
                    return Err(deny(ctx, Errno::EINVAL, || {
                        format!("pid {} has no segment attached at {shmaddr:#x}", caller.pid)
                    }));
                }
                // The map becomes the caller's own first (the entry found again in the copy).
                shms.getprivate(caller.pid);
                let i = shms.map_of(caller.pid).iter().position(|a| a.va == shmaddr).ok_or(Errno::EINVAL)?;
                shms.delete_mapping(caller.pid, i, now, ctx);
                Ok(())
            },
        )
    }

    /// The raw `shmctl(shmid, cmd, buf)`; `buf` is IPC_SET's.
    pub fn shmctl(&mut self, tid: Tid, shmid: i32, cmd: i32, buf: Option<ShmSetPerm>) -> SysResult<ShmctlReply> {
        let value = |r: &ShmctlReply| {
            match r {
                ShmctlReply::Stat(d) => ShmValue::Stat { segsz: d.segsz, nattch: d.nattch },
                ShmctlReply::Done => ShmValue::Zero,
            }
            .into()
        };
        self.syscall_now(tid, ShmCall::Shmctl { shmid, cmd }.into(), value, |k, caller, ctx| {
            k.shmctl_locked(caller, shmid, cmd, buf, ctx)
        })
    }

    /// IPC_STAT.
    pub fn shmctl_stat(&mut self, tid: Tid, shmid: i32) -> SysResult<ShmidDs> {
        match self.shmctl(tid, shmid, IPC_STAT, None)? {
            ShmctlReply::Stat(d) => Ok(d),
            ShmctlReply::Done => Err(Errno::EINVAL),
        }
    }

    /// IPC_SET.
    pub fn shmctl_set(&mut self, tid: Tid, shmid: i32, buf: ShmSetPerm) -> SysResult<()> {
        self.shmctl(tid, shmid, IPC_SET, Some(buf)).map(|_| ())
    }

    /// IPC_RMID.
    pub fn shmctl_rmid(&mut self, tid: Tid, shmid: i32) -> SysResult<()> {
        self.shmctl(tid, shmid, IPC_RMID, None).map(|_| ())
    }

    fn shmctl_locked(
        &mut self,
        caller: &Caller,
        shmid: i32,
        cmd: i32,
        buf: Option<ShmSetPerm>,
        ctx: &mut Ctx<F>,
    ) -> SysResult<ShmctlReply> {
        if cmd == IPC_SET && buf.is_none() {
            return Err(deny(ctx, Errno::EFAULT, || "IPC_SET needs a shmid_ds buffer".to_string()));
        }
        let now = self.clock;
        let shms = self.fac.shm_mut();
        let h = shms.find_or_deny(caller, shmid, ctx)?;
        match (cmd, buf) {
            (IPC_STAT, _) => {
                let o = shms.svc.object(h).ok_or(Errno::EINVAL)?;
                shms.svc.perm_access(&o.perm, IPC_R, caller, ctx)?;
                let s = &o.body;
                Ok(ShmctlReply::Stat(ShmidDs {
                    perm: o.perm.stat(),
                    segsz: s.segsz,
                    lpid: s.lpid,
                    cpid: s.cpid,
                    nattch: s.nattch,
                    atime: s.atime,
                    dtime: s.dtime,
                    ctime: s.ctime,
                    removed: s.removed,
                    rmlinger: s.rmlinger,
                    locked: s.wired,
                }))
            }
            (IPC_SET, Some(b)) => {
                shms.svc.perm_set(h, caller, b.uid, b.gid, b.mode, ctx)?;
                if let Some(o) = shms.svc.object_mut(h) {
                    o.body.ctime = now;
                }
                Ok(ShmctlReply::Done)
            }
            (IPC_RMID, _) => {
                let o = shms.svc.object(h).ok_or(Errno::EINVAL)?;
                shms.svc.owner_check(&o.perm, caller, ctx)?;
                let first = !o.body.removed;
                self.shm_rmid(h, first, ctx);
                Ok(ShmctlReply::Done)
            }
            (SHM_LOCK | SHM_UNLOCK, _) => {
                if !caller.cred.privileged {
                    let name = if cmd == SHM_LOCK { "SHM_LOCK" } else { "SHM_UNLOCK" };
                    return Err(deny(ctx, Errno::EPERM, || format!("{name} needs privilege (KAUTH_GENERIC_ISSUSER)")));
                }
                let lock = cmd == SHM_LOCK;
                // shm_memlock makes the caller's map its own, then walks it only.
                shms.getprivate(caller.pid);
                if shms.map_of(caller.pid).iter().any(|a| a.seg == h)
                    && let Some(o) = shms.svc.object_mut(h)
                    && o.body.wired != lock
                {
                    o.body.wired = lock;
                    ctx.sys(ShmStep::Wire { shmid: o.perm.id, wired: lock });
                }
                Ok(ShmctlReply::Done)
            }
            (other, _) => Err(deny(ctx, Errno::EINVAL, || format!("unknown shmctl command {other}"))),
        }
    }

    /// IPC_RMID's effect (also zone removal): out of the namespace, key
    /// IPC_PRIVATE, marked removed; freed now or at the last detach.
    fn shm_rmid(&mut self, h: Handle, first: bool, ctx: &mut Ctx<F>) {
        let shms = self.fac.shm_mut();
        if !first {
            // A lingering segment removed again: nothing more to do.
            return;
        }
        shms.svc.remove(h, ctx);
        let Some(o) = shms.svc.object_mut(h) else { return };
        o.perm.key = IPC_PRIVATE;
        o.body.removed = true;
        let (id, nattch, linger) = (o.perm.id, o.body.nattch, o.body.rmlinger);
        if nattch > 0 {
            ctx.sys(ShmStep::Deferred { shmid: id, nattch });
            if linger {
                shms.lingering.insert(id, h);
            }
        }
        shms.rele(h, ctx);
    }

    /// IDS: every segment id visible from the caller's zone, newest first.
    pub fn shmids(&mut self, tid: Tid) -> SysResult<Vec<i32>> {
        self.syscall_now(
            tid,
            ShmCall::Shmids.into(),
            |ids: &Vec<i32>| ShmValue::Ids(ids.len()).into(),
            |k, caller, _| Ok(k.fac.shm().svc.ids(caller)),
        )
    }

    /// Loads `len` bytes at `addr` of the caller's address space.
    pub fn shm_read(&mut self, tid: Tid, addr: u64, len: u64) -> SysResult<Vec<u8>> {
        self.syscall_now(
            tid,
            ShmCall::Read { addr, len }.into(),
            |b: &Vec<u8>| ShmValue::Bytes(b.len() as u64).into(),
            |k, caller, ctx| {
                let shms = k.fac.shm();
                let parts = shms.access(caller.pid, addr, len, false, ctx)?;
                let mut out = vec![0; len as usize];
                let mut done = 0;
                for (a, offset, n) in parts {
                    if let Some(o) = shms.svc.object(a.seg) {
                        o.body.mem.read(offset, &mut out[done..done + n as usize]);
                    }
                    done += n as usize;
                }
                Ok(out)
            },
        )
    }

    /// Stores `data` at `addr` of the caller's address space.
    pub fn shm_write(&mut self, tid: Tid, addr: u64, data: &[u8]) -> SysResult<()> {
        let mut head = [0; 8];
        let n = data.len().min(8);
        head[..n].copy_from_slice(&data[..n]);
        let call = ShmCall::Write { addr, len: data.len() as u64, head }.into();
        self.syscall_now(
            tid,
            call,
            |_| ShmValue::Zero.into(),
            |k, caller, ctx| {
                let shms = k.fac.shm_mut();
                let parts = shms.access(caller.pid, addr, data.len() as u64, true, ctx)?;
                let mut done = 0;
                for (a, offset, n) in parts {
                    if let Some(o) = shms.svc.object_mut(a.seg) {
                        o.body.mem.write(offset, &data[done..done + n as usize]);
                        ctx.sys(ShmStep::Store { shmid: o.perm.id, offset, len: n });
                    }
                    done += n as usize;
                }
                Ok(())
            },
        )
    }

    /// Sets a tunable as NetBSD's sysctl handlers do; privileged (EPERM).
    pub fn shm_sysctl(&mut self, tid: Tid, set: ShmSysctl) -> SysResult<()> {
        self.syscall_now(
            tid,
            ShmCall::Sysctl { set }.into(),
            |_| ShmValue::Zero.into(),
            |k, caller, ctx| {
                if !caller.cred.privileged {
                    return Err(deny(ctx, Errno::EPERM, || format!("setting {set} needs privilege")));
                }
                let shms = k.fac.shm_mut();
                let l = &mut shms.limits;
                match set {
                    ShmSysctl::Shmmax(v) => {
                        if !(PAGE_SIZE..=ShmLimits::SHMMAX_CAP).contains(&v) {
                            return Err(deny(ctx, Errno::EINVAL, || {
                                format!("shmmax {v} is below a page or above {}", ShmLimits::SHMMAX_CAP)
                            }));
                        }
                        l.shmmax = pages_of(v) * PAGE_SIZE;
                        l.shmall = l.shmmax / PAGE_SIZE;
                        l.shmmin = l.shmmin.min(l.shmmax);
                    }
                    ShmSysctl::Shmmaxpgs(v) => {
                        if !(1..=ShmLimits::SHMMAX_CAP / PAGE_SIZE).contains(&v) {
                            return Err(deny(ctx, Errno::EINVAL, || format!("shmmaxpgs {v} is out of range")));
                        }
                        l.shmall = v;
                        l.shmmax = v * PAGE_SIZE;
                        l.shmmin = l.shmmin.min(l.shmmax);
                    }
                    ShmSysctl::Shmmni(v) => {
                        if v < 1 {
                            return Err(deny(ctx, Errno::EINVAL, || "shmmni must be at least 1".to_string()));
                        }
                        let highest =
                            shms.svc.table().iter().enumerate().filter(|(_, s)| s.data.is_some()).map(|(i, _)| i).max();
                        if let Some(i) = highest
                            && i as u64 >= u64::from(v)
                        {
                            return Err(deny(ctx, Errno::EBUSY, || {
                                format!("slot {i} is in use; shmmni cannot go below {}", i + 1)
                            }));
                        }
                        shms.limits.shmmni = v;
                    }
                    ShmSysctl::Shmseg(v) => l.shmseg = v,
                }
                Ok(())
            },
        )
    }
}

impl Shms {
    /// The pieces of an access, or its fault: EFAULT unmapped, EACCES a
    /// store through a read-only attachment, EINVAL above `MAX_IO`.
    fn access(&self, pid: Pid, addr: u64, len: u64, store: bool, ctx: &mut impl Sink) -> SysResult<Pieces> {
        if len > MAX_IO {
            return Err(deny(ctx, Errno::EINVAL, || format!("{len} bytes is more than one access moves ({MAX_IO})")));
        }
        let parts = self.cover(pid, addr, len).map_err(|at| {
            deny(ctx, Errno::EFAULT, || format!("address {at:#x} is not attached in pid {pid} (SIGSEGV, SEGV_MAPERR)"))
        })?;
        if store && let Some((a, _, _)) = parts.iter().find(|(a, _, _)| a.rdonly) {
            let (va, id) = (a.va, a.shmid);
            return Err(deny(ctx, Errno::EACCES, || {
                format!("shmid {id:#x} is attached read-only at {va:#x} (SIGSEGV, SEGV_ACCERR)")
            }));
        }
        Ok(parts)
    }
}

// ----- hooks (called from `hooks.rs`) -----

/// `shmfork`: the child gets every attachment at the same address.
pub(crate) fn fork<F: ShmHost>(k: &mut Kernel<F>, parent: Pid, child: Pid, ctx: &mut Ctx<F>) {
    let shms = k.fac.shm_mut();
    let Some(map) = shms.maps.get(&parent).cloned() else { return };
    // The child shares the parent's map (one more reference), not a copy.
    let id = match shms.shared.get(&parent) {
        Some(&id) => id,
        None => {
            shms.next_shared += 1;
            shms.shared.insert(parent, shms.next_shared);
            shms.next_shared
        }
    };
    shms.shared.insert(child, id);
    for a in &map {
        shms.svc.hold(a.seg, ctx);
        if let Some(o) = shms.svc.object_mut(a.seg) {
            o.body.nattch += 1;
            ctx.sys(ShmStep::Attach { shmid: a.shmid, pid: child, va: a.va, nattch: o.body.nattch });
        }
    }
    shms.maps.insert(child, map);
}

/// `shmexit` (exit and exec).  A map still shared since a fork only
/// drops this process's reference: each segment's `nattch` goes down and
/// nothing else (no `shm_dtime`: `shm_delete_mapping` is not reached).  A
/// map of its own loses every attachment, head first, through
/// `shm_delete_mapping` (dtime set, a removed segment freed at its last).
pub(crate) fn detach_all<F: ShmHost>(k: &mut Kernel<F>, pid: Pid, ctx: &mut Ctx<F>) {
    let now = k.clock;
    let shms = k.fac.shm_mut();
    if shms.sharers(pid) > 1 {
        shms.getprivate(pid);
        let map = shms.maps.remove(&pid).unwrap_or_default();
        for a in map {
            let mut nattch = 0;
            if let Some(o) = shms.svc.object_mut(a.seg) {
                o.body.nattch = o.body.nattch.saturating_sub(1);
                nattch = o.body.nattch;
            }
            ctx.sys(ShmStep::Detach { shmid: a.shmid, pid, va: a.va, nattch });
            shms.rele(a.seg, ctx);
        }
        return;
    }
    shms.shared.remove(&pid);
    while !shms.map_of(pid).is_empty() {
        shms.delete_mapping(pid, 0, now, ctx);
    }
}

/// Zone removal: every segment of the zone leaves the namespace as by IPC_RMID.
pub(crate) fn zone_remove<F: ShmHost>(k: &mut Kernel<F>, zone: ZoneId, ctx: &mut Ctx<F>) -> usize {
    let shms = k.fac.shm();
    let doomed: Vec<Handle> =
        shms.svc.list().into_iter().filter(|&h| shms.svc.object(h).is_some_and(|o| o.perm.zone == zone)).collect();
    for &h in &doomed {
        k.shm_rmid(h, true, ctx);
    }
    doomed.len()
}

/// The resource controls on shm ids.
pub(crate) fn set_ids_limit<F: ShmHost>(k: &mut Kernel<F>, scope: RctlScope, max_ids: u32) {
    k.fac.shm_mut().svc.set_limit(scope, max_ids);
}

/// Invariants 1–6 of the module documentation.
pub(crate) fn check<F: ShmHost>(k: &Kernel<F>) -> Result<(), String> {
    let shms = k.fac.shm();
    shms.svc.check()?;
    let mut attached: BTreeMap<Handle, u32> = BTreeMap::new();
    for (pid, map) in &shms.maps {
        if k.process(*pid).is_none() || map.is_empty() {
            return Err(format!("shm: attach map of pid {pid}, which is gone or empty"));
        }
        let mut spans: Vec<(u64, u64)> = Vec::new();
        for a in map {
            let o = shms.svc.object(a.seg).ok_or(format!("shm: pid {pid} attached to no segment"))?;
            if o.perm.id != a.shmid || a.len != o.body.pages * PAGE_SIZE {
                return Err(format!("shm: pid {pid}'s entry at {:#x} disagrees with its segment", a.va));
            }
            if !a.va.is_multiple_of(PAGE_SIZE) || a.va < VA_MIN || a.va.checked_add(a.len).is_none_or(|e| e > VA_MAX) {
                return Err(format!("shm: pid {pid}'s entry at {:#x} is misplaced", a.va));
            }
            spans.push((a.va, a.end()));
            *attached.entry(a.seg).or_default() += 1;
        }
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(format!("shm: attachments of pid {pid} overlap"));
        }
    }
    // 6. Processes sharing a map since a fork hold equal copies of it, and
    //    a shared map has at least two sharers.
    for (pid, id) in &shms.shared {
        let sharers: Vec<Pid> = shms.shared.iter().filter(|&(_, x)| x == id).map(|(&p, _)| p).collect();
        if sharers.len() < 2 || sharers.iter().any(|&p| shms.map_of(p) != shms.map_of(*pid)) {
            return Err(format!("shm: pid {pid} shares map {id} with {sharers:?}, and their copies differ"));
        }
    }
    let (mut nused, mut committed) = (0u32, 0u64);
    for (h, o) in shms.svc.objects() {
        let s = &o.body;
        let id = o.perm.id;
        nused += 1;
        committed += s.pages;
        if s.segsz == 0 || s.pages != pages_of(s.segsz) {
            return Err(format!("shm: shmid {id:#x} has segsz {} and {} pages", s.segsz, s.pages));
        }
        if s.mem.highest_page().is_some_and(|p| p >= s.pages) || !s.mem.pages_sound() {
            return Err(format!("shm: shmid {id:#x} holds memory beyond its pages"));
        }
        let n = attached.get(&h).copied().unwrap_or(0);
        if s.nattch != n {
            return Err(format!("shm: shmid {id:#x} has nattch {}, but {n} attachment(s) exist", s.nattch));
        }
        if o.perm.refs != u32::from(o.perm.allocated()) + n {
            return Err(format!(
                "shm: shmid {id:#x} has {} refs, want {}",
                o.perm.refs,
                u32::from(o.perm.allocated()) + n
            ));
        }
        if s.removed == o.perm.allocated() {
            return Err(format!("shm: shmid {id:#x} is removed in one place and not the other"));
        }
        if s.removed && (n == 0 || o.perm.key != IPC_PRIVATE) {
            return Err(format!("shm: removed shmid {id:#x} is unattached or keyed"));
        }
        let lingers = shms.lingering.get(&id) == Some(&h);
        if lingers != (s.removed && s.rmlinger) {
            return Err(format!("shm: shmid {id:#x} and the lingering table disagree"));
        }
    }
    if shms.lingering.len() != shms.svc.objects().filter(|(_, o)| o.body.removed && o.body.rmlinger).count() {
        return Err("shm: the lingering table names segments that are gone".to_string());
    }
    if nused != shms.nused || committed != shms.committed {
        return Err(format!(
            "shm: shm_nused {} / shm_committed {} disagree with the segments ({nused} / {committed})",
            shms.nused, shms.committed
        ));
    }
    Ok(())
}
