use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::tenancy::{CreateTenant, DeleteTenant, list_tenants};
use crate::ui::components::{
    ConfirmButton, ErrorNote, TextField, last_error, list_view, short_time,
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
    view! {
        <Title text=move || t().tenants_title />
        <h1>{move || t().tenants_title}</h1>
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
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                list_view(t(), tenants.await, |list| view! {
                        <table class="table" data-testid="tenants">
                            <thead><tr><th>{t().name}</th><th>{t().description}</th><th>{t().created_at}</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|tn| {
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
