//! The event-port panel: forms for the fd layer (pipe, read, write, close)
//! and for illumos event ports (port_create, port_send, port_sendn,
//! port_alert, port_associate with PORT_SOURCE_FD, port_dissociate,
//! port_getn, port_get); then every port — its event queue in order, its
//! slots, its alert mode and who set it, its getter queue head first with
//! each getter's nget/max and reason, and its fd associations drawn as
//! arrows from the fd to the port, armed or fired — every pipe with its
//! buffer and the threads parked on it, and every process's fd table with
//! the poll events each fd would report now.  Everything drawn comes from
//! `inspect.ports`, `inspect.pipes` and `inspect.fd-tables`.

use crate::bridge::Call;
use crate::form::{Builder, Check, Field, fit, parse_int, parse_timeout, setter, submitter, toggler};
use crate::model::{KernelState, ns};
use crate::shm::bytes_text;
use ipc_core::fd::FileKind as FdKind;
use ipc_core::port::view::{GetterView, PipeView, PortView};
use ipc_core::port::{Assoc as AssocView, PortEvent};
use std::rc::Rc;
use yew::prelude::*;

/// Event sources (`<sys/port.h>`).
pub const PORT_SOURCE_FD: u16 = 4;
/// `port_alert` flags.
pub const PORT_ALERT_SET: i32 = 0x01;
pub const PORT_ALERT_UPDATE: i32 = 0x02;
/// `poll` event bits.
pub const POLLIN: u16 = 0x0001;
pub const POLLOUT: u16 = 0x0004;

/// The fields the app fills: the port fd (by port_create) and the pipe's
/// fds (by pipe(): the read end for read and port_associate, the write end
/// for write).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortFields {
    pub port: String,
    pub read_fd: String,
    pub write_fd: String,
    /// The fd port_associate and port_dissociate name.
    pub object: String,
}

/// A source's name: `USER`, `FD`, `ALERT`, …
pub fn source_name(source: u16) -> String {
    match source {
        1 => "AIO".into(),
        2 => "TIMER".into(),
        3 => "USER".into(),
        4 => "FD".into(),
        5 => "ALERT".into(),
        6 => "MQ".into(),
        7 => "FILE".into(),
        n => format!("source {n}"),
    }
}

/// Poll event bits in words: `POLLIN|POLLRDNORM`, or `0`.
pub fn poll_words(events: u16) -> String {
    const BITS: [(u16, &str); 9] = [
        (0x1, "POLLIN"),
        (0x2, "POLLPRI"),
        (0x4, "POLLOUT"),
        (0x8, "POLLERR"),
        (0x10, "POLLHUP"),
        (0x20, "POLLNVAL"),
        (0x40, "POLLRDNORM"),
        (0x80, "POLLRDBAND"),
        (0x100, "POLLWRBAND"),
    ];
    let mut words: Vec<String> = BITS.iter().filter(|(b, _)| events & b != 0).map(|(_, n)| n.to_string()).collect();
    let rest = events & !BITS.iter().fold(0, |a, (b, _)| a | b);
    if rest != 0 {
        words.push(format!("{rest:#x}"));
    }
    if words.is_empty() { "0".into() } else { words.join("|") }
}

/// A 64-bit value (a user value, an object) in hex.
pub fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// A port event's events in hex, with poll words for an FD event.
pub fn events_words(source: u16, events: i32) -> String {
    if source == PORT_SOURCE_FD {
        format!("{:#x} ({})", events as u32, poll_words(events as u16))
    } else {
        format!("{:#x}", events as u32)
    }
}

/// One event in words: `FD · events 0x1 (POLLIN) · object fd 1 · user 0x7`.
pub fn event_words(e: &PortEvent) -> String {
    let object = if e.source == PORT_SOURCE_FD { format!("fd {}", e.object) } else { format!("{}", e.object) };
    format!(
        "{} · events {} · object {object} · user {}",
        source_name(e.source),
        events_words(e.source, e.events),
        hex(e.user)
    )
}

/// What a port_getn (or a parked getter) got: the headline — `1 event(s):
/// …` inline for one event, `ETIME with N event(s)` when the timeout passed
/// first — and one line per event when there are several.
pub fn got_words(events: &[PortEvent], etime: bool) -> (String, Vec<String>) {
    let n = events.len();
    let count = if etime { format!("ETIME with {n} event(s)") } else { format!("{n} event(s)") };
    let count = if etime { format!("{count} — the timeout passed first") } else { count };
    match events {
        [one] => (format!("{count}: {}", event_words(one)), vec![]),
        _ => (count, events.iter().enumerate().map(|(i, e)| format!("{}. {}", i + 1, event_words(e))).collect()),
    }
}

/// port_alert's flags in words.
pub fn alert_flag_words(flags: i32) -> String {
    let words: Vec<&str> = [(PORT_ALERT_SET, "PORT_ALERT_SET"), (PORT_ALERT_UPDATE, "PORT_ALERT_UPDATE")]
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if words.is_empty() { "0".into() } else { words.join("|") }
}

/// A port timeout in words: none waits forever, 0 polls.
pub fn timeout_words(t: Option<u64>) -> String {
    match t {
        None => "no timeout: waits".into(),
        Some(0) => "timeout 0: poll".into(),
        Some(t) => format!("timeout {}", ns(t as f64)),
    }
}

/// What an fd refers to, in words.
pub fn kind_words(kind: FdKind) -> String {
    match kind {
        FdKind::PipeRead(p) => format!("pipe {p} read end"),
        FdKind::PipeWrite(p) => format!("pipe {p} write end"),
        FdKind::Port(p) => format!("port {p}"),
    }
}

/// An events field: decimal or 0x hex; values up to 0xffffffff wrap to
/// the negative `int` they are.
pub fn parse_events(what: &str, s: &str) -> Result<i32, String> {
    let v = parse_int(what, s)?;
    i32::try_from(v).or_else(|_| u32::try_from(v).map(|u| u as i32)).map_err(|_| format!("{what}: {v} is out of range"))
}

/// A fd field that must not be empty.
fn fd_of(what: &str, s: &str, source: &str) -> Result<i32, String> {
    if s.trim().is_empty() {
        return Err(format!("{what}: empty; {source} gives one"));
    }
    fit(what, parse_int(what, s)?)
}

fn assoc_line(port: &PortView, a: &AssocView, state: &KernelState) -> Html {
    let what = state.fd(a.owner, a.fd).map(|f| format!(" · {}", kind_words(f.kind))).unwrap_or_default();
    let queued = port.queue.iter().any(|e| e.source == PORT_SOURCE_FD && e.object as i64 == i64::from(a.fd));
    let (class, words) = if a.armed {
        ("armed", "armed: fires once at the next readiness".to_string())
    } else if queued {
        ("fired", "fired — its event is queued; re-associate to re-arm".to_string())
    } else {
        ("fired", "fired — re-associate to re-arm".to_string())
    };
    html! {
        <li class={classes!("assoc", class)} data-testid={format!("port-assoc-{}-{}-{}", port.id, a.owner, a.fd)}>
            <span class="assoc-fd mono">{ format!("fd {} · pid {}{what}", a.fd, a.owner) }</span>
            <span class="assoc-arrow" aria-hidden="true">
                <span class="assoc-want">{ poll_words(a.events) }</span>
                <span class="assoc-line"></span>
                <span class="assoc-head">{ "▶" }</span>
            </span>
            <span class="assoc-port mono">{ format!("port {}", port.id) }</span>
            <span class="sr">{ format!("wants {}", poll_words(a.events)) }</span>
            <span class={classes!("assoc-state", class)}>{ format!("{words} · user {}", hex(a.user)) }</span>
        </li>
    }
}

fn getter_line(i: usize, g: &GetterView, state: &KernelState) -> Html {
    let w = &g.waiter;
    // The kernel's reason starts with the call's name: shown once.
    let (call, why) = w.reason.split_once(": ").unwrap_or(("port_getn", &w.reason));
    let deadline = w.deadline.map(|d| format!(", times out at {}", ns(d as f64))).unwrap_or_default();
    let pid = state.process_of(w.tid).map_or(w.pid, |p| p.pid);
    let now = state.parked_now() == Some(w.tid);
    html! {
        <li class={classes!("getter", (i == 0).then_some("head"), now.then_some("touched"))} data-testid={format!("port-getter-{}", w.tid)}>
            if i == 0 { <span class="getter-head">{ "head ▶" }</span> }
            <strong>{ format!("tid {} (pid {pid})", w.tid) }</strong>
            { format!(" {call} · nget {} / max {}", g.nget, g.max) }
            <span class="getter-why">{ format!("{why} · since {}{deadline}", ns(w.since as f64)) }</span>
            if now { <span class="marker" data-testid={format!("waiter-new-{}", w.tid)}>{ " ◀ parked by this step" }</span> }
        </li>
    }
}

fn port_box(p: &PortView, state: &KernelState) -> Html {
    let id = p.id;
    let alert = match &p.alert {
        Some(a) => html! {
            <div class="port-alert on" data-testid={format!("port-alert-{id}")} role="status">
                <strong>{ "⚠ ALERT MODE" }</strong>
                { format!(" — set by pid {}: events {:#x}, user {}. Every port_get / port_getn returns this \
                    event at once and consumes nothing; port_alert with events 0 ends it.", a.pid, a.events as u32, hex(a.user)) }
            </div>
        },
        None => html! {
            <div class="port-alert off muted" data-testid={format!("port-alert-{id}")}>{ "alert mode off" }</div>
        },
    };
    let queue = p.queue.iter().map(|e| {
        let src = source_name(e.source).to_ascii_lowercase();
        html! {
            <li class={classes!("pev", format!("src-{src}"))}>
                <span class="src">{ source_name(e.source) }</span>
                { format!(" events {}", events_words(e.source, e.events)) }
                { if e.source == PORT_SOURCE_FD { format!(" · object fd {}", e.object) } else { format!(" · object {}", e.object) } }
                { format!(" · user {}", hex(e.user)) }
            </li>
        }
    });
    let getters = p.getters.iter().enumerate().map(|(i, g)| getter_line(i, g, state));
    let sharers = state.fds_to(FdKind::Port(id));
    let sharers = if sharers.is_empty() {
        "no fd".to_string()
    } else {
        sharers.iter().map(|(pid, fd)| format!("pid {pid} fd {fd}")).collect::<Vec<_>>().join(", ")
    };
    html! {
        <li class={classes!("port", p.alert.is_some().then_some("alerted"))} data-testid={format!("port-{id}")}>
            <div class="port-head">
                <h3 class="port-name">{ format!("port {id}") }</h3>
                <span class="mono">{ format!("fd {} of pid {}", p.fd, p.owner) }</span>
                <span class="port-slots" data-testid={format!("port-slots-{id}")}
                    title="port_curr: queued user events plus associations, against process.max-port-events">
                    { format!("slots {}/{}", p.curr, p.max_events) }
                </span>
                <span class="muted">{ format!("open as {sharers} · created {}", ns(p.ctime as f64)) }</span>
            </div>
            { alert }
            <div class="port-cols">
                <div class="port-col">
                    <h4>{ format!("Event queue, oldest first ({})", p.queue.len()) }</h4>
                    <ol class="port-queue" data-testid={format!("port-queue-{id}")}>
                        if p.queue.is_empty() { <li class="muted empty">{ "empty" }</li> }
                        { for queue }
                    </ol>
                </div>
                <div class="port-col">
                    <h4>{ format!("Getters, head first ({})", p.getters.len()) }</h4>
                    <ol class="port-getters" data-testid={format!("port-getters-{id}")}>
                        if p.getters.is_empty() { <li class="muted empty">{ "nobody waits" }</li> }
                        { for getters }
                    </ol>
                </div>
            </div>
            <div class="port-assocs-box">
                <h4>{ format!("PORT_SOURCE_FD associations ({})", p.assocs.len()) }</h4>
                <ul class="port-assocs" data-testid={format!("port-assocs-{id}")}>
                    if p.assocs.is_empty() { <li class="muted empty">{ "none" }</li> }
                    { for p.assocs.iter().map(|a| assoc_line(p, a, state)) }
                </ul>
            </div>
        </li>
    }
}

fn pipe_box(p: &PipeView, state: &KernelState) -> Html {
    let id = p.id;
    let ends = |kind: FdKind| {
        let list = state.fds_to(kind);
        if list.is_empty() {
            String::new()
        } else {
            format!(" ({})", list.iter().map(|(pid, fd)| format!("pid {pid} fd {fd}")).collect::<Vec<_>>().join(", "))
        }
    };
    let parked_now = state.parked_now();
    let parked = |tids: &[u32]| {
        tids.iter()
            .map(|t| {
                let now = if parked_now == Some(*t) { " ◀ parked by this step" } else { "" };
                match state.process_of(*t) {
                    Some(proc) => format!("tid {t} (pid {}){now}", proc.pid),
                    None => format!("tid {t}{now}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let used = p.buffered.len();
    let pct = if p.capacity > 0 { (used as f64 / f64::from(p.capacity) * 100.0).min(100.0) } else { 0.0 };
    html! {
        <li class="pipe" data-testid={format!("pipe-{id}")}>
            <div class="pipe-head">
                <strong>{ format!("pipe {id}") }</strong>
                <span>{ format!("readers {}{}", p.readers, ends(FdKind::PipeRead(id))) }</span>
                <span>{ format!("writers {}{}", p.writers, ends(FdKind::PipeWrite(id))) }</span>
            </div>
            <div class="pipe-buf" data-testid={format!("pipe-buf-{id}")}>
                <span class="meter" aria-hidden="true"><span style={format!("width:{pct}%")}></span></span>
                { format!(" {used}/{} bytes: ", p.capacity) }
                if used == 0 {
                    <span class="muted">{ "empty" }</span>
                } else {
                    <span class="mono pipe-bytes">{ format!("\"{}\"", bytes_text(&p.buffered)) }</span>
                }
            </div>
            if !p.parked_readers.is_empty() {
                <div class="pipe-parked" data-testid={format!("pipe-readers-{id}")}>
                    { format!("‖ parked readers (wait for data): {}", parked(&p.parked_readers)) }
                </div>
            }
            if !p.parked_writers.is_empty() {
                <div class="pipe-parked" data-testid={format!("pipe-writers-{id}")}>
                    { format!("‖ parked writers (wait for room): {}", parked(&p.parked_writers)) }
                </div>
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct PortsProps {
    pub state: Rc<KernelState>,
    pub actor: Option<u32>,
    /// The port fd and pipe fds the forms act on.
    pub fields: PortFields,
    pub on_fields: Callback<PortFields>,
    pub on_call: Callback<Call>,
    pub on_error: Callback<String>,
}

/// Event-port and pipe forms, the ports, the pipes and the fd tables.
#[function_component]
pub fn PortsPanel(props: &PortsProps) -> Html {
    let read_len = use_state(|| "64".to_string());
    let read_nonblock = use_state(|| false);
    let text = use_state(|| "job".to_string());
    let write_nonblock = use_state(|| false);
    let close_fd = use_state(String::new);
    let send_events = use_state(|| "0x10".to_string());
    let send_user = use_state(|| "0x1".to_string());
    let sendn_ports = use_state(String::new);
    let alert_set = use_state(|| true);
    let alert_update = use_state(|| false);
    let alert_events = use_state(|| "0x20".to_string());
    let alert_user = use_state(|| "0x2".to_string());
    let source = use_state(|| PORT_SOURCE_FD.to_string());
    let pollin = use_state(|| true);
    let pollout = use_state(|| false);
    let assoc_user = use_state(|| "0x7".to_string());
    let max = use_state(|| "1".to_string());
    let nget = use_state(|| "1".to_string());
    let timeout = use_state(String::new);

    let actor = props.actor;
    let fields = props.fields.clone();
    let submit: &dyn Fn(Builder<Call>) -> Callback<SubmitEvent> =
        &submitter(actor, fields.port.clone(), props.on_call.clone(), props.on_error.clone());
    let port_of = |s: &str| fd_of("port", s, "port_create");
    let user_of = |s: &str| -> Result<u64, String> { fit("user", parse_int("user", s)?) };
    let field = |pick: fn(&mut PortFields) -> &mut String| {
        let (cb, fields) = (props.on_fields.clone(), fields.clone());
        Callback::from(move |v: String| {
            let mut f = fields.clone();
            *pick(&mut f) = v;
            cb.emit(f);
        })
    };

    let pipe = submit(Box::new(|tid, _| Ok(Call::Pipe { tid })));
    let read = {
        let (fd, len, nonblock) = (fields.read_fd.clone(), read_len.clone(), read_nonblock.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::FdRead {
                tid,
                fd: fd_of("fd", &fd, "pipe()")?,
                len: fit("len", parse_int("len", &len)?)?,
                nonblock: *nonblock,
            })
        }))
    };
    let write = {
        let (fd, text, nonblock) = (fields.write_fd.clone(), text.clone(), write_nonblock.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::FdWrite {
                tid,
                fd: fd_of("fd", &fd, "pipe()")?,
                data: (*text).clone().into(),
                nonblock: *nonblock,
            })
        }))
    };
    let close = {
        let fd = close_fd.clone();
        submit(Box::new(move |tid, _| Ok(Call::FdClose { tid, fd: fd_of("fd", &fd, "the fd tables show")? })))
    };
    let create = submit(Box::new(|tid, _| Ok(Call::PortCreate { tid })));
    let send = {
        let (events, user) = (send_events.clone(), send_user.clone());
        submit(Box::new(move |tid, port| {
            Ok(Call::PortSend {
                tid,
                port: port_of(port)?,
                events: parse_events("events", &events)?,
                user: user_of(&user)?,
            })
        }))
    };
    let sendn = {
        let (ports, events, user) = (sendn_ports.clone(), send_events.clone(), send_user.clone());
        submit(Box::new(move |tid, port| {
            let list: Vec<i32> = if ports.trim().is_empty() {
                vec![port_of(port)?]
            } else {
                ports
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| fit("port", parse_int("ports", s)?))
                    .collect::<Result<_, _>>()?
            };
            Ok(Call::PortSendn { tid, ports: list, events: parse_events("events", &events)?, user: user_of(&user)? })
        }))
    };
    let alert_flags = {
        let (set, update) = (alert_set.clone(), alert_update.clone());
        move || (if *set { PORT_ALERT_SET } else { 0 }) | (if *update { PORT_ALERT_UPDATE } else { 0 })
    };
    let alert = {
        let (events, user, flags) = (alert_events.clone(), alert_user.clone(), alert_flags.clone());
        submit(Box::new(move |tid, port| {
            Ok(Call::PortAlert {
                tid,
                port: port_of(port)?,
                flags: flags(),
                events: parse_events("events", &events)?,
                user: user_of(&user)?,
            })
        }))
    };
    let clear = {
        let flags = alert_flags.clone();
        submit(Box::new(move |tid, port| {
            Ok(Call::PortAlert { tid, port: port_of(port)?, flags: flags(), events: 0, user: 0 })
        }))
    };
    let source_of = |s: &str| -> Result<u16, String> { fit("source", parse_int("source", s)?) };
    let object_of = |s: &str| -> Result<u64, String> {
        if s.trim().is_empty() {
            return Err("fd: empty; pipe() gives one".into());
        }
        fit("fd", parse_int("fd", s)?)
    };
    let associate = {
        let (source, object, pollin, pollout, user) =
            (source.clone(), fields.object.clone(), pollin.clone(), pollout.clone(), assoc_user.clone());
        submit(Box::new(move |tid, port| {
            let events = (if *pollin { POLLIN } else { 0 }) | (if *pollout { POLLOUT } else { 0 });
            Ok(Call::PortAssociate {
                tid,
                port: port_of(port)?,
                source: source_of(&source)?,
                object: object_of(&object)?,
                events,
                user: user_of(&user)?,
            })
        }))
    };
    let dissociate = {
        let (source, object) = (source.clone(), fields.object.clone());
        submit(Box::new(move |tid, port| {
            Ok(Call::PortDissociate {
                tid,
                port: port_of(port)?,
                source: source_of(&source)?,
                object: object_of(&object)?,
            })
        }))
    };
    let getn = {
        let (max, nget, timeout) = (max.clone(), nget.clone(), timeout.clone());
        submit(Box::new(move |tid, port| {
            Ok(Call::PortGetn {
                tid,
                port: port_of(port)?,
                max: fit("max", parse_int("max", &max)?)?,
                nget: fit("nget", parse_int("nget", &nget)?)?,
                timeout_ns: parse_timeout(&timeout)?,
            })
        }))
    };
    let get = {
        let timeout = timeout.clone();
        submit(Box::new(move |tid, port| {
            Ok(Call::PortGet { tid, port: port_of(port)?, timeout_ns: parse_timeout(&timeout)? })
        }))
    };

    let state = &props.state;
    let acting_pid = actor.and_then(|t| state.process_of(t)).map(|p| p.pid);
    // The acting process's port fds, to pick from.
    let picks = acting_pid.map(|pid| state.fds_of(pid)).unwrap_or_default().iter().filter_map(|f| match f.kind {
        FdKind::Port(p) => {
            let (cb, fields, fd) = (props.on_fields.clone(), fields.clone(), f.fd);
            let onclick =
                Callback::from(move |_: MouseEvent| cb.emit(PortFields { port: fd.to_string(), ..fields.clone() }));
            Some(html! {
                <button type="button" class="pick" data-testid={format!("port-pick-{fd}")} {onclick}
                    aria-label={format!("use port fd {fd} (port {p})")}>{ fd }</button>
            })
        }
        _ => None,
    });
    let tables = state.scene.processes.iter().map(|proc| {
        let pid = proc.pid;
        let mine = Some(pid) == acting_pid;
        let fds = state.fds_of(pid);
        let rows = fds.iter().map(|f| {
            let poll = match f.kind {
                FdKind::Port(_) => String::new(),
                _ => format!(" · poll: {}", poll_words(f.revents)),
            };
            html! {
                <li class={classes!("fdrow", match f.kind { FdKind::Port(_) => "k-port", FdKind::PipeRead(_) => "k-read", FdKind::PipeWrite(_) => "k-write" })}>
                    <span class="fdnum mono">{ format!("fd {}", f.fd) }</span>
                    { format!(" → {} (file {}){poll}", kind_words(f.kind), f.file) }
                </li>
            }
        });
        html! {
            <li class={classes!("fdtable", mine.then_some("mine"))} data-testid={format!("fdtable-{pid}")}>
                <span>{ format!("pid {pid}") }</span>
                if mine { <span class="tag">{ " ◀ acting process" }</span> }
                if fds.is_empty() {
                    <span class="muted">{ " · no open fds" }</span>
                } else {
                    <ul>{ for rows }</ul>
                }
            </li>
        }
    });

    html! {
        <section class="panel ports" data-testid="ports" aria-labelledby="ports-h">
            <h2 id="ports-h">{ "Event ports" }</h2>
            <p class="help">{ "A port is an fd with a queue of events: user events from port_send, fd events from \
                port_associate (one-shot: an association fires once when its fd becomes ready, then waits to be \
                re-associated), and alert mode, which answers every getter at once without consuming anything. \
                port_getn waits until at least nget events are queued. Parked getters line up by nget — a new one goes \
                before the first whose nget is at least its own (so equal ones are last in, first out) and one asking \
                for more than all the others goes before the last, the seed's rule — and an arriving event wakes only \
                the head." }</p>
            <fieldset>
                <legend>{ "pipe() · read · write · close" }</legend>
                <form onsubmit={pipe} class="inline" aria-label="pipe">
                    <button type="submit" data-testid="pipe">{ "pipe()" }</button>
                </form>
                <form onsubmit={close} class="inline" aria-label="close">
                    <Field label="fd" id="fd-close-fd" value={(*close_fd).clone()} oninput={setter(&close_fd)} size={3} />
                    <button type="submit" data-testid="fd-close">{ "close" }</button>
                </form>
                <form onsubmit={read} aria-label="read">
                    <Field label="fd" id="fd-read-fd" value={fields.read_fd.clone()} oninput={field(|f| &mut f.read_fd)} size={3}
                        hint="a pipe's read end (pipe() fills it)" />
                    <Field label="len" id="fd-read-len" value={(*read_len).clone()} oninput={setter(&read_len)} size={4} />
                    <Check label="O_NONBLOCK" id="fd-read-nonblock" checked={*read_nonblock} onchange={toggler(&read_nonblock)}
                        hint="EAGAIN instead of waiting on an empty pipe" />
                    <button type="submit" data-testid="fd-read">{ "read" }</button>
                </form>
                <form onsubmit={write} aria-label="write">
                    <Field label="fd" id="fd-write-fd" value={fields.write_fd.clone()} oninput={field(|f| &mut f.write_fd)} size={3}
                        hint="a pipe's write end (pipe() fills it)" />
                    <Field label="text" id="fd-write-text" value={(*text).clone()} oninput={setter(&text)} size={10} />
                    <Check label="O_NONBLOCK" id="fd-write-nonblock" checked={*write_nonblock} onchange={toggler(&write_nonblock)}
                        hint="EAGAIN instead of waiting for room" />
                    <button type="submit" data-testid="fd-write">{ "write" }</button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "port_create · port_send · port_alert" }</legend>
                <div class="row">
                    <form onsubmit={create} class="inline" aria-label="port_create">
                        <button type="submit" data-testid="port-create">{ "port_create()" }</button>
                    </form>
                    <Field label="port fd" id="port-fd" value={fields.port.clone()} oninput={field(|f| &mut f.port)} size={3}
                        hint="the port's fd, used by every port_* call (port_create fills it)" />
                    { for picks }
                </div>
                <form onsubmit={send} aria-label="port_send">
                    <Field label="events" id="psend-events" value={(*send_events).clone()} oninput={setter(&send_events)} size={5} />
                    <Field label="user" id="psend-user" value={(*send_user).clone()} oninput={setter(&send_user)} size={5}
                        hint="the user value the getter receives" />
                    <button type="submit" data-testid="psend">{ "port_send" }</button>
                </form>
                <form onsubmit={sendn} aria-label="port_sendn">
                    <Field label="ports" id="psendn-ports" value={(*sendn_ports).clone()} oninput={setter(&sendn_ports)} size={8}
                        placeholder="e.g. 0, 3" hint="port fds, comma-separated (empty: the port fd); same events and user" />
                    <button type="submit" data-testid="psendn">{ "port_sendn" }</button>
                </form>
                <form onsubmit={alert} aria-label="port_alert">
                    <Check label="SET" id="palert-set" checked={*alert_set} onchange={toggler(&alert_set)}
                        hint="PORT_ALERT_SET: set or overwrite the alert" />
                    <Check label="UPDATE" id="palert-update" checked={*alert_update} onchange={toggler(&alert_update)}
                        hint="PORT_ALERT_UPDATE: EBUSY if already in alert mode (both flags: EINVAL)" />
                    <Field label="events" id="palert-events" value={(*alert_events).clone()} oninput={setter(&alert_events)} size={5}
                        hint="0 clears alert mode" />
                    <Field label="user" id="palert-user" value={(*alert_user).clone()} oninput={setter(&alert_user)} size={5} />
                    <button type="submit" data-testid="palert">{ "port_alert" }</button>
                </form>
                <form onsubmit={clear} class="inline" aria-label="port_alert events 0">
                    <button type="submit" data-testid="palert-clear" title="port_alert with events 0: ends alert mode (anyone may)">
                        { "clear alert (events 0)" }
                    </button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "port_associate · port_dissociate (PORT_SOURCE_FD = 4)" }</legend>
                <form onsubmit={associate} aria-label="port_associate">
                    <Field label="source" id="passoc-source" value={(*source).clone()} oninput={setter(&source)} size={2}
                        hint="4 is PORT_SOURCE_FD, the only source associate takes here" />
                    <Field label="fd" id="passoc-fd" value={fields.object.clone()} oninput={field(|f| &mut f.object)} size={3}
                        hint="an fd of the caller (pipe() fills it with the read end)" />
                    <Check label="POLLIN" id="passoc-pollin" checked={*pollin} onchange={toggler(&pollin)} />
                    <Check label="POLLOUT" id="passoc-pollout" checked={*pollout} onchange={toggler(&pollout)} />
                    <Field label="user" id="passoc-user" value={(*assoc_user).clone()} oninput={setter(&assoc_user)} size={5} />
                    <button type="submit" data-testid="passoc">{ "port_associate" }</button>
                </form>
                <form onsubmit={dissociate} class="inline" aria-label="port_dissociate">
                    <button type="submit" data-testid="pdissoc">{ "port_dissociate(port, source, fd)" }</button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "port_getn · port_get" }</legend>
                <form onsubmit={getn} class="inline" aria-label="port_getn">
                    <Field label="max" id="pget-max" value={(*max).clone()} oninput={setter(&max)} size={3}
                        hint="most events to take; 0 answers how many are queued" />
                    <Field label="nget" id="pget-nget" value={(*nget).clone()} oninput={setter(&nget)} size={3}
                        hint="wait until at least this many are queued" />
                    <Field label="timeout ms" id="pget-timeout" value={(*timeout).clone()} oninput={setter(&timeout)} size={5}
                        placeholder="wait" hint="relative, in ms of logical time: empty waits forever, 0 polls" />
                    <button type="submit" data-testid="pgetn">{ "port_getn" }</button>
                </form>
                <form onsubmit={get} class="inline" aria-label="port_get">
                    <button type="submit" data-testid="pget" title="one event, same timeout">{ "port_get" }</button>
                </form>
            </fieldset>
            if state.scene.ports.is_empty() {
                <p class="muted" data-testid="no-ports">{ "No ports yet: port_create makes one." }</p>
            } else {
                <ul class="port-list" data-testid="port-list">{ for state.scene.ports.iter().map(|p| port_box(p, state)) }</ul>
            }
            <div class="pipes" data-testid="pipes">
                <h3>{ "Pipes" }</h3>
                if state.scene.pipes.is_empty() {
                    <p class="muted">{ "No pipes yet: pipe() makes one." }</p>
                } else {
                    <ul class="pipe-list">{ for state.scene.pipes.iter().map(|p| pipe_box(p, state)) }</ul>
                }
            </div>
            <div class="fdtables" data-testid="fdtables">
                <h3>{ "fd tables (with the poll events each fd reports now)" }</h3>
                <ul>{ for tables }</ul>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(poll_words(0x41), "POLLIN|POLLRDNORM");
        assert_eq!(poll_words(0), "0");
        assert_eq!(poll_words(0x4), "POLLOUT");
        assert_eq!(poll_words(0x1000), "0x1000");
        assert_eq!(source_name(3), "USER");
        assert_eq!(source_name(5), "ALERT");
        assert_eq!(source_name(9), "source 9");
        let fd = PortEvent { source: 4, events: 1, object: 3, user: 7 };
        assert_eq!(event_words(&fd), "FD · events 0x1 (POLLIN) · object fd 3 · user 0x7");
        let user = PortEvent { source: 3, events: 0x10, object: 0, user: 1 };
        assert_eq!(event_words(&user), "USER · events 0x10 · object 0 · user 0x1");
        assert_eq!(alert_flag_words(1), "PORT_ALERT_SET");
        assert_eq!(alert_flag_words(3), "PORT_ALERT_SET|PORT_ALERT_UPDATE");
        assert_eq!(alert_flag_words(0), "0");
        assert_eq!(timeout_words(None), "no timeout: waits");
        assert_eq!(timeout_words(Some(0)), "timeout 0: poll");
        assert_eq!(kind_words(FdKind::PipeRead(2)), "pipe 2 read end");
    }

    #[test]
    fn what_a_getter_got() {
        let user = PortEvent { source: 3, events: 0x10, object: 0, user: 1 };
        assert_eq!(
            got_words(std::slice::from_ref(&user), false).0,
            "1 event(s): USER · events 0x10 · object 0 · user 0x1"
        );
        let (head, lines) = got_words(&[user, user], true);
        assert_eq!(head, "ETIME with 2 event(s) — the timeout passed first");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("2. USER"));
        assert_eq!(got_words(&[], true).0, "ETIME with 0 event(s) — the timeout passed first");
    }

    #[test]
    fn events_fields_wrap_like_int() {
        assert_eq!(parse_events("events", "0x10"), Ok(16));
        assert_eq!(parse_events("events", "0xffffffff"), Ok(-1));
        assert!(parse_events("events", "0x1ffffffff").is_err());
        assert!(fd_of("fd", " ", "pipe()").is_err());
        assert_eq!(fd_of("fd", "3", "pipe()"), Ok(3));
    }
}
