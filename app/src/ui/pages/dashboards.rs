//! An environment's dashboards: tabs, a new dashboard from a template or blank, and the selected
//! dashboard with its time range, auto refresh, variables and panels. A refresh is one request:
//! the server runs every panel and answers with all of them; each panel shows its own error.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::dashboards::{
    CreateDashboard, DeleteDashboard, UpdateDashboard, dashboard_variable_values, list_dashboards,
    query_dashboard,
};
use crate::api::templates::dashboard_templates;
use crate::domain::dashboards::{DashboardLink, REFRESH};
use crate::domain::time_range::{TimeRange, duration_secs};
use crate::model::{Dashboard, DashboardInput, DashboardQuery, Graph};
use crate::ui::components::chart::TimeSeriesChart;
use crate::ui::components::graphs_editor::{GraphEdit, GraphsEditor};
use crate::ui::components::{EnvironmentPicker, ErrorNote, TimeRangePicker, last_error};
use crate::ui::use_t;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn link(env: i64, d: Option<i64>) -> String {
    match d {
        Some(d) => format!("/dashboards?env={env}&d={d}"),
        None => format!("/dashboards?env={env}"),
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let t = use_t();
    let query = use_query_map();
    // The page works in the one scope of the UI: the link's, else the one last used.
    let scope = crate::ui::components::switchers::use_scope();
    let env = Memo::new(move |_| scope.get().environment);
    let chosen = Memo::new(move |_| query.with(|q| q.get("d").and_then(|v| v.parse::<i64>().ok())));
    let create = ServerAction::<CreateDashboard>::new();
    let update = ServerAction::<UpdateDashboard>::new();
    let delete = ServerAction::<DeleteDashboard>::new();
    crate::ui::components::toast_on_ok(create.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(update.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(delete.value(), |t| t.deleted);
    // Read only inside the browser-only <Show> below, so fetched in the browser only.
    let list = LocalResource::new(move || {
        let env = env.get();
        let _ = (
            create.version().get(),
            update.version().get(),
            delete.version().get(),
        );
        async move {
            match env {
                Some(e) => Some(list_dashboards(e).await),
                None => None,
            }
        }
    });
    let navigate = use_navigate();
    let go = navigate.clone();
    Effect::new(move |_| {
        if let Some(Ok(d)) = create.value().get() {
            go(&link(d.environment_id, Some(d.id)), Default::default());
        }
    });
    let go = navigate.clone();
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(e)) = (delete.value().get(), env.get_untracked()) {
            go(&link(e, None), Default::default());
        }
    });
    let current = move || -> Option<Dashboard> {
        let all = list.get().flatten()?.ok()?;
        match chosen.get() {
            Some(id) => all.into_iter().find(|d| d.id == id),
            None => all.into_iter().next(),
        }
    };

    // Built in the browser after hydration: panels, timers and variable pickers have no
    // server-rendered form to match.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));

    view! {
        <Title text=move || t().dashboards_title />
        <PageHeader title=tr(|t| t.dashboards_title) />
        <Show when=move || mounted.get() fallback=|| view! { <crate::ui::components::Skeleton /> }>
        <div class="form-row">
            <EnvironmentPicker env testid="dashboard-env" on_pick=Callback::new({
                let navigate = navigate.clone();
                move |e| navigate(&link(e, None), Default::default())
            }) />
        </div>
        <Show when=move || env.get().is_some() fallback=move || view! { <crate::ui::components::EmptyState title=crate::ui::components::tr(|t| t.choose_environment_first) hint=crate::ui::components::tr(|t| t.choose_scope_hint) action=(crate::ui::components::tr(|t| t.go_to_tenants), "/tenants".to_string()) /> }>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || list.get().flatten().map(|r| match r {
                    Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(all) => {
                        let active = current().map(|d| d.id);
                        view! {
                            <nav class="tabs" data-testid="dashboard-tabs">
                                {all.into_iter().map(|d| {
                                    let selected = Some(d.id) == active;
                                    view! {
                                        <A href=link(d.environment_id, Some(d.id)) attr:aria-selected=selected.to_string() attr:class="tab">{d.name}</A>
                                    }
                                }).collect_view()}
                            </nav>
                        }.into_any()
                    }
                })}
            </Suspense>
            <NewDashboard env create />
            <Suspense>
                {move || current().map(|d| view! { <DashboardView d update delete /> })}
            </Suspense>
        </Show>
        </Show>
    }
}

#[component]
fn NewDashboard(env: Memo<Option<i64>>, create: ServerAction<CreateDashboard>) -> impl IntoView {
    let t = use_t();
    let name = RwSignal::new(String::new());
    let template = RwSignal::new(String::new());
    let templates = Resource::new(|| (), |_| dashboard_templates());
    view! {
        <details class="card" data-testid="new-dashboard">
            <summary>{move || t().new_dashboard}</summary>
            <form class="form-row" on:submit=move |ev| {
                ev.prevent_default();
                let Some(environment_id) = env.get_untracked() else { return };
                create.dispatch(CreateDashboard {
                    environment_id,
                    dashboard: DashboardInput {
                        name: name.get_untracked().trim().to_string(),
                        template: template.get_untracked(),
                        ..Default::default()
                    },
                });
            }>
                <label class="field">
                    <span>{move || t().name}</span>
                    <input name="dashboard-name" required bind:value=name />
                </label>
                <label class="field">
                    <span>{move || t().from_template}</span>
                    <select name="dashboard-template" on:change=move |ev| template.set(event_target_value(&ev))>
                        <option value="">{move || t().blank_dashboard}</option>
                        <Suspense>
                            {move || templates.get().map(|r| r.unwrap_or_default().into_iter().map(|d| {
                                view! { <option value=d.name.clone()>{format!("{} ({})", d.name, d.graphs.len())}</option> }
                            }).collect_view())}
                        </Suspense>
                    </select>
                </label>
                <button type="submit" class="primary">{move || t().create}</button>
            </form>
            <ErrorNote error=last_error(create.value()) />
        </details>
    }
}

#[component]
fn DashboardView(
    d: Dashboard,
    update: ServerAction<UpdateDashboard>,
    delete: ServerAction<DeleteDashboard>,
) -> impl IntoView {
    let t = use_t();
    let id = d.id;
    // A link may carry the time range and variable values; otherwise the saved range applies.
    let query = use_query_map();
    let linked = query.with_untracked(|q| q.get("range").and_then(|r| TimeRange::from_param(&r)));
    let range = RwSignal::new(
        linked.unwrap_or_else(|| TimeRange::from_bounds(&d.start, &d.end).unwrap_or_default()),
    );
    let refresh = RwSignal::new(d.refresh.clone());
    let tick = RwSignal::new(0usize);
    let chosen: RwSignal<BTreeMap<String, String>> = RwSignal::new(
        query.with_untracked(|q| DashboardLink::variables_from(d.variables.keys(), |k| q.get(k))),
    );
    let navigate = use_navigate();
    let environment = d.environment_id;
    Effect::new(move |before: Option<()>| {
        let (range, variables) = (range.get(), chosen.get());
        if before.is_some() {
            let link = DashboardLink {
                environment,
                dashboard: Some(id),
                range: Some(range),
                variables,
            };
            navigate(
                &link.to_url(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let panels = Resource::new(
        move || (range.get(), chosen.get(), tick.get()),
        move |(r, variables, _)| async move {
            let (start, end) = r.resolve(now());
            query_dashboard(DashboardQuery {
                dashboard_id: id,
                start,
                end,
                variables,
            })
            .await
        },
    );
    // Auto refresh in the browser; changing the interval replaces the timer.
    let timer = StoredValue::new(None::<IntervalHandle>);
    Effect::new(move |_| {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let every = duration_secs(&refresh.get()).filter(|s| *s > 0);
        let handle = every.and_then(|s| {
            set_interval_with_handle(
                move || tick.update(|n| *n += 1),
                Duration::from_secs(s as u64),
            )
            .ok()
        });
        timer.set_value(handle);
    });
    on_cleanup(move || {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
    });

    let editing = RwSignal::new(false);
    let draft_name = RwSignal::new(d.name.clone());
    let draft_vars = RwSignal::new(d.variables.keys().cloned().collect::<Vec<_>>().join(", "));
    let draft_graphs = RwSignal::new(d.graphs.clone());
    let saved = d.clone();
    let save = move |_| {
        let (start, end) = range.get_untracked().to_bounds();
        let variables = draft_vars
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|k| {
                (
                    k.to_string(),
                    saved.variables.get(k).cloned().unwrap_or_default(),
                )
            })
            .collect();
        update.dispatch(UpdateDashboard {
            dashboard_id: id,
            dashboard: DashboardInput {
                name: draft_name.get_untracked().trim().to_string(),
                template: saved.template.clone(),
                step: saved.step.clone(),
                refresh: refresh.get_untracked(),
                start,
                end,
                graphs: draft_graphs.get_untracked(),
                variables,
            },
        });
    };
    let variables: Vec<String> = d.variables.keys().cloned().collect();
    let graphs = d.graphs.clone();
    let confirm = t().confirm_delete;

    view! {
        <section class="dashboard" data-testid="dashboard" data-id=id>
            <div class="form-row toolbar">
                <TimeRangePicker range testid="dashboard-range" />
                <label class="field">
                    <span>{move || t().refresh}</span>
                    <select data-testid="dashboard-refresh" on:change=move |ev| refresh.set(event_target_value(&ev))>
                        {REFRESH.into_iter().map(|r| {
                            let selected = refresh.get_untracked() == r;
                            view! { <option value=r selected=selected>{r}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {variables.into_iter().map(|name| {
                    let label = name.clone();
                    let label_sel = name.clone();
                    let key = name.clone();
                    let values = Resource::new(
                        move || range.get(),
                        move |r| {
                            let name = name.clone();
                            async move {
                                let (start, end) = r.resolve(now());
                                dashboard_variable_values(id, name, start, end).await
                            }
                        },
                    );
                    view! {
                        <label class="field">
                            <span>{label.clone()}</span>
                            <select data-testid="dashboard-variable" data-name=label.clone() on:change=move |ev| {
                                let v = event_target_value(&ev);
                                let k = key.clone();
                                chosen.update(|c| { c.insert(k, v); });
                            }>
                                <option value="">{move || t().all_values}</option>
                                <Suspense>
                                    {move || values.get().map(|r| r.unwrap_or_default().into_iter().map(|v| {
                                        let selected = chosen.with_untracked(|c| c.get(&label_sel) == Some(&v));
                                        view! { <option value=v.clone() selected=selected>{v.clone()}</option> }
                                    }).collect_view())}
                                </Suspense>
                            </select>
                        </label>
                    }
                }).collect_view()}
                <button type="button" data-testid="dashboard-refresh-now" on:click=move |_| tick.update(|n| *n += 1)>{move || t().refresh_now}</button>
                <button type="button" data-testid="dashboard-edit" on:click=move |_| editing.update(|e| *e = !*e)>{move || t().edit}</button>
                <span data-testid="dashboard-delete">
                    <crate::ui::components::ConfirmButton label=t().delete question=confirm
                        on_confirm=Callback::new(move |_| { delete.dispatch(DeleteDashboard { dashboard_id: id }); }) />
                </span>
            </div>
            <ErrorNote error=last_error(delete.value()) />
            <Show when=move || editing.get()>
                <form class="card form" data-testid="dashboard-form" on:submit=move |ev| ev.prevent_default()>
                    <div class="form-row">
                        <label class="field">
                            <span>{move || t().name}</span>
                            <input name="dashboard-name" bind:value=draft_name />
                        </label>
                        <label class="field">
                            <span>{move || t().variables}</span>
                            <input name="dashboard-variables" bind:value=draft_vars />
                        </label>
                    </div>
                    <GraphsEditor
                        graphs=draft_graphs
                        on_edit=Callback::new(move |f: GraphEdit| draft_graphs.update(|g| f(g)))
                    />
                    <ErrorNote error=last_error(update.value()) />
                    <div class="actions">
                        <button type="button" class="primary" data-testid="dashboard-save" on:click=save.clone()>{move || t().save}</button>
                        <button type="button" class="link" on:click=move |_| editing.set(false)>{move || t().cancel}</button>
                    </div>
                </form>
            </Show>
            <div class="panels">
                {graphs.into_iter().enumerate().map(|(i, g)| view! { <Panel index=i graph=g panels /> }).collect_view()}
            </div>
        </section>
    }
}

type PanelsResource = Resource<Result<Vec<crate::model::PanelResult>, crate::error::ApiError>>;

/// One panel: loading until the refresh answers, then its chart, its "no data", or its error.
#[component]
fn Panel(index: usize, graph: Graph, panels: PanelsResource) -> impl IntoView {
    let t = use_t();
    view! {
        <section class="card panel" data-testid="panel" data-index=index>
            <h3>{graph.name.clone()}</h3>
            <Transition fallback=move || view! { <p class="muted" data-testid="panel-loading">{t().loading}</p> }>
                {move || panels.get().map(|r| {
                    let mine = r.map(|all| all.into_iter().find(|p| p.index == index));
                    match mine {
                        Err(e) | Ok(Some(crate::model::PanelResult { result: Err(e), .. })) => view! {
                            <p class="error" data-testid="panel-error">{crate::ui::error_text(&e)}</p>
                        }.into_any(),
                        Ok(Some(crate::model::PanelResult { result: Ok(res), .. })) if res.series.is_empty() => view! {
                            <p class="muted" data-testid="panel-empty">{t().no_series}</p>
                        }.into_any(),
                        Ok(Some(crate::model::PanelResult { result: Ok(res), .. })) => view! {
                            <TimeSeriesChart result=res height=220.0 />
                        }.into_any(),
                        Ok(None) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
