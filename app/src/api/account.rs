//! Signing in and out, the signed-in user's preferences, password and personal API tokens.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::i18n::Lang;
use crate::model::{ApiToken, CreatedToken, Me, Theme};

#[cfg(feature = "ssr")]
use super::context::{Caller, Credentials};

/// A new session, as the port hands it back for the cookie.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AccountPort: Send + Sync {
    /// Resolves a session cookie or bearer token to the caller, or 401.
    async fn authenticate(&self, creds: &Credentials) -> Result<Caller, ApiError>;
    /// Audits the attempt, whether it succeeds or not.
    async fn login(
        &self,
        username: &str,
        password: &str,
        ip: &str,
    ) -> Result<(Me, NewSession), ApiError>;
    async fn logout(&self, session_token: &str) -> Result<(), ApiError>;
    async fn me(&self, caller: &Caller) -> Result<Me, ApiError>;
    async fn set_preferences(
        &self,
        caller: &Caller,
        language: Lang,
        theme: Theme,
    ) -> Result<Me, ApiError>;
    /// Also ends the user's other sessions (all but `keep_session`) and revokes their API tokens.
    async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), ApiError>;
    async fn list_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, ApiError>;
    async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedToken, ApiError>;
    async fn revoke_token(&self, caller: &Caller, token_id: i64) -> Result<(), ApiError>;
    /// Whether the site is served over https, so cookies get `Secure`.
    fn secure_cookies(&self) -> bool;
}

#[cfg(feature = "ssr")]
pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        super::context::SESSION_COOKIE
    )
}

/// Set-Cookie values that remember language and theme for a year.
#[cfg(feature = "ssr")]
pub fn preference_cookie_values(language: Lang, theme: Theme) -> [String; 2] {
    use super::context::{LANG_COOKIE, THEME_COOKIE};
    let year = 365 * 24 * 3600;
    [
        format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age={year}",
            language.code()
        ),
        format!(
            "{THEME_COOKIE}={}; Path=/; SameSite=Lax; Max-Age={year}",
            theme.as_str()
        ),
    ]
}

#[cfg(feature = "ssr")]
fn preference_cookies(language: Lang, theme: Theme) {
    for c in preference_cookie_values(language, theme) {
        super::context::set_cookie(&c);
    }
}

/// Signs in and sets the session cookie. Failures are rate-limited per user and per address.
#[server(prefix = "/api", endpoint = "auth/login", input = Json)]
pub async fn login(username: String, password: String) -> Result<Me, ApiError> {
    use super::context::*;
    respond(async {
        let svc = services()?;
        let ip = client_ip(&request_parts()?);
        let (me, session) = svc.account.login(&username, &password, &ip).await?;
        set_cookie(&session_cookie(
            &session.token,
            session.max_age_secs,
            svc.account.secure_cookies(),
        ));
        preference_cookies(me.language, me.theme);
        Ok(me)
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/logout", input = Json)]
pub async fn logout() -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let svc = services()?;
        let parts = request_parts()?;
        let caller = caller().await?;
        let session = cookie(&parts, SESSION_COOKIE).unwrap_or_default();
        let target = AuditTarget {
            action: "auth.logout",
            target: caller.username.clone(),
            tenant_id: None,
        };
        audited(&caller, target, svc.account.logout(&session)).await?;
        set_cookie(&session_cookie("", 0, svc.account.secure_cookies()));
        Ok(())
    })
    .await
}

/// The signed-in user, or `None` when nobody is signed in.
#[server(prefix = "/api", endpoint = "auth/me", input = Json)]
pub async fn current_user() -> Result<Option<Me>, ApiError> {
    use super::context::*;
    respond(async {
        match caller().await {
            Ok(c) => services()?.account.me(&c).await.map(Some),
            Err(e) if e.status == 401 => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Language and theme. Kept in cookies for everybody, and in the account when signed in.
#[server(prefix = "/api", endpoint = "auth/preferences", input = Json)]
pub async fn set_preferences(language: Lang, theme: Theme) -> Result<Option<Me>, ApiError> {
    use super::context::*;
    respond(async {
        preference_cookies(language, theme);
        let Ok(c) = caller().await else {
            return Ok(None);
        };
        let target = AuditTarget {
            action: "user.preferences",
            target: c.username.clone(),
            tenant_id: None,
        };
        audited(
            &c,
            target,
            services()?.account.set_preferences(&c, language, theme),
        )
        .await
        .map(Some)
    })
    .await
}

#[server(prefix = "/api", endpoint = "auth/password", input = Json)]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let target = AuditTarget {
            action: "user.password",
            target: c.username.clone(),
            tenant_id: None,
        };
        audited(
            &c,
            target,
            services()?.account.change_password(
                &c,
                &current,
                &new,
                Credentials::from_parts(&request_parts()?)
                    .session
                    .as_deref(),
            ),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tokens/list", input = Json)]
pub async fn list_tokens() -> Result<Vec<ApiToken>, ApiError> {
    use super::context::*;
    respond(async { services()?.account.list_tokens(&caller().await?).await }).await
}

/// Creates a personal token. Its secret is in this answer and nowhere else, ever.
#[server(prefix = "/api", endpoint = "tokens/create", input = Json)]
pub async fn create_token(
    name: String,
    expires_in_days: Option<u32>,
) -> Result<CreatedToken, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let target = AuditTarget {
            action: "token.create",
            target: name.clone(),
            tenant_id: None,
        };
        audited(
            &c,
            target,
            services()?.account.create_token(&c, &name, expires_in_days),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tokens/revoke", input = Json)]
pub async fn revoke_token(token_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let target = AuditTarget {
            action: "token.revoke",
            target: format!("token/{token_id}"),
            tenant_id: None,
        };
        audited(&c, target, services()?.account.revoke_token(&c, token_id)).await
    })
    .await
}
