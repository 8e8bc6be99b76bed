//! Predict, then reveal: before the timeline applies the next step, the
//! learner says what it will do — return a value, park, or fail with an
//! errno — then sees the step, whether they were right, and the kernel's
//! explanation of why (the "What happened" panel).  A score is kept for
//! the session.
//!
//! The choices never depend on the answer (the same list for every step:
//! the errnos met most as buttons, every other errno the kernel returns in
//! a list beside them), so they give nothing away and every outcome can be
//! predicted; the verdict compares the choice with the outcome of the event
//! the step recorded.

use ipc_core::inspect::log::OutcomeView;
use yew::prelude::*;

/// The errnos offered, the ones System V, POSIX semaphores and ports
/// return most.
pub const ERRNOS: &[&str] =
    &["EACCES", "EINVAL", "EAGAIN", "ENOENT", "EEXIST", "EIDRM", "ENOMSG", "E2BIG", "EPERM", "EBUSY", "EINTR", "EBADF"];

/// Every other errno the kernel can return, in numeric order (the list
/// beside the buttons).
pub fn other_errnos() -> impl Iterator<Item = &'static str> {
    ipc_core::Errno::ALL.into_iter().map(ipc_core::Errno::name).filter(|n| !ERRNOS.contains(n))
}

/// The prediction state of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predict {
    /// The mode is on: stepping forward asks first.
    pub on: bool,
    /// The step waiting for a prediction (absolute, and as the timeline
    /// counts it), and its operation in words.
    pub pending: Option<(u32, u32, String)>,
    /// Right answers, and answers given.
    pub right: u32,
    pub asked: u32,
    /// The verdict on the last answer: right?, and in words.
    pub verdict: Option<(bool, String)>,
}

/// An outcome as a choice key: `ok`, `park` or the errno's name.
pub fn outcome_key(o: &OutcomeView) -> String {
    match o {
        OutcomeView::Ok(_) => "ok".into(),
        OutcomeView::Blocked(_) => "park".into(),
        OutcomeView::Failed(e) => e.name().into(),
    }
}

/// A choice key in words.
pub fn choice_words(key: &str) -> String {
    match key {
        "ok" => "succeeds".into(),
        "park" => "parks (the caller waits)".into(),
        errno => format!("fails with {errno}"),
    }
}

impl Predict {
    /// A new session's score: nothing asked yet (the mode stays as it was).
    pub fn new_session(&mut self) {
        *self = Predict { on: self.on, ..Predict::default() };
    }

    /// Records the answer `said` for a step whose event ended with `was`.
    pub fn answer(&mut self, said: &str, was: &OutcomeView) {
        let truth = outcome_key(was);
        let right = said == truth;
        self.asked += 1;
        self.right += u32::from(right);
        let words = if right {
            format!("✔ Right: it {}.", choice_words(&truth))
        } else {
            format!("✖ Not this time: you said it {}; it {}.", choice_words(said), choice_words(&truth))
        };
        self.verdict = Some((right, format!("{words} “What happened” below says why.")));
    }

    pub fn score(&self) -> String {
        format!("{} of {} right", self.right, self.asked)
    }
}

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    pub predict: Predict,
    pub on_toggle: Callback<()>,
    pub on_choose: Callback<String>,
}

/// The mode switch, the score, the question for the pending step and the
/// verdict on the last answer.
#[function_component(PredictBox)]
pub fn predict_box(props: &PredictProps) -> Html {
    let p = &props.predict;
    let toggle = props.on_toggle.reform(|_: Event| ());
    let choice = |key: String| {
        let on_choose = props.on_choose.clone();
        let k = key.clone();
        html! {
            <button type="button" data-testid={format!("predict-{}", key.to_lowercase())} onclick={move |_| on_choose.emit(k.clone())}>
                { choice_words(&key) }
            </button>
        }
    };
    let other = {
        let on_choose = props.on_choose.clone();
        Callback::from(move |e: Event| {
            let errno = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if !errno.is_empty() {
                on_choose.emit(errno);
            }
        })
    };
    html! {
        <section class="predict" data-testid="predict" aria-labelledby="predict-h">
            <div class="predict-head">
                <label>
                    <input type="checkbox" data-testid="predict-mode" checked={p.on} onchange={toggle} />
                    <strong id="predict-h">{ " Predict, then reveal" }</strong>
                </label>
                if p.on || p.asked > 0 {
                    <span class="muted" data-testid="predict-score">{ format!(" · {}", p.score()) }</span>
                }
                if !p.on {
                    <span class="muted">{ " — before each step forward, say what it will do" }</span>
                }
            </div>
            if let Some((_, step, label)) = &p.pending {
                <div class="predict-ask" role="group" aria-label="your prediction" data-testid="predict-ask">
                    <p>{ format!("Step {step}: ") }<code>{ label }</code>{ " — what will it do?" }</p>
                    <div class="buttons">
                        { choice("ok".into()) }
                        { choice("park".into()) }
                    </div>
                    <div class="buttons errnos">
                        { for ERRNOS.iter().map(|e| choice((*e).into())) }
                        <select data-testid="predict-other" aria-label="fails with another errno" onchange={other}>
                            <option value="" selected=true>{ "fails with another errno…" }</option>
                            { for other_errnos().map(|e| html! { <option value={e}>{ e }</option> }) }
                        </select>
                    </div>
                </div>
            }
            if let Some((right, words)) = p.verdict.as_ref().filter(|_| p.on) {
                <p class={classes!("predict-verdict", if *right { "right" } else { "wrong" })} data-testid="predict-verdict" role="status">
                    { words }
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_errno_the_kernel_returns_can_be_predicted_once() {
        let offered: Vec<&str> = ERRNOS.iter().copied().chain(other_errnos()).collect();
        let all: Vec<&str> = ipc_core::Errno::ALL.into_iter().map(ipc_core::Errno::name).collect();
        assert_eq!(offered.len(), all.len(), "each errno offered once: {offered:?}");
        assert!(all.iter().all(|e| offered.contains(e)), "{all:?} vs {offered:?}");
    }

    #[test]
    fn a_new_session_starts_a_new_score_in_the_same_mode() {
        let mut p = Predict { on: true, ..Predict::default() };
        p.answer("ok", &OutcomeView::Ok(String::new()));
        p.answer("park", &OutcomeView::Failed(ipc_core::Errno::EIDRM));
        assert_eq!((p.right, p.asked), (1, 2));
        assert!(p.verdict.as_ref().is_some_and(|(right, _)| !right));
        p.new_session();
        assert_eq!(p, Predict { on: true, ..Predict::default() });
    }
}
