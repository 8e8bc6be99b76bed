//! Producer/consumer with message types, the producing side: puts
//! `N` orders on queue 0x71, each typed by its kind (1 apples, 2 bread,
//! 3 milk), then one "closing" message of type 9.

use ipclab_guests::*;

const KINDS: [&str; 3] = ["apples", "bread", "milk"];

fn main() {
    let n: i64 = arg(1, 6);
    let q = check("msgget", msg::msgget(0x71, IPC_CREAT | 0o660));
    for i in 0..n {
        let kind = i % 3 + 1;
        let text = format!("order {i}: {}", KINDS[kind as usize - 1]);
        check("msgsnd", msg::msgsnd(q, kind, text.as_bytes(), 0));
    }
    check("msgsnd", msg::msgsnd(q, 9, b"closing", 0));
    println!("produced {n} orders");
}
