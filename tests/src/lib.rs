//! # ipc-host-tests: the component, driven from a wasmtime host
//!
//! This crate is a test harness, not a library anyone ships.  It loads the
//! built `ipc-component` (the kernel as a WebAssembly component, world
//! `ipclab:ipc/kernel` in `wit/ipc.wit`) into wasmtime and calls every
//! export through the WIT, exactly as any other embedder would.  The tests
//! do not link `ipc-core` (only the benchmark does, as a baseline), so they
//! check the adapter's conversions and the kernel's behaviour *as seen
//! through the component boundary*.
//!
//! ## How it is put together
//! * [`bindings`] is the host crate's `bindgen!` over `../wit` (world `kernel`),
//!   and the engine and component loading are its `engine` module: one
//!   embedding for the tests, the benchmark and `ipclab`.
//! * The component is compiled once per test binary (a `OnceLock` holding
//!   the `Engine` and `Component`); every [`Lab`] is a fresh `Store` and
//!   instance, so tests are independent.
//! * [`Lab`] wraps each export in a method that returns the WIT-level
//!   value.  A wasmtime-level error means the component **trapped** (which
//!   would destroy every object in the instance): the wrappers turn that
//!   into a test failure naming the call, so every call made through a
//!   wrapper also asserts "no trap".
//! * Exported resources come back as [`ResourceAny`]; a test may drop them
//!   with [`Lab::drop_resource`] (the instance is dropped with the store anyway).
//!
//! ## Running
//! `cargo xtask test` builds the component, copies it to
//! `target/ipc-component.wasm` and runs `cargo test -p ipc-host-tests
//! --release` with `IPC_COMPONENT_WASM` pointing at it.  Run by hand, the
//! harness reads `IPC_COMPONENT_WASM` or falls back to
//! `<workspace>/target/ipc-component.wasm`.  Use `--release`: wasmtime in
//! the dev profile is about twenty times slower.

use wasmtime::Store;
use wasmtime::component::{Component, Linker, ResourceAny};

pub use ipclab_host::engine::WasiState as State;
/// Generated bindings of the `kernel` world: the host crate's, shared.
pub use ipclab_host::kernel::bindings;

pub use bindings::exports::ipclab::ipc::fd::{ReadOutcome, WriteOutcome};
pub use bindings::exports::ipclab::ipc::inspect::{FdKind, FdTableView, PipeView, PortView};
pub use bindings::exports::ipclab::ipc::inspect::{
    KeyNode, MsgQueueView, NamespaceView, ProcessView, PsemSemView, PsemState, PsemTableView, SemSetView, ThreadState,
    WaitFor, WaiterView,
};
pub use bindings::exports::ipclab::ipc::inspect::{ShmSegView, ShmTableView};
pub use bindings::exports::ipclab::ipc::msg::{GetOp, Op, OpResult, RecvOp, RecvOutcome, SendOp, SendOutcome};
pub use bindings::exports::ipclab::ipc::msg::{PortGetnOp, PortSendOp};
pub use bindings::exports::ipclab::ipc::msg::{Semop1Op, SemopOp};
pub use bindings::exports::ipclab::ipc::msg::{ShmReadOp, ShmWriteOp};
pub use bindings::exports::ipclab::ipc::port::{GetOutcome, GetnOutcome, SendnResult};
pub use bindings::exports::ipclab::ipc::psem::{OpenFlags, WaitOutcome};
pub use bindings::exports::ipclab::ipc::sem::{SemctlArg, SemctlReply, Semop1Outcome, SemopOutcome};
pub use bindings::exports::ipclab::ipc::shm::{ShmctlReply, Tunable};
pub use bindings::exports::ipclab::ipc::system::{
    Completion, Config, Event, EventOutcome, MsgLimits, PsemLimits, Reply, SemLimits, ShmLimits, Step, StepKind,
};
pub use bindings::exports::ipclab::ipc::types::{
    Credentials, Errno, Facility, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, SemidSet, ShmSet,
    ShmidDs, Timespec,
};
pub use wasmtime::component::ResourceAny as Res;

/// Flag values (octal), as in the WIT's `msg` interface.
pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;
pub const MSG_NOERROR: i32 = 0o10000;
pub const IPC_RMID: i32 = 10;
pub const IPC_SET: i32 = 11;
pub const IPC_STAT: i32 = 12;
/// Mode bit while in the namespace, and the waiting bits of IPC_STAT.
pub const IPC_ALLOC: u32 = 0o100000;
pub const MSG_RWAIT: u32 = 0o1000;
pub const MSG_WWAIT: u32 = 0o2000;
/// shmget / shmat flags and shmctl commands.
pub const SHM_RMLINGER: i32 = 0x2000;
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_LOCK: i32 = 3;
pub const SHM_UNLOCK: i32 = 4;
/// Where the kernel attaches when shmaddr is 0, and the page.
pub const SHM_VA_BASE: u64 = 0x1000_0000;
pub const PAGE: u64 = 4096;
/// semop flag: adjust on exit.
pub const SEM_UNDO: i16 = 0o10000;
/// semctl commands (illumos numbers).
pub const GETNCNT: i32 = 3;
pub const GETPID: i32 = 4;
pub const GETVAL: i32 = 5;
pub const GETALL: i32 = 6;
pub const GETZCNT: i32 = 7;
pub const SETVAL: i32 = 8;
pub const SETALL: i32 = 9;

/// One semop operation.
pub fn sembuf(sem_num: u16, sem_op: i16, sem_flg: i16) -> Sembuf {
    Sembuf { sem_num, sem_op, sem_flg }
}

/// The engine and the compiled kernel component, shared by every test of a
/// binary (the host crate's embedding: `ipclab_host::engine`).
pub fn engine_and_component() -> (&'static wasmtime::Engine, &'static Component) {
    let component = ipclab_host::engine::kernel_component().unwrap_or_else(|e| {
        panic!(
            "{e}: run `cargo xtask test` (it builds the component and sets IPC_COMPONENT_WASM), \
             or set IPC_COMPONENT_WASM to a built ipc-component.wasm"
        )
    });
    (ipclab_host::engine::engine(), component)
}

/// `.expect` for wasmtime-level results: an `Err` there is a trap.
fn no_trap<T>(r: wasmtime::Result<T>, call: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("the component trapped in {call}: {e:?}"),
    }
}

/// Unprivileged credentials with real = effective ids and no groups.
pub fn user(uid: u32, gid: u32) -> Credentials {
    Credentials { ruid: uid, euid: uid, rgid: gid, egid: gid, groups: Vec::new(), privileged: false }
}

/// The superuser.
pub fn root() -> Credentials {
    Credentials { privileged: true, ..user(0, 0) }
}

/// A process handle together with its main thread.
#[derive(Debug, Clone, Copy)]
pub struct Proc {
    pub process: ResourceAny,
    pub thread: ResourceAny,
}

/// One store and one component instance, with a kernel created in it.
pub struct Lab {
    pub store: Store<State>,
    pub world: bindings::Kernel,
    /// The kernel the kernel-level wrappers act on.
    pub kernel: ResourceAny,
}

impl Lab {
    /// A fresh instance with a kernel of the default configuration.
    pub fn new() -> Lab {
        Lab::new_with(|_| {})
    }

    /// [`Lab::new`], with `setup` applied to the store before the component
    /// is instantiated (e.g. a resource limiter that watches linear memory).
    pub fn new_with(setup: impl FnOnce(&mut Store<State>)) -> Lab {
        Lab::on(engine_and_component().1, setup)
    }

    /// [`Lab::new_with`] over a component the caller compiled (or loaded
    /// precompiled) for the host's engine.
    pub fn on(component: &Component, setup: impl FnOnce(&mut Store<State>)) -> Lab {
        let engine = component.engine();
        let mut linker = Linker::<State>::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI in the linker");
        let mut store = Store::new(engine, State::bare());
        setup(&mut store);
        let world = bindings::Kernel::instantiate(&mut store, component, &linker).expect("instantiate the component");
        let sys = world.ipclab_ipc_system();
        let cfg = no_trap(sys.call_default_config(&mut store), "default-config");
        let kernel = no_trap(sys.kernel().call_create(&mut store, cfg), "kernel.create").expect("default kernel");
        Lab { store, world, kernel }
    }

    /// A fresh instance with a kernel of this configuration.
    pub fn with_config(cfg: &Config) -> Lab {
        let mut lab = Lab::new();
        lab.kernel = lab.create(cfg).expect("kernel with this config");
        lab
    }

    // ----- system: free functions and the kernel resource -----

    pub fn default_config(&mut self) -> Config {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.call_default_config(&mut self.store), "default-config")
    }

    /// `kernel.create`; the new kernel is returned, not installed.
    pub fn create(&mut self, cfg: &Config) -> Result<ResourceAny, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_create(&mut self.store, *cfg), "kernel.create")
    }

    pub fn spawn_cred(&mut self, cred: &Credentials, zone: u32, project: u32) -> Result<ResourceAny, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_spawn(&mut self.store, self.kernel, cred, zone, project), "kernel.spawn")
    }

    /// A process in zone 0, project 1, with its main thread.
    pub fn spawn_as(&mut self, cred: &Credentials) -> Proc {
        self.spawn_in(cred, 0, 1)
    }

    pub fn spawn_in(&mut self, cred: &Credentials, zone: u32, project: u32) -> Proc {
        let process = self.spawn_cred(cred, zone, project).expect("spawn");
        let thread = self.main_thread(process);
        Proc { process, thread }
    }

    /// An unprivileged process `uid`/`gid` in zone 0, project 1.
    pub fn spawn(&mut self, uid: u32, gid: u32) -> Proc {
        self.spawn_as(&user(uid, gid))
    }

    pub fn now(&mut self) -> u64 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_now(&mut self.store, self.kernel), "kernel.now")
    }

    pub fn advance(&mut self, ns: u64) -> u64 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_advance(&mut self.store, self.kernel, ns), "kernel.advance")
    }

    pub fn events(&mut self, cursor: u64) -> (Vec<Event>, u64) {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_events(&mut self.store, self.kernel, cursor), "kernel.events")
    }

    /// The tids woken since `cursor`, and the next cursor.
    pub fn woken(&mut self, cursor: u64) -> (Vec<u32>, u64) {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_woken(&mut self.store, self.kernel, cursor), "kernel.woken")
    }

    /// The newest event.
    pub fn last_event(&mut self) -> Event {
        let (events, _) = self.events(0);
        events.last().cloned().expect("at least one event")
    }

    pub fn set_project_limit(&mut self, project: u32, facility: Facility, max_ids: u32) {
        let sys = self.world.ipclab_ipc_system();
        no_trap(
            sys.kernel().call_set_project_limit(&mut self.store, self.kernel, project, facility, max_ids),
            "kernel.set-project-limit",
        )
    }

    pub fn set_zone_limit(&mut self, zone: u32, facility: Facility, max_ids: u32) -> Result<(), Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(
            sys.kernel().call_set_zone_limit(&mut self.store, self.kernel, zone, facility, max_ids),
            "kernel.set-zone-limit",
        )
    }

    pub fn set_step_recording(&mut self, on: bool) {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_set_step_recording(&mut self.store, self.kernel, on), "kernel.set-step-recording")
    }

    pub fn zone_remove(&mut self, zone: u32) -> Result<u32, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_zone_remove(&mut self.store, self.kernel, zone), "kernel.zone-remove")
    }

    pub fn snapshot(&mut self) -> String {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_snapshot(&mut self.store, self.kernel), "kernel.snapshot")
    }

    pub fn restore(&mut self, snapshot: &str) -> Result<(), Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_restore(&mut self.store, self.kernel, snapshot), "kernel.restore")
    }

    pub fn checkpoint(&mut self) -> ResourceAny {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_checkpoint(&mut self.store, self.kernel), "kernel.checkpoint")
    }

    pub fn rewind(&mut self, to: ResourceAny) {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.kernel().call_rewind(&mut self.store, self.kernel, to), "kernel.rewind")
    }

    pub fn checkpoint_size(&mut self, cp: ResourceAny) -> u64 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.checkpoint().call_size(&mut self.store, cp), "checkpoint.size")
    }

    // ----- the process resource -----

    pub fn pid(&mut self, p: ResourceAny) -> u32 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_pid(&mut self.store, p), "process.pid")
    }

    pub fn main_thread(&mut self, p: ResourceAny) -> ResourceAny {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_main_thread(&mut self.store, p), "process.main-thread")
    }

    pub fn thread_create(&mut self, p: ResourceAny) -> Result<ResourceAny, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_thread_create(&mut self.store, p), "process.thread-create")
    }

    pub fn fork(&mut self, p: ResourceAny) -> Result<ResourceAny, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_fork(&mut self.store, p), "process.fork")
    }

    pub fn exec(&mut self, p: ResourceAny) -> Result<(), Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_exec(&mut self.store, p), "process.exec")
    }

    pub fn exit(&mut self, p: ResourceAny) -> Result<(), Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.process().call_exit(&mut self.store, p), "process.exit")
    }

    // ----- the thread resource -----

    pub fn tid(&mut self, t: ResourceAny) -> u32 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.thread().call_tid(&mut self.store, t), "thread.tid")
    }

    pub fn thread_pid(&mut self, t: ResourceAny) -> u32 {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.thread().call_pid(&mut self.store, t), "thread.pid")
    }

    pub fn take_result(&mut self, t: ResourceAny) -> Result<Completion, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.thread().call_take_result(&mut self.store, t), "thread.take-result")
    }

    pub fn interrupt(&mut self, t: ResourceAny) -> Result<bool, Errno> {
        let sys = self.world.ipclab_ipc_system();
        no_trap(sys.thread().call_interrupt(&mut self.store, t), "thread.interrupt")
    }

    /// Drops a handle (runs the guest destructor).
    pub fn drop_resource(&mut self, r: ResourceAny) {
        no_trap(r.resource_drop(&mut self.store), "resource drop")
    }

    // ----- msg -----

    pub fn msgget(&mut self, t: ResourceAny, key: i32, msgflg: i32) -> Result<i32, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgget(&mut self.store, t, key, msgflg), "msgget")
    }

    pub fn msgsnd(
        &mut self,
        t: ResourceAny,
        msqid: i32,
        mtype: i64,
        data: &[u8],
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Result<SendOutcome, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgsnd(&mut self.store, t, msqid, mtype, data, msgflg, timeout), "msgsnd")
    }

    /// msgsnd with IPC_NOWAIT that must complete: `Ok(())` or the errno.
    pub fn send(&mut self, t: ResourceAny, msqid: i32, mtype: i64, data: &[u8]) -> Result<(), Errno> {
        match self.msgsnd(t, msqid, mtype, data, IPC_NOWAIT, None)? {
            SendOutcome::Sent => Ok(()),
            SendOutcome::Blocked(r) => panic!("msgsnd with IPC_NOWAIT parked: {r}"),
        }
    }

    pub fn msgrcv(
        &mut self,
        t: ResourceAny,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        msgflg: i32,
        timeout: Option<u64>,
    ) -> Result<RecvOutcome, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgrcv(&mut self.store, t, msqid, msgsz, msgtyp, msgflg, timeout), "msgrcv")
    }

    /// msgrcv with IPC_NOWAIT that must complete: the message or the errno.
    pub fn recv(&mut self, t: ResourceAny, msqid: i32, msgsz: u64, msgtyp: i64) -> Result<Received, Errno> {
        match self.msgrcv(t, msqid, msgsz, msgtyp, IPC_NOWAIT, None)? {
            RecvOutcome::Received(m) => Ok(m),
            RecvOutcome::Blocked(r) => panic!("msgrcv with IPC_NOWAIT parked: {r}"),
        }
    }

    pub fn stat(&mut self, t: ResourceAny, msqid: i32) -> Result<MsqidDs, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgctl_stat(&mut self.store, t, msqid), "msgctl-stat")
    }

    pub fn set(&mut self, t: ResourceAny, msqid: i32, buf: &MsqidSet) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgctl_set(&mut self.store, t, msqid, *buf), "msgctl-set")
    }

    pub fn rmid(&mut self, t: ResourceAny, msqid: i32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgctl_rmid(&mut self.store, t, msqid), "msgctl-rmid")
    }

    pub fn msgctl(&mut self, t: ResourceAny, msqid: i32, cmd: i32, buf: Option<&MsqidSet>) -> Result<Reply, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgctl(&mut self.store, t, msqid, cmd, buf.copied()), "msgctl")
    }

    pub fn msgids(&mut self, t: ResourceAny) -> Result<Vec<i32>, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_msgids(&mut self.store, t), "msgids")
    }

    /// `batch`: several operations for one thread in one crossing.
    pub fn batch(&mut self, t: ResourceAny, ops: &[Op]) -> Result<Vec<Result<OpResult, Errno>>, Errno> {
        let m = self.world.ipclab_ipc_msg();
        no_trap(m.call_batch(&mut self.store, t, ops), "batch")
    }

    // ----- sem -----

    pub fn semget(&mut self, t: ResourceAny, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semget(&mut self.store, t, key, nsems, semflg), "semget")
    }

    pub fn semop(
        &mut self,
        t: ResourceAny,
        semid: i32,
        sops: &[Sembuf],
        timeout: Option<u64>,
    ) -> Result<SemopOutcome, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semop(&mut self.store, t, semid, sops, timeout), "semop")
    }

    pub fn semop1(
        &mut self,
        t: ResourceAny,
        semid: i32,
        op: Sembuf,
        timeout: Option<u64>,
    ) -> Result<Semop1Outcome, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semop1(&mut self.store, t, semid, op, timeout), "semop1")
    }

    /// GETVAL / GETPID / GETNCNT / GETZCNT through their typed exports.
    pub fn semctl_get(&mut self, t: ResourceAny, semid: i32, semnum: u32, cmd: i32) -> Result<u32, Errno> {
        let m = self.world.ipclab_ipc_sem();
        let r = match cmd {
            GETVAL => m.call_semctl_getval(&mut self.store, t, semid, semnum),
            GETPID => m.call_semctl_getpid(&mut self.store, t, semid, semnum),
            GETNCNT => m.call_semctl_getncnt(&mut self.store, t, semid, semnum),
            GETZCNT => m.call_semctl_getzcnt(&mut self.store, t, semid, semnum),
            other => panic!("semctl_get takes GETVAL/GETPID/GETNCNT/GETZCNT, not {other}"),
        };
        no_trap(r, "semctl-get*")
    }

    pub fn semctl_getall(&mut self, t: ResourceAny, semid: i32) -> Result<Vec<u32>, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_getall(&mut self.store, t, semid), "semctl-getall")
    }

    pub fn semctl_setval(&mut self, t: ResourceAny, semid: i32, semnum: u32, val: i32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_setval(&mut self.store, t, semid, semnum, val), "semctl-setval")
    }

    pub fn semctl_setall(&mut self, t: ResourceAny, semid: i32, vals: &[u32]) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_setall(&mut self.store, t, semid, vals), "semctl-setall")
    }

    pub fn semctl_stat(&mut self, t: ResourceAny, semid: i32) -> Result<SemidDs, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_stat(&mut self.store, t, semid), "semctl-stat")
    }

    pub fn semctl_set(&mut self, t: ResourceAny, semid: i32, buf: SemidSet) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_set(&mut self.store, t, semid, buf), "semctl-set")
    }

    pub fn semctl_rmid(&mut self, t: ResourceAny, semid: i32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl_rmid(&mut self.store, t, semid), "semctl-rmid")
    }

    pub fn semctl(
        &mut self,
        t: ResourceAny,
        semid: i32,
        semnum: u32,
        cmd: i32,
        arg: &SemctlArg,
    ) -> Result<SemctlReply, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semctl(&mut self.store, t, semid, semnum, cmd, arg), "semctl")
    }

    pub fn semids(&mut self, t: ResourceAny) -> Result<Vec<i32>, Errno> {
        let m = self.world.ipclab_ipc_sem();
        no_trap(m.call_semids(&mut self.store, t), "semids")
    }

    // ----- fd and port -----

    pub fn pipe(&mut self, t: ResourceAny) -> Result<(i32, i32), Errno> {
        let m = self.world.ipclab_ipc_fd();
        no_trap(m.call_pipe(&mut self.store, t), "fd.pipe")
    }

    pub fn read(&mut self, t: ResourceAny, fd: i32, len: u32, nonblock: bool) -> Result<ReadOutcome, Errno> {
        let m = self.world.ipclab_ipc_fd();
        no_trap(m.call_read(&mut self.store, t, fd, len, nonblock), "fd.read")
    }

    pub fn write(&mut self, t: ResourceAny, fd: i32, data: &[u8], nonblock: bool) -> Result<WriteOutcome, Errno> {
        let m = self.world.ipclab_ipc_fd();
        no_trap(m.call_write(&mut self.store, t, fd, data, nonblock), "fd.write")
    }

    pub fn close(&mut self, t: ResourceAny, fd: i32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_fd();
        no_trap(m.call_close(&mut self.store, t, fd), "fd.close")
    }

    pub fn port_create(&mut self, t: ResourceAny) -> Result<i32, Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_create(&mut self.store, t), "port-create")
    }

    pub fn port_send(&mut self, t: ResourceAny, port: i32, events: i32, user: u64) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_send(&mut self.store, t, port, events, user), "port-send")
    }

    pub fn port_sendn(&mut self, t: ResourceAny, ports: &[i32], events: i32, user: u64) -> Result<SendnResult, Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_sendn(&mut self.store, t, ports, events, user), "port-sendn")
    }

    pub fn port_alert(&mut self, t: ResourceAny, port: i32, flags: i32, events: i32, user: u64) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_alert(&mut self.store, t, port, flags, events, user), "port-alert")
    }

    pub fn port_associate(
        &mut self,
        t: ResourceAny,
        port: i32,
        source: u16,
        object: u64,
        events: u16,
        user: u64,
    ) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_associate(&mut self.store, t, port, source, object, events, user), "port-associate")
    }

    pub fn port_dissociate(&mut self, t: ResourceAny, port: i32, source: u16, object: u64) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_dissociate(&mut self.store, t, port, source, object), "port-dissociate")
    }

    pub fn port_getn(
        &mut self,
        t: ResourceAny,
        port: i32,
        max: u32,
        nget: u32,
        timeout: Option<Timespec>,
    ) -> Result<GetnOutcome, Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_getn(&mut self.store, t, port, max, nget, timeout), "port-getn")
    }

    pub fn port_get(&mut self, t: ResourceAny, port: i32, timeout: Option<Timespec>) -> Result<GetOutcome, Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_port_get(&mut self.store, t, port, timeout), "port-get")
    }

    pub fn timer_create(&mut self, t: ResourceAny, port: i32, user: u64) -> Result<u32, Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_timer_create(&mut self.store, t, port, user), "timer-create")
    }

    pub fn timer_settime(&mut self, t: ResourceAny, timer: u32, value: u64, interval: u64) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_timer_settime(&mut self.store, t, timer, value, interval), "timer-settime")
    }

    pub fn timer_delete(&mut self, t: ResourceAny, timer: u32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_port();
        no_trap(m.call_timer_delete(&mut self.store, t, timer), "timer-delete")
    }

    pub fn ports(&mut self) -> Vec<PortView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_ports(&mut self.store, self.kernel), "inspect.ports")
    }

    pub fn pipes(&mut self) -> Vec<PipeView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_pipes(&mut self.store, self.kernel), "inspect.pipes")
    }

    pub fn fd_tables(&mut self) -> Vec<FdTableView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_fd_tables(&mut self.store, self.kernel), "inspect.fd-tables")
    }

    // ----- shm -----

    pub fn shmget(&mut self, t: ResourceAny, key: i32, size: u64, shmflg: i32) -> Result<i32, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmget(&mut self.store, t, key, size, shmflg), "shmget")
    }

    pub fn shmat(&mut self, t: ResourceAny, shmid: i32, shmaddr: u64, shmflg: i32) -> Result<u64, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmat(&mut self.store, t, shmid, shmaddr, shmflg), "shmat")
    }

    pub fn shmdt(&mut self, t: ResourceAny, shmaddr: u64) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmdt(&mut self.store, t, shmaddr), "shmdt")
    }

    pub fn shmctl_stat(&mut self, t: ResourceAny, shmid: i32) -> Result<ShmidDs, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmctl_stat(&mut self.store, t, shmid), "shmctl-stat")
    }

    pub fn shmctl_set(&mut self, t: ResourceAny, shmid: i32, buf: ShmSet) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmctl_set(&mut self.store, t, shmid, buf), "shmctl-set")
    }

    pub fn shmctl_rmid(&mut self, t: ResourceAny, shmid: i32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmctl_rmid(&mut self.store, t, shmid), "shmctl-rmid")
    }

    pub fn shmctl_lock(&mut self, t: ResourceAny, shmid: i32, lock: bool) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmctl_lock(&mut self.store, t, shmid, lock), "shmctl-lock")
    }

    pub fn shmctl(&mut self, t: ResourceAny, shmid: i32, cmd: i32, buf: Option<ShmSet>) -> Result<ShmctlReply, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmctl(&mut self.store, t, shmid, cmd, buf), "shmctl")
    }

    pub fn shmids(&mut self, t: ResourceAny) -> Result<Vec<i32>, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_shmids(&mut self.store, t), "shmids")
    }

    pub fn shm_read(&mut self, t: ResourceAny, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_read(&mut self.store, t, addr, len), "shm.read")
    }

    pub fn shm_write(&mut self, t: ResourceAny, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_write(&mut self.store, t, addr, data), "shm.write")
    }

    pub fn shm_set_tunable(&mut self, t: ResourceAny, set: Tunable) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_shm();
        no_trap(m.call_set_tunable(&mut self.store, t, set), "shm.set-tunable")
    }

    pub fn shm(&mut self) -> ShmTableView {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_shm(&mut self.store, self.kernel), "inspect.shm")
    }

    // ----- psem -----

    pub fn sem_open(
        &mut self,
        t: ResourceAny,
        name: &str,
        oflag: OpenFlags,
        mode: u32,
        value: u32,
    ) -> Result<u32, Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_open(&mut self.store, t, name, oflag, mode, value), "sem-open")
    }

    pub fn sem_init(&mut self, t: ResourceAny, value: u32, pshared: bool) -> Result<u32, Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_init(&mut self.store, t, value, pshared), "sem-init")
    }

    pub fn sem_close(&mut self, t: ResourceAny, id: u32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_close(&mut self.store, t, id), "sem-close")
    }

    pub fn sem_unlink(&mut self, t: ResourceAny, name: &str) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_unlink(&mut self.store, t, name), "sem-unlink")
    }

    pub fn sem_destroy(&mut self, t: ResourceAny, id: u32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_destroy(&mut self.store, t, id), "sem-destroy")
    }

    pub fn sem_post(&mut self, t: ResourceAny, id: u32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_post(&mut self.store, t, id), "sem-post")
    }

    pub fn sem_wait(&mut self, t: ResourceAny, id: u32) -> Result<WaitOutcome, Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_wait(&mut self.store, t, id), "sem-wait")
    }

    pub fn sem_trywait(&mut self, t: ResourceAny, id: u32) -> Result<(), Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_trywait(&mut self.store, t, id), "sem-trywait")
    }

    pub fn sem_timedwait(&mut self, t: ResourceAny, id: u32, abstime: Timespec) -> Result<WaitOutcome, Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_timedwait(&mut self.store, t, id, abstime), "sem-timedwait")
    }

    pub fn sem_getvalue(&mut self, t: ResourceAny, id: u32) -> Result<u32, Errno> {
        let m = self.world.ipclab_ipc_psem();
        no_trap(m.call_sem_getvalue(&mut self.store, t, id), "sem-getvalue")
    }

    pub fn psem(&mut self) -> PsemTableView {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_psem(&mut self.store, self.kernel), "inspect.psem")
    }

    pub fn sem_sets(&mut self) -> Vec<SemSetView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_sem_sets(&mut self.store, self.kernel), "inspect.sem-sets")
    }

    // ----- inspect -----

    pub fn namespace(&mut self, facility: Facility) -> NamespaceView {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_namespace(&mut self.store, self.kernel, facility), "inspect.namespace")
    }

    pub fn msg_queues(&mut self) -> Vec<MsgQueueView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_msg_queues(&mut self.store, self.kernel), "inspect.msg-queues")
    }

    pub fn processes(&mut self) -> Vec<ProcessView> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_processes(&mut self.store, self.kernel), "inspect.processes")
    }

    /// The newest event explained: narration and marked kernel path.
    pub fn explain(&mut self) -> Option<bindings::exports::ipclab::ipc::inspect::Explanation> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_explain(&mut self.store, self.kernel), "inspect.explain")
    }

    /// `inspect.scene` with this window (JSON): the scene's JSON, or why not.
    pub fn scene(&mut self, window: &str) -> Result<String, String> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_scene(&mut self.store, self.kernel, window), "inspect.scene")
    }

    /// The deadlock's wait-for graph, if there is one.
    pub fn deadlock(&mut self) -> Option<Vec<WaitFor>> {
        let i = self.world.ipclab_ipc_inspect();
        no_trap(i.call_deadlock(&mut self.store, self.kernel), "inspect.deadlock")
    }

    /// The view of one queue.
    pub fn queue(&mut self, msqid: i32) -> MsgQueueView {
        self.msg_queues().into_iter().find(|q| q.id == msqid).expect("queue in inspect.msg-queues")
    }

    /// The instance still works: a fresh process can create a private queue.
    pub fn assert_alive(&mut self) {
        let p = self.spawn(4242, 4242);
        let id = self.msgget(p.thread, IPC_PRIVATE, IPC_CREAT | 0o600);
        assert!(id.is_ok(), "instance no longer usable: msgget IPC_PRIVATE gave {id:?}");
    }
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}
