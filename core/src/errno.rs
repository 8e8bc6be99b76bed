//! # Error numbers
//!
//! Every kernel call either succeeds, parks its thread, or fails with one
//! [`Errno`].  The set is the POSIX one the facilities need, with the numeric
//! values illumos uses (`<sys/errno.h>`), so a number read from an event log
//! means what it means on a real system.
//!
//! Invariant: no input, however hostile, produces anything but an `Errno`;
//! the kernel never panics on caller data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A POSIX error number, named as in `<errno.h>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Errno {
    /// Operation not permitted: caller is neither owner, creator nor privileged.
    EPERM,
    /// No such key and `IPC_CREAT` was not given.
    ENOENT,
    /// No such process or thread.
    ESRCH,
    /// I/O error: `port_sendn` could not deliver to every port.
    EIO,
    /// Bad file descriptor: not open, or not open the way the call needs.
    EBADF,
    /// Broken pipe: a write to a pipe no reader has open.
    EPIPE,
    /// A port_get/port_getn timeout passed (events gathered so far returned).
    ETIME,
    /// The fd is not of the kind the call needs (a port call on a non-port).
    EBADFD,
    /// A parked call was interrupted (the thread was signalled).
    EINTR,
    /// Message longer than the receive buffer and no `MSG_NOERROR`; or
    /// more semaphore operations than the set allows.
    E2BIG,
    /// Resource temporarily unavailable: `IPC_NOWAIT` on a full queue, or a timeout passed.
    EAGAIN,
    /// Permission denied by the object's mode bits.
    EACCES,
    /// A required buffer was missing, or an address is not mapped.
    EFAULT,
    /// Not enough memory: shared memory over `shmall`, or no room in the
    /// address space.
    ENOMEM,
    /// The thread is busy: it is parked, or holds a result not yet taken.
    EBUSY,
    /// `IPC_CREAT | IPC_EXCL` and the key exists.
    EEXIST,
    /// Invalid argument: unknown or stale id, bad size, type, flag or command.
    EINVAL,
    /// A semop names a semaphore beyond the set (`sem_num >= nsems`).
    EFBIG,
    /// No space: the id table is at its maximum or a resource control denied it.
    ENOSPC,
    /// No message of the wanted type and `IPC_NOWAIT` was given.
    ENOMSG,
    /// The object was removed while the caller waited on it.
    EIDRM,
    /// The call would wait forever: nobody else exists to wake it (a
    /// composed single-process guest).
    EDEADLK,
    /// A value is out of range.
    ERANGE,
    /// Too many semaphores in the system (POSIX semaphores: `SEM_MAX`).
    ENFILE,
    /// Too many shared-memory attachments in the process (`shmseg`).
    EMFILE,
    /// A POSIX semaphore name is longer than `SEM_MAX_NAMELEN`.
    ENAMETOOLONG,
    /// A value would pass its maximum (`sem_post` at `SEM_VALUE_MAX`).
    EOVERFLOW,
    /// An absolute deadline passed (`sem_timedwait`).
    ETIMEDOUT,
}

impl Errno {
    /// Every errno, in numeric order.
    pub const ALL: [Errno; 28] = [
        Errno::EPERM,
        Errno::ENOENT,
        Errno::ESRCH,
        Errno::EINTR,
        Errno::EIO,
        Errno::E2BIG,
        Errno::EBADF,
        Errno::EAGAIN,
        Errno::ENOMEM,
        Errno::EACCES,
        Errno::EFAULT,
        Errno::EBUSY,
        Errno::EEXIST,
        Errno::EINVAL,
        Errno::ENFILE,
        Errno::EMFILE,
        Errno::EFBIG,
        Errno::ENOSPC,
        Errno::EPIPE,
        Errno::ERANGE,
        Errno::ENOMSG,
        Errno::EIDRM,
        Errno::EDEADLK,
        Errno::ETIME,
        Errno::ENAMETOOLONG,
        Errno::EOVERFLOW,
        Errno::EBADFD,
        Errno::ETIMEDOUT,
    ];

    /// The numeric value on illumos.
    pub fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::ESRCH => 3,
            Errno::EINTR => 4,
            Errno::E2BIG => 7,
            Errno::EAGAIN => 11,
            Errno::EACCES => 13,
            Errno::EFAULT => 14,
            Errno::EBUSY => 16,
            Errno::EEXIST => 17,
            Errno::EINVAL => 22,
            Errno::EFBIG => 27,
            Errno::ENOSPC => 28,
            Errno::ERANGE => 34,
            Errno::ENOMSG => 35,
            Errno::EIDRM => 36,
            Errno::EIO => 5,
            Errno::EBADF => 9,
            Errno::EPIPE => 32,
            Errno::ETIME => 62,
            Errno::EBADFD => 81,
            Errno::EDEADLK => 45,
            Errno::ENFILE => 23,
            Errno::EMFILE => 24,
            Errno::ENOMEM => 12,
            Errno::ENAMETOOLONG => 78,
            Errno::EOVERFLOW => 79,
            Errno::ETIMEDOUT => 145,
        }
    }

    /// The symbolic name, e.g. `"EINVAL"`.
    pub fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::EINTR => "EINTR",
            Errno::E2BIG => "E2BIG",
            Errno::EAGAIN => "EAGAIN",
            Errno::EACCES => "EACCES",
            Errno::EFAULT => "EFAULT",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::EINVAL => "EINVAL",
            Errno::EFBIG => "EFBIG",
            Errno::ENOSPC => "ENOSPC",
            Errno::ERANGE => "ERANGE",
            Errno::ENOMSG => "ENOMSG",
            Errno::EIDRM => "EIDRM",
            Errno::EIO => "EIO",
            Errno::EBADF => "EBADF",
            Errno::EPIPE => "EPIPE",
            Errno::ETIME => "ETIME",
            Errno::EBADFD => "EBADFD",
            Errno::EDEADLK => "EDEADLK",
            Errno::ENFILE => "ENFILE",
            Errno::EMFILE => "EMFILE",
            Errno::ENOMEM => "ENOMEM",
            Errno::ENAMETOOLONG => "ENAMETOOLONG",
            Errno::EOVERFLOW => "EOVERFLOW",
            Errno::ETIMEDOUT => "ETIMEDOUT",
        }
    }

    /// A short description in words, as `strerror` would give it.
    pub fn describe(self) -> &'static str {
        match self {
            Errno::EPERM => "not owner",
            Errno::ENOENT => "no such key",
            Errno::ESRCH => "no such process or thread",
            Errno::EINTR => "interrupted while waiting",
            Errno::E2BIG => "message too long for the buffer",
            Errno::EAGAIN => "resource temporarily unavailable",
            Errno::EACCES => "permission denied",
            Errno::EFAULT => "bad address",
            Errno::EBUSY => "thread busy",
            Errno::EEXIST => "key exists",
            Errno::EINVAL => "invalid argument",
            Errno::EFBIG => "semaphore number out of range",
            Errno::ENOSPC => "no space left (id limit)",
            Errno::ERANGE => "value out of range",
            Errno::ENOMSG => "no message of desired type",
            Errno::EIDRM => "identifier removed",
            Errno::EIO => "I/O error (some ports did not get the event)",
            Errno::EBADF => "bad file descriptor",
            Errno::EPIPE => "broken pipe: no reader",
            Errno::ETIME => "timer expired",
            Errno::EBADFD => "file descriptor in bad state (not a port)",
            Errno::EDEADLK => "deadlock: nobody can wake this call",
            Errno::ENFILE => "too many semaphores in the system",
            Errno::EMFILE => "too many attachments in the process",
            Errno::ENOMEM => "not enough memory",
            Errno::ENAMETOOLONG => "name too long",
            Errno::EOVERFLOW => "value too large",
            Errno::ETIMEDOUT => "deadline passed",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.describe())
    }
}

impl std::error::Error for Errno {}

/// The result of a system call.
pub type SysResult<T> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_sorted_by_code_and_complete() {
        let codes: Vec<i32> = Errno::ALL.iter().map(|e| e.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes are unique and in numeric order");
    }

    #[test]
    fn display_names_and_describes() {
        assert_eq!(Errno::EIDRM.to_string(), "EIDRM (identifier removed)");
    }
}
