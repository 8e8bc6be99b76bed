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
use wasmtime_wasi::{WasiCtxView, WasiView};

use super::{Shared, State, YieldOnce, lock};
use crate::engine::WasiState;
use crate::kernel::bindings::exports::ipclab::ipc::system::{Completion, Reply};
use crate::kernel::bindings::exports::ipclab::ipc::types::{
    Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec,
};
use crate::kernel::{Backend, Call};

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
        f: impl FnOnce(&mut dyn Backend, u32) -> wasmtime::Result<Result<T, Errno>> + Send,
    ) -> R<T> {
        turn(&self.sim, self.me).await;
        let mut s = lock(&self.sim);
        s.sync_clock()?;
        let t = s.seats[self.me].tid;
        let r = f(&mut *s.k, t)?;
        s.after_call(self.me, false, r.is_err())?;
        Ok(r)
    }

    /// A kernel call that may park: `start` makes it; if it parked, the
    /// guest waits until the kernel completes it, then `finish` reads the
    /// completion.
    async fn blocking<T>(
        &mut self,
        start: impl FnOnce(&mut dyn Backend, u32) -> wasmtime::Result<Call<T>> + Send,
        finish: impl FnOnce(Completion) -> Result<T, Errno> + Send,
    ) -> R<T> {
        turn(&self.sim, self.me).await;
        let t = {
            let mut s = lock(&self.sim);
            s.sync_clock()?;
            let t = s.seats[self.me].tid;
            let first = start(&mut *s.k, t)?;
            let parked = matches!(first, Call::Parked);
            let refused = matches!(first, Call::Done(Err(_)));
            s.after_call(self.me, parked, refused)?;
            if let Call::Done(r) = first {
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

/// The reply of a completed parked call, as the call's own type.
fn expect<T>(c: Completion, take: impl FnOnce(Reply) -> Option<T>) -> Result<T, Errno> {
    match c.result {
        // A completion of another call than the one parked cannot happen;
        // EINVAL rather than a trap if a tampered kernel ever produced one.
        Ok(r) => take(r).ok_or(Errno::Einval),
        Err(e) => Err(e),
    }
}

impl sys_msg::Host for GuestState {
    async fn msgget(&mut self, key: i32, msgflg: i32) -> R<i32> {
        self.call(|k, t| k.msgget(t, key, msgflg)).await
    }

    async fn msgsnd(&mut self, msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> R<()> {
        self.blocking(|k, t| k.msgsnd(t, msqid, mtype, data, msgflg), |c| c.result.map(|_| ())).await
    }

    async fn msgrcv(&mut self, msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> R<Received> {
        let take = |r| match r {
            Reply::Message(m) => Some(m),
            _ => None,
        };
        self.blocking(|k, t| k.msgrcv(t, msqid, msgsz, msgtyp, msgflg), |c| expect(c, take)).await
    }

    async fn msgctl_stat(&mut self, msqid: i32) -> R<MsqidDs> {
        self.call(|k, t| k.msgctl_stat(t, msqid)).await
    }

    async fn msgctl_set(&mut self, msqid: i32, buf: MsqidSet) -> R<()> {
        self.call(|k, t| k.msgctl_set(t, msqid, buf)).await
    }

    async fn msgctl_rmid(&mut self, msqid: i32) -> R<()> {
        self.call(|k, t| k.msgctl_rmid(t, msqid)).await
    }
}

impl sys_sem::Host for GuestState {
    async fn semget(&mut self, key: i32, nsems: i32, semflg: i32) -> R<i32> {
        self.call(|k, t| k.semget(t, key, nsems, semflg)).await
    }

    async fn semop(&mut self, semid: i32, sops: Vec<Sembuf>) -> R<()> {
        self.blocking(|k, t| k.semop(t, semid, &sops, None), |c| c.result.map(|_| ())).await
    }

    async fn semtimedop(&mut self, semid: i32, sops: Vec<Sembuf>, timeout_ns: u64) -> R<()> {
        self.blocking(|k, t| k.semop(t, semid, &sops, Some(timeout_ns)), |c| c.result.map(|_| ())).await
    }

    async fn semctl_getval(&mut self, semid: i32, semnum: u32) -> R<u32> {
        self.call(|k, t| k.semctl_getval(t, semid, semnum)).await
    }

    async fn semctl_setval(&mut self, semid: i32, semnum: u32, val: i32) -> R<()> {
        self.call(|k, t| k.semctl_setval(t, semid, semnum, val)).await
    }

    async fn semctl_getall(&mut self, semid: i32) -> R<Vec<u32>> {
        self.call(|k, t| k.semctl_getall(t, semid)).await
    }

    async fn semctl_setall(&mut self, semid: i32, vals: Vec<u32>) -> R<()> {
        self.call(|k, t| k.semctl_setall(t, semid, &vals)).await
    }

    async fn semctl_stat(&mut self, semid: i32) -> R<SemidDs> {
        self.call(|k, t| k.semctl_stat(t, semid)).await
    }

    async fn semctl_rmid(&mut self, semid: i32) -> R<()> {
        self.call(|k, t| k.semctl_rmid(t, semid)).await
    }
}

impl sys_shm::Host for GuestState {
    async fn shmget(&mut self, key: i32, size: u64, shmflg: i32) -> R<i32> {
        self.call(|k, t| k.shmget(t, key, size, shmflg)).await
    }

    async fn shmat(&mut self, shmid: i32, shmaddr: u64, shmflg: i32) -> R<u64> {
        self.call(|k, t| k.shmat(t, shmid, shmaddr, shmflg)).await
    }

    async fn shmdt(&mut self, shmaddr: u64) -> R<()> {
        self.call(|k, t| k.shmdt(t, shmaddr)).await
    }

    async fn shmctl_stat(&mut self, shmid: i32) -> R<ShmidDs> {
        self.call(|k, t| k.shmctl_stat(t, shmid)).await
    }

    async fn shmctl_rmid(&mut self, shmid: i32) -> R<()> {
        self.call(|k, t| k.shmctl_rmid(t, shmid)).await
    }

    async fn load(&mut self, addr: u64, len: u64) -> R<Vec<u8>> {
        self.call(|k, t| k.shm_read(t, addr, len)).await
    }

    async fn store(&mut self, addr: u64, data: Vec<u8>) -> R<()> {
        self.call(|k, t| k.shm_write(t, addr, &data)).await
    }
}

impl sys_psem::Host for GuestState {
    async fn sem_open(&mut self, name: String, oflag: i32, mode: u32, value: u32) -> R<u32> {
        self.call(|k, t| k.sem_open(t, &name, oflag, mode, value)).await
    }

    async fn sem_init(&mut self, value: u32, pshared: bool) -> R<u32> {
        self.call(|k, t| k.sem_init(t, value, pshared)).await
    }

    async fn sem_close(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.sem_close(t, id)).await
    }

    async fn sem_unlink(&mut self, name: String) -> R<()> {
        self.call(|k, t| k.sem_unlink(t, &name)).await
    }

    async fn sem_destroy(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.sem_destroy(t, id)).await
    }

    async fn sem_post(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.sem_post(t, id)).await
    }

    async fn sem_wait(&mut self, id: u32) -> R<()> {
        self.blocking(|k, t| k.sem_wait(t, id, None), |c| c.result.map(|_| ())).await
    }

    async fn sem_trywait(&mut self, id: u32) -> R<()> {
        self.call(|k, t| k.sem_trywait(t, id)).await
    }

    async fn sem_timedwait(&mut self, id: u32, abstime: Timespec) -> R<()> {
        self.blocking(|k, t| k.sem_wait(t, id, Some(abstime)), |c| c.result.map(|_| ())).await
    }

    async fn sem_getvalue(&mut self, id: u32) -> R<u32> {
        self.call(|k, t| k.sem_getvalue(t, id)).await
    }
}

impl sys_fd::Host for GuestState {
    async fn pipe(&mut self) -> R<(i32, i32)> {
        self.call(|k, t| k.pipe(t)).await
    }

    async fn read(&mut self, fd: i32, len: u32) -> R<Vec<u8>> {
        let take = |r| match r {
            Reply::Bytes(b) => Some(b),
            _ => None,
        };
        self.blocking(|k, t| k.read(t, fd, len), |c| expect(c, take)).await
    }

    async fn write(&mut self, fd: i32, data: Vec<u8>) -> R<u64> {
        let take = |r| match r {
            Reply::Count(n) => Some(n),
            _ => None,
        };
        self.blocking(|k, t| k.write(t, fd, &data), |c| expect(c, take)).await
    }

    async fn close(&mut self, fd: i32) -> R<()> {
        self.call(|k, t| k.close(t, fd)).await
    }
}

impl sys_port::Host for GuestState {
    async fn port_create(&mut self) -> R<i32> {
        self.call(|k, t| k.port_create(t)).await
    }

    async fn port_send(&mut self, port: i32, events: i32, user: u64) -> R<()> {
        self.call(|k, t| k.port_send(t, port, events, user)).await
    }

    async fn port_alert(&mut self, port: i32, flags: i32, events: i32, user: u64) -> R<()> {
        self.call(|k, t| k.port_alert(t, port, flags, events, user)).await
    }

    async fn port_associate(&mut self, port: i32, source: u16, object: u64, events: u16, user: u64) -> R<()> {
        self.call(|k, t| k.port_associate(t, port, source, object, events, user)).await
    }

    async fn port_dissociate(&mut self, port: i32, source: u16, object: u64) -> R<()> {
        self.call(|k, t| k.port_dissociate(t, port, source, object)).await
    }

    async fn port_getn(&mut self, port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> R<PortGot> {
        let take = |r| match r {
            Reply::PortEvents(g) => Some(g),
            _ => None,
        };
        self.blocking(|k, t| k.port_getn(t, port, max, nget, timeout), |c| expect(c, take)).await
    }

    async fn port_pending(&mut self, port: i32) -> R<u32> {
        self.call(|k, t| k.port_pending(t, port)).await
    }

    async fn port_get(&mut self, port: i32, timeout: Option<Timespec>) -> R<Option<PortEvent>> {
        let take = |r| match r {
            Reply::PortEvents(g) => Some(g.events.first().copied()),
            _ => None,
        };
        self.blocking(|k, t| k.port_get(t, port, timeout), |c| expect(c, take)).await
    }
}
