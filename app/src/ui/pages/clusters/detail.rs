//! One cluster: its settings, its last check, test and prepare.

use super::*;
use crate::ui::components::Crumb;

#[component]
pub fn ClusterPage() -> impl IntoView {
    let t = use_t();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .get()
            .get("cid")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let test = ServerAction::<TestCluster>::new();
    let prepare = ServerAction::<PrepareCluster>::new();
    let rotate = ServerAction::<crate::api::alert_rules::RotateHistoryTokens>::new();
    let cluster = Resource::new(
        move || (id.get(), test.version().get(), prepare.version().get()),
        |(id, _, _)| crate::api::clusters::get_cluster(id),
    );
    let kind_label = move |k: ClusterKind| match k {
        ClusterKind::Kubernetes => t().kind_kubernetes,
        ClusterKind::Standalone => t().kind_standalone,
    };
    view! {
        <ErrorNote error=last_error(test.value()) />
        <ErrorNote error=last_error(prepare.value()) />
        {move || prepare.value().get().and_then(|r| r.ok()).map(|done| view! {
            <p class="ok" data-testid="prepare-result">{t().prepare_done}" "{prepare_summary(done)}</p>
        })}
        <ErrorNote error=last_error(rotate.value()) />
        {move || rotate.value().get().and_then(|r| r.ok()).map(crate::ui::components::rotation_note)}
        <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match cluster.await {
                    Ok(c) => {
                        let cid = c.id;
                        let s = c.settings.clone();
                        let rows: Vec<(&'static str, String)> = vec![
                            (t().kind, kind_label(c.kind).to_string()),
                            (t().api_server, s.api_server.clone()),
                            (t().prometheus_url, s.prometheus_url.clone()),
                            (t().alertmanager_url, s.alertmanager_url.clone()),
                            (t().loki_url, s.loki_url.clone()),
                            (t().jaeger_url, s.jaeger_url.clone()),
                            (t().in_cluster, if s.in_cluster { t().yes.to_string() } else { String::new() }),
                            (t().prometheus_service, kube_only(c.kind, s.service_of(Component::Prometheus))),
                            (t().alertmanager_service, kube_only(c.kind, s.service_of(Component::Alertmanager))),
                            (t().loki_service, kube_only(c.kind, s.service_of(Component::Loki))),
                            (t().jaeger_service, kube_only(c.kind, s.service_of(Component::Jaeger))),
                            (t().monitoring_namespace, kube_only(c.kind, Some(s.monitoring_ns().to_string()))),
                            (t().logging_namespace, kube_only(c.kind, Some(s.logging_ns().to_string()))),
                            (t().rules_dir, s.rules_dir.clone()),
                            (t().loki_rules_dir, s.loki_rules_dir.clone()),
                            (t().alertmanager_config_path, s.alertmanager_config_path.clone()),
                            (t().kubeconfig, if c.has_kubeconfig { t().stored_secret } else { t().no_secret }.to_string()),
                            (t().bearer_token, if c.has_bearer_token { t().stored_secret } else { t().no_secret }.to_string()),
                            (t().created_at, short_time(&c.created_at)),
                        ];
                        view! {
                            <Title text=c.name.clone() />
                            <PageHeader title=c.name.clone() crumbs=vec![Crumb::link(tr(|t| t.clusters_title), "/clusters")] />
                            <p class="muted">{c.description.clone()}</p>
                            <p>
                                <a href=format!("/alert-rules?cluster={}", c.id) data-testid="cluster-rules">{t().system_rules}</a>" · "
                                <a href=format!("/blacklist?cluster={}", c.id)>{t().nav_blacklist}</a>
                            </p>
                            <div class="grid2">
                                <section class="card" data-testid="cluster-settings">
                                    <table class="table">
                                        <tbody>
                                            {rows.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                                                <tr><th>{k}</th><td><code>{v}</code></td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                                <section class="card">
                                    <h2>{t().status}</h2>
                                    <CheckSummary check=c.last_check.clone() />
                                    <div class="buttons">
                                        <button class="primary" disabled=move || test.pending().get()
                                            on:click=move |_| { test.dispatch(TestCluster { cluster_id: cid }); }>{t().test_connection}</button>
                                        " "
                                        <button disabled=move || prepare.pending().get()
                                            on:click=move |_| { prepare.dispatch(PrepareCluster { cluster_id: cid }); }>{t().prepare}</button>
                                        " "
                                        <button data-testid="rotate-history-tokens" disabled=move || rotate.pending().get()
                                            on:click=move |_| { rotate.dispatch(crate::api::alert_rules::RotateHistoryTokens { cluster_id: cid }); }>{t().rotate_history_tokens}</button>
                                    </div>
                                </section>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <h1>{t().not_found_title}</h1><p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn kube_only(kind: ClusterKind, v: Option<String>) -> String {
    if kind == ClusterKind::Kubernetes {
        v.unwrap_or_else(|| "none".into())
    } else {
        String::new()
    }
}
