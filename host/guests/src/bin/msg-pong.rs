//! Queue ping-pong, the answering side: receives type 1 on queue 0x70 and
//! answers `pong …` with type 2, until `stop` (answered with type 3).

use ipclab_guests::*;

fn main() {
    let q = check("msgget", msg::msgget(0x70, IPC_CREAT | 0o600));
    let mut n = 0u32;
    loop {
        let m = check("msgrcv", msg::msgrcv(q, 64, 1, 0));
        if m.data == b"stop" {
            check("msgsnd", msg::msgsnd(q, 3, format!("answered {n}").as_bytes(), 0));
            break;
        }
        let text = String::from_utf8_lossy(&m.data).replace("ping", "pong");
        check("msgsnd", msg::msgsnd(q, 2, text.as_bytes(), 0));
        n += 1;
    }
    println!("answered {n} pings as pid {}", sys::getpid());
}
