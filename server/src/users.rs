//! User accounts, managed by system administrators.

use app::api::context::Caller;
use app::api::users::UsersPort;
use app::domain::validate;
use app::error::{ApiError, Code};
use app::model::{NewUser, User, UserUpdate};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryOrder, Set,
};

use crate::account::end_sessions;
use crate::auth::authz::require_system_admin;
use crate::auth::password;
use crate::db::entities::user;
use crate::db::{conflict_or_internal, now, rfc3339};

pub struct UsersService {
    pub db: DatabaseConnection,
}

/// A new, active account with the default language and theme.
pub fn new_row(input: NewUser, password_hash: String) -> user::ActiveModel {
    let at = now();
    user::ActiveModel {
        username: Set(input.username),
        display_name: Set(input.display_name),
        email: Set(input.email),
        password_hash: Set(password_hash),
        is_system_admin: Set(input.is_system_admin),
        active: Set(true),
        language: Set(app::i18n::Lang::En.code().into()),
        theme: Set(app::model::Theme::Light.as_str().into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

pub fn view(u: user::Model) -> User {
    User {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        is_system_admin: u.is_system_admin,
        active: u.active,
        created_at: rfc3339(u.created_at),
    }
}

async fn hash(pw: &str) -> Result<String, ApiError> {
    password::hash_blocking(pw.to_string()).await.map_err(|e| {
        tracing::error!(error = %e, "hashing password");
        ApiError::internal()
    })
}

#[async_trait::async_trait]
impl UsersPort for UsersService {
    async fn list(&self, caller: &Caller) -> Result<Vec<User>, ApiError> {
        require_system_admin(caller)?;
        let rows = user::Entity::find()
            .order_by_asc(user::Column::Username)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(view).collect())
    }

    async fn create(&self, caller: &Caller, input: NewUser) -> Result<User, ApiError> {
        require_system_admin(caller)?;
        validate::new_user(&input)?;
        let password_hash = hash(&input.password).await?;
        let row = new_row(input, password_hash)
            .insert(&self.db)
            .await
            .map_err(|e| conflict_or_internal(e, "username", Code::NameTaken))?;
        Ok(view(row))
    }

    async fn update(&self, caller: &Caller, input: UserUpdate) -> Result<User, ApiError> {
        require_system_admin(caller)?;
        validate::text("display_name", &input.display_name, 128)?;
        validate::email(&input.email)?;
        if input.user_id == caller.user_id && (!input.active || !input.is_system_admin) {
            // Locking yourself out of administration would leave nobody to undo it.
            return Err(ApiError::invalid("user_id", Code::CannotDemoteSelf));
        }
        let u = user::Entity::find_by_id(input.user_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::UserNotFound))?;
        let was_active = u.active;
        let mut am = u.into_active_model();
        am.display_name = Set(input.display_name);
        am.email = Set(input.email);
        am.is_system_admin = Set(input.is_system_admin);
        am.active = Set(input.active);
        am.updated_at = Set(now());
        let u = am.update(&self.db).await?;
        if was_active && !u.active {
            end_sessions(&self.db, u.id).await?;
        }
        Ok(view(u))
    }

    async fn set_password(&self, caller: &Caller, user_id: i64, pw: &str) -> Result<(), ApiError> {
        require_system_admin(caller)?;
        validate::password("password", pw)?;
        let u = user::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::UserNotFound))?;
        let mut am = u.into_active_model();
        am.password_hash = Set(hash(pw).await?);
        am.updated_at = Set(now());
        let txn = crate::db::begin_write(&self.db).await?;
        am.update(&txn).await?;
        crate::account::end_sessions_and_tokens(&txn, user_id, None).await?;
        txn.commit().await.map_err(ApiError::from)
    }
}
