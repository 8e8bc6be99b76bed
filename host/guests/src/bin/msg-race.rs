//! Two consumers drain one queue — the check-then-act race of `msg_qnum`,
//! planted for `ipclab explore` to find.
//!
//! Roles (first argument):
//! * `producer N` — sends N items (type 1) on queue 0xD0, then marks the
//!   end by setting semaphore 0 of the set at key 0xD1 to 1.
//! * `consumer racy|safe` — loops: if IPC_STAT says the queue holds a
//!   message (`msg_qnum > 0`), receive one; else, once the producer is
//!   done, stop (while the producer is not done, it sleeps 1 µs between
//!   looks).  `racy` receives *without* IPC_NOWAIT: when both
//!   consumers saw the last message, the one that loses the race blocks
//!   forever — a hang.  `safe` receives with IPC_NOWAIT and treats ENOMSG
//!   as "look again".
//!
//! Each consumer prints how many items it took.

use ipclab_guests::*;

fn main() {
    let q = check("msgget", msg::msgget(0xD0, IPC_CREAT | 0o600));
    // New semaphores start at 0: no SETALL, which a late creator would run
    // after the producer's SETVAL and erase it (PCT found that one).
    let set = check("semget", sem::semget(0xD1, 1, IPC_CREAT | 0o600));
    match std::env::args().nth(1).as_deref() {
        Some("producer") => {
            let n: u32 = arg(2, 4);
            for i in 0..n {
                check("msgsnd", msg::msgsnd(q, 1, format!("item {i}").as_bytes(), 0));
            }
            check("semctl SETVAL", sem::semctl_setval(set, 0, 1));
            println!("produced {n} items");
        }
        _ => {
            let safe = std::env::args().nth(2).as_deref() == Some("safe");
            let mut took = 0;
            loop {
                let ds = check("msgctl IPC_STAT", msg::msgctl_stat(q));
                if ds.qnum > 0 {
                    let flags = if safe { IPC_NOWAIT } else { 0 };
                    match msg::msgrcv(q, 64, 0, flags) {
                        Ok(_) => took += 1,
                        Err(Errno::Enomsg) if safe => {}
                        Err(e) => check("msgrcv", Err(e)),
                    }
                } else if check("semctl GETVAL", sem::semctl_getval(set, 0)) == 1 {
                    break;
                } else {
                    // Nothing yet: look again a little later (a polite
                    // poll, which lets the producer run under any policy).
                    sys::nanosleep(1_000);
                }
            }
            println!("took {took} items");
        }
    }
}
