//! The audit log with filters. What a user sees depends on their role (see the audit port).

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::audit::list_audit;
use crate::model::AuditFilter;
use crate::ui::components::short_time;
use crate::ui::use_t;

const PAGE: u64 = 50;

#[component]
pub fn AuditPage() -> impl IntoView {
    let t = use_t();
    let username = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let before = RwSignal::new(None::<i64>);
    let applied = RwSignal::new(AuditFilter {
        limit: Some(PAGE),
        ..Default::default()
    });
    let rows = Resource::new(move || applied.get(), list_audit);
    let non_empty = |s: String| {
        if s.trim().is_empty() {
            None
        } else {
            Some(s.trim().to_string())
        }
    };
    let apply = move || {
        applied.set(AuditFilter {
            username: non_empty(username.get_untracked()),
            action: non_empty(action.get_untracked()),
            success: match result.get_untracked().as_str() {
                "ok" => Some(true),
                "failed" => Some(false),
                _ => None,
            },
            before_id: before.get_untracked(),
            limit: Some(PAGE),
            tenant_id: None,
        })
    };
    view! {
        <Title text=move || t().audit_title />
        <PageHeader title=tr(|t| t.audit_title) />
        <form class="card form-row" data-testid="audit-filter" on:submit=move |ev| { ev.prevent_default(); before.set(None); apply(); }>
            <label class="field"><span>{move || t().audit_who}</span><input name="username" bind:value=username /></label>
            <label class="field"><span>{move || t().audit_action}</span><input name="action" placeholder="tenant." bind:value=action /></label>
            <label class="field"><span>{move || t().audit_result}</span>
                <select name="result" on:change=move |ev| result.set(event_target_value(&ev))>
                    <option value="">{move || t().any}</option>
                    <option value="ok">{move || t().result_ok}</option>
                    <option value="failed">{move || t().result_failed}</option>
                </select>
            </label>
            <button type="submit" class="primary">{move || t().filter}</button>
        </form>
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t().nothing_yet}</p> }.into_any(),
                    Ok(list) => {
                        let last = list.last().map(|r| r.id);
                        let full = list.len() as u64 >= PAGE;
                        view! {
                            <table class="table" data-testid="audit">
                                <thead><tr>
                                    <th>{t().audit_when}</th><th>{t().audit_who}</th><th>{t().audit_action}</th>
                                    <th>{t().audit_target}</th><th>{t().audit_result}</th><th>{t().audit_ip}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr class:failed=!r.success>
                                            <td>{short_time(&r.at)}</td>
                                            <td>{r.username}</td>
                                            <td><code>{r.action}</code></td>
                                            <td>{r.target}</td>
                                            <td title=r.detail.clone()>{if r.success { t().result_ok.to_string() } else { format!("{}: {}", t().result_failed, r.detail) }}</td>
                                            <td>{r.ip}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Show when=move || full>
                                <button on:click=move |_| { before.set(last); apply(); }>{t().older}</button>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
