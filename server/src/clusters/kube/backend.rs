//! `KubeBackend`: a Kubernetes cluster through one kube-rs client. Rule objects are written with
//! server-side apply (field manager `gemscope`); what the cluster holds is read with three list
//! calls and one get (PrometheusRules, AlertmanagerConfigs, Secrets, the Loki rules ConfigMap).

use std::collections::BTreeMap;

use app::domain::rule_objects::{self as objects, Desired, Live, ObjectRef, RuleObject};
use app::error::ApiError;
use app::model::{ClusterSettings, Component, PrepareResult};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde_json::{Value, json};

use super::crds::{AlertmanagerConfig, Crd, PrometheusRule};
use super::{FIELD_MANAGER, check, list_ours, rules};
use crate::clusters::backend::{BackendCheck, Change, ClusterBackend, Writes};
use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::prepare::{self, LOKI_RULES_CONFIGMAP};
use crate::observe::endpoint::{self, Endpoint};

pub struct KubeBackend {
    client: kube::Client,
    settings: ClusterSettings,
    http: reqwest::Client,
}

impl KubeBackend {
    pub fn new(client: kube::Client, settings: ClusterSettings, http: reqwest::Client) -> Self {
        Self {
            client,
            settings,
            http,
        }
    }

    fn api_server_label(&self) -> String {
        check::api_server_label(&self.settings)
    }

    /// Gemscope's objects of one kind, by reference, as JSON values.
    async fn listed(
        &self,
        ar: &ApiResource,
        selector: &str,
        object: impl Fn(String, String) -> ObjectRef,
    ) -> BackendResult<Vec<(ObjectRef, Value)>> {
        let items = list_ours(&self.client, ar, None, selector).await?;
        Ok(items
            .into_iter()
            .filter_map(|o: DynamicObject| {
                let r = object(o.metadata.namespace.clone()?, o.metadata.name.clone()?);
                Some((r, serde_json::to_value(&o).ok()?))
            })
            .collect())
    }

    /// Takes one group out of a namespace's key of the Loki rules ConfigMap.
    async fn remove_loki_group(&self, ns: &str, group: &str) -> BackendResult<()> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), self.settings.logging_ns());
        let Some(cm) = api.get_opt(LOKI_RULES_CONFIGMAP).await? else {
            return Ok(());
        };
        let Some(text) = cm.data.as_ref().and_then(|d| d.get(ns)) else {
            return Ok(());
        };
        let value = match objects::without_group(text, group).map_err(BackendError::Unreadable)? {
            Some(rest) => Value::String(
                serde_norway::to_string(&rest).map_err(|e| BackendError::Render(e.to_string()))?,
            ),
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
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ClusterBackend for KubeBackend {
    fn desired(&self, rules: &[RuleObject]) -> BackendResult<Vec<Vec<Desired>>> {
        rules
            .iter()
            .map(|r| objects::kube_objects(r).map_err(BackendError::Render))
            .collect()
    }

    async fn live(&self) -> BackendResult<Live> {
        let mut found = Vec::new();
        found.extend(
            self.listed(
                &PrometheusRule::api_resource(),
                "prometheusrule.kubegems.io/name",
                |namespace, name| ObjectRef::PrometheusRule { namespace, name },
            )
            .await?,
        );
        found.extend(
            self.listed(
                &AlertmanagerConfig::api_resource(),
                "alertmanagerconfig.kubegems.io/name",
                |namespace, name| ObjectRef::AlertmanagerConfig { namespace, name },
            )
            .await?,
        );
        found.extend(
            self.listed(&ApiResource::erase::<Secret>(&()), "", |namespace, name| {
                ObjectRef::ReceiverSecret { namespace, name }
            })
            .await?,
        );
        let cm: Api<ConfigMap> = Api::namespaced(self.client.clone(), self.settings.logging_ns());
        let keys: BTreeMap<String, String> = cm
            .get_opt(LOKI_RULES_CONFIGMAP)
            .await?
            .and_then(|c| c.data)
            .unwrap_or_default();
        for (ns, text) in keys {
            // Namespace names have no dots; keys with one are other files (the recording rules).
            if !ns.contains('.') {
                found.extend(objects::loki_live_groups(&ns, &text));
            }
        }
        let objects = found
            .into_iter()
            .filter(|(o, _)| !prepare::is_prepared(&self.settings, o))
            .collect();
        Ok(Live { objects })
    }

    async fn apply(&self, change: &Change<'_>) -> BackendResult<Writes> {
        rules::apply(&self.client, self.settings.logging_ns(), change).await
    }

    async fn remove(&self, object: &ObjectRef) -> BackendResult<()> {
        match object {
            ObjectRef::LokiGroup { namespace, group } => {
                self.remove_loki_group(namespace, group).await
            }
            other => match rules::resource(other) {
                Some(ar) => {
                    super::delete(&self.client, &ar, Some(other.namespace()), other.name()).await
                }
                None => Err(BackendError::Settings(format!(
                    "a Kubernetes cluster holds no {}",
                    other.kind()
                ))),
            },
        }
    }

    fn needs_every_rule(&self) -> bool {
        false
    }

    fn endpoints(&self) -> Vec<(Component, Endpoint, bool)> {
        endpoint::endpoints(&self.settings, Some(&self.client))
    }

    fn kubernetes(&self) -> Option<&kube::Client> {
        Some(&self.client)
    }

    async fn check(&self) -> BackendCheck {
        let mut out = BackendCheck::default();
        let api = check::api_server(&self.client, &self.api_server_label()).await;
        let up = api.ok;
        out.endpoints.push(api);
        if !up {
            return out;
        }
        match check::crds(&self.client).await {
            Ok(crds) => out.crds = crds,
            Err(e) => out.endpoints[0].error = format!("listing API groups: {e}"),
        }
        out.endpoints
            .extend(crate::observe::probe::probe_all(&self.http, &self.endpoints()).await);
        out.prepared = prepare::kube_state(&self.client, &self.settings).await;
        out
    }

    async fn prepare(&self) -> Result<Vec<PrepareResult>, ApiError> {
        prepare::kube_prepare(&self.client, &self.settings).await
    }
}
