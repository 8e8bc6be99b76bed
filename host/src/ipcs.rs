//! # `ipcs` for any kernel
//!
//! The System V and POSIX state the way `ipcs -a` prints it — message
//! queues, semaphore sets, shared-memory segments with owner, mode,
//! counters and times — plus POSIX semaphores, event ports, pipes and every
//! parked thread with the kernel's reason.  The input is a kernel snapshot (`kernel.snapshot`:
//! what a running host takes at exit or on deadlock, and what the
//! playground exports), read with `ipc-core`'s own types and checked before
//! anything is printed.  Times are the kernel's logical nanoseconds.

use std::fmt::Write;

use ipc_core::Kernel;
use ipc_core::inspect::ThreadStateView;
use ipc_core::psem::view::PsemState;

fn mode(m: u32) -> String {
    let bits = |s: u32| {
        format!(
            "{}{}{}",
            if s & 4 != 0 { 'r' } else { '-' },
            if s & 2 != 0 { 'w' } else { '-' },
            if s & 1 != 0 { 'a' } else { '-' }
        )
    };
    format!("--{}{}{}", bits(m >> 6 & 7), bits(m >> 3 & 7), bits(m & 7))
}

/// Renders a snapshot; an error if it does not parse or fails the check.
pub fn from_snapshot(json: &str) -> Result<String, String> {
    let k: Kernel = serde_json::from_str(json).map_err(|e| format!("not a kernel snapshot: {e}"))?;
    k.check().map_err(|e| format!("the snapshot fails the kernel's check: {e}"))?;
    Ok(render(&k))
}

/// `ipcs -a` of a kernel.
pub fn render(k: &Kernel) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "IPC status from ipclab kernel as of t={}ns", k.now());
    let _ = writeln!(o, "T         ID      KEY MODE        OWNER  GROUP CREATOR CGROUP  DETAILS");
    let _ = writeln!(o, "Message Queues:");
    for q in k.msg_queue_views() {
        let p = &q.perm;
        let _ = writeln!(
            o,
            "q {:>10} {:#8x} {} {:>6} {:>6} {:>7} {:>6}  cbytes={} qnum={} qbytes={} lspid={} lrpid={} stime={} rtime={} ctime={}{}",
            q.id,
            p.key,
            mode(p.mode),
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            q.cbytes,
            q.qnum,
            q.qbytes,
            q.lspid,
            q.lrpid,
            q.stime,
            q.rtime,
            q.ctime,
            if q.removed { " (removed)" } else { "" }
        );
    }
    let _ = writeln!(o, "Shared Memory:");
    for s in k.shm_view().segments {
        let p = &s.perm;
        let state = if s.removed { format!(" (removed, still attached {}×)", s.nattch) } else { String::new() };
        let _ = writeln!(
            o,
            "m {:>10} {:#8x} {} {:>6} {:>6} {:>7} {:>6}  nattch={} segsz={} cpid={} lpid={} atime={} dtime={} ctime={}{state}",
            s.id,
            p.key,
            mode(p.mode),
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            s.nattch,
            s.segsz,
            s.cpid,
            s.lpid,
            s.atime,
            s.dtime,
            s.ctime
        );
    }
    let _ = writeln!(o, "Semaphores:");
    for s in k.sem_set_views() {
        let p = &s.perm;
        let vals: Vec<String> = s.sems.iter().map(|x| x.semval.to_string()).collect();
        let _ = writeln!(
            o,
            "s {:>10} {:#8x} {} {:>6} {:>6} {:>7} {:>6}  nsems={} values=[{}] otime={} ctime={}{}",
            s.id,
            p.key,
            mode(p.mode),
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            s.sems.len(),
            vals.join(" "),
            s.otime,
            s.ctime,
            if s.removed { " (removed)" } else { "" }
        );
    }
    let _ = writeln!(o, "POSIX Semaphores:");
    for s in k.psem_view().sems {
        let state = match s.state {
            PsemState::Named => "named".to_string(),
            PsemState::Anonymous { pshared } => format!("anonymous pshared={}", u8::from(pshared)),
            PsemState::Unlinked => "unlinked, still open".to_string(),
        };
        let holders: Vec<String> = s.holders.iter().map(|h| format!("{}×{}", h.pid, h.count)).collect();
        let _ = writeln!(
            o,
            "p {:>10} {:>8} {:04o} {:>6} {:>6}  value={} refs={} {state} held by [{}]",
            s.id,
            s.name.as_deref().unwrap_or("-"),
            s.mode & 0o7777,
            s.uid,
            s.gid,
            s.value,
            s.refs,
            holders.join(" ")
        );
    }
    let _ = writeln!(o, "Event ports:");
    for p in k.port_views() {
        let alert = p.alert.map(|a| format!(" ALERT(events={:#x} by pid {})", a.events, a.pid)).unwrap_or_default();
        let _ = writeln!(
            o,
            "P {:>10} fd={} owner={} queued={} slots={}/{} getters={} assocs={}{alert}",
            p.id,
            p.fd,
            p.owner,
            p.queue.len(),
            p.curr,
            p.max_events,
            p.getters.len(),
            p.assocs.len()
        );
    }
    let _ = writeln!(o, "Pipes:");
    for p in k.pipe_views() {
        let _ = writeln!(
            o,
            "| {:>10} buffered={}/{} readers={} writers={} parked r/w={}/{}",
            p.id,
            p.buffered.len(),
            p.capacity,
            p.readers,
            p.writers,
            p.parked_readers.len(),
            p.parked_writers.len()
        );
    }
    let _ = writeln!(o, "Parked threads:");
    for p in k.process_views() {
        for t in &p.threads {
            if let ThreadStateView::Blocked { reason, since, deadline } = &t.state {
                let until = deadline.map(|d| format!(" until t={d}ns")).unwrap_or_default();
                let _ = writeln!(o, "  pid {} tid {} since t={since}ns{until}: {reason}", p.pid, t.tid);
            }
        }
    }
    o
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ipc_core::Credentials;

    /// A kernel holding one queue (key 0x42), as its snapshot.
    pub(crate) fn snapshot() -> String {
        let mut k = Kernel::new(ipc_core::Config::default()).expect("kernel");
        let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
        k.msgget(t, 0x42, 0o1600).expect("msgget");
        serde_json::to_string(&k).expect("snapshot")
    }

    #[test]
    fn a_snapshot_prints_its_state_and_garbage_is_refused() {
        let plain = from_snapshot(&snapshot()).expect("a snapshot");
        assert!(plain.starts_with("IPC status from ipclab kernel") && plain.contains(" 0x42 "), "{plain}");
        assert!(from_snapshot("{}").unwrap_err().starts_with("not a kernel snapshot"));
    }
}
