//! Dining philosophers on one semaphore array (key 0x90): semaphores 0..5
//! are the forks, semaphore 5 a gate.  Arguments: this philosopher's seat
//! (0..5), meals, and `deadlock` to pick up the forks one at a time behind
//! the gate (a certain deadlock), or `onefork` to pick them up one at a time
//! without it (a deadlock only some schedules reach: `ipclab explore`'s
//! planted bug).
//!
//! The right way takes both forks in **one** semop — the kernel applies
//! the pair atomically or not at all, so nobody holds one fork while
//! waiting for the other.  The `deadlock` way takes the left fork (with
//! SEM_UNDO, so the kernel knows who holds it), waits at
//! the gate until every philosopher holds one (the gate makes the fatal
//! interleaving certain instead of likely), then reaches for the right
//! fork: all five wait for a fork their neighbour holds, forever — which
//! `ipclab run` detects and reports.

use ipclab_guests::*;

const N: u16 = 5;
const GATE: u16 = 5;

fn main() {
    let seat: u16 = arg(1, 0);
    let meals: u32 = arg(2, 3);
    let deadlock = std::env::args().any(|a| a == "deadlock");
    let onefork = std::env::args().any(|a| a == "onefork");
    let (left, right) = (seat, (seat + 1) % N);
    let mut vals = vec![1; N as usize];
    vals.push(u32::from(N));
    let id = sem_set(0x90, &vals);
    for meal in 0..meals {
        if deadlock {
            check("take left", sem::semop(id, &[op(left, -1, SEM_UNDO)]));
            // Everyone holds a left fork before anyone reaches right.
            check("gate", sem::semop(id, &[op(GATE, -1, 0)]));
            check("gate", sem::semop(id, &[op(GATE, 0, 0)]));
            check("take right", sem::semop(id, &[op(right, -1, 0)]));
        } else if onefork {
            check("take left", sem::semop(id, &[op(left, -1, SEM_UNDO)]));
            check("take right", sem::semop(id, &[op(right, -1, SEM_UNDO)]));
        } else {
            check("take both", sem::semop(id, &[op(left, -1, SEM_UNDO), op(right, -1, SEM_UNDO)]));
        }
        println!("philosopher {seat} eats meal {meal} with forks {left} and {right}");
        check("put both", sem::semop(id, &[op(left, 1, SEM_UNDO), op(right, 1, SEM_UNDO)]));
    }
    println!("philosopher {seat} is done");
}
