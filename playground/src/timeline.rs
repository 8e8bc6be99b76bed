//! The timeline: one marker per step of the session's operation log, the
//! kind of each (call, park, wake, error, removal) shown by a letter as well
//! as a colour, the step shown marked, first / back / forward / last
//! buttons, a slider to jump to any step, and the share controls (copy a
//! link that replays the session, export it as a file).
//!
//! Steps are numbered from the timeline's start (the start-up spawns come
//! before it): step 0 is the state the learner began with.

use crate::model::Timeline;
use yew::prelude::*;

/// A step kind's letter and name, for its marker and the legend.
pub fn kind_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "park" => ("P", "parked"),
        "wake" => ("W", "woke a thread"),
        "error" => ("E", "error"),
        "removal" => ("R", "removal"),
        _ => ("C", "call"),
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub timeline: Timeline,
    /// The link the last "Copy link" made, if the session has not moved since.
    pub link: Option<AttrValue>,
    /// Jump to a step (counted in operations, as the bridge counts them).
    pub on_jump: Callback<u32>,
    pub on_copy: Callback<()>,
    pub on_export: Callback<()>,
    /// A session file was chosen in the import input.
    pub on_import: Callback<web_sys::HtmlInputElement>,
}

/// The timeline strip under the header.
#[function_component]
pub fn TimelineBar(props: &TimelineProps) -> Html {
    let t = &props.timeline;
    let (base, step, last) = (t.base, t.step, t.length.max(t.base));
    let shown = step.saturating_sub(base);
    let total = last - base;
    let jump = |to: u32| {
        let on_jump = props.on_jump.clone();
        Callback::from(move |_: MouseEvent| on_jump.emit(to))
    };
    let on_slide = {
        let on_jump = props.on_jump.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(to) = input.value().parse::<u32>() {
                on_jump.emit(to);
            }
        })
    };
    let now = if shown == 0 {
        "the start".to_string()
    } else {
        let i = (step - 1) as usize;
        let (_, kind) = kind_words(t.kinds.get(i).map_or("call", String::as_str));
        format!("{kind} · {}", t.labels.get(i).map_or("", String::as_str))
    };
    let marker = |n: u32| {
        let i = (n - 1) as usize;
        let kind = t.kinds.get(i).map_or("call", String::as_str);
        let (letter, words) = kind_words(kind);
        let label = t.labels.get(i).map_or("", String::as_str);
        let rel = n - base;
        let here = n == step;
        html! {
            <li>
                <button type="button" class={classes!("tl-step", kind.to_string(), here.then_some("now"), (n > step).then_some("ahead"))}
                    data-testid={format!("tl-step-{rel}")} data-kind={kind.to_string()}
                    aria-current={here.then_some("step")}
                    aria-label={format!("step {rel}: {words} — {label}")} title={format!("step {rel}: {words} — {label}")}
                    onclick={jump(n)}>
                    { letter }
                </button>
            </li>
        }
    };
    let copy = props.on_copy.reform(|_: MouseEvent| ());
    let export = props.on_export.reform(|_: MouseEvent| ());
    let import = props.on_import.reform(|e: Event| e.target_unchecked_into::<web_sys::HtmlInputElement>());
    html! {
        <section class="timeline" data-testid="timeline" aria-label="Timeline">
            <div class="tl-controls">
                <button type="button" data-testid="tl-first" disabled={step <= base} onclick={jump(base)}
                    title="Show the start of the timeline">{ "« First" }</button>
                <button type="button" data-testid="tl-back" disabled={step <= base} onclick={jump(step.saturating_sub(1))}
                    title="Show the step before this one">{ "◀ Back" }</button>
                <button type="button" data-testid="tl-forward" disabled={step >= last} onclick={jump(step + 1)}
                    title="Show the next step">{ "Forward ▶" }</button>
                <button type="button" data-testid="tl-last" disabled={step >= last} onclick={jump(last)}
                    title="Show the newest step">{ "Last »" }</button>
                <input type="range" class="tl-slider" data-testid="tl-slider" aria-label="jump to step"
                    min={base.to_string()} max={last.to_string()} value={step.to_string()} disabled={total == 0}
                    oninput={on_slide} />
                <span class="tl-now" data-testid="tl-position" aria-live="polite">
                    <strong>{ format!("step {shown} of {total}") }</strong>{ format!(": {now}") }
                    if step < last { <span class="muted">{ " — an action here forks the timeline" }</span> }
                </span>
                <span class="tl-share">
                    <button type="button" data-testid="copy-link" onclick={copy}
                        title="Put the session (its operations and the step shown) in the page's address and copy the link">
                        { "⤴ Copy link" }
                    </button>
                    <button type="button" data-testid="export-session" onclick={export}
                        title="Download the session's operation log as JSON (the same format as the link)">
                        { "⤓ Export session" }
                    </button>
                    <label class="button" title="Open a session file saved with Export session: its operations are replayed">
                        { "⤒ Import session" }
                        <input type="file" accept=".json,application/json" class="sr"
                            data-testid="import-session" aria-label="import a session file" onchange={import} />
                    </label>
                </span>
            </div>
            if let Some(link) = &props.link {
                <input type="text" readonly=true class="tl-link" data-testid="share-link" aria-label="link to this session"
                    value={link.clone()} />
            }
            <ol class="tl-steps" data-testid="tl-steps" aria-label="steps">
                <li>
                    <button type="button" class={classes!("tl-step", "start", (step == base).then_some("now"))}
                        data-testid="tl-step-0" aria-current={(step == base).then_some("step")}
                        aria-label="step 0: the start" title="step 0: the start" onclick={jump(base)}>{ "0" }</button>
                </li>
                { for (base + 1..=last).map(marker) }
            </ol>
            <p class="tl-legend muted">
                { for ["call", "park", "wake", "error", "removal"].into_iter().map(|k| {
                    let (letter, words) = kind_words(k);
                    html! { <span><span class={classes!("tl-key", k)}>{ letter }</span>{ format!(" {words} ") }</span> }
                }) }
            </p>
        </section>
    }
}
