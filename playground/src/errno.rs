//! Error numbers in words: each errno the component can return, with its
//! POSIX meaning, and a sentence of context drawn from the state the views
//! already show (the queue's mode and the caller's ids, the id list, …).
//!
//! The context only restates facts; which rule failed is the kernel's
//! business and comes from the component.

use crate::bridge::Call;
use crate::model::{KernelState, id_both, key_hex};

/// `EACCES`, and what the error means.
pub fn describe(errno: &str) -> (String, &'static str) {
    let meaning = match errno {
        "eperm" => {
            "operation not permitted: only the owner, the creator or a privileged process may do this, and only a privileged one may raise msg_qbytes"
        }
        "enoent" => "no such key, and IPC_CREAT was not given",
        "esrch" => "no such process or thread: it has exited",
        "eintr" => "the parked call was interrupted",
        "e2big" => "the message is longer than msgsz and MSG_NOERROR was not given (it stays queued)",
        "eagain" => {
            "try again: the queue is full and IPC_NOWAIT was given, the timeout passed, or the call is still parked"
        }
        "eacces" => "permission denied by the object's mode bits",
        "efault" => "a required buffer was missing",
        "ebusy" => "busy: the thread is parked or holds a result that has not been taken",
        "eexist" => "IPC_CREAT|IPC_EXCL was given and the key already exists",
        "einval" => "invalid argument: unknown or stale id, bad size, type, flag or value",
        "enospc" => "no space: the id limit or the slot table's maximum was reached",
        "erange" => "a value is out of range",
        "enomsg" => "no message of the wanted type, and IPC_NOWAIT was given",
        "eidrm" => "the queue was removed while the caller waited on it",
        "bridge" => "the page could not make the call",
        _ => "unknown error",
    };
    (errno.to_ascii_uppercase(), meaning)
}

fn mode_words(mode: u32) -> String {
    format!("{:04o}", mode & 0o777)
}

/// A sentence of facts from `before` (the state before the call) that helps
/// read the error; empty when there is nothing useful to add.
pub fn context(errno: &str, call: &Call, before: &KernelState) -> String {
    let caller = call.tid().and_then(|tid| before.process_of(tid));
    let who = caller
        .map(|p| {
            let groups = if p.groups.is_empty() {
                String::new()
            } else {
                format!(", groups {}", p.groups.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
            };
            format!("uid {} gid {}{groups}", p.euid, p.egid)
        })
        .unwrap_or_default();
    let msqid = match call {
        Call::Msgsnd { msqid, .. }
        | Call::Msgrcv { msqid, .. }
        | Call::Stat { msqid, .. }
        | Call::Set { msqid, .. }
        | Call::Rmid { msqid, .. } => Some(*msqid),
        _ => None,
    };
    let queue = msqid.and_then(|id| before.queue(id)).filter(|q| !q.removed);
    let access = match call {
        Call::Msgsnd { .. } => "write",
        Call::Msgrcv { .. } | Call::Stat { .. } => "read",
        _ => "access",
    };
    match (errno, call) {
        ("eacces", Call::Msgget { key, flags, .. }) => match before.namespace.keys.iter().find(|n| n.key == *key) {
            Some(node) => match before.queue(node.id) {
                Some(q) => format!(
                    "key {} names queue {}, mode {} owned by uid {} gid {}; the flags asked for {} and the caller is {who}",
                    key_hex(*key),
                    id_both(node.id),
                    mode_words(q.perm.mode),
                    q.perm.uid,
                    q.perm.gid,
                    mode_words(*flags as u32),
                ),
                None => String::new(),
            },
            None => String::new(),
        },
        ("eacces", _) => match queue {
            Some(q) => format!(
                "the queue's mode {} (owner uid {} gid {}) does not grant {access} to {who}",
                mode_words(q.perm.mode),
                q.perm.uid,
                q.perm.gid
            ),
            None => String::new(),
        },
        ("eperm", Call::Set { qbytes, .. }) if queue.is_some_and(|q| *qbytes as f64 > q.qbytes) => format!(
            "IPC_SET asked to raise msg_qbytes from {} to {qbytes}; only a privileged process may raise it",
            queue.map_or(0.0, |q| q.qbytes)
        ),
        ("eperm", _) => match queue {
            Some(q) => format!(
                "the queue belongs to uid {} (created by uid {}); the caller is {who}, not privileged",
                q.perm.uid, q.perm.cuid
            ),
            None => String::new(),
        },
        ("einval", _) if msqid.is_some() && queue.is_none() => {
            let id = msqid.unwrap_or_default();
            let slot = before.namespace.slots.iter().find(|s| s.index == (id as u32) & slot_mask(before));
            match slot {
                Some(s) if s.id != id => format!(
                    "no queue has id {}: slot {} now carries id {} (sequence {}), so the old id is stale",
                    id_both(id),
                    s.index,
                    id_both(s.id),
                    s.seq
                ),
                _ => format!("no queue has id {}", id_both(id)),
            }
        }
        ("eexist", Call::Msgget { key, .. }) => match before.namespace.keys.iter().find(|n| n.key == *key) {
            Some(node) => format!("key {} already names queue {}", key_hex(*key), id_both(node.id)),
            None => String::new(),
        },
        ("enoent", Call::Msgget { key, .. }) => format!("the AVL tree of keys holds no node for key {}", key_hex(*key)),
        ("eagain", Call::Msgsnd { .. }) | ("enomsg", Call::Msgrcv { .. }) | ("e2big", Call::Msgrcv { .. }) => {
            match queue {
                Some(q) => format!("the queue holds {}/{} messages, {}/{} bytes", q.qnum, q.qmax, q.cbytes, q.qbytes),
                None => String::new(),
            }
        }
        _ => String::new(),
    }
}

/// Low bits of an id that hold the slot index: `2^(31 - seq-bits) - 1`.
fn slot_mask(state: &KernelState) -> u32 {
    state.namespace.table_max.saturating_sub(1)
}
