//! # One kernel component instance, as a host holds it
//!
//! [`bindings`] is `bindgen!` over world `ipclab:ipc/kernel`; [`KernelHost`]
//! is a store with one instance of the kernel component and one kernel
//! resource created in it.  The runner keeps one behind a mutex and makes
//! every guest's system calls through it.

use std::sync::OnceLock;

use wasmtime::Store;
use wasmtime::component::{Linker, ResourceAny};

use crate::engine::{WasiState, engine, kernel_component};

/// Generated bindings of the `kernel` world (the embedder's view).
pub mod bindings {
    wasmtime::component::bindgen!({ world: "kernel", path: "../wit", additional_derives: [PartialEq] });
}

use bindings::exports::ipclab::ipc::system::Config;
use bindings::exports::ipclab::ipc::types::{Credentials, Errno};

/// The kernel component linked with WASI, once per process: every
/// [`KernelHost`] (one per run, many per `explore`) only instantiates it.
pub(crate) fn kernel_pre() -> Result<&'static bindings::KernelPre<WasiState>, String> {
    static PRE: OnceLock<Result<bindings::KernelPre<WasiState>, String>> = OnceLock::new();
    PRE.get_or_init(|| {
        let component = kernel_component()?;
        let mut linker = Linker::<WasiState>::new(engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("WASI in the linker: {e}"))?;
        let pre = linker.instantiate_pre(component).map_err(|e| format!("link the kernel component: {e:?}"))?;
        bindings::KernelPre::new(pre).map_err(|e| format!("the kernel component's exports: {e:?}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// A store holding one instance of the kernel component and one kernel.
pub struct KernelHost {
    pub store: Store<WasiState>,
    pub world: bindings::Kernel,
    pub kernel: ResourceAny,
}

/// A process the host spawned: its handles in the kernel instance.
#[derive(Debug, Clone, Copy)]
pub struct Spawned {
    pub process: ResourceAny,
    pub thread: ResourceAny,
    pub pid: u32,
    pub tid: u32,
}

impl KernelHost {
    /// A fresh instance and a kernel of `config` (the defaults if `None`).
    pub fn new(config: Option<Config>) -> Result<KernelHost, String> {
        let mut store = Store::new(engine(), WasiState::bare());
        let world =
            kernel_pre()?.instantiate(&mut store).map_err(|e| format!("instantiate the kernel component: {e:?}"))?;
        let sys = world.ipclab_ipc_system();
        let config = match config {
            Some(c) => c,
            None => sys.call_default_config(&mut store).map_err(|e| format!("default-config trapped: {e:?}"))?,
        };
        let kernel = sys
            .kernel()
            .call_create(&mut store, config)
            .map_err(|e| format!("kernel.create trapped: {e:?}"))?
            .map_err(|e| format!("kernel.create: {e:?}"))?;
        Ok(KernelHost { store, world, kernel })
    }

    /// Spawns a process with these credentials; its first thread acts for it.
    pub fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> wasmtime::Result<Result<Spawned, Errno>> {
        let sys = self.world.ipclab_ipc_system();
        let process = match sys.kernel().call_spawn(&mut self.store, self.kernel, cred, zone, project)? {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let pid = sys.process().call_pid(&mut self.store, process)?;
        let thread = sys.process().call_main_thread(&mut self.store, process)?;
        let tid = sys.thread().call_tid(&mut self.store, thread)?;
        Ok(Ok(Spawned { process, thread, pid, tid }))
    }

    /// `thread.take-result`: EAGAIN while the thread's call is parked.
    pub fn take_result(
        &mut self,
        thread: ResourceAny,
    ) -> wasmtime::Result<Result<bindings::exports::ipclab::ipc::system::Completion, Errno>> {
        self.world.ipclab_ipc_system().thread().call_take_result(&mut self.store, thread)
    }

    /// `process.exit`.
    pub fn exit(&mut self, process: ResourceAny) -> wasmtime::Result<Result<(), Errno>> {
        self.world.ipclab_ipc_system().process().call_exit(&mut self.store, process)
    }

    /// The kernel's whole state as JSON (`kernel.snapshot`).
    pub fn snapshot(&mut self) -> wasmtime::Result<String> {
        self.world.ipclab_ipc_system().kernel().call_snapshot(&mut self.store, self.kernel)
    }

    /// The tids the kernel woke since `cursor`, and the next cursor.
    pub fn woken(&mut self, cursor: u64) -> wasmtime::Result<(Vec<u32>, u64)> {
        self.world.ipclab_ipc_system().kernel().call_woken(&mut self.store, self.kernel, cursor)
    }

    /// The earliest deadline or timer expiry, if any (`kernel.next-deadline`).
    pub fn next_deadline(&mut self) -> wasmtime::Result<Option<u64>> {
        self.world.ipclab_ipc_system().kernel().call_next_deadline(&mut self.store, self.kernel)
    }

    /// The newest event in one line of words (`event.text`), if the log
    /// still holds it: the kernel's own account of the call just made.
    pub fn last_event_text(&mut self) -> wasmtime::Result<Option<String>> {
        let sys = self.world.ipclab_ipc_system();
        let (_, next) = sys.kernel().call_woken(&mut self.store, self.kernel, u64::MAX)?;
        let (events, _) = sys.kernel().call_events(&mut self.store, self.kernel, next.saturating_sub(1))?;
        Ok(events.last().map(|e| e.text.clone()))
    }

    /// Logical time in nanoseconds.
    pub fn now(&mut self) -> wasmtime::Result<u64> {
        self.world.ipclab_ipc_system().kernel().call_now(&mut self.store, self.kernel)
    }

    /// Moves the logical clock forward to `t` if it is behind.
    pub fn advance_to(&mut self, t: u64) -> wasmtime::Result<()> {
        let now = self.now()?;
        if t > now {
            self.advance(t - now)?;
        }
        Ok(())
    }

    /// Moves the logical clock forward by `ns` (`kernel.advance`); the new time.
    pub fn advance(&mut self, ns: u64) -> wasmtime::Result<u64> {
        self.world.ipclab_ipc_system().kernel().call_advance(&mut self.store, self.kernel, ns)
    }
}
