//! Tenants, their members, projects and environments. Every call names the tenant that owns the
//! object, and the server looks the object up through that tenant.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{Environment, Member, NewEnvironment, Project, Role, Tenant};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait TenancyPort: Send + Sync {
    async fn list_tenants(&self, caller: &Caller) -> Result<Vec<Tenant>, ApiError>;
    async fn get_tenant(&self, caller: &Caller, tenant_id: i64) -> Result<Tenant, ApiError>;
    async fn create_tenant(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
    ) -> Result<Tenant, ApiError>;
    async fn update_tenant(
        &self,
        caller: &Caller,
        tenant_id: i64,
        description: &str,
    ) -> Result<Tenant, ApiError>;
    async fn delete_tenant(&self, caller: &Caller, tenant_id: i64) -> Result<(), ApiError>;
    async fn list_members(&self, caller: &Caller, tenant_id: i64) -> Result<Vec<Member>, ApiError>;
    async fn set_member(
        &self,
        caller: &Caller,
        tenant_id: i64,
        username: &str,
        role: Role,
    ) -> Result<Member, ApiError>;
    async fn remove_member(
        &self,
        caller: &Caller,
        tenant_id: i64,
        user_id: i64,
    ) -> Result<(), ApiError>;
    async fn list_projects(
        &self,
        caller: &Caller,
        tenant_id: i64,
    ) -> Result<Vec<Project>, ApiError>;
    async fn create_project(
        &self,
        caller: &Caller,
        tenant_id: i64,
        name: &str,
        description: &str,
    ) -> Result<Project, ApiError>;
    async fn delete_project(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
    ) -> Result<(), ApiError>;
    async fn list_environments(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
    ) -> Result<Vec<Environment>, ApiError>;
    async fn create_environment(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
        input: NewEnvironment,
    ) -> Result<Environment, ApiError>;
    async fn delete_environment(
        &self,
        caller: &Caller,
        tenant_id: i64,
        environment_id: i64,
    ) -> Result<(), ApiError>;
}

/// Tenants the caller can see: all of them for a system admin, otherwise those they belong to.
#[server(prefix = "/api", endpoint = "tenants/list", input = Json)]
pub async fn list_tenants() -> Result<Vec<Tenant>, ApiError> {
    use super::context::*;
    respond(async { services()?.tenancy.list_tenants(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "tenants/get", input = Json)]
pub async fn get_tenant(tenant_id: i64) -> Result<Tenant, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .tenancy
            .get_tenant(&caller().await?, tenant_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tenants/create", input = Json)]
pub async fn create_tenant(name: String, description: String) -> Result<Tenant, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "tenant.create",
            target: format!("tenant/{name}"),
            tenant_id: None,
        };
        audited(
            &c,
            t,
            services()?.tenancy.create_tenant(&c, &name, &description),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tenants/update", input = Json)]
pub async fn update_tenant(tenant_id: i64, description: String) -> Result<Tenant, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "tenant.update",
            target: format!("tenant/{tenant_id}"),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .update_tenant(&c, tenant_id, &description),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tenants/delete", input = Json)]
pub async fn delete_tenant(tenant_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "tenant.delete",
            target: format!("tenant/{tenant_id}"),
            tenant_id: Some(tenant_id),
        };
        audited(&c, t, services()?.tenancy.delete_tenant(&c, tenant_id)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "members/list", input = Json)]
pub async fn list_members(tenant_id: i64) -> Result<Vec<Member>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .tenancy
            .list_members(&caller().await?, tenant_id)
            .await
    })
    .await
}

/// Adds a user to the tenant, or changes their role there.
#[server(prefix = "/api", endpoint = "members/set", input = Json)]
pub async fn set_member(tenant_id: i64, username: String, role: Role) -> Result<Member, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "member.set",
            target: format!("tenant/{tenant_id}/member/{username}:{}", role.as_str()),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .set_member(&c, tenant_id, &username, role),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "members/remove", input = Json)]
pub async fn remove_member(tenant_id: i64, user_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "member.remove",
            target: format!("tenant/{tenant_id}/user/{user_id}"),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?.tenancy.remove_member(&c, tenant_id, user_id),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "projects/list", input = Json)]
pub async fn list_projects(tenant_id: i64) -> Result<Vec<Project>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .tenancy
            .list_projects(&caller().await?, tenant_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "projects/create", input = Json)]
pub async fn create_project(
    tenant_id: i64,
    name: String,
    description: String,
) -> Result<Project, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "project.create",
            target: format!("tenant/{tenant_id}/project/{name}"),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .create_project(&c, tenant_id, &name, &description),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "projects/delete", input = Json)]
pub async fn delete_project(tenant_id: i64, project_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "project.delete",
            target: format!("tenant/{tenant_id}/project/{project_id}"),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .delete_project(&c, tenant_id, project_id),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "environments/list", input = Json)]
pub async fn list_environments(
    tenant_id: i64,
    project_id: i64,
) -> Result<Vec<Environment>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .tenancy
            .list_environments(&caller().await?, tenant_id, project_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "environments/create", input = Json)]
pub async fn create_environment(
    tenant_id: i64,
    project_id: i64,
    environment: NewEnvironment,
) -> Result<Environment, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "environment.create",
            target: format!(
                "tenant/{tenant_id}/project/{project_id}/environment/{}",
                environment.name
            ),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .create_environment(&c, tenant_id, project_id, environment),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "environments/delete", input = Json)]
pub async fn delete_environment(tenant_id: i64, environment_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "environment.delete",
            target: format!("tenant/{tenant_id}/environment/{environment_id}"),
            tenant_id: Some(tenant_id),
        };
        audited(
            &c,
            t,
            services()?
                .tenancy
                .delete_environment(&c, tenant_id, environment_id),
        )
        .await
    })
    .await
}
