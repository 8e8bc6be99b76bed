//! Error numbers in words: each errno the component can return, in a few
//! words and then in the sentences that concern the facility of the call
//! that failed (an msgrcv's EACCES says nothing of shmat or port_dissociate);
//! and — from the kernel itself — which check refused the call: the
//! `denied` step the kernel records in the event of every failed system
//! call.  Nothing here decides which rule applied.

use crate::model::KernelState;
use ipc_core::inspect::log::StepKind;

/// The calls a sentence about an errno speaks of: the facility of the call
/// that failed, from its name as the kernel logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Msg,
    Sem,
    Shm,
    Psem,
    Port,
    Fd,
    /// Processes, threads and the clock (spawn, take_result, ...).
    Proc,
}

/// The facility of a call named as the kernel logs it (`msgsnd`,
/// `sem_post`, `port_get`, `read`); `None` for a name it does not know.
pub fn scope_of(call: &str) -> Option<Scope> {
    Some(if call.starts_with("msg") {
        Scope::Msg
    } else if call.starts_with("sem_") {
        Scope::Psem
    } else if call.starts_with("sem") {
        Scope::Sem
    } else if call.starts_with("shm") {
        Scope::Shm
    } else if call.starts_with("port_") {
        Scope::Port
    } else if ["pipe", "read", "write", "close"].contains(&call) {
        Scope::Fd
    } else if ["spawn", "fork", "exec", "exit", "thread_create", "take_result", "interrupt", "advance"].contains(&call)
    {
        Scope::Proc
    } else {
        return None;
    })
}

use Scope::*;

/// System V's three facilities, which share the namespace's checks.
const SYSV: &[Scope] = &[Msg, Sem, Shm];

/// A sentence about an errno, and the facilities it speaks of (none: any call).
type Clause = (&'static [Scope], &'static str);

/// Each errno: its meaning in a few words, then what it means for each
/// facility that returns it.
fn clauses(errno: &str) -> Option<(&'static str, &'static [Clause])> {
    Some(match errno {
        "eperm" => (
            "operation not permitted",
            &[
                (SYSV, "only the owner, the creator or a privileged process may do this"),
                (&[Msg], "only a privileged process may raise msg_qbytes"),
                (&[Shm], "only a privileged process may use SHM_LOCK / SHM_UNLOCK or set a shared-memory tunable"),
                (&[Psem], "sem_open of an existing name needs a write bit of the semaphore's mode for the caller"),
            ],
        ),
        "enoent" => (
            "no such entry",
            &[
                (SYSV, "no object has the key, and IPC_CREAT was not given"),
                (&[Psem], "no semaphore has the name, and O_CREAT was not given"),
                (
                    &[Port],
                    "port_dissociate: the fd is not associated with the port (or its association fired and its event was retrieved already)",
                ),
            ],
        ),
        "esrch" => ("no such process", &[(&[], "no such process or thread: it has exited")]),
        "eintr" => ("interrupted", &[(&[], "the parked call was interrupted")]),
        "e2big" => (
            "too big",
            &[
                (&[Msg], "the message is longer than msgsz without MSG_NOERROR (it stays queued)"),
                (&[Sem], "the semop array is longer than the set allows"),
            ],
        ),
        "eagain" => (
            "try again",
            &[
                (
                    &[],
                    "the call would wait and IPC_NOWAIT or O_NONBLOCK was given, the timeout passed, or the call is still parked",
                ),
                (&[Psem], "sem_trywait found the value 0"),
                (
                    &[Port],
                    "every event slot of the port is in use (process.max-port-events) or the system has project.max-port-ids ports",
                ),
            ],
        ),
        "eacces" => (
            "permission denied",
            &[
                (SYSV, "the object's mode bits do not grant the caller this access"),
                (&[Shm], "shmat without SHM_RDONLY needs read and write permission"),
                (
                    &[Shm],
                    "a memory write through an attachment made with SHM_RDONLY is a protection fault (SIGSEGV, SEGV_ACCERR): nothing was stored",
                ),
                (&[Psem], "the semaphore's mode bits do not grant the caller this access"),
                (&[Port], "port_dissociate of an association another process made"),
            ],
        ),
        "efault" => (
            "bad address",
            &[
                (&[], "a required buffer was missing"),
                (
                    &[Shm],
                    "a memory read or write touched an address where the process has nothing attached — a real load or store there is a segmentation fault (SIGSEGV, SEGV_MAPERR); nothing was read or stored",
                ),
            ],
        ),
        "enomem" => (
            "not enough memory",
            &[(
                &[Shm],
                "a new segment would take the pages committed past shmall, or shmat found no room in the process's address space, or the fixed address asked overlaps another attachment or leaves the address space",
            )],
        ),
        "emfile" => (
            "too many open",
            &[
                (&[Shm], "the process already has shmseg segments attached (detach one first)"),
                (
                    &[Fd, Port],
                    "too few free file descriptors below the process's limit (pipe needs two, port_create one)",
                ),
            ],
        ),
        "ebusy" => (
            "busy",
            &[
                (&[], "the thread is parked or holds a result that has not been taken"),
                (&[Psem], "threads wait on the semaphore sem_destroy was given"),
                (&[Shm], "shmmni cannot go below a slot in use"),
                (&[Port], "port_alert with PORT_ALERT_UPDATE while the port is already in alert mode"),
            ],
        ),
        "eexist" => (
            "already exists",
            &[
                (SYSV, "IPC_CREAT|IPC_EXCL was given and the key already exists"),
                (&[Psem], "O_CREAT|O_EXCL was given and the name already exists"),
            ],
        ),
        "einval" => (
            "invalid argument",
            &[
                (SYSV, "unknown or stale id, bad size, type, flag, semnum or value"),
                (
                    &[Psem],
                    "an id the process holds no reference to, a malformed name, or the wrong call for its kind (sem_close wants a named, linked one; sem_destroy an unnamed one)",
                ),
                (
                    &[Shm],
                    "a bad size, a removed segment, an address not page-aligned without SHM_RND, or shmdt where no segment starts",
                ),
                (
                    &[Port],
                    "nget above max, an invalid timeout, port_alert with both SET and UPDATE, a source other than PORT_SOURCE_FD, or port_sendn of no ports or more than 8192",
                ),
            ],
        ),
        "efbig" => ("file too big", &[(&[Sem], "a semop names a semaphore beyond the set")]),
        "enospc" => {
            ("no space left", &[(SYSV, "the id limit, the slot table's maximum or shmmni segments was reached")])
        }
        "erange" => (
            "result out of range",
            &[(&[Sem], "a semaphore value or adjustment would leave its range; nothing was applied")],
        ),
        "enomsg" => ("no message", &[(&[Msg], "no message of the wanted type, and IPC_NOWAIT was given")]),
        "eidrm" => (
            "identifier removed",
            &[(&[Msg, Sem], "the queue or semaphore set was removed while the caller waited on it")],
        ),
        "enfile" => {
            ("too many in the system", &[(&[Psem], "too many POSIX semaphores: the system holds SEM_MAX of them")])
        }
        "enametoolong" => ("name too long", &[(&[Psem], "the POSIX semaphore name is longer than 14 bytes")]),
        "edeadlk" => ("deadlock", &[(&[], "the call would wait forever, because no other process exists to wake it")]),
        "eio" => ("I/O error", &[(&[Port], "port_sendn could not deliver to every port")]),
        "ebadf" => ("bad file descriptor", &[(&[], "the fd is not open, or not open for this")]),
        "epipe" => ("broken pipe", &[(&[Fd], "nobody has the pipe open for reading")]),
        "etime" => ("timer expired", &[(&[Port], "the port_get timeout passed before an event came")]),
        "ebadfd" => (
            "fd in bad state",
            &[
                (&[Port], "the fd is not an event port, or the port was closed while waiting"),
                (&[Port], "for port_associate, the object is not an open fd of the caller"),
            ],
        ),
        "eoverflow" => ("value too large", &[(&[Psem], "sem_post would take the value past SEM_VALUE_MAX")]),
        "etimedout" => ("timed out", &[(&[Psem], "sem_timedwait's deadline passed before a sem_post came")]),
        "bridge" => ("the page could not make the call", &[]),
        _ => return None,
    })
}

/// `EACCES`, and what the error means for the call `call` (its name as the
/// kernel logs it): a few words, then only the sentences about that call's
/// facility; every sentence when the call is not known (or none fits).
/// An empty scope list means "any call".
pub fn describe(errno: &str, call: &str) -> (String, String) {
    let name = errno.to_ascii_uppercase();
    let Some((words, all)) = clauses(errno) else { return (name, "unknown error".into()) };
    let scope = scope_of(call);
    let fits = |scopes: &[Scope]| scopes.is_empty() || scope.is_some_and(|s| scopes.contains(&s));
    let mut chosen: Vec<&str> = all.iter().filter(|(s, _)| fits(s)).map(|(_, t)| *t).collect();
    if chosen.is_empty() {
        chosen = all.iter().map(|(_, t)| *t).collect();
    }
    let meaning = if chosen.is_empty() { words.to_string() } else { format!("{words}: {}", chosen.join("; ")) };
    (name, meaning)
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
            let (name, meaning) = describe(e, "shmat");
            assert_eq!(name, e.to_ascii_uppercase());
            assert!(meaning.contains(word), "{e}: {meaning}");
        }
    }

    #[test]
    fn the_newer_errnos_are_described() {
        for e in
            ["enfile", "enametoolong", "eoverflow", "etimedout", "edeadlk", "eio", "ebadf", "epipe", "etime", "ebadfd"]
        {
            let (name, meaning) = describe(e, "");
            assert_eq!(name, e.to_ascii_uppercase());
            assert_ne!(meaning, "unknown error", "{e} has no words");
        }
    }

    #[test]
    fn an_errno_speaks_of_the_failed_calls_facility_only() {
        let (_, msg) = describe("eacces", "msgrcv");
        assert_eq!(msg, "permission denied: the object's mode bits do not grant the caller this access");
        let (_, shm) = describe("eacces", "shmat");
        assert!(shm.contains("SHM_RDONLY") && !shm.contains("port_dissociate"), "{shm}");
        let (_, port) = describe("einval", "port_getn");
        assert!(port.starts_with("invalid argument: nget above max") && !port.contains("semnum"), "{port}");
        let (_, psem) = describe("einval", "sem_close");
        assert!(psem.contains("sem_close wants a named") && !psem.contains("SHM_RND"), "{psem}");
        // Not a call this page knows, or no sentence about its facility: every sentence.
        let (_, any) = describe("einval", "");
        assert!(any.contains("semnum") && any.contains("SHM_RND") && any.contains("PORT_SOURCE_FD"), "{any}");
        let (_, other) = describe("enomsg", "semop");
        assert!(other.contains("no message of the wanted type"), "{other}");
        assert_eq!(describe("bridge", "msgsnd").1, "the page could not make the call");
        assert_eq!(describe("eweird", "msgsnd").1, "unknown error");
    }

    #[test]
    fn every_errno_of_the_kernel_has_words_and_every_call_name_a_scope() {
        for e in ipc_core::Errno::ALL {
            assert!(clauses(&e.name().to_ascii_lowercase()).is_some(), "{} has no words", e.name());
        }
        for call in ["msgsnd", "semop", "semtimedop", "shm_write", "sem_post", "port_get", "pipe", "take_result"] {
            assert!(scope_of(call).is_some(), "{call}");
        }
        assert_eq!(scope_of("sem_wait"), Some(Scope::Psem));
        assert_eq!(scope_of("semctl"), Some(Scope::Sem));
    }
}
