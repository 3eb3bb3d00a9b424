//! The template library service: PromQL templates (presets for everyone, tenants' own rules for
//! their members), dashboard templates, the system alert set, import/export and seeding.

pub mod library;
pub mod upsert;

use std::collections::HashMap;

use app::api::context::Caller;
use app::api::templates::{TemplateFile, TemplatesPort};
use app::domain::templates as check;
use app::error::{ApiError, Code};
use app::model::{
    AlertTemplate, DashboardTemplate, ImportSummary, ResolvedTemplate, Role, TemplateKey,
    TemplateResource, TemplateRule, TemplateRuleInput, TemplateScope,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
};

use crate::auth::authz::{require_system_admin, require_tenant};
use crate::db::entities::{
    alert_template, dashboard_template, template_resource, template_rule, template_scope,
};
use crate::db::{conflict_or_internal, now};
use library::Mode;

pub struct TemplatesService {
    pub db: DatabaseConnection,
}

fn rule_from_row(r: template_rule::Model) -> TemplateRule {
    TemplateRule {
        id: r.id,
        resource_id: r.resource_id,
        name: r.name,
        show_name: r.show_name,
        description: r.description,
        expr: r.expr,
        unit: r.unit,
        labels: serde_json::from_str(&r.labels).unwrap_or_default(),
        tenant_id: r.tenant_id,
    }
}

/// Seeds Gemscope's presets: adds what is missing, never touches existing (possibly edited) ones.
pub async fn seed(db: &DatabaseConnection) -> Result<ImportSummary, ApiError> {
    let files = library::presets().map_err(|e| {
        tracing::error!(error = %e, "built-in presets do not parse");
        ApiError::internal()
    })?;
    library::apply(db, &files, Mode::AddMissing, true).await
}

/// The template `key` as `tenant_id` sees it (presets, plus that tenant's rules).
pub async fn resolve(
    db: &DatabaseConnection,
    tenant_id: Option<i64>,
    key: &TemplateKey,
) -> Result<ResolvedTemplate, ApiError> {
    let missing = || {
        ApiError::invalid("template", Code::TemplateMissing)
            .arg(format!("{}.{}.{}", key.scope, key.resource, key.rule))
    };
    let scope = template_scope::Entity::find()
        .filter(template_scope::Column::Name.eq(key.scope.as_str()))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let resource = template_resource::Entity::find()
        .filter(template_resource::Column::ScopeId.eq(scope.id))
        .filter(template_resource::Column::Name.eq(key.resource.as_str()))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let mut owner = Condition::any().add(template_rule::Column::TenantId.is_null());
    if let Some(t) = tenant_id {
        owner = owner.add(template_rule::Column::TenantId.eq(t));
    }
    let rule = template_rule::Entity::find()
        .filter(template_rule::Column::ResourceId.eq(resource.id))
        .filter(template_rule::Column::Name.eq(key.rule.as_str()))
        .filter(owner)
        .one(db)
        .await?
        .ok_or_else(missing)?;
    Ok(ResolvedTemplate {
        scope: scope.name,
        scope_show_name: scope.show_name,
        resource: resource.name,
        resource_show_name: resource.show_name,
        rule: rule_from_row(rule),
        namespaced: scope.namespaced,
    })
}

impl TemplatesService {
    /// Presets, plus the tenant's rules when the caller may see that tenant.
    async fn visible(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
    ) -> Result<Condition, ApiError> {
        let mut cond = Condition::any().add(template_rule::Column::TenantId.is_null());
        if let Some(t) = tenant_id {
            require_tenant(&self.db, caller, t, Role::Viewer).await?;
            cond = cond.add(template_rule::Column::TenantId.eq(t));
        }
        Ok(cond)
    }

    /// May the caller change rules owned by `tenant_id` (`None`: presets)?
    async fn may_manage(&self, caller: &Caller, tenant_id: Option<i64>) -> Result<(), ApiError> {
        match tenant_id {
            None => require_system_admin(caller),
            Some(t) => require_tenant(&self.db, caller, t, Role::Admin)
                .await
                .map(|_| ()),
        }
    }

    async fn load_tree(&self, visible: Condition) -> Result<Vec<TemplateScope>, ApiError> {
        let scopes = template_scope::Entity::find().all(&self.db).await?;
        let resources = template_resource::Entity::find().all(&self.db).await?;
        let rules = template_rule::Entity::find()
            .filter(visible)
            .all(&self.db)
            .await?;
        let mut by_resource: HashMap<i64, Vec<TemplateRule>> = HashMap::new();
        for r in rules {
            by_resource
                .entry(r.resource_id)
                .or_default()
                .push(rule_from_row(r));
        }
        let mut out: Vec<TemplateScope> = scopes
            .into_iter()
            .map(|s| {
                let mut resources: Vec<TemplateResource> = resources
                    .iter()
                    .filter(|r| r.scope_id == s.id)
                    .map(|r| {
                        let mut rules = by_resource.remove(&r.id).unwrap_or_default();
                        rules.sort_by(|a, b| a.name.cmp(&b.name));
                        TemplateResource {
                            id: r.id,
                            scope_id: s.id,
                            name: r.name.clone(),
                            show_name: r.show_name.clone(),
                            rules,
                        }
                    })
                    .collect();
                resources.sort_by(|a, b| a.name.cmp(&b.name));
                TemplateScope {
                    id: s.id,
                    name: s.name,
                    show_name: s.show_name,
                    namespaced: s.namespaced,
                    resources,
                }
            })
            .collect();
        out.sort_by_key(|s| s.id);
        Ok(out)
    }

    /// Who uses the template `key`: dashboard templates and system alert rules.
    async fn users_of(&self, key: &TemplateKey) -> Result<Vec<String>, ApiError> {
        let dashboards = dashboard_template::Entity::find().all(&self.db).await?;
        Ok(dashboards
            .into_iter()
            .map(library::dashboard_from_row)
            .filter(|d| {
                d.graphs
                    .iter()
                    .flat_map(|g| &g.targets)
                    .any(|t| t.generator.as_ref().is_some_and(|g| &g.key == key))
            })
            .map(|d| format!("dashboard template {:?}", d.name))
            .chain(
                alert_template::Entity::find()
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .filter(|a| {
                        serde_json::from_str::<app::model::AlertRuleInput>(&a.body)
                            .ok()
                            .and_then(|input| input.promql_generator)
                            .is_some_and(|g| &g.key == key)
                    })
                    .map(|a| format!("system alert rule {:?}", a.name)),
            )
            .collect())
    }

    async fn resource_key(&self, resource_id: i64) -> Result<(String, String), ApiError> {
        let resource = template_resource::Entity::find_by_id(resource_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::invalid("resource_id", Code::NoSuchResource))?;
        let scope = template_scope::Entity::find_by_id(resource.scope_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::invalid("resource_id", Code::NoSuchResource))?;
        Ok((scope.name, resource.name))
    }

    async fn find_rule(
        &self,
        caller: &Caller,
        rule_id: i64,
    ) -> Result<template_rule::Model, ApiError> {
        let rule = template_rule::Entity::find_by_id(rule_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::TemplateRuleNotFound))?;
        // Another tenant's rule does not exist for this caller.
        if let Some(t) = rule.tenant_id {
            require_tenant(&self.db, caller, t, Role::Viewer)
                .await
                .map_err(|_| ApiError::not_found(Code::TemplateRuleNotFound))?;
        }
        Ok(rule)
    }

    async fn resolves(&self) -> Result<impl Fn(&TemplateKey) -> bool, ApiError> {
        let tree = self.load_tree(Condition::all()).await?;
        let keys: std::collections::HashSet<TemplateKey> = tree
            .iter()
            .flat_map(|s| {
                s.resources.iter().flat_map(move |r| {
                    r.rules
                        .iter()
                        .map(move |x| TemplateKey::new(&s.name, &r.name, &x.name))
                })
            })
            .collect();
        Ok(move |key: &TemplateKey| keys.contains(key))
    }
}

#[async_trait::async_trait]
impl TemplatesPort for TemplatesService {
    async fn tree(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
    ) -> Result<Vec<TemplateScope>, ApiError> {
        let visible = self.visible(caller, tenant_id).await?;
        self.load_tree(visible).await
    }

    async fn search(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
        query: String,
    ) -> Result<Vec<ResolvedTemplate>, ApiError> {
        let q = query.trim().to_lowercase();
        let tree = self.tree(caller, tenant_id).await?;
        let mut out = Vec::new();
        for s in &tree {
            for r in &s.resources {
                for rule in &r.rules {
                    let found = ResolvedTemplate {
                        scope: s.name.clone(),
                        scope_show_name: s.show_name.clone(),
                        resource: r.name.clone(),
                        resource_show_name: r.show_name.clone(),
                        rule: rule.clone(),
                        namespaced: s.namespaced,
                    };
                    let hay = [
                        found.key(),
                        s.show_name.clone(),
                        r.show_name.clone(),
                        rule.show_name.clone(),
                        rule.expr.clone(),
                    ]
                    .join("\n")
                    .to_lowercase();
                    if q.is_empty() || hay.contains(&q) {
                        out.push(found);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn create_rule(
        &self,
        caller: &Caller,
        input: TemplateRuleInput,
    ) -> Result<TemplateRule, ApiError> {
        self.may_manage(caller, input.tenant_id).await?;
        check::rule_input(&input)?;
        self.resource_key(input.resource_id).await?;
        let t = now();
        let row = template_rule::ActiveModel {
            resource_id: Set(input.resource_id),
            tenant_id: Set(input.tenant_id),
            name: Set(input.name),
            show_name: Set(input.show_name),
            description: Set(input.description),
            expr: Set(input.expr),
            unit: Set(input.unit),
            labels: Set(serde_json::to_string(&input.labels).unwrap_or_else(|_| "[]".into())),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::TemplateRuleExists))?;
        Ok(rule_from_row(row))
    }

    async fn update_rule(
        &self,
        caller: &Caller,
        rule_id: i64,
        input: TemplateRuleInput,
    ) -> Result<TemplateRule, ApiError> {
        let existing = self.find_rule(caller, rule_id).await?;
        // Ownership comes from the stored rule, never from the request.
        self.may_manage(caller, existing.tenant_id).await?;
        check::rule_input(&input)?;
        let (scope, resource) = self.resource_key(existing.resource_id).await?;
        if input.resource_id != existing.resource_id {
            self.resource_key(input.resource_id).await?;
        }
        let renamed = input.name != existing.name || input.resource_id != existing.resource_id;
        if renamed {
            let users = self
                .users_of(&TemplateKey::new(&scope, &resource, &existing.name))
                .await?;
            if !users.is_empty() {
                return Err(ApiError::conflict("name", Code::TemplateInUse).arg(users.join(", ")));
            }
        }
        let mut a: template_rule::ActiveModel = existing.into();
        a.resource_id = Set(input.resource_id);
        a.name = Set(input.name);
        a.show_name = Set(input.show_name);
        a.description = Set(input.description);
        a.expr = Set(input.expr);
        a.unit = Set(input.unit);
        a.labels = Set(serde_json::to_string(&input.labels).unwrap_or_else(|_| "[]".into()));
        a.updated_at = Set(now());
        let row = a
            .update(&self.db)
            .await
            .map_err(|e| conflict_or_internal(e, "name", Code::TemplateRuleExists))?;
        Ok(rule_from_row(row))
    }

    async fn rule_tenant(&self, rule_id: i64) -> Result<Option<i64>, ApiError> {
        Ok(template_rule::Entity::find_by_id(rule_id)
            .one(&self.db)
            .await?
            .and_then(|r| r.tenant_id))
    }

    async fn delete_rule(&self, caller: &Caller, rule_id: i64) -> Result<(), ApiError> {
        let existing = self.find_rule(caller, rule_id).await?;
        self.may_manage(caller, existing.tenant_id).await?;
        let (scope, resource) = self.resource_key(existing.resource_id).await?;
        let key = TemplateKey::new(&scope, &resource, &existing.name);
        let users = self.users_of(&key).await?;
        if !users.is_empty() {
            return Err(ApiError::conflict("rule_id", Code::KeyInUse)
                .arg(&key)
                .arg(users.join(", ")));
        }
        template_rule::Entity::delete_by_id(rule_id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn dashboards(&self, _caller: &Caller) -> Result<Vec<DashboardTemplate>, ApiError> {
        let mut rows = dashboard_template::Entity::find().all(&self.db).await?;
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows.into_iter().map(library::dashboard_from_row).collect())
    }

    async fn save_dashboard(
        &self,
        caller: &Caller,
        template: DashboardTemplate,
    ) -> Result<DashboardTemplate, ApiError> {
        require_system_admin(caller)?;
        let resolves = self.resolves().await?;
        check::dashboard(&template, resolves)?;
        let mut summary = ImportSummary::default();
        upsert::dashboard(&self.db, &template, Mode::Overwrite, &mut summary).await?;
        Ok(template)
    }

    async fn delete_dashboard(&self, caller: &Caller, name: String) -> Result<(), ApiError> {
        require_system_admin(caller)?;
        let deleted = dashboard_template::Entity::delete_many()
            .filter(dashboard_template::Column::Name.eq(name.as_str()))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(ApiError::not_found(Code::DashboardTemplateNotFound));
        }
        Ok(())
    }

    async fn alerts(&self, caller: &Caller) -> Result<Vec<AlertTemplate>, ApiError> {
        require_system_admin(caller)?;
        let mut rows = alert_template::Entity::find().all(&self.db).await?;
        rows.sort_by_key(|a| a.id);
        Ok(rows
            .into_iter()
            .map(|a| AlertTemplate {
                body: serde_json::from_str(&a.body).unwrap_or_default(),
                name: a.name,
            })
            .collect())
    }

    async fn import(
        &self,
        caller: &Caller,
        files: Vec<TemplateFile>,
        apply: bool,
    ) -> Result<ImportSummary, ApiError> {
        require_system_admin(caller)?;
        if files.is_empty() {
            return Err(ApiError::invalid("files", Code::ChooseFile));
        }
        let pairs: Vec<(String, String)> = files.into_iter().map(|f| (f.path, f.text)).collect();
        let parsed = library::parse(&pairs)?;
        library::apply(&self.db, &parsed, Mode::Overwrite, apply).await
    }

    async fn export(&self, caller: &Caller) -> Result<Vec<TemplateFile>, ApiError> {
        require_system_admin(caller)?;
        let files = library::export(&self.db).await?;
        let rendered = files.render().map_err(|e| {
            tracing::error!(error = %e, "rendering template files");
            ApiError::internal()
        })?;
        Ok(rendered
            .into_iter()
            .map(|(path, text)| TemplateFile { path, text })
            .collect())
    }
}
