//! An environment's alert rules (`/alert-rules?env=N`; system administrators also
//! `?cluster=N` for a cluster's monitoring namespace): counts by state, filters, the list with
//! state and sync status, enable/disable, copy, delete, re-sync, import, the editor, and a
//! rule's detail (`&rule=name`): generated objects, live alerts with blacklisting.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::alert_rules::{
    AddToBlacklist, CopyAlertRule, DeleteAlertRule, ImportAlertRules, SetAlertRuleEnabled,
    SyncAlertRules, alert_rule_context, get_alert_rule, list_alert_rules,
};
use crate::model::{
    AlertRule, AlertRuleInput, AlertType, RuleDetail, RuleEditorContext, RuleScope, RuleState,
};
use crate::ui::components::rule_editor::{RuleEditor, format_labels};
use crate::ui::components::{ConfirmButton, EnvironmentPicker, ErrorNote, last_error};
use crate::ui::use_t;

fn state_text(s: RuleState) -> &'static str {
    let t = use_t()();
    match s {
        RuleState::Inactive => t.state_inactive,
        RuleState::Pending => t.state_pending,
        RuleState::Firing => t.state_firing,
        RuleState::Unknown => t.state_unknown,
    }
}

fn page_link(scope: RuleScope, rule: Option<&str>) -> String {
    let base = match scope {
        RuleScope::Environment(e) => format!("/alert-rules?env={e}"),
        RuleScope::System(c) => format!("/alert-rules?cluster={c}"),
    };
    match rule {
        Some(r) => format!("{base}&rule={r}"),
        None => base,
    }
}

/// The scope the page works in (the UI's one scope: an environment, or for system admins a
/// cluster's monitoring namespace), and the environment picker's value.
pub(crate) fn page_scope() -> (Memo<Option<RuleScope>>, Signal<Option<i64>>) {
    let ui = crate::ui::components::switchers::use_scope();
    let scope = Memo::new(move |_| {
        let s = ui.get();
        s.environment
            .map(RuleScope::Environment)
            .or_else(|| s.cluster.map(RuleScope::System))
    });
    let env = Signal::derive(move || match scope.get() {
        Some(RuleScope::Environment(e)) => Some(e),
        _ => None,
    });
    (scope, env)
}

/// What the editor is open for.
#[derive(Clone, PartialEq)]
enum Editing {
    Closed,
    New,
    Rule(String, Box<AlertRuleInput>),
}

#[component]
pub fn AlertRulesPage() -> impl IntoView {
    let t = use_t();
    let query = use_query_map();
    let (scope, env) = page_scope();
    let selected = Memo::new(move |_| query.with(|q| q.get("rule")));
    let refresh = RwSignal::new(0usize);
    let bump = move || refresh.update(|n| *n += 1);
    let enable = ServerAction::<SetAlertRuleEnabled>::new();
    let delete = ServerAction::<DeleteAlertRule>::new();
    let sync = ServerAction::<SyncAlertRules>::new();
    let import = ServerAction::<ImportAlertRules>::new();
    let copy = ServerAction::<CopyAlertRule>::new();
    for done in [
        Signal::derive(move || matches!(enable.value().get(), Some(Ok(_)))),
        Signal::derive(move || matches!(delete.value().get(), Some(Ok(_)))),
        Signal::derive(move || matches!(sync.value().get(), Some(Ok(_)))),
        Signal::derive(move || matches!(import.value().get(), Some(Ok(_)))),
        Signal::derive(move || matches!(copy.value().get(), Some(Ok(_)))),
    ] {
        Effect::new(move |_| {
            if done.get() {
                bump();
            }
        });
    }
    let action_error = Signal::derive(move || {
        last_error(enable.value())
            .get()
            .or_else(|| last_error(delete.value()).get())
            .or_else(|| last_error(sync.value()).get())
            .or_else(|| last_error(copy.value()).get())
    });
    let list = Resource::new(
        move || (scope.get(), refresh.get()),
        |(scope, _)| async move {
            match scope {
                Some(s) => Some(list_alert_rules(s).await),
                None => None,
            }
        },
    );
    let context = Resource::new(
        move || scope.get(),
        |scope| async move {
            match scope {
                Some(s) => Some(alert_rule_context(s).await),
                None => None,
            }
        },
    );
    let detail = Resource::new(
        move || (scope.get(), selected.get(), refresh.get()),
        |(scope, rule, _)| async move {
            match (scope, rule) {
                (Some(s), Some(r)) => Some(get_alert_rule(s, r).await),
                _ => None,
            }
        },
    );
    let editing = RwSignal::new(Editing::Closed);
    let filter_state = RwSignal::new(String::new());
    let filter_severity = RwSignal::new(String::new());
    let filter_type = RwSignal::new(String::new());
    let filter_text = RwSignal::new(String::new());
    let import_text = RwSignal::new(String::new());
    let navigate = use_navigate();
    let nav_env = navigate.clone();
    let matches = move |r: &AlertRule| {
        let st = filter_state.get();
        let sev = filter_severity.get();
        let ty = filter_type.get();
        let text = filter_text.get().to_lowercase();
        (st.is_empty() || r.state.as_str() == st)
            && (sev.is_empty()
                || r.spec
                    .alert_levels
                    .iter()
                    .any(|l| l.severity.as_str() == sev))
            && (ty.is_empty() || r.spec.alert_type.as_str() == ty)
            && (text.is_empty()
                || r.spec.name.to_lowercase().contains(&text)
                || r.spec.expr.to_lowercase().contains(&text))
    };
    view! {
        <Title text=move || t().rules_title />
        <PageHeader title=tr(|t| t.rules_title) />
        <p class="muted">{move || t().rules_hint}</p>
        <div class="form-row">
            <EnvironmentPicker env testid="rules-env" on_pick=Callback::new(move |e| {
                nav_env(&format!("/alert-rules?env={e}"), Default::default())
            }) />
        </div>
        <Show when=move || scope.get().is_some()
            fallback=move || view! { <crate::ui::components::EmptyState title=crate::ui::components::tr(|t| t.choose_environment_rules) hint=crate::ui::components::tr(|t| t.choose_scope_hint) action=(crate::ui::components::tr(|t| t.go_to_tenants), "/tenants".to_string()) /> }>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || context.get().flatten().map(|c| match c {
                    Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(ctx) => {
                        let sc = scope.get_untracked().unwrap_or(RuleScope::Environment(0));
                        let can_edit = ctx.can_edit;
                        view! {
                            <div class="form-row">
                                <Show when=move || can_edit>
                                    <button type="button" class="primary" data-testid="rule-new"
                                        on:click=move |_| editing.set(Editing::New)>{move || t().new_rule}</button>
                                    <button type="button" data-testid="rules-sync"
                                        on:click=move |_| { sync.dispatch(SyncAlertRules { scope: sc }); }>{move || t().resync_all}</button>
                                </Show>
                                <span class="muted small">{format!("{} · {}", ctx.cluster, ctx.namespace)}</span>
                            </div>
                            <ErrorNote error=action_error />
                            <EditorSlot editing ctx=ctx.clone() scope=sc on_done=Callback::new(move |_| { editing.set(Editing::Closed); bump(); }) />
                            <SyncResults sync />
                            <Show when=move || can_edit>
                                <details class="card" data-testid="rules-import">
                                    <summary>{move || t().import_rules}</summary>
                                    <p class="muted small">{move || t().import_hint}</p>
                                    <textarea rows="6" data-testid="import-yaml" bind:value=import_text></textarea>
                                    <button type="button" data-testid="import-run" on:click=move |_| {
                                        import.dispatch(ImportAlertRules { scope: sc, yaml: import_text.get_untracked() });
                                    }>{move || t().import_rules}</button>
                                    {move || import.value().get().map(|r| match r {
                                        Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                                        Ok(items) => view! {
                                            <ul class="plain" data-testid="import-results">
                                                {items.into_iter().map(|i| view! {
                                                    <li data-testid="import-item" data-ok=i.created.to_string()>
                                                        <strong>{i.name}</strong>" "
                                                        {if i.created { t().import_created.to_string() } else { i.error }}
                                                    </li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any(),
                                    })}
                                </details>
                            </Show>
                        }.into_any()
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || detail.get().flatten().map(|d| match d {
                    Err(e) => view! { <p class="error" role="alert" data-testid="rule-detail-error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(d) => view! { <Detail d copy scope=scope.get_untracked().unwrap_or(RuleScope::Environment(0)) on_edit=Callback::new(move |input: AlertRuleInput| {
                        editing.set(Editing::Rule(input.name.clone(), Box::new(input)));
                    }) /> }.into_any(),
                })}
            </Suspense>
            // Beside the detail rather than inside it: its resources then exist from the start on
            // both server and browser, so the server's answer hydrates as it is.
            <super::alert_history::RuleHistory scope=Signal::from(scope) rule=Signal::from(selected) />
            <div class="form-row" data-testid="rule-filters">
                <label class="field narrow"><span>{move || t().state}</span>
                    <select data-testid="filter-state" on:change=move |ev| filter_state.set(event_target_value(&ev))>
                        <option value="">{move || t().all}</option>
                        {RuleState::ALL.iter().map(|s| view! { <option value=s.as_str()>{state_text(*s)}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field narrow"><span>{move || t().severity}</span>
                    <select data-testid="filter-severity" on:change=move |ev| filter_severity.set(event_target_value(&ev))>
                        <option value="">{move || t().all}</option>
                        <option value="error">"error"</option>
                        <option value="critical">"critical"</option>
                    </select>
                </label>
                <label class="field narrow"><span>{move || t().rule_type}</span>
                    <select data-testid="filter-type" on:change=move |ev| filter_type.set(event_target_value(&ev))>
                        <option value="">{move || t().all}</option>
                        <option value="monitor">{move || t().type_monitor}</option>
                        <option value="logging">{move || t().type_logging}</option>
                    </select>
                </label>
                <label class="field"><span>{move || t().search}</span>
                    <input data-testid="filter-text" bind:value=filter_text />
                </label>
            </div>
            <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || list.get().flatten().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert" data-testid="rules-error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(l) => {
                        let sc = scope.get_untracked().unwrap_or(RuleScope::Environment(0));
                        let empty = l.rules.is_empty();
                        let rows: Vec<AlertRule> = l.rules.into_iter().filter(|r| matches(r)).collect();
                        view! {
                            <p class="counts" data-testid="rule-counts">
                                <span class="badge inactive" data-testid="count-inactive">{format!("{} {}", t().state_inactive, l.counts.inactive)}</span>" "
                                <span class="badge pending" data-testid="count-pending">{format!("{} {}", t().state_pending, l.counts.pending)}</span>" "
                                <span class="badge firing" data-testid="count-firing">{format!("{} {}", t().state_firing, l.counts.firing)}</span>" "
                                <span class="badge unknown" data-testid="count-unknown">{format!("{} {}", t().state_unknown, l.counts.unknown)}</span>
                            </p>
                            {(!l.state_error.is_empty()).then(|| view! {
                                <p class="warning" data-testid="state-error">{format!("{}: {}", t().state_unavailable, l.state_error)}</p>
                            })}
                            {empty.then(|| view! { <p class="muted">{t().no_rules}</p> })}
                            <table class="table" data-testid="rules">
                                <thead><tr>
                                    <th>{t().rule_name}</th><th>{t().rule_type}</th><th>{t().rule_expression}</th>
                                    <th>{t().state}</th><th>{t().enabled}</th><th>{t().sync_status}</th><th>{t().drift}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| view! { <RuleRow r scope=sc enable delete /> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Transition>
        </Show>
    }
}

#[component]
fn EditorSlot(
    editing: RwSignal<Editing>,
    ctx: RuleEditorContext,
    scope: RuleScope,
    on_done: Callback<()>,
) -> impl IntoView {
    move || {
        match editing.get() {
        Editing::Closed => ().into_any(),
        Editing::New => view! {
            <RuleEditor scope ctx=ctx.clone() initial=AlertRuleInput::default() editing=None on_done />
        }
        .into_any(),
        Editing::Rule(name, input) => view! {
            <RuleEditor scope ctx=ctx.clone() initial=*input editing=Some(name) on_done />
        }
        .into_any(),
    }
    }
}

#[component]
fn SyncResults(sync: ServerAction<SyncAlertRules>) -> impl IntoView {
    let t = use_t();
    move || {
        sync.value().get().and_then(|r| r.ok()).map(|items| {
            view! {
                <ul class="plain small" data-testid="sync-results">
                    {items.into_iter().map(|i| {
                        let ok = i.error.is_empty();
                        view! {
                            <li data-testid="sync-item" data-ok=ok.to_string() data-written=i.created.to_string()>
                                <strong>{i.name}</strong>" "
                                {if !ok { i.error } else if i.created { t().written.to_string() } else { t().current.to_string() }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })
    }
}

#[component]
fn RuleRow(
    r: AlertRule,
    scope: RuleScope,
    enable: ServerAction<SetAlertRuleEnabled>,
    delete: ServerAction<DeleteAlertRule>,
) -> impl IntoView {
    let t = use_t();
    let name = r.spec.name.clone();
    let open = r.spec.is_open;
    let (n1, n3) = (name.clone(), name.clone());
    let severities: Vec<&str> = r
        .spec
        .alert_levels
        .iter()
        .map(|l| l.severity.as_str())
        .collect();
    view! {
        <tr data-testid="rule" data-name=name.clone() data-state=r.state.as_str()>
            <td><a href=page_link(scope, Some(&name)) data-testid="rule-link">{name.clone()}</a>
                <div class="small muted">{severities.join(", ")}</div></td>
            <td>{match r.spec.alert_type { AlertType::Monitor => t().type_monitor, AlertType::Logging => t().type_logging }}</td>
            <td><code class="small">{r.spec.expr.clone()}</code></td>
            <td><span class=format!("badge {}", r.state.as_str()) data-testid="rule-state">{state_text(r.state)}</span></td>
            <td>
                <button type="button" class="small" data-testid="rule-toggle" data-open=open.to_string()
                    on:click=move |_| { enable.dispatch(SetAlertRuleEnabled { scope, name: n1.clone(), enabled: !open }); }>
                    {move || if open { t().disable } else { t().enable }}
                </button>
                {(!open).then(|| view! { <span class="muted small">" "{t().disabled}</span> })}
            </td>
            <td data-testid="rule-sync" data-ok=r.sync.ok.to_string()>
                {if r.sync.ok { view! { <span class="badge ok">{t().sync_ok}</span> }.into_any() } else {
                    view! { <span class="badge error" title=r.sync.error.clone()>{t().sync_error}</span><div class="small error">{r.sync.error.clone()}</div> }.into_any()
                }}
            </td>
            <td data-testid="rule-drift" data-status=r.check.status.clone()>
                {match r.check.status.as_str() {
                    "" => view! { <span class="muted small">{t().drift_unchecked}</span> }.into_any(),
                    "ok" => view! { <span class="badge ok" title=r.check.checked_at.clone()>{t().drift_ok}</span> }.into_any(),
                    status => view! {
                        <a href="/drift" class=format!("badge {status}") title=r.check.problems.join("\n")>
                            {if status == "error" { t().drift_error } else { t().drift_warning }}
                        </a>
                    }.into_any(),
                }}
            </td>
            <td class="actions">
                <div class="form-row compact">
                    <span data-testid="rule-delete">
                        <ConfirmButton label=t().delete question=t().delete_rule_q
                            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteAlertRule { scope, name: n3.clone() }); }) />
                    </span>
                </div>
            </td>
        </tr>
    }
}

#[component]
fn Detail(
    d: RuleDetail,
    scope: RuleScope,
    copy: ServerAction<CopyAlertRule>,
    on_edit: Callback<AlertRuleInput>,
) -> impl IntoView {
    let t = use_t();
    let copy_to = RwSignal::new(None::<i64>);
    let copy_name = d.rule.spec.name.clone();
    let blacklist = ServerAction::<AddToBlacklist>::new();
    let input = d.rule.spec.clone();
    let rule_yaml = if d.objects.prometheus_rule.is_empty() {
        d.objects.loki_rules.clone()
    } else {
        d.objects.prometheus_rule.clone()
    };
    let none = d.alerts.is_empty();
    view! {
        <section class="card" data-testid="rule-detail" data-name=d.rule.spec.name.clone() data-state=d.rule.state.as_str()>
            <h2>{d.rule.spec.name.clone()}" "<span class=format!("badge {}", d.rule.state.as_str())>{state_text(d.rule.state)}</span></h2>
            <div class="form-row">
                <button type="button" data-testid="rule-edit" on:click=move |_| on_edit.run(input.clone())>{move || t().edit}</button>
                <a href=page_link(scope, None)>{move || t().close}</a>
            </div>
            <div class="form-row">
                <EnvironmentPicker env=Signal::derive(move || copy_to.get()) testid="rule-copy-env"
                    on_pick=Callback::new(move |e| copy_to.set(Some(e))) />
                <button type="button" class="small" data-testid="rule-copy" on:click=move |_| {
                    if let Some(e) = copy_to.get_untracked() {
                        copy.dispatch(CopyAlertRule { scope, name: copy_name.clone(), to: RuleScope::Environment(e) });
                    }
                }>{move || t().copy_to}</button>
                {move || matches!(copy.value().get(), Some(Ok(_))).then(|| view! { <span class="ok" data-testid="rule-copied">"✓"</span> })}
            </div>
            {(!d.state_error.is_empty()).then(|| view! { <p class="warning" data-testid="detail-state-error">{d.state_error.clone()}</p> })}
            <p data-testid="detail-sync" data-ok=d.rule.sync.ok.to_string()>
                {format!("{}: {}", t().sync_status, if d.rule.sync.ok { t().sync_ok.to_string() } else { d.rule.sync.error.clone() })}
            </p>
            <p class="small">{t().receivers}": "
                {d.rule.channels.iter().map(|(id, n)| format!("{n} (#{id})")).collect::<Vec<_>>().join(", ")}
            </p>
            <h3>{move || t().live_alerts}</h3>
            {none.then(|| view! { <p class="muted">{t().no_live_alerts}</p> })}
            <table class="table" data-testid="live-alerts">
                <tbody>
                    {d.alerts.into_iter().map(|a| {
                        let labels = a.labels.clone();
                        view! {
                            <tr data-testid="live-alert" data-state=a.state.clone()>
                                <td><code class="small">{format_labels(&a.labels)}</code></td>
                                <td>{a.state.clone()}</td>
                                <td>{a.value.clone()}</td>
                                <td class="small">{a.active_at.clone()}</td>
                                <td><button type="button" class="small" data-testid="alert-blacklist" on:click=move |_| {
                                    blacklist.dispatch(AddToBlacklist { scope, labels: labels.clone() });
                                }>{move || t().blacklist_add}</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <ErrorNote error=last_error(blacklist.value()) />
            {move || matches!(blacklist.value().get(), Some(Ok(_))).then(|| view! {
                <p class="ok" data-testid="blacklisted"><a href=format!("/blacklist?{}", match scope {
                    RuleScope::Environment(e) => format!("env={e}"),
                    RuleScope::System(c) => format!("cluster={c}"),
                })>{t().blacklist_title}</a></p>
            })}
            <h3>{move || t().objects}</h3>
            <pre class="yaml" data-testid="detail-rule-yaml">{rule_yaml}</pre>
            <pre class="yaml" data-testid="detail-am-yaml">{d.objects.alertmanager_config}</pre>
        </section>
    }
}
