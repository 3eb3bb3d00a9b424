//! The alert rule editor: template or raw expression, label matchers with suggestions, levels,
//! inhibit labels, receivers and message, with a live preview rendered in the browser by the
//! same code the server writes with, and the "fires now?" and backtest checks.

use leptos::prelude::*;

use crate::api::alert_rules::{
    AlertRuleBacktest, AlertRuleFiresNow, CreateAlertRule, UpdateAlertRule,
};
use crate::domain::alert_rules::{COMPARE_OPS, Grouping, Target, preview};
use crate::domain::units;
use crate::error::ApiError;
use crate::model::{
    AlertRuleInput, FilterOp, LabelMatcher, RangeResult, RuleEditorContext, RuleScope, Severity,
};
use crate::ui::components::chart::TimeSeriesChart;
use crate::ui::components::{ErrorNote, last_error};
use crate::ui::use_t;

mod form;
use form::{Form, LevelRow, MatcherRow, ReceiverRow};

fn field_error(error: Signal<Option<ApiError>>, prefix: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref().is_some_and(|f| f.starts_with(prefix)))
            .map(|e| {
                // A nested field (`levels[1].value`) keeps its name: it says which row.
                let text = if e.field.as_deref() == Some(prefix) { crate::ui::field_error_text(&e) } else { crate::ui::error_text(&e) };
                view! { <small class="field-error" data-field=e.field.clone().unwrap_or_default()>{text}</small> }
            })
    }
}

/// Renders the rule exactly as the server would, in the browser, on every keystroke.
#[component]
fn Preview(form: Form, ctx: RuleEditorContext) -> impl IntoView {
    let t = use_t();
    let ctx = StoredValue::new(ctx);
    let result = Memo::new(move |_| {
        let input = form.input();
        ctx.with_value(|ctx| {
            let template = ctx
                .templates
                .iter()
                .find(|t| t.key() == form.template.get())
                .map(|t| t.rule.clone());
            let target = Target {
                namespace: &ctx.namespace,
                global: ctx.global,
            };
            let grouping = Grouping {
                wait: ctx.group_wait.clone(),
                interval: ctx.group_interval.clone(),
            };
            preview(&input, &target, template.as_ref(), &grouping)
        })
    });
    view! {
        <section class="card preview" data-testid="rule-preview">
            <h3>{move || t().preview}</h3>
            {move || match result.get() {
                Err(e) => view! {
                    <p class="warning" data-testid="preview-error" data-field=e.field.clone().unwrap_or_default()>
                        {match e.field.as_deref() {
                            Some(f) => format!("{} ({f}): {}", t().preview_invalid, crate::ui::field_error_text(&e)),
                            None => format!("{}: {}", t().preview_invalid, crate::ui::error_text(&e)),
                        }}
                    </p>
                }.into_any(),
                Ok(p) => view! {
                    <ul class="plain" data-testid="preview-levels">
                        {p.levels.into_iter().map(|l| view! {
                            <li><span class=format!("badge {}", l.severity.as_str())>{l.severity.as_str()}</span>" "<code data-testid="preview-expr">{l.expr}</code></li>
                        }).collect_view()}
                    </ul>
                    <p class="small"><strong>{t().message}": "</strong><span data-testid="preview-message">{p.message}</span></p>
                    <details open>
                        <summary>{t().objects}</summary>
                        <pre class="yaml" data-testid="preview-rule-yaml">{if p.objects.prometheus_rule.is_empty() { p.objects.loki_rules } else { p.objects.prometheus_rule }}</pre>
                        <pre class="yaml" data-testid="preview-am-yaml">{p.objects.alertmanager_config}</pre>
                    </details>
                }.into_any(),
            }}
        </section>
    }
}

/// Where each level would have fired over the range, as bands under the chart.
#[component]
fn Bands(start: i64, end: i64, levels: Vec<crate::model::LevelBands>) -> impl IntoView {
    let t = use_t();
    let width = (end - start).max(1) as f64;
    view! {
        <div class="bands" data-testid="backtest-bands">
            {levels.into_iter().map(|l| {
                let sev = l.severity.as_str();
                let empty = l.bands.is_empty();
                view! {
                    <div class="band-row" data-severity=sev data-count=l.bands.len().to_string()>
                        <span class=format!("badge {sev}")>{sev}</span>
                        <svg viewBox="0 0 1000 12" preserveAspectRatio="none" class="band-strip">
                            <rect x="0" y="0" width="1000" height="12" class="band-bg" />
                            {l.bands.iter().map(|(a, b)| {
                                let x = ((*a - start) as f64 / width * 1000.0).max(0.0);
                                let w = (((*b - *a) as f64 / width) * 1000.0).max(2.0);
                                view! { <rect x=x.to_string() y="0" width=w.to_string() height="12" class=format!("band {sev}") /> }
                            }).collect_view()}
                        </svg>
                        {empty.then(|| view! { <span class="muted small">{t().never_fired}</span> })}
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn RuleEditor(
    scope: RuleScope,
    ctx: RuleEditorContext,
    initial: AlertRuleInput,
    /// The name of the rule being edited; `None` creates.
    editing: Option<String>,
    on_done: Callback<()>,
) -> impl IntoView {
    let t = use_t();
    let form = Form::new(&initial, ctx.channels.first().map(|c| c.0));
    let create = ServerAction::<CreateAlertRule>::new();
    let update = ServerAction::<UpdateAlertRule>::new();
    crate::ui::components::toast_on_ok(create.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(update.value(), |t| t.saved);
    let fires = ServerAction::<AlertRuleFiresNow>::new();
    let backtest = ServerAction::<AlertRuleBacktest>::new();
    let range = RwSignal::new("86400".to_string());
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            || matches!(update.value().get(), Some(Ok(_)))
        {
            on_done.run(());
        }
    });
    let save_error = Signal::derive(move || {
        last_error(create.value())
            .get()
            .or_else(|| last_error(update.value()).get())
    });
    let editing_name = editing.clone();
    let is_new = editing.is_none();
    let templates = ctx.templates.clone();
    let channels = ctx.channels.clone();
    let units = units::catalogue();
    let env_target = match scope {
        RuleScope::Environment(id) => Some(crate::model::QueryTarget::Environment(id)),
        RuleScope::System(id) => Some(crate::model::QueryTarget::Cluster(id)),
    };
    // Value suggestions for matcher `name`, from the template's series in this scope.
    let suggest_for = move |name: String| {
        let template = crate::model::TemplateKey::parse(&form.template.get_untracked());
        (name, template)
    };
    let save = move || {
        let input = form.input();
        match editing_name.clone() {
            None => {
                create.dispatch(CreateAlertRule { scope, rule: input });
            }
            Some(name) => {
                update.dispatch(UpdateAlertRule {
                    scope,
                    name,
                    rule: input,
                });
            }
        }
    };
    let raw = move || form.raw.get();
    let logging = move || form.kind.get() == "logging";
    view! {
        <div class="rule-editor editor-layout" data-testid="rule-editor">
            // Enter in a field saves, as the Save button does.
            <form class="card form-grid" on:submit=move |ev| {
                ev.prevent_default();
                save();
            }>
                <label class="field">
                    <span>{move || t().rule_name}</span>
                    <input name="name" data-testid="rule-name" bind:value=form.name disabled=!is_new />
                    {field_error(save_error, "name")}
                </label>
                <label class="field">
                    <span>{move || t().rule_type}</span>
                    <select name="alertType" data-testid="rule-type" prop:value=move || form.kind.get()
                        on:change=move |ev| form.kind.set(event_target_value(&ev))>
                        <option value="monitor">{move || t().type_monitor}</option>
                        <option value="logging">{move || t().type_logging}</option>
                    </select>
                </label>
                <label class="field">
                    <span>{move || t().mode}</span>
                    <select data-testid="rule-mode" prop:value=move || if raw() { "raw" } else { "template" }
                        on:change=move |ev| form.raw.set(event_target_value(&ev) == "raw")>
                        <option value="template">{move || t().mode_template}</option>
                        <option value="raw">{move || t().mode_raw}</option>
                    </select>
                </label>
                <Show when=move || raw()>
                    <label class="field wide">
                        <span>{move || t().rule_expression}</span>
                        <textarea name="expr" data-testid="rule-expr" rows="3" bind:value=form.expr></textarea>
                        {field_error(save_error, "expr")}
                    </label>
                </Show>
                <Show when=move || !raw() && !logging()>
                    <label class="field wide">
                        <span>{move || t().template}</span>
                        <select data-testid="rule-template" prop:value=move || form.template.get()
                            on:change=move |ev| form.template.set(event_target_value(&ev))>
                            <option value="">{move || t().choose_template}</option>
                            {templates.iter().map(|x| {
                                let key = x.key();
                                let label = format!("{} / {} / {}", x.scope_show_name, x.resource_show_name, x.rule.show_name);
                                view! { <option value=key.clone() selected=key == form.template.get_untracked()>{label}</option> }
                            }).collect_view()}
                        </select>
                        {field_error(save_error, "promqlGenerator")}
                    </label>
                    <label class="field">
                        <span>{move || t().unit}</span>
                        <select data-testid="rule-unit" prop:value=move || form.unit.get()
                            on:change=move |ev| form.unit.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {units.iter().map(|u| {
                                let s = u.to_string();
                                view! { <option value=s.clone() selected=s == form.unit.get_untracked()>{s.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || !raw() && logging()>
                    <label class="field">
                        <span>{move || t().log_window}</span>
                        <input data-testid="rule-log-window" bind:value=form.duration />
                        {field_error(save_error, "logqlGenerator.duration")}
                    </label>
                    <label class="field">
                        <span>{move || t().log_match}</span>
                        <input data-testid="rule-log-match" bind:value=form.log_match />
                        {field_error(save_error, "logqlGenerator.match")}
                    </label>
                </Show>
                <Show when=move || !raw()>
                    <fieldset class="wide" data-testid="rule-matchers">
                        <legend>{move || t().label_matchers}</legend>
                        <For each=move || form.matchers.get()
                            key=|m| m.key let:m>
                            {
                                let i = m.key;
                                let list_id = format!("matcher-values-{i}");
                                let values = Resource::new(
                                    move || suggest_for(m.name.get()),
                                    move |(name, template)| async move {
                                        let (Some(target), false) = (env_target, name.trim().is_empty()) else { return Vec::new() };
                                        let end = chrono::Utc::now().timestamp();
                                        crate::api::metrics::label_values(crate::model::LabelValuesQuery {
                                            target,
                                            query: crate::model::MetricExpr { expr: String::new(), template, filters: vec![] },
                                            label: name,
                                            start: end - 3600,
                                            end,
                                        }).await.unwrap_or_default()
                                    },
                                );
                                view! {
                                    <div class="form-row compact" data-testid="matcher">
                                        <input placeholder="label" data-testid="matcher-name" bind:value=m.name />
                                        <select data-testid="matcher-op" prop:value=move || m.op.get()
                                            on:change=move |ev| m.op.set(event_target_value(&ev))>
                                            {FilterOp::ALL.iter().map(|o| view! { <option value=o.as_str()>{o.as_str()}</option> }).collect_view()}
                                        </select>
                                        <input placeholder="value" data-testid="matcher-value" list=list_id.clone() bind:value=m.value />
                                        <datalist id=list_id>
                                            <Transition>
                                                {move || values.get().unwrap_or_default().into_iter().map(|v| view! { <option value=v /> }).collect_view()}
                                            </Transition>
                                        </datalist>
                                        <button type="button" class="small" on:click=move |_| form.matchers.update(|l| l.retain(|x| x.key != i))>"×"</button>
                                    </div>
                                }
                            }
                        </For>
                        <button type="button" class="small" data-testid="add-matcher"
                            on:click=move |_| {
                                let row = form.make(|k| MatcherRow::new(k, &LabelMatcher::default()));
                                form.matchers.update(|l| l.push(row));
                            }>
                            {move || t().add_matcher}
                        </button>
                        {field_error(save_error, "promqlGenerator.labelMatchers")}
                        {field_error(save_error, "logqlGenerator.labelMatchers")}
                    </fieldset>
                </Show>
                <label class="field">
                    <span>{move || t().for_duration}</span>
                    <input name="for" data-testid="rule-for" bind:value=form.for_ />
                    {field_error(save_error, "for")}
                </label>
                <fieldset class="wide" data-testid="rule-levels">
                    <legend>{move || t().alert_levels}</legend>
                    <For each=move || form.levels.get()
                        key=|l| l.key let:l>
                        {
                            let i = l.key;
                            view! {
                                <div class="form-row compact" data-testid="level">
                                    <Show when=move || !raw()>
                                        <select data-testid="level-op" prop:value=move || l.op.get()
                                            on:change=move |ev| l.op.set(event_target_value(&ev))>
                                            {COMPARE_OPS.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
                                        </select>
                                        <input placeholder=move || t().threshold data-testid="level-value" bind:value=l.value />
                                    </Show>
                                    <select data-testid="level-severity" prop:value=move || l.severity.get()
                                        on:change=move |ev| l.severity.set(event_target_value(&ev))>
                                        {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                                    </select>
                                    <button type="button" class="small" on:click=move |_| form.levels.update(|v| v.retain(|x| x.key != i))>"×"</button>
                                </div>
                            }
                        }
                    </For>
                    <button type="button" class="small" data-testid="add-level" on:click=move |_| {
                        let row = form.make(|key| LevelRow {
                            key,
                            op: RwSignal::new(">".into()),
                            value: RwSignal::new(String::new()),
                            severity: RwSignal::new("critical".into()),
                        });
                        form.levels.update(|v| v.push(row));
                    }>{move || t().add_level}</button>
                    {field_error(save_error, "alertLevels")}
                </fieldset>
                <label class="field wide">
                    <span>{move || t().inhibit_labels}</span>
                    <input data-testid="rule-inhibit" bind:value=form.inhibit />
                    {field_error(save_error, "inhibitLabels")}
                </label>
                <fieldset class="wide" data-testid="rule-receivers">
                    <legend>{move || t().receivers}</legend>
                    <For each=move || form.receivers.get()
                        key=|r| r.key let:r>
                        {
                            let i = r.key;
                            let channels = channels.clone();
                            view! {
                                <div class="form-row compact" data-testid="receiver">
                                    <select data-testid="receiver-channel" prop:value=move || r.channel.get()
                                        on:change=move |ev| r.channel.set(event_target_value(&ev))>
                                        {channels.iter().map(|(id, name)| {
                                            let v = id.to_string();
                                            view! { <option value=v.clone() selected=v == r.channel.get_untracked()>{name.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                    <label class="inline">{move || t().repeat_interval}" "
                                        <input class="narrow" data-testid="receiver-interval" bind:value=r.interval />
                                    </label>
                                    <button type="button" class="small" on:click=move |_| form.receivers.update(|v| v.retain(|x| x.key != i))>"×"</button>
                                </div>
                            }
                        }
                    </For>
                    <button type="button" class="small" data-testid="add-receiver" on:click={
                        let first = ctx.channels.first().map(|c| c.0.to_string()).unwrap_or_default();
                        move |_| {
                            let row = form.make(|key| ReceiverRow {
                                key,
                                channel: RwSignal::new(first.clone()),
                                interval: RwSignal::new("1h".into()),
                            });
                            form.receivers.update(|v| v.push(row));
                        }
                    }>{move || t().add_receiver}</button>
                    {field_error(save_error, "receivers")}
                </fieldset>
                <label class="field wide">
                    <span>{move || t().message}</span>
                    <textarea data-testid="rule-message" rows="2" placeholder=move || t().message_auto bind:value=form.message></textarea>
                </label>
                <Show when=move || is_new>
                    <crate::ui::components::Toggle label=Signal::derive(move || t().enabled.to_string())
                        checked=form.is_open testid="rule-enabled" />
                </Show>
                <div class="buttons wide">
                    <button type="submit" class="primary" data-testid="rule-save"
                        disabled=move || create.pending().get() || update.pending().get()>{move || t().save}</button>
                    <button type="button" data-testid="rule-fires-now"
                        on:click=move |_| { fires.dispatch(AlertRuleFiresNow { scope, rule: form.input() }); }>{move || t().fires_now}</button>
                    <select data-testid="backtest-range" prop:value=move || range.get() on:change=move |ev| range.set(event_target_value(&ev))>
                        <option value="3600">"1h"</option>
                        <option value="21600">"6h"</option>
                        <option value="86400">"24h"</option>
                        <option value="604800">"7d"</option>
                    </select>
                    <button type="button" data-testid="rule-backtest"
                        on:click=move |_| { backtest.dispatch(AlertRuleBacktest { scope, rule: form.input(), range_secs: range.get_untracked().parse().unwrap_or(86400) }); }>{move || t().backtest}</button>
                    <button type="button" class="link" on:click=move |_| on_done.run(())>{move || t().close}</button>
                </div>
                <div data-testid="rule-save-error">
                    <ErrorNote error=Signal::derive(move || save_error.get().filter(|e| e.field.is_none())) />
                </div>
            </form>
            <div class="preview">
            <Preview form ctx=ctx.clone() />
            // The checks' panels appear once asked: empty boxes would read as broken results.
            <Show when=move || fires.value().with(|v| v.is_some())>
            <section class="card" data-testid="fires-now">
                {move || fires.value().get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(levels) => levels.into_iter().map(|l| {
                        let none = l.series.is_empty();
                        let count = l.series.len().to_string();
                        view! {
                            <div data-testid="fires-level" data-severity=l.severity.as_str() data-count=count>
                                <h4><span class=format!("badge {}", l.severity.as_str())>{l.severity.as_str()}</span>" "<code>{l.expr}</code></h4>
                                {none.then(|| view! { <p class="muted">{t().no_series_fire}</p> })}
                                <ul class="plain small">
                                    {l.series.into_iter().map(|s| view! {
                                        <li data-testid="firing-series"><code>{format_labels(&s.labels)}</code>" = "{s.value.to_string()}</li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        }
                    }).collect_view().into_any(),
                })}
            </section>
            </Show>
            <Show when=move || backtest.value().with(|v| v.is_some())>
            <section class="card" data-testid="backtest">
                {move || backtest.value().get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(b) => {
                        let result = RangeResult {
                            expr: String::new(),
                            unit: form.unit.get_untracked(),
                            start: b.start,
                            end: b.end,
                            step: b.step,
                            series: b.series.clone(),
                            warnings: vec![],
                        };
                        view! {
                            <TimeSeriesChart result height=200.0 />
                            <Bands start=b.start end=b.end levels=b.levels />
                        }.into_any()
                    }
                })}
            </section>
            </Show>
            </div>
        </div>
    }
}

pub fn format_labels(labels: &std::collections::BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}
