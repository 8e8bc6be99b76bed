//! # Processes and threads
//!
//! The kernel is driven by explicit callers.  The embedder creates
//! processes (credentials + zone + project) and every system call is made
//! by one of their threads.
//!
//! ## Objects
//! * [`Process`]: pid, parent pid, credentials, zone, project and threads.
//!   An exited process is gone (pids and tids are never reused).
//! * [`Thread`]: tid, owning pid, and its [`ThreadState`]:
//!   - `Runnable`: may make a call;
//!   - `Blocked`: parked inside a call, with a [`Wait`] saying on which
//!     channel (its `Display` is the reason in words), since when and until
//!     when (a deadline on the logical clock, if any);
//!   - `Finished`: a parked call completed; its [`Completion`] waits to be
//!     taken with `take_result`.  Until then the thread cannot call again.
//!
//! The call a parked thread will complete lives with its facility (in the
//! object's waiter list, as illumos keeps it on the sleeping thread's
//! stack); the thread only names the channel.

use crate::cred::{Credentials, Pid, ProjId, Tid, ZoneId};
use crate::errno::SysResult;
use crate::event::{Named, Vocabulary};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: Pid,
    /// 0 for a process the embedder spawned.
    pub ppid: Pid,
    pub cred: Arc<Credentials>,
    pub zone: ZoneId,
    pub project: ProjId,
    pub threads: Vec<Tid>,
}

/// On what, since when and until when a thread is parked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Wait<V: Vocabulary> {
    /// The channel: which object, and for what (`Display`: the reason).
    pub chan: V::Chan,
    /// Logical time at which the thread parked.
    pub since: u64,
    /// Logical time at which the call gives up with EAGAIN, if any.
    pub deadline: Option<u64>,
    /// Global park order; breaks ties between equal deadlines.
    pub order: u64,
}

/// A parked call that completed, waiting for `take_result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Completion<V: Vocabulary> {
    /// The channel the call was parked on.
    pub chan: V::Chan,
    pub result: SysResult<V::Reply>,
}

impl<V: Vocabulary> Completion<V> {
    /// The call's name, e.g. `"msgrcv"`.
    pub fn call(&self) -> &'static str {
        self.chan.name()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ThreadState<V: Vocabulary> {
    Runnable,
    Blocked(Wait<V>),
    Finished(Completion<V>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Thread<V: Vocabulary> {
    pub tid: Tid,
    pub pid: Pid,
    pub state: ThreadState<V>,
}
