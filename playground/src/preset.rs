//! Presets: sessions a teacher starts from.  Each is data — a JSON file
//! under `www/presets/` in the session format (the operation log) plus a
//! title, a story with a goal, and an explanation shown at the last step —
//! and `www/presets/index.json` lists them in teaching order.  The bridge
//! loads and replays them; this module draws the picker and the scenario
//! box, and checks a preset's goal: plain text that must (or must not)
//! appear in a panel of the page, and the kind of the last step.  No kernel
//! logic: the goal is checked against what the page shows.

use serde::Deserialize;
use yew::prelude::*;

/// A line of `presets/index.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PresetEntry {
    /// The file under `presets/`, without `.json`.
    pub name: String,
    pub title: String,
}

/// What the page shows of a preset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Preset {
    pub name: String,
    pub title: String,
    /// The situation and the goal, in a few sentences.
    pub story: String,
    /// What the learner saw, in terms of the kernel's rules: shown at the last step.
    pub explain: String,
    pub goal: Goal,
    /// The namespace the slot table, tree and id list draw ("msg", "sem", "shm").
    #[serde(default)]
    pub show: Option<String>,
}

/// A preset's goal: in words, and as checks on the last step's page.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Goal {
    pub says: String,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// One check of a goal: `{testid, contains}` (the panel shows the text),
/// `{testid, lacks}` (it does not), or `{kind}` (the last step's kind:
/// call, park, wake, error, removal).  Text is compared with runs of white
/// space taken as one space.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Check {
    #[serde(default)]
    pub testid: Option<String>,
    #[serde(default)]
    pub contains: Option<String>,
    #[serde(default)]
    pub lacks: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// Whether a goal holds, and for each check that does not, why.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalResult {
    pub reached: bool,
    pub unmet: Vec<String>,
}

/// Runs of white space as one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks `goal` against the page: `text` gives a panel's text by its
/// test id (None: not on the page); `last_kind` is the last step's kind.
pub fn check_goal(goal: &Goal, text: impl Fn(&str) -> Option<String>, last_kind: &str) -> GoalResult {
    let mut unmet = Vec::new();
    for c in &goal.checks {
        if let Some(kind) = &c.kind
            && kind != last_kind
        {
            unmet.push(format!("the last step is a {last_kind}, not a {kind}"));
        }
        if c.contains.is_none() && c.lacks.is_none() {
            if c.kind.is_none() {
                unmet.push("a check with nothing to check".into());
            }
            continue;
        }
        let Some(testid) = &c.testid else {
            unmet.push("a text check names no panel (testid)".into());
            continue;
        };
        let Some(shown) = text(testid).map(|t| squeeze(&t)) else {
            unmet.push(format!("the panel {testid:?} is not on the page"));
            continue;
        };
        if let Some(want) = &c.contains
            && !shown.contains(&squeeze(want))
        {
            unmet.push(format!("the panel {testid:?} does not show “{want}”"));
        }
        if let Some(not) = &c.lacks
            && shown.contains(&squeeze(not))
        {
            unmet.push(format!("the panel {testid:?} still shows “{not}”"));
        }
    }
    GoalResult { reached: unmet.is_empty(), unmet }
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub presets: Vec<PresetEntry>,
    /// Why the list could not be read, if it could not.
    pub error: Option<AttrValue>,
    /// The preset shown now, if any (selected in the list).
    pub current: Option<AttrValue>,
    /// Load the preset of this name.
    pub on_load: Callback<String>,
}

/// The preset picker: a labelled list and a button that loads the choice.
#[function_component]
pub fn PresetPicker(props: &PickerProps) -> Html {
    let select = use_node_ref();
    {
        let (select, current) = (select.clone(), props.current.clone());
        use_effect(move || {
            if let (Some(s), Some(name)) = (select.cast::<web_sys::HtmlSelectElement>(), current) {
                s.set_value(&name);
            }
        });
    }
    let load = {
        let (select, on_load) = (select.clone(), props.on_load.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = select.cast::<web_sys::HtmlSelectElement>()
                && !s.value().is_empty()
            {
                on_load.emit(s.value());
            }
        })
    };
    let none = props.presets.is_empty();
    html! {
        <div class="presets" role="group" aria-label="presets" data-testid="presets">
            <label for="preset-select"><strong>{ "Presets" }</strong>{ " — a story to step through: " }</label>
            <select id="preset-select" data-testid="preset-select" ref={select} disabled={none}>
                { for props.presets.iter().enumerate().map(|(i, p)| html! {
                    <option value={p.name.clone()} selected={i == 0}>{ format!("{}. {}", i + 1, p.title) }</option>
                }) }
            </select>
            <button type="button" data-testid="preset-load" disabled={none} onclick={load}
                title="Replay the chosen preset from its start (it becomes the session; the one shown now is discarded)">
                { "▶ Start preset" }
            </button>
            if let Some(e) = &props.error {
                <span class="muted" data-testid="preset-error">{ format!("no presets: {e}") }</span>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ScenarioProps {
    pub preset: Preset,
    /// Whether the last step is shown (the explanation and the goal's verdict show then).
    pub at_end: bool,
    /// The goal's verdict at the last step.
    pub result: Option<GoalResult>,
    /// Put the scenario box away.
    pub on_close: Callback<()>,
}

/// The scenario box: the preset's title, story and goal; at the last step
/// its explanation and whether the goal holds.
#[function_component]
pub fn ScenarioBox(props: &ScenarioProps) -> Html {
    let p = &props.preset;
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="scenario" data-testid="scenario" aria-labelledby="scenario-h">
            <div class="scenario-head">
                <h2 id="scenario-h"><span class="muted">{ "Scenario: " }</span>
                    <span data-testid="scenario-title">{ &p.title }</span></h2>
                <button type="button" class="scenario-close" data-testid="scenario-close" onclick={close}
                    aria-label="close the scenario box" title="Put the scenario box away (the session stays)">{ "✕" }</button>
            </div>
            <p data-testid="scenario-story">{ &p.story }</p>
            <p class="scenario-goal" data-testid="scenario-goal"><strong>{ "Goal: " }</strong>{ &p.goal.says }</p>
            if props.at_end {
                <div class="scenario-end" data-testid="scenario-end" aria-live="polite">
                    { match &props.result {
                        Some(r) if r.reached => html! {
                            <p class="goal ok" data-testid="goal-verdict"><strong>{ "Goal reached ✔" }</strong>
                                { " — the last step shows it." }</p>
                        },
                        Some(r) => html! {
                            <p class="goal failed" data-testid="goal-verdict"><strong>{ "Goal not reached ✖" }</strong>
                                { format!(" — {}.", r.unmet.join("; ")) }</p>
                        },
                        None => html! {},
                    } }
                    <p data-testid="scenario-explain"><strong>{ "What happened: " }</strong>{ &p.explain }</p>
                </div>
            } else {
                <p class="muted" data-testid="scenario-hint">
                    { "Step through with → (or ▶ Play); the explanation shows at the last step (End)." }
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(checks: serde_json::Value) -> Goal {
        serde_json::from_value(serde_json::json!({"says": "the goal", "checks": checks})).unwrap()
    }

    #[test]
    fn a_goal_holds_when_every_check_does() {
        let page = |id: &str| match id {
            "queues" => Some("queue 0x0 ·  key 0x10\n 0/8 messages".to_string()),
            "processes" => Some("tid 1 ▶ runnable".to_string()),
            _ => None,
        };
        let g = goal(serde_json::json!([
            {"testid": "queues", "contains": "0/8 messages"},
            {"testid": "queues", "contains": "· key 0x10"},
            {"testid": "processes", "lacks": "blocked"},
            {"kind": "wake"}
        ]));
        assert_eq!(check_goal(&g, page, "wake"), GoalResult { reached: true, unmet: vec![] });
        let r = check_goal(&g, page, "park");
        assert!(!r.reached);
        assert_eq!(r.unmet, vec!["the last step is a park, not a wake".to_string()]);
        let g = goal(serde_json::json!([
            {"testid": "queues", "contains": "1/8 messages"},
            {"testid": "processes", "lacks": "runnable"},
            {"testid": "ports", "contains": "x"},
            {"contains": "x"},
            {}
        ]));
        let r = check_goal(&g, page, "call");
        assert_eq!(r.unmet.len(), 5, "{:?}", r.unmet);
        assert!(r.unmet[0].contains("does not show “1/8 messages”"));
        assert!(r.unmet[1].contains("still shows “runnable”"));
        assert!(r.unmet[2].contains("\"ports\" is not on the page"));
    }

    #[test]
    fn a_preset_reads_from_its_json() {
        let p: Preset = serde_json::from_value(serde_json::json!({
            "name": "stale-id", "title": "The stale id", "story": "s", "explain": "e",
            "goal": {"says": "g", "checks": [{"kind": "error"}]}, "show": null
        }))
        .unwrap();
        assert_eq!(p.goal.checks[0].kind.as_deref(), Some("error"));
        assert_eq!(p.show, None);
    }
}
