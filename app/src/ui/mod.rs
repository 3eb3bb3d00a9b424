//! The web UI: server-rendered, then hydrated.

pub mod components;
pub mod pages;
mod session;

use leptos::prelude::*;
use leptos_meta::{Html, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub use session::{Session, error_text, field_error_text, use_session, use_t};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this origin or carrying this response's
/// nonce (the hydration loader and streamed resources), the WebAssembly bundle compiled, styles
/// from this origin (style attributes allowed: bar widths), no frames, no plugins, no other hosts.
pub fn csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(feature = "ssr")]
fn content_security_policy() {
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&csp(&nonce)),
    ) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = Session::provide();
    let t = use_t();

    view! {
        <Html {..} lang=move || session.lang.get().code() data-theme=move || session.theme.get().as_str() />
        <Stylesheet id="gemscope" href="/pkg/gemscope.css" />
        <Title formatter=move |page: String| {
            if page.is_empty() { t().app_name.to_string() } else { format!("{page} · {}", t().app_name) }
        } />
        <Router>
            <Routes fallback=|| view! { <pages::NotFound /> }>
                <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=components::AppLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::HomePage ssr=SsrMode::Async />
                    <Route path=path!("tenants") view=pages::TenantsPage ssr=SsrMode::Async />
                    <Route path=path!("tenants/:tid") view=pages::TenantPage ssr=SsrMode::Async />
                    <Route path=path!("explore") view=pages::MetricsPage ssr=SsrMode::Async />
                    <Route path=path!("dashboards") view=pages::DashboardsPage ssr=SsrMode::Async />
                    <Route path=path!("collectors") view=pages::CollectorsPage ssr=SsrMode::Async />
                    <Route path=path!("channels") view=pages::ChannelsPage ssr=SsrMode::Async />
                    <Route path=path!("alert-rules") view=pages::AlertRulesPage ssr=SsrMode::Async />
                    <Route path=path!("blacklist") view=pages::BlacklistPage ssr=SsrMode::Async />
                    <Route path=path!("alerts") view=pages::AlertHistoryPage ssr=SsrMode::Async />
                    <Route path=path!("alerts/overview") view=pages::AlertOverviewPage ssr=SsrMode::Async />
                    <Route path=path!("messages") view=pages::MessagesPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("templates") view=pages::TemplatesSection ssr=SsrMode::Async>
                        <Route path=path!("") view=pages::TemplatesPage ssr=SsrMode::Async />
                        <Route path=path!("dashboards") view=pages::DashboardTemplatesPage ssr=SsrMode::Async />
                        <Route path=path!("system-rules") view=pages::SystemRulesPage ssr=SsrMode::Async />
                        <Route path=path!("import-export") view=pages::TemplateIoPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("clusters") view=pages::ClustersPage ssr=SsrMode::Async />
                    <Route path=path!("clusters/:cid") view=pages::ClusterPage ssr=SsrMode::Async />
                    <Route path=path!("users") view=pages::UsersPage ssr=SsrMode::Async />
                    <Route path=path!("audit") view=pages::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("jobs") view=pages::JobsPage ssr=SsrMode::Async />
                    <Route path=path!("drift") view=pages::DriftPage ssr=SsrMode::Async />
                    <Route path=path!("account") view=pages::AccountPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
