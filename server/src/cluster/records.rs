//! Cluster records. Secrets (kubeconfig, bearer token) are sealed with the server's key and are
//! never part of a read: the API only says whether one is stored.

use std::sync::Arc;

use app::api::clusters::ClustersPort;
use app::api::context::Caller;
use app::domain::presets;
use app::domain::validate;
use app::error::ApiError;
use app::model::{
    Cluster, ClusterCheck, ClusterInput, ClusterKind, ClusterRef, ClusterSettings, EndpointHealth,
    PrepareResult, PreparedItem, Role, RuleFile,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::auth::authz::{require_system_admin, tenant_ids};
use crate::auth::secrets::SecretBox;
use crate::cluster::standalone::{self, Outcome, RuleTarget};
use crate::db::entities::{cluster, environment};
use crate::db::{conflict_or_internal, internal, now, rfc3339};

pub struct ClustersService {
    pub db: DatabaseConnection,
    pub secrets: Arc<SecretBox>,
    pub http: reqwest::Client,
}

/// What is sealed in the `secrets` column.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ClusterSecrets {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kubeconfig: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bearer_token: String,
}

impl ClusterSecrets {
    /// `None` keeps a value, `Some("")` clears it, anything else replaces it.
    fn merge(mut self, kubeconfig: Option<String>, bearer_token: Option<String>) -> Self {
        if let Some(k) = kubeconfig {
            self.kubeconfig = k;
        }
        if let Some(t) = bearer_token {
            self.bearer_token = t;
        }
        self
    }
}

impl ClustersService {
    fn unseal(&self, row: &cluster::Model) -> Result<ClusterSecrets, ApiError> {
        match &row.secrets {
            None => Ok(ClusterSecrets::default()),
            Some(sealed) => {
                let json = self.secrets.open(sealed).map_err(|e| {
                    tracing::error!(cluster = %row.name, error = %e, "cannot open cluster secrets");
                    ApiError::internal()
                })?;
                serde_json::from_str(&json).map_err(|e| {
                    tracing::error!(cluster = %row.name, error = %e, "cluster secrets are not valid JSON");
                    ApiError::internal()
                })
            }
        }
    }

    fn seal(&self, s: &ClusterSecrets) -> Result<Option<String>, ApiError> {
        if *s == ClusterSecrets::default() {
            return Ok(None);
        }
        let json = serde_json::to_string(s).map_err(|_| ApiError::internal())?;
        self.secrets.seal(&json).map(Some).map_err(|e| {
            tracing::error!(error = %e, "sealing cluster secrets");
            ApiError::internal()
        })
    }

    fn view(&self, row: cluster::Model) -> Result<Cluster, ApiError> {
        let secrets = self.unseal(&row)?;
        Ok(Cluster {
            id: row.id,
            kind: ClusterKind::parse(&row.kind).unwrap_or_default(),
            settings: serde_json::from_str::<ClusterSettings>(&row.settings).unwrap_or_default(),
            has_kubeconfig: !secrets.kubeconfig.is_empty(),
            has_bearer_token: !secrets.bearer_token.is_empty(),
            created_at: rfc3339(row.created_at),
            last_check: row
                .last_check
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            name: row.name,
            description: row.description,
        })
    }

    async fn find(&self, id: i64) -> Result<cluster::Model, ApiError> {
        cluster::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found("cluster"))
    }

    /// The decrypted secrets, for the server's own use (connecting); never sent to a browser.
    pub async fn secrets_of(&self, id: i64) -> Result<ClusterSecrets, ApiError> {
        let row = self.find(id).await?;
        self.unseal(&row)
    }
}

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

fn standalone_objects(s: &ClusterSettings) -> Result<Vec<Prepared<'_>>, String> {
    let rules = |dir: &str,
                 name: &'static str,
                 file: &RuleFile|
     -> Result<(std::path::PathBuf, String), String> {
        Ok((
            RuleTarget {
                dir,
                name,
                reload: None,
            }
            .path()?,
            app::domain::rule_file::render(file)?,
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
        let content = app::domain::am_config::merge(&app::domain::am_config::global_spec(), &[])?;
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
fn prepared_state(kind: &str, s: &ClusterSettings) -> Vec<PreparedItem> {
    if kind != ClusterKind::Standalone.as_str() || s.rules_dir.is_empty() {
        return Vec::new();
    }
    let objects = match standalone_objects(s) {
        Ok(o) => o,
        Err(error) => {
            return vec![PreparedItem {
                name: presets::RECORDING_RULES_NAME.into(),
                target: "prometheus".into(),
                present: false,
                current: false,
                error,
            }];
        }
    };
    objects
        .into_iter()
        .map(|o| {
            let (present, current, error) = match standalone::file_state(&o.path, &o.content) {
                Ok((p, c)) => (p, c, String::new()),
                Err(e) => (false, false, e),
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

fn settings_json(s: &ClusterSettings) -> Result<String, ApiError> {
    serde_json::to_string(s).map_err(|_| ApiError::internal())
}

#[async_trait::async_trait]
impl ClustersPort for ClustersService {
    async fn list(&self, caller: &Caller) -> Result<Vec<Cluster>, ApiError> {
        require_system_admin(caller)?;
        let rows = cluster::Entity::find()
            .order_by_asc(cluster::Column::Name)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(|r| self.view(r)).collect()
    }

    async fn get(&self, caller: &Caller, cluster_id: i64) -> Result<Cluster, ApiError> {
        require_system_admin(caller)?;
        let row = self.find(cluster_id).await?;
        self.view(row)
    }

    async fn refs(&self, caller: &Caller) -> Result<Vec<ClusterRef>, ApiError> {
        if !caller.is_system_admin
            && tenant_ids(&self.db, caller.user_id, Role::Admin)
                .await?
                .is_empty()
        {
            return Err(ApiError::forbidden());
        }
        let rows = cluster::Entity::find()
            .order_by_asc(cluster::Column::Name)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| ClusterRef {
                id: r.id,
                name: r.name,
            })
            .collect())
    }

    async fn create(&self, caller: &Caller, input: ClusterInput) -> Result<Cluster, ApiError> {
        require_system_admin(caller)?;
        validate::cluster_input(&input)?;
        let secrets = ClusterSecrets::default().merge(input.kubeconfig, input.bearer_token);
        let at = now();
        let row = cluster::ActiveModel {
            name: Set(input.name),
            description: Set(input.description),
            kind: Set(input.kind.as_str().to_string()),
            settings: Set(settings_json(&input.settings)?),
            secrets: Set(self.seal(&secrets)?),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", "a cluster with this name already exists"))?;
        self.view(row)
    }

    async fn update(
        &self,
        caller: &Caller,
        cluster_id: i64,
        input: ClusterInput,
    ) -> Result<Cluster, ApiError> {
        require_system_admin(caller)?;
        validate::cluster_input(&input)?;
        let row = self.find(cluster_id).await?;
        let secrets = self
            .unseal(&row)?
            .merge(input.kubeconfig, input.bearer_token);
        let mut am = row.into_active_model();
        am.name = Set(input.name);
        am.description = Set(input.description);
        am.kind = Set(input.kind.as_str().to_string());
        am.settings = Set(settings_json(&input.settings)?);
        am.secrets = Set(self.seal(&secrets)?);
        am.updated_at = Set(now());
        let row = am.update(&self.db).await.map_err(|e| {
            conflict_or_internal(e, "name", "a cluster with this name already exists")
        })?;
        self.view(row)
    }

    async fn delete(&self, caller: &Caller, cluster_id: i64) -> Result<(), ApiError> {
        require_system_admin(caller)?;
        self.find(cluster_id).await?;
        let in_use = environment::Entity::find()
            .filter(environment::Column::ClusterId.eq(cluster_id))
            .count(&self.db)
            .await
            .map_err(internal)?;
        if in_use > 0 {
            return Err(ApiError::conflict(
                "cluster_id",
                format!("{in_use} environment(s) still use this cluster; delete them first"),
            ));
        }
        cluster::Entity::delete_by_id(cluster_id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn test(&self, caller: &Caller, cluster_id: i64) -> Result<ClusterCheck, ApiError> {
        require_system_admin(caller)?;
        let row = self.find(cluster_id).await?;
        let settings: ClusterSettings = serde_json::from_str(&row.settings).unwrap_or_default();
        let mut endpoints = crate::observe::probe::probe_all(&self.http, &settings).await;
        if row.kind == ClusterKind::Kubernetes.as_str() {
            // Honest until the Kubernetes backend lands: the API server itself was not checked.
            endpoints.insert(
                0,
                EndpointHealth {
                    component: "kubernetes".into(),
                    url: settings.api_server.clone(),
                    ok: false,
                    version: String::new(),
                    error: "not checked: the Kubernetes backend is not available yet".into(),
                    latency_ms: 0,
                },
            );
        }
        if endpoints.is_empty() {
            return Err(ApiError::invalid(
                "settings",
                "no endpoint is configured to test",
            ));
        }
        let check = ClusterCheck {
            checked_at: rfc3339(now()),
            reachable: endpoints.iter().all(|e| e.ok),
            endpoints,
            prepared: prepared_state(&row.kind, &settings),
        };
        let json = serde_json::to_string(&check).map_err(|_| ApiError::internal())?;
        let mut am = row.into_active_model();
        am.last_check = Set(Some(json));
        am.update(&self.db).await.map_err(internal)?;
        Ok(check)
    }

    async fn prepare(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<Vec<PrepareResult>, ApiError> {
        require_system_admin(caller)?;
        let row = self.find(cluster_id).await?;
        if row.kind != ClusterKind::Standalone.as_str() {
            return Err(ApiError::new(
                http::StatusCode::NOT_IMPLEMENTED,
                "preparing a Kubernetes cluster needs the Kubernetes backend, which is not available yet",
            ));
        }
        let settings: ClusterSettings = serde_json::from_str(&row.settings).unwrap_or_default();
        if settings.rules_dir.is_empty() {
            return Err(ApiError::invalid(
                "settings.rules_dir",
                "is required to prepare a standalone cluster",
            ));
        }
        let objects =
            standalone_objects(&settings).map_err(|e| ApiError::invalid("settings", e))?;
        let mut results = Vec::new();
        for o in objects {
            let outcome = standalone::apply_file(&self.http, &o.path, &o.content, o.reload)
                .await
                .map_err(|why| {
                    ApiError::new(
                        http::StatusCode::BAD_GATEWAY,
                        format!("{}: {why}", o.server),
                    )
                })?;
            results.push(PrepareResult {
                name: o.name.to_string(),
                target: o.server.to_string(),
                outcome: if outcome == Outcome::Written {
                    "written"
                } else {
                    "unchanged"
                }
                .to_string(),
            });
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::ClusterSecrets;

    #[test]
    fn merge_keeps_clears_and_replaces() {
        let s = ClusterSecrets {
            kubeconfig: "k".into(),
            bearer_token: "t".into(),
        };
        assert_eq!(s.clone().merge(None, None), s);
        let cleared = s.clone().merge(Some(String::new()), None);
        assert_eq!(
            cleared,
            ClusterSecrets {
                kubeconfig: String::new(),
                bearer_token: "t".into()
            }
        );
        let replaced = s.merge(Some("k2".into()), Some("t2".into()));
        assert_eq!(
            replaced,
            ClusterSecrets {
                kubeconfig: "k2".into(),
                bearer_token: "t2".into()
            }
        );
    }
}
