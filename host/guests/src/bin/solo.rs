//! A one-process program for composition: `wac plug` it with the provider
//! and it runs anywhere WASI runs, with a private kernel inside.  It uses
//! every facility once, then makes a call nobody can ever complete — a
//! msgrcv on an empty queue — which the provider answers with EDEADLK
//! instead of hanging.

use ipclab_guests::*;

fn main() {
    println!("solo: pid {} euid {}", sys::getpid(), sys::geteuid());
    let q = check("msgget", msg::msgget(IPC_PRIVATE, IPC_CREAT | 0o600));
    check("msgsnd", msg::msgsnd(q, 7, b"note to self", 0));
    let m = check("msgrcv", msg::msgrcv(q, 64, 0, 0));
    println!("msg: got type {} {:?}", m.mtype, String::from_utf8_lossy(&m.data));
    let s = check("semget", sem::semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600));
    check("semop", sem::semop(s, &[op(0, 2, 0)]));
    println!("sem: value {}", check("getval", sem::semctl_getval(s, 0)));
    match sem::semtimedop(s, &[op(0, -5, 0)], 1_000_000) {
        Err(e) => println!("sem: semtimedop -5 on 2 times out: {}", e.name().to_uppercase()),
        Ok(()) => println!("sem: semtimedop -5 on 2 succeeded?"),
    }
    let seg = check("shmget", shm::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600));
    let va = check("shmat", shm::shmat(seg, 0, 0));
    check("store", shm::store(va + 100, b"shared"));
    let b = check("load", shm::load(va + 100, 6));
    println!("shm: at {va:#x} read back {:?}", String::from_utf8_lossy(&b));
    let id = check("sem_open", psem::sem_open("/solo", O_CREAT, 0o600, 1));
    check("sem_wait", psem::sem_wait(id));
    println!("psem: /solo taken, value now {}", check("getvalue", psem::sem_getvalue(id)));
    let port = check("port_create", port::port_create());
    check("port_send", port::port_send(port, 5, 55));
    let ev = check("port_get", port::port_get(port, None));
    println!("port: got user event {:?}", ev.map(|e| (e.events, e.user)));
    match msg::msgrcv(q, 64, 0, 0) {
        Err(e) => println!("msg: msgrcv on an empty queue with nobody to send: {}", e.name().to_uppercase()),
        Ok(_) => println!("msg: msgrcv returned a message?"),
    }
}
