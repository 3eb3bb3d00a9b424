//! Tenant role checks. Objects are always looked up through the tenant the caller names, and a
//! tenant the caller does not belong to answers 404, so its existence is not revealed.

use app::api::context::Caller;
use app::error::{ApiError, Code};
use app::model::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::entities::{environment, tenant, tenant_member};

pub fn require_system_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_system_admin {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The membership row of a user in a tenant, if any.
pub async fn membership<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    user_id: i64,
) -> Result<Option<tenant_member::Model>, ApiError> {
    tenant_member::Entity::find()
        .filter(tenant_member::Column::TenantId.eq(tenant_id))
        .filter(tenant_member::Column::UserId.eq(user_id))
        .one(db)
        .await
        .map_err(ApiError::from)
}

pub async fn tenant_role<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    tenant_id: i64,
) -> Result<Option<Role>, ApiError> {
    Ok(membership(db, tenant_id, user_id)
        .await?
        .and_then(|m| Role::parse(&m.role)))
}

/// Ids of the tenants where the user holds at least `min`.
pub async fn tenant_ids<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    min: Role,
) -> Result<Vec<i64>, ApiError> {
    Ok(tenant_member::Entity::find()
        .filter(tenant_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Role::parse(&m.role).is_some_and(|r| r >= min))
        .map(|m| m.tenant_id)
        .collect())
}

/// The tenant, when the caller holds at least `min` there (system admins always do).
/// Not a member: 404. A member with too low a role: 403.
pub async fn require_tenant<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    tenant_id: i64,
    min: Role,
) -> Result<tenant::Model, ApiError> {
    let tenant = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(Code::TenantNotFound))?;
    if caller.is_system_admin {
        return Ok(tenant);
    }
    match tenant_role(db, caller.user_id, tenant_id).await? {
        None => Err(ApiError::not_found(Code::TenantNotFound)),
        Some(role) if role < min => Err(ApiError::forbidden()),
        Some(_) => Ok(tenant),
    }
}

/// An environment the caller holds at least `min` in. Environments of tenants the caller is not
/// in do not exist for them (404); too low a role in their own tenant is 403.
pub async fn environment_as<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
    min: Role,
) -> Result<environment::Model, ApiError> {
    let env = environment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(Code::EnvironmentNotFound))?;
    require_tenant(db, caller, env.tenant_id, min)
        .await
        .map_err(|e| {
            if e.status == 403 {
                e
            } else {
                ApiError::not_found(Code::EnvironmentNotFound)
            }
        })?;
    Ok(env)
}
