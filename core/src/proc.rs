//! # Processes, threads and credentials
//!
//! The kernel is driven by explicit callers.  The embedder creates
//! processes ([`Credentials`] + zone + project) and every system call is made
//! by one of their threads.  A guest never names a pid or uid: it holds a
//! thread handle the embedder granted, and identity comes from the process
//! behind it (identity is a capability).
//!
//! ## Objects
//! * [`Process`]: pid, parent pid, credentials, zone, project and threads.
//!   An exited process is gone (pids and tids are never reused).
//! * [`Thread`]: tid, owning pid, and its [`ThreadState`]:
//!   - `Runnable`: may make a call;
//!   - `Blocked`: parked inside a call, with a [`Wait`] saying why, since
//!     when and until when (a deadline on the logical clock, if any);
//!   - `Finished`: a parked call completed; its [`Completion`] waits to be
//!     taken with `take_result`.  Until then the thread cannot call again.
//!
//! ## Credentials
//! Permission checks use the *effective* uid and gid (illumos `crgetuid`,
//! `crgetgid`), and group membership is the effective gid or any
//! supplementary group (`groupmember`).  `privileged` stands for the
//! `secpolicy_*` overrides (PRIV_IPC_DAC_READ/WRITE, PRIV_IPC_OWNER,
//! PRIV_SYS_IPC_CONFIG): a privileged caller passes every such check.

use crate::errno::SysResult;
use crate::kernel::Reply;
use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: Pid,
    /// 0 for a process the embedder spawned.
    pub ppid: Pid,
    pub cred: Credentials,
    pub zone: ZoneId,
    pub project: ProjId,
    pub threads: Vec<Tid>,
}

/// Why and since when a thread is parked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    /// The call as it will be retried when the thread is woken.
    pub call: crate::kernel::ParkedCall,
    /// In words, e.g. `msgrcv: no message of type 3 on msqid 0x10003`.
    pub reason: String,
    /// Logical time at which the thread parked.
    pub since: u64,
    /// Logical time at which the call gives up with EAGAIN, if any.
    pub deadline: Option<u64>,
    /// Global park order; breaks ties between equal deadlines.
    pub order: u64,
}

/// A parked call that completed, waiting for `take_result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The call's name, e.g. `"msgrcv"`.
    pub call: String,
    pub result: SysResult<Reply>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadState {
    Runnable,
    Blocked(Wait),
    Finished(Completion),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub tid: Tid,
    pub pid: Pid,
    pub state: ThreadState,
}

/// Who is making a call: the facts the namespace needs about the caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub pid: Pid,
    pub tid: Tid,
    pub cred: Credentials,
    pub zone: ZoneId,
    pub project: ProjId,
}

impl Caller {
    /// illumos `HASZONEACCESS`: own zone, or anything from the global zone.
    pub fn has_zone_access(&self, zone: ZoneId) -> bool {
        self.zone == zone || self.zone == GLOBAL_ZONEID
    }
}
