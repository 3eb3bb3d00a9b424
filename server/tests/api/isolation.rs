//! The isolation matrix: what one tenant's members reach of another's.

use app::api::alert_rules::{RotateChannelToken, RotateHistoryTokens};
use app::api::audit::ListAudit;
use app::api::clusters::{
    ClusterRefs, CreateCluster, DeleteCluster, GetCluster, ListClusters, UpdateCluster,
};
use app::api::tenancy::{
    CreateEnvironment, CreateProject, CreateTenant, DeleteEnvironment, DeleteProject, DeleteTenant,
    GetTenant, ListEnvironments, ListMembers, ListProjects, ListTenants, RemoveMember, SetMember,
    UpdateTenant,
};
use app::api::users::{CreateUser, ListUsers, SetUserPassword, UpdateUser};
use app::model::{AuditFilter, ClusterSettings, NewEnvironment, NewUser, Role, UserUpdate};
use serde_json::{Value, json};

use crate::common::{ADMIN_PW, Auth, Reply, TestApp, backends, standalone};

/// Calls each server function with its typed arguments as `auth`; returns each call's text and
/// answer, for a matrix of what one caller may not do.
macro_rules! attempts {
    ($app:expr, $auth:expr, [$($call:expr),* $(,)?]) => {{
        let mut out: Vec<(&'static str, Reply)> = Vec::new();
        $(out.push((stringify!($call), $app.fun($call, $auth).await));)*
        out
    }};
}

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

fn id(v: Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// Tenant A (alice admin) and tenant B (bob admin, carol member) with a project and environment.
async fn world(app: &TestApp) -> World {
    let admin = app.login("admin", ADMIN_PW).await;
    let c = || Auth::Cookie(&admin);
    app.create_user(&admin, "alice", "alice-password").await;
    let bob_id = app.create_user(&admin, "bob", "bob-password").await;
    app.create_user(&admin, "carol", "carol-password").await;
    let tenant = |name: &str, description: &str| CreateTenant {
        name: name.into(),
        description: description.into(),
    };
    let tenant_a = id(app.fun_ok(tenant("tenant-a", "A"), c()).await);
    let tenant_b = id(app.fun_ok(tenant("tenant-b", "B"), c()).await);
    for (tenant_id, user, role) in [
        (tenant_a, "alice", Role::Admin),
        (tenant_b, "bob", Role::Admin),
        (tenant_b, "carol", Role::Member),
    ] {
        let set = SetMember {
            tenant_id,
            username: user.into(),
            role,
        };
        app.fun_ok(set, c()).await;
    }
    let project = |tenant_id: i64, name: &str, description: &str| CreateProject {
        tenant_id,
        name: name.into(),
        description: description.into(),
    };
    app.fun_ok(project(tenant_a, "pa", ""), c()).await;
    let project_b = id(app.fun_ok(project(tenant_b, "pb", "keep"), c()).await);
    let settings = ClusterSettings {
        prometheus_url: "http://127.0.0.1:9090".into(),
        ..Default::default()
    };
    let cluster = id(app
        .create_cluster(&admin, standalone("prod", settings))
        .await);
    let create = CreateEnvironment {
        tenant_id: tenant_b,
        project_id: project_b,
        environment: NewEnvironment {
            name: "prod".into(),
            cluster_id: cluster,
            namespace: "b-prod".into(),
            description: String::new(),
        },
    };
    let env_b = id(app.fun_ok(create, c()).await);
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
    let b = w.tenant_b;
    let envs = ListEnvironments {
        tenant_id: b,
        project_id: w.project_b,
    };
    json!({
        "tenant": app.fun_ok(GetTenant { tenant_id: b }, c()).await,
        "members": app.fun_ok(ListMembers { tenant_id: b }, c()).await,
        "projects": app.fun_ok(ListProjects { tenant_id: b }, c()).await,
        "envs": app.fun_ok(envs, c()).await,
        "clusters": app.fun_ok(ListClusters {}, c()).await,
        "users": app.fun_ok(ListUsers {}, c()).await,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_matrix() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let w = world(&app).await;
        let before = snapshot_b(&app, &w).await;
        let (a, b, pb, eb, cl) = (w.tenant_a, w.tenant_b, w.project_b, w.env_b, w.cluster);
        let env_input = || NewEnvironment {
            name: "x".into(),
            cluster_id: cl,
            namespace: "stolen".into(),
            description: String::new(),
        };
        let cluster_input = || {
            let settings = ClusterSettings {
                prometheus_url: "http://127.0.0.1:1".into(),
                ..Default::default()
            };
            standalone("evil", settings)
        };
        let s = |v: &str| v.to_string();
        // Alice administers tenant A; every call below names tenant B's objects.
        let alice = || Auth::Cookie(&w.alice);
        let answers = attempts!(
            app,
            alice(),
            [
                GetTenant { tenant_id: b },
                UpdateTenant {
                    tenant_id: b,
                    description: s("pwned")
                },
                DeleteTenant { tenant_id: b },
                CreateTenant {
                    name: s("alices-own"),
                    description: s("")
                },
                ListMembers { tenant_id: b },
                SetMember {
                    tenant_id: b,
                    username: s("alice"),
                    role: Role::Admin
                },
                RemoveMember {
                    tenant_id: b,
                    user_id: w.bob_id
                },
                ListProjects { tenant_id: b },
                CreateProject {
                    tenant_id: b,
                    name: s("evil"),
                    description: s("")
                },
                DeleteProject {
                    tenant_id: b,
                    project_id: pb
                },
                DeleteProject {
                    tenant_id: a,
                    project_id: pb
                },
                ListEnvironments {
                    tenant_id: b,
                    project_id: pb
                },
                ListEnvironments {
                    tenant_id: a,
                    project_id: pb
                },
                CreateEnvironment {
                    tenant_id: b,
                    project_id: pb,
                    environment: env_input()
                },
                CreateEnvironment {
                    tenant_id: a,
                    project_id: pb,
                    environment: env_input()
                },
                DeleteEnvironment {
                    tenant_id: b,
                    environment_id: eb
                },
                DeleteEnvironment {
                    tenant_id: a,
                    environment_id: eb
                },
                ListClusters {},
                GetCluster { cluster_id: cl },
                CreateCluster {
                    cluster: cluster_input()
                },
                UpdateCluster {
                    cluster_id: cl,
                    cluster: cluster_input()
                },
                DeleteCluster { cluster_id: cl },
                // Token rotation is the platform's (security review, item 5).
                RotateHistoryTokens { cluster_id: cl },
                RotateChannelToken { channel_id: 1 },
                ListUsers {},
                CreateUser {
                    user: NewUser {
                        username: s("mallory"),
                        display_name: s(""),
                        email: s(""),
                        password: s("mallory-pw"),
                        is_system_admin: true,
                    },
                },
                UpdateUser {
                    user: UserUpdate {
                        user_id: w.bob_id,
                        display_name: s(""),
                        email: s(""),
                        is_system_admin: false,
                        active: false,
                    },
                },
                SetUserPassword {
                    user_id: w.bob_id,
                    password: s("new-password-1")
                },
            ]
        );
        for (call, r) in &answers {
            assert!(
                r.status == 403 || r.status == 404,
                "[{backend}] alice {call} -> {} {}",
                r.status,
                r.body
            );
        }
        // Carol is a plain member of B: she reads it but changes nothing.
        let carol = || Auth::Cookie(&w.carol);
        let answers = attempts!(
            app,
            carol(),
            [
                UpdateTenant {
                    tenant_id: b,
                    description: s("pwned")
                },
                SetMember {
                    tenant_id: b,
                    username: s("carol"),
                    role: Role::Admin
                },
                RemoveMember {
                    tenant_id: b,
                    user_id: w.bob_id
                },
                CreateProject {
                    tenant_id: b,
                    name: s("evil"),
                    description: s("")
                },
                DeleteProject {
                    tenant_id: b,
                    project_id: pb
                },
                CreateEnvironment {
                    tenant_id: b,
                    project_id: pb,
                    environment: env_input()
                },
                DeleteEnvironment {
                    tenant_id: b,
                    environment_id: eb
                },
                ClusterRefs {},
            ]
        );
        for (call, r) in &answers {
            assert_eq!(r.status, 403, "[{backend}] carol {call} -> {}", r.body);
        }
        let projects = app.fun_ok(ListProjects { tenant_id: b }, carol()).await;
        assert_eq!(projects.as_array().map(Vec::len), Some(1));

        // Lists show only what the caller may see.
        let tenants = app.fun_ok(ListTenants {}, alice()).await;
        let names: Vec<&str> = tenants
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(names, vec!["tenant-a"], "[{backend}]");
        let all = ListAudit {
            filter: AuditFilter::default(),
        };
        let audit = app.fun_ok(all, alice()).await;
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
