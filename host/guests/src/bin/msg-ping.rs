//! Queue ping-pong, the pinging side: sends `ping N` (type 1) on queue
//! 0x70 and waits for the pong (type 2), N times; prints the mean round
//! trip.  Argument: the number of rounds (default 5).

use ipclab_guests::*;

fn main() {
    let rounds: u32 = arg(1, 5);
    let q = check("msgget", msg::msgget(0x70, IPC_CREAT | 0o600));
    let start = std::time::Instant::now();
    for i in 0..rounds {
        check("msgsnd", msg::msgsnd(q, 1, format!("ping {i}").as_bytes(), 0));
        let pong = check("msgrcv", msg::msgrcv(q, 64, 2, 0));
        if rounds <= 10 {
            println!("got {:?}", String::from_utf8_lossy(&pong.data));
        }
    }
    let ns = start.elapsed().as_nanos() / u128::from(rounds.max(1));
    // The end marker tells the pong side to stop; then the queue goes.
    check("msgsnd", msg::msgsnd(q, 1, b"stop", 0));
    let done = check("msgrcv", msg::msgrcv(q, 64, 3, 0));
    println!("{rounds} round trips, mean {ns} ns; pong says {:?}", String::from_utf8_lossy(&done.data));
    check("msgctl", msg::msgctl_rmid(q));
}
