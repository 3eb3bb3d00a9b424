//! The audit log: one row per mutation and sign-in, and role-scoped reading.

use app::api::audit::AuditPort;
use app::api::context::{AuditRecord, Caller, Owned};
use app::error::ApiError;
use app::model::{AuditEntry, AuditFilter, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::auth::authz::tenant_ids;
use crate::db::entities::{audit_log, dashboard, environment};
use crate::db::{clip, now, rfc3339};

pub struct AuditService {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl AuditPort for AuditService {
    async fn record(&self, r: AuditRecord) {
        let row = audit_log::ActiveModel {
            at: Set(now()),
            user_id: Set(r.user_id),
            username: Set(clip(&r.username, 64)),
            action: Set(clip(&r.action, 64)),
            target: Set(clip(&r.target, 512)),
            tenant_id: Set(r.tenant_id),
            success: Set(r.success),
            detail: Set(clip(&r.detail, 1024)),
            ip: Set(clip(&r.ip, 64)),
            ..Default::default()
        };
        if let Err(e) = row.insert(&self.db).await {
            tracing::error!(error = %e, action = %r.action, "writing audit row failed");
        }
    }

    async fn owner(&self, object: Owned) -> Option<i64> {
        let environment_id = match object {
            Owned::Environment(id) => id,
            Owned::Dashboard(id) => {
                dashboard::Entity::find_by_id(id)
                    .one(&self.db)
                    .await
                    .ok()??
                    .environment_id
            }
        };
        environment::Entity::find_by_id(environment_id)
            .one(&self.db)
            .await
            .ok()?
            .map(|e| e.tenant_id)
    }

    async fn list(&self, caller: &Caller, f: AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
        let mut q = audit_log::Entity::find();
        if !caller.is_system_admin {
            // Tenant admins read their tenants' rows; everybody reads their own.
            let admin_of = tenant_ids(&self.db, caller.user_id, Role::Admin).await?;
            q = q.filter(
                Condition::any()
                    .add(audit_log::Column::UserId.eq(caller.user_id))
                    .add(audit_log::Column::TenantId.is_in(admin_of)),
            );
        }
        if let Some(u) = f.username.filter(|u| !u.is_empty()) {
            q = q.filter(audit_log::Column::Username.eq(u));
        }
        if let Some(a) = f.action.filter(|a| !a.is_empty()) {
            q = q.filter(audit_log::Column::Action.starts_with(a));
        }
        if let Some(t) = f.tenant_id {
            q = q.filter(audit_log::Column::TenantId.eq(t));
        }
        if let Some(s) = f.success {
            q = q.filter(audit_log::Column::Success.eq(s));
        }
        if let Some(b) = f.before_id {
            q = q.filter(audit_log::Column::Id.lt(b));
        }
        let limit = f.limit.unwrap_or(100).clamp(1, 500);
        let rows = q
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: rfc3339(r.at),
                username: r.username,
                action: r.action,
                target: r.target,
                tenant_id: r.tenant_id,
                success: r.success,
                detail: r.detail,
                ip: r.ip,
            })
            .collect())
    }
}
