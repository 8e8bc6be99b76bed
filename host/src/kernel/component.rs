//! # The component backend: one kernel component instance, as a host holds it
//!
//! [`KernelHost`] is a store with one instance of the kernel component
//! (world `ipclab:ipc/kernel`) and one kernel resource created in it; the
//! host tests and the benchmark embed it directly.  [`ComponentKernel`] is
//! the [`Backend`] over it: the tid a guest's call names is mapped to the
//! thread handle the host was given at spawn, and each call is one call
//! of the component's export.

use std::sync::OnceLock;

use wasmtime::Store;
use wasmtime::component::{Linker, ResourceAny};

use super::bindings;
use super::{Backend, Call, Parks, Sys, WaitFor};
use crate::engine::{WasiState, engine, kernel_component};

use bindings::exports::ipclab::ipc::fd::{ReadOutcome, WriteOutcome};
use bindings::exports::ipclab::ipc::msg::{RecvOutcome, SendOutcome};
use bindings::exports::ipclab::ipc::port::{GetOutcome, GetnOutcome};
use bindings::exports::ipclab::ipc::psem::{OpenFlags, WaitOutcome};
use bindings::exports::ipclab::ipc::sem::SemopOutcome;
use bindings::exports::ipclab::ipc::system::{Completion, Config};
use bindings::exports::ipclab::ipc::types::{
    Credentials, Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};

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

/// The [`Backend`] over a [`KernelHost`]: the handles of every process and
/// thread it spawned, by pid and tid.
pub struct ComponentKernel {
    host: KernelHost,
    spawned: Vec<Spawned>,
}

impl ComponentKernel {
    /// A fresh instance and kernel with the default configuration.
    pub fn new() -> Result<ComponentKernel, String> {
        let mut host = KernelHost::new(None)?;
        // As the native backend: events' words, not their internal steps.
        let k = host.kernel;
        host.world
            .ipclab_ipc_system()
            .kernel()
            .call_set_step_recording(&mut host.store, k, false)
            .map_err(|e| format!("set-step-recording trapped: {e:?}"))?;
        Ok(ComponentKernel { host, spawned: Vec::new() })
    }

    fn thread(&self, tid: u32) -> ResourceAny {
        // Every tid the simulation names is one this backend spawned.
        self.spawned.iter().find(|s| s.tid == tid).map(|s| s.thread).expect("a tid this kernel spawned")
    }

    fn process(&self, pid: u32) -> ResourceAny {
        self.spawned.iter().find(|s| s.pid == pid).map(|s| s.process).expect("a pid this kernel spawned")
    }

    /// Runs one export as thread `tid`.
    fn on<T>(
        &mut self,
        tid: u32,
        f: impl FnOnce(&bindings::Kernel, &mut Store<WasiState>, ResourceAny) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        let t = self.thread(tid);
        f(&self.host.world, &mut self.host.store, t)
    }
}

/// A parkable export's outcome: done, refused, or parked (`blocked`).
fn parks<T, O>(r: Result<O, Errno>, done: impl FnOnce(O) -> Option<T>) -> Call<T> {
    match r {
        Ok(o) => match done(o) {
            Some(v) => Call::Done(Ok(v)),
            None => Call::Parked,
        },
        Err(e) => Call::Done(Err(e)),
    }
}

/// NetBSD's O_CREAT and O_EXCL as the WIT's open flags.
fn open_flags(oflag: i32) -> OpenFlags {
    let mut flags = OpenFlags::empty();
    if oflag & ipc_core::psem::O_CREAT != 0 {
        flags |= OpenFlags::CREAT;
    }
    if oflag & ipc_core::psem::O_EXCL != 0 {
        flags |= OpenFlags::EXCL;
    }
    flags
}

impl Backend for ComponentKernel {
    fn spawn(&mut self, cred: &Credentials, zone: u32, project: u32) -> Sys<(u32, u32)> {
        Ok(self.host.spawn(cred, zone, project)?.map(|s| {
            self.spawned.push(s);
            (s.pid, s.tid)
        }))
    }

    fn exit(&mut self, pid: u32) -> Sys<()> {
        let p = self.process(pid);
        self.host.exit(p)
    }

    fn take_result(&mut self, tid: u32) -> Sys<Completion> {
        let t = self.thread(tid);
        self.host.take_result(t)
    }

    fn advance(&mut self, ns: u64) -> wasmtime::Result<u64> {
        self.host.advance(ns)
    }

    fn woken(&mut self, cursor: u64) -> wasmtime::Result<(Vec<u32>, u64)> {
        self.host.woken(cursor)
    }

    fn next_deadline(&mut self) -> wasmtime::Result<Option<u64>> {
        self.host.next_deadline()
    }

    fn last_event_text(&mut self) -> wasmtime::Result<Option<String>> {
        self.host.last_event_text()
    }

    fn snapshot(&mut self) -> wasmtime::Result<String> {
        self.host.snapshot()
    }

    fn ipcs(&mut self) -> Result<String, String> {
        let snap = self.host.snapshot().map_err(|e| format!("no snapshot: {e}"))?;
        crate::ipcs::from_snapshot(&snap)
    }

    fn deadlock(&mut self) -> wasmtime::Result<Vec<WaitFor>> {
        let h = &mut self.host;
        let graph = h.world.ipclab_ipc_inspect().call_deadlock(&mut h.store, h.kernel)?.unwrap_or_default();
        Ok(graph.into_iter().map(|w| WaitFor { pid: w.pid, reason: w.reason, holders: w.holders }).collect())
    }

    fn msgget(&mut self, tid: u32, key: i32, msgflg: i32) -> Sys<i32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgget(s, t, key, msgflg))
    }

    fn msgsnd(&mut self, tid: u32, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Parks<()> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgsnd(s, t, msqid, mtype, &data, msgflg, None))?;
        Ok(parks(r, |o| matches!(o, SendOutcome::Sent).then_some(())))
    }

    fn msgrcv(&mut self, tid: u32, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Parks<Received> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgrcv(s, t, msqid, msgsz, msgtyp, msgflg, None))?;
        Ok(parks(r, |o| match o {
            RecvOutcome::Received(m) => Some(m),
            RecvOutcome::Blocked(_) => None,
        }))
    }

    fn msgctl_stat(&mut self, tid: u32, msqid: i32) -> Sys<MsqidDs> {
        self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgctl_stat(s, t, msqid))
    }

    fn msgctl_set(&mut self, tid: u32, msqid: i32, buf: MsqidSet) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgctl_set(s, t, msqid, buf))
    }

    fn msgctl_rmid(&mut self, tid: u32, msqid: i32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_msg().call_msgctl_rmid(s, t, msqid))
    }

    fn semget(&mut self, tid: u32, key: i32, nsems: i32, semflg: i32) -> Sys<i32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semget(s, t, key, nsems, semflg))
    }

    fn semop(&mut self, tid: u32, semid: i32, sops: &[Sembuf], timeout_ns: Option<u64>) -> Parks<()> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semop(s, t, semid, sops, timeout_ns))?;
        Ok(parks(r, |o| matches!(o, SemopOutcome::Done).then_some(())))
    }

    fn semctl_getval(&mut self, tid: u32, semid: i32, semnum: u32) -> Sys<u32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_getval(s, t, semid, semnum))
    }

    fn semctl_setval(&mut self, tid: u32, semid: i32, semnum: u32, val: i32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_setval(s, t, semid, semnum, val))
    }

    fn semctl_getall(&mut self, tid: u32, semid: i32) -> Sys<Vec<u32>> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_getall(s, t, semid))
    }

    fn semctl_setall(&mut self, tid: u32, semid: i32, vals: &[u32]) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_setall(s, t, semid, vals))
    }

    fn semctl_stat(&mut self, tid: u32, semid: i32) -> Sys<SemidDs> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_stat(s, t, semid))
    }

    fn semctl_rmid(&mut self, tid: u32, semid: i32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_sem().call_semctl_rmid(s, t, semid))
    }

    fn shmget(&mut self, tid: u32, key: i32, size: u64, shmflg: i32) -> Sys<i32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_shmget(s, t, key, size, shmflg))
    }

    fn shmat(&mut self, tid: u32, shmid: i32, shmaddr: u64, shmflg: i32) -> Sys<u64> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_shmat(s, t, shmid, shmaddr, shmflg))
    }

    fn shmdt(&mut self, tid: u32, shmaddr: u64) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_shmdt(s, t, shmaddr))
    }

    fn shmctl_stat(&mut self, tid: u32, shmid: i32) -> Sys<ShmidDs> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_shmctl_stat(s, t, shmid))
    }

    fn shmctl_rmid(&mut self, tid: u32, shmid: i32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_shmctl_rmid(s, t, shmid))
    }

    fn shm_read(&mut self, tid: u32, addr: u64, len: u64) -> Sys<Vec<u8>> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_read(s, t, addr, len))
    }

    fn shm_write(&mut self, tid: u32, addr: u64, data: &[u8]) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_shm().call_write(s, t, addr, data))
    }

    fn sem_open(&mut self, tid: u32, name: &str, oflag: i32, mode: u32, value: u32) -> Sys<u32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_open(s, t, name, open_flags(oflag), mode, value))
    }

    fn sem_init(&mut self, tid: u32, value: u32, pshared: bool) -> Sys<u32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_init(s, t, value, pshared))
    }

    fn sem_close(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_close(s, t, id))
    }

    fn sem_unlink(&mut self, tid: u32, name: &str) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_unlink(s, t, name))
    }

    fn sem_destroy(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_destroy(s, t, id))
    }

    fn sem_post(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_post(s, t, id))
    }

    fn sem_wait(&mut self, tid: u32, id: u32, abstime: Option<Timespec>) -> Parks<()> {
        let r = self.on(tid, |w, s, t| match abstime {
            Some(at) => w.ipclab_ipc_psem().call_sem_timedwait(s, t, id, at),
            None => w.ipclab_ipc_psem().call_sem_wait(s, t, id),
        })?;
        Ok(parks(r, |o| matches!(o, WaitOutcome::Acquired).then_some(())))
    }

    fn sem_trywait(&mut self, tid: u32, id: u32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_trywait(s, t, id))
    }

    fn sem_getvalue(&mut self, tid: u32, id: u32) -> Sys<u32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_psem().call_sem_getvalue(s, t, id))
    }

    fn pipe(&mut self, tid: u32) -> Sys<(i32, i32)> {
        self.on(tid, |w, s, t| w.ipclab_ipc_fd().call_pipe(s, t))
    }

    fn read(&mut self, tid: u32, fd: i32, len: u32) -> Parks<Vec<u8>> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_fd().call_read(s, t, fd, len, false))?;
        Ok(parks(r, |o| match o {
            ReadOutcome::Data(d) => Some(d),
            ReadOutcome::Blocked(_) => None,
        }))
    }

    fn write(&mut self, tid: u32, fd: i32, data: &[u8]) -> Parks<u64> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_fd().call_write(s, t, fd, data, false))?;
        Ok(parks(r, |o| match o {
            WriteOutcome::Written(n) => Some(n),
            WriteOutcome::Blocked(_) => None,
        }))
    }

    fn close(&mut self, tid: u32, fd: i32) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_fd().call_close(s, t, fd))
    }

    fn port_create(&mut self, tid: u32) -> Sys<i32> {
        self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_create(s, t))
    }

    fn port_send(&mut self, tid: u32, port: i32, events: i32, user: u64) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_send(s, t, port, events, user))
    }

    fn port_alert(&mut self, tid: u32, port: i32, flags: i32, events: i32, user: u64) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_alert(s, t, port, flags, events, user))
    }

    fn port_associate(&mut self, tid: u32, port: i32, source: u16, object: u64, events: u16, user: u64) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_associate(s, t, port, source, object, events, user))
    }

    fn port_dissociate(&mut self, tid: u32, port: i32, source: u16, object: u64) -> Sys<()> {
        self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_dissociate(s, t, port, source, object))
    }

    fn port_getn(&mut self, tid: u32, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Parks<PortGot> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_getn(s, t, port, max, nget, timeout))?;
        Ok(parks(r, |o| match o {
            GetnOutcome::Got(g) => Some(g),
            GetnOutcome::Pending(_) => Some(PortGot { events: Vec::new(), etime: false }),
            GetnOutcome::Blocked(_) => None,
        }))
    }

    fn port_pending(&mut self, tid: u32, port: i32) -> Sys<u32> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_getn(s, t, port, 0, 0, None))?;
        Ok(match r {
            Ok(GetnOutcome::Pending(n)) => Ok(n),
            Ok(_) => Err(Errno::Einval),
            Err(e) => Err(e),
        })
    }

    fn port_get(&mut self, tid: u32, port: i32, timeout: Option<Timespec>) -> Parks<Option<PortEvent>> {
        let r = self.on(tid, |w, s, t| w.ipclab_ipc_port().call_port_get(s, t, port, timeout))?;
        Ok(parks(r, |o| match o {
            GetOutcome::Event(e) => Some(Some(e)),
            GetOutcome::None => Some(None),
            GetOutcome::Blocked(_) => None,
        }))
    }
}
