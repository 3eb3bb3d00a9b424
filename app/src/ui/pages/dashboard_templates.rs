//! Dashboard templates: the list, and an editor for graphs (reorder, add, remove), their targets
//! (a `scope.resource.rule` template or raw PromQL) and variables.

use leptos::prelude::*;

use crate::api::templates::{DeleteDashboardTemplate, SaveDashboardTemplate, dashboard_templates};
use crate::model::DashboardTemplate;
use crate::ui::components::graphs_editor::{GraphEdit, GraphsEditor};
use crate::ui::components::{ErrorNote, last_error, list_view};
use crate::ui::use_t;

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
    crate::ui::components::toast_on_ok(delete.value(), |t| t.deleted);
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
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
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
                                                <crate::ui::components::ConfirmButton label=t().delete question=t().confirm_delete
                                                    on_confirm={
                                                        let name = name.clone();
                                                        Callback::new(move |_| { delete.dispatch(DeleteDashboardTemplate { name: name.clone() }); })
                                                    } />
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
                    <GraphsEditor
                        graphs=Signal::derive(move || draft.with(|d| d.as_ref().map(|d| d.graphs.clone()).unwrap_or_default()))
                        on_edit=Callback::new(move |f: GraphEdit| edit(Box::new(move |d| f(&mut d.graphs))))
                    />
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
