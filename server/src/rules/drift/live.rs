//! Reading what a cluster holds: the Kubernetes objects labelled as Gemscope's, and the
//! standalone rule files and `alertmanager.yml`.

use super::*;

/// A namespace's Loki rules without one group; `None` when nothing is left.
pub(super) fn without_group(text: &str, group: &str) -> BackendResult<Option<RuleFile>> {
    let mut file = rule_file::parse(text).map_err(BackendError::Unreadable)?;
    file.groups.retain(|g| g.name != group);
    Ok((!file.groups.is_empty()).then_some(file))
}

pub(super) fn loki_file(s: &ClusterSettings, ns: &str) -> BackendResult<std::path::PathBuf> {
    RuleTarget {
        dir: &s.loki_rules_dir,
        name: &objects::standalone_loki_file(ns),
        reload: None,
    }
    .path()
}

/// A rule file that is missing or does not parse counts as absent.
pub(super) fn read_rule_file(path: &std::path::Path) -> BackendResult<Option<RuleFile>> {
    Ok(standalone::read_optional(path)?.and_then(|t| rule_file::parse(&t).ok()))
}

/// What a Kubernetes cluster holds of Gemscope's alert rules.
pub(super) struct KubeLive {
    pub(super) rules: HashMap<(String, String), Value>,
    pub(super) configs: HashMap<(String, String), Value>,
    /// Loki ConfigMap key (a namespace) → its rule file.
    pub(super) loki: BTreeMap<String, String>,
    /// Gemscope's Secrets (receiver URLs), by namespace and name, with their `data`.
    pub(super) secrets: HashMap<(String, String), Value>,
}

pub(super) fn by_name(items: Vec<kube::api::DynamicObject>) -> HashMap<(String, String), Value> {
    items
        .into_iter()
        .filter_map(|o| {
            let key = (o.metadata.namespace.clone()?, o.metadata.name.clone()?);
            Some((key, serde_json::to_value(&o).ok()?))
        })
        .collect()
}

pub(super) async fn kube_live(
    handle: &ClusterHandle,
    client: &kube::Client,
) -> BackendResult<KubeLive> {
    let rules = k::list_ours(
        client,
        &PrometheusRule::api_resource(),
        None,
        "prometheusrule.kubegems.io/name",
    )
    .await?;
    let configs = k::list_ours(
        client,
        &AlertmanagerConfig::api_resource(),
        None,
        "alertmanagerconfig.kubegems.io/name",
    )
    .await?;
    let cm: Api<ConfigMap> = Api::namespaced(client.clone(), handle.settings.logging_ns());
    let loki = cm
        .get_opt(LOKI_RULES_CONFIGMAP)
        .await?
        .and_then(|c| c.data)
        .unwrap_or_default()
        .into_iter()
        // Namespace names have no dots; keys with one are other files (the recording rules).
        .filter(|(key, _)| !key.contains('.'))
        .collect();
    let secrets = k::list_ours(
        client,
        &kube::core::ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&()),
        None,
        "",
    )
    .await?;
    Ok(KubeLive {
        rules: by_name(rules),
        configs: by_name(configs),
        loki,
        secrets: by_name(secrets),
    })
}

/// `alert_*.yml` in a directory, by file stem.
pub(super) fn rule_files(dir: &str) -> BackendResult<Vec<String>> {
    if dir.is_empty() {
        return Ok(Vec::new());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackendError::file("reading", std::path::Path::new(dir), e)),
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| n.strip_suffix(".yml").map(str::to_string))
        .filter(|n| n.starts_with("alert_"))
        .collect();
    out.sort();
    Ok(out)
}

pub(super) type Rendered = [(Stored, Result<RuleObject, ApiError>)];

/// A standalone cluster's `alertmanager.yml` as Gemscope would write it from every rule, and as
/// it is on disk (`None`: missing). `None` when no path is configured.
pub(super) fn am_files(
    s: &app::model::ClusterSettings,
    rules: &Rendered,
) -> BackendResult<Option<(Value, Option<Value>)>> {
    if s.alertmanager_config_path.is_empty() {
        return Ok(None);
    }
    let configs: Vec<NamespacedAmConfig> = rules
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok())
        .map(|r| NamespacedAmConfig {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            spec: r.am.clone(),
        })
        .collect();
    let expected =
        am_config::merge(&am_config::global_spec(), &configs).map_err(BackendError::Render)?;
    let expected = serde_norway::from_str::<Value>(&expected)
        .map_err(|e| BackendError::Render(e.to_string()))?;
    let live = standalone::read_optional(std::path::Path::new(&s.alertmanager_config_path))?
        .map(|t| serde_norway::from_str::<Value>(&t))
        .transpose()
        .map_err(|e| BackendError::Unreadable(format!("{}: {e}", s.alertmanager_config_path)))?;
    Ok(Some((expected, live)))
}

/// The part of a merged `alertmanager.yml` that belongs to one rule: its routes and receivers,
/// whose names carry the rule's `namespace/name/` prefix.
pub(super) fn am_part(file: &Value, prefix: &str) -> Value {
    fn mentions(route: &Value, prefix: &str) -> bool {
        route["receiver"]
            .as_str()
            .is_some_and(|r| r.starts_with(prefix))
            || route["routes"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(|r| mentions(r, prefix)))
    }
    let routes: Vec<&Value> = file["route"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| mentions(r, prefix))
        .collect();
    let receivers: Vec<&Value> = file["receivers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .collect();
    json!({"routes": routes, "receivers": receivers})
}

pub(super) fn is_empty_part(v: &Value) -> bool {
    v["routes"].as_array().is_none_or(|a| a.is_empty())
        && v["receivers"].as_array().is_none_or(|a| a.is_empty())
}
