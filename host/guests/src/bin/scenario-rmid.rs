//! A scenario (world `ipclab:ipc/scenario`): an embedder program that
//! drives a kernel deterministically — two processes, a receiver parked on
//! an empty queue, a sender that wakes it, an IPC_RMID that ends another
//! wait with EIDRM — and prints the kernel's own event narrative.
//! `wac plug` composes it with the kernel component into one command.

mod bindings {
    wit_bindgen::generate!({ world: "scenario", path: "../../wit", generate_all });
}

use bindings::ipclab::ipc::msg::{self, RecvOutcome};
use bindings::ipclab::ipc::system::{self, Credentials, EventOutcome, Kernel};

fn user(uid: u32, gid: u32) -> Credentials {
    Credentials { ruid: uid, euid: uid, rgid: gid, egid: gid, groups: Vec::new(), privileged: false }
}

fn main() {
    let k = Kernel::create(system::default_config()).expect("default kernel");
    let a = k.spawn(&user(100, 10), 0, 1).expect("spawn a");
    let b = k.spawn(&user(100, 10), 0, 1).expect("spawn b");
    let (ta, tb) = (a.main_thread(), b.main_thread());
    let q = msg::msgget(&ta, 0x42, 0o1000 | 0o600).expect("msgget");
    let r = msg::msgrcv(&ta, q, 64, 0, 0, None).expect("msgrcv");
    assert!(matches!(r, RecvOutcome::Blocked(_)));
    msg::msgsnd(&tb, q, 1, b"wake up", 0, None).expect("msgsnd");
    ta.take_result().expect("a's msgrcv completed");
    let r = msg::msgrcv(&tb, q, 64, 0, 0, None).expect("msgrcv");
    assert!(matches!(r, RecvOutcome::Blocked(_)));
    msg::msgctl_rmid(&ta, q).expect("rmid");
    let done = tb.take_result().expect("b's msgrcv ended");
    let (events, _) = k.events(0);
    for e in &events {
        println!("{}", e.text);
    }
    // The newest event is the take_result that fetched b's outcome: it
    // succeeds, and what it hands back is the msgrcv's EIDRM.
    let fetched = !matches!(events.last().map(|e| &e.outcome), Some(EventOutcome::Failed(_)));
    println!(
        "b's msgrcv ended with {:?}; the take_result that fetched it succeeded: {fetched}",
        done.result.err().map(|e| e.name())
    );
}
