//! The first system administrator, created on first start.

use app::domain::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use super::{password, token};
use crate::db::entities::user;
use crate::db::now;

/// What happened, so the caller can tell the operator.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// Users already exist; nothing was done.
    AlreadyDone,
    /// Created with the configured password.
    Created,
    /// Created with a generated password, which is returned exactly once.
    CreatedWithGenerated(String),
}

/// Creates `username` as system admin when the user table is empty.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    username: &str,
    configured: Option<&str>,
) -> anyhow::Result<Bootstrap> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(Bootstrap::AlreadyDone);
    }
    let (pw, generated) = match configured {
        Some(p) => (p.to_string(), false),
        None => (
            token::random_token("").chars().take(20).collect::<String>(),
            true,
        ),
    };
    create_admin(db, username, &pw).await?;
    Ok(if generated {
        Bootstrap::CreatedWithGenerated(pw)
    } else {
        Bootstrap::Created
    })
}

/// Creates a system admin, or resets an existing user's password and makes them admin.
pub async fn create_admin(db: &DatabaseConnection, username: &str, pw: &str) -> anyhow::Result<()> {
    validate::username(username).map_err(|e| anyhow::anyhow!(e.message))?;
    validate::password("password", pw).map_err(|e| anyhow::anyhow!(e.message))?;
    let hash = password::hash_blocking(pw.to_string()).await?;
    let at = now();
    match user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?
    {
        Some(existing) => {
            let mut am: user::ActiveModel = existing.into();
            am.password_hash = Set(hash);
            am.is_system_admin = Set(true);
            am.active = Set(true);
            am.updated_at = Set(at);
            am.update(db).await?;
        }
        None => {
            let input = app::model::NewUser {
                username: username.to_string(),
                is_system_admin: true,
                ..Default::default()
            };
            crate::users::new_row(input, hash).insert(db).await?;
        }
    }
    Ok(())
}
