//! The read-only views, redrawn from the component's state after every
//! call: the slot table, the AVL tree of keys (SVG), the id list, the
//! message queues and the event log.  What the newest event touched is
//! marked with a border and the words "◀ touched".

use crate::model::{KernelState, id_both, key_hex, ns};
use ipc_core::inspect::log::{EventView, OutcomeView, StepKind};
use ipc_core::inspect::scene::Page;
use ipc_core::inspect::{KeyNodeView as KeyNode, WaiterView};
use ipc_core::msg::view::MsgQueueView;
use ipc_core::namespace::Facility;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StateProps {
    pub state: Rc<KernelState>,
    /// The namespace the namespace views draw ("msg", "sem" or "shm").
    #[prop_or("msg")]
    pub shown: &'static str,
    /// A pager's button: show another page of a list (the page asks the
    /// kernel for the scene again).
    #[prop_or_default]
    pub on_page: Callback<PageTo>,
}

/// The long lists the kernel sends one page of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Slots,
    Ids,
    Queues,
}

/// A pager's request: this page of this list, chosen while the list's
/// focus (the row the step touched) is `focus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageTo {
    pub list: List,
    pub page: u32,
    pub focus: Option<u32>,
}

/// Rows drawn per page of a long table or list: about a screenful, so the
/// page stays small (and fast) at 10^4 objects; the pager moves through
/// the rest.
pub const PAGE: usize = 32;

/// The newest events the event log draws (the timeline reaches every step).
pub const EVENTS_SHOWN: u32 = 30;

/// The levels below the root a large tree's overview draws (31 nodes, plus
/// the way down to what the step touched): what fits the panel readably.
pub const OVERVIEW_LEVELS: u32 = 4;

/// "rows a–b of n" and the buttons that move a page (none for a short
/// list): `page` is the page of the list the kernel sent.
pub fn pager<T>(what: &str, testid: &str, list: List, page: &Page<T>, on_page: &Callback<PageTo>) -> Html {
    let (len, size) = (page.total as usize, PAGE);
    if len <= size {
        return html! {};
    }
    let pages = len.div_ceil(size);
    let at = page.first as usize / size;
    let focus = page.focus;
    let go = |to: usize| {
        let on_page = on_page.clone();
        Callback::from(move |_: MouseEvent| on_page.emit(PageTo { list, page: to as u32, focus }))
    };
    let (from, to) = (page.first as usize, page.first as usize + page.rows.len());
    html! {
        <div class="pager" data-testid={testid.to_string()} role="group" aria-label={format!("pages of {what}")}>
            <span>{ format!("{what} {}–{} of {len} ", from, to.saturating_sub(1)) }</span>
            <button type="button" disabled={at == 0} onclick={go(0)}>{ "« first" }</button>
            <button type="button" disabled={at == 0} onclick={go(at.saturating_sub(1))}>{ "‹ previous" }</button>
            <button type="button" disabled={at + 1 >= pages} onclick={go(at + 1)}>{ "next ›" }</button>
            <button type="button" disabled={at + 1 >= pages} onclick={go(pages - 1)}>{ "last »" }</button>
            if let Some(f) = focus {
                <button type="button" disabled={f as usize / size == at} onclick={go(f as usize / size)}>{ "◀ the touched one" }</button>
            }
        </div>
    }
}

/// The namespace's slot table: index, sequence number, id, occupant.
#[function_component]
pub fn SlotTable(props: &StateProps) -> Html {
    let ns = props.state.ns(props.shown);
    let touched = &ns.touched.slots;
    let grown = ns.touched.grown_from;
    // A refused call marks the slot its id maps to: where the kernel looked.
    let refused = props.state.last_event().is_some_and(|e| matches!(e.outcome, OutcomeView::Failed(_)));
    let table = ns.slots.total as usize;
    let rows = ns.slots.rows.iter().map(|s| {
        let hit = touched.contains(&s.index);
        let new = grown.is_some_and(|from| s.index >= from);
        let marker = match (hit, new) {
            (true, _) if refused => "◀ looked here: refused",
            (true, _) => "◀ touched",
            (false, true) => "◀ new",
            _ => "",
        };
        let occupant = match s.occupant {
            Some(k) => html! { <span>{ key_hex(k) }</span> },
            None => html! { <span class="muted">{ "free" }</span> },
        };
        html! {
            <tr class={classes!(hit.then_some("touched"), new.then_some("grown"), s.occupant.is_none().then_some("free"))}
                data-testid={format!("slot-{}", s.index)}>
                <th scope="row">{ s.index }</th>
                <td>{ s.seq }</td>
                <td class="mono">{ format!("0x{:x}", s.id as u32) }</td>
                <td class="mono">{ s.id }</td>
                <td class="mono">{ occupant }</td>
                <td class="marker">{ marker }</td>
            </tr>
        }
    });
    html! {
        <section class="panel slots" data-testid="slots" aria-labelledby="slots-h">
            <h2 id="slots-h">{ format!("Slot table · {}", ns.facility) }</h2>
            <p class="help">
                { format!("{table} slots of at most {}; id = seq << {} | index. ", ns.table_max, 31u32.saturating_sub(ns.seq_bits)) }
                { "A freed slot's sequence number moves on, so an old id goes stale." }
            </p>
            if let Some(from) = grown {
                <p class="grew" data-testid="slots-grew">
                    { format!("This step doubled the table from {from} to {} slots (ipc_grow): slots {from}–{} are new, \
                               and every slot kept its index and sequence.", table, table.saturating_sub(1)) }
                </p>
            }
            { pager("slots", "slots-pager", List::Slots, &ns.slots, &props.on_page) }
            <table data-testid="slot-table">
                <caption class="sr-only">{ format!("The {} slot table: one row per slot, with its sequence number, id and key", ns.facility) }</caption>
                <thead><tr>
                    <th scope="col">{ "slot" }</th><th scope="col">{ "seq" }</th><th scope="col">{ "id (hex)" }</th>
                    <th scope="col">{ "id" }</th><th scope="col">{ "key" }</th><th scope="col"><span class="sr">{ "last event" }</span></th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}

const NODE_W: f64 = 98.0;
const NODE_H: f64 = 54.0;
const LEVEL_H: f64 = 74.0;

/// Positions of the nodes: (x by in-order rank, depth), indexed like
/// `keys` (a tree in pre-order with child positions, as the kernel's scene
/// sends it: whole, or the overview it chose).
fn layout(keys: &[KeyNode]) -> Vec<(f64, u32)> {
    fn walk(keys: &[KeyNode], i: usize, depth: u32, next: &mut f64, out: &mut Vec<(f64, u32)>, guard: u32) {
        if guard > 64 || i >= keys.len() {
            return;
        }
        if let Some(l) = keys[i].left {
            walk(keys, l as usize, depth + 1, next, out, guard + 1);
        }
        out[i] = (*next, depth);
        *next += 1.0;
        if let Some(r) = keys[i].right {
            walk(keys, r as usize, depth + 1, next, out, guard + 1);
        }
    }
    let mut out = vec![(0.0, 0); keys.len()];
    if !keys.is_empty() {
        let mut next = 0.0;
        walk(keys, 0, 0, &mut next, &mut out, 0);
    }
    out
}

/// The key each key hangs under (`None` for the root), by key.
fn parents(keys: &[KeyNode]) -> Vec<(i32, Option<i32>)> {
    let mut out: Vec<(i32, Option<i32>)> = keys.first().map(|n| (n.key, None)).into_iter().collect();
    for n in keys {
        for c in [n.left, n.right].into_iter().flatten() {
            if let Some(child) = keys.get(c as usize) {
                out.push((child.key, Some(n.key)));
            }
        }
    }
    out
}

/// Keys that hang under another parent than they did in `before` (the
/// nodes a rotation moved); keys new in this step are not counted.
fn moved_keys(before: &[KeyNode], after: &[KeyNode]) -> Vec<i32> {
    let was = parents(before);
    parents(after).into_iter().filter(|(k, p)| was.iter().any(|(bk, bp)| bk == k && bp != p)).map(|(k, _)| k).collect()
}

/// What one drawing of the tree marks.
struct Marks<'a> {
    touched: &'a [i32],
    /// (kind in words, pivot key).
    rotations: &'a [(String, i32)],
    moved: &'a [i32],
    /// For each node, the keys under its left and right child not drawn
    /// (empty for a tree drawn whole).
    below: &'a [(u32, u32)],
}

impl Marks<'_> {
    fn below(&self, i: usize) -> (u32, u32) {
        self.below.get(i).copied().unwrap_or((0, 0))
    }
}

/// The tree as an SVG drawing; each node's test id is `testid-KEY`.
fn tree_svg(keys: &[KeyNode], marks: &Marks<'_>, fit: bool, label: String, testid: &str) -> Html {
    let pos = layout(keys);
    let depth = pos.iter().map(|p| p.1).max().unwrap_or(0);
    let width = (keys.len().max(1) as f64) * NODE_W + 8.0;
    let height = f64::from(depth + 1) * LEVEL_H + 22.0;
    // 16 px above the root for a pivot's label.
    let centre = |i: usize| (pos[i].0 * NODE_W + NODE_W / 2.0 + 4.0, f64::from(pos[i].1) * LEVEL_H + 16.0);
    let edges = keys.iter().enumerate().flat_map(|(i, n)| {
        let (x1, y1) = centre(i);
        [n.left, n.right].into_iter().flatten().filter(|&c| (c as usize) < keys.len()).map(move |c| {
            let (x2, y2) = centre(c as usize);
            html! { <line x1={(x1).to_string()} y1={(y1 + NODE_H).to_string()} x2={x2.to_string()} y2={y2.to_string()} class="edge" /> }
        })
    });
    let nodes = keys.iter().enumerate().map(|(i, n)| {
        let (l, r) = marks.below(i);
        let below = l + r;
        let (x, y) = centre(i);
        let hit = marks.touched.contains(&n.key);
        let moved = !hit && marks.moved.contains(&n.key);
        let pivot = marks.rotations.iter().find(|r| r.1 == n.key).map(|r| r.0.clone());
        let balance = balance_words(n.balance);
        let why = if moved { ", moved by this step's rotation" } else { "" };
        html! {
            <g class={classes!("node", hit.then_some("touched"), moved.then_some("moved"), pivot.is_some().then_some("pivot"))}
                data-testid={format!("{testid}-{}", n.key)}>
                <title>{ format!("key {} → id {}, height {}, balance {}{why}", key_hex(n.key), id_both(n.id), n.height, balance) }</title>
                <rect x={(x - NODE_W / 2.0 + 4.0).to_string()} y={y.to_string()} width={(NODE_W - 8.0).to_string()}
                    height={NODE_H.to_string()} rx="6" />
                <text x={x.to_string()} y={(y + 17.0).to_string()} class="k">{ short_key(n.key) }</text>
                <text x={x.to_string()} y={(y + 32.0).to_string()}>{ format!("id {}", n.id) }</text>
                <text x={x.to_string()} y={(y + 47.0).to_string()}>{ format!("h{} b{balance}", n.height) }</text>
                if hit { <text x={x.to_string()} y={(y + NODE_H + 12.0).to_string()} class="mark">{ "◀ touched" }</text> }
                if moved { <text x={x.to_string()} y={(y + NODE_H + 12.0).to_string()} class="mark">{ "⇅ moved" }</text> }
                if below > 0 && !hit && !moved { <text x={x.to_string()} y={(y + NODE_H + 12.0).to_string()} class="below">{ format!("… {below} below") }</text> }
                if let Some(kind) = &pivot {
                    <text x={x.to_string()} y={(y - 4.0).to_string()} class="mark pivot">{ format!("↻ {kind} rotation here") }</text>
                }
            </g>
        }
    });
    html! {
        <svg class={classes!("tree", fit.then_some("fit"))} viewBox={format!("0 0 {width} {height}")} width={width.to_string()}
            role="img" aria-label={label}>
            { for edges }
            { for nodes }
        </svg>
    }
}

/// The AVL tree of keys as an SVG drawing (whole, or the kernel's
/// overview of a large tree); after a step that rotated it, the tree
/// before the step too, so the rotation is seen as before/after.
#[function_component]
pub fn KeyTree(props: &StateProps) -> Html {
    let ns = props.state.ns(props.shown);
    let tree = &ns.tree;
    let keys = &tree.nodes;
    let facility = ns.facility.to_string();
    let touched = &ns.touched.keys;
    let rotations = &ns.touched.rotations;
    let fit = use_state(|| false);
    let toggle_fit = {
        let fit = fit.clone();
        Callback::from(move |_| fit.set(!*fit))
    };
    // The tree one step back, when this step rotated it (the bridge sends
    // it only for a tree drawn whole, and only for the namespace rotated).
    let before = props
        .state
        .before
        .as_ref()
        .filter(|b| !rotations.is_empty() && !tree.overview && b.facility == facility)
        .map(|b| &b.keys);
    let moved = before.map(|b| moved_keys(b, keys)).unwrap_or_default();
    let marks = Marks { touched, rotations, moved: &moved, below: &tree.below };
    let label = format!("AVL tree of {} keys (the same tree as a list follows the drawing)", tree.total);
    let body = if keys.is_empty() {
        html! { <p class="muted" data-testid="avl-empty">{ "No keys yet: msgget with IPC_CREAT and a key other than 0 adds one." }</p> }
    } else {
        tree_svg(keys, &marks, *fit, label, "avl-node")
    };
    let before_drawing = before.map(|b| {
        let none: [i32; 0] = [];
        let label = format!("AVL tree of {} keys before this step, where the rotation started", b.len());
        let marks = Marks { touched: &none, rotations, moved: &none, below: &[] };
        let svg = tree_svg(b, &marks, *fit, label, "avl-before-node");
        html! {
            <div class="before" data-testid="avl-before">
                <h3>{ format!("Before this step ({} keys)", b.len()) }</h3>
                <div class="tree-box" tabindex="0" role="region" aria-label="the tree before this step (scrolls)">{ svg }</div>
                <h3>{ format!("After ({} keys; ⇅ marks the nodes the rotation moved)", keys.len()) }</h3>
            </div>
        }
    });
    // The drawing's text twin, from the same nodes: each key with its id,
    // height and balance, and its left and right children nested under it.
    let twin = (!keys.is_empty()).then(|| {
        html! {
            <details class="tree-twin" data-testid="avl-list">
                <summary>{ format!("The tree as a list ({} keys)", tree.total) }</summary>
                <ul class="avl-list">{ twin_item(keys, 0, "root", &marks, 0) }</ul>
            </details>
        }
    });
    html! {
        <section class="panel avl" data-testid="avl" aria-labelledby="avl-h">
            <h2 id="avl-h">{ format!("AVL tree of keys · {facility}") }</h2>
            <p class="help">{ format!("{facility}get looks keys up here; each node: key, id, h = height, b = balance (left − right).") }</p>
            if tree.overview {
                <p class="help" data-testid="avl-overview">
                    { format!("An overview of {} keys: the top levels and the way down to what this step touched ({} nodes drawn; \
                               '… N below' counts the keys under a node).", tree.total, keys.len()) }
                </p>
            }
            if !rotations.is_empty() {
                <p class="rotated" data-testid="avl-rotations">
                    { "This step rebalanced the tree: " }
                    { rotations.iter().map(|(kind, pivot)| format!("a {kind} rotation at {}", short_key(*pivot))).collect::<Vec<_>>().join(", then ") }
                    { " (marked ↻; the node was out of balance by 2, and the rotation lifted its heavier child)." }
                </p>
            }
            if keys.len() > 4 {
                <button type="button" class="fit" data-testid="avl-fit" aria-pressed={fit.to_string()} onclick={toggle_fit}>
                    { if *fit { "⤢ actual size (scroll)" } else { "⤡ fit the whole tree" } }
                </button>
            }
            { for before_drawing }
            <div class="tree-box" tabindex="0" role="region" aria-label="AVL tree drawing (scrolls)">{ body }</div>
            { for twin }
        </section>
    }
}

fn balance_words(balance: i32) -> String {
    if balance > 0 { format!("+{balance}") } else { balance.to_string() }
}

/// Node `i` of the tree as a list item (`side`: root, left or right): its
/// key, id, height and balance, what the newest step did to it, and then
/// its two children as a nested list ("none" for a missing one, the count
/// of keys below for a subtree the overview leaves out; a leaf has no list).
fn twin_item(keys: &[KeyNode], i: usize, side: &'static str, marks: &Marks<'_>, depth: u32) -> Html {
    let n = &keys[i];
    let (below_l, below_r) = marks.below(i);
    let child = |c: Option<u32>, below: u32, side: &'static str| match c {
        Some(c) if (c as usize) < keys.len() && depth < 64 => twin_item(keys, c as usize, side, marks, depth + 1),
        _ if below > 0 => {
            html! { <li class="muted" data-side={side}>{ format!("{side}: … {below} key(s), a subtree not listed in this overview") }</li> }
        }
        _ => html! { <li class="muted" data-side={side}>{ format!("{side}: none") }</li> },
    };
    let pivot = marks.rotations.iter().find(|r| r.1 == n.key);
    let touched = marks.touched.contains(&n.key);
    let has_children = n.left.is_some() || n.right.is_some() || below_l + below_r > 0;
    html! {
        <li data-testid={format!("avl-item-{}", n.key)} data-side={side} data-depth={depth.to_string()}>
            { format!("{side}: ") }
            <span class="k mono">{ short_key(n.key) }</span>
            { format!(" — id {}, height {}, balance {}", id_both(n.id), n.height, balance_words(n.balance)) }
            if touched { <span class="marker">{ " ◀ touched" }</span> }
            if !touched && marks.moved.contains(&n.key) { <span class="marker">{ " ⇅ moved by the rotation" }</span> }
            if let Some(r) = pivot { <span class="marker">{ format!(" ↻ {} rotation here", r.0) }</span> }
            if has_children {
                <ul>{ child(n.left, below_l, "left") }{ child(n.right, below_r, "right") }</ul>
            }
        </li>
    }
}

fn short_key(key: i32) -> String {
    if key == 0 { "IPC_PRIVATE".into() } else { format!("0x{:x}", key as u32) }
}

/// Every id, newest first, and removed objects still referenced.
#[function_component]
pub fn IdList(props: &StateProps) -> Html {
    let ns = props.state.ns(props.shown);
    let touched = &ns.touched.ids;
    let items = ns.ids.rows.iter().map(|&id| {
        let hit = touched.contains(&id);
        html! {
            <li class={classes!(hit.then_some("touched"))} data-testid={format!("id-{id}")}>
                { id_both(id) }
                if hit { <span class="marker">{ " ◀ touched" }</span> }
            </li>
        }
    });
    let removed = ns.removed.iter().map(|&(id, refs)| {
        html! { <li>{ format!("{} removed, {refs} reference(s) left", id_both(id)) }</li> }
    });
    html! {
        <section class="panel ids" data-testid="ids" aria-labelledby="ids-h">
            <h2 id="ids-h">{ "Id list (newest first)" }</h2>
            if ns.ids.total == 0 { <p class="muted">{ "empty" }</p> }
            { pager("ids", "ids-pager", List::Ids, &ns.ids, &props.on_page) }
            <ol class="idlist" start={(ns.ids.first + 1).to_string()}>{ for items }</ol>
            if !ns.removed.is_empty() {
                <p>{ "Removed but still referenced:" }</p>
                <ul>{ for removed }</ul>
            }
        </section>
    }
}

/// A parked thread on an object's waiter list — who, why (the kernel's
/// reason), since when and until when — marked when the shown step parked
/// it (`now`).  The one row every panel's waiter list uses: `testid` names
/// it (`waiter`, `sem-waiter`, `psem-waiter`), `kind` leads its words, and
/// `extra` follows them (a semaphore waiter's operation array).
pub fn waiter(testid: &str, kind: &str, w: &WaiterView, now: bool, extra: Html) -> Html {
    let deadline = w.deadline.map(|d| format!(", times out at {}", ns(d as f64))).unwrap_or_default();
    html! {
        <li class={classes!("waiter", now.then_some("touched"))} data-testid={format!("{testid}-{}", w.tid)}>
            { format!("{kind} tid {} (pid {}): {} — since {}{deadline}", w.tid, w.pid, w.reason, ns(w.since as f64)) }
            if now { <span class="marker" data-testid={format!("waiter-new-{}", w.tid)}>{ " ◀ parked by this step" }</span> }
            { extra }
        </li>
    }
}

/// A message's first bytes as text: UTF-8 where they are (a character
/// cut at the end of the preview shows as `…`), control bytes as `·`.
fn printable(head: &[u8]) -> String {
    let (text, cut) = match std::str::from_utf8(head) {
        Ok(t) => (t.to_string(), false),
        Err(e) if e.error_len().is_none() => (String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned(), true),
        Err(_) => (String::from_utf8_lossy(head).into_owned(), false),
    };
    let mut out: String = text.chars().map(|c| if c.is_control() { '·' } else { c }).collect();
    if cut {
        out.push('…');
    }
    out
}

/// What the shown step did to queue `q`: its msg steps in words, and
/// whether the newest message is the one it queued (and kept).
fn queue_touches(state: &KernelState, q: &MsgQueueView) -> (Vec<String>, bool) {
    let steps: Vec<_> = state
        .last_steps()
        .iter()
        .filter(|s| s.id == Some(q.id) && matches!(s.kind, StepKind::MsgEnqueue | StepKind::MsgDequeue))
        .collect();
    let queued_last = steps.last().is_some_and(|s| s.kind == StepKind::MsgEnqueue);
    let mut words: Vec<String> =
        steps.iter().map(|s| s.text.strip_prefix("msg: ").unwrap_or(&s.text).to_string()).collect();
    if let Some(e) = state.last_event().filter(|e| e.object == Some((Facility::Msg, q.id))) {
        match &e.outcome {
            OutcomeView::Failed(errno) => words.push(format!("refused {} on it with {}", e.call, errno.name())),
            OutcomeView::Blocked(_) => words.push(format!("parked a {} on it", e.call)),
            OutcomeView::Ok(_) => {}
        }
    }
    (words, queued_last)
}

fn queue(state: &KernelState, q: &MsgQueueView) -> Html {
    let pct = |a: u64, b: u64| if b > 0 { (a as f64 / b as f64 * 100.0).min(100.0) } else { 0.0 };
    let (touches, queued_last) = queue_touches(state, q);
    let parked_now = state.parked_now();
    let last = q.messages.len().saturating_sub(1);
    let messages = q.messages.iter().enumerate().map(|(i, m)| {
        let more = if m.size > m.head.len() as u64 { "…" } else { "" };
        let new = queued_last && i == last;
        html! {
            <tr class={classes!(new.then_some("touched"))} data-testid={new.then_some("msg-new")}>
                <th scope="row">{ i + 1 }</th><td>{ m.mtype }</td><td>{ m.size }</td>
                <td class="mono">{ format!("\"{}{more}\"", printable(&m.head)) }</td>
                <td class="marker">{ if new { "◀ queued now" } else { "" } }</td>
            </tr>
        }
    });
    let status = if q.removed { format!(" — removed, {} reference(s) left", q.refs) } else { String::new() };
    html! {
        <article class="queue" data-testid={format!("queue-{}", q.id)}>
            <h3>{ format!("queue {} · key {}{status}", id_both(q.id), key_hex(q.perm.key)) }</h3>
            <p class="muted">
                { format!("mode {:04o}, owner uid {} gid {}, creator uid {} gid {}; last send pid {}, last receive pid {}",
                    q.perm.mode & 0o777, q.perm.uid, q.perm.gid, q.perm.cuid, q.perm.cgid, q.lspid, q.lrpid) }
            </p>
            <div class="usage" data-testid={format!("queue-usage-{}", q.id)}>
                <span class="meter" aria-hidden="true"><span style={format!("width:{}%", pct(q.qnum, q.qmax))}></span></span>
                <span>{ format!("{}/{} messages, ", q.qnum, q.qmax) }</span>
                <span class="meter" aria-hidden="true"><span style={format!("width:{}%", pct(q.cbytes, q.qbytes))}></span></span>
                <span>{ format!("{}/{} bytes", q.cbytes, q.qbytes) }</span>
                if q.qnum >= q.qmax || q.cbytes >= q.qbytes { <strong>{ " — full" }</strong> }
            </div>
            if !touches.is_empty() {
                <p class="marker" data-testid={format!("queue-touched-{}", q.id)}>{ format!("◀ this step {}", touches.join("; then ")) }</p>
            }
            if q.messages.is_empty() {
                <p class="muted">{ "no messages" }</p>
            } else {
                <table data-testid={format!("queue-messages-{}", q.id)}>
                    <caption class="sr-only">{ format!("Messages of queue {}, oldest first", id_both(q.id)) }</caption>
                    <thead><tr><th scope="col">{ "#" }</th><th scope="col">{ "type" }</th><th scope="col">{ "bytes" }</th><th scope="col">{ "text" }</th><th scope="col"><span class="sr">{ "this step" }</span></th></tr></thead>
                    <tbody>{ for messages }</tbody>
                </table>
            }
            if !(q.senders.is_empty() && q.receivers.is_empty()) {
                <ul class="waiters" aria-label="parked threads">
                    { for q.senders.iter().map(|w| waiter("waiter", "‖ sender", w, parked_now == Some(w.tid), Html::default())) }
                    { for q.receivers.iter().map(|w| waiter("waiter", "‖ receiver", w, parked_now == Some(w.tid), Html::default())) }
                </ul>
            }
        </article>
    }
}

/// Every message queue with its messages, limits and parked threads.
#[function_component]
pub fn Queues(props: &StateProps) -> Html {
    let queues = &props.state.scene.queues;
    html! {
        <section class="panel queues" data-testid="queues" aria-labelledby="queues-h">
            <h2 id="queues-h">{ "Message queues" }</h2>
            if queues.total == 0 { <p class="muted">{ "No queues: create one with msgget." }</p> }
            { pager("queues", "queues-pager", List::Queues, queues, &props.on_page) }
            { for queues.rows.iter().map(|q| queue(&props.state, q)) }
        </section>
    }
}

/// The outcome of the call `call` (its name as the kernel logs it) in words.
pub fn outcome_words(o: &OutcomeView, call: &str) -> String {
    match o {
        OutcomeView::Ok(s) if s.is_empty() => "ok".to_string(),
        OutcomeView::Ok(s) => format!("ok: {s}"),
        OutcomeView::Failed(e) => {
            let (name, meaning) = crate::errno::describe(&e.name().to_ascii_lowercase(), call);
            format!("{name} — {meaning}")
        }
        OutcomeView::Blocked(r) => format!("blocked: {r}"),
    }
}

fn event(e: &EventView, newest: bool) -> Html {
    let who = match (e.pid, e.tid) {
        (Some(p), Some(t)) => format!("pid {p} tid {t}: "),
        (Some(p), None) => format!("pid {p}: "),
        _ => String::new(),
    };
    let mark = match &e.outcome {
        OutcomeView::Ok(_) => "✔",
        OutcomeView::Failed(_) => "✖",
        OutcomeView::Blocked(_) => "‖",
    };
    let headline = format!("{who}{}({})", e.call, e.args);
    let woke = e.woke.iter().map(|w| {
        html! {
            <li class="woke">{ format!("↻ woke tid {} (pid {}): {} → {}", w.tid, w.pid, w.call, outcome_words(&w.outcome, &w.call)) }</li>
        }
    });
    let steps =
        e.steps.iter().map(|s| html! { <li><span class="kind">{ s.kind.name() }</span>{ " " }{ &s.text }</li> });
    html! {
        <li class={classes!("event", newest.then_some("newest"))} data-testid={format!("event-{}", e.seq)}>
            <div class="headline" title={e.text.clone()}>
                <span class="seq">{ format!("#{} · {}", e.seq, ns(e.time as f64)) }</span>
                { format!(" {mark} {headline}") }
            </div>
            <div class="outcome">{ format!("→ {}", outcome_words(&e.outcome, &e.call)) }</div>
            if !e.woke.is_empty() { <ul class="wakeups">{ for woke }</ul> }
            if !e.steps.is_empty() { <ol class="steps">{ for steps }</ol> }
        </li>
    }
}

/// The event log, newest first, each event with its steps.
#[function_component]
pub fn EventLog(props: &StateProps) -> Html {
    let events = &props.state.scene.events;
    let n = events.rows.len();
    html! {
        <section class="panel events" data-testid="events" aria-labelledby="events-h">
            <h2 id="events-h">{ "Event log (newest first)" }</h2>
            if n == 0 { <p class="muted">{ "No events yet." }</p> }
            if events.total > n as u64 {
                <p class="help" data-testid="events-shown">
                    { format!("The newest {n} of {} events the kernel has recorded; the timeline reaches every step.", events.total) }
                </p>
            }
            // The log scrolls in its own box: a region the keyboard can reach and scroll.
            <div class="eventlist-box" tabindex="0" role="region" aria-label="event log (scrolls)">
                <ol class="eventlist" reversed=true>
                    { for events.rows.iter().enumerate().rev().map(|(i, e)| event(e, i + 1 == n)) }
                </ol>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyNode, moved_keys, printable};

    fn node(key: i32, left: Option<u32>, right: Option<u32>) -> KeyNode {
        KeyNode { key, zone: 0, id: 0, height: 1, balance: 0, left, right }
    }

    #[test]
    fn a_left_rotation_moves_the_pivot_and_its_child_but_not_the_new_key() {
        // 0x20 → 0x30 (a right chain), then 0x40 inserted: 0x30 becomes the root.
        let before = [node(0x20, None, Some(1)), node(0x30, None, None)];
        let after = [node(0x30, Some(1), Some(2)), node(0x20, None, None), node(0x40, None, None)];
        assert_eq!(moved_keys(&before, &after), vec![0x30, 0x20]);
        // Nothing moves when nothing changed, and a key only in `after` is never "moved".
        assert_eq!(moved_keys(&after, &after), Vec::<i32>::new());
        assert_eq!(moved_keys(&[], &after), Vec::<i32>::new());
    }

    #[test]
    fn message_text_is_utf8_with_control_bytes_dotted() {
        assert_eq!(printable("héllo ✓".as_bytes()), "héllo ✓");
        assert_eq!(printable(b"a\x00b\n"), "a·b·");
        // A preview that ends inside a character says it was cut.
        assert_eq!(printable(&"hé".as_bytes()[..2]), "h…");
        assert_eq!(printable(b"\xff\xfeok"), "\u{fffd}\u{fffd}ok");
    }
}
