//! Hostile guests and load, through the host's library (`run_with`):
//!
//! * guests that compute forever, allocate without end or trap are killed
//!   with a reason in words — and only they: the guests that waited on what
//!   they held complete (the kernel's SEM_UNDO at their exit), a timed wait
//!   ends with its errno, and the host returns;
//! * a guest told another's ids cannot use them: each is refused with the
//!   errno that says "not yours";
//! * 32 guests exchange sequence-numbered messages over four small queues
//!   counted by semaphores: nothing lost, duplicated or reordered against
//!   the per-type FIFO rule, no deadlock; the throughput is printed.
//!
//! `cargo xtask test` builds the kernel component and the guests first.

use std::path::PathBuf;
use std::time::Instant;

use ipclab_host::run::{GuestSpec, Manifest, RunReport, by_name, run_with};

fn guests_dir() -> PathBuf {
    ipclab_host::engine::target_dir().join("guests")
}

fn run(guests: Vec<GuestSpec>) -> RunReport {
    run_with(&Manifest { guests, expects: Vec::new() }, &guests_dir(), false).expect("the run starts")
}

#[test]
fn guests_that_spin_hoard_or_trap_are_killed_and_their_waiters_complete() {
    let g = |name: &str, args: &[&str]| GuestSpec::new(name, "hostile", args);
    let report = run(vec![
        GuestSpec { fuel: 200_000_000, ..g("spinner", &["hold", "0", "spin"]) },
        GuestSpec { memory_mib: 32, ..g("hoarder", &["hold", "1", "grow"]) },
        g("trapper", &["hold", "2", "trap"]),
        g("wait0", &["wait", "0"]),
        g("wait1", &["wait", "1"]),
        g("wait2", &["wait", "2"]),
        g("timed", &["timed"]),
    ]);
    let by = by_name(&report);
    assert!(report.deadlock.is_none(), "{:?}", report.deadlock);
    assert_eq!(report.status(), 101, "the first killed guest's status");
    let killed = |n: &str| by[n].killed.clone().unwrap_or_else(|| panic!("{n} was not killed: {:?}", by[n]));
    assert!(killed("spinner").contains("CPU budget of 200000000"), "{}", killed("spinner"));
    assert!(killed("hoarder").contains("memory past its limit of 32 MiB"), "{}", killed("hoarder"));
    assert!(killed("trapper").contains("trapped: wasm `unreachable` instruction executed"), "{}", killed("trapper"));
    for (n, holder) in [("wait0", 0), ("wait1", 1), ("wait2", 2)] {
        assert_eq!(by[n].status, 0, "{n}: {:?}", by[n]);
        assert!(by[n].killed.is_none());
        assert_eq!(by[n].stdout, [format!("semaphore {holder} is free again: its holder is gone")]);
    }
    assert_eq!(by["timed"].status, 0, "{:?}", by["timed"]);
    assert_eq!(by["timed"].stdout, ["semtimedop: EAGAIN after its 50 ms"]);
    // The host is fine: the kernel is still there to ask.
    assert!(report.ipcs.contains("0xb0"), "{}", report.ipcs);
}

#[test]
fn a_guest_cannot_use_what_another_guest_holds() {
    let report = run(vec![
        GuestSpec::new("victim", "hostile", &["victim"]),
        GuestSpec { uid: 200, gid: 200, ..GuestSpec::new("spy", "hostile", &["spy"]) },
    ]);
    let by = by_name(&report);
    assert_eq!(report.status(), 0, "{:?}", report.guests);
    assert_eq!(
        by["spy"].stdout,
        [
            "sem_post on the victim's semaphore id: refused with EINVAL",
            "read of the victim's fd number: refused with EBADF",
            "load at the victim's attach address: refused with EFAULT",
            "msgsnd on the victim's private queue: refused with EACCES",
            "IPC_RMID of the victim's private queue: refused with EPERM",
        ]
    );
    assert_eq!(by["victim"].stdout, ["the spy is done; my semaphore, pipe, segment and queue are untouched"]);
}

#[test]
fn thirty_two_guests_lose_duplicate_and_reorder_nothing() {
    const QUEUES: u32 = 4;
    const PAIRS: u32 = 16;
    const COUNT: u32 = 1000;
    let mut guests = Vec::new();
    for i in 0..PAIRS {
        let (q, t, n) = ((i % QUEUES).to_string(), (i + 1).to_string(), COUNT.to_string());
        guests.push(GuestSpec::new(&format!("producer{i}"), "load", &["produce", &q, &t, &n]));
        guests.push(GuestSpec::new(&format!("consumer{i}"), "load", &["consume", &q, &t, &n]));
    }
    let started = Instant::now();
    let report = run(guests);
    let secs = started.elapsed().as_secs_f64();
    assert!(report.deadlock.is_none(), "{:?}", report.deadlock);
    for g in &report.guests {
        assert_eq!(g.status, 0, "{}: {:?} {:?}", g.name, g.stdout, g.stderr);
        let verb = if g.name.starts_with("producer") { "sent" } else { "received" };
        assert!(g.stdout.last().is_some_and(|l| l.starts_with(&format!("{verb} {COUNT} messages"))), "{:?}", g);
    }
    assert_eq!(report.guests.len(), 2 * PAIRS as usize);
    let messages = PAIRS * COUNT;
    eprintln!(
        "load: {} guests, {messages} sequence-numbered messages over {QUEUES} queues of 64 bytes in {secs:.2} s \
         ({:.0} messages/s, each a msgsnd, a msgrcv and two semops); none lost, duplicated or reordered",
        report.guests.len(),
        f64::from(messages) / secs
    );
}
