//! The medium and low findings of the security review, one test each, named after the finding.

mod common;

use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// A tenant `shop-team` with alice as admin and bob as member; returns the tenant id.
async fn tenant(app: &TestApp, admin: &str) -> i64 {
    app.create_user(admin, "alice", "alice-password").await;
    app.create_user(admin, "bob", "bob-password").await;
    let t = app
        .ok(
            "/api/tenants/create",
            json!({"name": "shop-team", "description": ""}),
            Auth::Cookie(admin),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for (user, role) in [("alice", "admin"), ("bob", "member")] {
        app.ok(
            "/api/members/set",
            json!({"tenant_id": t, "username": user, "role": role}),
            Auth::Cookie(admin),
        )
        .await;
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limiter_counts_attempts_before_verifying_under_50_concurrent_bad_logins() {
    let app = TestApp::start(Backend::Sqlite).await;
    let started = std::time::Instant::now();
    let attempts = (0..50).map(|i| {
        app.call(
            "/api/auth/login",
            json!({"username": "admin", "password": format!("wrong-{i}")}),
            Auth::None,
        )
    });
    let replies = futures_util::future::join_all(attempts).await;
    let verified = replies.iter().filter(|r| r.status == 401).count();
    let limited = replies.iter().filter(|r| r.status == 429).count();
    eprintln!(
        "50 concurrent bad logins: {verified} password verifications run (401), {limited} answered 429, in {:?}",
        started.elapsed()
    );
    // The limit is 5 failures per username: the other 45 never reach argon2.
    assert_eq!((verified, limited), (5, 45));
    app.cleanup().await;
}

#[tokio::test]
async fn a_password_change_or_reset_ends_other_sessions_and_revokes_api_tokens() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let here = app.login("alice", "alice-password").await;
    let elsewhere = app.login("alice", "alice-password").await;
    let token = app
        .ok(
            "/api/tokens/create",
            json!({"name": "ci", "expires_in_days": null}),
            Auth::Cookie(&here),
        )
        .await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let me = async |auth: Auth<'_>| app.ok("/api/auth/me", json!({}), auth).await;
    assert_eq!(me(Auth::Bearer(&token)).await["username"], "alice");
    app.ok(
        "/api/auth/password",
        json!({"current": "alice-password", "new": "alice-password-2"}),
        Auth::Cookie(&here),
    )
    .await;
    assert_eq!(
        me(Auth::Cookie(&here)).await["username"],
        "alice",
        "the changing session stays"
    );
    assert_eq!(me(Auth::Cookie(&elsewhere)).await, Value::Null);
    let r = app
        .call("/api/auth/me", json!({}), Auth::Bearer(&token))
        .await;
    assert!(
        r.status == 401 || r.body == Value::Null,
        "{} {}",
        r.status,
        r.body
    );
    // An administrator's reset ends every session, the one that changed it too.
    let alice_id = app
        .ok("/api/users/list", json!({}), Auth::Cookie(&admin))
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "alice")
        .unwrap()["id"]
        .clone();
    app.ok(
        "/api/users/set_password",
        json!({"user_id": alice_id, "password": "alice-password-3"}),
        Auth::Cookie(&admin),
    )
    .await;
    assert_eq!(me(Auth::Cookie(&here)).await, Value::Null);
    app.cleanup().await;
}

#[tokio::test]
async fn queries_are_limited_per_user_with_retry_after() {
    let app = TestApp::start_with(Backend::Sqlite, |c| c.query_rate_per_minute = 3).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = app
        .standalone_cluster(&admin, "local", "http://127.0.0.1:9")
        .await;
    let query = json!({"query": {"target": {"cluster": cluster}, "query": {"expr": "up"}, "start": 0, "end": 600}});
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let r = app
            .call(
                "/api/metrics/query_range",
                query.clone(),
                Auth::Cookie(&admin),
            )
            .await;
        if r.status == 429 {
            retry_after = r.headers.get("retry-after").cloned();
        }
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let wait: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    app.cleanup().await;
}

#[tokio::test]
async fn security_headers_on_every_answer_and_metrics_behind_a_token() {
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.metrics_token = Some("m-token".into())
    })
    .await;
    let page = app
        .request(
            axum::http::Request::get("/login")
                .header("host", "127.0.0.1:3000")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        !csp.contains("'unsafe-inline' ") && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    // Every inline script carries this answer's nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    let html = page.body.as_str().unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert!(
        html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts,
        "{html}"
    );
    for r in [
        &page,
        &app.call("/api/auth/me", json!({}), Auth::None).await,
    ] {
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(r.headers.contains_key("content-security-policy"));
    }
    let metrics = |auth: Option<&str>| {
        let mut b = axum::http::Request::get("/metrics").header("host", "127.0.0.1:3000");
        if let Some(t) = auth {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        app.request(b.body(axum::body::Body::empty()).unwrap())
    };
    assert_eq!(metrics(None).await.status, 401);
    assert_eq!(metrics(Some("wrong")).await.status, 401);
    assert_eq!(metrics(Some("m-token")).await.status, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn system_channels_show_members_only_their_name_and_kind() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let t = tenant(&app, &admin).await;
    app.ok(
        "/api/channels/create",
        json!({"tenant_id": null, "channel": {"name": "oncall-mail", "config": {"type": "email",
            "smtp_host": "mail.corp.internal", "smtp_port": 587, "from": "alerts@corp.example",
            "to": ["oncall@corp.example"], "username": "svc", "password": {"value": "pw"}}}}),
        Auth::Cookie(&admin),
    )
    .await;
    let bob = app.login("bob", "bob-password").await;
    let list = app
        .ok(
            "/api/channels/list",
            json!({"tenant_id": t}),
            Auth::Cookie(&bob),
        )
        .await;
    let text = list.to_string();
    let mail = common::find_in(&list, "", "name", "oncall-mail");
    assert_eq!(mail["config"]["type"], "email");
    for secret in [
        "mail.corp.internal",
        "oncall@corp.example",
        "alerts@corp.example",
        "svc",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The system administrator still sees the settings to edit them.
    let all = app
        .ok(
            "/api/channels/list",
            json!({"tenant_id": t}),
            Auth::Cookie(&admin),
        )
        .await;
    assert!(all.to_string().contains("mail.corp.internal"));
    app.cleanup().await;
}

#[tokio::test]
async fn template_audit_rows_take_the_tenant_from_the_stored_owner() {
    use server::db::entities::audit_log;
    let app = TestApp::start(Backend::Sqlite).await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let a = tenant(&app, &admin).await;
    let other = app
        .ok(
            "/api/tenants/create",
            json!({"name": "other", "description": ""}),
            Auth::Cookie(&admin),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let alice = app.login("alice", "alice-password").await;
    let container = app
        .template_resource(&alice, a, "containers", "container")
        .await;
    let rule = |tenant: i64| json!({"resource_id": container, "name": "queueDepth", "expr": "sum(q) by (pod)", "labels": ["pod"], "tenant_id": tenant});
    let id = app
        .ok(
            "/api/templates/rules/create",
            json!({"rule": rule(a)}),
            Auth::Cookie(&alice),
        )
        .await["id"]
        .clone();
    // The body names another tenant; the audit row names the rule's owner.
    app.call(
        "/api/templates/rules/update",
        json!({"rule_id": id, "rule": rule(other)}),
        Auth::Cookie(&alice),
    )
    .await;
    app.ok(
        "/api/templates/rules/delete",
        json!({"rule_id": id}),
        Auth::Cookie(&alice),
    )
    .await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("template.rule."))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let got: Vec<(&str, Option<i64>)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.tenant_id))
        .collect();
    assert_eq!(
        got,
        vec![
            ("template.rule.create", Some(a)),
            ("template.rule.update", Some(a)),
            ("template.rule.delete", Some(a)),
        ]
    );
    app.cleanup().await;
}

#[tokio::test]
async fn kubeconfigs_that_run_commands_or_read_files_are_refused() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"touch /tmp/pwned\"]\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
    let r = app
        .call(
            "/api/clusters/create",
            json!({"cluster": {"name": "evil", "kind": "kubernetes", "kubeconfig": kubeconfig, "settings": {}}}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["field"], "kubeconfig");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("users[0].user.exec"),
        "{}",
        r.body
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_kept_smtp_password_does_not_follow_a_changed_host() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let t = tenant(&app, &admin).await;
    let alice = app.login("alice", "alice-password").await;
    let config = |host: &str, password: Value| {
        json!({"type": "email", "smtp_host": host, "smtp_port": 587,
        "from": "a@shop.example", "to": ["b@shop.example"], "username": "u", "password": password})
    };
    let id = app
        .ok(
            "/api/channels/create",
            json!({"tenant_id": t, "channel": {"name": "mail", "config": config("smtp.shop.example", json!({"value": "pw"}))}}),
            Auth::Cookie(&alice),
        )
        .await["id"]
        .clone();
    let update = |host: &str, password: Value| json!({"channel_id": id, "channel": {"name": "mail", "config": config(host, password)}});
    let r = app
        .call(
            "/api/channels/update",
            update("evil.example.net", json!({})),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["field"], "config.password");
    app.ok(
        "/api/channels/update",
        update("smtp.shop.example", json!({})),
        Auth::Cookie(&alice),
    )
    .await;
    app.ok(
        "/api/channels/update",
        update("smtp2.shop.example", json!({"value": "pw2"})),
        Auth::Cookie(&alice),
    )
    .await;
    app.cleanup().await;
}
