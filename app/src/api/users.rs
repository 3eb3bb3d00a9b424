//! User accounts (system admins).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{NewUser, User, UserUpdate};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait UsersPort: Send + Sync {
    async fn list(&self, caller: &Caller) -> Result<Vec<User>, ApiError>;
    async fn create(&self, caller: &Caller, input: NewUser) -> Result<User, ApiError>;
    async fn update(&self, caller: &Caller, input: UserUpdate) -> Result<User, ApiError>;
    async fn set_password(
        &self,
        caller: &Caller,
        user_id: i64,
        password: &str,
    ) -> Result<(), ApiError>;
}

#[server(prefix = "/api", endpoint = "users/list", input = Json)]
pub async fn list_users() -> Result<Vec<User>, ApiError> {
    use super::context::*;
    respond(async { services()?.users.list(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "users/create", input = Json)]
pub async fn create_user(user: NewUser) -> Result<User, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "user.create",
            target: format!("user/{}", user.username),
            tenant_id: None,
        };
        audited(&c, t, services()?.users.create(&c, user)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "users/update", input = Json)]
pub async fn update_user(user: UserUpdate) -> Result<User, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "user.update",
            target: format!("user/{}", user.user_id),
            tenant_id: None,
        };
        audited(&c, t, services()?.users.update(&c, user)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "users/set_password", input = Json)]
pub async fn set_user_password(user_id: i64, password: String) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "user.set_password",
            target: format!("user/{user_id}"),
            tenant_id: None,
        };
        audited(
            &c,
            t,
            services()?.users.set_password(&c, user_id, &password),
        )
        .await
    })
    .await
}
