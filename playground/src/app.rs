//! The application: loads the component through the bridge, keeps the
//! latest kernel state, runs the calls the panels emit, and reports each
//! call's result or errno in words; moves along the timeline (by hand, by
//! playing it, by keyboard shortcut) and shares the session (the bridge
//! keeps the operation log, and keeps it across reloads).

use crate::bridge::{self, Answer, Call, Opened, Origin};
use crate::errno;
use crate::explain::ExplainPanel;
use crate::model::{KernelState, facility_of, id_both, key_hex, ns};
use crate::panels::{CallsPanel, ProcessesPanel, flag_words};
use crate::ports::{PortFields, PortsPanel, alert_flag_words, event_words, got_words, poll_words, timeout_words};
use crate::predict::{Predict, PredictBox};
use crate::preset::{GoalResult, Preset, PresetEntry, PresetPicker, ScenarioBox, check_goal};
use crate::psem::{PsemPanel, oflag_words};
use crate::sem::{SemPanel, sembuf_words};
use crate::shm::{ShmFields, ShmPanel, addr_hex, bytes_text, hex_bytes, shmat_flag_words, shmget_flag_words};
use crate::timeline::{
    DEFAULT_SPEED, Focus, SPEEDS, Shortcut, TimelineBar, UNTIL, last_step, next_of_kind, shortcut, speed_words, step_ms,
};
use crate::views::{EVENTS_SHOWN, EventLog, IdList, KeyTree, List, OVERVIEW_LEVELS, PAGE, PageTo, Queues, SlotTable};
use ipc_core::inspect::log::OutcomeView;
use ipc_core::inspect::log::StepKind;
use ipc_core::inspect::scene::{Chosen, Page, Window};
use ipc_core::port::PortEvent;
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// How a call ended, for the result box.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    Blocked,
    Failed,
}

impl Verdict {
    /// Its CSS class, its symbol and its word: ("ok", "✔", "ok").
    fn marks(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Verdict::Ok => ("ok", "✔", "ok"),
            Verdict::Blocked => ("blocked", "‖", "parked"),
            Verdict::Failed => ("failed", "✖", "error"),
        }
    }
}

/// The result box: the call in words and what it returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub verdict: Verdict,
    pub text: String,
    /// More context (errno explanation, IPC_STAT fields).
    pub detail: Vec<String>,
}

pub enum Msg {
    /// The component loaded (with the session it replayed, and from where), or why not.
    Loaded(Result<(Opened, Origin), String>),
    /// A pager asked for another page of a long list.
    Page(PageTo),
    Do(Call),
    Actor(u32),
    Msqid(String),
    Semid(String),
    /// The POSIX semaphore id field.
    PsemId(String),
    /// The shared-memory panel's shmid and address fields.
    Shm(ShmFields),
    /// The event-port panel's port fd and pipe fd fields.
    Ports(PortFields),
    /// Which namespace the slot table, tree and id list draw.
    Namespace(&'static str),
    /// Save the kernel's state as a file (`ipclab ipcs FILE` prints it).
    SaveState,
    StepBack,
    /// Show the state after this many operations.
    Jump(u32),
    /// Bring back the steps a fork set aside.
    SwitchBranch,
    /// Forget them.
    DiscardBranch,
    /// Put the session in the URL and copy the link.
    CopyLink,
    /// The link made, and whether it reached the clipboard.
    Linked(Result<(String, bool), String>),
    /// Download the session as a file.
    ExportSession,
    /// A session file was chosen to import.
    Import(web_sys::HtmlInputElement),
    /// The imported file was replayed (or why not).
    Imported(Opened),
    /// A form could not be read.
    Invalid(String),
    /// Play or pause the timeline.
    Play,
    /// Time for the next step while playing (stale ticks, from before a
    /// pause or a speed change, carry an older number and are dropped).
    Tick(u32),
    /// Play at this speed (an index into [`SPEEDS`]).
    Speed(usize),
    /// Jump forward to the next step of this kind.
    Until(&'static str),
    /// Discard the session and start afresh.
    NewSession,
    /// A keyboard shortcut.
    Key(Shortcut),
    /// Show or hide the shortcut list.
    Help,
    /// The list of presets (or why it could not be read).
    PresetIndex(Result<Vec<PresetEntry>, String>),
    /// Load the preset of this name.
    LoadPreset(String),
    /// The preset was replayed (or why not: the session shown before is kept).
    PresetLoaded(String, Result<(Opened, Preset), String>),
    /// The preset the session came from (after a reload, a link or a file).
    PresetOfSession(Option<Preset>),
    /// The goal's verdict at the last step changed.
    GoalChecked(Option<GoalResult>),
    /// Put the scenario box away.
    CloseScenario,
    /// Turn predict-then-reveal on or off.
    PredictMode,
    /// The learner's prediction for the pending step (`ok`, `park` or an errno).
    Predict(String),
}

enum Status {
    Loading,
    Failed(String),
    Ready,
}

pub struct App {
    status: Status,
    /// The state shown, shared with every panel (a clone is a count).
    state: Rc<KernelState>,
    actor: Option<u32>,
    msqid: String,
    semid: String,
    /// The POSIX semaphore id the psem forms act on.
    psem_id: String,
    /// The shmid and addresses the shared-memory forms act on.
    shm: ShmFields,
    /// The port fd and pipe fds the event-port forms act on.
    ports: PortFields,
    /// "msg", "sem" or "shm": the namespace the namespace views draw.
    showing: &'static str,
    /// The pages the reader chose in the long lists: what the kernel's
    /// scene is cut to (`inspect.scene`).
    window: Window,
    report: Option<Report>,
    /// The link "Copy link" made, until the session moves on.
    link: Option<String>,
    /// Whether the timeline is playing, and at which of [`SPEEDS`].
    playing: bool,
    speed: usize,
    /// The number the pending tick carries; bumped at every pause and
    /// speed change so that a tick scheduled before is ignored.
    tick: u32,
    /// Whether the shortcut list is shown.
    help: bool,
    /// The step whose marker was last scrolled into view.
    revealed: Option<u32>,
    /// The control (its data-testid) that takes the keyboard focus after
    /// the next render: the button pressed went away (take result).
    focus_after: Option<String>,
    /// The document's keydown listener (removed when the app goes).
    keys: Option<Closure<dyn Fn(web_sys::KeyboardEvent)>>,
    /// The presets (presets/index.json), or why there are none.
    presets: Result<Vec<PresetEntry>, String>,
    /// The preset the session came from, shown in the scenario box.
    scenario: Option<Preset>,
    /// Its goal's verdict, while the last step is shown.
    goal: Option<GoalResult>,
    /// Predict-then-reveal: mode, pending question, score.
    predict: Predict,
}

/// The newest live id of a facility's list (its first row), for an id field.
fn newest_id(ids: &Page<i32>) -> Option<String> {
    ids.rows.first().map(i32::to_string)
}

/// Where a key event's target is: a form field, a button, or the page.
fn focus_of(target: Option<web_sys::EventTarget>) -> Focus {
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return Focus::Page;
    };
    let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
    match el.tag_name().to_ascii_lowercase().as_str() {
        // A checkbox or radio takes Space (and a radio ↑/↓) for itself; the
        // timeline's ←/→ and the other keys still step.
        "input" if kind == "checkbox" || kind == "radio" => Focus::Button,
        "input" | "select" | "textarea" => Focus::Field,
        "button" | "a" | "summary" => Focus::Button,
        _ if el.dyn_ref::<web_sys::HtmlElement>().is_some_and(|h| h.is_content_editable()) => Focus::Field,
        _ => Focus::Page,
    }
}

/// A call in words, as the caller would write it.
/// An operation of the bridge's log in words: the call it made, as the
/// result panel titles it; an operation that is not a call by its name.
fn op_words(op: &str, args: &[Value], state: &KernelState) -> String {
    match Call::from_log(op, args) {
        Some(call) => title(&call, state),
        None if op == "restore" => "restore(a kernel snapshot)".to_string(),
        None => format!("{op}(…)"),
    }
}

fn title(call: &Call, state: &KernelState) -> String {
    let by = |tid: u32| match state.process_of(tid) {
        Some(p) => format!(" by {} tid {tid} (uid {})", state.who(p.pid), p.euid),
        None => format!(" by tid {tid}"),
    };
    let timeout = |t: &Option<u64>| t.map(|t| format!(", timeout {}", ns(t as f64))).unwrap_or_default();
    match call {
        Call::Spawn { uid, gid, groups, privileged, .. } => {
            format!("spawn(uid {uid}, gid {gid}, groups [{groups}]{})", if *privileged { ", privileged" } else { "" })
        }
        Call::Fork { pid } => format!("fork() by pid {pid}"),
        Call::ThreadCreate { pid } => format!("thread-create() in pid {pid}"),
        Call::Exit { pid } => format!("exit() of pid {pid}"),
        Call::TakeResult { tid } => format!("take-result(){}", by(*tid)),
        Call::Interrupt { tid } => format!("interrupt(){}", by(*tid)),
        Call::Msgget { tid, key, flags } => {
            format!("msgget({}, {}){}", key_hex(*key), flag_words(*flags, true), by(*tid))
        }
        Call::Msgsnd { tid, msqid, mtype, data, flags, timeout_ns } => format!(
            "msgsnd({msqid}, type {mtype}, \"{}\" ({} bytes), {}{}){}",
            data.text(),
            data.0.len(),
            flag_words(*flags, false),
            timeout(timeout_ns),
            by(*tid)
        ),
        Call::Msgrcv { tid, msqid, msgsz, msgtyp, flags, timeout_ns } => format!(
            "msgrcv({msqid}, msgsz {msgsz}, msgtyp {msgtyp}, {}{}){}",
            flag_words(*flags, false),
            timeout(timeout_ns),
            by(*tid)
        ),
        Call::Stat { tid, msqid } => format!("msgctl({msqid}, IPC_STAT){}", by(*tid)),
        Call::Set { tid, msqid, uid, gid, mode, qbytes } => {
            format!("msgctl({msqid}, IPC_SET, uid {uid} gid {gid} mode {mode:04o} qbytes {qbytes}){}", by(*tid))
        }
        Call::Rmid { tid, msqid } => format!("msgctl({msqid}, IPC_RMID){}", by(*tid)),
        Call::Semget { tid, key, nsems, flags } => {
            format!("semget({}, nsems {nsems}, {}){}", key_hex(*key), flag_words(*flags, true), by(*tid))
        }
        Call::Semop { tid, semid, sops, timeout_ns } => {
            let ops = sops.iter().map(|&(n, o, f)| sembuf_words(n, o, f)).collect::<Vec<_>>().join(", ");
            let name = if timeout_ns.is_some() { "semtimedop" } else { "semop" };
            format!("{name}({semid}, [{ops}], {}{}){}", sops.len(), timeout(timeout_ns), by(*tid))
        }
        Call::SemSetval { tid, semid, semnum, val } => format!("semctl({semid}, {semnum}, SETVAL, {val}){}", by(*tid)),
        Call::SemGetall { tid, semid } => format!("semctl({semid}, 0, GETALL){}", by(*tid)),
        Call::SemStat { tid, semid } => format!("semctl({semid}, 0, IPC_STAT){}", by(*tid)),
        Call::SemRmid { tid, semid } => format!("semctl({semid}, 0, IPC_RMID){}", by(*tid)),
        Call::SemOpen { tid, name, creat, excl, mode, value } => {
            let flags = oflag_words(*creat, *excl);
            // mode and value are read only with O_CREAT.
            let more = if *creat { format!(", {mode:04o}, {value}") } else { String::new() };
            format!("sem_open({name:?}, {flags}{more}){}", by(*tid))
        }
        Call::SemInit { tid, value, pshared } => {
            format!("sem_init(&sem, pshared {}, {value}){}", u8::from(*pshared), by(*tid))
        }
        Call::SemClose { tid, id } => format!("sem_close({id}){}", by(*tid)),
        Call::SemUnlink { tid, name } => format!("sem_unlink({name:?}){}", by(*tid)),
        Call::SemDestroy { tid, id } => format!("sem_destroy({id}){}", by(*tid)),
        Call::SemPost { tid, id } => format!("sem_post({id}){}", by(*tid)),
        Call::SemWait { tid, id } => format!("sem_wait({id}){}", by(*tid)),
        Call::SemTrywait { tid, id } => format!("sem_trywait({id}){}", by(*tid)),
        Call::SemTimedwait { tid, id, sec, nsec } => {
            let at = (*sec as f64) * 1e9 + *nsec as f64;
            format!("sem_timedwait({id}, {{sec {sec}, nsec {nsec}}}: at {}){}", ns(at), by(*tid))
        }
        Call::SemGetvalue { tid, id } => format!("sem_getvalue({id}){}", by(*tid)),
        Call::Shmget { tid, key, size, flags } => {
            format!("shmget({}, size {size}, {}){}", key_hex(*key), shmget_flag_words(*flags), by(*tid))
        }
        Call::Shmat { tid, shmid, addr, flags } => {
            let at =
                if *addr == 0 { "addr 0 → kernel's choice".to_string() } else { format!("addr {}", addr_hex(*addr)) };
            format!("shmat({}, {at}, {}){}", id_both(*shmid), shmat_flag_words(*flags), by(*tid))
        }
        Call::Shmdt { tid, addr } => format!("shmdt({}){}", addr_hex(*addr), by(*tid)),
        Call::ShmStat { tid, shmid } => format!("shmctl({}, IPC_STAT){}", id_both(*shmid), by(*tid)),
        Call::ShmSet { tid, shmid, uid, gid, mode } => {
            format!("shmctl({}, IPC_SET, uid {uid} gid {gid} mode {mode:04o}){}", id_both(*shmid), by(*tid))
        }
        Call::ShmRmid { tid, shmid } => format!("shmctl({}, IPC_RMID){}", id_both(*shmid), by(*tid)),
        Call::ShmLock { tid, shmid, lock } => {
            let cmd = if *lock { "SHM_LOCK" } else { "SHM_UNLOCK" };
            format!("shmctl({}, {cmd}){}", id_both(*shmid), by(*tid))
        }
        Call::ShmRead { tid, addr, len } => format!("read {len} byte(s) at {}{}", addr_hex(*addr), by(*tid)),
        Call::ShmWrite { tid, addr, data } => {
            format!("write \"{}\" ({} bytes) at {}{}", data.text(), data.0.len(), addr_hex(*addr), by(*tid))
        }
        Call::ShmTunable { tid, tunable, value } => format!("sysctl kern.ipc.{} = {value}{}", tunable.name(), by(*tid)),
        Call::Pipe { tid } => format!("pipe(){}", by(*tid)),
        Call::FdRead { tid, fd, len, nonblock } => {
            format!("read(fd {fd}, {len}{}){}", if *nonblock { ", O_NONBLOCK" } else { "" }, by(*tid))
        }
        Call::FdWrite { tid, fd, data, nonblock } => format!(
            "write(fd {fd}, \"{}\" ({} bytes){}){}",
            data.text(),
            data.0.len(),
            if *nonblock { ", O_NONBLOCK" } else { "" },
            by(*tid)
        ),
        Call::FdClose { tid, fd } => format!("close(fd {fd}){}", by(*tid)),
        Call::PortCreate { tid } => format!("port_create(){}", by(*tid)),
        Call::PortSend { tid, port, events, user } => {
            format!("port_send(port fd {port}, events {:#x}, user {user:#x}){}", *events as u32, by(*tid))
        }
        Call::PortSendn { tid, ports, events, user } => {
            let list = ports.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
            format!(
                "port_sendn([{list}], errors, {}, events {:#x}, user {user:#x}){}",
                ports.len(),
                *events as u32,
                by(*tid)
            )
        }
        Call::PortAlert { tid, port, flags, events, user } => format!(
            "port_alert(port fd {port}, {}, events {:#x}, user {user:#x}){}",
            alert_flag_words(*flags),
            *events as u32,
            by(*tid)
        ),
        Call::PortAssociate { tid, port, source, object, events, user } => {
            let src = if *source == 4 { "PORT_SOURCE_FD".to_string() } else { format!("source {source}") };
            format!(
                "port_associate(port fd {port}, {src}, fd {object}, {}, user {user:#x}){}",
                poll_words(*events),
                by(*tid)
            )
        }
        Call::PortDissociate { tid, port, source, object } => {
            let src = if *source == 4 { "PORT_SOURCE_FD".to_string() } else { format!("source {source}") };
            format!("port_dissociate(port fd {port}, {src}, fd {object}){}", by(*tid))
        }
        Call::PortGetn { tid, port, max, nget, timeout_ns } => {
            format!("port_getn(port fd {port}, max {max}, nget {nget}, {}){}", timeout_words(*timeout_ns), by(*tid))
        }
        Call::PortGet { tid, port, timeout_ns } => {
            format!("port_get(port fd {port}, {}){}", timeout_words(*timeout_ns), by(*tid))
        }
        Call::Advance { ns: t } => format!("advance the clock by {}", ns(*t as f64)),
    }
}

/// The threads the newest event woke, in words: " — woke tid 5 (port_getn)".
fn woke_words(after: &KernelState) -> String {
    let woke = after.last_event().map(|e| e.woke.as_slice()).unwrap_or_default();
    if woke.is_empty() {
        return String::new();
    }
    let list = woke.iter().map(|w| format!("tid {} ({})", w.tid, w.call)).collect::<Vec<_>>().join(", ");
    format!(" — woke {list}")
}

/// Port events (`port-event` records) from a JSON array.
fn port_events(v: &Value) -> Vec<PortEvent> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let n = |f: &str| e.get(f).and_then(Value::as_f64).unwrap_or(0.0);
                    PortEvent {
                        source: n("source") as u16,
                        events: n("events") as i32,
                        object: n("object") as u64,
                        user: n("user") as u64,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A `port-got` record (`{events, etime}`) in words.
fn port_got_words(v: &Value) -> (String, Vec<String>) {
    let etime = v.get("etime").and_then(Value::as_bool) == Some(true);
    got_words(&port_events(v.get("events").unwrap_or(&Value::Null)), etime)
}

/// Bytes (a JSON array of numbers) in words: the text, or end of file.
fn pipe_bytes_words(v: &Value) -> String {
    let bytes: Vec<u8> =
        v.as_array().map(|a| a.iter().filter_map(Value::as_u64).map(|b| b as u8).collect()).unwrap_or_default();
    if bytes.is_empty() {
        "0 bytes: end of file (no writer is left)".into()
    } else {
        format!("read {} byte(s): \"{}\"", bytes.len(), bytes_text(&bytes))
    }
}

/// What the newest event's steps of these kinds say, without their
/// facility prefix ("psem: ", "shm: "): e.g. "semaphore 1 unlinked; it
/// lives on with 2 reference(s)".
fn steps_of(after: &KernelState, kinds: &[StepKind]) -> Vec<String> {
    after
        .last_steps()
        .iter()
        .filter(|s| kinds.contains(&s.kind))
        .map(|s| {
            let t = s.text.strip_prefix("psem: ").or_else(|| s.text.strip_prefix("shm: "));
            t.unwrap_or(&s.text).to_string()
        })
        .collect()
}

/// IPC_STAT of a segment in words.
fn shm_stat_lines(v: &Value) -> Vec<String> {
    let perm = v.get("perm").cloned().unwrap_or(Value::Null);
    let mode = perm.get("mode").and_then(Value::as_u64).unwrap_or(0);
    let flag = |f: &str| v.get(f).and_then(Value::as_bool) == Some(true);
    let mut flags = Vec::new();
    if flag("removed") {
        flags.push("removed (freed at the last detach)");
    }
    if flag("rmlinger") {
        flags.push("_SHM_RMLINGER");
    }
    if flag("locked") {
        flags.push("wired (SHM_LOCK)");
    }
    let time = |f: &str| ns(v.get(f).and_then(Value::as_f64).unwrap_or(0.0));
    vec![
        format!(
            "shm_perm: uid {} gid {} cuid {} cgid {} mode {:04o} key {}",
            num(&perm, "uid"),
            num(&perm, "gid"),
            num(&perm, "cuid"),
            num(&perm, "cgid"),
            mode & 0o777,
            key_hex(perm.get("key").and_then(Value::as_i64).unwrap_or(0) as i32)
        ),
        format!(
            "shm_segsz {} · shm_nattch {} · shm_cpid {} · shm_lpid {}",
            num(v, "segsz"),
            num(v, "nattch"),
            num(v, "cpid"),
            num(v, "lpid")
        ),
        format!(
            "shm_atime {} · shm_dtime {} · shm_ctime {}{}",
            time("atime"),
            time("dtime"),
            time("ctime"),
            if flags.is_empty() { String::new() } else { format!(" · {}", flags.join(", ")) }
        ),
    ]
}

/// The bytes a read returned, as text and hex.
fn read_words(v: &Value) -> (String, Vec<String>) {
    let bytes: Vec<u8> =
        v.as_array().map(|a| a.iter().filter_map(Value::as_u64).map(|b| b as u8).collect()).unwrap_or_default();
    const SHOWN: usize = 64;
    let more = if bytes.len() > SHOWN { "…" } else { "" };
    let head = &bytes[..bytes.len().min(SHOWN)];
    (
        format!("read {} byte(s): \"{}{more}\"", bytes.len(), bytes_text(head)),
        vec![format!("hex: {}{more}", hex_bytes(head))],
    )
}

fn num(v: &Value, field: &str) -> String {
    match v.get(field) {
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// A received message in words.
fn message_words(m: &Value) -> String {
    format!(
        "received type {}, {} bytes: \"{}\"",
        num(m, "mtype"),
        num(m, "size"),
        m.get("text").and_then(Value::as_str).unwrap_or_default()
    )
}

/// A reply variant (`{tag, val}`) in words.
fn reply_words(r: &Value) -> String {
    let val = r.get("val").cloned().unwrap_or(Value::Null);
    match r.get("tag").and_then(Value::as_str) {
        Some("none") | None => "done".into(),
        Some("id") => val.as_i64().map(|id| format!("id {}", id_both(id as i32))).unwrap_or_default(),
        Some("message") => message_words(&val),
        Some("msq-stat") => format!("IPC_STAT: {} messages, {} bytes", num(&val, "qnum"), num(&val, "cbytes")),
        Some("ids") => format!("ids {val}"),
        Some("bytes") => pipe_bytes_words(&val),
        Some("count") => format!("wrote {} byte(s)", num(r, "val")),
        Some("port-events") => {
            let (text, lines) = port_got_words(&val);
            if lines.is_empty() { text } else { format!("{text}: {}", lines.join("; ")) }
        }
        Some(other) => format!("{other} {val}"),
    }
}

fn stat_lines(v: &Value) -> Vec<String> {
    let perm = v.get("perm").cloned().unwrap_or(Value::Null);
    let mode = perm.get("mode").and_then(Value::as_u64).unwrap_or(0);
    vec![
        format!(
            "msg_perm: uid {} gid {} cuid {} cgid {} mode {:07o} key {}",
            num(&perm, "uid"),
            num(&perm, "gid"),
            num(&perm, "cuid"),
            num(&perm, "cgid"),
            mode,
            key_hex(perm.get("key").and_then(Value::as_i64).unwrap_or(0) as i32)
        ),
        format!(
            "msg_qnum {} · msg_cbytes {} · msg_qbytes {} · msg_qmax {}",
            num(v, "qnum"),
            num(v, "cbytes"),
            num(v, "qbytes"),
            num(v, "qmax")
        ),
        format!(
            "msg_lspid {} · msg_lrpid {} · msg_stime {} · msg_rtime {} · msg_ctime {}",
            num(v, "lspid"),
            num(v, "lrpid"),
            num(v, "stime"),
            num(v, "rtime"),
            num(v, "ctime")
        ),
    ]
}

/// The success value of `call` in words; `after` is the state it left.
fn value_words(call: &Call, v: &Value, after: &KernelState) -> (String, Vec<String>) {
    let psem_value = |id: u32| after.scene.psem.sems.iter().find(|s| s.id == id).map(|s| s.value);
    match call {
        Call::Spawn { .. } | Call::Fork { .. } | Call::ThreadCreate { .. } => {
            (format!("pid {} with thread tid {}", num(v, "pid"), num(v, "tid")), vec![])
        }
        Call::Msgget { .. } => (format!("msqid {}", id_both(v.as_i64().unwrap_or(0) as i32)), vec![]),
        Call::Msgsnd { .. } => ("sent".into(), vec![]),
        Call::Msgrcv { .. } => (message_words(v), vec![]),
        Call::Stat { .. } => ("IPC_STAT".into(), stat_lines(v)),
        Call::Set { .. } => ("IPC_SET done".into(), vec![]),
        Call::Rmid { .. } => ("queue removed".into(), vec![]),
        Call::Semget { .. } => (format!("semid {}", id_both(v.as_i64().unwrap_or(0) as i32)), vec![]),
        Call::Semop { .. } => ("the whole array was applied".into(), vec![]),
        Call::SemSetval { .. } => ("SETVAL done".into(), vec![]),
        Call::SemGetall { .. } => (format!("values {v}"), vec![]),
        Call::SemStat { .. } => {
            let perm = v.get("perm").cloned().unwrap_or(Value::Null);
            let line = format!(
                "sem_perm: uid {} gid {} mode {:04o} · sem_nsems {} · sem_otime {} · sem_ctime {}",
                num(&perm, "uid"),
                num(&perm, "gid"),
                perm.get("mode").and_then(Value::as_u64).unwrap_or(0) & 0o777,
                num(v, "nsems"),
                num(v, "otime"),
                num(v, "ctime")
            );
            ("IPC_STAT".into(), vec![line])
        }
        Call::SemRmid { .. } => ("set removed".into(), vec![]),
        Call::SemOpen { .. } | Call::SemInit { .. } => {
            let how = if steps_of(after, &[StepKind::PsemCreate]).is_empty() {
                "an existing semaphore: one more reference for this process"
            } else {
                "created; this process holds a reference"
            };
            (format!("sem {v} — {how}"), vec![])
        }
        Call::SemClose { .. } | Call::SemDestroy { .. } => {
            ("one reference dropped".into(), steps_of(after, &[StepKind::PsemFree]))
        }
        Call::SemUnlink { .. } => {
            ("the name is gone".into(), steps_of(after, &[StepKind::PsemUnlink, StepKind::PsemFree]))
        }
        Call::SemPost { id, .. } => {
            let took = after.last_event().and_then(|e| e.woke.first()).map(|w| {
                format!(
                    " and handed at once to the oldest waiter, tid {} (pid {}): its {} completes",
                    w.tid, w.pid, w.call
                )
            });
            match (took, psem_value(*id)) {
                (Some(took), _) => (format!("posted{took}"), vec![]),
                (None, Some(v)) => (format!("posted: the value is now {v}"), vec![]),
                (None, None) => ("posted".into(), vec![]),
            }
        }
        Call::SemWait { .. } | Call::SemTimedwait { .. } | Call::SemTrywait { .. } => {
            ("took one: the value was above 0".into(), vec![])
        }
        Call::SemGetvalue { .. } => (format!("value {v}"), vec![]),
        Call::Shmget { .. } => {
            let id = v.as_i64().unwrap_or(0) as i32;
            let how = match after.scene.shm_table.segment(id) {
                Some(s) if !steps_of(after, &[StepKind::ShmAlloc]).is_empty() => {
                    format!(" — a new segment of {} byte(s), {} page(s) committed, all zero", s.segsz, s.pages)
                }
                Some(s) => format!(" — the existing segment of key {} ({} bytes)", key_hex(s.perm.key), s.segsz),
                None => String::new(),
            };
            (format!("shmid {}{how}", id_both(id)), vec![])
        }
        Call::Shmat { addr, .. } => {
            let at = v.as_f64().unwrap_or(0.0) as u64;
            let chosen = if *addr == 0 { " (the kernel's choice)" } else { "" };
            (format!("attached at {}{chosen}", addr_hex(at)), steps_of(after, &[StepKind::ShmAttach]))
        }
        Call::Shmdt { .. } => {
            let freed = steps_of(after, &[StepKind::ShmFree]);
            let text = if freed.is_empty() {
                "detached".to_string()
            } else {
                "detached — that was the last attachment of a removed segment: it is freed".to_string()
            };
            (text, steps_of(after, &[StepKind::ShmDetach, StepKind::ShmFree]))
        }
        Call::ShmStat { .. } => ("IPC_STAT".into(), shm_stat_lines(v)),
        Call::ShmSet { .. } => ("IPC_SET done".into(), vec![]),
        Call::ShmRmid { .. } => {
            let deferred = steps_of(after, &[StepKind::ShmDeferred]);
            if deferred.is_empty() {
                ("removed and freed at once: nothing had it attached".into(), steps_of(after, &[StepKind::ShmFree]))
            } else {
                (
                    "removed: its key is now IPC_PRIVATE and no new shmat finds it; the memory stays while attached"
                        .into(),
                    deferred,
                )
            }
        }
        Call::ShmLock { lock, .. } => {
            let wired = steps_of(after, &[StepKind::ShmWire]);
            let cmd = if *lock { "SHM_LOCK" } else { "SHM_UNLOCK" };
            if wired.is_empty() {
                (
                    format!("{cmd} done — nothing changed: the caller does not have it attached, or it already was so"),
                    vec![],
                )
            } else {
                (format!("{cmd} done"), wired)
            }
        }
        Call::ShmRead { .. } => read_words(v),
        Call::ShmWrite { data, .. } => {
            (format!("stored {} byte(s)", data.0.len()), steps_of(after, &[StepKind::ShmStore]))
        }
        Call::ShmTunable { tunable, value, .. } => (format!("kern.ipc.{} is set to {value}", tunable.name()), vec![]),
        Call::Exit { .. } => ("exited".into(), vec![]),
        Call::Interrupt { .. } => {
            if v.as_bool() == Some(true) {
                ("interrupted: the parked call completes with EINTR".into(), vec![])
            } else {
                ("the thread was not parked".into(), vec![])
            }
        }
        Call::Advance { .. } => (format!("the clock is now {}", ns(v.as_f64().unwrap_or(0.0))), vec![]),
        Call::Pipe { .. } => {
            let (r, w) = (num(v, "read"), num(v, "write"));
            let which = r
                .parse::<i32>()
                .ok()
                .zip(after.process_of(call.tid().unwrap_or(0)).map(|p| p.pid))
                .and_then(|(fd, pid)| after.fd(pid, fd))
                .map(|f| format!(" of {}", crate::ports::kind_words(f.kind).replace(" read end", "")))
                .unwrap_or_default();
            (format!("fds [{r}, {w}]{which}: fd {r} is the read end, fd {w} the write end"), vec![])
        }
        Call::FdRead { .. } => (format!("{}{}", pipe_bytes_words(v), woke_words(after)), vec![]),
        Call::FdWrite { .. } => (
            format!("wrote {} byte(s){}", v.as_u64().unwrap_or(0), woke_words(after)),
            steps_of(after, &[StepKind::PortFired]),
        ),
        Call::FdClose { .. } => (
            format!("closed{}", woke_words(after)),
            steps_of(after, &[StepKind::FdClosed, StepKind::PortDestroyed, StepKind::PortDiscarded]),
        ),
        Call::PortCreate { .. } => {
            let fd = v.as_i64().unwrap_or(-1) as i32;
            let pid = call.tid().and_then(|t| after.process_of(t)).map(|p| p.pid);
            let port = after.scene.ports.iter().filter(|p| Some(p.owner) == pid && p.fd == fd).map(|p| p.id).max();
            let port = port.map(|p| format!(" — port {p}")).unwrap_or_default();
            (format!("port fd {fd}{port}"), vec![])
        }
        Call::PortSend { .. } => {
            let woke = woke_words(after);
            let text = if woke.is_empty() { "a USER event is queued".to_string() } else { format!("sent{woke}") };
            (text, vec![])
        }
        Call::PortSendn { .. } => {
            let sent = num(v, "sent");
            let errors = v.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
            let detail = errors
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.as_str().map(|e| format!("port #{}: {}", i + 1, e.to_ascii_uppercase())))
                .collect();
            (format!("{sent} port(s) got the event{}", woke_words(after)), detail)
        }
        Call::PortAlert { events, .. } => {
            if *events == 0 {
                ("alert mode is off: getters wait for queued events again".into(), vec![])
            } else {
                (
                    format!(
                        "alert mode is on: every getter gets the alert at once, nothing consumed{}",
                        woke_words(after)
                    ),
                    vec![],
                )
            }
        }
        Call::PortAssociate { .. } => {
            let fired = steps_of(after, &[StepKind::PortFired]);
            if fired.is_empty() {
                ("associated and armed: it fires once when the fd becomes ready".into(), vec![])
            } else {
                (format!("associated; the fd is ready already, so it fired at once{}", woke_words(after)), fired)
            }
        }
        Call::PortDissociate { .. } => ("dissociated: its slot is free".into(), vec![]),
        Call::PortGetn { port, .. } | Call::PortGet { port, .. } => {
            let val = v.get("val").cloned().unwrap_or(Value::Null);
            let alerted = call
                .tid()
                .and_then(|t| after.process_of(t))
                .and_then(|p| after.fd(p.pid, *port))
                .and_then(|f| match f.kind {
                    ipc_core::fd::FileKind::Port(id) => after.port(id),
                    _ => None,
                })
                .is_some_and(|p| p.alert.is_some());
            let mode = if alerted { " — the port is in alert mode: nothing was consumed" } else { "" };
            match v.get("tag").and_then(Value::as_str) {
                Some("got") => {
                    let (text, lines) = port_got_words(&val);
                    (format!("{text}{mode}"), lines)
                }
                Some("pending") => (format!("{} event(s) queued (max 0: nothing taken)", num(v, "val")), vec![]),
                Some("event") => (format!("{}{mode}", event_words(&port_events(&Value::Array(vec![val]))[0])), vec![]),
                Some("none") => ("no event: nothing is queued (timeout 0)".into(), vec![]),
                _ => (v.to_string(), vec![]),
            }
        }
        Call::TakeResult { .. } => {
            let call = v.get("call").and_then(Value::as_str).unwrap_or("call");
            if v.get("ok").and_then(Value::as_bool) == Some(false) {
                let e = v.get("errno").and_then(Value::as_str).unwrap_or("?");
                let (name, meaning) = errno::describe(e, call);
                (format!("{call} had failed: {name} — {meaning}"), vec![])
            } else {
                let reply = v.get("reply").cloned().unwrap_or(Value::Null);
                let detail = if reply.get("tag").and_then(Value::as_str) == Some("msq-stat") {
                    stat_lines(reply.get("val").unwrap_or(&Value::Null))
                } else {
                    vec![]
                };
                (format!("{call} completed: {}", reply_words(&reply)), detail)
            }
        }
    }
}

impl App {
    /// Whether a preset's last step is shown (and it has a step at all).
    fn at_end(&self) -> bool {
        let t = &self.state.timeline;
        let last = last_step(t);
        last > t.base && t.step == last
    }

    /// The form fields and the namespace shown back to how a fresh page has them.
    fn clear_fields(&mut self) {
        self.actor = None;
        self.msqid.clear();
        self.semid.clear();
        self.psem_id.clear();
        self.shm = ShmFields::default();
        self.ports = PortFields::default();
        self.showing = "msg";
    }

    /// Reads the list of presets.
    fn ask_presets(&self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            link.send_message(Msg::PresetIndex(bridge::preset_index().await));
        });
    }

    /// Finds the preset the session came from, if any (a reload, a link or
    /// a file of a preset's session keeps its scenario box).
    fn ask_session_preset(&self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            link.send_message(Msg::PresetOfSession(bridge::current_preset().await.ok().flatten()));
        });
    }

    /// What replaying a session (a link's or a file's) did, in words:
    /// `whose` names where it came from, `otherwise` what stands instead
    /// when it could not be replayed.
    fn session_report(&self, opened: Opened, title: &str, whose: &str, otherwise: &str) -> Option<Report> {
        match opened {
            Opened::Fresh => None,
            Opened::Session { step, length, differs } => {
                let base = self.state.timeline.base;
                Some(Report {
                    title: title.into(),
                    verdict: if differs.is_empty() { Verdict::Ok } else { Verdict::Failed },
                    text: format!(
                        "replayed {whose} {} step(s); showing step {} of {}",
                        length.saturating_sub(base),
                        step.saturating_sub(base),
                        length.saturating_sub(base)
                    ),
                    detail: differs.into_iter().map(|d| format!("this build replays it differently: {d}")).collect(),
                })
            }
            Opened::Unreadable(e) => Some(Report {
                title: title.into(),
                verdict: Verdict::Failed,
                text: format!("{} session could not be replayed: {e}", capitalized(whose)),
                detail: vec![otherwise.into()],
            }),
        }
    }

    /// What replaying the saved session did, in words (nothing when it had
    /// no step yet: a fresh page).
    fn restored_report(&self, opened: Opened) -> Option<Report> {
        let title = "restore your last session";
        match opened {
            Opened::Session { length, .. } if length <= self.state.timeline.base => None,
            Opened::Session { step, length, differs } => {
                let base = self.state.timeline.base;
                let total = length.saturating_sub(base);
                Some(Report {
                    title: title.into(),
                    verdict: if differs.is_empty() { Verdict::Ok } else { Verdict::Failed },
                    text: format!(
                        "restored your last session ({total} step(s)), showing step {} of {total}: this page keeps it \
                         across reloads; ✚ New session starts afresh",
                        step.saturating_sub(base)
                    ),
                    detail: differs.into_iter().map(|d| format!("this build replays it differently: {d}")).collect(),
                })
            }
            other => self.session_report(other, title, "your last", "a fresh session was started instead"),
        }
    }

    /// Shows the state after `step` operations and reports it under
    /// `title`, the text led by `lead`; false if the bridge refused.
    /// After the shown step moved: an id field naming an object that step
    /// has not made (or no longer has) follows it — the newest live id, if
    /// there is one.
    /// (An action keeps a stale id on purpose: using one is a lesson.)
    fn follow_ids(&mut self) {
        // Only a list the scene holds whole can say an id is gone.
        let live = |field: &str, ids: &Page<i32>| match field.trim().parse::<i32>() {
            Ok(id) if ids.rows.len() == ids.total as usize && !ids.rows.contains(&id) => {
                newest_id(ids).unwrap_or_else(|| field.to_string())
            }
            _ => field.to_string(),
        };
        self.msqid = live(&self.msqid, &self.state.scene.msg.ids);
        self.semid = live(&self.semid, &self.state.scene.sem.ids);
    }

    /// A fresh session's guided start: the first story, or three first
    /// calls that work with the defaults and one that is refused on purpose.
    fn first_steps(&self, ctx: &Context<Self>) -> Html {
        let first = self.presets.as_ref().ok().and_then(|p| p.first()).cloned();
        let start = first.as_ref().map(|p| {
            let name = p.name.clone();
            let onclick = ctx.link().callback(move |_| Msg::LoadPreset(name.clone()));
            html! {
                <button type="button" data-testid="first-story" {onclick}>{ format!("▶ Start with “{}”", p.title) }</button>
            }
        });
        html! {
            <section class="first-steps" data-testid="first-steps" aria-labelledby="first-steps-h">
                <h2 id="first-steps-h">{ "New here? Start with a story, or make these calls yourself" }</h2>
                { for start }
                <ol>
                    <li>{ "Pick tid 1 (pid 1, uid 100) and press " }<strong>{ "msgget" }</strong>{ " with IPC_CREAT: a queue with mode 0600 — only its owner may use it." }</li>
                    <li>{ "Still as tid 1, " }<strong>{ "msgsnd" }</strong>{ " a message, then " }<strong>{ "msgrcv" }</strong>{ " it: watch the queue, and read “What happened”." }</li>
                    <li>{ "Now pick tid 2 (uid 200) and msgrcv: it is refused with EACCES — the kernel path shows which check said no. Set the mode to 0666 with IPC_SET (as tid 1) and try again." }</li>
                </ol>
            </section>
        }
    }

    /// Holds step `step` back until the learner predicts what it will do.
    fn ask(&mut self, step: u32) {
        let t = &self.state.timeline;
        let label = step.checked_sub(1).map(|i| t.label(i as usize).to_string()).unwrap_or_default();
        self.predict.pending = Some((step, step.saturating_sub(t.base), label));
        self.predict.verdict = None;
    }

    fn show(&mut self, step: u32, title: &str, lead: &str) -> bool {
        self.link = None;
        match bridge::jump(step) {
            Ok(()) => {
                self.refresh();
                self.follow_ids();
                let t = &self.state.timeline;
                let (shown, total) = (t.step.saturating_sub(t.base), t.length.saturating_sub(t.base));
                let what = match t.step.checked_sub(1).map(|i| t.label(i as usize)) {
                    Some(label) if shown > 0 => format!(": after {label}"),
                    _ => ": the start".into(),
                };
                // The verdict is the shown step's outcome, not the move's:
                // a parked or refused step says so (the event says how).
                let (verdict, outcome) = match (shown > 0, self.state.last_event().map(|e| &e.outcome)) {
                    (true, Some(OutcomeView::Blocked(why))) => (Verdict::Blocked, format!(" — it parked: {why}")),
                    (true, Some(OutcomeView::Failed(e))) => {
                        (Verdict::Failed, format!(" — it was refused: {}", e.name()))
                    }
                    _ => (Verdict::Ok, String::new()),
                };
                self.report = Some(Report {
                    title: title.into(),
                    verdict,
                    text: format!("{lead}showing step {shown} of {total}{what}{outcome}"),
                    detail: vec![],
                });
                true
            }
            Err(e) => {
                self.report = Some(Report { title: title.into(), verdict: Verdict::Failed, text: e, detail: vec![] });
                false
            }
        }
    }

    /// Starts playing: from the step shown, or from the first step when
    /// the last one is shown.
    fn play(&mut self, ctx: &Context<Self>) {
        let t = &self.state.timeline;
        let (base, last) = (t.base, last_step(t));
        if last <= base {
            self.report = Some(Report {
                title: "play".into(),
                verdict: Verdict::Ok,
                text: "nothing to play yet: the timeline has no step (make a call first)".into(),
                detail: vec![],
            });
            return;
        }
        if t.step >= last && !self.show(base, "play", "") {
            return;
        }
        self.playing = true;
        self.tick = self.tick.wrapping_add(1);
        let t = &self.state.timeline;
        self.report = Some(Report {
            title: "play".into(),
            verdict: Verdict::Ok,
            text: format!(
                "playing from step {} to step {} at {}",
                t.step.saturating_sub(base),
                last - base,
                speed_words(self.speed)
            ),
            detail: vec![],
        });
        self.schedule(ctx);
    }

    /// Stops playing (a tick already scheduled is then ignored).
    fn pause(&mut self) {
        if self.playing {
            self.playing = false;
            self.tick = self.tick.wrapping_add(1);
        }
    }

    /// The next step of the playing timeline, after one step's time.
    fn schedule(&self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        let n = self.tick;
        let tick = Closure::once_into_js(move || link.send_message(Msg::Tick(n)));
        let scheduled = web_sys::window().map(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(tick.unchecked_ref(), step_ms(self.speed))
        });
        if !matches!(scheduled, Some(Ok(_))) {
            ctx.link().send_message(Msg::Play);
        }
    }

    /// Re-reads the kernel state; keeps the actor on a live thread.
    fn refresh(&mut self) {
        self.window.page_size = PAGE as u32;
        self.window.tree_levels = OVERVIEW_LEVELS;
        self.window.events = EVENTS_SHOWN;
        self.window.facility = facility_of(self.showing);
        match bridge::read_state(&self.window) {
            Ok(state) => {
                let threads = state.threads();
                if !self.actor.is_some_and(|a| threads.iter().any(|&(_, t)| t == a)) {
                    self.actor = threads.first().map(|&(_, t)| t);
                }
                let mut state = state;
                let labels = state.timeline.ops.iter().map(|(op, args)| op_words(op, args, &state)).collect();
                state.timeline.labels = labels;
                // An empty id field takes the newest live id (after a preset,
                // a link or a step back): the forms start from an object
                // that exists.  A field the learner typed is left alone.
                let fill = |field: &mut String, ids: &Page<i32>| {
                    if field.trim().is_empty()
                        && let Some(id) = newest_id(ids)
                    {
                        *field = id;
                    }
                };
                fill(&mut self.msqid, &state.scene.msg.ids);
                fill(&mut self.semid, &state.scene.sem.ids);
                self.state = Rc::new(state);
            }
            Err(e) => self.status = Status::Failed(e),
        }
    }

    /// "timeline forked at step N" when the last action was taken in the past.
    fn forked(&self) -> Option<String> {
        let t = &self.state.timeline;
        t.forked_at
            .map(|at| {
                format!(
                    "timeline forked at step {}: the steps after it are kept as a branch (switch to it or discard it under the timeline)",
                    at.saturating_sub(t.base)
                )
            })
    }

    fn run(&mut self, call: Call) {
        if let Call::TakeResult { tid } = call {
            // The take-result button goes with the result: focus moves to
            // the thread's own control, not to the page's body.
            self.focus_after = Some(format!("actor-{tid}"));
        }
        let before = self.state.clone();
        let title = title(&call, &before);
        let answer = bridge::run(&call);
        self.refresh();
        let report = match answer {
            Answer::Ok(v) => {
                if let (Call::Msgget { .. }, Some(id)) = (&call, v.as_i64()) {
                    self.msqid = id.to_string();
                    self.showing = "msg";
                }
                if let (Call::Semget { .. }, Some(id)) = (&call, v.as_i64()) {
                    self.semid = id.to_string();
                    self.showing = "sem";
                }
                if let (Call::Spawn { .. } | Call::Fork { .. }, Some(tid)) =
                    (&call, v.get("tid").and_then(Value::as_u64))
                {
                    // A new process does not take over; keep the current actor unless there was none.
                    if self.actor.is_none() {
                        self.actor = Some(tid as u32);
                    }
                }
                if let (Call::SemOpen { .. } | Call::SemInit { .. }, Some(id)) = (&call, v.as_u64()) {
                    self.psem_id = id.to_string();
                }
                if let (Call::Shmget { .. }, Some(id)) = (&call, v.as_i64()) {
                    self.shm.shmid = id.to_string();
                    self.showing = "shm";
                }
                if let (Call::Shmat { .. }, Some(addr)) = (&call, v.as_u64()) {
                    self.shm = self.shm.at(addr);
                }
                if let (Call::Pipe { .. }, Some(r), Some(w)) =
                    (&call, v.get("read").and_then(Value::as_i64), v.get("write").and_then(Value::as_i64))
                {
                    self.ports = PortFields {
                        read_fd: r.to_string(),
                        write_fd: w.to_string(),
                        object: r.to_string(),
                        ..self.ports.clone()
                    };
                }
                if let (Call::PortCreate { .. }, Some(fd)) = (&call, v.as_i64()) {
                    self.ports.port = fd.to_string();
                }
                let (text, mut detail) = value_words(&call, &v, &self.state);
                detail.extend(self.forked());
                // A parked call that completed with an errno is a failure, even
                // though taking its result succeeded.
                let failed =
                    matches!(call, Call::TakeResult { .. }) && v.get("ok").and_then(Value::as_bool) == Some(false);
                Report { title, verdict: if failed { Verdict::Failed } else { Verdict::Ok }, text, detail }
            }
            Answer::Blocked(reason) => Report {
                title,
                verdict: Verdict::Blocked,
                text: format!("{reason} — the thread waits until a later call completes it"),
                detail: self.forked().into_iter().collect(),
            },
            Answer::Err { errno: e, message } => {
                // The failed call's own event is the newest: its name picks the facility's words.
                let failed = self.state.last_event().map_or("", |ev| ev.call.as_str());
                let (name, meaning) = errno::describe(&e, failed);
                let mut detail = vec![];
                let reason = errno::reason(&self.state);
                if !reason.is_empty() {
                    detail.push(reason);
                }
                if let Some(m) = message {
                    detail.push(m);
                }
                detail.extend(self.forked());
                Report { title, verdict: Verdict::Failed, text: format!("{name} — {meaning}"), detail }
            }
        };
        self.report = Some(report);
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            link.send_message(Msg::Loaded(bridge::init().await));
        });
        // The keyboard shortcuts, on the whole document; inert in form fields.
        let link = ctx.link().clone();
        let keys = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            let modified = e.ctrl_key() || e.alt_key() || e.meta_key();
            if e.default_prevented() {
                return;
            }
            if let Some(key) = shortcut(&e.key(), focus_of(e.target()), modified) {
                e.prevent_default();
                link.send_message(Msg::Key(key));
            }
        });
        let document = web_sys::window().and_then(|w| w.document());
        let listening = document
            .is_some_and(|d| d.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref()).is_ok());
        App {
            status: Status::Loading,
            state: Rc::default(),
            actor: None,
            msqid: String::new(),
            semid: String::new(),
            psem_id: String::new(),
            shm: ShmFields::default(),
            ports: PortFields::default(),
            showing: "msg",
            window: Window::default(),
            report: None,
            link: None,
            playing: false,
            speed: DEFAULT_SPEED,
            tick: 0,
            help: false,
            revealed: None,
            focus_after: None,
            keys: listening.then_some(keys),
            presets: Ok(vec![]),
            scenario: None,
            goal: None,
            // `?predict` in the address opens the page in predict mode (a
            // teacher's link for an exercise).
            predict: Predict { on: predict_link(), ..Predict::default() },
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        if let Some(testid) = self.focus_after.take() {
            bridge::focus(&testid);
        }
        // Keep the step shown in view in the strip of markers (while playing too).
        let step = self.state.timeline.step;
        if matches!(self.status, Status::Ready) && self.revealed != Some(step) {
            self.revealed = Some(step);
            bridge::reveal_step();
        }
        // A preset's goal is checked on what the page shows at the last step.
        let goal = self.scenario.as_ref().filter(|_| self.at_end()).map(|p| {
            let t = &self.state.timeline;
            let last_kind = t.kind(last_step(t) as usize - 1);
            check_goal(&p.goal, bridge::panel_text, last_kind)
        });
        if goal != self.goal {
            ctx.link().send_message(Msg::GoalChecked(goal));
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        if let (Some(keys), Some(document)) = (self.keys.take(), web_sys::window().and_then(|w| w.document())) {
            let _ = document.remove_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Loaded(Err(e)) => self.status = Status::Failed(e),
            Msg::Loaded(Ok((opened, origin))) => {
                self.status = Status::Ready;
                if !matches!(opened, Opened::Session { .. }) {
                    start_processes();
                }
                self.refresh();
                self.ask_presets(ctx);
                self.ask_session_preset(ctx);
                self.report = match origin {
                    Origin::Link => self.session_report(
                        opened,
                        "open a shared session",
                        "the link's",
                        "a fresh session was started instead",
                    ),
                    Origin::Saved => self.restored_report(opened),
                };
            }
            Msg::Import(input) => {
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    link.send_message(Msg::Imported(bridge::import_session(&input).await));
                });
                return false;
            }
            Msg::Imported(opened) => {
                self.link = None;
                self.pause();
                self.predict.new_session();
                self.refresh();
                self.scenario = None;
                self.ask_session_preset(ctx);
                self.report =
                    self.session_report(opened, "import session", "the file's", "the session shown before is kept");
            }
            Msg::Do(call) => {
                self.link = None;
                self.predict.pending = None;
                self.pause();
                self.run(call)
            }
            Msg::Jump(step) => {
                self.pause();
                if self.predict.on && step == self.state.timeline.step + 1 {
                    self.ask(step);
                } else {
                    self.predict.pending = None;
                    self.show(step, "timeline", "");
                }
            }
            Msg::SwitchBranch => {
                self.pause();
                self.predict.pending = None;
                let report =
                    |verdict, text| Report { title: "switch to the branch".into(), verdict, text, detail: vec![] };
                match bridge::switch_branch() {
                    Ok(()) => {
                        self.refresh();
                        self.follow_ids();
                        let t = &self.state.timeline;
                        let words = match t.branch {
                            Some(b) => format!("; the {} step(s) it replaced are the branch now", b.length),
                            None => String::new(),
                        };
                        self.report = Some(report(
                            Verdict::Ok,
                            format!(
                                "the steps set aside are back: showing step {} of {}{words}",
                                t.step.saturating_sub(t.base),
                                t.length.saturating_sub(t.base)
                            ),
                        ));
                    }
                    Err(e) => self.report = Some(report(Verdict::Failed, e)),
                }
            }
            Msg::DiscardBranch => {
                let report =
                    |verdict, text| Report { title: "discard the branch".into(), verdict, text, detail: vec![] };
                self.report = Some(match bridge::discard_branch() {
                    Ok(()) => {
                        self.refresh();
                        report(Verdict::Ok, "the steps set aside are forgotten".into())
                    }
                    Err(e) => report(Verdict::Failed, e),
                });
            }
            Msg::PredictMode => {
                self.predict.on = !self.predict.on;
                self.predict.pending = None;
            }
            Msg::Predict(said) => {
                if let Some((step, _, _)) = self.predict.pending.take()
                    && self.show(step, "predict, then reveal", "")
                    && let Some(e) = self.state.last_event()
                {
                    let was = e.outcome.clone();
                    self.predict.answer(&said, &was);
                }
            }
            Msg::Play => {
                if self.playing {
                    self.pause();
                    let t = &self.state.timeline;
                    self.report = Some(Report {
                        title: "pause".into(),
                        verdict: Verdict::Ok,
                        text: format!(
                            "paused at step {} of {}",
                            t.step.saturating_sub(t.base),
                            last_step(t).saturating_sub(t.base)
                        ),
                        detail: vec![],
                    });
                } else {
                    self.play(ctx);
                }
            }
            Msg::Tick(n) => {
                if !self.playing || n != self.tick {
                    return false;
                }
                let t = &self.state.timeline;
                let (next, last) = (t.step + 1, last_step(t));
                if next <= last && self.predict.on {
                    // Playing stops at each step to ask first.
                    self.pause();
                    self.ask(next);
                    return true;
                }
                if next > last || !self.show(next, "play", "") {
                    self.pause();
                    return true;
                }
                if self.state.timeline.step >= last {
                    self.pause();
                    if let Some(r) = &mut self.report {
                        r.text = format!("played to the last step — {}", r.text);
                        r.detail = vec!["▶ Play starts again from the first step".into()];
                    }
                } else {
                    self.schedule(ctx);
                }
            }
            Msg::Speed(i) => {
                self.speed = i.min(SPEEDS.len() - 1);
                if self.playing {
                    // The new speed applies from now.
                    self.tick = self.tick.wrapping_add(1);
                    self.schedule(ctx);
                }
                self.report = Some(Report {
                    title: "speed".into(),
                    verdict: Verdict::Ok,
                    text: format!("Play steps at {}", speed_words(self.speed)),
                    detail: vec![],
                });
            }
            Msg::Until(kind) => {
                self.pause();
                let words = UNTIL.iter().find(|(k, _)| *k == kind).map_or(kind, |(_, w)| w);
                let title = format!("until the next {words}");
                let t = &self.state.timeline;
                match next_of_kind(t, kind) {
                    Some(n) => {
                        self.show(n, &title, &format!("the next {words}: "));
                    }
                    None => {
                        self.report = Some(Report {
                            title,
                            verdict: Verdict::Ok,
                            text: format!(
                                "there is no {words} after step {} (the timeline has {} step(s)): the step shown stays",
                                t.step.saturating_sub(t.base),
                                last_step(t).saturating_sub(t.base)
                            ),
                            detail: vec![],
                        });
                    }
                }
            }
            Msg::NewSession => {
                self.pause();
                self.link = None;
                bridge::new_session();
                start_processes();
                self.predict.new_session();
                self.clear_fields();
                self.scenario = None;
                self.goal = None;
                self.refresh();
                self.report = Some(Report {
                    title: "new session".into(),
                    verdict: Verdict::Ok,
                    text: "a fresh kernel with the two processes every lesson starts with (uid 100 and uid 200); \
                           the last session is discarded"
                        .into(),
                    detail: vec![],
                });
            }
            Msg::Help => self.help = !self.help,
            Msg::PresetIndex(list) => self.presets = list,
            Msg::LoadPreset(name) => {
                self.pause();
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let loaded = bridge::load_preset(&name).await;
                    link.send_message(Msg::PresetLoaded(name, loaded));
                });
                return false;
            }
            Msg::PresetLoaded(_, Ok((opened, preset))) => {
                self.link = None;
                self.pause();
                self.predict.new_session();
                self.clear_fields();
                if let Some(ns) =
                    preset.show.as_deref().and_then(|f| ["msg", "sem", "shm"].into_iter().find(|n| *n == f))
                {
                    self.showing = ns;
                }
                self.refresh();
                let title = format!("start the preset “{}”", preset.title);
                self.report = self.session_report(opened, &title, "the preset's", "").map(|mut r| {
                    r.text =
                        format!("{} — step through with → or ▶ Play; the explanation shows at the last step", r.text);
                    r
                });
                self.scenario = Some(preset);
                self.goal = None;
            }
            Msg::PresetLoaded(name, Err(e)) => {
                self.refresh();
                self.report = Some(Report {
                    title: format!("start the preset {name}"),
                    verdict: Verdict::Failed,
                    text: format!("The preset could not be loaded: {e}"),
                    detail: vec!["the session shown before is kept".into()],
                });
            }
            Msg::PresetOfSession(preset) => {
                if let Some(ns) = preset
                    .as_ref()
                    .and_then(|p| p.show.as_deref())
                    .and_then(|f| ["msg", "sem", "shm"].into_iter().find(|n| *n == f))
                {
                    self.showing = ns;
                }
                self.scenario = preset;
                self.goal = None;
            }
            Msg::GoalChecked(goal) => self.goal = goal,
            Msg::CloseScenario => {
                self.scenario = None;
                self.goal = None;
            }
            Msg::Key(key) => {
                if !matches!(self.status, Status::Ready) {
                    return false;
                }
                let t = &self.state.timeline;
                let (step, base, last) = (t.step, t.base, last_step(t));
                match key {
                    Shortcut::PlayPause if last > base => ctx.link().send_message(Msg::Play),
                    Shortcut::Back if step > base => ctx.link().send_message(Msg::Jump(step - 1)),
                    Shortcut::Forward if step < last => ctx.link().send_message(Msg::Jump(step + 1)),
                    Shortcut::First if step != base => ctx.link().send_message(Msg::Jump(base)),
                    Shortcut::Last if step != last => ctx.link().send_message(Msg::Jump(last)),
                    Shortcut::Slower if self.speed > 0 => ctx.link().send_message(Msg::Speed(self.speed - 1)),
                    Shortcut::Faster if self.speed + 1 < SPEEDS.len() => {
                        ctx.link().send_message(Msg::Speed(self.speed + 1))
                    }
                    Shortcut::Help => self.help = !self.help,
                    Shortcut::Close if self.help => self.help = false,
                    _ => return false,
                }
            }
            Msg::CopyLink => {
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    link.send_message(Msg::Linked(bridge::copy_link().await));
                });
                return false;
            }
            Msg::Linked(answer) => {
                self.report = Some(match answer {
                    Ok((url, copied)) => {
                        let how = if copied { "copied to the clipboard" } else { "in the address bar and below" };
                        self.link = Some(url);
                        let t = &self.state.timeline;
                        Report {
                            title: "copy link".into(),
                            verdict: Verdict::Ok,
                            text: format!(
                                "the link to this session ({} step(s), showing step {}) is {how}: opening it replays \
                                 the session",
                                t.length.saturating_sub(t.base),
                                t.step.saturating_sub(t.base)
                            ),
                            detail: vec![],
                        }
                    }
                    Err(e) => Report { title: "copy link".into(), verdict: Verdict::Failed, text: e, detail: vec![] },
                });
            }
            Msg::ExportSession => {
                self.report = Some(match bridge::export_session() {
                    Ok((bytes, steps)) => Report {
                        title: "export session".into(),
                        verdict: Verdict::Ok,
                        text: format!(
                            "saved the session as ipclab-session.json ({steps} operation(s), {bytes} bytes): the \
                             same format the link carries"
                        ),
                        detail: vec![],
                    },
                    Err(e) => {
                        Report { title: "export session".into(), verdict: Verdict::Failed, text: e, detail: vec![] }
                    }
                });
            }
            Msg::Actor(tid) => self.actor = Some(tid),
            Msg::Msqid(s) => self.msqid = s,
            Msg::Semid(s) => self.semid = s,
            Msg::PsemId(s) => self.psem_id = s,
            Msg::Shm(f) => self.shm = f,
            Msg::Ports(f) => self.ports = f,
            Msg::Namespace(f) => {
                self.showing = f;
                // Pages chosen were the other namespace's: ask again without
                // them (every namespace's pages that follow the step are in
                // the scene already).
                if self.window.slots.is_some() || self.window.ids.is_some() {
                    (self.window.slots, self.window.ids) = (None, None);
                    self.refresh();
                }
            }
            Msg::Page(to) => {
                let chosen = Some(Chosen { page: to.page, focus: to.focus });
                match to.list {
                    List::Slots => self.window.slots = chosen,
                    List::Ids => self.window.ids = chosen,
                    List::Queues => self.window.queues = chosen,
                }
                self.refresh();
            }
            Msg::SaveState => {
                self.report = Some(match bridge::save_state() {
                    Ok(bytes) => Report {
                        title: "save state".into(),
                        verdict: Verdict::Ok,
                        text: format!(
                            "saved the kernel's whole state as ipclab-snapshot.json ({bytes} bytes): \
                             `ipclab ipcs ipclab-snapshot.json` prints it as ipcs -a would"
                        ),
                        detail: vec![],
                    },
                    Err(e) => Report { title: "save state".into(), verdict: Verdict::Failed, text: e, detail: vec![] },
                });
            }
            Msg::StepBack => {
                self.link = None;
                self.pause();
                let before = self.state.clone();
                match bridge::undo() {
                    Ok(()) => {
                        self.refresh();
                        self.follow_ids();
                        let undone =
                            before.last_event().map(|e| format!(" (undid event #{})", e.seq)).unwrap_or_default();
                        self.report = Some(Report {
                            title: "step back".into(),
                            verdict: Verdict::Ok,
                            text: format!(
                                "restored the state from before step {}{undone}",
                                before.timeline.step.saturating_sub(before.timeline.base)
                            ),
                            detail: vec![],
                        });
                    }
                    Err(e) => {
                        self.report = Some(Report {
                            title: "step back".into(),
                            verdict: Verdict::Failed,
                            text: e,
                            detail: vec![],
                        })
                    }
                }
            }
            Msg::Invalid(e) => {
                self.report =
                    Some(Report { title: "not sent".into(), verdict: Verdict::Failed, text: e, detail: vec![] })
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let body = match &self.status {
            Status::Loading => {
                html! { <p class="loading" data-testid="loading">{ "Loading the kernel component…" }</p> }
            }
            Status::Failed(e) => html! {
                <div class="fatal" role="alert" data-testid="fatal">
                    <h2>{ "The kernel component could not be loaded" }</h2>
                    <pre>{ e }</pre>
                    <p>{ "Build it with " }<code>{ "cargo xtask build-web" }</code>{ " and reload." }</p>
                </div>
            },
            Status::Ready => self.ready_view(ctx),
        };
        let ready = matches!(self.status, Status::Ready);
        let history = self.state.history;
        html! {
            <main data-testid="app" data-ready={ready.to_string()}>
                // Skip links: the first tab stops, shown when focused, past the
                // header's controls to the timeline or the panels.
                <nav class="skip-links" aria-label="skip links">
                    <a class="skip-link" href="#timeline" data-testid="skip-timeline">{ "Skip to the timeline" }</a>
                    <a class="skip-link" href="#panels" data-testid="skip-panels">{ "Skip to the panels" }</a>
                </nav>
                <header class="top">
                    <h1>{ "ipclab · System V message queues, semaphores and shared memory · POSIX semaphores · event ports" }</h1>
                    <button type="button" data-testid="step-back" disabled={!ready || history == 0}
                        onclick={link.callback(|_| Msg::StepBack)}
                        title="Show the state from before the step shown (back one step on the timeline)">
                        { format!("⟲ Step back ({history})") }
                    </button>
                    <button type="button" data-testid="save-state" disabled={!ready}
                        onclick={link.callback(|_| Msg::SaveState)}
                        title="Download the kernel's state; `ipclab ipcs FILE` prints it from the command line">
                        { "⤓ Save state" }
                    </button>
                    <details class="explainer" data-testid="explainer">
                        <summary>{ "What am I looking at?" }</summary>
                        <p>{ "A Unix kernel's System V IPC, running in this page as a WebAssembly component. \
                              Processes make system calls through a thread you pick. msgget finds a key in the AVL tree \
                              of keys or creates a queue: it takes a free slot in the slot table, and the queue's id is \
                              the slot's sequence number shifted left, or-ed with the slot index. Removing the queue frees \
                              the slot and bumps its sequence number, so the old id becomes stale (EINVAL)." }</p>
                        <p>{ "Semaphore arrays live in their own namespace beside the queues. semop applies an array of \
                              operations atomically: all or nothing. A thread whose array cannot proceed parks, counted \
                              on the semaphore where its array stopped; SEM_UNDO records what to give back when the \
                              process exits." }</p>
                        <p>{ "Shared memory segments are the third System V namespace. shmget makes a segment of \
                              whole pages; shmat maps it into the calling process's own address space (at an address \
                              the kernel chooses, or one you give) and the process then reads and writes bytes there \
                              directly: whatever one process writes, every process attached sees. IPC_RMID on a \
                              segment still attached only takes its key away (it becomes IPC_PRIVATE); the memory \
                              lives until the last process detaches it or exits." }</p>
                        <p>{ "POSIX semaphores (sem_open, sem_post, sem_wait, …) share nothing with System V: they are \
                              found by a name such as /items, their ids come from a counter, and a process may use only \
                              the ids in its own reference list — sem_open and sem_init add to it, fork copies it, exit \
                              drops it. sem_unlink takes the name away at once; the semaphore itself lives on, unlinked, \
                              until its last reference goes." }</p>
                        <p>{ "Event ports (illumos) gather events from several sources into one queue a thread waits \
                              on: user events (port_send), file descriptors that become readable or writable (port_associate \
                              on a pipe: one-shot, re-associate after each event) and an alert that answers every waiter at \
                              once. pipe(), read, write and close work on each process's own fd table." }</p>
                        <p>{ "A call that must wait (msgrcv on an empty queue, msgsnd on a full one) parks its thread: \
                              the process list shows it ‖ blocked with the reason, and the queue lists it. A later call \
                              that makes progress possible wakes it; the event log says who was woken, and the thread \
                              then holds a result to take. Every view is redrawn from the kernel after each call; \
                              Step back restores the state from before the last action." }</p>
                    </details>
                </header>
                if ready {
                    <TimelineBar timeline={self.state.timeline.clone()} link={self.link.clone().map(AttrValue::from)}
                        hide_ahead={self.predict.on}
                        on_jump={link.callback(Msg::Jump)} on_copy={link.callback(|()| Msg::CopyLink)}
                        on_export={link.callback(|()| Msg::ExportSession)} on_import={link.callback(Msg::Import)}
                        playing={self.playing} speed={self.speed} on_play={link.callback(|()| Msg::Play)}
                        on_speed={link.callback(Msg::Speed)} on_until={link.callback(Msg::Until)}
                        on_new={link.callback(|()| Msg::NewSession)} help={self.help}
                        on_help={link.callback(|()| Msg::Help)}
                        on_switch_branch={link.callback(|()| Msg::SwitchBranch)}
                        on_discard_branch={link.callback(|()| Msg::DiscardBranch)} />
                    if self.state.timeline.length <= self.state.timeline.base && self.scenario.is_none() {
                        { self.first_steps(ctx) }
                    }
                    <PredictBox predict={self.predict.clone()} on_toggle={link.callback(|()| Msg::PredictMode)}
                        on_choose={link.callback(Msg::Predict)} />
                    <PresetPicker presets={self.presets.clone().unwrap_or_default()}
                        error={self.presets.as_ref().err().map(|e| AttrValue::from(e.clone()))}
                        current={self.scenario.as_ref().map(|p| AttrValue::from(p.name.clone()))}
                        on_load={link.callback(Msg::LoadPreset)} />
                    if let Some(preset) = &self.scenario {
                        <ScenarioBox preset={preset.clone()} at_end={self.at_end()} result={self.goal.clone()}
                            on_close={link.callback(|()| Msg::CloseScenario)} />
                    }
                }
                { body }
            </main>
        }
    }
}

impl App {
    fn ready_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_call = link.callback(Msg::Do);
        let on_error = link.callback(Msg::Invalid);
        let result = match &self.report {
            None => html! { <p class="muted">{ "Make a call: its result or errno shows here." }</p> },
            Some(r) => {
                let (class, symbol, word) = r.verdict.marks();
                html! {
                    <div class={classes!("report", class)}>
                        <div class="call mono" data-testid="result-call">{ &r.title }</div>
                        <div class="verdict" data-testid="result-text"><strong>{ format!("{symbol} {word}:") }</strong>{ " " }{ &r.text }</div>
                        { for r.detail.iter().map(|d| html! { <div class="detail">{ d }</div> }) }
                    </div>
                }
            }
        };
        // On a narrow screen the result panel is far below the forms: a bar
        // pinned to the bottom of the window repeats the verdict, with Step
        // back at hand (hidden, to people and screen readers alike, on wider
        // screens, where the panel is beside the forms).
        let bar = self.report.as_ref().map(|r| {
            let (class, symbol, _) = r.verdict.marks();
            let history = self.state.history;
            let t = &self.state.timeline;
            let (step, last) = (t.step, t.length);
            html! {
                <aside class={classes!("result-bar", class)} data-testid="result-bar" aria-label="latest result">
                    <span class="verdict"><strong>{ symbol }</strong>{ " " }{ &r.text }</span>
                    <button type="button" data-testid="result-bar-back" disabled={history == 0}
                        onclick={link.callback(|_| Msg::StepBack)}>{ "⟲ Step back" }</button>
                    <button type="button" data-testid="result-bar-forward" disabled={step >= last}
                        onclick={link.callback(move |_| Msg::Jump(step + 1))}>{ "Forward ▶" }</button>
                </aside>
            }
        });
        html! {
            <>
            { for bar }
            <div class="grid" id="panels" tabindex="-1">
                <div class="col col-a">
                    <ProcessesPanel state={self.state.clone()} actor={self.actor}
                        on_actor={link.callback(Msg::Actor)} on_call={on_call.clone()} on_error={on_error.clone()} />
                    <CallsPanel state={self.state.clone()} actor={self.actor} msqid={AttrValue::from(self.msqid.clone())}
                        on_msqid={link.callback(Msg::Msqid)} on_call={on_call.clone()} on_error={on_error.clone()} />
                </div>
                <div class="col col-b">
                    <section class="panel result" data-testid="result" aria-labelledby="result-h">
                        <h2 id="result-h">{ "Result" }</h2>
                        { result }
                    </section>
                    <ExplainPanel explanation={self.state.explanation.clone()}
                        step={self.state.timeline.step.saturating_sub(self.state.timeline.base)} />
                    <div class="ns-pick" role="group" aria-label="namespace shown" data-testid="ns-pick">
                        <span class="muted">{ "Namespace shown: " }</span>
                        { for ["msg", "sem", "shm"].into_iter().map(|f| html! {
                            <button type="button" data-testid={format!("ns-{f}")} aria-pressed={(self.showing == f).to_string()}
                                class={classes!((self.showing == f).then_some("on"))}
                                onclick={link.callback(move |_| Msg::Namespace(f))}>
                                { match f { "msg" => "message queues", "sem" => "semaphore sets", _ => "shared memory" } }
                            </button>
                        }) }
                    </div>
                    <SlotTable state={self.state.clone()} shown={self.showing} on_page={link.callback(Msg::Page)} />
                    <KeyTree state={self.state.clone()} shown={self.showing} />
                    <IdList state={self.state.clone()} shown={self.showing} on_page={link.callback(Msg::Page)} />
                </div>
                <div class="col col-c">
                    <SemPanel state={self.state.clone()} actor={self.actor} semid={AttrValue::from(self.semid.clone())}
                        on_semid={link.callback(Msg::Semid)} on_call={on_call.clone()} on_error={on_error.clone()} />
                    <ShmPanel state={self.state.clone()} actor={self.actor} fields={self.shm.clone()}
                        on_fields={link.callback(Msg::Shm)} on_call={on_call.clone()} on_error={on_error.clone()} />
                    <PsemPanel state={self.state.clone()} actor={self.actor} id={AttrValue::from(self.psem_id.clone())}
                        on_id={link.callback(Msg::PsemId)} on_call={on_call.clone()} on_error={on_error.clone()} />
                    <PortsPanel state={self.state.clone()} actor={self.actor} fields={self.ports.clone()}
                        on_fields={link.callback(Msg::Ports)} {on_call} {on_error} />
                    <Queues state={self.state.clone()} on_page={link.callback(Msg::Page)} />
                    <EventLog state={self.state.clone()} />
                </div>
            </div>
            </>
        }
    }
}

/// The two processes every lesson starts with (uid 100 and uid 200); the
/// timeline starts after them.
fn start_processes() {
    for (uid, gid) in [(100, 10), (200, 20)] {
        bridge::run(&Call::Spawn { uid, gid, groups: String::new(), privileged: false, zone: 0, project: 1 });
    }
    bridge::forget_history();
}

/// `text` with its first letter in capitals.
fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Whether the page's address asks for predict mode (`?predict`).
fn predict_link() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "predict" || p.starts_with("predict=")))
}
