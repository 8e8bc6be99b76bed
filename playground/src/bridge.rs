//! The Rust side of `js/bridge.js`, and the session.
//!
//! The bridge owns the kernel component's resources (the kernel, process
//! and thread handles, checkpoints) and forwards calls; Rust names
//! processes by pid and threads by tid.  Each answer is `{ok:true, value}`,
//! `{ok:true, blocked:reason}` or `{ok:false, errno}`.
//!
//! The session — the operation log, the step shown, the fork's branch, the
//! checkpoints, the session file — is `ipclab-session`'s [`Timeline`],
//! shared with `ipclab` (which records runs in the same format): it lives
//! here, in one thread-local, driving the kernel through [`Js`] (its
//! [`Machine`]).  Every call the page makes goes through [`run`], which
//! records it; every move (back, jump, branch) goes through the timeline.

use std::cell::RefCell;

use crate::model::KernelState;
use crate::preset::{Preset, PresetEntry};
use ipclab_session::timeline::{Machine, Timeline};
use ipclab_session::{Entry, KernelConfig, Kind, Session};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::js_sys::Promise;

pub use ipclab_session::{Call, Data, Tunable};

#[wasm_bindgen(module = "/js/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = bridgeInit)]
    fn bridge_init() -> Promise;
    #[wasm_bindgen(js_name = resetKernel)]
    fn reset_kernel_js(limits: &str) -> String;
    fn act(op: &str, args: &str, at: f64, quiet: bool) -> String;
    fn checkpoint(step: u32) -> f64;
    fn rewind(step: u32);
    #[wasm_bindgen(js_name = forgetCheckpoint)]
    fn forget_checkpoint(step: u32);
    fn state(window: &str) -> String;
    #[wasm_bindgen(js_name = wholeTree)]
    fn whole_tree(facility: &str) -> String;
    fn snapshot() -> String;
    #[wasm_bindgen(js_name = readFile)]
    fn read_file_js(input: &web_sys::HtmlInputElement) -> Promise;
    #[wasm_bindgen(js_name = presetIndex)]
    fn preset_index_js() -> Promise;
    #[wasm_bindgen(js_name = presetText)]
    fn preset_text_js(name: &str) -> Promise;
    #[wasm_bindgen(js_name = setSessionSource)]
    fn set_session_source(f: &Closure<dyn Fn() -> String>);
    #[wasm_bindgen(js_name = forgetSaved)]
    fn forget_saved_js();
    #[wasm_bindgen(js_name = leaveLink)]
    fn leave_link_js();
    fn moved();
    #[wasm_bindgen(js_name = copyLink)]
    fn copy_link_js(json: &str) -> Promise;
    fn download(name: &str, json: &str);
    #[wasm_bindgen(js_name = saveState)]
    fn save_state_js() -> String;
    #[wasm_bindgen(js_name = revealStep)]
    fn reveal_step_js();
    #[wasm_bindgen(js_name = panelText)]
    fn panel_text_js(testid: &str) -> Option<String>;
    #[wasm_bindgen(js_name = focusTestid)]
    fn focus_testid_js(testid: &str);
}

/// One bridge answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Success and the value returned (JSON).
    Ok(Value),
    /// The call parked; the reason in words.
    Blocked(String),
    /// Failure: an errno name (`"eacces"`), or `"bridge"` with a message.
    Err { errno: String, message: Option<String> },
}

#[derive(Deserialize)]
struct Raw {
    ok: bool,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    blocked: Option<String>,
    #[serde(default)]
    errno: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn parse(json: &str) -> Answer {
    match serde_json::from_str::<Raw>(json) {
        Ok(Raw { ok: true, blocked: Some(reason), .. }) => Answer::Blocked(reason),
        Ok(Raw { ok: true, value, .. }) => Answer::Ok(value),
        Ok(Raw { errno, message, .. }) => Answer::Err { errno: errno.unwrap_or_else(|| "bridge".into()), message },
        Err(e) => Answer::Err { errno: "bridge".into(), message: Some(format!("unreadable answer: {e}: {json}")) },
    }
}

/// What the page opened with: a fresh kernel, or the session its URL
/// carries (or, without one, the session saved in the browser).
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// No session in the URL and none saved: a fresh kernel.
    Fresh,
    /// The URL's session replayed: the step shown, of how many, and what
    /// replayed differently from when the link was made.
    Session { step: u32, length: u32, differs: Vec<String> },
    /// The URL's session could not be replayed (why); a fresh kernel.
    Unreadable(String),
}

/// Where the session the page opened with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The URL's `#session=` (a shared link).
    Link,
    /// The session saved in the browser's localStorage (the last one on
    /// this page, kept across reloads).
    Saved,
}

/// The kernel component, as the timeline drives it (through the bridge).
pub struct Js;

impl Machine for Js {
    fn reset(&mut self, config: KernelConfig) {
        let limits = match config {
            KernelConfig::Playground => serde_json::to_string(&KernelConfig::PLAYGROUND).unwrap_or_default(),
            KernelConfig::Default => "null".to_string(),
        };
        let _ = reset_kernel_js(&limits);
    }

    fn apply(&mut self, e: &Entry) -> Kind {
        let args = serde_json::to_string(&e.args).unwrap_or_else(|_| "[]".into());
        let (answer, facts) = parse_acted(&act(e.op, &args, at(e), false));
        kind_of(Call::from_entry(e).as_ref(), &answer, facts)
    }

    fn checkpoint(&mut self, step: usize) -> u64 {
        checkpoint(step as u32) as u64
    }

    fn rewind(&mut self, step: usize) {
        rewind(step as u32);
    }

    fn forget(&mut self, step: usize) {
        forget_checkpoint(step as u32);
    }
}

/// Re-making a logged step for the timeline (no answer needed).
struct Quiet;

impl Machine for Quiet {
    fn reset(&mut self, config: KernelConfig) {
        Js.reset(config);
    }

    fn apply(&mut self, e: &Entry) -> Kind {
        let args = serde_json::to_string(&e.args).unwrap_or_else(|_| "[]".into());
        act(e.op, &args, at(e), true);
        e.kind.unwrap_or(Kind::Call)
    }

    fn checkpoint(&mut self, step: usize) -> u64 {
        Js.checkpoint(step)
    }

    fn rewind(&mut self, step: usize) {
        Js.rewind(step);
    }

    fn forget(&mut self, step: usize) {
        Js.forget(step);
    }
}

fn at(e: &Entry) -> f64 {
    e.at.map_or(-1.0, |t| t as f64)
}

/// What the kernel's event said of a call: refused (failed), woke a thread.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct Facts {
    #[serde(default)]
    failed: bool,
    #[serde(default)]
    woke: bool,
}

fn parse_acted(json: &str) -> (Answer, Facts) {
    let facts = serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| v.get("facts").cloned())
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    (parse(json), facts)
}

/// The step's kind, from its answer and its event.
fn kind_of(call: Option<&Call>, answer: &Answer, facts: Facts) -> Kind {
    let refused = matches!(answer, Answer::Err { .. }) || facts.failed;
    let parked = matches!(answer, Answer::Blocked(_));
    Kind::of(refused, parked, call.is_some_and(Call::removes), facts.woke)
}

/// The tree one step back, for the shown step (the timeline's epoch and position).
type BeforeCache = Option<((u64, usize), Option<Value>)>;

thread_local! {
    /// The session shown.
    static TIMELINE: RefCell<Timeline> = RefCell::new(Timeline::default());
    /// The namespace one step back, by (epoch, step), when the shown step rotated its tree.
    static BEFORE: RefCell<BeforeCache> = const { RefCell::new(None) };
}

fn with_timeline<R>(f: impl FnOnce(&mut Timeline) -> R) -> R {
    TIMELINE.with(|t| f(&mut t.borrow_mut()))
}

/// The session's file text (what is saved, linked, exported).
fn session_json() -> String {
    with_timeline(|t| t.session("playground").to_json())
}

/// Makes the call through the bridge at the step shown and records it (a
/// call at an earlier step forks the timeline).
pub fn run(call: &Call) -> Answer {
    let args = serde_json::to_string(&call.args()).unwrap_or_else(|_| "[]".into());
    let (answer, facts) = parse_acted(&act(call.op(), &args, -1.0, false));
    if matches!(&answer, Answer::Err { errno, .. } if errno == "bridge") {
        // Not the kernel's answer (a handle the page does not have): not a step.
        return answer;
    }
    let kind = kind_of(Some(call), &answer, facts);
    with_timeline(|t| t.record(call.entry(kind), &mut Quiet));
    moved();
    answer
}

/// Replays `text` (a session file) in place of the session shown; what
/// replayed differently.  If it cannot be replayed, the session shown
/// before is replayed back and the error returned.
fn replace_session(text: &str) -> Result<(Opened, Session), String> {
    let s = Session::parse(text)?;
    let opened = with_timeline(|t| {
        let differs = t.load(&s, &mut Js);
        Opened::Session { step: t.position() as u32, length: t.len() as u32, differs }
    });
    Ok((opened, s))
}

/// A fresh kernel of the playground's limits with an empty log.
fn fresh() {
    with_timeline(|t| t.reset(KernelConfig::Playground, &mut Quiet));
}

/// Loads the component and creates the kernel, replaying the session in
/// the URL if there is one, else the saved one; `Err` says why not.
pub async fn init() -> Result<(Opened, Origin), String> {
    let answer = wasm_bindgen_futures::JsFuture::from(bridge_init()).await.map_err(|e| format!("{e:?}"))?;
    let v = value_of(parse(&answer.as_string().unwrap_or_default()))?;
    // The saved session is the session's text, asked when the page saves.
    let source = Closure::<dyn Fn() -> String>::new(session_json);
    set_session_source(&source);
    source.forget();
    fresh();
    let text = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
    if let Some(e) = text("linkError") {
        return Ok((Opened::Unreadable(e), Origin::Link));
    }
    if let Some(link) = text("link") {
        return Ok(match replace_session(&link) {
            Ok((opened, _)) => (opened, Origin::Link),
            Err(e) => {
                fresh();
                (Opened::Unreadable(e), Origin::Link)
            }
        });
    }
    if let Some(saved) = text("saved") {
        return Ok(match replace_session(&saved) {
            Ok((opened, _)) => (opened, Origin::Saved),
            Err(e) => {
                fresh();
                forget_saved_js();
                let e = if e.starts_with("not JSON") { format!("the saved session is {e}") } else { e };
                (Opened::Unreadable(e), Origin::Saved)
            }
        });
    }
    Ok((Opened::Fresh, Origin::Link))
}

/// Replays the session file chosen in `input`: [`Opened::Session`], or
/// [`Opened::Unreadable`] with why (the session shown before is kept).
pub async fn import_session(input: &web_sys::HtmlInputElement) -> Opened {
    let v = match value_of(answer_of(read_file_js(input)).await) {
        Ok(v) => v,
        Err(e) => return Opened::Unreadable(e),
    };
    let name = v.get("name").and_then(Value::as_str).unwrap_or("the file").to_string();
    let text = v.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
    let before = session_json();
    match replace_session(&text) {
        Ok((opened, _)) => {
            moved();
            opened
        }
        Err(e) => {
            restore_session(&before);
            let e = if e.starts_with("not JSON") { format!("{name} is {e}") } else { e };
            Opened::Unreadable(e)
        }
    }
}

/// Replays the session shown before a failed replacement (a fresh kernel if even that fails).
fn restore_session(before: &str) {
    if replace_session(before).is_err() {
        fresh();
    }
}

/// Awaits a bridge promise that resolves to an answer's JSON.
async fn answer_of(promise: Promise) -> Answer {
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(a) => parse(&a.as_string().unwrap_or_default()),
        Err(e) => Answer::Err { errno: "bridge".into(), message: Some(format!("{e:?}")) },
    }
}

/// An answer's value, or why there is none.
fn value_of(answer: Answer) -> Result<Value, String> {
    match answer {
        Answer::Ok(v) => Ok(v),
        Answer::Err { errno, message } => Err(message.unwrap_or(errno)),
        Answer::Blocked(b) => Err(b),
    }
}

/// The presets (`presets/index.json`), in teaching order.
pub async fn preset_index() -> Result<Vec<PresetEntry>, String> {
    let v = value_of(answer_of(preset_index_js()).await)?;
    serde_json::from_value(v).map_err(|e| format!("unreadable preset list: {e}"))
}

/// A preset's words from its session file.
fn preset_words(name: &str, s: &Session) -> Result<Preset, String> {
    let mut words = serde_json::Map::new();
    words.insert("name".into(), Value::String(name.to_string()));
    for k in ["title", "story", "explain", "goal", "show"] {
        if let Some(v) = s.rest.get(k) {
            words.insert(k.into(), v.clone());
        }
    }
    serde_json::from_value(Value::Object(words)).map_err(|e| format!("the preset {name} is not readable: {e}"))
}

/// Loads the preset `name` (its log replayed; it becomes the session):
/// the replay's [`Opened::Session`] and the preset's words, or why not
/// (the session shown before is kept).
pub async fn load_preset(name: &str) -> Result<(Opened, Preset), String> {
    let v = value_of(answer_of(preset_text_js(name)).await)?;
    let text = v.as_str().unwrap_or_default().to_string();
    let before = session_json();
    let loaded = replace_session(&text).and_then(|(opened, s)| Ok((opened, preset_words(name, &s)?)));
    match loaded {
        Ok(r) => {
            with_timeline(|t| t.set_preset(Some(name.to_string())));
            moved();
            Ok(r)
        }
        Err(e) => {
            restore_session(&before);
            Err(e)
        }
    }
}

/// The preset the session came from (after a reload, a link or a file), if any.
pub async fn current_preset() -> Result<Option<Preset>, String> {
    let Some(name) = with_timeline(|t| t.preset().map(str::to_string)) else { return Ok(None) };
    let v = value_of(answer_of(preset_text_js(&name)).await)?;
    let s = Session::parse(v.as_str().unwrap_or_default())?;
    preset_words(&name, &s).map(Some)
}

/// The text the element `[data-testid=testid]` shows, if it is on the page.
pub fn panel_text(testid: &str) -> Option<String> {
    panel_text_js(testid)
}

/// Moves the keyboard focus to the element `[data-testid=testid]`, if it is on the page.
pub fn focus(testid: &str) {
    focus_testid_js(testid);
}

/// The kernel state the page draws, its long lists cut to `window`, and
/// the timeline, or why it could not be read.
pub fn read_state(window: &ipc_core::inspect::scene::Window) -> Result<KernelState, String> {
    let window = serde_json::to_string(window).map_err(|e| format!("unwritable window: {e}"))?;
    let mut v = value_of(parse(&state(&window)))?;
    let rotated = v.get("rotated").and_then(Value::as_str).map(str::to_string);
    let before = rotated.and_then(|f| before_rotation(&f));
    let mut s: KernelState = serde_json::from_value(v.take()).map_err(|e| format!("unreadable state: {e}"))?;
    s.before = before.and_then(|b| serde_json::from_value(b).ok());
    with_timeline(|t| {
        s.timeline = t.view(LABELS_AROUND);
        s.history = s.timeline.history;
        s.names = t.names().clone();
    });
    Ok(s)
}

/// Timeline labels sent around the step shown: more than the markers the page draws (50 each side).
const LABELS_AROUND: usize = 100;

/// The namespace `facility` as it was before the shown step, which rotated
/// its AVL tree: `{facility, keys}` — the real kernel's, one step back (the
/// timeline goes there and returns: the kernel is deterministic), computed
/// once per shown step.
fn before_rotation(facility: &str) -> Option<Value> {
    let key = with_timeline(|t| (t.epoch(), t.position()));
    if let Some(v) = BEFORE.with(|b| b.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, v)| v.clone())) {
        return v;
    }
    let value = with_timeline(|t| {
        t.peek_before(&mut Quiet, || {
            value_of(parse(&whole_tree(facility)))
                .ok()
                .map(|keys| serde_json::json!({"facility": facility, "keys": keys}))
        })
    })
    .flatten();
    BEFORE.with(|b| *b.borrow_mut() = Some((key, value.clone())));
    value
}

/// Shows the step before the shown one; `Err` if the timeline starts there.
pub fn undo() -> Result<(), String> {
    with_timeline(|t| t.step_back(&mut Quiet))?;
    moved();
    Ok(())
}

/// Downloads the kernel's snapshot as `ipclab-snapshot.json`; its size.
pub fn save_state() -> Result<u64, String> {
    value_of(parse(&save_state_js())).map(|v| v.as_u64().unwrap_or(0))
}

/// Starts the timeline here (Step back cannot go before this point).
pub fn forget_history() {
    with_timeline(Timeline::forget_history);
    moved();
}

/// Discards the session (the saved one too) for a fresh kernel with an
/// empty log; the caller spawns the start-up processes.
pub fn new_session() {
    fresh();
    forget_saved_js();
    leave_link_js();
}

/// Scrolls the timeline's markers so that the step shown is in view.
pub fn reveal_step() {
    reveal_step_js();
}

/// Shows the state after `step` operations (restored from the nearest
/// checkpoint and the log re-run from there).
pub fn jump(step: u32) -> Result<(), String> {
    with_timeline(|t| t.go_to(step as usize, &mut Quiet));
    moved();
    Ok(())
}

/// Brings back the steps a fork set aside (they become the timeline after
/// the branch's step; the steps they replace become the branch), showing
/// the last of them.
pub fn switch_branch() -> Result<(), String> {
    with_timeline(|t| t.switch_branch(&mut Quiet))?;
    moved();
    Ok(())
}

/// Forgets the steps a fork set aside.
pub fn discard_branch() -> Result<(), String> {
    with_timeline(Timeline::discard_branch);
    moved();
    Ok(())
}

/// Puts the session (operation log and step shown) in the page's URL and
/// copies the link if the browser lets it: the link, and whether it was copied.
pub async fn copy_link() -> Result<(String, bool), String> {
    let v = value_of(answer_of(copy_link_js(&session_json())).await)?;
    Ok((
        v.get("url").and_then(Value::as_str).unwrap_or_default().to_string(),
        v.get("copied").and_then(Value::as_bool) == Some(true),
    ))
}

/// Downloads the session as `ipclab-session.json`: its size in bytes and
/// how many operations it holds.  The file also carries the kernel's
/// snapshot at the step shown, which `ipclab ipcs FILE` prints (importing
/// replays the log and ignores it).
pub fn export_session() -> Result<(u64, u64), String> {
    let snap = value_of(parse(&snapshot()))?;
    let mut s = with_timeline(|t| t.session("playground"));
    s.snapshot = snap.as_str().map(str::to_string);
    let json = s.to_json();
    download("ipclab-session.json", &json);
    Ok((json.len() as u64, s.log.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_what_its_answer_and_its_event_say() {
        let rmid = Call::Rmid { tid: 1, msqid: 0 };
        let (ok, facts) = parse_acted(r#"{"ok":true,"value":null,"facts":{"failed":false,"woke":true}}"#);
        assert_eq!(kind_of(Some(&rmid), &ok, facts), Kind::Removal);
        assert_eq!(kind_of(None, &ok, facts), Kind::Wake);
        let (parked, facts) = parse_acted(r#"{"ok":true,"blocked":"the queue is empty","facts":{}}"#);
        assert_eq!(parked, Answer::Blocked("the queue is empty".into()));
        assert_eq!(kind_of(None, &parked, facts), Kind::Park);
        let (refused, facts) = parse_acted(r#"{"ok":false,"errno":"eidrm","facts":{"failed":true,"woke":true}}"#);
        assert_eq!(kind_of(Some(&rmid), &refused, facts), Kind::Error);
        // A completion taken that failed: the answer is a value, the event failed.
        let (taken, facts) = parse_acted(r#"{"ok":true,"value":{"ok":false},"facts":{"failed":true}}"#);
        assert_eq!(kind_of(None, &taken, facts), Kind::Error);
        let (garbled, facts) = parse_acted("not json");
        assert!(matches!(garbled, Answer::Err { .. }));
        assert_eq!(kind_of(None, &garbled, facts), Kind::Error);
    }
}
