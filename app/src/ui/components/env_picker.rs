//! The environment select of the per-environment pages (dashboards, collectors): the
//! environments the caller may read, and a callback when one is picked.
//!
//! The list is fetched in the browser and written into the select as HTML. The picker also sits
//! inside panels that appear after other data (a rule's detail): a resource created there is
//! answered by the server after the panel's HTML was written, and reactive children inside a
//! `<select>` lose their hydration markers to the browser's HTML parser. Either way hydration
//! would fail; a server render with only the placeholder, filled in later, always matches.

use leptos::prelude::*;

use crate::api::metrics::metric_targets;
use crate::model::QueryTarget;
use crate::ui::use_t;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The options as HTML, the chosen one selected.
fn options_html(placeholder: &str, options: &[(i64, String)], chosen: Option<i64>) -> String {
    let mut html = format!("<option value=\"\">{}</option>", escape(placeholder));
    for (id, label) in options {
        let selected = if Some(*id) == chosen { " selected" } else { "" };
        html.push_str(&format!(
            "<option value=\"{id}\"{selected}>{}</option>",
            escape(label)
        ));
    }
    html
}

#[component]
pub fn EnvironmentPicker(
    #[prop(into)] env: Signal<Option<i64>>,
    on_pick: Callback<i64>,
    testid: &'static str,
) -> impl IntoView {
    let t = use_t();
    let options = RwSignal::new(Vec::<(i64, String)>::new());
    // Effects run only in the browser.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(list) = metric_targets().await {
                options.set(
                    list.into_iter()
                        .filter_map(|o| match o.target {
                            QueryTarget::Environment(id) => Some((id, o.label)),
                            QueryTarget::Cluster(_) => None,
                        })
                        .collect(),
                );
            }
        });
    });
    view! {
        <label class="field">
            <span>{move || t().environment}</span>
            <select data-testid=testid
                inner_html=move || options.with(|o| options_html(t().choose_environment, o, env.get()))
                on:change=move |ev| {
                    if let Ok(e) = event_target_value(&ev).parse::<i64>() {
                        on_pick.run(e);
                    }
                }>
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_escaped_and_the_chosen_one_selected() {
        let html = options_html(
            "Pick",
            &[(1, "a<b>".into()), (2, "\"c\" & d".into())],
            Some(2),
        );
        assert_eq!(
            html,
            "<option value=\"\">Pick</option><option value=\"1\">a&lt;b&gt;</option>\
             <option value=\"2\" selected>&quot;c&quot; &amp; d</option>"
        );
    }
}
