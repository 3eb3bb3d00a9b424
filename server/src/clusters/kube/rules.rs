//! Writing one rule's change into a Kubernetes cluster: its PrometheusRule, its group in the
//! namespace's key of the Loki rules ConfigMap, its receiver Secret and its AlertmanagerConfig.
//! An object that already holds what Gemscope would write is not written again, so a re-sync
//! with nothing changed sends no write.

use std::collections::BTreeMap;

use ::kube::core::ApiResource;
use app::domain::alert_rules as domain;
use app::domain::rule_objects::{self as objects, ObjectRef};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::crds::{AlertmanagerConfig, Crd, PrometheusRule};
use super::{FIELD_MANAGER, MANAGED_BY};
use crate::clusters::backend::{Change, Writes};
use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::prepare::LOKI_RULES_CONFIGMAP;

/// The API resource of a whole-object kind (`None` for a Loki group, which is a ConfigMap key).
pub(crate) fn resource(object: &ObjectRef) -> Option<ApiResource> {
    match object {
        ObjectRef::PrometheusRule { .. } => Some(PrometheusRule::api_resource()),
        ObjectRef::AlertmanagerConfig { .. } => Some(AlertmanagerConfig::api_resource()),
        ObjectRef::ReceiverSecret { .. } => Some(ApiResource::erase::<Secret>(&())),
        _ => None,
    }
}

pub(crate) async fn apply(
    client: &kube::Client,
    logging_ns: &str,
    change: &Change<'_>,
) -> BackendResult<Writes> {
    let ns = change.namespace;
    let mut writes = 0;
    if change.drops_monitor() {
        let pr = PrometheusRule::api_resource();
        writes += remove(client, &pr, ns, change.name).await?;
    }
    if change.touches_logs() {
        let groups = objects::loki_groups(change.rules, ns);
        let value = if groups.is_empty() {
            None
        } else {
            let file = domain::loki_namespace_rules(groups);
            Some(serde_norway::to_string(&file).map_err(|e| BackendError::Render(e.to_string()))?)
        };
        writes += loki_key(client, logging_ns, ns, value).await?;
    }
    match change.after {
        Some(a) => {
            for d in objects::kube_objects(a).map_err(BackendError::Render)? {
                if let Some(ar) = resource(&d.object) {
                    writes += put(client, &ar, ns, d.object.name(), &d.content).await?;
                }
            }
        }
        None => {
            let amc = AlertmanagerConfig::api_resource();
            writes += remove(client, &amc, ns, change.name).await?;
            let secret = app::domain::receiver_secret::secret_name(change.name);
            writes += remove(client, &ApiResource::erase::<Secret>(&()), ns, &secret).await?;
        }
    }
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
    Ok(super::get(client, ar, Some(ns), name)
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
    let after = super::apply_only(client, ar, Some(ns), name, body).await?;
    let after = serde_json::to_value(&after).unwrap_or(Value::Null);
    if before.is_none() || holds(&after, body) {
        return Ok(1);
    }
    let version = after["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    super::replace(client, ar, Some(ns), name, body, version).await?;
    match live_value(client, ar, ns, name).await? {
        Some(live) if holds(&live, body) => Ok(2),
        _ => Err(BackendError::StillDiffers {
            kind: ar.kind.clone(),
            namespace: ns.to_string(),
            name: name.to_string(),
        }),
    }
}

pub(crate) async fn remove(
    client: &kube::Client,
    ar: &ApiResource,
    ns: &str,
    name: &str,
) -> BackendResult<Writes> {
    if super::get(client, ar, Some(ns), name).await?.is_none() {
        return Ok(0);
    }
    super::delete(client, ar, Some(ns), name).await?;
    Ok(1)
}

/// Sets (or, with `None`, removes) one key of the Loki rules ConfigMap with a merge patch, so the
/// other keys (other namespaces, the recording rules) are left alone.
pub(crate) async fn loki_key(
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
                    MANAGED_BY.0.to_string(),
                    MANAGED_BY.1.to_string(),
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

    #[test]
    fn the_custom_resources_api_versions_are_the_domains() {
        let v = |ar: ApiResource| ar.api_version;
        assert_eq!(
            v(PrometheusRule::api_resource()),
            objects::PROMETHEUS_RULE_API
        );
        assert_eq!(
            v(AlertmanagerConfig::api_resource()),
            objects::ALERTMANAGER_CONFIG_API
        );
        assert_eq!(PrometheusRule::KIND, objects::KIND_PROMETHEUS_RULE);
        assert_eq!(AlertmanagerConfig::KIND, objects::KIND_AM_CONFIG);
    }
}
