//! The environment select of the per-environment pages (dashboards, collectors): the
//! environments the caller may read, and a callback when one is picked.

use leptos::prelude::*;

use crate::api::metrics::metric_targets;
use crate::model::QueryTarget;
use crate::ui::use_t;

#[component]
pub fn EnvironmentPicker(
    #[prop(into)] env: Signal<Option<i64>>,
    on_pick: Callback<i64>,
    testid: &'static str,
) -> impl IntoView {
    let t = use_t();
    let targets = Resource::new(|| (), |_| metric_targets());
    view! {
        <label class="field">
            <span>{move || t().environment}</span>
            <select data-testid=testid prop:value=move || env.get().map(|e| e.to_string()).unwrap_or_default()
                on:change=move |ev| {
                    if let Ok(e) = event_target_value(&ev).parse::<i64>() {
                        on_pick.run(e);
                    }
                }>
                <option value="">{move || t().choose_environment}</option>
                <Suspense>
                    {move || targets.get().map(|r| r.unwrap_or_default().into_iter().filter_map(|o| match o.target {
                        QueryTarget::Environment(id) => {
                            let selected = Some(id) == env.get_untracked();
                            Some(view! { <option value=id.to_string() selected=selected>{o.label}</option> })
                        }
                        QueryTarget::Cluster(_) => None,
                    }).collect_view())}
                </Suspense>
            </select>
        </label>
    }
}
