//! # Example guests: the library every example program shares
//!
//! A guest is an ordinary `fn main` program for `wasm32-wasip2` that imports
//! world `ipclab:ipc/guest` (`wit/guest.wit`): System V queues, semaphore
//! arrays and shared memory, POSIX semaphores and its own identity, as a C
//! program would include `<sys/msg.h>`.  A call that must wait blocks; the
//! caller is whoever the host says this program is.  Run the examples with
//! `ipclab run host/examples/NAME.toml`.
//!
//! This library re-exports the generated bindings under short names and
//! adds the constants and a helper that ends the program on an errno, so
//! each example reads like its C counterpart.

wit_bindgen::generate!({ world: "guest", path: "../../wit", generate_all });

pub use ipclab::ipc::sys_fd as fd;
pub use ipclab::ipc::sys_msg as msg;
pub use ipclab::ipc::sys_port as port;
pub use ipclab::ipc::sys_proc as sys;
pub use ipclab::ipc::sys_psem as psem;
pub use ipclab::ipc::sys_sem as sem;
pub use ipclab::ipc::sys_shm as shm;
pub use ipclab::ipc::types::{Errno, Sembuf, Timespec};

pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;
pub const SEM_UNDO: i16 = 0o10000;
pub const O_CREAT: i32 = 0x200;
pub const O_EXCL: i32 = 0x800;

/// The value of `r`, or the program ends with status 1 naming the call.
pub fn check<T>(what: &str, r: Result<T, Errno>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{what}: {}", e.name().to_uppercase());
            std::process::exit(1)
        }
    }
}

/// The System V semaphore set `key` of `vals.len()` semaphores: made and
/// initialised (SETALL) by whoever comes first — `IPC_CREAT|IPC_EXCL`
/// decides who — and found by everyone else.  A process that finds it
/// before the creator's SETALL sees zeros and, if it must wait, waits: the
/// SETALL wakes it.
pub fn sem_set(key: i32, vals: &[u32]) -> i32 {
    let n = vals.len() as i32;
    match sem::semget(key, n, IPC_CREAT | IPC_EXCL | 0o600) {
        Ok(id) => {
            check("semctl SETALL", sem::semctl_setall(id, vals));
            id
        }
        Err(Errno::Eexist) => check("semget", sem::semget(key, n, 0)),
        Err(e) => check("semget", Err(e)),
    }
}

/// One semop operation.
pub fn op(sem_num: u16, sem_op: i16, sem_flg: i16) -> Sembuf {
    Sembuf { sem_num, sem_op, sem_flg }
}

/// The `n`th argument parsed, or `default`.
pub fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}
