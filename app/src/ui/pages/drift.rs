//! The config check's findings (system administrators): per cluster, the rules whose cluster
//! objects differ from the database, with the diff, and the orphans. Repair re-applies a rule from
//! the database or deletes an orphan; both are audited.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::jobs::{RepairDrift, RunJob, list_drift};
use crate::model::{ClusterDrift, DriftRule, JobKind, Orphan, RepairTarget};
use crate::ui::components::{ConfirmButton, ErrorNote, last_error, short_time};
use crate::ui::use_t;

/// A unified diff with its added and removed lines marked.
#[component]
pub fn Diff(text: String) -> impl IntoView {
    view! {
        <pre class="diff" data-testid="drift-diff">
            {text.lines().map(|l| {
                let class = if l.starts_with('+') && !l.starts_with("+++") { "add" }
                    else if l.starts_with('-') && !l.starts_with("---") { "del" } else { "" };
                view! { <span class=class>{format!("{l}\n")}</span> }
            }).collect_view()}
        </pre>
    }
}

#[component]
pub fn DriftPage() -> impl IntoView {
    let t = use_t();
    let tick = RwSignal::new(0u64);
    let repair = ServerAction::<RepairDrift>::new();
    let run = ServerAction::<RunJob>::new();
    let report = Resource::new(
        move || (tick.get(), repair.version().get()),
        |_| list_drift(),
    );
    super::jobs::refresh_every(tick, 3);
    view! {
        <Title text=move || t().drift_title />
        <PageHeader title=tr(|t| t.drift_title) />
        <p class="muted">{move || t().drift_hint}</p>
        <p>
            <button type="button" data-testid="drift-check-now"
                on:click=move |_| { run.dispatch(RunJob { job: JobKind::AlertConfigCheck }); }>{move || t().drift_check_now}</button>
            " "<a href="/jobs">{move || t().nav_jobs}</a>
            {move || run.value().get().and_then(|r| r.ok()).map(|r| view! {
                <span class="muted small" data-testid="drift-check-queued">" "{format!("{} #{}", t().run_queued, r.id)}</span>
            })}
        </p>
        <ErrorNote error=last_error(run.value()) />
        <ErrorNote error=last_error(repair.value()) />
        {move || repair.value().get().and_then(|r| r.ok()).map(|o| view! {
            <p class="small" data-testid="drift-repaired">
                {format!("{}: {}", t().drift_repaired, o.repaired.join(", "))}
                {(!o.failed.is_empty()).then(|| view! { <span class="error">{format!(" · {}", o.failed.join("; "))}</span> })}
            </p>
        })}
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t().no_clusters}</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|c| view! { <ClusterCard c repair /> }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClusterCard(c: ClusterDrift, repair: ServerAction<RepairDrift>) -> impl IntoView {
    let t = use_t();
    let clean = c.rules.is_empty() && c.orphans.is_empty();
    let cluster_id = c.cluster_id;
    view! {
        <section class="card" data-testid="drift-cluster" data-cluster=c.cluster.clone()>
            <h2>{c.cluster.clone()}</h2>
            <p class="small muted">
                {format!("{} {} · {} {}", t().drift_ok, c.ok, t().drift_unchecked, c.unchecked)}
            </p>
            {if clean {
                view! { <p class="muted" data-testid="drift-clean">{t().drift_none}</p> }.into_any()
            } else {
                view! {
                    <button type="button" data-testid="drift-repair-all"
                        on:click=move |_| { repair.dispatch(RepairDrift { target: RepairTarget::Cluster(cluster_id) }); }>
                        {t().drift_repair_all}
                    </button>
                }.into_any()
            }}
            {(!c.rules.is_empty()).then(|| view! {
                <h3>{t().drift_rules}</h3>
                <table class="table" data-testid="drift-rules">
                    <thead><tr><th>{t().rule_name}</th><th>{t().drift}</th><th>{t().drift_problems}</th><th></th></tr></thead>
                    <tbody>{c.rules.into_iter().map(|r| view! { <RuleRow r repair /> }).collect_view()}</tbody>
                </table>
            })}
            {(!c.orphans.is_empty()).then(|| view! {
                <h3>{t().drift_orphans}</h3>
                <table class="table" data-testid="drift-orphans">
                    <thead><tr><th>{t().drift_kind}</th><th>{t().rule_name}</th><th>{t().since}</th><th></th></tr></thead>
                    <tbody>{c.orphans.into_iter().map(|o| view! { <OrphanRow o repair /> }).collect_view()}</tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn RuleRow(r: DriftRule, repair: ServerAction<RepairDrift>) -> impl IntoView {
    let t = use_t();
    let id = r.id;
    let status = r.check.status.clone();
    view! {
        <tr data-testid="drift-rule" data-rule=r.name.clone() data-status=status.clone()>
            <td>{format!("{}/{}", r.namespace, r.name)}</td>
            <td><span class=format!("badge {status}")>{if status == "error" { t().drift_error } else { t().drift_warning }}</span></td>
            <td>
                <ul class="plain small">{r.check.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                {(!r.check.diff.is_empty()).then(|| view! {
                    <details open=true><summary>{t().drift_diff}</summary><Diff text=r.check.diff.clone() /></details>
                })}
            </td>
            <td>
                <button type="button" class="small" data-testid="drift-repair"
                    on:click=move |_| { repair.dispatch(RepairDrift { target: RepairTarget::Rule(id) }); }>{t().drift_repair}</button>
            </td>
        </tr>
    }
}

#[component]
fn OrphanRow(o: Orphan, repair: ServerAction<RepairDrift>) -> impl IntoView {
    let t = use_t();
    let id = o.id;
    let name = if o.namespace.is_empty() {
        o.name.clone()
    } else {
        format!("{}/{}", o.namespace, o.name)
    };
    view! {
        <tr data-testid="drift-orphan" data-name=o.name.clone()>
            <td>{o.kind.clone()}</td>
            <td>
                {name}
                <details><summary>{t().drift_content}</summary><pre class="diff">{o.content.clone()}</pre></details>
            </td>
            <td>{short_time(&o.found_at)}</td>
            <td data-testid="drift-delete">
                <ConfirmButton label=t().delete question=t().drift_delete_q
                    on_confirm=Callback::new(move |_| { repair.dispatch(RepairDrift { target: RepairTarget::Orphan(id) }); }) />
            </td>
        </tr>
    }
}
