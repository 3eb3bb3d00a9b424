//! Metric queries for people: the caller's environment decides the cluster and the namespace,
//! templates expand to PromQL, and Prometheus' answer comes back as chart series.

use std::collections::HashMap;
use std::sync::Arc;

use app::api::context::Caller;
use app::api::metrics::{MetricsPort, TargetOption};
use app::domain::promql_scope;
use app::error::{ApiError, Code};
use app::model::{
    Component, LabelValuesQuery, MetricExpr, QueryTarget, RangeQuery, RangeResult, Role,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::authz::{require_system_admin, require_tenant, tenant_ids};
use crate::clusters::service::ClustersService;
use crate::db::entities::{cluster, environment, project, tenant};
use crate::observe::prometheus::Prometheus;

pub struct MetricsService {
    pub db: DatabaseConnection,
    pub clusters: Arc<ClustersService>,
    pub http: reqwest::Client,
}

/// Where a query runs once the target is checked.
pub struct QueryPlace {
    pub cluster_id: i64,
    /// `None`: the whole cluster.
    pub namespace: Option<String>,
    /// Whose tenant templates are visible.
    pub tenant_id: Option<i64>,
}

/// A query ready for Prometheus.
pub struct Built {
    pub expr: String,
    pub unit: String,
}

impl MetricsService {
    /// Checks that the caller may query `target`. Environments of other tenants do not exist
    /// for the caller (404), like every other tenant object.
    pub async fn place(
        &self,
        caller: &Caller,
        target: QueryTarget,
    ) -> Result<QueryPlace, ApiError> {
        match target {
            QueryTarget::Environment(id) => {
                let env = environment::Entity::find_by_id(id)
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| ApiError::not_found(Code::EnvironmentNotFound))?;
                require_tenant(&self.db, caller, env.tenant_id, Role::Viewer)
                    .await
                    .map_err(|_| ApiError::not_found(Code::EnvironmentNotFound))?;
                Ok(QueryPlace {
                    cluster_id: env.cluster_id,
                    namespace: Some(env.namespace),
                    tenant_id: Some(env.tenant_id),
                })
            }
            QueryTarget::Cluster(id) => {
                require_system_admin(caller)?;
                Ok(QueryPlace {
                    cluster_id: id,
                    namespace: None,
                    tenant_id: None,
                })
            }
        }
    }

    /// Raw PromQL gets the namespace; a template expands to `sum by (labels) (...)`.
    pub async fn build(&self, place: &QueryPlace, q: &MetricExpr) -> Result<Built, ApiError> {
        let ns = place.namespace.as_deref();
        match &q.template {
            None => Ok(Built {
                expr: promql_scope::scope_raw(&q.expr, ns, &q.filters)?,
                unit: String::new(),
            }),
            Some(key) => {
                let t = crate::templates::resolve(&self.db, place.tenant_id, key).await?;
                if ns.is_some() && !t.namespaced {
                    return Err(
                        ApiError::invalid("template", Code::ClusterWideTemplate).arg(t.key())
                    );
                }
                Ok(Built {
                    expr: promql_scope::expand_template(
                        &t.rule.expr,
                        &t.rule.labels,
                        ns,
                        &q.filters,
                    )?,
                    unit: t.rule.unit,
                })
            }
        }
    }

    pub async fn prometheus(&self, cluster_id: i64) -> Result<Prometheus, ApiError> {
        let endpoint = self
            .clusters
            .endpoint(cluster_id, Component::Prometheus)
            .await?;
        Ok(Prometheus::new(endpoint, self.http.clone()))
    }
}

#[async_trait::async_trait]
impl MetricsPort for MetricsService {
    async fn targets(&self, caller: &Caller) -> Result<Vec<TargetOption>, ApiError> {
        let mut envs = environment::Entity::find().order_by_asc(environment::Column::Name);
        if !caller.is_system_admin {
            let tenants = tenant_ids(&self.db, caller.user_id, Role::Viewer).await?;
            envs = envs.filter(environment::Column::TenantId.is_in(tenants));
        }
        let envs = envs.all(&self.db).await?;
        let names = |rows: Vec<(i64, String)>| rows.into_iter().collect::<HashMap<_, _>>();
        let tenants = names(
            tenant::Entity::find()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
        );
        let projects = names(
            project::Entity::find()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        );
        let clusters = cluster::Entity::find()
            .order_by_asc(cluster::Column::Name)
            .all(&self.db)
            .await?;
        let cluster_names = names(clusters.iter().map(|c| (c.id, c.name.clone())).collect());
        let mut out: Vec<TargetOption> = envs
            .into_iter()
            .map(|e| TargetOption {
                target: QueryTarget::Environment(e.id),
                label: format!(
                    "{} / {} / {} ({}/{})",
                    tenants.get(&e.tenant_id).map_or("?", String::as_str),
                    projects.get(&e.project_id).map_or("?", String::as_str),
                    e.name,
                    cluster_names.get(&e.cluster_id).map_or("?", String::as_str),
                    e.namespace
                ),
                namespace: e.namespace,
                tenant_id: Some(e.tenant_id),
                project_id: Some(e.project_id),
            })
            .collect();
        if caller.is_system_admin {
            out.extend(clusters.into_iter().map(|c| TargetOption {
                target: QueryTarget::Cluster(c.id),
                label: format!("cluster {} (all namespaces)", c.name),
                namespace: String::new(),
                tenant_id: None,
                project_id: None,
            }));
        }
        Ok(out)
    }

    async fn query_range(&self, caller: &Caller, q: RangeQuery) -> Result<RangeResult, ApiError> {
        let place = self.place(caller, q.target).await?;
        let step = promql_scope::range_step(q.start, q.end, q.step)?;
        let built = self.build(&place, &q.query).await?;
        let prom = self.prometheus(place.cluster_id).await?;
        let field = if q.query.template.is_some() {
            "template"
        } else {
            "expr"
        };
        let m = prom
            .query_range(&built.expr, q.start, q.end, step)
            .await
            .map_err(|e| e.into_api(field))?;
        Ok(RangeResult {
            expr: built.expr,
            unit: built.unit,
            start: q.start,
            end: q.end,
            step,
            series: m.series,
            warnings: m.warnings,
        })
    }

    async fn label_values(
        &self,
        caller: &Caller,
        q: LabelValuesQuery,
    ) -> Result<Vec<String>, ApiError> {
        app::domain::templates::label_name("label", &q.label)?;
        let place = self.place(caller, q.target).await?;
        let built = self.build(&place, &q.query).await?;
        let prom = self.prometheus(place.cluster_id).await?;
        let matches = match_selectors(&place, &built.expr)?;
        prom.label_values(&q.label, &matches, q.start, q.end)
            .await
            .map_err(|e| e.into_api("label"))
    }

    async fn label_names(
        &self,
        caller: &Caller,
        target: QueryTarget,
        query: MetricExpr,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, ApiError> {
        let place = self.place(caller, target).await?;
        let built = self.build(&place, &query).await?;
        let prom = self.prometheus(place.cluster_id).await?;
        let matches = match_selectors(&place, &built.expr)?;
        prom.label_names(&matches, start, end)
            .await
            .map_err(|e| e.into_api("expr"))
    }
}

/// The scoped query's selectors. An environment query with no selector (`vector(1)`) would ask
/// about the whole cluster, so it gets the namespace alone.
fn match_selectors(place: &QueryPlace, expr: &str) -> Result<Vec<String>, ApiError> {
    let mut matches = promql_scope::selectors(expr)?;
    if matches.is_empty()
        && let Some(ns) = &place.namespace
    {
        matches.push(format!("{{namespace={}}}", promql_scope::quote(ns)));
    }
    Ok(matches)
}
