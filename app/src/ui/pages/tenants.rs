use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::tenancy::{CreateTenant, DeleteTenant, list_tenants};
use crate::model::Tenant;
use crate::ui::components::{
    ConfirmButton, ErrorNote, PageHeader, Sort, SortHeader, TextField, last_error, list_view,
    short_time, toast_on_ok, tr,
};
use crate::ui::{use_session, use_t};

#[component]
pub fn TenantsPage() -> impl IntoView {
    let t = use_t();
    let session = use_session();
    let is_admin = move || session.user().is_some_and(|m| m.is_system_admin);
    let create = ServerAction::<CreateTenant>::new();
    let delete = ServerAction::<DeleteTenant>::new();
    let tenants = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_tenants(),
    );
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = last_error(create.value());
    let delete_error = last_error(delete.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            description.set(String::new());
        }
    });
    toast_on_ok(create.value(), |t| t.saved);
    toast_on_ok(delete.value(), |t| t.deleted);
    let sort = RwSignal::new(Sort::by("name"));
    let sorted = move |list: &[Tenant]| {
        let mut rows = list.to_vec();
        sort.get().apply(&mut rows, |key, a, b| match key {
            "created" => a.created_at.cmp(&b.created_at),
            "description" => a.description.cmp(&b.description),
            _ => a.name.cmp(&b.name),
        });
        rows
    };
    view! {
        <Title text=move || t().tenants_title />
        <PageHeader title=tr(|t| t.tenants_title) />
        <Show when=is_admin>
            <form
                class="card form-row"
                data-testid="create-tenant"
                on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateTenant { name: name.get_untracked(), description: description.get_untracked() });
                }
            >
                <h2>{move || t().new_tenant}</h2>
                <TextField label=Signal::derive(move || t().name) field="name" value=name error required=true />
                <TextField label=Signal::derive(move || t().description) field="description" value=description error />
                <button type="submit" class="primary" disabled=move || create.pending().get()>{move || t().create}</button>
                <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
            </form>
        </Show>
        <ErrorNote error=delete_error />
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                list_view(t(), tenants.await, |list| view! {
                        <table class="table" data-testid="tenants">
                            <thead><tr>
                                <SortHeader label=tr(|t| t.name) key="name" sort />
                                <SortHeader label=tr(|t| t.description) key="description" sort />
                                <SortHeader label=tr(|t| t.created_at) key="created" sort />
                                <th><span class="visually-hidden">{t().actions}</span></th>
                            </tr></thead>
                            <tbody>
                                {move || sorted(&list).into_iter().map(|tn| {
                                    let id = tn.id;
                                    view! {
                                        <tr>
                                            <td><A href=format!("/tenants/{id}")>{tn.name}</A></td>
                                            <td>{tn.description}</td>
                                            <td>{short_time(&tn.created_at)}</td>
                                            <td>
                                                <Show when=is_admin>
                                                    <ConfirmButton label=t().delete question=t().confirm_delete on_confirm=Callback::new(move |_| { delete.dispatch(DeleteTenant { tenant_id: id }); }) />
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any())
            })}
        </Transition>
    }
}
