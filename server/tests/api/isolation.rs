//! The isolation matrix: what one tenant's members reach of another's.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::{Value, json};

struct World {
    admin: String,
    alice: String,
    carol: String,
    tenant_a: i64,
    tenant_b: i64,
    project_b: i64,
    env_b: i64,
    bob_id: i64,
    cluster: i64,
}

/// Tenant A (alice admin) and tenant B (bob admin, carol member) with a project and environment.
async fn world(app: &TestApp) -> World {
    let admin = app.login("admin", ADMIN_PW).await;
    let c = || Auth::Cookie(&admin);
    app.create_user(&admin, "alice", "alice-password").await;
    let bob_id = app.create_user(&admin, "bob", "bob-password").await;
    app.create_user(&admin, "carol", "carol-password").await;
    let tenant_a = app
        .ok(
            "/api/tenants/create",
            json!({"name": "tenant-a", "description": "A"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let tenant_b = app
        .ok(
            "/api/tenants/create",
            json!({"name": "tenant-b", "description": "B"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_a, "username": "alice", "role": "admin"}),
        c(),
    )
    .await;
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_b, "username": "bob", "role": "admin"}),
        c(),
    )
    .await;
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_b, "username": "carol", "role": "member"}),
        c(),
    )
    .await;
    app.ok(
        "/api/projects/create",
        json!({"tenant_id": tenant_a, "name": "pa", "description": ""}),
        c(),
    )
    .await;
    let project_b = app
        .ok(
            "/api/projects/create",
            json!({"tenant_id": tenant_b, "name": "pb", "description": "keep"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let cluster = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "prod", "kind": "standalone", "settings": {"prometheus_url": "http://127.0.0.1:9090"}}}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let env_b = app
        .ok(
            "/api/environments/create",
            json!({"tenant_id": tenant_b, "project_id": project_b, "environment": {"name": "prod", "cluster_id": cluster, "namespace": "b-prod", "description": ""}}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let alice = app.login("alice", "alice-password").await;
    let carol = app.login("carol", "carol-password").await;
    World {
        admin,
        alice,
        carol,
        tenant_a,
        tenant_b,
        project_b,
        env_b,
        bob_id,
        cluster,
    }
}

/// Tenant B as the system admin sees it; must be identical before and after the attacks.
async fn snapshot_b(app: &TestApp, w: &World) -> Value {
    let c = || Auth::Cookie(&w.admin);
    json!({
        "tenant": app.ok("/api/tenants/get", json!({"tenant_id": w.tenant_b}), c()).await,
        "members": app.ok("/api/members/list", json!({"tenant_id": w.tenant_b}), c()).await,
        "projects": app.ok("/api/projects/list", json!({"tenant_id": w.tenant_b}), c()).await,
        "envs": app.ok("/api/environments/list", json!({"tenant_id": w.tenant_b, "project_id": w.project_b}), c()).await,
        "clusters": app.ok("/api/clusters/list", json!({}), c()).await,
        "users": app.ok("/api/users/list", json!({}), c()).await,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_matrix() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let w = world(&app).await;
        let before = snapshot_b(&app, &w).await;
        let (a, b, pb, eb, cl) = (w.tenant_a, w.tenant_b, w.project_b, w.env_b, w.cluster);
        let env_input =
            json!({"name": "x", "cluster_id": cl, "namespace": "stolen", "description": ""});
        let cluster_input = json!({"name": "evil", "kind": "standalone", "settings": {"prometheus_url": "http://127.0.0.1:1"}});
        // Alice administers tenant A; every call below names tenant B's objects.
        let calls: Vec<(&str, Value)> = vec![
            ("/api/tenants/get", json!({"tenant_id": b})),
            (
                "/api/tenants/update",
                json!({"tenant_id": b, "description": "pwned"}),
            ),
            ("/api/tenants/delete", json!({"tenant_id": b})),
            (
                "/api/tenants/create",
                json!({"name": "alices-own", "description": ""}),
            ),
            ("/api/members/list", json!({"tenant_id": b})),
            (
                "/api/members/set",
                json!({"tenant_id": b, "username": "alice", "role": "admin"}),
            ),
            (
                "/api/members/remove",
                json!({"tenant_id": b, "user_id": w.bob_id}),
            ),
            ("/api/projects/list", json!({"tenant_id": b})),
            (
                "/api/projects/create",
                json!({"tenant_id": b, "name": "evil", "description": ""}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": a, "project_id": pb}),
            ),
            (
                "/api/environments/list",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/environments/list",
                json!({"tenant_id": a, "project_id": pb}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": b, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": a, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": b, "environment_id": eb}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": a, "environment_id": eb}),
            ),
            ("/api/clusters/list", json!({})),
            ("/api/clusters/get", json!({"cluster_id": cl})),
            ("/api/clusters/create", json!({"cluster": cluster_input})),
            (
                "/api/clusters/update",
                json!({"cluster_id": cl, "cluster": cluster_input}),
            ),
            ("/api/clusters/delete", json!({"cluster_id": cl})),
            // Token rotation is the platform's (security review, item 5).
            (
                "/api/clusters/rotate_history_tokens",
                json!({"cluster_id": cl}),
            ),
            ("/api/channels/rotate_token", json!({"channel_id": 1})),
            ("/api/users/list", json!({})),
            (
                "/api/users/create",
                json!({"user": {"username": "mallory", "display_name": "", "email": "", "password": "mallory-pw", "is_system_admin": true}}),
            ),
            (
                "/api/users/update",
                json!({"user": {"user_id": w.bob_id, "display_name": "", "email": "", "is_system_admin": false, "active": false}}),
            ),
            (
                "/api/users/set_password",
                json!({"user_id": w.bob_id, "password": "new-password-1"}),
            ),
        ];
        for (path, body) in &calls {
            let r = app.call(path, body.clone(), Auth::Cookie(&w.alice)).await;
            assert!(
                r.status == 403 || r.status == 404,
                "[{backend}] alice {path} {body} -> {} {}",
                r.status,
                r.body
            );
        }
        // Carol is a plain member of B: she reads it but changes nothing.
        let carol_calls: Vec<(&str, Value)> = vec![
            (
                "/api/tenants/update",
                json!({"tenant_id": b, "description": "pwned"}),
            ),
            (
                "/api/members/set",
                json!({"tenant_id": b, "username": "carol", "role": "admin"}),
            ),
            (
                "/api/members/remove",
                json!({"tenant_id": b, "user_id": w.bob_id}),
            ),
            (
                "/api/projects/create",
                json!({"tenant_id": b, "name": "evil", "description": ""}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": b, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": b, "environment_id": eb}),
            ),
            ("/api/clusters/refs", json!({})),
        ];
        for (path, body) in &carol_calls {
            let r = app.call(path, body.clone(), Auth::Cookie(&w.carol)).await;
            assert_eq!(
                r.status, 403,
                "[{backend}] carol {path} {body} -> {}",
                r.body
            );
        }
        assert_eq!(
            app.ok(
                "/api/projects/list",
                json!({"tenant_id": b}),
                Auth::Cookie(&w.carol)
            )
            .await
            .as_array()
            .unwrap()
            .len(),
            1
        );

        // Lists show only what the caller may see.
        let tenants = app
            .ok("/api/tenants/list", json!({}), Auth::Cookie(&w.alice))
            .await;
        let names: Vec<&str> = tenants
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(names, vec!["tenant-a"], "[{backend}]");
        let audit = app
            .ok(
                "/api/audit/list",
                json!({"filter": {}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        // As admin of A she reads A's rows and her own (her refused attempts are audited, and
        // tenant B's admins see them too); nothing else.
        let rows = audit.as_array().unwrap();
        assert!(
            rows.iter()
                .any(|r| r["success"] == false && r["tenant_id"] == json!(b)),
            "[{backend}] refusals are audited"
        );
        assert!(
            rows.iter()
                .any(|r| r["username"] == "admin" && r["tenant_id"] == json!(a)),
            "[{backend}] tenant A rows visible"
        );
        for row in rows {
            assert!(
                row["username"] == "alice" || row["tenant_id"] == json!(a),
                "[{backend}] alice saw {row}"
            );
        }

        let after = snapshot_b(&app, &w).await;
        assert_eq!(before, after, "[{backend}] tenant B changed");
        app.cleanup().await;
    }
}
