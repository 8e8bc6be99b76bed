//! The cost of one msgsnd + msgrcv pair (IPC_NOWAIT, a 64-byte message):
//! through the component in wasmtime (two calls across the component
//! boundary), and on a plain `ipc-core` kernel for comparison.  The
//! difference is what the component boundary and wasm execution cost.
//!
//! Run with `cargo bench -p ipc-host-tests -- --quick` (needs the built
//! component: `cargo xtask bench` builds it and sets `IPC_COMPONENT_WASM`).

use criterion::{Criterion, criterion_group, criterion_main};
use ipc_core::ipc::{IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE};
use ipc_core::{Config, Credentials, Kernel};
use ipc_host_tests::{Lab, RecvOutcome, SendOutcome};
use std::hint::black_box;

fn component(c: &mut Criterion) {
    let mut lab = Lab::new();
    let p = lab.spawn(100, 10);
    let id = lab.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    let data = [0x5au8; 64];
    c.bench_function("component: msgsnd+msgrcv 64 B", |b| {
        b.iter(|| {
            let sent = lab.msgsnd(p.thread, id, 1, black_box(&data), IPC_NOWAIT, None);
            assert_eq!(sent, Ok(SendOutcome::Sent));
            let got = lab.msgrcv(p.thread, id, 64, 0, IPC_NOWAIT, None);
            assert!(matches!(got, Ok(RecvOutcome::Received(ref m)) if m.data.len() == 64));
            got
        })
    });
}

fn core(c: &mut Criterion) {
    let mut k = Kernel::new(Config::default()).expect("kernel");
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
    let id = k.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    let data = [0x5au8; 64];
    c.bench_function("ipc-core: msgsnd+msgrcv 64 B", |b| {
        b.iter(|| {
            let sent = k.msgsnd(t, id, 1, black_box(&data), IPC_NOWAIT, None);
            assert!(!sent.is_blocked());
            k.msgrcv(t, id, 64, 0, IPC_NOWAIT, None)
        })
    });
}

criterion_group!(benches, component, core);
criterion_main!(benches);
