//! # ipc-core: Unix kernel IPC as a deterministic state machine
//!
//! A user-space reimplementation of the kernel IPC facilities of illumos
//! and NetBSD, written so that every step can be seen, replayed and tested.
//!
//! ## Layers (read in this order)
//! * [`errno`] — the error numbers every call can return.
//! * [`proc`] — processes, threads, credentials: who is calling.
//! * [`kernel`] — the state machine: system calls, parking and waking,
//!   the logical clock, processes' lifecycle hooks, zones, resource controls.
//! * [`ipc`] — the illumos System V namespace framework (`ipc.c`): slot
//!   table with sequence numbers, AVL tree of keys ([`avl`]), id list,
//!   permissions, GET/SET/STAT/RMID/IDS, reference counts.
//! * [`msg`] — System V message queues on that framework.
//! * [`event`] — the event log: one event per operation, with its steps.
//! * [`inspect`] — plain-data views for viewers (slot tables, trees, queues).
//! * [`arena`] — the slab that objects and messages live in.
//!
//! ## What a reader must know
//! The kernel never blocks the host: a call that must wait *parks* its
//! thread and returns [`kernel::Outcome::Blocked`]; a later operation
//! completes it.  Nothing is random and nothing reads a clock, so a
//! sequence of operations determines every event and every state, and the
//! whole [`Kernel`] serializes with serde.
//!
//! ```
//! use ipc_core::{Kernel, Config, Credentials, Outcome};
//! use ipc_core::ipc::{IPC_CREAT, IPC_PRIVATE};
//!
//! let mut k = Kernel::new(Config::default()).unwrap();
//! let (_, reader) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
//! let (_, writer) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
//! let q = k.msgget(reader, IPC_PRIVATE, IPC_CREAT | 0o600).unwrap();
//! assert!(k.msgrcv(reader, q, 64, 0, 0, None).is_blocked());
//! assert_eq!(k.msgsnd(writer, q, 1, b"hi", 0, None), Outcome::Done(Ok(())));
//! let done = k.take_result(reader).unwrap();
//! assert_eq!(done.call, "msgrcv");
//! ```

pub mod arena;
pub mod avl;
pub mod errno;
pub mod event;
pub mod inspect;
pub mod ipc;
pub mod kernel;
pub mod msg;
pub mod proc;

pub use errno::{Errno, SysResult};
pub use kernel::{Config, Kernel, Outcome, Reply};
pub use proc::{Credentials, Pid, Tid};
