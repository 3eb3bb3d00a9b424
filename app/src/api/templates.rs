//! The template library: PromQL templates (presets for everyone, plus each tenant's own),
//! dashboard templates, the system alert set, and KubeGems-format import and export.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{
    AlertTemplate, DashboardTemplate, ImportSummary, ResolvedTemplate, TemplateRule,
    TemplateRuleInput, TemplateScope,
};

#[cfg(feature = "ssr")]
use super::context::Caller;

/// One file of an import or export: its path relative to the KubeGems `config/` directory.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TemplateFile {
    pub path: String,
    pub text: String,
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait TemplatesPort: Send + Sync {
    /// Scopes → resources → rules: presets, plus the rules of `tenant_id` when given (the caller
    /// must belong to it).
    async fn tree(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
    ) -> Result<Vec<TemplateScope>, ApiError>;
    /// Rules whose `scope.resource.rule` key, show names or expression contain `query`.
    async fn search(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
        query: String,
    ) -> Result<Vec<ResolvedTemplate>, ApiError>;
    async fn create_rule(
        &self,
        caller: &Caller,
        input: TemplateRuleInput,
    ) -> Result<TemplateRule, ApiError>;
    async fn update_rule(
        &self,
        caller: &Caller,
        rule_id: i64,
        input: TemplateRuleInput,
    ) -> Result<TemplateRule, ApiError>;
    /// The tenant that owns a stored rule (`None`: a preset, or no such rule), for the audit log:
    /// the owner comes from the database, never from the request.
    async fn rule_tenant(&self, rule_id: i64) -> Result<Option<i64>, ApiError>;
    /// Refused while a dashboard template (and later dashboards and alert rules) uses it.
    async fn delete_rule(&self, caller: &Caller, rule_id: i64) -> Result<(), ApiError>;
    async fn dashboards(&self, caller: &Caller) -> Result<Vec<DashboardTemplate>, ApiError>;
    async fn save_dashboard(
        &self,
        caller: &Caller,
        template: DashboardTemplate,
    ) -> Result<DashboardTemplate, ApiError>;
    async fn delete_dashboard(&self, caller: &Caller, name: String) -> Result<(), ApiError>;
    async fn alerts(&self, caller: &Caller) -> Result<Vec<AlertTemplate>, ApiError>;
    /// Reads KubeGems files; with `apply` false only says what would change.
    async fn import(
        &self,
        caller: &Caller,
        files: Vec<TemplateFile>,
        apply: bool,
    ) -> Result<ImportSummary, ApiError>;
    async fn export(&self, caller: &Caller) -> Result<Vec<TemplateFile>, ApiError>;
}

#[server(prefix = "/api", endpoint = "templates/tree", input = Json)]
pub async fn template_tree(tenant_id: Option<i64>) -> Result<Vec<TemplateScope>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .templates
            .tree(&caller().await?, tenant_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/search", input = Json)]
pub async fn search_templates(
    tenant_id: Option<i64>,
    query: String,
) -> Result<Vec<ResolvedTemplate>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .templates
            .search(&caller().await?, tenant_id, query)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/rules/create", input = Json)]
pub async fn create_template_rule(rule: TemplateRuleInput) -> Result<TemplateRule, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "template.rule.create",
            target: format!("template-rule/{}", rule.name),
            tenant_id: rule.tenant_id,
        };
        audited(&c, t, services()?.templates.create_rule(&c, rule)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/rules/update", input = Json)]
pub async fn update_template_rule(
    rule_id: i64,
    rule: TemplateRuleInput,
) -> Result<TemplateRule, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "template.rule.update",
            target: format!("template-rule/{rule_id}"),
            tenant_id: services()?.templates.rule_tenant(rule_id).await?,
        };
        audited(&c, t, services()?.templates.update_rule(&c, rule_id, rule)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/rules/delete", input = Json)]
pub async fn delete_template_rule(rule_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "template.rule.delete",
            target: format!("template-rule/{rule_id}"),
            tenant_id: services()?.templates.rule_tenant(rule_id).await?,
        };
        audited(&c, t, services()?.templates.delete_rule(&c, rule_id)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/dashboards/list", input = Json)]
pub async fn dashboard_templates() -> Result<Vec<DashboardTemplate>, ApiError> {
    use super::context::*;
    respond(async { services()?.templates.dashboards(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "templates/dashboards/save", input = Json)]
pub async fn save_dashboard_template(
    template: DashboardTemplate,
) -> Result<DashboardTemplate, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "template.dashboard.save",
            target: format!("dashboard-template/{}", template.name),
            tenant_id: None,
        };
        audited(&c, t, services()?.templates.save_dashboard(&c, template)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/dashboards/delete", input = Json)]
pub async fn delete_dashboard_template(name: String) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "template.dashboard.delete",
            target: format!("dashboard-template/{name}"),
            tenant_id: None,
        };
        audited(&c, t, services()?.templates.delete_dashboard(&c, name)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/alerts/list", input = Json)]
pub async fn alert_templates() -> Result<Vec<AlertTemplate>, ApiError> {
    use super::context::*;
    respond(async { services()?.templates.alerts(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "templates/import", input = Json)]
pub async fn import_templates(
    files: Vec<TemplateFile>,
    apply: bool,
) -> Result<ImportSummary, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: if apply {
                "template.import"
            } else {
                "template.import.preview"
            },
            target: format!("templates/{} files", files.len()),
            tenant_id: None,
        };
        audited(&c, t, services()?.templates.import(&c, files, apply)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "templates/export", input = Json)]
pub async fn export_templates() -> Result<Vec<TemplateFile>, ApiError> {
    use super::context::*;
    respond(async { services()?.templates.export(&caller().await?).await }).await
}
