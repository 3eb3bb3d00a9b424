//! "Prepare": what a cluster needs besides the upstream charts before Gemscope can use it:
//! Gemscope's recording rules for Prometheus, the global Alertmanager config, and the Loki
//! recording rules. Kubernetes clusters get objects (server-side apply); standalone clusters get
//! files. Preparing twice changes nothing the second time.

use std::collections::BTreeMap;

use ::kube::core::ApiResource;
use app::domain::presets;
use app::domain::rule_objects::ObjectRef;
use app::error::{ApiError, Code};
use app::model::{ClusterSettings, PrepareResult, PreparedItem, RuleFile};
use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::Value;

use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::kube::crds::{
    AlertmanagerConfig, Crd, Object, PrometheusRule, PrometheusRuleSpec,
};
use crate::clusters::kube::{self, Applied, MANAGED_BY};
use crate::clusters::standalone::{self, FileWrite, RuleTarget};

/// The state to show when Gemscope cannot even render what it would prepare.
fn not_renderable(error: String) -> PreparedItem {
    PreparedItem {
        name: presets::RECORDING_RULES_NAME.into(),
        target: "prometheus".into(),
        present: false,
        current: false,
        error,
    }
}

pub const GLOBAL_AM_CONFIG_NAME: &str = "gemscope-global";
/// The ConfigMap the Loki ruler reads its rules from (KubeGems' name, so existing rulers find it).
pub const LOKI_RULES_CONFIGMAP: &str = "kubegems-loki-rules";

/// One file "prepare" installs on a standalone cluster, with the server that reloads it.
struct Prepared<'a> {
    server: &'static str,
    name: &'static str,
    path: std::path::PathBuf,
    content: String,
    /// `None` for the Loki ruler, which re-reads its directory by itself.
    reload: Option<&'a str>,
}

/// Gemscope's recording rules for Prometheus and (with a rules directory) the Loki ruler, and the
/// global Alertmanager config (with a config path).
fn non_empty(u: &str) -> Option<&str> {
    Some(u).filter(|u| !u.is_empty())
}

fn standalone_objects(s: &ClusterSettings) -> BackendResult<Vec<Prepared<'_>>> {
    let rules = |dir: &str,
                 name: &'static str,
                 file: &RuleFile|
     -> BackendResult<(std::path::PathBuf, String)> {
        Ok((
            RuleTarget {
                dir,
                name,
                reload: None,
            }
            .path()?,
            app::domain::rule_file::render(file).map_err(BackendError::Render)?,
        ))
    };
    let (path, content) = rules(
        &s.rules_dir,
        presets::RECORDING_RULES_NAME,
        &presets::recording_rules(),
    )?;
    let mut out = vec![Prepared {
        server: "prometheus",
        name: presets::RECORDING_RULES_NAME,
        path,
        content,
        reload: non_empty(&s.prometheus_url),
    }];
    if !s.loki_rules_dir.is_empty() {
        let (path, content) = rules(
            &s.loki_rules_dir,
            presets::LOKI_RECORDING_RULES_NAME,
            &presets::loki_recording_rules(),
        )?;
        out.push(Prepared {
            server: "loki",
            name: presets::LOKI_RECORDING_RULES_NAME,
            path,
            content,
            reload: None,
        });
    }
    if !s.alertmanager_config_path.is_empty() {
        let content = app::domain::am_config::merge(&app::domain::am_config::global_spec(), &[])
            .map_err(BackendError::Render)?;
        out.push(Prepared {
            server: "alertmanager",
            name: "gemscope-alertmanager-config",
            path: s.alertmanager_config_path.clone().into(),
            content,
            reload: non_empty(&s.alertmanager_url),
        });
    }
    Ok(out)
}

/// Whether each prepared object is present and current; files are read from disk.
pub fn standalone_state(s: &ClusterSettings) -> Vec<PreparedItem> {
    if s.rules_dir.is_empty() {
        return Vec::new();
    }
    let objects = match standalone_objects(s) {
        Ok(o) => o,
        Err(error) => return vec![not_renderable(error.to_string())],
    };
    objects
        .into_iter()
        .map(|o| {
            let (present, current, error) = match standalone::file_state(&o.path, &o.content) {
                Ok((p, c)) => (p, c, String::new()),
                Err(e) => (false, false, e.to_string()),
            };
            PreparedItem {
                name: o.name.to_string(),
                target: o.server.to_string(),
                present,
                current,
                error,
            }
        })
        .collect()
}

/// One object "prepare" applies on a Kubernetes cluster.
pub struct KubeObject {
    pub name: String,
    pub target: &'static str,
    pub namespace: String,
    pub resource: ApiResource,
    pub body: Value,
}

/// Whether an object of this kind is one "prepare" writes. These carry the same labels as rule
/// objects (the monitoring stack selects by them), so the config check must know them by name:
/// they are never orphans, and repair never deletes them.
pub fn is_prepared(s: &ClusterSettings, object: &ObjectRef) -> bool {
    match object {
        ObjectRef::PrometheusRule { namespace, name } => {
            namespace == s.monitoring_ns() && name == presets::RECORDING_RULES_NAME
        }
        ObjectRef::AlertmanagerConfig { namespace, name } => {
            namespace == s.monitoring_ns() && name == GLOBAL_AM_CONFIG_NAME
        }
        _ => false,
    }
}

fn labels(selector_key: &str, name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
        (selector_key.to_string(), name.to_string()),
    ])
}

fn to_value<T: serde::Serialize>(v: &T) -> BackendResult<Value> {
    serde_json::to_value(v).map_err(|e| BackendError::Render(format!("rendering an object: {e}")))
}

/// The objects a Kubernetes cluster gets. The label keys are the ones the KubeGems monitoring
/// stack selects PrometheusRules and AlertmanagerConfigs by.
pub fn kube_objects(s: &ClusterSettings) -> BackendResult<Vec<KubeObject>> {
    let monitoring = s.monitoring_ns().to_string();
    let rules = Object::new::<PrometheusRule>(
        &monitoring,
        presets::RECORDING_RULES_NAME,
        labels(
            "prometheusrule.kubegems.io/name",
            presets::RECORDING_RULES_NAME,
        ),
        PrometheusRuleSpec {
            groups: presets::recording_rules().groups,
        },
    );
    let am = Object::new::<AlertmanagerConfig>(
        &monitoring,
        GLOBAL_AM_CONFIG_NAME,
        labels("alertmanagerconfig.kubegems.io/name", GLOBAL_AM_CONFIG_NAME),
        app::domain::am_config::global_spec(),
    );
    let loki_rules = app::domain::rule_file::render(&presets::loki_recording_rules())
        .map_err(BackendError::Render)?;
    let cm = ConfigMap {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(LOKI_RULES_CONFIGMAP.into()),
            namespace: Some(s.logging_ns().into()),
            labels: Some(BTreeMap::from([(
                MANAGED_BY.0.to_string(),
                MANAGED_BY.1.to_string(),
            )])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            format!("{}.yaml", presets::LOKI_RECORDING_RULES_NAME),
            loki_rules,
        )])),
        ..Default::default()
    };
    Ok(vec![
        KubeObject {
            name: presets::RECORDING_RULES_NAME.into(),
            target: "prometheus",
            namespace: monitoring.clone(),
            resource: PrometheusRule::api_resource(),
            body: to_value(&rules)?,
        },
        KubeObject {
            name: GLOBAL_AM_CONFIG_NAME.into(),
            target: "alertmanager",
            namespace: monitoring,
            resource: AlertmanagerConfig::api_resource(),
            body: to_value(&am)?,
        },
        KubeObject {
            name: LOKI_RULES_CONFIGMAP.into(),
            target: "loki",
            namespace: s.logging_ns().into(),
            resource: ApiResource::erase::<ConfigMap>(&()),
            body: to_value(&cm)?,
        },
    ])
}

/// The part of an object that says whether it is current: `spec`, or `data` for a ConfigMap.
fn payload(v: &Value) -> &Value {
    v.get("spec")
        .or_else(|| v.get("data"))
        .unwrap_or(&Value::Null)
}

pub async fn kube_prepare(
    client: &::kube::Client,
    s: &ClusterSettings,
) -> Result<Vec<PrepareResult>, ApiError> {
    let objects =
        kube_objects(s).map_err(|e| ApiError::invalid("settings", Code::ClusterObjects).arg(e))?;
    let mut out = Vec::new();
    for o in objects {
        let applied = kube::apply(client, &o.resource, Some(&o.namespace), &o.name, &o.body).await;
        let (outcome, detail) = match applied {
            Ok(Applied::Unchanged) => ("unchanged", String::new()),
            Ok(_) => ("written", String::new()),
            Err(e) => ("failed", e.to_string()),
        };
        out.push(PrepareResult {
            name: format!("{}/{}", o.namespace, o.name),
            target: o.target.into(),
            outcome: outcome.into(),
            detail,
        });
    }
    Ok(out)
}

pub async fn kube_state(client: &::kube::Client, s: &ClusterSettings) -> Vec<PreparedItem> {
    let objects = match kube_objects(s) {
        Ok(o) => o,
        Err(error) => return vec![not_renderable(error.to_string())],
    };
    let mut out = Vec::new();
    for o in objects {
        let live = kube::get(client, &o.resource, Some(&o.namespace), &o.name).await;
        let (present, current, error) = match live {
            Ok(Some(obj)) => {
                let live = serde_json::to_value(&obj).unwrap_or(Value::Null);
                (true, payload(&live) == payload(&o.body), String::new())
            }
            Ok(None) => (false, false, String::new()),
            Err(e) => (false, false, e.to_string()),
        };
        out.push(PreparedItem {
            name: format!("{}/{}", o.namespace, o.name),
            target: o.target.into(),
            present,
            current,
            error,
        });
    }
    out
}

pub async fn standalone_prepare(
    client: &reqwest::Client,
    settings: &ClusterSettings,
) -> Result<Vec<PrepareResult>, ApiError> {
    if settings.rules_dir.is_empty() {
        return Err(ApiError::invalid(
            "settings.rules_dir",
            Code::RequiredToPrepare,
        ));
    }
    let objects = standalone_objects(settings)
        .map_err(|e| ApiError::invalid("settings", Code::ClusterObjects).arg(e))?;
    let mut results = Vec::new();
    for o in objects {
        let outcome = standalone::apply_file(client, &o.path, &o.content, o.reload)
            .await
            .map_err(|why| {
                ApiError::new(http::StatusCode::BAD_GATEWAY, Code::ServerFailed)
                    .arg(o.server)
                    .arg(why)
            })?;
        results.push(PrepareResult {
            name: o.name.to_string(),
            target: o.server.to_string(),
            outcome: if outcome == FileWrite::Written {
                "written"
            } else {
                "unchanged"
            }
            .to_string(),
            detail: String::new(),
        });
    }
    Ok(results)
}

#[cfg(test)]
mod prepared_tests {
    use super::*;

    #[test]
    fn every_labelled_object_prepare_writes_is_known_as_prepared() {
        let s = ClusterSettings::default();
        let objects = kube_objects(&s).expect("objects");
        let labelled: Vec<_> = objects
            .iter()
            .filter(|o| o.resource.kind != "ConfigMap")
            .collect();
        assert_eq!(labelled.len(), 2);
        let object = |kind: &str, namespace: &str, name: &str| {
            ObjectRef::parse(kind, namespace, name).expect("a rule object kind")
        };
        for o in labelled {
            assert!(
                is_prepared(&s, &object(&o.resource.kind, &o.namespace, &o.name)),
                "{} {}/{}",
                o.resource.kind,
                o.namespace,
                o.name
            );
        }
        let recording = presets::RECORDING_RULES_NAME;
        assert!(!is_prepared(
            &s,
            &object("PrometheusRule", "demo", recording)
        ));
        assert!(!is_prepared(
            &s,
            &object("PrometheusRule", s.monitoring_ns(), "cpu-high")
        ));
    }
}
