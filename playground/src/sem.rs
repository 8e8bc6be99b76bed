//! The semaphore panel: forms for semget, semop (an editable operation
//! array) and semctl, and every set drawn as a row of semaphores — value,
//! last pid, `semncnt`/`semzcnt` — with the threads parked on each one
//! queued beside it and why, and the undo records of every process (the
//! acting process's marked).  Everything drawn comes from `inspect`.

use crate::bridge::Call;
use crate::form::{
    Builder, Check, Field, fit, get_flags, parse_int, parse_key, parse_timeout, setter, submitter, toggler,
};
use crate::model::{KernelState, id_both, key_hex, ns};
use crate::panels::IPC_NOWAIT;
use crate::views;
use ipc_core::sem::SemBuf;
use std::rc::Rc;
use yew::prelude::*;

/// `sem_flg`: adjust on exit.
pub const SEM_UNDO: i16 = 0o10000;

/// Reads an operation array: `num op [nowait] [undo]`, separated by `;`.
/// `"0 -1; 1 +1 undo"` is `{0, -1, 0}, {1, +1, SEM_UNDO}`.
pub fn parse_sops(s: &str) -> Result<Vec<(u16, i16, i16)>, String> {
    s.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let words: Vec<&str> = e.split_whitespace().collect();
            let [num, op, flags @ ..] = words.as_slice() else {
                return Err(format!("operation \"{e}\": write `sem_num sem_op [nowait] [undo]`"));
            };
            let num: u16 = fit("sem_num", parse_int("sem_num", num)?)?;
            let op: i16 = fit("sem_op", parse_int("sem_op", op.trim_start_matches('+'))?)?;
            let mut flg = 0i16;
            for f in flags {
                match f.to_ascii_lowercase().as_str() {
                    "nowait" | "ipc_nowait" => flg |= IPC_NOWAIT as i16,
                    "undo" | "sem_undo" => flg |= SEM_UNDO,
                    other => return Err(format!("operation \"{e}\": unknown flag \"{other}\" (nowait, undo)")),
                }
            }
            Ok((num, op, flg))
        })
        .collect()
}

/// An operation in sembuf notation: `{0, -1, SEM_UNDO}`.
pub fn sembuf_words(num: u16, op: i16, flg: i16) -> String {
    let mut flags = Vec::new();
    if flg & IPC_NOWAIT as i16 != 0 {
        flags.push("IPC_NOWAIT");
    }
    if flg & SEM_UNDO != 0 {
        flags.push("SEM_UNDO");
    }
    let flags = if flags.is_empty() { "0".to_string() } else { flags.join("|") };
    format!("{{{num}, {op:+}, {flags}}}")
}

fn array_words(sops: &[SemBuf]) -> String {
    sops.iter().map(|b| sembuf_words(b.sem_num, b.sem_op, b.sem_flg)).collect::<Vec<_>>().join(" ")
}

#[derive(Properties, PartialEq)]
pub struct SemProps {
    pub state: Rc<KernelState>,
    pub actor: Option<u32>,
    /// The set id the forms act on (set by a successful semget).
    pub semid: AttrValue,
    pub on_semid: Callback<String>,
    pub on_call: Callback<Call>,
    pub on_error: Callback<String>,
}

/// Semaphore forms and the sets.
#[function_component]
pub fn SemPanel(props: &SemProps) -> Html {
    let key = use_state(|| "20".to_string());
    let nsems = use_state(|| "2".to_string());
    let creat = use_state(|| true);
    let excl = use_state(|| false);
    let mode = use_state(|| "0666".to_string());
    let sops = use_state(|| "0 -1".to_string());
    let timeout = use_state(String::new);
    let semnum = use_state(|| "0".to_string());
    let val = use_state(|| "1".to_string());

    let actor = props.actor;
    let submit: &dyn Fn(Builder<Call>) -> Callback<SubmitEvent> =
        &submitter(actor, props.semid.to_string(), props.on_call.clone(), props.on_error.clone());
    let id_of = |s: &str| -> Result<i32, String> { fit("semid", parse_int("semid", s)?) };

    let semget = {
        let (key, nsems, creat, excl, mode) = (key.clone(), nsems.clone(), creat.clone(), excl.clone(), mode.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::Semget {
                tid,
                key: parse_key(&key)?,
                nsems: fit("nsems", parse_int("nsems", &nsems)?)?,
                flags: get_flags(&mode, *creat, *excl)?,
            })
        }))
    };
    let semop = {
        let (sops, timeout) = (sops.clone(), timeout.clone());
        submit(Box::new(move |tid, semid| {
            Ok(Call::Semop {
                tid,
                semid: id_of(semid)?,
                sops: parse_sops(&sops)?,
                timeout_ns: parse_timeout(&timeout)?,
            })
        }))
    };
    let setval = {
        let (semnum, val) = (semnum.clone(), val.clone());
        submit(Box::new(move |tid, semid| {
            Ok(Call::SemSetval {
                tid,
                semid: id_of(semid)?,
                semnum: fit("semnum", parse_int("semnum", &semnum)?)?,
                val: fit("value", parse_int("value", &val)?)?,
            })
        }))
    };
    let getall = submit(Box::new(move |tid, semid| Ok(Call::SemGetall { tid, semid: id_of(semid)? })));
    let stat = submit(Box::new(move |tid, semid| Ok(Call::SemStat { tid, semid: id_of(semid)? })));
    let rmid = submit(Box::new(move |tid, semid| Ok(Call::SemRmid { tid, semid: id_of(semid)? })));

    let acting_pid = actor.and_then(|t| props.state.process_of(t)).map(|p| p.pid);
    let touched = &props.state.scene.sem.touched.ids;
    let parked_now = props.state.parked_now();
    let sets = props.state.scene.sem_sets.iter().map(|s| {
        let id = s.id;
        let sems = s.sems.iter().enumerate().map(|(n, sem)| {
            let waiting = s.waiters.iter().filter(|w| usize::from(w.sem_num) == n).map(|w| {
                let array = html! { <div class="muted mono">{ format!("array {}", array_words(&w.sops)) }</div> };
                views::waiter("sem-waiter", "‖", &w.waiter, parked_now == Some(w.waiter.tid), array)
            });
            html! {
                <li class="sem" data-testid={format!("sem-{id}-{n}")}>
                    <div class="sem-box" role="group" aria-label={format!("semaphore {n}: value {}", sem.semval)}>
                        <span class="sem-num">{ format!("#{n}") }</span>
                        <span class="sem-val" data-testid={format!("semval-{id}-{n}")}>{ sem.semval }</span>
                        <span class="muted">{ format!("pid {}", sem.sempid) }</span>
                        <span class="muted" data-testid={format!("semcnt-{id}-{n}")}>
                            { format!("ncnt {} · zcnt {}", sem.semncnt, sem.semzcnt) }
                        </span>
                    </div>
                    <ul class="sem-waiters">{ for waiting }</ul>
                </li>
            }
        });
        let undos = s.undos.iter().map(|u| {
            let mine = Some(u.pid) == acting_pid;
            let adj = u.adjust.iter().map(|a| format!("{a:+}")).collect::<Vec<_>>().join(", ");
            html! {
                <li class={classes!("undo", mine.then_some("mine"))} data-testid={format!("undo-{id}-{}", u.pid)}>
                    { format!("pid {}: adjust on exit [{adj}]", u.pid) }
                    if mine { <span class="tag">{ " ◀ acting process" }</span> }
                </li>
            }
        });
        let state = if s.removed { format!(" · removed, {} reference(s) left", s.refs) } else { String::new() };
        html! {
            <li class={classes!("semset", touched.contains(&id).then_some("touched"))} data-testid={format!("semset-{id}")}>
                <div class="q-head">
                    <strong>{ format!("semid {}", id_both(id)) }</strong>
                    { format!(" · key {} · mode {:04o} · owner uid {} · otime {}{state}", key_hex(s.perm.key),
                        s.perm.mode & 0o777, s.perm.uid, ns(s.otime as f64)) }
                </div>
                <ul class="sems">{ for sems }</ul>
                if !s.undos.is_empty() {
                    <ul class="undos" aria-label="undo records">{ for undos }</ul>
                }
            </li>
        }
    });

    html! {
        <section class="panel semaphores" data-testid="semaphores" aria-labelledby="sem-h">
            <h2 id="sem-h">{ "Semaphore arrays" }</h2>
            <p class="help">{ "semop applies its whole array atomically, in order, or nothing: a thread that cannot \
                proceed parks, counted in the semaphore's ncnt (waiting for a rise) or zcnt (waiting for zero)." }</p>
            <div class="row">
                <Field label="semid" id="semid" value={props.semid.clone()} oninput={props.on_semid.clone()} size={11}
                    hint="the set id used by semop and semctl (decimal or 0x hex)" />
            </div>
            <form onsubmit={semget} aria-label="semget">
                <fieldset>
                    <legend>{ "semget(key, nsems, semflg)" }</legend>
                    <Field label="key 0x" id="semget-key" value={(*key).clone()} oninput={setter(&key)} size={6} />
                    <Field label="nsems" id="semget-nsems" value={(*nsems).clone()} oninput={setter(&nsems)} size={3} />
                    <Check label="IPC_CREAT" id="semget-creat" checked={*creat} onchange={toggler(&creat)} />
                    <Check label="IPC_EXCL" id="semget-excl" checked={*excl} onchange={toggler(&excl)} />
                    <Field label="mode" id="semget-mode" value={(*mode).clone()} oninput={setter(&mode)} size={4} />
                    <button type="submit" data-testid="semget">{ "semget" }</button>
                </fieldset>
            </form>
            <form onsubmit={semop} aria-label="semop">
                <fieldset>
                    <legend>{ "semop(semid, sops, nsops)" }</legend>
                    <Field label="sops" id="semop-sops" value={(*sops).clone()} oninput={setter(&sops)} size={18}
                        hint="operations separated by ;, each: sem_num sem_op [nowait] [undo], e.g. 0 -1; 1 +1 undo" />
                    <Field label="timeout ms" id="semop-timeout" value={(*timeout).clone()} oninput={setter(&timeout)}
                        size={4} hint="optional: semtimedop, gives up with EAGAIN" placeholder="none" />
                    <button type="submit" data-testid="semop">{ "semop" }</button>
                </fieldset>
            </form>
            <fieldset>
                <legend>{ "semctl(semid, semnum, cmd, arg)" }</legend>
                <form onsubmit={setval} aria-label="semctl SETVAL">
                    <Field label="semnum" id="semctl-semnum" value={(*semnum).clone()} oninput={setter(&semnum)} size={3} />
                    <Field label="value" id="semctl-val" value={(*val).clone()} oninput={setter(&val)} size={5} />
                    <button type="submit" data-testid="semctl-setval">{ "SETVAL" }</button>
                </form>
                <form onsubmit={getall} class="inline" aria-label="semctl GETALL">
                    <button type="submit" data-testid="semctl-getall">{ "GETALL" }</button>
                </form>
                <form onsubmit={stat} class="inline" aria-label="semctl IPC_STAT">
                    <button type="submit" data-testid="semctl-stat">{ "IPC_STAT" }</button>
                </form>
                <form onsubmit={rmid} class="inline" aria-label="semctl IPC_RMID">
                    <button type="submit" data-testid="semctl-rmid">{ "IPC_RMID" }</button>
                </form>
            </fieldset>
            if props.state.scene.sem_sets.is_empty() {
                <p class="muted" data-testid="no-semsets">{ "No semaphore sets yet: semget with IPC_CREAT makes one." }</p>
            } else {
                <ul class="semsets">{ for sets }</ul>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_arrays_parse() {
        assert_eq!(parse_sops("0 -1"), Ok(vec![(0, -1, 0)]));
        assert_eq!(
            parse_sops("0 -1; 1 +1 undo ; 2 0 nowait undo"),
            Ok(vec![(0, -1, 0), (1, 1, SEM_UNDO), (2, 0, 0o14000)])
        );
        assert_eq!(parse_sops(""), Ok(vec![]));
        assert!(parse_sops("0").is_err());
        assert!(parse_sops("0 1 later").is_err());
        assert!(parse_sops("70000 1").is_err());
        assert_eq!(sembuf_words(1, -2, SEM_UNDO), "{1, -2, SEM_UNDO}");
    }
}
