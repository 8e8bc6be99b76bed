//! Benchmarks for the complexity claims: id lookup is O(1) (IPC_STAT on a
//! namespace of 16 vs 4096 queues), key lookup is O(log n) (msgget of an
//! existing key), and a msgsnd + msgrcv pair is O(1) in queue depth.
//! Run with `cargo bench -p ipc-core` (add `-- --quick` for a fast pass).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ipc_core::msg::MsgLimits;
use ipc_core::namespace::{IPC_CREAT, IPC_NOWAIT, IPC_STAT, IdSpace};
use ipc_core::{Config, Credentials, Kernel};
use std::hint::black_box;

fn populated(n: u32) -> (Kernel, u32, Vec<i32>) {
    let msg =
        MsgLimits { max_queues: n + 1, max_queue_messages: 1 << 20, max_queue_bytes: 1 << 30, ..MsgLimits::default() };
    let mut k = Kernel::new(Config { ids: IdSpace::default(), msg, event_capacity: 16, ..Config::default() }).unwrap();
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let ids = (1..=n as i32).map(|key| k.msgget(t, key, IPC_CREAT | 0o600).unwrap()).collect();
    (k, t, ids)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("id_lookup_ipc_stat");
    for n in [16u32, 4096] {
        let (mut k, t, ids) = populated(n);
        let id = ids[ids.len() / 2];
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| k.msgctl(t, black_box(id), IPC_STAT, None))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("key_lookup_msgget");
    for n in [16u32, 4096] {
        let (mut k, t, _) = populated(n);
        let key = (n / 2) as i32;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| b.iter(|| k.msgget(t, black_box(key), 0)));
    }
    g.finish();

    let mut g = c.benchmark_group("msgsnd_msgrcv_pair");
    for depth in [0usize, 10_000] {
        let (mut k, t, ids) = populated(1);
        for _ in 0..depth {
            let _ = k.msgsnd(t, ids[0], 2, &[0; 8], IPC_NOWAIT, None);
        }
        g.bench_with_input(BenchmarkId::new("queued_ahead", depth), &depth, |b, _| {
            b.iter(|| {
                let _ = k.msgsnd(t, ids[0], 1, black_box(&[0u8; 64]), IPC_NOWAIT, None);
                k.msgrcv(t, ids[0], 64, 1, IPC_NOWAIT, None)
            })
        });
    }
    g.finish();
}

criterion_group!(namespace, benches);
criterion_main!(namespace);
