//! A shared-memory ring buffer guarded by a semaphore array, the writing
//! side.  Segment key 0x80 holds 4 slots of 16 bytes; set 0x81 holds two
//! counting semaphores: 0 = free slots (starts at 4), 1 = filled slots
//! (starts at 0).  Write: take a free slot (-1 on 0), store, give a filled
//! one (+1 on 1).  Whoever creates the set initialises it (SETALL).

use ipclab_guests::*;

const SLOTS: u64 = 4;
const SLOT: u64 = 16;

fn main() {
    let n: u64 = arg(1, 10);
    let seg = check("shmget", shm::shmget(0x80, SLOTS * SLOT, IPC_CREAT | 0o600));
    let sems = sem_set(0x81, &[SLOTS as u32, 0]);
    let base = check("shmat", shm::shmat(seg, 0, 0));
    for i in 0..n {
        check("semop", sem::semop(sems, &[op(0, -1, 0)]));
        let text = format!("item {i:>3}");
        let mut bytes = text.into_bytes();
        bytes.resize(SLOT as usize, 0);
        check("store", shm::store(base + (i % SLOTS) * SLOT, &bytes));
        check("semop", sem::semop(sems, &[op(1, 1, 0)]));
    }
    println!("wrote {n} items through {SLOTS} slots");
    check("shmdt", shm::shmdt(base));
}
