//! # Events: typed data, words on demand
//!
//! Every operation on the kernel — a system call, a spawn, a clock advance —
//! appends exactly one [`Event`] to the log.  An event says who called
//! (pid/tid), what ([`Call`]: the call and its arguments as data), how it
//! ended ([`EventOutcome`]: the typed value, an errno, or parked on a
//! channel), which parked threads it completed ([`Wakeup`]), and which
//! internal steps it took ([`Step`]: key lookups, table growth, AVL
//! rotations, sequence bumps, references, destruction, the facility's own
//! steps).  A call that fails says which check refused it and why
//! ([`Step::Denied`]), so a viewer never has to guess.
//!
//! ## Typed, rendered lazily
//! Nothing here is a string made on the hot path: an event is plain data
//! (a few integers per call), and its words are produced only when a reader
//! asks, through `Display` — the component's event export, the playground,
//! a test.  The words are the same a viewer always saw.  The only strings
//! built while a call runs are the rules of refusals (`Step::Denied`, only
//! when steps are recorded) and the reason a parking call returns to its
//! caller.
//!
//! ## Vocabulary
//! The kernel does not know its facilities; each adds its own words: its
//! calls, the values they return, its internal steps, the channels a thread
//! parks on, and the replies a parked call completes with.  [`Vocabulary`]
//! names those five types for the whole set of facilities (the unions live
//! in `hooks.rs`), and every type here is generic over it.
//!
//! ## The log
//! It is bounded (a ring of `event_capacity` entries); each event carries an
//! absolute sequence number, so a reader polls with a cursor and learns when
//! it fell behind.  A kernel may record **no internal steps** (calls and
//! outcomes only) for embedders that want raw speed; refusals then carry
//! their errno but no rule.

use crate::cred::{Credentials, Pid, Tid, ZoneId};
use crate::errno::{Errno, SysResult};
use crate::namespace::{Facility, NsStep, RctlScope, Sink};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt::{self, Debug, Display};
use std::sync::Arc;

/// An integer in C's octal notation, as a programmer writes flags and
/// modes: `01600`, `0` (not Rust's `0o1600`).
pub struct Octal<T>(pub T);

impl<T: fmt::Octal + Default + PartialEq> Display for Octal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == T::default() { write!(f, "0") } else { write!(f, "0{:o}", self.0) }
    }
}

/// Plain data: what every event type must be to live in a snapshot.
pub trait Data: Debug + Clone + PartialEq + Eq + Serialize + DeserializeOwned {}
impl<T: Debug + Clone + PartialEq + Eq + Serialize + DeserializeOwned> Data for T {}

/// A call or a channel that has a name (`"msgrcv"`).
pub trait Named {
    fn name(&self) -> &'static str;
}

/// The words a set of facilities adds to the event log.
pub trait Vocabulary: Data {
    /// A facility call and its arguments; `Display` renders the arguments.
    type Call: Data + Named + Display;
    /// What a facility call returned, as the log keeps it (no payloads).
    type Value: Data + Display;
    /// A facility's own internal step.
    type Step: Data + Display;
    /// What a parked thread waits on; `Display` is the reason in words.
    type Chan: Data + Named + Display;
    /// The result a parked call completes with, for `take_result`.
    type Reply: Data;
    /// The log's summary of a completed parked call's reply.
    fn value_of(reply: &Self::Reply) -> Self::Value;
}

/// What was called, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum Call<V: Vocabulary> {
    Spawn {
        cred: Arc<Credentials>,
        zone: ZoneId,
        project: u32,
    },
    ThreadCreate {
        pid: Pid,
    },
    Fork {
        pid: Pid,
    },
    Exec {
        pid: Pid,
    },
    Exit {
        pid: Pid,
    },
    Advance {
        ns: u64,
    },
    Interrupt {
        tid: Tid,
    },
    TakeResult,
    ZoneRemove {
        zone: ZoneId,
    },
    /// A resource control on a System V facility's ids.
    SetIdsLimit {
        facility: Facility,
        scope: RctlScope,
        max_ids: u32,
    },
    /// A system call of one of the facilities.
    Sys(V::Call),
}

impl<V: Vocabulary> Call<V> {
    pub fn name(&self) -> &'static str {
        match self {
            Call::Spawn { .. } => "spawn",
            Call::ThreadCreate { .. } => "thread_create",
            Call::Fork { .. } => "fork",
            Call::Exec { .. } => "exec",
            Call::Exit { .. } => "exit",
            Call::Advance { .. } => "advance",
            Call::Interrupt { .. } => "interrupt",
            Call::TakeResult => "take_result",
            Call::ZoneRemove { .. } => "zone_remove",
            Call::SetIdsLimit { scope: RctlScope::Project(_), .. } => "set_project_limit",
            Call::SetIdsLimit { scope: RctlScope::Zone(_), .. } => "set_zone_limit",
            Call::Sys(c) => c.name(),
        }
    }

    /// The arguments in words, e.g. `msqid=0x10003, msgsz=64, msgtyp=0, msgflg=04000`.
    pub fn args(&self) -> Args<'_, V> {
        Args(self)
    }
}

/// The arguments of a [`Call`], rendered by `Display`.
pub struct Args<'a, V: Vocabulary>(&'a Call<V>);

impl<V: Vocabulary> Display for Args<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Call::Spawn { cred: c, zone, project } => write!(
                f,
                "uid={} euid={} gid={} egid={} groups={:?} privileged={} zone={zone} project={project}",
                c.ruid, c.euid, c.rgid, c.egid, c.groups, c.privileged
            ),
            Call::ThreadCreate { pid } | Call::Fork { pid } | Call::Exec { pid } | Call::Exit { pid } => {
                write!(f, "pid={pid}")
            }
            Call::Advance { ns } => write!(f, "ns={ns}"),
            Call::Interrupt { tid } => write!(f, "tid={tid}"),
            Call::TakeResult => Ok(()),
            Call::ZoneRemove { zone } => write!(f, "zone={zone}"),
            Call::SetIdsLimit { facility, scope: RctlScope::Project(p), max_ids } => {
                write!(f, "project={p}, facility={facility}, max_ids={max_ids}")
            }
            Call::SetIdsLimit { facility, scope: RctlScope::Zone(z), max_ids } => {
                write!(f, "zone={z}, facility={facility}, max_ids={max_ids}")
            }
            Call::Sys(c) => write!(f, "{c}"),
        }
    }
}

/// What a successful operation returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum Value<V: Vocabulary> {
    /// 0.
    Zero,
    Spawned {
        pid: Pid,
        tid: Tid,
    },
    Thread {
        tid: Tid,
    },
    Forked {
        pid: Pid,
        tid: Tid,
    },
    /// The clock after an advance.
    Now(u64),
    /// Whether an interrupt found its thread parked.
    Interrupted(bool),
    /// `take_result` handed over a completed call's result.
    /// `take_result` handed over a completed call's result (boxed: it is
    /// rare, and keeps every other event small).
    Taken(Box<Taken<V>>),
    /// How many objects a zone removal destroyed.
    Destroyed(usize),
    /// A facility call's value.
    Sys(V::Value),
}

impl<V: Vocabulary> Display for Value<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Zero => write!(f, "0"),
            Value::Spawned { pid, tid } => write!(f, "pid {pid}, tid {tid}"),
            Value::Thread { tid } => write!(f, "tid {tid}"),
            Value::Forked { pid, tid } => write!(f, "child pid {pid}, tid {tid}"),
            Value::Now(now) => write!(f, "now {now} ns"),
            Value::Interrupted(true) => write!(f, "interrupted"),
            Value::Interrupted(false) => write!(f, "not parked"),
            Value::Taken(t) => match &t.result {
                Ok(v) => write!(f, "{}: {v}", t.call.name()),
                Err(e) => write!(f, "{}: {}", t.call.name(), e.name()),
            },
            Value::Destroyed(n) => write!(f, "{n} object(s) destroyed"),
            Value::Sys(v) => write!(f, "{v}"),
        }
    }
}

/// A completed parked call's result, as `take_result` handed it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Taken<V: Vocabulary> {
    pub call: V::Chan,
    pub result: SysResult<V::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum EventOutcome<V: Vocabulary> {
    /// Succeeded with this value.
    Ok(Value<V>),
    /// Failed with this errno.
    Err(Errno),
    /// The calling thread parked on this channel (its `Display` is the reason).
    Blocked(V::Chan),
}

impl<V: Vocabulary> Display for EventOutcome<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventOutcome::Ok(v) => write!(f, "-> {v}"),
            EventOutcome::Err(e) => write!(f, "-> {e}"),
            EventOutcome::Blocked(chan) => write!(f, "parked ({chan})"),
        }
    }
}

/// A parked thread that an operation completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Wakeup<V: Vocabulary> {
    pub tid: Tid,
    pub pid: Pid,
    /// The channel it was parked on (`name()` is the call).
    pub chan: V::Chan,
    pub result: SysResult<V::Value>,
}

impl<V: Vocabulary> Wakeup<V> {
    /// The outcome as an event outcome (for viewers).
    pub fn outcome(&self) -> EventOutcome<V> {
        match &self.result {
            Ok(v) => EventOutcome::Ok(Value::Sys(v.clone())),
            Err(e) => EventOutcome::Err(*e),
        }
    }
}

/// One internal step of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum Step<V: Vocabulary> {
    /// A step of the namespace framework (`ipc.c`).
    Ns(NsStep),
    /// A facility's own step (a message queued, a semaphore changed, ...).
    Sys(V::Step),
    /// A thread parked on a channel.
    Park { tid: Tid, chan: V::Chan },
    /// A check refused the call: the errno and the rule, in words.
    Denied { facility: Option<Facility>, errno: Errno, rule: String },
}

impl<V: Vocabulary> Display for Step<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Ns(s) => write!(f, "{s}"),
            Step::Sys(s) => write!(f, "{s}"),
            Step::Park { tid, chan } => write!(f, "thread {tid} parked: {chan}"),
            Step::Denied { facility, errno, rule } => {
                if let Some(facility) = facility {
                    write!(f, "{facility}: ")?;
                }
                write!(f, "{}: {rule}", errno.name())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Event<V: Vocabulary> {
    /// Absolute sequence number, from 0.
    pub seq: u64,
    /// Logical time of the operation.
    pub time: u64,
    pub pid: Option<Pid>,
    pub tid: Option<Tid>,
    pub call: Call<V>,
    pub outcome: EventOutcome<V>,
    pub woke: Vec<Wakeup<V>>,
    pub steps: Vec<Step<V>>,
}

impl<V: Vocabulary> Display for Event<V> {
    /// The event in plain words, one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} t={}ns ", self.seq, self.time)?;
        if let (Some(pid), Some(tid)) = (self.pid, self.tid) {
            write!(f, "pid {pid} tid {tid}: ")?;
        } else if let Some(pid) = self.pid {
            write!(f, "pid {pid}: ")?;
        }
        write!(f, "{}({}) {}", self.call.name(), self.call.args(), self.outcome)?;
        for w in &self.woke {
            write!(f, "; woke tid {} ({} {})", w.tid, w.chan.name(), w.outcome())?;
        }
        Ok(())
    }
}

/// What one operation collects for its event: its steps and wakeups.
///
/// The log lends its own step and wakeup rings to the operation
/// ([`EventLog::lend`]): steps are appended where they will stay, and
/// recording the event ([`EventLog::push`]) only counts them and hands the
/// rings back — no copy, and no allocation once the rings have grown.
#[derive(Debug)]
pub struct Ctx<V: Vocabulary> {
    steps: VecDeque<Step<V>>,
    woke: VecDeque<Wakeup<V>>,
    /// Where this operation's steps and wakeups begin in the rings.
    first_step: usize,
    first_woke: usize,
    /// Record internal steps?  Wakeups are always recorded: they are
    /// outcomes, not steps.
    pub record_steps: bool,
}

impl<V: Vocabulary> Ctx<V> {
    /// A context of its own (not lent by a log).
    pub fn new(record_steps: bool) -> Self {
        Ctx { steps: VecDeque::new(), woke: VecDeque::new(), first_step: 0, first_woke: 0, record_steps }
    }

    /// This operation's steps so far.
    pub fn steps(&self) -> impl Iterator<Item = &Step<V>> {
        self.steps.range(self.first_step.min(self.steps.len())..)
    }

    /// This operation's wakeups so far.
    pub fn woke(&self) -> impl Iterator<Item = &Wakeup<V>> {
        self.woke.range(self.first_woke.min(self.woke.len())..)
    }

    /// Records that a parked thread was completed.
    pub fn wake(&mut self, w: Wakeup<V>) {
        self.woke.push_back(w);
    }

    /// Records a facility step.
    pub fn sys(&mut self, step: impl Into<V::Step>) {
        if self.record_steps {
            self.steps.push_back(Step::Sys(step.into()));
        }
    }

    pub fn park(&mut self, tid: Tid, chan: &V::Chan) {
        if self.record_steps {
            self.steps.push_back(Step::Park { tid, chan: chan.clone() });
        }
    }
}

impl<V: Vocabulary> Sink for Ctx<V> {
    fn step(&mut self, step: NsStep) {
        if self.record_steps {
            self.steps.push_back(Step::Ns(step));
        }
    }

    fn deny(&mut self, facility: Option<Facility>, errno: Errno, rule: impl FnOnce() -> String) -> Errno {
        if self.record_steps {
            self.steps.push_back(Step::Denied { facility, errno, rule: rule() });
        }
        errno
    }
}

/// An event's fixed part, as the log stores it: its steps and wakeups
/// live in the log's rings, `nsteps` and `nwoke` of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
struct Head<V: Vocabulary> {
    seq: u64,
    time: u64,
    pid: Option<Pid>,
    tid: Option<Tid>,
    call: Call<V>,
    outcome: EventOutcome<V>,
    nsteps: u32,
    nwoke: u32,
}

/// The bounded event log: the newest `capacity` events.
///
/// Heads, steps and wakeups sit in three rings, so recording an event
/// moves its steps out of the operation's buffers without allocating (the
/// buffers are reused by the next operation).  Once the log is full, a new
/// head is written over the oldest in place (`heads` is a `Ring`): no
/// element moves.  Readers get whole [`Event`]s, assembled when they ask;
/// a snapshot holds the heads oldest first, whatever the ring's rotation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct EventLog<V: Vocabulary> {
    #[serde(serialize_with = "serialize_ring", deserialize_with = "deserialize_ring")]
    heads: Ring<Head<V>>,
    steps: VecDeque<Step<V>>,
    woke: VecDeque<Wakeup<V>>,
    next: u64,
}

/// A vector that becomes a ring once full: the oldest element is at
/// `start`, and a new one overwrites it in place.  While not full, `start`
/// is 0 and it grows like a vector.
#[derive(Debug, Clone)]
struct Ring<T> {
    buf: Vec<T>,
    start: usize,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring { buf: Vec::new(), start: 0 }
    }
}

impl<T> Ring<T> {
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Oldest first.
    fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        let (newer, older) = self.buf.split_at(self.start);
        older.iter().chain(newer.iter())
    }

    fn front(&self) -> Option<&T> {
        self.buf.get(self.start)
    }

    fn back(&self) -> Option<&T> {
        let i = if self.start == 0 { self.buf.len().checked_sub(1)? } else { self.start - 1 };
        self.buf.get(i)
    }

    /// The oldest element once `capacity` are kept: the slot a new one
    /// overwrites in place, field by field (then [`rotate`](Self::rotate)).
    /// `None` while there is room.
    fn full_slot(&mut self, capacity: usize) -> Option<&mut T> {
        if self.buf.len() == capacity { self.buf.get_mut(self.start) } else { None }
    }

    /// Makes the slot just overwritten the newest.
    fn rotate(&mut self) {
        self.start += 1;
        if self.start == self.buf.len() {
            self.start = 0;
        }
    }

    /// Appends `x` while there is room.  Pushed with a smaller capacity than
    /// it holds (the kernel always passes its one capacity, and a restored
    /// kernel's log is checked against it), it first drops its oldest
    /// beyond that capacity, which `evict` sees.
    fn push(&mut self, capacity: usize, x: T, mut evict: impl FnMut(&T)) {
        self.buf.rotate_left(self.start);
        self.start = 0;
        let over = (self.buf.len() + 1).saturating_sub(capacity);
        for old in self.buf.drain(..over.min(self.buf.len())) {
            evict(&old);
        }
        self.buf.push(x);
    }
}

/// Drops an evicted event's steps and wakeups, which lead their rings.
/// Plain pops are cheaper than a drain, in native code and in wasm alike;
/// inlined, because it runs on every event once the log is full.
#[inline(always)]
fn evict<V: Vocabulary>(steps: &mut VecDeque<Step<V>>, woke: &mut VecDeque<Wakeup<V>>, old: &Head<V>) {
    for _ in 0..old.nsteps {
        steps.pop_front();
    }
    for _ in 0..old.nwoke {
        woke.pop_front();
    }
}

impl<V: Vocabulary> PartialEq for EventLog<V> {
    /// Equal as logs: the same heads oldest first, whatever the ring's rotation.
    fn eq(&self, other: &Self) -> bool {
        self.next == other.next
            && self.heads.len() == other.heads.len()
            && self.heads.iter().eq(other.heads.iter())
            && self.steps == other.steps
            && self.woke == other.woke
    }
}

impl<V: Vocabulary> Eq for EventLog<V> {}

fn serialize_ring<T: Serialize, S: serde::Serializer>(ring: &Ring<T>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ring.iter())
}

fn deserialize_ring<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Ring<T>, D::Error> {
    Ok(Ring { buf: Vec::deserialize(d)?, start: 0 })
}

impl<V: Vocabulary> Default for EventLog<V> {
    fn default() -> Self {
        EventLog { heads: Ring::default(), steps: VecDeque::new(), woke: VecDeque::new(), next: 0 }
    }
}

impl<V: Vocabulary> EventLog<V> {
    /// A context for one operation, writing into this log's rings (which
    /// the log does not have until [`push`](Self::push) gives them back).
    pub fn lend(&mut self, record_steps: bool) -> Ctx<V> {
        let (steps, woke) = (std::mem::take(&mut self.steps), std::mem::take(&mut self.woke));
        Ctx { first_step: steps.len(), first_woke: woke.len(), steps, woke, record_steps }
    }

    /// Appends an event made of `call`, `outcome` and what `ctx` collected,
    /// numbering it and dropping the oldest beyond `capacity`.  A context
    /// the log lent comes back as its rings; any other has its steps and
    /// wakeups moved in.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        capacity: usize,
        time: u64,
        pid: Option<Pid>,
        tid: Option<Tid>,
        call: Call<V>,
        outcome: EventOutcome<V>,
        mut ctx: Ctx<V>,
    ) {
        let nsteps = ctx.steps.len().saturating_sub(ctx.first_step);
        let nwoke = ctx.woke.len().saturating_sub(ctx.first_woke);
        if self.steps.capacity() == 0 && self.woke.capacity() == 0 {
            // The rings were lent (what `lend` left here holds no memory):
            // take them back whole.  Swapping, not assigning, so that no
            // empty ring goes through drop glue on this hot path.
            std::mem::swap(&mut self.steps, &mut ctx.steps);
            std::mem::swap(&mut self.woke, &mut ctx.woke);
        } else {
            self.steps.extend(ctx.steps.drain(ctx.first_step.min(ctx.steps.len())..));
            self.woke.extend(ctx.woke.drain(ctx.first_woke.min(ctx.woke.len())..));
        }
        let (nsteps, nwoke) = (u32::try_from(nsteps).unwrap_or(u32::MAX), u32::try_from(nwoke).unwrap_or(u32::MAX));
        if let Some(slot) = self.heads.full_slot(capacity.max(1)) {
            // The steady state: the oldest head becomes the newest, written
            // field by field (no 136-byte head is moved as a whole).
            evict(&mut self.steps, &mut self.woke, slot);
            slot.seq = self.next;
            slot.time = time;
            slot.pid = pid;
            slot.tid = tid;
            slot.call = call;
            slot.outcome = outcome;
            slot.nsteps = nsteps;
            slot.nwoke = nwoke;
            self.heads.rotate();
        } else {
            let head = Head { seq: self.next, time, pid, tid, call, outcome, nsteps, nwoke };
            let (steps, woke) = (&mut self.steps, &mut self.woke);
            self.heads.push(capacity.max(1), head, |old| evict(steps, woke, old));
        }
        // Saturating: a restored log may be numbered up to the end of u64
        // (no run gets there); wrapping to 0 would break the numbering.
        self.next = self.next.saturating_add(1);
        if ctx.steps.capacity() == 0 && ctx.woke.capacity() == 0 {
            // A lent context now holds the empty rings `lend` left here: no
            // memory to free, so no drop glue to run (the hot path).
            std::mem::forget(ctx);
        }
    }

    /// The whole event of `h`, whose steps and wakeups start at `s` and `w`
    /// in the rings.
    fn event(&self, h: &Head<V>, s: usize, w: usize) -> Event<V> {
        let steps = s.min(self.steps.len())..(s + h.nsteps as usize).min(self.steps.len());
        let woke = w.min(self.woke.len())..(w + h.nwoke as usize).min(self.woke.len());
        Event {
            seq: h.seq,
            time: h.time,
            pid: h.pid,
            tid: h.tid,
            call: h.call.clone(),
            outcome: h.outcome.clone(),
            woke: self.woke.range(woke).cloned().collect(),
            steps: self.steps.range(steps).cloned().collect(),
        }
    }

    /// The events, oldest first, from the `skip`-th kept one.
    fn assemble(&self, skip: usize) -> Vec<Event<V>> {
        let (mut s, mut w) = (0usize, 0usize);
        let mut out = Vec::with_capacity(self.heads.len().saturating_sub(skip));
        for (i, h) in self.heads.iter().enumerate() {
            if i >= skip {
                out.push(self.event(h, s, w));
            }
            s += h.nsteps as usize;
            w += h.nwoke as usize;
        }
        out
    }

    /// Events with `seq >= cursor` still kept, and the cursor to pass next
    /// time.  If `cursor` is older than the oldest kept event, reading
    /// starts at the oldest (the first event's `seq` tells how many were missed).
    pub fn since(&self, cursor: u64) -> (Vec<Event<V>>, u64) {
        let first = self.heads.front().map_or(self.next, |e| e.seq);
        let skip = usize::try_from(cursor.saturating_sub(first)).unwrap_or(usize::MAX);
        if skip >= self.heads.len() {
            return (Vec::new(), self.next);
        }
        (self.assemble(skip), self.next)
    }

    /// The threads woken — their parked call completed — by events with
    /// `seq >= cursor` still kept, oldest first, and the next cursor.  Reads
    /// only the wakeups ring: no event is assembled.
    pub fn woken_since(&self, cursor: u64) -> (Vec<Tid>, u64) {
        let first = self.heads.front().map_or(self.next, |e| e.seq);
        let skip = usize::try_from(cursor.saturating_sub(first)).unwrap_or(usize::MAX).min(self.heads.len());
        let n: usize = self.heads.iter().skip(skip).map(|h| h.nwoke as usize).sum();
        (self.woke.range(self.woke.len().saturating_sub(n)..).map(|w| w.tid).collect(), self.next)
    }

    /// The newest event, assembled.
    pub fn last(&self) -> Option<Event<V>> {
        let h = self.heads.back()?;
        let s = self.steps.len().saturating_sub(h.nsteps as usize);
        let w = self.woke.len().saturating_sub(h.nwoke as usize);
        Some(self.event(h, s, w))
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// Kept within `capacity`, numbered without gaps up to `next` (which
    /// saturates at the end of `u64`, like the clock), the heads' ring
    /// turned only when full, and the rings hold exactly the steps and
    /// wakeups the heads count.
    pub fn check(&self, capacity: usize) -> Result<(), String> {
        let n = self.heads.len();
        if n > capacity || self.heads.iter().enumerate().any(|(i, e)| e.seq.saturating_add((n - i) as u64) != self.next)
        {
            return Err("event log: over capacity or not numbered up to next".into());
        }
        // The ring turns only once full; until then it is a plain vector.
        if self.heads.start != 0 && (self.heads.start >= n || n != capacity) {
            return Err("event log: the ring starts outside a full log".into());
        }
        let steps: u64 = self.heads.iter().map(|h| u64::from(h.nsteps)).sum();
        let woke: u64 = self.heads.iter().map(|h| u64::from(h.nwoke)).sum();
        if steps != self.steps.len() as u64 || woke != self.woke.len() as u64 {
            return Err("event log: step or wakeup counts do not match the rings".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::Ipc;
    use crate::msg::MsgChan;
    use proptest::prelude::*;

    fn step(n: u32) -> Step<Ipc> {
        Step::Denied { facility: None, errno: Errno::EINVAL, rule: n.to_string() }
    }

    fn wakeup(n: u32) -> Wakeup<Ipc> {
        Wakeup {
            tid: n,
            pid: n,
            chan: MsgChan::Recv { queue: 0, msqid: 0, msgtyp: 0 }.into(),
            result: Err(Errno::EINTR),
        }
    }

    #[test]
    fn octal_is_written_as_in_c() {
        assert_eq!(Octal(0).to_string(), "0");
        assert_eq!(Octal(0o1600).to_string(), "01600");
        assert_eq!(Octal(0o4000u32).to_string(), "04000");
    }

    proptest! {
        /// The three rings give back exactly what a plain vector of whole
        /// events, cut to the newest `capacity`, would.
        #[test]
        fn the_ring_log_matches_a_vector_of_events(
            capacity in 1usize..6,
            ops in proptest::collection::vec((0u32..4, 0u32..3, 0u64..12), 0..40),
        ) {
            let mut log: EventLog<Ipc> = EventLog::default();
            let mut model: Vec<Event<Ipc>> = Vec::new();
            for (i, &(nsteps, nwoke, cursor)) in ops.iter().enumerate() {
                let i = i as u32;
                // Every other event uses a context of its own instead of a lent one.
                let mut ctx = if i.is_multiple_of(2) { log.lend(true) } else { Ctx::new(true) };
                for k in 0..nsteps {
                    ctx.steps.push_back(step(i * 10 + k));
                }
                for k in 0..nwoke {
                    ctx.wake(wakeup(i * 10 + k));
                }
                let event = Event {
                    seq: u64::from(i),
                    time: u64::from(i),
                    pid: Some(i),
                    tid: None,
                    call: Call::Advance { ns: u64::from(i) },
                    outcome: EventOutcome::Ok(Value::Now(u64::from(i))),
                    woke: ctx.woke().cloned().collect(),
                    steps: ctx.steps().cloned().collect(),
                };
                log.push(capacity, event.time, event.pid, event.tid, event.call.clone(), event.outcome.clone(), ctx);
                model.push(event);
                if model.len() > capacity {
                    model.remove(0);
                }
                prop_assert_eq!(log.check(capacity), Ok(()));
                prop_assert_eq!(log.last(), model.last().cloned());
                let want: Vec<Event<Ipc>> = model.iter().filter(|e| e.seq >= cursor).cloned().collect();
                prop_assert_eq!(log.since(cursor), (want, u64::from(i) + 1));
                // A snapshot holds the heads oldest first whatever the ring's
                // rotation; restored (unrotated), it is the same log and goes
                // on the same way.
                let json = serde_json::to_string(&log).expect("serialize");
                let restored: EventLog<Ipc> = serde_json::from_str(&json).expect("deserialize");
                prop_assert_eq!(&restored, &log);
                prop_assert_eq!(restored.since(0), log.since(0));
                let (mut a, mut b) = (log.clone(), restored);
                for l in [&mut a, &mut b] {
                    let mut ctx = l.lend(true);
                    ctx.steps.push_back(step(999));
                    l.push(capacity, 0, None, None, Call::TakeResult, EventOutcome::Err(Errno::EINVAL), ctx);
                }
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok());
            }
        }

        /// A log pushed with a smaller capacity than it holds drops its
        /// oldest events (with their steps and wakeups) at that push, and
        /// stays exact.
        #[test]
        fn a_log_shrinks_to_a_smaller_capacity(big in 2usize..8, small in 1usize..8, n in 0u32..20) {
            let small = small.min(big - 1);
            let mut log: EventLog<Ipc> = EventLog::default();
            let mut model: Vec<Event<Ipc>> = Vec::new();
            for i in 0..=n {
                let cap = if i == n { small } else { big };
                let mut ctx = log.lend(true);
                ctx.steps.push_back(step(i));
                ctx.wake(wakeup(i));
                let event = Event {
                    seq: u64::from(i),
                    time: 0,
                    pid: None,
                    tid: None,
                    call: Call::TakeResult,
                    outcome: EventOutcome::Err(Errno::EINVAL),
                    woke: ctx.woke().cloned().collect(),
                    steps: ctx.steps().cloned().collect(),
                };
                log.push(cap, 0, None, None, Call::TakeResult, EventOutcome::Err(Errno::EINVAL), ctx);
                model.push(event);
                let keep = model.len().saturating_sub(cap);
                model.drain(..keep);
                prop_assert_eq!(log.check(cap), Ok(()));
                prop_assert_eq!(log.since(0).0, model.clone());
            }
        }
    }
}
