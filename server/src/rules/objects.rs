//! Writing rules into a cluster. Kubernetes: a PrometheusRule per monitor rule, the namespace's
//! key of the Loki rules ConfigMap for logging rules, an AlertmanagerConfig per rule. Standalone:
//! a rule file per monitor rule, a Loki rule file per namespace, and alertmanager.yml merged
//! from every rule's routing. An object that is already what Gemscope would write is not
//! written again, so a re-sync with nothing changed sends no write.

use std::collections::BTreeMap;

use ::kube::core::ApiResource;
use app::domain::{alert_rules as domain, am_config, receiver_secret};
use app::model::{AlertType, AmConfigSpec, ClusterKind, NamespacedAmConfig, RuleGroup};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::cluster::error::{BackendError, BackendResult};
use crate::cluster::kube::crds::{AlertmanagerConfig, Crd, PrometheusRule};
use crate::cluster::kube::{self as k, FIELD_MANAGER};
use crate::cluster::prepare::LOKI_RULES_CONFIGMAP;
use crate::cluster::service::ClusterHandle;
use crate::cluster::standalone::{self, FileWrite, RuleTarget};

/// One rule as the cluster gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleObject {
    pub namespace: String,
    pub name: String,
    pub kind: AlertType,
    pub group: RuleGroup,
    pub am: AmConfigSpec,
}

/// What changes for one rule. `rules` is every rule of the cluster as it will be afterwards (the
/// files and ConfigMap keys that hold several rules are rendered from it).
pub struct Change<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// The rule afterwards; `None` when it is deleted.
    pub after: Option<&'a RuleObject>,
    /// The type it had before, when it existed (a type change removes the old kind's object).
    pub before: Option<AlertType>,
    pub rules: &'a [RuleObject],
}

/// How many objects a write changed (0: everything was current).
pub type Writes = usize;

pub(crate) fn standalone_rule_file(ns: &str, name: &str) -> String {
    // `_` cannot occur in either DNS label, so the file name is unique per rule.
    format!("alert_{ns}_{name}")
}

/// The stem of a standalone cluster's Loki rule file: one per namespace, holding the groups of
/// its logging rules (the ruler polls the directory, so nothing is reloaded).
pub(crate) fn standalone_loki_file(ns: &str) -> String {
    format!("alert_{ns}")
}

pub(crate) fn loki_groups(rules: &[RuleObject], ns: &str) -> Vec<RuleGroup> {
    rules
        .iter()
        .filter(|r| r.kind == AlertType::Logging && r.namespace == ns)
        .map(|r| r.group.clone())
        .collect()
}

pub async fn write(
    handle: &ClusterHandle,
    http: &reqwest::Client,
    change: &Change<'_>,
) -> BackendResult<Writes> {
    match (handle.kind, &handle.client) {
        (ClusterKind::Kubernetes, Some(client)) => write_kube(handle, client, change).await,
        (ClusterKind::Kubernetes, None) => {
            Err(BackendError::Settings("no Kubernetes client".into()))
        }
        (ClusterKind::Standalone, _) => write_standalone(handle, http, change).await,
    }
}

fn counted(o: FileWrite) -> Writes {
    usize::from(o == FileWrite::Written)
}

async fn write_standalone(
    handle: &ClusterHandle,
    http: &reqwest::Client,
    change: &Change<'_>,
) -> BackendResult<Writes> {
    let s = &handle.settings;
    if s.alertmanager_config_path.is_empty() {
        return Err(BackendError::Settings(format!(
            "cluster {} has no Alertmanager config path, so its rules could not notify anyone",
            handle.name
        )));
    }
    let mut writes = 0;
    let prometheus = Some(s.prometheus_url.as_str()).filter(|u| !u.is_empty());
    let rule_target = RuleTarget {
        dir: &s.rules_dir,
        name: &standalone_rule_file(change.namespace, change.name),
        reload: prometheus,
    };
    let is_monitor = change.after.is_some_and(|a| a.kind == AlertType::Monitor);
    match change.after {
        Some(a) if is_monitor => {
            writes += counted(
                standalone::apply_rules(
                    http,
                    &rule_target,
                    &app::model::RuleFile {
                        groups: vec![a.group.clone()],
                    },
                )
                .await?,
            );
        }
        _ if change.before == Some(AlertType::Monitor) => {
            writes += counted(standalone::remove_rules(http, &rule_target).await?);
        }
        _ => {}
    }
    let touches_logs = change.after.is_some_and(|a| a.kind == AlertType::Logging)
        || change.before == Some(AlertType::Logging);
    if touches_logs {
        if s.loki_rules_dir.is_empty() {
            return Err(BackendError::Settings(format!(
                "cluster {} has no Loki rules directory for logging rules",
                handle.name
            )));
        }
        let file = standalone_loki_file(change.namespace);
        let target = RuleTarget {
            dir: &s.loki_rules_dir,
            name: &file,
            reload: None,
        };
        let groups = loki_groups(change.rules, change.namespace);
        writes += counted(if groups.is_empty() {
            standalone::remove_rules(http, &target).await?
        } else {
            standalone::apply_rules(http, &target, &domain::loki_namespace_rules(groups)).await?
        });
    }
    let configs: Vec<NamespacedAmConfig> = change
        .rules
        .iter()
        .map(|r| NamespacedAmConfig {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            spec: r.am.clone(),
        })
        .collect();
    let content =
        am_config::merge(&am_config::global_spec(), &configs).map_err(BackendError::Render)?;
    let reload = Some(s.alertmanager_url.as_str()).filter(|u| !u.is_empty());
    writes += counted(
        standalone::apply_file(
            http,
            std::path::Path::new(&s.alertmanager_config_path),
            &content,
            reload,
        )
        .await?,
    );
    Ok(writes)
}

/// Whether a live object holds what Gemscope wrote: its labels and exactly this `spec`/`data`.
fn holds(live: &Value, body: &Value) -> bool {
    let labels_current = body["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(key, v)| live["metadata"]["labels"][key] == *v);
    labels_current && live["spec"] == body["spec"] && live["data"] == body["data"]
}

async fn live_value(
    client: &kube::Client,
    ar: &ApiResource,
    ns: &str,
    name: &str,
) -> BackendResult<Option<Value>> {
    Ok(k::get(client, ar, Some(ns), name)
        .await?
        .and_then(|o| serde_json::to_value(&o).ok()))
}

/// Writes an object unless the live one already holds it, and makes sure it does afterwards.
///
/// A forced server-side apply only takes back the fields it sends: `spec.groups` is a list keyed
/// by `name`, so a group another client added stays (recorded in fixtures/kube/57-60). When the
/// object the apply returns still differs, it is replaced whole at that resourceVersion (61) and
/// read once more; an object that differs even then is an error, never a silent success.
async fn put(
    client: &kube::Client,
    ar: &ApiResource,
    ns: &str,
    name: &str,
    body: &Value,
) -> BackendResult<Writes> {
    let before = live_value(client, ar, ns, name).await?;
    if before.as_ref().is_some_and(|live| holds(live, body)) {
        return Ok(0);
    }
    let after = k::apply_only(client, ar, Some(ns), name, body).await?;
    let after = serde_json::to_value(&after).unwrap_or(Value::Null);
    if before.is_none() || holds(&after, body) {
        return Ok(1);
    }
    let version = after["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    k::replace(client, ar, Some(ns), name, body, version).await?;
    match live_value(client, ar, ns, name).await? {
        Some(live) if holds(&live, body) => Ok(2),
        _ => Err(BackendError::StillDiffers {
            kind: ar.kind.clone(),
            namespace: ns.to_string(),
            name: name.to_string(),
        }),
    }
}

async fn remove(
    client: &kube::Client,
    ar: &ApiResource,
    ns: &str,
    name: &str,
) -> BackendResult<Writes> {
    if k::get(client, ar, Some(ns), name).await?.is_none() {
        return Ok(0);
    }
    k::delete(client, ar, Some(ns), name).await?;
    Ok(1)
}

/// The Secret that holds a rule's receiver URLs (`data` is base64, as the API returns it, so a
/// live Secret compares equal to the one rendered).
pub(crate) fn receiver_secret_object(
    ns: &str,
    rule: &str,
    data: &BTreeMap<String, String>,
) -> Value {
    use base64::Engine;
    let encoded: BTreeMap<&String, String> = data
        .iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": receiver_secret::secret_name(rule),
            "namespace": ns,
            "labels": {k::MANAGED_BY.0: k::MANAGED_BY.1},
        },
        "data": encoded,
    })
}

pub(crate) fn object(
    ar_kind: (&str, &str),
    ns: &str,
    name: &str,
    labels: BTreeMap<String, String>,
    spec: Value,
) -> Value {
    json!({
        "apiVersion": ar_kind.0,
        "kind": ar_kind.1,
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": spec,
    })
}

pub(crate) fn api_version<C: Crd>() -> String {
    format!("{}/{}", C::GROUP, C::VERSION)
}

/// Sets (or, with `None`, removes) one key of the Loki rules ConfigMap with a merge patch, so the
/// other keys (other namespaces, the recording rules) are left alone.
async fn loki_key(
    client: &kube::Client,
    logging_ns: &str,
    key: &str,
    value: Option<String>,
) -> BackendResult<Writes> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), logging_ns);
    let live = api.get_opt(LOKI_RULES_CONFIGMAP).await?;
    let current = live
        .as_ref()
        .and_then(|cm| cm.data.as_ref())
        .and_then(|d| d.get(key))
        .cloned();
    if current == value {
        return Ok(0);
    }
    check_loki_size(live.as_ref(), key, value.as_deref())?;
    if live.is_none() {
        let Some(v) = value else { return Ok(0) };
        let cm = ConfigMap {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(LOKI_RULES_CONFIGMAP.into()),
                namespace: Some(logging_ns.into()),
                labels: Some(BTreeMap::from([(
                    k::MANAGED_BY.0.to_string(),
                    k::MANAGED_BY.1.to_string(),
                )])),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(key.to_string(), v)])),
            ..Default::default()
        };
        api.create(&PostParams::default(), &cm).await?;
        return Ok(1);
    }
    let patch = json!({"data": {key: value}});
    api.patch(
        LOKI_RULES_CONFIGMAP,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        },
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(1)
}

/// One namespace's Loki rules may take at most this much of the shared ConfigMap.
pub(crate) const MAX_LOKI_KEY_BYTES: usize = 256 * 1024;
/// Kubernetes refuses objects over 1 MiB; keep room for the metadata.
pub(crate) const MAX_LOKI_CONFIGMAP_BYTES: usize = 1000 * 1024;

/// Refuses a Loki rules value that would make one namespace's key, or the shared ConfigMap of
/// every namespace, too large, naming the sizes (before anything is written).
pub(crate) fn check_loki_size(
    live: Option<&ConfigMap>,
    key: &str,
    value: Option<&str>,
) -> BackendResult<()> {
    let Some(value) = value else { return Ok(()) };
    if value.len() > MAX_LOKI_KEY_BYTES {
        return Err(BackendError::TooLarge(format!(
            "the logging rules of namespace {key} would be {} bytes; at most {MAX_LOKI_KEY_BYTES} are allowed per namespace",
            value.len()
        )));
    }
    let others: usize = live
        .and_then(|cm| cm.data.as_ref())
        .map(|d| {
            d.iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| k.len() + v.len())
                .sum()
        })
        .unwrap_or(0);
    let total = others + key.len() + value.len();
    if total > MAX_LOKI_CONFIGMAP_BYTES {
        return Err(BackendError::TooLarge(format!(
            "the Loki rules ConfigMap would be {total} bytes, over the {MAX_LOKI_CONFIGMAP_BYTES} bytes a ConfigMap can hold"
        )));
    }
    Ok(())
}

async fn write_kube(
    handle: &ClusterHandle,
    client: &kube::Client,
    change: &Change<'_>,
) -> BackendResult<Writes> {
    let (ns, name) = (change.namespace, change.name);
    let pr = PrometheusRule::api_resource();
    let amc = AlertmanagerConfig::api_resource();
    let mut writes = 0;
    match change.after {
        Some(a) if a.kind == AlertType::Monitor => {
            let body = object(
                (&api_version::<PrometheusRule>(), PrometheusRule::KIND),
                ns,
                name,
                domain::prometheus_rule_labels(name),
                json!({"groups": [&a.group]}),
            );
            writes += put(client, &pr, ns, name, &body).await?;
        }
        _ if change.before == Some(AlertType::Monitor) => {
            writes += remove(client, &pr, ns, name).await?;
        }
        _ => {}
    }
    let touches_logs = change.after.is_some_and(|a| a.kind == AlertType::Logging)
        || change.before == Some(AlertType::Logging);
    if touches_logs {
        let groups = loki_groups(change.rules, ns);
        let value = if groups.is_empty() {
            None
        } else {
            let file = domain::loki_namespace_rules(groups);
            Some(serde_norway::to_string(&file).map_err(|e| BackendError::Render(e.to_string()))?)
        };
        writes += loki_key(client, handle.settings.logging_ns(), ns, value).await?;
    }
    let secret_ar = ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&());
    let secret = receiver_secret::secret_name(name);
    match change.after {
        Some(a) => {
            // The URLs (with their tokens) first, so the config never points at a missing key.
            let (am, data) = receiver_secret::with_url_secrets(&a.am, name);
            writes += put(
                client,
                &secret_ar,
                ns,
                &secret,
                &receiver_secret_object(ns, name, &data),
            )
            .await?;
            let spec =
                serde_json::to_value(&am).map_err(|e| BackendError::Render(e.to_string()))?;
            let body = object(
                (
                    &api_version::<AlertmanagerConfig>(),
                    AlertmanagerConfig::KIND,
                ),
                ns,
                name,
                domain::am_config_labels(a.kind, name),
                spec,
            );
            writes += put(client, &amc, ns, name, &body).await?;
        }
        None => {
            writes += remove(client, &amc, ns, name).await?;
            writes += remove(client, &secret_ar, ns, &secret).await?;
        }
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loki_rules_cannot_push_the_configmap_over_its_limit() {
        let cm = |others: usize| ConfigMap {
            data: Some(BTreeMap::from([
                ("other".to_string(), "x".repeat(others)),
                ("shop".to_string(), "old".to_string()),
            ])),
            ..Default::default()
        };
        assert!(check_loki_size(None, "shop", Some("groups: []")).is_ok());
        assert!(check_loki_size(Some(&cm(10)), "shop", None).is_ok());
        let big = "y".repeat(MAX_LOKI_KEY_BYTES + 1);
        let e = check_loki_size(None, "shop", Some(&big)).unwrap_err();
        assert!(e.to_string().contains("262145 bytes"), "{e}");
        let near = "y".repeat(200 * 1024);
        let e = check_loki_size(Some(&cm(900 * 1024)), "shop", Some(&near)).unwrap_err();
        assert!(e.to_string().contains("1126409 bytes"), "{e}");
        // The namespace's own old value does not count twice.
        assert!(check_loki_size(Some(&cm(700 * 1024)), "shop", Some(&near)).is_ok());
    }
}
