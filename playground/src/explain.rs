//! The step explained: its narration and its kernel path.
//!
//! Both come from the kernel (`inspect.explain`, generated from the typed
//! event by `ipc_core::explain`), and the page deserializes the core's own
//! type, [`Explanation`]: this panel adds drawing, not another model.  The
//! narration is a live region, so a screen reader hears each step as the
//! timeline moves; each path line carries its mark as a symbol and a word
//! (never colour alone).

use ipc_core::explain::{Explanation, Mark, PathLine};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExplainProps {
    /// The shown step explained (none before the first operation).
    pub explanation: Option<Explanation>,
    /// The shown step as the timeline counts it (0: its start, after the
    /// start-up operations it does not count).
    #[prop_or_default]
    pub step: u32,
}

/// The symbol and the word of a mark.
pub fn mark_words(m: Mark) -> (&'static str, &'static str, &'static str) {
    match m {
        Mark::Passed => ("✔", "passed", "passed"),
        Mark::Taken => ("➜", "taken", "taken"),
        Mark::Skipped => ("·", "not taken", "skipped"),
        Mark::Refused => ("✖", "refused here", "refused"),
        Mark::NotReached => ("–", "not reached", "not-reached"),
        Mark::Unknown => (" ", "", "unknown"),
    }
}

fn path_line(l: &PathLine) -> Html {
    let (symbol, words, class) = mark_words(l.mark);
    html! {
        <li class={classes!("path-line", class)} style={format!("--depth: {}", l.depth)} data-mark={class}>
            <span class="path-mark" aria-hidden="true">{ symbol }</span>
            <code>{ &l.code }</code>
            if !words.is_empty() { <span class="sr-only">{ format!(" ({words})") }</span> }
        </li>
    }
}

/// "What happened" (the narration) and "Kernel path" (the marked
/// pseudo-code) of the shown step.
#[function_component(ExplainPanel)]
pub fn explain_panel(props: &ExplainProps) -> Html {
    let Some(x) = &props.explanation else {
        return html! {
            <section class="panel explain" data-testid="explain" aria-labelledby="explain-h">
                <h2 id="explain-h">{ "What happened" }</h2>
                <p class="muted">{ "Each step is explained here: what was asked, the checks in order, what changed, who was woken." }</p>
            </section>
        };
    };
    let legend = [Mark::Passed, Mark::Taken, Mark::Skipped, Mark::Refused, Mark::NotReached].map(|m| {
        let (symbol, words, class) = mark_words(m);
        html! { <span class={classes!("legend", class)}><span aria-hidden="true">{ symbol }</span>{ format!(" {words}") }</span> }
    });
    html! {
        <section class="panel explain" data-testid="explain" aria-labelledby="explain-h">
            <h2 id="explain-h" data-testid="explain-title">{ explain_title(props.step, x.seq) }</h2>
            <ol class="narration" data-testid="narration" aria-live="polite">
                { for x.narration.iter().map(|s| html! { <li>{ s }</li> }) }
            </ol>
            if !x.path.is_empty() {
                <h3 id="path-h">{ format!("Kernel path: {}", x.call) }</h3>
                <ol class="kernel-path mono" data-testid="kernel-path" aria-labelledby="path-h">
                    { for x.path.iter().map(path_line) }
                </ol>
                <p class="path-legend muted">{ for legend }</p>
            }
        </section>
    }
}

/// The panel's title: the step as the timeline counts it, and the kernel
/// log's own number for its event (the log also counts the start-up
/// operations, so the two differ by the start-up's length).
fn explain_title(step: u32, seq: u64) -> String {
    if step == 0 {
        format!("What happened — the start (the kernel's event #{seq}: start-up, before the timeline's step 1)")
    } else {
        format!("What happened — step {step} (the kernel's event #{seq})")
    }
}
