//! Tenant-wide alert history (`/alerts`): filters in the URL-free form, results newest first,
//! paged. From a row: blacklist that exact alert, or open its rule.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::alert_rules::AddToBlacklist;
use crate::api::alerts::{row_scope, search_history};
use crate::api::tenancy::{list_environments, list_projects};
use crate::model::{HistoryRow, HistorySearch, RuleScope};
use crate::ui::components::rule_editor::format_labels;
use crate::ui::components::{ErrorNote, Pager, last_error};
use crate::ui::{use_session, use_t};

/// A Unix time as `YYYY-MM-DD HH:MM:SS` in UTC (the same text on server and browser).
pub fn when(ts: i64) -> String {
    if ts <= 0 {
        return "–".into();
    }
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Link to the rule an alert came from.
pub fn rule_link(row: &HistoryRow) -> String {
    let scope = match row_scope(row) {
        RuleScope::Environment(e) => format!("env={e}"),
        RuleScope::System(c) => format!("cluster={c}"),
    };
    format!("/alert-rules?{scope}&rule={}", row.alert_name)
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

#[component]
pub fn AlertHistoryPage() -> impl IntoView {
    let t = use_t();
    let session = use_session();
    let me = session.user();
    let is_admin = me.as_ref().is_some_and(|m| m.is_system_admin);
    let tenants = me.map(|m| m.tenants).unwrap_or_default();
    let first_tenant = tenants.first().map(|t| t.tenant_id);
    // A link may preset filters: `?tenant=`, `?env=` (its tenant is found by the server),
    // `?cluster=`, `?text=` (a rule's detail links with `gems_alertname=<rule>`).
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let param = |k: &str| query.get(k).and_then(|v| v.parse::<i64>().ok());
    let linked_env = param("env");
    let tenant = RwSignal::new(param("tenant").or(if is_admin || linked_env.is_some() {
        None
    } else {
        first_tenant
    }));
    let project = RwSignal::new(None::<i64>);
    let environment = RwSignal::new(linked_env);
    let cluster = RwSignal::new(param("cluster"));
    let namespace = RwSignal::new(String::new());
    let alert_name = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let text = RwSignal::new(query.get("text").unwrap_or_default());
    let range = RwSignal::new(86_400i64);
    let page = RwSignal::new(1u64);
    let submitted = RwSignal::new(0usize);
    let projects = Resource::new(
        move || tenant.get(),
        |t| async move {
            match t {
                Some(t) => list_projects(t).await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    );
    let environments = Resource::new(
        move || (tenant.get(), project.get()),
        |(t, p)| async move {
            match (t, p) {
                (Some(t), Some(p)) => list_environments(t, p).await.unwrap_or_default(),
                _ => Vec::new(),
            }
        },
    );
    let results = Resource::new(
        move || (submitted.get(), page.get()),
        move |(_, page)| {
            let search = HistorySearch {
                tenant_id: tenant.get_untracked(),
                project_id: project.get_untracked(),
                environment_id: environment.get_untracked(),
                cluster_id: cluster.get_untracked(),
                namespace: namespace.get_untracked(),
                alert_name: alert_name.get_untracked(),
                status: status.get_untracked(),
                text: text.get_untracked(),
                from: now_secs() - range.get_untracked(),
                to: 0,
                page,
                page_size: 50,
            };
            async move { search_history(search).await }
        },
    );
    let blacklist = ServerAction::<AddToBlacklist>::new();
    let num = |s: String| s.parse::<i64>().ok();
    view! {
        <Title text=move || t().history_title />
        <PageHeader title=tr(|t| t.history_title) />
        <p class="muted">{move || t().history_hint}</p>
        <form class="search-filters" on:submit=move |ev| { ev.prevent_default(); page.set(1); submitted.update(|n| *n += 1); }>
            <label class="field"><span>{move || t().tenant}</span>
                <select data-testid="history-tenant" on:change=move |ev| {
                    tenant.set(num(event_target_value(&ev))); project.set(None); environment.set(None); cluster.set(None);
                }>
                    {is_admin.then(|| view! { <option value="" selected=tenant.get_untracked().is_none()>{t().all_tenants}</option> })}
                    {tenants.iter().map(|tr| view! {
                        <option value=tr.tenant_id.to_string() selected=Some(tr.tenant_id) == tenant.get_untracked()>{tr.tenant_name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            // Whole selects inside the Transition: Suspense markers inside a <select> do not
            // survive the browser's HTML parser.
            <label class="field"><span>{move || t().project}</span>
                <Transition fallback=move || view! { <select disabled=true><option>{t().any}</option></select> }>
                    {move || {
                        let options = projects.get().unwrap_or_default();
                        view! {
                            <select data-testid="history-project" on:change=move |ev| { project.set(num(event_target_value(&ev))); environment.set(None); }>
                                <option value="">{move || t().any}</option>
                                {options.into_iter().map(|p| view! {
                                    <option value=p.id.to_string() selected=Some(p.id) == project.get_untracked()>{p.name}</option>
                                }).collect_view()}
                            </select>
                        }
                    }}
                </Transition>
            </label>
            <label class="field"><span>{move || t().environment}</span>
                <Transition fallback=move || view! { <select disabled=true><option>{t().any}</option></select> }>
                    {move || {
                        let options = environments.get().unwrap_or_default();
                        view! {
                            <select data-testid="history-env" on:change=move |ev| environment.set(num(event_target_value(&ev)))>
                                <option value="">{move || t().any}</option>
                                {options.into_iter().map(|e| view! {
                                    <option value=e.id.to_string() selected=Some(e.id) == environment.get_untracked()>
                                        {format!("{} ({}/{})", e.name, e.cluster_name, e.namespace)}</option>
                                }).collect_view()}
                            </select>
                        }
                    }}
                </Transition>
            </label>
            <label class="field"><span>{move || t().namespace}</span>
                <input data-testid="history-namespace" prop:value=namespace on:input=move |ev| namespace.set(event_target_value(&ev)) />
            </label>
            <label class="field"><span>{move || t().alert_name}</span>
                <input data-testid="history-name" prop:value=alert_name on:input=move |ev| alert_name.set(event_target_value(&ev)) />
            </label>
            <label class="field"><span>{move || t().status}</span>
                <select data-testid="history-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">{move || t().any}</option>
                    <option value="firing">{move || t().firing}</option>
                    <option value="resolved">{move || t().resolved}</option>
                </select>
            </label>
            <label class="field"><span>{move || t().time_range}</span>
                <select data-testid="history-range" on:change=move |ev| range.set(num(event_target_value(&ev)).unwrap_or(86_400))>
                    <option value="3600">{move || t().last_hour}</option>
                    <option value="86400" selected=true>{move || t().last_day}</option>
                    <option value="604800">{move || t().last_week}</option>
                    <option value="2592000">{move || t().last_month}</option>
                </select>
            </label>
            <label class="field wide"><span>{move || t().search_text}</span>
                <input data-testid="history-text" placeholder="pod=web-1 disk" prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
            </label>
            {move || {
                // Filters a link set that the selects above do not show.
                let env = environment.get().filter(|_| project.get().is_none());
                let linked = env.map(|e| format!("{} #{e}", t().environment))
                    .or_else(|| cluster.get().map(|c| format!("{} #{c}", t().cluster)));
                linked.map(|label| view! {
                    <button type="button" class="small" data-testid="history-linked" title=move || t().remove
                        on:click=move |_| { environment.set(None); cluster.set(None); }>{label}" ✕"</button>
                })
            }}
            <button type="submit" data-testid="history-search">{move || t().search}</button>
        </form>
        <ErrorNote error=last_error(blacklist.value()) />
        {move || matches!(blacklist.value().get(), Some(Ok(_))).then(|| view! {
            <p class="ok" data-testid="history-blacklisted">{t().blacklist_title}" ✓"</p>
        })}
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || results.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(p) => {
                    let more = p.has_more;
                    let empty = p.rows.is_empty();
                    view! {
                        {empty.then(|| view! { <p class="muted" data-testid="history-empty">{t().no_history}</p> })}
                        <HistoryTable rows=p.rows blacklist=Some(blacklist) />
                        <Pager page more />
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// Notifications as a table; with `blacklist`, each row can blacklist its alert.
#[component]
pub fn HistoryTable(
    rows: Vec<HistoryRow>,
    blacklist: Option<ServerAction<AddToBlacklist>>,
) -> impl IntoView {
    let t = use_t();
    view! {
        <table class="table" data-testid="history-rows">
            <thead><tr>
                <th>{move || t().received}</th><th>{move || t().status}</th><th>{move || t().alert_name}</th>
                <th>{move || t().environment}</th><th>{move || t().message}</th><th>{move || t().labels}</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let labels = r.labels.clone();
                    let scope = row_scope(&r);
                    let link = rule_link(&r);
                    let place = if r.environment.is_empty() {
                        format!("{}/{}", r.cluster, r.namespace)
                    } else {
                        format!("{} · {} ({}/{})", r.project, r.environment, r.cluster, r.namespace)
                    };
                    view! {
                        <tr data-testid="history-row" data-status=r.status.clone() data-name=r.alert_name.clone()>
                            <td class="small">{when(r.received_at)}</td>
                            <td><span class=format!("badge {}", r.status)>{r.status.clone()}</span></td>
                            <td>{r.alert_name.clone()}</td>
                            <td class="small">{place}</td>
                            <td>{r.message.clone()}</td>
                            <td><code class="small">{format_labels(&r.labels)}</code></td>
                            <td class="nowrap">
                                <a class="small" href=link data-testid="history-open-rule">{move || t().open_rule}</a>
                                {blacklist.map(|b| view! {
                                    " "<button type="button" class="small" data-testid="history-blacklist" on:click=move |_| {
                                        b.dispatch(AddToBlacklist { scope, labels: labels.clone() });
                                    }>{move || t().blacklist_add}</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A rule's history on its detail page: episodes, each opening to its notifications. Shown
/// while the page names a rule (`?rule=`).
#[component]
pub fn RuleHistory(
    scope: Signal<Option<RuleScope>>,
    rule: Signal<Option<String>>,
) -> impl IntoView {
    use crate::api::alerts::{episode_notifications, rule_episodes};
    use crate::model::EpisodeFilter;
    let t = use_t();
    let all_history = move || {
        let place = match scope.get() {
            Some(RuleScope::Environment(e)) => format!("env={e}"),
            Some(RuleScope::System(c)) => format!("cluster={c}"),
            None => String::new(),
        };
        format!(
            "/alerts?{place}&text=gems_alertname%3D{}",
            rule.get().unwrap_or_default()
        )
    };
    let status = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let open = RwSignal::new(None::<(i64, i64)>);
    let episodes = Resource::new(
        move || (scope.get(), rule.get(), status.get(), page.get()),
        move |(scope, rule, status, page)| async move {
            match (scope, rule) {
                (Some(scope), Some(rule)) => Some(
                    rule_episodes(
                        scope,
                        rule,
                        EpisodeFilter {
                            status,
                            page,
                            ..Default::default()
                        },
                    )
                    .await,
                ),
                _ => None,
            }
        },
    );
    let notes = Resource::new(
        move || (scope.get(), open.get()),
        move |(scope, o)| async move {
            match (scope, o) {
                (Some(scope), Some((instance_id, starts_at))) => {
                    Some(episode_notifications(scope, instance_id, starts_at, 1).await)
                }
                _ => None,
            }
        },
    );
    view! {
        <Show when=move || rule.get().is_some()>
        <section class="card" data-testid="rule-history">
        <h3 id="history">{move || t().rule_history}</h3>
        <p class="small muted">{move || t().episodes_hint}</p>
        <div class="form-row compact">
            <select data-testid="episodes-status" on:change=move |ev| { status.set(event_target_value(&ev)); page.set(1); }>
                <option value="">{move || t().any}</option>
                <option value="firing">{move || t().firing}</option>
                <option value="resolved">{move || t().resolved}</option>
            </select>
        </div>
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || episodes.get().flatten().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(p) => {
                    let more = p.has_more;
                    let empty = p.episodes.is_empty();
                    view! {
                        {empty.then(|| view! { <p class="muted" data-testid="episodes-empty">{t().no_episodes}</p> })}
                        <table class="table" data-testid="episodes">
                            <thead><tr>
                                <th>{move || t().status}</th><th>{move || t().labels}</th><th>{move || t().first_received}</th>
                                <th>{move || t().last_received}</th><th>{move || t().repeats}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {p.episodes.into_iter().map(|e| {
                                    let key = (e.instance_id, e.starts_at);
                                    view! {
                                        <tr data-testid="episode" data-status=e.status.clone() data-count=e.count.to_string()>
                                            <td><span class=format!("badge {}", e.status)>{e.status.clone()}</span></td>
                                            <td><code class="small">{format_labels(&e.labels)}</code></td>
                                            <td class="small">{when(e.first_received)}</td>
                                            <td class="small">{when(e.last_received)}</td>
                                            <td>{e.count}</td>
                                            <td><button type="button" class="small" data-testid="episode-open"
                                                on:click=move |_| open.set(if open.get_untracked() == Some(key) { None } else { Some(key) })>
                                                {move || t().repeats}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page more />
                    }.into_any()
                }
            })}
        </Transition>
        <Transition>
            {move || notes.get().flatten().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(p) => view! { <div data-testid="episode-notifications"><HistoryTable rows=p.rows blacklist=None /></div> }.into_any(),
            })}
        </Transition>
        <p><a href=all_history data-testid="rule-all-history">{move || t().all_history}</a></p>
        </section>
        </Show>
    }
}
