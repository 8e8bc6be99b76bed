//! A request/reply handshake over two named POSIX semaphores, with a
//! missing post on one path — planted for `ipclab explore` to find.
//!
//! Roles (first argument):
//! * `server buggy|fixed N` — serves N requests: waits on `/request`, and
//!   posts `/reply` for each.  It batches: after a wait it looks at
//!   `sem_getvalue(/request)` and takes every request already waiting in
//!   the same round.  `buggy` then posts `/reply` once per round — right
//!   when one request came, one reply short when two arrived together, so
//!   a client waits forever.  `fixed` posts once per request taken.
//! * `client` — posts `/request`, waits for `/reply`, says so.

use ipclab_guests::*;

fn main() {
    let req = check("sem_open", psem::sem_open("/request", O_CREAT, 0o600, 0));
    let rep = check("sem_open", psem::sem_open("/reply", O_CREAT, 0o600, 0));
    match std::env::args().nth(1).as_deref() {
        Some("server") => {
            let fixed = std::env::args().nth(2).as_deref() == Some("fixed");
            let n: u32 = arg(3, 2);
            let mut served = 0;
            while served < n {
                check("sem_wait", psem::sem_wait(req));
                let mut round = 1;
                // Take the requests already waiting in this round too.
                while check("sem_getvalue", psem::sem_getvalue(req)) > 0 {
                    check("sem_trywait", psem::sem_trywait(req));
                    round += 1;
                }
                let posts = if fixed { round } else { 1 };
                for _ in 0..posts {
                    check("sem_post", psem::sem_post(rep));
                }
                served += round;
            }
            println!("served {served} requests");
        }
        _ => {
            check("sem_post", psem::sem_post(req));
            check("sem_wait", psem::sem_wait(rep));
            println!("got my reply");
        }
    }
}
