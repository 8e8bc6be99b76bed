//! Every example guest, run by the `ipclab` binary as a user would run it
//! (`ipclab run host/examples/NAME.toml`), with its output and exit status
//! checked; and the composed commands `wac` built, run by `ipclab exec`.
//!
//! `cargo xtask test` builds the kernel component, the example guests
//! (`target/guests/`) and the compositions first.

mod common;

use common::ipclab;

fn run(example: &str) -> (i32, String, String) {
    ipclab(&["run", &format!("host/examples/{example}.toml"), "--ipcs"])
}

fn lines_of<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
    out.lines().filter_map(|l| l.strip_prefix(prefix)).map(str::trim_start).collect()
}

#[test]
fn queue_ping_pong() {
    let (status, out, err) = run("ping-pong");
    assert_eq!(status, 0, "{out}\n{err}");
    let ping = lines_of(&out, "[ping pid 1]");
    assert_eq!(&ping[..5], ["got \"pong 0\"", "got \"pong 1\"", "got \"pong 2\"", "got \"pong 3\"", "got \"pong 4\""]);
    assert!(ping[5].starts_with("5 round trips, mean ") && ping[5].ends_with("pong says \"answered 5\""), "{out}");
    assert_eq!(lines_of(&out, "[pong pid 2]"), ["answered 5 pings as pid 2"]);
    assert!(err.contains("ping (pid 1) exited with status 0") && err.contains("pong (pid 2) exited with status 0"));
    assert!(out.contains("Message Queues:\nShared Memory:"), "the queue was removed: ipcs lists none\n{out}");
}

#[test]
fn producer_consumer_with_types() {
    let (status, out, err) = run("producer-consumer");
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(lines_of(&out, "[producer pid 1]"), ["produced 6 orders"]);
    assert_eq!(
        lines_of(&out, "[consumer pid 2]"),
        [
            "saw \"closing\"",
            "bread first: order 1: bread",
            "bread first: order 4: bread",
            "type 1: order 0: apples",
            "type 1: order 3: apples",
            "type 3: order 2: milk",
            "type 3: order 5: milk",
        ]
    );
}

#[test]
fn shared_memory_ring_buffer_guarded_by_semaphores() {
    let (status, out, err) = run("shm-ring");
    assert_eq!(status, 0, "{out}\n{err}");
    let reads = lines_of(&out, "[reader pid 1]");
    let want: Vec<String> = (0..10).map(|i| format!("read item {i:>3}")).collect();
    assert_eq!(&reads[..10], want.as_slice(), "every item once, in order, through 4 slots");
    assert_eq!(reads[10], "read 10 items in order (checksum 45)");
    assert_eq!(lines_of(&out, "[writer pid 2]"), ["wrote 10 items through 4 slots"]);
    assert!(out.contains("Shared Memory:\nSemaphores:\nPOSIX"), "segment and set removed\n{out}");
}

#[test]
fn dining_philosophers_eat() {
    let (status, out, err) = run("philosophers");
    assert_eq!(status, 0, "{out}\n{err}");
    for seat in 0..5 {
        let mine = lines_of(&out, &format!("[phil{seat} pid {}]", seat + 1));
        let right = (seat + 1) % 5;
        let want: Vec<String> = (0..3)
            .map(|m| format!("philosopher {seat} eats meal {m} with forks {seat} and {right}"))
            .chain([format!("philosopher {seat} is done")])
            .collect();
        assert_eq!(mine, want, "{out}");
    }
}

#[test]
fn dining_philosophers_one_fork_at_a_time_deadlock_and_are_reported() {
    let (status, out, err) = run("philosophers-deadlock");
    assert_eq!(status, 3, "deadlock exits with 3\n{out}\n{err}");
    assert!(err.contains("DEADLOCK"), "{err}");
    for seat in 0..5 {
        let right = (seat + 1) % 5;
        // The wait-for graph: each waits for the fork its neighbour holds (SEM_UNDO).
        let line = format!(
            "phil{seat} (pid {}) waits in semop: semaphore {right} of semid 0x0 needs semval ≥ 1 — held by phil{right} (pid {})",
            seat + 1,
            right + 1
        );
        assert!(err.contains(&line), "missing {line:?} in\n{err}");
    }
    assert!(err.contains("values=[0 0 0 0 0 0]"), "the ipcs view shows every fork taken\n{err}");
    assert!(!out.contains("eats"), "nobody ate\n{out}");
    // The host stopped them; none of them chose the status.
    assert!(err.contains("phil0 (pid 1) stopped in the deadlock (status 3)"), "{err}");
    assert!(!err.contains("exited with status 3"), "{err}");
}

#[test]
fn posix_named_semaphores_take_turns_and_unlink_while_open() {
    let (status, out, err) = run("psem-pair");
    assert_eq!(status, 0, "{out}\n{err}");
    let serve = lines_of(&out, "[server pid 1]");
    assert_eq!(
        serve,
        [
            "turn 0: pid 1 serves",
            "turn 1: pid 1 serves",
            "turn 2: pid 1 serves",
            "unlinked both names; the semaphores live until the last reference goes"
        ]
    );
    let ret = lines_of(&out, "[returner pid 2]");
    assert_eq!(ret[..3], ["turn 0: pid 2 returns", "turn 1: pid 2 returns", "turn 2: pid 2 returns"]);
    assert_eq!(ret[3], "sem_close after unlink: EINVAL, as the seed answers");
    // The turns interleave strictly: each serve precedes its return.
    let order: Vec<&str> = out.lines().filter(|l| l.contains("turn ")).collect();
    for pair in order.chunks(2) {
        assert!(pair[0].contains("serves") && pair[1].contains("returns"), "{out}");
    }
}

#[test]
fn an_event_port_dispatcher() {
    let (status, out, err) = run("port-dispatch");
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        lines_of(&out, "[dispatcher pid 1]"),
        [
            "fd 3 (user 2) ready: \"job for 2\"",
            "source 3: events 0x42, user 99",
            "fd 1 (user 1) ready: \"job for 1\"",
            "asked for 3 within 2 ms: 1 event(s), etime true",
            "in alert mode port_getn returns at once: source 5, events 0x7",
            "pending after all that: 0",
        ]
    );
    assert!(out.contains("Event ports:\nPipes:"), "the port and pipes are closed at the end\n{out}");
}

#[test]
fn ipcs_reads_a_snapshot_and_refuses_garbage() {
    let dir = std::env::temp_dir().join(format!("ipclab-ipcs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A snapshot as `kernel.snapshot` writes it: a queue with a message, a
    // parked receiver on another, a segment, a POSIX semaphore.
    let mut k = ipc_core::Kernel::new(ipc_core::Config::default()).unwrap();
    let (_, a) = k.spawn(ipc_core::Credentials::user(100, 10), 0, 1).unwrap();
    let (_, b) = k.spawn(ipc_core::Credentials::user(200, 20), 0, 1).unwrap();
    let q = k.msgget(a, 0x1234, 0o1000 | 0o640).unwrap();
    k.msgsnd(a, q, 1, b"hello", 0, None);
    let q2 = k.msgget(b, 0, 0o600).unwrap();
    assert!(k.msgrcv(b, q2, 8, 0, 0, None).is_blocked());
    k.shmget(a, 0x77, 100, 0o1000 | 0o600).unwrap();
    k.sem_open(a, b"/lock", ipc_core::psem::O_CREAT, 0o600, 1).unwrap();
    let snap = dir.join("snap.json");
    std::fs::write(&snap, serde_json::to_string(&k).unwrap()).unwrap();
    let (status, out, err) = ipclab(&["ipcs", snap.to_str().unwrap()]);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains(&format!("q {q:>10}   0x1234 --rw-r-----    100     10     100     10  cbytes=5 qnum=1")),
        "{out}"
    );
    assert!(
        out.contains("m          0     0x77 --rw-------    100     10     100     10  nattch=0 segsz=100"),
        "{out}"
    );
    assert!(out.contains("/lock 0600    100     10  value=1 refs=1 named held by [1×1]"), "{out}");
    assert!(out.contains("pid 2 tid 2 since t=0ns: msgrcv:"), "{out}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a kernel\"}").unwrap();
    let (status, _, err) = ipclab(&["ipcs", bad.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert!(err.contains("not a kernel snapshot"), "{err}");
    let (status, _, err) = ipclab(&["run", "no/such/manifest.toml"]);
    assert_eq!(status, 2, "bad input: {err}");
    let (status, _, err) = ipclab(&["frobnicate"]);
    assert_eq!(status, 2, "{err}");
}

/// `solo` plugged into the provider (adapter + kernel component): a
/// self-contained command with a private one-process kernel.
#[test]
fn a_guest_composed_with_the_provider_runs_anywhere() {
    let (status, out, err) = ipclab(&["exec", "target/guests/solo-composed.wasm"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "solo: pid 1 euid 100",
            "msg: got type 7 \"note to self\"",
            "sem: value 2",
            "sem: semtimedop -5 on 2 times out: EAGAIN",
            "shm: at 0x10000000 read back \"shared\"",
            "psem: /solo taken, value now 0",
            "port: got user event Some((5, 55))",
            "msg: msgrcv on an empty queue with nobody to send: EDEADLK",
        ]
    );
}

/// The scenario plugged into the kernel component: one deterministic
/// command that prints the kernel's own narrative.
#[test]
fn a_scenario_composed_with_the_kernel_prints_its_narrative() {
    let (status, out, err) = ipclab(&["exec", "target/guests/scenario-composed.wasm"]);
    assert_eq!(status, 0, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().any(|l| l.contains("msgrcv(") && l.contains("parked")), "{out}");
    assert!(lines.iter().any(|l| l.contains("msgsnd(") && l.contains("woke")), "{out}");
    assert!(lines.iter().any(|l| l.contains("msgctl(") && l.contains("EIDRM")), "{out}");
    assert_eq!(
        lines.last().copied(),
        Some("b's msgrcv ended with Some(\"eidrm\"); the take_result that fetched it succeeded: true")
    );
    // Deterministic: a second run prints exactly the same.
    let (_, again, _) = ipclab(&["exec", "target/guests/scenario-composed.wasm"]);
    assert_eq!(out, again);
}
