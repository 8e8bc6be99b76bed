//! The shared-memory panel: forms for shmget, shmat / shmdt, shmctl
//! (IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK), the memory itself
//! (a store of text, a load of bytes, at an address of the acting
//! process) and the tunables; then every segment — id, key, size as asked
//! and in pages, `shm_nattch`, creator and last pid, the three times, its
//! flags and a hex view of its first bytes, the bytes the last store
//! touched highlighted — with a removed segment that is still attached
//! drawn as such, and every process's address space with its attachments.
//! Everything drawn comes from `inspect.shm` and the event log.

use crate::bridge::{Call, Tunable};
use crate::form::{
    Builder, Check, Field, fit, get_flags, parse_int, parse_key, parse_octal, setter, submitter, toggler,
};
use crate::model::{KernelState, ShmStore, id_both, key_hex, ns};
use ipc_core::shm::view::{ShmSegView, ShmTableView};
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// shmget flag: a removed segment stays attachable by id.
pub const SHM_RMLINGER: i32 = 0x2000;
/// shmat flags.
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
/// How many bytes a row of the hex view shows.
pub const HEX_ROW: usize = 16;

/// The fields the app fills: the segment id (by shmget) and the addresses
/// shmdt, the store and the load act at (by shmat).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShmFields {
    pub shmid: String,
    pub dt_addr: String,
    pub write_addr: String,
    pub read_addr: String,
}

impl ShmFields {
    /// These fields with every address field set to `addr` (in hex).
    pub fn at(&self, addr: u64) -> ShmFields {
        let a = addr_hex(addr);
        ShmFields { dt_addr: a.clone(), write_addr: a.clone(), read_addr: a, ..self.clone() }
    }
}

/// An address as the panel writes it: `0x10000000`.
pub fn addr_hex(a: u64) -> String {
    format!("{a:#x}")
}

/// shmget's flags in words: `IPC_CREAT|IPC_EXCL|_SHM_RMLINGER|0666`.
pub fn shmget_flag_words(flags: i32) -> String {
    let mut words: Vec<String> = [(0o1000, "IPC_CREAT"), (0o2000, "IPC_EXCL"), (SHM_RMLINGER, "_SHM_RMLINGER")]
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    words.push(format!("{:04o}", flags & 0o777));
    words.join("|")
}

/// shmat's flags in words: `SHM_RDONLY|SHM_RND`, or `0`.
pub fn shmat_flag_words(flags: i32) -> String {
    let words: Vec<&str> = [(SHM_RDONLY, "SHM_RDONLY"), (SHM_RND, "SHM_RND")]
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if words.is_empty() { "0".into() } else { words.join("|") }
}

/// An address field: decimal or `0x` hex; empty is 0 only where `empty_ok`.
pub fn parse_addr(what: &str, s: &str, empty_ok: bool) -> Result<u64, String> {
    if s.trim().is_empty() {
        return if empty_ok { Ok(0) } else { Err(format!("{what}: empty; shmat gives an address")) };
    }
    fit(what, parse_int(what, s)?).map_err(|_| format!("{what}: \"{s}\" is not an address"))
}

/// Bytes in hex, space-separated: `68 65 6c`.
pub fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Bytes as text: UTF-8 where it is, escapes for control characters.
pub fn bytes_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

/// `n byte(s)` / `n page(s)` with the right plural.
fn plural(n: u64, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") }
}

/// The segment's state in words.
pub fn state_words(s: &ShmSegView) -> String {
    let by = match s.nattch {
        0 => "not attached".to_string(),
        n => format!("attached by {n}"),
    };
    if s.removed {
        let linger = if s.rmlinger { " · still attachable by id (_SHM_RMLINGER)" } else { "" };
        format!("removed — key {}, still {by}; freed at the last detach{linger}", key_hex(s.perm.key))
    } else {
        by
    }
}

/// Which bytes of the preview the last store touched, as offsets.
fn hits(seg: &ShmSegView, stores: &[ShmStore]) -> Vec<bool> {
    let mut hit = vec![false; seg.preview.len()];
    for st in stores.iter().filter(|st| st.shmid == seg.id) {
        let end = st.offset.saturating_add(st.len).min(hit.len() as u64);
        for i in st.offset.min(end)..end {
            hit[i as usize] = true;
        }
    }
    hit
}

/// The first bytes of a segment, 16 a row, with printable ASCII beside.
fn hex_view(seg: &ShmSegView, stores: &[ShmStore]) -> Html {
    let hit = hits(seg, stores);
    let stored = hit.contains(&true);
    let segsz = seg.segsz;
    let rows = seg.preview.chunks(HEX_ROW).enumerate().map(|(r, row)| {
        let base = r * HEX_ROW;
        let cell = |i: usize, text: String| {
            let at = base + i;
            let beyond = at as u64 >= segsz;
            html! {
                <span class={classes!("b", hit[at].then_some("hit"), beyond.then_some("beyond"), (i == 8).then_some("mid"))}>
                    { text }
                </span>
            }
        };
        let hex = row.iter().enumerate().map(|(i, &b)| html! { <>{ cell(i, format!("{b:02x}")) }{ " " }</> });
        let ascii = row.iter().enumerate().map(|(i, &b)| {
            let c = if (0x20..0x7f).contains(&b) { b as char } else { '.' };
            cell(i, c.to_string())
        });
        html! {
            <div class="hex-row">
                <span class="off">{ format!("{base:04x}") }</span>
                <span class="hex">{ for hex }</span>
                <span class="ascii">{ for ascii }</span>
            </div>
        }
    });
    let outside: Vec<String> = stores
        .iter()
        .filter(|st| st.shmid == seg.id && st.offset.saturating_add(st.len) > seg.preview.len() as u64)
        .map(|st| format!("{} stored at offset {}", plural(st.len, "byte"), st.offset))
        .collect();
    let shown = seg.preview.len();
    html! {
        <div class="hexbox">
            <div class="hex-view mono" data-testid={format!("shm-hex-{}", seg.id)} tabindex="0" role="region"
                aria-label={format!("the first {shown} bytes of shmid {} (scrolls)", seg.id)}>
                { for rows }
            </div>
            <div class="muted hex-note">
                { format!("first {shown} bytes") }
                if stored { { "; " }<span class="b hit">{ "00" }</span>{ " the last store" } }
                if shown as u64 > segsz { { "; " }<span class="b beyond">{ "00" }</span>{ " past the size asked (still in the page)" } }
                if !outside.is_empty() { { format!("; beyond this view: {}", outside.join(", ")) } }
            </div>
        </div>
    }
}

fn segment(seg: &ShmSegView, table: &ShmTableView, touched: bool, stores: &[ShmStore]) -> Html {
    let id = seg.id;
    let attached = table.attachments_of(id);
    let attached = if attached.is_empty() {
        "no process has it attached".to_string()
    } else {
        let list = attached
            .iter()
            .map(|(pid, a)| format!("pid {pid} at {}{}", addr_hex(a.va), if a.rdonly { " (SHM_RDONLY)" } else { "" }))
            .collect::<Vec<_>>()
            .join(", ");
        format!("attached: {list}")
    };
    let mut flags = Vec::new();
    if seg.rmlinger {
        flags.push("_SHM_RMLINGER");
    }
    if seg.locked {
        flags.push("SHM_LOCK: wired");
    }
    let flags = if flags.is_empty() { String::new() } else { format!(" · {}", flags.join(" · ")) };
    let page = if table.page_size > 0 { table.page_size } else { 4096 };
    html! {
        <li class={classes!("shm-seg", seg.removed.then_some("removed"), touched.then_some("touched"))}
            data-testid={format!("shm-seg-{id}")}>
            <div class="shm-head">
                <strong>{ format!("shmid {}", id_both(id)) }</strong>
                <span>{ format!("key {}", key_hex(seg.perm.key)) }</span>
                <span class="shm-nattch" data-testid={format!("shm-nattch-{id}")}>{ format!("nattch {}", seg.nattch) }</span>
                if touched { <span class="marker">{ "◀ touched" }</span> }
            </div>
            <div class={classes!("shm-state", seg.removed.then_some("removed"))} data-testid={format!("shm-state-{id}")}>
                { if seg.removed { format!("⚠ {}", state_words(seg)) } else { state_words(seg) } }
            </div>
            <div class="shm-facts">
                <div data-testid={format!("shm-size-{id}")}>
                    { format!("size {} asked → {} ({} bytes), {} written", plural(seg.segsz, "byte"), plural(seg.pages, "page"),
                        seg.pages * page, plural(seg.resident, "page")) }
                </div>
                <div>{ format!("mode {:04o} · owner uid {} gid {} · creator uid {} · cpid {} · lpid {}{flags}",
                    seg.perm.mode & 0o777, seg.perm.uid, seg.perm.gid, seg.perm.cuid, seg.cpid, seg.lpid) }</div>
                <div class="muted">{ format!("atime {} · dtime {} · ctime {} · refs {}", ns(seg.atime as f64), ns(seg.dtime as f64),
                    ns(seg.ctime as f64), seg.refs) }</div>
                <div data-testid={format!("shm-attached-{id}")}>{ attached }</div>
            </div>
            { hex_view(seg, stores) }
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShmProps {
    pub state: Rc<KernelState>,
    pub actor: Option<u32>,
    /// The segment id and addresses the forms act on.
    pub fields: ShmFields,
    pub on_fields: Callback<ShmFields>,
    pub on_call: Callback<Call>,
    pub on_error: Callback<String>,
}

/// Shared-memory forms, the segments and the address spaces.
#[function_component]
pub fn ShmPanel(props: &ShmProps) -> Html {
    let key = use_state(|| "0".to_string());
    let size = use_state(|| "100".to_string());
    let creat = use_state(|| true);
    let excl = use_state(|| false);
    let rmlinger = use_state(|| false);
    let mode = use_state(|| "0666".to_string());
    let at_addr = use_state(String::new);
    let rdonly = use_state(|| false);
    let rnd = use_state(|| false);
    let set_mode = use_state(|| "0600".to_string());
    let text = use_state(|| "hello".to_string());
    let read_len = use_state(|| "16".to_string());
    let tunable = use_state(|| Tunable::Shmseg);
    let tunable_value = use_state(|| "4".to_string());

    let actor = props.actor;
    let fields = props.fields.clone();
    let submit: &dyn Fn(Builder<Call>) -> Callback<SubmitEvent> =
        &submitter(actor, fields.shmid.clone(), props.on_call.clone(), props.on_error.clone());
    let id_of = |s: &str| -> Result<i32, String> {
        if s.trim().is_empty() {
            return Err("shmid: empty; shmget gives one".into());
        }
        fit("shmid", parse_int("shmid", s)?)
    };
    // One field of `fields` as an oninput callback.
    let field = |pick: fn(&mut ShmFields) -> &mut String| {
        let (cb, fields) = (props.on_fields.clone(), fields.clone());
        Callback::from(move |v: String| {
            let mut f = fields.clone();
            *pick(&mut f) = v;
            cb.emit(f);
        })
    };

    let shmget = {
        let (key, size, creat, excl, rmlinger, mode) =
            (key.clone(), size.clone(), creat.clone(), excl.clone(), rmlinger.clone(), mode.clone());
        submit(Box::new(move |tid, _| {
            let mut flags = get_flags(&mode, *creat, *excl)?;
            if *rmlinger {
                flags |= SHM_RMLINGER;
            }
            Ok(Call::Shmget { tid, key: parse_key(&key)?, size: fit("size", parse_int("size", &size)?)?, flags })
        }))
    };
    let shmat = {
        let (at_addr, rdonly, rnd) = (at_addr.clone(), rdonly.clone(), rnd.clone());
        submit(Box::new(move |tid, shmid| {
            let mut flags = 0;
            if *rdonly {
                flags |= SHM_RDONLY;
            }
            if *rnd {
                flags |= SHM_RND;
            }
            Ok(Call::Shmat { tid, shmid: id_of(shmid)?, addr: parse_addr("address", &at_addr, true)?, flags })
        }))
    };
    let shmdt = {
        let a = fields.dt_addr.clone();
        submit(Box::new(move |tid, _| Ok(Call::Shmdt { tid, addr: parse_addr("address", &a, false)? })))
    };
    let stat = submit(Box::new(move |tid, shmid| Ok(Call::ShmStat { tid, shmid: id_of(shmid)? })));
    let rmid = submit(Box::new(move |tid, shmid| Ok(Call::ShmRmid { tid, shmid: id_of(shmid)? })));
    let lock = submit(Box::new(move |tid, shmid| Ok(Call::ShmLock { tid, shmid: id_of(shmid)?, lock: true })));
    let unlock = submit(Box::new(move |tid, shmid| Ok(Call::ShmLock { tid, shmid: id_of(shmid)?, lock: false })));
    let set = {
        let set_mode = set_mode.clone();
        let table = props.state.scene.shm_table.clone();
        submit(Box::new(move |tid, shmid| {
            let id = id_of(shmid)?;
            // The owner stays; only the mode changes.
            let (uid, gid) = table.segment(id).map(|s| (s.perm.uid, s.perm.gid)).unwrap_or_default();
            Ok(Call::ShmSet { tid, shmid: id, uid, gid, mode: fit("mode", parse_octal("mode", &set_mode)?)? })
        }))
    };
    let write = {
        let (a, text) = (fields.write_addr.clone(), text.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::ShmWrite { tid, addr: parse_addr("address", &a, false)?, data: (*text).clone().into() })
        }))
    };
    let read = {
        let (a, len) = (fields.read_addr.clone(), read_len.clone());
        submit(Box::new(move |tid, _| {
            Ok(Call::ShmRead {
                tid,
                addr: parse_addr("address", &a, false)?,
                len: fit("length", parse_int("length", &len)?)?,
            })
        }))
    };
    let set_tunable = {
        let (tunable, value) = (tunable.clone(), tunable_value.clone());
        submit(Box::new(move |tid, _| {
            let v: u64 = fit("value", parse_int("value", &value)?)?;
            if tunable.narrow() && u32::try_from(v).is_err() {
                return Err(format!("{}: {v} does not fit in 32 bits", tunable.name()));
            }
            Ok(Call::ShmTunable { tid, tunable: *tunable, value: v })
        }))
    };
    let on_tunable = {
        let tunable = tunable.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(t) = Tunable::from_name(&select.value()) {
                tunable.set(t);
            }
        })
    };

    let table = &props.state.scene.shm_table;
    let touched = &props.state.scene.shm.touched.ids;
    let stores = props.state.shm_stores();
    let acting_pid = actor.and_then(|t| props.state.process_of(t)).map(|p| p.pid);
    let use_attach = {
        let (cb, fields) = (props.on_fields.clone(), fields.clone());
        move |shmid: i32, va: u64| {
            let (cb, fields) = (cb.clone(), fields.clone());
            Callback::from(move |_: MouseEvent| cb.emit(ShmFields { shmid: shmid.to_string(), ..fields.at(va) }))
        }
    };
    let picks = table.segments.iter().map(|s| {
        let (cb, fields, id) = (props.on_fields.clone(), fields.clone(), s.id);
        let onclick =
            Callback::from(move |_: MouseEvent| cb.emit(ShmFields { shmid: id.to_string(), ..fields.clone() }));
        html! {
            <button type="button" class="pick" data-testid={format!("shm-pick-{id}")} {onclick}
                aria-label={format!("use shmid {id}")}>{ id }</button>
        }
    });
    let spaces = props.state.scene.processes.iter().map(|p| {
        let pid = p.pid;
        let mine = Some(pid) == acting_pid;
        let map = table.map_of(pid);
        let attaches = map.iter().map(|a| {
            let (va, len) = (a.va, a.len);
            let removed = table.segment(a.shmid).is_some_and(|s| s.removed);
            html! {
                <li class={classes!("attach", a.rdonly.then_some("rdonly"), removed.then_some("removed"))}>
                    <span class="mono">{ format!("{}–{}", addr_hex(va), addr_hex(va + len.saturating_sub(1))) }</span>
                    { format!(" shmid {} · {} · {}{}", id_both(a.shmid), plural(len, "byte"),
                        if a.rdonly { "read-only (SHM_RDONLY)" } else { "read/write" },
                        if removed { " · removed" } else { "" }) }
                    <button type="button" class="pick" onclick={use_attach(a.shmid, va)}
                        title="fill the shmid and the shmdt / write / read addresses with this attachment"
                        aria-label={format!("use address {} of pid {pid}", addr_hex(va))}>{ "use" }</button>
                </li>
            }
        });
        html! {
            <li class={classes!("shm-map", mine.then_some("mine"))} data-testid={format!("shm-map-{pid}")}>
                <span>{ format!("pid {pid} (uid {})", p.euid) }</span>
                if mine { <span class="tag">{ " ◀ acting process" }</span> }
                if map.is_empty() {
                    <span class="muted">{ " · nothing attached" }</span>
                } else {
                    <ul class="attaches">{ for attaches }</ul>
                }
            </li>
        }
    });
    let tunable_options = Tunable::ALL.into_iter().map(|t| {
        html! { <option value={t.name()} selected={t == *tunable}>{ t.name() }</option> }
    });
    let pct = |a: f64, b: f64| if b > 0.0 { (a / b * 100.0).min(100.0) } else { 0.0 };

    html! {
        <section class="panel shm" data-testid="shm" aria-labelledby="shm-h">
            <h2 id="shm-h">{ "Shared memory" }</h2>
            <p class="help">{ "A segment is a run of memory pages. shmat maps it into the caller's own address space: \
                what one process writes there, every process attached reads at once. IPC_RMID while it is attached only \
                marks it removed; the last shmdt (or exit) frees it. Touching an address where nothing is attached is a \
                fault: EFAULT." }</p>
            <div class="usage" data-testid="shm-limits">
                <span class="nowrap">
                    <span class="meter" aria-hidden="true"><span style={format!("width:{}%", pct(f64::from(table.nused), f64::from(table.limits.shmmni)))}></span></span>
                    { format!("{}/{} segments (shmmni);", table.nused, table.limits.shmmni) }
                </span>
                { " " }
                <span class="nowrap">
                    <span class="meter" aria-hidden="true"><span style={format!("width:{}%", pct(table.committed as f64, table.limits.shmall as f64))}></span></span>
                    { format!("{}/{} pages committed (shmall)", table.committed, table.limits.shmall) }
                </span>
            </div>
            <div class="row">
                <Field label="shmid" id="shm-shmid" value={fields.shmid.clone()} oninput={field(|f| &mut f.shmid)} size={11}
                    hint="the segment id used by shmat and shmctl (decimal or 0x hex)" />
                if !table.segments.is_empty() { <span class="muted">{ "ids:" }</span> }
                { for picks }
            </div>
            <form onsubmit={shmget} aria-label="shmget">
                <fieldset>
                    <legend>{ "shmget(key, size, shmflg)" }</legend>
                    <Field label="key 0x" id="shmget-key" value={(*key).clone()} oninput={setter(&key)} size={6}
                        hint="the key, in hex; 0 is IPC_PRIVATE: always a new segment" />
                    <Field label="size" id="shmget-size" value={(*size).clone()} oninput={setter(&size)} size={5}
                        hint="bytes; the segment takes whole pages of 4096 bytes" />
                    <Check label="IPC_CREAT" id="shmget-creat" checked={*creat} onchange={toggler(&creat)} />
                    <Check label="IPC_EXCL" id="shmget-excl" checked={*excl} onchange={toggler(&excl)} />
                    <Check label="_SHM_RMLINGER" id="shmget-rmlinger" checked={*rmlinger} onchange={toggler(&rmlinger)}
                        hint="once removed, the segment can still be attached by its id while attached somewhere" />
                    <Field label="mode" id="shmget-mode" value={(*mode).clone()} oninput={setter(&mode)} size={4}
                        hint="permission bits, octal" />
                    <button type="submit" data-testid="shmget">{ "shmget" }</button>
                </fieldset>
            </form>
            <fieldset>
                <legend>{ "shmat(shmid, shmaddr, shmflg) · shmdt(shmaddr)" }</legend>
                <form onsubmit={shmat} aria-label="shmat">
                    <Field label="addr" id="shmat-addr" value={(*at_addr).clone()} oninput={setter(&at_addr)} size={10}
                        placeholder="0: kernel's" hint="empty or 0: the kernel chooses (the lowest free range from 0x10000000); else page-aligned, or rounded down with SHM_RND" />
                    <Check label="SHM_RDONLY" id="shmat-rdonly" checked={*rdonly} onchange={toggler(&rdonly)} />
                    <Check label="SHM_RND" id="shmat-rnd" checked={*rnd} onchange={toggler(&rnd)} />
                    <button type="submit" data-testid="shmat">{ "shmat" }</button>
                </form>
                <form onsubmit={shmdt} aria-label="shmdt">
                    <Field label="addr" id="shmdt-addr" value={fields.dt_addr.clone()} oninput={field(|f| &mut f.dt_addr)}
                        size={11} hint="where a segment was attached (shmat fills it)" />
                    <button type="submit" data-testid="shmdt">{ "shmdt" }</button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "shmctl(shmid, cmd, buf)" }</legend>
                <form onsubmit={stat} class="inline" aria-label="shmctl IPC_STAT">
                    <button type="submit" data-testid="shmctl-stat">{ "IPC_STAT" }</button>
                </form>
                <form onsubmit={rmid} class="inline" aria-label="shmctl IPC_RMID">
                    <button type="submit" data-testid="shmctl-rmid"
                        title="removes the key now; the segment itself goes at its last detach">{ "IPC_RMID" }</button>
                </form>
                <form onsubmit={lock} class="inline" aria-label="shmctl SHM_LOCK">
                    <button type="submit" data-testid="shmctl-lock" title="privileged; wires the segment if the caller has it attached">
                        { "SHM_LOCK" }
                    </button>
                </form>
                <form onsubmit={unlock} class="inline" aria-label="shmctl SHM_UNLOCK">
                    <button type="submit" data-testid="shmctl-unlock">{ "SHM_UNLOCK" }</button>
                </form>
                <form onsubmit={set} class="inline" aria-label="shmctl IPC_SET">
                    <Field label="mode" id="shmctl-mode" value={(*set_mode).clone()} oninput={setter(&set_mode)} size={4}
                        hint="new permission bits, octal (the owner stays)" />
                    <button type="submit" data-testid="shmctl-set">{ "IPC_SET" }</button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "memory of the acting process: store, load" }</legend>
                <form onsubmit={write} aria-label="write to memory">
                    <Field label="addr" id="shm-write-addr" value={fields.write_addr.clone()}
                        oninput={field(|f| &mut f.write_addr)} size={11} hint="an address inside an attachment (shmat fills it)" />
                    <Field label="text" id="shm-write-text" value={(*text).clone()} oninput={setter(&text)} size={10}
                        hint="stored as its UTF-8 bytes" />
                    <button type="submit" data-testid="shm-write">{ "write" }</button>
                </form>
                <form onsubmit={read} aria-label="read from memory">
                    <Field label="addr" id="shm-read-addr" value={fields.read_addr.clone()}
                        oninput={field(|f| &mut f.read_addr)} size={11} hint="an address inside an attachment (shmat fills it)" />
                    <Field label="length" id="shm-read-len" value={(*read_len).clone()} oninput={setter(&read_len)} size={4}
                        hint="bytes to load" />
                    <button type="submit" data-testid="shm-read">{ "read" }</button>
                </form>
            </fieldset>
            <details class="shm-tunables">
                <summary>{ format!("tunables: shmmax {} bytes · shmseg {} per process · page {} bytes",
                    table.limits.shmmax, table.limits.shmseg, table.page_size) }</summary>
                <p class="muted">{ "sysctl kern.ipc.*: a privileged process may change them (EPERM otherwise)." }</p>
                <form onsubmit={set_tunable} aria-label="set a shared-memory tunable">
                    <span class="field">
                        <label for="shm-tunable">{ "tunable" }</label>
                        <select id="shm-tunable" data-testid="shm-tunable" onchange={on_tunable}>{ for tunable_options }</select>
                    </span>
                    <Field label="value" id="shm-tunable-value" value={(*tunable_value).clone()} oninput={setter(&tunable_value)}
                        size={8} hint="shmmax in bytes, shmmaxpgs (shmall) in pages, shmmni in segments, shmseg in attachments per process" />
                    <button type="submit" data-testid="shm-set-tunable">{ "set" }</button>
                </form>
            </details>
            if table.segments.is_empty() {
                <p class="muted" data-testid="no-shm">{ "No segments yet: shmget with IPC_CREAT (or key 0, IPC_PRIVATE) makes one." }</p>
            } else {
                <ul class="shm-segs">
                    { for table.segments.iter().map(|s| segment(s, table, touched.contains(&s.id), &stores)) }
                </ul>
            }
            <div class="shm-maps" data-testid="shm-maps">
                <h3>{ "Address spaces (attach maps, newest first)" }</h3>
                <ul>{ for spaces }</ul>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_core::namespace::IpcPerm;

    #[test]
    fn words() {
        assert_eq!(shmget_flag_words(0o1666), "IPC_CREAT|0666");
        assert_eq!(shmget_flag_words(0o3600 | SHM_RMLINGER), "IPC_CREAT|IPC_EXCL|_SHM_RMLINGER|0600");
        assert_eq!(shmat_flag_words(0), "0");
        assert_eq!(shmat_flag_words(SHM_RDONLY | SHM_RND), "SHM_RDONLY|SHM_RND");
        assert_eq!(hex_bytes(b"hello"), "68 65 6c 6c 6f");
        assert_eq!(bytes_text(b"hi\0"), "hi\\0");
        assert_eq!(addr_hex(0x1000_0000), "0x10000000");
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(parse_addr("a", "", true), Ok(0));
        assert!(parse_addr("a", " ", false).is_err());
        assert_eq!(parse_addr("a", "0x10000000", false), Ok(0x1000_0000));
        assert_eq!(parse_addr("a", "4096", false), Ok(4096));
        assert!(parse_addr("a", "-1", false).is_err());
        assert!(parse_addr("a", "here", false).is_err());
        let f = ShmFields { shmid: "3".into(), ..ShmFields::default() }.at(0x1000_0000);
        assert_eq!((f.shmid.as_str(), f.dt_addr.as_str(), f.read_addr.as_str()), ("3", "0x10000000", "0x10000000"));
    }

    #[test]
    fn the_removed_state_says_what_keeps_it() {
        let mut s = ShmSegView { nattch: 2, removed: true, perm: IpcPerm::default(), ..ShmSegView::default() };
        assert_eq!(state_words(&s), "removed — key IPC_PRIVATE, still attached by 2; freed at the last detach");
        s.rmlinger = true;
        assert!(state_words(&s).ends_with("still attachable by id (_SHM_RMLINGER)"));
        let live = ShmSegView { nattch: 0, ..ShmSegView::default() };
        assert_eq!(state_words(&live), "not attached");
    }

    #[test]
    fn a_store_highlights_its_bytes_in_the_preview() {
        let seg = ShmSegView { id: 7, preview: vec![0; 64], segsz: 100, ..ShmSegView::default() };
        let stores = [ShmStore { shmid: 7, offset: 2, len: 3 }, ShmStore { shmid: 8, offset: 0, len: 1 }];
        let hit = hits(&seg, &stores);
        assert_eq!(hit.iter().enumerate().filter(|(_, h)| **h).map(|(i, _)| i).collect::<Vec<_>>(), vec![2, 3, 4]);
        // A store past the preview highlights nothing and does not panic.
        assert!(!hits(&seg, &[ShmStore { shmid: 7, offset: 100, len: u64::MAX }]).contains(&true));
    }
}
