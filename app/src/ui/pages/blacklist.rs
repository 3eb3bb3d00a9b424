//! Blacklisted alerts of an environment (`/blacklist?env=N`, or `?cluster=N` for system
//! administrators): each entry silences one exact label set until it is removed here.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::alert_rules::{RemoveFromBlacklist, list_blacklist};
use crate::model::RuleScope;
use crate::ui::components::rule_editor::format_labels;
use crate::ui::components::{EnvironmentPicker, ErrorNote, last_error, short_time};
use crate::ui::use_t;

#[component]
pub fn BlacklistPage() -> impl IntoView {
    let t = use_t();
    let (scope, env) = super::alert_rules::page_scope();
    let remove = ServerAction::<RemoveFromBlacklist>::new();
    let refresh = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(remove.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    let list = Resource::new(
        move || (scope.get(), refresh.get()),
        |(scope, _)| async move {
            match scope {
                Some(s) => Some(list_blacklist(s).await),
                None => None,
            }
        },
    );
    let navigate = use_navigate();
    view! {
        <Title text=move || t().blacklist_title />
        <PageHeader title=tr(|t| t.blacklist_title) />
        <p class="muted">{move || t().blacklist_hint}</p>
        <EnvironmentPicker env testid="blacklist-env" on_pick=Callback::new(move |e| {
            navigate(&format!("/blacklist?env={e}"), Default::default())
        }) />
        <ErrorNote error=last_error(remove.value()) />
        <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || list.get().flatten().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(entries) => {
                    let sc = scope.get_untracked().unwrap_or(RuleScope::Environment(0));
                    let empty = entries.is_empty();
                    view! {
                        {empty.then(|| view! { <p class="muted" data-testid="blacklist-empty">{t().no_blacklist}</p> })}
                        <table class="table" data-testid="blacklist">
                            <tbody>
                                {entries.into_iter().map(|e| {
                                    let id = e.id.clone();
                                    view! {
                                        <tr data-testid="blacklist-entry">
                                            <td><code class="small">{format_labels(&e.labels)}</code></td>
                                            <td class="small">{e.created_by.clone()}</td>
                                            <td class="small">{short_time(&e.ends_at)}</td>
                                            <td><button type="button" class="small danger" data-testid="blacklist-remove"
                                                on:click=move |_| { remove.dispatch(RemoveFromBlacklist { scope: sc, id: id.clone() }); }>
                                                {move || t().remove}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
