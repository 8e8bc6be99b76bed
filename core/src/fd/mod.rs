//! # File descriptors and pipes: the substrate event ports need
//!
//! Event ports are file descriptors, and their `PORT_SOURCE_FD` source
//! watches files that become readable or writable.  This module gives each
//! process a **file-descriptor table** and knows two kinds of open file:
//! the ends of a **pipe**, and **ports** (whose behaviour lives in the port
//! module; here a port is only a kind of file that fds can refer to).  It
//! is deliberately small: no paths, no `dup`, no `O_CLOEXEC`.
//!
//! ## Objects
//! * [`OpenFile`] (`struct file`): what an fd refers to — a pipe's read end,
//!   its write end, or a port — and how many fds refer to it (`f_count`).
//!   Fork shares open files (every inherited fd is one more reference).
//! * [`Pipe`]: a bounded byte buffer (`capacity`, default 4096 =
//!   `PIPE_BUF`), the number of open read-end and write-end files, and the
//!   threads parked on it: readers waiting for data, writers for room.
//! * Per process, the **fd table**: slot `n` is fd `n`, `None` when free.
//!
//! ## Operations (POSIX; illumos `fifofs` where POSIX leaves a choice)
//! * **pipe()**: two fds, the lowest free ones (read end first); EMFILE
//!   if the table has fewer than two free slots below `max_fds`.
//! * **read(fd, len, nonblock)**: EBADF unless `fd` is an open read end;
//!   `len == 0` → 0 bytes; data → up to `len` bytes, oldest first; empty
//!   with no writer left → 0 bytes (end of file); empty → EAGAIN with
//!   `nonblock`, else the thread parks until data or end of file.
//! * **write(fd, data, nonblock)**: EBADF unless an open write end; no
//!   reader left → EPIPE (the seed's SIGPIPE is not modelled); an empty
//!   write → 0.  Writes of at most `PIPE_BUF` bytes are atomic: they wait
//!   (or EAGAIN) until all of them fit.  Longer writes take what fits and,
//!   blocking, wait for room for the rest; nonblocking they return the
//!   count written (EAGAIN if nothing fit).  A parked writer is completed
//!   with the total written, or EPIPE when the last reader closes.
//! * **close(fd)**: EBADF unless open; the file loses a reference; its last
//!   reference closes it: the pipe loses a reader or a writer.  The last
//!   writer's close completes every parked reader with end of file (0
//!   bytes); the last reader's close completes every parked writer with
//!   EPIPE.  A port's last close goes to the port module.
//!
//! ## Waking
//! After a write, parked readers are served oldest first while data
//! remains (each takes up to its `len`); after a read, parked writers are
//! served oldest first while their data fits (an atomic write that does not
//! fit stops the line, so nobody overtakes it).  Every change of a pipe's
//! readiness is reported to the facility set (`FdHost::pollwakeup`), which
//! is how event ports learn that an associated fd became ready.
//!
//! ## Readiness (`poll` events)
//! Read end: POLLIN|POLLRDNORM while data is buffered, POLLHUP once no
//! writer is left.  Write end: POLLOUT|POLLWRNORM while there is room and a
//! reader, POLLERR once no reader is left.
//!
//! ## Processes
//! Fork copies the fd table (every open file gains a reference); exec
//! keeps it; exit closes every fd, lowest first.
//!
//! ## Invariants (checked by `check()`)
//! 1. Every fd names an open file, and a file's reference count is the
//!    number of fds naming it, across all tables.
//! 2. A pipe's readers and writers are its ends' reference counts; its
//!    buffer holds at most `capacity` bytes; it exists while an end does.
//! 3. A parked reader means an empty pipe with a writer; a parked writer
//!    means a reader is left.  Each is a thread parked on that channel.
//! 4. Tables belong to live processes and are no longer than `max_fds`.

use crate::cred::{Pid, Tid};
use crate::errno::{Errno, SysResult};
use crate::event::{Ctx, Named};
use crate::kernel::{Blockers, Facilities, Kernel, Outcome, Progress};
use crate::namespace::Sink;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

pub type Fd = i32;
/// An open file's number (`struct file *`).
pub type FileId = u32;
/// A pipe's number.
pub type PipeId = u32;

/// `poll` event bits (illumos `<sys/poll.h>`).
pub const POLLIN: u16 = 0x0001;
pub const POLLOUT: u16 = 0x0004;
pub const POLLERR: u16 = 0x0008;
pub const POLLHUP: u16 = 0x0010;
pub const POLLRDNORM: u16 = 0x0040;
pub const POLLWRNORM: u16 = POLLOUT;

/// Limits of the fd layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdLimits {
    /// RLIMIT_NOFILE: fds per process.  Default 256.
    pub max_fds: u32,
    /// A pipe's buffer, and PIPE_BUF (the atomic write size).  Default 4096.
    pub pipe_buf: u32,
}

impl Default for FdLimits {
    fn default() -> Self {
        FdLimits { max_fds: 256, pipe_buf: 4096 }
    }
}

impl FdLimits {
    pub fn validate(&self) -> SysResult<()> {
        if !(3..=65536).contains(&self.max_fds) || !(1..=1 << 20).contains(&self.pipe_buf) {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
}

/// What an open file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    PipeRead(PipeId),
    PipeWrite(PipeId),
    /// An event port (the port module's number).
    Port(u32),
}

/// An open file (`struct file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFile {
    pub kind: FileKind,
    /// `f_count`: fds referring to it.
    pub refs: u32,
}

/// A thread parked on a pipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipeWait {
    pub tid: Tid,
    pub pid: Pid,
    /// The fd it called through.
    pub fd: Fd,
    /// Reader: how many bytes it takes at most.  Writer: bytes still to write.
    pub len: u32,
    /// Writer: the bytes still to write, and how many it wrote already.
    pub data: Vec<u8>,
    pub written: u64,
    pub nonatomic: bool,
}

/// A pipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipe {
    pub buf: VecDeque<u8>,
    pub capacity: u32,
    pub readers: u32,
    pub writers: u32,
    pub read_file: Option<FileId>,
    pub write_file: Option<FileId>,
    pub rwait: VecDeque<PipeWait>,
    pub wwait: VecDeque<PipeWait>,
}

impl Pipe {
    fn room(&self) -> usize {
        (self.capacity as usize).saturating_sub(self.buf.len())
    }

    /// `poll` events of one end.
    pub fn revents(&self, read_end: bool) -> u16 {
        if read_end {
            let mut e = 0;
            if !self.buf.is_empty() {
                e |= POLLIN | POLLRDNORM;
            }
            if self.writers == 0 {
                e |= POLLHUP;
            }
            e
        } else if self.readers == 0 {
            POLLERR
        } else if self.room() > 0 {
            POLLOUT | POLLWRNORM
        } else {
            0
        }
    }
}

/// The fd layer's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fds {
    limits: FdLimits,
    files: BTreeMap<FileId, OpenFile>,
    next_file: FileId,
    pipes: BTreeMap<PipeId, Pipe>,
    next_pipe: PipeId,
    /// pid → fd table (slot n is fd n).
    tables: BTreeMap<Pid, Vec<Option<FileId>>>,
}

impl Fds {
    pub fn new(limits: FdLimits) -> SysResult<Self> {
        limits.validate()?;
        Ok(Fds {
            limits,
            files: BTreeMap::new(),
            next_file: 1,
            pipes: BTreeMap::new(),
            next_pipe: 1,
            tables: BTreeMap::new(),
        })
    }

    pub fn limits(&self) -> &FdLimits {
        &self.limits
    }

    pub fn file(&self, f: FileId) -> Option<&OpenFile> {
        self.files.get(&f)
    }

    pub fn pipe(&self, p: PipeId) -> Option<&Pipe> {
        self.pipes.get(&p)
    }

    pub fn pipes(&self) -> impl Iterator<Item = (PipeId, &Pipe)> {
        self.pipes.iter().map(|(&id, p)| (id, p))
    }

    /// A process's fd table.
    pub fn table(&self, pid: Pid) -> &[Option<FileId>] {
        self.tables.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// Every process with a table.
    pub fn tables(&self) -> impl Iterator<Item = (Pid, &[Option<FileId>])> {
        self.tables.iter().map(|(&p, t)| (p, t.as_slice()))
    }

    /// The open file behind `fd` of `pid`.
    pub fn lookup(&self, pid: Pid, fd: Fd) -> Option<FileId> {
        let i = usize::try_from(fd).ok()?;
        *self.table(pid).get(i)?
    }

    /// `poll` events of an open file (0 for a port: ports are not polled here).
    pub fn revents(&self, f: FileId) -> u16 {
        match self.files.get(&f).map(|o| o.kind) {
            Some(FileKind::PipeRead(p)) => self.pipes.get(&p).map_or(0, |p| p.revents(true)),
            Some(FileKind::PipeWrite(p)) => self.pipes.get(&p).map_or(0, |p| p.revents(false)),
            _ => 0,
        }
    }

    fn free_slots(&self, pid: Pid) -> usize {
        let t = self.table(pid);
        t.iter().filter(|s| s.is_none()).count() + (self.limits.max_fds as usize).saturating_sub(t.len())
    }

    /// Puts `f` in the lowest free slot of `pid`'s table (a reference).
    fn install(&mut self, pid: Pid, f: FileId) -> SysResult<Fd> {
        let max = self.limits.max_fds as usize;
        let t = self.tables.entry(pid).or_default();
        let i = match t.iter().position(Option::is_none) {
            Some(i) => i,
            None if t.len() < max => {
                t.push(None);
                t.len() - 1
            }
            None => return Err(Errno::EMFILE),
        };
        t[i] = Some(f);
        if let Some(o) = self.files.get_mut(&f) {
            o.refs += 1;
        }
        Ok(i as Fd)
    }

    fn new_file(&mut self, kind: FileKind) -> FileId {
        // Once the counter has wrapped, numbers still open are skipped: a
        // new file must never replace a live one.
        while self.files.contains_key(&self.next_file) {
            self.next_file = self.next_file.wrapping_add(1).max(1);
        }
        let f = self.next_file;
        self.next_file = self.next_file.wrapping_add(1).max(1);
        self.files.insert(f, OpenFile { kind, refs: 0 });
        f
    }

    /// A new open file of `kind` at the lowest free fd of `pid` (for ports).
    pub fn open(&mut self, pid: Pid, kind: FileKind) -> SysResult<(Fd, FileId)> {
        if self.free_slots(pid) == 0 {
            return Err(Errno::EMFILE);
        }
        let f = self.new_file(kind);
        let fd = self.install(pid, f)?;
        Ok((fd, f))
    }
}

/// A kernel's facility set that contains the fd layer.
pub trait FdHost:
    Facilities<Call: From<FdCall>, Value: From<FdValue>, Step: From<FdStep>, Chan: From<FdChan>, Reply: From<FdReply>>
{
    fn fds(&self) -> &Fds;
    fn fds_mut(&mut self) -> &mut Fds;
    /// A pipe's readiness may have changed (`pollwakeup`): event ports
    /// with an association on one of its ends look at it.
    fn pollwakeup(k: &mut Kernel<Self>, pipe: PipeId, ctx: &mut Ctx<Self>);
    /// `pid` released `fd` (close or exit), which referred to `file`;
    /// `last`: no fd refers to it any more.  Event ports drop the
    /// process's associations of that fd and, for a port, clean up or
    /// destroy it.
    fn released(k: &mut Kernel<Self>, pid: Pid, fd: Fd, file: FileId, kind: FileKind, last: bool, ctx: &mut Ctx<Self>);
}

// ----- words for the event log -----

/// An fd-layer call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FdCall {
    Pipe,
    Read { fd: Fd, len: u32, nonblock: bool },
    Write { fd: Fd, len: u64, nonblock: bool },
    Close { fd: Fd },
}

impl Named for FdCall {
    fn name(&self) -> &'static str {
        match self {
            FdCall::Pipe => "pipe",
            FdCall::Read { .. } => "read",
            FdCall::Write { .. } => "write",
            FdCall::Close { .. } => "close",
        }
    }
}

impl fmt::Display for FdCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nb = |n: bool| if n { ", O_NONBLOCK" } else { "" };
        match *self {
            FdCall::Pipe => Ok(()),
            FdCall::Read { fd, len, nonblock } => write!(f, "fd={fd}, len={len}{}", nb(nonblock)),
            FdCall::Write { fd, len, nonblock } => write!(f, "fd={fd}, len={len}{}", nb(nonblock)),
            FdCall::Close { fd } => write!(f, "fd={fd}"),
        }
    }
}

/// What an fd call returned, as the log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FdValue {
    Pipe { read: Fd, write: Fd },
    Bytes(u64),
    Zero,
}

impl fmt::Display for FdValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FdValue::Pipe { read, write } => write!(f, "fds [{read}, {write}]"),
            FdValue::Bytes(n) => write!(f, "{n} byte(s)"),
            FdValue::Zero => write!(f, "0"),
        }
    }
}

/// An internal step of the fd layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FdStep {
    /// Bytes went into or out of a pipe's buffer.
    Moved { pipe: PipeId, bytes: u64, into: bool, buffered: u64 },
    /// An open file lost its last reference.
    Closed { file: FileId, kind: FileKind },
}

impl fmt::Display for FdStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FdStep::Moved { pipe, bytes, into: true, buffered } => {
                write!(f, "fd: {bytes} byte(s) into pipe {pipe} ({buffered} buffered)")
            }
            FdStep::Moved { pipe, bytes, into: false, buffered } => {
                write!(f, "fd: {bytes} byte(s) out of pipe {pipe} ({buffered} buffered)")
            }
            FdStep::Closed { file, kind } => write!(f, "fd: open file {file} ({kind:?}) closed: no fd refers to it"),
        }
    }
}

/// What a parked read or write waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FdChan {
    Read { pipe: PipeId, fd: Fd },
    Write { pipe: PipeId, fd: Fd },
}

impl Named for FdChan {
    fn name(&self) -> &'static str {
        match self {
            FdChan::Read { .. } => "read",
            FdChan::Write { .. } => "write",
        }
    }
}

impl fmt::Display for FdChan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FdChan::Read { pipe, fd } => write!(f, "read: pipe {pipe} (fd {fd}) is empty; waits for a writer"),
            FdChan::Write { pipe, fd } => write!(f, "write: pipe {pipe} (fd {fd}) is full; waits for a reader"),
        }
    }
}

/// What a parked read or write completes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FdReply {
    Read(Vec<u8>),
    Wrote(u64),
}

impl FdReply {
    pub fn value(&self) -> FdValue {
        match self {
            FdReply::Read(b) => FdValue::Bytes(b.len() as u64),
            FdReply::Wrote(n) => FdValue::Bytes(*n),
        }
    }
}

fn deny(ctx: &mut impl Sink, errno: Errno, rule: impl FnOnce() -> String) -> Errno {
    ctx.deny(None, errno, || format!("fd: {}", rule()))
}

fn ebadf(ctx: &mut impl Sink, pid: Pid, fd: Fd, what: &str) -> Errno {
    deny(ctx, Errno::EBADF, || format!("fd {fd} of pid {pid} is not {what}"))
}

// ----- the system calls -----

impl<F: FdHost> Kernel<F> {
    /// `pipe()`: (read fd, write fd).
    pub fn pipe(&mut self, tid: Tid) -> SysResult<(Fd, Fd)> {
        self.syscall_now(
            tid,
            FdCall::Pipe.into(),
            |&(read, write)| FdValue::Pipe { read, write }.into(),
            |k, caller, ctx| {
                let fds = k.fac.fds_mut();
                if fds.free_slots(caller.pid) < 2 {
                    let max = fds.limits.max_fds;
                    return Err(deny(ctx, Errno::EMFILE, || {
                        format!("pid {} has fewer than 2 free fds below its limit of {max}", caller.pid)
                    }));
                }
                // As for files: after a wrap, skip pipes that still exist.
                while fds.pipes.contains_key(&fds.next_pipe) {
                    fds.next_pipe = fds.next_pipe.wrapping_add(1).max(1);
                }
                let p = fds.next_pipe;
                fds.next_pipe = fds.next_pipe.wrapping_add(1).max(1);
                let (rf, wf) = (fds.new_file(FileKind::PipeRead(p)), fds.new_file(FileKind::PipeWrite(p)));
                let capacity = fds.limits.pipe_buf;
                fds.pipes.insert(
                    p,
                    Pipe {
                        buf: VecDeque::new(),
                        capacity,
                        readers: 1,
                        writers: 1,
                        read_file: Some(rf),
                        write_file: Some(wf),
                        rwait: VecDeque::new(),
                        wwait: VecDeque::new(),
                    },
                );
                let r = fds.install(caller.pid, rf)?;
                let w = fds.install(caller.pid, wf)?;
                Ok((r, w))
            },
        )
    }

    /// `read(fd, len)`: up to `len` bytes; may park (not with `nonblock`).
    pub fn read(&mut self, tid: Tid, fd: Fd, len: u32, nonblock: bool) -> Outcome<Vec<u8>> {
        self.syscall(
            tid,
            FdCall::Read { fd, len, nonblock }.into(),
            |b: &Vec<u8>| FdValue::Bytes(b.len() as u64).into(),
            |k, caller, ctx| {
                let fds = k.fac.fds_mut();
                let Some(FileKind::PipeRead(p)) =
                    fds.lookup(caller.pid, fd).and_then(|f| fds.files.get(&f)).map(|o| o.kind)
                else {
                    return Progress::Done(Err(ebadf(ctx, caller.pid, fd, "open for reading")));
                };
                let Some(pipe) = fds.pipes.get_mut(&p) else { return Progress::Done(Err(Errno::EBADF)) };
                if len == 0 {
                    return Progress::Done(Ok(Vec::new()));
                }
                if !pipe.buf.is_empty() {
                    let n = (len as usize).min(pipe.buf.len());
                    let out: Vec<u8> = pipe.buf.drain(..n).collect();
                    let buffered = pipe.buf.len() as u64;
                    ctx.sys(FdStep::Moved { pipe: p, bytes: n as u64, into: false, buffered });
                    k.fd_serve_writers(p, ctx);
                    F::pollwakeup(k, p, ctx);
                    return Progress::Done(Ok(out));
                }
                if pipe.writers == 0 {
                    return Progress::Done(Ok(Vec::new()));
                }
                if nonblock {
                    return Progress::Done(Err(deny(ctx, Errno::EAGAIN, || {
                        format!("pipe {p} is empty and O_NONBLOCK was given")
                    })));
                }
                pipe.rwait.push_back(PipeWait {
                    tid: caller.tid,
                    pid: caller.pid,
                    fd,
                    len,
                    data: Vec::new(),
                    written: 0,
                    nonatomic: false,
                });
                Progress::Park { chan: FdChan::Read { pipe: p, fd }.into(), timeout: None }
            },
        )
    }

    /// `write(fd, data)`: how many bytes were written; may park.
    pub fn write(&mut self, tid: Tid, fd: Fd, data: &[u8], nonblock: bool) -> Outcome<u64> {
        self.syscall(
            tid,
            FdCall::Write { fd, len: data.len() as u64, nonblock }.into(),
            |&n| FdValue::Bytes(n).into(),
            |k, caller, ctx| {
                let fds = k.fac.fds_mut();
                let Some(FileKind::PipeWrite(p)) =
                    fds.lookup(caller.pid, fd).and_then(|f| fds.files.get(&f)).map(|o| o.kind)
                else {
                    return Progress::Done(Err(ebadf(ctx, caller.pid, fd, "open for writing")));
                };
                let pipe_buf = fds.limits.pipe_buf as usize;
                let Some(pipe) = fds.pipes.get_mut(&p) else { return Progress::Done(Err(Errno::EBADF)) };
                if pipe.readers == 0 {
                    return Progress::Done(Err(deny(ctx, Errno::EPIPE, || {
                        format!("pipe {p} has no reader left (the seed would also send SIGPIPE)")
                    })));
                }
                if data.is_empty() {
                    return Progress::Done(Ok(0));
                }
                let atomic = data.len() <= pipe_buf;
                let room = pipe.room();
                // Parked writers go first: nobody overtakes them.
                let n = if !pipe.wwait.is_empty() {
                    0
                } else if atomic {
                    if room >= data.len() { data.len() } else { 0 }
                } else {
                    room.min(data.len())
                };
                if n > 0 {
                    pipe.buf.extend(&data[..n]);
                    let buffered = pipe.buf.len() as u64;
                    ctx.sys(FdStep::Moved { pipe: p, bytes: n as u64, into: true, buffered });
                }
                if n == data.len() || (nonblock && n > 0) {
                    k.fd_serve_readers(p, ctx);
                    F::pollwakeup(k, p, ctx);
                    return Progress::Done(Ok(n as u64));
                }
                if nonblock {
                    return Progress::Done(Err(deny(ctx, Errno::EAGAIN, || {
                        format!("pipe {p} has room for {room} byte(s), not {} (O_NONBLOCK)", data.len())
                    })));
                }
                let Some(pipe) = k.fac.fds_mut().pipes.get_mut(&p) else { return Progress::Done(Err(Errno::EBADF)) };
                pipe.wwait.push_back(PipeWait {
                    tid: caller.tid,
                    pid: caller.pid,
                    fd,
                    len: (data.len() - n) as u32,
                    data: data[n..].to_vec(),
                    written: n as u64,
                    nonatomic: !atomic,
                });
                if n > 0 {
                    k.fd_serve_readers(p, ctx);
                    F::pollwakeup(k, p, ctx);
                }
                Progress::Park { chan: FdChan::Write { pipe: p, fd }.into(), timeout: None }
            },
        )
    }

    /// `close(fd)`.
    pub fn close(&mut self, tid: Tid, fd: Fd) -> SysResult<()> {
        self.syscall_now(
            tid,
            FdCall::Close { fd }.into(),
            |_| FdValue::Zero.into(),
            |k, caller, ctx| {
                if k.fac.fds().lookup(caller.pid, fd).is_none() {
                    return Err(ebadf(ctx, caller.pid, fd, "open"));
                }
                fd_release(k, caller.pid, fd, ctx);
                Ok(())
            },
        )
    }

    /// Serves parked readers, oldest first, while data remains.
    fn fd_serve_readers(&mut self, p: PipeId, ctx: &mut Ctx<F>) {
        loop {
            let Some(pipe) = self.fac.fds_mut().pipes.get_mut(&p) else { return };
            if pipe.buf.is_empty() {
                return;
            }
            let Some(w) = pipe.rwait.pop_front() else { return };
            let n = (w.len as usize).min(pipe.buf.len());
            let out: Vec<u8> = pipe.buf.drain(..n).collect();
            let buffered = pipe.buf.len() as u64;
            ctx.sys(FdStep::Moved { pipe: p, bytes: n as u64, into: false, buffered });
            // Put it back so the unpark hook finds (and removes) it.
            pipe.rwait.push_front(w.clone());
            self.complete(w.tid, Ok(FdReply::Read(out).into()), ctx);
        }
    }

    /// Serves parked writers, oldest first, while their data fits.
    fn fd_serve_writers(&mut self, p: PipeId, ctx: &mut Ctx<F>) {
        let mut moved = false;
        while let Some(pipe) = self.fac.fds_mut().pipes.get_mut(&p) {
            let room = pipe.room();
            let Some(w) = pipe.wwait.front_mut() else { break };
            let n = if w.nonatomic {
                room.min(w.data.len())
            } else if room >= w.data.len() {
                w.data.len()
            } else {
                0
            };
            if n == 0 {
                break;
            }
            let chunk: Vec<u8> = w.data.drain(..n).collect();
            w.written += n as u64;
            w.len = w.data.len() as u32;
            let (done, tid, total) = (w.data.is_empty(), w.tid, w.written);
            pipe.buf.extend(chunk);
            let buffered = pipe.buf.len() as u64;
            ctx.sys(FdStep::Moved { pipe: p, bytes: n as u64, into: true, buffered });
            moved = true;
            if !done {
                break;
            }
            self.complete(tid, Ok(FdReply::Wrote(total).into()), ctx);
        }
        if moved {
            self.fd_serve_readers(p, ctx);
        }
    }
}

/// Drops `fd` of `pid` (close, exit): its file loses a reference, and its
/// last reference closes it.
fn fd_release<F: FdHost>(k: &mut Kernel<F>, pid: Pid, fd: Fd, ctx: &mut Ctx<F>) {
    let fds = k.fac.fds_mut();
    let Some(slot) = fds.tables.get_mut(&pid).and_then(|t| t.get_mut(fd as usize)) else { return };
    let Some(f) = slot.take() else { return };
    if let Some(t) = fds.tables.get_mut(&pid) {
        while t.last().is_some_and(Option::is_none) {
            t.pop();
        }
        if t.is_empty() {
            fds.tables.remove(&pid);
        }
    }
    let Some(o) = fds.files.get_mut(&f) else { return };
    o.refs = o.refs.saturating_sub(1);
    let (kind, last) = (o.kind, o.refs == 0);
    if last {
        fds.files.remove(&f);
        ctx.sys(FdStep::Closed { file: f, kind });
    }
    F::released(k, pid, fd, f, kind, last, ctx);
    if !last {
        return;
    }
    if let FileKind::PipeRead(p) | FileKind::PipeWrite(p) = kind {
        let read_end = matches!(kind, FileKind::PipeRead(_));
        let Some(pipe) = k.fac.fds_mut().pipes.get_mut(&p) else { return };
        let mut wake: Vec<(Tid, SysResult<FdReply>)> = Vec::new();
        if read_end {
            pipe.readers = 0;
            pipe.read_file = None;
            wake.extend(pipe.wwait.iter().map(|w| (w.tid, Err(Errno::EPIPE))));
        } else {
            pipe.writers = 0;
            pipe.write_file = None;
            wake.extend(pipe.rwait.iter().map(|w| (w.tid, Ok(FdReply::Read(Vec::new())))));
        }
        let gone = pipe.readers == 0 && pipe.writers == 0;
        for (tid, r) in wake {
            k.complete(tid, r.map(Into::into), ctx);
        }
        F::pollwakeup(k, p, ctx);
        if gone {
            k.fac.fds_mut().pipes.remove(&p);
        }
    }
}

// ----- hooks (called from `hooks.rs`) -----

/// `unpark`: the thread leaves its pipe's waiting line.
pub(crate) fn unpark<F: FdHost>(k: &mut Kernel<F>, tid: Tid, chan: &FdChan, _ctx: &mut Ctx<F>) {
    let (FdChan::Read { pipe, .. } | FdChan::Write { pipe, .. }) = *chan;
    if let Some(p) = k.fac.fds_mut().pipes.get_mut(&pipe) {
        p.rwait.retain(|w| w.tid != tid);
        p.wwait.retain(|w| w.tid != tid);
    }
}

/// Fork: the child's table is the parent's; every open file gains a reference.
pub(crate) fn fork<F: FdHost>(k: &mut Kernel<F>, parent: Pid, child: Pid) {
    let fds = k.fac.fds_mut();
    let Some(table) = fds.tables.get(&parent).cloned() else { return };
    for f in table.iter().flatten() {
        if let Some(o) = fds.files.get_mut(f) {
            o.refs += 1;
        }
    }
    fds.tables.insert(child, table);
}

/// Exit: every fd is closed, lowest first.
pub(crate) fn exit<F: FdHost>(k: &mut Kernel<F>, pid: Pid, ctx: &mut Ctx<F>) {
    let n = k.fac.fds().table(pid).len();
    for fd in 0..n {
        fd_release(k, pid, fd as Fd, ctx);
    }
}

/// Invariants 1–4 of the module documentation.
/// Who holds what a thread parked on a pipe waits for: the processes with
/// an fd for the other end (a writer for a reader, a reader for a writer).
pub(crate) fn blockers<F: FdHost>(k: &Kernel<F>, chan: &FdChan) -> Blockers {
    let other = match *chan {
        FdChan::Read { pipe, .. } => FileKind::PipeWrite(pipe),
        FdChan::Write { pipe, .. } => FileKind::PipeRead(pipe),
    };
    let fds = k.fac.fds();
    let holders = fds
        .tables()
        .filter(|(_, table)| table.iter().flatten().any(|f| fds.file(*f).is_some_and(|o| o.kind == other)))
        .map(|(pid, _)| pid)
        .collect();
    Blockers { holders, timer: false }
}

pub(crate) fn check<F: FdHost>(k: &Kernel<F>) -> Result<(), String> {
    let fds = k.fac.fds();
    let mut refs: BTreeMap<FileId, u32> = BTreeMap::new();
    for (pid, t) in &fds.tables {
        if k.process(*pid).is_none() || t.is_empty() || t.len() > fds.limits.max_fds as usize {
            return Err(format!("fd: table of pid {pid} is orphaned, empty or too long"));
        }
        if t.last().is_some_and(Option::is_none) {
            return Err(format!("fd: table of pid {pid} ends in a free slot"));
        }
        for f in t.iter().flatten() {
            if !fds.files.contains_key(f) {
                return Err(format!("fd: pid {pid} names open file {f}, which does not exist"));
            }
            *refs.entry(*f).or_default() += 1;
        }
    }
    for (f, o) in &fds.files {
        if refs.get(f).copied().unwrap_or(0) != o.refs || o.refs == 0 {
            return Err(format!("fd: open file {f} has {} refs", o.refs));
        }
        if let FileKind::PipeRead(p) | FileKind::PipeWrite(p) = o.kind
            && !fds.pipes.contains_key(&p)
        {
            return Err(format!("fd: open file {f} is an end of pipe {p}, which does not exist"));
        }
    }
    for (id, p) in &fds.pipes {
        let count = |f: Option<FileId>| f.and_then(|f| fds.files.get(&f)).map_or(0, |o| u32::from(o.refs > 0));
        if p.readers != count(p.read_file) || p.writers != count(p.write_file) {
            return Err(format!("fd: pipe {id} counts {} reader(s) and {} writer(s) wrongly", p.readers, p.writers));
        }
        if p.readers == 0 && p.writers == 0 {
            return Err(format!("fd: pipe {id} has no end left but exists"));
        }
        if p.buf.len() > p.capacity as usize {
            return Err(format!("fd: pipe {id} holds more than its capacity"));
        }
        if !p.rwait.is_empty() && (!p.buf.is_empty() || p.writers == 0) {
            return Err(format!("fd: pipe {id} has parked readers it could serve"));
        }
        if !p.wwait.is_empty() && p.readers == 0 {
            return Err(format!("fd: pipe {id} has parked writers but no reader"));
        }
        for (w, read) in p.rwait.iter().map(|w| (w, true)).chain(p.wwait.iter().map(|w| (w, false))) {
            let chan: F::Chan = if read {
                FdChan::Read { pipe: *id, fd: w.fd }.into()
            } else {
                FdChan::Write { pipe: *id, fd: w.fd }.into()
            };
            if k.wait_of(w.tid).map(|wt| &wt.chan) != Some(&chan) {
                return Err(format!("fd: thread {} waits on pipe {id} but is not parked there", w.tid));
            }
        }
    }
    Ok(())
}

/// A thread parked on a pipe is listed in its waiting line.
pub(crate) fn check_parked<F: FdHost>(k: &Kernel<F>, tid: Tid, chan: &FdChan) -> Result<(), String> {
    let listed = match *chan {
        FdChan::Read { pipe, .. } => k.fac.fds().pipes.get(&pipe).is_some_and(|p| p.rwait.iter().any(|w| w.tid == tid)),
        FdChan::Write { pipe, .. } => {
            k.fac.fds().pipes.get(&pipe).is_some_and(|p| p.wwait.iter().any(|w| w.tid == tid))
        }
    };
    if listed { Ok(()) } else { Err(format!("fd: thread {tid} parked on {chan} but not listed")) }
}
