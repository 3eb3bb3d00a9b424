//! One row of a template file into the database: inserted when missing, replaced when it
//! differs (imports), left alone when it is the same or when seeding; each outcome is counted in
//! the import summary under the row's label. Template rules, dashboards and system alert rules
//! all go through `plan` and `save`.

use std::collections::BTreeMap;

use app::domain::templates::FileRule;
use app::error::ApiError;
use app::model::{AlertTemplate, DashboardTemplate, ImportSummary};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::library::Mode;
use crate::db::entities::{alert_template, dashboard_template, template_rule};
use crate::db::now;

/// What happens to one row.
enum Upsert<A> {
    Keep,
    Update(A),
    Insert(A),
}

/// The row of that name is kept when it already holds the file's content, or always when
/// seeding (a user may have edited it); otherwise it is updated from it. A missing row is added.
fn plan<M, A>(
    existing: Option<M>,
    mode: Mode,
    same: impl FnOnce(&M) -> bool,
    update: impl FnOnce(M) -> A,
    insert: impl FnOnce() -> A,
) -> Upsert<A> {
    match existing {
        Some(row) if mode == Mode::AddMissing || same(&row) => Upsert::Keep,
        Some(row) => Upsert::Update(update(row)),
        None => Upsert::Insert(insert()),
    }
}

async fn save<C, A>(
    tx: &C,
    planned: Upsert<A>,
    label: String,
    summary: &mut ImportSummary,
) -> Result<(), ApiError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    match planned {
        Upsert::Keep => summary.unchanged += 1,
        Upsert::Update(a) => {
            a.update(tx).await?;
            summary.updated.push(label);
        }
        Upsert::Insert(a) => {
            a.insert(tx).await?;
            summary.added.push(label);
        }
    }
    Ok(())
}

fn labels_json(labels: &[String]) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "[]".into())
}

/// A template rule (`key` is its `scope.resource.rule`) of a resource already stored.
pub(super) async fn rule<C: ConnectionTrait>(
    tx: &C,
    resource_id: i64,
    rule: &FileRule,
    key: &str,
    mode: Mode,
    summary: &mut ImportSummary,
) -> Result<(), ApiError> {
    let t = now();
    let labels = labels_json(&rule.labels);
    let existing = template_rule::Entity::find()
        .filter(template_rule::Column::ResourceId.eq(resource_id))
        .filter(template_rule::Column::Name.eq(rule.name.as_str()))
        .one(tx)
        .await?;
    let fill = |mut a: template_rule::ActiveModel| {
        a.show_name = Set(rule.show_name.clone());
        a.description = Set(rule.description.clone());
        a.expr = Set(rule.expr.clone());
        a.unit = Set(rule.unit.clone());
        a.labels = Set(labels.clone());
        // Files carry presets: another installation's tenant ids mean nothing here.
        a.tenant_id = Set(None);
        a.updated_at = Set(t);
        a
    };
    let planned = plan(
        existing,
        mode,
        |r| {
            r.show_name == rule.show_name
                && r.description == rule.description
                && r.expr == rule.expr
                && r.unit == rule.unit
                && r.labels == labels
                && r.tenant_id.is_none()
        },
        |r| fill(r.into()),
        || {
            fill(template_rule::ActiveModel {
                resource_id: Set(resource_id),
                name: Set(rule.name.clone()),
                created_at: Set(t),
                ..Default::default()
            })
        },
    );
    save(tx, planned, key.to_string(), summary).await
}

pub fn dashboard_row(d: &DashboardTemplate) -> (String, String) {
    (
        serde_json::to_string(&d.graphs).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&d.variables).unwrap_or_else(|_| "{}".into()),
    )
}

pub fn dashboard_from_row(m: dashboard_template::Model) -> DashboardTemplate {
    DashboardTemplate {
        name: m.name,
        description: m.description,
        step: m.step,
        refresh: m.refresh,
        start: m.time_start,
        end: m.time_end,
        graphs: serde_json::from_str(&m.graphs).unwrap_or_default(),
        variables: serde_json::from_str::<BTreeMap<String, String>>(&m.variables)
            .unwrap_or_default(),
    }
}

/// A dashboard template, by name.
pub async fn dashboard<C: ConnectionTrait>(
    tx: &C,
    d: &DashboardTemplate,
    mode: Mode,
    summary: &mut ImportSummary,
) -> Result<(), ApiError> {
    let t = now();
    let (graphs, variables) = dashboard_row(d);
    let existing = dashboard_template::Entity::find()
        .filter(dashboard_template::Column::Name.eq(d.name.as_str()))
        .one(tx)
        .await?;
    let fill = |mut a: dashboard_template::ActiveModel| {
        a.description = Set(d.description.clone());
        a.step = Set(d.step.clone());
        a.refresh = Set(d.refresh.clone());
        a.time_start = Set(d.start.clone());
        a.time_end = Set(d.end.clone());
        a.graphs = Set(graphs.clone());
        a.variables = Set(variables.clone());
        a.updated_at = Set(t);
        a
    };
    let planned = plan(
        existing,
        mode,
        |row| dashboard_from_row(row.clone()) == *d,
        |row| fill(row.into()),
        || {
            fill(dashboard_template::ActiveModel {
                name: Set(d.name.clone()),
                created_at: Set(t),
                ..Default::default()
            })
        },
    );
    save(tx, planned, format!("dashboard {}", d.name), summary).await
}

/// A system alert rule template, by name.
pub(super) async fn alert<C: ConnectionTrait>(
    tx: &C,
    a: &AlertTemplate,
    mode: Mode,
    summary: &mut ImportSummary,
) -> Result<(), ApiError> {
    let t = now();
    let body = serde_json::to_string(&a.body).unwrap_or_else(|_| "{}".into());
    let existing = alert_template::Entity::find()
        .filter(alert_template::Column::Name.eq(a.name.as_str()))
        .one(tx)
        .await?;
    let fill = |mut m: alert_template::ActiveModel| {
        m.body = Set(body.clone());
        m.updated_at = Set(t);
        m
    };
    let planned = plan(
        existing,
        mode,
        |row| {
            serde_json::from_str::<serde_json::Value>(&row.body)
                .ok()
                .as_ref()
                == Some(&a.body)
        },
        |row| fill(row.into()),
        || {
            fill(alert_template::ActiveModel {
                name: Set(a.name.clone()),
                created_at: Set(t),
                ..Default::default()
            })
        },
    );
    save(tx, planned, format!("system alert {}", a.name), summary).await
}
