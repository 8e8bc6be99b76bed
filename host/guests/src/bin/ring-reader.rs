//! A shared-memory ring buffer guarded by a semaphore array, the reading
//! side (see ring-writer): take a filled slot (-1 on semaphore 1; blocks
//! while the ring is empty), load it, give a free slot back (+1 on 0).
//! Whichever side comes first makes and initialises the set (`sem_set`).
//! At the end it removes the segment and the set.

use ipclab_guests::*;

const SLOTS: u64 = 4;
const SLOT: u64 = 16;

fn main() {
    let n: u64 = arg(1, 10);
    let seg = check("shmget", shm::shmget(0x80, SLOTS * SLOT, IPC_CREAT | 0o600));
    let sems = sem_set(0x81, &[SLOTS as u32, 0]);
    let base = check("shmat", shm::shmat(seg, 0, 0));
    let mut sum = 0;
    for i in 0..n {
        check("semop", sem::semop(sems, &[op(1, -1, 0)]));
        let bytes = check("load", shm::load(base + (i % SLOTS) * SLOT, SLOT));
        let text = String::from_utf8_lossy(&bytes).trim_end_matches('\0').to_string();
        println!("read {text}");
        sum += i;
        check("semop", sem::semop(sems, &[op(0, 1, 0)]));
    }
    println!("read {n} items in order (checksum {sum})");
    check("shmdt", shm::shmdt(base));
    check("shmctl", shm::shmctl_rmid(seg));
    check("semctl", sem::semctl_rmid(sems));
}
