//! The timeline: one marker per step of the session's operation log, the
//! kind of each (call, park, wake, error, removal) shown by a letter as well
//! as a colour, the step shown marked, first / back / forward / last
//! buttons, a slider to jump to any step, play / pause at a chosen speed,
//! "until the next" wake-up / error / removal, the keyboard shortcuts and
//! their help panel, and the session controls (copy a link that replays
//! the session, export it as a file, import one, start a new one).
//!
//! Steps are numbered from the timeline's start (the start-up spawns come
//! before it): step 0 is the state the learner began with.  Playing only
//! moves the step shown through the log, as the slider does: it never runs
//! the kernel past the log's last step.

use crate::model::{Branch, Timeline};
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

/// The kinds "until the next" jumps to, with their button's words.
pub const UNTIL: [(&str, &str); 3] = [("wake", "wake-up"), ("error", "error"), ("removal", "removal")];

/// The playing speeds, in steps per second; [`DEFAULT_SPEED`] is 1 step/s.
pub const SPEEDS: [f64; 5] = [0.5, 1.0, 2.0, 4.0, 8.0];
/// The index of 1 step/s in [`SPEEDS`].
pub const DEFAULT_SPEED: usize = 1;

/// A speed in words: "0.5 steps/s", "1 step/s", "4 steps/s".
pub fn speed_words(i: usize) -> String {
    let s = SPEEDS[i.min(SPEEDS.len() - 1)];
    if s == 1.0 { "1 step/s".into() } else { format!("{s} steps/s") }
}

/// How long one step is shown while playing at speed `i`, in milliseconds.
pub fn step_ms(i: usize) -> i32 {
    (1000.0 / SPEEDS[i.min(SPEEDS.len() - 1)]).round() as i32
}

/// The timeline's last step (the log's length, never before its start).
pub fn last_step(t: &Timeline) -> u32 {
    t.length.max(t.base)
}

/// The first step after the one shown whose kind is `kind`, if any.
pub fn next_of_kind(t: &Timeline, kind: &str) -> Option<u32> {
    (t.step.max(t.base) + 1..=last_step(t)).find(|&n| t.kind(n as usize - 1) == kind)
}

/// What a key does on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    PlayPause,
    Back,
    Forward,
    First,
    Last,
    Slower,
    Faster,
    /// Show or hide the shortcut list.
    Help,
    /// Hide the shortcut list.
    Close,
}

/// Where the keyboard focus is when a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// A form control (any input, a select, a textarea, editable text):
    /// keys there belong to it, so no shortcut applies.
    Field,
    /// A button, link, summary, checkbox or radio: Space (and Enter)
    /// press it, as always; the other shortcuts apply.
    Button,
    /// Anywhere else (the page itself).
    Page,
}

/// The keys, as the help panel and the README list them.
pub const SHORTCUTS: [(&str, &str); 6] = [
    ("Space", "play / pause"),
    ("← / →", "one step back / forward"),
    ("Home / End", "the first / the last step"),
    ("− / +", "slower / faster"),
    ("?", "show / hide this list"),
    ("Esc", "hide this list"),
];

/// The shortcut a key (`KeyboardEvent.key`) stands for, with the focus
/// where it is; None while typing in a form (or with Ctrl, Alt or Meta
/// held, which belong to the browser).
pub fn shortcut(key: &str, focus: Focus, modified: bool) -> Option<Shortcut> {
    if modified || focus == Focus::Field {
        return None;
    }
    Some(match key {
        " " | "Spacebar" if focus == Focus::Page => Shortcut::PlayPause,
        "ArrowLeft" | "Left" => Shortcut::Back,
        "ArrowRight" | "Right" => Shortcut::Forward,
        "Home" => Shortcut::First,
        "End" => Shortcut::Last,
        "-" | "_" | "−" => Shortcut::Slower,
        "+" | "=" => Shortcut::Faster,
        "?" => Shortcut::Help,
        "Escape" | "Esc" => Shortcut::Close,
        _ => return None,
    })
}

/// Markers drawn on each side of the step shown when the log is long.
const MARKERS_AROUND: u32 = 50;

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
    /// Whether the timeline is playing, and at which of [`SPEEDS`].
    pub playing: bool,
    pub speed: usize,
    /// Play or pause.
    pub on_play: Callback<()>,
    /// A new speed (an index into [`SPEEDS`]).
    pub on_speed: Callback<usize>,
    /// Jump to the next step of this kind ("wake", "error", "removal").
    pub on_until: Callback<&'static str>,
    /// Discard the session and start a fresh one.
    pub on_new: Callback<()>,
    /// Whether the shortcut list is shown, and the button that toggles it.
    pub help: bool,
    pub on_help: Callback<()>,
    /// Bring back, or forget, the steps a fork set aside.
    pub on_switch_branch: Callback<()>,
    pub on_discard_branch: Callback<()>,
    /// Predict mode: the steps after the one shown keep their kinds to
    /// themselves (in the picture and in their accessible names), or the
    /// timeline would answer the question before it is asked.
    #[prop_or_default]
    pub hide_ahead: bool,
}

/// The timeline strip under the header.
#[function_component]
pub fn TimelineBar(props: &TimelineProps) -> Html {
    let t = &props.timeline;
    let (base, step, last) = (t.base, t.step, last_step(t));
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
        let (_, kind) = kind_words(t.kind(i));
        format!("{kind} · {}", t.label(i))
    };
    let marker = |n: u32| {
        let i = (n - 1) as usize;
        let rel = n - base;
        let here = n == step;
        if props.hide_ahead && n > step {
            let words = format!("step {rel}: not revealed yet (predict mode)");
            return html! {
                <li>
                    <button type="button" class={classes!("tl-step", "hidden", "ahead")}
                        data-testid={format!("tl-step-{rel}")} data-kind="hidden"
                        aria-label={words.clone()} title={words} onclick={jump(n)}>
                        { "?" }
                    </button>
                </li>
            };
        }
        let kind = t.kind(i);
        let (letter, words) = kind_words(kind);
        let label = t.label(i);
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
    // A long log draws the markers around the step shown (the slider and
    // the keys reach every step): the page stays small at 10^4 steps.
    let window = if last.saturating_sub(base) > 2 * MARKERS_AROUND {
        let lo = step.saturating_sub(MARKERS_AROUND).max(base + 1);
        let hi = (lo + 2 * MARKERS_AROUND).min(last);
        (hi.saturating_sub(2 * MARKERS_AROUND).max(base + 1), hi)
    } else {
        (base + 1, last)
    };
    let copy = props.on_copy.reform(|_: MouseEvent| ());
    let export = props.on_export.reform(|_: MouseEvent| ());
    let import = props.on_import.reform(|e: Event| e.target_unchecked_into::<web_sys::HtmlInputElement>());
    let play = props.on_play.reform(|_: MouseEvent| ());
    let new_session = props.on_new.reform(|_: MouseEvent| ());
    let help = props.on_help.reform(|_: MouseEvent| ());
    // The select shows the speed in force however it changed (− and + too):
    // its selected index is set after each render, since an option's
    // `selected` attribute no longer moves a select the reader has used.
    let speed_ref = use_node_ref();
    {
        let (speed_ref, speed) = (speed_ref.clone(), props.speed);
        use_effect(move || {
            if let Some(select) = speed_ref.cast::<web_sys::HtmlSelectElement>() {
                select.set_selected_index(speed as i32);
            }
        });
    }
    let on_speed = props.on_speed.reform(|e: Event| {
        let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
        select.value().parse::<usize>().unwrap_or(DEFAULT_SPEED)
    });
    let until = |kind: &'static str| {
        let on_until = props.on_until.clone();
        Callback::from(move |_: MouseEvent| on_until.emit(kind))
    };
    let (play_text, play_title) = if props.playing {
        ("❚❚ Pause", "Stop playing at the step shown (Space)")
    } else if step >= last && total > 0 {
        ("▶ Play", "Play the timeline again from its start, one step at a time (Space)")
    } else {
        ("▶ Play", "Step forward through the timeline at the speed chosen, stopping at the last step (Space)")
    };
    html! {
        <section class="timeline" id="timeline" tabindex="-1" data-testid="timeline" aria-label="Timeline">
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
            <div class="tl-play" role="group" aria-label="play the timeline">
                <button type="button" class={classes!("tl-playbtn", props.playing.then_some("on"))} data-testid="tl-play"
                    aria-pressed={props.playing.to_string()} disabled={total == 0} onclick={play} title={play_title}>
                    { play_text }
                </button>
                <label class="tl-speed" title="How fast Play steps through the timeline (− and + change it)">
                    { "speed " }
                    <select data-testid="tl-speed" ref={speed_ref} onchange={on_speed}>
                        { for (0..SPEEDS.len()).map(|i| html! {
                            <option value={i.to_string()} selected={i == props.speed}>{ speed_words(i) }</option>
                        }) }
                    </select>
                </label>
                <span class="tl-until" role="group" aria-label="jump forward until the next step of a kind">
                    <span class="muted">{ "until the next " }</span>
                    { for UNTIL.into_iter().map(|(kind, words)| {
                        let (letter, _) = kind_words(kind);
                        html! {
                            <button type="button" data-testid={format!("tl-until-{kind}")} onclick={until(kind)}
                                title={format!("Jump forward to the next {words} on the timeline")}>
                                <span class={classes!("tl-key", kind)} aria-hidden="true">{ letter }</span>{ format!(" {words}") }
                            </button>
                        }
                    }) }
                </span>
                <span class="tl-session">
                    <button type="button" data-testid="tl-help" aria-expanded={props.help.to_string()}
                        aria-controls="tl-shortcuts" onclick={help} title="The keyboard shortcuts (?)">
                        { "⌨ Shortcuts" }
                    </button>
                    <button type="button" data-testid="new-session" onclick={new_session}
                        title="Discard this session (the page keeps it across reloads) and start afresh with the two processes">
                        { "✚ New session" }
                    </button>
                </span>
            </div>
            if props.help {
                <div class="tl-help" id="tl-shortcuts" data-testid="shortcuts" role="region" aria-label="keyboard shortcuts">
                    <strong>{ "Keyboard shortcuts" }</strong>
                    <span class="muted">{ " (not while typing in a field)" }</span>
                    <dl>
                        { for SHORTCUTS.into_iter().map(|(keys, what)| html! {
                            <div><dt><kbd>{ keys }</kbd></dt><dd>{ what }</dd></div>
                        }) }
                    </dl>
                </div>
            }
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
                if window.0 > base + 1 {
                    <li class="tl-more muted" data-testid="tl-more-before">{ format!("… {} earlier", window.0 - base - 1) }</li>
                }
                { for (window.0..=window.1).map(marker) }
                if window.1 < last {
                    <li class="tl-more muted" data-testid="tl-more-after">{ format!("… {} later", last - window.1) }</li>
                }
            </ol>
            if let Some(b) = t.branch {
                <p class="tl-branch" data-testid="tl-branch">
                    { branch_words(b, base) }
                    { " " }
                    <button type="button" data-testid="tl-branch-switch" onclick={props.on_switch_branch.reform(|_: MouseEvent| ())}
                        title="Bring those steps back in place of the ones after the fork (which are set aside in turn)">
                        { "⇄ Switch to it" }
                    </button>
                    { " " }
                    <button type="button" data-testid="tl-branch-discard" onclick={props.on_discard_branch.reform(|_: MouseEvent| ())}
                        title="Forget the steps set aside">
                        { "✕ Discard it" }
                    </button>
                </p>
            }
            <p class="tl-legend muted">
                { for ["call", "park", "wake", "error", "removal"].into_iter().map(|k| {
                    let (letter, words) = kind_words(k);
                    html! { <span><span class={classes!("tl-key", k)}>{ letter }</span>{ format!(" {words} ") }</span> }
                }) }
            </p>
        </section>
    }
}

/// The branch a fork set aside, in words (steps counted from the base).
pub fn branch_words(b: Branch, base: u32) -> String {
    let at = b.at.saturating_sub(base);
    format!(
        "Branch kept: the {} step(s) that followed step {at} before the timeline forked there (a later fork sets aside its own instead).",
        b.length
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_says_where_it_forked_and_how_long_it_is() {
        assert_eq!(
            branch_words(Branch { at: 7, length: 3 }, 2),
            "Branch kept: the 3 step(s) that followed step 5 before the timeline forked there (a later fork sets aside its own instead)."
        );
    }

    fn timeline(step: u32, kinds: &[&str]) -> Timeline {
        Timeline {
            step,
            base: 2,
            length: kinds.len() as u32,
            kinds: kinds.iter().map(|k| &k[..1]).collect(),
            ..Timeline::default()
        }
    }

    #[test]
    fn until_the_next_finds_the_first_later_step_of_the_kind() {
        // Steps 1 and 2 are the start-up spawns (before the base).
        let t = timeline(2, &["call", "call", "error", "park", "wake", "call", "error", "removal"]);
        assert_eq!(next_of_kind(&t, "error"), Some(3));
        assert_eq!(next_of_kind(&t, "wake"), Some(5));
        assert_eq!(next_of_kind(&t, "removal"), Some(8));
        let t = Timeline { step: 3, ..t };
        assert_eq!(next_of_kind(&t, "error"), Some(7), "the step shown itself does not count");
        let t = Timeline { step: 8, ..t };
        assert_eq!(next_of_kind(&t, "error"), None, "nothing after the last step");
        assert_eq!(next_of_kind(&timeline(2, &["call", "call"]), "wake"), None, "an empty timeline");
    }

    #[test]
    fn shortcuts_are_inert_in_fields_and_space_presses_a_focused_button() {
        use Shortcut::*;
        for (key, want) in [
            (" ", PlayPause),
            ("ArrowLeft", Back),
            ("ArrowRight", Forward),
            ("Home", First),
            ("End", Last),
            ("-", Slower),
            ("+", Faster),
            ("=", Faster),
            ("?", Help),
            ("Escape", Close),
        ] {
            assert_eq!(shortcut(key, Focus::Page, false), Some(want), "{key:?}");
            assert_eq!(shortcut(key, Focus::Field, false), None, "{key:?} while typing");
            assert_eq!(shortcut(key, Focus::Page, true), None, "{key:?} with Ctrl");
        }
        assert_eq!(shortcut(" ", Focus::Button, false), None, "Space presses the button");
        assert_eq!(shortcut("ArrowRight", Focus::Button, false), Some(Forward));
        assert_eq!(shortcut("a", Focus::Page, false), None);
    }

    #[test]
    fn speeds_in_words_and_milliseconds() {
        assert_eq!(speed_words(DEFAULT_SPEED), "1 step/s");
        assert_eq!(speed_words(0), "0.5 steps/s");
        assert_eq!(speed_words(4), "8 steps/s");
        assert_eq!(step_ms(DEFAULT_SPEED), 1000);
        assert_eq!(step_ms(0), 2000);
        assert_eq!(step_ms(99), 125, "clamped to the fastest");
    }
}
