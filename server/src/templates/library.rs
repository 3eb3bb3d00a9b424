//! Loading and applying template files (KubeGems format) to the database: imports overwrite,
//! seeding only adds what is missing, and both report what they did.

use std::collections::BTreeMap;

use app::domain::templates::{FileResource, FileRule, FileScope, TemplateFiles};
use app::error::{ApiError, Code};
use app::model::{AlertTemplate, ImportSummary};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::db::entities::{
    alert_template, dashboard_template, template_resource, template_rule, template_scope,
};
use crate::db::now;

use super::upsert;
pub use super::upsert::{dashboard_from_row, dashboard_row};

/// How existing entries are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An import: the file wins.
    Overwrite,
    /// Seeding presets: existing entries (possibly edited by users) are left alone.
    AddMissing,
}

/// A built-in preset file that does not load (a bug in Gemscope, caught by a unit test).
#[derive(Debug, thiserror::Error)]
#[error("built-in preset {path}: {reason}")]
pub struct PresetError {
    path: &'static str,
    reason: String,
}

/// Gemscope's own presets, compiled in.
pub fn presets() -> Result<TemplateFiles, PresetError> {
    macro_rules! preset_files {
        ($($path:literal),* $(,)?) => {
            [$(($path, include_str!(concat!("../../presets/", $path)))),*]
        };
    }
    let mut files = TemplateFiles::default();
    for (path, text) in preset_files![
        "promql_tpl.yaml",
        "system_alert.yaml",
        "dashboards/apisix.yaml",
        "dashboards/consul.yaml",
        "dashboards/container.yaml",
        "dashboards/elasticsearch.yaml",
        "dashboards/jmx.yaml",
        "dashboards/kafka.yaml",
        "dashboards/mongodb.yaml",
        "dashboards/mysql.yaml",
        "dashboards/node.yaml",
        "dashboards/otel_http.yaml",
        "dashboards/otel_jdbc.yaml",
        "dashboards/otel_jvm.yaml",
        "dashboards/otel_kafka.yaml",
        "dashboards/otel_process_jvm.yaml",
        "dashboards/postgres.yaml",
        "dashboards/redis.yaml",
    ] {
        files
            .add_file(path, text)
            .map_err(|reason| PresetError { path, reason })?;
    }
    Ok(files)
}

/// Reads files given as (path, text); `Err` names the file and line of the first bad one.
pub fn parse(files: &[(String, String)]) -> Result<TemplateFiles, ApiError> {
    let mut out = TemplateFiles::default();
    for (path, text) in files {
        out.add_file(path, text)
            .map_err(|e| ApiError::invalid("files", Code::TemplateFiles).arg(e))?;
    }
    Ok(out)
}

/// Warnings for rules a user could not have saved: kept, since imports take files as they are.
fn rule_warnings(files: &TemplateFiles) -> Vec<String> {
    let mut out = Vec::new();
    for s in &files.scopes {
        for r in &s.resources {
            for rule in &r.rules {
                let key = format!("{}.{}.{}", s.name, r.name, rule.name);
                if let Err(e) = app::domain::templates::promql("expr", &rule.expr) {
                    out.push(format!("{key}: {}", e.message));
                }
                if let Err(e) = app::domain::units::Unit::parse(&rule.unit) {
                    out.push(format!("{key}: {e}"));
                }
                if let Err(e) = app::domain::templates::name("name", &rule.name) {
                    out.push(format!("{key}: name {}", e.message));
                }
            }
        }
    }
    out
}

/// Applies `files` inside one transaction (or only plans, when `apply` is false).
pub async fn apply(
    db: &DatabaseConnection,
    files: &TemplateFiles,
    mode: Mode,
    apply: bool,
) -> Result<ImportSummary, ApiError> {
    let tx = crate::db::begin_write(db).await?;
    let mut summary = ImportSummary {
        warnings: files.warnings.clone(),
        applied: apply,
        ..Default::default()
    };
    summary.warnings.extend(rule_warnings(files));
    let t = now();
    for scope in &files.scopes {
        let existing = template_scope::Entity::find()
            .filter(template_scope::Column::Name.eq(scope.name.as_str()))
            .one(&tx)
            .await?;
        let scope_id = match existing {
            Some(s) => {
                let changed = s.show_name != scope.show_name || s.namespaced != scope.namespaced;
                if changed && mode == Mode::Overwrite {
                    let mut a: template_scope::ActiveModel = s.clone().into();
                    a.show_name = Set(scope.show_name.clone());
                    a.namespaced = Set(scope.namespaced);
                    a.update(&tx).await?;
                    summary.updated.push(format!("scope {}", scope.name));
                }
                s.id
            }
            None => {
                summary.added.push(format!("scope {}", scope.name));
                template_scope::ActiveModel {
                    name: Set(scope.name.clone()),
                    show_name: Set(scope.show_name.clone()),
                    namespaced: Set(scope.namespaced),
                    created_at: Set(t),
                    ..Default::default()
                }
                .insert(&tx)
                .await?
                .id
            }
        };
        for resource in &scope.resources {
            apply_resource(&tx, scope, scope_id, resource, mode, &mut summary).await?;
        }
    }
    for d in &files.dashboards {
        upsert::dashboard(&tx, d, mode, &mut summary).await?;
    }
    for a in &files.alerts {
        upsert::alert(&tx, a, mode, &mut summary).await?;
    }
    if apply {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(summary)
}

async fn apply_resource<C: ConnectionTrait>(
    tx: &C,
    scope: &FileScope,
    scope_id: i64,
    resource: &FileResource,
    mode: Mode,
    summary: &mut ImportSummary,
) -> Result<(), ApiError> {
    let t = now();
    let existing = template_resource::Entity::find()
        .filter(template_resource::Column::ScopeId.eq(scope_id))
        .filter(template_resource::Column::Name.eq(resource.name.as_str()))
        .one(tx)
        .await?;
    let resource_id = match existing {
        Some(r) => {
            if r.show_name != resource.show_name && mode == Mode::Overwrite {
                let mut a: template_resource::ActiveModel = r.clone().into();
                a.show_name = Set(resource.show_name.clone());
                a.update(tx).await?;
                summary
                    .updated
                    .push(format!("resource {}.{}", scope.name, resource.name));
            }
            r.id
        }
        None => {
            summary
                .added
                .push(format!("resource {}.{}", scope.name, resource.name));
            template_resource::ActiveModel {
                scope_id: Set(scope_id),
                name: Set(resource.name.clone()),
                show_name: Set(resource.show_name.clone()),
                created_at: Set(t),
                ..Default::default()
            }
            .insert(tx)
            .await?
            .id
        }
    };
    let mut seen = std::collections::HashSet::new();
    for rule in &resource.rules {
        let key = format!("{}.{}.{}", scope.name, resource.name, rule.name);
        if !seen.insert(rule.name.clone()) {
            summary
                .warnings
                .push(format!("{key}: appears twice; the later one is used"));
        }
        upsert::rule(tx, resource_id, rule, &key, mode, summary).await?;
    }
    Ok(())
}

/// Everything in the database as KubeGems files (presets only: tenants' rules stay private).
pub async fn export<C: ConnectionTrait>(db: &C) -> Result<TemplateFiles, ApiError> {
    let scopes = template_scope::Entity::find().all(db).await?;
    let resources = template_resource::Entity::find().all(db).await?;
    let rules = template_rule::Entity::find()
        .filter(template_rule::Column::TenantId.is_null())
        .all(db)
        .await?;
    let mut files = TemplateFiles::default();
    let mut sorted_scopes = scopes;
    sorted_scopes.sort_by_key(|s| s.id);
    for s in sorted_scopes {
        let mut file_resources = Vec::new();
        let mut rs: Vec<&template_resource::Model> =
            resources.iter().filter(|r| r.scope_id == s.id).collect();
        rs.sort_by_key(|r| r.id);
        for r in rs {
            let mut rows: Vec<&template_rule::Model> =
                rules.iter().filter(|x| x.resource_id == r.id).collect();
            rows.sort_by_key(|x| x.id);
            file_resources.push(FileResource {
                id: Some(r.id),
                name: r.name.clone(),
                show_name: r.show_name.clone(),
                scope_id: Some(s.id),
                rules: rows
                    .into_iter()
                    .map(|x| FileRule {
                        description: x.description.clone(),
                        expr: x.expr.clone(),
                        id: Some(x.id),
                        labels: serde_json::from_str(&x.labels).unwrap_or_default(),
                        name: x.name.clone(),
                        resource_id: Some(r.id),
                        show_name: x.show_name.clone(),
                        tenant_id: None,
                        unit: x.unit.clone(),
                    })
                    .collect(),
            });
        }
        files.scopes.push(FileScope {
            id: Some(s.id),
            name: s.name,
            show_name: s.show_name,
            namespaced: s.namespaced,
            resources: file_resources,
        });
    }
    let mut dashboards = dashboard_template::Entity::find().all(db).await?;
    dashboards.sort_by(|a, b| a.name.cmp(&b.name));
    files.dashboards = dashboards.into_iter().map(dashboard_from_row).collect();
    let mut alerts = alert_template::Entity::find().all(db).await?;
    alerts.sort_by_key(|a| a.id);
    files.alerts = alerts
        .into_iter()
        .map(|a| AlertTemplate {
            body: serde_json::from_str(&a.body).unwrap_or_default(),
            name: a.name,
        })
        .collect();
    Ok(files)
}

/// The KubeGems files under `path` (a `config/` directory, or one file), as (relative path, text).
pub fn read_path(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    if path.is_file() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        return Ok(vec![(name, read(path)?)]);
    }
    let mut out = Vec::new();
    for name in ["promql_tpl.yaml", "system_alert.yaml"] {
        let p = path.join(name);
        if p.is_file() {
            out.push((name.to_string(), read(&p)?));
        }
    }
    let dashboards = path.join("dashboards");
    if dashboards.is_dir() {
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(&dashboards)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        names.sort();
        for p in names {
            let rel = format!(
                "dashboards/{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or_default()
            );
            out.push((rel, read(&p)?));
        }
    }
    if out.is_empty() {
        anyhow::bail!(
            "{}: no promql_tpl.yaml, system_alert.yaml or dashboards/*.yaml here",
            path.display()
        );
    }
    Ok(out)
}

/// Writes rendered files under `dir`, creating `dashboards/` as needed.
pub fn write_dir(dir: &std::path::Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    for (rel, text) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn resources(files: &TemplateFiles) -> BTreeSet<String> {
        files
            .scopes
            .iter()
            .flat_map(|s| {
                // KubeGems spells its middleware scope "middlewires".
                let scope = s.name.replace("middlewires", "middleware");
                s.resources
                    .iter()
                    .map(move |r| format!("{scope}.{}", r.name))
            })
            .collect()
    }

    /// The presets cover every resource, dashboard area and system alert KubeGems ships.
    #[test]
    fn presets_cover_what_kubegems_ships() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../end2end/testkit/fixtures/kubegems/config");
        let kubegems = parse(&read_path(&dir).unwrap()).unwrap();
        let ours = presets().unwrap();

        let missing: Vec<_> = resources(&kubegems)
            .difference(&resources(&ours))
            .cloned()
            .collect();
        assert_eq!(missing, Vec::<String>::new(), "resources without presets");

        let referenced = |files: &TemplateFiles| -> BTreeSet<String> {
            files
                .dashboards
                .iter()
                .flat_map(|d| &d.graphs)
                .flat_map(|g| &g.targets)
                .filter_map(|t| t.generator.as_ref())
                .map(|g| {
                    format!("{}.{}", g.key.scope, g.key.resource)
                        .replace("middlewires", "middleware")
                })
                .collect()
        };
        let uncovered: Vec<_> = referenced(&kubegems)
            .difference(&referenced(&ours))
            .cloned()
            .collect();
        assert_eq!(uncovered, Vec::<String>::new(), "areas without a dashboard");
        assert!(ours.dashboards.len() >= kubegems.dashboards.len());
        assert!(ours.alerts.len() >= kubegems.alerts.len());

        // Every system alert's template is one of the presets.
        let rules: BTreeSet<String> = ours
            .scopes
            .iter()
            .flat_map(|s| {
                s.resources.iter().flat_map(move |r| {
                    r.rules
                        .iter()
                        .map(move |x| format!("{}.{}.{}", s.name, r.name, x.name))
                })
            })
            .collect();
        for a in &ours.alerts {
            let g = &a.body["promqlGenerator"];
            if g.is_null() {
                continue;
            }
            let key = ["scope", "resource", "rule"]
                .map(|k| g[k].as_str().unwrap_or_default())
                .join(".");
            assert!(rules.contains(&key), "{} uses missing {key}", a.name);
        }
    }
}
