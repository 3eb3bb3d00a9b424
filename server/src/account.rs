//! The account port: sign-in, sessions, bearer tokens, preferences and personal API tokens.

use std::sync::Arc;
use std::time::Instant;

use app::api::account::{AccountPort, NewSession};
use app::api::audit::AuditPort;
use app::api::context::{AuditRecord, Caller, Credentials};
use app::domain::validate;
use app::error::{ApiError, Code};
use app::i18n::Lang;
use app::model::{ApiToken, CreatedToken, Me, Role, TenantRole, Theme};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::auth::password;
use crate::auth::ratelimit::LoginLimiter;
use crate::auth::token::{API_TOKEN_PREFIX, digest, display_prefix, random_token};
use crate::db::entities::{api_token, session, tenant, tenant_member, user};
use crate::db::{now, rfc3339};

/// Sessions and tokens touched within this many seconds are not written again, so reads stay reads.
const TOUCH_EVERY: i64 = 60;

pub struct AccountService {
    pub db: DatabaseConnection,
    pub limiter: Arc<LoginLimiter>,
    pub audit: Arc<dyn AuditPort>,
    pub session_ttl_secs: i64,
    pub secure_cookies: bool,
}

impl AccountService {
    async fn active_user(&self, user_id: i64) -> Result<user::Model, ApiError> {
        user::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .filter(|u| u.active)
            .ok_or_else(ApiError::unauthenticated)
    }

    async fn by_bearer(&self, token: &str, at: i64) -> Result<i64, ApiError> {
        let row = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(digest(token)))
            .one(&self.db)
            .await?
            .filter(|t| t.expires_at.is_none_or(|e| e > at))
            .ok_or_else(ApiError::unauthenticated)?;
        if row.last_used_at.is_none_or(|t| at - t > TOUCH_EVERY) {
            let id = row.id;
            let user_id = row.user_id;
            let mut am = row.into_active_model();
            am.last_used_at = Set(Some(at));
            am.update(&self.db).await?;
            return Ok(user_id).inspect(|_| tracing::debug!(token_id = id, "api token used"));
        }
        Ok(row.user_id)
    }

    async fn by_session(&self, token: &str, at: i64) -> Result<i64, ApiError> {
        let row = session::Entity::find()
            .filter(session::Column::TokenHash.eq(digest(token)))
            .one(&self.db)
            .await?
            .filter(|s| s.expires_at > at)
            .ok_or_else(ApiError::unauthenticated)?;
        if at - row.last_seen_at > TOUCH_EVERY {
            let user_id = row.user_id;
            let mut am = row.into_active_model();
            am.last_seen_at = Set(at);
            am.update(&self.db).await?;
            return Ok(user_id);
        }
        Ok(row.user_id)
    }

    pub async fn me_of(&self, u: &user::Model) -> Result<Me, ApiError> {
        let memberships = tenant_member::Entity::find()
            .filter(tenant_member::Column::UserId.eq(u.id))
            .all(&self.db)
            .await?;
        let ids: Vec<i64> = memberships.iter().map(|m| m.tenant_id).collect();
        let tenants = tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(ids))
            .order_by_asc(tenant::Column::Name)
            .all(&self.db)
            .await?;
        let tenants = tenants
            .into_iter()
            .filter_map(|t| {
                let role = memberships
                    .iter()
                    .find(|m| m.tenant_id == t.id)
                    .and_then(|m| Role::parse(&m.role))?;
                Some(TenantRole {
                    tenant_id: t.id,
                    tenant_name: t.name,
                    role,
                })
            })
            .collect();
        Ok(Me {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            is_system_admin: u.is_system_admin,
            language: Lang::parse(&u.language).unwrap_or_default(),
            theme: Theme::parse(&u.theme).unwrap_or_default(),
            tenants,
        })
    }

    async fn login_inner(
        &self,
        username: &str,
        pw: &str,
        ip: &str,
    ) -> Result<(Me, NewSession), ApiError> {
        if username.is_empty() {
            return Err(ApiError::invalid("username", Code::Empty));
        }
        if pw.is_empty() {
            return Err(ApiError::invalid("password", Code::Empty));
        }
        let reserved_at = Instant::now();
        if !self.limiter.reserve(username, ip, reserved_at) {
            return Err(ApiError::too_many_attempts());
        }
        let found = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        let hash = found
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| password::decoy_hash().to_string());
        let ok = password::verify_blocking(pw.to_string(), hash).await;
        let user = match found {
            Some(u) if ok && u.active => u,
            // The attempt was counted when it was reserved.
            _ => {
                return Err(ApiError::new(
                    http::StatusCode::UNAUTHORIZED,
                    Code::WrongLogin,
                ));
            }
        };
        self.limiter.confirm_success(username, ip, reserved_at);
        let token = random_token("");
        let at = now();
        session::ActiveModel {
            token_hash: Set(digest(&token)),
            user_id: Set(user.id),
            created_at: Set(at),
            expires_at: Set(at + self.session_ttl_secs),
            last_seen_at: Set(at),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let me = self.me_of(&user).await?;
        Ok((
            me,
            NewSession {
                token,
                max_age_secs: self.session_ttl_secs,
            },
        ))
    }
}

fn token_view(t: api_token::Model) -> ApiToken {
    ApiToken {
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at.map(rfc3339),
        last_used_at: t.last_used_at.map(rfc3339),
    }
}

#[async_trait::async_trait]
impl AccountPort for AccountService {
    async fn authenticate(&self, creds: &Credentials) -> Result<Caller, ApiError> {
        let at = now();
        let user_id = match (&creds.bearer, &creds.session) {
            (Some(token), _) => self.by_bearer(token, at).await?,
            (None, Some(token)) if !token.is_empty() => self.by_session(token, at).await?,
            _ => return Err(ApiError::unauthenticated()),
        };
        let u = self.active_user(user_id).await?;
        Ok(Caller {
            user_id: u.id,
            username: u.username,
            is_system_admin: u.is_system_admin,
            ip: creds.ip.clone(),
        })
    }

    async fn login(
        &self,
        username: &str,
        pw: &str,
        ip: &str,
    ) -> Result<(Me, NewSession), ApiError> {
        let result = self.login_inner(username, pw, ip).await;
        let name: String = username.chars().take(64).collect();
        let user = result
            .as_ref()
            .ok()
            .map(|(me, _)| (me.id, me.username.as_str()));
        let record = AuditRecord::of(
            user,
            &name,
            ip,
            "auth.login",
            format!("user/{name}"),
            None,
            &result,
        );
        self.audit.record(record).await;
        result
    }

    async fn logout(&self, session_token: &str) -> Result<(), ApiError> {
        if session_token.is_empty() {
            return Ok(());
        }
        session::Entity::delete_many()
            .filter(session::Column::TokenHash.eq(digest(session_token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn me(&self, caller: &Caller) -> Result<Me, ApiError> {
        let u = self.active_user(caller.user_id).await?;
        self.me_of(&u).await
    }

    async fn set_preferences(
        &self,
        caller: &Caller,
        language: Lang,
        theme: Theme,
    ) -> Result<Me, ApiError> {
        let u = self.active_user(caller.user_id).await?;
        let mut am = u.into_active_model();
        am.language = Set(language.code().to_string());
        am.theme = Set(theme.as_str().to_string());
        am.updated_at = Set(now());
        let u = am.update(&self.db).await?;
        self.me_of(&u).await
    }

    async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), ApiError> {
        validate::password("new", new)?;
        let u = self.active_user(caller.user_id).await?;
        if !password::verify_blocking(current.to_string(), u.password_hash.clone()).await {
            return Err(ApiError::invalid("current", Code::NotCurrentPassword));
        }
        let hash = password::hash_blocking(new.to_string())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "hashing password");
                ApiError::internal()
            })?;
        let mut am = u.into_active_model();
        am.password_hash = Set(hash);
        am.updated_at = Set(now());
        let txn = crate::db::begin_write(&self.db).await?;
        let u = am.update(&txn).await?;
        end_sessions_and_tokens(&txn, u.id, keep_session).await?;
        txn.commit().await.map_err(ApiError::from)
    }

    async fn list_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, ApiError> {
        let rows = api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(caller.user_id))
            .order_by_desc(api_token::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(token_view).collect())
    }

    async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedToken, ApiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::invalid("name", Code::Empty));
        }
        validate::text("name", name, 128)?;
        if let Some(d) = expires_in_days
            && (d == 0 || d > 3650)
        {
            return Err(ApiError::invalid("expires_in_days", Code::TokenDays)
                .arg(1)
                .arg(3650));
        }
        let secret = random_token(API_TOKEN_PREFIX);
        let at = now();
        let row = api_token::ActiveModel {
            user_id: Set(caller.user_id),
            name: Set(name.to_string()),
            prefix: Set(display_prefix(&secret)),
            token_hash: Set(digest(&secret)),
            created_at: Set(at),
            expires_at: Set(expires_in_days.map(|d| at + i64::from(d) * 86_400)),
            last_used_at: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(CreatedToken {
            token: token_view(row),
            secret,
        })
    }

    async fn revoke_token(&self, caller: &Caller, token_id: i64) -> Result<(), ApiError> {
        let res = api_token::Entity::delete_many()
            .filter(api_token::Column::Id.eq(token_id))
            .filter(api_token::Column::UserId.eq(caller.user_id))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(ApiError::not_found(Code::TokenNotFound));
        }
        Ok(())
    }

    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }
}

/// Ends every session of a user, e.g. after an administrator resets their password.
pub async fn end_sessions(db: &DatabaseConnection, user_id: i64) -> Result<(), ApiError> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// After a password change or reset: whoever had the old password may hold a session or have
/// made an API token, so both end (except the session that made the change, `keep`).
pub async fn end_sessions_and_tokens<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), ApiError> {
    let mut sessions = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(token) = keep {
        sessions = sessions.filter(session::Column::TokenHash.ne(digest(token)));
    }
    sessions.exec(db).await?;
    api_token::Entity::delete_many()
        .filter(api_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes expired sessions; called at start-up.
pub async fn purge_expired_sessions(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let res = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
