use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::tenancy::list_tenants;
use crate::model::Role;
use crate::ui::{use_session, use_t};

pub fn role_label(t: &crate::i18n::Texts, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Member => t.role_member,
        Role::Viewer => t.role_viewer,
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let t = use_t();
    let session = use_session();
    let tenants = Resource::new(|| (), |_| list_tenants());
    view! {
        <Title text=move || t().overview_title />
        <PageHeader title=tr(|t| t.overview_title) />
        <p class="muted">{move || t().overview_intro}</p>
        <section class="card">
            <h2>{move || t().my_tenants}</h2>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || Suspend::new(async move {
                    let me = session.user();
                    match tenants.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{t().no_tenants}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="my-tenants">
                                <thead><tr><th>{t().tenant}</th><th>{t().description}</th><th>{t().role}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|tn| {
                                        let role = me.as_ref().and_then(|m| m.tenant_role(tn.id));
                                        let sys = me.as_ref().is_some_and(|m| m.is_system_admin);
                                        let label = match role {
                                            Some(r) => role_label(t(), r),
                                            None if sys => t().system_admin,
                                            None => "",
                                        };
                                        view! {
                                            <tr>
                                                <td><A href=format!("/tenants/{}", tn.id)>{tn.name}</A></td>
                                                <td>{tn.description}</td>
                                                <td>{label}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
