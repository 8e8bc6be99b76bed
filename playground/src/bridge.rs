//! The Rust side of `js/bridge.js`: every call into the component goes
//! through these functions, which parse the bridge's JSON answers.
//!
//! The bridge owns the kernel and the process and thread handles; Rust names
//! processes by pid and threads by tid.  Each answer is `{ok:true, value}`,
//! `{ok:true, blocked:reason}` or `{ok:false, errno}`.

use crate::model::KernelState;
use crate::preset::{Preset, PresetEntry};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::js_sys::Promise;

#[wasm_bindgen(module = "/js/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = bridgeInit)]
    fn bridge_init() -> Promise;
    fn spawn(uid: u32, gid: u32, groups: &str, privileged: bool) -> String;
    fn fork(pid: u32) -> String;
    #[wasm_bindgen(js_name = threadCreate)]
    fn thread_create(pid: u32) -> String;
    fn exit(pid: u32) -> String;
    fn msgget(tid: u32, key: i32, flags: i32) -> String;
    fn msgsnd(tid: u32, msqid: i32, mtype: &str, data: &str, flags: i32, timeout_ns: f64) -> String;
    fn msgrcv(tid: u32, msqid: i32, msgsz: &str, msgtyp: &str, flags: i32, timeout_ns: f64) -> String;
    #[wasm_bindgen(js_name = msgctlStat)]
    fn msgctl_stat(tid: u32, msqid: i32) -> String;
    #[wasm_bindgen(js_name = msgctlSet)]
    fn msgctl_set(tid: u32, msqid: i32, uid: u32, gid: u32, mode: u32, qbytes: &str) -> String;
    #[wasm_bindgen(js_name = msgctlRmid)]
    fn msgctl_rmid(tid: u32, msqid: i32) -> String;
    fn semget(tid: u32, key: i32, nsems: i32, flags: i32) -> String;
    fn semop(tid: u32, semid: i32, sops: &str, timeout_ns: f64) -> String;
    #[wasm_bindgen(js_name = semctlSetval)]
    fn semctl_setval(tid: u32, semid: i32, semnum: u32, val: i32) -> String;
    #[wasm_bindgen(js_name = semctlGetall)]
    fn semctl_getall(tid: u32, semid: i32) -> String;
    #[wasm_bindgen(js_name = semctlStat)]
    fn semctl_stat(tid: u32, semid: i32) -> String;
    #[wasm_bindgen(js_name = semctlRmid)]
    fn semctl_rmid(tid: u32, semid: i32) -> String;
    #[wasm_bindgen(js_name = semOpen)]
    fn sem_open(tid: u32, name: &str, creat: bool, excl: bool, mode: u32, value: u32) -> String;
    #[wasm_bindgen(js_name = semInit)]
    fn sem_init(tid: u32, value: u32, pshared: bool) -> String;
    #[wasm_bindgen(js_name = semClose)]
    fn sem_close(tid: u32, id: u32) -> String;
    #[wasm_bindgen(js_name = semUnlink)]
    fn sem_unlink(tid: u32, name: &str) -> String;
    #[wasm_bindgen(js_name = semDestroy)]
    fn sem_destroy(tid: u32, id: u32) -> String;
    #[wasm_bindgen(js_name = semPost)]
    fn sem_post(tid: u32, id: u32) -> String;
    #[wasm_bindgen(js_name = semWait)]
    fn sem_wait(tid: u32, id: u32) -> String;
    #[wasm_bindgen(js_name = semTrywait)]
    fn sem_trywait(tid: u32, id: u32) -> String;
    #[wasm_bindgen(js_name = semTimedwait)]
    fn sem_timedwait(tid: u32, id: u32, sec: &str, nsec: &str) -> String;
    #[wasm_bindgen(js_name = semGetvalue)]
    fn sem_getvalue(tid: u32, id: u32) -> String;
    fn shmget(tid: u32, key: i32, size: &str, flags: i32) -> String;
    fn shmat(tid: u32, shmid: i32, addr: &str, flags: i32) -> String;
    fn shmdt(tid: u32, addr: &str) -> String;
    #[wasm_bindgen(js_name = shmctlStat)]
    fn shmctl_stat(tid: u32, shmid: i32) -> String;
    #[wasm_bindgen(js_name = shmctlSet)]
    fn shmctl_set(tid: u32, shmid: i32, uid: u32, gid: u32, mode: u32) -> String;
    #[wasm_bindgen(js_name = shmctlRmid)]
    fn shmctl_rmid(tid: u32, shmid: i32) -> String;
    #[wasm_bindgen(js_name = shmctlLock)]
    fn shmctl_lock(tid: u32, shmid: i32, lock: bool) -> String;
    #[wasm_bindgen(js_name = shmRead)]
    fn shm_read(tid: u32, addr: &str, len: &str) -> String;
    #[wasm_bindgen(js_name = shmWrite)]
    fn shm_write(tid: u32, addr: &str, data: &str) -> String;
    #[wasm_bindgen(js_name = setTunable)]
    fn set_tunable(tid: u32, name: &str, value: &str) -> String;
    fn pipe(tid: u32) -> String;
    #[wasm_bindgen(js_name = fdRead)]
    fn fd_read(tid: u32, fd: i32, len: u32, nonblock: bool) -> String;
    #[wasm_bindgen(js_name = fdWrite)]
    fn fd_write(tid: u32, fd: i32, data: &str, nonblock: bool) -> String;
    #[wasm_bindgen(js_name = fdClose)]
    fn fd_close(tid: u32, fd: i32) -> String;
    #[wasm_bindgen(js_name = portCreate)]
    fn port_create(tid: u32) -> String;
    #[wasm_bindgen(js_name = portSend)]
    fn port_send(tid: u32, port: i32, events: i32, user: &str) -> String;
    #[wasm_bindgen(js_name = portSendn)]
    fn port_sendn(tid: u32, ports: &str, events: i32, user: &str) -> String;
    #[wasm_bindgen(js_name = portAlert)]
    fn port_alert(tid: u32, port: i32, flags: i32, events: i32, user: &str) -> String;
    #[wasm_bindgen(js_name = portAssociate)]
    fn port_associate(tid: u32, port: i32, source: u16, object: &str, events: u16, user: &str) -> String;
    #[wasm_bindgen(js_name = portDissociate)]
    fn port_dissociate(tid: u32, port: i32, source: u16, object: &str) -> String;
    #[wasm_bindgen(js_name = portGetn)]
    fn port_getn(tid: u32, port: i32, max: u32, nget: u32, timeout_ns: f64) -> String;
    #[wasm_bindgen(js_name = portGet)]
    fn port_get(tid: u32, port: i32, timeout_ns: f64) -> String;
    #[wasm_bindgen(js_name = takeResult)]
    fn take_result(tid: u32) -> String;
    fn interrupt(tid: u32) -> String;
    fn advance(ns: &str) -> String;
    fn state(window: &str) -> String;
    #[wasm_bindgen(js_name = stepBack)]
    fn step_back() -> String;
    #[wasm_bindgen(js_name = forgetHistory)]
    fn forget_history_js();
    #[wasm_bindgen(js_name = jump)]
    fn jump_js(step: u32) -> String;
    #[wasm_bindgen(js_name = switchBranch)]
    fn switch_branch_js() -> String;
    #[wasm_bindgen(js_name = discardBranch)]
    fn discard_branch_js() -> String;
    #[wasm_bindgen(js_name = copyLink)]
    fn copy_link_js() -> Promise;
    #[wasm_bindgen(js_name = exportSession)]
    fn export_session_js() -> String;
    #[wasm_bindgen(js_name = importSession)]
    fn import_session_js(input: &web_sys::HtmlInputElement) -> Promise;
    #[wasm_bindgen(js_name = saveState)]
    fn save_state_js() -> String;
    #[wasm_bindgen(js_name = newSession)]
    fn new_session_js();
    #[wasm_bindgen(js_name = revealStep)]
    fn reveal_step_js();
    #[wasm_bindgen(js_name = presetIndex)]
    fn preset_index_js() -> Promise;
    #[wasm_bindgen(js_name = loadPreset)]
    fn load_preset_js(name: &str) -> Promise;
    #[wasm_bindgen(js_name = currentPreset)]
    fn current_preset_js() -> Promise;
    #[wasm_bindgen(js_name = panelText)]
    fn panel_text_js(testid: &str) -> Option<String>;
    #[wasm_bindgen(js_name = focusTestid)]
    fn focus_testid_js(testid: &str);
}

/// One bridge answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Success and the value returned (JSON).
    Ok(Value),
    /// The call parked; the reason in words.
    Blocked(String),
    /// Failure: an errno name (`"eacces"`), or `"bridge"` with a message.
    Err { errno: String, message: Option<String> },
}

#[derive(Deserialize)]
struct Raw {
    ok: bool,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    blocked: Option<String>,
    #[serde(default)]
    errno: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn parse(json: &str) -> Answer {
    match serde_json::from_str::<Raw>(json) {
        Ok(Raw { ok: true, blocked: Some(reason), .. }) => Answer::Blocked(reason),
        Ok(Raw { ok: true, value, .. }) => Answer::Ok(value),
        Ok(Raw { errno, message, .. }) => Answer::Err { errno: errno.unwrap_or_else(|| "bridge".into()), message },
        Err(e) => Answer::Err { errno: "bridge".into(), message: Some(format!("unreadable answer: {e}: {json}")) },
    }
}

/// What the page opened with: a fresh kernel, or the session its URL
/// carries (or, without one, the session saved in the browser).
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// No session in the URL and none saved: a fresh kernel.
    Fresh,
    /// The URL's session replayed: the step shown, of how many, and what
    /// replayed differently from when the link was made.
    Session { step: u32, length: u32, differs: Vec<String> },
    /// The URL's session could not be replayed (why); a fresh kernel.
    Unreadable(String),
}

/// Where the session the page opened with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The URL's `#session=` (a shared link).
    Link,
    /// The session saved in the browser's localStorage (the last one on
    /// this page, kept across reloads).
    Saved,
}

/// Loads the component and creates the kernel, replaying the session in
/// the URL if there is one, else the saved one; `Err` says why not.
pub async fn init() -> Result<(Opened, Origin), String> {
    let answer = wasm_bindgen_futures::JsFuture::from(bridge_init()).await.map_err(|e| format!("{e:?}"))?;
    match parse(&answer.as_string().unwrap_or_default()) {
        Answer::Ok(v) => Ok(opened(&v)),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// What `bridgeInit` found: null, or `{from, step, length, differs}`, or `{from, error}`.
fn opened(v: &Value) -> (Opened, Origin) {
    let origin = if v.get("from").and_then(Value::as_str) == Some("saved") { Origin::Saved } else { Origin::Link };
    let opened = match v {
        Value::Null => Opened::Fresh,
        v => match v.get("error").and_then(Value::as_str) {
            Some(e) => Opened::Unreadable(e.to_string()),
            None => replayed(v),
        },
    };
    (opened, origin)
}

/// A replayed session's answer: {step, length, differs}.
fn replayed(v: &Value) -> Opened {
    let n = |f: &str| v.get(f).and_then(Value::as_u64).unwrap_or(0) as u32;
    let differs = v
        .get("differs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    Opened::Session { step: n("step"), length: n("length"), differs }
}

/// Replays the session file chosen in `input`: [`Opened::Session`], or
/// [`Opened::Unreadable`] with why (the session shown before is kept).
pub async fn import_session(input: &web_sys::HtmlInputElement) -> Opened {
    let answer = match wasm_bindgen_futures::JsFuture::from(import_session_js(input)).await {
        Ok(a) => a,
        Err(e) => return Opened::Unreadable(format!("{e:?}")),
    };
    match parse(&answer.as_string().unwrap_or_default()) {
        Answer::Ok(v) => replayed(&v),
        Answer::Err { errno, message } => Opened::Unreadable(message.unwrap_or(errno)),
        Answer::Blocked(b) => Opened::Unreadable(b),
    }
}

/// Awaits a bridge promise that resolves to an answer's JSON.
async fn answer_of(promise: Promise) -> Answer {
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(a) => parse(&a.as_string().unwrap_or_default()),
        Err(e) => Answer::Err { errno: "bridge".into(), message: Some(format!("{e:?}")) },
    }
}

/// An answer's value, or why there is none.
fn value_of(answer: Answer) -> Result<Value, String> {
    match answer {
        Answer::Ok(v) => Ok(v),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// The presets (`presets/index.json`), in teaching order.
pub async fn preset_index() -> Result<Vec<PresetEntry>, String> {
    let v = value_of(answer_of(preset_index_js()).await)?;
    serde_json::from_value(v).map_err(|e| format!("unreadable preset list: {e}"))
}

/// Loads the preset `name` (its log replayed; it becomes the session):
/// the replay's [`Opened::Session`] and the preset's words, or why not
/// (the session shown before is kept).
pub async fn load_preset(name: &str) -> Result<(Opened, Preset), String> {
    let v = value_of(answer_of(load_preset_js(name)).await)?;
    let preset = serde_json::from_value(v.get("preset").cloned().unwrap_or_default())
        .map_err(|e| format!("the preset {name} is not readable: {e}"))?;
    Ok((replayed(&v), preset))
}

/// The preset the session came from (after a reload, a link or a file), if any.
pub async fn current_preset() -> Result<Option<Preset>, String> {
    let v = value_of(answer_of(current_preset_js()).await)?;
    serde_json::from_value(v).map_err(|e| format!("the session's preset is not readable: {e}"))
}

/// The text the element `[data-testid=testid]` shows, if it is on the page.
pub fn panel_text(testid: &str) -> Option<String> {
    panel_text_js(testid)
}

/// Moves the keyboard focus to the element `[data-testid=testid]`, if it is on the page.
pub fn focus(testid: &str) {
    focus_testid_js(testid);
}

/// A call the playground can make.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Spawn {
        uid: u32,
        gid: u32,
        groups: String,
        privileged: bool,
    },
    Fork {
        pid: u32,
    },
    ThreadCreate {
        pid: u32,
    },
    Exit {
        pid: u32,
    },
    TakeResult {
        tid: u32,
    },
    Interrupt {
        tid: u32,
    },
    Msgget {
        tid: u32,
        key: i32,
        flags: i32,
    },
    Msgsnd {
        tid: u32,
        msqid: i32,
        mtype: i64,
        text: String,
        flags: i32,
        timeout_ns: Option<u64>,
    },
    Msgrcv {
        tid: u32,
        msqid: i32,
        msgsz: u64,
        msgtyp: i64,
        flags: i32,
        timeout_ns: Option<u64>,
    },
    Stat {
        tid: u32,
        msqid: i32,
    },
    Set {
        tid: u32,
        msqid: i32,
        uid: u32,
        gid: u32,
        mode: u32,
        qbytes: u64,
    },
    Rmid {
        tid: u32,
        msqid: i32,
    },
    Semget {
        tid: u32,
        key: i32,
        nsems: i32,
        flags: i32,
    },
    /// `sops` as (sem_num, sem_op, sem_flg).
    Semop {
        tid: u32,
        semid: i32,
        sops: Vec<(u16, i16, i16)>,
        timeout_ns: Option<u64>,
    },
    SemSetval {
        tid: u32,
        semid: i32,
        semnum: u32,
        val: i32,
    },
    SemGetall {
        tid: u32,
        semid: i32,
    },
    SemStat {
        tid: u32,
        semid: i32,
    },
    SemRmid {
        tid: u32,
        semid: i32,
    },
    /// POSIX `sem_open(name, oflag, mode, value)`.
    SemOpen {
        tid: u32,
        name: String,
        creat: bool,
        excl: bool,
        mode: u32,
        value: u32,
    },
    /// POSIX `sem_init(sem, pshared, value)`.
    SemInit {
        tid: u32,
        value: u32,
        pshared: bool,
    },
    SemClose {
        tid: u32,
        id: u32,
    },
    SemUnlink {
        tid: u32,
        name: String,
    },
    SemDestroy {
        tid: u32,
        id: u32,
    },
    SemPost {
        tid: u32,
        id: u32,
    },
    SemWait {
        tid: u32,
        id: u32,
    },
    SemTrywait {
        tid: u32,
        id: u32,
    },
    /// `abstime` as (sec, nsec) on the logical clock.
    SemTimedwait {
        tid: u32,
        id: u32,
        sec: i64,
        nsec: i64,
    },
    SemGetvalue {
        tid: u32,
        id: u32,
    },
    /// `shmget(key, size, shmflg)`.
    Shmget {
        tid: u32,
        key: i32,
        size: u64,
        flags: i32,
    },
    /// `shmat(shmid, shmaddr, shmflg)`; `addr` 0 lets the kernel choose.
    Shmat {
        tid: u32,
        shmid: i32,
        addr: u64,
        flags: i32,
    },
    Shmdt {
        tid: u32,
        addr: u64,
    },
    ShmStat {
        tid: u32,
        shmid: i32,
    },
    ShmSet {
        tid: u32,
        shmid: i32,
        uid: u32,
        gid: u32,
        mode: u32,
    },
    ShmRmid {
        tid: u32,
        shmid: i32,
    },
    /// SHM_LOCK (`lock`) or SHM_UNLOCK.
    ShmLock {
        tid: u32,
        shmid: i32,
        lock: bool,
    },
    /// A load of `len` bytes at `addr` of the caller's address space.
    ShmRead {
        tid: u32,
        addr: u64,
        len: u64,
    },
    /// A store of `text`'s UTF-8 bytes at `addr`.
    ShmWrite {
        tid: u32,
        addr: u64,
        text: String,
    },
    /// A shared-memory tunable (sysctl kern.ipc.*).
    ShmTunable {
        tid: u32,
        tunable: Tunable,
        value: u64,
    },
    /// `pipe()`: two fds, the read end first.
    Pipe {
        tid: u32,
    },
    /// `read(fd, len)`, with O_NONBLOCK or not.
    FdRead {
        tid: u32,
        fd: i32,
        len: u32,
        nonblock: bool,
    },
    /// `write(fd, text)` (its UTF-8 bytes), with O_NONBLOCK or not.
    FdWrite {
        tid: u32,
        fd: i32,
        text: String,
        nonblock: bool,
    },
    FdClose {
        tid: u32,
        fd: i32,
    },
    PortCreate {
        tid: u32,
    },
    /// `port_send(port, events, user)`: a PORT_SOURCE_USER event.
    PortSend {
        tid: u32,
        port: i32,
        events: i32,
        user: u64,
    },
    /// `port_sendn(ports, errors, nent, events, user)`.
    PortSendn {
        tid: u32,
        ports: Vec<i32>,
        events: i32,
        user: u64,
    },
    /// `port_alert(port, flags, events, user)`; events 0 clears alert mode.
    PortAlert {
        tid: u32,
        port: i32,
        flags: i32,
        events: i32,
        user: u64,
    },
    /// `port_associate(port, source, object, events, user)`.
    PortAssociate {
        tid: u32,
        port: i32,
        source: u16,
        object: u64,
        events: u16,
        user: u64,
    },
    PortDissociate {
        tid: u32,
        port: i32,
        source: u16,
        object: u64,
    },
    /// `port_getn(port, list, max, &nget, timeout)`; `timeout_ns` is
    /// relative, none waits forever, 0 polls.
    PortGetn {
        tid: u32,
        port: i32,
        max: u32,
        nget: u32,
        timeout_ns: Option<u64>,
    },
    /// `port_get(port, &pe, timeout)`.
    PortGet {
        tid: u32,
        port: i32,
        timeout_ns: Option<u64>,
    },
    Advance {
        ns: u64,
    },
}

/// The shared-memory tunables `set-tunable` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tunable {
    /// Largest segment, bytes.
    Shmmax,
    /// All segments' pages together (shmall).
    Shmmaxpgs,
    /// Most segments.
    Shmmni,
    /// Most attachments per process.
    Shmseg,
}

impl Tunable {
    pub const ALL: [Tunable; 4] = [Tunable::Shmmax, Tunable::Shmmaxpgs, Tunable::Shmmni, Tunable::Shmseg];

    /// The name the bridge and sysctl use.
    pub fn name(self) -> &'static str {
        match self {
            Tunable::Shmmax => "shmmax",
            Tunable::Shmmaxpgs => "shmmaxpgs",
            Tunable::Shmmni => "shmmni",
            Tunable::Shmseg => "shmseg",
        }
    }

    /// Whether the value is 32 bits wide (else 64).
    pub fn narrow(self) -> bool {
        matches!(self, Tunable::Shmmni | Tunable::Shmseg)
    }

    pub fn from_name(name: &str) -> Option<Tunable> {
        Tunable::ALL.into_iter().find(|t| t.name() == name)
    }
}

fn timeout(t: Option<u64>) -> f64 {
    t.map_or(-1.0, |t| t as f64)
}

/// A logged operation's arguments, as the bridge logged them (the
/// arguments `Call::run` passed: numbers, 64-bit values as decimal strings,
/// arrays as JSON text, -1 for no timeout).
struct LogArgs<'a>(&'a [Value]);

impl LogArgs<'_> {
    fn num(&self, i: usize) -> Option<f64> {
        match self.0.get(i)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
    fn u32(&self, i: usize) -> Option<u32> {
        self.num(i).filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n)).map(|n| n as u32)
    }
    fn i32(&self, i: usize) -> Option<i32> {
        self.num(i)
            .filter(|n| n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(n))
            .map(|n| n as i32)
    }
    /// A 64-bit value, logged as a decimal string (exact) or a number.
    fn u64(&self, i: usize) -> Option<u64> {
        match self.0.get(i)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    fn i64(&self, i: usize) -> Option<i64> {
        match self.0.get(i)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    fn str(&self, i: usize) -> Option<String> {
        self.0.get(i)?.as_str().map(str::to_string)
    }
    fn bool(&self, i: usize) -> Option<bool> {
        self.0.get(i)?.as_bool()
    }
    /// A relative timeout: negative is none.
    fn timeout(&self, i: usize) -> Option<Option<u64>> {
        let n = self.num(i)?;
        Some((n >= 0.0).then_some(n as u64))
    }
    /// JSON text of an array.
    fn json<T: serde::de::DeserializeOwned>(&self, i: usize) -> Option<T> {
        serde_json::from_str(self.0.get(i)?.as_str()?).ok()
    }
}

impl Call {
    /// The call an entry of the bridge's operation log made: its operation
    /// and arguments read back (the inverse of [`Call::run`]); `None` for
    /// an operation that is not a call (`restore`) or arguments it does
    /// not take.
    pub fn from_log(op: &str, args: &[Value]) -> Option<Call> {
        let a = LogArgs(args);
        let tid = || a.u32(0);
        Some(match op {
            "spawn" => Call::Spawn { uid: a.u32(0)?, gid: a.u32(1)?, groups: a.str(2)?, privileged: a.bool(3)? },
            "fork" => Call::Fork { pid: a.u32(0)? },
            "threadCreate" => Call::ThreadCreate { pid: a.u32(0)? },
            "exit" => Call::Exit { pid: a.u32(0)? },
            "takeResult" => Call::TakeResult { tid: tid()? },
            "interrupt" => Call::Interrupt { tid: tid()? },
            "advance" => Call::Advance { ns: a.u64(0)? },
            "msgget" => Call::Msgget { tid: tid()?, key: a.i32(1)?, flags: a.i32(2)? },
            "msgsnd" => Call::Msgsnd {
                tid: tid()?,
                msqid: a.i32(1)?,
                mtype: a.i64(2)?,
                text: a.str(3)?,
                flags: a.i32(4)?,
                timeout_ns: a.timeout(5)?,
            },
            "msgrcv" => Call::Msgrcv {
                tid: tid()?,
                msqid: a.i32(1)?,
                msgsz: a.u64(2)?,
                msgtyp: a.i64(3)?,
                flags: a.i32(4)?,
                timeout_ns: a.timeout(5)?,
            },
            "msgctlStat" => Call::Stat { tid: tid()?, msqid: a.i32(1)? },
            "msgctlSet" => Call::Set {
                tid: tid()?,
                msqid: a.i32(1)?,
                uid: a.u32(2)?,
                gid: a.u32(3)?,
                mode: a.u32(4)?,
                qbytes: a.u64(5)?,
            },
            "msgctlRmid" => Call::Rmid { tid: tid()?, msqid: a.i32(1)? },
            "semget" => Call::Semget { tid: tid()?, key: a.i32(1)?, nsems: a.i32(2)?, flags: a.i32(3)? },
            "semop" => {
                let sops: Vec<[i32; 3]> = a.json(2)?;
                let sops = sops
                    .into_iter()
                    .map(|[n, o, f]| Some((u16::try_from(n).ok()?, i16::try_from(o).ok()?, i16::try_from(f).ok()?)))
                    .collect::<Option<Vec<_>>>()?;
                Call::Semop { tid: tid()?, semid: a.i32(1)?, sops, timeout_ns: a.timeout(3)? }
            }
            "semctlSetval" => Call::SemSetval { tid: tid()?, semid: a.i32(1)?, semnum: a.u32(2)?, val: a.i32(3)? },
            "semctlGetall" => Call::SemGetall { tid: tid()?, semid: a.i32(1)? },
            "semctlStat" => Call::SemStat { tid: tid()?, semid: a.i32(1)? },
            "semctlRmid" => Call::SemRmid { tid: tid()?, semid: a.i32(1)? },
            "semOpen" => Call::SemOpen {
                tid: tid()?,
                name: a.str(1)?,
                creat: a.bool(2)?,
                excl: a.bool(3)?,
                mode: a.u32(4)?,
                value: a.u32(5)?,
            },
            "semInit" => Call::SemInit { tid: tid()?, value: a.u32(1)?, pshared: a.bool(2)? },
            "semClose" => Call::SemClose { tid: tid()?, id: a.u32(1)? },
            "semUnlink" => Call::SemUnlink { tid: tid()?, name: a.str(1)? },
            "semDestroy" => Call::SemDestroy { tid: tid()?, id: a.u32(1)? },
            "semPost" => Call::SemPost { tid: tid()?, id: a.u32(1)? },
            "semWait" => Call::SemWait { tid: tid()?, id: a.u32(1)? },
            "semTrywait" => Call::SemTrywait { tid: tid()?, id: a.u32(1)? },
            "semTimedwait" => Call::SemTimedwait { tid: tid()?, id: a.u32(1)?, sec: a.i64(2)?, nsec: a.i64(3)? },
            "semGetvalue" => Call::SemGetvalue { tid: tid()?, id: a.u32(1)? },
            "shmget" => Call::Shmget { tid: tid()?, key: a.i32(1)?, size: a.u64(2)?, flags: a.i32(3)? },
            "shmat" => Call::Shmat { tid: tid()?, shmid: a.i32(1)?, addr: a.u64(2)?, flags: a.i32(3)? },
            "shmdt" => Call::Shmdt { tid: tid()?, addr: a.u64(1)? },
            "shmctlStat" => Call::ShmStat { tid: tid()?, shmid: a.i32(1)? },
            "shmctlSet" => {
                Call::ShmSet { tid: tid()?, shmid: a.i32(1)?, uid: a.u32(2)?, gid: a.u32(3)?, mode: a.u32(4)? }
            }
            "shmctlRmid" => Call::ShmRmid { tid: tid()?, shmid: a.i32(1)? },
            "shmctlLock" => Call::ShmLock { tid: tid()?, shmid: a.i32(1)?, lock: a.bool(2)? },
            "shmRead" => Call::ShmRead { tid: tid()?, addr: a.u64(1)?, len: a.u64(2)? },
            "shmWrite" => Call::ShmWrite { tid: tid()?, addr: a.u64(1)?, text: a.str(2)? },
            "setTunable" => {
                Call::ShmTunable { tid: tid()?, tunable: Tunable::from_name(&a.str(1)?)?, value: a.u64(2)? }
            }
            "pipe" => Call::Pipe { tid: tid()? },
            "fdRead" => Call::FdRead { tid: tid()?, fd: a.i32(1)?, len: a.u32(2)?, nonblock: a.bool(3)? },
            "fdWrite" => Call::FdWrite { tid: tid()?, fd: a.i32(1)?, text: a.str(2)?, nonblock: a.bool(3)? },
            "fdClose" => Call::FdClose { tid: tid()?, fd: a.i32(1)? },
            "portCreate" => Call::PortCreate { tid: tid()? },
            "portSend" => Call::PortSend { tid: tid()?, port: a.i32(1)?, events: a.i32(2)?, user: a.u64(3)? },
            "portSendn" => Call::PortSendn { tid: tid()?, ports: a.json(1)?, events: a.i32(2)?, user: a.u64(3)? },
            "portAlert" => {
                Call::PortAlert { tid: tid()?, port: a.i32(1)?, flags: a.i32(2)?, events: a.i32(3)?, user: a.u64(4)? }
            }
            "portAssociate" => Call::PortAssociate {
                tid: tid()?,
                port: a.i32(1)?,
                source: u16::try_from(a.u32(2)?).ok()?,
                object: a.u64(3)?,
                events: u16::try_from(a.u32(4)?).ok()?,
                user: a.u64(5)?,
            },
            "portDissociate" => Call::PortDissociate {
                tid: tid()?,
                port: a.i32(1)?,
                source: u16::try_from(a.u32(2)?).ok()?,
                object: a.u64(3)?,
            },
            "portGetn" => Call::PortGetn {
                tid: tid()?,
                port: a.i32(1)?,
                max: a.u32(2)?,
                nget: a.u32(3)?,
                timeout_ns: a.timeout(4)?,
            },
            "portGet" => Call::PortGet { tid: tid()?, port: a.i32(1)?, timeout_ns: a.timeout(2)? },
            _ => return None,
        })
    }

    /// Makes the call through the bridge.
    pub fn run(&self) -> Answer {
        let json = match self {
            Call::Spawn { uid, gid, groups, privileged } => spawn(*uid, *gid, groups, *privileged),
            Call::Fork { pid } => fork(*pid),
            Call::ThreadCreate { pid } => thread_create(*pid),
            Call::Exit { pid } => exit(*pid),
            Call::TakeResult { tid } => take_result(*tid),
            Call::Interrupt { tid } => interrupt(*tid),
            Call::Msgget { tid, key, flags } => msgget(*tid, *key, *flags),
            Call::Msgsnd { tid, msqid, mtype, text, flags, timeout_ns } => {
                msgsnd(*tid, *msqid, &mtype.to_string(), text, *flags, timeout(*timeout_ns))
            }
            Call::Msgrcv { tid, msqid, msgsz, msgtyp, flags, timeout_ns } => {
                msgrcv(*tid, *msqid, &msgsz.to_string(), &msgtyp.to_string(), *flags, timeout(*timeout_ns))
            }
            Call::Stat { tid, msqid } => msgctl_stat(*tid, *msqid),
            Call::Set { tid, msqid, uid, gid, mode, qbytes } => {
                msgctl_set(*tid, *msqid, *uid, *gid, *mode, &qbytes.to_string())
            }
            Call::Rmid { tid, msqid } => msgctl_rmid(*tid, *msqid),
            Call::Semget { tid, key, nsems, flags } => semget(*tid, *key, *nsems, *flags),
            Call::Semop { tid, semid, sops, timeout_ns } => {
                let list: Vec<[i32; 3]> =
                    sops.iter().map(|&(n, o, f)| [i32::from(n), i32::from(o), i32::from(f)]).collect();
                let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
                semop(*tid, *semid, &json, timeout(*timeout_ns))
            }
            Call::SemSetval { tid, semid, semnum, val } => semctl_setval(*tid, *semid, *semnum, *val),
            Call::SemGetall { tid, semid } => semctl_getall(*tid, *semid),
            Call::SemStat { tid, semid } => semctl_stat(*tid, *semid),
            Call::SemRmid { tid, semid } => semctl_rmid(*tid, *semid),
            Call::SemOpen { tid, name, creat, excl, mode, value } => sem_open(*tid, name, *creat, *excl, *mode, *value),
            Call::SemInit { tid, value, pshared } => sem_init(*tid, *value, *pshared),
            Call::SemClose { tid, id } => sem_close(*tid, *id),
            Call::SemUnlink { tid, name } => sem_unlink(*tid, name),
            Call::SemDestroy { tid, id } => sem_destroy(*tid, *id),
            Call::SemPost { tid, id } => sem_post(*tid, *id),
            Call::SemWait { tid, id } => sem_wait(*tid, *id),
            Call::SemTrywait { tid, id } => sem_trywait(*tid, *id),
            Call::SemTimedwait { tid, id, sec, nsec } => sem_timedwait(*tid, *id, &sec.to_string(), &nsec.to_string()),
            Call::SemGetvalue { tid, id } => sem_getvalue(*tid, *id),
            Call::Shmget { tid, key, size, flags } => shmget(*tid, *key, &size.to_string(), *flags),
            Call::Shmat { tid, shmid, addr, flags } => shmat(*tid, *shmid, &addr.to_string(), *flags),
            Call::Shmdt { tid, addr } => shmdt(*tid, &addr.to_string()),
            Call::ShmStat { tid, shmid } => shmctl_stat(*tid, *shmid),
            Call::ShmSet { tid, shmid, uid, gid, mode } => shmctl_set(*tid, *shmid, *uid, *gid, *mode),
            Call::ShmRmid { tid, shmid } => shmctl_rmid(*tid, *shmid),
            Call::ShmLock { tid, shmid, lock } => shmctl_lock(*tid, *shmid, *lock),
            Call::ShmRead { tid, addr, len } => shm_read(*tid, &addr.to_string(), &len.to_string()),
            Call::ShmWrite { tid, addr, text } => shm_write(*tid, &addr.to_string(), text),
            Call::ShmTunable { tid, tunable, value } => set_tunable(*tid, tunable.name(), &value.to_string()),
            Call::Pipe { tid } => pipe(*tid),
            Call::FdRead { tid, fd, len, nonblock } => fd_read(*tid, *fd, *len, *nonblock),
            Call::FdWrite { tid, fd, text, nonblock } => fd_write(*tid, *fd, text, *nonblock),
            Call::FdClose { tid, fd } => fd_close(*tid, *fd),
            Call::PortCreate { tid } => port_create(*tid),
            Call::PortSend { tid, port, events, user } => port_send(*tid, *port, *events, &user.to_string()),
            Call::PortSendn { tid, ports, events, user } => {
                let json = serde_json::to_string(ports).unwrap_or_else(|_| "[]".into());
                port_sendn(*tid, &json, *events, &user.to_string())
            }
            Call::PortAlert { tid, port, flags, events, user } => {
                port_alert(*tid, *port, *flags, *events, &user.to_string())
            }
            Call::PortAssociate { tid, port, source, object, events, user } => {
                port_associate(*tid, *port, *source, &object.to_string(), *events, &user.to_string())
            }
            Call::PortDissociate { tid, port, source, object } => {
                port_dissociate(*tid, *port, *source, &object.to_string())
            }
            Call::PortGetn { tid, port, max, nget, timeout_ns } => {
                port_getn(*tid, *port, *max, *nget, timeout(*timeout_ns))
            }
            Call::PortGet { tid, port, timeout_ns } => port_get(*tid, *port, timeout(*timeout_ns)),
            Call::Advance { ns } => advance(&ns.to_string()),
        };
        parse(&json)
    }

    /// The thread making the call, if it is a system call.
    pub fn tid(&self) -> Option<u32> {
        match self {
            Call::Msgget { tid, .. }
            | Call::Msgsnd { tid, .. }
            | Call::Msgrcv { tid, .. }
            | Call::Stat { tid, .. }
            | Call::Set { tid, .. }
            | Call::Rmid { tid, .. }
            | Call::Semget { tid, .. }
            | Call::Semop { tid, .. }
            | Call::SemSetval { tid, .. }
            | Call::SemGetall { tid, .. }
            | Call::SemStat { tid, .. }
            | Call::SemRmid { tid, .. }
            | Call::SemOpen { tid, .. }
            | Call::SemInit { tid, .. }
            | Call::SemClose { tid, .. }
            | Call::SemUnlink { tid, .. }
            | Call::SemDestroy { tid, .. }
            | Call::SemPost { tid, .. }
            | Call::SemWait { tid, .. }
            | Call::SemTrywait { tid, .. }
            | Call::SemTimedwait { tid, .. }
            | Call::SemGetvalue { tid, .. }
            | Call::Shmget { tid, .. }
            | Call::Shmat { tid, .. }
            | Call::Shmdt { tid, .. }
            | Call::ShmStat { tid, .. }
            | Call::ShmSet { tid, .. }
            | Call::ShmRmid { tid, .. }
            | Call::ShmLock { tid, .. }
            | Call::ShmRead { tid, .. }
            | Call::ShmWrite { tid, .. }
            | Call::ShmTunable { tid, .. }
            | Call::Pipe { tid }
            | Call::FdRead { tid, .. }
            | Call::FdWrite { tid, .. }
            | Call::FdClose { tid, .. }
            | Call::PortCreate { tid }
            | Call::PortSend { tid, .. }
            | Call::PortSendn { tid, .. }
            | Call::PortAlert { tid, .. }
            | Call::PortAssociate { tid, .. }
            | Call::PortDissociate { tid, .. }
            | Call::PortGetn { tid, .. }
            | Call::PortGet { tid, .. }
            | Call::TakeResult { tid }
            | Call::Interrupt { tid } => Some(*tid),
            _ => None,
        }
    }
}

/// The kernel state the page draws, its long lists cut to `window`, or
/// why it could not be read.
pub fn read_state(window: &ipc_core::inspect::scene::Window) -> Result<KernelState, String> {
    let window = serde_json::to_string(window).map_err(|e| format!("unwritable window: {e}"))?;
    match parse(&state(&window)) {
        Answer::Ok(v) => serde_json::from_value(v).map_err(|e| format!("unreadable state: {e}")),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// Shows the step before the shown one; `Err` if the timeline starts there.
pub fn undo() -> Result<(), String> {
    match parse(&step_back()) {
        Answer::Ok(_) => Ok(()),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// Downloads the kernel's snapshot as `ipclab-snapshot.json`; its size.
pub fn save_state() -> Result<u64, String> {
    match parse(&save_state_js()) {
        Answer::Ok(v) => Ok(v.as_u64().unwrap_or(0)),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// Starts the timeline here (Step back cannot go before this point).
pub fn forget_history() {
    forget_history_js();
}

/// Discards the session (the saved one too) for a fresh kernel with an
/// empty log; the caller spawns the start-up processes.
pub fn new_session() {
    new_session_js();
}

/// Scrolls the timeline's markers so that the step shown is in view.
pub fn reveal_step() {
    reveal_step_js();
}

/// Shows the state after `step` operations (restored from the nearest
/// checkpoint and the log re-run from there).
pub fn jump(step: u32) -> Result<(), String> {
    done(&jump_js(step))
}

/// Brings back the steps a fork set aside (they become the timeline after
/// the branch's step; the steps they replace become the branch), showing
/// the last of them.
pub fn switch_branch() -> Result<(), String> {
    done(&switch_branch_js())
}

/// Forgets the steps a fork set aside.
pub fn discard_branch() -> Result<(), String> {
    done(&discard_branch_js())
}

/// An answer that only says whether it worked.
fn done(json: &str) -> Result<(), String> {
    match parse(json) {
        Answer::Ok(_) => Ok(()),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// Puts the session (operation log and step shown) in the page's URL and
/// copies the link if the browser lets it: the link, and whether it was copied.
pub async fn copy_link() -> Result<(String, bool), String> {
    let answer = wasm_bindgen_futures::JsFuture::from(copy_link_js()).await.map_err(|e| format!("{e:?}"))?;
    match parse(&answer.as_string().unwrap_or_default()) {
        Answer::Ok(v) => Ok((
            v.get("url").and_then(Value::as_str).unwrap_or_default().to_string(),
            v.get("copied").and_then(Value::as_bool) == Some(true),
        )),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// Downloads the session as `ipclab-session.json`: its size in bytes and
/// how many operations it holds.
pub fn export_session() -> Result<(u64, u64), String> {
    match parse(&export_session_js()) {
        Answer::Ok(v) => Ok((
            v.get("bytes").and_then(Value::as_u64).unwrap_or(0),
            v.get("steps").and_then(Value::as_u64).unwrap_or(0),
        )),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_logged_operation_reads_back_as_its_call() {
        let read = |op: &str, args: Value| Call::from_log(op, args.as_array().unwrap());
        assert_eq!(
            read("msgsnd", json!([1, 65536, "3", "hi", 2048, -1])),
            Some(Call::Msgsnd { tid: 1, msqid: 65536, mtype: 3, text: "hi".into(), flags: 2048, timeout_ns: None })
        );
        assert_eq!(
            read("msgrcv", json!([2, 7, "64", "-3", 0, 5000])),
            Some(Call::Msgrcv { tid: 2, msqid: 7, msgsz: 64, msgtyp: -3, flags: 0, timeout_ns: Some(5000) })
        );
        assert_eq!(
            read("semop", json!([3, 16777216, "[[0,-1,4096],[1,-2,0]]", -1])),
            Some(Call::Semop { tid: 3, semid: 16777216, sops: vec![(0, -1, 4096), (1, -2, 0)], timeout_ns: None })
        );
        assert_eq!(read("advance", json!(["6000000000"])), Some(Call::Advance { ns: 6_000_000_000 }));
        assert_eq!(
            read("setTunable", json!([1, "shmmni", "4"])),
            Some(Call::ShmTunable { tid: 1, tunable: Tunable::Shmmni, value: 4 })
        );
        // Not a call, or not its arguments.
        assert_eq!(read("restore", json!(["{}"])), None);
        assert_eq!(read("msgsnd", json!([1, "x"])), None);
        assert_eq!(read("semop", json!([1, 2, "[[70000,0,0]]", -1])), None, "sem_num beyond u16");
        assert_eq!(read("nosuchop", json!([])), None);
    }

    /// Every operation of every preset (the session format the page logs)
    /// reads back as a call, so the timeline can word each step.
    #[test]
    fn every_presets_operations_read_back() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/presets");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("www/presets") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "index.json") {
                continue;
            }
            let preset: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for step in preset["log"].as_array().expect("a log") {
                let (op, args) = (step[0].as_str().unwrap(), step[1].as_array().unwrap());
                if op != "restore" {
                    assert!(Call::from_log(op, args).is_some(), "{}: {op} {args:?}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "only {seen} operations in the presets");
    }

    #[test]
    fn what_the_page_opened_with_and_from_where() {
        assert_eq!(opened(&Value::Null), (Opened::Fresh, Origin::Link));
        let v = serde_json::json!({"from": "saved", "step": 5, "length": 9, "differs": []});
        assert_eq!(opened(&v), (Opened::Session { step: 5, length: 9, differs: vec![] }, Origin::Saved));
        let v = serde_json::json!({"from": "saved", "error": "session version 0; this build reads version 1"});
        assert_eq!(
            opened(&v),
            (Opened::Unreadable("session version 0; this build reads version 1".into()), Origin::Saved)
        );
        let v = serde_json::json!({"from": "link", "error": "bad"});
        assert_eq!(opened(&v), (Opened::Unreadable("bad".into()), Origin::Link));
    }
}
