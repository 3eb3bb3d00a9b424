//! The clusters service (`ClustersPort`) and the handle other services reach a cluster by.
//! Secrets (kubeconfig, bearer token) are sealed with the server's key and are never part of a
//! read: the API only says whether one is stored.

use std::sync::Arc;

use app::api::clusters::ClustersPort;
use app::api::context::Caller;
use app::domain::validate;
use app::error::{ApiError, Code};
use app::model::{
    Cluster, ClusterCheck, ClusterInput, ClusterKind, ClusterRef, ClusterSettings, Component,
    PrepareResult, Role,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::auth::authz::{require_system_admin, tenant_ids};
use crate::auth::secrets::SecretBox;
use crate::clusters::backend::{BackendCheck, ClusterBackend, Connect};
use crate::clusters::error::BackendError;
use crate::clusters::kube;
use crate::db::entities::{cluster, environment};
use crate::db::{conflict_or_internal, now, rfc3339};

/// A cluster row's kind and settings. A value that does not parse is corrupt: it is logged and
/// refused, never replaced by a default (a defaulted kind or empty settings would point writes
/// and queries somewhere nobody configured).
fn stored(row: &cluster::Model) -> Result<(ClusterKind, ClusterSettings), ApiError> {
    let kind = ClusterKind::parse(&row.kind).ok_or_else(|| {
        tracing::error!(cluster = row.id, kind = %row.kind, "stored cluster kind is not a known kind");
        ApiError::internal()
    })?;
    let settings = serde_json::from_str::<ClusterSettings>(&row.settings).map_err(|e| {
        tracing::error!(cluster = row.id, error = %e, "stored cluster settings do not parse");
        ApiError::internal()
    })?;
    Ok((kind, settings))
}

pub struct ClustersService {
    pub db: DatabaseConnection,
    pub secrets: Arc<SecretBox>,
    pub http: reqwest::Client,
    /// How a cluster's backend is built (`backend::Connector` in the server).
    pub connector: Arc<dyn Connect>,
}

/// A cluster ready to be written to.
#[derive(Clone)]
pub struct ClusterHandle {
    pub id: i64,
    pub name: String,
    pub settings: ClusterSettings,
    /// Everything the cluster stores and serves goes through this.
    pub backend: Arc<dyn ClusterBackend>,
    /// The version of the namespaces' history tokens.
    pub history_token_version: i32,
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
        let (kind, settings) = stored(&row)?;
        Ok(Cluster {
            id: row.id,
            kind,
            settings,
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
            .await?
            .ok_or_else(|| ApiError::not_found(Code::ClusterNotFound))
    }

    /// A Kubernetes client for the cluster; standalone clusters have none (409).
    pub async fn kube_client(&self, cluster_id: i64) -> Result<::kube::Client, ApiError> {
        let handle = self.handle(cluster_id).await?;
        handle.backend.kubernetes().cloned().ok_or_else(|| {
            ApiError::new(http::StatusCode::CONFLICT, Code::NoKubernetesApi).arg(&handle.name)
        })
    }

    async fn backend_of(
        &self,
        row: &cluster::Model,
    ) -> Result<
        (
            ClusterSettings,
            Result<Arc<dyn ClusterBackend>, BackendError>,
        ),
        ApiError,
    > {
        let (kind, settings) = stored(row)?;
        let secrets = self.unseal(row)?;
        let backend = self
            .connector
            .connect(
                &row.name,
                kind,
                settings.clone(),
                &secrets,
                self.http.clone(),
            )
            .await;
        Ok((settings, backend))
    }

    /// The cluster with its settings and its backend: what a rule sync needs.
    pub async fn handle(&self, cluster_id: i64) -> Result<ClusterHandle, ApiError> {
        let row = self.find(cluster_id).await?;
        let (settings, backend) = self.backend_of(&row).await?;
        let backend = backend.map_err(|e| {
            ApiError::new(http::StatusCode::BAD_GATEWAY, Code::ClusterFailed)
                .arg(&row.name)
                .arg(e)
        })?;
        Ok(ClusterHandle {
            id: row.id,
            name: row.name,
            settings,
            backend,
            history_token_version: row.history_token_version,
        })
    }

    /// How to reach `component` of a cluster, for the server's own calls.
    pub async fn endpoint(
        &self,
        cluster_id: i64,
        component: Component,
    ) -> Result<crate::observe::endpoint::Endpoint, ApiError> {
        let handle = self.handle(cluster_id).await?;
        handle.component(component)
    }

    /// The decrypted secrets, for the server's own use (connecting); never sent to a browser.
    pub async fn secrets_of(&self, id: i64) -> Result<ClusterSecrets, ApiError> {
        let row = self.find(id).await?;
        self.unseal(&row)
    }
}

/// A kubeconfig with `exec`, `auth-provider` or file paths is refused before it is stored.
fn inline_kubeconfig(text: Option<&str>) -> Result<(), ApiError> {
    match text {
        Some(t) if !t.trim().is_empty() => crate::clusters::kube::kubeconfig::parse_inline(t)
            .map(|_| ())
            .map_err(|e| ApiError::invalid("kubeconfig", Code::Kubeconfig).arg(e)),
        _ => Ok(()),
    }
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
            .await?;
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
            .await?;
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
        inline_kubeconfig(input.kubeconfig.as_deref())?;
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
        .map_err(|e| conflict_or_internal(e, "name", Code::ClusterExists))?;
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
        inline_kubeconfig(input.kubeconfig.as_deref())?;
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
        let row = am
            .update(&self.db)
            .await
            .map_err(|e| conflict_or_internal(e, "name", Code::ClusterExists))?;
        self.view(row)
    }

    async fn delete(&self, caller: &Caller, cluster_id: i64) -> Result<(), ApiError> {
        require_system_admin(caller)?;
        self.find(cluster_id).await?;
        let in_use = environment::Entity::find()
            .filter(environment::Column::ClusterId.eq(cluster_id))
            .count(&self.db)
            .await?;
        if in_use > 0 {
            return Err(ApiError::conflict("cluster_id", Code::ClusterInUse).arg(in_use));
        }
        cluster::Entity::delete_by_id(cluster_id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn test(&self, caller: &Caller, cluster_id: i64) -> Result<ClusterCheck, ApiError> {
        require_system_admin(caller)?;
        let row = self.find(cluster_id).await?;
        let (settings, backend) = self.backend_of(&row).await?;
        let found = match backend {
            Ok(backend) => backend.check().await,
            // Only a Kubernetes cluster can fail to connect: no client could be built for it.
            Err(error) => BackendCheck {
                endpoints: vec![kube::check::api_server_unusable(
                    &kube::check::api_server_label(&settings),
                    error.to_string(),
                )],
                ..Default::default()
            },
        };
        if found.endpoints.is_empty() {
            return Err(ApiError::invalid("settings", Code::NothingToTest));
        }
        let check = ClusterCheck {
            checked_at: rfc3339(now()),
            reachable: found.endpoints.iter().all(|e| e.ok || e.optional),
            endpoints: found.endpoints,
            prepared: found.prepared,
            crds: found.crds,
        };
        let json = serde_json::to_string(&check).map_err(|_| ApiError::internal())?;
        let mut am = row.into_active_model();
        am.last_check = Set(Some(json));
        am.update(&self.db).await?;
        Ok(check)
    }

    async fn prepare(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<Vec<PrepareResult>, ApiError> {
        require_system_admin(caller)?;
        let row = self.find(cluster_id).await?;
        let (_, backend) = self.backend_of(&row).await?;
        let backend = backend
            .map_err(|e| ApiError::new(http::StatusCode::BAD_GATEWAY, Code::Kubernetes).arg(e))?;
        backend.prepare().await
    }
}

impl ClusterHandle {
    /// How to reach one of the cluster's components.
    pub fn component(
        &self,
        name: Component,
    ) -> Result<crate::observe::endpoint::Endpoint, ApiError> {
        self.backend
            .endpoints()
            .into_iter()
            .find(|(c, _, _)| *c == name)
            .map(|(_, e, _)| e)
            .ok_or_else(|| {
                ApiError::new(http::StatusCode::CONFLICT, Code::ComponentMissing)
                    .arg(&self.name)
                    .arg(name)
            })
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
