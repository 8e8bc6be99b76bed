//! The load test's guests: producers and consumers of sequence-numbered
//! messages over several queues, counted by semaphores.
//!
//! * `produce Q T COUNT` — sends COUNT messages of type T on queue Q (key
//!   0xC0 + Q), each carrying `T:SEQ`, SEQ = 0, 1, …; after each send it
//!   posts (+1) semaphore Q of the set at key 0xC8 (one per queue).
//! * `consume Q T COUNT` — takes (−1) semaphore Q, then receives the next
//!   message **of type T** from queue Q, and checks it is `T:SEQ` with SEQ
//!   exactly one more than the last: a message lost, duplicated or
//!   reordered against the per-type FIFO rule ends it with status 1.
//!
//! The queues are small (64 bytes), so producers really block when they are full and
//! consumers when they are empty; a consumer may take the semaphore for a
//! message of another type, so it also waits in msgrcv for its own.

use ipclab_guests::*;

fn main() {
    let role = std::env::args().nth(1).unwrap_or_default();
    let (q, t, count): (i32, i64, u64) = (arg(2, 0), arg(3, 1), arg(4, 100));
    let queue = check("msgget", msg::msgget(0xC0 + q, IPC_CREAT | 0o666));
    // A small queue (64 bytes: about six messages), so that senders block.
    let small = ipclab::ipc::types::MsqidSet { uid: sys::geteuid(), gid: sys::getegid(), mode: 0o666, qbytes: 64 };
    check("msgctl IPC_SET", msg::msgctl_set(queue, small));
    let counts = check("semget", sem::semget(0xC8, 8, IPC_CREAT | 0o666));
    match role.as_str() {
        "produce" => {
            for seq in 0..count {
                check("msgsnd", msg::msgsnd(queue, t, format!("{t}:{seq}").as_bytes(), 0));
                check("semop +1", sem::semop(counts, &[op(q as u16, 1, 0)]));
            }
            println!("sent {count} messages of type {t} on queue {q}");
        }
        "consume" => {
            for seq in 0..count {
                check("semop -1", sem::semop(counts, &[op(q as u16, -1, 0)]));
                let m = check("msgrcv", msg::msgrcv(queue, 64, t, 0));
                let want = format!("{t}:{seq}");
                if m.mtype != t || m.data != want.as_bytes() {
                    eprintln!("expected {want}, received type {} {:?}", m.mtype, String::from_utf8_lossy(&m.data));
                    std::process::exit(1);
                }
            }
            println!("received {count} messages of type {t} on queue {q}, in order");
        }
        _ => {
            eprintln!("usage: load produce|consume QUEUE TYPE COUNT");
            std::process::exit(2)
        }
    }
}
