//! The system alert rule set (system admins): what every monitored cluster gets.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::templates::alert_templates;
use crate::ui::components::list_view;
use crate::ui::use_t;

/// `scope.resource.rule` of a templated rule, or its raw expression.
fn source(body: &Value) -> String {
    let g = &body["promqlGenerator"];
    let part = |k: &str| g[k].as_str().unwrap_or_default().to_string();
    if !part("rule").is_empty() {
        format!("{}.{}.{}", part("scope"), part("resource"), part("rule"))
    } else {
        body["expr"].as_str().unwrap_or_default().to_string()
    }
}

/// `> 80 error, > 90 critical`.
fn levels(body: &Value) -> String {
    body["alertLevels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            format!("{} {} {}", s("compareOp"), s("compareValue"), s("severity"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn SystemAlertTemplates() -> impl IntoView {
    let t = use_t();
    let list = Resource::new(|| (), |_| alert_templates());
    view! {
        <section data-testid="system-alerts">
            <h2>{move || t().system_alerts}</h2>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || list.get().map(|r| list_view(t(), r, |rows| view! {
                    <table class="table">
                        <thead><tr><th>{t().template_name}</th><th>{t().expression}</th><th>"for"</th><th>{t().alert_levels}</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|a| view! {
                                <tr>
                                    <td>{a.name.clone()}</td>
                                    <td><code>{source(&a.body)}</code></td>
                                    <td>{a.body["for"].as_str().unwrap_or_default().to_string()}</td>
                                    <td>{levels(&a.body)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()))}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_template_or_expression_and_levels() {
        let templated = serde_json::json!({"promqlGenerator": {"scope": "system", "resource": "node", "rule": "load5"},
            "alertLevels": [{"compareOp": ">", "compareValue": "80", "severity": "error"}, {"compareOp": ">", "compareValue": "90", "severity": "critical"}]});
        assert_eq!(source(&templated), "system.node.load5");
        assert_eq!(levels(&templated), "> 80 error, > 90 critical");
        let raw = serde_json::json!({"expr": "count(up) == 0"});
        assert_eq!(source(&raw), "count(up) == 0");
        assert_eq!(levels(&raw), "");
    }
}
