//! Cluster secrets: sealed at rest, never read back.

use app::api::clusters::{CreateCluster, GetCluster, ListClusters, UpdateCluster};
use app::model::{ClusterInput, ClusterKind, ClusterSettings};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::common::{ADMIN_PW, Auth, TestApp, backends};

fn kubernetes(description: &str) -> ClusterInput {
    ClusterInput {
        name: "k8s".into(),
        description: description.into(),
        kind: ClusterKind::Kubernetes,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_secrets_are_encrypted_and_never_read_back() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let marker = "SECRET-MARKER-7731";
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: x\n  user:\n    token: {marker}\n"
        );
        let cluster = ClusterInput {
            kubeconfig: Some(kubeconfig),
            bearer_token: Some(marker.into()),
            ..kubernetes("")
        };
        let created = app
            .fun_ok(CreateCluster { cluster }, Auth::Cookie(&admin))
            .await;
        assert_eq!(created["has_kubeconfig"], true);
        assert_eq!(created["has_bearer_token"], true);
        let cluster_id = created["id"].as_i64().expect("id");
        for body in [
            created.clone(),
            app.fun_ok(ListClusters {}, Auth::Cookie(&admin)).await,
            app.fun_ok(GetCluster { cluster_id }, Auth::Cookie(&admin))
                .await,
        ] {
            assert!(
                !body.to_string().contains(marker),
                "[{backend}] secret leaked: {body}"
            );
        }
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT secrets FROM clusters",
            ))
            .await
            .unwrap()
            .unwrap();
        let stored: String = row.try_get("", "secrets").unwrap();
        assert!(
            stored.starts_with("v1:") && !stored.contains(marker),
            "[{backend}] stored in clear"
        );
        // An update without secrets keeps them; an empty string clears one.
        let update = UpdateCluster {
            cluster_id,
            cluster: kubernetes("renamed"),
        };
        let kept = app.fun_ok(update, Auth::Cookie(&admin)).await;
        assert_eq!(
            (kept["has_kubeconfig"].clone(), kept["description"].clone()),
            (json!(true), json!("renamed"))
        );
        let update = UpdateCluster {
            cluster_id,
            cluster: ClusterInput {
                bearer_token: Some(String::new()),
                ..kubernetes("")
            },
        };
        let cleared = app.fun_ok(update, Auth::Cookie(&admin)).await;
        assert_eq!(
            (
                cleared["has_kubeconfig"].clone(),
                cleared["has_bearer_token"].clone()
            ),
            (json!(true), json!(false))
        );
        let cluster = ClusterInput {
            name: "bad".into(),
            kind: ClusterKind::Standalone,
            settings: ClusterSettings {
                prometheus_url: "prom:9090".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let invalid = app
            .fun(CreateCluster { cluster }, Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (invalid.status, invalid.body["field"].as_str()),
            (422, Some("settings.prometheus_url"))
        );
        app.cleanup().await;
    }
}
