//! # The System V IPC namespace framework
//!
//! A reimplementation of illumos `ipc.c`: the namespace that message queues,
//! semaphore arrays and shared memory segments share.  No facility looks an
//! id up, checks a permission or allocates an id by itself: it calls this.
//!
//! ## Overview
//! Every object has a system-chosen **id** and optionally a user-chosen
//! **key** (a rendezvous name; [`IPC_PRIVATE`] means "no key").  GET turns a
//! key into an id, creating the object if asked; every other operation names
//! the object by id and so starts with a lookup that can fail.  Each object
//! has an owner and a creator (uid/gid), `0777`-style mode bits, a zone and
//! a project to which it is charged.
//!
//! ## Objects
//! * [`IpcService`] (`ipc_service_t`): one per facility.  It holds
//!   - a **slot table** whose length is a power of two.  Slot *i* holds a
//!     **sequence number** and the handle of the object occupying it.  An
//!     object's id is `seq << IPC_SEQ_SHIFT | i`; when a slot is released
//!     its sequence number is bumped (wrapping at `IPC_SEQ_MASK`), so an old
//!     id no longer matches and lookups with it fail with EINVAL.  With
//!     `seq_bits` sequence bits the table can grow to `2^(31 − seq_bits)`
//!     slots; it starts at `ids_min` and doubles when full.  The lowest free
//!     index is used first.
//!   - an **AVL tree of keys** ordered by `(key, zone)` for GET
//!     (IPC_PRIVATE objects are not in it);
//!   - the **list of all ids**, newest first (`ipcs_usedids`), for IDS;
//!   - the **objects** themselves, in an arena: an object removed by RMID
//!     leaves the slot, tree and list at once but lives on until its
//!     **last reference** is dropped.
//! * [`KipcPerm`] (`kipc_perm_t`): the common head of every object: id, key,
//!   owner/creator, mode (with the [`IPC_ALLOC`] bit while it is in the
//!   namespace), zone, project and reference count.
//!
//! ## Operations (each maps to an `ipc.c` routine)
//! * [`IpcService::lookup`] (`ipc_lookup`): id → object, O(1): index the
//!   table with the id's low bits, then compare the whole id (so stale and
//!   out-of-range ids simply fail to match), then check zone visibility.
//! * [`IpcService::ipc_get`] → facility initialisation → [`IpcService::commit`]:
//!   GET in two phases.  `ipc_get` looks the key up (EEXIST for
//!   `IPC_CREAT|IPC_EXCL`, EACCES when the requested mode bits are not all
//!   in the object's mode, ENOENT without `IPC_CREAT`) or, when an object is
//!   to be created, runs the allocation test (`ipc_alloc_test`): first the
//!   project's resource control `project.max-<f>-ids` (ENOSPC), then the
//!   zone's `zone.max-<f>-ids` (ENOSPC), *then* table growth (ENOSPC at
//!   the maximum).  The
//!   order matters: growing first would let a caller whose allocation is
//!   denied double the table permanently.  Only `commit` touches the
//!   namespace — slot, sequence, AVL, list and usage — so a failure before
//!   it leaves no trace.
//! * [`IpcService::rmid`] (`ipc_rmid`): lookup (EINVAL), owner check
//!   (EPERM), then [`IpcService::remove`] (`ipc_remove`); the facility runs
//!   its removal hook and drops the namespace's reference with
//!   [`IpcService::rele`].
//! * [`IpcService::hold`] / [`IpcService::rele`] (`ipc_hold`/`ipc_rele`):
//!   reference counts; `rele` hands the object back for destruction when the
//!   count reaches zero.
//! * [`IpcService::perm_access`] (`ipcperm_access`), [`IpcService::perm_set`]
//!   (`ipcperm_set`), [`KipcPerm::stat`] (`ipcperm_stat`),
//!   [`IpcService::ids`] (`ipc_ids`), [`IpcService::remove_zone`] (`ipc_remove_zone`).
//!
//! ## Permissions (`ipcperm_access`)
//! A caller whose effective uid is the owner's or the creator's is judged by
//! the owner bits; else one in the owner's or creator's group (effective or
//! supplementary) by the group bits; else by the other bits.  Any requested
//! bit not granted sends the check to the privilege override: a privileged
//! caller passes, others get EACCES.  From another zone only the global
//! zone can see an object at all, and then only privilege grants access.
//!
//! ## Where illumos and Linux differ (we follow illumos)
//! * GET on an existing key checks the requested bits (`flag & 0777`)
//!   against the **whole** mode, whoever the caller is; Linux checks them
//!   against the caller's class (owner/group/other) like any access.
//! * Linux gives ids `seq * SEQ_MULTIPLIER + index` with the sequence bumped
//!   at allocation; illumos folds the sequence into the high bits and bumps
//!   it at release.
//! * Linux has no zones and charges ids to a namespace, not a project.
//!
//! ## Departures, on purpose
//! * illumos' `id_alloc` is next-fit (`VM_NEXTFIT`: the index after the last
//!   one allocated, wrapping); we take the **lowest free index**, as this
//!   project's design asks, because it keeps the table readable.  Stale ids
//!   still fail: the sequence number, not the index, tells ids apart.
//! * Resource controls are plain per-entity numbers ([`IdLimits`]): the
//!   project default comes from the facility's configuration (illumos: 128
//!   msg ids), the zone default is `IPC_IDS_MAX` as in illumos; there are no
//!   rctl actions, privileges levels or signals.
//! * illumos ignores unknown GET flag bits; a component interface must turn
//!   every bad input into an errno, so we reject them with EINVAL.
//! * Objects are charged to the caller's project and zone at commit time
//!   (`IPC_PROJ_USAGE`, `IPC_ZONE_USAGE`); the usage is kept here instead of
//!   in `kproject_data_t` / `zone_t`.
//!
//! ## Invariants (checked by [`IpcService::check`] after every property-test step)
//! 1. `table.len()` is a power of two between `ids_min` and `ids_max`.
//! 2. A slot holds an object iff its index is not free; that object's id is
//!    `slot.seq << shift | index`, it has `IPC_ALLOC` and ≥ 1 reference.
//! 3. The AVL tree holds exactly the keyed objects in slots, under their
//!    `(key, zone)`; the id list holds exactly the objects in slots.
//! 4. `count` equals the number of occupied slots; each project's and each
//!    zone's usage equals the number of its objects in the namespace.
//! 5. Removed objects still alive have no `IPC_ALLOC` and ≥ 1 reference.
//! 6. The id list's links agree both ways; the arena's free list is sound.
//!
//! `check` is also what makes a restored snapshot safe: a snapshot that
//! fails it is refused, so no later call can meet a broken structure.

pub mod arena;
pub mod avl;

use self::arena::{Arena, Handle};
use self::avl::{Avl, Rotation, RotationKind};
use crate::cred::{Caller, GLOBAL_ZONEID, Gid, MAXUID, ProjId, Uid, ZoneId};
use crate::errno::{Errno, SysResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Where the framework reports what it did.  The kernel's per-operation
/// context implements it; so does `()`, which forgets everything.
pub trait Sink {
    /// Records one internal step (dropped when the kernel records no steps).
    fn step(&mut self, step: NsStep);
    /// Records which check refused the call and returns its errno.  `rule`
    /// says why in words; it runs only if steps are recorded, so a refusal
    /// costs no formatting when nobody will read it.
    fn deny(&mut self, facility: Option<Facility>, errno: Errno, rule: impl FnOnce() -> String) -> Errno;
}

impl Sink for () {
    fn step(&mut self, _: NsStep) {}
    fn deny(&mut self, _: Option<Facility>, errno: Errno, _: impl FnOnce() -> String) -> Errno {
        errno
    }
}

/// One internal step of the namespace framework, in `ipc.c`'s vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NsStep {
    /// `ipc_keylookup`: searched the AVL tree, visiting `visited` nodes.
    KeyLookup { facility: Facility, key: i32, zone: ZoneId, found: Option<i32>, visited: u32 },
    /// `rctl_test` denied one more id to a project or a zone.
    RctlDeny { facility: Facility, scope: RctlScope, limit: u32 },
    /// `ipc_grow`: the slot table doubled.
    TableGrow { facility: Facility, from: u32, to: u32 },
    /// `ipc_commit_end`: the object took slot `index`, its id folds in `seq`.
    SlotAlloc { facility: Facility, index: u32, seq: u32, id: i32 },
    /// An AVL insert of `(key, zone)` and its rotations.
    AvlInsert { facility: Facility, key: i32, zone: ZoneId, rotations: Vec<(RotationKind, i32, ZoneId)> },
    /// An AVL remove of `(key, zone)` and its rotations.
    AvlRemove { facility: Facility, key: i32, zone: ZoneId, rotations: Vec<(RotationKind, i32, ZoneId)> },
    /// `ipc_remove`: slot released, sequence number bumped (and maybe wrapped).
    SlotRelease { facility: Facility, index: u32, id: i32, old_seq: u32, new_seq: u32 },
    /// `ipc_hold`: a reference taken.
    Hold { facility: Facility, id: i32, refs: u32 },
    /// `ipc_rele`: a reference dropped.
    Rele { facility: Facility, id: i32, refs: u32 },
    /// The last reference dropped: the facility destructor ran.
    Destroy { facility: Facility, id: i32 },
}

fn rotations(rots: &[Rotation<(i32, ZoneId)>]) -> Vec<(RotationKind, i32, ZoneId)> {
    rots.iter().map(|r| (r.kind, r.at.0, r.at.1)).collect()
}

fn fmt_rotations(f: &mut fmt::Formatter<'_>, rots: &[(RotationKind, i32, ZoneId)]) -> fmt::Result {
    if rots.is_empty() {
        return write!(f, ", no rotation");
    }
    for (kind, key, zone) in rots {
        write!(f, ", {kind} rotation at key {key:#x}/zone {zone}")?;
    }
    Ok(())
}

impl fmt::Display for NsStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NsStep::KeyLookup { facility, key, zone, found, visited } => {
                write!(f, "{facility}: key {key:#x} in zone {zone} ")?;
                match found {
                    Some(id) => write!(f, "found id {id:#x}")?,
                    None => write!(f, "not found")?,
                }
                write!(f, " after visiting {visited} AVL node(s)")
            }
            NsStep::RctlDeny { facility, scope, limit } => {
                write!(f, "{facility}: {scope} is at its limit of {limit} id(s)")
            }
            NsStep::TableGrow { facility, from, to } => {
                write!(f, "{facility}: slot table full, grew from {from} to {to} slots")
            }
            NsStep::SlotAlloc { facility, index, seq, id } => {
                write!(f, "{facility}: took slot {index} with sequence {seq}, id {id:#x} ({id})")
            }
            NsStep::AvlInsert { facility, key, zone, rotations } => {
                write!(f, "{facility}: inserted key {key:#x}/zone {zone} into the AVL tree")?;
                fmt_rotations(f, rotations)
            }
            NsStep::AvlRemove { facility, key, zone, rotations } => {
                write!(f, "{facility}: removed key {key:#x}/zone {zone} from the AVL tree")?;
                fmt_rotations(f, rotations)
            }
            NsStep::SlotRelease { facility, index, id, old_seq, new_seq } => write!(
                f,
                "{facility}: released slot {index} (id {id:#x}); sequence {old_seq} -> {new_seq}, so id {id:#x} is now stale"
            ),
            NsStep::Hold { facility, id, refs } => write!(f, "{facility}: hold on id {id:#x}, {refs} reference(s)"),
            NsStep::Rele { facility, id, refs } => {
                write!(f, "{facility}: release of id {id:#x}, {refs} reference(s) left")
            }
            NsStep::Destroy { facility, id } => {
                write!(f, "{facility}: last reference to id {id:#x} dropped, destroyed")
            }
        }
    }
}

/// Drops one id from a usage count, forgetting entities that reach zero.
fn uncharge<K: Ord>(usage: &mut BTreeMap<K, u32>, entity: K) {
    if let Some(u) = usage.get_mut(&entity) {
        *u -= 1;
        if *u == 0 {
            usage.remove(&entity);
        }
    }
}

/// The caller's class for `ipcperm_access`: 0 owner, 3 group, 6 other
/// (how far the mode bits are shifted to find the class's bits).
fn class_shift(perm: &KipcPerm, caller: &Caller) -> u32 {
    let uid = caller.cred.euid;
    if uid == perm.uid || uid == perm.cuid {
        0
    } else if caller.cred.groupmember(perm.gid) || caller.cred.groupmember(perm.cgid) {
        3
    } else {
        6
    }
}

/// The key that names no object: GET always creates a new one.
pub const IPC_PRIVATE: i32 = 0;
/// GET flag: create the object if the key is not found.
pub const IPC_CREAT: i32 = 0o1000;
/// GET flag: with IPC_CREAT, fail with EEXIST if the key exists.
pub const IPC_EXCL: i32 = 0o2000;
/// Operation flag: fail with EAGAIN/ENOMSG instead of waiting.
pub const IPC_NOWAIT: i32 = 0o4000;
/// Mode bit set while an object is in the namespace.
pub const IPC_ALLOC: u32 = 0o100000;
/// Control command: remove the id.
pub const IPC_RMID: i32 = 10;
/// Control command: set owner, mode and facility parameters.
pub const IPC_SET: i32 = 11;
/// Control command: read the object's status.
pub const IPC_STAT: i32 = 12;
/// Read permission bit (owner class; shifted right by 3 and 6 for group/other).
pub const IPC_R: u32 = 0o400;
/// Write (alter) permission bit.
pub const IPC_W: u32 = 0o200;

/// The slot an id maps to in a table of `len` slots (a power of two, never
/// 0): the id's low bits (`ipc_lookup`'s index; the sequence number is the
/// rest).
pub fn slot_of(id: i32, len: usize) -> usize {
    (id as u32 as usize) & (len - 1)
}

/// The three System V facilities that share this framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Facility {
    Msg,
    Sem,
    Shm,
}

impl Facility {
    /// What one object of the facility is called, for explanations.
    pub fn noun(self) -> &'static str {
        match self {
            Facility::Msg => "queue",
            Facility::Sem => "semaphore set",
            Facility::Shm => "segment",
        }
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Facility::Msg => "msg",
            Facility::Sem => "sem",
            Facility::Shm => "shm",
        })
    }
}

/// Shape of the id space: how many bits are sequence, where the table starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdSpace {
    /// `IPC_SEQ_BITS`: illumos uses 7, leaving 24 bits of index.
    pub seq_bits: u32,
    /// `IPC_IDS_MIN`: the initial table size (illumos: PAGESIZE / 64 = 64).
    pub ids_min: u32,
}

impl Default for IdSpace {
    fn default() -> Self {
        IdSpace { seq_bits: 7, ids_min: 64 }
    }
}

impl IdSpace {
    /// `IPC_SEQ_SHIFT`.
    pub fn seq_shift(&self) -> u32 {
        31 - self.seq_bits
    }
    /// `IPC_SEQ_MASK`.
    pub fn seq_mask(&self) -> u32 {
        (1u32 << self.seq_bits) - 1
    }
    /// `IPC_IDS_MAX`: the largest table.
    pub fn ids_max(&self) -> u32 {
        1u32 << self.seq_shift()
    }
    /// Valid when there is at least one sequence and one index bit and the
    /// initial size is a power of two no larger than the maximum.
    pub fn validate(&self) -> SysResult<()> {
        if !(1..=30).contains(&self.seq_bits) || !self.ids_min.is_power_of_two() || self.ids_min > self.ids_max() {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// `kipc_perm_t`: the common head of every IPC object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KipcPerm {
    /// The id, or `IPC_ID_INVAL` (-1) before commit.
    pub id: i32,
    pub key: i32,
    pub uid: Uid,
    pub gid: Gid,
    pub cuid: Uid,
    pub cgid: Gid,
    /// Permission bits (0777) plus [`IPC_ALLOC`] while in the namespace.
    pub mode: u32,
    pub zone: ZoneId,
    pub project: ProjId,
    pub refs: u32,
}

/// `struct ipc_perm` as STAT returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcPerm {
    pub uid: Uid,
    pub gid: Gid,
    pub cuid: Uid,
    pub cgid: Gid,
    pub mode: u32,
    pub key: i32,
    pub zone: ZoneId,
    pub project: ProjId,
}

impl KipcPerm {
    /// `ipcperm_stat`.
    pub fn stat(&self) -> IpcPerm {
        IpcPerm {
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            key: self.key,
            zone: self.zone,
            project: self.project,
        }
    }

    /// Still in the namespace (not removed)?
    pub fn allocated(&self) -> bool {
        self.mode & IPC_ALLOC != 0
    }
}

/// One entry of the slot table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub seq: u32,
    pub data: Option<Handle>,
}

/// An object: the common head, the facility's body, and its links in the id list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcObject<T> {
    pub perm: KipcPerm,
    pub body: T,
    list_prev: Option<Handle>,
    list_next: Option<Handle>,
}

/// What `ipc_get` found: an existing object, or the go-ahead to create one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    Existing(Handle),
    /// Not found (or IPC_PRIVATE): the facility may initialise a new object
    /// with this head and then `commit` it.
    New(KipcPerm),
}

/// `ipc_service_t`: one facility's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcService<T> {
    facility: Facility,
    space: IdSpace,
    table: Vec<Slot>,
    /// `ipcs_ids`: free slot indices; the lowest is used first.
    free: BTreeSet<u32>,
    objects: Arena<IpcObject<T>>,
    keys: Avl<(i32, ZoneId), Handle>,
    /// Head of the id list, newest first.
    list_head: Option<Handle>,
    count: u32,
    /// `IPC_PROJ_USAGE`: ids charged to each project.
    usage: BTreeMap<ProjId, u32>,
    /// `IPC_ZONE_USAGE`: ids charged to each zone.
    zone_usage: BTreeMap<ZoneId, u32>,
    /// The resource controls on ids (`ipcs_proj_rctl`, `ipcs_zone_rctl`).
    limits: IdLimits,
}

/// The two resource controls on a facility's ids: `project.max-<f>-ids`
/// and `zone.max-<f>-ids`, each with a default and per-entity values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdLimits {
    /// `project.max-<f>-ids` of a project with no value of its own.
    pub project_default: u32,
    /// `zone.max-<f>-ids` of a zone with no value of its own
    /// (illumos: `IPC_IDS_MAX`, i.e. no limit beyond the table's).
    pub zone_default: u32,
    pub projects: BTreeMap<ProjId, u32>,
    pub zones: BTreeMap<ZoneId, u32>,
}

impl IdLimits {
    pub fn project(&self, project: ProjId) -> u32 {
        self.projects.get(&project).copied().unwrap_or(self.project_default)
    }

    pub fn zone(&self, zone: ZoneId) -> u32 {
        self.zones.get(&zone).copied().unwrap_or(self.zone_default)
    }
}

/// The two entities a resource control on ids applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RctlScope {
    Project(ProjId),
    Zone(ZoneId),
}

impl fmt::Display for RctlScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RctlScope::Project(p) => write!(f, "project {p}"),
            RctlScope::Zone(z) => write!(f, "zone {z}"),
        }
    }
}

impl<T> IpcService<T> {
    /// `ipcs_create`.
    /// `project_limit` is the default `project.max-<f>-ids`; zones start
    /// unlimited (`IPC_IDS_MAX`), as in illumos.
    pub fn new(facility: Facility, space: IdSpace, project_limit: u32) -> Self {
        IpcService {
            facility,
            space,
            table: vec![Slot::default(); space.ids_min as usize],
            free: (0..space.ids_min).collect(),
            objects: Arena::new(),
            keys: Avl::new(),
            list_head: None,
            count: 0,
            usage: BTreeMap::new(),
            zone_usage: BTreeMap::new(),
            limits: IdLimits {
                project_default: project_limit,
                zone_default: space.ids_max(),
                projects: BTreeMap::new(),
                zones: BTreeMap::new(),
            },
        }
    }

    pub fn facility(&self) -> Facility {
        self.facility
    }

    pub fn space(&self) -> IdSpace {
        self.space
    }

    pub fn table(&self) -> &[Slot] {
        &self.table
    }

    pub fn keys(&self) -> &Avl<(i32, ZoneId), Handle> {
        &self.keys
    }

    /// Number of ids in the namespace.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Ids charged to `project`.
    pub fn usage(&self, project: ProjId) -> u32 {
        self.usage.get(&project).copied().unwrap_or(0)
    }

    /// Ids charged to `zone`.
    pub fn zone_usage(&self, zone: ZoneId) -> u32 {
        self.zone_usage.get(&zone).copied().unwrap_or(0)
    }

    pub fn limits(&self) -> &IdLimits {
        &self.limits
    }

    /// Sets `project.max-<f>-ids` or `zone.max-<f>-ids` for one entity.
    /// Lowering it below the current usage removes nothing; it only
    /// refuses new ids (as `rctl_test` does).
    pub fn set_limit(&mut self, scope: RctlScope, max_ids: u32) {
        match scope {
            RctlScope::Project(p) => self.limits.projects.insert(p, max_ids),
            RctlScope::Zone(z) => self.limits.zones.insert(z, max_ids),
        };
    }

    pub fn object(&self, h: Handle) -> Option<&IpcObject<T>> {
        self.objects.get(h)
    }

    pub fn object_mut(&mut self, h: Handle) -> Option<&mut IpcObject<T>> {
        self.objects.get_mut(h)
    }

    /// Every live object, in the namespace or removed but still referenced.
    pub fn objects(&self) -> impl Iterator<Item = (Handle, &IpcObject<T>)> {
        self.objects.iter()
    }

    fn index_of(&self, id: i32) -> usize {
        slot_of(id, self.table.len())
    }

    /// `ipc_lookup`: the object with this id, if it exists and the caller's
    /// zone may see it.  Out-of-range, negative and stale ids fail to match.
    pub fn lookup(&self, caller: &Caller, id: i32) -> Option<Handle> {
        let h = self.table[self.index_of(id)].data?;
        let perm = &self.objects.get(h)?.perm;
        (perm.id == id && caller.has_zone_access(perm.zone)).then_some(h)
    }

    /// `ipcperm_access`: may the caller have `mode` (IPC_R and/or IPC_W,
    /// owner-class bits) on this object?  A refusal says why in the sink.
    pub fn perm_access(&self, perm: &KipcPerm, mode: u32, caller: &Caller, sink: &mut impl Sink) -> SysResult<()> {
        let granted = perm.zone == caller.zone && mode & !((perm.mode & 0o777) << class_shift(perm, caller)) == 0;
        // secpolicy_ipc_access: privilege overrides whatever the bits say.
        if granted || caller.cred.privileged {
            return Ok(());
        }
        Err(sink.deny(Some(self.facility), Errno::EACCES, || self.access_rule(perm, mode, caller)))
    }

    /// Why [`perm_access`](Self::perm_access) refused, in words.
    fn access_rule(&self, perm: &KipcPerm, mode: u32, caller: &Caller) -> String {
        let noun = self.facility.noun();
        let rule = if perm.zone == caller.zone {
            let class = ["owner", "group", "other"][class_shift(perm, caller) as usize / 3];
            let want = match mode & (IPC_R | IPC_W) {
                IPC_R => "read",
                IPC_W => "write",
                _ => "read and write",
            };
            format!(
                "the {noun}'s mode {:04o} (owner uid {} gid {}, creator uid {} gid {}) does not grant {want} to uid {} gid {} ({class} class)",
                perm.mode & 0o777,
                perm.uid,
                perm.gid,
                perm.cuid,
                perm.cgid,
                caller.cred.euid,
                caller.cred.egid
            )
        } else if caller.zone != GLOBAL_ZONEID {
            format!("the {noun} is in zone {}, not in the caller's zone {}", perm.zone, caller.zone)
        } else {
            format!("the {noun} is in zone {}; from the global zone only privilege grants access", perm.zone)
        };
        format!("{rule}, and the caller is not privileged")
    }

    /// `secpolicy_ipc_owner`: the owner or creator *in the object's zone*,
    /// or a privileged caller.  (A global-zone process with a matching uid
    /// can see another zone's object but does not own it.)
    pub fn owner_check(&self, perm: &KipcPerm, caller: &Caller, sink: &mut impl Sink) -> SysResult<()> {
        let uid = caller.cred.euid;
        let owns = caller.zone == perm.zone && (uid == perm.uid || uid == perm.cuid);
        if owns || caller.cred.privileged {
            return Ok(());
        }
        Err(sink.deny(Some(self.facility), Errno::EPERM, || {
            format!(
                "uid {uid} in zone {} is neither the owner (uid {}) nor the creator (uid {}) of the {} in zone {}, and is not privileged",
                caller.zone,
                perm.uid,
                perm.cuid,
                self.facility.noun(),
                perm.zone
            )
        }))
    }

    /// Why `lookup` found nothing for `id`, recorded as the refusing step (EINVAL).
    pub fn lookup_denial(&self, caller: &Caller, id: i32, sink: &mut impl Sink) -> Errno {
        sink.deny(Some(self.facility), Errno::EINVAL, || self.lookup_rule(caller, id))
    }

    fn lookup_rule(&self, caller: &Caller, id: i32) -> String {
        let noun = self.facility.noun();
        let index = (id as u32) & (self.space.ids_max() - 1);
        let seq = (id as u32) >> self.space.seq_shift();
        if id < 0 {
            format!("no {noun} has id {id}: ids are never negative")
        } else if index as usize >= self.table.len() {
            format!("no {noun} has id {id:#x} ({id}): its index {index} is beyond the {}-slot table", self.table.len())
        } else {
            let slot = &self.table[index as usize];
            match slot.data.and_then(|h| self.objects.get(h)) {
                Some(o) if o.perm.id == id => format!(
                    "no {noun} has id {id:#x} ({id}) in zone {}: it belongs to zone {}",
                    caller.zone, o.perm.zone
                ),
                Some(o) => format!(
                    "no {noun} has id {id:#x} ({id}): slot {index} now holds id {:#x} (sequence {}), so the id is stale",
                    o.perm.id, slot.seq
                ),
                None if seq != slot.seq => format!(
                    "no {noun} has id {id:#x} ({id}): slot {index} is free and its sequence is now {}, so the id is stale",
                    slot.seq
                ),
                None => format!("no {noun} has id {id:#x} ({id}): slot {index} is free"),
            }
        }
    }

    /// [`lookup`](Self::lookup), recording why it failed.
    pub fn lookup_or_deny(&self, caller: &Caller, id: i32, sink: &mut impl Sink) -> SysResult<Handle> {
        self.lookup(caller, id).ok_or_else(|| self.lookup_denial(caller, id, sink))
    }

    /// `ipcperm_set`: the common part of IPC_SET.  Call it only once every
    /// facility-specific failure is ruled out: it has side effects.
    pub fn perm_set(
        &mut self,
        h: Handle,
        caller: &Caller,
        uid: Uid,
        gid: Gid,
        mode: u32,
        sink: &mut impl Sink,
    ) -> SysResult<()> {
        let obj = self.objects.get(h).ok_or(Errno::EINVAL)?;
        self.owner_check(&obj.perm, caller, sink)?;
        if uid > MAXUID || gid > MAXUID {
            let rule = format!("uid {uid} or gid {gid} is above MAXUID ({MAXUID})");
            return Err(sink.deny(Some(self.facility), Errno::EINVAL, || rule));
        }
        let obj = self.objects.get_mut(h).ok_or(Errno::EINVAL)?;
        obj.perm.uid = uid;
        obj.perm.gid = gid;
        obj.perm.mode = (mode & 0o777) | (obj.perm.mode & !0o777);
        Ok(())
    }

    fn keylookup(&self, caller: &Caller, key: i32, flag: i32, sink: &mut impl Sink) -> SysResult<Option<Handle>> {
        let (found, visited) = self.keys.find(&(key, caller.zone));
        let found_id = found.and_then(|h| self.objects.get(h)).map(|o| o.perm.id);
        sink.step(NsStep::KeyLookup { facility: self.facility, key, zone: caller.zone, found: found_id, visited });
        match found {
            Some(h) => {
                let perm = &self.objects.get(h).ok_or(Errno::EINVAL)?.perm;
                if flag & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL {
                    let rule = format!("key {key:#x} already names id {:#x} and IPC_CREAT|IPC_EXCL was given", perm.id);
                    return Err(sink.deny(Some(self.facility), Errno::EEXIST, || rule));
                }
                if (flag as u32 & 0o777) & !perm.mode != 0 {
                    let rule = format!(
                        "the flags ask for mode {:04o} but id {:#x} has mode {:04o} (illumos compares with the whole mode)",
                        flag as u32 & 0o777,
                        perm.id,
                        perm.mode & 0o777
                    );
                    return Err(sink.deny(Some(self.facility), Errno::EACCES, || rule));
                }
                Ok(Some(h))
            }
            None if flag & IPC_CREAT != 0 => Ok(None),
            None => {
                let rule = format!("no key {key:#x} in zone {}, and IPC_CREAT was not given", caller.zone);
                Err(sink.deny(Some(self.facility), Errno::ENOENT, || rule))
            }
        }
    }

    /// `ipc_alloc_test`: the project's resource control, then the zone's,
    /// then growth.  Testing the controls first keeps a caller whose
    /// allocation is denied from doubling the table permanently.
    fn alloc_test(&mut self, project: ProjId, zone: ZoneId, sink: &mut impl Sink) -> SysResult<()> {
        for scope in [RctlScope::Project(project), RctlScope::Zone(zone)] {
            let (used, limit) = match scope {
                RctlScope::Project(p) => (self.usage(p), self.limits.project(p)),
                RctlScope::Zone(z) => (self.zone_usage(z), self.limits.zone(z)),
            };
            if used >= limit {
                sink.step(NsStep::RctlDeny { facility: self.facility, scope, limit });
                let (facility, noun) = (self.facility, self.facility.noun());
                let entity = if matches!(scope, RctlScope::Project(_)) { "project" } else { "zone" };
                return Err(sink.deny(Some(facility), Errno::ENOSPC, || {
                    format!("{scope} already has its limit of {limit} {noun}(s) ({entity}.max-{facility}-ids)")
                }));
            }
        }
        while self.count as usize == self.table.len() {
            self.grow(sink)?;
        }
        Ok(())
    }

    /// `ipc_grow`: double the table, keeping every slot's index and sequence.
    fn grow(&mut self, sink: &mut impl Sink) -> SysResult<()> {
        let old = self.table.len() as u32;
        if old >= self.space.ids_max() {
            let rule = format!(
                "the slot table is full at its maximum of {old} slots (2^(31 - {} sequence bits))",
                self.space.seq_bits
            );
            return Err(sink.deny(Some(self.facility), Errno::ENOSPC, || rule));
        }
        let new = old * 2;
        self.table.resize(new as usize, Slot::default());
        self.free.extend(old..new);
        sink.step(NsStep::TableGrow { facility: self.facility, from: old, to: new });
        Ok(())
    }

    /// `ipc_get`: the first phase of GET.  `flag` holds IPC_CREAT/IPC_EXCL
    /// and the mode bits.  Changes nothing but (possibly) the table size.
    pub fn ipc_get(&mut self, caller: &Caller, key: i32, flag: i32, sink: &mut impl Sink) -> SysResult<Got> {
        if key != IPC_PRIVATE
            && let Some(h) = self.keylookup(caller, key, flag, sink)?
        {
            return Ok(Got::Existing(h));
        }
        self.alloc_test(caller.project, caller.zone, sink)?;
        Ok(Got::New(KipcPerm {
            id: -1,
            key,
            uid: caller.cred.euid,
            gid: caller.cred.egid,
            cuid: caller.cred.euid,
            cgid: caller.cred.egid,
            mode: flag as u32 & 0o777,
            zone: caller.zone,
            project: caller.project,
            refs: 1,
        }))
    }

    /// `ipc_commit_begin` + `ipc_commit_end`: re-test, then put the
    /// initialised object into the namespace.  Returns its handle.
    pub fn commit(
        &mut self,
        caller: &Caller,
        mut perm: KipcPerm,
        body: T,
        flag: i32,
        sink: &mut impl Sink,
    ) -> SysResult<Handle> {
        // commit_begin: nobody may have taken the key or the last id since
        // ipc_get.  (Calls are serialised here, so this cannot happen, but
        // the check costs a lookup and keeps the protocol honest.)
        if perm.key != IPC_PRIVATE && self.keys.find(&(perm.key, perm.zone)).0.is_some() {
            self.keylookup(caller, perm.key, flag, sink)?;
            return Err(Errno::EAGAIN);
        }
        self.alloc_test(perm.project, perm.zone, sink)?;

        // commit_end: nothing can fail from here on.
        let index = self.free.pop_first().ok_or(Errno::ENOSPC)?;
        let seq = self.table[index as usize].seq;
        perm.id = ((seq << self.space.seq_shift()) | index) as i32;
        perm.mode |= IPC_ALLOC;
        let (id, key, zone, project) = (perm.id, perm.key, perm.zone, perm.project);
        let h = self.objects.insert(IpcObject { perm, body, list_prev: None, list_next: self.list_head });
        if let Some(old_head) = self.list_head
            && let Some(o) = self.objects.get_mut(old_head)
        {
            o.list_prev = Some(h);
        }
        self.list_head = Some(h);
        self.table[index as usize].data = Some(h);
        self.count += 1;
        *self.usage.entry(project).or_insert(0) += 1;
        *self.zone_usage.entry(zone).or_insert(0) += 1;
        sink.step(NsStep::SlotAlloc { facility: self.facility, index, seq, id });
        if key != IPC_PRIVATE
            && let Some(rots) = self.keys.insert((key, zone), h)
        {
            sink.step(NsStep::AvlInsert { facility: self.facility, key, zone, rotations: rotations(&rots) });
        }
        Ok(h)
    }

    /// `ipc_remove`: take the object out of the namespace (slot, tree, list,
    /// usage) and bump its slot's sequence.  The object itself lives on
    /// until its references are released.
    pub fn remove(&mut self, h: Handle, sink: &mut impl Sink) {
        let Some(obj) = self.objects.get_mut(h) else { return };
        if !obj.perm.allocated() {
            return;
        }
        obj.perm.mode &= !IPC_ALLOC;
        let (id, key, zone, project) = (obj.perm.id, obj.perm.key, obj.perm.zone, obj.perm.project);
        let (prev, next) = (obj.list_prev.take(), obj.list_next.take());
        match prev {
            Some(p) => {
                if let Some(o) = self.objects.get_mut(p) {
                    o.list_next = next;
                }
            }
            None => self.list_head = next,
        }
        if let Some(n) = next
            && let Some(o) = self.objects.get_mut(n)
        {
            o.list_prev = prev;
        }
        if key != IPC_PRIVATE
            && let Some((_, rots)) = self.keys.remove(&(key, zone))
        {
            sink.step(NsStep::AvlRemove { facility: self.facility, key, zone, rotations: rotations(&rots) });
        }
        let index = (id as u32) & (self.space.ids_max() - 1);
        let slot = &mut self.table[index as usize];
        slot.data = None;
        let old_seq = slot.seq;
        slot.seq = if old_seq == self.space.seq_mask() { 0 } else { old_seq + 1 };
        sink.step(NsStep::SlotRelease { facility: self.facility, index, id, old_seq, new_seq: slot.seq });
        self.free.insert(index);
        self.count -= 1;
        uncharge(&mut self.usage, project);
        uncharge(&mut self.zone_usage, zone);
    }

    /// `ipc_rmid`, namespace part: lookup (EINVAL), owner check (EPERM),
    /// remove.  The caller then runs the facility's removal hook and
    /// [`rele`](Self::rele)s the namespace's reference.
    pub fn rmid(&mut self, caller: &Caller, id: i32, sink: &mut impl Sink) -> SysResult<Handle> {
        let h = self.lookup_or_deny(caller, id, sink)?;
        self.owner_check(&self.objects.get(h).ok_or(Errno::EINVAL)?.perm, caller, sink)?;
        self.remove(h, sink);
        Ok(h)
    }

    /// `ipc_hold`.
    pub fn hold(&mut self, h: Handle, sink: &mut impl Sink) {
        if let Some(o) = self.objects.get_mut(h) {
            o.perm.refs += 1;
            sink.step(NsStep::Hold { facility: self.facility, id: o.perm.id, refs: o.perm.refs });
        }
    }

    /// `ipc_rele`: drop a reference; at zero the object leaves the arena and
    /// its body is returned for the facility's destructor.
    pub fn rele(&mut self, h: Handle, sink: &mut impl Sink) -> Option<T> {
        let o = self.objects.get_mut(h)?;
        o.perm.refs = o.perm.refs.saturating_sub(1);
        let (id, refs) = (o.perm.id, o.perm.refs);
        sink.step(NsStep::Rele { facility: self.facility, id, refs });
        if refs > 0 {
            return None;
        }
        if o.perm.allocated() {
            // Unreachable by construction (the namespace holds a reference
            // while the object is in it); never destroy a visible object.
            o.perm.refs = 1;
            return None;
        }
        sink.step(NsStep::Destroy { facility: self.facility, id });
        self.objects.remove(h).map(|o| o.body)
    }

    /// Handles in id-list order (newest first), all zones.
    pub fn list(&self) -> Vec<Handle> {
        // `count` may come from a tampered snapshot (check() calls this
        // before comparing it): reserve no more than the list can hold.
        let mut out = Vec::with_capacity((self.count as usize).min(self.objects.len() + 1));
        let mut cur = self.list_head;
        // Bounded, so even a corrupt (restored) list cannot loop forever.
        while let Some(h) = cur
            && out.len() <= self.objects.len()
        {
            out.push(h);
            cur = self.objects.get(h).and_then(|o| o.list_next);
        }
        out
    }

    /// `ipc_ids`: the ids the caller's zone can see, newest first.
    pub fn ids(&self, caller: &Caller) -> Vec<i32> {
        self.list()
            .into_iter()
            .filter_map(|h| self.objects.get(h))
            .filter(|o| caller.zone == GLOBAL_ZONEID || o.perm.zone == caller.zone)
            .map(|o| o.perm.id)
            .collect()
    }

    /// `ipc_remove_zone`, namespace part: remove every object of `zone`.
    /// Returns their handles; the caller runs each facility removal hook and
    /// drops the namespace's reference.
    pub fn remove_zone(&mut self, zone: ZoneId, sink: &mut impl Sink) -> Vec<Handle> {
        let doomed: Vec<Handle> =
            self.list().into_iter().filter(|&h| self.objects.get(h).is_some_and(|o| o.perm.zone == zone)).collect();
        for &h in &doomed {
            self.remove(h, sink);
        }
        doomed
    }

    /// Verifies the invariants in the module documentation.
    pub fn check(&self) -> Result<(), String> {
        self.space.validate().map_err(|_| format!("{}: invalid id space {:?}", self.facility, self.space))?;
        self.objects.check()?;
        let n = self.table.len() as u32;
        if !n.is_power_of_two() || n < self.space.ids_min || n > self.space.ids_max() {
            return Err(format!("table size {n} invalid"));
        }
        self.keys.check()?;
        let mut occupied = 0;
        let mut keyed = 0;
        for (i, slot) in self.table.iter().enumerate() {
            let free = self.free.contains(&(i as u32));
            // Every slot's sequence, free ones too: a free slot's is the
            // one its next object's id folds in (`ipc_commit_end`).
            if slot.seq > self.space.seq_mask() {
                return Err(format!("slot {i}: sequence {} over mask", slot.seq));
            }
            match slot.data {
                None if free => {}
                None => return Err(format!("slot {i} empty but not free")),
                Some(_) if free => return Err(format!("slot {i} occupied but free")),
                Some(h) => {
                    occupied += 1;
                    let o = self.objects.get(h).ok_or(format!("slot {i} points at nothing"))?;
                    let want = ((slot.seq << self.space.seq_shift()) | i as u32) as i32;
                    if o.perm.id != want || !o.perm.allocated() || o.perm.refs == 0 {
                        return Err(format!("slot {i}: id {:#x} want {want:#x}", o.perm.id));
                    }
                    if o.perm.key != IPC_PRIVATE {
                        keyed += 1;
                        if self.keys.find(&(o.perm.key, o.perm.zone)).0 != Some(h) {
                            return Err(format!("id {:#x} missing from the key tree", o.perm.id));
                        }
                    }
                }
            }
        }
        if self.free.iter().any(|&i| i >= n) {
            return Err("free index beyond the table".into());
        }
        if keyed != self.keys.len() {
            return Err(format!("{} keys in tree, {keyed} keyed objects", self.keys.len()));
        }
        let list = self.list();
        if list.len() != occupied || occupied != self.count as usize {
            return Err(format!("list {} / slots {occupied} / count {}", list.len(), self.count));
        }
        let mut prev = None;
        for &h in &list {
            let o = self.objects.get(h).ok_or("id list: dangling handle")?;
            if o.list_prev != prev || !o.perm.allocated() {
                return Err(format!("id list: broken link at id {:#x}", o.perm.id));
            }
            prev = Some(h);
        }
        let mut usage: BTreeMap<ProjId, u32> = BTreeMap::new();
        let mut zone_usage: BTreeMap<ZoneId, u32> = BTreeMap::new();
        for (_, o) in self.objects.iter().filter(|(_, o)| o.perm.allocated()) {
            *usage.entry(o.perm.project).or_insert(0) += 1;
            *zone_usage.entry(o.perm.zone).or_insert(0) += 1;
        }
        if usage != self.usage || zone_usage != self.zone_usage {
            return Err("project or zone usage does not match the objects".into());
        }
        for (_, o) in self.objects.iter() {
            if !o.perm.allocated() && o.perm.refs == 0 {
                return Err(format!("removed id {:#x} kept with no reference", o.perm.id));
            }
        }
        if self.objects.iter().filter(|(_, o)| o.perm.allocated()).count() != occupied {
            return Err("an allocated object is in no slot".into());
        }
        Ok(())
    }
}
