//! Editing a dashboard's graphs (for dashboards and dashboard templates alike): name, unit, and
//! targets, one per line, each a `scope.resource.rule` template or raw PromQL; reorder and remove.

use leptos::prelude::*;

use crate::domain::units::catalogue;
use crate::model::{Graph, GraphGenerator, GraphTarget};
use crate::ui::use_t;

/// A change to the list of graphs.
pub type GraphEdit = Box<dyn FnOnce(&mut Vec<Graph>) + Send + Sync>;

/// What the target box shows: the template key, or the raw expression.
pub fn target_text(t: &GraphTarget) -> String {
    match &t.generator {
        Some(g) if !g.key.resource.is_empty() => g.key.to_string(),
        _ => t.expr.clone(),
    }
}

/// A `scope.resource.rule` key becomes a template reference; anything else is PromQL.
pub fn parse_target(name: String, text: &str, unit: &str) -> GraphTarget {
    if let Some(key) = crate::model::TemplateKey::parse(text) {
        GraphTarget {
            target_name: name,
            expr: String::new(),
            generator: Some(GraphGenerator {
                key,
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

#[component]
pub fn GraphsEditor(
    #[prop(into)] graphs: Signal<Vec<Graph>>,
    on_edit: Callback<GraphEdit>,
) -> impl IntoView {
    let t = use_t();
    let edit = move |f: GraphEdit| on_edit.run(f);
    view! {
        <ol class="graphs" data-testid="graphs">
            {move || { let all = graphs.get(); let count = all.len(); all.into_iter().enumerate().map(|(i, g)| {
                let unit = g.unit.clone();
                let targets = g.targets.iter().map(target_text).collect::<Vec<_>>().join("\n");
                view! {
                    <li class="graph" data-index=i>
                        <input name="graph-name" placeholder=move || t().graph_name prop:value=g.name.clone()
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |d| d[i].name = v)); } />
                        <select name="graph-unit" prop:value=unit.clone()
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |d| {
                                d[i].unit = v.clone();
                                for t in &mut d[i].targets { if let Some(g) = t.generator.as_mut() { g.unit = v.clone(); } }
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
                                    let unit = d[i].unit.clone();
                                    d[i].targets = v.lines().filter(|l| !l.trim().is_empty()).enumerate()
                                        .map(|(n, l)| parse_target(((b'A' + (n % 26) as u8) as char).to_string(), l, &unit))
                                        .collect();
                                }));
                            }></textarea>
                        <span class="actions">
                            <button type="button" class="small" disabled=i == 0 title="up"
                                on:click=move |_| edit(Box::new(move |d| d.swap(i, i - 1)))>"↑"</button>
                            <button type="button" class="small" disabled=i + 1 == count title="down"
                                on:click=move |_| edit(Box::new(move |d| d.swap(i, i + 1)))>"↓"</button>
                            <button type="button" class="danger small"
                                on:click=move |_| edit(Box::new(move |d| { d.remove(i); }))>{t().remove}</button>
                        </span>
                    </li>
                }
            }).collect_view() }}
        </ol>
        <button type="button" data-testid="add-graph" on:click=move |_| edit(Box::new(|d| d.push(Graph::default())))>
            {move || t().add_graph}
        </button>
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
