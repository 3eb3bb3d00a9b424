//! Metric collectors: a ServiceMonitor `<namespace>/<service>` per Service whose metrics an
//! environment collects, the Service labelled as collected, and the scrape state from
//! Prometheus' active targets. Kubernetes clusters only.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::api::collectors::CollectorsPort;
use app::api::context::Caller;
use app::domain::collectors::{MONITORED_LABEL, overall, scrape_pool, validate};
use app::domain::validate::dns_label;
use app::error::{ApiError, Code};
use app::model::{
    Collector, CollectorConfig, CollectorList, Role, ScrapeHealth, ScrapeTarget, ServicePort,
};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::auth::authz::environment_as;
use crate::clusters::error::{BackendError, BackendResult};
use crate::clusters::kube::crds::{
    Crd, MonitorEndpoint, NamespaceSelector, Object, ServiceMonitor, ServiceMonitorSpec,
};
use crate::clusters::kube::{self as k, MANAGED_BY};
use crate::clusters::service::ClustersService;
use crate::db::entities::environment;
use crate::metrics::MetricsService;

pub struct CollectorsService {
    pub db: DatabaseConnection,
    pub clusters: Arc<ClustersService>,
    pub metrics: Arc<MetricsService>,
}

/// The API server refused or could not be reached: its words for the user, the causes to the log.
fn upstream(e: impl Into<BackendError>) -> ApiError {
    let e = e.into();
    tracing::warn!(error = %e.chain(), "Kubernetes request failed");
    ApiError::new(http::StatusCode::BAD_GATEWAY, Code::Kubernetes).arg(e)
}

/// The named ports of a Service: a ServiceMonitor endpoint refers to ports by name.
pub fn named_ports(svc: &Service) -> Vec<ServicePort> {
    svc.spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .filter_map(|p| {
            Some(ServicePort {
                name: p.name.clone().filter(|n| !n.is_empty())?,
                port: p.port,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            })
        })
        .collect()
}

/// The ServiceMonitor for a Service: it selects the Service by its labels plus the collected
/// label (so it matches that Service only), in its own namespace. Labels from the targets do
/// not override Prometheus' (`honorLabels` stays off): a target must not be able to claim
/// another namespace.
pub fn monitor_for(
    namespace: &str,
    service: &str,
    service_labels: &BTreeMap<String, String>,
    config: &CollectorConfig,
) -> Object<ServiceMonitorSpec> {
    let mut match_labels = service_labels.clone();
    match_labels.insert(MONITORED_LABEL.into(), service.into());
    let labels = BTreeMap::from([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())]);
    Object::new::<ServiceMonitor>(
        namespace,
        service,
        labels,
        ServiceMonitorSpec {
            selector: LabelSelector {
                match_labels: Some(match_labels),
                match_expressions: None,
            },
            namespace_selector: Some(NamespaceSelector {
                match_names: vec![namespace.to_string()],
                any: false,
            }),
            endpoints: vec![MonitorEndpoint {
                port: Some(config.port.clone()),
                path: Some(config.path.clone()),
                interval: Some(config.interval.clone()),
                scheme: None,
                honor_labels: None,
            }],
            job_label: None,
        },
    )
}

fn is_ours(o: &DynamicObject) -> bool {
    o.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY.0))
        .is_some_and(|v| v == MANAGED_BY.1)
}

/// What a ServiceMonitor Gemscope wrote says about its first endpoint.
fn config_of(o: &DynamicObject) -> Option<CollectorConfig> {
    let spec: ServiceMonitorSpec = serde_json::from_value(o.data.get("spec")?.clone()).ok()?;
    let e = spec.endpoints.into_iter().next()?;
    Some(CollectorConfig {
        port: e.port.unwrap_or_default(),
        path: e.path.unwrap_or_else(|| "/metrics".into()),
        interval: e.interval.unwrap_or_default(),
    })
}

/// The active targets of each scrape pool, from `/api/v1/targets`.
pub fn targets_by_pool(data: &Value) -> BTreeMap<String, Vec<ScrapeTarget>> {
    let mut out: BTreeMap<String, Vec<ScrapeTarget>> = BTreeMap::new();
    let text = |t: &Value, k: &str| t[k].as_str().unwrap_or_default().to_string();
    for t in data["activeTargets"].as_array().into_iter().flatten() {
        let health = ScrapeHealth::parse(t["health"].as_str().unwrap_or_default());
        let last_scrape = text(t, "lastScrape");
        out.entry(text(t, "scrapePool"))
            .or_default()
            .push(ScrapeTarget {
                url: text(t, "scrapeUrl"),
                health,
                // Prometheus reports the zero time before the first scrape.
                last_scrape: if last_scrape.starts_with("0001-") {
                    String::new()
                } else {
                    last_scrape
                },
                last_error: text(t, "lastError"),
            });
    }
    out
}

impl CollectorsService {
    async fn place(
        &self,
        caller: &Caller,
        environment_id: i64,
        min: Role,
    ) -> Result<(environment::Model, kube::Client), ApiError> {
        let env = environment_as(&self.db, caller, environment_id, min).await?;
        let client = self.clusters.kube_client(env.cluster_id).await?;
        Ok((env, client))
    }

    async fn service(
        client: &kube::Client,
        namespace: &str,
        name: &str,
    ) -> Result<Service, ApiError> {
        Api::<Service>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(upstream)?
            .ok_or_else(|| {
                ApiError::new(http::StatusCode::NOT_FOUND, Code::ServiceMissing)
                    .arg(format!("{namespace}/{name}"))
            })
    }

    /// A ServiceMonitor of that name that Gemscope did not write is left alone.
    async fn monitor(
        client: &kube::Client,
        namespace: &str,
        name: &str,
    ) -> Result<Option<DynamicObject>, ApiError> {
        let found = k::get(
            client,
            &ServiceMonitor::api_resource(),
            Some(namespace),
            name,
        )
        .await
        .map_err(upstream)?;
        match found {
            Some(o) if !is_ours(&o) => {
                Err(ApiError::conflict("service", Code::ServiceMonitorForeign)
                    .arg(format!("{namespace}/{name}")))
            }
            other => Ok(other),
        }
    }

    async fn label_service(
        client: &kube::Client,
        namespace: &str,
        name: &str,
        value: Option<&str>,
    ) -> BackendResult<()> {
        let patch = json!({"metadata": {"labels": {MONITORED_LABEL: value}}});
        let r = Api::<Service>::namespaced(client.clone(), namespace)
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await;
        match r {
            Ok(_) => Ok(()),
            // A Service deleted meanwhile carries no label.
            Err(kube::Error::Api(s)) if s.code == 404 && value.is_none() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn scrape_state(
        &self,
        cluster_id: i64,
    ) -> Result<BTreeMap<String, Vec<ScrapeTarget>>, ApiError> {
        let prometheus = self.metrics.prometheus(cluster_id).await?;
        let data = prometheus
            .targets()
            .await
            .map_err(|e| e.into_api("prometheus"))?;
        Ok(targets_by_pool(&data))
    }
}

#[async_trait::async_trait]
impl CollectorsPort for CollectorsService {
    async fn list(&self, caller: &Caller, environment_id: i64) -> Result<CollectorList, ApiError> {
        let (env, client) = self.place(caller, environment_id, Role::Viewer).await?;
        let ns = env.namespace.as_str();
        let services = Api::<Service>::namespaced(client.clone(), ns)
            .list(&ListParams::default())
            .await
            .map_err(upstream)?;
        let monitors: BTreeMap<String, DynamicObject> =
            k::list_ours(&client, &ServiceMonitor::api_resource(), Some(ns), "")
                .await
                .map_err(upstream)?
                .into_iter()
                .filter_map(|o| Some((o.metadata.name.clone()?, o)))
                .collect();
        let (mut pools, status_error) = match self.scrape_state(env.cluster_id).await {
            Ok(p) => (p, None),
            Err(e) => (BTreeMap::new(), Some(e.message)),
        };
        let mut collectors: Vec<Collector> = services
            .items
            .iter()
            .filter_map(|svc| {
                let name = svc.metadata.name.clone()?;
                let config = monitors.get(&name).and_then(config_of);
                let targets = if config.is_some() {
                    pools.remove(&scrape_pool(ns, &name)).unwrap_or_default()
                } else {
                    Vec::new()
                };
                Some(Collector {
                    health: overall(targets.iter().map(|t| t.health)),
                    ports: named_ports(svc),
                    service: name,
                    config,
                    targets,
                })
            })
            .collect();
        collectors.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(CollectorList {
            namespace: env.namespace.clone(),
            collectors,
            status_error,
        })
    }

    async fn enable(
        &self,
        caller: &Caller,
        environment_id: i64,
        service: String,
        config: CollectorConfig,
    ) -> Result<Collector, ApiError> {
        dns_label("service", &service)?;
        let (env, client) = self.place(caller, environment_id, Role::Member).await?;
        let ns = env.namespace.as_str();
        let svc = Self::service(&client, ns, &service).await?;
        let ports = named_ports(&svc);
        let config = validate(&config, &ports)?;
        let existed = Self::monitor(&client, ns, &service).await?.is_some();
        let mut labels = svc.metadata.labels.clone().unwrap_or_default();
        labels.remove(MONITORED_LABEL);
        let monitor = monitor_for(ns, &service, &labels, &config);
        k::apply(
            &client,
            &ServiceMonitor::api_resource(),
            Some(ns),
            &service,
            &monitor,
        )
        .await
        .map_err(upstream)?;
        if let Err(e) = Self::label_service(&client, ns, &service, Some(&service)).await {
            // Nothing half-done: a monitor this call created goes again.
            if !existed {
                let _ =
                    k::delete(&client, &ServiceMonitor::api_resource(), Some(ns), &service).await;
            }
            return Err(upstream(e));
        }
        Ok(Collector {
            service,
            ports,
            config: Some(config),
            health: ScrapeHealth::Unknown,
            targets: Vec::new(),
        })
    }

    async fn disable(
        &self,
        caller: &Caller,
        environment_id: i64,
        service: String,
    ) -> Result<(), ApiError> {
        dns_label("service", &service)?;
        let (env, client) = self.place(caller, environment_id, Role::Member).await?;
        let ns = env.namespace.as_str();
        Self::monitor(&client, ns, &service).await?;
        k::delete(&client, &ServiceMonitor::api_resource(), Some(ns), &service)
            .await
            .map_err(upstream)?;
        Self::label_service(&client, ns, &service, None)
            .await
            .map_err(upstream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monitor_selects_the_service_in_its_namespace() {
        let labels = BTreeMap::from([("app".to_string(), "web".to_string())]);
        let config = CollectorConfig {
            port: "metrics".into(),
            path: "/stats".into(),
            interval: "15s".into(),
        };
        let got = serde_norway::to_string(&monitor_for("shop", "web", &labels, &config)).unwrap();
        let want = "\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  labels:
    app.kubernetes.io/managed-by: gemscope
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
      gemscope.io/collect: web
  namespaceSelector:
    matchNames:
    - shop
  endpoints:
  - port: metrics
    path: /stats
    interval: 15s
";
        assert_eq!(got, want);
    }

    #[test]
    fn targets_group_by_scrape_pool() {
        let data = json!({"activeTargets": [
            {"scrapePool": "serviceMonitor/shop/web/0", "scrapeUrl": "http://10.0.0.1:9100/metrics",
             "health": "up", "lastScrape": "2026-11-25T10:00:00Z", "lastError": ""},
            {"scrapePool": "serviceMonitor/shop/web/0", "scrapeUrl": "http://10.0.0.2:9100/metrics",
             "health": "unknown", "lastScrape": "0001-01-01T00:00:00Z", "lastError": ""},
            {"scrapePool": "serviceMonitor/shop/api/0", "scrapeUrl": "http://10.0.0.3:8080/metrics",
             "health": "down", "lastScrape": "2026-11-25T10:00:00Z", "lastError": "connection refused"},
        ]});
        let pools = targets_by_pool(&data);
        let web = &pools["serviceMonitor/shop/web/0"];
        assert_eq!(web.len(), 2);
        assert_eq!(web[1].last_scrape, "");
        assert_eq!(overall(web.iter().map(|t| t.health)), ScrapeHealth::Up);
        let api = &pools["serviceMonitor/shop/api/0"];
        assert_eq!(api[0].health, ScrapeHealth::Down);
        assert_eq!(api[0].last_error, "connection refused");
    }
}
