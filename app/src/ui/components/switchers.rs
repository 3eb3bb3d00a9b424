//! The scope in the top bar: tenant → project → environment pickers (and a cluster picker for
//! system admins). The bar and the pages read the same scope (`use_scope`); a switch keeps the
//! user on the same kind of page, and the last scope is remembered for them.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::scope::SCOPE_COOKIE;
pub use super::scope::Scope;
use crate::api::clusters::list_clusters;
use crate::api::metrics::metric_targets;
use crate::api::tenancy::{list_environments, list_projects, list_tenants};
use crate::model::QueryTarget;
use crate::ui::use_t;

/// The scope this user last worked in; provided by the frame once the user is known.
#[derive(Clone, Copy)]
struct Remembered {
    user: i64,
    scope: RwSignal<Scope>,
}

/// Reads the remembered scope: from the request's cookie on the server, from `document.cookie`
/// in the browser (the same value, so hydration starts from the same state).
pub fn provide_scope(user: i64) {
    let scope = read_cookie()
        .and_then(|v| Scope::from_cookie(&v, user))
        .unwrap_or_default();
    provide_context(Remembered {
        user,
        scope: RwSignal::new(scope),
    });
}

#[cfg(feature = "ssr")]
fn read_cookie() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    crate::api::context::cookie(&parts, SCOPE_COOKIE)
}

#[cfg(not(feature = "ssr"))]
fn read_cookie() -> Option<String> {
    use wasm_bindgen::JsCast;
    let doc = document().dyn_into::<web_sys::HtmlDocument>().ok()?;
    let all = doc.cookie().ok()?;
    all.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == SCOPE_COOKIE).then(|| v.to_string())
    })
}

#[cfg(feature = "ssr")]
fn write_cookie(_value: &str) {}

#[cfg(not(feature = "ssr"))]
fn write_cookie(value: &str) {
    use wasm_bindgen::JsCast;
    if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
        // A year, like the language and theme cookies; not secret (ids the user can read anyway).
        let _ = doc.set_cookie(&format!(
            "{SCOPE_COOKIE}={value}; path=/; max-age=31536000; samesite=lax"
        ));
    }
}

/// The scope of the current page: what its link names, else the one remembered for the user.
pub fn use_scope() -> Memo<Scope> {
    let loc = use_location();
    let remembered = use_context::<Remembered>();
    Memo::new(move |_| {
        let q = loc.query.get();
        let named = Scope::parse(&loc.pathname.get(), |k| q.get(k));
        match remembered {
            Some(r) if named.is_empty() => r.scope.get(),
            _ => named,
        }
    })
}

#[component]
pub fn ScopeSwitchers(admin: bool) -> impl IntoView {
    let t = use_t();
    let scope = use_scope();
    let remembered = use_context::<Remembered>();
    let navigate = use_navigate();
    let loc = use_location();
    // Lists are re-read on every navigation, so objects created on one page show up in the bar.
    let visit = Memo::new(move |_| (loc.pathname.get(), loc.search.get()));
    // An environment named alone (`?env=`) gets its tenant and project from the readable places.
    // Looked up by an effect, so in the browser only, after hydration: the server's render and
    // the one hydration rebuilds agree (both unfilled), and nothing on the server waits for it
    // (a browser-only resource read under the frame's <Suspense> left pages without JavaScript
    // on "Loading…").
    let places = RwSignal::new(Vec::<(i64, i64, i64)>::new());
    Effect::new(move |_| {
        let s = scope.get();
        let _ = visit.get();
        if s.environment.is_none() || (s.tenant.is_some() && s.project.is_some()) {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(list) = metric_targets().await {
                places.set(
                    list.into_iter()
                        .filter_map(|o| match (o.target, o.tenant_id, o.project_id) {
                            (QueryTarget::Environment(e), Some(t), Some(p)) => Some((e, t, p)),
                            _ => None,
                        })
                        .collect(),
                );
            }
        });
    });
    let resolved = Memo::new(move |_| places.with(|rows| scope.get().filled(rows)));
    // Remember what the user works in (browser only: effects do not run on the server).
    Effect::new(move |_| {
        let s = resolved.get();
        if let Some(r) = remembered.filter(|r| !s.is_empty() && r.scope.get_untracked() != s) {
            write_cookie(&s.cookie_value(r.user));
            r.scope.set(s);
        }
    });
    let switch = move |to: Scope| {
        let query: Vec<(String, String)> = loc
            .query
            .get_untracked()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        navigate(
            &to.href_on(&loc.pathname.get_untracked(), &query),
            Default::default(),
        );
    };
    let tenants = Resource::new(move || visit.get(), |_| list_tenants());
    let projects = Resource::new(
        move || (resolved.get().tenant, visit.get()),
        |(tid, _)| async move {
            match tid {
                Some(tid) => list_projects(tid).await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    );
    let envs = Resource::new(
        move || (resolved.get().tenant, resolved.get().project, visit.get()),
        |(tid, pid, _)| async move {
            match (tid, pid) {
                (Some(tid), Some(pid)) => list_environments(tid, pid).await.unwrap_or_default(),
                _ => Vec::new(),
            }
        },
    );
    let clusters = Resource::new(
        move || visit.get(),
        move |_| async move {
            if admin {
                list_clusters().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        },
    );
    let (sw_t, sw_p, sw_e, sw_c) = (switch.clone(), switch.clone(), switch.clone(), switch);
    view! {
        <div class="scope" data-testid="scope">
            <Transition>
                <select
                    aria-label=move || t().tenant
                    data-testid="tenant-switch"
                    on:change=move |ev| {
                        let tenant = event_target_value(&ev).parse::<i64>().ok();
                        sw_t(Scope { tenant, ..Default::default() });
                    }
                >
                    <option value="" selected=move || resolved.get().tenant.is_none()>{move || t().choose_tenant}</option>
                    {move || {
                        tenants
                            .get()
                            .and_then(|r| r.ok())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|tn| {
                                let id = tn.id;
                                view! { <option value=id.to_string() selected=move || resolved.get().tenant == Some(id)>{tn.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <select
                    aria-label=move || t().project
                    data-testid="project-switch"
                    disabled=move || resolved.get().tenant.is_none()
                    on:change=move |ev| {
                        let s = resolved.get_untracked();
                        let project = event_target_value(&ev).parse::<i64>().ok();
                        sw_p(Scope { tenant: s.tenant, project, ..Default::default() });
                    }
                >
                    <option value="" selected=move || resolved.get().project.is_none()>{move || t().choose_project}</option>
                    {move || {
                        projects
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|p| {
                                let id = p.id;
                                view! { <option value=id.to_string() selected=move || resolved.get().project == Some(id)>{p.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <select
                    aria-label=move || t().environment
                    data-testid="environment-switch"
                    disabled=move || resolved.get().project.is_none()
                    on:change=move |ev| {
                        let s = resolved.get_untracked();
                        let environment = event_target_value(&ev).parse::<i64>().ok();
                        sw_e(Scope { environment, cluster: None, ..s });
                    }
                >
                    <option value="" selected=move || resolved.get().environment.is_none()>{move || t().choose_environment}</option>
                    {move || {
                        envs.get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|e| {
                                let id = e.id;
                                view! { <option value=id.to_string() selected=move || resolved.get().environment == Some(id)>{e.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <Show when=move || admin>
                    <select
                        aria-label=move || t().cluster
                        data-testid="cluster-switch"
                        on:change={
                            let sw_c = sw_c.clone();
                            move |ev| {
                                let cluster = event_target_value(&ev).parse::<i64>().ok();
                                sw_c(Scope { cluster, ..Default::default() });
                            }
                        }
                    >
                        <option value="" selected=move || resolved.get().cluster.is_none()>{move || t().choose_cluster}</option>
                        {move || {
                            clusters
                                .get()
                                .unwrap_or_default()
                                .into_iter()
                                .map(|c| {
                                    let id = c.id;
                                    view! { <option value=id.to_string() selected=move || resolved.get().cluster == Some(id)>{c.name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </Show>
            </Transition>
        </div>
    }
}
