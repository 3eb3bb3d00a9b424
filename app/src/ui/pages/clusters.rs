//! Cluster records (system admins): register, edit and remove. Secrets are write-only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::clusters::{
    CreateCluster, DeleteCluster, PrepareCluster, TestCluster, UpdateCluster, list_clusters,
};
use crate::model::{
    Cluster, ClusterCheck, ClusterInput, ClusterKind, ClusterSettings, DEFAULT_LOGGING_NAMESPACE,
    DEFAULT_MONITORING_NAMESPACE, PrepareResult, default_service,
};
use crate::ui::components::{
    ConfirmButton, ErrorNote, TextField, last_error, list_view, short_time,
};
use crate::ui::use_t;

#[derive(Clone, Copy)]
struct ClusterForm {
    editing: RwSignal<Option<i64>>,
    name: RwSignal<String>,
    description: RwSignal<String>,
    kind: RwSignal<ClusterKind>,
    kubeconfig: RwSignal<String>,
    bearer_token: RwSignal<String>,
    api_server: RwSignal<String>,
    prometheus_url: RwSignal<String>,
    alertmanager_url: RwSignal<String>,
    loki_url: RwSignal<String>,
    rules_dir: RwSignal<String>,
    loki_rules_dir: RwSignal<String>,
    alertmanager_config_path: RwSignal<String>,
    jaeger_url: RwSignal<String>,
    gemscope_url: RwSignal<String>,
    alert_group_wait: RwSignal<String>,
    alert_group_interval: RwSignal<String>,
    prometheus_service: RwSignal<String>,
    alertmanager_service: RwSignal<String>,
    loki_service: RwSignal<String>,
    jaeger_service: RwSignal<String>,
    monitoring_namespace: RwSignal<String>,
    logging_namespace: RwSignal<String>,
    in_cluster: RwSignal<bool>,
}

impl ClusterForm {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        ClusterForm {
            editing: RwSignal::new(None),
            name: s(),
            description: s(),
            kind: RwSignal::new(ClusterKind::Kubernetes),
            kubeconfig: s(),
            bearer_token: s(),
            api_server: s(),
            prometheus_url: s(),
            alertmanager_url: s(),
            loki_url: s(),
            rules_dir: s(),
            loki_rules_dir: s(),
            alertmanager_config_path: s(),
            jaeger_url: s(),
            gemscope_url: s(),
            alert_group_wait: s(),
            alert_group_interval: s(),
            prometheus_service: s(),
            alertmanager_service: s(),
            loki_service: s(),
            jaeger_service: s(),
            monitoring_namespace: s(),
            logging_namespace: s(),
            in_cluster: RwSignal::new(false),
        }
    }

    fn load(&self, c: Option<&Cluster>) {
        let empty = ClusterSettings::default();
        let s = c.map(|c| &c.settings).unwrap_or(&empty);
        self.editing.set(c.map(|c| c.id));
        self.name.set(c.map(|c| c.name.clone()).unwrap_or_default());
        self.description
            .set(c.map(|c| c.description.clone()).unwrap_or_default());
        self.kind.set(c.map(|c| c.kind).unwrap_or_default());
        self.kubeconfig.set(String::new());
        self.bearer_token.set(String::new());
        self.api_server.set(s.api_server.clone());
        self.prometheus_url.set(s.prometheus_url.clone());
        self.alertmanager_url.set(s.alertmanager_url.clone());
        self.loki_url.set(s.loki_url.clone());
        self.rules_dir.set(s.rules_dir.clone());
        self.loki_rules_dir.set(s.loki_rules_dir.clone());
        self.alertmanager_config_path
            .set(s.alertmanager_config_path.clone());
        self.jaeger_url.set(s.jaeger_url.clone());
        self.gemscope_url.set(s.gemscope_url.clone());
        self.alert_group_wait.set(s.alert_group_wait.clone());
        self.alert_group_interval
            .set(s.alert_group_interval.clone());
        self.prometheus_service.set(s.prometheus_service.clone());
        self.alertmanager_service
            .set(s.alertmanager_service.clone());
        self.loki_service.set(s.loki_service.clone());
        self.jaeger_service.set(s.jaeger_service.clone());
        self.monitoring_namespace
            .set(s.monitoring_namespace.clone());
        self.logging_namespace.set(s.logging_namespace.clone());
        self.in_cluster.set(s.in_cluster);
    }

    /// Empty secret inputs keep what is stored.
    fn input(&self) -> ClusterInput {
        let secret = |v: String| if v.is_empty() { None } else { Some(v) };
        ClusterInput {
            name: self.name.get_untracked(),
            description: self.description.get_untracked(),
            kind: self.kind.get_untracked(),
            settings: ClusterSettings {
                api_server: self.api_server.get_untracked(),
                prometheus_url: self.prometheus_url.get_untracked(),
                alertmanager_url: self.alertmanager_url.get_untracked(),
                loki_url: self.loki_url.get_untracked(),
                rules_dir: self.rules_dir.get_untracked(),
                loki_rules_dir: self.loki_rules_dir.get_untracked(),
                alertmanager_config_path: self.alertmanager_config_path.get_untracked(),
                jaeger_url: self.jaeger_url.get_untracked(),
                gemscope_url: self.gemscope_url.get_untracked(),
                alert_group_wait: self.alert_group_wait.get_untracked(),
                alert_group_interval: self.alert_group_interval.get_untracked(),
                prometheus_service: self.prometheus_service.get_untracked(),
                alertmanager_service: self.alertmanager_service.get_untracked(),
                loki_service: self.loki_service.get_untracked(),
                jaeger_service: self.jaeger_service.get_untracked(),
                monitoring_namespace: self.monitoring_namespace.get_untracked(),
                logging_namespace: self.logging_namespace.get_untracked(),
                in_cluster: self.in_cluster.get_untracked(),
            },
            kubeconfig: secret(self.kubeconfig.get_untracked()),
            bearer_token: secret(self.bearer_token.get_untracked()),
        }
    }
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let t = use_t();
    let create = ServerAction::<CreateCluster>::new();
    let update = ServerAction::<UpdateCluster>::new();
    let delete = ServerAction::<DeleteCluster>::new();
    let test = ServerAction::<TestCluster>::new();
    // Preparing also re-tests, so the list shows the new state of the prepared objects.
    let prepare = ServerAction::<PrepareCluster>::new();
    let prepared_id = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(id)) = (prepare.value().get(), prepared_id.get_untracked()) {
            test.dispatch(TestCluster { cluster_id: id });
        }
    });
    let clusters = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
                test.version().get(),
            )
        },
        |_| list_clusters(),
    );
    let form = ClusterForm::new();
    let error = Signal::derive(move || {
        if form.editing.get().is_some() {
            last_error(update.value()).get()
        } else {
            last_error(create.value()).get()
        }
    });
    Effect::new(move |_| {
        let done = matches!(create.value().get(), Some(Ok(_)))
            || matches!(update.value().get(), Some(Ok(_)));
        if done {
            form.load(None);
        }
    });
    let kind_label = move |k: ClusterKind| match k {
        ClusterKind::Kubernetes => t().kind_kubernetes,
        ClusterKind::Standalone => t().kind_standalone,
    };
    let standalone = move || form.kind.get() == ClusterKind::Standalone;
    let field = move |label: fn(&crate::i18n::Texts) -> &'static str,
                      name: &'static str,
                      value: RwSignal<String>| {
        view! { <TextField label=Signal::derive(move || label(t())) field=name value error /> }
    };
    let service_field = move |label: fn(&crate::i18n::Texts) -> &'static str,
                              name: &'static str,
                              value: RwSignal<String>,
                              component: &'static str| {
        let default = default_service(component).unwrap_or_default();
        view! { <TextField label=Signal::derive(move || label(t())) field=name value error placeholder=default /> }
    };
    view! {
        <Title text=move || t().clusters_title />
        <h1>{move || t().clusters_title}</h1>
        <ErrorNote error=last_error(delete.value()) />
        <ErrorNote error=last_error(test.value()) />
        <ErrorNote error=last_error(prepare.value()) />
        {move || prepare.value().get().and_then(|r| r.ok()).map(|done| view! {
            <p class="ok" data-testid="prepare-result">{t().prepare_done}" "
                {prepare_summary(done)}
            </p>
        })}
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                list_view(t(), clusters.await, |list| view! {
                        <table class="table" data-testid="clusters">
                            <thead><tr>
                                <th>{t().name}</th><th>{t().kind}</th><th>{t().prometheus_url}</th>
                                <th>{t().kubeconfig}</th><th>{t().status}</th><th>{t().created_at}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| {
                                    let id = c.id;
                                    let for_edit = c.clone();
                                    view! {
                                        <tr>
                                            <td><A href=format!("/clusters/{id}")>{c.name}</A><br /><small class="muted">{c.description}</small></td>
                                            <td>{kind_label(c.kind)}</td>
                                            <td><code>{c.settings.prometheus_url}</code></td>
                                            <td>{if c.has_kubeconfig { t().stored_secret } else { t().no_secret }}</td>
                                            <td><CheckSummary check=c.last_check.clone() /></td>
                                            <td>{short_time(&c.created_at)}</td>
                                            <td class="actions">
                                                <button class="small" disabled=move || test.pending().get() on:click=move |_| { test.dispatch(TestCluster { cluster_id: id }); }>{t().test_connection}</button>
                                                <button class="small" disabled=move || prepare.pending().get() on:click=move |_| { prepared_id.set(Some(id)); prepare.dispatch(PrepareCluster { cluster_id: id }); }>{t().prepare}</button>
                                                <button class="small" on:click=move |_| form.load(Some(&for_edit))>{t().edit}</button>
                                                <ConfirmButton label=t().delete question=t().confirm_delete on_confirm=Callback::new(move |_| { delete.dispatch(DeleteCluster { cluster_id: id }); }) />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any())
            })}
        </Transition>
        <form class="card form-grid" data-testid="cluster-form" on:submit=move |ev| {
            ev.prevent_default();
            match form.editing.get_untracked() {
                Some(id) => { update.dispatch(UpdateCluster { cluster_id: id, cluster: form.input() }); }
                None => { create.dispatch(CreateCluster { cluster: form.input() }); }
            }
        }>
            <h2>{move || if form.editing.get().is_some() { t().save } else { t().new_cluster }}</h2>
            {field(|t| t.name, "name", form.name)}
            {field(|t| t.description, "description", form.description)}
            <label class="field">
                <span>{move || t().kind}</span>
                <select name="kind" on:change=move |ev| { if let Some(k) = ClusterKind::parse(&event_target_value(&ev)) { form.kind.set(k) } }>
                    {[ClusterKind::Kubernetes, ClusterKind::Standalone].into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || form.kind.get() == k>{move || kind_label(k)}</option>
                    }).collect_view()}
                </select>
            </label>
            <Show when=move || !standalone()>
                <label class="field wide">
                    <span>{move || t().kubeconfig}</span>
                    <textarea name="kubeconfig" rows="6" bind:value=form.kubeconfig
                        aria-invalid=move || (error.get().and_then(|e| e.field).as_deref() == Some("kubeconfig")).to_string()></textarea>
                    <small class="muted">{move || t().kubeconfig_hint}</small>
                </label>
                <label class="field wide">
                    <span>{move || t().kubeconfig_upload}</span>
                    <input type="file" name="kubeconfig-file" data-testid="kubeconfig-file"
                        on:change=move |ev| read_file_into(ev, form.kubeconfig) />
                </label>
                {field(|t| t.api_server, "settings.api_server", form.api_server)}
                <label class="field checkbox">
                    <input type="checkbox" name="settings.in_cluster" prop:checked=move || form.in_cluster.get()
                        on:change=move |ev| form.in_cluster.set(event_target_checked(&ev)) />
                    <span>{move || t().in_cluster}</span>
                </label>
            </Show>
            {field(|t| t.prometheus_url, "settings.prometheus_url", form.prometheus_url)}
            {field(|t| t.alertmanager_url, "settings.alertmanager_url", form.alertmanager_url)}
            {field(|t| t.loki_url, "settings.loki_url", form.loki_url)}
            {field(|t| t.jaeger_url, "settings.jaeger_url", form.jaeger_url)}
            {field(|t| t.gemscope_url, "settings.gemscope_url", form.gemscope_url)}
            <TextField label=Signal::derive(move || t().alert_group_wait) field="settings.alert_group_wait" value=form.alert_group_wait error placeholder="30s" />
            <TextField label=Signal::derive(move || t().alert_group_interval) field="settings.alert_group_interval" value=form.alert_group_interval error placeholder="30s" />
            <Show when=move || !standalone()>
                <p class="muted wide">{move || t().services_hint}</p>
                {service_field(|t| t.prometheus_service, "settings.prometheus_service", form.prometheus_service, "prometheus")}
                {service_field(|t| t.alertmanager_service, "settings.alertmanager_service", form.alertmanager_service, "alertmanager")}
                {service_field(|t| t.loki_service, "settings.loki_service", form.loki_service, "loki")}
                {service_field(|t| t.jaeger_service, "settings.jaeger_service", form.jaeger_service, "jaeger")}
                <TextField label=Signal::derive(move || t().monitoring_namespace) field="settings.monitoring_namespace" value=form.monitoring_namespace error placeholder=DEFAULT_MONITORING_NAMESPACE />
                <TextField label=Signal::derive(move || t().logging_namespace) field="settings.logging_namespace" value=form.logging_namespace error placeholder=DEFAULT_LOGGING_NAMESPACE />
            </Show>
            <Show when=standalone>
                {field(|t| t.rules_dir, "settings.rules_dir", form.rules_dir)}
                {field(|t| t.loki_rules_dir, "settings.loki_rules_dir", form.loki_rules_dir)}
                {field(|t| t.alertmanager_config_path, "settings.alertmanager_config_path", form.alertmanager_config_path)}
            </Show>
            <TextField label=Signal::derive(move || t().bearer_token) field="bearer_token" value=form.bearer_token error kind="password" />
            <div class="buttons">
                <button type="submit" class="primary">{move || if form.editing.get().is_some() { t().save } else { t().create }}</button>
                <Show when=move || form.editing.get().is_some()>
                    <button type="button" on:click=move |_| form.load(None)>{move || t().cancel}</button>
                </Show>
            </div>
            <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.as_deref().is_none_or(|f| f == "kubeconfig"))) />
        </form>
    }
}

/// The last connection test: overall state, then each endpoint with its version or error.
#[component]
pub fn CheckSummary(check: Option<ClusterCheck>) -> impl IntoView {
    let t = use_t();
    let Some(check) = check else {
        return view! { <span class="muted">{t().never_checked}</span> }.into_any();
    };
    let (class, label) = if check.reachable {
        ("ok", t().reachable)
    } else {
        ("error", t().unreachable)
    };
    view! {
        <div class="check" data-testid="cluster-status">
            <strong class=class>{label}</strong>" "<small class="muted">{short_time(&check.checked_at)}</small>
            <ul class="endpoints">
                {check.endpoints.into_iter().map(|e| {
                    let detail = if e.ok { format!("{} ({} ms)", e.version, e.latency_ms) } else { e.error.clone() };
                    let how = if e.via.is_empty() { e.url.clone() } else { format!("{} · {}", e.url, e.via) };
                    let optional = (e.optional && !e.ok).then(|| format!(" ({})", t().optional_component));
                    let title = how.clone();
                    view! {
                        <li class:ok=e.ok class:error=!e.ok class:muted=e.optional && !e.ok title=title>
                            {e.component}{optional}": "{detail}<br /><small class="muted">{how}</small>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when={let any = !check.crds.is_empty(); move || any}>
                <p class="muted">{t().crds_found}</p>
            </Show>
            <ul class="endpoints" data-testid="crds">
                {check.crds.into_iter().map(|c| {
                    let present = !c.versions.is_empty();
                    let state = if present { c.versions.join(", ") } else { t().crd_absent.to_string() };
                    view! { <li class:ok=present class:muted=!present>{c.kind}"."{c.group}": "{state}</li> }
                }).collect_view()}
            </ul>
            <ul class="endpoints" data-testid="prepared">
                {check.prepared.into_iter().map(|p| {
                    let state = if p.current { t().object_current } else if p.present { t().object_outdated } else { t().object_missing };
                    view! { <li class:ok=p.current class:error=!p.current>{p.name}" ("{p.target}"): "{state}</li> }
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// One cluster: its settings, whether secrets are stored, the last connection test and the state
/// of the objects Gemscope prepared, with the same actions as the list.
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
        <Suspense fallback=move || view! { <p>{t().loading}</p> }>
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
                            (t().prometheus_service, kube_only(c.kind, s.service_of("prometheus"))),
                            (t().alertmanager_service, kube_only(c.kind, s.service_of("alertmanager"))),
                            (t().loki_service, kube_only(c.kind, s.service_of("loki"))),
                            (t().jaeger_service, kube_only(c.kind, s.service_of("jaeger"))),
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
                            <h1><span class="muted">{t().cluster}" / "</span>{c.name.clone()}</h1>
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
                    Err(e) => view! { <h1>{t().not_found_title}</h1><p class="error">{e.message}</p> }.into_any(),
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

fn prepare_summary(done: Vec<PrepareResult>) -> String {
    done.into_iter()
        .map(|d| {
            let detail = if d.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.detail)
            };
            format!("{} ({}): {}{detail}", d.name, d.target, d.outcome)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the chosen file's text into `target` (the kubeconfig box), so an upload and a paste end
/// up the same: the text is validated and encrypted on save, never stored as a file.
#[cfg(feature = "hydrate")]
fn read_file_into(ev: leptos::ev::Event, target: RwSignal<String>) {
    use wasm_bindgen::JsCast;
    let Some(file) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
    else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
            && let Some(text) = text.as_string()
        {
            target.set(text);
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn read_file_into(_: leptos::ev::Event, _: RwSignal<String>) {}
