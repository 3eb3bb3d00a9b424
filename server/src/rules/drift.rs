//! The config check (inventory §5.5): every rule of a cluster re-rendered from the database and
//! compared with what the cluster holds, template-based expressions generated again, and the
//! expression run once as a sanity query. Objects labelled as Gemscope's alert rules that no row
//! owns are orphans. Kubernetes: PrometheusRule, AlertmanagerConfig and the Loki rules ConfigMap
//! key (three list calls per cluster). Standalone: the rule files.

use std::collections::{BTreeMap, HashMap, HashSet};

use app::domain::alert_rules::{self as domain, am_config_labels, prometheus_rule_labels};
use app::domain::{am_config, receiver_secret, rule_file};
use app::error::ApiError;
use app::model::{
    AlertType, ClusterKind, ClusterSettings, NamespacedAmConfig, RuleFile, RuleGroup,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::objects::{self, RuleObject};
use super::store::{self, CheckDetail, Stored};
use super::{AlertRulesService, Place};
use crate::cluster::kube::crds::{AlertmanagerConfig, Crd, PrometheusRule};
use crate::cluster::kube::{self as k, FIELD_MANAGER};
use crate::cluster::prepare::LOKI_RULES_CONFIGMAP;
use crate::cluster::records::ClusterHandle;
use crate::cluster::standalone::{self, RuleTarget};
use crate::db::entities::{alert_rule, rule_orphan};
use crate::db::{internal, now};

pub const OK: &str = "ok";
pub const WARNING: &str = "warning";
pub const ERROR: &str = "error";

pub const KIND_PROMETHEUS_RULE: &str = "PrometheusRule";
pub const KIND_AM_CONFIG: &str = "AlertmanagerConfig";
pub const KIND_LOKI_RULES: &str = "LokiRules";
pub const KIND_RULE_FILE: &str = "RuleFile";

/// One rule's result.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Finding {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub diff: String,
}

impl Finding {
    pub fn status(&self) -> &'static str {
        if !self.errors.is_empty() {
            ERROR
        } else if !self.warnings.is_empty() {
            WARNING
        } else {
            OK
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrphanFound {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Default)]
pub struct ClusterCheck {
    pub rules: Vec<(i64, String, Finding)>,
    pub orphans: Vec<OrphanFound>,
}

/// Drops what a server may leave out of what it stores: nulls, empty strings, lists and maps
/// (the API server prunes them; KubeGems compared "empty" and "nil" as equal too).
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn yaml(v: &Value) -> String {
    serde_norway::to_string(&normalize(v.clone())).unwrap_or_default()
}

/// A unified diff, the database's rendering first.
pub fn unified(what: &str, expected: &str, live: &str) -> String {
    similar::TextDiff::from_lines(expected, live)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{what} (Gemscope database)"),
            &format!("{what} (cluster)"),
        )
        .to_string()
}

/// Hides the tokens in Gemscope's own receiver URLs (`/api/notify/<channel>/<token>` and
/// `token=<token>`): the drift report is a read API, and secrets never come back from one.
pub fn redact_tokens(text: &str) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let notify = rest.find("/api/notify/").map(|i| (i, "/api/notify/"));
        let query = rest.find("token=").map(|i| (i, "token="));
        let next = match (notify, query) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let Some((at, marker)) = next else {
            out.push_str(rest);
            return out;
        };
        let mut head = at + marker.len();
        if marker == "/api/notify/" {
            // The channel id stays; the segment after it is the token.
            let id_len = rest[head..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - head);
            head += id_len;
            if rest[head..].starts_with('/') {
                head += 1;
            }
        }
        out.push_str(&rest[..head]);
        let token_len = rest[head..]
            .find(|c: char| !is_token(c))
            .unwrap_or(rest.len() - head);
        if token_len > 0 {
            out.push_str("***");
        }
        rest = &rest[head + token_len..];
    }
}

/// Compares one object: `None` live means missing. Both sides are compared as they are; the diff
/// kept for the report has tokens hidden.
fn compare(f: &mut Finding, what: &str, expected: &str, live: Option<&str>) {
    match live {
        None => f.errors.push(format!("{what} is missing in the cluster")),
        Some(l) if l != expected => {
            f.errors.push(format!("{what} differs from the database"));
            f.diff.push_str(&redact_tokens(&unified(what, expected, l)));
        }
        Some(_) => {}
    }
}

/// An object's labels (only the keys Gemscope sets) and spec, for comparing.
fn labelled(labels: &BTreeMap<String, String>, live: &Value) -> String {
    let kept: BTreeMap<&String, &Value> = labels
        .keys()
        .filter_map(|k| live["metadata"]["labels"].get(k).map(|v| (k, v)))
        .collect();
    yaml(&json!({"metadata": {"labels": kept}, "spec": live["spec"]}))
}

fn expected_labelled(labels: &BTreeMap<String, String>, spec: Value) -> String {
    yaml(&json!({"metadata": {"labels": labels}, "spec": spec}))
}

fn group_of(file: &RuleFile, name: &str) -> Option<String> {
    file.groups
        .iter()
        .find(|g| g.name == name)
        .map(|g| yaml(&serde_json::to_value(g).unwrap_or(Value::Null)))
}

fn group_yaml(g: &RuleGroup) -> String {
    yaml(&serde_json::to_value(g).unwrap_or(Value::Null))
}

/// The groups of a namespace's Loki rules that no logging rule owns.
fn loki_orphans(
    ns: &str,
    file: &RuleFile,
    owned: &HashSet<(String, String)>,
    check: &mut ClusterCheck,
) {
    for g in &file.groups {
        if !owned.contains(&(ns.to_string(), g.name.clone())) {
            check.orphans.push(OrphanFound {
                kind: KIND_LOKI_RULES,
                namespace: ns.to_string(),
                name: g.name.clone(),
                content: redact_tokens(&group_yaml(g)),
            });
        }
    }
}

/// A namespace's Loki rules without one group; `None` when nothing is left.
fn without_group(text: &str, group: &str) -> Result<Option<RuleFile>, String> {
    let mut file = rule_file::parse(text)?;
    file.groups.retain(|g| g.name != group);
    Ok((!file.groups.is_empty()).then_some(file))
}

fn loki_file(s: &ClusterSettings, ns: &str) -> Result<std::path::PathBuf, String> {
    RuleTarget {
        dir: &s.loki_rules_dir,
        name: &objects::standalone_loki_file(ns),
        reload: None,
    }
    .path()
}

/// A rule file that is missing or does not parse counts as absent.
fn read_rule_file(path: &std::path::Path) -> Result<Option<RuleFile>, String> {
    Ok(standalone::read_optional(path)?.and_then(|t| rule_file::parse(&t).ok()))
}

/// What a Kubernetes cluster holds of Gemscope's alert rules.
struct KubeLive {
    rules: HashMap<(String, String), Value>,
    configs: HashMap<(String, String), Value>,
    /// Loki ConfigMap key (a namespace) → its rule file.
    loki: BTreeMap<String, String>,
    /// Gemscope's Secrets (receiver URLs), by namespace and name, with their `data`.
    secrets: HashMap<(String, String), Value>,
}

fn by_name(items: Vec<kube::api::DynamicObject>) -> HashMap<(String, String), Value> {
    items
        .into_iter()
        .filter_map(|o| {
            let key = (o.metadata.namespace.clone()?, o.metadata.name.clone()?);
            Some((key, serde_json::to_value(&o).ok()?))
        })
        .collect()
}

async fn kube_live(handle: &ClusterHandle, client: &kube::Client) -> Result<KubeLive, String> {
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
        .await
        .map_err(|e| k::describe(&e))?
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
fn rule_files(dir: &str) -> Result<Vec<String>, String> {
    if dir.is_empty() {
        return Ok(Vec::new());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {dir}: {e}")),
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

type Rendered = [(Stored, Result<RuleObject, ApiError>)];

/// A standalone cluster's `alertmanager.yml` as Gemscope would write it from every rule, and as
/// it is on disk (`None`: missing). `None` when no path is configured.
fn am_files(
    s: &app::model::ClusterSettings,
    rules: &Rendered,
) -> Result<Option<(Value, Option<Value>)>, String> {
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
    let expected = am_config::merge(&am_config::global_spec(), &configs)?;
    let parse = |text: &str| serde_norway::from_str::<Value>(text).map_err(|e| e.to_string());
    let live = standalone::read_optional(std::path::Path::new(&s.alertmanager_config_path))?
        .map(|t| parse(&t))
        .transpose()
        .map_err(|e| format!("{}: {e}", s.alertmanager_config_path))?;
    Ok(Some((parse(&expected)?, live)))
}

/// The part of a merged `alertmanager.yml` that belongs to one rule: its routes and receivers,
/// whose names carry the rule's `namespace/name/` prefix.
fn am_part(file: &Value, prefix: &str) -> Value {
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

fn is_empty_part(v: &Value) -> bool {
    v["routes"].as_array().is_none_or(|a| a.is_empty())
        && v["receivers"].as_array().is_none_or(|a| a.is_empty())
}

impl AlertRulesService {
    /// Every rule of the cluster and what it renders to now, from the database.
    async fn rendered_rules(
        &self,
        handle: &ClusterHandle,
    ) -> Result<Vec<(Stored, Result<RuleObject, ApiError>)>, ApiError> {
        let stored = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::ClusterId.eq(handle.id)),
        )
        .await?;
        let mut out = Vec::with_capacity(stored.len());
        for s in stored {
            let input = s.input();
            let target = s.target();
            let obj = match domain::from_stored(&input, &target) {
                Ok(r) => {
                    self.object(&self.db, handle, s.row.tenant_id, &target, &input, &r)
                        .await
                }
                Err(e) => Err(e),
            };
            out.push((s, obj));
        }
        Ok(out)
    }

    /// Template-based expressions generated again, and the expression run once.
    async fn second_opinion(&self, handle: &ClusterHandle, s: &Stored, f: &mut Finding) {
        let place = Place::of_rule(handle.clone(), s);
        let input = s.input();
        if input.promql_generator.is_some() && s.kind() == AlertType::Monitor {
            match self.template(&place, &input).await {
                Ok(t) => match domain::render(&input, &s.target(), t.as_ref()) {
                    Ok(r) => {
                        let now = r.stored(&input).expr;
                        if now != s.row.expr {
                            f.warnings.push(format!(
                                "its template changed: the expression would now be {now}"
                            ));
                        }
                    }
                    Err(e) => f
                        .errors
                        .push(format!("its template no longer renders: {}", e.message)),
                },
                Err(e) => f.errors.push(format!("its template: {}", e.message)),
            }
        }
        match self.instant(&place, s.kind(), &s.row.expr).await {
            Ok(series) if series.is_empty() => f
                .warnings
                .push("the expression returns no series now".to_string()),
            Ok(series) => {
                let namespaced = s.row.environment_id.is_some();
                if namespaced && series.iter().any(|x| !x.labels.contains_key("namespace")) {
                    f.warnings.push(
                        "some series of the expression have no namespace label, so they cannot be routed to the environment".to_string(),
                    );
                }
            }
            Err(e) => f
                .warnings
                .push(format!("the sanity query failed: {}", e.message)),
        }
    }

    /// Checks one cluster. An error means the cluster could not be read at all.
    pub async fn check_cluster(&self, handle: &ClusterHandle) -> Result<ClusterCheck, String> {
        let rules = self.rendered_rules(handle).await.map_err(|e| e.message)?;
        let mut check = ClusterCheck::default();
        match (handle.kind, &handle.client) {
            (ClusterKind::Kubernetes, Some(client)) => {
                let live = kube_live(handle, client).await?;
                self.check_kube(handle, &rules, &live, &mut check).await;
            }
            (ClusterKind::Kubernetes, None) => return Err("no Kubernetes client".into()),
            (ClusterKind::Standalone, _) => self.check_files(handle, &rules, &mut check).await?,
        }
        Ok(check)
    }

    async fn check_kube(
        &self,
        handle: &ClusterHandle,
        rules: &[(Stored, Result<RuleObject, ApiError>)],
        live: &KubeLive,
        check: &mut ClusterCheck,
    ) {
        let mut owned_rules = HashSet::new();
        let mut owned_configs = HashSet::new();
        let mut owned_groups = HashSet::new();
        for (s, obj) in rules {
            let key = (s.row.namespace.clone(), s.row.name.clone());
            owned_configs.insert(key.clone());
            let mut f = Finding::default();
            match obj {
                Err(e) => f.errors.push(format!("it does not render: {}", e.message)),
                Ok(obj) => {
                    let (ns, name) = (&obj.namespace, &obj.name);
                    match obj.kind {
                        AlertType::Monitor => {
                            owned_rules.insert(key.clone());
                            let labels = prometheus_rule_labels(name);
                            let expected =
                                expected_labelled(&labels, json!({"groups": [&obj.group]}));
                            let got = live.rules.get(&key).map(|v| labelled(&labels, v));
                            compare(
                                &mut f,
                                &format!("{KIND_PROMETHEUS_RULE} {ns}/{name}"),
                                &expected,
                                got.as_deref(),
                            );
                        }
                        AlertType::Logging => {
                            owned_groups.insert((ns.clone(), obj.group.name.clone()));
                            let got = live
                                .loki
                                .get(ns)
                                .and_then(|text| rule_file::parse(text).ok())
                                .and_then(|file| group_of(&file, &obj.group.name));
                            compare(
                                &mut f,
                                &format!("Loki rules {ns}/{}", obj.group.name),
                                &group_yaml(&obj.group),
                                got.as_deref(),
                            );
                        }
                    }
                    let labels = am_config_labels(obj.kind, name);
                    let (am, urls) = receiver_secret::with_url_secrets(&obj.am, name);
                    let expected = expected_labelled(
                        &labels,
                        serde_json::to_value(&am).unwrap_or(Value::Null),
                    );
                    // The URLs carry tokens: a difference is reported, never shown.
                    let secret = receiver_secret::secret_name(name);
                    let want = crate::rules::objects::receiver_secret_object(ns, name, &urls);
                    match live.secrets.get(&(ns.clone(), secret.clone())) {
                        None => f.errors.push(format!("Secret {ns}/{secret} is missing in the cluster")),
                        Some(v) if v["data"] != want["data"] => f.errors.push(format!(
                            "Secret {ns}/{secret} does not hold the receiver URLs the database renders"
                        )),
                        Some(_) => {}
                    }
                    let got = live.configs.get(&key).map(|v| labelled(&labels, v));
                    compare(
                        &mut f,
                        &format!("{KIND_AM_CONFIG} {ns}/{name}"),
                        &expected,
                        got.as_deref(),
                    );
                }
            }
            self.second_opinion(handle, s, &mut f).await;
            check.rules.push((s.row.id, s.row.name.clone(), f));
        }
        let prepared = |kind: &str, ns: &str, name: &str| {
            crate::cluster::prepare::is_prepared(&handle.settings, kind, ns, name)
        };
        for ((ns, name), v) in &live.rules {
            if !owned_rules.contains(&(ns.clone(), name.clone()))
                && !prepared(KIND_PROMETHEUS_RULE, ns, name)
            {
                check.orphans.push(OrphanFound {
                    kind: KIND_PROMETHEUS_RULE,
                    namespace: ns.clone(),
                    name: name.clone(),
                    content: redact_tokens(&yaml(&v["spec"])),
                });
            }
        }
        for ((ns, name), v) in &live.configs {
            if !owned_configs.contains(&(ns.clone(), name.clone()))
                && !prepared(KIND_AM_CONFIG, ns, name)
            {
                check.orphans.push(OrphanFound {
                    kind: KIND_AM_CONFIG,
                    namespace: ns.clone(),
                    name: name.clone(),
                    content: redact_tokens(&yaml(&v["spec"])),
                });
            }
        }
        for (ns, text) in &live.loki {
            if let Ok(file) = rule_file::parse(text) {
                loki_orphans(ns, &file, &owned_groups, check);
            }
        }
    }

    async fn check_files(
        &self,
        handle: &ClusterHandle,
        rules: &Rendered,
        check: &mut ClusterCheck,
    ) -> Result<(), String> {
        let s = &handle.settings;
        let mut owned = HashSet::new();
        let mut owned_groups = HashSet::new();
        let mut loki_files: HashMap<String, Option<RuleFile>> = HashMap::new();
        let am = am_files(s, rules)?;
        for (stored, obj) in rules {
            let mut f = Finding::default();
            if let (Ok(obj), Some((expected, live))) = (obj, &am) {
                let prefix = format!("{}/{}/", obj.namespace, obj.name);
                let got = live.as_ref().map(|l| am_part(l, &prefix));
                compare(
                    &mut f,
                    &format!("alertmanager.yml routing of {}/{}", obj.namespace, obj.name),
                    &yaml(&am_part(expected, &prefix)),
                    got.as_ref()
                        .filter(|v| !is_empty_part(v))
                        .map(yaml)
                        .as_deref(),
                );
            }
            match obj {
                Err(e) => f.errors.push(format!("it does not render: {}", e.message)),
                Ok(obj) if obj.kind == AlertType::Monitor => {
                    let stem = objects::standalone_rule_file(&obj.namespace, &obj.name);
                    let path = RuleTarget {
                        dir: &s.rules_dir,
                        name: &stem,
                        reload: None,
                    }
                    .path()?;
                    owned.insert(stem);
                    let expected = rule_file::render(&RuleFile {
                        groups: vec![obj.group.clone()],
                    })?;
                    compare(
                        &mut f,
                        &format!("{KIND_RULE_FILE} {}", path.display()),
                        &expected,
                        standalone::read_optional(&path)?.as_deref(),
                    );
                }
                Ok(obj) => {
                    let path = loki_file(s, &obj.namespace)?;
                    owned_groups.insert((obj.namespace.clone(), obj.group.name.clone()));
                    if !loki_files.contains_key(&obj.namespace) {
                        loki_files.insert(obj.namespace.clone(), read_rule_file(&path)?);
                    }
                    let got = loki_files
                        .get(&obj.namespace)
                        .and_then(|f| f.as_ref())
                        .and_then(|file| group_of(file, &obj.group.name));
                    compare(
                        &mut f,
                        &format!("Loki rules {}", path.display()),
                        &group_yaml(&obj.group),
                        got.as_deref(),
                    );
                }
            }
            self.second_opinion(handle, stored, &mut f).await;
            check
                .rules
                .push((stored.row.id, stored.row.name.clone(), f));
        }
        for stem in rule_files(&s.rules_dir)? {
            if !owned.contains(&stem) {
                let path = std::path::Path::new(&s.rules_dir).join(format!("{stem}.yml"));
                check.orphans.push(OrphanFound {
                    kind: KIND_RULE_FILE,
                    namespace: String::new(),
                    name: stem,
                    content: redact_tokens(&standalone::read_optional(&path)?.unwrap_or_default()),
                });
            }
        }
        // Every `alert_<namespace>.yml` in the Loki rules directory is Gemscope's; a group in one
        // that no logging rule owns is an orphan.
        for stem in rule_files(&s.loki_rules_dir)? {
            let Some(ns) = stem.strip_prefix("alert_") else {
                continue;
            };
            let file = match loki_files.remove(ns) {
                Some(file) => file,
                None => read_rule_file(&loki_file(s, ns)?)?,
            };
            if let Some(file) = file {
                loki_orphans(ns, &file, &owned_groups, check);
            }
        }
        Ok(())
    }

    /// Stores a cluster's results: each rule's status, and the orphans found (replacing the
    /// previous ones), in one transaction. Returns (drifted, orphans).
    pub async fn record_check(
        &self,
        cluster_id: i64,
        check: &ClusterCheck,
    ) -> Result<(u64, u64), ApiError> {
        let t = now();
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        let mut drifted = 0;
        for (id, _, f) in &check.rules {
            if f.status() == ERROR {
                drifted += 1;
            }
            let detail = CheckDetail {
                problems: f.errors.iter().chain(&f.warnings).cloned().collect(),
                diff: f.diff.clone(),
            };
            let update = alert_rule::ActiveModel {
                id: Set(*id),
                check_status: Set(f.status().to_string()),
                check_detail: Set(Some(
                    serde_json::to_string(&detail).map_err(|_| ApiError::internal())?,
                )),
                checked_at: Set(t),
                ..Default::default()
            };
            match alert_rule::Entity::update(update).exec(&txn).await {
                Ok(_) | Err(sea_orm::DbErr::RecordNotUpdated) => {}
                Err(e) => return Err(internal(e)),
            }
        }
        // Orphans still there keep their row (and id, which an open page may act on); gone ones
        // are dropped, new ones added.
        let known = rule_orphan::Entity::find()
            .filter(rule_orphan::Column::ClusterId.eq(cluster_id))
            .all(&txn)
            .await
            .map_err(internal)?;
        let key = |kind: &str, ns: &str, name: &str| format!("{kind}\u{0}{ns}\u{0}{name}");
        let found: HashSet<String> = check
            .orphans
            .iter()
            .map(|o| key(o.kind, &o.namespace, &o.name))
            .collect();
        let gone: Vec<i64> = known
            .iter()
            .filter(|o| !found.contains(&key(&o.kind, &o.namespace, &o.name)))
            .map(|o| o.id)
            .collect();
        if !gone.is_empty() {
            rule_orphan::Entity::delete_many()
                .filter(rule_orphan::Column::Id.is_in(gone))
                .exec(&txn)
                .await
                .map_err(internal)?;
        }
        let kept: HashSet<String> = known
            .iter()
            .map(|o| key(&o.kind, &o.namespace, &o.name))
            .collect();
        let fresh: Vec<rule_orphan::ActiveModel> = check
            .orphans
            .iter()
            .filter(|o| !kept.contains(&key(o.kind, &o.namespace, &o.name)))
            .map(|o| rule_orphan::ActiveModel {
                cluster_id: Set(cluster_id),
                kind: Set(o.kind.to_string()),
                namespace: Set(o.namespace.clone()),
                name: Set(o.name.clone()),
                content: Set(Some(o.content.clone())),
                found_at: Set(t),
                ..Default::default()
            })
            .collect();
        if !fresh.is_empty() {
            rule_orphan::Entity::insert_many(fresh)
                .exec_without_returning(&txn)
                .await
                .map_err(internal)?;
        }
        txn.commit().await.map_err(internal)?;
        Ok((drifted, check.orphans.len() as u64))
    }

    /// Writes a rule again from the database (server-side apply, or its file). Returns its
    /// `namespace/name` and cluster.
    pub async fn rewrite_rule(&self, id: i64) -> Result<(String, ClusterHandle), ApiError> {
        let s = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::Id.eq(id)),
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("alert rule"))?;
        let handle = self.clusters.handle(s.row.cluster_id).await?;
        let place = Place::of_rule(handle.clone(), &s);
        let r = self.resync_one(&place, &s).await;
        self.record_sync(s.row.id, &r).await;
        r?;
        Ok((format!("{}/{}", s.row.namespace, s.row.name), handle))
    }

    /// Writes a rule again, then checks its cluster again so the page shows the result. A rule
    /// whose objects still differ from the database afterwards is a failed repair.
    pub async fn repair_rule(&self, id: i64) -> Result<String, ApiError> {
        let (name, handle) = self.rewrite_rule(id).await?;
        let check = self.recheck(&handle).await?;
        still_drifted(&check, id, &name)?;
        Ok(name)
    }

    /// Checks a cluster again and stores the result.
    pub async fn recheck(&self, handle: &ClusterHandle) -> Result<ClusterCheck, ApiError> {
        let check = self.check_cluster(handle).await.map_err(|e| {
            ApiError::new(
                http::StatusCode::BAD_GATEWAY,
                format!("cluster {}: {e}", handle.name),
            )
        })?;
        self.record_check(handle.id, &check).await?;
        Ok(check)
    }

    /// Deletes an orphan from its cluster, unless a rule owns it by now.
    pub async fn remove_orphan(&self, id: i64) -> Result<String, ApiError> {
        let o = rule_orphan::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found("orphan"))?;
        let handle = self.clusters.handle(o.cluster_id).await?;
        let owned = match o.kind.as_str() {
            // A logging rule's group is named after the rule.
            KIND_LOKI_RULES => store::one(&self.db, o.cluster_id, &o.namespace, &o.name)
                .await?
                .is_some_and(|s| s.kind() == AlertType::Logging),
            KIND_RULE_FILE => store::load(
                &self.db,
                Condition::all().add(alert_rule::Column::ClusterId.eq(o.cluster_id)),
            )
            .await?
            .iter()
            .any(|s| objects::standalone_rule_file(&s.row.namespace, &s.row.name) == o.name),
            _ => store::one(&self.db, o.cluster_id, &o.namespace, &o.name)
                .await?
                .is_some(),
        };
        let prepared =
            crate::cluster::prepare::is_prepared(&handle.settings, &o.kind, &o.namespace, &o.name);
        if owned || prepared {
            let why = if prepared {
                "is written by prepare"
            } else {
                "belongs to a rule now"
            };
            return Err(ApiError::new(
                http::StatusCode::CONFLICT,
                format!(
                    "{} {}/{} {why}; run the check again",
                    o.kind, o.namespace, o.name
                ),
            ));
        }
        let _guard = self.lock(o.cluster_id).await;
        delete_object(&handle, &self.http, &o)
            .await
            .map_err(|e| super::cluster_error(&handle, e))?;
        rule_orphan::Entity::delete_by_id(o.id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(format!("{} {}/{}", o.kind, o.namespace, o.name))
    }
}

/// A repaired rule whose check still finds its objects different: the repair did not take.
pub(crate) fn still_drifted(check: &ClusterCheck, id: i64, name: &str) -> Result<(), ApiError> {
    match check.rules.iter().find(|(rule, ..)| *rule == id) {
        Some((_, _, f)) if f.status() == ERROR => Err(ApiError::new(
            http::StatusCode::BAD_GATEWAY,
            format!(
                "{name} still differs from the database after the repair: {}",
                f.errors.join("; ")
            ),
        )),
        _ => Ok(()),
    }
}

async fn delete_object(
    handle: &ClusterHandle,
    http: &reqwest::Client,
    o: &rule_orphan::Model,
) -> Result<(), String> {
    match (o.kind.as_str(), &handle.client) {
        (KIND_PROMETHEUS_RULE, Some(c)) => {
            k::delete(
                c,
                &PrometheusRule::api_resource(),
                Some(&o.namespace),
                &o.name,
            )
            .await
        }
        (KIND_AM_CONFIG, Some(c)) => {
            k::delete(
                c,
                &AlertmanagerConfig::api_resource(),
                Some(&o.namespace),
                &o.name,
            )
            .await
        }
        (KIND_LOKI_RULES, Some(c)) => remove_loki_group(handle, c, &o.namespace, &o.name).await,
        (KIND_LOKI_RULES, None) if handle.kind == ClusterKind::Standalone => {
            let stem = objects::standalone_loki_file(&o.namespace);
            let target = RuleTarget {
                dir: &handle.settings.loki_rules_dir,
                name: &stem,
                reload: None,
            };
            let Some(text) = standalone::read_optional(&target.path()?)? else {
                return Ok(());
            };
            match without_group(&text, &o.name)? {
                Some(rest) => standalone::apply_rules(http, &target, &rest).await,
                None => standalone::remove_rules(http, &target).await,
            }
            .map(|_| ())
        }
        (KIND_RULE_FILE, _) => {
            let reload = Some(handle.settings.prometheus_url.as_str()).filter(|u| !u.is_empty());
            standalone::remove_rules(
                http,
                &RuleTarget {
                    dir: &handle.settings.rules_dir,
                    name: &o.name,
                    reload,
                },
            )
            .await
            .map(|_| ())
        }
        (kind, _) => Err(format!("cannot delete a {kind} from this cluster")),
    }
}

/// Takes one group out of a namespace's key of the Loki rules ConfigMap.
async fn remove_loki_group(
    handle: &ClusterHandle,
    client: &kube::Client,
    ns: &str,
    group: &str,
) -> Result<(), String> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), handle.settings.logging_ns());
    let Some(cm) = api
        .get_opt(LOKI_RULES_CONFIGMAP)
        .await
        .map_err(|e| k::describe(&e))?
    else {
        return Ok(());
    };
    let Some(text) = cm.data.as_ref().and_then(|d| d.get(ns)) else {
        return Ok(());
    };
    let value = match without_group(text, group)? {
        Some(rest) => Value::String(serde_norway::to_string(&rest).map_err(|e| e.to_string())?),
        None => Value::Null,
    };
    api.patch(
        LOKI_RULES_CONFIGMAP,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        },
        &Patch::Merge(&json!({"data": {ns: value}})),
    )
    .await
    .map_err(|e| k::describe(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orphan_group_is_taken_out_of_its_file() {
        let file = "groups:\n- name: a\n  rules:\n  - alert: a\n    expr: vector(1)\n\
                    - name: b\n  rules:\n  - alert: b\n    expr: vector(2)\n";
        let cases = [
            ("a", Some(vec!["b"])),
            ("b", Some(vec!["a"])),
            ("c", Some(vec!["a", "b"])),
        ];
        for (group, left) in cases {
            let got = without_group(file, group)
                .unwrap()
                .map(|f| f.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
            assert_eq!(
                got,
                left.map(|l| l.iter().map(|n| n.to_string()).collect()),
                "{group}"
            );
        }
        let one = "groups:\n- name: a\n  rules:\n  - alert: a\n    expr: vector(1)\n";
        assert!(without_group(one, "a").unwrap().is_none(), "nothing left");
        assert!(without_group("groups: [", "a").is_err(), "not YAML");
    }

    #[test]
    fn empty_values_do_not_count_as_drift() {
        let ours = json!({"spec": {"groups": [{"name": "a", "interval": null, "rules": [{"alert": "a", "labels": {}, "annotations": {"m": "x"}}]}]}});
        let theirs = json!({"spec": {"groups": [{"name": "a", "rules": [{"alert": "a", "annotations": {"m": "x"}}]}]}});
        assert_eq!(yaml(&ours), yaml(&theirs));
        let edited = json!({"spec": {"groups": [{"name": "a", "rules": [{"alert": "a", "annotations": {"m": "y"}}]}]}});
        assert_ne!(yaml(&ours), yaml(&edited));
    }

    #[test]
    fn a_rules_part_of_alertmanager_yml_is_its_routes_and_receivers() {
        let file = json!({
            "route": {"receiver": "null", "routes": [
                {"receiver": "shop/cpu/hook", "routes": []},
                {"receiver": "null", "routes": [{"receiver": "shop/mem/hook"}]},
            ]},
            "receivers": [{"name": "null"}, {"name": "shop/cpu/hook", "webhook_configs": [{"url": "x"}]},
                          {"name": "shop/mem/hook"}],
        });
        let cpu = am_part(&file, "shop/cpu/");
        assert_eq!(cpu["routes"].as_array().unwrap().len(), 1);
        assert_eq!(cpu["receivers"][0]["webhook_configs"][0]["url"], "x");
        let mem = am_part(&file, "shop/mem/");
        assert_eq!(mem["routes"][0]["routes"][0]["receiver"], "shop/mem/hook");
        assert!(is_empty_part(&am_part(&file, "shop/gone/")));
        assert!(!is_empty_part(&cpu));
    }

    #[test]
    fn receiver_tokens_never_reach_the_report() {
        let cases = [
            (
                "url: https://g.example/api/notify/12/AbC-_9x\n",
                "url: https://g.example/api/notify/12/***\n",
            ),
            (
                "- url: http://g/api/alertmanager/webhook?cluster=3&token=s3cr3t\n",
                "- url: http://g/api/alertmanager/webhook?cluster=3&token=***\n",
            ),
            (
                "-  url: 'http://a/api/notify/1/t1' # token=t2&x=1",
                "-  url: 'http://a/api/notify/1/***' # token=***&x=1",
            ),
            ("expr: up == 0\n", "expr: up == 0\n"),
            ("token=", "token="),
        ];
        for (input, want) in cases {
            assert_eq!(redact_tokens(input), want, "{input}");
        }
    }

    #[test]
    fn a_finding_is_as_bad_as_its_worst_problem() {
        let cases = [
            (vec![], vec![], OK),
            (vec![], vec!["w".to_string()], WARNING),
            (vec!["e".to_string()], vec!["w".to_string()], ERROR),
        ];
        for (errors, warnings, want) in cases {
            let f = Finding {
                errors,
                warnings,
                diff: String::new(),
            };
            assert_eq!(f.status(), want);
        }
    }

    #[test]
    fn comparing_reports_missing_and_changed_objects_with_a_diff() {
        let mut f = Finding::default();
        compare(&mut f, "PrometheusRule a/b", "x: 1\n", None);
        compare(&mut f, "AlertmanagerConfig a/b", "x: 1\n", Some("x: 2\n"));
        compare(&mut f, "same", "x: 1\n", Some("x: 1\n"));
        assert_eq!(
            f.errors,
            vec![
                "PrometheusRule a/b is missing in the cluster",
                "AlertmanagerConfig a/b differs from the database"
            ]
        );
        assert!(f.diff.contains("-x: 1\n+x: 2\n"), "{}", f.diff);
        assert!(f.diff.contains("(Gemscope database)"));
    }
}
