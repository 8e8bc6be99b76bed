//! # The provider: guest interfaces over a private, one-process kernel
//!
//! An adapter component (world `ipclab:ipc/provider`): it imports the
//! embedder interfaces (`system`, `msg`, `sem`, `shm`, `psem`), creates one
//! kernel with one process on first use, and exports the guest interfaces
//! (`sys-*`) by forwarding each call through that process's thread.
//! `wac plug` composes it with the kernel component (`ipc-component.wasm`)
//! into a provider, and the provider with a guest into a self-contained
//! `wasi:cli` command that any WASI host runs.
//!
//! ## Waiting with nobody to wake you
//! In a one-process kernel a parked call can never be completed by someone
//! else.  Rather than hang, the adapter interrupts the parked thread, takes
//! the (EINTR) result and answers **EDEADLK**.  A timed call instead runs
//! the private clock to its deadline, so it ends as the kernel says
//! (semtimedop: EAGAIN; sem_timedwait: ETIMEDOUT); `nanosleep` advances the
//! clock.  The single process is uid 100, gid 100, zone 0, project 1.
//!
//! The types of both sides are one WIT interface (`ipclab:ipc/types`), so
//! values pass through unconverted: the adapter holds no kernel logic.

use std::cell::RefCell;

wit_bindgen::generate!({ world: "provider", path: "../../wit" });

use exports::ipclab::ipc::{sys_fd, sys_msg, sys_port, sys_proc, sys_psem, sys_sem, sys_shm};
use ipclab::ipc::fd::{ReadOutcome, WriteOutcome};
use ipclab::ipc::msg::{RecvOutcome, SendOutcome};
use ipclab::ipc::port::{GetOutcome, GetnOutcome};
use ipclab::ipc::psem::{OpenFlags, WaitOutcome};
use ipclab::ipc::sem::SemopOutcome;
use ipclab::ipc::system::{Credentials, Kernel, Process, Reply, Thread};
use ipclab::ipc::types::{Errno, MsqidDs, MsqidSet, PortEvent, PortGot, Received, Sembuf, SemidDs, ShmidDs, Timespec};
use ipclab::ipc::{fd, msg, port, psem, sem, shm, system};

struct Private {
    kernel: Kernel,
    process: Process,
    thread: Thread,
    euid: u32,
    egid: u32,
}

thread_local! {
    static PRIVATE: RefCell<Option<Private>> = const { RefCell::new(None) };
}

/// Runs `f` with the private kernel, made on first use.
fn with<T>(f: impl FnOnce(&Private) -> T) -> T {
    PRIVATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let p = slot.get_or_insert_with(|| {
            let kernel = Kernel::create(system::default_config()).expect("the default configuration is valid");
            let cred =
                Credentials { ruid: 100, euid: 100, rgid: 100, egid: 100, groups: Vec::new(), privileged: false };
            let process = kernel.spawn(&cred, 0, 1).expect("a fresh kernel spawns its first process");
            let thread = process.main_thread();
            Private { kernel, process, thread, euid: 100, egid: 100 }
        });
        f(p)
    })
}

/// A parked call nobody can complete: interrupt it and answer EDEADLK.
fn deadlocked(p: &Private) -> Errno {
    let _ = p.thread.interrupt();
    let _ = p.thread.take_result();
    Errno::Edeadlk
}

/// A parked timed call: run the clock `ns` forward and take how it ended.
fn expire(p: &Private, ns: u64) -> Result<Reply, Errno> {
    p.kernel.advance(ns);
    match p.thread.take_result() {
        Ok(c) => c.result,
        Err(_) => Err(deadlocked(p)),
    }
}

struct Provider;

export!(Provider);

impl sys_proc::Guest for Provider {
    fn getpid() -> u32 {
        with(|p| p.process.pid())
    }

    fn geteuid() -> u32 {
        with(|p| p.euid)
    }

    fn getegid() -> u32 {
        with(|p| p.egid)
    }

    fn nanosleep(ns: u64) {
        with(|p| p.kernel.advance(ns));
    }
}

impl sys_msg::Guest for Provider {
    fn msgget(key: i32, msgflg: i32) -> Result<i32, Errno> {
        with(|p| msg::msgget(&p.thread, key, msgflg))
    }

    fn msgsnd(msqid: i32, mtype: i64, data: Vec<u8>, msgflg: i32) -> Result<(), Errno> {
        with(|p| match msg::msgsnd(&p.thread, msqid, mtype, &data, msgflg, None)? {
            SendOutcome::Sent => Ok(()),
            SendOutcome::Blocked(_) => Err(deadlocked(p)),
        })
    }

    fn msgrcv(msqid: i32, msgsz: u64, msgtyp: i64, msgflg: i32) -> Result<Received, Errno> {
        with(|p| match msg::msgrcv(&p.thread, msqid, msgsz, msgtyp, msgflg, None)? {
            RecvOutcome::Received(m) => Ok(m),
            RecvOutcome::Blocked(_) => Err(deadlocked(p)),
        })
    }

    fn msgctl_stat(msqid: i32) -> Result<MsqidDs, Errno> {
        with(|p| msg::msgctl_stat(&p.thread, msqid))
    }

    fn msgctl_set(msqid: i32, buf: MsqidSet) -> Result<(), Errno> {
        with(|p| msg::msgctl_set(&p.thread, msqid, buf))
    }

    fn msgctl_rmid(msqid: i32) -> Result<(), Errno> {
        with(|p| msg::msgctl_rmid(&p.thread, msqid))
    }
}

fn semop_any(semid: i32, sops: &[Sembuf], timeout: Option<u64>) -> Result<(), Errno> {
    with(|p| match sem::semop(&p.thread, semid, sops, timeout)? {
        SemopOutcome::Done => Ok(()),
        SemopOutcome::Blocked(_) => match timeout {
            Some(ns) => expire(p, ns).map(|_| ()),
            None => Err(deadlocked(p)),
        },
    })
}

impl sys_sem::Guest for Provider {
    fn semget(key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        with(|p| sem::semget(&p.thread, key, nsems, semflg))
    }

    fn semop(semid: i32, sops: Vec<Sembuf>) -> Result<(), Errno> {
        semop_any(semid, &sops, None)
    }

    fn semtimedop(semid: i32, sops: Vec<Sembuf>, timeout_ns: u64) -> Result<(), Errno> {
        semop_any(semid, &sops, Some(timeout_ns))
    }

    fn semctl_getval(semid: i32, semnum: u32) -> Result<u32, Errno> {
        with(|p| sem::semctl_getval(&p.thread, semid, semnum))
    }

    fn semctl_setval(semid: i32, semnum: u32, val: i32) -> Result<(), Errno> {
        with(|p| sem::semctl_setval(&p.thread, semid, semnum, val))
    }

    fn semctl_getall(semid: i32) -> Result<Vec<u32>, Errno> {
        with(|p| sem::semctl_getall(&p.thread, semid))
    }

    fn semctl_setall(semid: i32, vals: Vec<u32>) -> Result<(), Errno> {
        with(|p| sem::semctl_setall(&p.thread, semid, &vals))
    }

    fn semctl_stat(semid: i32) -> Result<SemidDs, Errno> {
        with(|p| sem::semctl_stat(&p.thread, semid))
    }

    fn semctl_rmid(semid: i32) -> Result<(), Errno> {
        with(|p| sem::semctl_rmid(&p.thread, semid))
    }
}

impl sys_shm::Guest for Provider {
    fn shmget(key: i32, size: u64, shmflg: i32) -> Result<i32, Errno> {
        with(|p| shm::shmget(&p.thread, key, size, shmflg))
    }

    fn shmat(shmid: i32, shmaddr: u64, shmflg: i32) -> Result<u64, Errno> {
        with(|p| shm::shmat(&p.thread, shmid, shmaddr, shmflg))
    }

    fn shmdt(shmaddr: u64) -> Result<(), Errno> {
        with(|p| shm::shmdt(&p.thread, shmaddr))
    }

    fn shmctl_stat(shmid: i32) -> Result<ShmidDs, Errno> {
        with(|p| shm::shmctl_stat(&p.thread, shmid))
    }

    fn shmctl_rmid(shmid: i32) -> Result<(), Errno> {
        with(|p| shm::shmctl_rmid(&p.thread, shmid))
    }

    fn load(addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        with(|p| shm::read(&p.thread, addr, len))
    }

    fn store(addr: u64, data: Vec<u8>) -> Result<(), Errno> {
        with(|p| shm::write(&p.thread, addr, &data))
    }
}

/// NetBSD's O_CREAT and O_EXCL, as `sys-psem.sem-open` takes them.
const O_CREAT: i32 = 0x200;
const O_EXCL: i32 = 0x800;

fn psem_wait(id: u32, abstime: Option<Timespec>) -> Result<(), Errno> {
    with(|p| {
        let r = match abstime {
            Some(t) => psem::sem_timedwait(&p.thread, id, t)?,
            None => psem::sem_wait(&p.thread, id)?,
        };
        match (r, abstime) {
            (WaitOutcome::Acquired, _) => Ok(()),
            (WaitOutcome::Blocked(_), Some(t)) => {
                let deadline =
                    u64::try_from(t.sec).unwrap_or(0).saturating_mul(1_000_000_000).saturating_add(t.nsec as u64);
                let now = p.kernel.now();
                expire(p, deadline.saturating_sub(now).max(1)).map(|_| ())
            }
            (WaitOutcome::Blocked(_), None) => Err(deadlocked(p)),
        }
    })
}

impl sys_psem::Guest for Provider {
    fn sem_open(name: String, oflag: i32, mode: u32, value: u32) -> Result<u32, Errno> {
        let mut flags = OpenFlags::empty();
        if oflag & O_CREAT != 0 {
            flags |= OpenFlags::CREAT;
        }
        if oflag & O_EXCL != 0 {
            flags |= OpenFlags::EXCL;
        }
        with(|p| psem::sem_open(&p.thread, &name, flags, mode, value))
    }

    fn sem_init(value: u32, pshared: bool) -> Result<u32, Errno> {
        with(|p| psem::sem_init(&p.thread, value, pshared))
    }

    fn sem_close(id: u32) -> Result<(), Errno> {
        with(|p| psem::sem_close(&p.thread, id))
    }

    fn sem_unlink(name: String) -> Result<(), Errno> {
        with(|p| psem::sem_unlink(&p.thread, &name))
    }

    fn sem_destroy(id: u32) -> Result<(), Errno> {
        with(|p| psem::sem_destroy(&p.thread, id))
    }

    fn sem_post(id: u32) -> Result<(), Errno> {
        with(|p| psem::sem_post(&p.thread, id))
    }

    fn sem_wait(id: u32) -> Result<(), Errno> {
        psem_wait(id, None)
    }

    fn sem_trywait(id: u32) -> Result<(), Errno> {
        with(|p| psem::sem_trywait(&p.thread, id))
    }

    fn sem_timedwait(id: u32, abstime: Timespec) -> Result<(), Errno> {
        psem_wait(id, Some(abstime))
    }

    fn sem_getvalue(id: u32) -> Result<u32, Errno> {
        with(|p| psem::sem_getvalue(&p.thread, id))
    }
}

impl sys_fd::Guest for Provider {
    fn pipe() -> Result<(i32, i32), Errno> {
        with(|p| fd::pipe(&p.thread))
    }

    fn read(fd: i32, len: u32) -> Result<Vec<u8>, Errno> {
        with(|p| match fd::read(&p.thread, fd, len, false)? {
            ReadOutcome::Data(d) => Ok(d),
            ReadOutcome::Blocked(_) => Err(deadlocked(p)),
        })
    }

    fn write(fd: i32, data: Vec<u8>) -> Result<u64, Errno> {
        with(|p| match fd::write(&p.thread, fd, &data, false)? {
            WriteOutcome::Written(n) => Ok(n),
            WriteOutcome::Blocked(_) => Err(deadlocked(p)),
        })
    }

    fn close(fd: i32) -> Result<(), Errno> {
        with(|p| fd::close(&p.thread, fd))
    }
}

/// A timeout in nanoseconds (0 for an invalid one: the kernel refused it first).
fn ns(t: Timespec) -> u64 {
    u64::try_from(t.sec).unwrap_or(0).saturating_mul(1_000_000_000).saturating_add(u64::try_from(t.nsec).unwrap_or(0))
}

impl sys_port::Guest for Provider {
    fn port_create() -> Result<i32, Errno> {
        with(|p| port::port_create(&p.thread))
    }

    fn port_send(port: i32, events: i32, user: u64) -> Result<(), Errno> {
        with(|p| port::port_send(&p.thread, port, events, user))
    }

    fn port_alert(port: i32, flags: i32, events: i32, user: u64) -> Result<(), Errno> {
        with(|p| port::port_alert(&p.thread, port, flags, events, user))
    }

    fn port_associate(port: i32, source: u16, object: u64, events: u16, user: u64) -> Result<(), Errno> {
        with(|p| port::port_associate(&p.thread, port, source, object, events, user))
    }

    fn port_dissociate(port: i32, source: u16, object: u64) -> Result<(), Errno> {
        with(|p| port::port_dissociate(&p.thread, port, source, object))
    }

    fn port_getn(port: i32, max: u32, nget: u32, timeout: Option<Timespec>) -> Result<PortGot, Errno> {
        with(|p| match port::port_getn(&p.thread, port, max, nget, timeout)? {
            GetnOutcome::Got(g) => Ok(g),
            GetnOutcome::Pending(_) => Ok(PortGot { events: Vec::new(), etime: false }),
            GetnOutcome::Blocked(_) => match timeout {
                Some(t) => match expire(p, ns(t).max(1))? {
                    Reply::PortEvents(g) => Ok(g),
                    _ => Err(Errno::Einval),
                },
                None => Err(deadlocked(p)),
            },
        })
    }

    fn port_pending(port: i32) -> Result<u32, Errno> {
        with(|p| match port::port_getn(&p.thread, port, 0, 0, None)? {
            GetnOutcome::Pending(n) => Ok(n),
            _ => Err(Errno::Einval),
        })
    }

    fn port_get(port: i32, timeout: Option<Timespec>) -> Result<Option<PortEvent>, Errno> {
        with(|p| match port::port_get(&p.thread, port, timeout)? {
            GetOutcome::Event(e) => Ok(Some(e)),
            GetOutcome::None => Ok(None),
            GetOutcome::Blocked(_) => match timeout {
                Some(t) => expire(p, ns(t).max(1)).map(|_| None),
                None => Err(deadlocked(p)),
            },
        })
    }
}
