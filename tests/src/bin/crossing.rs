//! # `crossing`: what one call into the component costs, in instructions
//!
//! The side-by-side benchmark times calls; on a shared machine a time moves
//! by a third between runs.  An instruction count does not, so this tool
//! runs one call shape in a loop for `callgrind` to count, and the README's
//! account of a crossing (how much of a `semop1` is wasmtime's and how much
//! is the kernel's) comes from it.
//!
//! ```text
//! cargo build --release -p ipc-host-tests --bin crossing
//! valgrind -q --tool=none target/release/crossing compile
//! valgrind --tool=callgrind target/release/crossing semop1 20000
//! valgrind --tool=callgrind target/release/crossing semop1 70000
//! ```
//!
//! The difference of the two totals divided by 50000 is the cost of one
//! iteration, start-up excluded; `callgrind_annotate --inclusive=yes` on
//! either output splits it by function (the component's own code shows as
//! unnamed addresses: wasmtime's compiled code).
//!
//! * `compile` precompiles the kernel component (`IPC_COMPONENT_WASM`, as
//!   the host tests find it) next to it as `<file>.cwasm`, so that the
//!   counted runs do not include Cranelift.  Run it **under valgrind** too:
//!   wasmtime compiles for the CPU it sees, and valgrind's has fewer
//!   features (no AVX-512) than the real one.
//! * `now N`: `kernel.now`, the cheapest call (one `borrow<kernel>`, no
//!   other argument, a flat result): the crossing alone.
//! * `semop1 N`: a semop +1 then a semop -1 on a one-semaphore set
//!   (IPC_NOWAIT), the benchmark's pair: two crossings and the kernel's
//!   work.
//!
//! The engine is the one every host uses ([`ipclab_host::engine::engine`]).

use ipc_core::namespace::{IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE};
use ipc_host_tests::{Lab, Semop1Outcome, sembuf};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use wasmtime::component::Component;

fn cwasm() -> PathBuf {
    let mut p = ipclab_host::engine::kernel_component_path().into_os_string();
    p.push(".cwasm");
    PathBuf::from(p)
}

fn run(args: &[String]) -> Result<(), String> {
    let engine = ipclab_host::engine::engine();
    let (what, n) = match args {
        [w] if w == "compile" => {
            let component = ipclab_host::engine::kernel_component()?;
            let bytes = component.serialize().map_err(|e| e.to_string())?;
            std::fs::write(cwasm(), bytes).map_err(|e| format!("cannot write {}: {e}", cwasm().display()))?;
            println!("precompiled into {}", cwasm().display());
            return Ok(());
        }
        [w, n] => (w.as_str(), n.parse::<u64>().map_err(|_| format!("not a count: {n}"))?),
        _ => return Err("usage: crossing compile | crossing now N | crossing semop1 N".into()),
    };
    // SAFETY: the file is what `crossing compile` wrote for this engine;
    // wasmtime checks its header and its compilation settings.
    let component = unsafe { Component::deserialize_file(engine, cwasm()) }
        .map_err(|e| format!("{}: {e} (run `crossing compile` under valgrind first)", cwasm().display()))?;
    let mut lab = Lab::on(&component, |_| {});
    let t = lab.spawn(100, 10).thread;
    let id = lab.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).map_err(|e| format!("semget: {e:?}"))?;
    let nowait = IPC_NOWAIT as i16;
    let (up, down) = (sembuf(0, 1, nowait), sembuf(0, -1, nowait));
    match what {
        "now" => (0..n).for_each(|_| {
            black_box(lab.now());
        }),
        "semop1" => {
            for _ in 0..n {
                if lab.semop1(t, id, up, None) != Ok(Semop1Outcome::Done) {
                    return Err("semop +1 did not complete".into());
                }
                black_box(lab.semop1(t, id, down, None)).map_err(|e| format!("semop -1: {e:?}"))?;
            }
        }
        other => return Err(format!("unknown call shape {other}: now or semop1")),
    }
    println!("{n} × {what}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crossing: {e}");
            ExitCode::FAILURE
        }
    }
}
