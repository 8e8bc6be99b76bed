//! Small labelled form controls: a text field and a checkbox, each with a
//! `<label for>` and a stable `data-testid` (the element id), plus the
//! number parsing the call forms share.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// The visible label.
    pub label: AttrValue,
    /// Element id and `data-testid`.
    pub id: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    /// Extra words for screen readers and tooltips.
    #[prop_or_default]
    pub hint: AttrValue,
    /// Input width in characters.
    #[prop_or(8)]
    pub size: u32,
    #[prop_or_default]
    pub placeholder: AttrValue,
}

/// A labelled text input.
#[function_component]
pub fn Field(props: &FieldProps) -> Html {
    let oninput = {
        let cb = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit(input.value());
        })
    };
    let hint = (!props.hint.is_empty()).then(|| props.hint.clone());
    let hint_id = hint.as_ref().map(|_| format!("{}-hint", props.id));
    html! {
        <span class="field">
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <input id={props.id.clone()} data-testid={props.id.clone()} type="text" size={props.size.to_string()}
                value={props.value.clone()} {oninput} aria-describedby={hint_id.clone()}
                placeholder={props.placeholder.clone()} spellcheck="false" autocomplete="off" />
            { shown_hint(hint_id, hint) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckProps {
    pub label: AttrValue,
    pub id: AttrValue,
    pub checked: bool,
    pub onchange: Callback<bool>,
    #[prop_or_default]
    pub hint: AttrValue,
}

/// A labelled checkbox.
#[function_component]
pub fn Check(props: &CheckProps) -> Html {
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit(input.checked());
        })
    };
    let hint = (!props.hint.is_empty()).then(|| props.hint.clone());
    let hint_id = hint.as_ref().map(|_| format!("{}-hint", props.id));
    html! {
        <span class="check">
            <input id={props.id.clone()} data-testid={props.id.clone()} type="checkbox" checked={props.checked}
                {onchange} aria-describedby={hint_id.clone()} />
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            { shown_hint(hint_id, hint) }
        </span>
    }
}

/// A control's hint as text, shown while the control has the keyboard
/// focus (or the pointer is on it), not only as a hover tooltip; it is
/// the control's description for screen readers.
fn shown_hint(id: Option<String>, hint: Option<AttrValue>) -> Html {
    match (id, hint) {
        (Some(id), Some(hint)) => {
            html! { <span class="hint" role="note" id={id.clone()} data-testid={id}>{ hint }</span> }
        }
        _ => html! {},
    }
}

/// A `use_state` string with a ready-made `oninput` callback.
pub fn setter(state: &UseStateHandle<String>) -> Callback<String> {
    let state = state.clone();
    Callback::from(move |v: String| state.set(v))
}

/// A `use_state` bool with a ready-made `onchange` callback.
pub fn toggler(state: &UseStateHandle<bool>) -> Callback<bool> {
    let state = state.clone();
    Callback::from(move |v: bool| state.set(v))
}

/// An integer written in decimal, `0x` hex or `0o` octal, possibly negative.
pub fn parse_int(what: &str, s: &str) -> Result<i64, String> {
    let t = s.trim().replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t),
    };
    let parsed = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8)
    } else {
        t.parse::<i64>()
    };
    parsed.map(|v| if neg { -v } else { v }).map_err(|_| format!("{what}: \"{s}\" is not a number"))
}

/// A number written in hex, with or without `0x` (keys).
pub fn parse_hex(what: &str, s: &str) -> Result<i64, String> {
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    i64::from_str_radix(t, 16).map_err(|_| format!("{what}: \"{s}\" is not a hex number"))
}

/// A number written in octal, with or without a leading `0` or `0o` (modes).
pub fn parse_octal(what: &str, s: &str) -> Result<i64, String> {
    let t = s.trim();
    let t = t.strip_prefix("0o").unwrap_or(t);
    i64::from_str_radix(t, 8).map_err(|_| format!("{what}: \"{s}\" is not an octal number"))
}

/// An optional timeout in milliseconds, as nanoseconds; empty means none.
pub fn parse_timeout(s: &str) -> Result<Option<u64>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let ms = parse_int("timeout", s)?;
    let ms = u64::try_from(ms).map_err(|_| "timeout: must not be negative".to_string())?;
    ms_to_ns("timeout", ms).map(Some)
}

/// Milliseconds as nanoseconds, refusing values that do not fit in 64 bits.
pub fn ms_to_ns(what: &str, ms: u64) -> Result<u64, String> {
    ms.checked_mul(1_000_000).ok_or_else(|| format!("{what}: {ms} ms is out of range"))
}

/// A key written in hex (0 is IPC_PRIVATE); values up to 0xffffffff wrap
/// to the negative `key_t` they are.
pub fn parse_key(s: &str) -> Result<i32, String> {
    let k = parse_hex("key", s)?;
    i32::try_from(k).or_else(|_| u32::try_from(k).map(|u| u as i32)).map_err(|_| "key: out of range".to_string())
}

/// GET flags from a mode field and the IPC_CREAT / IPC_EXCL boxes.
pub fn get_flags(mode: &str, creat: bool, excl: bool) -> Result<i32, String> {
    let mut flags: i32 = fit("mode", parse_octal("mode", mode)?)?;
    if creat {
        flags |= 0o1000;
    }
    if excl {
        flags |= 0o2000;
    }
    Ok(flags)
}

/// Reads a call form, given the acting tid and the form's id field.
pub type Builder<C> = Box<dyn Fn(u32, &str) -> Result<C, String>>;

/// A submit handler: reads the form with `build` for the acting thread and
/// the id field, then emits the call, or says why it could not.
pub fn submitter<C: 'static>(
    actor: Option<u32>,
    id_field: String,
    on_call: Callback<C>,
    on_error: Callback<String>,
) -> impl Fn(Builder<C>) -> Callback<SubmitEvent> {
    move |build: Builder<C>| {
        let (on_call, on_error, id_field) = (on_call.clone(), on_error.clone(), id_field.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match actor {
                None => on_error.emit("no thread is selected to make the call".to_string()),
                Some(tid) => match build(tid, &id_field) {
                    Ok(call) => on_call.emit(call),
                    Err(msg) => on_error.emit(msg),
                },
            }
        })
    }
}

/// Checks that `v` fits the call's argument type.
pub fn fit<T: TryFrom<i64>>(what: &str, v: i64) -> Result<T, String> {
    T::try_from(v).map_err(|_| format!("{what}: {v} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_int("x", "0x10"), Ok(16));
        assert_eq!(parse_int("x", "-3"), Ok(-3));
        assert_eq!(parse_int("x", "0o17"), Ok(15));
        assert!(parse_int("x", "z").is_err());
        assert_eq!(parse_hex("k", "10"), Ok(16));
        assert_eq!(parse_hex("k", "0xff"), Ok(255));
        assert_eq!(parse_octal("m", "0600"), Ok(0o600));
        assert_eq!(parse_timeout(""), Ok(None));
        assert_eq!(parse_timeout("5"), Ok(Some(5_000_000)));
        assert_eq!(fit::<i32>("id", 1 << 40), Err("id: 1099511627776 is out of range".to_string()));
        assert_eq!(parse_key("ffffffff"), Ok(-1));
        assert!(parse_key("1ffffffff").is_err());
        assert_eq!(get_flags("0600", true, true), Ok(0o3600));
    }
}
