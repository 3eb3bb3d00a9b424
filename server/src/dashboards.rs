//! Dashboards of an environment. Reading needs a viewer of the environment's tenant, changing a
//! member; another tenant's dashboards do not exist for the caller. A refresh runs every panel
//! on the server at once, a bounded number at a time per request.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::api::context::Caller;
use app::api::dashboards::DashboardsPort;
use app::domain::dashboards as rules;
use app::domain::promql_scope;
use app::error::{ApiError, Code};
use app::model::{
    Dashboard, DashboardInput, DashboardQuery, Graph, PanelResult, QueryTarget, RangeResult, Role,
};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::auth::authz::environment_as;
use crate::db::entities::{dashboard, dashboard_template, environment};
use crate::db::{conflict_or_internal, now, rfc3339};
use crate::metrics::{MetricsService, QueryPlace};

/// Panel queries in flight at once for one refresh (one cluster: a dashboard has one).
pub const PANEL_FAN_OUT: usize = 10;

pub struct DashboardsService {
    pub db: DatabaseConnection,
    pub metrics: Arc<MetricsService>,
}

fn view(m: dashboard::Model) -> Dashboard {
    Dashboard {
        id: m.id,
        environment_id: m.environment_id,
        name: m.name,
        step: m.step,
        refresh: m.refresh,
        start: m.time_start,
        end: m.time_end,
        graphs: serde_json::from_str(&m.graphs).unwrap_or_default(),
        variables: serde_json::from_str(&m.variables).unwrap_or_default(),
        template: m.template,
        creator: m.creator,
        created_at: rfc3339(m.created_at),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|_| ApiError::internal())
}

impl DashboardsService {
    /// The environment, when the caller holds at least `min` in its tenant.
    async fn dashboard(
        &self,
        caller: &Caller,
        id: i64,
        min: Role,
    ) -> Result<(dashboard::Model, environment::Model), ApiError> {
        let d = dashboard::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::DashboardNotFound))?;
        let env = environment_as(&self.db, caller, d.environment_id, min)
            .await
            .map_err(|e| {
                if e.status == 404 {
                    ApiError::not_found(Code::DashboardNotFound)
                } else {
                    e
                }
            })?;
        Ok((d, env))
    }

    /// Checks the dashboard, and that every target can run in the environment: templates
    /// resolve and are namespaced, raw PromQL stays in the namespace.
    async fn check(&self, env: &environment::Model, d: &DashboardInput) -> Result<(), ApiError> {
        rules::validate(d)?;
        let place = QueryPlace {
            cluster_id: env.cluster_id,
            namespace: Some(env.namespace.clone()),
            tenant_id: Some(env.tenant_id),
        };
        for (i, g) in d.graphs.iter().enumerate() {
            for (j, t) in g.targets.iter().enumerate() {
                self.metrics
                    .build(&place, &rules::target_query(t, &[]))
                    .await
                    .map_err(|e| e.on(&format!("graphs[{i}].targets[{j}]")))?;
            }
        }
        Ok(())
    }

    async fn template(
        &self,
        name: &str,
    ) -> Result<Option<app::model::DashboardTemplate>, ApiError> {
        if name.trim().is_empty() {
            return Ok(None);
        }
        let row = dashboard_template::Entity::find()
            .filter(dashboard_template::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                ApiError::invalid("template", Code::NoDashboardTemplate).arg(format!("{name:?}"))
            })?;
        Ok(Some(crate::templates::library::dashboard_from_row(row)))
    }

    async fn panel(
        &self,
        place: &QueryPlace,
        graph: &Graph,
        variables: &[app::model::LabelFilter],
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<RangeResult, ApiError> {
        let prom = self.metrics.prometheus(place.cluster_id).await?;
        let mut out = RangeResult {
            unit: graph.unit.clone(),
            start,
            end,
            step,
            ..Default::default()
        };
        let several = graph.targets.len() > 1;
        let mut exprs = Vec::new();
        for t in &graph.targets {
            let built = self
                .metrics
                .build(place, &rules::target_query(t, variables))
                .await?;
            if out.unit.is_empty() {
                out.unit = built.unit.clone();
            }
            let m = prom
                .query_range(&built.expr, start, end, step)
                .await
                .map_err(|e| e.into_api("expr"))?;
            out.warnings.extend(m.warnings);
            out.series.extend(m.series.into_iter().map(|mut s| {
                // Two queries may return the same labels: say which one a line is.
                if several {
                    s.labels.insert("query".into(), t.target_name.clone());
                }
                s
            }));
            exprs.push(built.expr);
        }
        out.expr = exprs.join("\n");
        Ok(out)
    }
}

#[async_trait::async_trait]
impl DashboardsPort for DashboardsService {
    async fn list(&self, caller: &Caller, environment_id: i64) -> Result<Vec<Dashboard>, ApiError> {
        environment_as(&self.db, caller, environment_id, Role::Viewer).await?;
        let rows = dashboard::Entity::find()
            .filter(dashboard::Column::EnvironmentId.eq(environment_id))
            .order_by_asc(dashboard::Column::Name)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(view).collect())
    }

    async fn create(
        &self,
        caller: &Caller,
        environment_id: i64,
        input: DashboardInput,
    ) -> Result<Dashboard, ApiError> {
        let env = environment_as(&self.db, caller, environment_id, Role::Member).await?;
        let template = self.template(&input.template).await?;
        let input = rules::fill_from_template(input, template.as_ref());
        self.check(&env, &input).await?;
        let t = now();
        let row = dashboard::ActiveModel {
            environment_id: Set(env.id),
            name: Set(input.name.trim().to_string()),
            step: Set(input.step),
            refresh: Set(input.refresh),
            time_start: Set(input.start),
            time_end: Set(input.end),
            graphs: Set(json(&input.graphs)?),
            variables: Set(json(&input.variables)?),
            template: Set(input.template),
            creator: Set(caller.username.clone()),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::DashboardExists))?;
        Ok(view(row))
    }

    async fn update(
        &self,
        caller: &Caller,
        dashboard_id: i64,
        input: DashboardInput,
    ) -> Result<Dashboard, ApiError> {
        let (row, env) = self.dashboard(caller, dashboard_id, Role::Member).await?;
        let template = row.template.clone();
        let input = rules::fill_from_template(input, None);
        self.check(&env, &input).await?;
        let mut am = row.into_active_model();
        am.name = Set(input.name.trim().to_string());
        am.step = Set(input.step);
        am.refresh = Set(input.refresh);
        am.time_start = Set(input.start);
        am.time_end = Set(input.end);
        am.graphs = Set(json(&input.graphs)?);
        am.variables = Set(json(&input.variables)?);
        am.template = Set(template);
        am.updated_at = Set(now());
        let row = am
            .update(&self.db)
            .await
            .map_err(|e| conflict_or_internal(e, "name", Code::DashboardExists))?;
        Ok(view(row))
    }

    async fn delete(&self, caller: &Caller, dashboard_id: i64) -> Result<(), ApiError> {
        let (row, _) = self.dashboard(caller, dashboard_id, Role::Member).await?;
        dashboard::Entity::delete_by_id(row.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn query(
        &self,
        caller: &Caller,
        q: DashboardQuery,
    ) -> Result<Vec<PanelResult>, ApiError> {
        let (row, env) = self.dashboard(caller, q.dashboard_id, Role::Viewer).await?;
        promql_scope::range_step(q.start, q.end, None)?;
        let d = view(row);
        for name in q.variables.keys() {
            if !d.variables.contains_key(name) {
                return Err(
                    ApiError::invalid("variables", Code::MissingVariable).arg(format!("{name:?}"))
                );
            }
        }
        let place = QueryPlace {
            cluster_id: env.cluster_id,
            namespace: Some(env.namespace.clone()),
            tenant_id: Some(env.tenant_id),
        };
        let variables = rules::variable_filters(&q.variables);
        let step = rules::panel_step(&d.step, q.start, q.end);
        let (place, variables) = (&place, &variables);
        let mut panels: Vec<PanelResult> = stream::iter(d.graphs.into_iter().enumerate())
            .map(|(index, g)| async move {
                let result = self.panel(place, &g, variables, q.start, q.end, step).await;
                PanelResult { index, result }
            })
            .buffer_unordered(PANEL_FAN_OUT)
            .collect()
            .await;
        panels.sort_by_key(|p| p.index);
        Ok(panels)
    }

    async fn variable_values(
        &self,
        caller: &Caller,
        dashboard_id: i64,
        name: String,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, ApiError> {
        let (row, env) = self.dashboard(caller, dashboard_id, Role::Viewer).await?;
        let d = view(row);
        let fixed = d.variables.get(&name).ok_or_else(|| {
            ApiError::invalid("name", Code::MissingVariable).arg(format!("{name:?}"))
        })?;
        let fixed: Vec<String> = fixed
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if !fixed.is_empty() {
            return Ok(fixed);
        }
        let target = QueryTarget::Environment(env.id);
        let place = self.metrics.place(caller, target).await?;
        let mut selectors = BTreeSet::new();
        for g in &d.graphs {
            for t in &g.targets {
                // A panel that cannot be built shows its own error; it offers no values.
                if let Ok(b) = self
                    .metrics
                    .build(&place, &rules::target_query(t, &[]))
                    .await
                {
                    selectors.extend(promql_scope::selectors(&b.expr).unwrap_or_default());
                }
            }
        }
        if selectors.is_empty() {
            return Ok(Vec::new());
        }
        let prom = self.metrics.prometheus(place.cluster_id).await?;
        let matches: Vec<String> = selectors.into_iter().collect();
        let mut values = prom
            .label_values(&name, &matches, start, end)
            .await
            .map_err(|e| e.into_api("name"))?;
        values.sort();
        Ok(values)
    }
}
