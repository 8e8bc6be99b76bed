//! # The kernel a run's guests call: two backends, one interface
//!
//! ## Overview
//! Every guest's system call reaches one kernel through [`Backend`]: the
//! guest world's calls (`wit/guest.wit`) keyed by the calling thread's tid,
//! plus what the simulation itself asks (spawn, exit, the clock, whom the
//! kernel woke, the deadlock graph, a snapshot).  Two backends implement it:
//! * [`native::NativeKernel`] — `ipc-core` compiled into the host: a call
//!   is a Rust function call.  The default, because it is what makes a
//!   hosted round trip faster than Linux's by the margin the README's
//!   benchmark shows (no component crossing per call, per wake-up query,
//!   per clock move) and lets `explore` start a schedule without
//!   instantiating a component.
//! * [`component::ComponentKernel`] — the kernel **component** (the same
//!   `ipc-core` built for `wasm32-wasip2`) in its own wasmtime store,
//!   called through its WIT exports: `ipclab run --kernel component`.  The
//!   product embedders get; kept as a backend so every example is also run
//!   on it, and the two must agree byte for byte (`host/tests/simulation.rs`).
//!
//! ## Objects
//! The vocabulary is the WIT's ([`bindings`]: `bindgen!` over world
//! `kernel`): errnos, `msqid-ds`, `sembuf`, `port-event`, `completion`.
//! The component backend speaks it natively; the native one converts from
//! `ipc-core`'s types in one place (`native.rs`).
//!
//! ## Operations
//! A call that never parks returns [`Sys`]; one that may park returns
//! [`Call`]: done, or parked — then the kernel later reports the thread in
//! `woken` and the caller collects the [`Completion`] with `take_result`.
//!
//! ## Invariants
//! * A backend holds exactly one kernel; nothing else mutates it.
//! * Both backends answer every call identically (same errnos, same
//!   records, same event text): they run the same `ipc-core`.
//! * `wasmtime::Result`'s error is only ever a trap of the component
//!   backend; the native backend never fails that way.

pub mod component;
pub mod native;

pub use component::{ComponentKernel, KernelHost, Spawned};
pub use native::NativeKernel;

/// Generated bindings of the `kernel` world (the embedder's view), and the
/// types both backends answer in.
pub mod bindings {
    wasmtime::component::bindgen!({ world: "kernel", path: "../wit", additional_derives: [PartialEq] });
}

use bindings::exports::ipclab::ipc::system::Completion;
use bindings::exports::ipclab::ipc::types::{
    Credentials, Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};

/// A call that never parks: its result, or a trap of the component.
pub type Sys<T> = wasmtime::Result<Result<T, Errno>>;

/// A call that may park.
#[derive(Debug)]
pub enum Call<T> {
    /// It returned (or was refused) at once.
    Done(Result<T, Errno>),
    /// The kernel parked the thread; its completion comes later.
    Parked,
}

/// A call that may park, or a trap of the component.
pub type Parks<T> = wasmtime::Result<Call<T>>;

/// One edge set of the kernel's wait-for graph: who waits, in the
/// kernel's words, on what, held by whom.
#[derive(Debug, Clone)]
pub struct WaitFor {
    pub pid: u32,
    pub reason: String,
    pub holders: Vec<u32>,
}

/// Which backend a run uses (`ipclab run --kernel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Choice {
    /// `ipc-core` in the host.
    #[default]
    Native,
    /// The kernel component in its own store.
    Component,
}

impl Choice {
    /// A fresh kernel with the default configuration.
    pub fn create(self) -> Result<Box<dyn Backend>, String> {
        Ok(match self {
            Choice::Native => Box::new(NativeKernel::new()?),
            Choice::Component => Box::new(ComponentKernel::new()?),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Choice::Native => "native",
            Choice::Component => "component",
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Choice, String> {
        match s {
            "native" => Ok(Choice::Native),
            "component" => Ok(Choice::Component),
            _ => Err(format!("unknown kernel {s:?} (native or component)")),
        }
    }
}

/// One kernel, as the simulation and the guests' imports use it.  Calls
/// are made as thread `tid` (the seat's thread: a handle only the host holds).
#[allow(clippy::too_many_arguments)]
pub trait Backend: Send {
    // ----- the simulation's own questions -----

    /// Spawns a process with these credentials: (pid, tid of its thread).
    fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> Sys<(u32, u32)>;
    /// `process.exit`: releases what it held (SEM_UNDO, attachments, fds).
    fn exit(&mut self, pid: u32) -> Sys<()>;
    /// The completion of a parked call the kernel has since completed.
    fn take_result(&mut self, tid: u32) -> Sys<Completion>;
    /// Moves the logical clock forward by `ns`; the new time.
    fn advance(&mut self, ns: u64) -> wasmtime::Result<u64>;
    /// The tids the kernel woke since `cursor`, and the next cursor.
    fn woken(&mut self, cursor: u64) -> wasmtime::Result<(Vec<u32>, u64)>;
    /// The earliest parked timeout or timer expiry, if any.
    fn next_deadline(&mut self) -> wasmtime::Result<Option<u64>>;
    /// The newest event in one line of words: the kernel's own account of
    /// the call just made.
    fn last_event_text(&mut self) -> wasmtime::Result<Option<String>>;
    /// The kernel's whole state as JSON (`kernel.snapshot`).
    fn snapshot(&mut self) -> wasmtime::Result<String>;
    /// `ipcs -a` of the kernel as it is now ([`crate::ipcs`]).
    fn ipcs(&mut self) -> Result<String, String>;
    /// The wait-for graph, if the kernel sees a deadlock.
    fn deadlock(&mut self) -> wasmtime::Result<Vec<WaitFor>>;

    // ----- sys-msg -----
    fn msgget(&mut self, tid: u32, key: i32, msgflg: i32) -> Sys<i32>;
    fn msgsnd(&mut self, tid: u32, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Parks<()>;
    fn msgrcv(&mut self, tid: u32, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Parks<Received>;
    fn msgctl_stat(&mut self, tid: u32, msqid: i32) -> Sys<MsqidDs>;
    fn msgctl_set(&mut self, tid: u32, msqid: i32, buf: MsqidSet) -> Sys<()>;
    fn msgctl_rmid(&mut self, tid: u32, msqid: i32) -> Sys<()>;

    // ----- sys-sem -----
    fn semget(&mut self, tid: u32, key: i32, nsems: i32, semflg: i32) -> Sys<i32>;
    fn semop(&mut self, tid: u32, semid: i32, sops: &[Sembuf], timeout_ns: Option<u64>) -> Parks<()>;
    fn semctl_getval(&mut self, tid: u32, semid: i32, semnum: u32) -> Sys<u32>;
    fn semctl_setval(&mut self, tid: u32, semid: i32, semnum: u32, val: i32) -> Sys<()>;
    fn semctl_getall(&mut self, tid: u32, semid: i32) -> Sys<Vec<u32>>;
    fn semctl_setall(&mut self, tid: u32, semid: i32, vals: &[u32]) -> Sys<()>;
    fn semctl_stat(&mut self, tid: u32, semid: i32) -> Sys<SemidDs>;
    fn semctl_rmid(&mut self, tid: u32, semid: i32) -> Sys<()>;

    // ----- sys-shm -----
    fn shmget(&mut self, tid: u32, key: i32, size: u64, shmflg: i32) -> Sys<i32>;
    fn shmat(&mut self, tid: u32, shmid: i32, shmaddr: u64, shmflg: i32) -> Sys<u64>;
    fn shmdt(&mut self, tid: u32, shmaddr: u64) -> Sys<()>;
    fn shmctl_stat(&mut self, tid: u32, shmid: i32) -> Sys<ShmidDs>;
    fn shmctl_rmid(&mut self, tid: u32, shmid: i32) -> Sys<()>;
    fn shm_read(&mut self, tid: u32, addr: u64, len: u64) -> Sys<Vec<u8>>;
    fn shm_write(&mut self, tid: u32, addr: u64, data: &[u8]) -> Sys<()>;

    // ----- sys-psem (oflag in NetBSD's O_CREAT / O_EXCL bits) -----
    fn sem_open(&mut self, tid: u32, name: &str, oflag: i32, mode: u32, value: u32) -> Sys<u32>;
    fn sem_init(&mut self, tid: u32, value: u32, pshared: bool) -> Sys<u32>;
    fn sem_close(&mut self, tid: u32, id: u32) -> Sys<()>;
    fn sem_unlink(&mut self, tid: u32, name: &str) -> Sys<()>;
    fn sem_destroy(&mut self, tid: u32, id: u32) -> Sys<()>;
    fn sem_post(&mut self, tid: u32, id: u32) -> Sys<()>;
    /// `sem_wait`, or `sem_timedwait` with an absolute deadline.
    fn sem_wait(&mut self, tid: u32, id: u32, abstime: Option<Timespec>) -> Parks<()>;
    fn sem_trywait(&mut self, tid: u32, id: u32) -> Sys<()>;
    fn sem_getvalue(&mut self, tid: u32, id: u32) -> Sys<u32>;

    // ----- sys-fd -----
    fn pipe(&mut self, tid: u32) -> Sys<(i32, i32)>;
    fn read(&mut self, tid: u32, fd: i32, len: u32) -> Parks<Vec<u8>>;
    fn write(&mut self, tid: u32, fd: i32, data: &[u8]) -> Parks<u64>;
    fn close(&mut self, tid: u32, fd: i32) -> Sys<()>;

    // ----- sys-port -----
    fn port_create(&mut self, tid: u32) -> Sys<i32>;
    fn port_send(&mut self, tid: u32, port: i32, events: i32, user: u64) -> Sys<()>;
    fn port_alert(&mut self, tid: u32, port: i32, flags: i32, events: i32, user: u64) -> Sys<()>;
    fn port_associate(&mut self, tid: u32, port: i32, source: u16, object: u64, events: u16, user: u64) -> Sys<()>;
    fn port_dissociate(&mut self, tid: u32, port: i32, source: u16, object: u64) -> Sys<()>;
    /// `port_getn` (with `max` 0 it takes nothing: [`Backend::port_pending`]
    /// says how many are queued).
    fn port_getn(&mut self, tid: u32, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Parks<PortGot>;
    /// How many events are queued on the port (`port_getn` with max 0).
    fn port_pending(&mut self, tid: u32, port: i32) -> Sys<u32>;
    fn port_get(&mut self, tid: u32, port: i32, timeout: Option<Timespec>) -> Parks<Option<PortEvent>>;
}
