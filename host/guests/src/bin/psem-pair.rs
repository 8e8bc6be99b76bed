//! Two processes taking turns over two named POSIX semaphores, "/ping" and
//! "/pong".  Arguments: `first` or `second`, and the number of turns.  The
//! first posts /ping and waits on /pong; the second waits on /ping and
//! posts /pong.  Each opens both names with O_CREAT (whoever comes first
//! creates them at 0); the first unlinks them at the end — they live on
//! until the second closes its references.

use ipclab_guests::*;

fn main() {
    let first = std::env::args().nth(1).as_deref() == Some("first");
    let turns: u32 = arg(2, 3);
    let ping = check("sem_open /ping", psem::sem_open("/ping", O_CREAT, 0o600, 0));
    let pong = check("sem_open /pong", psem::sem_open("/pong", O_CREAT, 0o600, 0));
    let me = sys::getpid();
    for turn in 0..turns {
        if first {
            println!("turn {turn}: pid {me} serves");
            check("sem_post", psem::sem_post(ping));
            check("sem_wait", psem::sem_wait(pong));
        } else {
            check("sem_wait", psem::sem_wait(ping));
            println!("turn {turn}: pid {me} returns");
            check("sem_post", psem::sem_post(pong));
        }
    }
    if first {
        check("sem_unlink", psem::sem_unlink("/ping"));
        check("sem_unlink", psem::sem_unlink("/pong"));
        println!("unlinked both names; the semaphores live until the last reference goes");
        // A last post tells the other side the names are gone.
        check("sem_post", psem::sem_post(ping));
    } else {
        check("sem_wait", psem::sem_wait(ping));
        // The seed refuses sem_close on an unlinked semaphore (EINVAL);
        // exit drops the references instead.
        match psem::sem_close(ping) {
            Err(e) => println!("sem_close after unlink: {}, as the seed answers", e.name().to_uppercase()),
            Ok(()) => println!("sem_close after unlink succeeded (not the seed's answer)"),
        }
    }
}
