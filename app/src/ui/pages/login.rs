use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::Login;
use crate::ui::components::PreferenceSwitch;
use crate::ui::components::{ErrorNote, TextField, last_error};
use crate::ui::use_t;

/// Works without JavaScript: the form posts to `/login`, which answers with a redirect. Once
/// hydrated, the same form calls the JSON endpoint instead and shows errors in place.
#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_t();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = ServerAction::<Login>::new();
    let error = last_error(action.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            let next = query
                .get_untracked()
                .get("next")
                .filter(|n| n.starts_with('/') && !n.starts_with("//"));
            let _ = window()
                .location()
                .set_href(&next.unwrap_or_else(|| "/".into()));
        }
    });
    let redirected_error = move || query.get().get("error");
    view! {
        <Title text=move || t().log_in />
        <div class="login-page">
            <form
                class="card login"
                method="post"
                action="/login"
                on:submit=move |ev| {
                    ev.prevent_default();
                    action.dispatch(Login { username: username.get_untracked(), password: password.get_untracked() });
                }
            >
                <h1>{move || t().app_name}</h1>
                <p class="muted">{move || t().tagline}</p>
                <h2>{move || t().login_title}</h2>
                <TextField label=Signal::derive(move || t().username) field="username" value=username error required=true />
                <TextField label=Signal::derive(move || t().password) field="password" value=password error kind="password" required=true />
                <ErrorNote error />
                {move || redirected_error().map(|e| view! { <p class="error" role="alert">{t().login_failed}": "{e}</p> })}
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { t().logging_in } else { t().log_in }}
                </button>
            </form>
            <PreferenceSwitch />
        </div>
    }
}
