//! Cluster secrets: sealed at rest, never read back.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_secrets_are_encrypted_and_never_read_back() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let marker = "SECRET-MARKER-7731";
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: x\n  user:\n    token: {marker}\n"
        );
        let created = app
            .ok("/api/clusters/create", json!({"cluster": {"name": "k8s", "kind": "kubernetes", "kubeconfig": kubeconfig, "bearer_token": marker}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(created["has_kubeconfig"], true);
        assert_eq!(created["has_bearer_token"], true);
        let id = created["id"].as_i64().unwrap();
        for body in [
            created.clone(),
            app.ok("/api/clusters/list", json!({}), Auth::Cookie(&admin))
                .await,
            app.ok(
                "/api/clusters/get",
                json!({"cluster_id": id}),
                Auth::Cookie(&admin),
            )
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
        let kept = app
            .ok("/api/clusters/update", json!({"cluster_id": id, "cluster": {"name": "k8s", "kind": "kubernetes", "description": "renamed"}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (kept["has_kubeconfig"].clone(), kept["description"].clone()),
            (json!(true), json!("renamed"))
        );
        let cleared = app
            .ok("/api/clusters/update", json!({"cluster_id": id, "cluster": {"name": "k8s", "kind": "kubernetes", "bearer_token": ""}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (
                cleared["has_kubeconfig"].clone(),
                cleared["has_bearer_token"].clone()
            ),
            (json!(true), json!(false))
        );
        let invalid = app
            .call("/api/clusters/create", json!({"cluster": {"name": "bad", "kind": "standalone", "settings": {"prometheus_url": "prom:9090"}}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (invalid.status, invalid.body["field"].as_str()),
            (422, Some("settings.prometheus_url"))
        );
        app.cleanup().await;
    }
}
