//! Producer/consumer with message types, the consuming side: takes the
//! bread orders first (msgtyp 2), then everything else in arrival order
//! up to the closing message (msgtyp -9: the lowest type first), then
//! removes the queue.

use ipclab_guests::*;

fn main() {
    let q = check("msgget", msg::msgget(0x71, IPC_CREAT | 0o660));
    // Wait for the closing message first: then every order is queued.
    let closing = check("msgrcv", msg::msgrcv(q, 64, 9, 0));
    println!("saw {:?}", String::from_utf8_lossy(&closing.data));
    while let Ok(m) = msg::msgrcv(q, 64, 2, IPC_NOWAIT) {
        println!("bread first: {}", String::from_utf8_lossy(&m.data));
    }
    while let Ok(m) = msg::msgrcv(q, 64, -9, IPC_NOWAIT) {
        println!("type {}: {}", m.mtype, String::from_utf8_lossy(&m.data));
    }
    check("msgctl", msg::msgctl_rmid(q));
}
