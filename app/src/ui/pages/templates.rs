//! The PromQL template catalogue: scope → resource → rule, searchable; presets for everyone and
//! each tenant's own rules; a rule form with a live PromQL check and a unit picker.

use leptos::prelude::*;

use crate::api::templates::{
    CreateTemplateRule, DeleteTemplateRule, UpdateTemplateRule, search_templates, template_tree,
};
use crate::api::tenancy::list_tenants;
use crate::domain::units::{Unit, catalogue};
use crate::model::{ResolvedTemplate, TemplateRuleInput, TemplateScope};
use crate::ui::components::{ConfirmButton, ErrorNote, PageHeader, TextField, last_error, tr};
use crate::ui::session::use_session;
use crate::ui::use_t;

#[derive(Clone, Copy)]
struct RuleForm {
    editing: RwSignal<Option<i64>>,
    resource_id: RwSignal<String>,
    name: RwSignal<String>,
    show_name: RwSignal<String>,
    description: RwSignal<String>,
    expr: RwSignal<String>,
    unit: RwSignal<String>,
    labels: RwSignal<String>,
}

impl RuleForm {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        RuleForm {
            editing: RwSignal::new(None),
            resource_id: s(),
            name: s(),
            show_name: s(),
            description: s(),
            expr: s(),
            unit: s(),
            labels: s(),
        }
    }

    fn load(&self, t: Option<&ResolvedTemplate>) {
        let r = t.map(|t| t.rule.clone());
        self.editing.set(r.as_ref().map(|r| r.id));
        self.resource_id.set(
            r.as_ref()
                .map(|r| r.resource_id.to_string())
                .unwrap_or_default(),
        );
        self.name
            .set(r.as_ref().map(|r| r.name.clone()).unwrap_or_default());
        self.show_name
            .set(r.as_ref().map(|r| r.show_name.clone()).unwrap_or_default());
        self.description.set(
            r.as_ref()
                .map(|r| r.description.clone())
                .unwrap_or_default(),
        );
        self.expr
            .set(r.as_ref().map(|r| r.expr.clone()).unwrap_or_default());
        self.unit
            .set(r.as_ref().map(|r| r.unit.clone()).unwrap_or_default());
        self.labels
            .set(r.as_ref().map(|r| r.labels.join(", ")).unwrap_or_default());
    }

    fn input(&self, tenant_id: Option<i64>) -> TemplateRuleInput {
        TemplateRuleInput {
            resource_id: self.resource_id.get_untracked().parse().unwrap_or_default(),
            name: self.name.get_untracked().trim().to_string(),
            show_name: self.show_name.get_untracked().trim().to_string(),
            description: self.description.get_untracked(),
            expr: self.expr.get_untracked(),
            unit: self.unit.get_untracked(),
            labels: self
                .labels
                .get_untracked()
                .split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            tenant_id,
        }
    }
}

/// A labelled group of the tree: a resource's rules, or a scope's resources.
type Group<T> = (String, Vec<T>);

/// Search results grouped back into scope → resource, in catalogue order.
fn grouped(found: Vec<ResolvedTemplate>) -> Vec<Group<Group<ResolvedTemplate>>> {
    let mut out: Vec<Group<Group<ResolvedTemplate>>> = Vec::new();
    for t in found {
        let scope_label = format!("{} · {}", t.scope, t.scope_show_name);
        let resource_label = format!("{} · {}", t.resource, t.resource_show_name);
        if out.last().is_none_or(|(s, _)| *s != scope_label) {
            out.push((scope_label, Vec::new()));
        }
        let Some((_, resources)) = out.last_mut() else {
            continue;
        };
        if resources.last().is_none_or(|(r, _)| *r != resource_label) {
            resources.push((resource_label, Vec::new()));
        }
        if let Some((_, rules)) = resources.last_mut() {
            rules.push(t);
        }
    }
    out
}

fn resource_options(tree: &[TemplateScope]) -> Vec<(i64, String)> {
    tree.iter()
        .flat_map(|s| {
            s.resources
                .iter()
                .map(move |r| (r.id, format!("{} / {}", s.name, r.name)))
        })
        .collect()
}

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let t = use_t();
    let session = use_session();
    let is_admin = move || session.user().is_some_and(|u| u.is_system_admin);
    let owner = RwSignal::new(String::new());
    let tenant_id = Memo::new(move |_| owner.get().parse::<i64>().ok());
    let query = RwSignal::new(String::new());
    let create = ServerAction::<CreateTemplateRule>::new();
    let update = ServerAction::<UpdateTemplateRule>::new();
    let delete = ServerAction::<DeleteTemplateRule>::new();
    crate::ui::components::toast_on_ok(create.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(update.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(delete.value(), |t| t.deleted);
    let changed = move || {
        (
            create.version().get(),
            update.version().get(),
            delete.version().get(),
        )
    };
    let tenants = Resource::new(|| (), |_| list_tenants());
    let tree = Resource::new(
        move || (tenant_id.get(), changed()),
        |(tid, _)| template_tree(tid),
    );
    let found = Resource::new(
        move || (tenant_id.get(), query.get(), changed()),
        |(tid, q, _)| search_templates(tid, q),
    );
    let form = RuleForm::new();
    let error = Signal::derive(move || {
        if form.editing.get().is_some() {
            last_error(update.value()).get()
        } else {
            last_error(create.value()).get()
        }
    });
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            || matches!(update.value().get(), Some(Ok(_)))
        {
            form.load(None);
        }
    });
    // The expression is checked as it is typed, with the same parser the server uses.
    let expr_check = Memo::new(move |_| {
        let e = form.expr.get();
        (!e.trim().is_empty()).then(|| {
            crate::domain::templates::promql("expr", &e).map_err(|e| crate::ui::error_text(&e))
        })
    });
    let expr_invalid =
        move || error.with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some("expr"));
    let may_manage = move |rule_tenant: Option<i64>| rule_tenant.is_some() || is_admin();

    view! {
        <PageHeader title=tr(|t| t.promql_templates) crumbs=super::templates_section::section_crumbs() />
        <div class="editor-layout">
        <div class="tree-pane">
        <div class="toolbar form-row">
            <label class="field">
                <span>{move || t().template_owner}</span>
                <select name="owner" prop:value=move || owner.get() on:change=move |ev| owner.set(event_target_value(&ev))>
                    <option value="">{move || t().presets_only}</option>
                    <Suspense>
                        {move || tenants.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|tn| {
                            let id = tn.id.to_string();
                            view! { <option value=id>{tn.name}</option> }
                        }).collect_view())}
                    </Suspense>
                </select>
            </label>
            <label class="field">
                <span>{move || t().search}</span>
                <input type="search" name="template-search" placeholder="scope.resource.rule, name, expr"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
            </label>
        </div>
        <ErrorNote error=last_error(delete.value()) />
        <section data-testid="template-tree">
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || found.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t().nothing_found}</p> }.into_any(),
                    Ok(list) => {
                        let open = !query.get_untracked().trim().is_empty();
                        grouped(list).into_iter().map(|(scope, resources)| view! {
                            <details class="tree-scope" open=open>
                                <summary>{scope}</summary>
                                {resources.into_iter().map(|(resource, rules)| view! {
                                    <details class="tree-resource" open=open>
                                        <summary>{resource}" ("{rules.len()}")"</summary>
                                        <table class="table">
                                            <tbody>
                                                {rules.into_iter().map(|r| {
                                                    let key = r.key();
                                                    let shown_key = key.clone();
                                                    let unit = Unit::parse(&r.rule.unit).map(|u| u.suffix()).unwrap_or_default();
                                                    let manage = may_manage(r.rule.tenant_id);
                                                    let id = r.rule.id;
                                                    let for_edit = r.clone();
                                                    let owned = if r.rule.tenant_id.is_some() { t().tenant_rule } else { t().preset };
                                                    view! {
                                                        <tr data-key=key>
                                                            <td><code>{shown_key}</code><br/><small>{r.rule.show_name.clone()}</small></td>
                                                            <td><code class="expr">{r.rule.expr.clone()}</code></td>
                                                            <td>{unit}</td>
                                                            <td>{owned}</td>
                                                            <td>
                                                                <Show when=move || manage>
                                                                    <button class="small" on:click={
                                                                        let r = for_edit.clone();
                                                                        move |_| form.load(Some(&r))
                                                                    }>{t().edit}</button>
                                                                    <ConfirmButton label=t().delete question=t().confirm_delete
                                                                        on_confirm=Callback::new(move |_| { delete.dispatch(DeleteTemplateRule { rule_id: id }); }) />
                                                                </Show>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </details>
                                }).collect_view()}
                            </details>
                        }).collect_view().into_any()
                    }
                })}
            </Suspense>
        </section>
        </div>

        <section class="card preview">
        <h2>{move || if form.editing.get().is_some() { t().edit_rule } else { t().new_rule }}</h2>
        <p class="muted">{move || if tenant_id.get().is_some() { t().rule_for_tenant } else { t().rule_is_preset }}</p>
        <form class="form-grid" data-testid="rule-form" on:submit=move |ev| {
            ev.prevent_default();
            let input = form.input(tenant_id.get_untracked());
            match form.editing.get_untracked() {
                Some(rule_id) => { update.dispatch(UpdateTemplateRule { rule_id, rule: input }); }
                None => { create.dispatch(CreateTemplateRule { rule: input }); }
            }
        }>
            <label class="field">
                <span>{move || t().template_resource}</span>
                <select name="resource_id" prop:value=move || form.resource_id.get()
                    on:change=move |ev| form.resource_id.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    <Suspense>
                        {move || tree.get().and_then(|r| r.ok()).map(|tree| resource_options(&tree).into_iter().map(|(id, label)| {
                            view! { <option value=id.to_string()>{label}</option> }
                        }).collect_view())}
                    </Suspense>
                </select>
            </label>
            <TextField label=Signal::derive(move || t().template_name) field="name" value=form.name error required=true />
            <TextField label=Signal::derive(move || t().show_name) field="show_name" value=form.show_name error />
            <label class="field wide" for="f-expr">
                <span>{move || t().expression}</span>
                <textarea id="f-expr" name="expr" rows="3" bind:value=form.expr
                    aria-invalid=move || expr_invalid().to_string()></textarea>
                <small data-testid="expr-check" class=move || match expr_check.get() {
                    Some(Err(_)) => "field-error",
                    _ => "ok",
                }>
                    {move || match expr_check.get() {
                        Some(Ok(())) => t().promql_ok.to_string(),
                        Some(Err(m)) => m,
                        None => String::new(),
                    }}
                </small>
                <Show when=expr_invalid>
                    <small class="field-error">{move || error.get().map(|e| crate::ui::field_error_text(&e))}</small>
                </Show>
            </label>
            <label class="field">
                <span>{move || t().unit}</span>
                <select name="unit" prop:value=move || form.unit.get() on:change=move |ev| form.unit.set(event_target_value(&ev))>
                    {catalogue().into_iter().map(|u| {
                        let value = u.to_string();
                        let label = if value.is_empty() { "—".to_string() } else { format!("{value} ({})", u.format(1536.0)) };
                        view! { <option value=value>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <TextField label=Signal::derive(move || t().template_labels) field="labels" value=form.labels error placeholder="namespace, pod" />
            <TextField label=Signal::derive(move || t().description) field="description" value=form.description error />
            <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.as_deref().is_none_or(|f| !["name", "show_name", "expr", "labels", "description"].contains(&f)))) />
            <div class="buttons">
                <button type="submit" class="primary">{move || if form.editing.get().is_some() { t().save } else { t().create }}</button>
                <Show when=move || form.editing.get().is_some()>
                    <button type="button" class="link" on:click=move |_| form.load(None)>{t().cancel}</button>
                </Show>
            </div>
        </form>
        </section>
        </div>
    }
}
