//! Cluster records (system admins): register, edit and remove. Secrets are write-only.

use leptos::prelude::*;

use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::clusters::{
    CreateCluster, DeleteCluster, PrepareCluster, TestCluster, UpdateCluster, list_clusters,
};
use crate::model::{
    Cluster, ClusterCheck, ClusterInput, ClusterKind, ClusterSettings, Component,
    DEFAULT_LOGGING_NAMESPACE, DEFAULT_MONITORING_NAMESPACE, PrepareResult,
};
use crate::ui::components::{
    ConfirmButton, ErrorNote, PageHeader, Sort, SortHeader, TextField, last_error, list_view,
    short_time, tr,
};
use crate::ui::use_t;

mod detail;
mod form;
pub use detail::ClusterPage;
use form::{ClusterForm, prepare_summary};

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
    let sort = RwSignal::new(Sort::by("name"));
    let sorted = move |list: &[Cluster]| {
        let mut rows = list.to_vec();
        sort.get().apply(&mut rows, |key, a, b| match key {
            "kind" => a.kind.as_str().cmp(b.kind.as_str()),
            "created" => a.created_at.cmp(&b.created_at),
            _ => a.name.cmp(&b.name),
        });
        rows
    };
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
                              component: Component| {
        let default = component.default_service();
        view! { <TextField label=Signal::derive(move || label(t())) field=name value error placeholder=default /> }
    };
    view! {
        <Title text=move || t().clusters_title />
        <PageHeader title=tr(|t| t.clusters_title) />
        <ErrorNote error=last_error(delete.value()) />
        <ErrorNote error=last_error(test.value()) />
        <ErrorNote error=last_error(prepare.value()) />
        {move || prepare.value().get().and_then(|r| r.ok()).map(|done| view! {
            <p class="ok" data-testid="prepare-result">{t().prepare_done}" "
                {prepare_summary(done)}
            </p>
        })}
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                list_view(t(), clusters.await, |list| view! {
                        <table class="table" data-testid="clusters">
                            <thead><tr>
                                <SortHeader label=tr(|t| t.name) key="name" sort />
                                <SortHeader label=tr(|t| t.kind) key="kind" sort />
                                <th>{t().prometheus_url}</th>
                                <th>{t().kubeconfig}</th><th>{t().status}</th>
                                <SortHeader label=tr(|t| t.created_at) key="created" sort />
                                <th><span class="visually-hidden">{t().actions}</span></th>
                            </tr></thead>
                            <tbody>
                                {move || sorted(&list).into_iter().map(|c| {
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
                {service_field(|t| t.prometheus_service, "settings.prometheus_service", form.prometheus_service, Component::Prometheus)}
                {service_field(|t| t.alertmanager_service, "settings.alertmanager_service", form.alertmanager_service, Component::Alertmanager)}
                {service_field(|t| t.loki_service, "settings.loki_service", form.loki_service, Component::Loki)}
                {service_field(|t| t.jaeger_service, "settings.jaeger_service", form.jaeger_service, Component::Jaeger)}
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
