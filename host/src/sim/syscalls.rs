//! # The guest's imports: world `guest` over the simulation
//!
//! One `impl` per interface of `wit/guest.wit` (`sys-proc`, `sys-msg`,
//! `sys-sem`, `sys-shm`, `sys-psem`, `sys-fd`, `sys-port`).  Every kernel
//! call goes through [`GuestState::call`] (never parks) or
//! [`GuestState::blocking`] (may park), which are where a guest meets the
//! scheduler:
//! 1. the guest stops at the call ([`State::AtCall`]) and its fiber is
//!    suspended until the scheduler picks it ([`YieldOnce`]);
//! 2. the call is made through the guest's own thread handle — a handle
//!    only the host holds, so a guest cannot act as another process;
//! 3. a parked call suspends the fiber again ([`State::Parked`]) until the
//!    kernel reports the thread woken and the scheduler picks it; then the
//!    guest takes its result (`take-result`).
//!
//! Imports are async host functions (`bindgen!` with `async`); WASI stays
//! synchronous (stdout and stderr are [`crate::output::Prefixed`], which
//! never waits).

use wasmtime::StoreLimits;
use wasmtime::component::ResourceAny;
use wasmtime_wasi::{WasiCtxView, WasiView};

use super::{Shared, State, YieldOnce, lock};
use crate::engine::WasiState;
use crate::kernel::KernelHost;
use crate::kernel::bindings::exports::ipclab::ipc::fd::{ReadOutcome, WriteOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::msg::{RecvOutcome, SendOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::port::{GetOutcome, GetnOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::psem::{OpenFlags, WaitOutcome};
use crate::kernel::bindings::exports::ipclab::ipc::sem::SemopOutcome;
use crate::kernel::bindings::exports::ipclab::ipc::system::{Completion, Reply};
use crate::kernel::bindings::exports::ipclab::ipc::types::{
    Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};

/// Generated bindings of the `guest` world (what programs import).
pub mod guest_bindings {
    wasmtime::component::bindgen!({
        world: "guest",
        path: "../wit",
        imports: { default: async | trappable },
        with: { "ipclab:ipc/types": crate::sim::syscalls::types_shim },
    });
}

/// The guest world's `types` are the kernel world's: one set of Rust types
/// for both sides, so a value passes from a guest's import to the kernel's
/// export without conversion.  `types` has no functions, so what `bindgen!`
/// expects of an imported interface module is empty here.
pub mod types_shim {
    pub use crate::kernel::bindings::exports::ipclab::ipc::types::*;
    use wasmtime::component::{HasData, Linker, LinkerInstance};

    pub trait HostWithStore<T>: HasData {}
    impl<T, D: HasData> HostWithStore<T> for D {}
    pub trait Host {}
    impl<H: Host + ?Sized> Host for &mut H {}

    pub fn add_to_linker_instance<T, D>(
        _inst: &mut LinkerInstance<'_, T>,
        _host_getter: fn(&mut T) -> D::Data<'_>,
    ) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        Ok(())
    }

    pub fn add_to_linker<T, D>(linker: &mut Linker<T>, _host_getter: fn(&mut T) -> D::Data<'_>) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        linker.instance("ipclab:ipc/types@0.1.0")?;
        Ok(())
    }
}

use guest_bindings::ipclab::ipc::{sys_fd, sys_msg, sys_port, sys_proc, sys_psem, sys_sem, sys_shm};

/// One guest's store data: WASI, its seat in the simulation, its limits.
pub struct GuestState {
    pub wasi: WasiState,
    pub sim: Shared,
    pub me: usize,
    pub limits: StoreLimits,
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

type R<T> = wasmtime::Result<Result<T, Errno>>;

/// What a call that may park did at first.
enum First<T> {
    Done(Result<T, Errno>),
    Parked,
}

fn unexpected(c: &Completion) -> Errno {
    // A completion of another call than the one parked cannot happen; say
    // EINVAL rather than trap if a tampered kernel ever produced one.
    let _ = c;
    Errno::Einval
}

/// Stops guest `me` at a scheduling point until the scheduler picks it.
async fn turn(sim: &Shared, me: usize) {
    {
        let mut s = lock(sim);
        let d = s.decisions;
        s.seats[me].state = State::AtCall;
        s.seats[me].since = d;
    }
    YieldOnce::new().await;
}

impl GuestState {
    /// A kernel call that never parks.
    async fn call<T>(
        &mut self,
        f: impl FnOnce(&mut KernelHost, ResourceAny) -> wasmtime::Result<Result<T, Errno>> + Send,
    ) -> R<T> {
        turn(&self.sim, self.me).await;
        let mut s = lock(&self.sim);
        s.sync_clock()?;
        let t = s.seats[self.me].thread;
        let r = f(&mut s.k, t)?;
        s.after_call(self.me, false, r.is_err())?;
        Ok(r)
    }

    /// A kernel call that may park: `start` makes it; if it parked, the
    /// guest waits until the kernel completes it, then `finish` reads the
    /// completion.
    async fn blocking<T>(
        &mut self,
        start: impl FnOnce(&mut KernelHost, ResourceAny) -> wasmtime::Result<First<T>> + Send,
        finish: impl FnOnce(Completion) -> Result<T, Errno> + Send,
    ) -> R<T> {
        turn(&self.sim, self.me).await;
        let t = {
            let mut s = lock(&self.sim);
            s.sync_clock()?;
            let t = s.seats[self.me].thread;
            let first = start(&mut s.k, t)?;
            let parked = matches!(first, First::Parked);
            let refused = matches!(first, First::Done(Err(_)));
            s.after_call(self.me, parked, refused)?;
            if let First::Done(r) = first {
                return Ok(r);
            }
            t
        };
        // Parked: suspended until woken and picked.
        YieldOnce::new().await;
        let mut s = lock(&self.sim);
        Ok(match s.k.take_result(t)? {
            Ok(c) => finish(c),
            Err(e) => Err(e),
        })
    }
}

impl types_shim::Host for GuestState {}

impl sys_proc::Host for GuestState {
    async fn getpid(&mut self) -> wasmtime::Result<u32> {
        Ok(lock(&self.sim).seats[self.me].pid)
    }

    async fn geteuid(&mut self) -> wasmtime::Result<u32> {
        Ok(lock(&self.sim).seats[self.me].cred.euid)
    }

    async fn getegid(&mut self) -> wasmtime::Result<u32> {
        Ok(lock(&self.sim).seats[self.me].cred.egid)
    }

    async fn nanosleep(&mut self, ns: u64) -> wasmtime::Result<()> {
        turn(&self.sim, self.me).await;
        {
            let mut s = lock(&self.sim);
            let until = s.clock.saturating_add(ns);
            s.seats[self.me].state = State::Sleeping(until);
        }
        YieldOnce::new().await;
        Ok(())
    }
}

impl sys_msg::Host for GuestState {
    async fn msgget(&mut self, key: i32, msgflg: i32) -> R<i32> {
        self.call(|k, t| k.world.ipclab_ipc_msg().call_msgget(&mut k.store, t, key, msgflg)).await
    }

    async fn msgsnd(&mut self, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> R<()> {
        self.blocking(
            |k, t| {
                let r = k.world.ipclab_ipc_msg().call_msgsnd(&mut k.store, t, msqid, mtype, &data, msgflg, None)?;
                Ok(match r {
                    Ok(SendOutcome::Sent) => First::Done(Ok(())),
                    Ok(_) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
        .await
    }

    async fn msgrcv(&mut self, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> R<Received> {
        self.blocking(
            |k, t| {
                let r = k.world.ipclab_ipc_msg().call_msgrcv(&mut k.store, t, msqid, msgsz, msgtyp, msgflg, None)?;
                Ok(match r {
                    Ok(RecvOutcome::Received(m)) => First::Done(Ok(m)),
                    Ok(RecvOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Message(m)) => Ok(m),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
        .await
    }

    async fn msgctl_stat(&mut self, msqid: i32) -> R<MsqidDs> {
        self.call(|k, t| k.world.ipclab_ipc_msg().call_msgctl_stat(&mut k.store, t, msqid)).await
    }

    async fn msgctl_set(&mut self, msqid: i32, buf: MsqidSet) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_msg().call_msgctl_set(&mut k.store, t, msqid, buf)).await
    }

    async fn msgctl_rmid(&mut self, msqid: i32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_msg().call_msgctl_rmid(&mut k.store, t, msqid)).await
    }
}

impl GuestState {
    async fn semop_any(&mut self, semid: i32, sops: Vec<Sembuf>, timeout: Option<u64>) -> R<()> {
        self.blocking(
            |k, t| {
                let r = k.world.ipclab_ipc_sem().call_semop(&mut k.store, t, semid, &sops, timeout)?;
                Ok(match r {
                    Ok(SemopOutcome::Done) => First::Done(Ok(())),
                    Ok(SemopOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
        .await
    }

    async fn psem_wait(&mut self, id: u32, abstime: Option<Timespec>) -> R<()> {
        self.blocking(
            |k, t| {
                let p = k.world.ipclab_ipc_psem();
                let r = match abstime {
                    Some(at) => p.call_sem_timedwait(&mut k.store, t, id, at)?,
                    None => p.call_sem_wait(&mut k.store, t, id)?,
                };
                Ok(match r {
                    Ok(WaitOutcome::Acquired) => First::Done(Ok(())),
                    Ok(WaitOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| c.result.map(|_| ()),
        )
        .await
    }
}

impl sys_sem::Host for GuestState {
    async fn semget(&mut self, key: i32, nsems: i32, semflg: i32) -> R<i32> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semget(&mut k.store, t, key, nsems, semflg)).await
    }

    async fn semop(&mut self, semid: i32, sops: Vec<Sembuf>) -> R<()> {
        self.semop_any(semid, sops, None).await
    }

    async fn semtimedop(&mut self, semid: i32, sops: Vec<Sembuf>, timeout_ns: u64) -> R<()> {
        self.semop_any(semid, sops, Some(timeout_ns)).await
    }

    async fn semctl_getval(&mut self, semid: i32, semnum: u32) -> R<u32> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_getval(&mut k.store, t, semid, semnum)).await
    }

    async fn semctl_setval(&mut self, semid: i32, semnum: u32, val: i32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_setval(&mut k.store, t, semid, semnum, val)).await
    }

    async fn semctl_getall(&mut self, semid: i32) -> R<Vec<u32>> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_getall(&mut k.store, t, semid)).await
    }

    async fn semctl_setall(&mut self, semid: i32, vals: Vec<u32>) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_setall(&mut k.store, t, semid, &vals)).await
    }

    async fn semctl_stat(&mut self, semid: i32) -> R<SemidDs> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_stat(&mut k.store, t, semid)).await
    }

    async fn semctl_rmid(&mut self, semid: i32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_sem().call_semctl_rmid(&mut k.store, t, semid)).await
    }
}

impl sys_shm::Host for GuestState {
    async fn shmget(&mut self, key: i32, size: u64, shmflg: i32) -> R<i32> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_shmget(&mut k.store, t, key, size, shmflg)).await
    }

    async fn shmat(&mut self, shmid: i32, shmaddr: u64, shmflg: i32) -> R<u64> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_shmat(&mut k.store, t, shmid, shmaddr, shmflg)).await
    }

    async fn shmdt(&mut self, shmaddr: u64) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_shmdt(&mut k.store, t, shmaddr)).await
    }

    async fn shmctl_stat(&mut self, shmid: i32) -> R<ShmidDs> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_shmctl_stat(&mut k.store, t, shmid)).await
    }

    async fn shmctl_rmid(&mut self, shmid: i32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_shmctl_rmid(&mut k.store, t, shmid)).await
    }

    async fn load(&mut self, addr: u64, len: u64) -> R<Vec<u8>> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_read(&mut k.store, t, addr, len)).await
    }

    async fn store(&mut self, addr: u64, data: Vec<u8>) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_shm().call_write(&mut k.store, t, addr, &data)).await
    }
}

/// NetBSD's O_CREAT and O_EXCL, as `sys-psem.sem-open` takes them.
const O_CREAT: i32 = 0x200;
const O_EXCL: i32 = 0x800;

impl sys_psem::Host for GuestState {
    async fn sem_open(&mut self, name: String, oflag: i32, mode: u32, value: u32) -> R<u32> {
        let mut flags = OpenFlags::empty();
        if oflag & O_CREAT != 0 {
            flags |= OpenFlags::CREAT;
        }
        if oflag & O_EXCL != 0 {
            flags |= OpenFlags::EXCL;
        }
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_open(&mut k.store, t, &name, flags, mode, value)).await
    }

    async fn sem_init(&mut self, value: u32, pshared: bool) -> R<u32> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_init(&mut k.store, t, value, pshared)).await
    }

    async fn sem_close(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_close(&mut k.store, t, id)).await
    }

    async fn sem_unlink(&mut self, name: String) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_unlink(&mut k.store, t, &name)).await
    }

    async fn sem_destroy(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_destroy(&mut k.store, t, id)).await
    }

    async fn sem_post(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_post(&mut k.store, t, id)).await
    }

    async fn sem_wait(&mut self, id: u32) -> R<()> {
        self.psem_wait(id, None).await
    }

    async fn sem_trywait(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_trywait(&mut k.store, t, id)).await
    }

    async fn sem_timedwait(&mut self, id: u32, abstime: Timespec) -> R<()> {
        self.psem_wait(id, Some(abstime)).await
    }

    async fn sem_getvalue(&mut self, id: u32) -> R<u32> {
        self.call(|k, t| k.world.ipclab_ipc_psem().call_sem_getvalue(&mut k.store, t, id)).await
    }
}

impl sys_fd::Host for GuestState {
    async fn pipe(&mut self) -> R<(i32, i32)> {
        self.call(|k, t| k.world.ipclab_ipc_fd().call_pipe(&mut k.store, t)).await
    }

    async fn read(&mut self, fd: i32, len: u32) -> R<Vec<u8>> {
        self.blocking(
            |k, t| {
                Ok(match k.world.ipclab_ipc_fd().call_read(&mut k.store, t, fd, len, false)? {
                    Ok(ReadOutcome::Data(d)) => First::Done(Ok(d)),
                    Ok(ReadOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Bytes(b)) => Ok(b),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
        .await
    }

    async fn write(&mut self, fd: i32, data: Vec<u8>) -> R<u64> {
        self.blocking(
            |k, t| {
                Ok(match k.world.ipclab_ipc_fd().call_write(&mut k.store, t, fd, &data, false)? {
                    Ok(WriteOutcome::Written(n)) => First::Done(Ok(n)),
                    Ok(WriteOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::Count(n)) => Ok(n),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
        .await
    }

    async fn close(&mut self, fd: i32) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_fd().call_close(&mut k.store, t, fd)).await
    }
}

impl sys_port::Host for GuestState {
    async fn port_create(&mut self) -> R<i32> {
        self.call(|k, t| k.world.ipclab_ipc_port().call_port_create(&mut k.store, t)).await
    }

    async fn port_send(&mut self, port: i32, events: i32, user: u64) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_port().call_port_send(&mut k.store, t, port, events, user)).await
    }

    async fn port_alert(&mut self, port: i32, flags: i32, events: i32, user: u64) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_port().call_port_alert(&mut k.store, t, port, flags, events, user)).await
    }

    async fn port_associate(&mut self, port: i32, source: u16, object: u64, events: u16, user: u64) -> R<()> {
        self.call(|k, t| {
            k.world.ipclab_ipc_port().call_port_associate(&mut k.store, t, port, source, object, events, user)
        })
        .await
    }

    async fn port_dissociate(&mut self, port: i32, source: u16, object: u64) -> R<()> {
        self.call(|k, t| k.world.ipclab_ipc_port().call_port_dissociate(&mut k.store, t, port, source, object)).await
    }

    async fn port_getn(&mut self, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> R<PortGot> {
        self.blocking(
            |k, t| {
                Ok(match k.world.ipclab_ipc_port().call_port_getn(&mut k.store, t, port, max, nget, timeout)? {
                    Ok(GetnOutcome::Got(g)) => First::Done(Ok(g)),
                    // max 0 takes nothing (port-pending says how many are queued).
                    Ok(GetnOutcome::Pending(_)) => First::Done(Ok(PortGot { events: Vec::new(), etime: false })),
                    Ok(GetnOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::PortEvents(g)) => Ok(g),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
        .await
    }

    async fn port_pending(&mut self, port: i32) -> R<u32> {
        self.call(|k, t| {
            Ok(match k.world.ipclab_ipc_port().call_port_getn(&mut k.store, t, port, 0, 0, None)? {
                Ok(GetnOutcome::Pending(n)) => Ok(n),
                Ok(_) => Err(Errno::Einval),
                Err(e) => Err(e),
            })
        })
        .await
    }

    async fn port_get(&mut self, port: i32, timeout: Option<Timespec>) -> R<Option<PortEvent>> {
        self.blocking(
            |k, t| {
                Ok(match k.world.ipclab_ipc_port().call_port_get(&mut k.store, t, port, timeout)? {
                    Ok(GetOutcome::Event(e)) => First::Done(Ok(Some(e))),
                    Ok(GetOutcome::None) => First::Done(Ok(None)),
                    Ok(GetOutcome::Blocked(_)) => First::Parked,
                    Err(e) => First::Done(Err(e)),
                })
            },
            |c| match c.result {
                Ok(Reply::PortEvents(g)) => Ok(g.events.first().copied()),
                Ok(_) => Err(unexpected(&c)),
                Err(e) => Err(e),
            },
        )
        .await
    }
}
