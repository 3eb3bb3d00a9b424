use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// A tenant role. Ordered: a higher role can do everything a lower one can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Member, Role::Viewer];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// One tenant the signed-in user belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRole {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub role: Role,
}

/// The signed-in user as the UI needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_system_admin: bool,
    pub language: Lang,
    pub theme: Theme,
    pub tenants: Vec<TenantRole>,
}

impl Me {
    pub fn tenant_role(&self, tenant_id: i64) -> Option<Role> {
        self.tenants
            .iter()
            .find(|t| t.tenant_id == tenant_id)
            .map(|t| t.role)
    }
    /// System admins act as tenant admins everywhere.
    pub fn can_admin_tenant(&self, tenant_id: i64) -> bool {
        self.is_system_admin || self.tenant_role(tenant_id) == Some(Role::Admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_system_admin: bool,
    pub active: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub is_system_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub is_system_admin: bool,
    pub active: bool,
}

/// A personal API token as listed; the secret itself is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, so a user can tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub username: String,
    pub action: String,
    pub target: String,
    pub tenant_id: Option<i64>,
    pub success: bool,
    pub detail: String,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditFilter {
    #[serde(default)]
    pub username: Option<String>,
    /// Matches actions that start with this text, e.g. "tenant." for every tenant action.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<i64>,
    #[serde(default)]
    pub success: Option<bool>,
    /// Rows with an id below this one: the next page.
    #[serde(default)]
    pub before_id: Option<i64>,
    #[serde(default)]
    pub limit: Option<u64>,
}
