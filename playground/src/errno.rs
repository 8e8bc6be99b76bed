//! Error numbers in words: each errno the component can return with its
//! POSIX meaning, and — from the kernel itself — which check refused the
//! call: the `denied` step the kernel records in the event of every failed
//! system call.  Nothing here decides which rule applied.

use crate::model::KernelState;
use ipc_core::inspect::log::StepKind;

/// `EACCES`, and what the error means.
pub fn describe(errno: &str) -> (String, &'static str) {
    let meaning = match errno {
        "eperm" => {
            "operation not permitted: only the owner, the creator or a privileged process may do this, and only a privileged one may raise msg_qbytes, use SHM_LOCK / SHM_UNLOCK or set a shared-memory tunable; sem_open of an existing name needs a write bit of the semaphore's mode for the caller"
        }
        "enoent" => {
            "no such key or name, and IPC_CREAT (O_CREAT for sem_open) was not given; for port_dissociate, the fd is not associated with the port (or its association fired and its event was retrieved already)"
        }
        "esrch" => "no such process or thread: it has exited",
        "eintr" => "the parked call was interrupted",
        "e2big" => {
            "too big: the message is longer than msgsz without MSG_NOERROR (it stays queued), or the semop array is longer than the set allows"
        }
        "eagain" => {
            "try again: the call would wait and IPC_NOWAIT or O_NONBLOCK was given (or it is sem_trywait and the value is 0), the timeout passed, or the call is still parked; for event ports, every event slot of the port is in use (process.max-port-events) or the system has project.max-port-ids ports"
        }
        "eacces" => {
            "permission denied by the object's mode bits (shmat without SHM_RDONLY needs read and write permission); or a memory write through an attachment made with SHM_RDONLY — a protection fault (SIGSEGV, SEGV_ACCERR): nothing was stored; or port_dissociate of an association another process made"
        }
        "efault" => {
            "bad address: a required buffer was missing, or a memory read or write touched an address where the process has nothing attached — a real load or store there is a segmentation fault (SIGSEGV, SEGV_MAPERR); nothing was read or stored"
        }
        "enomem" => {
            "not enough memory: a new segment would take the pages committed past shmall, or shmat found no room in the process's address space, or the fixed address asked overlaps another attachment or leaves the address space"
        }
        "emfile" => {
            "too many: the process already has shmseg segments attached (detach one first), or too few free file descriptors below its limit (pipe needs two, port_create one)"
        }
        "ebusy" => {
            "busy: the thread is parked or holds a result that has not been taken, or threads wait on the semaphore sem_destroy was given, or shmmni cannot go below a slot in use, or port_alert with PORT_ALERT_UPDATE while the port is already in alert mode"
        }
        "eexist" => "IPC_CREAT|IPC_EXCL (O_EXCL for sem_open) was given and the key or name already exists",
        "einval" => {
            "invalid argument: unknown or stale id, bad size, type, flag, semnum or value; for a POSIX semaphore, an id the process holds no reference to, a malformed name, or the wrong call for its kind (sem_close wants a named, linked one; sem_destroy an unnamed one); for shared memory, a bad size, a removed segment, an address not page-aligned without SHM_RND, or shmdt where no segment starts; for event ports, nget above max, an invalid timeout, port_alert with both SET and UPDATE, a source other than PORT_SOURCE_FD, or port_sendn of no ports or more than 8192"
        }
        "efbig" => "a semop names a semaphore beyond the set",
        "enospc" => "no space: the id limit, the slot table's maximum or shmmni segments was reached",
        "erange" => "a semaphore value or adjustment would leave its range; nothing was applied",
        "enomsg" => "no message of the wanted type, and IPC_NOWAIT was given",
        "eidrm" => "the queue or semaphore set was removed while the caller waited on it",
        "enfile" => "too many POSIX semaphores: the system holds SEM_MAX of them",
        "enametoolong" => "the POSIX semaphore name is longer than 14 bytes",
        "edeadlk" => "deadlock: the call would wait forever, because no other process exists to wake it",
        "eio" => "I/O error: port_sendn could not deliver to every port",
        "ebadf" => "bad file descriptor: the fd is not open, or not open for this",
        "epipe" => "broken pipe: nobody has the pipe open for reading",
        "etime" => "the port_get timeout passed before an event came",
        "ebadfd" => {
            "the fd is not an event port, or the port was closed while waiting; for port_associate, the object is not an open fd of the caller"
        }
        "eoverflow" => "sem_post would take the value past SEM_VALUE_MAX",
        "etimedout" => "sem_timedwait's deadline passed before a sem_post came",
        "bridge" => "the page could not make the call",
        _ => "unknown error",
    };
    (errno.to_ascii_uppercase(), meaning)
}

/// Why the kernel refused the call: the `denied` step of the newest event
/// (every failed system call has one), without the "facility: ERRNO: "
/// prefix the report already shows.  Empty when there is none (e.g. a
/// bridge error).
pub fn reason(after: &KernelState) -> String {
    after
        .last_steps()
        .iter()
        .rev()
        .find(|s| s.kind == StepKind::Denied)
        .map(|s| without_errno_prefix(&s.text).to_string())
        .unwrap_or_default()
}

/// "msg: EACCES: rule" or "EBUSY: rule" → "rule".
fn without_errno_prefix(text: &str) -> &str {
    text.match_indices(": ")
        .find(|&(i, _)| text[..i].rsplit(' ').next().is_some_and(|w| w.starts_with('E')))
        .map_or(text, |(i, sep)| &text[i + sep.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_kernels_rule_without_its_prefix() {
        assert_eq!(
            without_errno_prefix("msg: EACCES: mode 0600 does not grant write"),
            "mode 0600 does not grant write"
        );
        assert_eq!(without_errno_prefix("EBUSY: thread 3 is parked in msgrcv"), "thread 3 is parked in msgrcv");
        assert_eq!(without_errno_prefix("no prefix: here"), "no prefix: here");
        assert_eq!(reason(&KernelState::default()), "");
    }

    #[test]
    fn the_shared_memory_errnos_are_described() {
        for (e, word) in
            [("emfile", "shmseg"), ("enomem", "shmall"), ("efault", "nothing attached"), ("eacces", "SHM_RDONLY")]
        {
            let (name, meaning) = describe(e);
            assert_eq!(name, e.to_ascii_uppercase());
            assert!(meaning.contains(word), "{e}: {meaning}");
        }
    }

    #[test]
    fn the_newer_errnos_are_described() {
        for e in
            ["enfile", "enametoolong", "eoverflow", "etimedout", "edeadlk", "eio", "ebadf", "epipe", "etime", "ebadfd"]
        {
            let (name, meaning) = describe(e);
            assert_eq!(name, e.to_ascii_uppercase());
            assert_ne!(meaning, "unknown error", "{e} has no words");
        }
    }
}
