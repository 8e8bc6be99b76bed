//! # Identities and credentials: who is calling
//!
//! The vocabulary every layer shares: ids (pid, tid, uid, gid, zone,
//! project), [`Credentials`] and the [`Caller`] a system call runs for.  It
//! depends on nothing else in the crate, so the namespace framework, the
//! event log and the kernel can all name a caller without naming each other.
//!
//! ## Credentials
//! Permission checks use the *effective* uid and gid (illumos `crgetuid`,
//! `crgetgid`), and group membership is the effective gid or any
//! supplementary group (`groupmember`).  `privileged` stands for the
//! `secpolicy_*` overrides (PRIV_IPC_DAC_READ/WRITE, PRIV_IPC_OWNER,
//! PRIV_SYS_IPC_CONFIG): a privileged caller passes every such check.
//!
//! ## Identity is a capability
//! A guest never names a pid or uid: it holds a thread handle the embedder
//! granted, and the kernel builds the [`Caller`] from the process behind
//! that thread.  Credentials are shared (`Arc`), so making a caller for a
//! system call copies a pointer, not a group list.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub type Pid = u32;
pub type Tid = u32;
pub type Uid = u32;
pub type Gid = u32;
pub type ZoneId = u32;
pub type ProjId = u32;

/// The global zone: it sees every zone's objects.
pub const GLOBAL_ZONEID: ZoneId = 0;

/// Largest valid uid/gid (illumos `MAXUID`).
pub const MAXUID: u32 = 2_147_483_647;

/// Most supplementary groups a process may have (illumos `NGROUPS_MAX_DEFAULT`).
pub const NGROUPS_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub ruid: Uid,
    pub euid: Uid,
    pub rgid: Gid,
    pub egid: Gid,
    /// Supplementary groups.
    pub groups: Vec<Gid>,
    /// Holds the IPC privileges (the `secpolicy_ipc_*` overrides).
    pub privileged: bool,
}

impl Credentials {
    /// An unprivileged user with real = effective ids and no extra groups.
    pub fn user(uid: Uid, gid: Gid) -> Self {
        Credentials { ruid: uid, euid: uid, rgid: gid, egid: gid, groups: Vec::new(), privileged: false }
    }

    /// The superuser: uid 0, gid 0, privileged.
    pub fn root() -> Self {
        Credentials { privileged: true, ..Credentials::user(0, 0) }
    }

    /// illumos `groupmember`: the effective gid or any supplementary group.
    pub fn groupmember(&self, gid: Gid) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }

    /// Every id within `MAXUID` and at most [`NGROUPS_MAX`] groups.
    pub fn valid(&self) -> bool {
        [self.ruid, self.euid, self.rgid, self.egid].iter().chain(self.groups.iter()).all(|&id| id <= MAXUID)
            && self.groups.len() <= NGROUPS_MAX
    }
}

/// Who is making a call: the facts a facility needs about the caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub pid: Pid,
    pub tid: Tid,
    pub cred: Arc<Credentials>,
    pub zone: ZoneId,
    pub project: ProjId,
}

impl Caller {
    /// illumos `HASZONEACCESS`: own zone, or anything from the global zone.
    pub fn has_zone_access(&self, zone: ZoneId) -> bool {
        self.zone == zone || self.zone == GLOBAL_ZONEID
    }
}
