//! # ipclab-host: guest programs as processes of one kernel
//!
//! The wasmtime side of ipclab, as a library and as the `ipclab` binary:
//! * [`engine`] — the embedding every host shares (engine, component
//!   loading, WASI store data); the host tests and the benchmark use it.
//! * [`kernel`] — one instance of the kernel component and its kernel.
//! * [`run`] — `ipclab run`: guests (world `guest` in `wit/guest.wit`)
//!   as processes of one kernel, blocking for real, deadlocks reported;
//!   and `ipclab exec` for composed, self-contained commands.
//! * [`ipcs`] — `ipcs -a` of a kernel snapshot.
//! * [`output`] — guests' stdout and stderr, prefixed with name and pid.

pub mod engine;
pub mod ipcs;
pub mod kernel;
pub mod output;
pub mod run;
