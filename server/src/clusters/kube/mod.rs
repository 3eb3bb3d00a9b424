//! The Kubernetes backend: a kube-rs client per cluster, server-side apply with field manager
//! `gemscope`, and the connection test.

mod backend;
pub mod check;
pub mod crds;
pub mod kubeconfig;
mod rules;

pub use backend::KubeBackend;

use std::time::Duration;

use app::model::ClusterSettings;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::KubeConfigOptions;
use kube::core::ApiResource;
use serde::Serialize;

use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::service::ClusterSecrets;

pub const FIELD_MANAGER: &str = "gemscope";
pub use app::domain::alert_rules::MANAGED_BY;

/// Readable text for a kube-rs error: the API server's Status message where there is one.
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => {
            let reason = if s.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.reason)
            };
            format!("HTTP {}{reason}: {}", s.code, s.message)
        }
        other => crate::observe::error_chain(other),
    }
}

/// A client for the cluster: in-cluster service account, a kubeconfig, or an API server URL with
/// a bearer token. The URL and token settings override the kubeconfig's.
pub async fn client(
    settings: &ClusterSettings,
    secrets: &ClusterSecrets,
) -> BackendResult<kube::Client> {
    let settings_error =
        |what: &str, e: &dyn std::fmt::Display| BackendError::Settings(format!("{what}: {e}"));
    let mut config = if settings.in_cluster {
        kube::Config::incluster().map_err(|e| settings_error("in-cluster configuration", &e))?
    } else if !secrets.kubeconfig.is_empty() {
        // Checked again here: a kubeconfig stored before the check existed must not run either.
        let kc = kubeconfig::parse_inline(&secrets.kubeconfig)
            .map_err(|e| settings_error("kubeconfig", &e))?;
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| settings_error("kubeconfig", &e))?
    } else if !settings.api_server.is_empty() {
        let uri = settings
            .api_server
            .parse()
            .map_err(|e| settings_error("API server URL", &e))?;
        kube::Config::new(uri)
    } else {
        return Err(BackendError::Settings(
            "neither a kubeconfig nor an API server URL is configured".into(),
        ));
    };
    if !settings.api_server.is_empty() {
        config.cluster_url = settings
            .api_server
            .parse()
            .map_err(|e| settings_error("API server URL", &e))?;
    }
    if !secrets.bearer_token.is_empty() {
        config.auth_info.token = Some(secrecy::SecretString::from(secrets.bearer_token.clone()));
    }
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(15));
    config.write_timeout = Some(Duration::from_secs(15));
    Ok(kube::Client::try_from(config)?)
}

fn api(client: &kube::Client, ar: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// What an apply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Changed,
    Unchanged,
}

/// Server-side apply with field manager `gemscope` (forced). Applying the same object again
/// changes nothing on the server: the resourceVersion stays, and the result says `Unchanged`.
pub async fn apply<T: Serialize + std::fmt::Debug>(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    object: &T,
) -> BackendResult<Applied> {
    let api = api(client, ar, namespace);
    let before = api.get_opt(name).await?;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let after = api.patch(name, &params, &Patch::Apply(object)).await?;
    Ok(match before {
        None => Applied::Created,
        Some(b) if b.metadata.resource_version == after.metadata.resource_version => {
            Applied::Unchanged
        }
        Some(_) => Applied::Changed,
    })
}

/// Server-side apply without first reading the object (the caller already compared it).
/// Returns the object as the server holds it afterwards.
pub async fn apply_only<T: Serialize + std::fmt::Debug>(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    object: &T,
) -> BackendResult<DynamicObject> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    Ok(api(client, ar, namespace)
        .patch(name, &params, &Patch::Apply(object))
        .await?)
}

/// A full update (PUT, field manager `gemscope`) at a known resourceVersion: unlike an apply it
/// drops every field the object does not send, whoever set them. A concurrent change makes it fail
/// with 409 rather than overwrite what it did not see.
pub async fn replace(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    object: &serde_json::Value,
    resource_version: &str,
) -> BackendResult<()> {
    let mut object: DynamicObject = serde_json::from_value(object.clone())
        .map_err(|e| BackendError::Render(format!("{} {name} is not an object: {e}", ar.kind)))?;
    object.metadata.resource_version = Some(resource_version.to_string());
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    api(client, ar, namespace)
        .replace(name, &params, &object)
        .await?;
    Ok(())
}

pub async fn get(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
) -> BackendResult<Option<DynamicObject>> {
    Ok(api(client, ar, namespace).get_opt(name).await?)
}

/// Deletes an object; one that is already gone counts as deleted.
pub async fn delete(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
) -> BackendResult<()> {
    match api(client, ar, namespace)
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The objects Gemscope manages of one kind (by the managed-by label), with an extra selector.
pub async fn list_ours(
    client: &kube::Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    selector: &str,
) -> BackendResult<Vec<DynamicObject>> {
    let mut sel = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    if !selector.is_empty() {
        sel.push(',');
        sel.push_str(selector);
    }
    api(client, ar, namespace)
        .list(&ListParams::default().labels(&sel))
        .await
        .map(|l| l.items)
        .map_err(BackendError::from)
}
