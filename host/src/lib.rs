//! # ipclab-host: guest programs as processes of one kernel
//!
//! The wasmtime side of ipclab, as a library and as the `ipclab` binary:
//! * [`engine`] — the embedding every host shares (engine, component
//!   loading, WASI store data); the host tests and the benchmark use it.
//! * [`kernel`] — one instance of the kernel component and its kernel.
//! * [`run`] — `ipclab run`: guests (world `guest` in `wit/guest.wit`)
//!   as processes of one kernel, deadlocks reported; and `ipclab exec`
//!   for composed, self-contained commands.
//! * [`sim`] — the deterministic simulation under `run`: every guest on
//!   one thread, a scheduler deciding at every kernel call, simulated time;
//!   [`sim::sched`] the policies and the schedule file.
//! * [`explore`] — `ipclab explore`: many schedules, every distinct failure.
//! * [`ipcs`] — `ipcs -a` of a kernel snapshot.
//! * [`output`] — guests' stdout and stderr, prefixed with name and pid.

pub mod engine;
pub mod explore;
pub mod ipcs;
pub mod kernel;
pub mod output;
pub mod run;
pub mod session;
pub mod sim;
