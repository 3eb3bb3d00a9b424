//! Tenant → project → environment pickers in the top bar. The scope lives in the URL
//! (`/tenants/:tid?project=…&env=…`), so every view of it can be linked and reloaded.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::tenancy::{list_environments, list_projects, list_tenants};
use crate::ui::use_t;

/// The scope named by a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub tenant: Option<i64>,
    pub project: Option<i64>,
    pub environment: Option<i64>,
}

impl Scope {
    pub fn parse(path: &str, project: Option<&str>, env: Option<&str>) -> Self {
        let tenant = path
            .strip_prefix("/tenants/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| id.parse().ok());
        Scope {
            tenant,
            project: tenant.and(project.and_then(|p| p.parse().ok())),
            environment: tenant.and(env.and_then(|e| e.parse().ok())),
        }
    }

    pub fn href(tenant: i64, project: Option<i64>, environment: Option<i64>) -> String {
        match (project, environment) {
            (Some(p), Some(e)) => format!("/tenants/{tenant}?project={p}&env={e}"),
            (Some(p), None) => format!("/tenants/{tenant}?project={p}"),
            _ => format!("/tenants/{tenant}"),
        }
    }
}

pub fn use_scope() -> Memo<Scope> {
    let loc = use_location();
    Memo::new(move |_| {
        let q = loc.query.get();
        Scope::parse(&loc.pathname.get(), q.get_str("project"), q.get_str("env"))
    })
}

#[component]
pub fn ScopeSwitchers() -> impl IntoView {
    let t = use_t();
    let scope = use_scope();
    let navigate = use_navigate();
    let go = move |href: String| navigate(&href, Default::default());
    // Lists are re-read on every navigation, so objects created on one page show up in the bar.
    let loc = use_location();
    let visit = Memo::new(move |_| (loc.pathname.get(), loc.search.get()));
    let tenants = Resource::new(move || visit.get(), |_| list_tenants());
    let projects = Resource::new(
        move || (scope.get().tenant, visit.get()),
        |(tid, _)| async move {
            match tid {
                Some(tid) => list_projects(tid).await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    );
    let envs = Resource::new(
        move || (scope.get().tenant, scope.get().project, visit.get()),
        |(tid, pid, _)| async move {
            match (tid, pid) {
                (Some(tid), Some(pid)) => list_environments(tid, pid).await.unwrap_or_default(),
                _ => Vec::new(),
            }
        },
    );
    let go_tenant = go.clone();
    let go_project = go.clone();
    view! {
        <div class="scope">
            <Transition>
                <select
                    aria-label=move || t().tenant
                    data-testid="tenant-switch"
                    on:change=move |ev| {
                        if let Ok(id) = event_target_value(&ev).parse::<i64>() {
                            go_tenant(Scope::href(id, None, None));
                        }
                    }
                >
                    <option value="" selected=move || scope.get().tenant.is_none()>{move || t().choose_tenant}</option>
                    {move || {
                        tenants
                            .get()
                            .and_then(|r| r.ok())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|tn| {
                                let id = tn.id;
                                view! { <option value=id.to_string() selected=move || scope.get().tenant == Some(id)>{tn.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <select
                    aria-label=move || t().project
                    data-testid="project-switch"
                    disabled=move || scope.get().tenant.is_none()
                    on:change=move |ev| {
                        if let (Some(tid), Ok(pid)) = (scope.get_untracked().tenant, event_target_value(&ev).parse::<i64>()) {
                            go_project(Scope::href(tid, Some(pid), None));
                        }
                    }
                >
                    <option value="" selected=move || scope.get().project.is_none()>{move || t().choose_project}</option>
                    {move || {
                        projects
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|p| {
                                let id = p.id;
                                view! { <option value=id.to_string() selected=move || scope.get().project == Some(id)>{p.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <select
                    aria-label=move || t().environment
                    data-testid="environment-switch"
                    disabled=move || scope.get().project.is_none()
                    on:change=move |ev| {
                        let s = scope.get_untracked();
                        if let (Some(tid), Ok(eid)) = (s.tenant, event_target_value(&ev).parse::<i64>()) {
                            go(Scope::href(tid, s.project, Some(eid)));
                        }
                    }
                >
                    <option value="" selected=move || scope.get().environment.is_none()>{move || t().choose_environment}</option>
                    {move || {
                        envs.get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|e| {
                                let id = e.id;
                                view! { <option value=id.to_string() selected=move || scope.get().environment == Some(id)>{e.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </Transition>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn scope_from_location() {
        let cases = [
            ("/", None, None, Scope::default()),
            ("/tenants", None, None, Scope::default()),
            (
                "/tenants/3",
                None,
                None,
                Scope {
                    tenant: Some(3),
                    ..Default::default()
                },
            ),
            (
                "/tenants/3",
                Some("7"),
                Some("9"),
                Scope {
                    tenant: Some(3),
                    project: Some(7),
                    environment: Some(9),
                },
            ),
            ("/tenants/x", Some("7"), None, Scope::default()),
            ("/clusters", Some("7"), None, Scope::default()),
        ];
        for (path, p, e, want) in cases {
            assert_eq!(Scope::parse(path, p, e), want, "{path}");
        }
    }

    #[test]
    fn href_round_trips() {
        let href = Scope::href(3, Some(7), Some(9));
        let (path, query) = href.split_once('?').unwrap();
        let q: Vec<(&str, &str)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let get = |k| q.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        assert_eq!(
            Scope::parse(path, get("project"), get("env")),
            Scope {
                tenant: Some(3),
                project: Some(7),
                environment: Some(9)
            }
        );
    }
}
