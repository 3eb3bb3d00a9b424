//! The template catalogue as a section with one tab per part, each its own route (a link opens
//! the part, Back goes to the previous one): PromQL templates, dashboard templates, system alert
//! rules, import and export. System rules and files are for system admins.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};

use crate::api::templates::ImportTemplates;
use crate::ui::components::{Crumb, PageHeader, tr};
use crate::ui::pages::alert_templates::SystemAlertTemplates;
use crate::ui::pages::dashboard_templates::DashboardTemplates;
use crate::ui::pages::template_io::TemplateImportExport;
use crate::ui::session::use_session;
use crate::ui::use_t;

fn is_admin() -> Signal<bool> {
    let session = use_session();
    Signal::derive(move || session.user().is_some_and(|u| u.is_system_admin))
}

#[component]
pub fn TemplatesSection() -> impl IntoView {
    let t = use_t();
    let admin = is_admin();
    view! {
        <Title text=move || t().templates_title />
        <nav class="tabs" aria-label=move || t().templates_title data-testid="template-tabs">
            <A href="/templates" exact=true>{move || t().promql_templates}</A>
            <A href="/templates/dashboards">{move || t().dashboard_templates}</A>
            <Show when=move || admin.get()>
                <A href="/templates/system-rules">{move || t().system_rules_tab}</A>
                <A href="/templates/import-export">{move || t().import_export}</A>
            </Show>
        </nav>
        <Outlet />
    }
}

/// The breadcrumb above every tab: the section, then the tab.
pub fn section_crumbs() -> Vec<Crumb> {
    vec![Crumb::link(tr(|t| t.templates_title), "/templates")]
}

#[component]
pub fn DashboardTemplatesPage() -> impl IntoView {
    view! {
        <PageHeader title=tr(|t| t.dashboard_templates) crumbs=section_crumbs() />
        <DashboardTemplates admin=is_admin() reload=Signal::derive(|| 0usize) />
    }
}

/// A tab only system admins may use: others are told so instead of seeing a half-working page.
#[component]
fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let t = use_t();
    let admin = is_admin();
    let children = StoredValue::new(children);
    view! {
        <Show when=move || admin.get()
            fallback=move || view! { <p class="error" role="alert">{t().forbidden_title}</p> }>
            {children.read_value()()}
        </Show>
    }
}

#[component]
pub fn SystemRulesPage() -> impl IntoView {
    view! {
        <PageHeader title=tr(|t| t.system_rules_tab) crumbs=section_crumbs() />
        <AdminOnly><SystemAlertTemplates /></AdminOnly>
    }
}

#[component]
pub fn TemplateIoPage() -> impl IntoView {
    let import = ServerAction::<ImportTemplates>::new();
    view! {
        <PageHeader title=tr(|t| t.import_export) crumbs=section_crumbs() />
        <AdminOnly><TemplateImportExport import /></AdminOnly>
    }
}
