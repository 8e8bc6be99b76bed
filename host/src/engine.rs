//! # The wasmtime embedding every ipclab host shares
//!
//! One [`Engine`] per process (`concurrency_support(false)`: the kernel's
//! calls are synchronous, and the async-capable configuration costs ~3× per
//! call), the kernel component compiled once, and the store data WASI needs.
//! The host tests, the benchmark and `ipclab` all go through here.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasmtime::component::{Component, ResourceTable};
use wasmtime::{Config as EngineConfig, Engine};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Store data for a component that imports only WASI.
pub struct WasiState {
    pub ctx: WasiCtx,
    pub table: ResourceTable,
}

impl WasiState {
    /// WASI with nothing inherited: no arguments, environment or stdio.
    pub fn bare() -> Self {
        WasiState { ctx: WasiCtx::builder().build(), table: ResourceTable::new() }
    }
}

impl WasiView for WasiState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

/// The process-wide engine.  `IPC_WASM_PERFMAP=1` names compiled wasm
/// functions for `perf` (writes /tmp/perf-<pid>.map).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut cfg = EngineConfig::new();
        cfg.concurrency_support(false);
        if std::env::var_os("IPC_WASM_PERFMAP").is_some() {
            cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        Engine::new(&cfg).expect("a wasmtime engine with the default configuration")
    })
}

/// The engine guest programs run on: the kernel's configuration plus
/// **fuel**, so that a guest that computes forever is stopped after its
/// budget of wasm instructions (fuel counts only instructions the guest
/// executes, never the time it spends blocked in a kernel call).  A
/// separate engine keeps the fuel checks out of the kernel component's code.
pub fn guest_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut cfg = EngineConfig::new();
        cfg.concurrency_support(false);
        cfg.consume_fuel(true);
        Engine::new(&cfg).expect("a wasmtime engine with fuel")
    })
}

/// The workspace's `target/` directory (`CARGO_TARGET_DIR` if set).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(p) => PathBuf::from(p),
        // The workspace's directory, named without a `host/..` detour.
        None => Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).join("target"),
    }
}

/// Where the kernel component is: `IPC_COMPONENT_WASM`, else
/// `target/ipc-component.wasm` (where `cargo xtask test` puts it).
pub fn kernel_component_path() -> PathBuf {
    match std::env::var_os("IPC_COMPONENT_WASM") {
        Some(p) => PathBuf::from(p),
        None => target_dir().join("ipc-component.wasm"),
    }
}

/// Compiles a component for the kernel's [`engine`], saying which file
/// failed and how.
pub fn load(path: &Path) -> Result<Component, String> {
    load_on(engine(), path)
}

/// Compiles a guest program for the [`guest_engine`].
pub fn load_guest(path: &Path) -> Result<Component, String> {
    load_on(guest_engine(), path)
}

fn load_on(engine: &Engine, path: &Path) -> Result<Component, String> {
    if !path.exists() {
        return Err(format!(
            "{} does not exist (`cargo xtask test` builds the kernel component and the example guests)",
            path.display()
        ));
    }
    Component::from_file(engine, path).map_err(|e| format!("cannot compile {}: {e:?}", path.display()))
}

/// The kernel component, compiled once per process.
pub fn kernel_component() -> Result<&'static Component, String> {
    static KERNEL: OnceLock<Result<Component, String>> = OnceLock::new();
    KERNEL.get_or_init(|| load(&kernel_component_path())).as_ref().map_err(Clone::clone)
}
