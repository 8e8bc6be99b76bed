//! # ipc-component: the kernel as a WebAssembly component
//!
//! A thin adapter from the WIT world `ipclab:ipc/kernel` (`wit/ipc.wit`) to
//! [`ipc_core`].  It holds no kernel logic: every export converts its
//! arguments to core types, makes exactly one call on an
//! [`ipc_core::Kernel`] (`batch`: one per operation, in order, stopping at
//! the first that parks), and converts the answer back.  The core's events
//! are typed data; this adapter puts them into words (`call`, `args`,
//! `text`) only when `events` is called.
//!
//! ## Files: one per WIT interface
//! `system.rs` (kernels, processes, threads, checkpoints, events in
//! words), `msg.rs` (and `batch`), `sem.rs`, `shm.rs`, `psem.rs`,
//! `port.rs` (with `fd`), `inspect.rs` (the views the others do not own);
//! here only what every interface shares: the errno conversions both ways,
//! facilities, `ipc_perm`.
//!
//! ## Handles and kernel state
//! * A `kernel` resource owns an `Rc<RefCell<Kernel>>`.
//! * A `process` handle is that `Rc` plus a pid; a `thread` handle is the
//!   `Rc` plus a tid (and the pid it belonged to).  Handles only *name*
//!   kernel state by number: the kernel decides, at each call, whether the
//!   process or thread still exists, and answers `esrch` if not.  So a
//!   handle outliving its process, a `restore` that replaced the state
//!   underneath it, or a dropped `kernel` handle (the `Rc` keeps the state
//!   alive for the remaining handles) all give errnos, never stale memory.
//! * `main-thread` of an exited process is a thread handle with tid 0, a
//!   tid the kernel never assigns, so every call through it is `esrch`.
//! * A `checkpoint` owns a clone of a kernel's whole state.  `rewind`
//!   clones it back without the checks `restore` runs on a snapshot: the
//!   component made it, so it is a state the kernel reached (and no caller
//!   can forge or edit one).
//!
//! ## Why nothing may trap
//! A trap (a Rust panic here, since the component is built with
//! `panic = "abort"`) poisons the whole component instance: every kernel,
//! process and thread in it is lost.  Hence no caller value reaches an
//! `unwrap`, an `expect`, an index or unchecked arithmetic here; the
//! `RefCell` is borrowed for exactly one kernel call at a time (the kernel
//! never calls back, so no borrow is ever held across a re-borrow);
//! configurations are validated ([`ipc_core::Config::validate`], plus caps
//! on sizes that allocate up front) before a kernel exists; a snapshot is
//! parsed, validated and checked ([`ipc_core::Kernel::check`]) before it
//! replaces anything; and the errno conversions are total `match`es.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ipc_core::fd::{FdLimits as CFdLimits, FdReply};
use ipc_core::inspect::log::{EventView, OutcomeView, StepKind as CStepKind, StepView, WakeupView};
use ipc_core::inspect::{
    KeyNodeView as CKeyNode, NamespaceView as CNamespaceView, ProcessView as CProcessView, SlotView as CSlotView,
    ThreadStateView as CThreadState, WaiterView as CWaiterView,
};
use ipc_core::msg::view::{MessageView as CMessageView, MsgQueueView as CMsgQueueView};
use ipc_core::msg::{
    MsgLimits as CMsgLimits, MsgReply, MsgctlReply, MsqSet, MsqidDs as CMsqidDs, Received as CReceived,
};
use ipc_core::namespace::avl::RotationKind;
use ipc_core::namespace::{Facility as CFacility, IdSpace, IpcPerm as CIpcPerm};
use ipc_core::port::{PortLimits as CPortLimits, PortReply};
use ipc_core::psem::{PsemLimits as CPsemLimits, PsemReply};
use ipc_core::sem::view::{SemSetView as CSemSetView, SemWaiterView as CSemWaiterView};
use ipc_core::sem::{
    SemArg as CSemArg, SemBuf as CSemBuf, SemGet, SemLimits as CSemLimits, SemReply, SemSetPerm as CSemSetPerm,
    SemctlReply as CSemctlReply, SemidDs as CSemidDs,
};
use ipc_core::shm::ShmLimits as CShmLimits;
use ipc_core::{
    Completion as CCompletion, Config as CConfig, Credentials as CCredentials, Errno as CErrno, Kernel as CKernel,
    Outcome, Reply as CReply,
};

wit_bindgen::generate!({ world: "kernel", path: "../wit" });

mod inspect;
mod msg;
mod port;
mod psem;
mod sem;
mod shm;
mod system;

pub(crate) use inspect::waiter_view;
pub(crate) use system::caller;

use exports::ipclab::ipc::inspect::{
    BlockedView, Explanation, FdTableView, FinishedView, KeyNode, MessageView, MsgQueueView, NamespaceView, PathLine,
    PathMark, PipeView, PortView, ProcessView, PsemTableView, RemovedObject, SemSetView, SemView, SemWaiterView,
    ShmTableView, SlotView, ThreadState, ThreadView, UndoView, WaitFor, WaiterView,
};
use exports::ipclab::ipc::msg::{Op, OpResult, RecvOutcome, SendOutcome};
use exports::ipclab::ipc::sem::{SemctlArg, SemctlReply, Semop1Outcome, SemopOutcome};
use exports::ipclab::ipc::system::{
    Completion, Config, Event, EventOutcome, FdLimits, GuestKernel, GuestProcess, GuestThread, MsgLimits, PortLimits,
    PsemLimits, Reply, Rotation, RotationKind as WRotationKind, SemLimits, ShmLimits, Step, StepKind, Wakeup,
};
use exports::ipclab::ipc::types::{
    Credentials, Errno, Facility, IpcPerm, MsqidDs, MsqidSet, Received, Sembuf, SemidDs, SemidSet,
};

/// Largest `event-capacity` a `create` accepts: the log is a ring that
/// grows to this many events, so a hostile value must not reserve gigabytes.
const MAX_EVENT_CAPACITY: u32 = 65_536;
/// Largest `ids-min` a `create` accepts: the slot table is allocated at
/// this size up front.
const MAX_IDS_MIN: u32 = 65_536;
/// Most operations one `batch` call accepts (E2BIG beyond).
const MAX_BATCH: usize = 65_536;
/// A tid the kernel never assigns (tids start at 1): calls through it are ESRCH.
const NO_TID: u32 = 0;

type Shared = Rc<RefCell<CKernel>>;

pub(crate) struct Component;

export!(Component);

// ----- errno, both ways; facilities; ipc_perm: what every interface shares -----

pub(crate) fn errno(e: CErrno) -> Errno {
    match e {
        CErrno::EPERM => Errno::Eperm,
        CErrno::ENOENT => Errno::Enoent,
        CErrno::ESRCH => Errno::Esrch,
        CErrno::EINTR => Errno::Eintr,
        CErrno::EIO => Errno::Eio,
        CErrno::EBADF => Errno::Ebadf,
        CErrno::EPIPE => Errno::Epipe,
        CErrno::ETIME => Errno::Etime,
        CErrno::EBADFD => Errno::Ebadfd,
        CErrno::E2BIG => Errno::E2big,
        CErrno::EAGAIN => Errno::Eagain,
        CErrno::ENOMEM => Errno::Enomem,
        CErrno::EACCES => Errno::Eacces,
        CErrno::EFAULT => Errno::Efault,
        CErrno::EBUSY => Errno::Ebusy,
        CErrno::EEXIST => Errno::Eexist,
        CErrno::EINVAL => Errno::Einval,
        CErrno::ENFILE => Errno::Enfile,
        CErrno::EMFILE => Errno::Emfile,
        CErrno::EFBIG => Errno::Efbig,
        CErrno::ENOSPC => Errno::Enospc,
        CErrno::ERANGE => Errno::Erange,
        CErrno::ENOMSG => Errno::Enomsg,
        CErrno::EIDRM => Errno::Eidrm,
        CErrno::EDEADLK => Errno::Edeadlk,
        CErrno::ENAMETOOLONG => Errno::Enametoolong,
        CErrno::EOVERFLOW => Errno::Eoverflow,
        CErrno::ETIMEDOUT => Errno::Etimedout,
    }
}

/// The inverse of [`errno`]; kept total so the two cannot drift apart silently.
#[allow(dead_code)]
pub(crate) fn core_errno(e: Errno) -> CErrno {
    match e {
        Errno::Eperm => CErrno::EPERM,
        Errno::Enoent => CErrno::ENOENT,
        Errno::Esrch => CErrno::ESRCH,
        Errno::Eintr => CErrno::EINTR,
        Errno::Eio => CErrno::EIO,
        Errno::Ebadf => CErrno::EBADF,
        Errno::Epipe => CErrno::EPIPE,
        Errno::Etime => CErrno::ETIME,
        Errno::Ebadfd => CErrno::EBADFD,
        Errno::E2big => CErrno::E2BIG,
        Errno::Eagain => CErrno::EAGAIN,
        Errno::Enomem => CErrno::ENOMEM,
        Errno::Eacces => CErrno::EACCES,
        Errno::Efault => CErrno::EFAULT,
        Errno::Ebusy => CErrno::EBUSY,
        Errno::Eexist => CErrno::EEXIST,
        Errno::Einval => CErrno::EINVAL,
        Errno::Enfile => CErrno::ENFILE,
        Errno::Emfile => CErrno::EMFILE,
        Errno::Efbig => CErrno::EFBIG,
        Errno::Enospc => CErrno::ENOSPC,
        Errno::Erange => CErrno::ERANGE,
        Errno::Enomsg => CErrno::ENOMSG,
        Errno::Eidrm => CErrno::EIDRM,
        Errno::Edeadlk => CErrno::EDEADLK,
        Errno::Enametoolong => CErrno::ENAMETOOLONG,
        Errno::Eoverflow => CErrno::EOVERFLOW,
        Errno::Etimedout => CErrno::ETIMEDOUT,
    }
}

pub(crate) fn err<T>(r: Result<T, CErrno>) -> Result<T, Errno> {
    r.map_err(errno)
}

pub(crate) fn facility(f: CFacility) -> Facility {
    match f {
        CFacility::Msg => Facility::Msg,
        CFacility::Sem => Facility::Sem,
        CFacility::Shm => Facility::Shm,
    }
}

pub(crate) fn core_facility(f: Facility) -> CFacility {
    match f {
        Facility::Msg => CFacility::Msg,
        Facility::Sem => CFacility::Sem,
        Facility::Shm => CFacility::Shm,
    }
}

pub(crate) fn ipc_perm(p: CIpcPerm) -> IpcPerm {
    IpcPerm {
        uid: p.uid,
        gid: p.gid,
        cuid: p.cuid,
        cgid: p.cgid,
        mode: p.mode,
        key: p.key,
        zone: p.zone,
        project: p.project,
    }
}
