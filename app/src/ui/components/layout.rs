//! The frame around every signed-in page: top bar, side navigation, and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};

use super::icons::{Icon, IconName};
use super::switchers::{ScopeSwitchers, provide_scope};
use super::toast::{Toaster, Toasts};
use crate::api::account::SetPreferences;
use crate::i18n::Lang;
use crate::model::{Me, Theme};
use crate::ui::{use_session, use_t};

#[component]
pub fn AppLayout() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => view! { <Frame me /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(me: Me) -> impl IntoView {
    let t = use_t();
    let admin = me.is_system_admin;
    provide_scope(me.id);
    let toaster = Toaster::provide();
    let name = if me.display_name.is_empty() {
        me.username.clone()
    } else {
        me.display_name.clone()
    };
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">{move || t().app_name}</A>
            <ScopeSwitchers admin />
            <div class="topbar-right">
                <crate::ui::pages::MessageBell />
                <PreferenceSwitch />
                <A href="/account" attr:class="user">{name}</A>
                <form method="post" action="/logout" class="inline">
                    <button type="submit" class="link">{move || t().log_out}</button>
                </form>
            </div>
        </header>
        <div class="frame">
            <nav class="sidenav" aria-label="main">
                <A href="/" exact=true>{move || t().nav_overview}</A>
                <A href="/tenants">{move || t().nav_tenants}</A>
                <A href="/dashboards">{move || t().nav_dashboards}</A>
                <A href="/explore">{move || t().nav_metrics}</A>
                <A href="/collectors">{move || t().nav_collectors}</A>
                <A href="/alert-rules">{move || t().nav_alert_rules}</A>
                <A href="/alerts/overview">{move || t().nav_alert_overview}</A>
                <A href="/alerts" exact=true>{move || t().nav_alert_history}</A>
                <A href="/blacklist">{move || t().nav_blacklist}</A>
                <A href="/messages">{move || t().nav_messages}</A>
                <A href="/channels">{move || t().nav_channels}</A>
                <A href="/templates">{move || t().nav_templates}</A>
                <A href="/audit">{move || t().nav_audit}</A>
                <A href="/account">{move || t().nav_account}</A>
                <Show when=move || admin>
                    <h4>{move || t().nav_admin}</h4>
                    <A href="/clusters">{move || t().nav_clusters}</A>
                    <A href="/users">{move || t().nav_users}</A>
                    <A href="/jobs">{move || t().nav_jobs}</A>
                    <A href="/drift">{move || t().nav_drift}</A>
                </Show>
            </nav>
            <main class="content">
                <Outlet />
            </main>
        </div>
        <Toasts toaster />
    }
}

/// Language and theme. The page redraws at once; the choice is saved in cookies and the account.
#[component]
pub fn PreferenceSwitch() -> impl IntoView {
    let session = use_session();
    let t = use_t();
    let save = ServerAction::<SetPreferences>::new();
    let persist = move || {
        save.dispatch(SetPreferences {
            language: session.lang.get_untracked(),
            theme: session.theme.get_untracked(),
        });
    };
    view! {
        <div class="prefs">
            <select
                aria-label=move || t().language
                data-testid="language"
                on:change=move |ev| {
                    if let Some(l) = Lang::parse(&event_target_value(&ev)) {
                        session.lang.set(l);
                        persist();
                    }
                }
            >
                {Lang::ALL
                    .into_iter()
                    .map(|l| {
                        view! {
                            <option value=l.code() selected=move || session.lang.get() == l>
                                {l.native_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <button
                type="button"
                class="theme-toggle"
                data-testid="theme"
                title=move || t().theme
                on:click=move |_| {
                    session.theme.update(|th| *th = if *th == Theme::Dark { Theme::Light } else { Theme::Dark });
                    persist();
                }
            >
                {move || if session.theme.get() == Theme::Dark {
                    view! { <Icon name=IconName::Sun /> }.into_any()
                } else {
                    view! { <Icon name=IconName::Moon /> }.into_any()
                }}
                <span>{move || if session.theme.get() == Theme::Dark { t().theme_light } else { t().theme_dark }}</span>
            </button>
        </div>
    }
}
