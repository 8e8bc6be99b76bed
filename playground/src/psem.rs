//! The POSIX semaphore panel: forms for sem_open / sem_unlink (by name),
//! sem_init, and the calls on an id (sem_post, sem_wait, sem_trywait,
//! sem_timedwait, sem_getvalue, sem_close, sem_destroy); then the name list
//! (`ksem_head`, newest first), every semaphore as a box — id, name, state
//! (named, anonymous, or unlinked but still open), value, `ks_ref`, the
//! processes holding references and the threads parked on it with why —
//! and every process's reference list (`ksem_proc`, newest first,
//! duplicates and all), plus the id hash table.  Everything drawn comes
//! from `inspect.psem`.

use crate::bridge::Call;
use crate::form::{Builder, Check, Field, fit, parse_int, parse_octal, setter, submitter, toggler};
use crate::model::{KernelState, ns};
use crate::views;
use ipc_core::psem::view::{PsemState, PsemView as PsemSemView};
use std::rc::Rc;
use yew::prelude::*;

/// sem_open's `oflag` in words: `O_CREAT|O_EXCL`, or `0`.
pub fn oflag_words(creat: bool, excl: bool) -> String {
    match (creat, excl) {
        (true, true) => "O_CREAT|O_EXCL".into(),
        (true, false) => "O_CREAT".into(),
        (false, true) => "O_EXCL".into(),
        (false, false) => "0".into(),
    }
}

/// Reads sem_timedwait's deadline, in milliseconds of logical time:
/// `2500` is the absolute time 2.5 s, `+500` is 500 ms after `now_ns`.
/// Returns the `timespec` (sec, nsec) the call takes.
pub fn parse_deadline(s: &str, now_ns: f64) -> Result<(i64, i64), String> {
    let t = s.trim();
    let (relative, t) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if t.is_empty() {
        return Err("deadline: write milliseconds of logical time, e.g. 2500, or +500 for 500 ms from now".into());
    }
    let ms = parse_int("deadline", t)?;
    let ms = u64::try_from(ms).map_err(|_| "deadline: must not be negative".to_string())?;
    let mut at = ms.checked_mul(1_000_000).ok_or_else(|| format!("deadline: {ms} ms is out of range"))?;
    if relative {
        at = at.checked_add(now_ns as u64).ok_or_else(|| format!("deadline: now + {ms} ms is out of range"))?;
    }
    let sec = i64::try_from(at / 1_000_000_000).map_err(|_| "deadline: out of range".to_string())?;
    Ok((sec, (at % 1_000_000_000) as i64))
}

/// `n reference(s)` with the right plural.
pub fn references(n: u32) -> String {
    if n == 1 { "1 reference".into() } else { format!("{n} references") }
}

/// A semaphore's state in words.
pub fn state_words(state: &PsemState, refs: u32) -> String {
    match state {
        PsemState::Named => "named".into(),
        PsemState::Anonymous { pshared: true } => "anonymous (pshared)".into(),
        PsemState::Anonymous { pshared: false } => "anonymous (not pshared)".into(),
        PsemState::Unlinked => format!("unlinked — still open by {}", references(refs)),
    }
}

fn sem_box(s: &PsemSemView, touched: bool, parked_now: Option<u32>) -> Html {
    let id = s.id;
    let (state_class, state_mark) = match s.state {
        PsemState::Named => ("named", ""),
        PsemState::Anonymous { .. } => ("anonymous", ""),
        PsemState::Unlinked => ("unlinked", "⚠ "),
    };
    let name = match &s.name {
        Some(n) => format!("\"{n}\""),
        None => "no name".into(),
    };
    let holders = if s.holders.is_empty() {
        "no process holds a reference (the name keeps it)".to_string()
    } else {
        let list = s.holders.iter().map(|h| format!("pid {} ×{}", h.pid, h.count)).collect::<Vec<_>>().join(", ");
        format!("held by {list}")
    };
    let waiting = s.waiters.len();
    let refs = match waiting {
        0 => format!("ks_ref {}", s.refs),
        n => format!("ks_ref {} ({} held + {n} waiting)", s.refs, s.refs.saturating_sub(n as u32)),
    };
    let waiters =
        s.waiters.iter().map(|w| views::waiter("psem-waiter", "‖", w, parked_now == Some(w.tid), Html::default()));
    let mode = if matches!(s.state, PsemState::Anonymous { .. }) {
        String::new()
    } else {
        format!(" · mode {:04o}", s.mode & 0o777)
    };
    html! {
        <li class={classes!("psem-sem", state_class, touched.then_some("touched"))} data-testid={format!("psem-sem-{id}")}>
            <div class="psem-head">
                <strong>{ format!("sem {id}") }</strong>
                <span class="mono">{ name }</span>
                <span class={classes!("psem-state", state_class)} data-testid={format!("psem-state-{id}")}>
                    { format!("{state_mark}{}", state_words(&s.state, s.refs)) }
                </span>
            </div>
            <div class="psem-body">
                <span class="sr-only">{ "value " }</span>
                <span class="psem-val" data-testid={format!("psem-value-{id}")}>{ s.value }</span>
                <div class="psem-facts">
                    <div data-testid={format!("psem-refs-{id}")}>{ refs }</div>
                    <div data-testid={format!("psem-holders-{id}")}>{ holders }</div>
                    <div class="muted">
                        { format!("creator uid {} gid {}{mode} · bucket {}", s.uid, s.gid, s.bucket) }
                    </div>
                </div>
                if touched { <span class="marker psem-touched">{ "◀ touched" }</span> }
            </div>
            if !s.waiters.is_empty() {
                <ul class="sem-waiters" aria-label="parked threads">{ for waiters }</ul>
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct PsemProps {
    pub state: Rc<KernelState>,
    pub actor: Option<u32>,
    /// The semaphore id the id forms act on (set by sem_open / sem_init).
    pub id: AttrValue,
    pub on_id: Callback<String>,
    pub on_call: Callback<Call>,
    pub on_error: Callback<String>,
}

/// POSIX semaphore forms, the name list, the semaphores and the reference lists.
#[function_component]
pub fn PsemPanel(props: &PsemProps) -> Html {
    let name = use_state(|| "/items".to_string());
    let creat = use_state(|| true);
    let excl = use_state(|| false);
    let mode = use_state(|| "0600".to_string());
    let value = use_state(|| "0".to_string());
    let init_value = use_state(|| "1".to_string());
    let pshared = use_state(|| true);
    let deadline = use_state(|| "+1000".to_string());

    let actor = props.actor;
    let submit: &dyn Fn(Builder<Call>) -> Callback<SubmitEvent> =
        &submitter(actor, props.id.to_string(), props.on_call.clone(), props.on_error.clone());
    let id_of = |s: &str| -> Result<u32, String> {
        if s.trim().is_empty() {
            return Err("id: empty; sem_open or sem_init gives one".into());
        }
        fit("id", parse_int("id", s)?)
    };

    let open = {
        let (name, creat, excl, mode, value) = (name.clone(), creat.clone(), excl.clone(), mode.clone(), value.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::SemOpen {
                tid,
                name: (*name).clone(),
                creat: *creat,
                excl: *excl,
                mode: fit("mode", parse_octal("mode", &mode)?)?,
                value: fit("value", parse_int("value", &value)?)?,
            })
        }))
    };
    let unlink = {
        let name = name.clone();
        submit(Box::new(move |tid, _| Ok(Call::SemUnlink { tid, name: (*name).clone() })))
    };
    let init = {
        let (init_value, pshared) = (init_value.clone(), pshared.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::SemInit { tid, value: fit("value", parse_int("value", &init_value)?)?, pshared: *pshared })
        }))
    };
    let post = submit(Box::new(move |tid, id| Ok(Call::SemPost { tid, id: id_of(id)? })));
    let wait = submit(Box::new(move |tid, id| Ok(Call::SemWait { tid, id: id_of(id)? })));
    let trywait = submit(Box::new(move |tid, id| Ok(Call::SemTrywait { tid, id: id_of(id)? })));
    let getvalue = submit(Box::new(move |tid, id| Ok(Call::SemGetvalue { tid, id: id_of(id)? })));
    let close = submit(Box::new(move |tid, id| Ok(Call::SemClose { tid, id: id_of(id)? })));
    let destroy = submit(Box::new(move |tid, id| Ok(Call::SemDestroy { tid, id: id_of(id)? })));
    let timedwait = {
        let deadline = deadline.clone();
        let now = props.state.now;
        submit(Box::new(move |tid, id| {
            let (sec, nsec) = parse_deadline(&deadline, now)?;
            Ok(Call::SemTimedwait { tid, id: id_of(id)?, sec, nsec })
        }))
    };

    let table = &props.state.scene.psem;
    let acting_pid = actor.and_then(|t| props.state.process_of(t)).map(|p| p.pid);
    let touched = props.state.touched_psem_ids();
    let parked_now = props.state.parked_now();
    let on_pick = {
        let cb = props.on_id.clone();
        move |id: u32| {
            let cb = cb.clone();
            Callback::from(move |_: MouseEvent| cb.emit(id.to_string()))
        }
    };
    let picks = table.sems.iter().map(|s| {
        html! {
            <button type="button" class="pick" data-testid={format!("psem-pick-{}", s.id)} onclick={on_pick(s.id)}
                aria-label={format!("use semaphore id {}", s.id)}>{ s.id }</button>
        }
    });
    let names = table.names.iter().map(|(name, id)| {
        html! { <li class="mono">{ format!("\"{name}\" → sem {id}") }</li> }
    });
    let procs = table.procs.iter().map(|p| {
        let mine = Some(p.pid) == acting_pid;
        html! {
            <li class={classes!("psem-proc", mine.then_some("mine"))} data-testid={format!("psem-proc-{}", p.pid)}>
                <span>{ format!("pid {}:", p.pid) }</span>
                <ol class="psem-reflist" aria-label={format!("references of pid {}, newest first", p.pid)}>
                    { for p.refs.iter().map(|id| html! { <li>{ format!("sem {id}") }</li> }) }
                </ol>
                if mine { <span class="tag">{ "◀ acting process" }</span> }
            </li>
        }
    });
    let buckets = table.buckets.iter().enumerate().map(|(b, chain)| {
        let chain = if chain.is_empty() {
            "—".to_string()
        } else {
            chain.iter().map(u32::to_string).collect::<Vec<_>>().join(" → ")
        };
        html! { <li><span class="muted">{ format!("{b}: ") }</span>{ chain }</li> }
    });

    html! {
        <section class="panel psem" data-testid="psem" aria-labelledby="psem-h">
            <h2 id="psem-h">{ "POSIX semaphores" }</h2>
            <p class="help">{ "Found by a name such as /items, not by a key. sem_open and sem_init add a reference to \
                the caller's own list, and a process may use only the ids in its list (fork copies it, exit drops it). \
                sem_unlink removes the name at once; the semaphore lives on until its last reference goes." }</p>
            <div class="row">
                <Field label="id" id="psem-id" value={props.id.clone()} oninput={props.on_id.clone()} size={6}
                    hint="the semaphore id used by sem_post, sem_wait, sem_close, …" />
                if !table.sems.is_empty() { <span class="muted">{ "ids:" }</span> }
                { for picks }
            </div>
            <fieldset>
                <legend>{ "by name: sem_open, sem_unlink" }</legend>
                <form onsubmit={open} aria-label="sem_open">
                    <Field label="name" id="psem-name" value={(*name).clone()} oninput={setter(&name)} size={10}
                        hint="\"/\" and up to 13 more bytes, no other \"/\"" />
                    <Check label="O_CREAT" id="psem-creat" checked={*creat} onchange={toggler(&creat)} />
                    <Check label="O_EXCL" id="psem-excl" checked={*excl} onchange={toggler(&excl)} />
                    <Field label="mode" id="psem-mode" value={(*mode).clone()} oninput={setter(&mode)} size={4}
                        hint="permission bits, octal; only the write bits count when another process opens it" />
                    <Field label="value" id="psem-open-value" value={(*value).clone()} oninput={setter(&value)} size={3} />
                    <button type="submit" data-testid="psem-open">{ "sem_open" }</button>
                </form>
                <form onsubmit={unlink} class="inline" aria-label="sem_unlink">
                    <button type="submit" data-testid="psem-unlink" title="removes the name; the semaphore lives on while referenced">
                        { "sem_unlink(name)" }
                    </button>
                </form>
            </fieldset>
            <form onsubmit={init} aria-label="sem_init">
                <fieldset>
                    <legend>{ "sem_init(sem, pshared, value)" }</legend>
                    <Check label="pshared" id="psem-pshared" checked={*pshared} onchange={toggler(&pshared)}
                        hint="kept for the view only: the kernel call has no pshared" />
                    <Field label="value" id="psem-init-value" value={(*init_value).clone()} oninput={setter(&init_value)} size={3} />
                    <button type="submit" data-testid="psem-init">{ "sem_init" }</button>
                </fieldset>
            </form>
            <fieldset>
                <legend>{ "on the id: sem_post(sem) …" }</legend>
                <form onsubmit={post} class="inline" aria-label="sem_post">
                    <button type="submit" data-testid="psem-post">{ "sem_post" }</button>
                </form>
                <form onsubmit={wait} class="inline" aria-label="sem_wait">
                    <button type="submit" data-testid="psem-wait">{ "sem_wait" }</button>
                </form>
                <form onsubmit={trywait} class="inline" aria-label="sem_trywait">
                    <button type="submit" data-testid="psem-trywait">{ "sem_trywait" }</button>
                </form>
                <form onsubmit={getvalue} class="inline" aria-label="sem_getvalue">
                    <button type="submit" data-testid="psem-getvalue">{ "sem_getvalue" }</button>
                </form>
                <form onsubmit={close} class="inline" aria-label="sem_close">
                    <button type="submit" data-testid="psem-close">{ "sem_close" }</button>
                </form>
                <form onsubmit={destroy} class="inline" aria-label="sem_destroy">
                    <button type="submit" data-testid="psem-destroy">{ "sem_destroy" }</button>
                </form>
                <form onsubmit={timedwait} aria-label="sem_timedwait">
                    <Field label="deadline ms" id="psem-deadline" value={(*deadline).clone()} oninput={setter(&deadline)}
                        size={6} hint="absolute logical time in ms (e.g. 2500), or +ms from now (e.g. +500)" />
                    <span class="muted">{ format!("now {} ", ns(props.state.now)) }</span>
                    <button type="submit" data-testid="psem-timedwait">{ "sem_timedwait" }</button>
                </form>
            </fieldset>
            <div class="psem-names" data-testid="psem-names">
                <span class="muted">{ "Names (ksem_head, newest first): " }</span>
                if table.names.is_empty() {
                    <span class="muted">{ "none" }</span>
                } else {
                    <ol>{ for names }</ol>
                }
            </div>
            if table.sems.is_empty() {
                <p class="muted" data-testid="no-psems">{ "No POSIX semaphores yet: sem_open with O_CREAT, or sem_init, makes one." }</p>
            } else {
                <ul class="psem-sems">{ for table.sems.iter().map(|s| sem_box(s, touched.contains(&s.id), parked_now)) }</ul>
            }
            <div class="psem-procs" data-testid="psem-procs">
                <h3>{ "Reference lists (ksem_proc, newest first)" }</h3>
                if table.procs.is_empty() {
                    <p class="muted">{ "no process holds a reference" }</p>
                } else {
                    <ul>{ for procs }</ul>
                }
            </div>
            <details class="psem-buckets" data-testid="psem-buckets">
                <summary>
                    { format!("id hash table: {} buckets (id % {}) · ksem_counter {} · {} of {} semaphores",
                        table.buckets.len(), table.buckets.len(), table.counter, table.sems.len(), table.max_sems) }
                </summary>
                <ol class="psem-chains" start="0">{ for buckets }</ol>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_parse_as_timespecs() {
        assert_eq!(parse_deadline("2500", 0.0), Ok((2, 500_000_000)));
        assert_eq!(parse_deadline(" 0 ", 7.0), Ok((0, 0)));
        assert_eq!(parse_deadline("+500", 1_800_000_000.0), Ok((2, 300_000_000)));
        assert_eq!(parse_deadline("+0", 1_000_000_001.0), Ok((1, 1)));
        assert!(parse_deadline("", 0.0).is_err());
        assert!(parse_deadline("+", 0.0).is_err());
        assert!(parse_deadline("-5", 0.0).is_err());
        assert!(parse_deadline("soon", 0.0).is_err());
        assert!(parse_deadline(&u64::MAX.to_string(), 0.0).is_err());
    }

    #[test]
    fn words() {
        assert_eq!(oflag_words(true, false), "O_CREAT");
        assert_eq!(oflag_words(true, true), "O_CREAT|O_EXCL");
        assert_eq!(oflag_words(false, true), "O_EXCL");
        assert_eq!(oflag_words(false, false), "0");
        assert_eq!(state_words(&PsemState::Unlinked, 2), "unlinked — still open by 2 references");
        assert_eq!(state_words(&PsemState::Unlinked, 1), "unlinked — still open by 1 reference");
        assert_eq!(state_words(&PsemState::Anonymous { pshared: true }, 1), "anonymous (pshared)");
        assert_eq!(state_words(&PsemState::Named, 0), "named");
    }
}
