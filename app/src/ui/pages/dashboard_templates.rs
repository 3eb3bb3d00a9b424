//! Dashboard templates: the list, and an editor for graphs (reorder, add, remove), their targets
//! (a `scope.resource.rule` template or raw PromQL) and variables.

use leptos::prelude::*;

use crate::api::templates::{DeleteDashboardTemplate, SaveDashboardTemplate, dashboard_templates};
use crate::domain::units::catalogue;
use crate::model::{DashboardTemplate, Graph, GraphGenerator, GraphTarget};
use crate::ui::components::{ErrorNote, last_error, list_view};
use crate::ui::use_t;

/// What the target box shows: the template key, or the raw expression.
fn target_text(t: &GraphTarget) -> String {
    match &t.generator {
        Some(g) if !g.resource.is_empty() => format!("{}.{}.{}", g.scope, g.resource, g.rule),
        _ => t.expr.clone(),
    }
}

/// A `scope.resource.rule` key becomes a template reference; anything else is PromQL.
fn parse_target(name: String, text: &str, unit: &str) -> GraphTarget {
    let parts: Vec<&str> = text.trim().split('.').collect();
    let is_key = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if is_key {
        GraphTarget {
            target_name: name,
            expr: String::new(),
            generator: Some(GraphGenerator {
                scope: parts[0].into(),
                resource: parts[1].into(),
                rule: parts[2].into(),
                unit: unit.into(),
                ..Default::default()
            }),
        }
    } else {
        GraphTarget {
            target_name: name,
            expr: text.trim().to_string(),
            generator: None,
        }
    }
}

fn new_template() -> DashboardTemplate {
    DashboardTemplate {
        step: "30s".into(),
        refresh: "30s".into(),
        start: "now-1h".into(),
        end: "now".into(),
        ..Default::default()
    }
}

#[component]
pub fn DashboardTemplates(
    #[prop(into)] admin: Signal<bool>,
    /// Changes when something else (an import) changed the templates.
    #[prop(into)]
    reload: Signal<usize>,
) -> impl IntoView {
    let t = use_t();
    let save = ServerAction::<SaveDashboardTemplate>::new();
    let delete = ServerAction::<DeleteDashboardTemplate>::new();
    let list = Resource::new(
        move || (save.version().get(), delete.version().get(), reload.get()),
        |_| dashboard_templates(),
    );
    let draft = RwSignal::new(None::<DashboardTemplate>);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            draft.set(None);
        }
    });
    let edit = move |f: Box<dyn FnOnce(&mut DashboardTemplate)>| {
        draft.update(|d| {
            if let Some(d) = d.as_mut() {
                f(d);
            }
        })
    };
    let text_input = move |label: &'static str,
                           get: fn(&DashboardTemplate) -> String,
                           set: fn(&mut DashboardTemplate, String)| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input name=label prop:value=move || draft.get().map(|d| get(&d)).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |d| set(d, v))); } />
            </label>
        }
    };
    view! {
        <section data-testid="dashboard-templates">
            <h2>{move || t().dashboard_templates}</h2>
            <ErrorNote error=last_error(delete.value()) />
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || list.get().map(|r| list_view(t(), r, |rows| view! {
                    <table class="table">
                        <thead><tr><th>{t().template_name}</th><th>{t().description}</th><th>{t().graphs}</th><th></th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|d| {
                                let name = d.name.clone();
                                let for_edit = d.clone();
                                view! {
                                    <tr data-name=d.name.clone()>
                                        <td>{d.name.clone()}</td>
                                        <td>{d.description.clone()}</td>
                                        <td>{d.graphs.len()}</td>
                                        <td>
                                            <Show when=move || admin.get()>
                                                <button class="small" on:click={
                                                    let d = for_edit.clone();
                                                    move |_| draft.set(Some(d.clone()))
                                                }>{t().edit}</button>
                                                <button class="danger small" on:click={
                                                    let name = name.clone();
                                                    move |_| {
                                                        if window().confirm_with_message(t().confirm_delete).unwrap_or(false) {
                                                            delete.dispatch(DeleteDashboardTemplate { name: name.clone() });
                                                        }
                                                    }
                                                }>{t().delete}</button>
                                            </Show>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()))}
            </Suspense>
            <Show when=move || admin.get() && draft.with(Option::is_none)>
                <button type="button" data-testid="new-dashboard-template" on:click=move |_| draft.set(Some(new_template()))>
                    {t().new_dashboard_template}
                </button>
            </Show>
            <Show when=move || draft.with(Option::is_some)>
                <form class="form" data-testid="dashboard-template-form" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some(template) = draft.get_untracked() {
                        save.dispatch(SaveDashboardTemplate { template });
                    }
                }>
                    {text_input("name", |d| d.name.clone(), |d, v| d.name = v.trim().to_string())}
                    {text_input("description", |d| d.description.clone(), |d, v| d.description = v)}
                    {text_input("step", |d| d.step.clone(), |d, v| d.step = v)}
                    {text_input("refresh", |d| d.refresh.clone(), |d, v| d.refresh = v)}
                    {text_input("start", |d| d.start.clone(), |d, v| d.start = v)}
                    {text_input("end", |d| d.end.clone(), |d, v| d.end = v)}
                    {text_input(
                        "variables",
                        |d| d.variables.keys().cloned().collect::<Vec<_>>().join(", "),
                        |d, v| d.variables = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| (s.to_string(), String::new())).collect(),
                    )}
                    <ol class="graphs" data-testid="graphs">
                        {move || draft.get().map(|d| d.graphs.iter().enumerate().map(|(i, g)| {
                            let count = d.graphs.len();
                            let g = g.clone();
                            let unit = g.unit.clone();
                            let targets = g.targets.iter().map(target_text).collect::<Vec<_>>().join("\n");
                            view! {
                                <li class="graph" data-index=i>
                                    <input name="graph-name" placeholder=move || t().graph_name prop:value=g.name.clone()
                                        on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |d| d.graphs[i].name = v)); } />
                                    <select name="graph-unit" prop:value=unit.clone()
                                        on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |d| {
                                            d.graphs[i].unit = v.clone();
                                            for t in &mut d.graphs[i].targets { if let Some(g) = t.generator.as_mut() { g.unit = v.clone(); } }
                                        })); }>
                                        {catalogue().into_iter().map(|u| {
                                            let value = u.to_string();
                                            let selected = value == unit;
                                            let label = if value.is_empty() { "—".to_string() } else { value.clone() };
                                            view! { <option value=value selected=selected>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                    <textarea name="graph-targets" rows="2" placeholder=move || t().targets_hint prop:value=targets
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            edit(Box::new(move |d| {
                                                let unit = d.graphs[i].unit.clone();
                                                d.graphs[i].targets = v.lines().filter(|l| !l.trim().is_empty()).enumerate()
                                                    .map(|(n, l)| parse_target(((b'A' + (n % 26) as u8) as char).to_string(), l, &unit))
                                                    .collect();
                                            }));
                                        }></textarea>
                                    <span class="actions">
                                        <button type="button" class="small" disabled=i == 0 title="up"
                                            on:click=move |_| edit(Box::new(move |d| d.graphs.swap(i, i - 1)))>"↑"</button>
                                        <button type="button" class="small" disabled=i + 1 == count title="down"
                                            on:click=move |_| edit(Box::new(move |d| d.graphs.swap(i, i + 1)))>"↓"</button>
                                        <button type="button" class="danger small"
                                            on:click=move |_| edit(Box::new(move |d| { d.graphs.remove(i); }))>{t().remove}</button>
                                    </span>
                                </li>
                            }
                        }).collect_view())}
                    </ol>
                    <button type="button" data-testid="add-graph" on:click=move |_| edit(Box::new(|d| d.graphs.push(Graph { name: String::new(), unit: String::new(), targets: vec![] })))>
                        {move || t().add_graph}
                    </button>
                    <ErrorNote error=last_error(save.value()) />
                    <div class="actions">
                        <button type="submit">{move || t().save}</button>
                        <button type="button" class="link" on:click=move |_| draft.set(None)>{move || t().cancel}</button>
                    </div>
                </form>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_template_keys_or_promql() {
        let t = parse_target("A".into(), " containers.container.cpuUsage ", "short");
        assert_eq!(target_text(&t), "containers.container.cpuUsage");
        assert_eq!(t.generator.as_ref().map(|g| g.unit.as_str()), Some("short"));
        let raw = parse_target("B".into(), "sum(rate(x[5m]))", "");
        assert!(raw.generator.is_none());
        assert_eq!(target_text(&raw), "sum(rate(x[5m]))");
        // Dots inside PromQL do not make it a key.
        assert!(
            parse_target("C".into(), "up{job=\"a.b.c\"}", "")
                .generator
                .is_none()
        );
    }
}
