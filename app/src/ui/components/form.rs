//! Small form pieces: error messages tied to a field, and the text of a failed call.

use leptos::prelude::*;

use crate::error::ApiError;

/// The error of the last call of an action, if it failed.
pub fn last_error<T, S>(value: S) -> Signal<Option<ApiError>>
where
    T: 'static,
    S: With<Value = Option<Result<T, ApiError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// Shown under a form: the message of an error that is not about one particular field.
#[component]
pub fn ErrorNote(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }
        })
    }
}

/// What a token rotation did, for the page that asked for it.
pub fn rotation_note(r: crate::model::TokenRotation) -> impl IntoView {
    let t = crate::ui::use_t();
    if r.failed.is_empty() {
        view! { <p class="ok" data-testid="rotation-result">{t().rotation_done}" "{r.rules}</p> }
            .into_any()
    } else {
        view! {
            <div class="warning" data-testid="rotation-result">
                <p>{t().rotation_incomplete}</p>
                <ul>{r.failed.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any()
    }
}

/// A labelled text input that shows the error naming its field.
#[component]
pub fn TextField(
    #[prop(into)] label: Signal<&'static str>,
    /// The API field this input feeds, as errors name it.
    field: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] required: bool,
    /// Shown while empty, e.g. the default that applies then.
    #[prop(optional)]
    placeholder: &'static str,
) -> impl IntoView {
    let id = super::field_id(field);
    let described = id.clone();
    let invalid =
        move || error.with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some(field));
    view! {
        <super::Field label=Signal::derive(move || label.get().to_string()) field error required>
            <input
                id=id
                name=field
                type=kind.unwrap_or("text")
                required=required
                placeholder=placeholder
                aria-invalid=move || invalid().to_string()
                aria-describedby=move || invalid().then(|| format!("{described}-error"))
                bind:value=value
            />
        </super::Field>
    }
}

/// Formats an RFC 3339 timestamp for a table: date and minutes, in UTC.
pub fn short_time(ts: &str) -> String {
    let trimmed = ts.replace('T', " ");
    trimmed.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_time_cuts_seconds() {
        assert_eq!(
            super::short_time("2026-11-25T13:45:12Z"),
            "2026-11-25 13:45"
        );
        assert_eq!(super::short_time(""), "");
    }
}

/// A loaded list: its rows, a "nothing yet" line when empty, or the error of the call.
pub fn list_view<T>(
    texts: &'static crate::i18n::Texts,
    result: Result<Vec<T>, ApiError>,
    rows: impl FnOnce(Vec<T>) -> AnyView,
) -> AnyView {
    match result {
        Ok(list) if list.is_empty() => view! {
            <super::EmptyState title=texts.nothing_yet.to_string() />
        }
        .into_any(),
        Ok(list) => rows(list),
        Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
    }
}

/// Previous / next under a paged list; `more` says whether a next page exists.
#[component]
pub fn Pager(page: RwSignal<u64>, more: bool) -> impl IntoView {
    let t = crate::ui::use_t();
    view! {
        <div class="form-row compact" data-testid="pager">
            <button type="button" class="small" disabled=move || page.get() <= 1
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>{move || t().previous}</button>
            <span class="small">{move || page.get()}</span>
            <button type="button" class="small" disabled=!more
                on:click=move |_| page.update(|p| *p += 1)>{move || t().next}</button>
        </div>
    }
}
