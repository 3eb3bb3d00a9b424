//! `FileBackend`: a cluster without Kubernetes. A monitoring rule is a rule file in Prometheus'
//! rules directory, a namespace's logging rules are one file in the Loki ruler's directory, and
//! every rule's routing is merged into the one `alertmanager.yml`; each server reloads after a
//! write (the Loki ruler polls its directory).

use std::path::Path;

use app::domain::alert_rules as domain;
use app::domain::rule_objects::{self as objects, Desired, Live, ObjectRef, RuleObject};
use app::error::ApiError;
use app::model::{ClusterSettings, Component, PrepareResult, RuleFile};
use serde_json::Value;

use super::{FileWrite, RuleTarget, apply_file, apply_rules, read_optional, remove_rules};
use crate::clusters::backend::{BackendCheck, Change, ClusterBackend, Writes};
use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::prepare;
use crate::observe::endpoint::{self, Endpoint};

pub struct FileBackend {
    name: String,
    settings: ClusterSettings,
    http: reqwest::Client,
}

fn counted(o: FileWrite) -> Writes {
    usize::from(o == FileWrite::Written)
}

impl FileBackend {
    pub fn new(name: &str, settings: ClusterSettings, http: reqwest::Client) -> Self {
        Self {
            name: name.to_string(),
            settings,
            http,
        }
    }

    fn prometheus(&self) -> Option<&str> {
        Some(self.settings.prometheus_url.as_str()).filter(|u| !u.is_empty())
    }

    fn rule_target<'a>(&'a self, stem: &'a str) -> RuleTarget<'a> {
        RuleTarget {
            dir: &self.settings.rules_dir,
            name: stem,
            reload: self.prometheus(),
        }
    }

    fn loki_target<'a>(&'a self, stem: &'a str) -> RuleTarget<'a> {
        RuleTarget {
            dir: &self.settings.loki_rules_dir,
            name: stem,
            reload: None,
        }
    }

    /// The merged `alertmanager.yml` of every rule as a value; `None` without a config path.
    fn merged_alertmanager(&self, rules: &[RuleObject]) -> BackendResult<Option<Value>> {
        if self.settings.alertmanager_config_path.is_empty() {
            return Ok(None);
        }
        let text = objects::merged_alertmanager(rules).map_err(BackendError::Render)?;
        serde_norway::from_str(&text)
            .map(Some)
            .map_err(|e| BackendError::Render(e.to_string()))
    }

    /// `alert_*.yml` in a directory, by file stem.
    fn rule_files(dir: &str) -> BackendResult<Vec<String>> {
        if dir.is_empty() {
            return Ok(Vec::new());
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(BackendError::file("reading", Path::new(dir), e)),
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
}

#[async_trait::async_trait]
impl ClusterBackend for FileBackend {
    fn desired(&self, rules: &[RuleObject]) -> BackendResult<Vec<Vec<Desired>>> {
        let merged = self.merged_alertmanager(rules)?;
        rules
            .iter()
            .map(|r| {
                objects::file_objects(r, &self.settings, merged.as_ref())
                    .map_err(BackendError::Render)
            })
            .collect()
    }

    async fn live(&self) -> BackendResult<Live> {
        let s = &self.settings;
        let mut live = Live::default();
        for stem in Self::rule_files(&s.rules_dir)? {
            let path = self.rule_target(&stem).path()?;
            if let Some(text) = read_optional(&path)? {
                live.objects
                    .insert(ObjectRef::RuleFile { name: stem }, Value::String(text));
            }
        }
        // Every `alert_<namespace>.yml` in the Loki rules directory is Gemscope's.
        for stem in Self::rule_files(&s.loki_rules_dir)? {
            let Some(ns) = stem.strip_prefix("alert_") else {
                continue;
            };
            if let Some(text) = read_optional(&self.loki_target(&stem).path()?)? {
                live.objects.extend(objects::loki_live_groups(ns, &text));
            }
        }
        if !s.alertmanager_config_path.is_empty() {
            let path = Path::new(&s.alertmanager_config_path);
            if let Some(text) = read_optional(path)? {
                let file: Value = serde_norway::from_str(&text).map_err(|e| {
                    BackendError::Unreadable(format!("{}: {e}", s.alertmanager_config_path))
                })?;
                live.objects.extend(objects::routing_parts(&file));
            }
        }
        Ok(live)
    }

    async fn apply(&self, change: &Change<'_>) -> BackendResult<Writes> {
        let s = &self.settings;
        if s.alertmanager_config_path.is_empty() {
            return Err(BackendError::Settings(format!(
                "cluster {} has no Alertmanager config path, so its rules could not notify anyone",
                self.name
            )));
        }
        let mut writes = 0;
        let stem = objects::rule_file_stem(change.namespace, change.name);
        match change.after {
            Some(a) if a.kind == app::model::AlertType::Monitor => {
                let file = RuleFile {
                    groups: vec![a.group.clone()],
                };
                writes += counted(apply_rules(&self.http, &self.rule_target(&stem), &file).await?);
            }
            _ if change.drops_monitor() => {
                writes += counted(remove_rules(&self.http, &self.rule_target(&stem)).await?);
            }
            _ => {}
        }
        if change.touches_logs() {
            if s.loki_rules_dir.is_empty() {
                return Err(BackendError::Settings(format!(
                    "cluster {} has no Loki rules directory for logging rules",
                    self.name
                )));
            }
            let file = objects::loki_file_stem(change.namespace);
            let target = self.loki_target(&file);
            let groups = objects::loki_groups(change.rules, change.namespace);
            writes += counted(if groups.is_empty() {
                remove_rules(&self.http, &target).await?
            } else {
                apply_rules(&self.http, &target, &domain::loki_namespace_rules(groups)).await?
            });
        }
        let content = objects::merged_alertmanager(change.rules).map_err(BackendError::Render)?;
        let reload = Some(s.alertmanager_url.as_str()).filter(|u| !u.is_empty());
        writes += counted(
            apply_file(
                &self.http,
                Path::new(&s.alertmanager_config_path),
                &content,
                reload,
            )
            .await?,
        );
        Ok(writes)
    }

    async fn remove(&self, object: &ObjectRef) -> BackendResult<()> {
        match object {
            ObjectRef::LokiGroup { namespace, group } => {
                let stem = objects::loki_file_stem(namespace);
                let target = self.loki_target(&stem);
                let Some(text) = read_optional(&target.path()?)? else {
                    return Ok(());
                };
                match objects::without_group(&text, group).map_err(BackendError::Unreadable)? {
                    Some(rest) => apply_rules(&self.http, &target, &rest).await,
                    None => remove_rules(&self.http, &target).await,
                }
                .map(|_| ())
            }
            ObjectRef::RuleFile { name } => remove_rules(&self.http, &self.rule_target(name))
                .await
                .map(|_| ()),
            other => Err(BackendError::Settings(format!(
                "a standalone cluster holds no {}",
                other.kind()
            ))),
        }
    }

    fn needs_every_rule(&self) -> bool {
        // alertmanager.yml is merged from every rule.
        true
    }

    fn endpoints(&self) -> Vec<(Component, Endpoint, bool)> {
        endpoint::endpoints(&self.settings, None)
    }

    fn kubernetes(&self) -> Option<&kube::Client> {
        None
    }

    async fn check(&self) -> BackendCheck {
        BackendCheck {
            endpoints: crate::observe::probe::probe_all(&self.http, &self.endpoints()).await,
            crds: Vec::new(),
            prepared: prepare::standalone_state(&self.settings),
        }
    }

    async fn prepare(&self) -> Result<Vec<PrepareResult>, ApiError> {
        prepare::standalone_prepare(&self.http, &self.settings).await
    }
}
