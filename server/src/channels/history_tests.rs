//! History ingestion against an in-memory database: the namespace token, what a token may post,
//! who gets an inbox row, and repeats.

use super::*;
use crate::db::testing;
use app::model::Role;
use sea_orm::{ActiveModelTrait, PaginatorTrait};

const SYSTEM_NS: &str = app::model::DEFAULT_MONITORING_NAMESPACE;

fn alert(namespace: &str, name: &str, status: &str) -> Alert {
    Alert {
        status: status.into(),
        labels: BTreeMap::from([
            ("gems_namespace".to_string(), namespace.to_string()),
            ("gems_alertname".to_string(), name.to_string()),
            ("severity".to_string(), "error".to_string()),
        ]),
        annotations: BTreeMap::from([("message".to_string(), format!("{name} fired"))]),
        starts_at: "2026-12-01T10:00:00Z".into(),
        ends_at: "2026-12-01T10:05:00Z".into(),
        ..Default::default()
    }
}

fn group(alerts: Vec<Alert>) -> Group {
    Group {
        version: "4".into(),
        status: "firing".into(),
        receiver: RECEIVER.into(),
        alerts,
        ..Default::default()
    }
}

/// A cluster with one environment ("shop", of a tenant with two members) and a system admin.
struct World {
    db: DatabaseConnection,
    secrets: SecretBox,
    cluster: cluster::Model,
}

impl World {
    async fn new() -> World {
        let db = testing::memory().await;
        let tenant = testing::tenant(&db, "t").await;
        for (name, role) in [("ann", Role::Admin), ("bob", Role::Viewer)] {
            let u = testing::user(&db, name, false).await;
            testing::member(&db, tenant, &u, role).await;
        }
        testing::user(&db, "root", true).await;
        let cluster = testing::cluster(&db, "c").await;
        testing::environment(&db, tenant, cluster.id, "shop").await;
        World {
            db,
            secrets: SecretBox::new([7; 32]),
            cluster,
        }
    }

    fn token(&self, namespace: &str, version: i32) -> String {
        self.secrets
            .token(&purpose(self.cluster.id, namespace, version))
    }

    async fn post(&self, namespace: &str, token: &str, g: &Group) -> Result<Ingested, ApiError> {
        ingest(
            &self.db,
            &self.secrets,
            self.cluster.id,
            namespace,
            token,
            g,
        )
        .await
    }

    async fn notifications(&self) -> u64 {
        alert_notification::Entity::find()
            .count(&self.db)
            .await
            .expect("count")
    }
}

#[tokio::test]
async fn only_the_namespaces_token_at_a_live_version_is_accepted() {
    let w = World::new().await;
    let g = group(vec![alert("shop", "HighCpu", "firing")]);
    let refused = |r: Result<Ingested, ApiError>| r.map_err(|e| (e.status, e.code)).err();
    let wrong = Some((401, Code::WrongHistoryToken));
    assert_eq!(refused(w.post("shop", "nope", &g).await), wrong);
    // Another namespace's token, and the right namespace at a version never issued.
    assert_eq!(
        refused(w.post("shop", &w.token("other", 1), &g).await),
        wrong
    );
    assert_eq!(
        refused(w.post("shop", &w.token("shop", 2), &g).await),
        wrong
    );
    assert_eq!(
        w.notifications().await,
        0,
        "nothing is stored for a refused token"
    );
    assert!(w.post("shop", &w.token("shop", 1), &g).await.is_ok());

    // During a rotation the retired version still works; after it, only the new one.
    let mut row: cluster::ActiveModel = w.cluster.clone().into();
    row.history_token_version = Set(2);
    row.history_token_retired = Set(Some(1));
    row.update(&w.db).await.expect("rotate");
    assert!(w.post("shop", &w.token("shop", 1), &g).await.is_ok());
    assert!(w.post("shop", &w.token("shop", 2), &g).await.is_ok());
    let mut row: cluster::ActiveModel = w.cluster.clone().into();
    row.history_token_version = Set(2);
    row.history_token_retired = Set(None);
    row.update(&w.db).await.expect("finish the rotation");
    assert_eq!(
        refused(w.post("shop", &w.token("shop", 1), &g).await),
        wrong
    );
}

#[tokio::test]
async fn a_namespace_posts_only_its_own_alerts_and_the_monitoring_namespace_any() {
    let w = World::new().await;
    let mixed = group(vec![
        alert("shop", "HighCpu", "firing"),
        alert("bank", "Steal", "firing"),
    ]);
    let done = w
        .post("shop", &w.token("shop", 1), &mixed)
        .await
        .expect("own part");
    assert_eq!(done.alerts, 1, "the other namespace's alert is dropped");
    let foreign = group(vec![alert("bank", "Steal", "firing")]);
    let e = w
        .post("shop", &w.token("shop", 1), &foreign)
        .await
        .expect_err("only foreign alerts");
    assert_eq!((e.status, e.code), (403, Code::TokenNamespaceOnly));
    let system = w
        .post(SYSTEM_NS, &w.token(SYSTEM_NS, 1), &mixed)
        .await
        .expect("system rules see every namespace");
    assert_eq!(system.alerts, 2);
}

#[tokio::test]
async fn inbox_rows_go_to_the_owning_tenants_members_or_else_to_system_admins() {
    let w = World::new().await;
    let owned = group(vec![alert("shop", "HighCpu", "firing")]);
    let done = w
        .post("shop", &w.token("shop", 1), &owned)
        .await
        .expect("ingest");
    assert_eq!(done.delivered, 2, "both members of the tenant owning shop");
    let unowned = group(vec![alert("kube-system", "NodeDown", "firing")]);
    let done = w
        .post(SYSTEM_NS, &w.token(SYSTEM_NS, 1), &unowned)
        .await
        .expect("ingest");
    assert_eq!(done.delivered, 1, "the one system admin");
}

#[tokio::test]
async fn a_repeat_is_a_new_notification_of_the_same_instance() {
    let w = World::new().await;
    let token = w.token("shop", 1);
    let first = w
        .post(
            "shop",
            &token,
            &group(vec![alert("shop", "HighCpu", "firing")]),
        )
        .await
        .expect("first");
    assert_eq!((first.alerts, first.new_alerts), (1, 1));
    let again = w
        .post(
            "shop",
            &token,
            &group(vec![alert("shop", "HighCpu", "resolved")]),
        )
        .await
        .expect("repeat");
    assert_eq!((again.alerts, again.new_alerts), (1, 0));
    assert_eq!(w.notifications().await, 2);
    let instances = alert_instance::Entity::find()
        .count(&w.db)
        .await
        .expect("count");
    assert_eq!(instances, 1, "one instance per (cluster, fingerprint)");
    let resolved = alert_notification::Entity::find()
        .filter(alert_notification::Column::Status.eq("resolved"))
        .one(&w.db)
        .await
        .expect("query")
        .expect("the resolved notification");
    assert!(
        resolved.ends_at > resolved.starts_at,
        "a resolved alert keeps its end"
    );
}
