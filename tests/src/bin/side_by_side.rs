//! # `side-by-side`: the Linux kernel, `ipc-core` and the component, in one run
//!
//! The same operations, timed in the same process run on (a) Linux — the
//! kernel's own System V IPC through real system calls (`libc`), and
//! glibc's POSIX semaphores — (b) `ipc-core` natively and (c) the
//! `ipc-component` in
//! wasmtime 48 (`concurrency_support(false)`), printed as one Markdown
//! table with ratios.  Times vary between machines (this machine's System
//! V calls are slow and vary too); the ratios, taken inside one run, are
//! what the project's targets are stated in.
//!
//! Each figure is the **median of several runs** of a timed loop.  With
//! `--quick` (what `cargo xtask test` runs in CI) the loops are short and
//! nothing is asserted: the point is that the benchmark keeps working.
//! `cargo xtask bench` runs the full mode and writes the table into the
//! README.
//!
//! It also reports the heap an idle message queue costs in `ipc-core` (a
//! counting global allocator, 10^5 keyed queues, a one-event log).
//!
//! Linux objects are private scratch objects removed at the end of the run
//! (and on every error path that can be reached).  On a host that is not
//! Linux the Linux column says "n/a".

use ipc_core::namespace::{IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE};
use ipc_core::sem::SemBuf;
use ipc_core::{Config, Credentials, Kernel, Outcome};
use ipc_host_tests::{Lab, Op, OpResult, RecvOp, RecvOutcome, Semop1Op, Semop1Outcome, SendOp, SendOutcome, sembuf};
use ipclab_host::kernel::Choice;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

// ----- a counting allocator, for bytes per idle queue -----

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout as given.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ----- timing -----

#[derive(Clone, Copy)]
struct Mode {
    /// Iterations per timed run.
    iters: u32,
    /// Timed runs; the median is reported.
    runs: usize,
    /// Live keys for the large-namespace rows.
    big: u32,
}

/// One operation, set up and ready to be timed.
struct Meter {
    op: Box<dyn FnMut()>,
    /// How many operations one call of `op` makes (a batch makes 64).
    per_call: f64,
    /// Calls per timed run are `iters / slow`.
    slow: u32,
}

fn meter(op: impl FnMut() + 'static) -> Meter {
    Meter { op: Box::new(op), per_call: 1.0, slow: 1 }
}

/// Median ns per operation of every meter over `mode.runs` runs (after one
/// warm-up run).  The runs are **interleaved** — run 1 of every meter, then
/// run 2 of every meter, … — so that a machine whose speed drifts during
/// the benchmark slows every column alike and the ratios stay honest.
fn measure(mode: Mode, meters: &mut [Option<Meter>]) -> Vec<Option<f64>> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(mode.runs); meters.len()];
    for run in 0..=mode.runs {
        for (m, out) in meters.iter_mut().zip(samples.iter_mut()) {
            let Some(m) = m else { continue };
            let calls = (mode.iters / m.slow).max(1);
            let start = Instant::now();
            for _ in 0..calls {
                (m.op)();
            }
            let ns = start.elapsed().as_nanos() as f64 / (f64::from(calls) * m.per_call);
            if run > 0 {
                out.push(ns);
            }
        }
    }
    samples
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        })
        .collect()
}

// ----- (a) Linux -----

#[cfg(target_os = "linux")]
mod linux {
    use super::{Meter, meter};
    use std::hint::black_box;

    /// `struct msgbuf` with room for 64 bytes.
    #[repr(C)]
    struct MsgBuf {
        mtype: libc::c_long,
        mtext: [u8; 64],
    }

    /// Private queues and keyed queues this run created; removed on drop.
    pub struct Scratch {
        ids: Vec<i32>,
        sems: Vec<i32>,
        children: Vec<libc::pid_t>,
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            for &pid in &self.children {
                // SAFETY: our own forked child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
            }
            for &id in &self.ids {
                // SAFETY: IPC_RMID takes no buffer.
                unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
            }
            for &id in &self.sems {
                // SAFETY: IPC_RMID takes no fourth argument.
                unsafe { libc::semctl(id, 0, libc::IPC_RMID) };
            }
        }
    }

    fn check(r: i32, what: &str) -> Result<i32, String> {
        if r < 0 { Err(format!("{what}: {}", std::io::Error::last_os_error())) } else { Ok(r) }
    }

    impl Scratch {
        pub fn new() -> Scratch {
            Scratch { ids: Vec::new(), sems: Vec::new(), children: Vec::new() }
        }

        /// semop +1 then semop -1 on a one-semaphore set, IPC_NOWAIT.
        pub fn sem_pair(&mut self) -> Result<Meter, String> {
            // SAFETY: plain system call.
            let id = check(unsafe { libc::semget(libc::IPC_PRIVATE, 1, libc::IPC_CREAT | 0o600) }, "semget")?;
            self.sems.push(id);
            let nowait = libc::IPC_NOWAIT as libc::c_short;
            let mut up = libc::sembuf { sem_num: 0, sem_op: 1, sem_flg: nowait };
            let mut down = libc::sembuf { sem_num: 0, sem_op: -1, sem_flg: nowait };
            // SAFETY: one valid sembuf each.
            check(unsafe { libc::semop(id, &mut up, 1) }, "semop +1")?;
            // SAFETY: as above.
            check(unsafe { libc::semop(id, &mut down, 1) }, "semop -1")?;
            Ok(meter(move || {
                // SAFETY: as above.
                unsafe {
                    libc::semop(id, &mut up, 1);
                    black_box(libc::semop(id, &mut down, 1));
                }
            }))
        }

        /// glibc's `sem_post` + `sem_wait` on a process-private unnamed
        /// semaphore: no contention, so both stay in user space (an atomic
        /// each) — the fast path the kernel never sees.
        pub fn psem_pair(&mut self) -> Result<Meter, String> {
            // SAFETY: sem_t is plain data that sem_init initialises.
            let mut sem: Box<libc::sem_t> = Box::new(unsafe { std::mem::zeroed() });
            let p: *mut libc::sem_t = &mut *sem;
            // SAFETY: p points to a live sem_t; pshared 0, value 0.
            check(unsafe { libc::sem_init(p, 0, 0) }, "sem_init")?;
            // SAFETY: initialised above.
            check(unsafe { libc::sem_post(p) }, "sem_post")?;
            // SAFETY: as above; the value is 1, so this does not block.
            check(unsafe { libc::sem_wait(p) }, "sem_wait")?;
            Ok(meter(move || {
                // The box moves into the closure; its heap address, `p`, stays.
                let _owner = &sem;
                // SAFETY: as above; every wait follows a post.
                unsafe {
                    libc::sem_post(p);
                    black_box(libc::sem_wait(p));
                }
            }))
        }

        /// shmget + shmat + shmdt + IPC_RMID of a one-page private segment.
        pub fn shm_cycle(&mut self) -> Result<Meter, String> {
            let once = || -> Result<(), String> {
                // SAFETY: plain system calls on a private segment this closure removes.
                unsafe {
                    let id = check(libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600), "shmget")?;
                    let p = libc::shmat(id, std::ptr::null(), 0);
                    if p as isize == -1 {
                        libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
                        return Err(format!("shmat: {}", std::io::Error::last_os_error()));
                    }
                    libc::shmdt(p);
                    check(libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()), "shmctl IPC_RMID")?;
                }
                Ok(())
            };
            once()?;
            Ok(meter(move || {
                black_box(once().is_ok());
            }))
        }

        /// A 4 KiB store then a 4 KiB load through an attached segment:
        /// plain memory copies in user space.
        pub fn shm_io(&mut self) -> Result<Meter, String> {
            // SAFETY: plain system calls; the segment is removed at once and
            // lives while attached (Linux semantics), detached never.
            let p = unsafe {
                let id = check(libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600), "shmget")?;
                let p = libc::shmat(id, std::ptr::null(), 0);
                libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
                if p as isize == -1 {
                    return Err(format!("shmat: {}", std::io::Error::last_os_error()));
                }
                p as *mut u8
            };
            let src = vec![0x5au8; 4096];
            let mut dst = vec![0u8; 4096];
            Ok(meter(move || {
                // SAFETY: p maps 4096 writable bytes for the life of the process.
                unsafe {
                    std::ptr::copy_nonoverlapping(black_box(src.as_ptr()), p, 4096);
                    std::ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), 4096);
                }
                black_box(&dst);
            }))
        }

        /// An eventfd write then read: Linux has no event ports; eventfd is
        /// its nearest kernel object for "post a user event, then take it".
        pub fn eventfd_pair(&mut self) -> Result<Meter, String> {
            // SAFETY: plain system call; the fd is leaked until exit.
            let fd = check(unsafe { libc::eventfd(0, 0) }, "eventfd")?;
            let one: u64 = 1;
            let mut got: u64 = 0;
            Ok(meter(move || {
                // SAFETY: 8-byte buffers, as eventfd requires.
                unsafe {
                    libc::write(fd, (&one as *const u64).cast(), 8);
                    black_box(libc::read(fd, (&mut got as *mut u64).cast(), 8));
                }
            }))
        }

        /// One round trip between two processes over one queue: the parent
        /// sends type 1 and waits for type 2; a forked child answers each.
        /// Both block in the kernel (no IPC_NOWAIT): what two hosted
        /// guests do.  The child is killed when the scratch is dropped.
        pub fn process_ping_pong(&mut self) -> Result<Meter, String> {
            let id = self.msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600)?;
            // SAFETY: fork in a process whose other threads do not touch
            // the queue; the child only makes system calls, then _exit.
            let child = unsafe { libc::fork() };
            if child < 0 {
                return Err(format!("fork: {}", std::io::Error::last_os_error()));
            }
            if child == 0 {
                let mut buf = MsgBuf { mtype: 0, mtext: [0; 64] };
                let p = &mut buf as *mut MsgBuf as *mut libc::c_void;
                loop {
                    // SAFETY: buf holds mtype plus 64 bytes.
                    unsafe {
                        if libc::msgrcv(id, p, 64, 1, 0) < 0 {
                            libc::_exit(0);
                        }
                        (*(p as *mut MsgBuf)).mtype = 2;
                        libc::msgsnd(id, p, 8, 0);
                    }
                }
            }
            self.children.push(child);
            let mut buf = Box::new(MsgBuf { mtype: 1, mtext: [0x5a; 64] });
            let p = &mut *buf as *mut MsgBuf as *mut libc::c_void;
            let op = move || {
                let _owner = &buf;
                // SAFETY: as above.
                unsafe {
                    (*(p as *mut MsgBuf)).mtype = 1;
                    libc::msgsnd(id, p, 8, 0);
                    black_box(libc::msgrcv(id, p, 64, 2, 0));
                }
            };
            // A round trip costs tens of µs: fewer per run.
            Ok(Meter { op: Box::new(op), per_call: 1.0, slow: 20 })
        }

        fn msgget(&mut self, key: i32, flags: i32) -> Result<i32, String> {
            // SAFETY: plain system call.
            let id = check(unsafe { libc::msgget(key, flags) }, "msgget")?;
            if flags & libc::IPC_CREAT != 0 {
                self.ids.push(id);
            }
            Ok(id)
        }

        /// msgsnd + msgrcv of a `size`-byte message, IPC_NOWAIT.
        pub fn pair(&mut self, size: usize) -> Result<Meter, String> {
            let id = self.msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600)?;
            let mut buf = Box::new(MsgBuf { mtype: 1, mtext: [0x5a; 64] });
            let p = &mut *buf as *mut MsgBuf as *mut libc::c_void;
            // One round outside the timing, to see that it works at all.
            // SAFETY: buf holds mtype plus 64 bytes >= size.
            check(unsafe { libc::msgsnd(id, p, size, libc::IPC_NOWAIT) }, "msgsnd")?;
            // SAFETY: as above.
            check(unsafe { libc::msgrcv(id, p, 64, 0, libc::IPC_NOWAIT) } as i32, "msgrcv")?;
            Ok(meter(move || {
                // The box moves into the closure; its heap address, `p`, stays.
                let _owner = &buf;
                // SAFETY: as above.
                unsafe {
                    libc::msgsnd(id, p, size, libc::IPC_NOWAIT);
                    black_box(libc::msgrcv(id, p, 64, 0, libc::IPC_NOWAIT));
                }
            }))
        }

        pub fn stat(&mut self) -> Result<Meter, String> {
            let id = self.msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600)?;
            // SAFETY: msqid_ds is plain data; IPC_STAT fills it.
            let mut ds: libc::msqid_ds = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            check(unsafe { libc::msgctl(id, libc::IPC_STAT, &mut ds) }, "msgctl IPC_STAT")?;
            Ok(meter(move || {
                // SAFETY: as above.
                black_box(unsafe { libc::msgctl(id, libc::IPC_STAT, &mut ds) });
            }))
        }

        /// msgget of existing keys among `n` keyed queues.
        pub fn get_existing(&mut self, n: i32, base: i32) -> Result<Meter, String> {
            for i in 0..n {
                self.msgget(base + i, libc::IPC_CREAT | libc::IPC_EXCL | 0o600)?;
            }
            let mut i = 0;
            Ok(meter(move || {
                i = (i + 7) % n;
                // SAFETY: plain system call.
                black_box(unsafe { libc::msgget(base + i, 0) });
            }))
        }
    }
}

// ----- the table -----

struct Row {
    op: String,
    linux: Option<f64>,
    core: Option<f64>,
    component: Option<f64>,
}

fn cell(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |ns| if ns < 10.0 { format!("{ns:.1} ns") } else { format!("{ns:.0} ns") })
}

fn ratio(num: Option<f64>, den: Option<f64>) -> String {
    match (num, den) {
        (Some(n), Some(d)) if n > 0.0 => {
            let r = d / n;
            if r >= 1.0 { format!("{r:.1}× faster") } else { format!("{:.1}× slower", 1.0 / r) }
        }
        _ => "—".to_string(),
    }
}

fn print_table(rows: &[Row]) {
    println!("| operation | Linux | core | component | core vs Linux | component vs Linux |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.op,
            cell(r.linux),
            cell(r.core),
            cell(r.component),
            ratio(r.core, r.linux),
            ratio(r.component, r.linux)
        );
    }
}

// ----- (b) ipc-core -----

fn core_kernel(steps: bool) -> (Kernel, u32) {
    let mut cfg = Config::default();
    cfg.msg.max_queues = 1 << 20;
    let mut k = Kernel::new(cfg).expect("kernel");
    k.set_step_recording(steps);
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
    (k, t)
}

fn core_pair(size: usize, steps: bool) -> Meter {
    let (mut k, t) = core_kernel(steps);
    let id = k.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    let data = vec![0x5a; size];
    meter(move || {
        assert_eq!(k.msgsnd(t, id, 1, black_box(&data), IPC_NOWAIT, None), Outcome::Done(Ok(())));
        black_box(k.msgrcv(t, id, 64, 0, IPC_NOWAIT, None));
    })
}

fn core_sem_pair() -> Meter {
    let (mut k, t) = core_kernel(true);
    let id = k.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).expect("set");
    let nowait = IPC_NOWAIT as i16;
    let up = [SemBuf { sem_num: 0, sem_op: 1, sem_flg: nowait }];
    let down = [SemBuf { sem_num: 0, sem_op: -1, sem_flg: nowait }];
    meter(move || {
        assert_eq!(k.semop(t, id, &up, None), Outcome::Done(Ok(())));
        black_box(k.semop(t, id, &down, None));
    })
}

fn core_psem_pair(steps: bool) -> Meter {
    let (mut k, t) = core_kernel(steps);
    let id = k.sem_init(t, 0, false).expect("sem_init");
    meter(move || {
        assert_eq!(k.sem_post(t, id), Ok(()));
        black_box(k.sem_wait(t, id));
    })
}

fn core_shm_cycle() -> Meter {
    let (mut k, t) = core_kernel(true);
    meter(move || {
        let id = k.shmget(t, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).expect("shmget");
        let va = k.shmat(t, id, 0, 0).expect("shmat");
        k.shmdt(t, va).expect("shmdt");
        k.shmctl_rmid(t, black_box(id)).expect("rmid");
    })
}

fn core_shm_io() -> Meter {
    let (mut k, t) = core_kernel(true);
    let id = k.shmget(t, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).expect("shmget");
    let va = k.shmat(t, id, 0, 0).expect("shmat");
    let data = vec![0x5a; 4096];
    meter(move || {
        k.shm_write(t, va, black_box(&data)).expect("store");
        black_box(k.shm_read(t, va, 4096).expect("load"));
    })
}

fn core_port_pair() -> Meter {
    let (mut k, t) = core_kernel(true);
    let port = k.port_create(t).expect("port");
    meter(move || {
        k.port_send(t, port, 1, 2).expect("send");
        black_box(k.port_get(t, port, None));
    })
}

fn core_stat(ids: u32) -> Meter {
    let (mut k, t) = core_kernel(true);
    for _ in 1..ids {
        k.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    }
    let id = k.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    meter(move || {
        black_box(k.msgctl_stat(t, id).expect("stat"));
    })
}

/// The keys a GET row looks up: `m` neighbouring keys from the middle of
/// the `n` live keys, visited 7 apart.  With `m == n`, every key in turn.
/// A few neighbours keep the objects on a few pages, so the row measures
/// the tree's depth; every key in turn measures the memory system too.
struct KeyCycle {
    first: i32,
    m: i32,
    j: i32,
}

impl KeyCycle {
    fn new(n: i32, m: i32) -> Self {
        let m = m.min(n);
        KeyCycle { first: 0x1000 + (n - m) / 2, m, j: 0 }
    }

    fn next(&mut self) -> i32 {
        self.j = (self.j + 7) % self.m;
        self.first + self.j
    }
}

fn core_get(n: i32, m: i32) -> Meter {
    let (mut k, t) = core_kernel(true);
    for i in 0..n {
        k.msgget(t, 0x1000 + i, IPC_CREAT | 0o600).expect("queue");
    }
    let mut keys = KeyCycle::new(n, m);
    meter(move || {
        black_box(k.msgget(t, keys.next(), 0).expect("existing key"));
    })
}

/// Heap bytes per idle keyed queue at `n` queues (one-event log, no steps).
fn core_bytes_per_queue(n: i32) -> f64 {
    let mut cfg = Config { event_capacity: 1, ..Config::default() };
    cfg.msg.max_queues = 1 << 20;
    let mut k = Kernel::new(cfg).expect("kernel");
    k.set_step_recording(false);
    let (_, t) = k.spawn(Credentials::user(100, 10), 0, 1).expect("spawn");
    k.msgget(t, 1, IPC_CREAT | 0o600).expect("queue");
    let before = LIVE.load(Ordering::Relaxed);
    for i in 2..=n {
        k.msgget(t, i, IPC_CREAT | 0o600).expect("queue");
    }
    let after = LIVE.load(Ordering::Relaxed);
    black_box(&k);
    (after.saturating_sub(before)) as f64 / f64::from(n - 1)
}

// ----- (c) the component -----

fn lab() -> (Lab, ipc_host_tests::Res) {
    let mut lab = Lab::new();
    lab.set_project_limit(1, ipc_host_tests::Facility::Msg, 1 << 20);
    let p = lab.spawn(100, 10);
    (lab, p.thread)
}

fn component_pair(size: usize) -> Meter {
    let (mut lab, t) = lab();
    let id = lab.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    let data = vec![0x5a; size];
    meter(move || {
        assert_eq!(lab.msgsnd(t, id, 1, black_box(&data), IPC_NOWAIT, None), Ok(SendOutcome::Sent));
        let got = lab.msgrcv(t, id, 64, 0, IPC_NOWAIT, None);
        assert!(matches!(got, Ok(RecvOutcome::Received(_))));
    })
}

fn component_stat(ids: u32) -> Meter {
    let (mut lab, t) = lab();
    for _ in 1..ids {
        lab.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    }
    let id = lab.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    meter(move || {
        black_box(lab.stat(t, id).expect("stat"));
    })
}

fn component_get(n: i32, m: i32) -> Meter {
    let (mut lab, t) = lab();
    for i in 0..n {
        lab.msgget(t, 0x1000 + i, IPC_CREAT | 0o600).expect("queue");
    }
    let mut keys = KeyCycle::new(n, m);
    meter(move || {
        black_box(lab.msgget(t, keys.next(), 0).expect("existing key"));
    })
}

fn component_sem_pair() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).expect("set");
    let nowait = IPC_NOWAIT as i16;
    let (up, down) = (sembuf(0, 1, nowait), sembuf(0, -1, nowait));
    meter(move || {
        assert_eq!(lab.semop1(t, id, up, None), Ok(Semop1Outcome::Done));
        black_box(lab.semop1(t, id, down, None).expect("semop -1"));
    })
}

fn component_psem_pair() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.sem_init(t, 0, false).expect("sem-init");
    meter(move || {
        assert_eq!(lab.sem_post(t, id), Ok(()));
        black_box(lab.sem_wait(t, id).expect("sem-wait"));
    })
}

fn component_shm_cycle() -> Meter {
    let (mut lab, t) = lab();
    meter(move || {
        let id = lab.shmget(t, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).expect("shmget");
        let va = lab.shmat(t, id, 0, 0).expect("shmat");
        lab.shmdt(t, va).expect("shmdt");
        lab.shmctl_rmid(t, black_box(id)).expect("rmid");
    })
}

fn component_shm_io() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.shmget(t, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).expect("shmget");
    let va = lab.shmat(t, id, 0, 0).expect("shmat");
    let data = vec![0x5a; 4096];
    meter(move || {
        lab.shm_write(t, va, black_box(&data)).expect("store");
        black_box(lab.shm_read(t, va, 4096).expect("load"));
    })
}

fn component_port_pair() -> Meter {
    let (mut lab, t) = lab();
    let port = lab.port_create(t).expect("port");
    meter(move || {
        lab.port_send(t, port, 1, 2).expect("send");
        black_box(lab.port_get(t, port, None).expect("get"));
    })
}

/// ns per call of a 64-operation batch (32 sem-post + sem-wait pairs).
fn component_psem_batch() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.sem_init(t, 0, false).expect("sem-init");
    let ops: Vec<Op> = (0..32).flat_map(|_| [Op::SemPost(id), Op::SemWait(id)]).collect();
    let op = move || {
        let r = lab.batch(t, &ops).expect("batch");
        assert!(r.len() == 64 && matches!(r.last(), Some(Ok(OpResult::Done))));
    };
    Meter { op: Box::new(op), per_call: 64.0, slow: 32 }
}

/// ns per operation of a 64-operation batch (32 send+receive pairs of 64 B).
fn component_batch() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.msgget(t, IPC_PRIVATE, IPC_CREAT | 0o600).expect("queue");
    let send = Op::Msgsnd(SendOp { msqid: id, mtype: 1, data: vec![0x5a; 64], msgflg: IPC_NOWAIT });
    let recv = Op::Msgrcv(RecvOp { msqid: id, msgsz: 64, msgtyp: 0, msgflg: IPC_NOWAIT });
    let ops: Vec<Op> = (0..32).flat_map(|_| [send.clone(), recv.clone()]).collect();
    let op = move || {
        let r = lab.batch(t, &ops).expect("batch");
        assert!(matches!(r.last(), Some(Ok(OpResult::Received(_)))) && r.len() == 64);
    };
    Meter { op: Box::new(op), per_call: 64.0, slow: 32 }
}

/// ns per semop of a 64-operation batch (32 +1/−1 pairs, IPC_NOWAIT).
fn component_sem_batch() -> Meter {
    let (mut lab, t) = lab();
    let id = lab.semget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600).expect("set");
    let nowait = IPC_NOWAIT as i16;
    let up = Op::Semop1(Semop1Op { semid: id, op: sembuf(0, 1, nowait) });
    let down = Op::Semop1(Semop1Op { semid: id, op: sembuf(0, -1, nowait) });
    let ops: Vec<Op> = (0..32).flat_map(|_| [up.clone(), down.clone()]).collect();
    let op = move || {
        let r = lab.batch(t, &ops).expect("batch");
        assert!(r.len() == 64 && matches!(r.last(), Some(Ok(OpResult::Done))));
    };
    Meter { op: Box::new(op), per_call: 64.0, slow: 32 }
}

/// Wall-clock ns per round trip of two hosted guests (`msg-ping`,
/// `msg-pong`, built into `target/guests/` by `cargo xtask`), simulated on
/// one thread: the difference between a long and a short run over the
/// difference in rounds (start-up excluded), median over the runs; `None`
/// (with a note) if the guests are not built.  (The guests' own "mean"
/// is simulated time, not wall time.)
fn hosted_ping_pong(mode: Mode, kernel: Choice) -> Option<f64> {
    use ipclab_host::run::{GuestSpec, Manifest, Prepared, RunOptions, run_prepared};
    let long = u64::from((mode.iters / 2).max(200));
    let manifest = |rounds: u64| Manifest {
        guests: vec![
            GuestSpec { gid: 10, ..GuestSpec::new("ping", "msg-ping", &[&rounds.to_string()]) },
            GuestSpec { gid: 10, ..GuestSpec::new("pong", "msg-pong", &[]) },
        ],
        expects: Vec::new(),
    };
    let base = ipclab_host::engine::target_dir().join("guests");
    let prepared = match Prepared::new(&manifest(1), &base) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("side-by-side: hosted guests unavailable ({e}); run `cargo xtask test` or `bench` first");
            return None;
        }
    };
    let opts = RunOptions { echo: false, kernel, ..RunOptions::default() };
    let timed = |rounds: u64| -> Option<f64> {
        let t = Instant::now();
        let r = run_prepared(&manifest(rounds), &prepared, &opts).ok()?;
        if r.status() != 0 {
            eprintln!("side-by-side: hosted ping-pong failed with status {}", r.status());
            return None;
        }
        Some(t.elapsed().as_nanos() as f64)
    };
    let mut samples = Vec::new();
    for _ in 0..mode.runs {
        let (short, full) = (timed(10)?, timed(long)?);
        samples.push((full - short) / (long - 10) as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied()
}

/// `ipclab explore` of the philosophers (5 guests, 20 meals each) under
/// `random`: schedules per second with `jobs` workers.
fn explore_rate(schedules: u64, jobs: usize, kernel: Choice) -> Option<f64> {
    use ipclab_host::explore::{ExploreOptions, explore};
    use ipclab_host::run::{GuestSpec, Manifest, Prepared};
    let guests = (0..5).map(|i| GuestSpec::new(&format!("phil{i}"), "philosopher", &[&i.to_string(), "20"])).collect();
    let manifest = Manifest { guests, expects: Vec::new() };
    let base = ipclab_host::engine::target_dir().join("guests");
    let prepared = Prepared::new(&manifest, &base).ok()?;
    let out = std::env::temp_dir();
    let opts = ExploreOptions { schedules, pct: false, seed: 0, depth: 3, jobs, out, progress: false, kernel };
    let t = Instant::now();
    let found = explore(&manifest, &prepared, &opts).ok()?;
    if !found.found.is_empty() {
        eprintln!("side-by-side: the philosophers failed: {:?}", found.found[0].failure);
        return None;
    }
    Some(schedules as f64 / t.elapsed().as_secs_f64())
}

/// Wall-clock ms from starting `ipclab run ping-pong.toml` (one round, the
/// kernel and guests already in the compile cache) to its exit.
fn startup_ms() -> Option<f64> {
    let bin = ipclab_host::engine::target_dir().join("release").join("ipclab");
    let dir = std::env::temp_dir().join(format!("ipclab-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let m = dir.join("one.toml");
    std::fs::write(&m, "[[guest]]\nname = \"ping\"\nwasm = \"msg-ping\"\nargs = [\"1\"]\n[[guest]]\nname = \"pong\"\nwasm = \"msg-pong\"\n").ok()?;
    let mut samples = Vec::new();
    for _ in 0..6 {
        let t = Instant::now();
        let ok = std::process::Command::new(&bin).arg("run").arg(&m).output().ok()?.status.success();
        if !ok {
            return None;
        }
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = std::fs::remove_dir_all(&dir);
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied()
}

/// The floor: the cheapest call into the component (`kernel.now`).
fn component_empty() -> Meter {
    let (mut lab, _) = lab();
    meter(move || {
        black_box(lab.now());
    })
}

/// The planted bugs of `host/examples/` (each with its fixed twin and the
/// PCT depth it needs): for each, how many schedules `ipclab explore`
/// runs before the first failure, over `seeds` starting seeds (explore's
/// `--seed k×1000`), under random and PCT — the median and the worst — and
/// how many of `twin_runs` schedules of the fixed twin fail (none may).
fn planted_bugs(seeds: u64, twin_runs: u64) {
    use ipclab_host::explore::{ExploreOptions, explore};
    use ipclab_host::run::{Manifest, Prepared, RunOptions, run_prepared};
    use ipclab_host::sim::sched::Policy;
    const BUDGET: u64 = 5_000;
    let planted = [
        ("philosophers-onefork", "philosophers", 5, "deadlock"),
        ("shm-counter-racy", "shm-counter-locked", 3, "lost update"),
        ("msg-race-racy", "msg-race-safe", 3, "hang (deadlock)"),
        ("psem-handshake-buggy", "psem-handshake-fixed", 3, "missing post (deadlock)"),
    ];
    let dir = ipclab_host::engine::target_dir().join("../host/examples");
    println!();
    println!(
        "| planted bug (`host/examples/`) | random: schedules to find it, median / worst of {seeds} seeds | pct: median / worst | fixed twin: failing schedules of {twin_runs}, random / pct |"
    );
    println!("|---|---|---|---|");
    for (buggy, fixed, depth, what) in planted {
        let load = |name: &str| -> Option<(Manifest, Prepared)> {
            let m = Manifest::read(&dir.join(format!("{name}.toml"))).ok()?;
            let p = Prepared::new(&m, &dir).ok()?;
            Some((m, p))
        };
        let (Some((m, p)), Some((tm, tp))) = (load(buggy), load(fixed)) else {
            println!("| {buggy} | (the guests are not built) | | |");
            continue;
        };
        let quiet = |policy| RunOptions { policy, echo: false, max_decisions: 1_000_000, ..RunOptions::default() };
        let steps = run_prepared(&m, &p, &quiet(Policy::Fifo)).map_or(1000, |r| r.picks.len() as u64 + 1);
        let needed = |pct: bool| -> (String, String) {
            let mut counts: Vec<Option<u64>> = (0..seeds)
                .map(|k| {
                    (0..BUDGET).find_map(|i| {
                        let seed = k * 1000 + i;
                        let policy = if pct { Policy::Pct { seed, depth } } else { Policy::Random { seed } };
                        let opts = RunOptions { pct_steps: steps, ..quiet(policy) };
                        let failed = run_prepared(&m, &p, &opts).ok()?.failure().is_some();
                        failed.then_some(i + 1)
                    })
                })
                .collect();
            counts.sort_by_key(|c| c.unwrap_or(u64::MAX));
            let show = |c: Option<u64>| c.map_or(format!("> {BUDGET}"), |c| c.to_string());
            (show(counts[counts.len() / 2]), show(*counts.last().unwrap_or(&None)))
        };
        let (rm, rw) = needed(false);
        let (pm, pw) = needed(true);
        let twin = |pct: bool| {
            let opts = ExploreOptions {
                schedules: twin_runs,
                pct,
                seed: 0,
                depth,
                jobs: 2,
                out: std::env::temp_dir(),
                progress: false,
                kernel: Choice::Native,
            };
            explore(&tm, &tp, &opts)
                .map_or("?".to_string(), |e| e.found.iter().map(|f| f.count).sum::<u64>().to_string())
        };
        println!(
            "| `{buggy}` ({what}) | {rm} / {rw} | {pm} / {pw} (depth {depth}) | `{fixed}`: {} / {} |",
            twin(false),
            twin(true)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mode =
        if quick { Mode { iters: 2_000, runs: 3, big: 2_000 } } else { Mode { iters: 100_000, runs: 9, big: 100_000 } };
    eprintln!(
        "side-by-side: {} mode, {} iterations x {} runs (medians), large namespace = {} keys",
        if quick { "quick" } else { "full" },
        mode.iters,
        mode.runs,
        mode.big
    );

    // Everything is set up first (Linux scratch objects, kernels, component
    // instances with up to `big` keys), then timed in interleaved runs.
    #[cfg(target_os = "linux")]
    let mut scratch = linux::Scratch::new();
    #[cfg(target_os = "linux")]
    let linux = {
        let base = 0x1f00_0000 + (std::process::id() as i32 & 0xffff) * 0x1000;
        let s = &mut scratch;
        let r = (|| -> Result<_, String> {
            Ok([
                Some(s.pair(8)?),
                Some(s.pair(64)?),
                Some(s.stat()?),
                Some(s.get_existing(1000, base)?),
                Some(s.sem_pair()?),
                Some(s.psem_pair()?),
                Some(s.shm_cycle()?),
                Some(s.shm_io()?),
                Some(s.process_ping_pong()?),
                Some(s.eventfd_pair()?),
            ])
        })();
        r.unwrap_or_else(|e| {
            eprintln!("side-by-side: Linux System V IPC unavailable ({e}); its column is empty");
            [None, None, None, None, None, None, None, None, None, None]
        })
    };
    #[cfg(not(target_os = "linux"))]
    let linux: [Option<Meter>; 10] = {
        eprintln!("side-by-side: not a Linux host; the Linux column is empty");
        [None, None, None, None, None, None, None, None, None, None]
    };
    let [l_pair8, l_pair64, l_stat, l_get, l_sem, l_psem, l_shm_cycle, l_shm_io, l_pingpong, l_eventfd] = linux;

    let big = mode.big as i32;
    let specs: Vec<(String, [Option<Meter>; 3])> = vec![
        ("msgsnd+msgrcv pair, 8 B, IPC_NOWAIT".into(), [l_pair8, Some(core_pair(8, true)), Some(component_pair(8))]),
        (
            "msgsnd+msgrcv pair, 64 B, IPC_NOWAIT".into(),
            [l_pair64, Some(core_pair(64, true)), Some(component_pair(64))],
        ),
        ("… the same, kernel recording no steps".into(), [None, Some(core_pair(64, false)), None]),
        ("… per operation, in a batch of 64 (component: one crossing)".into(), [None, None, Some(component_batch())]),
        ("msgctl IPC_STAT, 16 ids".into(), [l_stat, Some(core_stat(16)), Some(component_stat(16))]),
        (
            format!("msgctl IPC_STAT, {} ids", mode.big),
            [None, Some(core_stat(mode.big)), Some(component_stat(mode.big))],
        ),
        (
            "msgget of an existing key: each of 1000 keys in turn".into(),
            [l_get, Some(core_get(1000, 1000)), Some(component_get(1000, 1000))],
        ),
        (
            format!("msgget of an existing key: 64 neighbours among {} keys (the tree's depth)", mode.big),
            [None, Some(core_get(big, 64)), Some(component_get(big, 64))],
        ),
        (
            format!("msgget of an existing key: each of {} keys in turn (memory-bound)", mode.big),
            [None, Some(core_get(big, big)), Some(component_get(big, big))],
        ),
        (
            "semop +1 then semop -1, one semaphore, IPC_NOWAIT".into(),
            [l_sem, Some(core_sem_pair()), Some(component_sem_pair())],
        ),
        ("… per semop, in a batch of 64 (component: one crossing)".into(), [None, None, Some(component_sem_batch())]),
        (
            "sem_post then sem_wait, POSIX, uncontended (Linux: glibc in user space)".into(),
            [l_psem, Some(core_psem_pair(true)), Some(component_psem_pair())],
        ),
        ("… the same, kernel recording no steps".into(), [None, Some(core_psem_pair(false)), None]),
        ("… per call, in a batch of 64 (component: one crossing)".into(), [None, None, Some(component_psem_batch())]),
        (
            "shmget+shmat+shmdt+IPC_RMID of a 4 KiB segment".into(),
            [l_shm_cycle, Some(core_shm_cycle()), Some(component_shm_cycle())],
        ),
        (
            "4 KiB store then 4 KiB load through an attachment (Linux: plain memory)".into(),
            [l_shm_io, Some(core_shm_io()), Some(component_shm_io())],
        ),
        (
            "port_send then port_get (Linux has no event ports: an eventfd write then read)".into(),
            [l_eventfd, Some(core_port_pair()), Some(component_port_pair())],
        ),
        (
            "queue ping-pong round trip between two processes (hosted: two guests under `ipclab run` on one thread; core column = the native kernel, component column = the kernel component)"
                .into(),
            [l_pingpong, None, None],
        ),
        ("empty call into the component (floor)".into(), [None, None, Some(component_empty())]),
    ];
    let (names, meters): (Vec<String>, Vec<[Option<Meter>; 3]>) = specs.into_iter().unzip();
    let mut flat: Vec<Option<Meter>> = meters.into_iter().flatten().collect();
    let medians = measure(mode, &mut flat);
    let mut rows: Vec<Row> = names
        .into_iter()
        .zip(medians.chunks(3))
        .map(|(op, m)| Row { op, linux: m[0], core: m[1], component: m[2] })
        .collect();
    // The batch row compares with Linux's cost per operation: half a pair.
    rows[3].linux = rows[1].linux.map(|p| p / 2.0);
    rows[2].linux = rows[1].linux;
    // Likewise, the semop batch row compares with half a Linux semop pair.
    let sem_row = rows.iter().position(|r| r.op.starts_with("semop +1")).unwrap_or(0);
    rows[sem_row + 1].linux = rows[sem_row].linux.map(|p| p / 2.0);
    // Hosted guests time their own round trips; the median of the runs.
    if let Some(r) = rows.iter_mut().find(|r| r.op.starts_with("queue ping-pong")) {
        r.core = hosted_ping_pong(mode, Choice::Native);
        r.component = hosted_ping_pong(mode, Choice::Component);
    }
    let psem_row = rows.iter().position(|r| r.op.starts_with("sem_post then")).unwrap_or(0);
    rows[psem_row + 1].linux = rows[psem_row].linux;
    rows[psem_row + 2].linux = rows[psem_row].linux.map(|p| p / 2.0);
    print_table(&rows);
    let n = if quick { 2_000 } else { 100_000 };
    println!();
    println!("Heap per idle keyed queue in `ipc-core` at {n} queues: {:.0} bytes.", core_bytes_per_queue(n));
    let schedules = if quick { 50 } else { 2_000 };
    for kernel in [Choice::Native, Choice::Component] {
        let n = if kernel == Choice::Native { schedules } else { schedules / 4 };
        match (explore_rate(n, 1, kernel), explore_rate(n, 2, kernel)) {
            (Some(one), Some(two)) => println!(
                "`ipclab explore --kernel {}` of the philosophers (5 guests × 20 meals), random: {one:.0} schedules/s with --jobs 1, {two:.0} with --jobs 2.",
                kernel.name()
            ),
            _ => println!("`ipclab explore`: the philosopher guest is not built."),
        }
    }
    if quick {
        planted_bugs(3, 100);
    } else {
        planted_bugs(20, 1000);
    }
    match startup_ms() {
        Some(ms) => println!("Start-up of `ipclab run` (ping-pong, one round, the compile cache warm): {ms:.0} ms."),
        None => println!("Start-up of `ipclab run`: target/release/ipclab is not built."),
    }
}
