//! # ipc-core: Unix kernel IPC as a deterministic state machine
//!
//! A user-space reimplementation of the kernel IPC facilities of illumos
//! and NetBSD, written so that every step can be seen, replayed and tested.
//!
//! ## The map (read in this order)
//! * [`errno`], [`cred`] — the vocabulary every layer shares: error
//!   numbers, ids, credentials, the caller of a system call.
//! * [`namespace`] — the illumos System V namespace framework (`ipc.c`):
//!   slot table with sequence numbers, AVL tree of keys
//!   ([`namespace::avl`]), id list, permissions, GET/SET/STAT/RMID/IDS,
//!   references, project and zone resource controls.  A library: it knows
//!   no kernel and reports through a [`namespace::Sink`].
//! * [`event`] — typed events (call, outcome, wakeups, steps) rendered in
//!   words only when read, and the bounded log.
//! * [`kernel`] — the state machine, generic over its facilities: system
//!   calls, parking and waking, the logical clock, processes and threads,
//!   the lifecycle hooks, snapshots.
//! * [`msg`] — System V message queues (`msg.c`).
//! * [`sem`] — System V semaphore arrays (`sem.c`), with undo records.
//! * [`shm`] — System V shared memory (NetBSD `sysv_shm.c`) on the same
//!   namespace: segments with real bytes, per-process attach maps.
//! * [`fd`] — file descriptors and pipes: the substrate of event ports.
//! * [`port`] — illumos event ports (`port.c`): user, alert and fd
//!   sources, `port_get`/`port_getn` with the seed's getter queue.
//! * [`psem`] — POSIX semaphores (NetBSD `uipc_sem.c`): names, ids and
//!   per-process reference lists of their own, outside the namespace.
//! * [`inspect`] — plain-data views for viewers; [`inspect::scene`] cuts them to
//!   what one screen shows (a page of each long list, an overview of a large tree).
//! * [`hooks`] — the one place that names every facility: their state,
//!   their words and one arm per hook.  [`Kernel`] is the kernel with them.
//! * [`explain`] — one event in plain words and its call's kernel path,
//!   marked line by line: what a learner reads beside each step.  It
//!   reads events (and so names the facilities' steps); nothing above it
//!   names it.
//!
//! Dependencies point one way, down this list (a facility names the
//! kernel; the kernel never names a facility).  **Adding a facility is one
//! module plus one arm per hook in `hooks.rs`.**
//!
//! ## What a reader must know
//! The kernel never blocks the host: a call that must wait *parks* its
//! thread and returns [`Outcome::Blocked`]; a later operation completes it.
//! Nothing is random and nothing reads a clock, so a sequence of
//! operations determines every event and every state, and the whole
//! [`Kernel`] serializes with serde.
//!
//! ```
//! use ipc_core::{Kernel, Config, Credentials, Outcome, Reply};
//! use ipc_core::msg::MsgReply;
//! use ipc_core::namespace::{IPC_CREAT, IPC_PRIVATE};
//!
//! let mut k = Kernel::new(Config::default()).unwrap();
//! let (_, reader) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
//! let (_, writer) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
//! let q = k.msgget(reader, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
//! assert!(k.msgrcv(reader, q, 64, 0, 0, None).is_blocked());
//! assert_eq!(k.msgsnd(writer, q, 1, b"hi", 0, None), Outcome::Done(Ok(())));
//! let done = k.take_result(reader).unwrap();
//! assert_eq!(done.call(), "msgrcv");
//! assert!(matches!(done.result, Ok(Reply::Msg(MsgReply::Received(ref m))) if m.data == b"hi"));
//! assert_eq!(k.last_event().unwrap().to_string(), "#5 t=0ns pid 1 tid 1: take_result() -> msgrcv: 2-byte message of type 1");
//! ```

pub mod cred;
pub mod errno;
pub mod event;
pub mod explain;
pub mod fd;
pub mod hooks;
pub mod inspect;
pub mod kernel;
pub mod msg;
pub mod namespace;
pub mod port;
pub mod psem;
pub mod sem;
pub mod shm;

pub use cred::{Credentials, Pid, Tid};
pub use errno::{Errno, SysResult};
pub use hooks::{Completion, Config, Event, EventOutcome, Ipc, Kernel, Reply, Step};
pub use kernel::Outcome;
