//! Test harness: the real router over a fresh database on each backend, driven with HTTP requests.
#![allow(dead_code)]

pub mod fake_backend;
pub mod fake_kube;
pub mod real;
pub mod remote_write;
pub mod rules;

use std::fmt;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use server::auth::admin::ensure_first_admin;
use server::auth::ratelimit::LoginLimiter;
use server::config::Config;
use server::state::AppState;
use tower::ServiceExt;

pub const ADMIN_PW: &str = "integration-admin-pw";

/// The Loki stand-in (`testkit::loki`) on 127.0.0.1, reading rules from `rules` like Loki's local
/// rule store (without auth the tenant directory is `rules/fake`). Returns its URL.
pub async fn loki_standin(
    rules: &std::path::Path,
) -> (String, testkit::loki::Shared, tokio::task::JoinHandle<()>) {
    let (addr, loki, task) = testkit::loki::serve(
        "127.0.0.1:0".parse().expect("address"),
        testkit::loki::Options {
            rules_dir: Some(rules.to_path_buf()),
            now: None,
        },
    )
    .await
    .expect("loki stand-in");
    (format!("http://{addr}"), loki, task)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// SQLite always; MariaDB and PostgreSQL when their admin URLs are set (`make test` sets them,
/// and CI sets GEMSCOPE_TEST_REQUIRE_ALL_DBS so a missing server fails instead of skipping).
pub fn backends() -> Vec<Backend> {
    let require = std::env::var("GEMSCOPE_TEST_REQUIRE_ALL_DBS").is_ok_and(|v| v == "1");
    let mut out = vec![Backend::Sqlite];
    for (b, var) in [
        (Backend::MySql, "GEMSCOPE_TEST_MYSQL_URL"),
        (Backend::Postgres, "GEMSCOPE_TEST_POSTGRES_URL"),
    ] {
        match std::env::var(var) {
            Ok(_) => out.push(b),
            Err(_) if require => panic!("{var} is not set but GEMSCOPE_TEST_REQUIRE_ALL_DBS=1"),
            Err(_) => eprintln!("{var} not set: skipping {b}"),
        }
    }
    out
}

pub enum Auth<'a> {
    None,
    Cookie(&'a str),
    Bearer(&'a str),
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub set_cookies: Vec<String>,
    pub headers: axum::http::HeaderMap,
}

pub struct TestApp {
    pub backend: Backend,
    pub router: Router,
    pub db: DatabaseConnection,
    pub state: AppState,
    /// The database URL, for processes started beside the test.
    pub url: String,
    admin_url: Option<String>,
    db_name: Option<String>,
    _dir: tempfile::TempDir,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("admin URL has a path");
    format!("{base}/{name}")
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        Self::start_with(backend, |_| {}).await
    }

    /// Like `start`, with the configuration adjusted first.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::start_connected(backend, adjust, None).await
    }

    /// Like `start`, with every cluster's backend built by `connector` (an in-memory cluster),
    /// and a public URL for the receivers the rules are written with.
    pub async fn start_on(
        backend: Backend,
        connector: std::sync::Arc<dyn server::clusters::backend::Connect>,
    ) -> TestApp {
        let public = |c: &mut Config| c.public_url = Some("https://gemscope.example".into());
        Self::start_connected(backend, public, Some(connector)).await
    }

    async fn start_connected(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        connector: Option<std::sync::Arc<dyn server::clusters::backend::Connect>>,
    ) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("tempdir");
        let suffix = server::auth::token::random_token("")
            .to_lowercase()
            .replace(['-', '_'], "");
        let db_name = format!("gs_t_{}", &suffix[..12]);
        let (url, admin_url) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/gs.db?mode=rwc", dir.path().display()),
                None,
            ),
            Backend::MySql | Backend::Postgres => {
                let var = if backend == Backend::MySql {
                    "GEMSCOPE_TEST_MYSQL_URL"
                } else {
                    "GEMSCOPE_TEST_POSTGRES_URL"
                };
                let admin = std::env::var(var).expect("admin url");
                let conn = Database::connect(&admin).await.expect("connect admin url");
                conn.execute_unprepared(&format!("CREATE DATABASE {db_name}"))
                    .await
                    .expect("create database");
                conn.close().await.ok();
                (with_database(&admin, &db_name), Some(admin))
            }
        };
        let db = server::db::connect(&url).await.expect("connect");
        server::db::migrate(&db).await.expect("migrate");
        ensure_first_admin(&db, "admin", Some(ADMIN_PW))
            .await
            .expect("admin");
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            site_root: dir.path().to_path_buf(),
            ..Config::default()
        };
        adjust(&mut config);
        let state = match connector {
            Some(c) => AppState::with_connector(db.clone(), config, LoginLimiter::default(), c),
            None => AppState::new(db.clone(), config, LoginLimiter::default()),
        }
        .expect("state");
        let router = server::web::router(state.clone());
        TestApp {
            backend,
            router,
            db,
            state,
            url,
            admin_url,
            db_name: Some(db_name).filter(|_| backend != Backend::Sqlite),
            _dir: dir,
        }
    }

    /// Serves the router on 127.0.0.1 (for callers that need a real address, like
    /// Alertmanager); returns the base URL.
    pub async fn listen(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    /// Drops the throw-away database.
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        let (Some(admin), Some(name)) = (self.admin_url, self.db_name) else {
            return;
        };
        if let Ok(conn) = Database::connect(&admin).await {
            let force = if self.backend == Backend::Postgres {
                " WITH (FORCE)"
            } else {
                ""
            };
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}{force}"))
                .await
                .ok();
            conn.close().await.ok();
        }
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("router");
        let status = res.status().as_u16();
        let set_cookies = res
            .headers()
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(String::from))
            .collect();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Reply {
            status,
            body,
            set_cookies,
            headers,
        }
    }

    pub fn post(
        path: &str,
        body: &Value,
        auth: &Auth<'_>,
        extra: &[(&str, &str)],
    ) -> Request<Body> {
        let mut b = Request::post(path)
            .header("content-type", "application/json")
            .header("host", "127.0.0.1:3000");
        match auth {
            Auth::None => {}
            Auth::Cookie(c) => b = b.header("cookie", *c),
            Auth::Bearer(t) => b = b.header("authorization", format!("Bearer {t}")),
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        b.body(Body::from(body.to_string())).expect("request")
    }

    pub async fn call(&self, path: &str, body: Value, auth: Auth<'_>) -> Reply {
        self.request(Self::post(path, &body, &auth, &[])).await
    }

    /// Calls a server function with the argument struct `#[server]` generates for it
    /// (`app::api::tenancy::CreateTenant { name, description }`): the path and the field names
    /// come from the function, so renaming either fails to compile here. Raw JSON (`call`) is
    /// for bodies no typed caller could send.
    pub async fn fun<F>(&self, args: F, auth: Auth<'_>) -> Reply
    where
        F: leptos::server_fn::ServerFn + serde::Serialize,
    {
        let body = serde_json::to_value(&args).expect("the arguments serialise");
        self.call(F::PATH, body, auth).await
    }

    /// `fun`, which must succeed; returns the answer.
    pub async fn fun_ok<F>(&self, args: F, auth: Auth<'_>) -> Value
    where
        F: leptos::server_fn::ServerFn + serde::Serialize + fmt::Debug,
    {
        let what = format!("{} {args:?}", F::PATH);
        let r = self.fun(args, auth).await;
        assert_eq!(r.status, 200, "[{}] {what}: {}", self.backend, r.body);
        r.body
    }

    /// Signs in and returns the session cookie (`gs_session=…`).
    pub async fn login(&self, username: &str, password: &str) -> String {
        let login = app::api::account::Login {
            username: username.into(),
            password: password.into(),
        };
        let r = self.fun(login, Auth::None).await;
        assert_eq!(
            r.status, 200,
            "[{}] login {username}: {}",
            self.backend, r.body
        );
        r.set_cookies
            .iter()
            .find(|c| c.starts_with("gs_session="))
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_string()
    }

    /// As the admin: creates a user and returns their id.
    pub async fn create_user(&self, admin: &str, username: &str, password: &str) -> i64 {
        let user = app::model::NewUser {
            username: username.into(),
            display_name: String::new(),
            email: String::new(),
            password: password.into(),
            is_system_admin: false,
        };
        let created = self
            .fun_ok(app::api::users::CreateUser { user }, Auth::Cookie(admin))
            .await;
        created["id"].as_i64().expect("id")
    }

    pub async fn ok(&self, path: &str, body: Value, auth: Auth<'_>) -> Value {
        let r = self.call(path, body.clone(), auth).await;
        assert_eq!(
            r.status, 200,
            "[{}] {path} {body}: {}",
            self.backend, r.body
        );
        r.body
    }
}

impl TestApp {
    /// The connection test of a cluster as `session`; panics unless it answers.
    pub async fn test_cluster(&self, cluster_id: i64, session: &str) -> Value {
        let test = app::api::clusters::TestCluster { cluster_id };
        self.fun_ok(test, Auth::Cookie(session)).await
    }

    /// Prepares a cluster as `session`; panics unless it answers.
    pub async fn prepare_cluster(&self, cluster_id: i64, session: &str) -> Value {
        let prepare = app::api::clusters::PrepareCluster { cluster_id };
        self.fun_ok(prepare, Auth::Cookie(session)).await
    }

    pub async fn get_cluster(&self, cluster_id: i64, session: &str) -> Value {
        let get = app::api::clusters::GetCluster { cluster_id };
        self.fun_ok(get, Auth::Cookie(session)).await
    }
}

/// A standalone cluster called `name` with `settings`.
pub fn standalone(name: &str, settings: app::model::ClusterSettings) -> app::model::ClusterInput {
    app::model::ClusterInput {
        name: name.into(),
        kind: app::model::ClusterKind::Standalone,
        settings,
        ..Default::default()
    }
}

impl TestApp {
    /// Creates a cluster as `admin`; panics unless it is created.
    pub async fn create_cluster(&self, admin: &str, cluster: app::model::ClusterInput) -> Value {
        let create = app::api::clusters::CreateCluster { cluster };
        self.fun_ok(create, Auth::Cookie(admin)).await
    }

    /// As the admin: a standalone cluster on `prometheus_url`; returns its id.
    pub async fn standalone_cluster(&self, admin: &str, name: &str, prometheus_url: &str) -> i64 {
        let cluster = app::model::ClusterInput {
            name: name.into(),
            kind: app::model::ClusterKind::Standalone,
            settings: app::model::ClusterSettings {
                prometheus_url: prometheus_url.into(),
                ..Default::default()
            },
            ..Default::default()
        };
        self.fun_ok(
            app::api::clusters::CreateCluster { cluster },
            Auth::Cookie(admin),
        )
        .await["id"]
            .as_i64()
            .expect("cluster id")
    }
}

/// What `TestApp::environment` made.
pub struct TenantEnv {
    pub tenant: i64,
    pub project: i64,
    pub environment: i64,
}

impl TestApp {
    /// As the admin: a tenant with one member (`role`), a project `p`, and an environment `prod`
    /// on `cluster` in `namespace`.
    pub async fn environment(
        &self,
        admin: &str,
        tenant: &str,
        member: (&str, &str),
        cluster: i64,
        namespace: &str,
    ) -> TenantEnv {
        use app::api::tenancy::{CreateEnvironment, CreateProject, CreateTenant, SetMember};
        let a = || Auth::Cookie(admin);
        let id = |v: Value| v["id"].as_i64().expect("id");
        let create = CreateTenant {
            name: tenant.into(),
            description: String::new(),
        };
        let t = id(self.fun_ok(create, a()).await);
        let role = app::model::Role::parse(member.1).expect("a role name");
        let set = SetMember {
            tenant_id: t,
            username: member.0.into(),
            role,
        };
        self.fun_ok(set, a()).await;
        let create = CreateProject {
            tenant_id: t,
            name: "p".into(),
            description: String::new(),
        };
        let p = id(self.fun_ok(create, a()).await);
        let create = CreateEnvironment {
            tenant_id: t,
            project_id: p,
            environment: app::model::NewEnvironment {
                name: "prod".into(),
                cluster_id: cluster,
                namespace: namespace.into(),
                description: String::new(),
            },
        };
        let environment = id(self.fun_ok(create, a()).await);
        TenantEnv {
            tenant: t,
            project: p,
            environment,
        }
    }
}

pub fn status_ok(s: StatusCode) -> bool {
    s.is_success()
}

/// The element of the array `v[list]` whose `key` equals `value`; panics naming what is missing.
pub fn find_in<'a>(v: &'a Value, list: &str, key: &str, value: &str) -> &'a Value {
    let items = if list.is_empty() { v } else { &v[list] };
    items
        .as_array()
        .and_then(|a| a.iter().find(|x| x[key] == value))
        .unwrap_or_else(|| panic!("no {key}={value} in {list} of {v}"))
}

/// The history receiver target of a cluster's monitoring namespace, whose token may post
/// alerts of every namespace (as system rules do).
pub fn system_history(cluster_id: i64) -> server::channels::history::HistoryTarget<'static> {
    server::channels::history::HistoryTarget {
        cluster_id,
        namespace: "kubegems-monitoring",
        version: 1,
    }
}

impl TestApp {
    /// The id of template resource `scope.resource` in the tree `session` sees for `tenant`.
    pub async fn template_resource(
        &self,
        session: &str,
        tenant: i64,
        scope: &str,
        resource: &str,
    ) -> Value {
        let tree = app::api::templates::TemplateTree {
            tenant_id: Some(tenant),
        };
        let tree = self.fun_ok(tree, Auth::Cookie(session)).await;
        tree.as_array()
            .and_then(|scopes| scopes.iter().find(|s| s["name"] == scope))
            .and_then(|s| s["resources"].as_array())
            .and_then(|rs| rs.iter().find(|r| r["name"] == resource))
            .unwrap_or_else(|| panic!("no template resource {scope}.{resource} in {tree}"))["id"]
            .clone()
    }
}
