//! One tenant: its projects, the environments of the chosen project, and its members.

use leptos::prelude::*;

use crate::ui::components::{Crumb, PageHeader, tr};
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::home::role_label;
use crate::api::clusters::cluster_refs;
use crate::api::tenancy::{
    CreateEnvironment, CreateProject, DeleteEnvironment, DeleteProject, RemoveMember, SetMember,
    get_tenant, list_environments, list_members, list_projects,
};
use crate::model::{NewEnvironment, Role};
use crate::ui::components::switchers::{Scope, use_scope};
use crate::ui::components::{
    ConfirmButton, ErrorNote, TextField, last_error, list_view, short_time,
};
use crate::ui::{use_session, use_t};

#[component]
pub fn TenantPage() -> impl IntoView {
    let t = use_t();
    let params = use_params_map();
    let tenant_id = Memo::new(move |_| {
        params
            .get()
            .get("tid")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let tenant = Resource::new(move || tenant_id.get(), get_tenant);
    view! {
        <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match tenant.await {
                    Ok(tn) => view! {
                        <Title text=tn.name.clone() />
                        <PageHeader title=tn.name.clone() crumbs=vec![Crumb::link(tr(|t| t.tenants_title), "/tenants")] />
                        <p class="muted">{tn.description.clone()}</p>
                        <div class="grid2">
                            <Projects tenant_id=tn.id />
                            <Members tenant_id=tn.id />
                        </div>
                        <Environments tenant_id=tn.id />
                    }.into_any(),
                    Err(e) => view! { <h1>{if e.status == 404 { t().not_found_title } else { t().forbidden_title }}</h1><p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn can_admin(tenant_id: i64) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let session = use_session();
    move || {
        session
            .user()
            .is_some_and(|m| m.can_admin_tenant(tenant_id))
    }
}

#[component]
fn Projects(tenant_id: i64) -> impl IntoView {
    let t = use_t();
    let scope = use_scope();
    let admin = can_admin(tenant_id);
    let create = ServerAction::<CreateProject>::new();
    let delete = ServerAction::<DeleteProject>::new();
    let projects = Resource::new(
        move || (create.version().get(), delete.version().get()),
        move |_| list_projects(tenant_id),
    );
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = last_error(create.value());
    let delete_error = last_error(delete.value());
    view! {
        <section class="card" data-testid="projects">
            <h2>{move || t().projects}</h2>
            <ErrorNote error=delete_error />
            <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || Suspend::new(async move {
                    list_view(t(), projects.await, |list| view! {
                            <table class="table">
                                <thead><tr><th>{t().name}</th><th>{t().description}</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|p| {
                                        let pid = p.id;
                                        view! {
                                            <tr class:selected=move || scope.get().project == Some(pid)>
                                                <td><A href=Scope::href(tenant_id, Some(pid), None)>{p.name}</A></td>
                                                <td>{p.description}</td>
                                                <td><Show when=admin>
                                                    <ConfirmButton label=t().delete question=t().confirm_delete on_confirm=Callback::new(move |_| { delete.dispatch(DeleteProject { tenant_id, project_id: pid }); }) />
                                                </Show></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any())
                })}
            </Transition>
            <Show when=admin>
                <form class="form-row" data-testid="create-project" on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateProject { tenant_id, name: name.get_untracked(), description: description.get_untracked() });
                    name.set(String::new());
                    description.set(String::new());
                }>
                    <h3>{move || t().new_project}</h3>
                    <TextField label=Signal::derive(move || t().name) field="name" value=name error required=true />
                    <TextField label=Signal::derive(move || t().description) field="description" value=description error />
                    <button type="submit" class="primary">{move || t().create}</button>
                    <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
                </form>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn Environments(tenant_id: i64) -> impl IntoView {
    let t = use_t();
    let scope = use_scope();
    let admin = can_admin(tenant_id);
    let create = ServerAction::<CreateEnvironment>::new();
    let delete = ServerAction::<DeleteEnvironment>::new();
    let project = Memo::new(move |_| scope.get().project);
    let envs = Resource::new(
        move || {
            (
                project.get(),
                create.version().get(),
                delete.version().get(),
            )
        },
        move |(pid, _, _)| async move {
            match pid {
                Some(pid) => list_environments(tenant_id, pid).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let clusters = Resource::new(|| (), |_| cluster_refs());
    let name = RwSignal::new(String::new());
    let namespace = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let cluster_id = RwSignal::new(0i64);
    let error = last_error(create.value());
    view! {
        <section class="card" data-testid="environments">
            <h2>{move || t().environments}</h2>
            <ErrorNote error=last_error(delete.value()) />
            <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || Suspend::new(async move {
                    match envs.await {
                        Ok(None) => view! { <p class="muted">{t().choose_project}</p> }.into_any(),
                        Ok(Some(list)) if list.is_empty() => view! { <p class="muted">{t().nothing_yet}</p> }.into_any(),
                        Ok(Some(list)) => view! {
                            <table class="table">
                                <thead><tr><th>{t().name}</th><th>{t().cluster}</th><th>{t().namespace}</th><th>{t().description}</th><th>{t().created_at}</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let eid = e.id;
                                        view! {
                                            <tr class:selected=move || scope.get().environment == Some(eid)>
                                                <td><A href=Scope::href(tenant_id, Some(e.project_id), Some(eid))>{e.name}</A></td>
                                                <td>{e.cluster_name}</td>
                                                <td><code>{e.namespace}</code></td>
                                                <td>{e.description}</td>
                                                <td>{short_time(&e.created_at)}</td>
                                                <td><Show when=admin>
                                                    <ConfirmButton label=t().delete question=t().confirm_delete on_confirm=Callback::new(move |_| { delete.dispatch(DeleteEnvironment { tenant_id, environment_id: eid }); }) />
                                                </Show></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || admin() && project.get().is_some()>
                <form class="form-row" data-testid="create-environment" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some(pid) = project.get_untracked() {
                        create.dispatch(CreateEnvironment {
                            tenant_id,
                            project_id: pid,
                            environment: NewEnvironment {
                                name: name.get_untracked(),
                                cluster_id: cluster_id.get_untracked(),
                                namespace: namespace.get_untracked(),
                                description: description.get_untracked(),
                            },
                        });
                    }
                }>
                    <h3>{move || t().new_environment}</h3>
                    <TextField label=Signal::derive(move || t().name) field="name" value=name error required=true />
                    <label class="field">
                        <span>{move || t().cluster}</span>
                        // The boundary sits around the select, not inside it: the browser's parser
                        // drops what a boundary writes inside a <select>, and hydration then fails.
                        <Transition>
                        <select name="cluster_id" aria-invalid=move || (error.get().and_then(|e| e.field) == Some("cluster_id".into())).to_string()
                            on:change=move |ev| cluster_id.set(event_target_value(&ev).parse().unwrap_or(0))>
                            <option value="0">"—"</option>
                            {move || clusters.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|c| {
                                view! { <option value=c.id.to_string() selected=move || cluster_id.get() == c.id>{c.name}</option> }
                            }).collect_view()}
                        </select>
                        </Transition>
                    </label>
                    <TextField label=Signal::derive(move || t().namespace) field="namespace" value=namespace error required=true />
                    <TextField label=Signal::derive(move || t().description) field="description" value=description error />
                    <button type="submit" class="primary">{move || t().create}</button>
                    <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.as_deref().is_none_or(|f| f == "cluster_id"))) />
                    // A system administrator may bind a reserved namespace on purpose; say what it means.
                    {move || create.value().get().and_then(|r| r.ok()).and_then(|e| e.warning).map(|w| view! {
                        <p class="warning" role="status" data-testid="environment-warning">{w}</p>
                    })}
                </form>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn Members(tenant_id: i64) -> impl IntoView {
    let t = use_t();
    let admin = can_admin(tenant_id);
    let set = ServerAction::<SetMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let members = Resource::new(
        move || (set.version().get(), remove.version().get()),
        move |_| list_members(tenant_id),
    );
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let error = last_error(set.value());
    view! {
        <section class="card" data-testid="members">
            <h2>{move || t().members}</h2>
            <ErrorNote error=last_error(remove.value()) />
            <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || Suspend::new(async move {
                    list_view(t(), members.await, |list| view! {
                            <table class="table">
                                <thead><tr><th>{t().username}</th><th>{t().display_name}</th><th>{t().role}</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|m| {
                                        let uid = m.user_id;
                                        view! {
                                            <tr>
                                                <td>{m.username}</td>
                                                <td>{m.display_name}</td>
                                                <td>{role_label(t(), m.role)}</td>
                                                <td><Show when=admin>
                                                    <ConfirmButton label=t().remove question=t().confirm_delete on_confirm=Callback::new(move |_| { remove.dispatch(RemoveMember { tenant_id, user_id: uid }); }) />
                                                </Show></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any())
                })}
            </Transition>
            <Show when=admin>
                <form class="form-row" data-testid="add-member" on:submit=move |ev| {
                    ev.prevent_default();
                    set.dispatch(SetMember { tenant_id, username: username.get_untracked(), role: role.get_untracked() });
                }>
                    <h3>{move || t().add_member}</h3>
                    <TextField label=Signal::derive(move || t().username) field="username" value=username error required=true />
                    <label class="field">
                        <span>{move || t().role}</span>
                        <select name="role" on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) } }>
                            {Role::ALL.into_iter().map(|r| view! {
                                <option value=r.as_str() selected=move || role.get() == r>{move || role_label(t(), r)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="primary">{move || t().save}</button>
                    <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
                </form>
            </Show>
        </section>
    }
    .into_any()
}
