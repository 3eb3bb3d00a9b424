//! Form controls laid out one way everywhere: the label above (or beside, for switches), a
//! required mark, help text, and the error under the field it is about.

use leptos::prelude::*;

use crate::error::ApiError;

/// The message of `error` if it names `field`.
pub fn error_for(error: Option<&ApiError>, field: &str) -> Option<ApiError> {
    error.filter(|e| e.field.as_deref() == Some(field)).cloned()
}

/// The id an input for an API field gets, so its label and help can point at it.
pub fn field_id(field: &str) -> String {
    format!("f-{}", field.replace(['.', '[', ']'], "-"))
}

/// A labelled slot for any control whose `id` is `field_id(field)`.
#[component]
pub fn Field(
    #[prop(into)] label: Signal<String>,
    /// The API field the control feeds, as errors name it.
    field: &'static str,
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] help: Option<Signal<String>>,
    /// Spans the whole row of the form grid (expressions, bodies).
    #[prop(optional)]
    wide: bool,
    children: Children,
) -> impl IntoView {
    let id = field_id(field);
    let message = move || error.with(|e| error_for(e.as_ref(), field));
    let error_id = id.clone();
    view! {
        <div class=if wide { "field wide" } else { "field" }>
            <label class="field-label" for=id.clone()>
                {move || label.get()}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {children()}
            {help.map(|h| view! { <small class="field-help" id=format!("{id}-help")>{move || h.get()}</small> })}
            {move || message().map(|e| view! { <small class="field-error" role="alert" id=format!("{error_id}-error")>{crate::ui::field_error_text(&e)}</small> })}
        </div>
    }
}

/// An on/off switch with its label to the right, on one line.
#[component]
pub fn Toggle(
    #[prop(into)] label: Signal<String>,
    checked: RwSignal<bool>,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional)] help: Option<Signal<String>>,
) -> impl IntoView {
    view! {
        <div class="toggle-field">
            <label class="toggle">
                <input type="checkbox" role="switch" data-testid=testid bind:checked=checked />
                <span class="toggle-track" aria-hidden="true"></span>
                <span class="toggle-label">{move || label.get()}</span>
            </label>
            {help.map(|h| view! { <small class="field-help">{move || h.get()}</small> })}
        </div>
    }
}

/// A choice among a few options, all visible: a row of joined buttons (radio inputs inside, so
/// arrow keys move between them and a form without WebAssembly still posts the value).
#[component]
pub fn Segmented(
    #[prop(into)] label: Signal<String>,
    name: &'static str,
    options: Vec<(&'static str, Signal<String>)>,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="segmented" role="radiogroup" aria-label=move || label.get()>
            {options
                .into_iter()
                .map(|(v, text)| {
                    view! {
                        <label class="segment">
                            <input type="radio" name=name value=v
                                prop:checked=move || value.get() == v
                                on:change=move |_| value.set(v.to_string()) />
                            <span>{move || text.get()}</span>
                        </label>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(field: Option<&str>) -> ApiError {
        match field {
            Some(f) => ApiError::internal().on(f),
            None => ApiError::internal(),
        }
    }

    #[test]
    fn an_error_shows_only_under_its_field() {
        let e = err(Some("name"));
        assert!(error_for(Some(&e), "name").is_some());
        assert!(error_for(Some(&e), "expr").is_none());
        assert!(error_for(Some(&err(None)), "name").is_none());
        assert!(error_for(None, "name").is_none());
    }

    #[test]
    fn ids_are_plain() {
        assert_eq!(field_id("name"), "f-name");
        assert_eq!(field_id("spec.receivers[0].url"), "f-spec-receivers-0--url");
    }
}
