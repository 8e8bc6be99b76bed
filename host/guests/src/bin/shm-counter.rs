//! A counter in shared memory, incremented by several processes — the
//! classic lost update, planted for `ipclab explore` to find.
//!
//! Roles (first argument):
//! * `inc racy|locked N` — attaches the 4-byte counter at key 0xC0 and adds
//!   one, N times: a load, then a store of the value plus one.  `racy` does
//!   nothing else, so two incrementers can load the same value and one
//!   increment is lost; `locked` holds semaphore 0 of the set at key 0xC1
//!   around each increment.  Then it counts itself done on semaphore 1.
//! * `report P` — waits until P incrementers are done (semop −P on
//!   semaphore 1), prints `counter = V`, and removes both objects.

use ipclab_guests::*;

fn counter(at: u64) -> u32 {
    let b = check("load", shm::load(at, 4));
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn main() {
    let seg = check("shmget", shm::shmget(0xC0, 4, IPC_CREAT | 0o600));
    let at = check("shmat", shm::shmat(seg, 0, 0));
    let set = sem_set(0xC1, &[1, 0]);
    match std::env::args().nth(1).as_deref() {
        Some("report") => {
            let procs: i16 = arg(2, 2);
            check("wait for the incrementers", sem::semop(set, &[op(1, -procs, 0)]));
            println!("counter = {}", counter(at));
            check("shmdt", shm::shmdt(at));
            check("shmctl", shm::shmctl_rmid(seg));
            check("semctl", sem::semctl_rmid(set));
        }
        _ => {
            let locked = std::env::args().nth(2).as_deref() == Some("locked");
            let n: u32 = arg(3, 20);
            for _ in 0..n {
                if locked {
                    check("lock", sem::semop(set, &[op(0, -1, SEM_UNDO)]));
                }
                let v = counter(at);
                check("store", shm::store(at, &(v + 1).to_le_bytes()));
                if locked {
                    check("unlock", sem::semop(set, &[op(0, 1, SEM_UNDO)]));
                }
            }
            check("shmdt", shm::shmdt(at));
            check("done", sem::semop(set, &[op(1, 1, 0)]));
        }
    }
}
