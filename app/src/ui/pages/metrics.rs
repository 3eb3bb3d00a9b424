//! The metrics explorer: where to query (an environment, or a whole cluster for admins), a
//! template (scope → resource → rule) or raw PromQL, label filters with values suggested by
//! Prometheus, and a time range. The result is a chart or a table. The URL holds the whole state,
//! so a link reproduces the view.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::metrics::{TargetOption, label_names, label_values, metric_targets, query_range};
use crate::api::templates::template_tree;
use crate::domain::explore::{ExploreState, parse_target, target_param};
use crate::domain::time_range::TimeRange;
use crate::model::{
    FilterOp, LabelFilter, LabelValuesQuery, MetricExpr, QueryTarget, TemplateKey, TemplateScope,
};
use crate::ui::components::TimeRangePicker;
use crate::ui::components::chart::{SeriesTable, TimeSeriesChart};
use crate::ui::use_t;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[derive(Clone, Copy)]
struct FilterRow {
    key: usize,
    name: RwSignal<String>,
    op: RwSignal<FilterOp>,
    value: RwSignal<String>,
}

impl FilterRow {
    fn new(key: usize, f: &LabelFilter) -> Self {
        FilterRow {
            key,
            name: RwSignal::new(f.name.clone()),
            op: RwSignal::new(f.op),
            value: RwSignal::new(f.value.clone()),
        }
    }
}

/// The form, loaded from the URL; Run writes it back to the URL.
#[derive(Clone, Copy)]
struct Form {
    target: RwSignal<String>,
    use_template: RwSignal<bool>,
    scope: RwSignal<String>,
    resource: RwSignal<String>,
    rule: RwSignal<String>,
    /// The PromQL that suggestions look at: updated when the box loses focus, not per key.
    expr: RwSignal<String>,
    /// What the box holds right now; Run uses it.
    expr_draft: RwSignal<String>,
    filters: RwSignal<Vec<FilterRow>>,
    next_key: StoredValue<usize>,
    /// The page's owner: rows are made in effects and event handlers, whose owners are
    /// short-lived, but must live as long as the page.
    owner: StoredValue<Option<Owner>>,
    range: RwSignal<TimeRange>,
}

impl Form {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Form {
            target: s(),
            use_template: RwSignal::new(true),
            scope: s(),
            resource: s(),
            rule: s(),
            expr: s(),
            expr_draft: s(),
            filters: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
            owner: StoredValue::new(Owner::current()),
            range: RwSignal::new(TimeRange::default()),
        }
    }

    fn load(&self, s: &ExploreState) {
        self.target
            .set(s.target.map(target_param).unwrap_or_default());
        self.use_template
            .set(s.template.is_some() || s.expr.is_empty());
        let k = s.template.clone().unwrap_or_default();
        self.scope.set(k.scope);
        self.resource.set(k.resource);
        self.rule.set(k.rule);
        self.expr.set(s.expr.clone());
        self.expr_draft.set(s.expr.clone());
        let rows = s.filters.iter().map(|f| self.row(f)).collect();
        self.filters.set(rows);
        self.range.set(s.range);
    }

    fn row(&self, f: &LabelFilter) -> FilterRow {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        match self.owner.get_value() {
            Some(owner) => owner.with(|| FilterRow::new(key, f)),
            None => FilterRow::new(key, f),
        }
    }

    fn template(&self) -> Option<TemplateKey> {
        let k = TemplateKey {
            scope: self.scope.get(),
            resource: self.resource.get(),
            rule: self.rule.get(),
        };
        (self.use_template.get() && !k.rule.is_empty()).then_some(k)
    }

    /// The query without filters: what label suggestions look at.
    fn base(&self) -> MetricExpr {
        let template = self.template();
        MetricExpr {
            expr: if template.is_some() {
                String::new()
            } else {
                self.expr.get()
            },
            template,
            filters: Vec::new(),
        }
    }

    fn state(&self, table: bool) -> ExploreState {
        let template = untrack(|| self.template());
        ExploreState {
            target: parse_target(&self.target.get_untracked()),
            expr: if template.is_some() {
                String::new()
            } else {
                self.expr_draft.get_untracked().trim().to_string()
            },
            template,
            filters: self
                .filters
                .get_untracked()
                .iter()
                .filter(|r| !r.name.get_untracked().trim().is_empty())
                .map(|r| LabelFilter {
                    name: r.name.get_untracked().trim().to_string(),
                    op: r.op.get_untracked(),
                    value: r.value.get_untracked(),
                })
                .collect(),
            range: self.range.get_untracked(),
            table,
        }
    }
}

fn tenant_of(targets: &[TargetOption], target: &str) -> Option<i64> {
    let t = parse_target(target)?;
    targets.iter().find(|o| o.target == t)?.tenant_id
}

#[component]
pub fn MetricsPage() -> impl IntoView {
    let t = use_t();
    let query = use_query_map();
    // Without a target of its own (`t`), the explorer queries the UI's scope.
    let ui = crate::ui::components::switchers::use_scope();
    let state = Memo::new(move |_| {
        let s = ui.get();
        let scoped = s
            .environment
            .map(|e| format!("env-{e}"))
            .or_else(|| s.cluster.map(|c| format!("cluster-{c}")));
        query.with(|q| {
            ExploreState::from_params(
                |k| {
                    q.get(k)
                        .or_else(|| (k == "t").then(|| scoped.clone()).flatten())
                },
                |k| q.get_all(k).unwrap_or_default(),
            )
        })
    });
    let form = Form::new();
    // The form starts from the URL (a shared link) once, in the browser: the server-rendered
    // page and the one hydration builds are then the same.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| {
        form.load(&state.get_untracked());
        mounted.set(true);
    });
    let runs = RwSignal::new(0usize);
    let navigate = use_navigate();
    let go = move |s: ExploreState| {
        navigate(&format!("/explore{}", s.to_query()), Default::default());
        runs.update(|n| *n += 1);
    };
    // Everything that reads these sits inside the browser-only <Show> below, so they load in the
    // browser only: a server-side fetch nobody awaits would outlive the request that started it.
    let result = LocalResource::new(move || {
        let (s, _) = (state.get(), runs.get());
        async move {
            match s.range_query(now()) {
                Some(q) => Some(query_range(q).await),
                None => None,
            }
        }
    });
    let targets = LocalResource::new(metric_targets);
    // Suggestions and template options load in the browser only (a server-rendered value would
    // not match what hydration sees). Each read sits in its own <Transition>: a refetch must not
    // suspend the page's outer boundary, which would rebuild the whole form mid-click.
    let tree = LocalResource::new(move || {
        let target = form.target.get();
        async move {
            let options = targets.await.unwrap_or_default();
            template_tree(tenant_of(&options, &target)).await
        }
    });
    let namespaced_only = move || {
        matches!(
            parse_target(&form.target.get()),
            Some(QueryTarget::Environment(_))
        )
    };
    let scopes = move || -> Vec<TemplateScope> {
        let ns = namespaced_only();
        tree.get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.namespaced || !ns)
            .collect()
    };
    let names = LocalResource::new(move || {
        let (target, base) = (form.target.get(), form.base());
        async move {
            let target = parse_target(&target)?;
            if base.template.is_none() && base.expr.trim().is_empty() {
                return None;
            }
            label_names(target, base, now() - 3600, now()).await.ok()
        }
    });
    let go_run = go.clone();
    let run = move |_| go_run(form.state(state.get_untracked().table));
    let go_view = go.clone();
    let set_view = move |table: bool| {
        let mut s = state.get_untracked();
        s.table = table;
        go_view(s);
    };
    let set_view_chart = set_view.clone();

    view! {
        <Title text=move || t().metrics_title />
        <PageHeader title=tr(|t| t.metrics_title) />
        // The form is built in the browser, after hydration: its rows, options and suggestions
        // come from the URL and from the browser's requests, never from server rendering.
        <Show when=move || mounted.get() fallback=move || view! { <section class="card"><p class="muted">{t().loading}</p></section> }>
        <section class="card explorer" data-testid="explorer">
            <label class="field">
                <span>{move || t().query_target}</span>
                <select data-testid="target" prop:value=move || form.target.get()
                    on:change=move |ev| form.target.set(event_target_value(&ev))>
                    <option value="">{move || t().choose_target}</option>
                    <Suspense>
                        {move || targets.get().map(|r| r.unwrap_or_default().into_iter().map(|o| {
                            let v = target_param(o.target);
                            let selected = v == form.target.get_untracked();
                            view! { <option value=v selected=selected>{o.label}</option> }
                        }).collect_view())}
                    </Suspense>
                </select>
            </label>
            <div class="tabs" role="tablist">
                <button type="button" role="tab" data-testid="mode-template"
                    aria-selected=move || form.use_template.get().to_string()
                    on:click=move |_| form.use_template.set(true)>{move || t().use_template}</button>
                <button type="button" role="tab" data-testid="mode-promql"
                    aria-selected=move || (!form.use_template.get()).to_string()
                    on:click=move |_| form.use_template.set(false)>{move || t().use_promql}</button>
            </div>
            <Show when=move || form.use_template.get()
                fallback=move || view! {
                    <label class="field wide">
                        <span>{move || t().use_promql}</span>
                        <textarea data-testid="promql" rows="3" class="mono"
                            bind:value=form.expr_draft
                            on:change=move |ev| form.expr.set(event_target_value(&ev))></textarea>
                    </label>
                }>
                <div class="form-row">
                    <label class="field">
                        <span>{move || t().scope}</span>
                        <select data-testid="tpl-scope" prop:value=move || form.scope.get()
                            on:change=move |ev| {
                                form.scope.set(event_target_value(&ev));
                                form.resource.set(String::new());
                                form.rule.set(String::new());
                            }>
                            <option value="">"—"</option>
                            <Transition>
                            {move || scopes().into_iter().map(|s| {
                                let selected = s.name == form.scope.get_untracked();
                                view! { <option value=s.name.clone() selected=selected>{format!("{} · {}", s.name, s.show_name)}</option> }
                            }).collect_view()}
                            </Transition>
                        </select>
                    </label>
                    <label class="field">
                        <span>{move || t().resource}</span>
                        <select data-testid="tpl-resource" prop:value=move || form.resource.get()
                            on:change=move |ev| {
                                form.resource.set(event_target_value(&ev));
                                form.rule.set(String::new());
                            }>
                            <option value="">"—"</option>
                            <Transition>
                            {move || {
                                let scope = form.scope.get();
                                scopes().into_iter().filter(|s| s.name == scope).flat_map(|s| s.resources).map(|r| {
                                    let selected = r.name == form.resource.get_untracked();
                                    view! { <option value=r.name.clone() selected=selected>{format!("{} · {}", r.name, r.show_name)}</option> }
                                }).collect_view()
                            }}
                            </Transition>
                        </select>
                    </label>
                    <label class="field">
                        <span>{move || t().rule}</span>
                        <select data-testid="tpl-rule" prop:value=move || form.rule.get()
                            on:change=move |ev| form.rule.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            <Transition>
                            {move || {
                                let (scope, resource) = (form.scope.get(), form.resource.get());
                                scopes().into_iter().filter(|s| s.name == scope).flat_map(|s| s.resources)
                                    .filter(|r| r.name == resource).flat_map(|r| r.rules).map(|x| {
                                        let selected = x.name == form.rule.get_untracked();
                                        view! { <option value=x.name.clone() selected=selected>{format!("{} · {}", x.name, x.show_name)}</option> }
                                    }).collect_view()
                            }}
                            </Transition>
                        </select>
                    </label>
                </div>
                <Transition>
                {move || {
                    let (scope, resource, rule) = (form.scope.get(), form.resource.get(), form.rule.get());
                    scopes().into_iter().filter(|s| s.name == scope).flat_map(|s| s.resources)
                        .filter(|r| r.name == resource).flat_map(|r| r.rules).find(|x| x.name == rule)
                        .map(|x| view! {
                            <p class="muted small" data-testid="tpl-hint">
                                <code>{x.expr}</code>
                                {format!(" · {} · by {}", if x.unit.is_empty() { "-".to_string() } else { x.unit }, x.labels.join(", "))}
                            </p>
                        })
                }}
                </Transition>
            </Show>
            <fieldset class="filters">
                <legend>{move || t().label_filters}</legend>
                <datalist id="label-names">
                    <Transition>
                        {move || names.get().flatten().unwrap_or_default().into_iter()
                            .map(|n| view! { <option value=n></option> }).collect_view()}
                    </Transition>
                </datalist>
                <For each=move || form.filters.get() key=|r| r.key let:row>
                    <FilterEditor row form />
                </For>
                <button type="button" class="small" data-testid="add-filter"
                    on:click=move |_| {
                        let row = form.row(&LabelFilter { op: FilterOp::Re, ..Default::default() });
                        form.filters.update(|f| f.push(row));
                    }>{move || t().add_filter}</button>
            </fieldset>
            <div class="form-row">
                <TimeRangePicker range=form.range testid="range" />
                <button class="primary" data-testid="run" on:click=run.clone()>{move || t().run_query}</button>
            </div>
        </section>
        <section class="card" data-testid="result">
            <div class="tabs" role="tablist">
                <button type="button" role="tab" data-testid="view-chart"
                    aria-selected=move || (!state.get().table).to_string()
                    on:click={ let f = set_view_chart.clone(); move |_| f(false) }>{move || t().view_chart}</button>
                <button type="button" role="tab" data-testid="view-table"
                    aria-selected=move || state.get().table.to_string()
                    on:click={ let f = set_view.clone(); move |_| f(true) }>{move || t().view_table}</button>
            </div>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || result.get().flatten().map(|r| match r {
                    Err(e) => view! {
                        <p class="error" role="alert" data-testid="query-error" data-field=e.field.clone().unwrap_or_default()>{crate::ui::error_text(&e)}</p>
                    }.into_any(),
                    Ok(res) => {
                        let table = state.get_untracked().table;
                        let empty = res.series.is_empty();
                        view! {
                            <p class="muted small" data-testid="query-ran">
                                {move || t().query_ran}": " <code>{res.expr.clone()}</code>
                                {format!(" · {} {}s", t().step, res.step)}
                            </p>
                            {res.warnings.iter().map(|w| view! { <p class="warning">{w.clone()}</p> }).collect_view()}
                            {if empty {
                                view! { <p class="muted" data-testid="no-series">{t().no_series}</p> }.into_any()
                            } else if table {
                                view! { <SeriesTable result=res /> }.into_any()
                            } else {
                                view! { <TimeSeriesChart result=res /> }.into_any()
                            }}
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
        </Show>
    }
}

/// One label filter: the label (names suggested), the operator, and the value (values of that
/// label over the current query suggested by Prometheus).
#[component]
fn FilterEditor(row: FilterRow, form: Form) -> impl IntoView {
    let t = use_t();
    let list_id = format!("label-values-{}", row.key);
    let values = LocalResource::new(move || {
        let (target, base, label) = (form.target.get(), form.base(), row.name.get());
        async move {
            let target = parse_target(&target)?;
            let label = label.trim().to_string();
            if label.is_empty() || (base.template.is_none() && base.expr.trim().is_empty()) {
                return None;
            }
            let q = LabelValuesQuery {
                target,
                query: base,
                label,
                start: now() - 3600,
                end: now(),
            };
            label_values(q).await.ok()
        }
    });
    view! {
        <div class="form-row filter" data-testid="filter">
            <input class="narrow" list="label-names" placeholder=move || t().label data-testid="filter-name"
                bind:value=row.name />
            <select data-testid="filter-op" on:change=move |ev| {
                if let Some(op) = FilterOp::parse(&event_target_value(&ev)) { row.op.set(op) }
            }>
                {FilterOp::ALL.into_iter().map(|op| view! {
                    <option value=op.as_str() selected=move || row.op.get() == op>{op.as_str()}</option>
                }).collect_view()}
            </select>
            <input list=list_id.clone() placeholder=move || t().value data-testid="filter-value" bind:value=row.value />
            <datalist id=list_id>
                <Transition>
                    {move || values.get().flatten().unwrap_or_default().into_iter()
                        .map(|v| view! { <option value=v></option> }).collect_view()}
                </Transition>
            </datalist>
            <button type="button" class="small" on:click=move |_| {
                form.filters.update(|f| f.retain(|r| r.key != row.key))
            }>{move || t().remove}</button>
        </div>
    }
}
