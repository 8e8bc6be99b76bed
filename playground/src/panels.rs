//! The two panels that make calls: processes (spawn, fork, exit, who acts,
//! take result) and the system-call forms (msgget, msgsnd, msgrcv, msgctl,
//! the clock).  Each emits a [`Call`]; the app runs it and refreshes.

use crate::bridge::Call;
use crate::form::{
    Builder, Check, Field, fit, get_flags, ms_to_ns, parse_int, parse_key, parse_octal, parse_timeout, setter,
    submitter, toggler,
};
use crate::model::{KernelState, ns};
use ipc_core::inspect::ThreadStateView as ThreadState;
use ipc_core::kernel::WaitFor;
use std::rc::Rc;
use yew::prelude::*;

/// How many of the newest queue ids the calls panel offers as buttons.
const PICKS: usize = 16;

pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;
pub const MSG_NOERROR: i32 = 0o10000;

/// Flag bits in words: `IPC_CREAT|IPC_EXCL|0600`.
pub fn flag_words(flags: i32, with_mode: bool) -> String {
    let mut words: Vec<String> = [(IPC_CREAT, "IPC_CREAT"), (IPC_EXCL, "IPC_EXCL"), (IPC_NOWAIT, "IPC_NOWAIT")]
        .iter()
        .chain([(MSG_NOERROR, "MSG_NOERROR")].iter())
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    if with_mode {
        words.push(format!("{:04o}", flags & 0o777));
    }
    if words.is_empty() { "0".to_string() } else { words.join("|") }
}

#[derive(Properties, PartialEq)]
pub struct ProcessesProps {
    pub state: Rc<KernelState>,
    /// The thread that makes the system calls.
    pub actor: Option<u32>,
    pub on_actor: Callback<u32>,
    pub on_call: Callback<Call>,
    /// Why the last spawn form input was refused, if it was.
    pub on_error: Callback<String>,
}

/// Processes, their threads and states, and the spawn form.
#[function_component]
pub fn ProcessesPanel(props: &ProcessesProps) -> Html {
    let uid = use_state(|| "300".to_string());
    let gid = use_state(|| "30".to_string());
    let groups = use_state(String::new);
    let privileged = use_state(|| false);

    let spawn = {
        let (uid, gid, groups, privileged) = (uid.clone(), gid.clone(), groups.clone(), privileged.clone());
        let (on_call, on_error) = (props.on_call.clone(), props.on_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = (|| -> Result<Call, String> {
                Ok(Call::Spawn {
                    uid: fit("uid", parse_int("uid", &uid)?)?,
                    gid: fit("gid", parse_int("gid", &gid)?)?,
                    groups: (*groups).clone(),
                    privileged: *privileged,
                    zone: 0,
                    project: 1,
                })
            })();
            match parsed {
                Ok(call) => on_call.emit(call),
                Err(msg) => on_error.emit(msg),
            }
        })
    };

    // What the shown step changed here: the threads it woke (its event's
    // completions), the thread it parked, the process and thread it made.
    let last = props.state.last_event();
    let woken: Vec<u32> = last.map(|e| e.woke.iter().map(|w| w.tid).collect()).unwrap_or_default();
    let parked_now = props.state.parked_now();
    let (new_pid, new_tid) = last.map_or((None, None), |e| (e.new_pid, e.new_tid));
    let procs = props.state.scene.processes.iter().map(|p| {
        let pid = p.pid;
        let call = |c: Call| {
            let cb = props.on_call.clone();
            Callback::from(move |_: MouseEvent| cb.emit(c.clone()))
        };
        let groups = if p.groups.is_empty() {
            "none".to_string()
        } else {
            p.groups.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        };
        let ids = if p.ruid == p.euid && p.rgid == p.egid {
            format!("uid {} · gid {}", p.euid, p.egid)
        } else {
            format!("uid {} (real {}) · gid {} (real {})", p.euid, p.ruid, p.egid, p.rgid)
        };
        let threads = p.threads.iter().map(|t| {
            let tid = t.tid;
            let acting = props.actor == Some(tid);
            let woke = woken.contains(&tid);
            let parked = parked_now == Some(tid);
            let made = new_tid == Some(tid);
            let onchange = {
                let cb = props.on_actor.clone();
                Callback::from(move |_: Event| cb.emit(tid))
            };
            let (class, state, button) = match &t.state {
                ThreadState::Runnable => ("runnable", html! { <span>{ "▶ runnable" }</span> }, html! {}),
                ThreadState::Blocked { reason, since, deadline } => {
                    let deadline = deadline.map(|d| format!(", times out at {}", ns(d as f64))).unwrap_or_default();
                    (
                        "blocked",
                        html! { <span>{ format!("‖ blocked: {reason} (since {}{deadline})", ns(*since as f64)) }</span> },
                        html! {
                            <button type="button" data-testid={format!("interrupt-{tid}")} onclick={call(Call::Interrupt { tid })}
                                title="Interrupt the parked call: it completes with EINTR">{ "interrupt" }</button>
                        },
                    )
                }
                ThreadState::Finished { call: name, errno, summary } => {
                    let how = match (errno, summary.is_empty()) {
                        (Some(e), true) => format!("✖ {}", e.name()),
                        (Some(_), false) => "✖".to_string(),
                        (None, _) => "✔".to_string(),
                    };
                    (
                        // A call that completed with an errno is drawn as a failure.
                        if errno.is_some() { "finished failed" } else { "finished" },
                        html! { <span>{ format!("■ finished {name}: {how} {summary}") }</span> },
                        html! {
                            <button type="button" data-testid={format!("take-{tid}")} onclick={call(Call::TakeResult { tid })}
                                title="thread.take-result: collect the completed call's result">{ "take result" }</button>
                        },
                    )
                }
            };
            html! {
                <li class={classes!("thread", class.split(' ').collect::<Vec<_>>(), acting.then_some("acting"), (woke || parked || made).then_some("woken"))} data-testid={format!("thread-{tid}")}>
                    <input type="radio" name="actor" id={format!("actor-{tid}")} data-testid={format!("actor-{tid}")}
                        checked={acting} {onchange} />
                    <label for={format!("actor-{tid}")}>
                        { format!("tid {tid}") }
                        if acting { <span class="tag">{ " ◀ acts" }</span> }
                    </label>
                    <span class="state" data-testid={format!("thread-state-{tid}")}>{ state }</span>
                    if woke { <span class="marker" data-testid={format!("woken-{tid}")}>{ " ↻ woken by this step" }</span> }
                    if parked { <span class="marker" data-testid={format!("parked-now-{tid}")}>{ " ◀ parked by this step" }</span> }
                    if made && new_pid != Some(pid) { <span class="marker" data-testid={format!("new-thread-{tid}")}>{ " ◀ new thread" }</span> }
                    { button }
                </li>
            }
        });
        html! {
            <li class={classes!("proc", (new_pid == Some(pid)).then_some("touched"))} data-testid={format!("proc-{pid}")}>
                <div class="proc-head">
                    <strong>{ props.state.who(pid) }</strong>
                    if new_pid == Some(pid) { <span class="marker" data-testid={format!("new-proc-{pid}")}>{ " ◀ new: made by this step" }</span> }
                    <span class="muted">{ format!(" ppid {}", p.ppid) }</span>
                    <span>{ format!(" · {ids} · groups {groups}") }</span>
                    if p.privileged { <span class="tag">{ " · privileged" }</span> }
                </div>
                <ul class="threads">{ for threads }</ul>
                <div class="buttons">
                    <button type="button" data-testid={format!("fork-{pid}")} onclick={call(Call::Fork { pid })}>{ "fork" }</button>
                    <button type="button" data-testid={format!("thread-create-{pid}")} onclick={call(Call::ThreadCreate { pid })}>{ "new thread" }</button>
                    <button type="button" data-testid={format!("exit-{pid}")} onclick={call(Call::Exit { pid })}>{ "exit" }</button>
                </div>
            </li>
        }
    });

    html! {
        <section class="panel processes" data-testid="processes" aria-labelledby="processes-h">
            <h2 id="processes-h">{ "Processes" }</h2>
            <p class="help">{ "Pick the thread that makes the calls (◀ acts)." }</p>
            if let Some(graph) = &props.state.scene.deadlock { { deadlock_box(graph, &props.state) } }
            <ul class="procs">{ for procs }</ul>
            <form class="spawn" onsubmit={spawn} aria-label="spawn a process">
                <Field label="uid" id="spawn-uid" value={(*uid).clone()} oninput={setter(&uid)} size={5} />
                <Field label="gid" id="spawn-gid" value={(*gid).clone()} oninput={setter(&gid)} size={5} />
                <Field label="groups" id="spawn-groups" value={(*groups).clone()} oninput={setter(&groups)} size={7}
                    hint="supplementary groups, comma-separated" placeholder="e.g. 10,20" />
                <Check label="privileged" id="spawn-privileged" checked={*privileged} onchange={toggler(&privileged)} />
                <button type="submit" data-testid="spawn">{ "spawn" }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct CallsProps {
    pub state: Rc<KernelState>,
    pub actor: Option<u32>,
    /// The queue id the forms act on (shared; set by a successful msgget).
    pub msqid: AttrValue,
    pub on_msqid: Callback<String>,
    pub on_call: Callback<Call>,
    pub on_error: Callback<String>,
}

/// The system-call forms.
#[function_component]
pub fn CallsPanel(props: &CallsProps) -> Html {
    let key = use_state(|| "10".to_string());
    let creat = use_state(|| true);
    let excl = use_state(|| false);
    let mode = use_state(|| "0600".to_string());
    let mtype = use_state(|| "1".to_string());
    let text = use_state(|| "hello".to_string());
    let snd_nowait = use_state(|| false);
    let snd_timeout = use_state(String::new);
    let msgsz = use_state(|| "64".to_string());
    let msgtyp = use_state(|| "0".to_string());
    let rcv_nowait = use_state(|| false);
    let noerror = use_state(|| false);
    let rcv_timeout = use_state(String::new);
    let set_uid = use_state(String::new);
    let set_gid = use_state(String::new);
    let set_mode = use_state(|| "0660".to_string());
    let set_qbytes = use_state(|| "256".to_string());
    let advance_ms = use_state(|| "1000".to_string());

    let actor = props.actor;
    // Builds a submit handler from a function that reads the form into a Call.
    let submit: &dyn Fn(Builder<Call>) -> Callback<SubmitEvent> =
        &submitter(actor, props.msqid.to_string(), props.on_call.clone(), props.on_error.clone());
    let id_of = |s: &str| -> Result<i32, String> { fit("msqid", parse_int("msqid", s)?) };

    let msgget = {
        let (key, creat, excl, mode) = (key.clone(), creat.clone(), excl.clone(), mode.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::Msgget { tid, key: parse_key(&key)?, flags: get_flags(&mode, *creat, *excl)? })
        }))
    };
    let msgsnd = {
        let (mtype, text, nowait, timeout) = (mtype.clone(), text.clone(), snd_nowait.clone(), snd_timeout.clone());
        submit(Box::new(move |tid, msqid| {
            Ok(Call::Msgsnd {
                tid,
                msqid: id_of(msqid)?,
                mtype: parse_int("mtype", &mtype)?,
                data: (*text).clone().into(),
                flags: if *nowait { IPC_NOWAIT } else { 0 },
                timeout_ns: parse_timeout(&timeout)?,
            })
        }))
    };
    let msgrcv = {
        let (msgsz, msgtyp, nowait, noerror, timeout) =
            (msgsz.clone(), msgtyp.clone(), rcv_nowait.clone(), noerror.clone(), rcv_timeout.clone());
        submit(Box::new(move |tid, msqid| {
            let mut flags = if *nowait { IPC_NOWAIT } else { 0 };
            if *noerror {
                flags |= MSG_NOERROR;
            }
            Ok(Call::Msgrcv {
                tid,
                msqid: id_of(msqid)?,
                msgsz: fit("msgsz", parse_int("msgsz", &msgsz)?)?,
                msgtyp: parse_int("msgtyp", &msgtyp)?,
                flags,
                timeout_ns: parse_timeout(&timeout)?,
            })
        }))
    };
    let stat = submit(Box::new(move |tid, msqid| Ok(Call::Stat { tid, msqid: id_of(msqid)? })));
    let rmid = submit(Box::new(move |tid, msqid| Ok(Call::Rmid { tid, msqid: id_of(msqid)? })));
    let set = {
        let (uid, gid, mode, qbytes) = (set_uid.clone(), set_gid.clone(), set_mode.clone(), set_qbytes.clone());
        let state = props.state.clone();
        submit(Box::new(move |tid, msqid| {
            let id = id_of(msqid)?;
            // Empty uid / gid keep the queue's current owner.
            let current = || {
                state
                    .queue(id)
                    .map(|q| (q.perm.uid, q.perm.gid))
                    .ok_or_else(|| format!("queue {id} is not on the page of queues shown: give its uid and gid"))
            };
            let uid = if uid.trim().is_empty() { current()?.0 } else { fit("uid", parse_int("uid", &uid)?)? };
            let gid = if gid.trim().is_empty() { current()?.1 } else { fit("gid", parse_int("gid", &gid)?)? };
            Ok(Call::Set {
                tid,
                msqid: id,
                uid,
                gid,
                mode: fit("mode", parse_octal("mode", &mode)?)?,
                qbytes: fit("qbytes", parse_int("qbytes", &qbytes)?)?,
            })
        }))
    };
    let advance = {
        let (advance_ms, on_call, on_error) = (advance_ms.clone(), props.on_call.clone(), props.on_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_int("ms", &advance_ms).and_then(|v| fit::<u64>("ms", v)).and_then(|ms| ms_to_ns("ms", ms)) {
                Ok(ns) => on_call.emit(Call::Advance { ns }),
                Err(msg) => on_error.emit(msg),
            }
        })
    };

    let who = match actor.and_then(|tid| props.state.process_of(tid).map(|p| (tid, p))) {
        Some((tid, p)) => format!("{} · tid {tid} (uid {} gid {})", props.state.who(p.pid), p.euid, p.egid),
        None => "nobody (pick a thread)".to_string(),
    };
    let on_pick = {
        let cb = props.on_msqid.clone();
        move |id: i32| {
            let cb = cb.clone();
            Callback::from(move |_: MouseEvent| cb.emit(id.to_string()))
        }
    };
    // The newest queue ids (the page of the msg id list the scene holds).
    let picks = props.state.scene.msg.ids.rows.iter().take(PICKS).map(|&id| {
        html! {
            <button type="button" class="pick" data-testid={format!("pick-{id}")} onclick={on_pick(id)}
                aria-label={format!("use queue id {id}")}>{ format!("{id}") }</button>
        }
    });

    html! {
        <section class="panel calls" data-testid="calls" aria-labelledby="calls-h">
            <h2 id="calls-h">{ "System calls" }</h2>
            <p class="acting" data-testid="acting">{ "Acting as " }<strong>{ who }</strong></p>
            <div class="row">
                <Field label="msqid" id="msqid" value={props.msqid.clone()} oninput={props.on_msqid.clone()} size={11}
                    hint="the queue id used by msgsnd, msgrcv and msgctl (decimal or 0x hex)" />
                if !props.state.scene.msg.ids.rows.is_empty() { <span class="muted">{ "ids:" }</span> }
                { for picks }
            </div>
            <form onsubmit={msgget} aria-label="msgget">
                <fieldset>
                    <legend>{ "msgget(key, msgflg)" }</legend>
                    <Field label="key 0x" id="msgget-key" value={(*key).clone()} oninput={setter(&key)} size={8}
                        hint="the key, in hex; 0 is IPC_PRIVATE" />
                    <Check label="IPC_CREAT" id="msgget-creat" checked={*creat} onchange={toggler(&creat)} />
                    <Check label="IPC_EXCL" id="msgget-excl" checked={*excl} onchange={toggler(&excl)} />
                    <Field label="mode" id="msgget-mode" value={(*mode).clone()} oninput={setter(&mode)} size={4}
                        hint="permission bits, octal" />
                    <button type="submit" data-testid="msgget">{ "msgget" }</button>
                </fieldset>
            </form>
            <form onsubmit={msgsnd} aria-label="msgsnd">
                <fieldset>
                    <legend>{ "msgsnd(msqid, msgp, msgsz, msgflg)" }</legend>
                    <Field label="mtype" id="msgsnd-mtype" value={(*mtype).clone()} oninput={setter(&mtype)} size={3} />
                    <Field label="text" id="msgsnd-text" value={(*text).clone()} oninput={setter(&text)} size={12} />
                    <Check label="IPC_NOWAIT" id="msgsnd-nowait" checked={*snd_nowait} onchange={toggler(&snd_nowait)} />
                    <Field label="timeout ms" id="msgsnd-timeout" value={(*snd_timeout).clone()} oninput={setter(&snd_timeout)}
                        size={4} hint="optional: give up with EAGAIN after this many logical milliseconds" placeholder="none" />
                    <button type="submit" data-testid="msgsnd">{ "msgsnd" }</button>
                </fieldset>
            </form>
            <form onsubmit={msgrcv} aria-label="msgrcv">
                <fieldset>
                    <legend>{ "msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)" }</legend>
                    <Field label="msgsz" id="msgrcv-msgsz" value={(*msgsz).clone()} oninput={setter(&msgsz)} size={3} />
                    <Field label="msgtyp" id="msgrcv-msgtyp" value={(*msgtyp).clone()} oninput={setter(&msgtyp)} size={3}
                        hint="0: the first message; > 0: the first of that type; < 0: the lowest type up to |msgtyp|" />
                    <Check label="IPC_NOWAIT" id="msgrcv-nowait" checked={*rcv_nowait} onchange={toggler(&rcv_nowait)} />
                    <Check label="MSG_NOERROR" id="msgrcv-noerror" checked={*noerror} onchange={toggler(&noerror)} />
                    <Field label="timeout ms" id="msgrcv-timeout" value={(*rcv_timeout).clone()} oninput={setter(&rcv_timeout)}
                        size={4} hint="optional: give up with EAGAIN after this many logical milliseconds" placeholder="none" />
                    <button type="submit" data-testid="msgrcv">{ "msgrcv" }</button>
                </fieldset>
            </form>
            <fieldset>
                <legend>{ "msgctl(msqid, cmd, buf)" }</legend>
                <form onsubmit={stat} class="inline" aria-label="msgctl IPC_STAT">
                    <button type="submit" data-testid="msgctl-stat">{ "IPC_STAT" }</button>
                </form>
                <form onsubmit={rmid} class="inline" aria-label="msgctl IPC_RMID">
                    <button type="submit" data-testid="msgctl-rmid">{ "IPC_RMID" }</button>
                </form>
                <form onsubmit={set} aria-label="msgctl IPC_SET">
                    <Field label="uid" id="msgctl-uid" value={(*set_uid).clone()} oninput={setter(&set_uid)} size={4}
                        hint="new owner uid; empty keeps the current one" placeholder="same" />
                    <Field label="gid" id="msgctl-gid" value={(*set_gid).clone()} oninput={setter(&set_gid)} size={4}
                        hint="new owner gid; empty keeps the current one" placeholder="same" />
                    <Field label="mode" id="msgctl-mode" value={(*set_mode).clone()} oninput={setter(&set_mode)} size={4}
                        hint="permission bits, octal" />
                    <Field label="qbytes" id="msgctl-qbytes" value={(*set_qbytes).clone()} oninput={setter(&set_qbytes)} size={5}
                        hint="byte limit of the queue; raising it needs privilege" />
                    <button type="submit" data-testid="msgctl-set">{ "IPC_SET" }</button>
                </form>
            </fieldset>
            <form onsubmit={advance} aria-label="advance the clock">
                <fieldset>
                    <legend>{ format!("clock: now {}", ns(props.state.now)) }</legend>
                    <Field label="advance ms" id="advance-ms" value={(*advance_ms).clone()} oninput={setter(&advance_ms)} size={6} />
                    <button type="submit" data-testid="advance">{ "advance" }</button>
                </fieldset>
            </form>
        </section>
    }
}

/// The deadlock: who waits on what and who holds it — the kernel's
/// wait-for graph, as a list (its text is its own alternative).
fn deadlock_box(graph: &[WaitFor], state: &KernelState) -> Html {
    let rows = graph.iter().map(|w| {
        let held = if w.holders.is_empty() {
            " — the kernel names no holder (any process could send, post or wake it)".to_string()
        } else {
            let pids: Vec<String> = w.holders.iter().map(|&p| state.who(p)).collect();
            format!(" — held by {}", pids.join(", "))
        };
        html! {
            <li data-testid={format!("waits-{}", w.tid)}>
                <strong>{ match state.names.get(&w.pid) {
                    Some(name) => format!("tid {} of {name} (pid {})", w.tid, w.pid),
                    None => format!("tid {} (pid {})", w.tid, w.pid),
                } }</strong>{ format!(" waits in {}{held}", w.reason) }
            </li>
        }
    });
    html! {
        <div class="deadlock" role="alert" data-testid="deadlock">
            <strong>{ "✖ Deadlock" }</strong>
            { " — every thread waits, none with a timeout, and nothing the kernel does by itself can wake one. \
               Interrupt a thread, or let a new process act, to break it." }
            { wait_for_svg(graph, state) }
            <ul>{ for rows }</ul>
        </div>
    }
}

/// The wait-for graph drawn: each process with a waiting thread, and
/// every process named as a holder, on a circle; an arrow from a waiting
/// thread's process to each process holding what it waits for (a cycle of
/// arrows is the deadlock).  The list under it says the same in words.
fn wait_for_svg(graph: &[WaitFor], state: &KernelState) -> Html {
    let mut pids: Vec<u32> = Vec::new();
    for w in graph {
        for p in std::iter::once(w.pid).chain(w.holders.iter().copied()) {
            if !pids.contains(&p) {
                pids.push(p);
            }
        }
    }
    let edges: Vec<(u32, u32)> = graph.iter().flat_map(|w| w.holders.iter().map(move |&h| (w.pid, h))).collect();
    if edges.is_empty() {
        return html! {};
    }
    let (w, h, r, node) = (300.0_f64, 220.0_f64, 80.0_f64, 22.0_f64);
    let at = |p: u32| {
        let i = pids.iter().position(|&q| q == p).unwrap_or(0) as f64;
        let a = std::f64::consts::TAU * i / pids.len() as f64 - std::f64::consts::FRAC_PI_2;
        (w / 2.0 + r * a.cos(), h / 2.0 + r * a.sin())
    };
    let arrows = edges.iter().map(|&(from, to)| {
        let ((x1, y1), (x2, y2)) = (at(from), at(to));
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let (sx, sy, ex, ey) = (x1 + ux * node, y1 + uy * node, x2 - ux * (node + 4.0), y2 - uy * (node + 4.0));
        html! {
            <line class="edge" data-from={from.to_string()} data-to={to.to_string()}
                x1={format!("{sx:.1}")} y1={format!("{sy:.1}")} x2={format!("{ex:.1}")} y2={format!("{ey:.1}")}
                marker-end="url(#waits-arrow)" />
        }
    });
    let nodes = pids.iter().map(|&p| {
        let (x, y) = at(p);
        let waiting = graph.iter().any(|w| w.pid == p);
        html! {
            <g class={classes!("node", waiting.then_some("waiting"))} data-pid={p.to_string()}>
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={node.to_string()} />
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle">{ state.names.get(&p).cloned().unwrap_or_else(|| format!("pid {p}")) }</text>
            </g>
        }
    });
    let words = edges
        .iter()
        .map(|(a, b)| format!("{} waits for {}", state.who(*a), state.who(*b)))
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        <svg class="wait-for" data-testid="deadlock-graph" role="img" aria-label={format!("wait-for graph: {words}")}
            width={w.to_string()} height={h.to_string()} viewBox={format!("0 0 {w} {h}")}>
            <defs>
                <marker id="waits-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" />
                </marker>
            </defs>
            { for arrows }
            { for nodes }
        </svg>
    }
}
