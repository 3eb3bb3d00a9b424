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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    /// What a check answered, as the tests compare it: ok, or the status and code.
    type Answer = Result<(), (u16, Code)>;

    fn answer<T>(r: Result<T, ApiError>) -> Answer {
        r.map(|_| ()).map_err(|e| (e.status, e.code))
    }

    const FORBIDDEN: Answer = Err((403, Code::Forbidden));
    const NO_TENANT: Answer = Err((404, Code::TenantNotFound));
    const NO_ENV: Answer = Err((404, Code::EnvironmentNotFound));

    #[tokio::test]
    async fn roles_admit_at_and_above_their_level_and_strangers_learn_nothing() {
        let db = testing::memory().await;
        let a = testing::tenant(&db, "a").await;
        let b = testing::tenant(&db, "b").await;
        let root = testing::user(&db, "root", true).await;
        let viewer = testing::user(&db, "viewer", false).await;
        let member = testing::user(&db, "member", false).await;
        let admin = testing::user(&db, "admin", false).await;
        let stranger = testing::user(&db, "stranger", false).await;
        testing::member(&db, a, &viewer, Role::Viewer).await;
        testing::member(&db, a, &member, Role::Member).await;
        testing::member(&db, a, &admin, Role::Admin).await;
        testing::member(&db, b, &stranger, Role::Admin).await;
        let cluster = testing::cluster(&db, "c").await;
        let env = testing::environment(&db, a, cluster.id, "shop").await;

        let cases: [(&Caller, Role, Answer, Answer); 11] = [
            // (caller, min, tenant a, environment of a)
            (&viewer, Role::Viewer, Ok(()), Ok(())),
            (&viewer, Role::Member, FORBIDDEN, FORBIDDEN),
            (&member, Role::Viewer, Ok(()), Ok(())),
            (&member, Role::Member, Ok(()), Ok(())),
            (&member, Role::Admin, FORBIDDEN, FORBIDDEN),
            (&admin, Role::Admin, Ok(()), Ok(())),
            // An admin elsewhere is nobody here: 404, never 403, so a's existence is hidden.
            (&stranger, Role::Viewer, NO_TENANT, NO_ENV),
            (&stranger, Role::Admin, NO_TENANT, NO_ENV),
            (&root, Role::Viewer, Ok(()), Ok(())),
            (&root, Role::Admin, Ok(()), Ok(())),
            (&admin, Role::Viewer, Ok(()), Ok(())),
        ];
        for (who, min, tenant, environment) in cases {
            let got = answer(require_tenant(&db, who, a, min).await);
            assert_eq!(got, tenant, "{} as {min:?} in tenant a", who.username);
            let got = answer(environment_as(&db, who, env.id, min).await);
            assert_eq!(
                got, environment,
                "{} as {min:?} in a's environment",
                who.username
            );
        }
        // Unknown ids answer like another tenant's.
        assert_eq!(
            answer(require_tenant(&db, &root, 999, Role::Viewer).await),
            NO_TENANT
        );
        assert_eq!(
            answer(environment_as(&db, &root, 999, Role::Viewer).await),
            NO_ENV
        );
    }

    #[tokio::test]
    async fn tenant_ids_lists_where_the_role_suffices_and_only_admins_pass_the_system_check() {
        let db = testing::memory().await;
        let a = testing::tenant(&db, "a").await;
        let b = testing::tenant(&db, "b").await;
        let root = testing::user(&db, "root", true).await;
        let u = testing::user(&db, "u", false).await;
        testing::member(&db, a, &u, Role::Viewer).await;
        testing::member(&db, b, &u, Role::Admin).await;
        for (min, want) in [
            (Role::Viewer, vec![a, b]),
            (Role::Member, vec![b]),
            (Role::Admin, vec![b]),
        ] {
            let mut got = tenant_ids(&db, u.user_id, min).await.expect("tenant ids");
            got.sort();
            assert_eq!(got, want, "at least {min:?}");
        }
        assert_eq!(
            tenant_role(&db, u.user_id, a).await.expect("role"),
            Some(Role::Viewer)
        );
        assert_eq!(tenant_role(&db, root.user_id, a).await.expect("role"), None);
        assert!(require_system_admin(&root).is_ok());
        assert_eq!(answer(require_system_admin(&u)), FORBIDDEN);
    }
}
