//! An environment's metric collectors: its Services with their named ports, collecting a
//! Service's metrics (a ServiceMonitor), and the scrape state Prometheus reports.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::collectors::{DisableCollector, EnableCollector, list_collectors};
use crate::error::ApiError;
use crate::model::{Collector, CollectorConfig, ScrapeHealth};
use crate::ui::components::{EnvironmentPicker, ErrorNote, last_error};
use crate::ui::use_t;

#[component]
pub fn CollectorsPage() -> impl IntoView {
    let t = use_t();
    // The page works in the one scope of the UI: the link's, else the one last used.
    let scope = crate::ui::components::switchers::use_scope();
    let env = Memo::new(move |_| scope.get().environment);
    let enable = ServerAction::<EnableCollector>::new();
    let disable = ServerAction::<DisableCollector>::new();
    let refresh = RwSignal::new(0usize);
    let acting = RwSignal::new(String::new());
    // Reload after a change that worked only: a refused one keeps the row's form as typed.
    Effect::new(move |_| {
        if matches!(enable.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(disable.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    let list = Resource::new(
        move || (env.get(), refresh.get()),
        |(env, ..)| async move {
            match env {
                Some(e) => Some(list_collectors(e).await),
                None => None,
            }
        },
    );
    let navigate = use_navigate();
    view! {
        <Title text=move || t().collectors_title />
        <PageHeader title=tr(|t| t.collectors_title) />
        <p class="muted">{move || t().collectors_hint}</p>
        <div class="form-row">
            <EnvironmentPicker env testid="collectors-env" on_pick=Callback::new(move |e| {
                navigate(&format!("/collectors?env={e}"), Default::default())
            }) />
            <button type="button" class="small" data-testid="collectors-refresh"
                on:click=move |_| refresh.update(|n| *n += 1)>{move || t().refresh_now}</button>
        </div>
        <Show when=move || env.get().is_some()
            fallback=move || view! { <crate::ui::components::EmptyState title=crate::ui::components::tr(|t| t.choose_environment_collectors) hint=crate::ui::components::tr(|t| t.choose_scope_hint) action=(crate::ui::components::tr(|t| t.go_to_tenants), "/tenants".to_string()) /> }>
            <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                {move || list.get().flatten().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert" data-testid="collectors-error">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(l) => {
                        let empty = l.collectors.is_empty();
                        let env_id = env.get_untracked().unwrap_or_default();
                        view! {
                            {l.status_error.map(|e| view! {
                                <p class="warning" data-testid="status-error">{format!("{}: {e}", t().status_unavailable)}</p>
                            })}
                            {empty.then(|| view! { <p class="muted">{t().no_services}</p> })}
                            <table class="table" data-testid="collectors">
                                <thead><tr>
                                    <th>{t().service}</th><th>{t().ports}</th><th>{t().collect}</th><th>{t().scrape_status}</th>
                                </tr></thead>
                                <tbody>
                                    {l.collectors.into_iter().map(|c| view! { <CollectorRow c env_id enable disable acting /> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Suspense>
        </Show>
    }
}

fn health_text(h: ScrapeHealth) -> &'static str {
    let t = crate::ui::use_t()();
    match h {
        ScrapeHealth::Up => t.health_up,
        ScrapeHealth::Down => t.health_down,
        ScrapeHealth::Unknown => t.health_unknown,
    }
}

#[component]
fn CollectorRow(
    c: Collector,
    env_id: i64,
    enable: ServerAction<EnableCollector>,
    disable: ServerAction<DisableCollector>,
    acting: RwSignal<String>,
) -> impl IntoView {
    let t = use_t();
    let collected = c.config.is_some();
    let initial = c.config.clone().unwrap_or_else(|| CollectorConfig {
        port: c.ports.first().map(|p| p.name.clone()).unwrap_or_default(),
        ..Default::default()
    });
    let port = RwSignal::new(initial.port);
    let path = RwSignal::new(initial.path);
    let interval = RwSignal::new(initial.interval);
    let service = c.service.clone();
    // Errors of the last action show on the row that sent it.
    let error = Signal::derive({
        let service = service.clone();
        move || -> Option<ApiError> {
            if acting.get() != service {
                return None;
            }
            last_error(enable.value())
                .get()
                .or_else(|| last_error(disable.value()).get())
        }
    });
    let field_err = move |f: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.field.as_deref() == Some(f))
                .map(|e| {
                    view! { <small class="field-error" data-field=f>{crate::ui::error_text(&e)}</small> }
                })
        }
    };
    let ports = c.ports.clone();
    let svc_enable = service.clone();
    let svc_disable = service.clone();
    view! {
        <tr data-testid="collector" data-service=service.clone()>
            <td><strong>{service.clone()}</strong></td>
            <td class="small">
                {if c.ports.is_empty() { "—".to_string() } else {
                    c.ports.iter().map(|p| format!("{} {}/{}", p.name, p.port, p.protocol)).collect::<Vec<_>>().join(", ")
                }}
            </td>
            <td>
                <form class="form-row compact" on:submit=move |ev| {
                    ev.prevent_default();
                    acting.set(svc_enable.clone());
                    enable.dispatch(EnableCollector {
                        environment_id: env_id,
                        service: svc_enable.clone(),
                        config: CollectorConfig {
                            port: port.get_untracked(),
                            path: path.get_untracked(),
                            interval: interval.get_untracked(),
                        },
                    });
                }>
                    <label class="field narrow">
                        <span>{move || t().port}</span>
                        <select name="port" data-testid="collector-port" prop:value=move || port.get()
                            on:change=move |ev| port.set(event_target_value(&ev))>
                            {ports.iter().map(|p| {
                                let selected = p.name == port.get_untracked();
                                view! { <option value=p.name.clone() selected=selected>{p.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        {field_err("port")}
                    </label>
                    <label class="field narrow">
                        <span>{move || t().path}</span>
                        <input name="path" data-testid="collector-path" bind:value=path />
                        {field_err("path")}
                    </label>
                    <label class="field narrow">
                        <span>{move || t().interval}</span>
                        <input name="interval" data-testid="collector-interval" bind:value=interval />
                        {field_err("interval")}
                    </label>
                    <button type="submit" class="primary small" data-testid="collector-save">
                        {move || if collected { t().save } else { t().collect }}
                    </button>
                    <Show when=move || collected>
                        <button type="button" class="small danger" data-testid="collector-disable" on:click={
                            let s = svc_disable.clone();
                            move |_| { acting.set(s.clone()); disable.dispatch(DisableCollector { environment_id: env_id, service: s.clone() }); }
                        }>{move || t().stop_collecting}</button>
                    </Show>
                </form>
                <ErrorNote error=Signal::derive(move || error.get().filter(|e| {
                    !matches!(e.field.as_deref(), Some("port" | "path" | "interval"))
                })) />
            </td>
            <td data-testid="collector-health" data-health=c.health.as_str()>
                {if collected {
                    view! { <span class=format!("badge {}", c.health.as_str())>{health_text(c.health)}</span> }.into_any()
                } else {
                    view! { <span class="muted">{t().not_collected}</span> }.into_any()
                }}
                <ul class="plain small">
                    {c.targets.iter().map(|x| view! {
                        <li data-testid="scrape-target" data-health=x.health.as_str()>
                            <code>{x.url.clone()}</code>
                            {format!(" · {} · {}: {}", health_text(x.health), t().last_scrape,
                                if x.last_scrape.is_empty() { t().never.to_string() } else { x.last_scrape.clone() })}
                            {(!x.last_error.is_empty()).then(|| view! { <span class="error">{format!(" · {}", x.last_error)}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            </td>
        </tr>
    }
}
