//! The signed-in user's own settings: preferences, password, personal API tokens.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::account::{ChangePassword, CreateToken, RevokeToken, list_tokens};
use crate::ui::components::{
    ConfirmButton, ErrorNote, PreferenceSwitch, TextField, last_error, list_view, short_time,
};
use crate::ui::use_t;

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = use_t();
    view! {
        <Title text=move || t().account_title />
        <PageHeader title=tr(|t| t.account_title) />
        <div class="grid2">
            <section class="card">
                <h2>{move || t().preferences}</h2>
                <PreferenceSwitch />
            </section>
            <PasswordForm />
        </div>
        <Tokens />
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let t = use_t();
    let action = ServerAction::<ChangePassword>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = last_error(action.value());
    view! {
        <form class="card" data-testid="change-password" on:submit=move |ev| {
            ev.prevent_default();
            action.dispatch(ChangePassword { current: current.get_untracked(), new: new.get_untracked() });
        }>
            <h2>{move || t().change_password}</h2>
            <TextField label=Signal::derive(move || t().current_password) field="current" value=current error kind="password" required=true />
            <TextField label=Signal::derive(move || t().new_password) field="new" value=new error kind="password" required=true />
            <p class="muted" data-testid="password-change-note">{move || t().password_change_ends_sessions}</p>
            <button type="submit" class="primary">{move || t().save}</button>
            <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
            <Show when=move || matches!(action.value().get(), Some(Ok(())))>
                <p class="ok">{move || t().saved}</p>
            </Show>
        </form>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let t = use_t();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let error = last_error(create.value());
    let created = move || create.value().get().and_then(|r| r.ok()).map(|c| c.secret);
    view! {
        <section class="card" data-testid="tokens">
            <h2>{move || t().api_tokens}</h2>
            <p class="muted">{move || t().api_tokens_intro}</p>
            {move || created().map(|secret| view! {
                <p class="ok">{t().token_created}" "<code data-testid="token-secret">{secret}</code></p>
            })}
            <form class="form-row" on:submit=move |ev| {
                ev.prevent_default();
                let d = days.get_untracked();
                let expires_in_days = if d.trim().is_empty() { None } else { d.trim().parse().ok() };
                create.dispatch(CreateToken { name: name.get_untracked(), expires_in_days });
            }>
                <TextField label=Signal::derive(move || t().token_name) field="name" value=name error required=true />
                <TextField label=Signal::derive(move || t().expires_in_days) field="expires_in_days" value=days error kind="number" />
                <button type="submit" class="primary">{move || t().create}</button>
                <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
            </form>
            <ErrorNote error=last_error(revoke.value()) />
            <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || Suspend::new(async move {
                    list_view(t(), tokens.await, |list| view! {
                            <table class="table">
                                <thead><tr><th>{t().token_name}</th><th>"ID"</th><th>{t().created_at}</th><th>{t().expires}</th><th>{t().last_used}</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|tk| {
                                        let id = tk.id;
                                        view! {
                                            <tr>
                                                <td>{tk.name}</td>
                                                <td><code>{tk.prefix}"…"</code></td>
                                                <td>{short_time(&tk.created_at)}</td>
                                                <td>{tk.expires_at.map(|e| short_time(&e)).unwrap_or_else(|| t().never.to_string())}</td>
                                                <td>{tk.last_used_at.map(|e| short_time(&e)).unwrap_or_else(|| "—".to_string())}</td>
                                                <td><ConfirmButton label=t().revoke question=t().confirm_delete on_confirm=Callback::new(move |_| { revoke.dispatch(RevokeToken { token_id: id }); }) /></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any())
                })}
            </Transition>
        </section>
    }
}
