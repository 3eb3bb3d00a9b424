//! For the unit tests of logic that needs the store (authorisation, history ingestion): an
//! in-memory SQLite database with the schema, and the rows a test world is made of. No server,
//! no HTTP; the integration tests in server/tests build their worlds through the API instead.

use app::api::context::Caller;
use app::model::{ClusterKind, ClusterSettings, Role};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::entities::{cluster, environment, project, tenant, tenant_member, user};

/// A fresh database; each call is its own.
pub async fn memory() -> DatabaseConnection {
    let db = super::connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    super::migrate(&db).await.expect("the migrations apply");
    db
}

pub async fn tenant(db: &DatabaseConnection, name: &str) -> i64 {
    tenant::ActiveModel {
        name: Set(name.into()),
        description: Set(String::new()),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("tenant row")
    .id
}

pub async fn user(db: &DatabaseConnection, name: &str, system_admin: bool) -> Caller {
    let row = user::ActiveModel {
        username: Set(name.into()),
        display_name: Set(name.into()),
        email: Set(String::new()),
        password_hash: Set(String::new()),
        is_system_admin: Set(system_admin),
        active: Set(true),
        language: Set("en".into()),
        theme: Set(String::new()),
        created_at: Set(0),
        updated_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user row");
    Caller {
        user_id: row.id,
        username: row.username,
        is_system_admin: system_admin,
        ip: "127.0.0.1".into(),
    }
}

pub async fn member(db: &DatabaseConnection, tenant_id: i64, who: &Caller, role: Role) {
    tenant_member::ActiveModel {
        tenant_id: Set(tenant_id),
        user_id: Set(who.user_id),
        role: Set(role.as_str().into()),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("membership row");
}

/// A standalone cluster with default settings (monitoring namespace `kubegems-monitoring`).
pub async fn cluster(db: &DatabaseConnection, name: &str) -> cluster::Model {
    cluster::ActiveModel {
        name: Set(name.into()),
        description: Set(String::new()),
        kind: Set(ClusterKind::Standalone.as_str().into()),
        settings: Set(serde_json::to_string(&ClusterSettings::default()).expect("settings")),
        secrets: Set(None),
        created_at: Set(0),
        updated_at: Set(0),
        last_check: Set(None),
        history_token_version: Set(1),
        history_token_retired: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("cluster row")
}

/// An environment of `tenant_id` (in a project of its own) on `namespace` of the cluster.
pub async fn environment(
    db: &DatabaseConnection,
    tenant_id: i64,
    cluster_id: i64,
    namespace: &str,
) -> environment::Model {
    let project = project::ActiveModel {
        tenant_id: Set(tenant_id),
        name: Set(format!("p-{namespace}")),
        description: Set(String::new()),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("project row");
    environment::ActiveModel {
        tenant_id: Set(tenant_id),
        project_id: Set(project.id),
        cluster_id: Set(cluster_id),
        name: Set(namespace.into()),
        namespace: Set(namespace.into()),
        description: Set(String::new()),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("environment row")
}
