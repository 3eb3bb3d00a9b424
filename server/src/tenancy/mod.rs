//! Tenants, members, projects and environments. Every lookup goes through the tenant named by the
//! caller, after checking the caller's role there (see `auth::authz`).

use app::api::context::Caller;
use app::api::tenancy::TenancyPort;
use app::domain::validate;
use app::error::{ApiError, Code};
use app::model::{Environment, Member, NewEnvironment, Project, Role, Tenant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::auth::authz::{membership, require_system_admin, require_tenant, tenant_ids};
use crate::db::entities::{cluster, environment, project, tenant, tenant_member, user};
use crate::db::{conflict_or_internal, now, rfc3339};

pub mod guards;

pub struct TenancyService {
    pub db: DatabaseConnection,
    pub clusters: std::sync::Arc<crate::clusters::service::ClustersService>,
    pub silences: crate::alert_rules::RuleSilences,
    /// Namespaces no tenant may bind (besides each cluster's monitoring and logging ones).
    pub reserved: Vec<String>,
}

fn tenant_view(t: tenant::Model) -> Tenant {
    Tenant {
        id: t.id,
        name: t.name,
        description: t.description,
        created_at: rfc3339(t.created_at),
    }
}

fn project_view(p: project::Model) -> Project {
    Project {
        id: p.id,
        tenant_id: p.tenant_id,
        name: p.name,
        description: p.description,
        created_at: rfc3339(p.created_at),
    }
}

fn env_view(e: environment::Model, cluster_name: String) -> Environment {
    Environment {
        id: e.id,
        tenant_id: e.tenant_id,
        project_id: e.project_id,
        name: e.name,
        cluster_id: e.cluster_id,
        cluster_name,
        namespace: e.namespace,
        description: e.description,
        created_at: rfc3339(e.created_at),
        warning: None,
    }
}

async fn tenant_project<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    project_id: i64,
) -> Result<project::Model, ApiError> {
    project::Entity::find_by_id(project_id)
        .filter(project::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(Code::ProjectNotFound))
}

/// Refuses to leave a tenant without an administrator (system admins may).
async fn keep_an_admin<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    tenant_id: i64,
    leaving_user: i64,
) -> Result<(), ApiError> {
    if caller.is_system_admin {
        return Ok(());
    }
    let other_admins = tenant_member::Entity::find()
        .filter(tenant_member::Column::TenantId.eq(tenant_id))
        .filter(tenant_member::Column::Role.eq(Role::Admin.as_str()))
        .filter(tenant_member::Column::UserId.ne(leaving_user))
        .count(db)
        .await?;
    if other_admins == 0 {
        return Err(ApiError::invalid("role", Code::LastAdmin));
    }
    Ok(())
}

#[async_trait::async_trait]
impl TenancyPort for TenancyService {
    async fn list_tenants(&self, caller: &Caller) -> Result<Vec<Tenant>, ApiError> {
        let mut q = tenant::Entity::find().order_by_asc(tenant::Column::Name);
        if !caller.is_system_admin {
            let ids = tenant_ids(&self.db, caller.user_id, Role::Viewer).await?;
            q = q.filter(tenant::Column::Id.is_in(ids));
        }
        Ok(q.all(&self.db)
            .await?
            .into_iter()
            .map(tenant_view)
            .collect())
    }

    async fn get_tenant(&self, caller: &Caller, tenant_id: i64) -> Result<Tenant, ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Viewer)
            .await
            .map(tenant_view)
    }

    async fn create_tenant(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
    ) -> Result<Tenant, ApiError> {
        require_system_admin(caller)?;
        validate::dns_label("name", name)?;
        validate::text("description", description, 1024)?;
        let row = tenant::ActiveModel {
            name: Set(name.to_string()),
            description: Set(description.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::TenantExists))?;
        Ok(tenant_view(row))
    }

    async fn update_tenant(
        &self,
        caller: &Caller,
        tenant_id: i64,
        description: &str,
    ) -> Result<Tenant, ApiError> {
        let t = require_tenant(&self.db, caller, tenant_id, Role::Admin).await?;
        validate::text("description", description, 1024)?;
        let mut am = t.into_active_model();
        am.description = Set(description.to_string());
        am.update(&self.db)
            .await
            .map(tenant_view)
            .map_err(ApiError::from)
    }

    async fn delete_tenant(&self, caller: &Caller, tenant_id: i64) -> Result<(), ApiError> {
        require_system_admin(caller)?;
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        let projects = project::Entity::find()
            .filter(project::Column::TenantId.eq(tenant_id))
            .count(&txn)
            .await?;
        if projects > 0 {
            return Err(ApiError::conflict("tenant_id", Code::TenantHasProjects).arg(projects));
        }
        tenant_member::Entity::delete_many()
            .filter(tenant_member::Column::TenantId.eq(tenant_id))
            .exec(&txn)
            .await?;
        tenant::Entity::delete_by_id(tenant_id).exec(&txn).await?;
        txn.commit().await.map_err(ApiError::from)
    }

    async fn list_members(&self, caller: &Caller, tenant_id: i64) -> Result<Vec<Member>, ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Viewer).await?;
        let rows = tenant_member::Entity::find()
            .filter(tenant_member::Column::TenantId.eq(tenant_id))
            .all(&self.db)
            .await?;
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
            .all(&self.db)
            .await?;
        let mut members: Vec<Member> = rows
            .into_iter()
            .filter_map(|m| {
                let u = users.iter().find(|u| u.id == m.user_id)?;
                Some(Member {
                    user_id: u.id,
                    username: u.username.clone(),
                    display_name: u.display_name.clone(),
                    role: Role::parse(&m.role)?,
                })
            })
            .collect();
        members.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(members)
    }

    async fn set_member(
        &self,
        caller: &Caller,
        tenant_id: i64,
        username: &str,
        role: Role,
    ) -> Result<Member, ApiError> {
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        let u = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::invalid("username", Code::NoSuchUser))?;
        let existing = membership(&txn, tenant_id, u.id).await?;
        match existing {
            Some(m) => {
                if m.role == Role::Admin.as_str() && role != Role::Admin {
                    keep_an_admin(&txn, caller, tenant_id, u.id).await?;
                }
                let mut am = m.into_active_model();
                am.role = Set(role.as_str().to_string());
                am.update(&txn).await?;
            }
            None => {
                tenant_member::ActiveModel {
                    tenant_id: Set(tenant_id),
                    user_id: Set(u.id),
                    role: Set(role.as_str().to_string()),
                    created_at: Set(now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .map_err(|e| conflict_or_internal(e, "username", Code::AlreadyMember))?;
            }
        }
        txn.commit().await?;
        Ok(Member {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            role,
        })
    }

    async fn remove_member(
        &self,
        caller: &Caller,
        tenant_id: i64,
        user_id: i64,
    ) -> Result<(), ApiError> {
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        let m = membership(&txn, tenant_id, user_id)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::MemberNotFound))?;
        if m.role == Role::Admin.as_str() {
            keep_an_admin(&txn, caller, tenant_id, user_id).await?;
        }
        tenant_member::Entity::delete_by_id(m.id).exec(&txn).await?;
        txn.commit().await.map_err(ApiError::from)
    }

    async fn list_projects(
        &self,
        caller: &Caller,
        tenant_id: i64,
    ) -> Result<Vec<Project>, ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Viewer).await?;
        let rows = project::Entity::find()
            .filter(project::Column::TenantId.eq(tenant_id))
            .order_by_asc(project::Column::Name)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(project_view).collect())
    }

    async fn create_project(
        &self,
        caller: &Caller,
        tenant_id: i64,
        name: &str,
        description: &str,
    ) -> Result<Project, ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Admin).await?;
        validate::dns_label("name", name)?;
        validate::text("description", description, 1024)?;
        let row = project::ActiveModel {
            tenant_id: Set(tenant_id),
            name: Set(name.to_string()),
            description: Set(description.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::ProjectExists))?;
        Ok(project_view(row))
    }

    async fn delete_project(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
    ) -> Result<(), ApiError> {
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        tenant_project(&txn, tenant_id, project_id).await?;
        let envs = environment::Entity::find()
            .filter(environment::Column::ProjectId.eq(project_id))
            .count(&txn)
            .await?;
        if envs > 0 {
            return Err(ApiError::conflict("project_id", Code::ProjectHasEnvironments).arg(envs));
        }
        project::Entity::delete_by_id(project_id).exec(&txn).await?;
        txn.commit().await.map_err(ApiError::from)
    }

    async fn list_environments(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
    ) -> Result<Vec<Environment>, ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Viewer).await?;
        tenant_project(&self.db, tenant_id, project_id).await?;
        let rows = environment::Entity::find()
            .filter(environment::Column::TenantId.eq(tenant_id))
            .filter(environment::Column::ProjectId.eq(project_id))
            .order_by_asc(environment::Column::Name)
            .all(&self.db)
            .await?;
        let clusters = cluster::Entity::find().all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|e| {
                let name = clusters
                    .iter()
                    .find(|c| c.id == e.cluster_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                env_view(e, name)
            })
            .collect())
    }

    async fn create_environment(
        &self,
        caller: &Caller,
        tenant_id: i64,
        project_id: i64,
        input: NewEnvironment,
    ) -> Result<Environment, ApiError> {
        validate::dns_label("name", &input.name)?;
        validate::dns_label("namespace", &input.namespace)?;
        validate::text("description", &input.description, 1024)?;
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        tenant_project(&txn, tenant_id, project_id).await?;
        let cl = cluster::Entity::find_by_id(input.cluster_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::invalid("cluster_id", Code::ChooseCluster))?;
        let taken = environment::Entity::find()
            .filter(environment::Column::ClusterId.eq(cl.id))
            .filter(environment::Column::Namespace.eq(input.namespace.as_str()))
            .count(&txn)
            .await?;
        if taken > 0 {
            return Err(ApiError::conflict("namespace", Code::NamespaceTaken));
        }
        let settings: app::model::ClusterSettings =
            serde_json::from_str(&cl.settings).map_err(|e| {
                tracing::error!(cluster = cl.id, error = %e, "stored cluster settings do not parse");
                ApiError::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    Code::ClusterSettingsUnreadable,
                )
            })?;
        let reserved = guards::reserved_reason(&input.namespace, &settings, &self.reserved);
        if let Some(code) = reserved
            && !caller.is_system_admin
        {
            return Err(ApiError::invalid("namespace", code).arg(&input.namespace));
        }
        let row = environment::ActiveModel {
            tenant_id: Set(tenant_id),
            project_id: Set(project_id),
            cluster_id: Set(cl.id),
            name: Set(input.name),
            namespace: Set(input.namespace),
            description: Set(input.description),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::EnvironmentExists))?;
        txn.commit().await?;
        let mut view = env_view(row, cl.name);
        view.warning = reserved.map(|code| guards::reserved_warning(code, &view.namespace));
        Ok(view)
    }

    async fn delete_environment(
        &self,
        caller: &Caller,
        tenant_id: i64,
        environment_id: i64,
    ) -> Result<(), ApiError> {
        require_tenant(&self.db, caller, tenant_id, Role::Admin).await?;
        let env = environment::Entity::find_by_id(environment_id)
            .filter(environment::Column::TenantId.eq(tenant_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::EnvironmentNotFound))?;
        let mut residue = guards::stored_residue(&self.db, &env).await?;
        if residue.is_empty() {
            residue = guards::cluster_residue(&self.clusters, &self.silences, &env).await?;
        }
        if !residue.is_empty() {
            return Err(guards::still_has(&residue));
        }
        let txn = crate::db::begin_write(&self.db).await?;
        require_tenant(&txn, caller, tenant_id, Role::Admin).await?;
        // Checked again in the transaction: a rule or dashboard created meanwhile keeps it.
        let residue = guards::stored_residue(&txn, &env).await?;
        if !residue.is_empty() {
            return Err(guards::still_has(&residue));
        }
        let res = environment::Entity::delete_many()
            .filter(environment::Column::Id.eq(environment_id))
            .filter(environment::Column::TenantId.eq(tenant_id))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(ApiError::not_found(Code::EnvironmentNotFound));
        }
        txn.commit().await.map_err(ApiError::from)
    }
}
