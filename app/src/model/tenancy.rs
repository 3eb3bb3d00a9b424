use serde::{Deserialize, Serialize};

use super::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub description: String,
    pub created_at: String,
}

/// A namespace in a cluster, owned by one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: i64,
    pub tenant_id: i64,
    pub project_id: i64,
    pub name: String,
    pub cluster_id: i64,
    pub cluster_name: String,
    pub namespace: String,
    pub description: String,
    pub created_at: String,
    /// Set when a system administrator bound a reserved namespace (shown once, after creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewEnvironment {
    pub name: String,
    pub cluster_id: i64,
    pub namespace: String,
    pub description: String,
}
