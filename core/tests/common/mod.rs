//! Shared helpers for the ipc-core integration tests.
#![allow(dead_code, unused_imports)]

pub use ipc_core::cred::{Credentials, Pid, Tid};
pub use ipc_core::errno::Errno;
pub use ipc_core::msg::{MSG_NOERROR, MsgLimits, MsqSet, MsqidDs, Received};
pub use ipc_core::namespace::{
    Facility, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, IdSpace,
};
pub use ipc_core::{Config, Kernel, Outcome, Reply};

pub fn kernel() -> Kernel {
    Kernel::new(Config::default()).unwrap()
}

pub fn small_kernel(ids_min: u32, seq_bits: u32) -> Kernel {
    Kernel::new(Config { ids: IdSpace { seq_bits, ids_min }, ..Config::default() }).unwrap()
}

/// Spawns an unprivileged process in the global zone, project 1; returns its main thread.
pub fn user(k: &mut Kernel, uid: u32, gid: u32) -> Tid {
    k.spawn(Credentials::user(uid, gid), 0, 1).unwrap().1
}

pub fn root(k: &mut Kernel) -> Tid {
    k.spawn(Credentials::root(), 0, 1).unwrap().1
}

pub fn pid_of(k: &Kernel, tid: Tid) -> Pid {
    k.thread(tid).unwrap().pid
}

pub fn send(k: &mut Kernel, tid: Tid, id: i32, mtype: i64, data: &[u8]) -> Result<(), Errno> {
    match k.msgsnd(tid, id, mtype, data, IPC_NOWAIT, None) {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("IPC_NOWAIT send parked: {reason}"),
    }
}

pub fn recv(k: &mut Kernel, tid: Tid, id: i32, msgsz: u64, msgtyp: i64) -> Result<Received, Errno> {
    match k.msgrcv(tid, id, msgsz, msgtyp, IPC_NOWAIT, None) {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("IPC_NOWAIT receive parked: {reason}"),
    }
}

pub fn stat(k: &mut Kernel, tid: Tid, id: i32) -> Result<MsqidDs, Errno> {
    k.msgctl_stat(tid, id)
}

pub fn rmid(k: &mut Kernel, tid: Tid, id: i32) -> Result<(), Errno> {
    k.msgctl_rmid(tid, id)
}

/// The steps of the newest event, in words.
pub fn last_steps(k: &Kernel) -> Vec<String> {
    k.last_event().unwrap().steps.iter().map(|s| s.to_string()).collect()
}
