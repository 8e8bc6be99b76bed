//! Hostile and wronged guests, for the host's reliability tests.
//! The first argument is the role:
//!
//! * `hold N spin|grow|trap` — takes "busy" semaphore N (0..3) of the set
//!   at key 0xB0 with SEM_UNDO, posts "ready" semaphore N+3, then
//!   misbehaves: computes forever, allocates without end, or traps.
//! * `wait N` — waits for holder N to be ready, then until busy semaphore
//!   N is 0 again: only the kernel's undo at the holder's death does that.
//! * `timed` — a semtimedop on a semaphore nobody posts: EAGAIN.
//! * `victim` — makes a POSIX semaphore, a pipe, an attached segment and a
//!   private queue, tells their ids over the queue at key 0xB1, and waits
//!   for the spy to say it is done.
//! * `spy` — tries to use everything the victim told it: each must be
//!   refused with the errno that says "not yours" (EINVAL, EBADF, EFAULT,
//!   EACCES, EPERM).  Exits 1 if anything was let through.

use ipclab_guests::*;

const SET: i32 = 0xB0;
const TELL: i32 = 0xB1;

fn set() -> i32 {
    check("semget", sem::semget(SET, 7, IPC_CREAT | 0o666))
}

fn hold(n: u16, how: &str) {
    let id = set();
    check("take busy", sem::semop(id, &[op(n, 1, SEM_UNDO)]));
    check("post ready", sem::semop(id, &[op(n + 3, 1, 0)]));
    println!("holding semaphore {n}, now going to {how}");
    match how {
        "spin" => {
            let mut x = 0u64;
            loop {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
            }
        }
        "grow" => {
            let mut hoard = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        _ => std::process::abort(),
    }
}

fn wait(n: u16) {
    let id = set();
    check("wait ready", sem::semop(id, &[op(n + 3, -1, 0)]));
    check("wait for zero", sem::semop(id, &[op(n, 0, 0)]));
    println!("semaphore {n} is free again: its holder is gone");
}

fn timed() {
    let id = set();
    match sem::semtimedop(id, &[op(6, -1, 0)], 50_000_000) {
        Err(Errno::Eagain) => println!("semtimedop: EAGAIN after its 50 ms"),
        other => {
            eprintln!("semtimedop: expected EAGAIN, got {other:?}");
            std::process::exit(1)
        }
    }
}

fn victim() {
    let ps = check("sem_init", psem::sem_init(0, false));
    let (rfd, _wfd) = check("pipe", fd::pipe());
    let seg = check("shmget", shm::shmget(IPC_PRIVATE, 4096, 0o600));
    let addr = check("shmat", shm::shmat(seg, 0, 0));
    check("store", shm::store(addr, b"secret"));
    let private = check("msgget", msg::msgget(IPC_PRIVATE, 0o600));
    let tell = check("msgget", msg::msgget(TELL, IPC_CREAT | 0o666));
    let words = format!("{} {ps} {rfd} {addr} {private}", sys::getpid());
    check("msgsnd", msg::msgsnd(tell, 1, words.as_bytes(), 0));
    check("msgrcv", msg::msgrcv(tell, 64, 2, 0));
    println!("the spy is done; my semaphore, pipe, segment and queue are untouched");
    check("sem_getvalue", psem::sem_getvalue(ps));
    assert_eq!(check("load", shm::load(addr, 6)), b"secret");
}

fn spy() {
    let tell = check("msgget", msg::msgget(TELL, IPC_CREAT | 0o666));
    let m = check("msgrcv", msg::msgrcv(tell, 64, 1, 0));
    let words: Vec<u64> = String::from_utf8_lossy(&m.data).split(' ').map(|w| w.parse().unwrap_or(0)).collect();
    let [pid, ps, rfd, addr, private] = words[..] else { std::process::exit(2) };
    let mut let_through = 0;
    let mut expect = |what: &str, r: Result<(), Errno>, want: Errno| {
        if r == Err(want) {
            println!("{what}: refused with {}", want.name().to_uppercase());
        } else {
            eprintln!("{what}: expected {}, got {r:?}", want.name().to_uppercase());
            let_through += 1;
        }
    };
    expect("sem_post on the victim's semaphore id", psem::sem_post(ps as u32), Errno::Einval);
    expect("read of the victim's fd number", fd::read(rfd as i32, 8).map(drop), Errno::Ebadf);
    expect("load at the victim's attach address", shm::load(addr, 6).map(drop), Errno::Efault);
    expect("msgsnd on the victim's private queue", msg::msgsnd(private as i32, 1, b"x", IPC_NOWAIT), Errno::Eacces);
    expect("IPC_RMID of the victim's private queue", msg::msgctl_rmid(private as i32), Errno::Eperm);
    if u64::from(sys::getpid()) == pid {
        eprintln!("the spy has the victim's pid");
        let_through += 1;
    }
    check("msgsnd", msg::msgsnd(tell, 2, b"done", 0));
    std::process::exit(i32::from(let_through > 0));
}

fn main() {
    let role = std::env::args().nth(1).unwrap_or_default();
    match role.as_str() {
        "hold" => hold(arg(2, 0), &std::env::args().nth(3).unwrap_or_default()),
        "wait" => wait(arg(2, 0)),
        "timed" => timed(),
        "victim" => victim(),
        "spy" => spy(),
        _ => {
            eprintln!("usage: hostile hold N spin|grow|trap | wait N | timed | victim | spy");
            std::process::exit(2)
        }
    }
}
