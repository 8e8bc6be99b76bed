//! # The wasmtime embedding every ipclab host shares
//!
//! One [`Engine`] per process (`concurrency_support(false)`: the kernel's
//! calls are synchronous, and the async-capable configuration costs ~3× per
//! call), the kernel component compiled once, and the store data WASI needs.
//! The host tests, the benchmark and `ipclab` all go through here.
//!
//! ## The compile cache
//! Compiling the 2.2 MB kernel component takes about two seconds, most of
//! a short run.  [`load`] and [`load_guest`] keep wasmtime's precompiled
//! form under `target/ipclab-cache/`, named by a hash of the component's
//! bytes and of the engine's compatibility hash (its configuration and
//! wasmtime's version): a changed component or engine gets a new entry,
//! and an entry wasmtime refuses to deserialize is compiled again.

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

/// What both engines share: synchronous components, and with
/// `IPC_WASM_PERFMAP=1` compiled wasm functions named for `perf` (writes
/// /tmp/perf-<pid>.map).
fn base_config() -> EngineConfig {
    let mut cfg = EngineConfig::new();
    cfg.concurrency_support(false);
    if std::env::var_os("IPC_WASM_PERFMAP").is_some() {
        cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    cfg
}

/// The process-wide engine.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(&base_config()).expect("a wasmtime engine with the default configuration"))
}

/// The engine guest programs run on: the kernel's configuration plus
/// **fuel**, so that a guest that computes forever is stopped after its
/// budget of wasm instructions (fuel counts only instructions the guest
/// executes, never the time it spends waiting in a kernel call), and which
/// also pre-empts long computation deterministically
/// (`fuel_async_yield_interval`, see `sim`).  Guests run as async calls
/// on fibers; the kernel calls they make run on the fiber's stack, hence
/// the larger async stack.  A separate engine keeps the fuel checks out of
/// the kernel component's code.
pub fn guest_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut cfg = base_config();
        cfg.consume_fuel(true);
        cfg.async_stack_size(4 << 20);
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
        // Only what the project builds gets the hint to build it.
        let built = path.starts_with(target_dir()) || path.starts_with("target");
        let hint = if built { " (`cargo xtask test` builds the kernel component and the example guests)" } else { "" };
        return Err(format!("{} does not exist{hint}", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cached = cache_entry(engine, path, &bytes);
    if let Some(entry) = &cached
        && entry.exists()
    {
        // SAFETY: the file is one this function wrote with
        // `Component::serialize` for an engine of the same compatibility
        // hash (its name says so); wasmtime checks the header and refuses
        // a mismatch, in which case the component is compiled again.
        if let Ok(c) = unsafe { Component::deserialize_file(engine, entry) } {
            return Ok(c);
        }
    }
    let component =
        Component::from_binary(engine, &bytes).map_err(|e| format!("cannot compile {}: {e:?}", path.display()))?;
    if let Some(entry) = cached
        && let Ok(serialized) = component.serialize()
    {
        // A cache that cannot be written only costs the next run a compile.
        // Written aside and renamed, so a concurrent run never reads half.
        let tmp = entry.with_extension(format!("{}.tmp", std::process::id()));
        if std::fs::create_dir_all(entry.parent().unwrap_or(Path::new("."))).is_ok()
            && std::fs::write(&tmp, serialized).is_ok()
        {
            let _ = std::fs::rename(&tmp, &entry);
        }
    }
    Ok(component)
}

/// Where the precompiled form of `bytes` for `engine` is kept (`None`
/// with `IPCLAB_NO_CACHE` set).
fn cache_entry(engine: &Engine, path: &Path, bytes: &[u8]) -> Option<PathBuf> {
    use std::hash::{Hash, Hasher};
    if std::env::var_os("IPCLAB_NO_CACHE").is_some() {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    bytes.hash(&mut h);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
    Some(target_dir().join("ipclab-cache").join(format!("{stem}-{:016x}.cwasm", h.finish())))
}

/// The kernel component, compiled once per process.
pub fn kernel_component() -> Result<&'static Component, String> {
    static KERNEL: OnceLock<Result<Component, String>> = OnceLock::new();
    KERNEL.get_or_init(|| load(&kernel_component_path())).as_ref().map_err(Clone::clone)
}
